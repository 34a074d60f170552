"""The Meeting pack page through Streamlit's AppTest: it renders with the demo network, previews the
discussion list, builds the Excel pack on a click and offers it for download; with an empty
database it says what to do next.

AppTest runs the app in this process, so the page's `open_database()` is this process's singleton
for DSCO_DB: each test points DSCO_DB at its own file and the fixtures close it afterwards.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from benchmark import service
from benchmark.access import membership
from benchmark.access.rights import DEMO_USER
from benchmark.db import close_database, open_database
from benchmark.definitions.metrics import CATALOGUE
from benchmark.outputs import pack_render, packs
from benchmark.periods import Period

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
PAGE = "pages/meeting_pack.py"
TIMEOUT = 120  # seconds per script run: the first run imports plotly and builds the engine's tables
LATEST = Period.parse("2026-27 Q2")


@pytest.fixture
def on_empty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "empty.duckdb"
    monkeypatch.setenv("DSCO_DB", str(path))
    yield path
    close_database(path)


def open_page(*, local: bool = False) -> AppTest:
    """app.py (who the visitor acts as: the demo runs as a demo chair; the navigation), then the page.
    `local`: the no-sign-in setting that lets a database that is not the demo (here an empty one) be shown."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if local:
        at.secrets["dsco"] = {"allow_without_sign_in": True}
    at.run()  # registers app.py's navigation: switching before it would run the page alone
    at.switch_page(PAGE)
    return at.run()


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [item.value for item in at.exception]
    assert not at.error, [item.value for item in at.error]


def test_page_renders_with_the_discussion_preview(on_demo: Path) -> None:
    at = open_page()
    assert_clean(at)
    assert [title.value for title in at.title] == ["Meeting pack"]
    assert any("synthetic" in warning.value.lower() for warning in at.warning), "demo data not marked"
    demo = open_database(on_demo)
    # the page's themes default to the ones the network collects (the demo collects the newer topics too)
    expected = service.build_pack(demo, DEMO_USER, packs.PackRequest(LATEST, themes=membership.network_themes(demo)))
    subheaders = [item.value for item in at.header]
    assert f"For discussion ({len(expected.discussion)} items)" in subheaders
    # static tables (every sentence wraps in full), no longer scrolling dataframes
    preview = [table.value for table in at.table if "Authority" in table.value.columns]
    assert len(preview) == 2  # the discussion list, then the authorities' commentary
    assert preview[1].to_dict("records") == expected.commentary.to_dict("records")
    listed = pack_render.discussion_table(expected.discussion)
    assert list(preview[0]["What stands out"]) == list(listed["What stands out"])
    assert list(preview[0].columns) == list(listed.columns)
    assert len(listed) <= 15
    captions = " ".join(item.value for item in at.caption)
    assert "Raised only on evidence" in captions and expected.left_out_text in captions
    assert {button.key for button in at.button} >= {"build_pdf", "build_pptx", "build_xlsx"}
    assert not at.get("download_button"), "nothing is built before a click"


def test_build_excel_offers_the_download(on_demo: Path) -> None:
    at = open_page()
    at.button(key="build_xlsx").click().run()
    assert_clean(at)
    assert [item for item in at.get("download_button") if "download_xlsx" in item.proto.id], "no download offered"
    at.run()  # the next run (any widget change) shows the download in place of the build button
    assert_clean(at)
    assert [item for item in at.get("download_button") if "download_xlsx" in item.proto.id]
    assert not [item for item in at.get("download_button") if "download_pdf" in item.proto.id]
    buttons = {button.key for button in at.button}
    assert "build_xlsx" not in buttons and {"build_pdf", "build_pptx"} <= buttons
    built = [value for key, value in at.session_state["built_packs"].items() if key[1] == "xlsx"]
    assert len(built) == 1
    book = openpyxl.load_workbook(io.BytesIO(built[0]))
    demo = open_database(on_demo)
    expected = service.build_pack(demo, DEMO_USER, packs.PackRequest(LATEST, themes=membership.network_themes(demo)))
    assert book.sheetnames == ["Cover", "Summary", "Tracker", "Tartan rug", "Rug bands", "For discussion",
                               "All discussion items", "Narrative requests", "Commentary",
                               "Revised after sign-off",
                               *(pack_render.metric_sheet_name(section.metric) for section in expected.sections),
                               *(pack_render.context_sheet_name(page.theme) for page in expected.context_pages),
                               *(f"Inequalities {number}" for number in range(1, len(expected.inequality_pages) + 1)),
                               *(page.title.split(":")[0] for page in expected.topic_pages),
                               "Definitions"]
    # every theme the network collects has its measures' sheets, named as readers know them
    assert {section.metric.theme for section in expected.sections} == \
        {metric.theme for metric in CATALOGUE if metric.theme in membership.network_themes(demo)}
    assert "Inequalities 1" in book.sheetnames


def test_no_theme_chosen_says_so(on_demo: Path) -> None:
    at = open_page()
    at.multiselect(key="pack_themes").set_value([]).run()
    assert_clean(at)
    assert any("Choose at least one theme" in info.value for info in at.info)
    assert not [button for button in at.button if button.key and button.key.startswith("build_")]


def test_empty_database_says_what_to_do(on_empty: Path) -> None:
    at = open_page(local=True)  # without sign-in, only the demo is served unless allowed
    assert_clean(at)
    assert [title.value for title in at.title] == ["Meeting pack"]
    assert at.info and "Upload" in at.info[0].value
    assert not [button for button in at.button if button.key and button.key.startswith("build_")]
    assert not at.dataframe
