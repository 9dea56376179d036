"""규칙은 한 곳에: 빠른 SQL이나 읽어 둔 행으로 묻는 곳이 ORM의 정의와 같은 행을 고르는지."""

import itertools

from chat.context import CANDIDATE_SLICE, _candidates
from chat.models import Conversation, Message
from chat.streams import access

Role, Status = Message.Role, Message.Status


def test_the_prompts_fast_sql_picks_the_same_candidates_as_for_context(user):
    # 역할, 상태, 빈 내용의 모든 조합: 두 정의가 한 행이라도 달리 고르면 여기서 드러난다
    conversation = Conversation.objects.create(owner=user, title="t", model="fake-model")
    for role, status, content in itertools.product(Role, Status, ["", "글"]):
        Message.objects.create(conversation=conversation, role=role, status=status, content=content)
    reply = Message.objects.create(
        conversation=conversation, role=Role.ASSISTANT, status=Status.PENDING
    )
    other = Conversation.objects.create(owner=user, title="u", model="fake-model")
    Message.objects.create(conversation=other, role=Role.USER, content="다른 대화")

    by_orm = list(Message.objects.for_context(reply).values_list("pk", flat=True))
    by_sql = [pk for pk, *_ in _candidates(reply, reply.pk)]

    assert len(by_orm) < CANDIDATE_SLICE
    assert by_sql == by_orm
    assert len(by_orm) == len(Role) * len(Status) - 1


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
