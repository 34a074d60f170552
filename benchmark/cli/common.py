"""What every command group shares: the parser that exits 2 with one line, the acting user (--as), and
the argument types that turn text into quarters, authorities, metrics and dates."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from benchmark.access import rights
from benchmark.db import Database, open_for_reading
from benchmark.definitions.metrics import METRICS
from benchmark.definitions.standard import MAX_FILE_BYTES
from benchmark.periods import Period, PeriodError
from benchmark.reference import not_an_authority, resolve_authority


class Parser(argparse.ArgumentParser):
    """Bad arguments exit 2 with a one-line reason, not a usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def read_files(paths: Sequence[str]) -> list[tuple[str, bytes]]:
    files = []
    for name in paths:
        path = Path(name)
        if not path.is_file():
            raise SystemExit(fail(f"no such file: {name}"))
        if (size := path.stat().st_size) > MAX_FILE_BYTES.value:  # refused before a byte is read
            raise SystemExit(fail(f"{name} is {size:,} bytes: a return may have at most {MAX_FILE_BYTES.describe} "
                                  f"({MAX_FILE_BYTES.reason}); nothing was read"))
        files.append((path.name, path.read_bytes()))
    return files


def fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def acting_user(database: Database, email: str | None) -> rights.User:
    """--as EMAIL acts as that member, under the same rules as the pages; without it the person
    at the server's command line acts as the network's operator (chair)."""
    if email is None:
        return rights.local_operator(getpass.getuser())
    user = rights.member(database, email)
    if user is None:
        raise rights.AccessDenied(f"{email} is not a member of this network")
    return user


def reading_database(path: str | None) -> Database:
    """The database for a command that only reads; while the dashboard holds it, the dashboard's copy,
    said on stderr so that CSV and JSON on stdout stay clean."""
    database = open_for_reading(path)
    if database.copy_of is not None:
        made = database.copy_of.made_at
        print(f"note: the dashboard holds {database.copy_of.original}; reading its copy as at "
              f"{made.day} {made:%b %Y, %H:%M}.", file=sys.stderr)
    return database


def period_argument(text: str) -> Period:
    try:
        return Period.parse(text)
    except PeriodError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def authority_argument(text: str) -> str:
    code = resolve_authority(text)
    if code is None:
        raise argparse.ArgumentTypeError(not_an_authority(text))
    return code


def metric_argument(text: str) -> str:
    if text not in METRICS:
        raise argparse.ArgumentTypeError(f"unknown metric '{text}' (see `python -m benchmark metrics`)")
    return text


def date_argument(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date like 2026-11-06") from None
