"""Tables that leave the engine for people: the audience decides what they may see.

`network`: exact figures with every authority named, for the closed forum. `external`: counts of
1-5 suppressed (with secondary suppression, across metrics too), rates hidden with their counts, no
rolling four quarters, other authorities as letters showing rounded values only, and the own authority
named. Every outward table goes through `outward_comparison`; the rules are in
benchmark/outputs/disclosure.py.
"""

from __future__ import annotations

import io
import re
import secrets
from collections.abc import Iterable

import numpy as np
import pandas as pd

from benchmark import reference
from benchmark.analysis import engine, stats
from benchmark.db import Database
from benchmark.definitions.disclosure_rules import (
    AUDIENCES,
    REASON_COMPLEMENT,
    REASON_SMALL_AUTHORITY,
    REASON_SMALL_COUNT,
    RULES,
    SUPPRESSED,
)
from benchmark.definitions.metrics import Method, Metric
from benchmark.definitions.thresholds import MIN_EXTERNAL_GROUP
from benchmark.outputs import disclosure
from benchmark.periods import Period

# Columns that name or point at other authorities: never in an external table.
_IDENTIFYING = ("sn_closeness", "england_source")
_DERIVED = ("value", "ci_low", "ci_high", "diff_from_median", "rolling_4q")
# Averages over several authorities and positions among them: with the visible values they would
# give a suppressed value back (n x mean - the rest; a median next to a hidden rank), so they are
# hidden too wherever a value of the metric and quarter is suppressed.
_AGGREGATES = ("network_median", "network_mean", "region_mean", "sn_mean", "sn_median", "diff_from_median",
               "overdispersion_phi", "overdispersion_tau2")
_POSITIONS = ("rank", "quartile_band", "top_bottom_20", "funnel", "funnel_adjusted", "small_numbers", "trend")


# How a neighbour list names an anonymous authority: not by its letter, which would tie the letter's
# figures to the one name DfE's public list leaves over.
ANONYMOUS_NEIGHBOUR = "an authority sharing anonymously"


def mask_names(texts: pd.Series, mapping: dict[str, str]) -> pd.Series:
    """Free text (such as a neighbour list) with every hidden authority's name replaced by its letter."""
    if not mapping:
        return texts
    pattern = re.compile("|".join(re.escape(name) for name in sorted(mapping, key=len, reverse=True)))
    return texts.map(lambda text: pattern.sub(lambda match: mapping[match.group(0)], text)
                     if isinstance(text, str) else text)


def letter_names(la_names: list[str], own: str | None, seed: str, key: str) -> dict[str, str]:
    """One letter per peer for one output (`seed` names the output, `key` is the database's secret,
    see disclosure.lettering_key), in an order that follows neither the alphabet nor a rank."""
    return disclosure.anonymise(disclosure.letter_order(la_names, seed, key), own)


# What a lettered authority's row never shows: its counts (a count over a published population, or a
# shared denominator, names it), its interval, and figures that point at its neighbours or region.
_LETTERED_HIDDEN = ("numerator", "denominator", "ci_low", "ci_high", "sn_reported", "sn_mean", "sn_median",
                    "region_mean", "rolling_4q", "sn_closeness")


def _populations(rows: pd.DataFrame) -> np.ndarray:
    """Each row's authority's published population of children in its quarter (NaN where unknown)."""
    return np.array([(reference.population_for(code, Period.parse(label).end.year) or np.nan) if code else np.nan
                     for code, label in zip(rows["la_code"], rows["period"], strict=True)], dtype=float)


def _smallest_population(rows: pd.DataFrame, shown_from: float = 0.0) -> float | None:
    """The smallest published population among these rows' authorities in their quarter, of those
    with at least `shown_from` children (smaller ones are never shown on their own)."""
    present = [population for population in _populations(rows) if population >= max(shown_from, 1)]
    return float(min(present)) if present else None


def name_order(names: pd.Series) -> pd.Series:
    """A sort key putting letters in spreadsheet order (A..Z, then AA, AB ...), names alphabetically:
    a plain sort puts "Authority AA" before "Authority B"."""
    def key(name: object) -> str:
        match = re.fullmatch(r"Authority ([A-Z]+)", str(name))
        return f"Authority {len(match.group(1)):02d}{match.group(1)}" if match else str(name)
    return names.map(key)


def mask_lettered(table: pd.DataFrame, metric: Metric, lettered: np.ndarray, shown_from: float = 0.0) -> pd.DataFrame:
    """Rows of authorities shown as letters: the value rounded to the disclosure rules and nothing else
    of theirs that identifies (a suppressed "c" stays, so the reader still sees it was suppressed).
    `shown_from`: the smallest population a row with a value can have (externally, smaller authorities
    are suppressed, so they do not set the rounding step)."""
    if not lettered.any():
        return table
    table = table.copy()
    for column in (*_LETTERED_HIDDEN, "value", "diff_from_median"):
        if column in table:
            table[column] = table[column].astype(object)
    suppressed = (table["value"].astype(str) == SUPPRESSED).to_numpy()
    rows = lettered & ~suppressed
    for column in _LETTERED_HIDDEN:
        if column in table:
            table.loc[lettered & (table[column].astype(str) != SUPPRESSED).to_numpy(), column] = None
    smallest = _smallest_population(table.loc[lettered], shown_from) if metric.method is Method.RATE else None
    values = disclosure.rounded(table.loc[rows, "value"], metric, smallest)
    table.loc[rows, "value"] = [None if np.isnan(value) else float(value) for value in values]
    if "diff_from_median" in table:  # from the rounded value, or it would give the exact one back
        median = disclosure.rounded(table.loc[rows, "network_median"], metric, smallest)
        diffs = [None if np.isnan(diff) else float(diff) for diff in values - median]
        table.loc[rows, "diff_from_median"] = table.loc[rows, "diff_from_median"].where(
            table.loc[rows, "diff_from_median"].astype(str) == SUPPRESSED, pd.Series(diffs, dtype=object,
                                                                                                 index=table.index[rows]))
    return table


def _suppression_plan(metric: Metric) -> tuple[list[str], dict[str, tuple[str, str | None]], list]:
    """Which columns are counts, which values derive from them, and which counts add up."""
    if metric.method is Method.PROPORTION:
        counts = ["numerator", "denominator", "complement"]
        rates = {column: ("numerator", "denominator") for column in _DERIVED}
        return counts, rates, [("denominator", ["numerator", "complement"])]
    if metric.method is Method.RATE:
        return ["numerator"], {column: ("numerator", None) for column in _DERIVED}, []
    if metric.method is Method.RATIO:
        counts = ["denominator"] if metric.unit == "GBP" else ["numerator", "denominator"]
        top = "denominator" if metric.unit == "GBP" else "numerator"
        return counts, {column: (top, "denominator") for column in _DERIVED}, []
    return [], {}, []


def rank_shown(table: pd.DataFrame, hidden: np.ndarray, metric: Metric, by: pd.Series | None = None) -> pd.DataFrame:
    """Positions among the values as shown (rounded for letters), or among `by`, suppressed rows last:
    a gap in the ranks, a row's place between two visible values or an order inside a rounded tie
    would otherwise tell more than the values do."""
    table = table.copy()
    positions = [column for column in _POSITIONS if column in table]
    table[positions] = table[positions].astype(object)
    visible = pd.to_numeric((table["value"] if by is None else by).where(~hidden), errors="coerce")
    polarity = metric.polarity.value
    table["rank"] = stats.competition_rank(visible, polarity)
    table["quartile_band"] = stats.quartile_bands(visible, polarity)
    table["top_bottom_20"] = stats.top_bottom_20(visible, polarity)
    unjudged = ~stats.enough_to_judge(visible)  # too few values shown to band or flag
    table.loc[table.index[unjudged], ["quartile_band", "top_bottom_20"]] = None
    if "small_numbers" in table:  # small numbers are never flagged
        table.loc[table["small_numbers"].astype(str) == "True", "top_bottom_20"] = None
    if "group_reported" in table:
        table["group_reported"] = int(visible.notna().sum())
    table = table.astype({"rank": object})
    table.loc[hidden, positions] = SUPPRESSED
    return table


def outward_comparison(frame: pd.DataFrame, metric: Metric, audience: str, own_la: str | None = None,
                       names: dict[str, str] | None = None,
                       withheld: frozenset[str] | None = None) -> pd.DataFrame:
    """A comparison table as the audience may see it; `names` maps authority names to letters (random
    letters when not given). `withheld`: the authorities whose value of this metric and quarter
    disclosure.withheld hides in every external output (across metrics); any at all, even outside
    this table's group, also hides the network's averages, which would give it back."""
    if audience not in AUDIENCES:
        raise ValueError(f"audience must be one of {', '.join(AUDIENCES)}")
    if audience == "network":
        return frame.copy()
    counts, rates, row_sums = _suppression_plan(metric)
    table = frame.reset_index(drop=True).copy()
    shown_from = RULES.smallest_shown_population
    too_small = (_populations(table) < shown_from) & table["value"].notna().to_numpy()
    primary = np.zeros(len(table), dtype=bool)
    if counts:
        if "complement" in counts:
            table["complement"] = table["denominator"] - table["numerator"]
        numbers = table[counts].astype(float).to_numpy()
        primary = ((numbers > 0) & (numbers <= RULES.threshold)).any(axis=1)
        table[counts] = table[counts].astype(float)
        table = disclosure.suppress(table, counts=counts, rates=rates, row_sums=row_sums).frame
        table = table.drop(columns=["complement"], errors="ignore")
    hidden = (table["value"].astype(str) == SUPPRESSED).to_numpy().copy()
    hidden |= (table["la_code"].isin(withheld or ()) & table["value"].notna()).to_numpy()
    hidden |= too_small
    # Every "c" says why, as published tables' footnotes do.
    table["c_reason"] = np.where(too_small, REASON_SMALL_AUTHORITY, np.where(
        hidden & primary, REASON_SMALL_COUNT, np.where(hidden, REASON_COMPLEMENT, None)))
    if hidden.any() or withheld:
        # A row with a hidden cell shows none of its figures: a visible 0 beside a hidden
        # denominator would give the hidden rate away.
        figures = [column for column in (*counts, *_DERIVED) if column in table]
        table[figures] = table[figures].astype(object)
        table.loc[hidden, figures] = SUPPRESSED
        table[[column for column in _AGGREGATES if column in table]] = SUPPRESSED
    # A visible quarter's rolling window holds the hidden quarters around it: never shown outward.
    table["rolling_4q"] = None
    is_own = (table["la_code"] == own_la).to_numpy()
    smallest = _smallest_population(table.loc[~is_own], shown_from) if metric.method is Method.RATE else None
    masked = mask_lettered(table, metric, ~is_own, shown_from)
    # Everyone ranked on values rounded alike: the own exact value beside the letters' rounded ones would
    # put it above a tie (52.5% ranked over three 52%s, "top" and "bottom 20%" among equal authorities).
    alike = pd.to_numeric(masked["value"], errors="coerce").where(
        ~is_own, disclosure.rounded(pd.to_numeric(table["value"], errors="coerce"), metric, smallest))
    table = _own_rank_range(rank_shown(masked, hidden, metric, alike), alike.where(~hidden), is_own, hidden)
    # A median is some authority's value, and an exact one gives its fraction back: rounded as a letter's.
    for column in ("network_median", "network_mean", "region_mean", "sn_mean", "sn_median"):
        numbers = pd.to_numeric(table[column], errors="coerce")
        shown = disclosure.rounded(numbers, metric, smallest)
        table[column] = table[column].astype(object).where(numbers.isna(), shown)
    if "diff_from_median" in table:
        diff = pd.to_numeric(table["value"], errors="coerce") - pd.to_numeric(table["network_median"], errors="coerce")
        table["diff_from_median"] = table["diff_from_median"].astype(object).where(
            table["diff_from_median"].astype(str) == SUPPRESSED, diff)
    own_name = None
    if own_la is not None and (table["la_code"] == own_la).any():
        own_name = table.loc[table["la_code"] == own_la, "la_name"].iloc[0]
    mapping = names or letter_names(table["la_name"].tolist(), own_name, metric.id, secrets.token_hex(16))
    table["la_name"] = table["la_name"].map(mapping)
    table["la_code"] = np.where(is_own, table["la_code"], "")
    # Order by rank, then by the name as shown: ordering by the real name would give the letters away.
    order = np.lexsort((name_order(table["la_name"]).astype(str),
                        pd.to_numeric(table["rank"], errors="coerce").fillna(1e9)))
    return table.iloc[order].drop(columns=[column for column in _IDENTIFYING if column in table])


def _own_rank_range(table: pd.DataFrame, shown: pd.Series, is_own: np.ndarray, hidden: np.ndarray) -> pd.DataFrame:
    """The own authority's place as the ranks it could hold (`rank_range`, "3-9 of 32"): tied after
    rounding with other authorities, or with suppressed values that could lie on either side, a single
    rank, a band or a top/bottom 20% would claim more than the figures carry, and are left out."""
    table = table.assign(rank_range=None)
    if not is_own.any() or pd.isna(shown[is_own].iloc[0]):
        return table
    own = shown[is_own].iloc[0]
    ties = int((shown[~is_own] == own).sum())
    low = int(table.loc[is_own, "rank"].iloc[0])
    high = low + ties + int(hidden.sum())
    if high > low:
        why = [f"tied with {ties} after rounding" if ties else "",
               f"{int(hidden.sum())} value(s) suppressed" if hidden.any() else ""]
        table.loc[is_own, "rank_range"] = (f"{low}-{high} of {int(shown.notna().sum() + hidden.sum())} "
                                           f"({', '.join(part for part in why if part)})")
        table.loc[is_own, ["quartile_band", "top_bottom_20"]] = None
    return table


def footnotes(table: pd.DataFrame) -> list[str]:
    """The notes under an outward table: why each "c" is there, and why the own authority's place
    is a range of ranks (nothing for a network table)."""
    notes = []
    if "c_reason" in table:
        reasons = table.loc[table["c_reason"].notna(), ["la_name", "c_reason"]]
        for reason, rows in reasons.groupby("c_reason", sort=False):
            names = rows["la_name"].sort_values(key=name_order).astype(str)
            notes.append(f"c ({', '.join(names)}): {reason}.")
    if "rank_range" in table:
        for name, span in table.loc[table["rank_range"].notna(), ["la_name", "rank_range"]].itertuples(index=False):
            notes.append(f"{name} could hold ranks {span}: no single rank, band or top/bottom 20% is stated.")
    return notes


def require_external_group(authorities: int, label: str) -> None:
    """Refuse an external output for a peer group smaller than `MIN_EXTERNAL_GROUP`: with so few
    authorities a letter's value, a strength or an average beside the own figures solves a partner's
    hidden count. Smaller groups are for the network audience only."""
    if authorities < MIN_EXTERNAL_GROUP:
        raise ValueError(f"an external output needs a peer group of at least {MIN_EXTERNAL_GROUP} network "
                         f"authorities and {label} has {authorities}: use the network audience")


def hidden_reporting(db: Database, hidden: frozenset[str], metric_id: str, period_index: int) -> int:
    """How many of the `hidden` authorities have a value of the metric in the quarter, network-wide."""
    if not hidden:
        return 0
    table = engine.scorecard(db)
    rows = table[(table["metric"] == metric_id) & (table["period_index"] == period_index)]
    return int((rows["la_code"].isin(hidden) & rows["value"].notna()).sum())


def shield_scorecard(db: Database, card: pd.DataFrame, la_code: str, period_index: int,
                     hidden: frozenset[str]) -> pd.DataFrame:
    """A named authority's scorecard (views.scorecard_view) for a member who sees the `hidden`
    authorities as letters: no neighbours' mean holding a hidden neighbour, and no network median
    holding a hidden value (beside the named values it helps solve them)."""
    if not hidden:
        return card
    card = card.copy()
    if any(code in hidden for code, _ in reference.statistical_neighbours().get(la_code, [])):
        card["Neighbours' mean"] = "-"
    holding = [hidden_reporting(db, hidden, metric_id, period_index) > 0 for metric_id in card["metric_id"]]
    card.loc[holding, "Network median"] = "-"
    return card


def lone_letter(codes: Iterable[str], hidden: frozenset[str]) -> frozenset[str]:
    """The hidden authority to leave out of a list of these authorities where it would be the only
    letter among named ones, and so named by elimination (nothing where two or more are letters)."""
    lettered = hidden & set(codes)
    return lettered if len(lettered) == 1 else frozenset()


def shield_anonymous(table: pd.DataFrame, metric: Metric, hidden: frozenset[str],
                     network_hidden_reporting: int) -> pd.DataFrame:
    """A member's comparison table (before lettering) where the `hidden` authorities share anonymously.

    Membership of the network, its regions and DfE's neighbour lists are public, so: a single letter
    among named peers is named by elimination, and left out (positions are given without it); an
    average over a public set that holds a hidden authority gives its value back against the named
    values, so neighbours' and regional averages holding one, and network averages holding any hidden
    value (n x mean minus the named values, or a median beside the letters' places, solves them), are
    not shown; the letters that stay show rounded values only (`mask_lettered`), and every position is
    among the values as shown, so a letter's place between two named values tells no more than its
    rounded value.
    """
    if not hidden or table.empty:
        return table
    table = table.copy()
    neighbours = reference.statistical_neighbours()
    authorities = reference.authorities()
    hidden_regions = {authorities[code].region_code for code in hidden if code in authorities}
    near = table["la_code"].map(lambda la: any(code in hidden for code, _ in neighbours.get(la, []))).to_numpy()
    regional = table["la_code"].map(
        lambda la: la in authorities and authorities[la].region_code in hidden_regions).to_numpy()
    for columns, rows in ((("sn_mean", "sn_median"), near), (("region_mean",), regional)):
        for column in columns:
            table[column] = table[column].where(~rows, np.nan)
    if network_hidden_reporting:
        for column in ("network_median", "network_mean", "diff_from_median"):
            table[column] = np.nan
    lettered = table["la_code"].isin(hidden).to_numpy()
    if (lettered & table["value"].notna().to_numpy()).sum() < 2:
        table = rank_shown(table[~lettered].reset_index(drop=True), np.zeros((~lettered).sum(), dtype=bool), metric)
        return table
    masked = mask_lettered(table, metric, lettered)
    return rank_shown(masked, np.zeros(len(masked), dtype=bool), metric)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """Text a spreadsheet will never execute: a leading =, +, -, @ is quoted with an apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and value != "-":
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Every text cell (and column name) made safe; numbers stay numbers."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(safe_cell)
    out.columns = [safe_cell(str(column)) for column in out.columns]
    return out


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """CSV for download: UTF-8 with a byte-order mark so Excel reads it, formula-safe."""
    return safe_frame(frame).to_csv(index=False).encode("utf-8-sig")


def to_xlsx_bytes(sheets: dict[str, pd.DataFrame], number_formats: dict[str, dict[str, str]] | None = None) -> bytes:
    """A workbook with one sheet per table, numbers as numbers and text that is never a formula.

    Text is stored as text: one that starts like a formula (=, +, -, @) carries Excel's "quote prefix"
    (shown as typed, never evaluated, not even when the cell is edited) instead of a visible apostrophe,
    which belongs only in CSV where there are no cell types. `number_formats`: sheet -> column -> an
    Excel number format, such as "0.0" for a metric's decimals."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            sheet_name = re.sub(r"[\[\]:*?/\\]", " ", name)[:31]
            frame.to_excel(writer, sheet_name=sheet_name, index=False)
            worksheet = writer.sheets[sheet_name]
            for position, column in enumerate(frame.columns, start=1):
                _keep_text(worksheet.cell(1, position))
                values = frame[column]
                if values.dtype == object or pd.api.types.is_string_dtype(values):
                    starts = values.map(lambda value: isinstance(value, str) and value.startswith(_FORMULA_START))
                    for row in np.flatnonzero(starts.to_numpy(dtype=bool)):
                        _keep_text(worksheet.cell(int(row) + 2, position))
                fmt = (number_formats or {}).get(name, {}).get(column)
                if fmt:
                    for (cell,) in worksheet.iter_rows(min_row=2, min_col=position, max_col=position):
                        cell.number_format = fmt
            for column_cells in worksheet.columns:
                width = max(len(str(cell.value or "")) for cell in column_cells[:200])
                worksheet.column_dimensions[column_cells[0].column_letter].width = min(max(10, width + 2), 60)
    return buffer.getvalue()


def _keep_text(cell: object) -> None:
    """A cell whose text starts like a formula: stored as text with the quote prefix."""
    if isinstance(cell.value, str) and cell.value.startswith(_FORMULA_START):
        cell.data_type = "s"
        cell.quotePrefix = True
