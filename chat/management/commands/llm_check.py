"""LLM 연결 확인.

모델 서버(OpenAI, Ollama, vLLM …)를 연결한 뒤 학생들이 들어오기 전에, 앱과 같은 설정과 같은 코드 경로로
짧은 답변 하나를 스트리밍해 본다. 실패하면 학생이 볼 오류 종류와 자세한 이유를 보여 주고 0이 아닌 값으로 끝난다.
"""

import time

from asgiref.sync import async_to_sync
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from chat import llm

PROMPT = [{"role": "user", "content": "Reply with the single word OK."}]


class Command(BaseCommand):
    help = "Stream one short reply from the configured model server and report timings and usage."

    def add_arguments(self, parser):
        parser.add_argument("--model", help="model to ask (default: OPENAI_MODEL)")

    def handle(self, *args, model=None, **options):
        model = model or llm.default_model()
        server = "offline demo model" if llm.is_demo() else settings.OPENAI_BASE_URL or "OpenAI"
        self.stdout.write(f"Server: {server}\nModel: {model}")
        # OPENAI_MODELS=auto면 서버의 /v1/models에서 읽은 목록이다
        self.stdout.write(f"Models offered: {', '.join(llm.available_models())}")
        try:
            result = async_to_sync(self._probe)(model)
        except llm.LLMError as error:
            raise CommandError(f"Failed: {error.kind.value}: {error}") from error
        if result["thought"]:
            # 추론 모델: 생각은 답과 따로 온다 (chat.reasoning)
            self.stdout.write(
                f"Thinking: {len(result['thought'])} characters, kept apart from the reply"
            )
        self.stdout.write(
            f"Reply: {result['text'].strip()!r}\n"
            f"First token after {result['first_token']:.2f} s, finished after {result['total']:.2f} s\n"
            f"Tokens: prompt {result['usage'].prompt_tokens}, completion {result['usage'].completion_tokens}"
        )
        self.stdout.write(self.style.SUCCESS("The model server works."))

    async def _probe(self, model):
        started = time.monotonic()
        first_token = None
        pieces = []
        usage = llm.Usage(None, None)
        thoughts = []
        async for item in llm.stream_reply(PROMPT, model=model):
            if isinstance(item, llm.Usage):
                usage = item
            elif isinstance(item, llm.Reasoning):
                first_token = first_token or time.monotonic() - started
                thoughts.append(item.text)
            elif isinstance(item, str):
                first_token = first_token or time.monotonic() - started
                pieces.append(item)
        return {
            "text": "".join(pieces),
            "thought": "".join(thoughts),
            "first_token": first_token or 0.0,
            "total": time.monotonic() - started,
            "usage": usage,
        }
