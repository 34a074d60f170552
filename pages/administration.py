"""Administration (chair only): people, the network's authorities and themes, the quarterly cycle
(deadlines, chase list, sign-off, withdrawals), sharing, custom peer groups, the audit log and backups."""

import os
from pathlib import Path

import streamlit as st

from benchmark import reference, service
from benchmark.access.rights import AccessDenied, Role, Sharing
from benchmark.definitions.inspections import NEXT_KIND_CHOICES, OUTCOMES
from benchmark.definitions.standard import THEMES
from benchmark.outputs import exports, views
from benchmark.periods import Period
from pages import ui

db = ui.database()
user = ui.current_user()
st.title("Administration")
ui.banner(db)
if user is None or not user.is_chair:
    st.error("Only the network chair can use this page.")
    st.stop()
# Sign-in off (the demo, a local install): every change is disabled, its reason on the button's help.
read_only = not user.may_administer
locked = {"disabled": read_only, "help": "Sign-in is off, so nobody here is the chair: changes need sign-in "
          "configured or the command line on the server." if read_only else None}
if read_only:
    st.info("Sign-in is off, so nobody here is the chair: this page is read-only and its buttons are "
            "disabled. The network changes only with sign-in configured (see the README) or from the command line.",
            icon=":material/lock:")

authorities = sorted(reference.authorities(), key=reference.authority_name)

st.header("Members")
st.caption("People sign in with their council account; the e-mail address they sign in with must be listed here.")
ui.table(views.members_view(service.members(db, user)), "members_table")
with st.form("add_member", clear_on_submit=True):
    email = st.text_input("E-mail address")
    left, right = st.columns(2)
    role = left.selectbox("Role", [role.value for role in Role], format_func=lambda value: Role(value).label)
    la_code = right.selectbox("Authority (not needed for a chair)", [None, *authorities],
                              format_func=lambda code: "-" if code is None else reference.authority_name(code))
    name = st.text_input("Name (optional)")
    if st.form_submit_button("Add or update member", **locked):
        try:
            added = service.add_member(db, user, email, role, la_code, name)
            st.success(f"{added.label} can now sign in.")
        except (AccessDenied, ValueError) as problem:
            st.error(str(problem))
members = service.members(db, user)["email"].tolist()
if members:
    left, right = st.columns([3, 1])
    leaving = left.selectbox("Remove a member", members, key="remove_email")
    if right.button("Remove", key="remove_member", **locked):
        try:
            service.remove_member(db, user, leaving)
            st.success(f"{leaving} removed.")
            st.rerun()
        except (AccessDenied, ValueError) as problem:
            st.error(str(problem))

st.header("Sharing")
st.caption("An authority set to anonymous appears to its peers as a letter; it and the chair still see its name.")
settings = service.sharing_settings(db, user)
network = service.network_authorities(db, user)
left, middle, right = st.columns([2, 2, 1])
chosen = left.selectbox("Authority", network, format_func=reference.authority_name, key="sharing_la")
current = settings.get(chosen, Sharing.NAMED) if chosen else Sharing.NAMED
setting = middle.radio("Peers see it", [value.value for value in Sharing], index=list(Sharing).index(current),
                       horizontal=True, key="sharing_value")
if right.button("Save", key="save_sharing", **locked) and chosen:
    try:
        service.set_sharing(db, user, chosen, setting)
        st.success(f"{reference.authority_name(chosen)} is now shared {setting}.")
    except AccessDenied as problem:
        st.error(str(problem))

st.header("Custom peer groups")
for group_name, codes in service.custom_groups(db, user).items():
    st.write(f"**{group_name}**: {', '.join(reference.authority_name(code) for code in codes)}")
with st.form("add_group", clear_on_submit=True):
    group_name = st.text_input("Group name, e.g. Inner London")
    chosen_members = st.multiselect("Members", network, format_func=reference.authority_name)
    if st.form_submit_button("Save group", **locked):
        try:
            service.save_group(db, user, group_name, chosen_members)
            st.success(f"Saved {group_name}.")
        except (AccessDenied, service.GroupError) as problem:
            st.error(str(problem))

st.header("Network authorities and themes")
st.caption("The authorities in the network, each from the quarter it joined (and until it left). Everything that "
           "expects returns counts these. " + ("Only members may upload." if service.members_are_set(db, user) else
           "Not set yet: any authority may upload, and becomes a member from the first quarter it returns."))
ui.table(views.network_view(service.membership_table(db, user)), "network_table")
quarters = [Period.current().shift(-step) for step in range(-1, 12)]
with st.form("network_add", clear_on_submit=True):
    left, right = st.columns([3, 1])
    joining = left.multiselect("Add authorities", authorities, format_func=reference.authority_name)
    joined = right.selectbox("From quarter", quarters, index=1, format_func=str)
    if st.form_submit_button("Add to the network", **locked):
        try:
            added = service.add_authorities(db, user, joining, joined)
            st.success(f"Added {', '.join(item.name for item in added)} from {joined}.")
        except (AccessDenied, ValueError) as problem:
            st.error(str(problem))
with st.form("network_remove", clear_on_submit=True):
    left, right = st.columns([3, 1])
    leaving_las = left.multiselect("Authorities leaving", service.member_authorities(db, user),
                                   format_func=reference.authority_name)
    left_from = right.selectbox("From quarter", quarters, index=1, format_func=str)
    if st.form_submit_button("Remove from the network", **locked):
        try:
            service.remove_authorities(db, user, leaving_las, left_from)
            st.success(f"They leave from {left_from}; their earlier quarters stay.")
        except (AccessDenied, ValueError) as problem:
            st.error(str(problem))
with st.form("network_themes"):
    collected = st.multiselect("Themes the network collects", list(THEMES),
                               default=list(service.network_themes(db, user)),
                               format_func=lambda key: THEMES[key].title)
    if st.form_submit_button("Save themes", **locked):
        try:
            service.set_themes(db, user, collected)
            st.success("Themes saved.")
        except (AccessDenied, ValueError) as problem:
            st.error(str(problem))

st.header("The quarter: deadline, chase list and sign-off")
periods = sorted({*service.periods_with_data(db, user), Period.current().shift(-1)}, reverse=True)
period = st.selectbox("Quarter", periods, format_func=str, key="cycle_period")
due = service.deadline(db, user, period)
left, right = st.columns(2)
with left.form("deadline_days"):
    days = st.number_input("Returns due this many days after each quarter ends", 0, 366,
                           service.deadline_days(db, user))
    if st.form_submit_button("Save default deadline", **locked):
        try:
            service.set_deadline_days(db, user, int(days))
            st.success(f"Returns are due {int(days)} days after each quarter.")
        except (AccessDenied, ValueError) as problem:
            st.error(str(problem))
with right.form("deadline_date"):
    chosen_date = st.date_input(f"Deadline for {period}", due, min_value=period.end)
    if st.form_submit_button(f"Set the date for {period}", **locked):
        try:
            service.set_deadline(db, user, period, chosen_date)
            st.success(f"{period} returns are due {views.human_date(chosen_date)}.")
        except (AccessDenied, ValueError) as problem:
            st.error(str(problem))
chase = service.chase_list(db, user, period)
st.subheader(f"Chase list: overdue after {views.human_date(due)}")
if chase.empty:
    st.write(f"Nobody is overdue for {period}.")
else:
    # A static table: uploaders and DSCOs wrap in full rather than running off the page.
    st.table(views.chase_view(chase), hide_index=True)
    for record in chase.to_dict("records"):
        if record["mailto"]:
            st.link_button(f"E-mail {record['authority']}", record["mailto"], icon=":material/mail:")
        else:
            st.caption(f"{record['authority']}: no uploader or DSCO in the member list; add one under Members.")
    st.download_button("Download the chase list (CSV)", exports.to_csv_bytes(views.readable(chase)),
                       f"chase_{period.label.replace(' ', '_')}.csv", "text/csv", key="chase_download")
signed = service.signoff_of(db, user, period)
st.subheader("Sign-off")
if signed:
    st.write(f"{period} was signed off on {views.human_time(signed.signed_at)} by {signed.signed_by}: every comparison "
             "and pack shows its returns as they were then.")
    revised = service.revisions_after_signoff(db, user, period)
    if len(revised):
        st.caption(f"{len(revised)} return(s) revised after sign-off (shown only with revised figures).")
    if st.button(f"Reopen {period}", key="reopen", **locked):
        try:
            service.reopen(db, user, period)
            st.rerun()
        except (AccessDenied, ValueError) as problem:
            st.error(str(problem))
else:
    st.write(f"{period} is open: comparisons show the latest returns. Signing off fixes the figures as circulated; "
             f"later resubmissions are kept and listed as revised after sign-off.")
    if st.button(f"Sign off {period}", type="primary", key="signoff", **locked):
        try:
            service.sign_off(db, user, period)
            st.rerun()
        except (AccessDenied, ValueError) as problem:
            st.error(str(problem))

st.header("Withdraw a submission")
st.caption("Takes a stored file out of every comparison: the version before it becomes current again, and the file "
           "stays in the history. Recorded in the audit log.")
submissions = service.history(db, user)
submissions = submissions[submissions["withdrawn_at"].isna()]
if submissions.empty:
    st.write("No submissions to withdraw.")
else:
    with st.form("withdraw"):
        labels = dict(zip(submissions["submission_id"], submissions["file_name"], strict=True))
        withdrawn = st.selectbox("Submission", list(labels), format_func=lambda number: f"{number}: {labels[number]}")
        reason = st.text_input("Reason")
        if st.form_submit_button("Withdraw", **locked):
            try:
                service.withdraw(db, user, int(withdrawn), reason)
                st.success(f"Submission {withdrawn} withdrawn.")
            except (AccessDenied, ValueError) as problem:
                st.error(str(problem))

st.header("Record an area SEND inspection")
st.caption("An inspection the published summary does not have yet (it is refreshed when a newer copy is loaded): "
           "shown on the Area SEND inspections page and recorded in the audit log. Leave a date blank where the "
           "report does not give it.")
with st.form("record_inspection", clear_on_submit=True):
    left, right = st.columns(2)
    inspected = left.selectbox("Authority", authorities, format_func=reference.authority_name)
    outcome = right.selectbox("Outcome", [None, *OUTCOMES.values()], format_func=lambda value: value or "not stated")
    ended = left.date_input("Last day of the inspection", value=None, format="DD/MM/YYYY")
    published_on = right.date_input("Report published", value=None, format="DD/MM/YYYY")
    next_by = left.date_input("Next inspection due by", value=None, format="DD/MM/YYYY")
    next_kind = right.selectbox("Next inspection", [None, *NEXT_KIND_CHOICES],
                                format_func=lambda value: value or "not stated")
    if st.form_submit_button("Record the inspection"):
        try:
            inspection = service.Inspection(inspected, outcome, ended, published_on, next_by, next_kind)
            service.record_inspection(db, user, inspection)
            st.success(f"Inspection of {reference.authority_name(inspected)} recorded.")
        except (AccessDenied, ValueError) as problem:
            st.error(str(problem))

st.header("Audit log")
st.caption("Every stored or superseded return, every pack generated and every membership change. The log can be "
           "read and exported here but never edited.")
log = service.audit_log(db, user)
ui.table(views.audit_view(log), "audit_table", height=420, name_column="Entry", column_config={
    "Entry": st.column_config.NumberColumn("Entry", width=60, pinned=True),
    "When": st.column_config.TextColumn("When", width=140), "Who": st.column_config.TextColumn("Who", width=200),
    "Details": st.column_config.TextColumn("Details", width="large")})
st.download_button("Export the audit log (CSV)", exports.to_csv_bytes(log), "audit_log.csv", "text/csv",
                   key="audit_download")

st.header("Backup")
backup_dir = Path(os.environ.get("DSCO_BACKUP_DIR", str(db.path.parent / "backups")))
st.caption(f"A consistent copy of the database, taken while the dashboard runs, saved under {backup_dir}.")
if st.button("Back up now", key="backup", **locked):
    try:
        st.success(f"Saved {service.backup(db, user, backup_dir)}")
    except AccessDenied as problem:
        st.error(str(problem))
