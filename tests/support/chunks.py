"""손으로 만든 Chat Completions 스트림 조각: 가짜 서버가 `Reply(raw_body=…)`로 그대로 다시 보낸다.

서버마다 조금씩 다른 모양(줄 끝, 빠진 필드, 오류 이벤트)을 흉내 내려고, SDK가 아니라 바이트로 쓴다.
"""

import json


def chunk(delta: dict | None = None, finish=None, *, usage=None, end=b"\n") -> bytes:
    """조각 하나의 data: 줄과 빈 줄. end로 줄 끝(LF, CRLF, CR)을 고른다."""
    payload = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": delta or {}, "finish_reason": finish}],
    }
    if usage is not None:
        payload["usage"] = usage
    return b"data: " + json.dumps(payload, ensure_ascii=False).encode() + end + end


def text(content: str, finish=None, **kwargs) -> bytes:
    """글 조각 하나."""
    return chunk({"content": content}, finish, **kwargs)


def body(*events: bytes, done=True, end=b"\n") -> list[bytes]:
    """조각들을 이은 본문 하나. done이면 끝에 [DONE]을 붙인다."""
    return [b"".join(events) + (b"data: [DONE]" + end + end if done else b"")]


def error_event(error: dict) -> bytes:
    """200으로 시작한 스트림 안에 오는 오류 객체."""
    return b"data: " + json.dumps({"error": error}).encode() + b"\n\n"
