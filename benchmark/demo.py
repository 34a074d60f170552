"""The embedded demo network: synthetic returns for all 33 London boroughs over 8 quarters.

The figures are invented (deterministic seed) but sized from each borough's real child
population, so small boroughs have small numbers. Every file goes through the same validation
and storage path as a real upload. Anything shown from it is labelled synthetic.

It runs the quarterly cycle as a chair would: members set with the quarter each joined (one borough
joins later), a return deadline, late returns, one quarter signed off and then revised by one
borough, and a few authorities' commentaries.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

import numpy as np

from benchmark import reference, service
from benchmark.access import membership, rights
from benchmark.access.network import is_demo
from benchmark.access.rights import Role, User
from benchmark.analysis import cycle, engine, published
from benchmark.db import Database
from benchmark.definitions.standard import THEMES, columns
from benchmark.intake.returns import StoreResult
from benchmark.periods import Period, period_range

PUBLISHED_DIR = reference.DATA_DIR / "published"
DEMO_SEED = 20250401
LONDON = "E12000007"
FIRST_QUARTER = Period(2024, 3)
LAST_QUARTER = Period(2026, 2)
DEMO_NETWORK_NAME = "London DSCO network (synthetic demo data)"
# Returns the demo leaves out, so the tracker has gaps to show: (borough, quarter, theme).
MISSING_RETURNS = {
    ("201", LAST_QUARTER, "transitions"),
    ("318", LAST_QUARTER, "short_breaks"),
    ("318", LAST_QUARTER, "advice"),
    ("206", LAST_QUARTER.shift(-1), "advice"),
    ("311", LAST_QUARTER.shift(-3), "transitions"),
}
# The borough whose latest advice return is corrected after it was first stored.
RESUBMITTING_BOROUGH = "209"
# Bexley joins the network a year in: it has no returns before then.
JOINING_BOROUGH, JOINING_QUARTER = "303", FIRST_QUARTER.shift(3)
DEADLINE_DAYS = 28
# The chair signs this quarter off; afterwards one borough revises its short breaks return.
SIGNED_OFF_QUARTER = LAST_QUARTER.shift(-1)
REVISING_BOROUGH = "208"
DEMO_CHAIR = User("chair@network.example", Role.CHAIR, None, "Network chair (demo)")
INDIVIDUAL_QUARTERS = 2  # the latest quarters arrive as one file per borough; earlier ones collated


@dataclass(frozen=True)
class _Borough:
    """A borough's invented character: the rates its figures are drawn around."""

    code: str
    population: int
    traits: dict[str, float]


def _boroughs(rng: np.random.Generator) -> list[_Borough]:
    boroughs = []
    for code in reference.region_members(LONDON):
        traits = {
            "reach_per_10k": rng.uniform(25, 75),
            "direct_payment": rng.uniform(0.15, 0.45),
            "overnight": rng.uniform(0.05, 0.15),
            "daytime": rng.uniform(0.5, 0.85),
            "nights_per_child": rng.uniform(5, 14),
            "spend_per_child": rng.uniform(1500, 4200),
            "assessment_days": rng.uniform(20, 90),
            "waiting_per_10k": rng.uniform(0.5, 6),
            "statement_stale": float(rng.random() < 0.2),
            "requests_rate": rng.uniform(0.0010, 0.0019),
            "on_time": rng.uniform(0.45, 0.92),
            "on_time_drift": rng.choice([-0.025, 0.0, 0.0, 0.03]),
            "exception": rng.uniform(0.05, 0.3),
            "nil": rng.uniform(0.1, 0.4),
            "audited": rng.uniform(0.15, 0.6),
            "audit_good": rng.uniform(0.5, 0.9),
            "twenty_week": rng.uniform(0.2, 0.8),
            "sc_provision": rng.uniform(0.12, 0.45),
            "reviews_rate": rng.uniform(0.0008, 0.0015),
            "review_sc": rng.uniform(0.4, 0.9),
            "turning_18_rate": rng.uniform(0.0005, 0.0010),
            "referred": rng.uniform(0.5, 0.95),
            "care_act": rng.uniform(0.3, 0.8),
            "services": rng.uniform(0.4, 0.85),
        }
        population = reference.population_for(code, LAST_QUARTER.end.year) or 1000
        boroughs.append(_Borough(code, population, traits))
    return boroughs


def _share(rng: np.random.Generator, whole: int, probability: float) -> int:
    return int(rng.binomial(whole, min(max(probability, 0.0), 1.0)))


def _figures(rng: np.random.Generator, borough: _Borough, period: Period, step: int) -> dict[str, dict]:
    """One quarter's figures for each theme, drawn around the borough's traits."""
    t, pop = borough.traits, borough.population
    children = int(rng.poisson(pop * t["reach_per_10k"] / 10_000))
    overnight = _share(rng, children, t["overnight"])
    # Each borough reviews its statement once a year in its own month; a few let it lapse.
    review_month = 1 + int(t["assessment_days"] * 7) % 12
    reviewed = dt.date(period.end.year, review_month, 1)
    if reviewed > period.end:
        reviewed = reviewed.replace(year=reviewed.year - 1)
    reviewed = reviewed.replace(year=reviewed.year - (2 if t["statement_stale"] else 0))
    short_breaks = {
        "sb_children_total": children,
        "sb_children_overnight": overnight,
        "sb_children_daytime": _share(rng, children, t["daytime"]),
        "sb_children_direct_payment": _share(rng, children, t["direct_payment"]),
        "sb_nights_delivered": int(rng.poisson(overnight * t["nights_per_child"])),
        "sb_spend_gbp": round(children * t["spend_per_child"] * rng.uniform(0.9, 1.1), -2),
        "sb_assessments_completed": int(rng.poisson(max(children * 0.12, 1))),
        "sb_assessment_days_median": int(rng.normal(t["assessment_days"], 6)),
        "sb_children_waiting": int(rng.poisson(pop * t["waiting_per_10k"] / 10_000)),
        "sb_statement_reviewed": reviewed.isoformat(),
    }
    requests = int(rng.poisson(pop * t["requests_rate"]))
    returned = int(rng.poisson(requests * 0.95))
    on_time = _share(rng, returned, t["on_time"] + t["on_time_drift"] * step)
    issued = int(rng.poisson(requests * 0.8))
    audited = _share(rng, returned, t["audited"])
    advice = {
        "adv_requests": requests,
        "adv_returned": returned,
        "adv_returned_6wk": on_time,
        "adv_late_exception": _share(rng, returned - on_time, t["exception"]),
        "adv_nil_returns": _share(rng, returned, t["nil"]),
        "adv_overdue_open": int(rng.poisson(requests * (1 - t["on_time"]) * 0.3)),
        "adv_audited": audited,
        "adv_audited_good": _share(rng, audited, t["audit_good"]),
        "ehcp_issued": issued,
        "ehcp_issued_20wk": _share(rng, issued, t["twenty_week"]),
        "ehcp_with_sc_provision": _share(rng, issued, t["sc_provision"]),
    }
    reviews = int(rng.poisson(pop * t["reviews_rate"]))
    turning = int(rng.poisson(pop * t["turning_18_rate"]))
    turned = int(rng.poisson(pop * t["turning_18_rate"] / 4))
    transitions = {
        "pfa_y9plus_reviews": reviews,
        "pfa_y9plus_reviews_sc": _share(rng, reviews, t["review_sc"]),
        "pfa_turning_18_12m": turning,
        "pfa_referred_asc": _share(rng, turning, t["referred"]),
        "pfa_turned_18": turned,
        "pfa_care_act_before_18": _share(rng, turned, t["care_act"]),
        "pfa_services_at_18": _share(rng, turned, t["services"]),
    }
    return {"short_breaks": short_breaks, "advice": advice, "transitions": transitions}


def _csv(theme_id: str, rows: list[dict]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, [spec.name for spec in columns(theme_id)], lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


@dataclass(frozen=True)
class DemoFile:
    file_name: str
    content: bytes
    submitted_at: dt.datetime
    submitted_by: str
    after_signoff: bool = False  # stored after the chair signs SIGNED_OFF_QUARTER off


def demo_files() -> list[DemoFile]:
    """Every file of the demo network, in the order they were 'sent'."""
    rng = np.random.default_rng(DEMO_SEED)
    boroughs = _boroughs(rng)
    quarters = period_range(FIRST_QUARTER, LAST_QUARTER)
    files: list[DemoFile] = []
    for step, period in enumerate(quarters):
        figures = {b.code: _figures(rng, b, period, step) for b in boroughs}
        individual = step >= len(quarters) - INDIVIDUAL_QUARTERS
        deadline = dt.datetime.combine(period.end, dt.time(9)) + dt.timedelta(days=28)
        for theme_id in THEMES:
            rows = [
                {"la_code": b.code, "period": period.label, **figures[b.code][theme_id]}
                for b in boroughs
                if (b.code, period, theme_id) not in MISSING_RETURNS
                and not (b.code == JOINING_BOROUGH and period < JOINING_QUARTER)
            ]
            if not individual:
                files.append(DemoFile(f"network_{theme_id}_{period.label.replace(' ', '_')}.csv",
                                      _csv(theme_id, rows), deadline, "chair@network.example"))
                continue
            for number, row in enumerate(rows):
                sent = deadline - dt.timedelta(days=14) + dt.timedelta(hours=int(rng.integers(0, 30 * 24)))
                name = reference.authority_name(row["la_code"]).lower().replace(" ", "_")
                files.append(DemoFile(f"{name}_{theme_id}_{period.label.replace(' ', '_')}.csv",
                                      _csv(theme_id, [row]), sent + dt.timedelta(minutes=number),
                                      f"dsco@{name}.example"))
    files.append(_revision_after_signoff(files))
    files.sort(key=lambda demo_file: demo_file.submitted_at)
    files.append(_late_correction(files))
    return files


def signoff_time() -> dt.datetime:
    """When the chair signs SIGNED_OFF_QUARTER off: three weeks after its deadline."""
    return dt.datetime.combine(SIGNED_OFF_QUARTER.end, dt.time(16)) + dt.timedelta(days=DEADLINE_DAYS + 21)


def _revision_after_signoff(files: list[DemoFile]) -> DemoFile:
    """A borough corrects a short breaks return of the signed-off quarter: stored, listed as revised
    after sign-off, shown only with revised figures."""
    name = reference.authority_name(REVISING_BOROUGH).lower().replace(" ", "_")
    file_name = f"{name}_short_breaks_{SIGNED_OFF_QUARTER.label.replace(' ', '_')}.csv"
    original = next(f for f in files if f.file_name == file_name)
    rows = list(csv.DictReader(io.StringIO(original.content.decode("utf-8-sig"))))
    rows[0]["sb_children_total"] = str(int(rows[0]["sb_children_total"]) + 9)
    rows[0]["notes"] = "Revised: nine children on the new holiday scheme were left out of the first return."
    return DemoFile(file_name.replace(".csv", "_revised.csv"), _csv("short_breaks", rows),
                    signoff_time() + dt.timedelta(days=10), original.submitted_by, after_signoff=True)


def _late_correction(files: list[DemoFile]) -> DemoFile:
    """A borough corrects its latest advice return after the deadline: the resubmission case."""
    name = reference.authority_name(RESUBMITTING_BOROUGH).lower().replace(" ", "_")
    file_name = f"{name}_advice_{LAST_QUARTER.label.replace(' ', '_')}.csv"
    original = next(f for f in files if f.file_name == file_name)
    rows = list(csv.DictReader(io.StringIO(original.content.decode("utf-8-sig"))))
    rows[0]["adv_returned_6wk"] = str(max(int(rows[0]["adv_returned_6wk"]) - 3, 0))
    rows[0]["notes"] = "Corrected: three requests were counted on time in error."
    return DemoFile(file_name.replace(".csv", "_corrected.csv"), _csv("advice", rows),
                    files[-1].submitted_at + dt.timedelta(days=2), original.submitted_by)


def _sender(demo_file: DemoFile) -> User:
    """Who sent a demo file: a borough's uploader for its own file, the chair for a collated one."""
    rows = list(csv.DictReader(io.StringIO(demo_file.content.decode("utf-8-sig"))))
    codes = {row["la_code"] for row in rows}
    if len(codes) == 1:
        return User(demo_file.submitted_by, Role.UPLOADER, codes.pop())
    return User(demo_file.submitted_by, Role.CHAIR)


class DemoRefused(RuntimeError):
    """The database already holds a real network's returns; the demo never mixes with them."""


def load_demo(db: Database) -> list[StoreResult]:
    """Store the demo network into an empty database; a database that has it already is left alone."""
    if is_demo(db):
        return []
    if db.scalar("SELECT count(*) FROM submissions"):
        raise DemoRefused(f"{db.path} already holds real returns: load the demo into another file with --db")
    _set_up_network(db)
    results = []
    for demo_file in demo_files():
        if demo_file.after_signoff and cycle.signoff(db, SIGNED_OFF_QUARTER) is None:
            with rights.recorded_at(signoff_time()):
                cycle.sign_off(db, DEMO_CHAIR, SIGNED_OFF_QUARTER, at=signoff_time())
        with rights.recorded_at(demo_file.submitted_at):  # the audit log reads as the network's history
            result = service.store(db, _sender(demo_file), demo_file.file_name, demo_file.content,
                                   submitted_at=demo_file.submitted_at, today=demo_file.submitted_at.date())
        if not result.stored:
            raise RuntimeError(f"demo file refused: {result.report.summary} {result.report.errors[:3]}")
        results.append(result)
    _write_commentaries(db)
    published.load_published(db, sorted(PUBLISHED_DIR.glob("*.csv")))
    db.set_setting("network_name", DEMO_NETWORK_NAME)
    db.set_setting("demo", "true")
    return results



def _address(la_code: str, mailbox: str) -> str:
    return f"{mailbox}@{reference.authority_name(la_code).lower().replace(' ', '_')}.example"


def _set_up_time(step: int) -> dt.datetime:
    """The chair sets the network up on a morning in the first quarter's last week, a minute or two a step."""
    return dt.datetime.combine(FIRST_QUARTER.end - dt.timedelta(days=5), dt.time(9, 30)) + dt.timedelta(
        minutes=2 * step)


def _set_up_network(db: Database) -> None:
    """What the chair does first: the member authorities with the quarter each joined, the deadline,
    and each borough's uploader and DSCO (the addresses the chase list writes to)."""
    boroughs = reference.region_members(LONDON)
    steps = [
        lambda: membership.add_authorities(db, DEMO_CHAIR, [code for code in boroughs if code != JOINING_BOROUGH],
                                           FIRST_QUARTER),
        lambda: membership.add_authorities(db, DEMO_CHAIR, [JOINING_BOROUGH], JOINING_QUARTER),
        lambda: cycle.set_deadline_days(db, DEMO_CHAIR, DEADLINE_DAYS),
        lambda: rights.add_member(db, DEMO_CHAIR, DEMO_CHAIR.email, Role.CHAIR.value, None, DEMO_CHAIR.name),
    ]
    for code in boroughs:
        steps.append(lambda code=code: rights.add_member(db, DEMO_CHAIR, _address(code, "returns"),
                                                         Role.UPLOADER.value, code))
        steps.append(lambda code=code: rights.add_member(db, DEMO_CHAIR, _address(code, "dsco"),
                                                         Role.DSCO.value, code))
    for number, step in enumerate(steps):
        with rights.recorded_at(_set_up_time(number)):
            step()


def _write_commentaries(db: Database) -> None:
    """A few DSCOs explain figures of the latest quarter the discussion list asks about."""
    table = engine.scorecard(db)
    latest = table[(table["period_index"] == LAST_QUARTER.index) & (table["metric"] == "adv_6wk_pct")]
    bottom = sorted(latest.loc[latest["top_bottom_20"] == "bottom 20%", "la_code"])[:2]
    top = sorted(latest.loc[latest["top_bottom_20"] == "top 20%", "la_code"])[:1]
    texts = {
        "bottom": "Two social workers on long-term leave over the summer; agency cover started in September and "
                  "requests are back within 6 weeks from October.",
        "top": "Advice requests go to a duty social worker on the day they arrive, with a weekly check by the DSCO.",
    }
    # written once the latest quarter's returns are in, when the DSCOs see the discussion list
    written = dt.datetime.combine(LAST_QUARTER.end, dt.time(11, 5)) + dt.timedelta(days=DEADLINE_DAYS + 20)
    for codes, key in ((bottom, "bottom"), (top, "top")):
        for code in codes:
            author = User(_address(code, "dsco"), Role.DSCO, code)
            with rights.recorded_at(written):
                service.write_commentary(db, author, code, LAST_QUARTER, "adv_6wk_pct", texts[key])
            written += dt.timedelta(hours=5, minutes=17)
