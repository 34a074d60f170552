"""Meeting packs rendered from one `Pack`: PDF for circulation, PowerPoint with native charts,
and an Excel workbook with every table on its own sheet."""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from concurrent.futures import Future

import pandas as pd
from fpdf import FPDF
from fpdf.fonts import FontFace
from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE
from pptx.util import Inches, Pt

from benchmark.analysis import stats
from benchmark.analysis.summary import METHODS as SUMMARY_METHODS
from benchmark.definitions.disclosure_rules import SUPPRESSED
from benchmark.definitions.metrics import METRICS, Metric
from benchmark.definitions.standard import THEMES
from benchmark.outputs import chart_images, charts, exports, views
from benchmark.outputs.packs import METHODS, OGL_ATTRIBUTION, SOURCES, MetricSection, Pack

FORMATS = ("pdf", "pptx", "xlsx")
DISCUSSION_RULES = (
    "Raised only on evidence: beyond the 99.8% funnel limits, or beyond the 95% limits this quarter and last (the "
    "limits widened for the variation between authorities, estimated once "
    f"{stats.MIN_AUTHORITIES_FOR_JUDGEMENT} report: {stats.JUDGEMENTS_START}); a worsening trend over the last 8 "
    "quarters (p < 0.05); a short breaks statement not reviewed in 12 months; the bottom 20% three quarters "
    "running. Never on small numbers. Strongest evidence first within each theme."
)
WITHHELD_NOTE = ("c: withheld for this audience, because a value in the metric's table is suppressed and the "
                 "network's figure would let it be worked back.")
OUTLIERS_LABEL = "Beyond the 99.8% limits allowing for variation between authorities"
SMALL_MARK = charts.SMALL_MARK  # beside a value resting on small numbers, explained under each table
SMALL_NOTE = (f"* small numbers: fewer than {stats.SMALL_NUMBERS_BELOW} cases; shown with the count and interval "
              "but not flagged or discussed.")
TOC_LINES_PER_PAGE = 36
RUG_NAME_WIDTH = 36  # mm
CHART_WIDTH = 620  # layout pixels of a metric page's chart
# A metric page's table beside its chart, mm: every heading on one line, the longest names and funnel words too.
METRIC_TABLE_WIDTHS = {"Authority": 36, "Value": 14, "Numerator": 17, "Denominator": 20, "Rank": 14, "Band": 10,
                       "Funnel": 30}
Progress = Callable[[float, str], None]

def start_chart_renderer() -> None:
    """Start the browser that draws the PDF's charts, in the background (a few seconds, once a process)."""
    chart_images.start()


def _chart_rows(section: MetricSection) -> pd.DataFrame:
    """The rows a chart may draw: values that are numbers (suppressed ones are left out)."""
    table = section.table
    numeric = pd.to_numeric(table["value"].where(table["value"].astype(str) != SUPPRESSED), errors="coerce")
    rows = table.assign(value=numeric)
    for column in ("ci_low", "ci_high", "numerator", "denominator", "network_median", "sn_mean"):
        rows[column] = pd.to_numeric(rows[column].where(rows[column].astype(str) != SUPPRESSED), errors="coerce")
    return rows.dropna(subset=["value"])


def _cell(value: object, decimals: int = 1) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "-"
    if isinstance(value, float):
        return f"{value:,.{decimals}f}"
    return str(value)


def section_table(section: MetricSection) -> pd.DataFrame:
    """The table printed beside a metric's chart, the same in every format."""
    metric = section.metric
    table = section.table
    return pd.DataFrame({
        "Authority": table["la_name"],
        "Value": [_cell(value, metric.decimals) + (SMALL_MARK if str(small) == "True" else "")
                  for value, small in zip(table["value"], table["small_numbers"], strict=True)],
        "Numerator": [_cell(value, 0) for value in table["numerator"]],
        "Denominator": [_cell(value, 0) for value in table["denominator"]],
        "95% interval": [views.interval_text(metric, low, high) if not isinstance(low, str) else low
                         for low, high in zip(table["ci_low"], table["ci_high"], strict=True)],
        "Rank": [views.rank_text(rank, reported) for rank, reported in zip(table["rank"], table["group_reported"],
                                                                          strict=True)]
        if "rank_range" not in table else
        [span.split(" (")[0] if isinstance(span, str) else views.rank_text(rank, reported)
         for span, rank, reported in zip(table["rank_range"], table["rank"], table["group_reported"], strict=True)],
        "Band": table["quartile_band"].fillna(""),
        "Funnel": [views.funnel_text(metric, position) for position in table["funnel_adjusted"]],
    })


def discussion_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Discussion items as people read them: theme, authority and the sentence, in the list's order."""
    return pd.DataFrame({
        "Theme": [THEMES[theme].title for theme in frame["theme"]],
        "Authority": frame["la_name"].to_numpy(),
        "What stands out": frame["sentence"].to_numpy(),
        "Strength": frame["strength"].to_numpy(),
    })


# ---------------------------------------------------------------- PDF


def _latin(text: object) -> str:
    """The PDF core fonts are Latin-1: swap the few characters outside it."""
    replaced = str(text).replace("\u2013", "-").replace("\u2014", "-").replace("\u2019", "'").replace("\u2018", "'")
    return replaced.encode("latin-1", "replace").decode("latin-1")


# Print sizes: no text in a pack's tables or notes is smaller than TABLE_PT points.
TABLE_PT = 8
LINE_MM_PER_PT = 0.45  # a table line's height in mm per point of type (3.6 mm at 8 pt)
BODY_TEXT = (61, 61, 61)  # dark grey, the Analysis Function's text colour
DARK_TEXT = (11, 12, 12)  # near-black, for text on a mid shade
HEADING_FILL = (18, 67, 109)
OVERDUE_FILL = (251, 227, 214)


def _luminance(colour: tuple[int, int, int]) -> float:
    """WCAG 2 relative luminance of an sRGB colour."""
    linear = [(c / 255) / 12.92 if c / 255 <= 0.03928 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in colour]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: tuple[int, int, int], second: tuple[int, int, int]) -> float:
    """WCAG 2 contrast ratio of two colours (1 to 21; text needs 4.5)."""
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def text_colour_on(fill: tuple[int, int, int] | None) -> tuple[int, int, int]:
    """The text colour for a cell: the body's dark grey on white, else white or near-black, whichever
    stands out more from the shade (at least 4.5:1 for every band, heading and overdue shade)."""
    if fill is None:
        return BODY_TEXT
    return max(((255, 255, 255), DARK_TEXT), key=lambda text: contrast_ratio(text, fill))


class _PackPDF(FPDF):
    def __init__(self, pack: Pack) -> None:
        super().__init__(orientation="landscape", format="A4")
        self.pack = pack
        self.set_auto_page_break(auto=True, margin=14)
        self.set_margins(12, 12, 12)
        self.set_title(_latin(pack.title))
        self.set_author("DSCO benchmarking dashboard")

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font("Helvetica", size=8)
        self.set_text_color(90, 90, 90)
        label = " - SYNTHETIC DEMO DATA" if self.pack.synthetic else ""
        self.cell(0, 5, _latin(f"{self.pack.title}{label}"), align="L")
        self.set_x(-40)
        self.cell(28, 5, f"Page {self.page_no()} of {{nb}}", align="R")

    def heading(self, text: str, level: int = 0) -> None:
        self.start_section(_latin(text), level=level)
        self.set_font("Helvetica", "B", 16 if level == 0 else 12)
        self.set_text_color(18, 67, 109)
        self.cell(0, 9, _latin(text), new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(61, 61, 61)

    def paragraph(self, text: str, size: int = 9) -> None:
        self.set_font("Helvetica", size=size)
        self.multi_cell(0, 4.5 if size >= 9 else size * 0.47, _latin(text), new_x="LMARGIN", new_y="NEXT")

    def grid(self, frame: pd.DataFrame, widths: tuple[float, ...], size: float = TABLE_PT,
             styles: Callable[[int, int], tuple[int, int, int] | None] | None = None, x: float | None = None) -> None:
        """A table drawn cell by cell: fpdf2's own tables cost about a millisecond a cell, too slow for
        a pack's thousands of cells. A cell too long for its column wraps onto more lines (most fit one,
        and only those that do not are measured), so nothing printed is cut."""
        left = self.l_margin if x is None else x
        height = size * LINE_MM_PER_PT

        def lines(text: str, width: float) -> list[str]:
            if self.get_string_width(text) <= width - 2 * self.c_margin:
                return [text]
            return self.multi_cell(width, height, text, dry_run=True, output="LINES") or [text]

        def row(values: list[str], fills: list[tuple[int, int, int] | None], bold: bool) -> None:
            self.set_font("Helvetica", "B" if bold else "", size)
            wrapped = [lines(_latin(value), width) for value, width in zip(values, widths, strict=True)]
            tall = height * max(len(cell) for cell in wrapped)
            if self.will_page_break(tall):
                self.add_page()
                row(list(frame.columns), [HEADING_FILL] * len(widths), True)
                self.set_font("Helvetica", "B" if bold else "", size)
            top, across = self.get_y(), left
            for cell, width, fill in zip(wrapped, widths, fills, strict=True):
                self.set_text_color(*text_colour_on(fill))
                if fill:
                    self.set_fill_color(*fill)
                self.rect(across, top, width, tall, style="DF" if fill else "D")
                for number, line in enumerate(cell):
                    self.set_xy(across, top + number * height)
                    self.cell(width, height, line)
                across += width
            self.set_xy(left, top + tall)

        self.set_draw_color(200, 200, 200)
        row([str(column) for column in frame.columns], [HEADING_FILL] * len(widths), True)
        for position, record in enumerate(frame.itertuples(index=False)):
            fills = [styles(position, column) if styles else None for column in range(len(frame.columns))]
            row(["" if value is None else str(value) for value in record], fills, False)
        self.set_text_color(*BODY_TEXT)

    def fitted_widths(self, frame: pd.DataFrame, room: float, size: float = TABLE_PT) -> tuple[float, ...]:
        """Column widths across `room` mm: no column narrower than its longest word (heading or cell), so a word
        is never broken; then the columns that need least more to fit on one line get it first, and whatever is
        left is shared by the rest, which wrap."""
        def widest(texts: list[str], style: str) -> tuple[float, float]:
            self.set_font("Helvetica", style, size)
            words = [self.get_string_width(word) for text in texts for word in _latin(text).split()] or [0.0]
            lines = [self.get_string_width(_latin(text)) for text in texts] or [0.0]
            return max(words), max(lines)

        widths, wanted = [], []
        for column in frame.columns:
            heading_word, heading_line = widest([str(column)], "B")
            cell_word, cell_line = widest(list(frame[column]), "")
            widths.append(max(heading_word, cell_word) + 2 * self.c_margin)
            wanted.append(max(widths[-1], cell_line + 2 * self.c_margin, min(heading_line, 24)) - widths[-1])
        spare = max(room - sum(widths), 0.0)
        waiting = sorted(range(len(widths)), key=lambda index: wanted[index])
        while waiting and wanted[waiting[0]] <= spare / len(waiting):
            index = waiting.pop(0)
            widths[index] += wanted[index]
            spare -= wanted[index]
        for index in waiting or range(len(widths)):
            widths[index] += spare / len(waiting or widths)
        return tuple(widths)

    def frame_table(self, frame: pd.DataFrame, widths: tuple[float, ...] | None = None, size: float = TABLE_PT) -> None:
        """A table whose cells wrap (fpdf2's own): for the few tables with long text."""
        self.set_font("Helvetica", size=size)
        # fpdf2 fills body cells with whatever fill and text colours were set last.
        self.set_fill_color(255, 255, 255)
        self.set_text_color(*BODY_TEXT)
        heading = FontFace(emphasis="BOLD", color=(255, 255, 255), fill_color=HEADING_FILL)
        with self.table(col_widths=widths, width=sum(widths) if widths else None, align="LEFT",
                        headings_style=heading, line_height=size * 0.55, text_align="LEFT",
                        first_row_as_headings=True) as table:
            table.row([_latin(column) for column in frame.columns])
            for record in frame.itertuples(index=False):
                table.row([_latin("" if value is None else value) for value in record])


def _band_fill(band: object, neutral: bool) -> tuple[int, int, int] | None:
    colours = charts.NEUTRAL_BAND_COLOURS if neutral else charts.BAND_COLOURS
    if band not in colours:
        return None
    code = colours[band].lstrip("#")
    return tuple(int(code[i:i + 2], 16) for i in (0, 2, 4))


def _overdue(cell: object) -> bool:
    return isinstance(cell, str) and cell.startswith("overdue")


def _contents(pdf: FPDF, outline: list) -> None:
    pdf.set_xy(pdf.l_margin, pdf.t_margin)
    pdf.set_font("Helvetica", "B", 16)
    pdf.set_text_color(18, 67, 109)
    pdf.cell(0, 10, "Contents", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(61, 61, 61)
    for section in outline:
        pdf.set_font("Helvetica", "B" if section.level == 0 else "", 9 if section.level == 0 else 8)
        pdf.set_x(pdf.l_margin + 6 * section.level)
        link = pdf.add_link(page=section.page_number)
        pdf.cell(230 - 6 * section.level, 4.6, section.name, link=link)
        pdf.cell(0, 4.6, str(section.page_number), align="R", new_x="LMARGIN", new_y="NEXT")


def render_pdf(pack: Pack, progress: Progress | None = None) -> bytes:
    """A4 landscape, page numbers, contents; charts rendered by one Chromium for the whole pack."""
    # Every chart is asked for first: the browser draws them while the pages before them are laid out.
    images = {id(section): _chart_image(pack, section) for section in pack.sections}
    pdf = _PackPDF(pack)
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 24)
    pdf.set_text_color(18, 67, 109)
    pdf.multi_cell(0, 12, _latin(pack.title), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_text_color(61, 61, 61)
    for line in pack.cover_lines:
        pdf.set_font("Helvetica", "B" if line == pack.cover_lines[-1] and pack.synthetic else "", 12)
        pdf.multi_cell(0, 7, _latin(line), new_x="LMARGIN", new_y="NEXT")
    _summary_page(pdf, pack)
    pdf.add_page()
    # A theme with sections has a rug page and a heading of its own (a theme answered in words has neither).
    themes_with_sections = len({section.metric.theme for section in pack.sections})
    entries = (6 + 2 * themes_with_sections + len(pack.sections) + len(pack.authority_pages)
               + len(pack.context_pages) + len(pack.inequality_pages) + len(pack.topic_pages))
    # The placeholder keeps its pages for the contents and moves on to a fresh page itself.
    pdf.insert_toc_placeholder(_contents, pages=math.ceil(entries / TOC_LINES_PER_PAGE))
    pdf.heading("Returns tracker")
    summary = pack.completeness
    pdf.paragraph(f"{summary['returns_received']} of {summary['returns_expected']} theme returns received; "
                  f"{summary['authorities_complete']} of {summary['authorities']} authorities returned every theme; "
                  f"{summary['resubmissions']} resubmission(s).")
    pdf.ln(2)
    pdf.grid(pack.tracker.fillna(""), widths=(50, *([210 / max(len(pack.tracker.columns) - 1, 1)]
                                                    * (len(pack.tracker.columns) - 1))),
             styles=lambda row, column: OVERDUE_FILL if _overdue(pack.tracker.iloc[row, column]) else None)
    if len(pack.revisions):
        pdf.ln(2)
        pdf.paragraph("Revised after sign-off: these returns changed after their quarter's figures were signed off "
                      "and circulated. The circulated figures stand; the revisions show with revised figures.")
        pdf.frame_table(pack.revisions, widths=(60, 40, 80, 40))
    _rug_pages(pdf, pack)
    _discussion_pages(pdf, pack)
    if len(pack.commentary):
        pdf.add_page()
        pdf.heading("Commentary from authorities")
        pdf.paragraph("What each authority wrote about its figures this quarter, beside the discussion item or "
                      "narrative request it answers. Their own words, not checked by the network.")
        pdf.ln(2)
        pdf.frame_table(pack.commentary, widths=(36, 60, 40, 137))
    total = len(pack.sections)
    theme = None
    for number, section in enumerate(pack.sections, start=1):
        if progress:
            progress(number / (total + 1), f"Chart {number} of {total}: {section.metric.name}")
        pdf.add_page()
        if section.metric.theme != theme:
            theme = section.metric.theme
            pdf.start_section(_latin(THEMES[theme].title), level=0)
        _metric_page(pdf, pack, section, images[id(section)])
    for name, card in pack.authority_pages:
        pdf.add_page()
        pdf.heading(f"My authority: {name}")
        columns = ["Metric", "Value", "Count", "Rank", "Band", "Top/bottom 20%", "Trend", "Network median",
                   "Neighbours' mean", "Funnel"]
        pdf.grid(card[columns], widths=(70, 20, 24, 18, 11, 24, 25, 24, 24, 33))
    _context_pages(pdf, pack)
    _inequality_pages(pdf, pack)
    for page in pack.topic_pages:
        pdf.add_page()
        pdf.heading(page.title)
        for line in page.lines:
            pdf.paragraph(line, TABLE_PT)
        pdf.ln(1)
        table = page.table.fillna("").astype(str)
        pdf.grid(table, widths=pdf.fitted_widths(table, 273))
    pdf.add_page()
    pdf.heading("Definitions, sources and licence")
    pdf.frame_table(pack.definitions[["Metric id", "Metric", "Calculation", "Polarity", "Legal basis"]],
                    widths=(48, 62, 70, 30, 63))
    pdf.ln(3)
    pdf.paragraph("How the numbers are worked out. " + METHODS)
    pdf.paragraph(SOURCES)
    pdf.paragraph(OGL_ATTRIBUTION)
    if progress:
        progress(1.0, "PDF ready")
    return bytes(pdf.output())


SUMMARY_WIDTHS = (78, 42, 62, 62, 29)


def _summary_page(pdf: _PackPDF, pack: Pack) -> None:
    """How the network is doing: the first page after the cover."""
    pdf.add_page()
    pdf.heading("How the network is doing")
    pdf.paragraph(f"{pack.request.period} ({pack.request.period.months}), {pack.group_label}. Each headline "
                  f"metric's network figure, how it has changed, and what stands out. {SUMMARY_METHODS}", 8)
    if pack.summary and any(entry.hidden for theme in pack.summary.themes for entry in theme.metrics):
        pdf.paragraph(WITHHELD_NOTE, 8)
    # The table's cells are cut to their width: who the pooled figures leave out is said in full here.
    left_out = sorted({(entry.left_out, entry.left_out_words) for theme in (pack.summary.themes if pack.summary
                                                                               else []) for entry in theme.metrics
                       if entry.left_out})
    for count, words in left_out:
        pdf.paragraph(f"Pooled figures leave out {count} authority(ies) {words}.", 8)
    for theme in pack.summary.themes if pack.summary else []:
        pdf.ln(1)
        _subheading(pdf, f"{theme.title}: {theme.returns_received} of {theme.returns_expected} returns received")
        table = pack.summary.table()
        rows = table[table["Theme"] == theme.title].drop(columns=["Theme"])
        if len(rows):
            pdf.grid(rows, widths=SUMMARY_WIDTHS, size=8)
            pdf.ln(1)
        for sentence in theme.items:
            pdf.set_font("Helvetica", size=8)
            pdf.multi_cell(0, 4.2, _latin(f"- {sentence}"), new_x="LMARGIN", new_y="NEXT", align="L")
        if not theme.items:
            pdf.paragraph(theme.empty_text, 8)


def _subheading(pdf: _PackPDF, text: str) -> None:
    """A heading within a page, left out of the contents."""
    pdf.set_font("Helvetica", "B", 10)
    pdf.set_text_color(18, 67, 109)
    pdf.cell(0, 7, _latin(text), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(61, 61, 61)


def _discussion_pages(pdf: _PackPDF, pack: Pack) -> None:
    """The short ranked list, grouped by theme, then London's narrative requests."""
    pdf.add_page()
    pdf.heading("For discussion")
    pdf.paragraph(DISCUSSION_RULES, 8)
    if pack.judgement_note:
        pdf.paragraph(pack.judgement_note, 8)
    pdf.ln(1)
    if pack.discussion.empty:
        pdf.paragraph("Nothing stands out this quarter.")
    for theme_id in dict.fromkeys(pack.discussion["theme"]):
        _subheading(pdf, THEMES[theme_id].title)
        for sentence in pack.discussion.loc[pack.discussion["theme"] == theme_id, "sentence"]:
            pdf.set_font("Helvetica", size=9)
            pdf.multi_cell(0, 4.6, _latin(f"- {sentence}"), new_x="LMARGIN", new_y="NEXT", align="L")
        pdf.ln(1)
    if pack.left_out_text:
        pdf.paragraph(pack.left_out_text, 8)
    pdf.add_page()
    pdf.heading("Narrative requests", 1)
    pdf.paragraph("London's convention: each authority in the top or bottom 20% of the peer group on a headline "
                  "metric is asked for a short narrative (never on small numbers).", 8)
    if pack.judgement_note:
        pdf.paragraph(pack.judgement_note, 8)
    if pack.narrative_requests.empty:
        pdf.paragraph("None this quarter.", 8)
    else:
        pdf.grid(pack.narrative_requests, widths=(60, 110, 30))


def _rug_pages(pdf: _PackPDF, pack: Pack) -> None:
    text = views.rug_text(pack.rug_values, pack.rug_bands)
    for theme_id in pack.request.themes:
        columns = [section.metric.id for section in pack.sections if section.metric.theme == theme_id]
        if not columns:
            continue
        pdf.add_page()
        pdf.heading(f"Tartan rug: {THEMES[theme_id].title}")
        pdf.paragraph("Each cell is the value with its quartile band: A is always the best quarter for the measure "
                      "(dark blue), D the weakest (dark pink); neutral measures are banded by value in greys.", 8)
        if pack.judgement_note:
            pdf.paragraph(pack.judgement_note, 8)
        frame = text[columns].rename(columns=views.rug_headings(columns)).reset_index()
        bands = pack.rug_bands[columns]
        neutral = {metric_id for metric_id in columns if METRICS[metric_id].polarity.value == "neutral"}
        # The longest authority name needs 27 mm; the rest share the page, and a heading too long for its
        # column wraps whole onto a second line.
        width = (273 - RUG_NAME_WIDTH) / len(columns)
        pdf.grid(
            frame, widths=(RUG_NAME_WIDTH, *([width] * len(columns))),
            styles=lambda row, position, bands=bands, columns=columns, neutral=neutral: None if position == 0
            else _band_fill(bands.iloc[row, position - 1], columns[position - 1] in neutral),
        )


LAIT_WIDTHS = {"Measure": 83, "Period": 34, "Value": 17, "Region": 17, "Neighbours mean": 22, "Neighbours median": 24,
               "Neighbours reported": 27, "England": 17, "Rank in England": 22, "Band": 10}


def _context_pages(pdf: _PackPDF, pack: Pack) -> None:
    """One page per theme of DfE's published measures, cells shaded by quartile band as on the rug."""
    for page in pack.context_pages:
        pdf.add_page()
        pdf.heading(page.title)
        pdf.paragraph(page.notes[0], 8)
        pdf.ln(1)
        if page.table.columns[0] == "Area":
            width = (273 - 45) / (len(page.table.columns) - 1)
            widths = (45, *([width] * (len(page.table.columns) - 1)))
        else:
            widths = tuple(LAIT_WIDTHS[column] for column in page.table.columns)
        pdf.grid(page.table, widths=widths,
                 styles=lambda row, column, page=page: _band_fill(page.bands.iloc[row, column],
                                                                  bool(page.neutral.iloc[row, column])))
        pdf.ln(1)
        for note in page.notes[1:]:
            pdf.paragraph(note, TABLE_PT)


PDF_MARKS = str.maketrans({"▲": "+", "▼": "-", "●": "=", "○": "o"})


def _inequality_pages(pdf: _PackPDF, pack: Pack) -> None:
    """One page per inequalities measure: each authority's judgement per group in words and marks (no colour),
    the network's pooled ratio, and the method."""
    for page in pack.inequality_pages:
        pdf.add_page()
        pdf.heading(page.title)
        width = (273 - 45) / max(len(page.table.columns) - 1, 1)
        # The core fonts are Latin-1: the marks become plain signs, the words stay.
        table = page.table.map(lambda cell: str(cell).translate(PDF_MARKS))
        pdf.grid(table, widths=(45, *([width] * (len(page.table.columns) - 1))))
        pdf.ln(2)
        pdf.paragraph("+ higher / - lower: the 95% interval of the ratio against all other children of the "
                      "authority excludes 1; = no clear difference; o too few: under the small-number minimums; "
                      "c: hidden (a count of 1-5, or a cell that would give one back).", TABLE_PT)
        for note in page.notes:
            pdf.paragraph(note, TABLE_PT)


def _chart_image(pack: Pack, section: MetricSection) -> tuple[Future[bytes], int] | None:
    """The section's bar chart, being drawn, and its height in layout pixels; None when nothing can be charted."""
    rows = _chart_rows(section)
    if not len(rows):
        return None
    metric = section.metric
    chosen = section.table.loc[section.table["la_code"] != "", "la_code"]
    highlight = chosen.iloc[0] if pack.request.audience == "external" and len(chosen) else pack.request.own_la
    figure = charts.bar_chart(rows, metric, highlight, f"{metric.name}, {pack.request.period}")
    height = min(max(320, 22 * len(rows) + 110), 900)
    return chart_images.submit(figure, CHART_WIDTH, height), height


def _metric_page(pdf: _PackPDF, pack: Pack, section: MetricSection,
                 image: tuple[Future[bytes], int] | None) -> None:
    metric = section.metric
    pdf.heading(metric.name, level=1)
    pdf.set_font("Helvetica", size=8)
    pdf.multi_cell(0, 4, _latin(f"{metric.definition} {metric.polarity.label.capitalize()}. "
                                f"Legal basis: {metric.legal_basis}."), new_x="LMARGIN", new_y="NEXT")
    top = pdf.get_y() + 1
    if image:
        drawn, height = image
        pdf.image(io.BytesIO(drawn.result()), x=12, y=top, w=128, h=min(128 * height / CHART_WIDTH, 178))
    else:
        pdf.set_xy(12, top)
        pdf.cell(128, 6, "No values to chart.")
    pdf.set_y(top)
    table = section_table(section)
    pdf.grid(table[list(METRIC_TABLE_WIDTHS)], widths=tuple(METRIC_TABLE_WIDTHS.values()),
             x=297 - 12 - sum(METRIC_TABLE_WIDTHS.values()))
    if section.judgement_note:
        pdf.set_x(144)
        pdf.set_font("Helvetica", size=TABLE_PT)
        pdf.multi_cell(0, 3.5, _latin(section.judgement_note), new_x="LMARGIN", new_y="NEXT")
    if (table["Value"].str.endswith(SMALL_MARK)).any():
        pdf.set_x(144)
        pdf.set_font("Helvetica", size=TABLE_PT)
        pdf.multi_cell(0, 3.5, _latin(SMALL_NOTE), new_x="LMARGIN", new_y="NEXT")
    for note in exports.footnotes(section.table):
        pdf.set_x(144)
        pdf.set_font("Helvetica", size=TABLE_PT)
        pdf.multi_cell(0, 3.5, _latin(note), new_x="LMARGIN", new_y="NEXT")
    if section.outliers:
        pdf.set_x(144)
        pdf.set_font("Helvetica", "B", TABLE_PT)
        pdf.multi_cell(0, 4, _latin(f"{OUTLIERS_LABEL}: " + ", ".join(section.outliers)),
                       new_x="LMARGIN", new_y="NEXT")
    for name, text in section.commentary:
        pdf.set_x(144)
        pdf.set_font("Helvetica", "I", TABLE_PT)
        pdf.multi_cell(0, 3.6, _latin(f"{name}'s commentary: {text}"), new_x="LMARGIN", new_y="NEXT")


# ---------------------------------------------------------------- PowerPoint


PPTX_TABLE_ROWS = 14  # at most this many rows a slide; fewer where long text makes rows tall
PPTX_TABLE_TOP_IN = 2.35  # the table starts below the slide's title and its introduction
PPTX_TABLE_ROOM_IN = 7.5 - PPTX_TABLE_TOP_IN - 0.3
PPTX_TABLE_WIDTH_IN = 12.5
_PPTX_ESTIMATE_PT = 9  # rows are estimated at 9 pt type, the largest any table uses


def pptx_column_widths(frame: pd.DataFrame) -> list[float]:
    """Inches per column, in proportion to the longest text in each (capped), so long sentences get room."""
    longest = [min(max([len(str(column)), *(len(str(value)) for value in frame[column].head(300))]), 90) + 6
               for column in frame.columns]
    return [PPTX_TABLE_WIDTH_IN * length / sum(longest) for length in longest]


def _pptx_row_height(values: list[object], widths: list[float]) -> float:
    """Inches a row needs: its most-wrapped cell's lines (a character is about half the type size
    wide) at 1.2 line spacing, plus the cell's margins."""
    characters_per_inch = 72 / (_PPTX_ESTIMATE_PT * 0.5)
    lines = max(math.ceil(max(len(str(value)), 1) / max(width * characters_per_inch - 2, 1))
                for value, width in zip(values, widths, strict=True))
    return lines * _PPTX_ESTIMATE_PT * 1.2 / 72 + 0.1


def pptx_table_chunks(frame: pd.DataFrame) -> list[pd.DataFrame]:
    """The table's rows slide by slide: as many as fit below the introduction, at most PPTX_TABLE_ROWS."""
    widths = pptx_column_widths(frame)
    chunks, start, used = [], 0, _pptx_row_height(list(frame.columns), widths)
    for position, record in enumerate(frame.itertuples(index=False)):
        height = _pptx_row_height(["" if value is None else value for value in record], widths)
        if position > start and (used + height > PPTX_TABLE_ROOM_IN or position - start >= PPTX_TABLE_ROWS):
            chunks.append(frame.iloc[start:position])
            start, used = position, _pptx_row_height(list(frame.columns), widths)
        used += height
    chunks.append(frame.iloc[start:])
    return chunks


def _pptx_tables(deck: Presentation, title: str, lines: list[str], frame: pd.DataFrame, size: int = 9) -> None:
    """A table over as many slides as its rows need, never off the page (see pptx_table_chunks)."""
    chunks = pptx_table_chunks(frame)
    widths = pptx_column_widths(frame)
    for number, chunk in enumerate(chunks, start=1):
        heading = title if len(chunks) == 1 else f"{title} ({number} of {len(chunks)})"
        slide = _title_slide(deck, heading, lines if number == 1 else [], size=12, height=0.95)
        rows, columns = len(chunk) + 1, len(chunk.columns)
        heights = [_pptx_row_height(list(chunk.columns), widths),
                   *(_pptx_row_height(["" if value is None else value for value in record], widths)
                     for record in chunk.itertuples(index=False))]
        shape = slide.shapes.add_table(rows, columns, Inches(0.4), Inches(PPTX_TABLE_TOP_IN),
                                       Inches(PPTX_TABLE_WIDTH_IN), Inches(sum(heights)))
        for column, width in enumerate(widths):
            shape.table.columns[column].width = Inches(width)
        for row, height in enumerate(heights):
            shape.table.rows[row].height = Inches(height)
        for column, name in enumerate(chunk.columns):
            shape.table.cell(0, column).text = str(name)
        for row, record in enumerate(chunk.itertuples(index=False), start=1):
            for column, value in enumerate(record):
                shape.table.cell(row, column).text = "" if value is None else str(value)
        for table_row in shape.table.rows:
            for cell in table_row.cells:
                for paragraph in cell.text_frame.paragraphs:
                    paragraph.font.size = Pt(size)


def _title_slide(deck: Presentation, title: str, lines: list[str], size: int = 16, height: float = 5) -> object:
    """A slide with its title and `lines` below it (`height` inches from 1.35: a table's introduction
    keeps above the table)."""
    slide = deck.slides.add_slide(deck.slide_layouts[5])
    slide.shapes.title.text = title
    slide.shapes.title.text_frame.paragraphs[0].font.size = Pt(28)
    box = slide.shapes.add_textbox(Inches(0.6), Inches(1.35), Inches(12), Inches(height)).text_frame
    box.word_wrap = True
    for number, line in enumerate(lines):
        paragraph = box.paragraphs[0] if number == 0 else box.add_paragraph()
        paragraph.text = line
        paragraph.font.size = Pt(size)
    return slide


def render_pptx(pack: Pack, progress: Progress | None = None) -> bytes:
    """One metric per slide with a native, editable bar chart, so chairs can add their own slides."""
    deck = Presentation()
    deck.slide_width, deck.slide_height = Inches(13.333), Inches(7.5)
    _title_slide(deck, pack.title, pack.cover_lines)
    _summary_slides(deck, pack)
    _pptx_tables(deck, "Returns tracker", [
        f"{pack.completeness['returns_received']} of {pack.completeness['returns_expected']} theme returns received; "
        f"{pack.completeness['authorities_complete']} of {pack.completeness['authorities']} authorities complete."],
        pack.tracker.fillna(""), 8)
    if len(pack.revisions):
        _pptx_tables(deck, "Revised after sign-off", ["Returns changed after their quarter was signed off; the "
                                                      "circulated figures stand."], pack.revisions, 9)
    _pptx_tables(deck, "For discussion", [DISCUSSION_RULES, pack.judgement_note, pack.left_out_text],
                 discussion_table(pack.discussion).drop(columns=["Strength"]), 8)
    _pptx_tables(deck, "Narrative requests", ["Top or bottom 20% on a headline metric (London's convention).",
                                              pack.judgement_note],
                 pack.narrative_requests, 9)
    if len(pack.commentary):
        _pptx_tables(deck, "Commentary from authorities", ["In the authorities' own words."], pack.commentary, 8)
    total = len(pack.sections)
    for number, section in enumerate(pack.sections, start=1):
        if progress:
            progress(number / (total + 1), f"Slide {number} of {total}: {section.metric.name}")
        _metric_slide(deck, pack, section)
    for page in pack.context_pages:
        _pptx_tables(deck, page.title, page.notes[:1], page.table, 8)
    for page in pack.inequality_pages:
        _pptx_tables(deck, page.title, page.notes[-1:], page.table, 8)
    for page in pack.topic_pages:
        _pptx_tables(deck, page.title, page.lines, page.table.fillna(""), 8)
    _title_slide(deck, "Methods, sources and licence", [METHODS, SOURCES, OGL_ATTRIBUTION])
    _pptx_tables(deck, "Definitions", [], pack.definitions[["Metric id", "Metric", "Calculation", "Polarity"]], 8)
    buffer = io.BytesIO()
    deck.save(buffer)
    if progress:
        progress(1.0, "PowerPoint ready")
    return buffer.getvalue()


def _summary_slides(deck: Presentation, pack: Pack) -> None:
    """How the network is doing: one table of the headline metrics, then the first items per theme."""
    if pack.summary is None:
        return
    _pptx_tables(deck, "How the network is doing",
                 [f"{pack.request.period}, {pack.group_label}. " + "; ".join(
                     f"{theme.title}: {theme.returns_received} of {theme.returns_expected} returns"
                     for theme in pack.summary.themes), SUMMARY_METHODS], pack.summary.table(), 9)


def _metric_slide(deck: Presentation, pack: Pack, section: MetricSection) -> None:
    metric = section.metric
    slide = deck.slides.add_slide(deck.slide_layouts[5])
    slide.shapes.title.text = metric.name
    slide.shapes.title.text_frame.paragraphs[0].font.size = Pt(24)
    rows = _chart_rows(section).sort_values("value")
    if rows.empty:
        # PowerPoint cannot draw a chart without categories: say so where the chart would be.
        empty = slide.shapes.add_textbox(Inches(0.6), Inches(1.6), Inches(8), Inches(1)).text_frame
        empty.text = f"No authority reported {metric.name.lower()} for {pack.request.period}: no values to chart."
        empty.paragraphs[0].font.size = Pt(16)
        _slide_notes(slide, section)
        return
    data = CategoryChartData(number_format="0." + "0" * metric.decimals if metric.decimals else "0")
    data.categories = list(rows["la_name"])
    data.add_series(metric.name, [round(float(value), metric.decimals) for value in rows["value"]])
    frame = slide.shapes.add_chart(XL_CHART_TYPE.BAR_CLUSTERED, Inches(0.4), Inches(1.3), Inches(8.2), Inches(6.0),
                                   data)
    chart = frame.chart
    chart.has_legend = False
    plot = chart.plots[0]
    plot.has_data_labels = True
    plot.data_labels.font.size = Pt(8)
    plot.gap_width = 40
    chart.category_axis.tick_labels.font.size = Pt(8)
    series = plot.series[0]
    series.format.fill.solid()
    series.format.fill.fore_color.rgb = RGBColor(0xB3, 0xB3, 0xB3)
    own = pack.request.own_la
    for position, code in enumerate(rows["la_code"]):
        if code and code == own:
            point = series.points[position]
            point.format.fill.solid()
            point.format.fill.fore_color.rgb = RGBColor(0x12, 0x43, 0x6D)
    _slide_notes(slide, section)


def _slide_notes(slide: object, section: MetricSection) -> None:
    """The figures beside a metric's chart: averages, how many reported, outliers, definition."""
    metric = section.metric
    notes = slide.shapes.add_textbox(Inches(8.8), Inches(1.4), Inches(4.2), Inches(5.8)).text_frame
    notes.word_wrap = True
    table = section.table
    lines = [
        f"Network median: {metric.format(_first(table['network_median']))}",
        f"Network mean: {metric.format(_first(table['network_mean']))}",
        f"Reported: {int(table['value'].notna().sum())} of {len(table)}",
        f"Polarity: {metric.polarity.label}",
        section.judgement_note or (f"{OUTLIERS_LABEL}: " + ", ".join(section.outliers) if section.outliers
                                   else "Beyond the 99.8% limits: none"),
        metric.definition,
        *exports.footnotes(table),
        *(f"{name}'s commentary: {_shortened(text, NOTES_BOX_COMMENTARY_CHARS)}"
          for name, text in section.commentary[:NOTES_BOX_COMMENTARIES]),
    ]
    if len(section.commentary) > NOTES_BOX_COMMENTARIES:
        lines.append(f"Commentary from {len(section.commentary) - NOTES_BOX_COMMENTARIES} more: in the speaker notes.")
    for number, line in enumerate(lines):
        paragraph = notes.paragraphs[0] if number == 0 else notes.add_paragraph()
        paragraph.text = line
        paragraph.font.size = Pt(12 if number < 5 else 10)
    # The commentary in full (up to 1,000 characters each) goes into the speaker notes, which scroll;
    # the box beside the chart keeps the start of it, so nothing runs off the slide.
    if section.commentary:
        slide.notes_slide.notes_text_frame.text = "\n\n".join(
            f"{name}'s commentary: {text}" for name, text in section.commentary)


# Characters of each commentary shown in the box beside a chart (10 pt, 4.2 inches wide): with the
# figures and the definition above it, two of these still fit the slide.
NOTES_BOX_COMMENTARY_CHARS = 220
NOTES_BOX_COMMENTARIES = 2


def _shortened(text: str, limit: int) -> str:
    """`text`, or its first words up to `limit` characters and a pointer to the speaker notes."""
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(" ,;:") + "... (in full in the speaker notes)"


def _first(values: pd.Series) -> float | None:
    present = pd.to_numeric(values, errors="coerce").dropna()
    return float(present.iloc[0]) if len(present) else None


# ---------------------------------------------------------------- Excel


EXCEL_SHEET_NAME_MAX = 31  # Excel's limit on a sheet name


def metric_sheet_name(metric: Metric) -> str:
    """A metric's sheet: its name where Excel's 31 characters allow, else its short heading (as on the rug)."""
    return metric.name if len(metric.name) <= EXCEL_SHEET_NAME_MAX else metric.short


def context_sheet_name(theme_id: str) -> str:
    return f"DfE context, {THEMES[theme_id].sheet}"


def scorecard_sheet_name(name: str) -> str:
    """'Scorecard Camden'; a name too long for that is the sheet name on its own."""
    titled = f"Scorecard {name}"
    return titled if len(titled) <= EXCEL_SHEET_NAME_MAX else name[:EXCEL_SHEET_NAME_MAX]


def render_xlsx(pack: Pack, progress: Progress | None = None) -> bytes:
    """Every table on its own sheet named as readers know it, numbers as numbers (the rug's rounded to
    each metric's decimals and formatted so), a definitions sheet; text never a formula."""
    cover = pd.DataFrame({"Pack": [*pack.cover_lines, *([pack.judgement_note] if pack.judgement_note else []),
                                   METHODS, SOURCES, OGL_ATTRIBUTION]})
    columns = list(pack.rug_values.columns)
    headings = views.rug_headings(columns)
    # Numbers rounded to the metric's decimals; a suppressed "c" stays as it is.
    rug = pack.rug_values.apply(lambda values: values.map(
        lambda value, decimals=METRICS[values.name].decimals: round(float(value), decimals)
        if isinstance(value, int | float) and not isinstance(value, bool) and pd.notna(value) else value))
    sheets = {
        "Cover": cover,
        "Summary": pack.summary.table() if pack.summary else pd.DataFrame(),
        "Tracker": pack.tracker,
        "Tartan rug": rug.rename(columns=headings).reset_index(),
        "Rug bands": pack.rug_bands.rename(columns=headings).reset_index(),
        "For discussion": discussion_table(pack.discussion),
        "All discussion items": discussion_table(pack.discussion_all),
        "Narrative requests": pack.narrative_requests,
    }
    formats = {"Tartan rug": {headings[metric_id]: _number_format(METRICS[metric_id].decimals)
                              for metric_id in columns}}
    if len(pack.commentary):
        sheets["Commentary"] = pack.commentary
    if len(pack.revisions):
        sheets["Revised after sign-off"] = pack.revisions
    for section in pack.sections:
        table = views.comparison_download(section.table, section.metric).drop(
            columns=[views.HEADINGS["sn_closeness"], views.HEADINGS["england_source"]], errors="ignore")
        sheets[metric_sheet_name(section.metric)] = table
    for page in pack.context_pages:
        sheets[context_sheet_name(page.theme)] = page.table
    for number, page in enumerate(pack.inequality_pages, start=1):
        sheets[f"Inequalities {number}"] = pd.concat(
            [pd.DataFrame({"Authority": [page.title, *page.notes]}), page.table], ignore_index=True)
    for name, card in pack.authority_pages:
        sheets[scorecard_sheet_name(name)] = card
    for page in pack.topic_pages:
        sheets[page.title.split(":")[0][:EXCEL_SHEET_NAME_MAX]] = page.table
    sheets["Definitions"] = pack.definitions
    if progress:
        progress(1.0, "Workbook ready")
    return exports.to_xlsx_bytes(sheets, formats)


def _number_format(decimals: int) -> str:
    return "0" if decimals == 0 else "0." + "0" * decimals


RENDERERS = {"pdf": render_pdf, "pptx": render_pptx, "xlsx": render_xlsx}
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def render(pack: Pack, fmt: str, progress: Progress | None = None) -> bytes:
    if fmt not in RENDERERS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    return RENDERERS[fmt](pack, progress)
