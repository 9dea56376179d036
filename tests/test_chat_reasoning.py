"""추론 모델의 생각: 서버마다 다른 모양으로 오지만, 답과 따로 저장되고 접힌 블록으로만 보이며 다음 질문에 실리지 않는다.

진짜 SDK가 가짜 서버를 HTTP로 부르고, 앱은 ASGI 경로(AsyncClient)로 내보낸다.
"""

import json

import pytest
from asgiref.sync import async_to_sync
from django.urls import reverse

from accounts.models import DailyUsage
from chat import llm, reasoning
from chat.models import Conversation, Message
from chat.services import conversation_start, message_post
from chat.streams import stream_url
from tests.support.chunks import body, chunk
from tests.support.factories import add_message
from tests.support.fake_openai import Reply
from tests.support.sse import read_stream


def read(messages=None) -> list:
    async def run():
        return [
            item
            async for item in llm.stream_reply(
                messages or [{"role": "user", "content": "질문"}], model="fake-model"
            )
        ]

    return async_to_sync(run)()


def thought_and_answer(items) -> tuple[str, str]:
    thought = "".join(item.text for item in items if isinstance(item, llm.Reasoning))
    answer = "".join(item for item in items if type(item) is str)
    return thought, answer


# (이름, 각본, 생각, 답)
SHAPES = [
    (
        "reasoning_content deltas (DeepSeek, llama.cpp)",
        Reply(reasoning=["먼저 ", "따져 보면"], tokens=["답은 ", "4"]),
        "먼저 따져 보면",
        "답은 4",
    ),
    (
        "reasoning deltas (vLLM, Ollama, OpenRouter)",
        Reply(reasoning=["think"], reasoning_key="reasoning", tokens=["answer"]),
        "think",
        "answer",
    ),
    (
        "both fields with the same text (OpenRouter via LiteLLM)",
        Reply(
            raw_body=body(
                chunk({"reasoning_content": "하나", "reasoning": "하나"}),
                chunk({"content": "답"}, "stop"),
            )
        ),
        "하나",
        "답",
    ),
    (
        "thinking parts (Mistral Magistral)",
        Reply(
            raw_body=body(
                chunk(
                    {
                        "content": [
                            {"type": "thinking", "thinking": [{"type": "text", "text": "속으로"}]}
                        ]
                    }
                ),
                chunk({"content": [{"type": "text", "text": "겉으로"}]}, "stop"),
            )
        ),
        "속으로",
        "겉으로",
    ),
    (
        "<think> at the start, tags split across chunks",
        Reply(tokens=["\n<th", "ink>\n생각", " 중</th", "ink>\n\n", "답입니다"], delay=0.03),
        "\n생각 중",
        "답입니다",
    ),
    (
        "</think> and the answer's first line in separate reads",
        Reply(tokens=["<think>생각</think>", "\n\n", "답"], delay=0.15),
        "생각",
        "답",
    ),
    (
        "<think> in the middle of an answer stays the answer",
        Reply(tokens=["HTML에서 ", "<think>", "는 태그가 아닙니다"]),
        "",
        "HTML에서 <think>는 태그가 아닙니다",
    ),
    (
        "an unclosed <think> cut at the length limit",
        Reply(tokens=["<think>", "끝없이 ", "생각"], finish_reason="length"),
        "끝없이 생각",
        "",
    ),
    (
        "a whole JSON answer with reasoning_content",
        Reply(
            raw_body=[
                json.dumps(
                    {
                        "choices": [
                            {
                                "index": 0,
                                "message": {
                                    "role": "assistant",
                                    "content": "답",
                                    "reasoning_content": "생각",
                                },
                                "finish_reason": "stop",
                            }
                        ]
                    }
                ).encode()
            ],
            content_type="application/json",
        ),
        "생각",
        "답",
    ),
]


@pytest.mark.parametrize(
    ("shape", "script", "thought", "answer"), SHAPES, ids=[s[0] for s in SHAPES]
)
def test_each_servers_reasoning_is_kept_apart_from_the_answer(
    llm_server, shape, script, thought, answer
):
    llm_server.script(script)

    items = read()

    assert thought_and_answer(items) == (thought, answer)


def test_the_items_come_as_thought_answer_usage_and_finish(llm_server):
    llm_server.script(Reply(reasoning=["생각"], tokens=["답"], finish_reason="length"))

    items = read()

    assert [type(item) for item in items] == [llm.Reasoning, str, llm.Usage, llm.Finish]
    assert items[-1] == llm.Finish("length")


def test_the_stream_text_joins_and_splits_in_one_shape():
    for thought, answer in [("", ""), ("", "답"), ("생각", ""), ("생각", "답")]:
        assert reasoning.split(reasoning.joined(thought, answer)) == (thought, answer)
    reader = reasoning.Reader()
    text = reasoning.joined("생각", "답")
    pieces = [reader.feed(text[i : i + 2]) for i in range(0, len(text), 2)]
    assert "".join(p[0] for p in pieces) == "생각"
    assert "".join(p[1] for p in pieces) == "답"
    assert [p[2] for p in pieces].count(True) == 1


def test_a_reasoning_reply_streams_its_thinking_collapsed_and_stores_it_apart(
    english, user, llm_server
):
    llm_server.script(
        Reply(reasoning=["<b>먼저</b> ", "따져 보면"], tokens=["답은 ", "**4**"], delay=0.05)
    )
    english.force_login(user)
    reply = conversation_start(user=user, content="2+2?", model="fake-model")

    stream = read_stream(english, reply.pk)

    reply.refresh_from_db()
    assert reply.status == Message.Status.DONE
    assert reply.content == "답은 **4**"
    assert reply.reasoning == "<b>먼저</b> 따져 보면"
    # 첫 생각은 접힌 블록을 만들고(oob), 다음 생각은 그 안에 덧붙고, 답이 시작되면 요약이 바뀐다
    blocks = stream.data("blocks")
    assert f'<details class="reasoning" id="reasoning-{reply.pk}" hx-swap-oob="true">' in blocks[0]
    assert "Thinking…" in blocks[0]
    assert "&lt;b&gt;먼저&lt;/b&gt;" in blocks[0]
    assert "<b>" not in "".join(stream.data("think"))
    assert "따져 보면" in "".join(stream.data("blocks") + stream.data("think"))
    assert any(
        f'id="reasoning-state-{reply.pk}" hx-swap-oob="true">Thought process' in b for b in blocks
    )
    # 답의 조각에는 생각이 없다
    assert "따져" not in stream.text
    (final,) = stream.data("reply")
    assert '<details class="reasoning"' in final
    assert " open" not in final.split('<details class="reasoning"')[1].split(">")[0]
    assert "Thought process" in final
    assert "<strong>4</strong>" in final
    # 복사 단추가 가져가는 원문은 답뿐이다
    source = english.get(reverse("chat:message-source", args=[reply.pk]))
    assert source.content.decode() == "답은 **4**"


def test_the_thinking_is_never_sent_back_to_the_model(logged_in, user, llm_server):
    llm_server.script(
        Reply(reasoning=["비밀스러운 생각"], tokens=["첫 답"]), Reply(tokens=["둘째 답"])
    )
    reply = conversation_start(user=user, content="첫 질문", model="fake-model")
    read_stream(logged_in, reply.pk)

    second = message_post(conversation=reply.conversation, user=user, content="둘째 질문").reply
    read_stream(logged_in, second.pk)

    prompt = llm_server.requests[-1]["messages"]
    assert prompt == [
        {"role": "user", "content": "첫 질문"},
        {"role": "assistant", "content": "첫 답"},
        {"role": "user", "content": "둘째 질문"},
    ]


def test_thinking_is_counted_in_usage_when_the_server_sends_none(logged_in, user, llm_server):
    thought = "생각" * 200
    llm_server.script(Reply(reasoning=[thought], tokens=["답"], usage=None))
    reply = conversation_start(user=user, content="질문", model="fake-model")

    read_stream(logged_in, reply.pk)

    day = DailyUsage.objects.get(user=user)
    # 한글 한 음절은 1토큰 안팎으로 어림한다: 생각 400자가 장부에 들어갔다
    assert day.completion_tokens >= len(thought)


def test_a_model_that_thinks_to_the_length_limit_says_so(english, user, llm_server):
    llm_server.script(Reply(reasoning=["생각만 ", "길게"], tokens=[], finish_reason="length"))
    english.force_login(user)
    reply = conversation_start(user=user, content="질문", model="fake-model")

    stream = read_stream(english, reply.pk)

    reply.refresh_from_db()
    assert (reply.status, reply.content, reply.reasoning) == (
        Message.Status.DONE,
        "",
        "생각만 길게",
    )
    (final,) = stream.data("reply")
    assert "spent its whole reply length thinking" in final
    assert "empty reply" not in final
    # 이을 답이 없으니 계속 단추도 없다
    assert "continue-button" not in final


def test_a_page_opened_mid_thought_resumes_the_stream_after_what_it_drew(logged_in, user):
    # 다른 워커가 생각하는 중인 답변 (진행 저장까지 간 것): 이 프로세스에는 작업이 없다
    conversation = Conversation.objects.create(owner=user, title="t", model="fake-model")
    add_message(conversation=conversation, role=Message.Role.USER, content="질문")
    reply = add_message(
        conversation=conversation,
        role=Message.Role.ASSISTANT,
        status=Message.Status.STREAMING,
        reasoning="앞의 <생각>",
    )

    page = logged_in.get(reverse("chat:conversation", args=[conversation.pk]))

    html = page.content.decode()
    assert f'id="thought-{reply.pk}">앞의 &lt;생각&gt;</div>' in html
    assert "생각하는 중…" in html or "Thinking…" in html
    # 다시 이어 받을 위치: 표시(MARK)와 생각의 길이
    assert stream_url(reply).endswith(f"from={1 + len('앞의 <생각>')}")


def test_a_reply_cut_at_the_length_limit_offers_to_continue(english, user, llm_server):
    llm_server.script(
        Reply(tokens=["긴 답의 ", "앞부분"], finish_reason="length"), Reply(tokens=["뒷부분"])
    )
    english.force_login(user)
    reply = conversation_start(user=user, content="길게 써 줘", model="fake-model")

    stream = read_stream(english, reply.pk)

    reply.refresh_from_db()
    assert (reply.status, reply.finish_reason) == (Message.Status.DONE, "length")
    (final,) = stream.data("reply")
    assert "stopped at the length limit" in final
    assert "continue-button" in final
    assert 'value="Please continue exactly where you stopped."' in final

    # JavaScript 없이: 보통의 보내기 폼이다
    response = english.post(
        reverse("chat:message-create", args=[reply.conversation_id]),
        {"content": "Please continue exactly where you stopped."},
    )

    assert response.status_code == 302
    follow_up = Message.objects.filter(conversation=reply.conversation).order_by("pk")
    assert [m.content for m in follow_up] == [
        "길게 써 줘",
        "긴 답의 앞부분",
        "Please continue exactly where you stopped.",
        "뒷부분",
    ]
    # 모델은 잘린 답을 보고 이어 쓴다
    streamed = [request for request in llm_server.requests if request.get("stream")]
    assert streamed[-1]["messages"][-2:] == [
        {"role": "assistant", "content": "긴 답의 앞부분"},
        {"role": "user", "content": "Please continue exactly where you stopped."},
    ]
    page = english.get(reverse("chat:conversation", args=[reply.conversation_id]))
    # 계속 단추는 마지막 답변에만
    assert page.content.decode().count("continue-button") == 0


def test_the_korean_words_for_thinking(logged_in, user, llm_server):
    llm_server.script(Reply(reasoning=["생각"], tokens=["답"], finish_reason="length"))
    reply = conversation_start(user=user, content="질문", model="fake-model")

    stream = read_stream(logged_in, reply.pk)

    (final,) = stream.data("reply")
    assert "생각한 과정" in final
    assert "생각하는 중…" in stream.data("blocks")[0]
    assert "계속" in final


def test_a_follower_without_redis_reads_the_thinking_from_the_database(user, monkeypatch):
    # 다른 프로세스가 만드는 답변을 DB로 따라간다: 진행 저장의 생각과 답을 스트림 글로 이어 같은 위치로 센다
    from chat.feed import End, Text, database

    monkeypatch.setattr(database, "POLL_SECONDS", 0.05)
    conversation = Conversation.objects.create(owner=user, title="t", model="fake-model")
    reply = add_message(
        conversation=conversation,
        role=Message.Role.ASSISTANT,
        status=Message.Status.STREAMING,
        reasoning="생각",
    )

    async def run():
        frames = []
        async for event in database.follow(reply.pk, 0):
            if type(event) is Text:
                frames.append(event)
                if len(frames) == 1:
                    await Message.objects.filter(pk=reply.pk).aupdate(content="답")
                else:
                    await Message.objects.filter(pk=reply.pk).aupdate(status=Message.Status.DONE)
            elif type(event) is End:
                return frames, event.reply

    frames, final = async_to_sync(run)()

    assert [(frame.text, frame.end) for frame in frames] == [
        (reasoning.MARK + "생각", 3),
        (reasoning.MARK + "답", 5),
    ]
    assert final.status == Message.Status.DONE
