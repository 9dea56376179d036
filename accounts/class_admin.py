"""관리 화면의 반: 운영자가 반을 만들고 강사와 학생, 프리셋, 초대 코드를 본다. 강사는 /classes/의 자기 화면을 쓴다."""

from django.contrib import admin
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Course, Invitation, Membership, Preset
from accounts.usage import CLASS_PATH, in_class_days

ID_MAX = 2**63 - 1


class CourseUsageFilter(admin.SimpleListFilter):
    """사용량 장부를 반으로: 그 반 학생들이 반의 기간 안에 쓴 줄 (usage_report --class와 같은 규칙)."""

    title = _("class")
    parameter_name = "class"

    def lookups(self, request, model_admin):
        return [(str(pk), name) for pk, name in Course.objects.values_list("pk", "name")]

    def queryset(self, request, queryset):
        pk = self.course_pk()
        if pk is None:
            return queryset
        return queryset.filter(in_class_days(CLASS_PATH), **{CLASS_PATH: pk})

    def course_pk(self) -> int | None:
        # 주소창에서 고친 값: 숫자가 아니거나 DB의 정수보다 크면 거르지 않는다 (OverflowError로 500이 되지 않게)
        value = self.value() or ""
        # 자릿수를 먼저: 수천 자리의 숫자는 int()부터 거절한다
        if not (value.isascii() and value.isdecimal() and len(value) <= 19):
            return None
        return int(value) if int(value) <= ID_MAX else None


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ("user",)
    fields = ("user", "joined_at", "invitation")
    readonly_fields = ("joined_at", "invitation")


class PresetInline(admin.StackedInline):
    model = Preset
    extra = 0
    fields = ("name", "system_prompt", "hidden")


class InvitationInline(admin.TabularInline):
    """코드는 서버가 짓는다: 여기서는 보고, 끝나는 때·횟수를 고치고, 거둔다."""

    model = Invitation
    extra = 0
    fields = ("code", "uses", "max_uses", "expires_at", "revoked_at", "created_by", "created_at")
    readonly_fields = ("code", "uses", "created_by", "created_at")


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ("name", "starts_on", "ends_on", "daily_token_quota", "member_count")
    list_filter = ("starts_on", "ends_on")
    search_fields = ("name", "instructors__username", "instructors__first_name")
    filter_horizontal = ("instructors",)
    fieldsets = (
        (None, {"fields": ("name", "instructors", "starts_on", "ends_on")}),
        (_("Limits"), {"fields": ("daily_token_quota", "allowed_models", "retention_days")}),
        (_("Announcement"), {"fields": ("announcement",)}),
    )
    inlines = (MembershipInline, PresetInline, InvitationInline)

    def save_model(self, request, obj, form, change):
        # 공지를 고치면 닫았던 학생에게도 다시 보인다 (accounts.courses.Standing.announcements)
        if "announcement" in form.changed_data:
            obj.announcement_at = timezone.now()
        super().save_model(request, obj, form, change)

    def get_queryset(self, request):
        # 목록의 학생 수는 한 질의에서: 줄마다 세지 않는다
        return super().get_queryset(request).annotate(member_total=Count("memberships"))

    @admin.display(description=_("members"), ordering="member_total")
    def member_count(self, obj):
        return obj.member_total
