"""첨부 파일 한 개의 행. 파일 자체는 저장소 API(STORAGES["attachments"])에, 꺼낸 글은 이 행에 둔다."""

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chat.attachments.extract import Kind

# 말풍선의 작은 그림의 긴 변 (chat.attachments.extract가 그렇게 줄인다)
THUMB_SIDE = 160


def attachment_storage():
    """설정의 저장소. 함수라 마이그레이션에 저장소 설정이 적히지 않는다.

    FileField는 이 함수를 필드를 만들 때 한 번 부른다: 파일을 읽고 쓰고 지우는 코드는 field.storage가 아니라 늘 이
    함수를 불러, 시험이 STORAGES를 바꿔도 지금의 저장소에 닿는다.
    """
    return storages["attachments"]


class AttachmentQuerySet(models.QuerySet):
    def staged_by(self, user):
        """그 사람이 올렸지만 아직 보내지 않은 파일 (거절된 보내기가 남긴 것)."""
        return self.filter(owner=user, message__isnull=True)

    def readable_by(self, user):
        """내려받을 수 있는 파일: 자기 대화(숨기지 않은)의 것과 자기가 올려 둔 것, 관리자(대화 보기 권한)는 모두,
        강사는 가르치는 반의 숨기지 않은 대화의 것 (CLASS_INSTRUCTORS_CAN_READ). 나머지는 404."""
        from chat.models import visible_conditions

        rule = Q(owner=user, message__isnull=True) | Q(
            **{
                f"message__conversation__{name}": value
                for name, value in visible_conditions(user).items()
            }
        )
        if user.has_perm("chat.view_conversation"):
            rule |= Q(message__isnull=False)
        elif settings.CLASS_INSTRUCTORS_CAN_READ:
            from accounts.models import Course

            # 강사가 읽는 반의 대화와 같은 규칙 (chat.teaching.class_conversations): 숨기지 않았고, 주인이 아직 그 반에 있다
            rule |= Q(
                message__conversation__course__in=Course.objects.taught_by(user),
                message__conversation__is_hidden=False,
                message__conversation__owner__memberships__course=F(
                    "message__conversation__course"
                ),
            )
        return self.filter(rule).distinct()

    def owned_size(self, user) -> int:
        """그 사람이 차지한 바이트. 고쳐 보내기가 만든 사본(shares_file)은 같은 파일이라 세지 않는다."""
        # 가져온 대화의 파일처럼 이름만 있는 행(file 없음)은 아무것도 차지하지 않는다
        total = (
            self.filter(owner=user, shares_file=False)
            .exclude(file="")
            .aggregate(total=models.Sum("size"))
        )
        return total["total"] or 0


class Attachment(models.Model):
    Kind = Kind

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="attachments",
        verbose_name=_("owner"),
    )
    # 보내기 전(거절된 보내기가 남긴 것)에는 비어 있다
    message = models.ForeignKey(
        "chat.Message",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
        verbose_name=_("message"),
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    # 올린 그대로의 파일. 가져온 대화의 파일처럼 내용 없이 이름만 남긴 것은 비어 있다
    file = models.FileField(_("file"), storage=attachment_storage, max_length=255, blank=True)
    # 그림: 모델에 보내는 줄인 그림과 말풍선의 작은 그림 (서버가 다시 그려 원본의 다른 내용은 없다)
    preview = models.FileField(_("preview"), storage=attachment_storage, max_length=255, blank=True)
    thumbnail = models.FileField(
        _("thumbnail"), storage=attachment_storage, max_length=255, blank=True
    )
    width = models.PositiveIntegerField(_("width"), default=0)
    height = models.PositiveIntegerField(_("height"), default=0)
    # 올릴 때 한 번 꺼낸 글. 모델에 가는 것은 이것이다
    text = models.TextField(_("text"), blank=True)
    text_truncated = models.BooleanField(_("text cut short"), default=False)
    encoding = models.CharField(_("encoding"), max_length=40, blank=True)
    pages = models.PositiveIntegerField(_("pages"), default=0)
    # 고쳐 보낸 질문이 옛 질문의 파일을 이어받은 사본: 파일을 나눠 쓴다 (크기를 두 번 세지 않는다)
    shares_file = models.BooleanField(_("shares the file of another row"), default=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["pk"]
        indexes = [models.Index(fields=["owner", "message"], name="attachment_owner_idx")]

    def __str__(self):
        return self.name

    @property
    def is_image(self):
        return self.kind == Kind.IMAGE

    @property
    def is_missing(self):
        """가져온 대화의 파일처럼 이름만 있고 내용이 없다."""
        return not self.file

    missing_note = _("Not imported: only the name was kept")

    @property
    def thumb_size(self) -> tuple[int, int]:
        """작은 그림의 크기 (긴 변 THUMB_SIDE): 그리기 전에 자리를 잡아 화면이 밀리지 않게."""
        longest = max(self.width, self.height, 1)
        scale = min(1.0, THUMB_SIDE / longest)
        return max(1, round(self.width * scale)), max(1, round(self.height * scale))

    @property
    def stored_names(self) -> list[str]:
        return [field.name for field in (self.file, self.preview, self.thumbnail) if field]
