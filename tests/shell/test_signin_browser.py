"""Signing in for real (issue 6): `oidc-provider-mock` on localhost is the identity provider, the
dashboard is started by scripts/serve.py with an [auth] secrets file pointing at it, and Debian's
Chromium signs in as Camden's uploader (a member) and as someone who is not a member.
Screenshots go to artifacts/screenshots/signin_*.png.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import (
    ROOT,
    assert_no_exception,
    background_process,
    copy_database,
    download_table_csv,
    free_port,
    streamlit_server,
    wait_rendered,
)
from playwright.sync_api import Page

from benchmark.access import rights
from benchmark.db import close_database, open_database

pytestmark = pytest.mark.browser

SCREENSHOTS = ROOT / "artifacts" / "screenshots"
UPLOADER = "up@camden.gov.uk"
CHAIR = "chair@network.gov.uk"
STRANGER = "stranger@elsewhere.gov.uk"
SIGN_IN_TITLE = "DSCO network benchmarking"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("signin")


@pytest.fixture(scope="module")
def database(demo_build, folder: Path) -> Path:
    """A demo copy whose members are a chair and Camden's uploader; Islington shares anonymously.
    Closed again before the server opens it (DuckDB: one process per file)."""
    close_database(demo_build.path)
    path = copy_database(demo_build.path, folder / "demo.duckdb")
    db = open_database(path)
    chair = rights.add_member(db, rights.local_operator("test"), CHAIR, "chair", None)
    rights.add_member(db, chair, UPLOADER, "uploader", "202")
    rights.set_sharing(db, chair, "206", "anonymous")
    close_database(path)
    return path


@pytest.fixture(scope="module")
def provider(folder: Path) -> Iterator[str]:
    """oidc-provider-mock on a free localhost port, with the uploader and the stranger as its users."""
    port = free_port()
    log = folder / "oidc.log"
    command = [str(Path(sys.executable).parent / "oidc-provider-mock"), "--port", str(port)]
    for email in (UPLOADER, STRANGER):
        command += ["--user-claims", json.dumps({"sub": email, "email": email, "email_verified": True})]
    url = f"http://localhost:{port}"
    with background_process(command, f"{url}/.well-known/openid-configuration", log, "oidc-provider-mock"):
        yield url


@pytest.fixture(scope="module")
def server(database: Path, provider: str, folder: Path) -> Iterator[tuple[str, Path]]:
    """(base URL, log) of the dashboard as deployed: scripts/serve.py with [auth] in a secrets file."""
    port = free_port()
    url = f"http://localhost:{port}"
    secrets = folder / "secrets.toml"
    secrets.write_text(
        "[auth]\n"
        f'redirect_uri = "{url}/oauth2callback"\n'
        'cookie_secret = "a-cookie-secret-for-the-sign-in-test-only"\n'
        'client_id = "dsco-dashboard"\n'
        'client_secret = "any-secret-the-mock-accepts"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n',
        encoding="utf-8",
    )
    log = folder / "streamlit.log"
    with streamlit_server(database, log, port=port, secrets=secrets) as served:
        yield served, log


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"signin_{name}.png"), full_page=True)


def sign_in(page: Page, url: str, provider: str, email: str) -> None:
    """Open the dashboard, click Sign in, pick the user on the provider's page, come back."""
    page.goto(url + "/")
    wait_rendered(page, SIGN_IN_TITLE)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{provider}/oauth2/authorize**")
    assert page.get_by_role("heading", name="Authorize Client").count() == 1
    if email == UPLOADER:
        screenshot(page, "provider")
    page.get_by_role("button", name=email, exact=True).click()
    page.wait_for_url(f"{url}/**")


def data_on_page(page: Page) -> int:
    return (page.get_by_test_id("stDataFrame").count() + page.get_by_test_id("stPlotlyChart").count()
            + page.get_by_test_id("stMetric").count())


def test_deep_link_on_a_fresh_server_asks_to_sign_in(page: Page, server: tuple[str, Path]) -> None:
    """The first visitor of a fresh server follows a link to a page: app.py decides, not the page."""
    url, log = server
    page.goto(url + "/my_authority?la=202")
    wait_rendered(page, SIGN_IN_TITLE)
    assert_no_exception(page, log)
    assert page.locator("h1").first.inner_text().strip() == SIGN_IN_TITLE
    assert page.get_by_role("button", name="Sign in").count() == 1
    assert data_on_page(page) == 0
    assert page.get_by_test_id("stSidebarNav").count() == 0, "the navigation is shown before sign-in"
    screenshot(page, "start")


def test_uploader_signs_in_and_sees_the_network(page: Page, server: tuple[str, Path], provider: str) -> None:
    url, log = server
    sign_in(page, url, provider, UPLOADER)
    wait_rendered(page, "Network overview")
    assert_no_exception(page, log)
    sidebar = page.get_by_test_id("stSidebar").inner_text()
    assert f"Signed in as {UPLOADER} (Uploader, Camden)" in " ".join(sidebar.split())
    assert page.get_by_role("button", name="Sign out").count() == 1
    links = page.get_by_test_id("stSidebarNav").locator("a").all_inner_texts()
    labels = [text.splitlines()[-1].strip() for text in links]
    assert "Network overview" in labels and "Upload" in labels and "Administration" not in labels
    assert page.get_by_test_id("stDataFrame").count() == 1, "the tracker (the rug is in the other tab)"
    screenshot(page, "uploader")  # before the grid's toolbar scrolls the page
    tracker = list(csv.DictReader(io.StringIO(download_table_csv(page, 0))))
    names = {row["Authority"] for row in tracker}
    # Islington alone shares anonymously: a lone letter would be Islington, so the tracker leaves it out
    assert len(tracker) == 32 and "Camden" in names
    assert "Islington" not in names, "an anonymous authority is named to a peer"
    assert not any(name.startswith("Authority ") for name in names)


def test_non_member_signs_in_and_sees_no_data(page: Page, server: tuple[str, Path], provider: str) -> None:
    url, log = server
    sign_in(page, url, provider, STRANGER)
    page.get_by_text("ask your network chair").wait_for()
    wait_rendered(page)
    assert_no_exception(page, log)
    assert STRANGER in page.get_by_test_id("stAlertContainer").first.inner_text()
    assert page.get_by_role("button", name="Sign out").count() == 1
    assert page.get_by_role("button", name="Sign in").count() == 0
    assert data_on_page(page) == 0
    assert page.get_by_test_id("stSidebarNav").count() == 0
    screenshot(page, "not_member")
