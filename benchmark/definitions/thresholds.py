"""Statistical thresholds, defined once: every judgement, sentence, page and pack reads them from here.

Where each comes from is said beside it; `analysis/stats.py` applies them and the README and the
pages' method notes quote them.
"""

# A value resting on fewer cases than this (a proportion's denominator, a rate's count) is shown
# with its count and interval but never judged: no top/bottom 20% flag, no discussion item.
SMALL_NUMBERS_BELOW = 10
# Overdispersion is estimated only from at least this many reporting authorities; fewer give no
# usable spread, so their limits are the plain ones (tau2 = 0).
OVERDISPERSION_MIN_AUTHORITIES = 5
# Quartile bands, top/bottom 20%, funnel classes and discussion items that compare authorities need
# at least this many reporting authorities in the comparison: fewer values cannot carry quartiles.
MIN_AUTHORITIES_FOR_JUDGEMENT = 5
# An output that leaves the network compares the own authority with at least this many authorities
# (itself included); smaller peer groups are for the network audience only.
MIN_EXTERNAL_GROUP = 5
# The z-scores are winsorised at these percentiles before phi is estimated (Spiegelhalter 2005).
WINSOR_PERCENTILES = (10, 90)
# Trends and changes between quarters are judged at this significance level.
TREND_SIGNIFICANCE = 0.05
