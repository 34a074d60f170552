"""The disclosure rules, defined once: every outward table, pack and download follows them.

`outputs/disclosure.py` applies them; the README's "What each audience sees and why" explains them.
"""

from __future__ import annotations

from dataclasses import dataclass

from benchmark.definitions.metrics import Method, Metric

SUPPRESSED = "c"  # the EES symbol for a suppressed value
# Why a value is "c", as a footnote says it: every "c" of an external output carries one.
REASON_SMALL_COUNT = "a count of 1 to 5"
REASON_COMPLEMENT = "hidden to protect another suppressed cell"


@dataclass(frozen=True)
class Rules:
    """The disclosure rules, defined once: every outward table, pack and download follows them."""

    threshold: int = 5  # counts of 1 to `threshold` are suppressed
    # A lettered authority's value is shown rounded to these steps; a whole percentage no longer gives
    # its fraction (22/30) back. A rate per 10,000 moves by 10,000 / population for each child, so a
    # rate rounded to a step at least that wide fits a whole count for every population a letter could
    # stand for, and trying the published populations pins nothing: the step is the first of
    # `rate_steps` at least 10,000 / the smallest such population (1 where all have 10,000 children or
    # more; 20 for a London network, whose City of London has under 1,000).
    percent_step: float = 1.0
    rate_steps: tuple[float, ...] = (1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0)
    # Values that move by a fixed amount each quarter (months since a review, days) would link a letter
    # from one quarter's output to the next: shown in bands this wide.
    banded_steps: tuple[tuple[str, float], ...] = (("months", 6.0), ("days", 7.0))
    # DfE's convention: an authority with fewer children aged 0-17 than this (City of London, Isles of
    # Scilly) is never shown on its own outside the network; its row is suppressed, with that reason.
    smallest_shown_population: int = 10_000

    def step(self, metric: Metric, smallest_population: float | None = None) -> float:
        if metric.method is Method.RATE:
            needed = 10_000 / smallest_population if smallest_population else 0.0
            return next((step for step in self.rate_steps if step >= needed), self.rate_steps[-1])
        if metric.unit == "%":
            return self.percent_step
        return dict(self.banded_steps).get(metric.unit, 10.0 ** -metric.decimals)

    @property
    def rate_step(self) -> float:
        """The step for populations of 10,000 children or more."""
        return self.rate_steps[0]


RULES = Rules()
REASON_SMALL_AUTHORITY = (f"an authority with fewer than {RULES.smallest_shown_population:,} children, never "
                          "shown on its own")

AUDIENCES = ("network", "external")
"""Who a table is for. "network": members see exact figures with authorities named. "external": the
table leaves the network, so it must go through `suppress` and peers may be lettered by `anonymise`."""
