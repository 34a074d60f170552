"""Validation of the network's newer topics (issue 20): the residential placements theme and the optional
annual-review fields of the advice theme. Rows are numbered as a spreadsheet shows them: the header is row 1."""

from __future__ import annotations

import pytest

from benchmark.definitions.standard import DEFAULT_THEMES, THEMES, columns
from benchmark.intake.validation import validate

RESIDENTIAL_PARTS = ("res_placed_52wk", "res_placed_out_of_area", "res_placed_far", "res_visited", "res_advocate",
                     "res_reviewed_6m")


def test_residential_file_is_recognised_and_read(make_csv, example_row, today):
    row = example_row("residential", res_placed="3", res_placed_52wk="1", res_placed_far="2", res_visited="3",
                      res_advocate="0", res_reviewed_6m="c", res_new="", res_returned_home="0",
                      res_placed_out_of_area="2")

    report = validate("residential.csv", make_csv("residential", [row], messy_headers=True), today=today)

    assert report.ok, report.errors
    assert report.theme == "residential"
    values = report.rows[0].values
    assert values["res_placed"] == 3.0 and values["res_advocate"] == 0.0
    assert values["res_reviewed_6m"] is None and values["res_new"] is None  # 'c' and blank: not available, not 0


@pytest.mark.parametrize("part", RESIDENTIAL_PARTS)
def test_each_residential_part_may_not_exceed_the_children_placed(make_csv, example_row, today, part):
    row = example_row("residential", res_placed="4", **{part: "5"})

    report = validate("residential.csv", make_csv("residential", [row]), today=today)

    assert not report.ok and report.rows == []
    problem = next(p for p in report.errors if p.column == part)
    assert problem.row == 2 and problem.value == "5"
    assert "larger than 4" in problem.message and "res_placed" in problem.message


def test_new_placements_and_children_home_are_not_parts_of_those_placed(make_csv, example_row, today):
    # A placement can start and end in the same quarter, and a child who came home is no longer placed.
    row = example_row("residential", res_placed="1", res_new="3", res_returned_home="2",
                      **{part: "1" for part in RESIDENTIAL_PARTS})

    report = validate("residential.csv", make_csv("residential", [row]), today=today)

    assert report.ok, report.errors


def test_a_residential_count_is_checked_against_the_authority_size(make_csv, example_row, today):
    row = example_row("residential", "201", res_placed="5000")  # City of London has under 1,000 children

    report = validate("residential.csv", make_csv("residential", [row]), today=today)

    problem = next(p for p in report.errors if p.column == "res_placed")
    assert "City of London has" in problem.message


def test_an_advice_file_from_before_the_annual_review_fields_stays_valid(make_csv, example_row, today):
    old_header = [spec.name for spec in columns("advice") if not spec.name.startswith("ar_")]
    assert len(old_header) == len(columns("advice")) - 2

    report = validate("advice.csv", make_csv("advice", [example_row("advice")], header=old_header), today=today)

    assert report.ok, report.errors
    assert "ar_reviews_known_sc" not in report.rows[0].values


def test_annual_review_fields_are_read_and_the_contribution_is_part_of_the_reviews(make_csv, example_row, today):
    good = example_row("advice", ar_reviews_known_sc="7", ar_reviews_sc_contribution="7")
    bad = example_row("advice", "206", ar_reviews_known_sc="7", ar_reviews_sc_contribution="8")

    assert validate("a.csv", make_csv("advice", [good]), today=today).rows[0].values["ar_reviews_sc_contribution"] == 7
    report = validate("a.csv", make_csv("advice", [good, bad]), today=today)

    problem = next(p for p in report.errors if p.column == "ar_reviews_sc_contribution")
    assert problem.row == 3 and "larger than 7" in problem.message


def test_an_annual_review_count_that_is_not_a_number_is_refused(make_csv, example_row, today):
    row = example_row("advice", ar_reviews_known_sc="seven")

    report = validate("a.csv", make_csv("advice", [row]), today=today)

    assert [p.column for p in report.errors] == ["ar_reviews_known_sc"]


def test_a_new_theme_is_not_collected_until_the_chair_adds_it():
    assert DEFAULT_THEMES == ("short_breaks", "advice", "transitions")
    assert not THEMES["residential"].collected_by_default
