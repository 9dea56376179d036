"""테스트가 DB에 바로 만드는 데이터: 메시지가 든 대화와, 강사 계정의 비밀번호."""

from chat import tree
from chat.models import Conversation, Message

# 강사·운영자 계정의 비밀번호. 학생(user 픽스처)의 것은 tests/conftest.py의 PASSWORD다
STAFF_PASSWORD = "teacher-pass-2026"


def make_conversation(owner, *, messages=0, title="대화", usage=False):
    """사용자 메시지와 답변이 번갈아 messages개 든 대화.

    usage면 답변마다 토큰 수(입력 10, 출력 5)를 적는다: 관리 화면의 토큰 열과 합계가 0이 아니게.
    """
    conversation = Conversation.objects.create(
        owner=owner, title=title, model="fake-model", needs_title=False
    )
    Message.objects.bulk_create(
        Message(
            conversation=conversation,
            role=Message.Role.USER if index % 2 == 0 else Message.Role.ASSISTANT,
            content=f"메시지 {index}",
            rendered_html=f"<p>메시지 {index}</p>",
            prompt_tokens=None if index % 2 == 0 or not usage else 10,
            completion_tokens=None if index % 2 == 0 or not usage else 5,
        )
        for index in range(messages)
    )
    # 보내기가 만든 대화처럼 한 줄로 잇는다 (chat.tree)
    tree.link_in_order(conversation)
    return conversation


def last_reply(conversation):
    """대화의 마지막 답변."""
    return conversation.messages.filter(role=Message.Role.ASSISTANT).latest("pk")


def add_message(*, conversation, **fields):
    """Message.objects.create와 같되, 보내기처럼 지금 갈래의 끝에 잇고 새 끝으로 삼는다 (chat.tree)."""
    # 다른 길(서비스, 다른 객체)이 끝을 바꿨을 수 있다: DB의 값으로
    conversation.refresh_from_db(fields=["current_leaf"])
    conversation.current_leaf_id = tree.leaf_id(conversation)
    message = Message.objects.create(
        conversation=conversation, parent_id=conversation.current_leaf_id, **fields
    )
    Conversation.objects.filter(pk=conversation.pk).update(current_leaf=message)
    conversation.current_leaf_id = message.pk
    return message


def make_class_operator(username: str):
    """모든 반을 운영하는 staff: 반을 고칠 권한(accounts.change_course)이 있다. staff만으로는 남의 반을 열지 못한다."""
    from django.contrib.auth.models import Permission

    from accounts.models import User

    operator = User.objects.create_user(username=username, password=STAFF_PASSWORD, is_staff=True)
    operator.user_permissions.add(
        Permission.objects.get(content_type__app_label="accounts", codename="change_course")
    )
    return operator
