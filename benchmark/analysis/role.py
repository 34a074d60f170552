"""The DSCO role self-assessment: each member's latest answers (a yearly theme: an answer stands until it is
replaced), the count of each answer per item, and DfE's published "DSCO in post" beside the network's own.

Answers are words, never ranked or banded: the role is set up differently on purpose in different places.
"""

from __future__ import annotations

import pandas as pd

from benchmark import reference
from benchmark.analysis.published import dsco_in_post
from benchmark.db import Database
from benchmark.definitions.standard import THEMES, Kind
from benchmark.periods import Period

ROLE_THEME = "dsco_role"
NOT_ANSWERED = "not answered"


def role_items() -> list[tuple[str, str]]:
    """(field, label) of every item of the self-assessment, in the standard's order."""
    return [(spec.name, spec.label) for spec in THEMES[ROLE_THEME].fields]


def _answer(field: str, value: object) -> str:
    spec = next(spec for spec in THEMES[ROLE_THEME].fields if spec.name == field)
    if value is None or pd.isna(value):
        return NOT_ANSWERED
    if spec.kind is Kind.CHOICE:
        return spec.choices[int(value)]
    return f"{float(value):g}"


def role_matrix(db: Database, members: list[str], period: Period) -> pd.DataFrame:
    """One row per member: la_code, la_name, answered (the quarter of its latest answer, at or before `period`),
    DfE's published answer for DSCO in post (latest year), then each item's answer in words."""
    latest = db.frame(
        "SELECT c.la_code, c.period_index, v.field, v.value FROM current_returns c "
        "JOIN current_values v USING (la_code, period_index, theme) "
        "WHERE c.theme = ? AND c.period_index <= ? "
        "QUALIFY dense_rank() OVER (PARTITION BY c.la_code ORDER BY c.period_index DESC) = 1",
        [ROLE_THEME, period.index])
    published = dsco_in_post(db)
    published = published.sort_values("year").drop_duplicates("old_la_code", keep="last").set_index("old_la_code")
    rows = []
    for la_code in members:
        mine = latest[latest["la_code"] == la_code]
        values = dict(zip(mine["field"], mine["value"], strict=True))
        row = {
            "la_code": la_code,
            "la_name": reference.authority_name(la_code),
            "answered": Period.from_index(int(mine["period_index"].iloc[0])).label if len(mine) else NOT_ANSWERED,
            "dfe_dsco_in_post": (f"{published.loc[la_code, 'status']} ({published.loc[la_code, 'year']})"
                                 if la_code in published.index and published.loc[la_code, "status"] else
                                 "not published"),
        }
        row.update({field: _answer(field, values.get(field)) for field, _ in role_items()})
        rows.append(row)
    return pd.DataFrame(rows, columns=["la_code", "la_name", "answered", "dfe_dsco_in_post",
                                       *(field for field, _ in role_items())]).sort_values("la_name", ignore_index=True)


def role_counts(matrix: pd.DataFrame) -> pd.DataFrame:
    """Per item, how many members gave each answer, in words: 'Yes 12, In progress 3, No 1 (16 of 20 answered)'."""
    rows = []
    for field, label in role_items():
        if field not in matrix:
            continue
        answers = matrix[field]
        answered = answers[answers != NOT_ANSWERED]
        spec = next(spec for spec in THEMES[ROLE_THEME].fields if spec.name == field)
        if spec.kind is Kind.CHOICE:
            counts = ", ".join(f"{choice} {int((answered == choice).sum())}" for choice in spec.choices)
        else:
            total = pd.to_numeric(answered, errors="coerce").sum()
            counts = f"total {total:g}"
        rows.append({"Item": label, "Answers": counts,
                     "Answered": f"{len(answered)} of {len(answers)} members"})
    return pd.DataFrame(rows, columns=["Item", "Answers", "Answered"])
