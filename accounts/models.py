"""사용자 모델. 아이디는 대소문자와 상관없이 하나뿐이다."""

import secrets

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.validators import UsernameValidator

# 맞춤 지시는 새 대화의 시스템 프롬프트가 된다: 대화 설정의 한도(chat.forms.SYSTEM_PROMPT_MAX_CHARS)와 같다
CUSTOM_INSTRUCTIONS_MAX_CHARS = 4000


class Theme(models.TextChoices):
    """화면 색. 서버가 <html data-theme>에 적어 첫 그림부터 맞는 색이다 (깜빡임 없이)."""

    SYSTEM = "system", _("Same as the device")
    LIGHT = "light", _("Light")
    DARK = "dark", _("Dark")


class CaseInsensitiveUserManager(UserManager):
    def get_by_natural_key(self, username):
        # Alice와 alice는 같은 사람이다: 로그인도 대소문자를 가리지 않는다
        return self.get(username__iexact=username)


class User(AbstractUser):
    # max_length는 AbstractUser와 같은 150으로 두고 실제 길이(3~20)는 검증기가 정한다:
    # 그래야 긴 아이디에도 오류 문구가 둘이 아닌 하나로 나온다.
    username = models.CharField(
        _("username"),
        max_length=150,
        unique=True,
        validators=[UsernameValidator()],
        help_text=_("3 to 20 characters: English letters, digits or the underscore (_)."),
        error_messages={"unique": _("A user with that username already exists.")},
    )

    # 비우면 DAILY_TOKEN_QUOTA를 따른다. 0은 이 사람에게 제한 없음.
    daily_token_quota = models.PositiveIntegerField(
        _("daily token quota"),
        null=True,
        blank=True,
        help_text=_("Tokens this person may use per day. Empty: the site default; 0: no limit."),
    )
    # create_users가 만든 비밀번호로 들어온 사람은 자기 비밀번호를 정하기 전에는 채팅할 수 없다
    must_change_password = models.BooleanField(
        _("must change password"),
        default=False,
        help_text=_(
            "Set for accounts made with a generated password: they choose their own first."
        ),
    )

    # 새 대화를 만들 때 그 대화의 시스템 프롬프트로 복사한다: 나중에 고쳐도 지난 대화는 그대로다
    custom_instructions = models.TextField(
        _("custom instructions"),
        blank=True,
        max_length=CUSTOM_INSTRUCTIONS_MAX_CHARS,
        help_text=_("Instructions the model reads in every new conversation."),
    )
    # 선택지의 문구는 양식이 Theme에서 읽는다: 모델 필드에 두면 마이그레이션에 얼어붙는다
    theme = models.CharField(_("theme"), max_length=6, default=Theme.SYSTEM)
    # SIGNUP_MODE=approval로 가입한 사람: 운영자나 반의 강사가 받아 줄 때까지 기다리는 화면만 본다
    awaiting_approval = models.BooleanField(
        _("awaiting approval"),
        default=False,
        help_text=_("Signed up while sign-up needs approval: cannot chat until approved."),
    )

    objects = CaseInsensitiveUserManager()
    # 이메일은 쓰지 않는다 (메일 서버도, 메일로 비밀번호 찾기도 없다): createsuperuser가 묻지 않게
    REQUIRED_FIELDS = []

    class Meta(AbstractUser.Meta):
        constraints = [
            # 양식 검사를 건너뛴 동시 가입도 DB가 막는다
            models.UniqueConstraint(
                Lower("username"),
                name="accounts_user_username_ci_unique",
                violation_error_message=_("A user with that username already exists."),
            ),
        ]

    def __str__(self):
        # 강사는 학생을 이름으로 안다: 관리 화면의 사람 칸(대화의 주인, 신고한 사람, 장부)이 이름과 아이디를 함께 보인다.
        # 한국 이름은 first_name에 통째로 있다 (docs/decisions.md).
        name = self.get_full_name()
        return f"{name} ({self.username})" if name else self.username


class DailyUsage(models.Model):
    """사용량 장부: 사람, 날짜(TIME_ZONE 기준), 모델마다 한 줄. 끝난 답변마다 한 번 원자적으로 더한다.

    화면과 보고서는 이 표만 읽는다: 메시지 표를 합산하지 않는다.
    """

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="daily_usage", verbose_name=_("user")
    )
    day = models.DateField(_("day"))
    model = models.CharField(_("model"), max_length=100)
    prompt_tokens = models.PositiveBigIntegerField(_("prompt tokens"), default=0)
    completion_tokens = models.PositiveBigIntegerField(_("completion tokens"), default=0)
    replies = models.PositiveIntegerField(_("replies"), default=0)
    # 서버가 사용량을 보내지 않아 어림값으로 센 답변 수
    estimated_replies = models.PositiveIntegerField(_("estimated replies"), default=0)

    class Meta:
        verbose_name = _("daily usage")
        verbose_name_plural = _("daily usage")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "day", "model"], name="accounts_dailyusage_user_day_model"
            ),
        ]
        indexes = [models.Index(fields=["day"], name="dailyusage_day_idx")]

    def __str__(self):
        return f"{self.user_id} {self.day} {self.model}"

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


# ---------------------------------------------------------------- 반 (수업)

# 초대 코드의 글자: 칠판이나 화면에서 헷갈리는 0, O, 1, I, L은 뺀다 (31자)
INVITATION_CHARACTERS = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
# 10자: 31^10 ≈ 2^49. 틀린 추측은 주소마다 로그인처럼 제한되므로 맞혀 볼 수 없다
INVITATION_CODE_LENGTH = 10
PRESET_PROMPT_MAX_CHARS = CUSTOM_INSTRUCTIONS_MAX_CHARS
ANNOUNCEMENT_MAX_CHARS = 2000


# 모든 반을 운영하는 권한 (최고 관리자는 모든 권한이 있다)
COURSE_CHANGE_PERMISSION = "accounts.change_course"


class CourseQuerySet(models.QuerySet):
    def taught_by(self, user):
        """그 사람이 가르치는 반. 반을 고칠 권한(accounts.change_course)이 있는 운영자는 모든 반을 본다:
        /classes/<id>/의 권한은 이것 하나로 정한다.

        staff만으로는 아니다: "Moderators" 모둠(읽기, 숨기기, 신고 처리)의 강사가 남의 반의 강사를 바꾸거나 한도를
        풀거나 학생을 빼지 못하게.
        """
        if user.is_staff and user.has_perm(COURSE_CHANGE_PERMISSION):
            return self.all()
        return self.filter(instructors=user)


class Course(models.Model):
    """반 하나: 강사, 학생, 기간, 하루 한도, 고를 수 있는 모델, 프롬프트 프리셋, 공지, 초대 코드.

    코드에서는 Course(파이썬의 class와 헷갈리지 않게), 화면에서는 "반"(class)이라 부른다.
    """

    name = models.CharField(_("name"), max_length=100)
    instructors = models.ManyToManyField(
        User, related_name="courses_taught", blank=True, verbose_name=_("instructors")
    )
    members = models.ManyToManyField(
        User,
        through="Membership",
        related_name="courses",
        blank=True,
        verbose_name=_("members"),
    )
    # 기간 밖에서 학생은 읽기만 한다. 비우면 그쪽 끝이 열려 있다
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    daily_token_quota = models.PositiveIntegerField(
        _("daily token quota"),
        null=True,
        blank=True,
        help_text=_("Tokens each member may use per day. Empty: the site default; 0: no limit."),
    )
    # 비우면 사이트의 모든 모델
    allowed_models = models.JSONField(_("allowed models"), default=list, blank=True)
    announcement = models.TextField(
        _("announcement"), blank=True, max_length=ANNOUNCEMENT_MAX_CHARS
    )
    # 공지를 마지막으로 고친 때: 학생이 닫은 때보다 나중이면 다시 보인다
    announcement_at = models.DateTimeField(_("announcement changed"), null=True, blank=True)
    # 끝난 뒤 이만큼 지나면 purge_conversations --class-retention이 학생의 반 대화를 지운다. 비우면 지우지 않는다
    retention_days = models.PositiveIntegerField(
        _("delete conversations after (days)"),
        null=True,
        blank=True,
        help_text=_(
            "Days after the end date when the class's conversations are deleted. Empty: keep them."
        ),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = CourseQuerySet.as_manager()

    class Meta:
        verbose_name = _("class")
        verbose_name_plural = _("classes")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(starts_on__isnull=True)
                | models.Q(ends_on__isnull=True)
                | models.Q(starts_on__lte=models.F("ends_on")),
                name="accounts_course_dates_in_order",
                violation_error_message=_("The end date is before the start date."),
            ),
        ]

    def __str__(self):
        return self.name

    def is_open_on(self, day) -> bool:
        """그날 학생이 보낼 수 있나: 기간 안이면 (비운 끝은 열려 있다)."""
        return (self.starts_on is None or self.starts_on <= day) and (
            self.ends_on is None or day <= self.ends_on
        )


class Membership(models.Model):
    """한 사람이 한 반에 든 것. 공지를 닫은 때도 여기 둔다 (반마다 따로)."""

    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("class")
    )
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    joined_at = models.DateTimeField(_("joined"), auto_now_add=True)
    invitation = models.ForeignKey(
        "Invitation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("invitation"),
    )
    announcement_dismissed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["course", "user"], name="accounts_membership_once"),
        ]

    def __str__(self):
        return f"{self.user} · {self.course}"


def new_invitation_code() -> str:
    return "".join(secrets.choice(INVITATION_CHARACTERS) for _ in range(INVITATION_CODE_LENGTH))


class Invitation(models.Model):
    """반의 초대 코드와 링크. 쓸 수 있는 횟수와 끝나는 때는 고를 수 있다. 마지막 한 번은 조건부 UPDATE로 하나만 얻는다."""

    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("class")
    )
    code = models.CharField(_("code"), max_length=20, unique=True, default=new_invitation_code)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    max_uses = models.PositiveIntegerField(
        _("maximum uses"), null=True, blank=True, help_text=_("Empty: no limit.")
    )
    uses = models.PositiveIntegerField(_("uses"), default=0)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.course} · {self.code}"

    @property
    def code_display(self) -> str:
        """칠판에 적기 쉽게 다섯 자씩: ABCDE-FGHJK. 입력은 붙임표와 띄어쓰기를 지우고 읽는다."""
        return "-".join(self.code[i : i + 5] for i in range(0, len(self.code), 5))

    @property
    def is_used_up(self) -> bool:
        return self.max_uses is not None and self.uses >= self.max_uses

    def is_expired(self, now=None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class Preset(models.Model):
    """강사가 쓴 프롬프트 프리셋. 학생이 이것으로 새 대화를 연다.

    숨긴 프리셋의 프롬프트는 대화에 복사하지 않는다: 모델에게만 가고 (chat.context), 학생의 화면과 내보내기에는
    없다. 숨기지 않은 프리셋은 대화의 시스템 프롬프트로 복사되어 학생이 보고 고칠 수 있다.
    """

    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, related_name="presets", verbose_name=_("class")
    )
    name = models.CharField(_("name"), max_length=80)
    system_prompt = models.TextField(_("system prompt"), max_length=PRESET_PROMPT_MAX_CHARS)
    hidden = models.BooleanField(
        _("hide the prompt from students"),
        default=False,
        help_text=_("Students see only the name; the model still reads the prompt."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        verbose_name = _("prompt preset")
        verbose_name_plural = _("prompt presets")
        ordering = ["name", "pk"]

    def __str__(self):
        return self.name
