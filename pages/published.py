"""Published context: every catalogued DfE measure for the network's authorities, beside region and England."""

import streamlit as st

from benchmark import reference, service
from benchmark.definitions import published_catalogue
from benchmark.outputs import charts
from pages import context_ui, ui

db = ui.database()
st.title("Published context")
st.caption("DfE's own statistics about disabled children: children in need, children looked after through short "
           f"breaks, EHC plans and NEET at 16-17. {published_catalogue.OGL}")
user = ui.current_user()
if not service.published_loaded(db):
    st.info("No published statistics are loaded. Load DfE's files with "
            "`python -m benchmark published load data/published/*.csv`.", icon=":material/info:")
elif not ui.no_data(db):
    members = service.choosable_authorities(db, user)
    left, right = st.columns(2)
    with left:
        key = ui.url_choice("Published measure", [measure.id for measure in published_catalogue.CATALOGUE], "series",
                            "ehcp_20wk_excl_pct", format_func=lambda item: published_catalogue.MEASURES[item].name)
    with right:
        la_code = ui.authority_choice(db)
    measure = published_catalogue.MEASURES[key]
    la_name = reference.authority_name(la_code)
    frame = service.published_chart_frame(db, user, key, la_code)
    if frame.empty:
        st.info(f"No file for this measure is loaded ({measure.source}).", icon=":material/info:")
    else:
        # A count's England and region totals dwarf any authority: they stay in the table, not the chart.
        counted = measure.unit == "children"
        drawn = frame[frame["level"] == "Local authority"] if counted else frame
        where = "the network's authorities" if counted else "region and England"
        st.plotly_chart(charts.context_chart(drawn, la_name, f"{measure.name}: {la_name}, {where}",
                                             axis_x="Year",
                                             axis_y=measure.unit, decimals=measure.decimals),
                        key="context_chart", theme=None)
        lines = ("England and the region, whose counts are off this scale, are in the table below" if counted
                 else "England is dashed, the region dotted")
        st.caption(f"{measure.definition} {measure.caveat} Latest period: {measure.when(frame['year'].max())}. "
                   f"{la_name} is dark blue and the other network authorities are the thin grey lines; {lines}. "
                   "Years where DfE suppressed or did not publish a figure are gaps (the symbol in the table).")
        table = frame.pivot_table(index="geography", columns="year", values="shown", aggfunc="first").reset_index()
        table.columns = [str(column) for column in table.columns]
        ui.table(table.rename(columns={"geography": "Area"}), "context_table", chosen=la_name, name_column="Area")
        ui.downloads(table, f"published_{key}", "context")

        st.header(f"{la_name} by year, LAIT style")
        by_year = service.published_by_year(db, user, key, la_code)
        by_year = by_year.drop(columns=["Measure"]).rename(columns=context_ui.SHORT_HEADINGS)
        neutral = measure.polarity.value == "neutral"
        ui.table(by_year.style.map(lambda band: charts.band_style(band, neutral), subset=["Band"]), "context_trend")
        st.caption(f"{measure.polarity.label.capitalize()}. Rank of every authority in England that reported; band A "
                   "is the best quarter for the polarity (neutral: highest values, no judgement). Source: "
                   f"{measure.publication}, file {measure.source}, column {measure.indicator}.")

    dsco = service.dsco_in_post(db, user)
    if not dsco.empty:
        st.header("Designated Social Care Officer in post")
        latest = dsco[dsco["year"] == dsco["year"].max()]
        in_network = latest[latest["old_la_code"].isin(members)]
        counts = latest["dsco_in_post"].value_counts(dropna=False)
        st.metric(f"England, {int(latest['year'].max())}: authorities with a DSCO in post",
                  f"{int(counts.get(True, 0))} of {len(latest)}")
        ui.table(in_network[["la_name", "status"]].rename(columns={"la_name": "Authority", "status": "DSCO in post"}),
                 "dsco_table", chosen=la_name)
    if service.demo_network(db):
        # Every figure above is DfE's real published data: only the list of authorities comes from the demo.
        st.caption("Demo network: the authorities to choose from are the synthetic demo network's; every figure on "
                   "this page is DfE's real published data.")
