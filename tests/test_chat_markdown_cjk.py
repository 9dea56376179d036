"""한국어·일본어·중국어의 강조: 문장부호로 끝난 굵은 글씨 뒤에 조사가 붙어도 굵게, 영어와 CommonMark는 그대로."""

import json
from pathlib import Path

import pytest
from django.core.management import call_command
from markdown_it import MarkdownIt

from chat.markdown import render_markdown
from chat.markdown_cjk import cjk_friendly_emphasis, delimiter_flags
from chat.models import Message
from chat.services import conversation_start
from tests.support.fake_openai import Reply
from tests.support.html import STUDENT_REPORT, STUDENT_REPORT_HTML
from tests.support.sse import finish_reply, read_stream

SPEC = Path(__file__).parent / "fixtures" / "commonmark" / "emphasis.json"

CJK = [
    # 한국어: 괄호·따옴표·코드로 끝난 강조 뒤의 조사
    ("**리스트(list)**는", "<strong>리스트(list)</strong>는"),
    ("**튜플(tuple)**은", "<strong>튜플(tuple)</strong>은"),
    ('**"안녕"**이라고', '<strong>"안녕"</strong>이라고'),
    ("**'문자열'**을", "<strong>'문자열'</strong>을"),
    ("**`print()`**를 부르면", "<strong><code>print()</code></strong>를 부르면"),
    ("**이 [링크](https://example.kr/)**만", '<strong>이 <a href="https://example.kr/" '
     'target="_blank" rel="noopener noreferrer nofollow">링크</a></strong>만'),
    ("**안녕(hello)**하세요.", "<strong>안녕(hello)</strong>하세요."),
    ("*강조(em)*를", "<em>강조(em)</em>를"),
    ("***둘 다(both)***를", "<em><strong>둘 다(both)</strong></em>를"),
    ("~~지운 글(deleted)~~은", "<s>지운 글(deleted)</s>은"),
    ("값은 **100%**입니다", "값은 <strong>100%</strong>입니다"),
    ("파일은 **`a.py`**, **`b.py`**입니다", "파일은 <strong><code>a.py</code></strong>, "
     "<strong><code>b.py</code></strong>입니다"),
    # 일본어: 전각 괄호와 문장부호
    ("**「こんにちは」**と言った", "<strong>「こんにちは」</strong>と言った"),
    ("**ｗｅｂ（ウェブ）**のページ", "<strong>ｗｅｂ（ウェブ）</strong>のページ"),
    ("これは**重要。**です", "これは<strong>重要。</strong>です"),
    ("**HTML（HyperText Markup Language）**は", "<strong>HTML（HyperText Markup Language）</strong>は"),
    # 중국어
    ("**中文（测试）**的", "<strong>中文（测试）</strong>的"),
    ("这是**“重点”**内容", "这是<strong>“重点”</strong>内容"),
    ("*斜体（italic）*字", "<em>斜体（italic）</em>字"),
]  # fmt: skip

# CJK 글자가 닿지 않으면 CommonMark 그대로: 이 표의 결과는 바꾸기 전의 렌더러와 같다
ENGLISH = [
    ("**bold** text", "<strong>bold</strong> text"),
    ("**foo**bar", "<strong>foo</strong>bar"),
    ('a**"foo"**b', 'a**"foo"**b'),
    ('**"quoted"**s', '**"quoted"**s'),
    ("**list(x)**s", "**list(x)**s"),
    ("*(a)*b", "*(a)*b"),
    ("foo*bar*baz", "foo<em>bar</em>baz"),
    ("snake_case_name", "snake_case_name"),
    ("_foo_bar_", "<em>foo_bar</em>"),
    ("2 * 3 * 4", "2 * 3 * 4"),
    ("**a (b)** c", "<strong>a (b)</strong> c"),
    ("~~gone~~", "<s>gone</s>"),
    ("a~~(b)~~c", "a~~(b)~~c"),
    ("*emoji 😀*", "<em>emoji 😀</em>"),
    # 그림 글자는 CJK 글자가 아니다 (CJK로 쳤다면 여는 ** 가 열었다)
    ("a**😀**", "a**😀**"),
]


def inline(html):
    """문단 하나를 그린 결과에서 <p>와 줄바꿈을 떼어 낸다."""
    assert html.startswith("<p>"), html
    assert html.endswith("</p>\n"), html
    return html.removeprefix("<p>").removesuffix("</p>\n")


@pytest.mark.parametrize(("text", "html"), CJK, ids=[text for text, _ in CJK])
def test_cjk_emphasis_next_to_punctuation_renders(text, html):
    assert inline(render_markdown(text)) == html


@pytest.mark.parametrize(("text", "html"), ENGLISH, ids=[text for text, _ in ENGLISH])
def test_english_emphasis_is_unchanged(text, html):
    assert inline(render_markdown(text)) == html


@pytest.mark.parametrize("underscored", ["_리스트(list)_는", "文字_「強調」_です", "변수_이름_을"])
def test_underscore_still_never_opens_inside_a_word(underscored):
    # `_`는 수정안에서도 CommonMark 그대로다: snake_case 이름이 기울지 않게
    assert inline(render_markdown(underscored)) == underscored


# 수정안의 "Tips for Implementers" 표: 구분자 앞 글자, 구분자, 뒤 글자 → (열 수 있나, 닫을 수 있나)
FLAGS = [
    (" ", "*", " ", False, False),
    (" ", "*", '"', True, False),
    (" ", "*", "a", True, False),
    (" ", "*", "～", True, False),
    (" ", "*", "字", True, False),
    (" ", "_", " ", False, False),
    (" ", "_", '"', True, False),
    (" ", "_", "a", True, False),
    (" ", "_", "～", True, False),
    (" ", "_", "字", True, False),
    ('"', "*", '"', True, True),
    ('"', "*", "a", True, False),
    ('"', "*", "字", True, True),
    ("～", "*", "a", True, True),
    ('"', "_", '"', True, True),
    ('"', "_", "a", True, False),
    ('"', "_", "字", True, False),
    ("～", "_", "a", True, False),
    ("a", "*", "a", True, True),
    ("a", "_", "a", False, False),
]


@pytest.mark.parametrize(("before", "marker", "after", "opens", "closes"), FLAGS)
def test_delimiter_flags_follow_the_amendments_table(before, marker, after, opens, closes):
    src = f"{before}{marker}{after}"
    assert delimiter_flags(src, 1, len(src)) == (opens, closes)


def test_a_variation_selector_is_read_through_to_the_character_it_modifies():
    # 이체자 선택자(IVS)가 붙은 한자 뒤의 여는 ** 도 연다
    assert inline(render_markdown("葛\U000e0100**(x)**는")) == "葛\U000e0100<strong>(x)</strong>는"
    # U+FE01은 따옴표를 전각으로 고른다: 그 뒤의 닫는 ** 는 CJK 문장부호 뒤처럼 닫는다
    assert inline(render_markdown("**x”\ufe01**b")) == "<strong>x”\ufe01</strong>b"


def _spec_examples():
    return json.loads(SPEC.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "example", _spec_examples(), ids=lambda example: f"example-{example['example']}"
)
def test_commonmarks_own_emphasis_examples_still_pass(example):
    # 우리 렌더러는 원시 HTML을 끄고 결과를 거르므로, 같은 규칙을 건 맨 CommonMark 파서로 견준다
    md = MarkdownIt("commonmark").use(cjk_friendly_emphasis)
    assert md.render(example["markdown"]) == example["html"]


# ---------------------------------------------------------------- 끝에서 끝까지


def test_the_streamed_blocks_the_final_reply_and_the_page_are_bold(logged_in, user, llm_server):
    answer = f"{STUDENT_REPORT}\n\n끝."
    llm_server.script(Reply(tokens=[answer[i : i + 5] for i in range(0, len(answer), 5)]))
    reply = conversation_start(user=user, content="리스트와 튜플?", model="fake-model")

    stream = read_stream(logged_in, reply.pk)

    # 다음 문단이 시작되면서 끝난 첫 문단이 스트림 안에서 그려졌다
    streamed = "".join(stream.data("blocks"))
    assert STUDENT_REPORT_HTML in streamed
    reply.refresh_from_db()
    assert reply.rendered_html == STUDENT_REPORT_HTML + "<p>끝.</p>\n"
    (final,) = stream.data("reply")
    assert STUDENT_REPORT_HTML in final
    page = logged_in.get(f"/chat/{reply.conversation_id}/").content.decode()
    assert STUDENT_REPORT_HTML in page
    assert "**" not in page.split(f'id="message-{reply.pk}"')[1]


def test_the_admin_and_a_re_imported_export_are_bold(
    admin_client, user, other_user, llm_server, tmp_path, capsys
):
    llm_server.script(Reply(tokens=[STUDENT_REPORT]))
    reply = conversation_start(user=user, content="리스트와 튜플?", model="fake-model")
    finish_reply(reply)
    reply.refresh_from_db()
    assert reply.status == Message.Status.DONE

    admin = admin_client.get(f"/admin/chat/conversation/{reply.conversation_id}/change/")

    assert STUDENT_REPORT_HTML in admin.content.decode()

    # Markdown으로 내보내면 모델이 쓴 글 그대로, JSON Lines를 다시 가져오면 같은 렌더러로 다시 그린다
    call_command("export_conversations", "--user", user.username, "--format", "markdown")
    assert STUDENT_REPORT in capsys.readouterr().out
    exported = tmp_path / "minji.jsonl"
    call_command("export_conversations", "--user", user.username, "--output", str(exported))
    call_command("import_conversations", str(exported), "--user", other_user.username)
    imported = Message.objects.get(conversation__owner=other_user, role=Message.Role.ASSISTANT)
    assert imported.rendered_html == STUDENT_REPORT_HTML
