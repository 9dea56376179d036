"""가입(반 코드 칸 포함), 로그인, 비밀번호 변경, 반에 들기와 초대 코드 양식. 입력을 검사하고 번역된 오류를 낸다; 저장은 하지 않는다."""

import math

from django import forms
from django.contrib.auth import forms as auth_forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts import courses, invitations
from accounts.models import CUSTOM_INSTRUCTIONS_MAX_CHARS, Theme, User
from accounts.services import login_attempt_begin
from accounts.validators import USERNAME_MAX_LENGTH


def signup_throttled_error(seconds: int) -> forms.ValidationError:
    """한 주소의 가입 한도에 닿았을 때: 언제 다시 되는지, 교실이라면 누구에게 말할지."""
    minutes = math.ceil(seconds / 60)
    return forms.ValidationError(
        ngettext(
            "Too many accounts were created from your network. Try again in %(minutes)d minute. "
            "If your whole class is signing up now, please tell your instructor.",
            "Too many accounts were created from your network. Try again in %(minutes)d minutes. "
            "If your whole class is signing up now, please tell your instructor.",
            minutes,
        ),
        code="throttled",
        params={"minutes": minutes},
    )


# 적는 코드: 10자, 붙임표와 띄어쓰기를 넣어 적어도 되게 넉넉히
CODE_INPUT_MAX_LENGTH = 30


def class_code_field(*, required: bool) -> forms.CharField:
    return forms.CharField(
        label=_("Class code"),
        max_length=CODE_INPUT_MAX_LENGTH,
        required=required,
        help_text=_("The code your instructor gave you, for example ABCDE-FGHJK."),
        widget=forms.TextInput(
            attrs={"autocapitalize": "characters", "autocomplete": "off", "spellcheck": "false"}
        ),
    )


class ClassCodeMixin:
    """반 코드 칸의 검사: 미리 보고(courses의 문장을 칸에), 맞으면 self.invitation에 둔다 (반 이름을 보여 준다).

    쓰는 것(한 번 세기)은 서비스가 가입이나 반에 들기와 한 트랜잭션에서 한다. 오류 코드는 InvitationProblem의 값.
    """

    invitation = None

    def clean_code(self):
        code = courses.normalize_code(self.cleaned_data.get("code", ""))
        if not code:
            return ""
        try:
            self.invitation = invitations.code_check(code=code, address=self.address)
        except courses.InvitationRefused as refused:
            raise forms.ValidationError(refused.message, code=refused.problem.value) from None
        return code

    @property
    def code_problem(self) -> courses.InvitationProblem | None:
        """코드 칸의 거절 까닭 (화면이 429와 400을 고른다)."""
        for error in self.errors.as_data().get("code", []):
            if error.code in courses.InvitationProblem:
                return courses.InvitationProblem(error.code)
        return None


class SignupForm(ClassCodeMixin, auth_forms.UserCreationForm):
    """가입. 반 코드 칸은 SIGNUP_MODE에 따라: invite는 꼭, approval은 골라서, open은 링크로 왔을 때만 보이고
    골라서, closed는 링크로 왔을 때만 있고 꼭 (링크가 곧 초대다). code_mode는 views.account.signup_code_mode가 정한다.
    """

    # UserCreationForm이 대소문자만 다른 중복 아이디를 이미 거절한다
    class Meta(auth_forms.UserCreationForm.Meta):
        model = User
        fields = ("username",)

    def __init__(self, *args, code_mode: str = "absent", address: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.address = address
        self.fields["username"].widget.attrs.update(
            {"maxlength": USERNAME_MAX_LENGTH, "autocapitalize": "none", "spellcheck": "false"}
        )
        if code_mode != "absent":
            self.fields["code"] = class_code_field(required=code_mode == "required")
            # 반 코드가 맨 위: 초대로 가입하는 화면에서는 그것이 문이다
            self.order_fields(["code"])


class JoinForm(ClassCodeMixin, forms.Form):
    """이미 있는 사람이 반 코드로 반에 든다 (/classes/join/). 쓰는 것은 accounts.invitations.course_join_by_code."""

    def __init__(self, *args, address: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.address = address
        self.fields["code"] = class_code_field(required=True)

    def clean_code(self):
        # 반에 드는 서비스가 다시 확인하며 센다: 양식은 빈 칸만 본다 (틀린 코드를 두 번 세지 않게)
        return courses.normalize_code(self.cleaned_data.get("code", ""))


class InvitationForm(forms.Form):
    """강사가 만드는 초대 코드: 쓸 수 있는 횟수와 며칠 동안인지, 둘 다 골라서."""

    max_uses = forms.IntegerField(
        label=_("Maximum uses"),
        required=False,
        min_value=1,
        max_value=10000,
        help_text=_("For example the number of students. Empty: no limit."),
    )
    expires_in_days = forms.IntegerField(
        label=_("Valid for (days)"),
        required=False,
        min_value=1,
        max_value=365,
        help_text=_("1 means until midnight today. Empty: until you revoke it."),
    )


class LoginForm(auth_forms.AuthenticationForm):
    remember_me = forms.BooleanField(
        label=_("Keep me logged in for two weeks"),
        required=False,
    )

    error_messages = {
        **auth_forms.AuthenticationForm.error_messages,
        # 아이디가 있는지 없는지 드러내지 않는 한 가지 문구
        "invalid_login": _("The username or password is incorrect."),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].widget.attrs.update(
            {"autocapitalize": "none", "spellcheck": "false"}
        )

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        # 시도는 비밀번호를 확인하기 전에 센다 (accounts.services.login_attempt_begin): 다듬은 아이디로 세야
        # 해서 여기, 필드 검사와 비밀번호 확인 사이다. 빈 칸은 확인하지 않으니 세지 않는다.
        if not (username and self.cleaned_data.get("password")):
            return super().clean()
        wait = login_attempt_begin(username=username, address=self.client_address)
        if wait:
            # 제한 중에는 맞는 비밀번호도 확인하지 않는다: 그래야 추측을 막는다
            minutes = math.ceil(wait / 60)
            raise forms.ValidationError(
                ngettext(
                    "Too many failed log-in attempts. Try again in %(minutes)d minute.",
                    "Too many failed log-in attempts. Try again in %(minutes)d minutes.",
                    minutes,
                ),
                code="throttled",
                params={"minutes": minutes},
            )
        return super().clean()

    @property
    def client_address(self) -> str:
        return client_address(self.request) if self.request else ""


def client_address(request) -> str:
    """제한을 셀 주소. 프록시 뒤라면 서버(gunicorn --forwarded-allow-ips)가 진짜 주소를 넣어 준다."""
    return request.META.get("REMOTE_ADDR", "")


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    """새 비밀번호는 지금 것과 달라야 한다.

    create_users가 나눠 준 비밀번호는 여러 사람이 보았을 수 있다: 그것을 다시 고르면 바꾼 것이 아니다.
    """

    error_messages = {
        **auth_forms.PasswordChangeForm.error_messages,
        "password_unchanged": _("Choose a password different from your current one."),
    }

    def clean(self):
        cleaned_data = super().clean()
        # 지금 비밀번호는 clean_old_password가 이미 확인했다: check_password로 해시를 한 번 더 계산하지 않는다
        old_password = cleaned_data.get("old_password")
        if old_password and cleaned_data.get("new_password2") == old_password:
            self.add_error(
                "new_password2",
                forms.ValidationError(
                    self.error_messages["password_unchanged"], code="password_unchanged"
                ),
            )
        return cleaned_data


class PasswordSetForm(auth_forms.SetPasswordForm):
    """첫 로그인: 새 비밀번호만 두 번. 지어 받은 비밀번호로 이미 로그인했으니 그것을 다시 적게 하지 않는다.

    새 비밀번호는 지어 받은 것과 달라야 한다 (여러 사람이 보았을 수 있다).
    """

    error_messages = {
        **auth_forms.SetPasswordForm.error_messages,
        "password_unchanged": PasswordChangeForm.error_messages["password_unchanged"],
    }

    def clean(self):
        cleaned_data = super().clean()
        new_password = cleaned_data.get("new_password2")
        # 다른 오류(불일치, 약함)가 있으면 해시를 계산하지 않는다
        unchecked = new_password and "new_password2" not in self.errors
        if unchecked and self.user.check_password(new_password):
            self.add_error(
                "new_password2",
                forms.ValidationError(
                    self.error_messages["password_unchanged"], code="password_unchanged"
                ),
            )
        return cleaned_data


class PreferencesForm(forms.ModelForm):
    """내 설정: 새 대화마다 모델이 읽는 맞춤 지시와 화면 색."""

    theme = forms.ChoiceField(label=_("Theme"), choices=Theme.choices)

    class Meta:
        model = User
        fields = ("custom_instructions", "theme")
        labels = {"custom_instructions": _("Custom instructions")}
        help_texts = {
            "custom_instructions": _(
                "The model reads these at the start of every new conversation, for example "
                "“Answer in Korean and explain terms simply.” Conversations you already have keep "
                "their own instructions (change them in the conversation’s Options)."
            ),
        }
        widgets = {
            "custom_instructions": forms.Textarea(
                attrs={"rows": 6, "maxlength": CUSTOM_INSTRUCTIONS_MAX_CHARS}
            )
        }
        error_messages = {
            "custom_instructions": {
                "max_length": _(
                    "Custom instructions can be at most %(limit_value)d characters "
                    "(these have %(show_value)d)."
                )
            }
        }
