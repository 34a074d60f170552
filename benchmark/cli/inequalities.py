"""The `inequalities` command: who the services reach and how quickly, by group."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable

from benchmark import service
from benchmark.analysis import inequalities
from benchmark.cli.common import acting_user, authority_argument, fail
from benchmark.db import open_database
from benchmark.definitions.disclosure_rules import AUDIENCES
from benchmark.outputs import inequality_views
from benchmark.periods import Period, PeriodError


def cmd_inequalities(args: argparse.Namespace) -> int:
    database = open_database(args.db)
    measure = inequalities.MEASURES[args.measure]
    period = args.period
    if period is None and measure.source == "return":
        latest = database.scalar("SELECT max(period_index) FROM current_breakdowns")
        if latest is None:
            return fail("no breakdowns are stored yet: give --period or store a return with a breakdown")
        period = str(Period.from_index(int(latest)))
    try:
        if period is not None and measure.source == "return":
            period = str(Period.parse(period))
        elif period is not None and not period.isdigit():
            raise ValueError(f"{args.measure} is published by calendar year: give --period as a year, e.g. 2024")
        actor = acting_user(database, args.as_email)
        table = service.inequalities_table(database, actor, args.measure, args.by, period,
                                           args.for_la, args.quarter_only, args.audience)
    except (ValueError, PeriodError) as error:
        return fail(str(error))
    if args.format == "json":
        print(json.dumps(inequality_views.records(table), indent=2, ensure_ascii=False))
    else:
        print(inequality_views.text(table))
    return 0


def add_inequalities_parser(command: Callable[..., argparse.ArgumentParser]) -> None:
    sub = command("inequalities", cmd_inequalities, "Who the services reach and how quickly, by ethnicity, sex, age "
                  "band or primary need: each group's rate or percentage and its ratio against all other children.")
    sub.add_argument("--measure", required=True, choices=list(inequalities.MEASURES),
                     help="from the returns: sb_reach, sb_waiting, adv_late, pfa_not_assessed, pfa_no_services; "
                     "from DfE's files: ehc_requests, ehc_refused, ehcp_late")
    sub.add_argument("--by", required=True, choices=inequalities.BY_CHOICES)
    sub.add_argument("--period", help="a quarter for measures from the returns (default: the latest with a "
                     "breakdown), DfE's year for published ones (default: the latest)")
    sub.add_argument("--for", dest="for_la", type=authority_argument,
                     help="one authority (with the network, its region and England)")
    sub.add_argument("--quarter-only", action="store_true", help="one quarter instead of the four quarters to it")
    sub.add_argument("--audience", choices=AUDIENCES, default="network")
    sub.add_argument("--format", choices=("text", "json"), default="text")
    sub.add_argument("--as", dest="as_email", metavar="EMAIL", help="act as this member")
