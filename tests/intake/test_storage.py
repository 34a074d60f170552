"""Storing returns in DuckDB (issue 2): all or nothing, resubmission, duplicates, original bytes,
concurrent uploads, a process killed mid-upload, a database held by another process, migrations,
and the demo network.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from benchmark import demo, reference
from benchmark.access import membership, network
from benchmark.analysis import cycle
from benchmark.db import MIGRATIONS, close_database, open_database
from benchmark.definitions.breakdowns import SUBMISSION_THEMES
from benchmark.definitions.standard import STANDARD_VERSION, THEMES
from benchmark.intake.returns import history, original_file, store_file
from benchmark.periods import Period, period_range

ROOT = Path(__file__).resolve().parents[2]
LONDON = "E12000007"
TABLES = ("submissions", "return_rows", "return_values")
ADVICE_VALUES = len(THEMES["advice"].fields)  # stored values per advice row, the optional ones included


def counts(db) -> dict[str, int]:
    return {table: db.scalar(f"SELECT count(*) FROM {table}") for table in TABLES}


def current_value(db, la_code, period, field):
    return db.scalar("SELECT value FROM current_values WHERE la_code = ? AND period = ? AND field = ?",
                     [la_code, period, field])


# --- all or nothing ----------------------------------------------------------------------------


def test_one_bad_row_among_30_good_ones_stores_nothing(tmp_db, make_csv, example_row, today):
    assert store_file(tmp_db, "earlier.csv", make_csv("advice", [example_row("advice")]), "a",
                      today=today).status == "stored"
    before, version_before = counts(tmp_db), tmp_db.data_version
    codes = reference.region_members(LONDON)[:31]
    rows = [example_row("advice", code, period="2025-26 Q2") for code in codes]
    rows[17]["adv_returned_6wk"] = "46"  # more than the 45 returned: row 19 of the file
    content = make_csv("advice", rows, encoding="utf-8-sig", crlf=True)

    result = store_file(tmp_db, "collated.csv", content, "chair", today=today)

    assert result.status == "refused" and result.submission_id is None and not result.stored
    assert [(p.row, p.column, p.value) for p in result.report.errors] == [(19, "adv_returned_6wk", "46")]
    assert "Nothing has been stored" in result.message
    assert counts(tmp_db) == before
    assert tmp_db.data_version == version_before

    rows[17]["adv_returned_6wk"] = "37"
    fixed = store_file(tmp_db, "collated.csv", make_csv("advice", rows), "chair", today=today)
    assert fixed.status == "stored"
    assert counts(tmp_db) == {"submissions": before["submissions"] + 1,
                              "return_rows": before["return_rows"] + 31,
                              "return_values": before["return_values"] + 31 * len(THEMES["advice"].fields)}
    assert tmp_db.data_version == version_before + 1


def test_a_submission_records_who_when_what_and_missing_values(tmp_db, make_csv, example_row, today):
    content = make_csv("short_breaks", [example_row("short_breaks", "Camden", sb_children_waiting="c",
                                                    sb_children_daytime="")], encoding="utf-8-sig", crlf=True)
    when = dt.datetime(2026, 10, 20, 14, 5)

    result = store_file(tmp_db, "camden_sb.csv", content, "dsco@camden.example", submitted_at=when, today=today)

    assert result.status == "stored" and result.replaced == []
    row = tmp_db.cursor().execute(
        "SELECT theme, file_name, sha256, row_count, standard_version, submitted_at, submitted_by, warnings "
        "FROM submissions WHERE submission_id = ?", [result.submission_id]).fetchall()[0]
    assert row == ("short_breaks", "camden_sb.csv", hashlib.sha256(content).hexdigest(), 1, STANDARD_VERSION,
                   when, "dsco@camden.example", "[]")
    stored = dict(tmp_db.cursor().execute(
        "SELECT field, coalesce(CAST(value AS VARCHAR), CAST(date_value AS VARCHAR), 'NULL') FROM return_values "
        "WHERE submission_id = ?", [result.submission_id]).fetchall())
    assert stored["sb_children_total"] == "412.0"
    assert stored["sb_children_waiting"] == "NULL" and stored["sb_children_daytime"] == "NULL"  # missing, not 0
    assert stored["sb_statement_reviewed"] == "2025-03-31"
    assert len(stored) == len(THEMES["short_breaks"].fields)


def test_warnings_are_stored_with_the_file_and_compare_with_the_database(tmp_db, make_csv, example_row, today):
    store_file(tmp_db, "q1.csv", make_csv("advice", [example_row("advice", adv_requests="20")]), "a", today=today)

    result = store_file(tmp_db, "q2.csv", make_csv("advice", [example_row(
        "advice", period="2025-26 Q2", adv_requests="100")]), "a", today=today)

    assert result.status == "stored"
    assert [(p.row, p.column, p.value) for p in result.report.warnings] == [(2, "adv_requests", "100")]
    saved = json.loads(tmp_db.scalar("SELECT warnings FROM submissions WHERE submission_id = ?",
                                     [result.submission_id]))
    assert saved == [result.report.warnings[0].as_dict()]


# --- resubmission, duplicates, original bytes --------------------------------------------------


def test_resubmission_supersedes_and_the_earlier_stays_in_history(tmp_db, make_csv, example_row, today):
    first = store_file(tmp_db, "camden_v1.csv", make_csv("advice", [
        example_row("advice", "202"), example_row("advice", "206")]), "a", today=today)
    second = store_file(tmp_db, "camden_v2.csv", make_csv("advice", [
        example_row("advice", "Camden", period="Q1 2025-26", adv_requests="50", notes="corrected")]), "a",
        today=today)

    assert second.status == "stored"
    assert second.replaced == [("202", "2025-26 Q1", first.submission_id)]
    assert "replaces the earlier return for Camden 2025-26 Q1" in second.message
    assert current_value(tmp_db, "202", "2025-26 Q1", "adv_requests") == 50.0
    assert current_value(tmp_db, "206", "2025-26 Q1", "adv_requests") == 48.0
    assert tmp_db.scalar("SELECT count(*) FROM current_returns") == 2
    assert tmp_db.scalar("SELECT versions FROM current_returns WHERE la_code = '202'") == 2
    assert tmp_db.scalar("SELECT count(*) FROM current_values WHERE la_code = '202'") == len(THEMES["advice"].fields)

    third = store_file(tmp_db, "islington.csv", make_csv("advice", [example_row("advice", "206", adv_requests="7")]),
                       "a", today=today)
    frame = history(tmp_db)
    assert list(frame["submission_id"]) == [third.submission_id, second.submission_id, first.submission_id]
    by_id = frame.set_index("submission_id")
    assert by_id.loc[first.submission_id, "rows_current"] == 0
    assert by_id.loc[first.submission_id, "authorities"] == 2
    assert by_id.loc[second.submission_id, "rows_current"] == 1
    assert by_id.loc[third.submission_id, "rows_current"] == 1
    # The superseded figures are still there, for the history.
    assert tmp_db.scalar("SELECT value FROM return_values WHERE submission_id = ? AND la_code = '202' "
                         "AND field = 'adv_requests'", [first.submission_id]) == 48.0


def test_another_theme_for_the_same_quarter_does_not_supersede(tmp_db, make_csv, example_row, today):
    store_file(tmp_db, "adv.csv", make_csv("advice", [example_row("advice")]), "a", today=today)
    result = store_file(tmp_db, "pfa.csv", make_csv("transitions", [example_row("transitions")]), "a", today=today)
    assert result.status == "stored" and result.replaced == []
    assert list(history(tmp_db)["rows_current"]) == [1, 1]


def test_the_same_bytes_twice_is_harmless(tmp_db, make_csv, example_row, today):
    content = make_csv("advice", [example_row("advice"), example_row("advice", "206")], encoding="cp1252")
    first = store_file(tmp_db, "adv.csv", content, "a", today=today)
    before = counts(tmp_db)

    again = store_file(tmp_db, "adv.csv", content, "a", today=today)
    renamed = store_file(tmp_db, "adv (1).csv", content, "b", today=today)

    for result in (again, renamed):
        assert result.status == "duplicate" and result.stored
        assert result.submission_id == first.submission_id
        assert f"identical to submission {first.submission_id}" in result.message
    assert counts(tmp_db) == before == {"submissions": 1, "return_rows": 2, "return_values": 2 * ADVICE_VALUES}


def test_original_bytes_are_kept_byte_for_byte(tmp_db, make_csv, make_xlsx, example_row, today):
    csv_bytes = make_csv("short_breaks", [example_row("short_breaks", "Camden", notes="Café – reopened")],
                         encoding="cp1252", crlf=True, messy_headers=True, blank_rows=2, blank_columns=1)
    names = list(example_row("transitions"))
    xlsx_bytes = make_xlsx([names, [example_row("transitions", "206")[name] for name in names]])

    stored = [store_file(tmp_db, name, content, "a", today=today)
              for name, content in (("Camden SB.csv", csv_bytes), ("Islington PfA.xlsx", xlsx_bytes))]

    assert [result.status for result in stored] == ["stored", "stored"]
    assert original_file(tmp_db, stored[0].submission_id) == ("Camden SB.csv", csv_bytes)
    assert original_file(tmp_db, stored[1].submission_id) == ("Islington PfA.xlsx", xlsx_bytes)
    with pytest.raises(KeyError):
        original_file(tmp_db, 999)


# --- many uploads at once ----------------------------------------------------------------------


def test_33_boroughs_uploading_in_the_same_minute_all_land(tmp_db, make_csv, example_row, today):
    codes = reference.region_members(LONDON)
    assert len(codes) == 33
    # Last quarter is stored, so every upload also reads the database while others write.
    store_file(tmp_db, "q1.csv", make_csv("advice", [example_row("advice", code) for code in codes]), "chair",
               today=today)
    files = {code: make_csv("advice", [example_row("advice", code, period="2025-26 Q2", adv_requests=str(100 + i))])
             for i, code in enumerate(codes)}
    start = threading.Barrier(len(codes))

    def upload(code):
        start.wait()
        return code, store_file(tmp_db, f"{code}.csv", files[code], f"dsco@{code}", today=today)

    with ThreadPoolExecutor(max_workers=len(codes)) as pool:
        results = dict(pool.map(upload, codes))

    assert {code: result.status for code, result in results.items()} == dict.fromkeys(codes, "stored")
    assert len({result.submission_id for result in results.values()}) == 33
    assert counts(tmp_db) == {"submissions": 34, "return_rows": 66, "return_values": 66 * ADVICE_VALUES}
    stored = dict(tmp_db.cursor().execute(
        "SELECT la_code, value FROM current_values WHERE period = '2025-26 Q2' AND field = 'adv_requests'").fetchall())
    assert stored == {code: 100.0 + i for i, code in enumerate(codes)}
    assert tmp_db.data_version == 34


def test_the_same_file_from_several_threads_is_stored_once(tmp_db, make_csv, example_row, today):
    content = make_csv("advice", [example_row("advice")])
    start = threading.Barrier(8)

    def upload(number):
        start.wait()
        return store_file(tmp_db, f"copy{number}.csv", content, "a", today=today)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(upload, range(8)))

    assert sorted(result.status for result in results) == ["duplicate"] * 7 + ["stored"]
    assert len({result.submission_id for result in results}) == 1
    assert counts(tmp_db)["submissions"] == 1


# --- a process killed mid-upload, a database held by another process ---------------------------

KILL_MID_UPLOAD = """
import datetime as dt, os, signal, sys
from pathlib import Path
from benchmark.intake import returns
from benchmark.db import open_database

db_path, file_path, how, today = sys.argv[1:5]
db = open_database(db_path)
real_insert = returns._insert_rows

def insert_then_die(cursor, submission_id, report):
    real_insert(cursor, submission_id, report)  # inside store_file's `with db.transaction()`
    seen = cursor.execute("SELECT count(*) FROM return_values").fetchall()[0][0]
    print("inserted, uncommitted:", seen, flush=True)
    if how == "sigkill":
        os.kill(os.getpid(), signal.SIGKILL)
    os._exit(3)

returns._insert_rows = insert_then_die
returns.store_file(db, "upload.csv", Path(file_path).read_bytes(), "killed", today=dt.date.fromisoformat(today))
print("committed", flush=True)
"""


@pytest.mark.parametrize("how", ["sigkill", "os_exit"])
def test_a_process_killed_mid_upload_leaves_the_database_as_before(how, tmp_path, make_csv, example_row, today):
    path = tmp_path / "killed.duckdb"
    db = open_database(path)
    store_file(db, "before.csv", make_csv("advice", [example_row("advice")]), "a", today=today)
    before, version_before = counts(db), db.data_version
    close_database(path)
    upload = tmp_path / "upload.csv"
    upload.write_bytes(make_csv("advice", [example_row("advice", code, period="2025-26 Q2")
                                           for code in reference.region_members(LONDON)]))

    process = subprocess.run([sys.executable, "-c", KILL_MID_UPLOAD, str(path), str(upload), how, today.isoformat()],
                             cwd=ROOT, capture_output=True, text=True, timeout=120)

    assert process.returncode == (-9 if how == "sigkill" else 3), process.stderr
    assert f"inserted, uncommitted: {before['return_values'] + 33 * ADVICE_VALUES}" in process.stdout
    assert "committed" not in process.stdout.replace("uncommitted", "")
    db = open_database(path)
    try:
        assert counts(db) == before
        assert db.data_version == version_before
        assert store_file(db, "upload.csv", upload.read_bytes(), "again", today=today).status == "stored"
    finally:
        close_database(path)


def test_a_second_process_gets_a_clear_message_not_a_traceback(tmp_db, benchmark_cli):
    process = benchmark_cli("history", "--db", str(tmp_db.path))

    assert process.returncode == 1
    assert "open in another program" in process.stderr
    assert "--db" in process.stderr
    assert "Traceback" not in process.stderr
    assert len(process.stderr.strip().splitlines()) == 1


# --- schema migrations -------------------------------------------------------------------------


def test_schema_migrations_are_recorded_once(tmp_path):
    path = tmp_path / "m.duckdb"
    db = open_database(path)
    versions = [version for version, _ in MIGRATIONS]
    assert [row[0] for row in db.cursor().execute(
        "SELECT version FROM schema_migrations ORDER BY version").fetchall()] == versions
    assert db.schema_version == max(versions)
    assert db.scalar("SELECT count(*) FROM schema_migrations WHERE applied_at IS NULL") == 0
    close_database(path)

    db = open_database(path)
    assert db.scalar("SELECT count(*) FROM schema_migrations") == len(versions)
    close_database(path)


def test_a_database_from_an_older_version_is_migrated(tmp_path, make_csv, example_row, today):
    path = tmp_path / "old.duckdb"
    db = open_database(path)
    store_file(db, "adv.csv", make_csv("advice", [example_row("advice")]), "a", today=today)
    with db.transaction() as cursor:  # as if migration 2 (the published table) had never run
        cursor.execute("DROP TABLE published")
        cursor.execute("DELETE FROM schema_migrations WHERE version = 2")
    close_database(path)

    db = open_database(path)
    try:
        assert db.scalar("SELECT count(*) FROM schema_migrations WHERE version = 2") == 1
        assert db.schema_version == max(version for version, _ in MIGRATIONS)
        assert db.scalar("SELECT count(*) FROM published") == 0
        assert db.scalar("SELECT count(*) FROM submissions") == 1  # data kept across the migration
    finally:
        close_database(path)


# --- the demo network --------------------------------------------------------------------------


def test_demo_files_are_deterministic():
    def snapshot():
        return [(f.file_name, f.content, f.submitted_at, f.submitted_by) for f in demo.demo_files()]

    first, second = snapshot(), snapshot()
    assert first == second
    assert len({content for _, content, _, _ in first}) == len(first)


def test_demo_network_shape(demo_db):
    quarters = [p.label for p in period_range(Period(2024, 3), Period(2026, 2))]
    boroughs = set(reference.region_members(LONDON))
    present = set(demo_db.cursor().execute("SELECT la_code, period, theme FROM current_returns").fetchall())

    assert {la for la, _, _ in present} == boroughs and len(boroughs) == 33
    assert sorted({period for _, period, _ in present}) == quarters and len(quarters) == 8
    assert {theme for _, _, theme in present} == set(SUBMISSION_THEMES)  # the themes and their breakdowns
    # A yearly theme (the DSCO role) is answered in one quarter of the year; the others every quarter.
    expected = {(la, q, theme) for la in boroughs for q in quarters for theme in THEMES
                if la != demo.JOINING_BOROUGH or Period.parse(q) >= demo.JOINING_QUARTER
                if THEMES[theme].cadence == "quarterly" or Period.parse(q).quarter == demo.ROLE_QUARTER}
    missing = expected - present
    assert 0 < len(missing) <= 10
    assert missing == {(la, period.label, theme) for la, period, theme in demo.MISSING_RETURNS}
    # Bexley joined a year in: a member from then, with no returns before
    spans = {item.la_code: item for item in membership.memberships(demo_db)}
    assert len(spans) == 33 and spans["303"].joined == demo.JOINING_QUARTER == Period(2025, 2)
    assert min(q for la, q, _ in present if la == "303") == "2025-26 Q2"
    assert network.is_demo(demo_db)
    assert "synthetic" in demo_db.setting("network_name")


def test_demo_has_one_late_resubmission_and_one_revision_after_signoff(demo_db):
    resubmitted = demo_db.cursor().execute(
        "SELECT la_code, period, theme, file_name FROM current_returns WHERE versions > 1 ORDER BY ALL").fetchall()
    # Each correction is followed by the borough's corrected breakdowns of that theme.
    assert resubmitted == [
        ("208", "2026-27 Q1", "short_breaks", "lambeth_short_breaks_2026-27_Q1_revised.csv"),
        ("208", "2026-27 Q1", "short_breaks_breakdowns", "lambeth_short_breaks_breakdowns_2026-27_Q1_revised.csv"),
        ("209", "2026-27 Q2", "advice", "lewisham_advice_2026-27_Q2_corrected.csv"),
        ("209", "2026-27 Q2", "advice_breakdowns", "lewisham_advice_breakdowns_2026-27_Q2_corrected.csv")]
    frame = history(demo_db)
    superseded = frame[frame["rows_current"] == 0]
    assert sorted(superseded["file_name"]) == ["lambeth_short_breaks_2026-27_Q1.csv", "lewisham_advice_2026-27_Q2.csv"]
    revised = cycle.revisions_after_signoff(demo_db)
    assert revised[["la_code", "period", "theme"]].values.tolist() == [
        ["208", "2026-27 Q1", "short_breaks"], ["208", "2026-27 Q1", "short_breaks_breakdowns"]]
    assert cycle.signoff(demo_db, demo.SIGNED_OFF_QUARTER) is not None
    assert frame.iloc[0]["file_name"] == "lewisham_advice_breakdowns_2026-27_Q2_corrected.csv"  # newest first
    # Every file stored: a breakdown file of several themes is a submission per theme, of the same bytes.
    assert demo_db.scalar("SELECT count(DISTINCT sha256) FROM submissions") == len(demo.demo_files())


def test_demo_sizes_follow_child_population(demo_db):
    frame = demo_db.frame("SELECT la_code, avg(value) AS mean FROM current_values "
                          "WHERE field = 'sb_children_total' GROUP BY la_code")
    frame["population"] = [reference.population_for(code, 2026) for code in frame["la_code"]]
    assert np.corrcoef(frame["mean"], frame["population"])[0, 1] > 0.6
    city = frame.set_index("la_code").loc["201", "mean"]  # City of London: under 1,000 children
    assert city < 10 and city == frame["mean"].min()


def test_loading_the_demo_twice_adds_nothing(demo_db):
    before, version = counts(demo_db), demo_db.data_version
    assert demo.load_demo(demo_db) == []
    assert counts(demo_db) == before and demo_db.data_version == version


def test_the_demo_never_mixes_with_real_returns(tmp_db, make_csv, example_row, today):
    store_file(tmp_db, "real.csv", make_csv("advice", [example_row("advice")]), "a", today=today)
    with pytest.raises(demo.DemoRefused, match="already holds real returns"):
        demo.load_demo(tmp_db)
    assert counts(tmp_db)["submissions"] == 1 and not network.is_demo(tmp_db)


# --- the data version and settings, remembered between writes ---------------------------------------------


def test_the_data_version_and_settings_are_read_once_and_follow_every_write(tmp_db, monkeypatch) -> None:
    version = tmp_db.data_version
    tmp_db.set_setting("deadline_days", "20")
    assert tmp_db.data_version == version + 1 and tmp_db.setting("deadline_days") == "20"
    reads = []
    scalar = type(tmp_db).scalar
    monkeypatch.setattr(type(tmp_db), "scalar", lambda self, sql, params=None: reads.append(sql) or
                        scalar(self, sql, params))
    for _ in range(5):
        assert tmp_db.data_version == version + 1 and tmp_db.setting("deadline_days") == "20"
    assert len(reads) == 0  # remembered: pages ask many times a run
    tmp_db.set_setting("deadline_days", "25")
    assert tmp_db.setting("deadline_days") == "25" and tmp_db.data_version == version + 2


def test_a_version_read_while_a_write_commits_is_not_remembered(tmp_db, monkeypatch) -> None:
    """The read began before the write and may hold the old value: kept, it would hide the upload from every
    cached table until the next write."""
    stale = tmp_db.data_version
    tmp_db.set_setting("demo", "false")  # forget what was read
    scalar = type(tmp_db).scalar

    def read_then_write(self, sql, params=None):
        monkeypatch.setattr(type(tmp_db), "scalar", scalar)
        tmp_db.set_setting("demo", "true")  # another session's write commits meanwhile
        return stale

    monkeypatch.setattr(type(tmp_db), "scalar", read_then_write)
    assert tmp_db.data_version == stale  # what the interrupted read saw ...
    assert tmp_db.data_version == stale + 2  # ... is not what the next reader is told
