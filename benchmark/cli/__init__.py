"""`python -m benchmark ...`: the command line over the same functions the dashboard uses.

One module per command group (intake, comparisons, network); this one builds the parser and runs a command.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from benchmark.access import rights
from benchmark.cli.common import Parser, authority_argument, metric_argument, period_argument
from benchmark.cli.comparisons import cmd_compare, cmd_context, cmd_discussion, cmd_pack, cmd_tracker
from benchmark.cli.inequalities import add_inequalities_parser
from benchmark.cli.inspections import add_inspections_parser
from benchmark.cli.intake import (
    DOCS_PATH,
    cmd_demo,
    cmd_docs,
    cmd_history,
    cmd_import,
    cmd_metrics,
    cmd_published_load,
    cmd_template,
    cmd_validate,
)
from benchmark.cli.network import (
    cmd_chase,
    cmd_commentary,
    cmd_groups,
    cmd_members,
    cmd_network,
    cmd_signoff,
    cmd_withdraw,
)
from benchmark.db import DatabaseBusy
from benchmark.definitions.disclosure_rules import AUDIENCES
from benchmark.definitions.standard import THEMES


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="python -m benchmark", description="DSCO network benchmarking: returns and comparisons.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

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

    sub = command("history", cmd_history, "List stored submissions, newest first; --original ID --out FILE writes "
                  "the exact file a submission stored (for audit; the pages give a clean copy instead).")
    sub.add_argument("--json", action="store_true")
    sub.add_argument("--original", type=int, metavar="ID", help="a submission's exact file, for audit (needs --out)")
    sub.add_argument("--out", help="where to write the exact file")

    sub = command("template", cmd_template, "Write blank CSV and .xlsx templates for each theme, and one workbook "
                  "with a sheet per theme.", db=False)
    sub.add_argument("--out", default="templates", help="folder to write into (default: templates)")

    command("demo", cmd_demo, "Load the embedded synthetic demo network (33 London boroughs, 8 quarters).")

    sub = command("metrics", cmd_metrics, "List the metric catalogue and the fields of the data standard.", db=False)
    sub.add_argument("--json", action="store_true")

    sub = command("compare", cmd_compare, "One metric in one quarter for every authority of a peer group.")
    sub.add_argument("--period", type=period_argument, required=True, help="quarter, e.g. '2025-26 Q2'")
    sub.add_argument("--metric", type=metric_argument, required=True, help="metric id (see `metrics`)")
    sub.add_argument("--group", default="network", help="network, neighbours, region or a custom group's name")
    sub.add_argument("--for", dest="for_la", type=authority_argument, help="the authority the comparison is for")
    sub.add_argument("--audience", choices=AUDIENCES, default="network")
    sub.add_argument("--format", choices=("csv", "json"), default="csv")
    sub.add_argument("--revised", action="store_true",
                     help="a signed-off quarter with the returns revised after sign-off (default: as signed off)")

    sub = command("tracker", cmd_tracker, "Who has returned which theme for a quarter.")
    sub.add_argument("--period", type=period_argument, required=True)
    sub.add_argument("--format", choices=("text", "csv", "json"), default="text")

    published_parser = commands.add_parser("published", help="Published DfE statistics (EES tidy CSVs).")
    published_commands = published_parser.add_subparsers(dest="published_command", required=True,
                                                         parser_class=Parser)
    sub = published_commands.add_parser("load", help="Load EES tidy CSV files into the `published` table.")
    sub.add_argument("files", nargs="+", metavar="FILE")
    sub.add_argument("--db", help="DuckDB file (default: $DSCO_DB, else data/dsco.duckdb)")
    sub.set_defaults(handler=cmd_published_load)

    sub = command("context", cmd_context, "Published DfE measures for one authority beside its region, statistical "
                  "neighbours and England (latest period published).")
    sub.add_argument("--for", dest="for_la", type=authority_argument, required=True,
                     help="the authority (code or name)")
    sub.add_argument("--theme", choices=list(THEMES), help="one theme (default: every catalogued measure)")
    sub.add_argument("--format", choices=("text", "json"), default="text")
    sub.add_argument("--as", dest="as_email", metavar="EMAIL", help="act as this member")

    sub = command("pack", cmd_pack, "Build the meeting pack for a quarter as PDF, PowerPoint or Excel.")
    sub.add_argument("--period", type=period_argument, required=True)
    sub.add_argument("--format", choices=("pdf", "pptx", "xlsx"), required=True)
    sub.add_argument("--out", required=True, help="file to write")
    sub.add_argument("--group", default="network", help="network, neighbours, region or a custom group's name")
    sub.add_argument("--audience", choices=AUDIENCES, default="network")
    sub.add_argument("--for", dest="for_la", type=authority_argument,
                     help="own authority (named in an external pack)")
    sub.add_argument("--themes", help="comma-separated themes (default: all)")
    sub.add_argument("--pages", nargs="*", type=authority_argument, metavar="LA",
                     help="authorities to give a page each")
    sub.add_argument("--as", dest="as_email", metavar="EMAIL", help="act as this member")
    sub.add_argument("--revised", action="store_true",
                     help="a signed-off quarter with the returns revised after sign-off (default: as signed off)")

    sub = command("network", cmd_network, "Member authorities and themes: add LA... [--from P], remove LA... "
                  "[--from P], themes THEME..., deadline [--days N] [PERIOD DATE], list [--json].")
    sub.add_argument("action", choices=("add", "remove", "themes", "deadline", "list"))
    sub.add_argument("items", nargs="*", metavar="LA_OR_THEME")
    sub.add_argument("--from", dest="from_period", type=period_argument, metavar="PERIOD",
                     help="quarter the authorities join or leave from")
    sub.add_argument("--days", type=int, help="deadline: days after each quarter ends (default 28)")
    sub.add_argument("--json", action="store_true")
    sub.add_argument("--as", dest="as_email", metavar="EMAIL", help="act as this member (a chair)")

    sub = command("signoff", cmd_signoff, "Sign off a quarter (its figures stay as circulated), or --reopen it.")
    sub.add_argument("period", type=period_argument)
    sub.add_argument("--reopen", action="store_true")
    sub.add_argument("--as", dest="as_email", metavar="EMAIL", help="act as this member (a chair)")

    sub = command("withdraw", cmd_withdraw, "Withdraw a stored submission (chair): the earlier version is current "
                  "again.")
    sub.add_argument("submission_id", type=int)
    sub.add_argument("--reason")
    sub.add_argument("--as", dest="as_email", metavar="EMAIL", help="act as this member (a chair)")

    sub = command("chase", cmd_chase, "Overdue authorities and themes for a quarter, with addresses to chase.")
    sub.add_argument("--period", type=period_argument, required=True)
    sub.add_argument("--format", choices=("text", "csv", "json"), default="text")
    sub.add_argument("--as", dest="as_email", metavar="EMAIL", help="act as this member (a chair)")

    sub = command("commentary", cmd_commentary, "Authorities' commentary: list, or write --la LA --on METRIC "
                  "--text TEXT.")
    sub.add_argument("action", choices=("list", "write"))
    sub.add_argument("--period", type=period_argument, required=True)
    sub.add_argument("--la", type=authority_argument)
    sub.add_argument("--on", help="metric id or theme the commentary explains")
    sub.add_argument("--text")
    sub.add_argument("--json", action="store_true")
    sub.add_argument("--as", dest="as_email", metavar="EMAIL", help="act as this member")

    sub = command("discussion", cmd_discussion, "What stands out: the short ranked discussion list for a quarter.")
    sub.add_argument("--period", type=period_argument, required=True)
    sub.add_argument("--group", default="network", help="network, neighbours, region or a custom group's name")
    sub.add_argument("--for", dest="for_la", type=authority_argument,
                     help="own authority (for neighbours, region, external)")
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

    add_inequalities_parser(command)
    add_inspections_parser(command)

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
