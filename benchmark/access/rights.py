"""Who may see and do what: members, roles per authority, sharing settings and the audit log.

Every rule is here and is enforced by the functions in benchmark.service, which every page and
command calls with the acting user; hiding a button is never the only guard.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from enum import StrEnum

import pandas as pd

from benchmark import reference
from benchmark.db import Database


class Role(StrEnum):
    UPLOADER = "uploader"  # stores its own authority's returns; sees the network as a DSCO does
    DSCO = "dsco"  # every comparison page and pack for the network
    CHAIR = "chair"  # everything, plus members, groups, settings, storing on behalf of any authority

    @property
    def label(self) -> str:
        return {"uploader": "Uploader", "dsco": "DSCO", "chair": "Chair / administrator"}[self.value]


class Sharing(StrEnum):
    NAMED = "named"  # peers see the authority by name
    ANONYMOUS = "anonymous"  # peers see a letter; the authority itself and the chair see the name


class AccessDenied(PermissionError):
    """The acting user may not do this; the message says why in plain words."""


@dataclass(frozen=True)
class User:
    email: str
    role: Role
    la_code: str | None = None
    name: str = ""
    # False for whoever uses the dashboard without sign-in: they see as the chair does but are nobody,
    # so they may not change members, sharing, groups or backups (sign-in off means no chair).
    may_administer: bool = True

    @property
    def is_chair(self) -> bool:
        return self.role is Role.CHAIR

    @property
    def label(self) -> str:
        where = f", {reference.authority_name(self.la_code)}" if self.la_code else ""
        return f"{self.name or self.email} ({self.role.label}{where})"

    def may_store(self, la_code: str) -> bool:
        return self.is_chair or (self.role is Role.UPLOADER and la_code == self.la_code)

    def sees_name_of(self, la_code: str) -> bool:
        """Whether this user may see an anonymous authority by name."""
        return self.is_chair or la_code == self.la_code


# Who acts when nobody signs in: the synthetic demo, and a local install that allows it without sign-in;
# both see everything and administer nothing. The command line is run by the server's operator (below).
DEMO_USER = User("demo@localhost", Role.CHAIR, None, "Demo user", may_administer=False)
LOCAL_USER = User("local@localhost", Role.CHAIR, None, "Local user (no sign-in)", may_administer=False)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def local_operator(login: str) -> User:
    """The person running the command line on the server: the operator acts as chair."""
    return User(f"{login}@localhost", Role.CHAIR, None, f"{login} (command line)")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def member(db: Database, email: str) -> User | None:
    """The member with this (verified) e-mail address, or None: membership is the only way in."""
    rows = db.cursor().execute(
        "SELECT email, role, la_code, name FROM members WHERE email = ?", [normalise_email(email)]
    ).fetchall()
    if not rows:
        return None
    email, role, la_code, name = rows[0]
    return User(email, Role(role), la_code, name or "")


def members(db: Database) -> pd.DataFrame:
    frame = db.frame("SELECT email, role, la_code, name, added_at, added_by FROM members ORDER BY la_code, email")
    frame["la_code"] = frame["la_code"].fillna("")
    frame.insert(3, "authority", frame["la_code"].map(lambda code: reference.authority_name(code) if code else ""))
    return frame


def has_members(db: Database) -> bool:
    return bool(db.scalar("SELECT count(*) FROM members"))


def require_chair(actor: User, what: str) -> None:
    """The acting user must be the chair, signed in (or the server's operator at the command line)."""
    if not actor.is_chair:
        raise AccessDenied(f"Only the network chair can {what}.")
    if not actor.may_administer:
        raise AccessDenied(f"Sign-in is off, so nobody here is the chair: to {what}, configure sign-in "
                           "(see the README) or use the command line on the server.")


def require_administrator(actor: User, what: str) -> None:
    """Changes that need a signed-in person (or the operator), even where the role would allow them."""
    if not actor.may_administer:
        raise AccessDenied(f"Sign-in is off, so nobody here may {what}: configure sign-in (see the README) "
                           "or use the command line on the server.")


def add_member(db: Database, actor: User, email: str, role: str, la_code: str | None, name: str = "") -> User:
    """Add or change a member (chair only; the first member of an empty network must be a chair, added
    by the server's operator at the command line)."""
    require_administrator(actor, "manage members")
    if has_members(db):
        require_chair(actor, "manage members")
    elif role != Role.CHAIR:
        raise AccessDenied("The first member of a network must be its chair.")
    address = normalise_email(email)
    if not _EMAIL.match(address):
        raise ValueError(f"'{email}' is not an e-mail address")
    try:
        chosen = Role(role)
    except ValueError:
        raise ValueError(f"role must be one of {', '.join(r.value for r in Role)}") from None
    code = reference.resolve_authority(la_code) if la_code else None
    if la_code and code is None:
        raise ValueError(f"'{la_code}' is not an English authority")
    if chosen is not Role.CHAIR and code is None:
        raise ValueError(f"a {chosen.label} belongs to one authority: give its code or name")
    with db.transaction() as cursor:
        cursor.execute("DELETE FROM members WHERE email = ?", [address])
        cursor.execute("INSERT INTO members VALUES (?, ?, ?, ?, ?, ?)",
                       [address, chosen.value, code, name, dt.datetime.now(), actor.email])
        record(cursor, actor, "member added", la_code=code, detail={"email": address, "role": chosen.value})
    return User(address, chosen, code, name)


def remove_member(db: Database, actor: User, email: str) -> None:
    require_chair(actor, "manage members")
    address = normalise_email(email)
    with db.transaction() as cursor:
        removed = cursor.execute("DELETE FROM members WHERE email = ? RETURNING email", [address]).fetchall()
        if not removed:
            raise ValueError(f"{address} is not a member")
        record(cursor, actor, "member removed", detail={"email": address})


def sharing(db: Database) -> dict[str, Sharing]:
    """Each authority's sharing setting; an authority not listed is shared by name."""
    rows = db.cursor().execute("SELECT la_code, sharing FROM authority_sharing").fetchall()
    return {code: Sharing(value) for code, value in rows}


def set_sharing(db: Database, actor: User, la_code: str, setting: str) -> None:
    """The chair, or the authority's own DSCO, decides whether peers see it named or as a letter."""
    code = reference.resolve_authority(la_code)
    if code is None:
        raise ValueError(f"'{la_code}' is not an English authority")
    if not (actor.is_chair or (actor.role is Role.DSCO and actor.la_code == code)):
        raise AccessDenied("Only the network chair or the authority's own DSCO can change its sharing.")
    require_administrator(actor, "change an authority's sharing")
    la_code = code
    chosen = Sharing(setting)
    with db.transaction() as cursor:
        cursor.execute("INSERT OR REPLACE INTO authority_sharing VALUES (?, ?)", [la_code, chosen.value])
        record(cursor, actor, "sharing changed", la_code=la_code, detail={"sharing": chosen.value})


AuditEntry = tuple[str, str | None, str | None, dict]  # action, authority, on whose behalf, detail


def record(cursor: object, actor: User, action: str, *, la_code: str | None = None,
           on_behalf_of: str | None = None, detail: dict | None = None) -> None:
    """Append one line to the audit log, inside the caller's transaction so it stands or falls
    with the change it records. The log is never updated or deleted through the application."""
    record_all(cursor, actor, [(action, la_code, on_behalf_of, detail or {})])


def record_all(cursor: object, actor: User, entries: list[AuditEntry]) -> None:
    """Append several lines to the audit log in one statement (a file covering many authorities)."""
    if not entries:
        return
    cursor.execute(
        "INSERT INTO audit_log (recorded_at, actor, action, la_code, on_behalf_of, detail) "
        "SELECT ?, ?, unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), unnest(?::VARCHAR[])",
        [dt.datetime.now(), actor.email, [entry[0] for entry in entries], [entry[1] for entry in entries],
         [entry[2] for entry in entries], [json.dumps(entry[3], default=str) for entry in entries]],
    )


def audit_log(db: Database, actor: User) -> pd.DataFrame:
    """The audit log, newest first (chair only)."""
    if not actor.is_chair:
        raise AccessDenied("Only the network chair can read the audit log.")
    return db.frame("SELECT audit_id, recorded_at, actor, action, la_code, on_behalf_of, detail FROM audit_log "
                    "ORDER BY audit_id DESC")


@dataclass(frozen=True)
class Visit:
    """What the dashboard does with a visitor: who they act as, or why they see no data."""

    state: str  # "member", "demo", "local", "sign_in", "not_member" or "refused"
    user: User | None = None

    @property
    def sees_data(self) -> bool:
        return self.user is not None


def visit(db: Database, *, sign_in_configured: bool, logged_in: bool, email: str | None,
          email_verified: bool | None, allow_without_sign_in: bool, demo: bool) -> Visit:
    """Decide who a visitor acts as. With sign-in, only a member matched by a verified e-mail sees
    data. Without it, only a database marked as the synthetic demo is served (to a demo visitor who
    changes nothing of the network's); any other database, empty or not, only when the configuration
    explicitly allows it, and then too nobody is the chair."""
    if sign_in_configured:
        if not logged_in:
            return Visit("sign_in")
        found = member(db, email) if email and email_verified is not False else None
        return Visit("member", found) if found else Visit("not_member")
    if demo:
        return Visit("demo", DEMO_USER)
    if allow_without_sign_in:
        return Visit("local", LOCAL_USER)
    return Visit("refused")
