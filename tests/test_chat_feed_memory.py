"""같은 프로세스의 길(chat.feed.memory): 다른 루프에서 따라가던 사람이 떠나도 쓰는 쪽은 계속 쓴다."""

import asyncio
import threading

from chat.feed import memory


def writer_on_its_own_loop():
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()
    writer = memory.Writer(1, 1, on_stop=None, loop=loop)
    writer.claimed = True
    return loop, writer


def put(loop, writer, text):
    async def write():
        writer.put(text)
        writer.flush()

    asyncio.run_coroutine_threadsafe(write(), loop).result(timeout=5)


def test_a_follower_whose_loop_closed_does_not_break_the_writer():
    # JavaScript 없는 보내기가 WSGI에서 잠깐 기다리다 떠난 모양: async_to_sync의 루프는 닫힌다
    loop, writer = writer_on_its_own_loop()

    async def wait_briefly():
        return await writer._wait_change(0.05)

    assert asyncio.run(wait_briefly()) is False

    put(loop, writer, "떠난 뒤의 조각")

    assert writer.text() == "떠난 뒤의 조각"
    assert writer._waiters == []
    loop.call_soon_threadsafe(loop.stop)


def test_a_follower_on_another_loop_wakes_for_a_new_piece():
    loop, writer = writer_on_its_own_loop()

    async def follow_one():
        async for event in memory.follow(writer, 0):
            return event

    follower = threading.Thread(target=lambda: seen.append(asyncio.run(follow_one())))
    seen = []
    follower.start()
    while not writer._waiters:
        threading.Event().wait(0.01)
    put(loop, writer, "조각")
    follower.join(timeout=5)

    assert seen[0].text == "조각"
    loop.call_soon_threadsafe(loop.stop)
