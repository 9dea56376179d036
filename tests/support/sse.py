"""SSE 스트림을 테스트 안에서 읽는 도구. Django의 AsyncClient로 ASGI 경로를 그대로 타거나(read_stream),
띄운 서버의 HTTP 응답을 줄마다 읽는다(read_events)."""

import time
from dataclasses import dataclass

from asgiref.sync import async_to_sync, sync_to_async
from django.test import AsyncClient


@dataclass
class Stream:
    status_code: int
    raw: str

    @property
    def events(self) -> list[tuple[str, str]]:
        """(이벤트 이름, 데이터) 목록. 주석 줄(: …)은 빠진다."""
        found = []
        for block in self.raw.split("\n\n"):
            name, data = "message", []
            for line in block.split("\n"):
                if line.startswith("event: "):
                    name = line.removeprefix("event: ")
                elif line.startswith("data:"):
                    data.append(line.removeprefix("data:").removeprefix(" "))
            if data:
                found.append((name, "\n".join(data)))
        return found

    def data(self, name: str) -> list[str]:
        return [data for event, data in self.events if event == name]

    @property
    def text(self) -> str:
        """토큰 프레임을 이은 글 (브라우저가 보는 그대로, escape된 상태)."""
        return "".join(self.data("token"))


def _async_client(client) -> AsyncClient:
    async_client = AsyncClient()
    async_client.cookies = client.cookies
    return async_client


async def start_generation(reply_id) -> None:
    """대기 중인 답변의 생성을 이 루프에서 시작한다.

    보내기는 커밋 뒤에(on_commit) 생성을 시작하는데, 테스트의 트랜잭션은 커밋되지 않는다. 스트림은 생성을
    시작하지 않으므로(chat.feed) 여기서 브라우저 대신 시작한다: 이 루프의 DB 호출은 테스트의 연결을 쓴다.
    """
    from chat import generation
    from chat.models import Message

    reply = await Message.objects.filter(pk=reply_id).afirst()
    if reply is not None and reply.status == Message.Status.PENDING:
        generation.start(reply.pk, reply.attempt)


def read_stream(client, reply_id, *, after_first_token=None) -> Stream:
    """스트림을 끝까지 읽는다. after_first_token은 첫 토큰 뒤에 (동기 코드로) 한 번 부른다."""

    async def run():
        response = await _async_client(client).get(f"/chat/replies/{reply_id}/stream/")
        if not response.streaming:
            return Stream(response.status_code, response.content.decode())
        # 스트림이 열린 뒤에 (첫 프레임 전에): 받아들여진 스트림만 생성을 본다
        await start_generation(reply_id)
        chunks = []
        hook = after_first_token
        async for chunk in response.streaming_content:
            chunks.append(chunk.decode())
            if hook and "event: token" in chunks[-1]:
                await sync_to_async(hook)()
                hook = None
        return Stream(response.status_code, "".join(chunks))

    return async_to_sync(run)()


def finish_reply(reply) -> None:
    """아무도 스트림을 열지 않은 답변의 생성 작업을 여기서 맡아 끝까지 돌린다 (JavaScript 없는 보내기처럼)."""
    from chat import feed

    async def run():
        await start_generation(reply.pk)
        return await feed.wait_finished(reply, 30)

    assert async_to_sync(run)()


def read_events(response, *, until=None):
    """(이벤트 이름, 데이터, 도착 시각) 목록. until 이벤트를 받으면 멈춘다 (연결은 열어 둔다).

    id: 줄은 response.last_event_id에 남는다 (EventSource처럼).
    """
    events, name, data, started = [], None, [], time.monotonic()
    while (line := response.readline()) != b"":
        text = line.decode().rstrip("\n")
        if text.startswith("event: "):
            name = text.removeprefix("event: ")
        elif text.startswith("id: "):
            response.last_event_id = text.removeprefix("id: ")
        elif text.startswith("data: "):
            data.append(text.removeprefix("data: "))
        elif text == "" and name:
            events.append((name, "\n".join(data), time.monotonic() - started))
            if name == until:
                break
            name, data = None, []
    return events
