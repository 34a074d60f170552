"""The published context where people look, through Streamlit's AppTest: a section at the foot of each
theme page, every catalogued measure on the Published context page, a table on My authority."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from test_pages import LATEST, THEME_PAGES, assert_clean, chart_specs, chart_title, open_page, texts

from benchmark.analysis import published_measures as pm
from benchmark.db import open_database
from benchmark.definitions import published_catalogue as catalogue


def _context_table(at: AppTest) -> pd.DataFrame:
    [table] = [frame.value for frame in at.dataframe if "SN reported" in frame.value.columns]
    return table


@pytest.mark.parametrize("theme_id", THEME_PAGES)
def test_theme_page_ends_with_its_published_context(theme_id: str, on_demo: Path) -> None:
    at = open_page(THEME_PAGES[theme_id], la="202")
    assert_clean(at)
    assert at.header[-1].value == "Published context"
    table = _context_table(at)
    assert table["Measure"].tolist() == [measure.short for measure in catalogue.measures_for_theme(theme_id)]
    assert "Open Government Licence" in texts(at)


def test_theme_page_context_figures_are_the_files(on_demo: Path) -> None:
    at = open_page(THEME_PAGES["advice"], la="206")
    table = _context_table(at).set_index("Measure")
    # timeliness_20_week.csv 2024, All EHC plans issued, PC_plans_issued_20_weeks_ex: Islington 79.5,
    # London 66.9, England 46.4.
    row = table.loc[catalogue.MEASURES["ehcp_20wk_excl_pct"].short]
    assert (row["Value"], row["Region"], row["England"], row["As at"]) == ("79.5%", "66.9%", "46.4%", "calendar 2024")


def test_short_breaks_page_shows_the_joined_measure_with_both_dates(on_demo: Path) -> None:
    at = open_page(THEME_PAGES["short_breaks"], la="202")
    shown = texts(at)
    assert f"Children receiving short breaks in {LATEST}" in shown
    assert "31 March 2024" in shown and "mixes two kinds of count" in shown
    [reach] = [frame.value for frame in at.dataframe if "Reach (%)" in frame.value.columns]
    city = reach.set_index("Authority").loc["City of London"]
    assert city["CIN with a recorded disability"] == "c" and city["Reach (%)"] == "-"


@pytest.mark.parametrize("measure_id", list(catalogue.MEASURES))
def test_published_page_draws_every_catalogued_measure(measure_id: str, on_demo: Path) -> None:
    at = open_page("pages/published.py", la="202", series=measure_id)
    assert_clean(at)
    measure = catalogue.MEASURES[measure_id]
    [spec] = chart_specs(at)
    assert chart_title(spec).startswith(f"{measure.name}: Camden, ")
    by_year = next(frame.value for frame in at.dataframe if "SN reported" in frame.value.columns)
    values = pm.measure_values(open_database(on_demo), measure)
    assert by_year["As at"].tolist() == [measure.when(period) for period in sorted(values["period"].unique())]


def test_my_authority_has_every_published_measure(on_demo: Path) -> None:
    at = open_page("pages/my_authority.py", la="202", period=LATEST)
    assert_clean(at)
    table = _context_table(at)
    assert table["Measure"].tolist() == [measure.short for measure in catalogue.CATALOGUE]
