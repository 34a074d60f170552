"""Network overview, the landing page: who has returned, and the tartan rug of every metric."""

import pandas as pd
import streamlit as st

from benchmark import service
from benchmark.access.rights import User
from benchmark.db import Database
from benchmark.definitions.metrics import CATALOGUE, METRICS
from benchmark.definitions.standard import THEMES
from benchmark.outputs import charts, views
from benchmark.periods import Period
from pages import ui

VIEWS = ("Returns tracker", "Tartan rug")


def _tracker(db: Database, user: User | None, period: Period) -> None:
    grid = service.tracker_grid(db, user, period)
    headings = {key: views.theme_heading(key) for key in THEMES if key in grid.columns}  # the network's themes
    grid = views.readable(grid).rename(columns=headings)
    styled = grid.style.map(lambda text: f"background-color: #FBE3D6; color: {charts.DARK_PINK}; font-weight: bold"
                            if str(text).startswith("overdue") else "", subset=list(headings.values()))
    ui.table(styled, "tracker_table", height=min(38 + 35 * len(grid), 560), column_config={
        "DfE code": st.column_config.TextColumn("DfE code", width=80),
        **{heading: st.column_config.TextColumn(heading, help=THEMES[key].title, width=ui.fitted_width(3, most=200))
           for key, heading in headings.items()}})
    st.caption("Each cell says whether the theme's return came by the quarter's deadline ('returned' or "
               "'returned late', with the date its current version was stored and how often it was resubmitted), or "
               "is 'overdue' or 'not yet due'. 'Revised after sign-off': changed after the chair signed the quarter "
               "off; the signed-off figures stand unless you ask for revised figures.")


def _rug(db: Database, user: User | None, period: Period) -> None:
    values, bands = service.rug(db, user, period)
    collected = [theme for theme in service.network_themes(db, user)
                 if any(metric.theme == theme for metric in CATALOGUE)]
    theme_id = st.segmented_control("Metrics of", collected, format_func=views.theme_heading, key="rug_theme",
                                    default=collected[0], required=True, bind="query-params",
                                    help="One theme at a time keeps every column on screen; the download holds all "
                                         "twenty metrics.")
    columns = [metric.id for metric in CATALOGUE if metric.theme == theme_id]
    headings = views.rug_headings(columns)
    neutral = {headings[metric_id] for metric_id in columns if METRICS[metric_id].polarity.value == "neutral"}
    text = views.rug_text(values[columns], bands[columns]).rename(columns=headings).reset_index()
    shown_bands = bands[columns].rename(columns=headings).reset_index(drop=True)
    styled = text.style.apply(
        lambda column: [charts.band_style(band, column.name in neutral) for band in shown_bands[column.name]],
        axis=0, subset=list(headings.values()),
    )
    # A static table: the metrics' headings wrap in full at 1366 x 768 (a data grid cuts them to its
    # columns); the files below hold the same rug.
    ui.html_table(styled)
    ui.band_legend()
    # Any metric of the theme with too few values to band says why its cells carry no band.
    counts = values[columns].apply(pd.to_numeric, errors="coerce").notna().sum() if len(values) else pd.Series()
    notes = [views.judgement_note(int(count)) for count in counts if views.judgement_note(int(count))]
    if notes:
        st.info(notes[-1], icon=":material/info:")
    st.caption(
        "Authorities down, metrics across. Each cell is the value with its quartile band in brackets: A is always "
        "the best quarter of the network for that measure, D the weakest. Neutral measures, where higher is "
        "neither better nor worse, are banded by value in shades of grey (A = highest). The full names of the "
        "metrics are on the Data standard page."
    )
    everything = views.rug_text(values, bands).rename(columns=views.rug_headings(list(values.columns)))
    ui.downloads(everything.reset_index(), f"tartan_rug_{period.label.replace(' ', '_')}", "rug")


def _markdown_table(frame: pd.DataFrame) -> str:
    lines = ["| " + " | ".join(frame.columns) + " |", "|" + " --- |" * len(frame.columns)]
    lines += ["| " + " | ".join(str(value) for value in record) + " |" for record in frame.itertuples(index=False)]
    return "\n".join(lines)


def _summary(db: Database, user: User | None, period: Period) -> None:
    """How the network is doing: headline figures, their changes and what stands out, per theme."""
    overview = service.network_summary(db, user, period)
    table = overview.table()
    st.header(f"How the network is doing, {period}")
    for theme in overview.themes:
        with st.container(border=True):
            st.markdown(f"**{theme.title}**: {theme.returns_received} of {theme.returns_expected} returns received")
            rows = table[table["Theme"] == theme.title].drop(columns=["Theme"])
            if len(rows):
                st.markdown(_markdown_table(rows))
            st.markdown("\n".join(f"- {sentence}" for sentence in theme.items) if theme.items else
                        theme.empty_text)
    st.caption(f"{service.SUMMARY_METHODS} What stands out is raised only on evidence (funnel limits widened for the "
               "variation between authorities once enough have returned to estimate it; significant trends, statements "
               "not reviewed, the bottom 20% three quarters running), strongest first, the first few per theme; "
               f"{views.JUDGEMENTS_START}. The Meeting pack page and the command "
               "python -m benchmark discussion --all give the full list.")


db = ui.database()
st.title("Network overview")
st.caption(service.network_title(db))
ui.banner(db)
if not ui.no_data(db):
    with st.columns(3)[0]:
        period = ui.period_choice(db)
    user = ui.current_user()
    _summary(db, user, period)
    summary = service.completeness(db, user, period)
    st.header(f"Returns for {period} ({period.months})")
    st.caption(ui.cycle_caption(db, period, summary))
    columns = st.columns(4)
    columns[0].metric("Theme returns received", f"{summary['returns_received']} of {summary['returns_expected']}")
    columns[1].metric("Authorities with every theme" if len(summary["by_theme"]) > 1 else "Authorities returned",
                      f"{summary['authorities_complete']} of {summary['authorities']}")
    columns[2].metric("Overdue returns", summary["overdue"],
                      help=f"Not returned by the deadline, {summary['deadline']:%d %b %Y}")
    columns[3].metric("Resubmissions", summary["resubmissions"])
    # One view at a time, in tabs kept in the URL: the shaded rug is the slowest thing on the dashboard to
    # draw (3,000 styled cells at national scale), so it is built only when its tab is open.
    tracker_tab, rug_tab = st.tabs(list(VIEWS), key="tab", bind="query-params")
    if tracker_tab.open:
        with tracker_tab:
            _tracker(db, user, period)
    if rug_tab.open:
        with rug_tab:
            _rug(db, user, period)
