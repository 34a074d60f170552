"""Meeting packs (issue 5): every format reopened and checked against the engine.

One copy of the demo network serves the whole module (the packs only read). The network PDF is
rendered once per module (Chromium through kaleido is the slow part), the external one once too;
PowerPoint and Excel are cheap. Authority 202 (Camden) is the own authority; 2026-27 Q2 is the
demo's latest quarter. Page images for people to look at go to artifacts/pack_pages/.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import math
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pypdf
import pytest
from browser_support import copy_database
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE

from benchmark import reference, service
from benchmark.access import membership, rights
from benchmark.analysis import discussion, engine, stats, tracker
from benchmark.db import Database, close_database, open_database
from benchmark.definitions import published_catalogue
from benchmark.definitions.disclosure_rules import SUPPRESSED
from benchmark.definitions.metrics import CATALOGUE, METRICS, Method, Metric, Polarity
from benchmark.definitions.standard import THEMES
from benchmark.intake.returns import store_file
from benchmark.outputs import charts, exports, pack_render, packs, views
from benchmark.outputs.disclosure import rounded
from benchmark.periods import Period

ROOT = Path(__file__).resolve().parents[2]
PAGES_DIR = ROOT / "artifacts" / "pack_pages"
LATEST = Period.parse("2026-27 Q2")
OWN = "202"  # Camden
NOW = dt.datetime(2026, 11, 23, 9, 30)
TODAY = dt.date(2026, 11, 23)
# The demo's latest quarter has authorities' commentary, and follows a quarter revised after sign-off.
FIXED_SHEETS = ["Cover", "Summary", "Tracker", "Tartan rug", "Rug bands", "For discussion", "All discussion items",
                "Narrative requests", "Commentary", "Revised after sign-off"]
# One published-context sheet per theme with published measures (none is published about the DSCO role).
CONTEXT_SHEETS = [pack_render.context_sheet_name(theme_id) for theme_id in THEMES
                  if published_catalogue.measures_for_theme(theme_id)]
METRIC_SHEETS = [pack_render.metric_sheet_name(metric) for metric in CATALOGUE]
TOPIC_SHEETS = ["The DSCO role", "Area SEND inspections"]  # network packs: the role matrix, who is inspected next
TABLE_ROWS = 14  # rows of a table on one slide
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
LETTER = re.compile(r"^Authority [A-Z]{1,2}$")


# --------------------------------------------------------------------------- fixtures and helpers


@dataclass(frozen=True)
class RenderedPdf:
    data: bytes
    reader: pypdf.PdfReader
    texts: list[str]  # extracted text of each page, page 1 first

    @property
    def text(self) -> str:
        return "\n".join(self.texts)

    def outline(self) -> dict[str, int]:
        """Bookmark title -> 0-based page index (the contents' sections)."""
        found: dict[str, int] = {}

        def walk(items: list) -> None:
            for item in items:
                if isinstance(item, list):
                    walk(item)
                else:
                    found[item.title] = self.reader.get_destination_page_number(item)

        walk(self.reader.outline)
        return found

    def page_of(self, title: str) -> str:
        return self.texts[self.outline()[title]]


def read_pdf(data: bytes) -> RenderedPdf:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return RenderedPdf(data, reader, [page.extract_text() or "" for page in reader.pages])


def flat(text: str) -> str:
    """Text with every run of whitespace as one space (wrapped lines join up again)."""
    return " ".join(text.split())


def names_in(text: str, names: set[str]) -> list[str]:
    """Which of `names` occur in `text` as whole words."""
    return sorted(name for name in names if re.search(rf"(?<![A-Za-z]){re.escape(name)}(?![A-Za-z])", text))


def present(value: object) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def workbook(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def sheet_records(sheet: openpyxl.worksheet.worksheet.Worksheet) -> list[dict[str, openpyxl.cell.Cell]]:
    """Each data row of a sheet as {header: cell}."""
    rows = list(sheet.iter_rows())
    header = [cell.value for cell in rows[0]]
    return [dict(zip(header, row, strict=True)) for row in rows[1:]]


def metric_records(sheet: openpyxl.worksheet.worksheet.Worksheet) -> list[dict[str, openpyxl.cell.Cell]]:
    """A metric sheet's rows keyed by the engine's column names; its headings are the plain ones people read."""
    engine_names = {heading: name for name, heading in views.HEADINGS.items() if name != "authority"}
    records = sheet_records(sheet)
    assert "la_name" not in records[0] and "Authority" in records[0], "a metric sheet heads its columns plainly"
    return [{engine_names.get(heading, heading): cell for heading, cell in record.items()} for record in records]


def slide_texts(slide: object) -> list[str]:
    """Every piece of text on a slide: text frames, table cells, chart categories and series names."""
    texts = []
    for shape in slide.shapes:
        if shape.has_text_frame:
            texts.append(shape.text_frame.text)
        if getattr(shape, "has_table", False) and shape.has_table:
            texts += [cell.text for row in shape.table.rows for cell in row.cells]
        if getattr(shape, "has_chart", False) and shape.has_chart:
            plot = shape.chart.plots[0]
            texts += [str(category) for category in plot.categories]
            texts += [series.name for series in plot.series]
    return texts


def charts_on(slide: object) -> list:
    return [shape.chart for shape in slide.shapes if getattr(shape, "has_chart", False) and shape.has_chart]


def tables_on(slide: object) -> list:
    return [shape for shape in slide.shapes if getattr(shape, "has_table", False) and shape.has_table]


def first_column(table: object) -> list[str]:
    """A PowerPoint table's first column below its heading."""
    return [table.cell(row, 0).text for row in range(1, len(table.rows))]


def table_slides(frame: pd.DataFrame) -> int:
    """Slides a table takes: at most TABLE_ROWS rows a slide, fewer where long text makes rows tall."""
    return len(pack_render.pptx_table_chunks(frame))


def deck_plan(pack: packs.Pack) -> dict[str, range]:
    """Which slides (0-based) hold what: cover, summary, returns tracker, returns revised after an
    earlier sign-off (if any), for discussion, narrative requests, authorities' commentary (if any), one
    per metric, published context per theme, sources and licence, definitions; each table over as many
    slides as its rows need."""
    discussion = pack_render.discussion_table(pack.discussion).drop(columns=["Strength"])
    definitions = pack.definitions[["Metric id", "Metric", "Calculation", "Polarity"]]
    sizes = [("cover", 1), ("summary", table_slides(pack.summary.table())),
             ("tracker", table_slides(pack.tracker.fillna(""))),
             ("revisions", table_slides(pack.revisions) if len(pack.revisions) else 0),
             ("discussion", table_slides(discussion)),
             ("narrative", table_slides(pack.narrative_requests)),
             ("commentary", table_slides(pack.commentary) if len(pack.commentary) else 0),
             ("metrics", len(pack.sections)),
             ("context", sum(table_slides(page.table) for page in pack.context_pages)),
             ("topics", sum(table_slides(page.table.fillna("")) for page in pack.topic_pages)),
             ("sources", 1), ("definitions", table_slides(definitions))]
    plan, start = {}, 0
    for name, size in sizes:
        plan[name] = range(start, start + size)
        start += size
    return plan


def table_titles(title: str, slides: int) -> list[str]:
    return [title] if slides == 1 else [f"{title} ({number} of {slides})" for number in range(1, slides + 1)]


def metric_slides(deck: Presentation, pack: packs.Pack) -> list:
    slides = list(deck.slides)
    return [slides[number] for number in deck_plan(pack)["metrics"]]


@pytest.fixture(scope="module")
def db(demo_build, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """One module-wide copy of the demo network: packs only read, so the engine's cache stays warm."""
    close_database(demo_build.path)
    path = copy_database(demo_build.path, tmp_path_factory.mktemp("packs") / "demo.duckdb")
    yield open_database(path)
    close_database(path)


@pytest.fixture(scope="module")
def compared(db: Database) -> dict[str, pd.DataFrame]:
    """engine.compare for every metric in the latest quarter: the figures every format must show."""
    return {metric.id: engine.compare(db, LATEST, metric.id) for metric in CATALOGUE}


@pytest.fixture(scope="module")
def other_names(db: Database) -> set[str]:
    """Every network authority's name except the own authority's."""
    return {reference.authority_name(code) for code in engine.network_members(db) if code != OWN}


@pytest.fixture(scope="module")
def network_pack(db: Database) -> packs.Pack:
    return packs.build_pack(db, packs.PackRequest(LATEST, own_la=OWN, authority_pages=(OWN,)), now=NOW)


@pytest.fixture(scope="module")
def external_pack(db: Database) -> packs.Pack:
    request = packs.PackRequest(LATEST, audience="external", own_la=OWN, authority_pages=(OWN, "203"))
    return packs.build_pack(db, request, now=NOW)


@pytest.fixture(scope="module")
def network_pdf(network_pack: packs.Pack) -> RenderedPdf:
    return read_pdf(pack_render.render(network_pack, "pdf"))


@pytest.fixture(scope="module")
def external_pdf(external_pack: packs.Pack) -> RenderedPdf | Exception:
    """The external PDF, or the exception rendering raised (so a test, not the fixture, fails)."""
    try:
        return read_pdf(pack_render.render(external_pack, "pdf"))
    except Exception as error:  # reported by the tests that need the PDF
        return error


def built(pdf: RenderedPdf | Exception) -> RenderedPdf:
    if isinstance(pdf, Exception):
        raise pdf
    return pdf


@pytest.fixture(scope="module")
def network_deck(network_pack: packs.Pack) -> Presentation:
    return Presentation(io.BytesIO(pack_render.render(network_pack, "pptx")))


@pytest.fixture(scope="module")
def external_deck(external_pack: packs.Pack) -> Presentation:
    return Presentation(io.BytesIO(pack_render.render(external_pack, "pptx")))


@pytest.fixture(scope="module")
def network_xlsx(network_pack: packs.Pack) -> openpyxl.Workbook:
    return workbook(pack_render.render(network_pack, "xlsx"))


@pytest.fixture(scope="module")
def external_xlsx(external_pack: packs.Pack) -> openpyxl.Workbook:
    return workbook(pack_render.render(external_pack, "xlsx"))


def count_columns(metric: Metric) -> list[str]:
    """The columns of a comparison table that hold counts of children or requests (months, days and
    pounds are not counts; a rate's denominator is the population)."""
    if metric.method is Method.PROPORTION:
        return ["numerator", "denominator"]
    if metric.method is Method.RATE:
        return ["numerator"]
    if metric.method is Method.RATIO:
        return ["denominator"] if metric.unit == "GBP" else ["numerator", "denominator"]
    return []


def pdf_row(metric_id: str, record: dict) -> str:
    """A metric table's row as the PDF prints it: authority, value, numerator, denominator, rank."""
    decimals = METRICS[metric_id].decimals

    def cell(value: object, places: int) -> str:
        return f"{value:,.{places}f}" if present(value) else "-"

    small = pack_render.SMALL_MARK if record["small_numbers"] else ""
    return " ".join([record["la_name"], cell(record["value"], decimals) + small, cell(record["numerator"], 0),
                     cell(record["denominator"], 0), views.rank_text(record["rank"], record["group_reported"])])


# --------------------------------------------------------------------------- the request


def test_request_refuses_unknown_audience_and_no_themes() -> None:
    with pytest.raises(ValueError, match="audience"):
        packs.PackRequest(LATEST, audience="public")
    with pytest.raises(ValueError, match="themes"):
        packs.PackRequest(LATEST, themes=())
    with pytest.raises(ValueError, match="themes"):
        packs.PackRequest(LATEST, themes=("short_breaks", "housing"))


def test_render_refuses_unknown_format_and_reports_progress(network_pack: packs.Pack) -> None:
    with pytest.raises(ValueError, match="format"):
        pack_render.render(network_pack, "docx")
    calls: list[tuple[float, str]] = []
    pack_render.render(network_pack, "pptx", lambda share, text: calls.append((share, text)))
    shares = [share for share, _ in calls]
    assert len(calls) == len(network_pack.sections) + 1
    assert shares == sorted(shares) and shares[-1] == 1.0 and all(0 < share <= 1 for share in shares)


def test_pack_holds_one_section_per_metric_of_the_chosen_themes(db: Database) -> None:
    pack = packs.build_pack(db, packs.PackRequest(LATEST, themes=("advice",)), now=NOW)
    assert [section.metric.id for section in pack.sections] == [m.id for m in CATALOGUE if m.theme == "advice"]
    assert list(pack.definitions["Metric id"]) == [section.metric.id for section in pack.sections]
    assert set(pack.discussion["metric"]) <= {section.metric.id for section in pack.sections}
    assert list(pack.rug_values.columns) == [section.metric.id for section in pack.sections]
    deck = Presentation(io.BytesIO(pack_render.render(pack, "pptx")))
    plan = deck_plan(pack)
    assert len(deck.slides) == plan["definitions"].stop
    assert [slide.shapes.title.text for slide in metric_slides(deck, pack)] == [
        section.metric.name for section in pack.sections]


def test_rug_is_built_from_the_metric_tables(network_pack: packs.Pack, compared: dict[str, pd.DataFrame]) -> None:
    values, bands = network_pack.rug_values, network_pack.rug_bands
    assert list(values.columns) == list(bands.columns) == [metric.id for metric in CATALOGUE]
    assert list(values.index) == list(bands.index) == sorted(compared[CATALOGUE[0].id]["la_name"])
    assert values.index.name == "Authority"
    for section in network_pack.sections:
        table = section.table.set_index("la_name")
        engine_table = compared[section.metric.id].set_index("la_name")
        for name in values.index:
            value, band = values.loc[name, section.metric.id], bands.loc[name, section.metric.id]
            assert not isinstance(value, str), (section.metric.id, name, value)
            if present(engine_table.loc[name, "value"]):
                assert value == pytest.approx(table.loc[name, "value"]) == pytest.approx(
                    engine_table.loc[name, "value"]), (section.metric.id, name)
                assert band == engine_table.loc[name, "quartile_band"] in set("ABCD"), (section.metric.id, name)
            else:
                assert not present(value) and not present(band), (section.metric.id, name)


def test_rug_text_and_headings() -> None:
    values = pd.DataFrame({"adv_6wk_pct": [45.4321, "c", None], "adv_overdue_per_10k": [0.4849, 1.5, None],
                           "sb_spend_per_child": [1862.4, 2000.0, 3000.0]}, index=["Camden", "Authority B", "X"],
                          dtype=object)
    bands = pd.DataFrame({"adv_6wk_pct": ["C", None, None], "adv_overdue_per_10k": ["A", "B", None],
                          "sb_spend_per_child": ["D", "A", None]}, index=values.index)
    text = views.rug_text(values, bands)
    assert text.loc["Camden"].tolist() == ["45.4 (C)", "0.48 (A)", "1,862 (D)"]
    assert text.loc["Authority B"].tolist() == [SUPPRESSED, "1.50 (B)", "2,000 (A)"]
    assert text.loc["X"].tolist() == ["-", "-", "3,000"]  # a value without a band stands alone
    no_bands = pd.DataFrame(None, index=values.index[:1], columns=values.columns)  # an own place given as a range
    unbanded = views.rug_text(values.iloc[:1], no_bands)
    assert unbanded.loc["Camden"].tolist() == ["45.4", "0.48", "1,862"]
    assert views.rug_headings(list(values.columns)) == {
        metric_id: METRICS[metric_id].short for metric_id in values.columns}
    assert all(metric.short and metric.short != metric.name for metric in CATALOGUE)


# --------------------------------------------------------------------------- PDF


def test_pdf_cover(network_pdf: RenderedPdf, network_pack: packs.Pack) -> None:
    cover = network_pdf.texts[0]
    assert network_pack.network_name in cover
    assert network_pack.network_name.startswith("London DSCO network")
    assert "Quarter: 2026-27 Q2 (July-September 2026)" in cover
    assert "Synthetic" in cover
    assert "Generated: 23 November 2026 09:30" in cover
    assert "Peer group: the whole network" in cover


def test_pdf_page_numbers(network_pdf: RenderedPdf) -> None:
    total = len(network_pdf.texts)
    assert total >= 3 + 3 + 1 + len(CATALOGUE) + 2, "cover, contents, tracker, rugs, discussion, metrics, ..."
    missing = [number for number, text in enumerate(network_pdf.texts, start=1)
               if f"Page {number} of {total}" not in text]
    assert not missing, f"pages without 'Page n of {total}': {missing}"


def test_pdf_contents_lists_every_section_with_its_page(network_pdf: RenderedPdf) -> None:
    outline = network_pdf.outline()
    expected = ["How the network is doing", "Returns tracker", "For discussion", "Narrative requests",
                "My authority: Camden", "Definitions, sources and licence",
                *(metric.name for metric in CATALOGUE)]
    assert not [title for title in expected if title not in outline], list(outline)
    # The contents run from page 3 to the page before the tracker (two pages with every theme).
    contents = "\n".join(network_pdf.texts[2:outline["Returns tracker"]])
    assert "Contents" in contents
    lines = set(contents.splitlines())
    wrong = [title for title, page in outline.items() if f"{title} {page + 1}" not in lines]
    assert not wrong, f"contents lines without the section's page number: {wrong}"


def test_pdf_tracker_page(db: Database, network_pdf: RenderedPdf) -> None:
    page = network_pdf.page_of("Returns tracker")
    summary = tracker.completeness(db, LATEST)
    assert (f"{summary['returns_received']} of {summary['returns_expected']} theme returns received; "
            f"{summary['authorities_complete']} of {summary['authorities']} authorities returned every theme") in page
    themes = membership.network_themes(db)  # the demo collects every theme, the newer topics too
    assert summary["returns_expected"] == 33 * len(themes) and summary["returns_received"] < 33 * len(themes)
    grid = tracker.tracker_grid(db, LATEST)
    lines = page.splitlines()
    for record in grid.to_dict("records"):
        row = [line for line in lines if line.startswith(record["la_name"] + " ")]
        assert row, f"{record['la_name']} not on the tracker page"
        assert row[0].count("overdue") == sum(record[theme] == "overdue" for theme in themes)


def test_pdf_metric_pages_show_the_engines_values(network_pdf: RenderedPdf,
                                                  compared: dict[str, pd.DataFrame]) -> None:
    outline = network_pdf.outline()
    wrong = []
    for metric in CATALOGUE:
        page = network_pdf.texts[outline[metric.name]]
        assert metric.name in page
        lines = page.splitlines()
        table = compared[metric.id]
        top = table.iloc[0]
        assert top["rank"] == 1, metric.id
        assert f"{top['value']:,.{metric.decimals}f}" in page, f"{metric.id}: top value missing"
        wrong += [(metric.id, pdf_row(metric.id, record)) for record in table.to_dict("records")
                  if present(record["value"]) and not any(line == pdf_row(metric.id, record) or line.startswith(
                      pdf_row(metric.id, record) + " ") for line in lines)]
    assert not wrong, f"{len(wrong)} table rows not as the engine has them, e.g. {wrong[:3]}"


def test_pdf_names_the_funnel_outliers(network_pdf: RenderedPdf, compared: dict[str, pd.DataFrame]) -> None:
    checked = 0
    for metric in CATALOGUE:
        table = compared[metric.id]
        outliers = table.loc[table["funnel_adjusted"].isin(["above_99.8", "below_99.8"]), "la_name"].tolist()
        page = flat(network_pdf.page_of(metric.name))
        if outliers:
            checked += 1
            assert f"{pack_render.OUTLIERS_LABEL}: " + ", ".join(outliers) in page, metric.id
        else:
            assert pack_render.OUTLIERS_LABEL not in page, metric.id
    assert checked >= 2


def test_pdf_discussion_and_my_authority_pages(network_pdf: RenderedPdf, network_pack: packs.Pack,
                                               compared: dict[str, pd.DataFrame]) -> None:
    discussion = flat(network_pdf.page_of("For discussion"))
    assert 0 < len(network_pack.discussion) <= 15
    assert [sentence for sentence in network_pack.discussion["sentence"] if flat(sentence) not in discussion] == []
    assert network_pack.left_out_text in discussion
    assert THEMES["advice"].title in discussion
    mine = network_pdf.page_of("My authority: Camden")
    for metric_id in ("adv_6wk_pct", "sb_reach_per_10k"):
        camden = compared[metric_id].set_index("la_code").loc[OWN]
        assert METRICS[metric_id].format(camden["value"], short=True) in mine
        assert views.rank_text(camden["rank"], camden["group_reported"]) in mine


def test_pdf_rug_pages_show_the_rug_text(network_pdf: RenderedPdf, network_pack: packs.Pack) -> None:
    text = views.rug_text(network_pack.rug_values, network_pack.rug_bands)
    for theme_id, theme in THEMES.items():
        columns = [metric.id for metric in CATALOGUE if metric.theme == theme_id]
        if not columns:
            continue  # a theme answered in words (the DSCO role) has no rug
        lines = network_pdf.page_of(f"Tartan rug: {theme.title}").splitlines()
        # Headings too long for their column wrap onto a second line, whole, rather than being cut.
        start = next(number for number, line in enumerate(lines) if line.startswith("Authority "))
        end = next(number for number, line in enumerate(lines) if line.startswith(text.index[0]))
        heading_words = " ".join(lines[start:end]).split()
        for heading in views.rug_headings(columns).values():
            assert all(word in heading_words for word in heading.split()), (theme_id, heading)
        expected = [" ".join([name, *cells]) for name, cells in zip(text.index, text[columns].to_numpy().tolist(),
                                                                    strict=True)]
        assert [line for line in lines if line in expected] == expected, theme_id
        assert any(re.search(r" \d[\d,.]* \([ABCD]\)", line) for line in expected)


def test_pdf_definitions_sources_and_licence(network_pdf: RenderedPdf) -> None:
    # At 8 pt the definitions and methods take the last pages, from their own heading on.
    last = "\n".join(network_pdf.texts[network_pdf.outline()["Definitions, sources and licence"]:])
    assert "Definitions, sources and licence" in last
    assert flat(packs.OGL_ATTRIBUTION) in flat(last)
    assert "Open Government Licence v3.0" in flat(last)
    assert not [metric.id for metric in CATALOGUE if metric.id not in last]


def test_pdf_has_no_blank_page(network_pdf: RenderedPdf) -> None:
    outline = network_pdf.outline()
    assert outline["How the network is doing"] == 1, "the summary is the first page after the cover"
    contents_pages = math.ceil(len(outline) / pack_render.TOC_LINES_PER_PAGE)
    assert outline["Returns tracker"] == 2 + contents_pages, "the tracker follows cover, summary and contents"
    total = len(network_pdf.texts)
    blank = [number for number, text in enumerate(network_pdf.texts, start=1)
             if not [line for line in text.splitlines() if line.strip() and f"Page {number} of {total}" not in line]]
    assert not blank, f"pages with nothing but the footer: {blank}"


@pytest.fixture(scope="module")
def network_pdf_file(network_pdf: RenderedPdf, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pack_pdf") / "network_pack.pdf"
    path.write_bytes(network_pdf.data)
    return path


def _page_png(pdf_file: Path, number: int, name: str) -> Path:
    """pdftoppm -r 60 one page into artifacts/pack_pages/NAME.png, for people to look at."""
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    PAGES_DIR.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", str(number), "-l", str(number), "-singlefile",
                    str(pdf_file), str(PAGES_DIR / name)], check=True, timeout=60)
    return PAGES_DIR / f"{name}.png"


def _white_share(path: Path) -> float:
    image = pytest.importorskip("PIL.Image").open(path).convert("L")
    histogram = image.histogram()
    return sum(histogram[241:]) / sum(histogram)


def test_pdf_pages_render_to_png(network_pdf: RenderedPdf, network_pdf_file: Path) -> None:
    outline = network_pdf.outline()
    pages = {"cover": 1, "tracker": outline["Returns tracker"] + 1,
             "rug_advice": outline["Tartan rug: Social care advice into EHC needs assessments"] + 1,
             "metric_adv_6wk_pct": outline[METRICS["adv_6wk_pct"].name] + 1,
             "discussion": outline["For discussion"] + 1,
             "definitions": outline["Definitions, sources and licence"] + 1}
    for name, number in pages.items():
        path = _page_png(network_pdf_file, number, name)
        assert path.exists() and path.stat().st_size > 5_000, name
        size = pytest.importorskip("PIL.Image").open(path).size
        assert size[0] > size[1] and abs(size[0] - 702) <= 2, f"{name}: not A4 landscape at 60 dpi: {size}"
        assert _white_share(path) < 0.99, f"{name} is blank"


def test_pdf_wrapped_tables_are_readable(network_pdf: RenderedPdf, network_pdf_file: Path) -> None:
    outline = network_pdf.outline()
    shares = {name: _white_share(_page_png(network_pdf_file, number, name))
              for name, number in {"discussion": outline["For discussion"] + 1,
                                   "definitions": outline["Definitions, sources and licence"] + 1}.items()}
    assert all(share > 0.7 for share in shares.values()), f"share of white page: {shares}"


def _naive_text_colour(fill: tuple[int, int, int]) -> tuple[int, int, int]:
    """The old rule: white only below a luma of 100, else the body's dark grey (3.2:1 on band B)."""
    return (255, 255, 255) if 0.299 * fill[0] + 0.587 * fill[1] + 0.114 * fill[2] < 100 else (61, 61, 61)


def _rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4))


PDF_SHADES = {**{f"band {band}": _rgb(colour) for band, colour in charts.BAND_COLOURS.items()},
              **{f"neutral band {band}": _rgb(colour) for band, colour in charts.NEUTRAL_BAND_COLOURS.items()},
              "heading": pack_render.HEADING_FILL, "overdue": pack_render.OVERDUE_FILL}


def test_pdf_every_shade_keeps_its_text_at_4_5_to_1() -> None:
    naive = {name: pack_render.contrast_ratio(_naive_text_colour(fill), fill) for name, fill in PDF_SHADES.items()}
    assert min(naive.values()) < 4.5, "the control: the old rule fails on a mid shade"
    ratios = {name: round(pack_render.contrast_ratio(pack_render.text_colour_on(fill), fill), 2)
              for name, fill in PDF_SHADES.items()}
    assert all(ratio >= 4.5 for ratio in ratios.values()), ratios
    assert pack_render.contrast_ratio(pack_render.text_colour_on(None), (255, 255, 255)) >= 4.5


def _font_sizes(reader: pypdf.PdfReader) -> dict[int, float]:
    """Page number -> the smallest type (points) of any text on it."""
    smallest: dict[int, float] = {}
    for number, page in enumerate(reader.pages, start=1):
        def visit(text: str, cm: list, tm: list, font: dict, size: float, number: int = number) -> None:
            if text.strip():
                scaled = size * math.hypot(tm[0], tm[1]) * math.hypot(cm[0], cm[1])
                smallest[number] = min(smallest.get(number, scaled), scaled)
        page.extract_text(visitor_text=visit)
    return smallest


def test_pdf_text_is_at_least_8_points(network_pdf: RenderedPdf) -> None:
    sizes = _font_sizes(network_pdf.reader)
    assert len(sizes) == len(network_pdf.texts)
    assert min(sizes.values()) >= 8 - 1e-6, {page: size for page, size in sizes.items() if size < 8}


def test_pdf_tables_wrap_rather_than_cut(network_pdf: RenderedPdf) -> None:
    """The longest metric name fits no 70 mm column at 8 pt: it wraps, in full, on the My authority page."""
    longest = max((metric.name for metric in CATALOGUE), key=len)
    page = network_pdf.page_of("My authority: Camden")
    assert " ".join(longest.split()) in " ".join(page.split())


def test_pdf_metric_table_headings_are_never_broken_inside_a_word(network_pdf: RenderedPdf) -> None:
    page = network_pdf.page_of("Nil returns: 'not known to social care' (%)")
    assert all(heading in page.split() for heading in pack_render.METRIC_TABLE_WIDTHS), page[:400]


def test_pdf_topic_tables_never_break_a_word_and_fit_short_answers_on_one_line(network_pdf: RenderedPdf) -> None:
    page = network_pdf.page_of("The DSCO role: self-assessment")
    assert "Quality-assures" in page.split(), "the heading's longest word is whole"
    assert re.search(r"^Barnet 20\d\d-\d\d Q\d ", page, re.MULTILINE), "the quarter answered sits on one line"


def test_xlsx_sheet_names_are_readable(network_xlsx: openpyxl.Workbook) -> None:
    assert all(len(name) <= 31 for name in network_xlsx.sheetnames)
    assert not [name for name in network_xlsx.sheetnames if "_" in name], "no internal ids as sheet names"
    assert {"Overnight %", "Short-break spend per child", "DfE context, Short breaks"} <= set(network_xlsx.sheetnames)


# --------------------------------------------------------------------------- PowerPoint


def test_pptx_slide_count(network_deck: Presentation, network_pack: packs.Pack) -> None:
    plan = deck_plan(network_pack)
    # 33 authorities on the tracker, 20 definitions: the tables take several slides each
    assert (len(plan["tracker"]), len(plan["metrics"]), len(plan["definitions"])) == (3, len(CATALOGUE), 2)
    assert (len(plan["revisions"]), len(plan["commentary"])) == (1, 1)  # the demo's revision and commentaries
    assert len(network_deck.slides) == plan["definitions"].stop == (
        1 + len(plan["summary"]) + 3 + 1 + len(plan["discussion"]) + len(plan["narrative"]) + 1 + len(CATALOGUE)
        + len(plan["context"]) + len(plan["topics"]) + 1 + 2)
    # one published-context table per theme: 33 authorities, London and England, 14 rows a slide
    assert len(plan["context"]) == len(CONTEXT_SHEETS) * 3
    assert len(plan["topics"]) >= 2  # the role matrix and the inspection list, each over the slides its rows need
    slides = list(network_deck.slides)
    titles = [slide.shapes.title.text for slide in slides]
    assert titles[0] == network_pack.title
    assert [titles[number] for number in plan["tracker"]] == [
        "Returns tracker (1 of 3)", "Returns tracker (2 of 3)", "Returns tracker (3 of 3)"]
    assert [titles[number] for number in plan["discussion"]] == table_titles("For discussion",
                                                                              len(plan["discussion"]))
    assert [titles[number] for number in plan["metrics"]] == [metric.name for metric in CATALOGUE]
    assert titles[plan["sources"][0]] == "Methods, sources and licence"
    assert [titles[number] for number in plan["summary"]] == table_titles("How the network is doing",
                                                                          len(plan["summary"]))
    assert [titles[number] for number in plan["definitions"]] == ["Definitions (1 of 2)", "Definitions (2 of 2)"]
    texts = [" ".join(slide_texts(slide)) for slide in slides]
    assert network_pack.network_name in texts[0] and "Synthetic" in texts[0]
    assert "Open Government Licence v3.0" in texts[plan["sources"][0]]


def test_pptx_metric_slides_have_native_charts_with_the_engines_values(
        network_deck: Presentation, network_pack: packs.Pack, compared: dict[str, pd.DataFrame]) -> None:
    slides = metric_slides(network_deck, network_pack)
    for slide, metric in zip(slides, CATALOGUE, strict=True):
        assert slide.shapes.title.text == metric.name
        charts = charts_on(slide)
        assert len(charts) == 1, metric.id
        chart = charts[0]
        assert chart.chart_type == XL_CHART_TYPE.BAR_CLUSTERED
        categories = [str(category) for category in chart.plots[0].categories]
        values = list(chart.plots[0].series[0].values)
        table = compared[metric.id].dropna(subset=["value"])
        expected = {name: round(float(value), metric.decimals) for name, value in zip(table["la_name"],
                                                                                      table["value"], strict=True)}
        assert sorted(categories) == sorted(expected), metric.id
        assert dict(zip(categories, values, strict=True)) == pytest.approx(expected, abs=1e-9), metric.id
        assert values == sorted(values), f"{metric.id}: bars not sorted by value"
        own = categories.index("Camden")
        point = chart.plots[0].series[0].points[own]
        assert point.format.fill.fore_color.rgb == RGBColor(0x12, 0x43, 0x6D), "own authority not highlighted"


def test_pptx_chart_number_format_follows_the_metric(network_deck: Presentation, network_pack: packs.Pack) -> None:
    wrong = []
    for slide, metric in zip(metric_slides(network_deck, network_pack), CATALOGUE, strict=True):
        codes = {code.text for code in charts_on(slide)[0]._chartSpace.xpath(".//c:formatCode")}
        expected = "0." + "0" * metric.decimals if metric.decimals else "0"
        if codes != {expected}:
            wrong.append((metric.id, codes, expected))
    assert not wrong, wrong
    assert {metric.decimals for metric in CATALOGUE} >= {0, 1, 2}, "every number format is exercised"


def test_pptx_tables_show_every_row_on_the_slide(network_deck: Presentation, network_pack: packs.Pack) -> None:
    slides = list(network_deck.slides)
    plan = deck_plan(network_pack)

    def rows(part: str) -> list[str]:
        found = []
        for number in plan[part]:
            (shape,) = tables_on(slides[number])
            assert 1 <= len(shape.table.rows) - 1 <= TABLE_ROWS, (part, number)
            assert shape.top + shape.height <= network_deck.slide_height, f"{part}: table runs off slide {number}"
            found += first_column(shape.table)
        return found

    assert rows("tracker") == list(network_pack.tracker["Authority"]) and len(network_pack.tracker) == 33
    assert rows("discussion") == [THEMES[theme].title for theme in network_pack.discussion["theme"]]
    assert rows("summary") == list(network_pack.summary.table()["Theme"])
    assert rows("definitions") == [metric.id for metric in CATALOGUE]
    richmond = network_pack.tracker.set_index("Authority").loc["Richmond upon Thames"]
    assert (richmond == "overdue").sum() == 2, "the authority the old one-slide table cut off"


# --------------------------------------------------------------------------- Excel


def test_xlsx_has_a_sheet_per_table_and_definitions(network_xlsx: openpyxl.Workbook) -> None:
    assert network_xlsx.sheetnames == [*FIXED_SHEETS, *METRIC_SHEETS, *CONTEXT_SHEETS,
                                       "Scorecard Camden", *TOPIC_SHEETS, "Definitions"]
    definitions = sheet_records(network_xlsx["Definitions"])
    assert [row["Metric id"].value for row in definitions] == [metric.id for metric in CATALOGUE]
    assert [row["Calculation"].value for row in definitions] == [metric.formula for metric in CATALOGUE]
    cover = " ".join(str(cell.value) for cell in network_xlsx["Cover"]["A"])
    assert "Synthetic" in cover and "Open Government Licence v3.0" in cover


def test_xlsx_metric_sheets_hold_the_engines_numbers_as_numbers(network_xlsx: openpyxl.Workbook,
                                                                compared: dict[str, pd.DataFrame]) -> None:
    checked = 0
    for metric in CATALOGUE:
        sheet = network_xlsx[pack_render.metric_sheet_name(metric)]
        rows = {row["la_code"].value: row for row in metric_records(sheet)}
        table = compared[metric.id]
        assert set(rows) == set(table["la_code"]), metric.id
        for record in table.to_dict("records"):
            row = rows[record["la_code"]]
            assert row["la_name"].value == record["la_name"]
            expected = {"value": round(record["value"], metric.decimals), "numerator": record["numerator"],
                        "denominator": record["denominator"], "rank": record["rank"],
                        "network_median": round(record["network_median"], metric.decimals)}
            for column, value in expected.items():
                cell = row[column]
                if not present(value):
                    assert cell.value is None, (metric.id, record["la_name"], column, cell.value)
                    continue
                assert cell.data_type == "n" and not isinstance(cell.value, bool), (metric.id, column, cell.value)
                assert cell.value == pytest.approx(value, abs=1e-9), (metric.id, record["la_name"], column)
                checked += 1
    assert checked > 2_000


def _text_cells(book: openpyxl.Workbook) -> Iterator[tuple[str, openpyxl.cell.Cell]]:
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                yield sheet.title, cell


@pytest.mark.parametrize("audience", ["network", "external"])
def test_xlsx_text_cells_are_formula_safe(audience: str, request: pytest.FixtureRequest) -> None:
    book = request.getfixturevalue(f"{audience}_xlsx")
    formulas = [(title, cell.coordinate) for title, cell in _text_cells(book) if cell.data_type == "f"]
    assert not formulas
    risky = [(title, cell.coordinate, cell.value) for title, cell in _text_cells(book)
             if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS)
             and not (cell.data_type == "s" and cell.quotePrefix)]
    assert not risky, risky[:5]
    # Formula safety puts no visible character into a value: an apostrophe is CSV's way, not Excel's.
    quoted = [(title, cell.coordinate, cell.value) for title, cell in _text_cells(book)
              if isinstance(cell.value, str) and cell.value.startswith("'")]
    assert not quoted, quoted[:5]


def test_xlsx_tracker_sheet_matches_the_tracker(db: Database, network_xlsx: openpyxl.Workbook) -> None:
    grid = tracker.tracker_grid(db, LATEST).set_index("la_name")
    rows = sheet_records(network_xlsx["Tracker"])
    assert [row["Authority"].value for row in rows] == sorted(grid.index)
    missing_sheet = sum(cell.value == "overdue" for row in rows for cell in row.values())
    assert missing_sheet == int((grid == "overdue").sum().sum()) == 3


def test_xlsx_rug_numbers_are_numbers(network_xlsx: openpyxl.Workbook, compared: dict[str, pd.DataFrame]) -> None:
    headings = ["Authority", *(metric.short for metric in CATALOGUE)]
    rug, bands = network_xlsx["Tartan rug"], network_xlsx["Rug bands"]
    assert [cell.value for cell in rug[1]] == headings == [cell.value for cell in bands[1]]
    values = {(metric.id, name): value for metric in CATALOGUE
              for name, value in zip(compared[metric.id]["la_name"], compared[metric.id]["value"], strict=True)}
    engine_bands = {(metric.id, name): band for metric in CATALOGUE for name, band in
                    zip(compared[metric.id]["la_name"], compared[metric.id]["quartile_band"], strict=True)}
    rug_rows, band_rows = list(rug.iter_rows())[1:], list(bands.iter_rows())[1:]
    assert [row[0].value for row in rug_rows] == sorted(compared[CATALOGUE[0].id]["la_name"])
    assert [row[0].value for row in band_rows] == [row[0].value for row in rug_rows]
    numbers = 0
    for rug_row, band_row in zip(rug_rows, band_rows, strict=True):
        name = rug_row[0].value
        for metric, cell, band in zip(CATALOGUE, rug_row[1:], band_row[1:], strict=True):
            expected = values[(metric.id, name)]
            if not present(expected):
                assert cell.value is None and band.value is None, (metric.id, name, cell.value, band.value)
                continue
            assert cell.data_type == "n" and cell.value == round(expected, metric.decimals), (metric.id, name)
            assert cell.number_format == ("0" if metric.decimals == 0 else "0." + "0" * metric.decimals)
            assert band.value == engine_bands[(metric.id, name)], (metric.id, name)
            numbers += 1
    assert numbers > 600


# --------------------------------------------------------------------------- external audience

# Kensington and Chelsea's children aged 0-17 (ONS), the smallest of Camden's peers shown externally: the
# City of London (847) has fewer than 10,000 and is never shown on its own, so it sets no rounding step.
SMALLEST_PEER_POPULATION = 22_555
AGGREGATES = ("network_median", "network_mean", "region_mean", "sn_mean", "sn_median", "diff_from_median")
POSITIONS = ("rank", "quartile_band", "top_bottom_20", "funnel", "trend")


@pytest.fixture(scope="module")
def external_identity(external_pack: packs.Pack, compared: dict[str, pd.DataFrame]) -> dict[str, str]:
    """Name as the external pack shows it -> the authority's name, found (for the tests only) from the
    visible values, which must be the engine's: one name stands for one authority in the whole pack."""
    candidates: dict[str, set[str]] = {}
    for section in external_pack.sections:
        engine_values = compared[section.metric.id].set_index("la_name")["value"]
        for shown, value in zip(section.table["la_name"], section.table["value"], strict=True):
            possible = candidates.setdefault(shown, set(engine_values.index))
            if value == SUPPRESSED:
                candidates[shown] = {name for name in possible if present(engine_values[name])}
            elif present(value):  # a lettered value is shown rounded to the disclosure rules
                candidates[shown] = {name for name in possible if present(engine_values[name]) and min(
                    abs(engine_values[name] - value), abs(rounded([engine_values[name]], section.metric,
                                                                  SMALLEST_PEER_POPULATION)[0] - value))
                    < 1e-9}
            else:
                candidates[shown] = {name for name in possible if not present(engine_values[name])}
    assert all(len(names) == 1 for names in candidates.values()), {key: len(names) for key, names in
                                                                    candidates.items()}
    identity = {shown: next(iter(names)) for shown, names in candidates.items()}
    assert len(set(identity.values())) == len(identity) == 33 and identity["Camden"] == "Camden"
    return identity


def _hidden_mask(table: pd.DataFrame) -> pd.Series:
    return table["value"].astype(str) == SUPPRESSED


def test_external_tables_are_suppressed_and_lettered(external_pack: packs.Pack) -> None:
    hidden = 0
    for section in external_pack.sections:
        table = section.table
        metric = section.metric
        assert all(LETTER.match(name) or name == "Camden" for name in table["la_name"]), metric.id
        assert list(table["la_code"].replace("", None).dropna()) == [OWN]
        for column in count_columns(metric):
            numbers = pd.to_numeric(table[column].where(table[column].astype(str) != SUPPRESSED), errors="coerce")
            assert not numbers.between(1, 5).any(), (metric.id, column)
        if metric.method is Method.RATE:  # the population would name the authority
            assert list(table["denominator"].map(present)) == list(table["la_code"] == OWN), metric.id
        suppressed = _hidden_mask(table)
        if suppressed.any():
            assert all(set(table[column]) == {SUPPRESSED} for column in AGGREGATES if column in table), metric.id
            assert (table.loc[suppressed, list(POSITIONS)] == SUPPRESSED).all().all(), metric.id
        hidden += int(suppressed.sum())
    assert hidden > 10, "the demo network has small counts: some values must be hidden"


def test_external_comparison_ranks_among_the_visible_values(compared: dict[str, pd.DataFrame]) -> None:
    """exports.outward_comparison: rows keep the engine table's index labels; where a value is suppressed,
    rank, band and top/bottom 20% are given among the visible values and the suppressed rows come last."""
    suppressed_metrics = reranked = 0
    for metric in CATALOGUE:
        engine_table = compared[metric.id]
        table = exports.outward_comparison(engine_table, metric, "external", OWN)
        assert sorted(table.index) == sorted(engine_table.index), metric.id
        real = engine_table.loc[table.index]
        assert list(real.loc[(table["la_code"] == OWN).to_numpy(), "la_code"]) == [OWN], metric.id
        hidden = _hidden_mask(table).to_numpy()
        shown = pd.to_numeric(table["value"].where(~hidden), errors="coerce")
        visible = shown.notna().to_numpy()
        own = (table["la_code"] == OWN).to_numpy()
        # letters: rounded values (rates to the step the smallest peer's population needs)
        expected = np.where(own, real["value"], rounded(real["value"], metric, SMALLEST_PEER_POPULATION))
        assert shown[visible].tolist() == pytest.approx(expected[visible].tolist()), metric.id
        if metric.method is Method.RATE:
            assert list(table["denominator"].map(present)) == list(table["la_code"] == OWN), metric.id
        # ranked as shown, the own value rounded like the letters' so that a rounded tie stays a tie
        alike = pd.Series(rounded(real["value"], metric, SMALLEST_PEER_POPULATION), index=table.index)[visible]
        score = alike.to_numpy() * (-1 if metric.polarity is Polarity.LOWER else 1)
        ranks = list(table["rank"][visible])
        assert ranks == [1 + int((score > mine).sum()) for mine in score], metric.id
        if not hidden.any():
            continue
        suppressed_metrics += 1
        assert all(set(table[column]) == {SUPPRESSED} for column in AGGREGATES if column in table), metric.id
        assert (table.loc[hidden, list(POSITIONS)] == SUPPRESSED).all().all(), metric.id
        assert hidden.nonzero()[0].min() > visible.nonzero()[0].max(), f"{metric.id}: a hidden row among the visible"
        assert ranks == sorted(ranks) and set(table["group_reported"]) == {int(visible.sum())}, metric.id
        # The own authority's band and flag are left out where its place is a range of ranks.
        judged = ~(own & table["rank_range"].notna().to_numpy())[visible]
        bands = stats.quartile_bands(alike, metric.polarity.value)
        assert list(table["quartile_band"][visible][judged]) == list(bands[judged])
        flags = [flag if isinstance(flag, str) else None for flag in table["top_bottom_20"][visible][judged]]
        expected = stats.top_bottom_20(alike, metric.polarity.value)
        expected[(table["small_numbers"][visible].astype(str) == "True").to_numpy()] = None  # never flagged
        assert flags == list(expected[judged]), metric.id
        reranked += ranks != list(real["rank"][visible])
    assert suppressed_metrics >= 10 and reranked, "some hidden value ranked above a visible one"


def test_external_xlsx_names_no_other_authority_and_no_small_count(external_xlsx: openpyxl.Workbook,
                                                                   other_names: set[str]) -> None:
    text = "\n".join(str(cell.value) for _, cell in _text_cells(external_xlsx) if cell.value is not None)
    assert not names_in(text, other_names)
    assert "Camden" in text
    assert external_xlsx.sheetnames[-2:] == ["Scorecard Camden", "Definitions"], "a page for another authority"
    for metric in CATALOGUE:
        rows = metric_records(external_xlsx[pack_render.metric_sheet_name(metric)])
        for row in rows:
            for column in count_columns(metric):
                value = row[column].value
                assert not (isinstance(value, int | float) and 1 <= value <= 5), (metric.id, column, value)
                assert value is None or value == SUPPRESSED or isinstance(value, int | float)
        if metric.method is Method.RATE:
            assert [row["la_name"].value for row in rows if row["denominator"].value is not None] == ["Camden"]
    counts = [row["Count"].value for row in sheet_records(external_xlsx["Scorecard Camden"])]
    assert not [count for count in counts if count]


def test_external_pptx_names_no_other_authority(external_deck: Presentation, other_names: set[str],
                                                external_pack: packs.Pack) -> None:
    assert len(external_deck.slides) == deck_plan(external_pack)["definitions"].stop
    texts = "\n".join(text for slide in external_deck.slides for text in slide_texts(slide))
    assert not names_in(texts, other_names)
    for slide, section in zip(metric_slides(external_deck, external_pack), external_pack.sections, strict=True):
        assert slide.shapes.title.text == section.metric.name
        categories = [str(category) for category in charts_on(slide)[0].plots[0].categories]
        shown = section.table[~_hidden_mask(section.table)].dropna(subset=["value"])
        assert sorted(categories) == sorted(shown["la_name"]), section.metric.id
        assert all(LETTER.match(name) or name == "Camden" for name in categories)


def test_external_pdf_names_no_other_authority_and_no_small_count(external_pdf: RenderedPdf | Exception,
                                                                  external_pack: packs.Pack,
                                                                  other_names: set[str]) -> None:
    pdf = built(external_pdf)
    assert not names_in(pdf.text, other_names)
    assert "Camden" in pdf.text
    rows = hidden = 0
    outline = pdf.outline()
    for section in external_pack.sections:
        metric = section.metric
        suppressed = set(section.table.loc[_hidden_mask(section.table), "la_name"])
        positions = {"numerator": 3, "denominator": 4}
        for line in pdf.texts[outline[metric.name]].splitlines():
            match = re.match(r"^(Authority [A-Z]{1,2}|Camden) (\S+) (\S+) (\S+) (\S+)", line)
            if match:
                rows += 1
                for column in count_columns(metric):
                    assert match.group(positions[column]) not in {"1", "2", "3", "4", "5"}, (metric.id, line)
                if match.group(1) in suppressed:  # the value and its rank hidden
                    hidden += 1
                    assert [match.group(number) for number in (2, 5)] == [SUPPRESSED] * 2, (metric.id, line)
    assert rows > 100 and hidden == len(_hidden_rows(external_pack))


def _hidden_rows(pack: packs.Pack) -> set[tuple[str, str]]:
    """(authority as shown, metric id) whose value the external table suppresses."""
    return {(name, section.metric.id) for section in pack.sections
            for name in section.table.loc[_hidden_mask(section.table), "la_name"]}


def test_external_discussion_quotes_no_figure_and_no_suppressed_value(external_pack: packs.Pack,
                                                                      network_pack: packs.Pack) -> None:
    hidden = _hidden_rows(external_pack)
    assert hidden
    listed = external_pack.discussion_all
    assert len(external_pack.discussion) <= discussion.DISCUSSION_LIMIT and len(listed)
    revealed = [(name, metric) for name, metric in zip(listed["la_name"], listed["metric"], strict=True)
                if (name, metric) in hidden]
    assert not revealed, f"{len(revealed)} items about suppressed values, e.g. {revealed[:3]}"
    figures = []
    for record in listed.to_dict("records"):
        assert LETTER.match(record["la_name"]) or record["la_name"] == "Camden", record["la_name"]
        assert record["la_code"] in ("", OWN)
        rest = record["sentence"].removeprefix(record["la_name"] + ": ")
        rest = rest.replace(discussion._metric_words(METRICS[record["metric"]]), "")
        if re.search(r"\d", re.sub(r"99\.8%|95%|20%|\d+ quarters|\d+ months", "", rest)):
            figures.append(record["sentence"])
    assert not figures, f"{len(figures)} figures quoted, e.g. {figures[:3]}"
    assert network_pack.discussion["sentence"].str.contains(" against a network ").all(), (
        "the network list quotes figures, so the check above can catch one")


def test_external_discussion_reveals_no_hidden_position(external_pack: packs.Pack) -> None:
    """A place in the bottom 20% or beyond the limits is quoted only where the external table shows it."""
    tables = {section.metric.id: section.table.set_index("la_name") for section in external_pack.sections}
    checked = 0
    for record in external_pack.discussion_all.to_dict("records"):
        row = tables[record["metric"]].loc[record["la_name"]]
        assert row["value"] != SUPPRESSED
        if "bottom 20%" in record["sentence"]:
            checked += 1
            assert row["top_bottom_20"] == "bottom 20%", record["sentence"]
        if "the 99.8% limits" in record["sentence"]:
            checked += 1
            assert row["funnel_adjusted"] in ("above_99.8", "below_99.8"), record["sentence"]
    assert checked


def test_external_rug_hides_the_band_of_a_suppressed_value(external_pack: packs.Pack) -> None:
    values, bands = external_pack.rug_values, external_pack.rug_bands
    assert list(values.columns) == list(bands.columns) == [section.metric.id for section in external_pack.sections]
    assert all(LETTER.match(name) or name == "Camden" for name in values.index)
    leaks, hidden = [], 0
    for section in external_pack.sections:
        metric_id = section.metric.id
        table = section.table.set_index("la_name")
        assert list(table.index.to_series().sort_values(key=exports.name_order)) == list(values.index), metric_id
        for name in values.index:
            shown, cell, band = table.loc[name, "value"], values.loc[name, metric_id], bands.loc[name, metric_id]
            if shown == SUPPRESSED:
                hidden += 1
                if cell != SUPPRESSED or present(band):
                    leaks.append((name, metric_id, cell, band))
            elif present(shown):
                expected = table.loc[name, "quartile_band"]  # none for an own place given as a range of ranks
                same_band = band == expected or not (present(band) or present(expected))
                assert cell == pytest.approx(shown) and same_band, (name, metric_id)
            else:
                assert not present(cell) and not present(band), (name, metric_id)
    assert not leaks, f"{len(leaks)} hidden values or bands shown, e.g. {leaks[:4]}"
    text = views.rug_text(values, bands)
    assert int((text == SUPPRESSED).sum().sum()) == hidden == len(_hidden_rows(external_pack))


def test_external_own_page_hides_what_the_tables_hide(external_pack: packs.Pack) -> None:
    (own_name, card), = external_pack.authority_pages
    assert own_name == "Camden"
    card = card.set_index("Metric")
    leaks, hidden = [], 0
    for section in external_pack.sections:
        metric = section.metric
        own = section.table[section.table["la_code"] == OWN].iloc[0]
        shown = card.loc[metric.name]
        if own["value"] == SUPPRESSED:
            hidden += 1
            leaks += [(metric.id, column, shown[column]) for column in ("Value", "Rank", "Band", "Funnel")
                      if shown[column] != SUPPRESSED]
        else:
            assert shown["Value"] == metric.format(own["value"], short=True), metric.id
            span = own["rank_range"]  # tied after rounding, or beside suppressed values: the ranks it could hold
            assert shown["Rank"] == (span.split(" (")[0] if isinstance(span, str) else
                                     views.rank_text(own["rank"], own["group_reported"])), metric.id
            assert not isinstance(span, str) or shown["Band"] == "", metric.id
        if own["network_median"] == SUPPRESSED and shown["Network median"] != SUPPRESSED:
            leaks.append((metric.id, "Network median", shown["Network median"]))
        if own["sn_mean"] == SUPPRESSED and shown["Neighbours' mean"] != SUPPRESSED:
            leaks.append((metric.id, "Neighbours' mean", shown["Neighbours' mean"]))
    assert not leaks, f"{len(leaks)} hidden cells shown, e.g. {leaks[:4]}"
    assert hidden >= 2, "some of Camden's own values are suppressed in the demo network"
    assert not [count for count in card["Count"] if count]


def test_external_table_order_does_not_place_a_hidden_value(external_pack: packs.Pack) -> None:
    placed, gaps = [], []
    for section in external_pack.sections:
        table = section.table
        hidden = _hidden_mask(table).to_numpy()
        visible = [position for position, value in enumerate(table["value"])
                   if present(value) and not hidden[position]]
        if visible:
            placed += [(section.metric.id, table["la_name"].iloc[position])
                       for position in range(visible[-1]) if hidden[position]]
        if hidden.any() and visible:
            ranks = [table["rank"].iloc[position] for position in visible]
            if ranks[-1] > len(visible) or set(table["group_reported"]) != {len(visible)}:
                gaps.append((section.metric.id, ranks[-1], len(visible)))
    assert not placed, f"{len(placed)} hidden rows placed among the visible values, e.g. {placed[:3]}"
    assert not gaps, f"ranks counting hidden rows (metric, last rank, visible values): {gaps}"


def test_external_hidden_rows_do_not_follow_the_real_names(external_pack: packs.Pack,
                                                          external_identity: dict[str, str]) -> None:
    alphabetical = []
    for section in external_pack.sections:
        table = section.table
        tail = [external_identity[name] for name, value in zip(table["la_name"], table["value"], strict=True)
                if value == SUPPRESSED]
        if len(tail) >= 8 and tail == sorted(tail):  # 8! orders: not by chance
            alphabetical.append((section.metric.id, len(tail)))
    assert not alphabetical, f"suppressed rows in the real names' alphabetical order: {alphabetical}"


def test_external_suppressed_value_does_not_follow_from_a_zero_numerator(external_pack: packs.Pack) -> None:
    recoverable = []
    for section in external_pack.sections:
        rows = section.table[_hidden_mask(section.table)]
        recoverable += [(section.metric.id, name) for name, numerator in zip(rows["la_name"], rows["numerator"],
                                                                             strict=True)
                        if not isinstance(numerator, str) and numerator == 0]
    assert not recoverable, f"suppressed values given back by a visible numerator of 0: {recoverable}"


def test_external_rate_does_not_give_the_population_back(external_xlsx: openpyxl.Workbook,
                                                         compared: dict[str, pd.DataFrame],
                                                         external_identity: dict[str, str]) -> None:
    """A reader with the published populations of the network's authorities (the engine's denominators)
    and the workbook's rounded value and numerator: a row whose possible populations hold exactly one
    authority, the right one, is named."""
    identified = []
    for metric in CATALOGUE:
        if metric.method is not Method.RATE:
            continue
        populations = {name: population for name, population in zip(
            compared[metric.id]["la_name"], compared[metric.id]["denominator"], strict=True) if present(population)}
        half = 0.5 * 10 ** -metric.decimals
        for row in metric_records(external_xlsx[pack_render.metric_sheet_name(metric)]):
            name, value, numerator = row["la_name"].value, row["value"].value, row["numerator"].value
            if name == "Camden" or not isinstance(value, int | float) or not isinstance(numerator, int | float):
                continue
            if value <= half:
                continue
            low, high = numerator * metric.multiplier / (value + half), numerator * metric.multiplier / (value - half)
            matches = [real for real, population in populations.items() if low <= population <= high]
            if matches == [external_identity[name]]:
                identified.append((metric.id, name, matches[0]))
    assert not identified, f"{len(identified)} lettered rows name their authority, e.g. {identified[:3]}"


# --------------------------------------------------------------------------- the discussion list


def test_pack_discussion_is_the_engines_ranked_shortlist(db: Database, network_pack: packs.Pack) -> None:
    everything = discussion.find_items(db, LATEST)
    shown, left_out = discussion.shortlist(everything)
    assert len(network_pack.discussion) == len(shown) == discussion.DISCUSSION_LIMIT
    assert network_pack.discussion.drop(columns=["la_code"]).equals(
        discussion.as_frame(shown).drop(columns=["la_code"]))
    assert len(network_pack.discussion_all) == len(everything) == len(shown) + left_out
    assert network_pack.discussion_left_out == left_out > 0
    assert network_pack.left_out_text.startswith(f"{left_out} more items were left out")
    themes = list(network_pack.discussion["theme"])
    assert themes == sorted(themes, key=list(THEMES).index), "grouped by theme"
    strongest = network_pack.discussion_all["strength"].max()
    assert strongest in set(network_pack.discussion["strength"])


def test_pack_discussion_rests_on_the_engines_evidence(network_pack: packs.Pack,
                                                       compared: dict[str, pd.DataFrame]) -> None:
    """Every item: not small numbers; beyond 99.8% as the engine's adjusted class says; a statement item
    only where the engine flags the statement."""
    listed = network_pack.discussion_all
    assert set(listed["kind"]) >= {discussion.BEYOND_998, discussion.WORSENING_TREND, discussion.BOTTOM_20_RUNNING}
    for record in listed.to_dict("records"):
        row = compared[record["metric"]].set_index("la_name").loc[record["la_name"]]
        assert not row["small_numbers"], record["sentence"]
        beyond = row["funnel_adjusted"] in ("above_99.8", "below_99.8")
        assert ("the 99.8% limits" in record["sentence"]) == beyond, record["sentence"]
        assert ("has not been reviewed" in record["sentence"]) == bool(row["flag"]), record["sentence"]
        assert record["sentence"].startswith(record["la_name"] + ": ")


def test_pack_narrative_requests_follow_londons_convention(network_pack: packs.Pack,
                                                            compared: dict[str, pd.DataFrame]) -> None:
    expected = sorted((name, METRICS[metric_id].name, flag) for metric_id, table in compared.items()
                      if METRICS[metric_id].headline
                      for name, flag, small in zip(table["la_name"], table["top_bottom_20"], table["small_numbers"],
                                                   strict=True)
                      if flag in ("top 20%", "bottom 20%") and not small)
    requests = network_pack.narrative_requests
    assert sorted(zip(requests["Authority"], requests["Metric"], requests["Position"], strict=True)) == expected
    assert expected


# --------------------------------------------------------------------------- formula injection


@pytest.mark.parametrize("text", ["=1+1", "+cmd", "-2+3", "@SUM(A1)", '=HYPERLINK("http://x","y")', "\t=1+1"])
def test_safe_cell_quotes_a_formula_start(text: str) -> None:
    assert exports.safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["Camden", "-", "", 12, -3.5, None, "1+1"])
def test_safe_cell_leaves_other_values_alone(value: object) -> None:
    assert exports.safe_cell(value) == value


def test_to_xlsx_bytes_writes_text_never_formulas() -> None:
    dangerous = ["=1+1", "+cmd", "-2+3", "@SUM(A1)", '=HYPERLINK("http://x","y")']
    frame = pd.DataFrame({"note": dangerous, "count": [1, 2, 3, 4, 5], "=header": ["a", "b", "c", "d", "e"]})
    sheet = workbook(exports.to_xlsx_bytes({"Notes": frame}))["Notes"]
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    # Stored as the text typed, with Excel's quote prefix (never evaluated, no visible apostrophe).
    assert [cell.value for cell in sheet["A"]][1:] == dangerous
    assert all(cell.data_type == "s" and cell.quotePrefix for cell in sheet["A"][1:])
    assert [cell.value for cell in sheet["B"]][1:] == [1, 2, 3, 4, 5]
    assert all(cell.data_type == "n" for cell in sheet["B"][1:])
    assert sheet["C1"].value == "=header" and sheet["C1"].quotePrefix and sheet["C1"].data_type == "s"


def test_an_injected_note_never_becomes_a_formula_in_the_pack(demo_db: Database, example_row, make_csv) -> None:
    notes = ['=HYPERLINK("http://x","y")', "=1+1"]
    # A return's notes cell starting a formula is now refused at upload ...
    rows = [example_row("advice", la_code=code, period=LATEST.label, notes=note)
            for code, note in zip((OWN, "203"), notes, strict=True)]
    refused = store_file(demo_db, "advice_with_notes.csv", make_csv("advice", rows), "tester", today=TODAY)
    assert refused.status == "refused" and {problem.column for problem in refused.report.errors} == {"notes"}
    # ... but commentary written on the page is free text, so it still reaches the pack: the pack must quote it.
    chair = rights.local_operator("tester")
    for code, note in zip((OWN, "203"), notes, strict=True):
        assert service.write_commentary(demo_db, chair, code, LATEST, "advice", note) == note
    stored = demo_db.frame("SELECT text FROM current_commentary")["text"].tolist()
    assert set(notes) <= set(stored)
    for audience in ("network", "external"):
        pack = packs.build_pack(demo_db, packs.PackRequest(LATEST, audience=audience, own_la=OWN), now=NOW)
        book = workbook(pack_render.render(pack, "xlsx"))
        assert not [(title, cell.coordinate) for title, cell in _text_cells(book) if cell.data_type == "f"]
        cells = [cell for _, cell in _text_cells(book) if isinstance(cell.value, str)]
        assert not [cell.value for cell in cells if cell.value.startswith(("=", "+", "@", "-"))
                    and not (cell.data_type == "s" and cell.quotePrefix)]
        injected = [cell for cell in cells if "HYPERLINK" in cell.value or cell.value.endswith("=1+1")]
        assert injected or audience == "external", "the commentary did not reach the network pack"
        assert all(cell.data_type == "s" and cell.quotePrefix for cell in injected)


# --------------------------------------------------------------------------- command line


@pytest.fixture
def closed_copy(demo_build, tmp_path: Path) -> Path:
    """A demo copy this process never opens: the command line runs in another process."""
    close_database(demo_build.path)
    return copy_database(demo_build.path, tmp_path / "cli.duckdb")


def test_cli_pack_writes_a_workbook(closed_copy: Path, tmp_path: Path, benchmark_cli) -> None:
    out = tmp_path / "pack.xlsx"
    result = benchmark_cli("pack", "--period", "2026-27 Q2", "--format", "xlsx", "--out", str(out),
                           "--db", str(closed_copy))
    assert result.returncode == 0, result.stderr
    assert f"wrote {out}" in result.stdout
    book = workbook(out.read_bytes())
    # The service adds the inequalities sheets (DfE's breakdowns, and the returns' where stored) after the context.
    inequality_sheets = [name for name in book.sheetnames if name.startswith("Inequalities ")]
    assert inequality_sheets
    assert book.sheetnames == [*FIXED_SHEETS, *METRIC_SHEETS, *CONTEXT_SHEETS, *inequality_sheets, *TOPIC_SHEETS,
                               "Definitions"]
    rows = metric_records(book[pack_render.metric_sheet_name(METRICS["adv_6wk_pct"])])
    values = [row["value"] for row in rows if row["value"].value is not None]
    assert len(rows) == 33 and len(values) >= 30 and all(cell.data_type == "n" for cell in values)


def test_cli_pack_refuses_a_bad_format(closed_copy: Path, tmp_path: Path, benchmark_cli) -> None:
    out = tmp_path / "pack.docx"
    result = benchmark_cli("pack", "--period", "2026-27 Q2", "--format", "docx", "--out", str(out),
                           "--db", str(closed_copy))
    assert result.returncode == 2
    assert "invalid choice" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()


def test_xlsx_discussion_sheet_reads_plainly(network_xlsx: openpyxl.Workbook) -> None:
    rows = sheet_records(network_xlsx["For discussion"])
    assert rows and set(rows[0]) == {"Theme", "Authority", "What stands out", "Strength"}
    assert {row["Theme"].value for row in rows} <= {theme.title for theme in THEMES.values()}
    assert not {metric.id for metric in CATALOGUE} & {word for row in rows
                                                      for word in str(row["What stands out"].value).split()}


def test_pack_commentary_names_the_items_and_narrative_requests_it_answers(network_pack: packs.Pack) -> None:
    """In the demo Hackney explains a worsening trend, and Hammersmith and Fulham (top 20% on advice within
    6 weeks, a narrative request) how it does it; each answer is in words."""
    answers = network_pack.commentary.set_index(["Authority", "On"])["Answers"]
    on = METRICS["adv_6wk_pct"].name
    assert "worsening trend" in answers[("Hackney", on)]
    assert answers[("Hammersmith and Fulham", on)] == "narrative request: top 20%"
    assert not answers.str.contains("_").any()  # no kind codes


def test_pptx_long_commentary_stays_on_the_slide_and_is_whole_in_the_notes(network_pack: packs.Pack) -> None:
    long = " ".join(["The figure reflects a change of provider in the quarter"] * 18)[:1000]
    section = dataclasses.replace(network_pack.sections[0], commentary=[(f"Authority {n}", long) for n in "ABC"])
    deck = Presentation(io.BytesIO(pack_render.render_pptx(dataclasses.replace(network_pack, sections=[section]))))
    slide = next(slide for slide in deck.slides if slide.has_notes_slide)
    box = max((shape for shape in slide.shapes if shape.has_text_frame and "commentary" in shape.text_frame.text),
              key=lambda shape: len(shape.text_frame.text))
    naive = sum(len(line) for line in (long,) * 3)
    assert naive > 2_500, "the control: three commentaries in full would be the old box's text"
    assert len(box.text_frame.text) < 1_200 and "in full in the speaker notes" in box.text_frame.text
    assert "Commentary from 1 more: in the speaker notes" in box.text_frame.text
    assert slide.notes_slide.notes_text_frame.text.count(long) == 3
