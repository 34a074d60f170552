"""`python -m benchmark context` and `published load` of a new or unknown file, run as a user runs them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from browser_support import copy_database

from benchmark.analysis import published_measures as pm
from benchmark.definitions import published_catalogue as catalogue
from benchmark.reference import DATA_DIR

PUBLISHED = DATA_DIR / "published"


@pytest.fixture(scope="module")
def demo_copy(demo_build, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_database(demo_build.path, tmp_path_factory.mktemp("context_cli") / "demo.duckdb")


def test_context_json_has_one_row_per_measure_with_the_agreed_keys(demo_copy: Path, benchmark_cli) -> None:
    process = benchmark_cli("context", "--for", "Camden", "--format", "json", db=demo_copy)
    assert process.returncode == 0, process.stderr
    rows = json.loads(process.stdout)
    assert [row["measure"] for row in rows] == [measure.id for measure in catalogue.CATALOGUE]
    assert all(list(row) == list(pm.CONTEXT_KEYS) for row in rows)
    by_id = {row["measure"]: row for row in rows}
    # timeliness_20_week.csv, 2024, All EHC plans issued, PC_plans_issued_20_weeks_ex: Camden 96.6,
    # London 66.9, England 46.4.
    assert by_id["ehcp_20wk_excl_pct"] | {"value": 96.6, "region": 66.9, "england": 46.4, "period": "2024"} == \
        by_id["ehcp_20wk_excl_pct"]
    assert by_id["ehcp_20wk_excl_pct"]["sn_reported"] == 10


def test_context_keeps_a_symbol_as_a_symbol(demo_copy: Path, benchmark_cli) -> None:
    # b2 2024: City of London's At31_episodes_disability_recorded is 'c'.
    process = benchmark_cli("context", "--for", "201", "--theme", "short_breaks", "--format", "json", db=demo_copy)
    assert process.returncode == 0, process.stderr
    row = next(row for row in json.loads(process.stdout) if row["measure"] == "cin_disability_count")
    assert row["value"] is None and row["symbol"] == "c" and row["rank"] is None and row["quartile_band"] is None
    assert row["england"] == 54510


def test_context_text_for_a_theme(demo_copy: Path, benchmark_cli) -> None:
    process = benchmark_cli("context", "--for", "206", "--theme", "transitions", db=demo_copy)
    assert process.returncode == 0, process.stderr
    lines = process.stdout.strip().splitlines()
    assert len(lines) == 1 + len(catalogue.measures_for_theme("transitions"))
    # UD_NEETNK_LA_dashboard_2024_final, Islington: NEET_NK_EHCP_percent 5.1, England 10.2.
    ehcp = next(line for line in lines if line.lstrip().startswith("16-17 year olds with an EHC plan: NEET"))
    assert "5.1%" in ehcp and "10.2%" in ehcp and "10 of 10" in ehcp


def test_context_refuses_an_unknown_authority(demo_copy: Path, benchmark_cli) -> None:
    process = benchmark_cli("context", "--for", "Atlantis", db=demo_copy)
    assert process.returncode == 2
    assert "'Atlantis' is not an English authority" in process.stderr
    assert "Traceback" not in process.stderr


def test_published_load_says_which_measures_a_file_feeds(tmp_path: Path, benchmark_cli) -> None:
    unknown = tmp_path / "la_children_adopted_2024.csv"
    shutil.copy(PUBLISHED / f"{catalogue.CLA}.csv", unknown)
    process = benchmark_cli("published", "load", str(PUBLISHED / f"{catalogue.CLA}.csv"), str(unknown),
                            db=tmp_path / "load.duckdb")
    assert process.returncode == 0, process.stderr
    assert f"series {catalogue.CLA}: feeds cla_short_breaks_only" in process.stdout
    assert "series la_children_adopted: no catalogued measure reads it; stored in the published table" in process.stdout
