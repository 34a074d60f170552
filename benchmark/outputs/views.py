"""Engine tables shaped for people: the scorecard, the tartan rug and readable comparison tables.

Shared by the dashboard pages and the meeting packs so both show the same words and digits.
"""

from __future__ import annotations

import math

import pandas as pd

from benchmark.analysis import engine, stats
from benchmark.analysis.metrics import CATALOGUE, METRICS, Metric, Polarity
from benchmark.db import Database
from benchmark.periods import Period

SMALL_NUMBERS = "small numbers"  # the mark beside a value resting on too few cases to judge
FUNNEL_WORDS = {
    "within": "within expected range",
    "above_95": "above 95% limit",
    "below_95": "below 95% limit",
    "above_99.8": "above 99.8% limit",
    "below_99.8": "below 99.8% limit",
}


def _present(value: object) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def fraction_text(metric: Metric, numerator: object, denominator: object) -> str:
    """'37 of 45' for proportions, '412 children' for rates, '' where it adds nothing."""
    if not _present(numerator):
        return ""
    if _present(denominator) and metric.method.value in ("proportion", "ratio") and metric.unit != "GBP":
        return f"{numerator:,.0f} of {denominator:,.0f}" if metric.unit == "%" else (
            f"{numerator:,.0f} / {denominator:,.0f}")
    if metric.method.value == "rate":
        return f"{numerator:,.0f} / {denominator:,.0f}" if _present(denominator) else ""
    return ""


def interval_text(metric: Metric, low: object, high: object) -> str:
    """'61.2-78.9' for a value with an interval, '' for one without."""
    if not (metric.has_interval and _present(low) and _present(high)):
        return ""
    return f"{metric.format(low, short=True)}-{metric.format(high, short=True)}"


def funnel_text(metric: Metric, position: object) -> str:
    """The funnel position in words, with 'better'/'worse' where the measure has a polarity."""
    if not isinstance(position, str) or position not in FUNNEL_WORDS:
        return position if isinstance(position, str) else ""
    words = FUNNEL_WORDS[position]
    if position == "within" or metric.polarity is Polarity.NEUTRAL:
        return words
    better = position.startswith("above") == (metric.polarity is Polarity.HIGHER)
    return f"{words} ({'better' if better else 'worse'})"


def funnel_caption(table: pd.DataFrame, metric: Metric, group_label: str, plain: bool = False) -> str:
    """What a funnel plot shows, in words: the method, phi, and how many fall outside each limit."""
    rows = table[table["value"].notna()]
    column = "funnel" if plain else "funnel_adjusted"
    beyond_998 = int(rows[column].isin(["above_99.8", "below_99.8"]).sum())
    beyond_95 = int(rows[column].isin(["above_95", "below_95", "above_99.8", "below_99.8"]).sum())
    counts = (f"{beyond_998} of {len(rows)} authorities fall outside the 99.8% limits and {beyond_95} outside "
              "the 95% limits")
    where = f"around the pooled rate of the peer group ({group_label})"
    small = (f" Open circles rest on fewer than {stats.SMALL_NUMBERS_BELOW} cases (small numbers): shown, "
             "but not judged.") if rows["small_numbers"].astype(str).eq("True").any() else ""
    if plain:
        return (f"Each dot is an authority, placed by its number of cases (across) and its value (up). These are "
                f"the plain 95% and 99.8% limits {where}, which allow for chance alone: {counts}. Real councils "
                f"differ for reasons the count model does not know, so switch the toggle off for the limits "
                f"that allow for that.{small}")
    phi = pd.to_numeric(rows["overdispersion_phi"], errors="coerce").dropna()
    tau2 = pd.to_numeric(rows["overdispersion_tau2"], errors="coerce").fillna(0.0)
    if phi.empty:
        allowance = (f"with fewer than {stats.OVERDISPERSION_MIN_AUTHORITIES} authorities reporting, no allowance "
                     "for variation between authorities can be estimated, so these are the limits for chance alone")
    elif not (tau2 > 0).any():
        allowance = (f"they allow for the variation between authorities, but there is no more of it than chance "
                     f"would give (phi = {phi.iloc[0]:.2f}), so they are not widened")
    else:
        allowance = (f"they are widened to allow for the real variation between authorities (overdispersion "
                     f"phi = {phi.iloc[0]:.2f}, Spiegelhalter 2005)")
    return (f"Each dot is an authority, placed by its number of cases (across) and its value (up). The lines are "
            f"the 95% and 99.8% limits {where}; {allowance}. {counts}; those outside the 99.8% limits are "
            f"named.{small}")


def rank_text(rank: object, reported: object) -> str:
    """'3 of 32'; a suppressed rank stays the symbol it was given."""
    if isinstance(rank, str):
        return rank
    return f"{rank:.0f} of {reported:.0f}" if _present(rank) and _present(reported) else ""


def scorecard_view(db: Database, la_code: str, period: Period, revised: bool = False) -> pd.DataFrame:
    """Every metric for one authority and quarter, ready to read: the My authority scorecard."""
    mine = engine.authority_scorecard(db, la_code, period, revised)
    trends = engine.authority_trends(db, la_code, period, revised=revised)
    rows = []
    for record in mine.to_dict("records"):
        metric = METRICS[record["metric"]]
        reported = record.get("sn_reported")
        rows.append({
            "metric_id": metric.id,
            "Theme": metric.theme,
            "Metric": metric.name,
            "Value": metric.format(record.get("value"), short=True),
            "Count": fraction_text(metric, record.get("numerator"), record.get("denominator")),
            "95% interval": interval_text(metric, record.get("ci_low"), record.get("ci_high")),
            "Rank": rank_text(record.get("rank"), record.get("network_reported")),
            "Band": record.get("quartile_band") if isinstance(record.get("quartile_band"), str) else "",
            "Top/bottom 20%": record.get("top_bottom_20") if isinstance(record.get("top_bottom_20"), str) else "",
            "Last 8 quarters": trends.get(metric.id, []),
            "Trend": record.get("trend") if isinstance(record.get("trend"), str) else "",
            "Network median": metric.format(record.get("network_median"), short=True),
            "Neighbours' mean": metric.format(record.get("sn_mean"), short=True),
            "Neighbours reported": f"{int(reported) if _present(reported) else 0} of {engine.SN_COUNT}",
            "Funnel": funnel_text(metric, record.get("funnel_adjusted")),
            "Flag": "over 12 months" if record.get("flag") is True else (
                SMALL_NUMBERS if record.get("small_numbers") is True else ""),
            "Polarity": metric.polarity.label,
            "neutral": metric.polarity is Polarity.NEUTRAL,
        })
    return pd.DataFrame(rows)


def rug(db: Database, period: Period, members: list[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The tartan rug: authorities down (by name), metric ids across. Returns (values, quartile
    bands) with the same shape; `rug_text` makes the cells people read."""
    table = engine.scorecard(db)
    if not len(table):
        return pd.DataFrame(), pd.DataFrame()
    rows = table[table["period_index"] == period.index]
    if members is not None:
        rows = rows[rows["la_code"].isin(members)]
    order = [metric.id for metric in CATALOGUE]
    values = rows.pivot(index="la_name", columns="metric", values="value").reindex(columns=order).sort_index()
    bands = rows.pivot(index="la_name", columns="metric", values="quartile_band").reindex(columns=order)
    bands = bands.reindex(values.index)
    values.index.name = bands.index.name = "Authority"
    values.columns.name = bands.columns.name = None
    return values.astype(object), bands


def rug_text(values: pd.DataFrame, bands: pd.DataFrame) -> pd.DataFrame:
    """Each cell as '45.4 (C)', so the rug reads without colour; '-' where there is no value."""
    text = values.copy().astype(object)
    for metric_id in values.columns:
        decimals = METRICS[metric_id].decimals
        text[metric_id] = [
            value if isinstance(value, str) else (
                f"{value:,.{decimals}f} ({band})" if isinstance(band, str) else "-")
            for value, band in zip(values[metric_id], bands[metric_id], strict=True)
        ]
    return text


def rug_headings(metric_ids: list[str]) -> dict[str, str]:
    """Short column headings for the rug."""
    return {metric_id: METRICS[metric_id].short for metric_id in metric_ids}


def comparison_download(table: pd.DataFrame, metric: Metric) -> pd.DataFrame:
    """The comparison table with numbers rounded as displayed and plain column names, for CSV/xlsx."""
    numeric = ["value", "ci_low", "ci_high", "network_median", "network_mean", "diff_from_median", "region_mean",
               "sn_mean", "sn_median", "england", "rolling_4q"]
    out = table.copy()
    for column in numeric:
        if column in out:
            out[column] = out[column].map(
                lambda value: round(value, metric.decimals) if isinstance(value, float) else value
            )
    out.insert(4, "unit", metric.unit)
    return out


def trend_download(series: pd.DataFrame, metric: Metric, la_name: str) -> pd.DataFrame:
    """The table behind the trend chart: one row per quarter, rounded as displayed."""
    out = series[["period", "value", "network_median", "sn_mean"]].copy()
    for column in ["value", "network_median", "sn_mean"]:
        out[column] = out[column].astype(float).round(metric.decimals)
    return out.rename(columns={"period": "Quarter", "value": la_name, "network_median": "Network median",
                               "sn_mean": "Statistical neighbours' mean"})
