"""Read-only commands while the dashboard runs on the same database (issue 18, item 5): the dashboard, a
real second process started as deployed (scripts/serve.py), keeps a consistent reading copy; `tracker`,
`chase`, `discussion`, `compare`, `context`, `pack` and `history` read it; a writer still gets the clear
message; a pack made meanwhile is recorded in the audit log once the dashboard picks its line up.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from browser_support import copy_database, streamlit_server

from benchmark.db import DatabaseBusy, close_database, open_database, open_for_reading, reading_copy_path

LATEST = "2026-27 Q2"
READ_ONLY = {
    "tracker": ("tracker", "--period", LATEST, "--format", "json"),
    "chase": ("chase", "--period", LATEST),
    "discussion": ("discussion", "--period", LATEST, "--for", "Hackney"),
    "compare": ("compare", "--period", LATEST, "--metric", "adv_6wk_pct"),
    "context": ("context", "--for", "Camden"),
    "history": ("history", "--json"),
}


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


def test_read_only_commands_work_while_the_dashboard_holds_the_database(demo_build, tmp_path: Path,
                                                                          benchmark_cli: Callable) -> None:
    close_database(demo_build.path)
    path = copy_database(demo_build.path, tmp_path / "serving.duckdb")
    expected = {name: benchmark_cli(*args, db=path) for name, args in READ_ONLY.items()}  # nobody holds it
    assert all(process.returncode == 0 for process in expected.values())
    pack = tmp_path / "pack.xlsx"
    with streamlit_server(path, tmp_path / "server.log"):
        wait_for(lambda: (tmp_path / "serving.reading.json").exists(), "the dashboard's reading copy")
        # the control: without the copy, a second process cannot even read (DuckDB locks the whole file)
        try:
            open_database(path)
            raise AssertionError("the dashboard does not hold the database")
        except DatabaseBusy:
            pass
        for name, args in READ_ONLY.items():
            process = benchmark_cli(*args, db=path)
            assert process.returncode == 0, (name, process.stderr)
            assert process.stdout == expected[name].stdout, name  # the same answer as with nobody holding it
            assert "reading its copy as at" in process.stderr and process.stderr.count("\n") == 1
        made = benchmark_cli("pack", "--period", LATEST, "--format", "xlsx", "--out", str(pack), db=path)
        assert made.returncode == 0 and pack.stat().st_size > 0, made.stderr
        # a second writer still gets today's clear message, and stores nothing
        stored = benchmark_cli("members", "add", "x@camden.gov.uk", "--role", "dsco", "--la", "Camden", db=path)
        assert stored.returncode == 1 and "open in another program" in stored.stderr
        assert "Traceback" not in stored.stderr
        pending = tmp_path / "serving.pending-audit.jsonl"
        wait_for(lambda: pending.exists() and pending.stat().st_size == 0, "the dashboard to record the pack")
    db = open_database(path)
    try:
        line = db.frame("SELECT actor, action, detail FROM audit_log ORDER BY audit_id DESC LIMIT 1").iloc[0]
        assert line["action"] == "pack generated" and json.loads(line["detail"])["format"] == "xlsx"
        assert line["actor"].endswith("@localhost")  # the operator at the command line
        assert not db.scalar("SELECT count(*) FROM members WHERE email = 'x@camden.gov.uk'")
    finally:
        close_database(path)
    assert reading_copy_path(path).exists() and not (tmp_path / "serving.reading.json").exists()


def test_a_stale_copy_is_never_read(tmp_db, tmp_path: Path) -> None:
    """A copy whose dashboard has stopped (its marker names a process that is gone) is not read."""
    path = tmp_db.path
    marker = {"pid": 2 ** 22 + 1, "made_at": "2026-11-05T14:32"}  # above Linux's largest process id
    (path.parent / f"{path.stem}.reading.json").write_text(json.dumps(marker))
    reading_copy_path(path).write_bytes(b"")
    try:
        process = subprocess.run([sys.executable, "-c", "from benchmark.db import open_for_reading; import sys; "
                                  "open_for_reading(sys.argv[1])", str(path)],
                                 capture_output=True, text=True, timeout=120, cwd=Path(__file__).resolve().parents[2])
        assert process.returncode != 0 and "DatabaseBusy" in process.stderr and "open in another program" in \
            process.stderr
    finally:
        assert open_for_reading(path) is tmp_db  # in the holding process itself, the database is simply open
