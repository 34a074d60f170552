"""The SEND Tribunal appeal rate table, read as it is published: a spreadsheet laid out for print, not an EES
tidy file. A title row, blank rows, a row of years each heading three columns (the latest year five: two more
"in development"), a row of column names with footnote markers ("Appeals registered4"), region headings in
capitals between the authorities, footnotes below, `..` not available, `~` suppressed and ` - ` for none.

`tidy` turns it into the EES layout the published-measure loader already reads, so the appeal rate joins the
catalogue like any other published measure. A layout it does not recognise is refused with what was expected.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pandas as pd

TITLE = "SEND Appeal rate table"
FILE_START = "SEND Tribunals"
HEADING = ("local authority", "la code")
# The sub-heading (footnote markers dropped) and the indicator column it becomes.
INDICATORS = {
    "appeals registered": "appeals_registered",
    "total appealable decisions": "appealable_decisions",
    "send tribunal appeal rate": "appeal_rate",
}
ENGLAND = "england total"
# The table's symbols as EES writes them: `..` not available, `~` suppressed, `-` none.
SYMBOLS = {"..": "x", "~": "c", "-": "0"}
_FOOTNOTE = re.compile(r"[\d,]+$")
_YEAR = re.compile(r"^(19|20)\d{2}$")


class TribunalLayoutChanged(ValueError):
    """The appeal rate table is no longer laid out as this reader expects."""


def _text(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1252")


def is_tribunal_table(path: Path) -> bool:
    """Whether `path` is the appeal rate table (by its name or its title), not an EES file."""
    if path.name.startswith(FILE_START):
        return True
    with path.open("rb") as handle:
        start = _text(handle.read(200)).lstrip('"')
    return start.startswith(TITLE)


def _heading(cell: str) -> str:
    return _FOOTNOTE.sub("", cell.strip()).strip().lower()


def _value(cell: str) -> str:
    text = cell.strip()
    return SYMBOLS.get(text, text.removesuffix("%")) if text else "x"  # blank: an authority not yet formed


def tidy(path: Path) -> pd.DataFrame:
    """The table as EES tidy rows (every cell text): one row per authority (and England) and year, indicators
    appeals_registered, appealable_decisions and appeal_rate (percent, as printed to 0.1)."""
    rows = list(csv.reader(io.StringIO(_text(path.read_bytes()))))
    start = next((number for number, cells in enumerate(rows)
                  if tuple(cell.strip().lower() for cell in cells[:2]) == HEADING), None)
    if start is None or start + 1 >= len(rows):
        raise TribunalLayoutChanged(
            f"{path.name}: no heading row starting 'Local Authority, LA code' followed by a row of column names: "
            "the appeal rate table's layout has changed, so nothing was loaded")
    years, names = rows[start], rows[start + 1]
    columns: dict[int, tuple[str, str]] = {}  # position -> (year, indicator)
    year = None
    for position in range(2, len(years)):
        cell = years[position].strip()
        if _YEAR.match(cell):
            year = cell
        indicator = INDICATORS.get(_heading(names[position]) if position < len(names) else "")
        if year and indicator and (year, indicator) not in columns.values():
            columns[position] = (year, indicator)
    found_years = sorted({year for year, _ in columns.values()})
    incomplete = [year for year in found_years if sum(1 for y, _ in columns.values() if y == year) != 3]
    if not found_years or incomplete:
        raise TribunalLayoutChanged(
            f"{path.name}: expected each year heading over the columns 'Appeals registered', 'Total Appealable "
            f"Decisions' and 'SEND Tribunal Appeal Rate'"
            + (f"; {', '.join(incomplete)} has not all three" if incomplete else "; no year heading found")
            + ": the appeal rate table's layout has changed, so nothing was loaded")
    tidy_rows = []
    for cells in rows[start + 2:]:
        name = _FOOTNOTE.sub("", cells[0].strip()).strip() if cells else ""
        code = cells[1].strip() if len(cells) > 1 else ""
        national = name.lower() == ENGLAND
        if not national and not code.isdigit():
            continue  # blank rows, region headings, authorities since merged (no code), notes under the table
        by_year: dict[str, dict[str, str]] = {}
        for position, (year, indicator) in columns.items():
            by_year.setdefault(year, {})[indicator] = _value(cells[position]) if position < len(cells) else ""
        for year, values in by_year.items():
            tidy_rows.append({
                "time_period": year, "time_identifier": "Calendar year",
                "geographic_level": "National" if national else "Local authority",
                "country_code": "E92000001", "country_name": "England", "region_code": "", "region_name": "",
                "new_la_code": "", "old_la_code": "" if national else code, "la_name": "" if national else name,
                **values,
            })
    if not tidy_rows:
        raise TribunalLayoutChanged(f"{path.name}: no authority rows under the heading: nothing was loaded")
    return pd.DataFrame(tidy_rows, dtype=str)
