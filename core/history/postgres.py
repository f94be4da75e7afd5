"""The history on a PostgreSQL server (14 or later), for a team: `BEDROCK_LAB_HISTORY=postgresql://...`.

Connections come from one psycopg pool per database URL and process, checked before each use, so a server
restarted meanwhile costs nothing but a reconnection, and one that went away fails the call at once. Opening
connects directly first: a wrong password, an unknown database or a server that is down is reported at once
and precisely, not after a pool timeout.
Migrations run in one transaction under a transaction-scoped advisory lock, so app processes starting at the
same time on a new database apply each migration once; DDL is transactional here, so a failed one leaves
nothing behind. A statement in autocommit sees what others committed; writes are one transaction each,
committed before the call returns.

What differs from SQLite, here and nowhere else: `%s` placeholders (the history writes `?`), 64-bit integers
and doubles, `bedrock_lab_instant()` (an immutable function turning ISO 8601 text into a timestamptz, so
started_utc stays the exact text recorded and is still compared as an instant, through an index), NUL
characters (text columns cannot hold them: they are stored as U+FFFD), and the errors of a server.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg import conninfo
from psycopg_pool import ConnectionPool, PoolTimeout

from .database import ENV_VAR, Cursor, HistoryUnavailable, Migration, Refused, mask_password, passwords_in
from .schema import apply_pending

CONNECT_TIMEOUT_S = 5
POOL_WAIT_S = 5.0
POOL_MAX_CONNECTIONS = 10
OPENING = "opening the history"
# pg_advisory_xact_lock key for the migrations: "lab_hist" as a 64-bit integer, the same in every process.
MIGRATION_LOCK = int.from_bytes(b"lab_hist", "big") - 2**63
TYPES = {"int": "BIGINT", "float": "DOUBLE PRECISION", "text": "TEXT", "bool": "BOOLEAN"}

INSTANT_FUNCTION = r"""
CREATE OR REPLACE FUNCTION bedrock_lab_instant(value text) RETURNS timestamptz
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
    -- With an offset the text names one instant whatever the session's time zone; without one it is UTC.
    IF value ~ '[T ][0-9:.,]+([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)$' THEN
        RETURN value::timestamptz;
    END IF;
    RETURN value::timestamp AT TIME ZONE 'UTC';
EXCEPTION WHEN others THEN
    RETURN NULL;  -- not a time: it matches no time filter, as julianday() gives NULL in SQLite
END $$"""

_LATER = "The app keeps working without history, and uses it again by itself once the server is back."
_DOWN = ("the database server cannot be reached",
         f"Check that PostgreSQL is running there and that this computer can reach it. {_LATER} (Or unset "
         f"{ENV_VAR} to keep the history in a file on this computer.)")
_LOST = ("the connection to the database server was lost",
         f"Try again: a new connection is made for the next call. {_LATER}")
_AUTH = ("the database server refused the user name or password",
         f"Correct them in {ENV_VAR} (postgresql://USER:PASSWORD@HOST:PORT/DATABASE), or leave the password out "
         "of the URL and put it in PGPASSWORD or ~/.pgpass. The app keeps working without history.")
_NO_DATABASE = ("the database does not exist on the server",
                f"Create it (createdb NAME, or CREATE DATABASE NAME in psql), or correct its name in {ENV_VAR}. "
                "The app keeps working without history.")
_DENIED = ("the database user may not create or change the history's tables",
           "Grant it CREATE on the database's public schema (or make it the database's owner), or use another "
           f"user in {ENV_VAR}. The app keeps working without history.")
_BUSY = (f"no connection to the database server became free within {POOL_WAIT_S:g} s",
         "Try again in a moment; if it keeps happening, the server is overloaded or has no free connection slots.")
_FULL = ("the database server's disk is full", "Ask its administrator to free some space. The app keeps working "
         "without history.")
_BAD_URL = ("the database URL is not valid",
            f"Write {ENV_VAR} as postgresql://USER:PASSWORD@HOST:PORT/DATABASE (or a file path for a history on "
            "this computer). The app keeps working without history.")
_OTHER = ("the database could not be used",
          f"Check the server's log, or set {ENV_VAR} to another database. The app keeps working without history.")

# Connection failures carry no SQLSTATE: libpq's messages say what happened.
_BY_MESSAGE = (("password authentication failed", _AUTH), ("no password supplied", _AUTH),
               ("role \"", _AUTH), ("no pg_hba.conf entry", _AUTH), ("database \"", _NO_DATABASE),
               ("Connection refused", _DOWN), ("could not connect", _DOWN), ("timeout expired", _DOWN),
               ("could not translate host name", _DOWN), ("No such file or directory", _DOWN),
               ("Network is unreachable", _DOWN), ("No route to host", _DOWN),
               ("the database system is", _DOWN), ("server closed the connection", _LOST),
               ("terminating connection", _LOST), ("connection is lost", _LOST), ("the connection is closed", _LOST),
               ("consuming input failed", _LOST), ("sending query", _LOST), ("too many clients", _BUSY),
               ("remaining connection slots", _BUSY))
_BY_SQLSTATE = {"28": _AUTH, "3D000": _NO_DATABASE, "08": _LOST, "57P01": _LOST, "57P02": _LOST, "57P03": _DOWN,
                "42501": _DENIED, "53100": _FULL, "53300": _BUSY}


def _reason(error: BaseException) -> tuple[str, str]:
    if isinstance(error, PoolTimeout):
        return _BUSY
    state = getattr(error, "sqlstate", None) or ""
    if state:
        found = _BY_SQLSTATE.get(state) or _BY_SQLSTATE.get(state[:2])
        if found:
            return found
    text = str(error)
    return next((reason for needle, reason in _BY_MESSAGE if needle in text), _OTHER)


class _Session:
    """A psycopg connection taking the history's `?` SQL; refused rows are `Refused`."""

    def __init__(self, db: psycopg.Connection[Any]) -> None:
        self.db = db

    def execute(self, sql: str, params: Sequence[object] = ()) -> Cursor:
        try:
            # Results in binary: numbers arrive without text parsing (100,000 Monitor rows fetched in 0.14 s, not 0.27).
            return self.db.cursor(binary=True).execute(_placeholders(sql), [_storable(value) for value in params])
        except (psycopg.IntegrityError, psycopg.DataError) as error:
            raise Refused(str(error)) from error

    def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> int:
        cursor = self.db.cursor()
        try:
            cursor.executemany(_placeholders(sql), [[_storable(value) for value in row] for row in rows])
        except (psycopg.IntegrityError, psycopg.DataError) as error:
            raise Refused(str(error)) from error
        return cursor.rowcount


class _Schema:
    def __init__(self, db: psycopg.Connection[Any]) -> None:
        self.db = db
        self.types: Mapping[str, str] = TYPES

    def execute(self, sql: str) -> None:
        self.db.execute(sql)

    def create_instant_index(self, name: str, table: str, column: str) -> None:
        self.db.execute(INSTANT_FUNCTION)
        self.db.execute(f"CREATE INDEX {name} ON {table}(bedrock_lab_instant({column}))")


def _placeholders(sql: str) -> str:
    """The history's `?` placeholders as psycopg's `%s` (the history's SQL has no `?` or `%` of its own)."""
    return sql.replace("%", "%%").replace("?", "%s")


def _storable(value: object) -> object:
    """PostgreSQL text cannot hold NUL: it is kept as U+FFFD, the rest of the text as it was."""
    if isinstance(value, str) and "\x00" in value:
        return value.replace("\x00", "\ufffd")
    return value


class _SharedPool:
    """The process's pool for one database URL, shared by every History on it (Streamlit's sessions, the API),
    and whether the server was last found unreachable (then calls fail fast until a direct connection works)."""

    def __init__(self, url: str, kwargs: dict[str, Any]) -> None:
        self.url = url
        self.kwargs = kwargs
        self.lock = threading.Lock()
        self.pool: ConnectionPool[psycopg.Connection[Any]] | None = None
        self.down = False

    def get(self) -> ConnectionPool[psycopg.Connection[Any]]:
        with self.lock:
            if self.pool is None:
                self.pool = ConnectionPool(self.url, kwargs=self.kwargs, min_size=1, max_size=POOL_MAX_CONNECTIONS,
                                           open=True, timeout=POOL_WAIT_S,
                                           reconnect_timeout=60.0, name="bedrock-lab-history")
            return self.pool

    def close(self) -> None:
        with self.lock:
            pool, self.pool = self.pool, None
        if pool is not None:
            pool.close(timeout=2.0)


_POOLS: dict[str, _SharedPool] = {}
_POOLS_LOCK = threading.Lock()


def _shared_pool(url: str, kwargs: dict[str, Any]) -> _SharedPool:
    with _POOLS_LOCK:
        if url not in _POOLS:
            _POOLS[url] = _SharedPool(url, kwargs)
        return _POOLS[url]


def close_pools(url: str | None = None) -> None:
    """Close the pooled connections to `url` (every URL when None); a later call opens new ones."""
    with _POOLS_LOCK:
        chosen = [pool for key, pool in _POOLS.items() if url is None or key == url]
    for pool in chosen:
        pool.close()


atexit.register(close_pools)


class PostgresDatabase:
    """The history in the PostgreSQL database at `url` (postgresql://USER:PASSWORD@HOST:PORT/DATABASE)."""

    kind = "postgresql"
    path: Path | None = None

    def __init__(self, url: str) -> None:
        self.url = url.strip()
        self.location = mask_password(self.url)
        self._secrets = [secret for secret in passwords_in(self.url) if secret]
        try:
            given = conninfo.conninfo_to_dict(self.url)
        except psycopg.ProgrammingError as error:
            raise self._unavailable("reading the database URL", error, _BAD_URL) from None
        self._kwargs: dict[str, Any] = {"autocommit": True}
        if "connect_timeout" not in given:
            self._kwargs["connect_timeout"] = CONNECT_TIMEOUT_S
        if "application_name" not in given:
            self._kwargs["application_name"] = "bedrock-streaming-lab"
        self._shared = _shared_pool(self.url, self._kwargs)

    def __repr__(self) -> str:
        return f"PostgresDatabase({self.location!r})"

    def _unavailable(self, doing: str, error: BaseException,
                     reason: tuple[str, str] | None = None) -> HistoryUnavailable:
        title, action = reason or _reason(error)
        detail = " ".join(str(error).split())
        for secret in self._secrets:
            detail = detail.replace(secret, "***")
        return HistoryUnavailable(self.location, title, action, f"while {doing}: {detail}")

    @contextmanager
    def _direct(self, doing: str, autocommit: bool = True) -> Iterator[psycopg.Connection[Any]]:
        """A connection of its own (not pooled), closed afterwards."""
        try:
            db = psycopg.connect(self.url, **{**self._kwargs, "autocommit": autocommit})
        except psycopg.Error as error:
            raise self._unavailable(doing, error) from error
        try:
            yield db
        except psycopg.Error as error:
            raise self._unavailable(doing, error) from error
        finally:
            db.close()

    def _probe(self, doing: str) -> None:
        """Connect directly: raise why the server cannot be used, or, when it is back after being found down,
        start a new pool (the old one may be waiting out its reconnection backoff)."""
        try:
            with self._direct(doing):
                pass
        except HistoryUnavailable:
            self._shared.down = True
            raise
        if self._shared.down:
            self._shared.down = False
            self._shared.close()

    def open(self, migrations: Sequence[Migration]) -> None:
        """Apply pending migrations in one transaction, under an advisory lock that concurrent openers wait for."""
        with self._direct(OPENING, autocommit=False) as db, db.transaction():
            db.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            apply_pending(_Schema(db), migrations,
                          lambda sql, params=(): db.execute(_placeholders(sql), params))
        self._shared.down = False

    @contextmanager
    def _connection(self, doing: str) -> Iterator[psycopg.Connection[Any]]:
        """A pooled connection that answered a check; server errors become HistoryUnavailable."""
        if self._shared.down:
            self._probe(doing)  # fails fast while the server stays unreachable
        pool = self._shared.get()
        db = self._checked(pool, doing)
        try:
            yield db
        except psycopg.Error as error:
            raise self._unavailable(doing, error) from error
        finally:
            pool.putconn(db)

    def _checked(self, pool: ConnectionPool[psycopg.Connection[Any]], doing: str) -> psycopg.Connection[Any]:
        """A connection from the pool that answers an empty query. One that does not (the server restarted or
        went away since it was made) goes back to be replaced, and a direct connection tells at once whether
        the server is there: if not, the call fails now instead of after the pool's timeout."""
        for _ in range(POOL_MAX_CONNECTIONS + 1):
            try:
                db = pool.getconn()
            except PoolTimeout as error:
                self._probe(doing)  # the server's own reason, when it cannot be reached
                raise self._unavailable(doing, error) from error
            try:
                ConnectionPool.check_connection(db)
                return db
            except psycopg.Error:
                pool.putconn(db)  # broken: the pool drops it and makes a new one
                self._probe(doing)
        raise self._unavailable(doing, PoolTimeout("every pooled connection was broken"), _LOST)

    @contextmanager
    def session(self, doing: str) -> Iterator[_Session]:
        with self._connection(doing) as db:
            yield _Session(db)

    @contextmanager
    def transaction(self, doing: str) -> Iterator[_Session]:
        with self._connection(doing) as db, db.transaction():
            yield _Session(db)

    def instant(self, sql: str) -> str:
        return f"bedrock_lab_instant({sql})"

    def integrity_ok(self) -> bool:
        """True when the server answers and the history's tables are there."""
        with self.session("checking the database") as db:
            row = db.execute("SELECT to_regclass('_migrations'), to_regclass('runs'), to_regclass('conversations'), "
                             "to_regclass('messages'), to_regclass('compare_picks')").fetchone()
        return row is not None and all(name is not None for name in row)

    def version(self) -> str:
        with self.session("asking the server's version") as db:
            row = db.execute("SHOW server_version").fetchone()
        return f"PostgreSQL {row[0].split()[0] if row else '?'}"

    def close(self) -> None:
        self._shared.close()
