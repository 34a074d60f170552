"""Published DfE statistics: any Explore Education Statistics (EES) tidy CSV, stored long.

One row per file row and indicator, so every published series (timeliness, requests, officers in
post) is read the same way and set beside England, the region and each authority. EES symbols
(c, x, z, k, ...) are kept as symbols with no value: a suppressed or missing figure is never zero.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from benchmark.analysis import tribunal
from benchmark.db import Database
from benchmark.periods import Period
from benchmark.reference import resolve_authority

# The columns every EES file starts with, then its filters, then its indicators.
GEOGRAPHY_COLUMNS = (
    "time_period", "time_identifier", "geographic_level", "country_code", "country_name",
    "region_code", "region_name", "new_la_code", "old_la_code", "la_name",
)
BREAKDOWN_COLUMNS = ("breakdown_topic", "breakdown")
REQUIRED_COLUMNS = ("time_period", "time_identifier", "geographic_level")
# EES symbols, and what older files write for the same thing: each means "no number here".
SYMBOLS = frozenset({"c", "x", "z", "k", ":", "low", "n/a", "u", ""})
YES_NO = {"yes": 1.0, "no": 0.0}
# DfE writes the levels with varying case; everything downstream compares with these.
LEVELS = {"national": "National", "regional": "Regional", "local authority": "Local authority"}

TIMELINESS_SOURCE = "timeliness_20_week"
ALL_PLANS = "All EHC plans issued"
PCT_EXCL_EXCEPTIONS = "PC_plans_issued_20_weeks_ex"
PCT_INCL_EXCEPTIONS = "pc_plans_issued_within_20_weeks"
DSCO_SOURCE = "sen2_dmo_dco"
DSCO_INDICATOR = "des_so_care_off"

TABLE_COLUMNS = (
    "source", "indicator", *GEOGRAPHY_COLUMNS, *BREAKDOWN_COLUMNS, "filters", "value", "symbol", "text_value",
)


@dataclass(frozen=True)
class LoadSummary:
    """What one file put in the database, for the person loading it to check."""

    source: str
    rows: int
    indicators: tuple[str, ...]
    periods: tuple[str, ...]
    symbols: int
    filters: tuple[str, ...] = ()
    unresolved_authorities: tuple[str, ...] = ()


def load_published(db: Database, paths: list[Path]) -> list[LoadSummary]:
    """Load EES files, each replacing its source's earlier rows; all files or none, so one bad
    file leaves the database as it was."""
    parsed = [_parse(Path(path)) for path in paths]
    sources = [summary.source for summary, _ in parsed]
    repeated = sorted({source for source in sources if sources.count(source) > 1})
    if repeated:
        raise ValueError(f"More than one file for the same source: {', '.join(repeated)}.")
    if not parsed:
        return []
    columns = ", ".join(TABLE_COLUMNS)
    with db.transaction() as cursor:
        for summary, rows in parsed:
            cursor.register("incoming_published", rows)
            try:
                cursor.execute("DELETE FROM published WHERE source = ?", [summary.source])
                cursor.execute(f"INSERT INTO published ({columns}) SELECT {columns} FROM incoming_published")
            finally:
                cursor.unregister("incoming_published")
    return [summary for summary, _ in parsed]


def series(db: Database, source: str, indicator: str, geographic_level: str | None = None,
           breakdown: str | None = None) -> pd.DataFrame:
    """One indicator of one source, oldest first. The name matches in any case because DfE's own
    headers mix `pc_` and `PC_`."""
    sql = (
        "SELECT time_period, time_identifier, geographic_level, region_code, region_name, old_la_code, la_name, "
        "breakdown_topic, breakdown, filters, value, symbol, text_value FROM published "
        "WHERE source = ? AND lower(indicator) = lower(?)"
    )
    params: list[str] = [source, indicator]
    if geographic_level is not None:
        sql += " AND geographic_level = ?"
        params.append(geographic_level)
    if breakdown is not None:
        sql += " AND breakdown = ?"
        params.append(breakdown)
    sql += (
        f" ORDER BY time_period, {_LEVEL_ORDER}, region_code NULLS FIRST, old_la_code NULLS FIRST, "
        "breakdown_topic, breakdown, filters NULLS FIRST"
    )
    return db.frame(sql, params)


def twenty_week_comparators(db: Database) -> pd.DataFrame:
    """For each calendar year, England, every region and every authority: the % of EHC plans issued
    within 20 weeks, excluding and including exceptions (both are published; they diverge where an
    authority classes many plans as exceptions, e.g. Dorset and City of London in 2024)."""
    return db.frame(
        f"""
        WITH wanted AS (
            SELECT CAST(time_period AS INTEGER) AS year, geographic_level, region_code, old_la_code,
                   CASE geographic_level WHEN 'National' THEN country_name WHEN 'Regional' THEN region_name
                        ELSE la_name END AS name,
                   lower(indicator) AS indicator, value
            FROM published WHERE source = ? AND breakdown = ?
        )
        SELECT year, geographic_level, region_code, old_la_code, name,
               max(value) FILTER (WHERE indicator = ?) AS pct_excl_exceptions,
               max(value) FILTER (WHERE indicator = ?) AS pct_incl_exceptions
        FROM wanted WHERE indicator IN (?, ?)
        GROUP BY year, geographic_level, region_code, old_la_code, name
        ORDER BY year, {_LEVEL_ORDER}, region_code NULLS FIRST, name
        """,
        [TIMELINESS_SOURCE, ALL_PLANS, *[name.lower() for name in (PCT_EXCL_EXCEPTIONS, PCT_INCL_EXCEPTIONS)] * 2],
    )


def dsco_in_post(db: Database) -> pd.DataFrame:
    """Whether each authority had a Designated Social Care Officer in post, by year: True, False, or
    None where DfE has no answer ('n/a' before 2025, 'Not returned', 'Recruiting'; `status` keeps
    the published text)."""
    frame = db.frame(
        "SELECT old_la_code, CAST(time_period AS INTEGER) AS year, value, text_value AS status, la_name "
        "FROM published WHERE source = ? AND lower(indicator) = ? AND geographic_level = 'Local authority' "
        "ORDER BY old_la_code, year",
        [DSCO_SOURCE, DSCO_INDICATOR],
    )
    answers = [None if pd.isna(value) else value == 1.0 for value in frame.pop("value")]
    frame.insert(2, "dsco_in_post", pd.Series(answers, index=frame.index, dtype=object))
    return frame


_LEVEL_ORDER = "CASE geographic_level WHEN 'National' THEN 0 WHEN 'Regional' THEN 1 ELSE 2 END"


def _parse(path: Path) -> tuple[LoadSummary, pd.DataFrame]:
    """A file's rows in the shape of the `published` table, with what the loader should report."""
    frame = _read(path)
    if frame.empty:
        raise ValueError(f"{path.name} has no rows: loading it would only wipe the {path.stem} rows already loaded.")
    known = set(GEOGRAPHY_COLUMNS) | set(BREAKDOWN_COLUMNS)
    kinds = {column: _kind(frame[column]) for column in frame.columns if column not in known}
    indicators = [column for column, kind in kinds.items() if kind is not None]
    filters = [column for column, kind in kinds.items() if kind is None]
    if not indicators:
        raise ValueError(f"{path.name}: no indicator columns (numbers or Yes/No) found.")

    base = frame[list(GEOGRAPHY_COLUMNS)].replace("", None)
    base["time_period"] = frame["time_period"]
    base["time_identifier"] = frame["time_identifier"]
    base["geographic_level"] = frame["geographic_level"].str.lower().map(LEVELS).fillna(frame["geographic_level"])
    is_la = base["geographic_level"] == "Local authority"
    keys = list(zip(*(frame.loc[is_la, c] for c in ("old_la_code", "new_la_code", "la_name")), strict=True))
    codes = {key: _authority_code(*key) for key in set(keys)}
    base["old_la_code"] = None
    base.loc[is_la, "old_la_code"] = [codes[key] for key in keys]
    for column in BREAKDOWN_COLUMNS:
        base[column] = frame.get(column, "Total")
    # Filters other than breakdown_topic/breakdown (rare in EES files) stay with each row as JSON.
    base["filters"] = (
        [json.dumps(dict(zip(filters, values, strict=True))) for values in frame[filters].itertuples(index=False)]
        if filters else None
    )

    source = path.stem
    rows = pd.concat([base.assign(indicator=name, raw=frame[name]) for name in indicators], ignore_index=True)
    raw = rows.pop("raw")
    lowered = raw.str.lower()
    kind = rows["indicator"].map(kinds)
    is_symbol = lowered.isin(SYMBOLS)
    rows["source"] = source
    rows["value"] = pd.to_numeric(raw.str.replace(",", "", regex=False), errors="coerce").where(
        kind == "number", lowered.map(YES_NO)
    )
    rows["symbol"] = raw.where(is_symbol)
    rows["text_value"] = raw.where((kind == "yes_no") & (raw != ""))

    summary = LoadSummary(
        source=source,
        rows=len(rows),
        indicators=tuple(indicators),
        periods=tuple(sorted(frame["time_period"].unique())),
        symbols=int(is_symbol.sum()),
        filters=tuple(filters),
        unresolved_authorities=tuple(sorted(" ".join(filter(None, key)) for key, code in codes.items() if not code)),
    )
    return summary, rows[list(TABLE_COLUMNS)]


def _read(path: Path) -> pd.DataFrame:
    """Every cell as stripped text: DfE files carry byte-order marks and stray spaces."""
    frame = (tribunal.tidy(path) if tribunal.is_tribunal_table(path)
             else pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig").fillna(""))
    frame.columns = [str(column).replace("\ufeff", "").strip() for column in frame.columns]
    frame = frame.apply(lambda column: column.str.strip())
    # A trailing comma in the header makes an unnamed, empty column: drop it, keep anything with data.
    empty = [c for c in frame.columns if c.startswith("Unnamed:") and not frame[c].astype(bool).any()]
    frame = frame.drop(columns=empty)
    repeated = sorted({c for c in frame.columns if list(frame.columns).count(c) > 1})
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if repeated or missing:
        problems = [f"column {c} appears more than once" for c in repeated] + [f"no {c} column" for c in missing]
        raise ValueError(f"{path.name} is not an EES tidy CSV: {'; '.join(problems)}.")
    for column in GEOGRAPHY_COLUMNS:
        if column not in frame:
            frame[column] = ""  # geography a file leaves out is stored as NULL, like a blank cell
    return frame


def _kind(values: pd.Series) -> str | None:
    """'number' or 'yes_no' for an indicator column, None for a filter column.

    A column of numbers and symbols (or only symbols) is a numeric indicator; one mostly Yes/No is an
    answer like `des_so_care_off`, whose other answers ('Recruiting', 'Not returned') are kept as text.
    """
    present = values[~values.str.lower().isin(SYMBOLS)]
    if pd.to_numeric(present.str.replace(",", "", regex=False), errors="coerce").notna().all():
        return "number"
    if present.str.lower().isin(list(YES_NO)).mean() > 0.5:
        return "yes_no"
    return None


def _authority_code(old: str, new: str, name: str) -> str | None:
    """The stable DfE 3-digit code: from old_la_code, else the ONS code (retired county codes
    included), else the name. Codes of authorities abolished since (Cumbria 909, Northamptonshire
    928) are kept as published: they are the right code for those years."""
    return (
        resolve_authority(old)
        or (old if re.fullmatch(r"\d{3}", old) else None)
        or resolve_authority(new)
        or resolve_authority(name)
    )


# Network metrics that DfE publishes an annual equivalent of, and which published column it is.
# Our 20-week measure counts every plan issued, so it matches DfE's figure including exceptions.
PUBLISHED_EQUIVALENTS = {"ehcp_20wk_pct": "pct_incl_exceptions"}


def published_comparator(db: Database, metric_id: str, period: Period, geographic_level: str = "National",
                         code: str | None = None) -> tuple[float | None, str | None]:
    """DfE's published figure for a metric (England, a region by code, or an authority by 3-digit
    code) for the latest calendar year not after the quarter's end; None where there is none."""
    column = PUBLISHED_EQUIVALENTS.get(metric_id)
    if column is None:
        return None, None
    frame = twenty_week_comparators(db)
    rows = frame[(frame["geographic_level"] == geographic_level) & (frame["year"] <= period.end.year)]
    if geographic_level == "Regional":
        rows = rows[rows["region_code"] == code]
    elif geographic_level == "Local authority":
        rows = rows[rows["old_la_code"] == code]
    rows = rows.dropna(subset=[column])
    if rows.empty:
        return None, None
    latest = rows.sort_values("year").iloc[-1]
    return float(latest[column]), f"{latest['name']} {latest['year']} (DfE, calendar year)"
