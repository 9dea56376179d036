"""대화 내보내기와 가져오기: 우리 JSON Lines의 왕복, ChatGPT 내보내기, 틀린 파일, 다시 돌리기, --dry-run."""

import datetime
import json
import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from chat.models import Conversation, Message
from tests.support.factories import add_message
from tests.support.servers import manage

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
        add_message(
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

    call_command("export_conversations", "--format", "markdown", "--language", "en")

    captured = capsys.readouterr()
    assert captured.out.startswith("# 첫 대화\n")
    assert "## Assistant · " in captured.out
    assert "Exported 1 conversation with 2 messages." in captured.err
    assert "Exported" not in captured.out


def test_markdown_export_speaks_korean_in_the_site_time_zone(user, capsys, settings):
    settings.TIME_ZONE = "Asia/Seoul"
    make_conversation(user, "첫 대화", ["안녕", "안녕하세요", "더?", "그만"])

    call_command("export_conversations", "--format", "markdown", "--language", "ko")

    out = capsys.readouterr().out
    # 09:00 UTC는 서울의 오후 6시: 말풍선과 같은 날짜 꼴
    assert "- 만든 때: 2026년 3월 2일 오후 6:00\n" in out
    assert "## minji · 2026년 3월 2일 오후 6:00\n" in out
    # 답변마다 그 답을 쓴 모델
    assert "## 어시스턴트 (멈춤) · fake-model · 2026년 3월 2일 오후 6:00\n" in out
    assert "T09:00" not in out
    assert "Assistant" not in out


def test_markdown_export_puts_a_replys_headings_below_the_message_heading(user, capsys):
    reply = "# 개요\n\n본문\n\n## 자세히\n\n```md\n# 코드 안의 샵\n```\n\n깊은 곳\n---\n\n###### 끝"
    make_conversation(user, "제목이 있는 답", ["질문", reply])

    call_command("export_conversations", "--format", "markdown")

    out = capsys.readouterr().out
    headings = [line for line in out.splitlines() if line.startswith("#")]
    assert headings == [
        "# 제목이 있는 답",
        headings[1],
        headings[2],
        "### 개요",
        "#### 자세히",
        "# 코드 안의 샵",
        "#### 깊은 곳",
        "###### 끝",
    ]
    assert headings[1].startswith("## minji · ")
    assert headings[2].startswith("## ")


def test_export_refuses_to_overwrite_a_file_without_force(user, tmp_path):
    make_conversation(user, "첫 대화", ["a", "b"])
    output = tmp_path / "all.jsonl"
    output.write_text("지난 학기의 기록", encoding="utf-8")

    with translation.override("ko"), pytest.raises(CommandError, match="--force"):
        call_command("export_conversations", "--output", str(output))
    kept = output.read_text(encoding="utf-8")
    call_command("export_conversations", "--output", str(output), "--force")

    assert kept == "지난 학기의 기록"
    assert json.loads(output.read_text(encoding="utf-8"))["title"] == "첫 대화"


def test_the_refusal_to_overwrite_is_translated(user, tmp_path):
    output = tmp_path / "all.jsonl"
    output.touch()

    with pytest.raises(CommandError, match="이미 있습니다"):
        call_command("export_conversations", "--output", str(output), "--language", "ko")


@pytest.mark.parametrize("existing", [False, True])
def test_the_exported_file_is_readable_only_by_its_owner(user, tmp_path, existing):
    make_conversation(user, "첫 대화", ["a", "b"])
    output = tmp_path / "all.md"
    if existing:
        output.touch(mode=0o644)

    call_command("export_conversations", "--output", str(output), "--format", "markdown", "--force")

    assert output.stat().st_mode & 0o777 == 0o600


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
    from core.models import AuditEvent

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
        # 자정을 UTC로 바꾸다 OverflowError의 역추적이었다
        (["--since", "0001-01-01"], "0001-01-01 is not a day from 1970-01-01 to 9998-12-31"),
    ],
)
def test_export_refuses_bad_input_in_one_sentence(db, arguments, sentence):
    with translation.override("en"), pytest.raises(CommandError, match=re.escape(sentence)):
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


# ---------------------------------------------------------------- 적대적인 파일


def our_line(**changes):
    """우리 형식의 대화 한 줄. changes의 "reply"는 답변에, 나머지는 대화에 덮는다."""
    reply = {
        "role": "assistant",
        "content": "안녕하세요",
        "created_at": "2026-03-02T09:00:01+00:00",
        "prompt_tokens": 20,
        "completion_tokens": 7,
        **changes.pop("reply", {}),
    }
    record = {
        "title": "대화",
        "created_at": "2026-03-02T09:00:00+00:00",
        "messages": [
            {"role": "user", "content": "안녕", "created_at": "2026-03-02T09:00:00+00:00"},
            reply,
        ],
        **changes,
    }
    return json.dumps(record)


@pytest.mark.parametrize(
    ("line", "sentence"),
    [
        ("[" * 100_000 + "]" * 100_000, "line 2: the JSON is nested too deeply"),
        (
            our_line(created_at=1e20),
            "line 2: created_at is not a date and time from 1970 to 9998: 1e+20",
        ),
        (
            our_line(created_at="9999-12-31T23:00:00-05:00"),
            "line 2: created_at is not a date and time from 1970 to 9998: "
            "'9999-12-31T23:00:00-05:00'",
        ),
        (
            our_line(reply={"created_at": float("inf")}),
            "line 2: message 2 created_at is not a date and time from 1970 to 9998: inf",
        ),
        (
            our_line(reply={"prompt_tokens": 2**70}),
            f"line 2: message 2 prompt_tokens must be a whole number from 0 to 2147483647: {2**70}",
        ),
        # SQLite는 받지만 PostgreSQL의 integer 열은 넘친다
        (
            our_line(reply={"completion_tokens": 2**31}),
            "line 2: message 2 completion_tokens must be a whole number from 0 to 2147483647: "
            f"{2**31}",
        ),
        (
            our_line(reply={"content": "앞\ud800뒤"}),
            "line 2: message 2 content has a character that cannot be stored (U+D800)",
        ),
        # PostgreSQL은 글 속의 NUL을 거절한다
        (our_line(title="a\x00b"), "line 2: title has a character that cannot be stored (U+0000)"),
        (
            our_line(reply={"error_kind": "x" * 50}),
            "line 2: message 2 has an unknown error kind 'xxxxxxxxxx",
        ),
    ],
    ids=[
        "nested",
        "huge-timestamp",
        "huge-iso",
        "infinite-timestamp",
        "tokens-2**70",
        "tokens-2**31",
        "surrogate",
        "nul",
        "error-kind",
    ],
)
def test_a_hostile_line_is_refused_in_one_sentence_and_nothing_is_written(
    other_user, tmp_path, line, sentence
):
    hostile = tmp_path / "hostile.jsonl"
    # 첫 줄은 멀쩡하다: 둘째 줄 때문에 첫 줄도 쓰지 않아야 한다
    hostile.write_text(f"{our_line(title='멀쩡한 대화')}\n{line}\n", encoding="utf-8")

    with translation.override("en"), pytest.raises(CommandError) as refused:
        call_command("import_conversations", str(hostile), "--user", "junho")

    assert sentence in str(refused.value)
    assert str(refused.value).endswith("Nothing was imported.")
    assert not Conversation.objects.exists()
    assert not Message.objects.exists()


def chatgpt_with(change) -> str:
    """우리 고정 ChatGPT 파일의 둘째 대화(Regex for emails)를 바꾼 글."""
    data = json.loads(CHATGPT.read_text(encoding="utf-8"))
    change(data[1])
    return json.dumps(data)


def _question(conversation):
    return conversation["mapping"]["bbb2c0de-0000-4000-8000-000000000003"]["message"]


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        ("[" * 100_000 + "]" * 100_000, "the JSON is nested too deeply"),
        (
            chatgpt_with(lambda c: c.update(create_time=float("inf"))),
            "conversation 2 ('Regex for emails'): create_time is not a date and time "
            "from 1970 to 9998: inf",
        ),
        (
            chatgpt_with(lambda c: c.update(create_time=1e20)),
            "conversation 2 ('Regex for emails'): create_time is not a date and time "
            "from 1970 to 9998: 1e+20",
        ),
        (
            chatgpt_with(lambda c: _question(c)["content"].update(parts=["\udfff"])),
            "conversation 2 ('Regex for emails'): message "
            "'bbb2c0de-0000-4000-8000-000000000003' has a character that cannot be stored "
            "(U+DFFF)",
        ),
    ],
    ids=["nested", "infinite-time", "huge-time", "surrogate"],
)
def test_a_hostile_chatgpt_export_is_refused_in_one_sentence_and_nothing_is_written(
    other_user, tmp_path, text, sentence
):
    hostile = tmp_path / "conversations.json"
    hostile.write_text(text, encoding="utf-8")

    with translation.override("en"), pytest.raises(CommandError) as refused:
        call_command("import_conversations", str(hostile), "--user", "junho")

    assert sentence in str(refused.value)
    assert not Conversation.objects.exists()
    assert not Message.objects.exists()


def test_a_failure_while_writing_leaves_nothing_of_the_file(other_user, monkeypatch):
    from django.db import DatabaseError

    from chat.transfer import importer

    create = importer.conversation_create
    calls = []

    def second_fails(**kwargs):
        calls.append(kwargs)
        if len(calls) == 2:
            raise DatabaseError("the disk is full")
        return create(**kwargs)

    monkeypatch.setattr(importer, "conversation_create", second_fails)

    with pytest.raises(DatabaseError):
        call_command("import_conversations", str(CHATGPT), "--user", "junho")

    # 첫 대화도 남지 않는다: 파일 하나가 한 트랜잭션
    assert len(calls) == 2
    assert not Conversation.objects.exists()
    assert not Message.objects.exists()


def test_export_help_is_in_korean_and_in_english_with_language():
    env = {"PATH": "/usr/bin:/bin", "DJANGO_ENV_FILE": "", "DJANGO_DEBUG": "true"}

    korean = manage(env, "help", "export_conversations").stdout
    english = manage(env, "export_conversations", "--language", "en", "--help").stdout

    assert "대화와 메시지를 JSON Lines" in korean
    assert "--output 파일이 이미 있으면 덮어쓰기" in korean
    assert "Write conversations with their messages as JSON Lines" in english
    assert "overwrite the --output file if it exists" in english
