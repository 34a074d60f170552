"""benchmark.analysis.stats checked against figures worked out by hand on small networks.

Each hand calculation is written out beside its test; z(95%) = 1.959964, so z^2 = 3.841459.
"""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from benchmark.analysis.stats import (
    competition_rank,
    funnel_limits,
    funnel_position,
    network_rate,
    poisson_interval,
    quartile_bands,
    top_bottom_20,
    trend_direction,
    wilson_interval,
)

NAN = math.nan


# --- Wilson score interval --------------------------------------------------------------------


def test_wilson_8_of_10_by_hand():
    # p = 0.8, n = 10, z^2/n = 0.3841459, 1 + z^2/n = 1.3841459
    # centre = (0.8 + 3.841459/20) / 1.3841459 = (0.8 + 0.1920730) / 1.3841459 = 0.716740
    # half   = 1.959964 / 1.3841459 * sqrt(0.8*0.2/10 + 3.841459/400)
    #        = 1.416010 * sqrt(0.016 + 0.0096036) = 1.416010 * 0.1600114 = 0.226578
    # interval = 0.716740 -/+ 0.226578 = 0.490162 to 0.943318
    lower, upper = wilson_interval(np.array([8]), np.array([10]))
    assert lower[0] == pytest.approx(0.490162, abs=2e-6)
    assert upper[0] == pytest.approx(0.943318, abs=2e-6)


def test_wilson_1_of_6_small_borough_by_hand():
    # p = 1/6 = 0.1666667, z^2/n = 3.841459/6 = 0.6402432, 1 + z^2/n = 1.6402432
    # centre = (0.1666667 + 3.841459/12) / 1.6402432 = (0.1666667 + 0.3201216) / 1.6402432 = 0.296778
    # half   = 1.959964 / 1.6402432 * sqrt((1/6)(5/6)/6 + 3.841459/144)
    #        = 1.194923 * sqrt(0.0231481 + 0.0266768) = 1.194923 * 0.2232149 = 0.266725
    # interval = 0.296778 -/+ 0.266725 = 0.030053 to 0.563503: a single case in six says little
    lower, upper = wilson_interval([1], [6])
    assert lower[0] == pytest.approx(0.030053, abs=2e-6)
    assert upper[0] == pytest.approx(0.563503, abs=2e-6)


def test_wilson_0_of_10_and_10_of_10_by_hand():
    # p = 0: half = centre, so lower = 0 and upper = 2 * centre = 2 * 0.1920730 / 1.3841459 = 0.277533
    # p = 1 mirrors it: lower = 1 - 0.277533 = 0.722467, upper = 1
    lower, upper = wilson_interval([0, 10], [10, 10])
    np.testing.assert_allclose(lower, [0.0, 0.722467], atol=2e-6)
    np.testing.assert_allclose(upper, [0.277533, 1.0], atol=2e-6)


@pytest.mark.parametrize(("k", "n"), [(0, 6), (1, 6), (6, 6), (8, 10), (37, 120), (250, 1000)])
def test_wilson_matches_scipy_binomtest(k, n):
    expected = scipy_stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    lower, upper = wilson_interval([k], [n])
    assert lower[0] == pytest.approx(expected.low, abs=1e-12)
    assert upper[0] == pytest.approx(expected.high, abs=1e-12)


def test_wilson_other_confidence_matches_scipy():
    expected = scipy_stats.binomtest(8, 10).proportion_ci(confidence_level=0.99, method="wilson")
    lower, upper = wilson_interval([8], [10], confidence=0.99)
    assert (lower[0], upper[0]) == pytest.approx((expected.low, expected.high), abs=1e-12)
    narrow_lower, narrow_upper = wilson_interval([8], [10], confidence=0.95)
    assert lower[0] < narrow_lower[0] and upper[0] > narrow_upper[0]


def test_wilson_nan_for_missing_zero_and_impossible():
    # missing numerator, missing denominator, denominator 0, numerator > denominator, negative numerator
    lower, upper = wilson_interval([NAN, 3, 3, 11, -1, 5], [10, NAN, 0, 10, 10, 10])
    assert np.isnan(lower[:5]).all() and np.isnan(upper[:5]).all()
    assert not np.isnan(lower[5]) and not np.isnan(upper[5])


def test_wilson_accepts_nullable_pandas_columns():
    # DuckDB hands back Int64 columns with pd.NA for a missing count
    lower, upper = wilson_interval(pd.Series([8, pd.NA], dtype="Int64"), pd.Series([10, 10], dtype="Int64"))
    assert isinstance(lower, np.ndarray)
    assert lower[0] == pytest.approx(0.490162, abs=2e-6)
    assert np.isnan(lower[1]) and np.isnan(upper[1])


# --- Exact Poisson interval -------------------------------------------------------------------


def test_poisson_count_10_known_value():
    # Garwood: chi2(0.025, 20)/2 = 9.590777/2 = 4.795389; chi2(0.975, 22)/2 = 36.780712/2 = 18.390356
    lower, upper = poisson_interval([10], [1])
    assert lower[0] == pytest.approx(4.7954, abs=1e-4)
    assert upper[0] == pytest.approx(18.3904, abs=1e-4)


def test_poisson_zero_count_by_hand():
    # count 0: lower is 0; upper = chi2(0.975, 2)/2 and chi2 with 2 df has ppf(q) = -2 ln(1 - q),
    # so upper = -ln(0.025) = 3.688879 events, over exposure 2 = 1.844440 per unit
    lower, upper = poisson_interval([0], [2])
    assert lower[0] == 0.0
    assert upper[0] == pytest.approx(-math.log(0.025) / 2, rel=1e-9)
    assert upper[0] == pytest.approx(1.844440, abs=1e-6)


def test_poisson_rate_per_10000_divides_by_exposure():
    # 10 children among 5,000: 4.795389/5000 * 10000 = 9.5908, 18.390356/5000 * 10000 = 36.7807 per 10,000
    lower, upper = poisson_interval(np.array([10]), np.array([5000]))
    assert lower[0] * 10_000 == pytest.approx(9.5908, abs=1e-4)
    assert upper[0] * 10_000 == pytest.approx(36.7807, abs=1e-4)


def test_poisson_nan_for_missing_zero_exposure_and_negative_count():
    lower, upper = poisson_interval([NAN, 3, 3, -1, 3], [100, NAN, 0, 100, 100])
    assert np.isnan(lower[:4]).all() and np.isnan(upper[:4]).all()
    assert lower[4] > 0 and upper[4] > lower[4]


# --- Funnel plots -----------------------------------------------------------------------------


def test_network_rate_pools_rows_with_both_figures():
    # (50/100), (30/100) count; missing numerator, zero denominator and missing denominator are skipped
    # p0 = (50 + 30) / (100 + 100) = 0.4 (not the mean of rates, and the 5 with denominator 0 is ignored)
    assert network_rate([50, 30, NAN, 5, 7], [100, 100, 100, 0, NAN]) == pytest.approx(0.4)
    assert network_rate(pd.Series([1, 3]), pd.Series([10, 90])) == pytest.approx(4 / 100)


def test_network_rate_nan_when_nothing_reported():
    assert math.isnan(network_rate([NAN, 5], [10, 0]))


def test_funnel_limits_proportion_by_hand():
    # p0 = 0.3; n = 100: se = sqrt(0.3*0.7/100) = sqrt(0.0021) = 0.0458258
    #   95%:   0.3 -/+ 1.959964*0.0458258 = 0.3 -/+ 0.0898169 -> 0.210183, 0.389817
    #   99.8%: 0.3 -/+ 3.090232*0.0458258 = 0.3 -/+ 0.1416122 -> 0.158388, 0.441612
    # n = 25: se = sqrt(0.21/25) = 0.0916515 -> 95% 0.3 -/+ 0.179634 -> 0.120366, 0.479634 (the funnel widens)
    limits = funnel_limits(0.3, [100, 25], "proportion")
    assert list(limits) == ["lower_99.8", "lower_95", "upper_95", "upper_99.8"]
    np.testing.assert_allclose(limits["lower_95"], [0.210183, 0.120366], atol=2e-6)
    np.testing.assert_allclose(limits["upper_95"], [0.389817, 0.479634], atol=2e-6)
    assert limits["lower_99.8"][0] == pytest.approx(0.158388, abs=2e-6)
    assert limits["upper_99.8"][0] == pytest.approx(0.441612, abs=2e-6)


def test_funnel_limits_proportion_clipped_to_0_1():
    # p0 = 0.1, n = 4: se = sqrt(0.09/4) = 0.15; 95% = 0.1 -/+ 0.293995 -> lower -0.19 clipped to 0, upper 0.393995
    # p0 = 0.9, n = 4: upper 99.8% = 0.9 + 3.090232*0.15 = 1.3635 clipped to 1
    low = funnel_limits(0.1, [4], "proportion")
    assert low["lower_95"][0] == 0.0 and low["lower_99.8"][0] == 0.0
    assert low["upper_95"][0] == pytest.approx(0.393995, abs=2e-6)
    high = funnel_limits(0.9, [4], "proportion")
    assert high["upper_95"][0] == 1.0 and high["upper_99.8"][0] == 1.0


def test_funnel_limits_rate_by_hand_and_clipped_at_zero():
    # p0 = 0.002 per child (20 per 10,000); n = 10,000: se = sqrt(0.002/10000) = 0.000447214
    #   95%: 0.002 -/+ 1.959964*0.000447214 = 0.002 -/+ 0.000876523 -> 0.001123477, 0.002876523
    # n = 100: se = sqrt(0.002/100) = 0.00447214, lower = 0.002 - 0.0087652 < 0 -> clipped to 0
    limits = funnel_limits(0.002, [10_000, 100], "rate")
    assert limits["lower_95"][0] == pytest.approx(0.001123477, abs=1e-8)
    assert limits["upper_95"][0] == pytest.approx(0.002876523, abs=1e-8)
    assert limits["lower_95"][1] == 0.0 and limits["lower_99.8"][1] == 0.0
    assert limits["upper_95"][1] == pytest.approx(0.002 + 1.959964 * math.sqrt(0.002 / 100), abs=1e-8)


def test_funnel_limits_nan_for_missing_or_zero_denominator():
    limits = funnel_limits(0.3, [NAN, 0], "proportion")
    assert all(np.isnan(values).all() for values in limits.values())


def test_funnel_position_proportion_by_hand():
    # Six authorities of n = 100: p0 = (46+40+30+30+20+14)/600 = 180/600 = 0.3 (the last three rows are
    # missing or have denominator 0 and are left out). Limits from test_funnel_limits_proportion_by_hand:
    #   0.46 > 0.441612 -> above_99.8;  0.389817 < 0.40 <= 0.441612 -> above_95;  0.30 -> within (twice)
    #   0.158388 <= 0.20 < 0.210183 -> below_95;  0.14 < 0.158388 -> below_99.8
    numerator = [46, 40, 30, 30, 20, 14, NAN, 3, 5]
    denominator = [100, 100, 100, 100, 100, 100, 100, 0, NAN]
    assert funnel_position(numerator, denominator, "proportion").tolist() == [
        "above_99.8",
        "above_95",
        "within",
        "within",
        "below_95",
        "below_99.8",
        None,
        None,
        None,
    ]


def test_funnel_position_uses_each_rows_own_denominator():
    # p0 = (40 + 10 + 10) / (100 + 25 + 75) = 60/200 = 0.3
    # 40/100 = 0.40: n = 100 upper 95% = 0.389817 -> above_95
    # 10/25  = 0.40: n = 25 upper 95% = 0.479634 -> within (same rate, smaller authority)
    # 10/75  = 0.1333: se = sqrt(0.21/75) = 0.0529150; 95% lower = 0.3 - 0.103712 = 0.196288,
    #          99.8% lower = 0.3 - 0.163519 = 0.136481 -> 0.1333 < 0.136481 -> below_99.8
    positions = funnel_position([40, 10, 10], [100, 25, 75], "proportion")
    assert positions.tolist() == ["above_95", "within", "below_99.8"]


def test_funnel_position_rate_by_hand():
    # counts 40, 20, 0 per 10,000 children each: p0 = 60/30000 = 0.002, se = 0.000447214
    # 99.8%: 0.002 -/+ 3.090232*0.000447214 = 0.002 -/+ 0.001382 -> 0.000618, 0.003382
    # 0.004 > 0.003382 -> above_99.8; 0.002 -> within; 0 < 0.000618 -> below_99.8
    positions = funnel_position(pd.Series([40, 20, 0], dtype="Int64"), np.array([10_000] * 3), "rate")
    assert positions.tolist() == ["above_99.8", "within", "below_99.8"]


def test_funnel_position_all_missing_is_all_none():
    assert funnel_position([NAN, NAN], [10, 0], "proportion").tolist() == [None, None]


def test_funnel_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="kind"):
        funnel_position([1, 2], [10, 10], "percentage")


# --- Competition ranks ------------------------------------------------------------------------


def test_competition_rank_ties_share_lowest_rank():
    # higher is better: 30 best (1), the two 20s share 2, 10 is 4th ("1, 2, 2, 4")
    ranks = competition_rank([30, 20, 20, 10], "higher")
    assert ranks.tolist() == [1.0, 2.0, 2.0, 4.0]


def test_competition_rank_lower_flips_order():
    # lower is better: 10 best (1), the 20s share 2, 30 last (4)
    assert competition_rank([30, 20, 20, 10], "lower").tolist() == [4.0, 2.0, 2.0, 1.0]


def test_competition_rank_neutral_ranks_high_to_low():
    values = [5, 9, 7]
    assert competition_rank(values, "neutral").tolist() == [3.0, 1.0, 2.0]
    assert competition_rank(values, "neutral").tolist() == competition_rank(values, "higher").tolist()


def test_competition_rank_nan_stays_nan_and_is_not_counted():
    ranks = competition_rank(pd.Series([3.0, None, 1.0, 2.0]), "higher")
    assert ranks.dtype == float
    assert np.isnan(ranks[1])
    assert ranks[[0, 2, 3]].tolist() == [1.0, 3.0, 2.0]


def test_unknown_polarity_is_refused():
    with pytest.raises(ValueError, match="polarity"):
        competition_rank([1, 2], "Higher")
    with pytest.raises(ValueError, match="polarity"):
        quartile_bands([1, 2], "up")


# --- Quartile bands ---------------------------------------------------------------------------


def test_quartile_bands_eight_values_by_hand():
    # 1..8, QUARTILE.INC position = q * (n - 1): Q1 at 1.75 -> 2.75, Q2 at 3.5 -> 4.5, Q3 at 5.25 -> 6.25
    # higher: A >= 6.25 (7, 8); B 4.5..6.25 (5, 6); C 2.75..4.5 (3, 4); D < 2.75 (1, 2)
    # lower:  A <= 2.75 (1, 2); B (3, 4); C (5, 6); D > 6.25 (7, 8) -- the exact mirror
    values = np.arange(1, 9)
    assert quartile_bands(values, "higher").tolist() == ["D", "D", "C", "C", "B", "B", "A", "A"]
    assert quartile_bands(values, "lower").tolist() == ["A", "A", "B", "B", "C", "C", "D", "D"]


def test_quartile_bands_values_on_the_quartiles():
    # 1..5: Q1 = 2, Q2 = 3, Q3 = 4 exactly, so the inclusive edges decide
    # higher: 5 and 4 (= Q3) are A; 3 (= Q2) is B; 2 (= Q1) is C; 1 is D
    # lower:  1 and 2 (= Q1) are A; 3 (= Q2) is B; 4 (= Q3) is C; 5 is D
    values = [1, 2, 3, 4, 5]
    assert quartile_bands(values, "higher").tolist() == ["D", "C", "B", "A", "A"]
    assert quartile_bands(values, "lower").tolist() == ["A", "A", "B", "C", "D"]


def test_quartile_bands_missing_values_are_none_and_ignored():
    # the NaN is not a value: quartiles are still those of 1..5, and its band is None
    bands = quartile_bands(pd.Series([1, 2, None, 3, 4, 5], dtype="Float64"), "higher")
    assert bands.tolist() == ["D", "C", None, "B", "A", "A"]


def test_quartile_bands_neutral_bands_like_higher():
    values = [12.0, 3.0, 7.5, 9.0, 1.0]
    assert quartile_bands(values, "neutral").tolist() == quartile_bands(values, "higher").tolist()
    # 1, 3, 7.5, 9, 12: Q1 = 3, Q2 = 7.5, Q3 = 9 -> 12 A, 3 C, 7.5 B, 9 A, 1 D
    assert quartile_bands(values, "neutral").tolist() == ["A", "C", "B", "A", "D"]


def test_quartile_bands_fewer_than_four_values():
    # 10, 20: Q1 = 12.5, Q2 = 15, Q3 = 17.5 -> higher 20 A, 10 D; lower the reverse
    assert quartile_bands([10, 20], "higher").tolist() == ["D", "A"]
    assert quartile_bands([10, 20], "lower").tolist() == ["A", "D"]
    # a lone reporter sits on every quartile: A whichever way round
    assert quartile_bands([NAN, 4.0], "lower").tolist() == [None, "A"]


def test_quartile_bands_all_missing():
    assert quartile_bands([NAN, NAN], "higher").tolist() == [None, None]


# --- Trends -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("polarity", "up", "down"),
    [("higher", "improving", "worsening"), ("lower", "worsening", "improving"), ("neutral", "rising", "falling")],
)
def test_trend_direction_follows_polarity(polarity, up, down):
    # 10, 12, 11, 14, 15 over quarters 0..4: x mean 2, y mean 12.4, Sxx = 10,
    # Sxy = (-2)(-2.4) + (-1)(-0.4) + 0 + (1)(1.6) + (2)(2.6) = 12, slope = 1.2,
    # Syy = 5.76 + 0.16 + 1.96 + 2.56 + 6.76 = 17.2, r^2 = 144 / 172 = 0.837209,
    # t = sqrt(r^2 * 3 / (1 - r^2)) = sqrt(15.4286) = 3.928 > t(0.975, 3 df) = 3.182, so p < 0.05 (p = 0.029)
    quarters = [0, 1, 2, 3, 4]
    assert trend_direction(quarters, [10, 12, 11, 14, 15], polarity) == up
    assert trend_direction(quarters, [15, 14, 11, 12, 10], polarity) == down


def test_trend_direction_no_clear_change_by_hand():
    # 10, 13, 10, 13, 12: y mean 11.6, Sxy = 3.2 - 1.4 + 0 + 1.4 + 0.8 = 4.0, slope 0.4,
    # Syy = 2.56 + 1.96 + 2.56 + 1.96 + 0.16 = 9.2, r^2 = 16 / 92 = 0.173913,
    # t = sqrt(0.173913 * 3 / 0.826087) = 0.795 < 3.182, so not significant despite the positive slope
    assert trend_direction([0, 1, 2, 3, 4], [10, 13, 10, 13, 12], "higher") == "no clear change"


def test_trend_direction_flat_series_is_no_clear_change():
    assert trend_direction([0, 1, 2, 3, 4], [5, 5, 5, 5, 5], "lower") == "no clear change"


def test_trend_direction_drops_missing_points():
    # four real points on a perfect line (p = 0) once the NaN quarter is dropped
    assert trend_direction([0, 1, 2, 3, 4], [1, 2, NAN, 4, 5], "higher") == "improving"
    # only three real points left: below the minimum of four
    assert trend_direction([0, 1, 2, 3, 4], [1, NAN, NAN, 4, 5], "higher") == "not enough data"


def test_trend_direction_min_points():
    quarters = np.arange(6)
    values = pd.Series([1.0, 2, 3, 4, 5, 6])
    assert trend_direction(quarters, values, "lower", min_points=8) == "not enough data"
    assert trend_direction(quarters, values, "lower", min_points=6) == "worsening"


# --- Top and bottom 20% -----------------------------------------------------------------------


def test_top_bottom_20_ten_authorities():
    # n = 10 reporting, ceil(0.2 * 10) = 2: higher -> 10, 9 top and 1, 2 bottom
    flags = top_bottom_20(np.arange(1, 11), "higher")
    assert flags.tolist() == ["bottom 20%", "bottom 20%", None, None, None, None, None, None, "top 20%", "top 20%"]


def test_top_bottom_20_lower_flips():
    flags = top_bottom_20(np.arange(1, 11), "lower")
    assert flags.tolist() == ["top 20%", "top 20%", None, None, None, None, None, None, "bottom 20%", "bottom 20%"]


def test_top_bottom_20_rounds_up_and_counts_only_reporters():
    # 11 reporting: ceil(2.2) = 3 each end
    flags = top_bottom_20(np.arange(1, 12), "higher")
    assert flags.tolist().count("top 20%") == 3 and flags.tolist().count("bottom 20%") == 3
    # 5 reporting and 5 missing: n = 5, ceil(1) = 1 each end (not 2, as it would be if NaNs counted)
    flags = top_bottom_20([1, 2, 3, 4, 5, NAN, NAN, NAN, NAN, NAN], "higher")
    assert flags.tolist() == ["bottom 20%", None, None, None, "top 20%", None, None, None, None, None]


def test_top_bottom_20_ties_at_boundary_included():
    # n = 10, cut 2: 10 ranks 1, the two 9s rank 2 -> all three top; 8 ranks 4 -> not
    # from the bottom: the two 3s rank 1, 4 ranks 3 -> only the 3s are bottom
    values = [10, 9, 9, 8, 7, 6, 5, 4, 3, 3]
    flags = top_bottom_20(values, "higher")
    assert flags.tolist() == ["top 20%", "top 20%", "top 20%", None, None, None, None, None, "bottom 20%", "bottom 20%"]


def test_top_bottom_20_neutral_has_no_judgement():
    assert top_bottom_20([1, 2, 3, 4, 5], "neutral").tolist() == [None] * 5


def test_top_bottom_20_neither_when_ties_span_both_ends():
    # all equal: everyone is rank 1 from both ends, so no one stands out
    assert top_bottom_20([5, 5, 5], "higher").tolist() == [None, None, None]
    # n = 6, cut 2: the 5s rank 2 from the top and 2 from the bottom -> neither; 10 top, 1 bottom
    assert top_bottom_20([10, 5, 5, 5, 5, 1], "higher").tolist() == ["top 20%", None, None, None, None, "bottom 20%"]
    # a lone reporter has nobody to be compared with
    assert top_bottom_20([NAN, 7], "lower").tolist() == [None, None]
