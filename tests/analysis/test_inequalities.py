"""The inequalities arithmetic pinned on a hand-worked network: every expected number is worked out in the
comment beside it from the published formulas (Katz, Wilson, Garwood), not from the code under test."""

from __future__ import annotations

import datetime as dt
import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats.contingency import relative_risk

from benchmark.analysis import inequalities
from benchmark.definitions.thresholds import (
    INEQUALITY_MIN_COMPARISON,
    INEQUALITY_MIN_GROUP_COUNT,
    INEQUALITY_MIN_GROUP_DENOMINATOR,
)


def _counts(rows: list[tuple], periods: int = 1) -> pd.DataFrame:
    """(area, group, numerator, denominator[, known]) -> the frame `ratios` reads."""
    frame = pd.DataFrame([(*row, True)[:5] for row in rows],
                         columns=["area", "group", "numerator", "denominator", "known"])
    frame["numerator"] = frame["numerator"].astype(float)
    frame["denominator"] = frame["denominator"].astype(float)
    frame["exposure"] = frame["denominator"] * periods
    return frame


def _row(frame: pd.DataFrame, area: str, group: str) -> pd.Series:
    return frame[(frame["area"] == area) & (frame["group"] == group)].iloc[0]


def test_relative_risk_of_the_adverse_outcome_with_katz_and_wilson() -> None:
    # Authority A, late advice: group X 20 late of 200 (10%), group Y 30 of 600 (5%), Unclassified 5 of 50.
    frame = inequalities.ratios(_counts([("A", "X", 20, 200), ("A", "Y", 30, 600),
                                         ("A", "Unclassified", 5, 50, False)]), "risk")
    x = _row(frame, "A", "X")
    # The comparison side is Y alone: Unclassified is left out of both sides.
    assert (x.comparison_numerator, x.comparison_denominator) == (30, 600)
    assert x.value == pytest.approx(10.0)
    assert x.comparison_value == pytest.approx(5.0)
    # RR = 0.10 / 0.05 = 2. Katz: se(ln RR) = sqrt(1/20 - 1/200 + 1/30 - 1/600) = sqrt(0.0766667) = 0.276887;
    # exp(ln 2 -/+ 1.959964 x 0.276887) = 1.16237 and 3.44126.
    assert x.ratio == pytest.approx(2.0)
    assert (x.ratio_low, x.ratio_high) == pytest.approx((1.16237, 3.44126), abs=1e-5)
    # At 99.8% (z = 3.090232): exp(ln 2 -/+ 3.090232 x 0.276887) = 0.85002 and 4.70579: 1 inside.
    assert (x.strict_low, x.strict_high) == pytest.approx((0.85002, 4.70579), abs=1e-5)
    assert x.judgement == "higher"
    assert x.strict_judgement == "no clear difference"
    # Wilson for 20/200 at 95%: centre (0.1 + z^2/400) / (1 + z^2/200), half-width as Wilson 1927: 6.567%-14.941%.
    assert (x.value_low, x.value_high) == pytest.approx((6.56704, 14.94058), abs=1e-4)
    y = _row(frame, "A", "Y")
    # The mirror: RR = 0.05 / 0.10 = 0.5, interval 1/3.44126 = 0.29059 to 1/1.16237 = 0.86031.
    assert y.ratio == pytest.approx(0.5)
    assert (y.ratio_low, y.ratio_high) == pytest.approx((0.29059, 0.86031), abs=1e-5)
    assert y.judgement == "lower"
    unknown = _row(frame, "A", "Unclassified")
    # Unclassified has no ratio, only its share of the count: 5 of 20 + 30 + 5 = 55, 9.09%.
    assert math.isnan(unknown.ratio) and math.isnan(unknown.value)
    assert unknown.share == pytest.approx(100 * 5 / 55)
    assert unknown.judgement == "too few"


def test_relative_rate_over_a_rolling_year_with_exact_poisson() -> None:
    # Short breaks over four quarters: group X 12 children-quarters from a population of 1,000; the other
    # children 40 from 8,000. Exposure is population x 4 quarters: 4,000 and 32,000 child-quarters.
    frame = inequalities.ratios(_counts([("A", "X", 12, 1000), ("A", "Y", 40, 8000)], periods=4), "rate")
    x = _row(frame, "A", "X")
    # 12 / 4,000 x 10,000 = 30 per 10,000 a quarter; the rest 40 / 32,000 x 10,000 = 12.5; RR = 2.4.
    assert x.value == pytest.approx(30.0)
    assert x.comparison_value == pytest.approx(12.5)
    assert x.ratio == pytest.approx(2.4)
    # Katz: se = sqrt(1/12 - 1/4000 + 1/40 - 1/32000) = 0.328713; exp(ln 2.4 -/+ 1.959964 se) = 1.26012, 4.57101.
    assert (x.ratio_low, x.ratio_high) == pytest.approx((1.26012, 4.57101), abs=1e-5)
    # Garwood: chi2(0.025; 24)/2 = 6.200575 and chi2(0.975; 26)/2 = 20.961585 children, over 4,000 x 10,000.
    assert (x.value_low, x.value_high) == pytest.approx((15.50144, 52.40396), abs=1e-4)
    assert x.judgement == "higher"
    # The denominator stays the population (the small-number rule reads it), the exposure carries the quarters.
    assert (x.denominator, x.exposure) == (1000, 4000)


@pytest.mark.parametrize(("count", "denominator", "comparison", "rule"), [
    (INEQUALITY_MIN_GROUP_COUNT - 1, 200, 600, "count is under 10"),
    (20, INEQUALITY_MIN_GROUP_DENOMINATOR - 1, 600, "denominator is under 30"),
    (20, 200, INEQUALITY_MIN_COMPARISON - 1, "other children number under 30"),
])
def test_each_small_number_rule_stops_a_judgement(count: int, denominator: int, comparison: int, rule: str) -> None:
    # A group 5 times as likely as the rest (interval far from 1) is still not judged below any minimum.
    other = max(1, comparison // 20)
    frame = inequalities.ratios(_counts([("A", "X", count, denominator), ("A", "Y", other, comparison)]), "risk")
    x = _row(frame, "A", "X")
    assert x.judgement == "too few"
    assert rule in x.too_few
    assert bool(x.small_numbers)


def test_exactly_at_every_minimum_is_judged() -> None:
    # 10 of 30 against 10 of 300: RR = 10, interval well above 1, and no rule applies at 10 / 30 / 30.
    frame = inequalities.ratios(_counts([("A", "X", 10, 30), ("A", "Y", 10, 300)]), "risk")
    x = _row(frame, "A", "X")
    assert x.too_few is None
    assert x.judgement == "higher"


def test_a_zero_on_the_other_side_gives_no_ratio() -> None:
    frame = inequalities.ratios(_counts([("A", "X", 12, 100), ("A", "Y", 0, 400)]), "risk")
    assert _row(frame, "A", "X").judgement == "too few"
    assert "no ratio" in _row(frame, "A", "X").too_few


def test_a_symbol_group_is_left_out_of_the_comparison() -> None:
    # DfE's `c` for group Z: its row has no value, and the others are compared with each other only.
    frame = inequalities.ratios(_counts([("A", "X", 20, 200), ("A", "Y", 30, 600), ("A", "Z", math.nan, 90)]), "risk")
    assert _row(frame, "A", "X").comparison_denominator == 600
    assert _row(frame, "A", "Z").judgement == "too few"


def test_areas_are_compared_within_themselves() -> None:
    frame = inequalities.ratios(_counts([("A", "X", 20, 200), ("A", "Y", 30, 600),
                                         ("B", "X", 30, 600), ("B", "Y", 20, 200)]), "risk")
    assert _row(frame, "A", "X").ratio == pytest.approx(2.0)
    assert _row(frame, "B", "X").ratio == pytest.approx(0.5)


def test_composition_shares_include_the_unknown_group() -> None:
    counts = _counts([("A", "Female", 30, 0), ("A", "Male", 60, 0), ("A", "Unknown", 10, 0, False)])
    frame = inequalities.composition(counts)
    assert frame["share"].tolist() == pytest.approx([30.0, 60.0, 10.0])


def test_census_year_is_the_latest_january_not_after_the_period() -> None:
    years = [2019, 2020, 2021]  # 2019/20 .. 2021/22: Januaries 2020, 2021, 2022
    assert inequalities.census_year_for(dt.date(2026, 9, 30), years) == 2021
    assert inequalities.census_year_for(dt.date(2021, 6, 30), years) == 2020  # January 2021
    assert inequalities.census_year_for(dt.date(2015, 6, 30), years) == 2019  # earliest where none is that old


def test_major_groups_and_details() -> None:
    assert inequalities.group_of("ethnicity", "Black - Black African") == "Black"
    assert inequalities.group_of("ethnicity", "Black") == "Black"  # a return giving only major groups
    assert inequalities.group_of("ethnicity", "Any other ethnic group") == "Other"
    assert inequalities.group_of("ethnicity_detail", "Black") is None
    assert inequalities.group_of("ethnicity_detail", "White - Gypsy/Roma") == "White - Gypsy/Roma"


def _scipy_katz(a: float, n: float, b: float, m: float) -> tuple[float, ...]:
    """SciPy's relative risk with its Katz interval at 95% and 99.8%, one row; NaN where no ratio is shown."""
    if not (0 < a <= n and 0 < b <= m):
        return (math.nan,) * 5
    result = relative_risk(int(a), int(n), int(b), int(m))
    display, discussion = (result.confidence_interval(level) for level in (0.95, 0.998))
    return result.relative_risk, display.low, display.high, discussion.low, discussion.high


def test_the_vectorised_katz_interval_is_scipys_on_every_row() -> None:
    # Every combination of zeros, the small-number minimums, large counts and impossible rows (a count above its
    # total, a missing figure), each row held to SciPy's relative_risk: 95% to 1e-12, 99.8% (widened from the
    # 95% interval's standard error) to 1e-9.
    values = [math.nan, 0, 1, 2, 9, 10, 30, 31, 97, 12_345, 1_000_003]
    grid = np.array(list(itertools.product(values, repeat=4)))
    got = np.column_stack(inequalities.katz(*grid.T))
    expected = np.array([_scipy_katz(*row) for row in grid])
    assert np.isfinite(expected).all(axis=1).sum() > 2_000
    # assert_allclose also requires NaN in the same places.
    np.testing.assert_allclose(got[:, :3], expected[:, :3], rtol=1e-12, atol=0)
    np.testing.assert_allclose(got[:, 3:], expected[:, 3:], rtol=1e-9, atol=0)


# --- a hand-worked network of three authorities, one theme (advice), one quarter ----------------------------

QUARTER = "2026-27 Q2"
# Advice provided and provided within 6 weeks, by major ethnic group:
#   Camden (202):    White 100 / 80 in time (20 late), Black 50 / 20 (30 late), Unclassified 10 / 9 (1 late)
#   Islington (206): White  60 / 45 (15 late),          Black 40 / 30 (10 late)
#   Hackney (204):   White  20 / 15 (5 late),           Black  8 /  6 (2 late)
NETWORK_ADVICE = {
    "202": ({"White": 100, "Black": 50, "Unclassified": 10}, {"White": 80, "Black": 20, "Unclassified": 9}),
    "206": ({"White": 60, "Black": 40}, {"White": 45, "Black": 30}),
    "204": ({"White": 20, "Black": 8}, {"White": 15, "Black": 6}),
}


def store_network(db, quarter: str = QUARTER) -> None:
    from breakdown_support import store_breakdowns

    for la_code, (returned, in_time) in NETWORK_ADVICE.items():
        store_breakdowns(db, la_code, quarter, {("adv_returned", "ethnicity"): returned,
                                                ("adv_returned_6wk", "ethnicity"): in_time})


def test_late_advice_on_the_hand_worked_network(tmp_db) -> None:
    store_network(tmp_db)
    table = inequalities.table(tmp_db, "adv_late", "ethnicity", QUARTER)
    rows = table.rows
    camden = rows[(rows.la_code == "202") & (rows.group == "Black")].iloc[0]
    # Camden, Black: 30 late of 50 = 60%; the rest (White; Unclassified left out) 20 of 100 = 20%; RR = 3.
    # Katz: se = sqrt(1/30 - 1/50 + 1/20 - 1/100) = 0.230940; 95%: exp(ln 3 -/+ 1.959964 se) = 1.90785, 4.71735;
    # 99.8%: exp(ln 3 -/+ 3.090232 se) = 1.46955, 6.12434: a discussion item.
    assert (camden.numerator, camden.denominator, camden.value, camden.comparison_value) == (30, 50, 60, 20)
    assert (camden.ratio, camden.ratio_low, camden.ratio_high) == pytest.approx((3.0, 1.90785, 4.71735), abs=1e-5)
    assert (camden.strict_low, camden.strict_high) == pytest.approx((1.46955, 6.12434), abs=1e-5)
    assert (camden.judgement, camden.strict_judgement) == ("higher", "higher")
    unclassified = rows[(rows.la_code == "202") & (rows.group == "Unclassified")].iloc[0]
    assert unclassified.share == pytest.approx(100 * 1 / 51)  # 1 of the 20 + 30 + 1 late
    islington = rows[(rows.la_code == "206") & (rows.group == "Black")].iloc[0]
    assert islington.ratio == pytest.approx(1.0)  # 10/40 = 15/60 = 25%
    assert islington.judgement == "no clear difference"
    hackney = rows[(rows.la_code == "204") & (rows.group == "Black")].iloc[0]
    assert hackney.judgement == "too few"  # 2 late: under 10
    # The network pooled: Black 30 + 10 + 2 = 42 late of 50 + 40 + 8 = 98; White 20 + 15 + 5 = 40 of 180.
    # RR = (42/98) / (40/180) = 1.928571; se = sqrt(1/42 - 1/98 + 1/40 - 1/180) = 0.181796: 1.35049 to 2.75411.
    network = rows[(rows.level == "network") & (rows.group == "Black")].iloc[0]
    assert (network.numerator, network.denominator) == (42, 98)
    assert (network.ratio, network.ratio_low, network.ratio_high) == pytest.approx((1.928571, 1.35049, 2.75411),
                                                                                   abs=1e-5)
    assert any("Katz" in note for note in table.notes)


def test_the_network_leaves_out_the_cells_a_reader_may_not_see(tmp_db) -> None:
    store_network(tmp_db)
    rows = inequalities.table(tmp_db, "adv_late", "ethnicity", QUARTER, excluded={("204", "Black")}).rows
    network = rows[(rows.level == "network") & (rows.group == "Black")].iloc[0]
    # Hackney is left out of the Black row on both sides: Black 40 late of 90, White 35 of 160.
    assert (network.numerator, network.denominator) == (40, 90)
    assert network.ratio == pytest.approx((40 / 90) / (35 / 160))


def test_the_rolling_year_sums_the_quarters(tmp_db) -> None:
    store_network(tmp_db, "2026-27 Q1")
    store_network(tmp_db, QUARTER)
    rolling = inequalities.table(tmp_db, "adv_late", "ethnicity", QUARTER).rows
    one = inequalities.table(tmp_db, "adv_late", "ethnicity", QUARTER, quarter_only=True).rows
    camden = rolling[(rolling.la_code == "202") & (rolling.group == "Black")].iloc[0]
    assert (camden.numerator, camden.denominator, camden.periods) == (60, 100, 2)
    assert one[(one.la_code == "202") & (one.group == "Black")].iloc[0].numerator == 30


def test_reach_by_sex_is_composition_only(tmp_db) -> None:
    from breakdown_support import store_breakdowns

    store_breakdowns(tmp_db, "202", QUARTER, {("sb_children_total", "sex"): {"Female": 40, "Male": 50, "Unknown": 10}})
    store_breakdowns(tmp_db, "206", QUARTER, {("sb_children_total", "sex"): {"Female": 60, "Male": 40}})
    table = inequalities.table(tmp_db, "sb_reach", "sex", QUARTER)
    assert not table.has_ratio
    camden = table.rows[(table.rows.la_code == "202") & (table.rows.group == "Female")].iloc[0]
    # 40 of 100 served; the network: 100 of 200 = 50%.
    assert (camden.value, camden.comparison_value) == pytest.approx((40.0, 50.0))
    assert table.rows["ratio"].isna().all()
    assert any("No population by sex" in note for note in table.notes)


def test_the_network_pools_nothing_when_no_cell_is_usable() -> None:
    # Every group missing (DfE's `c`): no usable cell anywhere, so the network's comparison sides are 0, not a
    # text column that breaks the arithmetic (seen on the demo's transitions breakdowns).
    counts = _counts([("A", "X", math.nan, 90), ("A", "Y", math.nan, 80)])
    pooled = inequalities._pooled_network(counts, "risk", set())
    assert pooled["comparison_denominator"].fillna(0.0).eq(0.0).all()


def test_a_signed_off_quarter_keeps_its_breakdowns_as_at_sign_off(tmp_db) -> None:
    from breakdown_support import store_breakdowns

    from benchmark.access.rights import Role, User
    from benchmark.analysis import cycle
    from benchmark.periods import Period

    store_network(tmp_db)
    chair = User("chair@network.gov.uk", Role.CHAIR, None)
    cycle.sign_off(tmp_db, chair, Period.parse(QUARTER))
    # Camden corrects its Black advice figures after sign-off: the signed-off quarter still shows 30 late of 50.
    store_breakdowns(tmp_db, "202", QUARTER, {("adv_returned", "ethnicity"): {"Black": 50, "White": 100},
                                             ("adv_returned_6wk", "ethnicity"): {"Black": 50, "White": 80}})
    rows = inequalities.table(tmp_db, "adv_late", "ethnicity", QUARTER).rows
    camden = rows[(rows.la_code == "202") & (rows.group == "Black")].iloc[0]
    assert (camden.numerator, camden.denominator) == (30, 50)
