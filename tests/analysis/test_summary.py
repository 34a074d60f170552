"""How the network is doing: pooled figures, like-for-like changes and their tests, by hand and on the demo."""

from __future__ import annotations

import pandas as pd
import pytest
from support import return_csv

from benchmark.analysis import discussion, engine, summary, tracker
from benchmark.db import Database
from benchmark.definitions.metrics import METRICS, metrics_for_theme
from benchmark.definitions.standard import THEMES
from benchmark.intake.returns import store_file
from benchmark.periods import Period

LATEST = Period.parse("2026-27 Q2")


def quarter(rows: list[tuple[str, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["la_code", "numerator", "denominator"])


def test_change_is_like_for_like_with_the_two_proportion_test() -> None:
    """Now: Camden 30/100, Islington 20/50, Hackney (new this quarter) 40/50. Then: Camden 20/100,
    Islington 20/50, Southwark (gone) 5/50. Only Camden and Islington count: 50/150 = 33.333% against
    40/150 = 26.667%, +6.7 points. Pooled p = 90/300 = 0.3; se = sqrt(0.3 x 0.7 x 2/150) = 0.052915;
    z = 0.066667/0.052915 = 1.259882; p = 0.207712: could be chance."""
    metric = METRICS["adv_6wk_pct"]
    change = summary._change(metric, quarter([("202", 30, 100), ("206", 20, 50), ("204", 40, 50)]),
                             quarter([("202", 20, 100), ("206", 20, 50), ("210", 5, 50)]))
    assert change.authorities == 2
    assert change.difference == pytest.approx(6.666667, abs=1e-6)
    assert change.pvalue == pytest.approx(0.207712, abs=1e-6)
    assert change.text(metric) == "+6.7 points, could be chance (p = 0.208)"


def test_change_of_a_rate_uses_the_exact_poisson_test() -> None:
    """30 children in 10,000 now against 10 in 10,000 before: +20.0 per 10,000; exact conditional
    p = 2 x P(Binomial(40, 1/2) >= 30) = 0.002221: bigger than chance."""
    metric = METRICS["sb_reach_per_10k"]
    change = summary._change(metric, quarter([("202", 30, 10_000)]), quarter([("202", 10, 10_000)]))
    assert change.difference == pytest.approx(20.0)
    assert change.significant
    assert change.text(metric) == "+20.0 per 10,000, bigger than chance (p = 0.002)"


def test_no_change_without_common_authorities() -> None:
    metric = METRICS["adv_6wk_pct"]
    assert summary._change(metric, quarter([("202", 3, 10)]), quarter([("206", 3, 10)])) is None


def test_demo_summary_agrees_with_the_engine(demo_db: Database) -> None:
    overview = summary.network_summary(demo_db, LATEST)
    assert [theme.theme for theme in overview.themes] == list(THEMES)
    returns = tracker.tracker(demo_db, LATEST)
    shortlist, _ = discussion.shortlist(discussion.find_items(demo_db, LATEST))
    for theme in overview.themes:
        # A theme answered in words (the DSCO role) has returns but no headline metric.
        assert bool(theme.metrics) == bool(metrics_for_theme(theme.theme))
        assert all(entry.metric.headline for entry in theme.metrics)
        mine = returns[returns["theme"] == theme.theme]
        assert (theme.returns_received, theme.returns_expected) == (int(mine["returned"].sum()), len(mine))
        assert theme.items == [item.sentence() for item in shortlist if item.theme == theme.theme][
            :summary.SUMMARY_ITEMS]
        for entry in theme.metrics:
            table = engine.compare(demo_db, LATEST, entry.metric.id)
            usable = table[table["numerator"].notna() & (table["denominator"] > 0)]
            pooled = usable["numerator"].sum() / usable["denominator"].sum() * entry.metric.multiplier
            assert entry.value == pytest.approx(pooled)
            assert entry.reported == int(table["value"].notna().sum())
    ehcp = next(entry for theme in overview.themes for entry in theme.metrics if entry.metric.id == "ehcp_20wk_pct")
    assert ehcp.england is not None  # DfE publishes the 20-week figure
    table = overview.table()
    assert list(table.columns) == ["Theme", "Metric", "This quarter", "Change from last quarter",
                                   "Change from a year ago", "England"]
    assert table["Change from last quarter"].str.contains("chance|no change").all()


def test_a_small_partial_network_summarises_without_error(tmp_db: Database, example_row, today) -> None:
    """Three authorities, the advice theme only, one quarter: figures for advice, none elsewhere, no
    like-for-like change, no overdispersion estimated (fewer than 5), and nothing judged on small numbers."""
    rows = [example_row("advice", la, LATEST.label, adv_returned=returned, adv_returned_6wk=on_time,
                        adv_late_exception=0, adv_nil_returns=1, adv_audited=2, adv_audited_good=1)
            for la, returned, on_time in (("202", 20, 15), ("206", 40, 28), ("201", 6, 1))]
    result = store_file(tmp_db, "advice.csv", return_csv("advice", rows), "test", today=today)
    assert result.stored, result.report.errors
    overview = summary.network_summary(tmp_db, LATEST)
    by_theme = {theme.theme: theme for theme in overview.themes}
    assert (by_theme["advice"].returns_received, by_theme["advice"].returns_expected) == (3, 3)
    assert by_theme["short_breaks"].returns_received == 0
    advice = next(entry for entry in by_theme["advice"].metrics if entry.metric.id == "adv_6wk_pct")
    assert advice.value == pytest.approx(44 / 66 * 100) and advice.previous is None and advice.last_year is None
    table = overview.table()
    row = table[table["Metric"] == METRICS["adv_6wk_pct"].name].iloc[0]
    assert row["Change from last quarter"] == "no like-for-like figures"
    assert table[table["Theme"] == THEMES["short_breaks"].title]["This quarter"].str.startswith("-").all()
    compared = engine.compare(tmp_db, LATEST, "adv_6wk_pct").set_index("la_code")
    assert compared["overdispersion_phi"].isna().all() and (compared.loc[["202", "206", "201"],
                                                                          "overdispersion_tau2"] == 0).all()
    assert compared.loc["201", "small_numbers"] and pd.isna(compared.loc["201", "top_bottom_20"])
    assert "201" not in {item.la_code for item in discussion.find_items(tmp_db, LATEST)}
