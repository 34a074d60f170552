"""How long validating and storing a return takes, against the targets of issue 2.

(a) one return (one authority, one quarter, one theme) stored into a database that already holds
    data (the demo network): median of several runs; target under 0.2 s.
(b) one combined advice file of all 153 English authorities x 40 consecutive quarters (ending
    2026-27 Q2) stored into a fresh database; target under 3 s.

Usage: .venv/bin/python scripts/bench_returns.py [--runs N] [--big-runs N]
Prints the figures and exits 1 if a target is missed. Works in a temporary folder; data/ is untouched.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmark import reference
from benchmark.db import close_database, open_database
from benchmark.definitions.standard import columns
from benchmark.demo import load_demo
from benchmark.intake.returns import store_file
from benchmark.intake.validation import validate
from benchmark.periods import Period, period_range

TODAY = dt.date(2026, 11, 23)  # fixed, so the run does not depend on the clock (current quarter 2026-27 Q3)
LAST_QUARTER = Period(2026, 2)
ONE_RETURN_TARGET = 0.2
COMBINED_TARGET = 3.0


def advice_row(rng: np.random.Generator, la_code: str, period: Period, notes: str = "") -> dict[str, object]:
    """Plausible advice figures that respect every rule of the standard (no more requests than children)."""
    requests = int(rng.integers(5, min(400, reference.population_for(la_code, period.end.year) or 400)))
    returned = int(rng.binomial(requests, 0.95))
    on_time = int(rng.binomial(returned, 0.7))
    audited = int(rng.binomial(returned, 0.3))
    issued = int(rng.binomial(requests, 0.8))
    return {
        "la_code": la_code, "period": period.label, "notes": notes,
        "adv_requests": f"{requests:,}", "adv_returned": returned, "adv_returned_6wk": on_time,
        "adv_late_exception": int(rng.binomial(returned - on_time, 0.2)),
        "adv_nil_returns": int(rng.binomial(returned, 0.25)), "adv_overdue_open": int(rng.integers(0, 20)),
        "adv_audited": audited, "adv_audited_good": int(rng.binomial(audited, 0.7)),
        "ehcp_issued": issued, "ehcp_issued_20wk": int(rng.binomial(issued, 0.5)),
        "ehcp_with_sc_provision": "c" if rng.random() < 0.05 else int(rng.binomial(issued, 0.3)),
    }


def advice_csv(rows: list[dict[str, object]]) -> bytes:
    """As Excel saves it: UTF-8 with a byte-order mark, CRLF."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, [spec.name for spec in columns("advice")], lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def timed_store(db, name: str, content: bytes) -> float:
    start = time.perf_counter()
    result = store_file(db, name, content, "benchmark", today=TODAY)
    elapsed = time.perf_counter() - start
    if result.status != "stored":
        raise SystemExit(f"{name} was not stored ({result.status}): {result.report.errors[:3]}")
    return elapsed


def bench_one_return(folder: Path, runs: int) -> tuple[list[float], int]:
    path = folder / "with_data.duckdb"
    db = open_database(path)
    started = time.perf_counter()
    load_demo(db)
    print(f"    (setup: demo network loaded in {time.perf_counter() - started:.1f} s)")
    held = int(db.scalar("SELECT count(*) FROM submissions"))
    rng = np.random.default_rng(1)
    # Camden's latest advice return, corrected again and again: each run stores (and supersedes).
    times = [timed_store(db, f"camden_advice_run{run}.csv",
                         advice_csv([advice_row(rng, "202", LAST_QUARTER, notes=f"correction {run}")]))
             for run in range(runs + 1)][1:]  # the first run warms caches and is left out
    close_database(path)
    return times, held


def bench_combined(folder: Path, runs: int) -> tuple[list[float], list[float], int]:
    authorities = list(reference.authorities())
    quarters = period_range(LAST_QUARTER.shift(-39), LAST_QUARTER)
    rng = np.random.default_rng(2)
    content = advice_csv([advice_row(rng, code, quarter) for code in authorities for quarter in quarters])
    rows = len(authorities) * len(quarters)
    totals, validations = [], []
    for run in range(runs):
        path = folder / f"fresh{run}.duckdb"
        db = open_database(path)
        start = time.perf_counter()
        report = validate("combined.csv", content, today=TODAY)
        validations.append(time.perf_counter() - start)
        if not report.ok or len(report.rows) != rows:
            raise SystemExit(f"the combined file is not valid: {report.errors[:3]}")
        totals.append(timed_store(db, "all_authorities_40_quarters.csv", content))
        close_database(path)
    return totals, validations, rows


def verdict(seconds: float, target: float) -> str:
    return "OK" if seconds < target else "MISSED"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="runs for the one-return timing (default 9)")
    parser.add_argument("--big-runs", type=int, default=3, help="runs for the combined file (default 3)")
    args = parser.parse_args()
    reference.authorities()  # reference data is loaded once per process, as in the dashboard
    reference.population_for("202", 2025)
    with tempfile.TemporaryDirectory() as folder:
        print("(a) one return: one authority, one quarter, one theme (advice), into a database holding data")
        one, held = bench_one_return(Path(folder), args.runs)
        one_median = statistics.median(one)
        print(f"    database held {held} submissions; validate+store median {one_median:.3f} s over {len(one)} runs "
              f"(min {min(one):.3f}, max {max(one):.3f}); target < {ONE_RETURN_TARGET} s: "
              f"{verdict(one_median, ONE_RETURN_TARGET)}")

        print("(b) one combined file: every English authority x 40 quarters (advice), into a fresh database")
        big, checks, rows = bench_combined(Path(folder), args.big_runs)
        big_median = statistics.median(big)
        print(f"    {len(reference.authorities())} authorities x 40 quarters = {rows:,} rows; validate+store median "
              f"{big_median:.2f} s over {len(big)} runs (min {min(big):.2f}, max {max(big):.2f}; validation alone "
              f"{statistics.median(checks):.2f} s); target < {COMBINED_TARGET:.0f} s: "
              f"{verdict(big_median, COMBINED_TARGET)}")
    return 0 if one_median < ONE_RETURN_TARGET and big_median < COMBINED_TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
