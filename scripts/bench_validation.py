"""How long validating a hostile or huge return takes, and how much memory, against issues 11 and 17's
targets, while another visitor's page keeps answering.

Each case runs in its own process (so peak memory is that case's alone) and must be refused or
validated in under 5 s, with under 500 MB more memory in the server's process and in the process
that reads the file (benchmark.intake.containment), while a thread in the server's process answers a
page-sized request every 50 ms in under 1 s (the concurrent reader: a pandas group-by over 20,000 rows,
about what a page's rerun costs; its slowest answer is reported).

  csv_20mb          a 20 MB CSV: the same advice row repeated (refused: too many rows)
  csv_largest       every English authority x every quarter since 2015-16 (validates: the largest real file)
  csv_wide          20,000 columns x 20,000 rows, the file that took 53 s (refused: too many cells in a row)
  xlsx_1m_rows      a 1,000,000-row .xlsx of advice rows (refused: unpacked size)
  xlsx_1m_sparse    a 1,048,001-row .xlsx of one cell per row, 1.3 MB packed (refused: too many rows)
  styles_run        issue 17: styles.xml a run of 15 million empty elements, 63 KB packed
  workbook_run      issue 17: the same in workbook.xml
  row_15m_cells     issue 17: one row of 15 million cells
  sheets_200k       issue 17: 200,000 sheets
  strings_1m        issue 17: a million shared strings
  commas_20mb       issue 17: 20 MB of commas (the true reason, not "empty")
  split_entity      issue 17: DOCTYPE and ENTITY split across 64 KiB chunks, an entity of entities
  cli_800mb         issue 17: an 800 MB CSV given to `python -m benchmark validate` (its whole process's peak
                    memory; its time beyond the same command on a one-row file)

Usage: .venv/bin/python scripts/bench_validation.py [CASE...]
Prints one line per case and exits 1 if a target is missed. Builds its files in a temporary folder; data/ is
untouched.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import resource
import subprocess
import sys
import tempfile
import threading
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


_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_BOOK = (f'<workbook {_NS} xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
         '<sheet name="Return" sheetId="1" r:id="rId1"/></sheets></workbook>').encode()


def _xlsx(sheet_rows: Callable[[], Iterator[bytes]], parts: dict[str, Callable[[], Iterator[bytes]]] | None = None,
          book: Callable[[], Iterator[bytes]] | None = None) -> bytes:
    """A minimal workbook (as Excel lays it out) whose one sheet holds `sheet_rows`; `parts` adds parts
    (written as streamed), `book` replaces the list of sheets."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                         'package/2006/content-types"/>')
        with archive.open("xl/workbook.xml", "w") as part:
            for chunk in book() if book else iter([_BOOK]):
                part.write(chunk)
        archive.writestr("xl/_rels/workbook.xml.rels", '<Relationships xmlns="http://schemas.openxmlformats.org/package/'
                         '2006/relationships"><Relationship Id="rId1" Type="worksheet" Target="worksheets/sheet1.xml"/>'
                         '</Relationships>')
        for name, chunks in (parts or {}).items():
            with archive.open(name, "w") as part:
                for chunk in chunks():
                    part.write(chunk)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(f'<worksheet {_NS}><sheetData>'.encode())
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


def _header_rows() -> Iterator[bytes]:
    header = "".join(_inline(f"{letter}1", name) for letter, name in zip("ABCDEFGHIJKLMN", ADVICE, strict=True))
    yield f'<row r="1">{header}</row><row r="2">{_inline("A2", "Camden")}<c r="B2" t="s"><v>0</v></c></row>'.encode()


def _repeated(prefix: bytes, item: bytes, count: int, suffix: bytes) -> Callable[[], Iterator[bytes]]:
    def chunks() -> Iterator[bytes]:
        yield prefix
        block = item * 100_000
        for _ in range(count // 100_000):
            yield block
        yield item * (count % 100_000)
        yield suffix
    return chunks


def styles_run() -> bytes:
    return _xlsx(_header_rows, {"xl/styles.xml": _repeated(f"<styleSheet {_NS}>".encode(), b"<x/>", 15_000_000,
                                                           b"</styleSheet>")})


def workbook_run() -> bytes:
    return _xlsx(_header_rows, book=_repeated(f"<workbook {_NS}>".encode(), b"<x/>", 15_000_000, b"</workbook>"))


def row_15m_cells() -> bytes:
    return _xlsx(_repeated(b'<row r="1">', b"<c/>", 15_000_000, b"</row>"))


def sheets_200k() -> bytes:
    def book() -> Iterator[bytes]:
        yield f"<workbook {_NS}><sheets>".encode()
        yield b"".join(f'<sheet name="S{n}" sheetId="{n}"/>'.encode() for n in range(200_000))
        yield b"</sheets></workbook>"
    return _xlsx(_header_rows, book=book)


def strings_1m() -> bytes:
    def table() -> Iterator[bytes]:
        yield f"<sst {_NS}>".encode()
        for start in range(0, 1_000_000, 100_000):
            yield b"".join(f"<si><t>{n}</t></si>".encode() for n in range(start, start + 100_000))
        yield b"</sst>"
    return _xlsx(_header_rows, {"xl/sharedStrings.xml": table})


def commas_20mb() -> bytes:
    return b"," * (20 * 1024 * 1024 - 1)


def split_entity() -> bytes:
    """A billion-laughs entity whose DOCTYPE and ENTITY each straddle a 64 KiB boundary of the part."""
    start = f"<!--{' ' * ((1 << 16) - len('<!---->') - 5)}-->".encode() + b"<!DOCTYPE worksheet [<!--"
    start += b" " * ((2 << 16) - len(start) - len("--><!ENT")) + b"-->"
    laughs = b'<!ENTITY l0 "ha">' + b"".join(f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">'.encode() for n in range(1, 10))
    sheet = start + laughs + f']><worksheet {_NS}><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&l9;</t>' \
        f"</is></c></row></sheetData></worksheet>".encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(_xlsx(_header_rows))) as source, \
            zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in source.infolist():
            archive.writestr(item.filename, sheet if item.filename.endswith("sheet1.xml") else source.read(item))
    return buffer.getvalue()


CASES = {"csv_20mb": ("big.csv", csv_20mb), "csv_largest": ("all.csv", csv_largest), "csv_wide": ("wide.csv", csv_wide),
         "xlsx_1m_rows": ("big.xlsx", xlsx_1m_rows), "xlsx_1m_sparse": ("sparse.xlsx", xlsx_1m_sparse),
         "styles_run": ("styles.xlsx", styles_run), "workbook_run": ("book.xlsx", workbook_run),
         "row_15m_cells": ("row.xlsx", row_15m_cells), "sheets_200k": ("sheets.xlsx", sheets_200k),
         "strings_1m": ("strings.xlsx", strings_1m), "commas_20mb": ("commas.csv", commas_20mb),
         "split_entity": ("entity.xlsx", split_entity), "cli_800mb": ("huge.csv", None)}
LATENCY_TARGET = 1.0


def _status_mb(field: str, pid: int | str = "self") -> float:
    """A process's VmHWM (peak) or VmRSS in MB, from /proc (unlike ru_maxrss, not inherited)."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return 0.0
    return next((int(line.split()[1]) / 1024 for line in lines if line.startswith(f"{field}:")), 0.0)


class PageReader:
    """Another visitor: a page-sized request every 50 ms on its own thread, timed."""

    def __init__(self) -> None:
        import numpy as np
        import pandas as pd

        rng = np.random.default_rng(0)
        self.frame = pd.DataFrame({"la": rng.integers(0, 153, 20_000), "value": rng.random(20_000)})
        self.slowest = 0.0
        self.answers = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stopping.wait(0.05):
            start = time.perf_counter()
            self.frame.groupby("la")["value"].agg(["mean", "median", "count"])
            self.slowest = max(self.slowest, time.perf_counter() - start)
            self.answers += 1

    def __enter__(self) -> PageReader:
        self.thread.start()
        time.sleep(0.2)
        return self

    def __exit__(self, *_: object) -> None:
        self.stopping.set()
        self.thread.join()


def run_case(path: Path) -> dict:
    """Time validating a file read from disk, as an upload costs the dashboard's process, while
    another visitor's requests are answered on another thread."""
    from benchmark.intake import containment, reading

    content = path.read_bytes()
    reference.authorities()
    reference.population_for("202", 2025)
    reading.prewarm()
    validate("warm.csv", ",".join(ADVICE).encode() + b"\r\n" + ADVICE_ROW.encode(), today=TODAY)
    before_mb = _status_mb("VmRSS")
    with PageReader() as reader:
        start = time.perf_counter()
        report = validate(path.name, content, today=TODAY)
        seconds = time.perf_counter() - start
        time.sleep(0.1)
    server_mb = _status_mb("VmHWM") - before_mb
    workers = [worker.process.pid for worker in containment._idle]
    reader_mb = max([_status_mb("VmHWM", pid) for pid in workers]
                    + [resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024])
    outcome = f"valid, {len(report.rows):,} rows" if report.ok else f"refused: {report.errors[0].message}"
    return {"bytes": len(content), "seconds": seconds, "server_mb": server_mb, "reader_mb": reader_mb,
            "slowest_page": reader.slowest, "answers": reader.answers, "outcome": outcome}


def run_command_line(path: Path) -> dict:
    """An 800 MB CSV given to the command line: its process's peak memory, and its time beyond the same
    command on a one-row file (the command's own start-up is not the file's cost)."""
    with path.open("wb") as file:  # sparse: 800 MB long, no disk used
        file.truncate(800 * 1024 * 1024)
    small = path.with_name("small.csv")
    small.write_text(",".join(ADVICE) + "\r\n" + ADVICE_ROW + "\r\n")
    timings = {}
    for name in (path, small):
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "benchmark", "validate", str(name)], capture_output=True,
                              text=True, cwd=Path(__file__).resolve().parents[1], check=False)
        timings[name] = time.perf_counter() - start
        if name == path:
            peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            outcome = f"exit {done.returncode}: {done.stderr.strip()}"
    small.unlink()
    return {"bytes": path.stat().st_size, "seconds": max(0.0, timings[path] - timings[small]), "server_mb": peak_mb,
            "reader_mb": 0.0, "slowest_page": 0.0, "answers": 0, "outcome": outcome}


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] in ("--file", "--command-line"):
        runner = run_case if sys.argv[1] == "--file" else run_command_line
        print(json.dumps(runner(Path(sys.argv[2]))))
        return 0
    wanted = sys.argv[1:] or list(CASES)
    unknown = [name for name in wanted if name not in CASES]
    if unknown:
        print(f"unknown case(s): {', '.join(unknown)}; choose from {', '.join(CASES)}", file=sys.stderr)
        return 2
    missed = False
    print(f"targets: under {SECONDS_TARGET:g} s, under {MEMORY_TARGET_MB} MB more memory in the server's process and "
          f"in the reading process, another visitor's page answered in under {LATENCY_TARGET:g} s")
    folder = Path(tempfile.mkdtemp(prefix="bench_validation_"))
    for name in wanted:
        file_name, build = CASES[name]
        path = folder / f"{name}_{file_name}"
        if build is not None:
            path.write_bytes(build())
        mode = "--file" if build is not None else "--command-line"
        done = subprocess.run([sys.executable, __file__, mode, str(path)], capture_output=True, text=True, check=True)
        path.unlink(missing_ok=True)
        result = json.loads(done.stdout)
        ok = (result["seconds"] < SECONDS_TARGET and result["server_mb"] < MEMORY_TARGET_MB
              and result["reader_mb"] < MEMORY_TARGET_MB and result["slowest_page"] < LATENCY_TARGET)
        missed |= not ok
        print(f"{name:<15} {result['bytes'] / 1e6:7.1f} MB  {result['seconds']:6.2f} s  "
              f"server +{result['server_mb']:4.0f} MB  reader {result['reader_mb']:4.0f} MB  "
              f"page max {result['slowest_page'] * 1000:5.0f} ms ({result['answers']} answers)  "
              f"{'OK' if ok else 'MISSED'}  {result['outcome'][:100]}")
    folder.rmdir()
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
