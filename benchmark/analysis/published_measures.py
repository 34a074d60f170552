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
from dataclasses import dataclass

import numpy as np
import pandas as pd

from benchmark import reference
from benchmark.analysis import engine, stats
from benchmark.analysis.metrics import PER_10K, Polarity
from benchmark.db import Database
from benchmark.intake.standard import THEMES
from benchmark.periods import Period

SN_COUNT = 10
OGL = "Contains public sector information licensed under the Open Government Licence v3.0 (Department for Education)."
CIN_RELEASE = "DfE, Children in need, reporting year 2024 (Explore Education Statistics)"
CLA_RELEASE = ("DfE, Children looked after in England including adoptions, reporting year 2024 "
               "(Explore Education Statistics)")
EHCP_RELEASE = "DfE, Education, health and care plans, reporting year 2025 (Explore Education Statistics)"
NEET_RELEASE = "DfE, NEET and participation: local authority figures (NCCIS), 2023 and 2024"
RATE_METHOD = ("per 10,000 children aged 0-17: the published count over the ONS mid-year estimate for the same "
               "year, the population the network's own rates use")


@dataclass(frozen=True)
class PublishedMeasure:
    id: str
    name: str
    theme: str
    source: str  # the file stem without its years
    indicator: str  # the indicator column, in any case
    filters: tuple[tuple[str, str], ...]  # filter column (breakdown included) and the value wanted
    unit: str
    decimals: int
    polarity: Polarity
    per_10k: bool  # the published count is turned into a rate per 10,000 children aged 0-17
    definition: str
    publication: str
    period_text: str  # how one period reads, e.g. "31 Mar {period}" ({previous}: the year before)
    short: str
    caveat: str = ""
    minus: str | None = None  # a second indicator subtracted from the first: a gap in percentage points
    licence: str = OGL

    def format(self, value: float | None, symbol: str | None = None) -> str:
        """'13.6%', '412.3', '5.1 ppts'; the EES symbol where there is no number."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return symbol or "-"
        number = f"{value:,.{self.decimals}f}"
        return {"%": f"{number}%", "percentage points": f"{number} ppts"}.get(self.unit, number)

    def when(self, period: str | None) -> str:
        if not period:
            return "not loaded"
        year = str(period)[:4]
        return self.period_text.format(period=period, previous=int(year) - 1 if year.isdigit() else "")


H, L, N = Polarity.HIGHER, Polarity.LOWER, Polarity.NEUTRAL
B2 = "b2_children_in_need_recorded_disability"
B3 = "b3_cin_primary_need"
CLA = "la_children_looked_after_exclusively_under_a_series_of_short_term_placements"
NEET = "UD_NEETNK_LA_dashboard_final"
B2_FILTER = (("category", "Recorded disability"),)
B3_FILTER = (("category", "Primary need at assessment"),)
PLANS = (("breakdown", "All EHC plans issued"),)
REQUESTS = (("breakdown", "All requests for EHC needs assessments"),)
NEET_AGE = (("Age", "16-17"),)
CIN_AT = "31 Mar {period}"
NEET_AT = "Dec {previous}-Feb {period}"
CALENDAR = "calendar {period}"

CATALOGUE: tuple[PublishedMeasure, ...] = (
    # Short breaks
    PublishedMeasure(
        "cin_disability_count", "Children in need with a recorded disability", "short_breaks", B2,
        "At31_episodes_disability_recorded", B2_FILTER, "children", 0, N, False,
        "Children in need at 31 March whose record shows a disability (Children in need census, table B2).",
        CIN_RELEASE, CIN_AT, "CIN with disability"),
    PublishedMeasure(
        "cin_disability_pct", "Children in need with a recorded disability (% of CIN)", "short_breaks", B2,
        "At31_episodes_disability_recorded_percent", B2_FILTER, "%", 1, N, False,
        "Of children in need at 31 March, the percentage whose record shows a disability (table B2).",
        CIN_RELEASE, CIN_AT, "CIN with disability %"),
    PublishedMeasure(
        "cin_disability_per_10k", "Children in need with a recorded disability per 10,000", "short_breaks", B2,
        "At31_episodes_disability_recorded", B2_FILTER, PER_10K, 1, N, True,
        f"Children in need at 31 March with a recorded disability, {RATE_METHOD}.",
        CIN_RELEASE, CIN_AT, "CIN with disability per 10k"),
    PublishedMeasure(
        "cin_n2_per_10k", "Children in need with primary need 'child's disability or illness' (N2) per 10,000",
        "short_breaks", B3, "N2_Childs_disability_or_illness", B3_FILTER, PER_10K, 1, N, True,
        f"Children in need at 31 March whose primary need at assessment was N2, {RATE_METHOD} (table B3).",
        CIN_RELEASE, CIN_AT, "CIN primary need N2 per 10k"),
    PublishedMeasure(
        "cla_short_breaks_only", "Children looked after only through short-term placements (short breaks)",
        "short_breaks", CLA, "number",
        (("cla_group", "Children who were only looked after exclusively under a series of short term placements"),),
        "children", 0, N, False,
        "Children looked after during the year to 31 March only under an agreed series of short-term placements "
        "(section 20 short breaks); not counted in the children-looked-after totals.",
        CLA_RELEASE, "yr to 31 Mar {period}", "CLA only via short breaks",
        caveat="Most authorities report 0 or a suppressed figure ('c'), so ranks and bands say little here."),
    # Social care advice into EHC needs assessments
    PublishedMeasure(
        "ehcp_20wk_excl_pct", "EHC plans issued within 20 weeks, excluding exceptions (%)", "advice",
        "timeliness_20_week", "PC_plans_issued_20_weeks_ex", PLANS, "%", 1, H, False,
        "DfE's headline timeliness measure (SEND Regulations 2014, reg 13(2)); plans under a reg 13(3) exception "
        "are left out.", EHCP_RELEASE, CALENDAR, "EHCP 20 wks excl. exceptions %"),
    PublishedMeasure(
        "ehcp_20wk_incl_pct", "EHC plans issued within 20 weeks, including exceptions (%)", "advice",
        "timeliness_20_week", "pc_plans_issued_within_20_weeks", PLANS, "%", 1, H, False,
        "Every plan issued, as the network's own 20-week measure counts them (reg 13(2)).",
        EHCP_RELEASE, CALENDAR, "EHCP 20 wks incl. exceptions %"),
    PublishedMeasure(
        "ehc_requests_per_10k", "Requests for an EHC needs assessment per 10,000 children", "advice",
        "requests", "requests_received_in_year", REQUESTS, PER_10K, 1, N, True,
        f"Requests for an EHC needs assessment received in the calendar year (ages 0-25), {RATE_METHOD}.",
        EHCP_RELEASE, CALENDAR, "EHC requests per 10k"),
    PublishedMeasure(
        "ehc_requests_6wk_pct", "Requests for assessment decided within 6 weeks (%)", "advice",
        "requests", "request_outcome_six_weeks_pc", REQUESTS, "%", 1, H, False,
        "Of requests for an EHC needs assessment, the percentage where the decision whether to assess was made "
        "within the statutory 6 weeks (SEND Regulations 2014, reg 5(1)).",
        EHCP_RELEASE, CALENDAR, "Requests decided in 6 wks %"),
    # Transitions to adulthood
    PublishedMeasure(
        "neet_nk_ehcp_pct", "16-17 year olds with an EHC plan: NEET or not known (%)", "transitions",
        NEET, "NEET_NK_EHCP_percent", NEET_AGE, "%", 1, L, False,
        "Of 16-17 year olds with an EHC plan known to the authority, the percentage not in education, employment "
        "or training or whose activity is not known (average of December, January and February).",
        NEET_RELEASE, NEET_AT, "NEET/NK with EHCP %"),
    PublishedMeasure(
        "neet_nk_nosen_pct", "16-17 year olds with no SEN: NEET or not known (%)", "transitions",
        NEET, "NEET_NK_noSEN_percent", NEET_AGE, "%", 1, L, False,
        "The same measure for 16-17 year olds with no identified special educational need.",
        NEET_RELEASE, NEET_AT, "NEET/NK no SEN %"),
    PublishedMeasure(
        "neet_nk_ehcp_gap_ppts", "NEET or not known: gap between EHC plan and no SEN", "transitions",
        NEET, "NEET_NK_EHCP_percent", NEET_AGE, "percentage points", 1, L, False,
        "The percentage NEET or not known with an EHC plan minus the percentage with no SEN, in percentage "
        "points, each as published (rounded to 0.1).",
        NEET_RELEASE, NEET_AT, "NEET/NK gap ppts", minus="NEET_NK_noSEN_percent"),
    PublishedMeasure(
        "cohort_ehcp_pct", "16-17 year olds with an EHC plan (% of the cohort)", "transitions",
        NEET, "cohort_EHCP_percent", NEET_AGE, "%", 1, N, False,
        "Of 16-17 year olds known to the authority, the percentage with an EHC plan.",
        NEET_RELEASE, NEET_AT, "EHCP share of 16-17s %"),
)

MEASURES: dict[str, PublishedMeasure] = {measure.id: measure for measure in CATALOGUE}
assert {measure.theme for measure in CATALOGUE} <= set(THEMES)

# The keys of one comparison row, as the `context` command writes them.
CONTEXT_KEYS = ("measure", "name", "theme", "period", "value", "symbol", "region", "sn_mean", "sn_median",
                "sn_reported", "england", "rank", "rank_of", "quartile_band")
VALUE_COLUMNS = ["period", "level", "code", "name", "value", "symbol"]


def loaded(db: Database) -> bool:
    """Whether any published file has been loaded."""
    return bool(db.scalar("SELECT count(*) FROM published"))


def measures_for_theme(theme_id: str | None) -> list[PublishedMeasure]:
    return [measure for measure in CATALOGUE if theme_id is None or measure.theme == theme_id]


def get_measure(measure_id: str) -> PublishedMeasure:
    try:
        return MEASURES[measure_id]
    except KeyError:
        raise KeyError(f"unknown published measure '{measure_id}': see `python -m benchmark context --help`") from None


_YEARS = re.compile(r"[_-]?(?:19|20)\d{2}(?:[_-]?to[_-]?(?:19|20)\d{2})?(?=[_-]|$)")


def source_family(stem: str) -> str:
    """A file stem without its years: every release of a series shares it."""
    return _YEARS.sub("", stem)


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
