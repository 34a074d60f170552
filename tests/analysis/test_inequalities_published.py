"""DfE's published breakdowns over the school census, checked by hand against the files for Camden (202),
Islington (206) and England, 2024 (census January 2022, the latest shipped). The expected figures were read
from the CSVs with a text editor's eye: each is written out with the file rows it sums."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from benchmark.analysis import inequalities
from benchmark.analysis.published import load_published
from benchmark.db import Database, close_database, open_database
from benchmark.reference import DATA_DIR

PUBLISHED = DATA_DIR / "published"
CENSUS = PUBLISHED / "spc_pupils_ethnicity_la_totals_201516_to_202122.csv"
FILES = [PUBLISHED / "requests.csv", PUBLISHED / "timeliness_20_week.csv", CENSUS]


@pytest.fixture(scope="module")
def real_db(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("inequalities") / "published.duckdb"
    database = open_database(path)
    load_published(database, FILES)
    yield database
    close_database(path)


def _table(db: Database, measure_id: str, by: str) -> tuple:
    measure = inequalities.MEASURES[measure_id]
    counts, note = inequalities.published_counts(db, measure, by, 2024)
    return inequalities.ratios(counts, measure.kind), note


def _row(frame, area: str, group: str):
    return frame[(frame["area"] == area) & (frame["group"] == group)].iloc[0]


def test_the_census_file_is_a_byte_for_byte_copy() -> None:
    shared = Path("/work/shared/published") / CENSUS.name
    if not shared.exists():
        pytest.skip("the shared copy is not on this machine")
    assert CENSUS.read_bytes() == shared.read_bytes()


def test_requests_per_10000_pupils_by_ethnicity(real_db: Database) -> None:
    frame, note = _table(real_db, "ehc_requests", "ethnicity")
    assert "January 2022" in note and "where their school is" in note
    # Camden, Black: requests 44 (Black African) + 4 (Black Caribbean) + 1 (any other Black) = 49; pupils
    # 3,060 + 469 + 365 = 3,894; 49 / 3,894 x 10,000 = 125.83.
    camden = _row(frame, "202", "Black")
    assert (camden.numerator, camden.denominator) == (49, 3894)
    assert camden.value == pytest.approx(125.8346, abs=1e-3)
    # Islington, Black: 88 + 26 + 9 = 123 requests over 3,901 + 1,119 + 441 = 5,461 pupils: 225.23.
    islington = _row(frame, "206", "Black")
    assert (islington.numerator, islington.denominator) == (123, 5461)
    assert islington.value == pytest.approx(225.2335, abs=1e-3)
    # England, Black: 5,152 + 1,515 + 1,347 = 8,014 over 338,614 + 82,402 + 65,501 = 486,517: 164.72.
    england = _row(frame, "E92000001", "Black")
    assert (england.numerator, england.denominator) == (8014, 486517)
    assert england.value == pytest.approx(164.7219, abs=1e-3)
    # The comparison side, worked independently from the CSVs: every classified group but Black.
    requests, pupils = _independent_rest("206")
    assert islington.comparison_value == pytest.approx(requests / pupils * 10_000)
    assert islington.ratio == pytest.approx(islington.value / islington.comparison_value)
    assert islington.judgement == "higher"  # Katz 95% interval 1.0105 to 1.5211


def _independent_rest(code: str) -> tuple[int, int]:
    """Requests and pupils of every classified group other than Black, for one authority (2024, 2021/22)."""
    with (PUBLISHED / "requests.csv").open(encoding="utf-8-sig", newline="") as handle:
        requests = sum(int(row["requests_received_in_year"]) for row in csv.DictReader(handle)
                       if row["time_period"] == "2024" and row["old_la_code"] == code
                       and row["breakdown_topic"] == "Ethnicity"
                       and row["breakdown"] not in ("Unclassified",) and not row["breakdown"].startswith("Black"))
    with CENSUS.open(encoding="utf-8-sig", newline="") as handle:
        pupils = sum(int(row["headcount"]) for row in csv.DictReader(handle)
                     if row["time_period"] == "202122" and row["old_la_code"] == code
                     and row["ethnicity"] not in ("Total", "Unclassified") and not row["ethnicity"].startswith("Black"))
    return requests, pupils


def test_refusals_by_sex(real_db: Database) -> None:
    frame, _ = _table(real_db, "ehc_refused", "sex")
    # Camden, Female: 6 decided not to assess, 92 decided to assess: 6 of 98 = 6.12%; under 10, too few.
    camden = _row(frame, "202", "Female")
    assert (camden.numerator, camden.denominator) == (6, 98)
    assert camden.judgement == "too few"
    # Islington, Female: 56 refused, 98 assessed: 56 of 154 = 36.36%; Male 65 of 65 + 205 = 270 = 24.07%.
    islington = _row(frame, "206", "Female")
    assert (islington.numerator, islington.denominator) == (56, 154)
    assert islington.value == pytest.approx(36.3636, abs=1e-3)
    assert islington.comparison_value == pytest.approx(100 * 65 / 270)
    assert islington.judgement == "higher"
    # England, Female: 15,295 refused, 34,588 assessed: 15,295 of 49,883 = 30.66%.
    england = _row(frame, "E92000001", "Female")
    assert (england.numerator, england.denominator) == (15295, 49883)
    assert england.value == pytest.approx(30.6617, abs=1e-3)


def test_plans_not_issued_within_20_weeks_by_ethnicity(real_db: Database) -> None:
    frame, _ = _table(real_db, "ehcp_late", "ethnicity")
    # Islington, Black: plans 65 + 12 + 6 = 83, within 20 weeks 54 + 9 + 4 = 67: 16 late, 19.28%.
    islington = _row(frame, "206", "Black")
    assert (islington.numerator, islington.denominator) == (16, 83)
    assert islington.value == pytest.approx(19.2771, abs=1e-3)
    # Camden, Black: plans 25 + 3 = 28 (no row for any other Black background), within 24 + 3 = 27: 1 late.
    camden = _row(frame, "202", "Black")
    assert (camden.numerator, camden.denominator) == (1, 28)
    assert camden.judgement == "too few"
    # England, Black: plans 3,690 + 985 + 927 = 5,602, within 2,017 + 546 + 531 = 3,094: 2,508 late, 44.77%.
    england = _row(frame, "E92000001", "Black")
    assert (england.numerator, england.denominator) == (2508, 5602)
    assert england.value == pytest.approx(44.7697, abs=1e-3)
    assert england.judgement == "lower"  # the rest of England: 55.16% late
