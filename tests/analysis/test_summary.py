"""How the network is doing: pooled figures, like-for-like changes and their tests, by hand and on the demo."""

from __future__ import annotations

import pandas as pd
import pytest

from benchmark.analysis import discussion, engine, summary, tracker
from benchmark.analysis.metrics import METRICS
from benchmark.db import Database
from benchmark.intake.standard import THEMES
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
        assert theme.metrics and all(entry.metric.headline for entry in theme.metrics)
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
