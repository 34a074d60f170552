"""`python -m benchmark ...`: the command line over the same functions the dashboard uses."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from benchmark import service
from benchmark.access import membership, rights
from benchmark.analysis import cycle, discussion, groups, inspections, published, published_measures, tracker
from benchmark.analysis.groups import GroupError
from benchmark.db import Database, DatabaseBusy, open_database
from benchmark.definitions import published_catalogue
from benchmark.definitions.disclosure_rules import AUDIENCES
from benchmark.definitions.inspections import NEXT_KIND_CHOICES, OUTCOMES
from benchmark.definitions.metrics import CATALOGUE, METRICS
from benchmark.definitions.standard import THEMES, columns
from benchmark.demo import DemoRefused, load_demo
from benchmark.intake import commentary, returns, templates
from benchmark.outputs import exports, inspection_views, packs
from benchmark.periods import Period, PeriodError
from benchmark.reference import authority_name, resolve_authority

DOCS_PATH = Path(__file__).resolve().parent.parent / "docs" / "data-standard.md"


class _Parser(argparse.ArgumentParser):
    """Bad arguments exit 2 with a one-line reason, not a usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _read_files(paths: Sequence[str]) -> list[tuple[str, bytes]]:
    files = []
    for name in paths:
        path = Path(name)
        if not path.is_file():
            raise SystemExit(_fail(f"no such file: {name}"))
        files.append((path.name, path.read_bytes()))
    return files


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def _print_report(report_dict: dict) -> None:
    state = "valid" if report_dict["ok"] else "INVALID"
    themes = ", ".join(report_dict["themes"]) or "theme not recognised"
    print(f"{report_dict['file']}: {state} ({themes}, {report_dict['rows']} row(s))")
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
    files = _read_files(args.files)
    database = open_database(args.db) if args.db else None
    reports = [returns.validate_against(database, name, content).as_dict() for name, content in files]
    if args.json:
        print(json.dumps(reports, indent=2, default=str))
    else:
        for report in reports:
            _print_report(report)
    return 0 if all(report["ok"] for report in reports) else 1


def _actor(database: Database, email: str | None) -> rights.User:
    """--as EMAIL acts as that member, under the same rules as the pages; without it the person
    at the server's command line acts as the network's operator (chair)."""
    if email is None:
        return rights.local_operator(getpass.getuser())
    user = rights.member(database, email)
    if user is None:
        raise rights.AccessDenied(f"{email} is not a member of this network")
    return user


def cmd_import(args: argparse.Namespace) -> int:
    files = _read_files(args.files)
    database = open_database(args.db)
    actor = _actor(database, args.as_email)
    all_stored = True
    for name, content in files:
        result = service.store(database, actor, name, content)
        all_stored &= result.stored
        print(("stored: " if result.stored else "refused: ") + result.message)
        if not result.stored or result.report.warnings:
            _print_report(result.report.as_dict())
    return 0 if all_stored else 1


def cmd_history(args: argparse.Namespace) -> int:
    database = open_database(args.db)
    frame = service.history(database, _actor(database, None)).drop(columns=["sha256"])
    if args.json:
        print(frame.to_json(orient="records", date_format="iso", indent=2))
    elif frame.empty:
        print("No submissions yet: store one with `python -m benchmark import FILE`.")
    else:
        print(frame.to_string(index=False))
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


def _period(text: str) -> Period:
    try:
        return Period.parse(text)
    except PeriodError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _authority(text: str) -> str:
    code = resolve_authority(text)
    if code is None:
        raise argparse.ArgumentTypeError(f"'{text}' is not an English authority")
    return code


def _metric_id(text: str) -> str:
    if text not in METRICS:
        raise argparse.ArgumentTypeError(f"unknown metric '{text}' (see `python -m benchmark metrics`)")
    return text


def cmd_compare(args: argparse.Namespace) -> int:
    database = open_database(args.db)
    try:
        table = service.outward_compare(database, _actor(database, None), args.period, args.metric, args.group,
                                        args.for_la, args.audience, revised=args.revised)
    except (ValueError, GroupError) as error:
        return _fail(str(error))
    if args.format == "json":
        print(table.to_json(orient="records", indent=2, date_format="iso"))
    else:
        table.to_csv(sys.stdout, index=False)
    return 0


def cmd_tracker(args: argparse.Namespace) -> int:
    database = open_database(args.db)
    grid = service.tracker_grid(database, _actor(database, None), args.period)
    if args.format == "json":
        print(tracker.tracker(database, args.period).drop(columns=["returned"]).to_json(
            orient="records", indent=2, date_format="iso"))
    elif args.format == "csv":
        grid.to_csv(sys.stdout, index=False)
    else:
        summary = service.completeness(database, _actor(database, None), args.period)
        print(f"{args.period}: {summary['returns_received']} of {summary['returns_expected']} theme returns from "
              f"{summary['authorities']} authorities; {summary['authorities_complete']} complete.")
        print(_cycle_line(database, args.period, summary))
        print(grid.to_string(index=False))
    return 0


def cmd_published_load(args: argparse.Namespace) -> int:
    paths = [Path(name) for name in args.files]
    missing = [str(path) for path in paths if not path.is_file()]
    if missing:
        return _fail(f"no such file: {', '.join(missing)}")
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


def cmd_context(args: argparse.Namespace) -> int:
    database = open_database(args.db)
    rows = service.published_context(database, _actor(database, args.as_email), args.for_la, args.theme)
    if args.format == "json":
        print(json.dumps(rows.astype(object).where(rows.notna(), None).to_dict("records"), indent=2))
        return 0
    table = service.published_context_table(database, _actor(database, args.as_email), args.for_la, args.theme)
    print(table.drop(columns=["measure", "neutral", "Polarity"]).to_string(index=False))
    return 0


def cmd_pack(args: argparse.Namespace) -> int:
    database = open_database(args.db)
    themes = tuple(args.themes.split(",")) if args.themes else membership.network_themes(database)
    actor = _actor(database, args.as_email)
    try:
        request = packs.PackRequest(args.period, args.group, themes, args.audience, args.for_la,
                                    tuple(args.pages or ()), revised=args.revised)
        pack = service.build_pack(database, actor, request)
    except (ValueError, GroupError) as error:
        return _fail(str(error))
    Path(args.out).write_bytes(service.render_pack(database, actor, pack, args.format))
    print(f"wrote {args.out}: {args.format} pack for {args.period}, {pack.group_label}, audience {args.audience}")
    return 0


def cmd_discussion(args: argparse.Namespace) -> int:
    database = open_database(args.db)
    try:
        request = packs.PackRequest(args.period, args.group, audience=args.audience, own_la=args.for_la)
        pack = service.discussion(database, _actor(database, None), request)
    except (ValueError, GroupError) as error:
        return _fail(str(error))
    items = pack.discussion_all if args.all else pack.discussion
    if args.format == "json":
        print(items.to_json(orient="records", indent=2, force_ascii=False))
        return 0
    print(f"For discussion, {args.period}, {pack.group_label}: {len(items)} item(s)")
    for theme_id in dict.fromkeys(items["theme"]):
        print(f"\n{THEMES[theme_id].title}")
        for sentence in items.loc[items["theme"] == theme_id, "sentence"]:
            print(f"  - {sentence}")
    if not args.all and pack.discussion_left_out:
        print("\n" + discussion.left_out_text(pack.discussion_left_out, "shown by `discussion --all`"))
    print(f"\nNarrative requests (top or bottom 20% on a headline metric): {len(pack.narrative_requests)}")
    for record in pack.narrative_requests.to_dict("records"):
        print(f"  - {record['Authority']}: {record['Metric']}, {record['Position']}")
    return 0


def cmd_members(args: argparse.Namespace) -> int:
    database = open_database(args.db)
    actor = _actor(database, args.as_email)
    try:
        if args.action == "add":
            if not args.email or not args.role:
                return _fail("members add needs EMAIL and --role")
            added = rights.add_member(database, actor, args.email, args.role, args.la, args.name or "")
            print(f"added {added.label}")
        elif args.action == "remove":
            if not args.email:
                return _fail("members remove needs EMAIL")
            rights.remove_member(database, actor, args.email)
            print(f"removed {args.email}")
    except ValueError as error:
        return _fail(str(error))
    if args.action == "list":
        frame = rights.members(database)
        print(frame.to_string(index=False) if len(frame) else "No members yet.")
    return 0


def cmd_groups(args: argparse.Namespace) -> int:
    database = open_database(args.db)
    actor = _actor(database, args.as_email)
    try:
        if args.action == "add":
            codes = service.save_group(database, actor, args.name, args.members)
            print(f"saved group '{args.name}': {', '.join(codes)}")
        elif args.action == "remove":
            service.delete_group(database, actor, args.name)
            print(f"removed group '{args.name}'")
    except GroupError as error:
        return _fail(str(error))
    if args.action == "list":
        for name, members in groups.custom_groups(database).items():
            print(f"{name}: {', '.join(members)}")
    return 0


def _cycle_line(database: Database, period: Period, summary: dict) -> str:
    """Deadline, overdue and late counts, and the sign-off state, in one line."""
    signed = cycle.signoff(database, period)
    state = (f"signed off {signed.signed_at:%d %b %Y} by {signed.signed_by}" if signed else "not signed off")
    return (f"Due {summary['deadline']:%d %b %Y}: {summary['overdue']} overdue, {summary['returned_late']} returned "
            f"late; {state}" + (f"; {summary['revised_after_signoff']} revised after sign-off"
                                if summary["revised_after_signoff"] else "") + ".")


def cmd_network(args: argparse.Namespace) -> int:
    database = open_database(args.db)
    actor = _actor(database, args.as_email)
    try:
        if args.action == "add":
            for item in membership.add_authorities(database, actor, args.items, args.from_period):
                print(f"{item.name} is a member from {item.joined}")
        elif args.action == "remove":
            for code in membership.remove_authorities(database, actor, args.items, args.from_period):
                print(f"{authority_name(code)} leaves the network from {args.from_period or Period.current()}")
        elif args.action == "themes":
            print("The network collects: " + ", ".join(membership.set_themes(database, actor, args.items)))
        elif args.action == "deadline":
            if args.days is not None:
                cycle.set_deadline_days(database, actor, args.days)
            if args.items:
                if len(args.items) != 2:
                    return _fail("network deadline takes PERIOD DATE, e.g. '2026-27 Q2' 2026-11-06")
                cycle.set_deadline(database, actor, _period(args.items[0]), _date(args.items[1]))
            print(f"Returns are due {cycle.deadline_days(database)} days after each quarter ends, unless the chair "
                  "set a date for the quarter.")
    except (ValueError, argparse.ArgumentTypeError) as error:
        return _fail(str(error))
    if args.action == "list":
        table = membership.members_table(database)
        listing = {"members_set": membership.members_are_set(database),
                   "themes": list(membership.network_themes(database)),
                   "deadline_days": cycle.deadline_days(database),
                   "authorities": table.to_dict("records")}
        if args.json:
            print(json.dumps(listing, indent=2))
        else:
            state = "set by the chair" if listing["members_set"] else (
                "not set yet: any authority may return, and becomes a member from its first quarter")
            print(f"Members: {len(table)} ({state}). Themes: {', '.join(listing['themes'])}. "
                  f"Returns due {listing['deadline_days']} days after each quarter.")
            if len(table):
                print(table.to_string(index=False))
    return 0


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date like 2026-11-06") from None


OUTCOME_BY_WORD = {words.split()[0]: words for words in OUTCOMES.values()}  # positive, inconsistent, widespread


def cmd_inspections(args: argparse.Namespace) -> int:
    database = open_database(args.db)
    actor = _actor(database, args.as_email)
    try:
        if args.action == "load":
            if not args.file:
                return _fail("inspections load needs FILE (the inspection summary .xlsx)")
            count = service.load_inspection_summary(database, actor, Path(args.file))
            print(f"{count} inspections loaded from {Path(args.file).name}")
            return 0
        if args.action == "record":
            if not (args.la and args.end):
                return _fail("inspections record needs --la LA and --end DATE (the inspection's last day)")
            recorded = service.record_inspection(database, actor, inspections.Inspection(
                args.la, OUTCOME_BY_WORD[args.outcome] if args.outcome else None, args.end, args.published,
                args.next_by, args.next_kind))
            print(f"inspection of {authority_name(recorded.la_code)} ending {recorded.inspection_end:%d %b %Y} "
                  "recorded")
            return 0
    except (ValueError, OSError) as error:
        return _fail(str(error))
    table = service.inspection_list(database, actor, args.today)
    if args.format == "json":
        print(json.dumps(inspection_views.likely_next_json(table), indent=2))
    else:
        print("Area SEND inspections, members in the order they are likely to be inspected next "
              "(no inspection in the summary first, then by the date the next one is due):")
        print(inspection_views.likely_next_view(table).to_string(index=False) if len(table) else "No members.")
    return 0


def cmd_signoff(args: argparse.Namespace) -> int:
    database = open_database(args.db)
    actor = _actor(database, args.as_email)
    try:
        if args.reopen:
            service.reopen(database, actor, args.period)
            print(f"{args.period} reopened: it shows the latest returns again.")
        else:
            signed = service.sign_off(database, actor, args.period)
            print(f"{args.period} signed off at {signed.signed_at:%d %b %Y %H:%M}: its figures stay as they are now; "
                  "later resubmissions are listed as revised after sign-off (see them with --revised).")
    except ValueError as error:
        return _fail(str(error))
    return 0


def cmd_withdraw(args: argparse.Namespace) -> int:
    database = open_database(args.db)
    try:
        service.withdraw(database, _actor(database, args.as_email), args.submission_id, args.reason or "")
    except ValueError as error:
        return _fail(str(error))
    print(f"withdrew submission {args.submission_id}: the earlier version (if any) is current again; "
          "the file stays in the history.")
    return 0


def cmd_chase(args: argparse.Namespace) -> int:
    database = open_database(args.db)
    table = service.chase_list(database, _actor(database, args.as_email), args.period)
    if args.format == "json":
        print(table.to_json(orient="records", indent=2, date_format="iso"))
    elif args.format == "csv":
        sys.stdout.write(exports.to_csv_bytes(table).decode("utf-8-sig"))
    elif table.empty:
        print(f"Nobody is overdue for {args.period}.")
    else:
        print(table.drop(columns=["mailto"]).to_string(index=False))
    return 0


def cmd_commentary(args: argparse.Namespace) -> int:
    database = open_database(args.db)
    actor = _actor(database, args.as_email)
    try:
        if args.action == "write":
            if not (args.la and args.on and args.text is not None):
                return _fail("commentary write needs --la, --on METRIC_OR_THEME and --text")
            service.write_commentary(database, actor, args.la, args.period, args.on, args.text)
            print(f"commentary on {commentary.subject_name(args.on)} stored for {args.period}")
            return 0
    except ValueError as error:
        return _fail(str(error))
    table = commentary.current(database, args.period, [args.la] if args.la else None)
    if args.json:
        print(table.drop(columns=["period_index"]).to_json(orient="records", indent=2, date_format="iso"))
    else:
        print(table.drop(columns=["period_index"]).to_string(index=False) if len(table) else "No commentary.")
    return 0


def cmd_docs(args: argparse.Namespace) -> int:
    path = Path(args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(templates.standard_markdown(), encoding="utf-8")
    print(path)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m benchmark", description="DSCO network benchmarking: returns and comparisons.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def command(name: str, handler: Callable[[argparse.Namespace], int], help_text: str,
                db: bool = True) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        if db:
            sub.add_argument("--db", help="DuckDB file (default: $DSCO_DB, else data/dsco.duckdb)")
        sub.set_defaults(handler=handler)
        return sub

    sub = command("validate", cmd_validate, "Check return files against the data standard; store nothing.")
    sub.add_argument("files", nargs="+", metavar="FILE")
    sub.add_argument("--json", action="store_true", help="print a JSON list, one object per file")

    sub = command("import", cmd_import, "Validate and store return files, each on its own.")
    sub.add_argument("files", nargs="+", metavar="FILE")
    sub.add_argument("--as", dest="as_email", metavar="EMAIL",
                     help="act as this member, under the same rules as the dashboard (default: server operator)")

    sub = command("history", cmd_history, "List stored submissions, newest first.")
    sub.add_argument("--json", action="store_true")

    sub = command("template", cmd_template, "Write blank CSV and .xlsx templates for each theme, and one workbook "
                  "with a sheet per theme.", db=False)
    sub.add_argument("--out", default="templates", help="folder to write into (default: templates)")

    command("demo", cmd_demo, "Load the embedded synthetic demo network (33 London boroughs, 8 quarters).")

    sub = command("metrics", cmd_metrics, "List the metric catalogue and the fields of the data standard.", db=False)
    sub.add_argument("--json", action="store_true")

    sub = command("compare", cmd_compare, "One metric in one quarter for every authority of a peer group.")
    sub.add_argument("--period", type=_period, required=True, help="quarter, e.g. '2025-26 Q2'")
    sub.add_argument("--metric", type=_metric_id, required=True, help="metric id (see `metrics`)")
    sub.add_argument("--group", default="network", help="network, neighbours, region or a custom group's name")
    sub.add_argument("--for", dest="for_la", type=_authority, help="the authority the comparison is for")
    sub.add_argument("--audience", choices=AUDIENCES, default="network")
    sub.add_argument("--format", choices=("csv", "json"), default="csv")
    sub.add_argument("--revised", action="store_true",
                     help="a signed-off quarter with the returns revised after sign-off (default: as signed off)")

    sub = command("tracker", cmd_tracker, "Who has returned which theme for a quarter.")
    sub.add_argument("--period", type=_period, required=True)
    sub.add_argument("--format", choices=("text", "csv", "json"), default="text")

    published_parser = commands.add_parser("published", help="Published DfE statistics (EES tidy CSVs).")
    published_commands = published_parser.add_subparsers(dest="published_command", required=True,
                                                         parser_class=_Parser)
    sub = published_commands.add_parser("load", help="Load EES tidy CSV files into the `published` table.")
    sub.add_argument("files", nargs="+", metavar="FILE")
    sub.add_argument("--db", help="DuckDB file (default: $DSCO_DB, else data/dsco.duckdb)")
    sub.set_defaults(handler=cmd_published_load)

    sub = command("context", cmd_context, "Published DfE measures for one authority beside its region, statistical "
                  "neighbours and England (latest period published).")
    sub.add_argument("--for", dest="for_la", type=_authority, required=True, help="the authority (code or name)")
    sub.add_argument("--theme", choices=list(THEMES), help="one theme (default: every catalogued measure)")
    sub.add_argument("--format", choices=("text", "json"), default="text")
    sub.add_argument("--as", dest="as_email", metavar="EMAIL", help="act as this member")

    sub = command("pack", cmd_pack, "Build the meeting pack for a quarter as PDF, PowerPoint or Excel.")
    sub.add_argument("--period", type=_period, required=True)
    sub.add_argument("--format", choices=("pdf", "pptx", "xlsx"), required=True)
    sub.add_argument("--out", required=True, help="file to write")
    sub.add_argument("--group", default="network", help="network, neighbours, region or a custom group's name")
    sub.add_argument("--audience", choices=AUDIENCES, default="network")
    sub.add_argument("--for", dest="for_la", type=_authority, help="own authority (named in an external pack)")
    sub.add_argument("--themes", help="comma-separated themes (default: all)")
    sub.add_argument("--pages", nargs="*", type=_authority, metavar="LA", help="authorities to give a page each")
    sub.add_argument("--as", dest="as_email", metavar="EMAIL", help="act as this member")
    sub.add_argument("--revised", action="store_true",
                     help="a signed-off quarter with the returns revised after sign-off (default: as signed off)")

    sub = command("network", cmd_network, "Member authorities and themes: add LA... [--from P], remove LA... "
                  "[--from P], themes THEME..., deadline [--days N] [PERIOD DATE], list [--json].")
    sub.add_argument("action", choices=("add", "remove", "themes", "deadline", "list"))
    sub.add_argument("items", nargs="*", metavar="LA_OR_THEME")
    sub.add_argument("--from", dest="from_period", type=_period, metavar="PERIOD",
                     help="quarter the authorities join or leave from")
    sub.add_argument("--days", type=int, help="deadline: days after each quarter ends (default 28)")
    sub.add_argument("--json", action="store_true")
    sub.add_argument("--as", dest="as_email", metavar="EMAIL", help="act as this member (a chair)")

    sub = command("inspections", cmd_inspections, "Area SEND inspections: list (members likely to be inspected "
                  "next), load FILE (the inspection summary), record --la LA --end DATE [...] (chair; audited).")
    sub.add_argument("action", nargs="?", choices=("list", "load", "record"), default="list")
    sub.add_argument("file", nargs="?", metavar="FILE", help="load: the inspection summary .xlsx")
    sub.add_argument("--format", choices=("text", "json"), default="text")
    sub.add_argument("--today", type=_date, help="list: count months and due dates to this day (default: today)")
    sub.add_argument("--la", type=_authority, help="record: the authority inspected")
    sub.add_argument("--end", type=_date, help="record: the inspection's last day, e.g. 2026-10-16")
    sub.add_argument("--outcome", choices=tuple(OUTCOME_BY_WORD), help="record: the outcome")
    sub.add_argument("--published", type=_date, help="record: the report's publication date")
    sub.add_argument("--next-by", dest="next_by", type=_date, help="record: next inspection due by this date")
    sub.add_argument("--next-kind", dest="next_kind", choices=NEXT_KIND_CHOICES, help="record: full or monitoring")
    sub.add_argument("--as", dest="as_email", metavar="EMAIL", help="act as this member")

    sub = command("signoff", cmd_signoff, "Sign off a quarter (its figures stay as circulated), or --reopen it.")
    sub.add_argument("period", type=_period)
    sub.add_argument("--reopen", action="store_true")
    sub.add_argument("--as", dest="as_email", metavar="EMAIL", help="act as this member (a chair)")

    sub = command("withdraw", cmd_withdraw, "Withdraw a stored submission (chair): the earlier version is current "
                  "again.")
    sub.add_argument("submission_id", type=int)
    sub.add_argument("--reason")
    sub.add_argument("--as", dest="as_email", metavar="EMAIL", help="act as this member (a chair)")

    sub = command("chase", cmd_chase, "Overdue authorities and themes for a quarter, with addresses to chase.")
    sub.add_argument("--period", type=_period, required=True)
    sub.add_argument("--format", choices=("text", "csv", "json"), default="text")
    sub.add_argument("--as", dest="as_email", metavar="EMAIL", help="act as this member (a chair)")

    sub = command("commentary", cmd_commentary, "Authorities' commentary: list, or write --la LA --on METRIC "
                  "--text TEXT.")
    sub.add_argument("action", choices=("list", "write"))
    sub.add_argument("--period", type=_period, required=True)
    sub.add_argument("--la", type=_authority)
    sub.add_argument("--on", help="metric id or theme the commentary explains")
    sub.add_argument("--text")
    sub.add_argument("--json", action="store_true")
    sub.add_argument("--as", dest="as_email", metavar="EMAIL", help="act as this member")

    sub = command("discussion", cmd_discussion, "What stands out: the short ranked discussion list for a quarter.")
    sub.add_argument("--period", type=_period, required=True)
    sub.add_argument("--group", default="network", help="network, neighbours, region or a custom group's name")
    sub.add_argument("--for", dest="for_la", type=_authority, help="own authority (for neighbours, region, external)")
    sub.add_argument("--audience", choices=AUDIENCES, default="network")
    sub.add_argument("--format", choices=("text", "json"), default="text")
    sub.add_argument("--all", action="store_true", help="every item, not only the shortlist")

    sub = command("members", cmd_members, "Network members: add EMAIL --role R [--la LA], remove EMAIL, list.")
    sub.add_argument("action", choices=("add", "remove", "list"))
    sub.add_argument("email", nargs="?")
    sub.add_argument("--role", choices=[role.value for role in rights.Role])
    sub.add_argument("--la", help="the member's authority (code or name); not needed for a chair")
    sub.add_argument("--name")
    sub.add_argument("--as", dest="as_email", metavar="EMAIL", help="act as this member (a chair)")

    sub = command("groups", cmd_groups, "Custom peer groups: add NAME LA..., remove NAME, list.")
    sub.add_argument("action", choices=("add", "remove", "list"))
    sub.add_argument("name", nargs="?", default="")
    sub.add_argument("members", nargs="*", metavar="LA")
    sub.add_argument("--as", dest="as_email", metavar="EMAIL", help="act as this member (a chair)")

    sub = command("docs", cmd_docs, "Regenerate docs/data-standard.md from the standard.", db=False)
    sub.add_argument("--out", default=str(DOCS_PATH))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except (DatabaseBusy, rights.AccessDenied) as refusal:
        print(f"error: {refusal}", file=sys.stderr)
        return 1

