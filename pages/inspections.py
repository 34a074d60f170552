"""Area SEND inspections: each member's latest outcome and dates, in the order they are likely to be inspected
next (the list London's improvement alliance keeps). The chair records an inspection the summary does not yet
have on the Administration page."""

import streamlit as st

from benchmark import service
from benchmark.access.rights import AccessDenied
from benchmark.definitions.inspections import FOLLOW_UP, SUMMARY_SOURCE
from benchmark.outputs import inspection_views
from pages import ui

db = ui.database()
user = ui.current_user()
st.title("Area SEND inspections")
st.caption("Ofsted and CQC's area SEND inspections under the framework in force from January 2023: each member's "
           "latest outcome, when it was inspected and published, and when the next full or monitoring inspection "
           "is due, in the order the members are likely to be inspected next.")
ui.banner(db)
try:
    table = service.inspection_list(db, user)
except AccessDenied as problem:
    st.error(str(problem))
    st.stop()
view = inspection_views.likely_next_view(table)
passed = int(table["due_passed"].sum()) if len(table) else 0
never = int((view["Outcome"] == inspection_views.NOT_IN_SUMMARY).sum()) if len(view) else 0
st.markdown(f"**{len(view)} members**: {never} with no inspection in the summary (listed first), "
            f"{passed} with the date their next inspection was due already passed (marked *date passed*).")
ui.table(view, "inspections_table", column_config={
    "Order": st.column_config.NumberColumn("Order", width=60),
    "Next inspection": st.column_config.TextColumn("Next inspection", width=260),
    "What follows the outcome": st.column_config.TextColumn("What follows the outcome", width=330)})
ui.downloads(view, "area_send_inspections", "inspections_download")
with st.expander("How the list is ordered, and where the figures come from"):
    st.markdown(
        "Members with no inspection in the summary come first (the summary holds the reports published so far); "
        "then by the date the next inspection is due "
        "(a date already passed first); then, where the report gives no date, by months since the last inspection. "
        "*Not stated* means the summary does not say: no date is ever invented, and `01/01/1900` in the file "
        "means none.\n\n"
        + "\n".join(f"- **{outcome}**: {follow_up}" for outcome, follow_up in FOLLOW_UP.items())
        + f"\n\nSource: {SUMMARY_SOURCE}; inspections the chair records are marked as such in the audit log.")
