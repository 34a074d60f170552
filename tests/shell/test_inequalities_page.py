"""The Inequalities page through AppTest, on a network of three authorities with breakdowns for one quarter and
one theme (advice), DfE's requests and timeliness files and the school census."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from breakdown_support import store_breakdowns
from test_pages import assert_clean, chart_specs, chart_title, open_page, tables_with, texts

from benchmark.analysis import inequalities
from benchmark.analysis.published import load_published
from benchmark.db import close_database, open_database
from benchmark.reference import DATA_DIR

PAGE = "pages/inequalities.py"
PUBLISHED = DATA_DIR / "published"


@pytest.fixture(scope="module")
def small_network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("inequalities_page") / "network.duckdb"
    db = open_database(path)
    for la_code, returned, in_time in (
        ("202", {"White": 100, "Black": 50, "Unclassified": 20}, {"White": 80, "Black": 20, "Unclassified": 12}),
        ("206", {"White": 60, "Black": 40}, {"White": 45, "Black": 30}),
        ("204", {"White": 20, "Black": 8}, {"White": 15, "Black": 6}),
    ):
        store_breakdowns(db, la_code, "2026-27 Q2", {("adv_returned", "ethnicity"): returned,
                                                     ("adv_returned_6wk", "ethnicity"): in_time})
    load_published(db, [PUBLISHED / "requests.csv", PUBLISHED / "timeliness_20_week.csv",
                        PUBLISHED / "spc_pupils_ethnicity_la_totals_201516_to_202122.csv"])
    close_database(path)
    yield path
    close_database(path)


@pytest.fixture
def on_network(small_network: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DSCO_DB", str(small_network))
    return small_network


def test_late_advice_by_ethnicity(on_network: Path) -> None:
    at = open_page(PAGE, local=True, measure="adv_late", by="ethnicity", la="202", period="2026-27 Q2")
    assert_clean(at)
    shown = texts(at)
    assert "Camden, the four quarters to 2026-27 Q2" in shown
    assert "adverse outcome" in shown and "Katz" in shown
    [own] = tables_with(at, "Ratio (95% interval)")
    camden_black = own[(own["Authority"] == "Camden") & (own["Group"] == "Black")].iloc[0]
    assert camden_black["Ratio (95% interval)"] == "3.00 (1.91-4.72)"
    assert camden_black["Judgement"] == "▲ higher"
    [grid] = tables_with(at, "Black")[-1:]
    assert set(grid["Authority"]) == {"Camden", "Islington", "Hackney"}
    # Hackney's cells hold counts of 1-5: hidden from a reader who is not Hackney.
    assert grid.set_index("Authority").loc["Hackney", "Black"] == "c"
    [spec] = chart_specs(at)
    assert chart_title(spec).startswith("Social care advice not provided within 6 weeks")
    assert spec["layout"]["xaxis"]["type"] == "log"


def test_requests_per_10000_pupils_from_dfe(on_network: Path) -> None:
    at = open_page(PAGE, local=True, measure="ehc_requests", by="ethnicity", la="206")
    assert_clean(at)
    [own] = tables_with(at, "Ratio (95% interval)")
    islington = own[(own["Authority"] == "Islington") & (own["Group"] == "Black")].iloc[0]
    assert islington["Count"] == "123" and islington["Of"] == "5,461"
    assert set(own["Authority"]) >= {"Islington", "London", "England", "Network (pooled)"}
    assert "January 2022" in texts(at)


@pytest.mark.parametrize("measure_id", list(inequalities.MEASURES))
def test_every_measure_and_breakdown_opens(measure_id: str, on_network: Path) -> None:
    for by in inequalities.MEASURES[measure_id].breakdowns():
        at = open_page(PAGE, local=True, measure=measure_id, by=by, la="202", period="2026-27 Q2")
        assert_clean(at)
        assert at.title[0].value == "Inequalities"


def test_my_authority_ends_with_its_inequalities(on_network: Path) -> None:
    at = open_page("pages/my_authority.py", local=True, la="202", period="2026-27 Q2")
    assert_clean(at)
    assert at.expander[-1].label == "Inequalities: where Camden's groups differ"
    [table] = tables_with(at, "Network ratio")
    late = table[table["Measure"].str.startswith("Social care advice not provided")]
    assert late[["Group", "Ratio (95% interval)", "Judgement"]].values.tolist() == [
        ["Black", "3.00 (1.91-4.72)", "▲ higher"], ["White", "0.33 (0.21-0.52)", "▼ lower"]]
