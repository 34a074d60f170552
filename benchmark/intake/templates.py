"""Everything generated from the data standard for people: blank templates and the documentation."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill

from benchmark.analysis.metrics import CATALOGUE
from benchmark.intake.standard import (
    MAX_NIGHTS_PER_QUARTER,
    NOTES_MAX_CHARS,
    STANDARD_VERSION,
    THEMES,
    Field,
    columns,
)

HEADER_FILL = PatternFill("solid", fgColor="12436D")


def field_note(spec: Field) -> str:
    """The note a template shows on a column heading."""
    note = f"{spec.label}. {spec.description} Type: {spec.kind.describe}."
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


def xlsx_template(theme_id: str) -> bytes:
    """A blank workbook: the header row with a note on every column, and a sheet of guidance."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Return"
    for position, spec in enumerate(columns(theme_id), start=1):
        cell = sheet.cell(row=1, column=position, value=spec.name)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = HEADER_FILL
        cell.comment = Comment(field_note(spec), "Data standard", width=320, height=160)
        sheet.column_dimensions[cell.column_letter].width = max(14, len(spec.name) + 4)
    sheet.freeze_panes = "A2"
    guide = workbook.create_sheet("Guidance")
    guide.append(["column", "label", "what to enter", "type", "required", "legal basis"])
    for spec in columns(theme_id):
        guide.append([spec.name, spec.label, spec.description, spec.kind.describe,
                      "yes" if spec.required else "no", spec.legal_basis])
    for cell in guide[1]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCDEF", (28, 34, 70, 34, 10, 48), strict=True):
        guide.column_dimensions[letter].width = width
        for cell in guide[letter][1:]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def write_templates(directory: Path) -> list[Path]:
    """Write the CSV and .xlsx template of every theme into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for theme_id in THEMES:
        for suffix, maker in ((".csv", csv_template), (".xlsx", xlsx_template)):
            path = directory / f"dsco_return_{theme_id}_v{STANDARD_VERSION}{suffix}"
            path.write_bytes(maker(theme_id))
            written.append(path)
    return written


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def standard_markdown() -> str:
    """docs/data-standard.md, generated: edit benchmark/intake/standard.py, then `python -m benchmark docs`."""
    lines = [
        f"# The DSCO network quarterly return: data standard version {STANDARD_VERSION}",
        "",
        "Generated from `benchmark/intake/standard.py` by `python -m benchmark docs`; do not edit by hand.",
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
                  "| column | label | what to enter | type | required | legal basis |",
                  "| --- | --- | --- | --- | --- | --- |"]
        for spec in columns(theme.id):
            lines.append(
                f"| `{spec.name}` | {_cell(spec.label)} | {_cell(spec.description)} | "
                f"{spec.kind.describe} | {'yes' if spec.required else 'no'} | {_cell(spec.legal_basis)} |"
            )
        lines += [theme_rules_markdown(theme.id), ""]
    lines += [NIGHTS_NOTE, "", "## Metric catalogue", ""]
    return "\n".join(lines)


NIGHTS_NOTE = (f"The nights rule allows at most {MAX_NIGHTS_PER_QUARTER} nights per child with an overnight break "
               "in a quarter (the longest quarter has 92 nights).")


def standard_intro_markdown() -> str:
    """What a return is and how its cells are read."""
    return "\n".join([
        "One return per authority per financial-year quarter (Q1 = April-June), in up to three theme "
        "files, one per team that owns the data. Each file is a CSV (or the first sheet of an .xlsx) "
        "with one row per authority per quarter; a file may hold several authorities or quarters. "
        "The theme is recognised from the header.",
        "",
        "## How cells are read",
        "",
        "- Header names may use any capitals, spaces or hyphens for underscores (`Adv Returned 6wk`).",
        "- Numbers may carry thousands separators or spaces (`1,234`, ` 49`); money may carry `£`.",
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
    return f"## Theme `{theme.id}`: {theme.title}\n\n{theme.description} Usually sent by: {theme.owner}.\n"


def theme_rules_markdown(theme_id: str) -> str:
    """The rules between a theme's columns ('' where it has none)."""
    bounds = THEMES[theme_id].bounds
    if not bounds:
        return ""
    return "\n".join(["", "Rules between columns:", "", *(f"- `{bound.column}`: {bound.reason}." for bound in bounds)])
