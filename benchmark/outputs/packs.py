"""Meeting packs for the regional forum: what a pack holds, built once and rendered as PDF,
PowerPoint or Excel (benchmark/outputs/pack_render.py), so every format shows the same figures.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from benchmark import reference
from benchmark.access.network import SYNTHETIC_LABEL, is_demo, network_name
from benchmark.access.rights import Sharing, sharing
from benchmark.analysis import cycle, engine, tracker
from benchmark.analysis.metrics import CATALOGUE, METRICS, Metric, Polarity
from benchmark.db import Database
from benchmark.intake import commentary as commentary_store
from benchmark.intake.standard import THEMES
from benchmark.outputs import exports, views
from benchmark.outputs.disclosure import AUDIENCES, SUPPRESSED
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
DISCUSSION_KINDS = ("top 20%", "bottom 20%", "outlier", "worsened two quarters", "statement overdue")


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
    discussion: pd.DataFrame
    authority_pages: list[tuple[str, pd.DataFrame]] = field(default_factory=list)
    definitions: pd.DataFrame = field(default_factory=pd.DataFrame)
    # Authorities' commentary beside the item it answers (network packs; never an anonymous authority's).
    commentary: pd.DataFrame = field(default_factory=pd.DataFrame)
    signed_off: cycle.SignOff | None = None
    revisions: pd.DataFrame = field(default_factory=pd.DataFrame)  # returns revised after an earlier sign-off

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


def _names(request: PackRequest, members: list[str], hidden: frozenset[str]) -> dict[str, str]:
    """Authority name -> name as the audience sees it, one mapping for the whole pack. In a network
    pack only the `hidden` authorities (shared anonymously) are letters; in an external pack all
    but the own authority are."""
    all_names = [reference.authority_name(code) for code in members]
    seed = f"{request.period}|{request.group}"
    if request.audience == "network":
        letters = exports.letter_names([reference.authority_name(code) for code in members if code in hidden],
                                       None, seed)
        return {name: letters.get(name, name) for name in all_names}
    own = reference.authority_name(request.own_la) if request.own_la else None
    return exports.letter_names(all_names, own, seed)


def discussion(db: Database, period: Period, members: list[str], themes: tuple[str, ...]) -> pd.DataFrame:
    """The chair's 'for discussion' list, built from the data: top/bottom 20%, 99.8% outliers,
    metrics that worsened two quarters running, statements not reviewed within 12 months."""
    table = engine.scorecard(db)
    columns = ["kind", "la_code", "la_name", "metric", "detail"]
    if not len(table):
        return pd.DataFrame(columns=columns)
    wanted = [metric.id for metric in CATALOGUE if metric.theme in themes]
    rows = table[table["la_code"].isin(members) & table["metric"].isin(wanted)]
    now = rows[rows["period_index"] == period.index]
    items = []
    for record in now.to_dict("records"):
        metric = METRICS[record["metric"]]
        value = metric.format(record["value"])
        if isinstance(record.get("top_bottom_20"), str):
            items.append((record["top_bottom_20"], record["la_code"], metric.id,
                          f"{metric.name}: {value} (rank {record['rank']:.0f} of {record['network_reported']:.0f})"))
        if record.get("funnel") in ("above_99.8", "below_99.8"):
            items.append(("outlier", record["la_code"], metric.id,
                          f"{metric.name}: {value}, {views.funnel_text(metric, record['funnel'])}"))
        if record.get("flag") is True:
            items.append(("statement overdue", record["la_code"], metric.id,
                          f"Short breaks statement last reviewed {value} before the quarter's end"))
    items += _worsened_twice(rows, period)
    frame = pd.DataFrame(items, columns=["kind", "la_code", "metric", "detail"])
    frame["la_name"] = frame["la_code"].map(reference.authority_name)
    order = {kind: position for position, kind in enumerate(DISCUSSION_KINDS)}
    frame = frame.sort_values(["kind", "la_name", "metric"], key=lambda s: s.map(order) if s.name == "kind" else s)
    return frame[columns].reset_index(drop=True)


def _worsened_twice(rows: pd.DataFrame, period: Period) -> list[tuple[str, str, str, str]]:
    recent = rows[rows["period_index"].between(period.index - 2, period.index)]
    wide = recent.pivot_table(index=["la_code", "metric"], columns="period_index", values="value")
    items = []
    if not {period.index - 2, period.index - 1, period.index} <= set(wide.columns):
        return items
    for (la_code, metric_id), values in wide.iterrows():
        metric = METRICS[metric_id]
        if metric.polarity is Polarity.NEUTRAL:
            continue
        first, second, third = values[period.index - 2], values[period.index - 1], values[period.index]
        sign = 1 if metric.polarity is Polarity.HIGHER else -1
        if sign * (second - first) < 0 and sign * (third - second) < 0:
            items.append(("worsened two quarters", la_code, metric_id,
                          f"{metric.name}: {metric.format(first)}, {metric.format(second)}, "
                          f"{metric.format(third)} over the last three quarters"))
    return items


def _outward_discussion(frame: pd.DataFrame, names: dict[str, str], audience: str,
                        sections: list[MetricSection]) -> pd.DataFrame:
    """The discussion list as the audience may see it. Externally it quotes no figure, and its
    top/bottom 20% and outliers come from the suppressed tables, so nothing they hide reappears."""
    out = frame.copy()
    out["la_name"] = out["la_name"].map(names)
    if audience != "external":
        return out.drop(columns=["la_code"])
    items = []
    for section in sections:
        table = section.table
        for name, flag, position, value in zip(table["la_name"], table["top_bottom_20"], table["funnel"],
                                               table["value"], strict=True):
            if value == SUPPRESSED:
                continue
            if flag in ("top 20%", "bottom 20%"):
                items.append((flag, name, section.metric.id, section.metric.name))
            if position in ("above_99.8", "below_99.8"):
                items.append(("outlier", name, section.metric.id,
                              f"{section.metric.name}: {views.funnel_text(section.metric, position)}"))
    suppressed = {(section.metric.id, name) for section in sections
                  for name, value in zip(section.table["la_name"], section.table["value"], strict=True)
                  if value == SUPPRESSED}
    for kind, name, metric_id in zip(out["kind"], out["la_name"], out["metric"], strict=True):
        if kind in ("worsened two quarters", "statement overdue") and (metric_id, name) not in suppressed:
            items.append((kind, name, metric_id, f"{METRICS[metric_id].name}: {kind}"))
    order = {kind: position for position, kind in enumerate(DISCUSSION_KINDS)}
    result = pd.DataFrame(items, columns=["kind", "la_name", "metric", "detail"])
    return result.sort_values(["kind", "la_name", "metric"],
                              key=lambda s: s.map(order) if s.name == "kind" else s).reset_index(drop=True)


def _outward_tracker(table: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    out = table.rename(columns={"la_name": "Authority", **{key: theme.title for key, theme in THEMES.items()}})
    out["Authority"] = out["Authority"].map(names)
    return out.drop(columns=["la_code"]).sort_values("Authority").reset_index(drop=True)


def build_pack(db: Database, request: PackRequest, now: dt.datetime | None = None,
               hidden: frozenset[str] = frozenset()) -> Pack:
    """Everything a pack shows, computed once from the engine and made safe for its audience;
    `hidden` authorities (shared anonymously with this reader) appear as letters."""
    peers = engine.peer_group(db, request.group, request.own_la, request.period)
    members = [code for code in peers.members if code in set(engine.network_members(db, request.period))]
    names = _names(request, members, hidden)
    metrics = [metric for metric in CATALOGUE if metric.theme in request.themes]
    sections = []
    for metric in metrics:
        table = engine.compare(db, request.period, metric.id, request.group, request.own_la,
                               revised=request.revised)
        table = table[table["la_code"].isin(members)]
        outward = exports.outward_comparison(table, metric, request.audience, request.own_la, names)
        if request.audience == "network":
            letters = {name: shown for name, shown in names.items() if name != shown}
            outward = outward.assign(
                la_name=outward["la_name"].map(names),
                la_code=outward["la_code"].where(~outward["la_code"].isin(hidden), ""),
                sn_closeness=exports.mask_names(outward["sn_closeness"], letters).where(
                    ~outward["la_code"].isin(hidden), ""),
            )
        outliers = outward.loc[outward["funnel"].isin(["above_99.8", "below_99.8"]), "la_name"].tolist()
        sections.append(MetricSection(metric, outward.reset_index(drop=True), outliers))
    values, bands = _rug(sections)
    grid = tracker.tracker_grid(db, request.period)
    grid = grid[grid["la_code"].isin(members)]
    as_of = db.scalar("SELECT max(submitted_at) FROM submissions")
    outward_items = _outward_discussion(discussion(db, request.period, members, request.themes), names,
                                        request.audience, sections)
    notes = pack_commentary(db, request, members, hidden, names)
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
        card = views.scorecard_view(db, la_code, request.period)
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
        completeness=_outward_completeness(tracker.completeness(db, request.period), names),
        rug_values=values,
        rug_bands=bands,
        sections=sections,
        discussion=outward_items,
        authority_pages=pages,
        definitions=definitions(metrics),
        commentary=_answering(notes, outward_items),
        signed_off=cycle.signoff(db, request.period),
        revisions=_revisions(db, request, members, names),
    )


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


def _answering(notes: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """Each commentary with the discussion items (or narrative requests) on the same authority and
    metric it answers, so the pack prints it beside them."""
    answers = items.groupby(["la_name", "metric"])["kind"].agg("; ".join) if len(items) else pd.Series(dtype=object)
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
        "Theme": [THEMES[theme].title for theme in revised["theme"]],
        "Revised": ["withdrawn" if pd.isna(when) else f"{when:%d %b %Y}" for when in revised["revised_at"]],
    })


def _rug(sections: list[MetricSection]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The pack's tartan rug, from the same (audience-safe) tables as its metric pages."""
    values = pd.DataFrame({section.metric.id: section.table.set_index("la_name")["value"] for section in sections})
    bands = pd.DataFrame({section.metric.id: section.table.set_index("la_name")["quartile_band"]
                          for section in sections})
    bands = bands.where(bands != SUPPRESSED)
    values = values.sort_index()
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

        rows.append({
            "Theme": metric.theme, "Metric": metric.name, "Value": shown(row["value"]), "Count": "",
            "Rank": views.rank_text(row["rank"], row["group_reported"]),
            "Band": row["quartile_band"] if isinstance(row["quartile_band"], str) else "",
            "Top/bottom 20%": row["top_bottom_20"] if isinstance(row["top_bottom_20"], str) else "",
            "Trend": "", "Network median": shown(row["network_median"]),
            "Neighbours' mean": shown(row["sn_mean"]), "Funnel": views.funnel_text(metric, row["funnel"]),
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
