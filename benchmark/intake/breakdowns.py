"""Reading stored breakdowns (data standard version 2) as every comparison should see them.

A breakdown is stored as a submission of its own (one per theme whose counts it breaks down), so replacement,
withdrawal and sign-off apply as to theme returns: a signed-off quarter's breakdowns are those current at its
sign-off (the `breakdowns_as_at` macro), unless the revised figures are asked for, as the engine does for values.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd

from benchmark.db import Database
from benchmark.definitions.breakdowns import breakdown_return, submission_title
from benchmark.definitions.standard import FIELD_THEME, THEMES
from benchmark.intake.validation import Problem, ValidationReport, sentence
from benchmark.reference import authority_name

COLUMNS = ["la_code", "period", "period_index", "count_of", "breakdown", "group_name", "count"]


def _signoffs(db: Database) -> dict[int, tuple[int, int]]:
    """The quarters signed off (and not reopened), with the last submission and withdrawal at sign-off."""
    rows = db.cursor().execute(
        "SELECT period_index, last_submission_id, last_withdrawal_id FROM signed_off").fetchall()
    return {index: (submission, withdrawal) for index, submission, withdrawal in rows}


def stored_breakdowns(db: Database, *, revised: bool = False,
                      period_index: int | Sequence[int] | None = None, ordered: bool = True) -> pd.DataFrame:
    """Every stored breakdown count, one row per authority, quarter, count, breakdown and group, with the
    columns `la_code, period, period_index, count_of, breakdown, group_name, count`.

    A signed-off quarter gives its breakdowns as at sign-off, other quarters the latest; `revised` gives the
    latest for every quarter. `period_index` keeps one quarter, or several (one read for a window). Rows are in
    the order of the columns unless not `ordered` (sorting took most of a window's read). Every stored
    authority is included (filter to the network's members for the quarter as the engine does); counts are as
    returned, never suppressed."""
    quarters = None if period_index is None else [period_index] if isinstance(period_index, int) else list(period_index)
    where, params = ("", []) if quarters is None else (
        "WHERE period_index IN (SELECT unnest(?::INTEGER[]))", [quarters])
    signed = {} if revised else _signoffs(db)
    if quarters is not None:
        signed = {index: marks for index, marks in signed.items() if index in quarters}
    latest = [f"SELECT {', '.join(COLUMNS)} FROM current_breakdowns {where}"]
    if signed:
        latest[0] += (" AND " if where else " WHERE ") + "period_index NOT IN (SELECT unnest(?::INTEGER[]))"
        params.append(list(signed))
    parts = latest
    for index, (submission, withdrawal) in signed.items():
        parts.append(f"SELECT {', '.join(COLUMNS)} FROM breakdowns_as_at(?, ?) WHERE period_index = ?")
        params += [submission, withdrawal, index]
    order = " ORDER BY la_code, period_index, count_of, breakdown, group_name" if ordered else ""
    frame = db.text_frame(" UNION ALL ".join(parts) + order, params)
    return frame[COLUMNS]


def stale_breakdowns(db: Database, report: ValidationReport,
                     may_store: Callable[[str], bool] | None = None) -> list[Problem]:
    """Warnings for a valid theme file that changes a total whose stored breakdowns added up to the old one:
    the breakdowns stay as stored until corrected ones are sent, so the sender is told which to send."""
    rows = [row for row in report.rows if row.theme in THEMES and (may_store is None or may_store(row.la_code))]
    if not rows:
        return []
    keys = [[row.la_code for row in rows], [row.period.index for row in rows]]
    # The table first (cheap), the current view only when some breakdown of these quarters was ever stored.
    if not db.scalar("SELECT count(*) FROM (SELECT 1 FROM return_breakdowns JOIN (SELECT unnest(?::VARCHAR[]) AS "
                     "la_code, unnest(?::INTEGER[]) AS period_index) USING (la_code, period_index) LIMIT 1)", keys):
        return []
    sums = db.cursor().execute(
        "SELECT b.la_code, b.period_index, b.count_of, b.breakdown, sum(b.count) FROM current_breakdowns b "
        "JOIN (SELECT unnest(?::VARCHAR[]) AS la_code, unnest(?::INTEGER[]) AS period_index) k "
        "USING (la_code, period_index) GROUP BY ALL ORDER BY ALL", keys).fetchall()
    if not sums:
        return []
    by_key = {(row.la_code, row.period.index, row.theme): row for row in rows}
    stale: dict[tuple[str, int, str], list[str]] = {}
    added: dict[tuple[str, int, str], float] = {}
    for la_code, index, count_of, breakdown, total in sums:
        row = by_key.get((la_code, index, FIELD_THEME[count_of]))
        if row is not None and count_of in row.values and row.values[count_of] != total:
            stale.setdefault((la_code, index, count_of), []).append(breakdown)
            added[(la_code, index, count_of)] = total
    warnings = []
    for (la_code, index, count_of), breakdowns in stale.items():
        row = by_key[(la_code, index, FIELD_THEME[count_of])]
        value = row.values.get(count_of)
        new = "is not available" if value is None else f"is {value:,.0f}"
        warnings.append(Problem(row.file_row, count_of, None if value is None else f"{value:,.0f}", sentence(
            f"{authority_name(la_code)} {row.period}: {count_of} {new} in this file, but its stored breakdowns by "
            f"{', '.join(breakdowns)} add up to {added[(la_code, index, count_of)]:,.0f}: they stay as stored until "
            f"you send corrected breakdowns ({submission_title(breakdown_return(row.theme)).lower()})"), row.sheet))
    return warnings
