"""Who may see what on the dashboard (issue 6), through Streamlit's AppTest with `at.user`:
sign-in configured by an [auth] secrets section, members matched by verified e-mail, an anonymous
authority as a letter to its peers, the chair's Administration page, and the no-sign-in modes.

Every run goes through app.py, as on a served dashboard: scripts/serve.py tells Streamlit that
pages/ is not an old-style page folder, and the `served` fixture does the same for AppTest (which
would otherwise run a page switched to on its own, without app.py deciding who the visitor is).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest
from browser_support import copy_database
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest
from support import AUTH, static_tables

from benchmark import service
from benchmark.access import rights
from benchmark.access.network import SYNTHETIC_LABEL
from benchmark.db import Database, close_database, open_database

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
ADMINISTRATION = str(ROOT / "pages" / "administration.py")
TIMEOUT = 120  # seconds per run: the first run imports plotly and builds the engine's tables
CHAIR = "chair@network.gov.uk"
UPLOADER = "up@camden.gov.uk"
STRANGER = "stranger@elsewhere.gov.uk"
ASK_THE_CHAIR = "ask your network chair"


@pytest.fixture(autouse=True)
def served(monkeypatch: pytest.MonkeyPatch) -> None:
    """As scripts/serve.py: pages/ is not an old-style page list, so app.py runs before every page."""
    original = PagesManager.__init__

    def init(self: PagesManager, *args: object, **kwargs: object) -> None:
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "uses_pages_directory", PagesManager.uses_pages_directory)
    monkeypatch.setattr(PagesManager, "__init__", init)


@pytest.fixture(scope="module")
def network_path(demo_build, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A module-wide demo copy with a chair and Camden's uploader; Islington shares anonymously.
    The tests using it only read."""
    close_database(demo_build.path)
    path = copy_database(demo_build.path, tmp_path_factory.mktemp("access_pages") / "demo.duckdb")
    db = open_database(path)
    chair = rights.add_member(db, rights.local_operator("test"), CHAIR, "chair", None)
    rights.add_member(db, chair, UPLOADER, "uploader", "202")
    rights.set_sharing(db, chair, "206", "anonymous")
    yield path
    close_database(path)


@pytest.fixture
def on_network(network_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DSCO_DB", str(network_path))
    return network_path


def signed_in(email: str | None, *, verified: bool | None = True, page: str | None = None,
              **query: str) -> AppTest:
    """The app with sign-in configured: `email` None is a visitor who has not signed in."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.secrets["auth"] = dict(AUTH)
    if email is None:
        at.user = {"is_logged_in": False}
    else:
        at.user = {"is_logged_in": True, "email": email, "email_verified": verified}
    at.query_params.update(query)
    if page is not None:
        at.switch_page(page)  # a deep link: the first run opens this page's address
    return at.run()


def unsigned(*, allow: bool = False) -> AppTest:
    """The app with no [auth] section (explicit secrets, so a local secrets.toml cannot interfere)."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.secrets["dsco"] = {"allow_without_sign_in": allow}
    return at.run()


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [item.value for item in at.exception]


def data_elements(at: AppTest) -> int:
    return (len(at.dataframe) + len(at.get("plotly_chart")) + len(at.metric) + len(at.selectbox)
            + len(at.multiselect) + len(at.get("download_button")))


def sidebar_captions(at: AppTest) -> list[str]:
    return [item.value for item in at.sidebar.caption]


def tracker(at: AppTest) -> pd.DataFrame:
    return next(item.value for item in at.dataframe if "Authority" in item.value.columns)


def rug(at: AppTest) -> pd.DataFrame:
    """The tartan rug, indexed by authority (its first theme's metrics are shown)."""
    return next(table for table in static_tables(at) if "Reach per 10k" in table.columns).set_index("Authority")


def letters(names: object) -> list[str]:
    return [name for name in names if str(name).startswith("Authority ")]


# --- no data without membership -----------------------------------------------------------------------

@pytest.mark.parametrize("page", [None, "pages/my_authority.py", "pages/administration.py"])
def test_logged_out_visitor_sees_only_sign_in(on_network: Path, page: str | None) -> None:
    at = signed_in(None, page=page, la="202")
    assert_clean(at)
    assert [item.value for item in at.title] == ["DSCO network benchmarking"]
    assert [button.label for button in at.button] == ["Sign in"]
    assert data_elements(at) == 0
    assert not sidebar_captions(at)


UNVERIFIED = "did not confirm"


@pytest.mark.parametrize(("email", "verified", "said"), [(STRANGER, True, ASK_THE_CHAIR),
                                                         (UPLOADER, False, UNVERIFIED), (UPLOADER, None, UNVERIFIED)],
                         ids=["not_a_member", "unverified_email", "no_verified_claim"])
def test_signed_in_non_member_is_asked_to_see_the_chair(on_network: Path, email: str, verified: bool | None,
                                                        said: str) -> None:
    at = signed_in(email, verified=verified)
    assert_clean(at)
    message = [*at.info, *at.error]
    assert len(message) == 1 and said in message[0].value
    assert email in message[0].value
    assert [button.label for button in at.button] == ["Sign out"]
    assert data_elements(at) == 0
    assert not at.warning and not sidebar_captions(at)
    # a deep link is no way round it
    deep = signed_in(email, verified=verified, page="pages/my_authority.py", la="202")
    assert said in [*deep.info, *deep.error][0].value and data_elements(deep) == 0


# --- a member: Camden's uploader ----------------------------------------------------------------------

def test_uploader_sees_the_overview_with_islington_as_a_letter(on_network: Path) -> None:
    at = signed_in(UPLOADER.upper())  # addresses match whatever their capitals
    assert_clean(at)
    assert [item.value for item in at.title] == ["Network overview"]
    assert sidebar_captions(at) == [f"Signed in as {UPLOADER} (Uploader, Camden)"]
    assert "Sign out" in [button.label for button in at.sidebar.button]
    # Islington is the only anonymous member: one letter among 32 named rows would be Islington, so the
    # tracker and the rug leave it out
    grid = tracker(at)
    assert len(grid) == 32 and not letters(grid["Authority"])
    assert "Camden" in grid["Authority"].tolist() and "Islington" not in grid["Authority"].tolist()
    assert "206" not in grid["DfE code"].tolist()
    text = rug(signed_in(UPLOADER, tab="Tartan rug"))
    assert len(text) == 32 and "Islington" not in text.index and "Camden" in text.index
    assert not letters(text.index)


def test_uploader_cannot_open_islington_by_url_but_the_chair_can(on_network: Path) -> None:
    at = signed_in(UPLOADER, page="pages/my_authority.py", la="206")
    assert_clean(at)
    choice = at.selectbox(key="select_la")
    assert "206" not in choice.options and choice.value == "202"
    assert at.query_params["la"] == "202"
    shown = " ".join(item.value for item in [*at.caption, *at.info, *at.markdown])
    assert "Islington" not in shown and "Camden" in shown
    chair = signed_in(CHAIR, page="pages/my_authority.py", la="206")
    assert_clean(chair)
    assert chair.selectbox(key="select_la").value == "206"
    assert "Islington" in " ".join(item.value for item in chair.caption)


def test_uploader_theme_page_letters_islington(on_network: Path) -> None:
    at = signed_in(UPLOADER, page="pages/advice.py", la="206", group="neighbours", view="Table")
    assert_clean(at)
    assert at.selectbox(key="select_la").value == "202"
    table = next(item.value for item in at.dataframe if "Rank" in item.value.columns)
    assert "Islington" not in table["Authority"].tolist()
    # Islington is one of Camden's ten statistical neighbours (a public list): a letter beside the nine
    # named ones would be Islington, so the neighbours view leaves it out
    assert not letters(table["Authority"]) and len(table) == 10
    assert "206" not in table.to_string()
    at = signed_in(UPLOADER, page="pages/advice.py", la="206", group="neighbours")  # the Ranking tab
    assert_clean(at)
    bars = [name for spec in (json.loads(chart.proto.spec) for chart in at.get("plotly_chart"))
            for trace in spec["data"] for name in (trace.get("y") or []) if isinstance(name, str)]
    assert "Camden" in bars and "Islington" not in bars


def test_administration_is_not_for_an_uploader(on_network: Path) -> None:
    at = signed_in(UPLOADER)
    with pytest.raises(ValueError, match="navigation page"):
        at.switch_page("pages/administration.py")
    # a deep link to its address does not open it either
    deep = signed_in(UPLOADER, page="pages/administration.py")
    assert_clean(deep)
    assert "Administration" not in [item.value for item in deep.title]
    assert not any(item.value.columns.tolist()[:1] == ["audit_id"] for item in deep.dataframe)
    # and the page itself refuses whoever is not the chair, were it ever run
    user = rights.member(open_database(on_network), UPLOADER)
    for acting in (user, None):
        page = AppTest.from_file(ADMINISTRATION, default_timeout=TIMEOUT)
        page.session_state["acting_user"] = acting
        page.run()
        assert_clean(page)
        assert [item.value for item in page.error] == ["Only the network chair can use this page."]
        assert not page.dataframe and not page.button


# --- the chair's Administration page ------------------------------------------------------------------

@pytest.fixture
def chair_network(demo_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Database:
    """This test's own demo copy (the page writes), with a chair and Camden's uploader."""
    chair = rights.add_member(demo_db, rights.local_operator("test"), CHAIR, "chair", None)
    rights.add_member(demo_db, chair, UPLOADER, "uploader", "202")
    monkeypatch.setenv("DSCO_DB", str(demo_db.path))
    monkeypatch.setenv("DSCO_BACKUP_DIR", str(tmp_path / "backups"))
    return demo_db


def audit(db: Database) -> pd.DataFrame:
    return db.frame("SELECT * FROM audit_log ORDER BY audit_id")


def test_chair_administration_members_and_audit_log(chair_network: Database, tmp_path: Path) -> None:
    db = chair_network
    at = signed_in(CHAIR, page="pages/administration.py")
    assert_clean(at)
    assert [item.value for item in at.title] == ["Administration"]
    assert sidebar_captions(at) == [f"Signed in as {CHAIR} (Chair / administrator)"]
    members = next(item.value for item in at.dataframe if "E-mail address" in item.value.columns)
    assert {CHAIR, UPLOADER} <= set(members["E-mail address"])  # beside the demo's own chair, uploaders and DSCOs
    assert members.set_index("E-mail address").loc[UPLOADER, "Authority"] == "Camden"
    log = next(item.value for item in at.dataframe if "Entry" in item.value.columns)
    assert log["Entry"].tolist() == audit(db)["audit_id"].tolist()[::-1], "not the whole log, newest first"
    assert {"member added"} <= set(log["What"])
    assert "None" not in log.to_string() and "{" not in "".join(log["Details"]), "raw values in the audit log"
    assert all(item.editing_mode == "read_only" for item in at.dataframe)
    assert not at.data_editor, "an editable table on the Administration page"
    assert "data_editor" not in Path(ADMINISTRATION).read_text(encoding="utf-8")
    assert any(button.label.startswith("Export the audit log") for button in at.get("download_button"))

    def click(step: Callable[[AppTest], object], expect: list[str]) -> None:
        before = audit(db)
        step(at)
        at.run()
        assert_clean(at)
        assert not at.error, [item.value for item in at.error]
        after = audit(db)
        pd.testing.assert_frame_equal(after.iloc[:len(before)], before, obj="earlier audit lines")
        assert after["action"].iloc[len(before):].tolist() == expect
        # the table shows the log as it stood when drawn (a backup is taken below it), newest first
        shown = next(item.value for item in at.dataframe if "Entry" in item.value.columns)
        assert shown["Entry"].max() >= before["audit_id"].max()
        assert shown["Entry"].tolist() == [
            audit_id for audit_id in after["audit_id"].tolist()[::-1] if audit_id <= shown["Entry"].max()]
        assert not at.data_editor

    def add_member(at: AppTest) -> None:
        at.text_input[0].input("New.DSCO@Hackney.gov.uk")
        at.selectbox[0].select("dsco")
        at.selectbox[1].select("204")
        at.button(key="FormSubmitter:add_member-Add or update member").click()

    click(add_member, ["member added"])
    assert rights.member(db, "new.dsco@hackney.gov.uk") is not None
    click(lambda at: (at.selectbox(key="remove_email").select("new.dsco@hackney.gov.uk"),
                      at.button(key="remove_member").click()), ["member removed"])
    assert rights.member(db, "new.dsco@hackney.gov.uk") is None
    click(lambda at: (at.selectbox(key="sharing_la").select("213"), at.radio(key="sharing_value").set_value(
        "anonymous"), at.button(key="save_sharing").click()), ["sharing changed"])
    assert rights.sharing(db) == {"213": rights.Sharing.ANONYMOUS}
    click(lambda at: (at.text_input[2].input("Inner test"), at.multiselect[0].select("202").select("206"),
                      at.button(key="FormSubmitter:add_group-Save group").click()), ["group saved"])
    click(lambda at: at.button(key="backup").click(), ["backup taken"])
    assert list((tmp_path / "backups").glob("*.duckdb"))
    at.run()
    shown = next(item.value for item in at.dataframe if "Entry" in item.value.columns)
    assert shown["Entry"].tolist() == audit(db)["audit_id"].tolist()[::-1]
    last = audit(db).iloc[-1]
    assert last["actor"] == CHAIR and json.loads(last["detail"])["file"].startswith(str(tmp_path / "backups"))


# --- without sign-in ------------------------------------------------------------------------------------

def test_demo_without_sign_in_is_bannered(on_network: Path) -> None:
    at = unsigned()
    assert_clean(at)
    assert sidebar_captions(at) == ["Demo mode: no sign-in, synthetic data"]
    assert any(SYNTHETIC_LABEL in item.value for item in at.warning)
    assert len(tracker(at)) == 33 and "Islington" in tracker(at)["Authority"].tolist()  # the demo chair


@pytest.fixture
def real_network(tmp_db: Database, make_csv: Callable, example_row: Callable, today: dt.date,
                 monkeypatch: pytest.MonkeyPatch) -> Database:
    """A fresh database holding one real return (no demo flag), no members."""
    content = make_csv("advice", [example_row("advice", "202", "2026-27 Q2")])
    assert service.store(tmp_db, rights.local_operator("test"), "camden.csv", content, today=today).stored
    monkeypatch.setenv("DSCO_DB", str(tmp_db.path))
    return tmp_db


def test_real_data_refused_without_sign_in(real_network: Database) -> None:
    at = unsigned()
    assert_clean(at)
    assert len(at.error) == 1 and "serves only the synthetic demo" in at.error[0].value
    assert data_elements(at) == 0 and not at.button and not sidebar_captions(at)
    assert not any(SYNTHETIC_LABEL in item.value for item in at.warning)
    local = unsigned(allow=True)
    assert_clean(local)
    assert not local.error
    assert sidebar_captions(local) == ["Local mode: no sign-in configured"]
    assert tracker(local)["Authority"].tolist() == ["Camden"]
