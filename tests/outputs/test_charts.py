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


@pytest.mark.parametrize(("median", "neighbours", "median_side", "neighbours_side"), [
    (50.0, 55.0, "left", "right"),
    (55.0, 50.0, "right", "left"),
])
def test_reference_line_labels_sit_on_their_outer_sides(median: float, neighbours: float, median_side: str,
                                                       neighbours_side: str) -> None:
    figure = charts.bar_chart(comparison(10, median, neighbours), METRIC, "1", "title")
    sides = {annotation.text.split(" ")[0]: annotation.xanchor for annotation in figure.layout.annotations}
    # A label on the left of its line ends at the line (anchored right), and the other way round.
    assert sides == {"Network": {"left": "right", "right": "left"}[median_side],
                     "Neighbour": {"left": "right", "right": "left"}[neighbours_side]}
