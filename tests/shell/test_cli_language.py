"""The command line and the Administration page speak the user's language (issue 18, item 5): deadlines
confirmed and listed, the chase list's mailto links and missing addresses, dates as people write them, plain
column names, rows checked and theme titles in a refusal, "did you mean" for councils' own names, and the
demo's audit log reading as a network's history.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from support import return_csv

from benchmark import cli, reference
from benchmark.access import rights
from benchmark.db import close_database, open_database
from benchmark.definitions.standard import THEMES, columns
from benchmark.demo import FIRST_QUARTER
from benchmark.outputs import views
from benchmark.periods import Period

APP = str(Path(__file__).resolve().parents[2] / "app.py")
P = Period.parse("2025-26 Q4")  # long past its deadline
# What must never reach a reader: ISO timestamps, pandas' missing date, microseconds, raw column names.
MACHINE_TEXT = re.compile(r"\d{4}-\d\d-\d\dT|\d{4}-\d\d-\d\d \d\d:\d\d|NaT|\.\d{6}\b|\bla_code\b|overdue_themes")


@pytest.fixture
def db_path(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "language.duckdb"
    yield path
    close_database(path)


@pytest.fixture
def run(db_path: Path, capsys: pytest.CaptureFixture):
    def call(*args: str) -> tuple[int, str, str]:
        try:
            code = cli.main([*args, "--db", str(db_path)])
        except SystemExit as refusal:  # argparse refuses bad arguments by exiting
            code = refusal.code
        captured = capsys.readouterr()
        return code, captured.out, captured.err
    return call


def test_dates_and_times_as_people_write_them() -> None:
    assert views.human_date(dt.date(2026, 11, 5)) == "5 Nov 2026"
    assert views.human_time(dt.datetime(2026, 11, 4, 14, 32, 7, 123456)) == "4 Nov 2026, 14:32"
    assert views.human_date(None) == views.human_time(pd.NaT) == views.human_date(float("nan")) == ""
    frame = pd.DataFrame({"when": pd.to_datetime(["2026-11-04T00:00:00.000", None]),
                          "due": [dt.date(2026, 11, 5), None], "text": ["a", "b"]})
    shown = views.human_dates(frame)
    assert shown["when"].tolist() == ["4 Nov 2026, 00:00", ""] and shown["due"].tolist() == ["5 Nov 2026", ""]
    assert not MACHINE_TEXT.search(shown.to_string())
    naive = frame.to_string()  # the control: printed as it comes, the frame says NaT and ISO dates
    assert MACHINE_TEXT.search(naive)


def test_a_deadline_is_confirmed_and_listed_with_its_quarter(run) -> None:
    code, out, err = run("network", "deadline", "2026-27 Q3", "2027-02-05")
    assert code == 0, err
    assert "Set: 2026-27 Q3 returns are due 5 Feb 2027." in out
    assert "except: 2026-27 Q3 due 5 Feb 2027" in out
    code, out, _ = run("network", "deadline", "--days", "35")
    assert "Set: returns are due 35 days after each quarter ends." in out and "2026-27 Q3 due 5 Feb 2027" in out
    listed = run("network", "list")[1]
    assert "Returns are due 35 days after each quarter ends, except: 2026-27 Q3 due 5 Feb 2027." in listed
    assert json.loads(run("network", "list", "--json")[1])["quarter_deadlines"] == {"2026-27 Q3": "2027-02-05"}
    code, _, err = run("network", "deadline", "2026-27 Q3")
    assert code == 2 and "PERIOD DATE" in err


def test_chase_prints_the_mailto_links_and_names_authorities_without_addresses(run, tmp_path: Path,
                                                                               db_path: Path) -> None:
    run("network", "add", "Camden", "Islington", "Hackney", "--from", P.label)
    run("network", "themes", "advice")
    database = open_database(db_path)
    chair = rights.add_member(database, rights.local_operator("test"), "chair@network.gov.uk", "chair", None)
    rights.add_member(database, chair, "up@islington.gov.uk", "uploader", "206")
    code, out, err = run("chase", "--period", P.label)
    assert code == 0, err
    assert "mailto:up@islington.gov.uk?subject=DSCO%20network%20return" in out
    assert re.search(r"No uploader or DSCO address on file for Camden, Hackney", out)
    assert "Overdue themes" in out and "DfE code" not in out and not MACHINE_TEXT.search(out)
    assert re.search(r"due \d{1,2} [A-Z][a-z]{2} \d{4}", out)


def test_history_tracker_members_and_commentary_text_have_no_machine_dates(run, tmp_path: Path,
                                                                            db_path: Path) -> None:
    values = {spec.name: spec.example for spec in columns("advice")}
    path = tmp_path / "camden.csv"
    path.write_bytes(return_csv("advice", [{**values, "la_code": "202", "period": P.label}]))
    assert run("import", str(path))[0] == 0
    rights.add_member(open_database(db_path), rights.local_operator("test"), "chair@network.gov.uk", "chair", None)
    run("commentary", "write", "--period", P.label, "--la", "Camden", "--on", "adv_6wk_pct", "--text", "Staff leave")
    run("signoff", P.label)
    outputs = {name: run(*args)[1] for name, args in {
        "history": ("history",), "tracker": ("tracker", "--period", P.label), "members": ("members", "list"),
        "commentary": ("commentary", "list", "--period", P.label), "network": ("network", "list")}.items()}
    for name, out in outputs.items():
        assert out and not MACHINE_TEXT.search(out), (name, MACHINE_TEXT.search(out), out)
    assert "Stored at" in outputs["history"] and "Advice into EHC assessments" in outputs["tracker"]
    assert re.search(r"signed off \d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d by", outputs["tracker"])


def test_an_invalid_workbook_says_how_many_rows_it_checked_and_names_its_theme(run, tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Advice"
    names = [spec.name for spec in columns("advice")]
    sheet.append(names)
    for number in range(3):
        row = {spec.name: spec.example for spec in columns("advice")}
        row.update(la_code="202", period=P.label, adv_requests="lots" if number == 1 else row["adv_requests"])
        sheet.append([row.get(name) for name in names])
    path = tmp_path / "return.xlsx"
    workbook.save(path)
    code, out, _ = run("validate", str(path))
    assert code == 1
    assert out.splitlines()[0] == f"return.xlsx: INVALID ({THEMES['advice'].title}, 3 row(s) checked)"
    report = json.loads(run("validate", str(path), "--json")[1])[0]
    assert report["rows_checked"] == 3 and report["rows"] == 0


COUNCILS_OWN_NAMES = {
    "Lewisham Council": ["Lewisham"], "London Borough of Lewisham": ["Lewisham"], "LB Lewisham": ["Lewisham"],
    "Royal Borough of Greenwich": ["Greenwich"], "Kingston": ["Kingston upon Thames", "Kingston upon Hull, City of"],
    "Durham County Council": ["County Durham"], "Bristol City Council": ["Bristol, City of"],
}


@pytest.mark.parametrize("written", list(COUNCILS_OWN_NAMES))
def test_did_you_mean_for_the_ways_councils_write_their_own_names(written: str, run, tmp_path: Path) -> None:
    assert reference.resolve_authority(written) is None  # never taken on a guess
    assert sorted(reference.suggest_authorities(written)) == sorted(COUNCILS_OWN_NAMES[written])
    code, _, err = run("compare", "--period", P.label, "--metric", "adv_6wk_pct", "--for", written)
    assert code == 2 and f"'{written}' is not an English authority (did you mean " in err
    assert all(f"'{name}'" in err for name in COUNCILS_OWN_NAMES[written]) and err.count("\n") == 1
    values = {spec.name: spec.example for spec in columns("advice")}
    path = tmp_path / "named.csv"
    path.write_bytes(return_csv("advice", [{**values, "la_code": written, "period": P.label}]))
    out = run("validate", str(path))[1]
    assert f"Did you mean '{COUNCILS_OWN_NAMES[written][0]}'" in out or f"'{COUNCILS_OWN_NAMES[written][0]}'" in out


def test_hammersmith_and_fulham_with_an_ampersand_is_simply_accepted() -> None:
    assert reference.resolve_authority("Hammersmith & Fulham") == "205"
    assert reference.not_an_authority("Gotham") == "'Gotham' is not an English authority"


def test_the_demo_audit_log_reads_as_the_network_s_history(demo_build) -> None:
    close_database(demo_build.path)
    db = open_database(demo_build.path)
    log = db.frame("SELECT recorded_at, action, detail FROM audit_log ORDER BY audit_id")
    assert len(log) > 100
    # naive: every line stamped when the demo was loaded, the break this replaces
    assert log["recorded_at"].dt.floor("D").nunique() > 50
    operations = log.groupby("recorded_at")["action"].agg(lambda actions: len(set(actions)))
    stored_moments = log.loc[log["action"] == "return stored", "recorded_at"]
    sent = db.frame("SELECT DISTINCT submitted_at FROM submissions")["submitted_at"]
    assert stored_moments.nunique() == len(sent)  # each file its own moment; a collated file's lines share it
    assert operations.max() <= 3  # at most a return, the return it superseded and its notes at one moment
    start = pd.Timestamp(dt.datetime.combine(FIRST_QUARTER.start, dt.time()))
    assert log["recorded_at"].min() >= start and log["recorded_at"].max() < pd.Timestamp(dt.date.today())
    stored = log[log["action"] == "return stored"]
    files = db.frame("SELECT submission_id, submitted_at FROM submissions").set_index("submission_id")
    for record in stored.head(40).itertuples():
        submission = json.loads(record.detail)["submission_id"]
        assert record.recorded_at == files.loc[submission, "submitted_at"]


def test_administration_shows_plain_headings_and_human_dates(on_demo: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=180)
    at.secrets["dsco"] = {"allow_without_sign_in": False}
    at.run()
    at.switch_page("pages/administration.py")
    at.run()
    assert not at.exception, [item.value for item in at.exception]
    tables = [item.value for item in [*at.dataframe, *at.table]]  # the chase list is a static table
    headings = {column for table in tables for column in table.columns}
    assert {"Overdue themes", "DSCOs", "Member from", "When"} <= headings
    assert not {"la_code", "overdue_themes", "uploaders", "dscos", "joined", "recorded_at", "added_at"} & headings
    for table in tables:
        assert not MACHINE_TEXT.search(views.human_dates(table).to_string()), table.columns
        assert not MACHINE_TEXT.search(table.astype(str).to_string()), table.columns
    texts = " ".join(str(item.value) for item in [*at.markdown, *at.subheader, *at.caption])
    assert not MACHINE_TEXT.search(texts)
