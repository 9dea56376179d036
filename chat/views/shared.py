"""대화 화면들이 함께 쓰는 것: 내 대화 찾기, 사이드바, 거절의 상태 코드, htmx와 JavaScript 없음의 갈림길."""

from asgiref.sync import async_to_sync
from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django_htmx.http import reswap, retarget

from accounts import courses
from chat import feed, llm, replies, titles
from chat.forms import SearchForm
from chat.models import Conversation, Message
from chat.services import RefusalCode
from core import rows

SIDEBAR_PAGE_SIZE = 30
# JavaScript 없이 보내면 답변을 이만큼만 기다린다: 짧은 답은 끝난 채로 보이고, 긴 답은 브라우저가 빈 화면으로
# 몇 초씩 도는 대신 "쓰는 중" 화면이 곧바로 뜬다.
WAIT_WITHOUT_JS_SECONDS = 2
# 그 "쓰는 중" 화면의 주소에 붙는 이름: 이것이 있고 답변이 쓰이는 중일 때만 페이지가 스스로 새로 읽는다
WRITING_PARAM = "writing"


def sidebar_page(request):
    """사이드바의 한 쪽. 쪽 번호가 틀리면 마지막 쪽을 보인다. 항목마다 묶음을 붙인다: 고정한 것은 "고정됨",
    나머지는 언제(오늘, 어제…)."""
    paginator = Paginator(Conversation.objects.for_sidebar(request.user), SIDEBAR_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    today = timezone.localdate()
    previous = None
    if page.has_previous():
        # 앞 쪽의 마지막 항목과 같은 묶음이면 "더 보기"로 이어 붙일 때 묶음 제목을 다시 쓰지 않는다
        before = paginator.object_list[page.start_index() - 2]
        previous = sidebar_group(before, today)
    for item in page:
        item.group = sidebar_group(item, today)
        item.starts_group = item.group != previous
        previous = item.group
    return page


def sidebar_group(item, today) -> str:
    """고정한 대화는 제 묶음에 (for_sidebar가 맨 앞에 둔다), 나머지는 최근 활동으로."""
    return _("Pinned") if item.is_pinned else recency_group(item.updated_at, today)


def recency_group(moment, today) -> str:
    """ChatGPT처럼 최근 활동으로 묶는다. 날짜는 TIME_ZONE의 하루로 센다."""
    days = (today - timezone.localdate(moment)).days
    if days <= 0:
        return _("Today")
    if days == 1:
        return _("Yesterday")
    if days < 7:
        return _("Previous 7 days")
    # 관리 화면의 "이전 쪽"과 같은 낱말이라 맥락으로 나눈다
    return pgettext("conversation group", "Older")


def chat_context(request, **extra):
    return {
        "sidebar": sidebar_page(request),
        # 사이드바의 찾기 칸 (id가 찾기 화면의 칸과 겹치지 않게)
        "search_box": SearchForm(auto_id="sidebar-search-%s"),
        "is_demo": llm.is_demo(),
        **extra,
    }


def class_context(request) -> dict:
    """반이 입력창이 있는 화면(새 대화, 대화)에 더하는 것: 보낼 수 없으면 입력창 대신 그 까닭 한 문장, 닫지 않은 공지.

    반 자리는 계량기(usage.quota_for)와 같은 것이라 대개 질의가 늘지 않는다 (요청 동안 user에 붙어 있다).
    """
    standing = courses.standing(request.user)
    return {
        "read_only": not standing.can_send,
        "closed_message": "" if standing.can_send else standing.closed_message,
        "class_announcements": standing.announcements,
        # 새 대화 화면: 첫 메시지를 보내기 전에 그 대화가 어느 반의 것이고 강사가 읽을 수 있는지 알린다
        "class_for_new": standing.default_course() if standing.can_send else None,
        "instructors_can_read": settings.CLASS_INSTRUCTORS_CAN_READ,
    }


def finish_without_js(request, reply: Message):
    """JavaScript 없는 보내기의 끝: 짧은 답이면 끝나기를 잠깐 기다리고, 첫 답변이면 제목까지 지은 뒤 대화로
    이동한다. 더 걸리면 빈 화면 대신 "답변을 쓰는 중" 화면으로 가고, 그 화면이 끝날 때까지 스스로 새로 읽는다
    (제목은 그 화면이 끝난 답을 처음 보일 때 짓는다: ConversationDetailView)."""
    if async_to_sync(feed.wait_finished)(reply, WAIT_WITHOUT_JS_SECONDS):
        reply = replies.load(reply.pk)
    if reply.conversation.needs_title and reply.is_done:
        titles.conversation_title_generate(
            conversation=reply.conversation, language=request.LANGUAGE_CODE
        )
    url = reverse("chat:conversation", args=[reply.conversation_id])
    if reply.is_active:
        # 스스로 새로 읽으라는 표시. <noscript> 안의 meta refresh는 Chromium이 JavaScript가 켜져 있어도
        # 따르므로 쓰지 않는다: htmx 없이 보낸 이 요청이 곧 JavaScript가 없다는 증거다
        url += f"?{WRITING_PARAM}=1"
    return redirect(f"{url}#message-{reply.pk}")


# 거절 코드마다 JavaScript 없는 화면의 상태. 너무 잦거나 오늘의 한도에 닿은 것은 429(기다리면 된다),
# 대화의 지금 상태와 부딪치는 것은 409(답변이 끝나거나 멈춘 뒤에, 다른 모델을 고른 뒤에), DB가 잠깐 받지 못한 것은
# 503(서버 사정). 반이 모두 기간 밖인 것은 403: 기다리거나 다시 해도 바뀌지 않고, 강사가 기간을 바꿔야 한다.
REFUSAL_STATUS = {
    RefusalCode.RATE_LIMITED: 429,
    RefusalCode.QUOTA_REACHED: 429,
    RefusalCode.QUOTA_RESERVED: 429,
    RefusalCode.REPLY_IN_PROGRESS: 409,
    RefusalCode.NOT_RETRYABLE: 409,
    RefusalCode.BRANCH_CHANGED: 409,
    RefusalCode.SERVER_BUSY: 503,
    RefusalCode.CLASS_CLOSED: 403,
    RefusalCode.MODEL_NOT_ALLOWED: 409,
    RefusalCode.MODEL_CANNOT_SEE: 409,
    RefusalCode.FILES_GONE: 409,
}


def refusal_status(code: str) -> int:
    """거절(services.ChatRefused)의 코드로 고른 HTTP 상태. 모든 뷰가 이것 하나로 고른다."""
    return REFUSAL_STATUS[RefusalCode(code)]


def render_in_place(request, template: str, fragment: str, context: dict, *, page, status: int):
    """틀린 입력이나 거절을 그 자리에 다시 그린다: htmx와 JavaScript 없음의 갈림길은 여기 하나다.

    htmx면 조각 하나만 그려 같은 id의 자리를 바꾼다. htmx는 2xx만 바꿔 끼우므로 200이다. JavaScript가 없으면
    page()의 맥락으로 페이지 전체를 status로 그린다: 사이드바 같은 페이지의 값은 그쪽에서만 치른다.
    """
    if request.htmx:
        response = render(request, f"{template}#{fragment}", context)
        return reswap(retarget(response, f"#{fragment}"), "outerHTML")
    return render(request, template, page(), status=status)


class OwnConversationMixin:
    """URL이 가리키는 대화를 그 사람의 대화 중에서만 찾는다: 남의 대화는 404."""

    def dispatch(self, request, pk):
        self.conversation = own_conversation(request.user, pk)
        return super().dispatch(request, pk)


def own_conversation(user, pk) -> Conversation:
    """Conversation.objects.for_user(user)에서 pk인 것, 없으면 404. 보내기와 스트림마다 돌아 SQL을 직접 쓴다."""
    conversation = rows.get(Conversation, {"pk": pk, "owner": user.pk, "is_hidden": False})
    if conversation is None:
        raise Http404
    return conversation


def safe_next(request, target: str | None) -> str | None:
    """양식이 돌아갈 곳으로 보낸 주소 (보관함 등). 이 사이트의 주소만, 아니면 None."""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return None
