"""SSE 스트림을 테스트 안에서 읽는 도구. Django의 AsyncClient로 ASGI 경로를 그대로 탄다."""

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


def read_stream(client, reply_id, *, after_first_token=None) -> Stream:
    """스트림을 끝까지 읽는다. after_first_token은 첫 토큰 뒤에 (동기 코드로) 한 번 부른다."""

    async def run():
        response = await _async_client(client).get(f"/chat/replies/{reply_id}/stream/")
        if not response.streaming:
            return Stream(response.status_code, response.content.decode())
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
    from chat import jobs

    assert async_to_sync(jobs.await_finished)(reply, 30)
