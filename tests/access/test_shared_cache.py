"""Meeting-day load: what is the same for everyone who sees the network the same way is built once and
shared across sessions; a reader who sees it differently (another authority hidden, or its own name
shown) never gets another audience's copy, and an upload makes every copy be built again."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import return_csv

from benchmark import service
from benchmark.access import membership, rights
from benchmark.access.rights import Role, User, local_operator
from benchmark.analysis import summary
from benchmark.db import Database, close_database, open_database
from benchmark.definitions.standard import columns
from benchmark.periods import Period

CHAIR = local_operator("chair")
P = Period.current().shift(-1)
MEMBERS = ("202", "206", "210", "209", "208", "203")


def advice(la_code: str, returned: int, on_time: int) -> dict:
    values = {spec.name: spec.example for spec in columns("advice")}
    return {**values, "la_code": la_code, "period": P.label, "adv_requests": returned + 5, "adv_returned": returned,
            "adv_returned_6wk": on_time, "adv_late_exception": 0, "adv_audited": "", "adv_audited_good": ""}


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = open_database(tmp_path / "shared.duckdb")
    membership.add_authorities(database, CHAIR, MEMBERS, P)
    membership.set_themes(database, CHAIR, ["advice"])
    rows = [advice(code, 40 + 10 * number, 20 + 9 * number) for number, code in enumerate(MEMBERS)]
    assert service.store(database, CHAIR, "network.csv", return_csv("advice", rows)).stored
    rights.set_sharing(database, CHAIR, "202", "anonymous")
    yield database
    close_database(tmp_path / "shared.duckdb")


def dsco(la_code: str) -> User:
    return User(f"dsco@{la_code}.gov.uk", Role.DSCO, la_code)


def test_one_build_per_audience(db: Database, monkeypatch: pytest.MonkeyPatch):
    builds = []
    real = summary.network_summary
    monkeypatch.setattr(summary, "network_summary", lambda *args, **kwargs: builds.append(1) or real(*args, **kwargs))
    islington, southwark, camden = dsco("206"), dsco("210"), dsco("202")
    first = service.network_summary(db, islington, P)
    assert service.network_summary(db, southwark, P) is first  # same authorities hidden: one build, shared
    assert len(builds) == 1
    own = service.network_summary(db, camden, P)  # Camden sees its own name: another audience
    assert len(builds) == 2 and own is not first


def test_a_reader_never_gets_another_audiences_copy(db: Database):
    other = service.compare(db, dsco("206"), P, "adv_6wk_pct")
    own = service.compare(db, dsco("202"), P, "adv_6wk_pct")
    assert "Camden" not in set(other["la_name"]) and "Camden" in set(own["la_name"])
    # A page may add columns to what it gets: the shared copy stays as built.
    other["Commentary"] = "written on one page"
    assert "Commentary" not in service.compare(db, dsco("210"), P, "adv_6wk_pct")


def test_an_upload_rebuilds_every_shared_copy(db: Database):
    before = service.compare(db, dsco("206"), P, "adv_6wk_pct").set_index("la_name")
    assert service.store(db, CHAIR, "islington.csv", return_csv("advice", [advice("206", 50, 50)])).stored
    after = service.compare(db, dsco("206"), P, "adv_6wk_pct").set_index("la_name")
    assert before.loc["Islington", "value"] != after.loc["Islington", "value"] == 100.0
