"""Disclosure control for breakdowns (counts by ethnicity, sex, age band, primary need): the most disclosive
cells the product holds, where three Gypsy/Roma children in one borough identify families.

Rules (README, "What each audience sees and why"; the threshold is `RULES.threshold` of disclosure_rules):
- a cell is a group's counts for one authority, quarter and theme; it is hidden (`c`) from everyone but the
  authority itself where any count it shows or implies (those served, those in the service, those with the
  adverse outcome, those without it) is 1-5;
- inside each breakdown the groups add up to the theme's total, which members see: wherever one cell of such a
  sum is hidden a second is hidden too (the smallest other), and likewise for a major ethnic group and its
  categories, until no sum holds exactly one hidden cell;
- a rolling-year figure is hidden wherever any quarter inside it is hidden, so two overlapping windows (or a
  window and the quarters shown on their own) never give a hidden quarter back;
- rates are hidden with their counts and so are the comparison figures (the rest of the authority is the total
  minus the group), since the school census publishes every group's population.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from benchmark.definitions.breakdowns import ETHNICITY, MAJOR_ETHNIC_GROUPS, UNCLASSIFIED, major_ethnic_group
from benchmark.definitions.disclosure_rules import RULES

# The counts that travel together: hiding one group's cell for a theme hides it in every measure of the
# theme, since the measures share their denominators (both transitions measures count those turning 18).
FAMILIES: dict[str, tuple[str, ...]] = {
    "sb_reach": ("sb_children_total",),
    "sb_waiting": ("sb_children_waiting",),
    "adv_late": ("adv_returned", "adv_returned_6wk"),
    "pfa_not_assessed": ("pfa_turned_18", "pfa_care_act_before_18", "pfa_services_at_18"),
    "pfa_no_services": ("pfa_turned_18", "pfa_care_act_before_18", "pfa_services_at_18"),
}
# The whole each part is taken from, so "those without it" is checked too.
WHOLES = {"adv_returned_6wk": "adv_returned", "pfa_care_act_before_18": "pfa_turned_18",
          "pfa_services_at_18": "pfa_turned_18"}


def _small(value: float, threshold: int) -> bool:
    return 1 <= value <= threshold


def _equations(names: Iterable[str], breakdown: str) -> list[list[str]]:
    """The sums a reader knows for one authority and quarter: every level adds up to the theme's total, and a
    major ethnic group is the sum of its categories."""
    names = set(names)
    if breakdown != "ethnicity":
        return [sorted(names)]
    details = [name for name in names if name in ETHNICITY.names()]
    majors = {major_ethnic_group(name) for name in names}
    equations = [sorted(majors)]
    if any(name not in (*MAJOR_ETHNIC_GROUPS, UNCLASSIFIED) for name in details):
        equations.append(sorted(details))
        for major in MAJOR_ETHNIC_GROUPS:
            members = [name for name in details if major_ethnic_group(name) == major]
            if members:
                equations.append([major, *members])
    return equations


Counts = dict[str, dict[str, float]]  # group name -> count of the family -> count (NaN where not returned)


def _hide_quarter(counts: Counts, breakdown: str, threshold: int) -> set[str]:
    """The hidden group names (categories and major groups) of one authority, quarter and family.

    `counts`: each stored group name's counts of the family, in a fixed field order."""
    values = dict(counts)
    fields = list(next(iter(counts.values())))
    if breakdown == "ethnicity":  # major groups as derived cells, when categories were returned
        for major in MAJOR_ETHNIC_GROUPS:
            parts = [name for name in counts if name != major and major_ethnic_group(name) == major]
            if parts and major not in values:
                values[major] = {field: float(sum(counts[name][field] for name in parts
                                                  if counts[name][field] == counts[name][field]))
                                 for field in fields}

    def implied(row: dict[str, float]) -> list[float]:
        out = [value for value in row.values() if value == value]
        out += [row[WHOLES[field]] - row[field] for field in fields if field in WHOLES and WHOLES[field] in row]
        return out

    hidden = {name for name, row in values.items() if any(_small(value, threshold) for value in implied(row))}
    equations = _equations(values, breakdown)
    changed = True
    while changed:
        changed = False
        for equation in equations:
            inside = [name for name in equation if name in hidden]
            if len(inside) != 1:
                continue
            others = [name for name in equation if name not in hidden]
            if not others:
                continue
            first = fields[0]
            partner = min(others, key=lambda name: (values[name][first] == 0, values[name][first], name))
            hidden.add(partner)
            changed = True
    return hidden


def hidden_quarter_cells(stored: pd.DataFrame, measure_id: str, breakdown: str,
                         threshold: int = RULES.threshold) -> pd.DataFrame:
    """Every hidden cell, quarter by quarter: `la_code`, `period_index`, `group` (a stored category, or a major
    ethnic group), from the stored breakdowns (`la_code, period_index, count_of, group_name, count`)."""
    fields = list(FAMILIES[measure_id])
    stored = stored[stored["count_of"].isin(fields)]
    out: list[tuple[str, int, str]] = []
    if stored.empty:
        return pd.DataFrame(out, columns=["la_code", "period_index", "group"])
    wide = (stored.groupby(["la_code", "period_index", "group_name", "count_of"])["count"].sum(min_count=1)
            .unstack("count_of").reindex(columns=fields))
    # Plain dicts, one per authority and quarter: thousands of small quarters, each too small for pandas to pay.
    quarters: dict[tuple[str, int], Counts] = {}
    for (la_code, period_index, name), *row in wide.itertuples(name=None):
        quarters.setdefault((la_code, int(period_index)), {})[name] = dict(zip(fields, map(float, row),
                                                                                strict=True))
    for (la_code, period_index), counts in quarters.items():
        for name in _hide_quarter(counts, breakdown, threshold):
            out.append((la_code, period_index, name))
    return pd.DataFrame(out, columns=["la_code", "period_index", "group"])


def hidden_window_cells(quarter_cells: pd.DataFrame, indexes: list[int], by: str) -> set[tuple[str, str]]:
    """(authority, group of `by`) hidden in the window of `indexes`: any quarter inside it hidden. Each level of
    ethnicity keeps its own hidden cells (the quarter's sums already tie a major group to its categories)."""
    inside = quarter_cells[quarter_cells["period_index"].isin(indexes)]
    level = (set(ETHNICITY.names()) if by == "ethnicity_detail"
             else {*MAJOR_ETHNIC_GROUPS, UNCLASSIFIED} if by == "ethnicity" else None)
    return {(la_code, name) for la_code, name in zip(inside["la_code"], inside["group"], strict=True)
            if level is None or name in level}
