"""Area SEND inspections (Ofsted and CQC, framework from January 2023): outcomes and follow-up, defined once.

The inspection summary the network reads is Data to Insight's scrape of the published reports
(`ofsted_csc_send_overview.xlsx`, MIT licence; the reports are Ofsted's, Open Government Licence v3.0).
"""

from __future__ import annotations

import datetime as dt

FRAMEWORK_START = dt.date(2023, 1, 1)
SUMMARY_FILE = "ofsted_csc_send_overview.xlsx"
SUMMARY_SOURCE = ("Data to Insight, area SEND inspection summary (ofsted_csc_send_overview.xlsx, MIT licence), "
                  "scraped from Ofsted and CQC's published reports (Open Government Licence v3.0)")

# The three outcomes in the inspection report's own words, by the grade Data to Insight gives them.
OUTCOMES: dict[int, str] = {
    1: "positive experiences",
    2: "inconsistent experiences",
    3: "widespread or systemic failings",
}
# What follows each outcome, as the framework says it (the report's own date is used where it gives one).
FOLLOW_UP: dict[str, str] = {
    "positive experiences": "next full inspection within about 5 years",
    "inconsistent experiences": "next full inspection within about 3 years",
    "widespread or systemic failings": "monitoring inspection within about 18 months and a priority action plan",
}
# The summary's `next_inspection` text, and the kind of inspection it means.
NEXT_KINDS: dict[str, str] = {"5 years": "full", "3 years": "full", "18 months": "monitoring"}
NEXT_KIND_CHOICES = ("full", "monitoring")
NOT_STATED = "not stated"
# Dates the summary writes for "no date": 01/01/1900 means no earlier inspection.
NO_DATE = dt.date(1900, 1, 1)
# The columns the loader needs; a newer copy of the file with these columns is read without a code change.
SUMMARY_COLUMNS = ("la_code", "local_authority", "outcome_grade", "inspection_end_date", "publication_date",
                   "next_inspection", "next_inspection_by_date")
