"""사용자 모델. 아이디는 대소문자와 상관없이 하나뿐이다."""

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from accounts.validators import UsernameValidator


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
        return self.username
