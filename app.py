"""DSCO benchmarking dashboard: the Streamlit entry point (pages only lay out and call benchmark/)."""

import streamlit as st

from benchmark.db import open_database
from benchmark.demo import SYNTHETIC_LABEL, is_demo
from benchmark.returns import history

st.set_page_config(page_title="DSCO benchmarking", layout="wide")
st.title("DSCO network benchmarking")
database = open_database()
if is_demo(database):
    st.info(SYNTHETIC_LABEL)
submissions = history(database)
if submissions.empty:
    st.write("No returns stored yet: load the demo with `python -m benchmark demo` or upload a return.")
else:
    st.dataframe(submissions.drop(columns=["sha256"]), hide_index=True)
