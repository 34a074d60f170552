"""The metric catalogue: every measure the network compares, defined once.

Ids are stable: the command line, page URLs and exports all use them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from benchmark.definitions.standard import THEMES, VALUE_FIELDS

POPULATION = "population_0_17"  # ONS children aged 0-17, from the reference data
STATEMENT_STALE_MONTHS = 12


class Polarity(StrEnum):
    HIGHER = "higher"
    LOWER = "lower"
    NEUTRAL = "neutral"

    @property
    def label(self) -> str:
        return {"higher": "higher is better", "lower": "lower is better", "neutral": "neutral (no judgement)"}[
            self.value
        ]


class Method(StrEnum):
    """How a value is worked out, which decides its confidence interval and funnel plot."""

    PROPORTION = "proportion"  # numerator / denominator x 100; Wilson score interval; funnel
    RATE = "rate"  # numerator / population x 10,000; exact Poisson interval; funnel
    RATIO = "ratio"  # numerator / denominator, e.g. nights per child; no interval
    VALUE = "value"  # a figure reported as it is, e.g. median days; no interval
    AGE_MONTHS = "age_months"  # whole months from a reported date to the quarter's end


@dataclass(frozen=True)
class Metric:
    id: str
    name: str
    theme: str
    numerator: tuple[str, ...]
    denominator: str | None
    method: Method
    unit: str
    polarity: Polarity
    decimals: int
    definition: str
    legal_basis: str
    short: str = ""  # a column heading for wide tables such as the tartan rug
    flag_above: float | None = None
    headline: bool = False

    @property
    def multiplier(self) -> float:
        return {Method.PROPORTION: 100.0, Method.RATE: 10_000.0}.get(self.method, 1.0)

    @property
    def has_interval(self) -> bool:
        return self.method in (Method.PROPORTION, Method.RATE)

    @property
    def numerator_text(self) -> str:
        """The numerator's fields; a sum in brackets, so that a formula built on it reads right."""
        return " + ".join(self.numerator) if len(self.numerator) == 1 else f"({' + '.join(self.numerator)})"

    @property
    def formula(self) -> str:
        """The calculation in words of the data standard, for documentation."""
        top = self.numerator_text
        if self.method is Method.PROPORTION:
            return f"{top} / {self.denominator} x 100"
        if self.method is Method.RATE:
            return f"{top} / children aged 0-17 (ONS mid-year estimate) x 10,000"
        if self.method is Method.RATIO:
            return f"{top} / {self.denominator}"
        if self.method is Method.AGE_MONTHS:
            return f"whole months from {top} to the end of the quarter"
        return f"{top} as reported"

    def format(self, value: float | None, short: bool = False) -> str:
        """A value as people read it: '73.2%', '41.0 per 10,000 children', '£2,310', '35 days'.
        `short` leaves out a unit the metric's name already says (for tables)."""
        if value is None or value != value:
            return "-"
        number = f"{value:,.{self.decimals}f}"
        if self.unit == "%":
            return f"{number}%"
        if self.unit == "GBP":
            return f"£{number}"
        return number if short else f"{number} {self.unit}"


def _metric(*args: object, **kwargs: object) -> Metric:
    metric = Metric(*args, **kwargs)
    for name in metric.numerator + ((metric.denominator,) if metric.denominator not in (None, POPULATION) else ()):
        if name not in VALUE_FIELDS:
            raise ValueError(f"{metric.id} uses {name}, which is not a field of the data standard")
    return metric


PER_10K = "per 10,000 children"
H, L, N = Polarity.HIGHER, Polarity.LOWER, Polarity.NEUTRAL

CATALOGUE: tuple[Metric, ...] = (
    # Short breaks
    _metric("sb_reach_per_10k", "Children receiving short breaks per 10,000", "short_breaks",
            ("sb_children_total",), POPULATION, Method.RATE, PER_10K, N, 1,
            "Disabled children who received a targeted or specialist short break in the quarter, per 10,000 "
            "children aged 0-17 (ONS mid-year estimate, latest year not after the quarter).",
            "Breaks for Carers of Disabled Children Regulations 2011, reg 3", short="Reach per 10k", headline=True),
    _metric("sb_direct_payment_pct", "Short breaks through direct payments (%)", "short_breaks",
            ("sb_children_direct_payment",), "sb_children_total", Method.PROPORTION, "%", N, 1,
            "Of children receiving short breaks, the percentage receiving them through a direct payment.",
            "Children and Families Act 2014 s49; Children Act 1989 s17A", short="Direct payments %"),
    _metric("sb_overnight_pct", "Children with overnight breaks (%)", "short_breaks",
            ("sb_children_overnight",), "sb_children_total", Method.PROPORTION, "%", N, 1,
            "Of children receiving short breaks, the percentage with at least one overnight break.",
            "Breaks for Carers of Disabled Children Regulations 2011, reg 4", short="Overnight %"),
    _metric("sb_nights_per_overnight_child", "Nights per child with overnight breaks", "short_breaks",
            ("sb_nights_delivered",), "sb_children_overnight", Method.RATIO, "nights", N, 1,
            "Overnight nights delivered in the quarter per child with an overnight break.",
            "Care Planning Regulations 2010, reg 48 (s20 breaks: 17 nights in a row, 75 a year)",
            short="Nights per child"),
    _metric("sb_spend_per_child", "Short-break spend per child", "short_breaks",
            ("sb_spend_gbp",), "sb_children_total", Method.RATIO, "GBP", N, 0,
            "Gross spend on short breaks in the quarter per child receiving a break.",
            "Breaks for Carers of Disabled Children Regulations 2011, reg 3", short="Spend per child £"),
    _metric("sb_waiting_per_10k", "Children waiting for short breaks per 10,000", "short_breaks",
            ("sb_children_waiting",), POPULATION, Method.RATE, PER_10K, L, 1,
            "Children assessed as eligible and still waiting for a service at quarter end, per 10,000 "
            "children aged 0-17.",
            "Breaks for Carers of Disabled Children Regulations 2011, reg 3", short="Waiting per 10k", headline=True),
    _metric("sb_assessment_days_median", "Median days to short-break assessment", "short_breaks",
            ("sb_assessment_days_median",), None, Method.VALUE, "days", L, 0,
            "Median calendar days from referral to completed short-break assessment, as reported.",
            "Children Act 1989 s17 and Sch 2 para 3", short="Days to assessment"),
    _metric("sb_statement_age_months", "Months since the short breaks statement was reviewed", "short_breaks",
            ("sb_statement_reviewed",), None, Method.AGE_MONTHS, "months", L, 0,
            "Whole months from the last review of the short breaks services statement to the end of the "
            f"quarter; over {STATEMENT_STALE_MONTHS} months is flagged.",
            "Breaks for Carers of Disabled Children Regulations 2011, reg 5 (keep the statement under review)",
            flag_above=STATEMENT_STALE_MONTHS, short="Statement age (months)"),
    # Social care advice into EHC needs assessments
    _metric("adv_6wk_pct", "Social care advice within 6 weeks (%)", "advice",
            ("adv_returned_6wk",), "adv_returned", Method.PROPORTION, "%", H, 1,
            "Of social care advice provided in the quarter, the percentage provided within 6 weeks of the request.",
            "SEND Regulations 2014, reg 8(1)", headline=True, short="Advice in 6 weeks %"),
    _metric("adv_6wk_incl_exceptions_pct", "Advice within 6 weeks or with a reg 8(2) exception (%)", "advice",
            ("adv_returned_6wk", "adv_late_exception"), "adv_returned", Method.PROPORTION, "%", H, 1,
            "As the 6-week measure, counting late advice where a reg 8(2) exception applied as on time.",
            "SEND Regulations 2014, reg 8(1) and 8(2)", short="6 weeks incl. exceptions %"),
    _metric("adv_nil_return_pct", "Nil returns: 'not known to social care' (%)", "advice",
            ("adv_nil_returns",), "adv_returned", Method.PROPORTION, "%", N, 1,
            "Of social care advice provided, the percentage that was a 'not known to social care' return.",
            "SEND Regulations 2014, reg 6(1)(e)", short="Nil returns %"),
    _metric("adv_overdue_per_10k", "Advice requests overdue per 10,000", "advice",
            ("adv_overdue_open",), POPULATION, Method.RATE, PER_10K, L, 2,
            "Requests still open and past 6 weeks at quarter end, per 10,000 children aged 0-17.",
            "SEND Regulations 2014, reg 8(1)", short="Overdue per 10k"),
    _metric("adv_audited_pct", "Advice quality-assured by the DSCO (%)", "advice",
            ("adv_audited",), "adv_returned", Method.PROPORTION, "%", H, 1,
            "Advice returns quality-assured by the DSCO in the quarter as a percentage of advice provided.",
            "SEND Code of Practice 2015, para 9.49; DSCO role (DfE/CDC 2021)", short="Audited %"),
    _metric("adv_audit_good_pct", "Audited advice rated good or better (%)", "advice",
            ("adv_audited_good",), "adv_audited", Method.PROPORTION, "%", H, 1,
            "Of advice returns audited, the percentage rated good or better.",
            "SEND Code of Practice 2015, para 9.49", short="Audited good %"),
    _metric("ar_sc_contribution_pct", "Annual reviews with a social care contribution (%)", "advice",
            ("ar_reviews_sc_contribution",), "ar_reviews_known_sc", Method.PROPORTION, "%", H, 1,
            "Of EHC plan annual reviews held in the quarter for children known to social care, the percentage "
            "with a social care contribution (optional fields: authorities that leave them blank are not counted).",
            "SEND Regulations 2014, reg 20(2); SEND Code of Practice 2015, para 9.176",
            short="Annual reviews with SC %"),
    _metric("ehcp_20wk_pct", "EHC plans issued within 20 weeks (%)", "advice",
            ("ehcp_issued_20wk",), "ehcp_issued", Method.PROPORTION, "%", H, 1,
            "Of final EHC plans issued in the quarter, the percentage issued within 20 weeks of the request "
            "(DfE publishes the annual equivalent for England, regions and authorities).",
            "SEND Regulations 2014, reg 13(2)", short="EHCPs in 20 weeks %", headline=True),
    _metric("ehcp_sc_provision_pct", "EHC plans with social care provision (%)", "advice",
            ("ehcp_with_sc_provision",), "ehcp_issued", Method.PROPORTION, "%", N, 1,
            "Of final EHC plans issued, the percentage with social care provision in section H1 or H2.",
            "Children and Families Act 2014 s37(2)(c); CSDPA 1970 s2", short="EHCPs with social care %"),
    # Transitions to adulthood
    _metric("pfa_review_sc_pct", "Year 9+ reviews with a social care contribution (%)", "transitions",
            ("pfa_y9plus_reviews_sc",), "pfa_y9plus_reviews", Method.PROPORTION, "%", H, 1,
            "Of EHC plan annual reviews held for Year 9 and above, the percentage with a social care contribution.",
            "SEND Regulations 2014, regs 20(6) and 21(6)", short="Y9+ reviews with SC %", headline=True),
    _metric("pfa_referred_asc_pct", "Turning 18 within 12 months: referred to adult care (%)", "transitions",
            ("pfa_referred_asc",), "pfa_turning_18_12m", Method.PROPORTION, "%", H, 1,
            "Of young people turning 18 within 12 months, the percentage already referred to adult social care.",
            "Care Act 2014 s58", short="Referred to ASC %"),
    _metric("pfa_care_act_before_18_pct", "Turned 18: Care Act assessment before birthday (%)", "transitions",
            ("pfa_care_act_before_18",), "pfa_turned_18", Method.PROPORTION, "%", H, 1,
            "Of young people who turned 18 in the quarter, the percentage with a Care Act s58 transition "
            "assessment completed before their birthday.",
            "Care Act 2014 s58 and s59", short="Assessed before 18 %"),
    _metric("pfa_services_at_18_pct", "Turned 18: adult services in place (%)", "transitions",
            ("pfa_services_at_18",), "pfa_turned_18", Method.PROPORTION, "%", H, 1,
            "Of young people who turned 18 in the quarter, the percentage with adult care and support in place "
            "on their birthday.",
            "Care Act 2014 s66", short="Services at 18 %", headline=True),
    # Residential placements (Hesley): counts here are small, so most values rest on fewer than 10 children
    _metric("res_per_10k", "Disabled children in residential placements per 10,000", "residential",
            ("res_placed",), POPULATION, Method.RATE, PER_10K, N, 1,
            "Disabled children and young people aged 0-25 placed in a residential special school or college or a "
            "children's home at quarter end, per 10,000 children aged 0-17 (ONS mid-year estimate; the "
            "denominator every network rate uses, so the 18-25s placed make it a little higher than a 0-25 rate).",
            "Child Safeguarding Practice Review Panel, Hesley review phase 2 (2023)", short="Placed per 10k",
            headline=True),
    _metric("res_52wk_pct", "Residential placements: 52-week (%)", "residential",
            ("res_placed_52wk",), "res_placed", Method.PROPORTION, "%", N, 1,
            "Of children placed in residential settings at quarter end, the percentage in 52-week placements.",
            "SEN2 (DfE): EHC plans in 38-51 and 52-week residential settings", short="52-week %"),
    _metric("res_far_pct", "Residential placements more than 20 miles from home (%)", "residential",
            ("res_placed_far",), "res_placed", Method.PROPORTION, "%", L, 1,
            "Of children placed in residential settings at quarter end, the percentage more than 20 miles from home.",
            "Children Act 1989 s22C(8)(a)", short="Over 20 miles %"),
    _metric("res_visited_pct", "Residential placements visited in the quarter (%)", "residential",
            ("res_visited",), "res_placed", Method.PROPORTION, "%", H, 1,
            "Of children placed in residential settings, the percentage visited in person in the quarter by their "
            "social worker or the authority's representative.",
            "Children Act 1989 s85-86; Hesley review phase 2 (2023)", short="Visited %", headline=True),
    _metric("res_advocate_pct", "Residential placements with an independent advocate (%)", "residential",
            ("res_advocate",), "res_placed", Method.PROPORTION, "%", H, 1,
            "Of children placed in residential settings, the percentage with an independent advocate.",
            "Children Act 1989 s26A; Hesley review phase 2 (2023)", short="Advocate %"),
    _metric("res_reviewed_pct", "Residential placements reviewed in the last 6 months (%)", "residential",
            ("res_reviewed_6m",), "res_placed", Method.PROPORTION, "%", H, 1,
            "Of children placed in residential settings, the percentage whose placement was reviewed in the last "
            "6 months.",
            "Care Planning Regulations 2010, reg 33", short="Reviewed in 6 months %"),
)

METRICS: dict[str, Metric] = {metric.id: metric for metric in CATALOGUE}


def metrics_for_theme(theme_id: str) -> list[Metric]:
    return [metric for metric in CATALOGUE if metric.theme == theme_id]


def get_metric(metric_id: str) -> Metric:
    try:
        return METRICS[metric_id]
    except KeyError:
        raise KeyError(f"unknown metric '{metric_id}': see `python -m benchmark metrics`") from None


assert {metric.theme for metric in CATALOGUE} <= set(THEMES)
