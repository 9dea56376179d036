"""강사의 반 화면 (/classes/): 목록, 만들기와 고치기, 프리셋, 학생들의 활동, 한 학생의 대화, 대화 읽기.

반의 화면은 그 반의 강사와 운영자만 연다 (Course.objects.taught_by): 다른 사람에게는 404다.
학생의 대화를 읽으니 chat 층에 있다 (accounts는 chat을 가져오지 않는다). 주소는 chat/class_urls.py.
"""

import io

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, ListView, TemplateView

from accounts import usage
from accounts.classes import (
    CREATE_PERMISSION,
    courses_for_list,
    services,
    status_context,
)
from accounts.classes.forms import CourseForm, PresetForm, site_quota_phrase
from accounts.models import COURSE_CHANGE_PERMISSION, Course, DailyUsage, Preset
from chat import llm, moderation, teaching, tree
from chat.attachments import services as attachment_services
from core import spreadsheet

MEMBER_CONVERSATIONS_PAGE_SIZE = 20


class ClassListView(ListView):
    """가르치는 반 (운영자는 모두). 반을 만들 수 있는 사람에게는 "새 반" 단추."""

    template_name = "classes/list.html"
    context_object_name = "courses"

    def get_queryset(self):
        courses = list(courses_for_list(self.request.user))
        for course in courses:
            course.state = status_context(course)
        return courses

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            can_create=self.request.user.has_perm(CREATE_PERMISSION), **kwargs
        )


class TaughtCourseMixin:
    """URL의 반을 그 사람이 가르치는 반 중에서만 찾는다: 다른 반의 강사도, 학생도 404."""

    def dispatch(self, request, *args, **kwargs):
        self.find(request, **kwargs)
        return super().dispatch(request, *args, **kwargs)

    def find(self, request, **kwargs):
        self.course = get_object_or_404(Course.objects.taught_by(request.user), pk=kwargs["pk"])

    def get_context_data(self, **kwargs):
        return super().get_context_data(course=self.course, **status_context(self.course), **kwargs)


class ClassCreateView(FormView):
    """새 반. 권한(accounts.add_course)이 없으면 403: 화면이 있다는 것은 비밀이 아니다."""

    template_name = "classes/form.html"
    form_class = CourseForm

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(CREATE_PERMISSION):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "models": llm.available_models(),
            "instructors": [self.request.user],
            "may_raise_quota": self.request.user.has_perm(COURSE_CHANGE_PERMISSION),
        }

    def form_valid(self, form):
        values = {**form.cleaned_data}
        course = services.course_create(
            creator=self.request.user,
            values=values,
            instructors=values.pop("instructor_names"),
            request=self.request,
        )
        messages.success(self.request, _("The class “%(name)s” was created.") % {"name": course})
        return redirect("classes:detail", pk=course.pk)


class ClassEditView(TaughtCourseMixin, FormView):
    template_name = "classes/form.html"
    form_class = CourseForm

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "instance": Course.objects.get(pk=self.course.pk),
            "models": llm.available_models(),
            "instructors": list(self.course.instructors.order_by("username")),
            "may_raise_quota": self.request.user.has_perm(COURSE_CHANGE_PERMISSION),
        }

    def form_valid(self, form):
        values = {**form.cleaned_data}
        instructors = values.pop("instructor_names")
        changed = services.course_change(
            course=self.course,
            actor=self.request.user,
            values=values,
            instructors=instructors,
            request=self.request,
        )
        if changed:
            messages.success(self.request, _("The class was saved."))
        if not Course.objects.taught_by(self.request.user).filter(pk=self.course.pk).exists():
            # 자기를 강사에서 뺐다: 이 반의 화면은 이제 404다
            return redirect("classes:list")
        return redirect("classes:detail", pk=self.course.pk)


class ClassDetailView(TaughtCourseMixin, TemplateView):
    """반의 학생들과 그 활동, 반 전체의 30일 그림과 같은 숫자의 표. 학생 수와 상관없이 질의 수가 같다."""

    template_name = "classes/detail.html"

    def get_context_data(self, **kwargs):
        chart = usage.ledger_chart(DailyUsage.objects.filter(user__memberships__course=self.course))
        members = list(teaching.member_rows(self.course))
        return super().get_context_data(
            members=members,
            waiting=sum(1 for member in members if member.user.awaiting_approval),
            chart=chart,
            chart_rows=chart.bars[::-1],
            can_read=settings.CLASS_INSTRUCTORS_CAN_READ,
            presets_count=self.course.presets.count(),
            site_quota=site_quota_phrase(),
            instructors=list(self.course.instructors.order_by("username")),
            **kwargs,
        )


# 반 화면의 표와 같은 칸. 머리글은 표 계산 프로그램이 읽는 이름이라 영어로 둔다 (usage_report의 CSV와 같이)
USAGE_CSV_HEADER = [
    "username",
    "name",
    "joined",
    "awaiting_approval",
    "last_activity",
    "replies_today",
    "tokens_today",
    "replies_7_days",
    "tokens_7_days",
    "failed_replies_7_days",
    "open_reports",
]


class ClassUsageCsvView(TaughtCourseMixin, View):
    """반 화면의 학생 표를 CSV로: 관리 화면이나 명령 없이 강사가 성적표나 청구서 옆에 둔다. 칸마다 수식 글자를 막는다
    (core.spreadsheet). 한국어 Excel이 이름을 깨뜨리지 않게 BOM을 붙인다."""

    def get(self, request, *args, **kwargs):
        buffer = io.StringIO()
        writer = spreadsheet.writer(buffer)
        writer.writerow(USAGE_CSV_HEADER)
        for member in teaching.member_rows(self.course):
            writer.writerow(
                [
                    member.user.username,
                    member.user.get_full_name(),
                    # 저장은 UTC: 사이트의 날과 시각으로 적어야 화면의 표와 같다
                    timezone.localdate(member.joined_at).isoformat(),
                    int(member.user.awaiting_approval),
                    timezone.localtime(member.last_activity).isoformat(timespec="seconds")
                    if member.last_activity
                    else "",
                    member.replies_today,
                    member.tokens_today,
                    member.replies_week,
                    member.tokens_week,
                    member.failed_week,
                    member.open_reports,
                ]
            )
        response = HttpResponse(
            "\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="class-{self.course.pk}-usage.csv"'
        return response


class MemberView(TaughtCourseMixin, TemplateView):
    """한 학생: 숫자들과 이 반에서 연 대화 (읽기를 끈 사이트는 대화 수만)."""

    template_name = "classes/member.html"

    def get_context_data(self, **kwargs):
        row = teaching.member_row(self.course, self.kwargs["user_id"])
        conversations = teaching.member_conversations(self.course, row.user)
        can_read = settings.CLASS_INSTRUCTORS_CAN_READ
        page = None
        if can_read:
            page = Paginator(conversations, MEMBER_CONVERSATIONS_PAGE_SIZE).get_page(
                self.request.GET.get("page")
            )
        return super().get_context_data(
            member=row,
            page=page,
            conversation_count=page.paginator.count if page else conversations.count(),
            can_read=can_read,
            **kwargs,
        )


class MemberRemoveView(TaughtCourseMixin, TemplateView):
    """GET은 확인 화면, POST가 뺀다. 그 사람의 대화는 남는다."""

    template_name = "classes/member_remove.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            member=teaching.member_row(self.course, self.kwargs["user_id"]), **kwargs
        )

    def post(self, request, *args, **kwargs):
        row = teaching.member_row(self.course, kwargs["user_id"])
        services.member_remove(
            course=self.course, member=row.user, actor=request.user, request=request
        )
        messages.success(request, _("%(name)s was removed from the class.") % {"name": row.user})
        return redirect("classes:detail", pk=self.course.pk)


class ConversationReadView(TaughtCourseMixin, TemplateView):
    """반의 대화 하나를 읽기 전용으로 (지금 갈래). 읽은 것은 감사 기록에 남아 학생이 "읽은 사람"으로 본다."""

    template_name = "classes/conversation.html"

    def get_context_data(self, **kwargs):
        conversation = teaching.readable_conversation(self.course, kwargs["conversation_id"])
        moderation.conversation_view_record(
            conversation=conversation, viewer=self.request.user, request=self.request
        )
        history = tree.path(conversation)
        attachment_services.prefetch(history)
        return super().get_context_data(
            conversation=conversation,
            history=history,
            member_url=reverse("classes:member", args=[self.course.pk, conversation.owner_id]),
            **kwargs,
        )


# ---------------------------------------------------------------- 프리셋


class PresetListView(TaughtCourseMixin, TemplateView):
    template_name = "classes/presets.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(presets=list(self.course.presets.all()), **kwargs)


class PresetMixin(TaughtCourseMixin):
    """URL의 프리셋을 이 반의 것 중에서만 찾는다."""

    def find(self, request, **kwargs):
        super().find(request, **kwargs)
        self.preset = get_object_or_404(Preset, pk=kwargs["preset_pk"], course=self.course)

    def get_context_data(self, **kwargs):
        return super().get_context_data(preset=self.preset, **kwargs)


class PresetCreateView(TaughtCourseMixin, FormView):
    template_name = "classes/preset_form.html"
    form_class = PresetForm

    def form_valid(self, form):
        services.preset_create(course=self.course, **form.cleaned_data)
        messages.success(self.request, _("The preset was saved."))
        return redirect("classes:presets", pk=self.course.pk)


class PresetEditView(PresetMixin, FormView):
    template_name = "classes/preset_form.html"
    form_class = PresetForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": Preset.objects.get(pk=self.preset.pk)}

    def form_valid(self, form):
        services.preset_change(preset=self.preset, **form.cleaned_data)
        messages.success(self.request, _("The preset was saved."))
        return redirect("classes:presets", pk=self.course.pk)


class PresetDeleteView(PresetMixin, TemplateView):
    template_name = "classes/preset_delete.html"

    def post(self, request, *args, **kwargs):
        services.preset_delete(preset=self.preset)
        messages.success(request, _("The preset was deleted."))
        return redirect("classes:presets", pk=self.course.pk)
