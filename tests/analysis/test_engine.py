"""The benchmark engine checked against figures worked out by hand on a small London network.

The network, quarter P = 2026-27 Q2 (July-September 2026, ends 30 September 2026), advice theme:

    authority           adv_returned  adv_returned_6wk  adv_late_exception  adv_nil_returns  adv_overdue_open
    202 Camden                    20                15                   3                4                 7
    206 Islington                 40                28                   8               10                 2
    204 Hackney                   50                45                   1                5                 3
    210 Southwark                100                35                  20               30                20
    201 City of London             6                 6                   0                1                 0
    213 Westminster                8                 c                   2                1                 1
    208 Lambeth           (no return for P; returned 2026-27 Q1 only)
    330 Birmingham        (no return for P; returned 2026-27 Q1 only: outside London, for the region group)

Camden also returned the seven quarters before P (a rising 6-week % and a rising overdue count) for
the rolling four quarters and the 8-quarter trend. Populations aged 0-17 come from the ONS file via
`benchmark.reference.population_for` (latest estimate 2024): Camden 35,276, Islington 35,624,
Hackney 54,191, Southwark 55,626, City of London 847, Westminster 29,834.

z(95%) = 1.959964 (z^2 = 3.841459), z(99.8%) = 3.090232.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support import return_csv

from benchmark import reference
from benchmark.analysis import engine, stats
from benchmark.analysis.groups import GroupError, save_group
from benchmark.analysis.published import load_published, published_comparator
from benchmark.db import Database, close_database, open_database
from benchmark.definitions.metrics import CATALOGUE, METRICS, POPULATION, Method, Metric, Polarity, _metric
from benchmark.definitions.standard import FIELD_THEME, VALUE_FIELDS
from benchmark.intake.returns import history, store_file
from benchmark.periods import Period
from benchmark.reference import DATA_DIR

TODAY = dt.date(2026, 11, 23)
P = Period.parse("2026-27 Q2")
WHEN = dt.datetime(2026, 11, 2, 9, 30)

ISSUE_IDS = (
    "sb_reach_per_10k", "sb_direct_payment_pct", "sb_overnight_pct", "sb_nights_per_overnight_child",
    "sb_spend_per_child", "sb_waiting_per_10k", "sb_assessment_days_median", "sb_statement_age_months",
    "adv_6wk_pct", "adv_6wk_incl_exceptions_pct", "adv_nil_return_pct", "adv_overdue_per_10k", "adv_audited_pct",
    "adv_audit_good_pct", "ehcp_20wk_pct", "ehcp_sc_provision_pct",
    "pfa_review_sc_pct", "pfa_referred_asc_pct", "pfa_care_act_before_18_pct", "pfa_services_at_18_pct",
)
# The merged catalogue: the 20 issue measures, the annual-review measure among the advice ones and the six
# residential measures at the end (the new-topics branch).
CATALOGUE_IDS = (
    *ISSUE_IDS[:14], "ar_sc_contribution_pct", *ISSUE_IDS[14:],
    "res_per_10k", "res_52wk_pct", "res_far_pct", "res_visited_pct", "res_advocate_pct", "res_reviewed_pct",
)


# --- building the network --------------------------------------------------------------------------------


ADVICE_DEFAULTS = dict(adv_requests=120, adv_audited=5, adv_audited_good=4, ehcp_issued=10, ehcp_issued_20wk=5,
                       ehcp_with_sc_provision=3)


def advice(la: str, period: Period, returned: int, on_time: int | str, exception: int, nil: int,
           overdue: int) -> dict:
    return {**ADVICE_DEFAULTS, "la_code": la, "period": period.label, "adv_returned": returned,
            "adv_returned_6wk": on_time, "adv_late_exception": exception, "adv_nil_returns": nil,
            "adv_overdue_open": overdue}


def short_breaks(la: str, period: Period, waiting: int, reviewed: str) -> dict:
    return {"la_code": la, "period": period.label, "sb_children_total": 200, "sb_children_overnight": 20,
            "sb_children_daytime": 150, "sb_children_direct_payment": 50, "sb_nights_delivered": 100,
            "sb_spend_gbp": 500000, "sb_assessments_completed": 30, "sb_assessment_days_median": 35,
            "sb_children_waiting": waiting, "sb_statement_reviewed": reviewed}


NETWORK_P = [
    advice("202", P, 20, 15, 3, 4, 7),
    advice("206", P, 40, 28, 8, 10, 2),
    advice("204", P, 50, 45, 1, 5, 3),
    advice("210", P, 100, 35, 20, 30, 20),
    advice("201", P, 6, 6, 0, 1, 0),
    advice("213", P, 8, "c", 2, 1, 1),
]
# Camden's seven earlier quarters, oldest first: (adv_returned, adv_returned_6wk, adv_overdue_open).
CAMDEN_HISTORY = [(20, 8, 0), (20, 9, 1), (20, 11, 2), (20, 11, 3), (10, 6, 4), (20, 13, 5), (30, 21, 6)]


def store(db: Database, theme_id: str, rows: list[dict], name: str, when: dt.datetime = WHEN) -> None:
    result = store_file(db, name, return_csv(theme_id, rows), "test", submitted_at=when, today=TODAY)
    assert result.status == "stored", result.report.errors


def build_network(db: Database) -> None:
    history_rows = [
        advice("202", P.shift(position - 7), returned, on_time, 0, 2, overdue)
        for position, (returned, on_time, overdue) in enumerate(CAMDEN_HISTORY)
    ]
    earlier = [advice("208", P.shift(-1), 30, 20, 1, 2, 3), advice("330", P.shift(-1), 10, 5, 0, 1, 1)]
    store(db, "advice", NETWORK_P + history_rows + earlier, "advice.csv")
    store(db, "short_breaks", [
        short_breaks("202", P, 12, "2025-08-15"),
        short_breaks("206", P, 3, "2025-09-30"),
        short_breaks("204", P, 30, "2026-04-01"),
    ], "short_breaks.csv")


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    path = tmp_path_factory.mktemp("engine") / "network.duckdb"
    database = open_database(path)
    build_network(database)
    load_published(database, sorted((DATA_DIR / "published").glob("*.csv")))
    yield database
    close_database(path)


@pytest.fixture
def fresh_db(tmp_path: Path) -> Iterator[Database]:
    path = tmp_path / "fresh.duckdb"
    yield open_database(path)
    close_database(path)


def by_la(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.set_index("la_code")


def row(db: Database, metric_id: str, la: str, period: Period = P) -> pd.Series:
    return by_la(engine.compare(db, period, metric_id)).loc[la]


# --- the metric catalogue ----------------------------------------------------------------------------------


def test_catalogue_has_exactly_the_20_issue_ids_in_order():
    # 27 since the new topics: the 20 issue ids keep their order, with the 7 new measures placed around them
    assert len(CATALOGUE) == 27
    ids = tuple(metric.id for metric in CATALOGUE)
    assert ids == CATALOGUE_IDS
    assert tuple(metric_id for metric_id in ids if metric_id in ISSUE_IDS) == ISSUE_IDS
    assert set(METRICS) == set(CATALOGUE_IDS)


H, L, N = Polarity.HIGHER, Polarity.LOWER, Polarity.NEUTRAL
EXPECTED = {
    # id: (theme, polarity, unit must contain, method)
    "sb_reach_per_10k": ("short_breaks", N, "per 10,000", Method.RATE),
    "sb_direct_payment_pct": ("short_breaks", N, "%", Method.PROPORTION),
    "sb_overnight_pct": ("short_breaks", N, "%", Method.PROPORTION),
    "sb_nights_per_overnight_child": ("short_breaks", N, "nights", Method.RATIO),
    "sb_spend_per_child": ("short_breaks", N, "GBP", Method.RATIO),
    "sb_waiting_per_10k": ("short_breaks", L, "per 10,000", Method.RATE),
    "sb_assessment_days_median": ("short_breaks", L, "days", Method.VALUE),
    "sb_statement_age_months": ("short_breaks", L, "months", Method.AGE_MONTHS),
    "adv_6wk_pct": ("advice", H, "%", Method.PROPORTION),
    "adv_6wk_incl_exceptions_pct": ("advice", H, "%", Method.PROPORTION),
    "adv_nil_return_pct": ("advice", N, "%", Method.PROPORTION),
    "adv_overdue_per_10k": ("advice", L, "per 10,000", Method.RATE),
    "adv_audited_pct": ("advice", H, "%", Method.PROPORTION),
    "adv_audit_good_pct": ("advice", H, "%", Method.PROPORTION),
    "ehcp_20wk_pct": ("advice", H, "%", Method.PROPORTION),
    "ehcp_sc_provision_pct": ("advice", N, "%", Method.PROPORTION),
    "pfa_review_sc_pct": ("transitions", H, "%", Method.PROPORTION),
    "pfa_referred_asc_pct": ("transitions", H, "%", Method.PROPORTION),
    "pfa_care_act_before_18_pct": ("transitions", H, "%", Method.PROPORTION),
    "pfa_services_at_18_pct": ("transitions", H, "%", Method.PROPORTION),
}


@pytest.mark.parametrize("metric_id", ISSUE_IDS)
def test_catalogue_polarity_unit_definition_and_legal_basis(metric_id: str):
    metric = METRICS[metric_id]
    theme, polarity, unit, method = EXPECTED[metric_id]
    assert (metric.theme, metric.polarity, metric.method) == (theme, polarity, method)
    assert unit in metric.unit
    assert len(metric.name) > 5 and len(metric.definition) > 30
    assert any(word in metric.legal_basis for word in ("Regulations", "Act", "Code of Practice"))
    assert isinstance(metric.decimals, int) and 0 <= metric.decimals <= 2


@pytest.mark.parametrize("metric", CATALOGUE, ids=lambda metric: metric.id)
def test_catalogue_numerators_and_denominators_are_fields_of_the_metric_theme(metric: Metric):
    for name in metric.numerator:
        assert name in VALUE_FIELDS
        assert FIELD_THEME[name] == metric.theme
    if metric.method is Method.RATE:
        assert metric.denominator == POPULATION
    elif metric.method in (Method.PROPORTION, Method.RATIO):
        assert metric.denominator in VALUE_FIELDS and FIELD_THEME[metric.denominator] == metric.theme
    else:
        assert metric.denominator is None


def test_catalogue_formulas_of_the_headline_measures():
    assert METRICS["adv_6wk_pct"].numerator == ("adv_returned_6wk",)
    assert METRICS["adv_6wk_pct"].denominator == "adv_returned"
    assert METRICS["adv_6wk_pct"].headline
    assert METRICS["adv_6wk_incl_exceptions_pct"].numerator == ("adv_returned_6wk", "adv_late_exception")
    assert METRICS["sb_statement_age_months"].flag_above == 12
    assert METRICS["adv_6wk_pct"].format(68.75) == "68.8%"


def test_a_metric_built_on_a_field_that_does_not_exist_is_refused():
    with pytest.raises(ValueError, match="adv_made_up"):
        _metric("x_pct", "x", "advice", ("adv_made_up",), "adv_returned", Method.PROPORTION, "%", H, 1, "d", "l")


# --- values, numerators and denominators ----------------------------------------------------------------


def test_adv_6wk_pct_value_numerator_denominator_by_hand(db: Database):
    table = by_la(engine.compare(db, P, "adv_6wk_pct"))
    # value = adv_returned_6wk / adv_returned x 100
    expected = {
        "202": (15, 20, 75.0),  # 15/20 = 0.75
        "206": (28, 40, 70.0),  # 28/40 = 0.70
        "204": (45, 50, 90.0),  # 45/50 = 0.90
        "210": (35, 100, 35.0),  # 35/100
        "201": (6, 6, 100.0),  # 6/6
    }
    for la, (numerator, denominator, value) in expected.items():
        assert table.loc[la, "numerator"] == numerator
        assert table.loc[la, "denominator"] == denominator
        assert table.loc[la, "value"] == pytest.approx(value)


def test_adv_6wk_incl_exceptions_counts_reg_8_2_exceptions_as_on_time(db: Database):
    table = by_la(engine.compare(db, P, "adv_6wk_incl_exceptions_pct"))
    # (adv_returned_6wk + adv_late_exception) / adv_returned x 100
    expected = {
        "202": (18, 20, 90.0),  # (15 + 3) / 20
        "206": (36, 40, 90.0),  # (28 + 8) / 40
        "204": (46, 50, 92.0),  # (45 + 1) / 50
        "210": (55, 100, 55.0),  # (35 + 20) / 100
        "201": (6, 6, 100.0),  # (6 + 0) / 6
    }
    for la, (numerator, denominator, value) in expected.items():
        assert (table.loc[la, "numerator"], table.loc[la, "denominator"]) == (numerator, denominator)
        assert table.loc[la, "value"] == pytest.approx(value)


def test_wilson_interval_for_camden_by_hand(db: Database):
    # Camden 15 of 20: p = 0.75, n = 20, z^2/n = 0.1920729, 1 + z^2/n = 1.1920729
    # centre = (0.75 + 3.841459/40) / 1.1920729 = 0.8460365 / 1.1920729 = 0.7097187
    # half   = 1.959964/1.1920729 * sqrt(0.75*0.25/20 + 3.841459/1600)
    #        = 1.6441645 * sqrt(0.009375 + 0.0024009) = 1.6441645 * 0.1085169 = 0.1784196
    # interval = 0.7097187 -/+ 0.1784196 = 0.5312991 to 0.8881383, shown as 53.13% to 88.81%
    camden = row(db, "adv_6wk_pct", "202")
    assert camden["ci_low"] == pytest.approx(53.12991, abs=1e-4)
    assert camden["ci_high"] == pytest.approx(88.81383, abs=1e-4)
    # City of London 6 of 6: Wilson stays inside 0-100 and reaches 100 at the top.
    city = row(db, "adv_6wk_pct", "201")
    assert city["ci_high"] == pytest.approx(100.0)
    assert 0 < city["ci_low"] < 100


def test_rate_per_10000_uses_the_ons_population(db: Database):
    # Camden: population_for('202', 2026) = 35,276 (the 2024 estimate, the latest not after 2026)
    assert reference.population_for("202", P.end.year) == 35276
    # adv_overdue_per_10k = 7 / 35,276 x 10,000 = 1.984352
    camden = row(db, "adv_overdue_per_10k", "202")
    assert camden["numerator"] == 7
    assert camden["denominator"] == 35276
    assert camden["value"] == pytest.approx(1.984352, abs=1e-6)
    # Exact Poisson for 7 events: 2.814363 to 14.422675 events (chi-squared tables, 14 and 16 df),
    # per 10,000: 2.814363/35,276 x 10,000 = 0.797812 and 14.422675/35,276 x 10,000 = 4.088523
    assert camden["ci_low"] == pytest.approx(0.797812, abs=1e-6)
    assert camden["ci_high"] == pytest.approx(4.088523, abs=1e-6)
    # City of London: 0 / 847 x 10,000 = 0, and its interval starts at 0.
    city = row(db, "adv_overdue_per_10k", "201")
    assert (city["denominator"], city["value"], city["ci_low"]) == (847, 0.0, 0.0)


def test_rate_uses_the_population_estimate_of_the_quarter_year(fresh_db: Database):
    early = Period.parse("2017-18 Q1")  # ends 30 June 2017: the 2017 mid-year estimate
    store(fresh_db, "advice", [advice("202", early, 20, 15, 0, 0, 5)], "early.csv")
    population = reference.population_for("202", 2017)
    assert population != reference.population_for("202", 2024)  # the years really differ
    camden = row(fresh_db, "adv_overdue_per_10k", "202", early)
    assert camden["denominator"] == population
    assert camden["value"] == pytest.approx(5 / population * 10_000)


# --- ranks, bands, medians, funnel ---------------------------------------------------------------------


def test_competition_ranks_share_a_rank_on_a_tie(db: Database):
    # incl. exceptions: City 100, Hackney 92, Camden 90, Islington 90, Southwark 55 (higher is better)
    # -> 1, 2, 3, 3, 5: the tie shares rank 3 and rank 4 is skipped.
    table = by_la(engine.compare(db, P, "adv_6wk_incl_exceptions_pct"))
    assert table.loc[["201", "204", "202", "206", "210"], "rank"].tolist() == [1, 2, 3, 3, 5]
    assert (table["rank"] == 4).sum() == 0


def test_quartile_bands_follow_lait_with_numpy_linear_quartiles(db: Database):
    # adv_6wk_pct values sorted: 35, 70, 75, 90, 100 (n = 5; linear position = q x (n - 1))
    # Q1 at 1 -> 70; Q2 at 2 -> 75; Q3 at 3 -> 90
    # higher is better: A >= 90 (Hackney 90, City 100); B >= 75 (Camden); C >= 70 (Islington); D (Southwark)
    table = by_la(engine.compare(db, P, "adv_6wk_pct"))
    bands = table["quartile_band"].to_dict()
    assert {la: bands[la] for la in ("201", "204", "202", "206", "210")} == {
        "201": "A", "204": "A", "202": "B", "206": "C", "210": "D"}
    assert table.loc[["201", "204", "202", "206", "210"], "rank"].tolist() == [1, 2, 3, 4, 5]
    # top/bottom 20%: ceil(5/5) = 1 each end; City's 6 of 6 rests on small numbers (fewer than 10 cases),
    # so it keeps rank 1 and band A but is not flagged
    assert table.loc["201", "small_numbers"] and pd.isna(table.loc["201", "top_bottom_20"])
    assert table.loc["210", "top_bottom_20"] == "bottom 20%"
    assert pd.isna(table.loc["202", "top_bottom_20"])
    assert not table.loc[["202", "204", "206", "210"], "small_numbers"].any()


def test_network_median_mean_and_difference_from_median(db: Database):
    # median of 35, 70, 75, 90, 100 = 75; mean = (35 + 70 + 75 + 90 + 100) / 5 = 370 / 5 = 74
    table = by_la(engine.compare(db, P, "adv_6wk_pct"))
    assert set(table["network_median"]) == {75.0}
    assert table["network_mean"].iloc[0] == pytest.approx(74.0)
    # diff = value - 75: Southwark 35 - 75 = -40, Hackney 90 - 75 = +15, Camden 0
    assert table.loc["210", "diff_from_median"] == pytest.approx(-40)
    assert table.loc["204", "diff_from_median"] == pytest.approx(15)
    assert table.loc["202", "diff_from_median"] == pytest.approx(0)
    assert table.loc["202", "group_reported"] == 5


def test_funnel_position_against_the_pooled_network_rate(db: Database):
    # network rate = (15 + 28 + 45 + 35 + 6) / (20 + 40 + 50 + 100 + 6) = 129 / 216 = 0.597222
    # p0 (1 - p0) = 0.597222 x 0.402778 = 0.240548
    # Southwark 35/100 = 0.35: se = sqrt(0.240548/100) = 0.049046;
    #   lower 99.8% = 0.597222 - 3.090232 x 0.049046 = 0.445660 -> 0.35 is below it: below_99.8
    # Hackney 45/50 = 0.90: se = sqrt(0.240548/50) = 0.069361;
    #   upper 99.8% = 0.597222 + 3.090232 x 0.069361 = 0.811564 -> above_99.8
    # City 6/6 = 1.00: se = sqrt(0.240548/6) = 0.200228; upper 95% = 0.597222 + 1.959964 x 0.200228 = 0.989662
    #   -> above_95; upper 99.8% = 1.215974, clipped to 1.0, and 1.0 is not above it
    # Camden 15/20 = 0.75: upper 95% = 0.597222 + 1.959964 x 0.109669 = 0.812170 -> within
    # Islington 28/40 = 0.70: upper 95% = 0.597222 + 1.959964 x 0.077548 = 0.749214 -> within
    table = by_la(engine.compare(db, P, "adv_6wk_pct"))
    assert table.loc["210", "funnel"] == "below_99.8"
    assert table.loc["204", "funnel"] == "above_99.8"
    assert table.loc["201", "funnel"] == "above_95"
    assert table.loc["202", "funnel"] == "within"
    assert table.loc["206", "funnel"] == "within"
    assert table.loc["213", "funnel"] is None or pd.isna(table.loc["213", "funnel"])


def test_funnel_adjusted_for_overdispersion_by_hand(db: Database):
    """The same five authorities on the arcsine-square-root scale (Spiegelhalter 2005).

    target = asin(sqrt(0.597222)) = 0.883244; y = asin(sqrt(p)): Camden 1.047198, Islington 0.991157,
    Hackney 1.249046, Southwark 0.633052, City 1.570796; s = 1/(2 sqrt(n)): 0.111803, 0.079057,
    0.070711, 0.05, 0.204124; z = 1.466448, 1.365002, 5.173223, -5.003837, 3.368306.
    Sorted -5.003837, 1.365002, 1.466448, 3.368306, 5.173223: 10th percentile -5.003837 + 0.4 x 6.368839
    = -2.456301; 90th 3.368306 + 0.6 x 1.804917 = 4.451256. Winsorised z^2 = 2.150470, 1.863230, 19.813680,
    6.033415, 11.345485 (sum 41.206280): phi = 8.241256.
    w = 4n = 80, 160, 200, 400, 24: sum 864; sum w^2 = 232,576, / 864 = 269.185185.
    tau2 = (41.206280 - 4) / (864 - 269.185185) = 37.206280 / 594.814815 = 0.062551.
    Adjusted z: Hackney 0.365802 / sqrt(0.005 + 0.062551) = 1.407441 (within, plain: above_99.8);
    Southwark -0.250192 / sqrt(0.0025 + 0.062551) = -0.980948 (within, plain: below_99.8);
    City 0.687552 / sqrt(0.041667 + 0.062551) = 2.129782 (above_95, still classed on small numbers).
    """
    table = by_la(engine.compare(db, P, "adv_6wk_pct"))
    reporting = ["202", "206", "204", "210", "201"]
    assert table.loc[reporting, "overdispersion_phi"].tolist() == pytest.approx([8.241256] * 5, abs=1e-5)
    assert table.loc[reporting, "overdispersion_tau2"].tolist() == pytest.approx([0.062551] * 5, abs=1e-6)
    assert table.loc[reporting, "funnel_adjusted"].tolist() == ["within", "within", "within", "within", "above_95"]
    assert table.loc[["204", "210"], "funnel"].tolist() == ["above_99.8", "below_99.8"]  # the plain classes stay
    assert pd.isna(table.loc["213", "funnel_adjusted"])  # Westminster's 'c': no value, no class


def test_a_peer_group_of_four_is_shown_but_not_judged(db: Database):
    """Camden's neighbours in the network: Camden, Islington, Hackney, Southwark report (4 < 5), so no
    overdispersion is estimated (phi missing, tau2 = 0) and nobody is judged. Without the rule the plain
    z-scores would class Southwark (0.633052 - 0.871538)/0.05 = -4.769722 below_99.8 and Hackney
    (1.249046 - 0.871538)/0.070711 = 5.338767 above_99.8 (the control below); with it there is no band,
    top/bottom 20% or funnel class, but the values, counts, intervals, ranks and pooled rate stay."""
    table = by_la(engine.compare(db, P, "adv_6wk_pct", group="neighbours", for_la="202"))
    mine = table.loc[["202", "206", "204", "210"]]
    assert mine["overdispersion_phi"].isna().all()
    assert mine["overdispersion_tau2"].tolist() == [0.0] * 4
    control = stats.overdispersed_funnel(mine["numerator"], mine["denominator"], "proportion")["position"]
    assert control.tolist() == ["within", "within", "above_99.8", "below_99.8"]
    for judgement in ("funnel_adjusted", "funnel", "quartile_band", "top_bottom_20"):
        assert mine[judgement].isna().all(), judgement
    assert mine["value"].notna().all() and mine["ci_low"].notna().all() and mine["rank"].notna().all()
    assert mine["group_reported"].eq(4).all()


def test_lower_is_better_measure_ranks_the_other_way(db: Database):
    # adv_overdue_per_10k = adv_overdue_open / population x 10,000:
    #   City 0/847 = 0; Westminster 1/29,834 = 0.335188; Hackney 3/54,191 = 0.553597;
    #   Islington 2/35,624 = 0.561419; Camden 7/35,276 = 1.984352; Southwark 20/55,626 = 3.595441
    # lower is better -> ranks 1..6 in that order (smallest first)
    table = by_la(engine.compare(db, P, "adv_overdue_per_10k"))
    order = ["201", "213", "204", "206", "202", "210"]
    assert table.loc[order, "rank"].tolist() == [1, 2, 3, 4, 5, 6]
    assert table.loc["213", "value"] == pytest.approx(0.335188, abs=1e-6)
    assert table.loc["210", "value"] == pytest.approx(3.595441, abs=1e-6)
    # quartiles (n = 6, position q x 5): Q1 at 1.25 = 0.335188 + 0.25 x (0.553597 - 0.335188) = 0.389790
    # Q2 at 2.5 = (0.553597 + 0.561419)/2 = 0.557508; Q3 at 3.75 = 0.561419 + 0.75 x (1.984352 - 0.561419) = 1.628619
    # lower is better: A <= Q1, B <= Q2, C <= Q3, D above
    assert table.loc[order, "quartile_band"].tolist() == ["A", "A", "B", "C", "D", "D"]
    assert table.loc["202", "network_median"] == pytest.approx(0.557508, abs=1e-6)
    # top/bottom 20%: ceil(6/5) = 2 at each end; top = the two lowest, bottom = the two highest, but a rate
    # resting on a count under 10 is small numbers and never flagged: only Southwark's 20 keeps its flag
    assert table.loc[order, "small_numbers"].tolist() == [True, True, True, True, True, False]
    assert table.loc[order[:5], "top_bottom_20"].isna().all()
    assert table.loc["210", "top_bottom_20"] == "bottom 20%"
    # Southwark's high rate is "above" the funnel, which for this measure is the bad side.
    assert table.loc["210", "funnel"] == "above_99.8"


def test_short_break_waiting_rate_is_lower_is_better(db: Database):
    # Islington 3/35,624 x 10,000 = 0.842129; Camden 12/35,276 x 10,000 = 3.401746;
    # Hackney 30/54,191 x 10,000 = 5.535974 -> lowest is best: Islington 1, Camden 2, Hackney 3
    table = by_la(engine.compare(db, P, "sb_waiting_per_10k"))
    assert table.loc["206", "value"] == pytest.approx(0.842129, abs=1e-6)
    assert table.loc["202", "value"] == pytest.approx(3.401746, abs=1e-6)
    assert table.loc[["206", "202", "204"], "rank"].tolist() == [1, 2, 3]
    # The advice-only authorities did not send a short breaks return: no value, no rank.
    assert table.loc["210", ["value", "rank"]].isna().all()


def test_neutral_measure_ranked_high_to_low_without_judgement(db: Database):
    # adv_nil_return_pct: Southwark 30/100 = 30; Islington 10/40 = 25; Camden 4/20 = 20;
    # City 1/6 = 16.667; Westminster 1/8 = 12.5; Hackney 5/50 = 10 -> ranked high to low 1..6
    table = by_la(engine.compare(db, P, "adv_nil_return_pct"))
    order = ["210", "206", "202", "201", "213", "204"]
    assert table.loc[order, "rank"].tolist() == [1, 2, 3, 4, 5, 6]
    assert table.loc["201", "value"] == pytest.approx(100 / 6)
    # quartiles of 10, 12.5, 16.667, 20, 25, 30: Q1 at 1.25 = 12.5 + 0.25 x 4.1667 = 13.5417,
    # Q2 at 2.5 = (16.667 + 20)/2 = 18.3333, Q3 at 3.75 = 20 + 0.75 x 5 = 23.75; banded like "higher"
    assert table.loc[order, "quartile_band"].tolist() == ["A", "A", "B", "C", "D", "D"]
    assert table.loc["202", "network_median"] == pytest.approx(18.333333, abs=1e-6)
    # no top/bottom 20% judgement on a neutral measure
    assert table["top_bottom_20"].isna().all()


# --- missing values ---------------------------------------------------------------------------------------


def test_authority_without_a_return_is_listed_with_nulls_and_not_ranked(db: Database):
    table = by_la(engine.compare(db, P, "adv_6wk_pct"))
    assert {"208", "330"} <= set(table.index)  # members of the network (they returned Q1)
    for la in ("208", "330"):
        lambeth = table.loc[la]
        assert lambeth[["value", "numerator", "denominator", "ci_low", "ci_high", "rank"]].isna().all()
        assert pd.isna(lambeth["quartile_band"])
        assert lambeth["sn_reported"] == 0
    assert table.loc["208", "la_name"] == "Lambeth"
    # the ranked authorities are ranked 1..5 among themselves; the missing ones come last
    assert table["rank"].max() == 5
    assert table.index[-3:].tolist() == sorted(table.index[-3:], key=reference.authority_name)


def test_cell_marked_c_gives_no_value_to_metrics_that_use_it(db: Database):
    # Westminster wrote `c` for adv_returned_6wk: no 6-week value with or without exceptions,
    # but its nil-return percentage (1/8 = 12.5) does not use that field.
    westminster = row(db, "adv_6wk_pct", "213")
    assert pd.isna(westminster["value"]) and pd.isna(westminster["numerator"]) and pd.isna(westminster["rank"])
    assert westminster["denominator"] == 8
    assert pd.isna(row(db, "adv_6wk_incl_exceptions_pct", "213")["value"])
    nil = row(db, "adv_nil_return_pct", "213")
    assert nil["value"] == pytest.approx(12.5)
    assert nil["rank"] == 5
    # and the 5 who reported are all that count towards the 6-week median (not 6)
    assert row(db, "adv_6wk_pct", "202")["group_reported"] == 5


# --- statistical neighbours -------------------------------------------------------------------------------


def test_statistical_neighbours_count_only_those_that_reported(db: Database):
    neighbours = [code for code, _ in reference.statistical_neighbours()["202"]]
    assert len(neighbours) == 10
    # Camden's neighbours: 206, 213, 205, 210, 208, 207, 209, 309, 204, 302. For adv_6wk_pct in P,
    # Islington 70, Southwark 35 and Hackney 90 reported; Westminster wrote c, Lambeth sent nothing,
    # the other five are not in the network. 3 of 10 reported:
    # sn_mean = (70 + 35 + 90) / 3 = 195 / 3 = 65.0; sn_median = 70
    assert {"206", "210", "204", "213", "208"} <= set(neighbours)
    assert "201" not in neighbours  # City of London's 100% must not count
    camden = row(db, "adv_6wk_pct", "202")
    assert camden["sn_reported"] == 3
    assert camden["sn_mean"] == pytest.approx(65.0)
    assert camden["sn_median"] == pytest.approx(70.0)
    assert "Islington: Close" in camden["sn_closeness"]
    assert "Barnet: Not close" in camden["sn_closeness"]
    # For nil returns Westminster counts too (1/8 = 12.5): 4 of 10,
    # sn_mean = (25 + 12.5 + 30 + 10) / 4 = 77.5 / 4 = 19.375; sn_median = (12.5 + 25) / 2 = 18.75
    nil = row(db, "adv_nil_return_pct", "202")
    assert nil["sn_reported"] == 4
    assert nil["sn_mean"] == pytest.approx(19.375)
    assert nil["sn_median"] == pytest.approx(18.75)


# --- rolling four quarters and the 8-quarter trend --------------------------------------------------------


def test_rolling_four_quarters_pools_numerators_and_denominators(db: Database):
    # Camden, the four quarters to P: 6/10, 13/20, 21/30, 15/20
    # rolling = (6 + 13 + 21 + 15) / (10 + 20 + 30 + 20) = 55 / 80 = 68.75%
    # (a mean of the four percentages would be (60 + 65 + 70 + 75) / 4 = 67.5%: not what we want)
    assert row(db, "adv_6wk_pct", "202")["rolling_4q"] == pytest.approx(68.75)
    # incl. exceptions: Camden had exceptions only in P: (6 + 13 + 21 + 15 + 3) / 80 = 58 / 80 = 72.5%
    assert row(db, "adv_6wk_incl_exceptions_pct", "202")["rolling_4q"] == pytest.approx(72.5)
    # a rate: (4 + 5 + 6 + 7) / (4 x 35,276) x 10,000 = 22 / 141,104 x 10,000 = 1.559134
    assert row(db, "adv_overdue_per_10k", "202")["rolling_4q"] == pytest.approx(1.559134, abs=1e-6)
    # Southwark has only one quarter: its rolling figure is that quarter's
    assert row(db, "adv_6wk_pct", "210")["rolling_4q"] == pytest.approx(35.0)


def test_trend_over_8_quarters_judged_by_polarity(db: Database):
    # Camden's 6-week % over 8 quarters: 40, 45, 55, 55, 60, 65, 70, 75 (rising: higher is better)
    # overdue open requests: 0, 1, ..., 7 per 35,276 children (rising: lower is better)
    assert row(db, "adv_6wk_pct", "202")["trend"] == "improving"
    assert row(db, "adv_overdue_per_10k", "202")["trend"] == "worsening"
    # one quarter is not a trend
    assert row(db, "adv_6wk_pct", "210")["trend"] == "not enough data"


def test_series_gives_the_last_8_quarters(db: Database):
    frame = engine.series(db, "adv_6wk_pct", "202", P)
    assert frame["period"].tolist() == [P.shift(k).label for k in range(-7, 1)]
    assert frame["value"].tolist() == pytest.approx([40, 45, 55, 55, 60, 65, 70, 75])
    assert frame["network_median"].iloc[-1] == 75.0
    # P - 1: Camden 21/30 = 70, Lambeth 20/30 = 66.667, Birmingham 5/10 = 50 -> median 66.667
    assert frame["network_median"].iloc[-2] == pytest.approx(200 / 3)


# --- short breaks statement age ---------------------------------------------------------------------------


def test_statement_age_in_whole_months_to_quarter_end_flagged_over_12(db: Database):
    table = by_la(engine.compare(db, P, "sb_statement_age_months"))
    # quarter end 30 Sep 2026.
    # Camden reviewed 15 Aug 2025: (2026 - 2025) x 12 + (9 - 8) = 13 (30 >= 15, no part month) -> flag
    # Islington reviewed 30 Sep 2025: 12 x 1 + 0 = 12 -> not over 12, no flag
    # Hackney reviewed 1 Apr 2026: (9 - 4) = 5 whole months
    assert table.loc["202", "value"] == 13
    assert table.loc["206", "value"] == 12
    assert table.loc["204", "value"] == 5
    assert bool(table.loc["202", "flag"]) is True
    assert bool(table.loc["206", "flag"]) is False
    assert bool(table.loc["204", "flag"]) is False
    # lower is better: Hackney (5) first
    assert table.loc[["204", "206", "202"], "rank"].tolist() == [1, 2, 3]


# --- peer groups ------------------------------------------------------------------------------------------


def test_neighbours_group_ranks_within_the_group(db: Database):
    table = by_la(engine.compare(db, P, "adv_6wk_pct", group="neighbours", for_la="202"))
    expected_members = {"202", *(code for code, _ in reference.statistical_neighbours()["202"])}
    assert set(table.index) == expected_members
    assert "201" not in table.index  # City of London is in the network but not a neighbour
    # Without City (100%): Hackney 90 -> 1, Camden 75 -> 2, Islington 70 -> 3, Southwark 35 -> 4
    assert table.loc[["204", "202", "206", "210"], "rank"].tolist() == [1, 2, 3, 4]
    # bands within the group would be: 35, 70, 75, 90 -> Q1 = 35 + 0.75 x 35 = 61.25, Q2 = 72.5,
    # Q3 = 75 + 0.25 x 15 = 78.75 -> Hackney A, Camden B, Islington C, Southwark D; but four values
    # cannot carry quartiles (MIN_AUTHORITIES_FOR_JUDGEMENT), so the group gives none
    values = table.loc[["204", "202", "206", "210"], "value"]
    assert stats.quartile_bands(values, "higher").tolist() == ["A", "B", "C", "D"]
    assert table["quartile_band"].isna().all()
    assert table.loc["202", "group_reported"] == 4
    # the network median is still the whole network's
    assert table.loc["202", "network_median"] == 75.0
    # neighbours outside the network are listed with no value
    assert pd.isna(table.loc["302", "value"])


def test_custom_group_saved_and_used_by_name(db: Database):
    assert save_group(db, "Inner London", ["Camden", "206", "E09000028"]) == ["202", "206", "210"]
    table = by_la(engine.compare(db, P, "adv_6wk_pct", group="Inner London"))
    assert set(table.index) == {"202", "206", "210"}
    # Camden 75 -> 1, Islington 70 -> 2, Southwark 35 -> 3
    assert table.loc[["202", "206", "210"], "rank"].tolist() == [1, 2, 3]
    # three values: no quartile band, no top/bottom 20% (they would be Camden A, Islington B, Southwark D)
    assert table["quartile_band"].isna().all() and table["top_bottom_20"].isna().all()
    assert set(table["group_reported"]) == {3}
    with pytest.raises(GroupError):
        engine.compare(db, P, "adv_6wk_pct", group="No such group")


def test_region_group_is_the_network_members_in_the_region(db: Database):
    table = engine.compare(db, P, "adv_6wk_pct", group="region", for_la="202")
    assert set(table["la_code"]) == {"201", "202", "204", "206", "208", "210", "213"}  # Birmingham 330 is not
    assert set(engine.compare(db, P, "adv_6wk_pct")["la_code"]) >= {"330"}
    west_midlands = engine.compare(db, P, "adv_6wk_pct", group="region", for_la="330")
    assert west_midlands["la_code"].tolist() == ["330"]
    with pytest.raises(ValueError, match="--for"):
        engine.peer_group(db, "region")


# --- England comparator from published data -------------------------------------------------------------


def test_england_comparator_for_the_20_week_measure(db: Database):
    table = engine.compare(db, P, "ehcp_20wk_pct")
    # England 2024 (the latest calendar year not after September 2026), including exceptions: 45.9
    assert table["england"].tolist() == pytest.approx([45.9] * len(table))
    assert set(table["england_source"]) == {"England 2024 (DfE, calendar year)"}
    # Camden in 2019, including exceptions: 93.1
    value, _ = published_comparator(db, "ehcp_20wk_pct", Period.parse("2019-20 Q3"), "Local authority", "202")
    assert value == pytest.approx(93.1)
    # measures DfE does not publish have no England figure
    assert engine.compare(db, P, "adv_6wk_pct")["england"].isna().all()


# --- the whole scorecard --------------------------------------------------------------------------------


def test_scorecard_and_authority_scorecard_agree_with_compare(db: Database):
    table = engine.scorecard(db)
    assert set(table["metric"]) == set(CATALOGUE_IDS)
    camden = engine.authority_scorecard(db, "202", P)
    assert camden["metric"].tolist() == list(CATALOGUE_IDS)
    mine = camden.set_index("metric")
    assert mine.loc["adv_6wk_pct", "value"] == pytest.approx(75.0)
    assert mine.loc["adv_6wk_pct", "rank"] == row(db, "adv_6wk_pct", "202")["rank"]
    assert pd.isna(mine.loc["pfa_review_sc_pct", "value"])  # no transitions return


def test_resubmission_replaces_the_figures(fresh_db: Database):
    first = [advice("210", P, 100, 35, 20, 30, 20), advice("202", P, 20, 15, 3, 4, 7)]
    store(fresh_db, "advice", first, "first.csv", dt.datetime(2026, 10, 20, 9))
    before = by_la(engine.compare(fresh_db, P, "adv_6wk_pct"))
    assert before.loc["210", "value"] == pytest.approx(35.0)
    assert before.loc[["202", "210"], "rank"].tolist() == [1, 2]
    # Southwark corrects its figures: 80 of 100 on time
    store(fresh_db, "advice", [advice("210", P, 100, 80, 5, 30, 20)], "corrected.csv", dt.datetime(2026, 10, 27, 9))
    after = by_la(engine.compare(fresh_db, P, "adv_6wk_pct"))
    assert after.loc["210", ["numerator", "value"]].tolist() == [80, pytest.approx(80.0)]
    assert after.loc[["210", "202"], "rank"].tolist() == [1, 2]
    # median of 75 and 80 = 77.5
    assert after.loc["202", "network_median"] == pytest.approx(77.5)
    # Camden's figures are untouched and both submissions stay in the history
    assert after.loc["202", "value"] == pytest.approx(75.0)
    assert len(history(fresh_db)) == 2


def test_metric_values_holds_one_row_per_metric_authority_and_quarter(db: Database):
    values = engine.metric_values(db)
    keys = values[["metric", "la_code", "period_index"]]
    assert not keys.duplicated().any()
    # 6 P advice rows + 7 Camden history + 2 earlier = 15 advice rows; 3 short breaks rows
    advice_rows = values[values["metric"] == "adv_6wk_pct"]
    assert len(advice_rows) == 15
    assert values.loc[values["metric"] == "sb_waiting_per_10k", "value"].notna().sum() == 3
    assert np.isnan(values.loc[values["metric"] == "pfa_review_sc_pct", "value"]).all()


def test_zero_denominator_gives_no_value_and_no_rank(fresh_db: Database):
    # Islington provided no advice in the quarter (0 of 0): not 0%, not ranked; Camden alone is ranked
    store(fresh_db, "advice", [advice("202", P, 20, 15, 0, 0, 0), advice("206", P, 0, 0, 0, 0, 0)], "a.csv")
    table = by_la(engine.compare(fresh_db, P, "adv_6wk_pct"))
    assert table.loc["206", "denominator"] == 0
    assert table.loc["206", ["value", "rank", "ci_low"]].isna().all()
    assert table.loc["202", "rank"] == 1 and table.loc["202", "group_reported"] == 1


def test_neutral_trend_is_rising_or_falling_not_judged(fresh_db: Database):
    # Hackney's nil returns: 0, 2, 4, ..., 14 of 20 over 8 quarters = 0%, 10%, ..., 70%: rising
    store(fresh_db, "advice", [advice("204", P.shift(k - 7), 20, 10, 0, 2 * k, 0) for k in range(8)], "h.csv")
    assert row(fresh_db, "adv_nil_return_pct", "204")["trend"] == "rising"
    # and a flat headline measure (10 of 20 every quarter) shows no clear change
    assert row(fresh_db, "adv_6wk_pct", "204")["trend"] == "no clear change"


def test_compare_for_a_quarter_nobody_returned_lists_members_with_nulls(fresh_db: Database):
    store(fresh_db, "advice", [advice("202", P, 20, 15, 0, 0, 0)], "a.csv")
    # Camden is a member from P, the first quarter it returned: the next quarter has no returns yet
    table = engine.compare(fresh_db, P.shift(1), "adv_6wk_pct")
    assert table["la_code"].tolist() == ["202"]
    assert table[["value", "rank", "network_median"]].isna().all(axis=None)
    assert engine.compare(fresh_db, P.shift(-1), "adv_6wk_pct").empty  # before it joined


def test_compare_on_an_empty_database_gives_an_empty_table(fresh_db: Database):
    table = engine.compare(fresh_db, P, "adv_6wk_pct")
    assert table.empty
    assert list(table.columns) == list(engine.COMPARE_COLUMNS)


def test_a_table_asked_for_by_many_threads_at_once_is_built_once(fresh_db: Database):
    builds = []

    def build() -> pd.DataFrame:
        builds.append(threading.current_thread().name)
        time.sleep(0.2)  # long enough for the other threads to ask while this build runs
        return pd.DataFrame({"built": [len(builds)]})

    with ThreadPoolExecutor(max_workers=8) as pool:
        tables = list(pool.map(lambda _: engine.cached(fresh_db, "slow table", build), range(8)))
    assert len(builds) == 1
    assert all(table is tables[0] for table in tables)
    store(fresh_db, "advice", [advice("202", P, 20, 15, 0, 0, 5)], "new.csv")  # a new data version
    assert engine.cached(fresh_db, "slow table", build).iloc[0, 0] == 2 and len(builds) == 2


def test_warm_builds_the_scorecard_that_pages_then_read(fresh_db: Database):
    store(fresh_db, "advice", [advice("202", P, 20, 15, 0, 0, 5)], "camden.csv")
    engine.warm(fresh_db)
    built = engine.scorecard(fresh_db)
    assert engine.scorecard(fresh_db) is built, "the scorecard is kept, not rebuilt"
    assert set(built["la_code"]) == {"202"}
