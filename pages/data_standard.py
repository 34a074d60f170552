"""The data standard and the metric catalogue, generated from the same definitions as the validator."""

import pandas as pd
import streamlit as st

from benchmark.definitions.breakdowns import BREAKDOWNS
from benchmark.definitions.standard import STANDARD_VERSION, THEMES
from benchmark.intake import templates
from benchmark.outputs import views
from pages import ui

st.title("Data standard")
ui.banner(ui.database())
st.caption(f"Version {STANDARD_VERSION}. The validator, the templates and this page all read the same definitions.")
st.markdown(templates.standard_intro_markdown())
# Static tables wrap their cells, so every description, calculation and definition is read in full.
for theme_id in THEMES:
    st.markdown(templates.theme_heading_markdown(theme_id))
    st.table(views.fields_view(theme_id), hide_index=True)
    st.markdown(templates.theme_rules_markdown(theme_id))
st.markdown(templates.breakdowns_markdown())
for breakdown in BREAKDOWNS.values():
    st.markdown(templates.breakdown_groups_heading(breakdown))
    st.table(pd.DataFrame([{"Group": name, "Codes also accepted": ", ".join(codes)}
                           for name, codes in templates.breakdown_groups(breakdown)]), hide_index=True)
st.write(templates.NIGHTS_NOTE)
st.markdown(templates.limits_markdown())
st.header("Metric catalogue")
st.write(templates.CATALOGUE_INTRO)
for theme_id in THEMES:
    st.subheader(views.theme_heading(theme_id))
    st.table(views.metric_catalogue_view(theme_id), hide_index=True)
