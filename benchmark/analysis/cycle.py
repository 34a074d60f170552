"""The quarterly cycle: return deadlines, the chair's sign-off (and reopening) of a quarter, and
which returns were revised after sign-off.

A sign-off records the last submission and the last withdrawal stored when the chair signed: the
figures of a signed-off quarter are the returns current at that moment (the database's
`returns_as_at` macro), so a pack regenerated later shows what was circulated. Later
resubmissions are stored and listed as revised after sign-off; they are shown only on request.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from benchmark.access.rights import User, record, require_chair
from benchmark.db import Database
from benchmark.periods import Period

DEADLINE_DAYS_SETTING = "deadline_days"
DEFAULT_DEADLINE_DAYS = 28


def deadline_days(db: Database) -> int:
    """Days after a quarter ends by which its return is due, unless the chair set a date."""
    return int(db.setting(DEADLINE_DAYS_SETTING, str(DEFAULT_DEADLINE_DAYS)))


def deadline(db: Database, period: Period) -> dt.date:
    """The return deadline for a quarter: the date the chair set for it, else the default."""
    due = db.scalar("SELECT due FROM return_deadlines WHERE period_index = ?", [period.index])
    return due if due is not None else period.end + dt.timedelta(days=deadline_days(db))


def quarter_deadlines(db: Database) -> dict[Period, dt.date]:
    """The dates the chair set for single quarters (every other quarter follows the days rule)."""
    rows = db.cursor().execute("SELECT period_index, due FROM return_deadlines ORDER BY period_index").fetchall()
    return {Period.from_index(index): due for index, due in rows}


def set_deadline_days(db: Database, actor: User, days: int) -> None:
    require_chair(actor, "set the return deadline")
    if not 0 <= days <= 366:
        raise ValueError(f"the deadline must be 0 to 366 days after the quarter ends, not {days}")
    with db.transaction() as cursor:
        cursor.execute("INSERT OR REPLACE INTO settings VALUES (?, ?)", [DEADLINE_DAYS_SETTING, str(days)])
        record(cursor, actor, "deadline set", detail={"days_after_quarter": days})


def set_deadline(db: Database, actor: User, period: Period, due: dt.date) -> None:
    """A date for one quarter's returns (on or after the quarter's end)."""
    require_chair(actor, "set the return deadline")
    if due < period.end:
        raise ValueError(f"the deadline for {period} cannot be before the quarter ends ({period.end:%d %b %Y})")
    with db.transaction() as cursor:
        cursor.execute("INSERT OR REPLACE INTO return_deadlines VALUES (?, ?, ?, ?)",
                       [period.index, due, dt.datetime.now(), actor.email])
        record(cursor, actor, "deadline set", detail={"period": period.label, "due": due.isoformat()})


@dataclass(frozen=True)
class SignOff:
    """A quarter's sign-off in force: its figures are the returns as at these two marks."""

    period: Period
    signoff_id: int
    signed_at: dt.datetime
    signed_by: str
    last_submission_id: int
    last_withdrawal_id: int

    @property
    def as_at(self) -> tuple[int, int]:
        return self.last_submission_id, self.last_withdrawal_id


def signoffs(db: Database) -> dict[int, SignOff]:
    """Every quarter signed off and not reopened, by quarter index."""
    rows = db.cursor().execute(
        "SELECT period_index, signoff_id, signed_at, signed_by, last_submission_id, last_withdrawal_id "
        "FROM signed_off ORDER BY period_index").fetchall()
    return {row[0]: SignOff(Period.from_index(row[0]), *row[1:]) for row in rows}


def signoff(db: Database, period: Period) -> SignOff | None:
    return signoffs(db).get(period.index)


def sign_off(db: Database, actor: User, period: Period, at: dt.datetime | None = None) -> SignOff:
    """Fix the quarter's figures as they are now (chair only, audited)."""
    require_chair(actor, "sign off a quarter")
    if signoff(db, period) is not None:
        raise ValueError(f"{period} is already signed off; reopen it first to sign it off again")
    if not db.scalar("SELECT count(*) FROM current_returns WHERE period_index = ?", [period.index]):
        raise ValueError(f"{period} has no returns yet: there is nothing to sign off")
    with db.transaction() as cursor:
        cursor.execute(
            "INSERT INTO signoffs (period_index, signed_at, signed_by, last_submission_id, last_withdrawal_id) "
            "SELECT ?, ?, ?, (SELECT coalesce(max(submission_id), 0) FROM submissions), "
            "(SELECT coalesce(max(withdrawal_id), 0) FROM withdrawals)",
            [period.index, at or dt.datetime.now(), actor.email])
        record(cursor, actor, "quarter signed off", detail={"period": period.label})
    return signoff(db, period)


def reopen(db: Database, actor: User, period: Period) -> None:
    """Undo a sign-off (chair only, audited): the quarter shows the latest returns again."""
    require_chair(actor, "reopen a quarter")
    current = signoff(db, period)
    if current is None:
        raise ValueError(f"{period} is not signed off")
    with db.transaction() as cursor:
        cursor.execute("UPDATE signoffs SET reopened_at = ?, reopened_by = ? WHERE signoff_id = ?",
                       [dt.datetime.now(), actor.email, current.signoff_id])
        record(cursor, actor, "quarter reopened", detail={"period": period.label,
                                                          "signed_off": current.signed_at.isoformat()})


def revisions_after_signoff(db: Database, periods: list[Period] | None = None) -> pd.DataFrame:
    """Returns whose current submission differs from the one current at the quarter's sign-off: a
    resubmission, a first return or a withdrawal after sign-off. One row per authority, quarter and
    theme with when it changed."""
    columns = ["la_code", "period_index", "period", "theme", "signed_off_submission", "current_submission",
               "revised_at"]
    frames = []
    for index, item in signoffs(db).items():
        if periods is not None and index not in {period.index for period in periods}:
            continue
        frames.append(db.frame(
            "SELECT coalesce(c.la_code, s.la_code) AS la_code, ? AS period_index, ? AS period, "
            "       coalesce(c.theme, s.theme) AS theme, s.submission_id AS signed_off_submission, "
            "       c.submission_id AS current_submission, c.submitted_at AS revised_at "
            "FROM (SELECT * FROM current_returns WHERE period_index = ?) c "
            "FULL JOIN (SELECT * FROM returns_as_at(?, ?) WHERE period_index = ?) s "
            "  ON c.la_code = s.la_code AND c.theme = s.theme "
            "WHERE c.submission_id IS DISTINCT FROM s.submission_id",
            [index, item.period.label, index, *item.as_at, index]))
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns].sort_values(["period_index", "la_code", "theme"])
