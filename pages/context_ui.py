"""The "Published context" tables shared by the theme pages and My authority: DfE's published
measures for one authority beside its region, statistical neighbours and England (LAIT's columns)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from benchmark import reference, service
from benchmark.access.rights import User
from benchmark.db import Database
from benchmark.definitions import published_catalogue
from benchmark.outputs import charts
from benchmark.periods import Period
from pages import ui

SHORT_HEADINGS = {"Period": "As at", "Neighbours mean": "SN mean", "Neighbours median": "SN median",
                  "Neighbours reported": "SN reported", "Rank in England": "Rank (England)"}
READING = (
    "DfE's published figures for the latest year, LAIT style: the region and England as published, the mean and "
    "median of the 10 statistical neighbours (SN) that reported, and the rank among every authority in England "
    "that reported. CIN: children in need; CLA: children looked after. Band A is the best quarter for the "
    "measure's polarity; neutral measures are banded high to low in grey, without a judgement. Symbols are "
    "DfE's: c suppressed, x not available, z not applicable, k below 0.5; they are never counted as 0 or averaged."
)


def context_table(db: Database, user: User | None, la_code: str, theme_id: str | None, key: str) -> None:
    """The comparisons table for one authority, bands shaded as on the tartan rug."""
    table = service.published_context_table(db, user, la_code, theme_id)
    if table.empty:
        return
    neutral = table.pop("neutral")
    # Short names and headings keep every column in view at 1366 pixels; the full names are below.
    table["Measure"] = table.pop("measure").map(lambda measure_id: published_catalogue.MEASURES[measure_id].short)
    table = table.drop(columns=["Polarity"]).rename(columns=SHORT_HEADINGS)
    ui.table(
        table.style.apply(lambda band: [charts.band_style(value, is_neutral) for value, is_neutral in
                                        zip(band, neutral, strict=True)], subset=["Band"]),
        key, height=38 + 35 * len(table), name_column="Measure",  # every measure in view, no inner scroll
    )
    measures = published_catalogue.measures_for_theme(theme_id)
    for measure in measures:
        if measure.caveat:
            st.caption(f"**{measure.short}**: {measure.caveat}")
    with st.expander("What each measure is"):
        st.markdown("\n".join(
            f"- **{measure.short}**: {measure.name} ({measure.polarity.label}). {measure.definition} "
            f"Source: {measure.publication}, file `{measure.source}`, column `{measure.indicator}`"
            + (f" minus `{measure.minus}`" if measure.minus else "") + "."
            for measure in measures))


def published_context_section(db: Database, user: User | None, theme_id: str | None, la_code: str | None,
                              period: Period | None) -> None:
    """The section at the foot of a theme page (that theme's published measures for the chosen
    authority) or of My authority (theme None: every measure)."""
    if la_code is None:
        return
    st.header("Published context")
    if not service.published_loaded(db):
        st.caption("No published statistics are loaded: `python -m benchmark published load data/published/*.csv`.")
        return
    la_name = reference.authority_name(la_code)
    st.caption(f"{la_name}. {READING}")
    context_table(db, user, la_code, theme_id, key=f"context_{theme_id or 'all'}")
    if theme_id == "short_breaks" and period is not None:
        _reach(db, user, la_code, period)
    releases = sorted({measure.publication for measure in published_catalogue.measures_for_theme(theme_id)})
    st.caption(f"Sources: {'; '.join(releases)}. {published_catalogue.OGL}")
    st.page_link("pages/published.py", label="Every published measure, by year", icon=":material/query_stats:")


def _reach(db: Database, user: User | None, la_code: str, period: Period) -> None:
    """The joined measure: short-break reach relative to CIN with a recorded disability."""
    frame, label = service.reach_vs_cin(db, user, period)
    st.markdown(f"**{service.REACH_NAME}**")
    st.caption(label)
    mine = frame[frame["la_code"] == la_code]
    shown = pd.DataFrame({
        "Authority": frame["la_name"],
        "Children receiving short breaks": frame["children"].map(
            lambda count: "-" if pd.isna(count) else f"{count:,.0f}"),
        "CIN with a recorded disability": frame["cin_shown"],
        "Reach (%)": frame["value"].map(lambda share: "-" if pd.isna(share) else f"{share:.1f}%"),
    })
    if not mine.empty:
        value = mine["value"].iloc[0]
        reported = frame["value"].dropna()
        median = reported.median() if not reported.empty else float("nan")
        st.write(f"{reference.authority_name(la_code)}: "
                 f"{'not available' if pd.isna(value) else f'{value:.1f}%'}; network median "
                 f"{'-' if pd.isna(median) else f'{median:.1f}%'} ({len(reported)} of {len(frame)} authorities).")
    with st.expander("Every network authority"):
        ui.table(shown, "reach_table", room=ui.MAIN_WIDTH - 40)  # inside the expander's border
