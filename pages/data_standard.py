"""The data standard and the metric catalogue, generated from the same definitions as the validator."""

import streamlit as st

from benchmark.intake import templates
from pages import ui

st.title("Data standard")
ui.banner(ui.database())
st.markdown(templates.standard_markdown().split("\n", 2)[2])
