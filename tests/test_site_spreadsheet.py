"""core.spreadsheet: 우리가 쓰는 CSV의 칸이 표 계산 프로그램에서 수식이 되지 않는지 (CSV 주입)."""

import datetime
import io
from decimal import Decimal

import pytest

from core.spreadsheet import csv_safe, writer


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (
            '=HYPERLINK("http://evil.example","click")',
            '\'=HYPERLINK("http://evil.example","click")',
        ),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        # 가운데의 = 나 -는 수식이 아니다
        ("minji", "minji"),
        ("a=b", "a=b"),
        ("2026-03-02", "2026-03-02"),
        ("", ""),
    ],
)
def test_a_text_cell_that_a_spreadsheet_would_run_starts_with_a_quote(value, written):
    assert csv_safe(value) == written


@pytest.mark.parametrize("value", [-1, 0, 12345, -2.5, Decimal("-3"), True, None])
def test_numbers_and_empty_cells_stay_as_they_are(value):
    # 음수는 수식이 아니라 수로 읽힌다: 토큰 수 열을 글로 바꾸지 않는다
    assert csv_safe(value) is value


def test_other_values_are_checked_as_the_text_csv_would_write():
    class Shown:
        def __str__(self):
            return "=1+1"

    assert csv_safe(Shown()) == "'=1+1"
    assert csv_safe(datetime.date(2026, 3, 2)) == "2026-03-02"


def test_the_writer_guards_every_cell_and_returns_what_csv_returns():
    file = io.StringIO()
    rows = writer(file, lineterminator="\n")

    returned = rows.writerow(["-1", -1, "=SUM(A1)", "minji"])
    rows.writerows([["@x", 2]])

    assert file.getvalue() == "'-1,-1,'=SUM(A1),minji\n'@x,2\n"
    assert returned == len("'-1,-1,'=SUM(A1),minji\n")
