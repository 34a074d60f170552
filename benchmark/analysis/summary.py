"""How the network is doing, on one page: for each theme, each headline metric's pooled figure this
quarter, its change from the previous quarter and from the same quarter last year (and whether the
change is bigger than chance), DfE's England figure where one is published, the returns received
and the first few discussion items. Readable by a chair in a minute.

Pooled figure: sum of numerators over sum of denominators of the authorities reporting, so big
authorities count in proportion to their size. A change compares like with like: the same
authorities in both quarters (those reporting both), with the two-proportion z-test for
percentages and the exact conditional Poisson test for rates per 10,000, judged at p < 0.05.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from benchmark.analysis import discussion, engine, stats, tracker
from benchmark.analysis.published import published_comparator
from benchmark.db import Database
from benchmark.definitions.metrics import CATALOGUE, Method, Metric
from benchmark.definitions.standard import THEMES
from benchmark.periods import Period

SUMMARY_ITEMS = 3  # discussion items shown per theme
METHODS = (
    "Network figures are pooled: the sum of the authorities' numerators over the sum of their denominators. "
    "A change compares the same authorities in both quarters: the two-proportion z-test for percentages, the "
    "exact conditional Poisson test for rates; 'bigger than chance' means p < 0.05."
)


@dataclass(frozen=True)
class Change:
    """A like-for-like change between two quarters."""

    difference: float  # in the metric's display units (percentage points, per 10,000)
    pvalue: float
    authorities: int

    @property
    def significant(self) -> bool:
        return self.pvalue < stats.SIGNIFICANCE

    def text(self, metric: Metric) -> str:
        """'+2.3 points, bigger than chance (p = 0.012)'; 'no change' where the figures match."""
        unit = "points" if metric.unit == "%" else metric.unit.replace(" children", "")
        if round(self.difference, metric.decimals) == 0:
            return "no change"
        verdict = "bigger than chance" if self.significant else "could be chance"
        return f"{self.difference:+.{metric.decimals}f} {unit}, {verdict} ({stats.p_value_text(self.pvalue)})"


@dataclass(frozen=True)
class MetricSummary:
    metric: Metric
    value: float | None  # pooled, in display units
    reported: int
    members: int
    previous: Change | None
    last_year: Change | None
    england: float | None
    england_source: str | None
    hidden: bool = False  # an external audience: a pooled figure could give a suppressed count back
    left_out: int = 0  # authorities left out of the pooled figure (sharing anonymously with the reader, ...)
    left_out_words: str = "sharing anonymously"  # who they are, as the table says


@dataclass
class ThemeSummary:
    theme: str
    returns_received: int
    returns_expected: int
    metrics: list[MetricSummary]
    items: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return THEMES[self.theme].title

    @property
    def empty_text(self) -> str:
        """Said where no item stands out: too few returns to compare authorities, or nothing did."""
        reported = max((entry.reported for entry in self.metrics), default=0)
        return stats.judgement_note(reported) or "Nothing stands out for discussion in this theme."


@dataclass
class NetworkSummary:
    period: Period
    group_label: str
    themes: list[ThemeSummary]

    def table(self, hidden_text: str = "c") -> pd.DataFrame:
        """One row per headline metric, in words, for pages and packs."""
        rows = []
        for theme in self.themes:
            for entry in theme.metrics:
                metric = entry.metric

                def change(value: Change | None, metric: Metric = metric) -> str:
                    return value.text(metric) if value else "no like-for-like figures"

                rows.append({
                    "Theme": theme.title,
                    "Metric": metric.name,
                    "This quarter": hidden_text if entry.hidden else (
                        f"{metric.format(entry.value, short=True)} ({entry.reported} of {entry.members} reported"
                        + (f"; {entry.left_out} {entry.left_out_words} left out" if entry.left_out else "") + ")"),
                    "Change from last quarter": hidden_text if entry.hidden else change(entry.previous),
                    "Change from a year ago": hidden_text if entry.hidden else change(entry.last_year),
                    "England": "not published" if entry.england is None else metric.format(entry.england, short=True),
                })
        return pd.DataFrame(rows, columns=["Theme", "Metric", "This quarter", "Change from last quarter",
                                           "Change from a year ago", "England"])


def _pooled(rows: pd.DataFrame) -> tuple[float, float]:
    usable = rows[rows["numerator"].notna() & (rows["denominator"] > 0)]
    return float(usable["numerator"].sum()), float(usable["denominator"].sum())


def _change(metric: Metric, now: pd.DataFrame, then: pd.DataFrame) -> Change | None:
    """Like for like: only authorities with figures in both quarters."""
    def usable(rows: pd.DataFrame) -> pd.DataFrame:
        return rows[rows["numerator"].notna() & (rows["denominator"] > 0)].set_index("la_code")

    now, then = usable(now), usable(then)
    both = now.index.intersection(then.index)
    if not len(both):
        return None
    x1, n1 = _pooled(now.loc[both].reset_index())
    x2, n2 = _pooled(then.loc[both].reset_index())
    test = stats.poisson_rate_test if metric.method is Method.RATE else stats.two_proportion_test
    difference = (x1 / n1 - x2 / n2) * metric.multiplier
    return Change(difference, test(x1, n1, x2, n2), len(both))


def _metric_summary(db: Database, metric: Metric, rows: pd.DataFrame, period: Period, members: int,
                    hidden: bool, leave_out: frozenset[str] = frozenset(),
                    left_out_words: str = "sharing anonymously") -> MetricSummary:
    mine = rows[rows["metric"] == metric.id]

    def quarter(shift: int) -> pd.DataFrame:
        return mine[mine["period_index"] == period.shift(shift).index]

    now = quarter(0)
    # A pooled figure holding an anonymous authority, beside the named authorities' counts, gives
    # its count back: those sharing anonymously are left out of the figures (and the table says so).
    absent = now["la_code"].isin(leave_out) & now["value"].notna()
    pooled_rows = {shift: frame[~frame["la_code"].isin(leave_out)] for shift, frame in
                   ((0, now), (-1, quarter(-1)), (-4, quarter(-4)))}
    numerator, denominator = _pooled(pooled_rows[0])
    pooled = numerator / denominator * metric.multiplier if denominator > 0 else None
    england, source = published_comparator(db, metric.id, period)
    return MetricSummary(metric, pooled, int(now["value"].notna().sum()), members,
                         _change(metric, pooled_rows[0], pooled_rows[-1]),
                         _change(metric, pooled_rows[0], pooled_rows[-4]), england, source, hidden,
                         int(absent.sum()), left_out_words)


def network_summary(db: Database, period: Period, group: str = "network", for_la: str | None = None,
                    themes: tuple[str, ...] = tuple(THEMES), items: list[str] | None = None,
                    item_themes: list[str] | None = None, hidden_metrics: frozenset[str] = frozenset(),
                    names: dict[str, str] | None = None, revised: bool = False,
                    leave_out: frozenset[str] = frozenset(),
                    left_out_words: str = "sharing anonymously") -> NetworkSummary:
    """The one-page summary for a quarter and peer group. `items` (sentences, with their themes in
    `item_themes`) are the discussion items as the reader may see them; without them the peer
    group's shortlist is used, with authorities named as `names` says (code -> name).
    `hidden_metrics` keep their figures back (an external audience); `revised` reads a signed-off
    quarter with the returns revised after sign-off. `leave_out`: the authorities sharing anonymously
    with the reader (or, `left_out_words`, others never shown on their own), left out of the pooled
    figures; a sentence about one of them quotes no figures."""
    peers = engine.peer_group(db, group, for_la)
    members = [code for code in peers.members if code in set(engine.network_members(db))]
    if items is None:
        shortlist, _ = discussion.shortlist(discussion.find_items(db, period, group, for_la, themes, names,
                                                                      revised))
        items = [item.sentence_for(leave_out) for item in shortlist]
        item_themes = [item.theme for item in shortlist]
    table = engine.scorecard(db, revised)
    rows = table[table["la_code"].isin(members)] if len(table) else table
    returns = tracker.tracker(db, period)
    returns = returns[returns["la_code"].isin(members)]
    summaries = []
    for theme_id in themes:
        headline = [metric for metric in CATALOGUE if metric.theme == theme_id and metric.headline]
        received = returns[returns["theme"] == theme_id]
        theme_items = [text for text, theme in zip(items, item_themes or [], strict=True) if theme == theme_id]
        summaries.append(ThemeSummary(
            theme_id, int(received["returned"].sum()), len(received),
            [_metric_summary(db, metric, rows, period, len(members), metric.id in hidden_metrics, leave_out,
                             left_out_words)
             for metric in headline] if len(rows) else [],
            theme_items[:SUMMARY_ITEMS],
        ))
    return NetworkSummary(period, peers.label, summaries)
