"""파일을 붙여 보내기: 모델(진짜 SDK로 부르는 가짜 서버)이 받는 것, 문맥 예산, 그림과 모델, 거절이 남기는 것."""

import base64

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from chat.attachments.models import Attachment
from chat.models import Conversation, Message
from tests.support import files
from tests.support.fake_openai import Reply
from tests.support.sse import finish_reply

HTMX = {"HX-Request": "true"}

CP949_CODE = "# 점수 평균을 낸다\n점수 = [90, 85]\nprint('평균:', sum(점수) / len(점수))\n"


@pytest.fixture
def vision(settings, llm_server):
    settings.LLM_VISION_MODELS = ["fake-*"]
    return llm_server


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def prompts(server) -> list[list[dict]]:
    """가짜 서버가 받은 답변 요청들의 messages (제목 요청은 빼고)."""
    return [body["messages"] for body in server.requests if body.get("stream")]


def start(client, content: str, *uploads, model: str = "fake-model", **extra):
    return client.post(
        "/chat/", {"content": content, "model": model, "attachments": list(uploads), **extra}
    )


def last_question(user) -> Message:
    return Message.objects.filter(conversation__owner=user, role="user").latest("pk")


def sent_and_answered(client, user, content, *uploads, **extra):
    response = start(client, content, *uploads, **extra)
    assert response.status_code == 302, response.content.decode()[:2000]
    reply = Message.objects.filter(conversation__owner=user, role="assistant").latest("pk")
    finish_reply(reply)
    return reply


ACCEPTED = [
    ("hello.py", CP949_CODE.encode("utf-8"), "평균:"),
    ("점수.py", CP949_CODE.encode("cp949"), "# 점수 평균을 낸다"),
    ("notes.md", "# 제목\n\n- 항목 하나\n".encode(), "- 항목 하나"),
    ("scores.csv", "이름,점수\n민지,90\n".encode("euc-kr"), "민지,90"),
    ("data.json", b'{"answer": 42}', '"answer": 42'),
    ("assignment.pdf", files.make_pdf(3, "Homework"), "Homework"),
    ("report.docx", files.make_docx(["첫 문단", "둘째 문단"], [["표", "칸"]]), "둘째 문단"),
]


@pytest.mark.parametrize(("name", "data", "expected"), ACCEPTED, ids=[row[0] for row in ACCEPTED])
def test_every_text_type_reaches_the_model_as_a_named_block(
    logged_in, user, llm_server, name, data, expected
):
    llm_server.script(Reply(tokens=["읽었어요"]))

    sent_and_answered(logged_in, user, "이 파일을 봐 줘", upload(name, data))

    (prompt,) = prompts(llm_server)
    content = prompt[-1]["content"]
    assert isinstance(content, str)
    assert content.startswith(f'<file name="{name}"')
    assert expected in content
    assert content.endswith("</file>\n\n이 파일을 봐 줘")
    question = last_question(user)
    assert question.has_attachments
    assert question.attachments.get().name == name


@pytest.mark.parametrize(
    "maker", [files.make_png, files.make_jpeg, files.make_webp, files.make_gif]
)
def test_an_image_goes_to_a_vision_model_as_an_image_part(logged_in, user, vision, maker):
    vision.script(Reply(tokens=["고양이네요"]))

    sent_and_answered(logged_in, user, "무엇이 보여?", upload("screen", maker()))

    (prompt,) = prompts(vision)
    text, image = prompt[-1]["content"]
    assert text == {"type": "text", "text": "무엇이 보여?"}
    url = image["image_url"]["url"]
    assert image["type"] == "image_url"
    assert url.startswith(("data:image/png;base64,", "data:image/jpeg;base64,"))
    # 서버가 다시 그린 그림이다 (원본의 바이트가 아니다)
    decoded = base64.b64decode(url.split(",", 1)[1])
    assert decoded[:4] in (b"\x89PNG", b"\xff\xd8\xff\xe0", b"\xff\xd8\xff\xdb")


def test_a_phone_student_sends_cp949_code_and_a_screenshot_together(logged_in, user, vision):
    vision.script(Reply(tokens=["고쳤어요"]))

    sent_and_answered(
        logged_in,
        user,
        "왜 안 돼?",
        upload("과제.py", CP949_CODE.encode("cp949")),
        upload("error.png", files.make_png(800, 600)),
    )

    (prompt,) = prompts(vision)
    text, image = prompt[-1]["content"]
    assert CP949_CODE.strip() in text["text"]
    assert image["image_url"]["url"].startswith("data:image/")
    chips = logged_in.get(f"/chat/{last_question(user).conversation_id}/").content.decode()
    assert "과제.py" in chips
    assert "error.png" in chips


def test_an_image_to_a_model_that_cannot_see_is_refused_and_keeps_text_and_file(
    logged_in, user, llm_server
):
    response = start(logged_in, "이 그림 설명해 줘", upload("cat.png", files.make_png()))

    assert response.status_code == 409
    page = response.content.decode()
    assert "fake-model 모델은 그림을 읽지 못합니다" in page
    assert "이 그림 설명해 줘" in page
    staged = Attachment.objects.get(owner=user)
    assert staged.message is None
    assert f'name="kept" value="{staged.pk}" checked' in page
    assert prompts(llm_server) == []
    assert not Conversation.objects.filter(owner=user).exists()


def test_a_refused_file_keeps_the_text_and_the_other_files(logged_in, user, llm_server):
    llm_server.script(Reply(tokens=["네"]))

    response = start(
        logged_in,
        "두 파일을 봐 줘",
        upload("empty.txt", b""),
        upload("good.txt", "좋은 파일".encode()),
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "empty.txt: " in page
    assert "두 파일을 봐 줘" in page
    good = Attachment.objects.get(owner=user)
    assert good.name == "good.txt"
    assert f'name="kept" value="{good.pk}" checked' in page

    # 다시 올리지 않고 보낸다: 받아 둔 파일이 이 메시지에 붙는다
    sent_and_answered(logged_in, user, "두 파일을 봐 줘", kept=[good.pk])

    (prompt,) = prompts(llm_server)
    assert "좋은 파일" in prompt[-1]["content"]
    good.refresh_from_db()
    assert good.message == last_question(user)


def test_someone_elses_staged_file_cannot_be_sent(logged_in, user, other_user, llm_server):
    theirs = Attachment.objects.create(
        owner=other_user, name="secret.txt", kind="text", text="비밀"
    )
    llm_server.script(Reply(tokens=["네"]))

    sent_and_answered(logged_in, user, "질문", kept=[theirs.pk])

    assert "비밀" not in str(prompts(llm_server))
    theirs.refresh_from_db()
    assert theirs.message is None


def test_files_without_text_are_sent(logged_in, user, llm_server):
    llm_server.script(Reply(tokens=["요약"]))

    sent_and_answered(logged_in, user, "", upload("notes.txt", "요약할 글".encode()))

    (prompt,) = prompts(llm_server)
    assert prompt[-1]["content"].endswith("요약할 글\n</file>")
    assert last_question(user).content == ""


def test_files_that_do_not_fit_are_cut_and_the_reply_says_how_much(
    settings, logged_in, user, llm_server
):
    settings.LLM_CONTEXT_TOKENS = 2000
    settings.LLM_REPLY_TOKENS = 500
    llm_server.script(Reply(tokens=["길어요"]))
    long_text = "가" * 5000

    reply = sent_and_answered(logged_in, user, "요약해 줘", upload("long.txt", long_text.encode()))

    (prompt,) = prompts(llm_server)
    content = prompt[-1]["content"]
    assert "the rest of this file was left out" in content
    assert content.count("가") < 1500
    reply.refresh_from_db()
    assert reply.omitted_attachment_chars == 5000 - content.count("가")
    page = logged_in.get(f"/chat/{reply.conversation_id}/").content.decode()
    assert f"첨부 파일의 {reply.omitted_attachment_chars}자를 빼고" in page


def test_regenerate_and_edit_keep_the_files_of_the_question(logged_in, user, llm_server):
    llm_server.script(Reply(tokens=["하나"]), Reply(tokens=["둘"]), Reply(tokens=["셋"]))
    reply = sent_and_answered(logged_in, user, "읽어 줘", upload("a.txt", "파일 내용".encode()))

    logged_in.post(f"/chat/replies/{reply.pk}/regenerate/", headers=HTMX)
    finish_reply(Message.objects.filter(role="assistant").latest("pk"))
    question = last_question(user)
    logged_in.post(f"/chat/messages/{question.pk}/edit/", {"content": "다시 읽어 줘"}, headers=HTMX)
    finish_reply(Message.objects.filter(role="assistant").latest("pk"))

    first, regenerated, edited = prompts(llm_server)
    assert "파일 내용" in first[-1]["content"]
    assert regenerated == first
    assert "파일 내용" in edited[-1]["content"]
    assert edited[-1]["content"].endswith("다시 읽어 줘")
    edited_question = last_question(user)
    assert edited_question.pk != question.pk
    copy = edited_question.attachments.get()
    assert copy.shares_file
    assert copy.file.name == question.attachments.get().file.name


def test_an_edit_cannot_take_in_files_of_another_question(logged_in, user, other_user, llm_server):
    # keep_file는 이 질문의 파일과 견주기만 한다: 남의 파일이나 다른 질문의 파일 번호는 아무것도 더하지 않는다
    llm_server.script(Reply(tokens=["하나"]), Reply(tokens=["둘"]))
    sent_and_answered(logged_in, user, "읽어 줘")
    question = last_question(user)
    theirs = Attachment.objects.create(
        owner=other_user, name="theirs.txt", kind="text", text="남의 글"
    )

    response = logged_in.post(
        f"/chat/messages/{question.pk}/edit/",
        {"content": "고친 질문", "files_listed": "1", "keep_file": [str(theirs.pk), "9" * 5000]},
        headers=HTMX,
    )

    assert response.status_code == 200
    assert not last_question(user).attachments.exists()
    theirs.refresh_from_db()
    assert theirs.message_id is None


@pytest.mark.parametrize("htmx", [True, False])
def test_an_edit_can_leave_out_files_of_the_question(logged_in, user, llm_server, htmx):
    # 고치기 양식에서 뺀 파일은 새 버전에 가지 않는다. 옛 버전은 그 파일을 그대로 가진다
    llm_server.script(Reply(tokens=["하나"]), Reply(tokens=["둘"]))
    sent_and_answered(
        logged_in,
        user,
        "둘 다 읽어 줘",
        upload("keep.txt", "남길 내용".encode()),
        upload("drop.txt", "뺄 내용".encode()),
    )
    question = last_question(user)
    keep, drop = question.attachments.order_by("name")[1], question.attachments.order_by("name")[0]
    form = logged_in.get(f"/chat/messages/{question.pk}/edit/").content.decode()
    assert f'name="keep_file" value="{drop.pk}" checked' in form

    logged_in.post(
        f"/chat/messages/{question.pk}/edit/",
        {"content": "하나만 읽어 줘", "files_listed": "1", "keep_file": [str(keep.pk), "99999"]},
        headers=HTMX if htmx else {},
    )
    finish_reply(Message.objects.filter(role="assistant").latest("pk"))

    _first, edited = prompts(llm_server)
    assert "남길 내용" in edited[-1]["content"]
    assert "뺄 내용" not in edited[-1]["content"]
    assert [item.name for item in last_question(user).attachments.all()] == ["keep.txt"]
    assert question.attachments.count() == 2


def test_an_edit_that_leaves_out_every_file_sends_none(logged_in, user, llm_server):
    llm_server.script(Reply(tokens=["하나"]), Reply(tokens=["둘"]))
    sent_and_answered(logged_in, user, "읽어 줘", upload("a.txt", "파일 내용".encode()))
    question = last_question(user)

    logged_in.post(
        f"/chat/messages/{question.pk}/edit/",
        {"content": "파일 없이", "files_listed": "1"},
        headers=HTMX,
    )
    finish_reply(Message.objects.filter(role="assistant").latest("pk"))

    edited = last_question(user)
    assert not edited.has_attachments
    assert not edited.attachments.exists()
    assert "파일 내용" not in prompts(llm_server)[-1][-1]["content"]


def test_leaving_out_the_image_lets_an_edit_go_to_a_model_without_sight(
    logged_in, user, vision, settings
):
    vision.script(Reply(tokens=["그림"]), Reply(tokens=["글만"]))
    sent_and_answered(logged_in, user, "봐 줘", upload("a.png", files.make_png()))
    question = last_question(user)
    settings.LLM_VISION_MODELS = []

    refused = logged_in.post(
        f"/chat/messages/{question.pk}/edit/", {"content": "다시"}, headers=HTMX
    )
    sent = logged_in.post(
        f"/chat/messages/{question.pk}/edit/",
        {"content": "그림 없이 다시", "files_listed": "1"},
        headers=HTMX,
    )

    assert "그림을 읽지 못합니다" in refused.content.decode()
    assert "그림을 읽지 못합니다" not in sent.content.decode()
    assert question.conversation.messages.filter(content="그림 없이 다시").exists()


def test_a_refused_edit_keeps_the_files_chosen(logged_in, user, llm_server):
    llm_server.script(Reply(tokens=["하나"]))
    sent_and_answered(logged_in, user, "읽어 줘", upload("a.txt", "파일 내용".encode()))
    question = last_question(user)
    item = question.attachments.get()

    response = logged_in.post(
        f"/chat/messages/{question.pk}/edit/", {"content": "  ", "files_listed": "1"}
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert f'name="keep_file" value="{item.pk}">' in html
    assert f'value="{item.pk}" checked' not in html


def test_older_files_stay_in_the_conversation(logged_in, user, llm_server):
    llm_server.script(Reply(tokens=["하나"]), Reply(tokens=["둘"]))
    reply = sent_and_answered(logged_in, user, "읽어 줘", upload("a.txt", "첫 파일".encode()))

    logged_in.post(f"/chat/{reply.conversation_id}/messages/", {"content": "이어서"})
    finish_reply(Message.objects.filter(role="assistant").latest("pk"))

    second = prompts(llm_server)[1]
    assert "첫 파일" in second[0]["content"]
    assert second[-1]["content"] == "이어서"


def test_too_many_files_are_refused_in_one_sentence(settings, logged_in, user):
    settings.ATTACHMENT_MAX_FILES = 2
    many = [upload(f"{n}.txt", b"x") for n in range(3)]

    response = start(logged_in, "세 파일", *many)

    assert response.status_code == 400
    assert "한 메시지에 파일은 2개까지" in response.content.decode()
    assert not Attachment.objects.exists()


def test_a_file_over_the_limit_is_not_received_and_is_named(settings, logged_in, user):
    settings.ATTACHMENT_MAX_FILE_MB = 1

    response = start(
        logged_in, "큰 파일", upload("big.txt", b"a" * (1024 * 1024 + 10)), upload("ok.txt", b"ok")
    )

    assert response.status_code == 400
    # filesizeformat은 숫자와 단위를 줄바꿈 없는 공백으로 잇는다
    page = response.content.decode().replace("\xa0", " ")
    assert "big.txt: 파일은 1.0 MB까지" in page
    assert list(Attachment.objects.values_list("name", flat=True)) == ["ok.txt"]


def test_a_full_storage_refuses_new_files(settings, logged_in, user):
    settings.ATTACHMENT_USER_STORAGE_MB = 1
    Attachment.objects.create(
        owner=user, name="old.bin", kind="text", size=1024 * 1024, file=f"{user.pk}/old"
    )

    response = start(logged_in, "하나 더", upload("new.txt", b"new"))

    assert response.status_code == 400
    assert "new.txt: " in response.content.decode()
    assert Attachment.objects.filter(owner=user).count() == 1


def test_imported_names_take_no_room(settings, logged_in, user, llm_server):
    # 가져온 ChatGPT 대화의 파일은 이름만 있다: 큰 PDF의 이름이 한도를 채우지 않는다
    settings.ATTACHMENT_USER_STORAGE_MB = 1
    Attachment.objects.create(owner=user, name="교재.pdf", kind="pdf", size=50 * 1024 * 1024)
    llm_server.script(Reply(tokens=["네"]))

    sent_and_answered(logged_in, user, "하나 더", upload("new.txt", b"new"))

    assert last_question(user).attachments.get().name == "new.txt"


def test_a_name_with_a_path_and_control_characters_is_cleaned(logged_in, user, llm_server):
    llm_server.script(Reply(tokens=["네"]))

    sent_and_answered(logged_in, user, "봐 줘", upload("../../etc/pass\x07wd.txt", b"root"))

    name = last_question(user).attachments.get().name
    assert "/" not in name
    assert "\x07" not in name
    assert name.endswith(".txt")


def test_a_send_without_files_asks_nothing_about_files(logged_in, user, llm_server):
    llm_server.script(Reply(tokens=["네"]))
    reply = sent_and_answered(logged_in, user, "그냥 질문")

    assert not last_question(user).has_attachments
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        logged_in.get(f"/chat/{reply.conversation_id}/")
    assert not any("chat_attachment" in query["sql"] for query in queries.captured_queries)


HOSTILE = [
    ("bomb.docx", files.docx_bomb, "압축을 풀면 너무 큰 파일"),
    ("bomb.png", files.png_bomb, "압축을 풀면 너무 큰 파일"),
    ("broken.pdf", files.broken_pdf_garbage, "손상된 것 같아"),
    ("binary.txt", files.binary_bytes, "이 파일은 그중 어느 것도 아닙니다"),
    ("empty.txt", lambda: b"", "빈 파일입니다"),
]


@pytest.mark.parametrize(("name", "maker", "reason"), HOSTILE, ids=[row[0] for row in HOSTILE])
def test_a_hostile_file_is_refused_with_its_reason_and_nothing_is_kept(
    logged_in, user, llm_server, name, maker, reason
):
    response = start(logged_in, "이것 좀 봐 줘", upload(name, maker()))

    assert response.status_code == 400
    page = response.content.decode()
    assert f"{name}: " in page
    assert reason in page
    assert "이것 좀 봐 줘" in page
    assert not Attachment.objects.exists()
    assert prompts(llm_server) == []


def test_a_thousands_of_pages_pdf_is_read_in_part_and_says_so(logged_in, user, llm_server):
    llm_server.script(Reply(tokens=["네"]))

    sent_and_answered(logged_in, user, "요약", upload("book.pdf", files.make_pdf(3000, "Chapter")))

    attachment = last_question(user).attachments.get()
    assert attachment.text_truncated
    assert attachment.pages == 3000
    page = logged_in.get(f"/chat/{attachment.message.conversation_id}/").content.decode()
    assert "앞부분만 읽었습니다" in page


@pytest.mark.parametrize("maker", [files.polyglot_png, files.polyglot_gif])
def test_a_polyglot_image_is_never_served_as_html(logged_in, user, vision, maker):
    vision.script(Reply(tokens=["그림"]))
    sent_and_answered(logged_in, user, "봐 줘", upload("trick.html", maker()))
    attachment = last_question(user).attachments.get()
    assert attachment.kind == "image"

    original = logged_in.get(f"/chat/files/{attachment.pk}/")
    preview = logged_in.get(f"/chat/files/{attachment.pk}/preview/")
    thumbnail = logged_in.get(f"/chat/files/{attachment.pk}/preview/?size=thumb")

    assert original["Content-Type"] == "application/octet-stream"
    assert original["Content-Disposition"].startswith("attachment;")
    for response in (original, preview, thumbnail):
        assert response.status_code == 200
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response["Content-Security-Policy"]
    # 다시 그린 그림에는 덧붙은 HTML이 없다
    for response in (preview, thumbnail):
        assert response["Content-Type"] in ("image/png", "image/jpeg")
        assert b"<script" not in response.content


def test_a_korean_name_downloads_under_its_own_name(logged_in, user, llm_server):
    llm_server.script(Reply(tokens=["네"]))
    sent_and_answered(logged_in, user, "봐 줘", upload("과제 1.py", b"print(1)"))
    attachment = last_question(user).attachments.get()

    response = logged_in.get(f"/chat/files/{attachment.pk}/")

    assert response.content == b"print(1)"
    assert "filename*=UTF-8''%EA%B3%BC%EC%A0%9C%201.py" in response["Content-Disposition"]


def test_files_over_the_message_limit_are_not_received_and_say_so(settings, logged_in, user):
    settings.ATTACHMENT_MAX_FILE_MB = 1
    settings.ATTACHMENT_MAX_MESSAGE_MB = 1
    half = b"a" * (600 * 1024)

    response = start(logged_in, "두 파일", upload("one.txt", half), upload("two.txt", half))

    assert response.status_code == 400
    page = response.content.decode().replace("\xa0", " ")
    assert "한 메시지의 파일은 모두 합해 1.0 MB까지" in page
    assert "두 파일" in page
    assert not Attachment.objects.exists()


def test_a_file_missing_from_storage_is_404_not_500(logged_in, user, llm_server):
    # 호스트마다 제 디스크에 둔 배포에서 다른 호스트가 받은 파일을 열 때
    llm_server.script(Reply(tokens=["네"]))
    sent_and_answered(logged_in, user, "봐 줘", upload("a.txt", b"text"))
    attachment = last_question(user).attachments.get()
    from chat.attachments.models import attachment_storage

    attachment_storage().delete(attachment.file.name)

    assert logged_in.get(f"/chat/files/{attachment.pk}/").status_code == 404


@pytest.mark.parametrize("forged", ["²", "99999999999999999999999", "-1", "abc"])
def test_a_forged_kept_id_is_ignored_not_a_500(logged_in, user, llm_server, forged):
    llm_server.script(Reply(tokens=["네"]))

    response = start(logged_in, "질문", kept=[forged])

    assert response.status_code == 302


def test_a_forged_kept_id_without_text_is_asked_for_text(logged_in, user, other_user):
    theirs = Attachment.objects.create(owner=other_user, name="x.txt", kind="text", text="x")

    response = start(logged_in, "", kept=[theirs.pk])

    assert response.status_code == 400
    assert "메시지를 입력해 주세요." in response.content.decode()
    assert not Message.objects.filter(conversation__owner=user).exists()


def test_deeply_nested_json_is_read_as_text(logged_in, user, llm_server):
    llm_server.script(Reply(tokens=["네"]))

    sent_and_answered(logged_in, user, "봐 줘", upload("deep.json", b"[" * 200_000))

    assert last_question(user).attachments.get().content_type == "text/plain"


def test_a_zip_with_a_broken_directory_is_refused_as_damaged(logged_in, user):
    data = bytearray(files.make_docx(["문단"]))
    central = data.index(b"PK\x01\x02")
    # 중앙 디렉터리 첫 항목의 "필요한 판"을 모르는 값으로
    data[central + 6] = 0xFF

    response = start(logged_in, "봐 줘", upload("broken.docx", bytes(data)))

    assert response.status_code == 400
    assert "손상된 것 같아" in response.content.decode()


def test_an_imported_image_name_does_not_block_edit_on_a_model_without_sight(
    logged_in, user, llm_server
):
    llm_server.script(Reply(tokens=["네"]))
    reply = sent_and_answered(logged_in, user, "그림 설명")
    question = last_question(user)
    Message.objects.filter(pk=question.pk).update(has_attachments=True)
    Attachment.objects.create(owner=user, message=question, name="image.png", kind="image")
    llm_server.script(Reply(tokens=["고친 답"]))

    response = logged_in.post(
        f"/chat/messages/{question.pk}/edit/", {"content": "고친 질문"}, headers=HTMX
    )

    assert response.status_code == 200
    assert "그림을 읽지 못합니다" not in response.content.decode()
    assert reply.conversation.messages.filter(content="고친 질문").exists()


def test_a_missing_preview_sends_a_note_instead_of_failing_every_reply(logged_in, user, vision):
    from chat.attachments.models import attachment_storage

    vision.script(Reply(tokens=["그림"]))
    reply = sent_and_answered(logged_in, user, "봐 줘", upload("a.png", files.make_png()))
    attachment_storage().delete(last_question(user).attachments.get().preview.name)

    logged_in.post(f"/chat/{reply.conversation_id}/messages/", {"content": "이어서"})
    later = Message.objects.filter(role="assistant").latest("pk")
    finish_reply(later)

    later.refresh_from_db()
    assert later.status == Message.Status.DONE
    second = prompts(vision)[1]
    assert "this model does not read images" in second[0]["content"]


def test_code_that_does_not_fit_is_cut_by_tokens_not_characters(
    settings, logged_in, user, llm_server
):
    # ASCII는 4글자에 1토큰으로 센다: 글자 수로 자르면 남은 자리의 4분의 1만 썼다
    settings.LLM_CONTEXT_TOKENS = 2000
    settings.LLM_REPLY_TOKENS = 500
    llm_server.script(Reply(tokens=["네"]))

    sent_and_answered(logged_in, user, "봐 줘", upload("big.py", b"x = 1\n" * 5000))

    content = prompts(llm_server)[0][-1]["content"]
    kept = content.count("x = 1")
    assert 1400 * 4 // 6 < kept < 1500 * 4 // 6


def test_kept_files_count_toward_the_message_limits(settings, logged_in, user, llm_server):
    # 거절된 양식을 세 번 거치면 받아 둔 파일이 여섯: 그래도 한 메시지에는 둘까지
    settings.ATTACHMENT_MAX_FILES = 2
    settings.MAX_MESSAGE_CHARS = 10
    for round in range(3):
        refused = start(
            logged_in, "x" * 50, upload(f"a{round}.txt", b"a"), upload(f"b{round}.txt", b"b")
        )
        assert refused.status_code == 400
    kept = list(Attachment.objects.staged_by(user).values_list("pk", flat=True))
    assert len(kept) == 6

    response = start(logged_in, "짧게", kept=kept)

    assert response.status_code == 400
    page = response.content.decode()
    assert "한 메시지에 파일은 2개까지" in page
    assert "짧게</textarea>" in page
    assert not Message.objects.filter(role="user").exists()
    assert Attachment.objects.staged_by(user).count() == 6


def test_kept_files_count_toward_the_message_size(settings, logged_in, user):
    settings.ATTACHMENT_MAX_MESSAGE_MB = 1
    settings.MAX_MESSAGE_CHARS = 10
    big = b"a" * 700_000 + b"\n"
    assert start(logged_in, "x" * 50, upload("a.txt", big)).status_code == 400
    kept = list(Attachment.objects.staged_by(user).values_list("pk", flat=True))

    response = start(logged_in, "짧게", upload("b.txt", big), kept=kept)

    assert response.status_code == 400
    assert "한 메시지의 파일은 모두 합해" in response.content.decode()
    assert not Message.objects.filter(role="user").exists()


def test_a_file_sent_in_another_tab_is_refused_not_claimed(user, llm_server):
    from chat.attachments import services as attachments
    from chat.services import ChatRefused, message_post
    from tests.support.factories import make_conversation

    first, second = make_conversation(user, messages=2), make_conversation(user, messages=2)
    staged = attachments.attachment_stage(user=user, upload=upload("n.txt", b"note"))
    # 두 탭이 같은 받아 둔 파일을 들고 있다
    tab_one = attachments.staged(user, [str(staged.pk)])
    tab_two = attachments.staged(user, [str(staged.pk)])
    message_post(conversation=first, user=user, content="하나", files=tab_one)

    with pytest.raises(ChatRefused) as refused:
        message_post(conversation=second, user=user, content="둘", files=tab_two)

    assert refused.value.code == "files_gone"
    assert not Message.objects.filter(content="둘").exists()
    staged.refresh_from_db()
    assert staged.message.content == "하나"


def test_a_kept_file_older_than_a_day_is_not_deleted_by_its_own_send(logged_in, user, llm_server):
    import datetime

    from django.utils import timezone

    from chat.attachments import services as attachments

    old = attachments.attachment_stage(user=user, upload=upload("old.txt", b"old"))
    Attachment.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=2)
    )

    sent_and_answered(logged_in, user, "둘 다", upload("new.txt", b"new"), kept=[old.pk])

    names = sorted(last_question(user).attachments.values_list("name", flat=True))
    assert names == ["new.txt", "old.txt"]


def test_a_storage_failure_is_a_refusal_that_keeps_the_text(logged_in, user, monkeypatch):
    from chat.attachments.models import attachment_storage

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(type(attachment_storage()), "save", disk_full)

    response = start(logged_in, "내 긴 글", upload("a.txt", b"hello"))

    assert response.status_code == 400
    page = response.content.decode()
    assert "a.txt: 지금은 파일을 저장할 수 없습니다" in page
    assert "내 긴 글</textarea>" in page
    assert not Attachment.objects.exists()


def test_a_storage_quota_is_checked_again_after_the_file_is_stored(settings, user, monkeypatch):
    # 두 탭이 동시에 올려 앞의 검사를 함께 지난 경우: 나중에 저장한 쪽이 거절된다
    from chat.attachments import services as attachments

    settings.ATTACHMENT_USER_STORAGE_MB = 1
    first = attachments.attachment_stage(user=user, upload=upload("a.txt", b"a" * 600_000))
    real_size = Attachment.objects.owned_size
    seen = []

    def before_the_other_tab_stored(owner):
        # 첫 검사에는 다른 탭의 파일이 아직 없었다
        seen.append(owner)
        return real_size(owner) - (first.size if len(seen) == 1 else 0)

    monkeypatch.setattr(Attachment.objects, "owned_size", before_the_other_tab_stored)

    with pytest.raises(attachments.AttachmentRefused) as refused:
        attachments.attachment_stage(user=user, upload=upload("b.txt", b"b" * 600_000))

    assert refused.value.code == "storage_full"
    assert list(Attachment.objects.values_list("name", flat=True)) == ["a.txt"]


def test_an_image_reaches_the_model_that_answers_when_the_stored_one_was_removed(
    settings, user, vision
):
    # 대화의 모델이 설정에서 빠지면 대신 쓰는 모델(fake-model, 그림을 읽는다)이 답한다: 그 모델에 그림을 보낸다
    from chat.attachments import services as attachments
    from chat.context import build_context
    from chat.services import message_post
    from tests.support.factories import make_conversation

    conversation = make_conversation(user, messages=2)
    Conversation.objects.filter(pk=conversation.pk).update(model="retired-model")
    conversation.refresh_from_db()
    picture = attachments.attachment_stage(user=user, upload=upload("p.png", files.make_png()))

    sent = message_post(conversation=conversation, user=user, content="봐", files=[picture])

    context = build_context(Message.objects.get(pk=sent.reply.pk))
    parts = context.messages[-1]["content"]
    assert isinstance(parts, list)
    assert any(part["type"] == "image_url" for part in parts)
