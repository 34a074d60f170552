"""DSCO benchmarking dashboard: the Streamlit entry point. Pages only lay out widgets and call benchmark/.

Decides who the visitor acts as (benchmark.access.rights.visit) before any page runs: with sign-in
configured only members see data; without it, the synthetic demo runs in a bannered demo mode.
"""

from pathlib import Path

import streamlit as st

from benchmark.access import rights
from benchmark.access.membership import network_themes
from benchmark.access.network import is_demo
from benchmark.db import open_database

# The favicon ships with the app: a Material icon name here would make every browser fetch it from a font host.
FAVICON = Path(__file__).parent / "assets" / "favicon.png"
st.set_page_config(page_title="DSCO benchmarking", page_icon=str(FAVICON), layout="wide")


def _secrets_section(name: str) -> dict:
    try:
        return dict(st.secrets.get(name, {}))
    except FileNotFoundError:
        return {}


db = open_database()
sign_in_configured = bool(_secrets_section("auth"))
settings = _secrets_section("dsco")
claims = st.user if sign_in_configured else {}
visit = rights.visit(
    db,
    sign_in_configured=sign_in_configured,
    logged_in=bool(sign_in_configured and st.user.is_logged_in),
    email=claims.get("email"),
    email_verified=claims.get("email_verified"),
    issuer=claims.get("iss"),
    subject=claims.get("sub"),
    tenant=claims.get("tid"),
    trusted=rights.trusted_issuers(settings.get("trusted_issuers", [])),
    allow_without_sign_in=bool(settings.get("allow_without_sign_in", False)),
    demo=is_demo(db),
)
st.session_state["acting_user"] = visit.user

if visit.state == "sign_in":
    st.title("DSCO network benchmarking")
    st.write("Sign in with your council account to see your network's figures.")
    st.button("Sign in", type="primary", on_click=st.login, icon=":material/login:", key="sign_in")
    st.stop()
if visit.state == "not_member":
    st.title("DSCO network benchmarking")
    st.info(f"You are signed in as {st.user.get('email', 'an unknown address')}, but that address is not a member "
            "of this network yet. Please ask your network chair to add you; they can do it on the Administration "
            "page in a minute.", icon=":material/person_add:")
    st.button("Sign out", on_click=st.logout, key="sign_out")
    st.stop()
if visit.state == "unverified":
    st.title("DSCO network benchmarking")
    st.error(f"Your sign-in provider did not confirm that {st.user.get('email', 'the address')} is yours, and the "
             "network does not list the provider as trusted, so this sign-in is refused. Ask your network chair.",
             icon=":material/lock:")
    st.button("Sign out", on_click=st.logout, key="sign_out")
    st.stop()
if visit.state == "other_account":
    st.title("DSCO network benchmarking")
    st.error(f"{st.user.get('email', 'This address')} first signed in to this network with a different account, "
             "so this sign-in is refused. If the address has really moved to a new account, ask your network chair "
             "to remove and add you again.", icon=":material/lock:")
    st.button("Sign out", on_click=st.logout, key="sign_out")
    st.stop()
if visit.state == "refused":
    st.title("DSCO network benchmarking")
    st.error("Without sign-in the dashboard serves only the synthetic demo (`python -m benchmark demo`), and this "
             "database is not it. Configure sign-in in .streamlit/secrets.toml (see the README), or, only on a "
             "machine nobody else can reach, set allow_without_sign_in = true under [dsco] there.",
             icon=":material/lock:")
    st.stop()

with st.sidebar:
    st.caption(f"Signed in as {visit.user.label}" if visit.state == "member" else
               "Demo mode: no sign-in, synthetic data" if visit.state == "demo" else
               "Local mode: no sign-in configured")
    if visit.state == "member":
        st.button("Sign out", on_click=st.logout, key="sign_out")

returns_pages = [
    st.Page("pages/upload.py", title="Upload", icon=":material/upload:"),
    st.Page("pages/data_standard.py", title="Data standard", icon=":material/menu_book:"),
]
if visit.user.is_chair:
    returns_pages.append(
        st.Page("pages/administration.py", title="Administration", icon=":material/admin_panel_settings:")
    )
# Pages of themes added after the first three appear once the network collects them.
LATER_THEME_PAGES = {
    "residential": ("pages/residential.py", "Residential placements", ":material/home_work:"),
    "dsco_role": ("pages/dsco_role.py", "The DSCO role", ":material/badge:"),
}
collected = network_themes(db)
navigation = st.navigation(
    {
        "Compare": [
            st.Page("pages/overview.py", title="Network overview", icon=":material/grid_view:", default=True),
            st.Page("pages/my_authority.py", title="My authority", icon=":material/account_balance:"),
            st.Page("pages/short_breaks.py", title="Short breaks", icon=":material/family_restroom:"),
            st.Page("pages/advice.py", title="Advice timeliness and quality", icon=":material/schedule:"),
            st.Page("pages/transitions.py", title="Transitions to adulthood", icon=":material/trending_up:"),
            *(st.Page(path, title=title, icon=icon) for theme, (path, title, icon) in LATER_THEME_PAGES.items()
              if theme in collected),
            st.Page("pages/inspections.py", title="Area SEND inspections", icon=":material/fact_check:"),
            st.Page("pages/published.py", title="Published context", icon=":material/public:"),
            st.Page("pages/inequalities.py", title="Inequalities", icon=":material/diversity_3:"),
            st.Page("pages/meeting_pack.py", title="Meeting pack", icon=":material/slideshow:"),
        ],
        "Returns": returns_pages,
        "About": [st.Page("pages/accessibility.py", title="Accessibility", icon=":material/accessibility:")],
    },
    expanded=True,  # every page listed: no "View more" hiding Upload or Administration
)
navigation.run()
