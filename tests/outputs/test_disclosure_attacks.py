"""Issue 11, findings 1-3, replayed as the reviewer ran them against the demo network: an external reader
holding every external output for every quarter, the published populations and the data standard.

Each attack is run twice: on the outputs as they were before (to show the attack itself works) and on
today's outputs, where it must find nothing.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator

import numpy as np
import openpyxl
import pandas as pd
import pytest
from browser_support import copy_database

from benchmark import reference, service
from benchmark.access import rights
from benchmark.analysis import engine
from benchmark.db import Database, close_database, open_database
from benchmark.definitions.disclosure_rules import RULES, SUPPRESSED
from benchmark.definitions.metrics import CATALOGUE, METRICS, POPULATION, Method, Metric
from benchmark.definitions.standard import THEMES, Kind
from benchmark.outputs import disclosure, exports, pack_render, views
from benchmark.outputs.packs import PackRequest
from benchmark.periods import Period

LATEST = Period.parse("2026-27 Q2")
OWN = "202"
PROPORTIONS = [metric for metric in CATALOGUE if metric.method is Method.PROPORTION]
RATES = [metric for metric in CATALOGUE if metric.method is Method.RATE]


# --------------------------------------------------------------------------- the attacker's tools


def solve(equations: list[tuple[dict[str, float], float]]) -> dict[str, float]:
    """Every unknown that the equations (sum of coefficient x unknown = constant) fix to one value."""
    names = sorted({name for terms, _ in equations for name in terms})
    if not names:
        return {}
    system = np.array([[terms.get(name, 0.0) for name in names] for terms, _ in equations])
    constants = np.array([constant for _, constant in equations])
    solution = np.linalg.lstsq(system, constants, rcond=None)[0]
    rank = np.linalg.matrix_rank(system)
    fixed = {}
    for k, name in enumerate(names):
        probe = np.zeros(len(names))
        probe[k] = 1.0
        if np.linalg.matrix_rank(np.vstack([system, probe])) == rank:
            fixed[name] = float(solution[k])
    return fixed


def small_count(value: float) -> bool:
    return abs(value - round(value)) < 1e-6 and 1 <= round(value) <= RULES.threshold


def number(value: object) -> float | None:
    """A figure as a reader takes it from a table: a number, or None for blank, "c" or text."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return None
    return None if isinstance(value, float) and math.isnan(value) else float(value)


def rolling_attack(views: dict[tuple[int, str], pd.DataFrame]) -> list[tuple]:
    """Finding 1: a visible quarter's rolling four quarters sum the hidden quarters in its window, so
    the reader writes one equation per visible rolling figure, linking rows by the name shown, and
    solves for the hidden quarters' counts."""
    recovered = []
    for metric in PROPORTIONS:
        per_key: dict[str, dict[int, dict]] = {}
        for (period_index, metric_id), table in views.items():
            if metric_id != metric.id:
                continue
            for row in table.to_dict("records"):
                per_key.setdefault(row["la_name"], {})[period_index] = row
        for key, quarters in per_key.items():
            equations = []
            for quarter, row in quarters.items():
                rolling = number(row.get("rolling_4q"))
                if rolling is None:
                    continue
                terms: dict[str, float] = {}
                constant = 0.0
                for window in range(quarter - 3, quarter + 1):
                    other = quarters.get(window)
                    if other is None or (other["value"] != SUPPRESSED and number(other["value"]) is None):
                        continue  # not reported: not in the window's sums
                    for part, sign in (("numerator", 1.0), ("denominator", -rolling / 100)):
                        shown = number(other[part])
                        if shown is None:
                            terms[f"{part}@{window}"] = terms.get(f"{part}@{window}", 0.0) + sign
                        else:
                            constant -= sign * shown
                equations.append((terms, constant))
            fixed = solve(equations)
            for name, value in fixed.items():
                part, quarter = name.split("@")
                other = fixed.get(f"{'denominator' if part == 'numerator' else 'numerator'}@{quarter}")
                complement = None if other is None else (other - value if part == "numerator" else value - other)
                if small_count(value) or (complement is not None and small_count(complement)):
                    recovered.append((metric.id, key, int(quarter), part, round(value)))
    return recovered


def _count_fields(theme_id: str) -> list[str]:
    return [spec.name for spec in THEMES[theme_id].fields if spec.kind is Kind.COUNT]


def cross_metric_attack(shown: dict[str, tuple[float | None, float | None]]) -> dict[str, int]:
    """Finding 2: one authority's numerators and denominators across the metrics of one output, each a
    sum of fields of the data standard; the reader solves for every field and every "of which" left
    over (a whole minus its part) and keeps those that come out as 1-5."""
    recovered = {}
    for theme_id, theme in THEMES.items():
        fields = set(_count_fields(theme_id))
        equations = []
        for metric_id, (numerator, denominator) in shown.items():
            metric = METRICS[metric_id]
            if metric.theme != theme_id:
                continue
            if numerator is not None and set(metric.numerator) <= fields:
                equations.append((dict.fromkeys(metric.numerator, 1.0), numerator))
            if denominator is not None and metric.denominator in fields:
                equations.append(({metric.denominator: 1.0}, denominator))
        targets = {name: {name: 1.0} for name in fields}
        for bound in theme.bounds:
            terms = dict(bound.terms)
            if set(bound.fields) <= fields and all(abs(c) == 1 for c in terms.values()):
                targets[f"{bound.column} left over"] = {**{k: float(v) for k, v in terms.items()},
                                                        bound.column: -1.0}
        for target, terms in targets.items():
            probe = solve([*equations, ({**terms, "_target": -1.0}, 0.0)])
            if "_target" in probe and small_count(probe["_target"]):
                recovered[target] = round(probe["_target"])
    return recovered


def population_candidates(value: float, step: float, populations: dict[str, int]) -> set[str]:
    """Finding 3: the authorities whose published population gives a whole count for a rate shown
    to `step` (the reader tries every one)."""
    found = set()
    for code, population in populations.items():
        low = math.ceil((value - step / 2) * population / 10_000 - 1e-9)
        high = math.floor((value + step / 2) * population / 10_000 + 1e-9)
        if high >= max(low, 0):
            found.add(code)
    return found


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def db(demo_build, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    close_database(demo_build.path)
    path = copy_database(demo_build.path, tmp_path_factory.mktemp("attacks") / "demo.duckdb")
    yield open_database(path)
    close_database(path)


@pytest.fixture(scope="module")
def periods(db: Database) -> list[Period]:
    return engine.periods_with_data(db)


@pytest.fixture(scope="module")
def external(db: Database, periods: list[Period]) -> dict[tuple[int, str], pd.DataFrame]:
    """Every external `compare` of every metric and quarter: what the command line prints."""
    operator = rights.local_operator("test")
    return {(period.index, metric.id): service.outward_compare(db, operator, period, metric.id, audience="external")
            for period in periods for metric in CATALOGUE}


@pytest.fixture(scope="module")
def before(db: Database, periods: list[Period]) -> dict[tuple[int, str], pd.DataFrame]:
    """The same outputs as they were before: each table suppressed on its own, exact values and rolling
    figures, lettered authorities keeping their letter (so keyed by code) in every quarter."""
    views = {}
    for period in periods:
        for metric in CATALOGUE:
            table = engine.compare(db, period, metric.id)
            complement = table["denominator"] - table["numerator"]
            small = pd.Series(False, index=table.index)
            for column in (table["numerator"], table["denominator"], complement):
                small |= column.between(1, RULES.threshold)
            out = table.astype(object)
            out.loc[small, ["value", "numerator", "denominator", "rolling_4q"]] = SUPPRESSED
            views[(period.index, metric.id)] = out.assign(la_name=table["la_code"])
    return views


@pytest.fixture(scope="module")
def external_xlsx(db: Database) -> openpyxl.Workbook:
    operator = rights.local_operator("test")
    pack = service.build_pack(db, operator, PackRequest(LATEST, audience="external", own_la=OWN))
    return openpyxl.load_workbook(io.BytesIO(service.render_pack(db, operator, pack, "xlsx")))


def sheet_table(workbook: openpyxl.Workbook, metric: Metric) -> pd.DataFrame:
    """A metric's sheet with the engine's column names back in place of its plain-English headings."""
    rows = list(workbook[pack_render.metric_sheet_name(metric)].iter_rows(values_only=True))
    engine_names = {heading: name for name, heading in views.HEADINGS.items() if name != "authority"}
    return pd.DataFrame(rows[1:], columns=rows[0]).rename(columns=engine_names)


# --------------------------------------------------------------------------- finding 1: rolling windows


def test_rolling_attack_recovers_hidden_quarters_from_the_old_outputs(before: dict) -> None:
    recovered = rolling_attack(before)
    assert len(recovered) >= 10, recovered  # the reviewer found 23 across four metrics


def test_rolling_attack_finds_nothing_in_external_outputs(external: dict) -> None:
    assert all(table["rolling_4q"].isna().all() for table in external.values()), "a rolling figure leaves"
    assert rolling_attack(external) == []


def test_rolling_attack_finds_nothing_even_with_every_letter_linked_across_quarters(
        db: Database, periods: list[Period]) -> None:
    """Letters are drawn per output; grant the reader the link anyway (rows keyed by the real code)."""
    linked = {}
    for period in periods:
        for metric in PROPORTIONS:
            table = engine.compare(db, period, metric.id)
            names = dict(zip(table["la_name"], table["la_code"], strict=True))
            outward = exports.outward_comparison(table, metric, "external", names=names,
                                                 withheld=disclosure.withheld(db, period.index, metric.id))
            linked[(period.index, metric.id)] = outward
    assert rolling_attack(linked) == []


def test_letters_are_drawn_per_output(external: dict, periods: list[Period]) -> None:
    """The same authority does not keep one letter across quarters of a metric (the old stable letter
    is what linked the equations), and the letters cannot be redrawn from public names and seeds."""
    metric = "adv_6wk_pct"
    orders = [tuple(external[(period.index, metric)].sort_values("la_name")["value"].astype(str))
              for period in periods]
    assert len(set(orders)) == len(orders)
    first, second = (external[(periods[-1].index, metric)], external[(periods[-2].index, metric)])
    assert set(first["la_name"]) == set(second["la_name"])  # the same letters, shuffled afresh


# --------------------------------------------------------------------------- finding 2: across metrics


@pytest.fixture(scope="module")
def latest(db: Database) -> dict[str, pd.DataFrame]:
    return {metric.id: engine.compare(db, LATEST, metric.id) for metric in CATALOGUE}


def test_cross_metric_attack_recovers_small_counts_from_per_table_suppression(db: Database, latest: dict) -> None:
    recovered = {}
    for code in engine.network_members(db):
        shown = {}
        for metric in CATALOGUE:
            table = exports.outward_comparison(latest[metric.id], metric, "external", code)
            own = table[table["la_code"] == code].iloc[0]
            shown[metric.id] = (number(own["numerator"]), number(own["denominator"]))
        recovered.update({(code, target): value for target, value in cross_metric_attack(shown).items()})
        if recovered:
            break
    assert recovered, "the attack should work on tables suppressed one by one"


def test_cross_metric_attack_finds_nothing_for_any_own_authority(db: Database, latest: dict) -> None:
    """Every authority's own row carries exact counts in its external outputs: no two of them may
    differ by a hidden count (6 weeks vs 6 weeks or with an exception, shared denominators...)."""
    withheld = {metric.id: disclosure.withheld(db, LATEST.index, metric.id) for metric in CATALOGUE}
    recovered = {}
    for code in engine.network_members(db):
        shown = {}
        for metric in CATALOGUE:
            table = exports.outward_comparison(latest[metric.id], metric, "external", code,
                                               withheld=withheld[metric.id])
            own = table[table["la_code"] == code].iloc[0]
            shown[metric.id] = (number(own["numerator"]), number(own["denominator"]))
        recovered.update({(code, target): value for target, value in cross_metric_attack(shown).items()})
    assert recovered == {}


def test_cross_metric_attack_finds_nothing_in_the_external_excel_pack(external_xlsx: openpyxl.Workbook) -> None:
    by_name: dict[str, dict] = {}
    for metric in CATALOGUE:
        table = sheet_table(external_xlsx, metric)
        for row in table.to_dict("records"):
            by_name.setdefault(row["la_name"], {})[metric.id] = (number(row["numerator"]), number(row["denominator"]))
            if row["la_name"] != "Camden":  # a letter's counts are never shown
                assert number(row["numerator"]) is None and number(row["denominator"]) is None, (metric.id, row)
                assert number(row["rolling_4q"]) is None and number(row["sn_reported"]) is None, (metric.id, row)
    assert len(by_name) == 33
    recovered = {name: found for name, shown in by_name.items() if (found := cross_metric_attack(shown))}
    assert recovered == {}


# --------------------------------------------------------------------------- finding 3: populations


def step(metric: Metric, period: Period, codes: set[str]) -> float:
    """The rounding step the README states, which the reader reads off the shown values anyway."""
    return RULES.step(metric, min(reference.population_for(code, period.end.year) for code in codes))


def _populations(period: Period) -> dict[str, int]:
    return {code: population for code in reference.authorities()
            if (population := reference.population_for(code, period.end.year)) is not None}


def test_population_attack_pinned_lettered_authorities_in_the_old_outputs(db: Database) -> None:
    populations = _populations(LATEST)
    members = set(engine.network_members(db))
    table = engine.compare(db, LATEST, "sb_reach_per_10k")
    pinned = [code for code, value in zip(table["la_code"], table["value"], strict=True)
              if number(value) is not None and population_candidates(value, 1e-9, populations) & members == {code}]
    assert len(pinned) >= 20  # the reviewer named 30 of 32


def test_population_attack_pins_no_lettered_authority(external: dict, periods: list[Period], db: Database) -> None:
    members = set(engine.network_members(db))
    tried = pinned = 0
    for period in periods:
        populations = _populations(period)
        for metric in RATES:
            for value in external[(period.index, metric.id)]["value"]:
                if number(value) is None:
                    continue
                tried += 1
                candidates = population_candidates(value, step(metric, period, members), populations)
                pinned += len(candidates & members) <= 1 or len(candidates) <= 1
    assert tried > 500 and pinned == 0


def test_population_attack_pins_nobody_in_the_excel_pack_even_across_its_rate_sheets(
        external_xlsx: openpyxl.Workbook, db: Database) -> None:
    """In one pack a letter stands for one authority on every sheet: intersect what each rate allows."""
    populations = _populations(LATEST)
    members = set(engine.network_members(db))
    candidates: dict[str, set[str]] = {}
    for metric in RATES:
        table = sheet_table(external_xlsx, metric)
        for name, value in zip(table["la_name"], table["value"], strict=True):
            if name == "Camden" or number(value) is None:
                continue
            found = population_candidates(value, step(metric, LATEST, members - {OWN}), populations) & members
            candidates[name] = candidates.get(name, members) & found
    assert len(candidates) >= 25
    assert min(len(found) for found in candidates.values()) >= 2, candidates


def test_rates_of_population_metrics_have_no_count_denominator():
    assert {metric.denominator for metric in RATES} == {POPULATION}


# --------------------------------------------------------------------------- a small, partial network


def test_three_authorities_one_theme_one_quarter(tmp_db: Database, make_csv, example_row, today) -> None:
    """Three authorities, advice only, one quarter; two have 1 and 3 late advice with an exception: the
    "6 weeks or with an exception" figure would give it back beside "within 6 weeks", so it goes."""
    rows = [example_row("advice", code, "2025-26 Q1", adv_returned="30", adv_returned_6wk="22",
                        adv_late_exception=late) for code, late in (("202", "1"), ("206", "3"), ("204", "0"))]
    assert service.store(tmp_db, rights.local_operator("test"), "advice.csv", make_csv("advice", rows),
                         today=today).stored
    period = Period.parse("2025-26 Q1")
    assert disclosure.withheld(tmp_db, period.index, "adv_6wk_incl_exceptions_pct") == {"202", "206"}
    assert disclosure.withheld(tmp_db, period.index, "adv_6wk_pct") == frozenset()
    operator = rights.local_operator("test")
    # Three authorities are too few to leave the network at all: refused in one line.
    with pytest.raises(ValueError, match="at least 5 network authorities and the whole network has 3"):
        service.outward_compare(tmp_db, operator, period, "adv_6wk_pct", for_la="202", audience="external")

    def outward(metric: Metric, code: str) -> pd.DataFrame:  # the disclosure gate itself, below that refusal
        return exports.outward_comparison(engine.compare(tmp_db, period, metric.id, for_la=code), metric,
                                          "external", code, withheld=disclosure.withheld(tmp_db, period.index,
                                                                                         metric.id))

    for code in ("202", "206", "204"):
        shown = {}
        for metric in CATALOGUE:  # short breaks and transitions: nobody reported them
            table = outward(metric, code)
            assert len(table) == 3 and table["rolling_4q"].isna().all()
            own = table[table["la_code"] == code].iloc[0]
            shown[metric.id] = (number(own["numerator"]), number(own["denominator"]))
        assert cross_metric_attack(shown) == {}, code
    hidden = outward(METRICS["adv_6wk_incl_exceptions_pct"], "202")
    assert hidden.loc[hidden["la_code"] == "202", "value"].tolist() == [SUPPRESSED]
