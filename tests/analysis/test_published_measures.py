"""The published-measure catalogue against DfE's real files, with figures checked by hand.

Every expected number below was read from the file named in its comment (row filter, column), not
computed by the code under test. Populations come from data/reference/population_0_17.csv, 2024
rows: Camden (202) 35,276; Islington (206) 35,624; London (E12000007) 1,916,086; England 12,183,016.
"""

from __future__ import annotations

import csv
import math
import shutil
from pathlib import Path

import pandas as pd
import pytest

from benchmark.analysis import published_measures as pm
from benchmark.analysis import tribunal
from benchmark.analysis.published import load_published
from benchmark.db import Database, close_database, open_database
from benchmark.definitions import published_catalogue as catalogue
from benchmark.definitions.metrics import metrics_for_theme
from benchmark.definitions.standard import THEMES
from benchmark.reference import DATA_DIR

PUBLISHED = DATA_DIR / "published"
FILES = sorted(path for path in PUBLISHED.glob("*.csv") if path.name != "sen2_dmo_dco.csv")


@pytest.fixture(scope="module")
def real_db(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("context") / "context.duckdb"
    database = open_database(path)
    load_published(database, FILES)
    yield database
    close_database(path)


def _row(frame: pd.DataFrame, measure_id: str) -> dict:
    return frame.set_index("measure").loc[measure_id].to_dict()


def test_catalogue_covers_each_theme_and_every_column_exists() -> None:
    # Every theme with figures has published context; DfE publishes nothing on how the DSCO role is set up.
    assert {measure.theme for measure in catalogue.CATALOGUE} == {theme for theme in THEMES if metrics_for_theme(theme)}
    headers = {}
    for path in PUBLISHED.glob("*.csv"):
        if tribunal.is_tribunal_table(path):  # laid out for print: its columns once read as it is
            headers.setdefault(pm.source_family(path.stem), set()).update(tribunal.tidy(path).columns)
            continue
        with path.open(encoding="utf-8-sig", newline="") as handle:
            headers.setdefault(pm.source_family(path.stem), set()).update(next(csv.reader(handle)))
    for measure in catalogue.CATALOGUE:
        assert measure.source in headers, f"{measure.id}: no file of series {measure.source} in data/published"
        for column in (measure.indicator, measure.minus, measure.over):
            assert column is None or column in headers[measure.source], f"{measure.id}: no column {column}"
    assert len(catalogue.MEASURES) == len(catalogue.CATALOGUE), "ids are unique"


def test_source_family_takes_the_years_out() -> None:
    assert pm.source_family("b2_children_in_need_recorded_disability_2013_to_2024") == \
        pm.source_family("b2_children_in_need_recorded_disability_2013_to_2025") == catalogue.B2
    assert pm.source_family("UD_NEETNK_LA_dashboard_2023_final") == catalogue.NEET
    assert pm.source_family("UD_NEETNK_LA_dashboard_final") == catalogue.NEET
    assert pm.source_family("timeliness_20_week") == "timeliness_20_week"


# (measure, Camden value, Islington value, London value, England value), latest period 2024.
HAND_CHECKED = [
    # b2 file, time_period 2024, category "Recorded disability", column At31_episodes_disability_recorded.
    ("cin_disability_count", 429, 256, 11280, 54510),
    # same rows, column At31_episodes_disability_recorded_percent.
    ("cin_disability_pct", 24.1, 13.6, 16.0, 13.6),
    # the counts above over the 2024 population x 10,000: 429/35276, 256/35624, 11280/1916086, 54510/12183016.
    ("cin_disability_per_10k", 121.6124, 71.8617, 58.8700, 44.7426),
    # b3 file, 2024, column N2_Childs_disability_or_illness: 301, 115, 8180, 32150; over the populations.
    ("cin_n2_per_10k", 85.3271, 32.2816, 42.6912, 26.3892),
    # short-term placements file, 2024, column number: Camden 0, Islington 0, London 40, England 570.
    ("cla_short_breaks_only", 0, 0, 40, 570),
    # timeliness_20_week, 2024, breakdown "All EHC plans issued", column PC_plans_issued_20_weeks_ex.
    ("ehcp_20wk_excl_pct", 96.6, 79.5, 66.9, 46.4),
    # same rows, column pc_plans_issued_within_20_weeks.
    ("ehcp_20wk_incl_pct", 96.1, 78.6, 64.7, 45.9),
    # requests, 2024, breakdown "All requests for EHC needs assessments", requests_received_in_year 246, 511,
    # 21583, 154489, over the populations.
    ("ehc_requests_per_10k", 69.7358, 143.4426, 112.6411, 126.8069),
    # same rows, column request_outcome_six_weeks_pc.
    ("ehc_requests_6wk_pct", 100.0, 72.2, 84.5, 84.8),
    # UD_NEETNK_LA_dashboard_2024_final, Age 16-17, column NEET_NK_EHCP_percent.
    ("neet_nk_ehcp_pct", 7.9, 5.1, 6.3, 10.2),
    # same rows, column NEET_NK_noSEN_percent.
    ("neet_nk_nosen_pct", 2.6, 3.6, 2.9, 4.7),
    # the two above subtracted: 7.9-2.6, 5.1-3.6, 6.3-2.9, 10.2-4.7.
    ("neet_nk_ehcp_gap_ppts", 5.3, 1.5, 3.4, 5.5),
    # same rows, column cohort_EHCP_percent.
    ("cohort_ehcp_pct", 3.1, 4.9, 4.6, 4.9),
]


@pytest.mark.parametrize(("measure_id", "camden", "islington", "london", "england"), HAND_CHECKED)
def test_figures_match_the_files(real_db: Database, measure_id: str, camden: float, islington: float,
                                 london: float, england: float) -> None:
    for la_code, expected in (("202", camden), ("206", islington)):
        row = _row(pm.comparisons(real_db, la_code), measure_id)
        assert row["period"] == "2024"
        assert row["value"] == pytest.approx(expected, abs=1e-4)
        assert pd.isna(row["symbol"])
        assert row["region"] == pytest.approx(london, abs=1e-4)
        assert row["england"] == pytest.approx(england, abs=1e-4)


def test_neighbours_rank_and_band_for_camden(real_db: Database) -> None:
    rows = pm.comparisons(real_db, "202", "short_breaks")
    # Camden's 10 neighbours (statistical_neighbours_2025.csv): Islington, Hackney, Hammersmith and Fulham,
    # Haringey, Kensington and Chelsea, Lambeth, Lewisham, Southwark, Westminster, Barnet. b2 2024
    # At31_episodes_disability_recorded_percent: 13.6, 12.8, 5.5, 18.7, 7.5, 4.2, 18.8, 17.4, 7.8, 9.8.
    pct = _row(rows, "cin_disability_pct")
    assert pct["sn_reported"] == 10
    assert pct["sn_mean"] == pytest.approx(116.1 / 10)
    assert pct["sn_median"] == pytest.approx((9.8 + 12.8) / 2)
    # 153 authority rows in 2024; Hampshire 'u', City of London and Isles of Scilly 'c' have no number.
    assert pct["rank_of"] == 150
    assert pct["rank"] == 8 and pct["quartile_band"] == "A"  # neutral: ranked and banded high to low
    # Short-term placements 2024: Southwark is 'c', so 9 of 10 reported; Lewisham 16, the rest 0.
    cla = _row(rows, "cla_short_breaks_only")
    assert cla["sn_reported"] == 9
    assert cla["sn_mean"] == pytest.approx(16 / 9)
    assert cla["sn_median"] == 0


def test_lower_is_better_ranks_the_smallest_first(real_db: Database) -> None:
    values = pm.measure_values(real_db, catalogue.MEASURES["neet_nk_ehcp_pct"])
    latest = values[(values["period"] == "2024") & (values["level"] == "Local authority")].dropna(subset=["value"])
    best = latest.loc[latest["value"].idxmin(), "code"]
    worst = latest.loc[latest["value"].idxmax(), "code"]
    assert _row(pm.comparisons(real_db, best), "neet_nk_ehcp_pct")["rank"] == 1
    assert _row(pm.comparisons(real_db, best), "neet_nk_ehcp_pct")["quartile_band"] == "A"
    assert _row(pm.comparisons(real_db, worst), "neet_nk_ehcp_pct")["quartile_band"] == "D"


def test_symbols_never_become_numbers(real_db: Database) -> None:
    # b2 2024: City of London's At31_episodes_disability_recorded is 'c'.
    city = pm.comparisons(real_db, "201", "short_breaks")
    for measure_id in ("cin_disability_count", "cin_disability_pct", "cin_disability_per_10k"):
        row = _row(city, measure_id)
        assert pd.isna(row["value"]) and row["symbol"] == "c"
        assert pd.isna(row["rank"]) and pd.isna(row["quartile_band"])
        assert row["england"] == pytest.approx({"cin_disability_count": 54510, "cin_disability_pct": 13.6,
                                                "cin_disability_per_10k": 44.7426}[measure_id], abs=1e-4)
    for measure in catalogue.CATALOGUE:
        values = pm.measure_values(real_db, measure)
        assert not (values["value"].notna() & values["symbol"].notna()).any(), measure.id
        assert values["symbol"].notna().sum() + values["value"].notna().sum() == len(values), measure.id
    # Every 'c' in the short-term placements file (column number) stays a 'c', none is a 0.
    with (PUBLISHED / f"{catalogue.CLA}.csv").open(encoding="utf-8-sig", newline="") as handle:
        suppressed = sum(1 for row in csv.DictReader(handle) if row["number"].strip() == "c")
    values = pm.measure_values(real_db, catalogue.MEASURES["cla_short_breaks_only"])
    assert (values["symbol"] == "c").sum() == suppressed > 0


def test_trend_runs_over_every_year_published(real_db: Database) -> None:
    trend = pm.trend(real_db, catalogue.MEASURES["cin_disability_count"], "202")
    assert trend["period"].tolist() == [str(year) for year in range(2013, 2025)]
    # NEET: two files, two years; 2023 file, Camden NEET_NK_EHCP_percent 5.4, NEET_NK_noSEN_percent 2.0.
    neet = pm.trend(real_db, catalogue.MEASURES["neet_nk_ehcp_gap_ppts"], "202").set_index("period")
    assert neet.loc["2023", "value"] == pytest.approx(3.4)
    assert neet.loc["2024", "value"] == pytest.approx(5.3)


def test_readable_row_keeps_symbols_and_counts_neighbours(real_db: Database) -> None:
    table = pm.context_table(real_db, "201", "short_breaks").set_index("measure")
    assert table.loc["cin_disability_count", "Value"] == "c"
    assert table.loc["cin_disability_count", "England"] == "54,510"
    assert table.loc["cin_disability_count", "Rank in England"] == "- of 150"
    assert table.loc["cin_disability_pct", "Neighbours reported"].endswith("of 10")


# --- new releases load as they are ---------------------------------------------------------------------

def _next_release(source: Path, target: Path, year: str, transform) -> Path:
    """A copy of a real file as next year's release: the latest year's rows relabelled, then changed."""
    frame = pd.read_csv(source, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    latest = frame[frame["time_period"] == frame["time_period"].max()].copy()
    latest["time_period"] = year
    transform(latest).to_csv(target, index=False)
    return target


@pytest.fixture
def fresh_db(tmp_path: Path):
    path = tmp_path / "release.duckdb"
    database = open_database(path)
    load_published(database, [PUBLISHED / f"{catalogue.B2}_2013_to_2024.csv",
                              PUBLISHED / "UD_NEETNK_LA_dashboard_2024_final.csv"])
    yield database
    close_database(path)


def test_next_years_release_with_changed_columns_becomes_the_latest(fresh_db: Database, tmp_path: Path) -> None:
    def b2_2025(frame: pd.DataFrame) -> pd.DataFrame:
        frame.loc[frame["old_la_code"] == "202", "At31_episodes_disability_recorded"] = "500"
        frame["Sensory_percent"] = "1.0"  # a column added
        extra = frame.head(1).assign(category="Recorded disability, provisional")  # a new filter value
        extra["At31_episodes_disability_recorded"] = "999999"
        return pd.concat([extra, frame])[list(reversed(frame.columns))]  # columns reordered

    def neet_2025(frame: pd.DataFrame) -> pd.DataFrame:
        frame.loc[frame["old_la_code"] == "202", "NEET_NK_EHCP_percent"] = "9.9"
        return frame.drop(columns=["NEET_percent"]).assign(new_measure_percent="2.0")  # removed and added

    b2 = _next_release(PUBLISHED / f"{catalogue.B2}_2013_to_2024.csv",
                       tmp_path / f"{catalogue.B2}_2013_to_2025.csv", "2025", b2_2025)
    neet = _next_release(PUBLISHED / "UD_NEETNK_LA_dashboard_2024_final.csv",
                         tmp_path / "UD_NEETNK_LA_dashboard_2025_final.csv", "2025", neet_2025)
    load_published(fresh_db, [b2, neet])
    rows = pm.comparisons(fresh_db, "202")
    count = _row(rows, "cin_disability_count")
    assert count["period"] == "2025" and count["value"] == 500
    assert count["england"] == 54510, "the new filter value's row is not mixed in"
    assert _row(rows, "neet_nk_ehcp_pct")["period"] == "2025"
    assert _row(rows, "neet_nk_ehcp_pct")["value"] == pytest.approx(9.9)
    # Both releases publish 2024: the trend has each year once, and the earlier years are still there.
    trend = pm.trend(fresh_db, catalogue.MEASURES["cin_disability_count"], "202")
    assert trend["period"].tolist() == [str(year) for year in range(2013, 2026)]
    assert trend.set_index("period").loc["2024", "value"] == 429
    assert pm.trend(fresh_db, catalogue.MEASURES["neet_nk_ehcp_pct"], "202")["period"].tolist() == ["2024", "2025"]


def test_a_file_no_measure_reads_still_loads(fresh_db: Database, tmp_path: Path) -> None:
    unknown = tmp_path / "la_children_adopted_2024.csv"
    shutil.copy(PUBLISHED / f"{catalogue.CLA}.csv", unknown)
    before = pm.comparisons(fresh_db, "202")
    [summary] = load_published(fresh_db, [unknown])
    assert summary.source == "la_children_adopted_2024"
    assert fresh_db.scalar("SELECT count(*) FROM published WHERE source = 'la_children_adopted_2024'") == summary.rows
    after = pm.comparisons(fresh_db, "202")
    pd.testing.assert_frame_equal(before, after)


def test_nothing_loaded_gives_empty_rows_not_errors(tmp_path: Path) -> None:
    path = tmp_path / "empty.duckdb"
    database = open_database(path)
    try:
        rows = pm.comparisons(database, "202")
        assert len(rows) == len(catalogue.CATALOGUE)
        assert rows["period"].isna().all() and rows["value"].isna().all()
        assert (rows["sn_reported"] == 0).all()
    finally:
        close_database(path)


def test_format_keeps_symbols() -> None:
    measure = catalogue.MEASURES["cin_disability_pct"]
    assert measure.format(13.6) == "13.6%"
    assert measure.format(math.nan, "c") == "c"
    assert measure.format(None) == "-"
    assert catalogue.MEASURES["neet_nk_ehcp_gap_ppts"].format(5.5) == "5.5 ppts"


# --- the joined measure: short-break reach relative to CIN with a recorded disability -------------------

def test_reach_for_a_small_network(tmp_db: Database, make_csv, example_row, today) -> None:
    """Three authorities, one theme, one quarter: Camden and Islington against b2's 31 March 2024
    (Camden 429, Islington 256), City of London's 'c' left empty rather than taken from 2023."""
    from benchmark.intake.returns import store_file
    from benchmark.periods import Period

    period = "2025-26 Q1"
    rows = [example_row("short_breaks", code, period, sb_children_total=total)
            for code, total in (("202", 400), ("206", 320), ("201", 310))]
    assert store_file(tmp_db, "short_breaks.csv", make_csv("short_breaks", rows), "test", today=today).stored
    load_published(tmp_db, [PUBLISHED / f"{catalogue.B2}_2013_to_2024.csv"])
    frame, label = pm.reach_vs_cin(tmp_db, Period.parse(period))
    reach = frame.set_index("la_code")
    assert reach.loc["202", "value"] == pytest.approx(400 / 429 * 100)
    assert reach.loc["206", "value"] == pytest.approx(320 / 256 * 100)
    assert math.isnan(reach.loc["201", "value"]) and reach.loc["201", "cin_shown"] == "c"
    assert f"Children receiving short breaks in {period}" in label and "31 March 2024" in label
    assert "mixes two kinds of count" in label


def test_reach_uses_no_census_after_the_quarter(tmp_db: Database, make_csv, example_row, today) -> None:
    """A quarter ending before 31 March 2024 is read against the census of 31 March 2023 (Camden 469)."""
    from benchmark.intake.returns import store_file
    from benchmark.periods import Period

    period = "2023-24 Q3"  # October-December 2023
    rows = [example_row("short_breaks", "202", period, sb_children_total=400, sb_statement_reviewed="2023-06-30")]
    assert store_file(tmp_db, "short_breaks.csv", make_csv("short_breaks", rows), "test", today=today).stored
    load_published(tmp_db, [PUBLISHED / f"{catalogue.B2}_2013_to_2024.csv"])
    frame, label = pm.reach_vs_cin(tmp_db, Period.parse(period))
    # b2 file, time_period 2023, Camden, At31_episodes_disability_recorded: 469.
    assert frame.set_index("la_code").loc["202", "value"] == pytest.approx(400 / 469 * 100)
    assert "31 March 2023" in label


def test_a_measure_whose_file_is_not_loaded_reads_not_loaded() -> None:
    # In a comparison frame a measure with no rows has a missing (NaN) period, which is truthy.
    measure = catalogue.MEASURES["ehcp_20wk_excl_pct"]
    assert measure.when(float("nan")) == measure.when(None) == "not loaded"
    assert measure.when("2024") == "calendar 2024"
