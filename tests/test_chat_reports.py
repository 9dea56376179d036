"""학생의 답변 신고: JavaScript 없이 한 페이지로, htmx로는 답변 밑에서. 한 사람·답변에 열린 신고 하나."""

import re

import pytest

from chat.models import Conversation, Message, Report
from chat.moderation import report_resolve, report_submit
from tests.support.factories import add_message

HTMX = {"HX-Request": "true"}


@pytest.fixture
def reply(user):
    conversation = Conversation.objects.create(owner=user, title="신고할 대화", model="fake-model")
    add_message(conversation=conversation, role=Message.Role.USER, content="질문")
    return add_message(
        conversation=conversation,
        role=Message.Role.ASSISTANT,
        content="틀린 답",
        rendered_html="<p>틀린 답</p>",
    )


def url(reply):
    return f"/chat/replies/{reply.pk}/report/"


def test_every_finished_reply_has_a_report_link(logged_in, reply):
    page = logged_in.get(f"/chat/{reply.conversation_id}/").content.decode()

    assert f'href="{url(reply)}"' in page
    assert '<span class="action-label">신고</span></a>' in page


def test_without_javascript_a_report_is_a_page_and_a_redirect(logged_in, reply, user):
    form = logged_in.get(url(reply))
    missing = logged_in.post(url(reply), {"note": "이유를 안 골랐어요"})
    sent = logged_in.post(url(reply), {"reason": "wrong", "note": "날짜가 틀렸어요"})

    assert form.status_code == 200
    assert "<html" in form.content.decode()
    assert 'value="harmful"' in form.content.decode()
    assert missing.status_code == 400
    assert "이유를 하나 고르세요." in missing.content.decode()
    # 입력한 메모는 남는다
    assert "이유를 안 골랐어요" in missing.content.decode()
    assert sent.status_code == 302
    assert sent["Location"] == f"/chat/{reply.conversation_id}/#message-{reply.pk}"
    report = Report.objects.get()
    assert (report.reporter, report.reason, report.note) == (user, "wrong", "날짜가 틀렸어요")
    assert "강사가 이 답변을 살펴볼 것입니다" in logged_in.get(sent["Location"]).content.decode()


def test_with_htmx_the_form_and_the_thanks_are_fragments(logged_in, reply):
    form = logged_in.get(url(reply), headers=HTMX)
    missing = logged_in.post(url(reply), {"reason": "nonsense"}, headers=HTMX)
    sent = logged_in.post(url(reply), {"reason": "harmful", "note": ""}, headers=HTMX)

    assert "<html" not in form.content.decode()
    assert 'hx-post="' + url(reply) + '"' in form.content.decode()
    assert missing.status_code == 200
    assert "<html" not in missing.content.decode()
    assert 'class="errorlist' in missing.content.decode()
    assert 'class="report-done"' in sent.content.decode()
    assert Report.objects.get().reason == "harmful"


def test_a_second_report_edits_the_first_while_it_is_open(logged_in, reply, user, admin_user):
    logged_in.post(url(reply), {"reason": "wrong", "note": "하나"})
    again = logged_in.get(url(reply))
    logged_in.post(url(reply), {"reason": "harmful", "note": "둘"})

    assert "이미 이 답변을 신고했습니다" in again.content.decode()
    # 열린 신고의 이유가 골라진 채로 열린다
    assert re.search(r'<input[^>]*value="wrong"[^>]*checked', again.content.decode())
    report = Report.objects.get()
    assert (report.reason, report.note) == ("harmful", "둘")

    # 처리된 뒤의 신고는 새 신고다
    report_resolve(report=report, moderator=admin_user, note="")
    logged_in.post(url(reply), {"reason": "other", "note": "셋"})
    assert Report.objects.count() == 2
    assert Report.objects.open().get().note == "셋"


def test_report_submit_keeps_one_open_report_per_person_and_reply(reply, user):
    first = report_submit(reply=reply, reporter=user, reason="wrong", note="")
    second = report_submit(reply=reply, reporter=user, reason="other", note="고침")

    assert first.pk == second.pk
    assert Report.objects.get().reason == "other"


def test_another_user_cannot_report_or_see_someone_elses_reply(client, other_user, reply):
    client.force_login(other_user)

    assert client.get(url(reply)).status_code == 404
    assert client.post(url(reply), {"reason": "harmful"}).status_code == 404
    assert client.post(url(reply), {"reason": "harmful"}, headers=HTMX).status_code == 404
    assert not Report.objects.exists()


def test_a_reply_still_being_written_or_in_a_hidden_conversation_cannot_be_reported(
    logged_in, reply
):
    Message.objects.filter(pk=reply.pk).update(status=Message.Status.STREAMING)
    assert logged_in.get(url(reply)).status_code == 404
    assert (
        f'href="{url(reply)}"'
        not in logged_in.get(f"/chat/{reply.conversation_id}/").content.decode()
    )

    Message.objects.filter(pk=reply.pk).update(status=Message.Status.DONE)
    Conversation.objects.filter(pk=reply.conversation_id).update(is_hidden=True)
    assert logged_in.post(url(reply), {"reason": "harmful"}).status_code == 404
    assert not Report.objects.exists()


def test_a_student_cannot_resolve_a_report(logged_in, reply, user):
    report = report_submit(reply=reply, reporter=user, reason="wrong", note="")

    response = logged_in.post(
        "/admin/chat/report/",
        {"action": "resolve_reports", "_selected_action": [report.pk], "apply": "1"},
    )

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    assert Report.objects.get().is_open
