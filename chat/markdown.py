"""모델 답변(믿을 수 없는 마크다운)을 저장하고 보여 줄 안전한 HTML로 바꾼다."""

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

__all__ = [
    "block_tokens",
    "headings_below",
    "language_alias",
    "render_markdown",
    "render_or_escape",
]

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


def shifted_level(level: int, base: int, first: int = FIRST_HEADING) -> int:
    """답변의 첫 제목(base 수준)을 first로 두고 나머지를 그만큼 옮긴 수준 (first보다 얕거나 6보다 깊지 않게).
    화면(_heading)과 내보내기(headings_below)가 같은 규칙을 쓴다."""
    return min(max(first + level - base, first), 6)


def _heading(renderer, tokens, idx, options, env):
    token = tokens[idx]
    level = int(token.tag[1])
    token.tag = f"h{shifted_level(level, env.setdefault('heading_base', level))}"
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
        marks = "#" * shifted_level(level, base, first)
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


def block_tokens(text: str) -> list:
    """렌더러와 같은 규칙으로 읽은 블록 토큰 (chat.markdown_stream이 블록의 경계와 종류를 안다)."""
    return _md.parse(text)


def language_alias(name: str) -> str | None:
    """코드 블록의 언어 이름 → Pygments의 대표 별칭 (모르는 이름은 None). 완성된 블록과 같은 이름표를 붙이려고."""
    lexer = _lexer(name) if name else None
    return lexer.aliases[0] if lexer is not None else None
