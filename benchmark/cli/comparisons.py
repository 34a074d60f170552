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
from benchmark.cli.common import acting_user, fail
from benchmark.db import Database, open_database
from benchmark.definitions.standard import THEMES
from benchmark.outputs import packs
from benchmark.periods import Period


def cmd_compare(args: argparse.Namespace) -> int:
    database = open_database(args.db)
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
    database = open_database(args.db)
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
        print(grid.to_string(index=False))
    return 0


def _cycle_line(database: Database, period: Period, summary: dict) -> str:
    """Deadline, overdue and late counts, and the sign-off state, in one line."""
    signed = cycle.signoff(database, period)
    state = (f"signed off {signed.signed_at:%d %b %Y} by {signed.signed_by}" if signed else "not signed off")
    return (f"Due {summary['deadline']:%d %b %Y}: {summary['overdue']} overdue, {summary['returned_late']} returned "
            f"late; {state}" + (f"; {summary['revised_after_signoff']} revised after sign-off"
                                if summary["revised_after_signoff"] else "") + ".")


def cmd_context(args: argparse.Namespace) -> int:
    database = open_database(args.db)
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
    database = open_database(args.db)
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
    database = open_database(args.db)
    try:
        request = packs.PackRequest(args.period, args.group, audience=args.audience, own_la=args.for_la)
        pack = service.discussion(database, acting_user(database, None), request)
    except (ValueError, GroupError) as error:
        return fail(str(error))
    items = pack.discussion_all if args.all else pack.discussion
    if args.format == "json":
        print(items.to_json(orient="records", indent=2, force_ascii=False))
        return 0
    print(f"For discussion, {args.period}, {pack.group_label}: {len(items)} item(s)")
    if pack.judgement_note:
        print(pack.judgement_note)
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
