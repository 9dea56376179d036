"""강사의 반 화면: 누가 여나, 반 만들기와 고치기, 프리셋, 학생들의 숫자, 대화 읽기와 그 기록, 읽기를 끈 사이트."""

import csv
import datetime

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import usage
from accounts.models import Course, DailyUsage, Membership, Preset, User
from chat.models import Message, Report
from core.audit import Action
from core.models import AuditEvent
from tests.support.factories import (
    STAFF_PASSWORD,
    add_message,
    make_class_operator,
    make_conversation,
)


@pytest.fixture
def course(db):
    today = usage.today()
    return Course.objects.create(
        name="파이썬 1반",
        starts_on=today - datetime.timedelta(days=7),
        ends_on=today + datetime.timedelta(days=30),
    )


@pytest.fixture
def teacher(course):
    teacher = User.objects.create_user(username="teacher_kim", password=STAFF_PASSWORD)
    course.instructors.add(teacher)
    return teacher


@pytest.fixture
def member(user, course):
    Membership.objects.create(course=course, user=user)
    return user


@pytest.fixture
def as_teacher(client, teacher):
    client.force_login(teacher)
    return client


def instructor_of_new_class(name="teacher_lee"):
    other = User.objects.create_user(username=name, password=STAFF_PASSWORD)
    Course.objects.create(name="다른 반").instructors.add(other)
    return other


def class_urls(course, member, conversation):
    return [
        f"/classes/{course.pk}/",
        f"/classes/{course.pk}/usage.csv",
        f"/classes/{course.pk}/edit/",
        f"/classes/{course.pk}/presets/",
        f"/classes/{course.pk}/presets/new/",
        f"/classes/{course.pk}/members/{member.pk}/",
        f"/classes/{course.pk}/members/{member.pk}/remove/",
        f"/classes/{course.pk}/conversations/{conversation.pk}/",
    ]


# 누가 여나


def test_only_the_classs_instructors_and_staff_open_its_pages(client, course, teacher, member):
    conversation = make_conversation(member, messages=2)
    conversation.course = course
    conversation.save()
    urls = class_urls(course, member, conversation)

    assert client.get(urls[0]).status_code == 302  # 로그인하지 않은 사람은 로그인으로

    client.force_login(member)
    assert {url: client.get(url).status_code for url in urls} == dict.fromkeys(urls, 404)

    client.force_login(instructor_of_new_class())
    assert {url: client.get(url).status_code for url in urls} == dict.fromkeys(urls, 404)

    client.force_login(teacher)
    assert {url: client.get(url).status_code for url in urls} == dict.fromkeys(urls, 200)

    client.force_login(make_class_operator("admin_park"))
    assert {url: client.get(url).status_code for url in urls} == dict.fromkeys(urls, 200)


def test_a_moderator_who_is_not_the_classs_instructor_cannot_run_it(
    client, course, teacher, member
):
    # Moderators 모둠(staff, 읽기·숨기기·신고 처리)은 반의 강사를 바꾸거나 학생을 빼거나 코드를 만들지 못한다
    moderator = User.objects.create_user(username="mod", password=STAFF_PASSWORD, is_staff=True)
    moderator.groups.add(Group.objects.get(name="Moderators"))
    client.force_login(moderator)

    edited = client.post(
        f"/classes/{course.pk}/edit/",
        {"name": course.name, "instructor_names": "mod", "daily_token_quota": "0"},
    )
    removed = client.post(f"/classes/{course.pk}/members/{member.pk}/remove/")
    invited = client.post(f"/classes/{course.pk}/invitations/", {})

    assert (edited.status_code, removed.status_code, invited.status_code) == (404, 404, 404)
    assert list(course.instructors.all()) == [teacher]
    assert course.memberships.filter(user=member).exists()
    assert not course.invitations.exists()


def test_the_list_shows_the_classes_taught_with_status_and_members(
    english, teacher, course, member
):
    today = usage.today()
    ended = Course.objects.create(
        name="지난 반",
        starts_on=today - datetime.timedelta(days=60),
        ends_on=today - datetime.timedelta(days=1),
    )
    upcoming = Course.objects.create(name="다음 반", starts_on=today + datetime.timedelta(days=3))
    ended.instructors.add(teacher)
    upcoming.instructors.add(teacher)
    Course.objects.create(name="남의 반")
    english.force_login(teacher)

    response = english.get("/classes/")

    rows = {course.name: course for course in response.context["courses"]}
    assert set(rows) == {"파이썬 1반", "지난 반", "다음 반"}
    assert rows["파이썬 1반"].member_count == 1
    assert [rows[name].state["status"] for name in ("파이썬 1반", "지난 반", "다음 반")] == [
        "running",
        "ended",
        "upcoming",
    ]
    html = response.content.decode()
    assert "Running" in html
    assert "Ended" in html
    assert "Upcoming" in html
    # 반을 만들 권한이 없는 강사(맡기만 한 사람)에게는 "새 반"이 없다
    assert "/classes/new/" not in html


def test_the_list_page_query_count_does_not_grow_with_classes(as_teacher, teacher):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert as_teacher.get("/classes/").status_code == 200
        return len(queries)

    few = count()
    for index in range(10):
        Course.objects.create(name=f"반 {index}").instructors.add(teacher)
    assert count() == few


def test_only_people_who_may_create_classes_see_new_class_and_can_create(client, english, user):
    english.force_login(user)
    assert english.get("/classes/new/").status_code == 403

    user.groups.add(Group.objects.get(name="Instructors"))
    user = User.objects.get(pk=user.pk)
    english.force_login(user)
    assert "/classes/new/" in english.get("/classes/").content.decode()
    assert english.get("/classes/new/").status_code == 200


# 계정 메뉴의 "반"


def test_the_account_menu_links_classes_only_for_teachers_and_creators(client, user, teacher):
    client.force_login(user)
    assert 'href="/classes/"' not in client.get("/chat/").content.decode()

    client.force_login(teacher)
    assert 'href="/classes/"' in client.get("/chat/").content.decode()

    user.groups.add(Group.objects.get(name="Instructors"))
    client.force_login(user)
    assert 'href="/classes/"' in client.get("/chat/").content.decode()


# 만들기와 고치기


def creator(client):
    person = User.objects.create_user(username="teacher_choi", password=STAFF_PASSWORD)
    person.groups.add(Group.objects.get(name="Instructors"))
    client.force_login(person)
    return person


def class_form(**changes):
    values = {
        "name": "데이터 2반",
        "starts_on": "2026-03-02",
        "ends_on": "2026-06-30",
        "daily_token_quota": "20000",
        "allowed_models": [],
        "announcement": "",
        "retention_days": "",
        "instructor_names": "teacher_choi",
    }
    values.update(changes)
    return {name: value for name, value in values.items() if value is not None}


def test_an_instructor_creates_a_class_and_becomes_its_instructor(client, settings, user):
    settings.OPENAI_MODELS = ["fake-model", "fake-large", "fake-small"]
    settings.OPENAI_BASE_URL = "http://127.0.0.1:9/v1"
    person = creator(client)

    response = client.post(
        "/classes/new/",
        class_form(
            allowed_models=["fake-model", "fake-large"],
            instructor_names=f"minji, {person.username}",
        ),
    )

    course = Course.objects.get(name="데이터 2반")
    assert response.status_code == 302
    assert response.url == f"/classes/{course.pk}/"
    assert course.daily_token_quota == 20000
    assert course.allowed_models == ["fake-model", "fake-large"]
    assert course.starts_on == datetime.date(2026, 3, 2)
    assert set(course.instructors.values_list("username", flat=True)) == {"teacher_choi", "minji"}
    event = AuditEvent.objects.get(action=Action.CLASS_CREATED)
    assert event.actor == person
    assert event.target_id == str(course.pk)


def test_the_creator_stays_an_instructor_even_when_left_out(client, user):
    creator(client)
    client.post("/classes/new/", class_form(instructor_names="minji"))

    course = Course.objects.get(name="데이터 2반")
    assert set(course.instructors.values_list("username", flat=True)) == {"teacher_choi", "minji"}


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"starts_on": "2026-07-01", "ends_on": "2026-06-30"}, "ends_on", "dates_order"),
        (
            {"instructor_names": "teacher_choi nobody_here"},
            "instructor_names",
            "unknown_instructor",
        ),
        ({"instructor_names": " , "}, "instructor_names", "no_instructor"),
        ({"daily_token_quota": "-5"}, "daily_token_quota", "min_value"),
        ({"allowed_models": ["not-a-model"]}, "allowed_models", "invalid_choice"),
        ({"name": ""}, "name", "required"),
    ],
)
def test_a_wrong_class_form_is_refused_with_a_message(db, client, changes, field, code):
    creator(client)

    response = client.post("/classes/new/", class_form(**changes))

    assert response.status_code == 200
    assert response.context["form"].has_error(field, code)
    assert not Course.objects.filter(name="데이터 2반").exists()


def test_the_quota_help_shows_the_site_default(db, english, settings):
    settings.DAILY_TOKEN_QUOTA = 50000
    creator(english)

    html = english.get("/classes/new/").content.decode()

    assert "the site default (50,000)" in html


@pytest.mark.parametrize("quota", ["0", "20001"])
def test_an_instructor_cannot_lift_the_site_quota_through_a_class(db, english, settings, quota):
    # 0(제한 없음)이나 사이트보다 큰 한도의 반에 스스로나 학생을 넣으면 사이트의 한도가 풀린다
    settings.DAILY_TOKEN_QUOTA = 20000
    creator(english)

    response = english.post("/classes/new/", class_form(daily_token_quota=quota))

    assert response.status_code == 200
    assert response.context["form"].has_error("daily_token_quota", "above_site_quota")
    assert "20,000 tokens a day. Ask an operator" in response.content.decode()
    assert not Course.objects.exists()


def test_an_operator_may_give_a_class_more_than_the_site(db, client, settings):
    settings.DAILY_TOKEN_QUOTA = 20000
    operator = make_class_operator("operator_lee")
    operator.groups.add(Group.objects.get(name="Instructors"))
    client.force_login(operator)

    client.post("/classes/new/", class_form(daily_token_quota="0", instructor_names="operator_lee"))

    assert Course.objects.get(name="데이터 2반").daily_token_quota == 0


def test_an_instructor_keeps_a_quota_an_operator_set(as_teacher, teacher, course, settings):
    settings.DAILY_TOKEN_QUOTA = 20000
    Course.objects.filter(pk=course.pk).update(daily_token_quota=50000)

    response = as_teacher.post(
        f"/classes/{course.pk}/edit/",
        class_form(
            name=course.name,
            instructor_names="teacher_kim",
            daily_token_quota="50000",
            announcement="휴강",
        ),
    )

    assert response.status_code == 302
    course.refresh_from_db()
    assert (course.daily_token_quota, course.announcement) == (50000, "휴강")


def test_editing_the_announcement_shows_it_again_and_is_audited(as_teacher, teacher, course):
    form = class_form(
        name=course.name, instructor_names="teacher_kim", announcement="내일은 휴강입니다"
    )

    as_teacher.post(f"/classes/{course.pk}/edit/", form)

    course.refresh_from_db()
    first = course.announcement_at
    assert course.announcement == "내일은 휴강입니다"
    assert first is not None
    event = AuditEvent.objects.get(action=Action.CLASS_CHANGED)
    assert "announcement" in event.payload["fields"]

    # 같은 글로 다시 저장하면 아무것도 바뀌지 않는다: 닫아 둔 공지가 다시 뜨지 않는다
    as_teacher.post(f"/classes/{course.pk}/edit/", form)
    course.refresh_from_db()
    assert course.announcement_at == first
    assert AuditEvent.objects.filter(action=Action.CLASS_CHANGED).count() == 1


def test_an_instructor_cannot_leave_a_class_without_instructors(as_teacher, teacher, course):
    response = as_teacher.post(
        f"/classes/{course.pk}/edit/", class_form(name=course.name, instructor_names="")
    )

    assert response.context["form"].has_error("instructor_names", "required")
    assert list(course.instructors.all()) == [teacher]


def test_an_instructor_can_hand_the_class_to_a_colleague(as_teacher, teacher, course):
    colleague = User.objects.create_user(username="teacher_yoon", password=STAFF_PASSWORD)

    response = as_teacher.post(
        f"/classes/{course.pk}/edit/", class_form(name=course.name, instructor_names="teacher_yoon")
    )

    assert response.url == "/classes/"
    assert list(course.instructors.all()) == [colleague]
    assert as_teacher.get(f"/classes/{course.pk}/").status_code == 404


# 프리셋


def test_presets_are_created_changed_and_deleted_by_the_classs_instructor(as_teacher, course):
    as_teacher.post(
        f"/classes/{course.pk}/presets/new/",
        {
            "name": "글쓰기 도우미",
            "system_prompt": "답을 바로 주지 말고 질문으로 이끄세요.",
            "hidden": "on",
        },
    )
    preset = Preset.objects.get(course=course)
    assert preset.hidden
    assert preset.name == "글쓰기 도우미"
    assert "글쓰기 도우미" in as_teacher.get(f"/classes/{course.pk}/presets/").content.decode()

    as_teacher.post(
        f"/classes/{course.pk}/presets/{preset.pk}/edit/",
        {"name": "글쓰기 코치", "system_prompt": "질문으로 이끄세요."},
    )
    preset.refresh_from_db()
    assert (preset.name, preset.hidden) == ("글쓰기 코치", False)

    assert as_teacher.get(f"/classes/{course.pk}/presets/{preset.pk}/delete/").status_code == 200
    as_teacher.post(f"/classes/{course.pk}/presets/{preset.pk}/delete/")
    assert not Preset.objects.filter(pk=preset.pk).exists()


def test_a_preset_of_another_class_is_404(as_teacher, course):
    other = Course.objects.create(name="다른 반")
    preset = Preset.objects.create(course=other, name="남의 것", system_prompt="…")

    for url in (
        f"/classes/{course.pk}/presets/{preset.pk}/edit/",
        f"/classes/{course.pk}/presets/{preset.pk}/delete/",
        f"/classes/{other.pk}/presets/{preset.pk}/edit/",
    ):
        assert as_teacher.get(url).status_code == 404
    assert as_teacher.post(f"/classes/{course.pk}/presets/{preset.pk}/delete/").status_code == 404
    assert Preset.objects.filter(pk=preset.pk).exists()


def test_a_blank_preset_is_refused(as_teacher, course):
    response = as_teacher.post(
        f"/classes/{course.pk}/presets/new/", {"name": "", "system_prompt": ""}
    )

    form = response.context["form"]
    assert form.has_error("name", "required")
    assert form.has_error("system_prompt", "required")


# 학생들의 숫자


def usage_row(user, days_ago, *, tokens, replies, model="fake-model"):
    DailyUsage.objects.create(
        user=user,
        day=usage.today() - datetime.timedelta(days=days_ago),
        model=model,
        prompt_tokens=tokens - tokens // 4,
        completion_tokens=tokens // 4,
        replies=replies,
    )


def class_conversation(owner, course, **kwargs):
    conversation = make_conversation(owner, **kwargs)
    conversation.course = course
    conversation.save()
    return conversation


def test_the_dashboard_counts_usage_failures_and_reports_per_member(
    as_teacher, course, member, other_user
):
    usage_row(member, 0, tokens=400, replies=2)
    usage_row(member, 0, tokens=100, replies=1, model="fake-large")
    usage_row(member, 6, tokens=1000, replies=5)
    usage_row(member, 7, tokens=9000, replies=9)  # 8일 전: 이번 주가 아니다
    usage_row(other_user, 0, tokens=777, replies=7)  # 반에 없는 사람
    conversation = class_conversation(member, course, messages=2)
    failed = add_message(
        conversation=conversation, role=Message.Role.ASSISTANT, status=Message.Status.FAILED
    )
    add_message(
        conversation=conversation,
        role=Message.Role.ASSISTANT,
        status=Message.Status.FAILED,
        created_at=timezone.now() - datetime.timedelta(days=8),
    )
    reply = add_message(conversation=conversation, role=Message.Role.ASSISTANT, content="답")
    Report.objects.create(reply=reply, reporter=member, reason=Report.Reason.WRONG)
    Report.objects.create(
        reply=failed, reporter=member, reason=Report.Reason.OTHER, resolved_at=timezone.now()
    )
    # 반 밖의 대화의 실패는 이 반의 숫자가 아니다
    elsewhere = make_conversation(member, messages=0)
    add_message(conversation=elsewhere, role=Message.Role.ASSISTANT, status=Message.Status.FAILED)

    response = as_teacher.get(f"/classes/{course.pk}/")

    [row] = response.context["members"]
    assert row.user == member
    assert (row.replies_today, row.tokens_today) == (3, 500)
    assert (row.replies_week, row.tokens_week) == (8, 1500)
    assert (row.failed_week, row.open_reports) == (1, 1)
    assert row.last_activity == conversation.updated_at
    chart = response.context["chart"]
    assert chart.total == 1500 + 9000
    assert chart.quota_y is None


def test_hidden_conversations_do_not_count_or_show(as_teacher, course, member):
    conversation = class_conversation(member, course, messages=0)
    add_message(
        conversation=conversation, role=Message.Role.ASSISTANT, status=Message.Status.FAILED
    )
    conversation.is_hidden = True
    conversation.save()

    [row] = as_teacher.get(f"/classes/{course.pk}/").context["members"]
    page = as_teacher.get(f"/classes/{course.pk}/members/{member.pk}/")

    assert row.failed_week == 0
    assert row.last_activity is None
    assert page.context["conversation_count"] == 0
    assert (
        as_teacher.get(f"/classes/{course.pk}/conversations/{conversation.pk}/").status_code == 404
    )


def test_people_waiting_for_approval_come_first(as_teacher, course, member):
    waiting = User.objects.create_user(username="aaa_waiting", awaiting_approval=True)
    Membership.objects.create(course=course, user=waiting)

    response = as_teacher.get(f"/classes/{course.pk}/")

    assert [row.user for row in response.context["members"]] == [waiting, member]
    assert response.context["waiting"] == 1


def test_the_dashboard_query_count_does_not_grow_with_members(as_teacher, course, member):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert as_teacher.get(f"/classes/{course.pk}/").status_code == 200
        return len(queries)

    class_conversation(member, course, messages=2)
    usage_row(member, 0, tokens=10, replies=1)
    few = count()
    for index in range(15):
        student = User.objects.create_user(username=f"student{index}")
        Membership.objects.create(course=course, user=student)
        class_conversation(student, course, messages=2)
        usage_row(student, 1, tokens=10, replies=1)

    assert count() == few


def test_the_member_page_query_count_does_not_grow_with_conversations(as_teacher, course, member):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert as_teacher.get(f"/classes/{course.pk}/members/{member.pk}/").status_code == 200
        return len(queries)

    class_conversation(member, course, messages=2)
    few = count()
    for index in range(25):
        class_conversation(member, course, messages=2, title=f"대화 {index}")
    assert count() == few


def test_the_member_page_lists_only_this_classs_conversations_newest_first(
    as_teacher, course, member
):
    older = class_conversation(member, course, title="옛 대화")
    newer = class_conversation(member, course, title="새 대화")
    make_conversation(member, title="반 밖의 대화")
    class_conversation(member, Course.objects.create(name="다른 반"), title="다른 반의 대화")

    response = as_teacher.get(f"/classes/{course.pk}/members/{member.pk}/")

    assert [c.pk for c in response.context["page"]] == [newer.pk, older.pk]
    assert "반 밖의 대화" not in response.content.decode()


def test_someone_outside_the_class_has_no_member_page(as_teacher, course, other_user):
    assert as_teacher.get(f"/classes/{course.pk}/members/{other_user.pk}/").status_code == 404


# 읽기


def test_reading_a_conversation_is_recorded_once_and_the_student_sees_it(
    client, as_teacher, teacher, course, member
):
    conversation = class_conversation(member, course, messages=2)

    first = as_teacher.get(f"/classes/{course.pk}/conversations/{conversation.pk}/")
    as_teacher.get(f"/classes/{course.pk}/conversations/{conversation.pk}/")

    assert first.status_code == 200
    html = first.content.decode()
    assert "메시지 0" in html
    assert "메시지 1" in html
    assert "<textarea" not in html  # 읽기 전용: 입력창이 없다
    events = AuditEvent.objects.filter(action=Action.CONVERSATION_VIEWED)
    assert events.count() == 1
    assert events.get().actor == teacher

    client.force_login(member)
    student_page = client.get(f"/chat/{conversation.pk}/").content.decode()
    assert "teacher_kim" in student_page


def test_a_hidden_preset_prompt_is_shown_to_the_instructor(as_teacher, course, member):
    preset = Preset.objects.create(
        course=course, name="비밀 코치", system_prompt="정답을 알려 주지 마세요", hidden=True
    )
    conversation = class_conversation(member, course, messages=2)
    conversation.preset = preset
    conversation.save()

    html = as_teacher.get(f"/classes/{course.pk}/conversations/{conversation.pk}/").content.decode()

    assert "정답을 알려 주지 마세요" in html


def test_conversations_of_another_class_or_of_no_class_are_not_readable(as_teacher, course, member):
    other = class_conversation(member, Course.objects.create(name="다른 반"))
    loose = make_conversation(member)

    for conversation in (other, loose):
        url = f"/classes/{course.pk}/conversations/{conversation.pk}/"
        assert as_teacher.get(url).status_code == 404
    assert not AuditEvent.objects.filter(action=Action.CONVERSATION_VIEWED).exists()


def test_with_reading_turned_off_the_numbers_stay_but_conversations_are_closed(
    as_teacher, settings, course, member
):
    settings.CLASS_INSTRUCTORS_CAN_READ = False
    conversation = class_conversation(member, course, messages=2, title="비밀 일기")
    usage_row(member, 0, tokens=300, replies=2)

    detail = as_teacher.get(f"/classes/{course.pk}/")
    page = as_teacher.get(f"/classes/{course.pk}/members/{member.pk}/")
    read = as_teacher.get(f"/classes/{course.pk}/conversations/{conversation.pk}/")

    assert detail.context["members"][0].tokens_today == 300
    assert page.status_code == 200
    assert page.context["conversation_count"] == 1
    assert "비밀 일기" not in page.content.decode()
    assert read.status_code == 404
    assert not AuditEvent.objects.filter(action=Action.CONVERSATION_VIEWED).exists()


# 학생 빼기


def test_removing_a_member_asks_first_then_removes_and_is_audited(
    as_teacher, teacher, course, member
):
    conversation = class_conversation(member, course, messages=2)

    assert as_teacher.get(f"/classes/{course.pk}/members/{member.pk}/remove/").status_code == 200
    assert Membership.objects.filter(course=course, user=member).exists()

    response = as_teacher.post(f"/classes/{course.pk}/members/{member.pk}/remove/")

    assert response.url == f"/classes/{course.pk}/"
    assert not Membership.objects.filter(course=course, user=member).exists()
    event = AuditEvent.objects.get(action=Action.CLASS_MEMBER_REMOVED)
    assert event.actor == teacher
    assert event.payload == {"member": member.username}
    # 대화는 학생의 것으로 남지만, 강사는 더 읽지 못한다
    assert (
        as_teacher.get(f"/classes/{course.pk}/conversations/{conversation.pk}/").status_code == 404
    )
    assert as_teacher.post(f"/classes/{course.pk}/members/{member.pk}/remove/").status_code == 404


def test_the_menu_flag_is_counted_at_login_and_again_the_next_day(client, user, course):
    client.force_login(user)
    assert 'href="/classes/"' not in client.get("/chat/").content.decode()

    # 로그인한 채로 강사가 되었다: 그날은 세션의 값을 쓰고, 다음 날 다시 센다
    course.instructors.add(user)
    assert 'href="/classes/"' not in client.get("/chat/").content.decode()
    session = client.session
    session["sees_classes"] = ["2000-01-01", False]
    session.save()
    assert 'href="/classes/"' in client.get("/chat/").content.decode()


def test_the_members_table_downloads_as_csv_with_formulas_neutralised(as_teacher, course, member):
    member.first_name = '=HYPERLINK("http://evil")'
    member.save()
    usage_row(member, 0, tokens=400, replies=2)
    usage_row(member, 3, tokens=100, replies=1)

    response = as_teacher.get(f"/classes/{course.pk}/usage.csv")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="class-{course.pk}-usage.csv"'
    text = response.content.decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0].startswith("username,name,joined,")
    cells = next(csv.reader([lines[1]]))
    assert cells[:2] == [member.username, '\'=HYPERLINK("http://evil")']
    # 오늘 답변·토큰, 7일 답변·토큰
    assert cells[5:9] == ["2", "400", "3", "500"]


def test_an_id_too_large_for_the_database_is_404_not_500(client, course, teacher, member):
    # URL의 <int:>는 자릿수를 묻지 않는다: 64비트를 넘는 번호가 질의에서 OverflowError로 500이 되면 안 된다
    huge = 2**70
    make_conversation(member, messages=1)
    urls = [
        f"/classes/{huge}/",
        f"/classes/{course.pk}/members/{huge}/",
        f"/classes/{course.pk}/conversations/{huge}/",
        f"/classes/{course.pk}/presets/{huge}/edit/",
        f"/classes/{course.pk}/invitations/{huge}/qr.svg",
        f"/chat/files/{huge}/",
        f"/chat/files/{huge}/preview/",
        f"/chat/{huge}/",
    ]
    client.force_login(teacher)

    answers = {url: client.get(url).status_code for url in urls}
    removed = client.post(f"/classes/{course.pk}/members/{huge}/remove/").status_code
    approved = client.post(f"/classes/{course.pk}/members/{huge}/approve/").status_code

    assert answers == dict.fromkeys(urls, 404)
    assert (removed, approved) == (404, 404)


@pytest.mark.parametrize("value", [str(2**70), "9" * 5000])
def test_the_admin_usage_list_ignores_a_class_id_too_large(admin_client, value):
    page = admin_client.get("/admin/accounts/dailyusage/", {"class": value})

    assert page.status_code == 200


def test_the_csv_dates_are_the_sites_local_days(as_teacher, course, member, settings):
    # 저장은 UTC: 서울의 새벽 1시 반에 든 학생은 그 전날(UTC)이 아니라 그날로 적힌다
    settings.TIME_ZONE = "Asia/Seoul"
    moment = datetime.datetime(2026, 3, 2, 16, 30, tzinfo=datetime.UTC)
    Membership.objects.filter(user=member).update(joined_at=moment)
    conversation = make_conversation(member, messages=1)
    type(conversation).objects.filter(pk=conversation.pk).update(course=course, updated_at=moment)

    text = as_teacher.get(f"/classes/{course.pk}/usage.csv").content.decode("utf-8-sig")

    cells = next(csv.reader([text.splitlines()[1]]))
    assert cells[2] == "2026-03-03"
    assert cells[4] == "2026-03-03T01:30:00+09:00"
