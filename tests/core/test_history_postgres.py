"""The history on a real PostgreSQL server (tests/postgres.py starts one per test process): the URL selects it,
a server that is wrong, missing, stopped or restarted gives the user-facing HistoryUnavailable without the
password and the next call works once the server is back, and separate processes share one database."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from core.history import History, HistoryUnavailable, default_location, open_history
from tests.postgres import free_port

from .test_history import PUBLIC_CALLS, make_run, run_ids

ROOT = Path(__file__).resolve().parents[2]


def test_a_url_in_the_environment_selects_postgresql(postgres_url: str, monkeypatch: pytest.MonkeyPatch,
                                                     postgres_server: Any) -> None:
    monkeypatch.setenv("BEDROCK_LAB_HISTORY", postgres_url)
    assert default_location() == postgres_url
    history = History()
    assert (history.kind, history.path) == ("postgresql", None)
    assert postgres_server.password not in history.location + repr(history)
    assert history.location == postgres_url.replace(postgres_server.password, "***")
    history.record_run(make_run("r1"))
    opened, problem = open_history()
    assert problem is None and opened is not None and opened.get_run("r1") == make_run("r1")


def assert_unavailable(call: Any, title: str, secret: str) -> HistoryUnavailable:
    with pytest.raises(HistoryUnavailable) as caught:
        call()
    error = caught.value
    assert title in error.message, error.message
    assert secret not in error.message and secret not in str(error.path) and secret not in repr(error)
    return error


def test_a_wrong_password_is_reported_without_the_password(postgres_server: Any) -> None:
    wrong = "not-the-Secret-42"
    error = assert_unavailable(lambda: History(postgres_server.url(password=wrong)),
                               "refused the user name or password", wrong)
    assert "***" in str(error.path) and "BEDROCK_LAB_HISTORY" in error.action and "PGPASSWORD" in error.action
    in_query = f"postgresql://postgres@127.0.0.1:{postgres_server.port}/postgres?password={wrong}"
    assert "password=***" in str(assert_unavailable(lambda: History(in_query), "refused", wrong).path)


def test_an_unknown_database_is_reported(postgres_server: Any) -> None:
    error = assert_unavailable(lambda: History(postgres_server.url("no_such_db")), "does not exist",
                               postgres_server.password)
    assert "createdb" in error.action


def test_a_server_that_is_not_there_is_reported_at_once() -> None:
    url = f"postgresql://lab:Secret-77@127.0.0.1:{free_port()}/lab"
    started = time.perf_counter()
    error = assert_unavailable(lambda: History(url), "cannot be reached", "Secret-77")
    assert time.perf_counter() - started < 3
    assert "keeps working without history" in error.action
    assert open_history(lambda location: History(url))[0] is None


def test_a_url_that_is_not_one_is_reported() -> None:
    assert_unavailable(lambda: History("postgresql://a b@/"), "not valid", "never-there")


def test_a_server_stopped_mid_session_fails_fast_and_the_same_history_works_once_it_is_back(
        postgres_url: str, postgres_server: Any) -> None:
    """What the app lives through: one History for the whole process, the server goes away, every call says
    so quickly (the page banner shows `message`), and the calls work again when the server is back."""
    history = History(postgres_url)
    history.record_run(make_run("before"))
    postgres_server.stop()
    try:
        for name, call in PUBLIC_CALLS.items():
            started = time.perf_counter()
            chosen = (lambda h: History(postgres_url)) if name == "reopen" else call
            error = assert_unavailable(lambda: chosen(history), "the database server",  # noqa: B023 - called here
                                       postgres_server.password)
            assert time.perf_counter() - started < 3, name
            assert "Run history is unavailable" in error.message
        assert open_history(lambda location: History(postgres_url))[1] is not None
    finally:
        postgres_server.start_again()
    history.record_run(make_run("after"))
    assert run_ids(history.runs()) == {"before", "after"}


def test_a_server_restarted_between_calls_costs_nothing(postgres_url: str, postgres_server: Any) -> None:
    history = History(postgres_url)
    history.record_run(make_run("before"))
    postgres_server.stop()
    postgres_server.start_again()
    history.record_run(make_run("after"))  # the pooled connection is found broken and replaced, no error
    assert run_ids(history.runs()) == {"before", "after"}


def test_nul_characters_are_kept_as_replacement_characters(postgres_url: str) -> None:
    """PostgreSQL text cannot hold NUL: the run is stored all the same, the NUL shown as U+FFFD (the lists,
    JSON text, keep it as the escape \\u0000, so exactly)."""
    history = History(postgres_url)
    history.record_run(make_run("nul", text="before\x00after", notes=["a\x00b"]))
    record = history.get_run("nul")
    assert record is not None and record.text == "before\ufffdafter" and record.notes == ["a\x00b"]
    conversation = history.create_conversation("t\x00", "m")
    history.add_message(conversation, "user", "x\x00y")
    assert history.messages(conversation)[0]["text"] == "x\ufffdy"


def test_a_start_time_that_is_not_a_time_is_stored_and_matches_no_time_filter(history_location: str) -> None:
    history = History(history_location)
    history.record_run(make_run("odd", started_utc="yesterday-ish"))
    history.record_run(make_run("fine", started_utc="2025-03-01T12:00:00+00:00"))
    frame = history.runs()
    assert list(frame["run_id"]) == ["odd", "fine"] and pd.isna(frame["started_utc"].iloc[0])
    assert list(history.runs(since_utc="2000-01-01")["run_id"]) == ["fine"]
    assert history.get_run("odd") == make_run("odd", started_utc="yesterday-ish")


# -- two processes on one database --------------------------------------------------------------------------


def write_and_watch(url: str, worker: int, count: int, start: Any, seen: Any) -> None:
    """Runs in a spawned process: write `count` runs, then wait until the other process's runs all show."""
    history = History(url)
    start.wait(timeout=30)
    for i in range(count):
        history.record_run(make_run(f"p{worker}-{i}", session_id=f"process-{worker}"))
    other = f"process-{1 - worker}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = len(history.runs(session_id=other, columns=["run_id"]))
        if found == count:
            break
        time.sleep(0.05)
    seen[worker] = found


def test_two_processes_writing_and_reading_one_database_see_each_others_runs(postgres_url: str) -> None:
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(2)
    seen = context.Manager().dict()
    count = 300
    workers = [context.Process(target=write_and_watch, args=(postgres_url, n, count, start, seen)) for n in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=90)
    assert [worker.exitcode for worker in workers] == [0, 0]
    assert dict(seen) == {0: count, 1: count}
    frame = History(postgres_url).runs(columns=["run_id", "session_id"])
    assert frame.groupby("session_id").size().to_dict() == {"process-0": count, "process-1": count}


def test_two_benchmarks_from_two_processes_record_every_run(postgres_url: str, tmp_path: Path) -> None:
    """The product itself: two `python -m core bench` processes on the emulator, at the same time, one database."""
    env = {**os.environ, "BEDROCK_LAB_HISTORY": postgres_url, "BEDROCK_EMULATOR_TIME_SCALE": "0",
           "BEDROCK_BACKEND": "emulator", "PYTHONPATH": str(ROOT)}
    from core import catalog

    model = catalog.resolve(catalog.default_model_id("api")).invocation_id("us-east-1")
    benches = [subprocess.Popen([sys.executable, "-m", "core", "bench", "--model", model, "--runs", "40",
                                 "--concurrency", "4", "--out", str(tmp_path / f"bench-{n}.csv")],
                                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for n in range(2)]
    outputs = [bench.communicate(timeout=120) for bench in benches]
    assert [bench.returncode for bench in benches] == [0, 0], outputs
    ids = [pd.read_csv(tmp_path / f"bench-{n}.csv")["run_id"] for n in range(2)]
    stored = History(postgres_url).runs(columns=["run_id", "benchmark_id"])
    assert len(stored) == 80 and set(stored["run_id"]) == set(ids[0]) | set(ids[1])
    assert stored["benchmark_id"].nunique() == 2
    assert not any("not recorded" in err for _, err in outputs)
