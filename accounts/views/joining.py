"""반에 드는 화면: 강사의 초대 코드(목록, 만들기, 거두기, 프로젝터용 QR), 코드로 반에 들기, 링크, 승인과 기다리기."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView

from accounts import classes, courses, invitations, services
from accounts.forms import InvitationForm, JoinForm, client_address
from accounts.models import Course


class TaughtCourseMixin:
    """URL의 반을 그 반의 강사와 운영자에게만: 다른 사람에게는 404 (Course.objects.taught_by)."""

    def dispatch(self, request, *args, **kwargs):
        self.course = get_object_or_404(
            Course.objects.taught_by(request.user).distinct(), pk=kwargs["course_id"]
        )
        return super().dispatch(request, *args, **kwargs)

    def invitation(self, pk):
        return get_object_or_404(self.course.invitations.select_related("course"), pk=pk)


def join_url(request, invitation) -> str:
    """QR과 칠판에 쓸 전체 주소 (https://…/join/ABCDEFGHJK/)."""
    return request.build_absolute_uri(reverse("join-link", kwargs={"code": invitation.code}))


class InvitationsView(TaughtCourseMixin, FormView):
    """반의 초대 코드 목록과 새 코드 양식. 승인을 기다리는 이 반의 사람도 여기서 받아 준다."""

    template_name = "classes/invitations.html"
    form_class = InvitationForm

    def get_context_data(self, **kwargs):
        rows = invitations.invitation_rows(self.course)
        return super().get_context_data(
            course=self.course,
            # 반 화면들의 머리(이름, 상태, 길잡이)
            **classes.status_context(self.course),
            rows=[(row, join_url(self.request, row.invitation)) for row in rows],
            pending=list(invitations.pending_members(self.course)),
            **kwargs,
        )

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def form_valid(self, form):
        invitation = invitations.invitation_create(
            course=self.course,
            actor=self.request.user,
            max_uses=form.cleaned_data["max_uses"],
            expires_in_days=form.cleaned_data["expires_in_days"],
            request=self.request,
        )
        messages.success(
            self.request,
            _("New class code %(code)s created.") % {"code": invitation.code_display},
        )
        return redirect("classes:invitations", course_id=self.course.pk)


class InvitationRevokeView(TaughtCourseMixin, View):
    http_method_names = ["post"]

    def post(self, request, course_id, pk):
        invitation = self.invitation(pk)
        if invitations.invitation_revoke(
            invitation=invitation, actor=request.user, request=request
        ):
            messages.success(
                request,
                _("Class code %(code)s revoked. People who already joined stay in the class.")
                % {"code": invitation.code_display},
            )
        return redirect("classes:invitations", course_id=course_id)


class InvitationDetailView(TaughtCourseMixin, TemplateView):
    """프로젝터에 띄우는 화면: 큰 코드, 전체 링크, QR 코드."""

    template_name = "classes/invitation_detail.html"

    def get_context_data(self, **kwargs):
        invitation = self.invitation(self.kwargs["pk"])
        return super().get_context_data(
            course=self.course,
            invitation=invitation,
            status=invitations.STATUS_LABELS[invitations.invitation_status(invitation)],
            usable=invitations.invitation_status(invitation) == invitations.InvitationStatus.ACTIVE,
            link=join_url(self.request, invitation),
            **kwargs,
        )


class InvitationQrView(TaughtCourseMixin, View):
    """링크의 QR 코드 (SVG). 같은 사이트의 그림이라 CSP(img-src 'self')가 허락한다."""

    http_method_names = ["get", "head"]

    def get(self, request, course_id, pk):
        svg = invitations.qr_svg(join_url(request, self.invitation(pk)))
        response = HttpResponse(svg, content_type="image/svg+xml")
        response["Cache-Control"] = "private, max-age=3600"
        return response


class MemberApproveView(TaughtCourseMixin, View):
    """그 반에 든, 승인을 기다리는 사람을 받아 준다. 그런 사람이 아니면 404."""

    http_method_names = ["post"]

    def post(self, request, course_id, user_id):
        member = get_object_or_404(invitations.pending_members(self.course).distinct(), pk=user_id)
        if services.user_approve(user=member, actor=request.user, request=request):
            messages.success(request, _("%(username)s can now chat.") % {"username": member})
        target = request.POST.get("next", "")
        if url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return redirect(target)
        return redirect("classes:invitations", course_id=course_id)


def refusal_response(view, refused: courses.InvitationRefused, **context):
    """코드 거절을 같은 화면에 번역된 문장으로: 너무 많이 틀렸으면 429, 나머지는 400."""
    return view.render_to_response(
        view.get_context_data(code_error=refused.message, **context),
        status=invitations.refusal_status(refused),
    )


class JoinView(FormView):
    """이미 있는 사람이 반 코드를 적어 반에 든다 (계정 메뉴의 "반에 들기")."""

    template_name = "classes/join.html"
    form_class = JoinForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "address": client_address(self.request)}

    def form_valid(self, form):
        try:
            membership = invitations.course_join_by_code(
                user=self.request.user,
                code=form.cleaned_data["code"],
                address=client_address(self.request),
            )
        except courses.InvitationRefused as refused:
            form.add_error("code", refused.message)
            return self.render_to_response(
                self.get_context_data(form=form), status=invitations.refusal_status(refused)
            )
        return joined(self.request, membership)


def joined(request, membership):
    messages.success(
        request, _("You joined the class “%(name)s”.") % {"name": membership.course.name}
    )
    return redirect("chat:home")


def _to_signup_or_login(request, code: str):
    """로그인하지 않은 사람: 코드가 채워진 가입 화면으로. 가입이 닫힌 사이트(closed)는 로그인한 뒤 이 링크로 돌아온다."""
    if settings.SIGNUP_MODE == "closed":
        messages.info(
            request, _("Log in with the account you were given, and you will join the class next.")
        )
        login = reverse("accounts:login")
        return redirect(
            f"{login}?{urlencode({'next': reverse('join-link', kwargs={'code': code})})}"
        )
    return redirect(f"{reverse('accounts:signup')}?{urlencode({'code': code})}")


@method_decorator(login_not_required, name="dispatch")
class JoinLinkView(TemplateView):
    """QR과 링크가 가리키는 곳. 로그인하지 않은 사람은 코드가 채워진 가입 화면으로, 로그인한 사람은 확인 화면으로.

    확인은 POST 단추다: 링크를 열기만 해서(미리 보기, 크롤러) 반에 들거나 한 번을 쓰지 않게.
    """

    template_name = "classes/join_link.html"

    def get(self, request, code):
        if not request.user.is_authenticated:
            return _to_signup_or_login(request, code)
        try:
            invitation = invitations.code_check(code=code, address=client_address(request))
        except courses.InvitationRefused as refused:
            return refusal_response(self, refused)
        already = invitations.is_member(user=request.user, invitation=invitation)
        return self.render_to_response(
            self.get_context_data(course=invitation.course, already=already)
        )

    def post(self, request, code):
        if not request.user.is_authenticated:
            return _to_signup_or_login(request, code)
        try:
            membership = invitations.course_join_by_code(
                user=request.user, code=code, address=client_address(request)
            )
        except courses.InvitationRefused as refused:
            return refusal_response(self, refused)
        return joined(request, membership)


class WaitingView(TemplateView):
    """승인을 기다리는 사람의 화면 (ApprovalRequiredMiddleware가 모든 화면을 여기로 보낸다)."""

    template_name = "accounts/waiting.html"

    def get(self, request, *args, **kwargs):
        if not request.user.awaiting_approval:
            return redirect("chat:home")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            courses=list(self.request.user.courses.order_by("name")), **kwargs
        )
