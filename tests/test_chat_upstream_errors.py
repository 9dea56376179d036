"""모델 서버의 오류 말투 표(chat.upstream_errors): 서버마다 다르게 말해도 같은 종류로 읽는다. 한 줄이 한 서버의 실제 모양이다."""

import pytest
from django.utils.functional import Promise

from chat.models import ErrorKind, Message
from chat.upstream_errors import classify, classify_object

CASES = [
    # (서버, HTTP 상태(스트림 안이면 None), 오류 객체, 종류)
    (
        "OpenAI",
        400,
        {
            "message": "This model's maximum context length is 8192 tokens.",
            "type": "invalid_request_error",
            "code": "context_length_exceeded",
        },
        ErrorKind.CONTEXT_TOO_LONG,
    ),
    (
        "vLLM",
        400,
        {
            "object": "error",
            "message": "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens.",
            "type": "BadRequestError",
            "code": 400,
        },
        ErrorKind.CONTEXT_TOO_LONG,
    ),
    (
        "llama.cpp",
        400,
        {
            "code": 400,
            "message": "the request exceeds the available context size, try increasing it",
            "type": "exceed_context_size_error",
        },
        ErrorKind.CONTEXT_TOO_LONG,
    ),
    (
        "LiteLLM",
        400,
        {
            "message": "litellm.ContextWindowExceededError: prompt is too long",
            "type": None,
            "code": "400",
        },
        ErrorKind.CONTEXT_TOO_LONG,
    ),
    (
        "Ollama",
        500,
        {"message": "input length exceeds the context window"},
        ErrorKind.CONTEXT_TOO_LONG,
    ),
    (
        "Ollama, plain text",
        400,
        "the prompt exceeds the model's context size",
        ErrorKind.CONTEXT_TOO_LONG,
    ),
    (
        "Azure OpenAI",
        400,
        {
            "message": "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.",
            "type": None,
            "code": None,
        },
        ErrorKind.CONTENT_FILTER,
    ),
    (
        "OpenAI, content policy",
        400,
        {"code": "content_policy_violation", "message": "refused"},
        ErrorKind.CONTENT_FILTER,
    ),
    (
        "LiteLLM, unknown model",
        400,
        {
            "message": "Invalid model name passed in model=gpt-5. Call `/v1/models` to view available models",
            "type": "invalid_request_error",
            "code": "400",
        },
        ErrorKind.NOT_CONFIGURED,
    ),
    (
        "LiteLLM, virtual keys without a database",
        400,
        {"message": "No connected db.", "type": "no_db_connection", "code": "400"},
        ErrorKind.NOT_CONFIGURED,
    ),
    (
        "LiteLLM, its upstream cut mid-stream (an error object in the 200 stream)",
        None,
        {
            "message": "litellm.APIConnectionError: APIConnectionError: OpenAIException - Connection error.",
            "type": None,
            "param": None,
            "code": "500",
        },
        ErrorKind.CONNECTION_LOST,
    ),
    (
        "vLLM, unknown model",
        404,
        {"message": "The model `llama` does not exist.", "type": "NotFoundError", "code": 404},
        ErrorKind.NOT_CONFIGURED,
    ),
    (
        "OpenAI, wrong key",
        401,
        {"message": "Incorrect API key provided", "code": "invalid_api_key"},
        ErrorKind.NOT_CONFIGURED,
    ),
    (
        "in a stream, rate limit by number",
        None,
        {"message": "Rate limit exceeded", "code": 429},
        ErrorKind.RATE_LIMITED,
    ),
    (
        "in a stream, LiteLLM wrapper",
        None,
        {"error": {"message": "litellm.RateLimitError: too many requests", "code": "429"}},
        ErrorKind.RATE_LIMITED,
    ),
    (
        "in a stream, context by code",
        None,
        {"message": "too long", "code": "context_length_exceeded"},
        ErrorKind.CONTEXT_TOO_LONG,
    ),
    (
        "OpenRouter, overloaded",
        None,
        {"message": "Overloaded", "code": 502},
        ErrorKind.RATE_LIMITED,
    ),
    (
        "a plain server error",
        500,
        {"message": "Internal Server Error", "type": "server_error"},
        ErrorKind.UPSTREAM_ERROR,
    ),
    ("an unknown error in a stream", None, "something broke", ErrorKind.UPSTREAM_ERROR),
    (
        "a bad request of ours",
        400,
        {"message": "Invalid 'messages[0].role'", "code": "invalid_value"},
        ErrorKind.UPSTREAM_ERROR,
    ),
]


@pytest.mark.parametrize(
    ("server", "status", "error", "kind"), CASES, ids=[case[0] for case in CASES]
)
def test_each_servers_wording_reads_as_its_kind(server, status, error, kind):
    assert classify_object(error, status=status) == kind


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (401, ErrorKind.NOT_CONFIGURED),
        (404, ErrorKind.NOT_CONFIGURED),
        (429, ErrorKind.RATE_LIMITED),
        (503, ErrorKind.UPSTREAM_ERROR),
    ],
)
def test_an_error_the_table_does_not_know_is_read_by_its_status(status, kind):
    assert classify(status=status, message="no words we know") == kind


def test_the_error_kinds_choices_carry_no_translated_sentences():
    # choices의 이름표는 마이그레이션에 얼어붙는다: 안내문을 고칠 때마다 마이그레이션이 생기지 않게
    _name, _path, _args, kwargs = Message._meta.get_field("error_kind").deconstruct()

    assert [label for _value, label in kwargs["choices"] if isinstance(label, Promise)] == []
