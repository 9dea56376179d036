"""읽기 전용 관리 화면: 메시지와 신고 차례. 신고 처리만 서비스를 부르는 동작으로 한다."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from chat import moderation, upstream_errors
from chat.admin.reasons import BOTH, NoteForm, ask_reason
from chat.models import Message, Report
from chat.upstream_errors import ErrorKind
from core.admin import ReadOnlyAdmin

EXCERPT_CHARS = 80


def reply_in_conversation_url(message_id: int, conversation_id) -> str:
    """대화 관리 화면에서 그 메시지가 든 쪽으로."""
    url = reverse("admin:chat_conversation_change", args=[conversation_id])
    return f"{url}?message={message_id}#message-{message_id}"


class ErrorKindFilter(admin.SimpleListFilter):
    """오류 종류로 거른다. 이름표는 답변 화면과 같은 안내문이다 (필드의 choices에는 번역된 글이 없다)."""

    title = _("error kind")
    parameter_name = "error_kind"

    def lookups(self, request, model_admin):
        return [(kind.value, upstream_errors.sentence(kind)) for kind in ErrorKind]

    def queryset(self, request, queryset):
        return queryset.filter(error_kind=self.value()) if self.value() else queryset


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = (
        "excerpt",
        "owner",
        "role",
        "status",
        "error",
        "model",
        "tokens",
        "created_at",
        "in_conversation",
    )
    list_filter = ("role", "status", ErrorKindFilter, "model", "created_at")
    list_select_related = ("conversation__owner",)
    list_per_page = 50
    search_fields = ("content",)
    search_help_text = _("Search the words of messages.")
    ordering = ("-pk",)
    show_full_result_count = False
    fields = (
        "in_conversation",
        "role",
        "status",
        "error",
        "model",
        "prompt_tokens",
        "completion_tokens",
        "created_at",
        "content",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        # 목록은 본문 전체가 아니라 앞부분만 쓴다: 긴 답변 수백 개를 끌어오지 않게
        return super().get_queryset(request).defer("rendered_html")

    @admin.display(description=_("message"))
    def excerpt(self, obj):
        return Truncator(obj.content).chars(EXCERPT_CHARS) or "—"

    @admin.display(description=_("owner"), ordering="conversation__owner__username")
    def owner(self, obj):
        return obj.conversation.owner

    @admin.display(description=_("error kind"), ordering="error_kind")
    def error(self, obj):
        # 빈 칸 표시(-): None을 돌려주면 변경 화면은 "None"이라고 영어로 쓴다
        return obj.error_sentence or self.get_empty_value_display()

    @admin.display(description=_("tokens"))
    def tokens(self, obj):
        return (obj.prompt_tokens or 0) + (obj.completion_tokens or 0)

    @admin.display(description=_("conversation"))
    def in_conversation(self, obj):
        return format_html(
            '<a href="{}">{}</a>',
            reply_in_conversation_url(obj.pk, obj.conversation_id),
            obj.conversation.title,
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self.look_record(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        # 변경 기록 화면도 제목에 본문 앞부분을 보인다
        self.look_record(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def look_record(self, request, object_id):
        """메시지 하나를 연 것도 그 대화를 읽은 것이다."""
        message = self.get_object(request, object_id)
        if message is not None and request.method == "GET" and self.has_view_permission(request):
            moderation.conversation_view_record(
                conversation=message.conversation, viewer=request.user, request=request
            )


class ReportStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", _("Open")), ("resolved", _("Resolved"))]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(resolved_at__isnull=True)
        if self.value() == "resolved":
            return queryset.filter(resolved_at__isnull=False)
        return queryset


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "state",
        "reason",
        "reporter",
        "reply_link",
        "note_excerpt",
        "resolved_by",
    )
    list_display_links = ("created_at",)
    list_filter = (ReportStateFilter, "reason")
    list_select_related = ("reporter", "resolved_by", "reply")
    list_per_page = 50
    fields = (
        "state",
        "reason",
        "note",
        "reporter",
        "created_at",
        "updated_at",
        "reply_link",
        "resolved_at",
        "resolved_by",
        "resolution_note",
    )
    readonly_fields = fields
    actions = ["resolve_reports"]

    def get_queryset(self, request):
        return super().get_queryset(request).queue().defer("reply__rendered_html")

    def get_ordering(self, request):
        # queue()의 순서(열린 것 먼저, 오래된 것부터)를 admin이 덮지 않게
        return ()

    @admin.display(description=_("state"), ordering="resolved_at")
    def state(self, obj):
        return _("Open") if obj.is_open else _("Resolved")

    @admin.display(description=_("reply"))
    def reply_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>',
            reply_in_conversation_url(obj.reply_id, obj.reply.conversation_id),
            Truncator(obj.reply.content).chars(EXCERPT_CHARS) or "—",
        )

    @admin.display(description=_("note"))
    def note_excerpt(self, obj):
        return Truncator(obj.note).chars(EXCERPT_CHARS)

    def has_resolve_permission(self, request):
        return request.user.has_perm("chat.resolve_report")

    @admin.action(description=_("Resolve…"), permissions=["resolve"], location=BOTH)
    def resolve_reports(self, request, queryset):
        return ask_reason(
            self,
            request,
            queryset.select_related("reply"),
            action="resolve_reports",
            title=_("Resolve reports"),
            intro=_("Resolved reports leave the queue. Your note is kept in the audit trail."),
            form_class=NoteForm,
            apply=lambda report, note: moderation.report_resolve(
                report=report, moderator=request.user, note=note, request=request
            ),
            done=lambda n: (
                ngettext("%(count)d report resolved.", "%(count)d reports resolved.", n)
                % {"count": n}
            ),
        )
