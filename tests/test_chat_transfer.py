"""대화 내보내기와 가져오기: 우리 JSON Lines의 왕복, ChatGPT 내보내기, 틀린 파일, 다시 돌리기, --dry-run."""

import datetime
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from chat.models import Conversation, Message

CHATGPT = Path(__file__).parent / "fixtures" / "chatgpt" / "conversations.json"


def make_conversation(user, title, contents, when=None):
    when = when or datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
    conversation = Conversation.objects.create(
        owner=user,
        title=title,
        model="fake-model",
        system_prompt="짧게 답해.",
        created_at=when,
        updated_at=when,
        needs_title=False,
    )
    for index, content in enumerate(contents):
        assistant = index % 2 == 1
        Message.objects.create(
            conversation=conversation,
            role=Message.Role.ASSISTANT if assistant else Message.Role.USER,
            content=content,
            rendered_html=f"<p>{content}</p>" if assistant else "",
            status=Message.Status.STOPPED if index == 3 else Message.Status.DONE,
            model="fake-model" if assistant else "",
            prompt_tokens=20 if assistant else None,
            completion_tokens=7 if assistant else None,
            created_at=when + datetime.timedelta(seconds=index),
        )
    return conversation


def snapshot(user):
    """사람이 화면에서 보는 것: 대화의 제목·모델·시스템 프롬프트·시각, 메시지의 역할·글·상태·시각."""
    return [
        (
            c.title,
            c.model,
            c.system_prompt,
            c.created_at,
            [
                (m.role, m.content, m.status, m.model, m.prompt_tokens, m.created_at)
                for m in c.messages.order_by("pk")
            ],
        )
        for c in Conversation.objects.filter(owner=user).order_by("created_at")
    ]


# ---------------------------------------------------------------- 내보내기


def test_export_writes_one_conversation_per_line_and_counts(user, other_user, tmp_path):
    make_conversation(user, "첫 대화", ["안녕", "안녕하세요", "코드?", "```py\nprint(1)\n```"])
    make_conversation(other_user, "남의 대화", ["hi", "hello"])
    output = tmp_path / "minji.jsonl"

    call_command("export_conversations", "--user", "MINJI", "--output", str(output))

    lines = output.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["title"] == "첫 대화"
    assert record["owner"] == "minji"
    assert [m["content"] for m in record["messages"]] == [
        "안녕",
        "안녕하세요",
        "코드?",
        "```py\nprint(1)\n```",
    ]
    assert record["messages"][3]["status"] == "stopped"


def test_export_to_standard_output_keeps_the_count_out_of_the_data(user, capsys):
    make_conversation(user, "첫 대화", ["안녕", "안녕하세요"])

    call_command("export_conversations", "--format", "markdown")

    captured = capsys.readouterr()
    assert captured.out.startswith("# 첫 대화\n")
    assert "## Assistant · " in captured.out
    assert "Exported 1 conversations with 2 messages." in captured.err
    assert "Exported" not in captured.out


def test_export_since_takes_conversations_with_later_activity(user, capsys):
    make_conversation(
        user, "옛 대화", ["a", "b"], when=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    )
    make_conversation(
        user, "새 대화", ["c", "d"], when=datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC)
    )

    call_command("export_conversations", "--since", "2026-02-01")

    out = capsys.readouterr().out
    assert "새 대화" in out
    assert "옛 대화" not in out


def test_export_writes_an_audit_event(user, tmp_path):
    from chat.models import AuditEvent

    make_conversation(user, "첫 대화", ["a", "b"])

    call_command("export_conversations", "--output", str(tmp_path / "all.jsonl"))

    (event,) = AuditEvent.objects.all()
    assert event.action == "conversations.exported"
    assert event.payload["conversations"] == 1
    assert event.payload["messages"] == 2


@pytest.mark.parametrize(
    ("arguments", "sentence"),
    [
        (["--user", "nobody"], "There is no user named 'nobody'."),
        (["--since", "yesterday"], "invalid date (YYYY-MM-DD) value: 'yesterday'"),
        (["--format", "pdf"], "invalid choice: 'pdf'"),
        (["--output", "/nonexistent-dir/x.jsonl"], "Cannot write /nonexistent-dir/x.jsonl"),
    ],
)
def test_export_refuses_bad_input_in_one_sentence(db, arguments, sentence):
    with pytest.raises(CommandError, match=sentence.replace("(", r"\(").replace(")", r"\)")):
        call_command("export_conversations", *arguments)


# ---------------------------------------------------------------- 왕복


def test_export_then_import_into_another_user_gives_identical_conversations(
    user, other_user, tmp_path, capsys
):
    make_conversation(user, "첫 대화", ["안녕", "**안녕하세요**", "코드?", "```py\nprint(1)\n```"])
    make_conversation(
        user,
        "English one",
        ["Hello", "Hi there"],
        when=datetime.datetime(2026, 3, 3, 10, 0, 0, 123456, tzinfo=datetime.UTC),
    )
    exported = tmp_path / "minji.jsonl"
    call_command("export_conversations", "--user", "minji", "--output", str(exported))

    call_command("import_conversations", str(exported), "--user", "junho")

    assert snapshot(other_user) == snapshot(user)
    assert "Imported 2 conversations with 6 messages for junho; 0 already there." in (
        capsys.readouterr().out
    )
    imported = Conversation.objects.filter(owner=other_user).get(title="첫 대화")
    reply = imported.messages.filter(role="assistant").first()
    # 답변은 화면처럼 미리 그려져 있다
    assert reply.rendered_html == "<p><strong>안녕하세요</strong></p>\n"
    assert not imported.needs_title


def test_importing_the_same_file_twice_imports_nothing_twice(user, other_user, tmp_path, capsys):
    make_conversation(user, "첫 대화", ["안녕", "안녕하세요"])
    exported = tmp_path / "minji.jsonl"
    call_command("export_conversations", "--output", str(exported))
    call_command("import_conversations", str(exported), "--user", "junho")

    call_command("import_conversations", str(exported), "--user", "junho")

    assert Conversation.objects.filter(owner=other_user).count() == 1
    assert "Imported 0 conversations with 0 messages for junho; 1 already there." in (
        capsys.readouterr().out
    )


def test_a_malformed_line_stops_the_import_with_its_number_and_writes_nothing(
    user, other_user, tmp_path
):
    make_conversation(user, "첫 대화", ["안녕", "안녕하세요"])
    make_conversation(
        user, "둘째 대화", ["a", "b"], when=datetime.datetime(2026, 3, 5, tzinfo=datetime.UTC)
    )
    exported = tmp_path / "minji.jsonl"
    call_command("export_conversations", "--output", str(exported))
    good, second = exported.read_text(encoding="utf-8").splitlines()
    broken = json.loads(second)
    broken["messages"][1]["role"] = "wizard"
    exported.write_text(f"{good}\n{json.dumps(broken)}\n{{oops\n", encoding="utf-8")

    with pytest.raises(CommandError, match=r"line 2: message 2 has an unknown role 'wizard'"):
        call_command("import_conversations", str(exported), "--user", "junho")

    assert not Conversation.objects.filter(owner=other_user).exists()


def test_import_dry_run_counts_and_writes_nothing(other_user, capsys):
    call_command("import_conversations", str(CHATGPT), "--user", "junho", "--dry-run")

    assert "Would import 2 conversations with 6 messages for junho; 0 already there." in (
        capsys.readouterr().out
    )
    assert not Conversation.objects.exists()


@pytest.mark.parametrize(
    ("arguments", "sentence"),
    [
        (["missing.jsonl", "--user", "junho"], "There is no file at missing.jsonl."),
        ([str(CHATGPT), "--user", "nobody"], "There is no user named 'nobody'."),
        ([str(CHATGPT)], "the following arguments are required: --user"),
    ],
)
def test_import_refuses_bad_input_in_one_sentence(other_user, arguments, sentence):
    with pytest.raises(CommandError, match=sentence.replace(".", r"\.")):
        call_command("import_conversations", *arguments)


# ---------------------------------------------------------------- ChatGPT


def test_a_chatgpt_export_imports_the_branch_the_person_saw(other_user, capsys):
    call_command("import_conversations", str(CHATGPT), "--user", "junho")

    korean, english = Conversation.objects.filter(owner=other_user).order_by("created_at")
    assert korean.title == "파이썬 리스트 정렬"
    assert korean.created_at == datetime.datetime(2024, 3, 2, 1, 0, 0, 123456, tzinfo=datetime.UTC)
    assert korean.model == "gpt-4o"
    messages = list(korean.messages.order_by("pk"))
    # 숨긴 시스템 메시지는 빠지고, 편집한 질문의 가지(current_node)만 남는다
    assert [(m.role, m.content[:20]) for m in messages] == [
        ("user", "파이썬에서 리스트를 정렬하는 방법을 알려 줘"[:20]),
        ("assistant", "`sorted()`는 새 리스트를 돌려주고, "[:20]),
        ("user", "문자열을 길이순으로, 같으면 가나다순으로 정렬하려면?"[:20]),
        ("assistant", "튜플을 돌려주는 key를 쓰면 됩니다:\n\n```"[:20]),
    ]
    assert "key=len" not in "".join(m.content for m in messages)
    assert messages[2].created_at == datetime.datetime(2024, 3, 2, 1, 3, 20, tzinfo=datetime.UTC)
    assert all(m.status == Message.Status.DONE for m in messages)
    # 도구의 출력과 코드 실행 메시지는 빠진다
    assert [m.role for m in english.messages.order_by("pk")] == ["user", "assistant"]
    assert "Imported 2 conversations with 6 messages for junho; 0 already there." in (
        capsys.readouterr().out
    )


def test_an_imported_chatgpt_conversation_reads_correctly_on_its_page(client, other_user):
    call_command("import_conversations", str(CHATGPT), "--user", "junho")
    client.force_login(other_user)
    conversation = Conversation.objects.get(title="Regex for emails")

    html = client.get(f"/chat/{conversation.pk}/").content.decode()

    assert "Write a Python regex that checks an email address, and test it." in html
    assert '<pre class="code" data-lang="python"><code class="language-python">' in html
    assert "<code>a@b.co</code>" in html
    assert "You are ChatGPT" not in html


def test_a_chatgpt_conversation_with_a_broken_tree_names_it(other_user, tmp_path):
    data = json.loads(CHATGPT.read_text(encoding="utf-8"))
    data[1]["current_node"] = "not-a-node"
    broken = tmp_path / "conversations.json"
    broken.write_text(json.dumps(data), encoding="utf-8")

    with pytest.raises(
        CommandError,
        match=r"conversation 2 \('Regex for emails'\): node 'not-a-node' is missing from the mapping",
    ):
        call_command("import_conversations", str(broken), "--user", "junho")

    assert not Conversation.objects.exists()


def test_a_question_with_a_picture_keeps_its_text(other_user, tmp_path):
    data = json.loads(CHATGPT.read_text(encoding="utf-8"))
    question = data[1]["mapping"]["bbb2c0de-0000-4000-8000-000000000003"]["message"]
    question["content"] = {
        "content_type": "multimodal_text",
        "parts": [
            {"content_type": "image_asset_pointer", "asset_pointer": "file-service://file-abc"},
            "What does this screenshot say?",
        ],
    }
    with_picture = tmp_path / "conversations.json"
    with_picture.write_text(json.dumps(data), encoding="utf-8")

    call_command("import_conversations", str(with_picture), "--user", "junho")

    english = Conversation.objects.get(title="Regex for emails")
    first = english.messages.order_by("pk").first()
    assert first.content == "What does this screenshot say?"
