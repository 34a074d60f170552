"""Shared by the browser tests and scripts/bench_dashboard.py: a real Streamlit server on a free
localhost port, Debian's Chromium through Playwright, and "fully rendered" as a browser sees it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
# The Streamlit main area scrolls inside the page: a tall viewport gets a whole page into one screenshot.
VIEWPORT = {"width": 1400, "height": 3000}
BUSY_MACHINE_MS = 180_000

# Fully rendered: the script has finished (not "initial", "running" or "rerunRequested") and no
# element is still a loading skeleton (Plotly and the data grid load lazily after the script ends).
# `wanted` (optional) is text that must be on the page too, so a rerun is not mistaken for its
# predecessor: a title for a navigation, a chart title for a changed metric.
_RENDERED_JS = """
(wanted) => {
    const app = document.querySelector('[data-testid=stApp]');
    if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
    if (document.querySelector('[data-testid=stSkeleton]')) return false;
    if (!wanted) return true;
    const texts = [...document.querySelectorAll('h1, .js-plotly-plot .gtitle')].map(e => e.textContent);
    return texts.some(text => text.includes(wanted));
}
"""


# The same test, run inside the page until it holds; resolves to performance.now() at that moment, so a
# timing is the page's own (from navigation start, or from a click) with no driver round trip in it.
_RENDERED_AT_JS = f"""
([wanted, timeout]) => new Promise((resolve, reject) => {{
    const rendered = {_RENDERED_JS.strip()};
    const started = performance.now();
    const check = () => {{
        if (rendered(wanted)) return resolve(performance.now());
        if (performance.now() - started > timeout) return reject(new Error('not rendered: ' + wanted));
        setTimeout(check, 10);
    }};
    check();
}})
"""


# Every page of the demo (URL path) with its tabs, for the tours that open each page and tab in turn; the demo
# collects every theme, so the newer topics' pages are here too.
THEME_TABS = ["Ranking", "Funnel plot", "Trend", "Table"]
DEMO_PAGES: dict[str, list[str]] = {
    "": ["Returns tracker", "Tartan rug"],
    "my_authority": [],
    "short_breaks": THEME_TABS,
    "advice": THEME_TABS,
    "transitions": THEME_TABS,
    "residential": THEME_TABS,
    "dsco_role": [],
    "inspections": [],
    "published": [],
    "inequalities": [],
    "meeting_pack": [],
    "upload": [],
    "data_standard": [],
    "administration": [],
    "accessibility": [],
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def copy_database(source: Path, target: Path) -> Path:
    """Copy a closed DuckDB file, with its write-ahead log when it has one."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    wal = source.with_name(source.name + ".wal")
    if wal.exists():
        shutil.copyfile(wal, target.with_name(target.name + ".wal"))
    return target


@contextlib.contextmanager
def background_process(command: list[str], health_url: str, log_path: Path, what: str, *,
                       env: dict[str, str] | None = None, timeout: float = 90,
                       cwd: Path = ROOT) -> Iterator[None]:
    """Run a server (in `cwd`) for the duration of the block: started, waited for until `health_url` answers
    200 (or a clear error with the end of its log), and stopped afterwards."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{what} exited with {process.returncode}:\n{_tail(log_path)}")
            try:
                with urllib.request.urlopen(health_url, timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not answer on {health_url} within {timeout:.0f} s:\n"
                                   f"{_tail(log_path)}")
            time.sleep(0.25)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


@contextlib.contextmanager
def streamlit_server(db_path: Path, log_path: Path, *, port: int | None = None, secrets: Path | None = None,
                     startup_timeout: float = 90) -> Iterator[str]:
    """The dashboard as deployed (scripts/serve.py) on DSCO_DB=db_path; yields the base URL.

    The database must not be open in this process: DuckDB lets one process hold a file. `secrets`: a
    secrets.toml to use instead of .streamlit/secrets.toml.
    """
    port = port or free_port()
    env = {**os.environ, "DSCO_DB": str(db_path), "PYTHONIOENCODING": "utf-8"}
    command = [sys.executable, "scripts/serve.py", "--server.port", str(port),
               "--server.address", "localhost", "--server.headless", "true",
               "--browser.gatherUsageStats", "false",
               # Other people edit the sources while tests run: no file watcher, no "source changed" prompt.
               "--server.fileWatcherType", "none"]
    if secrets is not None:
        command += ["--secrets.files", str(secrets)]
    url = f"http://localhost:{port}"
    with background_process(command, f"{url}/_stcore/health", log_path, "the dashboard", env=env,
                            timeout=startup_timeout):
        yield url


def server_log(log_path: Path) -> str:
    return _tail(log_path)


def _tail(log_path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(log_path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def launch_chromium(playwright: Playwright) -> Browser:
    """Debian's Chromium (never a downloaded browser)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def new_page(browser: Browser) -> Page:
    """A fresh browser session; CSV downloads from the data grid go to Playwright, not a save dialog."""
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    # Tests wait for states (rendered, a text, a download), never fixed times; this bounds how long a
    # loaded 2-core machine may take to reach one (Playwright's default is 30 s).
    context.set_default_timeout(BUSY_MACHINE_MS)
    page = context.new_page()
    page.add_init_script("delete window.showSaveFilePicker;")
    return page


def wait_rendered(page: Page, wanted: str | None = None, timeout: float = BUSY_MACHINE_MS / 1000) -> None:
    """Wait until the page is fully rendered (see _RENDERED_JS); `timeout` in seconds."""
    page.wait_for_function(_RENDERED_JS, arg=wanted, timeout=timeout * 1000, polling=50)


def rendered_at(page: Page, wanted: str | None = None, timeout: float = 120) -> float:
    """Wait until the page is fully rendered; the page's clock then (ms since its navigation start)."""
    return page.evaluate(_RENDERED_AT_JS, [wanted, timeout * 1000])


# The open tab's panel holds something drawn: a tab's content is built by the rerun its click starts, so
# this holds only once that rerun has begun (the script state alone can still read "notRunning" then).
_TAB_DRAWN_JS = """
(name) => {
    const tab = [...document.querySelectorAll('[role=tab]')].find(item => item.innerText.trim() === name);
    if (!tab || tab.getAttribute('aria-selected') !== 'true') return false;
    const panel = document.getElementById(tab.getAttribute('aria-controls'));
    return !!panel && !!panel.querySelector('[data-testid=stElementContainer]');
}
"""


def open_tab(page: Page, name: str) -> None:
    """Click the tab `name` and wait until its content is fully drawn (states, not a pause)."""
    page.get_by_role("tab", name=name, exact=True).click()
    page.wait_for_function(_TAB_DRAWN_JS, arg=name, polling=50)
    wait_rendered(page)


def choose(page: Page, label: str, option: str) -> None:
    """Pick `option` in the selectbox labelled `label`."""
    page.get_by_role("combobox", name=label, exact=True).click()
    page.get_by_role("option", name=option, exact=True).click()


def selectbox_value(page: Page, label: str) -> str:
    return page.get_by_role("combobox", name=label, exact=True).input_value()


def chart_titles(page: Page) -> list[str]:
    return [title.text_content() or "" for title in page.locator(".js-plotly-plot .gtitle").all()]


def download_table_csv(page: Page, index: int = 0) -> str:
    """The CSV of the index-th st.dataframe, through its own toolbar, as the user would get it."""
    table = page.get_by_test_id("stDataFrame").nth(index)
    table.hover()
    with page.expect_download() as download:
        table.get_by_role("button", name="Download as CSV").click()
    return Path(download.value.path()).read_text(encoding="utf-8-sig")


def assert_no_exception(page: Page, log: Path) -> None:
    exceptions = page.get_by_test_id("stException")
    assert exceptions.count() == 0, f"{exceptions.all_inner_texts()}\n--- server log ---\n{server_log(log)}"
    errors = page.locator("[data-testid=stAlertContentError]")
    assert errors.count() == 0, errors.all_inner_texts()
