"""`python -m benchmark inequalities`: the JSON contract of issue 19, the audiences and bad arguments."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from breakdown_support import store_breakdowns

from benchmark.analysis.published import load_published
from benchmark.db import close_database, open_database
from benchmark.reference import DATA_DIR

CONTRACT = ["la_code", "la_name", "measure", "by", "group", "numerator", "denominator", "value", "comparison_value",
            "ratio", "ratio_low", "ratio_high", "small_numbers", "judgement", "periods"]
JUDGEMENTS = {"higher", "lower", "no clear difference", "too few"}


@pytest.fixture(scope="module")
def network_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three authorities, advice broken down by ethnicity for one quarter, and DfE's requests file."""
    path = tmp_path_factory.mktemp("cli_inequalities") / "network.duckdb"
    db = open_database(path)
    for la_code, returned, in_time in (
        ("202", {"White": 100, "Black": 50, "Unclassified": 20}, {"White": 80, "Black": 20, "Unclassified": 12}),
        ("206", {"White": 60, "Black": 40}, {"White": 45, "Black": 30}),
        ("204", {"White": 20, "Black": 8}, {"White": 15, "Black": 6}),
    ):
        store_breakdowns(db, la_code, "2026-27 Q2", {("adv_returned", "ethnicity"): returned,
                                                     ("adv_returned_6wk", "ethnicity"): in_time})
    load_published(db, [DATA_DIR / "published" / "requests.csv"])
    close_database(path)
    return path


def _json(benchmark_cli, db: Path, *args: str) -> list[dict]:
    result = benchmark_cli("inequalities", *args, "--format", "json", db=db)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_json_rows_follow_the_contract(benchmark_cli, network_db: Path) -> None:
    rows = _json(benchmark_cli, network_db, "--measure", "adv_late", "--by", "ethnicity", "--period", "2026-27 Q2")
    assert rows and all(list(row) == CONTRACT for row in rows)
    assert all(row["judgement"] in JUDGEMENTS for row in rows)
    hackney = next(row for row in rows if row["la_code"] == "204" and row["group"] == "Black")
    # Hackney's Black row: 2 late of 8 (counts 1-5 and 6-8 around them): hidden from the operator, too few.
    assert hackney["judgement"] == "too few" and hackney["numerator"] is None and hackney["small_numbers"]
    camden = next(row for row in rows if row["la_code"] == "202" and row["group"] == "Black")
    assert (camden["numerator"], camden["denominator"], camden["judgement"]) == (30, 50, "higher")
    assert camden["ratio"] == pytest.approx(3.0) and camden["periods"] == 1
    assert camden["measure"] == "adv_late" and camden["by"] == "ethnicity"
    network = next(row for row in rows if row["la_code"] is None and row["group"] == "Black")
    assert network["la_name"] == "Network (pooled)"
    assert not any(row["group"] == "Unclassified" for row in rows)  # its share is in the text, not a ratio row


def test_external_gives_the_own_authority_judgements_only(benchmark_cli, network_db: Path) -> None:
    rows = _json(benchmark_cli, network_db, "--measure", "adv_late", "--by", "ethnicity", "--period", "2026-27 Q2",
                 "--for", "Camden", "--audience", "external")
    assert {row["la_code"] for row in rows} == {"202"}
    for row in rows:
        assert [row[field] for field in ("numerator", "denominator", "value", "comparison_value", "ratio",
                                         "ratio_low", "ratio_high")] == [None] * 7
        assert row["judgement"] in JUDGEMENTS
    assert next(row for row in rows if row["group"] == "Black")["judgement"] == "higher"


def test_published_measure_by_year(benchmark_cli, network_db: Path) -> None:
    rows = _json(benchmark_cli, network_db, "--measure", "ehc_refused", "--by", "sex", "--for", "206")
    islington = next(row for row in rows if row["la_code"] == "206" and row["group"] == "Female")
    assert (islington["numerator"], islington["denominator"], islington["judgement"]) == (56, 154, "higher")
    assert {row["la_name"] for row in rows} >= {"Islington", "England", "London"}


def test_text_output_states_the_method(benchmark_cli, network_db: Path) -> None:
    result = benchmark_cli("inequalities", "--measure", "adv_late", "--by", "ethnicity", "--period", "2026-27 Q2",
                           "--quarter-only", db=network_db)
    assert result.returncode == 0, result.stderr
    assert "Katz" in result.stdout and "adverse" in result.stdout
    assert "Unclassified" in result.stdout


@pytest.mark.parametrize(("args", "reason"), [
    (("--measure", "nothing", "--by", "sex"), "invalid choice"),
    (("--measure", "ehc_requests", "--by", "age_band"), "cannot be broken down by age_band"),
    (("--measure", "adv_late", "--by", "sex", "--period", "2026-27 Q9"), "error"),
    (("--measure", "ehcp_late", "--by", "sex", "--period", "2026-27 Q2"), "calendar year"),
    (("--measure", "adv_late", "--by", "sex", "--period", "2026-27 Q2", "--audience", "external"), "one authority"),
])
def test_bad_arguments_exit_2(benchmark_cli, network_db: Path, args: tuple[str, ...], reason: str) -> None:
    result = benchmark_cli("inequalities", *args, db=network_db)
    assert result.returncode == 2
    assert reason in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
