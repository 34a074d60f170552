"""Everything a page or a command does, on behalf of an acting user.

Each function checks what the user may do (benchmark.access.rights) before calling the engine, and
applies each authority's sharing setting to what comes back: an authority set to anonymous is a
letter to its peers and named to itself and the chair. Pages and the command line call only this.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from benchmark import reference
from benchmark.access import membership
from benchmark.access.network import is_demo
from benchmark.access.rights import AccessDenied, Role, Sharing, User, record, record_all, require_chair, sharing
from benchmark.analysis import cycle, engine, groups, published_measures, summary, tracker
from benchmark.db import Database
from benchmark.definitions import published_catalogue
from benchmark.definitions.metrics import METRICS
from benchmark.definitions.standard import columns
from benchmark.intake import commentary, returns
from benchmark.intake.validation import ParsedRow, Problem, ValidationReport, sentence
from benchmark.outputs import disclosure, exports, pack_render, packs, views
from benchmark.periods import Period


def _require(user: User | None) -> User:
    if user is None:
        raise AccessDenied("Sign in as a member of the network to see its figures.")
    return user


def hidden_authorities(db: Database, user: User) -> frozenset[str]:
    """Authorities this user sees only as letters: those set to anonymous, except its own."""
    return frozenset(code for code, setting in sharing(db).items()
                     if setting is Sharing.ANONYMOUS and not user.sees_name_of(code))


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
    table = engine.compare(db, period, metric_id, group, for_la, revised=revised)
    hidden = hidden_authorities(db, user)
    table = exports.shield_anonymous(table, METRICS[metric_id], hidden,
                                     exports.hidden_reporting(db, hidden, metric_id, period.index))
    return _share(table, letters_for(db, user, f"{period}|{metric_id}"))


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
    card = views.scorecard_view(db, la_code, period, revised=revised)
    return exports.shield_scorecard(db, card, la_code, period.index, hidden_authorities(db, user))


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
    grid = tracker.tracker_grid(db, period)
    grid = grid[~grid["la_code"].isin(_lone_tracker_letter(db, user, period))]
    return _share(grid, letters_for(db, user, str(period))).sort_values(
        "la_name", key=exports.name_order).reset_index(drop=True)


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
    """The exact file a submission stored, for those who may see that submission. A file that also
    holds other authorities' rows (a chair's collated file) gives a member only its own rows, as CSV:
    the rest would show an anonymous authority's figures under its name."""
    user = _require(user)
    if submission_id not in set(history(db, user)["submission_id"]):
        raise AccessDenied("That submission is not one you can see.")
    name, content = returns.original_file(db, submission_id)
    others = db.scalar("SELECT count(*) FROM return_rows WHERE submission_id = ? AND la_code <> ?",
                       [submission_id, user.la_code])
    if user.is_chair or not others:
        return name, content
    return f"{Path(name).stem}-{user.la_code}-own-rows.csv", _own_rows_csv(db, submission_id, user.la_code)


def _own_rows_csv(db: Database, submission_id: int, la_code: str) -> bytes:
    """One authority's rows of a stored submission, in the data standard's columns, as stored."""
    theme = db.scalar("SELECT theme FROM submissions WHERE submission_id = ?", [submission_id])
    rows = db.frame("SELECT period_index, period, notes FROM return_rows WHERE submission_id = ? AND la_code = ? "
                    "ORDER BY period_index", [submission_id, la_code])
    values = db.frame("SELECT period_index, field, value, date_value FROM return_values "
                      "WHERE submission_id = ? AND la_code = ?", [submission_id, la_code])
    records = []
    for row in rows.itertuples():
        record = {"la_code": la_code, "period": row.period, "notes": row.notes or ""}
        for value in values[values["period_index"] == row.period_index].itertuples():
            if pd.notna(value.date_value):
                record[value.field] = pd.Timestamp(value.date_value).date().isoformat()
            elif pd.notna(value.value):
                record[value.field] = str(int(value.value)) if float(value.value).is_integer() else str(value.value)
        records.append(record)
    return exports.to_csv_bytes(pd.DataFrame(records, columns=[spec.name for spec in columns(theme)]))


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
    report = returns.validate_against(db, file_name, content, today)
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
                              check=_store_check(db, user), audit=audit)


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
    return packs.build_pack(db, request, hidden=hidden_authorities(db, user))


def render_pack(db: Database, user: User | None, pack: packs.Pack, fmt: str,
                progress: pack_render.Progress | None = None) -> bytes:
    """The pack as a file; every pack generated is recorded in the audit log."""
    user = _require(user)
    content = pack_render.render(pack, fmt, progress)
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
    return summary.network_summary(db, period, names=letters_for(db, user, str(period)),
                                   leave_out=hidden_authorities(db, user))


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
    frame, label = published_measures.reach_vs_cin(db, period)
    hidden = hidden_authorities(db, user)
    if hidden & set(frame["la_code"]):
        label += (f" {int(frame['la_code'].isin(hidden).sum())} authority(ies) sharing anonymously are not listed: "
                  "their published figure would name them.")
    return frame[~frame["la_code"].isin(hidden)].reset_index(drop=True), label
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
    return user is not None and (user.is_chair or (user.la_code == la_code and user.role in (Role.DSCO,
                                                                                              Role.UPLOADER)))


def write_commentary(db: Database, user: User | None, la_code: str, period: Period, subject: str,
                     text: str) -> str:
    """Store a new version of an authority's commentary on a metric or theme (empty text withdraws
    it); returns the text as stored. Audited."""
    user = _require(user)
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
    frame = commentary.current(db, period, [la_code])
    return dict(zip(frame["subject"], frame["text"], strict=True))


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
