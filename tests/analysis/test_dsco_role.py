"""The DSCO role self-assessment (issue 20): answers in words (Yes / No / In progress, Recruiting for in post),
validated one by one; a yearly theme whose latest answer stands until replaced, on the tracker too; the matrix
and counts per item, and a differencing attack on the counts for an authority shared anonymously."""

from __future__ import annotations

import datetime as dt

import pytest
from support import return_csv

from benchmark import service
from benchmark.access import membership, rights
from benchmark.access.rights import Role, User
from benchmark.analysis import role, tracker
from benchmark.definitions.standard import THEMES, Kind
from benchmark.intake import returns
from benchmark.intake.returns import store_file
from benchmark.intake.validation import validate
from benchmark.outputs import views
from benchmark.periods import Period

TODAY = dt.date(2026, 11, 23)
ANSWERED = Period.parse("2025-26 Q3")
P = Period.parse("2026-27 Q2")
CHAIR = rights.local_operator("test")


def test_answers_are_read_in_any_case_and_stored_as_the_answer(make_csv, example_row, today):
    row = example_row("dsco_role", dsco_in_post="recruiting", dsco_fte="0.5", action_plan="IN PROGRESS",
                      statement_of_purpose="no")
    report = validate("role.csv", make_csv("dsco_role", [row]), today=today)
    assert report.ok, report.errors
    values = report.rows[0].values
    spec = {field.name: field for field in THEMES["dsco_role"].fields}
    assert spec["dsco_in_post"].choices[int(values["dsco_in_post"])] == "Recruiting"
    assert spec["action_plan"].choices[int(values["action_plan"])] == "In progress"
    assert spec["statement_of_purpose"].choices[int(values["statement_of_purpose"])] == "No"
    assert values["dsco_fte"] == 0.5


@pytest.mark.parametrize(("column", "text", "reason"), [
    ("action_plan", "Maybe", "is not one of the answers for action_plan: write Yes, No or In progress"),
    ("dsco_in_post", "In progress", "write Yes, No or Recruiting"),
    ("dsco_fte", "12", "is more than 10.0, the most the standard accepts"),
    ("dsco_fte", "half", "is not a number"),
])
def test_a_wrong_answer_is_refused_naming_row_column_and_value(make_csv, example_row, today, column, text, reason):
    report = validate("role.csv", make_csv("dsco_role", [example_row("dsco_role", **{column: text})]), today=today)
    assert not report.ok and report.rows == []
    problem = next(p for p in report.errors if p.column == column)
    assert problem.row == 2 and problem.value == text and reason in problem.message


def test_the_role_theme_is_yearly_and_not_collected_until_chosen():
    theme = THEMES["dsco_role"]
    assert theme.cadence == "yearly" and not theme.collected_by_default
    assert {field.kind for field in theme.fields} == {Kind.CHOICE, Kind.DECIMAL}


@pytest.fixture
def network(tmp_db, example_row):
    membership.add_authorities(tmp_db, CHAIR, ["202", "206", "204"], ANSWERED)
    membership.set_themes(tmp_db, CHAIR, ["advice", "dsco_role"])
    rows = [
        example_row("dsco_role", "202", ANSWERED.label, action_plan="In progress"),
        example_row("dsco_role", "206", ANSWERED.label, dsco_in_post="Recruiting", dsco_fte="", action_plan="No"),
    ]
    assert store_file(tmp_db, "role.csv", return_csv("dsco_role", rows), "c@x", today=TODAY,
                      submitted_at=dt.datetime(2026, 1, 10)).stored
    return tmp_db


def test_an_answer_stands_for_a_year_on_the_tracker(network):
    def status(period, la):
        table = tracker.tracker(network, period, TODAY)
        return table[(table["la_code"] == la) & (table["theme"] == "dsco_role")]["status"].iloc[0]

    # Answered in 2025-26 Q3: it stands in that quarter and the three after; 2026-27 Q3 needs a new answer.
    assert status(ANSWERED, "202") == "returned"
    assert status(P, "202") == "returned"  # 2026-27 Q2 is the third quarter after
    assert status(P.shift(1), "202") == "not yet due"
    assert status(P, "204") == "overdue"  # never answered


def test_matrix_in_words_with_the_date_of_each_answer_and_counts(network):
    matrix = role.role_matrix(network, ["202", "206", "204"], P).set_index("la_code")
    assert matrix.loc["202", "answered"] == "2025-26 Q3"
    assert matrix.loc["202", "action_plan"] == "In progress" and matrix.loc["206", "action_plan"] == "No"
    assert matrix.loc["206", "dsco_in_post"] == "Recruiting" and matrix.loc["206", "dsco_fte"] == "not answered"
    assert matrix.loc["204", "answered"] == "not answered"
    counts = role.role_counts(matrix.reset_index()).set_index("Item")
    assert counts.loc["Action plan", "Answers"] == "Yes 0, No 1, In progress 1"
    assert counts.loc["Action plan", "Answered"] == "2 of 3 members"
    assert counts.loc["DSCO in post", "Answers"] == "Yes 1, No 0, Recruiting 1"
    assert "rank" not in " ".join(matrix.columns).lower() and "band" not in " ".join(matrix.columns).lower()


def test_counts_never_give_away_an_anonymous_authoritys_answers(network):
    rights.set_sharing(network, CHAIR, "206", "anonymous")
    hackney = User("dsco@hackney.example", Role.DSCO, "204")
    matrix, counts = service.role_matrix(network, hackney, P)
    shown = set(matrix["la_code"])
    assert "206" not in shown
    # The attack: subtract the answers shown from the counts. On naive counts over every member (the control)
    # it recovers Islington's "No"; on the counts the service gives, nothing is left to recover.
    naive = role.role_counts(role.role_matrix(network, ["202", "206", "204"], P)).set_index("Item")
    shown_no = int((matrix["action_plan"] == "No").sum())
    assert int(naive.loc["Action plan", "Answers"].split("No ")[1].split(",")[0]) - shown_no == 1  # recovered
    real = counts.set_index("Item")
    assert int(real.loc["Action plan", "Answers"].split("No ")[1].split(",")[0]) - shown_no == 0


def test_the_upload_preview_shows_answers_in_words(tmp_db, make_csv, example_row, today):
    row = example_row("dsco_role", dsco_in_post="Recruiting", action_plan="in progress")
    report = validate("role.csv", make_csv("dsco_role", [row]), today=today)
    preview = views.preview_view(returns.preview(tmp_db, report), "dsco_role").set_index("Field")
    assert preview.iloc[:, 0]["DSCO in post"] == "Recruiting"
    assert preview.iloc[:, 0]["Action plan"] == "In progress"
