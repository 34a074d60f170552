"""Validating a quarterly return file against the data standard.

Files arrive as councils save them from Excel: a byte-order mark or Windows-1252, CRLF, odd
header capitals, blank trailing rows and columns, `1,234` and ` 49`, a title row above the header,
an instructions sheet before the data, or one workbook with a sheet per theme. All of that is
accepted; anything else is reported in whole sentences naming the sheet, the spreadsheet row, the
column, the value and the reason. Reading (and its limits) is in benchmark.intake.reading; checking
is linear in the file's cells.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from benchmark import reference
from benchmark.definitions.breakdowns import SUBMISSION_THEMES, submission_title
from benchmark.definitions.standard import (
    FIELD_THEME,
    NOT_AVAILABLE_MARKERS,
    NOTES_MAX_CHARS,
    THEMES,
    VALUE_FIELDS,
    Field,
    Kind,
    columns,
)
from benchmark.intake.reading import (
    FIELD_BY_LABEL,
    HEADER_SEARCH_ROWS,
    Deadline,
    FileContents,
    FileRejected,
    Formula,
    Table,
    Uncalculated,
    normalise_header,
    read_contained,
)
from benchmark.periods import Period, PeriodError
from benchmark.reference import suggest_authorities

CellValue = float | dt.date | None
# Given (authority, quarter index) pairs, the values already stored for them, keyed by
# (authority, quarter index, field): what plausibility warnings compare with.
PreviousLookup = Callable[[set[tuple[str, int]]], dict[tuple[str, int, str], float]]

JUMP_FACTOR = 5  # a count this many times last quarter's (or a fifth of it) earns a warning
JUMP_MINIMUM = 10  # ...unless both are this small, where such swings are ordinary
SHORT_BREAK_SHARE_WARNING = 0.05  # of all children aged 0-17
MAX_REPORTED = 200  # problems listed in a report; the rest are counted, so a flood stays readable

# Digits with optional thousands separators and decimals; spaces only around the number, never inside.
_NUMBER = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")
_CURRENCY_SIGNS = {"£", "$", "€"}
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d %B %Y", "%d %b %Y", "%d/%m/%y")


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or worth a second look) in a file, as a whole sentence; `row` as a
    spreadsheet numbers it, `sheet` the workbook sheet it is on (None for a CSV)."""

    row: int | None
    column: str | None
    value: str | None
    message: str
    sheet: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "value": self.value,
                "message": self.message}


@dataclass
class ParsedRow:
    file_row: int
    la_code: str
    period: Period
    notes: str | None
    values: dict[str, CellValue]
    theme: str = ""
    sheet: str | None = None
    breakdowns: list = field(default_factory=list)  # a breakdown row's cells (intake/breakdown_validation.py)


@dataclass
class ValidationReport:
    file_name: str
    theme: str | None = None  # the theme when the file holds one; see `themes` for a workbook
    rows: list[ParsedRow] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    errors_not_shown: int = 0
    warnings_not_shown: int = 0
    sheets: dict[str, str] = field(default_factory=dict)  # workbook sheet -> the theme it holds
    rows_checked: int = 0  # rows of figures read and checked, valid or not: "0 rows" would hide the work

    @property
    def ok(self) -> bool:
        return not self.errors and not self.errors_not_shown

    @property
    def row_count(self) -> int:
        """The rows of figures: one per authority and quarter of a theme, one per group of a breakdown."""
        return sum(len(row.breakdowns) or 1 for row in self.rows)

    @property
    def themes(self) -> list[str]:
        """Every theme the file holds, in the standard's order, then the breakdowns of each theme's counts."""
        found = {row.theme for row in self.rows} | set(self.sheets.values()) | ({self.theme} - {None})
        return [theme_id for theme_id in SUBMISSION_THEMES if theme_id in found]

    def error(self, problem: Problem) -> None:
        if len(self.errors) < MAX_REPORTED:
            self.errors.append(problem)
        else:
            self.errors_not_shown += 1

    def warn(self, problem: Problem) -> None:
        if len(self.warnings) < MAX_REPORTED:
            self.warnings.append(problem)
        else:
            self.warnings_not_shown += 1

    def parts(self) -> list[ValidationReport]:
        """One report per theme, each stored as its own submission (a workbook holds several)."""
        if len(self.themes) <= 1:
            return [self]
        parts = []
        for theme_id in self.themes:
            rows = [row for row in self.rows if row.theme == theme_id]
            sheets = {sheet for sheet, held in self.sheets.items() if held == theme_id} | \
                {row.sheet for row in rows if row.sheet is not None}
            parts.append(ValidationReport(
                self.file_name, theme_id, rows,
                warnings=[warning for warning in self.warnings if warning.sheet in sheets],
                sheets={sheet: theme_id for sheet in sheets}))
        return parts

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file_name,
            "ok": self.ok,
            "theme": self.theme,
            "themes": self.themes,
            "rows": len(self.rows),
            "rows_checked": self.rows_checked,
            "errors": [problem.as_dict() for problem in self.errors],
            "errors_not_shown": self.errors_not_shown,
            "warnings": [problem.as_dict() for problem in self.warnings],
            "warnings_not_shown": self.warnings_not_shown,
        }

    @property
    def summary(self) -> str:
        """One plain sentence for the top of a report."""
        themes = self.themes
        if len(themes) == 1:
            what = f"{submission_title(themes[0])} return"
        elif themes:
            what = f"return ({', '.join(submission_title(theme_id) for theme_id in themes)})"
        else:
            what = "return"
        rows = f"{self.row_count} row{'s' * (self.row_count != 1)}"
        if self.ok:
            extra = f", with {len(self.warnings) + self.warnings_not_shown} warning(s) to check" \
                if self.warnings else ""
            return f"{self.file_name}: valid {what}, {rows}{extra}. Ready to store."
        count = len(self.errors) + self.errors_not_shown
        more = f" (the first {len(self.errors)} are listed)" if self.errors_not_shown else ""
        checked = f" in the {self.rows_checked:,} row{'s' * (self.rows_checked != 1)} checked" \
            if self.rows_checked else ""
        return (f"{self.file_name}: {count:,} problem(s){checked} must be fixed before anything in this {what} can "
                f"be stored{more}. Nothing has been stored.")

    @property
    def more_errors(self) -> str:
        """The line that says how many problems are not listed, or ''."""
        if not self.errors_not_shown:
            return ""
        return (f"...and {self.errors_not_shown:,} more problem(s) not listed: fix those above (often the same "
                "mistake repeated) and check the file again.")


def sentence(text: str) -> str:
    """A message as a whole sentence: capital first letter, full stop at the end."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


def quoted(value: str, width: int = 60) -> str:
    """A cell's value as a message quotes it: in quotes, cut short when long."""
    return f"'{value}'" if len(value) <= width else f"'{value[:width - 3]}...'"


_JUMP_CHECKED = frozenset(name for name, spec in VALUE_FIELDS.items() if spec.kind in (Kind.COUNT, Kind.MONEY))
_FORMULA_STARTS = ("=", "+", "-", "@")


def _suggest(name: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.75)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _one_of(names: list[str]) -> str:
    quoted_names = [f"'{name}'" for name in names]
    return quoted_names[0] if len(names) == 1 else ", ".join(quoted_names[:-1]) + f" or {quoted_names[-1]}"


def _parse_number(text: str) -> float | None:
    if not _NUMBER.match(text):
        return None
    return float(text.replace(",", ""))


def _parse_date(text: str) -> dt.date | None:
    cleaned = " ".join(text.split())
    cleaned = re.sub(r"[ T]00:00(:00)?$", "", cleaned)
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(cleaned, fmt).date()
        except ValueError:
            continue
    return None


def is_formula(text: str) -> bool:
    """A workbook cell worked out by a formula, or text a spreadsheet would take for one: starting
    with = or @, or with + or - and not a number ('-5' and '+72' are numbers, '-' alone is a dash)."""
    if isinstance(text, Formula):
        return True
    cleaned = text.strip()
    if not cleaned.startswith(_FORMULA_STARTS):
        return False
    if cleaned[0] in "=@":
        return True
    rest = cleaned[1:].strip()
    rest = rest[1:].strip() if rest[:1] in _CURRENCY_SIGNS else rest
    return bool(rest) and _parse_number(rest) is None


def parse_value(spec: Field, text: str, period: Period | None,
                latest: Period | None = None) -> tuple[CellValue, str | None]:
    """The stored value of one cell, or the reason it is refused, to follow the quoted value
    ("is negative: ..."). A date is compared with the row's quarter, else with the current one."""
    cleaned = text.strip()
    if cleaned.lower() in NOT_AVAILABLE_MARKERS:
        return None, None
    if spec.kind is Kind.DATE:
        day = _parse_date(cleaned)
        if day is None:
            return None, "is not a date: write it like 2025-03-31 or 31/03/2025"
        earliest = spec.plausible.earliest if spec.plausible else None
        if earliest is not None and day < earliest:
            return None, f"is before {earliest:%d %B %Y}: {spec.plausible.reason}"
        if period is not None and day > period.end:
            return None, (
                f"is after the end of the quarter {period} ({period.end:%d %B %Y}): the statement "
                "cannot have been reviewed later than the quarter being reported"
            )
        if period is None and latest is not None and day > latest.end:
            return None, f"is after the end of the current quarter {latest} ({latest.end:%d %B %Y})"
        return day, None
    if spec.kind is Kind.CHOICE:  # stored as the answer's position in the standard's list
        answers = [answer.lower() for answer in spec.choices]
        if cleaned.lower() in answers:
            return float(answers.index(cleaned.lower())), None
        return None, (f"is not one of the answers for {spec.name}: write {', '.join(spec.choices[:-1])} or "
                      f"{spec.choices[-1]}")
    if cleaned.isascii() and cleaned.isdigit():  # most cells: a plain whole number
        return float(cleaned), None
    sign, rest = (cleaned[0], cleaned[1:].lstrip()) if cleaned[0] in "+-" else ("", cleaned)
    currency = rest[:1] in _CURRENCY_SIGNS
    if currency and spec.kind is not Kind.MONEY:
        return None, (f"has a currency sign: {spec.name} is a count, not money; write the number alone "
                      "(leave it blank if not available)")
    if currency and rest[0] != "£":
        return None, f"is not in pounds: {spec.name} is an amount in pounds (£)"
    digits = rest[1:].lstrip() if currency else rest
    if sign == "-" and _parse_number(digits) is not None:
        return None, "is negative: it must be 0 or more"
    number = _parse_number(digits)
    if number is None:
        what = {Kind.COUNT: "a whole number", Kind.MONEY: "an amount in pounds"}.get(spec.kind, "a number")
        inside = " with a space inside it" if re.fullmatch(r"[\d,.]+(?: +[\d,.]+)+", digits) else ""
        return None, f"is not a number{inside}: {spec.name} must be {what} (leave it blank if not available)"
    if spec.kind is Kind.COUNT and not number.is_integer():
        return None, "is a fraction: a count must be a whole number"
    return number, None


class _TableChecker:
    """Checks one table (a CSV or a sheet): its header, then each row, in one pass over the cells."""

    def __init__(self, report: ValidationReport, table: Table, today: dt.date | None, deadline: Deadline) -> None:
        self.report = report
        self.sheet = table.sheet
        self.table = table
        self.latest = Period.current(today)
        self.deadline = deadline
        self.seen: dict[tuple[str, Period], int] = {}
        self.rows: list[ParsedRow] = []
        self.row_failed = False
        self.theme_id: str | None = None
        self.positions: dict[str, int] = {}
        self.value_columns: list[tuple[Field, int]] = []  # the theme's figures present, with their position

    def error(self, row: int | None, column: str | None, value: str | None, message: str) -> None:
        self.row_failed = True
        self.report.error(Problem(row, column, value, sentence(message), self.sheet))

    def cell_error(self, row: int, column: str, text: str, reason: str) -> None:
        self.error(row, column, text, f"{quoted(text)} {reason}")

    def run(self) -> None:
        header_row, header = self.table.rows[0]
        header = self.refuse_formulas(header_row, header)
        if not self.understand_header(header_row, header):
            return
        data = self.table.rows[1:]
        if not data:
            self.error(None, None, None, "the file has a header but no rows of figures" if self.sheet is None
                       else f"sheet '{self.sheet}' has a header but no rows of figures")
            return
        self.check_unheaded_columns(header_row, header, data)
        self.report.rows_checked += len(data)
        for count, (file_row, cells) in enumerate(data):
            self.check(file_row, cells)
            if count % 512 == 0:
                self.deadline.check()

    def understand_header(self, header_row: int, header_cells: list[str]) -> bool:
        """Recognise the theme from the header; the position of each known column."""
        header = [normalise_header(cell) for cell in header_cells]
        named = [(position, name) for position, name in enumerate(header) if name]
        votes = {theme_id: 0 for theme_id in THEMES}
        for _, name in named:
            theme_id = FIELD_THEME.get(name) or FIELD_THEME.get(FIELD_BY_LABEL.get(name, ""))
            if theme_id:
                votes[theme_id] += 1
        best = max(votes, key=votes.get)
        if votes[best] == 0:
            where = f"sheet '{self.sheet}': the header" if self.sheet else "the header"
            self.error(header_row, None, None, f"{where} has none of the columns of a return theme: start from a "
                                               "template (python -m benchmark template)")
            return False
        expected_theme = self.table.expected_theme
        if expected_theme and best != expected_theme:
            self.error(header_row, None, self.sheet,
                       f"sheet '{self.sheet}' holds {THEMES[best].title} columns, but a sheet of that name holds "
                       f"{THEMES[expected_theme].title}: rename the sheet '{THEMES[best].sheet}' or move the figures")
            return False
        self.theme_id = best
        expected = [spec.name for spec in columns(best)]
        for position, name in named:
            written = header_cells[position].strip()
            if name in self.positions:
                self.error(header_row, name, written, f"the column {name} appears twice in the header")
            elif name in expected:
                self.positions[name] = position
            elif name in FIELD_THEME:
                self.error(header_row, name, written,
                           f"the heading is an unknown column for a {best} return: {name} belongs to the "
                           f"{FIELD_THEME[name]} theme, which goes in its own {'sheet' if self.sheet else 'file'}")
            elif name in FIELD_BY_LABEL:
                field_name = FIELD_BY_LABEL[name]
                self.error(header_row, name, written,
                           f"the heading is an unknown column '{name}': '{written}' is the label of the column "
                           f"{field_name}; write {field_name} as the heading")
            else:
                labels = {normalise_header(spec.label): spec.name for spec in columns(best)}
                near_label = difflib.get_close_matches(name, list(labels), n=1, cutoff=0.8)
                hint = (f" (it looks like the label of {labels[near_label[0]]}: write {labels[near_label[0]]} "
                        "as the heading)") if near_label else _suggest(name, expected)
                self.error(header_row, name, written, f"the heading is an unknown column '{name}'{hint}")
        self.value_columns = [(spec, self.positions[spec.name]) for spec in THEMES[best].fields
                              if spec.name in self.positions]
        for spec in columns(best):
            if spec.required and spec.name not in self.positions:
                self.error(header_row, spec.name, None, f"the required column {spec.name} is missing ({spec.label})")
        return True

    def check_unheaded_columns(self, header_row: int, header: list[str], data: list[tuple[int, list[str]]]) -> None:
        """Values under a blank heading, reported once per column: one pass over the cells."""
        unheaded = {position for position, cell in enumerate(header) if not cell.strip()}
        flagged: set[int] = set()
        for _, cells in data:
            for position in range(len(header), len(cells)):
                if cells[position].strip():
                    flagged.add(position)
            for position in unheaded - flagged:
                if position < len(cells) and cells[position].strip():
                    flagged.add(position)
        for position in sorted(flagged):
            self.error(header_row, f"column {position + 1}", "", "this column holds values but has no heading")

    def refuse_formulas(self, file_row: int, cells: list[str]) -> list[str]:
        """Every cell a spreadsheet would work out (or run) is an error: a return holds values only, and
        a formula stored would be handed back live to whoever opens a download. Returns the row with
        those cells blanked, so each is reported once."""
        found = [position for position, text in enumerate(cells) if is_formula(text)]
        if not found:
            return cells
        names = {position: name for name, position in self.positions.items()}
        for position in found:
            text = cells[position]
            column = names.get(position) or f"column {position + 1}"
            if isinstance(text, Uncalculated):
                self.cell_error(file_row, column, text,
                                "is a formula saved without its value: open the workbook in Excel, let it "
                                "calculate and save it again (or paste the values in place of the formulas)")
            else:
                self.cell_error(file_row, column, text,
                                "is a formula, and a return holds values only (a formula could run when someone "
                                "opens the file): paste the values in place of the formulas (Paste Special, "
                                "Values), and start a note with a word, not =, +, - or @")
        return ["" if position in found else text for position, text in enumerate(cells)]

    def check(self, file_row: int, cells: list[str]) -> None:
        def cell(name: str) -> str:
            position = self.positions.get(name)
            return cells[position].strip() if position is not None and position < len(cells) else ""

        self.row_failed = False
        cells = self.refuse_formulas(file_row, cells)
        la_text = cell("la_code")
        la_code = reference.resolve_authority(la_text) if la_text else None
        if not la_text:
            self.error(file_row, "la_code", la_text, "the authority is missing")
        elif la_code is None:
            suggestions = suggest_authorities(la_text)
            hint = f" Did you mean {_one_of(suggestions)}?" if suggestions else ""
            self.cell_error(file_row, "la_code", la_text,
                            "is not an English authority: use the DfE 3-digit code (e.g. 202), the ONS code "
                            f"(e.g. E09000007) or the exact name.{hint}")
        period, dated = self._period(file_row, cell("period"))
        notes = cell("notes") or None
        if notes and len(notes) > NOTES_MAX_CHARS:
            self.error(file_row, "notes", notes[:40] + "...",
                       f"the notes are {len(notes):,} characters long: notes may be at most {NOTES_MAX_CHARS:,}")
        values: dict[str, CellValue] = {}
        texts: dict[str, str] = {}
        population = reference.population_for(la_code, (dated or self.latest).end.year) if la_code else None
        for spec, position in self.value_columns:
            texts[spec.name] = text = cells[position].strip() if position < len(cells) else ""
            value, problem = parse_value(spec, text, dated, self.latest)
            if problem is None and isinstance(value, float):
                problem = self._implausible(spec, value, population, la_code)
            if problem:
                self.cell_error(file_row, spec.name, texts[spec.name], problem)
                value = None
            values[spec.name] = value
        for bound in THEMES[self.theme_id].bounds:
            limit = bound.limit(values)
            value = values.get(bound.column)
            # A negative limit comes from another broken bound on this row, already reported.
            if limit is not None and limit >= 0 and value is not None and value > limit:
                self.cell_error(file_row, bound.column, texts[bound.column],
                                f"is larger than {limit:,.0f}: {bound.reason}")
        if la_code and period:
            key = (la_code, period)
            if key in self.seen:
                self.error(file_row, "period", cell("period"),
                           f"{reference.authority_name(la_code)} {period} appears twice in this "
                           f"{'sheet' if self.sheet else 'file'} (rows {self.seen[key]} and {file_row}): keep one row")
            else:
                self.seen[key] = file_row
        if la_code and period and not self.row_failed:
            self.rows.append(ParsedRow(file_row, la_code, period, notes, values, self.theme_id, self.sheet))

    @staticmethod
    def _implausible(spec: Field, value: float, population: int | None, la_code: str | None) -> str | None:
        rule = spec.plausible
        if rule is None:
            return None
        if rule.most is not None and value > rule.most:
            return f"is more than {rule.shown_as.format(rule.most)}, the most the standard accepts: {rule.reason}"
        if rule.per_child is not None and population and value > rule.per_child * population:
            limit = rule.per_child * population
            return (f"is larger than {limit:,.0f} ({reference.authority_name(la_code)} has {population:,} children "
                    f"aged 0-17): {rule.reason}")
        return None

    def _period(self, file_row: int, text: str) -> tuple[Period | None, Period | None]:
        """The row's quarter when it is valid, and the quarter other cells may be compared with
        (also a quarter in the future, so a date is still checked in the same pass)."""
        if not text:
            self.error(file_row, "period", text, "the quarter is missing: write it like 2025-26 Q1")
            return None, None
        try:
            period = Period.parse(text)
        except PeriodError as error:
            self.error(file_row, "period", text, str(error))
            return None, None
        try:
            period.check_reportable(self.latest.end)
        except PeriodError as error:
            self.error(file_row, "period", text, str(error))
            return None, None
        return period, period

    def warn_implausible(self, previous: PreviousLookup | None) -> None:
        in_file = {(row.la_code, row.period.index): row for row in self.rows}
        wanted = {(row.la_code, row.period.index - 1) for row in self.rows} - set(in_file)
        stored = previous(wanted) if previous is not None and wanted else {}
        for row in self.rows:
            earlier = in_file.get((row.la_code, row.period.index - 1))
            for name, value in row.values.items():
                if not isinstance(value, float) or name not in _JUMP_CHECKED:
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
            self.report.warn(Problem(row.file_row, name, f"{value:,.0f}",
                                     sentence(f"{name} {change}: please check it is right"), self.sheet))

    def _warn_share(self, row: ParsedRow) -> None:
        total = row.values.get("sb_children_total")
        population = reference.population_for(row.la_code, row.period.end.year)
        if isinstance(total, float) and population and total > SHORT_BREAK_SHARE_WARNING * population:
            self.report.warn(Problem(
                row.file_row, "sb_children_total", f"{total:,.0f}",
                sentence(f"{total:,.0f} children is more than {SHORT_BREAK_SHARE_WARNING:.0%} of all {population:,} "
                         f"children aged 0-17 in {reference.authority_name(row.la_code)}: please check it is right"),
                self.sheet,
            ))


def _tables(report: ValidationReport, contents: FileContents) -> list[Table]:
    """The tables read, with a file-level problem where none holds a return or a hidden sheet does."""
    if not contents.workbook:
        if not contents.tables:
            report.error(Problem(None, None, None, "The file is empty."))
        return contents.tables
    hidden_list = ", ".join(f"'{name}'" for name in contents.hidden)
    if contents.hidden and not contents.tables:
        report.error(Problem(None, None, None, sentence(
            f"the return's figures are on hidden sheet(s) {hidden_list}, and hidden sheets are not read: unhide "
            "the sheet in Excel (right-click a sheet tab, Unhide) or delete it and keep the figures on a visible "
            "sheet"), contents.hidden[0]))
    elif contents.hidden:
        report.warn(Problem(None, None, None, sentence(
            f"hidden sheet(s) {hidden_list} hold return columns but were not read: only visible sheets are; delete "
            "them if they are old copies"), contents.hidden[0]))
    elif not contents.tables:
        names = ", ".join(f"'{name}'" for name in contents.sheets)
        report.error(Problem(None, None, None, sentence(
            f"none of the sheets ({names}) has a header row with the columns of a return in its first "
            f"{HEADER_SEARCH_ROWS} rows: put the data on a sheet whose first row is the template's header (python "
            "-m benchmark template)")))
    return contents.tables


def validate(file_name: str, content: bytes, *, today: dt.date | None = None,
             previous: PreviousLookup | None = None) -> ValidationReport:
    """Check a whole file; the report holds the parsed rows only when there is no error at all.

    A workbook may hold one sheet per theme: each is checked on its own and the report holds them
    all; one error anywhere means nothing in the workbook is stored."""
    report = ValidationReport(file_name)
    deadline = Deadline()
    try:
        tables = _tables(report, read_contained(file_name, content, deadline))
        if len(tables) > 1:
            # A workbook whose other theme sheets are left blank is a return of the themes with figures.
            with_figures = [table for table in tables if len(table.rows) > 1]
            if not with_figures:
                report.error(Problem(None, None, None, sentence(
                    f"the sheets {', '.join(repr(table.sheet) for table in tables)} each have a header but no rows of "
                    "figures: fill in the sheet of each theme you return")))
            tables = with_figures
        # Imported here because it builds on this module: a breakdown table has its own checker.
        from benchmark.intake.breakdown_validation import BreakdownChecker, check_breakdowns, is_breakdown_header

        checkers = []
        breakdowns = []
        for table in tables:
            if is_breakdown_header(table.rows[0][1]):
                breakdowns.append(BreakdownChecker(report, table, today, deadline))
                breakdowns[-1].run()
                continue
            checker = _TableChecker(report, table, today, deadline)
            checker.run()
            if checker.theme_id is not None:
                checkers.append(checker)
        check_breakdowns(breakdowns, checkers, previous)
    except FileRejected as rejection:
        rejected = ValidationReport(file_name)
        rejected.error(Problem(None, None, None, sentence(str(rejection))))
        return rejected
    _themes_once(report, checkers)
    report.sheets = {checker.sheet: checker.theme_id for checker in checkers if checker.sheet is not None}
    themes = {checker.theme_id for checker in checkers} | {row.theme for item in breakdowns for row in item.rows}
    report.theme = themes.pop() if len(themes) == 1 else None
    if report.errors or report.errors_not_shown:
        return report
    for checker in checkers:
        report.rows.extend(checker.rows)
        checker.warn_implausible(previous)
    for item in breakdowns:
        report.rows.extend(item.rows)
    return report


def _themes_once(report: ValidationReport, checkers: list[_TableChecker]) -> None:
    """A workbook holds each theme on one sheet only."""
    first: dict[str, str | None] = {}
    for checker in checkers:
        if checker.theme_id in first:
            report.error(Problem(None, None, None, sentence(
                f"sheets '{first[checker.theme_id]}' and '{checker.sheet}' both hold the "
                f"{THEMES[checker.theme_id].title} theme: a workbook has one sheet per theme"), checker.sheet))
        first.setdefault(checker.theme_id, checker.sheet)
