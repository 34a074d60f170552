"""The network's quarterly return, data standard version 2: the one definition of every field
(the breakdowns version 2 adds are in `breakdowns.py`).

Validation, the blank templates, docs/data-standard.md and the Data standard page are all
generated from what is written here; nothing else lists the fields.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

STANDARD_VERSION = 2  # 2: optional breakdowns of counts (definitions/breakdowns.py); version 1 files stay valid
NOTES_MAX_CHARS = 1000
MAX_NIGHTS_PER_QUARTER = 92  # the longest quarter has 92 nights
NOT_AVAILABLE_MARKERS = ("", "c", "x", ":")
GUIDANCE_SHEET = "Guidance"  # the sheet of a workbook that explains the columns; never read as data


@dataclass(frozen=True)
class InputLimit:
    """A limit on a file as a whole: beyond it the file is refused before its figures are read."""

    name: str
    value: int
    unit: str
    reason: str

    @property
    def describe(self) -> str:
        return f"{self.value:,} {self.unit}"


# What a return file may be. A real return is far smaller; these keep a hostile or broken file from
# tying up the server, and each is checked while the file is read, so refusing one is quick.
MAX_FILE_BYTES = InputLimit(
    "file size", 20 * 1024 * 1024, "bytes",
    "the dashboard's upload limit (20 MB); a return of every English authority for every quarter is under 2 MB")
MAX_ROWS = InputLimit(
    "rows", 10_000, "rows of figures",
    "153 authorities over every quarter since 2015-16 come to fewer than 8,000 rows per theme")
MAX_COLUMNS = InputLimit(
    "columns", 64, "columns",
    "a theme has at most 14 columns; blank columns after the last one are not counted")
MAX_CELL_CHARS = InputLimit(
    "cell length", 32_767, "characters in one cell", "Excel's own limit for a cell")
MAX_UNZIPPED_BYTES = InputLimit(
    "unpacked workbook size", 64 * 1024 * 1024, "bytes once unpacked",
    "a workbook of 10,000 rows unpacks to under 30 MB; more means a damaged or hostile file")
MAX_SHEETS = InputLimit(
    "sheets", 50, "sheets in a workbook",
    "the return workbook has four (a guidance sheet and one per theme); a council's own adds a few more")
MAX_ROW_CELLS = InputLimit(
    "cells in a row", 16_384, "cells in one row of a sheet, blank ones included",
    "Excel's own limit: a row has 16,384 columns (A to XFD)")
MAX_SHARED_STRINGS = InputLimit(
    "different texts", 100_000, "different texts in a workbook",
    "three themes of 10,000 rows, each row with an authority, a quarter and a note, use fewer than 100,000")
MAX_PART_ELEMENTS = InputLimit(
    "XML elements outside the rows", 100_000, "XML elements in a workbook part besides a sheet's rows",
    "the list of sheets, the styles and a sheet's settings hold a few hundred where Excel saves them")
MAX_SHEET_ELEMENTS = InputLimit(
    "XML elements in a sheet", 1_000_000, "XML elements in one sheet (each cell is one or two)",
    "10,000 rows of a theme's 14 figures come to about 300,000")
MAX_SECONDS = InputLimit(
    "time", 10, "seconds of checking",
    "a return of the largest size allowed is checked in about a second")
MAX_READING_CPU = InputLimit(
    "processor time", 4, "seconds of processor time to read a file",
    "the largest return allowed is read in about a second; the file is read in a separate process that is "
    "stopped at this limit, so no other page waits")
MAX_READING_MEMORY = InputLimit(
    "memory", 448 * 1024 * 1024, "bytes of memory for reading one file, beyond the reading code's own",
    "reading the largest return allowed takes under 150 MB; the reading process is stopped at this limit")
INPUT_LIMITS = (MAX_FILE_BYTES, MAX_ROWS, MAX_COLUMNS, MAX_CELL_CHARS, MAX_UNZIPPED_BYTES, MAX_SHEETS, MAX_ROW_CELLS,
                MAX_SHARED_STRINGS, MAX_PART_ELEMENTS, MAX_SHEET_ELEMENTS, MAX_SECONDS, MAX_READING_CPU,
                MAX_READING_MEMORY)


class Kind(StrEnum):
    """What a cell holds; each kind has one parser in benchmark.intake.validation."""

    AUTHORITY = "authority"
    PERIOD = "period"
    TEXT = "text"
    COUNT = "count"
    MONEY = "money"
    DAYS = "days"
    DATE = "date"
    DECIMAL = "decimal"
    CHOICE = "choice"

    @property
    def describe(self) -> str:
        return {
            Kind.DECIMAL: "number, 0 or more (decimals allowed)",
            Kind.CHOICE: "one of the answers listed for the column",
            Kind.AUTHORITY: "DfE 3-digit code, ONS 9-character code or exact name",
            Kind.PERIOD: "financial-year quarter, e.g. 2025-26 Q1",
            Kind.TEXT: f"free text, at most {NOTES_MAX_CHARS:,} characters",
            Kind.COUNT: "whole number, 0 or more",
            Kind.MONEY: "pounds, 0 or more (pence allowed)",
            Kind.DAYS: "calendar days, 0 or more",
            Kind.DATE: "date, e.g. 2025-03-31 or 31/03/2025",
        }[self]


@dataclass(frozen=True)
class Plausible:
    """The range a value must fall in to be believed: a rule of the standard, with its reason.

    `per_child` scales the largest value by the authority's children aged 0-17 (ONS mid-year
    estimate), so a borough of 40,000 children and the Isles of Scilly get limits of their size.
    """

    reason: str
    most: float | None = None
    per_child: float | None = None
    earliest: dt.date | None = None
    shown_as: str = "{:,.0f}"  # how `most` reads, e.g. "£{:,.0f}"

    @property
    def describe(self) -> str:
        if self.per_child is not None:
            per = "" if self.per_child == 1 else f"{self.per_child:g} x "
            return f"at most {per}the authority's children aged 0-17"
        if self.most is not None:
            return f"at most {self.shown_as.format(self.most)}"
        return f"not before {self.earliest:%d %B %Y}" if self.earliest else ""


CHILDREN = Plausible(
    "a count of children or of their cases in one quarter cannot be larger than the number of children "
    "aged 0-17 living in the authority (ONS mid-year estimate)", per_child=1)
PLAUSIBLE_BY_KIND = {
    Kind.COUNT: CHILDREN,
    Kind.MONEY: Plausible(
        "£50 million in one quarter is far beyond any authority's short-break spend: check for pence or a "
        "misplaced decimal point", most=50_000_000, shown_as="£{:,.0f}"),
    Kind.DAYS: Plausible(
        "a median of more than two years (730 days) is not a waiting time the standard can believe: check "
        "the figure is in days", most=730, shown_as="{:,.0f} days"),
    Kind.DATE: Plausible(
        "a date before 2000 is a typing error (the short breaks statement duty dates from 2011)",
        earliest=dt.date(2000, 1, 1)),
}


@dataclass(frozen=True)
class Field:
    name: str
    kind: Kind
    label: str
    description: str
    legal_basis: str = ""
    required: bool = True
    example: str = ""
    plausible_range: Plausible | None = None  # when the kind's usual range does not fit
    # The answers a CHOICE field accepts, in any case; stored as the answer's position, so answers are only
    # ever added at the end.
    choices: tuple[str, ...] = ()

    @property
    def plausible(self) -> Plausible | None:
        """The range this field's values must fall in (None for codes, quarters and notes)."""
        return self.plausible_range or PLAUSIBLE_BY_KIND.get(self.kind)


@dataclass(frozen=True)
class Bound:
    """`column` may not exceed the sum of `terms` (field, coefficient): a part and its whole."""

    column: str
    terms: tuple[tuple[str, int], ...]
    reason: str

    @property
    def fields(self) -> tuple[str, ...]:
        return (self.column, *(name for name, _ in self.terms))

    def limit(self, values: dict[str, float | None]) -> float | None:
        """The largest value `column` may take, or None when a term is not available."""
        total = 0.0
        for name, coefficient in self.terms:
            part = values.get(name)
            if part is None:
                return None
            total += coefficient * part
        return total


def part_of(part: str, whole: str) -> Bound:
    return Bound(part, ((whole, 1),), f"{part} counts some of {whole}, so it cannot be larger")


@dataclass(frozen=True)
class Theme:
    id: str
    sheet: str  # the sheet name in the one-workbook return; `id` in any case is read the same
    title: str
    owner: str
    description: str
    fields: tuple[Field, ...]
    bounds: tuple[Bound, ...] = field(default=())
    # A network collects this theme until its chair chooses themes; a theme added later is collected only
    # when the chair adds it, so a network that collects the original three sees no new theme appear.
    collected_by_default: bool = True
    # How often it is answered: "quarterly", or "yearly" (answered at least once a year; the latest answer
    # stands until it is replaced, so a return in any of the last four quarters counts).
    cadence: str = "quarterly"

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


COMMON_FIELDS = (
    Field("la_code", Kind.AUTHORITY, "Authority",
          "The authority making the return: DfE 3-digit code (202), ONS code (E09000007) or "
          "its exact name (Camden). Stored as the 3-digit code.", example="202"),
    Field("period", Kind.PERIOD, "Quarter",
          "Financial-year quarter the figures cover. 2025-26 Q1 is April-June 2025; "
          "2025/26 Q1 and Q1 2025-26 are also accepted.", example="2025-26 Q1"),
    Field("notes", Kind.TEXT, "Notes",
          "The authority's commentary on this theme for the quarter: anything the network should know "
          "when reading these figures, shown beside them on screen and in network packs (optional, at "
          f"most {NOTES_MAX_CHARS:,} characters; a blank cell leaves earlier commentary as it is).",
          required=False, example=""),
)

SHORT_BREAKS = Theme(
    id="short_breaks",
    sheet="Short breaks",
    title="Short breaks for disabled children",
    owner="Disabled children's service / short breaks team",
    description="Targeted and specialist short breaks arranged or funded by the authority.",
    fields=(
        Field("sb_children_total", Kind.COUNT, "Children receiving short breaks",
              "Disabled children aged 0-17 who received at least one targeted or specialist "
              "short break arranged or funded by the authority in the quarter.",
              "Breaks for Carers of Disabled Children Regulations 2011, reg 3", example="412"),
        Field("sb_children_overnight", Kind.COUNT, "of whom: overnight breaks",
              "Of those, children with at least one overnight short break in the quarter.",
              "Children Act 1989 s17(6) and s20(4); reg 4 of the 2011 Regulations", example="38"),
        Field("sb_children_daytime", Kind.COUNT, "of whom: daytime breaks",
              "Of those, children with at least one daytime short break in the quarter.",
              "Breaks for Carers of Disabled Children Regulations 2011, reg 4", example="305"),
        Field("sb_children_direct_payment", Kind.COUNT, "of whom: direct payments",
              "Of those, children receiving breaks through a direct payment in the quarter.",
              "Children and Families Act 2014 s49; Children Act 1989 s17A", example="120"),
        Field("sb_nights_delivered", Kind.COUNT, "Overnight nights delivered",
              "Overnight short-break nights delivered in the quarter (at most 92 per child "
              "with an overnight break).",
              "Care Planning Regulations 2010, reg 48 (s20 breaks: 17 nights in a row, 75 a year)",
              example="410", plausible_range=Plausible(
                  f"a quarter has at most {MAX_NIGHTS_PER_QUARTER} nights for each child aged 0-17 living in "
                  "the authority (ONS mid-year estimate)", per_child=MAX_NIGHTS_PER_QUARTER)),
        Field("sb_spend_gbp", Kind.MONEY, "Gross spend (GBP)",
              "Gross spend on short breaks in the quarter, in pounds.",
              "Breaks for Carers of Disabled Children Regulations 2011, reg 3", example="1,250,000"),
        Field("sb_assessments_completed", Kind.COUNT, "Assessments completed",
              "Short-break assessments completed in the quarter.",
              "Children Act 1989 s17 and Sch 2 para 3", example="64"),
        Field("sb_assessment_days_median", Kind.DAYS, "Median days to assessment",
              "Median calendar days from referral to completed short-break assessment, for "
              "assessments completed in the quarter.",
              "Working Together to Safeguard Children 2023 (assessment timeliness)", example="35"),
        Field("sb_children_waiting", Kind.COUNT, "Children waiting for a service",
              "Children assessed as eligible for short breaks and still waiting for a service "
              "at the end of the quarter.",
              "Breaks for Carers of Disabled Children Regulations 2011, reg 3", example="12"),
        Field("sb_statement_reviewed", Kind.DATE, "Short breaks statement last reviewed",
              "Date the short breaks services statement was last reviewed (not after the end "
              "of the quarter).",
              "Breaks for Carers of Disabled Children Regulations 2011, reg 5", example="2025-03-31"),
    ),
    bounds=(
        part_of("sb_children_overnight", "sb_children_total"),
        part_of("sb_children_daytime", "sb_children_total"),
        part_of("sb_children_direct_payment", "sb_children_total"),
        Bound("sb_nights_delivered", (("sb_children_overnight", MAX_NIGHTS_PER_QUARTER),),
              f"a quarter has at most {MAX_NIGHTS_PER_QUARTER} nights for each child with an "
              "overnight break (sb_children_overnight)"),
    ),
)

ADVICE = Theme(
    id="advice",
    sheet="Advice",
    title="Social care advice into EHC needs assessments",
    owner="DSCO / social care advice team",
    description="Timeliness and quality of the social care advice and information given to "
                "EHC needs assessments, and the EHC plans that follow.",
    fields=(
        Field("adv_requests", Kind.COUNT, "Advice requests received",
              "Requests for social care advice and information received in the quarter.",
              "SEND Regulations 2014, reg 6(1)(e)", example="48"),
        Field("adv_returned", Kind.COUNT, "Advice provided",
              "Social care advice provided in the quarter.",
              "SEND Regulations 2014, reg 6(1)(e)", example="45"),
        Field("adv_returned_6wk", Kind.COUNT, "of which: within 6 weeks",
              "Of those provided, advice provided within 6 weeks of the request.",
              "SEND Regulations 2014, reg 8(1)", example="37"),
        Field("adv_late_exception", Kind.COUNT, "of the late: reg 8(2) exception",
              "Of those provided after 6 weeks, advice where a reg 8(2) exception applied "
              "(exceptional circumstances, family absent 4+ weeks, missed appointment).",
              "SEND Regulations 2014, reg 8(2)", example="3"),
        Field("adv_nil_returns", Kind.COUNT, "of which: nil returns",
              "Of those provided, 'not known to social care' returns.",
              "SEND Regulations 2014, reg 6(1)(e)", example="9"),
        Field("adv_overdue_open", Kind.COUNT, "Requests open past 6 weeks",
              "Requests still open and past 6 weeks at the end of the quarter.",
              "SEND Regulations 2014, reg 8(1)", example="4"),
        Field("adv_audited", Kind.COUNT, "Advice quality-assured",
              "Social care advice returns quality-assured by the DSCO in the quarter.",
              "SEND Code of Practice 2015, para 9.49; DSCO role (DfE/CDC 2021)", example="15"),
        Field("adv_audited_good", Kind.COUNT, "of which: good or better",
              "Of those audited, returns rated good or better.",
              "SEND Code of Practice 2015, para 9.49", example="11"),
        Field("ehcp_issued", Kind.COUNT, "Final EHC plans issued",
              "Final EHC plans issued in the quarter.",
              "SEND Regulations 2014, reg 13(2)", example="40"),
        Field("ehcp_issued_20wk", Kind.COUNT, "of which: within 20 weeks",
              "Of those, plans issued within 20 weeks of the request for assessment.",
              "SEND Regulations 2014, reg 13(2)", example="21"),
        Field("ehcp_with_sc_provision", Kind.COUNT, "of which: with social care provision",
              "Of those, plans with social care provision in section H1 or H2.",
              "Children and Families Act 2014 s37(2)(c); CSDPA 1970 s2", example="14"),
        # Optional (added in 2026), so every advice file written before them stays valid.
        Field("ar_reviews_known_sc", Kind.COUNT, "Annual reviews: children known to social care",
              "EHC plan annual reviews held in the quarter for children and young people known to social care "
              "(optional).",
              "SEND Regulations 2014, regs 18-20; SEND Code of Practice 2015, para 9.176", required=False,
              example="22"),
        Field("ar_reviews_sc_contribution", Kind.COUNT, "of which: with a social care contribution",
              "Of those, reviews with a social care contribution (advice, a report or attendance; optional).",
              "SEND Regulations 2014, reg 20(2); SEND Code of Practice 2015, para 9.176", required=False,
              example="15"),
    ),
    bounds=(
        part_of("adv_returned_6wk", "adv_returned"),
        Bound("adv_late_exception", (("adv_returned", 1), ("adv_returned_6wk", -1)),
              "adv_late_exception counts some of the advice provided after 6 weeks "
              "(adv_returned minus adv_returned_6wk), so it cannot be larger"),
        part_of("adv_nil_returns", "adv_returned"),
        part_of("adv_audited_good", "adv_audited"),
        part_of("ehcp_issued_20wk", "ehcp_issued"),
        part_of("ehcp_with_sc_provision", "ehcp_issued"),
        part_of("ar_reviews_sc_contribution", "ar_reviews_known_sc"),
    ),
)

TRANSITIONS = Theme(
    id="transitions",
    sheet="Transitions",
    title="Transitions to adulthood (Preparing for Adulthood)",
    owner="Transitions / Preparing for Adulthood team",
    description="Young people open to children's social care moving to adult services.",
    fields=(
        Field("pfa_y9plus_reviews", Kind.COUNT, "Year 9+ EHC plan reviews",
              "EHC plan annual reviews held in the quarter for young people in Year 9 or above.",
              "SEND Regulations 2014, regs 20(6) and 21(6)", example="60"),
        Field("pfa_y9plus_reviews_sc", Kind.COUNT, "of which: social care contribution",
              "Of those, reviews with a social care contribution.",
              "SEND Regulations 2014, reg 20(6); SEND Code of Practice 2015, ch 8", example="41"),
        Field("pfa_turning_18_12m", Kind.COUNT, "Turning 18 within 12 months",
              "Young people who will turn 18 within 12 months, at the end of the quarter.",
              "Care Act 2014 s58", example="30"),
        Field("pfa_referred_asc", Kind.COUNT, "of whom: referred to adult social care",
              "Of those, young people already referred to adult social care.",
              "Care Act 2014 s58", example="22"),
        Field("pfa_turned_18", Kind.COUNT, "Turned 18 in the quarter",
              "Young people who turned 18 in the quarter.",
              "Care Act 2014 s58", example="9"),
        Field("pfa_care_act_before_18", Kind.COUNT, "of whom: assessed before 18",
              "Of those, young people with a Care Act s58 transition assessment completed "
              "before their 18th birthday.",
              "Care Act 2014 s58 and s59", example="6"),
        Field("pfa_services_at_18", Kind.COUNT, "of whom: adult services at 18",
              "Of those, young people with adult care and support in place on their birthday.",
              "Care Act 2014 s66 (continuity of children's services until adult care starts)",
              example="5"),
    ),
    bounds=(
        part_of("pfa_y9plus_reviews_sc", "pfa_y9plus_reviews"),
        part_of("pfa_referred_asc", "pfa_turning_18_12m"),
        part_of("pfa_care_act_before_18", "pfa_turned_18"),
        part_of("pfa_services_at_18", "pfa_turned_18"),
    ),
)

HESLEY = "Child Safeguarding Practice Review Panel, Safeguarding children with disabilities in residential settings " \
         "(Hesley review), phase 2, 2023"
RESIDENTIAL = Theme(
    id="residential",
    sheet="Residential",
    title="Residential placements of disabled children",
    owner="DSCO / placements and commissioning team",
    description="Disabled children and young people aged 0-25 the authority has placed in a residential special "
                "school or college or a children's home: how far from home, visited, advocated for, reviewed.",
    fields=(
        Field("res_placed", Kind.COUNT, "Placed in residential settings",
              "Disabled children and young people aged 0-25 placed by the authority in a residential special "
              "school or college or a children's home at the end of the quarter.",
              HESLEY, example="14"),
        Field("res_placed_52wk", Kind.COUNT, "of whom: 52-week placements",
              "Of those, children in 52-week (year-round) placements.",
              "SEN2 (DfE): EHC plans in 38-51 and 52-week residential settings", example="6"),
        Field("res_placed_out_of_area", Kind.COUNT, "of whom: outside the authority's area",
              "Of those, children placed outside the authority's area.",
              "Children Act 1989 s22C(9); Care Planning Regulations 2010, reg 11", example="11"),
        Field("res_placed_far", Kind.COUNT, "of whom: more than 20 miles from home",
              "Of those, children placed more than 20 miles from home.",
              "Children Act 1989 s22C(8)(a) (placement near home where practicable)", example="8"),
        Field("res_visited", Kind.COUNT, "of whom: visited in the quarter",
              "Of those, children visited in person in the quarter by their social worker or the authority's "
              "representative.",
              f"Children Act 1989 s85-86 (notification and visits); {HESLEY}", example="12"),
        Field("res_advocate", Kind.COUNT, "of whom: with an independent advocate",
              "Of those, children with an independent advocate.",
              f"Children Act 1989 s26A; {HESLEY}", example="7"),
        Field("res_reviewed_6m", Kind.COUNT, "of whom: placement reviewed in 6 months",
              "Of those, children whose placement was reviewed in the last 6 months.",
              "Care Planning Regulations 2010, reg 33 (reviews at most 6 months apart)", example="13"),
        Field("res_new", Kind.COUNT, "Placements started in the quarter",
              "Residential placements that started in the quarter.",
              "Children Act 1989 s17 and s22C", example="2"),
        Field("res_returned_home", Kind.COUNT, "Came home or moved nearer home",
              "Children who came home or moved nearer home in the quarter.",
              f"Children Act 1989 s22C(8)(a); {HESLEY}", example="1"),
    ),
    bounds=(
        part_of("res_placed_52wk", "res_placed"),
        part_of("res_placed_out_of_area", "res_placed"),
        part_of("res_placed_far", "res_placed"),
        part_of("res_visited", "res_placed"),
        part_of("res_advocate", "res_placed"),
        part_of("res_reviewed_6m", "res_placed"),
    ),
    collected_by_default=False,
)

YES_NO_IN_PROGRESS = ("Yes", "No", "In progress")
DSCO_GUIDANCE = "DfE and Council for Disabled Children, The Designated Social Care Officer role (2021)"


def _role_item(name: str, label: str, description: str, legal_basis: str = DSCO_GUIDANCE) -> Field:
    return Field(name, Kind.CHOICE, label, f"{description} (Yes, No or In progress).", legal_basis,
                 example="Yes", choices=YES_NO_IN_PROGRESS)


DSCO_ROLE = Theme(
    id="dsco_role",
    sheet="DSCO role",
    title="The DSCO role: self-assessment",
    owner="DSCO",
    description="How the Designated Social Care Officer role is set up in the authority, answered at least once a "
                "year; the latest answer stands until it is replaced.",
    fields=(
        Field("dsco_in_post", Kind.CHOICE, "DSCO in post",
              "Whether a Designated Social Care Officer is in post (Yes, No or Recruiting).", DSCO_GUIDANCE,
              example="Yes", choices=("Yes", "No", "Recruiting")),
        Field("dsco_fte", Kind.DECIMAL, "DSCO full-time equivalent",
              "The DSCO role's full-time equivalent (e.g. 0.5 where it is half of a post).", DSCO_GUIDANCE,
              required=False, example="1", plausible_range=Plausible(
                  "more than 10 full-time DSCOs in one authority is not a figure the standard can believe: check it "
                  "is a full-time equivalent, not hours", most=10, shown_as="{:,.1f}")),
        _role_item("role_in_job_description", "Role in a job description",
                   "The DSCO role is written into a job description"),
        _role_item("statement_of_purpose", "Statement of purpose", "The role has a written statement of purpose"),
        _role_item("action_plan", "Action plan", "The role has a current action plan"),
        _role_item("meets_dmo_dco_quarterly", "Meets the DMO/DCO quarterly",
                   "The DSCO meets the Designated Medical and Clinical Officers at least quarterly under terms of "
                   "reference", "SEND Code of Practice 2015, paras 3.44-3.52; " + DSCO_GUIDANCE),
        _role_item("on_send_partnership_board", "On the SEND partnership board",
                   "The DSCO sits on the local area SEND partnership board"),
        _role_item("qa_social_care_advice", "Quality-assures social care advice",
                   "The DSCO quality-assures the social care advice given to EHC needs assessments",
                   "SEND Code of Practice 2015, para 9.49; " + DSCO_GUIDANCE),
        _role_item("oversees_short_breaks_statement", "Oversees the short breaks statement",
                   "The DSCO oversees the short breaks services statement",
                   "Breaks for Carers of Disabled Children Regulations 2011, reg 5; " + DSCO_GUIDANCE),
        _role_item("inspection_preparation", "Prepares for area SEND inspection",
                   "The DSCO takes part in preparing the local area for area SEND inspection",
                   "Ofsted and CQC, Area SEND inspection framework (2023); " + DSCO_GUIDANCE),
    ),
    collected_by_default=False,
    cadence="yearly",
)

THEMES: dict[str, Theme] = {theme.id: theme for theme in (SHORT_BREAKS, ADVICE, TRANSITIONS, RESIDENTIAL, DSCO_ROLE)}
# The themes a network collects until its chair chooses.
DEFAULT_THEMES: tuple[str, ...] = tuple(theme.id for theme in THEMES.values() if theme.collected_by_default)

VALUE_FIELDS: dict[str, Field] = {f.name: f for theme in THEMES.values() for f in theme.fields}
FIELD_THEME: dict[str, str] = {f.name: theme.id for theme in THEMES.values() for f in theme.fields}
COMMON_FIELD_NAMES = tuple(f.name for f in COMMON_FIELDS)


def columns(theme_id: str) -> tuple[Field, ...]:
    """Every column of a theme file, in template order."""
    return (*COMMON_FIELDS, *THEMES[theme_id].fields)
