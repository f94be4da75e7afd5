"""Is the run history durable? SIGKILL during writes, and eight processes writing at once, on SQLite and PostgreSQL.

    .venv/bin/python bench/history_durability.py [--runs 1000] [--kills 3] [--processes 8] [--seconds 30]
        [--databases sqlite,postgresql] [--postgres URL]

Each check runs on a new SQLite file and on a new PostgreSQL database: on the server at `--postgres` (a
database URL the script may create databases with), or else on a throwaway server it starts from Debian's
`postgresql` binaries (tests/postgres.py) with fsync on, as a real server runs.

Targets (issue 8, point 3), checked within one run of this script:
- A writer killed with SIGKILL while it records 1,000 runs leaves a history that passes its integrity
  check (SQLite: `PRAGMA integrity_check`), holding every run the writer reported finished (it prints each run_id,
  flushed, after `History.record_run` returned) before the kill. The runs go through the real run
  path: `core.bench.run_benchmark` on the embedded emulator (time scale 0, 4 threads), recording with
  `History.record_run`; further kills hit a writer that records runs as fast as it can.
- 8 processes recording runs and chat messages into one file for 30 s lose nothing: every run and
  message a writer reported is in the file, message positions are 0, 1, 2, ... in each writer's
  order, the file passes its integrity check, and no write failed (writers wait for each other).

The tests run the same functions on a shorter scale (tests/core/test_history.py, on both databases).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script from any folder, the project's core is used

SCRIPT = Path(__file__).resolve()
TEXT = "An emulated answer about write-ahead logs, kept long enough to span a page or two. " * 24


# -- the writer processes ------------------------------------------------------------------------------


def _model(kind: str) -> str:
    """The model table's default for `kind` (api: Nova Micro, on demand; chat: a Claude, through its profile)."""
    from core import catalog

    return catalog.resolve(catalog.default_model_id(kind)).invocation_id("us-east-1")


def _record(run_id: str, worker: int) -> object:
    from datetime import UTC, datetime

    from core.types import RunRecord

    return RunRecord(run_id=run_id, started_utc=datetime.now(UTC).isoformat(), model_id=_model("api"),
                     provider="Amazon", api="converse", mode="stream", backend="emulator", ttft_ms=12.5,
                     e2e_ms=80.0, output_tokens=40, text=TEXT, notes=[f"writer {worker}"],
                     request_json=json.dumps({"prompt": TEXT[:200]}), session_id=f"writer-{worker}")


def _write_direct(path: str, worker: int, runs: int) -> None:
    """Record `runs` runs as fast as the file takes them, printing each run_id once it is stored."""
    from core.history import History

    history = History(path)
    for i in range(runs):
        run_id = f"w{worker}-{i}"
        history.record_run(_record(run_id, worker))  # type: ignore[arg-type]
        print(run_id, flush=True)


def _write_through_runs(path: str, worker: int, runs: int) -> None:
    """Real runs on the embedded emulator (4 threads), each recorded, then its run_id printed."""
    os.environ["BEDROCK_EMULATOR_TIME_SCALE"] = "0"
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    from core import bench
    from core.history import History

    history = History(path)
    printing = threading.Lock()  # print() from several threads can interleave an id and another's newline

    def record(run: object) -> None:
        history.record_run(run)  # type: ignore[arg-type]
        with printing:
            print(run.run_id, flush=True)  # type: ignore[attr-defined]

    spec = bench.BenchmarkSpec((_model("api"), _model("chat")),
                               bench.PROMPT_SETS["short"].prompts, 24, runs_per_model=runs // 2, concurrency=4,
                               session_id=f"writer-{worker}")
    bench.run_benchmark(spec, on_record=record)


def _write_for(path: str, worker: int, seconds: float, start_at: float) -> None:
    """From `start_at` (epoch s) for `seconds`: a run and a chat message per step; prints 'i run_ms message_ms'."""
    from core.history import History

    history = History(path)
    conversation = history.create_conversation(f"writer {worker}", _model("api"))
    print(f"conversation {conversation}", flush=True)
    time.sleep(max(0.0, start_at - time.time()))
    deadline = time.monotonic() + seconds
    i = 0
    while time.monotonic() < deadline:
        t0 = time.perf_counter()
        history.record_run(_record(f"w{worker}-{i}", worker))  # type: ignore[arg-type]
        t1 = time.perf_counter()
        history.add_message(conversation, "user", f"w{worker}-{i}", run_id=f"w{worker}-{i}")
        t2 = time.perf_counter()
        print(f"{i} {(t1 - t0) * 1000:.3f} {(t2 - t1) * 1000:.3f}", flush=True)
        i += 1


def _writer_command(*args: str) -> list[str]:
    return [sys.executable, str(SCRIPT), "write", *args]


# -- SIGKILL during writes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class KillResult:
    writer: str  # "runs" (the run path on the emulator) or "direct"
    planned: int
    acknowledged: int  # run_ids printed before the kill
    stored: int  # runs in the file afterwards
    missing: int  # acknowledged but not stored (must be 0)
    unreported: int  # stored, but killed before its run_id was printed (committed, not yet reported)
    integrity: str  # PRAGMA integrity_check's answer ("ok")

    @property
    def held(self) -> bool:
        return self.missing == 0 and self.integrity == "ok" and 0 < self.acknowledged < self.planned


def kill_during_writes(path: Path | str, *, runs: int = 1000, kill_after: int | None = None, writer: str = "direct",
                       seed: int | None = None) -> KillResult:
    """Start a writer of `runs` runs, SIGKILL it after `kill_after` acknowledgements (random when None)."""
    chooser = random.Random(seed)
    kill_after = kill_after if kill_after is not None else chooser.randint(runs // 5, runs * 4 // 5)
    process = subprocess.Popen(_writer_command("--history", str(path), "--runs", str(runs), "--mode", writer),
                               stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert process.stdout is not None
    acknowledged: list[str] = []
    try:
        for line in process.stdout:
            acknowledged.append(line.strip())
            if len(acknowledged) >= kill_after:
                break
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        acknowledged += [line.strip() for line in process.stdout if line.strip()]  # printed before the kill
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
    if process.returncode != -signal.SIGKILL:
        raise RuntimeError(f"the writer ended by itself (exit {process.returncode}) before it could be killed")
    history = _reopened(path)
    integrity = _integrity(history)
    stored = set(history.runs(columns=["run_id"])["run_id"])
    missing = [run_id for run_id in acknowledged if run_id not in stored]
    return KillResult(writer, runs, len(acknowledged), len(stored), len(missing),
                      len(stored - set(acknowledged)), integrity)


# -- many processes at once ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadResult:
    processes: int
    seconds: float
    runs: int  # runs the writers reported stored
    messages: int
    lost_runs: int  # reported but not in the file (must be 0)
    lost_messages: int
    misordered: int  # writers whose messages are not at positions 0..n-1 in their order (must be 0)
    failed_writers: int  # writers that exited with an error, e.g. a write that gave up (must be 0)
    integrity: str
    run_write_ms: list[float]
    message_write_ms: list[float]

    @property
    def held(self) -> bool:
        return (self.lost_runs == self.lost_messages == self.misordered == self.failed_writers == 0
                and self.integrity == "ok" and self.runs > 0)


def write_concurrently(path: Path | str, *, processes: int = 8, seconds: float = 30.0) -> LoadResult:
    """`processes` writers on one (new) file for `seconds`, then check the file against what each reported."""
    start_at = time.time() + 3.0  # every writer has imported and opened the file by then
    workers = [subprocess.Popen(_writer_command("--history", str(path), "--worker", str(n), "--seconds",
                                                str(seconds), "--start-at", str(start_at)),
                                stdout=subprocess.PIPE, text=True, cwd=ROOT) for n in range(processes)]
    outputs = [worker.communicate(timeout=seconds + 120)[0] for worker in workers]
    failed = sum(worker.returncode != 0 for worker in workers)
    conversations: dict[int, str] = {}
    acknowledged: dict[int, int] = {}
    run_ms: list[float] = []
    message_ms: list[float] = []
    for n, output in enumerate(outputs):
        lines = output.splitlines()
        if lines and lines[0].startswith("conversation "):
            conversations[n] = lines[0].split()[1]
        steps = [line.split() for line in lines[1:]]
        acknowledged[n] = len(steps)
        run_ms += [float(step[1]) for step in steps]
        message_ms += [float(step[2]) for step in steps]
    history = _reopened(path)
    integrity = _integrity(history)
    stored = set(history.runs(columns=["run_id"])["run_id"])
    lost_runs = sum(f"w{n}-{i}" not in stored for n, count in acknowledged.items() for i in range(count))
    lost_messages = misordered = 0
    for n, count in acknowledged.items():
        messages = history.messages(conversations[n]) if n in conversations else []
        texts = [message["text"] for message in messages]
        positions = [message["position"] for message in messages]
        expected = [f"w{n}-{i}" for i in range(count)]
        lost_messages += len(set(expected) - set(texts))
        misordered += texts[:count] != expected or positions != list(range(len(positions)))
    history.close()
    return LoadResult(processes, seconds, sum(acknowledged.values()), sum(acknowledged.values()), lost_runs,
                      lost_messages, misordered, failed, integrity, run_ms, message_ms)


def _reopened(location: Path | str) -> Any:
    """The history as the next process to open it finds it (for a killed SQLite writer: WAL recovery included)."""
    from core.history import History

    return History(location)


def _integrity(history: Any) -> str:
    """SQLite's `PRAGMA integrity_check` (or, on PostgreSQL, the tables being there): 'ok' or 'FAILED'."""
    return "ok" if history.integrity_ok() else "FAILED"


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if len(ordered) < 2:
        return ordered[0] if ordered else float("nan")
    return statistics.quantiles(ordered, n=1000, method="inclusive")[round(p * 1000) - 1]


def describe_load(result: LoadResult) -> str:
    rate = result.runs / result.seconds
    lines = [
        f"{result.processes} processes x {result.seconds:g} s on one history: {result.runs:,} runs and "
        f"{result.messages:,} messages recorded ({rate:,.0f} runs/s), lost {result.lost_runs} runs and "
        f"{result.lost_messages} messages, {result.misordered} writers out of order, {result.failed_writers} "
        f"writers failed, integrity: {result.integrity}",
        f"  record_run   p50 {_percentile(result.run_write_ms, 0.5):.1f} ms, p99 "
        f"{_percentile(result.run_write_ms, 0.99):.1f} ms, max {max(result.run_write_ms, default=0):.1f} ms",
        f"  add_message  p50 {_percentile(result.message_write_ms, 0.5):.1f} ms, p99 "
        f"{_percentile(result.message_write_ms, 0.99):.1f} ms, max {max(result.message_write_ms, default=0):.1f} ms",
    ]
    return "\n".join(lines)


def describe_kill(result: KillResult) -> str:
    return (f"SIGKILL after {result.acknowledged:,} of {result.planned:,} runs ({result.writer} writer): "
            f"{result.stored:,} runs stored ({result.unreported} stored but not yet reported), {result.missing} "
            f"reported runs missing, integrity: {result.integrity}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command")
    write = commands.add_parser("write", help="(internal) one writer process")
    write.add_argument("--history", required=True)
    write.add_argument("--runs", type=int, default=1000)
    write.add_argument("--mode", choices=("direct", "runs"), default="direct")
    write.add_argument("--worker", type=int, default=0)
    write.add_argument("--seconds", type=float)
    write.add_argument("--start-at", type=float, default=0.0)
    parser.add_argument("--runs", type=int, default=1000, help="runs each killed writer means to record")
    parser.add_argument("--kills", type=int, default=3, help="writers killed (the first one on the run path)")
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--databases", default="sqlite,postgresql", help="which databases to check, in order")
    parser.add_argument("--postgres", metavar="URL",
                        help="a server to check on (new databases are created there); default: a throwaway one")
    args = parser.parse_args()
    if args.command == "write":
        if args.seconds is not None:
            _write_for(args.history, args.worker, args.seconds, args.start_at)
        elif args.mode == "runs":
            _write_through_runs(args.history, args.worker, args.runs)
        else:
            _write_direct(args.history, args.worker, args.runs)
        return 0

    databases = [name.strip() for name in args.databases.split(",") if name.strip()]
    folder = Path(tempfile.mkdtemp(prefix="history-durability-"))
    server = None
    ok = True
    try:
        for database in databases:
            if database == "postgresql" and args.postgres is None:
                from tests import postgres

                reason = postgres.unavailable_reason()
                if reason is not None:
                    print(f"\nPostgreSQL: skipped ({reason})")
                    continue
                server = postgres.TemporaryServer.start(fsync=True)
            new_history = _new_history_maker(database, folder, args.postgres, server)
            print(f"\n{database}:")
            for k in range(args.kills):
                result = kill_during_writes(new_history(f"killed-{k}"), runs=args.runs,
                                            writer="runs" if k == 0 else "direct", seed=k)
                print(describe_kill(result))
                ok &= result.held
            load = write_concurrently(new_history(f"shared-{uuid.uuid4().hex[:6]}"), processes=args.processes,
                                      seconds=args.seconds)
            print(describe_load(load))
            ok &= load.held
    finally:
        if server is not None:
            from core.history.postgres import close_pools

            close_pools()
            server.cleanup()
    print(f"\nhistory durability: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


def _new_history_maker(database: str, folder: Path, url: str | None, server: Any) -> Any:
    """A function giving the location of a new, empty history for each check."""
    if database == "sqlite":
        return lambda name: str(folder / f"{name}.sqlite")
    if database != "postgresql":
        raise SystemExit(f"unknown database {database!r}: choose among sqlite, postgresql")
    if server is not None:
        return lambda name: server.create_database(name.replace("-", "_"))

    def create(name: str) -> str:
        import psycopg

        database_name = f"lab_durability_{name.replace('-', '_')}_{uuid.uuid4().hex[:6]}"
        with psycopg.connect(url, autocommit=True) as db:
            db.execute(f'CREATE DATABASE "{database_name}"')  # type: ignore[arg-type]
        return f"{url.rsplit('/', 1)[0]}/{database_name}" if url else ""

    return create


if __name__ == "__main__":
    sys.exit(main())
