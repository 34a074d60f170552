"""The likely-next inspection list in words, as the page, the command line and the pack show it."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from benchmark.definitions.inspections import FOLLOW_UP, NOT_STATED

NOT_IN_SUMMARY = "no inspection in the summary"  # the summary covers the reports published so far, not every area
JSON_FIELDS = ("la_code", "la_name", "outcome", "inspection_end", "published", "next_due_by", "next_due_kind",
               "months_since")


def _day(value: object) -> str:
    return f"{value:%d %b %Y}" if isinstance(value, dt.date) else NOT_STATED


def _next(row: dict) -> str:
    if row["next_due_by"] is None:
        return NOT_STATED
    text = f"{row['next_due_kind']} inspection by {_day(row['next_due_by'])}"
    return f"{text} (date passed)" if row["due_passed"] else text


def likely_next_view(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per authority, every cell in words (never colour alone): outcome, dates, what is due."""
    rows = []
    for number, row in enumerate(frame.to_dict("records"), start=1):
        inspected = row["inspection_end"] is not None or row["published"] is not None
        rows.append({
            "Order": number,
            "Authority": row["la_name"],
            "Outcome": (row["outcome"] or "no grade in the summary") if inspected
            else NOT_IN_SUMMARY,
            "Inspection ended": _day(row["inspection_end"]) if inspected else "",
            "Published": _day(row["published"]) if inspected else "",
            "Next inspection": _next(row) if inspected else "",
            # Text throughout: a column of numbers and blanks is not one Arrow type.
            "Months since": "" if row["months_since"] is None else str(int(row["months_since"])),
            "What follows the outcome": FOLLOW_UP.get(row["outcome"] or "", ""),
        })
    return pd.DataFrame(rows, columns=["Order", "Authority", "Outcome", "Inspection ended", "Published",
                                       "Next inspection", "Months since", "What follows the outcome"])


def likely_next_json(frame: pd.DataFrame) -> list[dict]:
    """The command line's JSON rows: ISO dates or null, whole months or null."""
    return [{name: (row[name].isoformat() if isinstance(row[name], dt.date)
                    else None if row[name] is None or (isinstance(row[name], float) and row[name] != row[name])
                    else int(row[name]) if name == "months_since" else row[name]) for name in JSON_FIELDS}
            for row in frame.to_dict("records")]
