"""첨부 저장소의 약속: 로컬 디스크와 S3 호환 서버(moto_server) 둘 다에서 저장하고, 내려받고, 행이 모두 지워지면 커밋 뒤에
파일도 지운다. 그리고 누가 내려받을 수 있나: 주인, 관리자(열람 기록), 반의 강사만.

S3 쪽은 서버를 띄우므로 live이고 SQLite로 도는 실행에서만 돈다 (tests/support/s3.py).
"""

import datetime
import io
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db.models.signals import post_delete
from django.urls import reverse
from django.utils import timezone

from accounts.models import Course, Membership, User
from chat.attachments.models import Attachment
from chat.attachments.services import attach, attachment_stage, copy
from chat.models import Conversation, Message
from chat.services import conversation_delete
from core.audit import Action, events_about
from tests.support import files, s3
from tests.support.factories import STAFF_PASSWORD, add_message, make_conversation
from tests.support.s3 import moto_server, s3_bucket  # noqa: F401 (픽스처)

CODE = "def 인사():\n    return '안녕하세요'\n".encode()


class LocalStore:
    """디스크의 폴더를 Django를 거치지 않고 본다."""

    def __init__(self, root: Path):
        self.root = root

    def names(self) -> set[str]:
        return {
            path.relative_to(self.root).as_posix()
            for path in self.root.rglob("*")
            if path.is_file()
        }

    def read(self, name: str) -> bytes:
        return (self.root / name).read_bytes()


class BucketStore:
    """버킷을 boto3로 따로 본다."""

    def __init__(self, endpoint_url: str, bucket: str):
        self.endpoint_url = endpoint_url
        self.bucket = bucket

    def names(self) -> set[str]:
        return s3.stored_keys(self.endpoint_url, self.bucket)

    def read(self, name: str) -> bytes:
        found = s3.client(self.endpoint_url).get_object(Bucket=self.bucket, Key=name)
        return found["Body"].read()


@pytest.fixture
def local_store(settings, tmp_path):
    """첨부 저장소를 이 테스트의 빈 폴더로."""
    root = tmp_path / "attachments"
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root), "base_url": None},
        },
    }
    return LocalStore(root)


@pytest.fixture(params=["local", pytest.param("s3", marks=[pytest.mark.live, s3.sqlite_pass_only])])
def store(request):
    """같은 시험을 로컬 디스크와 S3 호환 서버에서."""
    if request.param == "local":
        return request.getfixturevalue("local_store")
    bucket = request.getfixturevalue("s3_bucket")
    return BucketStore(request.getfixturevalue("moto_server"), bucket)


def upload(name: str = "인사.py", data: bytes = CODE) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def sent(owner, *uploads, title: str = "파일 질문") -> Message:
    """파일을 붙여 보낸 질문과 그 답변이 든 대화. 질문을 준다."""
    conversation = make_conversation(owner, title=title)
    question = add_message(conversation=conversation, role="user", content="이 파일 봐 줘")
    attach(
        message=question,
        attachments=[attachment_stage(user=owner, upload=item) for item in uploads],
    )
    add_message(conversation=conversation, role="assistant", content="봤어요.", model="fake-model")
    return question


def download_url(attachment) -> str:
    return reverse("chat:attachment", args=[attachment.pk])


def preview_url(attachment, size: str = "") -> str:
    url = reverse("chat:attachment-preview", args=[attachment.pk])
    return f"{url}?size={size}" if size else url


# ---------------------------------------------------------------- 저장소 (로컬, S3)


def test_a_staged_file_is_stored_and_reads_back(store, user):
    attachment = attachment_stage(user=user, upload=upload())

    assert attachment.message is None
    assert store.names() == {attachment.file.name}
    assert store.read(attachment.file.name) == CODE
    with storages["attachments"].open(attachment.file.name, "rb") as handle:
        assert handle.read() == CODE


def test_an_image_is_stored_with_its_preview_and_thumbnail(store, user):
    attachment = attachment_stage(user=user, upload=upload("화면.png", files.make_png(800, 600)))

    assert attachment.is_image
    assert store.names() == set(attachment.stored_names)
    assert len(attachment.stored_names) == 3


def test_the_owner_downloads_the_file_as_an_attachment(store, logged_in, user):
    question = sent(user, upload("보고서.txt", CODE))
    attachment = question.attachments.get()

    response = logged_in.get(download_url(attachment))

    assert response.status_code == 200
    assert response.content == CODE
    assert response["Content-Disposition"].startswith("attachment; ")
    assert "filename*=UTF-8''%EB%B3%B4%EA%B3%A0%EC%84%9C.txt" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/octet-stream"


def test_the_owner_sees_the_redrawn_picture_and_its_thumbnail(store, logged_in, user):
    question = sent(user, upload("화면.png", files.make_png(800, 600)))
    attachment = question.attachments.get()

    picture = logged_in.get(preview_url(attachment))
    thumbnail = logged_in.get(preview_url(attachment, "thumb"))

    assert picture.status_code == 200
    assert picture.content == store.read(attachment.preview.name)
    assert thumbnail.content == store.read(attachment.thumbnail.name)
    assert picture["X-Content-Type-Options"] == "nosniff"
    assert picture["Content-Type"] in ("image/jpeg", "image/png")


def test_deleting_the_conversation_deletes_its_files_after_commit(
    store, user, django_capture_on_commit_callbacks
):
    question = sent(user, upload(), upload("화면.png", files.make_png()))
    kept = sent(user, upload("남길 것.txt", b"keep me"), title="남는 대화")
    kept_names = {kept.attachments.get().file.name}
    stored = store.names()
    # 글 파일 둘과 그림 하나 (원본, 줄인 그림, 작은 그림)
    assert len(stored) == 5

    with django_capture_on_commit_callbacks() as callbacks:
        conversation_delete(conversation=question.conversation)
    # 커밋 전에는 그대로: 되돌려진 지우기가 파일을 잃지 않는다
    assert store.names() == stored

    for callback in callbacks:
        callback()
    assert store.names() == kept_names


def test_a_file_shared_by_an_edited_question_stays_until_its_last_row_goes(
    store, logged_in, user, django_capture_on_commit_callbacks
):
    question = sent(user, upload())
    edited = Message.objects.create(
        conversation=question.conversation, parent=question.parent, role="user", content="고친 질문"
    )
    copy(items=question.attachment_list, message=edited)
    name = question.attachments.get().file.name
    shared = edited.attachments.get()
    assert shared.file.name == name

    with django_capture_on_commit_callbacks(execute=True):
        question.delete()
    assert store.names() == {name}
    assert logged_in.get(download_url(shared)).content == CODE

    with django_capture_on_commit_callbacks(execute=True):
        edited.delete()
    assert store.names() == set()


def test_purging_old_conversations_deletes_their_files(
    store, user, django_capture_on_commit_callbacks
):
    question = sent(user, upload(), upload("화면.png", files.make_png()))
    fresh = sent(user, upload("새것.txt", b"fresh"), title="새 대화")
    Conversation.objects.filter(pk=question.conversation_id).update(
        updated_at=timezone.now() - datetime.timedelta(days=40)
    )
    out = io.StringIO()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("purge_conversations", "--older-than", "30", stdout=out)

    assert store.names() == {fresh.attachments.get().file.name}
    assert not Attachment.objects.filter(pk__in=question.attachments.values("pk")).exists()
    # 지운 메시지 수는 메시지만 센다 (첨부 행은 세지 않는다)
    assert "Deleted 1 conversations with 2 messages" in out.getvalue()


def test_purging_does_not_read_the_extracted_text(local_store, user):
    sent(user, upload(), upload("둘째.txt", b"second"))
    Conversation.objects.update(updated_at=timezone.now() - datetime.timedelta(days=40))
    loaded = []

    def spy(sender, instance, **kwargs):
        loaded.append("text" in instance.get_deferred_fields())

    # 파일 지우기 신호 때문에 Django는 지울 행을 읽어 온다: 파일마다 ATTACHMENT_TEXT_CHARS자까지의 글은 빼고
    post_delete.connect(spy, sender=Attachment)
    try:
        call_command("purge_conversations", "--older-than", "30", stdout=io.StringIO())
    finally:
        post_delete.disconnect(spy, sender=Attachment)

    assert loaded == [True, True]
    assert not Attachment.objects.exists()


def test_deleting_a_user_deletes_their_files_and_no_one_elses(
    store, user, other_user, django_capture_on_commit_callbacks
):
    sent(user, upload())
    attachment_stage(user=user, upload=upload("보내지 않은 것.txt", b"staged"))
    theirs = sent(other_user, upload("남의 것.txt", b"theirs"))

    with django_capture_on_commit_callbacks(execute=True):
        User.objects.get(pk=user.pk).delete()

    assert store.names() == {theirs.attachments.get().file.name}


# ---------------------------------------------------------------- 누가 내려받나 (저장소와 관계없다)


@pytest.fixture
def picture(local_store, user):
    """학생 minji가 그림을 붙여 보낸 질문의 첨부."""
    return sent(user, upload("화면.png", files.make_png())).attachments.get()


def all_urls(attachment) -> list[str]:
    return [download_url(attachment), preview_url(attachment), preview_url(attachment, "thumb")]


def test_another_user_gets_404_for_every_url(client, other_user, picture):
    client.force_login(other_user)

    assert [client.get(url).status_code for url in all_urls(picture)] == [404, 404, 404]


def test_anonymous_is_sent_to_the_login_page(client, picture):
    response = client.get(download_url(picture))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert client.get(preview_url(picture)).status_code == 302


def test_a_forged_id_is_404(logged_in, other_user, picture, local_store):
    staged_by_someone_else = attachment_stage(user=other_user, upload=upload())

    assert logged_in.get(reverse("chat:attachment", args=[picture.pk + 1000])).status_code == 404
    assert logged_in.get(download_url(staged_by_someone_else)).status_code == 404


def test_the_owner_loses_the_file_with_a_hidden_conversation(logged_in, picture):
    Conversation.objects.filter(pk=picture.message.conversation_id).update(is_hidden=True)

    assert logged_in.get(download_url(picture)).status_code == 404


def test_the_owner_opening_the_file_records_nothing(logged_in, picture):
    logged_in.get(download_url(picture))

    assert not events_about(picture.message.conversation).exists()


def test_staff_who_may_read_conversations_download_and_it_is_recorded(client, picture):
    staff = User.objects.create_user(username="admin1", password=STAFF_PASSWORD, is_staff=True)
    staff.user_permissions.add(
        Permission.objects.get(content_type__app_label="chat", codename="view_conversation")
    )
    client.force_login(staff)

    response = client.get(download_url(picture))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment; ")
    conversation = picture.message.conversation
    viewed = events_about(conversation).filter(action=Action.CONVERSATION_VIEWED, actor=staff)
    assert viewed.count() == 1


def test_staff_without_the_permission_get_404(client, picture):
    staff = User.objects.create_user(username="admin2", password=STAFF_PASSWORD, is_staff=True)
    client.force_login(staff)

    assert client.get(download_url(picture)).status_code == 404


def teacher_of(conversation, name: str, *, member: bool = True) -> User:
    """그 대화를 그 반의 것으로 삼은 새 반의 강사. member면 대화의 주인이 반에 있다 (강사가 읽는 조건)."""
    teacher = User.objects.create_user(username=name, password=STAFF_PASSWORD)
    course = Course.objects.create(name=f"{name}의 반")
    course.instructors.add(teacher)
    if conversation is not None:
        Conversation.objects.filter(pk=conversation.pk).update(course=course)
        if member:
            Membership.objects.create(course=course, user=conversation.owner)
    return teacher


def test_a_student_who_left_the_class_keeps_their_files_from_its_instructor(
    client, picture, settings
):
    # 반의 대화 화면이 404인 것(chat.teaching.class_conversations)과 같다
    settings.CLASS_INSTRUCTORS_CAN_READ = True
    teacher = teacher_of(picture.message.conversation, "teacher", member=False)
    client.force_login(teacher)

    assert [client.get(url).status_code for url in all_urls(picture)] == [404, 404, 404]


def test_the_class_instructor_downloads_and_it_is_recorded(client, picture, settings):
    settings.CLASS_INSTRUCTORS_CAN_READ = True
    conversation = picture.message.conversation
    teacher = teacher_of(conversation, "teacher")
    client.force_login(teacher)

    assert [client.get(url).status_code for url in all_urls(picture)] == [200, 200, 200]
    viewed = events_about(conversation).filter(action=Action.CONVERSATION_VIEWED, actor=teacher)
    assert viewed.count() == 1


def test_an_instructor_of_another_class_gets_404(client, picture, settings):
    settings.CLASS_INSTRUCTORS_CAN_READ = True
    teacher_of(picture.message.conversation, "teacher")
    stranger = teacher_of(None, "elsewhere")
    client.force_login(stranger)

    assert [client.get(url).status_code for url in all_urls(picture)] == [404, 404, 404]


def test_the_class_instructor_gets_404_when_instructors_may_not_read(client, picture, settings):
    settings.CLASS_INSTRUCTORS_CAN_READ = False
    teacher = teacher_of(picture.message.conversation, "teacher")
    client.force_login(teacher)

    assert client.get(download_url(picture)).status_code == 404


def test_the_daily_purge_deletes_files_that_were_never_sent(user, other_user):
    # 거절된 보내기가 받아 둔 파일: 그 사람이 다시 올리지 않아도 사라진다 (하루 뒤)
    old = attachment_stage(user=user, upload=SimpleUploadedFile("old.txt", b"old"))
    fresh = attachment_stage(user=other_user, upload=SimpleUploadedFile("new.txt", b"new"))
    Attachment.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=2)
    )
    out = io.StringIO()

    call_command("purge_conversations", "--older-than", "30", stdout=out)

    assert list(Attachment.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert "and 1 files that were never sent." in out.getvalue()
