"""CommonMark 강조 규칙의 CJK 수정안: `**리스트(list)**는`처럼 문장부호로 끝난 굵은 글씨 뒤에 조사가 와도 굵게.

CommonMark는 닫는 `**` 앞이 문장부호이면 뒤가 공백이나 문장부호일 때만 닫는다. 한국어는 조사를 띄우지 않아서
모델이 쓴 `**"안녕"**이라고`가 `**`째로 남는다. 수정안(https://github.com/tats-u/markdown-cjk-friendly 의
specification.md, JavaScript의 markdown-it-cjk-friendly 2.0)을 옮겼다: `*`와 `~` 줄의 양옆이 공백이 아니고
한쪽이라도 CJK 글자이면 열 수도 닫을 수도 있다. 영어처럼 CJK 글자가 닿지 않는 곳은 CommonMark 그대로다.

markdown-it-py의 강조·취소선 규칙을 그대로 부르고, 그 규칙이 방금 쌓은 구분자의 열림·닫힘만 다시 정한다.
기대는 내부(규칙 이름, state.delimiters, Delimiter.open/close)는 tests/test_tripwires.py가 지킨다.
"""

import unicodedata
from bisect import bisect_right

from markdown_it import MarkdownIt
from markdown_it.common.utils import isMdAsciiPunct, isPunctChar, isWhiteSpace
from markdown_it.rules_inline import emphasis, strikethrough

__all__ = ["cjk_friendly_emphasis", "delimiter_flags", "is_cjk"]

# 수정안의 "CJK 글자" (동아시아 너비 W·F·H 중 이모지가 아닌 것과 한글), Unicode 17.
# 출처: markdown-cjk-friendly의 ranges.md. Python의 unicodedata에는 이모지 표시 속성과 문자 체계가 없어 표로 둔다.
_CJK_RANGES = (
    (0x1100, 0x11FF), (0x20A9, 0x20A9), (0x2329, 0x232A), (0x2630, 0x2637),
    (0x268A, 0x268F), (0x2E80, 0x2E99), (0x2E9B, 0x2EF3), (0x2F00, 0x2FD5),
    (0x2FF0, 0x303E), (0x3041, 0x3096), (0x3099, 0x30FF), (0x3105, 0x312F),
    (0x3131, 0x318E), (0x3190, 0x31E5), (0x31EF, 0x321E), (0x3220, 0x3247),
    (0x3250, 0xA48C), (0xA490, 0xA4C6), (0xA960, 0xA97C), (0xAC00, 0xD7A3),
    (0xD7B0, 0xD7C6), (0xD7CB, 0xD7FB), (0xF900, 0xFAFF), (0xFE10, 0xFE19),
    (0xFE30, 0xFE52), (0xFE54, 0xFE66), (0xFE68, 0xFE6B), (0xFF01, 0xFFBE),
    (0xFFC2, 0xFFC7), (0xFFCA, 0xFFCF), (0xFFD2, 0xFFD7), (0xFFDA, 0xFFDC),
    (0xFFE0, 0xFFE6), (0xFFE8, 0xFFEE), (0x16FE0, 0x16FE4), (0x16FF0, 0x16FF6),
    (0x17000, 0x18CD5), (0x18CFF, 0x18D1E), (0x18D80, 0x18DF2), (0x1AFF0, 0x1AFF3),
    (0x1AFF5, 0x1AFFB), (0x1AFFD, 0x1AFFE), (0x1B000, 0x1B122), (0x1B132, 0x1B132),
    (0x1B150, 0x1B152), (0x1B155, 0x1B155), (0x1B164, 0x1B167), (0x1B170, 0x1B2FB),
    (0x1D300, 0x1D356), (0x1D360, 0x1D376), (0x1F200, 0x1F200), (0x1F202, 0x1F202),
    (0x1F210, 0x1F219), (0x1F21B, 0x1F22E), (0x1F230, 0x1F231), (0x1F237, 0x1F237),
    (0x1F23B, 0x1F23B), (0x1F240, 0x1F248), (0x1F260, 0x1F265), (0x20000, 0x3FFFD),
)  # fmt: skip
_STARTS = tuple(start for start, _ in _CJK_RANGES)
# 전각 꼴을 고르는 변이 선택자 U+FE01 앞의 따옴표 (‘’“”): 너비가 모호한 문장부호 중 CJK로 치는 것
_FULLWIDTH_QUOTES = frozenset("\u2018\u2019\u201c\u201d")


def is_cjk(char: str) -> bool:
    code = ord(char)
    if code < 0x1100:  # 빠른 길: 라틴 글자와 ASCII 문장부호
        return False
    index = bisect_right(_STARTS, code) - 1
    return index >= 0 and code <= _CJK_RANGES[index][1]


def _is_punct(char: str) -> bool:
    return isMdAsciiPunct(ord(char)) or isPunctChar(char)


def delimiter_flags(src: str, start: int, end: int) -> tuple[bool, bool]:
    """start에서 시작하는 `*`·`_`·`~` 줄이 (열 수 있는지, 닫을 수 있는지). JavaScript 플러그인의 scanDelims를 옮긴 것."""
    marker = src[start]
    pos = start
    while pos < end and src[pos] == marker:
        pos += 1
    last = src[start - 1] if start > 0 else " "
    before = last  # 앞 글자: 변이 선택자(U+FE00–FE0E)가 붙었으면 그것이 꾸미는 글자
    two_back = None
    if "\ufe00" <= last <= "\ufe0e":
        two_back = src[start - 2] if start > 1 else " "
        if unicodedata.category(two_back) != "Zs":
            before = two_back
    after = src[pos] if pos < end else " "

    before_space = isWhiteSpace(ord(before))
    after_space = isWhiteSpace(ord(after))
    if before_space or after_space:
        return not after_space, not before_space

    before_punct = _is_punct(before)
    after_punct = _is_punct(after)
    left_flanking, right_flanking = before_punct, after_punct
    if marker != "_":
        # `_`는 낱말 안에서 강조를 열지 않으므로 CJK 글자와 상관없이 CommonMark 그대로다
        if two_back is not None:
            before_cjk = is_cjk(two_back) or (last == "\ufe01" and two_back in _FULLWIDTH_QUOTES)
        else:
            # 한자 이체자 선택자(IVS)는 한자에만 붙는다
            before_cjk = is_cjk(last) or "\U000e0100" <= last <= "\U000e01ef"
        either_cjk = is_cjk(after) or before_cjk
        left_flanking = left_flanking or either_cjk or not after_punct
        right_flanking = right_flanking or either_cjk or not before_punct
    return left_flanking, right_flanking


def _amended(tokenize):
    """markdown-it-py의 규칙을 부르고, 그 규칙이 이번에 쌓은 구분자의 열림·닫힘만 수정안대로 바꾼다."""

    def rule(state, silent: bool) -> bool:
        start, count = state.pos, len(state.delimiters)
        if not tokenize(state, silent):
            return False
        added = state.delimiters[count:]
        if added:
            can_open, can_close = delimiter_flags(state.src, start, state.posMax)
            for delimiter in added:
                delimiter.open, delimiter.close = can_open, can_close
        return True

    return rule


def cjk_friendly_emphasis(md: MarkdownIt) -> None:
    """markdown-it-py 플러그인: md.use(cjk_friendly_emphasis). 강조(*, _)와 취소선(~)에 수정안을 건다."""
    md.inline.ruler.at("emphasis", _amended(emphasis.tokenize))
    md.inline.ruler.at("strikethrough", _amended(strikethrough.tokenize))
