"""화면은 압축해서 보내고, 스트림(SSE)은 압축하지 않는다 (압축기가 토큰을 모아 두면 실시간이 아니다)."""

import gzip

from chat.models import Message
from chat.services import conversation_start

GZIP = {"Accept-Encoding": "gzip, deflate, br"}


def test_a_conversation_page_is_compressed(logged_in, user):
    reply = conversation_start(user=user, content="압축 " * 200, model="")
    Message.objects.filter(pk=reply.pk).update(status=Message.Status.DONE, content="끝")

    plain = logged_in.get(f"/chat/{reply.conversation_id}/")
    packed = logged_in.get(f"/chat/{reply.conversation_id}/", headers=GZIP)

    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    assert len(packed.content) < len(plain.content) / 3
    assert "압축 압축" in gzip.decompress(packed.content).decode()


def test_a_reply_stream_is_never_compressed(logged_in, user):
    reply = conversation_start(user=user, content="스트림", model="")

    response = logged_in.get(f"/chat/replies/{reply.pk}/stream/", headers=GZIP)

    assert response["Content-Type"] == "text/event-stream; charset=utf-8"
    assert not response.has_header("Content-Encoding")
