"""가입, 로그인, 로그아웃, 비밀번호 변경, 내 설정 화면. 가능한 곳은 Django의 auth 뷰를 그대로 쓴다."""

import copy

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.db import IntegrityError
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView

from accounts import services, usage
from accounts.forms import (
    LoginForm,
    PasswordChangeForm,
    PasswordSetForm,
    PreferencesForm,
    SignupForm,
    client_address,
    signup_throttled_error,
)


@method_decorator(login_not_required, name="dispatch")
class SignupView(FormView):
    template_name = "accounts/signup.html"
    form_class = SignupForm
    success_url = "/"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            return redirect(self.success_url)
        if settings.SIGNUP_MODE != "open" and request.method == "POST":
            return redirect("accounts:signup")
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        try:
            user = services.user_signup(
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password1"],
                address=client_address(self.request),
            )
        except services.SignupThrottled as throttled:
            form.add_error(None, signup_throttled_error(throttled.retry_after))
            response = self.render_to_response(self.get_context_data(form=form), status=429)
            response["Retry-After"] = str(throttled.retry_after)
            return response
        except IntegrityError:
            # 양식 검사와 저장 사이에 같은 아이디가 먼저 가입했다
            form.add_error("username", _("A user with that username already exists."))
            return self.form_invalid(form)
        # 로그인을 맡는 백엔드로 (옛 세션을 위한 ModelBackend가 함께 있어 이름을 정해야 한다)
        login(self.request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
        messages.success(self.request, _("Welcome, %(username)s!") % {"username": user.username})
        return super().form_valid(form)


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    form_class = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        services.login_attempt_succeeded(
            username=form.cleaned_data["username"], address=form.client_address
        )
        response = super().form_valid(form)
        # 0: 브라우저를 닫으면 끝, None: SESSION_COOKIE_AGE(2주)
        self.request.session.set_expiry(None if form.cleaned_data["remember_me"] else 0)
        return response


@method_decorator(login_not_required, name="dispatch")
class LogoutView(auth_views.LogoutView):
    """GET은 확인 화면만 보여준다: 링크나 이미지 요청으로 로그아웃되지 않도록."""

    http_method_names = ["get", "post", "options"]
    template_name = "accounts/logout.html"

    def get(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect(settings.LOGIN_URL)
        return self.render_to_response(self.get_context_data())

    def post(self, request, *args, **kwargs):
        was_logged_in = request.user.is_authenticated
        response = super().post(request, *args, **kwargs)
        if was_logged_in:
            messages.info(request, _("You have been logged out."))
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    form_class = PasswordChangeForm
    success_url = reverse_lazy("chat:home")

    def form_valid(self, form):
        response = super().form_valid(form)
        services.password_chosen(user=form.user)
        messages.success(self.request, _("Your password has been changed."))
        return response


class PasswordSetView(PasswordChangeView):
    """첫 로그인의 "비밀번호 정하기": 지어 받은 비밀번호로 로그인한 사람은 새 비밀번호만 두 번 적는다.

    로그인은 그대로 요구한다 (지어 받은 비밀번호로). 바꿀 일이 없는 사람은 보통의 비밀번호 변경으로 보낸다:
    지금 비밀번호를 묻지 않는 이 양식이 훔친 세션의 지름길이 되지 않게.
    """

    template_name = "accounts/password_set.html"
    form_class = PasswordSetForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.must_change_password:
            return redirect("accounts:password-change")
        return super().dispatch(request, *args, **kwargs)


class UsageView(TemplateView):
    """오늘 쓴 양과 한도, 지난 30일의 막대그림(서버가 그린 SVG)과 같은 숫자의 표. JavaScript는 쓰지 않는다."""

    template_name = "accounts/usage.html"

    def get_context_data(self, **kwargs):
        chart = usage.usage_chart(self.request.user)
        return super().get_context_data(
            quota=usage.quota_status(self.request.user, count_without_quota=True),
            chart=chart,
            # 표는 최근 날부터
            rows=chart.bars[::-1],
            **kwargs,
        )


class PreferencesView(FormView):
    """내 설정: 맞춤 지시와 화면 색. JavaScript 없이 보통의 양식으로 저장한다."""

    template_name = "accounts/preferences.html"
    form_class = PreferencesForm
    success_url = reverse_lazy("accounts:settings")

    def get_form_kwargs(self):
        # 양식은 사본을 고친다: 거절된 입력(예: 어둡게)이 이 응답의 <html data-theme>에 칠해지지 않게
        return {**super().get_form_kwargs(), "instance": copy.copy(self.request.user)}

    def form_valid(self, form):
        services.user_preferences_save(
            user=self.request.user,
            custom_instructions=form.cleaned_data["custom_instructions"],
            theme=form.cleaned_data["theme"],
        )
        messages.success(self.request, _("Settings saved."))
        return super().form_valid(form)
