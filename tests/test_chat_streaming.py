"""답변 스트림: 진짜 openai SDK가 HTTP로 가짜 OpenAI 서버를 부르고, 앱은 ASGI 경로(AsyncClient)로 내보낸다."""

import re

import pytest

from chat.models import Conversation, Message
from chat.services import conversation_start, message_post
from tests.support.fake_openai import Reply
from tests.support.html import HOSTILE, parsed_tags, problems
from tests.support.sse import read_stream


def send(user, conversation, content="질문"):
    return message_post(conversation=conversation, user=user, content=content).reply


def test_a_streamed_reply_is_stored_with_usage(logged_in, user, llm_server):
    llm_server.script(
        Reply(
            tokens=["안녕", "하세요", "! ", "**반가워요**"],
            usage={"prompt_tokens": 31, "completion_tokens": 4},
        )
    )
    reply = conversation_start(user=user, content="인사해 줘", model="fake-model")

    stream = read_stream(logged_in, reply.pk)

    assert stream.status_code == 200
    assert stream.raw.startswith(": connected\n\n")
    assert stream.text == "안녕하세요! **반가워요**"
    assert stream.events[-1] == ("done", "")
    reply.refresh_from_db()
    assert reply.status == Message.Status.DONE
    assert reply.content == "안녕하세요! **반가워요**"
    assert reply.rendered_html == "<p>안녕하세요! <strong>반가워요</strong></p>\n"
    assert (reply.prompt_tokens, reply.completion_tokens) == (31, 4)
    assert reply.model == "fake-model"
    # 마지막 프레임은 페이지가 쓰는 바로 그 조각이다
    (final,) = stream.data("reply")
    assert f'id="message-{reply.pk}"' in final
    assert "<strong>반가워요</strong>" in final
    assert "sse-connect" not in final
    request = llm_server.requests[-1]
    assert request["stream"] is True
    assert request["stream_options"] == {"include_usage": True}
    assert request["messages"] == [{"role": "user", "content": "인사해 줘"}]
    assert request["max_tokens"] == 1024


def test_tokens_are_escaped_before_they_enter_a_frame(logged_in, user, llm_server):
    llm_server.script(Reply(tokens=["<script>alert(1)</script>", "\n", "둘째 줄\r\n셋째"]))
    reply = conversation_start(user=user, content="x", model="fake-model")

    stream = read_stream(logged_in, reply.pk)

    assert "<script>" not in stream.text
    assert stream.text == "&lt;script&gt;alert(1)&lt;/script&gt;\n둘째 줄\n셋째"
    assert "<script>" not in "".join(stream.data("reply"))


CSRF_VALUE = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def test_a_second_connection_never_starts_a_second_generation(logged_in, user, llm_server):
    reply = conversation_start(user=user, content="x", model="fake-model")
    first = read_stream(logged_in, reply.pk)

    again = read_stream(logged_in, reply.pk)

    assert len(llm_server.requests) == 1
    assert again.data("token") == []
    # 같은 그림이다: 양식의 CSRF 값만 그릴 때마다 새로 가려진다
    unmasked = lambda frames: [CSRF_VALUE.sub("", frame) for frame in frames]  # noqa: E731
    assert unmasked(again.data("reply")) == unmasked(first.data("reply"))
    assert again.events[-1] == ("done", "")


def test_stop_keeps_what_was_shown_and_closes_the_upstream_call(logged_in, user, llm_server):
    llm_server.script(Reply(tokens=[f"t{i} " for i in range(60)], delay=0.05))
    reply = conversation_start(user=user, content="길게", model="fake-model")

    stream = read_stream(
        logged_in,
        reply.pk,
        after_first_token=lambda: logged_in.post(
            f"/chat/replies/{reply.pk}/stop/", headers={"HX-Request": "true"}
        ),
    )

    reply.refresh_from_db()
    assert reply.status == Message.Status.STOPPED
    assert reply.content == stream.text
    assert 0 < len(reply.content.split()) < 60
    assert stream.events[-1] == ("done", "")
    assert "is-stopped" in stream.data("reply")[0]


def test_a_stop_written_by_another_process_reaches_the_generation_within_a_second(
    logged_in, user, llm_server, settings
):
    # Redis가 없으면 다른 프로세스(관리 명령)의 멈춤은 DB에만 있다: 루프의 멈춤 읽기가 1초 안에 알아챈다.
    # 진행 저장(5초)만 보면 100토큰(5초)이 모두 만들어진 뒤에야 멈췄다. (Redis가 있으면 멈춤은 Redis로 온다.)
    settings.REDIS_URL = ""
    llm_server.script(Reply(tokens=[f"t{i} " for i in range(100)], delay=0.05))
    reply = conversation_start(user=user, content="길게", model="fake-model")

    stream = read_stream(
        logged_in,
        reply.pk,
        after_first_token=lambda: Message.objects.filter(pk=reply.pk).update(
            status=Message.Status.STOPPED
        ),
    )

    reply.refresh_from_db()
    assert reply.status == Message.Status.STOPPED
    assert 0 < len(reply.content.split()) < 60
    assert "is-stopped" in stream.data("reply")[0]


@pytest.mark.parametrize(
    ("script", "kind", "shown"),
    [
        (Reply(status=429, headers={"retry-after-ms": "1"}), "rate_limited", "busy"),
        (Reply(status=500), "upstream_error", "had a problem"),
        (Reply(status=401, error_code="invalid_api_key"), "not_configured", "not configured"),
        (Reply(status=400, error_code="context_length_exceeded"), "context_too_long", "too long"),
        (Reply(status=400, error_code="content_filter"), "content_filter", "content filter"),
        # 서버마다 다른 말투 (chat.upstream_errors의 표)
        (
            Reply(status=400, error_message="the request exceeds the available context size"),
            "context_too_long",
            "too long",
        ),
        (
            Reply(status=400, error_message="Invalid model name passed in model=gpt-5"),
            "not_configured",
            "not configured",
        ),
        (
            Reply(status=400, error_message="filtered by Azure OpenAI's content management policy"),
            "content_filter",
            "content filter",
        ),
        (
            Reply(
                raw_events=[b'data: {"error": {"message": "Rate limit exceeded", "code": 429}}\n\n']
            ),
            "rate_limited",
            "busy",
        ),
        (
            Reply(
                raw_events=[
                    b'error: {"code": 400, "message": "the request exceeds the available context '
                    b'size", "type": "exceed_context_size_error"}\n\n'
                ]
            ),
            "context_too_long",
            "too long",
        ),
        (
            Reply(tokens=["a", "b", "c"], finish_reason="content_filter"),
            "content_filter",
            "content filter",
        ),
        (Reply(tokens=["부분 ", "답변 ", "끊김"], cut_after=2), "connection_lost", "connection"),
        (Reply(tokens=["부분 ", "답변"], stall_after=1, stall=10), "timeout", "too long to answer"),
    ],
)
def test_each_upstream_failure_is_saved_with_its_kind_and_a_retry_button(
    english, user, llm_server, settings, script, kind, shown
):
    settings.OPENAI_MAX_RETRIES = 0
    # 짧은 한도는 멈추는 경우에만: 바쁜 기계에서 다른 실패가 "timeout"으로 바뀌지 않게
    if kind == "timeout":
        settings.OPENAI_TIMEOUT = 0.5
    english.force_login(user)
    llm_server.script(script)
    reply = conversation_start(user=user, content="질문", model="fake-model")

    stream = read_stream(english, reply.pk)

    reply.refresh_from_db()
    assert reply.status == Message.Status.FAILED
    assert reply.error_kind == kind
    # 실패 전에 도착한 글은 남는다
    assert reply.content == stream.text
    final = stream.data("reply")[0]
    assert shown in final
    assert f"/chat/replies/{reply.pk}/regenerate/" in final
    assert stream.events[-1] == ("done", "")
    assert Message.objects.filter(role=Message.Role.USER, content="질문").count() == 1


def test_partial_text_survives_a_cut(logged_in, user, llm_server, settings):
    llm_server.script(Reply(tokens=["부분 ", "답변 ", "끊김"], cut_after=2))
    reply = conversation_start(user=user, content="질문", model="fake-model")

    read_stream(logged_in, reply.pk)

    reply.refresh_from_db()
    assert reply.content == "부분 답변 "


def test_a_rate_limit_then_success_is_retried_before_the_first_token(logged_in, user, llm_server):
    llm_server.script(Reply(status=429, headers={"retry-after-ms": "10"}), Reply(tokens=["된다"]))
    reply = conversation_start(user=user, content="질문", model="fake-model")

    stream = read_stream(logged_in, reply.pk)

    assert len(llm_server.requests) == 2
    assert stream.text == "된다"
    reply.refresh_from_db()
    assert reply.status == Message.Status.DONE


def test_try_again_streams_a_new_version_without_a_second_user_message(
    logged_in, user, llm_server, settings
):
    settings.OPENAI_MAX_RETRIES = 0
    llm_server.script(Reply(status=500), Reply(tokens=["두 번째엔 ", "성공"]))
    reply = conversation_start(user=user, content="질문", model="fake-model")
    read_stream(logged_in, reply.pk)
    conversation = reply.conversation

    response = logged_in.post(
        f"/chat/replies/{reply.pk}/regenerate/", headers={"HX-Request": "true"}
    )
    again = Message.objects.latest("pk")
    # 새 버전의 스트림 주소에는 가벼운 입구의 표가 붙는다 (chat.streams)
    assert f'sse-connect="/chat/replies/{again.pk}/stream/?t=' in response.content.decode()
    stream = read_stream(logged_in, again.pk)

    assert stream.text == "두 번째엔 성공"
    # 실패한 답변은 버전 1로 남고, 마지막 그림에는 "2 / 2"가 있다
    assert list(conversation.messages.order_by("pk").values_list("role", "status")) == [
        ("user", "done"),
        ("assistant", "failed"),
        ("assistant", "done"),
    ]
    assert "2 / 2" in stream.data("reply")[0]
    assert llm_server.requests[0]["messages"] == llm_server.requests[1]["messages"]


def test_sending_while_a_reply_streams_is_refused_and_keeps_the_text(logged_in, user, llm_server):
    reply = conversation_start(user=user, content="질문", model="fake-model")

    response = logged_in.post(
        f"/chat/{reply.conversation_id}/messages/",
        {"content": "기다리지 않은 글"},
        headers={"HX-Request": "true"},
    )

    html = response.content.decode()
    assert response.headers["HX-Retarget"] == "#composer"
    assert "current reply has finished" in html or "현재 답변이 끝날 때까지" in html
    assert "기다리지 않은 글</textarea>" in html
    assert reply.conversation.messages.count() == 2


def test_a_stale_reply_from_a_dead_worker_does_not_block_the_conversation(
    logged_in, user, llm_server
):
    reply = conversation_start(user=user, content="질문", model="fake-model")
    Message.objects.filter(pk=reply.pk).update(
        status=Message.Status.STREAMING, updated_at="2020-01-01T00:00Z"
    )

    new_reply = send(user, reply.conversation, "다시")

    reply.refresh_from_db()
    assert reply.status == Message.Status.INTERRUPTED
    assert new_reply.status == Message.Status.PENDING


def test_context_keeps_the_system_prompt_and_the_newest_messages_that_fit(
    logged_in, user, llm_server, settings
):
    settings.LLM_CONTEXT_TOKENS = 1000
    settings.LLM_REPLY_TOKENS = 500
    conversation = Conversation.objects.create(
        owner=user, title="t", model="fake-model", system_prompt="짧게 답해"
    )
    # 메시지 하나가 약 104토큰(영문 400자 = 100 + 덧붙임 4): 시스템 프롬프트를 빼고 4개가 들어간다
    for index in range(4):
        llm_server.script(
            Reply(tokens=[f"answer {index}"], usage={"prompt_tokens": 1, "completion_tokens": 100})
        )
        reply = send(user, conversation, f"{index}" + "x" * 399)
        read_stream(logged_in, reply.pk)

    reply = send(user, conversation, "last" + "y" * 396)
    stream = read_stream(logged_in, reply.pk)

    sent = llm_server.requests[-1]["messages"]
    assert sent[0] == {"role": "system", "content": "짧게 답해"}
    assert [m["content"][:8] for m in sent[1:]] == [
        "answer 2",
        "3" + "x" * 7,
        "answer 3",
        "last" + "y" * 4,
    ]
    reply.refresh_from_db()
    assert reply.omitted_messages == 5
    assert (
        "5 earlier messages were left out" in stream.data("reply")[0]
        or "이전 메시지 5개" in stream.data("reply")[0]
    )


def test_the_first_reply_asks_for_a_title_that_arrives_out_of_band(english, user, llm_server):
    english.force_login(user)
    llm_server.script(Reply(tokens=["답"]), Reply(tokens=['"Greeting in Seoul."']))
    reply = conversation_start(user=user, content="서울에서 인사하는 법", model="fake-model")
    stream = read_stream(english, reply.pk)
    final = stream.data("reply")[0]
    assert f'hx-post="/chat/{reply.conversation_id}/title/"' in final
    assert 'hx-trigger="load"' in final

    response = english.post(f"/chat/{reply.conversation_id}/title/", headers={"HX-Request": "true"})

    html = response.content.decode()
    assert (
        '<h1 id="conversation-title" hx-swap-oob="true" data-page-title="Greeting in Seoul · Daehwa">Greeting in Seoul</h1>'
        in html
    )
    assert re.search(rf'id="sidebar-{reply.conversation_id}"[^>]* hx-swap-oob="true"', html)
    # Options 안의 이름 칸과 지우기 확인도 새 제목으로 (옛 제목이 남으면 지울 때 다른 이름을 묻는다)
    assert re.search(r'<form id="rename-form"[^>]* hx-swap-oob="true"', html)
    assert 'value="Greeting in Seoul"' in html
    assert re.search(r'<a id="conversation-delete"[^>]* hx-swap-oob="true"', html)
    assert "Delete “Greeting in Seoul” and all its messages?" in html
    title_request = llm_server.requests[-1]
    assert title_request.get("stream") in (None, False)
    assert "in English" in title_request["messages"][0]["content"]
    reply.conversation.refresh_from_db()
    assert reply.conversation.title == "Greeting in Seoul"
    assert reply.conversation.needs_title is False
    # 두 번째 요청은 모델을 다시 부르지 않는다
    again = english.post(f"/chat/{reply.conversation_id}/title/", headers={"HX-Request": "true"})
    assert again.status_code == 204
    assert len(llm_server.requests) == 2


def test_a_failed_title_keeps_the_first_words_of_the_first_message(logged_in, user, llm_server):
    llm_server.script(Reply(tokens=["답"]), Reply(status=500))
    reply = conversation_start(
        user=user,
        content="파이썬에서 리스트를 정렬하는 가장 좋은 방법은 무엇인가요? 예제 코드도 함께 보여 주세요",
        model="fake-model",
    )
    read_stream(logged_in, reply.pk)

    response = logged_in.post(
        f"/chat/{reply.conversation_id}/title/", headers={"HX-Request": "true"}
    )

    assert response.status_code == 204
    reply.conversation.refresh_from_db()
    assert (
        reply.conversation.title
        == "파이썬에서 리스트를 정렬하는 가장 좋은 방법은 무엇인가요? 예제 코드도…"
    )
    assert len(reply.conversation.title) <= 40


def test_the_demo_model_streams_markdown_and_code_through_the_same_path(
    logged_in, user, fast_demo, fake_openai
):
    reply = conversation_start(user=user, content="데모를 보여 줘", model="anything")

    stream = read_stream(logged_in, reply.pk)

    reply.refresh_from_db()
    assert reply.model == "daehwa-demo"
    assert reply.status == Message.Status.DONE
    assert len(stream.data("token")) >= 1
    assert "데모를 보여 줘" in reply.content
    assert (
        '<pre class="code" data-lang="python"><code class="language-python">' in reply.rendered_html
    )
    assert "<strong>" in reply.rendered_html
    assert reply.completion_tokens > 0
    assert fake_openai.requests == []


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_model_output_is_harmless_from_upstream_to_the_page(
    logged_in, user, llm_server, payload
):
    # 토큰 경계가 태그 한가운데를 가르도록 잘라서 보낸다
    llm_server.script(Reply(tokens=[payload[i : i + 7] for i in range(0, len(payload), 7)]))
    reply = conversation_start(user=user, content="x", model="fake-model")

    stream = read_stream(logged_in, reply.pk)

    reply.refresh_from_db()
    # NUL만 빠진다: PostgreSQL이 담지 못해서
    assert reply.content == payload.replace("\x00", "")
    assert problems(reply.rendered_html) == []
    # 스트리밍 중의 글은 escape되어 태그가 하나도 생기지 않는다
    assert parsed_tags(stream.text) == []
    # 마지막 프레임과 페이지는 저장된 (검사한) HTML을 그대로 쓴다
    assert reply.rendered_html in stream.data("reply")[0]
    page = logged_in.get(f"/chat/{reply.conversation_id}/").content.decode()
    assert reply.rendered_html in page


def test_deleting_the_conversation_mid_stream_ends_the_stream_cleanly(logged_in, user, llm_server):
    llm_server.script(Reply(tokens=[f"t{i} " for i in range(60)], delay=0.05))
    reply = conversation_start(user=user, content="길게", model="fake-model")

    stream = read_stream(
        logged_in,
        reply.pk,
        after_first_token=lambda: logged_in.post(f"/chat/{reply.conversation_id}/delete/"),
    )

    assert stream.events[-1] == ("done", "")
    assert stream.data("reply") == []
    assert not Message.objects.exists()


def test_the_title_is_asked_in_the_persons_language(logged_in, user, llm_server):
    llm_server.script(Reply(tokens=["답"]), Reply(tokens=["서울 인사법"]))
    reply = conversation_start(user=user, content="서울에서 인사하는 법", model="fake-model")
    read_stream(logged_in, reply.pk)

    logged_in.post(f"/chat/{reply.conversation_id}/title/", headers={"HX-Request": "true"})

    assert "in Korean" in llm_server.requests[-1]["messages"][0]["content"]


def test_each_finished_reply_is_logged_without_its_content(logged_in, user, llm_server, caplog):
    llm_server.script(
        Reply(tokens=["비밀 ", "내용"], usage={"prompt_tokens": 7, "completion_tokens": 2})
    )
    reply = conversation_start(user=user, content="x", model="fake-model")

    with caplog.at_level("INFO", logger="chat.generation"):
        read_stream(logged_in, reply.pk)

    (line,) = [record.getMessage() for record in caplog.records if record.name == "chat.generation"]
    assert f"reply={reply.pk}" in line
    assert f"user={user.pk}" in line
    assert "status=done" in line
    assert "prompt_tokens=7 completion_tokens=2" in line
    assert "비밀" not in line


def test_a_bug_before_the_model_is_called_still_ends_the_reply_and_is_logged(
    logged_in, user, monkeypatch, caplog
):
    def broken_context(reply):
        raise RuntimeError("our bug")

    monkeypatch.setattr("chat.generation.build_context", broken_context)
    reply = conversation_start(user=user, content="질문", model="fake-model")

    with caplog.at_level("ERROR", logger="chat.generation"):
        stream = read_stream(logged_in, reply.pk)

    reply.refresh_from_db()
    assert reply.status == Message.Status.INTERRUPTED
    assert reply.is_retryable
    assert stream.events[-1] == ("done", "")
    assert [r.getMessage() for r in caplog.records] == [f"reply job failed reply={reply.pk}"]


def test_finished_blocks_arrive_rendered_and_the_rest_as_escaped_text(logged_in, user, llm_server):
    llm_server.script(
        Reply(
            tokens=[
                "## 표\n\n",
                "| a |\n|---|\n| <b>1</b> |\n\n",
                "**굵",
                "게** 쓰는 중",
                "\n\n끝",
            ],
            delay=0.08,
        )
    )
    reply = conversation_start(user=user, content="표", model="fake-model")

    stream = read_stream(logged_in, reply.pk)

    names = [name for name, _ in stream.events]
    blocks = stream.data("blocks")
    # 제목과 표는 끝나는 대로 그린 HTML로, 쓰는 중인 문단은 escape된 글자로, 끝에는 남은 블록까지
    assert any("<h3>표</h3>" in data for data in blocks)
    assert any("<table>" in data and "&lt;b&gt;1&lt;/b&gt;" in data for data in blocks)
    # 쓰는 중인 문단은 글 그대로: 덧붙는 조각(token)이나, 표의 모양과 함께 온 꼬리 안에
    assert "**굵" in stream.text + "".join(stream.data("blocks"))
    assert blocks[-1].startswith("<p><strong>굵게</strong> 쓰는 중</p>\n<p>끝</p>")
    assert (
        f'<div class="stream-growing" id="growing-{reply.pk}" hx-swap-oob="true">'
        f'<p class="stream-tail bubble-text" id="tail-{reply.pk}" sse-swap="token"'
    ) in blocks[-1]
    assert names[-3:] == ["blocks", "reply", "done"]
    for data in blocks:
        assert problems(data.split('<div class="stream-growing')[0]) == []
