"""가입, 로그인, 로그아웃, 비밀번호 변경, 내 설정 화면. 가능한 곳은 Django의 auth 뷰를 그대로 쓴다."""

import copy
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.db import IntegrityError
from django.shortcuts import redirect
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView

from accounts import courses, invitations, services, usage
from accounts.forms import (
    LoginForm,
    PasswordChangeForm,
    PasswordSetForm,
    PreferencesForm,
    SignupForm,
    client_address,
    signup_throttled_error,
)


def signup_code_mode(*, from_link: bool) -> str:
    """가입 양식의 반 코드 칸: "required", "optional" 또는 "absent" (칸이 없다).

    closed는 가입이 닫혀 있다 (링크로 와도: 운영자가 닫은 것을 강사의 코드가 열지 않는다). open은 링크로 왔을 때만
    칸을 보인다.
    """
    mode = settings.SIGNUP_MODE
    if mode == "invite":
        return "required"
    if mode == "approval":
        return "optional"
    if mode == "open":
        return "optional" if from_link else "absent"
    return "absent"


@method_decorator(login_not_required, name="dispatch")
class SignupView(FormView):
    template_name = "accounts/signup.html"
    form_class = SignupForm
    success_url = "/"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            return redirect(self.success_url)
        # 링크(/join/<코드>/)로 왔거나, 그렇게 열린 양식이 코드 칸을 보냈다
        self.from_link = "code" in (request.POST if request.method == "POST" else request.GET)
        self.code_mode = signup_code_mode(from_link=self.from_link)
        self.signup_possible = settings.SIGNUP_MODE != "closed"
        if not self.signup_possible and request.method == "POST":
            return redirect("accounts:signup")
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "code_mode": self.code_mode,
            "address": client_address(self.request),
        }

    def get_initial(self):
        return {"code": self.request.GET.get("code", "")}

    def get(self, request, *args, **kwargs):
        context = self.get_context_data()
        code = request.GET.get("code", "")
        if self.code_mode != "absent" and code:
            # 링크로 왔다: 어느 반인지 먼저 보여 주고, 쓸 수 없는 코드면 적기 전에 알린다
            try:
                context["joining"] = invitations.code_check(
                    code=code, address=client_address(request)
                ).course
            except courses.InvitationRefused as refused:
                context["code_error"] = refused.message
        return self.render_to_response(context)

    def get_context_data(self, **kwargs):
        form = kwargs.get("form")
        joining = form.invitation.course if form is not None and form.invitation else None
        return super().get_context_data(
            signup_possible=self.signup_possible,
            joining=joining,
            login_url=self._login_url(),
            **kwargs,
        )

    def _login_url(self) -> str:
        """링크로 온 사람이 로그인하면 같은 링크로 돌아온다 (이미 계정이 있으면 반에 들기만)."""
        code = courses.normalize_code(
            self.request.GET.get("code") or self.request.POST.get("code", "")
        )
        if not code:
            return reverse("accounts:login")
        join = reverse("join-link", kwargs={"code": code})
        return f"{reverse('accounts:login')}?{urlencode({'next': join})}"

    def form_invalid(self, form):
        problem = form.code_problem
        status = 200
        if problem is not None:
            status = 429 if problem == courses.InvitationProblem.THROTTLED else 400
        return self.render_to_response(self.get_context_data(form=form), status=status)

    def form_valid(self, form):
        try:
            user = services.user_signup(
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password1"],
                address=client_address(self.request),
                code=form.cleaned_data.get("code", ""),
            )
        except services.SignupThrottled as throttled:
            form.add_error(None, signup_throttled_error(throttled.retry_after))
            response = self.render_to_response(self.get_context_data(form=form), status=429)
            response["Retry-After"] = str(throttled.retry_after)
            return response
        except courses.InvitationRefused as refused:
            # 미리 볼 때는 쓸 수 있었는데 그 사이에 누가 마지막 한 번을 썼다 (또는 거두었다)
            form.add_error(
                "code", forms.ValidationError(refused.message, code=refused.problem.value)
            )
            form.invitation = None
            return self.form_invalid(form)
        except IntegrityError:
            # 양식 검사와 저장 사이에 같은 아이디가 먼저 가입했다
            form.add_error("username", _("A user with that username already exists."))
            return self.form_invalid(form)
        # 로그인을 맡는 백엔드로 (옛 세션을 위한 ModelBackend가 함께 있어 이름을 정해야 한다)
        login(self.request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
        if user.awaiting_approval:
            return redirect("accounts:waiting")
        messages.success(self.request, _("Welcome, %(username)s!") % {"username": user.username})
        if form.invitation is not None:
            messages.success(
                self.request,
                _("You joined the class “%(name)s”.") % {"name": form.invitation.course.name},
            )
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
