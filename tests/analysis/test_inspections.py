"""Area SEND inspections (issue 20): the Data to Insight summary read as it is, quirk by quirk; the chair's own
records; the likely-next list; the `inspections` command and its JSON contract; migration 8 on an old database.

Figures are read from data/published/ofsted_csc_send_overview.xlsx by hand (row of the authority, column named).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest
from support import return_csv

from benchmark import db as db_module
from benchmark.access import membership
from benchmark.access.rights import AccessDenied, Role, User, audit_log
from benchmark.analysis import engine, inspections
from benchmark.db import close_database, open_database
from benchmark.intake.returns import store_file
from benchmark.outputs import inspection_views
from benchmark.periods import Period

SUMMARY = inspections.BUNDLED_SUMMARY
CHAIR = User("chair@network.example", Role.CHAIR, None)
DSCO = User("dsco@camden.example", Role.DSCO, "202")
TODAY = dt.date(2026, 12, 7)
JSON_KEYS = ["la_code", "la_name", "outcome", "inspection_end", "published", "next_due_by", "next_due_kind",
             "months_since"]


@pytest.fixture(scope="module")
def summary() -> dict[str, inspections.Inspection]:
    return {item.la_code: item for item in inspections.read_summary(SUMMARY)}


def test_every_authority_of_the_summary_is_read(summary):
    assert len(summary) == 72


def test_lewisham_as_the_file_says(summary):
    # Lewisham (209): outcome_grade 2.0, inspection_end_date 27/09/24, publication_date 20/11/24,
    # next_inspection "3 years", next_inspection_by_date 23/09/27.
    assert summary["209"] == inspections.Inspection(
        "209", "inconsistent experiences", dt.date(2024, 9, 27), dt.date(2024, 11, 20), dt.date(2027, 9, 23), "full")


def test_dd_mm_yy_dates_are_read_day_first():
    assert inspections.parse_date("04/02/25") == dt.date(2025, 2, 4)  # 4 February, not 2 April
    assert inspections.parse_date("18/11/2029") == dt.date(2029, 11, 18)
    assert inspections.parse_date(dt.datetime(2025, 2, 4)) == dt.date(2025, 2, 4)  # a newer copy with real dates


def test_01_01_1900_means_none():
    assert inspections.parse_date("01/01/1900") is None
    assert inspections.parse_date(dt.datetime(1900, 1, 1)) is None


def test_next_inspection_time_frame_not_found_is_not_stated_never_invented(summary):
    # Enfield (308): next_inspection "None", next_inspection_by_date "Next inspection time frame not found".
    enfield = summary["308"]
    assert enfield.outcome == "inconsistent experiences" and enfield.inspection_end == dt.date(2023, 3, 24)
    assert enfield.next_due_by is None and enfield.next_due_kind is None


def test_an_authority_with_no_grade_has_no_outcome(summary, tmp_db):
    # Slough (871): outcome_grade "nan", inspected to 11/07/25, published 06/11/25.
    slough = summary["871"]
    assert slough.outcome is None
    assert (slough.inspection_end, slough.published) == (dt.date(2025, 7, 11), dt.date(2025, 11, 6))
    view = inspection_views.likely_next_view(inspections.likely_next(tmp_db, ["871"], TODAY))
    assert view.loc[0, "Outcome"] == "no grade in the summary"
    assert view.loc[0, "Next inspection"] == "not stated"


def test_a_report_with_no_inspection_dates_keeps_its_publication_date(summary):
    # Cambridgeshire (873): inspection dates blank, next_inspection_by_date "Last inspection date not provided".
    cambridgeshire = summary["873"]
    assert cambridgeshire.inspection_end is None and cambridgeshire.published == dt.date(2025, 5, 13)
    assert cambridgeshire.next_due_by is None


def test_a_monitoring_inspection_follows_widespread_failings(summary):
    # Bracknell Forest (867): grade 3.0, next_inspection "18 months", by 03/08/26.
    assert (summary["867"].outcome, summary["867"].next_due_kind, summary["867"].next_due_by) == (
        "widespread or systemic failings", "monitoring", dt.date(2026, 8, 3))


def test_a_changed_layout_is_refused_naming_the_missing_column(tmp_path):
    workbook = openpyxl.load_workbook(SUMMARY)
    workbook.active["H1"] = "grade"
    changed = tmp_path / "summary.xlsx"
    workbook.save(changed)
    with pytest.raises(inspections.SummaryLayoutChanged, match="no column outcome_grade"):
        inspections.read_summary(changed)


def test_likely_next_order_and_due_dates_passed(tmp_db):
    members = ["209", "308", "867", "202", "871"]
    table = inspections.likely_next(tmp_db, members, TODAY).set_index("la_code")
    order = list(table.index)
    # Camden (202) has no inspection under the framework in the summary: first. Then by due date: Bracknell
    # Forest's monitoring by 3 Aug 2026 (passed on 7 Dec 2026), Lewisham by 23 Sep 2027; then those with no date,
    # longest since inspected first: Enfield (Mar 2023), Slough (Jul 2025).
    assert order == ["202", "867", "209", "308", "871"]
    assert table.loc["867", "due_passed"] and not table.loc["209", "due_passed"]
    assert table.loc["209", "months_since"] == 26  # 27 Sep 2024 to 7 Dec 2026
    assert table.loc["202", "months_since"] is None


def test_months_between_counts_whole_months():
    assert inspections.months_between(dt.date(2024, 9, 27), dt.date(2026, 12, 7)) == 26
    assert inspections.months_between(dt.date(2024, 9, 7), dt.date(2026, 12, 7)) == 27


def test_the_chair_records_an_inspection_the_file_does_not_have_yet(tmp_db):
    recorded = inspections.record_inspection(tmp_db, CHAIR, inspections.Inspection(
        "202", "positive experiences", dt.date(2026, 10, 16), dt.date(2026, 11, 30), dt.date(2031, 10, 12), "full"))
    assert recorded.source == inspections.RECORDED
    table = inspections.likely_next(tmp_db, ["202", "209"], TODAY).set_index("la_code")
    assert table.loc["202", "outcome"] == "positive experiences"
    assert table.loc["202", "months_since"] == 1
    assert list(table.index) == ["209", "202"]  # Camden is now due last
    log = audit_log(tmp_db, CHAIR)
    assert "inspection recorded" in set(log["action"])


def test_only_the_chair_records_and_a_bad_record_stores_nothing(tmp_db):
    camden = inspections.Inspection("202", "positive experiences", dt.date(2026, 10, 16), None, None, None)
    with pytest.raises(AccessDenied):
        inspections.record_inspection(tmp_db, DSCO, camden)
    with pytest.raises(ValueError, match="published 01/10/2026 is before the inspection ended"):
        inspections.record_inspection(tmp_db, CHAIR, inspections.Inspection(
            "202", None, dt.date(2026, 10, 16), dt.date(2026, 10, 1), None, None))
    with pytest.raises(ValueError, match="both the next inspection's date and its kind"):
        inspections.record_inspection(tmp_db, CHAIR, inspections.Inspection(
            "202", None, dt.date(2026, 10, 16), None, dt.date(2029, 10, 1), None))
    assert tmp_db.scalar("SELECT count(*) FROM inspections") == 0


def test_a_newer_copy_of_the_summary_loads_without_a_code_change(tmp_db, tmp_path):
    workbook = openpyxl.load_workbook(SUMMARY)
    sheet = workbook.active
    header = [cell.value for cell in sheet[1]]
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, header.index("la_code") + 1).value == "209")
    sheet.cell(row, header.index("inspection_end_date") + 1).value = dt.datetime(2027, 6, 4)  # a real date cell
    sheet.cell(row, header.index("outcome_grade") + 1).value = 1
    newer = tmp_path / "ofsted_csc_send_overview.xlsx"
    workbook.save(newer)

    assert inspections.load_summary(tmp_db, CHAIR, newer) == 72
    lewisham = {item.la_code: item for item in inspections.latest_inspections(tmp_db)}["209"]
    assert (lewisham.outcome, lewisham.inspection_end) == ("positive experiences", dt.date(2027, 6, 4))


def test_inspections_command_json_contract(tmp_path, benchmark_cli):
    path = tmp_path / "cli.duckdb"
    result = benchmark_cli("inspections", "--format", "json", "--today", "2026-12-07", db=path)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert len(rows) == 72 and all(list(row) == JSON_KEYS for row in rows)
    lewisham = next(row for row in rows if row["la_code"] == "209")
    assert lewisham == {"la_code": "209", "la_name": "Lewisham", "outcome": "inconsistent experiences",
                        "inspection_end": "2024-09-27", "published": "2024-11-20", "next_due_by": "2027-09-23",
                        "next_due_kind": "full", "months_since": 26}
    enfield = next(row for row in rows if row["la_code"] == "308")
    assert enfield["next_due_by"] is None and enfield["next_due_kind"] is None


def test_inspections_command_records_and_lists_members_only(tmp_path, benchmark_cli):
    path = tmp_path / "cli.duckdb"
    assert benchmark_cli("network", "add", "Camden", "Lewisham", "--from", "2026-27 Q1", db=path).returncode == 0
    result = benchmark_cli("inspections", "record", "--la", "Camden", "--end", "2026-10-16", "--outcome", "positive",
                           "--published", "2026-11-30", "--next-by", "2031-10-12", "--next-kind", "full", db=path)
    assert result.returncode == 0, result.stderr
    listed = benchmark_cli("inspections", "--today", "2026-12-07", db=path)
    assert listed.returncode == 0, listed.stderr
    assert "Lewisham" in listed.stdout and "Camden" in listed.stdout and "Enfield" not in listed.stdout
    assert listed.stdout.index("Lewisham") < listed.stdout.index("Camden")
    bad = benchmark_cli("inspections", "record", "--la", "Camden", db=path)
    assert bad.returncode == 2 and "needs --la LA and --end DATE" in bad.stderr


def test_a_database_from_before_migration_8_upgrades_and_keeps_working(tmp_path, monkeypatch, example_row):
    path = tmp_path / "old.duckdb"
    monkeypatch.setattr(db_module, "MIGRATIONS", tuple(m for m in db_module.MIGRATIONS if m[0] < 8))
    old = open_database(path)
    period = Period.parse("2026-27 Q2")
    assert store_file(old, "old.csv", return_csv("advice", [example_row("advice", "202", period.label)]), "a",
                      today=TODAY).stored
    close_database(path)
    monkeypatch.undo()

    upgraded = open_database(path)
    try:
        assert upgraded.schema_version == 8
        assert set(engine.compare(upgraded, period, "adv_6wk_pct").dropna(subset=["value"])["la_code"]) == {"202"}
        assert membership.network_themes(upgraded) == ("short_breaks", "advice", "transitions")
        inspections.record_inspection(upgraded, CHAIR, inspections.Inspection(
            "202", None, dt.date(2026, 10, 16), None, None, None))
        assert upgraded.scalar("SELECT count(*) FROM inspections") == 1
    finally:
        close_database(path)


def test_the_shipped_copy_is_the_shared_file():
    shared = Path("/work/shared/published") / SUMMARY.name
    if not shared.exists():
        pytest.skip("the shared copy is not on this machine")
    assert SUMMARY.read_bytes() == shared.read_bytes()


def test_the_likely_next_view_is_one_arrow_type_per_column(tmp_db):
    # Members never inspected (blank months) beside inspected ones (a number): the page's grid serialises each
    # column to Arrow, and a column of numbers and blanks logged a traceback on the server.
    import pyarrow as pa

    view = inspection_views.likely_next_view(inspections.likely_next(tmp_db, ["202", "209", "871"], TODAY))
    assert set(view["Months since"].map(type)) == {str}
    assert pa.Table.from_pandas(view).num_rows == 3
