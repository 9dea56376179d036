"""관리 화면: 강사와 운영자가 대화를 찾아 읽고 숨긴다. 메시지는 읽기만 한다."""

from django.contrib import admin

from chat.models import Conversation, Message


class MessageInline(admin.TabularInline):
    model = Message
    fields = (
        "created_at",
        "role",
        "content",
        "status",
        "error_kind",
        "model",
        "prompt_tokens",
        "completion_tokens",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ("title", "owner", "model", "updated_at", "is_hidden")
    list_filter = ("is_hidden", "model")
    list_select_related = ("owner",)
    search_fields = ("title", "owner__username")
    readonly_fields = ("id", "owner", "created_at", "updated_at")
    fields = (
        "id",
        "owner",
        "title",
        "model",
        "system_prompt",
        "is_hidden",
        "created_at",
        "updated_at",
    )
    inlines = [MessageInline]
