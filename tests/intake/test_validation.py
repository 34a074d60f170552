"""benchmark.intake.validation against return files as councils really send them (issue 2).

Every file here is built the way Excel saves it: byte-order marks, Windows-1252, CRLF, odd header
capitals, blank trailing rows and columns, `1,234` and ` 49`. Rows are numbered as a spreadsheet
shows them: the header is row 1.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile

import pytest

from benchmark import reference
from benchmark.definitions.standard import MAX_NIGHTS_PER_QUARTER, THEMES, columns
from benchmark.intake.validation import normalise_header, validate
from benchmark.periods import Period

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
ALL_BOUNDS = [pytest.param(theme.id, bound, id=f"{theme.id}:{bound.column}")
              for theme in THEMES.values() for bound in theme.bounds]


def only_error(report):
    """The one error of a report that must hold exactly one."""
    assert not report.ok
    assert len(report.errors) == 1, report.errors
    assert report.rows == [], "an invalid file must not hand back rows to store"
    return report.errors[0]


def error_at(report, row, column):
    matches = [problem for problem in report.errors if problem.row == row and problem.column == column]
    assert matches, f"no error at row {row}, column {column}: {report.errors}"
    return matches[0]


# --- what must be accepted ---------------------------------------------------------------------


def test_excel_csv_utf8_with_bom_crlf_messy_headers_and_blank_trailing_cells(make_csv, example_row, today):
    content = make_csv("advice", [example_row("advice"), example_row("advice", "206", adv_requests="60")],
                       encoding="utf-8-sig", crlf=True, messy_headers=True, blank_rows=3, blank_columns=2)
    assert content.startswith(b"\xef\xbb\xbf") and b"\r\n" in content and b" LA CODE ," in content

    report = validate("Camden advice Q1.csv", content, today=today)

    assert report.ok, report.errors
    assert report.theme == "advice"
    assert [(row.file_row, row.la_code, row.period) for row in report.rows] == [
        (2, "202", Period(2025, 1)), (3, "206", Period(2025, 1))]
    assert report.rows[0].values["adv_requests"] == 48.0
    assert report.rows[1].values["adv_requests"] == 60.0
    assert set(report.rows[0].values) == set(THEMES["advice"].field_names)
    assert report.warnings == []


def test_windows_1252_file_keeps_accented_notes(make_csv, example_row, today):
    notes = "Café-based short breaks – two families moved away"
    content = make_csv("short_breaks", [example_row("short_breaks", "Camden", notes=notes)],
                       encoding="cp1252", crlf=True)
    assert b"Caf\xe9" in content and b"\x96" in content  # é and the en dash as Windows-1252 bytes

    report = validate("sb.csv", content, today=today)

    assert report.ok, report.errors
    assert report.rows[0].notes == notes
    assert report.rows[0].la_code == "202"


def test_numbers_with_thousands_separators_spaces_and_pounds(make_csv, example_row, today):
    row = example_row("short_breaks", sb_children_total="1,234", sb_children_overnight=" 49",
                      sb_nights_delivered=" 410 ", sb_spend_gbp="£1,250,000.50", sb_assessment_days_median="35.5",
                      sb_children_waiting="+7")
    report = validate("sb.csv", make_csv("short_breaks", [row]), today=today)

    assert report.ok, report.errors
    values = report.rows[0].values
    assert values["sb_children_total"] == 1234.0
    assert values["sb_children_overnight"] == 49.0
    assert values["sb_nights_delivered"] == 410.0
    assert values["sb_spend_gbp"] == 1_250_000.5
    assert values["sb_assessment_days_median"] == 35.5  # a median may be a fraction of a day
    assert values["sb_children_waiting"] == 7.0
    assert values["sb_statement_reviewed"] == dt.date(2025, 3, 31)


@pytest.mark.parametrize("marker", ["", "c", "C", "x", ":", "  c  "])
def test_not_available_markers_are_missing_not_zero(marker, make_csv, example_row, today):
    row = example_row("advice", adv_audited_good=marker, adv_returned=marker)
    report = validate("adv.csv", make_csv("advice", [row]), today=today)

    assert report.ok, report.errors
    values = report.rows[0].values
    assert "adv_audited_good" in values and values["adv_audited_good"] is None
    assert values["adv_returned"] is None  # the whole is unknown, so its parts cannot be checked
    assert values["adv_returned_6wk"] == 37.0


@pytest.mark.parametrize(("written", "code"), [
    ("202", "202"),
    ("E09000007", "202"),
    ("e09000007", "202"),
    ("Camden", "202"),
    ("  CAMDEN ", "202"),
    ("Hammersmith & Fulham", "205"),
    ("Hammersmith and Fulham", "205"),
    ("Bristol, City of", "801"),
    ("Buckinghamshire", "825"),
    ("E06000060", "825"),
    ("E10000002", "825"),  # retired ONS county code still found in older files
])
def test_authority_written_as_code_ons_code_or_name(written, code, make_csv, example_row, today):
    report = validate("t.csv", make_csv("transitions", [example_row("transitions", written)]), today=today)
    assert report.ok, report.errors
    assert report.rows[0].la_code == code


@pytest.mark.parametrize("written", ["2025-26 Q1", "2025/26 Q1", "Q1 2025-26", "q1 2025/26", " 2025-26  Q1 ",
                                     "2025-2026 Q1"])
def test_three_period_spellings(written, make_csv, example_row, today):
    report = validate("t.csv", make_csv("transitions", [example_row("transitions", period=written)]), today=today)
    assert report.ok, report.errors
    assert report.rows[0].period == Period(2025, 1)
    assert report.rows[0].period.label == "2025-26 Q1"


def test_the_current_quarter_may_be_reported(make_csv, example_row, today):
    assert Period.current(today) == Period(2026, 3)
    report = validate("t.csv", make_csv("transitions", [example_row("transitions", period="2026-27 Q3")]),
                      today=today)
    assert report.ok, report.errors


def test_notes_column_is_optional(make_csv, example_row, today):
    header = [spec.name for spec in columns("advice") if spec.name != "notes"]
    report = validate("adv.csv", make_csv("advice", [example_row("advice")], header=header), today=today)
    assert report.ok, report.errors
    assert report.rows[0].notes is None


def test_notes_at_most_1000_characters(make_csv, example_row, today):
    fine = validate("a.csv", make_csv("advice", [example_row("advice", notes="n" * 1000)]), today=today)
    assert fine.ok, fine.errors

    error = only_error(validate("a.csv", make_csv("advice", [example_row("advice", notes="n" * 1001)]), today=today))
    assert (error.row, error.column) == (2, "notes")
    assert "1,001 characters" in error.message and "1,000" in error.message


@pytest.mark.parametrize(("written", "expected"), [
    ("Adv Returned 6wk", "adv_returned_6wk"),
    (" ADV-RETURNED-6WK ", "adv_returned_6wk"),
    ("\ufeffadv_returned_6wk", "adv_returned_6wk"),
    ("adv  returned - 6wk", "adv_returned_6wk"),
    ("LA\u00a0Code", "la_code"),  # Excel's non-breaking space
])
def test_header_names_in_any_case_with_spaces_or_hyphens(written, expected):
    assert normalise_header(written) == expected


def test_blank_lines_keep_spreadsheet_row_numbers(make_csv, example_row, today):
    rows = [example_row("advice"), {}, example_row("advice", "206", adv_requests="12.5")]
    content = b",,,\r\n" + make_csv("advice", rows, crlf=True)  # a blank first line: the header is row 2

    error = only_error(validate("adv.csv", content, today=today))

    assert (error.row, error.column, error.value) == (5, "adv_requests", "12.5")


# --- what must be refused, naming row, column, value and reason --------------------------------


def test_unknown_authority(make_csv, example_row, today):
    content = make_csv("advice", [example_row("advice"), example_row("advice", "Gotham")], crlf=True)
    error = only_error(validate("adv.csv", content, today=today))
    assert (error.row, error.column, error.value) == (3, "la_code", "Gotham")
    assert "not an English authority" in error.message


def test_misspelt_authority_gets_a_suggestion(make_csv, example_row, today):
    error = only_error(validate("adv.csv", make_csv("advice", [example_row("advice", "Camdn")]), today=today))
    assert (error.row, error.column, error.value) == (2, "la_code", "Camdn")
    assert "Did you mean 'Camden'?" in error.message


def test_missing_authority(make_csv, example_row, today):
    error = only_error(validate("adv.csv", make_csv("advice", [example_row("advice", "")]), today=today))
    assert (error.row, error.column) == (2, "la_code")
    assert "missing" in error.message


@pytest.mark.parametrize(("written", "reason"), [
    ("2025-27 Q1", "2025 must be followed by 26"),
    ("Q5 2025-26", "financial-year quarter"),
    ("2025 Q1", "financial-year quarter"),
    ("Spring 2025", "financial-year quarter"),
    ("2025-26", "financial-year quarter"),
    ("", "missing"),
])
def test_malformed_period(written, reason, make_csv, example_row, today):
    content = make_csv("advice", [example_row("advice"), example_row("advice", "206", period=written)])
    error = only_error(validate("adv.csv", content, today=today))
    assert (error.row, error.column, error.value) == (3, "period", written)
    assert reason in error.message


@pytest.mark.parametrize("written", ["2026-27 Q4", "Q1 2027-28", "2030/31 Q2"])
def test_period_after_the_current_quarter(written, make_csv, example_row, today):
    error = only_error(validate("adv.csv", make_csv("advice", [example_row("advice", period=written)]), today=today))
    assert (error.row, error.column, error.value) == (2, "period", written)
    assert "in the future" in error.message and "2026-27 Q3" in error.message


REQUIRED = [pytest.param(theme_id, spec.name, id=f"{theme_id}:{spec.name}")
            for theme_id in THEMES for spec in columns(theme_id) if spec.required]


@pytest.mark.parametrize(("theme_id", "missing"), REQUIRED)
def test_missing_required_column(theme_id, missing, make_csv, example_row, today):
    header = [spec.name for spec in columns(theme_id) if spec.name != missing]
    report = validate("f.csv", make_csv(theme_id, [example_row(theme_id)], header=header), today=today)

    assert not report.ok and report.rows == []
    assert report.theme == theme_id
    error = error_at(report, 1, missing)
    assert f"required column {missing} is missing" in error.message


def test_unknown_column_names_the_heading_as_written(make_csv, example_row, today):
    header = [*[spec.name for spec in columns("advice")], "Adv Retuned"]
    error = only_error(validate("adv.csv", make_csv("advice", [example_row("advice")], header=header), today=today))
    assert (error.row, error.column, error.value) == (1, "adv_retuned", "Adv Retuned")
    assert "unknown column 'adv_retuned'" in error.message
    assert "did you mean 'adv_returned'" in error.message


@pytest.mark.parametrize(("theme_id", "stray"), [
    ("advice", "sb_children_total"), ("short_breaks", "pfa_turned_18"), ("transitions", "ehcp_issued")])
def test_column_from_another_theme(theme_id, stray, make_csv, example_row, today):
    header = [*[spec.name for spec in columns(theme_id)], stray]
    error = only_error(validate("f.csv", make_csv(theme_id, [example_row(theme_id)], header=header), today=today))
    assert (error.row, error.column, error.value) == (1, stray, stray)
    other = next(theme for theme in THEMES.values() if stray in theme.field_names).id
    assert f"belongs to the {other} theme" in error.message


def test_same_column_twice(make_csv, example_row, today):
    header = [*[spec.name for spec in columns("advice")], "ADV REQUESTS"]
    error = only_error(validate("adv.csv", make_csv("advice", [example_row("advice")], header=header), today=today))
    assert (error.row, error.column, error.value) == (1, "adv_requests", "ADV REQUESTS")
    assert "appears twice" in error.message


def test_values_under_a_blank_heading(make_csv, example_row, today):
    header = [*[spec.name for spec in columns("advice")], ""]
    content = make_csv("advice", [{**example_row("advice"), "": "99"}], header=header)
    error = only_error(validate("adv.csv", content, today=today))
    assert error.row == 1 and error.column == f"column {len(columns('advice')) + 1}"
    assert "no heading" in error.message


def test_header_of_no_theme(today):
    report = validate("f.csv", b"la_code,period,total\r\n202,2025-26 Q1,5\r\n", today=today)
    assert not report.ok and report.theme is None
    assert report.errors[0].row == 1
    assert "none of the columns" in report.errors[0].message


@pytest.mark.parametrize(("column", "written", "reason"), [
    ("adv_requests", "twelve", "is not a number: adv_requests must be a whole number"),
    ("adv_requests", "12.5", "is a fraction"),
    ("adv_requests", "1,234.5", "is a fraction"),
    ("adv_requests", "-3", "is negative"),
    ("adv_overdue_open", "-1,234", "is negative"),
    ("adv_requests", "n/a", "is not a number"),
])
def test_count_cells(column, written, reason, make_csv, example_row, today):
    rows = [example_row("advice"), example_row("advice", "206"), example_row("advice", "209", **{column: written})]
    error = only_error(validate("adv.csv", make_csv("advice", rows, crlf=True), today=today))
    assert (error.row, error.column, error.value) == (4, column, written.strip())
    assert reason in error.message


@pytest.mark.parametrize(("column", "written", "reason"), [
    ("sb_spend_gbp", "lots", "must be an amount in pounds"),
    ("sb_spend_gbp", "-£50", "is negative"),
    ("sb_assessment_days_median", "-2", "is negative"),
    ("sb_statement_reviewed", "last spring", "is not a date"),
    ("sb_statement_reviewed", "31/13/2025", "is not a date"),
])
def test_money_days_and_date_cells(column, written, reason, make_csv, example_row, today):
    row = example_row("short_breaks", **{column: written})
    error = only_error(validate("sb.csv", make_csv("short_breaks", [row]), today=today))
    assert (error.row, error.column, error.value) == (2, column, written)
    assert reason in error.message


def _with_figures(theme_id, example_row, **figures):
    return example_row(theme_id, **{name: str(value) for name, value in figures.items()})


def _example_values(theme_id):
    return {spec.name: float(spec.example.replace(",", "")) for spec in THEMES[theme_id].fields
            if spec.kind.value in ("count", "money", "days")}


@pytest.mark.parametrize(("theme_id", "bound"), ALL_BOUNDS)
def test_every_part_larger_than_its_whole_is_refused(theme_id, bound, make_csv, example_row, today):
    limit = bound.limit(_example_values(theme_id))
    assert limit is not None and limit >= 0
    too_big = int(limit) + 1
    rows = [example_row(theme_id), _with_figures(theme_id, example_row, **{bound.column: too_big})]
    rows[1]["la_code"] = "206"

    error = only_error(validate("f.csv", make_csv(theme_id, rows), today=today))

    assert (error.row, error.column, error.value) == (3, bound.column, str(too_big))
    assert f"is larger than {limit:,.0f}" in error.message
    assert bound.reason in error.message


@pytest.mark.parametrize(("theme_id", "bound"), ALL_BOUNDS)
def test_a_part_equal_to_its_whole_is_fine(theme_id, bound, make_csv, example_row, today):
    limit = int(bound.limit(_example_values(theme_id)))
    report = validate("f.csv", make_csv(theme_id, [_with_figures(theme_id, example_row, **{bound.column: limit})]),
                      today=today)
    assert not [problem for problem in report.errors if problem.column == bound.column], report.errors


def test_nights_over_92_per_overnight_child(make_csv, example_row, today):
    assert MAX_NIGHTS_PER_QUARTER == 92
    fine = validate("sb.csv", make_csv("short_breaks", [example_row(
        "short_breaks", sb_children_overnight="2", sb_nights_delivered="184")]), today=today)
    assert fine.ok, fine.errors

    content = make_csv("short_breaks", [example_row("short_breaks", sb_children_overnight="2",
                                                    sb_nights_delivered="185")])
    error = only_error(validate("sb.csv", content, today=today))
    assert (error.row, error.column, error.value) == (2, "sb_nights_delivered", "185")
    assert "is larger than 184" in error.message and "92 nights" in error.message

    error = only_error(validate("sb.csv", make_csv("short_breaks", [example_row(
        "short_breaks", sb_children_overnight="0", sb_nights_delivered="1")]), today=today))
    assert error.column == "sb_nights_delivered"


def test_nights_unchecked_when_overnight_children_not_available(make_csv, example_row, today):
    report = validate("sb.csv", make_csv("short_breaks", [example_row(
        "short_breaks", sb_children_overnight="c", sb_nights_delivered="5000")]), today=today)
    assert report.ok, report.errors
    assert report.rows[0].values["sb_nights_delivered"] == 5000.0


@pytest.mark.parametrize(("written", "ok"), [
    ("2025-06-30", True), ("30/06/2025", True), ("30 June 2025", True),
    ("2025-07-01", False), ("01/07/2025", False), ("1 Jul 2025", False)])
def test_statement_review_date_not_after_the_quarter(written, ok, make_csv, example_row, today):
    row = example_row("short_breaks", period="2025-26 Q1", sb_statement_reviewed=written)
    report = validate("sb.csv", make_csv("short_breaks", [row]), today=today)
    if ok:
        assert report.ok, report.errors
        assert report.rows[0].values["sb_statement_reviewed"] == dt.date(2025, 6, 30)
    else:
        error = only_error(report)
        assert (error.row, error.column, error.value) == (2, "sb_statement_reviewed", written)
        assert "after the end of the quarter 2025-26 Q1 (30 June 2025)" in error.message


def test_same_authority_and_quarter_twice(make_csv, example_row, today):
    rows = [example_row("advice"), example_row("advice", "206"), example_row("advice", "Camden", period="Q1 2025/26"),
            example_row("advice", "202", period="2025-26 Q2")]
    error = only_error(validate("adv.csv", make_csv("advice", rows), today=today))
    assert (error.row, error.column, error.value) == (4, "period", "Q1 2025/26")
    assert "Camden 2025-26 Q1 appears twice" in error.message and "rows 2 and 4" in error.message


@pytest.mark.parametrize(("content", "reason"), [
    (b"", "The file is empty"), (b"   \r\n\r\n", "The file is empty"), (b"\xef\xbb\xbf", "The file is empty"),
    (b",,,,\r\n,,,,\r\n", "The file holds only separators"), (b'";";\t\r\n', "The file holds only separators"),
], ids=["zero-bytes", "blank-lines", "bom-only", "blank-cells", "separators"])
def test_empty_file(content, reason, today):
    report = validate("empty.csv", content, today=today)
    assert not report.ok and report.theme is None and report.rows == []
    assert [(p.row, p.column, p.value) for p in report.errors] == [(None, None, None)]
    assert report.errors[0].message.startswith(reason)


@pytest.mark.parametrize("theme_id", list(THEMES))
def test_header_only_file(theme_id, make_csv, today):
    for content in (make_csv(theme_id, [], encoding="utf-8-sig", crlf=True), make_csv(theme_id, [], blank_rows=4)):
        report = validate("template.csv", content, today=today)
        assert not report.ok and report.theme == theme_id
        assert [problem.message for problem in report.errors] == ["The file has a header but no rows of figures."]


def _zip_of_something_else() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    return buffer.getvalue()


@pytest.mark.parametrize(("name", "content", "reason"), [
    ("chart.png", PNG, "'.png' files are not returns"),
    ("return.csv", PNG, "binary data"),
    ("return.pdf", PDF, "'.pdf' files are not returns"),
    ("return.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "save it as .xlsx or CSV"),
    ("return.xlsx", _zip_of_something_else(), "zip archive of something else"),
])
def test_files_that_are_not_csv_or_xlsx(name, content, reason, today):
    report = validate(name, content, today=today)
    assert not report.ok and report.theme is None and report.rows == []
    assert len(report.errors) == 1 and report.errors[0].row is None
    assert reason in report.errors[0].message


def test_a_renamed_csv_called_xlsx_gets_a_sensible_reason(make_csv, example_row, today):
    report = validate("return.xlsx", make_csv("advice", [example_row("advice")]), today=today)
    assert not report.ok  # refusing is right; the reason must not say .xlsx files are not returns
    assert "'.xlsx' files are not returns" not in report.errors[0].message


def test_a_value_beyond_the_last_heading_is_not_silently_dropped(make_csv, example_row, today):
    content = make_csv("advice", [example_row("advice")]).replace(b"\n", b",99\n").replace(b",99\n", b"\n", 1)
    assert content.count(b",99") == 1
    report = validate("adv.csv", content, today=today)
    assert not report.ok


# --- .xlsx: the first sheet, the same rules, the same row numbers ------------------------------


def _sheet_rows(theme_id, rows):
    names = [spec.name for spec in columns(theme_id)]
    return [[row.get(name) for name in names] for row in rows]


def test_valid_xlsx(make_xlsx, today):
    header = ["LA Code", "Period", "Notes", *[name.replace("_", " ").title() for name in
                                              THEMES["short_breaks"].field_names], None, None]
    row = {"la_code": 202, "period": "2025-26 Q2", "notes": "Café open again",
           "sb_children_total": 412, "sb_children_overnight": 38.0, "sb_children_daytime": 305,
           "sb_children_direct_payment": "c", "sb_nights_delivered": 410, "sb_spend_gbp": 1250000.5,
           "sb_assessments_completed": 64, "sb_assessment_days_median": 35.5, "sb_children_waiting": None,
           "sb_statement_reviewed": dt.datetime(2025, 3, 31)}
    table = [header, *_sheet_rows("short_breaks", [row, {**row, "la_code": "Islington"}]), [None] * 3]

    report = validate("Return.xlsx", make_xlsx(table), today=today)

    assert report.ok, report.errors
    assert report.theme == "short_breaks"
    assert [(r.file_row, r.la_code, r.period) for r in report.rows] == [(2, "202", Period(2025, 2)),
                                                                      (3, "206", Period(2025, 2))]
    values = report.rows[0].values
    assert values["sb_children_overnight"] == 38.0
    assert values["sb_spend_gbp"] == 1250000.5
    assert values["sb_children_direct_payment"] is None and values["sb_children_waiting"] is None
    assert values["sb_statement_reviewed"] == dt.date(2025, 3, 31)
    assert report.rows[0].notes == "Café open again"


def test_invalid_xlsx_names_spreadsheet_rows(make_xlsx, example_row, today):
    good = {**example_row("advice"), "adv_requests": 48}
    table = [[spec.name for spec in columns("advice")],
             *_sheet_rows("advice", [good]),
             [None],
             *_sheet_rows("advice", [{**good, "la_code": "206", "adv_requests": 12.5},
                                     {**good, "la_code": "Gotham"},
                                     {**good, "la_code": "209", "adv_audited_good": 16}])]

    report = validate("Return.xlsx", make_xlsx(table), today=today)

    assert not report.ok and report.rows == []
    assert [(p.row, p.column, p.value) for p in report.errors] == [
        (4, "adv_requests", "12.5"), (5, "la_code", "Gotham"), (6, "adv_audited_good", "16")]


# --- warnings: stored, but shown ---------------------------------------------------------------


def _two_quarters(example_row, before, after):
    return [example_row("advice", period="2025-26 Q1", adv_requests=str(before)),
            example_row("advice", period="2025-26 Q2", adv_requests=str(after))]


@pytest.mark.parametrize(("before", "after", "words"), [(20, 100, "5 times or more"),
                                                        (100, 20, "a fifth or less of")])
def test_jump_from_previous_quarter_in_the_same_file_warns(before, after, words, make_csv, example_row, today):
    report = validate("adv.csv", make_csv("advice", _two_quarters(example_row, before, after)), today=today)

    assert report.ok and len(report.rows) == 2 and report.errors == []
    assert [(p.row, p.column, p.value) for p in report.warnings] == [(3, "adv_requests", str(after))]
    assert f"{words} last quarter's {before} (2025-26 Q1)" in report.warnings[0].message


@pytest.mark.parametrize(("before", "after"), [(20, 99), (1, 9), (0, 9)])
def test_no_warning_below_five_times_or_for_small_numbers(before, after, make_csv, example_row, today):
    report = validate("adv.csv", make_csv("advice", _two_quarters(example_row, before, after)), today=today)
    assert report.ok and report.warnings == []


def test_jump_from_a_stored_previous_quarter_warns(make_csv, example_row, today):
    asked = []
    q1 = Period(2025, 1).index

    def previous(keys):
        asked.append(keys)
        return {("202", q1, "adv_requests"): 20.0, ("206", q1, "adv_requests"): 60.0}

    rows = [example_row("advice", period="2025-26 Q2", adv_requests="100"),
            example_row("advice", "206", period="2025-26 Q2", adv_requests="60"),
            example_row("advice", "206", period="2025-26 Q3", adv_requests="61")]
    report = validate("adv.csv", make_csv("advice", rows), today=today, previous=previous)

    assert report.ok and len(report.rows) == 3
    # Only quarters not in the file are looked up: 206's 2025-26 Q2 is its own row 3.
    assert asked == [{("202", q1), ("206", q1)}]
    assert [(p.row, p.column, p.value) for p in report.warnings] == [(2, "adv_requests", "100")]
    assert "last quarter's 20 (2025-26 Q1)" in report.warnings[0].message


def test_invalid_file_does_not_look_up_previous_quarters(make_csv, example_row, today):
    asked = []
    report = validate("adv.csv", make_csv("advice", [example_row("advice", adv_requests="-1")]), today=today,
                      previous=lambda keys: asked.append(keys) or {})
    assert not report.ok and report.warnings == [] and asked == []


def test_short_breaks_for_an_implausible_share_of_children_warns(make_csv, example_row, today):
    population = reference.population_for("202", 2025)
    assert population and population > 10_000
    total = int(population * 0.05) + 10
    report = validate("sb.csv", make_csv("short_breaks", [example_row(
        "short_breaks", sb_children_total=str(total))]), today=today)
    assert report.ok
    assert [(p.row, p.column) for p in report.warnings] == [(2, "sb_children_total")]
    assert f"{population:,} children aged 0-17 in Camden" in report.warnings[0].message


# --- the report as JSON ------------------------------------------------------------------------


def test_as_dict_shape_for_an_invalid_and_a_warned_file(make_csv, example_row, today):
    invalid = validate("bad.csv", make_csv("advice", [example_row("advice", "Gotham")]), today=today).as_dict()
    warned = validate("adv.csv", make_csv("advice", _two_quarters(example_row, 20, 100)), today=today).as_dict()
    unreadable = validate("x.png", PNG, today=today).as_dict()

    for report in (invalid, warned, unreadable):
        assert list(report) == ["file", "ok", "theme", "themes", "rows", "rows_checked", "errors", "errors_not_shown",
                                "warnings", "warnings_not_shown"]
        assert json.loads(json.dumps(report)) == report
        for problem in report["errors"] + report["warnings"]:
            assert list(problem) == ["sheet", "row", "column", "value", "message"]
            assert problem["row"] is None or isinstance(problem["row"], int)
            assert isinstance(problem["message"], str) and problem["message"]
    assert invalid == {"file": "bad.csv", "ok": False, "theme": "advice", "themes": ["advice"], "rows": 0,
                       "rows_checked": 1, "errors": [{"sheet": None, "row": 2, "column": "la_code", "value": "Gotham",
                                   "message": invalid["errors"][0]["message"]}], "errors_not_shown": 0,
                       "warnings": [], "warnings_not_shown": 0}
    assert (warned["ok"], warned["rows"], warned["rows_checked"], warned["errors"], len(warned["warnings"])) == (
        True, 2, 2, [], 1)
    assert (unreadable["ok"], unreadable["theme"], unreadable["rows"], unreadable["rows_checked"]) == (
        False, None, 0, 0)
