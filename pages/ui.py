"""Layout helpers shared by the pages: URL-backed choices, banners, downloads, empty states.

Only widgets live here; every figure, table and rule comes from benchmark/.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler

from benchmark import reference, service
from benchmark.access.rights import DEMO_NO_WRITES, AccessDenied, User
from benchmark.db import Database, open_database
from benchmark.definitions.metrics import Metric
from benchmark.definitions.standard import NOTES_MAX_CHARS
from benchmark.outputs import charts, exports, views
from benchmark.periods import Period

HIGHLIGHT = f"background-color: {charts.HIGHLIGHT_FILL}; font-weight: bold"
NAME_WIDTH = 175  # px: "Hammersmith and Fulham" in full
MAIN_WIDTH = 900  # px: the main column at 1366 x 768 with the sidebar open


# Pixel widths of the columns the tables share, chosen so that each view (a theme's Table tab, My
# authority's scorecard, Upload's "Where it now sits") fits the main column at 1366 x 768.
COLUMN_WIDTHS = {"Metric": 330, "Value": 80, "Rank": 75, "Band": 50, "Network median": 110,
                 "Neighbours' mean": 120, "Trend": 125, "Count": 95, "Neighbours reported": 140,
                 "Top/bottom 20%": 110, "Funnel": 190, "Funnel plot": 190, "Flag": 120, "95% interval": 110}


# Estimating a column's width from its text: the grid's 14 px font averages about 7.5 px a character,
# and each cell has padding; a column never starts narrower than MIN_COLUMN px.
CHAR_PX = 7.5
CELL_PADDING_PX = 26
MIN_COLUMN = 60
LONGEST_ESTIMATE = 420  # a longer text is cut to the column (the grid shows it whole on hover)


def fit_columns(data: pd.DataFrame, config: dict, room: int = MAIN_WIDTH) -> dict:
    """Column widths so that the table's content is no wider than `room` pixels (the main column at
    1366 x 768): columns without a width get their content's; if the total is still too wide, the
    widest columns give way first, never the pinned key column, so nothing runs off the page."""
    fitted = dict(config)
    widths: dict[str, float] = {}
    for column in data.columns:
        given = (fitted.get(column) or {}).get("width")
        if isinstance(given, int):
            widths[column] = given
            continue
        texts = [str(column), *("" if pd.api.types.is_scalar(value) and pd.isna(value) else  # missing: nothing shown
                                f"{value:,.2f}" if isinstance(value, float) else str(value)
                                for value in data[column].head(200))]
        widths[column] = min(max(len(text) for text in texts) * CHAR_PX + CELL_PADDING_PX, LONGEST_ESTIMATE)
    pinned = {column for column in data.columns if (fitted.get(column) or {}).get("pinned")}
    excess = sum(widths.values()) + 2 - room
    while excess > 0.5:
        movable = [column for column in widths if column not in pinned and widths[column] > MIN_COLUMN]
        if not movable:
            break
        widest = max(widths[column] for column in movable)
        for column in movable:
            if widths[column] >= widest - 0.5 and excess > 0.5:
                step = min(excess, widths[column] - MIN_COLUMN, max(widths[column] - widest * 0.9, 1))
                widths[column] -= step
                excess -= step
    for column, width in widths.items():
        current = dict(fitted[column]) if isinstance(fitted.get(column), dict) else {}
        fitted[column] = {**st.column_config.Column(column), **current, "width": int(width)}
    return fitted


def fitted_width(columns: int, least: int = 80, most: int = 160) -> int:
    """Pixels per column so that `columns` columns beside the authority's name fit the main column."""
    return max(least, min(most, (MAIN_WIDTH - NAME_WIDTH) // max(columns, 1)))


def database() -> Database:
    return open_database()


def current_user() -> User | None:
    """The acting user app.py settled for this run (None: nobody may see data)."""
    return st.session_state.get("acting_user")


def banner(db: Database) -> None:
    """Every page says when it shows the synthetic demo network."""
    if service.demo_network(db):
        st.warning(f"**Demo network.** {service.SYNTHETIC_LABEL}", icon=":material/science:")


def url_choice(label: str, options: Sequence[str], key: str, default: str | None = None,
               format_func: Callable[[str], str] = str, help_text: str | None = None) -> str | None:
    """A selectbox whose choice lives in the URL, so a link reopens exactly this view."""
    options = list(options)
    if not options:
        return None
    wanted = st.query_params.get(key, default)
    index = options.index(wanted) if wanted in options else (options.index(default) if default in options else 0)
    choice = st.selectbox(label, options, index=index, format_func=format_func, key=f"select_{key}",
                          help=help_text)
    st.query_params[key] = choice
    return choice


def period_choice(db: Database, key: str = "period") -> Period | None:
    """Quarters with returns, newest first (the default), and the quarters since that the network
    is waiting for (up to the current one), so a quarter with no returns yet can be opened too."""
    user = current_user()
    with_data = service.periods_with_data(db, user)
    waiting = [period for period in (Period.current().shift(-1), Period.current())
               if service.network_authorities(db, user, period) and (not with_data or period > with_data[-1])]
    periods = [period.label for period in [*with_data, *waiting]]
    default = with_data[-1].label if with_data else (periods[0] if periods else None)
    chosen = url_choice("Quarter", periods[::-1], key, default,
                        help_text="Financial-year quarter: Q1 is April-June.")
    return Period.parse(chosen) if chosen else None


def authority_choice(db: Database, key: str = "la", label: str = "Authority") -> str | None:
    """Authorities the user may choose by name; its own authority first."""
    user = current_user()
    members = sorted(service.choosable_authorities(db, user), key=reference.authority_name)
    if user is not None and user.la_code in members:
        members.remove(user.la_code)
        members.insert(0, user.la_code)
    return url_choice(label, members, key, members[0] if members else None, format_func=reference.authority_name)


def no_data(db: Database) -> bool:
    """True (after saying what to do next) when nothing has been stored yet."""
    if service.network_authorities(db, current_user()):
        return False
    st.info(
        "No returns have been stored yet. Upload your authority's quarterly return on the **Upload** page, "
        "or load the synthetic demo network with `python -m benchmark demo`.",
        icon=":material/upload_file:",
    )
    st.page_link("pages/upload.py", label="Go to Upload", icon=":material/upload:")
    return True


def downloads(frame: pd.DataFrame, stem: str, key: str) -> None:
    """The table behind a view as CSV and .xlsx (formula-safe, numbers as numbers). The files are
    built when a button is clicked, not on every rerun: the Excel file alone costs a quarter of a
    second at national scale."""
    left, right = st.columns(2)
    left.download_button("Download CSV", lambda: exports.to_csv_bytes(frame), f"{stem}.csv", "text/csv",
                         key=f"csv_{key}", icon=":material/download:", on_click="ignore")
    right.download_button("Download Excel", lambda: exports.to_xlsx_bytes({stem[:31]: frame}), f"{stem}.xlsx",
                          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                          key=f"xlsx_{key}", icon=":material/download:", on_click="ignore")


def cycle_caption(db: Database, period: Period, summary: dict) -> str:
    """The quarter's deadline, how many are overdue or late, and whether it is signed off."""
    signed = service.signoff_of(db, current_user(), period)
    state = (f"Signed off {signed.signed_at:%d %b %Y}: figures as circulated" if signed else "Not signed off yet")
    revised = summary.get("revised_after_signoff", 0)
    return (f"Returns due {summary['deadline']:%d %b %Y}: {summary['overdue']} overdue, {summary['returned_late']} "
            f"returned late. {state}" + (f"; {revised} return(s) revised after sign-off." if revised else "."))


def revised_toggle(db: Database, period: Period | None) -> bool:
    """On a signed-off quarter, a switch to show the returns revised after sign-off instead of the
    figures as circulated (kept in the URL); elsewhere there is nothing to switch."""
    if period is None or service.signoff_of(db, current_user(), period) is None:
        return False
    return st.toggle("Show revised figures", value=False, key="revised", bind="query-params",
                     help=f"{period} is signed off: figures are as circulated at sign-off. Switch on to see the "
                          "returns revised since.")


def commentary(db: Database, user: User | None, la_code: str | None, period: Period | None,
               subjects: Sequence[str], key: str) -> None:
    """An authority's commentary on these metrics or themes for the quarter, shown as plain text
    (never Markdown or HTML: it is what a member typed), with an editor for those who may write it."""
    if user is None or la_code is None or period is None:
        return
    notes = service.commentary_for(db, user, la_code, period)
    la_name = reference.authority_name(la_code)
    if st.session_state.pop(f"commentary_saved_{key}", False):
        st.success("Commentary saved: it shows beside the figure here and in network packs.")
    for subject in subjects:
        if notes.get(subject):
            st.caption(f"{la_name}'s commentary on {service.commentary_subject(subject)}, {period}:")
            st.text(notes[subject])
    if not user.may_write:
        st.caption(DEMO_NO_WRITES)
        return
    if not service.may_comment(user, la_code):
        return
    with (st.expander(f"Write {la_name}'s commentary for {period}", icon=":material/edit_note:"),
          st.form(f"commentary_{key}")):
        subject = st.selectbox("On", list(subjects), format_func=service.commentary_subject,
                               key=f"commentary_subject_{key}")
        text = st.text_area(f"Commentary (at most {NOTES_MAX_CHARS:,} characters; empty to withdraw)",
                            value=notes.get(subjects[0], ""), max_chars=NOTES_MAX_CHARS,
                            key=f"commentary_text_{key}_{la_code}_{period.index}")
        if st.form_submit_button("Save commentary"):
            try:
                service.write_commentary(db, user, la_code, period, subject, text)
                st.session_state[f"commentary_saved_{key}"] = True
                st.rerun()
            except (AccessDenied, ValueError) as problem:
                st.error(str(problem))


def table(frame: pd.DataFrame | Styler, key: str, chosen: str | None = None,
          column_config: dict | None = None, height: int | None = None, alt: str | None = None,
          name_column: str = views.AUTHORITY, room: int = MAIN_WIDTH) -> None:
    """Every table a person reads: the authority column pinned on the left (it stays in view however far
    the table scrolls), the chosen authority's row in bold on a light-blue band, other long text columns
    given room. `frame` may be a Styler whose cells already carry band colours."""
    data = frame.data if isinstance(frame, Styler) else frame
    # A Styler only where a cell is styled: Streamlit renders every cell of one through pandas to read it.
    shown: pd.DataFrame | Styler = frame
    config = dict(column_config or {})
    for column in data.columns:
        if column in COLUMN_WIDTHS and column not in config:
            config[column] = st.column_config.Column(column, width=COLUMN_WIDTHS[column])
    if name_column in data.columns:
        config.setdefault(name_column, st.column_config.TextColumn(name_column, width=NAME_WIDTH, pinned=True))
        # The grid draws a pinned column's text faded (the theme's text at 60%): #6D6D6D, still 5.1:1 on white.
        if chosen is not None and (data[name_column] == chosen).any():
            styler = frame if isinstance(frame, Styler) else frame.style
            shown = styler.apply(lambda row: [HIGHLIGHT if row[name_column] == chosen else ""] * len(row), axis=1)
    st.dataframe(shown, hide_index=True, key=key, column_config=fit_columns(data, config, room), alt=alt,
                 height=height if height is not None else "auto")


# A static table as HTML reads like the rest of the page: the theme's font and size, thin rules, headings that wrap.
STATIC_TABLE_STYLES = [
    {"selector": "", "props": "border-collapse: collapse; font-size: 0.875rem; width: 100%"},
    {"selector": "th, td", "props": "border: 1px solid rgba(49, 51, 63, 0.2); padding: 0.25rem 0.375rem; "
                                    "text-align: left; vertical-align: top"},
    {"selector": "thead th", "props": "font-weight: 600"},
]


def html_table(styled: Styler) -> None:
    """A static table (every cell and heading shown in full, wrapping) drawn as plain HTML by pandas: the browser
    lays out the rug's 1,500 shaded cells in about 0.2 s this way, against about 0.9 s through st.table. Cells are
    escaped: names and values are text, never markup."""
    html = styled.hide(axis="index").format(escape="html").set_table_styles(STATIC_TABLE_STYLES).to_html()
    st.html(f'<div style="overflow-x: auto">{html}</div>')


def number_columns(frame: pd.DataFrame, metric: Metric) -> dict:
    """Every numeric column shown with the metric's decimals and unit ('72.0%', not '72' beside '71.2')."""
    suffix = {"%": "%%", "GBP": ""}.get(metric.unit, "")
    prefix = "£" if metric.unit == "GBP" else ""
    return {column: st.column_config.NumberColumn(column, format=f"{prefix}%.{metric.decimals}f{suffix}")
            for column in frame.columns if pd.api.types.is_float_dtype(frame[column])}


def band_legend(neutral_too: bool = True) -> None:
    """The one key to quartile-band shading, wherever bands appear (colours from charts.band_style)."""
    def swatches(neutral: bool) -> str:
        return " ".join(
            f'<span style="{charts.band_style(band, neutral)}; padding: 0.1rem 0.5rem; border-radius: 0.2rem">'
            f"{band}</span>" for band in "ABCD")
    text = f"Quartile bands: {swatches(False)} A best quarter of the network for the measure, D the weakest"
    if neutral_too:
        text += f" &nbsp; Neutral measures, banded by value: {swatches(True)} A highest"
    st.markdown(f'<p style="font-size: 0.875rem">{text}</p>', unsafe_allow_html=True)


def scorecard_table(rows: pd.DataFrame, columns: list[str], key: str) -> None:
    """Scorecard rows (views.scorecard_view) with the metric pinned, bands shaded with their letter, and
    the flags in bold: My authority and Upload's "Where it now sits" show the same thing the same way."""
    shown = rows[columns]
    styler = shown.style
    if "Band" in columns:
        styler = styler.apply(lambda band: [charts.band_style(value, neutral) for value, neutral
                                            in zip(band, rows["neutral"], strict=True)], subset=["Band"])
    flags = [column for column in ("Top/bottom 20%", "Flag") if column in columns]
    if flags:
        styler = styler.map(lambda text: f"font-weight: bold; color: {charts.DARK_BLUE}" if text == "top 20%" else (
            f"font-weight: bold; color: {charts.DARK_PINK}" if text in ("bottom 20%", "over 12 months") else ""),
            subset=flags)
    config = {"Metric": st.column_config.TextColumn("Metric", width=COLUMN_WIDTHS["Metric"], pinned=True)}
    if "Last 8 quarters" in columns:
        config["Last 8 quarters"] = st.column_config.LineChartColumn("Last 8 quarters", width=110)
    table(styler, key, column_config=config, name_column="Metric")
