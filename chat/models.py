"""대화와 메시지. 메시지는 한 줄에 하나씩 저장하고, 읽기는 이름 붙인 QuerySet 메서드로만 한다."""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chat import upstream_errors
from chat.upstream_errors import ErrorKind

# 이만큼 소식이 없는 생성 중 답변은 작업이 죽은 것으로 본다 (생성은 몇 초마다 진행을 저장한다: chat.feed.database)
STALE_REPLY_SECONDS = 60


def visible_conditions(user) -> dict:
    """누가 대화를 볼 수 있나 (하나뿐인 정의): 자기 대화이고 숨기지 않았다.

    페이지와 원문은 ORM으로(for_user), 스트림의 두 입구는 읽은 행으로(Conversation.is_visible_to) 이것을 쓴다.
    """
    return {"owner_id": user.pk, "is_hidden": False}


class ConversationQuerySet(models.QuerySet):
    def for_user(self, user):
        """그 사람이 볼 수 있는 대화. 모든 URL은 이것을 거치므로 남의 대화는 404가 된다."""
        return self.filter(**visible_conditions(user))

    def active(self):
        """보관하지 않은 대화: 사이드바와 검색의 기본."""
        return self.filter(archived_at__isnull=True)

    def archived(self):
        """보관한 대화. 보관함 페이지와, 보관한 것까지 찾는 검색이 쓴다."""
        return self.filter(archived_at__isnull=False)

    def for_sidebar(self, user):
        """사이드바 목록: 고정한 것(최근에 고정한 것부터), 그다음 최근 활동 순. 보관한 것은 빠진다.

        제목을 그리는 데 필요한 열만 읽고 관계를 따라가지 않아 N+1이 없다. 한 문장이라 쪽 나누기가 그대로다.
        """
        return (
            self.for_user(user)
            .active()
            .only("id", "title", "updated_at", "pinned_at")
            .order_by(F("pinned_at").desc(nulls_last=True), "-updated_at", "-pk")
        )

    def for_archive(self, user):
        """보관함 페이지: 최근에 보관한 것부터."""
        return (
            self.for_user(user)
            .archived()
            .only("id", "title", "updated_at", "archived_at")
            .order_by("-archived_at", "-pk")
        )


class Conversation(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="conversations",
        verbose_name=_("owner"),
        # (owner, updated_at) 색인이 owner 하나짜리 색인의 일을 대신한다
        db_index=False,
    )
    title = models.CharField(_("title"), max_length=100)
    # 첫 답변 뒤 모델에게 제목을 한 번 묻는다. 이름을 직접 바꾸면 더 묻지 않는다.
    needs_title = models.BooleanField(_("needs a generated title"), default=True)
    model = models.CharField(_("model"), max_length=100)
    system_prompt = models.TextField(_("system prompt"), blank=True)
    # 지금 보는 갈래의 끝 메시지 (chat.tree): 화면, 모델에 보낼 문맥, 내보내기가 여기서 뿌리까지 거슬러 간다
    current_leaf = models.ForeignKey(
        "Message",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("current message"),
    )
    # 이 대화를 연 반: 그 반의 강사가 읽을 수 있고(CLASS_INSTRUCTORS_CAN_READ), 반의 내보내기와 보존 기간이 따른다.
    # 학생이 대화에서 이 반을 본다. 반이 지워지면 비워진다 (대화는 학생의 것이다)
    course = models.ForeignKey(
        "accounts.Course",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="conversations",
        verbose_name=_("class"),
    )
    # 이 대화를 연 프리셋. 숨긴 프리셋의 프롬프트는 여기서 읽어 모델에게만 보낸다 (chat.context)
    preset = models.ForeignKey(
        "accounts.Preset",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("prompt preset"),
    )
    # 숨긴 프리셋으로 열었나: 연 때의 값이다. 강사가 나중에 숨김을 풀거나 걸어도, 숨긴 채 연 대화는 프롬프트를 계속
    # 모델에게만 보내고(chat.context), 보이게 연 대화는 복사해 둔 프롬프트만 쓴다 (두 번 가지 않게)
    preset_hidden = models.BooleanField(_("preset prompt hidden"), default=False)
    # 고정한 때: 값이 있으면 사이드바 맨 위 "고정됨" 묶음에, 최근에 고정한 것부터. 시각이라 순서를 따로 두지 않는다
    pinned_at = models.DateTimeField(_("pinned"), null=True, blank=True)
    # 보관한 때: 사이드바에서 빠지고 보관함에 간다. 주소로는 그대로 열리고, 메시지를 보내면 풀린다 (ChatGPT처럼)
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)
    # 관리자가 숨긴 대화는 주인에게도 보이지 않는다 (지우지 않고 검토할 수 있게)
    is_hidden = models.BooleanField(_("hidden by a moderator"), default=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    # 마지막 활동 시각: 메시지를 보낼 때 갱신되어 사이드바 순서를 정한다
    updated_at = models.DateTimeField(_("last activity"), default=timezone.now, db_index=False)

    objects = ConversationQuerySet.as_manager()

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        indexes = [
            models.Index(fields=["owner", "-updated_at"], name="conversation_recent_idx"),
            # 관리 화면의 대화 목록은 모든 사람의 대화를 최근 활동 순으로 본다
            models.Index(fields=["-updated_at"], name="conversation_activity_idx"),
        ]
        permissions = [("hide_conversation", _("Can hide and unhide conversations"))]

    def __str__(self):
        return self.title

    def is_visible_to(self, user) -> bool:
        """읽어 둔 행으로 본 visible_conditions: 스트림이 질의를 더하지 않고 묻는다."""
        return all(getattr(self, name) == value for name, value in visible_conditions(user).items())

    @property
    def is_pinned(self):
        return self.pinned_at is not None

    @property
    def is_archived(self):
        return self.archived_at is not None


class MessageQuerySet(models.QuerySet):
    def for_user(self, user):
        """그 사람이 볼 수 있는 대화(visible_conditions)에 속한 메시지."""
        return self.filter(
            **{f"conversation__{name}": value for name, value in visible_conditions(user).items()}
        )


class Message(models.Model):
    class Role(models.TextChoices):
        USER = "user", _("You")
        ASSISTANT = "assistant", _("Assistant")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        STREAMING = "streaming", _("Writing")
        DONE = "done", _("Done")
        STOPPED = "stopped", _("Stopped")
        FAILED = "failed", _("Failed")
        INTERRUPTED = "interrupted", _("Interrupted")

    # 이 상태들은 더 바뀌지 않는다 (다시 생성하면 형제 답변이 새로 생긴다). 전이는 chat.replies가 정한다.
    FINISHED = (Status.DONE, Status.STOPPED, Status.FAILED, Status.INTERRUPTED)
    ACTIVE = (Status.PENDING, Status.STREAMING)
    RETRYABLE = (Status.FAILED, Status.STOPPED, Status.INTERRUPTED)

    conversation = models.ForeignKey(
        Conversation,
        on_delete=models.CASCADE,
        related_name="messages",
        verbose_name=_("conversation"),
        # (conversation, id) 색인이 대신한다
        db_index=False,
    )
    # 버전 나무 (chat.tree): 앞 메시지. 첫 메시지는 비어 있다. 같은 부모의 자식들이 서로의 버전이다
    # (다시 생성한 답변, 고쳐 보낸 질문).
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("previous message"),
        # (parent, conversation) 색인이 대신한다: 형제 찾기와 대화의 첫 메시지들(부모 없음) 찾기가 함께 쓴다
        db_index=False,
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    content = models.TextField(_("content"), blank=True)
    # 추론 모델의 생각 (chat.reasoning): 답과 따로 두어 복사하거나 다음 질문에 싣지 않는다
    reasoning = models.TextField(_("reasoning"), blank=True)
    # 끝난 답변의 Markdown을 한 번만 그려 둔다: 화면은 다시 그리지 않는다
    rendered_html = models.TextField(_("rendered HTML"), blank=True, editable=False)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DONE
    )
    error_kind = models.CharField(
        _("error kind"), max_length=20, choices=ErrorKind.choices, blank=True
    )
    model = models.CharField(_("model"), max_length=100, blank=True)
    # 서버가 알려 준 끝 이유. "length"면 답변 길이 한도(LLM_REPLY_TOKENS)에서 잘렸다.
    finish_reason = models.CharField(_("finish reason"), max_length=20, blank=True)
    prompt_tokens = models.PositiveIntegerField(_("prompt tokens"), null=True, blank=True)
    completion_tokens = models.PositiveIntegerField(_("completion tokens"), null=True, blank=True)
    # 문맥 한도 때문에 모델에 보내지 못한 이전 메시지 수와 첨부 파일의 글자 수
    omitted_messages = models.PositiveIntegerField(_("messages left out"), default=0)
    omitted_attachment_chars = models.PositiveIntegerField(
        _("attachment characters left out"), default=0
    )
    # 첨부가 있는 질문: 문맥과 화면이 없는 메시지에는 첨부를 묻지 않는다 (chat.attachments)
    has_attachments = models.BooleanField(_("has attachments"), default=False)
    # 다시 시도할 때마다 1 늘어난다: 옛 생성의 늦은 저장이 새 시도를 덮지 않게 (chat.replies)
    attempt = models.PositiveIntegerField(_("attempt"), default=0, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    objects = MessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [
            models.Index(fields=["conversation", "id"], name="message_order_idx"),
            # 버전(형제): 부모의 자식들, 그리고 한 대화의 뿌리들(부모 없음, 대화로 좁힌다)
            models.Index(fields=["parent", "conversation"], name="message_parent_idx"),
            # 관리 화면의 "오늘 실패한 답변": 상태와 날짜로 거른다
            models.Index(fields=["status", "-created_at"], name="message_status_idx"),
        ]

    def __str__(self):
        return f"{self.get_role_display()}: {self.content[:50]}"

    # 템플릿과 뷰는 상태 문자열을 비교하지 않고 이 속성들을 묻는다
    @property
    def is_active(self):
        return self.status in self.ACTIVE

    @property
    def is_finished(self):
        return self.status in self.FINISHED

    @property
    def is_retryable(self):
        return self.status in self.RETRYABLE

    @property
    def is_done(self):
        return self.status == self.Status.DONE

    @property
    def is_interrupted(self):
        return self.status == self.Status.INTERRUPTED

    @property
    def shows_status(self):
        """머리에 상태 표시가 붙는 끝난 답변: 멈춤, 실패, 중단."""
        return not self.is_active and not self.is_done

    @property
    def is_user(self):
        return self.role == self.Role.USER

    @property
    def attachment_list(self):
        """말풍선의 파일들. 여러 메시지를 그리는 곳은 chat.attachments.prefetch로 한 번에 채운다."""
        if not self.has_attachments:
            return []
        if "_attachments" not in self.__dict__:
            self._attachments = list(self.attachments.all())
        return self._attachments

    @property
    def hit_length_limit(self):
        return self.finish_reason == "length"

    @property
    def error_sentence(self) -> str:
        """실패한 답변의 번역된 안내문 (chat.upstream_errors.SENTENCES). 오류가 없으면 빈 글."""
        return upstream_errors.sentence(self.error_kind) if self.error_kind else ""


class SharedLinkQuerySet(models.QuerySet):
    def live(self):
        """거두지 않은 링크."""
        return self.filter(revoked_at__isnull=True)

    def opened_by_token(self, token: str):
        """주소의 토큰으로 여는 링크: 거두지 않았고 대화가 숨겨지지 않았다. 아니면 없는 링크와 같다 (404)."""
        return (
            self.live()
            .filter(token=token, conversation__is_hidden=False)
            .select_related("created_by")
        )


def new_share_token() -> str:
    """추측할 수 없는 토큰 (192비트). 주소에 그대로 들어간다."""
    return secrets.token_urlsafe(24)


class SharedLink(models.Model):
    """대화 한 갈래의 읽기 전용 사본을 여는 링크. 만든 때의 갈래를 snapshot에 옮겨 두어, 뒤에 고치거나
    다시 생성해도 링크가 보이는 것은 그대로다. 다른 갈래는 처음부터 담지 않는다."""

    token = models.CharField(_("token"), max_length=64, unique=True, default=new_share_token)
    conversation = models.ForeignKey(
        Conversation,
        on_delete=models.CASCADE,
        related_name="shared_links",
        verbose_name=_("conversation"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("shared by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    title = models.CharField(_("title"), max_length=100)
    # 메시지마다 role, content, rendered_html, model, status, created_at (chat.sharing.snapshot)
    snapshot = models.JSONField(_("snapshot"), default=list, editable=False)

    objects = SharedLinkQuerySet.as_manager()

    class Meta:
        verbose_name = _("shared link")
        verbose_name_plural = _("shared links")

    def __str__(self):
        return self.title

    @property
    def is_revoked(self):
        return self.revoked_at is not None


class ReportQuerySet(models.QuerySet):
    def open(self):
        return self.filter(resolved_at__isnull=True)

    def queue(self):
        """관리 화면의 차례: 열린 신고 먼저, 오래된 것부터."""
        return self.order_by(F("resolved_at").asc(nulls_first=True), "created_at", "pk")


class Report(models.Model):
    """학생이 답변 하나를 신고한 것. 한 사람은 한 답변에 열린 신고를 하나만 가진다."""

    class Reason(models.TextChoices):
        HARMFUL = "harmful", _("Harmful or upsetting")
        WRONG = "wrong", _("Wrong or misleading")
        OTHER = "other", _("Something else")

    reply = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="reports", verbose_name=_("reply")
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="reports",
        verbose_name=_("reported by"),
    )
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("reported"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolution_note = models.TextField(_("resolution note"), blank=True)

    objects = ReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        permissions = [("resolve_report", _("Can resolve reports"))]
        constraints = [
            # 두 번째 신고는 첫 신고를 고친다: 동시에 두 번 보내도 DB가 하나만 받는다
            models.UniqueConstraint(
                fields=["reply", "reporter"],
                condition=Q(resolved_at__isnull=True),
                name="report_one_open_per_person",
            ),
        ]
        indexes = [
            models.Index(fields=["resolved_at", "created_at"], name="report_queue_idx"),
        ]

    def __str__(self):
        return f"{self.get_reason_display()} #{self.reply_id}"

    @property
    def is_open(self):
        return self.resolved_at is None


# 첨부 파일은 제 꾸러미에 있다 (chat/attachments/models.py): 마이그레이션이 보도록 여기서 불러온다
from chat.attachments.models import Attachment  # noqa: E402, F401
