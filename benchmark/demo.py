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
from benchmark.analysis import cycle, engine, inspections, published
from benchmark.db import Database
from benchmark.definitions.breakdowns import (
    AGE_BAND,
    BREAKDOWN_COLUMNS,
    ETHNICITY,
    MAJOR_ETHNIC_GROUPS,
    PRIMARY_NEED,
    SEX,
    UNCLASSIFIED,
    major_ethnic_group,
)
from benchmark.definitions.standard import DEFAULT_THEMES, THEMES, YES_NO_IN_PROGRESS, columns
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
ROLE_QUARTER = 3  # boroughs answer the DSCO role self-assessment each October-December
ROLE_ITEMS = tuple(spec.name for spec in THEMES["dsco_role"].fields if spec.choices == YES_NO_IN_PROGRESS)
INDIVIDUAL_QUARTERS = 2  # the latest quarters arrive as one file per borough; earlier ones collated

# Breakdowns (data standard version 2): the chair sends the network's breakdowns of each quarter in one file,
# after the quarter's returns. Every borough but these returns them; one gives ethnicity in major groups only.
NO_BREAKDOWNS = frozenset({"201", "311"})  # City of London, Havering
MAJOR_GROUPS_ONLY = "305"  # Bromley
# The disparities planted in the breakdowns, to find on the Inequalities page (each as a weight on the odds):
SHORT_BREAKS_REACH = {("209", "Black"): 0.5}  # Lewisham: Black children receive short breaks at half the rate
ADVICE_ON_TIME = {("304", "Black"): 0.3}  # Brent: advice for Black children late far more often
ASSESSED_BEFORE_18 = {("306", "Female"): 0.12}  # Croydon: girls less often assessed before 18
ETHNICITY_CENSUS_YEAR = 2022  # the latest school census shipped (January 2022)
# Shares of each breakdown's groups among those served (sex, age band, primary need): invented, SEND-shaped.
SEX_SHARES = {"Female": 0.34, "Male": 0.65, "Unknown": 0.01}
TRANSITION_SEX_SHARES = {"Female": 0.42, "Male": 0.58, "Unknown": 0.0}
AGE_SHARES = {"short_breaks": {"0-4": 0.12, "5-10": 0.4, "11-15": 0.33, "16-17": 0.15, "18-25": 0.0},
              "advice": {"0-4": 0.15, "5-10": 0.4, "11-15": 0.3, "16-17": 0.1, "18-25": 0.05},
              "transitions": {"0-4": 0.0, "5-10": 0.0, "11-15": 0.0, "16-17": 0.0, "18-25": 1.0}}
NEED_SHARES = {"SPLD": 0.01, "MLD": 0.06, "SLD": 0.12, "PMLD": 0.06, "SEMH": 0.09, "SLCN": 0.12, "HI": 0.02,
               "VI": 0.02, "MSI": 0.005, "PD": 0.05, "ASD": 0.33, "OTH": 0.03, "NSA": 0.01,
               "No EHC plan or SEN support": 0.095}


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


def _new_topic_traits(rng: np.random.Generator) -> dict[str, float]:
    """A borough's traits for the topics added after the first three (their own generator, so the original
    themes' figures stay as they were)."""
    return {
        "placed_per_10k": rng.uniform(0.8, 4),
        "fifty_two_week": rng.uniform(0.2, 0.6),
        "out_of_area": rng.uniform(0.5, 0.95),
        "far": rng.uniform(0.3, 0.85),
        "visited": rng.uniform(0.6, 1.0),
        "advocate": rng.uniform(0.2, 0.8),
        "reviewed": rng.uniform(0.7, 1.0),
        "known_sc_reviews_rate": rng.uniform(0.0003, 0.0008),
        "review_contribution": rng.uniform(0.35, 0.9),
        "role_maturity": rng.uniform(0.25, 0.8),
    }


def _role_answers(rng: np.random.Generator, traits: dict[str, float], period: Period) -> dict[str, dict]:
    """The DSCO role self-assessment, answered once a year: most items Yes, some in progress, a few No, and more
    settled each year."""
    maturity = traits["role_maturity"] + 0.15 * (period.start_year - FIRST_QUARTER.start_year)
    in_post = "Yes" if maturity > 0.45 else "Recruiting"
    answers: dict[str, object] = {"dsco_in_post": in_post,
                                  "dsco_fte": round(float(rng.choice([0.5, 0.6, 0.8, 1.0, 1.0])), 1)
                                  if in_post == "Yes" else ""}
    for field in ROLE_ITEMS:
        draw = rng.random()
        answers[field] = "Yes" if draw < maturity else "In progress" if draw < maturity + 0.25 else "No"
    return {"dsco_role": answers}


def _new_topic_figures(rng: np.random.Generator, borough: _Borough, traits: dict[str, float],
                       period: Period) -> dict[str, dict]:
    """A quarter's residential placements (a handful of children in most boroughs, none in a few) and the
    optional annual-review fields of the advice return."""
    answers = _role_answers(rng, traits, period) if period.quarter == ROLE_QUARTER else {}
    placed = int(rng.poisson(borough.population * traits["placed_per_10k"] / 10_000))
    reviews = int(rng.poisson(borough.population * traits["known_sc_reviews_rate"]))
    return {
        **answers,
        "residential": {
            "res_placed": placed,
            "res_placed_52wk": _share(rng, placed, traits["fifty_two_week"]),
            "res_placed_out_of_area": _share(rng, placed, traits["out_of_area"]),
            "res_placed_far": _share(rng, placed, traits["far"]),
            "res_visited": _share(rng, placed, traits["visited"]),
            "res_advocate": _share(rng, placed, traits["advocate"]),
            "res_reviewed_6m": _share(rng, placed, traits["reviewed"]),
            "res_new": int(rng.poisson(max(placed, 1) * 0.1)),
            "res_returned_home": int(rng.poisson(max(placed, 1) * 0.05)),
        },
        "advice": {
            "ar_reviews_known_sc": reviews,
            "ar_reviews_sc_contribution": _share(rng, reviews, traits["review_contribution"]),
        },
    }


def _csv(theme_id: str, rows: list[dict]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, [spec.name for spec in columns(theme_id)], lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def _ethnicity_shares() -> dict[str, np.ndarray]:
    """Each London borough's pupils by ethnicity (school census), as shares: what the breakdowns are drawn around,
    so the Inequalities page finds only the disparities planted."""
    census = reference.pupils_by_ethnicity()
    census = census[(census["census_year"] == ETHNICITY_CENSUS_YEAR)
                    & census["la_code"].isin(reference.region_members(LONDON))]
    shares = {}
    for code, rows in census.groupby("la_code"):
        counts = rows.set_index("ethnicity")["headcount"].reindex(list(ETHNICITY.names())).fillna(0)
        shares[code] = (counts / counts.sum()).to_numpy(dtype=float)
    return shares


def _draw(rng: np.random.Generator, count: int, odds: np.ndarray) -> np.ndarray:
    """The group (its position) of each of `count` people, drawn with these odds."""
    return rng.choice(len(odds), size=count, p=odds / odds.sum())


def _chosen(rng: np.random.Generator, count: int, odds: np.ndarray) -> np.ndarray:
    """Which `count` of the people a part counts (advice within 6 weeks, assessed before 18), each person with
    these odds of being chosen."""
    mask = np.zeros(len(odds), dtype=bool)
    mask[rng.choice(len(odds), size=count, replace=False, p=odds / odds.sum())] = True
    return mask


_NEED_NAMES = {group.codes[0] if group.codes else group.name: group.name for group in PRIMARY_NEED.groups}
# Each breakdown's groups in the order the files list them, and each person's major ethnic group.
_GROUPS = {"ethnicity": ETHNICITY.names(), "sex": SEX.names(), "age_band": AGE_BAND.names(),
           "primary_need": tuple(_NEED_NAMES[code] for code in NEED_SHARES)}
_MAJOR_NAMES = (*MAJOR_ETHNIC_GROUPS, UNCLASSIFIED)
_MAJOR_OF = np.array([_MAJOR_NAMES.index(major_ethnic_group(name)) for name in ETHNICITY.names()])


def _weights(planted: dict[tuple[str, str], float], code: str, by: str) -> np.ndarray:
    """The planted weight on each group's odds for this borough (1 where none is planted)."""
    names = _GROUPS[by]
    weights = {group: weight for (borough, group), weight in planted.items() if borough == code}
    if by == "ethnicity":
        return np.array([weights.get(major_ethnic_group(name), 1.0) for name in names])
    return np.array([weights.get(name, 1.0) for name in names])


def _breakdown_rows(code: str, period: Period, figures: dict[str, dict], ethnicity: np.ndarray) -> list[list]:
    """One borough's breakdowns of one quarter: children receiving short breaks, advice given (and within 6 weeks),
    young people who turned 18 (and were assessed before), each by ethnicity, sex, age band and primary need.

    Each count's people are drawn one by one with all four groups, and a part is chosen from its whole's people,
    so every breakdown adds up to its total and no group's part exceeds its whole. A seed of its own per borough
    and quarter leaves the theme returns' figures as they were. `ethnicity`: the borough's pupils' shares."""
    rng = np.random.default_rng([DEMO_SEED, int(code), period.index])
    rows: list[list] = []
    label = period.label

    def people(theme_id: str, count: int, planted: dict[tuple[str, str], float]) -> dict[str, np.ndarray]:
        sexes = TRANSITION_SEX_SHARES if theme_id == "transitions" else SEX_SHARES
        shares = {"ethnicity": ethnicity * _weights(planted, code, "ethnicity"),
                  "sex": np.array([sexes[name] for name in _GROUPS["sex"]]),
                  "age_band": np.array([AGE_SHARES[theme_id][name] for name in _GROUPS["age_band"]]),
                  "primary_need": np.array(list(NEED_SHARES.values()))}
        return {by: _draw(rng, count, odds) for by, odds in shares.items()}

    def add(count_of: str, groups: dict[str, np.ndarray], mask: np.ndarray | None = None) -> None:
        for by, positions in groups.items():
            chosen = positions if mask is None else positions[mask]
            names = _GROUPS[by]
            if by == "ethnicity" and code == MAJOR_GROUPS_ONLY:
                chosen, names = _MAJOR_OF[chosen], _MAJOR_NAMES
            counts = np.bincount(chosen, minlength=len(names)).tolist()
            # A group with none is left out, as councils do: the groups given still add up to the total.
            rows.extend([code, label, count_of, by, name, number]
                        for name, number in zip(names, counts, strict=True) if number)

    if "short_breaks" in figures:
        add("sb_children_total", people("short_breaks", figures["short_breaks"]["sb_children_total"],
                                        SHORT_BREAKS_REACH))
    if "advice" in figures:
        given = people("advice", figures["advice"]["adv_returned"], {})
        add("adv_returned", given)
        on_time = _weights(ADVICE_ON_TIME, code, "ethnicity")[given["ethnicity"]]
        add("adv_returned_6wk", given, _chosen(rng, figures["advice"]["adv_returned_6wk"], on_time))
    if "transitions" in figures:
        turned = people("transitions", figures["transitions"]["pfa_turned_18"], {})
        add("pfa_turned_18", turned)
        assessed = _weights(ASSESSED_BEFORE_18, code, "sex")[turned["sex"]]
        add("pfa_care_act_before_18", turned,
            _chosen(rng, figures["transitions"]["pfa_care_act_before_18"], assessed))
    return rows


def _breakdown_csv(rows: list[list]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(BREAKDOWN_COLUMNS)
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
    later_rng = np.random.default_rng(DEMO_SEED + 1)
    later_traits = {b.code: _new_topic_traits(later_rng) for b in boroughs}
    quarters = period_range(FIRST_QUARTER, LAST_QUARTER)
    ethnicity = _ethnicity_shares()
    files: list[DemoFile] = []
    for step, period in enumerate(quarters):
        figures = {b.code: _figures(rng, b, period, step) for b in boroughs}
        for b in boroughs:
            for theme_id, values in _new_topic_figures(later_rng, b, later_traits[b.code], period).items():
                figures[b.code].setdefault(theme_id, {}).update(values)
        individual = step >= len(quarters) - INDIVIDUAL_QUARTERS
        deadline = dt.datetime.combine(period.end, dt.time(9)) + dt.timedelta(days=28)
        returned = {
            b.code: {theme_id: figures[b.code][theme_id] for theme_id in THEMES
                     if (b.code, period, theme_id) not in MISSING_RETURNS and theme_id in figures[b.code]}
            for b in boroughs if not (b.code == JOINING_BOROUGH and period < JOINING_QUARTER)
        }
        breakdowns = [row for code, themes in returned.items() if code not in NO_BREAKDOWNS
                      for row in _breakdown_rows(code, period, themes, ethnicity[code])]
        # After every return of the quarter, before a sign-off three weeks after the deadline.
        files.append(DemoFile(f"network_breakdowns_{period.label.replace(' ', '_')}.csv", _breakdown_csv(breakdowns),
                              deadline + dt.timedelta(days=18), "chair@network.example"))
        for theme_id in THEMES:
            sending_rng = rng if theme_id in DEFAULT_THEMES else later_rng
            rows = [
                {"la_code": code, "period": period.label, **themes[theme_id]}
                for code, themes in returned.items() if theme_id in themes
            ]
            if not rows:
                continue
            if not individual:
                files.append(DemoFile(f"network_{theme_id}_{period.label.replace(' ', '_')}.csv",
                                      _csv(theme_id, rows), deadline, "chair@network.example"))
                continue
            for number, row in enumerate(rows):
                sent = deadline - dt.timedelta(days=14) + dt.timedelta(hours=int(sending_rng.integers(0, 30 * 24)))
                name = reference.authority_name(row["la_code"]).lower().replace(" ", "_")
                files.append(DemoFile(f"{name}_{theme_id}_{period.label.replace(' ', '_')}.csv",
                                      _csv(theme_id, [row]), sent + dt.timedelta(minutes=number),
                                      f"dsco@{name}.example"))
    files.append(_revision_after_signoff(files))
    files.append(_corrected_breakdowns(files[-1], "short_breaks", ethnicity))
    files.sort(key=lambda demo_file: demo_file.submitted_at)
    files.append(_late_correction(files))
    files.append(_corrected_breakdowns(files[-1], "advice", ethnicity))
    return files


def _corrected_breakdowns(corrected: DemoFile, theme_id: str, ethnicity: dict[str, np.ndarray]) -> DemoFile:
    """The borough sends the breakdowns of its corrected return an hour later, so that they add up to it again."""
    row = next(csv.DictReader(io.StringIO(corrected.content.decode("utf-8-sig"))))
    counts = {spec.name: int(row[spec.name]) for spec in THEMES[theme_id].fields if row[spec.name].isdigit()}
    period = Period.parse(row["period"])
    rows = _breakdown_rows(row["la_code"], period, {theme_id: counts}, ethnicity[row["la_code"]])
    name = corrected.file_name.replace(f"_{theme_id}_", f"_{theme_id}_breakdowns_")
    return DemoFile(name, _breakdown_csv(rows), corrected.submitted_at + dt.timedelta(hours=1),
                    corrected.submitted_by, after_signoff=corrected.after_signoff)


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
    # The chair loads the inspection summary an hour after the last file arrived.
    with rights.recorded_at(max(demo_file.submitted_at for demo_file in demo_files()) + dt.timedelta(hours=1)):
        inspections.load_summary(db, DEMO_CHAIR, inspections.BUNDLED_SUMMARY)
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
        lambda: membership.set_themes(db, DEMO_CHAIR, THEMES),  # the demo collects every theme, the newer too
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
