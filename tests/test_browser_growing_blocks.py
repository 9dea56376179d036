"""쓰는 중인 블록도 읽힌다: 아직 끝나지 않은 표와 코드 블록이 스트리밍 중에 이미 제 모양이다.

모델을 표의 한가운데와 코드 블록의 한가운데에서 멈춰 세우고(fake_openai의 stall, 본 뒤에 release), 그 순간의
화면을 본다.
휴대폰(390×844)과 데스크톱(1366×850), 밝은 테마와 어두운 테마에서. 화면은 screenshots/ (git 밖)에 남긴다.
"""

import pytest
from playwright.sync_api import expect

from tests.support.browser import axe_violations, send, shot, sign_up, watch_final_swap
from tests.support.fake_openai import Reply

pytestmark = [pytest.mark.browser, pytest.mark.live]

# 둘째 행까지 쓰고 멈추는 표
TABLE_TOKENS = [
    "자료형을 표로 보면:\n\n",
    "| 이름 | 뜻 |\n",
    "|---|---|\n",
    "| list | 순서가 있는 목록 |\n",
    "| dict | 키로 찾는 사전 |\n",
    "| tuple | 바꿀 수 없는 목록 |\n\n",
    "끝.",
]
# 둘째 줄의 중간에서 멈추고, 코드 블록으로 끝나는 답
CODE_TOKENS = [
    "코드로 보면:\n\n",
    "```python\n",
    "squares = [x * x for x in range(10)]\n",
    "print(sq",
    "uares)\n",
    "```\n",
]


def watch_end(page):
    """끝나기 직전(마지막 blocks 프레임 앞)과 마지막 답변으로 바뀐 뒤의 말풍선 높이: 미리 그린 모양에서 끝난
    모양으로 넘어갈 때의 이동."""
    page.evaluate(
        """() => {
        window.endShift = null;
        const height = () => [...document.querySelectorAll('article.bubble-assistant')].pop()
          .getBoundingClientRect().height;
        let growing = null;
        document.addEventListener('htmx:sseBeforeMessage', event => {
          if (event.detail.type === 'blocks') growing = height();
          if (event.detail.type !== 'reply') return;
          requestAnimationFrame(() => setTimeout(() => {
            window.endShift = {growing, after: height()};
          }, 50));
        });
    }"""
    )


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_a_table_and_a_code_block_have_their_final_shape_while_they_are_written(
    open_page, fake_openai, size, scheme
):
    fake_openai.script(
        Reply(tokens=TABLE_TOKENS, delay=0.05, stall=20.0, stall_after=5, stall_ping=1.0),
        Reply(tokens=["자료형"]),
        Reply(tokens=CODE_TOKENS, delay=0.3, stall=20.0, stall_after=4, stall_ping=1.0),
    )
    page = open_page(size, scheme)
    sign_up(page)

    send(page, "자료형을 표로 정리해 줘")
    reply = page.locator("article.bubble-assistant").last
    # 표가 아직 끝나지 않았는데(모델이 멈춰 있다) 이미 표다: 머리 행과 두 행, 글자 그대로의 |나 --- 없이
    growing = reply.locator(".stream-growing table")
    expect(growing.locator("tbody tr")).to_have_count(2)
    expect(growing.locator("thead th").first).to_have_text("이름")
    expect(growing.locator("tbody tr").last.locator("td").last).to_have_text("키로 찾는 사전")
    expect(reply).to_have_attribute("aria-busy", "true")
    assert "|" not in reply.locator(".bubble-body").inner_text()
    # 다음 행을 기다리는 동안 점은 마지막 칸의 끝에서 숨 쉰다 (자리를 따로 차지하면 여기서 끝날 때 줄어든다)
    last_cell = growing.locator("tbody tr").last.locator("td").last
    pulse = "node => getComputedStyle(node, '::after').animationName"
    assert last_cell.evaluate(pulse) == "writing-pulse"
    assert growing.locator("thead th").last.evaluate(pulse) == "none"
    assert axe_violations(page) == []
    shot(page, f"growing-table-{size}-{scheme}")
    fake_openai.release()

    final = page.locator("article.bubble-assistant .markdown").last
    expect(final.locator("table tbody tr")).to_have_count(3, timeout=15_000)
    expect(final.locator("p").last).to_have_text("끝.")
    expect(page.locator("#conversation-title")).to_have_text("자료형")

    send(page, "코드로도 보여 줘")
    reply = page.locator("article.bubble-assistant").last
    watch_final_swap(page)
    watch_end(page)
    # 바쁜 브라우저: 스트림이 열린 뒤 1.5초 동안 주 스레드를 붙잡는다. 그동안 온 이벤트(새 자리를 만드는 blocks와 그
    # 자리에 붙는 grow·token)가 한꺼번에 처리되어도 잃는 것이 없어야 한다
    expect(reply.locator(".bubble-body")).to_contain_text("코드로 보면")
    page.evaluate("() => { const start = Date.now(); while (Date.now() - start < 1500); }")
    # 코드 블록이 닫히기 전: 언어 이름이 붙은 고정폭 블록이고, 쓰는 중인 줄도 그 안에 있다
    code = reply.locator('.stream-growing pre.code[data-lang="python"] code')
    expect(code).to_contain_text("squares = [x * x for x in range(10)]")
    expect(code.locator(".stream-tail")).to_have_text("print(sq")
    assert "monospace" in code.evaluate("node => getComputedStyle(node).fontFamily")
    label = reply.locator(".stream-growing pre.code").evaluate(
        "node => getComputedStyle(node, '::before').content"
    )
    assert "python" in label
    assert "```" not in reply.locator(".bubble-body").inner_text()
    expect(reply).to_have_attribute("aria-busy", "true")
    assert axe_violations(page) == []
    shot(page, f"growing-code-{size}-{scheme}")
    fake_openai.release()

    final = page.locator("article.bubble-assistant .markdown").last
    expect(final.locator('pre.code[data-lang="python"]')).to_contain_text(
        "print(squares)", timeout=15_000
    )
    # 끝날 때 화면이 뛰지 않는다: 미리 그린 코드 블록 → 끝난 블록 → 마지막 답변
    page.wait_for_function("() => window.finalSwap !== null && window.endShift !== null")
    swap, end = page.evaluate("[window.finalSwap, window.endShift]")
    assert abs(swap["after"] - swap["before"]) <= 8, swap
    assert abs(end["after"] - end["growing"]) <= 8, end
    shot(page, f"growing-finished-{size}-{scheme}")
    assert axe_violations(page) == []
    assert page.console_errors == []


def test_without_javascript_the_page_shows_the_open_table_as_a_table(open_page, fake_openai):
    fake_openai.script(
        Reply(tokens=TABLE_TOKENS, delay=0.05, stall=20.0, stall_after=5, stall_ping=1.0),
        Reply(tokens=["표"]),
    )
    page = open_page("phone", javascript=False)
    sign_up(page)

    page.get_by_label("메시지").fill("자료형을 표로 정리해 줘")
    page.get_by_role("button", name="보내기").click()

    # 보내기는 잠깐(2초) 기다린다: 그 사이 모델은 표의 한가운데에서 멈춰 있고, 페이지는 그 상태를 그린다
    table = page.locator("article.bubble-assistant .stream-growing table")
    expect(table.locator("tbody tr")).to_have_count(2, timeout=10_000)
    assert "|" not in page.locator("article.bubble-assistant .bubble-body").inner_text()
    shot(page, "growing-table-nojs-phone-light")
    fake_openai.release()
    assert page.console_errors == []


def test_a_list_being_written_is_a_list_of_items(open_page, fake_openai):
    fake_openai.script(
        Reply(
            tokens=[
                "순서대로 하면:\n\n",
                "1. 파이썬을 설치합니다\n",
                "2. **편집기**를 엽니다\n",
                "   그리고 새 파일을 만듭니다\n",
                "3. 코드를 씁",
                "니다\n\n끝.",
            ],
            delay=0.05,
            stall=20.0,
            stall_after=5,
            stall_ping=1.0,
        ),
        Reply(tokens=["순서"]),
    )
    page = open_page("phone", "dark")
    sign_up(page)

    send(page, "순서대로 알려 줘")
    reply = page.locator("article.bubble-assistant").last
    items = reply.locator(".stream-growing ol > li")
    expect(items).to_have_count(2)
    expect(items.last.locator("strong")).to_have_text("편집기")
    expect(items.last).to_contain_text("새 파일을 만듭니다")
    # 줄바꿈 전의 마지막 줄만 글 그대로
    expect(reply.locator(".stream-tail")).to_have_text("3. 코드를 씁")
    assert "**" not in reply.locator(".bubble-body").inner_text()
    assert axe_violations(page) == []
    shot(page, "growing-list-phone-dark")
    fake_openai.release()

    final = page.locator("article.bubble-assistant .markdown").last
    expect(final.locator("ol > li")).to_have_count(3, timeout=15_000)
    # 제목 요청까지 끝난 뒤에 닫는다: 늦은 요청이 다음 시험의 대본("네")을 가져가지 않게
    expect(page.locator("#conversation-title")).to_have_text("순서")
    assert page.console_errors == []


@pytest.mark.parametrize(
    "ending",
    [
        ["| 이름 | 뜻 |\n", "|---|---|\n", "| list | 목록 |\n", "| dict | 사전 |\n"],
        ["- 첫째 항목\n", "- 둘째 항목\n", "- 셋째 항목\n"],
        ["- 첫째 항목\n\n", "- 둘째 항목\n\n", "- 셋째 항목\n\n", "이어지는 문단."],
    ],
    ids=["table", "list", "loose-list"],
)
def test_a_reply_that_ends_on_a_table_or_list_does_not_shrink_at_the_end(
    open_page, fake_openai, ending
):
    # 줄바꿈 하나로 끝나는 표나 목록: 다음 줄을 기다리는 점이 제 줄을 차지하면 끝날 때 그 줄만큼 줄었다
    fake_openai.script(
        Reply(tokens=["네"]),
        Reply(tokens=["정리"]),
        Reply(tokens=["정리하면:\n\n", *ending], delay=0.25),
    )
    page = open_page("phone")
    sign_up(page)
    # 첫 보내기는 대화 페이지로 옮겨 간다: 재는 것은 그 페이지에서 보내는 둘째 답이다
    send(page, "안녕")
    expect(page.locator("#conversation-title")).to_have_text("정리")
    watch_final_swap(page)
    watch_end(page)

    send(page, "정리해 줘")

    page.wait_for_function("() => window.finalSwap !== null && window.endShift !== null")
    swap, end = page.evaluate("[window.finalSwap, window.endShift]")
    assert abs(swap["after"] - swap["before"]) <= 8, swap
    assert abs(end["after"] - end["growing"]) <= 8, end
    assert page.console_errors == []
