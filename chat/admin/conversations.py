"""대화 관리: 최근 활동 순 목록(한 번의 질의로 센 열들), 쪽으로 나눈 읽기 전용 메시지, 숨기기와 되돌리기, 신고된 답변 처리."""

from collections import defaultdict

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.text import smart_split, unescape_string_literal
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from chat import moderation, tree
from chat.admin.reasons import BOTH, REASON_MAX_CHARS, NoteForm, ReasonForm, ask_reason
from chat.admin.records import reply_in_conversation_url
from chat.attachments import services as attachment_services
from chat.models import Conversation, Message, Report
from core.admin_i18n import yes_no_icon

# 대화 화면의 한 쪽. 긴 대화도 한 번에 다 그리지 않는다.
MESSAGES_PER_PAGE = 50


def _count(queryset, group):
    """대화마다 센 수를 상관 부분 질의로: 목록 한 번의 질의에 들어가고, 조인처럼 서로 곱해지지 않는다."""
    counted = queryset.order_by().values(group).annotate(n=Count("pk"))
    return Coalesce(Subquery(counted.values("n"), output_field=IntegerField()), Value(0))


def _messages_here():
    return Message.objects.filter(conversation=OuterRef("pk"))


def _open_reports_here():
    return Report.objects.open().filter(reply__conversation=OuterRef("pk"))


class OpenReportsFilter(admin.SimpleListFilter):
    title = _("open reports")
    parameter_name = "reported"

    def lookups(self, request, model_admin):
        return [("yes", _("Has open reports")), ("no", _("No open reports"))]

    def queryset(self, request, queryset):
        # IN (부분 질의)는 한 번 계산된다. 대화마다 도는 EXISTS는 메시지가 많으면 목록이 멈춘 듯 느렸다
        # (docs/bench-history.md#따로-잰-값--one-off-measurements).
        reported = Report.objects.open().values("reply__conversation_id")
        if self.value() == "yes":
            return queryset.filter(pk__in=reported)
        if self.value() == "no":
            return queryset.exclude(pk__in=reported)
        return queryset


class FailedRepliesFilter(admin.SimpleListFilter):
    title = _("failed replies")
    parameter_name = "failed"

    def lookups(self, request, model_admin):
        return [("yes", _("Has failed replies"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            # (status, created_at) 색인으로 실패한 답변만 읽어 대화 번호를 모은다
            failed = Message.objects.filter(status=Message.Status.FAILED).values("conversation_id")
            return queryset.filter(pk__in=failed)
        return queryset


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "owner",
        "message_count",
        "token_count",
        "updated_at",
        "hidden",
        "open_report_count",
    )
    list_display_links = ("title",)
    list_filter = (
        "is_hidden",
        OpenReportsFilter,
        FailedRepliesFilter,
        "model",
        "updated_at",
    )
    list_select_related = ("owner",)
    list_per_page = 50
    # 메시지 내용은 get_search_results가 따로 찾는다: 조인 + DISTINCT는 메시지가 많으면 느렸다 (같은 곳)
    search_fields = ("title", "owner__username")
    search_help_text = _("Search by title, username, name or the words of any message.")
    ordering = ("-updated_at", "-pk")
    fields = ("owner", "title", "model", "system_prompt", "hidden", "created_at", "updated_at")
    readonly_fields = fields
    actions = ["hide_conversations", "unhide_conversations"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if (
            request.resolver_match
            and request.resolver_match.url_name != "chat_conversation_changelist"
        ):
            # 열은 목록에만 있다: 대화 하나를 열 때 긴 대화의 토큰을 더하지 않는다
            return queryset
        tokens = (
            _messages_here()
            .order_by()
            .values("conversation")
            .annotate(
                n=Sum(Coalesce("prompt_tokens", Value(0)) + Coalesce("completion_tokens", Value(0)))
            )
        )
        return queryset.annotate(
            message_total=_count(_messages_here(), "conversation"),
            token_total=Coalesce(
                Subquery(tokens.values("n"), output_field=IntegerField()), Value(0)
            ),
            open_reports=_count(_open_reports_here(), "reply__conversation"),
        )

    def get_search_results(self, request, queryset, search_term):
        """낱말마다: 제목, 아이디, 이름, 또는 어느 메시지의 내용에 든 대화. 메시지 쪽은 IN (부분 질의)로 한 번만 훑는다."""
        for bit in smart_split(search_term):
            if bit[:1] in {'"', "'"} and bit[-1:] == bit[:1]:
                bit = unescape_string_literal(bit)
            in_messages = Message.objects.filter(content__icontains=bit).values("conversation_id")
            queryset = queryset.filter(
                Q(title__icontains=bit)
                | Q(owner__username__icontains=bit)
                | Q(owner__first_name__icontains=bit)
                | Q(pk__in=in_messages)
            )
        return queryset, False

    @admin.display(description=_("messages"), ordering="message_total")
    def message_count(self, obj):
        return obj.message_total

    @admin.display(description=_("tokens"), ordering="token_total")
    def token_count(self, obj):
        return obj.token_total

    # 예·아니요 아이콘의 alt를 번역하려고 필드 대신 메서드로 보인다 (core.admin_i18n.yes_no_icon)
    @admin.display(description=_("hidden"), ordering="is_hidden")
    def hidden(self, obj):
        return yes_no_icon(obj.is_hidden)

    @admin.display(description=_("open reports"), ordering="open_reports")
    def open_report_count(self, obj):
        return obj.open_reports

    # 대화는 관리 화면에서 고치지 않는다: 숨기기와 되돌리기는 서비스를 부르는 동작으로만
    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    # 관리 화면은 대화를 지우지 않는다 (슈퍼유저도): 숨기면 충분하고, 지우기는 주인의 몫이거나 기록을 남기는
    # 운영 명령의 몫이다. 메시지 관리가 지우기를 막으므로 Django도 어차피 거절했다.
    def has_delete_permission(self, request, obj=None):
        return False

    def has_hide_permission(self, request):
        return request.user.has_perm("chat.hide_conversation")

    def has_resolve_permission(self, request):
        return request.user.has_perm("chat.resolve_report")

    def get_urls(self):
        resolve = self.admin_site.admin_view(require_POST(self.resolve_view))
        return [
            path(
                "<path:object_id>/messages/<int:message_id>/resolve/",
                resolve,
                name="chat_conversation_resolve",
            ),
            *super().get_urls(),
        ]

    def resolve_view(self, request, object_id, message_id):
        """대화 화면에서 신고된 답변의 열린 신고를 처리하고 그 답변으로 돌아간다."""
        conversation = self.get_object(request, unquote(object_id))
        if conversation is None or not self.has_view_permission(request, conversation):
            raise Http404
        if not self.has_resolve_permission(request):
            raise PermissionDenied
        reply = get_object_or_404(conversation.messages, pk=message_id)
        form = NoteForm(request.POST)
        if form.is_valid():
            resolved = moderation.reply_reports_resolve(
                reply=reply,
                moderator=request.user,
                note=form.cleaned_data["reason"],
                request=request,
            )
            self.message_user(
                request,
                ngettext("%(count)d report resolved.", "%(count)d reports resolved.", resolved)
                % {"count": resolved},
            )
        else:
            self.message_user(request, " ".join(form.errors["reason"]), level="error")
        return redirect(reply_in_conversation_url(reply.pk, conversation.pk))

    @admin.action(description=_("Hide from their owners…"), permissions=["hide"], location=BOTH)
    def hide_conversations(self, request, queryset):
        return ask_reason(
            self,
            request,
            queryset,
            action="hide_conversations",
            title=_("Hide conversations"),
            intro=_(
                "The owners will no longer see these conversations (they answer “not found”). "
                "Nothing is deleted, and you can unhide them later."
            ),
            form_class=ReasonForm,
            apply=lambda conversation, reason: moderation.conversation_hide(
                conversation=conversation, moderator=request.user, reason=reason, request=request
            ),
            done=lambda n: (
                ngettext("%(count)d conversation hidden.", "%(count)d conversations hidden.", n)
                % {"count": n}
            ),
        )

    @admin.action(
        description=_("Unhide (give back to their owners)…"), permissions=["hide"], location=BOTH
    )
    def unhide_conversations(self, request, queryset):
        return ask_reason(
            self,
            request,
            queryset,
            action="unhide_conversations",
            title=_("Unhide conversations"),
            intro=_("The owners will see these conversations again."),
            form_class=ReasonForm,
            apply=lambda conversation, reason: moderation.conversation_unhide(
                conversation=conversation, moderator=request.user, reason=reason, request=request
            ),
            done=lambda n: (
                ngettext("%(count)d conversation unhidden.", "%(count)d conversations unhidden.", n)
                % {"count": n}
            ),
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        conversation = self.get_object(request, object_id)
        if conversation is not None and self.has_view_permission(request, conversation):
            if request.method == "GET":
                # 남의 대화를 읽은 것: 주인이 알 수 있게 남긴다
                moderation.conversation_view_record(
                    conversation=conversation, viewer=request.user, request=request
                )
            extra_context = {
                **(extra_context or {}),
                **self.messages_page(request, conversation),
                "audit_url": reverse("admin:core_auditevent_changelist")
                + f"?target_id={conversation.pk}",
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        conversation = self.get_object(request, object_id)
        if (
            conversation is not None
            and request.method == "GET"
            and self.has_view_permission(request, conversation)
        ):
            # 변경 기록 화면도 제목을 보인다: 대화를 연 것과 같이 남긴다
            moderation.conversation_view_record(
                conversation=conversation, viewer=request.user, request=request
            )
        return super().history_view(request, object_id, extra_context)

    def messages_page(self, request, conversation):
        """지금 갈래의 메시지 한 쪽: 1쪽이 가장 최근. ?message=번호면 그 메시지가 든 쪽.

        그 메시지가 다른 갈래에 있으면(신고된 옛 버전) 그 갈래를 보인다: 학생의 지금 갈래는 바꾸지 않는다.
        """
        leaf = tree.leaf_id(conversation)
        ids = tree.ancestors(leaf)
        number = request.GET.get("page", 1)
        wanted = request.GET.get("message", "")
        if wanted.isascii() and wanted.isdigit() and len(wanted) <= 18:
            wanted = int(wanted)
            if wanted not in ids and conversation.messages.filter(pk=wanted).exists():
                ids = tree.ancestors(tree.leaf_under(conversation.pk, wanted))
            if wanted in ids:
                number = ids.index(wanted) // MESSAGES_PER_PAGE + 1
        paginator = Paginator(ids, MESSAGES_PER_PAGE)
        page = paginator.get_page(number)
        found = conversation.messages.in_bulk(list(page.object_list))
        # 쪽 안에서는 옛것부터 읽는다
        shown = [found[pk] for pk in reversed(page.object_list) if pk in found]
        reports = defaultdict(list)
        for report in (
            Report.objects.open()
            .filter(reply__in=[message.pk for message in shown])
            .select_related("reporter")
            .order_by("created_at", "pk")
        ):
            reports[report.reply_id].append(report)
        for message in shown:
            message.open_reports = reports[message.pk]
        attachment_services.prefetch(shown)
        return {
            "message_page": page,
            "page_messages": shown,
            "page_range": list(paginator.get_elided_page_range(page.number, on_each_side=2)),
            # 다른 쪽에 있는 신고된 답변으로도 곧장 간다
            "reported_replies": [
                (reply_id, reply_in_conversation_url(reply_id, conversation.pk))
                for reply_id in Report.objects.open()
                .filter(reply__conversation=conversation)
                .order_by("reply_id")
                .values_list("reply_id", flat=True)
                .distinct()
            ],
            "can_resolve": self.has_resolve_permission(request),
            "note_max_chars": REASON_MAX_CHARS,
        }
