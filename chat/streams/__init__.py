"""답변 스트림(SSE): 생성된 글을 chat.feed에서 따라가 화면에 보낸다. 입구는 둘이고 프레임은 하나다.

frames    보낼 프레임 (reply_events), 응답의 머리와 시작 위치 (HEADERS, sse_start)
access    누가 받을 수 있나 (세션, 대화를 보는 규칙, 열린 스트림의 다시 확인)
entrance  가벼운 입구 (서명한 표, serve): Django의 입구는 chat.views.replies.ReplyStreamView
"""

from chat.streams.access import (
    followable_conversation,
    followable_conversations,
    owned_reply,
    session_user,
    until_access_lost,
)
from chat.streams.entrance import is_stream, serve, stream_url
from chat.streams.frames import (
    DETAIL_TEMPLATE,
    HEADERS,
    LastFrame,
    mark_latest,
    positive_int,
    reply_events,
    sse,
    sse_start,
)

__all__ = [
    "DETAIL_TEMPLATE",
    "HEADERS",
    "LastFrame",
    "followable_conversation",
    "followable_conversations",
    "is_stream",
    "mark_latest",
    "owned_reply",
    "positive_int",
    "reply_events",
    "serve",
    "session_user",
    "sse",
    "sse_start",
    "stream_url",
    "until_access_lost",
]
