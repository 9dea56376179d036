"""한글 이름을 로마자 아이디로: 국어의 로마자 표기법(2000)을 음절마다, 성은 흔히 쓰는 여권 표기로.

명단의 아이디 칸에 한글 이름을 적는 강사가 많다. 아이디 규칙(영문, 숫자, _)에 맞는 아이디를 제안하려고 쓴다.
모양은 "성이름"을 붙여 소문자로: 김민수 → kimminsu. 이름 안의 소리 바뀜은 적지 않는다 (표기법이 사람 이름에 그렇게
정했다: 한복남 → Han Boknam).
"""

import unicodedata

HANGUL_FIRST = 0xAC00
HANGUL_LAST = 0xD7A3
MEDIALS_COUNT = 21
FINALS_COUNT = 28

# 첫소리 19개, 가운뎃소리 21개, 끝소리 28개(없음 포함): 유니코드의 음절 순서 그대로
# (표로 읽히게 한 줄씩 둔다)
INITIALS = "g kk n d tt r m b pp s ss - j jj ch k t p h".split()  # noqa: SIM905
MEDIALS = "a ae ya yae eo e yeo ye o wa wae oe yo u wo we wi yu eu ui i".split()  # noqa: SIM905
FINALS = "- k k k n n n t l k m l l l p l m p p t t ng t t k t p t".split()  # noqa: SIM905

# 성은 표기법보다 여권과 명함의 관례를 따른다: 김 → gim보다 kim이 본인이 알아보는 이름이다 (흔한 성만)
SURNAMES = {
    "김": "kim",
    "이": "lee",
    "박": "park",
    "최": "choi",
    "정": "jung",
    "강": "kang",
    "조": "cho",
    "윤": "yoon",
    "임": "lim",
    "오": "oh",
    "신": "shin",
    "권": "kwon",
    "안": "ahn",
    "유": "yoo",
    "류": "ryu",
    "고": "ko",
    "문": "moon",
    "노": "noh",
    "구": "koo",
    "우": "woo",
    "주": "joo",
    "곽": "kwak",
}


def is_hangul_syllable(character: str) -> bool:
    return HANGUL_FIRST <= ord(character) <= HANGUL_LAST


def syllable(character: str) -> str:
    """한 음절을 첫소리, 가운뎃소리, 끝소리로 나누어 로마자로 (예: 민 → min)."""
    index = ord(character) - HANGUL_FIRST
    initial, rest = divmod(index, MEDIALS_COUNT * FINALS_COUNT)
    medial, final = divmod(rest, FINALS_COUNT)
    return "".join(part.strip("-") for part in (INITIALS[initial], MEDIALS[medial], FINALS[final]))


def romanize(name: str) -> str:
    """이름 전체를 소문자 로마자로. 첫 음절은 성으로 보고, 한글이 아닌 영문과 숫자는 그대로, 나머지는 버린다."""
    text = unicodedata.normalize("NFC", name.strip())
    parts = []
    for position, character in enumerate(text):
        if is_hangul_syllable(character):
            surname = SURNAMES.get(character) if position == 0 else None
            parts.append(surname or syllable(character))
        elif character.isascii() and character.isalnum():
            parts.append(character.lower())
    return "".join(parts)


def has_hangul(text: str) -> bool:
    return any(is_hangul_syllable(character) for character in unicodedata.normalize("NFC", text))
