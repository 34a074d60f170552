"""The returns tracker: for a quarter, each member authority and collected theme with its status
(not yet due, returned, returned late, overdue), when and by whom, and the chair's chase list."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import pandas as pd

from benchmark import reference
from benchmark.access.membership import network_themes
from benchmark.analysis import cycle
from benchmark.analysis.engine import cached, network_members
from benchmark.db import Database
from benchmark.definitions.standard import THEMES
from benchmark.periods import Period

NOT_YET_DUE, RETURNED, RETURNED_LATE, OVERDUE = "not yet due", "returned", "returned late", "overdue"
STATUSES = (NOT_YET_DUE, RETURNED, RETURNED_LATE, OVERDUE)
REVISED = "revised after sign-off"


def tracker(db: Database, period: Period, today: dt.date | None = None) -> pd.DataFrame:
    """One row per member authority and collected theme: its status against the quarter's deadline,
    when it was first and last stored, by whom, resubmissions, and whether it was revised after
    the quarter's sign-off. The stored part is kept until the next upload."""
    table = cached(db, f"tracker {period.label}", lambda: _build_tracker(db, period)).copy()
    due = cycle.deadline(db, period)
    today = today or dt.date.today()
    first = pd.to_datetime(table["first_submitted_at"]).dt.date
    table["deadline"] = due
    table["status"] = [
        (RETURNED_LATE if day > due else RETURNED) if returned else (OVERDUE if today > due else NOT_YET_DUE)
        for returned, day in zip(table["returned"], first, strict=True)
    ]
    return table


def _build_tracker(db: Database, period: Period) -> pd.DataFrame:
    members = network_members(db, period)
    grid = pd.DataFrame(
        [(la, theme_id) for la in members for theme_id in network_themes(db)], columns=["la_code", "theme"]
    )
    stored = db.frame(
        "SELECT c.la_code, c.theme, c.submitted_at, c.submitted_by, c.file_name, c.versions, "
        "       min(s.submitted_at) AS first_submitted_at "
        "FROM current_returns c "
        "JOIN return_rows r ON r.la_code = c.la_code AND r.period_index = c.period_index "
        "JOIN submissions s ON s.submission_id = r.submission_id AND s.theme = c.theme "
        "WHERE c.period_index = ? AND r.submission_id NOT IN (SELECT submission_id FROM withdrawals) "
        "GROUP BY ALL",
        [period.index],
    )
    earlier = _answered_in_the_year(db, period)
    if len(earlier):  # a quarter's own answer wins over an earlier one
        keys = ["la_code", "theme"]
        earlier = earlier[~earlier.set_index(keys).index.isin(stored.set_index(keys).index)]
        stored = pd.concat([stored, earlier], ignore_index=True) if len(stored) else earlier
    table = grid.merge(stored, on=["la_code", "theme"], how="left")
    table["returned"] = table["submitted_at"].notna()
    table["resubmissions"] = (table["versions"].fillna(1) - 1).astype(int).where(table["returned"], 0)
    revised = cycle.revisions_after_signoff(db, [period])
    table["revised_after_signoff"] = pd.MultiIndex.from_frame(table[["la_code", "theme"]]).isin(
        pd.MultiIndex.from_frame(revised[["la_code", "theme"]].astype(object))) if len(revised) else False
    table["la_name"] = table["la_code"].map(reference.authority_name)
    table["period"] = period.label
    columns = ["la_code", "la_name", "period", "theme", "returned", "first_submitted_at", "submitted_at",
               "submitted_by", "file_name", "resubmissions", "revised_after_signoff"]
    return table[columns].sort_values(["la_name", "theme"]).reset_index(drop=True)


YEARLY_THEMES = tuple(theme.id for theme in THEMES.values() if theme.cadence == "yearly")


def _answered_in_the_year(db: Database, period: Period) -> pd.DataFrame:
    """A yearly theme's latest answer from the three quarters before `period`: it stands until replaced, so it
    counts as this quarter's return."""
    if not YEARLY_THEMES:
        return pd.DataFrame()
    marks = ", ".join("?" * len(YEARLY_THEMES))
    return db.frame(
        "SELECT c.la_code, c.theme, c.submitted_at, c.submitted_by, c.file_name, c.versions, "
        "       c.submitted_at AS first_submitted_at "
        f"FROM current_returns c WHERE c.theme IN ({marks}) AND c.period_index BETWEEN ? AND ? "
        "QUALIFY row_number() OVER (PARTITION BY c.la_code, c.theme ORDER BY c.period_index DESC) = 1",
        [*YEARLY_THEMES, period.index - 3, period.index - 1],
    )


def status_text(row: pd.Series) -> str:
    """A tracker cell in words: 'returned 05 Oct 2026', 'returned late 30 Oct 2026 (resubmitted 1x)',
    'overdue', 'not yet due'; 'revised after sign-off' is added where it applies."""
    if not row["returned"]:
        text = row["status"]
    else:
        text = f"{row['status']} {row['submitted_at']:%d %b %Y}"
        text += f" (resubmitted {row['resubmissions']}x)" if row["resubmissions"] else ""
    return text + (f"; {REVISED}" if row["revised_after_signoff"] else "")


def tracker_grid(db: Database, period: Period, today: dt.date | None = None) -> pd.DataFrame:
    """Member authorities down, collected themes across, each cell its status in words."""
    themes = list(network_themes(db))
    table = tracker(db, period, today)
    if table.empty:
        return pd.DataFrame(columns=["la_code", "la_name", *themes])
    table["cell"] = table.apply(status_text, axis=1)
    grid = table.pivot(index=["la_code", "la_name"], columns="theme", values="cell").reset_index()
    grid.columns.name = None
    return grid[["la_code", "la_name", *themes]].sort_values("la_name").reset_index(drop=True)


def completeness(db: Database, period: Period, today: dt.date | None = None,
                 leave_out: frozenset[str] = frozenset()) -> dict[str, object]:
    """Headline counts for the tracker: how complete the network is for the quarter, without the
    `leave_out` authorities (one a reader could name by elimination)."""
    table = tracker(db, period, today)
    table = table[~table["la_code"].isin(leave_out)]
    themes = list(network_themes(db))
    by_theme = table.groupby("theme")["returned"].sum().reindex(themes, fill_value=0)
    complete = table.groupby("la_code")["returned"].all()
    return {
        "authorities": int(table["la_code"].nunique()),
        "returns_expected": len(table),
        "returns_received": int(table["returned"].sum()),
        "authorities_complete": int(complete.sum()),
        "by_theme": {theme_id: int(count) for theme_id, count in by_theme.items()},
        "missing": table.loc[~table["returned"], ["la_name", "theme"]].to_records(index=False).tolist(),
        "overdue": int((table["status"] == OVERDUE).sum()),
        "returned_late": int((table["status"] == RETURNED_LATE).sum()),
        "revised_after_signoff": int(table["revised_after_signoff"].sum()),
        "deadline": cycle.deadline(db, period),
        "resubmissions": int(table["resubmissions"].sum()),
    }


def chase_list(db: Database, period: Period, today: dt.date | None = None) -> pd.DataFrame:
    """The chair's chase list: each overdue authority with its overdue themes, the uploader and DSCO
    addresses from the member list, and a mailto: link with a prefilled subject."""
    table = tracker(db, period, today)
    overdue = table[table["status"] == OVERDUE]
    people = db.frame("SELECT la_code, role, email FROM members WHERE role IN ('uploader', 'dsco') ORDER BY email")
    due = cycle.deadline(db, period)
    rows = []
    for la_code, items in overdue.groupby("la_code", sort=False):
        mine = people[people["la_code"] == la_code]
        uploaders = mine.loc[mine["role"] == "uploader", "email"].tolist()
        dscos = mine.loc[mine["role"] == "dsco", "email"].tolist()
        themes = [THEMES[theme].title for theme in items["theme"]]
        subject = f"DSCO network return for {period} overdue: {', '.join(themes)} (due {due:%d %b %Y})"
        recipients = ",".join(uploaders + dscos)
        rows.append({"la_code": la_code, "authority": reference.authority_name(la_code),
                     "overdue_themes": "; ".join(themes), "uploaders": ", ".join(uploaders),
                     "dscos": ", ".join(dscos), "deadline": due,
                     "mailto": f"mailto:{recipients}?subject={quote(subject)}" if recipients else ""})
    columns = ["la_code", "authority", "overdue_themes", "uploaders", "dscos", "deadline", "mailto"]
    return pd.DataFrame(rows, columns=columns).sort_values("authority").reset_index(drop=True)
