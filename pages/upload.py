"""Upload: validate a return, see exactly what is wrong, preview, confirm, store once."""

import hashlib
import re

import pandas as pd
import streamlit as st

from benchmark import reference, service
from benchmark.access.rights import DEMO_NO_WRITES
from benchmark.definitions.breakdowns import BREAKDOWN_RETURNS, submission_title
from benchmark.definitions.standard import STANDARD_VERSION, THEMES
from benchmark.outputs import views
from pages import ui

PROBLEMS_WRAPPED = 30  # up to this many problems are listed with their messages wrapped in full
# st.table renders Markdown in its cells: a file's text is shown as written, never as a link or image.
_MARKDOWN = re.compile(r"([\\`\[\]()!<>])")  # what makes links, images, code and HTML

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
        middle.download_button("CSV", service.template(theme_id, "csv"), f"{stem}.csv", "text/csv",
                               key=f"template_csv_{theme_id}")
        right.download_button("Excel", service.template(theme_id, "xlsx"), f"{stem}.xlsx",
                              "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                              key=f"template_xlsx_{theme_id}")
    left, middle, right = st.columns([2, 1, 1])
    left.write("Breakdowns by ethnicity, sex, age band and primary need (optional)")
    middle.download_button("CSV", service.template("breakdowns", "csv"), f"{service.BREAKDOWN_FILE_STEM}.csv",
                           "text/csv", key="template_csv_breakdowns")
    right.download_button("Excel", service.template("breakdowns", "xlsx"), f"{service.BREAKDOWN_FILE_STEM}.xlsx",
                          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                          key="template_xlsx_breakdowns")
    left, right = st.columns([2, 2])
    left.write("All themes in one workbook: a sheet per theme and one of breakdowns, a Guidance sheet, lists to "
               "choose from")
    right.download_button("Excel workbook", service.template(None, "xlsx"), service.WORKBOOK_FILE,
                          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                          key="template_workbook")
    st.page_link("pages/data_standard.py", label="What each column means", icon=":material/menu_book:")

uploaded = st.file_uploader("Return file", type=["csv", "xlsx"], key="return_file",
                            help="Saved from Excel is fine: any encoding, header capitals or thousands separators.")
user = ui.current_user()
st.caption(DEMO_NO_WRITES if user and not user.may_write else f"Storing as {user.label}." if user else "")
stored: dict[str, service.StoreResult] = st.session_state.setdefault("stored_uploads", {})


def store(name: str, content: bytes, digest: str) -> None:
    """Runs once per click, before the page reruns; a second click on the same file stores nothing."""
    if digest not in stored:
        stored[digest] = service.store(db, user, name, content)


def problems_table(problems: list, last_column: str, key: str, not_shown: int = 0) -> None:
    """Every problem with its whole message: a static table wraps long text where a data grid would cut it."""
    frame = pd.DataFrame([problem.as_dict() for problem in problems]).rename(
        columns={"sheet": "Sheet", "row": "Row", "column": "Column", "value": "Value", "message": last_column})
    if frame["Sheet"].isna().all():
        frame = frame.drop(columns=["Sheet"])
    frame["Row"] = [("" if pd.isna(row) else str(int(row))) for row in frame["Row"]]
    frame = frame.fillna("")
    if len(frame) <= PROBLEMS_WRAPPED:
        st.table(frame.map(lambda text: _MARKDOWN.sub(r"\\\1", str(text))), hide_index=True)
    else:
        ui.table(frame, key, column_config={last_column: st.column_config.TextColumn(last_column, width="large")})
        ui.downloads(frame, "problems", key)
    if not_shown:
        st.caption(f"...and {not_shown:,} more not listed: fix those above (often the same mistake repeated) "
                   "and upload the file again.")


def show_stored(result: service.StoreResult) -> None:
    """After the confirm step: what was stored and where each authority now sits."""
    (st.success if result.stored else st.error)(result.message, icon=":material/inventory:")
    if not result.stored:
        return
    if result.report.warnings:
        st.caption(f"Stored with {len(result.report.warnings)} warning(s) to check:")
        problems_table(result.report.warnings, "Check", "stored_warnings_table", result.report.warnings_not_shown)
    if not set(result.report.themes) & set(THEMES):
        return  # breakdowns only: the scorecard is unchanged
    latest = max(row.period for row in result.report.rows)
    st.header(f"Where it now sits, {latest}")
    ui.band_legend()
    for la_code in sorted({row.la_code for row in result.report.rows if row.period == latest}):
        card = service.scorecard(db, user, la_code, latest)
        card = card[card["Theme"].isin(result.report.themes)].reset_index(drop=True)
        st.markdown(f"**{reference.authority_name(la_code)}**")
        ui.scorecard_table(card, ["Metric", "Value", "Count", "Rank", "Band", "Network median", "Trend"],
                           f"sits_{la_code}")


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
            problems_table(report.errors, "Problem", "errors_table", report.errors_not_shown)
            st.caption("Row numbers are as your spreadsheet shows them (the header is row 1). Fix the file and "
                       "upload it again.")
        if report.warnings:
            st.warning(f"{len(report.warnings)} value(s) look unusual. They will be stored, but please check them.",
                       icon=":material/warning:")
            problems_table(report.warnings, "Check", "warnings_table", report.warnings_not_shown)
        if report.ok:
            st.header("What will be stored")
            for part in report.parts():
                if len(report.themes) > 1:
                    st.markdown(f"**{submission_title(part.theme)}** (sheet '{next(iter(part.sheets))}')")
                stored_rows = service.preview(db, user, part)
                preview = (views.breakdown_preview_view(stored_rows) if part.theme in BREAKDOWN_RETURNS
                           else views.preview_view(stored_rows, part.theme))
                first = preview.columns[0]
                ui.table(preview, f"preview_table_{part.theme}", column_config={
                    first: st.column_config.TextColumn(first, width="medium", pinned=True)})
            st.button("Store this return", type="primary", icon=":material/save:", key="store_button",
                      on_click=store, args=(uploaded.name, content, digest))

st.header("Recent submissions")
history = service.history(db, user)
if history.empty:
    st.write("Nothing stored yet.")
else:
    ui.table(views.history_view(history.head(20)), "history_table")
    left, right = st.columns([3, 1])
    # Keyed by the newest submission: after a store the picker starts again on the one just stored.
    labels = {row["submission_id"]: views.submission_label(row) for row in history.to_dict("records")}
    chosen = left.selectbox("Download what a submission stored", list(labels),
                            format_func=labels.get, key=f"original_choice_{history['submission_id'].iloc[0]}")
    name, original = service.original_file(db, user, int(chosen))
    right.download_button("Download original", original, name, key="original_download",
                          icon=":material/download:")
    st.caption("The download is a clean copy rebuilt from the rows stored (CSV in the template's columns), not "
               "the file as uploaded: text a spreadsheet could run as a formula starts with an apostrophe, and "
               "nothing else the file held (other sheets, links, macros) comes back. The exact file is kept for "
               "audit: the chair gets it on the server with `python -m benchmark history --original ID --out FILE`.")
