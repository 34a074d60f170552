"""My authority: every metric for one authority and quarter beside its peers."""

import streamlit as st

from benchmark import reference, service
from benchmark.access.membership import network_themes
from benchmark.analysis.metrics import CATALOGUE
from benchmark.analysis.stats import SMALL_NUMBERS_BELOW
from benchmark.intake.standard import THEMES
from benchmark.outputs import charts
from pages import context_ui, ui

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
        "The sparkline shows the last 8 quarters. 'Funnel' allows for the variation between authorities "
        "(Spiegelhalter 2005). 'small numbers': the value rests on fewer than "
        f"{SMALL_NUMBERS_BELOW} cases, so it is shown with its count and interval but not judged."
    )
    for theme_id in network_themes(db):
        st.subheader(THEMES[theme_id].title)
        if notes.get(theme_id):
            st.caption(f"{la_name}'s commentary on the theme:")
            st.text(notes[theme_id])
        rows = card[card["Theme"] == theme_id].reset_index(drop=True)
        neutral = rows.pop("neutral")
        rows = rows.drop(columns=["Theme", "metric_id"])
        st.dataframe(
            rows.style.apply(lambda band, neutral=neutral: [charts.band_style(value, is_neutral)
                                           for value, is_neutral in zip(band, neutral, strict=True)],
                             subset=["Band"])
            .map(lambda text: "font-weight: bold; color: #12436D" if text == "top 20%" else (
                "font-weight: bold; color: #801650" if text in ("bottom 20%", "over 12 months") else ""),
                subset=["Top/bottom 20%", "Flag"]),
            hide_index=True,
            column_config={
                "Metric": st.column_config.TextColumn("Metric", width="large", pinned=True),
                "Last 8 quarters": st.column_config.LineChartColumn("Last 8 quarters", width="small"),
                "Commentary": st.column_config.TextColumn("Commentary", width="large",
                                                          help=f"What {la_name} wrote about the figure"),
            },
            key=f"scorecard_{theme_id}",
        )
    themes = list(network_themes(db))
    ui.commentary(db, user, la_code, period,
                  [*(metric.id for metric in CATALOGUE if metric.theme in themes), *themes], "my_authority")
    ui.downloads(card.drop(columns=["Last 8 quarters", "neutral"]),
                 f"scorecard_{la_code}_{period.label.replace(' ', '_')}", "scorecard")
    context_ui.published_context_section(db, ui.current_user(), None, la_code, period)
