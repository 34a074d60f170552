"""Everything generated from the data standard for people: blank templates and the documentation."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from benchmark import reference
from benchmark.definitions.metrics import CATALOGUE
from benchmark.definitions.standard import (
    GUIDANCE_SHEET,
    INPUT_LIMITS,
    MAX_NIGHTS_PER_QUARTER,
    NOTES_MAX_CHARS,
    STANDARD_VERSION,
    THEMES,
    Field,
    Kind,
    columns,
)
from benchmark.periods import EARLIEST_START_YEAR, Period, period_range

HEADER_FILL = PatternFill("solid", fgColor="12436D")


def field_note(spec: Field) -> str:
    """The note a template shows on a column heading."""
    note = f"{spec.label}. {spec.description} Type: {spec.kind.describe}."
    if spec.plausible is not None:
        note += f" Accepted: {spec.plausible.describe}."
    if spec.legal_basis:
        note += f" Basis: {spec.legal_basis}."
    if not spec.required:
        note += " Optional."
    return note


def csv_template(theme_id: str) -> bytes:
    """A blank CSV: the header row only, UTF-8 with a byte-order mark so Excel opens it cleanly."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([spec.name for spec in columns(theme_id)])
    return buffer.getvalue().encode("utf-8-sig")


TEMPLATE_ROWS = 2_000  # rows of each theme sheet that carry the data validation rules
_NOT_AVAILABLE = 'OR({cell}="c",{cell}="x",{cell}=":")'


def _cell_rule(spec: Field, cell: str, lists: dict[str, str]) -> DataValidation | None:
    """The Excel data validation for a column, from the same standard the validator reads.

    Excel checks only what it can (a list, a range, a date); "c", "x" and ":" stay allowed."""
    rule = spec.plausible
    blank_or_marker = f"ISBLANK({cell}),{_NOT_AVAILABLE.format(cell=cell)}"
    if spec.name in lists:
        return DataValidation(type="list", formula1=lists[spec.name], allow_blank=False,
                              error=f"{spec.label}: choose from the list ({spec.kind.describe}).")
    if spec.kind is Kind.TEXT:
        return DataValidation(type="textLength", operator="lessThanOrEqual", formula1=str(NOTES_MAX_CHARS),
                              error=f"Notes may be at most {NOTES_MAX_CHARS:,} characters.")
    if spec.kind in (Kind.COUNT, Kind.MONEY, Kind.DAYS):
        whole = f",{cell}=INT({cell})" if spec.kind is Kind.COUNT else ""
        most = f",{cell}<={rule.most:g}" if rule and rule.most is not None else ""
        formula = f"OR({blank_or_marker},AND(ISNUMBER({cell}),{cell}>=0{whole}{most}))"
    elif spec.kind is Kind.DATE:
        earliest = rule.earliest if rule else None
        after = f",{cell}>=DATE({earliest.year},{earliest.month},{earliest.day})" if earliest else ""
        formula = f"OR({blank_or_marker},AND(ISNUMBER({cell}){after}))"
    else:
        return None
    return DataValidation(type="custom", formula1=formula, allow_blank=True,
                          error=f"{spec.label}: {spec.kind.describe}"
                                f"{'; ' + rule.describe if rule and rule.describe else ''}. "
                                "Leave it blank, or write c, x or : when not available.")


def _return_sheet(sheet: Worksheet, theme_id: str, lists: dict[str, str]) -> None:
    """A theme's header row, with a note on every heading and Excel's checks on the cells below."""
    for position, spec in enumerate(columns(theme_id), start=1):
        cell = sheet.cell(row=1, column=position, value=spec.name)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = HEADER_FILL
        cell.comment = Comment(field_note(spec), "Data standard", width=320, height=160)
        sheet.column_dimensions[cell.column_letter].width = max(14, len(spec.name) + 4)
        letter = cell.column_letter
        rule = _cell_rule(spec, f"{letter}2", lists)
        if rule is not None:
            rule.errorTitle = spec.name
            rule.showErrorMessage = True
            sheet.add_data_validation(rule)
            rule.add(f"{letter}2:{letter}{TEMPLATE_ROWS + 1}")
    sheet.freeze_panes = "A2"


def _guidance_sheet(workbook: openpyxl.Workbook, theme_ids: list[str]) -> dict[str, str]:
    """The Guidance sheet (never read as data), with the lists the theme sheets choose from;
    returns the list formula of each column that has one."""
    guide = workbook.create_sheet(GUIDANCE_SHEET)
    guide.append(["sheet", "column", "label", "what to enter", "type", "required", "plausible range", "legal basis"])
    for theme_id in theme_ids:
        for spec in columns(theme_id):
            rule = spec.plausible
            guide.append([THEMES[theme_id].sheet, spec.name, spec.label, spec.description, spec.kind.describe,
                          "yes" if spec.required else "no", rule.describe if rule else "", spec.legal_basis])
    for cell in guide[1]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCDEFGH", (14, 28, 34, 70, 34, 10, 30, 48), strict=True):
        guide.column_dimensions[letter].width = width
        for cell in guide[letter][1:]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    # The lists sit to the right of the guidance: Excel's list rule needs a range for long lists.
    authorities = [authority.name for authority in reference.authorities().values()]
    quarters = [period.label for period in reversed(period_range(Period(EARLIEST_START_YEAR, 1), Period.current()))]
    lists = {}
    for letter, name, heading, values in (("J", "la_code", "authorities", authorities),
                                          ("K", "period", "quarters", quarters)):
        guide[f"{letter}1"] = heading
        guide[f"{letter}1"].font = Font(bold=True)
        for row, value in enumerate(values, start=2):
            guide[f"{letter}{row}"] = value
        guide.column_dimensions[letter].width = 30 if name == "la_code" else 12
        lists[name] = f"'{GUIDANCE_SHEET}'!${letter}$2:${letter}${len(values) + 1}"
    return lists


def _save(workbook: openpyxl.Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_template(theme_id: str) -> bytes:
    """A blank workbook for one theme: the header row with a note on every column, and a sheet of guidance."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Return"
    lists = _guidance_sheet(workbook, [theme_id])
    _return_sheet(sheet, theme_id, lists)
    return _save(workbook)


def workbook_template() -> bytes:
    """The one-workbook return: a sheet per theme (named as the validator expects) and a Guidance
    sheet. Sheets left blank are simply not returned."""
    workbook = openpyxl.Workbook()
    first = workbook.active
    sheets = [first, *(workbook.create_sheet() for _ in list(THEMES)[1:])]
    lists = _guidance_sheet(workbook, list(THEMES))
    for sheet, theme in zip(sheets, THEMES.values(), strict=True):
        sheet.title = theme.sheet
        _return_sheet(sheet, theme.id, lists)
    return _save(workbook)


WORKBOOK_FILE = f"dsco_return_v{STANDARD_VERSION}.xlsx"


def write_templates(directory: Path) -> list[Path]:
    """Write the CSV and .xlsx template of every theme, and the one-workbook return, into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for theme_id in THEMES:
        for suffix, maker in ((".csv", csv_template), (".xlsx", xlsx_template)):
            path = directory / f"dsco_return_{theme_id}_v{STANDARD_VERSION}{suffix}"
            path.write_bytes(maker(theme_id))
            written.append(path)
    path = directory / WORKBOOK_FILE
    path.write_bytes(workbook_template())
    written.append(path)
    return written


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def standard_markdown() -> str:
    """docs/data-standard.md, generated: edit benchmark/definitions/standard.py, then `python -m benchmark docs`."""
    lines = [
        f"# The DSCO network quarterly return: data standard version {STANDARD_VERSION}",
        "",
        "Generated from `benchmark/definitions/standard.py` by `python -m benchmark docs`; do not edit by hand.",
        "",
        standard_fields_markdown(),
        CATALOGUE_INTRO,
        "",
        "| id | metric | theme | calculation | unit | polarity | definition | legal basis |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    lines += [
        f"| `{metric.id}` | {_cell(metric.name)} | {metric.theme} | {_cell(metric.formula)} | {metric.unit} | "
        f"{metric.polarity.label} | {_cell(metric.definition)} | {_cell(metric.legal_basis)} |"
        for metric in CATALOGUE
    ]
    lines.append("")
    return "\n".join(lines)


CATALOGUE_INTRO = (
    "What the network compares, worked out from the fields above. Ids are stable: the command line, page "
    "addresses and exports use them. Rates per 10,000 use the ONS mid-year estimate of children aged 0-17 for "
    "the latest year not after the quarter."
)


def standard_fields_markdown() -> str:
    """The data standard's fields and reading rules, up to the metric catalogue's heading: the document
    and the Data standard page share its parts (the page lays the tables out as wrapped tables)."""
    lines = [standard_intro_markdown()]
    for theme in THEMES.values():
        lines += [theme_heading_markdown(theme.id),
                  "| column | label | what to enter | type | required | plausible range | legal basis |",
                  "| --- | --- | --- | --- | --- | --- | --- |"]
        for spec in columns(theme.id):
            rule = spec.plausible
            lines.append(
                f"| `{spec.name}` | {_cell(spec.label)} | {_cell(spec.description)} | "
                f"{spec.kind.describe} | {'yes' if spec.required else 'no'} | "
                f"{_cell(rule.describe) if rule else ''} | {_cell(spec.legal_basis)} |"
            )
        lines += [theme_rules_markdown(theme.id), ""]
    lines += [NIGHTS_NOTE, "", limits_markdown(), "", "## Metric catalogue", ""]
    return "\n".join(lines)


def limits_markdown() -> str:
    """Why each plausible range is what it is, and the limits on a file."""
    return "\n".join([
        "## Plausible ranges",
        "",
        "Why each range is what it is (a value outside it is an error, and nothing from the file is stored):",
        "",
        *sorted({f"- {rule.describe}: {rule.reason}." for theme in THEMES.values() for spec in theme.fields
                 if (rule := spec.plausible) is not None}),
        "",
        "## Limits on a file",
        "",
        "A file beyond any of these is refused at once with a one-line reason, before its figures are read.",
        "",
        "| limit | at most | why |",
        "| --- | --- | --- |",
        *[f"| {limit.name} | {limit.describe} | {_cell(limit.reason)} |" for limit in INPUT_LIMITS],
    ])


NIGHTS_NOTE = (f"The nights rule allows at most {MAX_NIGHTS_PER_QUARTER} nights per child with an overnight break "
               "in a quarter (the longest quarter has 92 nights).")


def standard_intro_markdown() -> str:
    """What a return is and how its cells are read."""
    return "\n".join([
        "One return per authority per financial-year quarter (Q1 = April-June), in up to three theme "
        "files, one per team that owns the data. Each file is a CSV or an .xlsx "
        "with one row per authority per quarter; a file may hold several authorities or quarters. "
        "The theme is recognised from the header.",
        "",
        "A return may also be one workbook (`python -m benchmark template` writes "
        f"`{WORKBOOK_FILE}`) with one sheet per theme, named "
        + ", ".join(f"`{theme.sheet}`" for theme in THEMES.values())
        + f", and a `{GUIDANCE_SHEET}` sheet that is never read. Each sheet is checked on its own and every "
        "problem names its sheet; a sheet left blank is not returned; one error anywhere stores nothing from the "
        "workbook. Only visible sheets are read; in a workbook of one theme, the data sheet is the first with a "
        "header of the standard in its top rows, so an instructions sheet or a title row above the header is "
        "skipped.",
        "",
        "## How cells are read",
        "",
        "- Header names may use any capitals, spaces or hyphens for underscores (`Adv Returned 6wk`).",
        "- Numbers may carry thousands separators and spaces around them (`1,234`, ` 49`), never inside "
        "(`7 2` is an error); money may carry `£`, a count may not (`£72` is an error).",
        "- A CSV must be wholly one encoding: UTF-8 (with or without a byte-order mark), UTF-16 or UTF-32 "
        "with a byte-order mark, or Windows-1252. A file mixing two is refused.",
        "- In a workbook, a formula saved without its value is an error: let Excel calculate and save again.",
        "- Quarters run from 2015-16 Q1 to the current quarter.",
        "- Every figure must fall in its plausible range (the table below): counts of children or cases "
        "no larger than the authority's children aged 0-17 (ONS mid-year estimate), money and days within "
        "stated bounds, dates not before 2000.",
        "- A blank cell, `c`, `x` or `:` means *not available*: stored as missing, never as 0.",
        "- Counts are whole numbers, 0 or more. A part can never exceed its whole.",
        f"- Notes are optional free text of at most {NOTES_MAX_CHARS:,} characters.",
        "- A period after the current quarter, an unknown authority, or the same authority and "
        "quarter twice in one file is an error. A file with any error stores nothing.",
        "- Counts more than 5 times (or less than a fifth of) the previous quarter are stored with "
        "a warning to check them.",
        "",
    ])


def theme_heading_markdown(theme_id: str) -> str:
    """A theme's heading and who sends it."""
    theme = THEMES[theme_id]
    return (f"## Theme `{theme.id}`: {theme.title}\n\n{theme.description} Usually sent by: {theme.owner}.\n\n"
            f"In the one-workbook return: sheet `{theme.sheet}`.\n")


def theme_rules_markdown(theme_id: str) -> str:
    """The rules between a theme's columns ('' where it has none)."""
    bounds = THEMES[theme_id].bounds
    if not bounds:
        return ""
    return "\n".join(["", "Rules between columns:", "", *(f"- `{bound.column}`: {bound.reason}." for bound in bounds)])
