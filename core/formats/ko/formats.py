"""한국어 날짜·시각: "2026년 12월 6일 오후 3:05". 오전·오후는 늘 시각 앞에 온다.

Django의 ko는 TIME_FORMAT만 "오후 3:05"이고 DATETIME_FORMAT은 "3:05 오후", SHORT_DATETIME_FORMAT은
"2026-12-6 15:05"라 한 화면에 세 꼴이 섞였다. 여기 적지 않은 형식(입력 형식 등)은 Django의 ko를 쓴다.
"""

DATE_FORMAT = "Y년 n월 j일"
TIME_FORMAT = "A g:i"
DATETIME_FORMAT = "Y년 n월 j일 A g:i"
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
