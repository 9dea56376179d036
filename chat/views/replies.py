"""답변 하나에 대한 동작: 스트림 따라가기, 멈춤. 다시 생성은 chat.views.versions."""

from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views import View

from chat import services, streams
from chat.database import release_connection
from chat.models import Message


class ReplyStreamView(View):
    """답변 스트림(SSE)의 Django 입구: 표(t=)가 없거나 맞지 않는 요청만 온다 (맞으면 chat.streams.serve가 받는다).

    세션으로 로그인을 확인하고, 남의 답변은 404다. 다시 연결하면 Last-Event-ID(없으면 ?from=, 페이지가 이미 보인
    글자 수) 뒤부터 받는다.
    """

    def get(self, request, pk):
        # 동기 뷰: 요청의 스레드에서 바로 읽는다 (비동기 뷰는 ORM마다 스레드를 오간다). 돌려준 스트림만 루프에서 흐른다.
        # 가벼운 입구와 같은 확인: 남의 답변이나 숨긴 대화의 답변은 404
        reply = streams.owned_reply(pk, request.user)
        if reply is None:
            raise Http404
        offset = streams.sse_start(
            request.headers.get("Last-Event-ID", ""), request.GET.get("from", "")
        )
        # 세션·사용자·답변을 읽은 연결은 여기서 돌려준다: 스트림이 열려 있는 동안 쥐지 않는다
        release_connection()
        events = streams.until_access_lost(
            streams.reply_events(request, reply, offset),
            request.session.session_key,
            request.user,
            reply.conversation_id,
        )
        return StreamingHttpResponse(events, headers=dict(streams.HEADERS))


class ReplyStopView(View):
    def post(self, request, pk):
        reply = get_object_or_404(
            Message.objects.for_user(request.user), pk=pk, role=Message.Role.ASSISTANT
        )
        services.reply_stop(reply=reply)
        if request.htmx:
            # 화면은 스트림의 마지막 프레임이 바꾼다
            return HttpResponse(status=204)
        return redirect(
            f"{reverse('chat:conversation', args=[reply.conversation_id])}#message-{reply.pk}"
        )
