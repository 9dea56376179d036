"""대화 화면: 목록과 새 대화, 대화 하나, 모델, 설정, 이름 바꾸기, 지우기, 제목."""

from contextlib import suppress

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import aget_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django_htmx.http import HttpResponseClientRedirect

from chat import classes, moderation, replies, services, streams, titles, tree
from chat.attachments import services as attachment_services
from chat.forms import (
    ComposerForm,
    ConversationModelForm,
    ConversationRenameForm,
    ConversationSettingsForm,
    ConversationStartForm,
)
from chat.models import Conversation, Message
from chat.streams import DETAIL_TEMPLATE, positive_int
from chat.views.attachments import take_files
from chat.views.shared import (
    WRITING_PARAM,
    OwnConversationMixin,
    chat_context,
    class_context,
    finish_without_js,
    refusal_status,
    render_in_place,
    safe_next,
)
from chat.views.sharing import share_links_context
from core import rows

MESSAGES_PAGE_SIZE = 30
# 검색 결과가 여는 메시지: 그 메시지를 지나는 갈래로 바꾸고 AROUND_PARAM 주소로 보낸다 (다시 읽어도 또 바꾸지 않게)
AT_PARAM = "at"
# 그 메시지가 든 쪽을 그린다 (읽기만 한다)
AROUND_PARAM = "around"


class HomeView(View):
    """첫 화면은 대화 목록이다. 로그인 전이면 LoginRequiredMiddleware가 로그인 화면으로 보낸다."""

    def get(self, request):
        return redirect("chat:index")


class ConversationListView(View):
    """사이드바와 새 대화를 시작하는 입력창. POST는 첫 메시지로 대화를 만든다."""

    template_name = "chat/conversation_list.html"

    def get(self, request):
        if request.htmx and request.GET.get("page"):
            # "더 보기": 다음 쪽의 항목만
            return render(request, "chat/chat_layout.html#sidebar-items", chat_context(request))
        example = positive_int(request.GET.get("example", ""))
        initial = {}
        if example is not None and example < len(EXAMPLES):
            # JavaScript 없이 예시를 누른 사람: 입력창에 채워 둔다
            initial["content"] = EXAMPLES[example]["prompt"]
        form = ConversationStartForm(initial=initial, user=request.user)
        context = chat_context(request, form=form, examples=EXAMPLES, **class_context(request))
        return render(request, self.template_name, context)

    def post(self, request):
        form = ConversationStartForm(request.POST, request.FILES, user=request.user)
        files = take_files(request, form)
        if not form.is_valid():
            return self.render_again(form, status=400)
        try:
            reply = services.conversation_start(
                user=request.user,
                content=form.cleaned_data["content"],
                model=form.cleaned_data["model"],
                preset=form.cleaned_data["preset"],
                files=files,
            )
        except services.ChatRefused as refused:
            form.add_error(None, refused.message)
            return self.render_again(form, status=refusal_status(refused.code))
        url = reverse("chat:conversation", args=[reply.conversation_id])
        if request.htmx:
            # 대화 화면이 대기 중인 답변을 보고 스트림을 연다
            return HttpResponseClientRedirect(url)
        return finish_without_js(request, reply)

    def render_again(self, form, status):
        """틀린 입력이나 거절: 입력한 글을 그대로 둔 양식과 이유."""
        return render_in_place(
            self.request,
            self.template_name,
            "start-form",
            {"form": form, **class_context(self.request)},
            page=lambda: chat_context(
                self.request, form=form, examples=EXAMPLES, **class_context(self.request)
            ),
            status=status,
        )


# 새 대화 화면의 예시 질문. 누르면 입력창이 채워질 뿐, 바로 보내지 않는다.
EXAMPLES = [
    {
        "title": gettext_lazy("Explain a concept"),
        "prompt": gettext_lazy(
            "Explain what a Python list comprehension is, with two short examples."
        ),
    },
    {
        "title": gettext_lazy("Review my code"),
        "prompt": gettext_lazy("Review this function and suggest one improvement:\n\n"),
    },
    {
        "title": gettext_lazy("Plan my study"),
        "prompt": gettext_lazy(
            "Make a one-week study plan for learning SQL basics, one hour a day."
        ),
    },
    {
        "title": gettext_lazy("Write in English"),
        "prompt": gettext_lazy(
            "Help me write a short, polite email asking my instructor for feedback."
        ),
    },
]


def history_slice(request, conversation, *, around: int | None = None):
    """지금 갈래의 최신부터 한 쪽 + 1개를 읽어 더 이전 것이 있는지 안다. 긴 대화도 전부 읽지 않는다.

    ?before=N이면 N(이미 보인 가장 오래된 메시지)의 부모부터 뿌리 쪽으로 한 쪽.
    """
    before = positive_int(request.GET.get("before", ""))
    start = tree.leaf_id(conversation)
    if before is not None:
        found = rows.values(Message, ["parent"], {"pk": before, "conversation": conversation.pk})
        start = found[0][0] if found else None
    elif (around := around or positive_int(request.GET.get(AROUND_PARAM, ""))) is not None:
        start, before = window_around(start, around)
    page = tree.path(conversation, start_id=start, limit=MESSAGES_PAGE_SIZE + 1) if start else []
    active = [message.pk for message in page if message.is_active]
    if active and replies.sweep_stale(Message.objects.filter(pk__in=active)):
        # 작업이 죽어 멈춘 답변을 중단으로 정리했다: 다시 생성 단추가 보이게 다시 읽는다
        page = tree.path(conversation, start_id=start, limit=MESSAGES_PAGE_SIZE + 1)
    has_earlier = len(page) > MESSAGES_PAGE_SIZE
    page = page[-MESSAGES_PAGE_SIZE:]
    tree.annotate_versions(conversation, page)
    attachment_services.prefetch(page)
    if page and before is None:
        streams.mark_latest(page[-1], conversation)
        # 탭을 닫은 사이 끝난 첫 답: 그 답의 마지막 그림이 부르지 못한 제목을 이 화면이 htmx로 부른다
        page[-1].asks_title = conversation.needs_title and not page[-1].is_user and page[-1].is_done
    return {
        "conversation": conversation,
        "history": page,
        "earlier_before": page[0].pk if has_earlier else None,
        "showing_earlier": before is not None,
        "replying": any(message.is_active for message in page),
    }


def window_around(leaf: int | None, message_id: int) -> tuple[int | None, int | None]:
    """?around=N (검색 결과, 버전 고르기): N이 첫 쪽보다 오래됐으면 N이 쪽 가운데쯤 오게 시작점을 옮긴다.

    (시작점, 옮겼으면 "이전 메시지를 보는 중" 표시용 값)을 돌려준다. 번호만 걷는다.
    """
    ids = tree.ancestors(leaf)
    if message_id not in ids or ids.index(message_id) < MESSAGES_PAGE_SIZE:
        return leaf, None
    index = ids.index(message_id) - MESSAGES_PAGE_SIZE // 2
    return ids[index], ids[index]


def reload_url(request, history):
    """JavaScript 없이 보낸 뒤 "쓰는 중" 화면이 몇 초 뒤 다시 읽을 주소. 보내기가 붙인 표시가 있을 때만.

    주소가 그대로면(#message-N 포함) 브라우저는 같은 문서 안의 이동으로 보고 새로 읽지 않는다: 셈을 올린다.
    """
    count = positive_int(request.GET.get(WRITING_PARAM, ""))
    active = next((message for message in history if message.is_active), None)
    if count is None or active is None:
        return None
    return f"{request.path}?{WRITING_PARAM}={count + 1}#message-{active.pk}"


def header_forms(request, conversation, **forms):
    """머리글(#conversation-header)이 그리는 양식 셋과 공유 링크. 머리글을 다시 그리는 곳은 모두 이것을 쓴다:
    하나라도 빠지면 옵션의 그 양식이 빈 채로 그려지고, 그대로 저장하면 값이 지워진다."""
    return {
        "settings_form": ConversationSettingsForm(instance=conversation),
        "rename_form": ConversationRenameForm(instance=conversation),
        "model_form": ConversationModelForm(conversation=conversation, user=request.user),
        **share_links_context(request, conversation),
        **forms,
    }


def conversation_page_context(request, conversation, *, form, **extra):
    history = history_slice(request, conversation)
    return chat_context(
        request,
        **history,
        reload_url=reload_url(request, history["history"]),
        form=form,
        **header_forms(request, conversation),
        looks=moderation.looks_at(conversation),
        conversation_class=classes.conversation_class(conversation),
        **class_context(request),
        # 공유 링크를 만들거나 거둔 뒤(JavaScript 없음) Options를 연 채로 돌아온다
        options_open=request.GET.get("options") == "share",
        **extra,
    )


def title_when_replied(request, conversation):
    """첫 답이 끝났는데 제목이 없다: JavaScript 없는 화면은 제목을 부를 수 없으니 페이지를 그리기 전에 짓는다.
    JavaScript가 있으면 끝난 답변이 htmx로 부른다 (ConversationTitleView). 대화마다 한 번뿐이다."""
    latest = conversation.messages.order_by("-pk").only("role", "status").first()
    if latest is not None and not latest.is_user and latest.is_done:
        title = titles.conversation_title_generate(
            conversation=conversation, language=request.LANGUAGE_CODE
        )
        conversation.needs_title = False
        conversation.title = title or conversation.title


def around_url(conversation_id, message_id: int | None) -> str:
    """그 메시지가 든 쪽의 주소 (?around=N#message-N). 메시지가 없으면 대화의 주소."""
    url = reverse("chat:conversation", args=[conversation_id])
    if message_id is None:
        return url
    return f"{url}?{AROUND_PARAM}={message_id}#message-{message_id}"


def open_at(conversation, value: str) -> int | None:
    """검색 결과의 메시지가 다른 갈래에 있으면 그 갈래로 바꾼다. 답변이 쓰이는 중이면 바꾸지 않는다 (지금 갈래를 보인다).

    GET이 상태를 바꾸는 드문 곳이다: 바뀌는 것은 어느 버전을 보는지뿐이고, 바꾼 뒤 읽기만 하는 주소(?around=)로 보내
    다시 읽어도 또 바꾸지 않는다. 그 메시지의 번호를 돌려준다 (이 대화의 것이 아니면 None).
    """
    message_id = positive_int(value)
    message = (
        conversation.messages.filter(pk=message_id).first() if message_id is not None else None
    )
    if message is None:
        return None
    if message_id not in tree.ancestors(tree.leaf_id(conversation)):
        message.conversation = conversation
        # 답변이 쓰이는 중이면 바꾸지 않고 지금 갈래를 보인다
        with suppress(services.ChatRefused):
            services.branch_switch(message=message)
    return message_id


class ConversationDetailView(OwnConversationMixin, View):
    """대화 하나: 최근 메시지 한 조각, "이전 메시지" 링크, 입력창, 설정."""

    def get(self, request, pk):
        if request.htmx and "before" in request.GET:
            return render(
                request, f"{DETAIL_TEMPLATE}#earlier", history_slice(request, self.conversation)
            )
        if AT_PARAM in request.GET:
            # 바꾸고 읽기만 하는 주소로 보낸다: 주소에 at이 남으면 뒤에 다른 버전을 고른 뒤 새로 읽을 때 또 바뀐다
            return redirect(
                around_url(self.conversation.pk, open_at(self.conversation, request.GET[AT_PARAM]))
            )
        if WRITING_PARAM in request.GET and self.conversation.needs_title:
            # "쓰는 중" 화면(JavaScript 없음)만 여기서 짓는다: 다른 화면은 끝난 답이 htmx로 부른다 (asks_title)
            title_when_replied(request, self.conversation)
        context = conversation_page_context(request, self.conversation, form=ComposerForm())
        return render(request, DETAIL_TEMPLATE, context)


class ConversationModelView(OwnConversationMixin, View):
    """머리글의 모델 고르기: htmx면 고르기 양식만 다시, JavaScript 없이는 대화로 돌아간다."""

    def post(self, request, pk):
        conversation = self.conversation
        form = ConversationModelForm(request.POST, conversation=conversation, user=request.user)
        saved = form.is_valid()
        if saved:
            services.conversation_model_choose(
                conversation=conversation, model=form.cleaned_data["model"]
            )
        if request.htmx:
            context = {"conversation": conversation, "model_form": form, "model_saved": saved}
            return render(request, f"{DETAIL_TEMPLATE}#model-picker", context)
        if saved:
            messages.success(
                request, _("The next replies use %(model)s.") % {"model": conversation.model}
            )
        else:
            messages.error(request, " ".join(form.errors["model"]))
        return redirect("chat:conversation", pk=conversation.pk)


class ConversationSettingsView(OwnConversationMixin, View):
    """이 대화의 시스템 프롬프트."""

    def post(self, request, pk):
        conversation = self.conversation
        form = ConversationSettingsForm(request.POST, instance=conversation)
        saved = form.is_valid()
        if saved:
            services.conversation_configure(
                conversation=conversation, system_prompt=form.cleaned_data["system_prompt"]
            )
        if request.htmx:
            context = {"conversation": conversation, "settings_form": form, "settings_saved": saved}
            return render(request, f"{DETAIL_TEMPLATE}#settings", context)
        if saved:
            messages.success(request, _("Settings saved."))
        else:
            messages.error(request, form.errors.as_text())
        return redirect("chat:conversation", pk=conversation.pk)


class ConversationRenameView(OwnConversationMixin, View):
    """이름 바꾸기. JavaScript 없이 틀리게 보내면 이 화면에서 다시 고친다."""

    template_name = "chat/conversation_rename.html"

    def get(self, request, pk):
        form = ConversationRenameForm(instance=self.conversation)
        return render(
            request, self.template_name, {"conversation": self.conversation, "form": form}
        )

    def post(self, request, pk):
        form = ConversationRenameForm(request.POST, instance=self.conversation)
        if form.is_valid():
            services.conversation_rename(
                conversation=self.conversation, title=form.cleaned_data["title"]
            )
        if request.htmx:
            context = {
                "conversation": self.conversation,
                "renamed": form.is_valid(),
                **header_forms(request, self.conversation, rename_form=form),
            }
            return render(request, f"{DETAIL_TEMPLATE}#conversation-header", context)
        if not form.is_valid():
            return render(
                request,
                self.template_name,
                {"conversation": self.conversation, "form": form},
                status=400,
            )
        messages.success(request, _("Conversation renamed."))
        return redirect("chat:conversation", pk=self.conversation.pk)


class ConversationDeleteView(OwnConversationMixin, View):
    """지우기 전에 묻는다: JavaScript가 없으면 이 확인 화면, 있으면 htmx의 확인 창."""

    template_name = "chat/conversation_confirm_delete.html"

    def get(self, request, pk):
        # 보관함에서 왔으면 지운 뒤와 취소가 보관함으로 돌아간다
        back = safe_next(request, request.GET.get("next"))
        context = {"conversation": self.conversation, "next": back}
        return render(request, self.template_name, context)

    def post(self, request, pk):
        title = self.conversation.title
        back = safe_next(request, request.POST.get("next"))
        here = reverse("chat:conversation", args=[self.conversation.pk])
        services.conversation_delete(conversation=self.conversation)
        if request.htmx and here not in (request.htmx.current_url_abs_path or ""):
            # 목록에서 다른 대화를 지웠다: 보던 대화에 머물고, 목록의 그 줄만 빠진다 (hx-target)
            return HttpResponse("")
        messages.success(request, _("Deleted “%(title)s”.") % {"title": title})
        if request.htmx:
            return HttpResponseClientRedirect(reverse("chat:index"))
        return redirect(back or "chat:index")


class ConversationTitleView(View):
    """첫 답변이 끝난 화면이 htmx로 부른다. 제목은 사이드바와 머리글에 out-of-band로 바뀐다."""

    async def post(self, request, pk):
        user = await request.auser()
        conversation = await aget_object_or_404(Conversation.objects.for_user(user), pk=pk)
        title = await titles.aconversation_title_generate(
            conversation=conversation, language=request.LANGUAGE_CODE
        )
        if not request.htmx:
            return redirect("chat:conversation", pk=conversation.pk)
        if title is None:
            return HttpResponse(status=204)
        conversation.title = title
        return render(
            request,
            f"{DETAIL_TEMPLATE}#title-update",
            {
                "conversation": conversation,
                "rename_form": ConversationRenameForm(instance=conversation),
            },
        )
