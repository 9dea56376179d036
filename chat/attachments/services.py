"""첨부 파일을 받고, 메시지에 붙이고, 지운다.

올릴 때 한 번 종류를 내용으로 가리고 글을 꺼내 행에 둔다 (chat.attachments.extract): 답변마다 다시 읽지 않는다.
보내기가 거절되어도 받은 파일은 "올려 둔 것"(message 없음)으로 남아 입력창에 다시 보인다: 다시 올리지 않는다.
"""

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chat.attachments import extract
from chat.attachments.models import Attachment, attachment_storage

logger = logging.getLogger(__name__)

MB = 1024 * 1024
# 보내지 않고 두고 간 파일은 이만큼 지나면 다음 올리기 때 지운다
STAGED_LIFETIME = timedelta(days=1)


class AttachmentRefused(Exception):
    """그 파일을 받지 않는 까닭. 문장은 번역되어 있고 파일 이름을 담는다."""

    def __init__(self, *, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def _refused(code: str, name: str, reason: str) -> AttachmentRefused:
    return AttachmentRefused(
        code=code, message=_("%(name)s: %(reason)s") % {"name": name, "reason": reason}
    )


def size_label(size: int) -> str:
    """사람이 읽는 크기 (거절 문장에 쓴다). 템플릿은 filesizeformat을 쓴다."""
    from django.template.defaultfilters import filesizeformat

    return filesizeformat(size)


def max_file_bytes() -> int:
    return settings.ATTACHMENT_MAX_FILE_MB * MB


def message_check(*, sizes: list[int]) -> None:
    """메시지 하나의 파일 수와 합한 크기. sizes는 새로 올린 것과 이미 올려 둔 것 모두의 크기다."""
    if len(sizes) > settings.ATTACHMENT_MAX_FILES:
        raise AttachmentRefused(
            code="too_many",
            message=_("Attach at most %(count)d files to one message.")
            % {"count": settings.ATTACHMENT_MAX_FILES},
        )
    if sum(sizes) > settings.ATTACHMENT_MAX_MESSAGE_MB * MB:
        raise AttachmentRefused(code="message_too_large", message=message_too_large())


def message_too_large() -> str:
    return _(
        "The files of one message may be %(size)s in all. Send some of them in the next message."
    ) % {"size": size_label(settings.ATTACHMENT_MAX_MESSAGE_MB * MB)}


def attachment_stage(*, user, upload, seconds: float | None = None, keep=()) -> Attachment:
    """올린 파일 하나를 살피고 저장한다. 받지 않으면 AttachmentRefused (아무것도 남기지 않는다).

    seconds: 꺼내기에 쓸 수 있는 남은 시간 (한 메시지의 파일들이 ATTACHMENT_EXTRACT_SECONDS를 나눠 쓴다).
    keep: 같은 요청이 붙이려는 올려 둔 파일. 오래되었어도 이 요청에서는 지우지 않는다.
    """
    name = extract.clean_name(upload.name or "")
    size = upload.size or 0
    if size > settings.ATTACHMENT_MAX_FILE_MB * MB:
        raise _refused(
            "file_too_large",
            name,
            _("files may be at most %(size)s.")
            % {"size": size_label(settings.ATTACHMENT_MAX_FILE_MB * MB)},
        )
    if Attachment.objects.owned_size(user) + size > settings.ATTACHMENT_USER_STORAGE_MB * MB:
        raise _storage_full(name)
    upload.seek(0)
    data = upload.read(settings.ATTACHMENT_MAX_FILE_MB * MB + 1)
    try:
        found = extract.extract(
            data,
            filename=name,
            max_chars=settings.ATTACHMENT_TEXT_CHARS,
            seconds=settings.ATTACHMENT_EXTRACT_SECONDS if seconds is None else seconds,
            memory_mb=settings.ATTACHMENT_EXTRACT_MEMORY_MB,
        )
    except extract.Unreadable as unreadable:
        logger.info("attachment refused user=%s code=%s size=%d", user.pk, unreadable.code, size)
        raise _refused(unreadable.code, name, unreadable.message) from None
    _forget_old_staged(user, keep=keep)
    try:
        stored = _store(user=user, name=name, data=data, found=found)
    except Exception:
        # 디스크가 찼거나 S3가 닿지 않는다: 500 대신 다시 해 볼 수 있다는 거절 (입력한 글과 다른 파일은 남는다)
        logger.exception("could not store attachment user=%s size=%d", user.pk, size)
        raise _refused(
            "unavailable", name, _("files cannot be saved right now. Try again in a moment.")
        ) from None
    _quota_recheck(user=user, stored=stored)
    return stored


def _quota_recheck(*, user, stored: Attachment) -> None:
    """저장한 뒤 그 사람의 행을 잠그고 다시 센다: 탭 여럿이 동시에 올려 앞의 검사를 함께 지나도 한도를 넘지 않게.
    넘었으면 방금 만든 행을 지운다 (파일은 커밋 뒤에 on_delete가 지운다)."""
    from accounts.models import User

    limit = settings.ATTACHMENT_USER_STORAGE_MB * MB
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).exists()
        if Attachment.objects.owned_size(user) <= limit:
            return
        stored.delete()
    raise _storage_full(stored.name)


def _storage_full(name: str) -> AttachmentRefused:
    return _refused(
        "storage_full",
        name,
        _(
            "your files take up %(size)s, the most you may keep. Delete old conversations with files to make room."
        )
        % {"size": size_label(settings.ATTACHMENT_USER_STORAGE_MB * MB)},
    )


def _store(*, user, name: str, data: bytes, found: extract.Extracted) -> Attachment:
    """파일(과 그림이면 줄인 그림 두 개)을 저장소에 쓰고 행을 만든다. 행을 못 만들면 쓴 파일을 지운다."""
    storage = attachment_storage()
    stem = f"{user.pk}/{uuid.uuid4().hex}"
    written = [storage.save(stem, ContentFile(data))]
    try:
        preview = thumbnail = ""
        if found.image is not None:
            preview = storage.save(f"{stem}-preview", ContentFile(found.image))
            written.append(preview)
        if found.thumbnail is not None:
            thumbnail = storage.save(f"{stem}-thumb", ContentFile(found.thumbnail))
            written.append(thumbnail)
        return Attachment.objects.create(
            owner=user,
            name=name,
            kind=found.kind,
            content_type=found.content_type,
            size=len(data),
            file=written[0],
            preview=preview,
            thumbnail=thumbnail,
            width=found.width,
            height=found.height,
            text=found.text,
            text_truncated=found.truncated,
            encoding=found.encoding,
            pages=found.pages,
        )
    except Exception:
        _delete_stored(written)
        raise


def staged(user, ids) -> list[Attachment]:
    """입력창이 다시 보낸 "올려 둔 파일" 번호 중 그 사람의 것만 (남의 번호는 조용히 빠진다)."""
    # 고친 양식의 값: ASCII 숫자만, 자릿수도 묶는다 ("²"는 isdigit이지만 int가 아니고, 아주 큰 수는 SQLite가 넘친다)
    ids = [int(pk) for pk in ids if pk.isascii() and pk.isdigit() and len(pk) <= 18]
    if not ids:
        return []
    return list(Attachment.objects.staged_by(user).filter(pk__in=ids))


def attach(*, message, attachments: list[Attachment]) -> None:
    """보낸 메시지에 올려 둔 파일을 붙인다. 보내기의 트랜잭션 안에서 부른다.

    하나라도 이미 다른 메시지에 붙었거나(다른 탭) 지워졌으면 거절한다: 트랜잭션이 메시지까지 되돌리므로 파일 없이
    "파일이 있다"고 적힌 질문이 남지 않는다.
    """
    from chat.services.rules import ChatRefused, RefusalCode

    if not attachments:
        return
    attached = Attachment.objects.filter(
        pk__in=[item.pk for item in attachments], message__isnull=True
    ).update(message=message)
    if attached != len(attachments):
        raise ChatRefused(
            code=RefusalCode.FILES_GONE,
            message=_(
                "Some of the files were already sent in another tab or have expired. Attach them again."
            ),
        )
    message.has_attachments = True
    message._attachments = attachments
    type(message).objects.filter(pk=message.pk).update(has_attachments=True)


def copy(*, items, message) -> None:
    """고쳐 보낸 질문이 옛 질문의 파일(items)을 이어받는다: 행은 새로, 저장한 파일은 나눠 쓴다."""
    if not items:
        return
    copies = []
    # 새로 읽는다: 넘겨받은 행은 옛 말풍선이 쥔 것이고 (바꾸면 옛 질문의 파일이 바뀐다), text를 미뤄 읽었을 수 있다
    for item in Attachment.objects.filter(pk__in=[item.pk for item in items]).order_by("pk"):
        item.pk = None
        item._state.adding = True
        item.message = message
        item.shares_file = True
        copies.append(item)
    Attachment.objects.bulk_create(copies)
    message.has_attachments = True
    type(message).objects.filter(pk=message.pk).update(has_attachments=True)


def prefetch(messages) -> None:
    """여러 말풍선의 파일을 한 번에 읽어 둔다 (Message.attachment_list). 파일이 있는 메시지가 없으면 묻지 않는다."""
    wanted = {message.pk: message for message in messages if message.has_attachments}
    if not wanted:
        return
    for message in wanted.values():
        message._attachments = []
    for item in Attachment.objects.filter(message_id__in=wanted).defer("text"):
        wanted[item.message_id]._attachments.append(item)


def _forget_old_staged(user, *, keep=()) -> None:
    """하루 넘게 보내지 않은 파일: 입력창을 떠난 것이다. 지금 붙이려는 것(keep)은 남긴다."""
    forget_staged(owner=user, keep=keep)


def forget_staged(*, owner=None, keep=()) -> int:
    """STAGED_LIFETIME보다 오래 보내지 않은 파일을 지운다 (owner가 없으면 모두). 지운 수를 돌려준다.
    올릴 때마다 그 사람의 것을, 매일의 purge_conversations가 모두의 것을 지운다."""
    old = Attachment.objects.filter(
        message__isnull=True, created_at__lt=timezone.now() - STAGED_LIFETIME
    ).defer("text")
    if owner is not None:
        old = old.filter(owner=owner)
    if keep:
        old = old.exclude(pk__in=[item.pk for item in keep])
    return old.delete()[1].get(Attachment._meta.label, 0)


def attachment_discard(*, user, attachment_id) -> bool:
    """입력창에서 올려 둔 파일을 뺀다."""
    found = Attachment.objects.staged_by(user).filter(pk=attachment_id).first()
    if found is None:
        return False
    found.delete()
    return True


def forget_files(names: list[str]) -> None:
    """지운 행의 파일: 다른 행(고쳐 보낸 질문의 사본)이 아직 쓰지 않으면 저장소에서 지운다. 커밋 뒤에 부른다."""
    from django.db.models import Q

    if not names:
        return
    used = set()
    for row in Attachment.objects.filter(
        Q(file__in=names) | Q(preview__in=names) | Q(thumbnail__in=names)
    ).values_list("file", "preview", "thumbnail"):
        used.update(row)
    _delete_stored([name for name in names if name not in used])


def _delete_stored(names: list[str]) -> None:
    storage = attachment_storage()
    for name in names:
        try:
            storage.delete(name)
        except Exception:
            # 저장소가 잠시 닿지 않으면 파일이 남는다: 행은 이미 없으므로 아무도 읽을 수 없다
            logger.exception("could not delete attachment file %s", name)


def on_delete(attachment: Attachment) -> None:
    """행이 지워지면 (대화 지우기, 정리 명령, 계정 지우기의 CASCADE까지) 커밋 뒤에 파일도 지운다."""
    names = attachment.stored_names
    if names:
        transaction.on_commit(lambda: forget_files(names))
