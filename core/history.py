"""Run history in SQLite: every run, and the chat conversations, in one file.

Tables:

    _migrations    name, applied_utc: the schema migrations applied to this file, in order
    runs           one row per `RunRecord`, a column per field (same names; `notes` and `stop_sequences`
                   as JSON text), plus `recorded_utc`; primary key run_id; written once, never updated
    conversations  conversation_id, title, model_id, system, created_utc, updated_utc
    messages       message_id, conversation_id, position, role, text, run_id (nullable), status,
                   created_utc; positions are 0, 1, 2, ... within a conversation, unique

The file is `history.sqlite` in the user's data directory, or the path in `BEDROCK_LAB_HISTORY`. It runs in
WAL mode with one connection per operation (Streamlit serves sessions from several threads), and writers
wait for each other (busy timeout) instead of failing, across threads and processes. Any storage problem
surfaces as `HistoryUnavailable`, whose message is meant for the user; the app keeps working without history.

    history = History()
    history.record_run(record)
    frame = history.runs(model_ids=[catalog.default_model_id()], statuses=["ok"])
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints

import pandas as pd
import platformdirs

from .errors import LabError
from .types import Role, RunRecord, Status

APP_NAME = "bedrock-streaming-lab"
FILE_NAME = "history.sqlite"
ENV_VAR = "BEDROCK_LAB_HISTORY"
BUSY_TIMEOUT_S = 10.0
_SLICE_ROWS = 10_000
_OPENING = "opening the history"


class HistoryUnavailable(LabError):
    """The history file cannot be used; the message is displayed to the user, who can keep working without it."""

    def __init__(self, path: Path, title: str, action: str, detail: str = "") -> None:
        self.path = path
        self.title = title  # per instance here, per class in the other LabErrors
        self.action = action
        super().__init__(detail, code="HistoryUnavailable")

    @property
    def message(self) -> str:
        detail = f" ({self.detail})" if self.detail else ""
        return f"Run history is unavailable: {self.title}: {self.path}{detail}. {self.action}"


class RunAlreadyRecorded(ValueError):
    """A run is written once: this run_id is already in the history."""


def default_path() -> Path:
    """`BEDROCK_LAB_HISTORY` if set, else history.sqlite in the user's data directory."""
    override = os.environ.get(ENV_VAR, "").strip()
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME)) / FILE_NAME


def open_history(open_file: Callable[[str], History] | None = None) -> tuple[History | None, str | None]:
    """The history at the default path, or None and the message to show when it cannot be used (the app then
    works without it). `open_file` may cache the History per file; a failure is raised, never cached, so a
    file that is fixed meanwhile is used on the next try."""
    try:
        return (open_file or History)(str(default_path())), None
    except HistoryUnavailable as problem:
        return None, problem.message


def _now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


# -- schema ----------------------------------------------------------------------------------------

Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: list[Migration] = []


def _migration(function: Migration) -> Migration:
    """Register a migration; they run in the order they are defined, each once per file."""
    MIGRATIONS.append(function)
    return function


@_migration
def m001_runs(db: sqlite3.Connection) -> None:
    db.execute("""
        CREATE TABLE runs (
            run_id TEXT NOT NULL PRIMARY KEY,
            started_utc TEXT NOT NULL,
            model_id TEXT NOT NULL,
            provider TEXT NOT NULL,
            api TEXT NOT NULL,
            mode TEXT NOT NULL,
            backend TEXT NOT NULL,
            region TEXT,
            status TEXT NOT NULL,
            ttft_ms REAL,
            first_event_ms REAL,
            e2e_ms REAL,
            tokens_per_s REAL,
            tpot_ms REAL,
            gap_count INTEGER NOT NULL,
            gap_p50_ms REAL,
            gap_p90_ms REAL,
            gap_max_ms REAL,
            input_tokens INTEGER,
            output_tokens INTEGER,
            tokens_source TEXT,
            server_first_byte_ms REAL,
            server_latency_ms REAL,
            stop_reason TEXT,
            attempts INTEGER NOT NULL,
            error_code TEXT,
            error_message TEXT,
            text TEXT NOT NULL,
            reasoning_text TEXT NOT NULL,
            cost_usd REAL,
            notes TEXT NOT NULL,
            system TEXT NOT NULL,
            max_tokens INTEGER,
            temperature REAL,
            top_p REAL,
            stop_sequences TEXT NOT NULL,
            request_json TEXT NOT NULL,
            session_id TEXT,
            conversation_id TEXT,
            compare_group TEXT,
            benchmark_id TEXT,
            recorded_utc TEXT NOT NULL
        )""")
    for column in ("started_utc", "model_id", "session_id", "conversation_id", "compare_group", "benchmark_id"):
        db.execute(f"CREATE INDEX runs_{column} ON runs({column})")
    # Time filters compare instants, not strings, so offsets other than +00:00 and "Z" still sort right.
    db.execute("CREATE INDEX runs_started_julianday ON runs(julianday(started_utc))")


@_migration
def m002_conversations(db: sqlite3.Connection) -> None:
    db.execute("""
        CREATE TABLE conversations (
            conversation_id TEXT NOT NULL PRIMARY KEY,
            title TEXT NOT NULL,
            model_id TEXT NOT NULL,
            system TEXT NOT NULL,
            created_utc TEXT NOT NULL,
            updated_utc TEXT NOT NULL
        )""")
    db.execute("""
        CREATE TABLE messages (
            message_id TEXT NOT NULL PRIMARY KEY,
            conversation_id TEXT NOT NULL REFERENCES conversations(conversation_id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            role TEXT NOT NULL,
            text TEXT NOT NULL,
            run_id TEXT,
            status TEXT NOT NULL,
            created_utc TEXT NOT NULL
        )""")
    db.execute("CREATE UNIQUE INDEX messages_conversation_position ON messages(conversation_id, position)")


_SQL_KINDS = {"int": "INTEGER", "float": "REAL", "text": "TEXT"}
# What reasoning, tiers, latency modes and prompt caching added to the run record (issue "Compare what Bedrock
# really sells"): nullable columns, unknown for the runs recorded before.
M003_COLUMNS = {"cache_read_tokens": "int", "cache_write_tokens": "int", "reasoning_tokens": "int",
                "first_reasoning_ms": "float", "reasoning_ms": "float", "reasoning_shown": "text", "effort": "text",
                "service_tier": "text", "service_tier_served": "text", "latency": "text", "latency_served": "text",
                "cache_ttl": "text"}


@_migration
def m003_reasoning_tiers_cache(db: sqlite3.Connection) -> None:
    for column, kind in M003_COLUMNS.items():
        db.execute(f"ALTER TABLE runs ADD COLUMN {column} {_SQL_KINDS[kind]}")


def _column_kinds() -> dict[str, str]:
    """Each RunRecord field's storage kind: int, float, json (lists) or text."""
    hints = get_type_hints(RunRecord)
    kinds: dict[str, str] = {}
    for f in dataclasses.fields(RunRecord):
        hint = hints[f.name]
        options = [a for a in get_args(hint) if a is not type(None)] if get_origin(hint) is not list else []
        options = options or [hint]
        if any(get_origin(o) is list for o in options):
            kinds[f.name] = "json"
        elif int in options:
            kinds[f.name] = "int"
        elif float in options:
            kinds[f.name] = "float"
        else:
            kinds[f.name] = "text"
    return kinds


_KINDS = _column_kinds()
RUN_FIELDS = tuple(_KINDS)
_INSERT_RUN = (f"INSERT INTO runs ({', '.join(RUN_FIELDS)}, recorded_utc) "
               f"VALUES ({', '.join('?' * len(RUN_FIELDS))}, ?)")
CONVERSATION_COLUMNS = ("conversation_id", "title", "model_id", "system", "created_utc", "updated_utc",
                        "message_count")


# -- errors ----------------------------------------------------------------------------------------

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


def _base_code(error: sqlite3.Error) -> str:
    """SQLITE_IOERR for SQLITE_IOERR_WRITE and the like; '' when the error carries no code."""
    name = getattr(error, "sqlite_errorname", "") or ""
    return next((code for code in _BY_CODE if name == code or name.startswith(code + "_")), name)


def _unavailable(path: Path, doing: str, error: BaseException) -> HistoryUnavailable:
    if isinstance(error, sqlite3.Error):
        title, action = _BY_CODE.get(_base_code(error), _OTHER)
    else:
        title, action = _CANNOT_WRITE
    return HistoryUnavailable(path, title, action, f"while {doing}: {error}")


# -- the history ------------------------------------------------------------------------------------


class History:
    """The run history in one SQLite file; `path=None` means `default_path()`.

    Opening creates the folder and the file if needed and applies pending migrations; every method
    opens its own connection, works in one transaction and closes it, so one instance can be shared
    by every thread.
    """

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path).expanduser() if path is not None else default_path()
        self._open()

    def _open(self) -> None:
        """Create the folder and the file if needed and apply pending migrations."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise _unavailable(self.path, "creating its folder", error) from error
        self._migrate()

    def __repr__(self) -> str:
        return f"History({str(self.path)!r})"

    # -- plumbing

    @contextmanager
    def _connect(self, doing: str) -> Iterator[sqlite3.Connection]:
        """A fresh connection, closed afterwards; storage errors become HistoryUnavailable."""
        if doing != _OPENING and not self.path.exists():
            # Moved away or deleted while in use (what the unavailable message advises for a broken file):
            # start a new history there, rather than an empty file without tables.
            self._open()
        try:
            db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        except (sqlite3.Error, OSError) as error:
            raise _unavailable(self.path, doing, error) from error
        try:
            db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute("PRAGMA foreign_keys = ON")
            yield db
        except (sqlite3.Error, OSError) as error:
            raise _unavailable(self.path, doing, error) from error
        finally:
            db.close()

    @contextmanager
    def _transaction(self, doing: str) -> Iterator[sqlite3.Connection]:
        """A fresh connection inside one write transaction."""
        with self._connect(doing) as db, _immediate(db):
            yield db

    def _migrate(self) -> None:
        """Switch to WAL and apply pending migrations; safe when several processes open a new file at once."""
        with self._connect(_OPENING) as db:
            _enable_wal(db)
            with _immediate(db):
                db.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT NOT NULL PRIMARY KEY, "
                           "applied_utc TEXT NOT NULL)")
                applied = {row[0] for row in db.execute("SELECT name FROM _migrations")}
                for migration in MIGRATIONS:
                    if migration.__name__ not in applied:
                        migration(db)
                        db.execute("INSERT INTO _migrations (name, applied_utc) VALUES (?, ?)",
                                   (migration.__name__, _now_utc()))

    # -- runs

    def record_run(self, record: RunRecord) -> None:
        """Store a finished run; a run is written once, so a second record with its run_id raises RunAlreadyRecorded."""
        values: list[object] = []
        for name in RUN_FIELDS:
            value = getattr(record, name)
            values.append(json.dumps(list(value)) if _KINDS[name] == "json" else value)
        values.append(_now_utc())
        with self._transaction("recording a run") as db:
            try:
                db.execute(_INSERT_RUN, values)
            except sqlite3.IntegrityError as error:
                if "runs.run_id" in str(error):
                    raise RunAlreadyRecorded(f"run {record.run_id} is already in the history") from error
                raise ValueError(f"run {record.run_id} cannot be recorded: {error}") from error

    def runs(self, *, since_utc: str | datetime | None = None, until_utc: str | datetime | None = None,
             model_ids: Sequence[str] | None = None, providers: Sequence[str] | None = None,
             backends: Sequence[str] | None = None, apis: Sequence[str] | None = None,
             modes: Sequence[str] | None = None, statuses: Sequence[str] | None = None,
             session_id: str | None = None, conversation_id: str | None = None,
             compare_group: str | None = None, benchmark_id: str | None = None,
             columns: Sequence[str] | None = None) -> pd.DataFrame:
        """Runs matching every filter given, oldest first, one row each, columns named like RunRecord fields.

        Time bounds are half-open (since_utc <= started < until_utc) and compare instants, so any ISO 8601
        offset works; a bound without an offset is UTC. A list filter of None means any value, and an empty
        list matches nothing. `notes` and `stop_sequences` are lists, `started_utc` and `recorded_utc` are
        UTC datetimes, integer fields nullable Int64, the other numbers float64 and text str (NaN when unknown).
        `columns` reads only those columns, in that order (every RunRecord field and recorded_utc when None):
        the text and request columns are most of the file, and charts over many runs do not need them.
        """
        chosen_columns = _run_columns(columns)
        clauses: list[str] = []
        params: list[object] = []
        if since_utc is not None:
            clauses.append("julianday(started_utc) >= julianday(?)")
            params.append(_instant(since_utc))
        if until_utc is not None:
            clauses.append("julianday(started_utc) < julianday(?)")
            params.append(_instant(until_utc))
        for column, values in (("model_id", model_ids), ("provider", providers), ("backend", backends),
                               ("api", apis), ("mode", modes), ("status", statuses)):
            if values is None:
                continue
            if isinstance(values, str):
                raise TypeError(f"the {column} filter takes a list of values, not the string {values!r}")
            chosen = list(values)
            clauses.append(f"{column} IN ({', '.join('?' * len(chosen))})" if chosen else "0")
            params.extend(chosen)
        for column, value in (("session_id", session_id), ("conversation_id", conversation_id),
                              ("compare_group", compare_group), ("benchmark_id", benchmark_id)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        # Sorted here rather than in SQL: ORDER BY julianday() walks its index into the table in time order,
        # a random read per row, which costs more than the whole query on a large file.
        fetched = [*chosen_columns, *(name for name in ("started_utc", "run_id") if name not in chosen_columns)]
        sql = f"SELECT {', '.join(fetched)} FROM runs {where}"
        parts = []
        with self._connect("reading runs") as db:
            cursor = db.execute(sql, params)
            # In slices, so that the rows as Python objects (several times the frame's size) never all exist at once.
            while rows := cursor.fetchmany(_SLICE_ROWS):
                parts.append(_typed_runs(pd.DataFrame.from_records(rows, columns=fetched)))
        if not parts:
            parts.append(_typed_runs(pd.DataFrame.from_records([], columns=fetched)))
        frame = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
        frame = frame.sort_values(["started_utc", "run_id"], na_position="first", kind="stable", ignore_index=True)
        return frame[chosen_columns] if len(fetched) > len(chosen_columns) else frame

    def get_run(self, run_id: str) -> RunRecord | None:
        """The run with this id as it was recorded, or None."""
        with self._connect("reading a run") as db:
            db.row_factory = sqlite3.Row
            row = db.execute(f"SELECT {', '.join(RUN_FIELDS)} FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        if row is None:
            return None
        values = {name: json.loads(row[name]) if _KINDS[name] == "json" else row[name] for name in RUN_FIELDS}
        return RunRecord(**values)

    # -- conversations

    def create_conversation(self, title: str, model_id: str, system: str = "") -> str:
        """A new, empty conversation; returns its id."""
        conversation_id = uuid.uuid4().hex
        now = _now_utc()
        with self._transaction("creating a conversation") as db:
            db.execute("INSERT INTO conversations (conversation_id, title, model_id, system, created_utc, updated_utc) "
                       "VALUES (?, ?, ?, ?, ?, ?)", (conversation_id, title, model_id, system, now, now))
        return conversation_id

    def add_message(self, conversation_id: str, role: Role, text: str, run_id: str | None = None,
                    status: Status = "ok") -> str:
        """Append a message at the next position of the conversation; returns its id (KeyError if no such one)."""
        message_id = uuid.uuid4().hex
        now = _now_utc()
        with self._transaction("saving a message") as db:
            # The write lock is held from BEGIN IMMEDIATE, so two writers cannot take the same position.
            touched = db.execute("UPDATE conversations SET updated_utc = ? WHERE conversation_id = ?",
                                 (now, conversation_id)).rowcount
            if not touched:
                raise KeyError(conversation_id)
            db.execute("INSERT INTO messages (message_id, conversation_id, position, role, text, run_id, status, "
                       "created_utc) VALUES (?, ?, (SELECT COALESCE(MAX(position), -1) + 1 FROM messages "
                       "WHERE conversation_id = ?), ?, ?, ?, ?, ?)",
                       (message_id, conversation_id, conversation_id, role, text, run_id, status, now))
        return message_id

    def update_conversation(self, conversation_id: str, *, title: str | None = None, model_id: str | None = None,
                            system: str | None = None) -> None:
        """Change the fields given (KeyError if there is no such conversation)."""
        changes = {name: value for name, value in (("title", title), ("model_id", model_id), ("system", system))
                   if value is not None}
        if not changes:
            return
        assignments = ", ".join(f"{name} = ?" for name in changes)
        with self._transaction("updating a conversation") as db:
            touched = db.execute(f"UPDATE conversations SET {assignments}, updated_utc = ? WHERE conversation_id = ?",
                                 (*changes.values(), _now_utc(), conversation_id)).rowcount
            if not touched:
                raise KeyError(conversation_id)

    def conversations(self) -> pd.DataFrame:
        """Every conversation with its message_count, most recently updated first."""
        sql = ("SELECT c.conversation_id, c.title, c.model_id, c.system, c.created_utc, c.updated_utc, "
               "COUNT(m.message_id) AS message_count FROM conversations AS c "
               "LEFT JOIN messages AS m ON m.conversation_id = c.conversation_id "
               "GROUP BY c.conversation_id ORDER BY c.updated_utc DESC, c.created_utc DESC, c.rowid DESC")
        with self._connect("reading conversations") as db:
            rows = db.execute(sql).fetchall()
        frame = pd.DataFrame.from_records(rows, columns=list(CONVERSATION_COLUMNS))
        for column in ("conversation_id", "title", "model_id", "system"):
            frame[column] = frame[column].astype("str")
        frame["message_count"] = frame["message_count"].astype("int64")
        for column in ("created_utc", "updated_utc"):
            frame[column] = _parse_utc(frame[column])
        return frame

    def messages(self, conversation_id: str) -> list[dict[str, Any]]:
        """The conversation's messages in order, as dicts with the messages table's columns."""
        with self._connect("reading messages") as db:
            db.row_factory = sqlite3.Row
            rows = db.execute("SELECT message_id, conversation_id, position, role, text, run_id, status, created_utc "
                              "FROM messages WHERE conversation_id = ? ORDER BY position", (conversation_id,))
            return [dict(row) for row in rows]

    def delete_conversation(self, conversation_id: str) -> None:
        """Remove the conversation and its messages; its runs stay in the history. Unknown ids are ignored."""
        with self._transaction("deleting a conversation") as db:
            db.execute("DELETE FROM messages WHERE conversation_id = ?", (conversation_id,))
            db.execute("DELETE FROM conversations WHERE conversation_id = ?", (conversation_id,))

    # -- health

    def integrity_ok(self) -> bool:
        """True when `PRAGMA integrity_check` finds nothing wrong; False for a damaged file or one not a database."""
        try:
            with self._connect("checking the database") as db:
                rows = db.execute("PRAGMA integrity_check").fetchall()
        except HistoryUnavailable as error:
            cause = error.__cause__
            if isinstance(cause, sqlite3.DatabaseError) and _base_code(cause) in ("SQLITE_CORRUPT", "SQLITE_NOTADB"):
                return False
            raise
        return [tuple(row) for row in rows] == [("ok",)]

    def applied_migrations(self) -> list[str]:
        """Names of the migrations recorded in this file, in the order they were applied."""
        with self._connect("reading migrations") as db:
            return [row[0] for row in db.execute("SELECT name FROM _migrations ORDER BY rowid")]


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
            if _base_code(error) not in ("SQLITE_BUSY", "SQLITE_LOCKED") or time.monotonic() > deadline:
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


def _instant(value: str | datetime) -> str:
    """A time bound for SQLite's julianday(): ISO text as given, datetimes in ISO form."""
    return value.isoformat() if isinstance(value, datetime) else value


def _parse_utc(column: pd.Series) -> pd.Series:
    return pd.to_datetime(column, utc=True, format="ISO8601", errors="coerce").dt.as_unit("us")


def records_frame(records: Sequence[RunRecord]) -> pd.DataFrame:
    """Run records as a DataFrame with the same columns and types `History.runs()` gives (no recorded_utc)."""
    rows = [tuple(json.dumps(value) if _KINDS[name] == "json" else value
                  for name, value in zip(RUN_FIELDS, dataclasses.astuple(record), strict=True))
            for record in records]
    return _typed_runs(pd.DataFrame.from_records(rows, columns=list(RUN_FIELDS)))


def _run_columns(columns: Sequence[str] | None) -> list[str]:
    """The columns to read: all of them for None, else the ones asked for (ValueError for unknown ones)."""
    every = [*RUN_FIELDS, "recorded_utc"]
    if columns is None:
        return every
    if isinstance(columns, str):
        raise TypeError(f"columns takes a list of column names, not the string {columns!r}")
    chosen = list(dict.fromkeys(columns))
    unknown = [name for name in chosen if name not in every]
    if unknown:
        raise ValueError(f"no such run column: {', '.join(unknown)}")
    return chosen


def _typed_runs(frame: pd.DataFrame) -> pd.DataFrame:
    """Decode JSON lists and give columns their types (also when there are no rows)."""
    for name, kind in _KINDS.items():
        if name not in frame.columns:
            continue
        if kind == "json":
            frame[name] = frame[name].map(json.loads).astype(object)
        elif kind == "int":
            frame[name] = frame[name].astype("Int64")
        elif kind == "float":
            frame[name] = frame[name].astype("float64")
        else:
            frame[name] = frame[name].astype("str")  # missing values are NaN, whether or not any row has one
    for name in ("started_utc", "recorded_utc"):
        if name in frame.columns:
            frame[name] = _parse_utc(frame[name])
    return frame
