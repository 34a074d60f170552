"""How long validating a hostile or huge return takes, and how much memory, against issue 11's targets.

Each case runs in its own process (so peak memory is that case's alone) and must be refused or
validated in under 5 s with a peak resident memory under 500 MB:

  csv_20mb        a 20 MB CSV: the same advice row repeated (refused: too many rows)
  csv_largest     every English authority x every quarter since 2015-16 (validates: the largest real file)
  csv_wide        20,000 columns x 20,000 rows, the file that took 53 s (refused: too many columns)
  xlsx_1m_rows    a 1,000,000-row .xlsx of advice rows (refused: unpacked size)
  xlsx_1m_sparse  a 1,048,001-row .xlsx of one cell per row, 1.3 MB packed (refused: too many rows)

Usage: .venv/bin/python scripts/bench_validation.py [CASE...]
Prints one line per case and exits 1 if a target is missed. Builds its files in memory; data/ is untouched.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmark import reference
from benchmark.definitions.standard import columns
from benchmark.intake.validation import validate
from benchmark.periods import EARLIEST_START_YEAR, Period, period_range

TODAY = dt.date(2026, 11, 23)  # fixed, so the run does not depend on the clock
SECONDS_TARGET = 5.0
MEMORY_TARGET_MB = 500
ADVICE = [spec.name for spec in columns("advice")]
ADVICE_ROW = "Camden,2025-26 Q1,,48,45,37,3,9,4,15,11,40,21,14"


def csv_20mb() -> bytes:
    header = ",".join(ADVICE)
    repeats = (20 * 1024 * 1024 - len(header) - 10) // (len(ADVICE_ROW) + 2)
    return (header + "\r\n" + (ADVICE_ROW + "\r\n") * repeats).encode()


def csv_largest() -> bytes:
    quarters = period_range(Period(EARLIEST_START_YEAR, 1), Period.current(TODAY))
    lines = [",".join(ADVICE)]
    for code in reference.authorities():
        for quarter in quarters:
            lines.append(f"{code},{quarter},,48,45,37,3,9,4,15,11,40,21,14" if code != "420"
                         else f"{code},{quarter},,8,5,3,1,1,0,2,1,4,2,1")
    return ("\r\n".join(lines) + "\r\n").encode()


def csv_wide() -> bytes:
    header = ",".join(ADVICE + [f"extra_{number}" for number in range(20_000 - len(ADVICE))])
    return (header + "\r\n" + (ADVICE_ROW + "\r\n") * 20_000).encode()


def _xlsx(sheet_rows: Callable[[], Iterator[bytes]]) -> bytes:
    """A minimal workbook (as Excel lays it out) whose one sheet holds `sheet_rows`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                         'package/2006/content-types"/>')
        archive.writestr("xl/workbook.xml", '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
                         'main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
                         '<sheet name="Return" sheetId="1" r:id="rId1"/></sheets></workbook>')
        archive.writestr("xl/_rels/workbook.xml.rels", '<Relationships xmlns="http://schemas.openxmlformats.org/package/'
                         '2006/relationships"><Relationship Id="rId1" Type="worksheet" Target="worksheets/sheet1.xml"/>'
                         '</Relationships>')
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
            for chunk in sheet_rows():
                sheet.write(chunk)
            sheet.write(b"</sheetData></worksheet>")
    return buffer.getvalue()


def _inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def xlsx_1m_rows() -> bytes:
    def rows() -> Iterator[bytes]:
        letters = "ABCDEFGHIJKLMN"
        header = "".join(_inline(f"{letters[i]}1", name) for i, name in enumerate(ADVICE))
        yield f'<row r="1">{header}</row>'.encode()
        for number in range(2, 1_000_002):
            figures = "".join(f'<c r="{letters[i]}{number}"><v>{value}</v></c>'
                              for i, value in enumerate((48, 45, 37, 3, 9, 4, 15, 11, 40, 21, 14), start=3))
            yield (f'<row r="{number}">{_inline(f"A{number}", "202")}{_inline(f"B{number}", "2025-26 Q1")}'
                   f'{figures}</row>').encode()
    return _xlsx(rows)


def xlsx_1m_sparse() -> bytes:
    def rows() -> Iterator[bytes]:
        header = "".join(_inline(f"{letter}1", name) for letter, name in zip("ABCDEFGHIJKLMN", ADVICE, strict=True))
        yield f'<row r="1">{header}</row>'.encode()
        for n in range(2, 1_048_002):
            yield f'<row r="{n}"><c r="A{n}"><v>1</v></c></row>'.encode()
    return _xlsx(rows)


CASES = {"csv_20mb": ("big.csv", csv_20mb), "csv_largest": ("all.csv", csv_largest), "csv_wide": ("wide.csv", csv_wide),
         "xlsx_1m_rows": ("big.xlsx", xlsx_1m_rows), "xlsx_1m_sparse": ("sparse.xlsx", xlsx_1m_sparse)}


def _peak_resident_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited from the parent)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_case(path: Path) -> dict:
    """Time validating a file read from disk: what an upload costs the dashboard's process."""
    content = path.read_bytes()
    file_name = path.name
    reference.authorities()
    reference.population_for("202", 2025)
    start = time.perf_counter()
    report = validate(file_name, content, today=TODAY)
    seconds = time.perf_counter() - start
    peak_mb = _peak_resident_mb()
    outcome = f"valid, {len(report.rows):,} rows" if report.ok else f"refused: {report.errors[0].message}"
    return {"bytes": len(content), "seconds": seconds, "peak_mb": peak_mb, "outcome": outcome}


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--file":
        print(json.dumps(run_case(Path(sys.argv[2]))))
        return 0
    wanted = sys.argv[1:] or list(CASES)
    unknown = [name for name in wanted if name not in CASES]
    if unknown:
        print(f"unknown case(s): {', '.join(unknown)}; choose from {', '.join(CASES)}", file=sys.stderr)
        return 2
    missed = False
    print(f"targets: under {SECONDS_TARGET:g} s and {MEMORY_TARGET_MB} MB peak resident memory (the whole process "
          "that reads and checks the file) per case")
    folder = Path(tempfile.mkdtemp(prefix="bench_validation_"))
    for name in wanted:
        file_name, build = CASES[name]
        path = folder / f"{name}_{file_name}"
        path.write_bytes(build())
        done = subprocess.run([sys.executable, __file__, "--file", str(path)], capture_output=True, text=True,
                              check=True)
        path.unlink()
        result = json.loads(done.stdout)
        ok = result["seconds"] < SECONDS_TARGET and result["peak_mb"] < MEMORY_TARGET_MB
        missed |= not ok
        print(f"{name:<15} {result['bytes'] / 1e6:6.1f} MB  {result['seconds']:6.2f} s  "
              f"peak {result['peak_mb']:5.0f} MB  {'OK' if ok else 'MISSED'}  {result['outcome'][:110]}")
    folder.rmdir()
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
