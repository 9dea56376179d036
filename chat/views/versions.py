"""버전: 답변 다시 생성, 질문 고쳐 보내기, "‹ 2 / 3 ›"로 갈래 바꾸기.

htmx면 대화 목록(#messages)을 지금 갈래로 다시 그린다: 앞 메시지를 고치거나 갈래를 바꾸면 그 뒤가 통째로
바뀌기 때문이다. JavaScript가 없으면 양식을 보내고 대화로 돌아간다 (새 답변이면 짧게 기다린다).
"""

from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View
from django_htmx.http import reswap, retarget

from chat import services
from chat.forms import ComposerForm, MessageEditForm
from chat.models import Message
from chat.streams import DETAIL_TEMPLATE
from chat.views.conversations import around_url, conversation_page_context, history_slice
from chat.views.shared import (
    finish_without_js,
    own_conversation,
    refusal_status,
    render_in_place,
)
from core import rows


def own_message(request, pk, role) -> Message:
    """그 사람이 볼 수 있는 대화의 메시지 (대화가 붙은 것). 남의 것은 404.

    다시 생성은 보내기만큼 자주 도는 곳이라 SQL을 직접 쓴다 (core.rows): 행 둘을 읽는다.
    """
    message = rows.get(Message, {"pk": pk, "role": role})
    if message is None:
        raise Http404
    message.conversation = own_conversation(request.user, message.conversation_id)
    return message


def history_swap(request, conversation, *, focus=None):
    """지금 갈래로 다시 그린 대화 목록과, 답변이 쓰이는지에 맞춘 보내기 단추. focus면 그 메시지가 든 쪽을."""
    context = history_slice(request, conversation, around=focus)
    return render(request, f"{DETAIL_TEMPLATE}#history-swap", {**context, "focus": focus})


def refused_in_place(request, conversation, refused):
    """거절: 대화는 그대로, 입력창 위의 알림 자리에 이유를 보인다."""
    return render_in_place(
        request,
        DETAIL_TEMPLATE,
        "chat-alert",
        {"alert": refused.message},
        page=lambda: conversation_page_context(
            request, conversation, form=ComposerForm(), alert=refused.message
        ),
        status=refusal_status(refused.code),
    )


class ReplyRegenerateView(View):
    """끝난 답변의 새 버전. 실패하거나 멈춘 답변의 "다시 시도"도 이것이다: 옛 글은 버전으로 남는다."""

    def post(self, request, pk):
        old = own_message(request, pk, Message.Role.ASSISTANT)
        was_latest = old.conversation.current_leaf_id == old.pk
        try:
            reply = services.reply_regenerate(reply=old, user=request.user)
        except services.ChatRefused as refused:
            return refused_in_place(request, old.conversation, refused)
        if request.htmx and was_latest:
            # 마지막 답변을 다시 생성했다 (대개 이렇다): 그 답변 자리만 새 버전으로 바꾼다. 보내기만큼 싸다
            context = {"message": reply, "conversation": reply.conversation}
            response = render(request, f"{DETAIL_TEMPLATE}#reply-swap", context)
            return reswap(retarget(response, f"#message-{old.pk}"), "outerHTML")
        if request.htmx:
            # 앞의 답변: 그 뒤의 대화가 옛 갈래로 가므로 목록을 다시 그린다
            return history_swap(request, reply.conversation)
        return finish_without_js(request, reply)


def kept_file_ids(request) -> set[int] | None:
    """고치기 양식에서 남긴 옛 질문의 파일 번호. 양식이 파일 칸을 그리지 않았으면(files_listed 없음) None: 모두 남긴다.

    번호는 옛 질문의 파일과 견주기만 한다 (message_edit): 남의 번호나 고친 값은 아무것도 고르지 않는다.
    """
    if "files_listed" not in request.POST:
        return None
    # 자릿수도 묶는다: 아주 긴 숫자는 int()가 거절한다 (attachments.staged와 같은 규칙)
    return {
        int(pk)
        for pk in request.POST.getlist("keep_file")
        if pk.isascii() and pk.isdigit() and len(pk) <= 18
    }


class MessageEditView(View):
    """질문 고쳐 보내기. 양식은 메시지 밑의 접힌 칸에 있고, 틀리게 보내면 JavaScript 없이는 이 화면에서 고친다."""

    template_name = "chat/message_edit.html"

    def get(self, request, pk):
        message = own_message(request, pk, Message.Role.USER)
        context = {"message": message, "conversation": message.conversation}
        if request.htmx:
            return render(request, f"{DETAIL_TEMPLATE}#edit-form", context)
        return render(request, self.template_name, context)

    def post(self, request, pk):
        message = own_message(request, pk, Message.Role.USER)
        form = MessageEditForm(request.POST)
        keep = kept_file_ids(request)
        if form.is_valid():
            try:
                sent = services.message_edit(
                    message=message,
                    user=request.user,
                    content=form.cleaned_data["content"],
                    keep_files=keep,
                )
            except services.ChatRefused as refused:
                form.add_error(None, refused.message)
                return self.render_again(message, form, refusal_status(refused.code), keep)
        if not form.is_valid():
            return self.render_again(message, form, 400, keep)
        if request.htmx:
            return history_swap(request, message.conversation)
        return finish_without_js(request, sent.reply)

    def render_again(self, message, form, status, keep):
        """고친 글과 고른 파일을 잃지 않는다: htmx면 그 메시지의 양식만, 아니면 고치기 화면을 다시."""
        context = {
            "message": message,
            "edit_form": form,
            "conversation": message.conversation,
            "kept_files": keep,
        }
        if self.request.htmx:
            response = render(self.request, f"{DETAIL_TEMPLATE}#edit-form", context)
            return reswap(retarget(response, f"#edit-form-{message.pk}"), "outerHTML")
        return render(self.request, self.template_name, context, status=status)


class MessageShowView(View):
    """ "‹ 2 / 3 ›": 그 버전을 지나는 갈래를 지금 갈래로 삼는다. 옛 갈래도 지워지지 않는다."""

    def post(self, request, pk):
        message = get_object_or_404(
            Message.objects.for_user(request.user).select_related("conversation"), pk=pk
        )
        try:
            services.branch_switch(message=message)
        except services.ChatRefused as refused:
            return refused_in_place(request, message.conversation, refused)
        if request.htmx:
            return history_swap(request, message.conversation, focus=message.pk)
        # 고른 버전 밑의 대화가 길어도 그 버전이 보이는 쪽으로
        return redirect(around_url(message.conversation_id, message.pk))
