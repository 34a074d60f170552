"""Plotly figures for the dashboard and the meeting packs, built from engine tables only.

Colours are the Analysis Function accessible palette: the chosen authority in dark blue,
everything else in grey, and never colour alone (values are labelled, markers differ). Pages draw them
with `theme=None`: Streamlit's chart theme would repaint the axis text a pale grey below 4.5:1 contrast.
"""

from __future__ import annotations

import functools
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from benchmark.analysis import stats
from benchmark.definitions.metrics import Method, Metric
from benchmark.definitions.standard import VALUE_FIELDS

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
# Quartile band shading, the one palette of every page and pack: A is always best. Judged measures run
# blue (best) to pink (worst); neutral measures use shades of grey so that no judgement is implied.
# Every shaded cell also carries its letter, so a band never rests on colour alone. Text colours keep a
# contrast of at least 4.5:1 on each shade.
BAND_COLOURS = {"A": "#12436D", "B": "#6A8FB3", "C": "#D9A6C0", "D": "#801650"}
NEUTRAL_BAND_COLOURS = {"A": "#3D3D3D", "B": "#8C8C8C", "C": "#B3B3B3", "D": "#E0E0E0"}
BAND_TEXT = {"A": "white", "B": "black", "C": "black", "D": "white"}
NEUTRAL_BAND_TEXT = {"A": "white", "B": "black", "C": "black", "D": "black"}
HIGHLIGHT_FILL = "#DDE6EF"  # the chosen authority's row in a table: light blue behind dark text
# Share of the bar chart's width given to the column of value labels on its right.
LABEL_COLUMN = 0.12


Params = ParamSpec("Params")
Figure = TypeVar("Figure", go.Figure, go.Figure | None)
REMEMBERED_FIGURES = 256  # about the figures one network's members open in a meeting


def _fingerprint(value: object) -> object:
    """What a chart is drawn from, as a hashable key: a table by its content, a metric by its id."""
    if isinstance(value, pd.DataFrame):
        content = pd.util.hash_pandas_object(value, index=True).to_numpy().tobytes()
        return ("table", tuple(value.columns), tuple(map(str, value.dtypes)), hashlib.sha256(content).hexdigest())
    if isinstance(value, Metric):
        return ("metric", value.id)
    if isinstance(value, dict | list):
        return repr(value)
    return value


def remembered(build: Callable[Params, Figure]) -> Callable[Params, Figure]:
    """Build a figure once for the same inputs and hand the same figure to every later caller: Plotly spends
    tens of milliseconds checking each property of a new figure, on every page view of every member. A figure
    handed out is shared: draw it, never change it."""
    figures: OrderedDict[object, Figure] = OrderedDict()
    lock = threading.Lock()

    @functools.wraps(build)
    def drawn(*args: Params.args, **kwargs: Params.kwargs) -> Figure:
        try:
            key = (tuple(map(_fingerprint, args)), tuple(sorted((name, _fingerprint(value))
                                                                 for name, value in kwargs.items())))
            hash(key)
        except TypeError:  # something without a stable fingerprint: draw it afresh
            return build(*args, **kwargs)
        with lock:
            if key in figures:
                figures.move_to_end(key)
                return figures[key]
        figure = build(*args, **kwargs)
        with lock:
            figures[key] = figure
            while len(figures) > REMEMBERED_FIGURES:
                figures.popitem(last=False)
        return figure

    return drawn


def band_style(band: str | None, neutral: bool) -> str:
    """CSS for a band cell: background by band, text colour that stays readable."""
    if band not in BAND_COLOURS:
        return "background-color: #FFFFFF; color: #0B0C0C"
    colours, text = (NEUTRAL_BAND_COLOURS, NEUTRAL_BAND_TEXT) if neutral else (BAND_COLOURS, BAND_TEXT)
    return f"background-color: {colours[band]}; color: {text[band]}"


def _legend_line(figure: go.Figure, name: str, colour: str, dash: str) -> None:
    """A reference line's name and value in the legend, where it can overlap nothing."""
    figure.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name=name, hoverinfo="skip",
                                line={"color": colour, "dash": dash, "width": 2}))


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


@remembered
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
    # Value labels stand in their own column right of the plot (a second x axis), like a table's last
    # column: they can never touch a bar, a whisker or a reference line, whatever the values.
    labelled = np.full(len(rows), True) if labels_every_bar(len(rows)) else is_chosen
    labels_trace = go.Scatter(x=np.zeros(int(labelled.sum())), y=rows["la_name"][labelled], mode="text",
                              text=[label for label, keep in zip(labels, labelled, strict=True) if keep],
                              textposition="middle right", textfont={"size": 11}, hoverinfo="skip",
                              showlegend=False, cliponaxis=False, xaxis="x2")
    figure = go.Figure([trace, labels_trace])
    median = rows["network_median"].dropna()
    neighbours = rows.loc[is_chosen, "sn_mean"].dropna()
    # The reference lines are named, with their values, in the legend above the plot.
    if len(median):
        median_x = float(median.iloc[0])
        figure.add_vline(x=median_x, line_dash="dash", line_color=DARK_GREY)
        _legend_line(figure, f"Network median {metric.format(median_x, short=True)}", DARK_GREY, "dash")
    if len(neighbours):
        neighbours_x = float(neighbours.iloc[0])
        figure.add_vline(x=neighbours_x, line_dash="dot", line_color=TURQUOISE)
        _legend_line(figure, f"Statistical neighbours' mean {metric.format(neighbours_x, short=True)}",
                     TURQUOISE, "dot")
    # Margins set here, not by Plotly's automargin, which measures every name and draws the chart again:
    # at national scale (153 names) that was a quarter of the browser's work after a metric change.
    longest = max((len(str(name)) for name in rows["la_name"]), default=0)
    figure.update_layout(
        xaxis={"title": _axis_title(metric), "rangemode": "normal" if zoomed else "tozero", "automargin": False,
               "domain": [0, 1 - LABEL_COLUMN]},
        xaxis2={"domain": [1 - LABEL_COLUMN + 0.01, 1], "range": [0, 1], "visible": False, "anchor": "y",
                "fixedrange": True},
    )
    figure.update_yaxes(title=None, tickfont={"size": 11}, automargin=False)
    figure.add_annotation(text="Value", xref="x2 domain", yref="paper", x=0, y=1, xanchor="left",
                          yanchor="bottom", showarrow=False, font={"size": 11})
    return _layout(figure, title, max(320, 24 * len(rows) + 120),
                   margin={"l": round(NAME_WIDTH_PX * longest) + 16, "r": 20, "t": 110, "b": 60})


@remembered
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
    figure.add_hline(y=target * metric.multiplier, line_color=DARK_GREY)
    _legend_line(figure, f"{group_label} rate {metric.format(target * metric.multiplier)}", DARK_GREY, "solid")
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
            x=points["denominator"], y=points["value"], mode="markers", name=name,
            marker={"color": OTHER_GREY if symbol == "circle" else DARK_GREY, "size": 9, "symbol": symbol,
                    "line": {"color": DARK_GREY, "width": 1}},
            customdata=points["la_name"], hovertemplate="%{customdata}: %{y:.1f} (n=%{x:,.0f})<extra></extra>",
        ))
    mine = rows[rows["la_code"] == chosen]
    if len(mine):
        figure.add_trace(go.Scatter(
            x=mine["denominator"], y=mine["value"], mode="markers", name=str(mine["la_name"].iloc[0]),
            marker={"color": DARK_BLUE, "size": 14, "symbol": "diamond"},
            customdata=mine["la_name"], hovertemplate="%{customdata}: %{y:.1f} (n=%{x:,.0f})<extra></extra>",
        ))
    named = pd.concat([mine, others[outside]])
    y_range = funnel_y_range(rows, limits, sizes, metric)
    for (x, y, name), (xanchor, yanchor, xshift, yshift) in zip(
            named[["denominator", "value", "la_name"]].itertuples(index=False),
            place_labels(named, (float(sizes.min()), float(sizes.max())), y_range), strict=True):
        figure.add_annotation(x=x, y=y, text=name, showarrow=False, xanchor=xanchor, yanchor=yanchor,
                              xshift=xshift, yshift=yshift, bgcolor="rgba(255,255,255,0.85)",
                              font={"size": 11, "color": DARK_BLUE if name in set(mine["la_name"]) else DARK_GREY})
    denominator_name = (
        "Children aged 0-17" if metric.method is Method.RATE else VALUE_FIELDS[metric.denominator].label
    )
    figure.update_xaxes(title=denominator_name)
    figure.update_yaxes(title=_axis_title(metric), range=list(y_range))
    # The legend takes three rows above the plot: the top margin keeps it clear of the title.
    return _layout(figure, title, FUNNEL_HEIGHT_PX, margin={"l": 10, "r": 30, "t": 135, "b": 40})


FUNNEL_HEIGHT_PX = 470  # the whole chart, legend and title included, within one 1366 x 768 screen
# The limits that set the y-axis: those at the denominators from this quantile of the authorities' up, so
# that one tiny denominator's wide limits (City of London's) do not squash the rest into a strip.
FUNNEL_AXIS_QUANTILE = 0.25


def funnel_y_range(rows: pd.DataFrame, limits: dict[str, np.ndarray], sizes: np.ndarray,
                   metric: Metric) -> tuple[float, float]:
    """The funnel's y-axis: every authority's value and the 99.8% limits where most authorities sit,
    with a margin; limits beyond it run off the plot. Percentages stay within 0-100, rates above 0."""
    bulk = sizes >= float(rows["denominator"].quantile(FUNNEL_AXIS_QUANTILE))
    shown = np.concatenate([rows["value"].to_numpy(dtype=float),
                            np.asarray(limits["lower_99.8"])[bulk] * metric.multiplier,
                            np.asarray(limits["upper_99.8"])[bulk] * metric.multiplier])
    low, high = float(np.nanmin(shown)), float(np.nanmax(shown))
    pad = max((high - low) * 0.08, 0.5)
    low, high = max(low - pad, 0.0), high + pad
    return (low, min(high, 100.0)) if metric.unit == "%" else (low, high)


FUNNEL_PLOT_PX = (900, 330)  # the plot area a funnel's labels are placed in (width, height), roughly
# Where a funnel label may go around its dot, in order of preference: (xanchor, yanchor, xshift, yshift).
LABEL_PLACES = (("center", "bottom", 0, 8), ("center", "top", 0, -8), ("left", "middle", 9, 0),
                ("right", "middle", -9, 0), ("left", "bottom", 6, 6), ("right", "top", -6, -6),
                ("left", "top", 6, -6), ("right", "bottom", -6, 6), ("center", "bottom", 0, 26),
                ("center", "top", 0, -26), ("left", "middle", 9, 18), ("left", "middle", 9, -18))


def place_labels(points: pd.DataFrame, x_range: tuple[float, float], y_range: tuple[float, float],
                 char_px: float = 6.5, line_px: float = 15) -> list[tuple[str, str, int, int]]:
    """Greedy collision avoidance for a funnel's names: each label takes the first place around its dot
    whose box (estimated in pixels) overlaps no label already placed and no named dot, or, where every
    place is taken, the one that overlaps least."""
    width, height = FUNNEL_PLOT_PX

    def pixels(x: float, y: float) -> tuple[float, float]:
        return ((x - x_range[0]) / ((x_range[1] - x_range[0]) or 1) * width,
                (y - y_range[0]) / ((y_range[1] - y_range[0]) or 1) * height)

    def overlap(box: tuple[float, float, float, float], other: tuple[float, float, float, float]) -> float:
        return (max(0.0, min(box[2], other[2]) - max(box[0], other[0]))
                * max(0.0, min(box[3], other[3]) - max(box[1], other[1])))

    dots = [pixels(x, y) for x, y in zip(points["denominator"], points["value"], strict=True)]
    boxes: list[tuple[float, float, float, float]] = [(x - 6, y - 6, x + 6, y + 6) for x, y in dots]
    chosen = []
    for (x, y), name in zip(dots, points["la_name"], strict=True):
        text_width = len(str(name)) * char_px
        candidates = []
        for place in LABEL_PLACES:
            xanchor, yanchor, xshift, yshift = place
            left = x + xshift - {"left": 0, "center": text_width / 2, "right": text_width}[xanchor]
            bottom = y + yshift - {"bottom": 0, "middle": line_px / 2, "top": line_px}[yanchor]
            box = (left, bottom, left + text_width, bottom + line_px)
            candidates.append((sum(overlap(box, other) for other in boxes), place, box))
            if candidates[-1][0] == 0:
                break
        _, place, box = min(candidates, key=lambda candidate: candidate[0])
        boxes.append(box)
        chosen.append(place)
    return chosen


@remembered
def trend_chart(series: pd.DataFrame, metric: Metric, la_name: str, title: str) -> go.Figure:
    """The authority's last quarters against the network median and its neighbours' mean."""
    figure = go.Figure()
    last = series.dropna(subset=["value"]).tail(1)
    # The latest value is said in the legend, where it cannot sit on another line's marker.
    latest = f"{la_name} (latest {metric.format(float(last['value'].iloc[0]), short=True)})" if len(last) else la_name
    lines = (
        ("network_median", "Network median", DARK_GREY, "dash", "circle-open"),
        ("sn_mean", "Statistical neighbours' mean", TURQUOISE, "dot", "square"),
        ("value", latest, DARK_BLUE, "solid", "diamond"),
    )
    for column, name, colour, dash, symbol in lines:
        figure.add_trace(go.Scatter(
            x=series["period"], y=series[column], name=name, mode="lines+markers",
            line={"color": colour, "dash": dash, "width": 3 if column == "value" else 2},
            marker={"symbol": symbol, "size": 9}, connectgaps=False,
            hovertemplate=f"{name} %{{x}}: %{{y:.{metric.decimals}f}}<extra></extra>",
        ))
    figure.update_xaxes(title="Quarter", type="category")
    figure.update_yaxes(title=_axis_title(metric))
    return _layout(figure, title, 400)


@remembered
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


# Inequalities: each place's marker, so the chart reads without colour (shape and legend name the place).
RATIO_STYLES = {"authority": (DARK_BLUE, "circle"), "network": (ORANGE, "diamond"),
                "region": (TURQUOISE, "triangle-up"), "england": (DARK_GREY, "square")}


@remembered
def ratio_chart(rows: pd.DataFrame, title: str, axis_title: str) -> go.Figure:
    """Each group's ratio with its 95% interval on a log scale, a line at 1 (no difference); one marker shape per
    place (the authority, the network, the region, England). Rows judged "too few" are hollow markers."""
    figure = go.Figure()
    drawn = rows.dropna(subset=["ratio"])
    groups = list(dict.fromkeys(rows["group"]))
    for level, part in drawn.groupby("level", sort=False):
        colour, symbol = RATIO_STYLES.get(level, (OTHER_GREY, "circle"))
        judged = part["judgement"].ne("too few").to_numpy()
        low = part["ratio_low"].fillna(part["ratio"])
        high = part["ratio_high"].fillna(part["ratio"])
        figure.add_trace(go.Scatter(
            x=part["ratio"], y=part["group"], mode="markers", name=str(part["la_name"].iloc[0]),
            marker={"color": np.where(judged, colour, "white").tolist(), "symbol": symbol, "size": 11,
                    "line": {"color": colour, "width": 2}},
            error_x={"type": "data", "symmetric": False, "array": (high - part["ratio"]).tolist(),
                     "arrayminus": (part["ratio"] - low).tolist(), "color": colour, "thickness": 1.5},
            customdata=np.stack([part["judgement"].fillna(""), low, high], axis=-1),
            hovertemplate="%{y}: %{x:.2f} (%{customdata[1]:.2f}-%{customdata[2]:.2f}), %{customdata[0]}"
                          "<extra>%{fullData.name}</extra>"))
    figure.add_vline(x=1, line={"color": DARK_GREY, "dash": "dash", "width": 1})
    figure.update_xaxes(type="log", title=axis_title)
    figure.update_yaxes(categoryorder="array", categoryarray=groups[::-1], title=None)
    return _layout(figure, title, max(260, 60 + 34 * len(groups)), {"l": 10, "r": 30, "t": 90, "b": 50})
