"""The runner: each request through the lab's own run (`core.streaming.start`), on threads or worker processes.

One Python process decodes about 55-60k stream events a second (botocore's framing and shape walk), so past
about a thousand realistic streams one process is the limit; `processes` spreads the streams over worker
processes (spawned: Streamlit and threads live in the parent), each with `concurrency / processes` threads and
a botocore client whose connection pool has a connection for each. `processes=1` runs on threads here.

The parent hands out every request, on schedule: it holds the one clock and a slot per stream allowed in
flight, puts a request on a shared queue when it is due and a slot is free, and whichever worker thread is
idle takes it. So the arrival schedule is honoured across workers exactly (a per-worker share of the schedule
would drift apart, and could not stop at once on a benchmark-wide limit), and in flight is known exactly:
requests handed out minus requests finished. The cost is one queue message each way per request, nothing
per chunk. A request due while every slot is taken is sent late (counted in `EngineState.late`).

The workers send back each finished `RunRecord` whole; the parent keeps them in the order they ended and
calls `on_record` (the history) on its own thread: the merge is exact, every record once, none averaged.
`cancel` stops handing out and makes every worker hang up its streams at once (`Run.cancel`); those runs are
recorded as cancelled, finished runs are kept. A sync call already sent cannot be called back: it finishes.

    records = run_requests(bench.plan(spec), processes=2, concurrency=200, on_record=History().record_run)
"""

from __future__ import annotations

import contextlib
import functools
import multiprocessing
import os
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import LabError
from ..streaming import Run, RunRequest, start
from ..types import RunRecord

DEFAULT_TICK_S = 0.25
LATE_S = 0.010  # a request handed out this long after it was due counts as late
JOIN_S = 10.0
READY_S = 60.0  # how long the parent waits for a worker to exit before it ends it
_START = multiprocessing.get_context("spawn")


class EngineError(RuntimeError):
    """A worker process died or could not start; shown to the user with the records that finished kept."""


@dataclass(frozen=True)
class EngineState:
    """Where a run of requests stands: handed out (sent to a worker), finished (a record, or dropped unsent
    after a cancel), late (handed out more than 10 ms after its scheduled time)."""

    handed_out: int
    finished: int
    total: int
    late: int
    elapsed_s: float

    @property
    def in_flight(self) -> int:
        return self.handed_out - self.finished


@dataclass(frozen=True)
class WorkerSetup:
    """What a worker process needs to make its own client: the endpoint (the emulator's URL, or None for the
    aws backend's own configuration, which the worker reads from the environment it inherits)."""

    endpoint_url: str | None
    backend: str
    region: str | None
    profile: str | None
    max_attempts: int
    read_timeout_s: float
    threads: int


def default_processes() -> int:
    """One worker process per core."""
    return os.cpu_count() or 1


def shares(concurrency: int, processes: int) -> list[int]:
    """Threads per worker: the concurrency split as evenly as it goes (10 over 3: 4, 3, 3)."""
    base, extra = divmod(concurrency, processes)
    return [base + (i < extra) for i in range(processes)]


def run_requests(requests: Sequence[RunRequest], *, processes: int | None = None, concurrency: int,
                 schedule: Sequence[float] | None = None, on_record: Callable[[RunRecord], None] | None = None,
                 cancel: threading.Event | None = None, client: Any = None,
                 on_tick: Callable[[EngineState], None] | None = None,
                 tick_s: float = DEFAULT_TICK_S) -> list[RunRecord]:
    """Run every request, at most `concurrency` in flight, and return the records in the order they ended.

    `schedule` (seconds from the start, one per request, ascending) makes it open loop: each request is handed
    out when due; None hands them out as slots free up (closed loop). `processes` None is one per core (never
    more than the concurrency). `client` is used as is on threads; worker processes make their own, on its
    endpoint for the emulator backend. `on_tick` is called on this thread every `tick_s` with the state;
    an exception from it (a Streamlit rerun, Ctrl-C) cancels and propagates.
    """
    requests = list(requests)
    if schedule is not None and len(schedule) != len(requests):
        raise ValueError(f"the schedule has {len(schedule)} times for {len(requests)} requests")
    if concurrency < 1:
        raise ValueError(f"concurrency must be 1 or more, not {concurrency}")
    cancel = cancel or threading.Event()
    if not requests:
        return []
    processes = max(1, min(processes or default_processes(), concurrency, len(requests)))
    threads = min(concurrency, len(requests))
    if processes == 1:
        pool: _Pool = _ThreadPool(requests[0], threads, client)
    else:
        pool = _ProcessPool(requests[0], shares(threads, processes), client)
    try:
        return _Dispatch(requests, schedule, threads, pool, cancel, on_record, on_tick, tick_s).run()
    finally:
        pool.close()


# -- the parent: hand out, collect --------------------------------------------------------------------------


class _Pool:
    """Where requests go and records come from: threads here, or worker processes."""

    def put(self, item: tuple[int, RunRequest] | None) -> None:
        raise NotImplementedError

    def get(self, timeout_s: float) -> tuple[int, RunRecord | None] | None:
        raise NotImplementedError

    def stop(self) -> None:
        """Hang up every stream in flight; requests handed out later are dropped unsent."""
        raise NotImplementedError

    def check(self) -> None:
        """Raise EngineError if a worker is gone."""

    def close(self) -> None:
        raise NotImplementedError


class _Dispatch:
    def __init__(self, requests: list[RunRequest], schedule: Sequence[float] | None, slots: int, pool: _Pool,
                 cancel: threading.Event, on_record: Callable[[RunRecord], None] | None,
                 on_tick: Callable[[EngineState], None] | None, tick_s: float) -> None:
        self.requests, self.schedule, self.pool, self.cancel = requests, schedule, pool, cancel
        self.on_record, self.on_tick, self.tick_s = on_record, on_tick, tick_s
        self.slots = threading.Semaphore(slots)
        self.handed_out = self.finished = self.late = 0
        self.dispatching = True
        self.lock = threading.Lock()
        self.started = time.perf_counter()

    def state(self) -> EngineState:
        with self.lock:
            return EngineState(self.handed_out, self.finished, len(self.requests), self.late,
                               time.perf_counter() - self.started)

    def hand_out(self) -> None:
        """The dispatcher thread: each request when it is due and a slot is free; stops at a cancel."""
        try:
            for index, request in enumerate(self.requests):
                due = self.started + self.schedule[index] if self.schedule is not None else None
                if due is not None and self.cancel.wait(max(0.0, due - time.perf_counter())):
                    break
                while not self.slots.acquire(timeout=0.05):
                    if self.cancel.is_set():
                        break
                if self.cancel.is_set():
                    break
                late = due is not None and time.perf_counter() - due > LATE_S
                with self.lock:
                    self.handed_out += 1
                    self.late += late
                self.pool.put((index, request))
        finally:
            with self.lock:
                self.dispatching = False

    def run(self) -> list[RunRecord]:
        records: list[RunRecord] = []
        dispatcher = threading.Thread(target=self.hand_out, name="load-dispatch", daemon=True)
        dispatcher.start()
        stopped = False
        next_tick = time.perf_counter()
        try:
            while True:
                if self.cancel.is_set() and not stopped:
                    self.pool.stop()
                    stopped = True
                with self.lock:
                    done = not self.dispatching and self.finished == self.handed_out
                if done:
                    break
                if self.on_tick is not None and time.perf_counter() >= next_tick:
                    self.on_tick(self.state())
                    next_tick = time.perf_counter() + self.tick_s
                item = self.pool.get(min(self.tick_s, 0.05))
                if item is None:
                    self.pool.check()
                    continue
                _, record = item
                with self.lock:
                    self.finished += 1
                self.slots.release()
                if record is not None:
                    records.append(record)
                    self._record(record)
        except BaseException:
            self.cancel.set()
            self.pool.stop()
            raise
        finally:
            dispatcher.join(5)
        if self.on_tick is not None:
            self.on_tick(self.state())
        return records

    def _record(self, record: RunRecord) -> None:
        if self.on_record is None:
            return
        try:
            self.on_record(record)
        except Exception as problem:  # noqa: BLE001 - recording must never stop the benchmark
            record.notes.append(f"Not recorded in the history: {problem}")


# -- the workers: a thread per stream in flight ---------------------------------------------------------------


class _Streams:
    """The runs a worker has in flight, so a stop can hang them all up at once."""

    def __init__(self) -> None:
        self.stopped = threading.Event()
        self._runs: set[Run] = set()
        self._lock = threading.Lock()

    def stop(self) -> None:
        self.stopped.set()
        with self._lock:
            runs = list(self._runs)
        for run in runs:
            run.cancel()

    def execute(self, request: RunRequest, client: Any) -> RunRecord | None:
        """One run to its end (or to a stop); None when it was never sent because of a stop."""
        if self.stopped.is_set():
            return None
        run = start(request, client=client)
        with self._lock:
            self._runs.add(run)
        if self.stopped.is_set():  # a stop between the check and the add: nothing is sent
            run.cancel()
        try:
            for _ in run.events():
                pass
        except LabError:
            pass  # the record has the error
        finally:
            run.close()
            with self._lock:
                self._runs.discard(run)
        return run.record


def _serve(take: Callable[[], tuple[int, RunRequest] | None], give: Callable[[tuple[int, RunRecord | None]], None],
           streams: _Streams, client: Any) -> None:
    """A worker thread: run what it is handed until it is handed None."""
    while True:
        item = take()
        if item is None:
            return
        index, request = item
        give((index, streams.execute(request, client)))


class _ThreadPool(_Pool):
    def __init__(self, first: RunRequest, threads: int, client: Any) -> None:
        self.client = client if client is not None else _runtime_client(_setup(first, None, threads))
        self.tasks: queue.SimpleQueue[tuple[int, RunRequest] | None] = queue.SimpleQueue()
        self.results: queue.SimpleQueue[tuple[int, RunRecord | None]] = queue.SimpleQueue()
        self.streams = _Streams()
        self.threads = [threading.Thread(target=_serve, args=(self.tasks.get, self.results.put, self.streams,
                                                               self.client), name=f"load-{i}", daemon=True)
                        for i in range(threads)]
        for thread in self.threads:
            thread.start()

    def put(self, item: tuple[int, RunRequest] | None) -> None:
        self.tasks.put(item)

    def get(self, timeout_s: float) -> tuple[int, RunRecord | None] | None:
        try:
            return self.results.get(timeout=timeout_s)
        except queue.Empty:
            return None

    def stop(self) -> None:
        self.streams.stop()

    def close(self) -> None:
        for _ in self.threads:
            self.tasks.put(None)
        for thread in self.threads:
            thread.join(JOIN_S)


class _ProcessPool(_Pool):
    def __init__(self, first: RunRequest, threads: list[int], client: Any) -> None:
        self.tasks: Any = _START.Queue()
        self.results: Any = _START.Queue()
        self.stop_event: Any = _START.Event()
        self.total_threads = sum(threads)
        self.processes = [
            _START.Process(target=_worker_main, args=(_setup(first, client, n), self.tasks, self.results,
                                                      self.stop_event), name=f"load-worker-{i}", daemon=True)
            for i, n in enumerate(threads)]
        for process in self.processes:
            process.start()
        self._wait_ready()

    def _wait_ready(self) -> None:
        """Wait until every worker has its client (a spawn takes about a second), so the schedule's clock starts
        when the workers can keep it."""
        ready, deadline = 0, time.monotonic() + READY_S
        while ready < len(self.processes):
            try:
                self.results.get(timeout=0.1)
                ready += 1
            except queue.Empty:
                gone = [p for p in self.processes if p.exitcode is not None]
                if gone or time.monotonic() > deadline:
                    self.close()
                    raise EngineError(f"worker process {gone[0].name} could not start (exit code {gone[0].exitcode})"
                                      if gone else f"the worker processes did not start within {READY_S:g} s"
                                      ) from None

    def put(self, item: tuple[int, RunRequest] | None) -> None:
        self.tasks.put(item)

    def get(self, timeout_s: float) -> tuple[int, RunRecord | None] | None:
        try:
            item: tuple[int, RunRecord | None] = self.results.get(timeout=timeout_s)
        except queue.Empty:
            return None
        return item

    def stop(self) -> None:
        self.stop_event.set()

    def check(self) -> None:
        gone = [p for p in self.processes if p.exitcode is not None]
        if gone:
            self.stop_event.set()
            raise EngineError(f"worker process {gone[0].name} ended early (exit code {gone[0].exitcode}); "
                              "the runs that finished are kept")

    def close(self) -> None:
        for _ in range(self.total_threads):
            with contextlib.suppress(ValueError, OSError):
                self.tasks.put(None)
        deadline = time.monotonic() + JOIN_S
        for process in self.processes:
            process.join(max(0.1, deadline - time.monotonic()))
            if process.is_alive():
                process.terminate()
                process.join(1)
        for channel in (self.tasks, self.results):
            channel.close()
            channel.cancel_join_thread()  # nothing left to deliver: do not wait on the feeder at exit


def _worker_main(setup: WorkerSetup, tasks: Any, results: Any, stop_event: Any) -> None:
    """A worker process: `setup.threads` threads on one client sized for them, until each is handed None."""
    client = _runtime_client(setup)
    results.put((-1, None))  # ready
    streams = _Streams()
    serving = [threading.Thread(target=_serve, args=(tasks.get, results.put, streams, client), daemon=True)
               for _ in range(setup.threads)]
    for thread in serving:
        thread.start()

    def watch() -> None:
        while any(t.is_alive() for t in serving):
            if stop_event.wait(0.1):
                streams.stop()
                return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    for thread in serving:
        thread.join()
    watcher.join(1)
    results.close()
    results.join_thread()  # every record is delivered before the process exits


# -- clients ----------------------------------------------------------------------------------------------


def _setup(first: RunRequest, client: Any, threads: int) -> WorkerSetup:
    """The connection of the requests (the first one's: a benchmark's requests share it)."""
    endpoint = None
    region = first.region
    if first.backend == "emulator":
        if client is not None:
            endpoint, region = str(client.meta.endpoint_url), client.meta.region_name
        else:
            from ..client import shared_emulator

            endpoint = shared_emulator().url
    return WorkerSetup(endpoint, first.backend, region, first.profile, first.max_attempts, first.read_timeout_s,
                       threads)


@functools.lru_cache(maxsize=8)
def _runtime_client(setup: WorkerSetup) -> Any:
    """A bedrock-runtime client with a connection for every thread (botocore's default pool is 10)."""
    from botocore.config import Config

    from .. import client as clients

    config = clients.botocore_config(max_attempts=setup.max_attempts, read_timeout_s=setup.read_timeout_s).merge(
        Config(max_pool_connections=max(10, setup.threads)))
    if setup.endpoint_url is None:
        return clients.make_client("bedrock-runtime", setup.backend, region=setup.region, profile=setup.profile,
                                   config=config)
    return _endpoint_client(setup.endpoint_url, setup.region, config)


def _endpoint_client(url: str, region: str | None, config: Any) -> Any:
    """A client on the emulator at `url` from another process (where `make_client` would start an emulator of
    its own): dummy keys and SigV4, the same two handlers `core.client.make_client` registers."""
    import boto3
    from botocore.config import Config

    from .. import client as clients

    made = boto3.client("bedrock-runtime", endpoint_url=url, region_name=region or clients.EMULATOR_REGION,
                        aws_access_key_id="emulator", aws_secret_access_key="emulator",
                        config=config.merge(Config(auth_scheme_preference="sigv4")))
    # core.client has no public "client on this emulator URL" yet; these are the handlers make_client adds.
    made.meta.events.register_first("needs-retry.bedrock-runtime", clients._no_retry_after_read_timeout)
    made.meta.events.register("before-sign.bedrock-runtime", clients._tag_session)
    return made
