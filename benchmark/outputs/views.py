"""Engine tables shaped for people: the scorecard, the tartan rug and readable comparison tables.

Shared by the dashboard pages and the meeting packs so both show the same words and digits.
"""

from __future__ import annotations

import datetime as dt
import json
import math

import pandas as pd

from benchmark import reference
from benchmark.analysis import engine, stats
from benchmark.db import Database
from benchmark.definitions.breakdowns import BREAKDOWN_RETURNS, submission_title
from benchmark.definitions.metrics import CATALOGUE, METRICS, Metric, Polarity
from benchmark.definitions.standard import THEMES, columns
from benchmark.periods import Period

SMALL_NUMBERS = "small numbers"  # the mark beside a value resting on too few cases to judge
# Where a band, flag or funnel class would be but fewer authorities returned than a judgement needs;
# short, to fit a narrow column: `stats.judgement_note` says it in full beside the table.
NOT_JUDGED = "not yet"
JUDGEMENTS_START = stats.JUDGEMENTS_START
AUTHORITY = "Authority"  # the column every table pins on the left and highlights the chosen row of
# Plain-English headings for the engine's, the store's and the audit log's column names: the one place
# where a name a person reads is chosen, for the pages, the downloads and the packs.
HEADINGS = {
    "la_name": AUTHORITY, "la_code": "DfE code", "period": "Quarter", "metric": "Metric", "unit": "Unit",
    "value": "Value", "numerator": "Numerator", "denominator": "Denominator",
    "ci_low": "95% interval, lower", "ci_high": "95% interval, upper", "rank": "Rank",
    "group_reported": "Authorities reporting", "quartile_band": "Quartile band", "top_bottom_20": "Top/bottom 20%",
    "funnel": "Funnel plot", "network_median": "Network median", "network_mean": "Network mean",
    "diff_from_median": "Difference from network median", "region_mean": "Region mean",
    "sn_mean": "Neighbours' mean", "sn_median": "Neighbours' median", "sn_reported": "Neighbours reported",
    "sn_closeness": "Statistical neighbours (closeness)", "england": "England",
    "england_source": "England figure from", "rolling_4q": "Rolling 4 quarters", "trend": "Trend (8 quarters)",
    "flag": "Statement over 12 months old", "c_reason": "Why c", "rank_range": "Ranks it could hold",
    "submission_id": "Submission", "submitted_at": "Stored at", "submitted_by": "Stored by", "file_name": "File",
    "theme": "Theme", "row_count": "Rows", "periods": "Quarters", "authorities": "Authorities",
    "rows_current": "Rows still current", "sha256": "SHA-256 fingerprint",
    "audit_id": "Entry", "recorded_at": "When", "actor": "Who", "action": "What",
    "on_behalf_of": "On behalf of", "detail": "Details", "kind": "Reason",
    "email": "E-mail address", "role": "Role", "authority": AUTHORITY, "name": "Name", "added_at": "Added at",
    "added_by": "Added by", "notes": "Notes",
    "overdue_themes": "Overdue themes", "uploaders": "Uploaders", "dscos": "DSCOs", "deadline": "Deadline",
    "joined": "Member from", "left": "Left from", "withdrawn_at": "Withdrawn at", "written_at": "Written at",
    "written_by": "Written by", "subject": "On", "text": "Commentary", "mailto": "E-mail link",
}

def human_date(value: object) -> str:
    """A date as people write it: '5 Nov 2026'; '' for none."""
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return ""
    stamp = pd.Timestamp(value)
    return "" if pd.isna(stamp) else f"{stamp.day} {stamp:%b %Y}"


def human_time(value: object) -> str:
    """A moment as people write it: '5 Nov 2026, 14:32' (no seconds, no microseconds); '' for none."""
    text = human_date(value)
    return f"{text}, {pd.Timestamp(value):%H:%M}" if text else ""


def human_dates(frame: pd.DataFrame) -> pd.DataFrame:
    """A table with every date column as `human_date` and every date-and-time column as `human_time`,
    so no reader sees 2026-11-04T00:00:00.000, NaT or microseconds."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            moments = True
        elif values.dtype == object and len(values.dropna()) and values.dropna().map(
                lambda value: isinstance(value, dt.date)).all():
            moments = values.dropna().map(lambda value: isinstance(value, dt.datetime)).any()
        else:
            continue
        out[column] = values.map(human_time if moments else human_date)
    return out


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
    rows = table[pd.to_numeric(table["value"], errors="coerce").notna()]
    if 0 < len(rows) < stats.MIN_AUTHORITIES_FOR_JUDGEMENT:
        return (f"Each dot is an authority, placed by its number of cases (across) and its value (up), with the "
                f"limits around the pooled rate of the peer group ({group_label}) for chance alone. "
                f"{stats.judgement_note(len(rows))}")
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


def judgement_note(reported: int | None) -> str:
    """Why a comparison carries no bands, flags or outliers: see `stats.judgement_note`."""
    return stats.judgement_note(reported)


def _unjudged(value: object, reported: object) -> bool:
    """A value shown among too few reporting authorities to band, flag or class it."""
    present = _present(value) and not isinstance(value, str)
    return present and _present(reported) and not isinstance(reported, str) and (
        reported < stats.MIN_AUTHORITIES_FOR_JUDGEMENT)


def judgement_text(judgement: object, value: object, reported: object) -> str:
    """A band, flag or funnel class as text; NOT_JUDGED where too few authorities returned to give one."""
    if isinstance(judgement, str):
        return judgement
    return NOT_JUDGED if _unjudged(value, reported) else ""


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
        value, network_reported = record.get("value"), record.get("network_reported")
        funnel = funnel_text(metric, record.get("funnel_adjusted")) if metric.has_interval else ""
        rows.append({
            "metric_id": metric.id,
            "Theme": metric.theme,
            "Metric": metric.name,
            "Value": metric.format(record.get("value"), short=True),
            "Count": fraction_text(metric, record.get("numerator"), record.get("denominator")),
            "95% interval": interval_text(metric, record.get("ci_low"), record.get("ci_high")),
            "Rank": rank_text(record.get("rank"), record.get("network_reported")),
            "Band": judgement_text(record.get("quartile_band"), value, network_reported),
            "Top/bottom 20%": judgement_text(record.get("top_bottom_20"), value, network_reported)
            if metric.polarity is not Polarity.NEUTRAL else "",
            "Last 8 quarters": trends.get(metric.id, []),
            "Trend": record.get("trend") if isinstance(record.get("trend"), str) else "",
            "Network median": metric.format(record.get("network_median"), short=True),
            "Neighbours' mean": metric.format(record.get("sn_mean"), short=True),
            "Neighbours reported": f"{int(reported) if _present(reported) else 0} of {engine.SN_COUNT}",
            "Funnel": judgement_text(funnel or None, value, network_reported) if metric.has_interval else "",
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
    """Each cell as '45.4 (C)', so the rug reads without colour; a value without a band (an own
    authority whose place is a range of ranks) stands alone; '-' where there is no value."""
    text = values.copy().astype(object)
    for metric_id in values.columns:
        decimals = METRICS[metric_id].decimals
        text[metric_id] = [
            value if isinstance(value, str) else "-" if not _present(value) else (
                f"{value:,.{decimals}f}" + (f" ({band})" if isinstance(band, str) else ""))
            for value, band in zip(values[metric_id], bands[metric_id], strict=True)
        ]
    return text


def rug_headings(metric_ids: list[str]) -> dict[str, str]:
    """Short column headings for the rug."""
    return {metric_id: METRICS[metric_id].short for metric_id in metric_ids}


def readable(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame with plain-English headings (names already plain are kept)."""
    return frame.rename(columns=lambda column: HEADINGS.get(column, column))


def comparison_view(table: pd.DataFrame, metric: Metric) -> pd.DataFrame:
    """The comparison a person reads on one screen: the authority, its value with the metric's unit and
    decimals, the count behind it, the interval, rank, band, funnel position and trend.
    The group-wide averages are said once above the table, and every column is in the download."""
    def cell(value: object) -> str:
        return value if isinstance(value, str) else metric.format(value, short=True)

    view = pd.DataFrame({
        AUTHORITY: table["la_name"],
        f"Value ({metric.unit})" if metric.unit not in ("%", "GBP") else "Value": table["value"].map(cell),
        "Count": [fraction_text(metric, top, bottom) if not isinstance(top, str) else top
                  for top, bottom in zip(table["numerator"], table["denominator"], strict=True)],
        "95% interval": [interval_text(metric, low, high) if not isinstance(low, str) else low
                         for low, high in zip(table["ci_low"], table["ci_high"], strict=True)],
        "Rank": [rank_text(rank, reported) for rank, reported in
                 zip(table["rank"], table["group_reported"], strict=True)],
        "Band": [judgement_text(band, value, reported) for band, value, reported in
                 zip(table["quartile_band"], table["value"], table["group_reported"], strict=True)],
        "Funnel plot": [judgement_text(funnel_text(metric, position) or None, value, reported)
                        for position, value, reported in
                        zip(table["funnel"], table["value"], table["group_reported"], strict=True)],
        "Trend": table["trend"].map(lambda trend: trend if isinstance(trend, str) else ""),
    })
    if not metric.has_interval:
        view = view.drop(columns=["95% interval", "Funnel plot"])
    if not view["Count"].astype(bool).any():
        view = view.drop(columns=["Count"])
    return view


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
    out["metric"] = metric.name
    return readable(out)


def trend_download(series: pd.DataFrame, metric: Metric, la_name: str) -> pd.DataFrame:
    """The table behind the trend chart: one row per quarter, rounded as displayed."""
    out = series[["period", "value", "network_median", "sn_mean"]].copy()
    for column in ["value", "network_median", "sn_mean"]:
        out[column] = out[column].astype(float).round(metric.decimals)
    return out.rename(columns={"period": "Quarter", "value": la_name, "network_median": "Network median",
                               "sn_mean": "Statistical neighbours' mean"})


def history_view(history: pd.DataFrame) -> pd.DataFrame:
    """Submissions as people read them, what each covers first and the file's details after."""
    out = history.drop(columns=["sha256"], errors="ignore").copy()
    out["theme"] = out["theme"].map(lambda theme: theme_heading(theme) if theme in THEMES
                                    else submission_title(theme) if theme in BREAKDOWN_RETURNS else theme)
    out["submitted_at"] = out["submitted_at"].map(human_time)
    if "withdrawn_at" in out:
        out["withdrawn_at"] = out["withdrawn_at"].map(human_time)
    first = ["submission_id", "submitted_at", "theme", "periods", "authorities", "rows_current"]
    return readable(out[[*first, *(column for column in out.columns if column not in first)]])


def submission_label(row: dict) -> str:
    """'213: lewisham_advice.csv, stored 14 Nov 2026, 23:04' for a picker."""
    return f"{row['submission_id']}: {row['file_name']}, stored {human_time(row['submitted_at'])}"


def _detail_text(detail: object) -> str:
    """An audit entry's JSON details as 'file: x.csv; theme: advice'."""
    if not isinstance(detail, str) or not detail:
        return ""
    try:
        parsed = json.loads(detail)
    except ValueError:
        return detail
    if not isinstance(parsed, dict):
        return str(parsed)
    parts = []
    for key, value in parsed.items():
        if key == "sha256":
            continue
        text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        parts.append(f"{key.replace('_', ' ')}: {text}")
    return "; ".join(parts)


def audit_view(log: pd.DataFrame) -> pd.DataFrame:
    """The audit log in words: authority names, blanks instead of 'None', details as text."""
    def name(code: object) -> str:
        return reference.authority_name(code) if isinstance(code, str) and code else ""

    out = log.copy()
    out["recorded_at"] = out["recorded_at"].map(human_time)
    out["la_code"] = out["la_code"].map(name)
    out["on_behalf_of"] = out["on_behalf_of"].map(name)
    out["detail"] = out["detail"].map(_detail_text)
    return readable(out.rename(columns={"la_code": "authority"}))[
        ["Entry", "When", "Who", "What", AUTHORITY, "On behalf of", "Details"]]


def members_view(members: pd.DataFrame) -> pd.DataFrame:
    """Network members without the code column (the authority is named)."""
    return readable(human_dates(members.drop(columns=["la_code"])))


def chase_view(chase: pd.DataFrame) -> pd.DataFrame:
    """The chase list as the chair reads it: authority first, plain headings, the deadline as a date;
    the mailto: link is a button of its own on the page."""
    return readable(human_dates(chase.drop(columns=["la_code", "mailto"])))


def network_view(members_table: pd.DataFrame) -> pd.DataFrame:
    """The network's authorities with the quarters they joined and left, and their people."""
    return readable(members_table)


def metric_catalogue_view(theme_id: str) -> pd.DataFrame:
    """The metric catalogue of one theme for the Data standard page: the calculation and definition in
    full, the id people type into the command line and addresses."""
    return pd.DataFrame([
        {"Metric": f"{metric.name} ({metric.id})", "Calculation": metric.formula, "Polarity": metric.polarity.label,
         "Definition": f"{metric.definition} Legal basis: {metric.legal_basis}."}
        for metric in CATALOGUE if metric.theme == theme_id
    ])


def _median(table: pd.DataFrame) -> object:
    medians = pd.to_numeric(table["network_median"], errors="coerce").dropna()
    return float(medians.iloc[0]) if len(medians) else None


def finding(metric: Metric, table: pd.DataFrame, la_code: str | None) -> str:
    """The main finding of a ranking in one sentence: the chart's text alternative."""
    median = _median(table)
    median_text = f"the network median is {metric.format(median)}" if median is not None else "no median"
    rows = table[table["la_code"] == la_code] if la_code else table.iloc[0:0]
    if rows.empty or isinstance(rows["value"].iloc[0], str) or not _present(rows["value"].iloc[0]):
        return f"{int(pd.to_numeric(table['value'], errors='coerce').notna().sum())} authorities reported; " \
               f"{median_text}."
    mine = rows.iloc[0]
    side = ""
    if median is not None and not isinstance(mine["value"], str):
        side = (" above" if mine["value"] > median else " below" if mine["value"] < median else " at")
    rank = rank_text(mine["rank"], mine["group_reported"])
    note = judgement_note(int(pd.to_numeric(table["value"], errors="coerce").notna().sum()))
    return (f"{mine['la_name']}: {metric.format(mine['value'])}, rank {rank},{side} the network median "
            f"({metric.format(median) if median is not None else '-'}).") + (f" {note}" if note else "")


def funnel_finding(metric: Metric, table: pd.DataFrame, la_code: str | None, plain: bool = False) -> str:
    """A funnel plot's finding in words: where the chosen authority sits and who is beyond 99.8%, by
    the limits drawn (adjusted for overdispersion unless `plain`)."""
    column = "funnel" if plain else "funnel_adjusted"
    reported = int(pd.to_numeric(table["value"], errors="coerce").notna().sum())
    if 0 < reported < stats.MIN_AUTHORITIES_FOR_JUDGEMENT:
        return stats.judgement_note(reported)
    outside = table[table[column].isin(["above_99.8", "below_99.8"])]
    names = ", ".join(outside["la_name"]) if len(outside) else "none"
    rows = table[table["la_code"] == la_code] if la_code else table.iloc[0:0]
    mine = (f"{rows['la_name'].iloc[0]} is {funnel_text(metric, rows[column].iloc[0]) or 'not plotted'}. "
            if len(rows) else "")
    return f"{mine}Beyond the 99.8% limits: {names}."


def comparison_caption(table: pd.DataFrame, metric: Metric) -> str:
    """What the comparison table's rows are compared with, said once above it."""
    median = _median(table)
    means = pd.to_numeric(table["network_mean"], errors="coerce").dropna()
    parts = [f"{metric.name}, {metric.polarity.label}"]
    if median is not None:
        parts.append(f"network median {metric.format(median)}")
    if len(means):
        parts.append(f"network mean {metric.format(float(means.iloc[0]))}")
    reported = int(pd.to_numeric(table["value"], errors="coerce").notna().sum())
    return "; ".join(parts) + ". Rank 1 is best; band A is the best quarter." + (
        f" {stats.judgement_note(reported)}" if stats.judgement_note(reported) else "")


# Themes in a few words, for column headings and buttons (the full title goes in the help text).
THEME_HEADINGS = {"short_breaks": "Short breaks", "advice": "Advice into EHC assessments",
                  "transitions": "Transitions to adulthood", "residential": "Residential placements",
                  "dsco_role": "DSCO role"}


def theme_heading(theme_id: str) -> str:
    return THEME_HEADINGS.get(theme_id, THEMES[theme_id].title)


PREVIEW_TRANSPOSED_UP_TO = 4  # a file of up to this many rows is previewed one column per row


def preview_view(preview: pd.DataFrame, theme_id: str) -> pd.DataFrame:
    """What will be stored, with each field's label as its heading. A file of a few rows (the usual
    return: one authority, one quarter) is turned on its side, fields down, so every value is on screen."""
    labels = {field.name: field.label for field in THEMES[theme_id].fields}
    preview = preview.assign(**{  # an answer is stored as its position in the standard's list: show the words
        field.name: preview[field.name].map(lambda value, field=field: value if pd.isna(value)
                                            else field.choices[int(value)])
        for field in THEMES[theme_id].fields if field.choices and field.name in preview})
    out = preview.drop(columns=["la_code"], errors="ignore").rename(columns={**labels, "notes": "Notes"})
    if len(out) > PREVIEW_TRANSPOSED_UP_TO:
        return out
    headings = [f"{row[AUTHORITY]}, {row['Quarter']}" for row in out.to_dict("records")]
    side = out.drop(columns=[AUTHORITY, "Quarter"]).T
    side.columns = headings
    side = side.map(lambda value: "" if value is None or (isinstance(value, float) and math.isnan(value))
                    else f"{value:,.0f}" if isinstance(value, float) and value.is_integer() else str(value))
    return side.rename_axis("Field").reset_index()


def breakdown_preview_view(preview: pd.DataFrame) -> pd.DataFrame:
    """What a breakdown will store: each count and breakdown of each authority and quarter in a line, with
    how many groups it has and what they add up to (checked against the total already)."""
    out = preview.drop(columns=["la_code"], errors="ignore").rename(columns={
        "count_of": "Count broken down", "by": "Breakdown", "groups": "Groups", "total": "Adds up to"})
    out["Adds up to"] = out["Adds up to"].map(lambda value: f"{value:,.0f}")
    return out


def fields_view(theme_id: str) -> pd.DataFrame:
    """A theme's fields for the Data standard page: the column name to type, its label, what to enter."""
    return pd.DataFrame([
        {"Column": field.name, "Label": field.label, "What to enter": field.description,
         "Type": field.kind.describe, "Required": "yes" if field.required else "no",
         "Plausible range": field.plausible.describe if field.plausible else "", "Legal basis": field.legal_basis}
        for field in columns(theme_id)
    ])
