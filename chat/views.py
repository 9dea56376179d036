"""대화 화면. 요청을 읽고, 서비스나 QuerySet 하나를 부르고, 템플릿을 그린다.

htmx 요청에는 같은 템플릿의 조각(partial)을 돌려주고, JavaScript가 없으면 전체 페이지와
post/redirect/get으로 같은 일을 한다.
"""

import logging

from asgiref.sync import async_to_sync
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import aget_object_or_404, get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views import View
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget

from accounts import usage
from chat import audit, feed, llm, replies, services, streams
from chat.database import release_connection
from chat.forms import (
    ConversationRenameForm,
    ConversationSettingsForm,
    ConversationStartForm,
    MessageForm,
)
from chat.models import Conversation, Message
from chat.streams import DETAIL_TEMPLATE, positive_int
from chatproject import rows

logger = logging.getLogger(__name__)

SIDEBAR_PAGE_SIZE = 30
MESSAGES_PAGE_SIZE = 30
# JavaScript 없이 보내면 답변을 이만큼 기다렸다가 대화로 간다. 더 길면 그 화면이 끝날 때까지 새로 읽는다.
WAIT_WITHOUT_JS_SECONDS = 25


def sidebar_page(request):
    """사이드바의 한 쪽. 쪽 번호가 틀리면 마지막 쪽을 보인다. 항목마다 언제(오늘, 어제…) 묶음을 붙인다."""
    paginator = Paginator(Conversation.objects.for_sidebar(request.user), SIDEBAR_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    today = timezone.localdate()
    previous = None
    if page.has_previous():
        # 앞 쪽의 마지막 항목과 같은 묶음이면 "더 보기"로 이어 붙일 때 묶음 제목을 다시 쓰지 않는다
        before = paginator.object_list[page.start_index() - 2]
        previous = recency_group(before.updated_at, today)
    for item in page:
        item.group = recency_group(item.updated_at, today)
        item.starts_group = item.group != previous
        previous = item.group
    return page


def recency_group(moment, today) -> str:
    """ChatGPT처럼 최근 활동으로 묶는다. 날짜는 TIME_ZONE의 하루로 센다."""
    days = (today - timezone.localdate(moment)).days
    if days <= 0:
        return _("Today")
    if days == 1:
        return _("Yesterday")
    if days < 7:
        return _("Previous 7 days")
    # 관리 화면의 "이전 쪽"과 같은 낱말이라 맥락으로 나눈다
    return pgettext("conversation group", "Older")


def chat_context(request, **extra):
    return {
        "sidebar": sidebar_page(request),
        "is_demo": llm.is_demo(),
        **extra,
    }


def finish_without_js(request, reply: Message):
    """JavaScript 없는 보내기의 끝: 생성 작업이 끝나기를 (정해진 만큼) 기다리고, 첫 답변이면 제목까지 지은 뒤
    대화로 이동한다. 더 걸리면 대화 화면이 답변이 끝날 때까지 스스로 새로 읽는다."""
    if async_to_sync(feed.wait_finished)(reply, WAIT_WITHOUT_JS_SECONDS):
        reply = Message.objects.select_related("conversation").get(pk=reply.pk)
    if reply.conversation.needs_title and reply.is_done:
        services.conversation_title_generate(
            conversation=reply.conversation, language=request.LANGUAGE_CODE
        )
    return redirect(
        f"{reverse('chat:conversation', args=[reply.conversation_id])}#message-{reply.pk}"
    )


def refusal_status(refused: services.ChatRefused, default: int = 429) -> int:
    """JavaScript 없는 화면의 상태 코드: DB가 잠깐 받지 못한 것은 503 (잠시 뒤 다시), 나머지는 default."""
    return 503 if refused.code == "busy" else default


class OwnConversationMixin:
    """URL이 가리키는 대화를 그 사람의 대화 중에서만 찾는다: 남의 대화는 404."""

    def dispatch(self, request, pk):
        self.conversation = own_conversation(request.user, pk)
        return super().dispatch(request, pk)


def own_conversation(user, pk) -> Conversation:
    """Conversation.objects.for_user(user)에서 pk인 것, 없으면 404. 보내기와 스트림마다 돌아 SQL을 직접 쓴다."""
    conversation = rows.get(Conversation, {"pk": pk, "owner": user.pk, "is_hidden": False})
    if conversation is None:
        raise Http404
    return conversation


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
        context = chat_context(
            request, form=ConversationStartForm(initial=initial), examples=EXAMPLES
        )
        return render(request, self.template_name, context)

    def post(self, request):
        form = ConversationStartForm(request.POST)
        if not form.is_valid():
            return self.render_page(form, status=200 if request.htmx else 400)
        try:
            reply = services.conversation_start(
                user=request.user,
                content=form.cleaned_data["content"],
                model=form.cleaned_data["model"],
            )
        except services.ChatRefused as refused:
            form.add_error(None, refused.message)
            return self.render_page(form, status=200 if request.htmx else refusal_status(refused))
        url = reverse("chat:conversation", args=[reply.conversation_id])
        if request.htmx:
            # 대화 화면이 대기 중인 답변을 보고 스트림을 연다
            return HttpResponseClientRedirect(url)
        return finish_without_js(request, reply)

    def render_page(self, form, status):
        """틀린 입력: 입력한 글을 그대로 둔 양식과 이유."""
        if self.request.htmx:
            response = render(self.request, f"{self.template_name}#start-form", {"form": form})
            return reswap(retarget(response, "#start-form"), "outerHTML")
        context = chat_context(self.request, form=form, examples=EXAMPLES)
        return render(self.request, self.template_name, context, status=status)


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


def history_slice(request, conversation):
    """최신부터 한 쪽 + 1개를 읽어 더 이전 것이 있는지 안다. 긴 대화도 전부 읽지 않는다."""
    before = positive_int(request.GET.get("before", ""))
    page = list(conversation.messages.latest_first(before=before)[: MESSAGES_PAGE_SIZE + 1])
    active = [message.pk for message in page if message.is_active]
    if active and replies.sweep_stale(Message.objects.filter(pk__in=active)):
        # 작업이 죽어 멈춘 답변을 중단으로 정리했다: 다시 시도 단추가 보이게 다시 읽는다
        page = list(conversation.messages.latest_first(before=before)[: MESSAGES_PAGE_SIZE + 1])
    has_earlier = len(page) > MESSAGES_PAGE_SIZE
    page = page[:MESSAGES_PAGE_SIZE][::-1]
    if page and before is None:
        streams.mark_latest(page[-1], conversation)
    return {
        "conversation": conversation,
        "history": page,
        "earlier_before": page[0].pk if has_earlier else None,
        "showing_earlier": before is not None,
        "replying": any(message.is_active for message in page),
    }


def conversation_page_context(request, conversation, *, form):
    return chat_context(
        request,
        **history_slice(request, conversation),
        form=form,
        settings_form=ConversationSettingsForm(instance=conversation),
        rename_form=ConversationRenameForm(instance=conversation),
        looks=audit.looks_at(conversation),
    )


class ConversationDetailView(OwnConversationMixin, View):
    """대화 하나: 최근 메시지 한 조각, "이전 메시지" 링크, 입력창, 설정."""

    def get(self, request, pk):
        if request.htmx and "before" in request.GET:
            return render(
                request, f"{DETAIL_TEMPLATE}#earlier", history_slice(request, self.conversation)
            )
        context = conversation_page_context(request, self.conversation, form=MessageForm())
        return render(request, DETAIL_TEMPLATE, context)


class MessageCreateView(OwnConversationMixin, View):
    """메시지 보내기. htmx면 메시지 한 쌍(답변은 스트림에 연결)을, 아니면 답변을 다 만든 뒤 이동."""

    def post(self, request, pk):
        conversation = self.conversation
        form = MessageForm(request.POST)
        if form.is_valid():
            try:
                sent = services.message_post(
                    conversation=conversation,
                    user=request.user,
                    content=form.cleaned_data["content"],
                )
            except services.ChatRefused as refused:
                form.add_error(None, refused.message)
                return self.refuse(request, conversation, form, status=refusal_status(refused, 400))
        if not form.is_valid():
            return self.refuse(request, conversation, form)
        if request.htmx:
            context = {
                "conversation": conversation,
                "sent": sent,
                "form": MessageForm(),
                # 입력창을 다시 그리는 값(조각의 절반)은 계량기가 있을 때만 치른다
                "refresh_composer": usage.quota_for(request.user) > 0,
            }
            return render(request, f"{DETAIL_TEMPLATE}#sent", context)
        return finish_without_js(request, sent.reply)

    def refuse(self, request, conversation, form, status=400):
        """입력한 글은 입력창에 그대로 남기고 이유를 보인다."""
        if request.htmx:
            response = render(
                request, f"{DETAIL_TEMPLATE}#composer", {"conversation": conversation, "form": form}
            )
            return reswap(retarget(response, "#composer"), "outerHTML")
        return render(
            request,
            DETAIL_TEMPLATE,
            conversation_page_context(request, conversation, form=form),
            status=status,
        )


class ReplyStreamView(View):
    """답변 스트림(SSE)의 Django 입구: 표(t=)가 없거나 맞지 않는 요청만 온다 (맞으면 chat.streams.serve가 받는다).

    세션으로 로그인을 확인하고, 남의 답변은 404다. 다시 연결하면 Last-Event-ID(없으면 ?from=, 페이지가 이미 보인
    글자 수) 뒤부터 받는다.
    """

    def get(self, request, pk):
        # 동기 뷰: 요청의 스레드에서 바로 읽는다 (비동기 뷰는 ORM마다 스레드를 오간다). 돌려준 스트림만 루프에서 흐른다.
        # 가벼운 입구와 같은 확인: 남의 답변이나 숨긴 대화의 답변은 404
        reply = streams.owned_reply(pk, request.user)
        if reply is None:
            raise Http404
        offset = positive_int(request.headers.get("Last-Event-ID", "")) or positive_int(
            request.GET.get("from", "")
        )
        # 세션·사용자·답변을 읽은 연결은 여기서 돌려준다: 스트림이 열려 있는 동안 쥐지 않는다
        release_connection()
        events = streams.until_access_lost(
            streams.reply_events(request, reply, offset or 0),
            request.session.session_key,
            request.user,
            reply.conversation_id,
        )
        response = StreamingHttpResponse(events, content_type="text/event-stream")
        response["Cache-Control"] = "no-cache"
        # nginx 같은 프록시가 모아 두지 않게
        response["X-Accel-Buffering"] = "no"
        return response


class MessageSourceView(View):
    """복사 단추가 가져가는 메시지 원문 (답변은 마크다운 그대로). 페이지에 원문을 두 번 싣지 않으려고 따로 준다."""

    def get(self, request, pk):
        message = get_object_or_404(Message.objects.for_user(request.user).only("content"), pk=pk)
        response = HttpResponse(message.content, content_type="text/plain; charset=utf-8")
        response["Cache-Control"] = "private, no-store"
        return response


class ReplyStopView(View):
    def post(self, request, pk):
        reply = get_object_or_404(
            Message.objects.for_user(request.user), pk=pk, role=Message.Role.ASSISTANT
        )
        services.reply_stop(reply=reply)
        if request.htmx:
            # 화면은 스트림의 마지막 프레임이 바꾼다
            return HttpResponse(status=204)
        return redirect(
            f"{reverse('chat:conversation', args=[reply.conversation_id])}#message-{reply.pk}"
        )


class ReplyRetryView(View):
    def post(self, request, pk):
        reply = get_object_or_404(
            Message.objects.for_user(request.user).select_related("conversation"),
            pk=pk,
            role=Message.Role.ASSISTANT,
        )
        url = reverse("chat:conversation", args=[reply.conversation_id])
        try:
            reply = services.reply_retry(reply=reply, user=request.user)
        except services.ChatRefused as refused:
            if request.htmx:
                response = render(
                    request, f"{DETAIL_TEMPLATE}#chat-alert", {"alert": refused.message}
                )
                return reswap(retarget(response, "#chat-alert"), "outerHTML")
            messages.error(request, refused.message)
            return redirect(url)
        if request.htmx:
            return render(
                request,
                f"{DETAIL_TEMPLATE}#message",
                {"message": reply, "conversation": reply.conversation},
            )
        return finish_without_js(request, reply)


class ConversationSettingsView(OwnConversationMixin, View):
    """모델과 시스템 프롬프트."""

    def post(self, request, pk):
        conversation = self.conversation
        form = ConversationSettingsForm(request.POST, instance=conversation)
        saved = form.is_valid()
        if saved:
            services.conversation_configure(
                conversation=conversation,
                model=form.cleaned_data["model"],
                system_prompt=form.cleaned_data["system_prompt"],
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
                "rename_form": form,
                "renamed": form.is_valid(),
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
        return render(request, self.template_name, {"conversation": self.conversation})

    def post(self, request, pk):
        title = self.conversation.title
        services.conversation_delete(conversation=self.conversation)
        messages.success(request, _("Deleted “%(title)s”.") % {"title": title})
        if request.htmx:
            return HttpResponseClientRedirect(reverse("chat:index"))
        return redirect("chat:index")


class ConversationTitleView(View):
    """첫 답변이 끝난 화면이 htmx로 부른다. 제목은 사이드바와 머리글에 out-of-band로 바뀐다."""

    async def post(self, request, pk):
        user = await request.auser()
        conversation = await aget_object_or_404(Conversation.objects.for_user(user), pk=pk)
        title = await services.aconversation_title_generate(
            conversation=conversation, language=request.LANGUAGE_CODE
        )
        if not request.htmx:
            return redirect("chat:conversation", pk=conversation.pk)
        if title is None:
            return HttpResponse(status=204)
        conversation.title = title
        return render(request, f"{DETAIL_TEMPLATE}#title-update", {"conversation": conversation})
