"""Issue 12, one workbook per return: an .xlsx with a sheet per theme (a Guidance sheet ignored) is
one upload, checked sheet by sheet, and stored all or nothing."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from benchmark import cli
from benchmark.definitions.breakdowns import BREAKDOWN_SHEET
from benchmark.definitions.standard import DEFAULT_THEMES, GUIDANCE_SHEET, THEMES, Kind, columns
from benchmark.intake import templates
from benchmark.intake.returns import history, preview, store_file
from benchmark.intake.validation import validate


def filled_workbook(example_row, *, overrides: dict[str, dict] | None = None, skip: tuple[str, ...] = (),
                    authorities: tuple[str, ...] = ("202", "206")) -> bytes:
    """The template workbook with example figures on every theme sheet (`overrides` per theme)."""
    book = openpyxl.load_workbook(io.BytesIO(templates.workbook_template()))
    for theme in THEMES.values():
        if theme.id in skip:
            continue
        for la_code in authorities:
            row = example_row(theme.id, la_code, **(overrides or {}).get(theme.id, {}))
            book[theme.sheet].append([row[spec.name] or None for spec in columns(theme.id)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def submissions(db) -> int:
    return int(db.scalar("SELECT count(*) FROM submissions"))


def test_the_template_workbook_has_a_sheet_per_theme_and_guidance():
    book = openpyxl.load_workbook(io.BytesIO(templates.workbook_template()))
    assert book.sheetnames == [*(theme.sheet for theme in THEMES.values()), BREAKDOWN_SHEET, GUIDANCE_SHEET]
    for theme in THEMES.values():
        sheet = book[theme.sheet]
        assert [cell.value for cell in sheet[1]] == [spec.name for spec in columns(theme.id)]
        rules = {str(rule.sqref).split(":")[0]: rule for rule in sheet.data_validations.dataValidation}
        assert rules["A2"].type == "list" and GUIDANCE_SHEET in rules["A2"].formula1  # authorities to choose
        assert rules["B2"].type == "list"  # quarters to choose
        first_figure = columns(theme.id)[3]
        if first_figure.kind is Kind.CHOICE:  # the DSCO role's answers: the list to choose from
            assert rules["D2"].type == "list" and all(answer in rules["D2"].formula1 for answer in first_figure.choices)
        else:
            assert rules["D2"].type == "custom" and 'D2="c"' in rules["D2"].formula1  # "c" stays allowed
    guidance = [row[1] for row in book[GUIDANCE_SHEET].iter_rows(min_row=2, values_only=True)]
    assert "sb_children_total" in guidance and "ehcp_issued" in guidance
    lists = [row[9] for row in book[GUIDANCE_SHEET].iter_rows(min_row=2, values_only=True) if row[9]]
    assert "Camden" in lists and len(lists) == 153


def test_a_three_sheet_workbook_is_one_upload_stored_as_one_submission_per_theme(tmp_db, example_row, today):
    content = filled_workbook(example_row)

    report = validate("Camden Q1.xlsx", content, today=today)
    assert report.ok, report.errors
    assert report.themes == list(THEMES) and report.theme is None
    assert report.sheets == {theme.sheet: theme.id for theme in THEMES.values()}
    assert [(row.sheet, row.file_row, row.la_code) for row in report.rows if row.theme == "advice"] == [
        ("Advice", 2, "202"), ("Advice", 3, "206")]
    assert "valid return (Short breaks for disabled children, Social care advice" in report.summary

    result = store_file(tmp_db, "Camden Q1.xlsx", content, "chair@example.org", today=today)

    assert result.status == "stored" and len(result.submission_ids) == len(THEMES)  # one per theme sheet
    assert "stored as submissions" in result.message
    stored = history(tmp_db)
    assert sorted(stored["theme"]) == sorted(THEMES) and set(stored["file_name"]) == {"Camden Q1.xlsx"}
    assert set(stored["row_count"]) == {2}
    again = store_file(tmp_db, "Camden Q1.xlsx", content, "chair@example.org", today=today)
    assert again.status == "duplicate" and submissions(tmp_db) == len(THEMES)


def test_one_bad_cell_on_one_sheet_stores_nothing_and_names_the_sheet(tmp_db, example_row, today):
    content = filled_workbook(example_row, overrides={"transitions": {"pfa_turned_18": "nine"}})

    result = store_file(tmp_db, "Camden Q1.xlsx", content, "chair@example.org", today=today)

    assert result.status == "refused" and "Nothing has been stored" in result.message
    assert [(p.sheet, p.row, p.column, p.value) for p in result.report.errors] == [
        ("Transitions", 2, "pfa_turned_18", "nine"), ("Transitions", 3, "pfa_turned_18", "nine")]
    assert "'nine' is not a number" in result.report.errors[0].message
    assert submissions(tmp_db) == 0


def test_a_blank_theme_sheet_is_simply_not_returned(tmp_db, example_row, today):
    content = filled_workbook(example_row, skip=tuple(theme for theme in THEMES if theme != "advice"))
    report = validate("advice only.xlsx", content, today=today)
    assert report.ok, report.errors
    assert report.themes == ["advice"] and report.theme == "advice"
    blank = validate("blank.xlsx", templates.workbook_template(), today=today)
    assert not blank.ok and "each have a header but no rows of figures" in blank.errors[0].message


def test_a_sheet_named_for_one_theme_holding_another(example_row, today):
    book = openpyxl.Workbook()
    book.active.title = "Advice"
    row = example_row("short_breaks")
    book.active.append([spec.name for spec in columns("short_breaks")])
    book.active.append([row[spec.name] or None for spec in columns("short_breaks")])
    buffer = io.BytesIO()
    book.save(buffer)
    report = validate("wrong.xlsx", buffer.getvalue(), today=today)
    assert [(p.sheet, p.row) for p in report.errors] == [("Advice", 1)]
    assert "rename the sheet 'Short breaks'" in report.errors[0].message


def test_two_sheets_of_the_same_theme(example_row, today):
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, la_code in (("Advice", "202"), ("Advice (2)", "206")):
        sheet = book.create_sheet(name)
        row = example_row("advice", la_code)
        sheet.append([spec.name for spec in columns("advice")])
        sheet.append([row[spec.name] or None for spec in columns("advice")])
    buffer = io.BytesIO()
    book.save(buffer)
    report = validate("twice.xlsx", buffer.getvalue(), today=today)
    assert not report.ok and "one sheet per theme" in report.errors[0].message
    assert report.errors[0].sheet == "Advice (2)"


def test_the_preview_of_a_workbook_covers_every_sheet(tmp_db, example_row, today):
    report = validate("all.xlsx", filled_workbook(example_row, authorities=("202",)), today=today)
    frame = preview(tmp_db, report)
    assert sorted(frame["Sheet"]) == sorted(theme.sheet for theme in THEMES.values())
    assert set(frame["Effect"]) == {"new return"}


def test_the_command_line_validates_and_imports_a_workbook(tmp_path, example_row, capsys):
    path = tmp_path / "return.xlsx"
    # A new network collects the default themes: the other theme sheets are left blank, so not returned.
    later = tuple(theme for theme in THEMES if theme not in DEFAULT_THEMES)
    path.write_bytes(filled_workbook(example_row, overrides={"advice": {"adv_requests": "4 8"}}, skip=later))
    db = str(tmp_path / "cli.duckdb")

    assert cli.main(["validate", str(path), "--db", db]) == 1
    out = capsys.readouterr().out
    assert "return.xlsx: INVALID" in out
    assert "error: sheet 'Advice', row 2, column adv_requests: '4 8' is not a number with a space inside it" in out
    assert cli.main(["import", str(path), "--db", db]) == 1
    assert "refused: return.xlsx" in capsys.readouterr().out

    path.write_bytes(filled_workbook(example_row, skip=later))
    assert cli.main(["import", str(path), "--db", db]) == 0
    assert "stored as submissions" in capsys.readouterr().out


def test_the_template_command_writes_the_workbook(tmp_path, capsys):
    assert cli.main(["template", "--out", str(tmp_path)]) == 0
    assert str(tmp_path / templates.WORKBOOK_FILE) in capsys.readouterr().out.split()
    assert openpyxl.load_workbook(tmp_path / templates.WORKBOOK_FILE).sheetnames[-1] == GUIDANCE_SHEET


@pytest.mark.parametrize("theme_id", list(THEMES))
def test_a_per_theme_template_also_carries_the_excel_checks(theme_id):
    book = openpyxl.load_workbook(io.BytesIO(templates.xlsx_template(theme_id)))
    assert book.sheetnames == ["Return", GUIDANCE_SHEET]
    assert len(book["Return"].data_validations.dataValidation) == len(columns(theme_id))


@pytest.mark.parametrize("mac_dates", [False, True], ids=["1900-dates", "1904-dates"])
def test_dates_read_in_either_of_excels_date_systems(mac_dates, example_row, today):
    book = openpyxl.Workbook()
    if mac_dates:
        book.epoch = CALENDAR_MAC_1904
    row = {**example_row("short_breaks"), "sb_statement_reviewed": dt.datetime(2025, 3, 31)}
    book.active.append([spec.name for spec in columns("short_breaks")])
    book.active.append([row[spec.name] or None for spec in columns("short_breaks")])
    buffer = io.BytesIO()
    book.save(buffer)
    report = validate("dates.xlsx", buffer.getvalue(), today=today)
    assert report.ok, report.errors
    assert report.rows[0].values["sb_statement_reviewed"] == dt.date(2025, 3, 31)
