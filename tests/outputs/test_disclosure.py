"""Disclosure control: small counts hidden, and nothing hidden can be worked back from what is shown."""

import math

import numpy as np
import pandas as pd
import pytest

from benchmark.outputs.disclosure import anonymise, suppress

TOTAL = "Network total"
LabelCell = tuple[object, str]
Sum = tuple[LabelCell, list[LabelCell]]


def declared_sums(frame: pd.DataFrame, counts: list[str], row_sums=(), total_row=None) -> list[Sum]:
    """The table's additive relationships, written out cell by cell as a reader would see them."""
    sums = [((row, total), [(row, part) for part in parts]) for row in frame.index for total, parts in row_sums]
    if total_row is not None:
        others = [row for row in frame.index if row != total_row]
        sums += [((total_row, name), [(row, name) for row in others]) for name in counts]
    return sums


def subtraction_attack(original: pd.DataFrame, mask: pd.DataFrame, sums: list[Sum]) -> dict[LabelCell, float]:
    """Every hidden cell a reader recovers from one sum: total minus the visible parts, missing as 0."""

    def value(cell: LabelCell) -> float:
        number = original.at[cell]
        return 0.0 if pd.isna(number) else float(number)

    recovered = {}
    for total, parts in sums:
        if pd.isna(original.at[total]):
            continue
        hidden = [cell for cell in [total, *parts] if mask.at[cell]]
        if len(hidden) != 1:
            continue
        visible_parts = sum(value(cell) for cell in parts if not mask.at[cell])
        recovered[hidden[0]] = visible_parts if hidden[0] == total else value(total) - visible_parts
    return recovered


def linear_attack(original: pd.DataFrame, mask: pd.DataFrame, sums: list[Sum]) -> dict[LabelCell, float]:
    """Every hidden cell a reader recovers by combining any of the sums (solving them together)."""
    usable = [(total, parts) for total, parts in sums if not pd.isna(original.at[total])]
    unknowns = sorted({cell for total, parts in usable for cell in [total, *parts] if mask.at[cell]})
    if not unknowns:
        return {}
    index = {cell: k for k, cell in enumerate(unknowns)}
    system = np.zeros((len(usable), len(unknowns)))
    known = np.zeros(len(usable))
    for row, (total, parts) in enumerate(usable):
        for sign, cell in [(1.0, total)] + [(-1.0, part) for part in parts]:
            if mask.at[cell]:
                system[row, index[cell]] = sign
            elif not pd.isna(original.at[cell]):
                known[row] -= sign * float(original.at[cell])
    solution = np.linalg.lstsq(system, known, rcond=None)[0]
    rank = np.linalg.matrix_rank(system)
    recovered = {}
    for cell, k in index.items():
        probe = np.zeros(len(unknowns))
        probe[k] = 1.0
        if np.linalg.matrix_rank(np.vstack([system, probe])) == rank:
            recovered[cell] = round(float(solution[k]), 6)
    return recovered


def hidden_cells(mask: pd.DataFrame) -> set[LabelCell]:
    return {(row, column) for row in mask.index for column in mask.columns if mask.at[row, column]}


def test_primary_hides_one_to_five_but_not_zero_six_or_missing():
    frame = pd.DataFrame({"requests": [0, 1, 2, 3, 4, 5, 6, None]}, index=list("abcdefgh"))
    result = suppress(frame, ["requests"])
    assert result.mask["requests"].tolist() == [False, True, True, True, True, True, False, False]
    assert result.frame["requests"].tolist()[:7] == [0, "c", "c", "c", "c", "c", 6]
    assert math.isnan(result.frame.at["h", "requests"])


def test_output_is_object_dtype_other_cells_unchanged_and_input_untouched():
    frame = pd.DataFrame({"authority": ["Camden", "Islington"], "requests": [3, 40]}, index=["202", "206"])
    before = frame.copy()
    result = suppress(frame, ["requests"])
    assert all(pd.api.types.is_object_dtype(dtype) for dtype in result.frame.dtypes)
    assert result.frame.to_dict() == {
        "authority": {"202": "Camden", "206": "Islington"},
        "requests": {"202": "c", "206": 40},
    }
    pd.testing.assert_frame_equal(frame, before)


def test_rate_hidden_when_its_numerator_or_denominator_is():
    frame = pd.DataFrame(
        {
            "on_time": [3, 0, 12, 9],
            "requests": [40, 4, 40, 30],
            "children": [80, 90, 70, 2],
        },
        index=["a", "b", "c", "d"],
    )
    frame["pct_on_time"] = 100 * frame["on_time"] / frame["requests"]
    frame["per_10k"] = 10_000 * frame["on_time"] / 50_000
    result = suppress(
        frame,
        ["on_time", "requests", "children"],
        rates={"pct_on_time": ("on_time", "requests"), "per_10k": ("on_time", None)},
    )
    assert result.mask["pct_on_time"].tolist() == [True, True, False, False]
    assert result.mask["per_10k"].tolist() == [True, False, False, False]
    assert result.frame.at["c", "pct_on_time"] == 30.0
    # "children" is a small count but no rate was declared on it, so no rate is hidden for row d.
    assert result.frame.at["d", "pct_on_time"] == 30.0


def test_total_row_gets_a_second_suppression_that_blocks_subtraction():
    frame = pd.DataFrame({"requests": [3, 0, 9, 7, 20]}, index=["A", "B", "C", "D", "E"])
    frame.loc[TOTAL] = frame["requests"].sum()
    sums = declared_sums(frame, ["requests"], total_row=TOTAL)
    only_primary = frame.map(lambda n: 1 <= n <= 5)
    assert subtraction_attack(frame, only_primary, sums) == {("A", "requests"): 3.0}  # the attack works

    result = suppress(frame, ["requests"], total_row=TOTAL)
    assert hidden_cells(result.mask) == {("A", "requests"), ("D", "requests")}  # 7: smallest non-zero
    assert result.frame.at[TOTAL, "requests"] == 39
    assert subtraction_attack(frame, result.mask, sums) == {}
    assert linear_attack(frame, result.mask, sums) == {}


def test_secondary_suppression_cascades_into_a_second_relationship():
    frame = pd.DataFrame({"on_time": [3, 8, 15, 20], "late": [30, 12, 9, 25]}, index=["A", "B", "C", "D"])
    frame["requests"] = frame["on_time"] + frame["late"]
    frame.loc[TOTAL] = frame.sum()
    counts = ["on_time", "late", "requests"]
    row_sums = [("requests", ["on_time", "late"])]
    result = suppress(frame, counts, row_sums=row_sums, total_row=TOTAL)
    # A's on-time 3 is hidden; its row needs A's late; the on-time column needs B's on-time (8, the
    # smallest), which leaves B's row with one hidden cell, so B's late goes too.
    assert hidden_cells(result.mask) == {("A", "on_time"), ("A", "late"), ("B", "on_time"), ("B", "late")}
    sums = declared_sums(frame, counts, row_sums, TOTAL)
    assert subtraction_attack(frame, result.mask, sums) == {}
    assert linear_attack(frame, result.mask, sums) == {}


def test_row_sum_hides_the_complement_not_the_denominator():
    frame = pd.DataFrame({"on_time": [3, 14], "late": [10, 20], "requests": [13, 34]}, index=["A", "B"])
    result = suppress(frame, ["on_time", "late", "requests"], row_sums=[("requests", ["on_time", "late"])])
    assert hidden_cells(result.mask) == {("A", "on_time"), ("A", "late")}
    assert result.frame.at["A", "requests"] == 13


def test_total_is_hidden_only_when_no_non_zero_part_is_left():
    frame = pd.DataFrame({"on_time": [3, 8, 20], "late": [40, 0, 10]}, index=["A", "B", "C"])
    frame["requests"] = frame["on_time"] + frame["late"]
    frame.loc[TOTAL] = frame.sum()
    counts = ["on_time", "late", "requests"]
    row_sums = [("requests", ["on_time", "late"])]
    result = suppress(frame, counts, row_sums=row_sums, total_row=TOTAL)
    # B's on-time (8) is hidden to protect A's; B's late is 0, so B's requests must go instead.
    assert result.mask.at["B", "on_time"]
    assert result.mask.at["B", "requests"]
    assert not result.mask.at["B", "late"]
    sums = declared_sums(frame, counts, row_sums, TOTAL)
    assert subtraction_attack(frame, result.mask, sums) == {}
    assert linear_attack(frame, result.mask, sums) == {}


def test_hidden_cell_pinned_down_by_combining_sums_is_protected():
    # Two rectangles of small counts joined by A's p3: each sum has 0 or 2+ hidden cells, yet adding
    # rows A and B and taking away columns p1 and p2 gives A's p3 exactly.
    frame = pd.DataFrame(
        {
            "p1": [2, 3, 40, 45, 10],
            "p2": [3, 2, 35, 50, 12],
            "p3": [4, 30, 2, 3, 14],
            "p4": [20, 25, 3, 2, 16],
        },
        index=["A", "B", "C", "D", "E"],
    )
    parts = ["p1", "p2", "p3", "p4"]
    frame["all"] = frame[parts].sum(axis=1)
    frame.loc[TOTAL] = frame.sum()
    counts = [*parts, "all"]
    row_sums = [("all", parts)]
    sums = declared_sums(frame, counts, row_sums, TOTAL)
    only_primary = frame.map(lambda n: 1 <= n <= 5)
    assert subtraction_attack(frame, only_primary, sums) == {}
    assert linear_attack(frame, only_primary, sums) == {("A", "p3"): 4.0}

    result = suppress(frame, counts, row_sums=row_sums, total_row=TOTAL)
    assert hidden_cells(result.mask) == hidden_cells(only_primary) | {("A", "p4")}
    assert linear_attack(frame, result.mask, sums) == {}


def test_missing_part_is_never_the_second_cell_and_still_counts_as_known():
    frame = pd.DataFrame({"requests": [3.0, np.nan, 10.0, 12.0]}, index=["A", "B", "C", "D"])
    frame.loc[TOTAL] = frame["requests"].sum()
    result = suppress(frame, ["requests"], total_row=TOTAL)
    assert hidden_cells(result.mask) == {("A", "requests"), ("C", "requests")}
    assert math.isnan(result.frame.at["B", "requests"])
    assert subtraction_attack(frame, result.mask, declared_sums(frame, ["requests"], total_row=TOTAL)) == {}


def test_missing_total_gives_nothing_away_so_nothing_more_is_hidden():
    frame = pd.DataFrame({"requests": [3.0, 10.0, np.nan]}, index=["A", "B", TOTAL])
    result = suppress(frame, ["requests"], total_row=TOTAL)
    assert hidden_cells(result.mask) == {("A", "requests")}


def test_text_in_a_count_column_is_refused():
    frame = pd.DataFrame({"requests": [3, "c", 10]})
    with pytest.raises(ValueError, match="'c'"):
        suppress(frame, ["requests"])


def test_rate_must_name_count_columns():
    frame = pd.DataFrame({"on_time": [3], "requests": [10], "pct": [30.0]})
    with pytest.raises(ValueError, match="pct"):
        suppress(frame, ["on_time"], rates={"pct": ("on_time", "requests")})


def test_anonymise_names_own_authority_and_letters_peers_in_order():
    labels = ["Camden", "Islington", "Hackney", "Camden"]
    mapping = anonymise(labels, own="Islington")
    assert mapping == {"Camden": "Authority A", "Islington": "Islington", "Hackney": "Authority B"}
    assert anonymise(labels, own="Islington") == mapping
    assert anonymise(labels, own=None)["Hackney"] == "Authority C"


def test_anonymise_goes_to_two_letters_after_z():
    labels = [f"LA {n}" for n in range(29)]
    mapping = anonymise(labels, own="LA 0")
    assert [mapping[f"LA {n}"] for n in (1, 26, 27, 28)] == [
        "Authority A",
        "Authority Z",
        "Authority AA",
        "Authority AB",
    ]
