"""Breakdowns of the return's counts by ethnicity, sex, age band and primary need (data standard version 2).

Defined once: validation, templates, the Data standard page, the inequalities measures and disclosure all read
the countable fields and each breakdown's groups from here. Names follow DfE's published files exactly
(`requests.csv`, `timeliness_20_week.csv`, the school census), with the school census short codes accepted too.
"""

from __future__ import annotations

from dataclasses import dataclass

from benchmark.definitions.standard import FIELD_THEME, THEMES, VALUE_FIELDS, Kind

# The counts of the return that may be broken down (the fields of `standard.py` they break down).
BREAKDOWN_COUNTS: tuple[str, ...] = (
    "sb_children_total",
    "sb_children_waiting",
    "adv_requests",
    "adv_returned",
    "adv_returned_6wk",
    "pfa_turned_18",
    "pfa_care_act_before_18",
    "pfa_services_at_18",
)

UNCLASSIFIED = "Unclassified"
OTHER_ETHNIC_GROUP = "Any other ethnic group"


@dataclass(frozen=True)
class Group:
    name: str  # as DfE writes it
    codes: tuple[str, ...] = ()  # other spellings accepted: school census short codes, SEN2 codes


@dataclass(frozen=True)
class Breakdown:
    id: str  # the `by` column's value
    title: str
    groups: tuple[Group, ...]
    unknown: str | None  # the group left out of both sides of every ratio and shown as its own share

    def names(self) -> tuple[str, ...]:
        return tuple(group.name for group in self.groups)


# DfE's ethnicity categories (school census and SEN2 publications), with the school census codes.
ETHNICITY = Breakdown("ethnicity", "Ethnicity", (
    Group("White - White British", ("WBRI",)),
    Group("White - Irish", ("WIRI",)),
    Group("White - Traveller of Irish heritage", ("WIRT",)),
    Group("White - Gypsy/Roma", ("WROM",)),
    Group("White - Any other White background", ("WOTH",)),
    Group("Mixed - White and Black Caribbean", ("MWBC",)),
    Group("Mixed - White and Black African", ("MWBA",)),
    Group("Mixed - White and Asian", ("MWAS",)),
    Group("Mixed - Any other Mixed background", ("MOTH",)),
    Group("Asian - Indian", ("AIND",)),
    Group("Asian - Pakistani", ("APKN",)),
    Group("Asian - Bangladeshi", ("ABAN",)),
    Group("Asian - Chinese", ("CHNE",)),
    Group("Asian - Any other Asian background", ("AOTH",)),
    Group("Black - Black Caribbean", ("BCRB",)),
    Group("Black - Black African", ("BAFR",)),
    Group("Black - Any other Black background", ("BOTH",)),
    Group(OTHER_ETHNIC_GROUP, ("OOTH",)),
    Group(UNCLASSIFIED, ("REFU", "NOBT")),
), unknown=UNCLASSIFIED)

# The five major groups, derived as DfE does; a return may give only these.
MAJOR_ETHNIC_GROUPS: tuple[str, ...] = ("White", "Mixed", "Asian", "Black", "Other")


def major_ethnic_group(name: str) -> str:
    """'Black - Black African' -> 'Black'; 'Any other ethnic group' -> 'Other'; 'Unclassified' stays."""
    if name == OTHER_ETHNIC_GROUP:
        return "Other"
    return name.split(" - ", 1)[0] if " - " in name else name


SEX = Breakdown("sex", "Sex", (Group("Female", ("F",)), Group("Male", ("M",)), Group("Unknown", ("U",))),
                unknown="Unknown")

AGE_BAND = Breakdown("age_band", "Age band", tuple(Group(band) for band in ("0-4", "5-10", "11-15", "16-17", "18-25")),
                     unknown=None)

# SEN2 and school census primary need types, with their codes, and those with no identified SEN.
PRIMARY_NEED = Breakdown("primary_need", "Primary need", (
    Group("Specific learning difficulty", ("SPLD",)),
    Group("Moderate learning difficulty", ("MLD",)),
    Group("Severe learning difficulty", ("SLD",)),
    Group("Profound and multiple learning difficulty", ("PMLD",)),
    Group("Social, emotional and mental health", ("SEMH",)),
    Group("Speech, language and communication needs", ("SLCN",)),
    Group("Hearing impairment", ("HI",)),
    Group("Vision impairment", ("VI",)),
    Group("Multi-sensory impairment", ("MSI",)),
    Group("Physical disability", ("PD",)),
    Group("Autistic spectrum disorder", ("ASD",)),
    Group("Other difficulty or disability", ("OTH",)),
    Group("SEN support but no specialist assessment of type of need", ("NSA",)),
    Group("No EHC plan or SEN support"),
), unknown=None)

BREAKDOWNS: dict[str, Breakdown] = {b.id: b for b in (ETHNICITY, SEX, AGE_BAND, PRIMARY_NEED)}

# The header a breakdown file or `Breakdowns` sheet is recognised by.
BREAKDOWN_SHEET = "Breakdowns"
BREAKDOWN_COLUMNS: tuple[str, ...] = ("la_code", "period", "count_of", "by", "group", "count")

# Parts of a whole among the counts that may be broken down (part -> whole): within each group too, the part is
# no larger than the whole.
BREAKDOWN_PARTS: dict[str, str] = {
    bound.column: bound.terms[0][0]
    for theme in THEMES.values() for bound in theme.bounds
    if len(bound.terms) == 1 and bound.terms[0][1] == 1
    and bound.column in BREAKDOWN_COUNTS and bound.terms[0][0] in BREAKDOWN_COUNTS
}

# A breakdown is stored as a submission of its own, one per theme whose counts it breaks down, so each team
# sends (and replaces) the breakdowns of its own counts; sign-off and withdrawal apply as to theme returns.
BREAKDOWN_RETURNS: dict[str, str] = {
    f"{theme_id}_breakdowns": theme_id
    for theme_id in THEMES if any(FIELD_THEME[name] == theme_id for name in BREAKDOWN_COUNTS)
}
# Every kind of submission, in the order reports list them: the theme returns, then their breakdowns.
SUBMISSION_THEMES: tuple[str, ...] = (*THEMES, *BREAKDOWN_RETURNS)


def breakdown_return(theme_id: str) -> str:
    """The submission theme of the breakdowns of `theme_id`'s counts: 'short_breaks' -> 'short_breaks_breakdowns'."""
    return f"{theme_id}_breakdowns"


def submission_title(submission_theme: str) -> str:
    """A submission's theme in words: a theme's title, or 'Breakdowns of ...' for its breakdowns."""
    theme_id = BREAKDOWN_RETURNS.get(submission_theme)
    if theme_id is None:
        return THEMES[submission_theme].title
    return f"Breakdowns of {THEMES[theme_id].title[0].lower()}{THEMES[theme_id].title[1:]}"


def theme_of(submission_theme: str) -> str:
    """The theme a submission belongs to: itself for a theme return, the theme broken down for breakdowns."""
    return BREAKDOWN_RETURNS.get(submission_theme, submission_theme)


assert all(VALUE_FIELDS[name].kind is Kind.COUNT for name in BREAKDOWN_COUNTS)
