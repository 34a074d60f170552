"""Meeting pack: the chair's quarterly pack as PDF, PowerPoint or Excel, in one click each."""

import streamlit as st

from benchmark import reference, service
from benchmark.definitions.disclosure_rules import AUDIENCES
from benchmark.definitions.standard import THEMES
from benchmark.outputs import pack_render, packs
from pages import ui

AUDIENCE_LABELS = {"network": "Network forum", "external": "External"}
AUDIENCE_HELP = ("Network forum: exact figures, every authority named. External: counts of 1 to 5 suppressed, other "
                 "authorities shown as letters, only the own authority named.")
FORMAT_LABELS = {"pdf": "PDF (for circulation)", "pptx": "PowerPoint (editable charts)", "xlsx": "Excel (every table)"}

db = ui.database()
st.title("Meeting pack")
ui.banner(db)
if not ui.no_data(db):
    left, middle, right = st.columns(3)
    with left:
        period = ui.period_choice(db)
    with middle:
        group_keys = ["network", *service.custom_groups(db, ui.current_user())]
        group = ui.url_choice("Peer group", group_keys, "group", "network",
                              format_func=lambda key: "Whole network" if key == "network" else f"Group: {key}")
    with right:
        audience = ui.url_choice("Audience", list(AUDIENCES), "audience", "network", format_func=AUDIENCE_LABELS.get,
                                 help_text=AUDIENCE_HELP)
    st.caption(AUDIENCE_HELP.split(". ")[0 if audience == "network" else 1].rstrip(".") + ".")
    themes = st.multiselect("Themes", list(THEMES), default=list(service.network_themes(db, ui.current_user())),
                            format_func=lambda key: THEMES[key].title, key="pack_themes")
    revised = ui.revised_toggle(db, period)
    user = ui.current_user()
    members = sorted(service.choosable_authorities(db, user), key=reference.authority_name)
    own = st.selectbox("Own authority (named and highlighted; the others are letters in an external pack)",
                       [None, *members], format_func=lambda code: "None" if code is None else
                       reference.authority_name(code), key="pack_own")
    pages = st.multiselect("A 'My authority' page for", members, format_func=reference.authority_name,
                           key="pack_pages")
    if not themes:
        st.info("Choose at least one theme.")
        st.stop()
    request = packs.PackRequest(period, group, tuple(themes), audience, own, tuple(pages), revised=revised)
    try:
        pack = service.build_pack(db, user, request)
    except ValueError as refusal:  # e.g. an external pack for a peer group too small to leave the network
        st.warning(f"{str(refusal)[0].upper()}{str(refusal)[1:]}.")
        st.stop()
    st.header(f"For discussion ({len(pack.discussion)} items)")
    st.caption(f"{pack_render.DISCUSSION_RULES} {pack.left_out_text}")
    # Static tables: every sentence and commentary wraps in full, with the strength beside it.
    st.table(pack_render.discussion_table(pack.discussion).style.format({"Strength": "{:.2f}"}), hide_index=True)
    if len(pack.commentary):
        st.subheader(f"Commentary from authorities ({len(pack.commentary)})")
        st.table(pack.commentary, hide_index=True)
    if len(pack.revisions):
        st.caption(f"{len(pack.revisions)} return(s) of earlier signed-off quarters were revised after sign-off; "
                   "the pack lists them after the tracker.")
    # The PDF's chart browser starts in the background while the chair reads the preview (once a process).
    pack_render.start_chart_renderer()
    built = st.session_state.setdefault("built_packs", {})
    columns = st.columns(len(pack_render.FORMATS))
    for column, fmt in zip(columns, pack_render.FORMATS, strict=True):
        key = (request, fmt, db.data_version)
        with column:
            # The build button gives way to the download once the pack is built, in the same place.
            slot = st.empty()
            if key not in built and slot.button(f"Build {FORMAT_LABELS[fmt]}", key=f"build_{fmt}"):
                bar = st.progress(0.0, text="Starting ...")
                built[key] = service.render_pack(db, user, pack, fmt,
                                                 lambda share, text, bar=bar: bar.progress(share, text))
                bar.empty()
            if key in built:
                slot.download_button(f"Download {fmt.upper()}", built[key],
                                     f"dsco_pack_{period.label.replace(' ', '_')}_{audience}.{fmt}",
                                     pack_render.MEDIA_TYPES[fmt], key=f"download_{fmt}", type="primary",
                                     icon=":material/download:")
