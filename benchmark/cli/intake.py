"""Commands for returns coming in: validate, import, history, template, demo, metrics, docs and
loading published statistics."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from benchmark import service
from benchmark.analysis import published, published_measures
from benchmark.cli.common import acting_user, fail, read_files, reading_database
from benchmark.db import open_database
from benchmark.definitions import published_catalogue
from benchmark.definitions.metrics import CATALOGUE
from benchmark.definitions.standard import THEMES, columns
from benchmark.demo import DemoRefused, load_demo
from benchmark.intake import returns, templates
from benchmark.outputs import views

DOCS_PATH = Path(__file__).resolve().parent.parent.parent / "docs" / "data-standard.md"


def print_report(report_dict: dict) -> None:
    state = "valid" if report_dict["ok"] else "INVALID"
    themes = "; ".join(THEMES[theme_id].title for theme_id in report_dict["themes"]) or "theme not recognised"
    print(f"{report_dict['file']}: {state} ({themes}, {report_dict['rows_checked']:,} row(s) checked)")
    for kind in ("errors", "warnings"):
        for problem in report_dict[kind]:
            value = problem["value"]
            where = ", ".join(
                part for part in (
                    f"sheet '{problem['sheet']}'" if problem["sheet"] else "",
                    f"row {problem['row']}" if problem["row"] else "",
                    f"column {problem['column']}" if problem["column"] else "",
                    f"value '{value}'" if value not in (None, "") and f"'{value}'" not in problem["message"] else "",
                ) if part
            )
            label = "error" if kind == "errors" else "warning"
            print(f"  {label}: {where + ': ' if where else ''}{problem['message']}")
        if report_dict[f"{kind}_not_shown"]:
            print(f"  ...and {report_dict[f'{kind}_not_shown']:,} more {kind} not listed")


def cmd_validate(args: argparse.Namespace) -> int:
    files = read_files(args.files)
    database = open_database(args.db) if args.db else None
    reports = [returns.validate_against(database, name, content).as_dict() for name, content in files]
    if args.json:
        print(json.dumps(reports, indent=2, default=str))
    else:
        for report in reports:
            print_report(report)
    return 0 if all(report["ok"] for report in reports) else 1


def cmd_import(args: argparse.Namespace) -> int:
    files = read_files(args.files)
    database = open_database(args.db)
    actor = acting_user(database, args.as_email)
    all_stored = True
    for name, content in files:
        result = service.store(database, actor, name, content)
        all_stored &= result.stored
        print(("stored: " if result.stored else "refused: ") + result.message)
        if not result.stored or result.report.warnings:
            print_report(result.report.as_dict())
    return 0 if all_stored else 1


def cmd_history(args: argparse.Namespace) -> int:
    if args.original is not None:
        database = open_database(args.db)  # taking the exact file is audited: the writable database
        if not args.out:
            return fail("--original needs --out FILE: the exact file is written, never printed")
        out = Path(args.out)
        try:  # opened first, so that nothing is audited as taken when it cannot be written
            target = out.open("wb")
        except OSError as error:
            return fail(f"cannot write {args.out}: {error.strerror}")
        with target:
            try:
                name, content = service.exact_original(database, acting_user(database, None), args.original)
            except KeyError:
                target.close()
                out.unlink()
                return fail(f"there is no submission {args.original}")
            target.write(content)
        print(f"{args.out}: the exact file {name} that submission {args.original} stored ({len(content):,} bytes)")
        return 0
    database = reading_database(args.db)
    frame = service.history(database, acting_user(database, None)).drop(columns=["sha256"])
    if args.json:
        print(frame.to_json(orient="records", date_format="iso", indent=2))
    elif frame.empty:
        print("No submissions yet: store one with `python -m benchmark import FILE`.")
    else:
        print(views.history_view(frame).to_string(index=False))
    return 0


def cmd_template(args: argparse.Namespace) -> int:
    for path in templates.write_templates(Path(args.out)):
        print(path)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    database = open_database(args.db)
    try:
        results = load_demo(database)
    except DemoRefused as refusal:
        print(f"error: {refusal}", file=sys.stderr)
        return 1
    if not results:
        print(f"The demo network is already loaded in {database.path}.")
    else:
        print(f"Loaded the synthetic demo network into {database.path}: {len(results)} files stored.")
    return 0


def cmd_metrics(args: argparse.Namespace) -> int:
    catalogue = [
        {"id": metric.id, "name": metric.name, "theme": metric.theme, "unit": metric.unit,
         "polarity": metric.polarity.value, "formula": metric.formula, "numerator": list(metric.numerator),
         "denominator": metric.denominator, "decimals": metric.decimals, "definition": metric.definition,
         "legal_basis": metric.legal_basis}
        for metric in CATALOGUE
    ]
    fields = [
        {"theme": theme_id, "field": spec.name, "label": spec.label, "type": spec.kind.value,
         "required": spec.required, "description": spec.description, "legal_basis": spec.legal_basis}
        for theme_id in THEMES for spec in columns(theme_id)
    ]
    if args.json:
        print(json.dumps({"metrics": catalogue, "fields": fields}, indent=2))
        return 0
    print("Metric catalogue (ids are stable: use them with `compare --metric`):")
    for metric in catalogue:
        print(f"  {metric['id']:<30} {metric['polarity']:<8} {metric['unit']:<20} {metric['name']}")
    print("\nFields of the data standard:")
    for row in fields:
        print(f"  {row['theme']:<13} {row['field']:<28} {row['type']:<9} {row['label']}")
    return 0


def cmd_published_load(args: argparse.Namespace) -> int:
    paths = [Path(name) for name in args.files]
    missing = [str(path) for path in paths if not path.is_file()]
    if missing:
        return fail(f"no such file: {', '.join(missing)}")
    try:
        summaries = published.load_published(open_database(args.db), paths)
    except ValueError as error:
        print(f"refused: {error}", file=sys.stderr)
        return 1
    for summary in summaries:
        print(f"loaded {summary.source}: {summary.rows:,} values, {len(summary.indicators)} indicators, "
              f"periods {', '.join(summary.periods)}, {summary.symbols:,} symbols kept")
        print(f"  {_catalogue_note(summary.source)}")
    return 0


def _catalogue_note(source: str) -> str:
    """Which catalogued published measures a loaded file feeds, or that it feeds none (yet)."""
    family = published_measures.source_family(source)
    fed = [measure.id for measure in published_catalogue.CATALOGUE if measure.source == family]
    if fed:
        return f"series {family}: feeds {', '.join(fed)}"
    return f"series {family}: no catalogued measure reads it; stored in the published table"


def cmd_docs(args: argparse.Namespace) -> int:
    path = Path(args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(templates.standard_markdown(), encoding="utf-8")
    print(path)
    return 0
