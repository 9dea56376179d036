"""모델 답변 마크다운 렌더링: 보통 글은 보기 좋게, 악의적인 입력은 무해한 글자로."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from chat.markdown import headings_below, render_markdown
from tests.support.html import HOSTILE, parsed_tags, problems

# 보통 답변


def test_headings_lists_and_emphasis():
    html = render_markdown(
        "# 제목\n\n## 소제목\n\n- **굵게** 와 *기울임*\n- `code`\n\n3. 셋\n4. 넷\n\n~~취소~~"
    )

    # 페이지의 h1(대화 제목), h2(작성자) 아래로 내려간다
    assert "<h3>제목</h3>" in html
    assert "<h4>소제목</h4>" in html
    assert "<li><strong>굵게</strong> 와 <em>기울임</em></li>" in html
    assert "<li><code>code</code></li>" in html
    assert '<ol start="3">' in html
    assert "<s>취소</s>" in html
    assert problems(html) == []


@pytest.mark.parametrize(
    ("source", "levels"),
    [
        ("# 가\n\n## 나\n\n### 다", ["h3", "h4", "h5"]),
        ("### 단계 1\n\n### 단계 2\n\n#### 세부", ["h3", "h3", "h4"]),
        ("## 가\n\n# 위로", ["h3", "h3"]),
        ("###### 깊은 곳\n\n# 맨 위", ["h3", "h3"]),
    ],
)
def test_the_first_heading_of_a_reply_is_h3_and_the_rest_follow_without_gaps(source, levels):
    html = render_markdown(source)

    assert [tag for tag in parsed_tags(html) if tag.startswith("h")] == levels


def test_table():
    html = render_markdown("| 이름 | 값 |\n|---|---:|\n| 가 | 1 |\n")

    assert parsed_tags(html) == ["table", "thead", "tr", "th", "th", "tbody", "tr", "td", "td"]
    assert "<th>이름</th>" in html
    # 정렬은 style 속성으로 나오는데, CSP가 막으니 지워져야 한다
    assert "style" not in html
    assert problems(html) == []


def test_python_fence_is_highlighted_with_classes():
    html = render_markdown('```python\ndef greet():\n    return "안녕 <b>"\n```\n')

    assert html.startswith('<pre class="code" data-lang="python"><code class="language-python">')
    assert '<span class="k">def</span>' in html
    assert '<span class="nf">greet</span>' in html
    assert "&lt;b&gt;" in html
    assert "style" not in html
    assert problems(html) == []


def test_language_alias_is_normalised():
    html = render_markdown("```PY\nx = 1\n```\n")

    assert '<code class="language-python">' in html


@pytest.mark.parametrize(
    "source",
    ["```nosuchlanguage\nx = <i>\n```\n", "```\nx = <i>\n```\n", "    x = <i>\n"],
    ids=["unknown", "absent", "indented"],
)
def test_code_without_known_language_is_plain_escaped(source):
    html = render_markdown(source)

    assert html == '<pre class="code"><code>x = &lt;i&gt;\n</code></pre>\n'


def test_http_link_opens_in_new_tab_without_referrer():
    html = render_markdown("[문서](https://docs.example/a?b=1&c=2)")

    assert html == (
        '<p><a href="https://docs.example/a?b=1&amp;c=2" target="_blank"'
        ' rel="noopener noreferrer nofollow">문서</a></p>\n'
    )


def test_mailto_links_survive():
    html = render_markdown("[메일](mailto:help@daehwa.example) 또는 <help@daehwa.example>")

    assert html.count('href="mailto:help@daehwa.example"') == 2
    assert problems(html) == []


def test_korean_text_is_preserved():
    text = "안녕하세요! 한국어 문장은 그대로 보여야 합니다. 띄어쓰기도요."

    assert render_markdown(text) == f"<p>{text}</p>\n"


def test_image_becomes_a_plain_link():
    html = render_markdown("![고양이](https://img.example/cat.png)")

    assert parsed_tags(html) == ["p", "a"]
    assert html.startswith('<p>!<a href="https://img.example/cat.png"')
    assert ">고양이</a>" in html


def test_import_does_not_need_django():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    code = "import sys, chat.markdown; assert 'django' not in sys.modules"

    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[1],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr


# 악의적인 입력 (목록은 tests/support/html.py의 HOSTILE)


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_input_renders_harmless(payload):
    html = render_markdown(payload)

    assert problems(html) == []
    assert "script" not in parsed_tags(html)
    assert "<script" not in html.lower()


def test_script_tag_stays_visible_as_text():
    assert render_markdown("<script>alert(1)</script>") == (
        "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"
    )


def test_javascript_link_stays_visible_as_text():
    assert render_markdown("[x](javascript:alert(1))") == "<p>[x](javascript:alert(1))</p>\n"


def test_relative_link_keeps_its_words_but_loses_href():
    html = render_markdown("[로그아웃](/accounts/logout/)")

    assert "로그아웃" in html
    assert "href" not in html


def test_fence_language_injection_keeps_code_visible():
    html = render_markdown('```"><script>alert(1)</script>\nprint(1)\n```')

    assert html == '<pre class="code"><code>print(1)\n</code></pre>\n'


def test_link_title_cannot_break_out():
    html = render_markdown('[x](https://ok.example "a\\" onmouseover=\\"alert(1)")')

    assert 'title="a&quot; onmouseover=&quot;alert(1)"' in html


# 검사기 자체가 나쁜 것을 알아보는지


@pytest.mark.parametrize(
    "bad",
    [
        '<a href="javascript:x" target="_blank" rel="noopener noreferrer nofollow">x</a>',
        '<a href="/accounts/logout/" target="_blank" rel="noopener noreferrer nofollow">x</a>',
        '<a href="https://ok.example">no rel</a>',
        "<script>alert(1)</script>",
        "<img src=x>",
        '<p onclick="x">x</p>',
        '<span style="color:red">x</span>',
        '<p class="x">x</p>',
        "<!-- x -->",
        '<a href target="_blank" rel="noopener noreferrer nofollow">x</a>',
        '<pre class="code" data-lang="x onmouseover=1"></pre>',
    ],
)
def test_checker_catches_known_bad_html(bad):
    assert problems(bad) != []


# 내보내기의 제목 옮기기: # 대화, ## 메시지 아래로. 화면의 규칙과 같다 (첫 제목이 ###, 최대 ######)


@pytest.mark.parametrize(
    ("text", "moved"),
    [
        ("# 큰\n\n## 작은", "### 큰\n\n#### 작은"),
        ("## 둘로 시작\n\n# 더 큰", "### 둘로 시작\n\n### 더 큰"),
        ("# a\n\n#### b\n\n###### c", "### a\n\n###### b\n\n###### c"),
        ("```\n# 코드\n```\n\n    # 들여쓴 코드", "```\n# 코드\n```\n\n    # 들여쓴 코드"),
        ("본문 # 아님\n\n#해시태그", "본문 # 아님\n\n#해시태그"),
        ("> # 인용\n\n- # 목록\n1. ## 번호", "> ### 인용\n\n- ### 목록\n1. #### 번호"),
        ("밑줄\n===\n\n- 목록 밑줄\n  ---", "### 밑줄\n\n- #### 목록 밑줄"),
        ("문단\n\n---\n\n끝", "문단\n\n---\n\n끝"),
    ],
)
def test_headings_below_moves_only_real_headings(text, moved):
    assert headings_below(text) == moved
