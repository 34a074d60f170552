"""The inequalities section in every pack format and the disparity items in the discussion list, on a network of
three authorities with breakdowns for one quarter and one theme (advice); the external pack on five, the least
an external output may compare."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pypdf
import pytest
from breakdown_support import store_breakdowns
from pptx import Presentation

from benchmark import service
from benchmark.access.rights import Role, User
from benchmark.analysis.published import load_published
from benchmark.db import Database, close_database, open_database
from benchmark.outputs.packs import PackRequest
from benchmark.periods import Period
from benchmark.reference import DATA_DIR

QUARTER = Period.parse("2026-27 Q2")
CHAIR = User("chair@network.gov.uk", Role.CHAIR)
ISLINGTON = User("dsco@islington.gov.uk", Role.DSCO, "206")


THREE = (
    ("202", {"White": 100, "Black": 50, "Unclassified": 20}, {"White": 80, "Black": 20, "Unclassified": 12}),
    ("206", {"White": 60, "Black": 40}, {"White": 45, "Black": 30}),
    ("204", {"White": 20, "Black": 8}, {"White": 15, "Black": 6}),
)
# An external output needs a peer group of at least 5 authorities (MIN_EXTERNAL_GROUP): two more for that.
TWO_MORE = (
    ("205", {"White": 50, "Black": 30}, {"White": 40, "Black": 24}),
    ("207", {"White": 70, "Black": 35}, {"White": 56, "Black": 28}),
)


def build_network(path: Path, authorities: tuple) -> Database:
    db = open_database(path)
    for la_code, returned, in_time in authorities:
        store_breakdowns(db, la_code, str(QUARTER), {("adv_returned", "ethnicity"): returned,
                                                     ("adv_returned_6wk", "ethnicity"): in_time})
    published = DATA_DIR / "published"
    load_published(db, [published / "requests.csv", published / "timeliness_20_week.csv",
                        published / "spc_pupils_ethnicity_la_totals_201516_to_202122.csv"])
    return db


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    path = tmp_path_factory.mktemp("inequality_pack") / "network.duckdb"
    yield build_network(path, THREE)
    close_database(path)


@pytest.fixture(scope="module")
def five_network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    path = tmp_path_factory.mktemp("inequality_pack_five") / "network.duckdb"
    yield build_network(path, THREE + TWO_MORE)
    close_database(path)


def test_disparity_item_in_the_discussion_list(network: Database) -> None:
    pack = service.build_pack(network, CHAIR, PackRequest(QUARTER, themes=("advice",)))
    items = pack.discussion_all[pack.discussion_all["kind"] == "disparity_99.8"]
    # Camden, Black: 30 late of 50 against 20 of 100: RR 3.00, 99.8% interval 1.47-6.12 excludes 1; the network
    # pooled over the cells the chair may see (Hackney's are hidden: counts of 1-5): (40/90) / (35/160) = 2.03.
    # With two classified groups, White's 0.33 (20 of 100 against 30 of 50) is the same finding seen from the other
    # side: one item, told by the group faring worse.
    assert items["sentence"].tolist() == [
        "Camden: social care advice for Black children was later than 6 weeks 3.00 times as often as for other "
        "children (95% interval 1.91-4.72) over the four quarters to 2026-27 Q2; network 2.03."]
    assert set(items["theme"]) == {"advice"}


def test_pack_section_in_every_format(network: Database) -> None:
    pack = service.build_pack(network, CHAIR, PackRequest(QUARTER, themes=("advice",)))
    titles = [page.title for page in pack.inequality_pages]
    assert titles[0].startswith("Inequalities: Social care advice not provided within 6 weeks")
    grid = pack.inequality_pages[0].table.set_index("Authority")
    assert grid.loc["Camden", "Black"] == "▲ higher"
    assert grid.loc["Hackney", "Black"] == "c"
    assert grid.loc["Network (pooled): ratio", "Black"].startswith("2.03")
    pdf = pypdf.PdfReader(io.BytesIO(service.render_pack(network, CHAIR, pack, "pdf")))
    text = "\n".join(page.extract_text() for page in pdf.pages)
    assert "Inequalities: Social care advice not provided within 6 weeks" in text
    assert "Katz" in text
    workbook = openpyxl.load_workbook(io.BytesIO(service.render_pack(network, CHAIR, pack, "xlsx")))
    sheet = workbook["Inequalities 1"]
    assert sheet["A2"].value.startswith("Inequalities: Social care advice")
    deck = Presentation(io.BytesIO(service.render_pack(network, CHAIR, pack, "pptx")))
    slide_titles = [slide.shapes.title.text for slide in deck.slides if slide.shapes.title is not None]
    assert any(title.startswith("Inequalities: Social care advice") for title in slide_titles)


def test_external_pack_has_the_own_authoritys_judgements_only(network: Database, five_network: Database) -> None:
    with pytest.raises(ValueError, match="at least 5"):
        service.build_pack(network, ISLINGTON, PackRequest(QUARTER, themes=("advice",), audience="external",
                                                           own_la="206"))
    pack = service.build_pack(five_network, ISLINGTON, PackRequest(QUARTER, themes=("advice",), audience="external",
                                                              own_la="206"))
    first = pack.inequality_pages[0].table
    assert first["Authority"].tolist() == ["Islington"]
    assert first.loc[0, "Black"] == "● no clear difference"
    assert not (pack.discussion_all["kind"] == "disparity_99.8").any()


def test_pdf_page_for_a_look(network: Database, tmp_path: Path) -> None:
    """Writes the PDF where the screenshot step can pick it up (the assertion: it has an inequalities page)."""
    pack = service.build_pack(network, CHAIR, PackRequest(QUARTER, themes=("advice",)))
    data = service.render_pack(network, CHAIR, pack, "pdf")
    target = tmp_path / "pack.pdf"
    target.write_bytes(data)
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert any("Inequalities:" in page.extract_text() for page in reader.pages)
