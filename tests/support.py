"""Helpers the test modules share (fixtures live in conftest.py)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from benchmark.intake.standard import columns


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
