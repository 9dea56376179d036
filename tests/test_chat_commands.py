"""운영자 명령: 모델 서버 연결 확인."""

import re

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from tests.support.fake_openai import Reply


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


# ---------------------------------------------------------------- 보존 기간: purge_conversations


def _aged(user, title, days_ago, messages=2):
    from datetime import timedelta

    from django.utils import timezone

    from chat.models import Conversation, Message

    when = timezone.now() - timedelta(days=days_ago)
    conversation = Conversation.objects.create(
        owner=user, title=title, model="m", created_at=when, updated_at=when
    )
    Message.objects.bulk_create(
        Message(conversation=conversation, role="user", content=str(index))
        for index in range(messages)
    )
    return conversation


def test_purge_deletes_old_conversations_in_batches_and_writes_one_audit_event(
    user, other_user, capsys, monkeypatch
):
    from chat.models import Conversation, Message
    from core.models import AuditEvent

    monkeypatch.setattr("chat.management.commands.purge_conversations.BATCH", 2)
    for index in range(3):
        _aged(user, f"old {index}", days_ago=100)
    _aged(other_user, "old other", days_ago=100, messages=1)
    _aged(user, "recent", days_ago=5)

    call_command("purge_conversations", "--older-than", "90")

    assert list(Conversation.objects.values_list("title", flat=True)) == ["recent"]
    assert Message.objects.count() == 2
    assert "Deleted 4 conversations with 7 messages" in capsys.readouterr().out
    # 감사 기록에 한 줄: 명령을 돌린 운영자는 사용자가 아니다
    assert [
        (e.action, e.actor, e.payload["conversations"], e.payload["messages"])
        for e in AuditEvent.objects.all()
    ] == [("conversations.purged", None, 4, 7)]


def test_purge_for_one_user_dry_run_deletes_nothing(user, other_user, capsys):
    from chat.models import Conversation

    _aged(user, "old", days_ago=100)
    _aged(other_user, "old other", days_ago=100)

    call_command("purge_conversations", "--older-than", "30", "--user", "minji", "--dry-run")

    assert "Would delete 1 conversations with 2 messages." in capsys.readouterr().out
    assert Conversation.objects.count() == 2


@pytest.mark.parametrize(
    ("arguments", "sentence"),
    [
        ([], "one of the arguments --older-than --class-retention is required"),
        (["--older-than", "0"], "invalid positive whole number value: '0'"),
        (["--older-than", "abc"], "invalid positive whole number value: 'abc'"),
        # timedelta가 넘쳐 OverflowError의 역추적이었다
        (["--older-than", "99999999999"], "99999999999 is more than 36500 days (a hundred years)"),
        (["--older-than", "36501"], "36501 is more than 36500 days (a hundred years)"),
        (["--older-than", "30", "--user", "nobody"], "There is no user named 'nobody'."),
    ],
)
def test_purge_refuses_bad_input_in_one_sentence(db, arguments, sentence):
    with translation.override("en"), pytest.raises(CommandError, match=re.escape(sentence)):
        call_command("purge_conversations", *arguments)
