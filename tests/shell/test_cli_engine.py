"""`python -m benchmark compare|tracker|metrics|groups|published load` run as a user runs them."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from benchmark import reference
from benchmark.db import close_database, open_database
from benchmark.definitions.metrics import CATALOGUE
from benchmark.definitions.standard import columns
from benchmark.intake.returns import store_file
from benchmark.periods import Period

ROOT = Path(__file__).resolve().parents[2]
TODAY = dt.date(2026, 11, 23)
P = Period.parse("2026-27 Q2")
ROW_KEYS = {"la_code", "la_name", "value", "numerator", "denominator", "ci_low", "ci_high", "rank",
            "quartile_band", "network_median", "sn_mean", "sn_median", "sn_reported", "funnel", "funnel_adjusted",
            "overdispersion_phi", "overdispersion_tau2", "small_numbers"}
FUNNEL = {"within", "above_95", "below_95", "above_99.8", "below_99.8", None}


def _command(*args: str, db: Path | None = None, env_db: Path | None = None) -> tuple[list[str], dict]:
    """`python -m benchmark ARGS`; `db` given as --db, `env_db` through DSCO_DB."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    env.pop("DSCO_DB", None)
    if env_db is not None:
        env["DSCO_DB"] = str(env_db)
    extra = ["--db", str(db)] if db is not None else []
    return [sys.executable, "-m", "benchmark", *args, *extra], env


def run_all(commands: dict[str, tuple[list[str], dict]]) -> dict[str, subprocess.CompletedProcess]:
    """Start every command at once (each on its own database file: DuckDB lets one process open a
    file), then wait for them all; the start-up of Python, pandas and scipy dominates each run."""
    started = {
        name: (argv, subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True))
        for name, (argv, env) in commands.items()
    }
    done = {}
    for name, (argv, process) in started.items():
        stdout, stderr = process.communicate(timeout=300)
        done[name] = subprocess.CompletedProcess(argv, process.returncode, stdout, stderr)
    return done


def advice(la: str, period: Period, returned: int, on_time: int) -> dict:
    return {"la_code": la, "period": period.label, "adv_requests": 120, "adv_returned": returned,
            "adv_returned_6wk": on_time, "adv_late_exception": 0, "adv_nil_returns": 1, "adv_overdue_open": 2,
            "adv_audited": 5, "adv_audited_good": 4, "ehcp_issued": 10, "ehcp_issued_20wk": 5,
            "ehcp_with_sc_provision": 3}


def return_csv(rows: list[dict]) -> bytes:
    names = [spec.name for spec in columns("advice")]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow([row.get(name, "") for name in names])
    return buffer.getvalue().encode("utf-8")


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Camden 15/20, Islington 28/40, Hackney 45/50, Southwark 35/100, City of London 6/6 in P;
    Lambeth returned only the quarter before. Closed again so that the commands can open it."""
    path = tmp_path_factory.mktemp("cli") / "network.duckdb"
    db = open_database(path)
    rows = [advice("202", P, 20, 15), advice("206", P, 40, 28), advice("204", P, 50, 45),
            advice("210", P, 100, 35), advice("201", P, 6, 6), advice("208", P.shift(-1), 30, 20)]
    result = store_file(db, "advice.csv", return_csv(rows), "test", submitted_at=dt.datetime(2026, 10, 5, 9),
                        today=TODAY)
    assert result.status == "stored", result.report.errors
    close_database(path)
    return path


def copy_of(source: Path, folder: Path, name: str) -> Path:
    path = folder / f"{name}.duckdb"
    shutil.copyfile(source, path)
    wal = source.with_name(source.name + ".wal")
    if wal.exists():  # not checkpointed: the log is part of the database
        shutil.copyfile(wal, path.with_name(path.name + ".wal"))
    return path


COMPARE = ("compare", "--period", "2026-27 Q2", "--metric", "adv_6wk_pct")


@pytest.fixture(scope="module")
def out(network: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, subprocess.CompletedProcess]:
    """Every command of this module, run once; commands that write get their own copy of the network."""
    folder = tmp_path_factory.mktemp("runs")
    db = {name: copy_of(network, folder, name) for name in (
        "json", "csv", "neighbours", "external", "tracker", "groups", "published")}
    first = run_all({
        "json": _command(*COMPARE, "--format", "json", db=db["json"]),
        "csv": _command(*COMPARE, "--format", "csv", env_db=db["csv"]),
        "neighbours": _command(*COMPARE, "--format", "json", "--group", "neighbours", "--for", "202",
                               db=db["neighbours"]),
        "external": _command(*COMPARE, "--format", "json", "--audience", "external", "--for", "202",
                             db=db["external"]),
        "bad_metric": _command("compare", "--period", "2026-27 Q2", "--metric", "adv_made_up", db=folder / "x1"),
        "bad_period": _command("compare", "--period", "2026-28 Q2", "--metric", "adv_6wk_pct", db=folder / "x2"),
        "tracker": _command("tracker", "--period", "2026-27 Q2", db=db["tracker"]),
        "metrics": _command("metrics", "--json"),
        "groups_add": _command("groups", "add", "Inner London", "202", "206", "204", db=db["groups"]),
        "published_load": _command("published", "load", "data/published/timeliness_20_week.csv",
                                   db=db["published"]),
    })
    second = run_all({
        "groups_list": _command("groups", "list", env_db=db["groups"]),
        "england": _command("compare", "--period", "2026-27 Q2", "--metric", "ehcp_20wk_pct", "--format", "json",
                            db=db["published"]),
    })
    return {**first, **second}


def ok_json(process: subprocess.CompletedProcess) -> list[dict]:
    assert process.returncode == 0, process.stderr
    return json.loads(process.stdout)


def test_compare_json_rows(out: dict):
    rows = ok_json(out["json"])
    assert isinstance(rows, list) and all(isinstance(row, dict) for row in rows)
    assert all(set(row) >= ROW_KEYS for row in rows)
    assert all(row["funnel"] in FUNNEL for row in rows)
    by_la = {row["la_code"]: row for row in rows}
    assert set(by_la) == {"201", "202", "204", "206", "208", "210"}
    camden = by_la["202"]
    # 15/20 in percent, not 0.75; the median of 35, 70, 75, 90, 100 is 75
    assert camden["la_name"] == "Camden"
    assert (camden["value"], camden["numerator"], camden["denominator"]) == (75.0, 15, 20)
    assert camden["ci_low"] == pytest.approx(53.13, abs=0.01) and camden["ci_high"] == pytest.approx(88.81, abs=0.01)
    assert (camden["rank"], camden["quartile_band"], camden["network_median"]) == (3, "B", 75.0)
    # neighbours that reported: Islington 70, Southwark 35, Hackney 90 -> mean 65, median 70, 3 of 10
    assert (camden["sn_mean"], camden["sn_median"], camden["sn_reported"]) == (65.0, 70.0, 3)
    assert by_la["210"]["funnel"] == "below_99.8"
    # allowing for the variation between the five (phi = 8.241256, tau2 = 0.062551: see test_engine.py)
    assert by_la["210"]["funnel_adjusted"] == "within"
    assert by_la["210"]["overdispersion_phi"] == pytest.approx(8.241256, abs=1e-5)
    assert by_la["210"]["overdispersion_tau2"] == pytest.approx(0.062551, abs=1e-6)
    # City of London's 6 of 6 rests on small numbers: ranked, but not flagged
    assert (by_la["201"]["small_numbers"], by_la["201"]["rank"], by_la["201"]["top_bottom_20"]) == (True, 1, None)
    assert all(row["small_numbers"] is False for code, row in by_la.items() if code != "201")
    # Lambeth, a member with no return for the quarter, is listed with nulls
    lambeth = by_la["208"]
    assert lambeth["la_name"] == "Lambeth"
    assert all(lambeth[key] is None for key in ("value", "numerator", "denominator", "rank", "quartile_band",
                                                 "funnel", "ci_low"))


def test_compare_csv_header(out: dict):
    process = out["csv"]
    assert process.returncode == 0, process.stderr
    reader = csv.DictReader(io.StringIO(process.stdout))
    assert set(reader.fieldnames) >= ROW_KEYS
    assert reader.fieldnames[0] == "la_code"
    rows = list(reader)
    assert len(rows) == 6
    assert {row["la_code"] for row in rows} == {"201", "202", "204", "206", "208", "210"}


def test_compare_neighbours_group_for_camden(out: dict):
    rows = ok_json(out["neighbours"])
    codes = {row["la_code"] for row in rows}
    assert codes == {"202", *(code for code, _ in reference.statistical_neighbours()["202"])}
    ranks = {row["la_code"]: row["rank"] for row in rows if row["rank"] is not None}
    # City of London is not a neighbour: Hackney 90 -> 1, Camden 75 -> 2, Islington 70 -> 3, Southwark 35 -> 4
    assert ranks == {"204": 1, "202": 2, "206": 3, "210": 4}


def test_compare_external_names_only_the_own_authority(out: dict):
    rows = ok_json(out["external"])
    text = json.dumps(rows)
    for code in ("201", "204", "206", "208", "210"):
        assert reference.authority_name(code) not in text
    names = {row["la_name"] for row in rows}
    assert "Camden" in names
    assert all(name == "Camden" or name.startswith("Authority ") for name in names)
    assert {row["la_code"] for row in rows} == {"202", ""}
    counts = [row[key] for row in rows for key in ("numerator", "denominator") if isinstance(row[key], int | float)]
    assert not any(1 <= count <= 5 for count in counts)


@pytest.mark.parametrize(("name", "needle"), [("bad_metric", "adv_made_up"), ("bad_period", "2026-28")])
def test_compare_bad_arguments_exit_2_with_one_line(out: dict, name: str, needle: str):
    process = out[name]
    assert process.returncode == 2
    assert process.stdout == ""
    lines = process.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0]


def test_tracker_for_a_period(out: dict):
    process = out["tracker"]
    assert process.returncode == 0, process.stderr
    lines = process.stdout.splitlines()
    # 6 members x 3 themes = 18 expected; 5 advice returns received; nobody has all three themes
    assert lines[0] == "2026-27 Q2: 5 of 18 theme returns from 6 authorities; 0 complete."
    lambeth = next(line for line in lines if "Lambeth" in line)
    assert lambeth.count("overdue") == 3
    camden = next(line for line in lines if "Camden" in line)
    assert "returned 05 Oct 2026" in camden and camden.count("overdue") == 2


def test_metrics_json_lists_the_catalogue(out: dict):
    process = out["metrics"]
    assert process.returncode == 0, process.stderr
    listed = json.loads(process.stdout)["metrics"]
    assert [metric["id"] for metric in listed] == [metric.id for metric in CATALOGUE]
    assert len(listed) == 27  # the 20 of the three first themes, residential's 6 and annual reviews' 1
    headline = next(metric for metric in listed if metric["id"] == "adv_6wk_pct")
    assert headline["polarity"] == "higher" and headline["unit"] == "%"


def test_groups_add_then_list(out: dict):
    assert out["groups_add"].returncode == 0, out["groups_add"].stderr
    assert "202, 204, 206" in out["groups_add"].stdout
    listed = out["groups_list"]
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.strip() == "Inner London: 202, 204, 206"


def test_published_load_gives_the_england_comparator(out: dict):
    process = out["published_load"]
    assert process.returncode == 0, process.stderr
    assert process.stdout.startswith("loaded timeliness_20_week:")
    rows = ok_json(out["england"])
    # England 2024, including exceptions
    assert {row["england"] for row in rows} == {45.9}
