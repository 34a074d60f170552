"""The inequalities table as readers get it: cells hidden from this reader, the external audience's judgements
only, the command line's JSON rows and text, and the readable table of the page and packs."""

from __future__ import annotations

import math

import pandas as pd

from benchmark.analysis.inequalities import InequalityTable
from benchmark.definitions.disclosure_rules import SUPPRESSED

NUMBERS = ("numerator", "denominator", "value", "value_low", "value_high", "comparison_value", "ratio", "ratio_low",
           "ratio_high", "strict_low", "strict_high", "share", "denominator_share")
JSON_FIELDS = ("la_code", "la_name", "measure", "by", "group", "numerator", "denominator", "value",
               "comparison_value", "ratio", "ratio_low", "ratio_high", "small_numbers", "judgement", "periods")
# Words and marks together, so nothing rests on colour alone.
MARKS = {"higher": "▲ higher", "lower": "▼ lower", "no clear difference": "● no clear difference",
         "too few": "○ too few"}


def mask(table: InequalityTable, hidden: set[tuple[str, str]]) -> InequalityTable:
    """Hide the (authority, group) cells this reader may not see: every figure becomes missing and the row is
    marked `c`; its judgement stays only where its counts could carry one (a judgement is never a count)."""
    rows = table.rows.copy()
    if rows.empty or not hidden:
        return table
    cells = [(code, group) in hidden for code, group in zip(rows["la_code"], rows["group"], strict=True)]
    cells = pd.Series(cells, index=rows.index) & (rows["level"] == "authority")
    # A rate's denominator is the group's census population, published by DfE: it stays.
    public = ("denominator", "denominator_share") if table.measure.kind == "rate" and table.has_ratio else ()
    rows.loc[cells, [column for column in NUMBERS if column not in public]] = math.nan
    rows.loc[cells, "symbol"] = SUPPRESSED
    return InequalityTable(table.measure, table.by, table.period_label, rows, table.notes)


def external(table: InequalityTable, for_la: str) -> InequalityTable:
    """For a reader outside the network: the own authority's groups, judgements only, no counts or ratios."""
    rows = table.rows[(table.rows["level"] == "authority") & (table.rows["la_code"] == for_la)].copy()
    rows[list(NUMBERS)] = math.nan
    notes = (*table.notes, "External audience: judgements only (higher / lower / no clear difference / too few) for "
             "the own authority; no counts, rates or ratios leave the network.")
    return InequalityTable(table.measure, table.by, table.period_label, rows, notes)


def _plain(value: object) -> object:
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return value
    return value


def records(table: InequalityTable) -> list[dict]:
    """The `inequalities --format json` rows, exactly the contract's fields; the known groups only (the unknown
    group's share is in the text and on the page)."""
    rows = table.rows[table.rows["known"].fillna(True).astype(bool)]
    out = []
    for row in rows.to_dict("records"):
        item = {field: _plain(row.get(field)) for field in JSON_FIELDS}
        item["la_code"] = row["la_code"] or None
        item["small_numbers"] = bool(row["small_numbers"]) if row["small_numbers"] is not None else None
        item["periods"] = int(row["periods"]) if row["periods"] is not None else None
        out.append(item)
    return out


def _figure(value: object, kind: str, percent: bool) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{value:.1f}%" if percent else f"{value:,.1f}"


def _ratio_text(row: dict) -> str:
    if row.get("ratio") is None or math.isnan(row["ratio"]):
        return ""
    if row.get("ratio_low") is None or math.isnan(row["ratio_low"]):
        return f"{row['ratio']:.2f}"
    return f"{row['ratio']:.2f} ({row['ratio_low']:.2f}-{row['ratio_high']:.2f})"


def readable(table: InequalityTable) -> pd.DataFrame:
    """One line per place and group, in words: the page's table, the packs' section, the text output."""
    percent = table.measure.kind == "risk" or not table.has_ratio
    lines = []
    for row in table.rows.to_dict("records"):
        hidden = row.get("symbol") == SUPPRESSED
        known = bool(row.get("known", True))
        count = "" if row["numerator"] is None or math.isnan(row["numerator"]) else f"{row['numerator']:,.0f}"
        of = "" if row["denominator"] is None or math.isnan(row["denominator"]) else f"{row['denominator']:,.0f}"
        value = _figure(row["value"], table.measure.kind, percent)
        if value and row.get("value_low") is not None and not math.isnan(row["value_low"]):
            value += f" ({_figure(row['value_low'], '', percent)}-{_figure(row['value_high'], '', percent)})"
        judgement = row.get("judgement")
        lines.append({
            "Authority": row["la_name"],
            "Group": row["group"],
            "Count": SUPPRESSED if hidden else (count or (row.get("symbol") or "")),
            "Of": SUPPRESSED if hidden else of,
            "Value (95% interval)": SUPPRESSED if hidden else (value if known else f"{row['share']:.1f}% of the count"
                                                              if row.get("share") is not None
                                                              and not math.isnan(row["share"]) else ""),
            "Others": _figure(row["comparison_value"], "", percent),
            "Ratio (95% interval)": _ratio_text(row),
            "Judgement": (MARKS.get(judgement, "") if known and judgement else
                          ("unknown group: its share only" if not known else "")),
            "Why too few": row["too_few"] if known and isinstance(row.get("too_few"), str) else "",
        })
    return pd.DataFrame(lines)


def text(table: InequalityTable) -> str:
    """The `inequalities` command's text output."""
    lines = [table.measure.title, f"By {table.by.replace('_', ' ')}, {table.period_label}", ""]
    frame = readable(table)
    lines.append(frame.to_string(index=False) if not frame.empty else "No rows.")
    lines += ["", *table.notes]
    return "\n".join(lines)


def judgement_grid(table: InequalityTable, la_codes: list[str]) -> pd.DataFrame:
    """Every member authority (rows) by group (columns): the judgement in words and marks, `c` where the cell is
    hidden from the reader, blank where the authority gave no breakdown."""
    rows = table.rows[(table.rows["level"] == "authority") & table.rows["la_code"].isin(la_codes)
                      & table.rows["known"].fillna(True).astype(bool)]
    if rows.empty:
        return pd.DataFrame()
    words = [SUPPRESSED if symbol == SUPPRESSED and judgement == "too few" else MARKS.get(judgement, "")
             for symbol, judgement in zip(rows["symbol"], rows["judgement"], strict=True)]
    grid = rows.assign(shown=words).pivot_table(index="la_name", columns="group", values="shown", aggfunc="first")
    order = [group for group in dict.fromkeys(table.rows["group"]) if group in grid.columns]
    return grid[order].fillna("").reset_index().rename(columns={"la_name": "Authority"})


def composition_view(table: InequalityTable, la_code: str) -> pd.DataFrame:
    """The composition of one authority's service beside its population (rates by ethnicity), beside those with the
    adverse outcome (risks), or beside the network (reach by sex, age band, primary need); `c` where hidden."""
    rows = table.rows[(table.rows["la_code"] == la_code) & (table.rows["level"] == "authority")]
    if rows.empty:
        return pd.DataFrame()
    hidden = rows["symbol"].eq(SUPPRESSED).to_numpy()

    def shares(values: pd.Series) -> list[str]:
        # Shares of the authority's whole count, worked out before any cell was hidden; a hidden cell's is `c`.
        return [SUPPRESSED if value != value and secret else (f"{value:.1f}%" if value == value else "")
                for value, secret in zip(values, hidden, strict=True)]

    if not table.has_ratio:
        network = table.rows[table.rows["level"] == "network"].set_index("group")["value"]
        return pd.DataFrame({"Group": rows["group"], "Share of those served": shares(rows["value"]),
                             "Network's share": [f"{network.get(g, float('nan')):.1f}%" for g in rows["group"]]})
    if table.measure.kind == "rate":
        return pd.DataFrame({"Group": rows["group"], "Share of those served": shares(rows["share"]),
                             "Share of the population": shares(rows["denominator_share"])})
    return pd.DataFrame({"Group": rows["group"], f"Share of {table.measure.denominator_label}": shares(
        rows["denominator_share"]), f"Share of those with {table.measure.adverse}": shares(rows["share"])})


def pack_grid(table: InequalityTable, la_codes: list[str]) -> pd.DataFrame:
    """The pack's table: each authority's judgement per group in words and marks, then the network's pooled ratio
    (and England's, for DfE's measures) with its interval."""
    grid = judgement_grid(table, la_codes)
    if grid.empty:
        return grid
    for level, label in (("network", "Network (pooled): ratio"), ("england", "England: ratio")):
        pooled = table.rows[(table.rows["level"] == level) & table.rows["known"].fillna(True).astype(bool)]
        if len(pooled):
            ratios = {row["group"]: _ratio_text(row) for row in pooled.to_dict("records")}
            line = {"Authority": label, **{group: ratios.get(group, "") for group in grid.columns[1:]}}
            grid = pd.concat([grid, pd.DataFrame([line])], ignore_index=True)
    return grid
