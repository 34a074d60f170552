"""My authority: every metric for one authority and quarter beside its peers."""

import streamlit as st

from benchmark import reference, service
from benchmark.access.membership import network_themes
from benchmark.analysis.stats import SMALL_NUMBERS_BELOW
from benchmark.definitions.metrics import CATALOGUE
from benchmark.definitions.standard import THEMES
from benchmark.outputs import views
from pages import context_ui, ui

# Three views of the scorecard, each narrow enough for a 1366 px screen; the download holds every column.
COLUMNS = {
    "Comparison": ["Metric", "Value", "Rank", "Band", "Network median", "Neighbours' mean", "Trend"],
    "Trend and counts": ["Metric", "Last 8 quarters", "Trend", "Count", "Neighbours reported"],
    "Flags": ["Metric", "Band", "Top/bottom 20%", "Funnel", "Flag"],
    "Commentary": ["Metric", "Value", "Commentary"],
}

db = ui.database()
st.title("My authority")
ui.banner(db)
if not ui.no_data(db):
    left, right = st.columns(2)
    with left:
        la_code = ui.authority_choice(db)
    with right:
        period = ui.period_choice(db)
    la_name = reference.authority_name(la_code)
    user = ui.current_user()
    card = service.scorecard(db, user, la_code, period, revised=ui.revised_toggle(db, period))
    notes = service.commentary_for(db, user, la_code, period) if la_code and period else {}
    card["Commentary"] = card["metric_id"].map(lambda metric_id: notes.get(metric_id, ""))
    if (card["Value"] == "-").all():
        st.info(f"{la_name} has no return for {period}. Pick another quarter, or upload its return on the "
                "Upload page.", icon=":material/info:")
    st.caption(
        f"Every metric for {la_name} in {period}. Rank 1 is best for the measure's polarity; band A is the best "
        "quarter of the network. 'Top 20%'/'bottom 20%' mark where the network asks for a short narrative. "
        "The sparkline shows the last 8 quarters. 'Funnel' allows for the variation between authorities, "
        "estimated once enough authorities report "
        "(Spiegelhalter 2005). 'small numbers': the value rests on fewer than "
        f"{SMALL_NUMBERS_BELOW} cases, so it is shown with its count and interval but not judged."
    )
    view = st.segmented_control("Columns", list(COLUMNS), default="Comparison", key="columns", required=True,
                                bind="query-params",
                                help="Comparison: how each value sits among its peers. Trend and counts: the last "
                                     "8 quarters and the numbers behind each value. Flags: what the network "
                                     "discusses (top and bottom 20%, funnel outliers, old statements). Commentary: "
                                     "what the authority wrote about each figure.")
    ui.band_legend()
    if card["Band"].eq(views.NOT_JUDGED).any():
        st.info(views.judgement_note(None), icon=":material/info:")
    for theme_id in network_themes(db):
        st.header(THEMES[theme_id].title)
        if notes.get(theme_id):
            st.caption(f"{la_name}'s commentary on the theme:")
            st.text(notes[theme_id])
        rows = card[card["Theme"] == theme_id].reset_index(drop=True)
        ui.scorecard_table(rows, COLUMNS[view or "Comparison"], f"scorecard_{theme_id}")
    themes = list(network_themes(db))
    ui.commentary(db, user, la_code, period,
                  [*(metric.id for metric in CATALOGUE if metric.theme in themes), *themes], "my_authority")
    ui.downloads(card.drop(columns=["Last 8 quarters", "neutral", "metric_id"]),
                 f"scorecard_{la_code}_{period.label.replace(' ', '_')}", "scorecard")
    context_ui.published_context_section(db, ui.current_user(), None, la_code, period)
