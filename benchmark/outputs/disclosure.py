"""Statistical disclosure control: the one gate every table that leaves its audience goes through.

Follows published English children's-services tables: counts of 1 to 5 become "c", and more cells
are hidden wherever the table's totals would let a hidden count be worked out from the visible ones.

The threat model (README, "What each audience sees and why"): an external reader holds every external
output for every quarter plus public data (ONS populations, DfE statistical neighbours, DfE
publications, network membership); a network member holds everything the dashboard shows them.
Neither may recover a suppressed count of 1-5, learn which authority a letter stands for, or learn an
anonymous authority's figures. Hence, beyond one table's totals:
- `withheld_metrics` suppresses per authority and quarter across every metric, so a hidden count is
  never the difference of two shown ones (each "of which" of the data standard, shared denominators);
  it depends on the data alone, so every output of a quarter hides the same cells;
- rolling four quarters are never shown outward (a visible quarter's window holds the hidden ones);
- a lettered authority's figures are shown only as values rounded to `RULES` (no counts, population,
  interval, neighbour count or neighbour average), so a published population cannot pin it;
- letters are drawn per output from a secret key (`lettering_key`), never from public names alone.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from benchmark.analysis import cycle
from benchmark.db import Database
from benchmark.definitions.disclosure_rules import RULES, SUPPRESSED, Rules
from benchmark.definitions.metrics import CATALOGUE, POPULATION, Method, Metric
from benchmark.definitions.standard import THEMES, Kind

Cell = tuple[int, int]  # (row position, column position)


@dataclass(frozen=True)
class SuppressedTable:
    """The publishable table (object dtype, hidden cells are "c") and a boolean mask of those cells."""

    frame: pd.DataFrame
    mask: pd.DataFrame


@dataclass(frozen=True)
class _Relation:
    """`total` equals the sum of `parts`: a disclosed total can give away a hidden part."""

    total: Cell
    parts: tuple[Cell, ...]

    @property
    def cells(self) -> tuple[Cell, ...]:
        return (self.total, *self.parts)


def suppress(
    frame: pd.DataFrame,
    counts: Sequence[str],
    rates: Mapping[str, tuple[str, str | None]] | None = None,
    row_sums: Sequence[tuple[str, Sequence[str]]] = (),
    total_row: Hashable | None = None,
    threshold: int = RULES.threshold,
) -> SuppressedTable:
    """Hide small counts, every cell that would let one be recovered, and the rates built on them.

    `counts` are the count columns; `rates` maps a rate column to its (numerator, denominator or None)
    count columns, computed by the caller from the unsuppressed counts; `row_sums` lists, per row,
    (total column, part columns) with total = sum of parts; `total_row` labels a row equal to the
    column sum of all other rows. Missing counts are treated as known to a reader and never hidden.
    """
    rates = dict(rates or {})
    _check(frame, counts, rates, row_sums, total_row)
    position = {name: j for j, name in enumerate(frame.columns)}
    values = np.full(frame.shape, np.nan)
    for name in counts:
        values[:, position[name]] = _numbers(frame[name])
    hidden = (values > 0) & (values <= threshold)
    relations = _relations(values, position, counts, row_sums, _row_position(frame, total_row))
    while (cell := _next_to_hide(relations, values, hidden)) is not None:
        hidden[cell] = True
    for rate, (numerator, denominator) in rates.items():
        source = hidden[:, position[numerator]].copy()
        if denominator is not None:
            source |= hidden[:, position[denominator]]
        hidden[:, position[rate]] = source & frame[rate].notna().to_numpy()
    mask = pd.DataFrame(hidden, index=frame.index, columns=frame.columns)
    return SuppressedTable(frame.astype(object).mask(mask, SUPPRESSED), mask)


def anonymise(labels: Sequence[str], own: str | None) -> dict[str, str]:
    """Keep `own` named and letter the peers "Authority A", ..., "Z", "AA", "AB", ... in the order given.

    Build one mapping per output and use it for every table in that output, so a letter means the same
    authority throughout. Do not pass peers in alphabetical order: the letters would give them away.
    """
    mapping: dict[str, str] = {}
    peers = 0
    for label in labels:
        if label in mapping:
            continue
        if label == own:
            mapping[label] = label
        else:
            mapping[label] = f"Authority {_letters(peers)}"
            peers += 1
    return mapping


def _letters(number: int) -> str:
    """Spreadsheet-style letters: 0 is A, 25 is Z, 26 is AA."""
    text = ""
    number += 1
    while number:
        number, rest = divmod(number - 1, 26)
        text = chr(ord("A") + rest) + text
    return text


def _check(
    frame: pd.DataFrame,
    counts: Sequence[str],
    rates: Mapping[str, tuple[str, str | None]],
    row_sums: Sequence[tuple[str, Sequence[str]]],
    total_row: Hashable | None,
) -> None:
    """Refuse a table whose description is wrong: a mistake here would publish what should be hidden."""
    if not frame.columns.is_unique or not frame.index.is_unique:
        raise ValueError("suppress needs unique column names and unique row labels")
    unknown = [name for name in counts if name not in frame.columns]
    if unknown:
        raise ValueError(f"count columns not in the table: {unknown}")
    for rate, (numerator, denominator) in rates.items():
        if rate not in frame.columns or rate in counts:
            raise ValueError(f"rate column {rate!r} must be a column of the table and not a count")
        if numerator not in counts or (denominator is not None and denominator not in counts):
            raise ValueError(f"rate {rate!r} must be built from count columns, got {numerator!r}/{denominator!r}")
    for total, parts in row_sums:
        if total not in counts or not parts or total in parts or len(set(parts)) != len(parts):
            raise ValueError(f"row sum {total!r} = {list(parts)} must be a count total over distinct count parts")
        if any(part not in counts for part in parts):
            raise ValueError(f"row sum {total!r}: every part must be a count column, got {list(parts)}")
    if total_row is not None and total_row not in frame.index:
        raise ValueError(f"total row {total_row!r} is not a row of the table")


def _numbers(column: pd.Series) -> np.ndarray:
    """Counts as floats, NaN where missing; text such as an EES symbol is refused, never passed through."""
    numbers = pd.to_numeric(column, errors="coerce")
    bad = numbers.isna() & column.notna()
    if bad.any():
        raise ValueError(
            f"count column {column.name!r} holds {column[bad].iloc[0]!r} in row {column[bad].index[0]!r}: "
            "suppress takes numbers or missing values only"
        )
    return numbers.to_numpy(dtype=float, na_value=np.nan)


def _row_position(frame: pd.DataFrame, label: Hashable | None) -> int | None:
    return None if label is None else int(frame.index.get_loc(label))


def _relations(
    values: np.ndarray,
    position: Mapping[str, int],
    counts: Sequence[str],
    row_sums: Sequence[tuple[str, Sequence[str]]],
    total_row: int | None,
) -> list[_Relation]:
    """Every declared sum as cells; one with a missing total tells a reader nothing, so it is dropped."""
    rows = range(values.shape[0])
    relations = [
        _Relation((i, position[total]), tuple((i, position[part]) for part in parts))
        for i in rows
        for total, parts in row_sums
    ]
    if total_row is not None:
        relations += [
            _Relation((total_row, position[name]), tuple((i, position[name]) for i in rows if i != total_row))
            for name in counts
        ]
    return [relation for relation in relations if not np.isnan(values[relation.total])]


def _next_to_hide(relations: list[_Relation], values: np.ndarray, hidden: np.ndarray) -> Cell | None:
    """The next complementary cell, or None once no hidden count follows from the visible ones.

    First the published rule (a sum with exactly one hidden cell gets a second one); then a check that
    no combination of sums pins a hidden cell down, which that rule alone can miss.
    """
    for relation in relations:
        if sum(bool(hidden[cell]) for cell in relation.cells) == 1:
            cell = _complement(relation, values, hidden)
            if cell is not None:
                return cell
    exposed = _determined(relations, hidden)
    if not exposed:
        return None
    # Prefer the sums that contain the exposed cell; any other sum with a hidden cell is a fallback.
    touched = [relation for relation in relations if any(hidden[cell] for cell in relation.cells)]
    touched.sort(key=lambda relation: exposed[0] not in relation.cells)
    candidates = (_complement(relation, values, hidden) for relation in touched)
    return next((cell for cell in candidates if cell is not None), None)


def _complement(relation: _Relation, values: np.ndarray, hidden: np.ndarray) -> Cell | None:
    """The smallest non-zero visible part, else the total; None if every other cell is zero or missing.

    None is safe: a single hidden cell whose sum has only zero or missing partners cannot be recovered,
    as the data cannot add up unless a missing partner is unknown.
    """
    parts = [cell for cell in relation.parts if not hidden[cell] and values[cell] > 0]
    if parts:
        return min(parts, key=lambda cell: values[cell])
    if not hidden[relation.total] and values[relation.total] > 0:
        return relation.total
    return None


def _determined(relations: list[_Relation], hidden: np.ndarray) -> list[Cell]:
    """Hidden cells whose value is fixed by the sums once the visible cells are moved to one side."""
    involved = [relation for relation in relations if any(hidden[cell] for cell in relation.cells)]
    unknowns = sorted({cell for relation in involved for cell in relation.cells if hidden[cell]})
    if not unknowns:
        return []
    column = {cell: k for k, cell in enumerate(unknowns)}
    system = np.zeros((len(involved), len(unknowns)))
    for row, relation in enumerate(involved):
        for sign, cells in ((1.0, (relation.total,)), (-1.0, relation.parts)):
            for cell in cells:
                if hidden[cell]:
                    system[row, column[cell]] = sign
    _, singular, basis = np.linalg.svd(system)
    rank = int((singular > singular.max() * max(system.shape) * np.finfo(float).eps).sum())
    free = basis[rank:]  # directions the hidden cells can move together without changing any sum
    return [cell for cell in unknowns if np.all(np.abs(free[:, column[cell]]) < 1e-9)]


# ------------------------------------------------------------------ across metrics, for every output


def rounded(values: object, metric: Metric, smallest_population: float | None = None,
            rules: Rules = RULES) -> np.ndarray:
    """Values rounded to the step the rules set for the metric (NaN stays NaN); for a rate, given the
    smallest population among the authorities the values could belong to."""
    step = rules.step(metric, smallest_population)
    numbers = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(dtype=float)
    decimals = max(0, -int(np.floor(np.log10(step)))) if step < 1 else 0
    return np.round(np.round(numbers / step) * step, decimals)


@dataclass(frozen=True)
class _MetricExposure:
    """What a shown metric tells a reader about one authority's counts, as vectors over the theme's
    count fields: `shown` are its numerator and denominator, `own` adds its complement."""

    metric: Metric
    shown: tuple[np.ndarray, ...]
    own: tuple[np.ndarray, ...]


@dataclass(frozen=True)
class _ThemePlan:
    fields: tuple[str, ...]
    metrics: tuple[_MetricExposure, ...]
    sensitive: tuple[np.ndarray, ...]  # every count a reader must not learn when it is 1-5


def _theme_plan(theme_id: str) -> _ThemePlan:
    theme = THEMES[theme_id]
    fields = tuple(spec.name for spec in theme.fields if spec.kind is Kind.COUNT)
    position = {name: k for k, name in enumerate(fields)}

    def vector(terms: dict[str, int]) -> np.ndarray:
        out = np.zeros(len(fields))
        for name, coefficient in terms.items():
            out[position[name]] += coefficient
        return out

    exposures = []
    for metric in CATALOGUE:
        if metric.theme != theme_id or metric.method in (Method.VALUE, Method.AGE_MONTHS):
            continue
        shown = []
        numerator = None
        if all(name in position for name in metric.numerator):
            numerator = vector(dict.fromkeys(metric.numerator, 1))
            shown.append(numerator)
        denominator = None
        if metric.denominator not in (None, POPULATION) and metric.denominator in position:
            denominator = vector({metric.denominator: 1})
            shown.append(denominator)
        own = list(shown)
        if metric.method is Method.PROPORTION and numerator is not None and denominator is not None:
            own.append(denominator - numerator)
        exposures.append(_MetricExposure(metric, tuple(shown), tuple(own)))
    sensitive = [vector({name: 1}) for name in fields]
    for bound in theme.bounds:  # each "of which": the part left over is a count of children too
        terms = dict(bound.terms)
        if set(bound.fields) <= set(position) and all(abs(c) == 1 for c in terms.values()):
            sensitive.append(vector(terms) - vector({bound.column: 1}))
    sensitive += [quantity for exposure in exposures for quantity in exposure.own]
    unique = {tuple(quantity): quantity for quantity in sensitive if quantity.any()}
    return _ThemePlan(fields, tuple(exposures), tuple(unique.values()))


def _in_span(rows: list[np.ndarray], quantity: np.ndarray) -> bool:
    """Whether a reader who knows the `rows` quantities can work `quantity` out by adding and subtracting."""
    if not rows:
        return False
    known = np.vstack(rows)
    return np.linalg.matrix_rank(np.vstack([known, quantity])) == np.linalg.matrix_rank(known)


def _withheld_in_rows(values: np.ndarray, plan: _ThemePlan, threshold: int) -> list[list[str]]:
    """The metrics to hide for each authority and quarter (rows of `values`, the theme's count fields):
    primary (a count of 1-5 of their own) and secondary (one more metric each time the shown ones would
    add up to a hidden count). Rows alike in what is missing and what is small share one decision."""
    quantities = np.array(plan.sensitive)
    missing = (np.isnan(values).astype(float) @ (quantities != 0).T) > 0
    totals = np.nan_to_num(values) @ quantities.T
    small = ~missing & (totals > 0.5) & (totals < threshold + 0.5)
    position = {tuple(quantity): k for k, quantity in enumerate(plan.sensitive)}
    own = [[position[tuple(quantity)] for quantity in exposure.own] for exposure in plan.metrics]
    available = np.column_stack([~missing[:, columns].any(axis=1) if plan.metrics[m].shown
                                 else np.zeros(len(values), dtype=bool) for m, columns in enumerate(own)])
    decided: dict[tuple, list[str]] = {}
    result = []
    for row_available, row_small in zip(available, small, strict=True):
        key = (tuple(row_available), tuple(row_small.nonzero()[0]))
        if key not in decided:
            decided[key] = _decide(plan, own, row_available, set(key[1]))
        result.append(decided[key])
    return result


def _decide(plan: _ThemePlan, own: list[list[int]], available: np.ndarray, small: set[int]) -> list[str]:
    exposures = [exposure for exposure, present in zip(plan.metrics, available, strict=True) if present]
    positions = {exposure.metric.id: columns for exposure, columns in zip(plan.metrics, own, strict=True)}
    hidden = [exposure for exposure in exposures if small & set(positions[exposure.metric.id])]
    visible = [exposure for exposure in exposures if exposure not in hidden]
    secret = [plan.sensitive[k] for k in sorted(small)]
    # Least useful first: a headline metric is the last to go, later catalogue entries before earlier.
    order = {exposure.metric.id: k for k, exposure in enumerate(plan.metrics)}
    candidates = sorted(visible, key=lambda exposure: (exposure.metric.headline, -order[exposure.metric.id]))
    while True:
        shown = [quantity for exposure in visible for quantity in exposure.shown]
        exposed = next((quantity for quantity in secret if _in_span(shown, quantity)), None)
        if exposed is None:
            return [exposure.metric.id for exposure in hidden]
        chosen = next((exposure for exposure in candidates if exposure in visible and not _in_span(
            [quantity for other in visible if other is not exposure for quantity in other.shown], exposed)),
            next(exposure for exposure in candidates if exposure in visible))
        visible.remove(chosen)
        hidden.append(chosen)


def _values_shown(db: Database, revised: bool) -> pd.DataFrame:
    """The stored counts the outputs show: for a signed-off quarter the returns as at its sign-off
    (unless `revised`), for every other quarter the current ones. Deciding on these, never on
    today's returns alone, keeps a revision from changing what a signed-off output hides."""
    columns = "la_code, period_index, theme, field, value"
    current = db.frame(f"SELECT {columns} FROM current_values")
    signed = {} if revised else cycle.signoffs(db)
    if not signed:
        return current
    parts = [current[~current["period_index"].isin(list(signed))]]
    for index, item in signed.items():
        parts.append(db.frame(f"SELECT {columns} FROM values_as_at(?, ?) WHERE period_index = ?",
                              [*item.as_at, index]))
    return pd.concat([part for part in parts if len(part)] or [current.iloc[0:0]], ignore_index=True)


def withheld_metrics(db: Database, rules: Rules = RULES, revised: bool = False) -> pd.DataFrame:
    """(la_code, period_index, metric) for every metric value no external output may show.

    Decided per authority and quarter from the stored counts alone, so every output of a quarter (any
    group, any own authority, table or pack) hides the same values and none can be set against another;
    a signed-off quarter is decided on its returns as at sign-off, the figures its outputs show
    (`revised`: on the returns revised since, as `--revised` shows them).
    """
    from benchmark.analysis import engine  # the engine's cache, keyed on the data version

    def build() -> pd.DataFrame:
        long = _values_shown(db, revised)
        rows = []
        for theme_id, part in long.groupby("theme"):
            plan = _theme_plan(str(theme_id))
            if not plan.metrics:  # a theme answered in words (the DSCO role) has no figures to withhold
                continue
            wide = part.pivot_table(index=["la_code", "period_index"], columns="field", values="value",
                                    aggfunc="first").reindex(columns=list(plan.fields))
            decisions = _withheld_in_rows(wide.to_numpy(dtype=float), plan, rules.threshold)
            for (la_code, period_index), metric_ids in zip(wide.index, decisions, strict=True):
                rows += [(la_code, int(period_index), metric_id) for metric_id in metric_ids]
        return pd.DataFrame(rows, columns=["la_code", "period_index", "metric"])

    return engine.cached(db, "withheld_metrics revised" if revised else "withheld_metrics", build)


def withheld(db: Database, period_index: int, metric_id: str, revised: bool = False) -> frozenset[str]:
    """Authorities whose value of this metric in this quarter no external output shows (of the
    returns the output shows: as at sign-off, or `revised`)."""
    table = withheld_metrics(db, revised=revised)
    chosen = table[(table["period_index"] == period_index) & (table["metric"] == metric_id)]
    return frozenset(chosen["la_code"])


# ------------------------------------------------------------------ letters


_KEY_SETTING = "lettering_key"


def lettering_key(db: Database) -> str:
    """The database's secret for drawing letters, made on first use: with letters drawn from public
    names and a public seed alone, anyone with the code could redraw them and name every authority."""
    key = db.setting(_KEY_SETTING)
    if key is None:
        with db.transaction(changes_data=False) as cursor:
            cursor.execute("INSERT OR IGNORE INTO settings VALUES (?, ?)", [_KEY_SETTING, secrets.token_hex(32)])
        key = db.setting(_KEY_SETTING)
    return str(key)


def letter_order(la_names: Sequence[str], seed: str, key: str) -> list[str]:
    """The names in an order fixed by the key and the output (`seed`), unrelated to name or rank."""
    def draw(name: str) -> str:
        return hmac.new(key.encode(), f"{seed}|{name}".encode(), hashlib.sha256).hexdigest()
    return sorted(set(la_names), key=draw)
