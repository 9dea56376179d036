"""관리 화면: Django의 UserAdmin에 강사가 반을 살피는 데 필요한 열과 필터를 더한다."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from accounts.models import User


@admin.register(User)
class ClassUserAdmin(UserAdmin):
    list_display = (
        "username",
        "is_active",
        "is_staff",
        "date_joined",
        "last_login",
        "conversation_count",
    )
    list_filter = ("is_active", "is_staff", "is_superuser", "groups")

    def get_queryset(self, request):
        # 대화 수는 목록 한 번의 질의에서 센다 (줄마다 세지 않는다)
        return super().get_queryset(request).annotate(conversation_total=Count("conversations"))

    @admin.display(description=_("conversations"), ordering="conversation_total")
    def conversation_count(self, obj):
        return obj.conversation_total
