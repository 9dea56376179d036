"""uvicorn 하위 프로세스 위의 진짜 앱: 프레임이 시간에 걸쳐 도착하고, 답변은 보는 사람이 떠나도 끝까지 만들어진다."""

import time

import pytest

from tests.support.fake_openai import Reply
from tests.support.servers import Browserless, wait_for_page
from tests.support.sse import read_events

pytestmark = pytest.mark.live


def test_frames_arrive_spread_over_time_not_buffered(live_asgi, fake_openai):
    # 4초짜리 답: 스트림이 바쁜 기계에서 1초 늦게 열려도 나머지가 1초 넘게 나뉘어 온다
    fake_openai.script(Reply(tokens=[f"w{index} " for index in range(16)], delay=0.25))
    user = Browserless(live_asgi)
    _, stream_url = user.start("천천히 답해 줘")

    started = time.monotonic()
    connection, response = user.open_stream(stream_url)
    first_line = response.readline()
    comment_at = time.monotonic() - started
    events = read_events(response)
    connection.close()

    tokens = [at for name, _, at in events if name == "token"]
    # 주석은 바로 온다
    assert first_line.startswith(b": connected")
    assert comment_at < 1.0
    assert len(tokens) >= 6
    # 첫 조각은 마지막 조각보다 한참 먼저 온다 (스트림이 한 덩어리로 모이지 않았다)
    assert tokens[-1] - tokens[0] > 1.0
    assert events[-1][0] == "done"


def test_the_reply_is_finished_after_the_client_went_away(live_asgi, fake_openai):
    fake_openai.script(Reply(tokens=[f"조각{index} " for index in range(40)], delay=0.05))
    user = Browserless(live_asgi)
    conversation_url, stream_url = user.start("길게 답해 줘")
    connection, response = user.open_stream(stream_url)
    read_events(response, until="token")

    connection.sock.close()
    connection.close()

    page = wait_for_page(user, conversation_url, "조각39")
    assert "조각0 조각1" in page
    assert "조각39" in page
    assert "is-interrupted" not in page


def test_reattaching_mid_reply_gets_the_text_so_far_then_live_frames(live_asgi, fake_openai):
    fake_openai.script(Reply(tokens=[f"t{index} " for index in range(30)], delay=0.1))
    user = Browserless(live_asgi)
    _, stream_url = user.start("길게")
    first, response = user.open_stream(stream_url)
    events = read_events(response, until="token")
    seen = response.last_event_id
    time.sleep(1.0)
    first.sock.close()
    first.close()

    # 아직 생성 중일 때: 새로고침한 탭처럼 처음부터, 그리고 EventSource의 재연결처럼 Last-Event-ID로
    again, fresh_response = user.open_stream(stream_url)
    resumed_connection, resumed_response = user.open_stream(stream_url, last_event_id=seen)
    fresh = read_events(fresh_response)
    resumed = read_events(resumed_response)
    again.close()
    resumed_connection.close()

    whole = "".join(f"t{index} " for index in range(30))
    fresh_tokens = [data for name, data, _ in fresh if name == "token"]
    # 첫 프레임에 지금까지의 글이 한꺼번에, 그 뒤로 살아 있는 프레임이 여럿
    assert fresh_tokens[0].startswith("t0 t1 ")
    assert len(fresh_tokens) > 3
    assert "".join(fresh_tokens) == whole
    assert fresh[-2][0] == "reply"
    # 이미 받은 글은 다시 받지 않는다
    received = "".join(data for name, data, _ in events if name == "token")
    assert int(seen) == len(received)
    assert received + "".join(data for name, data, _ in resumed if name == "token") == whole
    assert "t29" in resumed[-2][1]


def test_two_followers_see_the_same_reply_live(live_asgi, fake_openai):
    fake_openai.script(Reply(tokens=[f"n{index} " for index in range(20)], delay=0.05))
    user = Browserless(live_asgi)
    _, stream_url = user.start("둘이 보기")
    first, first_response = user.open_stream(stream_url)
    second, second_response = user.open_stream(stream_url)

    one = read_events(first_response)
    two = read_events(second_response)
    first.close()
    second.close()

    def text(events):
        return "".join(data for name, data, _ in events if name == "token")

    assert text(one) == text(two) == "".join(f"n{index} " for index in range(20))
    assert len(fake_openai.requests) == 1
