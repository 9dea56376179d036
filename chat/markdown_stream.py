"""자라는 답변의 마크다운: 끝난 블록은 한 번만 그리고, 쓰는 중인 표·코드·목록은 끝난 모양으로 미리 그린다.

그리는 것은 모두 chat.markdown의 같은 파이프라인(render_or_escape, nh3)이다. 스트림(chat.streams)과 생성 중인 답변의
페이지(chat_tags.streaming_reply)가 함께 쓴다.
"""

import itertools
import re

from chat.markdown import block_tokens, render_or_escape
from chat.markdown_growing import KINDS, Growing, begin, code_block

__all__ = ["StreamingMarkdown"]

_FENCE_OPEN = re.compile(r" {0,3}(`{3,}|~{3,})")
# 문단은 빈 줄 뒤나 이런 글자로 시작하는 줄에서만 끊긴다 (제목, 인용, 목록, 구분선, 펜스, 표)
_MAY_START_BLOCK = frozenset("#>-*+_=~`|0123456789")


class StreamingMarkdown:
    """자라는 답변을 블록 단위로 그린다: 끝난 블록은 한 번만 그리고, 아직 쓰는 블록은 글 그대로 남긴다.

    블록이 끝났는지는 다음 블록이 시작되었는지로 안다. 판단은 완성된 줄마다 한 번, 쓰는 중인 블록만
    다시 읽어서 한다: 답변 전체를 프레임마다 다시 그리지 않으니 비용이 길이에 비례한다.
    줄 단위로만 판단하므로 결과는 글이 어떻게 쪼개져 왔는지와 상관없이 같다: 페이지가 한 번에 그린
    상태와, 조각조각 받은 브라우저의 상태와, 다시 연결한 스트림이 이어 갈 상태가 같다.

    쓰는 중인 블록이 코드 블록, 표, 목록이면 지금 끝난다면 보일 모양도 함께 만든다 (growing, Growing):
    완성된 줄은 그 모양 안으로 들어가고, 글자 그대로 남는 것은 아직 줄바꿈 전인 마지막 줄뿐이다 (shown_tail).
    """

    def __init__(self, text: str = ""):
        self.tail = ""  # 아직 끝나지 않은 블록 (글 그대로)
        self._checked = 0  # tail 안에서 판단을 마친 줄의 끝
        self._fence = None  # 열려 있는 펜스 (``` 같은 것): 닫히기 전까지는 읽을 필요가 없다
        self._blank_before = True
        # 앞 줄이 제목·펜스 같은 한 줄 블록이면 이 줄에서 새 블록이 시작될 수 있다
        self._special_before = False
        # 블록을 나눠 그려도 제목 수준이 답변 전체를 한 번에 그린 것과 같게 (첫 제목의 수준)
        self._env = {}
        self.growing: Growing | None = None  # 쓰는 중인 블록의 미리 그린 모양
        self._shown = 0  # tail 안에서 growing이 담은 글의 끝
        self._fresh = False  # growing이 통째로 바뀌었다 (스트림이 새로 보내야 한다)
        self.html = self.feed(text) if text else ""

    @property
    def shown_tail(self) -> str:
        """글자 그대로 보일 부분: growing이 있으면 그 뒤의 (줄바꿈 전) 글만."""
        return self.tail[self._shown :] if self.growing is not None else self.tail

    def take_fresh(self) -> bool:
        """growing이 통째로 바뀌었는지 묻고 잊는다 (스트림이 프레임 하나에 한 번)."""
        fresh, self._fresh = self._fresh, False
        return fresh

    def caught_up(self) -> None:
        """브라우저가 지금까지의 상태를 다 가졌다 (페이지가 그렸거나 끊기기 전에 받았다): 다시 보내지 않는다."""
        self._fresh = False
        if self.growing is not None:
            self.growing.mark_sent()

    def feed(self, piece: str) -> str:
        """조각을 더하고, 이번에 끝난 블록의 HTML을 돌려준다 (없으면 빈 글)."""
        self.tail += piece
        if "\n" not in piece:
            return ""
        finished = []
        while (end := self.tail.find("\n", self._checked) + 1) > 0:
            line = self.tail[self._checked : end - 1]
            self._checked = end
            finished.append(self._line(line, end))
            if self.growing is not None:
                self._shown = self._checked
        return "".join(finished)

    def finish(self, whole: tuple[str, str] | None = None) -> str:
        """답변이 끝났다: 남은 블록까지 그린다.

        whole: 끝난 답변의 (글, 저장할 때 그린 HTML). 아직 아무 블록도 끝나지 않아 남은 것이 글 전체라면 그 HTML이
        곧 답이다: 한 문단짜리 답변을 같은 파이프라인으로 두 번 그리지 않는다.
        """
        rest, self.tail, self._checked, self._fence = self.tail, "", 0, None
        self._blank_before, self._special_before = True, False
        self._set_growing(None)
        if not rest.strip():
            return ""
        if whole is not None and whole[0] == rest and not self._env and whole[1]:
            return whole[1]
        return render_or_escape(rest, self._env)

    def _line(self, line: str, end: int) -> str:
        blank_before, self._blank_before = self._blank_before, not line.strip()
        special_before = self._special_before
        if self._fence is not None:
            closing = line.strip()
            if (
                closing == self._fence[0] * len(closing)
                and len(closing) >= len(self._fence)
                and len(line) - len(line.lstrip()) < 4
            ):
                self._fence = None
                self._special_before = True
                if self.growing is not None:
                    # 닫힌 코드 블록: 아직 쓰는 줄은 이제 코드 밖에 보인다 (한 번 통째로 다시 보낸다)
                    self.growing.closed = self._fresh = True
            elif self.growing is not None:
                self.growing.line(line)
            return ""
        stripped = line.lstrip(" ")
        self._special_before = stripped[:1] in _MAY_START_BLOCK
        if (
            not stripped.strip()
            or not (blank_before or special_before or self._special_before)
            or (self.growing is not None and self.growing.continues(line, blank_before))
        ):
            if self.growing is not None and self.growing.kind != "code":
                self.growing.line(line)
            return ""
        starts = _block_starts(self.tail[:end])
        html, first, cut = "", starts[-1].map[0] if starts else 0, len(starts) >= 2
        if cut:
            offsets = _line_offsets(self.tail)
            html = "".join(
                render_or_escape(
                    self.tail[offsets[a.map[0]] if i else 0 : offsets[b.map[0]]], self._env
                )
                for i, (a, b) in enumerate(itertools.pairwise(starts))
            )
            self.tail = self.tail[offsets[first] :]
            self._checked -= offsets[first]
            first = 0
        # 쓰는 중인 블록이 펜스로 시작하고 이 줄이 그 첫 줄이면, 닫는 줄이 올 때까지 읽지 않는다
        opens_fence = False
        if self.tail.find("\n") + 1 == self._checked:
            opened = _FENCE_OPEN.match(self.tail)
            if opened:
                self._fence = opened.group(1)
                opens_fence = True
        self._grow(starts[-1] if starts else None, first, line, opens_fence=opens_fence, cut=cut)
        return html

    def _grow(self, token, first: int, line: str, *, opens_fence: bool, cut: bool) -> None:
        """읽은 결과로 쓰는 중인 블록의 모양을 정한다: 같은 블록이면 이 줄만 더하고, 새 블록이면 새로 만든다."""
        kind = KINDS.get(token.type) if token is not None else None
        if kind is None:
            self._set_growing(None)
        elif not cut and self.growing is not None and self.growing.kind == kind:
            if kind != "code":
                self.growing.line(line)
        elif kind == "code":
            # 펜스의 첫 줄일 때만: 줄마다 읽지 않으므로 코드는 이 뒤로 한 줄씩 더해진다
            self._set_growing(code_block(token, line) if opens_fence else None)
        else:
            lines = self.tail[: self._checked].split("\n")[first:-1]
            self._set_growing(begin(kind, token, lines, self._env))

    def _set_growing(self, growing: "Growing | None") -> None:
        if growing is not None or self.growing is not None:
            self._fresh = True
        self.growing = growing
        self._shown = self._checked


def _block_starts(text: str) -> list:
    """맨 바깥 블록의 첫 토큰들 (map[0]이 시작하는 줄 번호)."""
    return [
        token
        for token in block_tokens(text)
        if token.level == 0 and token.nesting >= 0 and token.map is not None
    ]


def _line_offsets(text: str) -> list[int]:
    """줄 번호 → 그 줄이 시작하는 위치."""
    return [0, *(match.end() for match in re.finditer("\n", text))]
