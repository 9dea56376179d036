"""대화 화면의 무게: 메시지 30개인 대화를 빈 캐시로 처음 열 때 내려받는 바이트. 결과는 docs/page-weight.md.

`make run`처럼 collectstatic을 마친 앱을 띄우고, 브라우저가 보내는 Accept-Encoding으로 HTML과 그 페이지가
부르는 CSS, JavaScript, 아이콘을 받는다. 압축을 풀지 않은 채 센 본문과 응답 머리글이 "전송된 바이트"다.

    .venv/bin/python bench/page_weight.py
"""

import gzip
import platform
import re
import sys
import tempfile
import urllib.parse
import urllib.request
from datetime import date
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.serve import app_env, app_server, manage  # noqa: E402

TARGET_KB = 80
ACCEPT_ENCODING = "gzip, deflate, br, zstd"

# 수업에서 흔한 답변: 제목, 문단, 목록, 표, 파이썬 코드 블록
REPLY = """## 리스트 컴프리헨션

리스트 컴프리헨션은 **반복문과 조건문**을 한 줄로 써서 새 리스트를 만드는 문법입니다. 짧은 변환에 씁니다.

```python
numbers = [3, 8, 1, 9, 4]
squares = [n * n for n in numbers if n % 2 == 0]
print(squares)  # [64, 16]
```

| 방식 | 줄 수 | 읽기 |
|---|---|---|
| for 문 | 4 | 보통 |
| 컴프리헨션 | 1 | 쉬움 |

- 조건이 길어지면 for 문이 더 읽기 쉽습니다.
- 결과가 크면 제너레이터 식 `(n * n for n in numbers)`을 쓰세요.
"""

SETUP = f"""
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from accounts.models import User
from chat.markdown import render_markdown
from chat.models import Conversation, Message
user = User(username="weight")
user.set_unusable_password()
user.save()
for index in range(20):
    Conversation.objects.create(owner=user, title=f"지난 대화 {{index}}: 파이썬 기초 질문", model="gpt-4o-mini")
conversation = Conversation.objects.create(owner=user, title="리스트 컴프리헨션 질문", model="gpt-4o-mini")
import random
words = ("리스트 컴프리헨션 반복문 조건문 제너레이터 메모리 파이썬 함수 변수 예제 결과 성능 가독성 "
         "list comprehension generator memory filter map lambda readable fast index value").split()
for index in range(15):
    # 답변마다 글이 달라야 압축률이 실제와 비슷하다 (같은 글 30개는 gzip이 거의 다 없앤다)
    rng = random.Random(index)
    prose = lambda n: " ".join(rng.choice(words) for _ in range(n)) + "."
    reply = {REPLY!r}.replace("짧은 변환에 씁니다.", prose(60)).replace(
        "print(squares)", f"print(squares[{{index}}:])  # {{prose(6)}}") + chr(10) * 2 + prose(80)
    html = render_markdown(reply)
    Message.objects.create(conversation=conversation, role="user", status="done",
        content=f"질문 {{index}}: 리스트 컴프리헨션을 예제와 표로 설명해 주세요. 짝수만 제곱하고 싶어요.")
    Message.objects.create(conversation=conversation, role="assistant", status="done", model="gpt-4o-mini",
        content=reply, rendered_html=html, prompt_tokens=300, completion_tokens=180)
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "accounts.backends.UserBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.save()
print(conversation.pk, session.session_key)
"""


def fetch(url: str, cookie: str) -> tuple[int, int, str, bytes]:
    """(본문 바이트, 머리글 바이트, Content-Encoding, 본문). urllib은 압축을 풀지 않는다."""
    if not url.startswith("http://127."):
        raise ValueError(f"only our own app on loopback: {url}")
    request = urllib.request.Request(  # noqa: S310 - 바로 위에서 루프백 http만 허락했다
        url, headers={"Accept-Encoding": ACCEPT_ENCODING, "Cookie": cookie}
    )
    with urllib.request.urlopen(request) as response:  # noqa: S310
        body = response.read()
        head = len(str(response.headers)) + len(f"HTTP/1.1 {response.status} OK\r\n")
        return len(body), head, response.headers.get("Content-Encoding", ""), body


def assets(html: str) -> list[str]:
    """페이지가 처음 열릴 때 부르는 정적 파일들."""
    found = re.findall(r'<link rel="(?:stylesheet|icon)" href="([^"]+)"', html)
    found += re.findall(r'<script src="([^"]+)"', html)
    return list(dict.fromkeys(found))


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        workdir = Path(directory)
        env = app_env(workdir)
        with app_server(env, workdir) as base_url:
            pk, session_key = manage(env, "shell", "-v", "0", "-c", SETUP).stdout.split()[-2:]
            cookie = f"sessionid={session_key}"
            rows = []
            size, head, encoding, body = fetch(f"{base_url}/chat/{pk}/", cookie)
            html = (gzip.decompress(body) if encoding == "gzip" else body).decode()
            if html.count('class="bubble ') != 30:
                raise SystemExit("the page should show 30 messages")
            raw = len(html.encode()) / 1024
            rows.append((f"HTML (대화 화면, 압축 전 {raw:.1f} KB)", size, head, encoding or "없음"))
            for path in assets(html):
                size, head, encoding, _ = fetch(urllib.parse.urljoin(base_url, path), cookie)
                rows.append((Path(path).name, size, head, encoding or "없음"))

    total = sum(size + head for _, size, head, _ in rows)
    lines = [
        "# 대화 화면의 무게 / Page weight",
        "",
        "`bench/page_weight.py`가 쓴 결과다. 메시지 30개(답변 15개: 제목, 문단, 표, 파이썬 코드)와 사이드바의",
        "대화 21개가 있는 대화 화면을 빈 캐시로 처음 열 때 받는 바이트: 압축된 그대로의 본문과 응답 머리글.",
        f"목표는 {TARGET_KB} KB 미만 (이슈 #9).",
        "",
        "The bytes on the wire when a conversation with 30 messages is opened with an empty cache "
        "(compressed bodies as sent, plus response headers).",
        "",
        "| 파일 / file | 본문 / body | 머리글 / headers | 압축 / encoding |",
        "|---|---:|---:|---|",
        *(
            f"| {name} | {size / 1024:.1f} KB | {head / 1024:.1f} KB | {encoding} |"
            for name, size, head, encoding in rows
        ),
        f"| **합계 / total** | | **{total / 1024:.1f} KB** | 목표 / target < {TARGET_KB} KB: "
        f"{'met' if total / 1024 < TARGET_KB else 'NOT met'} |",
        "",
        "HTML은 앱이 gzip으로 압축하고(core/compression.py, 스트림은 빼고), "
        "CSS와 JavaScript는 WhiteNoise가 collectstatic 때 미리 압축해 둔 파일을 보낸다. "
        "HTML is gzipped by the app (streams excepted); static files are pre-compressed by WhiteNoise.",
        "",
        f"측정: {date.today().isoformat()}, Python {platform.python_version()}, {platform.machine()}.",
        "",
    ]
    output = BASE_DIR / "docs" / "page-weight.md"
    output.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
