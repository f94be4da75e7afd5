"""`History`: the one object callers use, the same on SQLite and PostgreSQL (see the package's docstring)."""

from __future__ import annotations

import dataclasses
import json
import os
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import platformdirs

from ..types import Role, RunRecord, Status
from .database import ENV_VAR, Database, Refused, is_url, now_utc
from .schema import KINDS, MESSAGE_FIELDS, MIGRATIONS, PICK_FIELDS, RUN_FIELDS
from .sqlite import SqliteDatabase

APP_NAME = "bedrock-streaming-lab"
FILE_NAME = "history.sqlite"
_SLICE_ROWS = 10_000
_INSERT_RUN = (f"INSERT INTO runs ({', '.join(RUN_FIELDS)}, recorded_utc) "
               f"VALUES ({', '.join('?' * len(RUN_FIELDS))}, ?) ON CONFLICT DO NOTHING")
CONVERSATION_COLUMNS = ("conversation_id", "title", "model_id", "system", "created_utc", "updated_utc",
                        "message_count", "owner", "shared")
PEOPLE_COLUMNS = ("user_name", "host", "runs")
PICK_COLUMNS = (*PICK_FIELDS, "model_id")
_UPSERT_PICK = (f"INSERT INTO compare_picks ({', '.join(PICK_FIELDS)}) VALUES ({', '.join('?' * len(PICK_FIELDS))}) "
                "ON CONFLICT (compare_group) DO UPDATE SET run_id = excluded.run_id, "
                "user_name = excluded.user_name, picked_utc = excluded.picked_utc")


class RunAlreadyRecorded(ValueError):
    """A run is written once: this run_id is already in the history."""


def default_location() -> str:
    """Where the history is: `BEDROCK_LAB_HISTORY` (a file path or a postgresql:// URL) if set, else
    history.sqlite in the user's data directory."""
    override = os.environ.get(ENV_VAR, "").strip()
    return override if is_url(override) else str(default_path())


def default_path() -> Path:
    """The history file: `BEDROCK_LAB_HISTORY` if set to a file path, else history.sqlite in the user's data
    directory (also when the variable is a database URL, which `default_location` gives)."""
    override = os.environ.get(ENV_VAR, "").strip()
    if override and not is_url(override):
        return Path(override).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME)) / FILE_NAME


def open_database(location: Path | str | None = None) -> Database:
    """The database at `location` (a file path or a postgresql:// URL; None: `default_location()`), unopened."""
    where = default_location() if location is None else location
    if isinstance(where, str) and is_url(where):
        from .postgres import PostgresDatabase  # psycopg is loaded only for a database on a server

        return PostgresDatabase(where)
    return SqliteDatabase(Path(where).expanduser())


def open_history(open_file: Callable[[str], History] | None = None) -> tuple[History | None, str | None]:
    """The history at the default location, or None and the message to show when it cannot be used (the app then
    works without it). `open_file` may cache the History per location; a failure is raised, never cached, so a
    history that is fixed meanwhile is used on the next try."""
    from .database import HistoryUnavailable

    try:
        return (open_file or History)(default_location()), None
    except HistoryUnavailable as problem:
        return None, problem.message


class History:
    """The run history: a SQLite file, or a PostgreSQL database when `location` is a postgresql:// URL.

    `location=None` means `default_location()`. Opening creates what is missing and applies pending migrations;
    every method works in one connection and one transaction, so one instance can be shared by every thread.

        history = History()                        # BEDROCK_LAB_HISTORY, or the file in the user's data folder
        history.record_run(record)                 # stored (committed) when it returns
        frame = history.runs(model_ids=[catalog.default_model_id()], statuses=["ok"], users=["ana"])
        history.pick_winner(group, run_id, user_name="ana")   # Compare's "pick the winner"; history.picks()
    """

    def __init__(self, location: Path | str | None = None) -> None:
        self._db = open_database(location)
        self._db.open(MIGRATIONS)

    @property
    def path(self) -> Path | None:
        """The file, for a SQLite history; None on a database server (see `location`)."""
        return self._db.path

    @property
    def location(self) -> str:
        """Where the history is, for people: the file path, or the URL with its password masked."""
        return self._db.location

    @property
    def kind(self) -> str:
        """"sqlite" or "postgresql"."""
        return self._db.kind

    def __repr__(self) -> str:
        return f"History({self.location!r})"

    def close(self) -> None:
        """Close the connections this process keeps to the database (a SQLite history keeps none)."""
        self._db.close()

    # -- runs

    def record_run(self, record: RunRecord) -> None:
        """Store a finished run, committed before this returns; a run is written once, so a second record with
        its run_id raises RunAlreadyRecorded."""
        values = [*_run_values(record), now_utc()]
        with self._db.transaction("recording a run") as db:
            try:
                inserted = db.execute(_INSERT_RUN, values).rowcount
            except Refused as error:
                raise ValueError(f"run {record.run_id} cannot be recorded: {error}") from error
        if inserted == 0:
            raise RunAlreadyRecorded(f"run {record.run_id} is already in the history")

    def runs(self, *, since_utc: str | datetime | None = None, until_utc: str | datetime | None = None,
             model_ids: Sequence[str] | None = None, providers: Sequence[str] | None = None,
             backends: Sequence[str] | None = None, apis: Sequence[str] | None = None,
             modes: Sequence[str] | None = None, statuses: Sequence[str] | None = None,
             session_id: str | None = None, conversation_id: str | None = None,
             compare_group: str | None = None, benchmark_id: str | None = None,
             columns: Sequence[str] | None = None, users: Sequence[str | None] | None = None,
             hosts: Sequence[str | None] | None = None) -> pd.DataFrame:
        """Runs matching every filter given, oldest first, one row each, columns named like RunRecord fields.

        Time bounds are half-open (since_utc <= started < until_utc) and compare instants, so any ISO 8601
        offset works; a bound without an offset is UTC. A list filter of None means any value, and an empty
        list matches nothing; None in `users` or `hosts` matches the runs recorded before they were known.
        `notes` and `stop_sequences` are lists, `started_utc` and `recorded_utc` are UTC datetimes, integer
        fields nullable Int64, the other numbers float64 and text str (NaN when unknown). `columns` reads only
        those columns, in that order (every RunRecord field and recorded_utc when None): the text and request
        columns are most of the data, and charts over many runs do not need them.
        """
        chosen_columns = _run_columns(columns)
        clauses: list[str] = []
        params: list[object] = []
        for bound, operator in ((since_utc, ">="), (until_utc, "<")):
            if bound is not None:
                clauses.append(f"{self._db.instant('started_utc')} {operator} {self._db.instant('?')}")
                params.append(bound.isoformat() if isinstance(bound, datetime) else bound)  # no offset: UTC
        for column, values in (("model_id", model_ids), ("provider", providers), ("backend", backends),
                               ("api", apis), ("mode", modes), ("status", statuses), ("user_name", users),
                               ("host", hosts)):
            if values is None:
                continue
            if isinstance(values, str):
                raise TypeError(f"the {column} filter takes a list of values, not the string {values!r}")
            clause, values_params = _in_list(column, list(values))
            clauses.append(clause)
            params.extend(values_params)
        for column, value in (("session_id", session_id), ("conversation_id", conversation_id),
                              ("compare_group", compare_group), ("benchmark_id", benchmark_id)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        # Sorted here rather than in SQL: ORDER BY the instant walks its index into the table in time order,
        # a random read per row, which costs more than the whole query on a large history.
        fetched = [*chosen_columns, *(name for name in ("started_utc", "run_id") if name not in chosen_columns)]
        sql = f"SELECT {', '.join(fetched)} FROM runs {where}"
        parts = []
        with self._db.session("reading runs") as db:
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
        with self._db.session("reading a run") as db:
            row = db.execute(f"SELECT {', '.join(RUN_FIELDS)} FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        if row is None:
            return None
        values = {name: json.loads(value) if KINDS[name] == "json" else value
                  for name, value in zip(RUN_FIELDS, row, strict=True)}
        return RunRecord(**values)

    def people_and_hosts(self) -> pd.DataFrame:
        """Who ran runs and where: one row per (user_name, host) pair with its number of runs, most runs first.

        Cheap on a large history (an index covers it), for the Monitor's person and machine filters; the
        runs recorded before people and hosts were known are the row where both are missing (NaN).
        """
        with self._db.session("reading who ran runs") as db:
            rows = db.execute("SELECT user_name, host, COUNT(*) FROM runs GROUP BY user_name, host").fetchall()
        frame = pd.DataFrame.from_records(rows, columns=list(PEOPLE_COLUMNS))
        frame["user_name"] = frame["user_name"].astype("str")
        frame["host"] = frame["host"].astype("str")
        frame["runs"] = frame["runs"].astype("int64")
        return frame.sort_values(["runs", "user_name", "host"], ascending=[False, True, True], na_position="last",
                                 kind="stable", ignore_index=True)

    # -- comparisons

    def pick_winner(self, compare_group: str, run_id: str, user_name: str | None = None) -> None:
        """Record `run_id` as the winner of the comparison, replacing an earlier pick; KeyError unless the run
        is in the history as one of that comparison's runs."""
        with self._db.transaction("recording a comparison's winner") as db:
            found = db.execute("SELECT 1 FROM runs WHERE run_id = ? AND compare_group = ?",
                               (run_id, compare_group)).fetchone()
            if found is None:
                raise KeyError(f"run {run_id} is not one of the runs of comparison {compare_group}")
            db.execute(_UPSERT_PICK, (compare_group, run_id, user_name, now_utc()))

    def winner(self, compare_group: str) -> str | None:
        """The run id picked as the comparison's winner, or None when nobody picked one."""
        with self._db.session("reading a comparison's winner") as db:
            row = db.execute("SELECT run_id FROM compare_picks WHERE compare_group = ?", (compare_group,)).fetchone()
        return None if row is None else str(row[0])

    def picks(self) -> pd.DataFrame:
        """Every comparison's winner, oldest pick first: compare_group, run_id, user_name, picked_utc (UTC
        datetimes) and the winning run's model_id."""
        sql = ("SELECT p.compare_group, p.run_id, p.user_name, p.picked_utc, r.model_id FROM compare_picks AS p "
               "LEFT JOIN runs AS r ON r.run_id = p.run_id")
        with self._db.session("reading comparison winners") as db:
            rows = db.execute(sql).fetchall()
        frame = pd.DataFrame.from_records(rows, columns=list(PICK_COLUMNS))
        for column in ("compare_group", "run_id", "user_name", "model_id"):
            frame[column] = frame[column].astype("str")  # missing values are NaN
        frame["picked_utc"] = _parse_utc(frame["picked_utc"])
        # Sorted here on the parsed instants, as runs() does, rather than on the text in SQL.
        return frame.sort_values(["picked_utc", "compare_group"], kind="stable", ignore_index=True)

    # -- conversations

    def create_conversation(self, title: str, model_id: str, system: str = "", owner: str | None = None) -> str:
        """A new, empty conversation, private to `owner` until shared (None: visible to everyone); returns its id."""
        conversation_id = uuid.uuid4().hex
        now = now_utc()
        with self._db.transaction("creating a conversation") as db:
            db.execute("INSERT INTO conversations (conversation_id, title, model_id, system, created_utc, updated_utc, "
                       "owner, shared) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (conversation_id, title, model_id, system, now, now, owner, False))
        return conversation_id

    def add_message(self, conversation_id: str, role: Role, text: str, run_id: str | None = None,
                    status: Status = "ok") -> str:
        """Append a message at the next position of the conversation; returns its id (KeyError if no such one)."""
        message_id = uuid.uuid4().hex
        now = now_utc()
        with self._db.transaction("saving a message") as db:
            # The UPDATE locks the conversation (SQLite: the whole file, from BEGIN IMMEDIATE; PostgreSQL: its row)
            # until the commit, so two writers cannot take the same position.
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
        with self._db.transaction("updating a conversation") as db:
            touched = db.execute(f"UPDATE conversations SET {assignments}, updated_utc = ? WHERE conversation_id = ?",
                                 (*changes.values(), now_utc(), conversation_id)).rowcount
            if not touched:
                raise KeyError(conversation_id)

    def share_conversation(self, conversation_id: str, shared: bool = True) -> None:
        """Let everyone see the conversation (or, with shared=False, only its owner); KeyError if there is none.
        Its place in the list (updated_utc) does not change."""
        with self._db.transaction("sharing a conversation") as db:
            touched = db.execute("UPDATE conversations SET shared = ? WHERE conversation_id = ?",
                                 (bool(shared), conversation_id)).rowcount
        if not touched:
            raise KeyError(conversation_id)

    def conversations(self, viewer: str | None = None) -> pd.DataFrame:
        """Conversations with their message_count, most recently updated first: every one when `viewer` is None,
        else the viewer's own, the shared ones and those from before owners (no owner)."""
        visible, params = ("WHERE c.owner IS NULL OR c.owner = ? OR c.shared = ? ", [viewer, True]) \
            if viewer is not None else ("", [])
        sql = ("SELECT c.conversation_id, c.title, c.model_id, c.system, c.created_utc, c.updated_utc, "
               "COUNT(m.message_id) AS message_count, c.owner, c.shared FROM conversations AS c "
               f"LEFT JOIN messages AS m ON m.conversation_id = c.conversation_id {visible}"
               "GROUP BY c.conversation_id ORDER BY c.updated_utc DESC, c.created_utc DESC, c.conversation_id DESC")
        with self._db.session("reading conversations") as db:
            rows = db.execute(sql, params).fetchall()
        frame = pd.DataFrame.from_records(rows, columns=list(CONVERSATION_COLUMNS))
        for column in ("conversation_id", "title", "model_id", "system", "owner"):
            frame[column] = frame[column].astype("str")
        frame["message_count"] = frame["message_count"].astype("int64")
        frame["shared"] = frame["shared"].astype("bool")
        for column in ("created_utc", "updated_utc"):
            frame[column] = _parse_utc(frame[column])
        return frame

    def messages(self, conversation_id: str) -> list[dict[str, Any]]:
        """The conversation's messages in order, as dicts with the messages table's columns."""
        with self._db.session("reading messages") as db:
            rows = db.execute(f"SELECT {', '.join(MESSAGE_FIELDS)} FROM messages WHERE conversation_id = ? "
                              "ORDER BY position", (conversation_id,)).fetchall()
        return [dict(zip(MESSAGE_FIELDS, row, strict=True)) for row in rows]

    def delete_conversation(self, conversation_id: str) -> None:
        """Remove the conversation and its messages; its runs stay in the history. Unknown ids are ignored."""
        with self._db.transaction("deleting a conversation") as db:
            db.execute("DELETE FROM messages WHERE conversation_id = ?", (conversation_id,))
            db.execute("DELETE FROM conversations WHERE conversation_id = ?", (conversation_id,))

    # -- health

    def integrity_ok(self) -> bool:
        """True when the storage checks out (SQLite: `PRAGMA integrity_check`; PostgreSQL: the tables are there);
        False for a damaged file or one that is not a database."""
        return self._db.integrity_ok()

    def applied_migrations(self) -> list[str]:
        """Names of the migrations recorded in this history, in the order they were applied."""
        with self._db.session("reading migrations") as db:
            rows = db.execute("SELECT name FROM _migrations ORDER BY applied_utc, name").fetchall()
        return [row[0] for row in rows]

    def counts(self) -> dict[str, int]:
        """How many rows each table holds: runs, conversations, messages and compare_picks (comparison winners)."""
        with self._db.session("counting") as db:
            return {table: int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
                    for table in ("runs", "conversations", "messages", "compare_picks")}

    def version(self) -> str:
        """The database engine and its version."""
        return self._db.version()


def _in_list(column: str, values: list[str | None]) -> tuple[str, list[object]]:
    """`column IN (...)`, with None in `values` matching NULL; an empty list matches nothing."""
    known: list[object] = [value for value in values if value is not None]
    tests = [f"{column} IN ({', '.join('?' * len(known))})"] if known else []
    if len(known) < len(values):
        tests.append(f"{column} IS NULL")
    if not tests:
        return "1 = 0", []
    return (tests[0] if len(tests) == 1 else f"({' OR '.join(tests)})"), known


def _run_values(record: RunRecord) -> list[object]:
    return [json.dumps(list(value)) if KINDS[name] == "json" else value
            for name, value in ((name, getattr(record, name)) for name in RUN_FIELDS)]


def _parse_utc(column: pd.Series) -> pd.Series:
    return pd.to_datetime(column, utc=True, format="ISO8601", errors="coerce").dt.as_unit("us")


def records_frame(records: Sequence[RunRecord]) -> pd.DataFrame:
    """Run records as a DataFrame with the same columns and types `History.runs()` gives (no recorded_utc)."""
    rows = [tuple(json.dumps(value) if KINDS[name] == "json" else value
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
    for name, kind in KINDS.items():
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
