"""Breakdowns in the return (issue 19, data standard version 2): recognised by header as a CSV, an .xlsx or
the `Breakdowns` sheet of the one-workbook return; checked like every other field and against the total they
break down; stored all or nothing as submissions of their own, so replacement, withdrawal and sign-off apply;
version 1 files still valid.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

import openpyxl
import pytest
from scipy.stats.contingency import relative_risk

from benchmark import demo, reference, service
from benchmark.access import membership
from benchmark.access.rights import Role, User
from benchmark.analysis import cycle, tracker
from benchmark.definitions.breakdowns import BREAKDOWN_COLUMNS, BREAKDOWN_SHEET, ETHNICITY, major_ethnic_group
from benchmark.definitions.standard import DEFAULT_THEMES, STANDARD_VERSION, THEMES, columns
from benchmark.intake import returns, templates
from benchmark.intake.breakdowns import COLUMNS, stored_breakdowns
from benchmark.intake.returns import store_file
from benchmark.intake.validation import validate
from benchmark.outputs import views
from benchmark.periods import Period

CHAIR = User("chair@network.example", Role.CHAIR)
QUARTER = "2025-26 Q1"


def breakdown_csv(rows: Sequence[Sequence[object]], header: Sequence[str] = BREAKDOWN_COLUMNS) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def sex_rows(la: str, count_of: str, female: int, male: int, unknown: int = 0,
             period: str = QUARTER) -> list[list[object]]:
    return [[la, period, count_of, "sex", "Female", female], [la, period, count_of, "sex", "Male", male],
            [la, period, count_of, "sex", "Unknown", unknown]]


def workbook(sheets: dict[str, Sequence[Sequence[object]]]) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def theme_sheet(theme_id: str, rows: list[dict]) -> list[list[object]]:
    names = ["la_code", "period", *THEMES[theme_id].field_names]
    return [names, *([row.get(name) for name in names] for row in rows)]


@pytest.fixture
def short_breaks_stored(tmp_db, make_csv, example_row, today):
    """Camden's 2025-26 Q1 short breaks return: the example's 412 children receiving short breaks, 12 waiting."""
    result = store_file(tmp_db, "camden_sb.csv", make_csv("short_breaks", [example_row("short_breaks")]), "a",
                        today=today)
    assert result.status == "stored"
    return tmp_db


def errors(report) -> list[str]:
    return [problem.message for problem in report.errors]


# --- recognised and stored -------------------------------------------------------------------------


def test_standard_is_version_2_and_a_version_1_file_is_still_valid(make_csv, example_row, today):
    assert STANDARD_VERSION == 2
    for theme_id in THEMES:
        report = validate(f"{theme_id}.csv", make_csv(theme_id, [example_row(theme_id)]), today=today)
        assert report.ok, report.errors
        assert report.themes == [theme_id] and all(not row.breakdowns for row in report.rows)


def test_a_breakdown_csv_is_recognised_by_its_header_and_stored(short_breaks_stored, today):
    db = short_breaks_stored
    content = breakdown_csv(sex_rows("202", "sb_children_total", 180, 230, 2)
                            + sex_rows("Camden", "sb_children_waiting", 5, 7))

    result = store_file(db, "camden_breakdowns.csv", content, "a", today=today)

    assert result.status == "stored", result.report.errors
    assert result.report.themes == ["short_breaks_breakdowns"]
    assert "valid Breakdowns of short breaks for disabled children return, 6 rows" in result.report.summary
    stored = stored_breakdowns(db)
    assert list(stored.columns) == COLUMNS
    assert stored[["count_of", "breakdown", "group_name", "count"]].values.tolist() == [
        ["sb_children_total", "sex", "Female", 180.0], ["sb_children_total", "sex", "Male", 230.0],
        ["sb_children_total", "sex", "Unknown", 2.0], ["sb_children_waiting", "sex", "Female", 5.0],
        ["sb_children_waiting", "sex", "Male", 7.0], ["sb_children_waiting", "sex", "Unknown", 0.0]]
    assert set(stored["la_code"]) == {"202"} and set(stored["period"]) == {QUARTER}
    assert db.scalar("SELECT row_count FROM submissions WHERE submission_id = ?", [result.submission_id]) == 6
    # The theme return is untouched: the breakdown is a submission of its own.
    assert db.scalar("SELECT count(*) FROM current_returns WHERE theme = 'short_breaks'") == 1


def test_school_census_codes_and_major_groups_are_accepted(short_breaks_stored, today):
    detail = [["202", QUARTER, "sb_children_total", "ethnicity", code, count]
              for code, count in (("WBRI", 100), ("BAFR", 150), ("Asian - Bangladeshi", 100),
                                  ("black-black caribbean", 50), ("REFU", 12))]
    major = [["202", QUARTER, "sb_children_waiting", "Ethnicity", group, count]
             for group, count in (("White", 4), ("Black", 6), ("Other", 1), ("Unclassified", 1))]

    result = store_file(short_breaks_stored, "eth.csv", breakdown_csv(detail + major), "a", today=today)

    assert result.status == "stored", result.report.errors
    groups = stored_breakdowns(short_breaks_stored).groupby("count_of")["group_name"].apply(set).to_dict()
    assert groups["sb_children_total"] == {"White - White British", "Black - Black African", "Asian - Bangladeshi",
                                           "Black - Black Caribbean", "Unclassified"}
    assert groups["sb_children_waiting"] == {"White", "Black", "Other", "Unclassified"}


def test_breakdowns_sheet_of_the_one_workbook_checked_against_the_sheet_beside_it(tmp_db, example_row, today):
    row = example_row("transitions")  # 9 turned 18, 6 assessed before 18, 5 with services at 18
    content = workbook({
        "Transitions": theme_sheet("transitions", [row]),
        BREAKDOWN_SHEET: [list(BREAKDOWN_COLUMNS), *sex_rows("202", "pfa_turned_18", 4, 5),
                          *sex_rows("202", "pfa_care_act_before_18", 1, 5)],
    })

    result = store_file(tmp_db, "return.xlsx", content, "a", today=today)

    assert result.status == "stored", result.report.errors
    assert result.report.themes == ["transitions", "transitions_breakdowns"]
    assert len(result.submission_ids) == 2
    assert tmp_db.scalar("SELECT count(*) FROM current_breakdowns") == 6


def test_a_breakdown_xlsx_on_its_own_is_recognised(short_breaks_stored, today):
    content = workbook({"Return": [list(BREAKDOWN_COLUMNS), *sex_rows("202", "sb_children_total", 200, 212)]})
    report = validate("b.xlsx", content, today=today, previous=lambda keys: returns.previous_values(
        short_breaks_stored, keys))
    assert report.ok, report.errors
    assert report.themes == ["short_breaks_breakdowns"]


# --- validation as for every other field ---------------------------------------------------------------


def check(db, rows, today, header=BREAKDOWN_COLUMNS):
    return returns.validate_against(db, "b.csv", breakdown_csv(rows, header), today)


def test_sum_to_total_names_the_total_the_sum_and_the_difference(short_breaks_stored, today):
    report = check(short_breaks_stored, sex_rows("202", "sb_children_total", 180, 220, 2), today)
    assert errors(report) == [
        "Camden 2025-26 Q1: the 3 groups of sb_children_total by sex add up to 402, but sb_children_total is 412 "
        "in the stored return: 10 too few; every child is counted in exactly one group (use Unknown for those "
        "not recorded)."]
    assert report.errors[0].row == 2 and not report.rows

    over = check(short_breaks_stored, sex_rows("202", "sb_children_total", 190, 230), today)
    assert "add up to 420, but sb_children_total is 412 in the stored return: 8 too many" in errors(over)[0]


def test_a_group_above_its_total_is_an_error_on_its_row(short_breaks_stored, today):
    report = check(short_breaks_stored, [["202", QUARTER, "sb_children_waiting", "sex", "Male", 13]], today)
    assert errors(report) == ["13 (sb_children_waiting, Male) is larger than the total it breaks down: Camden "
                              "2025-26 Q1 has sb_children_waiting 12 in the stored return."]
    assert (report.errors[0].row, report.errors[0].column) == (2, "count")


def test_only_major_ethnic_groups_add_up_and_mixing_them_with_categories_is_refused(short_breaks_stored, today):
    major = [["202", QUARTER, "sb_children_total", "ethnicity", group, count]
             for group, count in (("White", 200), ("Mixed", 40), ("Asian", 60), ("Black", 100), ("Other", 12))]
    assert check(short_breaks_stored, major, today).ok
    mixed = [*major[:4], ["202", QUARTER, "sb_children_total", "ethnicity", "Any other ethnic group", 2],
             ["202", QUARTER, "sb_children_total", "ethnicity", "Black - Black African", 10]]
    report = check(short_breaks_stored, mixed, today)
    assert "mixes the major groups (Asian, Black, Mixed, White) with DfE's categories (Black - Black African)" \
        in errors(report)[0]


def test_whole_numbers_only_and_no_suppression_markers(short_breaks_stored, today):
    rows = sex_rows("202", "sb_children_waiting", 5, 7)
    rows[0][5], rows[1][5], rows[2][5] = "4.5", "c", "-1"
    report = check(short_breaks_stored, rows, today)
    assert [(problem.row, problem.column) for problem in report.errors] == [(2, "count"), (3, "count"), (4, "count")]
    assert "is a fraction: a count must be a whole number" in errors(report)[0]
    assert "breakdowns are sent as they are, unsuppressed" in errors(report)[1]
    assert "is negative" in errors(report)[2]


@pytest.mark.parametrize(("column", "text", "expected"), [
    ("group", "Black - Black Afrian", "did you mean 'Black - Black African'?"),
    ("group", "BAFT", "did you mean 'BAFR', Black - Black African?"),
    ("group", "Femal", "did you mean 'Female'?"),
    ("by", "ethnicty", "did you mean 'ethnicity'?"),
    ("count_of", "sb_children_totl", "did you mean 'sb_children_total'?"),
    ("count_of", "sb_spend_gbp", "'sb_spend_gbp' cannot be broken down"),
    ("la_code", "Camdn", "Did you mean 'Camden'?"),
])
def test_near_misses_get_a_did_you_mean(short_breaks_stored, today, column, text, expected):
    by = "sex" if text in ("Femal",) else "ethnicity"
    row = {"la_code": "202", "period": QUARTER, "count_of": "sb_children_waiting", "by": by,
           "group": "Female" if by == "sex" else "White - White British", "count": 12}
    row[column] = text
    report = check(short_breaks_stored, [[row[name] for name in BREAKDOWN_COLUMNS]], today)
    assert len(report.errors) == 1 and report.errors[0].column == column
    assert expected in report.errors[0].message


def test_duplicates_and_missing_columns(short_breaks_stored, today):
    rows = [["202", QUARTER, "sb_children_waiting", "ethnicity", "WBRI", 6],
            ["202", QUARTER, "sb_children_waiting", "ethnicity", "White - White British", 6]]
    assert "twice (rows 2 and 3)" in errors(check(short_breaks_stored, rows, today))[0]
    report = check(short_breaks_stored, [["202", QUARTER, "sb_children_waiting", "sex", 12]],
                   header=["la_code", "period", "count_of", "by", "count"], today=today)
    assert errors(report) == ["The required column group of a breakdown is missing."]


def test_a_breakdown_with_no_total_stored_or_in_the_file_is_refused(tmp_db, today):
    report = check(tmp_db, sex_rows("202", "adv_returned", 3, 4), today)
    assert errors(report) == ["Camden 2025-26 Q1: there is no adv_returned stored or in this file to check its "
                              "breakdown by sex against: send the social care advice into ehc needs assessments "
                              "return first, or in the same workbook."]


def test_within_a_group_a_part_is_no_larger_than_its_whole(tmp_db, example_row, today):
    row = example_row("advice")  # 45 advice given, 37 within 6 weeks
    content = workbook({
        "Advice": theme_sheet("advice", [row]),
        BREAKDOWN_SHEET: [list(BREAKDOWN_COLUMNS), *sex_rows("202", "adv_returned", 20, 25),
                          *sex_rows("202", "adv_returned_6wk", 21, 16)],
    })
    report = validate("r.xlsx", content, today=today, previous=lambda keys: {})
    assert len(report.errors) == 1 and report.errors[0].sheet == BREAKDOWN_SHEET
    assert "adv_returned_6wk for 'Female' is 21, larger than adv_returned for the same group (20, row 2)" \
        in report.errors[0].message


def test_all_or_nothing_a_bad_breakdown_stores_nothing_from_the_workbook(tmp_db, example_row, today):
    content = workbook({
        "Short breaks": theme_sheet("short_breaks", [example_row("short_breaks")]),
        BREAKDOWN_SHEET: [list(BREAKDOWN_COLUMNS), *sex_rows("202", "sb_children_total", 1, 2)],
    })
    result = store_file(tmp_db, "r.xlsx", content, "a", today=today)
    assert result.status == "refused"
    assert "sheet 'Short breaks' row 2" in result.report.errors[0].message
    assert tmp_db.scalar("SELECT count(*) FROM submissions") == 0
    assert tmp_db.scalar("SELECT count(*) FROM return_breakdowns") == 0


# --- replacement, withdrawal and sign-off --------------------------------------------------------------


def test_replacement_withdrawal_and_signoff_apply_to_breakdowns(short_breaks_stored, today):
    db = short_breaks_stored
    first = store_file(db, "b1.csv", breakdown_csv(sex_rows("202", "sb_children_total", 200, 212)), "a",
                       today=today)
    cycle.sign_off(db, CHAIR, Period.parse(QUARTER))
    second = store_file(db, "b2.csv", breakdown_csv(sex_rows("202", "sb_children_total", 210, 200, 2)), "a",
                        today=today)
    assert first.status == second.status == "stored"
    assert second.replaced == [("202", QUARTER, first.submission_id)]

    def females(**kwargs) -> float:
        frame = stored_breakdowns(db, **kwargs)
        return frame.loc[frame["group_name"] == "Female", "count"].tolist()

    assert females() == [200.0]  # the quarter as signed off
    assert females(revised=True) == [210.0]
    assert females(period_index=Period.parse(QUARTER).index) == [200.0]
    assert females(period_index=Period.parse("2025-26 Q2").index) == []
    revised = cycle.revisions_after_signoff(db, [Period.parse(QUARTER)])
    assert revised["theme"].tolist() == ["short_breaks_breakdowns"]

    returns.withdraw(db, second.submission_id, "chair", "sent in error")
    assert females(revised=True) == [200.0]


# --- a small real network ------------------------------------------------------------------------------


def test_three_authorities_one_theme_one_quarter_import_cleanly(tmp_db, make_csv, example_row, today):
    """Three authorities, the advice theme only, one quarter, with every breakdown of the advice counts."""
    codes = ("202", "206", "208")
    theme = make_csv("advice", [example_row("advice", code) for code in codes])
    assert store_file(tmp_db, "advice.csv", theme, "chair", today=today).status == "stored"
    rows = []
    for code in codes:
        for count_of, total in (("adv_requests", 48), ("adv_returned", 45), ("adv_returned_6wk", 37)):
            rows += sex_rows(code, count_of, total // 2, total - total // 2)
            rows += [[code, QUARTER, count_of, "age_band", band, count]
                     for band, count in zip(("0-4", "5-10", "11-15", "16-17", "18-25"),
                                            (2, 10, total - 20, 5, 3), strict=True)]
            rows += [[code, QUARTER, count_of, "primary_need", need, count]
                     for need, count in (("ASD", total - 10), ("SEMH", 6), ("No EHC plan or SEN support", 4))]
            rows += [[code, QUARTER, count_of, "ethnicity", group.name, 0] for group in ETHNICITY.groups[1:]]
            rows.append([code, QUARTER, count_of, "ethnicity", ETHNICITY.groups[0].name, total])

    result = store_file(tmp_db, "advice_breakdowns.csv", breakdown_csv(rows), "chair", today=today)

    assert result.status == "stored", result.report.errors[:3]
    stored = stored_breakdowns(tmp_db)
    assert len(stored) == 3 * 3 * (3 + 5 + 3 + 19)
    sums = stored.groupby(["la_code", "count_of", "breakdown"])["count"].sum()
    assert set(sums.xs("adv_returned_6wk", level="count_of")) == {37.0}
    assert tmp_db.scalar("SELECT count(*) FROM current_returns WHERE theme = 'advice'") == 3


# --- everything that iterates submissions is not confused by a breakdown -------------------------------


def test_a_member_downloads_only_its_own_rows_of_a_collated_breakdown_file(tmp_db, make_csv, example_row, today):
    codes = ("202", "206")
    assert store_file(tmp_db, "sb.csv", make_csv("short_breaks", [example_row("short_breaks", code) for code in codes]),
                      "chair", today=today).status == "stored"
    collated = breakdown_csv([row for code in codes for row in sex_rows(code, "sb_children_waiting", 5, 7)])
    stored = service.store(tmp_db, CHAIR, "network_breakdowns.csv", collated, today=today)
    assert stored.status == "stored"
    camden = User("returns@camden.example", Role.UPLOADER, "202")

    name, content = service.original_file(tmp_db, camden, stored.submission_id)

    assert name == "network_breakdowns-202-own-rows.csv"
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0] == list(BREAKDOWN_COLUMNS)
    assert rows[1:] == [["202", QUARTER, "sb_children_waiting", "sex", group, count]
                        for group, count in (("Female", "5"), ("Male", "7"), ("Unknown", "0"))]
    # What a member downloads is a valid breakdown file again.
    assert returns.validate_against(tmp_db, name, content, today).ok
    history = views.history_view(service.history(tmp_db, camden))
    assert "Breakdowns of short breaks for disabled children" in set(history["Theme"])


def test_a_network_that_does_not_collect_a_theme_refuses_its_breakdowns(tmp_db, make_csv, example_row, today):
    assert store_file(tmp_db, "adv.csv", make_csv("advice", [example_row("advice")]), "a", today=today).stored
    membership.set_themes(tmp_db, CHAIR, ["short_breaks"])
    report = service.validate(tmp_db, CHAIR, "b.csv", breakdown_csv(sex_rows("202", "adv_returned", 20, 25)),
                              today=today)
    assert [problem.message for problem in report.errors] == [
        "This network does not collect social care advice into ehc needs assessments returns (it collects short "
        "breaks for disabled children): nothing was stored; the chair can add the theme."]


def test_tracker_and_preview_keep_to_the_themes(short_breaks_stored, today):
    db = short_breaks_stored
    content = breakdown_csv(sex_rows("202", "sb_children_total", 200, 212))
    report = returns.validate_against(db, "b.csv", content, today)
    preview = views.breakdown_preview_view(returns.preview(db, report))
    assert preview.to_dict("records") == [{"Authority": "Camden", "Quarter": QUARTER, "Effect": "new return",
                                           "Count broken down": "sb_children_total", "Breakdown": "sex",
                                           "Groups": 3, "Adds up to": "412"}]
    assert store_file(db, "b.csv", content, "a", today=today).stored
    table = tracker.tracker(db, Period.parse(QUARTER), today)
    assert set(table["theme"]) == set(DEFAULT_THEMES)  # the network's collected themes, no breakdown return
    assert table.loc[table["theme"] == "short_breaks", "returned"].tolist() == [True]


# --- templates ------------------------------------------------------------------------------------------


def test_the_one_workbook_template_has_a_breakdowns_sheet_with_lists_and_fills_in_cleanly(tmp_db, example_row,
                                                                                          today):
    book = openpyxl.load_workbook(io.BytesIO(templates.workbook_template()))
    sheet = book[BREAKDOWN_SHEET]
    assert [cell.value for cell in sheet[1]] == list(BREAKDOWN_COLUMNS)
    rules = {str(rule.sqref).split(":")[0]: rule for rule in sheet.data_validations.dataValidation}
    assert [rules[cell].type for cell in ("A2", "B2", "C2", "D2", "E2", "F2")] == ["list"] * 5 + ["whole"]
    assert rules["E2"].formula1 == "INDIRECT($D2)" and rules["E2"].errorStyle == "warning"
    assert set(book.defined_names) == {"ethnicity", "sex", "age_band", "primary_need"}
    guide = book["Guidance"]
    sexes = [row[0].value for row in guide[book.defined_names["sex"].attr_text.split("!")[1].replace("$", "")]]
    assert sexes == ["Female", "Male", "Unknown"]
    assert sheet["E2"].number_format == "@"  # 5-10 stays text

    for theme_id in ("transitions",):
        row = example_row(theme_id)
        book[THEMES[theme_id].sheet].append([row[spec.name] or None for spec in columns(theme_id)])
    for row in [*sex_rows("202", "pfa_turned_18", 4, 5), ["202", QUARTER, "pfa_turned_18", "age_band", "18-25", 9]]:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)

    result = store_file(tmp_db, "return.xlsx", buffer.getvalue(), "a", today=today)
    assert result.status == "stored", result.report.errors
    assert result.report.themes == ["transitions", "transitions_breakdowns"]


def test_write_templates_includes_the_breakdown_templates(tmp_path):
    names = {path.name for path in templates.write_templates(tmp_path)}
    assert {"dsco_return_breakdowns_v2.csv", "dsco_return_breakdowns_v2.xlsx", "dsco_return_v2.xlsx"} <= names
    assert (tmp_path / "dsco_return_breakdowns_v2.csv").read_bytes().decode("utf-8-sig").strip() == \
        ",".join(BREAKDOWN_COLUMNS)


# --- the demo's two years of breakdowns, with the disparities planted ------------------------------------


def _window(frame, last: Period = demo.LAST_QUARTER):
    """The rolling four quarters to `last`."""
    return frame[frame["period_index"].between(last.index - 3, last.index)]


def _katz(a: int, n: int, b: int, m: int) -> tuple[float, float, float]:
    """Relative risk a/n over b/m with its 99.8% Katz interval (SciPy's method, as the issue asks)."""
    result = relative_risk(a, n, b, m)
    interval = result.confidence_interval(0.998)
    return result.relative_risk, interval.low, interval.high


def test_demo_breakdowns_cover_two_years_and_add_up_to_the_current_totals(demo_db):
    stored = stored_breakdowns(demo_db, revised=True)
    assert stored["period_index"].nunique() == 8
    assert set(stored["la_code"]) == set(reference.region_members(demo.LONDON)) - demo.NO_BREAKDOWNS
    assert set(stored["count_of"]) == {"sb_children_total", "adv_returned", "adv_returned_6wk", "pfa_turned_18",
                                       "pfa_care_act_before_18"}
    assert set(stored["breakdown"]) == {"ethnicity", "sex", "age_band", "primary_need"}
    sums = stored.groupby(["la_code", "period_index", "count_of", "breakdown"])["count"].sum().rename("sum")
    totals = demo_db.frame("SELECT la_code, period_index, field AS count_of, value FROM current_values")
    joined = sums.reset_index().merge(totals, on=["la_code", "period_index", "count_of"])
    assert len(joined) == len(sums) and (joined["sum"] == joined["value"]).all()
    bromley = stored[(stored["la_code"] == demo.MAJOR_GROUPS_ONLY) & (stored["breakdown"] == "ethnicity")]
    assert set(bromley["group_name"]) <= {"White", "Mixed", "Asian", "Black", "Other", "Unclassified"}


def test_demo_breakdowns_revised_after_signoff_are_shown_only_when_asked(demo_db):
    quarter = demo.SIGNED_OFF_QUARTER.index

    def lambeth_children(**kwargs) -> float:
        frame = stored_breakdowns(demo_db, period_index=quarter, **kwargs)
        rows = frame[(frame["la_code"] == demo.REVISING_BOROUGH) & (frame["count_of"] == "sb_children_total")
                     & (frame["breakdown"] == "sex")]
        return rows["count"].sum()

    assert lambeth_children(revised=True) == lambeth_children() + 9  # the nine children added after sign-off


def test_demo_plants_the_disparities_the_readme_names(demo_db):
    stored = _window(stored_breakdowns(demo_db))
    # Lewisham: Black children receive short breaks at about half the rate of other children (school census
    # pupils 2022 as the denominator, Unclassified left out of both sides).
    census = reference.pupils_by_ethnicity()
    census = census[(census["census_year"] == demo.ETHNICITY_CENSUS_YEAR) & (census["la_code"] == "209")
                    & (census["ethnicity"] != "Unclassified")]
    served = stored[(stored["la_code"] == "209") & (stored["count_of"] == "sb_children_total")
                    & (stored["breakdown"] == "ethnicity") & (stored["group_name"] != "Unclassified")]
    black = served["group_name"].map(major_ethnic_group) == "Black"
    pupils_black = census["ethnicity"].map(major_ethnic_group) == "Black"
    ratio, _, high = _katz(int(served.loc[black, "count"].sum()), int(census.loc[pupils_black, "headcount"].sum()),
                             int(served.loc[~black, "count"].sum()), int(census.loc[~pupils_black, "headcount"].sum()))
    assert 0.4 < ratio < 0.7 and high < 1

    def adverse(la_code: str, whole: str, part: str, by: str, group: str) -> tuple[float, float, float]:
        rows = stored[(stored["la_code"] == la_code) & (stored["breakdown"] == by)]
        names = rows["group_name"].map(major_ethnic_group) if by == "ethnicity" else rows["group_name"]
        rows = rows.assign(group_name=names)
        wholes = rows[rows["count_of"] == whole].groupby("group_name")["count"].sum()
        parts = rows[rows["count_of"] == part].groupby("group_name")["count"].sum().reindex(wholes.index, fill_value=0)
        missed = wholes - parts
        return _katz(int(missed[group]), int(wholes[group]), int(missed.drop(group).sum()),
                     int(wholes.drop(group).sum()))

    # Brent: advice for Black children late far more often; Croydon: girls less often assessed before 18.
    assert adverse("304", "adv_returned", "adv_returned_6wk", "ethnicity", "Black")[1] > 1
    assert adverse("306", "pfa_turned_18", "pfa_care_act_before_18", "sex", "Female")[1] > 1
    # Elsewhere nothing is planted: Camden's Black children's advice is not judged late at 99.8%.
    assert adverse("202", "adv_returned", "adv_returned_6wk", "ethnicity", "Black")[1] < 1


def test_an_uploader_cannot_probe_another_authoritys_stored_total_through_a_breakdown(tmp_db, make_csv,
                                                                                      example_row, today):
    """Attack: Camden's uploader sends a breakdown for Islington's 3 children waiting (a count other members see
    only as c) and reads the total, or the difference from it, off the sum-to-total error. The control, with the
    checks allowed to read every stored return (as a naive validator would), shows the total; the service does not."""
    waiting = example_row("short_breaks", "206", sb_children_waiting="3")
    assert store_file(tmp_db, "sb.csv", make_csv("short_breaks", [waiting]), "chair", today=today).stored
    probe = breakdown_csv(sex_rows("206", "sb_children_waiting", 1, 1))
    camden = User("returns@camden.example", Role.UPLOADER, "202")

    naive = returns.validate_against(tmp_db, "probe.csv", probe, today)
    assert "sb_children_waiting is 3 in the stored return: 1 too few" in errors(naive)[0]

    for report in (service.validate(tmp_db, camden, "probe.csv", probe, today=today),
                   service.store(tmp_db, camden, "probe.csv", probe, today=today).report):
        assert not report.ok
        shown = " ".join(errors(report) + [problem.message for problem in report.warnings])
        assert " 3 " not in f" {shown} " and "too few" not in shown and "stored return" not in shown
    assert tmp_db.scalar("SELECT count(*) FROM return_breakdowns") == 0


def test_a_corrected_total_warns_that_its_stored_breakdowns_no_longer_add_up(short_breaks_stored, make_csv,
                                                                              example_row, today):
    db = short_breaks_stored
    assert store_file(db, "b.csv", breakdown_csv(sex_rows("202", "sb_children_total", 200, 212)), "a",
                      today=today).stored
    corrected = make_csv("short_breaks", [example_row("short_breaks", sb_children_total="420")])
    report = returns.validate_against(db, "sb2.csv", corrected, today)
    assert report.ok
    assert [problem.message for problem in report.warnings] == [
        "Camden 2025-26 Q1: sb_children_total is 420 in this file, but its stored breakdowns by sex add up to 412: "
        "they stay as stored until you send corrected breakdowns (breakdowns of short breaks for disabled "
        "children)."]
    unchanged = make_csv("short_breaks", [example_row("short_breaks", notes="same figures")])
    assert returns.validate_against(db, "sb3.csv", unchanged, today).warnings == []
