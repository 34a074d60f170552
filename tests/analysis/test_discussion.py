"""The discussion list's rules, sentences, ranking and cap, on a hand-made peer-group table.

`discussion.find_items` reads the engine's peer-group scorecard; here that table is written out
row by row (three quarters, a few authorities), so each rule is pinned on figures one can read.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from benchmark.analysis import discussion, engine, stats
from benchmark.analysis.discussion import disparity_items
from benchmark.analysis.engine import PeerGroup
from benchmark.analysis.inequalities import MEASURES, InequalityTable
from benchmark.periods import Period

NOW = Period.parse("2026-27 Q2")
LAST = NOW.shift(-1)
BEFORE = NOW.shift(-2)
NETWORK = PeerGroup("network", "the whole network", ("202", "206", "204", "210", "201"))


def row(la_code: str, metric: str, period: Period, value: float, numerator: float = math.nan,
        denominator: float = math.nan, **columns: object) -> dict:
    """One scorecard row; everything not given is unremarkable (within, no flag, no clear change)."""
    return {"la_code": la_code, "metric": metric, "period_index": period.index, "value": value,
            "numerator": numerator, "denominator": denominator, "small_numbers": False,
            "funnel_adjusted": "within", "funnel_z": 0.5, "top_bottom_20": None, "trend": "no clear change",
            "trend_p": 0.5, "flag": False, "group_rate": 0.702, "group_median": 70.0, "overdispersion_phi": 1.8,
            **columns}


@pytest.fixture
def scorecard(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """Rows appended by a test become the peer group's scorecard."""
    rows: list[dict] = []
    monkeypatch.setattr(engine, "peer_group", lambda db, key, for_la=None: NETWORK)
    monkeypatch.setattr(engine, "group_scorecard", lambda db, peers, revised=False: pd.DataFrame(rows))
    return rows


def items(**kwargs: object) -> list[discussion.Item]:
    return discussion.find_items(None, NOW, **kwargs)


def test_beyond_998_this_quarter_with_the_issue_sentence(scorecard: list[dict]) -> None:
    """Barking and Dagenham-style: 47 of 100 against a network rate of 70.2%, adjusted z = -3.5, and in the
    bottom 20% for three quarters: one item, both reasons, the strongest first; strength = |z| = 3.5."""
    for period in (BEFORE, LAST):
        scorecard.append(row("202", "adv_6wk_pct", period, 50.0, 50, 100, top_bottom_20="bottom 20%"))
    scorecard.append(row("202", "adv_6wk_pct", NOW, 47.0, 47, 100, funnel_adjusted="below_99.8", funnel_z=-3.5,
                         top_bottom_20="bottom 20%"))
    [item] = items()
    assert item.sentence() == (
        "Camden: social care advice within 6 weeks 47.0% (47 of 100) against a network rate of 70.2%: below the "
        "99.8% limits allowing for variation between authorities, and in the bottom 20% for 3 quarters.")
    assert item.kind == discussion.BEYOND_998 and item.strength == pytest.approx(3.5)
    assert [reason.kind for reason in item.reasons] == [discussion.BEYOND_998, discussion.BOTTOM_20_RUNNING]
    assert item.sentence(figures=False) == (
        "Camden: social care advice within 6 weeks: below the 99.8% limits allowing for variation between "
        "authorities, and in the bottom 20% for 3 quarters.")


def test_beyond_95_needs_two_quarters_on_the_same_side(scorecard: list[dict]) -> None:
    """Islington above 95% last quarter and this one: raised, strength (2.2 + 2.6)/sqrt(2) = 3.394113.
    Hackney above 95% now but below last quarter, and Southwark beyond 95% only now: not raised."""
    scorecard += [
        row("206", "adv_6wk_pct", LAST, 90.0, 36, 40, funnel_adjusted="above_95", funnel_z=2.2),
        row("206", "adv_6wk_pct", NOW, 92.5, 37, 40, funnel_adjusted="above_95", funnel_z=2.6),
        row("204", "adv_6wk_pct", LAST, 40.0, 20, 50, funnel_adjusted="below_95", funnel_z=-2.1),
        row("204", "adv_6wk_pct", NOW, 92.0, 46, 50, funnel_adjusted="above_95", funnel_z=2.3),
        row("210", "adv_6wk_pct", LAST, 70.0, 70, 100),
        row("210", "adv_6wk_pct", NOW, 50.0, 50, 100, funnel_adjusted="below_95", funnel_z=-2.5),
    ]
    [item] = items()
    assert item.la_code == "206" and item.kind == discussion.BEYOND_95_TWICE
    assert item.strength == pytest.approx((2.2 + 2.6) / math.sqrt(2))
    assert item.sentence().endswith(
        "above the 95% limits allowing for variation between authorities this quarter and last.")


def test_worsening_trend_is_raised_with_its_p_value(scorecard: list[dict]) -> None:
    """A worsening 8-quarter trend with p = 0.012: strength = the normal quantile of 1 - 0.012/2 = 2.512144.
    An improving one is not raised; nor is a rising statement age (the statement rule covers it)."""
    scorecard += [
        row("210", "adv_6wk_pct", NOW, 35.0, 35, 100, trend="worsening", trend_p=0.012),
        row("204", "adv_6wk_pct", NOW, 90.0, 45, 50, trend="improving", trend_p=0.001),
        row("206", "sb_statement_age_months", NOW, 10.0, trend="worsening", trend_p=0.0001),
    ]
    [item] = items()
    assert item.la_code == "210" and item.kind == discussion.WORSENING_TREND
    assert item.strength == pytest.approx(2.512144, abs=1e-6)
    assert item.sentence() == ("Southwark: social care advice within 6 weeks 35.0% (35 of 100) against a network "
                               "rate of 70.2%: worsening over the last 8 quarters (p = 0.012).")


def test_statement_not_reviewed_in_12_months(scorecard: list[dict]) -> None:
    """A statement last reviewed 18 months before the quarter's end (flagged) is an item; 11 months is not."""
    scorecard += [
        row("202", "sb_statement_age_months", NOW, 18.0, flag=True, group_median=8.0),
        row("206", "sb_statement_age_months", NOW, 11.0, group_median=8.0),
    ]
    [item] = items()
    assert item.kind == discussion.STATEMENT_OVERDUE and item.strength == pytest.approx(stats.Z_95)
    assert item.sentence() == (
        "Camden: months since the short breaks statement was reviewed 18 months against a network median of "
        "8 months: the short breaks statement has not been reviewed in the last 12 months.")


def test_bottom_20_needs_three_quarters_running(scorecard: list[dict]) -> None:
    """Bottom 20% in all three quarters: raised; in two of three: not."""
    for period in (BEFORE, LAST, NOW):
        scorecard.append(row("210", "ehcp_20wk_pct", period, 30.0, 30, 100, top_bottom_20="bottom 20%",
                             funnel_z=-1.2))
    for period, flag in ((BEFORE, None), (LAST, "bottom 20%"), (NOW, "bottom 20%")):
        scorecard.append(row("204", "ehcp_20wk_pct", period, 31.0, 31, 100, top_bottom_20=flag))
    [item] = items()
    assert item.la_code == "210" and item.kind == discussion.BOTTOM_20_RUNNING
    assert item.strength == pytest.approx(1.2)


def test_small_numbers_never_become_items(scorecard: list[dict]) -> None:
    """0 of 3 beyond the 99.8% limits and worsening: small numbers, so nothing is raised."""
    scorecard.append(row("202", "pfa_services_at_18_pct", NOW, 0.0, 0, 3, small_numbers=True,
                         funnel_adjusted="below_99.8", funnel_z=-3.4, trend="worsening", trend_p=0.01))
    assert items() == []


def test_rates_quote_their_count(scorecard: list[dict]) -> None:
    scorecard.append(row("210", "sb_waiting_per_10k", NOW, 12.3, 68, 55_626, funnel_adjusted="above_99.8",
                         funnel_z=3.3, group_rate=0.00041))
    [item] = items()
    assert item.sentence() == (
        "Southwark: children waiting for short breaks per 10,000 12.3 (count 68) against a network rate of 4.1: "
        "above the 99.8% limits allowing for variation between authorities.")


def test_limits_allow_for_variation_only_where_it_was_estimated(scorecard: list[dict]) -> None:
    """No phi (no overdispersion estimated): the sentence may not claim the limits allow for it."""
    scorecard.append(row("210", "sb_waiting_per_10k", NOW, 12.3, 68, 55_626, funnel_adjusted="above_99.8",
                         funnel_z=3.3, group_rate=0.00041, overdispersion_phi=math.nan))
    [item] = items()
    assert item.sentence().endswith("above the 99.8% limits for chance alone.")
    assert "variation between authorities" not in item.sentence()


def test_names_as_the_reader_sees_them(scorecard: list[dict]) -> None:
    scorecard.append(row("210", "adv_6wk_pct", NOW, 35.0, 35, 100, trend="worsening", trend_p=0.01))
    [item] = items(names={"210": "Authority B"})
    assert item.sentence().startswith("Authority B: ")


def test_shortlist_is_capped_ranked_and_grouped_by_theme(scorecard: list[dict]) -> None:
    """20 items of strengths 3.1 ... 5.0 over two themes: the 15 strongest are kept, transitions' items
    after advice's (theme order), each theme strongest first; 5 are left out and that is said."""
    codes = ["201", "202", "204", "206", "210"]
    metrics = ["adv_6wk_pct", "adv_audited_pct", "pfa_review_sc_pct", "pfa_services_at_18_pct"]
    strength = 3.1
    for metric in metrics:
        for code in codes:
            scorecard.append(row(code, metric, NOW, 10.0, 10, 100, funnel_adjusted="below_99.8", funnel_z=-strength))
            strength += 0.1
    found = items()
    assert len(found) == 20
    shown, left_out = discussion.shortlist(found)
    assert len(shown) == discussion.DISCUSSION_LIMIT == 15 and left_out == 5
    assert [item.theme for item in shown] == ["advice"] * 5 + ["transitions"] * 10
    advice = [item.strength for item in shown if item.theme == "advice"]
    assert advice == sorted(advice, reverse=True) and min(advice) == pytest.approx(3.6)
    assert discussion.left_out_text(left_out, "on the sheet") == "5 more items were left out: the full table is on " \
                                                                 "the sheet."
    assert discussion.left_out_text(0, "anywhere") == ""


def test_json_contract_columns(scorecard: list[dict]) -> None:
    scorecard.append(row("210", "adv_6wk_pct", NOW, 35.0, 35, 100, trend="worsening", trend_p=0.01))
    frame = discussion.as_frame(items())
    assert list(frame.columns) == ["la_code", "la_name", "theme", "metric", "kind", "sentence", "strength"]
    assert frame.iloc[0].to_dict() == {
        "la_code": "210", "la_name": "Southwark", "theme": "advice", "metric": "adv_6wk_pct",
        "kind": "worsening_trend", "strength": 2.58,
        "sentence": "Southwark: social care advice within 6 weeks 35.0% (35 of 100) against a network rate of "
                    "70.2%: worsening over the last 8 quarters (p = 0.010)."}


def test_narrative_requests_are_headline_metrics_without_small_numbers() -> None:
    table = pd.DataFrame([
        {"la_name": "Camden", "metric": "adv_6wk_pct", "top_bottom_20": "top 20%", "small_numbers": False},
        {"la_name": "Hackney", "metric": "adv_6wk_pct", "top_bottom_20": "bottom 20%", "small_numbers": True},
        {"la_name": "Islington", "metric": "adv_audited_pct", "top_bottom_20": "bottom 20%", "small_numbers": False},
        {"la_name": "Southwark", "metric": "adv_6wk_pct", "top_bottom_20": None, "small_numbers": False},
    ])
    requests = discussion.narrative_requests(table)
    assert requests.to_dict("records") == [
        {"Authority": "Camden", "Metric": "Social care advice within 6 weeks (%)", "Position": "top 20%"}]


def test_no_narrative_requests_from_empty_tables_of_text_columns():
    empty = pd.DataFrame({column: pd.Series([], dtype="str")
                          for column in ("la_name", "metric", "top_bottom_20", "small_numbers")})
    assert discussion.narrative_requests(empty).empty


def _judged_rows(measure_id: str, groups: dict[str, dict[str, tuple[float, str]]]) -> InequalityTable:
    """An inequalities table of authority rows: la_code -> group -> (ratio, 99.8% judgement)."""
    rows = pd.DataFrame([{"level": "authority", "la_code": code, "la_name": f"Authority {code}", "group": group,
                          "ratio": ratio, "ratio_low": ratio * 0.8, "ratio_high": ratio * 1.25, "symbol": "",
                          "strict_judgement": judgement}
                         for code, judged in groups.items() for group, (ratio, judgement) in judged.items()])
    return InequalityTable(MEASURES[measure_id], "sex" if measure_id != "sb_reach" else "ethnicity",
                           "the four quarters to 2026-27 Q2", rows, ())


def test_two_groups_that_mirror_each_other_are_one_item_told_by_the_group_faring_worse() -> None:
    late = _judged_rows("adv_late", {"1": {"Female": (2.0, "higher"), "Male": (0.5, "lower")},
                                     "2": {"Female": (0.4, "lower"), "Male": (2.5, "higher")}})
    assert [(item.la_code, item.text.split(" was ")[0]) for item in disparity_items([late])] == [
        ("1", "social care advice for Female children"), ("2", "social care advice for Male children")]
    reach = _judged_rows("sb_reach", {"1": {"White": (1.6, "higher"), "Black": (0.6, "lower")}})
    assert [item.text.split(" children")[0] for item in disparity_items([reach])] == ["Black"]


def test_groups_that_do_not_mirror_each_other_are_each_an_item() -> None:
    three = _judged_rows("sb_reach", {"1": {"White": (1.6, "higher"), "Black": (0.6, "lower"),
                                            "Asian": (1.0, "no clear difference")}})
    assert sorted(item.text.split(" children")[0] for item in disparity_items([three])) == ["Black", "White"]
