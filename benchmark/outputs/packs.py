"""Meeting packs for the regional forum: what a pack holds, built once and rendered as PDF,
PowerPoint or Excel (benchmark/outputs/pack_render.py), so every format shows the same figures.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from benchmark import reference
from benchmark.access.network import SYNTHETIC_LABEL, is_demo, network_name
from benchmark.access.rights import Sharing, sharing
from benchmark.analysis import (
    cycle,
    discussion,
    engine,
    inspections,
    published_measures,
    role,
    stats,
    summary,
    tracker,
)
from benchmark.db import Database
from benchmark.definitions import published_catalogue
from benchmark.definitions.breakdowns import submission_title
from benchmark.definitions.disclosure_rules import AUDIENCES, REASON_SMALL_AUTHORITY, RULES, SUPPRESSED
from benchmark.definitions.inspections import SUMMARY_SOURCE
from benchmark.definitions.metrics import CATALOGUE, METRICS, Metric, Polarity
from benchmark.definitions.standard import THEMES
from benchmark.intake import commentary as commentary_store
from benchmark.outputs import disclosure, exports, inspection_views, views
from benchmark.periods import Period

OGL_ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0 "
    "(Department for Education; Office for National Statistics)."
)
SOURCES = (
    "Network figures: the quarterly returns stored in the network's database (data standard version 1). "
    "Population: ONS mid-year estimates, children aged 0-17. Statistical neighbours: DfE children's services "
    "statistical neighbour model, 2025. England comparator: DfE, Education, health and care plans (June 2025)."
)
METHODS = (
    "Intervals: Wilson score for percentages, exact (Garwood) Poisson for rates per 10,000. Funnel plots: "
    "95% and 99.8% limits around the peer group's pooled rate, widened for the real variation between "
    "authorities (overdispersion, Spiegelhalter 2005: z-scores on the arcsine-square-root scale for "
    "percentages and the square-root scale of observed/expected for rates, winsorised at the 10th and 90th "
    "percentiles; estimated only where at least "
    f"{stats.OVERDISPERSION_MIN_AUTHORITIES} authorities report). Small numbers: a value resting on fewer "
    f"than {stats.SMALL_NUMBERS_BELOW} cases is shown with its count and interval but never flagged or "
    f"discussed. {summary.METHODS} Trends: least-squares slope over the last 8 quarters, p < 0.05."
)
DISCUSSION_WHERE = "on the 'All discussion items' sheet of the Excel pack"


@dataclass(frozen=True)
class PackRequest:
    """What a chair asks for: quarter, peer group, themes, audience and per-authority pages."""

    period: Period
    group: str = "network"
    themes: tuple[str, ...] = tuple(THEMES)
    audience: str = "network"
    own_la: str | None = None
    authority_pages: tuple[str, ...] = ()
    revised: bool = False  # a signed-off quarter with the returns revised after sign-off

    def __post_init__(self) -> None:
        if self.audience not in AUDIENCES:
            raise ValueError(f"audience must be one of {', '.join(AUDIENCES)}")
        unknown = set(self.themes) - set(THEMES)
        if unknown or not self.themes:
            raise ValueError(f"themes must be some of {', '.join(THEMES)}")


@dataclass
class MetricSection:
    metric: Metric
    table: pd.DataFrame  # the outward comparison table (suppressed/anonymised for external)
    outliers: list[str]
    commentary: list[tuple[str, str]] = field(default_factory=list)  # (authority as shown, text) on this metric

    @property
    def reported(self) -> int:
        """Authorities with a value shown (a suppressed one counts: it was returned)."""
        values = self.table["value"]
        return int((values.notna() & (values.astype(str) != "nan")).sum())

    @property
    def judgement_note(self) -> str:
        """Why this metric carries no bands, flags or outliers ('' when it does)."""
        return stats.judgement_note(self.reported)


@dataclass
class InequalityPage:
    """One inequalities measure and breakdown: `table` is text (judgements in words and marks, or `c`)."""

    title: str
    table: pd.DataFrame
    notes: list[str]


@dataclass
class ContextPage:
    """One theme's published DfE measures: `table` is text (values and EES symbols); `bands` (same
    shape) the quartile band of a cell among all of England's authorities, `neutral` (same shape)
    whether that band is a neutral measure's (grey, no judgement)."""

    theme: str
    title: str
    table: pd.DataFrame
    bands: pd.DataFrame
    neutral: pd.DataFrame
    notes: list[str]


@dataclass
class TopicPage:
    """A page for a topic shown in words rather than compared figures (the DSCO role, area SEND inspections):
    a title, lines above the table, and the table as text."""

    title: str
    lines: list[str]
    table: pd.DataFrame


@dataclass
class Pack:
    request: PackRequest
    title: str
    network_name: str
    group_label: str
    generated_at: dt.datetime
    data_as_of: dt.datetime | None
    synthetic: bool
    tracker: pd.DataFrame
    completeness: dict
    rug_values: pd.DataFrame  # numbers (or 'c'), authorities by shown name down, metric ids across
    rug_bands: pd.DataFrame
    sections: list[MetricSection]
    discussion: pd.DataFrame  # the shortlist: la_code, la_name, theme, metric, kind, sentence, strength
    authority_pages: list[tuple[str, pd.DataFrame]] = field(default_factory=list)
    definitions: pd.DataFrame = field(default_factory=pd.DataFrame)
    discussion_all: pd.DataFrame = field(default_factory=pd.DataFrame)
    discussion_left_out: int = 0
    narrative_requests: pd.DataFrame = field(default_factory=pd.DataFrame)
    summary: summary.NetworkSummary | None = None
    context_pages: list[ContextPage] = field(default_factory=list)
    # Authorities' commentary beside the item it answers (network packs; never an anonymous authority's).
    commentary: pd.DataFrame = field(default_factory=pd.DataFrame)
    signed_off: cycle.SignOff | None = None
    revisions: pd.DataFrame = field(default_factory=pd.DataFrame)  # returns revised after an earlier sign-off
    inequality_pages: list[InequalityPage] = field(default_factory=list)  # made safe for the reader by the service
    topic_pages: list[TopicPage] = field(default_factory=list)

    @property
    def left_out_text(self) -> str:
        return discussion.left_out_text(self.discussion_left_out, DISCUSSION_WHERE)

    @property
    def judgement_note(self) -> str:
        """Said beside the discussion list, the rug and the narrative requests where some metrics had
        too few returns to compare authorities ('' when every reported metric could be judged)."""
        reported = [section.reported for section in self.sections if section.reported]
        few = [count for count in reported if count < stats.MIN_AUTHORITIES_FOR_JUDGEMENT]
        if not few:
            return ""
        if len(few) == len(reported):
            return stats.judgement_note(max(few))
        return (f"{len(few)} of {len(reported)} metrics have fewer than {stats.MIN_AUTHORITIES_FOR_JUDGEMENT} "
                f"authorities reporting: {stats.JUDGEMENTS_START}, so those carry values, counts and intervals "
                "but no quartile band, top/bottom 20% or funnel outlier.")

    @property
    def subtitle(self) -> str:
        audience = "closed network forum: exact figures" if self.request.audience == "network" else (
            "external audience: small counts suppressed, other authorities anonymised")
        return f"{self.request.period} ({self.request.period.months}) - {self.group_label} - {audience}"

    @property
    def cover_lines(self) -> list[str]:
        lines = [
            self.network_name,
            f"Quarter: {self.request.period} ({self.request.period.months})",
            f"Peer group: {self.group_label}",
            f"Themes: {', '.join(THEMES[theme].title for theme in self.request.themes)}",
            f"Audience: {self.subtitle.split(' - ')[-1]}",
            f"Generated: {self.generated_at:%d %B %Y %H:%M}",
            f"Data as of: {self.data_as_of:%d %B %Y %H:%M}" if self.data_as_of else "Data as of: no returns yet",
        ]
        if self.signed_off is not None:
            lines.append(f"Signed off {self.signed_off.signed_at:%d %B %Y %H:%M}: "
                         + ("showing returns revised after sign-off" if self.request.revised
                            else "figures as at sign-off"))
        if self.synthetic:
            lines.append(SYNTHETIC_LABEL)
        return lines


def _names(request: PackRequest, members: list[str], hidden: frozenset[str], key: str) -> dict[str, str]:
    """Authority name -> name as the audience sees it, one mapping for the whole pack. In a network
    pack only the `hidden` authorities (shared anonymously) are letters; in an external pack all
    but the own authority are."""
    all_names = [reference.authority_name(code) for code in members]
    seed = f"{request.period}|{request.group}|{request.audience}|{request.own_la}"
    if request.audience == "network":
        letters = exports.letter_names([reference.authority_name(code) for code in members if code in hidden],
                                       None, seed, key)
        return {name: letters.get(name, name) for name in all_names}
    own = reference.authority_name(request.own_la) if request.own_la else None
    return exports.letter_names(all_names, own, seed, key)


def _outward_items(db: Database, request: PackRequest, items: list[discussion.Item], members: list[str],
                   names: dict[str, str], sections: list[MetricSection]) -> list[discussion.Item]:
    """The discussion items an external audience may see: none whose value is suppressed this
    quarter, and a reason resting on earlier quarters only where those quarters' outward tables
    show the same (a bottom 20% place, a value beyond 95%); the names as that audience sees them."""
    if request.audience != "external":
        return items
    tables = {(section.metric.id, request.period.index): section.table for section in sections}

    def outward_row(metric_id: str, index: int, name: str) -> pd.Series | None:
        if (metric_id, index) not in tables:
            table = engine.compare(db, Period.from_index(index), metric_id, request.group, request.own_la,
                                   revised=request.revised)
            tables[(metric_id, index)] = exports.outward_comparison(
                table[table["la_code"].isin(members)], METRICS[metric_id], "external", request.own_la, names,
                disclosure.withheld(db, index, metric_id, request.revised))
        table = tables[(metric_id, index)]
        rows = table[table["la_name"] == name]
        return rows.iloc[0] if len(rows) and rows["value"].iloc[0] != SUPPRESSED else None

    kept = []
    for item in items:
        name = names.get(reference.authority_name(item.la_code), item.la_name)
        if outward_row(item.metric, request.period.index, name) is None:
            continue
        allowed = set()
        for reason in item.reasons:
            rows = [outward_row(item.metric, index, name) for index in reason.quarters] if reason.kind in (
                discussion.BOTTOM_20_RUNNING, discussion.BEYOND_95_TWICE) else []
            if reason.kind == discussion.BOTTOM_20_RUNNING:
                shown = all(row is not None and row["top_bottom_20"] == "bottom 20%" for row in rows)
            else:
                shown = all(row is not None for row in rows)
            if shown:
                allowed.add(reason.kind)
        outward = item.keeping(allowed)
        if outward is not None:
            kept.append(dataclasses.replace(outward, la_code="", la_name=name))
    return discussion.rank(kept)


def _discussion_lists(db: Database, request: PackRequest, members: list[str], names: dict[str, str],
                      sections: list[MetricSection], hidden: frozenset[str],
                      disparities: tuple = ()) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """(shortlist, every item, how many were left out of the shortlist), as the audience may see them:
    figures only for the closed network, and no code for an authority shown as a letter. `disparities`
    (inequalities judged at 99.8%, network audience only) join the list ranked by the same z-scale."""
    by_code = {code: names.get(reference.authority_name(code), reference.authority_name(code)) for code in members}
    items = discussion.find_items(db, request.period, request.group, request.own_la, request.themes, by_code,
                                  request.revised)
    items = _outward_items(db, request, items, members, names, sections)
    if request.audience == "network":
        items = discussion.rank([*items, *(item for item in disparities if item.la_code in members)])
    shown, left_out = discussion.shortlist(items)
    figures = request.audience == "network"

    def frame(chosen: list[discussion.Item]) -> pd.DataFrame:
        table = discussion.as_frame(chosen, figures, hidden)
        return table.assign(la_code=table["la_code"].where(~table["la_code"].isin(hidden), ""))

    return frame(shown), frame(items), left_out


def _narrative_requests(sections: list[MetricSection]) -> pd.DataFrame:
    """London's narrative requests, from the (audience-safe) tables of the pack's headline metrics."""
    tables = [section.table.assign(metric=section.metric.id) for section in sections if section.metric.headline]
    if not tables:
        return pd.DataFrame(columns=["Authority", "Metric", "Position"])
    return discussion.narrative_requests(pd.concat(tables, ignore_index=True))


def _outward_tracker(table: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    out = table.rename(columns={"la_name": "Authority", **{key: theme.title for key, theme in THEMES.items()}})
    out["Authority"] = out["Authority"].map(names)
    return out.drop(columns=["la_code"]).sort_values("Authority", key=exports.name_order).reset_index(drop=True)


def build_pack(db: Database, request: PackRequest, now: dt.datetime | None = None,
               hidden: frozenset[str] = frozenset(), inequality_pages: tuple[InequalityPage, ...] = (),
               disparities: tuple = ()) -> Pack:
    """Everything a pack shows, computed once from the engine and made safe for its audience;
    `hidden` authorities (shared anonymously with this reader) appear as letters. The inequalities pages and
    disparity items come from the service, which alone knows which breakdown cells this reader may see."""
    peers = engine.peer_group(db, request.group, request.own_la, request.period)
    members = [code for code in peers.members if code in set(engine.network_members(db, request.period))]
    if request.audience == "external":
        exports.require_external_group(len(members), peers.label)
    names = _names(request, members, hidden, disclosure.lettering_key(db))
    metrics = [metric for metric in CATALOGUE if metric.theme in request.themes]
    sections = []
    for metric in metrics:
        table = engine.compare(db, request.period, metric.id, request.group, request.own_la,
                               revised=request.revised)
        table = table[table["la_code"].isin(members)]
        withheld = (disclosure.withheld(db, request.period.index, metric.id, request.revised)
                    if request.audience == "external" else None)
        outward = exports.outward_comparison(table, metric, request.audience, request.own_la, names, withheld)
        if request.audience == "network":
            outward = exports.shield_anonymous(outward, metric, hidden, exports.hidden_reporting(
                db, hidden, metric.id, request.period.index))
            letters = {name: exports.ANONYMOUS_NEIGHBOUR for name, shown in names.items() if name != shown}
            outward = outward.assign(
                la_name=outward["la_name"].map(names),
                la_code=outward["la_code"].where(~outward["la_code"].isin(hidden), ""),
                sn_closeness=exports.mask_names(outward["sn_closeness"], letters).where(
                    ~outward["la_code"].isin(hidden), ""),
            )
        outliers = outward.loc[outward["funnel_adjusted"].isin(["above_99.8", "below_99.8"]), "la_name"].tolist()
        sections.append(MetricSection(metric, outward.reset_index(drop=True), outliers))
    values, bands = _rug(sections)
    grid = tracker.tracker_grid(db, request.period)
    # Inside the network a lone letter is left out of the tracker (externally every other authority is a letter).
    lone = exports.lone_letter(members, hidden) if request.audience == "network" else frozenset()
    grid = grid[grid["la_code"].isin(members) & ~grid["la_code"].isin(lone)]
    as_of = db.scalar("SELECT max(submitted_at) FROM submissions")
    shortlist, everything, left_out = _discussion_lists(db, request, members, names, sections, hidden, disparities)
    # Externally a pooled figure beside visible counts could give a suppressed one back; an authority
    # too small to show on its own is left out of the pooled figures instead (its row is always "c").
    smallest = RULES.smallest_shown_population
    small = frozenset(code for code in members
                      if (reference.population_for(code, request.period.end.year) or smallest) < smallest)
    withheld = frozenset(section.metric.id for section in sections if request.audience == "external"
                         and ((section.table["value"].astype(str) == SUPPRESSED)
                              & (section.table["c_reason"] != REASON_SMALL_AUTHORITY)).any())
    leave_out, words = hidden, "sharing anonymously"
    if request.audience == "external":
        leave_out, words = small, f"with fewer than {RULES.smallest_shown_population:,} children"
    overview = summary.network_summary(db, request.period, request.group, request.own_la, request.themes,
                                       shortlist["sentence"].tolist(), shortlist["theme"].tolist(), withheld,
                                       revised=request.revised, leave_out=leave_out, left_out_words=words)
    requests = _narrative_requests(sections)
    notes = pack_commentary(db, request, members, hidden, names)
    requests = _narrative_requests(sections)
    for section in sections:
        mine = notes[notes["subject"] == section.metric.id] if len(notes) else notes
        section.commentary = list(zip(mine["Authority"], mine["Commentary"], strict=True))
    pages = []
    for la_code in request.authority_pages:
        name = names.get(reference.authority_name(la_code), reference.authority_name(la_code))
        if request.audience == "external":
            if la_code == request.own_la:
                pages.append((name, _external_card(sections, name)))
            continue
        card = exports.shield_scorecard(db, views.scorecard_view(db, la_code, request.period, request.revised),
                                        la_code, request.period.index, hidden)
        pages.append((name, card[card["Theme"].isin(request.themes)].drop(
            columns=["Last 8 quarters", "neutral", "metric_id"])))
    return Pack(
        request=request,
        title=f"DSCO network benchmarking pack, {request.period}",
        network_name=network_name(db),
        group_label=peers.label,
        generated_at=now or dt.datetime.now(),
        data_as_of=as_of,
        synthetic=is_demo(db),
        tracker=_outward_tracker(grid, names),
        completeness=_outward_completeness(tracker.completeness(db, request.period, leave_out=lone), names),
        rug_values=values,
        rug_bands=bands,
        sections=sections,
        discussion=shortlist,
        authority_pages=pages,
        definitions=definitions(metrics),
        discussion_all=everything,
        discussion_left_out=left_out,
        narrative_requests=requests,
        summary=overview,
        context_pages=context_pages(db, request, members, hidden),
        commentary=_answering(notes, everything, requests),
        signed_off=cycle.signoff(db, request.period),
        revisions=_revisions(db, request, members, names),
        inequality_pages=list(inequality_pages),
        topic_pages=topic_pages(db, request, [code for code in members if code not in hidden]),
    )


def topic_pages(db: Database, request: PackRequest, members: list[str]) -> list[TopicPage]:
    """The DSCO role matrix (when the pack has the theme) and the likely-next inspection list: network packs
    only, for the members named in them. Both name authorities beside facts anyone can match to published
    reports, so an external pack, where peers are letters, leaves them out."""
    if request.audience != "network":
        return []
    pages = []
    if role.ROLE_THEME in request.themes:
        matrix = role.role_matrix(db, members, request.period)
        labels = dict(role.role_items())
        pages.append(TopicPage(
            THEMES[role.ROLE_THEME].title,
            ["Each member's latest answers (answered at least once a year; an answer stands until it is replaced), "
             "with DfE's published 'DSCO in post' beside the network's own. Counts per item: "
             + "; ".join(f"{row['Item']}: {row['Answers']}" for row in role.role_counts(matrix).to_dict("records"))],
            matrix.drop(columns=["la_code"]).rename(columns={
                "la_name": views.AUTHORITY, "answered": "Answered", "dfe_dsco_in_post": "DfE: in post", **labels})))
    likely = inspections.likely_next(db, members, request.period.end)
    pages.append(TopicPage(
        "Area SEND inspections: who is likely to be next",
        [f"As at the end of the quarter ({request.period.end:%d %B %Y}): members with no inspection in the summary "
         "first, then by the date the next inspection is due ('date passed' where it has gone by). 'Not stated': "
         f"the report does not say. Source: {SUMMARY_SOURCE}."],
        inspection_views.likely_next_view(likely).drop(columns=["Order", "What follows the outcome"])))
    return pages


def pack_commentary(db: Database, request: PackRequest, members: list[str], hidden: frozenset[str],
                    names: dict[str, str]) -> pd.DataFrame:
    """Authorities' commentary for the quarter, each beside the figure it explains. A network pack
    carries every member's but those shared anonymously with its reader; an external pack carries
    only the own authority's, and none at all when that authority shares anonymously."""
    columns = ["Authority", "On", "Commentary"]
    anonymous = {code for code, setting in sharing(db).items() if setting is Sharing.ANONYMOUS}
    if request.audience == "network":
        allowed = [code for code in members if code not in hidden]
    else:
        allowed = [request.own_la] if request.own_la in members and request.own_la not in anonymous else []
    frame = commentary_store.current(db, request.period, allowed)
    themes = set(request.themes)
    frame = frame[[subject in themes or (subject in METRICS and METRICS[subject].theme in themes)
                   for subject in frame["subject"]]]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    return pd.DataFrame({
        "Authority": [names.get(reference.authority_name(code), reference.authority_name(code))
                      for code in frame["la_code"]],
        "On": [commentary_store.subject_name(subject) for subject in frame["subject"]],
        "Commentary": frame["text"].tolist(),
        "subject": frame["subject"].tolist(),
    }).sort_values(["Authority", "On"]).reset_index(drop=True)


def _answering(notes: pd.DataFrame, items: pd.DataFrame, requests: pd.DataFrame) -> pd.DataFrame:
    """Each commentary with the discussion items and narrative requests on the same authority and
    metric it answers, so the pack prints it beside them."""
    metric_ids = {metric.name: metric.id for metric in CATALOGUE}
    reasons = pd.concat([
        pd.DataFrame({"la_name": items["la_name"], "metric": items["metric"],
                      "reason": items["kind"].map(discussion.KIND_WORDS)}),
        pd.DataFrame({"la_name": requests["Authority"], "metric": requests["Metric"].map(metric_ids),
                      "reason": "narrative request: " + requests["Position"].astype(str)}),
    ], ignore_index=True)
    answers = (reasons.groupby(["la_name", "metric"])["reason"].agg("; ".join) if len(reasons)
               else pd.Series(dtype=object))
    out = notes.copy()
    out.insert(2, "Answers", [answers.get((name, subject), "") for name, subject in
                              zip(out["Authority"], out.get("subject", pd.Series(dtype=object)), strict=True)])
    return out.drop(columns=["subject"], errors="ignore")


def _revisions(db: Database, request: PackRequest, members: list[str], names: dict[str, str]) -> pd.DataFrame:
    """Returns revised after the sign-off of one of the four quarters before this pack's: the next
    pack says what changed since the figures were circulated (a network pack only)."""
    columns = ["Authority", "Quarter", "Theme", "Revised"]
    earlier = [request.period.shift(-step) for step in range(1, 5)]
    revised = cycle.revisions_after_signoff(db, earlier)
    revised = revised[revised["la_code"].isin(members)]
    if request.audience != "network" or revised.empty:
        return pd.DataFrame(columns=columns)
    return pd.DataFrame({
        "Authority": [names.get(reference.authority_name(code), reference.authority_name(code))
                      for code in revised["la_code"]],
        "Quarter": revised["period"].tolist(),
        "Theme": [submission_title(theme) for theme in revised["theme"]],
        "Revised": ["withdrawn" if pd.isna(when) else f"{when:%d %b %Y}" for when in revised["revised_at"]],
    })


def _rug(sections: list[MetricSection]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The pack's tartan rug, from the same (audience-safe) tables as its metric pages."""
    values = pd.DataFrame({section.metric.id: section.table.set_index("la_name")["value"] for section in sections})
    bands = pd.DataFrame({section.metric.id: section.table.set_index("la_name")["quartile_band"]
                          for section in sections})
    bands = bands.where(bands != SUPPRESSED)
    values = values.sort_index(key=exports.name_order)
    values.index.name = "Authority"
    return values.astype(object), bands.reindex(values.index)


def _external_card(sections: list[MetricSection], name: str) -> pd.DataFrame:
    """An external 'My authority' page: the own authority's rows of the suppressed tables."""
    rows = []
    for section in sections:
        metric = section.metric
        mine = section.table[section.table["la_name"] == name]
        if mine.empty:
            continue
        row = mine.iloc[0]

        def shown(value: object, metric: Metric = metric) -> str:
            return value if isinstance(value, str) else metric.format(value, short=True)

        rank_range = row.get("rank_range")
        rows.append({
            "Theme": metric.theme, "Metric": metric.name, "Value": shown(row["value"]), "Count": "",
            "Rank": (rank_range.split(" (")[0] if isinstance(rank_range, str)  # why: in the metric page's notes
                     else views.rank_text(row["rank"], row["group_reported"])),
            "Band": row["quartile_band"] if isinstance(row["quartile_band"], str) else "",
            "Top/bottom 20%": row["top_bottom_20"] if isinstance(row["top_bottom_20"], str) else "",
            "Trend": "", "Network median": shown(row["network_median"]),
            "Neighbours' mean": shown(row["sn_mean"]), "Funnel": views.funnel_text(metric, row["funnel_adjusted"]),
        })
    return pd.DataFrame(rows)


def _outward_completeness(summary: dict, names: dict[str, str]) -> dict:
    return {**summary, "missing": [(names.get(name, name), theme) for name, theme in summary["missing"]]}


def definitions(metrics: list[Metric]) -> pd.DataFrame:
    return pd.DataFrame([
        {"Metric id": metric.id, "Metric": metric.name, "Theme": THEMES[metric.theme].title,
         "Calculation": metric.formula, "Unit": metric.unit, "Polarity": metric.polarity.label,
         "Definition": metric.definition, "Legal basis": metric.legal_basis}
        for metric in metrics
    ])


def context_pages(db: Database, request: PackRequest, members: list[str],
                  hidden: frozenset[str] = frozenset()) -> list[ContextPage]:
    """One page of published context per theme. Network audience: the peer group's authorities named,
    with their regions and England. External: only the own authority beside its region, neighbours and
    England (LAIT's columns), or England alone: a lettered authority's public figures would name it.
    Authorities sharing anonymously are left out of a network page for the same reason."""
    if not published_measures.loaded(db):
        return []
    pages = []
    for theme_id in request.themes:
        measures = published_catalogue.measures_for_theme(theme_id)
        if not measures:
            continue
        notes = []
        if request.audience == "network":
            named = [code for code in members if code not in hidden]
            table, bands = published_measures.area_grid(db, theme_id, named)
            neutral_columns = {m.short for m in measures if m.polarity is Polarity.NEUTRAL}
            neutral = pd.DataFrame({column: [column in neutral_columns] * len(table) for column in table.columns})
            notes.append("Each authority's latest value as DfE published it, with its quartile band (letter and shade) "
                         "among every reporting authority in England: A is the best quarter for the polarity; neutral "
                         "measures are banded high to low in greys. Symbols: c suppressed, x not available, z not "
                         "applicable.")
            if len(named) < len(members):
                notes.append(f"{len(members) - len(named)} authority(ies) sharing anonymously are not listed: "
                             "their public figures would name them.")
            notes += [f"{m.short}: {m.name}, {m.when(period)}. {m.caveat}".strip()
                      for m, period in zip(measures, _latest_periods(db, measures), strict=True)]
        else:
            # England's figures do not depend on the authority asked about: without an own authority,
            # any authority's comparisons give them, and only the England column is kept.
            full = published_measures.context_table(db, request.own_la or next(iter(reference.authorities())),
                                                    theme_id)
            rows_neutral = full.pop("neutral")
            table = full.drop(columns=["measure", "Polarity"])
            if request.own_la is None:
                table = table[["Measure", "Period", "England"]]
            bands = pd.DataFrame(None, index=table.index, columns=table.columns, dtype=object)
            neutral = pd.DataFrame(False, index=table.index, columns=table.columns)
            if "Band" in table:
                bands["Band"] = table["Band"].where(table["Band"] != "-")
                neutral["Band"] = rows_neutral
            notes.append("Published figures for the latest year, LAIT style; rank among every reporting authority "
                         "in England, band A the best quarter for the polarity. Other authorities are not listed: "
                         "their public figures would name them.")
            notes += [f"{m.name}: {m.caveat}" for m in measures if m.caveat]
        releases = sorted({measure.publication for measure in measures})
        notes.append(f"Sources: {'; '.join(releases)}. {published_catalogue.OGL}")
        pages.append(ContextPage(theme_id, f"Published context: {THEMES[theme_id].title}", table, bands, neutral,
                                 notes))
    return pages


def _latest_periods(db: Database, measures: list) -> list[str | None]:
    periods = []
    for measure in measures:
        values = published_measures.measure_values(db, measure)
        periods.append(None if values.empty else str(values["period"].max()))
    return periods
