"""관리 화면: 사용자(강사가 반을 살피는 열과 필터, 오늘 쓴 토큰, 하루 한도)와 사용량 장부(거르기와 CSV)."""

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, SetUnusablePasswordMixin
from django.contrib.auth.models import Group
from django.db.models import Count, F, OuterRef, Prefetch, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils import formats
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts import courses, services, usage
from accounts.class_admin import CourseUsageFilter
from accounts.forms import PreferencesForm
from accounts.models import DailyUsage, Membership, User
from core import spreadsheet
from core.admin_i18n import permission_label, yes_no_icon

# CSV를 이만큼씩 읽는다: 긴 기간도 메모리를 일정하게
CSV_CHUNK_ROWS = 2000


class PasswordChangeForm(AdminPasswordChangeForm):
    """Django의 경고 한 줄("If disabled, …")은 번역 표시 없이 붙어 있어 우리 문장으로 바꾼다."""

    usable_password_help_text = format_lazy(
        '{}<ul id="id_unusable_warning" class="messagelist"><li class="warning">{}</li></ul>',
        SetUnusablePasswordMixin.usable_password_help_text,
        _("If disabled, the current password for this user will be lost."),
    )


class PermissionLabels:
    """권한 고르기 칸의 이름을 지금 언어로 (DB에는 "Can add …"가 영어로 저장되어 있다)."""

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and db_field.name in {"permissions", "user_permissions"}:
            field.label_from_instance = permission_label
        return field


admin.site.unregister(Group)


@admin.register(Group)
class DaehwaGroupAdmin(PermissionLabels, GroupAdmin):
    pass


@admin.register(User)
class DaehwaUserAdmin(PermissionLabels, UserAdmin):
    change_password_form = PasswordChangeForm

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "theme":
            # 모델 칸은 선택지를 마이그레이션에 두지 않으려고 맨 글자다: 관리 화면에서도 셋 중에서만 고른다
            return PreferencesForm.base_fields["theme"]
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    list_display = (
        "username",
        "name",
        "active",
        "staff",
        "date_joined",
        "last_login",
        "conversation_count",
        "tokens_today",
    )
    list_filter = ("awaiting_approval", "is_active", "is_staff", "is_superuser", "groups")
    actions = ["approve"]
    fieldsets = (
        *UserAdmin.fieldsets,
        (_("Usage"), {"fields": ("daily_token_quota", "must_change_password")}),
        # 학생이 설정 페이지에서 고르는 것: 강사가 "왜 이렇게 답하지?"를 물을 때 볼 수 있게
        (_("Preferences"), {"fields": ("custom_instructions", "theme")}),
    )

    def get_queryset(self, request):
        # 목록의 "오늘 토큰"은 장부에서 한 번의 하위 질의로: 줄마다 질의하지 않는다
        today = (
            DailyUsage.objects.filter(user=OuterRef("pk"), day=usage.today())
            .values("user")
            .annotate(total=Sum(F("prompt_tokens") + F("completion_tokens")))
            .values("total")
        )
        # 대화 수도 같은 질의에서 센다 (줄마다 세지 않는다)
        return (
            super()
            .get_queryset(request)
            .annotate(
                tokens_today=Coalesce(Subquery(today), 0),
                conversation_total=Count("conversations"),
            )
            # "오늘 토큰"의 한도는 반을 따른다: 반 자리를 한 번에 읽어 둔다 (accounts.courses.standing)
            .prefetch_related(
                Prefetch("memberships", courses.with_memberships(Membership.objects.all()))
            )
        )

    @admin.action(description=_("Approve selected accounts"), permissions=["change"])
    def approve(self, request, queryset):
        """SIGNUP_MODE=approval로 가입해 기다리는 사람을 받아 준다. 한 사람마다 감사 기록 하나."""
        approved = sum(
            services.user_approve(user=user, actor=request.user, request=request)
            for user in queryset.filter(awaiting_approval=True)
        )
        self.message_user(
            request,
            ngettext("%(count)d account approved.", "%(count)d accounts approved.", approved)
            % {"count": approved},
            messages.SUCCESS,
        )

    @admin.display(description=_("name"), ordering="first_name")
    def name(self, obj):
        return obj.get_full_name()

    # 예·아니요 아이콘의 alt를 번역하려고 필드 대신 메서드로 보인다 (core.admin_i18n.yes_no_icon)
    @admin.display(description=_("active"), ordering="is_active")
    def active(self, obj):
        return yes_no_icon(obj.is_active)

    @admin.display(description=_("staff status"), ordering="is_staff")
    def staff(self, obj):
        return yes_no_icon(obj.is_staff)

    @admin.display(description=_("conversations"), ordering="conversation_total")
    def conversation_count(self, obj):
        return obj.conversation_total

    @admin.display(description=_("today"), ordering="tokens_today")
    def tokens_today(self, obj):
        """오늘 쓴 토큰 / 한도 ("12,340 / 50,000"), 한도에 닿았으면 표시 하나. 한도는 이미 읽은 행에서 센다."""
        status = usage.QuotaStatus(
            used=obj.tokens_today, quota=usage.quota_for(obj), resets_at=usage.next_reset()
        )
        used = formats.number_format(status.used, force_grouping=True)
        if not status.limited:
            return gettext("%(used)s / no limit") % {"used": used}
        quota = formats.number_format(status.quota, force_grouping=True)
        if status.level != usage.QuotaLevel.OVER:
            return f"{used} / {quota}"
        return format_html(
            '{} / {} <strong class="usage-over-mark">{}</strong>', used, quota, status.level_word
        )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "daily_token_quota" in form.changed_data:
            services.user_quota_changed(
                actor=request.user,
                user=obj,
                previous=form.initial.get("daily_token_quota"),
                request=request,
            )


class DayRangeFilter(admin.FieldListFilter):
    """날짜 범위(부터, 까지). 빈 칸은 그쪽 끝이 없다는 뜻이다."""

    template = "admin/accounts/day_range_filter.html"

    def __init__(self, field, request, params, model, model_admin, field_path):
        self.gte = f"{field_path}__gte"
        self.lte = f"{field_path}__lte"
        super().__init__(field, request, params, model, model_admin, field_path)
        # 한쪽만 채운 양식은 빈 값을 보낸다: 거르지 않는다
        self.used_parameters = {
            name: value for name, value in self.used_parameters.items() if value not in ("", [""])
        }

    def expected_parameters(self):
        return [self.gte, self.lte]

    def choices(self, changelist):
        values = {name: value[-1] for name, value in self.used_parameters.items()}
        keep = {
            name: value
            for name, value in changelist.get_filters_params().items()
            if name not in (self.gte, self.lte)
        }
        yield {
            "gte_name": self.gte,
            "lte_name": self.lte,
            "gte": values.get(self.gte, ""),
            "lte": values.get(self.lte, ""),
            "hidden": [(name, value) for name, values_ in keep.items() for value in values_],
        }


@admin.register(DailyUsage)
class DailyUsageAdmin(admin.ModelAdmin):
    """장부는 답변이 끝날 때만 쓴다: 여기서는 읽고 거르고 내려받기만 한다."""

    list_display = (
        "day",
        "user",
        "model",
        "prompt_tokens",
        "completion_tokens",
        "total_tokens",
        "replies",
        "estimated_replies",
    )
    list_filter = (
        ("day", DayRangeFilter),
        CourseUsageFilter,
        ("user", admin.RelatedOnlyFieldListFilter),
        "model",
    )
    search_fields = ("user__username", "user__first_name")
    date_hierarchy = "day"
    list_select_related = ("user",)
    ordering = ("-day", "user__username", "model")
    list_per_page = 100

    @admin.display(description=_("total tokens"))
    def total_tokens(self, obj):
        return obj.total_tokens

    def changelist_view(self, request, extra_context=None):
        """목록 위에 반별 합계: 지금의 거르기(날짜, 사람, 모델, 반)를 지난 줄을 반마다 더한다. 질의 하나."""
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            # 목록 거르기는 값마다 목록을 받는다 (Django가 마지막 값을 읽는다): dict()로 주면 "41"의 마지막 글자를 읽었다
            params = {key: request.GET.getlist(key) for key in request.GET}
            chosen = CourseUsageFilter(request, params, DailyUsage, self).course_pk()
            totals = usage.class_totals(changelist.queryset.order_by(), course=chosen)
            response.context_data["class_totals"] = [
                {
                    "name": row[f"{usage.CLASS_PATH}__name"],
                    "tokens": row["prompt"] + row["completion"],
                    "replies": row["count"],
                }
                for row in totals
            ]
        return response

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        csv_view = self.admin_site.admin_view(self.csv_view)
        return [path("csv/", csv_view, name="accounts_dailyusage_csv"), *super().get_urls()]

    def csv_view(self, request):
        """목록과 같은 거르기(날짜, 사람, 모델, 검색)를 한 줄도 빼지 않고 CSV로."""
        if not self.has_view_permission(request):
            return redirect("admin:index")
        try:
            rows = self.get_changelist_instance(request).get_queryset(request)
        except IncorrectLookupParameters:
            messages.error(request, gettext("The filters are not valid; nothing was downloaded."))
            return redirect("admin:accounts_dailyusage_changelist")
        response = StreamingHttpResponse(self._csv_lines(rows), content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="daehwa-usage.csv"'
        return response

    @staticmethod
    def _csv_lines(rows):
        buffer = _LineBuffer()
        # 아이디와 모델 이름이 수식으로 돌지 않게
        writer = spreadsheet.writer(buffer)
        yield writer.writerow(
            [
                "day",
                "username",
                "model",
                "prompt_tokens",
                "completion_tokens",
                "total_tokens",
                "replies",
                "estimated_replies",
            ]
        )
        values = rows.values_list(
            "day",
            "user__username",
            "model",
            "prompt_tokens",
            "completion_tokens",
            "replies",
            "estimated_replies",
        )
        for day, username, model, prompt, completion, count, estimated in values.iterator(
            chunk_size=CSV_CHUNK_ROWS
        ):
            yield writer.writerow(
                [
                    day.isoformat(),
                    username,
                    model,
                    prompt,
                    completion,
                    prompt + completion,
                    count,
                    estimated,
                ]
            )


class _LineBuffer:
    """csv.writer가 쓴 한 줄을 그대로 돌려준다: 파일 전체를 메모리에 모으지 않는다."""

    def write(self, value):
        return value
