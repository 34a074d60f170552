"""Authorities' commentary: a short explanation of a figure, by the authority's DSCO or uploader,
on a metric (or on a whole theme: a return file's `notes` cell) for its authority and quarter.

Versioned like returns (every version kept, the latest is current; an empty text withdraws it)
and untrusted everywhere: stored as plain text with control characters removed, shown as plain
text on screen and formula-safe in spreadsheets (benchmark/outputs/exports.py safe_cell).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

import duckdb
import pandas as pd

from benchmark.db import Database
from benchmark.definitions.metrics import METRICS
from benchmark.definitions.standard import NOTES_MAX_CHARS, THEMES
from benchmark.periods import Period

MAX_CHARS = NOTES_MAX_CHARS  # the same limit as a return's notes cell, which becomes commentary
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clean(text: str) -> str:
    """The text as stored: control characters (other than line breaks) removed, ends trimmed; a
    ValueError if it is longer than MAX_CHARS."""
    cleaned = _CONTROL.sub("", str(text).replace("\r\n", "\n")).strip()
    if len(cleaned) > MAX_CHARS:
        raise ValueError(f"commentary is at most {MAX_CHARS:,} characters; this is {len(cleaned):,}")
    return cleaned


def subject_name(subject: str) -> str:
    """A metric's or a theme's name, for people."""
    if subject in METRICS:
        return METRICS[subject].name
    if subject in THEMES:
        return f"{THEMES[subject].title} (whole theme)"
    raise ValueError(f"commentary is on a metric or a theme, not '{subject}'")


def insert(cursor: duckdb.DuckDBPyConnection, written_by: str,
           entries: Iterable[tuple[str, Period, str, str, int | None]]) -> None:
    """Store commentary versions (authority, quarter, subject, cleaned text, submission or None)
    inside the caller's transaction."""
    now = dt.datetime.now()
    for la_code, period, subject, text, submission_id in entries:
        cursor.execute(
            "INSERT INTO commentary (la_code, period_index, subject, text, written_at, written_by, submission_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)", [la_code, period.index, subject, text, now, written_by, submission_id])


def current(db: Database, period: Period | None = None, la_codes: Iterable[str] | None = None) -> pd.DataFrame:
    """The current commentary (withdrawn ones left out): la_code, period, subject, text, who, when."""
    frame = db.frame(
        "SELECT la_code, period_index, subject, text, written_by, written_at FROM current_commentary "
        "WHERE text <> '' AND (? IS NULL OR period_index = ?) ORDER BY la_code, subject",
        [None if period is None else period.index] * 2)
    if la_codes is not None:
        frame = frame[frame["la_code"].isin(list(la_codes))].reset_index(drop=True)
    frame.insert(2, "period", frame["period_index"].map(lambda index: Period.from_index(index).label))
    return frame


def history(db: Database, la_code: str, period: Period, subject: str) -> pd.DataFrame:
    """Every version of one commentary, newest first."""
    return db.frame("SELECT text, written_by, written_at, submission_id FROM commentary "
                    "WHERE la_code = ? AND period_index = ? AND subject = ? ORDER BY commentary_id DESC",
                    [la_code, period.index, subject])
