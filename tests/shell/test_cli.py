"""The command line contract of issue 2: `python -m benchmark ...` run as a user runs it, in a subprocess,
with DSCO_DB pointing at a temporary file so nothing touches data/.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from benchmark import cli
from benchmark.db import close_database, open_database
from benchmark.definitions.standard import THEMES, columns
from benchmark.demo import demo_files
from benchmark.intake import templates
from benchmark.intake.returns import store_file

ROOT = Path(__file__).resolve().parents[2]
REPORT_KEYS = ["file", "ok", "theme", "themes", "rows", "rows_checked", "errors", "errors_not_shown", "warnings",
               "warnings_not_shown"]
PROBLEM_KEYS = ["sheet", "row", "column", "value", "message"]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "cli.duckdb"


@pytest.fixture
def files(tmp_path, make_csv, example_row) -> dict[str, Path]:
    """Return files on disk: two valid ones as Excel saves them, an invalid one and a picture."""
    made = {
        "camden": make_csv("advice", [example_row("advice", "Camden")], encoding="utf-8-sig", crlf=True,
                           messy_headers=True, blank_rows=2),
        "islington": make_csv("transitions", [example_row("transitions", "E09000019", notes="Café")],
                              encoding="cp1252", crlf=True),
        "invalid": make_csv("advice", [example_row("advice", "206"), example_row("advice", "Gotham")], crlf=True),
        "picture": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    }
    names = {"camden": "camden_advice.csv", "islington": "islington_pfa.csv", "invalid": "bad_advice.csv",
             "picture": "chart.png"}
    paths = {}
    for key, content in made.items():
        paths[key] = tmp_path / names[key]
        paths[key].write_bytes(content)
    return paths


def stored_submissions(path: Path) -> list[tuple[int, str]]:
    db = open_database(path)
    try:
        return db.cursor().execute("SELECT submission_id, file_name FROM submissions ORDER BY 1").fetchall()
    finally:
        close_database(path)


# --- validate ----------------------------------------------------------------------------------


def test_validate_valid_files_exits_0(files, benchmark_cli, db_path):
    process = benchmark_cli("validate", str(files["camden"]), str(files["islington"]), db=db_path)
    assert process.returncode == 0, process.stderr
    assert "camden_advice.csv: valid (Social care advice into EHC needs assessments, 1 row(s) checked)" \
        in process.stdout
    assert "islington_pfa.csv: valid (Transitions to adulthood (Preparing for Adulthood), 1 row(s) checked)" \
        in process.stdout
    assert not db_path.exists()  # validate stores nothing and needs no database

    as_json = benchmark_cli("validate", str(files["islington"]), "--json", db=db_path)
    assert as_json.returncode == 0
    assert [(report["file"], report["ok"]) for report in json.loads(as_json.stdout)] == [("islington_pfa.csv", True)]


def test_validate_invalid_file_exits_1_and_names_the_cell(files, benchmark_cli, db_path):
    process = benchmark_cli("validate", str(files["camden"]), str(files["invalid"]), db=db_path)
    assert process.returncode == 1
    assert "bad_advice.csv: INVALID" in process.stdout
    assert "error: row 3, column la_code: 'Gotham' is not an English authority" in process.stdout


def test_validate_json_shape(files, benchmark_cli, db_path):
    process = benchmark_cli("validate", "--json", str(files["camden"]), str(files["invalid"]), str(files["picture"]),
                            db=db_path)

    assert process.returncode == 1
    reports = json.loads(process.stdout)
    assert isinstance(reports, list) and len(reports) == 3
    for report in reports:
        assert list(report) == REPORT_KEYS
        assert isinstance(report["ok"], bool) and isinstance(report["rows"], int)
        for problem in report["errors"] + report["warnings"]:
            assert list(problem) == PROBLEM_KEYS
    camden, invalid, picture = reports
    assert camden == {"file": "camden_advice.csv", "ok": True, "theme": "advice", "themes": ["advice"], "rows": 1,
                      "rows_checked": 1, "errors": [], "errors_not_shown": 0, "warnings": [], "warnings_not_shown": 0}
    assert (invalid["ok"], invalid["theme"], invalid["rows"], invalid["rows_checked"]) == (False, "advice", 0, 2)
    assert [(p["row"], p["column"], p["value"]) for p in invalid["errors"]] == [(3, "la_code", "Gotham")]
    assert (picture["ok"], picture["theme"], picture["errors"][0]["row"]) == (False, None, None)


# --- import and history ------------------------------------------------------------------------


def test_import_stores_everything_or_says_what_was_refused(files, benchmark_cli, db_path):
    process = benchmark_cli("import", str(files["camden"]), str(files["islington"]), db=db_path)
    assert process.returncode == 0, process.stderr
    assert process.stdout.count("stored: ") == 2 and "refused" not in process.stdout
    assert stored_submissions(db_path) == [(1, "camden_advice.csv"), (2, "islington_pfa.csv")]  # via DSCO_DB

    mixed = benchmark_cli("import", str(files["invalid"]), str(files["picture"]), str(files["camden"]), db=db_path)
    assert mixed.returncode == 1
    assert "refused: bad_advice.csv" in mixed.stdout and "refused: chart.png" in mixed.stdout
    assert "row 3, column la_code: 'Gotham'" in mixed.stdout
    assert "stored: camden_advice.csv: identical to submission 1" in mixed.stdout  # the same bytes: harmless
    assert len(stored_submissions(db_path)) == 2


def test_import_db_option_wins_over_environment(files, benchmark_cli, tmp_path, db_path):
    chosen = tmp_path / "chosen.duckdb"
    process = benchmark_cli("import", "--db", str(chosen), str(files["islington"]), db=db_path)
    assert process.returncode == 0, process.stderr
    assert not db_path.exists()
    assert stored_submissions(chosen) == [(1, "islington_pfa.csv")]


def test_history_json_newest_first(files, benchmark_cli, db_path, make_csv, example_row, tmp_path):
    empty = benchmark_cli("history", db=db_path)
    assert empty.returncode == 0 and "No submissions yet" in empty.stdout

    correction = tmp_path / "camden_advice_v2.csv"
    correction.write_bytes(make_csv("advice", [example_row("advice", "202", adv_requests="49")]))
    imported = benchmark_cli("import", str(files["camden"]), str(files["islington"]), str(correction), db=db_path)
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert "replaces the earlier return for Camden 2025-26 Q1" in imported.stdout

    process = benchmark_cli("history", "--json", db=db_path)

    assert process.returncode == 0, process.stderr
    records = json.loads(process.stdout)
    assert [record["submission_id"] for record in records] == [3, 2, 1]
    assert [record["file_name"] for record in records] == ["camden_advice_v2.csv", "islington_pfa.csv",
                                                           "camden_advice.csv"]
    assert [record["rows_current"] for record in records] == [1, 1, 0]
    assert {"submitted_at", "submitted_by", "theme", "periods"} <= set(records[0]) and "sha256" not in records[0]


# --- template, demo, metrics, docs -------------------------------------------------------------


def test_template_writes_csv_and_xlsx_and_a_filled_in_template_validates(benchmark_cli, tmp_path, db_path,
                                                                           example_row):
    out = tmp_path / "templates"
    process = benchmark_cli("template", "--out", str(out), db=db_path)

    assert process.returncode == 0, process.stderr
    written = sorted(path.name for path in out.iterdir())
    themes = len(THEMES)
    # each theme and the breakdowns as CSV and .xlsx, and a workbook of every theme with a Breakdowns sheet
    assert sorted(path.suffix for path in out.iterdir()) == [".csv"] * (themes + 1) + [".xlsx"] * (themes + 2)
    assert all(any(theme_id in name for name in written) for theme_id in THEMES)
    assert sorted(Path(line).name for line in process.stdout.split()) == written

    blank_dir = shutil.copytree(out, tmp_path / "blank")
    filled = []
    for theme_id in THEMES:
        csv_path = next(out.glob(f"*{theme_id}*.csv"))
        row = example_row(theme_id, "Camden")
        line = ",".join(f'"{row[spec.name]}"' for spec in columns(theme_id))
        csv_path.write_bytes(csv_path.read_bytes() + line.encode() + b"\r\n")
        xlsx_path = next(out.glob(f"*{theme_id}*.xlsx"))
        workbook = openpyxl.load_workbook(xlsx_path)
        workbook.worksheets[0].append([row[spec.name] or None for spec in columns(theme_id)])
        workbook.save(xlsx_path)
        filled += [str(csv_path), str(xlsx_path)]
    process = benchmark_cli("validate", "--json", *filled, *sorted(map(str, Path(blank_dir).iterdir())), db=db_path)

    reports = json.loads(process.stdout)
    assert [report["ok"] for report in reports[:2 * themes]] == [True] * 2 * themes, reports[:2 * themes]
    assert [report["rows"] for report in reports[:2 * themes]] == [1] * 2 * themes
    assert [report["ok"] for report in reports[2 * themes:]] == [False] * (2 * themes + 3)  # blank: no figures
    assert all("header but no rows" in report["errors"][0]["message"] for report in reports[2 * themes:])
    assert process.returncode == 1


def test_demo_command(demo_build, benchmark_cli, tmp_path, make_csv, example_row, today):
    assert demo_build.process.returncode == 0
    assert f"{len(demo_files())} files stored" in demo_build.process.stdout
    assert "synthetic" in demo_build.process.stdout

    copy = tmp_path / "demo.duckdb"
    shutil.copyfile(demo_build.path, copy)
    again = benchmark_cli("demo", "--db", str(copy))
    assert again.returncode == 0 and "already loaded" in again.stdout

    real = tmp_path / "real.duckdb"
    store_file(open_database(real), "real.csv", make_csv("advice", [example_row("advice")]), "a", today=today)
    close_database(real)
    refused = benchmark_cli("demo", db=real)
    assert refused.returncode == 1
    assert "already holds real returns" in refused.stderr and "Traceback" not in refused.stderr
    assert len(stored_submissions(real)) == 1


def test_metrics_lists_every_field_of_the_standard(benchmark_cli, db_path):
    as_json = benchmark_cli("metrics", "--json", db=db_path)

    assert as_json.returncode == 0
    listed = json.loads(as_json.stdout)
    rows = listed["fields"] if isinstance(listed, dict) else listed  # the metric catalogue may sit beside them
    assert [(row["theme"], row["field"]) for row in rows] == [
        (theme_id, spec.name) for theme_id in THEMES for spec in columns(theme_id)]
    assert {"label", "type", "required", "description", "legal_basis"} <= set(rows[0])


def test_docs_are_generated_from_the_standard():
    committed = (ROOT / "docs" / "data-standard.md").read_text(encoding="utf-8")
    assert committed == templates.standard_markdown(), (
        "docs/data-standard.md is out of date: run `python -m benchmark docs`")


# --- arguments --------------------------------------------------------------------------------

# Runs many command lines through benchmark.cli.main in ONE subprocess (each `python -m benchmark` start
# costs seconds): the same function `python -m benchmark` calls, with the same exit codes.
BATCH = r"""
import contextlib, io, json, sys
from benchmark.cli import main

results = []
for argv in json.loads(sys.argv[1]):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    results.append({"argv": argv, "code": code, "stdout": out.getvalue(), "stderr": err.getvalue()})
print(json.dumps(results))
"""


def run_batch(command_lines: list[list[str]], db_path: Path) -> list[dict]:
    process = subprocess.run([sys.executable, "-c", BATCH, json.dumps(command_lines)], cwd=ROOT,
                             env={**os.environ, "DSCO_DB": str(db_path)}, capture_output=True, text=True,
                             timeout=300)
    assert process.returncode == 0, process.stderr
    return json.loads(process.stdout)


BAD_ARGUMENTS = [
    [], ["frobnicate"], ["validate"], ["import"], ["history", "--bogus"], ["metrics", "extra"],
    ["validate", "no_such_file.csv"], ["import", "no_such_file.csv"], ["template", "--out"],
]


def _check_bad(code: int, stderr: str) -> None:
    assert code == 2
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert "error" in stderr and "Traceback" not in stderr


def test_bad_arguments_exit_2_with_one_line(benchmark_cli, db_path):
    process = benchmark_cli("validate", db=db_path)
    _check_bad(process.returncode, process.stderr)
    assert not db_path.exists()


def _command_lines(parser: argparse.ArgumentParser, prefix: list[str]) -> list[list[str]]:
    """Every (sub)command of the parser, nested ones included."""
    lines = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                lines += [[*prefix, name], *_command_lines(sub, [*prefix, name])]
    return lines


def test_every_subcommand_has_help_bad_arguments_exit_2_and_text_outputs(db_path, tmp_path):
    commands = _command_lines(cli.build_parser(), [])
    assert {"validate", "import", "history", "template", "demo", "metrics", "docs"} <= {line[0] for line in commands}
    helps = [[*line, "--help"] for line in [[], *commands]]
    docs = tmp_path / "standard.md"

    results = run_batch([*helps, *BAD_ARGUMENTS, ["metrics"], ["docs", "--out", str(docs)]], db_path)

    for result in results[:len(helps)]:
        assert result["code"] == 0, result
        assert result["stdout"].startswith("usage: python -m benchmark " + " ".join(result["argv"][:-1])), result
    for result in results[len(helps):-2]:
        _check_bad(result["code"], result["stderr"])
    metrics, written = results[-2:]
    assert metrics["code"] == 0
    assert all(spec.name in metrics["stdout"] for theme in THEMES.values() for spec in theme.fields)
    assert written["code"] == 0 and docs.read_text(encoding="utf-8") == templates.standard_markdown()
    assert not db_path.exists()
