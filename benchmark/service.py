"""Everything a page or a command does, on behalf of an acting user.

Each function checks what the user may do (benchmark.access.rights) before calling the engine, and
applies each authority's sharing setting to what comes back: an authority set to anonymous is a
letter to its peers and named to itself and the chair. Pages and the command line call only this.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd

from benchmark import reference
from benchmark.access import membership, network, rights
from benchmark.access.network import is_demo
from benchmark.access.rights import (
    AccessDenied,
    Role,
    Sharing,
    User,
    record,
    record_all,
    require_chair,
    require_writer,
    sharing,
)
from benchmark.analysis import (
    cycle,
    engine,
    groups,
    inequalities,
    inspections,
    published,
    published_measures,
    role,
    summary,
    tracker,
)
from benchmark.analysis import discussion as discussion_items
from benchmark.analysis.discussion import disparity_items
from benchmark.db import Database
from benchmark.definitions import published_catalogue
from benchmark.definitions.breakdowns import BREAKDOWN_COLUMNS, BREAKDOWN_RETURNS
from benchmark.definitions.metrics import METRICS
from benchmark.definitions.standard import columns
from benchmark.intake import commentary, returns, templates
from benchmark.intake.validation import ParsedRow, Problem, ValidationReport, sentence
from benchmark.outputs import breakdown_disclosure, disclosure, exports, inequality_views, pack_render, packs, views
from benchmark.periods import Period


def _require(user: User | None) -> User:
    if user is None:
        raise AccessDenied("Sign in as a member of the network to see its figures.")
    return user


def hidden_authorities(db: Database, user: User) -> frozenset[str]:
    """Authorities this user sees only as letters: those set to anonymous, except its own."""
    return frozenset(code for code, setting in sharing(db).items()
                     if setting is Sharing.ANONYMOUS and not user.sees_name_of(code))


Shared = TypeVar("Shared")


def _shared(db: Database, user: User, name: str, build: Callable[[], Shared]) -> Shared:
    """Work that is the same for everyone who sees the network the same way (the same authorities
    hidden from them, so the same letters): built once per data version and day, whoever asks first,
    and shared across sessions, so that twenty members opening the dashboard at once cost one build.
    Rights are checked per user before this is called. Callers copy what a page may change."""
    audience = f"{user.role}|hidden:{','.join(sorted(hidden_authorities(db, user)))}"
    return engine.cached(db, f"shared|{name}|{dt.date.today()}|{audience}", build)


def letters_for(db: Database, user: User, seed: str) -> dict[str, str]:
    """Code -> display name for the hidden authorities, stable within one output."""
    hidden = sorted(hidden_authorities(db, user))
    names = exports.letter_names([reference.authority_name(code) for code in hidden], None, seed,
                                 disclosure.lettering_key(db))
    return {code: names[reference.authority_name(code)] for code in hidden}


def _share(frame: pd.DataFrame, letters: dict[str, str], name_column: str = "la_name") -> pd.DataFrame:
    if not letters or frame.empty:
        return frame
    out = frame.copy()
    hidden = out["la_code"].isin(letters)
    out.loc[hidden, name_column] = out.loc[hidden, "la_code"].map(letters)
    out.loc[hidden, "la_code"] = ""
    if "sn_closeness" in out:
        out["sn_closeness"] = exports.mask_names(out["sn_closeness"], dict.fromkeys(
            (reference.authority_name(code) for code in letters), exports.ANONYMOUS_NEIGHBOUR))
        out.loc[hidden, "sn_closeness"] = ""
    return out


def choosable_authorities(db: Database, user: User | None) -> list[str]:
    """Authorities the user may pick by name (in a URL, a selector): all but the hidden ones."""
    hidden = hidden_authorities(db, _require(user))
    return [code for code in engine.network_members(db) if code not in hidden]


def _require_visible(db: Database, user: User, la_code: str) -> None:
    if la_code in hidden_authorities(db, user):
        raise AccessDenied("That authority shares its figures with the network anonymously.")


def compare(db: Database, user: User | None, period: Period, metric_id: str, group: str = "network",
            for_la: str | None = None, revised: bool = False) -> pd.DataFrame:
    user = _require(user)
    if for_la is not None:
        _require_visible(db, user, for_la)

    def build() -> pd.DataFrame:
        table = engine.compare(db, period, metric_id, group, for_la, revised=revised)
        hidden = hidden_authorities(db, user)
        table = exports.shield_anonymous(table, METRICS[metric_id], hidden,
                                         exports.hidden_reporting(db, hidden, metric_id, period.index))
        return _share(table, letters_for(db, user, f"{period}|{metric_id}"))

    return _shared(db, user, f"compare|{period}|{metric_id}|{group}|{for_la}|{revised}", build).copy()


def outward_compare(db: Database, user: User | None, period: Period, metric_id: str, group: str = "network",
                    for_la: str | None = None, audience: str = "network", revised: bool = False) -> pd.DataFrame:
    """`compare` as a table leaving its audience: for `external`, disclosure control with letters drawn
    for this one output (quarter, metric, group and own authority)."""
    table = compare(db, user, period, metric_id, group, for_la, revised=revised)
    if audience != "external":
        return exports.outward_comparison(table, METRICS[metric_id], audience, for_la)
    members = set(engine.network_members(db, period))
    peers = engine.peer_group(db, group, for_la, period)
    exports.require_external_group(len(members & set(peers.members)), peers.label)
    own = reference.authority_name(for_la) if for_la in set(table["la_code"]) else None
    names = exports.letter_names(table["la_name"].tolist(), own, f"{period}|{metric_id}|{group}|{for_la}",
                                 disclosure.lettering_key(db))
    return exports.outward_comparison(table, METRICS[metric_id], audience, for_la, names,
                                      disclosure.withheld(db, period.index, metric_id, revised))


def series(db: Database, user: User | None, metric_id: str, la_code: str, last: Period,
           revised: bool = False) -> pd.DataFrame:
    user = _require(user)
    _require_visible(db, user, la_code)
    series = engine.series(db, metric_id, la_code, last, revised=revised)
    hidden = hidden_authorities(db, user)
    if _near_hidden(la_code, hidden):  # the neighbours' mean holds a hidden neighbour's value
        series["sn_mean"] = float("nan")
    # A network median holding a hidden value, beside the named values, helps solve it.
    holding = [exports.hidden_reporting(db, hidden, metric_id, index) > 0 for index in series["period_index"]]
    series.loc[holding, "network_median"] = float("nan")
    return series


def _near_hidden(la_code: str, hidden: frozenset[str]) -> bool:
    """Whether one of the authority's (public) statistical neighbours is hidden from this reader."""
    return any(code in hidden for code, _ in reference.statistical_neighbours().get(la_code, []))


def scorecard(db: Database, user: User | None, la_code: str, period: Period, revised: bool = False) -> pd.DataFrame:
    user = _require(user)
    _require_visible(db, user, la_code)

    def build() -> pd.DataFrame:
        card = views.scorecard_view(db, la_code, period, revised=revised)
        return exports.shield_scorecard(db, card, la_code, period.index, hidden_authorities(db, user))

    return _shared(db, user, f"scorecard|{la_code}|{period}|{revised}", build).copy()


def rug(db: Database, user: User | None, period: Period) -> tuple[pd.DataFrame, pd.DataFrame]:
    user = _require(user)
    values, bands = views.rug(db, period)
    hidden = hidden_authorities(db, user) & set(engine.network_members(db))
    names = {reference.authority_name(code): code for code in hidden}
    if len(hidden) == 1:  # one letter among named members would be named by elimination
        values, bands = values.drop(index=list(names)), bands.drop(index=list(names))
    elif hidden:  # letters show rounded values only, as in every comparison table
        smallest = min(reference.population_for(code, period.end.year) or 10_000 for code in hidden)
        rows = values.index.isin(list(names))
        for metric_id in values.columns:
            numbers = disclosure.rounded(values.loc[rows, metric_id], METRICS[metric_id], smallest)
            values.loc[rows, metric_id] = [None if np.isnan(number) else float(number) for number in numbers]
    letters = {reference.authority_name(code): name for code, name in letters_for(db, user, str(period)).items()}
    if letters:
        values = values.rename(index=letters).sort_index(key=exports.name_order)
        bands = bands.rename(index=letters).reindex(values.index)
    return values, bands


def _lone_tracker_letter(db: Database, user: User, period: Period) -> frozenset[str]:
    """A lone authority sharing anonymously is left out of the tracker, as of every other view."""
    return exports.lone_letter(engine.network_members(db, period), hidden_authorities(db, user))


def tracker_grid(db: Database, user: User | None, period: Period) -> pd.DataFrame:
    user = _require(user)

    def build() -> pd.DataFrame:
        grid = tracker.tracker_grid(db, period)
        grid = grid[~grid["la_code"].isin(_lone_tracker_letter(db, user, period))]
        return _share(grid, letters_for(db, user, str(period))).sort_values(
            "la_name", key=exports.name_order).reset_index(drop=True)

    return _shared(db, user, f"tracker|{period}", build).copy()


def completeness(db: Database, user: User | None, period: Period) -> dict:
    summary = tracker.completeness(db, period, leave_out=_lone_tracker_letter(db, _require(user), period))
    letters = {reference.authority_name(code): name
               for code, name in letters_for(db, _require(user), str(period)).items()}
    summary["missing"] = [(letters.get(name, name), theme) for name, theme in summary["missing"]]
    return summary


def history(db: Database, user: User | None) -> pd.DataFrame:
    """Submissions, newest first: the chair sees all, a member those covering its own authority."""
    user = _require(user)
    frame = returns.history(db)
    if user.is_chair:
        return frame
    own = db.frame("SELECT DISTINCT submission_id FROM return_rows WHERE la_code = ?", [user.la_code])
    return frame[frame["submission_id"].isin(own["submission_id"])].reset_index(drop=True)


def original_file(db: Database, user: User | None, submission_id: int) -> tuple[str, bytes]:
    """A clean copy of a submission for those who may see it: its stored rows rebuilt as a CSV in the
    data standard's columns, formula-safe, never the uploaded bytes (a workbook can carry a live
    formula, a hidden sheet or a link that would run on the reader's machine). A chair's collated file
    gives a member only its own rows: the rest would show an anonymous authority's figures under its
    name. The exact bytes stay for audit: `exact_original`, from the command line."""
    user = _require(user)
    if submission_id not in set(history(db, user)["submission_id"]):
        raise AccessDenied("That submission is not one you can see.")
    stem = Path(db.scalar("SELECT file_name FROM submissions WHERE submission_id = ?", [submission_id])).stem
    others = db.scalar("SELECT count(*) FROM return_rows WHERE submission_id = ? AND la_code <> ?",
                       [submission_id, user.la_code])
    if user.is_chair or not others:
        return f"{stem}-as-stored.csv", _stored_rows_csv(db, submission_id)
    return f"{stem}-{user.la_code}-own-rows.csv", _stored_rows_csv(db, submission_id, user.la_code)


def exact_original(db: Database, user: User | None, submission_id: int) -> tuple[str, bytes]:
    """The exact bytes a submission stored, for audit (the chair, or the operator at the command line);
    recorded in the audit log. The pages never hand these out: see `original_file`."""
    user = _require(user)
    require_chair(user, "take the exact file a submission stored")
    name, content = returns.original_file(db, submission_id)
    with db.transaction(changes_data=False) as cursor:
        record(cursor, user, "original file taken", detail={"submission_id": submission_id, "file": name})
    return name, content


def _stored_rows_csv(db: Database, submission_id: int, la_code: str | None = None) -> bytes:
    """A stored submission's rows (one authority's, or all), in the data standard's columns, as stored."""
    theme = db.scalar("SELECT theme FROM submissions WHERE submission_id = ?", [submission_id])
    if theme in BREAKDOWN_RETURNS:
        return _breakdowns_csv(db, submission_id, la_code)
    only = "" if la_code is None else " AND la_code = ?"
    parameters = [submission_id] if la_code is None else [submission_id, la_code]
    rows = db.frame(f"SELECT la_code, period_index, period, notes FROM return_rows WHERE submission_id = ?{only} "
                    "ORDER BY la_code, period_index", parameters)
    values = db.frame(f"SELECT la_code, period_index, field, value, date_value FROM return_values "
                      f"WHERE submission_id = ?{only}", parameters)
    stored: dict[tuple[str, int], dict[str, str]] = {}
    for value in values.itertuples():
        if pd.notna(value.date_value):
            text = pd.Timestamp(value.date_value).date().isoformat()
        elif pd.notna(value.value):
            text = str(int(value.value)) if float(value.value).is_integer() else str(value.value)
        else:
            continue
        stored.setdefault((value.la_code, value.period_index), {})[value.field] = text
    records = [{"la_code": row.la_code, "period": row.period, "notes": row.notes or "",
                **stored.get((row.la_code, row.period_index), {})} for row in rows.itertuples()]
    return exports.to_csv_bytes(pd.DataFrame(records, columns=[spec.name for spec in columns(theme)]))


def _breakdowns_csv(db: Database, submission_id: int, la_code: str | None = None) -> bytes:
    """A stored submission's breakdown rows (one authority's, or all), in the breakdown file's columns."""
    only = "" if la_code is None else " AND b.la_code = ?"
    frame = db.frame(
        "SELECT b.la_code, r.period, b.count_of, b.breakdown AS by, b.group_name AS \"group\", "
        "       CAST(b.count AS BIGINT) AS count "
        "FROM return_breakdowns b JOIN return_rows r USING (submission_id, la_code, period_index) "
        f"WHERE b.submission_id = ?{only} ORDER BY r.file_row, b.count_of, b.breakdown, b.group_name",
        [submission_id] if la_code is None else [submission_id, la_code])
    return exports.to_csv_bytes(frame[list(BREAKDOWN_COLUMNS)])


def _refuse(report: ValidationReport, problems: list[Problem]) -> None:
    """The file stores nothing; its warnings go too (they quote other authorities' stored figures)."""
    report.errors.extend(problems)
    report.rows.clear()
    report.warnings.clear()


def _row_refusal(row: ParsedRow, reason: str) -> Problem:
    """A refused row as validation reports one: its sheet, row, authority and a whole sentence."""
    return Problem(row.file_row, "la_code", row.la_code, sentence(reason), row.sheet)


def _permission_check(user: User) -> returns.ReportCheck:
    def check(report: ValidationReport) -> None:
        refused = [row for row in report.rows if not user.may_store(row.la_code)]
        if not refused:
            return
        if user.role is Role.UPLOADER:
            problems = [_row_refusal(row, f"you may only store returns for {reference.authority_name(user.la_code)}, "
                                          f"not for {reference.authority_name(row.la_code)}: nothing was stored")
                        for row in refused]
        else:
            problems = [_row_refusal(row, f"as a {user.role.label} you can compare but not store returns: your "
                                          "authority's uploader or the network chair stores them")
                        for row in refused]
        _refuse(report, problems)
    return check


def _membership_check(db: Database, user: User) -> returns.ReportCheck:
    """After the user's own rights: a row for an authority outside the network (once the chair has
    set the members) or for a theme the network does not collect stores nothing; a workbook's
    sheets are checked each for its own theme."""
    permission = _permission_check(user)

    def check(report: ValidationReport) -> None:
        permission(report)
        if not report.rows:
            return
        sheets = {theme: sheet for sheet, theme in report.sheets.items()}
        themes = [(theme, refusal) for theme in report.themes
                  if (refusal := membership.theme_refusal(db, theme))]
        reasons = membership.refusals(db, [(row.la_code, row.period) for row in report.rows])
        refused = [(row, reason) for row, reason in zip(report.rows, reasons, strict=True) if reason]
        if not (themes or refused):
            return
        _refuse(report, [Problem(None, None, None, sentence(refusal), sheets.get(theme)) for theme, refusal in themes]
                + [_row_refusal(row, reason) for row, reason in refused])
    return check


def validate(db: Database, user: User | None, file_name: str, content: bytes,
             today: dt.date | None = None) -> ValidationReport:
    """Validate a file as this user would store it (a row for another authority, or for an
    authority outside the network, is an error)."""
    user = _require(user)
    report = returns.validate_against(db, file_name, content, today, user.may_store)
    if report.ok:
        _store_check(db, user)(report)
    return report


def store(db: Database, user: User | None, file_name: str, content: bytes, *,
          submitted_at: dt.datetime | None = None, today: dt.date | None = None) -> returns.StoreResult:
    """Store a file for the authorities this user may store for; recorded in the audit log."""
    user = _require(user)

    def audit(cursor: object, submission_id: int, report: ValidationReport, replaced: list) -> None:
        digest = hashlib.sha256(content).hexdigest()
        entries = []
        for la_code in sorted({row.la_code for row in report.rows}):
            periods = sorted({row.period.label for row in report.rows if row.la_code == la_code})
            entries.append(("return stored", la_code, la_code if user.la_code != la_code else None,
                            {"submission_id": submission_id, "theme": report.theme, "periods": periods,
                             "file": file_name, "sha256": digest}))
        entries += [
            ("return superseded", la_code, None,
             {"submission_id": previous, "replaced_by": submission_id, "period": period, "theme": report.theme})
            for la_code, period, previous in replaced
        ]
        record_all(cursor, user, entries)
        _after_store(cursor, user, submission_id, report)

    return returns.store_file(db, file_name, content, user.email, submitted_at=submitted_at, today=today,
                              check=_store_check(db, user), audit=audit, may_store=user.may_store)


def _store_check(db: Database, user: User) -> returns.ReportCheck:
    """The demo stores nothing (real returns must never be served as synthetic ones without sign-in);
    elsewhere the user stores only what they may."""
    permitted = _membership_check(db, user)

    def check(report: ValidationReport) -> None:
        if is_demo(db):
            report.errors.append(Problem(None, None, None, DEMO_REFUSAL))
            report.rows.clear()
            report.warnings.clear()
            return
        permitted(report)
    return check


DEMO_REFUSAL = ("this is the synthetic demo database, which is served without sign-in: it stores no returns. "
                "Store real returns in a database of their own (--db, or DSCO_DB) with sign-in configured.")


def save_group(db: Database, user: User | None, name: str, members: list[str]) -> list[str]:
    """Create or replace a custom peer group (chair only); recorded in the audit log."""
    user = _require(user)
    require_chair(user, "manage peer groups")

    def audit(cursor: object, cleaned: str, codes: list[str]) -> None:
        record(cursor, user, "group saved", detail={"group": cleaned, "members": codes})

    return groups.save_group(db, name, members, audit=audit)


def delete_group(db: Database, user: User | None, name: str) -> None:
    """Remove a custom peer group (chair only); recorded in the audit log."""
    user = _require(user)
    require_chair(user, "manage peer groups")
    groups.delete_group(db, name, audit=lambda cursor: record(cursor, user, "group removed",
                                                               detail={"group": name}))


def backup(db: Database, user: User | None, directory: Path) -> Path:
    """A consistent copy of the database (chair only); recorded in the audit log."""
    user = _require(user)
    require_chair(user, "take a backup")
    target = db.backup(directory)
    with db.transaction(changes_data=False) as cursor:
        record(cursor, user, "backup taken", detail={"file": str(target)})
    return target
def _after_store(cursor: object, user: User, submission_id: int, report: ValidationReport) -> None:
    """In the storing transaction: each row's notes become the commentary on its theme."""
    notes = [(row.la_code, row.period, report.theme, commentary.clean(row.notes), submission_id)
             for row in report.rows if row.notes and row.notes.strip()]
    commentary.insert(cursor, user.email, notes)
    record_all(cursor, user, [("commentary written", la_code, None,
                               {"period": period.label, "subject": theme, "from_submission": submission_id})
                              for la_code, period, theme, _, _ in notes])


def build_pack(db: Database, user: User | None, request: packs.PackRequest) -> packs.Pack:
    """A meeting pack's content as this user may see it (for a preview or to render)."""
    user = _require(user)
    for la_code in (request.own_la, *request.authority_pages):
        if la_code is not None:
            _require_visible(db, user, la_code)
    pages, disparities = _pack_inequalities(db, user, request)
    return packs.build_pack(db, request, hidden=hidden_authorities(db, user), inequality_pages=pages,
                            disparities=disparities)


def render_pack(db: Database, user: User | None, pack: packs.Pack, fmt: str,
                progress: pack_render.Progress | None = None,
                deliver: Callable[[bytes], None] | None = None) -> bytes:
    """The pack as a file; every pack generated is recorded in the audit log. `deliver` (writing the
    file, say) runs first: a pack that could not be delivered is not recorded as generated."""
    user = _require(user)
    content = pack_render.render(pack, fmt, progress)
    if deliver is not None:
        deliver(content)
    request = pack.request
    with db.transaction(changes_data=False) as cursor:
        record(cursor, user, "pack generated", la_code=request.own_la,
               detail={"format": fmt, "period": request.period.label, "group": request.group,
                       "audience": request.audience, "themes": list(request.themes),
                       "pages": list(request.authority_pages), "bytes": len(content)})
    return content


def network_summary(db: Database, user: User | None, period: Period) -> summary.NetworkSummary:
    """How the network is doing this quarter, with authorities shared anonymously as letters."""
    user = _require(user)
    return _shared(db, user, f"summary|{period}",
                   lambda: summary.network_summary(db, period, names=letters_for(db, user, str(period)),
                                                   leave_out=hidden_authorities(db, user)))


def discussion(db: Database, user: User | None, request: packs.PackRequest) -> packs.Pack:
    """The discussion list exactly as the pack for this request shows it (shortlist, full list,
    narrative requests), for this user."""
    return build_pack(db, user, request)


def published_context(db: Database, user: User | None, la_code: str, theme_id: str | None = None) -> pd.DataFrame:
    """The published measures for one authority (of a theme, or all), LAIT style, latest period."""
    user = _require(user)
    _require_visible(db, user, la_code)
    return published_measures.comparisons(db, la_code, theme_id)


def published_context_table(db: Database, user: User | None, la_code: str,
                            theme_id: str | None = None) -> pd.DataFrame:
    """The same comparisons as people read them, for pages."""
    user = _require(user)
    _require_visible(db, user, la_code)
    return published_measures.context_table(db, la_code, theme_id)


def published_trend(db: Database, user: User | None, measure_id: str, la_code: str) -> pd.DataFrame:
    user = _require(user)
    _require_visible(db, user, la_code)
    return published_measures.trend(db, published_catalogue.get_measure(measure_id), la_code)


def published_chart_frame(db: Database, user: User | None, measure_id: str, la_code: str) -> pd.DataFrame:
    """A published series for the chosen authority, its region, England and the network authorities
    the user may see by name (published figures are public, but a letter must not be unmasked)."""
    user = _require(user)
    _require_visible(db, user, la_code)
    named = [code for code in choosable_authorities(db, user) if code != la_code]
    return published_measures.chart_frame(db, published_catalogue.get_measure(measure_id), [la_code, *named])


def reach_vs_cin(db: Database, user: User | None, period: Period) -> tuple[pd.DataFrame, str]:
    """The joined short-break measure for the network authorities this user sees by name; those
    sharing anonymously are left out, since their public census figure would name them."""
    user = _require(user)

    def build() -> tuple[pd.DataFrame, str]:
        frame, label = published_measures.reach_vs_cin(db, period)
        hidden = hidden_authorities(db, user)
        if hidden & set(frame["la_code"]):
            label += (f" {int(frame['la_code'].isin(hidden).sum())} authority(ies) sharing anonymously are not "
                      "listed: their published figure would name them.")
        return frame[~frame["la_code"].isin(hidden)].reset_index(drop=True), label

    frame, label = _shared(db, user, f"reach|{period}", build)
    return frame.copy(), label
def withdraw(db: Database, user: User | None, submission_id: int, reason: str = "") -> None:
    """The chair takes a stored submission out of every comparison (audited): the version before
    it becomes current again and its bytes stay in the history. A signed-off quarter keeps its
    figures as at sign-off and lists the change as revised after sign-off."""
    user = _require(user)
    require_chair(user, "withdraw a submission")

    def audit(cursor: object, covered: list[tuple[str, str]]) -> None:
        record_all(cursor, user, [("submission withdrawn", la_code, None,
                                   {"submission_id": submission_id, "period": period, "reason": reason})
                                  for la_code, period in covered])

    returns.withdraw(db, submission_id, user.email, reason, audit)


def may_comment(user: User | None, la_code: str) -> bool:
    """An authority's DSCO or uploader comments on its figures; the chair may on its behalf."""
    return user is not None and user.may_write and (
        user.is_chair or (user.la_code == la_code and user.role in (Role.DSCO, Role.UPLOADER)))


def write_commentary(db: Database, user: User | None, la_code: str, period: Period, subject: str,
                     text: str) -> str:
    """Store a new version of an authority's commentary on a metric or theme (empty text withdraws
    it); returns the text as stored. Audited."""
    user = _require(user)
    require_writer(user)
    if not may_comment(user, la_code):
        raise AccessDenied(f"Only {reference.authority_name(la_code)}'s DSCO or uploader (or the chair) can "
                           "write its commentary.")
    commentary.subject_name(subject)
    cleaned = commentary.clean(text)
    with db.transaction() as cursor:  # a built pack quotes commentary: it is no longer current
        commentary.insert(cursor, user.email, [(la_code, period, subject, cleaned, None)])
        record(cursor, user, "commentary written", la_code=la_code,
               on_behalf_of=la_code if user.la_code != la_code else None,
               detail={"period": period.label, "subject": subject, "characters": len(cleaned)})
    return cleaned


def commentary_for(db: Database, user: User | None, la_code: str, period: Period) -> dict[str, str]:
    """Subject -> current commentary text of one authority and quarter, for those who may see it."""
    user = _require(user)
    _require_visible(db, user, la_code)
    # Read once per data version (commentary is written in a transaction like any return): pages ask per view.
    frame = engine.cached(db, f"commentary {period.label} {la_code}", lambda: commentary.current(db, period, [la_code]))
    return dict(zip(frame["subject"], frame["text"], strict=True))


FORUM_COLUMNS = ["metric_id", "theme", "Metric", "Why", "Sentence", "Commentary"]


def forum_questions(db: Database, user: User | None, la_code: str, period: Period,
                    revised: bool = False, card: pd.DataFrame | None = None) -> pd.DataFrame:
    """What the network's meeting will ask this authority about the quarter: every discussion item about
    it (not only the pack's shortlist) and London's narrative requests (top or bottom 20% on a headline
    metric, never on small numbers), each with its sentence and the authority's commentary answering it.
    `card` is the authority's scorecard where the caller has it already (`scorecard`)."""
    user = _require(user)
    _require_visible(db, user, la_code)
    themes = membership.network_themes(db)
    la_name = reference.authority_name(la_code)
    # The network's items are the same for every member: found once per quarter and data version.
    items = engine.cached(db, f"forum items {period.label} {revised} {','.join(themes)}", lambda: pd.DataFrame(
        {"item": discussion_items.find_items(db, period, "network", None, themes, revised=revised)}))
    rows = [{"metric_id": item.metric, "theme": item.theme, "Metric": METRICS[item.metric].name,
             "Why": discussion_items.KIND_WORDS[item.kind], "Sentence": item.sentence(figures=True)}
            for item in items["item"] if item.la_code == la_code]
    card = views.scorecard_view(db, la_code, period, revised=revised) if card is None else card
    for row in card.to_dict("records"):
        metric = METRICS[row["metric_id"]]
        position = row["Top/bottom 20%"]
        if metric.theme in themes and metric.headline and position and row["Flag"] != views.SMALL_NUMBERS:
            rows.append({"metric_id": metric.id, "theme": metric.theme, "Metric": metric.name,
                         "Why": f"narrative request: {position}",
                         "Sentence": f"{la_name} is in the {position} of the network on {metric.name}, at "
                                     f"{row['Value']}: the network asks for a short narrative."})
    notes = commentary_for(db, user, la_code, period)
    table = pd.DataFrame(rows, columns=FORUM_COLUMNS[:-1])
    table["Commentary"] = table["metric_id"].map(lambda metric_id: notes.get(metric_id, ""))
    return table


def commentary_list(db: Database, user: User | None, period: Period, la_code: str | None = None) -> pd.DataFrame:
    """The current commentary of a quarter (of one authority, or of every authority this user sees by
    name: an anonymous authority's words would name it); who wrote it only for the chair."""
    user = _require(user)
    if la_code is not None:
        _require_visible(db, user, la_code)
    table = commentary.current(db, period, [la_code] if la_code else None)
    table = table[~table["la_code"].isin(hidden_authorities(db, user))].drop(columns=["period_index"])
    if not user.is_chair:
        table = table.drop(columns=["written_by"])
    return table.reset_index(drop=True)


def member_list(db: Database, user: User | None) -> pd.DataFrame:
    """Who may sign in, with role and authority (chair only: it lists members' e-mail addresses)."""
    user = _require(user)
    if not user.is_chair:
        raise AccessDenied("Only the network chair can see the member list.")
    return rights.members(db)


def chase_list(db: Database, user: User | None, period: Period, today: dt.date | None = None) -> pd.DataFrame:
    """Overdue authorities with addresses to chase (chair only: it lists members' e-mail addresses)."""
    user = _require(user)
    if not user.is_chair:
        raise AccessDenied("Only the network chair can see the chase list.")
    return tracker.chase_list(db, period, today)


def sign_off(db: Database, user: User | None, period: Period) -> cycle.SignOff:
    return cycle.sign_off(db, _require(user), period)


def reopen(db: Database, user: User | None, period: Period) -> None:
    cycle.reopen(db, _require(user), period)


# ---------------------------------------------------------------------------------------------------
# Thin doors for the pages: every page reaches stored data only through this module, so the acting
# user is checked in one place. Each function below checks the user and calls one stage function.

SUMMARY_METHODS = summary.METHODS
REACH_NAME = published_measures.REACH_NAME
WORKBOOK_FILE = templates.WORKBOOK_FILE
CATALOGUE_INTRO = templates.CATALOGUE_INTRO
NIGHTS_NOTE = templates.NIGHTS_NOTE
BREAKDOWN_FILE_STEM = templates.BREAKDOWN_FILE_STEM
breakdown_groups_heading = templates.breakdown_groups_heading
breakdown_groups = templates.breakdown_groups
StoreResult = returns.StoreResult
Inspection = inspections.Inspection
INEQUALITY_MEASURES = inequalities.MEASURES
InequalityTable = inequalities.InequalityTable
ROLE_THEME = role.ROLE_THEME
role_items = role.role_items
GroupError = groups.GroupError


def demo_network(db: Database) -> bool:
    """Whether this is the synthetic demo (every visitor is told so, signed in or not)."""
    return is_demo(db)


def network_title(db: Database) -> str:
    return network.network_name(db)


def network_themes(db: Database, user: User | None) -> tuple[str, ...]:
    """The themes the network collects."""
    _require(user)
    return membership.network_themes(db)


def network_authorities(db: Database, user: User | None, period: Period | None = None) -> list[str]:
    """Authorities with returns in the network (in one quarter, or any)."""
    _require(user)
    return engine.network_members(db, period)


def periods_with_data(db: Database, user: User | None) -> list[Period]:
    _require(user)
    return engine.periods_with_data(db)


def custom_groups(db: Database, user: User | None) -> dict[str, list[str]]:
    _require(user)
    return groups.custom_groups(db)


def signoff_of(db: Database, user: User | None, period: Period) -> cycle.SignOff | None:
    """The sign-off in force for a quarter, if any."""
    _require(user)
    return cycle.signoff(db, period)


def revisions_after_signoff(db: Database, user: User | None, period: Period) -> pd.DataFrame:
    _require(user)
    return cycle.revisions_after_signoff(db, [period])


def deadline(db: Database, user: User | None, period: Period) -> dt.date:
    _require(user)
    return cycle.deadline(db, period)


def deadline_days(db: Database, user: User | None) -> int:
    _require(user)
    return cycle.deadline_days(db)


def set_deadline_days(db: Database, user: User | None, days: int) -> None:
    cycle.set_deadline_days(db, _require(user), days)


def set_deadline(db: Database, user: User | None, period: Period, due: dt.date) -> None:
    cycle.set_deadline(db, _require(user), period, due)


def published_loaded(db: Database) -> bool:
    """Whether DfE's published statistics are loaded (public figures)."""
    return published_measures.loaded(db)


def published_by_year(db: Database, user: User | None, measure_id: str, la_code: str) -> pd.DataFrame:
    """One authority's published series, a row per year as people read it."""
    measure = published_catalogue.get_measure(measure_id)
    trend = published_trend(db, user, measure_id, la_code)
    return pd.DataFrame([published_measures.readable(measure, row) for row in trend.to_dict("records")])


def dsco_in_post(db: Database, user: User | None) -> pd.DataFrame:
    """DfE's published answer to "is a DSCO in post", by authority (public figures)."""
    _require(user)
    return published.dsco_in_post(db)


def commentary_subject(subject: str) -> str:
    """A commentary subject (metric or theme) by its name."""
    return commentary.subject_name(subject)


def template(theme_id: str | None, fmt: str) -> bytes:
    """A blank return template: one theme (or "breakdowns") as "csv" or "xlsx", or (theme None) the one-workbook
    return."""
    if theme_id is None:
        return templates.workbook_template()
    if theme_id == "breakdowns":
        return templates.breakdown_csv_template() if fmt == "csv" else templates.breakdown_xlsx_template()
    return templates.csv_template(theme_id) if fmt == "csv" else templates.xlsx_template(theme_id)


def data_standard_markdown(part: str, theme_id: str | None = None) -> str:
    """The data standard's text for the page: "intro", "limits", "breakdowns", or a theme's "heading" or "rules"."""
    if part == "intro":
        return templates.standard_intro_markdown()
    if part == "breakdowns":
        return templates.breakdowns_markdown()
    if part == "limits":
        return templates.limits_markdown()
    if part == "heading":
        return templates.theme_heading_markdown(theme_id)
    return templates.theme_rules_markdown(theme_id)


def members(db: Database, user: User | None) -> pd.DataFrame:
    """People who may sign in (chair only: it lists e-mail addresses)."""
    require_chair_reading(user, "see the member list")
    return rights.members(db)


def add_member(db: Database, user: User | None, email: str, role: str, la_code: str | None,
               name: str = "") -> User:
    return rights.add_member(db, _require(user), email, role, la_code, name)


def remove_member(db: Database, user: User | None, email: str) -> None:
    rights.remove_member(db, _require(user), email)


def sharing_settings(db: Database, user: User | None) -> dict[str, Sharing]:
    require_chair_reading(user, "see every authority's sharing")
    return sharing(db)


def set_sharing(db: Database, user: User | None, la_code: str, setting: str) -> None:
    rights.set_sharing(db, _require(user), la_code, setting)


def membership_table(db: Database, user: User | None) -> pd.DataFrame:
    """Member authorities by quarter, with their uploaders and DSCOs (chair only)."""
    require_chair_reading(user, "see the network's members")
    return membership.members_table(db)


def members_are_set(db: Database, user: User | None) -> bool:
    _require(user)
    return membership.members_are_set(db)


def member_authorities(db: Database, user: User | None) -> list[str]:
    _require(user)
    return membership.members_in(db)


def add_authorities(db: Database, user: User | None, authorities: list[str],
                    from_period: Period) -> list[membership.Membership]:
    return membership.add_authorities(db, _require(user), authorities, from_period)


def remove_authorities(db: Database, user: User | None, authorities: list[str], from_period: Period) -> None:
    membership.remove_authorities(db, _require(user), authorities, from_period)


def set_themes(db: Database, user: User | None, themes: list[str]) -> tuple[str, ...]:
    return membership.set_themes(db, _require(user), themes)


def audit_log(db: Database, user: User | None) -> pd.DataFrame:
    return rights.audit_log(db, _require(user))


def require_chair_reading(user: User | None, what: str) -> User:
    """The chair reads the network's administration (sign-in off too: the demo's chair reads, never writes)."""
    user = _require(user)
    if not user.is_chair:
        raise AccessDenied(f"Only the network chair can {what}.")
    return user


SYNTHETIC_LABEL = network.SYNTHETIC_LABEL


def preview(db: Database, user: User | None, report: ValidationReport) -> pd.DataFrame:
    """What storing a valid report would write, saying which earlier return each row replaces."""
    _require(user)
    return returns.preview(db, report)


# --- inequalities: breakdowns by ethnicity, sex, age band and primary need -------------------------------


def _breakdowns_kept_from(db: Database, user: User) -> frozenset[str]:
    """Authorities whose breakdowns this user may not see at all: those sharing anonymously reach nobody else
    (the chair included), as a letter's groups would name it."""
    return frozenset(code for code, setting in sharing(db).items()
                     if setting is Sharing.ANONYMOUS and code != user.la_code)


def _hidden_breakdown_cells(db: Database, user: User, measure_id: str, by: str, indexes: list[int],
                            kept_from: frozenset[str]) -> set[tuple[str, str]]:
    """(authority, group) cells of the window this user sees as `c`: small counts and the cells hidden with them
    (breakdown_disclosure), except the user's own authority's; every cell of an authority kept from them."""
    measure = inequalities.MEASURES[measure_id]
    breakdown = inequalities.stored_breakdown(by)

    def decide() -> pd.DataFrame:  # the same for every reader: kept until the data changes
        stored = inequalities.window_cells(db, indexes)
        return breakdown_disclosure.hidden_quarter_cells(stored[stored["breakdown"] == breakdown], measure_id,
                                                         breakdown)

    quarter_cells = engine.cached(db, f"hidden breakdown cells {measure_id} {breakdown} {indexes}", decide)
    hidden = {cell for cell in breakdown_disclosure.hidden_window_cells(quarter_cells, indexes, by)
              if cell[0] != user.la_code}
    groups = inequalities.groups_for(by) if measure.source == "return" else ()
    return hidden | {(code, group) for code in kept_from for group in groups}


def inequalities_table(db: Database, user: User | None, measure_id: str, by: str, period: str | None = None,
                       for_la: str | None = None, quarter_only: bool = False,
                       audience: str = "network") -> inequalities.InequalityTable:
    """One inequalities measure and breakdown, as this user and audience may see it.

    Network audience: every member authority's groups (counts 1-5, and the cells hidden with them, shown only to
    the authority itself), the network pooled over the cells the reader may see, and for DfE's measures every
    authority in England, its region and England. External audience: the own authority (`for_la`) only, each
    group's judgement in words and no figure at all."""
    user = _require(user)
    if audience not in ("network", "external"):
        raise ValueError("audience must be network or external")
    if for_la is not None:
        _require_visible(db, user, for_la)
    if audience == "external" and for_la is None:
        raise ValueError("An external table is for one authority: give it (--for LA).")
    measure = inequalities.MEASURES.get(measure_id)
    if measure is None:
        raise ValueError(f"Unknown measure {measure_id}: choose one of {', '.join(inequalities.MEASURES)}.")
    # The same for every reader who sees the network as this one does and has the same own authority (whose
    # small cells only it sees): built once per data version, shared across sessions.
    table = _shared(db, user, f"inequalities|{measure_id}|{by}|{period}|{quarter_only}|own:{user.la_code}",
                    lambda: _inequalities_network_table(db, user, measure, by, period, quarter_only))
    if audience == "external":
        return inequality_views.external(table, for_la)
    rows = table.rows
    if for_la is None:
        keep = pd.Series(True, index=rows.index)
    else:
        authority = reference.authorities().get(for_la)
        keep = ((rows["level"] != "authority") | (rows["la_code"] == for_la)) & (
            (rows["level"] != "region") | rows["la_name"].eq(authority.region_name if authority else None))
    # A copy: callers may change what they are given, never what the next reader is given.
    return inequalities.InequalityTable(table.measure, table.by, table.period_label,
                                        rows[keep].reset_index(drop=True), table.notes)


def _inequalities_network_table(db: Database, user: User, measure: inequalities.InequalityMeasure, by: str,
                                period: str | None, quarter_only: bool) -> inequalities.InequalityTable:
    """Every member's groups as this user may see them (inequalities_table before it picks an authority)."""
    kept_from = _breakdowns_kept_from(db, user)
    members = [code for code in engine.network_members(db) if code not in kept_from]
    measure_id = measure.id
    if measure.source == "published":
        table = inequalities.table(db, measure_id, by, period, la_codes=members)
        rows = table.rows
        table = inequalities.InequalityTable(table.measure, table.by, table.period_label,
                                             rows[~rows["la_code"].isin(kept_from)].reset_index(drop=True), table.notes)
    else:
        if period is None:
            raise ValueError("A quarter is needed for a measure from the returns, e.g. --period '2026-27 Q2'.")
        quarter = Period.parse(period)
        indexes = inequalities.window(quarter, quarter_only)
        hidden = _hidden_breakdown_cells(db, user, measure_id, by, indexes, kept_from)
        table = inequalities.table(db, measure_id, by, period, quarter_only, la_codes=members, excluded=hidden)
        table = inequality_views.mask(table, hidden)
    return table


# The pack's inequalities section: each returns measure of the pack's themes by ethnicity, and DfE's three.
PACK_INEQUALITIES = (("sb_reach", "ethnicity"), ("sb_waiting", "ethnicity"), ("adv_late", "ethnicity"),
                     ("pfa_not_assessed", "ethnicity"), ("pfa_no_services", "ethnicity"),
                     ("ehc_requests", "ethnicity"), ("ehc_refused", "sex"), ("ehcp_late", "ethnicity"))
MEASURE_THEMES = {"sb": "short_breaks", "adv": "advice", "pfa": "transitions"}


def _pack_inequalities(db: Database, user: User, request: packs.PackRequest) -> tuple[tuple, tuple]:
    """(pages, disparity items) for a pack, as this user and the pack's audience may see them. External packs
    show the own authority's judgements only, and no disparity item (a sentence quotes figures)."""
    if request.audience == "external" and request.own_la is None:
        return (), ()
    members = list(engine.peer_group(db, request.group, request.own_la, request.period).members)
    pages, tables = [], []
    for measure_id, by in PACK_INEQUALITIES:
        measure = inequalities.MEASURES[measure_id]
        theme = MEASURE_THEMES.get(measure_id.split("_")[0])
        if theme is not None and theme not in request.themes:
            continue
        period = str(request.period) if measure.source == "return" else None
        table = inequalities_table(db, user, measure_id, by, period, request.own_la if request.audience ==
                                   "external" else None, audience=request.audience)
        grid = inequality_views.pack_grid(table, [request.own_la] if request.audience == "external" else members)
        if grid.empty:
            continue
        # A page heading is one line: the measure's short name; its full title and period lead the notes.
        short = measure.title.split(", ")[0].removesuffix(" (DfE)")
        pages.append(packs.InequalityPage(f"Inequalities: {short}", grid,
                                          [f"{measure.title}, {table.period_label}; by {by.replace('_', ' ')}.",
                                           *table.notes]))
        if request.audience == "network" and measure.source == "return":
            tables.append(table)
            tables += [inequalities_table(db, user, measure_id, other, period) for other in
                       ("sex", "age_band", "primary_need") if measure.has_ratio(other)]
    return tuple(pages), tuple(disparity_items(tables))


def inequalities_for_authority(db: Database, user: User | None, la_code: str, period: Period) -> pd.DataFrame:
    """My authority's section: each pack measure's groups judged "higher" or "lower" for one authority (the returns'
    window to `period`, DfE's latest year), as this user may see them."""
    user = _require(user)
    _require_visible(db, user, la_code)
    return _shared(db, user, f"inequalities for|{la_code}|{period}|own:{user.la_code}",
                   lambda: _authority_inequalities(db, user, la_code, period)).copy()


def _authority_inequalities(db: Database, user: User, la_code: str, period: Period) -> pd.DataFrame:
    lines = []
    for measure_id, by in PACK_INEQUALITIES:
        measure = inequalities.MEASURES[measure_id]
        table = inequalities_table(db, user, measure_id, by, str(period) if measure.source == "return" else None,
                                   for_la=la_code)
        own = table.rows[(table.rows["level"] == "authority") & table.rows["judgement"].isin(["higher", "lower"])]
        network = table.rows[table.rows["level"] == "network"].set_index("group")["ratio"]
        for row in own.to_dict("records"):
            line = inequality_views.readable(inequalities.InequalityTable(
                measure, by, table.period_label, pd.DataFrame([row]), ())).iloc[0]
            pooled = network.get(row["group"])
            lines.append({"Measure": measure.title, "Period": table.period_label, "Group": row["group"],
                          "Value (95% interval)": line["Value (95% interval)"],
                          "Ratio (95% interval)": line["Ratio (95% interval)"], "Judgement": line["Judgement"],
                          "Network ratio": f"{pooled:.2f}" if pooled is not None and pooled == pooled else ""})
    return pd.DataFrame(lines, columns=["Measure", "Period", "Group", "Value (95% interval)", "Ratio (95% interval)",
                                        "Judgement", "Network ratio"])


def inspection_list(db: Database, user: User | None, today: dt.date | None = None) -> pd.DataFrame:
    """The network's members by how likely each is to be inspected next (every authority in the inspection
    summary while the network has no members). An authority that shares anonymously is left out for anyone
    who sees it as a letter: a named row beside its inspection would say it is in the network."""
    user = _require(user)
    today = today or dt.date.today()
    members = membership.members_in(db, Period.containing(today)) or membership.members_in(db)
    if not members:
        members = sorted({item.la_code for item in inspections.latest_inspections(db)})
    hidden = hidden_authorities(db, user)
    return inspections.likely_next(db, [code for code in members if code not in hidden], today)


def record_inspection(db: Database, user: User | None, inspection: inspections.Inspection) -> inspections.Inspection:
    return inspections.record_inspection(db, _require(user), inspection)


def load_inspection_summary(db: Database, user: User | None, path: Path) -> int:
    return inspections.load_summary(db, _require(user), path)


def role_matrix(db: Database, user: User | None, period: Period) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The DSCO role self-assessment of the quarter's members, and the count of each answer per item. An
    authority the user sees only as a letter is left out of both: counts over more authorities than the rows
    shown would give its answers away by subtraction."""
    user = _require(user)
    hidden = hidden_authorities(db, user)
    members = [code for code in engine.network_members(db, period) if code not in hidden]
    matrix = role.role_matrix(db, members, period)
    return matrix, role.role_counts(matrix)


def inequality_published_years(db: Database, user: User | None, measure_id: str) -> list[int]:
    """The years DfE publishes an inequalities measure's breakdowns for, oldest first."""
    _require(user)
    return inequalities.published_years(db, inequalities.MEASURES[measure_id])
