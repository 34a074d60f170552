"""The dashboard in a real browser: a Streamlit server on localhost over a copy of the demo network,
driven by Playwright in Debian's Chromium. Screenshots go to artifacts/screenshots/<page>.png.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from pathlib import Path

import openpyxl
import pytest
from browser_support import (
    ROOT,
    assert_no_exception,
    chart_titles,
    choose,
    copy_database,
    download_table_csv,
    new_page,
    selectbox_value,
    streamlit_server,
    wait_rendered,
)
from playwright.sync_api import Browser, Page

from benchmark.access.network import SYNTHETIC_LABEL
from benchmark.db import close_database, open_database
from benchmark.definitions.standard import THEMES
from benchmark.demo import LAST_QUARTER, MISSING_RETURNS
from benchmark.outputs import views

pytestmark = pytest.mark.browser

SCREENSHOTS = ROOT / "artifacts" / "screenshots"
# (link text in the sidebar, URL path and screenshot name, page title, Plotly charts with the default choices)
NAVIGATION = [
    ("Network overview", "overview", "Network overview", 0),
    ("My authority", "my_authority", "My authority", 0),
    # Theme pages open on the Ranking tab: its bar chart is the one chart built.
    ("Short breaks", "short_breaks", THEMES["short_breaks"].title, 1),
    ("Advice timeliness and quality", "advice", THEMES["advice"].title, 1),
    ("Transitions to adulthood", "transitions", THEMES["transitions"].title, 1),
    ("Residential placements", "residential", THEMES["residential"].title, 1),  # the demo collects every theme
    ("The DSCO role", "dsco_role", THEMES["dsco_role"].title, 0),
    ("Area SEND inspections", "inspections", "Area SEND inspections", 0),
    ("Published context", "published", "Published context", 1),
    ("Inequalities", "inequalities", "Inequalities", 1),
    ("Meeting pack", "meeting_pack", "Meeting pack", 0),
    ("Upload", "upload", "Upload a quarterly return", 0),
    ("Data standard", "data_standard", "Data standard", 0),
    ("Administration", "administration", "Administration", 0),  # a chair's page; the demo runs as chair
    ("Accessibility", "accessibility", "Accessibility statement", 0),
]
# Tables each page shows with the default choices (st.dataframe, drawn by the data grid). The meeting
# pack's discussion list and commentary are static tables, so their long sentences wrap.
# (My authority: the scorecard views, the published context and its inequalities section, where a group differs;
# Inequalities: the authority beside the network, every member by group, the composition.)
TABLES = {"overview": 1, "my_authority": None, "short_breaks": 2, "advice": 1, "transitions": 1, "residential": 1,
          "dsco_role": 2, "inspections": 1, "published": 3,
          "inequalities": 3, "meeting_pack": 0, "upload": 1, "data_standard": 0, "administration": None,
          "accessibility": 0}


@pytest.fixture(scope="module")
def server(demo_build, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """(base URL, log file) of a real server over a private copy of the demo database."""
    close_database(demo_build.path)  # DuckDB: one process per file
    folder = tmp_path_factory.mktemp("browser")
    database = copy_database(demo_build.path, folder / "demo.duckdb")
    log = folder / "streamlit.log"
    with streamlit_server(database, log) as url:
        yield url, log


@pytest.fixture(scope="module")
def local_server(demo_build, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """(base URL, log file) of a real server over a copy of the demo's returns as a real network's
    database, served without sign-in as allowed on a machine nobody else reaches: the demo itself
    stores no returns."""
    close_database(demo_build.path)
    folder = tmp_path_factory.mktemp("browser_local")
    database = copy_database(demo_build.path, folder / "network.duckdb")
    open_database(database).set_setting("demo", "false")
    close_database(database)
    secrets = folder / "secrets.toml"
    secrets.write_text("[dsco]\nallow_without_sign_in = true\n", encoding="utf-8")
    log = folder / "streamlit.log"
    with streamlit_server(database, log, secrets=secrets) as url:
        yield url, log


@pytest.fixture(scope="module")
def tour(server: tuple[str, Path], browser: Browser) -> Iterator[Page]:
    """One browser session that walks the navigation, page after page (Plotly loads once)."""
    page = new_page(browser)
    page.goto(server[0] + "/")
    wait_rendered(page, "Network overview")
    yield page
    page.context.close()


def tracker_status(page: Page, la_code: str, theme_id: str) -> str:
    """What the Network overview's tracker says for an authority and theme (its CSV, via the grid toolbar)."""
    rows = {row["DfE code"]: row for row in csv.DictReader(io.StringIO(download_table_csv(page, 0)))}
    return rows[la_code][views.theme_heading(theme_id)]


def metric_value(page: Page, label: str) -> str:
    card = page.get_by_test_id("stMetric").filter(has_text=label)
    return card.get_by_test_id("stMetricValue").inner_text().strip()


def test_navigation_lists_every_page(tour: Page) -> None:
    links = tour.get_by_test_id("stSidebarNav").locator("a")
    labels = [text.splitlines()[-1].strip() for text in links.all_inner_texts()]  # after the icon's name
    assert labels == [item[0] for item in NAVIGATION]


@pytest.mark.parametrize(("link", "slug", "title", "charts"), NAVIGATION, ids=[item[1] for item in NAVIGATION])
def test_page_from_navigation(tour: Page, server: tuple[str, Path], link: str, slug: str, title: str,
                              charts: int) -> None:
    tour.get_by_test_id("stSidebarNav").get_by_text(link, exact=True).click()
    wait_rendered(tour, title)
    assert tour.url.split("?")[0].rstrip("/") == (server[0] if slug == "overview" else f"{server[0]}/{slug}")
    assert_no_exception(tour, server[1])
    assert tour.locator("h1").first.inner_text().strip() == title
    # Published context shows DfE's real statistics, and the accessibility statement no figures: no banner.
    banners = 0 if slug in ("published", "accessibility") else 1
    assert tour.get_by_text(SYNTHETIC_LABEL).count() == banners, "the demo network is not marked as synthetic"
    assert tour.get_by_test_id("stPlotlyChart").count() == charts
    assert tour.locator(".js-plotly-plot").count() == charts, "a chart did not draw"
    titles = chart_titles(tour)
    assert len(titles) == charts and all(text.strip() for text in titles), f"untitled chart: {titles}"
    grids = tour.get_by_test_id("stDataFrame")
    tables = grids.count() if TABLES[slug] is None else TABLES[slug]  # None: as many as the page has
    assert grids.count() == tables
    assert tour.locator("[data-testid=stDataFrame] canvas").count() >= tables, "a table did not draw"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tour.screenshot(path=str(SCREENSHOTS / f"{slug}.png"), full_page=True)


def test_upload_then_tracker(page: Page, local_server: tuple[str, Path], make_csv: Callable,
                             example_row: Callable) -> None:
    url, log = local_server
    assert ("201", LAST_QUARTER, "transitions") in MISSING_RETURNS
    page.goto(url + "/")
    wait_rendered(page, "Network overview")
    assert tracker_status(page, "201", "transitions") == "overdue"
    missing_before = int(metric_value(page, "Overdue returns"))

    content = make_csv("transitions", [example_row("transitions", "201", LAST_QUARTER.label)])
    page.get_by_test_id("stSidebarNav").get_by_text("Upload", exact=True).click()
    wait_rendered(page, "Upload a quarterly return")
    page.get_by_test_id("stFileUploader").locator("input[type=file]").set_input_files(
        {"name": "city_of_london_transitions.csv", "mimeType": "text/csv", "buffer": content})
    page.get_by_text("Ready to store").wait_for()
    wait_rendered(page)
    assert_no_exception(page, log)
    page.get_by_role("button", name="Store this return").click()
    page.get_by_text("stored as submission").wait_for()
    wait_rendered(page)
    assert_no_exception(page, log)
    assert page.get_by_role("heading", name=f"Where it now sits, {LAST_QUARTER.label}").count() == 1
    assert page.get_by_role("button", name="Store this return").count() == 0
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "upload_stored.png"), full_page=True)

    page.get_by_test_id("stSidebarNav").get_by_text("Network overview", exact=True).click()
    wait_rendered(page, "Network overview")
    assert_no_exception(page, log)
    assert tracker_status(page, "201", "transitions").startswith("returned ")
    assert int(metric_value(page, "Overdue returns")) == missing_before - 1


def test_link_opens_exact_view(page: Page, server: tuple[str, Path]) -> None:
    url, log = server
    page.goto(url + "/advice?la=202&metric=ehcp_20wk_pct&period=2025-26 Q4")
    wait_rendered(page, "EHC plans issued within 20 weeks (%), 2025-26 Q4: Camden")
    assert_no_exception(page, log)
    assert selectbox_value(page, "Metric") == "EHC plans issued within 20 weeks (%)"
    assert selectbox_value(page, "Authority") == "Camden"
    assert selectbox_value(page, "Quarter") == "2025-26 Q4"
    assert chart_titles(page) == ["EHC plans issued within 20 weeks (%), 2025-26 Q4: Camden and whole network"]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "advice_camden_20wk.png"), full_page=True)

    # A new choice goes into the address, so the link a DSCO copies is the view they see.
    choose(page, "Metric", "Advice quality-assured by the DSCO (%)")
    wait_rendered(page, "Advice quality-assured by the DSCO (%), 2025-26 Q4: Camden")
    assert "metric=adv_audited_pct" in page.url and "la=202" in page.url
    assert_no_exception(page, log)


def test_tabs_show_each_view_and_download_its_table(page: Page, server: tuple[str, Path]) -> None:
    """Each tab draws its own chart and goes into the address; the Table tab's Excel download is built
    on the click and holds the table shown."""
    url, log = server
    page.goto(url + "/advice?la=202&metric=ehcp_20wk_pct&period=2025-26 Q4")
    wait_rendered(page, "EHC plans issued within 20 weeks (%), 2025-26 Q4: Camden")

    page.get_by_role("tab", name="Funnel plot").click()
    wait_rendered(page, "Funnel plot: EHC plans issued within 20 weeks (%), 2025-26 Q4")
    assert chart_titles(page) == ["Funnel plot: EHC plans issued within 20 weeks (%), 2025-26 Q4"]
    assert "view=Funnel" in page.url
    assert_no_exception(page, log)

    page.get_by_role("tab", name="Trend").click()
    wait_rendered(page, "EHC plans issued within 20 weeks (%): Camden, last 8 quarters")
    assert page.locator("[data-testid=stDataFrame] canvas").count() >= 1, "the trend's table did not draw"
    assert_no_exception(page, log)

    page.get_by_role("tab", name="Table").click()
    page.get_by_test_id("stDataFrame").first.wait_for()
    wait_rendered(page)
    assert "view=Table" in page.url and chart_titles(page) == []
    shown = list(csv.DictReader(io.StringIO(download_table_csv(page, 0))))
    with page.expect_download() as download:
        page.get_by_role("button", name="Download Excel").click()
    assert download.value.suggested_filename == "ehcp_20wk_pct_2025-26_Q4_network.xlsx"
    sheet = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    names = [dict(zip(rows[0], row, strict=True))["Authority"] for row in rows[1:]]
    assert len(names) == len(shown) == 33 and "Camden" in names
    assert sorted(names) == sorted(row["Authority"] for row in shown)
    assert_no_exception(page, log)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "advice_table_tab.png"), full_page=True)


def test_zoom_is_kept_in_the_address_across_tabs(page: Page, server: tuple[str, Path]) -> None:
    url, log = server
    page.goto(url + "/advice?la=202")
    wait_rendered(page, "Camden and whole network")
    assert page.locator(".js-plotly-plot .barlayer .point").count() > 0
    page.get_by_text("Zoom in on the values").click()
    page.wait_for_function("() => !document.querySelector('.js-plotly-plot .barlayer .point')")
    wait_rendered(page, "Camden and whole network")
    assert "zoom=true" in page.url
    page.get_by_role("tab", name="Funnel plot").click()
    wait_rendered(page, "Funnel plot:")
    page.get_by_role("tab", name="Ranking").click()
    wait_rendered(page, "Camden and whole network")
    assert page.locator(".js-plotly-plot .barlayer .point").count() == 0, "the zoom was lost"
    assert page.locator(".js-plotly-plot .scatterlayer .point").count() > 0
    assert_no_exception(page, log)


def test_overview_rug_tab(page: Page, server: tuple[str, Path]) -> None:
    """The tartan rug opens in its own tab, goes into the address, and reads without colour."""
    url, log = server
    page.goto(url + "/")
    wait_rendered(page, "Network overview")
    page.get_by_role("tab", name="Tartan rug").click()
    # A static table (pandas' HTML): its headings wrap in full.
    page.get_by_test_id("stHtml").locator("table").first.wait_for()
    wait_rendered(page)
    assert_no_exception(page, log)
    assert "tab=Tartan" in page.url
    rug = page.get_by_test_id("stHtml").locator("table").first
    headings = [text.strip() for text in rug.locator("thead th").all_inner_texts()]
    assert headings[:3] == ["Authority", "Reach per 10k", "Direct payments %"]
    rows = [[text.strip() for text in row.locator("th, td").all_inner_texts()]
            for row in rug.locator("tbody tr").all()]
    assert len(rows) == 33
    camden = next(row for row in rows if row[0] == "Camden")
    assert any(value.endswith(("(A)", "(B)", "(C)", "(D)")) for value in camden[1:])
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "overview_rug.png"), full_page=True)


def test_server_log_has_no_traceback(server: tuple[str, Path]) -> None:
    """Run after the others: nothing the server did in the background (the warm-up included) failed."""
    log = server[1].read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]
