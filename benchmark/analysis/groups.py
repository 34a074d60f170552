"""Custom peer groups a chair defines (for example "Inner London"), stored in the database."""

from __future__ import annotations

from collections.abc import Callable

from benchmark import reference
from benchmark.db import Database

RESERVED_GROUPS = ("network", "neighbours", "region")


class GroupError(ValueError):
    """A group name or membership that cannot be saved."""


def save_group(db: Database, name: str, members: list[str],
               audit: Callable[[object, str, list[str]], None] | None = None) -> list[str]:
    """Create or replace a named group; members may be codes or names. Returns the 3-digit codes.
    `audit(cursor, name, codes)` records the change inside the same transaction."""
    cleaned = " ".join(name.split())
    if not cleaned or cleaned.lower() in RESERVED_GROUPS:
        raise GroupError(f"'{name}' cannot be a group name: choose a name other than {', '.join(RESERVED_GROUPS)}")
    codes = []
    for member in members:
        code = reference.resolve_authority(member)
        if code is None:
            raise GroupError(f"'{member}' is not an English authority")
        codes.append(code)
    if len(set(codes)) < 2:
        raise GroupError("a peer group needs at least two authorities")
    with db.transaction() as cursor:
        cursor.execute("DELETE FROM peer_groups WHERE name = ?", [cleaned])
        cursor.execute("INSERT INTO peer_groups SELECT ?, unnest(?::VARCHAR[])", [cleaned, sorted(set(codes))])
        if audit is not None:
            audit(cursor, cleaned, sorted(set(codes)))
    return sorted(set(codes))


def delete_group(db: Database, name: str, audit: Callable[[object], None] | None = None) -> None:
    with db.transaction() as cursor:
        cursor.execute("DELETE FROM peer_groups WHERE name = ?", [name])
        if audit is not None:
            audit(cursor)


def custom_groups(db: Database) -> dict[str, list[str]]:
    """Every custom group with its member codes, by name."""
    groups: dict[str, list[str]] = {}
    for name, code in db.cursor().execute("SELECT name, la_code FROM peer_groups ORDER BY name, la_code").fetchall():
        groups.setdefault(name, []).append(code)
    return groups


def custom_group_members(db: Database, name: str) -> list[str]:
    members = custom_groups(db).get(name)
    if not members:
        raise GroupError(f"there is no peer group called '{name}'")
    return members
