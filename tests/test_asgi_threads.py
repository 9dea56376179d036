"""요청 스레드의 수: 한꺼번에 몰린 요청은 스레드를 늘리지 않고 루프에서 차례를 기다린다."""

import asyncio
import threading
import time

from chatproject import asgi


def test_no_more_requests_run_at_once_than_the_limit(monkeypatch):
    monkeypatch.setattr(asgi, "REQUEST_THREADS", 4)
    lock = threading.Lock()
    running, most = [0], [0]

    def request(number):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.02)
        with lock:
            running[0] -= 1
        return number

    async def burst():
        return await asyncio.gather(*(asgi._in_request_thread(request, n) for n in range(40)))

    results = asyncio.run(burst())

    assert results == list(range(40))
    # 스레드 천 개가 GIL과 SQLite 잠금을 다투던 때는 40개가 한꺼번에 돌았다
    assert 1 < most[0] <= 4


def test_waiting_requests_get_a_thread_in_arrival_order(monkeypatch):
    # 자리가 하나면 도는 순서가 곧 자리를 얻은 순서다: 먼저 온 요청이 먼저 돈다
    monkeypatch.setattr(asgi, "REQUEST_THREADS", 1)
    order = []

    def request(number):
        order.append(number)
        time.sleep(0.001)

    async def burst():
        await asyncio.gather(*(asgi._in_request_thread(request, n) for n in range(20)))

    asyncio.run(burst())

    assert order == list(range(20))


def test_each_event_loop_has_its_own_limit(monkeypatch):
    # 테스트와 관리 명령은 루프를 여럿 만든다: 앞 루프의 세마포어를 다음 루프에서 쓰면 RuntimeError가 난다
    monkeypatch.setattr(asgi, "REQUEST_THREADS", 2)

    for _ in range(3):
        assert asyncio.run(asgi._in_request_thread(lambda: "ok")) == "ok"
