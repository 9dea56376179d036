"""OPENAI_MODELS=auto: Ollama나 vLLM 운영자가 모델 이름을 적지 않아도 서버의 /v1/models가 고를 모델이 된다."""

import logging

import pytest
from django.core.management import call_command

from chat import llm
from chat.llm import model_list
from chat.models import Conversation

pytestmark = pytest.mark.live

NAMES = ["qwen2.5:7b-instruct", "meta-llama/Llama-3.1-8B@q4", "한국어-모델"]


@pytest.fixture
def auto(settings, llm_server, monkeypatch):
    settings.OPENAI_MODELS_AUTO = True
    settings.OPENAI_MODELS = ["fake-model"]
    # 프로세스가 기억하는 목록은 시험마다 새로
    monkeypatch.setattr(model_list, "_server_models", [])
    monkeypatch.setattr(model_list, "_server_models_due", 0.0)
    llm_server.models = ["fake-model", *NAMES]
    return llm_server


def test_the_offered_models_are_read_from_the_server(auto):
    assert llm.available_models() == ["fake-model", *sorted(NAMES)]


def test_the_list_is_read_again_only_after_the_refresh_interval(auto, settings):
    settings.OPENAI_MODELS_REFRESH_SECONDS = 300
    llm.available_models()
    auto.models = ["fake-model"]

    assert llm.available_models() == ["fake-model", *sorted(NAMES)]


def test_a_server_that_cannot_list_keeps_the_last_good_list_and_warns_once(auto, settings, caplog):
    settings.OPENAI_MODELS_REFRESH_SECONDS = 0
    llm.available_models()
    auto.models = None

    with caplog.at_level(logging.WARNING, logger="chat.llm"):
        assert llm.available_models() == ["fake-model", *sorted(NAMES)]

    warnings = [record for record in caplog.records if "model list" in record.getMessage()]
    assert len(warnings) == 1


def test_a_model_with_slashes_colons_at_and_hangul_works_end_to_end(auto, logged_in, user):
    page = logged_in.get("/chat/").content.decode()
    assert 'value="한국어-모델"' in page
    assert 'value="meta-llama/Llama-3.1-8B@q4"' in page

    response = logged_in.post("/chat/", {"content": "안녕", "model": "한국어-모델"})

    conversation = Conversation.objects.get(owner=user)
    assert response.status_code == 302
    assert conversation.model == "한국어-모델"
    assert auto.requests[-1]["model"] == "한국어-모델"


def test_llm_check_prints_the_list_it_found(auto, capsys):
    call_command("llm_check")

    out = capsys.readouterr().out
    assert "meta-llama/Llama-3.1-8B@q4" in out
    assert "한국어-모델" in out
