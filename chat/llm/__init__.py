"""LLM 호출: openai를 가져다 쓰는 유일한 곳. 앱의 나머지는 `from chat import llm`으로 아래 이름만 쓴다.

- completions: 모델을 부르는 두 길, 답변 스트림(stream_reply)과 대화 제목(complete_title).
- client: 설정으로 만드는 AsyncOpenAI, 이벤트 루프마다 하나.
- reading: 흘러오는 본문(과 JSON 하나로 온 답)을 글, 생각, 사용량, 끝 이유로 읽는다.
- transport: 본문을 SDK의 aiohttp 전송에서 바로 읽는다. SDK를 비켜 가는 울타리 친 자리.
- errors: LLMError와, SDK의 오류와 스트림 안의 오류 객체를 우리 오류 종류로 바꾸는 것.
- model_list: 고를 수 있는 모델 (데모, 설정, 서버의 /v1/models).
- text: 모델의 글을 DB와 nh3가 담을 수 있게 거른다.
- values: 작은 값들 (Usage, Reasoning, Finish). 다른 우리 모듈을 가져오지 않는다.
"""

from chat.llm.completions import TITLE_MAX_CHARS, complete_title, stream_reply
from chat.llm.errors import LLMError
from chat.llm.model_list import available_models, default_model, is_demo, usable_model
from chat.llm.text import TextCleaner, clean_text
from chat.llm.values import Finish, Reasoning, Usage
from chat.upstream_errors import ErrorKind

# 앱의 나머지가 쓰는 이름: 패키지로 나눈 뒤에도 llm.<이름>으로 그대로
__all__ = [
    "TITLE_MAX_CHARS",
    "ErrorKind",
    "Finish",
    "LLMError",
    "Reasoning",
    "TextCleaner",
    "Usage",
    "available_models",
    "clean_text",
    "complete_title",
    "default_model",
    "is_demo",
    "stream_reply",
    "usable_model",
]
