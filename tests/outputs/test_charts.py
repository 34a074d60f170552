"""The dashboard's bar chart: which bars carry a value label, and where the reference lines' labels sit."""

from __future__ import annotations

import pandas as pd
import pytest

from benchmark.analysis.metrics import METRICS
from benchmark.outputs import charts

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
