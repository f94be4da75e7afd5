"""The history in one SQLite file: WAL, one connection per operation, writers waiting for each other.

Streamlit serves sessions from several threads, so every operation opens its own connection and closes it;
writers take the write lock up front (BEGIN IMMEDIATE) and wait for each other (busy timeout) instead of
failing, across threads and processes. Migrations run under that same lock, so processes opening a new file
at once apply each of them once.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from .database import ENV_VAR, Cursor, HistoryUnavailable, Migration, Refused
from .schema import apply_pending

BUSY_TIMEOUT_S = 10.0
OPENING = "opening the history"
TYPES = {"int": "INTEGER", "float": "REAL", "text": "TEXT", "bool": "BOOLEAN"}

_CANNOT_WRITE = ("the file cannot be opened or written",
                 f"Check that its folder exists and that you can write to it, or set {ENV_VAR} to a file path in "
                 "a writable folder. The app keeps working without history.")
_NOT_HISTORY = ("the file is not a SQLite database",
                f"The file was left untouched: move or rename it to start a new history, or set {ENV_VAR} to "
                "another file path. The app keeps working without history.")
_DAMAGED = ("the database file is damaged",
            f"The file was left untouched: move or rename it to start a new history, or set {ENV_VAR} to "
            "another file path. The app keeps working without history.")
_BUSY = (f"the database stayed locked by another program for more than {BUSY_TIMEOUT_S:g} s",
         "Try again in a moment; if it keeps happening, close other copies of the app that use this file.")
_FULL = ("the disk holding the file is full",
         f"Free some disk space, or set {ENV_VAR} to a file on another disk. The app keeps working without history.")
_OTHER = ("the database could not be used",
          f"Set {ENV_VAR} to another file path to start a new history. The app keeps working without history.")

_BY_CODE = {"SQLITE_NOTADB": _NOT_HISTORY, "SQLITE_CORRUPT": _DAMAGED, "SQLITE_BUSY": _BUSY, "SQLITE_LOCKED": _BUSY,
            "SQLITE_FULL": _FULL, "SQLITE_CANTOPEN": _CANNOT_WRITE, "SQLITE_READONLY": _CANNOT_WRITE,
            "SQLITE_PERM": _CANNOT_WRITE, "SQLITE_IOERR": _CANNOT_WRITE, "SQLITE_AUTH": _CANNOT_WRITE}


def base_code(error: sqlite3.Error) -> str:
    """SQLITE_IOERR for SQLITE_IOERR_WRITE and the like; '' when the error carries no code."""
    name = getattr(error, "sqlite_errorname", "") or ""
    return next((code for code in _BY_CODE if name == code or name.startswith(code + "_")), name)


def _unavailable(path: Path, doing: str, error: BaseException) -> HistoryUnavailable:
    if isinstance(error, sqlite3.Error):
        title, action = _BY_CODE.get(base_code(error), _OTHER)
    else:
        title, action = _CANNOT_WRITE
    return HistoryUnavailable(path, title, action, f"while {doing}: {error}")


class _Session:
    """A sqlite3 connection; its constraint errors are `Refused`."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def execute(self, sql: str, params: Sequence[object] = ()) -> Cursor:
        try:
            return self.db.execute(sql, params)
        except sqlite3.IntegrityError as error:
            raise Refused(str(error)) from error

    def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> int:
        try:
            return self.db.executemany(sql, rows).rowcount
        except sqlite3.IntegrityError as error:
            raise Refused(str(error)) from error


class _Schema:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.types: Mapping[str, str] = TYPES

    def execute(self, sql: str) -> None:
        self.db.execute(sql)

    def create_instant_index(self, name: str, table: str, column: str) -> None:
        self.db.execute(f"CREATE INDEX {name} ON {table}(julianday({column}))")


class SqliteDatabase:
    """The history in the SQLite file at `path`."""

    kind = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path: Path | None = path
        self.file = path
        self.location = str(path)
        self._migrations: Sequence[Migration] = ()

    def open(self, migrations: Sequence[Migration]) -> None:
        """Create the folder and the file if needed, switch to WAL and apply pending migrations."""
        self._migrations = migrations
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise _unavailable(self.file, "creating its folder", error) from error
        with self._connect(OPENING) as db:
            _enable_wal(db)
            with _immediate(db):
                apply_pending(_Schema(db), migrations, db.execute)

    @contextmanager
    def _connect(self, doing: str) -> Iterator[sqlite3.Connection]:
        """A fresh connection, closed afterwards; storage errors become HistoryUnavailable."""
        if doing != OPENING and not self.file.exists():
            # Moved away or deleted while in use (what the unavailable message advises for a broken file):
            # start a new history there, rather than an empty file without tables.
            self.open(self._migrations)
        try:
            db = sqlite3.connect(self.file, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        except (sqlite3.Error, OSError) as error:
            raise _unavailable(self.file, doing, error) from error
        try:
            db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute("PRAGMA foreign_keys = ON")
            yield db
        except (sqlite3.Error, OSError) as error:
            raise _unavailable(self.file, doing, error) from error
        finally:
            db.close()

    @contextmanager
    def session(self, doing: str) -> Iterator[_Session]:
        with self._connect(doing) as db:
            yield _Session(db)

    @contextmanager
    def transaction(self, doing: str) -> Iterator[_Session]:
        with self._connect(doing) as db, _immediate(db):
            yield _Session(db)

    def instant(self, sql: str) -> str:
        return f"julianday({sql})"

    def integrity_ok(self) -> bool:
        """True when `PRAGMA integrity_check` finds nothing wrong; False for a damaged file or one not a database."""
        try:
            with self._connect("checking the database") as db:
                rows = db.execute("PRAGMA integrity_check").fetchall()
        except HistoryUnavailable as error:
            cause = error.__cause__
            if isinstance(cause, sqlite3.DatabaseError) and base_code(cause) in ("SQLITE_CORRUPT", "SQLITE_NOTADB"):
                return False
            raise
        return [tuple(row) for row in rows] == [("ok",)]

    def version(self) -> str:
        size = self.file.stat().st_size if self.file.exists() else 0
        return f"SQLite {sqlite3.sqlite_version}, {size / 1e6:,.1f} MB file"

    def close(self) -> None:
        """Nothing is kept open between operations."""


def _enable_wal(db: sqlite3.Connection) -> None:
    """Switch the file to WAL (a lasting setting), retrying while another process holds it.

    Changing the journal mode can fail with SQLITE_BUSY at once, without the busy timeout, when another
    connection is switching the same new file at the same moment.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if base_code(error) not in ("SQLITE_BUSY", "SQLITE_LOCKED") or time.monotonic() > deadline:
                raise
            time.sleep(random.uniform(0.005, 0.05))


@contextmanager
def _immediate(db: sqlite3.Connection) -> Iterator[None]:
    """One transaction; BEGIN IMMEDIATE takes the write lock up front, waiting for other writers (busy timeout)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
