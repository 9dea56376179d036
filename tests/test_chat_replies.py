"""답변의 상태 기계(chat.replies): 허용된 전이만, 조건부 쓰기로, 옛 생성의 늦은 저장은 무시된다."""

from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chat import replies, tree
from chat.context import CANDIDATE_SLICE, build_context
from chat.models import Message
from chat.services import conversation_start, message_post, reply_regenerate, reply_stop

Status = Message.Status


@pytest.fixture
def reply(user):
    return conversation_start(user=user, content="질문", model="fake-model")


def claim(reply):
    return replies.claim(reply.pk, reply.attempt)


def finish(claimed, status=Status.DONE, content="답"):
    return async_to_sync(replies.afinish)(claimed, status=status, content=content)


def test_every_status_has_its_transitions_written_down():
    assert set(replies.TRANSITIONS) == set(Status)
    # 끝난 답변은 더 바뀌지 않는다: 다시 생성하면 형제 답변이 새로 생긴다
    assert replies.allowed_from(Status.PENDING) == []
    for status in Message.FINISHED:
        assert replies.TRANSITIONS[status] == set()


def test_a_reply_is_claimed_once(reply):
    first = claim(reply)
    second = claim(reply)

    assert first.status == Status.STREAMING
    assert first.conversation.pk == reply.conversation_id
    assert second is None


def test_a_claim_with_the_reply_in_hand_writes_once_and_reads_nothing(
    reply, django_assert_num_queries
):
    # 보내기가 방금 만든 답변을 작업에 넘긴다: 이긴 뒤 다시 읽지 않는다
    with django_assert_num_queries(1):
        claimed = replies.claim(reply.pk, reply.attempt, known=reply)

    assert claimed is reply
    assert claimed.status == Status.STREAMING
    reply.refresh_from_db()
    assert reply.status == Status.STREAMING
    assert replies.claim(reply.pk, reply.attempt, known=reply) is None


def test_a_stop_then_a_regenerate_keeps_the_late_text_in_the_old_version_only(reply, user):
    old = claim(reply)
    assert reply_stop(reply=reply)
    again = reply_regenerate(reply=reply, user=user)

    # 멈춘 옛 생성이 늦게 끝을 저장한다: 옛 버전(멈춤)에 글이 남고, 새 답변(대기, 빈 글)은 그대로다
    late = finish(old, content="옛 답변")

    again.refresh_from_db()
    assert late.status == Status.STOPPED
    assert late.content == "옛 답변"
    assert (again.status, again.content) == (Status.PENDING, "")
    # 새 답변은 평소처럼 맡고 끝난다
    new = claim(again)
    assert finish(new, content="새 답변").content == "새 답변"
    again.refresh_from_db()
    assert (again.status, again.content) == (Status.DONE, "새 답변")


def test_a_stop_during_generation_keeps_the_shown_text_and_the_stopped_status(reply):
    generation = claim(reply)
    reply_stop(reply=reply)

    final = finish(generation, status=Status.DONE, content="보여 준 글")

    reply.refresh_from_db()
    for saved in (final, reply):
        assert saved.status == Status.STOPPED
        assert saved.content == "보여 준 글"
        assert saved.rendered_html == "<p>보여 준 글</p>\n"


def test_a_reply_stopped_before_it_started_is_never_claimed(reply):
    assert reply_stop(reply=reply)

    assert claim(reply) is None
    reply.refresh_from_db()
    assert reply.status == Status.STOPPED


def test_progress_is_refused_once_the_reply_stopped_or_was_retried(reply, user):
    generation = claim(reply)
    assert async_to_sync(replies.aprogress)(reply.pk, generation.attempt, "반쯤")
    reply_stop(reply=reply)

    assert not async_to_sync(replies.aprogress)(reply.pk, generation.attempt, "더")
    assert async_to_sync(replies.agenerating)({reply.pk: generation.attempt}) == set()
    reply.refresh_from_db()
    assert reply.content == "반쯤"


def test_finishing_a_deleted_conversation_saves_nothing_and_says_so(reply):
    generation = claim(reply)
    reply.conversation.delete()

    assert finish(generation) is None


def test_the_stale_sweep_ends_only_replies_whose_job_went_quiet(reply, user):
    claim(reply)
    assert replies.sweep_stale(Message.objects.filter(pk=reply.pk)) == 0

    Message.objects.filter(pk=reply.pk).update(
        content="남은 **글**", updated_at=timezone.now() - timedelta(minutes=2)
    )

    assert replies.sweep_stale(Message.objects.filter(pk=reply.pk)) == 1
    reply.refresh_from_db()
    assert reply.status == Status.INTERRUPTED
    assert reply.rendered_html == "<p>남은 <strong>글</strong></p>\n"
    assert reply.is_retryable


@pytest.mark.parametrize("length", [20, 400])
def test_the_prompt_reads_only_the_rows_that_can_fit(user, settings, length):
    # 예산은 메시지 몇 개만큼: 긴 대화도 읽는 행 수는 그대로다
    settings.LLM_CONTEXT_TOKENS = 1100
    settings.LLM_REPLY_TOKENS = 1000
    reply = conversation_start(user=user, content="첫 질문", model="fake-model")
    conversation = reply.conversation
    Message.objects.filter(pk=reply.pk).update(status=Status.DONE, content="답")
    Message.objects.bulk_create(
        Message(conversation=conversation, role=Message.Role.USER, content=f"질문 {index}")
        for index in range(length)
    )
    tree.link_in_order(conversation)
    last = message_post(conversation=conversation, user=user, content="마지막").reply

    with CaptureQueriesContext(connection) as queries:
        payload, omitted, _chars = build_context(last)

    # 한 묶음을 걷고(CTE), 그 행을 읽고, 남은 것이 있으면 DB가 센다: 대화가 길어도 질의는 늘지 않는다
    sql = [query["sql"] for query in queries]
    assert len(sql) == (2 if length < CANDIDATE_SLICE else 3)
    assert "chain.depth <" in sql[0]
    assert sql[-1].count("COUNT(") == (length >= CANDIDATE_SLICE)
    assert payload[-1] == {"role": "user", "content": "마지막"}
    assert len(payload) + omitted == length + 3


def test_the_stop_poll_reads_many_replies_at_once_and_knows_their_attempts(reply, user):
    generation = claim(reply)
    other = conversation_start(user=user, content="둘째", model="fake-model")
    second = claim(other)

    asked = {reply.pk: generation.attempt, other.pk: second.attempt}
    assert async_to_sync(replies.agenerating)(asked) == {reply.pk, other.pk}

    reply_stop(reply=reply)
    # 옛 시도를 묻는 작업은 다시 시도된 답변을 제 것으로 보지 않는다
    asked[other.pk] = second.attempt - 1
    assert async_to_sync(replies.agenerating)(asked) == set()


def test_a_final_save_the_database_cannot_take_is_tried_again_until_it_can(reply, monkeypatch):
    """DB가 잠깐 닿지 않으면(끊긴 연결, 재시작) 끝 저장을 다시 한다: 모델이 보낸 글은 메모리에 있다."""
    from django.db import OperationalError

    from accounts import usage
    from chat.llm import Usage

    monkeypatch.setattr(replies, "FINISH_RETRY_FIRST_SECONDS", 0.01)
    claimed = claim(reply)
    real_write = replies._finish_write
    attempts = []

    def unreachable_twice(*args):
        attempts.append(args)
        if len(attempts) <= 2:
            raise OperationalError("terminating connection due to administrator command")
        return real_write(*args)

    monkeypatch.setattr(replies, "_finish_write", unreachable_twice)

    finished = async_to_sync(replies.afinish)(
        claimed, status=Status.DONE, content="살아남은 글", usage=Usage(5, 7)
    )

    reply.refresh_from_db()
    assert len(attempts) == 3
    assert finished.status == reply.status == Status.DONE
    assert reply.content == "살아남은 글"
    # 사용량은 한 번만 센다
    assert usage.tokens_on(reply.conversation.owner_id, usage.today()) == 12


def test_a_final_save_gives_up_after_its_bound(reply, monkeypatch):
    from django.db import OperationalError

    monkeypatch.setattr(replies, "FINISH_RETRY_FIRST_SECONDS", 0.01)
    monkeypatch.setattr(replies, "FINISH_RETRY_SECONDS", 0.05)
    claimed = claim(reply)

    def unreachable(*args):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(replies, "_finish_write", unreachable)

    assert async_to_sync(replies.afinish)(claimed, status=Status.DONE, content="글") is None
    reply.refresh_from_db()
    # 생성 중으로 남는다: 진행 저장까지의 글과 함께 나중에 중단으로 정리된다
    assert reply.status == Status.STREAMING
