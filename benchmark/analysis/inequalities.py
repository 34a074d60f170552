"""Inequalities: who the services reach and how quickly, by ethnicity, sex, age band and primary need.

Two kinds of measure, as the domain notes and D2I's disproportionality tool use them:
- **reach** (a rate): the group's count per 10,000 children of that group, and the **relative rate** against
  all other children of the same authority. The population by ethnicity is the school census headcount (pupils
  counted where their school is), the usual proxy between censuses;
- **an outcome inside a service** (a risk): the group's percentage with the *adverse* outcome (late, not
  assessed, no services, refused) and the **relative risk** of that adverse outcome against all other children
  in the same service (Keppel and Pearcy: a ratio of the favourable outcome can tell another story).

The reference is always "all other children in the authority" (not White British, as D2I uses). The unknown
group (Unclassified ethnicity, Unknown sex) is left out of both sides of every ratio and shown as its own share.
Intervals: Katz's log method for every ratio (`scipy.stats.contingency.relative_risk`), Wilson for a group's
percentage, exact Poisson for a group's rate. A ratio is judged "higher" or "lower" only where its interval
excludes 1, and never below the small-number minimums of `definitions/thresholds.py`.

Everything here is pure over DataFrames, except the readers at the end, which fetch the counts, the census
and DfE's published breakdowns from the database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.special import ndtri
from scipy.stats import norm

from benchmark import reference
from benchmark.analysis import stats
from benchmark.analysis.engine import cached
from benchmark.db import Database
from benchmark.definitions.breakdowns import (
    BREAKDOWNS,
    ETHNICITY,
    MAJOR_ETHNIC_GROUPS,
    UNCLASSIFIED,
    major_ethnic_group,
)
from benchmark.definitions.thresholds import (
    INEQUALITY_DISCUSSION_CONFIDENCE,
    INEQUALITY_DISPLAY_CONFIDENCE,
    INEQUALITY_MIN_COMPARISON,
    INEQUALITY_MIN_GROUP_COUNT,
    INEQUALITY_MIN_GROUP_DENOMINATOR,
)
from benchmark.intake.breakdowns import stored_breakdowns
from benchmark.periods import Period

PER = 10_000  # rates are per 10,000 children of the group
ROLLING_QUARTERS = 4  # the default window: the four quarters to the chosen one (counts summed)
JUDGEMENTS = ("higher", "lower", "no clear difference", "too few")
TOO_FEW = "too few"

# The ways a measure can be broken down: `ethnicity` is DfE's five major groups, `ethnicity_detail` its 19
# categories; the others are the breakdowns of the data standard.
BY_CHOICES = ("ethnicity", "ethnicity_detail", "sex", "age_band", "primary_need")


@dataclass(frozen=True)
class InequalityMeasure:
    """One inequalities measure: where its counts come from, and what its ratio compares."""

    id: str
    title: str
    source: str  # "return" (the network's breakdowns) or "published" (DfE's files)
    kind: str  # "rate" (per 10,000 of the group's population) or "risk" (adverse outcome, % of the service)
    # Return measures: a rate counts `field`; a risk's adverse count is `whole` minus `part` (or `field`).
    # Published measures: the same with DfE's indicator names; `whole` may be a sum of indicators.
    field: str | None = None
    whole: tuple[str, ...] = ()
    part: str | None = None
    source_file: str | None = None
    adverse: str = ""  # the adverse outcome, in words, as the ratio is of it
    denominator_label: str = ""

    def breakdowns(self) -> tuple[str, ...]:
        if self.source == "published":
            return ("ethnicity", "ethnicity_detail", "sex")
        return BY_CHOICES

    def has_ratio(self, by: str) -> bool:
        """Whether a ratio can be formed: a rate needs the group's population, which ships by ethnicity only."""
        return self.kind == "risk" or by in ("ethnicity", "ethnicity_detail")


MEASURES: dict[str, InequalityMeasure] = {m.id: m for m in (
    InequalityMeasure("sb_reach", "Short breaks received, per 10,000 children of the group", "return", "rate",
                      field="sb_children_total", adverse="receiving short breaks",
                      denominator_label="children of the group (school census)"),
    InequalityMeasure("sb_waiting", "Children waiting for short breaks, per 10,000 children of the group", "return",
                      "rate", field="sb_children_waiting", adverse="waiting for short breaks",
                      denominator_label="children of the group (school census)"),
    InequalityMeasure("adv_late", "Social care advice not provided within 6 weeks, % of advice provided", "return",
                      "risk", whole=("adv_returned",), part="adv_returned_6wk", adverse="advice later than 6 weeks",
                      denominator_label="advice provided"),
    InequalityMeasure("pfa_not_assessed", "Turned 18 without a Care Act assessment before the birthday, %", "return",
                      "risk", whole=("pfa_turned_18",), part="pfa_care_act_before_18",
                      adverse="no Care Act assessment before 18", denominator_label="young people turning 18"),
    InequalityMeasure("pfa_no_services", "Turned 18 with no adult services in place, %", "return", "risk",
                      whole=("pfa_turned_18",), part="pfa_services_at_18", adverse="no adult services at 18",
                      denominator_label="young people turning 18"),
    InequalityMeasure("ehc_requests", "EHC needs-assessment requests per 10,000 pupils of the group (DfE)",
                      "published", "rate", field="requests_received_in_year", source_file="requests",
                      adverse="requests for an EHC needs assessment", denominator_label="pupils (school census)"),
    InequalityMeasure("ehc_refused", "EHC needs-assessment requests refused, % of requests decided (DfE)",
                      "published", "risk", field="requests_decided_not_to_assess",
                      whole=("requests_decided_to_assess", "requests_decided_not_to_assess"), source_file="requests",
                      adverse="a request refused", denominator_label="requests decided"),
    InequalityMeasure("ehcp_late", "EHC plans not issued within 20 weeks, % of plans issued (DfE)", "published",
                      "risk", whole=("plans_issued_den",), part="plans_issued_within_20_weeks",
                      source_file="timeliness_20_week", adverse="a plan later than 20 weeks",
                      denominator_label="plans issued"),
)}

METHOD_NOTE = (
    "Ratios compare each group with all other children of the same authority (or service); the unknown group "
    "(Unclassified, Unknown) is left out of both sides and shown as its own share. Outcome ratios are of the adverse "
    "outcome. 95% intervals: Katz's log method for ratios, Wilson for percentages, exact Poisson for rates. A ratio "
    f"is 'higher' or 'lower' only where its interval excludes 1, and 'too few' where the group's count is under "
    f"{INEQUALITY_MIN_GROUP_COUNT}, its denominator under {INEQUALITY_MIN_GROUP_DENOMINATOR} or the comparison side "
    f"under {INEQUALITY_MIN_COMPARISON} (34 CFR 300.647). Discussion items need the 99.8% interval to exclude 1."
)
CENSUS_NOTE = ("School census headcount by ethnicity, January {year}: pupils counted where their school is, not where "
               "they live; the latest year published with the project.")
NO_POPULATION_NOTE = ("No population by sex, age band or primary need ships with the project, so no rate or ratio is "
                      "computed: the composition of those served is shown beside the network's.")


# --- the arithmetic, on DataFrames -------------------------------------------------------------------------


Z_DISPLAY = float(norm.ppf(0.5 + INEQUALITY_DISPLAY_CONFIDENCE / 2))
Z_DISCUSSION = float(norm.ppf(0.5 + INEQUALITY_DISCUSSION_CONFIDENCE / 2))


def katz(cases: npt.ArrayLike, total: npt.ArrayLike, other_cases: npt.ArrayLike, other_total: npt.ArrayLike
         ) -> tuple[np.ndarray, ...]:
    """Relative risk with Katz's log interval at 95%, and the same interval at 99.8%, a row each; NaN where no ratio
    can be formed (a count of 0 on one side, or not a risk).

    The 95% figures are `scipy.stats.contingency.relative_risk(...).confidence_interval()`'s, worked out in numpy
    with SciPy's own steps (counts as whole numbers, its z and its order of operations): one SciPy call a row took
    most of the second the whole national table has, and a test holds every row to SciPy's. The 99.8% interval
    widens the 95% one: its spread gives the standard error of ln RR, (ln high - ln low) / (2 z95), times z99.8."""
    a, n, b, m = (np.asarray(values, dtype=float) for values in (cases, total, other_cases, other_total))
    possible = (a >= 0) & (a <= n) & (b >= 0) & (b <= m) & (n > 0) & (m > 0)
    # SciPy takes whole numbers; its ratio is 0, infinite or undefined where a count is 0, and none of those is shown.
    a, n, b, m = (np.where(possible & (a > 0) & (b > 0), np.trunc(values), np.nan) for values in (a, n, b, m))
    ratio = (a / n) / (b / m)
    ratio = np.where((ratio > 0) & (ratio < np.inf), ratio, np.nan)
    delta = ndtri(1 - (1 - INEQUALITY_DISPLAY_CONFIDENCE) / 2) * np.sqrt(1 / a - 1 / n + 1 / b - 1 / m)
    low, high = ratio * np.exp(-delta), ratio * np.exp(delta)
    spread = (np.log(high) - np.log(low)) / 2 * Z_DISCUSSION / Z_DISPLAY
    return ratio, low, high, np.exp(np.log(ratio) - spread), np.exp(np.log(ratio) + spread)


def _judge(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    return np.select([low > 1, high < 1], ["higher", "lower"], "no clear difference").astype(object)


TOO_FEW_REASONS = (
    f"the group's count is under {INEQUALITY_MIN_GROUP_COUNT}",
    f"the group's denominator is under {INEQUALITY_MIN_GROUP_DENOMINATOR}",
    f"the other children number under {INEQUALITY_MIN_COMPARISON}",
)
UNKNOWN_NOT_COMPARED = "the unknown group is not compared"
NO_RATIO = "no ratio can be formed (a count of 0 on one side)"
COUNTS = ("numerator", "denominator", "exposure")
KATZ_COLUMNS = ("ratio", "ratio_low", "ratio_high", "strict_low", "strict_high", "too_few", "judgement",
                "strict_judgement")


def too_few_reasons(count: npt.ArrayLike, denominator: npt.ArrayLike, comparison: npt.ArrayLike) -> np.ndarray:
    """Which small-number rule stops each ratio being judged, in words; None where none does (nor a missing
    figure, which fails every rule)."""
    count, denominator, comparison = (np.asarray(values, dtype=float) for values in (count, denominator, comparison))
    rules = [~(count >= INEQUALITY_MIN_GROUP_COUNT), ~(denominator >= INEQUALITY_MIN_GROUP_DENOMINATOR),
             ~(comparison >= INEQUALITY_MIN_COMPARISON)]
    return np.select(rules, np.array(TOO_FEW_REASONS, dtype=object), None)


def ratios(counts: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Each group's value and its ratio against the rest of its area.

    `counts` has one row per area and group: `area`, `group`, `numerator` (children served, or with the adverse
    outcome; NaN where the figure is a symbol), `denominator` (the group's population, or those in the service),
    `exposure` (the denominator times the quarters pooled for a rate; the denominator for a risk) and `known`
    (False for the unknown group). Unknown and symbol rows are left out of every comparison. Adds `value` and its
    interval (per 10,000 for a rate, % for a risk), `comparison_numerator`, `comparison_denominator`,
    `comparison_value`, `ratio` with its 95% and 99.8% Katz intervals, `too_few` (the rule that applies),
    `judgement` (at 95%), `strict_judgement` (at 99.8%) and `share` (% of the area's count, unknown included).
    """
    frame = counts.reset_index(drop=True)
    usable, areas = _usable(frame), pd.factorize(frame["area"])[0]
    comparisons = {f"comparison_{column}": np.where(usable, total - np.nan_to_num(values), total)
                   for column, values, total in _area_totals(frame, usable, areas)}
    return _compared(frame, comparisons, kind, areas)


def _area_total(areas: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Each row's total of `values` over its area (`areas`: the rows' area codes from `pd.factorize`), a missing
    figure counting 0."""
    return np.bincount(areas, weights=np.nan_to_num(values), minlength=areas.max(initial=-1) + 1)[areas]


def _usable(frame: pd.DataFrame) -> np.ndarray:
    """The rows that take part in comparisons: a known group with both its figures."""
    return (frame["known"].to_numpy(dtype=bool) & frame["numerator"].notna().to_numpy()
            & frame["denominator"].notna().to_numpy())


def _area_totals(frame: pd.DataFrame, usable: np.ndarray, areas: np.ndarray
                 ) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """For each count: its name, the rows' figures and each row's area total (`areas`: the rows' area codes) over
    the `usable` rows."""
    figures = [(column, frame[column].to_numpy(dtype=float, na_value=np.nan)) for column in COUNTS]
    return [(column, values, _area_total(areas, np.where(usable, values, 0.0))) for column, values in figures]


def _compared(frame: pd.DataFrame, comparisons: dict[str, np.ndarray], kind: str, areas: np.ndarray
              ) -> pd.DataFrame:
    """`ratios` given each row's comparison side (`comparison_numerator`, `_denominator`, `_exposure`) and area code.
    Plain arrays throughout, the columns added at once: this runs for every measure, breakdown and authority."""
    numerator, denominator, exposure = (frame[column].to_numpy(dtype=float, na_value=np.nan) for column in COUNTS)
    other, other_denominator, other_exposure = (comparisons[f"comparison_{column}"] for column in COUNTS)
    known = frame["known"].to_numpy(dtype=bool)
    scale = PER if kind == "rate" else 100.0
    if kind == "rate":
        low, high = stats.poisson_interval(numerator, exposure, INEQUALITY_DISPLAY_CONFIDENCE)
    else:
        low, high = stats.wilson_interval(numerator, denominator, INEQUALITY_DISPLAY_CONFIDENCE)
    compared = known & ~np.isnan(numerator)
    ratio, ratio_low, ratio_high, strict_low, strict_high = katz(
        *(np.where(compared, values, np.nan) for values in (numerator, exposure, other, other_exposure)))
    reason = too_few_reasons(numerator, denominator, other_denominator)
    reason[pd.isna(reason) & np.isnan(ratio)] = NO_RATIO
    reason[~known] = UNKNOWN_NOT_COMPARED
    judged = pd.isna(reason)
    counted, served = _area_total(areas, numerator), _area_total(areas, denominator)
    # The unknown group has no value of its own to compare: its share of the area's count says how complete
    # the recording is.
    columns = {
        **comparisons,
        "value": np.where(known, numerator / np.where(exposure > 0, exposure, np.nan) * scale, np.nan),
        "value_low": np.where(known, low * scale, np.nan), "value_high": np.where(known, high * scale, np.nan),
        "comparison_value": np.where(known, other / np.where(other_exposure > 0, other_exposure, np.nan) * scale,
                                     np.nan),
        "ratio": ratio, "ratio_low": ratio_low, "ratio_high": ratio_high, "strict_low": strict_low,
        "strict_high": strict_high, "too_few": reason, "judgement": np.where(judged, _judge(ratio_low, ratio_high),
                                                                             TOO_FEW),
        "strict_judgement": np.where(judged, _judge(strict_low, strict_high), TOO_FEW),
        "small_numbers": ~judged,
        "share": numerator / np.where(counted > 0, counted, np.nan) * 100,
        "denominator_share": denominator / np.where(served > 0, served, np.nan) * 100,
    }
    added = pd.DataFrame(columns, index=frame.index)
    if added.empty:  # a table of no rows keeps the untyped columns pandas gives it
        added = added.astype(dict.fromkeys(KATZ_COLUMNS, object))
    return pd.concat([frame, added], axis=1)


def composition(counts: pd.DataFrame) -> pd.DataFrame:
    """Each group's share (%) of those counted in its area, unknown included, with a Wilson interval."""
    frame = counts.reset_index(drop=True).copy()
    totals = frame.groupby("area")["numerator"].transform("sum")
    low, high = stats.wilson_interval(frame["numerator"], totals, INEQUALITY_DISPLAY_CONFIDENCE)
    frame["share"] = frame["numerator"] / totals.where(totals > 0) * 100
    frame["share_low"], frame["share_high"] = low * 100, high * 100
    return frame


# --- groups -------------------------------------------------------------------------------------------------


def group_of(by: str, name: str) -> str | None:
    """The group a stored or published name counts in for `by`; None where it cannot (a return giving only the
    major ethnic groups has no detail)."""
    if by == "ethnicity":
        return major_ethnic_group(name)
    if by == "ethnicity_detail":
        return name if name in ETHNICITY.names() else None
    return name


def groups_for(by: str) -> tuple[str, ...]:
    if by == "ethnicity":
        return (*MAJOR_ETHNIC_GROUPS, UNCLASSIFIED)
    if by == "ethnicity_detail":
        return ETHNICITY.names()
    return BREAKDOWNS[by].names()


def unknown_group(by: str) -> str | None:
    return BREAKDOWNS["ethnicity" if by.startswith("ethnicity") else by].unknown


def stored_breakdown(by: str) -> str:
    """The data standard's `by` value a choice reads: both ethnicity choices read the ethnicity breakdown."""
    return "ethnicity" if by.startswith("ethnicity") else by


# --- readers ------------------------------------------------------------------------------------------------

CENSUS_FAMILY = "spc_pupils_ethnicity_la_totals"


def census_year_for(day: dt.date, years: list[int]) -> int | None:
    """The latest academic year (as its start year: 2021 for 2021/22) whose census January is not after `day`;
    the earliest where none is that old."""
    usable = [year for year in years if dt.date(year + 1, 1, 31) <= day]
    if usable:
        return max(usable)
    return min(years) if years else None


def census(db: Database) -> pd.DataFrame:
    """The school census headcount by detailed ethnicity: `year` (start year of the academic year), `level`,
    `code` (3-digit authority code, region code, or `E92000001`), `group`, `headcount`. Kept until the data
    changes."""
    return cached(db, "school census by ethnicity", lambda: _read_census(db))


def _read_census(db: Database) -> pd.DataFrame:
    # The filters are JSON: DuckDB reads them, and only the rows for all phases and languages are wanted.
    frame = db.frame(
        "SELECT time_period, geographic_level, region_code, old_la_code, value, "
        "json_extract_string(filters, '$.ethnicity') AS ethnicity FROM published "
        "WHERE source LIKE ? AND lower(indicator) = 'headcount' "
        "AND coalesce(json_extract_string(filters, '$.language'), 'Total') = 'Total' "
        "AND coalesce(json_extract_string(filters, '$.phase_type_grouping'), 'Total') = 'Total'",
        [f"{CENSUS_FAMILY}%"])
    frame = frame[frame["ethnicity"].isin(ETHNICITY.names())]
    return pd.DataFrame({
        "year": frame["time_period"].str[:4].astype(int),
        "level": frame["geographic_level"],
        "code": np.select([frame["geographic_level"] == "National", frame["geographic_level"] == "Regional"],
                          ["E92000001", frame["region_code"]], frame["old_la_code"]),
        "group": frame["ethnicity"],
        "headcount": frame["value"],
    })


def population(db: Database, by: str, day: dt.date) -> tuple[pd.DataFrame, int | None]:
    """Headcount by group for every place (`code`, `group`, `headcount`) from the census year for `day`."""
    frame = census(db)
    year = census_year_for(day, sorted(frame["year"].unique().tolist()))

    def build() -> pd.DataFrame:  # the same for every measure and period of the census year: kept
        people = frame[frame["year"] == year].assign(group=lambda rows: _group_map(by, rows["group"]))
        return people.groupby(["code", "group"], as_index=False)["headcount"].sum()

    return cached(db, f"population by {by} {year}", build), year


def census_label(year: int | None) -> str:
    return CENSUS_NOTE.format(year=year + 1) if year is not None else "No school census is loaded."


def window(period: Period, quarter_only: bool) -> list[int]:
    quarters = 1 if quarter_only else ROLLING_QUARTERS
    return list(range(period.index - quarters + 1, period.index + 1))


def window_cells(db: Database, indexes: list[int]) -> pd.DataFrame:
    """Every stored breakdown cell of the quarters `indexes` (one read for every measure and breakdown), in no
    particular order, kept until the data changes. A signed-off quarter's cells are as at its sign-off, as every
    other figure of it."""
    def read() -> pd.DataFrame:
        return stored_breakdowns(db, period_index=indexes, ordered=False)[
            ["la_code", "period_index", "count_of", "breakdown", "group_name", "count"]]

    return cached(db, f"breakdown cells {indexes[0]}-{indexes[-1]}", read)


def _group_map(by: str, names: pd.Series) -> pd.Series:
    lookup = {name: group_of(by, name) for name in names.unique()}
    return names.map(lookup)


def _window_codes(db: Database, indexes: list[int]) -> pd.DataFrame:
    """`window_cells` with its text as categoricals (sorted codes), coded once for every breakdown: comparing
    and filtering text took most of the time of the window's counts."""
    return cached(db, f"breakdown cell codes {indexes[0]}-{indexes[-1]}", lambda: window_cells(db, indexes).astype(
        dict.fromkeys(("la_code", "count_of", "breakdown", "group_name"), "category")))


@dataclass(frozen=True)
class WindowCounts:
    """A window's stored counts by the groups of a breakdown. `frame` has one row per authority, quarter and group
    (in that order): `la_code`, `period_index`, `group`, a column per count (NaN where that count was not broken
    down), and `authority` and `group_code`, the row's positions in the sorted `authorities` and `groups`: every
    measure pools these rows, and integer codes spare it comparing text."""

    frame: pd.DataFrame
    authorities: pd.Index
    groups: pd.Index


def _window_counts(db: Database, by: str, indexes: list[int]) -> WindowCounts:
    """The window's stored counts by the groups of `by`, summed once for every measure, kept until the data
    changes."""
    def build() -> WindowCounts:
        raw = _window_codes(db, indexes)
        raw = raw[raw["breakdown"] == stored_breakdown(by)]
        # Each stored name's group, as a sorted code (-1 for a name that counts in none).
        names = raw["group_name"].cat.categories
        name_group, groups = pd.factorize(pd.Series([group_of(by, name) for name in names], dtype="str"),
                                          sort=True)
        group = name_group[raw["group_name"].cat.codes.to_numpy()]
        raw = raw[group >= 0]
        if raw.empty:
            empty = pd.DataFrame({"la_code": [], "period_index": [], "group": [], "authority": np.zeros(0, dtype=int),
                                  "group_code": np.zeros(0, dtype=int)})
            return WindowCounts(empty, pd.Index([], dtype="str"), groups)
        # Sorted codes instead of a groupby of text: rows in the order of (la_code, period_index, group).
        authorities = raw["la_code"].cat.categories
        quarter, quarters = pd.factorize(raw["period_index"], sort=True)
        cell = np.ravel_multi_index((raw["la_code"].cat.codes.to_numpy(), quarter, group[group >= 0]),
                                    (len(authorities), len(quarters), len(groups)))
        given_fields, field = np.unique(raw["count_of"].cat.codes.to_numpy(), return_inverse=True)
        fields = raw["count_of"].cat.categories[given_fields]
        rows, row = np.unique(cell, return_inverse=True)
        counts = raw["count"].to_numpy(dtype=float, na_value=np.nan)
        slot = row * len(fields) + field
        total = np.bincount(slot, weights=np.nan_to_num(counts), minlength=len(rows) * len(fields))
        given = np.bincount(slot, weights=~np.isnan(counts), minlength=len(rows) * len(fields))
        # A count summed from no figure is missing, as a sum needing one figure.
        values = np.where(given > 0, total, np.nan).reshape(len(rows), len(fields))
        keys = np.unravel_index(rows, (len(authorities), len(quarters), len(groups)))
        frame = pd.DataFrame({"la_code": authorities[keys[0]], "period_index": quarters[keys[1]],
                              "group": groups[keys[2]], **{name: values[:, i] for i, name in enumerate(fields)},
                              "authority": keys[0], "group_code": keys[2]})
        return WindowCounts(frame, pd.Index(authorities, dtype="str"), groups)

    return cached(db, f"breakdown counts by {by} {indexes[0]}-{indexes[-1]}", build)


def _sorted_cells(keys: pd.DataFrame) -> tuple[np.ndarray, list[pd.Index]]:
    """One integer a row for the combination of `keys`' columns, ordered as the sorted combinations are, with each
    column's sorted values (a code's digits, most significant first, index them)."""
    codes, values = zip(*(pd.factorize(keys[column], sort=True) for column in keys), strict=True)
    return np.ravel_multi_index(codes, [len(column) for column in values]), list(values)


def pooled_counts(window_counts: WindowCounts, measure: InequalityMeasure, la_codes: list[str]) -> pd.DataFrame:
    """A return measure's counts summed over the window's quarters per authority of `la_codes` and group, in order
    of authority then group: `la_code`, `group`, `numerator` and `denominator` (for a risk: those with the adverse
    outcome and those in the service; for a rate: the count and 0), and `periods`, the quarters the authority has
    a cell in. A quarter counts only where every field the measure needs was broken down."""
    wide, authorities, groups = window_counts.frame, window_counts.authorities, window_counts.groups

    def count(field: str | None) -> np.ndarray:
        return wide[field].to_numpy(dtype=float) if field in wide else np.full(len(wide), np.nan)

    if measure.kind == "rate":
        numerator, denominator = count(measure.field), np.full(len(wide), np.nan)
    else:
        denominator = count(measure.whole[0])
        numerator = denominator - count(measure.part)
    authority, group = wide["authority"].to_numpy(), wide["group_code"].to_numpy()
    wanted = set(la_codes)  # a set lookup per authority: Index.isin took longer, hashing the text every table
    member = np.array([code in wanted for code in authorities], dtype=bool)
    kept = ~np.isnan(numerator) & member[authority]
    if not kept.any():
        return pd.DataFrame(columns=["la_code", "group", "numerator", "denominator", "periods"])
    authority, group, quarter = authority[kept], group[kept], wide["period_index"].to_numpy()[kept]
    pairs, pair = np.unique(authority * len(groups) + group, return_inverse=True)
    # Per authority, the distinct quarters it has a cell in.
    quarter_codes, quarter = np.unique(quarter, return_inverse=True)
    quarters = np.bincount(np.unique(authority * len(quarter_codes) + quarter) // len(quarter_codes),
                           minlength=len(authorities))
    pair_authority, pair_group = pairs // len(groups), pairs % len(groups)
    return pd.DataFrame({"la_code": authorities[pair_authority], "group": groups[pair_group], **{
        column: np.bincount(pair, weights=np.nan_to_num(values[kept]), minlength=len(pairs))
        for column, values in (("numerator", numerator), ("denominator", denominator))},
        "periods": quarters[pair_authority].astype("int64")})


def _attach_population(frame: pd.DataFrame, people: pd.DataFrame, code_column: str) -> pd.DataFrame:
    key = people.set_index(["code", "group"])["headcount"]
    index = pd.MultiIndex.from_arrays([frame[code_column], frame["group"]])
    frame = frame.copy()
    frame["denominator"] = key.reindex(index).to_numpy()
    return frame


def return_counts(db: Database, measure: InequalityMeasure, by: str, period: Period, quarter_only: bool,
                  la_codes: list[str]) -> tuple[pd.DataFrame, str]:
    """Per authority and group: numerator, denominator, exposure and quarters pooled, ready for `ratios`;
    with the note on the denominator's source."""
    frame = pooled_counts(_window_counts(db, by, window(period, quarter_only)), measure, la_codes)
    note = ""
    if measure.kind == "rate" and measure.has_ratio(by):
        people, year = population(db, by, period.end)
        frame = _attach_population(frame, people, "la_code")
        frame["exposure"] = frame["denominator"] * frame["periods"]
        note = census_label(year)
    else:
        frame["exposure"] = frame["denominator"]
    frame["known"] = frame["group"] != unknown_group(by)
    return frame.rename(columns={"la_code": "area"}), note


def _published_rows(db: Database, source_file: str, topic: str, year: int) -> pd.DataFrame:
    """DfE's rows of one file, breakdown topic and year, for every indicator a measure reads from that file (read
    once for all of them, kept until the data changes): `area` (3-digit code, region code or E92000001),
    `level`, `name`, `breakdown`, `indicator` (lower case), `value`, `symbol`."""
    indicators = sorted({name.lower() for measure in MEASURES.values() if measure.source_file == source_file
                         for name in (measure.field, *measure.whole, measure.part) if name})

    def read() -> pd.DataFrame:
        frame = db.frame(
            "SELECT geographic_level AS level, region_code, region_name, old_la_code, la_name, breakdown, "
            "lower(indicator) AS indicator, value, symbol FROM published "
            "WHERE source = ? AND breakdown_topic = ? AND time_period = ? "
            f"AND lower(indicator) IN ({', '.join('?' * len(indicators))})",
            [source_file, topic, str(year), *indicators])
        national, regional = frame["level"] == "National", frame["level"] == "Regional"
        frame["area"] = np.select([national, regional], ["E92000001", frame["region_code"]], frame["old_la_code"])
        frame["name"] = np.select([national, regional], ["England", frame["region_name"]], frame["la_name"])
        return frame

    return cached(db, f"published rows {source_file} {topic} {year}", read)


def _published_groups(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """DfE's figures summed per group of `keys` (sorted), a column per indicator (missing where no figure is given),
    with the group's `symbol` (its first figure's that has one; numbers when none has) and whether any figure is
    `missing` (a major group summed from its categories is missing if any category is a symbol). Sorted integer
    codes, not groupbys of text: this runs for every published measure and breakdown."""
    if frame.empty:
        return pd.DataFrame({**{key: pd.Series(dtype=object) for key in keys}, "symbol": pd.Series(dtype=float),
                             "missing": pd.Series(dtype=bool)})
    cell, names = _sorted_cells(frame[keys])
    field, indicators = pd.factorize(frame["indicator"], sort=True)
    groups, group = np.unique(cell, return_inverse=True)
    figures = frame["value"].to_numpy(dtype=float, na_value=np.nan)
    slot, size = group * len(indicators) + field, len(groups) * len(indicators)
    given = np.bincount(slot, weights=~np.isnan(figures), minlength=size)
    sums = np.where(given > 0, np.bincount(slot, weights=np.nan_to_num(figures), minlength=size), np.nan)
    with_symbol = np.flatnonzero(frame["symbol"].notna().to_numpy())
    symbolled, first = np.unique(group[with_symbol], return_index=True)
    symbols = np.full(len(groups), np.nan, dtype=object)
    symbols[symbolled] = frame["symbol"].to_numpy(dtype=object)[with_symbol[first]]
    codes = np.unravel_index(groups, [len(values) for values in names])
    return pd.DataFrame({
        **{key: values[code] for key, values, code in zip(keys, names, codes, strict=True)},
        **dict(zip(indicators, sums.reshape(len(groups), len(indicators)).T, strict=True)),
        "symbol": pd.Index(symbols).infer_objects(),
        "missing": np.bincount(group, weights=np.isnan(figures), minlength=len(groups)) > 0})


def published_counts(db: Database, measure: InequalityMeasure, by: str, year: int) -> tuple[pd.DataFrame, str]:
    """DfE's published counts by group for one year, every authority, region and England: `area` (3-digit code,
    region code or E92000001), `level`, `name`, `group`, numerator, denominator, exposure, `symbol`, `known`."""
    indicators = {name.lower() for name in (measure.field, *measure.whole, measure.part) if name}
    frame = _published_rows(db, measure.source_file, "Sex" if by == "sex" else "Ethnicity", year)
    frame = frame[frame["indicator"].isin(indicators)].assign(group=lambda rows: _group_map(by, rows["breakdown"]))
    keys = ["area", "level", "name", "group"]
    out = _published_groups(frame.dropna(subset=keys), keys)

    def column(name: str) -> pd.Series:
        return out[name.lower()] if name.lower() in out else pd.Series(np.nan, index=out.index)

    if measure.kind == "risk":
        whole = sum(column(name) for name in measure.whole)
        adverse = column(measure.field) if measure.field else whole - column(measure.part)
        out["numerator"], out["denominator"] = adverse, whole
    else:
        out["numerator"] = column(measure.field)
    out.loc[out["missing"], "numerator"] = np.nan
    note = ""
    if measure.kind == "rate" and measure.has_ratio(by):
        people, census_year = population(db, by, dt.date(year, 12, 31))
        out = _attach_population(out, people, "area")
        note = census_label(census_year)
    if "denominator" not in out:  # a rate with no population by this breakdown: composition only
        out["denominator"] = np.nan
    out["exposure"] = out["denominator"]
    out["known"] = out["group"] != unknown_group(by)
    return out[["area", "level", "name", "group", "numerator", "denominator", "exposure", "symbol", "known"]], note


def published_years(db: Database, measure: InequalityMeasure) -> list[int]:
    """The years DfE publishes the measure's breakdowns for, oldest first."""
    # One read for every file, kept until the data changes: each published table asks.
    years = cached(db, "published breakdown years", lambda: db.frame(
        "SELECT DISTINCT source, time_period FROM published WHERE breakdown_topic IN ('Ethnicity', 'Sex') "
        "ORDER BY 1, 2"))
    periods = years.loc[years["source"] == measure.source_file, "time_period"]
    return [int(period) for period in periods if str(period).isdigit()]


def authority_name(code: str) -> str:
    return reference.authority_name(code)


# --- the table: every authority, the network, and for DfE's measures the region and England --------------

NETWORK = "network"
TABLE_COLUMNS = (
    "la_code", "la_name", "level", "measure", "by", "group", "numerator", "denominator", "value", "value_low",
    "value_high", "comparison_value", "ratio", "ratio_low", "ratio_high", "strict_low", "strict_high",
    "small_numbers", "too_few", "judgement", "strict_judgement", "share", "denominator_share", "known", "symbol",
    "periods",
)


@dataclass(frozen=True)
class InequalityTable:
    """One measure and breakdown for one period: the rows, and what the reader must be told."""

    measure: InequalityMeasure
    by: str
    period_label: str
    rows: pd.DataFrame
    notes: tuple[str, ...]

    @property
    def has_ratio(self) -> bool:
        return self.measure.has_ratio(self.by)


def _shown(frame: pd.DataFrame, excluded: set[tuple[str, str]]) -> np.ndarray:
    """Which rows' (area, group) cells the reader may see."""
    if not excluded:
        return np.ones(len(frame), dtype=bool)
    return ~pd.MultiIndex.from_arrays([frame["area"], frame["group"]]).isin(list(excluded))


def _pooled_network(frame: pd.DataFrame, kind: str, excluded: set[tuple[str, str]]) -> pd.DataFrame:
    """The network pooled per group: for group g, the authorities whose g cell the reader may see, each with its
    other groups as the rest (so both sides are the same authorities' children)."""
    frame = frame.reset_index(drop=True)
    usable, shown = _usable(frame), _shown(frame, excluded)
    groups, names = pd.factorize(frame["group"], sort=True)
    present = np.bincount(groups[shown], minlength=len(names)) > 0
    known = frame["known"].to_numpy(dtype=bool)[np.unique(groups, return_index=True)[1]]

    def per_group(values: np.ndarray) -> np.ndarray:  # the shown rows' sum, missing where no figure is given
        given = np.bincount(groups[shown], weights=~np.isnan(values[shown]), minlength=len(names))
        total = np.bincount(groups[shown], weights=np.nan_to_num(values[shown]), minlength=len(names))
        return np.where(given > 0, total, np.nan)[present]

    counts, comparisons = {}, {}
    for column, values, total in _area_totals(frame, usable, pd.factorize(frame["area"])[0]):
        counts[column] = per_group(values)
        comparisons[f"comparison_{column}"] = np.nan_to_num(per_group(np.where(usable, total - np.nan_to_num(values),
                                                                                0.0)))
    network = pd.DataFrame({"group": names[present], **counts, "known": known[present], "area": NETWORK})
    return _compared(network, comparisons, kind, np.zeros(len(network), dtype=int))


def _finish(frame: pd.DataFrame, measure: InequalityMeasure, by: str) -> pd.DataFrame:
    frame = frame.reset_index(drop=True)
    given = {"measure": measure.id, "by": by}
    return pd.DataFrame({column: frame[column] if column in frame and column not in given else given.get(column)
                         for column in TABLE_COLUMNS}, index=frame.index)


def _composition_rows(frame: pd.DataFrame, excluded: set[tuple[str, str]]) -> pd.DataFrame:
    """Reach by sex, age band or primary need: each group's share of those served, beside the network's."""
    shares = composition(frame)
    shown = frame[_shown(frame, excluded)]
    network = shown.groupby("group")["numerator"].sum()
    network_share = network / network.sum() * 100 if network.sum() else network * float("nan")
    shares["value"], shares["value_low"], shares["value_high"] = shares["share"], shares["share_low"], shares[
        "share_high"]
    shares["comparison_value"] = shares["group"].map(network_share)
    net = pd.DataFrame({"area": NETWORK, "group": network.index, "numerator": network.to_numpy(),
                        "value": network_share.to_numpy(), "share": network_share.to_numpy()})
    out = pd.concat([shares, net], ignore_index=True)
    out["known"] = True
    return out


def return_table(db: Database, measure_id: str, by: str, period: Period, quarter_only: bool = False,
                 la_codes: list[str] | None = None, excluded: set[tuple[str, str]] | frozenset = frozenset()
                 ) -> InequalityTable:
    """A measure from the network's breakdowns for the window to `period`: each authority's groups and the
    network's pooled figures (leaving out the `excluded` (authority, group) cells the reader may not see)."""
    measure = MEASURES[measure_id]
    codes = la_codes if la_codes is not None else sorted(
        db.frame("SELECT DISTINCT la_code FROM current_breakdowns")["la_code"])
    frame, note = return_counts(db, measure, by, period, quarter_only, codes)
    indexes = window(period, quarter_only)
    label = str(period) if quarter_only else f"the four quarters to {period}"
    notes = [note] if note else []
    if frame.empty:
        return InequalityTable(measure, by, label, _finish(pd.DataFrame(columns=["la_code"]), measure, by),
                               (*notes, "No authority has returned this breakdown for the period."))
    if measure.has_ratio(by):
        rows = pd.concat([ratios(frame, measure.kind), _pooled_network(frame, measure.kind, set(excluded))],
                         ignore_index=True)
        notes.append(METHOD_NOTE)
    else:
        rows = _composition_rows(frame, set(excluded))
        notes.append(NO_POPULATION_NOTE)
    rows["level"] = np.where(rows["area"] == NETWORK, NETWORK, "authority")
    rows["la_code"] = rows["area"].where(rows["area"] != NETWORK, "")
    # Each area's name and quarters looked up once and spread by its code, rather than a text map a row.
    area_code, areas = pd.factorize(rows["area"])
    names = [("Network (pooled)" if area == NETWORK else authority_name(area)) for area in areas]
    rows["la_name"] = pd.Series(np.array(names, dtype=object)[area_code], index=rows.index, dtype="str")
    quarters = dict(zip(frame["area"].tolist(), frame["periods"].tolist(), strict=True))  # the same on every row
    quarters[NETWORK] = max(quarters.values())
    rows["periods"] = np.array([quarters.get(area, 0) for area in areas], dtype="int64")[area_code]
    first = Period.from_index(indexes[0])
    if not quarter_only:
        notes.append(f"Counts summed over the quarters returned from {first} to {period} (rates per 10,000 a quarter).")
    return InequalityTable(measure, by, label, _finish(rows, measure, by), tuple(notes))


def _as_frame(result: tuple[pd.DataFrame, str]) -> pd.DataFrame:
    frame, note = result
    frame.attrs["note"] = note
    return frame


def published_table(db: Database, measure_id: str, by: str, year: int | None = None,
                    la_codes: list[str] | None = None) -> InequalityTable:
    """A measure from DfE's published breakdowns for one year: every authority in England, each region,
    England, and the network (`la_codes`) pooled."""
    measure = MEASURES[measure_id]
    years = published_years(db, measure)
    year = year if year is not None else (years[-1] if years else None)
    if year is None:
        return InequalityTable(measure, by, "", _finish(pd.DataFrame(columns=["la_code"]), measure, by),
                               ("DfE's breakdowns are not loaded (python -m benchmark published load).",))
    # Every authority in England is the same for every reader and network: kept until the data changes.
    frame = cached(db, f"published counts {measure_id} {by} {year}",
                   lambda: _as_frame(published_counts(db, measure, by, year)))
    note = str(frame.attrs.get("note", ""))
    notes = [note] if note else []
    symbols = frame["symbol"].notna() & frame["numerator"].isna()
    if symbols.any():
        notes.append(f"{int(symbols.sum())} published figures are symbols (c, x, z): those groups are left out of "
                     "their comparisons.")
    if measure.has_ratio(by):
        rows = cached(db, f"published ratios {measure_id} {by} {year}", lambda: ratios(frame, measure.kind)).copy()
        members = frame[frame["area"].isin(la_codes or []) & (frame["level"] == "Local authority")]
        if not members.empty:
            network = _pooled_network(members.drop(columns=["level", "name", "symbol"]), measure.kind, set())
            network["level"], network["name"] = NETWORK, "Network (pooled)"
            rows = pd.concat([rows, network], ignore_index=True)
        notes.append(METHOD_NOTE)
    else:
        rows = _composition_rows(frame[frame["level"] == "Local authority"].drop(columns=["level", "name"]), set())
        rows = rows[rows["area"] != NETWORK]
        rows["level"], rows["name"] = "Local authority", rows["area"].map(authority_name)
        notes.append(NO_POPULATION_NOTE)
    level_names = {"Local authority": "authority", "Regional": "region", "National": "england", NETWORK: NETWORK}
    rows["level"] = rows["level"].map(level_names)
    rows["la_code"] = np.where(rows["level"] == "authority", rows["area"], "")
    rows["la_name"] = rows["name"]
    rows["periods"] = 1
    return InequalityTable(measure, by, f"{year} (DfE, calendar year)", _finish(rows, measure, by), tuple(notes))


def table(db: Database, measure_id: str, by: str, period: str | None = None, quarter_only: bool = False,
          la_codes: list[str] | None = None, excluded: set[tuple[str, str]] | frozenset = frozenset()
          ) -> InequalityTable:
    """Either kind of measure; `period` is a quarter for return measures, DfE's year for published ones."""
    measure = MEASURES[measure_id]
    if by not in measure.breakdowns():
        choices = ", ".join(measure.breakdowns())
        raise ValueError(f"{measure_id} cannot be broken down by {by}: choose one of {choices}.")
    if measure.source == "published":
        return published_table(db, measure_id, by, int(period) if period else None, la_codes)
    if period is None:
        raise ValueError("A quarter is needed for a measure from the returns, e.g. 2026-27 Q2.")
    return return_table(db, measure_id, by, Period.parse(period), quarter_only, la_codes, excluded)
