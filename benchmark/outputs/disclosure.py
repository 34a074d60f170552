"""Statistical disclosure control: the one gate every table that leaves the network goes through.

Follows published English children's-services tables: counts of 1 to 5 become "c", and more cells
are hidden wherever the table's totals would let a hidden count be worked out from the visible ones.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

SUPPRESSED = "c"  # the EES symbol for a suppressed value

AUDIENCES = ("network", "external")
"""Who a table is for. "network": members see exact figures with authorities named. "external": the
table leaves the network, so it must go through `suppress` and peers may be lettered by `anonymise`."""

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
    threshold: int = 5,
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
