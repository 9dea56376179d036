"""uvicorn 하위 프로세스 위의 진짜 앱: 프레임이 모이지 않고 시간에 걸쳐 도착하고, 끊긴 연결은 중단으로 남는다."""

import time

from tests.fake_openai import Reply
from tests.servers import Browserless


def test_frames_arrive_spread_over_time_not_buffered(live_asgi, fake_openai):
    fake_openai.script(Reply(tokens=[f"w{index} " for index in range(8)], delay=0.25))
    user = Browserless(live_asgi)
    _, stream_url = user.start("천천히 답해 줘")

    started = time.monotonic()
    connection, response = user.open_stream(stream_url)
    arrivals = {}
    while (line := response.readline()) != b"":
        text = line.decode()
        if text.startswith(": connected"):
            arrivals.setdefault("comment", time.monotonic() - started)
        elif text.startswith("event: "):
            arrivals.setdefault("events", []).append(
                (text.strip().removeprefix("event: "), time.monotonic() - started)
            )
    connection.close()

    tokens = [at for name, at in arrivals["events"] if name == "token"]
    done = next(at for name, at in arrivals["events"] if name == "done")
    # 주석은 모델을 부르기 전에 바로 온다
    assert arrivals["comment"] < 1.0
    assert len(tokens) >= 6
    # 첫 조각은 마지막 조각보다 한참 먼저 온다 (스트림이 한 덩어리로 모이지 않았다)
    assert tokens[-1] - tokens[0] > 1.0
    assert done >= tokens[-1]


def test_a_client_that_disconnects_leaves_the_partial_reply_interrupted(live_asgi, fake_openai):
    fake_openai.script(Reply(tokens=[f"조각{index} " for index in range(40)], delay=0.1))
    user = Browserless(live_asgi)
    conversation_url, stream_url = user.start("길게 답해 줘")
    connection, response = user.open_stream(stream_url)
    while not response.readline().startswith(b"event: token"):
        pass

    connection.sock.close()
    connection.close()

    deadline = time.monotonic() + 15
    while (
        "is-interrupted" not in (page := user.get(conversation_url)) and time.monotonic() < deadline
    ):
        time.sleep(0.2)
    assert "is-interrupted" in page
    assert "조각0" in page
    assert "조각39" not in page
