"""Who may see and do what: members, roles per authority, sharing settings and the audit log.

Every rule is here and is enforced by the functions in benchmark.service, which every page and
command calls with the acting user; hiding a button is never the only guard.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
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
    # False for the demo's visitor: a stranger on a public demo saves nothing at all, commentary included.
    may_write: bool = True

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
DEMO_USER = User("demo@localhost", Role.CHAIR, None, "Demo user", may_administer=False, may_write=False)
DEMO_NO_WRITES = ("This is the synthetic demo without sign-in: nothing you enter is saved here. Commentary, "
                  "returns and the chair's changes are saved with sign-in configured (see the README).")
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


def require_writer(actor: User) -> None:
    """The demo's visitor saves nothing; everyone else is checked by the rule for what they change."""
    if not actor.may_write:
        raise AccessDenied(DEMO_NO_WRITES)


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
        raise ValueError(reference.not_an_authority(la_code))
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
        # Added again later, the address binds afresh to the account it then signs in with.
        cursor.execute("DELETE FROM member_identities WHERE email = ?", [address])
        record(cursor, actor, "member removed", detail={"email": address})


def sharing(db: Database) -> dict[str, Sharing]:
    """Each authority's sharing setting; an authority not listed is shared by name."""
    rows = db.remembered("sharing", lambda: db.cursor().execute(
        "SELECT la_code, sharing FROM authority_sharing").fetchall())
    return {code: Sharing(value) for code, value in rows}


def set_sharing(db: Database, actor: User, la_code: str, setting: str) -> None:
    """The chair, or the authority's own DSCO, decides whether peers see it named or as a letter."""
    code = reference.resolve_authority(la_code)
    if code is None:
        raise ValueError(reference.not_an_authority(la_code))
    if not (actor.is_chair or (actor.role is Role.DSCO and actor.la_code == code)):
        raise AccessDenied("Only the network chair or the authority's own DSCO can change its sharing.")
    require_administrator(actor, "change an authority's sharing")
    la_code = code
    chosen = Sharing(setting)
    with db.transaction() as cursor:
        cursor.execute("INSERT OR REPLACE INTO authority_sharing VALUES (?, ?)", [la_code, chosen.value])
        record(cursor, actor, "sharing changed", la_code=la_code, detail={"sharing": chosen.value})


AuditEntry = tuple[str, str | None, str | None, dict]  # action, authority, on whose behalf, detail
# When an audit line is recorded: now, except while the demo replays its network's history (`recorded_at`).
_AUDIT_TIME: ContextVar[dt.datetime | None] = ContextVar("audit_time", default=None)


@contextmanager
def recorded_at(when: dt.datetime) -> Iterator[None]:
    """Audit lines written inside this block carry `when`: for the demo, which replays a network's
    quarters in seconds and must show when each thing would have happened."""
    token = _AUDIT_TIME.set(when)
    try:
        yield
    finally:
        _AUDIT_TIME.reset(token)


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
        [_AUDIT_TIME.get() or dt.datetime.now(), actor.email, [entry[0] for entry in entries],
         [entry[1] for entry in entries], [entry[2] for entry in entries],
         [json.dumps(entry[3], default=str) for entry in entries]],
    )


def audit_log(db: Database, actor: User) -> pd.DataFrame:
    """The audit log, newest first (chair only)."""
    if not actor.is_chair:
        raise AccessDenied("Only the network chair can read the audit log.")
    return db.frame("SELECT audit_id, recorded_at, actor, action, la_code, on_behalf_of, detail FROM audit_log "
                    "ORDER BY audit_id DESC")


@dataclass(frozen=True)
class TrustedIssuer:
    """An identity provider (and, for Microsoft Entra ID, one council's tenant) whose tokens the
    network trusts for the e-mail address even without an `email_verified` claim: Entra ID's tokens
    carry none, and with a multi-tenant registration any tenant could otherwise claim any address."""

    issuer: str
    tenant: str = ""

    def vouches_for(self, issuer: str | None, tenant: str | None) -> bool:
        return bool(issuer) and issuer == self.issuer and (not self.tenant or tenant == self.tenant)


def trusted_issuers(entries: Iterable[Mapping[str, str]]) -> tuple[TrustedIssuer, ...]:
    """The `[[dsco.trusted_issuers]]` entries of the secrets file (issuer, optional tenant)."""
    trusted = []
    for entry in entries:
        if not str(entry.get("issuer", "")).strip():
            raise ValueError("each [[dsco.trusted_issuers]] entry needs an issuer")
        trusted.append(TrustedIssuer(str(entry["issuer"]).strip(), str(entry.get("tenant", "")).strip()))
    return tuple(trusted)


@dataclass(frozen=True)
class Identity:
    """What a sign-in token says about the person: the claims the dashboard decides on."""

    email: str | None
    email_verified: bool | None = None
    issuer: str | None = None  # `iss`
    subject: str | None = None  # `sub`: the account at that issuer, stable while the e-mail may change hands
    tenant: str | None = None  # `tid` (Microsoft Entra ID)

    def address_trusted(self, trusted: Iterable[TrustedIssuer]) -> bool:
        """The provider says the address is verified, or the network lists the issuer and tenant."""
        return self.email_verified is True or any(item.vouches_for(self.issuer, self.tenant) for item in trusted)


def bound_identity(db: Database, email: str) -> tuple[str, str] | None:
    """The (issuer, subject) a member first signed in with, or None before their first sign-in."""
    rows = db.cursor().execute("SELECT issuer, subject FROM member_identities WHERE email = ?",
                               [normalise_email(email)]).fetchall()
    return (rows[0][0], rows[0][1]) if rows else None


def _signed_in_member(db: Database, identity: Identity, trusted: Iterable[TrustedIssuer]) -> Visit:
    """A member matched by a trusted address, bound to the account of its first sign-in: a later token
    for the same address from another account (another tenant, a re-issued mailbox) is refused."""
    if not identity.email:
        return Visit("not_member")
    if not identity.address_trusted(trusted):
        return Visit("unverified")
    found = member(db, identity.email)
    if found is None:
        return Visit("not_member")
    if not (identity.issuer and identity.subject):  # every OpenID Connect token carries both
        return Visit("member", found)
    bound = bound_identity(db, found.email)
    if bound is None:
        with db.transaction(changes_data=False) as cursor:
            cursor.execute("INSERT INTO member_identities VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                           [found.email, identity.issuer, identity.subject, dt.datetime.now()])
            record(cursor, found, "sign-in bound", la_code=found.la_code, detail={"issuer": identity.issuer})
        bound = bound_identity(db, found.email)
    if bound != (identity.issuer, identity.subject):
        return Visit("other_account")
    return Visit("member", found)


@dataclass(frozen=True)
class Visit:
    """What the dashboard does with a visitor: who they act as, or why they see no data."""

    state: str  # "member", "demo", "local", "sign_in", "not_member", "unverified", "other_account" or "refused"
    user: User | None = None

    @property
    def sees_data(self) -> bool:
        return self.user is not None


def visit(db: Database, *, sign_in_configured: bool, logged_in: bool, email: str | None,
          email_verified: bool | None, allow_without_sign_in: bool, demo: bool, issuer: str | None = None,
          subject: str | None = None, tenant: str | None = None,
          trusted: Iterable[TrustedIssuer] = ()) -> Visit:
    """Decide who a visitor acts as. With sign-in, only a member matched by an e-mail address the
    provider verified (or whose issuer and tenant the network trusts), from the account that member
    first signed in with, sees data. Without it, only a database marked as the synthetic demo is
    served (to a demo visitor who saves nothing); any other database, empty or not, only when the
    configuration explicitly allows it, and then too nobody is the chair."""
    if sign_in_configured:
        if not logged_in:
            return Visit("sign_in")
        return _signed_in_member(db, Identity(email, email_verified, issuer, subject, tenant), trusted)
    if demo:
        return Visit("demo", DEMO_USER)
    if allow_without_sign_in:
        return Visit("local", LOCAL_USER)
    return Visit("refused")
