"""The chair's quarterly cycle from the command line: network, deadlines, tracker statuses, chase
list, sign-off with --revised, withdrawal and commentary."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from support import return_csv

from benchmark import cli
from benchmark.access import rights
from benchmark.db import close_database, open_database
from benchmark.definitions.metrics import METRICS
from benchmark.definitions.standard import columns
from benchmark.outputs import pack_render
from benchmark.periods import Period

P = Period.parse("2025-26 Q4")  # long past its deadline (28 April 2026)


def advice(la_code: str, on_time: int) -> dict:
    values = {spec.name: spec.example for spec in columns("advice")}
    return {**values, "la_code": la_code, "period": P.label, "adv_returned": 40, "adv_returned_6wk": on_time,
            "adv_late_exception": 0}


@pytest.fixture
def db_path(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "cycle.duckdb"
    yield path
    close_database(path)


@pytest.fixture
def run(db_path: Path, capsys: pytest.CaptureFixture):
    """run(*args) -> (exit code, stdout, stderr) of `python -m benchmark ARGS --db PATH`, in this process."""
    def call(*args: str) -> tuple[int, str, str]:
        code = cli.main([*args, "--db", str(db_path)])
        captured = capsys.readouterr()
        return code, captured.out, captured.err
    return call


def write(tmp_path: Path, name: str, *rows: dict) -> str:
    path = tmp_path / name
    path.write_bytes(return_csv("advice", list(rows)))
    return str(path)


def test_network_commands(run):
    code, out, _ = run("network", "add", "Camden", "E09000019", "--from", P.label)
    assert code == 0 and out.splitlines() == ["Camden is a member from 2025-26 Q4",
                                              "Islington is a member from 2025-26 Q4"]
    assert run("network", "themes", "advice")[1].strip() == "The network collects: advice"
    code, out, _ = run("network", "list", "--json")
    listed = json.loads(out)
    assert listed["members_set"] and listed["themes"] == ["advice"] and listed["deadline_days"] == 28
    assert [(row["la_code"], row["joined"], row["left"]) for row in listed["authorities"]] == [
        ("202", "2025-26 Q4", ""), ("206", "2025-26 Q4", "")]
    assert run("network", "remove", "Islington", "--from", P.shift(2).label)[0] == 0
    assert json.loads(run("network", "list", "--json")[1])["authorities"][1]["left"] == "2026-27 Q2"
    code, _, err = run("network", "add", "Atlantis")
    assert code == 2 and "'Atlantis' is not an English authority" in err and len(err.splitlines()) == 1
    assert run("network", "themes", "football")[0] == 2
    assert run("network", "deadline", "--days", "42")[0] == 0
    assert json.loads(run("network", "list", "--json")[1])["deadline_days"] == 42


def test_a_non_member_import_is_refused_and_stores_nothing(run, tmp_path: Path):
    run("network", "add", "Camden", "--from", P.label)
    code, out, _ = run("import", write(tmp_path, "hackney.csv", advice("204", 30)))
    assert code == 1 and "refused" in out and "Hackney is not a member of this network" in out
    assert json.loads(run("history", "--json")[1]) == []


def test_tracker_json_and_chase_list(run, tmp_path: Path, db_path: Path):
    run("network", "add", "Camden", "Islington", "--from", P.label)
    run("network", "themes", "advice")
    assert run("import", write(tmp_path, "camden.csv", advice("202", 30)))[0] == 0
    database = open_database(db_path)
    chair = rights.add_member(database, rights.local_operator("test"), "chair@network.gov.uk", "chair", None)
    rights.add_member(database, chair, "up@islington.gov.uk", "uploader", "206")
    out = run("tracker", "--period", P.label, "--format", "json")[1]
    statuses = {(row["la_code"], row["theme"]): row["status"] for row in json.loads(out)}
    assert statuses == {("202", "advice"): "returned late", ("206", "advice"): "overdue"}  # imported today
    text = run("tracker", "--period", P.label)[1]
    assert "Due 28 Apr 2026: 1 overdue, 1 returned late; not signed off." in text
    rows = list(csv.DictReader(io.StringIO(run("chase", "--period", P.label, "--format", "csv")[1])))
    assert [(row["authority"], row["uploaders"]) for row in rows] == [("Islington", "up@islington.gov.uk")]
    assert rows[0]["mailto"].startswith("mailto:up@islington.gov.uk?subject=DSCO%20network%20return")


def test_signoff_then_resubmission_compare_and_pack_unchanged_revised_shows_the_new_figure(run, tmp_path: Path):
    run("network", "add", "Camden", "Islington", "Hackney", "--from", P.label)
    assert run("import", write(tmp_path, "first.csv", advice("202", 20), advice("206", 30), advice("204", 36)))[0] == 0

    def camden(*extra: str) -> float:
        out = run("compare", "--period", P.label, "--metric", "adv_6wk_pct", "--format", "json", *extra)[1]
        return next(row["value"] for row in json.loads(out) if row["la_code"] == "202")

    def pack_values(name: str, *extra: str) -> list:
        out = tmp_path / name
        assert run("pack", "--period", P.label, "--format", "xlsx", "--out", str(out), *extra)[0] == 0
        sheet = openpyxl.load_workbook(out)[pack_render.metric_sheet_name(METRICS["adv_6wk_pct"])]
        return [[cell.value for cell in row] for row in sheet.iter_rows()]

    before, circulated = camden(), pack_values("before.xlsx")
    code, out, _ = run("signoff", P.label)
    assert code == 0 and f"{P} signed off" in out
    assert run("import", write(tmp_path, "camden_revised.csv", advice("202", 38)))[0] == 0
    assert camden() == before == 50.0
    assert camden("--revised") == 95.0
    assert pack_values("after.xlsx") == circulated
    assert pack_values("revised.xlsx", "--revised") != circulated
    assert "revised after sign-off" in run("tracker", "--period", P.label)[1]
    assert run("signoff", P.label)[0] == 2  # already signed off
    assert run("signoff", P.label, "--reopen")[0] == 0 and camden() == 95.0


def test_withdraw_and_commentary(run, tmp_path: Path):
    run("import", write(tmp_path, "first.csv", advice("202", 20)))
    run("import", write(tmp_path, "second.csv", advice("202", 10)))
    second = json.loads(run("history", "--json")[1])[0]
    assert second["file_name"] == "second.csv"
    code, out, _ = run("withdraw", str(second["submission_id"]), "--reason", "wrong quarter")
    assert code == 0 and "withdrew submission" in out
    history = {row["file_name"]: row for row in json.loads(run("history", "--json")[1])}
    assert history["second.csv"]["withdrawn_at"] and history["first.csv"]["withdrawn_at"] is None
    assert run("withdraw", "999")[0] == 2
    code, _, _ = run("commentary", "write", "--period", P.label, "--la", "Camden", "--on", "adv_6wk_pct",
                     "--text", "=1+1 staff on leave")
    assert code == 0
    listed = json.loads(run("commentary", "list", "--period", P.label, "--json")[1])
    assert [(row["la_code"], row["subject"], row["text"]) for row in listed] == [
        ("202", "adv_6wk_pct", "=1+1 staff on leave")]
    code, _, err = run("commentary", "write", "--period", P.label, "--la", "Camden", "--on", "adv_6wk_pct",
                       "--text", "x" * 1001)
    assert code == 2 and "at most 1,000 characters" in err
