"""The dashboard's charts: which bars carry a value label, where the reference lines' labels sit, and
what the funnel plot draws (adjusted or plain limits, the group's rate, small numbers) and says."""

from __future__ import annotations

import pandas as pd
import pytest

from benchmark.analysis import stats
from benchmark.definitions.metrics import METRICS
from benchmark.outputs import charts, views

METRIC = METRICS["adv_6wk_pct"]


def comparison(authorities: int, median: float = 50.0, neighbours: float = 55.0) -> pd.DataFrame:
    """A comparison table as the engine gives it, authority i having value i (codes "1", "2", ...)."""
    values = [float(index) for index in range(1, authorities + 1)]
    return pd.DataFrame({
        "la_code": [str(index) for index in range(1, authorities + 1)],
        "la_name": [f"Authority {index}" for index in range(1, authorities + 1)],
        "value": values,
        "ci_low": [value - 1 for value in values],
        "ci_high": [value + 1 for value in values],
        "network_median": median,
        "sn_mean": neighbours,
    })


def value_labels(figure: object) -> dict[str, str]:
    labels = next(trace for trace in figure.data if trace.type == "scatter" and trace.mode == "text")
    return dict(zip(labels.y, (text.strip() for text in labels.text), strict=True))


@pytest.mark.parametrize("authorities", [1, 33, charts.BAR_LABELS_UP_TO])
def test_every_bar_is_labelled_in_a_network_sized_chart(authorities: int) -> None:
    figure = charts.bar_chart(comparison(authorities), METRIC, "1", "title")
    labels = value_labels(figure)
    assert len(labels) == authorities
    assert labels["Authority 1"] == "1.0%"


def test_only_the_chosen_bar_is_labelled_at_national_scale() -> None:
    figure = charts.bar_chart(comparison(153), METRIC, "77", "title")
    assert value_labels(figure) == {"Authority 77": "77.0%"}
    bars = next(trace for trace in figure.data if trace.type == "bar")
    assert len(bars.y) == 153, "every authority still has its bar"
    assert not charts.labels_every_bar(153) and charts.labels_every_bar(33)


@pytest.mark.parametrize(("median", "neighbours"), [(50.0, 55.0), (55.0, 50.0), (5.0, 5.2)])
def test_reference_lines_are_named_in_the_legend_not_on_the_plot(median: float, neighbours: float) -> None:
    figure = charts.bar_chart(comparison(10, median, neighbours), METRIC, "1", "title")
    legend = [trace.name for trace in figure.data if trace.showlegend is not False]
    assert legend == [f"Network median {median:.1f}%", f"Statistical neighbours' mean {neighbours:.1f}%"]
    # The only text on the plot is the heading of the value column: no label can sit on a line or a bar.
    assert [annotation.text for annotation in figure.layout.annotations] == ["Value"]


# --- the funnel plot --------------------------------------------------------------------------------------

FUNNEL_METRIC = METRICS["adv_6wk_pct"]


def funnel_table(numerators: list[float], denominators: list[float]) -> pd.DataFrame:
    """A peer group's comparison table with the engine's funnel columns, authority i called "Authority i"."""
    adjusted = stats.overdispersed_funnel(numerators, denominators, "proportion")
    count = len(numerators)
    return pd.DataFrame({
        "la_code": [str(index) for index in range(1, count + 1)],
        "la_name": [f"Authority {index}" for index in range(1, count + 1)],
        "numerator": numerators, "denominator": denominators,
        "value": [100 * top / bottom for top, bottom in zip(numerators, denominators, strict=True)],
        "funnel": stats.funnel_position(numerators, denominators, "proportion"),
        "funnel_adjusted": adjusted["position"], "overdispersion_phi": adjusted["phi"],
        "overdispersion_tau2": adjusted["tau2"],
        "small_numbers": stats.small_numbers(numerators, denominators, "proportion"),
    })


def limit_lines(figure: object) -> dict[str, object]:
    return {trace.name: trace for trace in figure.data if trace.mode == "lines" and trace.showlegend}


def test_funnel_draws_the_adjusted_limits_around_the_groups_rate() -> None:
    """The overdispersed network of tests/analysis/test_overdispersion.py (20, 40, 50, 60, 80 of 100,
    tau2 = 0.029788) plus one authority of 6 cases: the upper 95% line is the back-transformed adjusted
    limit, the centre line is labelled with the group, the small one is an open circle."""
    table = funnel_table([20, 40, 50, 60, 80, 3], [100, 100, 100, 100, 100, 6])
    figure = charts.funnel_chart(table, FUNNEL_METRIC, "1", "title", group_label="Statistical neighbours")
    line = limit_lines(figure)["95% limits"]
    expected = stats.adjusted_funnel_limits(253 / 506, list(line.x), "proportion",
                                            float(table["overdispersion_tau2"].iloc[0]))
    assert list(line.y) == pytest.approx(list(expected["upper_95"] * 100))
    assert "Statistical neighbours rate 50.0%" in [trace.name for trace in figure.data]
    small = next(trace for trace in figure.data if trace.name.startswith("Small numbers"))
    assert list(small.customdata) == ["Authority 6"] and small.marker.symbol == "circle-open"


def test_funnel_toggle_draws_the_plain_limits_and_names_their_outliers() -> None:
    table = funnel_table([20, 40, 50, 60, 80], [100] * 5)
    figure = charts.funnel_chart(table, FUNNEL_METRIC, "3", "title", plain=True)
    line = limit_lines(figure)["99.8% limits (chance alone)"]
    assert list(line.y) == pytest.approx(list(stats.funnel_limits(0.5, list(line.x), "proportion")["upper_99.8"]
                                              * 100))
    assert sorted(annotation.text for annotation in figure.layout.annotations) == [
        "Authority 1", "Authority 3", "Authority 5"]  # the outliers, and the chosen authority
    adjusted = charts.funnel_chart(table, FUNNEL_METRIC, "3", "title")
    assert [annotation.text for annotation in adjusted.layout.annotations] == ["Authority 3"], \
        "no one is beyond the adjusted 99.8% limits"


def test_hidden_authorities_leave_the_chart_but_count_in_the_rate() -> None:
    table = funnel_table([20, 40, 50, 60, 80], [100] * 5)
    figure = charts.funnel_chart(table, FUNNEL_METRIC, "3", "title", hidden=("Authority 5",))
    others = next(trace for trace in figure.data if trace.name == "Other authorities")
    assert "Authority 5" not in list(others.customdata)
    assert "Network rate 50.0%" in [trace.name for trace in figure.data], "the rate is still the whole group's"


def test_funnel_caption_states_the_method_phi_and_counts() -> None:
    table = funnel_table([20, 40, 50, 60, 80], [100] * 5)
    caption = views.funnel_caption(table, FUNNEL_METRIC, "Whole network")
    assert "allow for the real variation between authorities (overdispersion phi = 10.33, Spiegelhalter 2005)" \
        in caption.replace("widened to allow", "allow")
    assert "0 of 5 authorities fall outside the 99.8% limits and 0 outside the 95% limits" in caption
    plain = views.funnel_caption(table, FUNNEL_METRIC, "Whole network", plain=True)
    assert "2 of 5 authorities fall outside the 99.8% limits and 4 outside the 95% limits" in plain
    # Four reporting is below the judgement threshold (5) as well as the overdispersion one: the caption says
    # judgements have not started and counts nobody outside the limits.
    four = views.funnel_caption(funnel_table([20, 40, 60, 80], [100] * 4), FUNNEL_METRIC, "X")
    assert f"Only 4 authorities have returned: {stats.JUDGEMENTS_START}" in four
    assert "outside the 99.8% limits" not in four
    # Five reporting without a phi estimate still says no allowance could be estimated.
    unestimated = funnel_table([20, 40, 50, 60, 80], [100] * 5).assign(overdispersion_phi=float("nan"),
                                                                       overdispersion_tau2=0.0)
    assert "no allowance for variation between authorities can be estimated" in \
        views.funnel_caption(unestimated, FUNNEL_METRIC, "X")
    calm = funnel_table([48, 49, 50, 51, 52], [100] * 5)
    assert "no more of it than chance would give (phi = 0.06)" in views.funnel_caption(calm, FUNNEL_METRIC, "X")


def test_bar_labels_mark_small_numbers() -> None:
    table = comparison(3).assign(small_numbers=[True, False, False])
    labels = value_labels(charts.bar_chart(table, METRIC, "1", "title"))
    assert labels == {"Authority 1": "1.0%" + charts.SMALL_MARK, "Authority 2": "2.0%", "Authority 3": "3.0%"}


def test_value_labels_stand_in_their_own_column_right_of_the_bars() -> None:
    figure = charts.bar_chart(comparison(10), METRIC, "1", "title")
    labels = next(trace for trace in figure.data if trace.type == "scatter" and trace.mode == "text")
    assert labels.xaxis == "x2" and set(labels.x) == {0}
    bars_end, labels_start = figure.layout.xaxis.domain[1], figure.layout.xaxis2.domain[0]
    assert bars_end < labels_start, "the value column starts right of the plot, past every whisker"


def funnel_comparison() -> pd.DataFrame:
    """Four outliers bunched together at the same size, the chosen authority among them."""
    sizes = [100.0] * 4 + [100.0 + 10 * index for index in range(20)]
    values = [95.0, 94.0, 93.5, 5.0] + [50.0 + (index % 5) for index in range(20)]
    return pd.DataFrame({
        "la_code": [str(index) for index in range(len(sizes))],
        "la_name": ["Barking and Dagenham", "Hillingdon", "Kensington and Chelsea", "Hackney",
                    *(f"Authority {index}" for index in range(20))],
        "value": values, "denominator": sizes, "numerator": [v * n / 100 for v, n in zip(values, sizes, strict=True)],
        "funnel": ["above_99.8"] * 3 + ["below_99.8"] + ["within"] * 20,
        "funnel_adjusted": ["above_99.8"] * 3 + ["below_99.8"] + ["within"] * 20,
        "small_numbers": [False] * 24, "overdispersion_tau2": [0.0] * 24,
    })


def test_funnel_names_do_not_overlap_each_other() -> None:
    figure = charts.funnel_chart(funnel_comparison(), METRIC, "0", "title")
    names = [annotation for annotation in figure.layout.annotations]
    assert {annotation.text for annotation in names} == {"Barking and Dagenham", "Hillingdon",
                                                        "Kensington and Chelsea", "Hackney"}
    # The three names at the same point take different places around their dots.
    bunched = [(a.xanchor, a.yanchor, a.xshift, a.yshift) for a in names if a.text != "Hackney"]
    assert len(set(bunched)) == 3


def test_funnel_network_rate_is_in_the_legend() -> None:
    figure = charts.funnel_chart(funnel_comparison(), METRIC, "0", "title")
    assert any((trace.name or "").startswith("Network rate ") for trace in figure.data)


@pytest.mark.parametrize("neutral", [False, True])
def test_band_text_keeps_a_contrast_of_4_5_to_1(neutral: bool) -> None:
    def luminance(colour: str) -> float:
        colour = {"white": "#FFFFFF", "black": "#000000"}.get(colour, colour).lstrip("#")
        channels = [int(colour[i:i + 2], 16) / 255 for i in (0, 2, 4)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    for band in "ABCD":
        style = dict(part.split(": ") for part in charts.band_style(band, neutral).split("; "))
        light, dark = sorted((luminance(style["background-color"]), luminance(style["color"])), reverse=True)
        assert (light + 0.05) / (dark + 0.05) >= 4.5, (band, style)


def tiny_denominator_comparison() -> pd.DataFrame:
    """Overnight breaks as on the demo: authorities between 0% and 17% of a few hundred children, and
    one (City of London) with a denominator of 4."""
    sizes = [4.0, *(300.0 + 40 * index for index in range(20))]
    values = [25.0, *(2.0 + 0.75 * index for index in range(20))]
    return pd.DataFrame({
        "la_code": [str(index) for index in range(len(sizes))],
        "la_name": ["City of London", *(f"Authority {index}" for index in range(20))],
        "value": values, "denominator": sizes, "numerator": [v * n / 100 for v, n in zip(values, sizes, strict=True)],
        "funnel": ["within"] * 21, "funnel_adjusted": ["within"] * 21,
        "small_numbers": [True] + [False] * 20, "overdispersion_tau2": [0.0005] * 21,
    })


def test_funnel_axis_follows_the_authorities_not_a_tiny_denominators_limits() -> None:
    metric = METRICS["sb_overnight_pct"]
    table = tiny_denominator_comparison()
    figure = charts.funnel_chart(table, metric, "5", "title")
    limit_tops = [max(y for y in trace.y if y is not None) for trace in figure.data
                  if trace.mode == "lines" and trace.y is not None and any(y is not None for y in trace.y)]
    assert max(limit_tops) > 60, "the control: left to itself, the axis would run to the tiny denominator's limit"
    low, high = figure.layout.yaxis.range
    assert low >= 0 and high < 40, (low, high)
    assert low <= table["value"].min() and high >= table["value"].max(), "every authority stays on the chart"
    assert figure.layout.height <= 480, "the chart fits one 1366 x 768 screen"


def test_a_figure_is_built_once_for_the_same_figures_and_afresh_for_any_change() -> None:
    """Twenty members opening the same page share one figure; a changed value, authority or title never
    reaches anyone through it."""
    table = comparison(33)
    first = charts.bar_chart(table, METRIC, "1", "title")
    assert charts.bar_chart(table.copy(), METRIC, "1", "title") is first
    changed = table.copy()
    changed.loc[4, "value"] = 40.0
    redrawn = charts.bar_chart(changed, METRIC, "1", "title")
    assert redrawn is not first and value_labels(redrawn)["Authority 5"] == "40.0%"
    assert value_labels(first)["Authority 5"] == "5.0%"
    assert charts.bar_chart(table, METRIC, "2", "title") is not first
    assert charts.bar_chart(table, METRIC, "1", "another title") is not first
    assert charts.bar_chart(table, METRICS["adv_overdue_per_10k"], "1", "title") is not first

