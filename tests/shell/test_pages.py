"""Every page of the dashboard through Streamlit's AppTest: with the demo network, with an empty
database, with an authority chosen in the URL, and the upload journey through the file uploader.

AppTest runs the app in this process, so the page's `open_database()` is this process's singleton
for DSCO_DB: each test points DSCO_DB at its own file and the fixtures close it afterwards.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from support import static_tables

from benchmark import reference
from benchmark.access.network import SYNTHETIC_LABEL
from benchmark.access.rights import LOCAL_USER
from benchmark.analysis import summary
from benchmark.db import Database, close_database, open_database
from benchmark.definitions.metrics import METRICS, metrics_for_theme
from benchmark.definitions.standard import THEMES, VALUE_FIELDS
from benchmark.outputs import accessibility, views
from benchmark.periods import Period

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
TIMEOUT = 120  # seconds per script run: the first run imports plotly and builds the engine's tables

TITLES = {
    "pages/overview.py": "Network overview",
    "pages/my_authority.py": "My authority",
    "pages/short_breaks.py": THEMES["short_breaks"].title,
    "pages/advice.py": THEMES["advice"].title,
    "pages/transitions.py": THEMES["transitions"].title,
    "pages/published.py": "Published context",
    "pages/inspections.py": "Area SEND inspections",
    "pages/inequalities.py": "Inequalities",
    "pages/meeting_pack.py": "Meeting pack",  # pages added to app.py's navigation by later issues
    "pages/upload.py": "Upload a quarterly return",
    "pages/data_standard.py": "Data standard",
    "pages/administration.py": "Administration",  # only in a chair's navigation (the demo runs as chair)
    "pages/accessibility.py": "Accessibility statement",
}
PAGES = list(TITLES)
# Pages that show no synthetic figures: DfE's real statistics, and the accessibility statement.
UNBANNERED = ["pages/published.py", "pages/accessibility.py"]
THEME_PAGES = {"short_breaks": "pages/short_breaks.py", "advice": "pages/advice.py",
               "transitions": "pages/transitions.py"}
# Pages whose content depends on the chosen authority (an "Authority" selectbox).
AUTHORITY_PAGES = ["pages/my_authority.py", *THEME_PAGES.values(), "pages/published.py"]
LATEST = "2026-27 Q2"  # the demo network's latest quarter


def open_page(page: str, *, local: bool = False, **query: str) -> AppTest:
    """The app as a browser opens a link: app.py (who the visitor acts as, the navigation), then this
    page with exactly these URL parameters. `local`: the no-sign-in setting that lets a database of
    real (not demo) returns be shown, as a chair running the dashboard on their own machine would set."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if local:
        at.secrets["dsco"] = {"allow_without_sign_in": True}
    # A first run registers app.py's navigation: switching before it would run the page alone (MPA v1).
    at.run()
    at.query_params.clear()
    at.query_params.update(query)
    at.switch_page(page)
    return at.run()


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [item.value for item in at.exception]
    assert not at.error, [item.value for item in at.error]


def texts(at: AppTest) -> str:
    """Everything a reader sees as text: titles, captions, markdown, alerts, metric labels and values."""
    kinds = ("title", "header", "subheader", "caption", "markdown", "info", "warning", "success")
    parts = [item.value for kind in kinds for item in getattr(at, kind)]
    parts += [f"{item.label} {item.value}" for item in at.metric]
    return "\n".join(str(part) for part in parts)


def tables_with(at: AppTest, column: str) -> list[pd.DataFrame]:
    """The tables on the page that have `column` (keys are not exposed for dataframes): data grids, static tables
    and HTML tables (read back as text)."""
    frames = [item.value for item in at.dataframe] + static_tables(at)
    return [frame for frame in frames if column in frame.columns or column in (frame.index.name, )]


def chart_specs(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def chart_title(spec: dict) -> str:
    title = spec.get("layout", {}).get("title", {})
    return title.get("text", "") if isinstance(title, dict) else str(title)


@pytest.fixture(scope="module")
def empty_path(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("pages_empty") / "empty.duckdb"
    yield path
    close_database(path)


@pytest.fixture
def on_empty(empty_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DSCO_DB", str(empty_path))
    return empty_path


@pytest.fixture
def writable_demo(demo_db: Database, monkeypatch: pytest.MonkeyPatch) -> Database:
    """This test's own copy of the demo network's returns, already open (the page gets this very
    connection), as a real network's database: the demo itself stores no returns. Open its pages with
    `local=True`."""
    demo_db.set_setting("demo", "false")
    monkeypatch.setenv("DSCO_DB", str(demo_db.path))
    return demo_db


def preview_records(at: AppTest) -> pd.DataFrame:
    """The Upload page's "What will be stored" as one row per authority and quarter, headed by field labels,
    whether the page shows it on its side (a few rows: fields down) or as it is."""
    for frame in tables_with(at, "Field"):
        return frame.set_index("Field").T.reset_index(drop=True)
    return next(iter(tables_with(at, "Effect")), pd.DataFrame())


def test_every_page_in_the_navigation_is_covered() -> None:
    registered = re.findall(r"st\.Page\(\s*\"(pages/[a-z_]+\.py)\"", (ROOT / "app.py").read_text())
    assert registered and sorted(registered) == sorted(PAGES)


# --- every page with the demo network ---------------------------------------------------------------

@pytest.mark.parametrize("page", PAGES)
def test_page_renders_with_demo_data(page: str, on_demo: Path) -> None:
    at = open_page(page)
    assert_clean(at)
    assert [title.value for title in at.title] == [TITLES[page]]
    if page in UNBANNERED:
        assert not any(SYNTHETIC_LABEL in warning.value for warning in at.warning), "banner above real data"
        if page == "pages/published.py":
            assert "every figure on this page is DfE's real published data" in texts(at)
    else:
        assert any(SYNTHETIC_LABEL in warning.value for warning in at.warning), "demo data not marked synthetic"


def test_overview_shows_tracker_and_rug(on_demo: Path) -> None:
    at = open_page("pages/overview.py")
    assert at.query_params["period"] == LATEST
    tracker = tables_with(at, "Authority")[0]
    assert len(tracker) == 33
    city = tracker.set_index("DfE code").loc["201"]
    assert city[views.theme_heading("transitions")] == "overdue"
    assert city[views.theme_heading("advice")].startswith("returned ")
    metrics = {item.label: item.value for item in at.metric}
    assert metrics["Overdue returns"] == "3"
    assert metrics["Resubmissions"] == "1"
    assert [tab.label for tab in at.tabs] == ["Returns tracker", "Tartan rug"]
    assert not tables_with(at, "Reach per 10k"), "the rug is built only when its tab is open"
    at = open_page("pages/overview.py", tab="Tartan rug")
    assert not tables_with(at, "DfE code"), "the tracker's tab is closed"
    rug = tables_with(at, "Reach per 10k")
    assert rug and len(rug[0]) == 33
    camden = rug[0].set_index("Authority").loc["Camden"]
    assert camden.str.contains(r"\([ABCD]\)$").any(), "rug cells carry the band letter"
    assert "Advice in 6 weeks %" not in rug[0].columns, "one theme's metrics at a time"
    advice = tables_with(open_page("pages/overview.py", tab="Tartan rug", rug_theme=views.theme_heading("advice")),
                          "Authority")[0]
    assert "Advice in 6 weeks %" in advice.columns and "adv_6wk_pct" not in advice.columns, "headings are labels"


def test_overview_opens_with_how_the_network_is_doing(on_demo: Path) -> None:
    at = open_page("pages/overview.py")
    assert_clean(at)
    assert next(item.value for item in at.header) == f"How the network is doing, {LATEST}"
    db = open_database(on_demo)
    overview = summary.network_summary(db, Period.parse(LATEST))
    shown = texts(at)
    for theme in overview.themes:
        assert f"**{theme.title}**: {theme.returns_received} of {theme.returns_expected} returns received" in shown
        assert all(f"- {sentence}" in shown for sentence in theme.items)
        assert theme.items or not metrics_for_theme(theme.theme)  # a theme answered in words has no items
    for record in overview.table().to_dict("records"):
        assert f"| {record['Metric']} | {record['This quarter']} | {record['Change from last quarter']} |" in shown
    assert "two-proportion z-test" in shown and "discussion --all" in shown


def test_funnel_tab_states_the_adjustment_and_offers_the_plain_limits(on_demo: Path) -> None:
    at = open_page("pages/short_breaks.py", la="202", view="Funnel plot")
    assert_clean(at)
    caption = texts(at)
    assert "widened to allow for the real variation between authorities (overdispersion phi =" in caption
    assert re.search(r"\d+ of 32 authorities fall outside the 99\.8% limits", caption)
    spec = chart_specs(at)[0]
    assert {trace.get("name") for trace in spec["data"]} >= {"95% limits", "99.8% limits"}
    assert any((trace.get("name") or "").startswith("Whole network rate") for trace in spec["data"])
    plain = open_page("pages/short_breaks.py", la="202", view="Funnel plot", plain_limits="true")
    assert_clean(plain)
    assert "plain 95% and 99.8% limits" in texts(plain)
    names = {trace.get("name") for trace in chart_specs(plain)[0]["data"]}
    assert "99.8% limits (chance alone)" in names
    group = open_page("pages/advice.py", la="202", view="Funnel plot", group="neighbours")
    traces = chart_specs(group)[0]["data"]
    assert any((trace.get("name") or "").startswith("Statistical neighbours rate") for trace in traces)


@pytest.mark.parametrize("theme_id", THEME_PAGES)
def test_theme_page_tabs_draw_ranking_funnel_trend_and_table(theme_id: str, on_demo: Path) -> None:
    """One tab at a time is built (the Ranking tab by default); each tab is in the URL."""
    theme_metrics = metrics_for_theme(theme_id)
    metric = next((metric for metric in theme_metrics if metric.headline), theme_metrics[0])  # the page's default
    at = open_page(THEME_PAGES[theme_id], la="202")
    assert_clean(at)
    assert [tab.label for tab in at.tabs] == ["Ranking", "Funnel plot", "Trend", "Table"]
    assert [chart_title(spec) for spec in chart_specs(at)] == [f"{metric.name}, {LATEST}: Camden and whole network"]
    # No table from the Ranking tab: only the Published context section's (short breaks adds the reach table).
    assert len(at.dataframe) == (2 if theme_id == "short_breaks" else 1)

    funnel = open_page(THEME_PAGES[theme_id], la="202", view="Funnel plot")
    assert_clean(funnel)
    titles = [chart_title(spec) for spec in chart_specs(funnel)]
    if metric.method.value in ("proportion", "rate"):
        assert titles == [f"Funnel plot: {metric.name}, {LATEST}"]
    else:
        assert not titles and "No funnel plot" in funnel.info[0].value

    trend = open_page(THEME_PAGES[theme_id], la="202", view="Trend")
    assert_clean(trend)
    assert [chart_title(spec) for spec in chart_specs(trend)] == [f"{metric.name}: Camden, last 8 quarters"]
    behind = trend.dataframe[0].value
    assert behind["Quarter"].tolist()[-1] == LATEST and len(behind) == 8
    assert list(behind.columns) == ["Quarter", "Camden", "Network median", "Statistical neighbours' mean"]

    table = open_page(THEME_PAGES[theme_id], la="202", view="Table")
    assert_clean(table)
    assert not chart_specs(table)
    assert len(table.dataframe[0].value) == 33
    assert [button.label for button in table.get("download_button")] == ["Download CSV", "Download Excel"]


def test_data_standard_lists_every_field_and_metric(on_demo: Path) -> None:
    at = open_page("pages/data_standard.py")
    shown = texts(at) + " ".join(table.value.to_string() for table in at.table)
    missing = [name for name in VALUE_FIELDS if name not in shown]
    assert not missing, f"fields not on the Data standard page: {missing}"
    assert all(metric_id in shown for metric_id in METRICS)


def test_published_context_has_chart_and_tables(on_demo: Path) -> None:
    at = open_page("pages/published.py", la="202")
    specs = chart_specs(at)
    assert len(specs) == 1
    assert "Camden" in chart_title(specs[0])
    assert len(at.dataframe) == 3  # the measure by geography and year, Camden LAIT style by year, DSCO in post


# --- every page with an empty database ----------------------------------------------------------------

NEXT_STEPS = {
    "pages/overview.py": "Upload",
    "pages/my_authority.py": "Upload",
    "pages/short_breaks.py": "Upload",
    "pages/advice.py": "Upload",
    "pages/transitions.py": "Upload",
    "pages/published.py": "python -m benchmark published load",
    "pages/inequalities.py": "Upload",
    "pages/meeting_pack.py": "Upload",
}


@pytest.mark.parametrize("page", PAGES)
def test_page_with_empty_database_says_what_to_do(page: str, on_empty: Path) -> None:
    at = open_page(page, local=True)  # without sign-in, only the demo is served unless allowed
    assert_clean(at)
    assert [title.value for title in at.title] == [TITLES[page]], "blank page"
    assert not any(SYNTHETIC_LABEL in warning.value for warning in at.warning), "an empty database is not the demo"
    if page in NEXT_STEPS:
        assert at.info, "no next step shown"
        assert NEXT_STEPS[page] in at.info[0].value
        assert not at.get("plotly_chart")
    elif page == "pages/upload.py":  # the page is itself the next step
        assert len(at.file_uploader) == 1
        assert "Nothing stored yet." in texts(at)
    elif page == "pages/data_standard.py":  # the standard needs no data
        assert "sb_children_total" in texts(at)
    elif page == "pages/accessibility.py":  # the statement needs no data
        assert accessibility.STANDARD in texts(at) and accessibility.LAST_TESTED in texts(at)
    else:  # administration: members and groups are set up before any return arrives
        assert at.dataframe


@pytest.mark.parametrize("page", [page for page in NEXT_STEPS if page != "pages/published.py"])
def test_empty_state_links_to_upload(page: str, on_empty: Path) -> None:
    at = open_page(page, local=True)
    links = [link.proto.page for link in at.get("page_link")]
    assert any("upload" in link for link in links), links


# --- an authority chosen in the URL ----------------------------------------------------------------------

@pytest.mark.parametrize("page", AUTHORITY_PAGES)
def test_page_with_authority_from_url(page: str, on_demo: Path) -> None:
    at = open_page(page, la="202")
    assert_clean(at)
    assert at.selectbox(key="select_la").value == "202"
    assert at.query_params["la"] == "202"
    assert "Camden" in texts(at)
    # ...and a different choice really changes the page: Camden is then not the subject.
    other = open_page(page, la="201")
    assert "City of London" in texts(other)
    assert "Camden" not in " ".join(item.value for item in other.caption)


def test_overview_keeps_authority_in_url_and_lists_it(on_demo: Path) -> None:
    at = open_page("pages/overview.py", la="202")
    assert_clean(at)
    assert at.query_params["la"] == "202"
    assert "Camden" in tables_with(at, "Authority")[0]["Authority"].tolist()


@pytest.mark.parametrize("page", ["pages/meeting_pack.py", "pages/upload.py", "pages/data_standard.py"])
def test_pages_without_authority_keep_the_choice_in_url(page: str, on_demo: Path) -> None:
    at = open_page(page, la="202", period="2025-26 Q4")
    assert_clean(at)
    assert at.query_params["la"] == "202"
    assert at.query_params["period"] == "2025-26 Q4"


def test_url_with_unknown_choices_falls_back(on_demo: Path) -> None:
    at = open_page("pages/advice.py", la="999", period="1999-00 Q1", metric="no_such_metric", group="nobody",
                   view="No such tab")
    assert_clean(at)
    assert at.query_params["metric"] == "adv_6wk_pct"
    assert at.query_params["period"] == LATEST
    assert at.query_params["group"] == "network"
    assert at.query_params["la"] in reference.authorities()
    assert "view" not in at.query_params, "an unknown tab is dropped from the address"
    assert len(chart_specs(at)) == 1


def test_url_selects_period_metric_and_authority(on_demo: Path) -> None:
    at = open_page("pages/advice.py", la="202", metric="ehcp_20wk_pct", period="2025-26 Q4")
    assert_clean(at)
    assert at.selectbox(key="select_metric").value == "ehcp_20wk_pct"
    assert at.selectbox(key="select_period").value == "2025-26 Q4"
    assert chart_title(chart_specs(at)[0]) == (
        "EHC plans issued within 20 weeks (%), 2025-26 Q4: Camden and whole network")


# --- theme pages: changing the metric --------------------------------------------------------------------

@pytest.mark.parametrize("theme_id", THEME_PAGES)
def test_changing_metric_rerenders_and_updates_url(theme_id: str, on_demo: Path) -> None:
    at = open_page(THEME_PAGES[theme_id], la="202")
    first, second = metrics_for_theme(theme_id)[:2]
    assert at.query_params["metric"] == first.id
    at.selectbox(key="select_metric").select(second.id).run()
    assert_clean(at)
    assert at.query_params["metric"] == second.id
    titles = [chart_title(spec) for spec in chart_specs(at)]
    assert titles and all(second.name in title for title in titles), titles
    assert not any(first.name in title for title in titles)
    assert any(second.name in item.value for item in at.markdown)


def bar_names(spec: dict) -> set[str]:
    """The authorities drawn in a bar chart (names are on the y axis of the horizontal bars)."""
    return {name for trace in spec["data"] for name in (trace.get("y") or []) if isinstance(name, str)}


def test_hiding_an_authority_is_kept_in_url(on_demo: Path) -> None:
    at = open_page("pages/advice.py", la="202")
    assert {"Camden", "Westminster"} <= bar_names(chart_specs(at)[0])
    at.multiselect(key="hide").select("Westminster").run()
    assert_clean(at)
    assert at.query_params["hide"] == "213"
    shown = bar_names(chart_specs(at)[0])
    assert "Camden" in shown and "Westminster" not in shown
    # the link reopens the same view
    again = open_page("pages/advice.py", la="202", hide="213")
    assert again.multiselect(key="hide").value == ["Westminster"]
    assert "Westminster" not in bar_names(chart_specs(again)[0])


# --- My authority ----------------------------------------------------------------------------------------

def test_my_authority_scorecard_for_each_theme(on_demo: Path) -> None:
    at = open_page("pages/my_authority.py", la="202", period=LATEST)
    assert_clean(at)
    assert not at.info
    # Every theme with metrics (the DSCO role, answered in words, has its own page).
    measured = [theme_id for theme_id in THEMES if metrics_for_theme(theme_id)]
    assert [item.value for item in at.header] == [THEMES[theme_id].title for theme_id in measured] + [
        "What the forum will ask Camden", "Published context"]
    cards = tables_with(at, "Metric")
    assert [len(card) for card in cards] == [len(metrics_for_theme(theme_id)) for theme_id in measured]
    assert (cards[1]["Value"] != "-").all()


def test_my_authority_without_a_return_shows_info(tmp_db: Database, make_csv: Callable, example_row: Callable,
                                                 today, monkeypatch: pytest.MonkeyPatch) -> None:
    from benchmark.intake.returns import store_file

    for la_code, period in (("202", LATEST), ("201", "2026-27 Q1")):
        content = make_csv("advice", [example_row("advice", la_code, period)])
        assert store_file(tmp_db, f"advice_{la_code}.csv", content, "test", today=today).stored
    monkeypatch.setenv("DSCO_DB", str(tmp_db.path))
    at = open_page("pages/my_authority.py", local=True, la="202", period="2026-27 Q1")
    assert_clean(at)
    assert at.selectbox(key="select_period").value == "2026-27 Q1"
    assert len(at.info) == 1
    assert "Camden has no return for 2026-27 Q1" in at.info[0].value
    # the quarter it did return: figures, and only the note that two returns carry no judgements
    at = open_page("pages/my_authority.py", local=True, la="202", period=LATEST)
    assert_clean(at)
    assert [info.value for info in at.info] == [views.judgement_note(None)]


# --- Upload through the page --------------------------------------------------------------------------------

def test_demo_upload_validates_but_stores_nothing(on_demo: Path, make_csv: Callable, example_row: Callable) -> None:
    """The demo is served without sign-in as synthetic: real returns stored in it would be served so too."""
    at = open_page("pages/upload.py")
    content = make_csv("advice", [example_row("advice", "202", LATEST, adv_requests="61")])
    at.file_uploader(key="return_file").upload("camden_advice.csv", content, "text/csv")
    at.run()
    assert not at.exception
    problems = [table.value for table in at.table if "Problem" in table.value.columns]
    assert any("synthetic demo database" in str(row) for table in problems
               for row in table["Problem"]), "the refusal is not explained"
    assert not at.button, "a store button is offered in the demo"


def _submissions(db: Database) -> int:
    return int(db.scalar("SELECT count(*) FROM submissions"))


def test_upload_good_file_previews_then_stores_once(writable_demo: Database, make_csv: Callable,
                                                    example_row: Callable) -> None:
    db = writable_demo
    content = make_csv("advice", [example_row("advice", "202", LATEST, adv_requests="61", notes="AppTest upload")])
    before = _submissions(db)
    at = open_page("pages/upload.py", local=True)
    at.file_uploader(key="return_file").upload("camden_advice.csv", content, "text/csv")
    at.run()
    assert_clean(at)
    assert any("valid" in item.value and "Ready to store" in item.value for item in at.success)
    preview = preview_records(at)
    assert len(preview) == 1, "no preview table"
    row = preview.iloc[0]
    assert tables_with(at, f"Camden, {LATEST}"), "the one row is headed by its authority and quarter"
    assert row["Effect"].startswith("replaces the return stored")
    assert row[VALUE_FIELDS["adv_requests"].label] == "61"
    assert _submissions(db) == before, "stored before the confirm step"

    button = at.button(key="store_button")
    button.click()
    at.run()
    assert_clean(at)
    assert _submissions(db) == before + 1
    stored = db.frame("SELECT * FROM submissions ORDER BY submission_id DESC LIMIT 1").iloc[0]
    assert (stored["file_name"], stored["theme"], stored["submitted_by"]) == (
        "camden_advice.csv", "advice", LOCAL_USER.email)  # no sign-in: the local user
    value = db.scalar("SELECT value FROM current_values WHERE la_code = '202' AND period = ? "
                      "AND field = 'adv_requests'", [LATEST])
    assert value == 61
    assert any(f"stored as submission {stored['submission_id']}" in item.value for item in at.success)
    assert f"Where it now sits, {LATEST}" in [item.value for item in at.header]
    picker = next(item for item in at.selectbox if str(item.key).startswith("original_choice"))
    assert picker.value == stored["submission_id"], "the download picker still points at an older submission"
    assert not at.button, "the store button is still offered after storing"

    # A second click (the same button, as a double click delivers it) stores nothing more.
    button.click()
    at.run()
    assert_clean(at)
    assert _submissions(db) == before + 1


def test_upload_breakdown_file_previews_each_breakdown_then_stores(writable_demo: Database) -> None:
    """A breakdown file (data standard version 2) on the Upload page: checked against the stored return, previewed
    a breakdown a line, stored as a breakdown submission; the member's history names it."""
    db = writable_demo
    total = int(db.scalar("SELECT value FROM current_values WHERE la_code = '202' AND period = ? "
                          "AND field = 'adv_returned'", [LATEST]))
    content = (f"la_code,period,count_of,by,group,count\r\n202,{LATEST},adv_returned,sex,Female,{total // 2}\r\n"
               f"202,{LATEST},adv_returned,sex,Male,{total - total // 2}\r\n").encode()
    before = _submissions(db)
    at = open_page("pages/upload.py", local=True)
    at.file_uploader(key="return_file").upload("camden_breakdowns.csv", content, "text/csv")
    at.run()
    assert_clean(at)
    assert any("Breakdowns of social care advice" in item.value and "Ready to store" in item.value
               for item in at.success)
    preview = tables_with(at, "Count broken down")[0]
    assert preview[["Count broken down", "Breakdown", "Groups", "Adds up to"]].values.tolist() == [
        ["adv_returned", "sex", 2, f"{total:,}"]]
    at.button(key="store_button").click()
    at.run()
    assert_clean(at)
    assert _submissions(db) == before + 1
    assert db.scalar("SELECT theme FROM submissions ORDER BY submission_id DESC LIMIT 1") == "advice_breakdowns"
    assert "Where it now sits" not in " ".join(item.value for item in at.header)  # no figure changed
    assert tables_with(at, "Theme")[0]["Theme"].iloc[0] == "Breakdowns of social care advice into EHC needs assessments"


def test_data_standard_lists_the_breakdowns_and_their_groups(on_demo: Path) -> None:
    at = open_page("pages/data_standard.py")
    shown = texts(at) + " ".join(table.value.to_string() for table in at.table)
    assert "Breakdowns (version 2, optional)" in shown
    assert all(text in shown for text in ("White - Gypsy/Roma", "WROM", "No EHC plan or SEN support", "16-17",
                                          "Black (major group)"))


def test_upload_same_file_in_new_session_is_not_stored_twice(writable_demo: Database, make_csv: Callable,
                                                             example_row: Callable) -> None:
    db = writable_demo
    content = make_csv("advice", [example_row("advice", "202", LATEST, adv_requests="61")])
    before = _submissions(db)
    for _ in range(2):
        at = open_page("pages/upload.py", local=True)
        at.file_uploader(key="return_file").upload("camden_advice.csv", content, "text/csv")
        at.run()
        at.button(key="store_button").click()
        at.run()
        assert_clean(at)
    assert _submissions(db) == before + 1
    assert any("already stored; nothing changed" in item.value for item in at.success)


def test_upload_bad_file_shows_errors_and_stores_nothing(writable_demo: Database, make_csv: Callable,
                                                         example_row: Callable) -> None:
    db = writable_demo
    content = make_csv("advice", [example_row("advice", "202", LATEST, adv_requests="48.5")])
    before = _submissions(db)
    at = open_page("pages/upload.py", local=True)
    at.file_uploader(key="return_file").upload("camden_advice.csv", content, "text/csv").run()
    assert not at.exception
    assert len(at.error) == 1 and "Nothing has been stored" in at.error[0].value
    errors = [table.value for table in at.table if "Problem" in table.value.columns]
    assert errors, "no errors table"
    problem = errors[0].reset_index().iloc[0]
    assert (int(problem["Row"]), problem["Column"], problem["Value"]) == (2, "adv_requests", "48.5")
    assert "fraction" in problem["Problem"]
    assert not at.button, "a store button is offered for a file with errors"
    assert not tables_with(at, "Effect"), "a preview is shown for a file with errors"
    assert _submissions(db) == before


def test_upload_xlsx(writable_demo: Database, make_xlsx: Callable, example_row: Callable) -> None:
    from benchmark.definitions.standard import columns

    names = [spec.name for spec in columns("transitions")]
    row = example_row("transitions", "201", LATEST)
    content = make_xlsx([names, [row[name] or None for name in names]])
    at = open_page("pages/upload.py", local=True)
    at.file_uploader(key="return_file").upload(
        "city_transitions.xlsx", content, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    at.run()
    assert_clean(at)
    assert tables_with(at, f"City of London, {LATEST}")
    assert preview_records(at).iloc[0]["Effect"] == "new return"


def test_upload_one_workbook_with_a_sheet_per_theme(writable_demo: Database, example_row: Callable) -> None:

    import openpyxl

    from benchmark.definitions.standard import columns
    from benchmark.intake import templates

    def workbook(**advice: str) -> bytes:
        book = openpyxl.load_workbook(io.BytesIO(templates.workbook_template()))
        for theme_id in ("advice", "transitions"):
            row = example_row(theme_id, "202", LATEST, **(advice if theme_id == "advice" else {}))
            book[THEMES[theme_id].sheet].append([row[spec.name] or None for spec in columns(theme_id)])
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue()

    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    before = _submissions(writable_demo)
    at = open_page("pages/upload.py", local=True)
    at.file_uploader(key="return_file").upload("camden.xlsx", workbook(adv_requests="4 8"), xlsx).run()
    errors = [table.value.reset_index() for table in at.table if "Problem" in table.value.columns]
    assert [tuple(row) for row in errors[0][["Sheet", "Row", "Column", "Value"]].to_numpy()] == [
        ("Advice", "2", "adv_requests", "4 8")]
    assert not at.button

    at = open_page("pages/upload.py", local=True)
    at.file_uploader(key="return_file").upload("camden.xlsx", workbook(), xlsx).run()
    assert_clean(at)
    previews = [frame for frame in tables_with(at, "Field") if "Effect" in set(frame["Field"])]
    assert len(previews) == 2 and all(len(frame.columns) == 2 for frame in previews)  # a preview per theme sheet
    at.button(key="store_button").click().run()
    assert_clean(at)
    assert _submissions(writable_demo) == before + 2
    assert any("stored as submissions" in item.value for item in at.success)


def test_first_upload_into_empty_database_fills_the_pages(tmp_db: Database, make_csv: Callable,
                                                         example_row: Callable,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DSCO_DB", str(tmp_db.path))
    content = make_csv("advice", [example_row("advice", "202", LATEST), example_row("advice", "201", LATEST)])
    at = open_page("pages/upload.py", local=True)
    at.file_uploader(key="return_file").upload("two_boroughs.csv", content, "text/csv").run()
    assert preview_records(at)["Effect"].tolist() == ["new return", "new return"]
    at.button(key="store_button").click().run()
    assert_clean(at)
    assert _submissions(tmp_db) == 1
    assert tables_with(at, "Submission"), "the history does not list the new submission"
    at.switch_page("pages/advice.py").run()
    assert_clean(at)
    assert not at.info or "not in this peer group" not in at.info[0].value
    assert len(chart_specs(at)) == 1


def test_preview_after_storing_does_not_claim_to_replace_itself(writable_demo: Database, make_csv: Callable,
                                                               example_row: Callable) -> None:
    content = make_csv("transitions", [example_row("transitions", "201", LATEST)])  # missing in the demo
    at = open_page("pages/upload.py", local=True)
    at.file_uploader(key="return_file").upload("city_transitions.csv", content, "text/csv").run()
    assert preview_records(at)["Effect"].tolist() == ["new return"]
    at.button(key="store_button").click().run()
    assert_clean(at)
    success = " ".join(item.value for item in at.success)
    assert "stored as submission" in success and "replaces" not in success
    effects = preview_records(at).get("Effect", pd.Series(dtype=str)).tolist()
    assert not any(effect.startswith("replaces") for effect in effects), effects


def test_zoom_in_the_url_draws_dots_instead_of_bars(on_demo: Path) -> None:
    bars = open_page("pages/advice.py", la="202")
    assert chart_specs(bars)[0]["data"][0]["type"] == "bar"
    dots = open_page("pages/advice.py", la="202", zoom="true")
    assert_clean(dots)
    assert dots.toggle(key="zoom").value is True
    assert chart_specs(dots)[0]["data"][0]["mode"] == "markers"
