"""Run history: schema pinned, records round-trip, filters in SQL, concurrent writers lose nothing.

Every test taking `history` or `history_location` runs twice: on a new SQLite file and on a new database of a
PostgreSQL server the tests start themselves (tests/postgres.py); the ones about files are SQLite's alone.
"""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pandas as pd
import platformdirs
import pytest

from bench.history_durability import kill_during_writes, write_concurrently
from core.history import (
    MIGRATIONS,
    History,
    HistoryUnavailable,
    RunAlreadyRecorded,
    default_path,
    is_url,
    open_database,
    records_frame,
)
from core.types import RunRecord

from .. import models

RUN_COLUMNS = [  # (name, declared type, not null, primary key), as PRAGMA table_info reports them
    ("run_id", "TEXT", 1, 1),
    ("started_utc", "TEXT", 1, 0),
    ("model_id", "TEXT", 1, 0),
    ("provider", "TEXT", 1, 0),
    ("api", "TEXT", 1, 0),
    ("mode", "TEXT", 1, 0),
    ("backend", "TEXT", 1, 0),
    ("region", "TEXT", 0, 0),
    ("status", "TEXT", 1, 0),
    ("ttft_ms", "REAL", 0, 0),
    ("first_event_ms", "REAL", 0, 0),
    ("e2e_ms", "REAL", 0, 0),
    ("tokens_per_s", "REAL", 0, 0),
    ("tpot_ms", "REAL", 0, 0),
    ("gap_count", "INTEGER", 1, 0),
    ("gap_p50_ms", "REAL", 0, 0),
    ("gap_p90_ms", "REAL", 0, 0),
    ("gap_max_ms", "REAL", 0, 0),
    ("input_tokens", "INTEGER", 0, 0),
    ("output_tokens", "INTEGER", 0, 0),
    ("tokens_source", "TEXT", 0, 0),
    ("server_first_byte_ms", "REAL", 0, 0),
    ("server_latency_ms", "REAL", 0, 0),
    ("stop_reason", "TEXT", 0, 0),
    ("attempts", "INTEGER", 1, 0),
    ("error_code", "TEXT", 0, 0),
    ("error_message", "TEXT", 0, 0),
    ("text", "TEXT", 1, 0),
    ("reasoning_text", "TEXT", 1, 0),
    ("cost_usd", "REAL", 0, 0),
    ("notes", "TEXT", 1, 0),
    ("system", "TEXT", 1, 0),
    ("max_tokens", "INTEGER", 0, 0),
    ("temperature", "REAL", 0, 0),
    ("top_p", "REAL", 0, 0),
    ("stop_sequences", "TEXT", 1, 0),
    ("request_json", "TEXT", 1, 0),
    ("session_id", "TEXT", 0, 0),
    ("conversation_id", "TEXT", 0, 0),
    ("compare_group", "TEXT", 0, 0),
    ("benchmark_id", "TEXT", 0, 0),
    ("recorded_utc", "TEXT", 1, 0),
    # m003: reasoning, service tiers, latency modes and prompt caching (unknown for runs recorded before)
    ("cache_read_tokens", "INTEGER", 0, 0),
    ("cache_write_tokens", "INTEGER", 0, 0),
    ("reasoning_tokens", "INTEGER", 0, 0),
    ("first_reasoning_ms", "REAL", 0, 0),
    ("reasoning_ms", "REAL", 0, 0),
    ("reasoning_shown", "TEXT", 0, 0),
    ("effort", "TEXT", 0, 0),
    ("service_tier", "TEXT", 0, 0),
    ("service_tier_served", "TEXT", 0, 0),
    ("latency", "TEXT", 0, 0),
    ("latency_served", "TEXT", 0, 0),
    ("cache_ttl", "TEXT", 0, 0),
    # m004: who ran it and where
    ("user_name", "TEXT", 0, 0),
    ("host", "TEXT", 0, 0),
]
FRAME_COLUMNS = [f.name for f in dataclasses.fields(RunRecord)] + ["recorded_utc"]  # History.runs(), in this order
MIGRATION_NAMES = ["m001_runs", "m002_conversations", "m003_reasoning_tiers_cache", "m004_people_and_sharing",
                   "m005_compare_picks"]
INDEXES = {
    "runs_started_utc": "runs", "runs_model_id": "runs", "runs_session_id": "runs", "runs_conversation_id": "runs",
    "runs_compare_group": "runs", "runs_benchmark_id": "runs", "runs_started_julianday": "runs",
    "messages_conversation_position": "messages", "runs_user_host": "runs",
}
# PostgreSQL's names for the types SQLite declares: the same schema on both (64-bit integers, doubles)
PG_TYPES = {"text": "TEXT", "double precision": "REAL", "bigint": "INTEGER", "boolean": "BOOLEAN"}


@pytest.fixture(autouse=True)
def _history_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Every History() in these tests uses a temporary file, never the user's data directory."""
    path = tmp_path / "history.sqlite"
    monkeypatch.setenv("BEDROCK_LAB_HISTORY", str(path))
    return path


@pytest.fixture()
def history(history_location: str) -> History:
    """A new history: a SQLite file, then a PostgreSQL database (the test runs once on each)."""
    return History(history_location)


@pytest.fixture()
def sqlite_history(tmp_path: Path) -> History:
    """A new history file, for what only a file can go through (WAL, a file gone bad or moved away)."""
    return History(tmp_path / "history.sqlite")


def make_run(run_id: str, **fields: Any) -> RunRecord:
    values: dict[str, Any] = {"started_utc": "2025-03-01T12:00:00.000000+00:00", "model_id": models.ON_DEMAND,
                              "provider": "amazon", "api": "converse", "mode": "stream", "backend": "emulator"}
    return RunRecord(run_id=run_id, **{**values, **fields})


def full_run(run_id: str = "run-full") -> RunRecord:
    """A record with every field set to something other than its default."""
    return RunRecord(
        run_id=run_id, started_utc="2025-03-01T12:34:56.789012+00:00",
        model_id=models.CLAUDE, provider="Anthropic", api="invoke", mode="sync",
        backend="aws", region="us-west-2", status="cancelled", ttft_ms=412.5, first_event_ms=398.25, e2e_ms=2875.0,
        tokens_per_s=71.3, tpot_ms=14.1, gap_count=17, gap_p50_ms=12.5, gap_p90_ms=40.0, gap_max_ms=120.75,
        input_tokens=321, output_tokens=176, tokens_source="estimated", server_first_byte_ms=350.0,
        server_latency_ms=2800.5, stop_reason="max_tokens", attempts=3, error_code="ThrottlingException",
        error_message="Too many requests, \"please\" wait ✓", text="Hello — world\n\n```python\nprint(1)\n```",
        reasoning_text="thinking…", cost_usd=0.000123, notes=["Titan takes no system prompt.", "ünïcode"],
        system="Be brief.", max_tokens=256, temperature=0.7, top_p=0.9, stop_sequences=["\n\nHuman:", "END"],
        request_json='{"messages": [{"role": "user", "content": "hi"}]}', session_id="session-1",
        conversation_id="conv-1", compare_group="compare-1", benchmark_id="bench-1",
        cache_read_tokens=2048, cache_write_tokens=512, reasoning_tokens=40, first_reasoning_ms=120.5,
        reasoning_ms=1800.25, reasoning_shown="summarized", effort="high", service_tier="priority",
        service_tier_served="default", latency="optimized", latency_served="standard", cache_ttl="1h",
        user_name="Ana Lima", host="ana-laptop.local",
    )


def query(location: str | Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """`sql` on the history's database through the driver itself, not through History (`?` on SQLite, `%s` on
    PostgreSQL)."""
    if not is_url(str(location)):
        with sqlite3.connect(location) as db:
            rows = db.execute(sql, params).fetchall()
        db.close()
        return rows
    import psycopg

    with psycopg.connect(str(location), autocommit=True) as pg:
        return [tuple(row) for row in pg.execute(sql, params).fetchall()]  # type: ignore[arg-type]


def columns(location: str | Path, table: str) -> list[tuple[str, str, int, int]]:
    """(name, declared type, not null, primary key) per column, in order, as SQLite's PRAGMA table_info says."""
    if not is_url(str(location)):
        rows = query(location, f"PRAGMA table_info({table})")
        return [(name, kind, notnull, pk) for _, name, kind, notnull, _, pk in rows]
    rows = query(location, "SELECT c.column_name, c.data_type, c.is_nullable, (k.column_name IS NOT NULL) "
                           "FROM information_schema.columns AS c LEFT JOIN information_schema.key_column_usage AS k "
                           "ON k.table_name = c.table_name AND k.column_name = c.column_name "
                           "AND k.constraint_name = c.table_name || '_pkey' "
                           "WHERE c.table_schema = 'public' AND c.table_name = %s ORDER BY c.ordinal_position",
                 (table,))
    return [(name, PG_TYPES[kind], int(nullable == "NO"), int(pk)) for name, kind, nullable, pk in rows]


def indexes(location: str | Path) -> dict[str, str]:
    """Index name -> table, for the indexes the migrations create (not those of primary keys)."""
    if not is_url(str(location)):
        return dict(query(location, "SELECT name, tbl_name FROM sqlite_master WHERE type = 'index' "
                                    "AND sql IS NOT NULL"))
    return dict(query(location, "SELECT indexname, tablename FROM pg_indexes WHERE schemaname = 'public' "
                                "AND indexname NOT LIKE '%%_pkey'"))


def index_columns(location: str | Path, index: str) -> list[str]:
    if not is_url(str(location)):
        return [name for *_, name in query(location, f"PRAGMA index_info({index})")]
    return [row[0] for row in query(location, "SELECT a.attname FROM pg_index AS i JOIN pg_class AS c ON "
                                              "c.oid = i.indexrelid JOIN pg_attribute AS a ON a.attrelid = i.indrelid "
                                              "AND a.attnum = ANY(i.indkey) WHERE c.relname = %s "
                                              "ORDER BY array_position(i.indkey::int2[], a.attnum)", (index,))]


def run_ids(frame: pd.DataFrame) -> set[str]:
    return set(frame["run_id"])


# -- where the file is ------------------------------------------------------------------------------


def test_no_argument_uses_the_file_in_the_environment_variable(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    target = tmp_path / "nested" / "folders" / "lab.sqlite"
    monkeypatch.setenv("BEDROCK_LAB_HISTORY", str(target))
    history = History()
    assert history.path == target == default_path()
    assert target.is_file()
    history.record_run(make_run("r1"))
    assert History(target).get_run("r1") == make_run("r1")


def test_default_path_is_in_the_user_data_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BEDROCK_LAB_HISTORY")
    assert default_path() == Path(platformdirs.user_data_dir("bedrock-streaming-lab")) / "history.sqlite"
    monkeypatch.setenv("BEDROCK_LAB_HISTORY", "  ")
    assert default_path() == Path(platformdirs.user_data_dir("bedrock-streaming-lab")) / "history.sqlite"


# -- schema ------------------------------------------------------------------------------------------


def test_runs_columns_are_pinned_and_match_the_run_record(history_location: str) -> None:
    History(history_location)
    assert columns(history_location, "runs") == RUN_COLUMNS
    fields = [f.name for f in dataclasses.fields(RunRecord)]
    # Migrations append their columns after recorded_utc; the record's fields are the rest, in the same order.
    assert [name for name, *_ in RUN_COLUMNS if name != "recorded_utc"] == fields


def test_other_tables_and_indexes_are_pinned(history_location: str) -> None:
    History(history_location)
    assert columns(history_location, "conversations") == [
        ("conversation_id", "TEXT", 1, 1), ("title", "TEXT", 1, 0), ("model_id", "TEXT", 1, 0),
        ("system", "TEXT", 1, 0), ("created_utc", "TEXT", 1, 0), ("updated_utc", "TEXT", 1, 0),
        ("owner", "TEXT", 0, 0), ("shared", "BOOLEAN", 1, 0)]  # m004
    assert columns(history_location, "messages") == [
        ("message_id", "TEXT", 1, 1), ("conversation_id", "TEXT", 1, 0), ("position", "INTEGER", 1, 0),
        ("role", "TEXT", 1, 0), ("text", "TEXT", 1, 0), ("run_id", "TEXT", 0, 0), ("status", "TEXT", 1, 0),
        ("created_utc", "TEXT", 1, 0)]
    assert columns(history_location, "compare_picks") == [  # m005: one winner per comparison
        ("compare_group", "TEXT", 1, 1), ("run_id", "TEXT", 1, 0), ("user_name", "TEXT", 0, 0),
        ("picked_utc", "TEXT", 1, 0)]
    assert columns(history_location, "_migrations") == [("name", "TEXT", 1, 1), ("applied_utc", "TEXT", 1, 0)]
    assert indexes(history_location) == INDEXES
    assert index_columns(history_location, "messages_conversation_position") == ["conversation_id", "position"]
    assert index_columns(history_location, "runs_user_host") == ["user_name", "host"]


def test_migrations_are_recorded_once_in_order(history_location: str) -> None:
    history = History(history_location)
    assert [m.__name__ for m in MIGRATIONS] == MIGRATION_NAMES
    assert history.applied_migrations() == MIGRATION_NAMES
    first = query(history_location, "SELECT name, applied_utc FROM _migrations ORDER BY name")
    History(history_location)
    History(history_location)
    assert query(history_location, "SELECT name, applied_utc FROM _migrations ORDER BY name") == first


def test_wal_mode_is_on(sqlite_history: History) -> None:
    with sqlite3.connect(sqlite_history.path) as db:  # type: ignore[arg-type]
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


# -- runs ---------------------------------------------------------------------------------------------


def test_a_full_record_round_trips_through_get_run(history: History) -> None:
    record = full_run()
    history.record_run(record)
    assert history.get_run(record.run_id) == record
    assert history.get_run("no-such-run") is None


def test_a_full_record_round_trips_as_a_dataframe_row(history: History) -> None:
    record = full_run()
    history.record_run(record)
    frame = history.runs()
    assert list(frame.columns) == FRAME_COLUMNS
    row = frame.iloc[0].to_dict()
    assert row.pop("started_utc") == pd.Timestamp("2025-03-01T12:34:56.789012Z")
    assert isinstance(row.pop("recorded_utc"), pd.Timestamp)
    assert row == {name: value for name, value in dataclasses.asdict(record).items() if name != "started_utc"}
    assert row["notes"] == ["Titan takes no system prompt.", "ünïcode"]
    assert row["stop_sequences"] == ["\n\nHuman:", "END"]


def test_dataframe_types_are_the_same_with_or_without_rows(history: History) -> None:
    empty = history.runs()
    assert empty.empty and list(empty.columns) == FRAME_COLUMNS
    history.record_run(make_run("sparse"))
    sparse = history.runs()
    assert dict(sparse.dtypes) == dict(empty.dtypes)
    assert str(sparse["started_utc"].dtype) == "datetime64[us, UTC]"
    assert str(sparse["output_tokens"].dtype) == "Int64" and str(sparse["ttft_ms"].dtype) == "float64"
    row = sparse.iloc[0]
    assert pd.isna(row["output_tokens"]) and pd.isna(row["ttft_ms"]) and pd.isna(row["region"])
    assert row["notes"] == [] and row["gap_count"] == 0 and row["attempts"] == 1


def test_chosen_columns_are_read_alone_with_the_same_types(history: History) -> None:
    history.record_run(full_run())
    history.record_run(make_run("sparse", started_utc="2025-03-02T00:00:00+00:00"))
    every = history.runs()
    some = history.runs(columns=["ttft_ms", "run_id", "started_utc", "notes", "output_tokens", "recorded_utc"])
    assert list(some.columns) == ["ttft_ms", "run_id", "started_utc", "notes", "output_tokens", "recorded_utc"]
    assert dict(some.dtypes) == {name: every[name].dtype for name in some.columns}
    pd.testing.assert_frame_equal(some, every[list(some.columns)])
    assert list(history.runs(columns=["run_id"], statuses=["cancelled"])["run_id"]) == ["run-full"]


def test_reading_in_slices_gives_the_same_frame(history: History, monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(10):  # recorded out of time order: the frame still comes oldest first
        history.record_run(make_run(f"r{i}", started_utc=f"2025-03-01T12:00:{(i * 7) % 10:02d}+00:00",
                                    ttft_ms=None if i % 3 else float(i), notes=[f"n{i}"]))
    whole = history.runs()
    monkeypatch.setattr("core.history.store._SLICE_ROWS", 3)
    sliced = history.runs()
    pd.testing.assert_frame_equal(sliced, whole)
    assert list(sliced["started_utc"]) == sorted(sliced["started_utc"])


def test_unknown_columns_are_refused(history: History) -> None:
    with pytest.raises(ValueError, match="no such run column: secret"):
        history.runs(columns=["run_id", "secret"])
    with pytest.raises(TypeError, match="list"):
        history.runs(columns="run_id")


def test_records_frame_matches_what_the_history_returns(history: History) -> None:
    records = [full_run(), make_run("sparse", started_utc="2025-03-02T00:00:00+00:00")]
    for record in records:
        history.record_run(record)
    stored = history.runs().drop(columns=["recorded_utc"])
    pd.testing.assert_frame_equal(records_frame(records), stored)
    assert list(records_frame([]).columns) == list(stored.columns)
    assert dict(records_frame([]).dtypes) == dict(stored.dtypes)


def test_a_run_is_written_once(history: History) -> None:
    history.record_run(make_run("once", text="first"))
    with pytest.raises(RunAlreadyRecorded, match="once"):
        history.record_run(make_run("once", text="second"))
    assert history.get_run("once") == make_run("once", text="first")
    assert len(history.runs()) == 1


@pytest.fixture()
def filled(history: History) -> History:
    runs = [
        make_run("a", started_utc="2025-03-01T10:00:00+00:00", model_id="m1", provider="amazon", status="ok",
                 compare_group="g1", session_id="s1"),
        make_run("b", started_utc="2025-03-01T11:00:00.5+00:00", model_id="m2", provider="anthropic",
                 status="error", compare_group="g1", session_id="s1", api="invoke", mode="sync"),
        make_run("c", started_utc="2025-03-02T10:00:00Z", model_id="m1", provider="amazon", status="cancelled",
                 benchmark_id="bench", conversation_id="conv", backend="aws"),
        # 10:30 UTC, written with another offset: time filters compare instants, not strings
        make_run("d", started_utc="2025-03-02T12:30:00+02:00", model_id="m3", provider="meta", status="ok",
                 benchmark_id="bench"),
    ]
    for run in runs:
        history.record_run(run)
    return history


@pytest.mark.parametrize(("filters", "expected"), [
    ({}, "abcd"),
    ({"model_ids": ["m1"]}, "ac"),
    ({"model_ids": ["m1", "m3"]}, "acd"),
    ({"model_ids": []}, ""),
    ({"providers": ["anthropic", "meta"]}, "bd"),
    ({"statuses": ["ok"]}, "ad"),
    ({"statuses": ["error", "cancelled"]}, "bc"),
    ({"apis": ["invoke"]}, "b"),
    ({"modes": ["stream"]}, "acd"),
    ({"backends": ["aws"]}, "c"),
    ({"since_utc": "2025-03-01T11:00:00+00:00"}, "bcd"),
    ({"until_utc": "2025-03-01T11:00:00.5+00:00"}, "a"),
    ({"since_utc": "2025-03-02T10:15:00Z", "until_utc": "2025-03-02T10:45:00Z"}, "d"),
    ({"since_utc": "2025-03-02"}, "cd"),
    ({"since_utc": pd.Timestamp("2025-03-02T10:00:00Z").to_pydatetime()}, "cd"),
    ({"compare_group": "g1"}, "ab"),
    ({"session_id": "s1", "statuses": ["ok"]}, "a"),
    ({"benchmark_id": "bench"}, "cd"),
    ({"conversation_id": "conv"}, "c"),
    ({"model_ids": ["m1'); DROP TABLE runs; --", "m1' OR '1'='1"]}, ""),
])
def test_filters(filled: History, filters: dict[str, Any], expected: str) -> None:
    frame = filled.runs(**filters)
    assert "".join(frame["run_id"]) == expected  # also oldest first
    assert len(filled.runs()) == 4


def test_a_string_where_a_list_belongs_is_refused(filled: History) -> None:
    with pytest.raises(TypeError, match="list"):
        filled.runs(model_ids="m1")


# -- concurrency --------------------------------------------------------------------------------------


def test_eight_threads_lose_nothing(history: History) -> None:
    threads, per_thread = 8, 200
    start = threading.Barrier(threads)
    failures: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            start.wait(timeout=10)
            for i in range(per_thread):
                history.record_run(make_run(f"t{worker}-{i}", text="x" * 200, notes=[str(i)]))
        except BaseException as error:  # noqa: B036 - reported to the main thread
            failures.append(error)

    workers = [threading.Thread(target=write, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert not failures
    frame = history.runs()
    assert len(frame) == threads * per_thread
    assert run_ids(frame) == {f"t{w}-{i}" for w in range(threads) for i in range(per_thread)}
    assert history.integrity_ok()


def write_from_process(path: str, worker: int, count: int, start: Any) -> None:
    """Runs in a spawned process: open the (possibly new) file at the same moment as the others, then write."""
    start.wait(timeout=30)
    history = History(path)
    for i in range(count):
        history.record_run(make_run(f"p{worker}-{i}", session_id=f"process-{worker}"))


def test_four_processes_on_a_new_history_lose_nothing(history_location: str, tmp_path: Path) -> None:
    """Four processes open a new history at the same moment (each migration is applied once: a second
    CREATE TABLE would fail its process) and write at once."""
    path = history_location if is_url(history_location) else tmp_path / "shared" / "history.sqlite"
    processes, per_process = 4, 200
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(processes)
    workers = [context.Process(target=write_from_process, args=(str(path), n, per_process, start))
               for n in range(processes)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=90)
    assert [worker.exitcode for worker in workers] == [0] * processes
    history = History(path)
    frame = history.runs()
    assert len(frame) == processes * per_process
    assert run_ids(frame) == {f"p{w}-{i}" for w in range(processes) for i in range(per_process)}
    assert history.applied_migrations() == MIGRATION_NAMES
    assert history.integrity_ok()


def test_threads_opening_a_new_history_at_once_migrate_it_once(history_location: str) -> None:
    path = history_location
    start = threading.Barrier(8)
    opened: list[History] = []

    def open_history() -> None:
        start.wait(timeout=10)
        opened.append(History(path))

    workers = [threading.Thread(target=open_history) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    assert len(opened) == 8
    assert History(path).applied_migrations() == MIGRATION_NAMES


def test_a_writer_killed_during_1000_runs_loses_no_reported_run(history_location: str, tmp_path: Path,
                                                                 request: pytest.FixtureRequest) -> None:
    """SIGKILL at a random moment: the history passes its integrity check and holds every run reported stored.

    The first writer records real runs on the emulator (4 threads, as the Monitor's benchmark does);
    the others write as fast as the history takes them, so the kill often lands inside a transaction.
    """
    if is_url(history_location):  # one new database each (the killed writers' connections end with them)
        server = request.getfixturevalue("postgres_server")
        first, others = history_location, [server.create_database() for _ in range(2)]
    else:
        first, others = str(tmp_path / "runs.sqlite"), [str(tmp_path / f"direct-{k}.sqlite") for k in range(4)]
    results = [kill_during_writes(first, runs=1000, writer="runs")]
    results += [kill_during_writes(location, runs=1000, writer="direct") for location in others]
    for result in results:
        assert result.integrity == "ok", result
        assert result.missing == 0, result
        assert 0 < result.acknowledged < result.planned, result  # killed part-way, not after the end
        assert result.stored >= result.acknowledged
    # the next opener of a killed writer's file can go on using it
    reopened = History(first)
    reopened.record_run(make_run("after-the-kill"))
    assert len(reopened.runs()) == results[0].stored + 1 and reopened.integrity_ok()


def test_eight_processes_writing_at_once_lose_nothing(history_location: str) -> None:
    """The short version of bench/history_durability.py (8 processes x 30 s): runs and chat messages."""
    result = write_concurrently(history_location, processes=8, seconds=3)
    assert result.failed_writers == 0
    assert result.runs > 8 * 20  # every writer got going
    assert (result.lost_runs, result.lost_messages, result.misordered) == (0, 0, 0)
    assert result.integrity == "ok"
    assert len(History(history_location).runs()) == result.runs


# -- files that cannot be used -------------------------------------------------------------------------


def test_an_unwritable_folder_is_reported(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("this user can write to a 0o500 folder (running as root)")
        with pytest.raises(HistoryUnavailable) as caught:
            History(folder / "history.sqlite")
    finally:
        folder.chmod(0o700)
    message = str(caught.value)
    assert str(folder / "history.sqlite") in message
    assert "cannot be opened or written" in message and "BEDROCK_LAB_HISTORY" in message


def test_a_folder_that_cannot_be_created_is_reported(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(HistoryUnavailable, match="cannot be opened or written") as caught:
        History(blocker / "history.sqlite")
    assert str(blocker / "history.sqlite") in str(caught.value)
    assert "writable folder" in caught.value.action


def test_a_path_sqlite_cannot_open_is_reported(tmp_path: Path) -> None:
    folder = tmp_path / "a-folder.sqlite"
    folder.mkdir()
    with pytest.raises(HistoryUnavailable, match="cannot be opened or written") as caught:
        History(folder)
    assert isinstance(caught.value.__cause__, sqlite3.OperationalError)
    assert str(folder) in str(caught.value) and "BEDROCK_LAB_HISTORY" in str(caught.value)


def test_a_file_that_is_not_a_database_is_reported_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    content = b"my precious notes, not a database\n" * 200
    path.write_bytes(content)
    with pytest.raises(HistoryUnavailable) as caught:
        History(path)
    error = caught.value
    assert error.path == path
    assert str(path) in str(error) and "not a SQLite database" in str(error)
    assert "left untouched" in str(error) and "BEDROCK_LAB_HISTORY" in str(error)
    assert isinstance(error.__cause__, sqlite3.DatabaseError)
    assert path.read_bytes() == content


PUBLIC_CALLS = {
    "record_run": lambda h: h.record_run(make_run("late")),
    "runs": lambda h: h.runs(model_ids=["m1"]),
    "get_run": lambda h: h.get_run("a"),
    "create_conversation": lambda h: h.create_conversation("t", "m", ""),
    "add_message": lambda h: h.add_message("c", "user", "hi"),
    "update_conversation": lambda h: h.update_conversation("c", title="x"),
    "conversations": lambda h: h.conversations(),
    "messages": lambda h: h.messages("c"),
    "delete_conversation": lambda h: h.delete_conversation("c"),
    "pick_winner": lambda h: h.pick_winner("g", "a"),
    "winner": lambda h: h.winner("g"),
    "picks": lambda h: h.picks(),
    "applied_migrations": lambda h: h.applied_migrations(),
    "reopen": lambda h: History(h.path),
}


@pytest.mark.parametrize("call", PUBLIC_CALLS.values(), ids=PUBLIC_CALLS.keys())
def test_every_method_reports_a_file_gone_bad_as_history_unavailable(sqlite_history: History, call: Any) -> None:
    history = sqlite_history
    assert history.path is not None
    history.path.write_bytes(b"\x00garbage" * 4096)
    with pytest.raises(HistoryUnavailable, match="not a SQLite database"):
        call(history)
    assert history.integrity_ok() is False


def test_a_file_moved_away_while_in_use_starts_a_new_history(sqlite_history: History, tmp_path: Path) -> None:
    """What the unavailable message advises ("move or rename it"): the same History object, as the app
    keeps it for the whole process, goes on with a new file instead of failing on missing tables."""
    history = sqlite_history
    assert history.path is not None
    history.record_run(make_run("before"))
    history.path.write_bytes(b"\x00broken" * 4096)
    with pytest.raises(HistoryUnavailable, match="not a SQLite database"):
        history.record_run(make_run("while-broken"))
    history.path.rename(tmp_path / "kept-aside.sqlite")
    history.record_run(make_run("after"))
    assert run_ids(history.runs()) == {"after"}
    assert history.applied_migrations() == MIGRATION_NAMES and history.integrity_ok()
    assert (tmp_path / "kept-aside.sqlite").read_bytes() == b"\x00broken" * 4096


def test_a_damaged_database_fails_its_integrity_check(sqlite_history: History) -> None:
    history = sqlite_history
    assert history.path is not None
    for i in range(300):
        history.record_run(make_run(f"r{i}", text="x" * 2000))
    assert history.integrity_ok()
    data = bytearray(history.path.read_bytes())
    page = 4096
    for offset in range(3 * page, len(data), page):
        data[offset:offset + 64] = b"\xff" * 64
    history.path.write_bytes(data)
    assert history.integrity_ok() is False
    with pytest.raises(HistoryUnavailable, match="damaged"):
        history.runs()


# -- conversations ---------------------------------------------------------------------------------------


def test_conversation_life_cycle(history: History) -> None:
    first = history.create_conversation("Trip ideas", models.ON_DEMAND, "Be brief.")
    second = history.create_conversation("Empty one", models.FAMILY_MODELS["llama3"], "")
    assert len(first) == 32 and int(first, 16) >= 0 and first != second

    ids = [history.add_message(first, "user", "Where to in May?"),
           history.add_message(first, "assistant", "Lisbon.", run_id="run-1"),
           history.add_message(first, "user", "And June?"),
           history.add_message(first, "assistant", "Oslo, but I was stop", run_id="run-2", status="cancelled")]
    messages = history.messages(first)
    assert [m["message_id"] for m in messages] == ids
    assert [m["position"] for m in messages] == [0, 1, 2, 3]
    assert [(m["role"], m["text"], m["run_id"], m["status"]) for m in messages] == [
        ("user", "Where to in May?", None, "ok"), ("assistant", "Lisbon.", "run-1", "ok"),
        ("user", "And June?", None, "ok"), ("assistant", "Oslo, but I was stop", "run-2", "cancelled")]
    assert all(m["conversation_id"] == first for m in messages)

    listed = history.conversations()
    assert list(listed.columns) == ["conversation_id", "title", "model_id", "system", "created_utc", "updated_utc",
                                    "message_count", "owner", "shared"]
    assert list(listed["shared"]) == [False, False] and listed["owner"].isna().all()  # no owner: visible to all
    assert list(listed["conversation_id"]) == [first, second]  # the one with new messages first
    assert list(listed["message_count"]) == [4, 0]
    assert str(listed["updated_utc"].dtype) == "datetime64[us, UTC]"

    history.update_conversation(second, title="Renamed", system="Be kind.")
    listed = history.conversations().set_index("conversation_id")
    assert (listed.loc[second, "title"], listed.loc[second, "model_id"], listed.loc[second, "system"]) == (
        "Renamed", models.FAMILY_MODELS["llama3"], "Be kind.")
    assert list(history.conversations()["conversation_id"]) == [second, first]

    history.delete_conversation(first)
    assert history.messages(first) == []
    assert list(history.conversations()["conversation_id"]) == [second]
    assert history.counts() == {"runs": 0, "conversations": 1, "messages": 0, "compare_picks": 0}
    history.delete_conversation(first)  # deleting twice is harmless


def test_positions_stay_unique_and_ordered_under_concurrent_writers(history: History) -> None:
    conversation = history.create_conversation("busy", "m", "")
    start = threading.Barrier(4)

    def write(worker: int) -> None:
        start.wait(timeout=10)
        for i in range(25):
            history.add_message(conversation, "user", f"{worker}-{i}")

    workers = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    messages = history.messages(conversation)
    assert [m["position"] for m in messages] == list(range(100))
    for n in range(4):  # each writer's messages keep their order
        assert [m["text"] for m in messages if m["text"].startswith(f"{n}-")] == [f"{n}-{i}" for i in range(25)]
    assert history.conversations()["message_count"].tolist() == [100]


def test_unknown_conversations_are_key_errors(history: History) -> None:
    with pytest.raises(KeyError):
        history.add_message("missing", "user", "hi")
    with pytest.raises(KeyError):
        history.update_conversation("missing", title="x")
    assert history.conversations().empty
    assert history.messages("missing") == []


def old_history(location: str, migrations: int, run: RunRecord) -> None:
    """A history as the lab left it when it had only the first `migrations` migrations (at least two), holding
    `run` and the conversation 'old-conversation'."""
    from core.history.schema import M003_COLUMNS, M004_COLUMNS

    database = open_database(location)
    database.open(MIGRATIONS[:migrations])
    later = {**(M003_COLUMNS if migrations < 3 else {}), **(M004_COLUMNS if migrations < 4 else {})}
    old_columns = [name for name, *_ in RUN_COLUMNS if name not in later]
    old = {**dataclasses.asdict(run), "recorded_utc": "2026-11-01T00:00:00+00:00"}
    values = [json.dumps(old[n]) if isinstance(old[n], list) else old[n] for n in old_columns]
    with database.transaction("writing an old run") as db:
        db.execute(f"INSERT INTO runs ({', '.join(old_columns)}) VALUES ({', '.join('?' * len(old_columns))})", values)
        db.execute("INSERT INTO conversations (conversation_id, title, model_id, system, created_utc, updated_utc) "
                   "VALUES ('old-conversation', 'From before', 'm', '', ?, ?)", (old["recorded_utc"],) * 2)
    database.close()


def test_a_history_from_before_the_reasoning_and_cache_columns_opens_and_keeps_its_runs(history_location: str) -> None:
    """A history written before migration m003 gains the new columns on first open; its runs read as unknown there."""
    old_history(history_location, 2, make_run("old-run"))
    assert History(history_location).applied_migrations() == MIGRATION_NAMES
    reopened = History(history_location)
    assert columns(history_location, "runs") == RUN_COLUMNS
    row = reopened.runs().iloc[0]
    assert row["run_id"] == "old-run" and pd.isna(row["cache_read_tokens"]) and pd.isna(row["service_tier_served"])
    reopened.record_run(full_run())
    assert reopened.get_run("run-full") == full_run()
