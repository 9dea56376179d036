"""첨부 파일이 보이는 다른 곳: 공유 링크(이름만), 관리 화면과 반의 읽기 화면(내려받기 고리)."""

import pytest

from accounts.models import Course, Membership
from chat.attachments.models import Attachment
from chat.models import Message
from chat.sharing import shared_link_create
from tests.support.factories import make_conversation


@pytest.fixture
def question_with_file(user):
    conversation = make_conversation(user, messages=2)
    question = conversation.messages.filter(role=Message.Role.USER).get()
    Message.objects.filter(pk=question.pk).update(has_attachments=True)
    attachment = Attachment.objects.create(
        owner=user,
        message=question,
        name="과제.pdf",
        kind="pdf",
        content_type="application/pdf",
        size=2048,
        file="1/stored-name",
        text="본문",
    )
    return attachment


def test_a_shared_link_shows_the_file_names_but_no_way_to_the_files(
    client, user, other_user, question_with_file
):
    link = shared_link_create(conversation=question_with_file.message.conversation, user=user)
    client.force_login(other_user)

    page = client.get(f"/share/{link.token}/").content.decode()

    assert "과제.pdf" in page
    assert "이름만 공유됩니다" in page
    assert f"/chat/files/{question_with_file.pk}/" not in page
    assert client.get(f"/chat/files/{question_with_file.pk}/").status_code == 404


def test_the_admin_conversation_page_links_the_files(admin_client, question_with_file):
    conversation = question_with_file.message.conversation

    page = admin_client.get(f"/admin/chat/conversation/{conversation.pk}/change/").content.decode()

    assert f'href="/chat/files/{question_with_file.pk}/"' in page
    assert "과제.pdf" in page


def test_the_instructor_read_page_links_the_files(
    client, user, other_user, question_with_file, settings
):
    settings.CLASS_INSTRUCTORS_CAN_READ = True
    course = Course.objects.create(name="파이썬 1반")
    course.instructors.add(other_user)
    Membership.objects.create(course=course, user=user)
    conversation = question_with_file.message.conversation
    conversation.course = course
    conversation.save(update_fields=["course"])
    client.force_login(other_user)

    page = client.get(f"/classes/{course.pk}/conversations/{conversation.pk}/").content.decode()

    assert f'href="/chat/files/{question_with_file.pk}/"' in page


def test_the_conversation_composer_takes_files_and_sends_without_text(logged_in, user):
    conversation = make_conversation(user, messages=2)

    page = logged_in.get(f"/chat/{conversation.pk}/").content.decode()

    composer = page[page.index('id="composer"') :]
    composer = composer[: composer.index("</form>")]
    assert 'enctype="multipart/form-data"' in composer
    assert 'type="file" name="attachments"' in composer
    # 파일만 보낼 수 있으므로 브라우저가 빈 글을 막지 않는다 (JavaScript 없이도)
    assert "required" not in composer[composer.index("<textarea") : composer.index("</textarea>")]


def test_line_breaks_from_a_form_are_stored_as_one_newline(logged_in, user):
    conversation = make_conversation(user, messages=2)

    logged_in.post(f"/chat/{conversation.pk}/messages/", {"content": "첫 줄\r\n  둘째 줄\r셋째"})

    sent = conversation.messages.filter(role=Message.Role.USER).latest("pk")
    assert sent.content == "첫 줄\n  둘째 줄\n셋째"
