"""Inequalities: who the services reach and how quickly, by ethnicity, sex, age band and primary need."""

import dataclasses

import pandas as pd
import streamlit as st

from benchmark import reference, service
from benchmark.access.rights import AccessDenied
from benchmark.definitions.breakdowns import BREAKDOWNS
from benchmark.outputs import charts, inequality_views
from pages import ui

BY_LABELS = {"ethnicity": "Ethnicity (5 major groups)", "ethnicity_detail": "Ethnicity (DfE's 19 categories)",
             "sex": BREAKDOWNS["sex"].title, "age_band": BREAKDOWNS["age_band"].title,
             "primary_need": BREAKDOWNS["primary_need"].title}

def readable_table(rows: service.InequalityTable, key: str, chosen: str) -> None:
    frame = inequality_views.readable(rows)
    if not frame.empty and not frame["Why too few"].astype(bool).any():
        frame = frame.drop(columns=["Why too few"])
    # Columns sized from their content (ui.fit_columns): the judgement reads in full, and a long reason gives
    # way first at 1366 px.
    ui.table(frame, key, chosen=chosen, name_column="Authority")


db = ui.database()
st.title("Inequalities")
ui.banner(db)
st.caption("Does each group of disabled children receive the service in proportion to the children who live there, "
           "and does it get the same timeliness once in the service? Measures from the network's breakdowns, and "
           "from DfE's published files for every authority in England.")
user = ui.current_user()
left, middle, right = st.columns(3)
with left:
    measure_id = ui.url_choice("Measure", list(service.INEQUALITY_MEASURES), "measure", "ehc_requests",
                               format_func=lambda item: service.INEQUALITY_MEASURES[item].title)
measure = service.INEQUALITY_MEASURES[measure_id]
with middle:
    by = ui.url_choice("Breakdown", list(measure.breakdowns()), "by", "ethnicity",
                       format_func=lambda item: BY_LABELS[item])
with right:
    la_code = ui.authority_choice(db)
period, quarter_only = None, False
if measure.source == "return":
    period_left, period_right = st.columns([2, 1])
    with period_left:
        quarter = ui.period_choice(db)
    with period_right:
        quarter_only = st.toggle("One quarter only", key="quarter_only",
                                 help="By default the counts of the four quarters to the chosen one are summed: a "
                                      "quarter's breakdown counts are small.")
    period = str(quarter) if quarter else None
else:
    years = service.inequality_published_years(db, user, measure_id)
    if years:
        period = str(ui.url_choice("DfE's year", [str(year) for year in reversed(years)], "year"))

if la_code is None or (measure.source == "return" and period is None):
    st.info("No authority or quarter to show yet: store a return on the Upload page first.", icon=":material/info:")
    st.page_link("pages/upload.py", label="Go to Upload", icon=":material/upload:")
    st.stop()
la_name = reference.authority_name(la_code)
try:
    table = service.inequalities_table(db, user, measure_id, by, period, quarter_only=quarter_only)
except (ValueError, AccessDenied) as error:
    st.info(str(error), icon=":material/info:")
    st.stop()

members = service.choosable_authorities(db, user)
rows = table.rows
own = rows[(rows["level"] == "authority") & (rows["la_code"] == la_code)]
if own.empty:
    st.info(f"{la_name} has no breakdown for {table.period_label}." if measure.source == "return" else
            f"DfE publishes no breakdown for {la_name} in {table.period_label}.", icon=":material/info:")
region = reference.authorities().get(la_code)
beside = rows[(rows["level"] == "network") | (rows["level"] == "england")
              | ((rows["level"] == "region") & rows["la_name"].eq(region.region_name if region else None))]
shown = dataclasses.replace(table, rows=pd.concat([own, beside]))

st.header(f"{la_name}, {table.period_label}")
adverse = f" The ratio is of the adverse outcome ({measure.adverse})." if measure.kind == "risk" else ""
unit = "per 10,000 children of the group" if measure.kind == "rate" else "%"
st.caption(f"{measure.title}. Value: {unit}, with its 95% interval; 'Others': the same for all other "
           f"children of the authority (the unknown group left out).{adverse}")
readable_table(shown, "inequalities_own", la_name)
unknown = own[~own["known"].fillna(True).astype(bool)]
for row in unknown.to_dict("records"):
    if row["share"] == row["share"]:
        st.caption(f"{row['group']}: {row['share']:.1f}% of {la_name}'s count, left out of every ratio; the larger "
                   "it is, the less complete the recording.")

if table.has_ratio and not own.empty:
    figure = charts.ratio_chart(shown.rows[shown.rows["known"].fillna(True).astype(bool)],
                                f"{measure.title.split(', ')[0]}: ratio against all other children, {la_name}",
                                "Ratio (log scale); 1 = no difference")
    st.plotly_chart(figure, key="ratio_chart", theme=None)
    st.caption("Each marker is a ratio with its 95% interval (Katz); the dashed line at 1 means no difference. "
               "Circle: the authority; diamond: the network pooled; triangle: the region; square: England. A hollow "
               "marker is 'too few to compare'.")

st.header("Every member authority by group")
grid = inequality_views.judgement_grid(table, members)
if grid.empty:
    st.info("No member authority has this breakdown for the period.", icon=":material/info:")
else:
    ui.table(grid, "inequalities_grid", chosen=la_name, name_column="Authority")
    st.caption("▲ higher, ▼ lower: the 95% interval of the ratio excludes 1. ● no clear difference. ○ too few to "
               "compare. c: hidden (a count of 1-5, or a cell that would give one back).")

st.header("Composition")
composition = inequality_views.composition_view(table, la_code)
if not composition.empty:
    ui.table(composition, "inequalities_composition")
for note in table.notes:
    st.caption(note)
ui.downloads(inequality_views.readable(table), f"inequalities_{measure_id}_{by}", "inequalities")
