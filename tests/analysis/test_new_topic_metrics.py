"""The residential placements metrics and the annual-review metric (issue 20), worked out by hand.

Quarter P = 2026-27 Q2. Populations aged 0-17 (ONS, latest 2024): Camden 35,276, Islington 35,624,
City of London 847.

    residential     res_placed  52wk  far  visited  advocate  reviewed_6m
    202 Camden              12     5    9       10         6           11
    206 Islington           20     4    5       20        15           18
    201 City of London       2     0    2        1         c            2

    advice annual reviews   ar_reviews_known_sc  ar_reviews_sc_contribution
    202 Camden                               30                          21
    206 Islington          (an advice file from before the optional fields: no columns)
"""

from __future__ import annotations

import datetime as dt

import pytest
from support import return_csv

from benchmark.analysis import engine
from benchmark.definitions.metrics import METRICS, Polarity
from benchmark.intake.returns import store_file
from benchmark.periods import Period

P = Period.parse("2026-27 Q2")
TODAY = dt.date(2026, 11, 23)
RESIDENTIAL = {
    "202": dict(res_placed=12, res_placed_52wk=5, res_placed_far=9, res_visited=10, res_advocate=6, res_reviewed_6m=11),
    "206": dict(res_placed=20, res_placed_52wk=4, res_placed_far=5, res_visited=20, res_advocate=15,
                res_reviewed_6m=18),
    "201": dict(res_placed=2, res_placed_52wk=0, res_placed_far=2, res_visited=1, res_advocate="c", res_reviewed_6m=2),
}


@pytest.fixture
def db(tmp_db, example_row):
    rows = [example_row("residential", la, P.label, res_placed_out_of_area=0, **figures)
            for la, figures in RESIDENTIAL.items()]
    assert store_file(tmp_db, "res.csv", return_csv("residential", rows), "t@x", today=TODAY).stored
    camden = example_row("advice", "202", P.label, ar_reviews_known_sc=30, ar_reviews_sc_contribution=21)
    assert store_file(tmp_db, "adv.csv", return_csv("advice", [camden]), "t@x", today=TODAY).stored
    islington = example_row("advice", "206", P.label)
    old_header = [name for name in islington if not name.startswith("ar_")]
    assert store_file(tmp_db, "adv_old.csv", return_csv("advice", [islington], header=old_header), "t@x",
                      today=TODAY).stored
    return tmp_db


def values(db, metric_id):
    table = engine.compare(db, P, metric_id).set_index("la_code")
    return {la: (None if table.loc[la, "value"] != table.loc[la, "value"] else round(table.loc[la, "value"], 3))
            for la in table.index}


def test_placed_per_10000_children_by_hand(db):
    # 12 / 35,276 x 10,000 = 3.402; 20 / 35,624 x 10,000 = 5.614; 2 / 847 x 10,000 = 23.613
    assert values(db, "res_per_10k") == {"202": 3.402, "206": 5.614, "201": 23.613}


@pytest.mark.parametrize(("metric_id", "expected"), [
    ("res_52wk_pct", {"202": 41.667, "206": 20.0, "201": 0.0}),  # 5/12, 4/20, 0/2
    ("res_far_pct", {"202": 75.0, "206": 25.0, "201": 100.0}),  # 9/12, 5/20, 2/2
    ("res_visited_pct", {"202": 83.333, "206": 100.0, "201": 50.0}),  # 10/12, 20/20, 1/2
    ("res_advocate_pct", {"202": 50.0, "206": 75.0, "201": None}),  # 6/12, 15/20, c
    ("res_reviewed_pct", {"202": 91.667, "206": 90.0, "201": 100.0}),  # 11/12, 18/20, 2/2
])
def test_residential_percentages_by_hand(db, metric_id, expected):
    assert values(db, metric_id) == expected


def test_residential_polarities_as_the_issue_sets_them():
    assert {metric_id: METRICS[metric_id].polarity for metric_id in (
        "res_per_10k", "res_52wk_pct", "res_far_pct", "res_visited_pct", "res_advocate_pct", "res_reviewed_pct",
        "ar_sc_contribution_pct")} == {
        "res_per_10k": Polarity.NEUTRAL, "res_52wk_pct": Polarity.NEUTRAL, "res_far_pct": Polarity.LOWER,
        "res_visited_pct": Polarity.HIGHER, "res_advocate_pct": Polarity.HIGHER, "res_reviewed_pct": Polarity.HIGHER,
        "ar_sc_contribution_pct": Polarity.HIGHER}


def test_small_residential_counts_are_marked_small_numbers(db):
    table = engine.compare(db, P, "res_visited_pct").set_index("la_code")
    # Every authority here places fewer than 10 children except Islington (20).
    assert table.loc["201", "small_numbers"] and not table.loc["206", "small_numbers"]
    assert table.loc["201", "numerator"] == 1 and table.loc["201", "denominator"] == 2


def test_annual_review_contribution_by_hand_and_absent_for_an_old_advice_file(db):
    # Camden 21 / 30 = 70.0%; City of London returned no advice; Islington's file has no annual-review
    # columns, so no value (not 0).
    assert values(db, "ar_sc_contribution_pct") == {"202": 70.0, "206": None, "201": None}
