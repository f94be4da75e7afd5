"""The seam between the history and a database: what `History` asks of SQLite and PostgreSQL alike.

`History` writes one SQL text (with `?` placeholders, `ON CONFLICT DO NOTHING`, ISO 8601 text for times) and
runs it through a `Database`: `sqlite.SqliteDatabase` or `postgres.PostgresDatabase`. Each of those owns
everything that differs between the two, in one place: how to connect and how many connections to keep, the
placeholders, the column types, how an ISO text becomes an instant to compare, how migrations are kept from
running twice, and which driver errors mean what for the user (`HistoryUnavailable`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from ..errors import LabError

ENV_VAR = "BEDROCK_LAB_HISTORY"
URL_SCHEMES = ("postgresql://", "postgres://")


class HistoryUnavailable(LabError):
    """The history cannot be used; the message is displayed to the user, who can keep working without it.

    `path` is where the history is: the file, or the database URL with its password masked.
    """

    def __init__(self, path: Path | str, title: str, action: str, detail: str = "") -> None:
        self.path = path
        self.title = title  # per instance here, per class in the other LabErrors
        self.action = action
        super().__init__(detail, code="HistoryUnavailable")

    @property
    def message(self) -> str:
        detail = f" ({self.detail})" if self.detail else ""
        return f"Run history is unavailable: {self.title}: {self.path}{detail}. {self.action}"


class Refused(ValueError):
    """The database refused a row (a missing required value, a value of the wrong kind): the caller's data, not
    the database, is at fault."""


class Cursor(Protocol):
    """What both drivers' cursors give."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def fetchmany(self, size: int) -> list[Any]: ...


class Session(Protocol):
    """One connection, in a transaction or not; SQL takes `?` placeholders on every database."""

    def execute(self, sql: str, params: Sequence[object] = ()) -> Cursor: ...

    def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> int:
        """Run `sql` once per row; returns the rows it changed in all."""
        ...


class Schema(Protocol):
    """What a migration sees: a session in the migrating transaction, the database's column types, and the one
    index that needs a database's own function (the instant an ISO 8601 text stands for)."""

    types: Mapping[str, str]  # "int", "float", "text", "bool" -> this database's column type

    def execute(self, sql: str) -> None: ...

    def create_instant_index(self, name: str, table: str, column: str) -> None: ...


Migration = Callable[[Schema], None]


class Database(Protocol):
    """A history's storage. Every method may raise HistoryUnavailable; `Refused` for rows it will not take."""

    kind: str  # "sqlite" or "postgresql"
    location: str  # for people: the file path, or the URL with its password masked
    path: Path | None  # the file, for SQLite

    def open(self, migrations: Sequence[Migration]) -> None:
        """Create the storage if needed and apply the pending migrations, once even when processes race."""
        ...

    def session(self, doing: str) -> AbstractContextManager[Session]:
        """A connection for reads (each statement sees committed data)."""
        ...

    def transaction(self, doing: str) -> AbstractContextManager[Session]:
        """A connection inside one write transaction, committed when the block ends (rolled back on error)."""
        ...

    def instant(self, sql: str) -> str:
        """SQL for the instant that the ISO 8601 text `sql` (a column, or `?`) stands for; without an offset,
        the text is UTC. Unparseable text gives NULL, which no time filter matches."""
        ...

    def integrity_ok(self) -> bool:
        """True when the storage checks out; False for a damaged one."""
        ...

    def version(self) -> str:
        """The database engine and its version, for `python -m core history info`."""
        ...

    def close(self) -> None:
        """Let go of connections kept open; the next call opens new ones."""
        ...


def now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def is_url(location: str) -> bool:
    """True for a PostgreSQL URL (postgresql:// or postgres://), false for a file path."""
    return location.strip().lower().startswith(URL_SCHEMES)


_URL_PASSWORD = re.compile(r"^(?P<head>[a-z]+://[^/@?#]*?:)(?P<password>[^/@?#]*)@", re.IGNORECASE)
_QUERY_PASSWORD = re.compile(r"(?P<head>[?&]password=)(?P<password>[^&#]*)", re.IGNORECASE)


def mask_password(url: str) -> str:
    """The URL with its password (in the user part or a `password=` parameter) shown as ***."""
    masked = _URL_PASSWORD.sub(lambda m: m.group("head") + "***@" if m.group("password") else m.group(0), url)
    return _QUERY_PASSWORD.sub(lambda m: m.group("head") + "***", masked)


def passwords_in(url: str) -> Iterator[str]:
    """The passwords written in the URL (to scrub them from any text shown)."""
    for pattern in (_URL_PASSWORD, _QUERY_PASSWORD):
        for match in pattern.finditer(url):
            if match.group("password"):
                yield match.group("password")
