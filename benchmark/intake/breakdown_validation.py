"""Validating breakdowns (data standard version 2): a file or `Breakdowns` sheet in long form,
`la_code, period, count_of, by, group, count`, recognised by its header.

Each row is checked as every other field is (authority, quarter, whole numbers, "did you mean" for a near-miss
count, breakdown or group), then each breakdown is checked against the total it breaks down: no group above it,
and the groups of one count and one breakdown adding up to it exactly. The total comes from the same workbook
when its theme sheet is there, else from the stored current return. All or nothing, as for theme returns.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections import defaultdict
from dataclasses import dataclass

from benchmark import reference
from benchmark.definitions.breakdowns import (
    BREAKDOWN_COLUMNS,
    BREAKDOWN_COUNTS,
    BREAKDOWN_PARTS,
    BREAKDOWNS,
    ETHNICITY,
    MAJOR_ETHNIC_GROUPS,
    OTHER_ETHNIC_GROUP,
    UNCLASSIFIED,
    Breakdown,
    breakdown_return,
)
from benchmark.definitions.standard import FIELD_THEME, NOT_AVAILABLE_MARKERS, THEMES, VALUE_FIELDS
from benchmark.intake.reading import Deadline, Uncalculated
from benchmark.intake.validation import (
    ParsedRow,
    PreviousLookup,
    Problem,
    Table,
    ValidationReport,
    _TableChecker,
    normalise_header,
    parse_value,
    quoted,
    sentence,
    suggest_authorities,
)
from benchmark.periods import Period, PeriodError

# Two breakdown columns beyond la_code and period are enough to tell a breakdown file from a theme file.
_OWN_COLUMNS = frozenset(BREAKDOWN_COLUMNS) - {"la_code", "period"}
# Groups that belong to both ways of returning ethnicity: the 19 categories and the five major groups.
_EITHER_ETHNICITY = frozenset({OTHER_ETHNIC_GROUP, UNCLASSIFIED})


@dataclass(frozen=True)
class BreakdownCell:
    """One group's count of one breakdown, as stored."""

    count_of: str
    by: str
    group: str
    count: float
    file_row: int


def is_breakdown_header(cells: list[str]) -> bool:
    """A header naming at least two of count_of, by, group and count is a breakdown's."""
    return len(_OWN_COLUMNS & {normalise_header(cell) for cell in cells}) >= 2


def _group_key(text: str) -> str:
    """'Black-Black African', ' black - black  african' and 'BLACK – Black African' are the same group."""
    text = re.sub(r"\s*[-\u2013\u2014]\s*", " - ", text)
    return " ".join(text.split()).casefold()


def _accepted(breakdown: Breakdown) -> dict[str, str]:
    """Every spelling of a group the standard accepts (its name, its codes; the major ethnic groups) -> name."""
    names = {_group_key(group.name): group.name for group in breakdown.groups}
    names |= {_group_key(code): group.name for group in breakdown.groups for code in group.codes}
    if breakdown is ETHNICITY:
        names |= {_group_key(major): major for major in MAJOR_ETHNIC_GROUPS}
    return names


ACCEPTED_GROUPS: dict[str, dict[str, str]] = {by: _accepted(breakdown) for by, breakdown in BREAKDOWNS.items()}


def _close(text: str, choices: list[str], cutoff: float = 0.75) -> str | None:
    close = difflib.get_close_matches(text, choices, n=1, cutoff=cutoff)
    return close[0] if close else None


class BreakdownChecker:
    """Checks one breakdown table (a CSV or the `Breakdowns` sheet) row by row; `check_totals` then checks
    each breakdown against its total, once every table of the file has been read."""

    def __init__(self, report: ValidationReport, table: Table, today: dt.date | None, deadline: Deadline) -> None:
        self.report = report
        self.table = table
        self.sheet = table.sheet
        self.latest = Period.current(today)
        self.deadline = deadline
        self.positions: dict[str, int] = {}
        self.order: list[int] = []  # the position of each of BREAKDOWN_COLUMNS
        self.cells: dict[tuple[str, Period], list[BreakdownCell]] = defaultdict(list)
        self.seen: dict[tuple[str, int, str, str, str], int] = {}
        self.rows: list[ParsedRow] = []
        self.failed = False
        self._authorities: dict[str, str | None] = {}
        self._periods: dict[str, Period | str] = {}
        self._understood: dict[tuple[str, str, str], tuple[str, Breakdown, str]] = {}

    def error(self, row: int | None, column: str | None, value: str | None, message: str) -> None:
        self.failed = True
        self.report.error(Problem(row, column, value, sentence(message), self.sheet))

    def run(self) -> None:
        header_row, header = self.table.rows[0]
        if not self._understand_header(header_row, header):
            return
        data = self.table.rows[1:]
        if not data:
            self.error(None, None, None, "the file has a header but no rows of breakdowns" if self.sheet is None
                       else f"sheet '{self.sheet}' has a header but no rows of breakdowns")
            return
        for count, (file_row, cells) in enumerate(data):
            self._check(file_row, cells)
            if count % 512 == 0:
                self.deadline.check()

    def _understand_header(self, header_row: int, header_cells: list[str]) -> bool:
        for position, cell in enumerate(header_cells):
            name = normalise_header(cell)
            if not name:
                continue
            if name in self.positions:
                self.error(header_row, name, cell.strip(), f"the column {name} appears twice in the header")
            elif name in BREAKDOWN_COLUMNS:
                self.positions[name] = position
            else:
                near = _close(name, list(BREAKDOWN_COLUMNS))
                hint = f" (did you mean '{near}'?)" if near else ""
                self.error(header_row, name, cell.strip(),
                           f"the heading is an unknown column '{name}' for a breakdown, whose columns are "
                           f"{', '.join(BREAKDOWN_COLUMNS)}{hint}")
        missing = [name for name in BREAKDOWN_COLUMNS if name not in self.positions]
        for name in missing:
            self.error(header_row, name, None, f"the required column {name} of a breakdown is missing")
        self.order = [self.positions.get(name, -1) for name in BREAKDOWN_COLUMNS]
        return not missing and not self.failed

    def _check(self, file_row: int, cells: list[str]) -> None:
        for name, position in self.positions.items() if self.sheet is not None else ():
            if position < len(cells) and isinstance(cells[position], Uncalculated):
                self.error(file_row, name, cells[position],
                           f"{quoted(cells[position])} is a formula saved without its value: open the workbook in "
                           "Excel, let it calculate and save it again (or paste the values in place of the formulas)")
                return
        width = len(cells)
        la_text, period_text, count_of_text, by_text, group_text, count_text = (
            cells[position].strip() if position < width else "" for position in self.order)
        la_code = self._authority(file_row, la_text)
        period = self._period(file_row, period_text)
        # A file repeats the same few counts, breakdowns and groups thousands of times: each is understood once.
        spelled = (count_of_text, by_text, group_text)
        known = self._understood.get(spelled)
        if known is None:
            count_of = self._count_of(file_row, count_of_text)
            breakdown = self._breakdown(file_row, by_text)
            group = self._group(file_row, breakdown, group_text) if breakdown else None
            if None not in (count_of, breakdown, group):
                self._understood[spelled] = (count_of, breakdown, group)
        else:
            count_of, breakdown, group = known
        count = self._count(file_row, count_of, count_text) if count_of else None
        if None in (la_code, period, count_of, breakdown, group, count):
            return
        key = (la_code, period.index, count_of, breakdown.id, group)
        if key in self.seen:
            self.error(file_row, "group", group_text,
                       f"{reference.authority_name(la_code)} {period} has {count_of} by {breakdown.id} for '{group}' "
                       f"twice (rows {self.seen[key]} and {file_row}): keep one row")
            return
        self.seen[key] = file_row
        self.cells[(la_code, period)].append(BreakdownCell(count_of, breakdown.id, group, count, file_row))

    def _authority(self, file_row: int, text: str) -> str | None:
        if text not in self._authorities:
            self._authorities[text] = reference.resolve_authority(text) if text else None
        code = self._authorities[text]
        if not text:
            self.error(file_row, "la_code", text, "the authority is missing")
        elif code is None:
            suggestions = suggest_authorities(text)
            hint = f" Did you mean {' or '.join(repr(name) for name in suggestions)}?" if suggestions else ""
            self.error(file_row, "la_code", text,
                       f"{quoted(text)} is not an English authority: use the DfE 3-digit code (e.g. 202), the ONS "
                       f"code (e.g. E09000007) or the exact name.{hint}")
        return code

    def _period(self, file_row: int, text: str) -> Period | None:
        if not text:
            self.error(file_row, "period", text, "the quarter is missing: write it like 2025-26 Q1")
            return None
        if text not in self._periods:
            try:
                period = Period.parse(text)
                period.check_reportable(self.latest.end)
                self._periods[text] = period
            except PeriodError as error:
                self._periods[text] = str(error)
        found = self._periods[text]
        if isinstance(found, str):
            self.error(file_row, "period", text, found)
            return None
        return found

    def _count_of(self, file_row: int, text: str) -> str | None:
        name = normalise_header(text)
        if name in BREAKDOWN_COUNTS:
            return name
        if not name:
            self.error(file_row, "count_of", text, f"count_of is missing: name the count broken down, one of "
                                                   f"{', '.join(BREAKDOWN_COUNTS)}")
        elif name in VALUE_FIELDS:
            self.error(file_row, "count_of", text,
                       f"{quoted(text)} cannot be broken down: the counts that may be are "
                       f"{', '.join(BREAKDOWN_COUNTS)}")
        else:
            near = _close(name, list(BREAKDOWN_COUNTS))
            hint = f" (did you mean '{near}'?)" if near else f": use one of {', '.join(BREAKDOWN_COUNTS)}"
            self.error(file_row, "count_of", text, f"{quoted(text)} is not a count of the return{hint}")
        return None

    def _breakdown(self, file_row: int, text: str) -> Breakdown | None:
        name = normalise_header(text)
        if name in BREAKDOWNS:
            return BREAKDOWNS[name]
        near = _close(name, list(BREAKDOWNS)) if name else None
        hint = f" (did you mean '{near}'?)" if near else ""
        self.error(file_row, "by", text, f"{quoted(text)} is not a breakdown: by must be one of "
                                         f"{', '.join(BREAKDOWNS)}{hint}")
        return None

    def _group(self, file_row: int, breakdown: Breakdown, text: str) -> str | None:
        accepted = ACCEPTED_GROUPS[breakdown.id]
        key = _group_key(text)
        if key in accepted:
            return accepted[key]
        # A near-miss of a short code is matched among the codes, and the suggestion names both.
        codes = {_group_key(code): code for group in breakdown.groups for code in group.codes}
        looks_like_code = bool(codes) and text.strip().isupper() and " " not in key and len(key) <= 5
        near = _close(key, list(codes) if looks_like_code else list(accepted), cutoff=0.6) if key else None
        if near and looks_like_code:
            hint = f" (did you mean '{codes[near]}', {accepted[near]}?)"
        else:
            hint = f" (did you mean '{accepted[near]}'?)" if near else ""
        self.error(file_row, "group", text,
                   f"{quoted(text)} is not a group of {breakdown.id}{hint}: the groups are listed in the data standard "
                   f"(python -m benchmark docs) and on the template's Guidance sheet")
        return None

    def _count(self, file_row: int, count_of: str, text: str) -> float | None:
        if text.isascii() and text.isdigit():  # most cells: a plain whole number
            return float(text)
        if text.lower() in NOT_AVAILABLE_MARKERS:
            self.error(file_row, "count", text,
                       f"{quoted(text)} is not a count: breakdowns are sent as they are, unsuppressed (the network "
                       "hides small numbers in what it shows); write the number, 0 for none")
            return None
        value, problem = parse_value(VALUE_FIELDS[count_of], text, None, self.latest)
        if problem:
            self.error(file_row, "count", text, f"{quoted(text)} {problem}")
            return None
        return value

    def check_totals(self, totals: dict[tuple[str, int, str], Total], unknown_is_error: bool) -> None:
        """Every breakdown against the total it breaks down. With no database to look totals up in
        (`unknown_is_error` False) a total not in the file is a warning, not an error."""
        for (la_code, period), cells in self.cells.items():
            place = f"{reference.authority_name(la_code)} {period}"
            sets: dict[tuple[str, str], list[BreakdownCell]] = defaultdict(list)
            for cell in cells:
                sets[(cell.count_of, cell.by)].append(cell)
            for (count_of, by), members in sets.items():
                total = totals.get((la_code, period.index, count_of), Total(None, "", known=False))
                self._check_set(place, count_of, by, members, total, unknown_is_error)
            self._check_parts(place, cells)
            by_theme: dict[str, list[BreakdownCell]] = defaultdict(list)
            for cell in cells:
                by_theme[breakdown_return(FIELD_THEME[cell.count_of])].append(cell)
            self.rows += [ParsedRow(min(cell.file_row for cell in part), la_code, period, None, {}, theme,
                                    self.sheet, breakdowns=part) for theme, part in by_theme.items()]

    def _check_set(self, place: str, count_of: str, by: str, members: list[BreakdownCell], total: Total,
                   unknown_is_error: bool) -> None:
        first = min(cell.file_row for cell in members)
        if by == ETHNICITY.id:
            major = sorted({cell.group for cell in members if cell.group in MAJOR_ETHNIC_GROUPS})
            detail = sorted({cell.group for cell in members} - set(MAJOR_ETHNIC_GROUPS) - _EITHER_ETHNICITY)
            if major and detail:
                self.error(first, "group", major[0],
                           f"{place}: {count_of} by ethnicity mixes the major groups ({', '.join(major)}) with DfE's "
                           f"categories ({', '.join(detail[:3])}{'...' if len(detail) > 3 else ''}): give either the "
                           "categories or the five major groups, so that no child is counted twice")
                return
        if total.skip:
            return
        if total.value is None:
            theme = THEMES[FIELD_THEME[count_of]].title.lower()
            if total.known:
                self.error(first, "count_of", count_of,
                           f"{place}: {count_of} is not available{total.where}, so its breakdown by {by} cannot be "
                           "checked: fill in the total")
            elif unknown_is_error:
                self.error(first, "count_of", count_of,
                           f"{place}: there is no {count_of} stored or in this file to check its breakdown by {by} "
                           f"against: send the {theme} return first, or in the same workbook")
            else:
                self.report.warn(Problem(first, "count_of", count_of, sentence(
                    f"{place}: {count_of} by {by} was not checked against its total: the total is not in this file "
                    "and no database was given to look it up in"), self.sheet))
            return
        value = total.value
        over = [cell for cell in members if cell.count > value]
        for cell in over:
            self.error(cell.file_row, "count", f"{cell.count:,.0f}",
                       f"{cell.count:,.0f} ({count_of}, {cell.group}) is larger than the total it breaks down: "
                       f"{place} has {count_of} {value:,.0f}{total.where}")
        added = sum(cell.count for cell in members)
        if not over and added != value:
            difference = added - value
            self.error(first, "count", f"{added:,.0f}",
                       f"{place}: the {len(members)} groups of {count_of} by {by} add up to {added:,.0f}, but "
                       f"{count_of} is {value:,.0f}{total.where}: {abs(difference):,.0f} "
                       f"{'too many' if difference > 0 else 'too few'}; every child is counted in exactly one group "
                       f"(use {BREAKDOWNS[by].unknown or 'the right group'} for those not recorded)")

    def _check_parts(self, place: str, cells: list[BreakdownCell]) -> None:
        """Within a group, a part of a whole is no larger than the whole (advice within 6 weeks of advice given)."""
        counts = {(cell.count_of, cell.by, cell.group): cell for cell in cells}
        for (count_of, by, group), cell in counts.items():
            whole = counts.get((BREAKDOWN_PARTS.get(count_of, ""), by, group))
            if whole is not None and cell.count > whole.count:
                self.error(cell.file_row, "count", f"{cell.count:,.0f}",
                           f"{place}: {count_of} for '{group}' is {cell.count:,.0f}, larger than {whole.count_of} for "
                           f"the same group ({whole.count:,.0f}, row {whole.file_row}): {count_of} counts some of "
                           f"{whole.count_of}")


@dataclass(frozen=True)
class Total:
    """The total a breakdown must add up to: its value (None: not available), where it was found, whether it
    was found at all, and `skip` for a theme row of the same file refused for its own errors (reported already)."""

    value: float | None
    where: str
    known: bool = True
    skip: bool = False


def check_breakdowns(checkers: list[BreakdownChecker], theme_tables: list[_TableChecker],
                     previous: PreviousLookup | None) -> None:
    """After every table of a file is read: each breakdown checked against its total, taken from a theme table
    of the same file when it holds that authority and quarter, else from the stored current return."""
    totals: dict[tuple[str, int, str], Total] = {}
    for table in theme_tables:
        counts = [name for name in BREAKDOWN_COUNTS if FIELD_THEME[name] == table.theme_id]
        for row in table.rows:
            where = f" (sheet '{row.sheet}' row {row.file_row})" if row.sheet else f" (row {row.file_row})"
            for name in counts:
                value = row.values.get(name)
                totals[(row.la_code, row.period.index, name)] = Total(value if isinstance(value, float) else None,
                                                                      f" in this file{where}")
        for la_code, period in table.seen:
            for name in counts:
                totals.setdefault((la_code, period.index, name), Total(None, "", skip=True))
    wanted = {(la_code, period.index) for checker in checkers for la_code, period in checker.cells}
    stored = previous(wanted) if previous is not None and wanted else {}
    for (la_code, index, name), value in stored.items():
        if name in BREAKDOWN_COUNTS:
            totals.setdefault((la_code, index, name), Total(value, " in the stored return"))
    for checker in checkers:
        checker.check_totals(totals, unknown_is_error=previous is not None)
