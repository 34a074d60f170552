"""How long a meeting pack takes for the 33-borough demo network with all themes (issue 5).

Loads the synthetic demo network into a fresh temporary DuckDB file, then, in one process, times

  * building the pack (`packs.build_pack`) with the engine's tables cold (the first request after
    start-up or an upload) and warm (cached);
  * rendering the PDF the first time in the process, while the one headless Chromium that draws its
    charts for the whole process is still starting (it starts beside the cold build, as it does when the
    dashboard previews a pack), and a second time with it warm;
  * rendering PowerPoint and Excel (median of --runs runs);

and prints each format's time from request to bytes (warm build + render; the first PDF counts the
cold build too, as a chair's first click after opening the dashboard would) against the targets:
PDF under 6 s, PowerPoint and Excel under 5 s.

    .venv/bin/python scripts/bench_packs.py [--runs 3] [--audience network|external] [--for 202] [--strict]

`--strict` exits 1 when a target is missed. data/ is never touched.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmark.analysis import engine  # noqa: E402
from benchmark.db import close_database, open_database  # noqa: E402
from benchmark.demo import load_demo  # noqa: E402
from benchmark.outputs import pack_render, packs  # noqa: E402
from benchmark.periods import Period  # noqa: E402

LATEST = Period.parse("2026-27 Q2")
TARGETS = {"pdf": 6.0, "pptx": 5.0, "xlsx": 5.0}  # issue 18: a PDF pack under 6 s


def timed(action: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def median_seconds(action: Callable[[], object], runs: int) -> float:
    return statistics.median(timed(action)[0] for _ in range(runs))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs for the warm build, PowerPoint and Excel")
    parser.add_argument("--audience", choices=("network", "external"), default="network")
    parser.add_argument("--for", dest="own", default="202", help="own authority (default 202, Camden)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench_packs_") as folder:
        path = Path(folder) / "demo.duckdb"
        db = open_database(path)
        try:
            load_seconds, stored = timed(lambda: load_demo(db))
            members = engine.network_members(db)
            request = packs.PackRequest(LATEST, audience=args.audience, own_la=args.own,
                                        authority_pages=(args.own,))
            print(f"Demo network: {len(stored)} files, {len(members)} authorities, loaded in {load_seconds:.1f} s; "
                  f"pack for {LATEST}, all themes ({len(request.themes)}), audience {args.audience}, "
                  f"own authority {args.own}")

            engine._cache.clear()
            # As the Meeting pack page does when it previews a pack: the chart browser starts beside the first build.
            pack_render.start_chart_renderer()
            build_cold, pack = timed(lambda: packs.build_pack(db, request))
            build_warm = median_seconds(lambda: packs.build_pack(db, request), args.runs)
            print(f"  {len(pack.sections)} metrics, {len(pack.discussion)} discussion items, "
                  f"{len(pack.tracker)} authorities in the tracker")
            print(f"  build_pack, engine cold: {build_cold:6.2f} s")
            print(f"  build_pack, engine warm: {build_warm:6.2f} s (median of {args.runs})")

            renders: dict[str, float | None] = {}
            sizes: dict[str, int] = {}
            for label, fmt in (("pdf_cold", "pdf"), ("pdf_warm", "pdf")):
                try:
                    seconds, data = timed(lambda fmt=fmt: pack_render.render(pack, fmt))
                    renders[label], sizes[label] = seconds, len(data)
                except Exception:
                    renders[label] = None
                    print(f"  {label}: FAILED\n" + "".join(traceback.format_exc(limit=3)))
            for fmt in ("pptx", "xlsx"):
                try:
                    sizes[fmt] = len(pack_render.render(pack, fmt))
                    renders[fmt] = median_seconds(lambda fmt=fmt: pack_render.render(pack, fmt), args.runs)
                except Exception:
                    renders[fmt] = None
                    print(f"  {fmt}: FAILED\n" + "".join(traceback.format_exc(limit=3)))
        finally:
            engine._cache.clear()
            close_database(path)

    print("\nRender only:")
    for label, seconds in renders.items():
        note = {"pdf_cold": " (Chromium started beside the cold build)",
                "pdf_warm": " (Chromium already running)"}.get(label, "")
        shown = "failed" if seconds is None else f"{seconds:6.2f} s, {sizes[label] / 1024:,.0f} KiB"
        print(f"  {label:9} {shown}{note}")

    totals = {
        "pdf": None if renders["pdf_cold"] is None else build_cold + renders["pdf_cold"],
        "pdf (warm)": None if renders["pdf_warm"] is None else build_warm + renders["pdf_warm"],
        "pptx": None if renders["pptx"] is None else build_warm + renders["pptx"],
        "xlsx": None if renders["xlsx"] is None else build_warm + renders["xlsx"],
    }
    print("\nRequest to bytes (build + render) against the targets:")
    missed = []
    for label, seconds in totals.items():
        target = TARGETS[label.split()[0]]
        if seconds is None:
            verdict = "FAILED"
            missed.append(label)
        elif seconds < target:
            verdict = "met"
        else:
            verdict = "MISSED"
            missed.append(label)
        shown = "   n/a  " if seconds is None else f"{seconds:6.2f} s"
        print(f"  {label:10} {shown}   target under {target:.0f} s: {verdict}")
    print("  (pdf: first PDF of the process, engine cold and Chromium still starting; pdf (warm): a later one)")
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
