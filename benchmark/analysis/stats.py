"""The statistics behind every comparison: intervals, funnel limits, ranks, quartile bands and trends.

Small numbers are the norm (a borough may have 6 advice requests in a quarter), so a percentage is
never shown alone: Wilson and exact Poisson intervals say how uncertain it is, and funnel limits
around the network rate say whether an authority is really different. Ranks, LAIT-style quartile
bands A-D and the top/bottom 20% follow the measure's polarity so that A and rank 1 always mean
"best"; neutral measures are ordered high to low but never judged.

Everything is vectorised: array-likes in (numpy arrays, lists, pandas Series including nullable
Int64/Float64), numpy arrays out, NaN (or None for labels) wherever a value is missing.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import special, stats

from benchmark.definitions.thresholds import (
    MIN_AUTHORITIES_FOR_JUDGEMENT,
    OVERDISPERSION_MIN_AUTHORITIES,
    SMALL_NUMBERS_BELOW,
    TREND_SIGNIFICANCE,
    WINSOR_PERCENTILES,
)

Polarity = Literal["higher", "lower", "neutral"]
FunnelKind = Literal["proportion", "rate"]

POLARITIES: tuple[str, ...] = ("higher", "lower", "neutral")
FUNNEL_KINDS: tuple[str, ...] = ("proportion", "rate")

# Two-sided control limits used by funnel plots: about 95% and 99.8% (z = 1.959964 and 3.090232).
Z_95 = float(stats.norm.ppf(0.975))
Z_998 = float(stats.norm.ppf(0.999))


def _as_float(values: npt.ArrayLike) -> np.ndarray:
    """Float array with NaN for missing; pandas nullable columns (pd.NA) cannot go through np.asarray."""
    if isinstance(values, pd.Series | pd.Index | pd.api.extensions.ExtensionArray):
        return values.to_numpy(dtype=float, na_value=np.nan)
    return np.asarray(values, dtype=float)


def _check(value: str, allowed: tuple[str, ...], what: str) -> None:
    """Refuse a misspelt polarity or kind rather than silently treating it as something else."""
    if value not in allowed:
        raise ValueError(f"{what} must be one of {', '.join(allowed)}; got {value!r}")


def _word_masks(words: str | npt.ArrayLike, allowed: tuple[str, ...], what: str) -> dict[str, np.ndarray]:
    """Where `words` (polarities or funnel kinds) is each of `allowed`: one word for a whole array (masks
    of one value, which broadcast), or one each. Words are compared once per distinct word, not once a
    row, and a pandas Categorical is read by its codes; a word not allowed is refused."""
    if isinstance(words, str):
        _check(words, allowed, what)
        return {name: np.asarray(name == words) for name in allowed}
    if isinstance(getattr(words, "dtype", None), pd.CategoricalDtype):
        categorical = pd.Categorical(words)
        codes, distinct = categorical.codes, list(categorical.categories)
        if (codes < 0).any():
            _check(None, allowed, what)
    else:
        array = np.asarray(words, dtype=object)
        codes, uniques = pd.factorize(array.ravel(), use_na_sentinel=False)
        codes, distinct = codes.reshape(array.shape), list(uniques)
    for word in distinct:
        _check(word, allowed, what)
    return {name: codes == distinct.index(name) if name in distinct else np.zeros(codes.shape, dtype=bool)
            for name in allowed}


def _group_codes(groups: npt.ArrayLike | None, size: int) -> np.ndarray:
    """Rows are compared within their group (a metric in a quarter); no groups means one group."""
    if groups is None:
        return np.zeros(size, dtype=np.int64)
    return pd.factorize(pd.Series(np.asarray(groups)), sort=False)[0]


def _per_group(values: np.ndarray, codes: np.ndarray) -> np.ndarray:
    return np.bincount(codes, weights=values, minlength=codes.max() + 1 if len(codes) else 0)


_last_sort: tuple[np.ndarray, np.ndarray, tuple] | None = None


def _sorted_within_groups(v: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One sort serves every group at once: the rows in order of group, then value (NaN last), the sorted
    values, and each group's first position in that order and count of values.

    Ranks, bands, medians and top/bottom 20% of the same values and groups share one sort: the last
    one is kept (with copies of what it sorted) and used again while the inputs are equal."""
    global _last_sort
    last = _last_sort
    if last is not None and np.array_equal(last[1], codes) and np.array_equal(last[0], v, equal_nan=True):
        return last[2]
    present = ~np.isnan(v)
    sizes = np.bincount(codes, minlength=codes.max() + 1 if len(codes) else 0)
    starts = np.cumsum(sizes) - sizes
    reporting = np.bincount(codes, weights=present, minlength=len(sizes)).astype(np.int64)
    order = _order_within_groups(v, codes, present, reporting)
    result = (order, v[order], starts, reporting)
    _last_sort = (v.copy(), codes.copy(), result)
    return result


def _order_within_groups(v: np.ndarray, codes: np.ndarray, present: np.ndarray, reporting: np.ndarray) -> np.ndarray:
    """The rows in order of group, then value, each group's missing values last; the order within ties
    (and among missing values) does not matter to any caller.

    The present values are laid out a group a line, padded with +inf, and each line is sorted: many short
    sorts without NaN are several times quicker than one long sort with them (numpy's vectorised sort
    does not take NaN)."""
    # Stable sorts on small whole numbers are radix sorts.
    radix = np.int16 if len(v) and codes.max() < 2**14 else np.int64
    width = int(reporting.max()) if len(reporting) else 0
    if len(reporting) * width > 2 * len(v):  # groups too uneven to lay out as lines: one long sort
        by_value = np.argsort(v)
        return by_value[np.argsort(codes[by_value].astype(radix), kind="stable")]
    # Each group's rows together, its present values first.
    by_group = np.argsort((codes * 2 + ~present).astype(radix), kind="stable")
    ranked_rows = by_group[present[by_group]]
    line = codes[ranked_rows]
    slot = line * width + np.arange(len(ranked_rows)) - (np.cumsum(reporting) - reporting)[line]
    grid = np.full(len(reporting) * width, np.inf)
    grid[slot] = v[ranked_rows]
    rows = np.full(len(reporting) * width, -1)
    rows[slot] = ranked_rows
    within = np.argsort(grid.reshape(len(reporting), width), axis=1)
    ranked_rows = np.take_along_axis(rows.reshape(len(reporting), width), within, axis=1).ravel()
    order = by_group.copy()
    order[present[by_group]] = ranked_rows[ranked_rows >= 0]  # without the padding
    return order


def _lower_and_higher(v: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """How many values of its group are lower than each row's, and how many higher (meaningless for NaN)."""
    order, ordered, starts, reporting = _sorted_within_groups(v, codes)
    group = codes[order]
    tie_starts = np.ones(len(v), dtype=bool)
    tie_starts[1:] = (ordered[1:] != ordered[:-1]) | (group[1:] != group[:-1])
    tie = np.cumsum(tie_starts) - 1
    first = np.flatnonzero(tie_starts)
    after = np.append(first[1:], len(v))
    lower = np.empty(len(v), dtype=np.int64)
    higher = np.empty(len(v), dtype=np.int64)
    lower[order] = first[tie] - starts[group]
    higher[order] = starts[group] + reporting[group] - after[tie]
    return lower, higher


def _group_quantiles(v: np.ndarray, codes: np.ndarray, quantiles: tuple[float, ...]) -> list[np.ndarray]:
    """Each row's group's quantiles of its values, "linear" as pandas works them out (low + (high - low) x
    fraction, the low value itself when the fraction is 0); NaN for a group without values."""
    _, ordered, starts, reporting = _sorted_within_groups(v, codes)
    last = max(len(v) - 1, 0)
    results = []
    for q in quantiles:
        position = q * (reporting - 1)
        low = np.floor(position).astype(np.int64)
        fraction = position % 1
        low_value = ordered[np.clip(starts + low, 0, last)]
        high_value = ordered[np.clip(starts + np.minimum(low + 1, reporting - 1), 0, last)]
        quantile = np.where(fraction == 0, low_value, low_value + (high_value - low_value) * fraction)
        results.append(np.where(reporting > 0, quantile, np.nan)[codes])
    return results


def _z(confidence: float) -> float:
    """Two-sided standard normal critical value, e.g. 1.959964 for 95%."""
    return float(stats.norm.ppf(0.5 + confidence / 2))


def wilson_interval(
    numerator: npt.ArrayLike, denominator: npt.ArrayLike, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for numerator/denominator, as proportions 0-1.

    Wilson rather than the textbook p +/- z*se because it stays inside 0-1 and behaves at 0/6 or 6/6.
    NaN where either figure is missing, the denominator is not positive, or the numerator is outside
    0..denominator (not a proportion).
    """
    x = _as_float(numerator)
    n = _as_float(denominator)
    valid = (n > 0) & (x >= 0) & (x <= n)
    x = np.where(valid, x, np.nan)
    n = np.where(valid, n, np.nan)
    z = _z(confidence)
    p = x / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def poisson_interval(
    count: npt.ArrayLike, exposure: npt.ArrayLike, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Garwood) interval for the rate count/exposure, per unit of exposure.

    Exact because counts of a handful make the normal approximation useless. Multiply by 10,000 for
    "per 10,000". NaN where either figure is missing, exposure is not positive or the count is negative.
    """
    k = _as_float(count)
    e = _as_float(exposure)
    valid = (e > 0) & (k >= 0)
    k = np.where(valid, k, np.nan)
    e = np.where(valid, e, np.nan)
    alpha = 1 - confidence
    # The chi-squared quantiles are slow and counts repeat (a few hundred distinct among thousands of
    # rows): each is worked out once per distinct count.
    counts, position = np.unique(k.ravel(), return_inverse=True)
    lower = np.where(counts == 0, 0.0, stats.chi2.ppf(alpha / 2, 2 * counts) / 2)[position].reshape(k.shape)
    upper = (stats.chi2.ppf(1 - alpha / 2, 2 * counts + 2) / 2)[position].reshape(k.shape)
    return lower / e, upper / e


def network_rate(numerator: npt.ArrayLike, denominator: npt.ArrayLike) -> float:
    """Pooled network rate sum(numerator)/sum(denominator), the funnel target.

    Pooled, not a mean of rates, so big authorities count in proportion to their size. Only rows
    with both figures and a positive denominator count; NaN when there are none.
    """
    x = _as_float(numerator)
    n = _as_float(denominator)
    valid = ~np.isnan(x) & (n > 0)
    if not valid.any():
        return math.nan
    return float(x[valid].sum() / n[valid].sum())


def funnel_limits(p0: float | npt.ArrayLike, denominators: npt.ArrayLike,
                  kind: FunnelKind | npt.ArrayLike) -> dict[str, np.ndarray]:
    """95% and 99.8% control limits around target p0 for each denominator, to draw the funnel.

    Normal approximation: se = sqrt(p0(1-p0)/n) for a proportion, sqrt(p0/n) for a rate (Poisson).
    Proportion limits are clipped to 0-1 and rate limits to 0 or more; NaN where n is missing or not
    positive. Keys: "lower_99.8", "lower_95", "upper_95", "upper_99.8". `p0` and `kind` may be one
    per denominator.
    """
    proportion = np.broadcast_to(_word_masks(kind, FUNNEL_KINDS, "kind")["proportion"], np.shape(denominators))
    n = _as_float(denominators)
    n = np.where(n > 0, n, np.nan)
    p0 = _as_float(p0)
    with np.errstate(invalid="ignore"):
        se = np.where(proportion, np.sqrt(p0 * (1 - p0) / n), np.sqrt(p0 / n))
    ceiling = np.where(proportion, 1.0, np.inf)
    return {
        "lower_99.8": np.clip(p0 - Z_998 * se, 0, ceiling),
        "lower_95": np.clip(p0 - Z_95 * se, 0, ceiling),
        "upper_95": np.clip(p0 + Z_95 * se, 0, ceiling),
        "upper_99.8": np.clip(p0 + Z_998 * se, 0, ceiling),
    }


# The words a judgement can be; the `*_codes` functions give each row's position in these (NO_LABEL for
# none), from which a table makes a text column a word at a time rather than a row at a time.
FUNNEL_CLASSES = ("within", "above_95", "below_95", "above_99.8", "below_99.8")
QUARTILE_BANDS = ("A", "B", "C", "D")
TOP_BOTTOM_20 = ("top 20%", "bottom 20%")
TRENDS = ("improving", "worsening", "rising", "falling", "no clear change", "not enough data")
NO_LABEL = -1


def labels_of(codes: npt.ArrayLike, labels: tuple[str, ...]) -> np.ndarray:
    """The words of positions in `labels` as Python strings, None for NO_LABEL (an object array)."""
    codes = np.asarray(codes)
    # Through a flat index so that a single value (0-d) stays an array.
    return np.array([*labels, None], dtype=object)[codes.ravel()].reshape(codes.shape)


def small_numbers(numerator: npt.ArrayLike, denominator: npt.ArrayLike,
                  kind: FunnelKind | npt.ArrayLike) -> np.ndarray:
    """True where a value rests on fewer than SMALL_NUMBERS_BELOW cases: the denominator of a
    proportion, the count of a rate. False where a figure is missing (there is no value to judge)."""
    rate = np.broadcast_to(_word_masks(kind, FUNNEL_KINDS, "kind")["rate"], np.shape(numerator))
    cases = np.where(rate, _as_float(numerator), _as_float(denominator))
    with np.errstate(invalid="ignore"):
        return ~np.isnan(cases) & ~np.isnan(_as_float(numerator)) & (cases < SMALL_NUMBERS_BELOW)


def _select_code(conditions: list[np.ndarray], labels: list[str], default: str,
                 vocabulary: tuple[str, ...]) -> np.ndarray:
    """np.select for words, as positions in `vocabulary`: the label of the first condition that holds,
    else `default`."""
    return np.select(conditions, [vocabulary.index(label) for label in labels], default=vocabulary.index(default))


def funnel_class_codes(z: npt.ArrayLike) -> np.ndarray:
    """Funnel class of each z-score as a position in FUNNEL_CLASSES (NO_LABEL where z is NaN): beyond
    99.8% (|z| > 3.090232), beyond 95% (|z| > 1.959964), within."""
    z = _as_float(z)
    classes = _select_code([z > Z_998, z > Z_95, z < -Z_998, z < -Z_95],
                           ["above_99.8", "above_95", "below_99.8", "below_95"], "within", FUNNEL_CLASSES)
    classes[np.isnan(z)] = NO_LABEL
    return classes


def _transformed(x: np.ndarray, n: np.ndarray, rate: np.ndarray,
                 pooled: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each value, its target and its standard error on the variance-stabilising scale (`rate`: True for
    a rate, False for a proportion).

    Proportions on the arcsine-square-root scale: y = asin(sqrt(k/n)), target asin(sqrt(pooled)),
    s = 1/(2 sqrt(n)). Rates as indirectly standardised ratios on the square-root scale: expected
    E = n x pooled, y = sqrt(O/E), target 1, s = 1/(2 sqrt(E)), which copes with a count of 0.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = n * pooled
        y = np.where(rate, np.sqrt(x / expected), np.arcsin(np.sqrt(np.clip(x / n, 0, 1))))
        target = np.where(rate, 1.0, np.arcsin(np.sqrt(np.clip(pooled, 0, 1))))
        s = np.where(rate, 1 / (2 * np.sqrt(expected)), 1 / (2 * np.sqrt(n)))
    # A network whose pooled rate is 0 expects nothing: every value is 0 and exactly on target.
    nothing_expected = rate & (expected == 0) & (x == 0)
    y = np.where(nothing_expected, 1.0, y)
    s = np.where(nothing_expected, np.inf, s)
    return y, target, s


def overdispersed_funnel(numerator: npt.ArrayLike, denominator: npt.ArrayLike, kind: FunnelKind | npt.ArrayLike,
                         groups: npt.ArrayLike | None = None) -> dict[str, np.ndarray]:
    """Funnel classes that allow for real variation between authorities (Spiegelhalter 2005,
    "Handling over-dispersion of performance indicators"; as NHS-R's FunnelPlotR), per group.

    z = (y - target)/s on the scale of `_transformed`; the z-scores are winsorised at their 10th and
    90th percentiles (numpy's linear interpolation); phi = mean of the squared winsorised z; with I
    reporting authorities and w = 1/s^2, tau2 = 0 if I x phi < I - 1, else
    (I x phi - (I - 1)) / (sum w - sum w^2 / sum w). With fewer than OVERDISPERSION_MIN_AUTHORITIES
    reporting, phi is NaN and tau2 = 0 (nothing to estimate it from). The adjusted z is
    (y - target) / sqrt(s^2 + tau2), classed at 95% and 99.8% as `funnel_position`.

    Returns per row: "position" (class or None), "z" (adjusted z), "phi", "tau2" (the group's,
    NaN where the row has no group figure), "target" (the group's pooled rate, 0-1 or per unit).
    """
    x = _as_float(numerator)
    n = _as_float(denominator)
    rate = np.broadcast_to(_word_masks(kind, FUNNEL_KINDS, "kind")["rate"], x.shape)
    valid = ~np.isnan(x) & (n > 0) & (x >= 0)
    codes = _group_codes(groups, len(x))
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled = (_per_group(np.where(valid, x, 0.0), codes) / _per_group(np.where(valid, n, 0.0), codes))[codes]
    y, target, s = _transformed(np.where(valid, x, np.nan), np.where(valid, n, np.nan), rate, pooled)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(valid, (y - target) / s, np.nan)
    present = ~np.isnan(z)
    low, high = _group_quantiles(z, codes, (WINSOR_PERCENTILES[0] / 100, WINSOR_PERCENTILES[1] / 100))
    winsorised = np.clip(z[present], low[present], high[present])
    w = 1 / s[present] ** 2
    # pandas' sums and means per group (compensated summation), the three of them from one grouping.
    by_group = pd.DataFrame({"z2": winsorised**2, "w": w, "w2": w**2}).groupby(codes[present])
    reporting = by_group.size()
    phi = by_group["z2"].mean()
    w_sum = by_group["w"].sum()
    w2_sum = by_group["w2"].sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        tau2 = ((reporting * phi - (reporting - 1)) / (w_sum - w2_sum / w_sum)).where(
            reporting * phi >= reporting - 1, 0.0)
    estimated = reporting >= OVERDISPERSION_MIN_AUTHORITIES
    phi = phi.where(estimated)
    tau2 = tau2.where(estimated, 0.0).fillna(0.0)
    row_phi = phi.reindex(codes).to_numpy(dtype=float)
    row_tau2 = tau2.reindex(codes).to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        adjusted = np.where(valid, (y - target) / np.sqrt(s**2 + row_tau2), np.nan)
    return {"position": labels_of(funnel_class_codes(adjusted), FUNNEL_CLASSES), "z": adjusted, "phi": row_phi,
            "tau2": row_tau2, "target": np.where(np.isnan(row_tau2), np.nan, pooled)}


def adjusted_funnel_limits(p0: float, denominators: npt.ArrayLike, kind: FunnelKind,
                           tau2: float) -> dict[str, np.ndarray]:
    """The overdispersion-adjusted 95% and 99.8% limits around p0 for each denominator, back on the
    scale of the values (0-1, or per unit of exposure), to draw the funnel: target +/- z x
    sqrt(s^2 + tau2) on the scale of `overdispersed_funnel`, transformed back. With tau2 = 0
    these are the exact-scale limits without any allowance. Same keys as `funnel_limits`."""
    _check(kind, FUNNEL_KINDS, "kind")
    n = _as_float(denominators)
    n = np.where(n > 0, n, np.nan)
    limits = {}
    for side, sign in (("lower", -1), ("upper", 1)):
        for level, z in (("95", Z_95), ("99.8", Z_998)):
            with np.errstate(invalid="ignore", divide="ignore"):
                if kind == "rate":
                    s = 1 / (2 * np.sqrt(n * p0))
                    ratio_root = np.clip(1 + sign * z * np.sqrt(s**2 + tau2), 0, None)
                    limit = ratio_root**2 * p0
                else:
                    s = 1 / (2 * np.sqrt(n))
                    angle = np.clip(math.asin(math.sqrt(min(max(p0, 0.0), 1.0))) + sign * z * np.sqrt(s**2 + tau2),
                                    0, math.pi / 2)
                    limit = np.sin(angle) ** 2
            limits[f"{side}_{level}"] = limit
    return {key: limits[key] for key in ("lower_99.8", "lower_95", "upper_95", "upper_99.8")}


def funnel_position(numerator: npt.ArrayLike, denominator: npt.ArrayLike, kind: FunnelKind | npt.ArrayLike,
                    groups: npt.ArrayLike | None = None) -> np.ndarray:
    """Where each authority sits against the funnel around its group's pooled rate.

    One of "within", "above_95", "below_95", "above_99.8", "below_99.8" (the 99.8% label wins when
    both apply); a value exactly on a limit is within it. None where a figure is missing or the
    denominator is not positive. Says "different", not "better": the caller applies polarity.
    """
    return labels_of(funnel_position_codes(numerator, denominator, kind, groups), FUNNEL_CLASSES)


def funnel_position_codes(numerator: npt.ArrayLike, denominator: npt.ArrayLike, kind: FunnelKind | npt.ArrayLike,
                          groups: npt.ArrayLike | None = None) -> np.ndarray:
    """`funnel_position` as positions in FUNNEL_CLASSES (NO_LABEL for None)."""
    x = _as_float(numerator)
    n = _as_float(denominator)
    valid = ~np.isnan(x) & (n > 0)
    codes = _group_codes(groups, len(x))
    with np.errstate(invalid="ignore", divide="ignore"):
        target = (_per_group(np.where(valid, x, 0.0), codes) / _per_group(np.where(valid, n, 0.0), codes))[codes]
        value = np.where(valid, x / np.where(valid, n, 1), np.nan)
    limits = funnel_limits(target, n, kind)
    position = _select_code(
        [
            value > limits["upper_99.8"],
            value > limits["upper_95"],
            value < limits["lower_99.8"],
            value < limits["lower_95"],
        ],
        ["above_99.8", "above_95", "below_99.8", "below_95"],
        "within",
        FUNNEL_CLASSES,
    )
    position[~valid] = NO_LABEL
    return position


def competition_rank(values: npt.ArrayLike, polarity: Polarity | npt.ArrayLike,
                     groups: npt.ArrayLike | None = None) -> np.ndarray:
    """Rank 1 = best for the polarity within each group; ties share the lowest rank ("1, 2, 2, 4"),
    as in LAIT. Neutral ranks high to low like "higher" (an ordering, not a judgement). NaN stays NaN.
    """
    v = _as_float(values)
    lower, higher = _lower_and_higher(v, _group_codes(groups, len(v)))
    better = np.where(_word_masks(polarity, POLARITIES, "polarity")["lower"], lower, higher)
    return np.where(np.isnan(v), np.nan, better + 1.0)


def group_median(values: npt.ArrayLike, groups: npt.ArrayLike | None = None) -> np.ndarray:
    """Median of the values reported in each row's group (the mean of the middle two for an even count,
    as pandas); NaN for a group without values."""
    v = _as_float(values)
    codes = _group_codes(groups, len(v))
    _, ordered, starts, reporting = _sorted_within_groups(v, codes)
    last = max(len(v) - 1, 0)
    low = ordered[np.clip(starts + (reporting - 1) // 2, 0, last)]
    high = ordered[np.clip(starts + reporting // 2, 0, last)]
    return np.where(reporting > 0, (low + high) / 2, np.nan)[codes]


def quartile_bands(values: npt.ArrayLike, polarity: Polarity | npt.ArrayLike,
                   groups: npt.ArrayLike | None = None) -> np.ndarray:
    """LAIT-style bands A-D within each group, A always the best quarter for the polarity.

    Quartiles of the reporting values with the "linear" method (= Excel QUARTILE.INC, what
    analysts check against). "higher"/"neutral": A >= Q3 > B >= Q2 > C >= Q1 > D. "lower": A <= Q1 <
    B <= Q2 < C <= Q3 < D. For neutral, A is just the highest quarter. None where missing; fewer
    than 4 values are still banded by the same rule.
    """
    return labels_of(quartile_band_codes(values, polarity, groups), QUARTILE_BANDS)


def quartile_band_codes(values: npt.ArrayLike, polarity: Polarity | npt.ArrayLike,
                        groups: npt.ArrayLike | None = None) -> np.ndarray:
    """`quartile_bands` as positions in QUARTILE_BANDS (NO_LABEL for None)."""
    v = _as_float(values)
    lower = _word_masks(polarity, POLARITIES, "polarity")["lower"]
    codes = _group_codes(groups, len(v))
    bands = np.full(v.shape, NO_LABEL)
    present = ~np.isnan(v)
    if not present.any():
        return bands
    q1, q2, q3 = _group_quantiles(v, codes, (0.25, 0.5, 0.75))
    conditions = [
        np.where(lower, v <= q1, v >= q3),
        np.where(lower, v <= q2, v >= q2),
        np.where(lower, v <= q3, v >= q1),
    ]
    bands[present] = _select_code(conditions, ["A", "B", "C"], "D", QUARTILE_BANDS)[present]
    return bands


SIGNIFICANCE = TREND_SIGNIFICANCE  # changes between quarters are judged at the same level


def p_value_text(pvalue: float) -> str:
    """'p = 0.012', or 'p < 0.001' where three decimals would read as zero."""
    return "p < 0.001" if pvalue < 0.001 else f"p = {pvalue:.3f}"


def two_proportion_test(x1: float, n1: float, x2: float, n2: float) -> float:
    """Two-sided p-value that two proportions differ only by chance: the pooled two-proportion z-test,
    z = (p1 - p2) / sqrt(p (1 - p) (1/n1 + 1/n2)) with p = (x1 + x2) / (n1 + n2). NaN without data;
    1 where both are 0% or both 100% (no variation to judge)."""
    if not (n1 > 0 and n2 > 0):
        return math.nan
    pooled = (x1 + x2) / (n1 + n2)
    spread = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    if spread <= 0:
        return 1.0
    return float(2 * stats.norm.sf(abs(x1 / n1 - x2 / n2) / math.sqrt(spread)))


def poisson_rate_test(count1: float, exposure1: float, count2: float, exposure2: float) -> float:
    """Two-sided p-value that two Poisson rates differ only by chance: the exact conditional test
    (given the total count, count1 is binomial with p = exposure1 / (exposure1 + exposure2))."""
    if not (exposure1 > 0 and exposure2 > 0) or count1 + count2 <= 0:
        return math.nan if not (exposure1 > 0 and exposure2 > 0) else 1.0
    return float(stats.binomtest(int(count1), int(count1 + count2), exposure1 / (exposure1 + exposure2)).pvalue)


def _least_squares(n: np.ndarray, sx: np.ndarray, sy: np.ndarray, sxx: np.ndarray, sxy: np.ndarray,
                   syy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Slope and two-sided p-value of a straight-line fit from its running sums (as linregress).

    Written from sums so that every authority's rolling window is fitted at once; a flat series
    has p-value NaN (no evidence of change).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        spread_x = sxx - sx**2 / n
        spread_xy = sxy - sx * sy / n
        spread_y = syy - sy**2 / n
        slope = spread_xy / spread_x
        residual = np.clip(spread_y - slope * spread_xy, 0, None)
        freedom = n - 2
        standard_error = np.sqrt(residual / freedom / spread_x)
        t_value = np.where(standard_error > 0, np.abs(slope) / standard_error, np.where(slope != 0, np.inf, np.nan))
    # Only where there is a p-value to give, and straight to the function scipy's t.sf(t, df) is,
    # stdtr(df, -t): the t distribution is most of a trend's cost.
    tested = (freedom > 0) & (spread_y > 1e-12)
    pvalue = np.full(np.shape(t_value), np.nan)
    pvalue[tested] = 2 * special.stdtr(freedom[tested], -t_value[tested])
    return slope, pvalue


def trend_labels(slope: npt.ArrayLike, pvalue: npt.ArrayLike, points: npt.ArrayLike,
                 polarity: npt.ArrayLike, min_points: int = 4) -> np.ndarray:
    """Words for fitted trends: "improving"/"worsening" by polarity, "rising"/"falling" for neutral,
    "no clear change" unless p < 0.05, "not enough data" below `min_points` quarters."""
    return labels_of(trend_codes(slope, pvalue, points, polarity, min_points), TRENDS)


def trend_codes(slope: npt.ArrayLike, pvalue: npt.ArrayLike, points: npt.ArrayLike,
                polarity: npt.ArrayLike, min_points: int = 4) -> np.ndarray:
    """`trend_labels` as positions in TRENDS."""
    slope, pvalue, points = _as_float(slope), _as_float(pvalue), _as_float(points)
    is_polarity = {name: np.broadcast_to(mask, slope.shape)
                   for name, mask in _word_masks(polarity, POLARITIES, "polarity").items()}
    rising = slope > 0
    neutral = is_polarity["neutral"]
    unclear = ~(pvalue < TREND_SIGNIFICANCE)
    return _select_code(
        [points < min_points, unclear, neutral & rising, neutral, rising == is_polarity["higher"]],
        ["not enough data", "no clear change", "rising", "falling", "improving"],
        "worsening",
        TRENDS,
    )


def window_sum(values: npt.ArrayLike, window: int) -> np.ndarray:
    """Sum of the last `window` columns at every column of a 2-D array (NaN counts as nothing)."""
    running = np.cumsum(np.nan_to_num(_as_float(values), nan=0.0), axis=1)
    earlier = np.zeros_like(running)
    earlier[:, window:] = running[:, :-window]
    return running - earlier


def rolling_linear_trend(values: npt.ArrayLike, window: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Straight-line fit over the last `window` quarters at every quarter of every series at once.

    `values` is 2-D: one row per series, one column per consecutive quarter, NaN where missing.
    Returns slope (per quarter), p-value and the number of quarters used, each the same shape.
    """
    y = _as_float(values)
    present = ~np.isnan(y)
    x = np.where(present, np.arange(y.shape[1], dtype=float), np.nan)
    n = window_sum(present, window)
    slope, pvalue = _least_squares(n, window_sum(x, window), window_sum(y, window), window_sum(x * x, window),
                                   window_sum(x * y, window), window_sum(y * y, window))
    return slope, pvalue, n


def trend_direction(x: npt.ArrayLike, y: npt.ArrayLike, polarity: Polarity, min_points: int = 4) -> str:
    """Say whether one series has really moved, by a least-squares slope significant at p < 0.05.

    x is consecutive quarter indexes, y the values; pairs with a NaN are dropped. Returns "not enough
    data" (fewer than min_points), "no clear change", "improving"/"worsening" ("higher"/"lower"), or
    "rising"/"falling" (neutral). A flat series is "no clear change".
    """
    _check(polarity, POLARITIES, "polarity")
    xs = _as_float(x)
    ys = _as_float(y)
    keep = ~np.isnan(xs) & ~np.isnan(ys)
    xs, ys = xs[keep], ys[keep]
    sums = [np.asarray(float(term)) for term in (len(xs), xs.sum(), ys.sum(), (xs * xs).sum(), (xs * ys).sum(),
                                                  (ys * ys).sum())]
    slope, pvalue = _least_squares(*sums)
    return str(trend_labels(slope, pvalue, len(xs), polarity, min_points).item())


# Said wherever a band, a top/bottom 20% flag or a funnel class would be but too few have returned.
JUDGEMENTS_START = f"judgements start when {MIN_AUTHORITIES_FOR_JUDGEMENT} authorities have returned"
UNTIL_JUDGED = ("until then values, counts and intervals are shown, with no quartile band, top/bottom 20%, funnel "
                "outlier or discussion item comparing authorities")


def judgement_note(reported: int | None) -> str:
    """Why a comparison of `reported` authorities carries no bands, flags or outliers ('' when it does;
    `None`: some comparison on the screen had too few, count not known)."""
    if reported is None:
        return f"{JUDGEMENTS_START[0].upper()}{JUDGEMENTS_START[1:]}: {UNTIL_JUDGED}."
    if reported >= MIN_AUTHORITIES_FOR_JUDGEMENT or reported <= 0:
        return ""
    have = f"{reported} authorit{'y has' if reported == 1 else 'ies have'} returned"
    return f"Only {have}: {JUDGEMENTS_START}. {UNTIL_JUDGED[0].upper()}{UNTIL_JUDGED[1:]}."


def enough_to_judge(values: npt.ArrayLike, groups: npt.ArrayLike | None = None) -> np.ndarray:
    """True for every row of a group (a metric in a quarter and peer group) in which at least
    MIN_AUTHORITIES_FOR_JUDGEMENT authorities reported a value. Quartile bands, top/bottom 20% and
    funnel classes compare authorities with each other: two or three values cannot carry quartiles, a
    fifth or a funnel, so below that rows keep their values, counts and intervals but are not judged."""
    v = _as_float(values)
    codes = _group_codes(groups, len(v))
    if not len(v):
        return np.zeros(0, dtype=bool)
    return _per_group((~np.isnan(v)).astype(float), codes)[codes] >= MIN_AUTHORITIES_FOR_JUDGEMENT


def top_bottom_20(values: npt.ArrayLike, polarity: Polarity | npt.ArrayLike,
                  groups: npt.ArrayLike | None = None) -> np.ndarray:
    """Flag the authorities in the best and worst 20% of those reporting in their group, for the
    chair's narrative prompts.

    "top 20%" when the competition rank is within the best ceil(n/5) of the n reporting, "bottom 20%"
    when the rank counted from the worst end is within ceil(n/5); ties at the boundary are included.
    None otherwise, for missing values, for every authority on a neutral measure, and for an
    authority that would be both (only when ties span both ends, e.g. a lone reporter or all equal).
    """
    return labels_of(top_bottom_20_codes(values, polarity, groups), TOP_BOTTOM_20)


def top_bottom_20_codes(values: npt.ArrayLike, polarity: Polarity | npt.ArrayLike,
                        groups: npt.ArrayLike | None = None) -> np.ndarray:
    """`top_bottom_20` as positions in TOP_BOTTOM_20 (NO_LABEL for None)."""
    v = _as_float(values)
    is_polarity = _word_masks(polarity, POLARITIES, "polarity")
    codes = _group_codes(groups, len(v))
    flags = np.full(v.shape, NO_LABEL)
    reporting = _per_group((~np.isnan(v)).astype(float), codes)[codes] if len(v) else np.zeros(0)
    cut = np.ceil(reporting / 5)
    lower, higher = _lower_and_higher(v, codes)
    present = ~np.isnan(v)
    # Competition ranks from the best end and from the worst (neutral: high to low both ways).
    top = present & (np.where(is_polarity["lower"], lower, higher) + 1 <= cut)
    bottom = present & (np.where(is_polarity["higher"], lower, higher) + 1 <= cut)
    judged = ~is_polarity["neutral"]
    flags[top & ~bottom & judged] = TOP_BOTTOM_20.index("top 20%")
    flags[bottom & ~top & judged] = TOP_BOTTOM_20.index("bottom 20%")
    return flags
