"""입력창의 사용량 계량기가 쓰는 태그: 판단은 accounts.usage가 하고, 태그는 그 결과를 건넬 뿐이다."""

from django import template

from accounts import usage

register = template.Library()


@register.simple_tag(takes_context=True)
def quota_status(context):
    """로그인한 사람의 오늘 사용량과 한도. 한도가 없으면 질의하지 않는다."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return None
    return usage.quota_status(request.user)
