"""Helpers the test modules share (fixtures live in conftest.py)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

import pandas as pd
from streamlit.testing.v1 import AppTest

from benchmark.definitions.standard import columns


def _messy(name: str, position: int) -> str:
    """Header names as people type them: capitals, spaces and hyphens for underscores, padding."""
    variants = (
        lambda text: " " + text.upper().replace("_", " ") + " ",
        lambda text: text.title().replace("_", "-"),
        lambda text: text.replace("_", " ").capitalize() + "  ",
    )
    return variants[position % len(variants)](name)


def return_csv(theme_id: str, rows: Sequence[dict], *, encoding: str = "utf-8", crlf: bool = False,
                messy_headers: bool = False, header: Sequence[str] | None = None,
                blank_rows: int = 0, blank_columns: int = 0) -> bytes:
    """CSV bytes for a theme file; `header` overrides the standard's columns (to drop or add some).

    `encoding` is utf-8, utf-8-sig (Excel's "CSV UTF-8", with a byte-order mark) or cp1252 (Excel's
    plain "CSV"); `blank_rows`/`blank_columns` add the empty trailing cells Excel leaves behind.
    """
    names = list(header) if header is not None else [spec.name for spec in columns(theme_id)]
    shown = [_messy(name, i) for i, name in enumerate(names)] if messy_headers else names
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n" if crlf else "\n")
    writer.writerow(shown + [""] * blank_columns)
    for row in rows:
        writer.writerow(["" if row.get(name) is None else row[name] for name in names] + [""] * blank_columns)
    for _ in range(blank_rows):
        writer.writerow([""] * (len(names) + blank_columns))
    return buffer.getvalue().encode(encoding)


# Any [auth] section makes sign-in configured; AppTest never talks to the provider.
AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "a-cookie-secret-for-tests-only",
    "client_id": "dsco-dashboard",
    "client_secret": "not-a-real-secret",
    "server_metadata_url": "http://localhost:1/.well-known/openid-configuration",
}


def signed_in_page(app: str, email: str, page: str, timeout: int = 120) -> AppTest:
    """`page` of the app as a signed-in member sees it (a first run registers app.py's navigation)."""
    at = AppTest.from_file(app, default_timeout=timeout)
    at.secrets["auth"] = dict(AUTH)
    at.user = {"is_logged_in": True, "email": email, "email_verified": True}
    at.run()
    at.switch_page(page)
    return at.run()


def static_tables(at: AppTest) -> list[pd.DataFrame]:
    """The page's static tables, as text: st.table's, and pandas' HTML tables shown through st.html (the rug)."""
    frames = [item.value for item in at.table]
    return frames + [frame.astype(str) for item in at.get("html") if "<table" in item.proto.body
                     for frame in pd.read_html(io.StringIO(item.proto.body), keep_default_na=False)]
