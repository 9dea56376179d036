"""추론 모델의 생각: 답과 따로 저장하고, 스트림에서는 답 앞에 흘려 보내고, 접힌 블록으로 보인다.

생성 중인 답변의 스트림 글은 하나다: 생각이 있으면 MARK, 생각, MARK, 답. 생각이 없는 답변에는 MARK가 없어 스트림
글이 곧 답이다 (생각하지 않는 모델은 아무것도 치르지 않는다). MARK는 NUL이다: 모델의 글에서는 llm.clean_text가
NUL을 지우므로 섞일 수 없다. 스트림의 위치(SSE id, Last-Event-ID, ?from=)는 모두 이 하나로 이은 글에서 센다.

답이 시작된 뒤에 온 생각은 흘려 보내지 않고 저장만 한다: 위치가 어긋나지 않게.
생각은 다음 질문의 문맥에 싣지 않는다 (chat.context는 content만 읽는다).
"""

from django.utils.html import escape
from django.utils.translation import gettext as _

MARK = "\x00"


def joined(reasoning: str, content: str) -> str:
    """저장된 생각과 답을 스트림 글로 (생성 작업이 흘려 보낸 것과 같은 모양)."""
    if not reasoning:
        return content
    return f"{MARK}{reasoning}{MARK}{content}" if content else f"{MARK}{reasoning}"


def split(text: str) -> tuple[str, str]:
    """스트림 글을 (생각, 답)으로."""
    if not text.startswith(MARK):
        return "", text
    reasoning, _mark, content = text[1:].partition(MARK)
    return reasoning, content


class Reader:
    """스트림 글을 차례로 읽으며 생각과 답을 가른다. 본 생각의 길이(seen)와 어디까지 왔는지를 기억한다."""

    def __init__(self):
        self.started = False
        self.thinking = False
        self.seen = 0

    def feed(self, text: str) -> tuple[str, str, bool]:
        """(생각, 답, 이번에 생각에서 답으로 넘어갔는지)."""
        if not self.started and text:
            self.started = True
            if text.startswith(MARK):
                self.thinking, text = True, text[1:]
        if not self.thinking:
            return "", text, False
        thought, mark, answer = text.partition(MARK)
        self.seen += len(thought)
        if mark:
            self.thinking = False
        return thought, answer, bool(mark)

    @property
    def answering(self) -> bool:
        return self.started and not self.thinking


def summary(thinking: bool) -> str:
    return _("Thinking…") if thinking else _("Thought process")


def block(reply_id: int, reasoning: str, *, thinking: bool, streaming: bool, oob: bool = False):
    """접힌 생각 블록 (<details>: JavaScript 없이도 열린다). 생성 중이면 스트림의 think 조각이 뒤에 붙는다.

    글은 그대로 escape해 줄바꿈을 살려 보인다 (Markdown으로 그리지 않는다): 흐를 때와 끝난 뒤의 모양이 같다.
    """
    swap = f' sse-swap="think" hx-swap="beforeend" id="thought-{reply_id}"' if streaming else ""
    return (
        f'<details class="reasoning" id="reasoning-{reply_id}"{' hx-swap-oob="true"' if oob else ""}>'
        f'<summary><span id="reasoning-state-{reply_id}">{escape(summary(thinking))}</span></summary>'
        f'<div class="reasoning-text"{swap}>{escape(reasoning)}</div></details>'
    )


def placeholder(reply_id: int) -> str:
    """생성 중인데 아직 생각이 없는 답변의 자리: 첫 생각이 오면 이 자리가 블록으로 바뀐다 (oob)."""
    return f'<div id="reasoning-{reply_id}" hidden></div>'


def answered(reply_id: int) -> str:
    """생각이 끝나고 답이 시작됐다: 요약을 "생각한 과정"으로 (oob)."""
    return (
        f'<span id="reasoning-state-{reply_id}" hx-swap-oob="true">{escape(summary(False))}</span>'
    )
