"""The chair's commands: the network's authorities, themes and deadlines, sign-off, withdrawals, the
chase list, members, peer groups and commentary."""

from __future__ import annotations

import argparse
import json
import sys

from benchmark import service
from benchmark.access import membership, rights
from benchmark.analysis import cycle, groups
from benchmark.analysis.groups import GroupError
from benchmark.cli.common import acting_user, date_argument, fail, period_argument, reading_database
from benchmark.db import Database, open_database
from benchmark.definitions.standard import THEMES
from benchmark.intake import commentary
from benchmark.outputs import exports, views
from benchmark.periods import Period
from benchmark.reference import authority_name


def _deadlines_text(database: Database) -> str:
    """The days rule, and each date the chair set for one quarter."""
    dates = cycle.quarter_deadlines(database)
    text = f"Returns are due {cycle.deadline_days(database)} days after each quarter ends"
    if not dates:
        return text + "; no quarter has a date of its own."
    return text + ", except: " + "; ".join(f"{period} due {views.human_date(due)}" for period, due in dates.items()) \
        + "."


def cmd_network(args: argparse.Namespace) -> int:
    database = open_database(args.db)
    actor = acting_user(database, args.as_email)
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
            if args.items and len(args.items) != 2:
                return fail("network deadline takes PERIOD DATE, e.g. '2026-27 Q2' 2026-11-06")
            if args.days is not None:
                cycle.set_deadline_days(database, actor, args.days)
                print(f"Set: returns are due {args.days} days after each quarter ends.")
            if args.items:
                period, due = period_argument(args.items[0]), date_argument(args.items[1])
                cycle.set_deadline(database, actor, period, due)
                print(f"Set: {period} returns are due {views.human_date(cycle.deadline(database, period))}.")
            print(_deadlines_text(database))
    except (ValueError, argparse.ArgumentTypeError) as error:
        return fail(str(error))
    if args.action == "list":
        table = membership.members_table(database)
        listing = {"members_set": membership.members_are_set(database),
                   "themes": list(membership.network_themes(database)),
                   "deadline_days": cycle.deadline_days(database),
                   "quarter_deadlines": {period.label: due.isoformat()
                                         for period, due in cycle.quarter_deadlines(database).items()},
                   "authorities": table.to_dict("records")}
        if args.json:
            print(json.dumps(listing, indent=2))
        else:
            state = "set by the chair" if listing["members_set"] else (
                "not set yet: any authority may return, and becomes a member from its first quarter")
            print(f"Members: {len(table)} ({state}). Themes: "
                  f"{', '.join(THEMES[theme_id].title for theme_id in listing['themes'])}.")
            print(_deadlines_text(database))
            if len(table):
                print(views.readable(table).to_string(index=False))
    return 0


def cmd_signoff(args: argparse.Namespace) -> int:
    database = open_database(args.db)
    actor = acting_user(database, args.as_email)
    try:
        if args.reopen:
            service.reopen(database, actor, args.period)
            print(f"{args.period} reopened: it shows the latest returns again.")
        else:
            signed = service.sign_off(database, actor, args.period)
            print(f"{args.period} signed off at {views.human_time(signed.signed_at)}: its figures stay as they are "
                  "now; later resubmissions are listed as revised after sign-off (see them with --revised).")
    except ValueError as error:
        return fail(str(error))
    return 0


def cmd_withdraw(args: argparse.Namespace) -> int:
    database = open_database(args.db)
    try:
        service.withdraw(database, acting_user(database, args.as_email), args.submission_id, args.reason or "")
    except ValueError as error:
        return fail(str(error))
    print(f"withdrew submission {args.submission_id}: the earlier version (if any) is current again; "
          "the file stays in the history.")
    return 0


def cmd_chase(args: argparse.Namespace) -> int:
    database = reading_database(args.db)
    table = service.chase_list(database, acting_user(database, args.as_email), args.period)
    if args.format == "json":
        print(table.to_json(orient="records", indent=2, date_format="iso"))
    elif args.format == "csv":
        sys.stdout.write(exports.to_csv_bytes(table).decode("utf-8-sig"))
    elif table.empty:
        print(f"Nobody is overdue for {args.period}.")
    else:
        print(f"Overdue for {args.period} (due {views.human_date(table['deadline'].iloc[0])}):")
        print(views.chase_view(table).drop(columns=["Deadline"]).to_string(index=False))
        reachable = table[table["mailto"] != ""]
        if len(reachable):
            print("\nE-mail links (open one in a browser or paste it into your mail program):")
            for record in reachable.to_dict("records"):
                print(f"  {record['authority']}: {record['mailto']}")
        unreachable = table.loc[table["mailto"] == "", "authority"].tolist()
        if unreachable:
            print(f"\nNo uploader or DSCO address on file for {', '.join(unreachable)}: add one with "
                  "`members add EMAIL --role uploader --la LA`.")
    return 0


def cmd_members(args: argparse.Namespace) -> int:
    database = open_database(args.db)
    actor = acting_user(database, args.as_email)
    try:
        if args.action == "add":
            if not args.email or not args.role:
                return fail("members add needs EMAIL and --role")
            added = rights.add_member(database, actor, args.email, args.role, args.la, args.name or "")
            print(f"added {added.label}")
        elif args.action == "remove":
            if not args.email:
                return fail("members remove needs EMAIL")
            rights.remove_member(database, actor, args.email)
            print(f"removed {args.email}")
    except ValueError as error:
        return fail(str(error))
    if args.action == "list":
        frame = service.member_list(database, actor)
        print(views.members_view(frame).to_string(index=False) if len(frame) else "No members yet.")
    return 0


def cmd_groups(args: argparse.Namespace) -> int:
    database = open_database(args.db)
    actor = acting_user(database, args.as_email)
    try:
        if args.action == "add":
            codes = service.save_group(database, actor, args.name, args.members)
            print(f"saved group '{args.name}': {', '.join(codes)}")
        elif args.action == "remove":
            service.delete_group(database, actor, args.name)
            print(f"removed group '{args.name}'")
    except GroupError as error:
        return fail(str(error))
    if args.action == "list":
        for name, members in groups.custom_groups(database).items():
            print(f"{name}: {', '.join(members)}")
    return 0


def cmd_commentary(args: argparse.Namespace) -> int:
    database = open_database(args.db)
    actor = acting_user(database, args.as_email)
    try:
        if args.action == "write":
            if not (args.la and args.on and args.text is not None):
                return fail("commentary write needs --la, --on METRIC_OR_THEME and --text")
            service.write_commentary(database, actor, args.la, args.period, args.on, args.text)
            print(f"commentary on {commentary.subject_name(args.on)} stored for {args.period}")
            return 0
    except ValueError as error:
        return fail(str(error))
    table = service.commentary_list(database, actor, args.period, args.la)
    if args.json:
        print(table.to_json(orient="records", indent=2, date_format="iso"))
    else:
        print(views.readable(views.human_dates(table)).to_string(index=False) if len(table) else "No commentary.")
    return 0
