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
            # 읽는 사람은 대개 학생이다: 서버 설정(.env)은 말하지 않는다. 운영자에게는 직원만 보는 안내가 있다
            # (chat_layout.html의 demo-notice, docs/operator-manual.md).
            _(
                "When your teacher or the site's operator connects a real model, it will answer here."
            ),
        ]
    )


def _pieces(messages: list[dict]) -> list[str]:
    return re.findall(r"\S+\s*|\s+", reply_text(messages))


async def stream_reply(messages: list[dict]) -> AsyncIterator[str]:
    """답변을 낱말 조각으로 흘려 보낸다. 사용량(token_counts)은 chat.llm이 Usage로 싼다: 이 모듈은 llm을 모른다."""
    for piece in _pieces(messages):
        await asyncio.sleep(TOKEN_DELAY_SECONDS)
        yield piece


def token_counts(messages: list[dict]) -> tuple[int, int]:
    """(질문, 답변)의 어림 토큰 수: 데모에서도 사용량 장부가 움직인다."""
    return sum(len(m["content"]) for m in messages) // 2 + 1, len(_pieces(messages))


def title(messages: list[dict]) -> str:
    return _("Demo: %(words)s") % {"words": " ".join(_last_user_text(messages).split()[:4])}
