"""Everything a page or a command does, on behalf of an acting user.

Each function checks what the user may do (benchmark.access.rights) before calling the engine, and
applies each authority's sharing setting to what comes back: an authority set to anonymous is a
letter to its peers and named to itself and the chair. Pages and the command line call only this.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import pandas as pd

from benchmark import reference
from benchmark.access import membership
from benchmark.access.rights import AccessDenied, Role, Sharing, User, record, record_all, sharing
from benchmark.analysis import cycle, engine, tracker
from benchmark.db import Database
from benchmark.intake import commentary, returns
from benchmark.intake.standard import THEMES
from benchmark.intake.validation import Problem, ValidationReport
from benchmark.outputs import exports, pack_render, packs, views
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
    names = exports.letter_names([reference.authority_name(code) for code in hidden], None, seed)
    return {code: names[reference.authority_name(code)] for code in hidden}


def _share(frame: pd.DataFrame, letters: dict[str, str], name_column: str = "la_name") -> pd.DataFrame:
    if not letters or frame.empty:
        return frame
    out = frame.copy()
    hidden = out["la_code"].isin(letters)
    out.loc[hidden, name_column] = out.loc[hidden, "la_code"].map(letters)
    out.loc[hidden, "la_code"] = ""
    if "sn_closeness" in out:
        out["sn_closeness"] = exports.mask_names(out["sn_closeness"], {
            reference.authority_name(code): letter for code, letter in letters.items()})
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
    return _share(table, letters_for(db, user, f"{period}|{metric_id}"))


def series(db: Database, user: User | None, metric_id: str, la_code: str, last: Period,
           revised: bool = False) -> pd.DataFrame:
    user = _require(user)
    _require_visible(db, user, la_code)
    return engine.series(db, metric_id, la_code, last, revised=revised)


def scorecard(db: Database, user: User | None, la_code: str, period: Period, revised: bool = False) -> pd.DataFrame:
    user = _require(user)
    _require_visible(db, user, la_code)
    return views.scorecard_view(db, la_code, period, revised=revised)


def rug(db: Database, user: User | None, period: Period) -> tuple[pd.DataFrame, pd.DataFrame]:
    user = _require(user)
    values, bands = views.rug(db, period)
    letters = {reference.authority_name(code): name for code, name in letters_for(db, user, str(period)).items()}
    if letters:
        values = values.rename(index=letters).sort_index()
        bands = bands.rename(index=letters).reindex(values.index)
    return values, bands


def tracker_grid(db: Database, user: User | None, period: Period) -> pd.DataFrame:
    user = _require(user)
    return _share(tracker.tracker_grid(db, period), letters_for(db, user, str(period))).sort_values(
        "la_name").reset_index(drop=True)


def completeness(db: Database, user: User | None, period: Period) -> dict:
    _require(user)
    summary = tracker.completeness(db, period)
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
    """The exact file a submission stored, for those who may see that submission."""
    if submission_id not in set(history(db, user)["submission_id"]):
        raise AccessDenied("That submission is not one you can see.")
    return returns.original_file(db, submission_id)


def _permission_check(user: User) -> returns.ReportCheck:
    def check(report: ValidationReport) -> None:
        refused = [row for row in report.rows if not user.may_store(row.la_code)]
        if not refused:
            return
        for row in refused:
            if user.role is Role.UPLOADER:
                reason = (f"you may only store returns for {reference.authority_name(user.la_code)}, "
                          f"not for {reference.authority_name(row.la_code)}")
            else:
                reason = (f"as a {user.role.label} you can compare but not store returns: your authority's "
                          "uploader or the network chair stores them")
            report.errors.append(Problem(row.file_row, "la_code", row.la_code, reason))
        report.rows.clear()
        report.warnings.clear()  # they quote another authority's stored figures
    return check


def _membership_check(db: Database, user: User) -> returns.ReportCheck:
    """After the user's own rights: a row for an authority outside the network (once the chair has
    set the members) or for a theme the network does not collect stores nothing."""
    permission = _permission_check(user)

    def check(report: ValidationReport) -> None:
        permission(report)
        if not report.rows or report.theme not in THEMES:
            return
        theme = membership.theme_refusal(db, report.theme)
        reasons = membership.refusals(db, [(row.la_code, row.period) for row in report.rows])
        refused = [(row, reason) for row, reason in zip(report.rows, reasons, strict=True) if reason]
        if not (theme or refused):
            return
        if theme:
            report.errors.append(Problem(1, None, None, theme))
        report.errors.extend(Problem(row.file_row, "la_code", row.la_code, reason) for row, reason in refused)
        report.rows.clear()
        report.warnings.clear()
    return check


def validate(db: Database, user: User | None, file_name: str, content: bytes,
             today: dt.date | None = None) -> ValidationReport:
    """Validate a file as this user would store it (a row for another authority, or for an
    authority outside the network, is an error)."""
    user = _require(user)
    report = returns.validate_against(db, file_name, content, today)
    if report.ok:
        _membership_check(db, user)(report)
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
                              check=_membership_check(db, user), audit=audit)


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


def withdraw(db: Database, user: User | None, submission_id: int, reason: str = "") -> None:
    """The chair takes a stored submission out of every comparison (audited): the version before
    it becomes current again and its bytes stay in the history. A signed-off quarter keeps its
    figures as at sign-off and lists the change as revised after sign-off."""
    user = _require(user)
    if not user.is_chair:
        raise AccessDenied("Only the network chair can withdraw a submission.")

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
