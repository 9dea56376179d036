"""스트리밍 중의 마크다운: 끝난 블록은 한 번만 그리고, 쪼개진 모양과 상관없이 같은 결과, 비용은 길이에 비례."""

import random

import pytest

from chat import markdown, markdown_stream
from chat.markdown import render_markdown
from chat.markdown_stream import StreamingMarkdown
from tests.support.html import HOSTILE, problems

REPLY = (
    "# 제목\n\n첫 문단입니다.\n둘째 줄.\n\n- 하나\n- 둘\n\n"
    "```python\nprint(1)\n\nx = 2\n```\n\n"
    "| a | b |\n|---|---|\n| 1 | 2 |\n\n> 인용\n\n---\n\n마지막 문단"
)


def fed(text, pieces):
    """글을 pieces 크기로 잘라 먹인 결과: (끝난 블록 HTML, 남은 꼬리)."""
    state, html, index = StreamingMarkdown(), [], 0
    for size in pieces:
        html.append(state.feed(text[index : index + size]))
        index += size
    html.append(state.feed(text[index:]))
    return "".join(html), state.tail, state


@pytest.mark.parametrize("seed", range(20))
def test_the_result_does_not_depend_on_how_the_text_was_cut(seed):
    rng = random.Random(seed)  # noqa: S311 - 자르는 위치일 뿐
    pieces = [rng.randint(1, 9) for _ in range(len(REPLY))]

    html, tail, _ = fed(REPLY, pieces)
    whole = StreamingMarkdown(REPLY)

    # 페이지가 한 번에 그린 것 = 조각조각 받은 브라우저의 것 = 다시 연결한 스트림이 이어 갈 것
    assert (html, tail) == (whole.html, whole.tail)


def test_finished_blocks_are_rendered_and_the_last_block_waits():
    whole = StreamingMarkdown(REPLY)

    assert "<h3>제목</h3>" in whole.html
    assert "<table>" in whole.html
    assert '<pre class="code" data-lang="python">' in whole.html
    # 구분선은 다음 블록이 시작되어야 끝난다. 마지막 줄은 아직 줄바꿈 전이다
    assert whole.tail == "---\n\n마지막 문단"


def test_an_open_code_fence_stays_text_until_it_closes():
    state = StreamingMarkdown("문단\n\n```js\nlet a = 1;\n\n")

    assert state.html == "<p>문단</p>\n"
    assert state.tail == "```js\nlet a = 1;\n\n"
    assert state.feed("```\n") == ""  # 닫혔지만 다음 블록이 오기 전까지는 바뀔 수 있다
    assert '<pre class="code" data-lang="javascript">' in state.feed("다음\n")


@pytest.mark.parametrize("text", [REPLY, "### 첫 제목\n\n문단\n\n#### 아래\n\n## 위\n\n끝"])
def test_streamed_blocks_plus_the_finish_equal_the_final_render(text):
    html, _, state = fed(text, [3] * len(text))

    assert html + state.finish() == render_markdown(text)


def test_each_block_is_rendered_once_and_parsing_stays_linear(monkeypatch):
    rendered, parsed = [], []
    real_render, real_starts = markdown.render_or_escape, markdown_stream._block_starts
    monkeypatch.setattr(
        markdown_stream,
        "render_or_escape",
        lambda text, env=None: rendered.append(text) or real_render(text, env),
    )
    monkeypatch.setattr(
        markdown_stream, "_block_starts", lambda text: parsed.append(len(text)) or real_starts(text)
    )
    paragraphs = [f"문단 {index}은 조금 긴 글입니다. " * 4 for index in range(150)]
    code = "```python\n" + "".join(f"x{index} = {index}\n" for index in range(300)) + "```\n"
    text = (
        "\n\n".join(paragraphs[:75])
        + "\n\n"
        + code
        + "\n"
        + "\n\n".join(paragraphs[75:])
        + "\n\n끝"
    )

    fed(text, [4] * len(text))

    # 블록마다 한 번: 문단 149개와 코드 블록 하나. 마지막 문단은 다음 줄("끝")이 끝나지 않아 아직 기다린다
    assert len(rendered) == 150
    assert sum(len(block) for block in rendered) <= len(text)
    # 300줄짜리 코드 블록도 줄마다 다시 읽지 않는다: 읽은 글자의 합이 길이의 몇 배를 넘지 않는다
    assert sum(parsed) < 3 * len(text)


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_input_is_harmless_while_it_streams(payload):
    text = f"앞 문단\n\n{payload}\n\n뒤 문단\n\n"
    html, _, state = fed(text, [2] * len(text))

    assert problems(html) == []
    assert problems(state.finish()) == []
    assert "<script" not in html.lower()


def test_the_finish_reuses_the_saved_html_when_no_block_has_finished(monkeypatch):
    # 한 문단짜리 답변: 저장할 때 그린 HTML이 곧 남은 블록의 그림이다. 두 번 그리지 않는다.
    text = "한 문단짜리 **짧은** 답입니다."
    state = StreamingMarkdown()
    state.feed(text)
    renders = []
    monkeypatch.setattr(
        markdown_stream, "render_or_escape", lambda *args: renders.append(args) or ""
    )

    assert state.finish(whole=(text, "<p>저장된 그림</p>")) == "<p>저장된 그림</p>"
    assert renders == []


def test_the_finish_renders_the_last_block_itself_after_earlier_blocks():
    text = "# 제목\n\n첫 문단.\n\n마지막 문단."
    state = StreamingMarkdown()
    streamed = state.feed(text)

    rest = state.finish(whole=(text, "<p>저장된 그림</p>"))

    assert "저장된 그림" not in rest
    assert streamed + rest == render_markdown(text)
