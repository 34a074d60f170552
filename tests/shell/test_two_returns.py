"""A new six-member network where only Lewisham (209) and Southwark (210) have returned, as every
network starts every quarter: two values cannot carry quartiles, a fifth or a funnel, and no variation
between authorities can be estimated from them. Every output shows the values, counts and intervals,
says "judgements start when 5 authorities have returned" where bands and flags would be, and names
nobody as an outlier (issue 17, "Judgements on two returns")."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from pptx import Presentation
from pypdf import PdfReader
from streamlit.testing.v1 import AppTest
from support import return_csv

from benchmark import service
from benchmark.access import membership
from benchmark.access.rights import local_operator
from benchmark.analysis import discussion, engine, stats, summary
from benchmark.db import Database, close_database, open_database
from benchmark.definitions.standard import columns
from benchmark.definitions.thresholds import MIN_AUTHORITIES_FOR_JUDGEMENT
from benchmark.outputs import exports, pack_render, packs, views
from benchmark.periods import Period

ROOT = Path(__file__).resolve().parents[2]
CHAIR = local_operator("chair")
MEMBERS = ("209", "210", "202", "206", "203", "208")  # Lewisham, Southwark, Camden, Islington, Greenwich, Lambeth
P = Period.current().shift(-1)
METRIC = "adv_6wk_pct"
SAYS = "judgements start when 5 authorities have returned"
COMPARING = (discussion.BEYOND_998, discussion.BEYOND_95_TWICE, discussion.BOTTOM_20_RUNNING)


def advice(la_code: str, returned: int, on_time: int) -> dict:
    values = {spec.name: spec.example for spec in columns("advice")}
    return {**values, "la_code": la_code, "period": P.label, "adv_requests": returned + 5, "adv_returned": returned,
            "adv_returned_6wk": on_time, "adv_late_exception": 0, "adv_audited": "", "adv_audited_good": ""}


@pytest.fixture(scope="module")
def two_path(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("two_returns") / "two.duckdb"
    db = open_database(path)
    membership.add_authorities(db, CHAIR, MEMBERS, P)
    membership.set_themes(db, CHAIR, ["advice"])
    # Lewisham 10 of 100 on time, Southwark 90 of 100: far apart, but only two values.
    result = service.store(db, CHAIR, "first_two.csv",
                           return_csv("advice", [advice("209", 100, 10), advice("210", 100, 90)]))
    assert result.stored, result.report.errors
    yield path
    close_database(path)


@pytest.fixture
def two(two_path: Path) -> Database:
    return open_database(two_path)


def test_the_rule_is_the_one_constant():
    assert MIN_AUTHORITIES_FOR_JUDGEMENT == 5 and str(MIN_AUTHORITIES_FOR_JUDGEMENT) in SAYS
    assert stats.JUDGEMENTS_START == SAYS


def test_two_values_are_shown_and_not_judged(two: Database):
    table = engine.compare(two, P, METRIC).set_index("la_code")
    shown = table.loc[["209", "210"]]
    # Naive control: the same figures put through the funnel and bands as before the rule judge both.
    control = stats.overdispersed_funnel(shown["numerator"], shown["denominator"], "proportion")
    assert control["position"].tolist() == ["below_99.8", "above_99.8"]
    assert stats.quartile_bands(shown["value"], "higher").tolist() == ["D", "A"]
    # The engine: values, counts, intervals and the pooled rate; no band, flag, class or strength.
    assert shown["value"].tolist() == [10.0, 90.0] and shown["numerator"].tolist() == [10, 90]
    assert shown["ci_low"].notna().all() and shown["ci_high"].notna().all()
    assert shown["group_reported"].eq(2).all()
    for judgement in ("quartile_band", "top_bottom_20", "funnel", "funnel_adjusted"):
        assert shown[judgement].isna().all(), judgement
    assert shown["overdispersion_phi"].isna().all()
    card = engine.scorecard(two)
    assert card.loc[card["metric"] == METRIC, "funnel_z"].isna().all()


def test_nobody_is_an_outlier_or_a_discussion_item(two: Database):
    items = discussion.find_items(two, P)
    assert not [item for item in items if set(COMPARING) & {reason.kind for reason in item.reasons}]
    assert not any("limits" in item.sentence() for item in items)
    overview = summary.network_summary(two, P, themes=("advice",))
    [theme] = overview.themes
    assert theme.items == [] and SAYS in theme.empty_text and "Only 2 authorities have returned" in theme.empty_text


def test_an_external_table_gives_no_band_either(two: Database):
    metric = engine.get_metric(METRIC)
    table = exports.outward_comparison(engine.compare(two, P, METRIC), metric, "external", "209")
    assert table["quartile_band"].isna().all() and table["top_bottom_20"].isna().all()
    readable = views.comparison_view(table, metric)
    reported = readable[readable["Value"] != "-"]
    assert len(reported) == 2 and reported["Band"].eq(views.NOT_JUDGED).all()


def _pack_text(content: bytes, fmt: str) -> str:
    if fmt == "pdf":
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    if fmt == "pptx":
        slides = Presentation(io.BytesIO(content)).slides
        return "\n".join(shape.text_frame.text for slide in slides for shape in slide.shapes if shape.has_text_frame)
    book = openpyxl.load_workbook(io.BytesIO(content))
    return "\n".join(str(cell) for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row
                     if cell is not None)


@pytest.mark.parametrize("audience", ["network", "external"])
@pytest.mark.parametrize("fmt", ["pdf", "pptx", "xlsx"])
def test_every_pack_says_so(two: Database, fmt: str, audience: str):
    request = packs.PackRequest(P, themes=("advice",), audience=audience,
                                own_la="209" if audience == "external" else None)
    pack = service.build_pack(two, CHAIR, request)
    assert pack.narrative_requests.empty and all(not section.outliers for section in pack.sections)
    assert SAYS in pack.judgement_note
    text = " ".join(_pack_text(pack_render.render(pack, fmt), fmt).split())
    assert SAYS in text
    assert "band D" not in text and "limits allowing for variation" not in text


def test_the_discussion_command_says_so(two_path: Path, benchmark_cli):
    close_database(two_path)
    shown = benchmark_cli("discussion", "--period", P.label, db=two_path)
    assert shown.returncode == 0, shown.stderr
    assert SAYS in shown.stdout and "limits" not in shown.stdout.split("Narrative requests")[0].split(SAYS)[1]
    assert "Narrative requests (top or bottom 20% on a headline metric): 0" in shown.stdout


def open_page(page: str, **query: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.secrets["dsco"] = {"allow_without_sign_in": True}  # real (not demo) returns on this machine only
    at.run()
    at.query_params.clear()
    at.query_params.update(query)
    at.switch_page(page)
    return at.run()


@pytest.mark.parametrize("page, query", [
    ("pages/overview.py", {}), ("pages/overview.py", {"tab": "Tartan rug"}),
    ("pages/my_authority.py", {"la": "209"}), ("pages/advice.py", {"la": "209"}),
    ("pages/advice.py", {"la": "209", "view": "Funnel plot"}),
])
def test_every_page_says_so(two_path: Path, monkeypatch: pytest.MonkeyPatch, page: str, query: dict):
    close_database(two_path)
    monkeypatch.setenv("DSCO_DB", str(two_path))
    at = open_page(page, period=P.label, **query)
    assert not at.exception, [item.value for item in at.exception]
    shown = " ".join(str(item.value) for kind in ("markdown", "info", "caption", "text") for item in getattr(at, kind))
    assert SAYS in shown.lower() or SAYS in shown
    assert "band D" not in shown and "limits allowing for variation between authorities" not in shown
