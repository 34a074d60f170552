"""What people read: plain headings, the metric's own decimals and unit, no raw codes, JSON or 'None'."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from benchmark.analysis import engine
from benchmark.db import Database
from benchmark.definitions.breakdowns import BREAKDOWN_RETURNS, submission_title
from benchmark.definitions.metrics import CATALOGUE, METRICS
from benchmark.definitions.standard import THEMES, VALUE_FIELDS
from benchmark.intake import returns
from benchmark.outputs import views
from benchmark.periods import Period

LATEST = Period.parse("2026-27 Q2")
ENGINE_NAMES = {"la_code", "la_name", "ci_low", "ci_high", "group_reported", "submission_id", "file_name",
                "on_behalf_of", "detail", "quartile_band", "sn_mean"}


@pytest.mark.parametrize("metric_id", ["adv_6wk_pct", "sb_reach_per_10k", "sb_spend_per_child",
                                       "sb_assessment_days_median"])
def test_comparison_view_reads_plainly_with_the_metrics_decimals(demo_db: Database, metric_id: str) -> None:
    metric = METRICS[metric_id]
    table = engine.compare(demo_db, LATEST, metric_id, "network", "202")
    view = views.comparison_view(table, metric)
    assert view.columns[0] == views.AUTHORITY and not ENGINE_NAMES & set(view.columns)
    value_column = view.columns[1]
    shown = [text for text in view[value_column] if text != "-"]
    decimals = {len(text.rstrip("%").split(".")[1]) if "." in text else 0 for text in shown}
    assert decimals == {metric.decimals}, (metric_id, shown[:5])
    if metric.unit == "%":
        assert all(text.endswith("%") for text in shown)
    if metric.unit == "GBP":
        assert all(text.startswith("£") for text in shown)
    assert ("95% interval" in view.columns) == metric.has_interval
    camden = view.set_index(views.AUTHORITY).loc["Camden"]
    assert camden["Rank"].endswith(f"of {int(table['group_reported'].iloc[0])}")


def test_comparison_download_keeps_every_column_under_plain_headings(demo_db: Database) -> None:
    metric = METRICS["adv_6wk_pct"]
    table = engine.compare(demo_db, LATEST, metric.id, "network", "202")
    download = views.comparison_download(table, metric)
    assert len(download.columns) == len(table.columns) + 1  # and the unit
    assert not ENGINE_NAMES & set(download.columns)
    assert {"95% interval, lower", "95% interval, upper", "DfE code"} <= set(download.columns)


def test_audit_view_has_no_raw_json_codes_or_none(demo_db: Database) -> None:
    log = demo_db.frame("SELECT audit_id, recorded_at, actor, action, la_code, on_behalf_of, detail FROM audit_log "
                        "ORDER BY audit_id DESC")
    view = views.audit_view(log)
    assert list(view.columns) == ["Entry", "When", "Who", "What", "Authority", "On behalf of", "Details"]
    text = view.to_string()
    assert "None" not in text and "{" not in text and "sha256" not in text
    stored = next(position for position, detail in enumerate(log["detail"]) if "submission_id" in json.loads(detail))
    first = json.loads(log["detail"].iloc[stored])
    assert f"submission id: {first['submission_id']}" in view["Details"].iloc[stored]
    assert set(view["Authority"]) - {""} <= {name for name in view["Authority"] if not name.isdigit()}


def test_history_view_names_the_theme_and_hides_the_fingerprint(demo_db: Database) -> None:
    view = views.history_view(returns.history(demo_db))
    assert list(view.columns[:3]) == ["Submission", "Stored at", "Theme"]
    assert "SHA-256 fingerprint" not in view.columns and not ENGINE_NAMES & set(view.columns)
    assert set(view["Theme"]) <= {*views.THEME_HEADINGS.values(), *map(submission_title, BREAKDOWN_RETURNS)}
    assert "Breakdowns of short breaks for disabled children" in set(view["Theme"])


def test_a_one_row_preview_is_turned_on_its_side_with_field_labels() -> None:
    preview = pd.DataFrame([{"la_code": "202", "Authority": "Camden", "Quarter": "2026-27 Q2",
                             "Effect": "new return", "adv_requests": 61.0, "adv_returned": None, "notes": ""}])
    side = views.preview_view(preview, "advice")
    assert list(side.columns) == ["Field", "Camden, 2026-27 Q2"]
    rows = side.set_index("Field")["Camden, 2026-27 Q2"]
    assert rows[VALUE_FIELDS["adv_requests"].label] == "61" and rows[VALUE_FIELDS["adv_returned"].label] == ""
    wide = views.preview_view(pd.concat([preview] * 5), "advice")
    assert VALUE_FIELDS["adv_requests"].label in wide.columns and "la_code" not in wide.columns


def test_a_summed_numerator_is_bracketed_in_every_formula() -> None:
    metric = METRICS["adv_6wk_incl_exceptions_pct"]
    assert metric.formula == "(adv_returned_6wk + adv_late_exception) / adv_returned x 100"
    for metric in CATALOGUE:
        if len(metric.numerator) > 1:
            assert metric.formula.startswith("("), metric.id


def test_metric_catalogue_view_has_no_developer_note() -> None:
    from benchmark.intake import templates

    assert "do not edit by hand" not in templates.standard_fields_markdown()
    assert "do not edit by hand" in templates.standard_markdown()
    catalogue = pd.concat([views.metric_catalogue_view(theme) for theme in THEMES])
    assert len(catalogue) == len(CATALOGUE)


def test_finding_states_rank_and_side_of_the_median(demo_db: Database) -> None:
    metric = METRICS["adv_6wk_pct"]
    table = engine.compare(demo_db, LATEST, metric.id, "network", "202")
    camden = table.set_index("la_code").loc["202"]
    sentence = views.finding(metric, table, "202")
    side = "above" if camden["value"] > camden["network_median"] else "below"
    assert sentence.startswith(f"Camden: {metric.format(camden['value'])}, rank {int(camden['rank'])} of ")
    assert f"{side} the network median" in sentence
