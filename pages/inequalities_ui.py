"""The inequalities section of My authority: only the groups whose ratio's interval excludes 1."""

import streamlit as st

from benchmark import reference, service
from benchmark.access.rights import User
from benchmark.db import Database
from benchmark.periods import Period
from pages import ui


def my_authority_section(db: Database, user: User | None, la_code: str | None, period: Period | None) -> None:
    if la_code is None or period is None:
        return
    name = reference.authority_name(la_code)
    with st.expander(f"Inequalities: where {name}'s groups differ", expanded=False):
        table = service.inequalities_for_authority(db, user, la_code, period)
        if table.empty:
            st.write(f"No group of {name} is judged higher or lower than the other children on the inequalities "
                     "measures (or no breakdown is stored yet).")
        else:
            ui.table(table, "my_authority_inequalities", room=ui.MAIN_WIDTH - 40)  # inside the expander's border
        st.caption("Each group against all other children of the authority, by ethnicity (DfE's refusals by sex); "
                   "shown where the 95% interval of the ratio excludes 1. Outcome ratios are of the adverse outcome. "
                   "Every group, the network and England are on the Inequalities page.")
        st.page_link("pages/inequalities.py", label="Open the Inequalities page", icon=":material/diversity_3:")
