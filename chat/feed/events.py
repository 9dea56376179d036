"""답변을 따라가는 사람이 받는 것: 글 조각(Text), 빈 신호(Keepalive), 끝(End). 모든 길이 이 셋만 낸다."""

from dataclasses import dataclass

# 아무 일 없는 스트림에도 이만큼마다 빈 신호를 보낸다: 프록시가 연결을 끊지 않게
KEEPALIVE_SECONDS = 15.0


@dataclass(frozen=True, slots=True)
class Text:
    """스트림 글 한 조각. end는 스트림 글에서 이 조각이 끝나는 위치: SSE id이자 Last-Event-ID다."""

    text: str
    end: int


@dataclass(frozen=True, slots=True)
class Keepalive:
    """한동안 보낼 글이 없었다."""


@dataclass(frozen=True, slots=True)
class End:
    """생성이 끝났다. reply는 끝난 답변(대화가 붙은 것), 그새 지워졌거나 끝 저장에 실패했으면 None."""

    reply: object | None = None


KEEPALIVE = Keepalive()
