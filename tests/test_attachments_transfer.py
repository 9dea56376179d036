"""첨부가 있는 대화의 내보내기와 가져오기: 내보내기는 파일을 참조(이름, 종류, 크기)로만 싣고, 가져오기는 우리 내보내기와
ChatGPT의 conversations.json 모두에서 파일의 이름만 남긴다 (docs/decisions.md의 "내보내기는 첨부를 참조로")."""

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from chat.attachments.models import Attachment
from chat.attachments.services import attach, attachment_stage
from chat.models import Conversation, Message
from tests.support import files
from tests.support.factories import add_message, make_conversation

CODE = "def 인사():\n    return '안녕하세요'\n".encode()
# 파일의 글에만 있는 낱말: 내보낸 파일에 나오면 파일의 내용이 실린 것이다
SECRET = "파일-안에만-있는-글"


@pytest.fixture(autouse=True)
def attachments_in_tmp(settings, tmp_path):
    """첨부 저장소를 이 테스트의 빈 폴더로."""
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "attachments"), "base_url": None},
        },
    }


def asked_with_files(owner, *uploads, title="과제 질문", question="이 파일들 봐 줘") -> Message:
    """파일을 붙인 질문과 답변이 든 대화를 만들고 질문을 준다."""
    conversation = make_conversation(owner, title=title)
    message = add_message(conversation=conversation, role="user", content=question)
    attach(
        message=message,
        attachments=[attachment_stage(user=owner, upload=item) for item in uploads],
    )
    add_message(conversation=conversation, role="assistant", content="봤어요.", model="fake-model")
    return message


def code_file(name="인사.py") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, CODE + f"# {SECRET}\n".encode())


def picture_file(name="화면.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, files.make_png(64, 48))


# ---------------------------------------------------------------- 내보내기


def test_the_json_download_lists_each_file_by_reference_without_its_content(logged_in, user):
    question = asked_with_files(user, code_file(), picture_file())
    code, picture = question.attachments.order_by("pk")

    response = logged_in.get(f"/chat/{question.conversation_id}/export.json")

    record = json.loads(response.content)
    asked, answered = record["messages"]
    assert asked["attachments"] == [
        {
            "name": "인사.py",
            "kind": "text",
            "content_type": code.content_type,
            "size": code.size,
            "text_truncated": False,
            "file": code.file.name,
        },
        {
            "name": "화면.png",
            "kind": "image",
            "content_type": "image/png",
            "size": picture.size,
            "text_truncated": False,
            "file": picture.file.name,
        },
    ]
    assert "attachments" not in answered
    assert SECRET not in response.content.decode()


def test_a_question_without_files_has_an_empty_list(logged_in, user):
    conversation = make_conversation(user, messages=2)

    record = json.loads(logged_in.get(f"/chat/{conversation.pk}/export.json").content)

    assert record["messages"][0]["attachments"] == []


def test_the_markdown_download_lists_the_files_under_the_question(english, logged_in, user):
    question = asked_with_files(user, code_file("my_notes*.py"), picture_file())
    code, picture = question.attachments.order_by("pk")

    text = logged_in.get(f"/chat/{question.conversation_id}/export.md").content.decode()

    listed = (
        "이 파일들 봐 줘\n\n"
        f"- 📎 my\\_notes\\*.py (Text, {code.size}\xa0bytes)\n"
        f"- 📎 화면.png (Image, {picture.size}\xa0bytes)\n\n"
    )
    assert listed in text
    assert text.index(listed) < text.index("봤어요.")
    assert SECRET not in text


def test_the_export_command_carries_the_references_in_jsonl_and_markdown(user, tmp_path, capsys):
    asked_with_files(user, code_file())
    output = tmp_path / "minji.jsonl"

    call_command("export_conversations", "--user", "minji", "--output", str(output))
    call_command("export_conversations", "--all-versions", "--output", str(tmp_path / "all.jsonl"))
    call_command("export_conversations", "--format", "markdown", "--language", "en")

    for path in (output, tmp_path / "all.jsonl"):
        record = json.loads(path.read_text(encoding="utf-8"))
        assert [item["name"] for item in record["messages"][0]["attachments"]] == ["인사.py"]
    assert "- 📎 인사.py (Text, " in capsys.readouterr().out


def export_queries(client, conversation) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/chat/{conversation.pk}/export.json").status_code == 200
    return len(queries)


def test_exporting_reads_the_files_in_one_query_however_many_questions_have_them(logged_in, user):
    few = asked_with_files(user, code_file(), title="하나").conversation
    many = asked_with_files(user, code_file(), title="여럿").conversation
    for index in range(4):
        question = add_message(conversation=many, role="user", content=f"질문 {index}")
        attach(
            message=question,
            attachments=[attachment_stage(user=user, upload=code_file(f"{index}.py"))],
        )
    without = make_conversation(user, messages=2, title="파일 없음")

    queries = export_queries(logged_in, few)

    assert export_queries(logged_in, many) == queries
    # 파일이 붙은 질문이 없는 대화는 첨부를 묻지 않는다
    assert export_queries(logged_in, without) == queries - 1


# ---------------------------------------------------------------- 우리 내보내기의 왕복


def test_a_re_imported_export_keeps_the_names_of_its_files(user, other_user, tmp_path, capsys):
    question = asked_with_files(user, code_file(), picture_file())
    exported = tmp_path / "minji.jsonl"
    call_command("export_conversations", "--user", "minji", "--output", str(exported))

    call_command("import_conversations", str(exported), "--user", "junho")

    imported = Conversation.objects.get(owner=other_user)
    asked = imported.messages.get(role="user")
    assert asked.has_attachments
    assert not imported.messages.get(role="assistant").has_attachments
    originals = [(a.name, a.kind, a.content_type, a.size) for a in question.attachments.all()]
    copies = list(asked.attachments.all())
    assert [(a.name, a.kind, a.content_type, a.size) for a in copies] == originals
    assert all(a.is_missing and a.owner == other_user for a in copies)
    assert all(not a.preview and not a.thumbnail and not a.text for a in copies)


def test_an_imported_name_shows_as_not_imported_and_cannot_be_downloaded(
    english, client, user, other_user, tmp_path
):
    asked_with_files(user, code_file())
    exported = tmp_path / "minji.jsonl"
    call_command("export_conversations", "--user", "minji", "--output", str(exported))
    call_command("import_conversations", str(exported), "--user", "junho")
    client.force_login(other_user)
    imported = Conversation.objects.get(owner=other_user)
    name_only = Attachment.objects.get(owner=other_user)

    page = client.get(reverse("chat:conversation", args=[imported.pk])).content.decode()

    assert "인사.py" in page
    assert "Not imported: only the name was kept" in page
    assert client.get(reverse("chat:attachment", args=[name_only.pk])).status_code == 404
    markdown = client.get(f"/chat/{imported.pk}/export.md").content.decode()
    assert "- 📎 인사.py (Text, " in markdown
    assert "· Not imported: only the name was kept\n" in markdown


def test_importing_the_same_file_twice_makes_no_second_set_of_names(user, other_user, tmp_path):
    asked_with_files(user, code_file())
    exported = tmp_path / "minji.jsonl"
    call_command("export_conversations", "--user", "minji", "--output", str(exported))

    call_command("import_conversations", str(exported), "--user", "junho")
    call_command("import_conversations", str(exported), "--user", "junho")

    assert Attachment.objects.filter(owner=other_user).count() == 1


def our_line(attachments) -> str:
    return json.dumps(
        {
            "title": "손으로 쓴 대화",
            "created_at": "2026-03-02T09:00:00+00:00",
            "messages": [
                {
                    "role": "user",
                    "content": "질문",
                    "created_at": "2026-03-02T09:00:00+00:00",
                    "attachments": attachments,
                },
                {
                    "role": "assistant",
                    "content": "답",
                    "created_at": "2026-03-02T09:00:01+00:00",
                    # 답변의 첨부는 없다: 적혀 있어도 가져오지 않는다
                    "attachments": [{"name": "answer.txt"}],
                },
            ],
        },
        ensure_ascii=False,
    )


def test_hostile_references_become_safe_names(other_user, tmp_path):
    path = tmp_path / "hostile.jsonl"
    path.write_text(
        our_line(
            [
                {"name": "../../etc/passwd\x00.txt", "size": -5, "content_type": "text/html\n"},
                {"name": "가" * 1000 + ".txt", "size": 2**70, "kind": "virus"},
                {"name": 42, "content_type": "image/png; q=1", "size": True},
                *({"name": f"{index}.txt"} for index in range(1000)),
            ]
        ),
        encoding="utf-8",
    )

    call_command("import_conversations", str(path), "--user", "junho")

    names = list(Attachment.objects.order_by("pk"))
    assert len(names) == 20
    first, long, nameless = names[:3]
    assert (first.name, first.size, first.content_type) == ("passwd .txt", 0, "text/html")
    assert len(long.name) == 120
    assert long.name.endswith("가.txt")
    assert (long.size, long.kind) == (0, "text")
    assert (nameless.name, nameless.kind, nameless.content_type) == ("file", "image", "image/png")
    assert not Message.objects.get(role="assistant").has_attachments


@pytest.mark.parametrize(
    ("attachments", "sentence"),
    [
        ("a.txt", "line 1: message 1 attachments must be a list"),
        (["a.txt"], "line 1: message 1 attachments must be objects"),
    ],
)
def test_a_malformed_reference_stops_the_import_and_writes_nothing(
    other_user, tmp_path, attachments, sentence
):
    path = tmp_path / "broken.jsonl"
    path.write_text(our_line(attachments), encoding="utf-8")

    with pytest.raises(CommandError, match=re.escape(sentence)):
        call_command("import_conversations", str(path), "--user", "junho")

    assert not Conversation.objects.exists()
    assert not Attachment.objects.exists()


# ---------------------------------------------------------------- ChatGPT


def node(node_id, parent, role, content, *, when, metadata=None):
    return {
        "id": node_id,
        "parent": parent,
        "children": [],
        "message": {
            "id": node_id,
            "author": {"role": role},
            "create_time": when,
            "content": content,
            "metadata": metadata or {},
        },
    }


def chatgpt_export() -> list:
    """ChatGPT 데이터 내보내기의 모양을 줄인 것: 그림과 PDF를 붙인 질문, 그림만 붙인 질문, 파일 칸이 있는 답변."""
    start = 1772442000.0
    mapping = {
        "root": {"id": "root", "parent": None, "children": ["q1"], "message": None},
        "q1": node(
            "q1",
            "root",
            "user",
            {
                "content_type": "multimodal_text",
                "parts": [
                    {
                        "content_type": "image_asset_pointer",
                        "asset_pointer": "file-service://file-img1",
                        "size_bytes": 48213,
                        "width": 800,
                        "height": 600,
                    },
                    "이 화면과 ",
                    "과제를 설명해 줘",
                ],
            },
            when=start,
            metadata={
                "attachments": [
                    {"id": "file-img1", "name": "화면.png", "size": 48213, "mimeType": "image/png"},
                    {
                        "id": "file-doc1",
                        "name": "과제.pdf",
                        "size": 102400,
                        "mime_type": "application/pdf",
                    },
                    {"id": "file-txt1", "name": "notes.txt", "size": 12, "mimeType": "text/plain"},
                ]
            },
        ),
        "a1": node(
            "a1",
            "q1",
            "assistant",
            {"content_type": "text", "parts": ["과제는 정렬 함수를 쓰는 것입니다."]},
            when=start + 5,
            metadata={"model_slug": "gpt-4o", "attachments": [{"name": "not-mine.txt"}]},
        ),
        "q2": node(
            "q2",
            "a1",
            "user",
            {
                "content_type": "multimodal_text",
                "parts": [
                    {
                        "content_type": "image_asset_pointer",
                        "asset_pointer": "sediment://file_img2",
                        "size_bytes": 1234,
                    },
                    {"content_type": "audio_transcription", "text": "음성"},
                ],
            },
            when=start + 60,
        ),
        "a2": node(
            "a2",
            "q2",
            "assistant",
            {"content_type": "text", "parts": ["오류 화면이네요."]},
            when=start + 65,
            metadata={"model_slug": "gpt-4o"},
        ),
    }
    return [
        {
            "title": "과제 질문",
            "create_time": start,
            "update_time": start + 65,
            "default_model_slug": "gpt-4o",
            "current_node": "a2",
            "mapping": mapping,
        }
    ]


def test_a_chatgpt_export_keeps_the_names_of_its_files(other_user, tmp_path, capsys):
    path = tmp_path / "conversations.json"
    path.write_text(json.dumps(chatgpt_export(), ensure_ascii=False), encoding="utf-8")

    call_command("import_conversations", str(path), "--user", "junho")

    conversation = Conversation.objects.get(owner=other_user)
    messages = list(conversation.messages.order_by("pk"))
    assert [(m.role, m.content, m.has_attachments) for m in messages] == [
        ("user", "이 화면과 과제를 설명해 줘", True),
        ("assistant", "과제는 정렬 함수를 쓰는 것입니다.", False),
        # 그림만 붙인 질문도 남는다: 그림의 이름과 함께
        ("user", "", True),
        ("assistant", "오류 화면이네요.", False),
    ]
    kept = [
        (a.message_id, a.name, a.kind, a.content_type, a.size)
        for a in Attachment.objects.order_by("pk")
    ]
    # 조각의 그림(file-img1)은 metadata에 이름이 있어 한 번만, 이름 없는 그림(file_img2)은 image.png
    assert kept == [
        (messages[0].pk, "화면.png", "image", "image/png", 48213),
        (messages[0].pk, "과제.pdf", "pdf", "application/pdf", 102400),
        (messages[0].pk, "notes.txt", "text", "text/plain", 12),
        (messages[2].pk, "image.png", "image", "image/png", 1234),
    ]
    assert all(a.is_missing and a.owner == other_user for a in Attachment.objects.all())
    assert "Imported 1 conversations with 4 messages for junho" in capsys.readouterr().out


def test_an_imported_chatgpt_picture_shows_on_the_page(english, client, other_user, tmp_path):
    path = tmp_path / "conversations.json"
    path.write_text(json.dumps(chatgpt_export(), ensure_ascii=False), encoding="utf-8")
    call_command("import_conversations", str(path), "--user", "junho")
    client.force_login(other_user)
    conversation = Conversation.objects.get(owner=other_user)

    page = client.get(reverse("chat:conversation", args=[conversation.pk])).content.decode()

    for name in ("화면.png", "과제.pdf", "notes.txt", "image.png"):
        assert name in page
    assert page.count("Not imported: only the name was kept") == 4


def test_odd_chatgpt_file_entries_are_skipped_not_refused(other_user, tmp_path):
    data = chatgpt_export()
    question = data[0]["mapping"]["q1"]["message"]
    question["metadata"]["attachments"] = ["file-img1", None, {"size": "big"}]
    question["content"]["parts"][0]["asset_pointer"] = None
    path = tmp_path / "conversations.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    call_command("import_conversations", str(path), "--user", "junho")

    first = Conversation.objects.get().messages.order_by("pk").first()
    assert [(a.name, a.kind, a.size) for a in first.attachments.all()] == [
        ("file", "text", 0),
        ("image.png", "image", 48213),
    ]


def test_an_answer_with_files_but_no_text_is_still_skipped(other_user, tmp_path):
    data = chatgpt_export()
    data[0]["mapping"]["a1"]["message"]["content"]["parts"] = [
        {"content_type": "image_asset_pointer", "asset_pointer": "file-service://file-gen"}
    ]
    path = tmp_path / "conversations.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    call_command("import_conversations", str(path), "--user", "junho")

    messages = Conversation.objects.get().messages.order_by("pk")
    assert [m.role for m in messages] == ["user", "user", "assistant"]
    assert not Attachment.objects.filter(message__role="assistant").exists()


def test_a_chatgpt_dry_run_writes_no_names(other_user, tmp_path):
    path = tmp_path / "conversations.json"
    path.write_text(json.dumps(chatgpt_export(), ensure_ascii=False), encoding="utf-8")

    call_command("import_conversations", str(path), "--user", "junho", "--dry-run")

    assert not Attachment.objects.exists()
