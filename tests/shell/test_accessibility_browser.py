"""WCAG 2.2 AA in a real browser at 1366 x 768: axe-core on every page and tab (demo network and empty
database), no request to any host but the dashboard's own, and the upload and a meeting pack by keyboard only.

axe-core comes inside the pinned axe-playwright-python package (nothing is downloaded when the tests run).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from browser_support import DEMO_PAGES, assert_no_exception, copy_database, open_tab, streamlit_server, wait_rendered
from playwright.sync_api import Browser, FileChooser, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from benchmark.db import close_database, open_database
from benchmark.demo import LAST_QUARTER
from benchmark.outputs.accessibility import AXE_TAGS, STREAMLIT_RULES

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 768}
PAGES = DEMO_PAGES  # every page of the demo with its tabs, each opened in turn (only the open tab is drawn)
AXE = Axe()
# Where Streamlit's own markup is: a violation counts as Streamlit's only when every node is inside it.
STREAMLIT_MARKUP = "[data-testid=stSidebarNav]"
# Every wait is for a state (rendered, a text, a file chooser, a download); this only bounds how long a
# loaded 2-core machine may take to reach it before the test gives up.
BUSY_MACHINE_MS = 180_000


@pytest.fixture(scope="module")
def servers(demo_build, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Dashboards (base URLs) over a copy of the demo network, over an empty database, and over a copy of
    the demo's returns as a real network's database (the demo itself stores no returns). The last two are
    served without sign-in as allowed on a machine nobody else reaches."""
    close_database(demo_build.path)
    folder = tmp_path_factory.mktemp("accessibility")
    demo = copy_database(demo_build.path, folder / "demo.duckdb")
    empty = folder / "empty.duckdb"
    open_database(empty)
    close_database(empty)
    local = copy_database(demo_build.path, folder / "network.duckdb")
    open_database(local).set_setting("demo", "false")
    close_database(local)
    secrets = folder / "secrets.toml"
    secrets.write_text("[dsco]\nallow_without_sign_in = true\n", encoding="utf-8")
    with streamlit_server(demo, folder / "demo.log") as demo_url, \
            streamlit_server(empty, folder / "empty.log", secrets=secrets) as empty_url, \
            streamlit_server(local, folder / "local.log", secrets=secrets) as local_url:
        yield {"demo": demo_url, "empty": empty_url, "local": local_url}


def laptop_page(browser: Browser) -> Page:
    context = browser.new_context(viewport=LAPTOP, accept_downloads=True)
    context.set_default_timeout(BUSY_MACHINE_MS)
    return context.new_page()


def audit(page: Page) -> dict[str, list[str]]:
    """axe-core's WCAG A/AA violations plus heading order: {rule id: CSS targets of the failing nodes}."""
    found: dict[str, list[str]] = {}
    for options in ({"runOnly": {"type": "tag", "values": list(AXE_TAGS)}},
                    {"runOnly": {"type": "rule", "values": ["heading-order"]}}):
        for violation in AXE.run(page, options=options).response["violations"]:
            found.setdefault(violation["id"], []).extend(
                " ".join(node["target"]) for node in violation["nodes"])
    return found


def in_streamlit_markup(page: Page, target: str) -> bool:
    return page.evaluate("([target, markup]) => !!document.querySelector(target)?.closest(markup)",
                         [target, STREAMLIT_MARKUP])


def visit(page: Page, url: str, tab: str | None = None) -> None:
    page.goto(url)
    wait_rendered(page)
    if tab:
        open_tab(page, tab)


@pytest.mark.parametrize("network", ["demo", "empty"])
def test_every_page_and_tab_meets_wcag_aa_and_asks_no_other_host(network: str, servers: dict[str, str],
                                                                 browser: Browser) -> None:
    base = servers[network]
    page = laptop_page(browser)
    outside: list[str] = []
    page.on("request", lambda request: outside.append(request.url)
            if urlsplit(request.url).scheme in ("http", "https", "ws", "wss")
            and urlsplit(request.url).netloc != urlsplit(base).netloc else None)
    streamlit_rules: set[str] = set()
    ours: dict[str, dict[str, list[str]]] = {}
    for path, tabs in PAGES.items():
        for tab in (tabs if network == "demo" else []) or [None]:
            visit(page, f"{base}/{path}", tab)
            assert_no_exception(page, Path("/dev/null"))
            where = f"/{path} {tab or ''}".strip()
            for rule, targets in audit(page).items():
                if rule in STREAMLIT_RULES and all(in_streamlit_markup(page, target) for target in targets):
                    streamlit_rules.add(rule)
                else:
                    ours.setdefault(where, {})[rule] = targets
    page.context.close()
    assert not ours, f"WCAG violations in the dashboard's own content: {ours}"
    # The accessibility statement names exactly the rules Streamlit's markup breaks: a new one, or one
    # Streamlit has fixed, means the statement must change.
    assert streamlit_rules == set(STREAMLIT_RULES)
    assert not outside, f"requests to other hosts: {sorted(set(outside))[:10]}"


def test_every_chart_has_a_caption_stating_its_finding(servers: dict[str, str], browser: Browser) -> None:
    page = laptop_page(browser)
    for tab in ("Ranking", "Funnel plot"):
        visit(page, f"{servers['demo']}/advice?la=202", tab)
        caption = page.get_by_test_id("stCaptionContainer").filter(has_text="Camden").first.inner_text()
        assert "Camden" in caption and ("rank" in caption or "Beyond the 99.8% limits" in caption), caption
    page.context.close()


def tab_to(page: Page, is_there: str, presses: int = 120) -> None:
    """Press Tab until the focused element satisfies `is_there` (JS taking the element), as a keyboard user."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate(f"(element => {is_there})(document.activeElement)"):
            return
    raise AssertionError(f"never reached by Tab: {is_there}")


def choose_file_by_keyboard(page: Page, attempts: int = 4) -> FileChooser:
    """Enter on the focused upload button until the file chooser opens. Chromium opens it only while the
    key press's user activation lasts (5 s): on a loaded machine the page can handle the press later than
    that, so no chooser comes, and the press is made again (a state waited for, not a pause)."""
    for _ in range(attempts):
        try:
            with page.expect_file_chooser(timeout=45_000) as chooser:
                page.keyboard.press("Enter")
            return chooser.value
        except PlaywrightTimeoutError:
            continue
    raise AssertionError(f"no file chooser after {attempts} presses of Enter")


def focused_button(text: str) -> str:
    """A focused button whose text holds `text` (not a scrolling container around it, which takes focus too)."""
    return f"element.tagName === 'BUTTON' && element.innerText.includes({text!r})"


def test_upload_and_meeting_pack_by_keyboard_only(servers: dict[str, str], browser: Browser, tmp_path: Path,
                                                  make_csv, example_row) -> None:
    page = laptop_page(browser)
    return_file = tmp_path / "camden_advice.csv"
    return_file.write_bytes(make_csv("advice", [example_row("advice", "202", str(LAST_QUARTER))]))
    visit(page, f"{servers['local']}/upload")

    # The uploader's own button (its drop zone takes focus too, and Enter there opens no file chooser).
    tab_to(page, "!!element.closest('[data-testid=stFileUploader]') && " + focused_button("Upload"))
    choose_file_by_keyboard(page).set_files(str(return_file))
    wait_rendered(page)
    page.get_by_text("What will be stored").wait_for()
    tab_to(page, focused_button("Store this return"))
    page.keyboard.press("Enter")
    page.get_by_text("Where it now sits").wait_for()
    wait_rendered(page)
    assert_no_exception(page, Path("/dev/null"))

    tab_to(page, "element.getAttribute('href')?.endsWith('/meeting_pack')")
    page.keyboard.press("Enter")
    wait_rendered(page, "Meeting pack")
    tab_to(page, focused_button("Build PDF"))
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Download PDF").wait_for()
    assert page.get_by_role("button", name="Build PDF (for circulation)").count() == 0, "Build stays beside Download"
    tab_to(page, focused_button("Download PDF"))
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert Path(download.value.path()).read_bytes()[:5] == b"%PDF-"
    page.context.close()
