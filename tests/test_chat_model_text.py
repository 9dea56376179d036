"""모델이 보내는 이상한 글과, 끝을 저장하다 나는 오류: 답변은 끝 상태에 닿고 스트림은 done으로 닫힌다."""

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from chat import llm
from chat.models import Conversation, Message
from chat.services import conversation_start
from tests.support.fake_openai import Reply
from tests.support.sse import read_stream

# 이모지 😀의 UTF-16 대리 문자 쌍: 프록시가 두 조각으로 나누면 조각마다 반쪽이 JSON 이스케이프로 온다
HIGH, LOW = "\ud83d", "\ude00"


@pytest.mark.parametrize(
    ("pieces", "expected"),
    [
        (["bad \ud800 x"], "bad \ufffd x"),
        (["웃음 ", HIGH, LOW, " 끝"], "웃음 😀 끝"),
        ([f"웃음 {HIGH}", f"{LOW} 끝"], "웃음 😀 끝"),
        ([f"외톨이 {HIGH}", "다음"], "외톨이 \ufffd다음"),
        ([f"끝에 남은 {HIGH}"], "끝에 남은 \ufffd"),
        ([f"{LOW}앞"], "\ufffd앞"),
        (["널\x00문자"], "널문자"),
    ],
)
def test_model_text_is_cleaned_and_split_pairs_are_rejoined(pieces, expected):
    cleaner = llm.TextCleaner()

    text = "".join(cleaner.feed(piece) for piece in pieces) + cleaner.flush()

    assert text == expected
    # DB와 nh3가 쓰는 UTF-8로 늘 바뀐다
    text.encode("utf-8")


def test_a_lone_surrogate_in_a_stream_ends_done_with_its_text(logged_in, user, llm_server):
    llm_server.script(Reply(tokens=["bad ", "\ud800", " x"]))
    reply = conversation_start(user=user, content="질문", model="fake-model")

    stream = read_stream(logged_in, reply.pk)

    reply.refresh_from_db()
    assert reply.status == Message.Status.DONE
    assert reply.content == "bad \ufffd x"
    assert "bad \ufffd x" in reply.rendered_html
    assert stream.data("reply")
    assert stream.events[-1] == ("done", "")


def test_an_emoji_split_across_chunks_is_rejoined(logged_in, user, llm_server):
    llm_server.script(Reply(tokens=["웃음 ", HIGH, LOW, " 끝"]))
    reply = conversation_start(user=user, content="질문", model="fake-model")

    stream = read_stream(logged_in, reply.pk)

    reply.refresh_from_db()
    assert reply.status == Message.Status.DONE
    assert reply.content == "웃음 😀 끝"
    assert stream.text == "웃음 😀 끝"


def test_without_javascript_a_lone_surrogate_still_redirects_to_the_reply(
    logged_in, user, llm_server
):
    # 첫 답변에는 홀로 선 대리 문자와 두 조각으로 나뉜 이모지, 제목에도 홀로 선 대리 문자
    llm_server.script(
        Reply(tokens=["깨진 ", "\udc00", "글 ", HIGH, LOW]), Reply(tokens=["제목 \ud800"])
    )

    response = logged_in.post("/chat/", {"content": "안녕", "model": "fake-model"})

    conversation = Conversation.objects.get()
    reply = conversation.messages.get(role="assistant")
    assert response.status_code == 302
    assert reply.status == Message.Status.DONE
    assert reply.content == "깨진 \ufffd글 😀"
    assert conversation.title == "제목 \ufffd"


def test_a_title_with_a_lone_surrogate_is_saved_cleaned(logged_in, user, llm_server):
    llm_server.script(Reply(tokens=["답"]), Reply(tokens=["서울 \ud800 여행"]))
    reply = conversation_start(user=user, content="질문", model="fake-model")
    read_stream(logged_in, reply.pk)

    response = logged_in.post(
        f"/chat/{reply.conversation_id}/title/", headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert "서울 \ufffd 여행" in response.content.decode()
    assert Conversation.objects.get().title == "서울 \ufffd 여행"


def test_a_renderer_failure_still_finishes_the_reply_with_its_text(
    logged_in, user, llm_server, monkeypatch
):
    def broken(text):
        raise RuntimeError("renderer exploded")

    monkeypatch.setattr("chat.markdown.render_markdown", broken)
    llm_server.script(Reply(tokens=["<b>굵게</b> ", "**별표**"]))
    reply = conversation_start(user=user, content="질문", model="fake-model")

    stream = read_stream(logged_in, reply.pk)

    reply.refresh_from_db()
    assert reply.status == Message.Status.DONE
    assert reply.content == "<b>굵게</b> **별표**"
    # 글 그대로, escape해서
    assert reply.rendered_html == "<p>&lt;b&gt;굵게&lt;/b&gt; **별표**</p>"
    assert "&lt;b&gt;굵게" in stream.data("reply")[0]
    assert stream.events[-1] == ("done", "")


def test_a_failing_final_save_still_leaves_a_final_status_and_the_text(
    logged_in, user, llm_server, monkeypatch
):
    from chat import replies

    real_write = replies._finish_write
    calls = []

    def fails_once(reply_id, attempt, status, fields):
        calls.append(fields)
        if len(calls) == 1:
            raise RuntimeError("database hiccup")
        return real_write(reply_id, attempt, status, fields)

    monkeypatch.setattr(replies, "_finish_write", fails_once)
    llm_server.script(Reply(tokens=["살아남은 ", "글"]))
    reply = conversation_start(user=user, content="질문", model="fake-model")

    stream = read_stream(logged_in, reply.pk)

    reply.refresh_from_db()
    assert len(calls) == 2
    assert reply.status == Message.Status.DONE
    assert reply.content == "살아남은 글"
    assert reply.rendered_html == "<p>살아남은 글</p>\n"
    assert stream.events[-1] == ("done", "")


def test_whatever_raises_in_the_stream_it_still_ends_with_done(logged_in, user, monkeypatch):
    from chat.feed import Text

    async def explodes(reply, offset):
        yield Text("앞부분", 3)
        raise RuntimeError("bug")

    monkeypatch.setattr("chat.feed.follow", explodes)
    reply = conversation_start(user=user, content="질문", model="fake-model")

    stream = read_stream(logged_in, reply.pk)

    assert stream.text == "앞부분"
    assert stream.events[-1] == ("done", "")


@pytest.mark.parametrize(
    "raw",
    [
        b"data: {oops\n\n",
        b"data: \xff\xfe\n\n",
        b'data: {"choices": 5}\n\n',
        b'data: {"choices": [{"index": 0, "delta": {"content": 7}}]}\n\n',
    ],
    ids=["broken-json", "not-utf8", "wrong-shape", "content-not-text"],
)
def test_a_malformed_chunk_fails_the_reply_with_one_warning(
    logged_in, user, llm_server, settings, caplog, raw
):
    settings.OPENAI_MAX_RETRIES = 0
    first = b'data: {"choices": [{"index": 0, "delta": {"content": "\\uc55e "}}]}\n\n'
    llm_server.script(Reply(tokens=[], raw_events=[first, raw]))
    reply = conversation_start(user=user, content="질문", model="fake-model")

    with caplog.at_level(logging.INFO):
        stream = read_stream(logged_in, reply.pk)

    reply.refresh_from_db()
    assert reply.status == Message.Status.FAILED
    assert reply.error_kind == "upstream_error"
    assert reply.content == "앞 "
    assert stream.events[-1] == ("done", "")
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "kind=upstream_error" in warnings[0].getMessage()
    assert warnings[0].exc_info is None


@pytest.mark.parametrize(
    "answer",
    [
        b'{"choices": [{"index": 0, "message": {"content": 7}, "finish_reason": "stop"}]}',
        b'{"choices": [5]}',
        b'{"choices": []}',
        b"{oops",
    ],
    ids=["content-not-text", "choice-not-an-object", "no-choice", "broken-json"],
)
def test_a_malformed_json_answer_fails_the_reply_with_one_warning(
    logged_in, user, llm_server, settings, caplog, answer
):
    # 스트림을 청했는데 JSON 하나로 온 답이 깨졌어도 깨진 조각과 같다: 우리 코드의 오류가 아니고, 운영자가
    # 까닭을 보는 경고 한 줄
    settings.OPENAI_MAX_RETRIES = 0
    llm_server.script(Reply(raw_body=[answer], content_type="application/json"))
    reply = conversation_start(user=user, content="질문", model="fake-model")

    with caplog.at_level(logging.INFO):
        stream = read_stream(logged_in, reply.pk)

    reply.refresh_from_db()
    assert (reply.status, reply.error_kind) == (Message.Status.FAILED, "upstream_error")
    assert stream.events[-1] == ("done", "")
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "kind=upstream_error" in warnings[0].getMessage()


def test_a_nul_between_the_halves_of_an_emoji_does_not_break_it():
    cleaner = llm.TextCleaner()

    text = cleaner.feed(f"a{HIGH}\x00") + cleaner.feed("\x00") + cleaner.feed(f"{LOW}b")

    assert text + cleaner.flush() == "a😀b"


def test_our_own_bug_while_streaming_stays_an_error(
    logged_in, user, llm_server, monkeypatch, caplog
):
    # 조각이 멀쩡할 때 우리 코드가 실패하면 upstream 경고로 덮지 않는다: 운영자가 봐야 한다
    def broken_feed(self, text):
        raise TypeError("our bug")

    monkeypatch.setattr(llm.TextCleaner, "feed", broken_feed)
    reply = conversation_start(user=user, content="질문", model="fake-model")

    with caplog.at_level(logging.WARNING):
        stream = read_stream(logged_in, reply.pk)

    reply.refresh_from_db()
    assert reply.status == Message.Status.FAILED
    assert stream.events[-1] == ("done", "")
    assert any(r.levelno == logging.ERROR and r.exc_info for r in caplog.records)
    assert not any("malformed chunk" in r.getMessage() for r in caplog.records)


def test_a_stale_reply_is_interrupted_even_when_rendering_fails(user, monkeypatch):
    from chat import replies
    from chat.services import message_post

    def broken(text):
        raise RuntimeError("renderer exploded")

    monkeypatch.setattr("chat.markdown.render_markdown", broken)
    reply = conversation_start(user=user, content="질문", model="fake-model")
    Message.objects.filter(pk=reply.pk).update(
        status=Message.Status.STREAMING,
        content="<i>반쯤</i>",
        updated_at=timezone.now() - timedelta(minutes=5),
    )

    assert replies.sweep_stale(Message.objects.filter(pk=reply.pk)) == 1

    reply.refresh_from_db()
    assert reply.status == Message.Status.INTERRUPTED
    assert reply.rendered_html == "<p>&lt;i&gt;반쯤&lt;/i&gt;</p>"
    # 다음 보내기도 막히지 않는다
    assert message_post(conversation=reply.conversation, user=user, content="다시")
