"""What stands out: the short, ranked list of items a regional forum discusses.

An item is raised only on evidence, for an authority and a metric in the chosen quarter:
- beyond the 99.8% funnel limits allowing for variation between authorities (overdispersion-
  adjusted, Spiegelhalter 2005), or beyond the 95% limits on the same side this quarter and the last;
- a worsening trend, significant at p < 0.05, over the last 8 quarters;
- a short breaks services statement not reviewed in the last 12 months;
- in the bottom 20% of the peer group for three quarters running.
A value resting on small numbers (fewer than `stats.SMALL_NUMBERS_BELOW` cases) is never an item.

Each item is one plain sentence with its figures and why it was raised. Items are ranked by the
strength of their evidence, as a z-score: the adjusted funnel z beyond the limits; the Stouffer
combination (|z1| + |z2|) / sqrt(2) of two quarters beyond 95%; the normal equivalent of a trend's
p-value; for a statement, the 95% critical value (a lapse of a statutory duty is firm evidence);
for three quarters in the bottom 20% alone, the quarter's adjusted funnel |z| (0 without a funnel).
At most `DISCUSSION_LIMIT` items are shown, grouped by theme; the rest are counted.

London's convention, the narrative requests (top or bottom 20% on a headline metric), is a list of
its own: `narrative_requests`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy.stats import norm

from benchmark import reference
from benchmark.analysis import engine, stats
from benchmark.db import Database
from benchmark.definitions.metrics import METRICS, STATEMENT_STALE_MONTHS, Method, Metric
from benchmark.definitions.standard import THEMES
from benchmark.periods import Period

DISCUSSION_LIMIT = 15
BOTTOM_RUN_QUARTERS = 3
STATEMENT_METRIC = "sb_statement_age_months"

BEYOND_998 = "beyond_99.8"
BEYOND_95_TWICE = "beyond_95_twice"
WORSENING_TREND = "worsening_trend"
STATEMENT_OVERDUE = "statement_overdue"
BOTTOM_20_RUNNING = "bottom_20_running"
KINDS = (BEYOND_998, BEYOND_95_TWICE, WORSENING_TREND, STATEMENT_OVERDUE, BOTTOM_20_RUNNING)
KIND_WORDS = {  # each kind as a reader sees it in a short column
    BEYOND_998: "beyond the 99.8% limits",
    BEYOND_95_TWICE: "beyond the 95% limits this quarter and last",
    WORSENING_TREND: "worsening trend",
    STATEMENT_OVERDUE: f"statement not reviewed in {STATEMENT_STALE_MONTHS} months",
    BOTTOM_20_RUNNING: f"bottom 20% for {BOTTOM_RUN_QUARTERS} quarters",
}
ITEM_COLUMNS = ("la_code", "la_name", "theme", "metric", "kind", "sentence", "strength")


@dataclass(frozen=True)
class Reason:
    """Why an item was raised: `words` always, `figures` (such as a p-value) where the audience may
    see figures; `quarters` are the period indexes the reason rests on."""

    kind: str
    strength: float
    words: str
    figures: str = ""
    quarters: tuple[int, ...] = ()


@dataclass(frozen=True)
class Item:
    la_code: str
    la_name: str
    theme: str
    metric: str
    figures: str  # " 47.0% (47 of 100) against a network rate of 70.2%"
    reasons: tuple[Reason, ...]

    @property
    def strength(self) -> float:
        return max(reason.strength for reason in self.reasons)

    @property
    def kind(self) -> str:
        return self.reasons[0].kind

    def sentence(self, name: str | None = None, figures: bool = True) -> str:
        """One plain sentence; `figures=False` quotes no number (for an external audience)."""
        parts = [reason.words + (reason.figures if figures else "") for reason in self.reasons]
        reasons = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + ", and " + parts[-1]
        what = _metric_words(METRICS[self.metric])
        return f"{name or self.la_name}: {what}{self.figures if figures else ''}: {reasons}."

    def sentence_for(self, lettered: frozenset[str], figures: bool = True) -> str:
        """The sentence as a reader who sees the `lettered` authorities (sharing anonymously) as letters
        reads it: none of a letter's figures, and beside a named authority's no network rate or median,
        which holds the letters' counts too and, against the named ones, gives them back."""
        if not figures or self.la_code in lettered:
            return self.sentence(figures=False)
        if lettered:
            return replace(self, figures=self.figures.split(" against ")[0]).sentence()
        return self.sentence()

    def keeping(self, kinds: set[str]) -> Item | None:
        """The item with only the reasons of these kinds, or None if none is left."""
        kept = tuple(reason for reason in self.reasons if reason.kind in kinds)
        return replace(self, reasons=kept) if kept else None


def _metric_words(metric: Metric) -> str:
    """'Social care advice within 6 weeks (%)' -> 'social care advice within 6 weeks'; 'EHC ...' keeps its capitals."""
    name = metric.name.removesuffix(" (%)")
    return name[0].lower() + name[1:] if name[1:2].islower() else name


def _figures(metric: Metric, row: dict, peers: engine.PeerGroup) -> str:
    short = metric.method is Method.RATE  # "per 10,000" is in the metric's name already
    value = metric.format(row["value"], short=short)
    if metric.method is Method.PROPORTION:
        count = f" ({row['numerator']:,.0f} of {row['denominator']:,.0f})"
    elif metric.method is Method.RATE:
        count = f" (count {row['numerator']:,.0f})"
    else:
        count = ""
    where = "a network" if peers.key == "network" else "a group"
    if metric.method in (Method.PROPORTION, Method.RATE) and row["group_rate"] == row["group_rate"]:
        against = f"{where} rate of {metric.format(row['group_rate'] * metric.multiplier, short=short)}"
    else:
        against = f"{where} median of {metric.format(row['group_median'])}"
    return f" {value}{count} against {against}"


def _side(position: object) -> str | None:
    return position.split("_")[0] if isinstance(position, str) and position != "within" else None


def _limits_words(phi: object) -> str:
    """The limits say they allow for variation between authorities only where it was estimated."""
    estimated = isinstance(phi, float | int) and not math.isnan(phi)
    return "limits allowing for variation between authorities" if estimated else "limits for chance alone"


def _reasons(metric: Metric, row: dict, before: dict, period: Period) -> list[Reason]:
    now, last = period.index, period.index - 1
    reasons = []
    position, previous = row.get("funnel_adjusted"), before.get((last, "funnel_adjusted"))
    limits = _limits_words(row.get("overdispersion_phi"))
    if position in ("above_99.8", "below_99.8"):
        reasons.append(Reason(BEYOND_998, abs(row["funnel_z"]), f"{_side(position)} the 99.8% {limits}",
                              quarters=(now,)))
    elif _side(position) and _side(position) == _side(previous):
        combined = (abs(row["funnel_z"]) + abs(before[(last, "funnel_z")])) / math.sqrt(2)
        reasons.append(Reason(BEYOND_95_TWICE, combined, f"{_side(position)} the 95% {limits} this quarter and last",
                              quarters=(last, now)))
    if row.get("trend") == "worsening" and metric.method is not Method.AGE_MONTHS:
        pvalue = row["trend_p"]
        reasons.append(Reason(WORSENING_TREND, float(norm.isf(pvalue / 2)),
                              f"worsening over the last {engine.TREND_QUARTERS} quarters",
                              f" ({stats.p_value_text(pvalue)})",
                              quarters=tuple(range(now - engine.TREND_QUARTERS + 1, now + 1))))
    if metric.id == STATEMENT_METRIC and row.get("flag") is True:
        reasons.append(Reason(STATEMENT_OVERDUE, stats.Z_95,
                              f"the short breaks statement has not been reviewed in the last "
                              f"{STATEMENT_STALE_MONTHS} months", quarters=(now,)))
    run = tuple(range(now - BOTTOM_RUN_QUARTERS + 1, now + 1))
    if row.get("top_bottom_20") == "bottom 20%" and all(
            before.get((index, "top_bottom_20")) == "bottom 20%" for index in run[:-1]):
        z = row.get("funnel_z")
        reasons.append(Reason(BOTTOM_20_RUNNING, abs(z) if z == z and z is not None else 0.0,
                              f"in the bottom 20% for {BOTTOM_RUN_QUARTERS} quarters", quarters=run))
    return sorted(reasons, key=lambda reason: -reason.strength)


def find_items(db: Database, period: Period, group: str = "network", for_la: str | None = None,
               themes: tuple[str, ...] = tuple(THEMES), names: dict[str, str] | None = None,
               revised: bool = False) -> list[Item]:
    """Every item for the quarter, strongest first; `names` maps codes to names as the reader sees them;
    `revised` reads a signed-off quarter with the returns revised after sign-off."""
    peers = engine.peer_group(db, group, for_la)
    table = engine.group_scorecard(db, peers, revised)
    if not len(table):
        return []
    wanted = [metric_id for metric_id, metric in METRICS.items() if metric.theme in themes]
    rows = table[table["metric"].isin(wanted)
                 & table["period_index"].between(period.index - BOTTOM_RUN_QUARTERS + 1, period.index)]
    earlier = rows[rows["period_index"] < period.index].set_index(["la_code", "metric", "period_index"])
    history = {key: record for key, record in zip(earlier.index, earlier.to_dict("records"), strict=True)}
    now = rows[(rows["period_index"] == period.index) & rows["value"].notna() & ~rows["small_numbers"].astype(bool)]
    items = []
    for row in now.to_dict("records"):
        metric = METRICS[row["metric"]]
        before = {(index, column): history.get((row["la_code"], metric.id, index), {}).get(column)
                  for index in range(period.index - BOTTOM_RUN_QUARTERS + 1, period.index)
                  for column in ("funnel_adjusted", "funnel_z", "top_bottom_20")}
        reasons = _reasons(metric, row, before, period)
        if reasons:
            name = (names or {}).get(row["la_code"]) or reference.authority_name(row["la_code"])
            items.append(Item(row["la_code"], name, metric.theme, metric.id, _figures(metric, row, peers),
                              tuple(reasons)))
    return rank(items)


def rank(items: list[Item]) -> list[Item]:
    """Strongest evidence first; more reasons, then name and metric, break ties."""
    return sorted(items, key=lambda item: (-item.strength, -len(item.reasons), item.la_name, item.metric))


def shortlist(items: list[Item], limit: int = DISCUSSION_LIMIT) -> tuple[list[Item], int]:
    """The strongest `limit` items grouped by theme (strongest first within a theme), and how many
    were left out."""
    shown = rank(items)[:limit]
    order = {theme_id: position for position, theme_id in enumerate(THEMES)}
    shown = sorted(shown, key=lambda item: order[item.theme])  # stable: strength order kept within a theme
    return shown, max(len(items) - limit, 0)


def as_frame(items: list[Item], figures: bool = True, lettered: frozenset[str] = frozenset()) -> pd.DataFrame:
    """Items as rows of the JSON contract: la_code, la_name, theme, metric, kind, sentence, strength.
    Without `figures` (an external audience), and for the `lettered` authorities (sharing anonymously),
    the sentence quotes no number and the strength is left out: a z-score beside the group's rate
    gives a count back."""
    def shows(item: Item) -> bool:
        return figures and item.la_code not in lettered

    return pd.DataFrame(
        [{"la_code": item.la_code, "la_name": item.la_name, "theme": item.theme, "metric": item.metric,
          "kind": item.kind, "sentence": item.sentence_for(lettered, figures),
          "strength": round(item.strength, 2) if shows(item) else None}
         for item in items],
        columns=list(ITEM_COLUMNS),
    )


def left_out_text(left_out: int, where: str) -> str:
    """'3 more items were left out: ...' (empty when nothing was)."""
    if not left_out:
        return ""
    return f"{left_out} more item{'s were' if left_out != 1 else ' was'} left out: the full table is {where}."


def narrative_requests(table: pd.DataFrame) -> pd.DataFrame:
    """London's convention: authorities asked for a short narrative because they are in the top or
    bottom 20% on a headline metric (never on small numbers). `table` is a comparison table with
    la_name, metric, top_bottom_20 (and small_numbers)."""
    headline = np.array([METRICS[metric_id].headline for metric_id in table["metric"]], dtype=bool)
    flagged = table["top_bottom_20"].isin(["top 20%", "bottom 20%"]).to_numpy(dtype=bool)
    if "small_numbers" in table:  # outward tables may carry "c" here: only True is small numbers
        flagged = flagged & (table["small_numbers"].astype(str) != "True").to_numpy(dtype=bool)
    rows = table[headline & flagged]
    return pd.DataFrame({
        "Authority": rows["la_name"].to_numpy(),
        "Metric": [METRICS[metric_id].name for metric_id in rows["metric"]],
        "Position": rows["top_bottom_20"].to_numpy(),
    }).sort_values(["Authority", "Metric"]).reset_index(drop=True)


# --- disparities by ethnicity, sex, age band or primary need (the inequalities measures) ---------------------

DISPARITY_998 = "disparity_99.8"
KIND_WORDS[DISPARITY_998] = "disparity beyond the 99.8% interval"
# How each returns measure reads in a sentence; the ratio and its interval follow.
DISPARITY_PHRASES = {
    "sb_reach": ("{group} children received short breaks at {ratio} times the rate of other children", "short_breaks"),
    "sb_waiting": ("{group} children were waiting for short breaks at {ratio} times the rate of other children",
                   "short_breaks"),
    "adv_late": ("social care advice for {group} children was later than 6 weeks {ratio} times as often as for "
                 "other children", "advice"),
    "pfa_not_assessed": ("{group} young people turned 18 without a Care Act assessment {ratio} times as often as "
                         "others", "transitions"),
    "pfa_no_services": ("{group} young people had no adult services at 18 {ratio} times as often as others",
                        "transitions"),
}


@dataclass(frozen=True)
class DisparityItem:
    """A group whose ratio's 99.8% interval excludes 1: many groups times many authorities are many tests, so
    only the stricter interval puts a disparity to the network (as funnels do). Reads like `Item`."""

    la_code: str
    la_name: str
    theme: str
    metric: str  # the inequalities measure id
    text: str  # the sentence without the authority's name
    strength: float  # |ln ratio| / its standard error (from the 95% Katz interval)
    reasons: tuple[Reason, ...] = ()

    @property
    def kind(self) -> str:
        return DISPARITY_998

    def sentence(self, name: str | None = None, figures: bool = True) -> str:
        return f"{name or self.la_name}: {self.text}."

    def sentence_for(self, lettered: frozenset[str], figures: bool = True) -> str:
        """As `Item.sentence_for`. Disparity items reach the network audience only and never name an authority
        sharing anonymously (its breakdowns reach nobody else); should one be asked for without figures, it
        says what was judged and quotes no ratio."""
        if figures and self.la_code not in lettered:
            return self.sentence()
        return f"{self.la_name}: a difference between groups judged at the 99.8% level ({self.metric})."


# Measures whose concern is a ratio below 1 (fewer children reached); for the others it is above 1.
CONCERN_BELOW_ONE = {"sb_reach"}


def _mirrors(rows: pd.DataFrame, judged: pd.DataFrame, measure_id: str) -> pd.Index:
    """Judged rows that only restate another: where an authority compares just two groups, each group's ratio is
    the other's inverse, so the two judgements are one finding. The group faring worse tells it."""
    authorities = rows[rows["level"] == "authority"]
    compared = authorities[authorities["ratio"].notna()].groupby("la_code")["group"].nunique()
    pairs = judged[judged["la_code"].map(compared).eq(2) & judged.duplicated("la_code", keep=False)]
    better = pairs["ratio"] > 1 if measure_id in CONCERN_BELOW_ONE else pairs["ratio"] < 1
    return pairs.index[better.to_numpy()]


def disparity_items(tables: list, names: dict[str, str] | None = None) -> list[DisparityItem]:
    """Items from inequalities tables (`analysis.inequalities.InequalityTable`, already as the reader may see them):
    every authority row judged at 99.8% with its figures, and the network's pooled ratio beside it; of two groups
    that mirror each other, the one faring worse."""
    items = []
    for table in tables:
        phrase = DISPARITY_PHRASES.get(table.measure.id)
        if phrase is None or not table.has_ratio:
            continue
        rows = table.rows
        network = rows[rows["level"] == "network"].set_index("group")["ratio"]
        judged = rows[(rows["level"] == "authority") & rows["strict_judgement"].isin(["higher", "lower"])
                      & rows["symbol"].ne("c")]
        judged = judged.drop(_mirrors(rows, judged, table.measure.id))
        for row in judged.to_dict("records"):
            se = (math.log(row["ratio_high"]) - math.log(row["ratio_low"])) / (2 * stats.Z_95)
            pooled = network.get(row["group"])
            text = (phrase[0].format(group=row["group"], ratio=f"{row['ratio']:.2f}")
                    + f" (95% interval {row['ratio_low']:.2f}-{row['ratio_high']:.2f}) over {table.period_label}"
                    + (f"; network {pooled:.2f}" if pooled == pooled and pooled is not None else ""))
            name = (names or {}).get(row["la_code"]) or row["la_name"]
            reason = Reason(DISPARITY_998, abs(math.log(row["ratio"])) / se, "disparity beyond the 99.8% interval")
            items.append(DisparityItem(row["la_code"], name, phrase[1], table.measure.id, text,
                                       abs(math.log(row["ratio"])) / se, (reason,)))
    return items
