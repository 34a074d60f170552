"""Area SEND inspections: the published summary read as it is, inspections the chair records, and the
"likely next" list a chair keeps of members due an inspection.

The summary (Data to Insight's scrape of the reports) has real quirks, each handled here and never by
editing the file: dates written `dd/mm/yy` as text, `01/01/1900` for "none", `None` and "Next inspection
time frame not found" where the report gave no follow-up, `nan` for an authority with no grade. A newer
copy of the same file is read with no change of code as long as the columns in SUMMARY_COLUMNS are there.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import openpyxl
import pandas as pd

from benchmark import reference
from benchmark.access.rights import User, record, require_chair
from benchmark.db import Database
from benchmark.definitions.inspections import (
    NEXT_KIND_CHOICES,
    NEXT_KINDS,
    NO_DATE,
    OUTCOMES,
    SUMMARY_COLUMNS,
    SUMMARY_FILE,
)

BUNDLED_SUMMARY = reference.DATA_DIR / "published" / SUMMARY_FILE
FROM_FILE, RECORDED = "published summary", "recorded by the chair"
_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})$")


class SummaryLayoutChanged(ValueError):
    """The inspection summary no longer has the columns the loader reads."""


@dataclass(frozen=True)
class Inspection:
    la_code: str
    outcome: str | None  # one of OUTCOMES' words; None where the file gives no grade
    inspection_end: dt.date | None
    published: dt.date | None
    next_due_by: dt.date | None  # None: the report (or the file) does not say
    next_due_kind: str | None  # "full" or "monitoring"
    source: str = FROM_FILE


def parse_date(value: object) -> dt.date | None:
    """A summary date: a real date cell, or text `dd/mm/yy` or `dd/mm/yyyy`; `01/01/1900` and text that is not
    a date (such as "Last inspection date not provided") mean none."""
    if isinstance(value, dt.datetime):
        found = value.date()
    elif isinstance(value, dt.date):
        found = value
    else:
        match = _DATE.match(str(value or "").strip())
        if not match:
            return None
        day, month, year = (int(part) for part in match.groups())
        found = dt.date(2000 + year if year < 100 else year, month, day)
    return None if found == NO_DATE else found


def parse_outcome(value: object) -> str | None:
    """The grade as words: '2.0' or 2 is inconsistent experiences; blank or 'nan' is no grade."""
    try:
        grade = float(str(value).strip())
    except ValueError:
        return None
    return OUTCOMES.get(int(grade)) if grade == grade and grade.is_integer() else None


def read_summary(path: Path) -> list[Inspection]:
    """Every graded or dated inspection in the summary (one row per authority), read as the file is."""
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = next(ws for ws in workbook.worksheets if ws.sheet_state == "visible")
        rows = sheet.iter_rows(values_only=True)
        header = [str(cell or "").strip().lower() for cell in next(rows, ())]
        missing = [name for name in SUMMARY_COLUMNS if name not in header]
        if missing:
            raise SummaryLayoutChanged(
                f"{path.name}: the inspection summary has no column {', '.join(missing)} (its first row is "
                f"{', '.join(name for name in header if name) or 'empty'}): the file's layout has changed, so "
                "nothing was loaded")
        at = {name: header.index(name) for name in SUMMARY_COLUMNS}
        found = []
        for cells in rows:
            def cell(name: str, cells: tuple = cells) -> object:
                return cells[at[name]] if at[name] < len(cells) else None
            la_code = reference.resolve_authority(str(cell("la_code") or "").strip())
            if la_code is None:
                continue
            next_text = str(cell("next_inspection") or "").strip()
            kind = NEXT_KINDS.get(next_text)
            found.append(Inspection(
                la_code, parse_outcome(cell("outcome_grade")), parse_date(cell("inspection_end_date")),
                parse_date(cell("publication_date")),
                parse_date(cell("next_inspection_by_date")) if kind else None, kind))
        return found
    finally:
        workbook.close()


def load_summary(db: Database, actor: User, path: Path) -> int:
    """Replace the loaded summary with `path` (the chair's record of other inspections stays); audited."""
    require_chair(actor, "load the inspection summary")
    inspections = read_summary(path)
    with db.transaction() as cursor:
        cursor.execute("DELETE FROM inspections WHERE source = ?", [FROM_FILE])
        _insert(cursor, inspections, actor)
        record(cursor, actor, "inspection summary loaded", detail={"file": path.name, "rows": len(inspections)})
    return len(inspections)


def record_inspection(db: Database, actor: User, inspection: Inspection) -> Inspection:
    """The chair records an inspection the summary does not have yet; audited."""
    require_chair(actor, "record an inspection")
    end = inspection.inspection_end
    if end is None:
        raise ValueError("give the inspection's last day (--end)")
    for name in ("published", "next_due_by"):
        value = getattr(inspection, name)
        if value is not None and value < end:
            raise ValueError(f"{name} {value:%d/%m/%Y} is before the inspection ended ({end:%d/%m/%Y})")
    if inspection.outcome is not None and inspection.outcome not in OUTCOMES.values():
        raise ValueError(f"outcome must be one of: {'; '.join(OUTCOMES.values())}")
    if inspection.next_due_kind is not None and inspection.next_due_kind not in NEXT_KIND_CHOICES:
        raise ValueError(f"the next inspection is one of: {', '.join(NEXT_KIND_CHOICES)}")
    if (inspection.next_due_by is None) != (inspection.next_due_kind is None):
        raise ValueError("give both the next inspection's date and its kind (full or monitoring), or neither")
    recorded = Inspection(**{**asdict(inspection), "source": RECORDED})
    with db.transaction() as cursor:
        _insert(cursor, [recorded], actor)
        record(cursor, actor, "inspection recorded", la_code=recorded.la_code, detail=asdict(recorded))
    return recorded


def _insert(cursor: object, inspections: list[Inspection], actor: User) -> None:
    if not inspections:
        return
    frame = pd.DataFrame([asdict(item) for item in inspections])
    frame["recorded_at"] = dt.datetime.now()
    frame["recorded_by"] = actor.email
    cursor.register("new_inspections", frame)
    try:
        cursor.execute("INSERT INTO inspections SELECT la_code, outcome, inspection_end::DATE, published::DATE, "
                       "next_due_by::DATE, next_due_kind, source, recorded_at, recorded_by FROM new_inspections")
    finally:
        cursor.unregister("new_inspections")


def latest_inspections(db: Database) -> list[Inspection]:
    """Each authority's latest inspection: the loaded summary (or, before any is loaded, the copy shipped in
    data/published) with the chair's records; the later inspection wins, and the file on the same day."""
    stored = db.frame("SELECT la_code, outcome, inspection_end, published, next_due_by, next_due_kind, source "
                      "FROM inspections")
    items = [Inspection(**{key: (None if pd.isna(value) else value.date() if isinstance(value, pd.Timestamp)
                                 else value) for key, value in row.items()})
             for row in stored.to_dict("records")]
    if not any(item.source == FROM_FILE for item in items) and BUNDLED_SUMMARY.exists():
        items += read_summary(BUNDLED_SUMMARY)
    latest: dict[str, Inspection] = {}
    for item in sorted(items, key=lambda item: (item.inspection_end or dt.date.min, item.source == FROM_FILE)):
        latest[item.la_code] = item
    return list(latest.values())


def months_between(earlier: dt.date, later: dt.date) -> int:
    """Whole months from `earlier` to `later`."""
    return (later.year - earlier.year) * 12 + later.month - earlier.month - (later.day < earlier.day)


def likely_next(db: Database, members: list[str], today: dt.date | None = None) -> pd.DataFrame:
    """Members in the order a chair would expect them to be inspected: first those with no inspection in the
    summary or the chair's records, then a due date already passed, then by the due date, then by months since the last
    inspection (where the report gives no due date). Nothing is invented: a missing date stays missing."""
    today = today or dt.date.today()
    latest = {item.la_code: item for item in latest_inspections(db)}
    rows = []
    for la_code in members:
        item = latest.get(la_code)
        end = item.inspection_end if item else None
        due = item.next_due_by if item else None
        rows.append({
            "la_code": la_code,
            "la_name": reference.authority_name(la_code),
            "outcome": item.outcome if item else None,
            "inspection_end": end,
            "published": item.published if item else None,
            "next_due_by": due,
            "next_due_kind": item.next_due_kind if item else None,
            "months_since": months_between(end, today) if end else None,
            "due_passed": bool(due and due < today),
            "source": item.source if item else None,
        })
    never = dt.date.min

    def order(row: dict) -> tuple:
        if row["inspection_end"] is None and row["published"] is None:
            return (0, never, 0, row["la_name"])
        if row["next_due_by"] is not None:
            return (1, row["next_due_by"], 0, row["la_name"])
        # No due date: longest since the last inspection first; a report with no last day (only its
        # publication date) after those.
        return (2, never, -(row["months_since"] if row["months_since"] is not None else -1), row["la_name"])

    return pd.DataFrame(sorted(rows, key=order), columns=[
        "la_code", "la_name", "outcome", "inspection_end", "published", "next_due_by", "next_due_kind",
        "months_since", "due_passed", "source"], dtype=object)  # object: a missing date or month stays None
