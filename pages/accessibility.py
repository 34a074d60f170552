"""Accessibility statement, in the form GOV.UK services use."""

import streamlit as st

from benchmark.outputs import accessibility

st.title("Accessibility statement")
st.write("This statement applies to the DSCO benchmarking dashboard and the meeting packs it builds. We want as "
         "many people as possible to be able to use it. You should be able to:")
st.markdown(
    "- read every page on a 1366 x 768 laptop screen: tables keep the authority's name in view and the full "
    "table is one download away\n"
    "- move through every page, tab, upload and pack download using just a keyboard\n"
    "- read every chart as text: each has a caption stating its main finding and the same figures in a table "
    "one click away (the **Table** tab, or the table under the chart), with CSV and Excel downloads\n"
    "- tell quartile bands apart without colour: each shaded cell also carries its letter A to D"
)

st.header("Compliance status")
st.write(f"This dashboard is partially compliant with the {accessibility.STANDARD}, because of the non-compliances "
         "listed below. They come from the Streamlit framework the dashboard is built on.")

st.header("Non-accessible content")
st.markdown("\n".join(f"- {text} (axe-core rule `{rule}`)" for rule, text in accessibility.STREAMLIT_RULES.items()))
st.write("Charts are drawn as images in the browser: a screen reader reads their caption and the table beside "
         "them, not the marks themselves.")

st.header("Reporting accessibility problems")
st.write(accessibility.REPORT_PROBLEM)

st.header("Enforcement procedure")
st.write(accessibility.ENFORCEMENT)

st.header("How we tested this dashboard")
st.write(f"This dashboard was last tested on {accessibility.LAST_TESTED}: every page and tab, on the demo network "
         "and on an empty database, in Chromium at 1366 x 768, with the axe-core checks for every WCAG 2.0, 2.1 "
         "and 2.2 level A and AA rule, a keyboard-only walk through the upload and the meeting pack, and a check "
         "that no page asks any server other than the dashboard's own for anything (fonts, icons and the page icon "
         "ship with the app).")
