"""흘러오는 본문을 읽는 곳: SSE 줄과 조각을 글, 생각, 사용량, 끝 이유로 (JSON 하나로 온 답도 같은 규칙으로)."""

import json
import logging
from collections.abc import AsyncIterator
from typing import NoReturn

import httpx2
import orjson

from chat.llm import transport
from chat.llm.errors import LLMError, stream_error
from chat.llm.text import TextCleaner
from chat.llm.values import Finish, Reasoning, Usage
from chat.upstream_errors import ErrorKind

# 로그 이름은 패키지 하나(chat.llm): 나누기 전과 같은 줄이 남는다
logger = logging.getLogger(__package__)


async def read_stream(
    response, pace: float = 0.0
) -> AsyncIterator[str | Reasoning | Usage | Finish]:
    """본문의 SSE data: 줄을 읽어 글과 사용량을 내준다. 글은 받은 덩어리마다 한 번에 (_Chunks).

    토큰마다 도는 곳이라 한 겹의 생성기로 읽고, 덩어리 하나에 든 조각들의 글은 이어서 한 번만 내준다: 곧바로
    답하는 모델은 읽을 때마다 조각 수십 개를 보내, 조각마다 생성기를 지나고 작업에 더하는 값이 채팅 한 번의
    CPU에서 눈에 띄었다 (docs/bench-history.md#따로-잰-값--one-off-measurements).
    """
    if response.headers.get("content-type", "").startswith("application/json"):
        # 스트림을 청했는데 JSON 하나로 답하는 서버: 완성된 답이나 오류 객체다 ("연결 끊김"이 아니다)
        async for item in _read_whole(response):
            yield item
        return
    chunks = _Chunks()
    try:
        with transport.map_aiohttp_exceptions():
            async for block in transport.body(response, pace):
                for item in chunks.feed(block):
                    yield item
        for item in chunks.end():
            yield item
    except httpx2.TimeoutException as error:
        logger.warning("LLM stream stalled: kind=%s %r", ErrorKind.TIMEOUT.value, error)
        raise LLMError(ErrorKind.TIMEOUT, repr(error)) from error
    except httpx2.TransportError as error:
        logger.warning("LLM stream was cut: kind=%s %r", ErrorKind.CONNECTION_LOST.value, error)
        raise LLMError(ErrorKind.CONNECTION_LOST, repr(error)) from error
    except _Broken as broken:
        # 잘못된 조각 앞의 글은 보여 준 글이다: 먼저 내주고 오류를 낸다
        if broken.text:
            yield broken.text
        _raise_broken(broken, "malformed chunk")
    if not chunks.finish_reason and not chunks.done:
        # 끝 표시(finish_reason도 [DONE]도) 없이 닫힌 스트림: 답이 잘렸을 수 있다.
        # [DONE]만 보내는 서버(finish_reason 없이)는 다 보낸 것이다.
        raise LLMError(ErrorKind.CONNECTION_LOST, "stream ended without a finish_reason")
    if chunks.finish_reason:
        yield Finish(chunks.finish_reason)


async def _read_whole(response) -> AsyncIterator[str | Reasoning | Usage | Finish]:
    try:
        answer = _loads(await response.aread())
    except (httpx2.HTTPError, ValueError) as error:
        raise _malformed("JSON answer we could not read", error) from error
    if not isinstance(answer, dict) or answer.get("error"):
        raise stream_error(answer.get("error") if isinstance(answer, dict) else answer)
    choices = answer.get("choices")
    choice = choices[0] if isinstance(choices, list) and choices else None
    message = choice.get("message") if isinstance(choice, dict) else None
    if not isinstance(message, dict):
        raise _malformed("JSON answer without a message")
    # 스트림 조각과 같은 규칙(문자열이나 부분들의 목록, 생각, <think>)으로 읽는다
    chunks = _Chunks()
    whole = {"choices": [{"delta": message, "finish_reason": choice.get("finish_reason")}]}
    try:
        items = chunks.read(whole) + chunks.end()
    except _Broken as broken:
        # 거른 답(content_filter)도 그 앞의 글은 보여 준다
        if broken.text:
            yield broken.text
        _raise_broken(broken, "malformed JSON answer")
    # 사용량은 조각(whole)이 아니라 답에 있다: 아래에서 한 번
    for item in items:
        yield item
    usage = answer.get("usage")
    if isinstance(usage, dict):
        yield Usage(_count(usage.get("prompt_tokens")), _count(usage.get("completion_tokens")))
    if chunks.finish_reason:
        yield Finish(chunks.finish_reason)


class _Broken(Exception):
    """덩어리 가운데의 잘못된 조각. text는 그 앞까지의 (깨끗이 한) 글, 원래 오류는 __cause__."""

    def __init__(self, text: str):
        super().__init__(text)
        self.text = text


def _raise_broken(broken: _Broken, what: str) -> NoReturn:
    """잘못된 조각의 오류. 모델이 보낸 오류(오류 객체, content_filter)는 그대로, 나머지는 _malformed로."""
    error = broken.__cause__
    if isinstance(error, LLMError):
        raise error from None
    raise _malformed(what, error) from error


def _malformed(what: str, error: Exception | None = None) -> LLMError:
    """서버가 약속과 다른 것을 보냈다 (깨진 JSON, UTF-8이 아닌 바이트, 모양이 다른 조각이나 답): 다른 upstream
    오류처럼 경고 한 줄을 남기고 모델 서비스 오류로. 우리 코드의 오류(logger.exception)로 보이지 않게."""
    if error is None:
        logger.warning("LLM stream sent a %s: kind=%s", what, ErrorKind.UPSTREAM_ERROR.value)
        return LLMError(ErrorKind.UPSTREAM_ERROR, what)
    logger.warning(
        "LLM stream sent a %s: kind=%s %s: %s",
        what,
        ErrorKind.UPSTREAM_ERROR.value,
        type(error).__name__,
        error,
    )
    return LLMError(ErrorKind.UPSTREAM_ERROR, f"{what}: {error}")


class _Chunks:
    """흘러온 바이트 덩어리를 (생각, 글, 사용량)으로. 청크 경계가 줄 가운데에 와도 잇는다.

    SSE의 모든 합법한 모양을 읽는다: CRLF, CR만 쓰는 줄 끝, 맨 앞의 UTF-8 BOM, 빈 줄까지 이어지는 여러 줄의 data:
    (흔한 한 줄짜리 data:는 곧바로 읽고, 홀로 JSON이 되지 않을 때만 빈 줄까지 모은다: 토큰이 다음 덩어리를 기다리지
    않는다). 덩어리마다 C로 도는 바이트 연산만 더해져 길이에 비례한다.
    """

    def __init__(self):
        self.pending = b""
        self.done = False
        # 마지막으로 받은 finish_reason ("stop", "length" …)
        self.finish_reason = ""
        self.cleaner = TextCleaner()
        self.thought_cleaner = TextCleaner()
        # 추론 파서 없이 띄운 모델이 글 맨 앞에 쓰는 <think>…</think>
        self.think = _ThinkTags()
        self.started = False
        # 앞 덩어리가 CR로 끝났다: 다음 덩어리 첫 LF는 같은 줄 끝(CRLF)이다
        self.after_cr = False
        # 홀로 JSON이 되지 않은 data: 줄들 (빈 줄에서 잇는다)
        self.event: list[bytes] | None = None

    def feed(self, block: bytes) -> list:
        if not self.started:
            self.started = True
            block = block.removeprefix(b"\xef\xbb\xbf")
        if self.after_cr and block.startswith(b"\n"):
            block = block[1:]
        if b"\r" in block:
            self.after_cr = block.endswith(b"\r")
            block = block.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        else:
            self.after_cr = False
        lines = (self.pending + block).split(b"\n")
        self.pending = lines.pop()
        return self._items(lines)

    def end(self) -> list:
        """본문이 끝났다: 남은 줄, 빈 줄을 기다리던 data:, 끝까지 짝이 오지 않은 대리 문자와 <think>의 나머지."""
        lines = [self.pending] if self.pending else []
        if self.event is not None:
            lines.append(b"")
        items = self._items(lines) if lines else []
        thought, text = self.think.end()
        thought = self.thought_cleaner.feed(thought) + self.thought_cleaner.flush()
        if thought:
            items.insert(0, Reasoning(thought))
        if text := self.cleaner.feed(text) + self.cleaner.flush():
            items.append(text)
        return items

    def read(self, chunk) -> list:
        """이미 읽은 조각 하나 (JSON으로 온 완성된 답)."""
        return self._collect([chunk])

    def _items(self, lines: list[bytes]) -> list:
        chunks = []
        try:
            for line in lines:
                # [DONE] 뒤도 끝까지 읽는다: 본문을 다 읽어야 upstream 연결을 다음 요청에 다시 쓴다
                if self.done:
                    continue
                if line.startswith(b"data:"):
                    if self.event is not None:
                        self.event.append(line[6:] if line.startswith(b"data: ") else line[5:])
                        continue
                    payload = line[5:].strip()
                    if payload.startswith(b"[DONE]"):
                        self.done = True
                        continue
                    try:
                        chunks.append(_loads(payload))
                    except ValueError:
                        # 여러 줄에 걸친 data:의 첫 줄일 수 있다: 빈 줄까지 모아 다시 읽는다
                        self.event = [line[6:] if line.startswith(b"data: ") else line[5:]]
                elif not line.strip() and self.event is not None:
                    payload, self.event = b"\n".join(self.event), None
                    if payload.strip().startswith(b"[DONE]"):
                        self.done = True
                        continue
                    chunks.append(_loads(payload))
                elif line.startswith(b"error:"):
                    # llama.cpp는 스트림 안의 오류를 data: 대신 error: 줄로 보낸다
                    chunks.append({"error": _loads(line[6:].strip())})
        except ValueError as error:
            # 잘못된 줄 앞의 조각들은 보여 준 글이다
            raise _Broken(self._text_of(self._collect_safely(chunks))) from error
        return self._collect(chunks)

    def _collect_safely(self, chunks: list) -> list:
        try:
            return self._collect(chunks)
        except _Broken as broken:
            return [broken.text] if broken.text else []

    @staticmethod
    def _text_of(items: list) -> str:
        return "".join(item for item in items if type(item) is str)

    def _collect(self, chunks: list) -> list:
        texts, thoughts, usage = [], [], None
        try:
            for chunk in chunks:
                found, parts = _chunk_parts(chunk)
                usage = found if found is not None else usage
                for content, thought, finish_reason in parts:
                    if thought:
                        thoughts.append(thought)
                    if content:
                        texts.append(content)
                    if finish_reason == "content_filter":
                        raise LLMError(ErrorKind.CONTENT_FILTER, "finish_reason=content_filter")
                    if finish_reason:
                        self.finish_reason = str(finish_reason)[:20]
        except (ValueError, LLMError) as error:
            raise _Broken(self._text_of(self._finish_items(texts, thoughts, None))) from error
        return self._finish_items(texts, thoughts, usage)

    def _finish_items(self, texts: list[str], thoughts: list[str], usage) -> list:
        text = "".join(texts)
        thought = "".join(thoughts)
        if text and self.think.active:
            more, text = self.think.feed(text)
            thought += more
        items = []
        # 모델의 글은 여기서 한 번 깨끗이 한다: 뒤에서는 저장과 렌더링이 실패하지 않는다
        if thought and (thought := self.thought_cleaner.feed(thought)):
            items.append(Reasoning(thought))
        if text and (text := self.cleaner.feed(text)):
            items.append(text)
        if usage is not None:
            items.append(usage)
        return items


class _ThinkTags:
    """추론 파서 없이 띄운 모델(vLLM, llama.cpp, Ollama의 옛 판)이 답 맨 앞에 쓰는 <think>…</think>를 생각으로 떼어 낸다.

    맨 앞(앞의 공백은 빼고)이 <think>일 때만: 답 가운데의 태그는 답이다 (태그를 설명하는 답일 수 있다).
    태그는 덩어리 경계에 걸쳐 올 수 있어 그럴 수 있는 꼬리만 붙잡아 둔다. 판정이 끝나면(active가 False) 비용이 없다.
    """

    OPEN, CLOSE = "<think>", "</think>"

    def __init__(self):
        self.active = True
        self.inside = False
        # 닫는 태그 뒤의 줄바꿈은 답이 아니다: 다음 덩어리에 와도 뗀다
        self.trimming = False
        self.held = ""

    def feed(self, text: str) -> tuple[str, str]:
        """(생각, 답)."""
        if self.trimming:
            text = text.lstrip("\n")
            self.active = self.trimming = not text
            return "", text
        text = self.held + text
        self.held = ""
        if not self.inside:
            head = text.lstrip()
            if self.OPEN.startswith(head):
                # 아직 모른다: "<thi"까지만 왔다
                self.held = text
                return "", ""
            if not head.startswith(self.OPEN):
                self.active = False
                return "", text
            self.inside = True
            text = head[len(self.OPEN) :]
        close = text.find(self.CLOSE)
        if close >= 0:
            self.inside = False
            answer = text[close + len(self.CLOSE) :].lstrip("\n")
            self.active = self.trimming = not answer
            return text[:close], answer
        # 닫는 태그의 앞부분일 수 있는 꼬리는 붙잡아 둔다
        keep = next(
            (n for n in range(len(self.CLOSE) - 1, 0, -1) if text.endswith(self.CLOSE[:n])), 0
        )
        if keep:
            text, self.held = text[:-keep], text[-keep:]
        return text, ""

    def end(self) -> tuple[str, str]:
        """끝까지 닫히지 않은 생각 (길이 한도에서 잘렸다), 또는 판정 전에 끝난 짧은 답."""
        held, self.held = self.held, ""
        if self.inside:
            return held, ""
        return "", held


def _loads(payload: bytes):
    """조각 하나의 JSON. 토큰마다 도는 곳이라 더 빠른 orjson으로 푼다. 홀로 선 대리 문자("\\ud800")처럼 orjson이
    거절하지만 JSON으로는 맞는 것은 표준 라이브러리가 다시 읽는다 (TextCleaner가 U+FFFD로 바꾼다)."""
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError:
        return json.loads(payload)


def _chunk_parts(chunk) -> tuple[Usage | None, list[tuple[str | None, str | None, str | None]]]:
    """조각 하나의 사용량과 (글, 생각, finish_reason) 목록. 서버가 약속과 다른 모양을 보내면 ValueError."""
    if not isinstance(chunk, dict):
        raise ValueError("chunk is not an object")
    if chunk.get("error"):
        # 200 스트림 안의 오류 객체 (vLLM, LiteLLM, OpenRouter): HTTP 오류와 같은 표로 읽는다
        raise stream_error(chunk["error"])
    usage = chunk.get("usage")
    if usage is not None:
        if not isinstance(usage, dict):
            raise ValueError("usage is not an object")
        usage = Usage(_count(usage.get("prompt_tokens")), _count(usage.get("completion_tokens")))
    choices = chunk.get("choices") or []
    if not isinstance(choices, list) or not all(isinstance(c, dict) for c in choices):
        raise ValueError("unexpected chunk shape: choices")
    parts = []
    for choice in choices:
        delta = choice.get("delta") or {}
        if not isinstance(delta, dict):
            delta = {}
        content = delta.get("content")
        # 생각: DeepSeek·llama.cpp·옛 vLLM은 reasoning_content, 새 vLLM·Ollama·OpenRouter는 reasoning.
        # 둘 다 보내는 서버가 있어 하나만 읽는다.
        thought = delta.get("reasoning_content") or delta.get("reasoning")
        if thought is not None and not isinstance(thought, str):
            thought = None
        if isinstance(content, list):
            # 부분들의 목록으로 오는 글 (Mistral 등): text 부분은 답, thinking 부분은 생각이다
            content, more = _content_parts(content)
            thought = (thought or "") + more
        if content is not None and not isinstance(content, str):
            raise ValueError("chunk content is not text")
        parts.append((content, thought, choice.get("finish_reason")))
    return usage, parts


def _content_parts(parts: list) -> tuple[str, str]:
    """부분들의 목록을 (답, 생각)으로. Mistral의 thinking은 다시 부분들의 목록이다."""
    texts, thoughts = [], []
    for part in parts:
        if not isinstance(part, dict):
            continue
        kind = part.get("type", "text")
        if kind == "text" and isinstance(part.get("text"), str):
            texts.append(part["text"])
        elif kind in ("thinking", "reasoning"):
            inner = part.get("thinking", part.get("text", ""))
            if isinstance(inner, list):
                inner, _ = _content_parts(inner)
            if isinstance(inner, str):
                thoughts.append(inner)
    return "".join(texts), "".join(thoughts)


def _count(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None
