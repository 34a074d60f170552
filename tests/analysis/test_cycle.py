"""The quarterly cycle: deadlines and tracker statuses, the chase list, sign-off with figures that
stay as circulated, reopening, and withdrawing a submission."""

from __future__ import annotations

import datetime as dt
from urllib.parse import unquote

import pandas as pd
import pytest
from support import return_csv

from benchmark import service
from benchmark.access import membership, rights
from benchmark.access.rights import AccessDenied, Role, User, local_operator
from benchmark.analysis import cycle, engine, tracker
from benchmark.db import Database
from benchmark.definitions.standard import columns
from benchmark.intake import returns
from benchmark.outputs import exports, packs
from benchmark.periods import Period

CHAIR = local_operator("chair")
P = Period.parse("2026-27 Q1")  # April-June 2026: due 28 July 2026 by default
DUE = dt.date(2026, 7, 28)
TODAY = dt.date(2026, 11, 23)


def advice(la_code: str, on_time: int, period: Period = P, returned: int = 40) -> dict:
    values = {spec.name: spec.example for spec in columns("advice")}
    return {**values, "la_code": la_code, "period": period.label, "adv_requests": 50, "adv_returned": returned,
            "adv_returned_6wk": on_time, "adv_late_exception": 0}


def store(db: Database, *rows: dict, when: dt.datetime = dt.datetime(2026, 7, 10, 9), name: str = "a.csv",
          user: User = CHAIR) -> returns.StoreResult:
    result = service.store(db, user, name, return_csv("advice", list(rows)), submitted_at=when, today=TODAY)
    assert result.status == "stored", result.report.errors
    return result


@pytest.fixture
def network(tmp_db: Database) -> Database:
    """Camden, Islington and Hackney are members from P; Camden returned on time, Islington late,
    Hackney never."""
    membership.add_authorities(tmp_db, CHAIR, ["202", "206", "204"], P)
    store(tmp_db, advice("202", 30), when=dt.datetime(2026, 7, 20, 9))
    store(tmp_db, advice("206", 20), when=dt.datetime(2026, 8, 3, 9), name="b.csv")
    return tmp_db


def statuses(db: Database, today: dt.date, period: Period = P) -> dict[str, str]:
    table = tracker.tracker(db, period, today)
    return dict(zip(table["la_code"] + " " + table["theme"], table["status"], strict=True))


# --- deadlines and statuses ---------------------------------------------------------------------------------


def test_default_deadline_is_28_days_after_the_quarter_and_configurable(network: Database):
    assert cycle.deadline(network, P) == DUE
    cycle.set_deadline_days(network, CHAIR, 42)
    assert cycle.deadline(network, P) == dt.date(2026, 8, 11)
    cycle.set_deadline(network, CHAIR, P, dt.date(2026, 8, 1))  # a date for this one quarter
    assert cycle.deadline(network, P) == dt.date(2026, 8, 1)
    assert cycle.deadline(network, P.shift(1)) == dt.date(2026, 11, 11)
    with pytest.raises(ValueError, match="cannot be before the quarter ends"):
        cycle.set_deadline(network, CHAIR, P, dt.date(2026, 6, 1))
    with pytest.raises(AccessDenied):
        cycle.set_deadline_days(network, User("d@camden.gov.uk", Role.DSCO, "202"), 10)


def test_a_member_that_never_uploaded_is_overdue_after_the_deadline(network: Database):
    on_the_day = statuses(network, DUE)
    assert on_the_day["204 advice"] == "not yet due" and on_the_day["204 transitions"] == "not yet due"
    after = statuses(network, DUE + dt.timedelta(days=1))
    assert after["204 advice"] == after["204 short_breaks"] == after["204 transitions"] == "overdue"
    assert after["202 advice"] == "returned" and after["206 advice"] == "returned late"
    assert after["202 short_breaks"] == "overdue"


def test_a_late_first_return_stays_late_when_resubmitted_and_an_early_one_stays_on_time(network: Database):
    store(network, advice("202", 31), when=dt.datetime(2026, 9, 1, 9), name="c.csv")
    grid = tracker.tracker_grid(network, P, TODAY).set_index("la_code")
    assert grid.loc["202", "advice"] == "returned 01 Sep 2026 (resubmitted 1x)"
    assert grid.loc["206", "advice"] == "returned late 03 Aug 2026"
    assert grid.loc["204", "advice"] == "overdue"


def test_completeness_counts_overdue_and_late(network: Database):
    summary = tracker.completeness(network, P, TODAY)
    assert summary["authorities"] == 3 and summary["returns_expected"] == 9
    assert summary["overdue"] == 7 and summary["returned_late"] == 1 and summary["deadline"] == DUE


def test_chase_list_names_overdue_themes_with_addresses_and_a_mailto_link(network: Database):
    chair = rights.add_member(network, CHAIR, "chair@network.gov.uk", "chair", None)
    rights.add_member(network, chair, "up@hackney.gov.uk", "uploader", "204")
    rights.add_member(network, chair, "dsco@hackney.gov.uk", "dsco", "204")
    table = service.chase_list(network, chair, P, TODAY).set_index("la_code")
    assert set(table.index) == {"202", "204", "206"}  # Islington returned advice only
    hackney = table.loc["204"]
    assert hackney["overdue_themes"].count(";") == 2  # all three themes
    assert (hackney["uploaders"], hackney["dscos"]) == ("up@hackney.gov.uk", "dsco@hackney.gov.uk")
    address, subject = hackney["mailto"].split("?subject=")
    assert address == "mailto:up@hackney.gov.uk,dsco@hackney.gov.uk"
    assert unquote(subject).startswith("DSCO network return for 2026-27 Q1 overdue: ") and " " not in subject
    assert "due 28 Jul 2026" in unquote(subject)
    assert table.loc["202", "overdue_themes"] == "Short breaks for disabled children; Transitions to adulthood " \
                                                 "(Preparing for Adulthood)"
    assert table.loc["202", "mailto"] == ""  # nobody listed for Camden: the chair sees the gap
    assert exports.to_csv_bytes(table.reset_index()).decode("utf-8-sig").splitlines()[0].startswith("la_code,")
    with pytest.raises(AccessDenied):
        service.chase_list(network, User("d@camden.gov.uk", Role.DSCO, "202"), P, TODAY)


def test_nobody_is_chased_before_the_deadline(network: Database):
    assert tracker.chase_list(network, P, DUE).empty


# --- sign-off -----------------------------------------------------------------------------------------------


def camden(db: Database, period: Period = P, revised: bool = False) -> float:
    table = engine.compare(db, period, "adv_6wk_pct", revised=revised).set_index("la_code")
    return float(table.loc["202", "value"])


def pack_tables(db: Database, **options) -> pd.DataFrame:
    pack = packs.build_pack(db, packs.PackRequest(P, themes=("advice",), **options))
    return pd.concat([section.table for section in pack.sections], ignore_index=True)


def test_signoff_then_resubmission_leaves_compare_and_the_pack_unchanged(network: Database):
    before, pack_before = camden(network), pack_tables(network)
    signed = service.sign_off(network, CHAIR, P)
    assert signed.period == P
    store(network, advice("202", 39), when=dt.datetime(2026, 9, 1, 9), name="revised.csv")
    assert camden(network) == before == 30 / 40 * 100
    assert camden(network, revised=True) == 39 / 40 * 100
    assert pack_tables(network).equals(pack_before)  # regenerating the circulated pack gives the same figures
    assert not pack_tables(network, revised=True).equals(pack_before)
    grid = tracker.tracker_grid(network, P, TODAY).set_index("la_code")
    assert grid.loc["202", "advice"].endswith("; revised after sign-off")
    assert "revised" not in grid.loc["206", "advice"]
    # the next quarter's pack lists the revision
    store(network, advice("202", 30, P.shift(1)), name="next.csv")
    following = packs.build_pack(network, packs.PackRequest(P.shift(1), themes=("advice",)))
    assert following.revisions.values.tolist() == [["Camden", "2026-27 Q1",
                                                    "Social care advice into EHC needs assessments", "01 Sep 2026"]]


def pooled_advice(pack: packs.Pack) -> float:
    advice_theme = next(theme for theme in pack.summary.themes if theme.theme == "advice")
    return next(entry.value for entry in advice_theme.metrics if entry.metric.id == "adv_6wk_pct")


def test_a_revised_pack_reads_its_discussion_list_and_summary_from_the_revised_figures(network: Database):
    # Judgements (and so discussion items) need 5 reporting authorities: four more return on time, so six
    # report and the overdispersion estimate is not swamped by Camden's correction.
    membership.add_authorities(network, CHAIR, ["204", "205", "207", "208"], P)
    store(network, advice("204", 24), advice("205", 26), advice("207", 28), advice("208", 30),
          when=dt.datetime(2026, 7, 21, 9), name="more.csv")
    service.sign_off(network, CHAIR, P)
    # Camden's correction, 0 of 40 against the others' 20 to 30 of 40, is far beyond the 99.8% limits.
    store(network, advice("202", 0), when=dt.datetime(2026, 9, 1, 9), name="revised.csv")
    circulated = packs.build_pack(network, packs.PackRequest(P, themes=("advice",)))
    revised = packs.build_pack(network, packs.PackRequest(P, themes=("advice",), revised=True))
    assert "Camden" not in circulated.discussion_all["la_name"].tolist()
    camden_items = revised.discussion_all.set_index(["la_name", "metric"])
    assert camden_items.loc[("Camden", "adv_6wk_pct"), "kind"] == "beyond_99.8"
    assert pooled_advice(circulated) == pytest.approx(158 / 240 * 100)
    assert pooled_advice(revised) == pytest.approx(128 / 240 * 100)
    assert any("Camden" in item for theme in revised.summary.themes for item in theme.items)


def test_rolling_figures_for_a_later_quarter_use_the_latest_returns(network: Database):
    service.sign_off(network, CHAIR, P)
    store(network, advice("202", 40), when=dt.datetime(2026, 9, 1, 9), name="revised.csv")
    store(network, advice("202", 20, P.shift(1)), name="next.csv")
    later = engine.compare(network, P.shift(1), "adv_6wk_pct").set_index("la_code")
    assert later.loc["202", "rolling_4q"] == pytest.approx((40 + 20) / 80 * 100)
    assert engine.compare(network, P, "adv_6wk_pct").set_index("la_code").loc["202", "rolling_4q"] == 75.0


def test_reopening_shows_the_latest_returns_and_is_audited(network: Database):
    service.sign_off(network, CHAIR, P)
    store(network, advice("202", 39), when=dt.datetime(2026, 9, 1, 9), name="revised.csv")
    with pytest.raises(ValueError, match="already signed off"):
        service.sign_off(network, CHAIR, P)
    with pytest.raises(AccessDenied):
        service.reopen(network, User("d@camden.gov.uk", Role.DSCO, "202"), P)
    service.reopen(network, CHAIR, P)
    assert cycle.signoff(network, P) is None and camden(network) == 39 / 40 * 100
    actions = network.frame("SELECT action FROM audit_log WHERE action LIKE 'quarter%' ORDER BY audit_id")
    assert actions["action"].tolist() == ["quarter signed off", "quarter reopened"]
    with pytest.raises(ValueError, match="has no returns yet"):
        service.sign_off(network, CHAIR, P.shift(3))


# --- withdrawal ---------------------------------------------------------------------------------------------


def test_the_chair_withdraws_a_submission_and_the_earlier_version_is_current_again(network: Database):
    revised = store(network, advice("202", 10), when=dt.datetime(2026, 9, 1, 9), name="wrong.csv")
    assert camden(network) == 25.0
    with pytest.raises(AccessDenied, match="Only the network chair"):
        service.withdraw(network, User("up@camden.gov.uk", Role.UPLOADER, "202"), revised.submission_id)
    service.withdraw(network, CHAIR, revised.submission_id, "sent by mistake")
    assert camden(network) == 75.0
    history = returns.history(network).set_index("submission_id")
    assert history.loc[revised.submission_id, "rows_current"] == 0
    assert not history["withdrawn_at"].drop(revised.submission_id).notna().any()
    assert history.loc[revised.submission_id, "withdrawn_at"] is not None
    assert returns.original_file(network, revised.submission_id)[0] == "wrong.csv"  # the bytes stay
    audit = network.frame("SELECT la_code, detail FROM audit_log WHERE action = 'submission withdrawn'")
    assert audit["la_code"].tolist() == ["202"] and "sent by mistake" in audit["detail"][0]
    with pytest.raises(ValueError, match="already withdrawn"):
        service.withdraw(network, CHAIR, revised.submission_id)
    with pytest.raises(ValueError, match="no submission 999"):
        service.withdraw(network, CHAIR, 999)


def test_withdrawing_the_only_version_makes_the_return_overdue_again(network: Database):
    first = network.scalar("SELECT submission_id FROM submissions WHERE file_name = 'b.csv'")
    service.withdraw(network, CHAIR, int(first))
    assert statuses(network, TODAY)["206 advice"] == "overdue"


def test_a_withdrawal_after_signoff_leaves_the_signed_off_figures(network: Database):
    revised = store(network, advice("202", 10), when=dt.datetime(2026, 7, 25, 9), name="second.csv")
    service.sign_off(network, CHAIR, P)
    service.withdraw(network, CHAIR, revised.submission_id)
    assert camden(network) == 25.0 and camden(network, revised=True) == 75.0
    assert tracker.tracker_grid(network, P, TODAY).set_index("la_code").loc["202", "advice"].endswith(
        "revised after sign-off")
