"""The pack's published-context pages: one per theme, authorities named for the network, only the own
authority for an external audience (a lettered authority's public figures would name it)."""

from __future__ import annotations

import io
from collections.abc import Iterator

import openpyxl
import pytest
from browser_support import copy_database
from pptx import Presentation

from benchmark import reference
from benchmark.analysis import engine
from benchmark.db import Database, close_database, open_database
from benchmark.definitions import published_catalogue as catalogue
from benchmark.definitions.standard import THEMES
from benchmark.outputs import pack_render, packs
from benchmark.periods import Period

LATEST = Period.parse("2026-27 Q2")
OWN = "202"


@pytest.fixture(scope="module")
def db(demo_build, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    close_database(demo_build.path)
    path = copy_database(demo_build.path, tmp_path_factory.mktemp("pack_context") / "demo.duckdb")
    yield open_database(path)
    close_database(path)


def _pages(db: Database, **request: object) -> dict[str, packs.ContextPage]:
    pack = packs.build_pack(db, packs.PackRequest(LATEST, **request))
    return {page.theme: page for page in pack.context_pages}


def test_network_pages_name_every_authority_with_region_and_england(db: Database) -> None:
    pages = _pages(db, own_la=OWN)
    # A page per theme DfE publishes something about (nothing is published about the DSCO role's set-up).
    assert list(pages) == [theme for theme in THEMES if catalogue.measures_for_theme(theme)]
    advice = pages["advice"]
    members = engine.network_members(db)
    names = sorted(reference.authority_name(code) for code in members)
    assert advice.table["Area"].tolist() == [*names, "London", "England"]
    row = advice.table.set_index("Area").loc["Camden"]
    # timeliness_20_week.csv 2024, All EHC plans issued: Camden 96.6 (excl.), 96.1 (incl.); England 46.4.
    assert row[catalogue.MEASURES["ehcp_20wk_excl_pct"].short] == "96.6% (A)"
    assert advice.table.set_index("Area").loc["England", catalogue.MEASURES["ehcp_20wk_excl_pct"].short] == "46.4%"
    camden = advice.table.index[advice.table["Area"] == "Camden"][0]
    assert advice.bands.loc[camden, catalogue.MEASURES["ehcp_20wk_excl_pct"].short] == "A"
    assert not advice.neutral.loc[camden, catalogue.MEASURES["ehcp_20wk_excl_pct"].short]
    assert advice.neutral.loc[camden, catalogue.MEASURES["ehc_requests_per_10k"].short], "neutral: grey, no judgement"
    # b2 2024, City of London: 'c' stays 'c'.
    short = pages["short_breaks"].table.set_index("Area")
    assert short.loc["City of London", catalogue.MEASURES["cin_disability_count"].short] == "c"
    assert any("Open Government Licence" in note for note in advice.notes)


def test_network_pages_leave_out_authorities_sharing_anonymously(db: Database) -> None:
    pack = packs.build_pack(db, packs.PackRequest(LATEST, own_la=OWN), hidden=frozenset({"206"}))
    for page in pack.context_pages:
        assert "Islington" not in page.table["Area"].tolist()
        assert any("1 authority(ies) sharing anonymously are not listed" in note for note in page.notes)


def test_external_pages_show_only_the_own_authority(db: Database) -> None:
    pages = _pages(db, audience="external", own_la=OWN)
    others = {reference.authority_name(code) for code in engine.network_members(db) if code != OWN}
    for page in pages.values():
        text = " ".join([*page.table.astype(str).to_numpy().ravel(), *page.notes])
        assert not [name for name in others if name in text]
        assert list(page.table.columns) == ["Measure", "Period", "Value", "Region", "Neighbours mean",
                                            "Neighbours median", "Neighbours reported", "England",
                                            "Rank in England", "Band"]
    transitions = pages["transitions"].table.set_index("Measure")
    # UD_NEETNK_LA_dashboard_2024_final, Camden NEET_NK_EHCP_percent 7.9, London 6.3, England 10.2.
    row = transitions.loc[catalogue.MEASURES["neet_nk_ehcp_pct"].name]
    assert (row["Value"], row["Region"], row["England"]) == ("7.9%", "6.3%", "10.2%")


def test_external_pages_without_an_own_authority_show_england_only(db: Database) -> None:
    pages = _pages(db, audience="external")
    assert all(list(page.table.columns) == ["Measure", "Period", "England"] for page in pages.values())


def test_every_format_carries_the_context_pages(db: Database) -> None:
    pack = packs.build_pack(db, packs.PackRequest(LATEST, own_la=OWN, themes=("transitions",)))
    sheets = openpyxl.load_workbook(io.BytesIO(pack_render.render(pack, "xlsx"))).sheetnames
    assert pack_render.context_sheet_name("transitions") in sheets  # "DfE context, Transitions"
    deck = Presentation(io.BytesIO(pack_render.render(pack, "pptx")))
    titles = [slide.shapes.title.text for slide in deck.slides if slide.shapes.title is not None]
    assert any(title.startswith("Published context: Transitions") for title in titles)
