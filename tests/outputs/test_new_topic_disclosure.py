"""Disclosure attacks on the residential placements theme (issue 20), whose counts are small everywhere: the
attacker solves an authority's shown numerators and denominators for each field and each "of which" left over.
The control (exact figures, as a network output shows them) gives small counts back; the external output gives
nothing back for any own authority."""

from __future__ import annotations

from test_disclosure_attacks import cross_metric_attack, number

from benchmark import service
from benchmark.access import membership, rights
from benchmark.analysis import engine
from benchmark.definitions.disclosure_rules import SUPPRESSED
from benchmark.definitions.metrics import metrics_for_theme
from benchmark.periods import Period

PERIOD = Period.parse("2025-26 Q1")
PLACED = {  # res_placed, 52-week, far, visited, advocate, reviewed: small counts, as real networks have them
    "202": ("12", "3", "9", "10", "6", "11"),
    "206": ("8", "2", "5", "8", "4", "7"),
    "204": ("20", "7", "6", "18", "15", "20"),
    # five authorities: an external output needs a peer group of at least 5 (MIN_EXTERNAL_GROUP)
    "205": ("6", "1", "4", "5", "3", "6"),
    "207": ("15", "4", "8", "12", "9", "14"),
}


def _store(db, make_csv, example_row, today) -> None:
    membership.set_themes(db, rights.local_operator("test"), ["residential"])  # not collected until chosen
    rows = [example_row("residential", code, PERIOD.label, res_placed=placed, res_placed_52wk=fifty_two,
                        res_placed_out_of_area=placed, res_placed_far=far, res_visited=visited, res_advocate=advocate,
                        res_reviewed_6m=reviewed)
            for code, (placed, fifty_two, far, visited, advocate, reviewed) in PLACED.items()]
    assert service.store(db, rights.local_operator("test"), "res.csv", make_csv("residential", rows),
                         today=today).stored


def test_exact_residential_figures_give_small_counts_back(tmp_db, make_csv, example_row, today) -> None:
    _store(tmp_db, make_csv, example_row, today)
    shown = {}
    for metric in metrics_for_theme("residential"):
        table = engine.compare(tmp_db, PERIOD, metric.id)
        own = table[table["la_code"] == "206"].iloc[0]
        shown[metric.id] = (number(own["numerator"]), number(own["denominator"]))
    recovered = cross_metric_attack(shown)
    assert recovered.get("res_placed_52wk") == 2 and recovered.get("res_visited left over") is None
    assert recovered.get("res_placed_far left over") == 3  # 8 placed, 5 far: 3 within 20 miles


def test_external_residential_outputs_give_nothing_back(tmp_db, make_csv, example_row, today) -> None:
    _store(tmp_db, make_csv, example_row, today)
    operator = rights.local_operator("test")
    for code in PLACED:
        shown = {}
        for metric in metrics_for_theme("residential"):
            table = service.outward_compare(tmp_db, operator, PERIOD, metric.id, for_la=code, audience="external")
            own = table[table["la_code"] == code].iloc[0]
            shown[metric.id] = (number(own["numerator"]), number(own["denominator"]))
        assert cross_metric_attack(shown) == {}, code
    table = service.outward_compare(tmp_db, operator, PERIOD, "res_52wk_pct", for_la="206", audience="external")
    assert table.loc[table["la_code"] == "206", "value"].tolist() == [SUPPRESSED]
