"""Who is in the network: the member authorities, each with the quarter it joined (and left), and
the themes the network collects.

Everything that counts or expects returns (tracker, completeness, packs, "n of N reported") asks
here. Until the chair sets the members, the network is open: any authority may return, and each
is a member from the first quarter it returns (so a chair can start by importing the network's
combined file, and a database from before members existed keeps its members). The first change
the chair makes writes those members down; from then on only members may upload.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass

import duckdb
import pandas as pd

from benchmark import reference
from benchmark.access.rights import Role, User, record, require_chair
from benchmark.db import Database
from benchmark.definitions.breakdowns import theme_of
from benchmark.definitions.standard import DEFAULT_THEMES, THEMES
from benchmark.periods import Period

MEMBERS_SET = "members_set"  # settings key: "true" once the chair has set the members


@dataclass(frozen=True)
class Membership:
    """An authority's time in the network: from `joined` up to, not including, `left`."""

    la_code: str
    joined: Period
    left: Period | None = None

    def covers(self, period: Period) -> bool:
        return self.joined <= period and (self.left is None or period < self.left)

    @property
    def name(self) -> str:
        return reference.authority_name(self.la_code)


# Until the chair sets members: every authority with a current return, from its first quarter.
_OPEN_NETWORK = ("SELECT la_code, min(period_index) AS joined_index, NULL::INTEGER AS left_index "
                 "FROM current_returns GROUP BY la_code")


def _source(db: Database) -> str:
    return "network_authorities" if members_are_set(db) else f"({_OPEN_NETWORK})"


def memberships(db: Database) -> list[Membership]:
    def read() -> tuple[Membership, ...]:
        rows = db.cursor().execute(
            f"SELECT la_code, joined_index, left_index FROM {_source(db)} ORDER BY la_code").fetchall()
        return tuple(Membership(code, Period.from_index(joined), None if left is None else Period.from_index(left))
                     for code, joined, left in rows)

    return list(db.remembered("memberships", read))


def members_in(db: Database, period: Period | None = None) -> list[str]:
    """Member authorities in `period`, or every authority that has been a member at any time."""
    return [item.la_code for item in memberships(db) if period is None or item.covers(period)]


def member_quarters(db: Database) -> pd.DataFrame:
    """la_code, joined_index, left_index (NaN: still a member), for filtering tables by quarter; from the
    remembered memberships, so no query while they are known."""
    items = memberships(db)
    return pd.DataFrame({"la_code": [item.la_code for item in items],
                         "joined_index": [item.joined.index for item in items],
                         "left_index": [math.nan if item.left is None else item.left.index for item in items]})


def members_are_set(db: Database) -> bool:
    return db.setting(MEMBERS_SET) == "true"


def network_themes(db: Database) -> tuple[str, ...]:
    """The themes the network collects, in the standard's order (the default themes until the chair says)."""
    chosen = {row[0] for row in db.cursor().execute("SELECT theme FROM network_themes").fetchall()}
    return tuple(theme for theme in THEMES if theme in (chosen or DEFAULT_THEMES))


def resolve_all(texts: Iterable[str]) -> list[str]:
    """Authority codes for codes, ONS codes or names; a ValueError names the first one not found."""
    codes = []
    for text in texts:
        code = reference.resolve_authority(str(text))
        if code is None:
            raise ValueError(f"{reference.not_an_authority(text)}: give a DfE code, an ONS code or a name")
        codes.append(code)
    return list(dict.fromkeys(codes))


def _set_members(db: Database, cursor: duckdb.DuckDBPyConnection) -> None:
    """The chair's first change writes the open network's members down before changing them."""
    if members_are_set(db):
        return
    cursor.execute(f"INSERT INTO network_authorities SELECT la_code, joined_index, NULL, now(), 'first return' "
                   f"FROM ({_OPEN_NETWORK})")
    cursor.execute("INSERT OR REPLACE INTO settings VALUES (?, 'true')", [MEMBERS_SET])


def _first_returned(db: Database, la_code: str) -> Period | None:
    index = db.scalar("SELECT min(period_index) FROM current_returns WHERE la_code = ?", [la_code])
    return None if index is None else Period.from_index(int(index))


def add_authorities(db: Database, actor: User, authorities: Iterable[str], from_period: Period | None = None,
                    today: dt.date | None = None) -> list[Membership]:
    """Make authorities members from `from_period` (default: the first quarter each has returned,
    else the current quarter). An authority that had left rejoins. From now on only members upload."""
    require_chair(actor, "choose the network's member authorities")
    codes = resolve_all(authorities)
    if not codes:
        raise ValueError("name at least one authority")
    added = []
    with db.transaction() as cursor:
        _set_members(db, cursor)
        for code in codes:
            joined = from_period or _first_returned(db, code) or Period.current(today)
            cursor.execute("INSERT OR REPLACE INTO network_authorities VALUES (?, ?, NULL, ?, ?)",
                           [code, joined.index, dt.datetime.now(), actor.email])
            added.append(Membership(code, joined))
        for item in added:
            record(cursor, actor, "authority joined network", la_code=item.la_code,
                   detail={"from": item.joined.label})
    return added


def remove_authorities(db: Database, actor: User, authorities: Iterable[str], from_period: Period | None = None,
                       today: dt.date | None = None) -> list[str]:
    """The authorities leave the network from `from_period` (default: the current quarter); their
    earlier quarters stay. Leaving from (or before) the quarter it joined removes it altogether."""
    require_chair(actor, "choose the network's member authorities")
    codes = resolve_all(authorities)
    current = {item.la_code: item for item in memberships(db)}
    unknown = [reference.authority_name(code) for code in codes if code not in current]
    if unknown:
        raise ValueError(f"not a member of the network: {', '.join(unknown)}")
    leaving = from_period or Period.current(today)
    with db.transaction() as cursor:
        _set_members(db, cursor)
        for code in codes:
            if leaving <= current[code].joined:
                cursor.execute("DELETE FROM network_authorities WHERE la_code = ?", [code])
            else:
                cursor.execute("UPDATE network_authorities SET left_index = ?, changed_at = ?, changed_by = ? "
                               "WHERE la_code = ?", [leaving.index, dt.datetime.now(), actor.email, code])
            record(cursor, actor, "authority left network", la_code=code, detail={"from": leaving.label})
    return codes


def set_themes(db: Database, actor: User, themes: Iterable[str]) -> tuple[str, ...]:
    """The themes the network collects (at least one)."""
    require_chair(actor, "choose the network's themes")
    chosen = list(dict.fromkeys(themes))
    unknown = [theme for theme in chosen if theme not in THEMES]
    if unknown or not chosen:
        raise ValueError(f"themes must be some of {', '.join(THEMES)}" + (
            f", not {', '.join(unknown)}" if unknown else ""))
    with db.transaction() as cursor:
        cursor.execute("DELETE FROM network_themes")
        cursor.execute("INSERT INTO network_themes SELECT unnest(?::VARCHAR[])", [chosen])
        record(cursor, actor, "network themes set", detail={"themes": chosen})
    return network_themes(db)


def theme_refusal(db: Database, theme: str) -> str | None:
    """Why a file of `theme` (or of the breakdowns of its counts) may not be stored in this network (a theme
    it does not collect), or None."""
    themes = network_themes(db)
    theme = theme_of(theme)
    if theme in themes:
        return None
    return (f"this network does not collect {THEMES[theme].title.lower()} returns (it collects "
            f"{', '.join(THEMES[key].title.lower() for key in themes)}): nothing was stored; the chair can add "
            "the theme")


def refusals(db: Database, rows: Iterable[tuple[str, Period]]) -> list[str | None]:
    """Why each (authority, quarter) row may not be stored in this network, or None: once the chair
    has set the members, only an authority that is a member in the row's quarter may return."""
    rows = list(rows)
    if not members_are_set(db):
        return [None] * len(rows)
    found = {item.la_code: item for item in memberships(db)}
    reasons: list[str | None] = []
    for la_code, period in rows:
        item = found.get(la_code)
        if item is None:
            reasons.append(f"{reference.authority_name(la_code)} is not a member of this network: nothing was "
                           "stored; the network chair can add it on the Administration page or with `network add`")
        elif not item.covers(period):
            span = f"from {item.joined}" + (f" to before {item.left}" if item.left else "")
            reasons.append(f"{item.name} is a member of this network {span}, not in {period}: nothing was stored")
        else:
            reasons.append(None)
    return reasons


def members_table(db: Database) -> pd.DataFrame:
    """The member list as the chair reads it: authority, quarters, and who uploads and who is DSCO."""
    people = db.frame("SELECT la_code, role, email FROM members WHERE la_code IS NOT NULL ORDER BY email")
    rows = []
    for item in memberships(db):
        mine = people[people["la_code"] == item.la_code]
        rows.append({
            "la_code": item.la_code, "authority": item.name, "joined": item.joined.label,
            "left": item.left.label if item.left else "",
            "uploaders": ", ".join(mine.loc[mine["role"] == Role.UPLOADER.value, "email"]),
            "dscos": ", ".join(mine.loc[mine["role"] == Role.DSCO.value, "email"]),
        })
    columns = ["la_code", "authority", "joined", "left", "uploaders", "dscos"]
    return pd.DataFrame(rows, columns=columns).sort_values("authority").reset_index(drop=True)
