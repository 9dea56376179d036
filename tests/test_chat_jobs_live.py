"""답변 작업을 진짜 프로세스로: 재시작, 프로세스 사이의 멈춤과 따라가기, 작은 DB 풀.

앱 프로세스 둘이 한 DB(와 PostgreSQL 실행에서는 한 Redis)를 나눠 쓴다: 워커 둘이나 호스트 둘과 같다.
"""

import os
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.fake_openai import Reply
from tests.support.servers import Browserless, running_on_postgres, wait_for_page
from tests.support.sse import read_events

pytestmark = pytest.mark.live


def test_a_reply_is_generated_even_if_no_stream_is_ever_opened(site, fake_openai):
    fake_openai.script(Reply(tokens=[f"w{index} " for index in range(10)]))
    user = Browserless(site("a"))

    conversation_url, _ = user.start("아무도 안 봐도")

    # 바늘에 빈칸을 넣는다: "w9"만으로는 페이지의 CSRF 값이나 스트림 주소의 표(t=)에 우연히 들어 있어 일찍 돌아왔다
    page = wait_for_page(user, conversation_url, "w8 w9")
    assert "w0 w1" in page
    assert len(fake_openai.requests) == 1


def test_a_graceful_restart_lets_a_running_reply_finish(site, fake_openai):
    fake_openai.script(Reply(tokens=[f"r{index} " for index in range(20)], delay=0.1))
    with site.server("before") as base_url:
        user = Browserless(base_url)
        conversation_url, _ = user.start("재시작 중에도")
        time.sleep(0.5)
    # with를 나오면 SIGTERM을 보내고 프로세스가 끝나기를 기다렸다

    user.base_url = site("after")
    page = user.get(conversation_url)
    assert "r0 r1" in page
    assert "r19" in page
    assert "is-interrupted" not in page


def test_a_reply_longer_than_the_shutdown_wait_is_saved_interrupted(site, fake_openai):
    fake_openai.script(Reply(tokens=[f"s{index} " for index in range(200)], delay=0.05))
    with site.server("before", REPLY_SHUTDOWN_SECONDS="1") as base_url:
        user = Browserless(base_url)
        conversation_url, stream_url = user.start("길게")
        # 글이 나오기 시작한 뒤에 끈다: 바쁜 기계에서 0.5초 잠으로는 첫 토큰 전에 끌 수 있었다
        connection, response = user.open_stream(stream_url)
        read_events(response, until="token")
        connection.close()

    user.base_url = site("after")
    page = user.get(conversation_url)
    assert "is-interrupted" in page
    assert "s0 s1" in page
    assert "s198 s199" not in page
    # 다시 시도할 수 있다
    assert "/regenerate/" in page


def test_a_stop_through_another_process_reaches_the_generation(site, fake_openai):
    fake_openai.script(Reply(tokens=[f"x{index} " for index in range(100)], delay=0.05))
    first, second = site("a"), site("b")
    user = Browserless(first)
    conversation_url, stream_url = user.start("멈춰 볼게")
    reply_id = stream_url.split("/")[3]

    # 스트림은 다른 프로세스에서 읽고, 멈춤도 그쪽으로 누른다
    user.base_url = second
    connection, response = user.open_stream(stream_url)
    seen = read_events(response, until="token")
    user.post(f"/chat/replies/{reply_id}/stop/", {}, {"HX-Request": "true"})
    events = seen + read_events(response)
    connection.close()

    assert events[-1][0] == "done"
    (final,) = [data for name, data, _ in events if name == "reply"]
    assert "is-stopped" in final
    assert "x98 x99" not in final
    # 보여 준 글은 만드는 프로세스가 멈춤을 알아챈 뒤(1초 안) 저장한다. Redis 없이 프로세스가 여럿인 이 구성에서는
    # 따라가는 쪽이 그 저장보다 먼저 멈춘 행을 읽어 빈 그림을 보낼 수 있다 (운영은 Redis 없이는 워커 하나다)
    user.base_url = first
    # ">x0": 문단의 첫 글자. "x0"만으로는 CSRF 값이나 표에 우연히 들어 있을 수 있다
    page = wait_for_page(user, conversation_url, ">x0", seconds=5)
    assert "is-stopped" in page
    assert ">x0" in page
    assert "x98 x99" not in page


def test_a_stream_on_another_process_follows_the_reply_to_the_end(site, fake_openai):
    fake_openai.script(Reply(tokens=[f"y{index} " for index in range(30)], delay=0.05))
    first, second = site("a"), site("b")
    user = Browserless(first)
    _, stream_url = user.start("다른 곳에서 보기")

    user.base_url = second
    connection, response = user.open_stream(stream_url)
    events = read_events(response)
    connection.close()

    tokens = [data for name, data, _ in events if name == "token"]
    if os.environ.get("REDIS_URL"):
        # 조각이 Redis로 건너온다
        assert len(tokens) > 3
        assert "".join(tokens) == "".join(f"y{index} " for index in range(30))
    (final,) = [data for name, data, _ in events if name == "reply"]
    assert "y0 y1" in final
    assert "y29" in final
    assert len(fake_openai.requests) == 1


@pytest.mark.skipif(not running_on_postgres(), reason="the connection pool is PostgreSQL's")
def test_ten_streams_share_a_pool_of_two_connections(site, fake_openai):
    fake_openai.script(*[Reply(tokens=[f"p{index} " for index in range(20)], delay=0.1)] * 10)
    # 스트림이 연결을 쥐면 세 번째부터 1초 뒤 풀에서 연결을 얻지 못해 실패한다
    base_url = site(
        "a", DATABASE_POOL_MIN_SIZE="1", DATABASE_POOL_MAX_SIZE="2", DATABASE_POOL_TIMEOUT="1"
    )
    users = [Browserless(base_url) for _ in range(10)]
    streams = [user.start(f"풀 {index}")[1] for index, user in enumerate(users)]

    def follow(pair):
        user, stream_url = pair
        connection, response = user.open_stream(stream_url)
        try:
            return read_events(response)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(follow, zip(users, streams, strict=True)))

    for events in results:
        assert events[-1][0] == "done"
        assert "is-done" in events[-2][1]
        assert "p19" in events[-2][1]
