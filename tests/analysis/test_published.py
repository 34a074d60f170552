"""The EES loader against DfE's real files (figures anyone can check) and a hand-made messy one."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pandas as pd
import pytest

from benchmark.analysis.published import dsco_in_post, load_published, series, twenty_week_comparators
from benchmark.db import Database, close_database, open_database
from benchmark.reference import DATA_DIR

PUBLISHED = DATA_DIR / "published"
REAL_FILES = [PUBLISHED / "timeliness_20_week.csv", PUBLISHED / "requests.csv", PUBLISHED / "sen2_dmo_dco.csv"]

MESSY = (
    "\ufeff time_period , time_identifier,geographic_level,country_code,country_name,region_code,region_name,"
    "new_la_code,old_la_code,la_name, pupils ,pc_in_time,officer_in_post\n"
    '2024,Calendar year,National,E92000001,England,,,,,," 1,234",46.4,Yes\n'
    "2024,Calendar year, Regional ,E92000001,England,E12000004,East Midlands,,,, 567 , c ,No\n"
    "2024,Calendar year,Local authority,E92000001,England,E12000008,South East,E10000002,,Buckinghamshire, k ,low,"
    "Recruiting\n"
    "2024,Calendar year,Local authority,E92000001,England,E12000007,London,E09000007, 202 ,Camden,0,,Yes\n"
    "2022,Calendar year,Local authority,E92000001,England,E12000002,North West,E10000006,909,Cumbria,12,50,No\n"
    "2024,Calendar year,Local authority,E92000001,England,E12000002,North West,E99999999,,Nowhere,3,1.5,Yes\n"
)


@pytest.fixture(scope="module")
def real_db(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("published") / "published.duckdb"
    database = open_database(path)
    load_published(database, REAL_FILES)
    yield database
    close_database(path)


@pytest.fixture
def db(tmp_path: Path):
    database = open_database(tmp_path / "test.duckdb")
    yield database
    close_database(tmp_path / "test.duckdb")


def _csv_rows(name: str) -> list[dict[str, str]]:
    with (PUBLISHED / name).open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_england_2024_within_20_weeks(real_db: Database) -> None:
    frame = twenty_week_comparators(real_db)
    england = frame[(frame.year == 2024) & (frame.geographic_level == "National")]
    assert england.name.tolist() == ["England"]
    assert england.pct_excl_exceptions.item() == pytest.approx(46.4)
    assert england.pct_incl_exceptions.item() == pytest.approx(45.9)


def test_camden_2019_including_exceptions(real_db: Database) -> None:
    frame = twenty_week_comparators(real_db)
    camden = frame[(frame.year == 2019) & (frame.old_la_code == "202")]
    assert camden.pct_incl_exceptions.item() == pytest.approx(93.1)
    assert set(frame.geographic_level) == {"National", "Regional", "Local authority"}
    assert not frame.duplicated(["year", "geographic_level", "region_code", "old_la_code"]).any()


def test_series_matches_indicator_in_any_case(real_db: Database) -> None:
    frame = series(real_db, "timeliness_20_week", "pc_plans_issued_20_weeks_ex", "National", "All EHC plans issued")
    assert frame.time_period.tolist() == ["2019", "2020", "2021", "2022", "2023", "2024"]
    assert frame.value.iloc[-1] == pytest.approx(46.4)


def test_symbols_are_kept_never_zero(real_db: Database) -> None:
    norfolk = series(real_db, "timeliness_20_week", "pc_plans_issued_within_20_weeks", "Local authority",
                     "All EHC plans issued")
    cell = norfolk[(norfolk.old_la_code == "926") & (norfolk.time_period == "2022")]
    assert cell.symbol.tolist() == ["x"]
    assert math.isnan(cell.value.item())

    rows = _csv_rows("timeliness_20_week.csv")
    indicators = list(rows[0])[12:]
    x_cells = sum(row[column].strip() == "x" for row in rows for column in indicators)
    assert x_cells > 0
    stored = real_db.scalar("SELECT count(*) FROM published WHERE source = 'timeliness_20_week' AND symbol = 'x'")
    assert stored == x_cells
    assert real_db.scalar("SELECT count(*) FROM published WHERE symbol IS NOT NULL AND value IS NOT NULL") == 0


def test_reloading_replaces_the_source(db: Database) -> None:
    first = load_published(db, [REAL_FILES[0]])
    version = db.data_version
    second = load_published(db, [REAL_FILES[0]])
    assert first == second
    assert db.scalar("SELECT count(*) FROM published") == first[0].rows
    assert db.data_version == version + 1


def test_dsco_2025_yes_count_matches_file(real_db: Database) -> None:
    expected = sum(row["des_so_care_off"].strip() == "Yes" for row in _csv_rows("sen2_dmo_dco.csv")
                   if row["time_period"].strip() == "2025")
    frame = dsco_in_post(real_db)
    answers = frame.loc[frame.year == 2025, "dsco_in_post"].tolist()
    assert sum(answer is True for answer in answers) == expected > 0
    before_2025 = frame.loc[frame.year < 2025]
    assert before_2025.dsco_in_post.map(lambda answer: answer is None).all()
    assert set(before_2025.status) == {"n/a"}
    assert "909" in set(frame.old_la_code)  # Cumbria, abolished in 2023, keeps its own code


def test_messy_file(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "messy.csv"
    path.write_text(MESSY, encoding="utf-8")
    [summary] = load_published(db, [path])
    assert summary.source == "messy"
    assert summary.indicators == ("pupils", "pc_in_time", "officer_in_post")
    assert summary.rows == 18
    assert summary.unresolved_authorities == ("E99999999 Nowhere",)

    frame = db.frame("SELECT * FROM published")
    assert set(frame.breakdown_topic) == set(frame.breakdown) == {"Total"}

    def cell(level: str, code: str | None, indicator: str):
        rows = frame[(frame.geographic_level == level) & (frame.indicator == indicator)]
        rows = rows[rows.old_la_code.isna()] if code is None else rows[rows.old_la_code == code]
        assert len(rows) == 1
        return rows.iloc[0]

    national = cell("National", None, "pupils")
    assert national.value == 1234.0
    assert pd.isna(national.region_code)  # NULL, not ""
    assert cell("Regional", None, "pupils").value == 567.0
    suppressed = cell("Regional", None, "pc_in_time")
    assert (suppressed.symbol, math.isnan(suppressed.value)) == ("c", True)

    buckinghamshire = cell("Local authority", "825", "pupils")
    assert buckinghamshire.la_name == "Buckinghamshire"
    assert (buckinghamshire.symbol, math.isnan(buckinghamshire.value)) == ("k", True)
    assert cell("Local authority", "825", "pc_in_time").symbol == "low"
    recruiting = cell("Local authority", "825", "officer_in_post")
    assert (recruiting.text_value, math.isnan(recruiting.value)) == ("Recruiting", True)

    camden = cell("Local authority", "202", "pupils")
    assert camden.value == 0.0  # a real zero stays a zero
    assert pd.isna(camden.symbol)
    blank = cell("Local authority", "202", "pc_in_time")
    assert (blank.symbol, math.isnan(blank.value)) == ("", True)
    assert cell("Local authority", "202", "officer_in_post").value == 1.0
    assert cell("Local authority", "909", "officer_in_post").value == 0.0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("geographic_level,la_name,value\nNational,,1\n", "no time_period column"),
        ("time_period,time_identifier,geographic_level,value\n", "has no rows"),
        ("time_period,time_identifier,geographic_level,note\n2024,Calendar year,National,text\n", "no indicator"),
    ],
)
def test_a_bad_file_loads_nothing(db: Database, tmp_path: Path, content: str, message: str) -> None:
    good = tmp_path / "good.csv"
    good.write_text(MESSY, encoding="utf-8")
    load_published(db, [good])
    before = db.frame("SELECT * FROM published ORDER BY ALL")
    bad = tmp_path / "bad.csv"
    bad.write_text(content, encoding="utf-8")
    good.write_text(MESSY.replace("46.4", "99.9"), encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_published(db, [good, bad])
    assert db.frame("SELECT * FROM published ORDER BY ALL").equals(before)
