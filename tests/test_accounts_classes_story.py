"""이슈의 "다 된 때"를 한 이야기로: 강사가 관리 화면 없이 반을 열고, 30명이 QR의 링크로 가입하고, 강사가 활동을 보고
대화 하나를 읽으면, 그 학생이 읽혔다는 것을 본다."""

import re

from django.contrib.auth.models import Group
from django.test import Client

from accounts.models import Course, Invitation, User
from chat.models import Conversation
from core.audit import Action
from core.models import AuditEvent
from tests.support.factories import STAFF_PASSWORD, last_reply
from tests.support.fake_openai import Reply
from tests.support.joining import post_signup
from tests.support.sse import finish_reply

HIDDEN_PROMPT = "정답을 바로 말하지 말고 질문으로 이끌어라."


def test_an_instructor_runs_a_class_of_thirty_without_the_admin(settings, llm_server, db):
    settings.SIGNUP_MODE = "invite"
    settings.SIGNUP_PER_ADDRESS_PER_HOUR = 0
    settings.OPENAI_MODELS = ["fake-model", "fake-large", "fake-other"]
    kim = User.objects.create_user(username="teacher_kim", password=STAFF_PASSWORD)
    kim.groups.add(Group.objects.get(name="Instructors"))
    teacher = Client()
    teacher.force_login(kim)

    # 반: 하루 20,000 토큰, 모델 둘, 숨긴 프리셋 하나
    created = teacher.post(
        "/classes/new/",
        {
            "name": "파이썬 입문",
            "daily_token_quota": "20000",
            "allowed_models": ["fake-model", "fake-large"],
            "instructor_names": "teacher_kim",
        },
    )
    course = Course.objects.get(name="파이썬 입문")
    assert created.status_code == 302
    teacher.post(
        f"/classes/{course.pk}/presets/new/",
        {"name": "소크라테스", "system_prompt": HIDDEN_PROMPT, "hidden": "on"},
    )
    preset = course.presets.get()
    assert preset.hidden

    # 초대 코드와 프로젝터의 QR
    teacher.post(f"/classes/{course.pk}/invitations/", {"max_uses": "30"})
    invitation = Invitation.objects.get(course=course)
    projector = teacher.get(f"/classes/{course.pk}/invitations/{invitation.pk}/")
    qr = teacher.get(f"/classes/{course.pk}/invitations/{invitation.pk}/qr.svg")
    assert f"/join/{invitation.code}/" in projector.content.decode()
    assert qr["Content-Type"].startswith("image/svg+xml")
    assert b"<svg" in qr.content

    # 30명이 링크로 가입한다
    students = []
    for number in range(30):
        student = Client()
        student.get(f"/join/{invitation.code}/", follow=True)
        response = post_signup(student, f"student{number:02}", invitation.code, link=True)
        assert response.status_code == 302
        students.append(student)
    assert course.members.count() == 30

    # 한 학생이 숨긴 프리셋으로 묻는다: 모델 고르기에는 반의 두 모델만
    minji = students[7]
    home = minji.get("/chat/").content.decode()
    assert "fake-other" not in home
    assert "소크라테스" in home
    llm_server.script(
        Reply(tokens=["무엇이 궁금한가요?"], usage={"prompt_tokens": 40, "completion_tokens": 6})
    )
    minji.post(
        "/chat/", {"content": "리스트가 뭐예요?", "model": "fake-large", "preset": preset.pk}
    )
    conversation = Conversation.objects.get(owner__username="student07")
    finish_reply(last_reply(conversation))
    sent = next(body for body in llm_server.requests if body.get("stream"))
    assert sent["model"] == "fake-large"
    assert sent["messages"][0]["content"].startswith(HIDDEN_PROMPT)
    assert HIDDEN_PROMPT not in minji.get(f"/chat/{conversation.pk}/").content.decode()

    # 강사가 활동을 보고 대화 하나를 읽는다
    dashboard = teacher.get(f"/classes/{course.pk}/").content.decode()
    assert len(re.findall(rf'href="/classes/{course.pk}/members/\d+/"', dashboard)) == 30
    row = re.search(r"student07.*?</tr>", dashboard, re.S).group(0)
    assert ">46<" in row  # 오늘의 토큰
    reading = teacher.get(f"/classes/{course.pk}/conversations/{conversation.pk}/")
    assert reading.status_code == 200
    assert "무엇이 궁금한가요?" in reading.content.decode()
    assert (
        AuditEvent.objects.filter(
            action=Action.CONVERSATION_VIEWED, actor=kim, target_id=str(conversation.pk)
        ).count()
        == 1
    )

    # 학생은 자기 대화에서 누가 읽었는지 본다
    assert "teacher_kim" in minji.get(f"/chat/{conversation.pk}/").content.decode()
