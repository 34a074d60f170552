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
from benchmark.access.rights import AccessDenied, Role, Sharing, User, record, record_all, sharing
from benchmark.analysis import engine, published_measures, tracker
from benchmark.db import Database
from benchmark.intake import returns
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
            for_la: str | None = None) -> pd.DataFrame:
    user = _require(user)
    if for_la is not None:
        _require_visible(db, user, for_la)
    table = engine.compare(db, period, metric_id, group, for_la)
    return _share(table, letters_for(db, user, f"{period}|{metric_id}"))


def series(db: Database, user: User | None, metric_id: str, la_code: str, last: Period) -> pd.DataFrame:
    user = _require(user)
    _require_visible(db, user, la_code)
    return engine.series(db, metric_id, la_code, last)


def scorecard(db: Database, user: User | None, la_code: str, period: Period) -> pd.DataFrame:
    user = _require(user)
    _require_visible(db, user, la_code)
    return views.scorecard_view(db, la_code, period)


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


def validate(db: Database, user: User | None, file_name: str, content: bytes,
             today: dt.date | None = None) -> ValidationReport:
    """Validate a file as this user would store it (a row for another authority is an error)."""
    user = _require(user)
    report = returns.validate_against(db, file_name, content, today)
    if report.ok:
        _permission_check(user)(report)
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

    return returns.store_file(db, file_name, content, user.email, submitted_at=submitted_at, today=today,
                              check=_permission_check(user), audit=audit)


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
    return published_measures.trend(db, published_measures.get_measure(measure_id), la_code)


def published_chart_frame(db: Database, user: User | None, measure_id: str, la_code: str) -> pd.DataFrame:
    """A published series for the chosen authority, its region, England and the network authorities
    the user may see by name (published figures are public, but a letter must not be unmasked)."""
    user = _require(user)
    _require_visible(db, user, la_code)
    named = [code for code in choosable_authorities(db, user) if code != la_code]
    return published_measures.chart_frame(db, published_measures.get_measure(measure_id), [la_code, *named])


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
