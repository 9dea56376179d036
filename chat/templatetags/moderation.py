"""관리 화면 첫 화면의 열린 신고 수."""

from django import template

from chat.models import Report

register = template.Library()


@register.simple_tag(takes_context=True)
def open_report_count(context):
    """신고를 볼 수 있는 사람에게만 센다. 볼 수 없으면 None."""
    user = context["request"].user
    if not user.has_perm("chat.view_report"):
        return None
    return Report.objects.open().count()
