"""The pages of the network's newer topics (issue 20) through AppTest on the demo network (which collects every
theme): residential placements, the DSCO role self-assessment and area SEND inspections."""

from __future__ import annotations

from pathlib import Path

from test_pages import LATEST, assert_clean, open_page, texts

from benchmark.access import membership
from benchmark.db import open_database
from benchmark.definitions.standard import THEMES


def test_residential_page_compares_a_residential_metric(on_demo: Path) -> None:
    at = open_page("pages/residential.py", metric="res_visited_pct", period=LATEST)
    assert_clean(at)
    assert [title.value for title in at.title] == [THEMES["residential"].title]
    assert "Residential placements visited in the quarter (%)" in texts(at)


def test_dsco_role_page_shows_answers_in_words_and_counts(on_demo: Path) -> None:
    at = open_page("pages/dsco_role.py", period=LATEST)
    assert_clean(at)
    matrix = at.dataframe[0].value
    assert set(matrix["Action plan"]) <= {"Yes", "No", "In progress", "not answered"}
    assert set(matrix["Answered"]) == {"2025-26 Q3"}  # answered once a year, standing until replaced
    assert "DfE: DSCO in post" in matrix.columns
    counts = next(frame.value for frame in at.dataframe if "Answers" in frame.value.columns)
    answers = counts.set_index("Item")["Answers"]
    assert answers.drop("DSCO full-time equivalent").str.match(r"^Yes \d+, No \d+, (In progress|Recruiting) \d+$").all()
    assert answers["DSCO full-time equivalent"].startswith("total ")
    assert not any(word in " ".join(matrix.columns).lower() for word in ("rank", "band"))


def test_inspections_page_lists_members_most_likely_next_first(on_demo: Path) -> None:
    at = open_page("pages/inspections.py")
    assert_clean(at)
    table = at.dataframe[0].value
    assert len(table) == len(membership.members_in(open_database(on_demo)))
    assert table["Order"].tolist() == list(range(1, len(table) + 1))
    lewisham = table[table["Authority"] == "Lewisham"].iloc[0]
    assert lewisham["Outcome"] == "inconsistent experiences"
    assert lewisham["Next inspection"].startswith("full inspection by 23 Sep 2027")


def test_only_themes_added_later_wait_for_the_chair_in_the_navigation() -> None:
    app = (Path(__file__).resolve().parents[2] / "app.py").read_text()
    later = {theme_id for theme_id, theme in THEMES.items() if not theme.collected_by_default}
    assert later == {"residential", "dsco_role"}
    for theme_id in later:
        assert f'"{theme_id}": ("pages/{theme_id}.py"' in app
