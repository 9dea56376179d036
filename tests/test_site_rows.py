"""core.rows: 직접 쓴 SQL이 ORM과 같은 값을 주고받는지 (SQLite와 PostgreSQL 두 번 돈다)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from chat.models import Conversation, Message
from chat.services import conversation_start
from core import rows


@pytest.fixture
def reply(user):
    return conversation_start(user=user, content="첫 질문", model="daehwa-demo")


def _same_as_orm(model, obj):
    found = rows.get(model, {"pk": obj.pk})
    expected = model.objects.get(pk=obj.pk)
    for field in model._meta.concrete_fields:
        ours, theirs = getattr(found, field.attname), getattr(expected, field.attname)
        assert ours == theirs, field.name
        assert type(ours) is type(theirs), field.name
    assert found._state.adding is False
    assert found._state.db == connection.alias


@pytest.mark.django_db
def test_get_reads_every_field_as_the_orm_does(user, reply):
    # UUID, 참거짓, 날짜, NULL이 되는 정수: 백엔드마다 변환이 다른 값들
    user.last_login = timezone.now()
    user.save()
    _same_as_orm(User, user)
    _same_as_orm(Conversation, reply.conversation)
    _same_as_orm(Message, reply)


@pytest.mark.django_db
def test_conditions_match_the_orms_filters(user, other_user, reply):
    conversation = reply.conversation

    assert rows.get(Conversation, {"pk": conversation.pk, "owner": user.pk}) == conversation
    assert rows.get(Conversation, {"pk": conversation.pk, "owner": other_user.pk}) is None
    assert rows.exists(Message, {"conversation": conversation.pk, "status": Message.ACTIVE})
    assert not rows.exists(Message, {"conversation": conversation.pk, "status": ()})
    assert rows.values(
        Message, ["pk", "role"], {"conversation": conversation.pk}, order_by="-pk"
    ) == [
        (reply.pk, "assistant"),
        (reply.pk - 1, "user"),
    ]
    assert rows.values(Message, ["pk"], {"pk": reply.pk, "completion_tokens": None}) == [
        (reply.pk,)
    ]


@pytest.mark.django_db
def test_an_id_beyond_the_databases_integers_matches_nothing(reply):
    # URL의 <int:pk>는 얼마든지 큰 수를 받는다: SQLite에 그대로 보내면 OverflowError(500)였다
    huge = 10**30

    assert rows.get(Message, {"pk": huge}) is None
    assert rows.values(Message, ["pk"], {"pk": [reply.pk, huge]}) == [(reply.pk,)]
    assert rows.update(Message, {"pk": huge}, content="x") == 0


@pytest.mark.django_db
def test_update_writes_what_the_orm_reads_back_and_counts_rows(reply):
    moment = timezone.now() - datetime.timedelta(minutes=3)

    changed = rows.update(
        Message,
        {"pk": reply.pk, "status": [Message.Status.PENDING]},
        # 필드 이름이 model인 열도 값으로 받는다
        model="gpt-test",
        content="안녕 \U0001f600",
        updated_at=moment,
        prompt_tokens=None,
    )
    unchanged = rows.update(Message, {"pk": reply.pk, "status": Message.Status.DONE}, content="")

    assert (changed, unchanged) == (1, 0)
    reply.refresh_from_db()
    assert (reply.model, reply.content, reply.updated_at) == ("gpt-test", "안녕 \U0001f600", moment)


@pytest.mark.django_db
def test_one_statement_each(reply):
    with CaptureQueriesContext(connection) as queries:
        rows.get(Message, {"pk": reply.pk})
        rows.update(Message, {"pk": reply.pk}, content="x")
        rows.exists(Conversation, {"pk": reply.conversation_id}, lock=True)

    assert len(queries) == 3
    assert ("FOR UPDATE" in queries[2]["sql"]) == connection.features.has_select_for_update


@pytest.mark.django_db
def test_insert_writes_what_bulk_create_would_and_numbers_the_rows_in_order(reply):
    made = [
        Message(conversation=reply.conversation, role="user", content=f"질문 {index}")
        for index in range(3)
    ]

    with CaptureQueriesContext(connection) as queries:
        rows.insert(Message, made)

    assert len(queries) == 1
    assert [message.pk for message in made] == sorted(message.pk for message in made)
    assert all(not message._state.adding for message in made)
    for message in made:
        saved = Message.objects.get(pk=message.pk)
        for field in Message._meta.concrete_fields:
            assert getattr(saved, field.attname) == getattr(message, field.attname), field.name
