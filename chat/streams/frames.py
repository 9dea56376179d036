"""스트림이 보내는 것: SSE 프레임, 답변을 따라가며 만드는 프레임들, 두 입구가 함께 쓰는 응답의 머리와 시작 위치."""

import html
import logging
from collections.abc import AsyncIterator

from django.template.loader import render_to_string

from chat import feed, reasoning, tree
from chat.markdown_growing import stream_grow, stream_growing
from chat.markdown_stream import StreamingMarkdown
from chat.models import Conversation, Message

logger = logging.getLogger(__name__)

DETAIL_TEMPLATE = "chat/conversation_detail.html"

# 두 입구(가벼운 입구와 ReplyStreamView)의 응답 머리
HEADERS = (
    ("Content-Type", "text/event-stream; charset=utf-8"),
    ("Cache-Control", "no-cache"),
    # nginx 같은 프록시가 모아 두지 않게
    ("X-Accel-Buffering", "no"),
)


def positive_int(value: str) -> int | None:
    """ASCII 숫자 18자까지만 (BigAutoField 안): "²"나 "③"은 isdigit()을 통과하지만 int()가 받지 않고,
    4,300자가 넘는 숫자도 int()가 거절한다. 틀린 값은 None."""
    return int(value) if len(value) <= 18 and value.isascii() and value.isdigit() else None


def sse_start(last_event_id: str, shown: str) -> int:
    """어디서부터 보낼까: 다시 연결한 EventSource의 Last-Event-ID, 없으면 페이지가 이미 그린 글자 수(?from=)."""
    return positive_int(last_event_id) or positive_int(shown) or 0


def mark_latest(message: Message, conversation: Conversation) -> Message:
    """대화의 마지막 메시지에만 붙는 단추와 요청을 정한다 (템플릿은 판단하지 않는다).

    멈추거나 실패한 답변에는 다시 시도 단추를, 길이 한도에서 잘린 답변에는 계속 단추를, 제목이 아직 없는 대화의
    끝난 답변에는 제목 요청을.
    """
    message.can_retry = message.is_retryable
    # 길이 한도에서 잘린 답: 이어 써 달라는 보내기 단추 (생각만 하다 잘린 답은 이을 글이 없다)
    message.can_continue = message.is_done and message.hit_length_limit and bool(message.content)
    message.asks_title = conversation.needs_title and not message.is_user and message.is_done
    return message


# ---------------------------------------------------------------- 프레임


def sse(event: str, data: str, event_id: int | None = None) -> str:
    """SSE 프레임 하나. 여러 줄은 줄마다 data: 를 붙인다 (브라우저가 줄바꿈으로 다시 잇는다).

    id는 답변 글에서 이 조각이 끝나는 위치다: 다시 연결한 EventSource가 Last-Event-ID로 돌려준다.
    """
    lines = data.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    head = f"event: {event}\n" + (f"id: {event_id}\n" if event_id is not None else "")
    return head + "".join(f"data: {line}\n" for line in lines) + "\n"


async def reply_events(request, reply: Message, offset: int) -> AsyncIterator[str]:
    """스트림이 보낼 것: 지금까지의 글(offset 뒤), 새 조각(escape), 마지막 답변의 그림, done.

    chat.feed를 따라갈 뿐이다: 연결이 끊겨도 생성은 계속된다. request는 마지막 그림의 CSRF 토큰에 쓴다.
    offset과 id는 생각까지 이은 스트림 글에서 센다 (chat.reasoning).
    """
    # 바로 보내는 주석: 브라우저와 프록시가 연결이 열렸음을 곧장 안다
    yield ": connected\n\n"
    # 페이지(또는 끊긴 연결)가 이미 그린 글도 읽어서, 블록을 나눈 상태를 브라우저와 똑같이 맞춘다
    markdown = StreamingMarkdown()
    thoughts = reasoning.Reader()
    # 마지막 그림은 done과 함께 한 번에 보낸다: 프레임마다 쓰기(시스템 호출) 한 번이다
    ending = ""
    try:
        async for event in feed.follow(reply, 0):
            if type(event) is feed.Text:
                start = event.end - len(event.text)
                if start < offset:
                    _, seen, _ = thoughts.feed(event.text[: offset - start])
                    markdown.feed(seen)
                    # 여기까지는 브라우저가 이미 그렸다 (페이지나 끊기기 전의 프레임으로)
                    markdown.caught_up()
                    if event.end <= offset:
                        continue
                text = event.text[max(offset - start, 0) :]
                yield _frame(reply.pk, markdown, thoughts, text, event.end)
            elif type(event) is feed.Keepalive:
                yield ": keepalive\n\n"
            elif (final := event.reply) is not None:
                # 남은 블록까지 그려 두면 마지막 답변으로 바뀔 때 화면이 거의 움직이지 않는다
                if rest := markdown.finish(whole=(final.content, final.rendered_html)):
                    ending += sse("blocks", rest + stream_growing(reply.pk, None, "", oob=True))
                # 다시 생성한 답변이면 "‹ 2 / 2 ›"가 함께 그려진다. 같은 프로세스의 작업이 만든 답변은 이미 안다
                # (services._reply_create): 다른 프로세스나 DB에서 읽은 답변만 묻는다
                if not hasattr(final, "versions"):
                    await tree.areply_versions(final)
                context = {
                    "message": mark_latest(final, final.conversation),
                    "conversation": final.conversation,
                }
                ending += sse(
                    "reply",
                    render_to_string(f"{DETAIL_TEMPLATE}#reply-swap", context, request=request),
                )
    except Exception:
        # 우리 쪽 결함이라도 스트림은 done으로 닫는다 (연결 끊김·취소는 Exception이 아니라 여기 오지 않는다)
        logger.exception("reply stream failed reply=%s", reply.pk)
    # 어떻게 끝나든 done: 없으면 EventSource가 다시 연결한다
    yield LastFrame(ending + sse("done", ""))


class LastFrame(str):
    """스트림의 마지막 프레임 (마지막 그림과 done). 가벼운 입구는 이것으로 응답을 닫는다."""


def _frame(
    reply_id: int, markdown: StreamingMarkdown, thoughts: reasoning.Reader, text: str, end: int
) -> str:
    """새 조각 하나: 블록이 끝나지 않았으면 글 그대로 덧붙이고(token), 끝났으면 그린 블록과 새 꼬리(blocks).

    생각은 접힌 블록에 덧붙인다(think). 첫 생각은 블록을 만들고, 답으로 넘어가면 요약을 바꾼다 (oob).
    """
    if thoughts.answering:
        return _answer_frame(reply_id, markdown, text, end)
    before = thoughts.seen
    thought, answer, crossed = thoughts.feed(text)
    frames = ""
    if thought:
        if before == 0:
            block = reasoning.block(
                reply_id, thought, thinking=not crossed, streaming=True, oob=True
            )
            frames += sse("blocks", block)
        else:
            frames += sse("think", html.escape(thought, quote=False))
    if crossed and before:
        frames += sse("blocks", reasoning.answered(reply_id))
    if answer:
        return frames + _answer_frame(reply_id, markdown, answer, end)
    # id는 마지막 프레임에만: 다시 연결하면 이 조각 뒤부터 받는다
    return frames[:-1] + f"id: {end}\n\n" if frames else ""


def _answer_frame(reply_id: int, markdown: StreamingMarkdown, text: str, end: int) -> str:
    """답의 조각 하나: 블록이 끝나거나 쓰는 블록의 모양이 새로 생기면 blocks(끝난 블록과 새 자리),
    미리 그린 블록에 줄이 더해지면 grow(새 줄·행·항목과 남은 줄), 아니면 token(글 그대로)."""
    finished = markdown.feed(text)
    growing, tail, fresh = markdown.growing, markdown.shown_tail, markdown.take_fresh()
    if finished or fresh:
        return sse("blocks", finished + stream_growing(reply_id, growing, tail, oob=True), end)
    if growing is not None and "\n" in text:
        return sse("grow", stream_grow(reply_id, growing, tail), end)
    return sse("token", html.escape(text, quote=False), end)
