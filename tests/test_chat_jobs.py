"""답변 작업(chat.jobs)의 작은 규칙들: 진행 저장이 DB에 잠깐 닿지 못해도 생성은 계속된다."""

import asyncio

from django.db import OperationalError

from chat import jobs


def test_a_progress_save_the_database_cannot_take_is_tried_at_the_next_interval(monkeypatch):
    calls = []

    async def aprogress(reply_id, attempt, text, thought=""):
        calls.append(text)
        if len(calls) == 1:
            raise OperationalError("terminating connection due to administrator command")
        # 두 번째 저장: 그 사이 멈춤이 눌렸다
        return False

    job = jobs.Job(1, 0)
    stopped = []
    job.stop = lambda: stopped.append(True)
    monkeypatch.setattr(jobs.replies, "aprogress", aprogress)
    monkeypatch.setattr(jobs, "PROGRESS_SECONDS", 0.01)
    # 멈춤 확인은 Redis가 맡는다고 치고 (DB를 읽는 확인 작업을 띄우지 않는다)
    monkeypatch.setattr(jobs.fanout, "enabled", lambda: True)

    asyncio.run(asyncio.wait_for(jobs._watch(job), 5))

    assert len(calls) == 2
    assert stopped == [True]
