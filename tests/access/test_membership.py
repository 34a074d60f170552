"""Who is in the network: member authorities by quarter, collected themes, who may upload, and a
database from before members existed."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import openpyxl
import pytest
from support import return_csv

from benchmark import db as db_module
from benchmark import service
from benchmark.access import membership, rights
from benchmark.access.rights import AccessDenied, Role, User, local_operator
from benchmark.analysis import engine, tracker
from benchmark.db import Database, close_database, open_database
from benchmark.definitions.standard import THEMES, columns
from benchmark.intake import returns as returns_module
from benchmark.intake import templates
from benchmark.intake.returns import store_file
from benchmark.outputs import packs
from benchmark.periods import Period

CHAIR = local_operator("chair")
P = Period.parse("2026-27 Q1")
TODAY = dt.date(2026, 11, 23)


def row(theme_id: str, la_code: str, period: Period = P) -> dict:
    values = {spec.name: spec.example for spec in columns(theme_id)}
    return {**values, "la_code": la_code, "period": period.label}


def store(db: Database, theme_id: str, *rows: dict, user: User = CHAIR, name: str = "return.csv"):
    return service.store(db, user, name, return_csv(theme_id, list(rows)), today=TODAY)


def submissions(db: Database) -> int:
    return int(db.scalar("SELECT count(*) FROM submissions"))


def test_a_new_network_accepts_any_authority_each_a_member_from_its_first_quarter(tmp_db: Database):
    assert membership.memberships(tmp_db) == [] and not membership.members_are_set(tmp_db)
    assert store(tmp_db, "advice", row("advice", "202", P), row("advice", "206", P.shift(1))).stored
    spans = {item.la_code: item for item in membership.memberships(tmp_db)}
    assert spans["202"].joined == P and spans["206"].joined == P.shift(1)
    assert engine.network_members(tmp_db, P) == ["202"]
    assert engine.network_members(tmp_db, P.shift(1)) == ["202", "206"]


def test_once_members_are_set_an_upload_from_outside_is_refused_and_stores_nothing(tmp_db: Database):
    membership.add_authorities(tmp_db, CHAIR, ["Camden", "E09000019"], P)  # a name and Islington's ONS code
    assert membership.members_in(tmp_db, P) == ["202", "206"]
    result = store(tmp_db, "advice", row("advice", "202"), row("advice", "204"))
    assert result.status == "refused" and submissions(tmp_db) == 0
    (error,) = result.report.errors
    assert error.column == "la_code" and error.value == "204"
    assert "Hackney is not a member of this network" in error.message and "network add" in error.message
    # the chair adds Hackney first, and the same file is stored
    membership.add_authorities(tmp_db, CHAIR, ["204"], P)
    assert store(tmp_db, "advice", row("advice", "202"), row("advice", "204")).stored


def test_a_member_returns_only_for_quarters_it_is_a_member(tmp_db: Database):
    membership.add_authorities(tmp_db, CHAIR, ["202"], P)
    result = store(tmp_db, "advice", row("advice", "202", P.shift(-1)))
    assert result.status == "refused" and "not in 2025-26 Q4" in result.report.errors[0].message
    membership.remove_authorities(tmp_db, CHAIR, ["202"], P.shift(2))
    assert store(tmp_db, "advice", row("advice", "202", P.shift(1))).stored
    assert not store(tmp_db, "advice", row("advice", "202", P.shift(2))).stored
    assert engine.network_members(tmp_db, P.shift(1)) == ["202"] and engine.network_members(tmp_db, P.shift(2)) == []
    assert engine.network_members(tmp_db) == ["202"]  # its earlier quarters stay


def test_removing_from_the_quarter_it_joined_removes_it_altogether(tmp_db: Database):
    membership.add_authorities(tmp_db, CHAIR, ["202", "206"], P)
    membership.remove_authorities(tmp_db, CHAIR, ["206"], P)
    assert membership.members_in(tmp_db) == ["202"]
    with pytest.raises(ValueError, match="not a member of the network: Islington"):
        membership.remove_authorities(tmp_db, CHAIR, ["206"])
    with pytest.raises(ValueError, match="'Atlantis' is not an English authority"):
        membership.add_authorities(tmp_db, CHAIR, ["Atlantis"])


def test_the_chairs_first_change_keeps_the_authorities_that_had_returned(tmp_db: Database):
    store(tmp_db, "advice", row("advice", "202", P.shift(-2)))
    membership.add_authorities(tmp_db, CHAIR, ["206"], P)
    spans = {item.la_code: item.joined for item in membership.memberships(tmp_db)}
    assert spans == {"202": P.shift(-2), "206": P}


def test_only_the_chair_sets_members_and_themes(tmp_db: Database):
    dsco = User("dsco@camden.gov.uk", Role.DSCO, "202")
    with pytest.raises(AccessDenied):
        membership.add_authorities(tmp_db, dsco, ["206"])
    with pytest.raises(AccessDenied):
        membership.set_themes(tmp_db, dsco, ["advice"])
    membership.add_authorities(tmp_db, CHAIR, ["202"], P)
    actions = tmp_db.frame("SELECT action, la_code, detail FROM audit_log")
    assert actions.values.tolist() == [["authority joined network", "202", '{"from": "2026-27 Q1"}']]


def test_a_network_collecting_one_theme_expects_and_accepts_only_that_theme(tmp_db: Database):
    membership.set_themes(tmp_db, CHAIR, ["advice"])
    assert membership.network_themes(tmp_db) == ("advice",)
    refused = store(tmp_db, "short_breaks", row("short_breaks", "202"))
    assert refused.status == "refused" and "does not collect short breaks" in refused.report.errors[0].message
    assert store(tmp_db, "advice", row("advice", "202")).stored
    table = tracker.tracker(tmp_db, P, TODAY)
    assert table[["la_code", "theme"]].values.tolist() == [["202", "advice"]]
    with pytest.raises(ValueError, match="themes must be some of"):
        membership.set_themes(tmp_db, CHAIR, ["advice", "football"])


def test_members_table_lists_uploader_and_dsco_addresses(tmp_db: Database):
    chair = rights.add_member(tmp_db, CHAIR, "chair@network.gov.uk", "chair", None)
    rights.add_member(tmp_db, chair, "up@camden.gov.uk", "uploader", "202")
    rights.add_member(tmp_db, chair, "dsco@camden.gov.uk", "dsco", "202")
    membership.add_authorities(tmp_db, chair, ["202", "206"], P)
    table = membership.members_table(tmp_db).set_index("la_code")
    assert table.loc["202", ["joined", "uploaders", "dscos"]].tolist() == [
        "2026-27 Q1", "up@camden.gov.uk", "dsco@camden.gov.uk"]
    assert table.loc["206", "uploaders"] == ""


def test_a_database_built_before_members_upgrades_and_keeps_working(tmp_path: Path, monkeypatch):
    """Built with the migrations shipped before this change, then opened with all of them."""
    path = tmp_path / "old.duckdb"
    monkeypatch.setattr(db_module, "MIGRATIONS", db_module.MIGRATIONS[:4])
    # the code of that time had no breakdowns (migration 7) to check a changed total against
    monkeypatch.setattr(returns_module, "stale_breakdowns", lambda *args, **kwargs: [])
    old = open_database(path)
    assert old.schema_version == 4
    for la_code, period in (("202", P.shift(-1)), ("202", P), ("206", P)):
        assert store_file(old, "old.csv", return_csv("advice", [row("advice", la_code, period)]), "a",
                          today=TODAY).stored
    close_database(path)
    monkeypatch.undo()

    upgraded = open_database(path)
    try:
        assert upgraded.schema_version == db_module.MIGRATIONS[-1][0]
        spans = {item.la_code: item.joined for item in membership.memberships(upgraded)}
        assert spans == {"202": P.shift(-1), "206": P}  # the authorities with returns, from their first quarter
        assert set(engine.compare(upgraded, P, "adv_6wk_pct")["la_code"]) == {"202", "206"}
        assert tracker.completeness(upgraded, P, TODAY)["returns_received"] == 2
        # still open: a new authority's return is accepted and makes it a member
        assert store(upgraded, "advice", row("advice", "204")).stored
        assert "204" in engine.network_members(upgraded, P)
    finally:
        close_database(path)


def test_an_authority_that_left_is_not_in_later_packs_or_trackers(tmp_db: Database):
    membership.add_authorities(tmp_db, CHAIR, ["202", "206"], P)
    assert store(tmp_db, "advice", row("advice", "202"), row("advice", "206")).stored
    membership.remove_authorities(tmp_db, CHAIR, ["206"], P.shift(1))
    later = packs.build_pack(tmp_db, packs.PackRequest(P.shift(1), themes=("advice",)))
    assert later.tracker["Authority"].tolist() == ["Camden"]
    assert later.sections[0].table["la_code"].tolist() == ["202"]
    earlier = packs.build_pack(tmp_db, packs.PackRequest(P, themes=("advice",)))
    assert sorted(earlier.sections[0].table["la_code"]) == ["202", "206"]


def workbook(rows: dict[str, list[dict]]) -> bytes:
    """The one-workbook return with these rows on each theme's sheet."""
    book = openpyxl.load_workbook(io.BytesIO(templates.workbook_template()))
    for theme_id, theme_rows in rows.items():
        for values in theme_rows:
            book[THEMES[theme_id].sheet].append([values[spec.name] or None for spec in columns(theme_id)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def assert_sentence(message: str) -> None:
    assert message[0].isupper() and message.endswith("."), message


def test_a_workbook_is_refused_sheet_by_sheet_for_an_outsider_and_a_theme_not_collected(tmp_db: Database):
    membership.add_authorities(tmp_db, CHAIR, ["202"], P)
    membership.set_themes(tmp_db, CHAIR, ["advice"])
    content = workbook({"advice": [row("advice", "202"), row("advice", "204")],
                        "short_breaks": [row("short_breaks", "202")]})
    result = service.store(tmp_db, CHAIR, "return.xlsx", content, today=TODAY)
    assert result.status == "refused" and submissions(tmp_db) == 0
    theme, outsider = result.report.errors
    assert (theme.sheet, theme.row, theme.column) == ("Short breaks", None, None)
    assert theme.message.startswith("This network does not collect short breaks")
    assert (outsider.sheet, outsider.row, outsider.value) == ("Advice", 3, "204")
    assert outsider.message.startswith("Hackney is not a member of this network")
    for problem in result.report.errors:
        assert_sentence(problem.message)


def test_refusals_of_the_users_rights_are_whole_sentences_on_their_row(tmp_db: Database):
    uploader = User("up@camden.gov.uk", Role.UPLOADER, "202")
    refused = store(tmp_db, "advice", row("advice", "202"), row("advice", "206"), user=uploader)
    (error,) = refused.report.errors
    assert (error.row, error.column, error.value) == (3, "la_code", "206")
    assert error.message == "You may only store returns for Camden, not for Islington: nothing was stored."
    dsco = store(tmp_db, "advice", row("advice", "202"), user=User("d@camden.gov.uk", Role.DSCO, "202"))
    assert dsco.report.errors[0].row == 2 and dsco.report.errors[0].message.startswith("As a ")
    assert_sentence(dsco.report.errors[0].message)
