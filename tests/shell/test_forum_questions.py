"""What the forum will ask me (issue 17, item 8): My authority lists the authority's own discussion items and
narrative requests with their sentences and the commentary answering them, with a way to write it;
`discussion --for LA` lists that authority's items only; the demo's visitor is told before pressing anything
that nothing is saved.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from support import signed_in_page

from benchmark import reference, service
from benchmark.access import rights
from benchmark.access.rights import DEMO_NO_WRITES, AccessDenied
from benchmark.db import Database, close_database
from benchmark.intake import commentary
from benchmark.outputs.packs import PackRequest
from benchmark.periods import Period

APP = str(Path(__file__).resolve().parents[2] / "app.py")
LATEST = Period.parse("2026-27 Q2")
HACKNEY = "204"  # the demo's DSCO for Hackney explains its advice timeliness (benchmark/demo.py)
OPERATOR = rights.local_operator("test")


def test_the_forum_questions_are_the_pack_s_items_and_requests_about_the_authority(demo_db: Database) -> None:
    pack = service.build_pack(demo_db, OPERATOR, PackRequest(LATEST, "network"))
    for la_code in (HACKNEY, "202", "318"):
        questions = service.forum_questions(demo_db, OPERATOR, la_code, LATEST)
        items = pack.discussion_all.loc[pack.discussion_all["la_code"] == la_code, "sentence"].tolist()
        asked = questions.loc[~questions["Why"].str.startswith("narrative request"), "Sentence"].tolist()
        assert sorted(asked) == sorted(items)  # every item, not only the shortlist
        requests = pack.narrative_requests[pack.narrative_requests["Authority"] == reference.authority_name(la_code)]
        narrative = questions[questions["Why"].str.startswith("narrative request")]
        assert sorted(narrative["Metric"]) == sorted(requests["Metric"])
    hackney = service.forum_questions(demo_db, OPERATOR, HACKNEY, LATEST)
    answered = hackney[hackney["metric_id"] == "adv_6wk_pct"]
    assert len(answered) >= 2 and answered["Commentary"].str.startswith("Two social workers").all()
    assert (hackney.loc[hackney["metric_id"] != "adv_6wk_pct", "Commentary"] == "").all()


def test_an_anonymous_authority_s_questions_are_not_for_other_members(demo_db: Database) -> None:
    chair = rights.member(demo_db, "chair@network.example")
    rights.set_sharing(demo_db, rights.local_operator("test"), HACKNEY, "anonymous")
    camden = rights.member(demo_db, "dsco@camden.example")
    assert chair is not None and camden is not None
    with pytest.raises(AccessDenied):
        service.forum_questions(demo_db, camden, HACKNEY, LATEST)
    own = rights.member(demo_db, "dsco@hackney.example")
    assert len(service.forum_questions(demo_db, own, HACKNEY, LATEST))


def test_discussion_for_an_authority_lists_its_items_only(demo_db: Database, benchmark_cli: Callable) -> None:
    path = demo_db.path
    close_database(path)
    everything = json.loads(benchmark_cli("discussion", "--period", str(LATEST), "--all", "--format", "json",
                                          db=path).stdout)
    assert len({item["la_code"] for item in everything}) > 3  # the control: the whole network
    process = benchmark_cli("discussion", "--period", str(LATEST), "--for", "Hackney", "--all", "--format", "json",
                            db=path)
    mine = json.loads(process.stdout)
    assert mine and {item["la_code"] for item in mine} == {HACKNEY}
    assert mine == [item for item in everything if item["la_code"] == HACKNEY]
    text = benchmark_cli("discussion", "--period", str(LATEST), "--for", "Hackney", db=path).stdout
    assert "item(s) about Hackney" in text
    requests = text.split("Narrative requests")[1].splitlines()[1:]
    assert requests and all(line.startswith("  - Hackney:") for line in requests if line.strip())


@pytest.fixture
def on_demo_copy(demo_db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    monkeypatch.setenv("DSCO_DB", str(demo_db.path))
    yield demo_db


def test_my_authority_lists_what_the_forum_will_ask_and_the_demo_says_nothing_is_saved(on_demo_copy) -> None:
    at = AppTest.from_file(APP, default_timeout=180)
    at.secrets["dsco"] = {"allow_without_sign_in": False}
    at.query_params["la"] = HACKNEY
    at.run()
    at.switch_page("pages/my_authority.py")
    at.run()
    assert not at.exception, [item.value for item in at.exception]
    assert "What the forum will ask Hackney" in [item.value for item in at.header]
    markdown = "\n".join(item.value for item in at.markdown)
    assert "worsening over the last 8 quarters" in markdown and "narrative request: bottom 20%" in markdown
    assert any(item.value.startswith("Two social workers") for item in at.text)
    # sign-in off: said before any button, and no form to press
    assert DEMO_NO_WRITES in [item.value for item in at.caption]
    assert not [button for button in at.button if "Save commentary" in str(button.label)]


def test_a_dsco_writes_the_answer_on_my_authority(on_demo_copy: Database) -> None:
    db = on_demo_copy
    db.set_setting("demo", "false")  # a real network, signed in
    at = signed_in_page(APP, "dsco@hackney.example", "pages/my_authority.py", timeout=180)
    assert not at.exception, [item.value for item in at.exception]
    questions = service.forum_questions(db, rights.member(db, "dsco@hackney.example"), HACKNEY, LATEST)
    first = questions["metric_id"].iloc[0]
    assert at.selectbox(key="commentary_subject_my_authority").value == first  # the forum's question first
    at.text_area(key=f"commentary_text_my_authority_{HACKNEY}_{LATEST.index}").input("Agency cover from October.")
    at.button(key="FormSubmitter:commentary_my_authority-Save commentary").click()
    at.run()
    assert not at.exception and not at.error, [item.value for item in [*at.exception, *at.error]]
    stored = commentary.current(db, LATEST, [HACKNEY])
    assert stored.set_index("subject").loc[first, "text"] == "Agency cover from October."
    assert "Agency cover from October." in [item.value for item in at.text]
