"""대화 정리: 고정, 보관과 되돌리기, 보관함 페이지."""

from urllib.parse import urlsplit

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext as _
from django.views import View
from django_htmx.http import HttpResponseClientRefresh

from chat import services
from chat.models import Conversation
from chat.views.shared import OwnConversationMixin, chat_context, safe_next

ARCHIVE_PAGE_SIZE = 30


def back_url(request, conversation) -> str:
    """JavaScript 없는 양식이 돌아갈 곳: 양식이 보낸 next (이 사이트의 주소만), 없으면 그 대화."""
    return safe_next(request, request.POST.get("next")) or reverse(
        "chat:conversation", args=[conversation.pk]
    )


def viewed_conversation_id(request):
    """htmx 요청을 보낸 화면이 보고 있는 대화의 번호 (없으면 None): 사이드바의 "지금 보는 대화" 표시에 쓴다."""
    current = request.htmx.current_url_abs_path if request.htmx else None
    try:
        match = resolve(urlsplit(current or "").path)
    except Resolver404:
        return None
    return match.kwargs.get("pk") if match.url_name == "conversation" else None


def organized(request, conversation, announcement: str):
    """고정이나 보관을 바꾼 뒤의 응답. htmx/JavaScript 없음의 갈림길은 여기 하나다.

    보고 있는 대화를 바꿨으면 머리글의 표시(고정, 보관 안내)도 바뀌어야 하니 화면을 새로 읽는다. 다른 대화면
    사이드바 목록만 out-of-band로 다시 그리고 알림 영역에 결과를 읽어 준다. JavaScript가 없으면 돌아간다.
    """
    if not request.htmx:
        messages.success(request, announcement)
        return redirect(back_url(request, conversation))
    viewed = viewed_conversation_id(request)
    if viewed == conversation.pk:
        messages.success(request, announcement)
        return HttpResponseClientRefresh()
    context = chat_context(request, announcement=announcement)
    if viewed is not None:
        context["conversation"] = Conversation(pk=viewed)
    return render(request, "chat/chat_layout.html#sidebar-refresh", context)


class ConversationPinView(OwnConversationMixin, View):
    """사이드바 맨 위에 고정하거나 푼다 (pinned=1 또는 0)."""

    def post(self, request, pk):
        pinned = request.POST.get("pinned") != "0"
        conversation = services.conversation_pin(conversation=self.conversation, pinned=pinned)
        title = conversation.title
        if pinned:
            announcement = _("Pinned “%(title)s”.") % {"title": title}
        else:
            announcement = _("Unpinned “%(title)s”.") % {"title": title}
        return organized(request, conversation, announcement)


class ConversationArchiveView(OwnConversationMixin, View):
    """보관하거나 보관함에서 꺼낸다 (archived=1 또는 0)."""

    def post(self, request, pk):
        archived = request.POST.get("archived") != "0"
        conversation = services.conversation_archive(
            conversation=self.conversation, archived=archived
        )
        title = conversation.title
        if archived:
            announcement = _("Archived “%(title)s”.") % {"title": title}
        else:
            announcement = _("Restored “%(title)s”.") % {"title": title}
        return organized(request, conversation, announcement)


class ArchivedListView(View):
    """보관함: 보관한 대화를 쪽으로, 저마다 되돌리기와 지우기."""

    template_name = "chat/conversation_archive.html"

    def get(self, request):
        paginator = Paginator(Conversation.objects.for_archive(request.user), ARCHIVE_PAGE_SIZE)
        archive = paginator.get_page(request.GET.get("page"))
        return render(request, self.template_name, chat_context(request, archive=archive))
