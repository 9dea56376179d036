"""자라는 답변의 마크다운: 끝난 블록은 한 번만 그리고, 쓰는 중인 표·코드·목록은 끝난 모양으로 미리 그린다.

그리는 것은 모두 chat.markdown의 같은 파이프라인(render_or_escape, nh3)이다. 스트림(chat.streams)과 생성 중인 답변의
페이지(chat_tags.streaming_reply)가 함께 쓴다.
"""

import itertools
import re
from html import escape

from chat.markdown import block_tokens, language_alias, render_or_escape

__all__ = ["Growing", "StreamingMarkdown", "stream_grow", "stream_growing", "stream_tail"]

_FENCE_OPEN = re.compile(r" {0,3}(`{3,}|~{3,})")
# 문단은 빈 줄 뒤나 이런 글자로 시작하는 줄에서만 끊긴다 (제목, 인용, 목록, 구분선, 펜스, 표)
_MAY_START_BLOCK = frozenset("#>-*+_=~`|0123456789")
# 목록 항목의 첫 줄: 들여쓰기, 표지(- * + 1. 1)), 표지 뒤의 공백, 그리고 글
_ITEM = re.compile(r"( {0,3})([-+*]|\d{1,9}[.)])( +)\S")
_THEMATIC_BREAK = re.compile(r" {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")


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
        kind = _KINDS.get(token.type) if token is not None else None
        if kind is None:
            self._set_growing(None)
        elif not cut and self.growing is not None and self.growing.kind == kind:
            if kind != "code":
                self.growing.line(line)
        elif kind == "code":
            # 펜스의 첫 줄일 때만: 줄마다 읽지 않으므로 코드는 이 뒤로 한 줄씩 더해진다
            self._set_growing(_Code(token, _indent(line)) if opens_fence else None)
        else:
            lines = self.tail[: self._checked].split("\n")[first:-1]
            self._set_growing((_Table if kind == "table" else _List).start(token, lines, self._env))

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


# 쓰는 중인 블록의 모양 ────────────────────────────────────────────────────

_KINDS = {
    "fence": "code",
    "table_open": "table",
    "bullet_list_open": "list",
    "ordered_list_open": "list",
}


class Growing:
    """쓰는 중인 블록이 지금 끝난다면 보일 모양: 껍데기(head, 담는 요소, foot) 안에 단위들.

    단위는 코드의 줄, 표의 행, 목록의 항목이다. 단위는 한 번 그려 덧붙인다: 블록 전체를 줄마다 다시 그리지 않아
    비용이 길이에 비례한다. 목록의 마지막 항목만 줄이 늘 때 다시 그린다 (그 항목의 길이만큼).
    단위의 HTML은 render_or_escape(nh3)가 거른 것이거나 escape한 글이다.
    """

    kind = ""
    head = ""  # 담는 요소 앞
    box = ""  # 단위를 담는 요소 (새 단위가 beforeend로 붙는 곳)
    box_attrs = ""
    foot = ""  # 담는 요소 뒤

    def __init__(self):
        self.units: list[str] = []
        self.sent = 0  # 브라우저가 이미 가진 단위 수 (스트림이 센다)
        self.closed = False  # 블록이 다 쓰였다 (닫는 펜스, 표 뒤의 빈 줄): 다음은 새 블록이다
        self.redrawn: set[int] = set()  # 다시 그린 단위

    def continues(self, line: str, blank_before: bool) -> bool:
        """이 줄이 틀림없이 같은 블록을 잇는가: 그러면 블록 경계를 찾으려 다시 읽지 않는다 (긴 표·목록도 선형)."""
        return False

    def line(self, line: str) -> None:
        """완성된 줄 하나를 더한다."""

    def unit(self, reply_id: int, index: int) -> str:
        return self.units[index]

    def mark_sent(self) -> None:
        self.sent = len(self.units)
        self.redrawn.clear()


class _Code(Growing):
    kind = "code"
    box = "span"

    def __init__(self, token, indent: int):
        super().__init__()
        self._indent = indent  # 펜스의 들여쓰기
        lang = token.info.strip().split(maxsplit=1)[0] if token.info.strip() else ""
        alias = language_alias(lang)
        if alias is None:
            self.head = '<pre class="code"><code>'
        else:
            alias = escape(alias)
            self.head = f'<pre class="code" data-lang="{alias}"><code class="language-{alias}">'
        self.foot = "</code></pre>"

    def line(self, line: str) -> None:
        # markdown-it처럼 펜스만큼 들여쓴 칸을 뗀다
        # 줄바꿈은 줄 앞에: 코드의 끝에 빈 줄이 생기지 않아 끝난 코드 블록과 높이가 같다 (쓰는 줄은 CSS가 띄운다)
        drop = min(self._indent, _indent(line))
        self.units.append(("\n" if self.units else "") + escape(line[drop:], quote=False))


class _Table(Growing):
    kind = "table"
    box = "tbody"
    foot = "</table>"

    @classmethod
    def start(cls, _token, lines: list[str], _env: dict) -> "Growing | None":
        if len(lines) < 2:
            return None
        table = cls(lines[0] + "\n" + lines[1] + "\n")
        if not table.head:
            return None
        for line in lines[2:]:
            table.line(line)
        return table

    def __init__(self, source: str):
        super().__init__()
        self._source = source  # 머리 행과 구분 행: 행마다 함께 그려 칸 수와 정렬을 맞춘다
        html = render_or_escape(source)
        if html.startswith("<table>") and "</thead>" in html:
            self.head = html[: html.index("</thead>") + len("</thead>")] + "\n"

    def continues(self, line: str, blank_before: bool) -> bool:
        # '|'로 시작하는 줄로 시작하는 블록은 없다: 빈 줄 뒤가 아니면 표의 다음 행이다
        return not blank_before and _indent(line) < 4 and line.lstrip(" ").startswith("|")

    def line(self, line: str) -> None:
        if not line.strip():
            self.closed = True  # 빈 줄이 표를 끝낸다
            return
        html = render_or_escape(self._source + line + "\n")
        start, end = html.find("<tbody>\n"), html.rfind("</tbody>")
        if 0 <= start < end:
            self.units.append(html[start + len("<tbody>\n") : end])


# 쓰는 중인 항목을 줄마다 다시 그리는 것은 이 길이까지: 더 긴 항목(안에 긴 코드가 든 것)은 다음 항목이 시작될 때
# 한 번만 다시 그려, 항목 하나가 아무리 길어도 비용이 길이에 비례한다
ITEM_REDRAW_CHARS = 2000


class _List(Growing):
    kind = "list"

    @classmethod
    def start(cls, token, lines: list[str], env: dict) -> "Growing | None":
        item = _ITEM.match(lines[0]) if lines else None
        if item is None:
            return None
        growing = cls(token, item, env)
        for line in lines:
            growing.line(line)
        return growing

    def __init__(self, token, item: re.Match, env: dict):
        super().__init__()
        self._env = env
        self._marker = item.group(2)[-1]  # - * + 또는 . )
        self._column = 0  # 지금 항목의 글이 시작하는 칸: 그보다 덜 들여쓴 같은 표지가 다음 항목
        self._source = ""  # 지금 항목의 글
        self._stale = False  # 지금 항목이 길어 줄마다 다시 그리지 않았다
        if token.type == "ordered_list_open":
            self.box = "ol"
            start = token.attrs.get("start")
            self.box_attrs = f' start="{int(start)}"' if start is not None else ""
        else:
            self.box = "ul"

    def _sibling(self, line: str) -> re.Match | None:
        item = _ITEM.match(line)
        if (
            item is None
            or item.group(2)[-1] != self._marker
            or (self.units and len(item.group(1)) >= self._column)
            or _THEMATIC_BREAK.match(line)
        ):
            return None
        return item

    def continues(self, line: str, blank_before: bool) -> bool:
        # 같은 표지의 항목, 또는 지금 항목의 글만큼 들여쓴 줄은 이 목록 안이다
        if _THEMATIC_BREAK.match(line):
            return False
        item = _ITEM.match(line)
        if item is not None and item.group(2)[-1] == self._marker:
            return True
        return bool(self.units) and bool(line.strip()) and _indent(line) >= self._column

    def line(self, line: str) -> None:
        item = self._sibling(line)
        if item is not None:
            if self._stale:
                self._redraw()
            spaces = len(item.group(3))
            self._column = len(item.group(1)) + len(item.group(2)) + (spaces if spaces <= 4 else 1)
            self._source = line + "\n"
            self.units.append(self._render())
            return
        if not self.units:
            return
        self._source += line + "\n"
        if line.strip():
            self._stale = len(self._source) > ITEM_REDRAW_CHARS
            if not self._stale:
                self._redraw()

    def _redraw(self) -> None:
        self.units[-1] = self._render()
        self.redrawn.add(len(self.units) - 1)
        self._stale = False

    def _render(self) -> str:
        """지금 항목 하나만 목록으로 그려 그 <li>를 꺼낸다."""
        html = render_or_escape(self._source, dict(self._env))
        if html.startswith(("<ul>\n", "<ol")) and html.endswith(("</ul>\n", "</ol>\n")):
            return html[html.index("\n") + 1 : html.rindex("</")]
        return f"<li>{escape(self._source.strip(), quote=False)}</li>\n"

    def unit(self, reply_id: int, index: int) -> str:
        # 다시 그릴 항목을 찾을 수 있게 항목마다 id
        return self.units[index].replace("<li>", f'<li id="grow-{reply_id}-{index}">', 1)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


# 스트림의 자리 ───────────────────────────────────────────────────────────


def stream_tail(
    reply_id: int, text: str, *, oob: bool = False, inline: bool = False, after: bool = False
) -> str:
    """아직 쓰는 줄: 새 조각(token)이 뒤에 붙는 곳. 줄이 끝나면 통째로 바뀐다 (oob).

    코드 블록 안에서는 그 코드의 마지막 줄로 보이게 span이다 (inline). after: 미리 그린 블록이 다 쓰였다
    (비어 있으면 자리를 차지하지 않고, 점은 그 블록의 끝에 붙는다: 답변이 끝날 때 높이가 줄지 않게).
    """
    tag = "span" if inline else "p"
    return (
        f'<{tag} class="stream-tail bubble-text{" after-block" if after else ""}" id="tail-{reply_id}"'
        f'{' hx-swap-oob="true"' if oob else ""} sse-swap="token" hx-swap="beforeend">'
        f"{escape(text)}</{tag}>"
    )


def stream_growing(reply_id: int, growing: Growing | None, tail: str, *, oob: bool = False) -> str:
    """쓰는 중인 블록의 자리: 미리 그린 모양(있으면)과 아직 쓰는 줄. 블록이 바뀌면 통째로 바뀐다 (oob).

    새 단위는 담는 요소(grow-<id>)에 grow 이벤트로 덧붙는다 (stream_grow). 모든 글은 escape되었거나
    render_or_escape를 지났다. 붙이는 속성은 여기서만 만든다.
    """
    swap = ' hx-swap-oob="true"' if oob else ""
    if growing is None:
        inner = stream_tail(reply_id, tail)
    else:
        units = "".join(growing.unit(reply_id, index) for index in range(len(growing.units)))
        box = (
            f'<{growing.box}{growing.box_attrs} id="grow-{reply_id}" sse-swap="grow"'
            # settle을 기다리지 않는 까닭은 chat_tags.streaming_reply에
            f' hx-swap="beforeend settle:0ms">{units}</{growing.box}>'
        )
        if growing.kind == "code" and not growing.closed:
            inner = growing.head + box + stream_tail(reply_id, tail, inline=True) + growing.foot
        else:
            rest = stream_tail(reply_id, tail, after=growing.closed)
            inner = growing.head + box + growing.foot + rest
        growing.mark_sent()
    return f'<div class="stream-growing" id="growing-{reply_id}"{swap}>{inner}</div>'


def stream_grow(reply_id: int, growing: Growing, tail: str) -> str:
    """growing에 생긴 것만: 새 단위(덧붙임), 이미 보낸 단위 중 다시 그린 것(oob), 아직 쓰는 줄(oob)."""
    added = "".join(
        growing.unit(reply_id, index) for index in range(growing.sent, len(growing.units))
    )
    redrawn = "".join(
        growing.unit(reply_id, index).replace("<li ", '<li hx-swap-oob="true" ', 1)
        for index in sorted(growing.redrawn)
        if index < growing.sent
    )
    growing.mark_sent()
    inline = growing.kind == "code" and not growing.closed
    rest = stream_tail(reply_id, tail, oob=True, inline=inline, after=growing.closed)
    return added + redrawn + rest
