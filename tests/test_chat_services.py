"""대화 서비스와 읽기: 트랜잭션, 목록 순서, 제목, 토큰 어림, 설정."""

import subprocess
import sys

import pytest
from django.utils import timezone

from chat import llm, tree
from chat.context import estimate_tokens
from chat.llm.client import token_limit
from chat.models import Conversation, Message
from chat.services import (
    ChatRefused,
    RefusalCode,
    conversation_start,
    message_post,
    reply_regenerate,
    reply_stop,
)
from chat.titles import _clean_title, fallback_title
from tests.support.servers import BASE_DIR
from tests.support.sse import read_stream


def test_token_estimate_counts_ascii_by_four_and_korean_by_one():
    assert estimate_tokens("") == 4
    assert estimate_tokens("abcd" * 25) == 25 + 4
    assert estimate_tokens("안녕하세요") == 5 + 4
    assert estimate_tokens("hello 세계") == 2 + 2 + 4


def test_the_sidebar_shows_only_my_visible_conversations_by_last_activity(user, other_user):
    older = Conversation.objects.create(owner=user, title="older", model="m")
    newer = Conversation.objects.create(owner=user, title="newer", model="m")
    Conversation.objects.create(owner=user, title="hidden", model="m", is_hidden=True)
    Conversation.objects.create(owner=other_user, title="theirs", model="m")

    assert [c.title for c in Conversation.objects.for_sidebar(user)] == ["newer", "older"]

    message_post(conversation=older, user=user, content="다시 왔어요")

    assert [c.pk for c in Conversation.objects.for_sidebar(user)] == [older.pk, newer.pk]


def test_starting_a_conversation_saves_the_message_and_a_pending_reply_together(user):
    reply = conversation_start(user=user, content="  첫 메시지  ", model="daehwa-demo")

    conversation = reply.conversation
    assert conversation.owner == user
    assert conversation.title == "첫 메시지"
    assert conversation.model == "daehwa-demo"
    assert list(conversation.messages.order_by("pk").values_list("role", "status")) == [
        ("user", "done"),
        ("assistant", "pending"),
    ]


def test_an_unknown_model_falls_back_to_the_default(user, llm_server):
    reply = conversation_start(user=user, content="x", model="gpt-nope")

    assert reply.conversation.model == "fake-model"


def test_a_refused_send_saves_nothing(user, settings):
    settings.RATE_LIMIT_MESSAGES_PER_MINUTE = 0

    with pytest.raises(ChatRefused) as refused:
        conversation_start(user=user, content="x", model="daehwa-demo")

    assert refused.value.code == RefusalCode.RATE_LIMITED
    assert not Conversation.objects.exists()
    assert not Message.objects.exists()


def test_the_rate_limit_counts_per_person(user, other_user, settings, one_minute):
    settings.RATE_LIMIT_MESSAGES_PER_MINUTE = 1
    conversation_start(user=user, content="x", model="daehwa-demo")

    with pytest.raises(ChatRefused, match="1"):
        conversation_start(user=user, content="y", model="daehwa-demo")
    conversation_start(user=other_user, content="z", model="daehwa-demo")


def test_regenerating_makes_a_sibling_and_keeps_every_earlier_version(user):
    first = conversation_start(user=user, content="x", model="daehwa-demo")
    Message.objects.filter(pk=first.pk).update(status=Message.Status.DONE, content="첫 답")
    second = message_post(conversation=first.conversation, user=user, content="y").reply
    Message.objects.filter(pk=second.pk).update(status=Message.Status.STOPPED, content="멈춘 답")

    again = reply_regenerate(reply=second, user=user)

    assert again.status == Message.Status.PENDING
    assert again.parent_id == second.parent_id
    # 멈춘 답의 글은 버전으로 남는다
    second.refresh_from_db()
    assert second.content == "멈춘 답"
    conversation = Conversation.objects.get(pk=first.conversation_id)
    assert conversation.current_leaf_id == again.pk
    assert [m.content for m in tree.path(conversation)] == ["x", "첫 답", "y", ""]


def test_regenerating_an_earlier_reply_leaves_what_followed_it_on_the_old_branch(user):
    first = conversation_start(user=user, content="x", model="daehwa-demo")
    Message.objects.filter(pk=first.pk).update(status=Message.Status.DONE, content="첫 답")
    second = message_post(conversation=first.conversation, user=user, content="y").reply
    Message.objects.filter(pk=second.pk).update(status=Message.Status.DONE, content="둘째 답")

    again = reply_regenerate(reply=Message.objects.get(pk=first.pk), user=user)

    conversation = Conversation.objects.get(pk=first.conversation_id)
    assert [m.pk for m in tree.path(conversation)] == [first.parent_id, again.pk]
    assert conversation.messages.count() == 5


def test_a_reply_being_written_or_a_question_cannot_be_regenerated(user):
    reply = conversation_start(user=user, content="x", model="daehwa-demo")
    with pytest.raises(ChatRefused) as refused:
        reply_regenerate(reply=reply, user=user)
    assert refused.value.code == RefusalCode.REPLY_IN_PROGRESS

    Message.objects.filter(pk=reply.pk).update(status=Message.Status.DONE)
    question = Message.objects.select_related("conversation").get(pk=reply.parent_id)
    with pytest.raises(ChatRefused) as refused:
        reply_regenerate(reply=question, user=user)
    assert refused.value.code == RefusalCode.NOT_RETRYABLE


def test_stopping_a_reply_that_has_not_started_keeps_it_from_ever_starting(
    logged_in, user, fake_openai
):
    reply = conversation_start(user=user, content="x", model="daehwa-demo")

    assert reply_stop(reply=reply) is True
    stream = read_stream(logged_in, reply.pk)

    reply.refresh_from_db()
    assert reply.status == Message.Status.STOPPED
    assert stream.data("token") == []
    assert "is-stopped" in stream.data("reply")[0]
    assert reply_stop(reply=reply) is False


def test_a_stale_streaming_reply_is_finished_as_interrupted_by_the_next_reader(logged_in, user):
    reply = conversation_start(user=user, content="x", model="daehwa-demo")
    Message.objects.filter(pk=reply.pk).update(
        status=Message.Status.STREAMING,
        content="반쯤",
        updated_at=timezone.now() - timezone.timedelta(hours=1),
    )

    stream = read_stream(logged_in, reply.pk)

    reply.refresh_from_db()
    assert reply.status == Message.Status.INTERRUPTED
    assert "반쯤" in stream.data("reply")[0]


@pytest.mark.parametrize(
    ("content", "title"),
    [
        ("짧은 질문", "짧은 질문"),
        ("줄이\n여러 개인\n\n질문", "줄이 여러 개인 질문"),
        ("https://example.com/" + "a" * 60, "https://example.com/" + "a" * 19 + "…"),
    ],
)
def test_fallback_titles_are_whole_first_words(content, title):
    assert fallback_title(content) == title
    assert len(fallback_title(content)) <= 40


@pytest.mark.parametrize(
    ("answer", "title"),
    [
        ('"Sorting lists in Python."', "Sorting lists in Python"),
        ("Title: 파이썬 정렬", "파이썬 정렬"),
        ("제목: 「리스트 정렬」\n\n설명이 이어짐", "리스트 정렬"),
        (
            "**" + "아주 긴 제목 " * 10 + "**",
            "아주 긴 제목 " * 4 + "아주 긴 제목…",
        ),
    ],
)
def test_model_titles_are_cleaned_and_capped(answer, title):
    assert _clean_title(answer) == title


def test_openai_itself_gets_max_completion_tokens_and_compatible_servers_max_tokens(settings):
    settings.OPENAI_BASE_URL = ""
    assert token_limit(settings.LLM_REPLY_TOKENS) == {
        "max_completion_tokens": settings.LLM_REPLY_TOKENS
    }
    settings.OPENAI_BASE_URL = "http://127.0.0.1:11434/v1"
    assert token_limit(settings.LLM_REPLY_TOKENS) == {"max_tokens": settings.LLM_REPLY_TOKENS}


def test_demo_mode_only_without_key_and_base_url(settings):
    assert llm.is_demo()
    assert llm.available_models() == ["daehwa-demo"]
    settings.OPENAI_BASE_URL = "http://127.0.0.1:11434/v1"
    assert not llm.is_demo()
    settings.OPENAI_BASE_URL = ""
    settings.OPENAI_API_KEY = "sk-test"
    assert not llm.is_demo()


def _settings_value(expression, **env):
    code = f"import django; django.setup(); from django.conf import settings; print({expression})"
    environment = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_ENV_FILE": "",
        "DJANGO_SETTINGS_MODULE": "chatproject.settings",
        "DJANGO_DEBUG": "true",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_default_model_always_leads_the_offered_models():
    result = _settings_value(
        "settings.OPENAI_MODELS", OPENAI_MODEL="llama3.2", OPENAI_MODELS="qwen3,llama3.2,gemma3"
    )

    assert result.stdout.strip() == "['llama3.2', 'qwen3', 'gemma3']"


def test_a_reply_reserve_larger_than_the_context_refuses_to_start():
    result = _settings_value("1", LLM_CONTEXT_TOKENS="1000", LLM_REPLY_TOKENS="1000")

    assert result.returncode != 0
    assert "LLM_REPLY_TOKENS must be positive and smaller than LLM_CONTEXT_TOKENS" in result.stderr


def test_a_send_returns_the_pair_it_saved(user):
    first = conversation_start(user=user, content="처음", model="fake-model")
    Message.objects.filter(pk=first.pk).update(status=Message.Status.DONE)

    sent = message_post(conversation=first.conversation, user=user, content="둘째")

    assert sent.message.content == "둘째"
    assert sent.message.is_user
    assert sent.reply.status == Message.Status.PENDING
    assert [m.pk for m in first.conversation.messages.order_by("pk")][-2:] == [
        sent.message.pk,
        sent.reply.pk,
    ]


@pytest.mark.parametrize("htmx", [True, False])
def test_a_database_too_busy_to_take_the_send_refuses_it_and_keeps_the_text(
    logged_in, user, monkeypatch, htmx
):
    """SQLite의 잠금 대기가 끝나도 쓰지 못하면(벤치에서 1,000명이 한꺼번에) 500이 아니라 다시 보내라는 말."""
    from django.db import OperationalError

    from chat.services import sending

    conversation = Conversation.objects.create(owner=user, title="바쁨", model="fake-model")

    def locked(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(sending, "_pair_create", locked)
    headers = {"HX-Request": "true"} if htmx else {}

    response = logged_in.post(
        f"/chat/{conversation.pk}/messages/", {"content": "꼭 보낼 글"}, headers=headers
    )

    page = response.content.decode()
    assert response.status_code == (200 if htmx else 503)
    assert "잠시 뒤에 다시 보내 주세요" in page
    assert "꼭 보낼 글" in page
    assert not Message.objects.filter(conversation=conversation).exists()


def test_deleting_a_conversation_mid_reply_stops_the_generation_first(user, monkeypatch):
    from chat import feed
    from chat.services import conversation_delete

    reply = conversation_start(user=user, content="지울 대화", model="daehwa-demo")
    signalled = []
    monkeypatch.setattr(feed, "stop", signalled.append)

    conversation_delete(conversation=reply.conversation)

    # 멈춤의 길: 작업이 곧바로 모델 호출을 닫는다 (같은 프로세스는 바로, 다른 워커는 Redis로)
    assert signalled == [reply.pk]
    assert not Conversation.objects.filter(pk=reply.conversation_id).exists()
