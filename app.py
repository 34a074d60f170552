"""DSCO benchmarking dashboard: the Streamlit entry point. Pages only lay out widgets and call benchmark/."""

import streamlit as st

st.set_page_config(page_title="DSCO benchmarking", page_icon=":material/diversity_3:", layout="wide")

navigation = st.navigation(
    {
        "Compare": [
            st.Page("pages/overview.py", title="Network overview", icon=":material/grid_view:", default=True),
            st.Page("pages/my_authority.py", title="My authority", icon=":material/account_balance:"),
            st.Page("pages/short_breaks.py", title="Short breaks", icon=":material/family_restroom:"),
            st.Page("pages/advice.py", title="Advice timeliness and quality", icon=":material/schedule:"),
            st.Page("pages/transitions.py", title="Transitions to adulthood", icon=":material/trending_up:"),
            st.Page("pages/published.py", title="Published context", icon=":material/public:"),
            st.Page("pages/meeting_pack.py", title="Meeting pack", icon=":material/slideshow:"),
        ],
        "Returns": [
            st.Page("pages/upload.py", title="Upload", icon=":material/upload:"),
            st.Page("pages/data_standard.py", title="Data standard", icon=":material/menu_book:"),
        ],
    }
)
navigation.run()
