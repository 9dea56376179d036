"""운영자가 반으로 보는 것: 자리의 규칙(한도, 모델, 기간), 반별 사용량(명령과 관리 화면), 반의 내보내기와 보존 기간."""

import datetime
import json
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from accounts import courses, usage
from accounts.models import Course, Membership, User
from chat.models import Conversation, Message
from core.audit import Action
from core.models import AuditEvent

SEOUL = ZoneInfo("Asia/Seoul")
MARCH = datetime.date(2026, 3, 10)


@pytest.fixture
def frozen(monkeypatch):
    """서울 시각 2026-03-10 12:00에 멈춘다."""
    moment = datetime.datetime(2026, 3, 10, 12, tzinfo=SEOUL)
    monkeypatch.setattr(usage, "now", lambda: moment)
    return moment


def course(name, *, starts=None, ends=None, quota=None, models=(), members=()):
    made = Course.objects.create(
        name=name,
        starts_on=starts,
        ends_on=ends,
        daily_token_quota=quota,
        allowed_models=list(models),
    )
    for person in members:
        Membership.objects.create(course=made, user=person)
    return made


def fresh(person):
    """다른 요청처럼 새로 읽은 사람: 붙여 둔 반 자리가 없다."""
    return User.objects.get(pk=person.pk)


def spend(person, tokens, day, model="fake-model"):
    usage.usage_record(
        user_id=person.pk,
        model=model,
        prompt_tokens=tokens,
        completion_tokens=0,
        estimated=False,
        day=day,
    )


# ---------------------------------------------------------------- 자리의 규칙


def test_without_a_class_the_site_rules_hold(user, settings, frozen):
    settings.DAILY_TOKEN_QUOTA = 5000

    standing = courses.standing(fresh(user))

    assert standing.can_send
    assert standing.allowed_models is None
    assert usage.quota_for(fresh(user)) == 5000


def test_the_most_generous_open_class_wins_and_a_person_override_beats_it(user, settings, frozen):
    settings.DAILY_TOKEN_QUOTA = 5000
    course("오전반", quota=20000, members=[user])
    course("주말반", quota=30000, members=[user])
    course("지난 학기", ends=datetime.date(2026, 2, 1), quota=0, members=[user])

    assert usage.quota_for(fresh(user)) == 30000

    user.daily_token_quota = 100
    user.save()
    assert usage.quota_for(fresh(user)) == 100


def test_no_limit_in_an_open_class_is_the_most_generous(user, settings, frozen):
    settings.DAILY_TOKEN_QUOTA = 5000
    course("오전반", quota=20000, members=[user])
    course("연구반", quota=0, members=[user])

    assert usage.quota_for(fresh(user)) == 0


def test_a_class_without_its_own_quota_gives_the_site_default(user, settings, frozen):
    settings.DAILY_TOKEN_QUOTA = 5000
    course("오전반", quota=None, members=[user])
    course("보충반", quota=1000, members=[user])

    assert usage.quota_for(fresh(user)) == 5000


def test_a_member_of_only_closed_classes_reads_but_cannot_send(user, frozen):
    course("지난 학기", ends=datetime.date(2026, 2, 27), members=[user])
    course("다음 학기", starts=datetime.date(2026, 4, 1), members=[user])

    standing = courses.standing(fresh(user))

    assert not standing.can_send
    with translation.override("en"):
        assert "starts on" in standing.closed_message


def test_one_open_class_is_enough_to_send(user, frozen):
    course("지난 학기", ends=datetime.date(2026, 2, 27), members=[user])
    course("이번 학기", starts=datetime.date(2026, 3, 2), ends=MARCH, members=[user])

    assert courses.standing(fresh(user)).can_send


def test_allowed_models_are_the_union_of_open_classes_and_empty_means_all(user, frozen):
    course("오전반", models=["fake-model"], members=[user])
    course("오후반", models=["fake-large"], members=[user])
    course("지난 학기", ends=datetime.date(2026, 2, 1), models=["old-model"], members=[user])

    assert courses.standing(fresh(user)).allowed_models == {"fake-model", "fake-large"}

    course("자유반", models=[], members=[user])
    assert courses.standing(fresh(user)).allowed_models is None


def test_the_standing_is_one_query_and_read_once_per_request(
    user, frozen, django_assert_num_queries
):
    course("오전반", quota=20000, members=[user])
    person = fresh(user)

    with django_assert_num_queries(1):
        courses.standing(person)
        usage.quota_for(person)
        assert courses.standing(person).allowed_models is None


def test_announcements_show_until_dismissed_and_again_after_a_change(user, frozen):
    morning = course("오전반", members=[user])
    morning.announcement = "내일은 휴강입니다."
    morning.announcement_at = datetime.datetime(2026, 3, 9, 9, tzinfo=SEOUL)
    morning.save()

    assert [m.course for m in courses.standing(fresh(user)).announcements] == [morning]

    Membership.objects.filter(user=user).update(
        announcement_dismissed_at=datetime.datetime(2026, 3, 9, 10, tzinfo=SEOUL)
    )
    assert courses.standing(fresh(user)).announcements == []

    morning.announcement_at = datetime.datetime(2026, 3, 9, 11, tzinfo=SEOUL)
    morning.save()
    assert len(courses.standing(fresh(user)).announcements) == 1


# ---------------------------------------------------------------- 반별 사용량


@pytest.fixture
def two_classes(user, other_user, frozen):
    """minji는 두 반에, junho는 오후반에만. 오전반은 3월 5일부터."""
    morning = course("오전반", starts=datetime.date(2026, 3, 5), members=[user])
    afternoon = course("오후반", members=[user, other_user])
    spend(user, 100, datetime.date(2026, 3, 1))  # 오전반이 시작하기 전
    spend(user, 1000, datetime.date(2026, 3, 6))
    spend(other_user, 10, datetime.date(2026, 3, 6))
    return morning, afternoon


def test_usage_report_by_class_counts_members_on_the_class_days(two_classes, capsys):
    morning, afternoon = two_classes

    call_command("usage_report", "--since", "2026-03-01", "--until", "2026-03-10", "--by", "class")

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["class", "name", "prompt_tokens"]
    assert lines[1].split()[:3] == [str(morning.pk), "오전반", "1,000"]
    # minji의 두 날과 junho: 두 반에 든 학생은 두 반에 모두 보인다
    assert lines[2].split()[:3] == [str(afternoon.pk), "오후반", "1,110"]


def test_usage_report_by_class_leaves_out_people_in_no_class(two_classes, capsys):
    """반에 들지 않은 사람의 장부가 반 없는 줄(None)로 나와 표가 죽었다: 반별 보고서에는 반의 학생만."""
    loner = User.objects.create_user(username="loner", password="x")
    spend(loner, 7, datetime.date(2026, 3, 6))

    call_command("usage_report", "--since", "2026-03-01", "--until", "2026-03-10", "--by", "class")
    table = capsys.readouterr().out.splitlines()
    call_command(
        "usage_report",
        "--since",
        "2026-03-01",
        "--until",
        "2026-03-10",
        "--by",
        "class",
        "--format",
        "csv",
    )
    csv = capsys.readouterr().out.splitlines()

    assert [line.split()[1] for line in table[1:-1]] == ["오전반", "오후반"]
    assert len(csv) == 3


def test_usage_report_filters_by_class_per_user_and_per_day(two_classes, capsys):
    morning, _afternoon = two_classes

    call_command(
        "usage_report",
        "--since",
        "2026-03-01",
        "--until",
        "2026-03-10",
        "--class",
        "오전반",
        "--format",
        "csv",
    )
    by_user = capsys.readouterr().out.splitlines()
    call_command(
        "usage_report",
        "--since",
        "2026-03-01",
        "--until",
        "2026-03-10",
        "--class",
        str(morning.pk),
        "--by",
        "day",
    )
    by_day = capsys.readouterr().out.splitlines()

    # junho는 오전반이 아니다. minji의 3월 1일(반 시작 전)은 세지 않는다
    assert by_user[1:] == ["minji,,1000,0,1000,1,0"]
    assert [line.split()[0] for line in by_day[1:-1]] == ["2026-03-06"]


def test_usage_report_names_an_unknown_class(db):
    with translation.override("en"), pytest.raises(CommandError, match="no class"):
        call_command("usage_report", "--class", "없는 반")


def test_the_admin_usage_list_filters_by_class_and_its_csv_follows(two_classes, admin_client):
    morning, _afternoon = two_classes

    page = admin_client.get(f"/admin/accounts/dailyusage/?class={morning.pk}")
    csv = admin_client.get(f"/admin/accounts/dailyusage/csv/?class={morning.pk}")

    assert page.status_code == 200
    assert list(page.context["cl"].queryset.values_list("user__username", "day")) == [
        ("minji", datetime.date(2026, 3, 6))
    ]
    lines = b"".join(csv.streaming_content).decode().splitlines()
    assert lines[1:] == ["2026-03-06,minji,fake-model,1000,0,1000,1,0"]


def test_the_admin_class_list_counts_members_in_one_query(
    admin_client, user, other_user, django_assert_max_num_queries
):
    course("오전반", members=[user, other_user])
    course("오후반", members=[user])

    with django_assert_max_num_queries(12):
        page = admin_client.get("/admin/accounts/course/")

    assert page.status_code == 200
    assert [row.member_total for row in page.context["cl"].result_list] == [1, 2]


def test_changing_the_announcement_in_the_admin_shows_it_again(admin_client, user, frozen):
    morning = course("오전반", members=[user])
    form = {
        "name": "오전반",
        "daily_token_quota": "",
        "allowed_models": "[]",
        "announcement": "과제 마감은 금요일입니다.",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
        "presets-TOTAL_FORMS": "0",
        "presets-INITIAL_FORMS": "0",
        "invitations-TOTAL_FORMS": "0",
        "invitations-INITIAL_FORMS": "0",
    }

    response = admin_client.post(f"/admin/accounts/course/{morning.pk}/change/", form)

    assert response.status_code == 302, response.content.decode()[:2000]
    morning.refresh_from_db()
    assert morning.announcement_at is not None
    assert courses.standing(fresh(user)).announcements[0].course == morning


# ---------------------------------------------------------------- 반이 끝날 때: 내보내기와 보존 기간


def _conversation(owner, title, in_course=None, days_ago=0):
    from django.utils import timezone

    when = timezone.now() - datetime.timedelta(days=days_ago)
    conversation = Conversation.objects.create(
        owner=owner, title=title, model="m", course=in_course, created_at=when, updated_at=when
    )
    Message.objects.create(conversation=conversation, role="user", content=title)
    return conversation


def test_export_writes_only_the_class_conversations(user, other_user, capsys, frozen):
    morning = course("오전반", members=[user, other_user])
    _conversation(user, "반 과제", morning)
    _conversation(other_user, "반 질문", morning)
    _conversation(user, "개인 대화")

    call_command("export_conversations", "--class", str(morning.pk))

    titles = [json.loads(line)["title"] for line in capsys.readouterr().out.splitlines()]
    assert sorted(titles) == ["반 과제", "반 질문"]
    event = AuditEvent.objects.get(action=Action.CONVERSATIONS_EXPORTED)
    assert event.payload["class"] == morning.pk


def test_purge_by_class_keeps_other_conversations(user, capsys):
    morning = course("오전반", members=[user])
    _conversation(user, "반 과제", morning, days_ago=100)
    _conversation(user, "개인 대화", days_ago=100)

    call_command("purge_conversations", "--older-than", "90", "--class", "오전반")

    assert list(Conversation.objects.values_list("title", flat=True)) == ["개인 대화"]


def test_class_retention_deletes_only_classes_past_their_period(user, capsys, frozen):
    ended = course("지난 학기", ends=datetime.date(2026, 2, 1), members=[user])
    ended.retention_days = 30
    ended.save()
    recent = course("이번 달에 끝남", ends=datetime.date(2026, 3, 1), members=[user])
    recent.retention_days = 30
    recent.save()
    keep = course("보존 기간 없음", ends=datetime.date(2025, 1, 1), members=[user])
    _conversation(user, "지난 학기 대화", ended)
    _conversation(user, "이번 달 대화", recent)
    _conversation(user, "오래 둘 대화", keep)
    _conversation(user, "개인 대화")

    call_command("purge_conversations", "--class-retention", "--dry-run")
    assert "Would delete 1 conversations with 1 messages." in capsys.readouterr().out
    call_command("purge_conversations", "--class-retention")

    assert sorted(Conversation.objects.values_list("title", flat=True)) == [
        "개인 대화",
        "오래 둘 대화",
        "이번 달 대화",
    ]
    event = AuditEvent.objects.get(action=Action.CONVERSATIONS_PURGED)
    assert event.payload["class_retention"] == [ended.pk]


@pytest.mark.parametrize(
    ("ends", "retention"),
    [(datetime.date(9999, 12, 31), 1), (datetime.date(2026, 3, 1), 1_000_000_000)],
)
def test_a_retention_past_the_calendar_keeps_the_class_and_purges_the_others(
    user, capsys, frozen, ends, retention
):
    """끝난 날 + 보존 기간이 달력 끝(9999-12-31)을 넘어도 매일의 cron이 죽지 않고 다른 반을 지운다."""
    far = course("먼 반", ends=ends, members=[user])
    far.retention_days = retention
    far.save()
    ended = course("지난 학기", ends=datetime.date(2026, 2, 1), members=[user])
    ended.retention_days = 30
    ended.save()
    _conversation(user, "먼 반 대화", far)
    _conversation(user, "지난 학기 대화", ended)

    call_command("purge_conversations", "--class-retention")

    assert list(Conversation.objects.values_list("title", flat=True)) == ["먼 반 대화"]


def test_a_class_argument_that_only_looks_like_a_number_names_no_class(db):
    with pytest.raises(CommandError, match="There is no class"), translation.override("en"):
        call_command("usage_report", "--class", "²")


def test_purge_needs_an_age_or_the_class_retention(db):
    with pytest.raises(CommandError):
        call_command("purge_conversations")
    with pytest.raises(CommandError, match="no retention period"):
        call_command("purge_conversations", "--class-retention", "--class", str(course("반").pk))


def test_the_admin_usage_list_totals_each_class_under_the_same_filters(two_classes, admin_client):
    morning, _afternoon = two_classes

    everything = admin_client.get(
        "/admin/accounts/dailyusage/?day__gte=2026-03-01&day__lte=2026-03-10"
    )
    only_morning = admin_client.get(f"/admin/accounts/dailyusage/?class={morning.pk}")

    assert everything.context["class_totals"] == [
        {"name": "오전반", "tokens": 1000, "replies": 1},
        {"name": "오후반", "tokens": 1110, "replies": 3},
    ]
    assert only_morning.context["class_totals"] == [
        {"name": "오전반", "tokens": 1000, "replies": 1}
    ]
    assert 'class="class-usage-totals"' in everything.content.decode()


def test_the_admin_class_totals_read_a_class_number_of_several_digits(
    two_classes, admin_client, user
):
    for number in range(10):
        course(f"빈 반 {number}")
    evening = course("저녁반", members=[user])
    assert evening.pk >= 10

    page = admin_client.get(f"/admin/accounts/dailyusage/?class={evening.pk}")

    # 한 자리만 읽으면 다른 반(빈 반)의 합계를 찾아 표가 비었다
    assert page.context["class_totals"] == [{"name": "저녁반", "tokens": 1100, "replies": 2}]
