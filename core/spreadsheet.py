"""우리가 쓰는 모든 CSV의 칸(표 계산 프로그램이 수식으로 돌릴 글은 작은따옴표로 시작하게: CSV 주입), 그리고
한국어 Excel이 쓴 CSV를 읽는 법(인코딩과 구분 문자).

강사는 받은 CSV를 Excel이나 Google 시트로 연다. 칸이 =, +, -, @, 탭, 캐리지 리턴으로 시작하면 그 프로그램은
수식으로 읽어, 아이디나 모델 이름에 숨긴 =HYPERLINK(...)가 링크나 명령이 된다. OWASP의 규칙대로 그런 칸 앞에
'를 붙인다. 새 CSV도 csv.writer 대신 여기의 writer를 쓴다.
"""

import codecs
import csv
from numbers import Number

# 이 글자로 시작하는 칸은 수식으로 읽힌다 (OWASP "CSV Injection")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value):
    """CSV 칸 하나. 수식 글자로 시작하는 글이면 앞에 '를 붙인 글, 아니면 그대로.

    수(int, float, Decimal, bool)와 None은 그대로 둔다: csv가 쓰는 -3은 수로 읽히지 수식이 아니고, 숫자 열이
    글로 바뀌면 합계를 낼 수 없다. 글 "-1"에는 붙인다: 아이디 칸의 "-1"은 수가 아니라 글이다. 그 밖의 값(날짜 등)은
    csv처럼 str로 바꾼 뒤 같은 규칙을 쓴다.
    """
    if value is None or isinstance(value, Number):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _SafeWriter:
    """csv.writer와 같이 쓰되 칸마다 csv_safe를 거친다. writerow는 csv의 것처럼 쓴 것을 돌려준다."""

    def __init__(self, file, **options):
        self._writer = csv.writer(file, **options)

    def writerow(self, row):
        return self._writer.writerow([csv_safe(value) for value in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def writer(file, **options) -> _SafeWriter:
    """csv.writer(file, **options) 대신. 우리가 쓰는 CSV는 모두 이것으로 쓴다."""
    return _SafeWriter(file, **options)


class UndecodableText(ValueError):
    """UTF-8도 CP949도 아닌 파일: 어느 쪽으로 읽어도 글자가 깨진다."""


# 한국어 Excel이 쓰는 인코딩을 이 순서로 본다. utf-8-sig는 BOM이 있든 없든 UTF-8을 읽고, CP949는 EUC-KR을 품는다.
# UTF-8을 먼저 보는 까닭: 한글이 든 UTF-8은 CP949로 거의 늘 깨지지만, 그 반대는 우연히 맞을 수 있다.
EXCEL_ENCODINGS = ("utf-8-sig", "cp949")
# 구분 문자 후보: 쉼표, 유럽식 Excel의 세미콜론, "텍스트(탭으로 분리)"의 탭
DELIMITERS = (",", ";", "\t")


def excel_text(data: bytes) -> str:
    """Excel이 쓴 CSV의 바이트를 글로. "CSV UTF-8"(BOM), "CSV(쉼표로 분리)"(CP949), "유니코드 텍스트"(UTF-16)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise UndecodableText from None
    for encoding in EXCEL_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UndecodableText


def excel_dialect(text: str) -> tuple[str, int]:
    """(구분 문자, 건너뛸 줄 수). Excel의 "sep=;" 첫 줄이 있으면 그것을, 없으면 머리글 줄에 가장 많은 후보를.

    csv.Sniffer는 칸이 하나뿐인 파일에서 실패하고 글에 든 쉼표에 속는다: 머리글만 세는 편이 예측하기 쉽다.
    """
    first, _, _ = text.partition("\n")
    first = first.rstrip("\r")
    if first.lower().startswith("sep=") and len(first) == 5:
        return first[4], 1
    counts = {delimiter: first.count(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda delimiter: counts[delimiter])
    return (best if counts[best] else ","), 0
