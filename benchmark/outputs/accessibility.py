"""The accessibility statement's facts, kept once: the Accessibility page shows them and the browser
audit (tests/shell/test_accessibility_browser.py) fails when Streamlit's markup breaks a rule not listed here.
"""

from __future__ import annotations

STANDARD = "Web Content Accessibility Guidelines version 2.2, level AA"
LAST_TESTED = "29 November 2026"
# The axe-core rule sets the audit runs: every WCAG 2.0, 2.1 and 2.2 level A and AA rule.
AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa")
# Rules that fail only in markup Streamlit itself draws and the dashboard cannot change, with what a
# user meets. The browser audit asserts that these, and no others, are reported.
STREAMLIT_RULES = {
    "list": "The page list in the sidebar is a list whose items are wrapped in extra containers, so a "
            "screen reader may not announce how many pages there are.",
    "listitem": "Each page link in the sidebar is announced as a list item outside its list.",
}
REPORT_PROBLEM = (
    "If you find a problem not listed here, or need a table or chart in another format, tell your network "
    "chair, who raises it with the team that runs the dashboard. We aim to reply within 10 working days."
)
ENFORCEMENT = (
    "The Equality and Human Rights Commission (EHRC) is responsible for enforcing the Public Sector Bodies "
    "(Websites and Mobile Applications) (No. 2) Accessibility Regulations 2018. If you are not happy with how "
    "we respond to your complaint, contact the Equality Advisory and Support Service (EASS)."
)
