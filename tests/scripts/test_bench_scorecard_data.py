"""The national figures scripts/bench_scorecard.py builds pass the data standard for every theme (the
benchmark stopped at a theme the standard gained after it was written, and nothing noticed)."""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

import numpy as np
import pytest

from benchmark import reference
from benchmark.definitions.standard import THEMES, columns
from benchmark.intake.validation import validate
from benchmark.periods import period_range

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import bench_scorecard


@pytest.mark.parametrize("theme_id", list(THEMES))
def test_every_theme_of_the_national_benchmark_is_valid(theme_id: str) -> None:
    periods = period_range(bench_scorecard.LAST.shift(-7), bench_scorecard.LAST)
    rows = bench_scorecard._rows(theme_id, list(reference.authorities())[:30], periods, np.random.default_rng(7))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([spec.name for spec in columns(theme_id)])
    writer.writerows(rows)
    report = validate(f"national_{theme_id}.csv", buffer.getvalue().encode("utf-8"), today=bench_scorecard.TODAY)
    assert len(rows) == 30 * 8
    assert not report.errors, report.errors[:3]
