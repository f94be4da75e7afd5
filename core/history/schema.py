"""The history's tables, as one list of migrations that both databases apply in order, each once.

    _migrations    name, applied_utc: the migrations applied, in order
    runs           one row per `RunRecord`, a column per field (same names; `notes` and `stop_sequences` as JSON
                   text), plus `recorded_utc`; primary key run_id; written once, never updated
    conversations  conversation_id, title, model_id, system, created_utc, updated_utc, owner (NULL: from before
                   owners, visible to all), shared
    messages       message_id, conversation_id, position, role, text, run_id (nullable), status, created_utc;
                   positions are 0, 1, 2, ... within a conversation, unique
    compare_picks  compare_group (primary key: one winner per comparison, a new pick replaces the old), run_id
                   (one of that comparison's runs), user_name (nullable), picked_utc

Times are ISO 8601 text, exactly as recorded; filters compare the instants they stand for (`Database.instant`).
A migration writes its DDL once, with the database's types (`{real}`, `{integer}`, `{boolean}`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any, get_args, get_origin, get_type_hints

from ..types import RunRecord
from .database import Migration, Schema, now_utc

MIGRATIONS: list[Migration] = []


def apply_pending(schema: Schema, migrations: Sequence[Migration], run: Callable[..., Any]) -> None:
    """Create the _migrations table and apply, in order, the migrations it does not list yet. The caller holds the
    database's write lock in one transaction, so openers that race apply each migration once; `run(sql, params)`
    executes SQL written with `?` placeholders and returns its cursor."""
    run("CREATE TABLE IF NOT EXISTS _migrations (name TEXT NOT NULL PRIMARY KEY, applied_utc TEXT NOT NULL)")
    applied = {row[0] for row in run("SELECT name FROM _migrations").fetchall()}
    for migration in migrations:
        if migration.__name__ not in applied:
            migration(schema)
            run("INSERT INTO _migrations (name, applied_utc) VALUES (?, ?)", (migration.__name__, now_utc()))


def _migration(function: Migration) -> Migration:
    """Register a migration; they run in the order they are defined, each once per database."""
    MIGRATIONS.append(function)
    return function


def _ddl(db: Schema, template: str) -> None:
    db.execute(template.format(real=db.types["float"], integer=db.types["int"], boolean=db.types["bool"]))


@_migration
def m001_runs(db: Schema) -> None:
    _ddl(db, """
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
            ttft_ms {real},
            first_event_ms {real},
            e2e_ms {real},
            tokens_per_s {real},
            tpot_ms {real},
            gap_count {integer} NOT NULL,
            gap_p50_ms {real},
            gap_p90_ms {real},
            gap_max_ms {real},
            input_tokens {integer},
            output_tokens {integer},
            tokens_source TEXT,
            server_first_byte_ms {real},
            server_latency_ms {real},
            stop_reason TEXT,
            attempts {integer} NOT NULL,
            error_code TEXT,
            error_message TEXT,
            text TEXT NOT NULL,
            reasoning_text TEXT NOT NULL,
            cost_usd {real},
            notes TEXT NOT NULL,
            system TEXT NOT NULL,
            max_tokens {integer},
            temperature {real},
            top_p {real},
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
    db.create_instant_index("runs_started_julianday", "runs", "started_utc")


@_migration
def m002_conversations(db: Schema) -> None:
    db.execute("""
        CREATE TABLE conversations (
            conversation_id TEXT NOT NULL PRIMARY KEY,
            title TEXT NOT NULL,
            model_id TEXT NOT NULL,
            system TEXT NOT NULL,
            created_utc TEXT NOT NULL,
            updated_utc TEXT NOT NULL
        )""")
    _ddl(db, """
        CREATE TABLE messages (
            message_id TEXT NOT NULL PRIMARY KEY,
            conversation_id TEXT NOT NULL REFERENCES conversations(conversation_id) ON DELETE CASCADE,
            position {integer} NOT NULL,
            role TEXT NOT NULL,
            text TEXT NOT NULL,
            run_id TEXT,
            status TEXT NOT NULL,
            created_utc TEXT NOT NULL
        )""")
    db.execute("CREATE UNIQUE INDEX messages_conversation_position ON messages(conversation_id, position)")


# What reasoning, tiers, latency modes and prompt caching added to the run record (issue "Compare what Bedrock
# really sells"): nullable columns, unknown for the runs recorded before.
M003_COLUMNS = {"cache_read_tokens": "int", "cache_write_tokens": "int", "reasoning_tokens": "int",
                "first_reasoning_ms": "float", "reasoning_ms": "float", "reasoning_shown": "text", "effort": "text",
                "service_tier": "text", "service_tier_served": "text", "latency": "text", "latency_served": "text",
                "cache_ttl": "text"}


@_migration
def m003_reasoning_tiers_cache(db: Schema) -> None:
    for column, kind in M003_COLUMNS.items():
        db.execute(f"ALTER TABLE runs ADD COLUMN {column} {db.types[kind]}")


# Team mode (issue 18): who ran a run and on which machine (unknown for the runs before), and conversations
# private to whoever started them unless shared (those from before have no owner and stay visible to all).
M004_COLUMNS = {"user_name": "text", "host": "text"}


@_migration
def m004_people_and_sharing(db: Schema) -> None:
    for column, kind in M004_COLUMNS.items():
        db.execute(f"ALTER TABLE runs ADD COLUMN {column} {db.types[kind]}")
    db.execute("CREATE INDEX runs_user_host ON runs(user_name, host)")  # covers people_and_hosts()
    db.execute("ALTER TABLE conversations ADD COLUMN owner TEXT")
    _ddl(db, "ALTER TABLE conversations ADD COLUMN shared {boolean} NOT NULL DEFAULT FALSE")


# Compare's "pick the winner" (issue 15): which panel's run a person judged best, one per comparison.
@_migration
def m005_compare_picks(db: Schema) -> None:
    db.execute("""
        CREATE TABLE compare_picks (
            compare_group TEXT NOT NULL PRIMARY KEY,
            run_id TEXT NOT NULL,
            user_name TEXT,
            picked_utc TEXT NOT NULL
        )""")


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


KINDS = _column_kinds()
RUN_FIELDS = tuple(KINDS)
RUN_COLUMNS = (*RUN_FIELDS, "recorded_utc")  # every column of runs, as copies read and write them
CONVERSATION_FIELDS = ("conversation_id", "title", "model_id", "system", "created_utc", "updated_utc", "owner",
                       "shared")
MESSAGE_FIELDS = ("message_id", "conversation_id", "position", "role", "text", "run_id", "status", "created_utc")
PICK_FIELDS = ("compare_group", "run_id", "user_name", "picked_utc")
