"""Issue 11, findings 4, 10 and 11, replayed: a network member with everything the dashboard shows
them never learns an anonymous authority's name or figures; sign-in off means nobody is the chair;
every change is checked and audited in benchmark/service.py, not only on a page."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from browser_support import copy_database

from benchmark import cli, reference, service
from benchmark.access import rights
from benchmark.access.rights import AccessDenied, User
from benchmark.analysis import engine, groups
from benchmark.db import Database, close_database, open_database
from benchmark.definitions.disclosure_rules import RULES
from benchmark.definitions.metrics import METRICS
from benchmark.periods import Period

ROOT = Path(__file__).resolve().parents[2]
LATEST = Period.parse("2026-27 Q2")
LETTER = re.compile(r"Authority [A-Z]{1,2}\b")
HIDDEN = {"202": "Camden", "201": "City of London"}
CHAIR = "chair@london.gov.uk"


@dataclass(frozen=True)
class Members:
    db: Database
    chair: User
    hackney: User  # Hackney's DSCO: Camden is one of its statistical neighbours
    camden: User  # Camden's uploader: sees City of London as the only anonymous authority


@pytest.fixture(scope="module")
def members(demo_build, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Members]:
    close_database(demo_build.path)
    path = copy_database(demo_build.path, tmp_path_factory.mktemp("access_attacks") / "demo.duckdb")
    db = open_database(path)
    chair = rights.add_member(db, rights.local_operator("test"), CHAIR, "chair", None)
    hackney = rights.add_member(db, chair, "dsco@hackney.gov.uk", "dsco", "204")
    camden = rights.add_member(db, chair, "up@camden.gov.uk", "uploader", "202")
    for code in HIDDEN:
        rights.set_sharing(db, chair, code, "anonymous")
    yield Members(db, chair, hackney, camden)
    close_database(path)


def hidden_text(user: User) -> list[str]:
    """What would name an authority this user may not see: its name and codes."""
    codes = [code for code in HIDDEN if code != user.la_code]
    return [*(HIDDEN[code] for code in codes), *(reference.authorities()[code].ons_code for code in codes)]


# --------------------------------------------------------------------------- finding 4


@pytest.mark.parametrize("who", ["hackney", "camden"])
def test_member_downloads_only_its_own_rows(members: Members, who: str) -> None:
    """Upload history and "Download original": the chair's collated files hold all 33 authorities'
    rows; a member gets only its own."""
    user = getattr(members, who)
    history = service.history(members.db, user)
    collated = history[history["authorities"] > 1]
    assert len(collated) >= 1, "the demo has chair-collated files covering this member"
    for submission_id in history["submission_id"]:
        name, content = service.original_file(members.db, user, int(submission_id))
        rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
        assert rows and {row["la_code"] for row in rows} == {user.la_code}, (name, {row["la_code"] for row in rows})
        for text in hidden_text(user):
            assert text not in content.decode("utf-8-sig") and text not in name
    whole = service.original_file(members.db, members.chair, int(collated["submission_id"].iloc[0]))[1]
    assert len({row["la_code"] for row in csv.DictReader(io.StringIO(whole.decode("utf-8-sig")))}) > 1


def test_member_rate_table_shows_no_anonymous_population(members: Members) -> None:
    """The rate's denominator is the published population: for a letter, no count, no denominator and
    no interval, and the rounded rate fits both anonymous authorities' populations."""
    for metric_id in ("sb_reach_per_10k", "sb_waiting_per_10k", "adv_overdue_per_10k"):
        table = service.compare(members.db, members.hackney, LATEST, metric_id)
        letters = table[table["la_name"].str.fullmatch(LETTER.pattern)]
        assert len(letters) == 2, metric_id
        assert letters[["numerator", "denominator", "ci_low", "ci_high"]].isna().all().all(), metric_id
        populations = {code: reference.population_for(code, LATEST.end.year) for code in HIDDEN}
        step = RULES.step(METRICS[metric_id], min(populations.values()))  # the README's rule
        for value in letters["value"].dropna():
            fits = [code for code, population in populations.items()
                    if any(abs(n * 10_000 / population - value) <= step / 2 + 1e-9
                           for n in range(int((value + 1) * population / 10_000) + 2))]
            assert len(fits) == 2, (metric_id, value, fits)


def test_neighbours_view_does_not_complete_the_public_list(members: Members) -> None:
    """Hackney's ten DfE neighbours are public, Camden among them: nine named and a letter would name it."""
    neighbours = {code for code, _ in reference.statistical_neighbours()["204"]}
    assert "202" in neighbours
    table = service.compare(members.db, members.hackney, LATEST, "adv_6wk_pct", "neighbours", "204")
    assert not table["la_name"].str.contains(LETTER).any() and "Camden" not in set(table["la_name"])
    hackney = table[table["la_code"] == "204"].iloc[0]
    assert not LETTER.search(hackney["sn_closeness"]) and "Camden" not in hackney["sn_closeness"]
    # Hackney's neighbours' average holds Camden's value; against the nine named values it would give it
    assert pd.isna(hackney["sn_mean"]) and pd.isna(hackney["sn_median"])
    series = service.series(members.db, members.hackney, "adv_6wk_pct", "204", LATEST)
    assert series["sn_mean"].isna().all() or not series["sn_mean"].notna().any()


def test_a_lone_letter_is_left_out_everywhere_it_would_be_named_by_elimination(members: Members) -> None:
    """Camden's uploader sees City of London as the only anonymous member: a single letter among 32 named
    members of a public network is City of London."""
    db, camden = members.db, members.camden
    for metric_id in ("adv_6wk_pct", "sb_reach_per_10k", "pfa_services_at_18_pct"):
        table = service.compare(db, camden, LATEST, metric_id)
        assert not table["la_name"].str.contains(LETTER).any() and "City of London" not in set(table["la_name"])
        assert table["network_median"].isna().all() or len(table) == 32


def test_no_member_view_names_an_anonymous_authority(members: Members) -> None:
    for user in (members.hackney, members.camden):
        seen = []
        for metric_id in ("adv_6wk_pct", "sb_reach_per_10k"):
            for group in ("network", "neighbours", "region"):
                seen.append(service.compare(members.db, user, LATEST, metric_id, group, user.la_code).to_csv())
        values, _ = service.rug(members.db, user, LATEST)
        seen += [values.to_csv(), service.tracker_grid(members.db, user, LATEST).to_csv(),
                 service.history(members.db, user).to_csv()]
        text = "\n".join(seen)
        for name in hidden_text(user):
            assert name not in text, (user.email, name)


# --------------------------------------------------------------------------- finding 10


UNSIGNED = {"sign_in_configured": False, "logged_in": False, "email": None, "email_verified": None,
            "allow_without_sign_in": False}


def test_without_sign_in_only_the_demo_is_served(tmp_db: Database) -> None:
    assert rights.visit(tmp_db, **UNSIGNED, demo=False) == rights.Visit("refused")  # empty: not the demo
    assert rights.visit(tmp_db, **UNSIGNED, demo=True).user == rights.DEMO_USER
    local = rights.visit(tmp_db, **{**UNSIGNED, "allow_without_sign_in": True}, demo=False)
    assert local.state == "local" and not local.user.may_administer


@pytest.mark.parametrize("visitor", [rights.DEMO_USER, rights.LOCAL_USER])
def test_a_visitor_without_sign_in_changes_nothing_of_the_network(tmp_db: Database, visitor: User,
                                                                  tmp_path: Path) -> None:
    """The anonymous visitor of finding 10 added members who kept chair rights once sign-in came."""
    changes = {
        "first chair": lambda: rights.add_member(tmp_db, visitor, "me@x.gov.uk", "chair", None),
        "sharing": lambda: rights.set_sharing(tmp_db, visitor, "202", "anonymous"),
        "group": lambda: service.save_group(tmp_db, visitor, "Inner", ["202", "206"]),
        "group removed": lambda: service.delete_group(tmp_db, visitor, "Inner"),
        "backup": lambda: service.backup(tmp_db, visitor, tmp_path / "backups"),
    }
    for name, change in changes.items():
        with pytest.raises(AccessDenied, match="Sign-in is off"):
            change()
            pytest.fail(f"{name} allowed without sign-in")
    assert not rights.has_members(tmp_db) and not rights.sharing(tmp_db) and not groups.custom_groups(tmp_db)
    assert not (tmp_path / "backups").exists()
    assert not tmp_db.scalar("SELECT count(*) FROM audit_log")


def test_the_demo_database_stores_no_returns(demo_db: Database, make_csv: Callable, example_row: Callable,
                                             today: dt.date, tmp_path: Path) -> None:
    before = demo_db.scalar("SELECT count(*) FROM submissions")
    content = make_csv("advice", [example_row("advice", "202", "2026-27 Q2", adv_requests="61")])
    report = service.validate(demo_db, rights.DEMO_USER, "real.csv", content, today=today)
    assert not report.ok and "synthetic demo database" in report.errors[0].message
    for user in (rights.DEMO_USER, rights.local_operator("test")):
        result = service.store(demo_db, user, "real.csv", content, today=today)
        assert result.status == "refused" and "synthetic demo database" in result.report.errors[0].message
    assert demo_db.scalar("SELECT count(*) FROM submissions") == before
    path = tmp_path / "real.csv"
    path.write_bytes(content)
    db_path = demo_db.path
    close_database(db_path)
    process = subprocess.run([".venv/bin/python", "-m", "benchmark", "import", str(path), "--db", str(db_path)],
                             cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert process.returncode == 1 and "synthetic demo database" in process.stdout, process.stdout + process.stderr
    assert open_database(db_path).scalar("SELECT count(*) FROM submissions") == before


# --------------------------------------------------------------------------- finding 11


def test_groups_need_the_chair_in_the_service_and_are_audited(members: Members) -> None:
    db = members.db
    for actor in (None, members.hackney, members.camden):
        with pytest.raises(AccessDenied):
            service.save_group(db, actor, "Inner test", ["202", "206"])
        with pytest.raises(AccessDenied):
            service.delete_group(db, actor, "Inner test")
    assert "Inner test" not in groups.custom_groups(db)
    before = int(db.scalar("SELECT max(audit_id) FROM audit_log"))
    assert service.save_group(db, members.chair, "Inner test", ["Camden", "206"]) == ["202", "206"]
    service.delete_group(db, members.chair, "Inner test")
    lines = db.frame("SELECT actor, action, detail FROM audit_log WHERE audit_id > ? ORDER BY audit_id", [before])
    assert lines["action"].tolist() == ["group saved", "group removed"]
    assert set(lines["actor"]) == {CHAIR}
    assert json.loads(lines["detail"].iloc[0]) == {"group": "Inner test", "members": ["202", "206"]}


def test_backup_needs_the_chair_and_is_audited(members: Members, tmp_path: Path) -> None:
    db = members.db
    for actor in (None, members.hackney):
        with pytest.raises(AccessDenied):
            service.backup(db, actor, tmp_path)
    assert not list(tmp_path.glob("*.duckdb"))
    target = service.backup(db, members.chair, tmp_path)
    assert target.exists() and target.parent == tmp_path
    last = db.frame("SELECT actor, action, detail FROM audit_log ORDER BY audit_id DESC LIMIT 1").iloc[0]
    assert (last["actor"], last["action"], json.loads(last["detail"])) == (CHAIR, "backup taken",
                                                                           {"file": str(target)})


def test_cli_groups_act_as_the_member_given(members: Members, capsys: pytest.CaptureFixture) -> None:
    code = cli.main(["groups", "add", "Inner cli", "202", "206", "--as", members.hackney.email,
                     "--db", str(members.db.path)])
    assert code == 1 and "chair" in capsys.readouterr().err
    assert "Inner cli" not in groups.custom_groups(members.db)


def test_backups_folder_is_not_committed() -> None:
    ignored = subprocess.run(["git", "check-ignore", "data/backups/dsco-20260101-000000.duckdb"], cwd=ROOT,
                             capture_output=True, text=True)
    assert ignored.returncode == 0, "data/backups/ is not git-ignored"


def test_network_members_unchanged_by_the_attacks(members: Members) -> None:
    assert len(engine.network_members(members.db)) == 33
