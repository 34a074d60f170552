"""Published context for the network's newer topics (issue 20), checked against the files by hand, and the SEND
Tribunal appeal rate table read as it is laid out for print.

Each expected figure was read from the file named in its comment (the row, then the column), not computed by the
code under test. Populations (data/reference/population_0_17.csv, 2024): Camden (202) 35,276; England 12,183,016.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from benchmark.analysis import published_measures as pm
from benchmark.analysis import tribunal
from benchmark.analysis.published import load_published
from benchmark.db import close_database, open_database
from benchmark.definitions.published_catalogue import MEASURES
from benchmark.reference import DATA_DIR, area_population

PUBLISHED = DATA_DIR / "published"
TRIBUNAL_FILE = PUBLISHED / "SEND Tribunals and appeal rate 2014-2024.csv"
NEW_FILES = [PUBLISHED / name for name in (
    "residential_settings.csv", "annual_reviews.csv", "personal_budgets.csv", TRIBUNAL_FILE.name)]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("new_context") / "context.duckdb"
    database = open_database(path)
    load_published(database, NEW_FILES)
    yield database
    close_database(path)


def figure(db, measure_id: str, code: str, period: str) -> float:
    values = pm.measure_values(db, MEASURES[measure_id])
    row = values[(values["code"] == code) & (values["period"] == period)]
    assert len(row) == 1, (measure_id, code, period)
    return float(row["value"].iloc[0])


def test_the_files_are_byte_for_byte_copies_of_the_shared_ones():
    shared = Path("/work/shared/published")
    if not shared.exists():
        pytest.skip("the shared copies are not on this machine")
    for path in [*NEW_FILES, PUBLISHED / "ofsted_csc_send_overview.xlsx"]:
        assert path.read_bytes() == (shared / path.name).read_bytes(), path.name


def test_residential_settings_per_10000_and_52_week_share_by_hand(db):
    assert area_population("202", 2024) == 35_276
    # residential_settings.csv, 202425, Camden, All residential placements: Res_3851 5, Res_52 1, Res_tot 6.
    assert figure(db, "ehcp_residential_per_10k", "202", "202425") == pytest.approx(6 / 35_276 * 10_000)  # 1.70
    assert figure(db, "ehcp_residential_52wk_pct", "202", "202425") == pytest.approx(100 / 6)  # 16.7%
    # Same file, 202425, National, All residential placements: Res_3851 1,396, Res_52 825, Res_tot 2,221: 37.1%.
    assert figure(db, "ehcp_residential_52wk_pct", "England", "202425") == pytest.approx(825 / 2_221 * 100)
    assert MEASURES["ehcp_residential_per_10k"].when("202425") == "Jan 2025"


def test_annual_reviews_decided_within_4_weeks_by_hand(db):
    # annual_reviews.csv, 2024, Camden, All annual reviews: pc_decsion_4weeks 44.2; National 44.4.
    assert figure(db, "ar_decision_4wk_pct", "202", "2024") == 44.2
    assert figure(db, "ar_decision_4wk_pct", "England", "2024") == 44.4


def test_personal_budgets_with_a_social_care_element_by_hand(db):
    # personal_budgets.csv, 202425, National, All personal budgets: personal_budget 19,596, pb_social 12,580.
    assert figure(db, "pb_social_care_pct", "England", "202425") == pytest.approx(12_580 / 19_596 * 100)  # 64.2%
    assert figure(db, "pb_social_care_per_10k", "England", "202425") == pytest.approx(
        12_580 / area_population("England", 2024) * 10_000)
    # Camden 202425: personal_budget 4, pb_social 0: a real 0%, not a missing figure.
    assert figure(db, "pb_social_care_pct", "202", "202425") == 0.0


def test_tribunal_table_read_by_hand_for_two_authorities_and_england():
    rows = tribunal.tidy(TRIBUNAL_FILE).set_index(["old_la_code", "time_period"])
    # Camden, LA code 202: 2024 columns AG-AI read 53, "1,636", 3.20%; 2014 read 17, 974, 1.70%.
    assert rows.loc[("202", "2024"), ["appeals_registered", "appealable_decisions", "appeal_rate"]].tolist() == [
        "53", "1,636", "3.20"]
    assert rows.loc[("202", "2014"), "appeal_rate"] == "1.70"
    # Darlington, LA code 841: 2014 reads " - " appeals (none), 450 decisions, 0.00%; 2024 reads 8, "1,192", 0.70%.
    assert rows.loc[("841", "2014"), ["appeals_registered", "appealable_decisions", "appeal_rate"]].tolist() == [
        "0", "450", "0.00"]
    assert rows.loc[("841", "2024"), "appeal_rate"] == "0.70"
    # "England Total4,9": 2024 reads "22,276", "689,739", 3.20% (not the "In development" columns: 6.10%).
    england = tribunal.tidy(TRIBUNAL_FILE)
    england = england[(england["geographic_level"] == "National") & (england["time_period"] == "2024")]
    assert england[["appeals_registered", "appealable_decisions", "appeal_rate"]].values.tolist() == [
        ["22,276", "689,739", "3.20"]]


def test_tribunal_table_leaves_out_regions_merged_authorities_and_notes():
    rows = tribunal.tidy(TRIBUNAL_FILE)
    names = set(rows["la_name"])
    assert not names & {"LONDON", "NORTH EAST", "Bournemouth", "Poole", "Sources:"}
    assert sorted(rows["time_period"].unique()) == [str(year) for year in range(2014, 2025)]
    assert rows.groupby("time_period").size().nunique() == 1  # one row per authority and England each year


def test_tribunal_appeal_rate_through_the_catalogue(db):
    assert figure(db, "send_tribunal_appeal_rate", "202", "2024") == 3.2
    assert figure(db, "send_tribunal_appeal_rate", "841", "2024") == 0.7
    assert figure(db, "send_tribunal_appeal_rate", "England", "2024") == 3.2
    values = pm.measure_values(db, MEASURES["send_tribunal_appeal_rate"])
    # Symbols kept: '..' (not available) becomes EES 'x', '~' (suppressed) 'c'.
    assert set(values["symbol"].dropna()) <= {"x", "c"}


def test_a_changed_tribunal_layout_is_refused_with_a_clear_message(tmp_path):
    text = TRIBUNAL_FILE.read_bytes().decode("utf-8-sig")
    moved = tmp_path / TRIBUNAL_FILE.name
    moved.write_text(text.replace("LA code", "Code"), encoding="utf-8")
    with pytest.raises(tribunal.TribunalLayoutChanged, match="no heading row starting 'Local Authority, LA code'"):
        tribunal.tidy(moved)
    merged = tmp_path / "SEND Tribunals 2014-2025.csv"
    merged.write_text(text.replace("SEND Tribunal Appeal Rate2", "Rate"), encoding="utf-8")
    with pytest.raises(tribunal.TribunalLayoutChanged, match="has not all three"):
        tribunal.tidy(merged)


def test_a_windows_1252_copy_of_the_tribunal_table_reads_the_same(tmp_path):
    copy = tmp_path / TRIBUNAL_FILE.name
    copy.write_bytes(TRIBUNAL_FILE.read_bytes().decode("utf-8-sig").replace("LA's", "LA\u2019s").encode("cp1252"))
    assert tribunal.tidy(copy).equals(tribunal.tidy(TRIBUNAL_FILE))


def test_a_newer_release_of_the_tribunal_table_loads_as_it_is(tmp_path):
    newer = tmp_path / "SEND Tribunals and appeal rate 2014-2025.csv"
    shutil.copy(TRIBUNAL_FILE, newer)
    assert pm.source_family(newer.stem) == MEASURES["send_tribunal_appeal_rate"].source
    assert tribunal.is_tribunal_table(newer)
