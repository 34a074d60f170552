"""`python -m benchmark discussion` on the demo network, as a chair runs it: the list the pack shows,
its JSON contract, the external audience's disclosure, and a one-line refusal for bad arguments."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from browser_support import copy_database

from benchmark import reference, service
from benchmark.access import rights
from benchmark.analysis import discussion
from benchmark.db import close_database, open_database
from benchmark.outputs import packs
from benchmark.periods import Period

LATEST = "2026-27 Q2"
CONTRACT = ["la_code", "la_name", "theme", "metric", "kind", "sentence", "strength"]


@pytest.fixture(scope="module")
def demo_copy(demo_build, tmp_path_factory: pytest.TempPathFactory) -> Path:
    close_database(demo_build.path)
    return copy_database(demo_build.path, tmp_path_factory.mktemp("discussion") / "demo.duckdb")


def test_json_is_the_packs_shortlist_with_the_contracts_keys(demo_copy: Path, benchmark_cli) -> None:
    result = benchmark_cli("discussion", "--period", LATEST, "--format", "json", "--db", str(demo_copy))
    assert result.returncode == 0, result.stderr
    items = json.loads(result.stdout)
    assert 0 < len(items) <= discussion.DISCUSSION_LIMIT
    assert all(list(item) == CONTRACT for item in items)
    # the funnel and trend kinds, and since the inequalities work the disparity items the service adds
    assert all(item["kind"] in (*discussion.KINDS, discussion.DISPARITY_998) for item in items)
    assert all(isinstance(item["strength"], float) and item["strength"] >= 0 for item in items)
    every = json.loads(benchmark_cli("discussion", "--period", LATEST, "--format", "json", "--all",
                                     "--db", str(demo_copy)).stdout)
    assert len(every) > len(items)
    assert max(item["strength"] for item in every) == max(item["strength"] for item in items)
    db = open_database(demo_copy)
    try:
        # the command asks the service, which adds the disparity items only it may compute for this reader
        pack = service.discussion(db, rights.local_operator("test"), packs.PackRequest(Period.parse(LATEST)))
    finally:
        close_database(demo_copy)
    assert [item["sentence"] for item in items] == list(pack.discussion["sentence"])


def test_text_groups_by_theme_and_says_what_was_left_out(demo_copy: Path, benchmark_cli) -> None:
    result = benchmark_cli("discussion", "--period", LATEST, "--db", str(demo_copy))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"For discussion, {LATEST}, the whole network: 15 item(s)")
    assert re.search(r"\d+ more items were left out: the full table is shown by `discussion --all`", result.stdout)
    assert "Narrative requests (top or bottom 20% on a headline metric)" in result.stdout


def test_external_audience_letters_names_and_quotes_no_figures(demo_copy: Path, benchmark_cli) -> None:
    result = benchmark_cli("discussion", "--period", LATEST, "--format", "json", "--all", "--audience", "external",
                           "--db", str(demo_copy))
    assert result.returncode == 0, result.stderr
    items = json.loads(result.stdout)
    assert items
    everyone = {reference.authority_name(code) for code in reference.authorities()}
    text = json.dumps(items)
    assert not [name for name in everyone if re.search(rf"\b{re.escape(name)}\b", text)]
    assert {item["la_code"] for item in items} == {""}
    assert not [item for item in items if " against " in item["sentence"] or "(p " in item["sentence"]]
    assert all(item["strength"] is None for item in items)  # a z-score is finer than the sentence
    # --for LA: that authority's items only (an external list names no other)
    own = benchmark_cli("discussion", "--period", LATEST, "--format", "json", "--all", "--audience", "external",
                        "--for", "202", "--db", str(demo_copy))
    assert own.returncode == 0, own.stderr
    assert {item["la_code"] for item in json.loads(own.stdout)} <= {"202"}


def test_a_group_needing_an_authority_is_refused_in_one_line(demo_copy: Path, benchmark_cli) -> None:
    result = benchmark_cli("discussion", "--period", LATEST, "--group", "neighbours", "--db", str(demo_copy))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "--for" in result.stderr
