"""Authorities' commentary: who may write it, its limits, versions, the notes cell, and where it
appears (network packs beside the item it answers; never an anonymous authority's external pack)."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from pptx import Presentation
from pypdf import PdfReader
from support import return_csv

from benchmark import service
from benchmark.access import rights
from benchmark.access.rights import AccessDenied, Role, User, local_operator
from benchmark.db import Database
from benchmark.definitions.standard import COMMON_FIELDS, columns
from benchmark.intake import commentary
from benchmark.outputs import pack_render, packs
from benchmark.periods import Period

CHAIR = local_operator("chair")
P = Period.parse("2026-27 Q1")
TODAY = dt.date(2026, 11, 23)
CAMDEN_DSCO = User("dsco@camden.gov.uk", Role.DSCO, "202")
CAMDEN_UPLOADER = User("up@camden.gov.uk", Role.UPLOADER, "202")
HOSTILE = '=HYPERLINK("http://evil.example","click") <script>alert(1)</script>'


def advice(la_code: str, on_time: int, notes: str = "") -> dict:
    values = {spec.name: spec.example for spec in columns("advice")}
    return {**values, "la_code": la_code, "period": P.label, "adv_returned": 40, "adv_returned_6wk": on_time,
            "adv_late_exception": 0, "notes": notes}


@pytest.fixture
def network(tmp_db: Database) -> Database:
    """Five authorities' advice returns for P; Camden's file carries a note."""
    rows = [advice("202", 10, "Recording system changed in May."), advice("206", 39), advice("204", 30),
            advice("210", 25), advice("213", 20)]
    result = service.store(tmp_db, CHAIR, "advice.csv", return_csv("advice", rows), today=TODAY)
    assert result.stored, result.report.errors
    return tmp_db


def test_a_notes_cell_becomes_the_commentary_on_its_theme(network: Database):
    assert service.commentary_for(network, CHAIR, "202", P) == {"advice": "Recording system changed in May."}
    audit = network.frame("SELECT la_code, detail FROM audit_log WHERE action = 'commentary written'")
    assert audit["la_code"].tolist() == ["202"] and '"subject": "advice"' in audit["detail"][0]


def test_the_standard_says_a_notes_cell_is_the_commentary_on_its_theme_and_its_limit():
    notes = next(field for field in COMMON_FIELDS if field.name == "notes")
    assert notes.description.startswith("The authority's commentary on this theme for the quarter")
    assert f"at most {commentary.MAX_CHARS:,} characters" in notes.description


def test_a_blank_notes_cell_in_a_later_return_leaves_the_commentary(network: Database):
    result = service.store(network, CHAIR, "again.csv", return_csv("advice", [advice("202", 12)]), today=TODAY)
    assert result.stored, result.report.errors
    assert service.commentary_for(network, CHAIR, "202", P) == {"advice": "Recording system changed in May."}


def test_the_authoritys_dsco_or_uploader_writes_commentary_versioned_and_audited(network: Database):
    service.write_commentary(network, CAMDEN_DSCO, "202", P, "adv_6wk_pct", "Two social workers on leave.")
    service.write_commentary(network, CAMDEN_UPLOADER, "202", P, "adv_6wk_pct", "Two social workers on long leave.")
    assert service.commentary_for(network, CAMDEN_DSCO, "202", P)["adv_6wk_pct"] == "Two social workers on long leave."
    versions = commentary.history(network, "202", P, "adv_6wk_pct")
    assert versions["text"].tolist() == ["Two social workers on long leave.", "Two social workers on leave."]
    assert versions["written_by"].tolist() == ["up@camden.gov.uk", "dsco@camden.gov.uk"]
    service.write_commentary(network, CAMDEN_DSCO, "202", P, "adv_6wk_pct", "")  # withdrawn
    assert "adv_6wk_pct" not in service.commentary_for(network, CAMDEN_DSCO, "202", P)
    assert len(network.frame("SELECT * FROM audit_log WHERE action = 'commentary written'")) == 4


def test_nobody_else_writes_an_authoritys_commentary(network: Database):
    with pytest.raises(AccessDenied, match="Camden's DSCO or uploader"):
        service.write_commentary(network, User("dsco@islington.gov.uk", Role.DSCO, "206"), "202", P,
                                 "adv_6wk_pct", "Not yours.")
    assert commentary.current(network, P)["subject"].tolist() == ["advice"]


def test_commentary_limits_and_untrusted_text(network: Database):
    with pytest.raises(ValueError, match="at most 1,000 characters; this is 1,001"):
        service.write_commentary(network, CAMDEN_DSCO, "202", P, "adv_6wk_pct", "x" * 1001)
    with pytest.raises(ValueError, match="on a metric or a theme"):
        service.write_commentary(network, CAMDEN_DSCO, "202", P, "made_up", "text")
    stored = service.write_commentary(network, CAMDEN_DSCO, "202", P, "adv_6wk_pct", "line\x00one\x1b\r\nline two ")
    assert stored == "lineone\nline two"


def test_commentary_in_the_network_pack_beside_the_item_it_answers_and_formula_safe(network: Database):
    service.write_commentary(network, CAMDEN_DSCO, "202", P, "adv_6wk_pct", HOSTILE)
    # Ten authorities agreeing closely leave Camden's 10 of 40 beyond the 99.8% limits.
    others = [advice(code, 38 + index % 2) for index, code in enumerate(
        ("206", "204", "210", "213", "205", "207", "208", "209", "211", "212"))]
    assert service.store(network, CHAIR, "others.csv", return_csv("advice", others), today=TODAY).stored
    pack = packs.build_pack(network, packs.PackRequest(P, themes=("advice",)))
    mine = pack.commentary.set_index(["Authority", "On"])
    assert mine.loc[("Camden", "Social care advice within 6 weeks (%)"), "Commentary"] == HOSTILE
    assert mine.loc[("Camden", "Social care advice within 6 weeks (%)"), "Answers"] == (
        "beyond the 99.8% limits; narrative request: bottom 20%")
    section = next(section for section in pack.sections if section.metric.id == "adv_6wk_pct")
    assert section.commentary == [("Camden", HOSTILE)]  # beside the figure on the metric's page and slide
    assert f"Camden's commentary: {HOSTILE}" in rendered_text(pack)
    book = openpyxl.load_workbook(io.BytesIO(pack_render.render(pack, "xlsx")))
    cells = [cell for row in book["Commentary"].iter_rows() for cell in row]
    hostile = [cell for cell in cells if cell.value == HOSTILE]
    # a formula never reaches Excel: the text is stored as text with Excel's quote prefix, never evaluated
    assert hostile and all(cell.data_type == "s" and cell.quotePrefix for cell in hostile)
    assert "'" + HOSTILE not in [cell.value for cell in cells]  # no visible apostrophe in Excel


def rendered_text(pack: packs.Pack) -> str:
    """Every text a reader finds in the pack's PowerPoint, Excel and PDF files."""
    deck = Presentation(io.BytesIO(pack_render.render(pack, "pptx")))
    parts = [shape.text_frame.text for slide in deck.slides for shape in slide.shapes if shape.has_text_frame]
    parts += [cell.text for slide in deck.slides for shape in slide.shapes if shape.has_table
              for row in shape.table.rows for cell in row.cells]
    book = openpyxl.load_workbook(io.BytesIO(pack_render.render(pack, "xlsx")))
    parts += [str(cell.value) for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    parts += [page.extract_text() for page in PdfReader(io.BytesIO(pack_render.render(pack, "pdf"))).pages]
    return "\n".join(parts)


def test_commentary_never_appears_in_an_anonymous_authoritys_external_pack(network: Database):
    service.write_commentary(network, CAMDEN_DSCO, "202", P, "adv_6wk_pct", "Camden's own explanation.")
    external = packs.PackRequest(P, themes=("advice",), audience="external", own_la="202")
    assert "Camden's own explanation." in packs.build_pack(network, external).commentary["Commentary"].tolist()
    assert "Camden's own explanation." in rendered_text(packs.build_pack(network, external))  # the control
    rights.set_sharing(network, CHAIR, "202", "anonymous")
    pack = packs.build_pack(network, external)
    assert pack.commentary.empty
    text = rendered_text(pack)
    assert "Camden's own explanation." not in text and "Recording system" not in text
    # another authority's external pack never carries Camden's commentary either
    other = packs.build_pack(network, packs.PackRequest(P, themes=("advice",), audience="external", own_la="206"))
    assert "Camden" not in " ".join(other.commentary["Commentary"])
    assert other.commentary.empty
