"""벤치용 가벼운 OpenAI 호환 서버: asyncio 하나로 수천 개의 스트림을 흘린다 (자기 프로세스에서).

테스트의 가짜 서버(tests/support/fake_openai.py)는 오작동을 흉내 내려고 연결마다 스레드를 쓴다. 벤치에서는
upstream의 CPU가 앱과 같은 두 코어를 나눠 쓰므로 가벼워야 한다. 답의 모양(토큰 수, 간격)은
POST /control 로 바꾼다.

    python bench/upstream.py --port 9100
"""

import argparse
import asyncio
import json

SETTINGS = {"tokens": 200, "delay": 0.0, "token": "토큰 "}


def _chunk(payload: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(payload), payload)


def _event(data: dict) -> bytes:
    return _chunk(b"data: " + json.dumps(data, ensure_ascii=False).encode() + b"\n\n")


async def _stream(writer: asyncio.StreamWriter) -> None:
    tokens, delay, token = SETTINGS["tokens"], SETTINGS["delay"], SETTINGS["token"]
    writer.write(
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
    )
    base = {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 0}
    base["model"] = "fake-model"
    head = dict(base, choices=[{"index": 0, "delta": {"role": "assistant", "content": ""}}])
    writer.write(_event(head))
    piece = _event(dict(base, choices=[{"index": 0, "delta": {"content": token}}]))
    for _ in range(tokens):
        writer.write(piece)
        if delay:
            await writer.drain()
            await asyncio.sleep(delay)
    end = dict(base, choices=[{"index": 0, "delta": {}, "finish_reason": "stop"}])
    writer.write(_event(end))
    usage = {"prompt_tokens": 12, "completion_tokens": tokens, "total_tokens": 12 + tokens}
    writer.write(_event(dict(base, choices=[], usage=usage)))
    writer.write(_chunk(b"data: [DONE]\n\n") + b"0\r\n\r\n")
    await writer.drain()


async def _handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
            length = int(headers.get("content-length") or headers.get("Content-Length") or 0)
            body = json.loads(await reader.readexactly(length)) if length else {}
            if path == "/control":
                SETTINGS.update(body)
                writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
            elif path.rstrip("/").endswith("/chat/completions") and method == "POST":
                await _stream(writer)
            else:
                writer.write(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def main(port: int) -> None:
    server = await asyncio.start_server(_handle, "127.0.0.1", port, backlog=4096)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    asyncio.run(main(parser.parse_args().port))
