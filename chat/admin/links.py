"""공유 링크: 보기만 하고, 거두기만 서비스를 부르는 동작으로 한다 (감사 기록에 남는다).

링크의 주소(토큰)는 보이지 않는다: 관리 화면에서 학생의 대화를 읽는 길은 열람이 기록되는 대화 화면 하나다.
"""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from chat import sharing
from chat.models import SharedLink
from core.admin import ReadOnlyAdmin


@admin.register(SharedLink)
class SharedLinkAdmin(ReadOnlyAdmin):
    list_display = ("title", "created_by", "created_at", "revoked_at", "conversation_link")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter), "created_at")
    list_select_related = ("created_by",)
    search_fields = ("title", "created_by__username")
    search_help_text = _("Search by title or by the person who shared.")
    ordering = ("-created_at", "-pk")
    fields = ("title", "conversation_link", "created_by", "created_at", "revoked_at")
    readonly_fields = fields
    actions = ("revoke",)

    def get_queryset(self, request):
        # 목록은 사본(갈래 전체)을 읽지 않는다
        return super().get_queryset(request).defer("snapshot")

    @admin.display(description=_("conversation"))
    def conversation_link(self, link):
        """대화의 관리 화면으로: 거기서 읽으면 열람이 기록되고 학생에게 보인다."""
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:chat_conversation_change", args=[link.conversation_id]),
            _("open the conversation"),
        )

    @admin.action(description=_("Revoke the selected links"), permissions=["revoke"])
    def revoke(self, request, queryset):
        revoked = sum(
            sharing.shared_link_revoke(link=link, user=request.user, request=request)
            for link in queryset.live().select_related("conversation")
        )
        self.message_user(
            request,
            ngettext("Revoked %(count)d link.", "Revoked %(count)d links.", revoked)
            % {"count": revoked},
            messages.SUCCESS,
        )

    def has_revoke_permission(self, request):
        # 읽기 전용 화면이라 바꾸기 권한 대신 따로 묻는다: 고칠 수 있는 칸은 여전히 없다
        return request.user.has_perm("chat.change_sharedlink")
