"""렌더된 HTML을 브라우저처럼 읽어 허용 목록 밖의 것을 찾는 검사기와, 여러 테스트가 함께 쓰는 마크다운 표본."""

import re
from html.parser import HTMLParser

# 모듈의 목록을 가져다 쓰지 않고 따로 적는다. 모듈 쪽을 넓히면 여기서 걸리게.
ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "s",
    "code", "pre", "span", "blockquote", "ul", "ol", "li", "a",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "rel", "target"},
    "ol": {"start"},
    "span": {"class"},
    "code": {"class"},
    "pre": {"class", "data-lang"},
}
FORBIDDEN_ATTRIBUTES = {"style", "src", "srcdoc", "action", "formaction"}
SAFE_HREF_PREFIXES = ("http://", "https://", "mailto:")
LINK_REL = "noopener noreferrer nofollow"


class _Collector(HTMLParser):
    """브라우저처럼 읽어서 실제로 생기는 태그, 속성, 주석을 모은다."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []
        self.others = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_comment(self, data):
        self.others.append(f"comment {data!r}")

    def handle_decl(self, decl):
        self.others.append(f"declaration {decl!r}")

    def handle_pi(self, data):
        self.others.append(f"processing instruction {data!r}")

    def unknown_decl(self, data):
        self.others.append(f"declaration {data!r}")


def problems(html):
    """허용 목록을 벗어난 것을 사람이 읽을 문장으로 돌려준다. 빈 목록이면 안전하다."""
    collector = _Collector()
    collector.feed(html)
    collector.close()
    found = list(collector.others)
    for tag, attrs in collector.tags:
        if tag not in ALLOWED_TAGS:
            found.append(f"tag <{tag}>")
        for name in attrs:
            if name.startswith("on") or name in FORBIDDEN_ATTRIBUTES:
                found.append(f"dangerous attribute {name} on <{tag}>")
            elif name not in ALLOWED_ATTRIBUTES.get(tag, set()):
                found.append(f"attribute {name} on <{tag}>")
        # 값 없는 href도 상대 주소다. 스킴은 대소문자를 가리지 않아 소문자로 비교한다
        href = attrs.get("href", "https://") or ""
        if not href.lower().startswith(SAFE_HREF_PREFIXES):
            found.append(f"href {href!r}")
        # 코드 블록의 언어 이름은 Pygments의 별칭만 (모델이 쓴 글이 속성 값이 되지 않게)
        lang = attrs.get("data-lang")
        if lang is not None and not re.fullmatch(r"[a-z0-9+#._-]+", lang):
            found.append(f"data-lang {lang!r}")
        if tag == "a" and (attrs.get("rel") != LINK_REL or attrs.get("target") != "_blank"):
            found.append(f"link without rel/target: {attrs!r}")
    return found


def parsed_tags(html):
    """브라우저가 만들 태그의 이름, 나오는 순서대로."""
    collector = _Collector()
    collector.feed(html)
    collector.close()
    return [tag for tag, _ in collector.tags]


# 악의적인 입력: 렌더러, 스트림, 관리 화면, 학생 화면이 모두 무해하게 보여야 한다
HOSTILE = [
    "<script>alert(1)</script>",
    "<style>body{display:none}</style>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<iframe src=//evil.example></iframe>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="https://ok.example" onclick="alert(1)">x</a>',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](java\tscript:alert(1))",
    "[x](java%0ascript:alert(1))",
    "[x](\njavascript:alert(1))",
    "[x](<javascript:alert(1)>)",
    "[x](&#106;avascript:alert(1))",
    "[x](javascript&colon;alert(1))",
    "[x](\x00javascript:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](vbscript:msgbox)",
    "<javascript:alert(1)>",
    "![x](javascript:alert(1))",
    "![x](https://evil.example/p.png)",
    "[x](/accounts/logout/)",
    "[x](//evil.example)",
    "[x](#top)",
    "[x][evil]\n\n[evil]: javascript:alert(1)",
    '[x][evil]\n\n[evil]: <javascript:alert(1)> "title"',
    '<div onclick="alert(1)">x</div>',
    '<a href="x" <b>broken',
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    '<form action="https://evil.example"><button formaction="javascript:alert(1)">x</button></form>',
    '<object data="javascript:alert(1)"></object>',
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    '<base href="https://evil.example/">',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    '<details open ontoggle="alert(1)">x</details>',
    '```"><script>alert(1)</script>\nprint(1)\n```',
    "```python onmouseover=alert(1)\nprint(1)\n```",
    "<!-- x --><script>alert(1)</script>",
    '[x](https://ok.example "a\\" onmouseover=\\"alert(1)")',
    "| <img src=x onerror=alert(1)> |\n|---|\n| <script>alert(1)</script> |",
    "`<script>alert(1)</script>`",
    "> <iframe srcdoc='<script>alert(1)</script>'>",
]

# 학생이 버그로 알린 모양: 모델이 한국어로 늘 쓰는 것
STUDENT_REPORT = (
    '**리스트(list)**는 바꿀 수 있고 **튜플(tuple)**은 못 바꿉니다. **"안녕"**이라고 쓰세요.'
)
STUDENT_REPORT_HTML = (
    "<p><strong>리스트(list)</strong>는 바꿀 수 있고 <strong>튜플(tuple)</strong>은 못 바꿉니다. "
    '<strong>"안녕"</strong>이라고 쓰세요.</p>\n'
)
