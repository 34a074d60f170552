"""Breakdowns stored straight into the database (a submission, its row and its breakdown cells), so the
inequalities work can be tested before the upload of breakdowns lands."""

from __future__ import annotations

import datetime as dt

from benchmark.db import Database
from benchmark.definitions.standard import FIELD_THEME
from benchmark.periods import Period


def store_breakdowns(db: Database, la_code: str, period: str, cells: dict[tuple[str, str], dict[str, float]],
                     totals: dict[str, float] | None = None) -> int:
    """One theme's submission for an authority and quarter with its breakdown cells:
    `cells[(count_of, by)] = {group: count}`. The theme's totals are the sums of the first breakdown given of
    each count unless `totals` says otherwise. Returns the submission id."""
    fields = {count_of for count_of, _ in cells}
    themes = {FIELD_THEME[field] for field in fields}
    assert len(themes) == 1, "one theme per submission"
    theme = themes.pop()
    index = Period.parse(period).index
    sums: dict[str, float] = {}
    for (count_of, _), groups in cells.items():
        sums.setdefault(count_of, sum(groups.values()))
    sums.update(totals or {})
    with db.transaction() as cursor:
        submission_id = cursor.execute(
            "INSERT INTO submissions (theme, file_name, sha256, content, row_count, standard_version, submitted_at, "
            "submitted_by) VALUES (?, 'breakdowns.csv', 'test', ''::BLOB, 1, 2, ?, 'test') RETURNING submission_id",
            [theme, dt.datetime(2026, 11, 1)]).fetchone()[0]
        cursor.execute("INSERT INTO return_rows VALUES (?, 2, ?, ?, ?, NULL)", [submission_id, la_code, period, index])
        for field, value in sums.items():
            cursor.execute("INSERT INTO return_values VALUES (?, ?, ?, ?, ?, NULL)",
                           [submission_id, la_code, index, field, value])
        for (count_of, by), groups in cells.items():
            for group, count in groups.items():
                cursor.execute("INSERT INTO return_breakdowns VALUES (?, ?, ?, ?, ?, ?, ?)",
                               [submission_id, la_code, index, count_of, by, group, count])
    return submission_id
