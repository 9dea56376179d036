"""첨부 파일 받기(입력창의 두 뷰가 함께 쓴다)와 내려받기.

내려받기는 주인 규칙(Attachment.objects.readable_by)을 거친다: 남의 파일은 404. 주인이 아닌 사람(관리자, 반의 강사)이
열면 대화를 읽은 것으로 기록한다: 학생이 대화 위의 "강사·운영자가 읽음" 줄에서 본다.
"""

import logging
import time

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views import View

from chat import moderation
from chat.attachments import services as attachments
from chat.attachments.models import Attachment

logger = logging.getLogger(__name__)


def take_files(request, form) -> list[Attachment]:
    """올린 파일과 입력창이 다시 보낸 "올려 둔 파일"을 받는다. 받지 못한 파일은 양식의 attachments 오류가 되고 (까닭과
    이름), 받은 것은 form.staged로 다음 화면의 입력창에 남는다: 거절되어도 다시 올리지 않는다."""
    staged = attachments.staged(request.user, request.POST.getlist("kept"))
    form.staged = staged
    uploads = [upload for upload in request.FILES.getlist("attachments") if upload.name]
    if getattr(request, "uploads_over_message_limit", False):
        # 받는 동안 합이 한도를 넘었다: 그 뒤의 파일은 받지 않았으니, 받은 것도 붙이지 않고 한 문장으로 알린다
        uploads = []
        form.add_error("attachments", attachments.message_too_large())
    for name in getattr(request, "skipped_uploads", []):
        form.add_error(
            "attachments",
            _("%(name)s: files may be at most %(size)s.")
            % {
                "name": attachments.extract.clean_name(name),
                "size": attachments.size_label(attachments.max_file_bytes()),
            },
        )
    try:
        # 받아 둔 파일도 이 메시지의 것이다: 거절된 양식을 여러 번 거쳐 한도보다 많이 모으지 않게
        attachments.message_check(
            sizes=[upload.size for upload in uploads] + [item.size for item in staged]
        )
    except attachments.AttachmentRefused as refused:
        form.add_error("attachments", refused.message)
        return staged
    if not uploads:
        if not staged and not form.errors.get("attachments"):
            _require_text(form)
        return staged
    # 한 메시지의 파일들이 꺼내기 시간을 나눠 쓴다: 적대적인 파일 다섯이 요청을 프록시의 제한 시간 너머로 끌지 않게
    deadline = time.monotonic() + settings.ATTACHMENT_EXTRACT_SECONDS
    for upload in uploads:
        try:
            staged.append(
                attachments.attachment_stage(
                    user=request.user,
                    upload=upload,
                    seconds=max(0.5, deadline - time.monotonic()),
                    keep=staged,
                )
            )
        except attachments.AttachmentRefused as refused:
            form.add_error("attachments", refused.message)
    return staged


def _require_text(form) -> None:
    """올린 파일도 받아 둔 파일도 없는데 글이 비었다. 양식이 글을 꼭 받지 않게 된 것은 보낸 값(kept) 때문이지 받은
    파일 때문이 아닐 수 있다 (남의 번호, 지운 번호): 받은 것을 보고 다시 정한다."""
    if not form.data.get("content", "").strip() and not form.has_error("content"):
        form.add_error("content", form.fields["content"].error_messages["required"])


def _found(request, pk) -> Attachment:
    attachment = get_object_or_404(Attachment.objects.readable_by(request.user), pk=pk)
    if attachment.message_id is not None and attachment.owner_id != request.user.pk:
        conversation = attachment.message.conversation
        moderation.conversation_view_record(
            conversation=conversation, viewer=request.user, request=request
        )
    return attachment


def _read(name: str) -> bytes:
    """파일은 한도(ATTACHMENT_MAX_FILE_MB) 안이다: 한 번에 읽어 보낸다 (ASGI에서 동기 반복자로 흘리지 않는다).

    행은 있는데 저장소에 파일이 없으면 404: 호스트마다 제 디스크에 둔 배포(docs/deploy-nginx.md)나 손으로 지운 폴더다.
    """
    try:
        with attachments.attachment_storage().open(name, "rb") as handle:
            return handle.read()
    except Exception as error:
        # S3는 없는 키를 botocore의 ClientError로 알린다: 저장소마다 다른 예외를 여기서 하나로
        logger.warning(
            "attachment file missing from storage name=%s error=%s", name, type(error).__name__
        )
        raise Http404 from None


def _guarded(response: HttpResponse) -> HttpResponse:
    """브라우저가 내용을 짐작해 HTML로 그리지 않게, 그리더라도 스크립트가 돌지 않게."""
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


class AttachmentDownloadView(View):
    """올린 그대로의 파일. 늘 내려받기(attachment)로: 브라우저가 페이지로 열지 않는다."""

    def get(self, request, pk):
        attachment = _found(request, pk)
        if attachment.is_missing:
            raise Http404
        response = HttpResponse(
            _read(attachment.file.name), content_type="application/octet-stream"
        )
        response["Content-Disposition"] = _disposition("attachment", attachment.name)
        return _guarded(response)


class AttachmentPreviewView(View):
    """그림의 서버가 다시 그린 사본 (큰 것, 또는 ?size=thumb이면 말풍선의 작은 것): 원본의 다른 내용은 없으므로
    그림으로 연다."""

    def get(self, request, pk):
        attachment = _found(request, pk)
        field = attachment.thumbnail if request.GET.get("size") == "thumb" else attachment.preview
        if not attachment.is_image or not field:
            raise Http404
        data = _read(field.name)
        kind = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
        response = HttpResponse(data, content_type=kind)
        response["Content-Disposition"] = _disposition("inline", attachment.name)
        return _guarded(response)


def _disposition(kind: str, name: str) -> str:
    """RFC 6266: 한글 이름은 filename*로, 옛 브라우저를 위해 ASCII로 바꾼 이름도 함께."""
    from urllib.parse import quote

    fallback = name.encode("ascii", "replace").decode("ascii").replace('"', "'").replace("?", "_")
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
