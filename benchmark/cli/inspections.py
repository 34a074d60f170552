"""The `inspections` command: area SEND inspections of the members, and who is likely to be next."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

from benchmark import service
from benchmark.analysis import inspections
from benchmark.cli.common import acting_user, authority_argument, date_argument, fail
from benchmark.db import open_database
from benchmark.definitions.inspections import NEXT_KIND_CHOICES, OUTCOMES
from benchmark.outputs import inspection_views
from benchmark.reference import authority_name

OUTCOME_BY_WORD = {words.split()[0]: words for words in OUTCOMES.values()}  # positive, inconsistent, widespread


def cmd_inspections(args: argparse.Namespace) -> int:
    database = open_database(args.db)
    actor = acting_user(database, args.as_email)
    try:
        if args.action == "load":
            if not args.file:
                return fail("inspections load needs FILE (the inspection summary .xlsx)")
            count = service.load_inspection_summary(database, actor, Path(args.file))
            print(f"{count} inspections loaded from {Path(args.file).name}")
            return 0
        if args.action == "record":
            if not (args.la and args.end):
                return fail("inspections record needs --la LA and --end DATE (the inspection's last day)")
            recorded = service.record_inspection(database, actor, inspections.Inspection(
                args.la, OUTCOME_BY_WORD[args.outcome] if args.outcome else None, args.end, args.published,
                args.next_by, args.next_kind))
            print(f"inspection of {authority_name(recorded.la_code)} ending {recorded.inspection_end:%d %b %Y} "
                  "recorded")
            return 0
    except (ValueError, OSError) as error:
        return fail(str(error))
    table = service.inspection_list(database, actor, args.today)
    if args.format == "json":
        print(json.dumps(inspection_views.likely_next_json(table), indent=2))
    else:
        print("Area SEND inspections, members in the order they are likely to be inspected next "
              "(no inspection in the summary first, then by the date the next one is due):")
        print(inspection_views.likely_next_view(table).to_string(index=False) if len(table) else "No members.")
    return 0


def add_inspections_parser(command: Callable[..., argparse.ArgumentParser]) -> None:
    sub = command("inspections", cmd_inspections, "Area SEND inspections: list (members likely to be inspected "
                  "next), load FILE (the inspection summary), record --la LA --end DATE [...] (chair; audited).")
    sub.add_argument("action", nargs="?", choices=("list", "load", "record"), default="list")
    sub.add_argument("file", nargs="?", metavar="FILE", help="load: the inspection summary .xlsx")
    sub.add_argument("--format", choices=("text", "json"), default="text")
    sub.add_argument("--today", type=date_argument,
                     help="list: count months and due dates to this day (default: today)")
    sub.add_argument("--la", type=authority_argument, help="record: the authority inspected")
    sub.add_argument("--end", type=date_argument, help="record: the inspection's last day, e.g. 2026-10-16")
    sub.add_argument("--outcome", choices=tuple(OUTCOME_BY_WORD), help="record: the outcome")
    sub.add_argument("--published", type=date_argument, help="record: the report's publication date")
    sub.add_argument("--next-by", dest="next_by", type=date_argument,
                     help="record: next inspection due by this date")
    sub.add_argument("--next-kind", dest="next_kind", choices=NEXT_KIND_CHOICES, help="record: full or monitoring")
    sub.add_argument("--as", dest="as_email", metavar="EMAIL", help="act as this member")
