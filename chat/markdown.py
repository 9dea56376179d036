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

__all__ = ["render_markdown", "render_or_escape"]

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
    "pre": {"class"},
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
    return f'<pre class="code"><code class="language-{lexer.aliases[0]}">{body}</code></pre>'


def _code_block(_renderer, tokens, idx, _options, _env):
    """들여쓰기 코드 블록도 펜스와 같은 모양으로 그려 CSS 하나로 다룬다."""
    return _highlight(tokens[idx].content, "", "") + "\n"


_md = (
    MarkdownIt(
        "commonmark",
        {"html": False, "linkify": False, "typographer": False, "highlight": _highlight},
    )
    .enable(["table", "strikethrough"])
    # 외부 이미지는 CSP가 막고, 주소에 데이터를 실어 빼돌리는 통로가 될 수 있다
    .disable("image")
)
_md.add_render_rule("code_block", _code_block)

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


def render_markdown(text: str) -> str:
    """마크다운을 HTML로 그린 뒤 허용 목록으로 한 번 더 거른다.

    markdown-it이 원시 HTML을 꺼 두어도, 렌더러나 Pygments의 실수까지 막으려고 nh3를 거친다.
    """
    return _cleaner.clean(_md.render(text))


def render_or_escape(text: str) -> str:
    """끝난 답변을 그린다. 렌더러가 실패하면 글을 escape해서라도 보여 준다: 답변의 끝이 막히지 않게."""
    try:
        return render_markdown(text)
    except Exception:
        # 우리 쪽 결함이라 ERROR로 남긴다
        logger.exception("rendering a reply failed; showing its text as it is")
        paragraphs = re.split(r"\n{2,}", text.replace("\r\n", "\n").strip("\n"))
        return "".join(
            "<p>{}</p>".format(escape(paragraph, quote=False).replace("\n", "<br>"))
            for paragraph in paragraphs
            if paragraph
        )
