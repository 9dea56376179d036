"""사용량 장부와 하루 토큰 한도: 끝난 답변마다 한 번, 동시에 끝나도 정확히, 한도는 보내기 전에, 자정에 풀린다."""

import datetime
import threading
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from accounts import usage
from accounts.models import DailyUsage
from chat.models import Conversation, Message
from chat.services import ChatRefused, conversation_start
from core.models import AuditEvent
from tests.support.factories import add_message
from tests.support.fake_openai import Reply
from tests.support.servers import running_on_postgres

HTMX = {"HX-Request": "true"}
SEOUL = zoneinfo.ZoneInfo("Asia/Seoul")


def at(monkeypatch, *args):
    """서울 시각으로 시간을 멈춘다."""
    frozen = datetime.datetime(*args, tzinfo=SEOUL)
    monkeypatch.setattr(usage, "now", lambda: frozen)
    return frozen


def spend(user, tokens, day=None, model="fake-model"):
    usage.usage_record(
        user_id=user.pk,
        model=model,
        prompt_tokens=tokens,
        completion_tokens=0,
        estimated=False,
        day=day,
    )


def conversation_of(user):
    return Conversation.objects.create(owner=user, title="대화", model="fake-model")


# ---------------------------------------------------------------- 장부


def test_the_ledger_adds_up_per_person_day_and_model(user, other_user):
    day = datetime.date(2026, 3, 2)
    for _ in range(3):
        usage.usage_record(
            user_id=user.pk,
            model="fake-model",
            prompt_tokens=10,
            completion_tokens=5,
            estimated=False,
            day=day,
        )
    usage.usage_record(
        user_id=user.pk,
        model="fake-model",
        prompt_tokens=1,
        completion_tokens=1,
        estimated=True,
        day=day,
    )
    usage.usage_record(
        user_id=user.pk,
        model="fake-large",
        prompt_tokens=7,
        completion_tokens=0,
        estimated=False,
        day=day,
    )
    spend(other_user, 100, day=day)

    row = DailyUsage.objects.get(user=user, day=day, model="fake-model")
    assert (row.prompt_tokens, row.completion_tokens, row.replies, row.estimated_replies) == (
        31,
        16,
        4,
        1,
    )
    assert usage.tokens_on(user.pk, day) == 31 + 16 + 7
    assert DailyUsage.objects.count() == 3


@pytest.mark.skipif(
    not running_on_postgres(),
    reason="SQLite's shared in-memory test database refuses concurrent writers outright; "
    "the race below runs on PostgreSQL, the one without threads on both",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_finishes_lose_no_increment(django_user_model):
    """여러 스레드(각자의 DB 연결)가 같은 줄을 동시에 만들고 더한다. PostgreSQL의 진짜 경쟁이다."""
    student = django_user_model.objects.create_user(username="racer", password="x" * 12)
    day = datetime.date(2026, 3, 2)
    threads_count, each = 8, 10
    barrier = threading.Barrier(threads_count)
    errors = []

    def worker():
        try:
            barrier.wait()
            for _ in range(each):
                usage.usage_record(
                    user_id=student.pk,
                    model="fake-model",
                    prompt_tokens=3,
                    completion_tokens=2,
                    estimated=False,
                    day=day,
                )
        except Exception as error:  # 스레드의 실패를 테스트로 가져온다
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    row = DailyUsage.objects.get(user=student, day=day)
    assert row.replies == threads_count * each
    assert row.prompt_tokens == 3 * threads_count * each
    assert row.completion_tokens == 2 * threads_count * each


def test_losing_the_race_to_create_the_row_still_adds(user, monkeypatch):
    """다른 워커가 이 워커의 UPDATE(0행)와 INSERT 사이에 줄을 만들었다: 진 쪽은 다시 더한다."""
    day = datetime.date(2026, 3, 2)
    real_add = usage._add_to_row
    calls = []

    def first_update_sees_no_row(*args):
        calls.append(args)
        if len(calls) == 1:
            # 이 UPDATE가 0행을 고친 직후 다른 워커가 줄을 만든다
            spend(user, 100, day=day)
            return False
        return real_add(*args)

    monkeypatch.setattr(usage, "_add_to_row", first_update_sees_no_row)
    usage.usage_record(
        user_id=user.pk,
        model="fake-model",
        prompt_tokens=3,
        completion_tokens=2,
        estimated=True,
        day=day,
    )

    row = DailyUsage.objects.get()
    assert (row.prompt_tokens, row.completion_tokens, row.replies, row.estimated_replies) == (
        103,
        2,
        2,
        1,
    )


def test_the_increment_is_done_by_the_database(user, django_assert_num_queries):
    """읽고 더해 쓰지 않는다: 줄이 있으면 UPDATE 한 번, 그 안에서 x = x + n."""
    spend(user, 1, day=datetime.date(2026, 3, 2))

    with django_assert_num_queries(1) as captured:
        spend(user, 5, day=datetime.date(2026, 3, 2))

    sql = captured.captured_queries[0]["sql"]
    assert sql.startswith("UPDATE")
    assert '"prompt_tokens" = "prompt_tokens" + 5' in sql


def test_a_finished_reply_counts_the_usage_the_server_sent(logged_in, user, llm_server):
    llm_server.script(
        Reply(tokens=["하나", "둘"], usage={"prompt_tokens": 40, "completion_tokens": 9})
    )
    conversation = conversation_of(user)

    logged_in.post(f"/chat/{conversation.pk}/messages/", {"content": "질문"})

    row = DailyUsage.objects.get(user=user)
    assert (row.model, row.prompt_tokens, row.completion_tokens) == ("fake-model", 40, 9)
    assert (row.replies, row.estimated_replies) == (1, 0)
    assert row.day == usage.today()


def test_a_reply_without_usage_is_counted_by_estimate_and_marked(logged_in, user, llm_server):
    llm_server.script(Reply(tokens=["abcd", "efgh"], usage=None))
    conversation = conversation_of(user)

    logged_in.post(f"/chat/{conversation.pk}/messages/", {"content": "질문"})

    row = DailyUsage.objects.get(user=user)
    assert row.estimated_replies == 1
    # 답변 8글자(ASCII)는 2토큰 + 메시지 덧붙임 4, 질문 2글자(한글)는 2 + 4
    assert row.completion_tokens == 6
    assert row.prompt_tokens == 6


def test_a_failed_reply_counts_what_it_used(logged_in, user, llm_server):
    # 토큰 둘을 보낸 뒤 연결이 끊긴다: 실패한 답변도 쓴 만큼 센다
    llm_server.script(*[Reply(tokens=["a", "b", "c", "d"], cut_after=2, usage=None)] * 3)
    conversation = conversation_of(user)

    logged_in.post(f"/chat/{conversation.pk}/messages/", {"content": "질문"})

    reply = conversation.messages.get(role=Message.Role.ASSISTANT)
    assert reply.status == Message.Status.FAILED
    row = DailyUsage.objects.get(user=user)
    assert row.replies == 1
    assert row.completion_tokens > 0


# ---------------------------------------------------------------- 한도


@pytest.mark.parametrize("htmx", [False, True])
def test_a_send_at_the_quota_is_refused_with_the_reset_time_and_the_text_stays(
    english, user, settings, monkeypatch, htmx
):
    settings.DAILY_TOKEN_QUOTA = 2000
    at(monkeypatch, 2026, 3, 2, 15, 30)
    spend(user, 2000, day=datetime.date(2026, 3, 2))
    english.force_login(user)
    conversation = conversation_of(user)

    response = english.post(
        f"/chat/{conversation.pk}/messages/",
        {"content": "한도 넘은 질문"},
        headers=HTMX if htmx else {},
    )

    html = response.content.decode()
    assert response.status_code == (200 if htmx else 429)
    # 무슨 일인지, 언제 풀리는지, 어디서 더 보는지: 입력창 위의 오류 자리에 세 가지만
    assert (
        "You have used today&#x27;s 2,000 tokens. You can send again "
        '<span class="nowrap">at midnight</span>. <a href="/accounts/usage/">See usage</a>'
    ) in html
    assert "12:00" not in html
    assert "한도 넘은 질문</textarea>" in html
    assert not conversation.messages.exists()


def test_one_token_under_the_quota_still_sends(logged_in, user, settings, monkeypatch, fast_demo):
    settings.DAILY_TOKEN_QUOTA = 2000
    at(monkeypatch, 2026, 3, 2, 15, 30)
    spend(user, 1999, day=datetime.date(2026, 3, 2))
    conversation = conversation_of(user)

    response = logged_in.post(f"/chat/{conversation.pk}/messages/", {"content": "마지막 질문"})

    assert response.status_code == 302
    assert conversation.messages.count() == 2


def test_a_new_conversation_past_the_quota_is_not_created(logged_in, user, settings, monkeypatch):
    settings.DAILY_TOKEN_QUOTA = 100
    at(monkeypatch, 2026, 3, 2, 9, 0)
    spend(user, 150, day=datetime.date(2026, 3, 2))

    response = logged_in.post("/chat/", {"content": "새 대화", "model": "daehwa-demo"})

    assert response.status_code == 429
    assert "새 대화</textarea>" in response.content.decode()
    assert not Conversation.objects.exists()


def test_the_refusal_carries_its_code_and_a_korean_sentence(user, settings, monkeypatch):
    settings.DAILY_TOKEN_QUOTA = 2000
    at(monkeypatch, 2026, 3, 2, 15, 30)
    spend(user, 2500, day=datetime.date(2026, 3, 2))

    with translation.override("ko"), pytest.raises(ChatRefused) as refused:
        conversation_start(user=user, content="질문", model="daehwa-demo")

    assert refused.value.code == "quota_reached"
    assert refused.value.message == (
        "오늘의 토큰 2,000개를 모두 썼습니다. "
        '<span class="nowrap">자정(0시)</span>에 다시 보낼 수 있습니다. '
        '<a href="/accounts/usage/">사용량 보기</a>'
    )
    assert not Conversation.objects.exists()


def test_the_quota_resets_at_local_midnight(user, settings, monkeypatch):
    settings.DAILY_TOKEN_QUOTA = 100
    at(monkeypatch, 2026, 3, 2, 23, 59, 59)
    usage.usage_record(
        user_id=user.pk, model="m", prompt_tokens=100, completion_tokens=0, estimated=False
    )
    assert usage.quota_status(user).reached
    assert usage.quota_status(user).resets_at == datetime.datetime(2026, 3, 3, tzinfo=SEOUL)

    # 서울의 자정은 UTC로 전날 15시다: 날짜는 TIME_ZONE의 날짜다
    at(monkeypatch, 2026, 3, 3, 0, 0, 0)
    assert not usage.quota_status(user).reached
    assert usage.quota_status(user).used == 0


def test_a_personal_quota_overrides_the_default_and_zero_means_no_limit(user, settings):
    settings.DAILY_TOKEN_QUOTA = 100
    spend(user, 500)
    assert usage.quota_status(user).reached

    user.daily_token_quota = 0
    assert not usage.quota_status(user).reached
    user.daily_token_quota = 1000
    assert not usage.quota_status(user).reached
    user.daily_token_quota = 500
    assert usage.quota_status(user).reached


def test_a_retry_past_the_quota_is_refused(logged_in, user, settings):
    settings.DAILY_TOKEN_QUOTA = 100
    conversation = conversation_of(user)
    add_message(conversation=conversation, role=Message.Role.USER, content="질문")
    failed = add_message(
        conversation=conversation, role=Message.Role.ASSISTANT, status=Message.Status.FAILED
    )
    spend(user, 100)

    response = logged_in.post(f"/chat/replies/{failed.pk}/regenerate/", follow=True)

    failed.refresh_from_db()
    assert failed.status == Message.Status.FAILED
    assert (
        '<p class="form-errors">오늘의 토큰 100개를 모두 썼습니다. <span class="nowrap">자정(0시)</span>'
        '에 다시 보낼 수 있습니다. <a href="/accounts/usage/">사용량 보기</a></p>'
    ) in response.content.decode()
    assert failed.attempt == 0


def test_a_reply_running_when_the_quota_is_crossed_finishes(logged_in, user, settings, llm_server):
    settings.DAILY_TOKEN_QUOTA = 50
    llm_server.script(
        Reply(tokens=["긴 ", "답변"], usage={"prompt_tokens": 45, "completion_tokens": 30})
    )
    conversation = conversation_of(user)

    logged_in.post(f"/chat/{conversation.pk}/messages/", {"content": "질문"})

    reply = conversation.messages.get(role=Message.Role.ASSISTANT)
    assert reply.status == Message.Status.DONE
    assert reply.content == "긴 답변"
    assert usage.tokens_on(user.pk, usage.today()) == 75
    refused = logged_in.post(f"/chat/{conversation.pk}/messages/", {"content": "다음 질문"})
    assert refused.status_code == 429
    assert conversation.messages.count() == 2


def test_a_running_reply_holds_back_its_share_of_the_quota_until_it_ends(user, settings):
    settings.DAILY_TOKEN_QUOTA = 2000
    settings.LLM_REPLY_TOKENS = 1024
    spend(user, 1000)
    # 테스트의 트랜잭션 안이라 생성은 시작되지 않는다: 답변은 대기 중으로 남아 몫을 잡고 있다
    running = conversation_start(user=user, content="첫 질문", model="daehwa-demo")

    with pytest.raises(ChatRefused) as refused:
        conversation_start(user=user, content="다른 탭의 질문", model="daehwa-demo")
    assert refused.value.code == "quota_reserved"
    assert refused.value.message.endswith('<a href="/accounts/usage/">사용량 보기</a>')

    # 끝나면 몫이 풀리고 장부의 실제 값이 대신한다 (정산)
    Message.objects.filter(pk=running.pk).update(status=Message.Status.DONE)
    spend(user, 30)
    conversation_start(user=user, content="다른 탭의 질문", model="daehwa-demo")
    assert Conversation.objects.count() == 2


@pytest.mark.skipif(
    not running_on_postgres(),
    reason="SQLite's shared in-memory test database refuses concurrent writers outright; "
    "two processes on one SQLite file are tested in test_site_shared_limits",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_sends_cannot_pass_a_spent_quota(django_user_model, settings, monkeypatch):
    """한도 1,000에 999를 쓴 사람이 스무 탭에서 동시에 보낸다: 하나만 받아들인다 (각 스레드는 제 DB 연결)."""
    from chat import generation

    # 생성은 시작하지 않는다: 받아들인 답변은 대기 중으로 남아 제 몫을 잡고 있다
    monkeypatch.setattr(generation, "start", lambda *args, **kwargs: None)
    settings.DAILY_TOKEN_QUOTA = 1000
    student = django_user_model.objects.create_user(username="tabs", password="x" * 12)
    spend(student, 999)
    senders = 20
    barrier = threading.Barrier(senders)
    outcomes, errors = [], []

    def send(number):
        try:
            barrier.wait()
            conversation_start(user=student, content=f"질문 {number}", model="daehwa-demo")
            outcomes.append("sent")
        except ChatRefused as refused:
            outcomes.append(refused.code)
        except Exception as error:  # 스레드의 실패를 테스트로 가져온다
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(number,)) for number in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert outcomes.count("sent") == 1
    assert outcomes.count("quota_reserved") == senders - 1
    assert Conversation.objects.filter(owner=student).count() == 1


def test_the_quota_check_is_one_query_and_none_without_a_quota(
    user, settings, django_assert_num_queries
):
    settings.DAILY_TOKEN_QUOTA = 0
    # 반의 자리를 한 번 읽고 (요청 하나 동안 user에 붙여 둔다), 한도가 없으니 장부는 읽지 않는다
    with django_assert_num_queries(1):
        usage.quota_status(user)
    with django_assert_num_queries(0):
        usage.quota_status(user)
    settings.DAILY_TOKEN_QUOTA = 10
    with django_assert_num_queries(1):
        usage.quota_status(user)


# ---------------------------------------------------------------- 학생이 보는 것


def test_the_composer_shows_a_meter_from_80_percent_amber_then_red_with_a_word(
    english, user, settings, monkeypatch
):
    settings.DAILY_TOKEN_QUOTA = 2000
    at(monkeypatch, 2026, 3, 2, 21, 0)
    english.force_login(user)
    conversation = conversation_of(user)
    spend(user, 1599, day=datetime.date(2026, 3, 2))

    calm = english.get(f"/chat/{conversation.pk}/").content.decode()
    spend(user, 1, day=datetime.date(2026, 3, 2))
    near = english.get(f"/chat/{conversation.pk}/").content.decode()
    start = english.get("/chat/").content.decode()
    spend(user, 1400, day=datetime.date(2026, 3, 2))
    over = english.get(f"/chat/{conversation.pk}/").content.decode()

    assert "usage-meter" not in calm
    assert '<p class="usage-meter usage-level-near" id="usage-meter">' in near
    assert '<meter min="0" max="2000" value="1600"' in near
    # 단계는 색만이 아니라 말로도
    assert '<strong class="usage-level-word">Almost used up</strong>' in near
    assert "80% of today's tokens used (1,600 of 2,000)." in near
    assert 'The count starts again <span class="nowrap">at midnight</span>.' in near
    assert "usage-level-near" in start
    assert '<p class="usage-meter usage-level-over" id="usage-meter">' in over
    assert '<strong class="usage-level-word">Limit reached</strong>' in over
    # 넘은 만큼도 그대로: "2,000 중 3,000 (100%)"라고 하지 않는다
    assert "150% of today's tokens used (3,000 of 2,000)." in over


@pytest.mark.parametrize(
    ("used", "quota", "level"),
    [
        (0, 0, "ok"),
        (10**9, 0, "ok"),
        (79, 100, "ok"),
        (80, 100, "near"),
        (99, 100, "near"),
        (100, 100, "over"),
        (250, 100, "over"),
        (1599, 2000, "ok"),
        (1600, 2000, "near"),
    ],
)
def test_the_meter_has_three_levels(used, quota, level):
    status = usage.QuotaStatus(used=used, quota=quota, resets_at=usage.next_reset())

    assert status.level == level
    assert status.shows_meter == (level != "ok")


@pytest.mark.parametrize(
    ("resets_at", "korean", "english"),
    [
        # 오늘이 끝나는 자정: 날짜도 "오전 12:00"도 없이
        (datetime.datetime(2026, 3, 3, tzinfo=SEOUL), "자정(0시)", "at midnight"),
        # 같은 순간을 UTC로 받아도 사이트 시간대로 읽는다
        (datetime.datetime(2026, 3, 2, 15, tzinfo=datetime.UTC), "자정(0시)", "at midnight"),
        (datetime.datetime(2026, 3, 3, 9, tzinfo=SEOUL), "내일 9시", "tomorrow at 9:00"),
        (datetime.datetime(2026, 3, 2, 18, 5, tzinfo=SEOUL), "오늘 18시 05분", "today at 18:05"),
        (datetime.datetime(2026, 3, 4, tzinfo=SEOUL), "3월 4일 0시", "on March 4 at 0:00"),
    ],
)
def test_the_reset_reads_as_midnight_or_a_24_hour_clock(monkeypatch, resets_at, korean, english):
    at(monkeypatch, 2026, 3, 2, 15, 30)

    with translation.override("ko"):
        assert usage.reset_phrase(resets_at) == korean
    with translation.override("en"):
        assert usage.reset_phrase(resets_at) == english


def test_the_usage_page_draws_today_and_30_days_as_svg_and_a_table(
    english, user, settings, monkeypatch
):
    settings.DAILY_TOKEN_QUOTA = 2000
    at(monkeypatch, 2026, 3, 2, 12, 0)
    english.force_login(user)
    spend(user, 1500, day=datetime.date(2026, 3, 2))
    spend(user, 300, day=datetime.date(2026, 3, 2), model="fake-large")
    spend(user, 4000, day=datetime.date(2026, 2, 20))
    # 30일보다 오래된 날은 그리지 않는다
    spend(user, 9999, day=datetime.date(2026, 1, 1))

    response = english.get("/accounts/usage/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Today you have used <strong>1,800</strong> of your <strong>2,000</strong>" in html
    assert '<div class="usage-today usage-level-near">' in html
    assert '<strong class="usage-level-word">Almost used up</strong>' in html
    assert 'The count starts again <span class="nowrap">at midnight</span>.' in html
    # 긴 대화가 왜 비싼지 한 문장으로, 새 대화로 가는 고리와 함께
    assert (
        "Every reply reads the whole conversation so far as its input, so long conversations "
        'cost more tokens: for a new topic, <a href="/chat/">start a new conversation</a>.'
    ) in html
    assert (
        '<svg viewBox="0 0 600 184" role="img" aria-labelledby="usage-chart-title usage-chart-desc"'
        in html
    )
    assert '<title id="usage-chart-title">Tokens used per day, last 30 days</title>' in html
    assert "5,800 tokens in all" in html
    # 가장 큰 날(4,000)이 그림의 꼭대기까지, 한도선은 그 절반 높이
    assert 'height="160.0"><title>2026-02-20: 4,000</title>' in html
    assert 'class="usage-chart-quota" x1="0" y1="80.0"' in html
    assert html.count('class="usage-chart-bar"') == 2
    assert '<tr><th scope="row">2026-03-02</th><td>1,800</td><td>2</td></tr>' in html
    assert html.count('<tr><th scope="row">') == 30
    assert "9,999" not in html


def test_the_usage_page_counts_today_without_a_quota(english, user, settings):
    settings.DAILY_TOKEN_QUOTA = 0
    english.force_login(user)
    spend(user, 35)

    html = english.get("/accounts/usage/").content.decode()

    assert "Today you have used <strong>35</strong> tokens. There is no daily limit." in html
    assert "usage-chart-quota" not in html
    assert html.count('class="usage-chart-bar"') == 1


# ---------------------------------------------------------------- 운영자가 보는 것


def test_the_admin_lists_usage_filters_it_and_downloads_the_same_rows_as_csv(
    admin_client, user, other_user
):
    spend(user, 100, day=datetime.date(2026, 3, 1))
    spend(user, 200, day=datetime.date(2026, 3, 2), model="fake-large")
    spend(other_user, 300, day=datetime.date(2026, 3, 2))
    spend(user, 400, day=datetime.date(2026, 3, 5))
    query = f"?day__gte=2026-03-02&day__lte=2026-03-04&user__id__exact={user.pk}"

    listing = admin_client.get(f"/admin/accounts/dailyusage/{query}")
    download = admin_client.get(f"/admin/accounts/dailyusage/csv/{query}")

    html = listing.content.decode()
    assert listing.status_code == 200
    assert "fake-large" in html
    assert 'href="/admin/accounts/dailyusage/csv/?day__gte=2026-03-02' in html
    lines = b"".join(download.streaming_content).decode().splitlines()
    assert download["Content-Type"] == "text/csv"
    assert lines == [
        "day,username,model,prompt_tokens,completion_tokens,total_tokens,replies,estimated_replies",
        "2026-03-02,minji,fake-large,200,0,200,1,0",
    ]


def test_the_admin_csv_writes_cells_a_spreadsheet_would_run_as_text(
    admin_client, django_user_model
):
    # 아이디 규칙이 생기기 전의 계정이나 운영자가 정한 모델 이름은 무엇으로든 시작할 수 있다
    hostile = django_user_model.objects.create_user(username="-1+1")
    spend(hostile, 7, day=datetime.date(2026, 3, 2), model="+cmd|' /C calc'!A0")

    download = admin_client.get("/admin/accounts/dailyusage/csv/")

    lines = b"".join(download.streaming_content).decode().splitlines()
    assert lines[1] == "2026-03-02,'-1+1,'+cmd|' /C calc'!A0,7,0,7,1,0"


def test_the_admin_refuses_a_broken_date_filter_without_a_500(admin_client):
    response = admin_client.get("/admin/accounts/dailyusage/csv/?day__gte=yesterday")

    assert response.status_code == 302


def test_the_users_list_shows_tokens_today_without_a_query_per_user(
    admin_client, user, other_user, django_user_model, django_assert_num_queries, settings
):
    settings.DAILY_TOKEN_QUOTA = 2000
    spend(user, 1234)
    spend(user, 1, day=usage.today() - datetime.timedelta(days=1))
    with CaptureQueriesContext(connection) as few:
        admin_client.get("/admin/accounts/user/")
    for index in range(10):
        spend(django_user_model.objects.create(username=f"student_{index}"), 7)

    with django_assert_num_queries(len(few)):
        html = admin_client.get("/admin/accounts/user/").content.decode()

    assert '<td class="field-tokens_today">1,234 / 2,000</td>' in html
    assert '<td class="field-tokens_today">0 / 2,000</td>' in html
    assert html.count('<td class="field-tokens_today">7 / 2,000</td>') == 10


def test_the_users_list_marks_who_reached_the_quota_in_korean(
    admin_client, user, other_user, django_user_model, settings
):
    settings.DAILY_TOKEN_QUOTA = 50000
    spend(user, 12340)
    spend(other_user, 50000)
    unlimited = django_user_model.objects.create(username="teacher", daily_token_quota=0)
    spend(unlimited, 123456)

    html = admin_client.get("/admin/accounts/user/").content.decode()

    assert '<th scope="col" class="sortable column-tokens_today">' in html
    assert '<td class="field-tokens_today">12,340 / 50,000</td>' in html
    assert (
        '<td class="field-tokens_today">50,000 / 50,000 '
        '<strong class="usage-over-mark">한도 도달</strong></td>'
    ) in html
    assert '<td class="field-tokens_today">123,456 / 제한 없음</td>' in html


def test_changing_a_quota_in_the_admin_writes_an_audit_event(admin_client, admin_user, user):
    change = admin_client.get(f"/admin/accounts/user/{user.pk}/change/")
    form = change.context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(
        {
            "daily_token_quota": "5000",
            "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
            "groups": [],
            "user_permissions": [],
        }
    )
    data.pop("date_joined", None)
    data.pop("last_login", None)

    response = admin_client.post(f"/admin/accounts/user/{user.pk}/change/", data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    user.refresh_from_db()
    assert user.daily_token_quota == 5000
    events = AuditEvent.objects.filter(action="user.quota_changed")
    assert [(e.target_id, e.payload, e.actor) for e in events] == [
        (str(user.pk), {"from": None, "to": 5000}, admin_user)
    ]
