"""Reading stored breakdowns (data standard version 2) as every comparison should see them.

A breakdown is stored as a submission of its own (one per theme whose counts it breaks down), so replacement,
withdrawal and sign-off apply as to theme returns: a signed-off quarter's breakdowns are those current at its
sign-off (the `breakdowns_as_at` macro), unless the revised figures are asked for, as the engine does for values.
"""

from __future__ import annotations

import pandas as pd

from benchmark.db import Database

COLUMNS = ["la_code", "period", "period_index", "count_of", "breakdown", "group_name", "count"]


def _signoffs(db: Database) -> dict[int, tuple[int, int]]:
    """The quarters signed off (and not reopened), with the last submission and withdrawal at sign-off."""
    rows = db.cursor().execute(
        "SELECT period_index, last_submission_id, last_withdrawal_id FROM signed_off").fetchall()
    return {index: (submission, withdrawal) for index, submission, withdrawal in rows}


def stored_breakdowns(db: Database, *, revised: bool = False, period_index: int | None = None) -> pd.DataFrame:
    """Every stored breakdown count, one row per authority, quarter, count, breakdown and group, with the
    columns `la_code, period, period_index, count_of, breakdown, group_name, count`.

    A signed-off quarter gives its breakdowns as at sign-off, other quarters the latest; `revised` gives the
    latest for every quarter. `period_index` keeps one quarter. Every stored authority is included (filter
    to the network's members for the quarter as the engine does); counts are as returned, never suppressed."""
    where, params = ("WHERE period_index = ?", [period_index]) if period_index is not None else ("", [])
    signed = {} if revised else _signoffs(db)
    if period_index is not None:
        signed = {index: marks for index, marks in signed.items() if index == period_index}
    latest = [f"SELECT {', '.join(COLUMNS)} FROM current_breakdowns {where}"]
    if signed:
        latest[0] += (" AND " if where else " WHERE ") + "period_index NOT IN (SELECT unnest(?::INTEGER[]))"
        params.append(list(signed))
    parts = latest
    for index, (submission, withdrawal) in signed.items():
        parts.append(f"SELECT {', '.join(COLUMNS)} FROM breakdowns_as_at(?, ?) WHERE period_index = ?")
        params += [submission, withdrawal, index]
    frame = db.frame(" UNION ALL ".join(parts) + " ORDER BY la_code, period_index, count_of, breakdown, group_name",
                     params)
    return frame[COLUMNS]
