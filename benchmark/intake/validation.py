"""Reading and validating a quarterly return file against the data standard.

Files arrive as councils save them from Excel: a byte-order mark or Windows-1252, CRLF, odd
header capitals, blank trailing rows and columns, `1,234` and ` 49`. All of that is accepted;
anything else is reported with the spreadsheet row, the column, the value and the reason.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePath

import openpyxl

from benchmark import reference
from benchmark.intake.standard import (
    FIELD_THEME,
    NOT_AVAILABLE_MARKERS,
    NOTES_MAX_CHARS,
    THEMES,
    VALUE_FIELDS,
    Field,
    Kind,
    columns,
)
from benchmark.periods import Period, PeriodError

CellValue = float | dt.date | None
# Given (authority, quarter index) pairs, the values already stored for them, keyed by
# (authority, quarter index, field): what plausibility warnings compare with.
PreviousLookup = Callable[[set[tuple[str, int]]], dict[tuple[str, int, str], float]]

JUMP_FACTOR = 5  # a count this many times last quarter's (or a fifth of it) earns a warning
JUMP_MINIMUM = 10  # ...unless both are this small, where such swings are ordinary
SHORT_BREAK_SHARE_WARNING = 0.05  # of all children aged 0-17

_NUMBER = re.compile(r"^\+?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d %B %Y", "%d %b %Y", "%d/%m/%y")


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or worth a second look) in a file; `row` as a spreadsheet numbers it."""

    row: int | None
    column: str | None
    value: str | None
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"row": self.row, "column": self.column, "value": self.value, "message": self.message}


@dataclass
class ParsedRow:
    file_row: int
    la_code: str
    period: Period
    notes: str | None
    values: dict[str, CellValue]


@dataclass
class ValidationReport:
    file_name: str
    theme: str | None = None
    rows: list[ParsedRow] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file_name,
            "ok": self.ok,
            "theme": self.theme,
            "rows": len(self.rows),
            "errors": [problem.as_dict() for problem in self.errors],
            "warnings": [problem.as_dict() for problem in self.warnings],
        }

    @property
    def summary(self) -> str:
        """One plain sentence for the top of a report."""
        theme = f"{THEMES[self.theme].title} return" if self.theme else "return"
        rows = f"{len(self.rows)} row{'s' * (len(self.rows) != 1)}"
        if self.ok:
            extra = f", with {len(self.warnings)} warning(s) to check" if self.warnings else ""
            return f"{self.file_name}: valid {theme}, {rows}{extra}. Ready to store."
        return (
            f"{self.file_name}: {len(self.errors)} problem(s) must be fixed before anything in "
            f"this {theme} can be stored. Nothing has been stored."
        )


class FileRejected(Exception):
    """The file as a whole cannot be read as a return."""


def normalise_header(text: str) -> str:
    """`Adv Returned 6wk`, ` ADV-RETURNED-6WK ` and `adv_returned_6wk` are the same column."""
    return re.sub(r"[\s\-]+", "_", text.replace("\ufeff", "").strip().lower()).strip("_")


def _decode(content: bytes) -> str:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        return content.decode("utf-16")
    if b"\x00" in content:
        raise FileRejected("this is not a CSV or .xlsx file (it holds binary data)")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_table(file_name: str, content: bytes) -> list[list[str]]:
    """The file's cells as text, header first: a CSV, or the first sheet of an .xlsx."""
    suffix = PurePath(file_name).suffix.lower()
    if not content.strip():
        raise FileRejected("the file is empty")
    if suffix == ".xls":
        raise FileRejected("old-style .xls workbooks cannot be read: save it as .xlsx or CSV")
    if content.startswith(b"PK\x03\x04"):
        try:
            workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError):
            raise FileRejected("this is not a CSV or .xlsx file (a zip archive of something else)") from None
        sheet = workbook.worksheets[0]
        table = [[_cell_text(value) for value in row] for row in sheet.iter_rows(values_only=True)]
        workbook.close()
        return table
    if suffix == ".xlsx":
        raise FileRejected("this is not a readable .xlsx workbook: open it in Excel and save it again as .xlsx or CSV")
    if suffix not in ("", ".csv", ".txt"):
        raise FileRejected(f"'{suffix}' files are not returns: upload a .csv or .xlsx file")
    text = _decode(content)
    first_line = text.lstrip().splitlines()[0] if text.strip() else ""
    delimiter = max(",;\t", key=first_line.count)
    return [list(row) for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]


def _is_blank(cells: list[str]) -> bool:
    return all(not cell.strip() for cell in cells)


def _suggest(name: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.75)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _parse_number(text: str) -> float | None:
    cleaned = text.replace("£", "").replace(" ", "")
    if not _NUMBER.match(cleaned):
        return None
    return float(cleaned.replace(",", ""))


def _parse_date(text: str) -> dt.date | None:
    cleaned = " ".join(text.split())
    cleaned = re.sub(r"[ T]00:00(:00)?$", "", cleaned)
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(cleaned, fmt).date()
        except ValueError:
            continue
    return None


def parse_value(spec: Field, text: str, period: Period | None) -> tuple[CellValue, str | None]:
    """The stored value of one cell, or the plain-English reason it is refused."""
    cleaned = text.strip()
    if cleaned.lower() in NOT_AVAILABLE_MARKERS:
        return None, None
    if spec.kind is Kind.DATE:
        day = _parse_date(cleaned)
        if day is None:
            return None, "is not a date: write it like 2025-03-31 or 31/03/2025"
        if period is not None and day > period.end:
            return None, (
                f"is after the end of the quarter {period} ({period.end:%d %B %Y}): the statement "
                "cannot have been reviewed later than the quarter being reported"
            )
        return day, None
    negative = cleaned.startswith("-") and _parse_number(cleaned[1:]) is not None
    if negative:
        return None, "is negative: it must be 0 or more"
    number = _parse_number(cleaned)
    if number is None:
        what = {Kind.COUNT: "a whole number", Kind.MONEY: "an amount in pounds"}.get(spec.kind, "a number")
        return None, f"is not a number: {spec.name} must be {what} (leave it blank if not available)"
    if spec.kind is Kind.COUNT and not number.is_integer():
        return None, "is a fraction: a count must be a whole number"
    return number, None


class _RowChecker:
    """Checks the data rows of one file whose header is already understood."""

    def __init__(self, report: ValidationReport, positions: dict[str, int], today: dt.date | None,
                 previous: PreviousLookup | None) -> None:
        self.report = report
        self.positions = positions
        self.latest = Period.current(today)
        self.previous = previous
        self.seen: dict[tuple[str, Period], int] = {}
        self.theme = THEMES[report.theme]

    def error(self, row: int, column: str | None, value: str | None, message: str) -> None:
        self.report.errors.append(Problem(row, column, value, message))

    def check(self, file_row: int, cells: list[str]) -> None:
        def cell(name: str) -> str:
            position = self.positions.get(name)
            return cells[position].strip() if position is not None and position < len(cells) else ""

        errors_before = len(self.report.errors)
        la_text = cell("la_code")
        la_code = reference.resolve_authority(la_text) if la_text else None
        if not la_text:
            self.error(file_row, "la_code", la_text, "the authority is missing")
        elif la_code is None:
            names = [authority.name for authority in reference.authorities().values()]
            self.error(file_row, "la_code", la_text,
                       "is not an English authority: use the DfE 3-digit code (e.g. 202), the ONS "
                       f"code (e.g. E09000007) or the exact name{_suggest(la_text, names)}")
        period = self._period(file_row, cell("period"))
        notes = cell("notes") or None
        if notes and len(notes) > NOTES_MAX_CHARS:
            self.error(file_row, "notes", notes[:40] + "...",
                       f"is {len(notes):,} characters long: notes may be at most {NOTES_MAX_CHARS:,}")
        values: dict[str, CellValue] = {}
        texts: dict[str, str] = {}
        for spec in self.theme.fields:
            if spec.name not in self.positions:
                continue
            texts[spec.name] = cell(spec.name)
            value, problem = parse_value(spec, texts[spec.name], period)
            if problem:
                self.error(file_row, spec.name, texts[spec.name], problem)
            values[spec.name] = value
        for bound in self.theme.bounds:
            limit = bound.limit(values)
            value = values.get(bound.column)
            # A negative limit comes from another broken bound on this row, already reported.
            if limit is not None and limit >= 0 and value is not None and value > limit:
                self.error(file_row, bound.column, texts[bound.column],
                           f"is larger than {limit:,.0f}: {bound.reason}")
        if la_code and period:
            key = (la_code, period)
            if key in self.seen:
                self.error(file_row, "period", cell("period"),
                           f"{reference.authority_name(la_code)} {period} appears twice in this "
                           f"file (rows {self.seen[key]} and {file_row}): keep one row")
            else:
                self.seen[key] = file_row
        if la_code and period and len(self.report.errors) == errors_before:
            self.report.rows.append(ParsedRow(file_row, la_code, period, notes, values))

    def _period(self, file_row: int, text: str) -> Period | None:
        if not text:
            self.error(file_row, "period", text, "the quarter is missing: write it like 2025-26 Q1")
            return None
        try:
            period = Period.parse(text)
        except PeriodError as error:
            self.error(file_row, "period", text, str(error))
            return None
        if period > self.latest:
            self.error(file_row, "period", text,
                       f"{period} is in the future: the current quarter is {self.latest}")
            return None
        return period

    def warn_implausible(self) -> None:
        in_file = {(row.la_code, row.period.index): row for row in self.report.rows}
        wanted = {(row.la_code, row.period.index - 1) for row in self.report.rows} - set(in_file)
        stored = self.previous(wanted) if self.previous is not None and wanted else {}
        for row in self.report.rows:
            earlier = in_file.get((row.la_code, row.period.index - 1))
            for name, value in row.values.items():
                if not isinstance(value, float) or VALUE_FIELDS[name].kind not in (Kind.COUNT, Kind.MONEY):
                    continue
                if earlier is not None:
                    before = earlier.values.get(name)
                else:
                    before = stored.get((row.la_code, row.period.index - 1, name))
                self._warn_jump(row, name, value, before)
            self._warn_share(row)

    def _warn_jump(self, row: ParsedRow, name: str, value: float, before: object) -> None:
        if not isinstance(before, float) or max(value, before) < JUMP_MINIMUM:
            return
        if value >= JUMP_FACTOR * before or before >= JUMP_FACTOR * value:
            if before == 0:
                change = f"was 0 last quarter ({row.period.shift(-1)})"
            else:
                direction = "5 times or more" if value > before else "a fifth or less of"
                change = f"is {direction} last quarter's {before:,.0f} ({row.period.shift(-1)})"
            self.report.warnings.append(Problem(row.file_row, name, f"{value:,.0f}",
                                                f"{change}: please check it is right"))

    def _warn_share(self, row: ParsedRow) -> None:
        total = row.values.get("sb_children_total")
        population = reference.population_for(row.la_code, row.period.end.year)
        if isinstance(total, float) and population and total > SHORT_BREAK_SHARE_WARNING * population:
            self.report.warnings.append(Problem(
                row.file_row, "sb_children_total", f"{total:,.0f}",
                f"is more than {SHORT_BREAK_SHARE_WARNING:.0%} of all {population:,} children aged "
                f"0-17 in {reference.authority_name(row.la_code)}: please check it is right",
            ))


def _understand_header(report: ValidationReport, table: list[list[str]], header_row: int) -> dict[str, int] | None:
    """Recognise the theme from the header; the position of each known column."""
    data = table[1:]
    width = max(len(row) for row in table)
    header = [normalise_header(cell) for cell in table[0]] + [""] * (width - len(table[0]))
    positions: dict[str, int] = {}
    named: list[tuple[int, str]] = []
    for position, name in enumerate(header):
        if name:
            named.append((position, name))
        elif any(position < len(row) and row[position].strip() for row in data):
            report.errors.append(Problem(header_row, f"column {position + 1}", "",
                                         "this column holds values but has no heading"))
    theme_votes = {theme_id: sum(FIELD_THEME.get(name) == theme_id for _, name in named) for theme_id in THEMES}
    best = max(theme_votes, key=theme_votes.get)
    if theme_votes[best] == 0:
        report.errors.append(Problem(header_row, None, None,
                                     "the header has none of the columns of a return theme: start "
                                     "from a template (python -m benchmark template)"))
        return None
    report.theme = best
    expected = [spec.name for spec in columns(best)]
    for position, name in named:
        if name in positions:
            report.errors.append(Problem(header_row, name, table[0][position].strip(),
                                         f"the column {name} appears twice in the header"))
        elif name in expected:
            positions[name] = position
        elif name in FIELD_THEME:
            report.errors.append(Problem(header_row, name, table[0][position].strip(),
                                         f"unknown column for a {best} return: {name} belongs to the "
                                         f"{FIELD_THEME[name]} theme, which goes in its own file"))
        else:
            report.errors.append(Problem(header_row, name, table[0][position].strip(),
                                         f"unknown column '{name}'{_suggest(name, expected)}"))
    for spec in columns(best):
        if spec.required and spec.name not in positions:
            report.errors.append(Problem(header_row, spec.name, None,
                                         f"required column {spec.name} is missing ({spec.label})"))
    return positions


def validate(file_name: str, content: bytes, *, today: dt.date | None = None,
             previous: PreviousLookup | None = None) -> ValidationReport:
    """Check a whole file; the report holds the parsed rows only when there is no error at all."""
    report = ValidationReport(file_name)
    try:
        table = read_table(file_name, content)
    except FileRejected as rejection:
        report.errors.append(Problem(None, None, None, str(rejection)))
        return report
    header_row = 1
    while table and _is_blank(table[0]):
        table.pop(0)
        header_row += 1
    if not table:
        report.errors.append(Problem(None, None, None, "the file is empty"))
        return report
    positions = _understand_header(report, table, header_row)
    if positions is None:
        return report
    checker = _RowChecker(report, positions, today, previous)
    numbered = enumerate(table[1:], start=header_row + 1)
    data_rows = [(number, cells) for number, cells in numbered if not _is_blank(cells)]
    if not data_rows:
        report.errors.append(Problem(None, None, None, "the file has a header but no rows of figures"))
    for file_row, cells in data_rows:
        checker.check(file_row, cells)
    if report.errors:
        report.rows.clear()
    else:
        checker.warn_implausible()
    return report

