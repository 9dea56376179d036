"""사용자 모델. 아이디는 대소문자와 상관없이 하나뿐이다."""

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower
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
