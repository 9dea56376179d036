"""테스트가 DB에 바로 만드는 데이터: 메시지가 든 대화와, 강사 계정의 비밀번호."""

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
    return conversation


def last_reply(conversation):
    """대화의 마지막 답변."""
    return conversation.messages.filter(role=Message.Role.ASSISTANT).latest("pk")
