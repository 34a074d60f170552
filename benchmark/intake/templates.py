"""Everything generated from the data standard for people: blank templates and the documentation."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from benchmark import reference
from benchmark.definitions.breakdowns import (
    BREAKDOWN_COLUMNS,
    BREAKDOWN_COUNTS,
    BREAKDOWN_PARTS,
    BREAKDOWN_SHEET,
    BREAKDOWNS,
    ETHNICITY,
    MAJOR_ETHNIC_GROUPS,
    Breakdown,
)
from benchmark.definitions.metrics import CATALOGUE
from benchmark.definitions.standard import (
    GUIDANCE_SHEET,
    INPUT_LIMITS,
    MAX_NIGHTS_PER_QUARTER,
    NOTES_MAX_CHARS,
    STANDARD_VERSION,
    THEMES,
    VALUE_FIELDS,
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

    Excel checks only what it can (a list, a range, a date); "c", "x" and ":" stay allowed. Every kind of
    column has its rule: a theme added later (the DSCO role's answers and decimals) is checked as the rest."""
    rule = spec.plausible
    blank_or_marker = f"ISBLANK({cell}),{_NOT_AVAILABLE.format(cell=cell)}"
    if spec.name in lists:
        return DataValidation(type="list", formula1=lists[spec.name], allow_blank=False,
                              error=f"{spec.label}: choose from the list ({spec.kind.describe}).")
    if spec.kind is Kind.CHOICE:  # the answers offered as a list; a marker may still be typed, with a warning
        return DataValidation(type="list", formula1='"' + ",".join(spec.choices) + '"', allow_blank=True,
                              errorStyle="warning",
                              error=f"{spec.label}: choose {', '.join(spec.choices[:-1])} or {spec.choices[-1]}, "
                                    "or write c, x or : when not available.")
    if spec.kind is Kind.TEXT:
        return DataValidation(type="textLength", operator="lessThanOrEqual", formula1=str(NOTES_MAX_CHARS),
                              error=f"Notes may be at most {NOTES_MAX_CHARS:,} characters.")
    if spec.kind in (Kind.COUNT, Kind.MONEY, Kind.DAYS, Kind.DECIMAL):
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


def _guidance_sheet(workbook: openpyxl.Workbook, theme_ids: list[str], breakdowns: bool = False) -> dict[str, str]:
    """The Guidance sheet (never read as data), with the lists the theme sheets (and the Breakdowns sheet)
    choose from; returns the list formula of each column that has one."""
    guide = workbook.create_sheet(GUIDANCE_SHEET)
    guide.append(["sheet", "column", "label", "what to enter", "type", "required", "plausible range", "legal basis"])
    for theme_id in theme_ids:
        for spec in columns(theme_id):
            rule = spec.plausible
            guide.append([THEMES[theme_id].sheet, spec.name, spec.label, spec.description, spec.kind.describe,
                          "yes" if spec.required else "no", rule.describe if rule else "", spec.legal_basis])
    if breakdowns:
        for name, what in BREAKDOWN_GUIDANCE.items():
            guide.append([BREAKDOWN_SHEET, name, "", what, "", "yes", "", ""])
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
    if breakdowns:
        lists |= _breakdown_lists(workbook, guide)
    return lists


def _breakdown_lists(workbook: openpyxl.Workbook, guide: Worksheet) -> dict[str, str]:
    """The counts, the breakdowns and each breakdown's groups, to the right of the other lists; each breakdown's
    groups get a name (its id), so the group cell offers the groups of the breakdown chosen in its row."""
    columns_used = {"count_of": ("L", list(BREAKDOWN_COUNTS)), "by": ("M", list(BREAKDOWNS))}
    columns_used |= {breakdown.id: (letter, list(group_names(breakdown)))
                     for letter, breakdown in zip("NOPQ", BREAKDOWNS.values(), strict=True)}
    lists = {}
    for name, (letter, values) in columns_used.items():
        guide[f"{letter}1"] = name
        guide[f"{letter}1"].font = Font(bold=True)
        for row, value in enumerate(values, start=2):
            guide[f"{letter}{row}"] = value
        guide.column_dimensions[letter].width = 24
        reference_range = f"'{GUIDANCE_SHEET}'!${letter}$2:${letter}${len(values) + 1}"
        if name in BREAKDOWNS:
            workbook.defined_names[name] = DefinedName(name, attr_text=reference_range)
        else:
            lists[name] = reference_range
    return lists


def group_names(breakdown: Breakdown) -> tuple[str, ...]:
    """A breakdown's groups as a template lists them: DfE's names, and for ethnicity the five major groups."""
    return (*breakdown.names(), *MAJOR_ETHNIC_GROUPS) if breakdown is ETHNICITY else breakdown.names()


# What each column of a breakdown holds: the Guidance sheet, the column notes and the data standard say the same.
BREAKDOWN_GUIDANCE = {
    "la_code": "The authority: DfE 3-digit code, ONS code or exact name, as in the theme returns.",
    "period": "The quarter, as in the theme returns (2025-26 Q1).",
    "count_of": "The count broken down: one of " + ", ".join(BREAKDOWN_COUNTS) + ".",
    "by": "The breakdown: " + ", ".join(BREAKDOWNS) + ".",
    "group": "The group, as DfE writes it (or its school census or SEN2 code, e.g. WBRI, ASD); for ethnicity, "
             "either DfE's categories or only the five major groups (" + ", ".join(MAJOR_ETHNIC_GROUPS) + ").",
    "count": "How many of the count are in the group: a whole number, 0 or more, never suppressed. The groups of "
             "one count and breakdown add up to the count's total for the authority and quarter.",
}


def _breakdown_sheet(sheet: Worksheet, lists: dict[str, str]) -> None:
    """The Breakdowns header with a note on each heading and Excel's checks below: lists for the authority,
    quarter, count and breakdown, the chosen breakdown's groups for the group (codes still allowed, with a
    warning), whole numbers for the count. The group column is text, so Excel never turns 5-10 into a date."""
    for position, name in enumerate(BREAKDOWN_COLUMNS, start=1):
        cell = sheet.cell(row=1, column=position, value=name)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = HEADER_FILL
        cell.comment = Comment(BREAKDOWN_GUIDANCE[name], "Data standard", width=320, height=120)
        sheet.column_dimensions[cell.column_letter].width = 40 if name == "group" else 20
    rules = {
        "A": DataValidation(type="list", formula1=lists["la_code"], error="Choose the authority from the list."),
        "B": DataValidation(type="list", formula1=lists["period"], error="Choose the quarter from the list."),
        "C": DataValidation(type="list", formula1=lists["count_of"], error="Choose the count from the list."),
        "D": DataValidation(type="list", formula1=lists["by"], error="Choose the breakdown from the list."),
        "E": DataValidation(type="list", formula1="INDIRECT($D2)", errorStyle="warning",
                            error="Not one of the groups of this breakdown (a school census or SEN2 code is "
                                  "accepted too)."),
        "F": DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0",
                            error="A whole number, 0 or more: breakdowns are never suppressed."),
    }
    for letter, rule in rules.items():
        rule.showErrorMessage = True
        sheet.add_data_validation(rule)
        rule.add(f"{letter}2:{letter}{BREAKDOWN_TEMPLATE_ROWS + 1}")
    for row in range(2, BREAKDOWN_TEMPLATE_ROWS + 2):
        sheet[f"E{row}"].number_format = "@"
    sheet.freeze_panes = "A2"


BREAKDOWN_TEMPLATE_ROWS = 2_000


def breakdown_csv_template() -> bytes:
    """A blank breakdown CSV: the header row only, UTF-8 with a byte-order mark."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(BREAKDOWN_COLUMNS)
    return buffer.getvalue().encode("utf-8-sig")


def breakdown_xlsx_template() -> bytes:
    """A blank breakdown workbook: the Breakdowns sheet with its lists, and the Guidance sheet."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = BREAKDOWN_SHEET
    _breakdown_sheet(sheet, _guidance_sheet(workbook, [], breakdowns=True))
    return _save(workbook)


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
    breakdown_sheet = workbook.create_sheet(BREAKDOWN_SHEET)
    lists = _guidance_sheet(workbook, list(THEMES), breakdowns=True)
    for sheet, theme in zip(sheets, THEMES.values(), strict=True):
        sheet.title = theme.sheet
        _return_sheet(sheet, theme.id, lists)
    _breakdown_sheet(breakdown_sheet, lists)
    return _save(workbook)


WORKBOOK_FILE = f"dsco_return_v{STANDARD_VERSION}.xlsx"
BREAKDOWN_FILE_STEM = f"dsco_return_breakdowns_v{STANDARD_VERSION}"


def write_templates(directory: Path) -> list[Path]:
    """Write the CSV and .xlsx template of every theme, and the one-workbook return, into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for theme_id in THEMES:
        for suffix, maker in ((".csv", csv_template), (".xlsx", xlsx_template)):
            path = directory / f"dsco_return_{theme_id}_v{STANDARD_VERSION}{suffix}"
            path.write_bytes(maker(theme_id))
            written.append(path)
    for suffix, maker in ((".csv", breakdown_csv_template), (".xlsx", breakdown_xlsx_template)):
        path = directory / f"{BREAKDOWN_FILE_STEM}{suffix}"
        path.write_bytes(maker())
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
    lines += [breakdowns_markdown(), ""]
    for breakdown in BREAKDOWNS.values():
        lines += [breakdown_groups_heading(breakdown), "", "| group | codes also accepted |", "| --- | --- |"]
        lines += [f"| {_cell(name)} | {', '.join(codes)} |" for name, codes in breakdown_groups(breakdown)]
        lines.append("")
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


def breakdowns_markdown() -> str:
    """Version 2's breakdowns: what they are, their columns and the rules they are checked by."""
    counts = ", ".join(f"`{name}` ({VALUE_FIELDS[name].label.removeprefix('of whom: ').removeprefix('of which: ')})"
                       for name in BREAKDOWN_COUNTS)
    return "\n".join([
        "## Breakdowns (version 2, optional)",
        "",
        "An authority may also say how some of its counts break down by ethnicity, sex, age band and primary need, "
        "for any quarter it chooses: a CSV or .xlsx with the header "
        + ", ".join(f"`{name}`" for name in BREAKDOWN_COLUMNS)
        + f", or the `{BREAKDOWN_SHEET}` sheet of the one-workbook return (`python -m benchmark template` writes "
        f"`{BREAKDOWN_FILE_STEM}.csv` and `.xlsx`). One row per group, in long form. Version 1 files, without "
        "breakdowns, stay valid.",
        "",
        "| column | what to enter |",
        "| --- | --- |",
        *(f"| `{name}` | {_cell(what)} |" for name, what in BREAKDOWN_GUIDANCE.items()),
        "",
        f"The counts that may be broken down: {counts}.",
        "",
        "Rules:",
        "",
        "- Counts are whole numbers, 0 or more, and are sent unsuppressed (`c`, `x`, `:` and blank are errors): the "
        "network hides small numbers in what it shows, never in what it stores.",
        "- No group is larger than the total it breaks down, and the groups of one count and one breakdown add up "
        "to that count's total for the authority and quarter, exactly: the total in the same workbook when its "
        "theme sheet is there, else the stored current return (send the theme return first). An error names the "
        "total, the sum and the difference. Give those not recorded as `Unclassified` (ethnicity) or `Unknown` "
        "(sex).",
        "- Within a group, a part is no larger than its whole ("
        + ", ".join(f"`{part}` within `{whole}`" for part, whole in BREAKDOWN_PARTS.items()) + ").",
        "- Ethnicity is given either in DfE's categories or only in the five major groups ("
        + ", ".join(MAJOR_ETHNIC_GROUPS) + ", with `Unclassified`), never both for one count; the major groups are "
        "derived as DfE does: the text before \" - \", and `Any other ethnic group` is Other.",
        "- A near-miss of a count, a breakdown, a group or a code gets a \"did you mean\".",
        "- Breakdowns are stored apart from the theme return, one submission for each theme whose counts they "
        "break down: a later breakdown file for the same authority, quarter and theme replaces the earlier one "
        "whole (send all of that theme's breakdowns together); withdrawal and sign-off apply as to theme returns.",
        "- One error anywhere stores nothing from the file or workbook.",
    ])


def breakdown_groups_heading(breakdown: Breakdown) -> str:
    return f"### Groups of `{breakdown.id}` ({breakdown.title.lower()})"


def breakdown_groups(breakdown: Breakdown) -> list[tuple[str, tuple[str, ...]]]:
    """Each group a breakdown accepts with its codes; for ethnicity the five major groups follow DfE's categories."""
    groups = [(group.name, group.codes) for group in breakdown.groups]
    if breakdown is ETHNICITY:
        groups += [(f"{major} (major group)", ()) for major in MAJOR_ETHNIC_GROUPS]
    return groups


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
