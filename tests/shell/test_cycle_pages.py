"""The cycle on the pages (AppTest): the chair's Administration sections, the revised-figures
toggle and commentary written on a theme page and shown as plain text."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import return_csv, signed_in_page
from test_partial_network import MEMBERS, P, advice, build, open_page

from benchmark import service
from benchmark.access import membership, rights
from benchmark.access.rights import local_operator
from benchmark.analysis import cycle, engine
from benchmark.db import Database, close_database

CHAIR = local_operator("chair")
CHAIR_EMAIL = "chair@network.gov.uk"
APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture
def small(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "pages.duckdb"
    db = build(path)
    rights.add_member(db, CHAIR, CHAIR_EMAIL, "chair", None)
    monkeypatch.setenv("DSCO_DB", str(path))
    yield db
    close_database(path)


def clean(at) -> None:
    assert not at.exception, [item.value for item in at.exception]
    assert not at.error, [item.value for item in at.error]


def test_the_chair_adds_an_authority_signs_off_and_withdraws_on_administration(small: Database):
    at = signed_in_page(APP, CHAIR_EMAIL, "pages/administration.py")  # sign-in off would mean no chair
    clean(at)
    assert sorted(next(item.value for item in at.dataframe if "Member from" in item.value.columns)["DfE code"]) == \
        sorted(MEMBERS)
    at.multiselect[1].select("204")  # after the custom group's
    at.button(key="FormSubmitter:network_add-Add to the network").click()
    at.run()
    clean(at)
    assert "204" in membership.members_in(small)
    at.selectbox(key="cycle_period").select(P)
    at.run()
    at.button(key="signoff").click()
    at.run()
    clean(at)
    assert cycle.signoff(small, P) is not None
    assert any("was signed off" in str(item.value) for item in at.markdown)
    submission = int(small.scalar("SELECT max(submission_id) FROM submissions"))
    at.text_input[-1].input("sent twice")
    at.button(key="FormSubmitter:withdraw-Withdraw").click()
    at.run()
    clean(at)
    assert small.scalar("SELECT reason FROM withdrawals WHERE submission_id = ?", [submission]) == "sent twice"


def test_revised_toggle_and_commentary_on_the_theme_page(small: Database):
    service.sign_off(small, CHAIR, P)
    rows = [advice("202", 20, 19)]
    assert service.store(small, CHAIR, "camden_revised.csv", return_csv("advice", rows)).stored
    at = open_page("pages/advice.py", period=P.label, la="202", metric="adv_6wk_pct")
    clean(at)
    headline = next(item for item in at.metric if item.label.startswith("Camden"))
    assert headline.value == "75.0%"  # as signed off: 15 of 20
    at.toggle(key="revised").set_value(True)
    at.run()
    assert next(item for item in at.metric if item.label.startswith("Camden")).value == "95.0%"
    hostile = "<b>Staff</b> on leave =SUM(A1)"
    at.text_area(key=f"commentary_text_theme_202_{P.index}").input(hostile)
    at.button(key="FormSubmitter:commentary_theme-Save commentary").click()
    at.run()
    clean(at)
    assert service.commentary_for(small, CHAIR, "202", P) == {"adv_6wk_pct": hostile}
    assert hostile in [item.value for item in at.text]  # plain text, never Markdown or HTML
    assert not any(hostile in str(item.value) for item in at.markdown)
    assert engine.compare(small, P, "adv_6wk_pct").set_index("la_code").loc["202", "value"] == 75.0


def test_the_trend_tab_follows_the_revised_figures_toggle(small: Database):
    service.sign_off(small, CHAIR, P)
    assert service.store(small, CHAIR, "camden_revised.csv", return_csv("advice", [advice("202", 20, 19)])).stored
    at = open_page("pages/advice.py", period=P.label, la="202", metric="adv_6wk_pct", view="Trend")
    clean(at)

    def camden_now() -> float:
        table = next(item.value for item in at.dataframe if "Quarter" in item.value.columns).set_index("Quarter")
        return float(table.loc[P.label, "Camden"])

    assert camden_now() == 75.0  # as signed off: 15 of 20
    at.toggle(key="revised").set_value(True)
    at.run()
    clean(at)
    assert camden_now() == 95.0
