"""The returns tracker: who has returned which theme for a quarter, when, and who is missing."""

from __future__ import annotations

import pandas as pd

from benchmark import reference
from benchmark.analysis.engine import cached, network_members
from benchmark.db import Database
from benchmark.intake.standard import THEMES
from benchmark.periods import Period


def tracker(db: Database, period: Period) -> pd.DataFrame:
    """One row per network authority and theme: returned or not, when, by whom, resubmissions.
    Kept until the next upload (the overview asks for it twice a run); callers must not modify it."""
    return cached(db, f"tracker {period.label}", lambda: _build_tracker(db, period))


def _build_tracker(db: Database, period: Period) -> pd.DataFrame:
    members = network_members(db)
    grid = pd.DataFrame(
        [(la, theme_id) for la in members for theme_id in THEMES], columns=["la_code", "theme"]
    )
    stored = db.frame(
        "SELECT c.la_code, c.theme, c.submitted_at, c.submitted_by, c.file_name, c.versions, "
        "       min(s.submitted_at) AS first_submitted_at "
        "FROM current_returns c "
        "JOIN return_rows r ON r.la_code = c.la_code AND r.period_index = c.period_index "
        "JOIN submissions s ON s.submission_id = r.submission_id AND s.theme = c.theme "
        "WHERE c.period_index = ? GROUP BY ALL",
        [period.index],
    )
    table = grid.merge(stored, on=["la_code", "theme"], how="left")
    table["returned"] = table["submitted_at"].notna()
    table["resubmissions"] = (table["versions"].fillna(1) - 1).astype(int).where(table["returned"], 0)
    table["la_name"] = table["la_code"].map(reference.authority_name)
    table["period"] = period.label
    columns = ["la_code", "la_name", "period", "theme", "returned", "first_submitted_at", "submitted_at",
               "submitted_by", "file_name", "resubmissions"]
    return table[columns].sort_values(["la_name", "theme"]).reset_index(drop=True)


def tracker_grid(db: Database, period: Period) -> pd.DataFrame:
    """Authorities down, themes across: 'returned <date>', 'returned <date> (resubmitted n)' or 'missing'."""
    table = tracker(db, period).copy()
    if table.empty:
        return pd.DataFrame(columns=["la_code", "la_name", *THEMES])

    def status(row: pd.Series) -> str:
        if not row["returned"]:
            return "missing"
        text = f"returned {row['submitted_at']:%d %b %Y}"
        return text + (f" (resubmitted {row['resubmissions']}x)" if row["resubmissions"] else "")

    table["status"] = table.apply(status, axis=1)
    grid = table.pivot(index=["la_code", "la_name"], columns="theme", values="status").reset_index()
    grid.columns.name = None
    return grid[["la_code", "la_name", *THEMES]].sort_values("la_name").reset_index(drop=True)


def completeness(db: Database, period: Period) -> dict[str, object]:
    """Headline counts for the tracker: how complete the network is for the quarter."""
    table = tracker(db, period)
    by_theme = table.groupby("theme")["returned"].sum().reindex(list(THEMES), fill_value=0)
    complete = table.groupby("la_code")["returned"].all()
    return {
        "authorities": int(table["la_code"].nunique()),
        "returns_expected": len(table),
        "returns_received": int(table["returned"].sum()),
        "authorities_complete": int(complete.sum()),
        "by_theme": {theme_id: int(count) for theme_id, count in by_theme.items()},
        "missing": table.loc[~table["returned"], ["la_name", "theme"]].to_records(index=False).tolist(),
        "resubmissions": int(table["resubmissions"].sum()),
    }
