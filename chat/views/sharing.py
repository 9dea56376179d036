"""대화를 밖으로: 내려받기(Markdown, JSON)와 공유 링크 (만들기, 거두기, 열기)."""

import re
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache

from chat import sharing
from chat.models import SharedLink
from chat.streams import DETAIL_TEMPLATE
from chat.transfer import export
from chat.views.shared import OwnConversationMixin

# 내려받는 파일의 이름에 쓰지 않는 글자: 경로 구분자, 윈도가 막는 글자, 제어 문자
UNSAFE_FILENAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')
FILENAME_MAX_CHARS = 80
EXPORT_TYPES = {
    "markdown": ("md", "text/markdown; charset=utf-8"),
    "json": ("json", "application/json; charset=utf-8"),
}


def attachment_header(title: str, extension: str) -> str:
    """Content-Disposition: 한글 제목은 RFC 5987의 filename*로, 옛 브라우저를 위해 ASCII 이름도 함께."""
    name = UNSAFE_FILENAME.sub(" ", title).strip(" .")[:FILENAME_MAX_CHARS] or "conversation"
    fallback = slugify(title)[:FILENAME_MAX_CHARS] or "conversation"
    return (
        f'attachment; filename="{fallback}.{extension}"; '
        f"filename*=UTF-8''{quote(f'{name}.{extension}', safe='')}"
    )


class ConversationExportView(OwnConversationMixin, View):
    """대화 하나를 내려받는다: 지금 갈래만, 답변마다 모델과 시각과 함께 (chat.transfer.export와 같은 내용).

    JSON은 export_conversations의 한 줄과 같은 꼴이라 import_conversations가 그대로 다시 읽는다.
    """

    export_format = "markdown"

    def get(self, request, pk):
        conversation = self.conversation
        # 주인은 요청한 사람이다: 주인을 다시 읽지 않는다
        conversation.owner = request.user
        extension, content_type = EXPORT_TYPES[self.export_format]
        if self.export_format == "json":
            body = export.record_line(export.conversation_record(conversation))
        else:
            body = "".join(export.conversation_markdown(conversation, export.ExportCount()))
        response = HttpResponse(body, content_type=content_type)
        response["Content-Disposition"] = attachment_header(conversation.title, extension)
        return response


def share_links_context(request, conversation) -> dict:
    """Options의 공유 칸이 그리는 것: 거두지 않은 링크마다 복사할 전체 주소."""
    # 사본(snapshot)은 읽지 않는다: 대화 화면마다 도는 곳이고 사본은 갈래 전체라 클 수 있다
    links = list(
        conversation.shared_links.live()
        .only("pk", "token", "created_at")
        .order_by("-created_at", "-pk")
    )
    for link in links:
        link.url = request.build_absolute_uri(reverse("chat:shared-link", args=[link.token]))
    return {
        "share_links": links,
        "share_public": settings.SHARE_LINKS_PUBLIC,
    }


def shared(request, conversation, announcement: str, *, refused: bool = False):
    """공유 칸을 바꾼 뒤: htmx면 그 칸만, JavaScript가 없으면 Options를 연 채로 대화에 돌아간다."""
    if request.htmx:
        context = {
            **share_links_context(request, conversation),
            "conversation": conversation,
            "share_note": announcement,
            "share_refused": refused,
        }
        return render(request, f"{DETAIL_TEMPLATE}#share-links", context)
    (messages.error if refused else messages.success)(request, announcement)
    # 조각(#share-links)이 Options 안의 스크롤을 그 칸으로 옮긴다: 만든 주소가 바로 보인다
    url = reverse("chat:conversation", args=[conversation.pk])
    return redirect(f"{url}?options=share#share-links")


class SharedLinkCreateView(OwnConversationMixin, View):
    """지금 갈래의 사본으로 공유 링크를 하나 만든다."""

    def post(self, request, pk):
        try:
            sharing.shared_link_create(
                conversation=self.conversation, user=request.user, request=request
            )
        except sharing.ShareRefused as refused:
            return shared(request, self.conversation, refused.message, refused=True)
        return shared(request, self.conversation, _("Link created. Copy it from the list below."))


class SharedLinkRevokeView(OwnConversationMixin, View):
    """링크를 거둔다: 그 주소는 404가 된다."""

    def post(self, request, pk):
        link = get_object_or_404(self.conversation.shared_links.live(), pk=self.link_id)
        sharing.shared_link_revoke(link=link, user=request.user, request=request)
        return shared(request, self.conversation, _("Link revoked. It no longer opens."))

    def dispatch(self, request, pk, link_id):
        # OwnConversationMixin.dispatch는 pk만 받는다
        self.link_id = link_id
        return super().dispatch(request, pk)


@method_decorator(login_not_required, name="dispatch")
@method_decorator(never_cache, name="dispatch")
class SharedLinkView(View):
    """공유한 사본을 읽기 전용으로. 이 사이트에 로그인한 누구나 연다 (운영자·강사 포함, 관리 권한 없이).

    SHARE_LINKS_PUBLIC이면 로그인하지 않은 사람도. 거둔 링크, 모르는 토큰, 관리자가 숨긴 대화의 링크는 404다.
    캐시하지 않는다 (never_cache): 거둔 링크를 중간의 캐시가 계속 보여 주지 않게.
    로그인을 먼저 묻는다: 로그인하지 않은 사람에게는 토큰이 있는지조차 말하지 않는다.
    강사가 자기 반 학생의 링크만 여는 규칙은 반(class) 이슈에서 더한다.
    """

    template_name = "chat/shared_link.html"

    def get(self, request, token):
        if not request.user.is_authenticated and not settings.SHARE_LINKS_PUBLIC:
            return redirect_to_login(request.get_full_path())
        link = SharedLink.objects.opened_by_token(token).first()
        if link is None:
            raise Http404
        context = {
            "link": link,
            "shared_messages": sharing.shared_messages(link),
        }
        return render(request, self.template_name, context)
