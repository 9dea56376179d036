"""모델의 글을 DB와 nh3가 담을 수 있게: NUL과 홀로 선 UTF-16 대리 문자를 걸러 낸다."""

import re

# UTF-16 대리 문자: JSON의 "\ud800" 같은 이스케이프가 파이썬 글에 홀로 남은 것
_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """DB와 nh3가 담을 수 있는 글로: NUL을 빼고, 짝이 맞는 대리 문자는 잇고, 홀로 남은 것은 U+FFFD로.

    PostgreSQL의 text는 NUL을, UTF-8로 쓰는 모든 곳(SQLite, PostgreSQL, nh3)은 홀로 선 대리 문자를 받지 못한다.
    """
    text = text.replace("\x00", "")
    if _SURROGATE.search(text) is None:
        return text
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


class TextCleaner:
    """조각마다 clean_text. 프록시가 이모지의 대리 문자 쌍을 두 조각에 나눠 보내면 다음 조각과 잇는다."""

    def __init__(self):
        self._held = ""

    def feed(self, text: str) -> str:
        # NUL을 먼저 뺀다: 반쪽 사이에 NUL이 끼어도 짝을 찾는다
        text = self._held + text.replace("\x00", "")
        self._held = ""
        if text and "\ud800" <= text[-1] <= "\udbff":
            # 앞쪽 대리 문자로 끝났다: 짝이 다음 조각에 올 수 있어 붙잡아 둔다
            text, self._held = text[:-1], text[-1]
        return clean_text(text)

    def flush(self) -> str:
        """끝까지 짝이 오지 않은 대리 문자."""
        held, self._held = self._held, ""
        return clean_text(held)
