"""The DSCO role self-assessment: members by item, in words, with the count of each answer per item and DfE's
published "DSCO in post" beside the network's own answer. No ranks or bands: the role is set up to suit each
area."""

import streamlit as st

from benchmark import service
from benchmark.access.rights import AccessDenied
from benchmark.definitions.standard import THEMES
from pages import ui

theme = THEMES[service.ROLE_THEME]
db = ui.database()
st.title(theme.title)
st.caption(theme.description)
ui.banner(db)
if ui.no_data(db):
    st.stop()
if service.ROLE_THEME not in service.network_themes(db, ui.current_user()):
    st.info(f"This network does not collect {theme.title.lower()} returns. The chair chooses the themes on the "
            "Administration page.", icon=":material/info:")
    st.stop()
period = ui.period_choice(db)
try:
    matrix, counts = service.role_matrix(db, ui.current_user(), period)
except AccessDenied as problem:
    st.error(str(problem))
    st.stop()
labels = dict(service.role_items())
st.header(f"Answers standing in {period}")
st.caption("Each member's latest answers, from the quarter named under 'Answered' (answered at least once a year; "
           "an answer stands until it is replaced). 'DfE: DSCO in post' is the authority's answer to DfE's SEN2 "
           "return, beside the network's own.")
shown = matrix.drop(columns=["la_code"]).rename(columns={
    "la_name": "Authority", "answered": "Answered", "dfe_dsco_in_post": "DfE: DSCO in post", **labels})
ui.table(shown, "role_matrix")
ui.downloads(shown, "dsco_role_self_assessment", "role")
st.header("How many members gave each answer")
ui.table(counts, "role_counts", name_column="Item", column_config={
    "Item": st.column_config.TextColumn("Item", width=300, pinned=True)})
