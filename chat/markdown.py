"""모델 답변(믿을 수 없는 마크다운)을 저장하고 보여 줄 안전한 HTML로 바꾼다."""

import itertools
import logging
import re
from functools import lru_cache
from html import escape

import nh3
from markdown_it import MarkdownIt
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from chat.markdown_cjk import cjk_friendly_emphasis, commonmark_emphasis

__all__ = ["StreamingMarkdown", "headings_below", "render_markdown", "render_or_escape"]

logger = logging.getLogger(__name__)

# 허용 목록만 통과시킨다. 마크다운이 만들 수 있는 태그에 코드 강조용 span을 더한 것이다.
TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "s",
    "code", "pre", "span", "blockquote", "ul", "ol", "li", "a",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title"},
    "ol": {"start"},
    "span": {"class"},
    "code": {"class"},
    "pre": {"class", "data-lang"},
}
URL_SCHEMES = {"http", "https", "mailto"}

# CSP가 style 속성을 막으므로 인라인 색 대신 클래스만 붙인다. 감싸는 pre/code는 직접 만든다.
_formatter = HtmlFormatter(nowrap=True)


@lru_cache(maxsize=64)
def _lexer(name):
    """언어 이름으로 렉서를 찾는다. 모르는 이름은 추측하지 않고 None."""
    try:
        return get_lexer_by_name(name)
    except ClassNotFound:
        return None


def _highlight(code, lang, _attrs):
    """코드 블록 전체를 만든다. '<pre'로 시작하므로 markdown-it이 다시 감싸지 않는다."""
    lexer = _lexer(lang) if lang else None
    if lexer is None:
        return f'<pre class="code"><code>{escape(code, quote=False)}</code></pre>'
    # 클래스에는 모델이 쓴 이름이 아니라 Pygments의 대표 별칭만 넣는다
    body = highlight(code, lexer, _formatter)
    alias = lexer.aliases[0]
    return (
        f'<pre class="code" data-lang="{alias}"><code class="language-{alias}">{body}</code></pre>'
    )


def _code_block(_renderer, tokens, idx, _options, _env):
    """들여쓰기 코드 블록도 펜스와 같은 모양으로 그려 CSS 하나로 다룬다."""
    return _highlight(tokens[idx].content, "", "") + "\n"


def _parser(**cjk):
    return (
        MarkdownIt(
            "commonmark",
            {"html": False, "linkify": False, "typographer": False, "highlight": _highlight},
        )
        .enable(["table", "strikethrough"])
        # 외부 이미지는 CSP가 막고, 주소에 데이터를 실어 빼돌리는 통로가 될 수 있다
        .disable("image")
        # 한국어는 조사를 띄우지 않는다: **리스트(list)**는 처럼 문장부호로 끝난 굵은 글씨도 굵게 (chat/markdown_cjk.py)
        .use(cjk_friendly_emphasis, **cjk)
    )


_md = _parser()
_md.add_render_rule("code_block", _code_block)


# 내보내기만 쓰는 같은 설정의 파서: 구분자의 원문 위치를 적는다 (화면의 파서는 그 값을 치르지 않는다)
_md_positions = _parser(positions=True)


def emphasis_for_any_viewer(text: str) -> str:
    """내보낸 Markdown이 수정안을 모르는 뷰어에서도 화면처럼 굵게 보이도록 (chat.markdown_cjk.commonmark_emphasis)."""
    return commonmark_emphasis(text.replace("\r\n", "\n"), _md_positions)


# 페이지의 제목 순서: h1은 대화 제목, h2는 메시지의 작성자다. 답변 안의 제목은 h3부터 시작한다.
# 모델이 ## 나 ### 로 시작해도 건너뛰지 않게, 답변의 첫 제목을 h3로 두고 나머지는 그에 맞춰 옮긴다.
FIRST_HEADING = 3


def _heading(renderer, tokens, idx, options, env):
    token = tokens[idx]
    level = int(token.tag[1])
    first = env.setdefault("heading_base", level)
    token.tag = f"h{min(max(FIRST_HEADING + level - first, FIRST_HEADING), 6)}"
    return renderer.renderToken(tokens, idx, options, env)


_md.add_render_rule("heading_open", _heading)
_md.add_render_rule("heading_close", _heading)

# url_schemes만으로는 상대 주소(/accounts/logout/, //evil.example)가 통과해서 url_relative로 막는다
_cleaner = nh3.Cleaner(
    tags=TAGS,
    attributes=ATTRIBUTES,
    url_schemes=URL_SCHEMES,
    url_relative="deny",
    strip_comments=True,
    link_rel="noopener noreferrer nofollow",
    set_tag_attribute_values={"a": {"target": "_blank"}},
)


def render_markdown(text: str, env: dict | None = None) -> str:
    """마크다운을 HTML로 그린 뒤 허용 목록으로 한 번 더 거른다.

    markdown-it이 원시 HTML을 꺼 두어도, 렌더러나 Pygments의 실수까지 막으려고 nh3를 거친다.
    env는 블록을 나눠 그릴 때 앞 블록에서 정해진 것(첫 제목의 수준)을 이어 준다.
    """
    return _cleaner.clean(_md.render(text, {} if env is None else env))


def render_or_escape(text: str, env: dict | None = None) -> str:
    """끝난 답변을 그린다. 렌더러가 실패하면 글을 escape해서라도 보여 준다: 답변의 끝이 막히지 않게."""
    try:
        return render_markdown(text, env)
    except Exception:
        # 우리 쪽 결함이라 ERROR로 남긴다
        logger.exception("rendering a reply failed; showing its text as it is")
        paragraphs = re.split(r"\n{2,}", text.replace("\r\n", "\n").strip("\n"))
        return "".join(
            "<p>{}</p>".format(escape(paragraph, quote=False).replace("\n", "<br>"))
            for paragraph in paragraphs
            if paragraph
        )


# 줄 앞의 그릇 표시(들여쓰기, 인용 >, 목록 -, 1.)와 ATX 제목의 #들. 파서가 제목이라고 한 줄에만 쓴다.
_ATX_MARKS = re.compile(r"^([ \t>*+\-\d.)]*?)#{1,6}(?=[ \t]|$)")


def headings_below(text: str, first: int = FIRST_HEADING) -> str:
    """마크다운 원문의 제목을 first 수준부터 시작하도록 옮긴다 (화면의 _heading과 같은 규칙, 최대 ######).

    내보낸 Markdown은 # 대화, ## 메시지라서 답변 안의 # 제목이 목차를 깨뜨린다. 파서가 찾은 제목 줄만
    고치므로 코드 블록 안의 #는 그대로이고, 밑줄(===, ---) 제목은 # 꼴로 바꾼다.
    """
    text = text.replace("\r\n", "\n")
    lines = text.split("\n")
    tokens = _md.parse(text)
    base = None
    # 뒤에서부터 고쳐야 밑줄 줄을 지워도 앞의 줄 번호가 맞다
    edits = []
    for index, token in enumerate(tokens):
        if token.type != "heading_open" or token.map is None:
            continue
        level = int(token.tag[1])
        base = level if base is None else base
        marks = "#" * min(max(first + level - base, first), 6)
        start, end = token.map
        if token.markup.startswith("#"):
            edits.append(
                (start, start + 1, [_ATX_MARKS.sub(rf"\g<1>{marks}", lines[start], count=1)])
            )
        else:
            content = tokens[index + 1].content.split("\n")
            # 제목 글 앞까지가 그릇 표시다 (목록의 "- ", 인용의 "> ")
            prefix = lines[start][: max(lines[start].find(content[0]), 0)]
            words = " ".join(content)
            edits.append((start, end, [f"{prefix}{marks} {words}"]))
    for start, end, replacement in reversed(edits):
        lines[start:end] = replacement
    return "\n".join(lines)


# 자라는 답변 ─────────────────────────────────────────────────────────────

_FENCE_OPEN = re.compile(r" {0,3}(`{3,}|~{3,})")
# 문단은 빈 줄 뒤나 이런 글자로 시작하는 줄에서만 끊긴다 (제목, 인용, 목록, 구분선, 펜스, 표)
_MAY_START_BLOCK = frozenset("#>-*+_=~`|0123456789")


class StreamingMarkdown:
    """자라는 답변을 블록 단위로 그린다: 끝난 블록은 한 번만 그리고, 아직 쓰는 블록은 글자 그대로 남긴다.

    블록이 끝났는지는 다음 블록이 시작되었는지로 안다. 판단은 완성된 줄마다 한 번, 쓰는 중인 블록만
    다시 읽어서 한다: 답변 전체를 프레임마다 다시 그리지 않으니 비용이 길이에 비례한다.
    줄 단위로만 판단하므로 결과는 글이 어떻게 쪼개져 왔는지와 상관없이 같다: 페이지가 한 번에 그린
    상태와, 조각조각 받은 브라우저의 상태와, 다시 연결한 스트림이 이어 갈 상태가 같다.
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
        self.html = self.feed(text) if text else ""

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
        return "".join(finished)

    def finish(self, whole: tuple[str, str] | None = None) -> str:
        """답변이 끝났다: 남은 블록까지 그린다.

        whole: 끝난 답변의 (글, 저장할 때 그린 HTML). 아직 아무 블록도 끝나지 않아 남은 것이 글 전체라면 그 HTML이
        곧 답이다: 한 문단짜리 답변을 같은 파이프라인으로 두 번 그리지 않는다.
        """
        rest, self.tail, self._checked, self._fence = self.tail, "", 0, None
        self._blank_before, self._special_before = True, False
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
            return ""
        stripped = line.lstrip(" ")
        self._special_before = stripped[:1] in _MAY_START_BLOCK
        if not stripped.strip() or not (blank_before or special_before or self._special_before):
            return ""
        starts = _block_starts(self.tail[:end])
        html = ""
        if len(starts) >= 2:
            offsets = _line_offsets(self.tail)
            cut = offsets[starts[-1]]
            html = "".join(
                render_or_escape(self.tail[offsets[a] if i else 0 : offsets[b]], self._env)
                for i, (a, b) in enumerate(itertools.pairwise(starts))
            )
            self.tail = self.tail[cut:]
            self._checked -= cut
        # 쓰는 중인 블록이 펜스로 시작하고 이 줄이 그 첫 줄이면, 닫는 줄이 올 때까지 읽지 않는다
        if self.tail.find("\n") + 1 == self._checked:
            opened = _FENCE_OPEN.match(self.tail)
            if opened:
                self._fence = opened.group(1)
        return html


def _block_starts(text: str) -> list[int]:
    """맨 바깥 블록이 시작하는 줄 번호들."""
    return [
        token.map[0]
        for token in _md.parse(text)
        if token.level == 0 and token.nesting >= 0 and token.map is not None
    ]


def _line_offsets(text: str) -> list[int]:
    """줄 번호 → 그 줄이 시작하는 위치."""
    return [0, *(match.end() for match in re.finditer("\n", text))]


def stream_tail(reply_id: int, text: str, *, oob: bool = False) -> str:
    """아직 쓰는 블록: 새 조각(token)이 뒤에 붙는 곳. 블록이 끝나면 통째로 바뀐다 (oob)."""
    return (
        f'<p class="stream-tail bubble-text" id="tail-{reply_id}"'
        f'{' hx-swap-oob="true"' if oob else ""} sse-swap="token" hx-swap="beforeend">'
        f"{escape(text)}</p>"
    )
