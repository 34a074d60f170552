"""My authority: every metric for one authority and quarter beside its peers."""

import streamlit as st

from benchmark import reference, service
from benchmark.definitions.metrics import CATALOGUE
from benchmark.definitions.standard import THEMES
from benchmark.definitions.thresholds import SMALL_NUMBERS_BELOW
from benchmark.outputs import views
from pages import context_ui, inequalities_ui, ui

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
    revised = ui.revised_toggle(db, period)
    card = service.scorecard(db, user, la_code, period, revised=revised)
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
    for theme_id in service.network_themes(db, user):
        if not any(metric.theme == theme_id for metric in CATALOGUE):
            continue  # a theme answered in words (the DSCO role) has its own page
        st.header(THEMES[theme_id].title)
        if notes.get(theme_id):
            st.caption(f"{la_name}'s commentary on the theme:")
            st.text(notes[theme_id])
        rows = card[card["Theme"] == theme_id].reset_index(drop=True)
        ui.scorecard_table(rows, COLUMNS[view or "Comparison"], f"scorecard_{theme_id}")
    themes = list(service.network_themes(db, user))
    questions = service.forum_questions(db, user, la_code, period, revised, card=card)
    st.header(f"What the forum will ask {la_name}")
    if questions.empty:
        st.write(f"No discussion item or narrative request about {la_name} in {period}.")
    else:
        st.caption(f"Every discussion item about {la_name} in {period} (the pack's list holds the network's "
                   "strongest) and the network's narrative requests (top or bottom 20% on a headline metric), each "
                   f"with {la_name}'s commentary on that metric. Write or change the commentary below.")
        for record in questions.to_dict("records"):
            st.markdown(f"**{record['Metric']}**, {record['Why']}  \n{record['Sentence']}")
            if record["Commentary"]:
                st.caption(f"{la_name}'s commentary:")
                st.text(record["Commentary"])  # what a member typed: plain text, never Markdown
            else:
                st.caption("No commentary on this yet.")
    asked = list(dict.fromkeys(questions["metric_id"]))  # the commentary the forum asks for comes first
    ui.commentary(db, user, la_code, period,
                  [*asked, *(metric.id for metric in CATALOGUE if metric.theme in themes and metric.id not in asked),
                   *themes], "my_authority")
    ui.downloads(card.drop(columns=["Last 8 quarters", "neutral", "metric_id"]),
                 f"scorecard_{la_code}_{period.label.replace(' ', '_')}", "scorecard")
    context_ui.published_context_section(db, ui.current_user(), None, la_code, period)
    inequalities_ui.my_authority_section(db, ui.current_user(), la_code, period)
