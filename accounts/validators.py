"""아이디 규칙: 모델, 가입 양식, 관리 화면, createsuperuser가 모두 같은 규칙을 쓴다."""

import re

from django.core.validators import RegexValidator
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

USERNAME_MIN_LENGTH = 3
USERNAME_MAX_LENGTH = 20


@deconstructible
class UsernameValidator(RegexValidator):
    # 영문 아이디: 한국 서비스의 관례이고, 수업 중 칠판에 적어 주기 쉽다
    regex = rf"\A[A-Za-z0-9_]{{{USERNAME_MIN_LENGTH},{USERNAME_MAX_LENGTH}}}\Z"
    flags = re.ASCII
    message = _("Use 3 to 20 characters: English letters, digits or the underscore (_).")
    code = "invalid_username"
