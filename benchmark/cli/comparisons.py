"""Commands that read the comparisons: compare, tracker, context, discussion and the meeting pack."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from benchmark import service
from benchmark.access import membership
from benchmark.analysis import cycle, discussion, tracker
from benchmark.analysis.groups import GroupError
from benchmark.cli.common import acting_user, fail, reading_database
from benchmark.db import Database
from benchmark.definitions.standard import THEMES
from benchmark.outputs import packs, views
from benchmark.periods import Period
from benchmark.reference import authority_name


def cmd_compare(args: argparse.Namespace) -> int:
    database = reading_database(args.db)
    try:
        table = service.outward_compare(database, acting_user(database, None), args.period, args.metric, args.group,
                                        args.for_la, args.audience, revised=args.revised)
    except (ValueError, GroupError) as error:
        return fail(str(error))
    if args.format == "json":
        print(table.to_json(orient="records", indent=2, date_format="iso"))
    else:
        table.to_csv(sys.stdout, index=False)
    return 0


def cmd_tracker(args: argparse.Namespace) -> int:
    database = reading_database(args.db)
    grid = service.tracker_grid(database, acting_user(database, None), args.period)
    if args.format == "json":
        print(tracker.tracker(database, args.period).drop(columns=["returned"]).to_json(
            orient="records", indent=2, date_format="iso"))
    elif args.format == "csv":
        grid.to_csv(sys.stdout, index=False)
    else:
        summary = service.completeness(database, acting_user(database, None), args.period)
        print(f"{args.period}: {summary['returns_received']} of {summary['returns_expected']} theme returns from "
              f"{summary['authorities']} authorities; {summary['authorities_complete']} complete.")
        print(_cycle_line(database, args.period, summary))
        print(views.readable(grid.rename(columns=views.THEME_HEADINGS)).to_string(index=False))
    return 0


def _cycle_line(database: Database, period: Period, summary: dict) -> str:
    """Deadline, overdue and late counts, and the sign-off state, in one line."""
    signed = cycle.signoff(database, period)
    state = (f"signed off {views.human_time(signed.signed_at)} by {signed.signed_by}" if signed else "not signed off")
    return (f"Due {views.human_date(summary['deadline'])}: {summary['overdue']} overdue, "
            f"{summary['returned_late']} returned late; {state}"
            + (f"; {summary['revised_after_signoff']} revised after sign-off"
               if summary["revised_after_signoff"] else "") + ".")


def cmd_context(args: argparse.Namespace) -> int:
    database = reading_database(args.db)
    rows = service.published_context(database, acting_user(database, args.as_email), args.for_la, args.theme)
    if args.format == "json":
        print(json.dumps(rows.astype(object).where(rows.notna(), None).to_dict("records"), indent=2))
        return 0
    table = service.published_context_table(database, acting_user(database, args.as_email), args.for_la, args.theme)
    print(table.drop(columns=["measure", "neutral", "Polarity"]).to_string(index=False))
    return 0


def cmd_pack(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.is_dir() or not out.parent.is_dir():  # said before the pack takes seconds to build
        return fail(f"cannot write the pack to {out}: " + ("that is a folder" if out.is_dir() else
                                                           f"there is no folder {out.parent}"))
    database = reading_database(args.db)
    themes = tuple(args.themes.split(",")) if args.themes else membership.network_themes(database)
    actor = acting_user(database, args.as_email)
    try:
        request = packs.PackRequest(args.period, args.group, themes, args.audience, args.for_la,
                                    tuple(args.pages or ()), revised=args.revised)
        pack = service.build_pack(database, actor, request)
        service.render_pack(database, actor, pack, args.format, deliver=out.write_bytes)
    except OSError as error:
        return fail(f"cannot write the pack to {out}: {error.strerror or error}")
    except (ValueError, GroupError) as error:
        return fail(str(error))
    print(f"wrote {args.out}: {args.format} pack for {args.period}, {pack.group_label}, audience {args.audience}")
    return 0


def cmd_discussion(args: argparse.Namespace) -> int:
    database = reading_database(args.db)
    try:
        request = packs.PackRequest(args.period, args.group, audience=args.audience, own_la=args.for_la)
        pack = service.discussion(database, acting_user(database, None), request)
    except (ValueError, GroupError) as error:
        return fail(str(error))
    items = pack.discussion_all if args.all else pack.discussion
    requests = pack.narrative_requests
    left_out = pack.discussion_left_out
    if args.for_la:  # that authority's items only: what the meeting will ask it
        own = pack.discussion_all[pack.discussion_all["la_code"] == args.for_la]
        items = own if args.all else items[items["la_code"] == args.for_la]
        left_out = len(own) - len(items)
        requests = requests[requests["Authority"] == authority_name(args.for_la)]
    if args.format == "json":
        print(items.to_json(orient="records", indent=2, force_ascii=False))
        return 0
    whose = f" about {authority_name(args.for_la)}" if args.for_la else ""
    print(f"For discussion, {args.period}, {pack.group_label}: {len(items)} item(s){whose}")
    if pack.judgement_note:
        print(pack.judgement_note)
    for theme_id in dict.fromkeys(items["theme"]):
        print(f"\n{THEMES[theme_id].title}")
        for sentence in items.loc[items["theme"] == theme_id, "sentence"]:
            print(f"  - {sentence}")
    if not args.all and left_out:
        print("\n" + discussion.left_out_text(left_out, "shown by `discussion --all`"))
    print(f"\nNarrative requests (top or bottom 20% on a headline metric): {len(requests)}")
    for record in requests.to_dict("records"):
        print(f"  - {record['Authority']}: {record['Metric']}, {record['Position']}")
    return 0
