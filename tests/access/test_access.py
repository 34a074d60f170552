"""Who may see and do what (issue 6), through benchmark.service and benchmark.access.rights as every page
and command calls them: storing only for one's own authority, no data for a non-member, anonymous
authorities as letters to their peers, membership and sharing rules, the append-only audit log,
who a visitor acts as, and the `members`, `import --as` and `pack --as` commands.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from browser_support import copy_database

from benchmark import cli, reference, service
from benchmark.access import rights
from benchmark.access.rights import AccessDenied, Role, User
from benchmark.db import Database, close_database, open_database
from benchmark.definitions.metrics import METRICS
from benchmark.outputs.disclosure import rounded
from benchmark.outputs.packs import PackRequest
from benchmark.periods import Period

ROOT = Path(__file__).resolve().parents[2]
LATEST = Period.parse("2026-27 Q2")  # the demo network's latest quarter
QUARTER = "2025-26 Q1"  # the quarter of the standard's example rows: in the past whatever the clock says
METRIC = "adv_6wk_pct"
CHAIR = "chair@network.gov.uk"
UPLOADER = "up@camden.gov.uk"
LETTER = re.compile(r"^Authority [A-Z]{1,2}$")


def audit_rows(db: Database) -> pd.DataFrame:
    """The audit log straight from the table, oldest first."""
    return db.frame("SELECT * FROM audit_log ORDER BY audit_id")


def submissions(db: Database) -> int:
    return int(db.scalar("SELECT count(*) FROM submissions"))


@dataclass(frozen=True)
class Network:
    db: Database
    chair: User
    uploader: User  # Camden (202)
    dsco: User  # Camden's DSCO
    islington_uploader: User  # 206


@pytest.fixture
def network(tmp_db: Database) -> Network:
    """A fresh database whose members are a chair, Camden's uploader and DSCO, and Islington's uploader."""
    chair = rights.add_member(tmp_db, rights.local_operator("test"), CHAIR, "chair", None, "Network chair")
    return Network(
        tmp_db, chair,
        rights.add_member(tmp_db, chair, UPLOADER, "uploader", "202"),
        rights.add_member(tmp_db, chair, "dsco@camden.gov.uk", "dsco", "202"),
        rights.add_member(tmp_db, chair, "up@islington.gov.uk", "uploader", "Islington"),
    )


# --- storing: only for one's own authority, whatever the file says ------------------------------------

def test_uploader_stores_own_authority(network: Network, make_csv: Callable, example_row: Callable,
                                       today: dt.date) -> None:
    result = service.store(network.db, network.uploader, "camden.csv",
                           make_csv("advice", [example_row("advice", "202", QUARTER)]), today=today)
    assert result.status == "stored", result.report.errors
    stored = network.db.frame("SELECT submitted_by FROM submissions")
    assert stored["submitted_by"].tolist() == [UPLOADER]
    assert network.db.scalar("SELECT DISTINCT la_code FROM return_rows") == "202"


@pytest.mark.parametrize("spelled", ["206", "Islington", "E09000019", "  ISLINGTON "])
def test_uploader_cannot_store_another_authority_however_spelled(
        network: Network, make_csv: Callable, example_row: Callable, today: dt.date, spelled: str) -> None:
    content = make_csv("advice", [example_row("advice", "202", QUARTER), example_row("advice", spelled, QUARTER)])
    for check in (service.validate(network.db, network.uploader, "mixed.csv", content, today),
                  service.store(network.db, network.uploader, "mixed.csv", content, today=today).report):
        assert not check.ok
        assert [(problem.row, problem.column) for problem in check.errors] == [(3, "la_code")]
        assert "Islington" in check.errors[0].message and "Camden" in check.errors[0].message
        assert check.warnings == []
        assert check.rows == []
    assert submissions(network.db) == 0, "a refused file stored something"
    assert not (audit_rows(network.db)["action"] == "return stored").any()


def test_refused_file_shows_the_uploader_no_warnings(network: Network, make_csv: Callable,
                                                     example_row: Callable, today: dt.date) -> None:
    """Warnings quote another authority's figures: a refused file gives the uploader none of them."""
    content = make_csv("short_breaks", [example_row("short_breaks", "202", QUARTER),
                                        example_row("short_breaks", "206", QUARTER, sb_children_total="30000")])
    as_chair = service.validate(network.db, network.chair, "sb.csv", content, today)
    assert as_chair.ok and as_chair.warnings, "the file should earn a plausibility warning"
    assert any("Islington" in warning.message for warning in as_chair.warnings)
    as_uploader = service.validate(network.db, network.uploader, "sb.csv", content, today)
    assert not as_uploader.ok and as_uploader.warnings == []
    result = service.store(network.db, network.uploader, "sb.csv", content, today=today)
    assert result.status == "refused" and result.report.warnings == []
    assert "Nothing has been stored" in result.message
    assert submissions(network.db) == 0


def test_uploader_cannot_replace_another_authoritys_return(network: Network, make_csv: Callable,
                                                           example_row: Callable, today: dt.date) -> None:
    db = network.db
    original = make_csv("advice", [example_row("advice", "206", QUARTER, adv_requests="48")])
    assert service.store(db, network.islington_uploader, "islington.csv", original, today=today).status == "stored"
    before = db.frame("SELECT * FROM current_values WHERE la_code = '206' ORDER BY field")
    changed = make_csv("advice", [example_row("advice", "206", QUARTER, adv_requests="60")])
    result = service.store(db, network.uploader, "islington_changed.csv", changed, today=today)
    assert result.status == "refused"
    assert result.report.errors[0].column == "la_code" and "Islington" in result.report.errors[0].message
    assert submissions(db) == 1
    pd.testing.assert_frame_equal(db.frame("SELECT * FROM current_values WHERE la_code = '206' ORDER BY field"),
                                  before)
    assert db.scalar("SELECT value FROM current_values WHERE la_code = '206' AND field = 'adv_requests'") == 48


def test_dsco_cannot_store(network: Network, make_csv: Callable, example_row: Callable, today: dt.date) -> None:
    content = make_csv("advice", [example_row("advice", "202", QUARTER)])
    result = service.store(network.db, network.dsco, "camden.csv", content, today=today)
    assert result.status == "refused"
    assert len(result.report.errors) == 1
    assert "can compare but not store" in result.report.errors[0].message
    assert submissions(network.db) == 0
    assert not service.validate(network.db, network.dsco, "camden.csv", content, today).ok


def test_chair_stores_on_behalf_of_each_authority(network: Network, make_csv: Callable, example_row: Callable,
                                                  today: dt.date) -> None:
    db = network.db
    before = len(audit_rows(db))
    content = make_csv("advice", [example_row("advice", code, QUARTER) for code in ("213", "202", "206")])
    result = service.store(db, network.chair, "three.csv", content, today=today)
    assert result.status == "stored", result.report.errors
    lines = audit_rows(db).iloc[before:]
    assert lines["action"].tolist() == ["return stored"] * 3
    assert sorted(lines["la_code"]) == ["202", "206", "213"]
    assert (lines["on_behalf_of"] == lines["la_code"]).all(), "a chair's store is not recorded as on behalf"
    assert set(lines["actor"]) == {CHAIR}
    for detail in map(json.loads, lines["detail"]):
        assert detail["submission_id"] == result.submission_id
        assert detail["file"] == "three.csv" and detail["periods"] == [QUARTER] and detail["theme"] == "advice"


def test_resubmission_is_audited_and_identical_file_adds_nothing(network: Network, make_csv: Callable,
                                                                 example_row: Callable, today: dt.date) -> None:
    db = network.db
    first = service.store(db, network.uploader, "a.csv",
                          make_csv("advice", [example_row("advice", "202", QUARTER, adv_requests="48")]), today=today)
    count = len(audit_rows(db))
    again = make_csv("advice", [example_row("advice", "202", QUARTER, adv_requests="50")])
    second = service.store(db, network.uploader, "b.csv", again, today=today)
    assert second.status == "stored" and second.replaced
    lines = audit_rows(db).iloc[count:]
    assert lines["action"].tolist() == ["return stored", "return superseded"]
    assert lines["la_code"].tolist() == ["202", "202"]
    assert lines["on_behalf_of"].isna().all(), "an uploader storing its own return acts for nobody else"
    superseded = json.loads(lines["detail"].iloc[1])
    assert (superseded["submission_id"], superseded["replaced_by"], superseded["period"]) == (
        first.submission_id, second.submission_id, QUARTER)
    count = len(audit_rows(db))
    third = service.store(db, network.uploader, "b.csv", again, today=today)
    assert third.status == "duplicate"
    assert len(audit_rows(db)) == count, "an identical file was audited again"
    assert submissions(db) == 2


# --- a non-member sees nothing --------------------------------------------------------------------------

def test_non_member_gets_nothing(network: Network, make_csv: Callable, example_row: Callable,
                                 today: dt.date) -> None:
    db = network.db
    content = make_csv("advice", [example_row("advice", "202", QUARTER)])
    assert service.store(db, network.uploader, "camden.csv", content, today=today).stored
    period = Period.parse(QUARTER)
    calls = {
        "compare": lambda: service.compare(db, None, period, METRIC),
        "series": lambda: service.series(db, None, METRIC, "202", period),
        "scorecard": lambda: service.scorecard(db, None, "202", period),
        "rug": lambda: service.rug(db, None, period),
        "tracker_grid": lambda: service.tracker_grid(db, None, period),
        "completeness": lambda: service.completeness(db, None, period),
        "history": lambda: service.history(db, None),
        "choosable_authorities": lambda: service.choosable_authorities(db, None),
        "build_pack": lambda: service.build_pack(db, None, PackRequest(period)),
        "validate": lambda: service.validate(db, None, "camden.csv", content, today),
        "store": lambda: service.store(db, None, "camden2.csv", content, today=today),
    }
    for name, call in calls.items():
        with pytest.raises(AccessDenied):
            call()
            pytest.fail(f"{name} answered a non-member")
    pack = service.build_pack(db, network.chair, PackRequest(period))
    audited = len(audit_rows(db))
    with pytest.raises(AccessDenied):
        service.render_pack(db, None, pack, "xlsx")
    assert submissions(db) == 1 and len(audit_rows(db)) == audited


# --- anonymous authorities: letters to peers, named to themselves and the chair --------------------------

HIDDEN = {"202": "Camden", "201": "City of London"}
# What would name them: their names and their ONS codes (the 3-digit codes are also plain numbers).
HIDDEN_TEXT = [*HIDDEN.values(), *(reference.authorities()[code].ons_code for code in HIDDEN)]


@dataclass(frozen=True)
class Anonymous:
    db: Database
    chair: User
    peer: User  # Hackney's DSCO: sees Camden and City of London as letters
    camden: User  # Camden's uploader: sees Camden named, City of London as a letter
    city: User  # City of London's DSCO


@pytest.fixture(scope="module")
def anonymous(demo_build, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Anonymous]:
    """A module-wide demo copy where Camden (set by the chair) and City of London (set by its own DSCO)
    share anonymously. Tests only read it (a pack rendered adds an audit line, which changes no figure)."""
    close_database(demo_build.path)
    path = copy_database(demo_build.path, tmp_path_factory.mktemp("access_anonymous") / "demo.duckdb")
    db = open_database(path)
    chair = rights.add_member(db, rights.local_operator("test"), CHAIR, "chair", None)
    peer = rights.add_member(db, chair, "dsco@hackney.gov.uk", "dsco", "204")
    camden = rights.add_member(db, chair, UPLOADER, "uploader", "202")
    city = rights.add_member(db, chair, "dsco@cityoflondon.gov.uk", "dsco", "201")
    rights.set_sharing(db, chair, "202", "anonymous")
    rights.set_sharing(db, city, "201", "anonymous")
    yield Anonymous(db, chair, peer, camden, city)
    close_database(path)


def letter_rows(frame: pd.DataFrame, column: str = "la_name") -> pd.DataFrame:
    return frame[frame[column].astype(str).str.match(LETTER)]


def assert_no_hidden_name(values: object, where: str) -> None:
    text = " | ".join(str(value) for value in values)
    for name in HIDDEN_TEXT:
        assert name not in text, f"{name} named to a peer in {where}"


def test_sharing_settings_recorded(anonymous: Anonymous) -> None:
    assert rights.sharing(anonymous.db) == {"202": rights.Sharing.ANONYMOUS, "201": rights.Sharing.ANONYMOUS}
    assert service.hidden_authorities(anonymous.db, anonymous.peer) == frozenset(HIDDEN)
    assert service.hidden_authorities(anonymous.db, anonymous.camden) == frozenset({"201"})
    assert service.hidden_authorities(anonymous.db, anonymous.city) == frozenset({"202"})
    assert service.hidden_authorities(anonymous.db, anonymous.chair) == frozenset()


def test_compare_letters_hidden_authorities_for_a_peer(anonymous: Anonymous) -> None:
    db = anonymous.db
    table = service.compare(db, anonymous.peer, LATEST, METRIC)
    named = service.compare(db, anonymous.chair, LATEST, METRIC)
    assert len(table) == len(named) == 33
    assert_no_hidden_name(table["la_name"], "compare (network)")
    assert not set(HIDDEN) & set(table["la_code"])
    letters = letter_rows(table)
    assert len(letters) == 2 and letters["la_name"].nunique() == 2
    assert (letters["la_code"] == "").all() and (letters["sn_closeness"] == "").all()
    # the same figures, anonymised: the letters carry the hidden authorities' values, rounded, and no
    # count, population or neighbour figure that would tie them to a name
    hidden_values = sorted(rounded(named.loc[named["la_code"].isin(HIDDEN), "value"], METRICS[METRIC]))
    assert sorted(letters["value"]) == hidden_values
    assert letters[["numerator", "denominator", "ci_low", "ci_high", "sn_mean", "sn_reported"]].isna().all().all()
    assert "Hackney" in table["la_name"].tolist()


def test_compare_neighbours_group_letters_a_hidden_neighbour(anonymous: Anonymous) -> None:
    """DfE's list of Hackney's ten neighbours is public: a letter beside nine named ones would be Camden.
    So Camden is left out, ranks are given without it, and Hackney's neighbours' average (which holds
    Camden's value) is not shown."""
    table = service.compare(anonymous.db, anonymous.peer, LATEST, METRIC, "neighbours", "204")
    assert len(table) == 10  # Hackney and nine of its ten statistical neighbours: not Camden
    assert_no_hidden_name(table["la_name"], "compare (neighbours)")
    assert letter_rows(table).empty and "204" in table["la_code"].tolist()
    ranks = sorted(int(rank) for rank in table["rank"].dropna())
    assert ranks == list(range(1, len(ranks) + 1)) or len(set(ranks)) < len(ranks)  # no gap where Camden was
    hackney = table[table["la_code"] == "204"].iloc[0]
    assert pd.isna(hackney["sn_mean"]) and pd.isna(hackney["sn_median"])
    assert "an authority sharing anonymously" in hackney["sn_closeness"]


def test_rug_tracker_and_completeness_letter_hidden_authorities(anonymous: Anonymous) -> None:
    db, peer = anonymous.db, anonymous.peer
    text, bands = service.rug(db, peer, LATEST)
    assert len(text) == 33 and list(text.index) == list(bands.index)
    assert_no_hidden_name(text.index, "rug")
    assert sum(bool(LETTER.match(name)) for name in text.index) == 2
    grid = service.tracker_grid(db, peer, LATEST)
    assert_no_hidden_name(grid["la_name"], "tracker")
    assert not set(HIDDEN) & set(grid["la_code"])
    assert (letter_rows(grid)["la_code"] == "").all() and len(letter_rows(grid)) == 2
    missing = service.completeness(db, peer, LATEST)["missing"]
    assert_no_hidden_name([name for name, _ in missing], "completeness")
    city_letter = [name for name, theme in missing if theme == "transitions" and LETTER.match(name)]
    assert len(city_letter) == 1, missing  # City of London has not returned transitions
    # one letter per authority on the overview: the tracker and the rug agree
    assert city_letter[0] in set(grid["la_name"]) and city_letter[0] in set(text.index)


def test_pack_letters_hidden_authorities_everywhere(anonymous: Anonymous) -> None:
    pack = service.build_pack(anonymous.db, anonymous.peer, PackRequest(LATEST))
    assert pack.sections
    lettered = 0
    for section in pack.sections:
        assert_no_hidden_name(section.table["la_name"], f"pack section {section.metric.id}")
        assert not set(HIDDEN) & set(section.table["la_code"])
        # two letters, or none where only one of them reported (one letter would be named by elimination)
        assert len(letter_rows(section.table)) in (0, 2), section.metric.id
        lettered += len(letter_rows(section.table)) == 2
        assert_no_hidden_name(section.outliers, "pack outliers")
    assert lettered >= 10
    assert_no_hidden_name(pack.tracker["Authority"], "pack tracker")
    assert len(letter_rows(pack.tracker, "Authority")) == 2
    assert_no_hidden_name(pack.rug_values.index, "pack rug")
    assert sum(bool(LETTER.match(str(name))) for name in pack.rug_values.index) == 2
    assert_no_hidden_name(pack.rug_bands.index, "pack rug bands")
    assert_no_hidden_name(pack.discussion.to_numpy().ravel(), "pack discussion")
    assert_no_hidden_name([name for name, _ in pack.completeness["missing"]], "pack completeness")
    assert "Hackney" in pack.tracker["Authority"].tolist()


def test_summary_and_discussion_letter_hidden_authorities(anonymous: Anonymous) -> None:
    overview = service.network_summary(anonymous.db, anonymous.peer, LATEST)
    assert_no_hidden_name([sentence for theme in overview.themes for sentence in theme.items], "overview summary")
    pack = service.discussion(anonymous.db, anonymous.peer, PackRequest(LATEST))
    assert_no_hidden_name(pack.discussion_all["sentence"], "full discussion list")
    assert not set(HIDDEN) & set(pack.discussion_all["la_code"])
    lettered = letter_rows(pack.discussion_all)
    assert len(lettered) and all(sentence.startswith(name + ": ") for name, sentence in
                                 zip(lettered["la_name"], lettered["sentence"], strict=True)), "Camden has items"
    assert_no_hidden_name([sentence for theme in pack.summary.themes for sentence in theme.items], "pack summary")
    with pytest.raises(AccessDenied):
        service.network_summary(anonymous.db, None, LATEST)


def test_pack_sections_carry_no_neighbour_list_for_a_hidden_authority(anonymous: Anonymous) -> None:
    pack = service.build_pack(anonymous.db, anonymous.peer, PackRequest(LATEST))
    for section in pack.sections:
        hidden = letter_rows(section.table)
        assert len(hidden) in (0, 2)
        assert (hidden["sn_closeness"].fillna("") == "").all(), hidden["sn_closeness"].tolist()


def test_rendered_xlsx_pack_names_no_hidden_authority(anonymous: Anonymous) -> None:
    db, peer = anonymous.db, anonymous.peer
    pack = service.build_pack(db, peer, PackRequest(LATEST))
    before = len(audit_rows(db))
    content = service.render_pack(db, peer, pack, "xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    cells = [cell for sheet in workbook for row in sheet.iter_rows(values_only=True) for cell in row
             if cell is not None]
    cells += workbook.sheetnames
    assert any("Hackney" in str(cell) for cell in cells), "the scan found no named authority at all"
    assert any(LETTER.match(str(cell)) for cell in cells)
    assert_no_hidden_name(cells, "the rendered xlsx pack")
    line = audit_rows(db).iloc[before:]
    assert line["action"].tolist() == ["pack generated"] and line["actor"].tolist() == [peer.email]
    assert json.loads(line["detail"].iloc[0])["format"] == "xlsx"


def test_hidden_authority_named_to_itself_and_the_chair(anonymous: Anonymous) -> None:
    db = anonymous.db
    own = service.compare(db, anonymous.camden, LATEST, METRIC)
    assert "Camden" in own["la_name"].tolist() and "202" in own["la_code"].tolist()
    # City of London is the only authority Camden sees anonymously: a single letter among 32 named members
    # would be City of London by elimination, so it is left out
    assert "City of London" not in own["la_name"].tolist() and letter_rows(own).empty and len(own) == 32
    assert "Camden" in service.rug(db, anonymous.camden, LATEST)[0].index
    assert "Camden" in service.tracker_grid(db, anonymous.camden, LATEST)["la_name"].tolist()
    city = service.tracker_grid(db, anonymous.city, LATEST)
    assert "City of London" in city["la_name"].tolist() and "Camden" not in city["la_name"].tolist()
    assert not service.scorecard(db, anonymous.camden, "202", LATEST).empty
    chair = service.compare(db, anonymous.chair, LATEST, METRIC)
    assert set(HIDDEN.values()) <= set(chair["la_name"]) and letter_rows(chair).empty
    pack = service.build_pack(db, anonymous.chair, PackRequest(LATEST, own_la="202", authority_pages=("201",)))
    assert set(HIDDEN.values()) <= set(pack.tracker["Authority"])
    assert ("City of London", "transitions") in service.completeness(db, anonymous.chair, LATEST)["missing"]


def test_a_lone_letter_is_left_out_of_the_tracker_and_its_counts(anonymous: Anonymous) -> None:
    """Camden sees only City of London anonymously: one letter among 32 named members would be City of
    London by elimination, so the tracker, its counts and the pack's tracker leave it out."""
    db, camden = anonymous.db, anonymous.camden
    grid = service.tracker_grid(db, camden, LATEST)
    assert len(grid) == 32 and letter_rows(grid).empty and "201" not in set(grid["la_code"])
    counts = service.completeness(db, camden, LATEST)
    assert counts["authorities"] == 32 and not any(LETTER.match(name) for name, _ in counts["missing"])
    everyone = service.completeness(db, anonymous.chair, LATEST)
    themes = len(service.network_themes(db, anonymous.chair))
    assert everyone["authorities"] == 33 and counts["returns_expected"] == everyone["returns_expected"] - themes
    pack = service.build_pack(db, camden, PackRequest(LATEST))
    assert len(pack.tracker) == 32 and letter_rows(pack.tracker, "Authority").empty
    assert pack.completeness["authorities"] == 32
    assert len(letter_rows(service.tracker_grid(db, anonymous.peer, LATEST))) == 2  # two letters stay


def test_peer_cannot_choose_a_hidden_authority(anonymous: Anonymous) -> None:
    db, peer = anonymous.db, anonymous.peer
    choosable = service.choosable_authorities(db, peer)
    assert len(choosable) == 31 and not set(HIDDEN) & set(choosable) and "204" in choosable
    assert "202" in service.choosable_authorities(db, anonymous.camden)
    assert "201" not in service.choosable_authorities(db, anonymous.camden)
    assert len(service.choosable_authorities(db, anonymous.chair)) == 33
    for code in HIDDEN:
        refusals = {
            "scorecard": lambda code=code: service.scorecard(db, peer, code, LATEST),
            "series": lambda code=code: service.series(db, peer, METRIC, code, LATEST),
            "compare": lambda code=code: service.compare(db, peer, LATEST, METRIC, "neighbours", for_la=code),
            "build_pack own": lambda code=code: service.build_pack(db, peer, PackRequest(LATEST, own_la=code)),
            "build_pack pages": lambda code=code: service.build_pack(
                db, peer, PackRequest(LATEST, authority_pages=(code,))),
        }
        for name, call in refusals.items():
            with pytest.raises(AccessDenied, match="anonymously"):
                call()
                pytest.fail(f"{name} for {code} answered a peer")
    assert not service.scorecard(db, peer, "204", LATEST).empty  # a visible authority is fine


# --- members, sharing and the audit log ---------------------------------------------------------------

def test_only_the_chair_manages_members_and_reads_the_audit_log(network: Network) -> None:
    db = network.db
    for actor in (network.uploader, network.dsco):
        with pytest.raises(AccessDenied, match="chair"):
            rights.add_member(db, actor, "new@camden.gov.uk", "dsco", "202")
        with pytest.raises(AccessDenied, match="chair"):
            rights.remove_member(db, actor, network.islington_uploader.email)
        with pytest.raises(AccessDenied, match="chair"):
            rights.audit_log(db, actor)
    assert rights.member(db, "new@camden.gov.uk") is None
    assert rights.member(db, network.islington_uploader.email) is not None
    added = rights.add_member(db, network.chair, " New@Camden.GOV.uk ", "dsco", "Camden", "New DSCO")
    assert added == User("new@camden.gov.uk", Role.DSCO, "202", "New DSCO")
    assert rights.member(db, "NEW@camden.gov.uk") == added
    rights.remove_member(db, network.chair, "new@camden.gov.uk")
    assert rights.member(db, "new@camden.gov.uk") is None
    assert len(rights.audit_log(db, network.chair)) == len(audit_rows(db))


def test_member_rules(network: Network) -> None:
    db, chair = network.db, network.chair
    with pytest.raises(ValueError, match="authority"):
        rights.add_member(db, chair, "nobody@camden.gov.uk", "uploader", None)
    with pytest.raises(ValueError, match="not an English authority"):
        rights.add_member(db, chair, "nobody@camden.gov.uk", "dsco", "Atlantis")
    with pytest.raises(ValueError, match="e-mail"):
        rights.add_member(db, chair, "not an address", "dsco", "202")
    with pytest.raises(ValueError, match="not a member"):
        rights.remove_member(db, chair, "nobody@camden.gov.uk")
    assert rights.member(db, "nobody@camden.gov.uk") is None


def test_first_member_must_be_a_chair(tmp_db: Database) -> None:
    for role, la_code in (("uploader", "202"), ("dsco", "202")):
        with pytest.raises(AccessDenied, match="chair"):
            rights.add_member(tmp_db, rights.local_operator("test"), f"{role}@camden.gov.uk", role, la_code)
    with pytest.raises(AccessDenied, match="Sign-in is off"):  # a visitor without sign-in is nobody
        rights.add_member(tmp_db, rights.DEMO_USER, CHAIR, "chair", None)
    assert not rights.has_members(tmp_db)
    chair = rights.add_member(tmp_db, rights.local_operator("test"), CHAIR, "chair", None)
    assert chair.is_chair and rights.has_members(tmp_db)
    with pytest.raises(AccessDenied):  # from now on only a member who is chair manages members
        rights.add_member(tmp_db, User("someone@x.gov.uk", Role.DSCO, "202"), "x@camden.gov.uk", "dsco", "202")


def test_members_table_with_and_without_an_authority(network: Network) -> None:
    frame = rights.members(network.db)
    assert list(frame.columns) == ["email", "role", "la_code", "authority", "name", "added_at", "added_by"]
    rows = frame.set_index("email")
    assert (rows.loc[CHAIR, "la_code"], rows.loc[CHAIR, "authority"]) == ("", "")
    assert (rows.loc[UPLOADER, "role"], rows.loc[UPLOADER, "authority"]) == ("uploader", "Camden")
    assert rows.loc["up@islington.gov.uk", "authority"] == "Islington"
    assert rows.loc[UPLOADER, "added_by"] == CHAIR


def test_who_may_set_sharing(network: Network, tmp_db: Database) -> None:
    db = network.db
    hackney = rights.add_member(db, network.chair, "dsco@hackney.gov.uk", "dsco", "204")
    for actor in (hackney, network.uploader, network.islington_uploader):
        with pytest.raises(AccessDenied, match="sharing"):
            rights.set_sharing(db, actor, "202", "anonymous")
    assert rights.sharing(db) == {}
    rights.set_sharing(db, network.dsco, "202", "anonymous")  # Camden's own DSCO
    assert rights.sharing(db) == {"202": rights.Sharing.ANONYMOUS}
    rights.set_sharing(db, network.chair, "202", "named")
    rights.set_sharing(db, network.chair, "206", "anonymous")
    assert rights.sharing(db) == {"202": rights.Sharing.NAMED, "206": rights.Sharing.ANONYMOUS}


def test_audit_lines_say_who_when_and_what(network: Network, make_csv: Callable, example_row: Callable,
                                           today: dt.date) -> None:
    db, chair = network.db, network.chair
    started = dt.datetime.now() - dt.timedelta(seconds=1)
    count = len(audit_rows(db))
    rights.add_member(db, chair, "new@hackney.gov.uk", "dsco", "204")
    new = rights.member(db, "new@hackney.gov.uk")
    rights.set_sharing(db, new, "204", "anonymous")
    rights.remove_member(db, chair, "new@hackney.gov.uk")
    assert service.store(db, chair, "hackney.csv", make_csv("advice", [example_row("advice", "204", QUARTER)]),
                         today=today).stored
    period = Period.parse(QUARTER)
    pack = service.build_pack(db, network.uploader, PackRequest(period, own_la="202"))
    assert service.render_pack(db, network.uploader, pack, "xlsx")[:2] == b"PK"
    lines = audit_rows(db).iloc[count:]
    assert lines["action"].tolist() == ["member added", "sharing changed", "member removed", "return stored",
                                        "pack generated"]
    assert lines["actor"].tolist() == [CHAIR, "new@hackney.gov.uk", CHAIR, CHAIR, UPLOADER]
    assert lines["la_code"].tolist()[:2] == ["204", "204"]
    assert (lines["recorded_at"] >= started).all() and (lines["recorded_at"] <= dt.datetime.now()).all()
    details = [json.loads(text) for text in lines["detail"]]
    assert details[0] == {"email": "new@hackney.gov.uk", "role": "dsco"}
    assert details[1] == {"sharing": "anonymous"}
    assert details[2] == {"email": "new@hackney.gov.uk"}
    assert details[4]["format"] == "xlsx" and details[4]["period"] == QUARTER
    assert lines["la_code"].iloc[4] == "202"
    shown = rights.audit_log(db, chair)
    assert shown["audit_id"].is_monotonic_decreasing, "the audit log is not newest first"


AUDIT_WRITE = re.compile(
    r"(UPDATE\s+audit_log|DELETE\s+FROM\s+audit_log|INSERT\s+OR\s+REPLACE\s+INTO\s+audit_log|"
    r"DROP\s+TABLE\s+(IF\s+EXISTS\s+)?audit_log|TRUNCATE\s+(TABLE\s+)?audit_log|ALTER\s+TABLE\s+audit_log)",
    re.IGNORECASE,
)


def test_audit_log_is_append_only_through_the_application() -> None:
    sources = [*sorted((ROOT / "benchmark").rglob("*.py")), *sorted((ROOT / "pages").glob("*.py")), ROOT / "app.py"]
    assert len(sources) > 20
    text = {path.relative_to(ROOT).as_posix(): path.read_text(encoding="utf-8") for path in sources}
    assert any(re.search(r"INSERT INTO audit_log", source) for source in text.values()), "scan found no writer"
    offending = {name: AUDIT_WRITE.findall(source) for name, source in text.items() if AUDIT_WRITE.search(source)}
    assert not offending, f"the audit log is changed, not only appended to: {offending}"
    # ...and nothing deletes from a table chosen at run time either
    dynamic = {name for name, source in text.items() if re.search(r"(DELETE\s+FROM|UPDATE)\s+\{", source)}
    assert not dynamic, dynamic


# --- history ------------------------------------------------------------------------------------------

def test_history_chair_sees_all_members_their_own(network: Network, make_csv: Callable, example_row: Callable,
                                                  today: dt.date) -> None:
    db = network.db

    def store(user: User, name: str, codes: tuple[str, ...], theme: str = "advice") -> int:
        result = service.store(db, user, name, make_csv(theme, [example_row(theme, code, QUARTER) for code in codes]),
                               today=today)
        assert result.status == "stored", result.report.errors
        return result.submission_id

    others = store(network.chair, "others.csv", ("206", "213"))
    camden = store(network.uploader, "camden.csv", ("202",), "transitions")
    both = store(network.chair, "both.csv", ("202", "206"), "short_breaks")
    assert service.history(db, network.chair)["submission_id"].tolist() == [both, camden, others]
    for user in (network.uploader, network.dsco):
        assert service.history(db, user)["submission_id"].tolist() == [both, camden]
    assert service.history(db, network.islington_uploader)["submission_id"].tolist() == [both, others]
    # the stored file follows the same rule: Camden's uploader gets its own file, not Islington's
    name, content = service.original_file(db, network.uploader, camden)
    assert name == "camden-as-stored.csv" and content.startswith("\ufeffla_code".encode())
    with pytest.raises(AccessDenied):
        service.original_file(db, network.uploader, others)
    assert service.original_file(db, network.chair, others)[0] == "others-as-stored.csv"


# --- who a visitor acts as -------------------------------------------------------------------------------

def visit(db: Database, **given: object) -> rights.Visit:
    settings = {"sign_in_configured": True, "logged_in": True, "email": None, "email_verified": True,
                "allow_without_sign_in": False, "demo": False, **given}
    return rights.visit(db, **settings)


def test_visit_with_sign_in(network: Network) -> None:
    db = network.db
    assert visit(db, logged_in=False, email=UPLOADER) == rights.Visit("sign_in")
    assert visit(db, email="stranger@elsewhere.gov.uk") == rights.Visit("not_member")
    assert visit(db, email=None) == rights.Visit("not_member")
    member = visit(db, email="Up@Camden.GOV.UK")
    assert member.state == "member" and member.user == network.uploader and member.sees_data
    assert visit(db, email=UPLOADER, email_verified=False) == rights.Visit("unverified")
    assert visit(db, email=UPLOADER, email_verified=None) == rights.Visit("unverified")  # no claim: not verified
    # sign-in configured: neither the demo flag nor the local setting lets anyone in unsigned
    assert visit(db, logged_in=False, demo=True, allow_without_sign_in=True).state == "sign_in"
    assert not visit(db, logged_in=False).sees_data


def test_visit_without_sign_in(network: Network, tmp_db: Database, make_csv: Callable, example_row: Callable,
                               today: dt.date) -> None:
    db = network.db
    unsigned = {"sign_in_configured": False, "logged_in": False, "email": None, "email_verified": None}
    empty = visit(tmp_db, **unsigned)  # an empty database is not the demo: nobody may act as its chair
    assert empty == rights.Visit("refused") and not empty.sees_data
    assert visit(tmp_db, **unsigned, demo=True).user == rights.DEMO_USER
    assert service.store(db, network.uploader, "c.csv", make_csv("advice", [example_row("advice", "202", QUARTER)]),
                         today=today).stored
    refused = visit(db, **unsigned)
    assert refused == rights.Visit("refused") and not refused.sees_data
    assert visit(db, **unsigned, demo=True).state == "demo"
    local = visit(db, **unsigned, allow_without_sign_in=True)
    assert local.state == "local" and local.user is not None and local.user.is_chair
    assert not local.user.may_administer and not rights.DEMO_USER.may_administer  # sign-in off: no chair


# --- the command line ------------------------------------------------------------------------------------

def run_cli(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_members_import_and_pack_as_a_member(demo_db: Database, tmp_path: Path, make_csv: Callable,
                                                 example_row: Callable, capsys: pytest.CaptureFixture,
                                                 benchmark_cli: Callable) -> None:
    db = str(demo_db.path)
    demo_db.set_setting("demo", "false")  # a real network's database: the demo stores no returns
    code, out, err = run_cli(capsys, "members", "add", CHAIR, "--role", "chair", "--db", db)
    assert code == 0, err
    code, out, err = run_cli(capsys, "members", "add", UPLOADER, "--role", "uploader", "--la", "202", "--db", db)
    assert code == 0 and "Camden" in out, err
    code, out, err = run_cli(capsys, "members", "list", "--db", db)
    assert code == 0
    assert CHAIR in out and UPLOADER in out and "Camden" in out
    code, out, err = run_cli(capsys, "members", "add", "x@camden.gov.uk", "--role", "dsco", "--la", "202",
                             "--as", UPLOADER, "--db", db)
    assert code == 1 and "chair" in err and rights.member(demo_db, "x@camden.gov.uk") is None

    camden = tmp_path / "camden.csv"
    camden.write_bytes(make_csv("advice", [example_row("advice", "202", QUARTER, adv_requests="61")]))
    islington = tmp_path / "islington.csv"
    islington.write_bytes(make_csv("advice", [example_row("advice", "206", QUARTER, adv_requests="61")]))
    before = submissions(demo_db)
    code, out, err = run_cli(capsys, "import", str(camden), "--as", UPLOADER, "--db", db)
    assert code == 0 and out.startswith("stored: "), out + err
    assert demo_db.scalar("SELECT submitted_by FROM submissions ORDER BY submission_id DESC LIMIT 1") == UPLOADER
    code, out, err = run_cli(capsys, "import", str(islington), "--as", UPLOADER, "--db", db)
    assert code == 1 and out.startswith("refused: ")
    assert "Islington" in out
    assert submissions(demo_db) == before + 1

    pack = tmp_path / "pack.xlsx"
    audited = len(audit_rows(demo_db))
    code, out, err = run_cli(capsys, "pack", "--period", "2026-27 Q2", "--format", "xlsx", "--out", str(pack),
                             "--as", CHAIR, "--db", db)
    assert code == 0, err
    assert openpyxl.load_workbook(pack).sheetnames[0] == "Cover"
    line = audit_rows(demo_db).iloc[audited:]
    assert line["action"].tolist() == ["pack generated"] and line["actor"].tolist() == [CHAIR]
    assert json.loads(line["detail"].iloc[0])["format"] == "xlsx"

    # a stranger, in a real process: one line on stderr, no traceback, nothing stored
    close_database(demo_db.path)
    process = benchmark_cli("import", "--as", "stranger@x.gov.uk", str(camden), db=demo_db.path)
    assert process.returncode == 1, process.stdout + process.stderr
    assert "Traceback" not in process.stderr
    assert process.stderr.strip().count("\n") == 0
    assert "stranger@x.gov.uk" in process.stderr and "not a member" in process.stderr
    assert submissions(open_database(demo_db.path)) == before + 1
