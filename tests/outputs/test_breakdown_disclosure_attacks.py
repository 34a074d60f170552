"""Attacks on the breakdowns (issue 19, item 5), by a DSCO of another authority who holds every inequalities
table the network shows them, the theme totals of the return and the published school census.

Each attack first runs on a deliberately naive output (only the cells of 1-5 hidden, each table on its own, or
the rate left beside a hidden count) to show the attack works, then on the real output, where it must fail.
"""

from __future__ import annotations

import math

import numpy as np
from breakdown_support import store_breakdowns

from benchmark import service
from benchmark.access import rights
from benchmark.access.rights import Role, Sharing, User
from benchmark.analysis import inequalities
from benchmark.analysis.published import load_published
from benchmark.db import Database
from benchmark.definitions.disclosure_rules import RULES, SUPPRESSED
from benchmark.outputs import breakdown_disclosure, inequality_views
from benchmark.periods import Period
from benchmark.reference import DATA_DIR

CAMDEN, ISLINGTON = "202", "206"
READER = User("dsco@islington.gov.uk", Role.DSCO, ISLINGTON)
QUARTERS = ["2025-26 Q3", "2025-26 Q4", "2026-27 Q1", "2026-27 Q2"]


def determined(equations: list[tuple[dict[str, float], float]]) -> dict[str, float]:
    """Every unknown the linear equations fix to one value (rank test), with that value."""
    names = sorted({name for terms, _ in equations for name in terms})
    if not names:
        return {}
    system = np.array([[terms.get(name, 0.0) for name in names] for terms, _ in equations])
    constants = np.array([constant for _, constant in equations])
    solution = np.linalg.lstsq(system, constants, rcond=None)[0]
    rank = np.linalg.matrix_rank(system)
    fixed = {}
    for k, name in enumerate(names):
        probe = np.zeros(len(names))
        probe[k] = 1.0
        if np.linalg.matrix_rank(np.vstack([system, probe])) == rank:
            fixed[name] = round(float(solution[k]), 6)
    return fixed


def _number(value: object) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def _small_recovered(fixed: dict[str, float]) -> dict[str, float]:
    return {name: value for name, value in fixed.items() if 1 <= value <= RULES.threshold}


# --------------------------------------------------------------------- attack 1: groups add up to the total

ADVICE = {("adv_returned", "ethnicity"): {"White": 100, "Black": 50, "Asian": 3, "Unclassified": 20},
          ("adv_returned_6wk", "ethnicity"): {"White": 80, "Black": 20, "Asian": 2, "Unclassified": 12}}


def _naive_primary_only(db: Database, period: str) -> inequalities.InequalityTable:
    """The naive output: a cell hidden only where its own counts are 1-5, nothing hidden with it."""
    table = inequalities.table(db, "adv_late", "ethnicity", period, quarter_only=True)
    rows = table.rows
    small = {(code, group) for code, group, n, d in zip(rows.la_code, rows.group, rows.numerator, rows.denominator,
                                                       strict=True)
             if 1 <= n <= RULES.threshold or 1 <= d <= RULES.threshold or 1 <= d - n <= RULES.threshold}
    return inequality_views.mask(table, small)


def sum_to_total_attack(table: inequalities.InequalityTable, total_returned: float) -> dict[str, float]:
    """Every group's advice provided, from the visible groups and the theme's total (which members see)."""
    rows = table.rows[table.rows.la_code == CAMDEN]
    terms, constant = {}, total_returned
    for row in rows.to_dict("records"):
        if _number(row["denominator"]) is None:
            terms[row["group"]] = 1.0
        else:
            constant -= row["denominator"]
    return determined([(terms, constant)]) if terms else {}


def test_sum_to_total_differencing(tmp_db: Database) -> None:
    store_breakdowns(tmp_db, CAMDEN, "2026-27 Q2", ADVICE)
    total = float(tmp_db.scalar("SELECT value FROM current_values WHERE field = 'adv_returned'"))
    naive = sum_to_total_attack(_naive_primary_only(tmp_db, "2026-27 Q2"), total)
    assert _small_recovered(naive) == {"Asian": 3.0}  # the attack works on the naive output
    real = service.inequalities_table(tmp_db, READER, "adv_late", "ethnicity", "2026-27 Q2", quarter_only=True)
    camden = real.rows[real.rows.la_code == CAMDEN]
    assert (camden.symbol == SUPPRESSED).sum() >= 2
    assert _small_recovered(sum_to_total_attack(real, total)) == {}


def test_a_major_group_and_its_categories_do_not_give_a_category_back(tmp_db: Database) -> None:
    # Black = 15 African + 3 Caribbean: showing Black (18) and African would give Caribbean back.
    cells = {("sb_children_total", "ethnicity"): {
        "White - White British": 40, "White - Irish": 12, "Black - Black African": 15, "Black - Black Caribbean": 3,
        "Asian - Indian": 20, "Unclassified": 7}}
    store_breakdowns(tmp_db, CAMDEN, "2026-27 Q2", cells)
    stored = tmp_db.frame("SELECT la_code, period_index, count_of, group_name, count FROM current_breakdowns")
    hidden = set(breakdown_disclosure.hidden_quarter_cells(stored, "sb_reach", "ethnicity")["group"])
    assert "Black - Black Caribbean" in hidden
    # Every sum a reader knows holds no hidden cell or at least two: Black = its categories, the major groups
    # add up to the total, and so do the categories.
    black = hidden & {"Black", "Black - Black African", "Black - Black Caribbean"}
    majors = hidden & {"White", "Mixed", "Asian", "Black", "Other", "Unclassified"}
    details = {name for name in hidden if " - " in name or name == "Unclassified"}
    assert len(black) >= 2 and len(majors) != 1 and len(details) >= 2


# --------------------------------------------------------------------- attack 2: overlapping rolling years


def _store_year(db: Database) -> None:
    # Camden's Asian children: 20 a quarter, then 3 in the last quarter.
    for quarter, asian in zip(QUARTERS, (20, 20, 20, 3), strict=True):
        store_breakdowns(db, CAMDEN, quarter, {
            ("adv_returned", "ethnicity"): {"White": 100, "Black": 50, "Asian": asian},
            ("adv_returned_6wk", "ethnicity"): {"White": 80, "Black": 20, "Asian": asian - 1 if asian > 10 else 0}})
        store_breakdowns(db, ISLINGTON, quarter, {
            ("adv_returned", "ethnicity"): {"White": 60, "Black": 40, "Asian": 30},
            ("adv_returned_6wk", "ethnicity"): {"White": 45, "Black": 30, "Asian": 20}})


def rolling_attack(outputs: dict[tuple[str, bool], inequalities.InequalityTable]) -> dict[str, float]:
    """Camden's Asian advice in each quarter, from every quarter-only and rolling-year table seen."""
    equations = []
    for (period, quarter_only), table in outputs.items():
        row = table.rows[(table.rows.la_code == CAMDEN) & (table.rows.group == "Asian")]
        if row.empty or _number(row.iloc[0]["denominator"]) is None:
            continue
        inside = inequalities.window(Period.parse(period), quarter_only)
        quarters = [str(Period.from_index(index)) for index in inside if str(Period.from_index(index)) in QUARTERS]
        equations.append(({quarter: 1.0 for quarter in quarters}, float(row.iloc[0]["denominator"])))
    return determined(equations)


def test_rolling_window_differencing(tmp_db: Database) -> None:
    _store_year(tmp_db)
    naive = {}
    for period in QUARTERS:
        for quarter_only in (True, False):
            table = inequalities.table(tmp_db, "adv_late", "ethnicity", period, quarter_only)
            # Naive: each table suppressed on its own figures (a window's sum of 63 is not small).
            rows = table.rows
            small = {(code, group) for code, group, d in zip(rows.la_code, rows.group, rows.denominator, strict=True)
                     if 1 <= d <= RULES.threshold}
            naive[(period, quarter_only)] = inequality_views.mask(table, small)
    assert _small_recovered(rolling_attack(naive)) == {"2026-27 Q2": 3.0}  # 63 - 60 from the windows
    real = {(period, quarter_only): service.inequalities_table(tmp_db, READER, "adv_late", "ethnicity", period,
                                                                quarter_only=quarter_only)
            for period in QUARTERS for quarter_only in (True, False)}
    assert _small_recovered(rolling_attack(real)) == {}
    # The window holding the small quarter is hidden; the quarters before it stay visible.
    window = real[("2026-27 Q2", False)].rows
    assert window[(window.la_code == CAMDEN) & (window.group == "Asian")].iloc[0]["symbol"] == SUPPRESSED


# --------------------------------------------------------------------- attack 3: the census pins a group


def census_attack(table: inequalities.InequalityTable, population: float, other_population: float,
                  total: float) -> set[float]:
    """The count of Camden's Gypsy/Roma children from any published figure of the row: rate x population, or the
    rest of the authority's rate x the rest's population taken from the total."""
    row = table.rows[(table.rows.la_code == CAMDEN) & (table.rows.group == "White - Gypsy/Roma")].iloc[0]
    found = set()
    if _number(row["value"]) is not None:
        found.add(round(row["value"] * population / inequalities.PER, 6))
    if _number(row["comparison_value"]) is not None:
        found.add(round(total - row["comparison_value"] * other_population / inequalities.PER, 6))
    return found


def test_the_school_census_cannot_pin_a_group(tmp_db: Database) -> None:
    load_published(tmp_db, [DATA_DIR / "published" / "spc_pupils_ethnicity_la_totals_201516_to_202122.csv"])
    groups = {"White - White British": 300, "White - Gypsy/Roma": 3, "Black - Black African": 120,
              "Asian - Bangladeshi": 90, "Unclassified": 12}
    store_breakdowns(tmp_db, CAMDEN, "2026-27 Q2", {("sb_children_total", "ethnicity"): groups})
    people, _ = inequalities.population(tmp_db, "ethnicity_detail", Period.parse("2026-27 Q2").end)
    pupils = people[people.code == CAMDEN].set_index("group")["headcount"]
    known = [name for name in groups if name != "Unclassified"]
    others = float(pupils[[name for name in known if name != "White - Gypsy/Roma"]].sum())
    total = float(sum(groups[name] for name in known))
    table = inequalities.table(tmp_db, "sb_reach", "ethnicity_detail", "2026-27 Q2", quarter_only=True)
    # Naive: the count hidden, the rate (and the rest's rate) left beside it.
    naive = table.rows.copy()
    hidden = (naive.la_code == CAMDEN) & (naive.group == "White - Gypsy/Roma")
    naive.loc[hidden, ["numerator", "denominator"]] = math.nan
    naive_table = inequalities.InequalityTable(table.measure, table.by, table.period_label, naive, table.notes)
    assert 3.0 in census_attack(naive_table, float(pupils["White - Gypsy/Roma"]), others, total)
    real = service.inequalities_table(tmp_db, READER, "sb_reach", "ethnicity_detail", "2026-27 Q2", quarter_only=True)
    assert census_attack(real, float(pupils["White - Gypsy/Roma"]), others, total) == set()
    row = real.rows[(real.rows.la_code == CAMDEN) & (real.rows.group == "White - Gypsy/Roma")].iloc[0]
    assert row["symbol"] == SUPPRESSED and _number(row["ratio"]) is None


# --------------------------------------------------------------------- who sees what


def test_the_authority_itself_sees_its_small_counts(tmp_db: Database) -> None:
    store_breakdowns(tmp_db, CAMDEN, "2026-27 Q2", ADVICE)
    own = User("dsco@camden.gov.uk", Role.DSCO, CAMDEN)
    rows = service.inequalities_table(tmp_db, own, "adv_late", "ethnicity", "2026-27 Q2", quarter_only=True).rows
    asian = rows[(rows.la_code == CAMDEN) & (rows.group == "Asian")].iloc[0]
    assert (asian.numerator, asian.denominator) == (1, 3)


def test_external_gives_judgements_only_for_the_own_authority(tmp_db: Database) -> None:
    store_breakdowns(tmp_db, CAMDEN, "2026-27 Q2", ADVICE)
    store_breakdowns(tmp_db, ISLINGTON, "2026-27 Q2", ADVICE)
    table = service.inequalities_table(tmp_db, READER, "adv_late", "ethnicity", "2026-27 Q2", for_la=ISLINGTON,
                                       audience="external")
    assert set(table.rows.la_code) == {ISLINGTON}
    for record in inequality_views.records(table):
        assert all(record[field] is None for field in ("numerator", "denominator", "value", "comparison_value",
                                                         "ratio", "ratio_low", "ratio_high"))
        assert record["judgement"] in inequalities.JUDGEMENTS


def test_an_anonymous_authoritys_breakdowns_reach_nobody_else(tmp_db: Database) -> None:
    store_breakdowns(tmp_db, CAMDEN, "2026-27 Q2", ADVICE)
    store_breakdowns(tmp_db, ISLINGTON, "2026-27 Q2", ADVICE)
    chair = User("chair@network.gov.uk", Role.CHAIR)
    rights.set_sharing(tmp_db, chair, CAMDEN, Sharing.ANONYMOUS.value)
    for reader in (READER, chair):
        rows = service.inequalities_table(tmp_db, reader, "adv_late", "ethnicity", "2026-27 Q2").rows
        assert CAMDEN not in set(rows.la_code)
        network = rows[(rows.level == "network") & (rows.group == "Black")].iloc[0]
        assert network.denominator == 50  # Islington's alone
    own = User("dsco@camden.gov.uk", Role.DSCO, CAMDEN)
    rows = service.inequalities_table(tmp_db, own, "adv_late", "ethnicity", "2026-27 Q2").rows
    assert CAMDEN in set(rows.la_code)
