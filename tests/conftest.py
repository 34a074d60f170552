"""Shared fixtures: a fresh database, return files built the way councils save them, a fixed today,
and one demo-network database built once per session and copied into the tests that need it.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from browser_support import copy_database, launch_chromium, new_page
from playwright.sync_api import Browser, Page, sync_playwright
from support import return_csv

from benchmark.db import Database, close_database, open_database
from benchmark.definitions.standard import columns

ROOT = Path(__file__).resolve().parents[1]
# A Monday in 2026-27 Q3: the current quarter is 2026-27 Q3, so 2026-27 Q4 is "in the future".
TODAY = dt.date(2026, 11, 23)


def _example_row(theme_id: str, la_code: str = "202", period: str = "2025-26 Q1", **values: object) -> dict:
    """A valid row of a theme: the standard's own example figures, which respect every bound."""
    row: dict[str, object] = {spec.name: spec.example for spec in columns(theme_id)}
    row.update(la_code=la_code, period=period, **values)
    return row


def _xlsx(table: Sequence[Sequence[object]]) -> bytes:
    """A workbook whose first sheet holds `table` from A1 (None leaves a cell empty)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for r, cells in enumerate(table, start=1):
        for c, value in enumerate(cells, start=1):
            if value is not None:
                sheet.cell(row=r, column=c, value=value)
    workbook.create_sheet("Notes").append(["only the first sheet is read", 999])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def today() -> dt.date:
    return TODAY


@pytest.fixture
def example_row() -> Callable[..., dict]:
    """example_row(theme, la_code="202", period="2025-26 Q1", **overrides) -> a valid row dict."""
    return _example_row


@pytest.fixture
def make_csv() -> Callable[..., bytes]:
    """make_csv(theme, rows, encoding=, crlf=, messy_headers=, header=, blank_rows=, blank_columns=)."""
    return return_csv


@pytest.fixture
def make_xlsx() -> Callable[[Sequence[Sequence[object]]], bytes]:
    return _xlsx


@pytest.fixture
def tmp_db(tmp_path: Path) -> Iterator[Database]:
    """A fresh, migrated database in its own file, closed after the test."""
    path = tmp_path / "test.duckdb"
    yield open_database(path)
    close_database(path)


def run_benchmark(*args: str, db: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """`python -m benchmark ARGS` from the project folder, with DSCO_DB pointing at `db` (never data/)."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    env.pop("DSCO_DB", None)
    if db is not None:
        env["DSCO_DB"] = str(db)
    return subprocess.run([sys.executable, "-m", "benchmark", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


@dataclass(frozen=True)
class DemoBuild:
    path: Path
    process: subprocess.CompletedProcess


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory: pytest.TempPathFactory) -> DemoBuild:
    """The demo network loaded once, by `python -m benchmark demo` (the command a user runs)."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    process = run_benchmark("demo", "--db", str(path), timeout=300)
    if process.returncode != 0:
        pytest.fail(f"python -m benchmark demo failed ({process.returncode}): {process.stderr}")
    return DemoBuild(path, process)


@pytest.fixture
def demo_db(demo_build: DemoBuild, tmp_path: Path) -> Iterator[Database]:
    """A private copy of the demo database, open for the test and closed afterwards."""
    path = copy_database(demo_build.path, tmp_path / "demo.duckdb")
    yield open_database(path)
    close_database(path)


@pytest.fixture
def benchmark_cli() -> Callable[..., subprocess.CompletedProcess]:
    """benchmark_cli(*args, db=PATH): run the command line in a subprocess (see run_benchmark)."""
    return run_benchmark


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Debian Chromium per browser-test module (each module serves its own dashboard)."""
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def page(server: tuple[str, Path], browser: Browser) -> Iterator[Page]:
    """A fresh browser context for each test (no cookie or session from another test); `server` is
    the browser-test module's own dashboard fixture."""
    fresh = new_page(browser)
    yield fresh
    fresh.context.close()


@pytest.fixture(scope="module")
def demo_path(demo_build, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A module-wide copy of the demo network for page tests that only read (the engine's cache
    stays warm across the module)."""
    close_database(demo_build.path)
    path = copy_database(demo_build.path, tmp_path_factory.mktemp("demo_read") / "demo.duckdb")
    yield path
    close_database(path)


@pytest.fixture
def on_demo(demo_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The app (DSCO_DB) pointed at the module's read-only demo copy."""
    monkeypatch.setenv("DSCO_DB", str(demo_path))
    return demo_path
