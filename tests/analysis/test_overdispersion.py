"""Overdispersion-adjusted funnel classes (Spiegelhalter 2005), small numbers and the change tests,
checked against hand-worked networks.

Proportions on the arcsine-square-root scale: y = asin(sqrt(k/n)), target asin(sqrt(pooled)),
s = 1/(2 sqrt(n)). Rates as observed/expected on the square-root scale: E = n x pooled,
y = sqrt(O/E), target 1, s = 1/(2 sqrt(E)). z = (y - target)/s, winsorised at the 10th and 90th
percentiles (linear interpolation: the q-th percentile of 5 sorted values sits at position
q x 4, so the 10th is 0.4 of the way from the 1st to the 2nd); phi = mean(winsorised z^2);
w = 1/s^2; tau2 = (I phi - (I - 1)) / (sum w - sum w^2 / sum w), or 0 if I phi < I - 1.
Adjusted z = (y - target) / sqrt(s^2 + tau2); classes at 1.959964 and 3.090232.
"""

import math

import numpy as np
import pytest

from benchmark.analysis.stats import (
    OVERDISPERSION_MIN_AUTHORITIES,
    SMALL_NUMBERS_BELOW,
    adjusted_funnel_limits,
    funnel_position,
    overdispersed_funnel,
    poisson_rate_test,
    small_numbers,
    two_proportion_test,
)

NAN = math.nan


def test_overdispersed_proportions_are_widened_by_hand():
    """Five authorities of 100 cases: 20, 40, 50, 60 and 80 on time.

    pooled = 250/500 = 0.5, target = asin(sqrt(0.5)) = pi/4 = 0.785398; s = 1/(2 x 10) = 0.05.
    y = asin(sqrt(0.2, 0.4, 0.5, 0.6, 0.8)) = 0.463648, 0.684719, 0.785398, 0.886077, 1.107149
    z = (y - 0.785398)/0.05 = -6.435011, -2.013579, 0, 2.013579, 6.435011
    (the plain limits put four of five outside 95%, two beyond 99.8%).
    10th percentile at position 0.4: -6.435011 + 0.4 x 4.421432 = -4.666438; 90th = +4.666438.
    winsorised z^2 = 21.775644, 4.054500, 0, 4.054500, 21.775644; phi = 51.660288/5 = 10.332058.
    I phi = 51.660288 >= I - 1 = 4; w = 400 each: sum w = 2000, sum w^2/sum w = 800000/2000 = 400.
    tau2 = (51.660288 - 4)/(2000 - 400) = 47.660288/1600 = 0.029788.
    adjusted z = (y - target)/sqrt(0.0025 + 0.029788) = (y - target)/0.179688
               = -1.790609, -0.560300, 0, 0.560300, 1.790609: every one within the 95% limits.
    """
    result = overdispersed_funnel([20, 40, 50, 60, 80], [100] * 5, "proportion")
    assert result["phi"] == pytest.approx([10.332058] * 5, abs=1e-5)
    assert result["tau2"] == pytest.approx([0.029788] * 5, abs=1e-6)
    assert result["z"] == pytest.approx([-1.790609, -0.560300, 0, 0.560300, 1.790609], abs=1e-5)
    assert result["position"].tolist() == ["within"] * 5
    assert result["target"] == pytest.approx([0.5] * 5)
    plain = funnel_position([20, 40, 50, 60, 80], [100] * 5, "proportion")
    assert plain.tolist() == ["below_99.8", "below_95", "within", "above_95", "above_99.8"]


def test_adjusted_limits_back_transformed_by_hand():
    """The limits drawn for the network above at n = 100: pi/4 -/+ z x 0.179688, then sin^2.

    95%: 0.785398 -/+ 1.959964 x 0.179688 = 0.785398 -/+ 0.352183 -> sin^2(0.433215) = 0.176226,
         sin^2(1.137581) = 0.823774. 99.8%: 0.785398 -/+ 0.555280 -> 0.052028 and 0.947972.
    With tau2 = 0 they are pi/4 -/+ z x 0.05: 95% sin^2(0.785398 - 0.097998) = sin^2(0.687400) = 0.634530^2 = 0.402628.
    """
    limits = adjusted_funnel_limits(0.5, [100], "proportion", 0.029788)
    assert limits["lower_95"][0] == pytest.approx(0.176226, abs=2e-6)
    assert limits["upper_95"][0] == pytest.approx(0.823774, abs=2e-6)
    assert limits["lower_99.8"][0] == pytest.approx(0.052028, abs=2e-6)
    assert limits["upper_99.8"][0] == pytest.approx(0.947972, abs=2e-6)
    assert adjusted_funnel_limits(0.5, [100], "proportion", 0.0)["lower_95"][0] == pytest.approx(0.402628, abs=2e-6)


def test_network_without_overdispersion_keeps_tau2_zero():
    """Five authorities of 100 cases: 48, 49, 50, 51, 52. pooled 0.5, target pi/4, s = 0.05.

    y = 0.765393, 0.775397, 0.785398, 0.795399, 0.805404 -> z = -0.400107, -0.200013, 0, 0.200013, 0.400107.
    Winsorised at -0.400107 + 0.4 x 0.200094 = -0.320069 and +0.320069: z^2 = 0.102444, 0.040005, 0,
    0.040005, 0.102444; phi = 0.284899/5 = 0.056980. I phi = 0.284899 < I - 1 = 4, so tau2 = 0 and the
    adjusted z is the plain z on the arcsine scale.
    """
    result = overdispersed_funnel([48, 49, 50, 51, 52], [100] * 5, "proportion")
    assert result["phi"][0] == pytest.approx(0.056980, abs=1e-6)
    assert result["tau2"].tolist() == [0.0] * 5
    assert result["z"] == pytest.approx([-0.400107, -0.200013, 0, 0.200013, 0.400107], abs=1e-6)
    assert result["position"].tolist() == ["within"] * 5


def test_fewer_than_five_authorities_estimate_nothing():
    """Four authorities (20, 40, 60, 80 of 100): no overdispersion is estimated from fewer than five, so
    phi is NaN, tau2 = 0 and z = (y - pi/4)/0.05 = -6.435011, -2.013579, 2.013579, 6.435011: the plain
    classes below_99.8, below_95, above_95, above_99.8."""
    assert OVERDISPERSION_MIN_AUTHORITIES == 5
    result = overdispersed_funnel([20, 40, 60, 80], [100] * 4, "proportion")
    assert np.isnan(result["phi"]).all()
    assert result["tau2"].tolist() == [0.0] * 4
    assert result["z"] == pytest.approx([-6.435011, -2.013579, 2.013579, 6.435011], abs=1e-5)
    assert result["position"].tolist() == ["below_99.8", "below_95", "above_95", "above_99.8"]


def test_rates_with_a_zero_count_by_hand():
    """Five authorities of 10,000 children with 0, 10, 20, 30 and 40 children counted.

    pooled = 100/50,000 = 0.002; E = 10,000 x 0.002 = 20 each; s = 1/(2 sqrt(20)) = 0.111803.
    y = sqrt(O/20) = 0, 0.707107, 1, 1.224745, 1.414214 (the zero count is simply 0 on this scale)
    z = (y - 1)/0.111803 = -8.944272, -2.620131, 0, 2.010178, 3.704839.
    10th percentile: -8.944272 + 0.4 x 6.324141 = -6.414616; 90th: 2.010178 + 0.6 x 1.694661 = 3.026975.
    z^2 = 41.147299, 6.865086, 0, 4.040816, 9.162578; phi = 61.215779/5 = 12.243156.
    w = 80 each: sum w = 400, sum w^2/sum w = 32,000/400 = 80; tau2 = (61.215779 - 4)/320 = 0.178799.
    adjusted z = (y - 1)/sqrt(0.0125 + 0.178799) = (y - 1)/0.437378 = -2.286352, -0.669657, 0, 0.513847,
    0.947038: the authority with no children is below the 95% limits, no longer beyond 99.8%.
    """
    result = overdispersed_funnel([0, 10, 20, 30, 40], [10_000] * 5, "rate")
    assert result["phi"][0] == pytest.approx(12.2423, abs=2e-3)
    assert result["tau2"][0] == pytest.approx(0.17879, abs=2e-5)
    assert result["z"] == pytest.approx([-2.2864, -0.6697, 0, 0.5139, 0.9471], abs=2e-4)
    assert result["position"].tolist() == ["below_95", "within", "within", "within", "within"]
    assert funnel_position([0, 10, 20, 30, 40], [10_000] * 5, "rate").tolist()[0] == "below_99.8"
    limits = adjusted_funnel_limits(0.002, [10_000], "rate", 0.178799)
    # lower 99.8%: 1 - 3.090232 x 0.437378 < 0 -> clipped to 0; upper 95%: (1 + 1.959964 x 0.437378)^2 x 0.002
    assert limits["lower_99.8"][0] == 0
    assert limits["upper_95"][0] == pytest.approx((1 + 1.959964 * 0.437378) ** 2 * 0.002, rel=1e-5)


def test_groups_are_estimated_separately_and_missing_values_left_out():
    """The overdispersed network above and the calm one side by side, with a missing value and a zero
    denominator in each: each group keeps its own phi and tau2, and the missing rows get no class."""
    numerators = [20, 40, 50, 60, 80, NAN, 48, 49, 50, 51, 52, 3]
    denominators = [100] * 5 + [100] + [100] * 5 + [0]
    groups = ["a"] * 6 + ["b"] * 6
    result = overdispersed_funnel(numerators, denominators, "proportion", groups)
    assert result["tau2"][:6] == pytest.approx([0.029788] * 6, abs=1e-6)
    assert result["tau2"][6:].tolist() == [0.0] * 6
    assert result["position"][5] is None and result["position"][11] is None


def test_everyone_at_zero_is_within():
    """A rate nobody has any of: nothing expected, every authority exactly on target."""
    result = overdispersed_funnel([0] * 5, [1000, 2000, 3000, 4000, 5000], "rate")
    assert result["position"].tolist() == ["within"] * 5
    assert result["tau2"].tolist() == [0.0] * 5


def test_small_numbers_rest_on_cases():
    """Fewer than 10 cases: the count of a rate, the denominator of a proportion; nothing for missing values."""
    assert SMALL_NUMBERS_BELOW == 10
    flags = small_numbers([9, 10, 3, 5, NAN], [100_000, 100_000, 9, 10, 5],
                          ["rate", "rate", "proportion", "proportion", "proportion"])
    assert flags.tolist() == [True, False, True, False, False]


def test_two_proportion_test_by_hand():
    """30 of 100 against 20 of 100: pooled p = 50/200 = 0.25; se = sqrt(0.25 x 0.75 x (1/100 + 1/100))
    = 0.061237; z = 0.1/0.061237 = 1.632993; two-sided p = 2 x (1 - Phi(1.632993)) = 0.102470."""
    assert two_proportion_test(30, 100, 20, 100) == pytest.approx(0.102470, abs=1e-6)
    assert two_proportion_test(0, 10, 0, 20) == 1.0
    assert math.isnan(two_proportion_test(1, 0, 2, 10))


def test_poisson_rate_test_is_the_exact_conditional_test():
    """30 children in 10,000 against 10 in 10,000: given 40 in all, the first count is Binomial(40, 1/2)
    if the rates are equal; two-sided p = 2 x P(X >= 30) = 2 x 0.00111072 = 0.00222143."""
    assert poisson_rate_test(30, 10_000, 10, 10_000) == pytest.approx(0.00222143, abs=1e-8)
    assert poisson_rate_test(0, 10_000, 0, 20_000) == 1.0
