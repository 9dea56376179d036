"""영어 날짜·시각: "Dec. 6, 2026, 3:05 p.m.". 짧은 형식도 같은 꼴로 (한국어와 같은 가족)."""

DATE_FORMAT = "N j, Y"
TIME_FORMAT = "P"
DATETIME_FORMAT = "N j, Y, P"
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
