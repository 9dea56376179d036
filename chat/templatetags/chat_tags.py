"""채팅 화면의 작은 템플릿 도구."""

import re

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from chat import reasoning, streams
from chat.markdown_growing import stream_growing
from chat.markdown_stream import StreamingMarkdown

register = template.Library()


@register.simple_tag(takes_context=True)
def reply_stream_url(context, message) -> str:
    """생성 중인 답변의 스트림 주소 (chat.streams.stream_url): 주인의 화면이면 가벼운 입구의 표가 붙는다."""
    return streams.stream_url(message, context.get("request"))


@register.simple_tag
def streaming_reply(message) -> str:
    """생성 중인 답변의 본문: 끝난 블록은 그린 HTML, 쓰는 중인 블록은 표·코드·목록이면 끝난 모양, 아니면 글 그대로.

    스트림(chat.streams)이 같은 StreamingMarkdown으로 이어 가므로 모양이 어긋나지 않는다.
    """
    state = StreamingMarkdown(message.content)
    return format_html(
        # settle을 기다리지 않는다: 새로 들어온 자리(쓰는 블록, 꼬리)가 곧바로 다음 이벤트를 듣는다.
        # htmx는 새 요소를 조금 뒤(settle)에 처리해서, 그 사이에 온 grow·token을 잃었다
        # (바쁜 브라우저에서는 쌓여 있다가 한꺼번에 온다)
        '{}<div class="stream-blocks" sse-swap="blocks" hx-swap="beforeend settle:0ms">{}</div>{}',
        mark_safe(thought_block(message, streaming=True)),  # noqa: S308 - 안에서 escape한다
        mark_safe(state.html),  # noqa: S308 - render_markdown이 nh3로 거른 HTML
        # 쓰는 중인 블록: 표·코드·목록은 끝난 모양으로, 아직 쓰는 줄만 글 그대로 (JavaScript 없이도)
        mark_safe(stream_growing(message.pk, state.growing, state.shown_tail)),  # noqa: S308
    )


@register.simple_tag
def reasoning_block(message) -> str:
    """끝난 답변의 접힌 생각 블록 (없으면 빈 글)."""
    return mark_safe(thought_block(message, streaming=False))  # noqa: S308 - 안에서 escape한다


def thought_block(message, *, streaming: bool) -> str:
    if not message.reasoning:
        return reasoning.placeholder(message.pk) if streaming else ""
    return reasoning.block(
        message.pk,
        message.reasoning,
        thinking=streaming and not message.content,
        streaming=streaming,
    )


_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


@register.filter
def user_text(text: str) -> str:
    """사람이 보낸 글: 줄바꿈과 공백은 그대로(CSS pre-wrap), 코드처럼 보이는 부분은 고정폭 블록으로.

    펜스(```)로 감싼 부분과, 빈 줄 뒤에 네 칸(또는 탭) 들여쓴 줄들이 코드다. 글은 모두 escape한다.
    """
    parts, text_lines, code_lines = [], [], []
    fence = None

    def flush_text():
        if text_lines:
            parts.append(escape("\n".join(text_lines)))
            text_lines.clear()

    def flush_code():
        parts.append(
            f'<pre class="user-code"><code>{escape(chr(10).join(code_lines))}</code></pre>'
        )
        code_lines.clear()

    lines = text.replace("\r\n", "\n").split("\n")
    indented = False
    for index, line in enumerate(lines):
        opened = _FENCE.match(line)
        if fence is not None:
            if (
                opened
                and line.strip() == fence[0] * len(line.strip())
                and len(line.strip()) >= len(fence)
            ):
                fence = None
                flush_code()
            else:
                code_lines.append(line)
            continue
        if opened:
            flush_text()
            fence = opened.group(1)
            continue
        is_indented = line.startswith(("    ", "\t")) and line.strip() != ""
        if is_indented and (indented or index == 0 or not lines[index - 1].strip()):
            if not indented:
                flush_text()
                indented = True
            code_lines.append(line[4:] if line.startswith("    ") else line[1:])
            continue
        if indented:
            indented = False
            flush_code()
        text_lines.append(line)
    if fence is not None or indented:
        flush_code()
    flush_text()
    # 블록 앞뒤의 빈 줄은 블록의 여백이 대신한다
    html = "".join(
        part if part.startswith("<pre") else part.strip("\n") if len(parts) > 1 else part
        for part in parts
    )
    return mark_safe(html)  # noqa: S308 - 모든 글을 escape했다
