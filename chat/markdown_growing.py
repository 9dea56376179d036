"""쓰는 중인 표·코드·목록이 지금 끝난다면 보일 모양과, 그것을 스트림과 페이지에 싣는 HTML 조각.

chat.markdown_stream의 StreamingMarkdown이 어느 블록이 자라는지 정하고, 여기의 Growing이 그 모양을 든다.
그리는 것은 모두 chat.markdown의 같은 파이프라인(render_or_escape, nh3)이거나 escape한 글이다.
"""

import re
from html import escape

from chat.markdown import language_alias, render_or_escape

__all__ = [
    "KINDS",
    "Growing",
    "begin",
    "code_block",
    "indent",
    "stream_grow",
    "stream_growing",
    "stream_tail",
]

# 목록 항목의 첫 줄: 들여쓰기, 표지(- * + 1. 1)), 표지 뒤의 공백, 그리고 글
_ITEM = re.compile(r"( {0,3})([-+*]|\d{1,9}[.)])( +)\S")
_THEMATIC_BREAK = re.compile(r" {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")

# 쓰는 중인 블록의 모양 ────────────────────────────────────────────────────

KINDS = {
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
        drop = min(self._indent, indent(line))
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
        return not blank_before and indent(line) < 4 and line.lstrip(" ").startswith("|")

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
        self._done: list[str] = []  # 앞 항목들의 글 (목록이 느슨해지면 한 번 다시 그린다)
        self._lead = item.group(1)  # 표지 앞의 들여쓰기
        self._loose = False  # 항목 사이에 빈 줄: 항목마다 <p>로 그린다 (끝난 목록과 같은 높이)
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
        return bool(self.units) and bool(line.strip()) and indent(line) >= self._column

    def line(self, line: str) -> None:
        item = self._sibling(line)
        if item is not None:
            if self._stale:
                self._redraw()
            if self.units:
                self._done.append(self._source)
                if self._source.endswith("\n\n"):
                    # 빈 줄 뒤의 다음 항목: 목록 전체가 느슨하다
                    self._make_loose()
            spaces = len(item.group(3))
            self._column = len(item.group(1)) + len(item.group(2)) + (spaces if spaces <= 4 else 1)
            self._source = line + "\n"
            self.units.append(self._render())
            return
        if not self.units:
            return
        blank_inside = self._source.endswith("\n\n")
        self._source += line + "\n"
        if line.strip():
            if blank_inside and indent(line) >= self._column:
                # 항목 안의 빈 줄 뒤에 이어지는 글 (문단 둘): 이것도 목록 전체를 느슨하게 한다
                self._make_loose()
            self._stale = len(self._source) > ITEM_REDRAW_CHARS
            if not self._stale:
                self._redraw()

    def _make_loose(self) -> None:
        """목록이 느슨하다는 것을 알았다: 앞 항목들을 한 번만 다시 그린다 (지금 항목은 곧 다시 그린다)."""
        if self._loose:
            return
        self._loose = True
        for index, source in enumerate(self._done):
            self.units[index] = self._render(source)
            self.redrawn.add(index)

    def _redraw(self) -> None:
        self.units[-1] = self._render()
        self.redrawn.add(len(self.units) - 1)
        self._stale = False

    def _render(self, source: str | None = None) -> str:
        """항목 하나(기본은 지금 항목)만 목록으로 그려 그 <li>를 꺼낸다.

        느슨한 목록이면 빈 줄과 자리 채움 항목을 하나 더 붙여 그리고 그 항목은 버린다: 항목 하나만으로는
        markdown-it이 느슨한지 알 수 없다.
        """
        source = self._source if source is None else source
        if self._loose:
            number = "" if self._marker in "-*+" else "1"
            filler = f"{self._lead}{number}{self._marker} x\n"
            html = render_or_escape(source.rstrip("\n") + "\n\n" + filler, dict(self._env))
            end = html.rfind("<li")
        else:
            html = render_or_escape(source, dict(self._env))
            end = html.rfind("</")
        if html.startswith(("<ul>\n", "<ol")) and html.endswith(("</ul>\n", "</ol>\n")) and end > 0:
            return html[html.index("\n") + 1 : end]
        return f"<li>{escape(source.strip(), quote=False)}</li>\n"

    def unit(self, reply_id: int, index: int) -> str:
        # 다시 그릴 항목을 찾을 수 있게 항목마다 id
        return self.units[index].replace("<li>", f'<li id="grow-{reply_id}-{index}">', 1)


def indent(line: str) -> int:
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


def code_block(token, line: str) -> "Growing":
    """펜스의 첫 줄에서 시작하는 코드 블록."""
    return _Code(token, indent(line))


def begin(kind: str, token, lines: list[str], env: dict) -> "Growing | None":
    """표나 목록의 모양: 지금까지의 줄로 시작한다 (아직 모양이 서지 않았으면 None)."""
    return (_Table if kind == "table" else _List).start(token, lines, env)
