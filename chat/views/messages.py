"""메시지 보내기와 복사 단추가 가져가는 원문."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views import View

from accounts import usage
from chat import services
from chat.forms import ComposerForm
from chat.models import Message
from chat.streams import DETAIL_TEMPLATE
from chat.views.attachments import take_files
from chat.views.conversations import conversation_page_context, history_slice
from chat.views.shared import (
    OwnConversationMixin,
    class_context,
    finish_without_js,
    refusal_status,
    render_in_place,
)


class MessageCreateView(OwnConversationMixin, View):
    """메시지 보내기. htmx면 메시지 한 쌍(답변은 스트림에 연결)을, 아니면 답변을 다 만든 뒤 이동."""

    def post(self, request, pk):
        conversation = self.conversation
        form = ComposerForm(request.POST, request.FILES)
        files = take_files(request, form)
        if form.is_valid():
            try:
                sent = services.message_post(
                    conversation=conversation,
                    user=request.user,
                    content=form.cleaned_data["content"],
                    seen_leaf=form.cleaned_data["leaf"],
                    files=files,
                )
            except services.ChatRefused as refused:
                form.add_error(None, refused.message)
                return self.render_again(
                    form,
                    status=refusal_status(refused.code),
                    # 다른 탭에서 답변이 쓰이는 중이었다: 보내기 단추는 꺼진 채로 둔다
                    replying=refused.code == services.RefusalCode.REPLY_IN_PROGRESS,
                    # 다른 창에서 갈래가 바뀌었다: 지금 갈래를 함께 다시 그린다
                    redraw=refused.code == services.RefusalCode.BRANCH_CHANGED,
                )
        if not form.is_valid():
            return self.render_again(form, status=400)
        if request.htmx:
            context = {
                "conversation": conversation,
                "sent": sent,
                "form": ComposerForm(),
                # 입력창을 다시 그리는 값은 조각에서 큰 몫이라 계량기가 있을 때만 치른다
                # (docs/architecture.md "작업 시작과 응답 두 갈래")
                "refresh_composer": usage.quota_for(request.user) > 0,
                # 보내기 단추는 답변이 쓰이는 동안 꺼진다 (곧바로 실패했으면 켜진 채로)
                "replying": sent.reply.is_active,
            }
            return render(request, f"{DETAIL_TEMPLATE}#sent", context)
        return finish_without_js(request, sent.reply)

    def render_again(self, form, status, replying=False, redraw=False):
        """틀린 입력이나 거절: 입력한 글은 입력창에 그대로 남기고 이유를 보인다. redraw면 대화 목록도 지금 갈래로
        (htmx면 out-of-band로)."""
        context = {
            "conversation": self.conversation,
            "form": form,
            "replying": replying,
            # 반이 끝났다는 거절이면 입력창 자리가 그 까닭 한 문장으로 바뀐다
            **class_context(self.request),
        }
        if redraw:
            context.update(history_slice(self.request, self.conversation), redraw=True)
        return render_in_place(
            self.request,
            DETAIL_TEMPLATE,
            "composer",
            context,
            page=lambda: conversation_page_context(self.request, self.conversation, form=form),
            status=status,
        )


class MessageSourceView(View):
    """복사 단추가 가져가는 메시지 원문 (답변은 마크다운 그대로). 페이지에 원문을 두 번 싣지 않으려고 따로 준다."""

    def get(self, request, pk):
        message = get_object_or_404(Message.objects.for_user(request.user).only("content"), pk=pk)
        response = HttpResponse(message.content, content_type="text/plain; charset=utf-8")
        response["Cache-Control"] = "private, no-store"
        return response
