"""The catalogue of published measures: what DfE publishes about disabled children, defined once.

Like the metric catalogue (`metrics.py`) and DfE LAIT's data dictionary, each measure names its
source file, indicator column and filter values, unit, polarity and definition; pages, the
command line and packs all read it from here; `analysis/published_measures.py` computes them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from benchmark.definitions.metrics import PER_10K, Polarity
from benchmark.definitions.standard import THEMES

SN_COUNT = 10
OGL = "Contains public sector information licensed under the Open Government Licence v3.0 (Department for Education)."
CIN_RELEASE = "DfE, Children in need, reporting year 2024 (Explore Education Statistics)"
CLA_RELEASE = ("DfE, Children looked after in England including adoptions, reporting year 2024 "
               "(Explore Education Statistics)")
EHCP_RELEASE = "DfE, Education, health and care plans, reporting year 2025 (Explore Education Statistics)"
NEET_RELEASE = "DfE, NEET and participation: local authority figures (NCCIS), 2023 and 2024"
TRIBUNAL_RELEASE = ("MoJ and DfE, SEND Tribunal appeal rate table 2014-2024 (supporting file of DfE's Education, "
                    "health and care plans, reporting year 2025)")
RATE_METHOD = ("per 10,000 children aged 0-17: the published count over the ONS mid-year estimate for the same "
               "year, the population the network's own rates use")


@dataclass(frozen=True)
class PublishedMeasure:
    id: str
    name: str
    theme: str
    source: str  # the file stem without its years
    indicator: str  # the indicator column, in any case
    filters: tuple[tuple[str, str], ...]  # filter column (breakdown included) and the value wanted
    unit: str
    decimals: int
    polarity: Polarity
    per_10k: bool  # the published count is turned into a rate per 10,000 children aged 0-17
    definition: str
    publication: str
    period_text: str  # how one period reads, e.g. "31 Mar {period}" ({previous}: the year before)
    short: str
    caveat: str = ""
    minus: str | None = None  # a second indicator subtracted from the first: a gap in percentage points
    over: str | None = None  # a second indicator the first is a percentage of (a part of its whole)
    licence: str = OGL

    def format(self, value: float | None, symbol: str | None = None) -> str:
        """'13.6%', '412.3', '5.1 ppts'; the EES symbol where there is no number."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return symbol or "-"
        number = f"{value:,.{self.decimals}f}"
        return {"%": f"{number}%", "percentage points": f"{number} ppts"}.get(self.unit, number)

    def when(self, period: str | None) -> str:
        if period is None or (isinstance(period, float) and math.isnan(period)) or not str(period):
            return "not loaded"  # a measure whose file is not loaded has no period (missing, NaN in a frame)
        year = str(period)[:4]
        return self.period_text.format(period=period, previous=int(year) - 1 if year.isdigit() else "")


H, L, N = Polarity.HIGHER, Polarity.LOWER, Polarity.NEUTRAL
B2 = "b2_children_in_need_recorded_disability"
B3 = "b3_cin_primary_need"
CLA = "la_children_looked_after_exclusively_under_a_series_of_short_term_placements"
NEET = "UD_NEETNK_LA_dashboard_final"
B2_FILTER = (("category", "Recorded disability"),)
B3_FILTER = (("category", "Primary need at assessment"),)
PLANS = (("breakdown", "All EHC plans issued"),)
REQUESTS = (("breakdown", "All requests for EHC needs assessments"),)
NEET_AGE = (("Age", "16-17"),)
CIN_AT = "31 Mar {period}"
NEET_AT = "Dec {previous}-Feb {period}"
CALENDAR = "calendar {period}"
JANUARY = "Jan 20{period[4]}{period[5]}"  # SEN2 counts at the January census: 202425 is January 2025
RESIDENTIAL_SETTINGS = "residential_settings"
ALL_RESIDENTIAL = (("breakdown", "All residential placements"),)
ALL_REVIEWS = (("breakdown", "All annual reviews"),)
ALL_BUDGETS = (("breakdown", "All personal budgets"),)
TRIBUNAL = "SEND Tribunals and appeal rate"

CATALOGUE: tuple[PublishedMeasure, ...] = (
    # Short breaks
    PublishedMeasure(
        "cin_disability_count", "Children in need with a recorded disability", "short_breaks", B2,
        "At31_episodes_disability_recorded", B2_FILTER, "children", 0, N, False,
        "Children in need at 31 March whose record shows a disability (Children in need census, table B2).",
        CIN_RELEASE, CIN_AT, "CIN with disability"),
    PublishedMeasure(
        "cin_disability_pct", "Children in need with a recorded disability (% of CIN)", "short_breaks", B2,
        "At31_episodes_disability_recorded_percent", B2_FILTER, "%", 1, N, False,
        "Of children in need at 31 March, the percentage whose record shows a disability (table B2).",
        CIN_RELEASE, CIN_AT, "CIN with disability %"),
    PublishedMeasure(
        "cin_disability_per_10k", "Children in need with a recorded disability per 10,000", "short_breaks", B2,
        "At31_episodes_disability_recorded", B2_FILTER, PER_10K, 1, N, True,
        f"Children in need at 31 March with a recorded disability, {RATE_METHOD}.",
        CIN_RELEASE, CIN_AT, "CIN with disability per 10k"),
    PublishedMeasure(
        "cin_n2_per_10k", "Children in need with primary need 'child's disability or illness' (N2) per 10,000",
        "short_breaks", B3, "N2_Childs_disability_or_illness", B3_FILTER, PER_10K, 1, N, True,
        f"Children in need at 31 March whose primary need at assessment was N2, {RATE_METHOD} (table B3).",
        CIN_RELEASE, CIN_AT, "CIN primary need N2 per 10k"),
    PublishedMeasure(
        "cla_short_breaks_only", "Children looked after only through short-term placements (short breaks)",
        "short_breaks", CLA, "number",
        (("cla_group", "Children who were only looked after exclusively under a series of short term placements"),),
        "children", 0, N, False,
        "Children looked after during the year to 31 March only under an agreed series of short-term placements "
        "(section 20 short breaks); not counted in the children-looked-after totals.",
        CLA_RELEASE, "yr to 31 Mar {period}", "CLA only via short breaks",
        caveat="Most authorities report 0 or a suppressed figure ('c'), so ranks and bands say little here."),
    PublishedMeasure(
        "pb_social_care_per_10k", "EHC plans with a personal budget with a social care element per 10,000",
        "short_breaks", "personal_budgets", "pb_social", ALL_BUDGETS, PER_10K, 1, N, True,
        f"EHC plans with a personal budget that has a social care element at the January census, {RATE_METHOD}.",
        EHCP_RELEASE, JANUARY, "PB social care per 10k"),
    PublishedMeasure(
        "pb_social_care_pct", "Personal budgets with a social care element (%)", "short_breaks",
        "personal_budgets", "pb_social", ALL_BUDGETS, "%", 1, N, False,
        "Of EHC plans with a personal budget, the percentage whose budget has a social care element "
        "(pb_social / personal_budget x 100, from the published counts).",
        EHCP_RELEASE, JANUARY, "PB with social care %", over="personal_budget"),
    # Social care advice into EHC needs assessments
    PublishedMeasure(
        "ehcp_20wk_excl_pct", "EHC plans issued within 20 weeks, excluding exceptions (%)", "advice",
        "timeliness_20_week", "PC_plans_issued_20_weeks_ex", PLANS, "%", 1, H, False,
        "DfE's headline timeliness measure (SEND Regulations 2014, reg 13(2)); plans under a reg 13(3) exception "
        "are left out.", EHCP_RELEASE, CALENDAR, "EHCP 20 wks excl. exceptions %"),
    PublishedMeasure(
        "ehcp_20wk_incl_pct", "EHC plans issued within 20 weeks, including exceptions (%)", "advice",
        "timeliness_20_week", "pc_plans_issued_within_20_weeks", PLANS, "%", 1, H, False,
        "Every plan issued, as the network's own 20-week measure counts them (reg 13(2)).",
        EHCP_RELEASE, CALENDAR, "EHCP 20 wks incl. exceptions %"),
    PublishedMeasure(
        "ehc_requests_per_10k", "Requests for an EHC needs assessment per 10,000 children", "advice",
        "requests", "requests_received_in_year", REQUESTS, PER_10K, 1, N, True,
        f"Requests for an EHC needs assessment received in the calendar year (ages 0-25), {RATE_METHOD}.",
        EHCP_RELEASE, CALENDAR, "EHC requests per 10k"),
    PublishedMeasure(
        "ehc_requests_6wk_pct", "Requests for assessment decided within 6 weeks (%)", "advice",
        "requests", "request_outcome_six_weeks_pc", REQUESTS, "%", 1, H, False,
        "Of requests for an EHC needs assessment, the percentage where the decision whether to assess was made "
        "within the statutory 6 weeks (SEND Regulations 2014, reg 5(1)).",
        EHCP_RELEASE, CALENDAR, "Requests decided in 6 wks %"),
    PublishedMeasure(
        "ar_decision_4wk_pct", "Annual reviews decided within 4 weeks of the meeting (%)", "advice",
        "annual_reviews", "pc_decsion_4weeks", ALL_REVIEWS, "%", 1, H, False,
        "Of EHC plan annual reviews with a decision in the calendar year, the percentage decided within 4 weeks of "
        "the review meeting (SEND Regulations 2014, reg 20(10)); DfE publishes nothing on social care's part.",
        EHCP_RELEASE, CALENDAR, "Reviews decided in 4 wks %"),
    PublishedMeasure(
        "send_tribunal_appeal_rate", "SEND Tribunal appeal rate (% of appealable decisions)", "advice",
        TRIBUNAL, "appeal_rate", (), "%", 1, N, False,
        "Appeals registered with the SEND Tribunal as a percentage of appealable decisions (requests refused, "
        "decisions not to issue a plan, plans in place, plans ceased), as MoJ prints it to 0.1%.",
        TRIBUNAL_RELEASE, CALENDAR, "Tribunal appeal rate %",
        caveat="Appealable decisions counted differently from 2023 (a new SEN2 collection): compare years with care."),
    # Transitions to adulthood
    PublishedMeasure(
        "neet_nk_ehcp_pct", "16-17 year olds with an EHC plan: NEET or not known (%)", "transitions",
        NEET, "NEET_NK_EHCP_percent", NEET_AGE, "%", 1, L, False,
        "Of 16-17 year olds with an EHC plan known to the authority, the percentage not in education, employment "
        "or training or whose activity is not known (average of December, January and February).",
        NEET_RELEASE, NEET_AT, "NEET/NK with EHCP %"),
    PublishedMeasure(
        "neet_nk_nosen_pct", "16-17 year olds with no SEN: NEET or not known (%)", "transitions",
        NEET, "NEET_NK_noSEN_percent", NEET_AGE, "%", 1, L, False,
        "The same measure for 16-17 year olds with no identified special educational need.",
        NEET_RELEASE, NEET_AT, "NEET/NK no SEN %"),
    PublishedMeasure(
        "neet_nk_ehcp_gap_ppts", "NEET or not known: gap between EHC plan and no SEN", "transitions",
        NEET, "NEET_NK_EHCP_percent", NEET_AGE, "percentage points", 1, L, False,
        "The percentage NEET or not known with an EHC plan minus the percentage with no SEN, in percentage "
        "points, each as published (rounded to 0.1).",
        NEET_RELEASE, NEET_AT, "NEET/NK gap ppts", minus="NEET_NK_noSEN_percent"),
    PublishedMeasure(
        "cohort_ehcp_pct", "16-17 year olds with an EHC plan (% of the cohort)", "transitions",
        NEET, "cohort_EHCP_percent", NEET_AGE, "%", 1, N, False,
        "Of 16-17 year olds known to the authority, the percentage with an EHC plan.",
        NEET_RELEASE, NEET_AT, "EHCP share of 16-17s %"),
    # Residential placements
    PublishedMeasure(
        "ehcp_residential_per_10k", "EHC plans in residential settings per 10,000 children", "residential",
        RESIDENTIAL_SETTINGS, "Res_tot", ALL_RESIDENTIAL, PER_10K, 1, N, True,
        "Children and young people (0-25) with an EHC plan in a 38-51 or 52-week residential setting at the January "
        f"census (SEN2), {RATE_METHOD}. Counted from 2023 person by person: earlier years are not comparable.",
        EHCP_RELEASE, JANUARY, "EHCPs residential per 10k"),
    PublishedMeasure(
        "ehcp_residential_52wk_pct", "EHC plans in residential settings: 52-week placements (%)", "residential",
        RESIDENTIAL_SETTINGS, "Res_52", ALL_RESIDENTIAL, "%", 1, N, False,
        "Of EHC plans in residential settings at the January census, the percentage in 52-week placements "
        "(Res_52 / Res_tot x 100, from the published counts).",
        EHCP_RELEASE, JANUARY, "Residential 52-week %", over="Res_tot",
        caveat="Small counts: a handful of children in most authorities, some suppressed ('c')."),
)

MEASURES: dict[str, PublishedMeasure] = {measure.id: measure for measure in CATALOGUE}
assert {measure.theme for measure in CATALOGUE} <= set(THEMES)

def measures_for_theme(theme_id: str | None) -> list[PublishedMeasure]:
    return [measure for measure in CATALOGUE if theme_id is None or measure.theme == theme_id]


def get_measure(measure_id: str) -> PublishedMeasure:
    try:
        return MEASURES[measure_id]
    except KeyError:
        raise KeyError(f"unknown published measure '{measure_id}': see `python -m benchmark context --help`") from None
