"""The catalogue of published measures: what DfE publishes about disabled children, defined once.

Like the metric catalogue (`metrics.py`) and DfE LAIT's data dictionary, each measure names its
source file, indicator column and filter values, unit, polarity and definition; pages, the
command line and packs all read it from here. Comparisons follow LAIT: the authority's value, its
region and England as published, the mean and median of its 10 statistical neighbours that
reported ("7 of 10"), its rank of every reporting authority in England and its quartile band.

A file's "source" is its stem with the years taken out (`b2_children_in_need_recorded_disability_
2013_to_2025` belongs to `b2_children_in_need_recorded_disability`), so next year's release joins
its series without a code change; where two releases publish the same year, the newer release wins.
EES symbols stay symbols: a suppressed cell has no value, is never 0 and never enters a mean.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re

import numpy as np
import pandas as pd

from benchmark import reference
from benchmark.analysis import engine, stats
from benchmark.db import Database
from benchmark.definitions.metrics import Polarity
from benchmark.definitions.published_catalogue import (
    CATALOGUE,
    MEASURES,
    SN_COUNT,
    PublishedMeasure,
    measures_for_theme,
)
from benchmark.periods import Period

# The keys of one comparison row, as the `context` command writes them.
CONTEXT_KEYS = ("measure", "name", "theme", "period", "value", "symbol", "region", "sn_mean", "sn_median",
                "sn_reported", "england", "rank", "rank_of", "quartile_band")
VALUE_COLUMNS = ["period", "level", "code", "name", "value", "symbol"]


def loaded(db: Database) -> bool:
    """Whether any published file has been loaded."""
    return bool(db.scalar("SELECT count(*) FROM published"))






_YEARS = re.compile(r"[_-]?(?:19|20)\d{2}(?:[_-]?to[_-]?(?:19|20)\d{2})?(?=[_-]|$)")


def source_family(stem: str) -> str:
    """A file stem without its years: every release of a series shares it."""
    return _YEARS.sub("", stem).strip()


def _releases(db: Database, family: str) -> list[str]:
    """The loaded files of a series, the newest release (latest period covered) first."""
    frame = db.frame("SELECT source, max(time_period) AS latest FROM published GROUP BY source")
    frame = frame[frame["source"].map(source_family) == family]
    return frame.sort_values(["latest", "source"], ascending=False)["source"].tolist()


def _wanted(frame: pd.DataFrame, filters: tuple[tuple[str, str], ...]) -> pd.Series:
    """Rows whose filter values match; a filter column a release leaves out matches anything."""
    if frame.empty:
        return pd.Series(dtype=bool)
    keep = pd.Series(True, index=frame.index)
    decoded = {text: json.loads(text) if text else {} for text in frame["filters"].dropna().unique()}
    for column, value in filters:
        if column in ("breakdown", "breakdown_topic"):
            keep &= frame[column].isin([value, "Total"]) | frame[column].isna()
        else:
            found = frame["filters"].map(lambda text, column=column: decoded.get(text, {}).get(column))
            keep &= found.isna() | (found == value)
    return keep


def _indicator_rows(db: Database, releases: list[str], indicator: str,
                    filters: tuple[tuple[str, str], ...]) -> pd.DataFrame:
    """One row per period and area: the value or symbol of the newest release publishing that period."""
    if not releases:
        return pd.DataFrame(columns=VALUE_COLUMNS)
    marks = ", ".join("?" * len(releases))
    frame = db.frame(
        "SELECT source, time_period AS period, geographic_level AS level, region_code, old_la_code, region_name, "
        "la_name, breakdown_topic, breakdown, filters, value, symbol FROM published "
        f"WHERE source IN ({marks}) AND lower(indicator) = lower(?)",
        [*releases, indicator],
    )
    frame = frame[_wanted(frame, filters)]
    frame = frame[frame["level"].isin(["National", "Regional", "Local authority"])].copy()
    frame["code"] = np.select(
        [frame["level"] == "National", frame["level"] == "Regional"], ["England", frame["region_code"]],
        frame["old_la_code"])
    frame["name"] = np.select(
        [frame["level"] == "National", frame["level"] == "Regional"], ["England", frame["region_name"]],
        frame["la_name"])
    frame = frame.dropna(subset=["code"])
    rank = {source: position for position, source in enumerate(releases)}
    frame["release"] = frame["source"].map(rank)
    newest = frame.groupby("period")["release"].transform("min")
    frame = frame[frame["release"] == newest].drop_duplicates(["period", "level", "code"])
    return frame[VALUE_COLUMNS].reset_index(drop=True)


def _per_10k(frame: pd.DataFrame) -> pd.Series:
    populations = [
        reference.area_population(code, int(str(period)[:4]))
        for code, period in zip(frame["code"], frame["period"], strict=True)
    ]
    population = pd.Series(populations, index=frame.index, dtype=float)
    return frame["value"] / population * 10_000


def measure_values(db: Database, measure: PublishedMeasure) -> pd.DataFrame:
    """Every published period and area of a measure: period, level, code (3-digit, region code or
    'England'), name, value (NaN where there is no number) and symbol (the EES symbol, else None).
    Kept until the data version moves on (a load or an upload)."""
    return engine.cached(db, f"published_measure:{measure.id}", lambda: _build_values(db, measure))


def _build_values(db: Database, measure: PublishedMeasure) -> pd.DataFrame:
    releases = _releases(db, measure.source)
    frame = _indicator_rows(db, releases, measure.indicator, measure.filters)
    if measure.minus:
        other = _indicator_rows(db, releases, measure.minus, measure.filters)
        frame = frame.merge(other, on=["period", "level", "code"], suffixes=("", "_minus"))
        frame["symbol"] = frame["symbol"].fillna(frame["symbol_minus"])
        frame["value"] = (frame["value"] - frame["value_minus"]).round(6)
        frame = frame[VALUE_COLUMNS]
    if measure.over:
        whole = _indicator_rows(db, releases, measure.over, measure.filters)
        frame = frame.merge(whole, on=["period", "level", "code"], suffixes=("", "_over"))
        frame["symbol"] = frame["symbol"].fillna(frame["symbol_over"])
        whole_value = frame["value_over"].astype(float)
        frame["value"] = (frame["value"].astype(float) / whole_value.where(whole_value > 0) * 100).round(6)
        frame = frame[VALUE_COLUMNS]
    frame["value"] = frame["value"].astype(float)
    if measure.per_10k and not frame.empty:
        frame["value"] = _per_10k(frame)
    # A number with no population or partner is not available: say so rather than leave it blank.
    frame.loc[frame["value"].isna() & frame["symbol"].isna(), "symbol"] = "x"
    return frame.sort_values(["period", "level", "code"]).reset_index(drop=True)


def _neighbour_figures(values: pd.Series, la_code: str) -> tuple[float, float, int]:
    """Mean and median of the statistical neighbours that reported a number, and how many did."""
    codes = [code for code, _ in reference.statistical_neighbours().get(la_code, [])[:SN_COUNT]]
    reported = values.reindex(codes).dropna()
    if reported.empty:
        return math.nan, math.nan, 0
    return float(reported.mean()), float(reported.median()), len(reported)


def _one_comparison(measure: PublishedMeasure, frame: pd.DataFrame, la_code: str,
                    period: str | None = None) -> dict:
    row: dict = dict.fromkeys(CONTEXT_KEYS)
    row.update(measure=measure.id, name=measure.name, theme=measure.theme, sn_reported=0, rank_of=0)
    if frame.empty:
        return row
    period = period or str(frame["period"].max())
    now = frame[frame["period"] == period]
    authorities = now[now["level"] == "Local authority"].set_index("code")
    numbers = authorities["value"].dropna()
    region_code = reference.authorities()[la_code].region_code
    lookup = {(level, code): (value, symbol) for level, code, value, symbol in
              now[["level", "code", "value", "symbol"]].itertuples(index=False)}
    value, symbol = lookup.get(("Local authority", la_code), (math.nan, "x"))
    sn_mean, sn_median, sn_reported = _neighbour_figures(numbers, la_code)
    row.update(period=period, value=_number(value), symbol=None if _number(value) is not None else symbol,
               region=_number(lookup.get(("Regional", region_code), (math.nan,))[0]),
               england=_number(lookup.get(("National", "England"), (math.nan,))[0]),
               sn_mean=_number(sn_mean), sn_median=_number(sn_median), sn_reported=sn_reported,
               rank_of=len(numbers))
    if row["value"] is not None:
        position = numbers.index.get_loc(la_code)
        row["rank"] = int(stats.competition_rank(numbers, measure.polarity.value)[position])
        row["quartile_band"] = stats.quartile_bands(numbers, measure.polarity.value)[position]
    return row


def _number(value: object) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def comparisons(db: Database, la_code: str, theme_id: str | None = None) -> pd.DataFrame:
    """One row per catalogued measure (of a theme, or all) for the latest period published: the
    authority's value or symbol, region, neighbours' mean and median with how many reported, England,
    rank of all reporting authorities in England and the quartile band (A best for the polarity)."""
    def build() -> pd.DataFrame:
        rows = [_one_comparison(measure, measure_values(db, measure), la_code)
                for measure in measures_for_theme(theme_id)]
        return pd.DataFrame(rows, columns=list(CONTEXT_KEYS))

    return engine.cached(db, f"published_context:{la_code}:{theme_id}", build).copy()


def warm(db: Database) -> None:
    """Build every measure's values, so that the first page after a restart need not wait for them."""
    for measure in CATALOGUE:
        measure_values(db, measure)


def trend(db: Database, measure: PublishedMeasure, la_code: str) -> pd.DataFrame:
    """Every period published for one authority: its value or symbol, region, neighbours and England."""
    frame = measure_values(db, measure)
    periods = sorted(frame["period"].unique())
    return pd.DataFrame([_one_comparison(measure, frame, la_code, period) for period in periods],
                        columns=list(CONTEXT_KEYS))


def chart_frame(db: Database, measure: PublishedMeasure, la_codes: list[str]) -> pd.DataFrame:
    """The series for England, the regions of the given authorities and each authority, shaped for
    `charts.context_chart`: year, geography, level, old_la_code, value, shown (value or symbol)."""
    frame = measure_values(db, measure)
    regions = {reference.authorities()[code].region_code for code in la_codes}
    keep = ((frame["level"] == "National") | ((frame["level"] == "Regional") & frame["code"].isin(regions))
            | ((frame["level"] == "Local authority") & frame["code"].isin(la_codes)))
    frame = frame[keep]
    return pd.DataFrame({
        "year": frame["period"].astype(str),
        "geography": frame["name"],
        "level": frame["level"],
        "old_la_code": frame["code"].where(frame["level"] == "Local authority"),
        "value": frame["value"],
        "shown": [measure.format(value, symbol) for value, symbol in zip(frame["value"], frame["symbol"], strict=True)],
    }).reset_index(drop=True)


def readable(measure: PublishedMeasure, row: dict | pd.Series) -> dict[str, str]:
    """A comparison row as people read it (LAIT's columns): symbols kept, 'n of 10 reported'."""
    return {
        "Measure": measure.name,
        "Period": measure.when(row["period"]),
        "Value": measure.format(row["value"], row["symbol"]),
        "Region": measure.format(row["region"], "x"),
        "Neighbours mean": measure.format(row["sn_mean"]),
        "Neighbours median": measure.format(row["sn_median"]),
        "Neighbours reported": f"{int(row['sn_reported'])} of {SN_COUNT}",
        "England": measure.format(row["england"], "x"),
        "Rank in England": (f"{int(row['rank'])} of {int(row['rank_of'])}" if _number(row["rank"]) is not None
                            else f"- of {int(row['rank_of'])}"),
        "Band": row["quartile_band"] if isinstance(row["quartile_band"], str) else "-",
    }


def context_table(db: Database, la_code: str, theme_id: str | None = None) -> pd.DataFrame:
    """The comparisons as a readable table, with each measure's polarity for colouring the band."""
    frame = comparisons(db, la_code, theme_id)
    rows = []
    for row in frame.to_dict("records"):
        measure = MEASURES[row["measure"]]
        rows.append({**readable(measure, row), "Polarity": measure.polarity.label, "measure": measure.id,
                     "neutral": measure.polarity is Polarity.NEUTRAL})
    return pd.DataFrame(rows)


# The joined measure no one publishes: short-break reach relative to children in need with a recorded
# disability. It mixes a quarterly count (the network's return) with an annual snapshot (DfE's
# census), so it is labelled with both and kept apart from the metric catalogue.
REACH_NAME = "Short-break reach relative to children in need with a recorded disability (%)"


def reach_vs_cin(db: Database, period: Period) -> tuple[pd.DataFrame, str]:
    """For each network authority with a return: children receiving short breaks in the quarter, CIN
    with a recorded disability at the latest 31 March published not after the quarter's end, and
    the first as a % of the second (la_code, la_name, children, cin, value, cin_shown); and the label
    that says which quarter and which 31 March. A suppressed census figure leaves the value empty
    rather than reaching back to an older year, so every authority is read against the same date."""
    census = measure_values(db, MEASURES["cin_disability_count"])
    census = census[census["level"] == "Local authority"]
    years = sorted({int(str(year)[:4]) for year in census["period"]})
    years = [year for year in years if dt.date(year, 3, 31) <= period.end]
    values = engine.metric_values(db)
    quarter = values[(values["metric"] == "sb_reach_per_10k") & (values["period_index"] == period.index)]
    frame = pd.DataFrame({"la_code": quarter["la_code"].to_numpy(), "children": quarter["numerator"].to_numpy()})
    frame["la_name"] = frame["la_code"].map(reference.authority_name)
    if not years:
        label = f"{REACH_NAME}: no census of children in need on or before {period.end:%d %B %Y} is loaded."
        return frame.assign(cin=math.nan, value=math.nan, cin_shown="x"), label
    year = years[-1]
    snapshot = census[census["period"].astype(str).str[:4].astype(int) == year].set_index("code")
    frame["cin"] = frame["la_code"].map(snapshot["value"]).astype(float)
    frame["cin_shown"] = [MEASURES["cin_disability_count"].format(value, symbol) for value, symbol in
                          zip(frame["cin"], frame["la_code"].map(snapshot["symbol"]).fillna("x"), strict=True)]
    frame["value"] = np.where(frame["cin"] > 0, frame["children"] / frame["cin"] * 100, np.nan)
    label = (f"Children receiving short breaks in {period} (a quarterly count from the network's return) as a "
             f"% of children in need with a recorded disability at 31 March {year} (DfE's annual snapshot). It "
             "mixes two kinds of count, so read it as rough reach, not a rate; it can exceed 100% because short "
             "breaks reach children who are not children in need.")
    return frame.sort_values("value", ascending=False, na_position="last").reset_index(drop=True), label


def latest_bands(db: Database, measure: PublishedMeasure) -> pd.DataFrame:
    """The latest period of a measure for every area (as `measure_values`), with each authority's
    quartile band among all reporting authorities in England."""
    frame = measure_values(db, measure)
    if frame.empty:
        return frame.assign(band=None)
    latest = frame[frame["period"] == frame["period"].max()].copy()
    authorities = (latest["level"] == "Local authority") & latest["value"].notna()
    latest["band"] = None
    latest.loc[authorities, "band"] = stats.quartile_bands(latest.loc[authorities, "value"], measure.polarity.value)
    return latest


def area_grid(db: Database, theme_id: str, la_codes: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A theme's measures across, the given authorities, their regions and England down: the text
    shown (value or symbol) and each authority's quartile band among all of England's."""
    la_codes = sorted(la_codes, key=reference.authority_name)
    regions = sorted({reference.authorities()[code].region_code for code in la_codes})
    areas = [("Local authority", code) for code in la_codes] + [("Regional", code) for code in regions]
    areas.append(("National", "England"))
    region_names = {authority.region_code: authority.region_name for authority in reference.authorities().values()}
    names = [reference.authority_name(code) if level == "Local authority" else region_names.get(code, code)
             for level, code in areas]
    texts, bands = {"Area": names}, {"Area": [None] * len(names)}
    for measure in measures_for_theme(theme_id):
        latest = latest_bands(db, measure).set_index(["level", "code"])
        shown, band = [], []
        for area in areas:
            if area in latest.index:
                row = latest.loc[area]
                # The band letter is written as well as shaded, as on the tartan rug: never colour alone.
                letter = f" ({row['band']})" if isinstance(row["band"], str) else ""
                shown.append(measure.format(row["value"], row["symbol"]) + letter)
                band.append(row["band"])
            else:
                shown.append("x")
                band.append(None)
        texts[measure.short] = shown
        bands[measure.short] = band
    return pd.DataFrame(texts), pd.DataFrame(bands)
