"""Packs and the newer topics (issue 20): a page per topic in a network pack, none of the named pages in an
external one, and a network collecting only the original three themes sees the same sections as before."""

from __future__ import annotations

import io

import openpyxl
from support import return_csv

from benchmark.access import membership, rights
from benchmark.definitions.metrics import CATALOGUE
from benchmark.definitions.standard import DEFAULT_THEMES
from benchmark.intake.returns import store_file
from benchmark.outputs import pack_render
from benchmark.outputs.packs import PackRequest, build_pack
from benchmark.periods import Period

PERIOD = Period.parse("2025-26 Q3")
CHAIR = rights.local_operator("test")


def _network(db, example_row, today, themes, codes=("202", "206", "209")):
    membership.add_authorities(db, CHAIR, list(codes), PERIOD)
    membership.set_themes(db, CHAIR, themes)
    for theme in themes:
        rows = [example_row(theme, code, PERIOD.label) for code in codes]
        assert store_file(db, f"{theme}.csv", return_csv(theme, rows), "c@x", today=today).stored


def test_network_pack_has_a_page_per_new_topic(tmp_db, example_row, today):
    _network(tmp_db, example_row, today, ["advice", "residential", "dsco_role"])
    pack = build_pack(tmp_db, PackRequest(PERIOD, themes=("advice", "residential", "dsco_role")))
    assert {section.metric.theme for section in pack.sections} == {"advice", "residential"}
    titles = [page.title for page in pack.topic_pages]
    assert titles == ["The DSCO role: self-assessment", "Area SEND inspections: who is likely to be next"]
    role_table = pack.topic_pages[0].table
    assert set(role_table["Authority"]) == {"Camden", "Islington", "Lewisham"}
    assert set(role_table["Action plan"]) == {"Yes"}
    inspections_table = pack.topic_pages[1].table.set_index("Authority")
    assert inspections_table.loc["Lewisham", "Outcome"] == "inconsistent experiences"
    workbook = openpyxl.load_workbook(io.BytesIO(pack_render.render_xlsx(pack)))
    assert {"The DSCO role", "Area SEND inspections"} <= set(workbook.sheetnames)


def test_external_pack_names_nobody_on_topic_pages(tmp_db, example_row, today):
    # five authorities: an external output needs a peer group of at least 5 (MIN_EXTERNAL_GROUP)
    _network(tmp_db, example_row, today, ["advice", "dsco_role"], codes=("202", "206", "209", "204", "205"))
    network = build_pack(tmp_db, PackRequest(PERIOD, themes=("advice", "dsco_role")))
    assert "The DSCO role: self-assessment" in [page.title for page in network.topic_pages]  # the named page exists
    pack = build_pack(tmp_db, PackRequest(PERIOD, themes=("advice", "dsco_role"), audience="external", own_la="202"))
    assert pack.topic_pages == []


def test_a_network_of_the_original_themes_sees_the_same_sections(tmp_db, example_row, today):
    _network(tmp_db, example_row, today, list(DEFAULT_THEMES))
    pack = build_pack(tmp_db, PackRequest(PERIOD, themes=membership.network_themes(tmp_db)))  # as the service asks
    assert pack.request.themes == DEFAULT_THEMES
    assert [section.metric.id for section in pack.sections] == [
        metric.id for metric in CATALOGUE if metric.theme in DEFAULT_THEMES]
    assert [page.title for page in pack.topic_pages] == ["Area SEND inspections: who is likely to be next"]
