"""Issue 14, validation messages: "did you mean" for near-miss authorities and for headers that are a
field's label, every independent problem in one pass, and whole sentences."""

from __future__ import annotations

import pytest

from benchmark.definitions.standard import columns
from benchmark.intake.validation import suggest_authorities, validate


@pytest.mark.parametrize(("written", "expected"), [
    ("Richmond", ["Richmond upon Thames"]),
    ("richmond", ["Richmond upon Thames"]),
    ("Camdn", ["Camden"]),
    ("Kingston", ["Kingston upon Hull, City of", "Kingston upon Thames"]),
    ("Hammersmith", ["Hammersmith and Fulham"]),
    ("Barking", ["Barking and Dagenham"]),
    ("Gotham", []),
])
def test_near_miss_authority_names(written, expected):
    assert sorted(suggest_authorities(written)) == sorted(expected)


def test_a_near_miss_authority_in_a_file_gets_the_suggestion(make_csv, example_row, today):
    report = validate("adv.csv", make_csv("advice", [example_row("advice", "Richmond")]), today=today)
    assert [(p.row, p.column, p.value) for p in report.errors] == [(2, "la_code", "Richmond")]
    assert report.errors[0].message.endswith("Did you mean 'Richmond upon Thames'?")


def test_a_header_that_is_a_fields_label_says_which_field(make_csv, example_row, today):
    header = ["children_receiving_short_breaks" if spec.name == "sb_children_total" else spec.name
              for spec in columns("short_breaks")]
    row = example_row("short_breaks")
    row["children_receiving_short_breaks"] = row["sb_children_total"]
    report = validate("sb.csv", make_csv("short_breaks", [row], header=header), today=today)
    label_error = next(p for p in report.errors if p.column == "children_receiving_short_breaks")
    assert label_error.row == 1
    assert "is the label of the column sb_children_total" in label_error.message
    assert "write sb_children_total as the heading" in label_error.message


def test_a_header_written_as_labels_throughout_is_still_recognised(make_csv, example_row, today):
    labels = [spec.label for spec in columns("advice")]
    row = example_row("advice")
    report = validate("adv.csv", make_csv("advice", [{label: row[spec.name] for label, spec in
                                                      zip(labels, columns("advice"), strict=True)}],
                                          header=labels), today=today)
    assert report.theme == "advice"
    assert any("label of the column adv_requests" in p.message for p in report.errors)


def test_a_heading_close_to_a_label(make_csv, example_row, today):
    header = [*(spec.name for spec in columns("advice")), "Advice request received"]
    report = validate("adv.csv", make_csv("advice", [example_row("advice")], header=header), today=today)
    assert "looks like the label of adv_requests" in report.errors[0].message


def test_a_period_error_does_not_hide_a_date_error(make_csv, example_row, today):
    row = example_row("short_breaks", period="2030-31 Q1", sb_statement_reviewed="1999-05-01")
    report = validate("sb.csv", make_csv("short_breaks", [row]), today=today)
    assert [(p.row, p.column) for p in report.errors] == [(2, "period"), (2, "sb_statement_reviewed")]
    row = example_row("short_breaks", period="Spring", sb_statement_reviewed="2031-01-01")
    report = validate("sb.csv", make_csv("short_breaks", [row]), today=today)
    assert [(p.row, p.column) for p in report.errors] == [(2, "period"), (2, "sb_statement_reviewed")]
    assert "after the end of the current quarter 2026-27 Q3" in report.errors[1].message


def test_every_independent_problem_of_a_row_in_one_pass(make_csv, example_row, today):
    row = example_row("advice", "Richmond", "2025-26 Q5", adv_requests="7 2", adv_overdue_open="£3",
                      adv_audited_good="99")
    report = validate("adv.csv", make_csv("advice", [row]), today=today)
    assert [p.column for p in report.errors] == ["la_code", "period", "adv_requests", "adv_overdue_open",
                                                 "adv_audited_good"]


@pytest.mark.parametrize(("theme_id", "changes"), [
    ("advice", {"la_code": "Gotham"}), ("advice", {"period": ""}), ("advice", {"adv_requests": "-1"}),
    ("advice", {"adv_requests": "1.5"}), ("advice", {"adv_audited_good": "16"}),
    ("short_breaks", {"sb_statement_reviewed": "soon"}), ("short_breaks", {"sb_spend_gbp": "lots"}),
    ("transitions", {"notes": "n" * 1_001}),
])
def test_messages_are_whole_sentences(theme_id, changes, make_csv, example_row, today):
    report = validate("f.csv", make_csv(theme_id, [example_row(theme_id, **changes)]), today=today)
    assert report.errors
    for problem in report.errors:
        assert problem.message[0].isupper() or problem.message[0] == "'", problem.message
        assert problem.message.endswith((".", "?")), problem.message
