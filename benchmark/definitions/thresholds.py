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

# Inequalities (relative rates and risks by ethnicity, sex, age band, primary need): the minimums US
# special-education law treats as reasonable before a disproportionality ratio is judged (34 CFR 300.647).
# Below any of them a row is "too few to compare": shown, never judged.
INEQUALITY_MIN_GROUP_COUNT = 10  # the group's count (children served, or with the adverse outcome)
INEQUALITY_MIN_GROUP_DENOMINATOR = 30  # the group's denominator (its population, or those in the service)
INEQUALITY_MIN_COMPARISON = 30  # the comparison side's denominator (all other children)
# Intervals shown beside every ratio, and the stricter level a discussion item needs: many groups times
# many authorities means many tests, so only a 99.8% interval excluding 1 is put to the network (as funnels).
INEQUALITY_DISPLAY_CONFIDENCE = 0.95
INEQUALITY_DISCUSSION_CONFIDENCE = 0.998
