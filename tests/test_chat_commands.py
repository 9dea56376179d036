"""운영자 명령: 모델 서버 연결 확인."""

import pytest
from django.core.management import CommandError, call_command

from tests.fake_openai import Reply


def test_llm_check_streams_one_reply_through_the_configured_server(llm_server, capsys):
    llm_server.script(Reply(tokens=["O", "K"], usage={"prompt_tokens": 14, "completion_tokens": 2}))

    call_command("llm_check", "--model", "fake-large")

    output = capsys.readouterr().out
    assert f"Server: {llm_server.base_url}" in output
    assert "Model: fake-large" in output
    assert "Reply: 'OK'" in output
    assert "Tokens: prompt 14, completion 2" in output
    assert "The model server works." in output
    assert llm_server.requests[-1]["model"] == "fake-large"


def test_llm_check_names_the_error_kind_when_the_key_is_wrong(llm_server):
    llm_server.script(
        Reply(status=401, error_code="invalid_api_key", error_message="Incorrect API key")
    )

    with pytest.raises(CommandError, match=r"Failed: not_configured: .*Incorrect API key"):
        call_command("llm_check")


def test_llm_check_says_when_it_is_the_demo_model(fast_demo, capsys):
    call_command("llm_check")

    output = capsys.readouterr().out
    assert "Server: offline demo model" in output
    assert "Model: daehwa-demo" in output
