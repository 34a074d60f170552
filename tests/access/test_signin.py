"""Sign-in and the demo (issue 17, item 7): a token is trusted for its e-mail address only when the
provider verified it or the network lists its issuer and tenant; each member is bound to the account of
their first sign-in; the demo's visitor saves nothing; `--as` is honoured or refused on every command that
has it; a pack that could not be written is one line and is not audited as generated.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from benchmark import cli, service
from benchmark.access import rights
from benchmark.access.rights import AccessDenied, TrustedIssuer
from benchmark.db import Database, close_database, open_database
from benchmark.periods import Period

CHAIR = "chair@network.gov.uk"
UPLOADER = "up@camden.gov.uk"
ENTRA = "https://login.microsoftonline.com/11111111-aaaa-bbbb-cccc-000000000001/v2.0"
TENANT = "11111111-aaaa-bbbb-cccc-000000000001"
QUARTER = Period.parse("2025-26 Q1")


@pytest.fixture
def members(tmp_db: Database) -> Database:
    chair = rights.add_member(tmp_db, rights.local_operator("test"), CHAIR, "chair", None)
    rights.add_member(tmp_db, chair, UPLOADER, "uploader", "202")
    rights.add_member(tmp_db, chair, "dsco@camden.gov.uk", "dsco", "202")
    rights.add_member(tmp_db, chair, "dsco@islington.gov.uk", "dsco", "206")
    return tmp_db


def signed_in(db: Database, email: str, **claims: object) -> rights.Visit:
    settings = {"sign_in_configured": True, "logged_in": True, "email": email, "email_verified": True,
                "allow_without_sign_in": False, "demo": False, "issuer": "https://accounts.example",
                "subject": "account-1", **claims}
    return rights.visit(db, **settings)


def audit_actions(db: Database) -> list[str]:
    return [row[0] for row in db.cursor().execute("SELECT action FROM audit_log ORDER BY audit_id").fetchall()]


# --- whose address a token may carry --------------------------------------------------------------------

def test_an_unverified_address_is_refused_unless_the_network_trusts_its_issuer_and_tenant(members: Database):
    """The break: a token carrying the chair's e-mail with no `email_verified` made a stranger the chair."""
    naive = rights.member(members, CHAIR)  # matching the address alone, as before, hands over the chair
    assert naive is not None and naive.is_chair
    for verified in (None, False, "true"):
        assert signed_in(members, CHAIR, email_verified=verified) == rights.Visit("unverified")
    trusted = rights.trusted_issuers([{"issuer": ENTRA, "tenant": TENANT}])
    entra = {"email_verified": None, "issuer": ENTRA, "tenant": TENANT, "trusted": trusted}
    assert signed_in(members, CHAIR, **entra).user == naive
    # another tenant of the same multi-tenant provider, or another provider, is not vouched for
    assert signed_in(members, UPLOADER, **{**entra, "tenant": "22222222-0000-0000-0000-000000000002"}).state == \
        "unverified"
    assert signed_in(members, UPLOADER, **{**entra, "issuer": "https://evil.example"}).state == "unverified"
    # an issuer listed without a tenant vouches for every tenant of it
    assert TrustedIssuer("https://idp.example").vouches_for("https://idp.example", "any")
    assert not TrustedIssuer("https://idp.example").vouches_for(None, None)
    with pytest.raises(ValueError, match="needs an issuer"):
        rights.trusted_issuers([{"tenant": TENANT}])


def test_a_member_is_bound_to_the_account_of_their_first_sign_in(members: Database) -> None:
    first = signed_in(members, UPLOADER, subject="account-1")
    assert first.state == "member" and first.user.email == UPLOADER
    assert rights.bound_identity(members, UPLOADER) == ("https://accounts.example", "account-1")
    assert audit_actions(members)[-1] == "sign-in bound"
    assert signed_in(members, UPLOADER, subject="account-1").state == "member"
    assert audit_actions(members).count("sign-in bound") == 1  # bound once, not on every page run
    # the same address from another account, or another provider, is refused
    assert signed_in(members, UPLOADER, subject="account-2") == rights.Visit("other_account")
    assert signed_in(members, UPLOADER, issuer="https://other.example", subject="account-1").state == \
        "other_account"
    assert signed_in(members, "Up@Camden.gov.uk", subject="account-1").state == "member"  # same address, any case
    # the chair removes and adds the member again: the address binds afresh
    chair = rights.member(members, CHAIR)
    rights.remove_member(members, chair, UPLOADER)
    assert rights.bound_identity(members, UPLOADER) is None
    rights.add_member(members, chair, UPLOADER, "uploader", "202")
    assert signed_in(members, UPLOADER, subject="account-2").state == "member"
    assert signed_in(members, UPLOADER, subject="account-1").state == "other_account"


def test_the_binding_table_arrives_by_migration_6_in_an_existing_database(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    db = open_database(path)
    rights.add_member(db, rights.local_operator("test"), CHAIR, "chair", None)
    db.cursor().execute("DROP TABLE member_identities")
    db.cursor().execute("DELETE FROM schema_migrations WHERE version = 6")  # as a database from before it
    close_database(path)
    reopened = open_database(path)
    try:
        assert 6 in {row[0] for row in reopened.cursor().execute("SELECT version FROM schema_migrations").fetchall()}
        assert signed_in(reopened, CHAIR).state == "member"
        assert rights.bound_identity(reopened, CHAIR) == ("https://accounts.example", "account-1")
    finally:
        close_database(path)


# --- the demo's visitor saves nothing -------------------------------------------------------------------

def test_the_demo_visitor_writes_no_commentary(demo_db: Database) -> None:
    """The break: a visitor to the demo wrote commentary for any authority and it was saved."""
    before = demo_db.scalar("SELECT count(*) FROM commentary"), demo_db.scalar("SELECT count(*) FROM audit_log")
    assert not service.may_comment(rights.DEMO_USER, "202")
    assert service.may_comment(rights.local_operator("test"), "202")  # the control: the operator may
    with pytest.raises(AccessDenied, match="nothing you enter is saved"):
        service.write_commentary(demo_db, rights.DEMO_USER, "202", QUARTER, "adv_6wk_pct", "Written by a stranger")
    after = demo_db.scalar("SELECT count(*) FROM commentary"), demo_db.scalar("SELECT count(*) FROM audit_log")
    assert after == before


# --- the command line: --as honoured or refused, a pack that cannot be written -------------------------

def run(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_commentary_list_and_members_list_honour_as(members: Database, capsys: pytest.CaptureFixture) -> None:
    db = members
    chair = rights.member(db, CHAIR)
    service.write_commentary(db, chair, "202", QUARTER, "adv_6wk_pct", "Camden's words")
    service.write_commentary(db, chair, "206", QUARTER, "adv_6wk_pct", "Islington's words")
    rights.set_sharing(db, chair, "206", "anonymous")
    path = str(db.path)
    code, out, err = run(capsys, "commentary", "list", "--period", str(QUARTER), "--db", path)
    assert code == 0 and "Islington's words" in out and CHAIR in out  # the operator (chair) sees everything
    code, out, err = run(capsys, "commentary", "list", "--period", str(QUARTER), "--as", UPLOADER, "--db", path)
    assert code == 0, err
    assert "Camden's words" in out and "Islington's words" not in out and CHAIR not in out
    code, out, err = run(capsys, "commentary", "list", "--period", str(QUARTER), "--la", "206", "--as", UPLOADER,
                         "--db", path)
    assert code == 1 and "anonymously" in err and "Islington's words" not in out
    code, out, err = run(capsys, "commentary", "list", "--period", str(QUARTER), "--as", "x@nowhere.gov.uk",
                         "--db", path)
    assert code == 1 and "not a member" in err and err.count("\n") == 1
    code, out, err = run(capsys, "members", "list", "--as", UPLOADER, "--db", path)
    assert code == 1 and "Only the network chair" in err and "dsco@islington" not in out
    code, out, err = run(capsys, "members", "list", "--as", CHAIR, "--db", path)
    assert code == 0 and "dsco@islington.gov.uk" in out


@pytest.mark.parametrize("where", ["missing folder", "folder", "unwritable"])
def test_a_pack_to_a_bad_path_is_one_line_and_not_audited(demo_db: Database, tmp_path: Path, where: str,
                                                          benchmark_cli: Callable) -> None:
    target = {"missing folder": tmp_path / "no" / "such" / "pack.pdf", "folder": tmp_path,
              "unwritable": Path("/proc/pack.xlsx")}[where]
    path = demo_db.path
    before = demo_db.scalar("SELECT count(*) FROM audit_log WHERE action = 'pack generated'")
    close_database(path)
    process = benchmark_cli("pack", "--period", "2026-27 Q2", "--format", "xlsx", "--out", str(target), db=path)
    assert process.returncode == 2, process.stdout + process.stderr
    assert "Traceback" not in process.stderr and process.stderr.count("\n") == 1
    assert process.stderr.startswith("error: cannot write the pack to") and str(target) in process.stderr
    db = open_database(path)
    assert db.scalar("SELECT count(*) FROM audit_log WHERE action = 'pack generated'") == before


def test_a_written_pack_is_audited_after_it_is_written(demo_db: Database, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "pack.xlsx"
    before = dt.datetime.now()
    code, printed, err = run(capsys, "pack", "--period", "2026-27 Q2", "--format", "xlsx", "--out", str(out),
                             "--db", str(demo_db.path))
    assert code == 0 and printed.startswith(f"wrote {out}"), err
    written = dt.datetime.fromtimestamp(out.stat().st_mtime)
    audited = demo_db.scalar("SELECT max(recorded_at) FROM audit_log WHERE action = 'pack generated'")
    assert before <= written <= audited
