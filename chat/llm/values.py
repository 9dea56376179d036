"""모델이 내주는 작은 값들(사용량, 생각, 끝 이유). 다른 우리 모듈을 가져오지 않는 잎이라 어디서나 가져다 쓴다."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int | None
    completion_tokens: int | None


@dataclass(frozen=True)
class Reasoning:
    """추론 모델이 답 앞에 보낸 생각. 답(str)과 따로 내준다: 답으로 복사되거나 다음 질문에 실리지 않게."""

    text: str


@dataclass(frozen=True)
class Finish:
    """스트림의 끝 이유 (finish_reason). "length"면 답변 길이 한도에서 잘렸다."""

    reason: str
