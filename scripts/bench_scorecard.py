"""How long the full scorecard takes at national scale, beside a plain DuckDB read of the same rows.

Builds, once, a temporary DuckDB file holding 153 authorities x 40 consecutive quarters (ending
2026-27 Q2) x every theme of plausible random figures, stored the way a network stores them: one
combined return file per theme (6,120 rows each) through `benchmark.intake.returns.store_file`. Then, in
the same run, times

  * the full `engine.scorecard(db)`: every metric, every authority, every quarter, with ranks,
    bands, medians, funnel positions, neighbours, rolling four quarters and trends; the engine's
    cache is cleared before each run so that every run computes everything from the database;
  * the baseline: `SELECT * FROM current_values` fetched to pandas (the same stored rows, no
    statistics);

each as the median of 5 runs, and prints both, their ratio and the targets (scorecard under 0.3 s and
no more than 3x the plain query).

It then adds breakdowns (data standard version 2) of every authority and quarter: each count the
inequalities measures read, split by DfE's 19 ethnic categories (plus Unclassified), sex, age band and
primary need (about 1.8 million stored cells), loads DfE's requests and timeliness files and the school
census, and times the whole inequalities table for the last quarter: every measure, breakdown, group and
authority (`analysis.inequalities.table`, cache cleared before each run; target under 1 s).

    .venv/bin/python scripts/bench_scorecard.py [--runs 5] [--seed 2026] [--strict]
                                                [--scorecard-only | --inequalities-only]

`--strict` exits 1 when a target is missed; `--scorecard-only` skips the breakdowns and the inequalities
table (and their target); `--inequalities-only` builds the same data but times only the inequalities table
(the scorecard's timings are skipped, and so are its targets).
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
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmark import reference  # noqa: E402
from benchmark.analysis import engine, inequalities  # noqa: E402
from benchmark.analysis.published import load_published  # noqa: E402
from benchmark.db import Database, close_database, open_database  # noqa: E402
from benchmark.definitions.breakdowns import BREAKDOWNS  # noqa: E402
from benchmark.definitions.standard import THEMES, columns  # noqa: E402
from benchmark.intake.returns import store_file  # noqa: E402
from benchmark.periods import Period, period_range  # noqa: E402

TODAY = dt.date(2026, 11, 23)
LAST = Period.parse("2026-27 Q2")
QUARTERS = 40
TARGET_SECONDS = 0.3  # issue 18: the speed a meeting needs
TARGET_RATIO = 3.0
INEQUALITY_TARGET_SECONDS = 1.0  # issue 19: the whole inequalities table for one period


def _rows(theme_id: str, authorities: list[str], periods: list[Period], rng: np.random.Generator) -> list[list]:
    """Plausible figures that respect every bound of the standard; about 1% of cells are `c` or blank."""
    rows = []
    for la in authorities:
        # Scale with the authority: about 1 advice request a quarter per 1,000 children aged 0-17.
        size = max(reference.population_for(la, LAST.end.year) or 40_000, 1_000) / 1_000
        for period in periods:
            if theme_id == "advice":
                requests = int(rng.poisson(size * 1.2)) + 1
                returned = int(rng.binomial(requests, 0.9))
                on_time = int(rng.binomial(returned, rng.uniform(0.4, 0.95)))
                exception = int(rng.binomial(returned - on_time, 0.2))
                nil = int(rng.binomial(returned, 0.2))
                audited = int(rng.binomial(returned, 0.3))
                issued = int(rng.poisson(size)) + 1
                values = [requests, returned, on_time, exception, nil, int(rng.poisson(size * 0.1)), audited,
                          int(rng.binomial(audited, 0.7)), issued, int(rng.binomial(issued, 0.5)),
                          int(rng.binomial(issued, 0.35))]
            elif theme_id == "short_breaks":
                total = int(rng.poisson(size * 10)) + 1
                overnight = int(rng.binomial(total, 0.1))
                reviewed = period.end - dt.timedelta(days=int(rng.integers(0, 900)))
                values = [total, overnight, int(rng.binomial(total, 0.7)), int(rng.binomial(total, 0.3)),
                          int(rng.binomial(overnight * 10, 0.9)), round(float(rng.gamma(4, total * 600)), 2),
                          int(rng.poisson(size * 1.5)), int(rng.integers(10, 90)), int(rng.poisson(size * 0.3)),
                          reviewed.isoformat()]
            elif theme_id == "transitions":
                reviews = int(rng.poisson(size * 1.5)) + 1
                turning = int(rng.poisson(size * 0.8)) + 1
                turned = int(rng.poisson(size * 0.25)) + 1
                values = [reviews, int(rng.binomial(reviews, 0.65)), turning, int(rng.binomial(turning, 0.6)),
                          turned, int(rng.binomial(turned, 0.6)), int(rng.binomial(turned, 0.5))]
            elif theme_id == "residential":
                placed = int(rng.poisson(size * 0.15)) + 1
                values = [placed, *(int(rng.binomial(placed, share)) for share in (0.3, 0.6, 0.4, 0.8, 0.5, 0.7)),
                          int(rng.poisson(size * 0.02)), int(rng.poisson(size * 0.01))]
            else:  # dsco_role: answers, never suppressed
                answers = [rng.choice(["Yes", "Yes", "Yes", "Recruiting"]), round(float(rng.uniform(0.4, 1.0)), 1),
                           *(rng.choice(["Yes", "Yes", "No", "In progress"]) for _ in range(8))]
                rows.append([la, period.label, "", *(str(answer) for answer in answers)])
                continue
            if theme_id == "advice":  # social care in annual reviews (optional fields)
                known = int(rng.poisson(size * 0.4)) + 1
                values += [known, int(rng.binomial(known, 0.6))]
            cells = [str(value) for value in values]
            for position in np.flatnonzero(rng.random(len(cells)) < 0.01):
                cells[position] = "c" if rng.random() < 0.5 else ""
            rows.append([la, period.label, "", *cells])
    return rows


def build(db: Database, seed: int) -> float:
    """Store a national file for every theme; returns the seconds it took."""
    rng = np.random.default_rng(seed)
    authorities = list(reference.authorities())
    periods = period_range(LAST.shift(-(QUARTERS - 1)), LAST)
    started = time.perf_counter()
    for theme_id in THEMES:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([spec.name for spec in columns(theme_id)])
        writer.writerows(_rows(theme_id, authorities, periods, rng))
        result = store_file(db, f"national_{theme_id}.csv", buffer.getvalue().encode("utf-8"), "bench_scorecard",
                            submitted_at=dt.datetime(2026, 11, 2, 9), today=TODAY)
        if result.status != "stored":
            raise SystemExit(f"{theme_id}: not stored: {result.message}")
        print(f"  stored {theme_id}: {len(result.report.rows):,} rows, {len(result.report.warnings):,} warnings")
    return time.perf_counter() - started


# The counts the inequalities measures read, and for a part the whole it is taken from.
BREAKDOWN_FIELDS = {"sb_children_total": None, "sb_children_waiting": None, "adv_returned": None,
                    "adv_returned_6wk": "adv_returned", "pfa_turned_18": None,
                    "pfa_care_act_before_18": "pfa_turned_18", "pfa_services_at_18": "pfa_turned_18"}
PUBLISHED = ROOT / "data" / "published"


def build_breakdowns(db: Database, seed: int) -> tuple[float, int]:
    """Split every stored count the measures read by each breakdown (wholes by fixed shares, parts within their
    group's whole), store them beside their submission, and load DfE's files; returns (seconds, cells)."""
    rng = np.random.default_rng(seed)
    started = time.perf_counter()
    values = db.frame("SELECT r.submission_id, v.la_code, v.period_index, v.field, v.value FROM current_values v "
                      "JOIN current_returns r USING (la_code, period_index, theme) WHERE v.field IN "
                      f"({', '.join('?' * len(BREAKDOWN_FIELDS))}) AND v.value IS NOT NULL", list(BREAKDOWN_FIELDS))
    wide = values.pivot_table(index=["submission_id", "la_code", "period_index"], columns="field",
                              values="value").reset_index()
    frames = []
    for by, breakdown in BREAKDOWNS.items():
        groups = list(breakdown.names())
        shares = rng.dirichlet(np.full(len(groups), 2.0))
        for field, whole in BREAKDOWN_FIELDS.items():
            if field not in wide or (whole is not None and whole not in wide):
                continue
            rows = wide.dropna(subset=[field] if whole is None else [field, whole])
            if whole is None:
                counts = rng.multinomial(rows[field].astype(int).to_numpy(), shares)
            else:  # a part within each group's whole, at the authority's own rate
                wholes = rng.multinomial(rows[whole].astype(int).to_numpy(), shares)
                rate = np.clip(rows[field] / rows[whole].where(rows[whole] > 0), 0, 1).fillna(0).to_numpy()
                counts = rng.binomial(wholes, rate[:, None])
            frame = pd.DataFrame(counts, columns=groups)
            frame[["submission_id", "la_code", "period_index"]] = rows[
                ["submission_id", "la_code", "period_index"]].to_numpy()
            frame = frame.melt(id_vars=["submission_id", "la_code", "period_index"], var_name="group_name",
                               value_name="count")
            frames.append(frame.assign(count_of=field, breakdown=by))
    cells = pd.concat(frames, ignore_index=True)[
        ["submission_id", "la_code", "period_index", "count_of", "breakdown", "group_name", "count"]]
    cells["count"] = cells["count"].astype(float)
    with db.transaction() as cursor:
        cursor.register("incoming_breakdowns", cells)
        cursor.execute("INSERT INTO return_breakdowns SELECT * FROM incoming_breakdowns")
        cursor.unregister("incoming_breakdowns")
    load_published(db, [PUBLISHED / "requests.csv", PUBLISHED / "timeliness_20_week.csv",
                        PUBLISHED / "spc_pupils_ethnicity_la_totals_201516_to_202122.csv"])
    return time.perf_counter() - started, len(cells)


def whole_inequalities_table(db: Database, la_codes: list[str]) -> list[inequalities.InequalityTable]:
    """Every measure, breakdown, group and authority for the last quarter (DfE's latest year)."""
    return [inequalities.table(db, measure.id, by, str(LAST) if measure.source == "return" else None,
                               la_codes=la_codes)
            for measure in inequalities.MEASURES.values() for by in measure.breakdowns()]


def time_inequalities(db: Database, runs: int, seed: int) -> tuple[list[inequalities.InequalityTable], float]:
    """Add the breakdowns and DfE's files, then time the whole inequalities table: (its tables, median seconds)."""
    seconds, cells = build_breakdowns(db, seed)
    print(f"  breakdowns: {cells:,} cells stored and DfE's files loaded in {seconds:.1f} s")
    codes = list(reference.authorities())
    tables = whole_inequalities_table(db, codes)
    return tables, median_seconds(lambda: whole_inequalities_table(db, codes), runs, before=engine._cache.clear)


def report_inequalities(tables: list[inequalities.InequalityTable], seconds: float, runs: int) -> bool:
    """Print the inequalities timing; whether it meets its target."""
    rows_total = sum(len(item.rows) for item in tables)
    print(f"  whole inequalities table ({len(tables)} measure x breakdown tables, {rows_total:,} rows), cache "
          f"cleared  median of {runs}: {seconds * 1000:8.1f} ms")
    return seconds < INEQUALITY_TARGET_SECONDS


def median_seconds(action: Callable[[], object], runs: int, before: Callable[[], None] = lambda: None) -> float:
    times = []
    for _ in range(runs):
        before()
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--scorecard-only", action="store_true", help="skip the breakdowns and inequalities table")
    only.add_argument("--inequalities-only", action="store_true",
                      help="time only the inequalities table (the data is built as for the full run)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench_scorecard_") as folder:
        path = Path(folder) / "national.duckdb"
        db = open_database(path)
        try:
            authorities = len(reference.authorities())
            print(f"Building {authorities} authorities x {QUARTERS} quarters "
                  f"({LAST.shift(-(QUARTERS - 1))} to {LAST}) x {len(THEMES)} themes in {path} ...")
            print(f"  built in {build(db, args.seed):.1f} s")
            rows = db.scalar("SELECT count(*) FROM current_values")
            if args.inequalities_only:
                quick = report_inequalities(*time_inequalities(db, args.runs, args.seed), args.runs)
                print(f"Target: inequalities table under {INEQUALITY_TARGET_SECONDS:g} s: "
                      f"{'met' if quick else 'MISSED'}")
                return 1 if args.strict and not quick else 0

            def full_scorecard() -> object:
                return engine.scorecard(db)

            def plain_query() -> object:
                return db.frame("SELECT * FROM current_values")

            table = full_scorecard()  # warm up imports and DuckDB once, and check the size
            scorecard_time = median_seconds(full_scorecard, args.runs, before=engine._cache.clear)
            query_time = median_seconds(plain_query, args.runs)

            tables, inequality_time = ([], None) if args.scorecard_only else time_inequalities(db, args.runs,
                                                                                                  args.seed)
        finally:
            engine._cache.clear()
            close_database(path)

    ratio = scorecard_time / query_time
    metrics = table["metric"].nunique()
    print(f"\nScorecard: {len(table):,} rows ({metrics} metrics x {table['la_code'].nunique()} authorities x "
          f"{table['period_index'].nunique()} quarters); current_values: {rows:,} stored values")
    print(f"  full engine.scorecard(db), cache cleared  median of {args.runs}: {scorecard_time * 1000:8.1f} ms")
    print(f"  SELECT * FROM current_values -> pandas      median of {args.runs}: {query_time * 1000:8.1f} ms")
    print(f"  ratio scorecard / plain query: {ratio:.1f}x")
    fast = scorecard_time < TARGET_SECONDS
    close = ratio <= TARGET_RATIO
    targets = (f"Targets: scorecard under {TARGET_SECONDS:g} s: {'met' if fast else 'MISSED'}; "
               f"no more than {TARGET_RATIO:.0f}x the plain query: {'met' if close else 'MISSED'}")
    quick = True
    if inequality_time is not None:
        quick = report_inequalities(tables, inequality_time, args.runs)
        targets += f"; inequalities table under {INEQUALITY_TARGET_SECONDS:g} s: {'met' if quick else 'MISSED'}"
    print(targets)
    return 1 if args.strict and not (fast and close and quick) else 0


if __name__ == "__main__":
    raise SystemExit(main())
