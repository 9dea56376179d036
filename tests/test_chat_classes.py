"""반 안의 학생이 채팅에서 겪는 것: 하루 한도의 앞뒤, 기간, 고를 수 있는 모델, 프리셋, 공지, 대화가 속한 반."""

import datetime
import json

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import courses, usage
from accounts.models import Course, DailyUsage, Membership, Preset, User
from chat import moderation
from chat.models import Conversation
from chat.services import ChatRefused, RefusalCode, conversation_start
from tests.support.factories import STAFF_PASSWORD, last_reply, make_conversation
from tests.support.fake_openai import Reply
from tests.support.sse import finish_reply

HTMX = {"HX-Request": "true"}
HIDDEN_PROMPT = "비밀 지시: 답을 바로 알려 주지 말고 질문으로 이끌어라."


def course_for(user, name="1반", **fields) -> Course:
    """user가 든 반."""
    course = Course.objects.create(name=name, **fields)
    Membership.objects.create(course=course, user=user)
    courses.standing_forget(user)
    return course


def days(n: int) -> datetime.date:
    return usage.today() + datetime.timedelta(days=n)


def spend(user, tokens):
    usage.usage_record(
        user_id=user.pk,
        model="fake-model",
        prompt_tokens=tokens,
        completion_tokens=0,
        estimated=False,
    )


def send(client, conversation, text="질문", **extra):
    """htmx 보내기 (생성은 시작하지 않는다: 테스트의 트랜잭션은 커밋되지 않는다)."""
    return client.post(
        f"/chat/{conversation.pk}/messages/", {"content": text, **extra}, headers=HTMX
    )


def refusal_code(user, conversation) -> str | None:
    from chat.services import message_post

    courses.standing_forget(user)
    # 받아들인 보내기는 되돌린다: 대기 중인 답변이 다음 확인을 막지 않게
    try:
        with transaction.atomic():
            message_post(conversation=conversation, user=user, content="질문")
            raise Accepted
    except ChatRefused as refused:
        return refused.code
    except Accepted:
        return None


class Accepted(Exception):
    """refusal_code가 받아들인 보내기를 되돌리려고 던진다."""


@pytest.fixture
def two_models(settings):
    """모델이 둘인 사이트. 보내지 않는 테스트라 서버는 띄우지 않는다 (거절과 htmx 보내기는 모델을 부르지 않는다)."""
    settings.OPENAI_API_KEY = "test-key"
    settings.OPENAI_BASE_URL = "http://127.0.0.1:9/v1"
    settings.OPENAI_MODEL = "fake-model"
    settings.OPENAI_MODELS = ["fake-model", "fake-large"]


# ---------------------------------------------------------------- 하루 한도


def test_quota_precedence_person_then_most_generous_open_class_then_site(user, settings):
    settings.DAILY_TOKEN_QUOTA = 1000
    conversation = make_conversation(user)
    spend(user, 1500)
    # 반이 없다: 사이트의 1000에 닿았다
    assert refusal_code(user, conversation) == RefusalCode.QUOTA_REACHED

    # 넉넉한 반이 이긴다
    course_for(user, "작은 반", daily_token_quota=500)
    course_for(user, "큰 반", daily_token_quota=3000)
    assert refusal_code(user, conversation) is None
    DailyUsage.objects.all().delete()
    spend(user, 3000)
    assert refusal_code(user, conversation) == RefusalCode.QUOTA_REACHED

    # 0은 제한 없음이라 가장 넉넉하다
    course_for(user, "무제한 반", daily_token_quota=0)
    assert refusal_code(user, conversation) is None

    # 그 사람의 한도가 반을 이긴다
    User.objects.filter(pk=user.pk).update(daily_token_quota=100)
    user.refresh_from_db()
    assert refusal_code(user, conversation) == RefusalCode.QUOTA_REACHED


def test_a_class_without_quota_gives_the_site_default_and_an_ended_class_no_longer_counts(
    user, settings
):
    settings.DAILY_TOKEN_QUOTA = 1000
    conversation = make_conversation(user)
    spend(user, 1200)
    course_for(user, "한도 없는 반")
    assert refusal_code(user, conversation) == RefusalCode.QUOTA_REACHED

    course_for(user, "끝난 큰 반", daily_token_quota=5000, ends_on=days(-1))
    assert refusal_code(user, conversation) == RefusalCode.QUOTA_REACHED

    course_for(user, "지금 큰 반", daily_token_quota=5000)
    assert refusal_code(user, conversation) is None


# ---------------------------------------------------------------- 기간


@pytest.mark.parametrize("dates", [{"starts_on": 1}, {"ends_on": -1}])
def test_outside_the_dates_every_writing_path_is_refused_with_its_code(logged_in, user, dates):
    course_for(user, **{name: days(n) for name, n in dates.items()})
    conversation = make_conversation(user, messages=2)
    reply = last_reply(conversation)
    question = conversation.messages.earliest("pk")

    responses = [
        logged_in.post("/chat/", {"content": "새 대화", "model": "daehwa-demo"}),
        logged_in.post(f"/chat/{conversation.pk}/messages/", {"content": "질문"}),
        logged_in.post(f"/chat/replies/{reply.pk}/regenerate/"),
        logged_in.post(f"/chat/messages/{question.pk}/edit/", {"content": "고친 질문"}),
    ]

    assert [response.status_code for response in responses] == [403] * 4
    assert Conversation.objects.count() == 1
    assert conversation.messages.count() == 2
    with pytest.raises(ChatRefused) as refused:
        conversation_start(user=user, content="새 대화", model="daehwa-demo")
    assert refused.value.code == RefusalCode.CLASS_CLOSED


def test_a_closed_class_page_shows_the_sentence_and_no_composer(english, user):
    course_for(user, "Evening class", ends_on=datetime.date(2026, 1, 31))
    english.force_login(user)
    conversation = make_conversation(user, messages=2)

    detail = english.get(f"/chat/{conversation.pk}/").content.decode()
    start = english.get("/chat/").content.decode()

    for page in (detail, start):
        assert "Your class “Evening class” ended on" in page
        assert 'id="composer-send"' not in page
        assert 'name="content"' not in page
    # 다시 생성과 고치기 단추도 없다 (읽기만 한다)
    assert "regenerate-button" not in detail
    assert "edit-link" not in detail
    assert "메시지 0" in detail


def test_a_refused_htmx_send_replaces_the_composer_with_the_sentence(english, user):
    conversation = make_conversation(user)
    english.force_login(user)
    course_for(user, "Evening class", ends_on=days(-1))

    response = send(english, conversation)

    html = response.content.decode()
    assert 'id="composer" class="closed-notice"' in html
    assert "Your class “Evening class” ended on" in html


def test_the_new_chat_page_says_whose_class_the_conversation_joins(english, user, settings):
    # 첫 메시지를 보내기 전에: 어느 반의 대화가 되는지, 강사가 읽을 수 있는지
    english.force_login(user)
    assert "class-for-new" not in english.get("/chat/").content.decode()

    course_for(user, "Evening class")
    can_read = english.get("/chat/").content.decode()
    settings.CLASS_INSTRUCTORS_CAN_READ = False
    private = english.get("/chat/").content.decode()

    assert "belongs to your class “Evening class”" in can_read
    assert "its instructors can read it" in can_read
    assert "Its instructors see your usage, not your conversations." in private
    assert "can read it" not in private


def test_the_new_chat_page_of_an_ended_class_has_no_class_sentence(english, user):
    course_for(user, "Evening class", ends_on=days(-1))
    english.force_login(user)

    assert "class-for-new" not in english.get("/chat/").content.decode()


@pytest.mark.parametrize("htmx", [True, False])
def test_a_send_refused_for_a_closed_class_keeps_the_typed_text(english, user, htmx):
    # 반이 끝난 것을 모르고 길게 쓴 학생: 입력창 대신 까닭이 보여도 쓴 글은 복사할 수 있게 남는다
    conversation = make_conversation(user)
    english.force_login(user)
    course_for(user, "Evening class", ends_on=days(-1))
    typed = "과제 3번 <풀이>를 길게 썼다"
    headers = HTMX if htmx else {}

    sent = english.post(f"/chat/{conversation.pk}/messages/", {"content": typed}, headers=headers)
    started = english.post("/chat/", {"content": typed, "model": "daehwa-demo"}, headers=headers)

    for response in (sent, started):
        html = response.content.decode()
        assert response.status_code == (200 if htmx else 403)  # htmx는 2xx만 바꿔 끼운다
        assert "Your class “Evening class” ended on" in html
        assert "Your message was not sent" in html
        assert "과제 3번 &lt;풀이&gt;를 길게 썼다</textarea>" in html
        assert "readonly" in html
        assert "endcomment" not in html
        assert "복사해 둘 수" not in html
    assert conversation.messages.count() == 0


def test_a_member_of_one_ended_and_one_open_class_can_send(logged_in, user):
    course_for(user, "끝난 반", ends_on=days(-3))
    course_for(user, "지금 반", starts_on=days(-3), ends_on=days(3))
    conversation = make_conversation(user)

    assert send(logged_in, conversation).status_code == 200
    assert conversation.messages.count() == 2


# ---------------------------------------------------------------- 모델


def test_the_pickers_show_only_the_allowed_models(logged_in, user, two_models):
    course_for(user, allowed_models=["fake-large"])
    conversation = make_conversation(user)
    conversation.model = "fake-large"
    conversation.save()

    start = logged_in.get("/chat/").content.decode()
    detail = logged_in.get(f"/chat/{conversation.pk}/").content.decode()

    assert 'value="fake-large"' in start
    assert 'value="fake-model"' not in start
    assert 'value="fake-model"' not in detail


def test_a_forged_model_is_refused_on_the_header_and_at_the_start(logged_in, user, two_models):
    from chat.forms import ConversationModelForm, ConversationStartForm

    course_for(user, allowed_models=["fake-large"])
    conversation = make_conversation(user)

    header = logged_in.post(
        f"/chat/{conversation.pk}/model/", {"model": "fake-model"}, headers=HTMX
    )
    start = logged_in.post("/chat/", {"content": "새 대화", "model": "fake-model"})

    assert "model-error" in header.content.decode()
    assert start.status_code == 400
    assert Conversation.objects.count() == 1
    form = ConversationModelForm({"model": "fake-model"}, conversation=conversation, user=user)
    assert form.has_error("model", "model_not_allowed")
    form = ConversationStartForm({"content": "글", "model": "fake-model"}, user=user)
    assert form.has_error("model", "model_not_allowed")


def test_a_send_with_a_model_the_class_no_longer_allows_is_refused(english, user, two_models):
    conversation = make_conversation(user)  # fake-model
    course_for(user, allowed_models=["fake-large"])
    english.force_login(user)

    response = english.post(f"/chat/{conversation.pk}/messages/", {"content": "질문"})
    page = english.get(f"/chat/{conversation.pk}/").content.decode()

    assert response.status_code == 409
    assert "Choose another model" in response.content.decode()
    assert not conversation.messages.exists()
    assert refusal_code(user, conversation) == RefusalCode.MODEL_NOT_ALLOWED
    # 머리글이 고르라고 말하고, 고를 수 있는 모델을 보인다
    assert "Your class no longer allows fake-model" in page
    assert 'value="fake-large"' in page

    english.post(f"/chat/{conversation.pk}/model/", {"model": "fake-large"})
    assert send(english, conversation).status_code == 200


def test_a_class_whose_models_all_left_the_site_says_to_tell_the_instructor(
    english, user, two_models
):
    conversation = make_conversation(user)
    course_for(user, allowed_models=["retired-model"])
    english.force_login(user)

    response = english.post(f"/chat/{conversation.pk}/messages/", {"content": "질문"})

    assert response.status_code == 409
    assert "tell your instructor" in response.content.decode()
    assert refusal_code(user, conversation) == RefusalCode.MODEL_NOT_ALLOWED


def test_allowed_models_are_the_union_of_open_classes_and_an_empty_list_allows_all(
    user, two_models, settings
):
    from chat.classes import models_for

    settings.OPENAI_MODELS = ["fake-model", "fake-large", "fake-small"]
    course_for(user, "가", allowed_models=["fake-large"])
    course_for(user, "나", allowed_models=["fake-small"])
    course_for(user, "끝난 반", allowed_models=["fake-model"], ends_on=days(-1))
    assert models_for(user) == ["fake-large", "fake-small"]

    course_for(user, "다")
    assert models_for(user) == ["fake-model", "fake-large", "fake-small"]


# ---------------------------------------------------------------- 프리셋


def test_presets_of_open_classes_are_offered_and_hidden_prompts_never_shown(logged_in, user):
    course = course_for(user, "수학반")
    Preset.objects.create(
        course=course, name="소크라테스", system_prompt=HIDDEN_PROMPT, hidden=True
    )
    Preset.objects.create(course=course, name="요약", system_prompt="세 줄로 요약해 줘")
    ended = course_for(user, "끝난 반", ends_on=days(-1))
    Preset.objects.create(course=ended, name="옛 프리셋", system_prompt="옛것")

    page = logged_in.get("/chat/").content.decode()

    assert "소크라테스" in page
    assert "세 줄로 요약해 줘" in page
    assert "옛 프리셋" not in page
    assert HIDDEN_PROMPT not in page


@pytest.mark.parametrize("htmx", [False, True])
def test_starting_from_a_hidden_preset_sends_its_prompt_to_the_model_only(
    logged_in, user, llm_server, htmx
):
    user.custom_instructions = "존댓말로"
    user.save()
    course = course_for(user, "수학반")
    preset = Preset.objects.create(
        course=course, name="소크라테스", system_prompt=HIDDEN_PROMPT, hidden=True
    )
    llm_server.script(Reply(tokens=["좋은 질문이에요."]))

    logged_in.post(
        "/chat/",
        {"content": "피타고라스 정리", "model": "fake-model", "preset": preset.pk},
        headers=HTMX if htmx else {},
    )
    conversation = Conversation.objects.get()
    finish_reply(last_reply(conversation))

    assert conversation.preset == preset
    assert conversation.course == course
    assert conversation.system_prompt == "존댓말로"
    sent = next(body["messages"] for body in llm_server.requests if body.get("stream"))
    assert sent[0] == {"role": "system", "content": f"{HIDDEN_PROMPT}\n\n존댓말로"}

    page = logged_in.get(f"/chat/{conversation.pk}/").content.decode()
    assert "소크라테스" in page
    assert HIDDEN_PROMPT not in page
    for export in ("export.md", "export.json"):
        assert (
            HIDDEN_PROMPT not in logged_in.get(f"/chat/{conversation.pk}/{export}").content.decode()
        )
    assert json.loads(logged_in.get(f"/chat/{conversation.pk}/export.json").content)
    logged_in.post(f"/chat/{conversation.pk}/share/")
    link = conversation.shared_links.get()
    shared = logged_in.get(f"/share/{link.token}/").content.decode()
    assert "좋은 질문이에요." in shared
    assert HIDDEN_PROMPT not in shared
    assert HIDDEN_PROMPT not in json.dumps(link.snapshot, ensure_ascii=False)
    found = logged_in.get("/chat/search/", {"q": "비밀 지시"}).content.decode()
    assert HIDDEN_PROMPT not in found


def test_a_visible_preset_is_copied_before_the_custom_instructions_and_stays_editable(
    logged_in, user
):
    user.custom_instructions = "존댓말로"
    user.save()
    course = course_for(user, "국어반")
    preset = Preset.objects.create(course=course, name="요약", system_prompt="세 줄로 요약해 줘")

    logged_in.post(
        "/chat/", {"content": "이 글", "model": "daehwa-demo", "preset": preset.pk}, headers=HTMX
    )
    conversation = Conversation.objects.get()

    assert conversation.system_prompt == "세 줄로 요약해 줘\n\n존댓말로"
    page = logged_in.get(f"/chat/{conversation.pk}/").content.decode()
    assert "세 줄로 요약해 줘" in page
    logged_in.post(f"/chat/{conversation.pk}/settings/", {"system_prompt": "한 줄로"})
    conversation.refresh_from_db()
    assert conversation.system_prompt == "한 줄로"


def test_a_preset_of_another_class_is_refused(logged_in, user, other_user):
    course_for(user, "내 반")
    theirs = course_for(other_user, "남의 반")
    preset = Preset.objects.create(course=theirs, name="남의 것", system_prompt="비밀")

    response = logged_in.post(
        "/chat/", {"content": "새 대화", "model": "daehwa-demo", "preset": preset.pk}
    )

    assert response.status_code == 400
    assert not Conversation.objects.exists()


def test_a_conversation_belongs_to_the_newest_open_class_and_says_so(english, user, settings):
    settings.CLASS_INSTRUCTORS_CAN_READ = True
    course_for(user, "Old class", ends_on=days(-1))
    course_for(user, "Morning class")
    english.force_login(user)

    english.post("/chat/", {"content": "hello", "model": "daehwa-demo"}, headers=HTMX)
    conversation = Conversation.objects.get()
    page = english.get(f"/chat/{conversation.pk}/").content.decode()

    assert conversation.course.name == "Morning class"
    assert conversation.preset is None
    assert "Class: Morning class" in page
    assert "instructors can read this conversation." in page

    settings.CLASS_INSTRUCTORS_CAN_READ = False
    assert "instructors can read" not in english.get(f"/chat/{conversation.pk}/").content.decode()


def test_after_leaving_the_class_the_conversation_no_longer_says_instructors_read_it(
    english, user, settings
):
    # 반을 떠난 학생의 대화는 강사가 열지 못한다 (404): 알림이 그보다 많이 말하지 않는다
    settings.CLASS_INSTRUCTORS_CAN_READ = True
    course = course_for(user, "Morning class")
    conversation = make_conversation(user, messages=2)
    Conversation.objects.filter(pk=conversation.pk).update(course=course)
    english.force_login(user)
    assert "instructors can read" in english.get(f"/chat/{conversation.pk}/").content.decode()

    Membership.objects.filter(user=user, course=course).delete()
    courses.standing_forget(user)
    page = english.get(f"/chat/{conversation.pk}/").content.decode()

    assert "Class: Morning class" in page
    assert "instructors can read" not in page


def test_without_a_class_a_conversation_has_none(logged_in, user):
    logged_in.post("/chat/", {"content": "안녕", "model": "daehwa-demo"}, headers=HTMX)
    assert Conversation.objects.get().course is None


def test_an_instructors_read_still_shows_in_the_viewed_by_notice(logged_in, user):
    course = course_for(user)
    teacher = User.objects.create_user(username="teacher", password=STAFF_PASSWORD)
    course.instructors.add(teacher)
    conversation = make_conversation(user, messages=2)
    conversation.course = course
    conversation.save()

    moderation.conversation_view_record(conversation=conversation, viewer=teacher)

    page = logged_in.get(f"/chat/{conversation.pk}/").content.decode()
    assert "looked-notice" in page
    assert "teacher" in page


# ---------------------------------------------------------------- 공지


def test_an_announcement_shows_escaped_with_line_breaks_and_can_be_dismissed(logged_in, user):
    course = course_for(
        user, "수학반", announcement="내일은 시험\n<b>지각 금지</b>", announcement_at=timezone.now()
    )

    page = logged_in.get("/chat/").content.decode()
    assert "내일은 시험<br>&lt;b&gt;지각 금지&lt;/b&gt;" in page
    assert "수학반" in page

    response = logged_in.post(
        f"/chat/announcements/{course.pk}/dismiss/", {"next": "/chat/archived/"}
    )
    assert response.status_code == 302
    assert response.url == "/chat/archived/"
    assert "내일은 시험" not in logged_in.get("/chat/").content.decode()

    # 강사가 공지를 고쳤다: 다시 보인다
    Course.objects.filter(pk=course.pk).update(
        announcement="시험 연기", announcement_at=timezone.now() + datetime.timedelta(seconds=1)
    )
    assert "시험 연기" in logged_in.get("/chat/").content.decode()


def test_dismissing_with_htmx_removes_the_banner_and_an_unsafe_next_goes_home(logged_in, user):
    course = course_for(user, announcement="공지", announcement_at=timezone.now())

    htmx = logged_in.post(f"/chat/announcements/{course.pk}/dismiss/", headers=HTMX)
    Membership.objects.filter(user=user).update(announcement_dismissed_at=None)
    plain = logged_in.post(
        f"/chat/announcements/{course.pk}/dismiss/", {"next": "https://evil.example/"}
    )

    assert htmx.status_code == 200
    assert htmx.content == b""
    assert plain.url == "/chat/"


def test_only_members_can_dismiss(client, other_user, user):
    course = course_for(user, announcement="공지", announcement_at=timezone.now())
    client.force_login(other_user)

    response = client.post(f"/chat/announcements/{course.pk}/dismiss/")

    assert response.status_code == 404
    assert Membership.objects.get(user=user).announcement_dismissed_at is None


# ---------------------------------------------------------------- 질의 수


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_chat_pages_read_classes_in_a_fixed_number_of_queries(logged_in, user):
    first = course_for(user, "가", announcement="공지", announcement_at=timezone.now())
    Preset.objects.create(course=first, name="하나", system_prompt="프롬프트")
    conversation = make_conversation(user, messages=2)
    conversation.course = first
    conversation.save()
    _queries(logged_in, "/chat/")
    start = _queries(logged_in, "/chat/")
    detail = _queries(logged_in, f"/chat/{conversation.pk}/")

    for n in range(5):
        course = course_for(user, f"반 {n}", announcement="공지", announcement_at=timezone.now())
        Preset.objects.create(course=course, name=f"프리셋 {n}", system_prompt="프롬프트")

    assert _queries(logged_in, "/chat/") == start
    assert _queries(logged_in, f"/chat/{conversation.pk}/") == detail


@pytest.mark.parametrize("started_hidden", [True, False])
def test_changing_a_preset_s_hidden_flag_later_keeps_each_conversation_s_prompt_once(
    logged_in, user, llm_server, started_hidden
):
    course = course_for(user, "수학반")
    preset = Preset.objects.create(
        course=course, name="소크라테스", system_prompt=HIDDEN_PROMPT, hidden=started_hidden
    )
    llm_server.script(Reply(tokens=["첫 답"]), Reply(tokens=["둘째 답"]))
    logged_in.post("/chat/", {"content": "질문", "model": "fake-model", "preset": preset.pk})
    conversation = Conversation.objects.get()
    finish_reply(last_reply(conversation))

    # 강사가 나중에 숨김을 바꾼다
    Preset.objects.filter(pk=preset.pk).update(hidden=not started_hidden)
    send(logged_in, conversation, "다음 질문")
    finish_reply(last_reply(conversation))

    sent = [body["messages"] for body in llm_server.requests if body.get("stream")][-1]
    # 숨긴 채 연 대화는 계속 모델에게 보내고, 보이게 연 대화는 복사해 둔 것 하나만 (두 번 가지 않는다)
    assert sent[0]["role"] == "system"
    assert sent[0]["content"].count(HIDDEN_PROMPT) == 1
