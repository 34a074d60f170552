"""The data standard and the metric catalogue, generated from the same definitions as the validator."""

import pandas as pd
import streamlit as st

from benchmark import service
from benchmark.definitions.breakdowns import BREAKDOWNS
from benchmark.definitions.standard import STANDARD_VERSION, THEMES
from benchmark.outputs import views
from pages import ui

st.title("Data standard")
ui.banner(ui.database())
st.caption(f"Version {STANDARD_VERSION}. The validator, the templates and this page all read the same definitions.")
st.markdown(service.data_standard_markdown("intro"))
# Static tables wrap their cells, so every description, calculation and definition is read in full.
for theme_id in THEMES:
    st.markdown(service.data_standard_markdown("heading", theme_id))
    st.table(views.fields_view(theme_id), hide_index=True)
    st.markdown(service.data_standard_markdown("rules", theme_id))
st.markdown(service.data_standard_markdown("breakdowns"))
for breakdown in BREAKDOWNS.values():
    st.markdown(service.breakdown_groups_heading(breakdown))
    st.table(pd.DataFrame([{"Group": name, "Codes also accepted": ", ".join(codes)}
                           for name, codes in service.breakdown_groups(breakdown)]), hide_index=True)
st.write(service.NIGHTS_NOTE)
st.markdown(service.data_standard_markdown("limits"))
st.header("Metric catalogue")
st.write(service.CATALOGUE_INTRO)
for theme_id in THEMES:
    st.subheader(views.theme_heading(theme_id))
    st.table(views.metric_catalogue_view(theme_id), hide_index=True)
