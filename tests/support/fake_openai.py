"""테스트용 가짜 OpenAI 호환 Chat Completions 서버 (표준 라이브러리만 쓴다)."""

import contextlib
import json
import socket
import socketserver
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# usage를 적지 않았을 때 tokens 길이로 채우라는 표시. None은 "보내지 않음"이라 따로 둔다.
_AUTO_USAGE: Any = object()

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    403: "invalid_request_error",
    404: "invalid_request_error",
    429: "requests",
}


@dataclass
class Reply:
    """요청 하나에 돌려줄 각본.

    cut_after·stall_after는 "보낸 토큰 수" 기준이다. stall_after가 None인데 stall이 있으면
    응답 헤더를 보내기 전에 멈춘다(모델이 아예 답하지 않는 경우를 흉내 내려고).
    스트림이 아닌 요청에서는 cut_after가 있으면 본문을 반만 보내고 끊는다.
    """

    tokens: list[str] = field(default_factory=lambda: ["Hello", ",", " world", "!"])
    delay: float = 0.0
    status: int = 200
    error_code: str | None = None
    error_message: str = "scripted error"
    headers: dict[str, str] = field(default_factory=dict)
    cut_after: int | None = None
    stall_after: int | None = None
    stall: float = 0.0
    # 스트림 중간의 멈춤(stall_after) 동안 이 간격으로 SSE 주석(: ping)을 보낸다: 연결은 살아 있어 클라이언트의
    # 읽기 시간 초과(OPENAI_TIMEOUT)보다 오래 멈춰 세울 수 있다 (어떤 서버들이 그렇게 살아 있음을 알린다).
    # 이때는 테스트가 release()로 멈춤을 일찍 끝낼 수 있다.
    stall_ping: float = 0.0
    usage: dict | None = _AUTO_USAGE
    finish_reason: str = "stop"
    # 토큰 앞에 그대로 보낼 바이트 (깨진 JSON, 이상한 바이트를 흉내 내려고). 예: b"data: {oops\n\n"
    raw_events: list[bytes] = field(default_factory=list)
    # 스트림 본문 전체를 이 바이트 덩어리들로 (실제 서버가 보낸 모양을 그대로 다시 보낸다). content_type과 함께.
    raw_body: list[bytes] | None = None
    # status가 200이 아닐 때 보낼 JSON 본문 그대로 (서버마다 다른 오류 모양). 없으면 OpenAI의 모양.
    error_body: dict | None = None
    content_type: str = "text/event-stream; charset=utf-8"
    # 추론 모델의 생각: 답의 토큰 앞에 이 필드로 흘린다 (DeepSeek·llama.cpp는 reasoning_content, 새 vLLM·Ollama는
    # reasoning). 생각하는 동안의 content는 null이다 (DeepSeek처럼).
    reasoning: list[str] = field(default_factory=list)
    reasoning_key: str = "reasoning_content"

    def __post_init__(self):
        if self.usage is _AUTO_USAGE:
            spent = len(self.tokens) + len(self.reasoning)
            self.usage = {
                "prompt_tokens": 12,
                "completion_tokens": spent,
                "total_tokens": 12 + spent,
            }


class _Stopped(Exception):
    """서버가 멈추는 중이거나 각본이 연결을 끊으라 할 때, 핸들러를 조용히 끝내려고 쓴다."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # 멈춘(stall) 핸들러를 기다리다 stop()이 걸리지 않게 한다.
    block_on_close = False
    # 앱이 한꺼번에 여는 연결(벤치에서는 수백 개)을 받아 줄 만큼 대기열을 둔다
    request_queue_size = 512

    def __init__(self, fake: "FakeOpenAI"):
        self.fake = fake
        super().__init__(("127.0.0.1", 0), _Handler)

    def server_bind(self):
        # HTTPServer.server_bind의 getfqdn()은 역방향 DNS 조회로 느려질 수 있어 건너뛴다.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request, client_address):
        # 클라이언트가 먼저 끊은 것은 정상적인 시나리오라 트레이스백을 찍지 않는다.
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    # 청크 전송과 keep-alive를 쓰려면 HTTP/1.1이어야 한다.
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self):
        super().setup()
        self.server.fake._track(self.connection)

    def finish(self):
        try:
            super().finish()
        finally:
            self.server.fake._untrack(self.connection)

    def handle(self):
        try:
            super().handle()
        except (_Stopped, OSError):
            self.close_connection = True

    def log_message(self, format, *args):
        pass

    def do_GET(self):
        if self.path.split("?")[0].rstrip("/") == "/v1/models":
            names = self.server.fake.models
            if names is None:
                self._send_error_json(503, None, "model list unavailable")
                return
            models = [
                {"id": name, "object": "model", "created": 0, "owned_by": "fake"} for name in names
            ]
            self._send_json(200, {"object": "list", "data": models})
        else:
            self._send_error_json(404, "unknown_url", f"Unknown path {self.path}")

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if self.path.split("?")[0].rstrip("/") != "/v1/chat/completions":
            self._send_error_json(404, "unknown_url", f"Unknown path {self.path}")
            return
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            self._send_error_json(400, None, "We could not parse the JSON body of your request.")
            return
        fake = self.server.fake
        reply, number = fake._record(body)
        completion_id = f"chatcmpl-fake{number}"
        extra_headers = {"x-request-id": f"req_fake{number}", **reply.headers}

        if reply.stall and reply.stall_after is None:
            self._wait(reply.stall)
        if reply.status != 200 and reply.error_body is not None:
            self._send_json(reply.status, reply.error_body, extra_headers)
        elif reply.status != 200:
            self._send_error_json(
                reply.status, reply.error_code, reply.error_message, extra_headers
            )
        elif body.get("stream"):
            self._stream(body, reply, completion_id, extra_headers)
        else:
            self._complete(body, reply, completion_id, extra_headers)

    def _wait(self, seconds: float):
        if seconds > 0 and self.server.fake._stopping.wait(seconds):
            raise _Stopped

    def _send_json(self, status: int, payload: dict, headers: dict[str, str] | None = None):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _send_error_json(self, status, code, message, headers=None):
        error = {
            "message": message,
            "type": _ERROR_TYPES.get(status, "server_error"),
            "code": code,
            "param": None,
        }
        self._send_json(status, {"error": error}, headers)

    def _complete(self, body: dict, reply: Reply, completion_id: str, headers: dict[str, str]):
        self._wait(reply.delay * len(reply.tokens))
        if reply.stall_after is not None:
            self._wait(reply.stall)
        payload = {
            "id": completion_id,
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "fake-model"),
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": "".join(reply.tokens),
                        "refusal": None,
                        **(
                            {reply.reasoning_key: "".join(reply.reasoning)}
                            if reply.reasoning
                            else {}
                        ),
                    },
                    "logprobs": None,
                    "finish_reason": reply.finish_reason,
                }
            ],
        }
        if reply.usage is not None:
            payload["usage"] = reply.usage
        if reply.cut_after is None:
            self._send_json(200, payload, headers)
            return
        # 본문을 반쯤 보내고 끊어, Content-Length보다 짧게 끝난 응답을 만든다.
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data[: len(data) // 2])
        raise _Stopped

    def _stream(self, body: dict, reply: Reply, completion_id: str, headers: dict[str, str]):
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        base = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": body.get("model", "fake-model"),
            "system_fingerprint": None,
        }

        def chunk(delta: dict, finish_reason: str | None = None) -> dict:
            event = {
                **base,
                "choices": [
                    {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
                ],
            }
            if include_usage:
                # 실제 API처럼 usage 요청 시 다른 청크에는 null이 실린다.
                event["usage"] = None
            return event

        self.send_response(200)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if reply.raw_body is not None:
            for raw in reply.raw_body:
                self._wait(reply.delay)
                self._write_chunk(raw)
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
            return
        self._event(chunk({"role": "assistant", "content": "", "refusal": None}))
        for raw in reply.raw_events:
            self._write_chunk(raw)
        for thought in reply.reasoning:
            self._wait(reply.delay)
            self._event(chunk({"content": None, reply.reasoning_key: thought}))

        stalled = False
        for sent in range(len(reply.tokens) + 1):
            # sent = 지금까지 보낸 토큰 수. 마지막 바퀴는 finish 청크 직전이다.
            if reply.stall_after is not None and not stalled and sent >= reply.stall_after:
                stalled = True
                self._stall(reply)
            if reply.cut_after is not None and sent >= reply.cut_after:
                # 종료 청크 없이 소켓을 닫아 클라이언트가 "끝나지 않은 청크 본문"을 보게 한다.
                raise _Stopped
            if sent == len(reply.tokens):
                break
            self._wait(reply.delay)
            self._event(chunk({"content": reply.tokens[sent]}))

        self._event(chunk({}, reply.finish_reason))
        if include_usage and reply.usage is not None:
            self._event({**base, "choices": [], "usage": reply.usage})
        self._write_chunk(b"data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _event(self, payload: dict):
        self._write_chunk(f"data: {json.dumps(payload)}\n\n".encode())

    def _stall(self, reply: Reply):
        if not reply.stall_ping:
            self._wait(reply.stall)
            return
        released = self.server.fake._released
        left = reply.stall
        while left > 0 and not released.wait(min(reply.stall_ping, left)):
            if self.server.fake._stopping.is_set():
                raise _Stopped
            left -= reply.stall_ping
            self._write_chunk(b": ping\n\n")
        released.clear()

    def _write_chunk(self, data: bytes):
        # 청크를 손으로 써서, 중간에 끊으면 클라이언트가 진짜 "연결 끊김"을 본다.
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()


class FakeOpenAI:
    """루프백에서 도는 가짜 OpenAI. script()로 답을 줄 세우고 requests로 받은 요청을 본다."""

    def __init__(self):
        self._lock = threading.Lock()
        self._queue: deque[Reply] = deque()
        self._requests: list[dict] = []
        self._connections: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._released = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""
        # GET /v1/models가 돌려줄 이름들. None이면 503 (목록을 주지 못하는 서버)
        self.models: list[str] | None = ["fake-model"]

    @property
    def requests(self) -> list[dict]:
        with self._lock:
            return list(self._requests)

    def release(self) -> None:
        """stall_ping으로 멈춘 답을 지금 이어 가게 한다."""
        self._released.set()

    def script(self, *replies: Reply) -> None:
        with self._lock:
            self._queue.extend(replies)

    def reset(self) -> None:
        with self._lock:
            self._queue.clear()
            self._requests.clear()
            self.models = ["fake-model"]
        # 아무도 쓰지 않은 release()가 다음 시험의 멈춤을 곧바로 풀지 않게
        self._released.clear()

    def start(self) -> "FakeOpenAI":
        if self._server is not None:
            return self
        self._stopping = threading.Event()
        self._server = _Server(self)
        host, port = self._server.server_address[:2]
        self.base_url = f"http://{host}:{port}/v1"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-openai",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        # 멈춰 있는 핸들러를 먼저 깨워야 stop()이 stall 시간만큼 걸리지 않는다.
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> "FakeOpenAI":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def _record(self, body: dict) -> tuple[Reply, int]:
        with self._lock:
            self._requests.append(body)
            reply = self._queue.popleft() if self._queue else Reply()
            return reply, len(self._requests)

    def _track(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.add(connection)

    def _untrack(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.discard(connection)
