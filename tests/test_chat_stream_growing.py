"""쓰는 중인 블록의 모양: 열린 코드 블록, 표, 목록을 끝났다고 치고 그린다. 안전하고, 쪼개진 모양과 상관없고, 선형이다."""

import random

import pytest

from chat import markdown, markdown_growing, markdown_stream
from chat.markdown_growing import stream_grow, stream_growing
from chat.markdown_stream import StreamingMarkdown
from tests.support.fake_openai import Reply
from tests.support.html import HOSTILE, problems
from tests.support.sse import read_stream

# 표도, 코드 블록도, 목록도 아직 쓰는 중인 채로 멈추는 답변들
OPEN_TABLE = "앞 문단\n\n| 이름 | 뜻 |\n|---|:---:|\n| list | 목록 |\n| dict | 사"
OPEN_CODE = "앞 문단\n\n```python\nsquares = [x * x for x in range(10)]\nif a < b:\n    pri"
OPEN_LIST = "앞 문단\n\n3. 하나\n4. 둘\n   이어지는 줄\n5. 셋을 쓰"


def fed(text, pieces):
    """글을 pieces 크기로 잘라 먹인 상태와, 그동안 끝난 블록의 HTML."""
    state, html, index = StreamingMarkdown(), [], 0
    for size in pieces:
        html.append(state.feed(text[index : index + size]))
        index += size
    html.append(state.feed(text[index:]))
    return state, "".join(html)


def test_an_open_table_is_a_table_with_its_finished_rows():
    state = StreamingMarkdown(OPEN_TABLE)

    assert state.html == "<p>앞 문단</p>\n"
    assert state.growing.kind == "table"
    html = stream_growing(7, state.growing, state.shown_tail)
    assert "<th>이름</th>" in html
    assert "<td>list</td>" in html
    assert '<tbody id="grow-7" sse-swap="grow" hx-swap="beforeend settle:0ms">' in html
    # 줄바꿈 전의 마지막 행만 글 그대로, 표 뒤에
    assert state.shown_tail == "| dict | 사"
    assert html.endswith('hx-swap="beforeend">| dict | 사</p></div>')


def test_an_open_code_block_is_code_with_its_language_and_the_line_being_written_inside():
    state = StreamingMarkdown(OPEN_CODE)

    html = stream_growing(7, state.growing, state.shown_tail)
    assert html.startswith(
        '<div class="stream-growing" id="growing-7">'
        '<pre class="code" data-lang="python"><code class="language-python">'
    )
    assert "squares = [x * x for x in range(10)]\nif a &lt; b:" in html
    # 쓰는 중인 줄은 코드 안의 span이다: 코드의 다음 줄로 보인다
    assert html.endswith(
        '<span class="stream-tail bubble-text" id="tail-7" sse-swap="token"'
        ' hx-swap="beforeend">    pri</span></code></pre></div>'
    )
    assert "```" not in html


def test_a_closed_fence_moves_the_line_being_written_out_of_the_code():
    state = StreamingMarkdown(OPEN_CODE + "nt(1)\n```\n")
    assert state.take_fresh()  # 닫히면 자리를 한 번 통째로 다시 보낸다

    html = stream_growing(7, state.growing, state.shown_tail)
    assert html.endswith(
        '</span></code></pre><p class="stream-tail bubble-text after-block" id="tail-7"'
        ' sse-swap="token" hx-swap="beforeend"></p></div>'
    )
    assert "print(1)" in html
    assert "```" not in html


def test_an_open_list_is_a_list_of_items_numbered_from_its_start():
    state = StreamingMarkdown(OPEN_LIST)

    html = stream_growing(7, state.growing, state.shown_tail)
    assert '<ol start="3" id="grow-7" sse-swap="grow" hx-swap="beforeend settle:0ms">' in html
    assert '<li id="grow-7-0">하나</li>' in html
    assert '<li id="grow-7-1">둘\n이어지는 줄</li>' in html
    assert state.shown_tail == "5. 셋을 쓰"


def test_a_list_with_blank_lines_between_items_grows_loose_like_its_final_render():
    # 빈 줄로 띄운 항목: 끝난 목록은 항목마다 <p>다. 자라는 동안 빽빽하게 그렸다면 끝날 때 말풍선이 30 px 자랐다
    state = StreamingMarkdown()
    state.feed("정리:\n\n- 첫째 항목\n")
    state.caught_up()
    assert state.growing.units == ["<li>첫째 항목</li>\n"]

    state.feed("\n- 둘째 **항목**\n\n- 셋")

    assert state.growing.units == [
        "<li>\n<p>첫째 항목</p>\n</li>\n",
        "<li>\n<p>둘째 <strong>항목</strong></p>\n</li>\n",
    ]
    # 이미 보낸 첫 항목은 한 번 다시 그려 id로 바꾼다
    assert '<li hx-swap-oob="true" id="grow-7-0">\n<p>첫째 항목</p>' in stream_grow(
        7, state.growing, state.shown_tail
    )
    numbered = StreamingMarkdown("1. 하나\n\n2. 둘\n   - 안쪽\n\n3. 셋")
    assert numbered.growing.units[1] == "<li>\n<p>둘</p>\n<ul>\n<li>안쪽</li>\n</ul>\n</li>\n"


@pytest.mark.parametrize(
    "text",
    [
        "- a\n\n  문단 둘\n- b\n- c",
        "1. a\n\n   b\n2. c\n3. d",
        "- a\n- b\n\n  둘째 문단\n- c\n- d",
        "- a\n- b\n- c",
    ],
)
def test_the_growing_items_are_the_final_lists_items(text):
    # 항목 안의 빈 줄(문단 둘)도 목록 전체를 느슨하게 한다: 자라는 모양과 끝난 모양의 항목이 같아야 높이가 같다
    state = StreamingMarkdown(text)
    final = markdown.render_markdown(text)

    for unit in state.growing.units:
        assert unit in final


def test_new_rows_are_appended_and_only_the_changed_item_is_redrawn():
    table = StreamingMarkdown(OPEN_TABLE)
    table.caught_up()
    table.feed("전 |\n| tuple | 튜플 |\n| se")

    assert stream_grow(7, table.growing, table.shown_tail) == (
        "<tr>\n<td>dict</td>\n<td>사전</td>\n</tr>\n"
        "<tr>\n<td>tuple</td>\n<td>튜플</td>\n</tr>\n"
        '<p class="stream-tail bubble-text" id="tail-7" hx-swap-oob="true" sse-swap="token"'
        ' hx-swap="beforeend">| se</p>'
    )

    items = StreamingMarkdown(OPEN_LIST)
    items.feed("고\n")
    items.caught_up()
    items.feed("   더\n6. 넷\n")
    # 이미 보낸 항목(셋)은 id로 바꾸고, 새 항목(넷)은 덧붙인다
    assert stream_grow(7, items.growing, items.shown_tail) == (
        '<li id="grow-7-3">넷</li>\n'
        '<li hx-swap-oob="true" id="grow-7-2">셋을 쓰고\n더</li>\n'
        '<p class="stream-tail bubble-text" id="tail-7" hx-swap-oob="true" sse-swap="token"'
        ' hx-swap="beforeend"></p>'
    )


@pytest.mark.parametrize("text", [OPEN_TABLE, OPEN_CODE, OPEN_LIST])
@pytest.mark.parametrize("seed", range(8))
def test_the_growing_shape_does_not_depend_on_how_the_text_was_cut(text, seed):
    rng = random.Random(seed)  # noqa: S311 - 자르는 위치일 뿐
    state, _ = fed(text, [rng.randint(1, 7) for _ in range(len(text))])
    whole = StreamingMarkdown(text)

    # 페이지가 그린 모양 = 조각조각 받은 스트림이 이어 갈 모양
    assert stream_growing(1, state.growing, state.shown_tail) == stream_growing(
        1, whole.growing, whole.shown_tail
    )


@pytest.mark.parametrize(
    "text",
    [
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n끝",
        "- 하나\n- 둘\n\n- 셋\n  - 안\n* 다른 목록\n\n끝",
        "1. 하나\n2) 다른 목록\n\n---\n\n- - -\n\n끝",
        "```js\nlet a = 1;\n```\n| 표가 | 아님 |\n\n끝",
        "| a |\n|---|\n| 1 |\n\n| 새 표가 아닌 문단 |\n\n끝",
    ],
)
def test_skipping_reads_inside_tables_and_lists_keeps_the_final_render(text):
    state, html = fed(text, [3] * len(text))

    assert html + state.finish() == markdown.render_markdown(text)


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_text_in_an_open_block_stays_harmless(payload):
    flat = payload.replace("\n", " ")
    for text in (
        f"| a | b |\n|---|---|\n| {flat} | x |\n| {flat}",
        f"- {payload}\n- {flat}\n  {flat}\n- {flat}",
        f"```html\n{payload}\n{payload}",
    ):
        state = StreamingMarkdown(text)
        growing = state.growing
        if growing is None:
            continue
        # 모델에서 온 부분(머리 행, 행, 항목, 코드 줄)만: 감싸는 요소의 속성은 우리가 만든다
        assert problems(growing.head + "".join(growing.units)) == [], text
        assert "<script" not in stream_growing(1, growing, state.shown_tail).lower()


def long_reply(size):
    """표, 목록(안에 긴 글이 든 항목 하나 포함), 코드 블록이 모두 size줄쯤 되는 답변."""
    table = "| 번호 | 설명 |\n|---|---|\n" + "".join(
        f"| {i} | 행 {i}입니다 |\n" for i in range(size)
    )
    items = "".join(f"- 항목 {i}은 한 줄입니다\n" for i in range(size))
    items += "- 긴 항목\n" + "".join(f"  이어지는 줄 {i}\n" for i in range(size)) + "- 다음\n"
    code = "```python\n" + "".join(f"x{i} = {i}\n" for i in range(size)) + "```\n"
    return f"{table}\n{items}\n{code}\n끝\n"


def work_for(text, monkeypatch):
    """글을 조각조각 먹이는 동안 그린 글자 수와 다시 읽은 글자 수."""
    rendered, parsed = [], []
    real_render, real_starts = markdown.render_or_escape, markdown_stream._block_starts
    with monkeypatch.context() as patch:
        # 나누는 쪽(markdown_stream)과 자라는 블록의 모양(markdown_growing)이 그리는 것을 함께 센다
        for module in (markdown_stream, markdown_growing):
            patch.setattr(
                module,
                "render_or_escape",
                lambda text, env=None: rendered.append(len(text)) or real_render(text, env),
            )
        patch.setattr(
            markdown_stream,
            "_block_starts",
            lambda text: parsed.append(len(text)) or real_starts(text),
        )
        fed(text, [4] * len(text))
    return sum(rendered), sum(parsed)


def test_open_blocks_are_read_and_drawn_in_linear_time(monkeypatch):
    short, long = long_reply(400), long_reply(1600)
    short_work, long_work = work_for(short, monkeypatch), work_for(long, monkeypatch)

    # 네 배 긴 답변은 네 배쯤의 일: 행·항목마다 그 단위만 그리고, 긴 항목도 줄마다 통째로 다시 그리지 않으며,
    # 표와 목록 안의 행·항목은 블록 경계를 찾으려 블록 전체를 다시 읽지 않는다
    ratio = len(long) / len(short)
    assert long_work[0] < 1.3 * ratio * short_work[0]
    assert long_work[1] < 1.3 * ratio * short_work[1]
    assert long_work[1] < 3 * len(long)


def test_the_stream_sends_an_open_table_and_code_block_in_their_final_shape(
    logged_in, user, llm_server
):
    from chat.services import conversation_start

    llm_server.script(
        Reply(
            tokens=[
                "| a | b |\n|---|---|\n",
                "| 1 | <b>2</b> |\n",
                "| 3 |",
                " 4 |\n\n```python\n",
                "x = '<script>'\n",
                "y",
                " = 1\n",
                "```\n\n끝",
            ],
            delay=0.12,
        )
    )
    reply = conversation_start(user=user, content="표와 코드", model="fake-model")

    stream = read_stream(logged_in, reply.pk)

    blocks, grows = stream.data("blocks"), stream.data("grow")
    # 표는 머리 행부터 표로 오고, 행은 하나씩 덧붙는다
    assert any('<div class="stream-growing"' in data and "<th>a</th>" in data for data in blocks)
    assert any(data.startswith("<tr>\n<td>") for data in grows)
    assert "<td>&lt;b&gt;2&lt;/b&gt;</td>" in "".join(blocks + grows)
    # 코드 블록은 닫히기 전부터 언어 이름이 붙은 코드이고, 줄은 escape되어 덧붙는다
    assert any('<pre class="code" data-lang="python">' in data for data in blocks)
    assert "x = '&lt;script&gt;'" in "".join(blocks + grows)
    # 쓰는 중인 줄(y)은 글 그대로 코드 안의 꼬리에 붙고, 끝나면 코드의 다음 줄로 덧붙는다
    assert "y" in stream.data("token")
    assert any(data.startswith('\ny = 1<span class="stream-tail') for data in grows)
    assert "<script" not in stream.raw
    assert [name for name, _ in stream.events][-3:] == ["blocks", "reply", "done"]
