"""The layout shared by the three theme pages: one metric, one quarter, one peer group."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from benchmark import reference, service
from benchmark.access.rights import User
from benchmark.db import Database
from benchmark.definitions.metrics import METRICS, Metric, metrics_for_theme
from benchmark.definitions.published_catalogue import SN_COUNT
from benchmark.definitions.standard import THEMES
from benchmark.definitions.thresholds import SMALL_NUMBERS_BELOW
from benchmark.outputs import charts, views
from benchmark.periods import Period
from pages import context_ui, ui

GROUP_LABELS = {"network": "Whole network", "neighbours": "Statistical neighbours", "region": "Region"}
VIEWS = ("Ranking", "Funnel plot", "Trend", "Table")


def theme_page(theme_id: str) -> None:
    theme = THEMES[theme_id]
    db = ui.database()
    st.title(theme.title)
    st.caption(theme.description)
    ui.banner(db)
    if ui.no_data(db):
        return
    if theme_id not in service.network_themes(db, ui.current_user()):
        st.info(f"This network does not collect {theme.title.lower()} returns. The chair chooses the themes on the "
                "Administration page.", icon=":material/info:")
        return
    metric_ids = [metric.id for metric in metrics_for_theme(theme_id)]
    default = next((metric.id for metric in metrics_for_theme(theme_id) if metric.headline), metric_ids[0])
    # The metric has the full width: its names are long ("Social care advice within 6 weeks ...").
    metric_id = ui.url_choice("Metric", metric_ids, "metric", default, format_func=lambda key: METRICS[key].name)
    left, middle, right = st.columns(3)
    with left:
        period = ui.period_choice(db)
    with middle:
        la_code = ui.authority_choice(db)
    with right:
        group_keys = [*GROUP_LABELS, *service.custom_groups(db, ui.current_user())]
        group = ui.url_choice("Compare with", group_keys, "group", "network",
                              format_func=lambda key: GROUP_LABELS.get(key, f"Group: {key}"))
    metric = METRICS[metric_id]
    with st.expander(f"About this metric: {metric.polarity.label}"):
        st.markdown(
            f"**{metric.name}** (`{metric.id}`)  \n{metric.definition}  \n"
            f"Calculation: {metric.formula}.  \nLegal basis: {metric.legal_basis}."
        )
    user = ui.current_user()
    revised = ui.revised_toggle(db, period)
    table = service.compare(db, user, period, metric_id, group, la_code, revised=revised)
    la_name = reference.authority_name(la_code)
    names = table["la_name"].tolist()
    hideable = [name for name in names if name != la_name]
    in_url = [reference.authority_name(code) for code in st.query_params.get_all("hide")
              if code in reference.authorities()]
    hidden = st.multiselect("Hide from the charts", hideable,
                            default=[name for name in in_url if name in hideable], key="hide",
                            help="Leave out an authority that distorts the scale.")
    st.query_params["hide"] = [code for code in table.loc[table["la_name"].isin(hidden), "la_code"] if code]
    shown = table[~table["la_name"].isin(hidden)]
    if not (table["la_code"] == la_code).any():
        st.info(f"{la_name} is not in this peer group: choose another group to see it beside its peers.")
        mine = {"trend": None}
    else:
        mine = table[table["la_code"] == la_code].iloc[0]
        _headline(metric, mine, la_name)
    ui.commentary(db, user, la_code, period, [metric.id, theme_id], "theme")

    # One view at a time, chosen in tabs kept in the URL: only the open tab's chart is built and drawn,
    # which keeps a change of metric quick at national scale (153 authorities).
    ranking, funnel, trend, behind = st.tabs(list(VIEWS), key="view", bind="query-params")
    if ranking.open:
        with ranking:
            _ranking(table, shown, metric, period, la_code, la_name, group)
    if funnel.open:
        with funnel:
            _funnel(table, hidden, metric, period, la_code, GROUP_LABELS.get(group, f"Group: {group}"))
    if trend.open:
        with trend:
            _trend(db, user, metric, period, la_code, la_name, mine, revised)
    if behind.open:
        with behind:
            st.caption(views.comparison_caption(table, metric))
            ui.table(views.comparison_view(table, metric), "comparison_table", chosen=la_name)
            st.caption("The download holds every column: numerator, denominator, interval limits, network, region "
                       "and neighbour averages, England and the difference from the median.")
            ui.downloads(views.comparison_download(table, metric),
                         f"{metric.id}_{period.label.replace(' ', '_')}_{group}", "comparison")
    context_ui.published_context_section(db, user, theme_id, la_code, period)


def _ranking(table: pd.DataFrame, shown: pd.DataFrame, metric: Metric, period: Period, la_code: str,
             la_name: str, group: str) -> None:
    zoomed = st.toggle("Zoom in on the values", value=False, key="zoom", bind="query-params",
                       help="Dots on an axis fitted to the values instead of bars from zero.")
    reported = int(table["value"].notna().sum())
    group_text = GROUP_LABELS.get(group, f"the {group} group").lower()
    st.plotly_chart(
        charts.bar_chart(shown, metric, la_code, f"{metric.name}, {period}: {la_name} and {group_text}",
                         zoomed),
        key="bar_chart", theme=None,
    )
    finding = views.finding(metric, table, la_code)
    whiskers = (" Whiskers show 95% confidence intervals: where two whiskers overlap, the difference may be "
                "chance." if metric.has_interval else "")
    values = ("The column on the right gives each value" if charts.labels_every_bar(int(shown["value"].notna().sum()))
              else f"With this many bars only {la_name}'s value is written on the right")
    small = (f" {charts.SMALL_MARK} small numbers: fewer than {SMALL_NUMBERS_BELOW} cases, shown but not judged."
             if table["small_numbers"].astype(str).eq("True").any() else "")
    st.caption(
        f"{finding} Each bar is one authority ({reported} of {len(table)} reported), sorted by value; {la_name} "
        f"is dark blue.{whiskers} The dashed line is the network median, the dotted line the mean of "
        f"{la_name}'s statistical neighbours that reported ({metric.polarity.label}). {values}; every figure is "
        "in the Table tab." + small
    )


def _funnel(table: pd.DataFrame, hidden: list[str], metric: Metric, period: Period, la_code: str,
            group_label: str) -> None:
    if not metric.has_interval:
        st.info("No funnel plot for this metric: it is not a count out of a total.", icon=":material/info:")
        return
    plain = st.toggle("Show the plain limits (chance alone)", value=False, key="plain_limits",
                      bind="query-params",
                      help="Limits that ignore the real variation between authorities: most authorities with large "
                           "denominators fall outside them.")
    figure = charts.funnel_chart(table, metric, la_code, f"Funnel plot: {metric.name}, {period}",
                                 group_label=group_label, plain=plain, hidden=tuple(hidden))
    if figure is None:
        st.info(f"No authority in {group_label.lower()} has reported this metric for {period}.",
                icon=":material/info:")
        return
    st.plotly_chart(figure, key="funnel_chart", theme=None)
    shown = table[~table["la_name"].isin(hidden)]
    finding = views.funnel_finding(metric, shown, la_code, plain)
    st.caption(f"{finding} {views.funnel_caption(table, metric, group_label, plain)}")


def _trend(db: Database, user: User | None, metric: Metric, period: Period, la_code: str, la_name: str,
           mine: pd.Series | dict, revised: bool) -> None:
    series = service.series(db, user, metric.id, la_code, period, revised=revised)
    st.plotly_chart(
        charts.trend_chart(series, metric, la_name, f"{metric.name}: {la_name}, last 8 quarters"),
        key="trend_chart", theme=None,
    )
    st.caption(
        f"{la_name} (solid dark blue) against the network median (dashed) and its statistical neighbours' mean "
        f"(dotted) for the 8 quarters to {period}. Gaps are quarters without a return. "
        f"Judged trend: {mine['trend'] if isinstance(mine['trend'], str) else 'not enough data'}."
    )
    download = views.trend_download(series, metric, la_name)
    ui.table(download, "trend_table", column_config=ui.number_columns(download, metric))
    ui.downloads(download, f"{metric.id}_trend_{la_code}_{period.label.replace(' ', '_')}", "trend")


def _headline(metric: object, mine: object, la_name: str) -> None:
    columns = st.columns([2, 1, 1, 1])
    value = mine["value"]
    median = mine["network_median"]
    difference = None if value != value or median != median else round(value - median, metric.decimals)
    delta = f"{difference:+.{metric.decimals}f} vs median" if difference else None
    columns[0].metric(f"{la_name} ({metric.unit})", metric.format(value, short=True), delta,
                      delta_color="off" if metric.polarity.value == "neutral" else (
                          "normal" if metric.polarity.value == "higher" else "inverse"))
    columns[1].metric("Rank in group", views.rank_text(mine["rank"], mine["group_reported"]) or "-")
    columns[2].metric("Quartile band", mine["quartile_band"] if isinstance(mine["quartile_band"], str) else "-",
                      help="A is always the best quarter for the measure's polarity (neutral: highest values).")
    columns[3].metric("Neighbours reported", f"{int(mine['sn_reported'])} of {SN_COUNT}",
                      help=f"Mean of those reporting: {metric.format(mine['sn_mean'])}")
