"""Upload: validate a return, see exactly what is wrong, preview, confirm, store once."""

import hashlib

import pandas as pd
import streamlit as st

from benchmark import reference, service
from benchmark.intake import returns, templates
from benchmark.intake.standard import STANDARD_VERSION, THEMES
from pages import ui

db = ui.database()
st.title("Upload a quarterly return")
ui.banner(db)
st.caption("One file per theme (CSV or .xlsx), or one workbook with a sheet per theme; one row per authority and "
           "quarter. Nothing is stored until you confirm, and a file with any error stores nothing.")

with st.expander(f"Blank templates (data standard version {STANDARD_VERSION})", icon=":material/description:"):
    for theme_id, theme in THEMES.items():
        left, middle, right = st.columns([2, 1, 1])
        left.write(theme.title)
        stem = f"dsco_return_{theme_id}_v{STANDARD_VERSION}"
        middle.download_button("CSV", templates.csv_template(theme_id), f"{stem}.csv", "text/csv",
                               key=f"template_csv_{theme_id}")
        right.download_button("Excel", templates.xlsx_template(theme_id), f"{stem}.xlsx",
                              "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                              key=f"template_xlsx_{theme_id}")
    left, right = st.columns([2, 2])
    left.write("All themes in one workbook: a sheet per theme, a Guidance sheet, lists to choose from")
    right.download_button("Excel workbook", templates.workbook_template(), templates.WORKBOOK_FILE,
                          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                          key="template_workbook")
    st.page_link("pages/data_standard.py", label="What each column means", icon=":material/menu_book:")

uploaded = st.file_uploader("Return file", type=["csv", "xlsx"], key="return_file",
                            help="Saved from Excel is fine: any encoding, header capitals or thousands separators.")
user = ui.current_user()
st.caption(f"Storing as {user.label}." if user else "")
stored: dict[str, returns.StoreResult] = st.session_state.setdefault("stored_uploads", {})


def store(name: str, content: bytes, digest: str) -> None:
    """Runs once per click, before the page reruns; a second click on the same file stores nothing."""
    if digest not in stored:
        stored[digest] = service.store(db, user, name, content)


def problems_table(problems: list, last_column: str, not_shown: int = 0) -> None:
    """Every problem with its message wrapped in full (a static table, not a scrolling grid)."""
    table = pd.DataFrame([problem.as_dict() for problem in problems]).rename(
        columns={"sheet": "Sheet", "row": "Row", "column": "Column", "value": "Value", "message": last_column})
    if table["Sheet"].isna().all():
        table = table.drop(columns=["Sheet"])
    table["Row"] = [("" if pd.isna(row) else str(int(row))) for row in table["Row"]]
    st.table(table.fillna("").set_index([name for name in ("Sheet", "Row") if name in table.columns]))
    if not_shown:
        st.caption(f"...and {not_shown:,} more not listed: fix those above (often the same mistake repeated) "
                   "and upload the file again.")


def show_stored(result: returns.StoreResult) -> None:
    """After the confirm step: what was stored and where each authority now sits."""
    (st.success if result.stored else st.error)(result.message, icon=":material/inventory:")
    if not result.stored:
        return
    if result.report.warnings:
        st.caption(f"Stored with {len(result.report.warnings)} warning(s) to check:")
        problems_table(result.report.warnings, "Check", result.report.warnings_not_shown)
    latest = max(row.period for row in result.report.rows)
    st.subheader(f"Where it now sits, {latest}")
    for la_code in sorted({row.la_code for row in result.report.rows if row.period == latest}):
        card = service.scorecard(db, user, la_code, latest)
        card = card[card["Theme"].isin(result.report.themes)]
        st.markdown(f"**{reference.authority_name(la_code)}**")
        st.dataframe(card[["Metric", "Value", "Count", "Rank", "Band", "Network median", "Trend"]],
                     hide_index=True, key=f"sits_{la_code}")


if uploaded is not None:
    content = uploaded.getvalue()
    digest = hashlib.sha256(content).hexdigest()
    if digest in stored:
        show_stored(stored[digest])
    else:
        report = service.validate(db, user, uploaded.name, content)
        if report.ok:
            st.success(report.summary, icon=":material/check_circle:")
        else:
            st.error(report.summary, icon=":material/error:")
            problems_table(report.errors, "Problem", report.errors_not_shown)
            st.caption("Row numbers are as your spreadsheet shows them (the header is row 1). Fix the file and "
                       "upload it again.")
        if report.warnings:
            st.warning(f"{len(report.warnings)} value(s) look unusual. They will be stored, but please check them.",
                       icon=":material/warning:")
            problems_table(report.warnings, "Check", report.warnings_not_shown)
        if report.ok:
            st.subheader("What will be stored")
            for part in report.parts():
                if len(report.themes) > 1:
                    st.markdown(f"**{THEMES[part.theme].title}** (sheet '{next(iter(part.sheets))}')")
                st.dataframe(returns.preview(db, part).drop(columns=["la_code"]), hide_index=True,
                             key=f"preview_table_{part.theme}")
            st.button("Store this return", type="primary", icon=":material/save:", key="store_button",
                      on_click=store, args=(uploaded.name, content, digest))

st.subheader("Recent submissions")
history = service.history(db, user)
if history.empty:
    st.write("Nothing stored yet.")
else:
    st.dataframe(history.drop(columns=["sha256"]).head(20), hide_index=True, key="history_table")
    left, right = st.columns([3, 1])
    chosen = left.selectbox("Download the file a submission stored, byte for byte", history["submission_id"],
                            format_func=lambda number: f"{number}: " + history.set_index("submission_id").loc[
                                number, "file_name"], key="original_choice")
    name, original = service.original_file(db, user, int(chosen))
    right.download_button("Download original", original, name, key="original_download",
                          icon=":material/download:")
