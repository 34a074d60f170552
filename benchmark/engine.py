"""The benchmark engine: every figure a page, the command line or a pack shows comes from here.

`metric_values` turns the current returns into one long table of metric values; `scorecard`
adds, for every metric, quarter and authority, the network statistics (rank, band, medians,
funnel position, neighbours, rolling four quarters and the 8-quarter trend); `compare` is one
metric in one quarter for one peer group.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

import numpy as np
import pandas as pd

from benchmark import reference, stats
from benchmark.db import Database
from benchmark.groups import custom_group_members
from benchmark.metrics import CATALOGUE, METRICS, POPULATION, Method, Metric, get_metric
from benchmark.periods import Period
from benchmark.published import published_comparator
from benchmark.standard import VALUE_FIELDS, Kind

TREND_QUARTERS = 8
ROLLING_QUARTERS = 4
TOP_BOTTOM_SHARE = 0.2
SN_COUNT = 10


def network_members(db: Database) -> list[str]:
    """The authorities in the network: every authority that has stored a return."""
    rows = db.cursor().execute("SELECT DISTINCT la_code FROM return_rows ORDER BY la_code").fetchall()
    return [row[0] for row in rows]


def periods_with_data(db: Database) -> list[Period]:
    rows = db.cursor().execute("SELECT DISTINCT period_index FROM return_rows ORDER BY 1").fetchall()
    return [Period.from_index(row[0]) for row in rows]


def _current_wide(db: Database) -> pd.DataFrame:
    """One row per authority and quarter, one column per field of the standard (NaN = not available)."""
    numeric = [name for name, spec in VALUE_FIELDS.items() if spec.kind is not Kind.DATE]
    dates = [name for name, spec in VALUE_FIELDS.items() if spec.kind is Kind.DATE]
    selects = [f"max(value) FILTER (WHERE field = '{name}') AS {name}" for name in numeric]
    selects += [f"max(date_value) FILTER (WHERE field = '{name}') AS {name}" for name in dates]
    wide = db.frame(
        f"SELECT la_code, period_index, {', '.join(selects)} FROM current_values GROUP BY ALL ORDER BY ALL"
    )
    years = wide["period_index"].map(lambda index: Period.from_index(index).end.year)
    wide[POPULATION] = [
        reference.population_for(la, year) for la, year in zip(wide["la_code"], years, strict=True)
    ]
    wide[POPULATION] = wide[POPULATION].astype(float)
    return wide


def _months_between(earlier: pd.Series, period_index: pd.Series) -> np.ndarray:
    """Whole months from each date to the end of its quarter."""
    ends = period_index.map(lambda index: Period.from_index(index).end)
    dates = pd.to_datetime(earlier)
    end_dates = pd.to_datetime(ends)
    months = (end_dates.dt.year - dates.dt.year) * 12 + end_dates.dt.month - dates.dt.month
    months -= (end_dates.dt.day < dates.dt.day).astype(int)
    return months.to_numpy(dtype=float, na_value=np.nan)


def _one_metric(wide: pd.DataFrame, metric: Metric) -> pd.DataFrame:
    denominator = (
        wide[metric.denominator].to_numpy(dtype=float) if metric.denominator else np.full(len(wide), np.nan)
    )
    low = high = np.full(len(wide), np.nan)
    if metric.method is Method.AGE_MONTHS:
        numerator = _months_between(wide[metric.numerator[0]], wide["period_index"])
    else:
        parts = wide[list(metric.numerator)]
        numerator = parts.sum(axis=1, min_count=len(metric.numerator)).to_numpy(dtype=float)
    if metric.method in (Method.AGE_MONTHS, Method.VALUE):
        value = numerator
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            value = np.where(denominator > 0, numerator / denominator, np.nan) * metric.multiplier
        if metric.method is Method.PROPORTION:
            low, high = stats.wilson_interval(numerator, denominator)
        elif metric.method is Method.RATE:
            low, high = stats.poisson_interval(numerator, denominator)
        low, high = low * metric.multiplier, high * metric.multiplier
    return pd.DataFrame({
        "metric": metric.id,
        "la_code": wide["la_code"].to_numpy(),
        "period_index": wide["period_index"].to_numpy(),
        "value": value,
        "numerator": numerator,
        "denominator": denominator,
        "ci_low": low,
        "ci_high": high,
    })


_cache_lock = threading.Lock()
_cache: dict[tuple[str, str], tuple[int, pd.DataFrame]] = {}


def _cached(db: Database, name: str, build: callable) -> pd.DataFrame:
    """Keep one computed table per database until its data version moves on (an upload)."""
    version = db.data_version
    key = (str(db.path), name)
    with _cache_lock:
        hit = _cache.get(key)
    if hit and hit[0] == version:
        return hit[1]
    table = build()
    with _cache_lock:
        _cache[key] = (version, table)
    return table


def metric_values(db: Database) -> pd.DataFrame:
    """Every metric for every authority and quarter with a return: value, numerator, denominator, CI."""

    def build() -> pd.DataFrame:
        wide = _current_wide(db)
        frames = [_one_metric(wide, metric) for metric in CATALOGUE]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    return _cached(db, "metric_values", build)


@dataclass(frozen=True)
class PeerGroup:
    """A set of authorities compared with each other; `key` is what URLs and the CLI use."""

    key: str
    label: str
    members: tuple[str, ...]


def _group_statistics(values: pd.DataFrame) -> pd.DataFrame:
    """Rank, band, median, mean, top/bottom 20% and funnel position within each (metric, quarter)."""
    values = values.sort_values(["metric", "period_index", "la_code"]).reset_index(drop=True)
    columns = {name: np.full(len(values), None, dtype=object) for name in ("quartile_band", "funnel", "top_bottom_20")}
    rank = np.full(len(values), np.nan)
    median = np.full(len(values), np.nan)
    mean = np.full(len(values), np.nan)
    reported = np.zeros(len(values), dtype=int)
    keys = values["metric"].to_numpy() + "|" + values["period_index"].astype(str).to_numpy()
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    ends = np.r_[starts[1:], len(values)]
    value = values["value"].to_numpy(dtype=float)
    numerator = values["numerator"].to_numpy(dtype=float)
    denominator = values["denominator"].to_numpy(dtype=float)
    metric_ids = values["metric"].to_numpy()
    for start, end in zip(starts, ends, strict=True):
        metric = METRICS[metric_ids[start]]
        block = slice(start, end)
        here = value[block]
        present = ~np.isnan(here)
        reported[block] = present.sum()
        if not present.any():
            continue
        median[block] = np.median(here[present])
        mean[block] = here[present].mean()
        rank[block] = stats.competition_rank(here, metric.polarity)
        columns["quartile_band"][block] = stats.quartile_bands(here, metric.polarity)
        columns["top_bottom_20"][block] = (
            stats.top_bottom_20(here, metric.polarity) if metric.polarity != "neutral" else None
        )
        if metric.method in (Method.PROPORTION, Method.RATE):
            columns["funnel"][block] = stats.funnel_position(numerator[block], denominator[block], metric.method.value)
    return values.assign(rank=rank, group_reported=reported, group_median=median, group_mean=mean, **columns)


def _neighbour_table() -> pd.DataFrame:
    rows = [
        (la, neighbour, closeness)
        for la, neighbours in reference.statistical_neighbours().items()
        for neighbour, closeness in neighbours
    ]
    return pd.DataFrame(rows, columns=["la_code", "neighbour", "closeness"])


def _neighbour_comparators(values: pd.DataFrame) -> pd.DataFrame:
    """Mean and median of each authority's statistical neighbours that reported, with the count."""
    pairs = _neighbour_table()
    joined = pairs.merge(
        values[["metric", "period_index", "la_code", "value"]].rename(columns={"la_code": "neighbour"}),
        on="neighbour",
    )
    joined = joined[joined["value"].notna()]
    return (
        joined.groupby(["metric", "period_index", "la_code"])["value"]
        .agg(sn_mean="mean", sn_median="median", sn_reported="count")
        .reset_index()
    )


def _rolling_and_trend(values: pd.DataFrame) -> pd.DataFrame:
    """Rolling four quarters and the 8-quarter trend at every quarter of every authority and metric.

    Works on a full grid (series x consecutive quarters) so that a missing quarter counts as
    missing rather than being skipped over.
    """
    periods = np.arange(values["period_index"].min(), values["period_index"].max() + 1)
    series_keys = values[["metric", "la_code"]].drop_duplicates().sort_values(["metric", "la_code"])
    grid = pd.MultiIndex.from_arrays(
        [np.repeat(series_keys["metric"].to_numpy(), len(periods)),
         np.repeat(series_keys["la_code"].to_numpy(), len(periods)),
         np.tile(periods, len(series_keys))],
        names=["metric", "la_code", "period_index"],
    )
    full = values.set_index(["metric", "la_code", "period_index"])[["value", "numerator", "denominator"]]
    full = full.reindex(grid)
    shape = (len(series_keys), len(periods))
    value = full["value"].to_numpy(dtype=float).reshape(shape)
    numerator = full["numerator"].to_numpy(dtype=float).reshape(shape)
    denominator = full["denominator"].to_numpy(dtype=float).reshape(shape)
    usable = ~np.isnan(numerator) & (denominator > 0)
    metrics = [METRICS[metric_id] for metric_id in series_keys["metric"]]
    multiplier = np.array([metric.multiplier for metric in metrics])[:, None]
    pooled = np.array([metric.method in (Method.PROPORTION, Method.RATE, Method.RATIO) for metric in metrics])[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled_value = (
            stats.window_sum(np.where(usable, numerator, np.nan), ROLLING_QUARTERS)
            / stats.window_sum(np.where(usable, denominator, np.nan), ROLLING_QUARTERS)
            * multiplier
        )
        mean_value = stats.window_sum(value, ROLLING_QUARTERS) / stats.window_sum(~np.isnan(value), ROLLING_QUARTERS)
    rolling = np.where(pooled, pooled_value, mean_value)
    slope, pvalue, points = stats.rolling_linear_trend(value, TREND_QUARTERS)
    polarity = np.array([metric.polarity.value for metric in metrics], dtype=object)[:, None]
    trend = stats.trend_labels(slope, pvalue, points, np.broadcast_to(polarity, shape))
    out = pd.DataFrame(
        {"rolling_4q": rolling.ravel(), "trend": trend.ravel(), "trend_slope": slope.ravel()}, index=full.index
    )
    return out[full["value"].notna().to_numpy()].reset_index()


def scorecard(db: Database) -> pd.DataFrame:
    """Every metric, authority and quarter with all network statistics: the table every view reads."""

    def build() -> pd.DataFrame:
        values = metric_values(db)
        members = set(network_members(db))
        values = values[values["la_code"].isin(members)]
        if values.empty:
            return values
        table = _group_statistics(values).rename(
            columns={"group_median": "network_median", "group_mean": "network_mean",
                     "group_reported": "network_reported"}
        )
        table["diff_from_median"] = table["value"] - table["network_median"]
        region = table["la_code"].map(lambda la: reference.authorities()[la].region_code)
        table["region_mean"] = table.assign(region=region).groupby(["metric", "period_index", "region"])[
            "value"
        ].transform("mean")
        table = table.merge(_neighbour_comparators(values), on=["metric", "period_index", "la_code"], how="left")
        table["sn_reported"] = table["sn_reported"].fillna(0).astype(int)
        table = table.merge(_rolling_and_trend(values), on=["metric", "la_code", "period_index"], how="left")
        flags = table["metric"].map(lambda metric_id: METRICS[metric_id].flag_above)
        table["flag"] = (table["value"] > flags.astype(float)).where(flags.notna(), False)
        table["period"] = table["period_index"].map(lambda index: Period.from_index(index).label)
        table["la_name"] = table["la_code"].map(reference.authority_name)
        return table

    return _cached(db, "scorecard", build)


COMPARE_COLUMNS = (
    "la_code", "la_name", "period", "metric", "value", "numerator", "denominator", "ci_low", "ci_high",
    "rank", "group_reported", "quartile_band", "top_bottom_20", "funnel", "network_median", "network_mean",
    "diff_from_median", "region_mean", "sn_mean", "sn_median", "sn_reported", "sn_closeness", "england",
    "england_source",
    "rolling_4q", "trend", "flag",
)


def peer_group(db: Database, key: str, for_la: str | None = None) -> PeerGroup:
    """`network`, `neighbours` or `region` (both need an authority) or a custom group's name."""
    members = network_members(db)
    if key == "network":
        return PeerGroup("network", "the whole network", tuple(members))
    if key in ("neighbours", "region"):
        if for_la is None:
            raise ValueError(f"the {key} group needs an authority (--for)")
        if key == "neighbours":
            neighbours = [code for code, _ in reference.statistical_neighbours().get(for_la, [])]
            return PeerGroup("neighbours", f"{reference.authority_name(for_la)} and its statistical neighbours",
                             (for_la, *neighbours))
        region = reference.authorities()[for_la].region_code
        return PeerGroup("region", f"network members in {reference.authorities()[for_la].region_name}",
                         tuple(la for la in members if reference.authorities()[la].region_code == region))
    return PeerGroup(key, key, tuple(custom_group_members(db, key)))


def compare(db: Database, period: Period, metric_id: str, group: str = "network",
            for_la: str | None = None) -> pd.DataFrame:
    """One metric in one quarter: a row for every authority of the peer group, with or without data.

    Rank, band, top/bottom 20% and funnel are within the peer group; the network median and mean
    are always the whole network's.
    """
    metric = get_metric(metric_id)
    peers = peer_group(db, group, for_la)
    table = scorecard(db)
    rows = table[(table["metric"] == metric.id) & (table["period_index"] == period.index)] if len(table) else table
    base = pd.DataFrame({"la_code": list(peers.members)})
    base["la_name"] = base["la_code"].map(reference.authority_name)
    rows = base.merge(rows.drop(columns=["la_name"], errors="ignore"), on="la_code", how="left")
    rows["metric"] = metric.id
    rows["period"] = period.label
    rows["period_index"] = period.index
    if peers.key != "network":
        regrouped = _group_statistics(rows[["metric", "period_index", "la_code", "value", "numerator", "denominator"]])
        rows = rows.drop(columns=["rank", "quartile_band", "top_bottom_20", "funnel"], errors="ignore").merge(
            regrouped[["la_code", "rank", "quartile_band", "top_bottom_20", "funnel", "group_reported"]],
            on="la_code", how="left", suffixes=("_network", ""),
        )
    else:
        rows["group_reported"] = rows["network_reported"]
    network = table[(table["metric"] == metric.id) & (table["period_index"] == period.index)] if len(table) else table
    if len(network):
        rows["network_median"] = network["value"].median()
        rows["network_mean"] = network["value"].mean()
        rows["diff_from_median"] = rows["value"] - rows["network_median"]
    neighbours = reference.statistical_neighbours()
    rows["sn_closeness"] = rows["la_code"].map(
        lambda la: "; ".join(f"{reference.authority_name(code)}: {label}" for code, label in neighbours.get(la, []))
    )
    rows["england"], rows["england_source"] = published_comparator(db, metric.id, period)
    for column in COMPARE_COLUMNS:
        if column not in rows:
            rows[column] = None
    rows["sn_reported"] = rows["sn_reported"].fillna(0).astype(int)
    return rows.sort_values(["rank", "la_name"], na_position="last")[list(COMPARE_COLUMNS)].reset_index(drop=True)


def authority_scorecard(db: Database, la_code: str, period: Period) -> pd.DataFrame:
    """Every metric for one authority in one quarter, in catalogue order: the My authority view."""
    table = scorecard(db)
    order = {metric.id: position for position, metric in enumerate(CATALOGUE)}
    mine = table[(table["la_code"] == la_code) & (table["period_index"] == period.index)] if len(table) else table
    base = pd.DataFrame({"metric": list(order)})
    mine = base.merge(mine, on="metric", how="left")
    mine["la_code"] = la_code
    mine["period"] = period.label
    return mine.sort_values("metric", key=lambda s: s.map(order)).reset_index(drop=True)


def series(db: Database, metric_id: str, la_code: str, last: Period, quarters: int = TREND_QUARTERS) -> pd.DataFrame:
    """The last `quarters` quarters of one metric for an authority beside the network median and its
    neighbours' mean, for the trend chart."""
    table = scorecard(db)
    first = last.shift(-(quarters - 1))
    periods = pd.DataFrame({"period_index": range(first.index, last.index + 1)})
    periods["period"] = periods["period_index"].map(lambda index: Period.from_index(index).label)
    if not len(table):
        return periods.assign(value=math.nan, network_median=math.nan, sn_mean=math.nan)
    metric_rows = table[table["metric"] == metric_id]
    medians = metric_rows.groupby("period_index")["network_median"].first()
    mine = metric_rows[metric_rows["la_code"] == la_code].set_index("period_index")
    periods["value"] = periods["period_index"].map(mine["value"])
    periods["sn_mean"] = periods["period_index"].map(mine["sn_mean"])
    periods["network_median"] = periods["period_index"].map(medians)
    return periods


def authority_trends(db: Database, la_code: str, last: Period, quarters: int = TREND_QUARTERS) -> dict[str, list]:
    """Each metric's last `quarters` values for an authority (None where missing), for sparklines."""
    table = scorecard(db)
    wanted = range(last.index - quarters + 1, last.index + 1)
    if not len(table):
        return {}
    rows = table[(table["la_code"] == la_code) & table["period_index"].isin(wanted)]
    values = rows.pivot(index="metric", columns="period_index", values="value").reindex(columns=list(wanted))
    return {
        metric_id: [None if pd.isna(value) else round(float(value), METRICS[metric_id].decimals) for value in row]
        for metric_id, row in zip(values.index, values.to_numpy(), strict=True)
    }
