"""Published context: DfE's own statistics for the network's authorities, beside region and England."""

import streamlit as st

from benchmark import reference, service
from benchmark.access.network import is_demo
from benchmark.analysis import published
from benchmark.outputs import charts
from pages import ui

db = ui.database()
st.title("Published context")
st.caption("DfE, Education, health and care plans (June 2025 release). Contains public sector information licensed "
           "under the Open Government Licence v3.0.")
# No demo banner here: the figures on this page are DfE's real published statistics, not the synthetic network.
if is_demo(db):
    st.caption("Demo mode: the network's returns are synthetic, but every figure on this page is DfE's own.")
members = service.choosable_authorities(db, ui.current_user())
if not db.scalar("SELECT count(*) FROM published"):
    st.info("No published statistics are loaded. Load DfE's files with "
            "`python -m benchmark published load data/published/*.csv`.", icon=":material/info:")
elif not ui.no_data(db):
    left, right = st.columns(2)
    with left:
        key = ui.url_choice("Published measure", list(published.CONTEXT), "series", "ehcp_20wk_excl",
                            format_func=lambda item: published.CONTEXT[item].title)
    with right:
        la_code = ui.authority_choice(db)
    chosen = published.CONTEXT[key]
    frame = published.context(db, key, members)
    la_name = reference.authority_name(la_code)
    st.plotly_chart(charts.context_chart(frame, la_name, f"{chosen.title}: {la_name}, region and England"),
                    key="context_chart", theme=None)
    st.caption(f"{chosen.reading} {la_name} is dark blue, England dashed, the region dotted; the other network "
               "authorities are the thin grey lines. Years where DfE suppressed or did not publish a figure are "
               "gaps ('x' in the table).")
    table = frame.pivot_table(index="geography", columns="year", values="shown", aggfunc="first").reset_index()
    table.columns = [str(column) for column in table.columns]
    ui.table(table.rename(columns={"geography": "Area"}), "context_table", chosen=la_name, name_column="Area")
    ui.downloads(table, f"published_{key}", "context")

    st.header("Designated Social Care Officer in post")
    dsco = published.dsco_in_post(db)
    latest = dsco[dsco["year"] == dsco["year"].max()]
    in_network = latest[latest["old_la_code"].isin(members)]
    counts = latest["dsco_in_post"].value_counts(dropna=False)
    st.metric(f"England, {int(latest['year'].max())}: authorities with a DSCO in post",
              f"{int(counts.get(True, 0))} of {len(latest)}")
    ui.table(in_network[["la_name", "status"]].rename(columns={"la_name": "Authority", "status": "DSCO in post"}),
             "dsco_table", chosen=la_name)
