"""What a new user must never meet, in a real browser at 1366 x 768: a traceback after pressing any
button of any page (the demo, and a network served with sign-in off), and a table whose content is
wider than its place on the page, on every page and tab of the demo.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import DEMO_PAGES, copy_database, open_tab, server_log, streamlit_server, wait_rendered
from playwright.sync_api import Browser, Page

from benchmark.db import close_database, open_database

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 768}
PAGES = DEMO_PAGES  # every page of the demo with its tabs, each opened in turn (only the open tab is drawn)
# Buttons a person can press (enabled ones only: a disabled button carries its reason instead).
BUTTONS = ("[data-testid=stMain] [data-testid=stButton] button:not([disabled]), "
           "[data-testid=stMain] [data-testid=stFormSubmitButton] button:not([disabled])")
# Tables whose content is wider than the room they have: the data grid's scroller, a static table (st.table, or
# pandas' HTML table in st.html).
OVERFLOWING_JS = """
() => [...document.querySelectorAll(['stDataFrame', 'stTable', 'stHtml']
        .map(kind => `[data-testid=stMain] [data-testid=${kind}]`).join(', '))].flatMap((table, index) => {
    if (table.dataset.testid === 'stHtml' && !table.querySelector('table')) return [];  // HTML holding no table
    if (table.closest('details:not([open])')) return [];  // not drawn: measured when its expander is open
    const box = table.querySelector('.dvn-scroller') || table.querySelector(':scope > div:has(> table)') || table;
    const room = Math.min(box.clientWidth, table.closest('[data-testid=stMainBlockContainer]').clientWidth);
    const wide = box.scrollWidth - room;
    const heading = table.querySelector('th, [role=columnheader]');
    return wide > 2 ? [`table ${index + 1} (${heading ? heading.innerText.trim() : '?'}): ${wide}px too wide`] : [];
})
"""


GRIDS_DRAWN_JS = """
() => [...document.querySelectorAll('[data-testid=stMain] [data-testid=stDataFrame]')]
    .filter(grid => !grid.closest('details:not([open])'))
    .every(grid => grid.querySelector('[role=columnheader]'))
"""


@pytest.fixture(scope="module")
def servers(demo_build, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple[str, Path]]]:
    """(base URL, log) of a dashboard over a copy of the demo network, and over a copy of its returns as a
    real network's database served with sign-in off (as allowed on a machine nobody else reaches)."""
    close_database(demo_build.path)
    folder = tmp_path_factory.mktemp("layout")
    demo = copy_database(demo_build.path, folder / "demo.duckdb")
    local = copy_database(demo_build.path, folder / "network.duckdb")
    open_database(local).set_setting("demo", "false")
    close_database(local)
    secrets = folder / "secrets.toml"
    secrets.write_text("[dsco]\nallow_without_sign_in = true\n", encoding="utf-8")
    with streamlit_server(demo, folder / "demo.log") as demo_url, \
            streamlit_server(local, folder / "local.log", secrets=secrets) as local_url:
        yield {"demo": (demo_url, folder / "demo.log"), "local": (local_url, folder / "local.log")}


def laptop_page(browser: Browser) -> Page:
    context = browser.new_context(viewport=LAPTOP, accept_downloads=True)
    context.set_default_timeout(180_000)  # states are waited for; this only bounds a hung server
    return context.new_page()


def open_expanders(page: Page) -> None:
    """Open every closed expander, so the buttons inside are pressed too."""
    closed = page.locator("[data-testid=stMain] [data-testid=stExpander] details:not([open]) > summary")
    for _ in range(closed.count()):  # each click opens one: the first closed one is always the next
        closed.first.click()
    wait_rendered(page)
    # A grid revealed by an expander lays itself out on its first frame (its header row drawn, and until
    # then briefly a scroll bar's width too wide): measured once every shown grid has its header.
    page.wait_for_function(GRIDS_DRAWN_JS, polling=50)


def no_traceback(page: Page, log: Path, where: str) -> None:
    exceptions = page.get_by_test_id("stException")
    assert exceptions.count() == 0, f"{where}: {exceptions.all_inner_texts()}\n--- server log ---\n{server_log(log)}"


def press_every_button(page: Page, url: str, log: Path, tab: str | None) -> list[str]:
    """Press each enabled button once, in page order, reloading the view between presses (a press may
    change what the page shows); fail on any exception box. Returns the labels pressed."""
    def fresh() -> None:
        page.goto(url)
        wait_rendered(page)
        if tab:
            open_tab(page, tab)
        open_expanders(page)

    fresh()
    labels = [label.strip() for label in page.locator(BUTTONS).all_inner_texts()]
    for number, label in enumerate(labels):
        if number:
            fresh()
        buttons = page.locator(BUTTONS)
        if buttons.count() <= number:
            continue
        buttons.nth(number).click()
        wait_rendered(page)
        no_traceback(page, log, f"{url} {tab or ''} after pressing {label!r}")
    return labels


@pytest.mark.parametrize("network", ["demo", "local"])
def test_every_button_of_every_page_answers_without_a_traceback(network: str, servers: dict, browser: Browser) -> None:
    base, log = servers[network]
    page = laptop_page(browser)
    pressed: dict[str, list[str]] = {}
    for path, tabs in PAGES.items():
        for tab in tabs or [None]:
            pressed[f"/{path} {tab or ''}".strip()] = press_every_button(page, f"{base}/{path}", log, tab)
    # Administration with sign-in off: every change is disabled, the reason given on the page.
    page.goto(f"{base}/administration")
    wait_rendered(page)
    for label in ("Save default deadline", "Add or update member", "Back up now"):
        assert page.get_by_role("button", name=label).first.is_disabled(), label
    assert page.get_by_text("this page is read-only").count() == 1
    page.context.close()
    assert any("Build" in label for label in pressed["/meeting_pack"]), pressed


def test_no_table_is_wider_than_its_place_at_1366_by_768(servers: dict, browser: Browser) -> None:
    base = servers["demo"][0]
    page = laptop_page(browser)
    wide: dict[str, list[str]] = {}
    for path, tabs in PAGES.items():
        for tab in tabs or [None]:
            page.goto(f"{base}/{path}")
            wait_rendered(page)
            if tab:
                open_tab(page, tab)
            open_expanders(page)
            found = page.evaluate(OVERFLOWING_JS)
            if found:
                wide[f"/{path} {tab or ''}".strip()] = found
    page.context.close()
    assert not wide, wide
