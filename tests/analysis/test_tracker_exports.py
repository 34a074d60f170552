"""The returns tracker and the outward comparison tables (disclosure control and lettering)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pandas as pd
import pytest
from support import return_csv

from benchmark import reference
from benchmark.analysis import engine
from benchmark.analysis.tracker import completeness, tracker, tracker_grid
from benchmark.db import Database, close_database, open_database
from benchmark.definitions.metrics import METRICS
from benchmark.intake.returns import store_file
from benchmark.outputs.disclosure import lettering_key
from benchmark.outputs.exports import letter_names, outward_comparison
from benchmark.periods import Period

TODAY = dt.date(2026, 11, 23)
P = Period.parse("2026-27 Q2")


def store(db: Database, theme_id: str, rows: list[dict], name: str, when: dt.datetime) -> None:
    result = store_file(db, name, return_csv(theme_id, rows), "analyst@council", submitted_at=when, today=TODAY)
    assert result.status == "stored", result.report.errors


def advice(la: str, period: Period, returned: int, on_time: int, overdue: int, exception: int = 0,
           nil: int = 0) -> dict:
    return {"la_code": la, "period": period.label, "adv_requests": 150, "adv_returned": returned,
            "adv_returned_6wk": on_time, "adv_late_exception": exception, "adv_nil_returns": nil,
            "adv_overdue_open": overdue, "adv_audited": 10, "adv_audited_good": 8, "ehcp_issued": 40,
            "ehcp_issued_20wk": 21, "ehcp_with_sc_provision": 14}


SHORT_BREAKS = {"sb_children_total": 412, "sb_children_overnight": 38, "sb_children_daytime": 305,
                "sb_children_direct_payment": 120, "sb_nights_delivered": 410, "sb_spend_gbp": 1250000,
                "sb_assessments_completed": 64, "sb_assessment_days_median": 35, "sb_children_waiting": 12,
                "sb_statement_reviewed": "2026-03-31"}
TRANSITIONS = {"pfa_y9plus_reviews": 60, "pfa_y9plus_reviews_sc": 41, "pfa_turning_18_12m": 30,
               "pfa_referred_asc": 22, "pfa_turned_18": 9, "pfa_care_act_before_18": 6, "pfa_services_at_18": 5}


def at(day: int, month: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, day, 10, 0)


# --- the returns tracker ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tracked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """Camden: all three themes for P, advice sent twice. Islington: advice only.
    Hackney: a member (returned the quarter before) with nothing for P."""
    path = tmp_path_factory.mktemp("tracker") / "tracker.duckdb"
    db = open_database(path)
    store(db, "advice", [advice("202", P, 20, 15, 4), advice("206", P, 40, 28, 2)], "advice_q2.csv", at(5))
    store(db, "advice", [advice("204", P.shift(-1), 50, 40, 3)], "hackney_q1.csv", at(1, 8))
    store(db, "short_breaks", [{"la_code": "202", "period": P.label, **SHORT_BREAKS}], "camden_sb.csv", at(6))
    store(db, "transitions", [{"la_code": "202", "period": P.label, **TRANSITIONS}], "camden_pfa.csv", at(7))
    store(db, "advice", [advice("202", P, 20, 16, 4)], "camden_advice_corrected.csv", at(20))
    yield db
    close_database(path)


def test_tracker_shows_returned_and_missing_per_theme(tracked: Database):
    table = tracker(tracked, P)
    assert len(table) == 9  # 3 network members x 3 themes
    returned = {(row.la_code, row.theme): row.returned for row in table.itertuples()}
    assert returned == {
        ("202", "advice"): True, ("202", "short_breaks"): True, ("202", "transitions"): True,
        ("206", "advice"): True, ("206", "short_breaks"): False, ("206", "transitions"): False,
        ("204", "advice"): False, ("204", "short_breaks"): False, ("204", "transitions"): False,
    }
    assert set(table["period"]) == {"2026-27 Q2"}


def test_tracker_counts_resubmissions_and_keeps_first_and_latest_dates(tracked: Database):
    table = tracker(tracked, P).set_index(["la_code", "theme"])
    camden = table.loc[("202", "advice")]
    assert camden["resubmissions"] == 1
    assert camden["first_submitted_at"] == pd.Timestamp(at(5))
    assert camden["submitted_at"] == pd.Timestamp(at(20))
    assert camden["file_name"] == "camden_advice_corrected.csv"
    assert table.loc[("206", "advice"), "resubmissions"] == 0
    assert table.loc[("202", "short_breaks"), "resubmissions"] == 0
    assert table.loc[("204", "advice"), "resubmissions"] == 0
    assert pd.isna(table.loc[("204", "advice"), "submitted_at"])


def test_tracker_grid_in_words(tracked: Database):
    grid = tracker_grid(tracked, P).set_index("la_code")
    assert grid.loc["202", "advice"] == "returned 20 Oct 2026 (resubmitted 1x)"
    assert grid.loc["202", "short_breaks"] == "returned 06 Oct 2026"
    assert grid.loc["206", "transitions"] == "overdue"  # due 28 Oct 2026, 28 days after the quarter
    assert (grid.loc["204", ["advice", "short_breaks", "transitions"]] == "overdue").all()
    # the quarter before: only Hackney returned, and the network (no members set) is whoever returned
    before = tracker_grid(tracked, P.shift(-1)).set_index("la_code")
    assert before.loc["204", "advice"] == "returned late 01 Aug 2026"  # Q1 was due 28 Jul
    assert before.index.tolist() == ["204"]


def test_completeness_summary(tracked: Database):
    summary = completeness(tracked, P)
    assert summary["authorities"] == 3
    assert summary["returns_expected"] == 9
    assert summary["returns_received"] == 4  # Camden 3 + Islington 1
    assert summary["authorities_complete"] == 1  # Camden
    assert summary["by_theme"] == {"short_breaks": 1, "advice": 2, "transitions": 1}
    assert sorted(summary["missing"]) == [
        ("Hackney", "advice"), ("Hackney", "short_breaks"), ("Hackney", "transitions"),
        ("Islington", "short_breaks"), ("Islington", "transitions"),
    ]
    assert summary["resubmissions"] == 1


# --- outward comparison tables ------------------------------------------------------------------------------

# Advice in P (returned / on time / overdue open):
#   Camden 20/12/7, Islington 72/70/0 (2 late: a hidden complement), Hackney 50/40/12,
#   Southwark 100/55/20, City of London 4/3/3 (all small), Westminster 30/0/9; Lambeth only returned Q1.
OUTWARD = [
    advice("202", P, 20, 12, 7), advice("206", P, 72, 70, 0), advice("204", P, 50, 40, 12),
    advice("210", P, 100, 55, 20), advice("201", P, 4, 3, 3), advice("213", P, 30, 0, 9),
]
METRIC_IDS = ("adv_6wk_pct", "adv_6wk_incl_exceptions_pct", "adv_nil_return_pct", "adv_overdue_per_10k",
              "adv_audit_good_pct", "ehcp_20wk_pct")


@pytest.fixture(scope="module")
def outward_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    path = tmp_path_factory.mktemp("outward") / "outward.duckdb"
    db = open_database(path)
    store(db, "advice", [*OUTWARD, advice("208", P.shift(-1), 30, 20, 2)], "advice.csv", at(5))
    yield db
    close_database(path)


def external(db: Database, metric_id: str, own: str = "202", group: str = "network") -> pd.DataFrame:
    frame = engine.compare(db, P, metric_id, group, own if group != "network" else None)
    return outward_comparison(frame, METRICS[metric_id], "external", own)


def _numbers(column: pd.Series) -> list[float]:
    return [float(value) for value in column if value != "c" and not pd.isna(value)]


@pytest.mark.parametrize("metric_id", METRIC_IDS)
def test_external_table_names_only_the_own_authority(outward_db: Database, metric_id: str):
    table = external(outward_db, metric_id)
    others = [reference.authorities()[code] for code in ("206", "204", "210", "201", "213", "208")]
    text_cells = [value for column in table.columns for value in table[column] if isinstance(value, str)]
    for authority in others:
        for cell in text_cells:
            assert authority.name not in cell
            assert authority.ons_code not in cell
            assert cell != authority.code
    assert "sn_closeness" not in table.columns and "england_source" not in table.columns
    mine = table[table["la_code"] == "202"]
    assert mine["la_name"].tolist() == ["Camden"]
    peers = table[table["la_code"] != "202"]
    assert len(peers) == 6 and set(peers["la_code"]) == {""}
    assert all(re.fullmatch(r"Authority [A-Z]+", name) for name in peers["la_name"])
    assert peers["la_name"].is_unique


@pytest.mark.parametrize("metric_id", METRIC_IDS)
def test_external_table_shows_no_count_from_1_to_5(outward_db: Database, metric_id: str):
    table = external(outward_db, metric_id)
    for column in ("numerator", "denominator"):
        if column == "denominator" and METRICS[metric_id].method.value == "rate":
            continue  # the population, not a count of people in the return
        assert not any(1 <= number <= 5 for number in _numbers(table[column])), (column, table[column].tolist())


@pytest.mark.parametrize("metric_id", ["adv_6wk_pct", "adv_6wk_incl_exceptions_pct", "adv_nil_return_pct",
                                       "adv_audit_good_pct", "ehcp_20wk_pct"])
def test_secondary_suppression_denominator_minus_numerator_reveals_nothing(outward_db: Database, metric_id: str):
    table = external(outward_db, metric_id)
    for numerator, denominator in zip(table["numerator"], table["denominator"], strict=True):
        if numerator == "c" or denominator == "c" or pd.isna(numerator) or pd.isna(denominator):
            continue
        assert not 1 <= float(denominator) - float(numerator) <= 5, (numerator, denominator)


def test_70_of_72_hides_the_numerator_and_its_rate(outward_db: Database):
    network = engine.compare(outward_db, P, "adv_6wk_pct")
    table = outward_comparison(network, METRICS["adv_6wk_pct"], "external", "202")
    position = network.index[network["la_code"] == "206"][0]  # rows keep their index labels
    islington = table.loc[position]
    # 72 - 70 = 2 late: 2 is hidden, so one more cell must go; the numerator (70) and every figure
    # derived from it
    assert islington["numerator"] == "c"
    for column in ("value", "ci_low", "ci_high", "diff_from_median"):
        assert islington[column] == "c", column
    assert islington["rolling_4q"] is None  # never shown outward: its window holds hidden quarters
    assert islington["la_name"].startswith("Authority ")


def test_rate_whose_numerator_is_suppressed_is_c(outward_db: Database):
    network = engine.compare(outward_db, P, "adv_6wk_pct")
    table = outward_comparison(network, METRICS["adv_6wk_pct"], "external", "202")
    city = table.loc[network.index[network["la_code"] == "201"][0]]
    # City of London: 3 of 4 (and 1 late): every count and the rate hidden
    assert (city["numerator"], city["denominator"]) == ("c", "c")
    assert city["value"] == "c" and city["ci_low"] == "c" and city["ci_high"] == "c"
    # a rate per 10,000 whose count (3 overdue) is hidden
    overdue = engine.compare(outward_db, P, "adv_overdue_per_10k")
    rates = outward_comparison(overdue, METRICS["adv_overdue_per_10k"], "external", "202")
    city = rates.loc[overdue.index[overdue["la_code"] == "201"][0]]
    assert city["numerator"] == "c" and city["value"] == "c"
    # counts of 0 and above 5 stay exact (Islington 0 overdue, Camden 7)
    camden = rates[rates["la_code"] == "202"].iloc[0]
    assert float(camden["numerator"]) == 7
    assert float(camden["value"]) == pytest.approx(7 / 35276 * 10_000)


def test_letters_are_stable_within_one_output(outward_db: Database):
    # one mapping used for every table of an output: a letter means the same authority throughout;
    # it is drawn from the output's name and the database's secret key, so the same output gets the
    # same letters and nobody without the key can redraw them from the public names
    names = engine.compare(outward_db, P, "adv_6wk_pct")["la_name"].tolist()
    key = lettering_key(outward_db)
    assert key == lettering_key(outward_db) and len(key) == 64
    mapping = letter_names(names, "Camden", "pack-2026-27-Q2", key)
    assert mapping == letter_names(list(reversed(names)), "Camden", "pack-2026-27-Q2", key)
    assert mapping != letter_names(names, "Camden", "pack-2026-27-Q2", "a guessed key")
    assert mapping != letter_names(names, "Camden", "pack-2026-27-Q3", key)  # another output, other letters
    assert mapping["Camden"] == "Camden"
    assert len(set(mapping.values())) == len(mapping)
    tables = {}
    for metric_id in ("adv_6wk_pct", "adv_overdue_per_10k"):
        frame = engine.compare(outward_db, P, metric_id)
        out = outward_comparison(frame, METRICS[metric_id], "external", "202", names=mapping)
        tables[metric_id] = dict(zip(frame["la_name"], out.loc[frame.index, "la_name"], strict=True))
    assert tables["adv_6wk_pct"] == tables["adv_overdue_per_10k"] == mapping
    # the letters do not follow the alphabet of the names
    peers = sorted((name for name in mapping if name != "Camden"), key=lambda name: mapping[name])
    assert peers != sorted(peers)


def test_network_audience_is_unchanged(outward_db: Database):
    frame = engine.compare(outward_db, P, "adv_6wk_pct")
    table = outward_comparison(frame, METRICS["adv_6wk_pct"], "network", "202")
    pd.testing.assert_frame_equal(table, frame)
    assert "Islington" in table["la_name"].tolist()
    assert 70 in table["numerator"].tolist()
    with pytest.raises(ValueError):
        outward_comparison(frame, METRICS["adv_6wk_pct"], "public", "202")


def test_external_neighbour_group_for_own_authority(outward_db: Database):
    table = external(outward_db, "adv_6wk_pct", group="neighbours")
    assert table.loc[table["la_code"] == "202", "la_name"].tolist() == ["Camden"]
    assert not table["la_name"].isin([reference.authority_name(code) for code, _ in
                                      reference.statistical_neighbours()["202"]]).any()


def test_suppressed_rate_cannot_be_recovered_from_the_network_mean(outward_db: Database):
    # City of London's 3 overdue requests are hidden; with the network mean and the count reporting
    # visible, n x mean - the visible rates would give the hidden rate (and, with the public
    # population, the count) back. So every average over the table is hidden too.
    frame = engine.compare(outward_db, P, "adv_overdue_per_10k")
    table = outward_comparison(frame, METRICS["adv_overdue_per_10k"], "external", "202")
    assert (table["value"] == "c").sum() == 1
    for column in ("network_mean", "network_median", "region_mean", "sn_mean", "sn_median", "diff_from_median"):
        assert set(table[column]) == {"c"}, column


def test_suppressed_complement_cannot_be_recovered_from_rank_median_and_mean(outward_db: Database):
    # Islington's 70 of 72 (2 late) is hidden: its rank, band and funnel position are hidden with it,
    # and no median or mean is left to subtract from.
    frame = engine.compare(outward_db, P, "adv_6wk_pct")
    table = outward_comparison(frame, METRICS["adv_6wk_pct"], "external", "202")
    hidden = table[table["value"] == "c"]
    assert len(hidden) >= 1
    for column in ("rank", "quartile_band", "funnel"):
        assert set(hidden[column]) == {"c"}, column
    assert set(table["network_median"]) == {"c"} and set(table["network_mean"]) == {"c"}
    visible = table[table["value"] != "c"]
    assert not visible["rank"].isin(["c"]).any()
