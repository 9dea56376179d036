"""대화 페이지에서 내려받기: 지금 갈래만, 답변마다 모델과 시각, 한글 제목의 파일 이름."""

import json
from urllib.parse import quote

from chat.models import Conversation, Message
from chat.views.sharing import attachment_header
from tests.support.factories import add_message, make_conversation


def regenerated(user, title="리스트와 튜플"):
    """질문 하나에 답이 둘 (다시 생성): 지금 갈래는 새 답이다."""
    conversation = make_conversation(user, title=title)
    question = add_message(conversation=conversation, role="user", content="차이가 뭐야?")
    add_message(conversation=conversation, role="assistant", content="옛 답변", model="fake-model")
    newer = Message.objects.create(
        conversation=conversation,
        parent=question,
        role="assistant",
        content="새 답변",
        model="fake-large",
    )
    Conversation.objects.filter(pk=conversation.pk).update(current_leaf=newer)
    conversation.refresh_from_db()
    return conversation


def test_markdown_holds_the_current_path_with_model_and_time(english, logged_in, user):
    conversation = regenerated(user)

    response = logged_in.get(f"/chat/{conversation.pk}/export.md")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    text = response.content.decode()
    assert text.startswith("# 리스트와 튜플\n")
    assert "차이가 뭐야?" in text
    assert "새 답변" in text
    assert "옛 답변" not in text
    assert "## Assistant · fake-large · " in text


def test_json_holds_the_current_path_and_reads_back_as_our_format(logged_in, user):
    conversation = regenerated(user)

    response = logged_in.get(f"/chat/{conversation.pk}/export.json")

    record = json.loads(response.content)
    assert record["format"] == "daehwa.conversation"
    assert record["owner"] == "minji"
    assert [m["content"] for m in record["messages"]] == ["차이가 뭐야?", "새 답변"]
    assert record["messages"][1]["model"] == "fake-large"
    assert record["messages"][1]["created_at"]


def test_a_korean_title_gets_an_rfc5987_name_and_an_ascii_fallback(logged_in, user):
    conversation = regenerated(user, title="리스트/튜플 정리")

    response = logged_in.get(f"/chat/{conversation.pk}/export.md")

    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="conversation.md"; ')
    assert f"filename*=UTF-8''{quote('리스트 튜플 정리.md')}" in disposition


def test_the_file_name_drops_quotes_and_control_characters():
    header = attachment_header('a"b\r\nc; x', "json")

    assert "\r" not in header
    assert "\n" not in header
    assert header.startswith('attachment; filename="ab-c-x.json"; ')
    assert "filename*=UTF-8''a%20b%20c%3B%20x.json" in header


def test_only_the_owner_can_download(logged_in, other_user):
    theirs = make_conversation(other_user, messages=2)

    assert logged_in.get(f"/chat/{theirs.pk}/export.md").status_code == 404
    assert logged_in.get(f"/chat/{theirs.pk}/export.json").status_code == 404


def test_the_options_menu_links_both_downloads(logged_in, user):
    conversation = make_conversation(user, messages=2)

    html = logged_in.get(f"/chat/{conversation.pk}/").content.decode()

    assert f'href="/chat/{conversation.pk}/export.md" download' in html
    assert f'href="/chat/{conversation.pk}/export.json" download' in html
