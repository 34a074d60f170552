"""Storing validated returns: every stored file is a submission, kept with its original bytes.

A resubmission for the same authority, quarter and theme supersedes the earlier one in every
comparison (see the current_returns view); the earlier one stays in the history.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from benchmark.db import Database
from benchmark.definitions.breakdowns import BREAKDOWN_RETURNS
from benchmark.definitions.standard import STANDARD_VERSION
from benchmark.intake.breakdowns import stale_breakdowns
from benchmark.intake.validation import ValidationReport, validate
from benchmark.reference import authority_name


@dataclass
class StoreResult:
    """What happened to one file: stored, already there (same bytes), or refused.

    A workbook with a sheet per theme is stored as one submission per theme, all in one transaction."""

    report: ValidationReport
    status: str  # "stored", "duplicate" or "refused"
    submission_id: int | None = None
    replaced: list[tuple[str, str, int]] = field(default_factory=list)
    submission_ids: list[int] = field(default_factory=list)

    @property
    def stored(self) -> bool:
        return self.status in ("stored", "duplicate")

    @property
    def message(self) -> str:
        name = self.report.file_name
        if self.status == "refused":
            return self.report.summary
        if self.status == "duplicate":
            return f"{name}: identical to submission {self.submission_id}, already stored; nothing changed."
        rows = self.report.row_count
        if len(self.submission_ids) > 1:
            numbers = ", ".join(str(number) for number in self.submission_ids)
            text = f"{name}: stored as submissions {numbers} ({', '.join(self.report.themes)}, {rows} row(s))"
        else:
            text = f"{name}: stored as submission {self.submission_id} ({', '.join(self.report.themes)}, {rows} row(s))"
        if self.replaced:
            replaced = ", ".join(f"{authority_name(la)} {period}" for la, period, _ in self.replaced)
            text += f"; replaces the earlier return for {replaced} (kept in the history)"
        return text + "."


# Lists passed as parameters and unnested side by side: no temporary table to register.
_KEYS = "(SELECT unnest(?::VARCHAR[]) AS la_code, unnest(?::INTEGER[]) AS period_index)"


def previous_values(db: Database, keys: set[tuple[str, int]]) -> dict[tuple[str, int, str], float]:
    """Current stored values for these (authority, quarter index) pairs, for plausibility warnings."""
    la_codes, indexes = zip(*sorted(keys), strict=True) if keys else ((), ())
    rows = db.cursor().execute(
        f"SELECT v.la_code, v.period_index, v.field, v.value FROM current_values v "
        f"JOIN {_KEYS} w USING (la_code, period_index) WHERE v.value IS NOT NULL",
        [list(la_codes), list(indexes)],
    ).fetchall()
    return {(la, index, name): value for la, index, name, value in rows}


def validate_against(db: Database | None, file_name: str, content: bytes, today: dt.date | None = None,
                     may_store: Callable[[str], bool] | None = None) -> ValidationReport:
    """Validate a file, comparing with what the database already holds when there is one. `may_store`: the
    authorities whose stored figures the checks may use (and so quote, e.g. the total a breakdown must add up
    to); another authority's stay unread, so that a file naming it cannot probe them."""
    if db is None:
        return validate(file_name, content, today=today)

    def previous(keys: set[tuple[str, int]]) -> dict[tuple[str, int, str], float]:
        allowed = {key for key in keys if may_store is None or may_store(key[0])}
        return previous_values(db, allowed) if allowed else {}

    report = validate(file_name, content, today=today, previous=previous)
    if report.ok:
        for warning in stale_breakdowns(db, report, may_store):
            report.warn(warning)
    return report


# Hooks the access rules (benchmark.service) hand in: one may add errors to a valid report (an
# authority the user may not store for), the other writes the audit lines in the same transaction.
ReportCheck = Callable[[ValidationReport], None]
StoreAudit = Callable[[duckdb.DuckDBPyConnection, int, ValidationReport, list[tuple[str, str, int]]], None]


def store_file(db: Database, file_name: str, content: bytes, submitted_by: str, *,
               submitted_at: dt.datetime | None = None, today: dt.date | None = None,
               check: ReportCheck | None = None, audit: StoreAudit | None = None,
               may_store: Callable[[str], bool] | None = None) -> StoreResult:
    """Validate and store one file, all or nothing; a file with any error stores nothing."""
    report = validate_against(db, file_name, content, today, may_store)
    if check is not None:
        check(report)
    if not report.ok:
        return StoreResult(report, "refused")
    digest = hashlib.sha256(content).hexdigest()
    submission_ids: list[int] = []
    duplicates: list[int] = []
    replaced: list[tuple[str, str, int]] = []
    with db.transaction() as cursor:
        for part in report.parts():
            keys = [[row.la_code for row in part.rows], [row.period.index for row in part.rows]]
            current = cursor.execute(
                f"SELECT k.la_code, c.period, c.submission_id, s.sha256 FROM {_KEYS} k "
                "LEFT JOIN current_returns c ON c.la_code = k.la_code "
                " AND c.period_index = k.period_index AND c.theme = ? "
                "LEFT JOIN submissions s ON s.submission_id = c.submission_id",
                [*keys, part.theme],
            ).fetchall()
            current_ids = {row[2] for row in current}
            if len(current_ids) == 1 and all(row[3] == digest for row in current):
                duplicates.append(current[0][2])
                continue
            submission_id = cursor.execute(
                "INSERT INTO submissions (theme, file_name, sha256, content, row_count, standard_version, "
                "submitted_at, submitted_by, warnings) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "RETURNING submission_id",
                [part.theme, file_name, digest, content, part.row_count, STANDARD_VERSION,
                 submitted_at or dt.datetime.now(), submitted_by,
                 json.dumps([warning.as_dict() for warning in part.warnings])],
            ).fetchall()[0][0]
            _insert_rows(cursor, submission_id, part)
            part_replaced = [(la, period, previous) for la, period, previous, _ in current if previous is not None]
            if audit is not None:
                audit(cursor, submission_id, part, part_replaced)
            submission_ids.append(submission_id)
            replaced += part_replaced
    if not submission_ids:
        return StoreResult(report, "duplicate", submission_id=duplicates[0])
    return StoreResult(report, "stored", submission_id=submission_ids[0], replaced=replaced,
                       submission_ids=submission_ids)


def _insert_rows(cursor: duckdb.DuckDBPyConnection, submission_id: int, report: ValidationReport) -> None:
    rows = report.rows
    cursor.execute(
        "INSERT INTO return_rows SELECT ?, unnest(?::INTEGER[]), unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), "
        "unnest(?::INTEGER[]), unnest(?::VARCHAR[])",
        [submission_id, [row.file_row for row in rows], [row.la_code for row in rows],
         [row.period.label for row in rows], [row.period.index for row in rows], [row.notes for row in rows]],
    )
    cells = [(row.la_code, row.period.index, name, value) for row in rows for name, value in row.values.items()]
    cursor.execute(
        "INSERT INTO return_values SELECT ?, unnest(?::VARCHAR[]), unnest(?::INTEGER[]), unnest(?::VARCHAR[]), "
        "unnest(?::DOUBLE[]), unnest(?::DATE[])",
        [submission_id, [cell[0] for cell in cells], [cell[1] for cell in cells], [cell[2] for cell in cells],
         [cell[3] if isinstance(cell[3], float) else None for cell in cells],
         [cell[3] if isinstance(cell[3], dt.date) else None for cell in cells]],
    )
    groups = [(row.la_code, row.period.index, cell) for row in rows for cell in row.breakdowns]
    if groups:
        cursor.execute(
            "INSERT INTO return_breakdowns SELECT ?, unnest(?::VARCHAR[]), unnest(?::INTEGER[]), "
            "unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), unnest(?::DOUBLE[])",
            [submission_id, [la for la, _, _ in groups], [index for _, index, _ in groups],
             [cell.count_of for _, _, cell in groups], [cell.by for _, _, cell in groups],
             [cell.group for _, _, cell in groups], [cell.count for _, _, cell in groups]],
        )


def preview(db: Database, report: ValidationReport) -> pd.DataFrame:
    """What storing a valid report would write, one row per authority, quarter (and theme, for a
    workbook), saying which earlier return it would replace."""
    frames = [_preview_part(db, part) for part in report.parts()]
    frames = [frame for frame in frames if not frame.empty]
    if len(frames) <= 1:
        return frames[0] if frames else pd.DataFrame()
    return pd.concat(frames, ignore_index=True)


def _preview_part(db: Database, report: ValidationReport) -> pd.DataFrame:
    if report.theme in BREAKDOWN_RETURNS:
        # A breakdown in a line each: the count, the breakdown, how many groups and what they add up to.
        rows = pd.DataFrame([
            {"la_code": row.la_code, "Authority": authority_name(row.la_code), "Quarter": row.period.label,
             "period_index": row.period.index, "count_of": count_of, "by": by, "groups": len(cells),
             "total": sum(cell.count for cell in cells)}
            for row in report.rows
            for (count_of, by), cells in _grouped(row.breakdowns).items()
        ])
    else:
        rows = pd.DataFrame([
            {"la_code": row.la_code, "Authority": authority_name(row.la_code), "Quarter": row.period.label,
             "period_index": row.period.index, **{name: value for name, value in row.values.items()},
             "notes": row.notes}
            for row in report.rows
        ])
    if rows.empty:
        return rows
    stored = db.frame(
        f"SELECT k.la_code, k.period_index, c.submitted_at FROM {_KEYS} k JOIN current_returns c "
        "ON c.la_code = k.la_code AND c.period_index = k.period_index AND c.theme = ?",
        [rows["la_code"].tolist(), rows["period_index"].tolist(), report.theme],
    )
    rows = rows.merge(stored, on=["la_code", "period_index"], how="left")
    rows.insert(3, "Effect", [
        "new return" if pd.isna(when) else f"replaces the return stored {when:%d %b %Y %H:%M}"
        for when in rows.pop("submitted_at")
    ])
    if len(report.themes) == 1 and report.sheets:
        rows.insert(0, "Sheet", next(iter(report.sheets)))
    return rows.drop(columns=["period_index"])


def _grouped(cells: list) -> dict[tuple[str, str], list]:
    grouped: dict[tuple[str, str], list] = {}
    for cell in cells:
        grouped.setdefault((cell.count_of, cell.by), []).append(cell)
    return grouped


def history(db: Database) -> pd.DataFrame:
    """Every submission, newest first, with what it covers and whether it is still current."""
    return db.frame("""
        SELECT s.submission_id, s.submitted_at, s.submitted_by, s.file_name, s.theme, s.row_count,
               s.sha256,
               string_agg(DISTINCT r.period, ', ' ORDER BY r.period) AS periods,
               count(DISTINCT r.la_code) AS authorities,
               count(c.submission_id) AS rows_current,
               any_value(w.withdrawn_at) AS withdrawn_at
        FROM submissions s
        JOIN return_rows r USING (submission_id)
        LEFT JOIN withdrawals w USING (submission_id)
        LEFT JOIN current_returns c
          ON c.submission_id = r.submission_id AND c.la_code = r.la_code AND c.period_index = r.period_index
        GROUP BY ALL
        ORDER BY s.submission_id DESC
    """)


def original_file(db: Database, submission_id: int) -> tuple[str, bytes]:
    """The file name and exact bytes of a stored submission."""
    rows = db.cursor().execute(
        "SELECT file_name, content FROM submissions WHERE submission_id = ?", [submission_id]
    ).fetchall()
    if not rows:
        raise KeyError(f"no submission {submission_id}")
    return rows[0][0], bytes(rows[0][1])


def withdraw(db: Database, submission_id: int, withdrawn_by: str, reason: str,
             audit: Callable[[duckdb.DuckDBPyConnection, list[tuple[str, str]]], None] | None = None) -> None:
    """Take a stored submission out of every comparison: the version before it (if any) becomes
    current again; its rows and original bytes stay in the history. `audit` gets the (authority,
    quarter) pairs it covered, inside the same transaction."""
    with db.transaction() as cursor:
        covered = cursor.execute(
            "SELECT DISTINCT la_code, period FROM return_rows WHERE submission_id = ? ORDER BY ALL",
            [submission_id]).fetchall()
        if not covered:
            raise ValueError(f"there is no submission {submission_id}")
        if cursor.execute("SELECT count(*) FROM withdrawals WHERE submission_id = ?", [submission_id]).fetchall()[0][0]:
            raise ValueError(f"submission {submission_id} is already withdrawn")
        cursor.execute("INSERT INTO withdrawals (submission_id, withdrawn_at, withdrawn_by, reason) "
                       "VALUES (?, ?, ?, ?)", [submission_id, dt.datetime.now(), withdrawn_by, reason])
        if audit is not None:
            audit(cursor, covered)
