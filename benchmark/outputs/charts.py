"""Plotly figures for the dashboard and the meeting packs, built from engine tables only.

Colours are the Analysis Function accessible palette: the chosen authority in dark blue,
everything else in grey, and never colour alone (values are labelled, markers differ).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from benchmark.analysis import stats
from benchmark.analysis.metrics import Method, Metric
from benchmark.intake.standard import VALUE_FIELDS

DARK_BLUE = "#12436D"
TURQUOISE = "#28A197"
DARK_PINK = "#801650"
ORANGE = "#F46A25"
DARK_GREY = "#3D3D3D"
LIGHT_PURPLE = "#A285D1"
OTHER_GREY = "#B3B3B3"
FUNNEL_LABELS = 6  # outliers named on a funnel plot
SMALL_MARK = "*"  # beside a value resting on small numbers; captions and packs say what it means
# Bars that all carry a value label. Every regional network is smaller; at national scale (153 bars) the
# labels are too small to read and are most of the chart's drawing time in the browser.
BAR_LABELS_UP_TO = 40
NAME_WIDTH_PX = 6.5  # room per character of an authority name on a bar chart's axis (11 px text, generous)
# Quartile band shading: A is always best. Judged measures run blue (best) to pink (worst);
# neutral measures use shades of grey so that no judgement is implied.
BAND_COLOURS = {"A": "#12436D", "B": "#6A8FB3", "C": "#D9A6C0", "D": "#801650"}
NEUTRAL_BAND_COLOURS = {"A": "#3D3D3D", "B": "#7A7A7A", "C": "#B3B3B3", "D": "#E0E0E0"}
BAND_TEXT = {"A": "white", "B": "white", "C": "black", "D": "white"}
NEUTRAL_BAND_TEXT = {"A": "white", "B": "white", "C": "black", "D": "black"}


def band_style(band: str | None, neutral: bool) -> str:
    """CSS for a tartan-rug cell: background by band, text colour that stays readable."""
    if band not in BAND_COLOURS:
        return "background-color: #FFFFFF; color: #3D3D3D"
    colours, text = (NEUTRAL_BAND_COLOURS, NEUTRAL_BAND_TEXT) if neutral else (BAND_COLOURS, BAND_TEXT)
    return f"background-color: {colours[band]}; color: {text[band]}"


def _layout(figure: go.Figure, title: str, height: int, margin: dict[str, int] | None = None) -> go.Figure:
    """Title, theme, size and legend shared by every chart; `margin` where a chart sets its own."""
    figure.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 16}},
        template="plotly_white",
        height=height,
        margin=margin or {"l": 10, "r": 30, "t": 90, "b": 40},
        font={"family": "Arial, sans-serif", "color": DARK_GREY},
        # Legend under the title, above the plot: below it, it would sit on the axis title.
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0, "xanchor": "left"},
    )
    return figure


def _axis_title(metric: Metric) -> str:
    return {"%": "Percent", "GBP": "Pounds"}.get(metric.unit, metric.unit[:1].upper() + metric.unit[1:])


def labels_every_bar(bars: int) -> bool:
    """Whether a bar chart of this many authorities labels every bar, or only the chosen one."""
    return bars <= BAR_LABELS_UP_TO


def bar_chart(table: pd.DataFrame, metric: Metric, chosen: str | None, title: str,
              zoomed: bool = False) -> go.Figure:
    """Authorities sorted by value, the chosen one in dark blue, with 95% intervals, the network
    median and the statistical-neighbour mean as labelled reference lines. `zoomed` draws dots on an
    axis fitted to the values instead of bars from zero, where small differences matter."""
    rows = table.dropna(subset=["value"]).sort_values("value", ascending=True)
    is_chosen = (rows["la_code"] == chosen).to_numpy()
    colours = np.where(is_chosen, DARK_BLUE, OTHER_GREY)
    small = (rows["small_numbers"].astype(str) == "True").to_numpy() if "small_numbers" in rows else np.full(len(rows),
                                                                                                          False)
    labels = [metric.format(value, short=True) + (SMALL_MARK if is_small else "")
              for value, is_small in zip(rows["value"], small, strict=True)]
    whiskers = (
        {"type": "data", "symmetric": False, "array": rows["ci_high"] - rows["value"],
         "arrayminus": rows["value"] - rows["ci_low"], "color": DARK_GREY, "thickness": 1}
        if metric.has_interval else None
    )
    common = {"x": rows["value"], "y": rows["la_name"], "customdata": labels, "error_x": whiskers,
              "name": metric.name, "hovertemplate": "%{y}: %{customdata}<extra></extra>", "showlegend": False}
    if zoomed:
        trace = go.Scatter(**common, mode="markers",
                           marker={"color": colours, "size": np.where(is_chosen, 14, 10),
                                   "symbol": np.where(is_chosen, "diamond", "circle"),
                                   "line": {"color": DARK_GREY, "width": 1}})
    else:
        trace = go.Bar(**common, orientation="h", marker_color=colours)
    # Value labels sit just beyond each whisker, so the two never overlap.
    beyond = rows["ci_high"].where(rows["ci_high"].notna(), rows["value"]) if metric.has_interval else rows["value"]
    labelled = np.full(len(rows), True) if labels_every_bar(len(rows)) else is_chosen
    labels_trace = go.Scatter(x=beyond[labelled], y=rows["la_name"][labelled], mode="text",
                              text=[f" {label}" for label, keep in zip(labels, labelled, strict=True) if keep],
                              textposition="middle right", textfont={"size": 10}, hoverinfo="skip",
                              showlegend=False, cliponaxis=False)
    figure = go.Figure([trace, labels_trace])
    median = rows["network_median"].dropna()
    neighbours = rows.loc[is_chosen, "sn_mean"].dropna()
    median_x = float(median.iloc[0]) if len(median) else None
    neighbours_x = float(neighbours.iloc[0]) if len(neighbours) else None
    # Each line's label sits on its outer side (the lower line's to the left), so the two never overlap.
    median_lower = neighbours_x is not None and median_x is not None and median_x < neighbours_x
    if median_x is not None:
        figure.add_vline(x=median_x, line_dash="dash", line_color=DARK_GREY,
                         annotation_text=f"Network median {metric.format(median_x, short=True)}",
                         annotation_position="top left" if median_lower else "top right")
    if neighbours_x is not None:
        figure.add_vline(x=neighbours_x, line_dash="dot", line_color=TURQUOISE,
                         annotation_text=f"Neighbour mean {metric.format(neighbours_x, short=True)}",
                         annotation_position="top right" if median_lower else "top left",
                         annotation_font_color=TURQUOISE)
    # Margins set here, not by Plotly's automargin, which measures every name and draws the chart again:
    # at national scale (153 names) that was a quarter of the browser's work after a metric change.
    longest = max((len(str(name)) for name in rows["la_name"]), default=0)
    figure.update_xaxes(title=_axis_title(metric), rangemode="normal" if zoomed else "tozero", automargin=False)
    figure.update_yaxes(title=None, tickfont={"size": 11}, automargin=False)
    return _layout(figure, title, max(320, 24 * len(rows) + 120),
                   margin={"l": round(NAME_WIDTH_PX * longest) + 16, "r": 60, "t": 90, "b": 60})


def funnel_chart(table: pd.DataFrame, metric: Metric, chosen: str | None, title: str, *,
                 group_label: str = "Network", plain: bool = False,
                 hidden: tuple[str, ...] = ()) -> go.Figure | None:
    """Each authority's value against its own denominator, inside 95% and 99.8% limits around the
    peer group's pooled rate; None for measures without a funnel (ratios, medians, ages).

    `table` is the whole peer group (its rate and overdispersion); authorities named in `hidden`
    are left off the chart but still count. The limits allow for the variation between
    authorities (Spiegelhalter 2005, tau2 from the table) unless `plain`; outliers beyond 99.8% are
    named by the same class. Values on small numbers are open circles.
    """
    if metric.method not in (Method.PROPORTION, Method.RATE):
        return None
    group = table.dropna(subset=["value", "denominator"])
    group = group[group["denominator"] > 0]
    rows = group[~group["la_name"].isin(hidden)]
    if rows.empty:
        return None
    kind = metric.method.value
    target = stats.network_rate(group["numerator"], group["denominator"])
    tau2 = float(pd.to_numeric(group["overdispersion_tau2"], errors="coerce").fillna(0.0).iloc[0])
    sizes = np.linspace(max(rows["denominator"].min() * 0.8, 1), rows["denominator"].max() * 1.1, 200)
    limits = (stats.funnel_limits(target, sizes, kind) if plain
              else stats.adjusted_funnel_limits(target, sizes, kind, tau2))
    figure = go.Figure()
    # Short legend names (the caption says how the limits are worked out): long ones wrap over the title.
    which = " (chance alone)" if plain else ""
    styles = {"95": ("dash", f"95% limits{which}"), "99.8": ("dot", f"99.8% limits{which}")}
    for level, (dash, name) in styles.items():
        for side in ("lower", "upper"):
            figure.add_trace(go.Scatter(
                x=sizes, y=limits[f"{side}_{level}"] * metric.multiplier, mode="lines",
                line={"color": DARK_GREY, "dash": dash, "width": 1}, name=name,
                showlegend=side == "upper", hoverinfo="skip",
            ))
    figure.add_hline(y=target * metric.multiplier, line_color=DARK_GREY,
                     annotation_text=f"{group_label} rate {metric.format(target * metric.multiplier)}")
    column = "funnel" if plain else "funnel_adjusted"
    distance = pd.Series(np.abs(stats.overdispersed_funnel(group["numerator"], group["denominator"], kind)["z"]),
                         index=group.index)
    others = rows[rows["la_code"] != chosen]
    # Name the outliers beyond 99.8%, the furthest few only, so that the names stay readable.
    outside = others[column].isin(["above_99.8", "below_99.8"]) & (
        distance.reindex(others.index).rank(ascending=False, method="first") <= FUNNEL_LABELS)
    small = others["small_numbers"].astype(str) == "True"
    for subset, name, symbol in ((~small, "Other authorities", "circle"),
                                 (small, f"Small numbers (fewer than {stats.SMALL_NUMBERS_BELOW} cases)",
                                  "circle-open")):
        if not subset.any():
            continue
        points = others[subset]
        figure.add_trace(go.Scatter(
            x=points["denominator"], y=points["value"], mode="markers+text", name=name,
            marker={"color": OTHER_GREY if symbol == "circle" else DARK_GREY, "size": 9, "symbol": symbol,
                    "line": {"color": DARK_GREY, "width": 1}},
            text=np.where(outside[subset], points["la_name"], ""), textposition="top center",
            customdata=points["la_name"], hovertemplate="%{customdata}: %{y:.1f} (n=%{x:,.0f})<extra></extra>",
        ))
    mine = rows[rows["la_code"] == chosen]
    if len(mine):
        figure.add_trace(go.Scatter(
            x=mine["denominator"], y=mine["value"], mode="markers+text", name=str(mine["la_name"].iloc[0]),
            marker={"color": DARK_BLUE, "size": 14, "symbol": "diamond"},
            text=mine["la_name"], textposition="top center", textfont={"color": DARK_BLUE},
            hovertemplate="%{text}: %{y:.1f} (n=%{x:,.0f})<extra></extra>",
        ))
    denominator_name = (
        "Children aged 0-17" if metric.method is Method.RATE else VALUE_FIELDS[metric.denominator].label
    )
    figure.update_xaxes(title=denominator_name)
    figure.update_yaxes(title=_axis_title(metric))
    return _layout(figure, title, 480, margin={"l": 10, "r": 30, "t": 110, "b": 40})


def trend_chart(series: pd.DataFrame, metric: Metric, la_name: str, title: str) -> go.Figure:
    """The authority's last quarters against the network median and its neighbours' mean."""
    figure = go.Figure()
    lines = (
        ("network_median", "Network median", DARK_GREY, "dash", "circle-open"),
        ("sn_mean", "Statistical neighbours' mean", TURQUOISE, "dot", "square"),
        ("value", la_name, DARK_BLUE, "solid", "diamond"),
    )
    for column, name, colour, dash, symbol in lines:
        figure.add_trace(go.Scatter(
            x=series["period"], y=series[column], name=name, mode="lines+markers",
            line={"color": colour, "dash": dash, "width": 3 if column == "value" else 2},
            marker={"symbol": symbol, "size": 9}, connectgaps=False,
            hovertemplate=f"{name} %{{x}}: %{{y:.{metric.decimals}f}}<extra></extra>",
        ))
    last = series.dropna(subset=["value"]).tail(1)
    if len(last):
        figure.add_annotation(x=last["period"].iloc[0], y=float(last["value"].iloc[0]),
                              text=metric.format(float(last["value"].iloc[0])), showarrow=False, yshift=16,
                              font={"color": DARK_BLUE})
    figure.update_xaxes(title="Quarter", type="category")
    figure.update_yaxes(title=_axis_title(metric))
    return _layout(figure, title, 400)


def context_chart(frame: pd.DataFrame, chosen_name: str | None, title: str, axis_x: str = "Calendar year",
                  axis_y: str = "Percent", decimals: int = 1) -> go.Figure:
    """A published series by year: England and the region as reference lines, the chosen authority
    in dark blue, the other network authorities in grey."""
    figure = go.Figure()
    order = sorted(frame["geography"].unique(), key=lambda name: (name == chosen_name, name))
    for geography in order:
        rows = frame[frame["geography"] == geography].sort_values("year")
        level = rows["level"].iloc[0]
        if level == "National":
            style = {"color": DARK_GREY, "dash": "dash", "width": 3}
        elif level == "Regional":
            style = {"color": TURQUOISE, "dash": "dot", "width": 3}
        elif geography == chosen_name:
            style = {"color": DARK_BLUE, "width": 4}
        else:
            style = {"color": "#D0D0D0", "width": 1}
        labelled = level != "Local authority" or geography == chosen_name
        figure.add_trace(go.Scatter(
            x=rows["year"], y=rows["value"], name=geography, mode="lines+markers" if labelled else "lines",
            line=style, showlegend=labelled, connectgaps=False,
            hovertemplate=f"{geography} %{{x}}: %{{y:,.{decimals}f}}<extra></extra>",
        ))
    figure.update_xaxes(title=axis_x, type="category")
    figure.update_yaxes(title=axis_y)
    return _layout(figure, title, 440)
