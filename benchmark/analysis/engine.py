"""The benchmark engine: every figure a page, the command line or a pack shows comes from here.

`metric_values` turns the current returns into one long table of metric values; `scorecard`
adds, for every metric, quarter and authority, the network statistics (rank, band, medians,
funnel position, neighbours, rolling four quarters and the 8-quarter trend); `compare` is one
metric in one quarter for one peer group.
"""

from __future__ import annotations

import functools
import math
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import pandas as pd

from benchmark import reference
from benchmark.access import membership
from benchmark.analysis import cycle, stats
from benchmark.analysis.groups import custom_group_members
from benchmark.analysis.published import published_comparator
from benchmark.db import Database
from benchmark.definitions.metrics import CATALOGUE, METRICS, POPULATION, Method, Metric, get_metric
from benchmark.definitions.standard import VALUE_FIELDS, Kind
from benchmark.periods import Period

TREND_QUARTERS = 8
ROLLING_QUARTERS = 4
TOP_BOTTOM_SHARE = 0.2
SN_COUNT = 10


def network_members(db: Database, period: Period | None = None) -> list[str]:
    """The network's member authorities in `period` (every authority ever a member without one),
    whether or not they have returned: see benchmark/access/membership.py."""
    return membership.members_in(db, period)


def _members_only(values: pd.DataFrame, db: Database) -> pd.DataFrame:
    """The rows of authorities that were members in the row's quarter."""
    spans = membership.member_quarters(db).set_index("la_code")
    codes, authorities = pd.factorize(values["la_code"])
    joined = spans["joined_index"].reindex(authorities).to_numpy(dtype=float)[codes]
    left = spans["left_index"].reindex(authorities).to_numpy(dtype=float)[codes]
    quarter = values["period_index"].to_numpy()
    inside = (quarter >= joined) & (np.isnan(left) | (quarter < left))
    return values if inside.all() else values[inside]  # no copy of every row when all were members


def periods_with_data(db: Database) -> list[Period]:
    rows = db.cursor().execute("SELECT DISTINCT period_index FROM return_rows ORDER BY 1").fetchall()
    return [Period.from_index(row[0]) for row in rows]


def _current_wide(db: Database, as_at: tuple[int, int] | None = None) -> pd.DataFrame:
    """One row per authority and quarter, one column per field of the standard (NaN = not available):
    the current returns, or those current at a sign-off's (last submission, last withdrawal)."""
    fields = list(VALUE_FIELDS)
    source = "current_values" if as_at is None else "values_as_at(?, ?)"
    # Read long and lay the values out here: one filtered aggregate per field in SQL costs several
    # times as much, and so does a text column a row. Authorities and fields come as their position in
    # a list (every authority with a stored row; a field outside the standard is -1: its row is kept,
    # its value not).
    cursor = db.cursor()
    authorities = [row[0] for row in cursor.execute("SELECT DISTINCT la_code FROM return_rows ORDER BY 1").fetchall()]
    long = cursor.execute(
        "SELECT list_position(?, la_code) - 1 AS authority, period_index, "
        f"coalesce(list_position(?, field), 0) - 1 AS field, value, date_value FROM {source}",
        [authorities, fields, *(as_at or ())],
    ).fetchnumpy()
    la_codes = long["authority"]
    periods = long["period_index"]
    first = periods.min() if len(periods) else 0
    span = periods.max() - first + 1 if len(periods) else 1
    # A slot per authority and quarter in order; the occupied ones are the rows (no sort needed).
    slot = la_codes.astype(np.int64) * span + periods - first
    occupied = np.zeros(len(authorities) * span, dtype=bool)
    occupied[slot] = True
    keys = np.flatnonzero(occupied)
    row = (np.cumsum(occupied) - 1)[slot]
    field = long["field"]
    known = field >= 0
    numeric = np.full((len(keys), len(fields)), np.nan)
    numeric[row[known], field[known]] = np.ma.filled(long["value"].astype(float), np.nan)[known]
    wide = pd.DataFrame(numeric, columns=fields)
    dates = np.ma.filled(long["date_value"], np.datetime64("NaT"))
    for position, (name, spec) in enumerate(VALUE_FIELDS.items()):
        if spec.kind is Kind.DATE:
            column = np.full(len(keys), np.datetime64("NaT"), dtype=dates.dtype)
            here = field == position
            column[row[here]] = dates[here]
            wide[name] = column
    wide.insert(0, "la_code", np.array(authorities, dtype=object)[keys // span])
    wide.insert(1, "period_index", (keys % span + first).astype(np.int32))
    # Looked up once per authority and year, not once per row: a table [authority, year] read by position.
    quarter_years = [Period.from_index(int(first) + offset).end.year for offset in range(span)] if len(keys) else []
    years, year_of_quarter = np.unique(np.array(quarter_years, dtype=int), return_inverse=True)
    populations = np.array([[reference.population_for(la, int(year)) or np.nan for year in years]
                            for la in authorities], dtype=float).reshape(len(authorities), len(years))
    wide[POPULATION] = populations[keys // span, year_of_quarter[keys % span]]
    return wide


def _per_quarter(period_index: pd.Series, work: Callable[[Period], object]) -> np.ndarray:
    """`work` of each row's quarter, worked out once per quarter."""
    codes, unique = pd.factorize(period_index)
    return np.array([work(Period.from_index(int(index))) for index in unique], dtype=object)[codes]


def _text(labels: list[str], codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """A text column from each row's position in `labels`: a label is made into text once, not once a row."""
    return pd.array(labels, dtype="str").take(codes)


def _words(labels: tuple[str, ...], codes: np.ndarray) -> pd.api.extensions.ExtensionArray | np.ndarray:
    """A column of judgements from their positions in `labels` (stats.NO_LABEL for none), as pandas makes
    one from the words themselves: text with missing values, or None throughout (object) if none has a word."""
    if (codes == stats.NO_LABEL).all():
        return np.full(codes.shape, None, dtype=object)
    return pd.array(list(labels), dtype="str").take(codes, allow_fill=True)


def _months_between(earlier: pd.Series, period_index: pd.Series) -> np.ndarray:
    """Whole months from each date to the end of its quarter."""
    dates = pd.to_datetime(earlier)
    end_dates = pd.to_datetime(pd.Series(_per_quarter(period_index, lambda period: period.end)))
    months = (end_dates.dt.year - dates.dt.year) * 12 + end_dates.dt.month - dates.dt.month
    months -= (end_dates.dt.day < dates.dt.day).astype(int)
    return months.to_numpy(dtype=float, na_value=np.nan)


def _one_metric(wide: pd.DataFrame, metric: Metric) -> dict[str, np.ndarray]:
    denominator = (
        wide[metric.denominator].to_numpy(dtype=float) if metric.denominator else np.full(len(wide), np.nan)
    )
    low = high = np.full(len(wide), np.nan)
    if metric.method is Method.AGE_MONTHS:
        numerator = _months_between(wide[metric.numerator[0]], wide["period_index"])
    else:
        # Column by column (a frame of the parts costs more than the sum): NaN unless every part is there.
        numerator = functools.reduce(np.add, (wide[name].to_numpy(dtype=float) for name in metric.numerator))
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
    return {"value": value, "numerator": numerator, "denominator": denominator, "ci_low": low, "ci_high": high}


_cache_lock = threading.Lock()
_cache: dict[tuple[str, str], tuple[int, object]] = {}
_building: dict[tuple[str, str], threading.Lock] = {}
Built = TypeVar("Built")


def cached(db: Database, name: str, build: Callable[[], Built]) -> Built:
    """Keep one computed table per database until its data version moves on (an upload). A table
    being built is built once: other threads asking for it meanwhile wait for that build."""
    version = db.data_version
    key = (str(db.path), name)
    with _cache_lock:
        hit = _cache.get(key)
        building = _building.setdefault(key, threading.Lock())
    if hit and hit[0] == version:
        return hit[1]
    with building:
        with _cache_lock:
            hit = _cache.get(key)
        if hit and hit[0] == version:
            return hit[1]
        table = build()
        with _cache_lock:
            _cache[key] = (version, table)
    return table


def warm(db: Database) -> None:
    """Build the tables every page reads, so that the first visitor after a restart need not wait."""
    scorecard(db)


def metric_values(db: Database, as_at: tuple[int, int] | None = None) -> pd.DataFrame:
    """Every metric for every authority and quarter with a return: value, numerator, denominator, CI.
    From the current returns, or from those current at a sign-off (`as_at`, see analysis/cycle.py)."""

    def build() -> pd.DataFrame:
        wide = _current_wide(db, as_at)
        parts = [_one_metric(wide, metric) for metric in CATALOGUE]
        la_codes, authorities = pd.factorize(wide["la_code"])
        # One frame built from whole columns: text columns are made once, not once per metric.
        return pd.DataFrame({
            "metric": _text([metric.id for metric in CATALOGUE], np.repeat(np.arange(len(CATALOGUE)), len(wide))),
            "la_code": _text(list(authorities), np.tile(la_codes, len(CATALOGUE))),
            "period_index": np.tile(wide["period_index"].to_numpy(), len(CATALOGUE)),
            **{column: np.concatenate([part[column] for part in parts]) for column in parts[0]},
        })

    return cached(db, "metric_values" if as_at is None else f"metric_values as at {as_at}", build)


@dataclass(frozen=True)
class PeerGroup:
    """A set of authorities compared with each other; `key` is what URLs and the CLI use."""

    key: str
    label: str
    members: tuple[str, ...]


def _group_statistics(values: pd.DataFrame) -> pd.DataFrame:
    """Rank, band, median, mean, top/bottom 20% and funnel position within each (metric, quarter)."""
    values = values.reset_index(drop=True)
    # One whole number per (metric, quarter): grouping on it is far quicker than on text; the metric's
    # polarity and method are looked up once per metric and spread by its code.
    metric_codes, metric_ids = pd.factorize(values["metric"])
    groups = metric_codes.astype(np.int64) * 1_000_000 + values["period_index"].to_numpy()
    metrics = [METRICS[metric_id] for metric_id in metric_ids]
    # Polarities and funnel kinds as Categoricals: stats compares their words once, not once a row.
    polarity = pd.Categorical([metric.polarity.value for metric in metrics])[metric_codes]
    funnelled = np.array([metric.method in (Method.PROPORTION, Method.RATE) for metric in metrics],
                         dtype=bool)[metric_codes]
    kinds = pd.Categorical(["rate" if metric.method is Method.RATE else "proportion"
                            for metric in metrics])[metric_codes]
    # The judgements are worked out as positions in their lists of words (stats.NO_LABEL for none).
    funnel = stats.funnel_position_codes(values["numerator"], values["denominator"], kinds, groups)
    funnel[~funnelled] = stats.NO_LABEL
    adjusted = stats.overdispersed_funnel(values["numerator"], values["denominator"], kinds, groups)
    adjusted_funnel = stats.funnel_class_codes(adjusted["z"])
    adjusted_funnel[~funnelled] = stats.NO_LABEL
    small = stats.small_numbers(values["numerator"], values["denominator"], kinds) & funnelled
    flags = stats.top_bottom_20_codes(values["value"], polarity, groups)
    flags[small] = stats.NO_LABEL  # shown and ranked, but not judged
    # Too few authorities reporting to compare them: values, counts and intervals, no judgement.
    unjudged = ~stats.enough_to_judge(values["value"], groups)
    bands = stats.quartile_band_codes(values["value"], polarity, groups)
    for judgement in (bands, flags, funnel, adjusted_funnel):
        judgement[unjudged] = stats.NO_LABEL
    value = values["value"].to_numpy(dtype=float)
    by_group = pd.Series(value).groupby(groups)
    return values.assign(
        rank=stats.competition_rank(value, polarity, groups),
        group_reported=by_group.transform("count").to_numpy(),
        group_median=stats.group_median(value, groups),
        group_mean=by_group.transform("mean").to_numpy(),
        quartile_band=_words(stats.QUARTILE_BANDS, bands),
        top_bottom_20=_words(stats.TOP_BOTTOM_20, flags),
        funnel=_words(stats.FUNNEL_CLASSES, funnel),
        funnel_adjusted=_words(stats.FUNNEL_CLASSES, adjusted_funnel),
        funnel_z=np.where(funnelled & ~unjudged, adjusted["z"], np.nan),
        group_rate=np.where(funnelled, adjusted["target"], np.nan),
        overdispersion_phi=np.where(funnelled, adjusted["phi"], np.nan),
        overdispersion_tau2=np.where(funnelled, adjusted["tau2"], np.nan),
        small_numbers=small,
    )


# The columns `_group_statistics` works out within a peer group, recomputed when the group changes.
GROUP_COLUMNS = ("rank", "group_reported", "quartile_band", "top_bottom_20", "funnel", "funnel_adjusted", "funnel_z",
                 "group_rate", "overdispersion_phi", "overdispersion_tau2", "small_numbers")


@dataclass(frozen=True)
class _Cubes:
    """Values laid out as arrays [metric, authority, consecutive quarter] (NaN where missing), so
    neighbours, rolling quarters and trends are array operations rather than joins; `where` is the
    position of each row they were built from, and `cells` the same as a position in a flattened cube
    (one index array is several times quicker to read or write through than three)."""

    metrics: list[str]
    authorities: list[str]
    first_period: int
    value: np.ndarray
    numerator: np.ndarray
    denominator: np.ndarray
    where: tuple[np.ndarray, np.ndarray, np.ndarray]
    cells: np.ndarray

    @classmethod
    def build(cls, values: pd.DataFrame) -> _Cubes:
        metric_codes, metrics = pd.factorize(values["metric"], sort=True)
        la_codes, authorities = pd.factorize(values["la_code"], sort=True)
        periods = values["period_index"].to_numpy(dtype=np.int64)
        first = int(periods.min())
        shape = (len(metrics), len(authorities), int(periods.max()) - first + 1)
        where = (metric_codes, la_codes, periods - first)
        cells = np.ravel_multi_index(where, shape)
        arrays = []
        for column in ("value", "numerator", "denominator"):
            cube = np.full(shape, np.nan)
            cube.put(cells, values[column].to_numpy(dtype=float))
            arrays.append(cube)
        return cls(list(metrics), list(authorities), first, *arrays, where, cells)


def _neighbour_comparators(cubes: _Cubes) -> dict[str, np.ndarray]:
    """Mean and median of each authority's statistical neighbours that reported, with the count."""
    position = {code: index for index, code in enumerate(cubes.authorities)}
    neighbours = reference.statistical_neighbours()
    table = np.full((len(cubes.authorities), SN_COUNT), -1)
    for row, code in enumerate(cubes.authorities):
        for column, (neighbour, _) in enumerate(neighbours.get(code, [])[:SN_COUNT]):
            table[row, column] = position.get(neighbour, -1)
    padded = np.concatenate([cubes.value, np.full(cubes.value[:, :1].shape, np.nan)], axis=1)
    around = padded[:, table, :]  # [metric, authority, neighbour, quarter]; -1 picks the NaN pad
    missing = np.isnan(around)
    reported = (~missing).sum(axis=2)
    # The median as np.nanmedian works it out (the mean of the middle two of the sorted values that
    # are there, NaN sorting last), without its masked arrays.
    ordered = np.sort(around, axis=2)
    middle = np.stack([np.maximum(reported - 1, 0) // 2, reported // 2], axis=2)
    low, high = np.take_along_axis(ordered, middle, axis=2).transpose(2, 0, 1, 3)
    with np.errstate(invalid="ignore", divide="ignore"):  # no neighbour reported: NaN
        return {"sn_mean": np.where(missing, 0.0, around).sum(axis=2) / reported,
                "sn_median": np.where(reported > 0, (low + high) / 2, np.nan), "sn_reported": reported}


def _region_means(cubes: _Cubes) -> dict[str, np.ndarray]:
    """Mean of the network's authorities in the same region, for each authority."""
    regions = np.array([reference.authorities()[code].region_code for code in cubes.authorities])
    means = np.full(cubes.value.shape, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a region with no value in a quarter
        for region in set(regions):
            members = regions == region
            means[:, members, :] = np.nanmean(cubes.value[:, members, :], axis=1, keepdims=True)
    return {"region_mean": means}


def _rolling_and_trend(cubes: _Cubes) -> dict[str, np.ndarray]:
    """Rolling four quarters and the 8-quarter trend at every quarter of every authority and metric.

    On the full grid of consecutive quarters, so a missing quarter counts as missing rather than
    being skipped over.
    """
    shape = cubes.value.shape
    flat = (shape[0] * shape[1], shape[2])
    value, numerator, denominator = (cube.reshape(flat) for cube in (cubes.value, cubes.numerator, cubes.denominator))
    metrics = [METRICS[metric_id] for metric_id in cubes.metrics]
    per_series = np.repeat(np.arange(len(metrics)), shape[1])
    multiplier = np.array([metric.multiplier for metric in metrics])[per_series][:, None]
    pooled = np.array([metric.method in (Method.PROPORTION, Method.RATE, Method.RATIO)
                       for metric in metrics])[per_series][:, None]
    usable = ~np.isnan(numerator) & (denominator > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled_value = (
            stats.window_sum(np.where(usable, numerator, np.nan), ROLLING_QUARTERS)
            / stats.window_sum(np.where(usable, denominator, np.nan), ROLLING_QUARTERS)
            * multiplier
        )
        mean_value = stats.window_sum(value, ROLLING_QUARTERS) / stats.window_sum(~np.isnan(value), ROLLING_QUARTERS)
    rolling = np.where(pooled, pooled_value, mean_value)
    slope, pvalue, points = stats.rolling_linear_trend(value, TREND_QUARTERS)
    polarity = np.array([metric.polarity.value for metric in metrics], dtype=object)[per_series][:, None]
    trend = stats.trend_codes(slope, pvalue, points, polarity)
    return {"rolling_4q": rolling.reshape(shape), "trend": trend.reshape(shape), "trend_slope": slope.reshape(shape),
            "trend_p": pvalue.reshape(shape)}


def scorecard(db: Database, revised: bool = False) -> pd.DataFrame:
    """Every metric, authority and quarter with all network statistics: the table every view reads.

    A signed-off quarter's rows are its figures as at sign-off (with their neighbours, ranks,
    rolling four quarters and trend as they were then); `revised` gives the latest returns for every
    quarter. Other quarters always use the latest returns, including for rolling and trend figures."""
    if revised or not cycle.signoffs(db):
        return cached(db, "scorecard", lambda: _scorecard_from(db, metric_values(db)))

    def build() -> pd.DataFrame:
        latest = scorecard(db, revised=True)
        signed = cycle.signoffs(db)
        parts = [latest[~latest["period_index"].isin(list(signed))]]
        for index, item in signed.items():
            values = metric_values(db, item.as_at)
            # Rolling and trend figures look back at most TREND_QUARTERS quarters.
            window = values[values["period_index"].between(index - TREND_QUARTERS + 1, index)]
            table = _scorecard_from(db, window)
            parts.append(table[table["period_index"] == index])
        parts = [part for part in parts if len(part)]
        if not parts:
            return latest.iloc[0:0]
        return pd.concat(parts, ignore_index=True).sort_values(["metric", "la_code", "period_index"],
                                                               ignore_index=True)

    return cached(db, "scorecard as signed off", build)


def _scorecard_from(db: Database, values: pd.DataFrame) -> pd.DataFrame:
    """The scorecard of these metric values (the network's members in each quarter only)."""
    values = _members_only(values, db) if len(values) else values
    if values.empty:
        return pd.DataFrame(columns=[*values.columns, *SCORECARD_COLUMNS])
    table = _group_statistics(values).rename(
        columns={"group_median": "network_median", "group_mean": "network_mean",
                 "group_reported": "network_reported"}
    )
    table["diff_from_median"] = table["value"] - table["network_median"]
    cubes = _Cubes.build(table)
    metric_codes, la_codes, quarters = cubes.where
    comparators = {**_neighbour_comparators(cubes), **_rolling_and_trend(cubes), **_region_means(cubes)}
    for name, cube in comparators.items():
        table[name] = _words(stats.TRENDS, cube.take(cubes.cells)) if name == "trend" else cube.take(cubes.cells)
    limits = np.array([METRICS[metric_id].flag_above for metric_id in cubes.metrics], dtype=float)[metric_codes]
    table["flag"] = pd.Series(table["value"].to_numpy() > limits, index=table.index).where(~np.isnan(limits), False)
    labels = [Period.from_index(cubes.first_period + offset).label for offset in range(cubes.value.shape[2])]
    table["period"] = _text(labels, quarters)
    table["la_name"] = _text([reference.authority_name(code) for code in cubes.authorities], la_codes)
    return table



SCORECARD_COLUMNS = (
    "rank", "network_reported", "network_median", "network_mean", "quartile_band", "top_bottom_20", "funnel",
    "funnel_adjusted", "funnel_z", "group_rate", "overdispersion_phi", "overdispersion_tau2", "small_numbers",
    "diff_from_median", "region_mean", "sn_mean", "sn_median", "sn_reported", "rolling_4q", "trend",
    "trend_slope", "trend_p", "flag", "period", "la_name",
)


COMPARE_COLUMNS = (
    "la_code", "la_name", "period", "metric", "value", "numerator", "denominator", "ci_low", "ci_high",
    "rank", "group_reported", "quartile_band", "top_bottom_20", "funnel", "funnel_adjusted", "overdispersion_phi",
    "overdispersion_tau2", "small_numbers", "network_median", "network_mean",
    "diff_from_median", "region_mean", "sn_mean", "sn_median", "sn_reported", "sn_closeness", "england",
    "england_source",
    "rolling_4q", "trend", "flag",
)


def peer_group(db: Database, key: str, for_la: str | None = None, period: Period | None = None) -> PeerGroup:
    """`network`, `neighbours` or `region` (both need an authority) or a custom group's name; with a
    quarter, the network and region are the authorities that were members in it."""
    members = network_members(db, period)
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
            for_la: str | None = None, revised: bool = False) -> pd.DataFrame:
    """One metric in one quarter: a row for every authority of the peer group, with or without data.

    Rank, band, top/bottom 20% and funnel are within the peer group; the network median and mean
    are always the whole network's.
    """
    metric = get_metric(metric_id)
    peers = peer_group(db, group, for_la, period)
    table = scorecard(db, revised)
    network = table[(table["metric"] == metric.id) & (table["period_index"] == period.index)]
    base = pd.DataFrame({"la_code": pd.Series(list(peers.members), dtype=object)})
    base["la_name"] = base["la_code"].map(reference.authority_name)
    rows = base.merge(network.drop(columns=["la_name"]).astype({"la_code": object}), on="la_code", how="left")
    rows["metric"] = metric.id
    rows["period"] = period.label
    rows["period_index"] = period.index
    if peers.key != "network":
        regrouped = _group_statistics(rows[["metric", "period_index", "la_code", "value", "numerator", "denominator"]])
        rows = rows.drop(columns=[column for column in GROUP_COLUMNS if column != "group_reported"],
                         errors="ignore").merge(
            regrouped[["la_code", *GROUP_COLUMNS]], on="la_code", how="left", suffixes=("_network", ""),
        )
    else:
        rows["group_reported"] = rows["network_reported"]
    rows["small_numbers"] = rows["small_numbers"].fillna(False).astype(bool)
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


def group_scorecard(db: Database, peers: PeerGroup, revised: bool = False) -> pd.DataFrame:
    """The scorecard rows of a peer group's members in every quarter, with rank, band, top/bottom
    20% and funnel classes worked out within the group (the whole network's are kept as they are);
    `revised` as for `scorecard`."""
    table = scorecard(db, revised)
    if not len(table):
        return table
    rows = table[table["la_code"].isin(peers.members)]
    if peers.key == "network" or rows.empty:
        return rows.assign(group_reported=rows["network_reported"], group_median=rows["network_median"])
    regrouped = _group_statistics(rows[["metric", "period_index", "la_code", "value", "numerator", "denominator"]])
    return rows.drop(columns=list(GROUP_COLUMNS), errors="ignore").reset_index(drop=True).join(
        regrouped[[*GROUP_COLUMNS, "group_median"]])


def authority_scorecard(db: Database, la_code: str, period: Period, revised: bool = False) -> pd.DataFrame:
    """Every metric for one authority in one quarter, in catalogue order: the My authority view."""
    table = scorecard(db, revised)
    order = {metric.id: position for position, metric in enumerate(CATALOGUE)}
    mine = table[(table["la_code"] == la_code) & (table["period_index"] == period.index)]
    base = pd.DataFrame({"metric": list(order)})
    mine = base.merge(mine, on="metric", how="left")
    mine["la_code"] = la_code
    mine["period"] = period.label
    return mine.sort_values("metric", key=lambda s: s.map(order)).reset_index(drop=True)


def series(db: Database, metric_id: str, la_code: str, last: Period, quarters: int = TREND_QUARTERS,
           revised: bool = False) -> pd.DataFrame:
    """The last `quarters` quarters of one metric for an authority beside the network median and its
    neighbours' mean, for the trend chart."""
    table = scorecard(db, revised)
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


def authority_trends(db: Database, la_code: str, last: Period, quarters: int = TREND_QUARTERS,
                     revised: bool = False) -> dict[str, list]:
    """Each metric's last `quarters` values for an authority (None where missing), for sparklines."""
    table = scorecard(db, revised)
    wanted = range(last.index - quarters + 1, last.index + 1)
    if not len(table):
        return {}
    rows = table[(table["la_code"] == la_code) & table["period_index"].isin(wanted)]
    values = rows.pivot(index="metric", columns="period_index", values="value").reindex(columns=list(wanted))
    return {
        metric_id: [None if pd.isna(value) else round(float(value), METRICS[metric_id].decimals) for value in row]
        for metric_id, row in zip(values.index, values.to_numpy(), strict=True)
    }
