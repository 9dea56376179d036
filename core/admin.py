"""감사 기록의 관리 화면: 보기만 한다."""

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.audit import ACTION_LABELS, action_label
from core.models import AuditEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    """기록은 보기만 한다: 관리자도 만들거나 고치거나 지우지 못한다."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ActionFilter(admin.SimpleListFilter):
    """행동으로 거른다. 이름표는 번역된 이름이고 주소에는 코드가 남는다."""

    title = _("action")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return list(ACTION_LABELS.items())

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "actor_username",
        "action_name",
        "target_link",
        "payload",
        "address",
    )
    list_display_links = ("created_at",)
    list_filter = (ActionFilter, "created_at")
    search_fields = ("actor_username", "target_repr", "=target_id")
    search_help_text = _("Search by username, target name or id.")
    list_per_page = 100
    ordering = ("-created_at", "-pk")
    show_full_result_count = False
    fields = (
        "created_at",
        "actor_username",
        "action",
        "target_type",
        "target_id",
        "target_link",
        "payload",
        "address",
    )
    readonly_fields = fields

    def lookup_allowed(self, lookup, value, request=None):
        # "이 대화에 관한 기록"과 "이 사람의 기록" 링크
        return lookup in {"target_id", "actor__id__exact"} or super().lookup_allowed(
            lookup, value, request
        )

    @admin.display(description=_("action"), ordering="action")
    def action_name(self, obj):
        return action_label(obj.action)

    @admin.display(description=_("target"))
    def target_link(self, obj):
        if not obj.target_type_id:
            return obj.target_repr or "—"
        # ContentType은 캐시에서 온다: 줄마다 질의하지 않는다
        content_type = ContentType.objects.get_for_id(obj.target_type_id)
        try:
            url = reverse(
                f"admin:{content_type.app_label}_{content_type.model}_change",
                args=[obj.target_id],
            )
        except NoReverseMatch:
            return obj.target_repr
        return format_html('<a href="{}">{}</a>', url, obj.target_repr or obj.target_id)
