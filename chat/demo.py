"""오프라인 데모 모델: 연결된 LLM이 없어도 같은 스트리밍 경로로 Markdown 답변을 보여 준다."""

import asyncio
import re
from collections.abc import AsyncIterator

from django.utils.translation import gettext as _

# 사람이 읽는 속도처럼 보이되 시험이 오래 걸리지 않을 만큼
TOKEN_DELAY_SECONDS = 0.02


def _last_user_text(messages: list[dict]) -> str:
    return next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")


def reply_text(messages: list[dict]) -> str:
    """받은 메시지를 인용하고 서식과 코드 강조를 보여 주는 답변."""
    quoted = "\n".join(f"> {line}" for line in _last_user_text(messages)[:300].splitlines())
    return "\n\n".join(
        [
            _(
                "This is the **offline demo model**. No real model is connected, so I can only show what a reply looks like."
            ),
            _("You wrote:"),
            quoted or "> …",
            _("What this app can show:"),
            "\n".join(
                [
                    "- " + _("replies that stream word by word"),
                    "- " + _("**Markdown**: lists, tables, `inline code`"),
                    "- " + _("code blocks with syntax highlighting"),
                ]
            ),
            '```python\ndef greet(name: str) -> str:\n    return f"안녕하세요, {name}님!"\n```',
            _(
                "To talk to a real model, set `OPENAI_API_KEY` or `OPENAI_BASE_URL` in `.env` and restart."
            ),
        ]
    )


async def stream_reply(messages: list[dict]) -> AsyncIterator:
    from chat.llm import Usage  # llm이 이 모듈을 가져오므로 순환을 피한다

    pieces = re.findall(r"\S+\s*|\s+", reply_text(messages))
    for piece in pieces:
        await asyncio.sleep(TOKEN_DELAY_SECONDS)
        yield piece
    prompt_tokens = sum(len(m["content"]) for m in messages) // 2 + 1
    yield Usage(prompt_tokens=prompt_tokens, completion_tokens=len(pieces))


def title(messages: list[dict]) -> str:
    return _("Demo: %(words)s") % {"words": " ".join(_last_user_text(messages).split()[:4])}
