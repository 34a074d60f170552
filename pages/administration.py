"""Administration (chair only): members, sharing, custom peer groups, the audit log and backups."""

import os
from pathlib import Path

import streamlit as st

from benchmark import reference
from benchmark.access import rights
from benchmark.access.rights import AccessDenied, Role, Sharing
from benchmark.analysis import engine, groups
from benchmark.analysis.groups import GroupError
from benchmark.outputs import exports, views
from pages import ui

db = ui.database()
user = ui.current_user()
st.title("Administration")
ui.banner(db)
if user is None or not user.is_chair:
    st.error("Only the network chair can use this page.")
    st.stop()

authorities = sorted(reference.authorities(), key=reference.authority_name)

st.header("Members")
st.caption("People sign in with their council account; the e-mail address they sign in with must be listed here.")
ui.table(views.members_view(rights.members(db)), "members_table")
with st.form("add_member", clear_on_submit=True):
    email = st.text_input("E-mail address")
    left, right = st.columns(2)
    role = left.selectbox("Role", [role.value for role in Role], format_func=lambda value: Role(value).label)
    la_code = right.selectbox("Authority (not needed for a chair)", [None, *authorities],
                              format_func=lambda code: "-" if code is None else reference.authority_name(code))
    name = st.text_input("Name (optional)")
    if st.form_submit_button("Add or update member"):
        try:
            added = rights.add_member(db, user, email, role, la_code, name)
            st.success(f"{added.label} can now sign in.")
        except (AccessDenied, ValueError) as problem:
            st.error(str(problem))
members = rights.members(db)["email"].tolist()
if members:
    left, right = st.columns([3, 1])
    leaving = left.selectbox("Remove a member", members, key="remove_email")
    if right.button("Remove", key="remove_member"):
        try:
            rights.remove_member(db, user, leaving)
            st.success(f"{leaving} removed.")
            st.rerun()
        except (AccessDenied, ValueError) as problem:
            st.error(str(problem))

st.header("Sharing")
st.caption("An authority set to anonymous appears to its peers as a letter; it and the chair still see its name.")
settings = rights.sharing(db)
network = engine.network_members(db)
left, middle, right = st.columns([2, 2, 1])
chosen = left.selectbox("Authority", network, format_func=reference.authority_name, key="sharing_la")
current = settings.get(chosen, Sharing.NAMED) if chosen else Sharing.NAMED
setting = middle.radio("Peers see it", [value.value for value in Sharing], index=list(Sharing).index(current),
                       horizontal=True, key="sharing_value")
if right.button("Save", key="save_sharing") and chosen:
    rights.set_sharing(db, user, chosen, setting)
    st.success(f"{reference.authority_name(chosen)} is now shared {setting}.")

st.header("Custom peer groups")
for group_name, codes in groups.custom_groups(db).items():
    st.write(f"**{group_name}**: {', '.join(reference.authority_name(code) for code in codes)}")
with st.form("add_group", clear_on_submit=True):
    group_name = st.text_input("Group name, e.g. Inner London")
    chosen_members = st.multiselect("Members", network, format_func=reference.authority_name)
    if st.form_submit_button("Save group"):
        try:
            groups.save_group(db, group_name, chosen_members)
            st.success(f"Saved {group_name}.")
        except GroupError as problem:
            st.error(str(problem))

st.header("Audit log")
st.caption("Every stored or superseded return, every pack generated and every membership change. The log can be "
           "read and exported here but never edited.")
log = rights.audit_log(db, user)
ui.table(views.audit_view(log), "audit_table", height=420, name_column="Entry", column_config={
    "Entry": st.column_config.NumberColumn("Entry", width=60, pinned=True),
    "When": st.column_config.TextColumn("When", width=140), "Who": st.column_config.TextColumn("Who", width=200),
    "Details": st.column_config.TextColumn("Details", width="large")})
st.download_button("Export the audit log (CSV)", exports.to_csv_bytes(log), "audit_log.csv", "text/csv",
                   key="audit_download")

st.header("Backup")
backup_dir = Path(os.environ.get("DSCO_BACKUP_DIR", str(db.path.parent / "backups")))
st.caption(f"A consistent copy of the database, taken while the dashboard runs, saved under {backup_dir}.")
if st.button("Back up now", key="backup"):
    target = db.backup(backup_dir)
    with db.transaction(changes_data=False) as cursor:
        rights.record(cursor, user, "backup taken", detail={"file": str(target)})
    st.success(f"Saved {target}")
