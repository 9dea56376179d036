"""규칙은 한 곳에: 빠른 SQL이나 읽어 둔 행으로 묻는 곳이 ORM의 정의와 같은 행을 고르는지."""

import itertools

from django.db.models import Q

from chat import tree
from chat.context import CANDIDATE_SLICE, _candidates, _count_rest
from chat.models import Conversation, Message
from chat.streams import access
from tests.support.factories import add_message

Role, Status = Message.Role, Message.Status


def test_the_prompts_fast_sql_picks_the_same_candidates_as_the_orm_rule(user):
    # 역할, 상태, 빈 내용, 첨부의 모든 조합: 두 정의가 한 행이라도 달리 고르면 여기서 드러난다
    conversation = Conversation.objects.create(owner=user, title="t", model="fake-model")
    for role, status, content, has_files in itertools.product(
        Role, Status, ["", "글"], [False, True]
    ):
        message = add_message(conversation=conversation, role=role, status=status, content=content)
        if has_files:
            Message.objects.filter(pk=message.pk).update(has_attachments=True)
    reply = add_message(conversation=conversation, role=Role.ASSISTANT, status=Status.PENDING)
    # 다른 갈래(형제), 답변 뒤의 글, 다른 대화의 글은 후보가 아니다
    Message.objects.create(
        conversation=conversation, parent_id=reply.parent_id, role=Role.USER, content="형제"
    )
    add_message(conversation=conversation, role=Role.USER, content="뒤의 글")
    other = Conversation.objects.create(owner=user, title="u", model="fake-model")
    add_message(conversation=other, role=Role.USER, content="다른 대화")

    by_orm = list(
        Message.objects.filter(pk__in=tree.ancestors(reply.parent_id))
        .filter(~Q(content="") | Q(has_attachments=True))
        .filter(Q(role=Role.USER) | ~Q(status=Status.PENDING))
        .order_by("-pk")
        .values_list("pk", flat=True)
    )
    batch, following = _candidates(reply, reply.parent_id)

    assert [pk for pk, *_rest in batch] == by_orm
    assert following is None
    # 빈 글의 행은 첨부가 있을 때만 든다: 역할·상태 조합마다 셋 (글, 글+첨부, 첨부만), 대기 중인 답변은 빠진다
    assert _count_rest(reply, reply.parent_id) == len(by_orm) == 3 * (len(Role) * len(Status) - 1)
    assert len(by_orm) < CANDIDATE_SLICE


def test_the_stream_asks_the_same_visibility_rule_as_the_pages(user, other_user):
    mine = Conversation.objects.create(owner=user, title="내 것", model="m")
    hidden = Conversation.objects.create(owner=user, title="숨김", model="m", is_hidden=True)
    theirs = Conversation.objects.create(owner=other_user, title="남의 것", model="m")
    everything = [mine, hidden, theirs]

    for viewer in (user, other_user):
        by_orm = set(Conversation.objects.for_user(viewer))
        by_row = {conversation for conversation in everything if conversation.is_visible_to(viewer)}
        followable = access.followable_conversations(
            [(viewer, conversation.pk) for conversation in everything]
        )
        assert by_row == by_orm
        assert set(followable.values()) == by_orm


def test_a_deactivated_person_follows_nothing_even_in_their_own_conversation(user):
    mine = Conversation.objects.create(owner=user, title="내 것", model="m")
    user.is_active = False

    assert access.followable_conversation(user, mine.pk) is None
