"""Layout helpers shared by the pages: URL-backed choices, banners, downloads, empty states.

Only widgets live here; every figure, table and rule comes from benchmark/.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd
import streamlit as st

from benchmark import reference, service
from benchmark.access.network import SYNTHETIC_LABEL, is_demo
from benchmark.access.rights import AccessDenied, User
from benchmark.analysis import cycle, engine
from benchmark.db import Database, open_database
from benchmark.intake import commentary as commentary_text
from benchmark.outputs import exports
from benchmark.periods import Period


def database() -> Database:
    return open_database()


def current_user() -> User | None:
    """The acting user app.py settled for this run (None: nobody may see data)."""
    return st.session_state.get("acting_user")


def banner(db: Database) -> None:
    """Every page says when it shows the synthetic demo network."""
    if is_demo(db):
        st.warning(f"**Demo network.** {SYNTHETIC_LABEL}", icon=":material/science:")


def url_choice(label: str, options: Sequence[str], key: str, default: str | None = None,
               format_func: Callable[[str], str] = str, help_text: str | None = None) -> str | None:
    """A selectbox whose choice lives in the URL, so a link reopens exactly this view."""
    options = list(options)
    if not options:
        return None
    wanted = st.query_params.get(key, default)
    index = options.index(wanted) if wanted in options else (options.index(default) if default in options else 0)
    choice = st.selectbox(label, options, index=index, format_func=format_func, key=f"select_{key}",
                          help=help_text)
    st.query_params[key] = choice
    return choice


def period_choice(db: Database, key: str = "period") -> Period | None:
    """Quarters with returns, newest first (the default), and the quarters since that the network
    is waiting for (up to the current one), so a quarter with no returns yet can be opened too."""
    with_data = engine.periods_with_data(db)
    waiting = [period for period in (Period.current().shift(-1), Period.current())
               if engine.network_members(db, period) and (not with_data or period > with_data[-1])]
    periods = [period.label for period in [*with_data, *waiting]]
    default = with_data[-1].label if with_data else (periods[0] if periods else None)
    chosen = url_choice("Quarter", periods[::-1], key, default,
                        help_text="Financial-year quarter: Q1 is April-June.")
    return Period.parse(chosen) if chosen else None


def authority_choice(db: Database, key: str = "la", label: str = "Authority") -> str | None:
    """Authorities the user may choose by name; its own authority first."""
    user = current_user()
    members = sorted(service.choosable_authorities(db, user), key=reference.authority_name)
    if user is not None and user.la_code in members:
        members.remove(user.la_code)
        members.insert(0, user.la_code)
    return url_choice(label, members, key, members[0] if members else None, format_func=reference.authority_name)


def no_data(db: Database) -> bool:
    """True (after saying what to do next) when nothing has been stored yet."""
    if engine.network_members(db):
        return False
    st.info(
        "No returns have been stored yet. Upload your authority's quarterly return on the **Upload** page, "
        "or load the synthetic demo network with `python -m benchmark demo`.",
        icon=":material/upload_file:",
    )
    st.page_link("pages/upload.py", label="Go to Upload", icon=":material/upload:")
    return True


def downloads(frame: pd.DataFrame, stem: str, key: str) -> None:
    """The table behind a view as CSV and .xlsx (formula-safe, numbers as numbers). The files are
    built when a button is clicked, not on every rerun: the Excel file alone costs a quarter of a
    second at national scale."""
    left, right = st.columns(2)
    left.download_button("Download CSV", lambda: exports.to_csv_bytes(frame), f"{stem}.csv", "text/csv",
                         key=f"csv_{key}", icon=":material/download:", on_click="ignore")
    right.download_button("Download Excel", lambda: exports.to_xlsx_bytes({stem[:31]: frame}), f"{stem}.xlsx",
                          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                          key=f"xlsx_{key}", icon=":material/download:", on_click="ignore")


def cycle_caption(db: Database, period: Period, summary: dict) -> str:
    """The quarter's deadline, how many are overdue or late, and whether it is signed off."""
    signed = cycle.signoff(db, period)
    state = (f"Signed off {signed.signed_at:%d %b %Y}: figures as circulated" if signed else "Not signed off yet")
    revised = summary.get("revised_after_signoff", 0)
    return (f"Returns due {summary['deadline']:%d %b %Y}: {summary['overdue']} overdue, {summary['returned_late']} "
            f"returned late. {state}" + (f"; {revised} return(s) revised after sign-off." if revised else "."))


def revised_toggle(db: Database, period: Period | None) -> bool:
    """On a signed-off quarter, a switch to show the returns revised after sign-off instead of the
    figures as circulated (kept in the URL); elsewhere there is nothing to switch."""
    if period is None or cycle.signoff(db, period) is None:
        return False
    return st.toggle("Show revised figures", value=False, key="revised", bind="query-params",
                     help=f"{period} is signed off: figures are as circulated at sign-off. Switch on to see the "
                          "returns revised since.")


def commentary(db: Database, user: User | None, la_code: str | None, period: Period | None,
               subjects: Sequence[str], key: str) -> None:
    """An authority's commentary on these metrics or themes for the quarter, shown as plain text
    (never Markdown or HTML: it is what a member typed), with an editor for those who may write it."""
    if user is None or la_code is None or period is None:
        return
    notes = service.commentary_for(db, user, la_code, period)
    la_name = reference.authority_name(la_code)
    if st.session_state.pop(f"commentary_saved_{key}", False):
        st.success("Commentary saved: it shows beside the figure here and in network packs.")
    for subject in subjects:
        if notes.get(subject):
            st.caption(f"{la_name}'s commentary on {commentary_text.subject_name(subject)}, {period}:")
            st.text(notes[subject])
    if not service.may_comment(user, la_code):
        return
    with (st.expander(f"Write {la_name}'s commentary for {period}", icon=":material/edit_note:"),
          st.form(f"commentary_{key}")):
        subject = st.selectbox("On", list(subjects), format_func=commentary_text.subject_name,
                               key=f"commentary_subject_{key}")
        text = st.text_area(f"Commentary (at most {commentary_text.MAX_CHARS:,} characters; empty to withdraw)",
                            value=notes.get(subjects[0], ""), max_chars=commentary_text.MAX_CHARS,
                            key=f"commentary_text_{key}_{la_code}_{period.index}")
        if st.form_submit_button("Save commentary"):
            try:
                service.write_commentary(db, user, la_code, period, subject, text)
                st.session_state[f"commentary_saved_{key}"] = True
                st.rerun()
            except (AccessDenied, ValueError) as problem:
                st.error(str(problem))
