"""Locust, to take a benchmark past one machine: a user class that runs the lab's own run, and a local master
with workers (what `python -m core bench --locust --workers N` starts).

Each Locust task is one request of the benchmark, planned by `core.bench.plan` and run by `core.streaming` like
any chat answer, so its figures keep the lab's definitions. Every run is recorded in the history of the process
that ran it (`BEDROCK_LAB_HISTORY`: with one postgresql:// URL on every host, all the workers write to one
history) under the benchmark's id, which the master chooses and Locust forwards to every worker with the rest
of the benchmark. The master hands the requests out one at a time, so each request of the plan runs exactly
once whatever the number of workers and users; it collects every worker's records, ends the test when the last
one is in (or at the benchmark's duration or error limit, or Locust's `--run-time`), and writes the report
(`core.load_report`) from those records.

    locust -f core/locustfile.py --master --headless --users 50 --spawn-rate 10 --expect-workers 4 \\
        --lab-model amazon.nova-micro-v1:0 --lab-runs 200 --lab-report reports
    locust -f core/locustfile.py --worker --master-host HOST          # on each machine that sends load

Locust's statistics have one entry per api and mode ("invoke/stream") and model, whose response time is the
lab's E2E and whose length is the output tokens, and one entry "ttft" per model whose response time is the
lab's TTFT (Locust has no other kind of custom metric, so its "Aggregated" row counts both). The load is
Locust's users, so a benchmark with another load pattern than a fixed concurrency is refused.

Importing Locust monkey-patches the whole process with gevent, so this module defines the user class only in a
process that Locust itself loaded it in; `run_locally` starts Locust in processes of their own.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import socket
import subprocess
import sys
import time
import types
import typing
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

if not __package__:  # Locust loads this file by its path: the repository's root makes `core` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core import bench, identity  # noqa: E402 (after the path fix above)
from core.load.figures import STEP_NOTE, InvalidSlo, parse_slos  # noqa: E402
from core.load.patterns import WARMUP_STEP  # noqa: E402
from core.types import RunRecord  # noqa: E402

LOCUSTFILE = Path(__file__).resolve()
ROOT = LOCUSTFILE.parents[1]
CLAIM, TICKET, DONE = "lab_claim", "lab_ticket", "lab_done"  # Locust custom messages: worker -> master -> worker
TTFT_ENTRY = "ttft"
CLAIM_TIMEOUT_S = 60.0  # a user waits this long for the master to hand it a request, then stops
WORKERS_WAIT_S = 60  # the master gives up when the expected workers have not all connected by then
MODES = ("stream", "sync")
USAGE_ERROR = 2
# Connections a Locust process keeps open: its share of the users is not known when its client is made, and an
# unused slot costs nothing (urllib3 opens connections as they are needed).
WORKER_POOL_CONNECTIONS = 1024
# Users started a second: every user at once, as core.bench starts its concurrency (Locust warns above 100).
SPAWN_RATE_PER_S = 100


class LabRunFailed(Exception):
    """A run that ended in error or was cancelled, as Locust's failures table shows it: "<code>: <message>"."""


# -- the benchmark, as Locust's options carry it to every worker -------------------------------------------


def spec_to_json(spec: bench.BenchmarkSpec) -> str:
    """The whole benchmark as one option value (`--lab-spec`), which Locust forwards from the master to workers."""
    return json.dumps(dataclasses.asdict(spec), separators=(",", ":"))


def spec_from_json(text: str) -> bench.BenchmarkSpec:
    """The benchmark `spec_to_json` wrote, checked; InvalidBenchmark says what is wrong."""
    try:
        spec = _decoded(bench.BenchmarkSpec, json.loads(text))
    except (ValueError, TypeError, AttributeError, KeyError) as problem:
        raise bench.InvalidBenchmark(f"--lab-spec is not a benchmark the lab wrote ({problem}).") from None
    check_for_locust(spec)
    return typing.cast(bench.BenchmarkSpec, spec)


def _decoded(hint: Any, value: Any) -> Any:
    """A JSON value as the type `hint` names: dataclasses and tuples rebuilt, other values as they are."""
    if value is None:
        return None
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        hints = typing.get_type_hints(hint)
        return hint(**{name: _decoded(hints[name], item) for name, item in value.items()})
    origin = typing.get_origin(hint)
    if origin is tuple:
        return tuple(_decoded(typing.get_args(hint)[0], item) for item in value)
    if origin in (typing.Union, types.UnionType):
        for choice in typing.get_args(hint):
            if (isinstance(value, dict) and dataclasses.is_dataclass(choice)) or \
                    (isinstance(value, list) and typing.get_origin(choice) is tuple):
                return _decoded(choice, value)
    return value


def check_for_locust(spec: bench.BenchmarkSpec) -> None:
    """`bench.check`, and what Locust cannot do: its users are the load, so the pattern must be a fixed one."""
    bench.check(spec)
    if spec.load.kind != "fixed":
        raise bench.InvalidBenchmark(f"with Locust the load is its users: use a fixed concurrency, not the "
                                     f"{spec.load.kind} pattern.")


def add_options(parser: Any) -> None:
    """The lab's options on Locust's parser (`--lab-*`; each also reads LOCUST_LAB_*, as Locust's own do)."""
    group = parser.add_argument_group("Bedrock Streaming Lab", "the benchmark each Locust user runs")
    group.add_argument("--lab-model", action="append", default=None, metavar="ID",
                       help="model id, inference profile id or ARN (repeat for several models)")
    group.add_argument("--lab-runs", type=int, default=10, metavar="N", help="runs per model (default 10)")
    group.add_argument("--lab-prompt-set", choices=list(bench.PROMPT_SETS), default="short", help="built-in prompts")
    group.add_argument("--lab-max-tokens", type=int, default=None, help="output limit (default: the prompt set's)")
    group.add_argument("--lab-api", default="invoke", help="invoke, converse, or another api the lab speaks")
    group.add_argument("--lab-mode", choices=MODES, default="stream", help="streamed or sync calls")
    group.add_argument("--lab-backend", choices=("emulator", "aws"), default="emulator")
    group.add_argument("--lab-emulator-url", default="", metavar="URL",
                       help="the emulator every worker sends to, for the emulator backend (start one with "
                            "`python -m core emulator --host 0.0.0.0`)")
    group.add_argument("--lab-region", default="", help="AWS region (aws backend)")
    group.add_argument("--lab-user", default="", help="who the runs are recorded as")
    group.add_argument("--lab-cache-buster", action="store_true", help="a unique prefix on every request")
    group.add_argument("--lab-slo", action="append", default=None, metavar="NAME=MS",
                       help="a goodput bound for the report: ttft_ms=2000, tpot_ms=50, e2e_ms=20000")
    group.add_argument("--lab-benchmark-id", default=uuid.uuid4().hex, help="the benchmark's id (default: a new one)")
    group.add_argument("--lab-report", default="", metavar="FOLDER",
                       help="the master writes the HTML report and the CSV/JSON of every run there")
    # The whole benchmark as JSON, as `run_locally` passes it (every lever of a BenchmarkSpec): not for typing.
    group.add_argument("--lab-spec", default="", help=argparse.SUPPRESS)


def spec_from_options(options: Any) -> bench.BenchmarkSpec:
    """The benchmark Locust's parsed options describe (`--lab-spec` wins over the single options)."""
    if options.lab_spec:
        return spec_from_json(options.lab_spec)
    prompt_set = bench.PROMPT_SETS[options.lab_prompt_set]
    try:
        slos = parse_slos(options.lab_slo or ())
    except InvalidSlo as problem:
        raise bench.InvalidBenchmark(str(problem)) from None
    spec = bench.BenchmarkSpec(
        tuple(options.lab_model or ()), prompt_set.prompts, options.lab_max_tokens or prompt_set.max_tokens,
        runs_per_model=options.lab_runs, modes=(options.lab_mode,), api=options.lab_api,
        backend=options.lab_backend, region=options.lab_region or None, cache_buster=options.lab_cache_buster,
        user_name=options.lab_user or None, benchmark_id=options.lab_benchmark_id, slos=slos)
    check_for_locust(spec)
    return spec


def step_names(spec: bench.BenchmarkSpec, users: int) -> list[str]:
    """The load step of each request of `bench.plan(spec)`: the warm-up's, then Locust's users."""
    return [step.name if step.name == WARMUP_STEP else f"locust, {users} users"
            for step in bench.plan_steps(spec) for _ in step.requests]


def entry_type(record: RunRecord) -> str:
    """A run's Locust request type: its api and mode ("converse/stream")."""
    return f"{record.api}/{record.mode}"


# -- the master's side: the plan, the tickets, the records -------------------------------------------------


@dataclass
class Tally:
    """What the master knows: the plan's steps, how many requests it handed out, the records that came back."""

    steps: list[str]
    max_errors: int | None = None
    handed_out: int = 0
    records: dict[str, RunRecord] = field(default_factory=dict)
    by_worker: dict[str, int] = field(default_factory=dict)
    stop_reason: str | None = None

    @property
    def total(self) -> int:
        return len(self.steps)

    @property
    def errors(self) -> int:
        return sum(r.status == "error" for r in self.records.values())

    def next_index(self) -> int | None:
        """The next request of the plan to run, or None once every one was handed out (or the test must end)."""
        if self.handed_out >= self.total or self.stop_reason is not None:
            return None
        self.handed_out += 1
        return self.handed_out - 1

    def take(self, record: RunRecord, worker: str) -> bool:
        """Keep a worker's record (once per run id); True when the test should end now, with `stop_reason` set."""
        if record.run_id not in self.records:
            self.records[record.run_id] = record
            self.by_worker[worker] = self.by_worker.get(worker, 0) + 1
        if self.stop_reason is None and self.max_errors is not None and self.errors >= self.max_errors:
            self.stop_reason = f"{self.errors} requests failed: the limit was {self.max_errors}"
            return True
        if self.stop_reason is None and len(self.records) >= self.total:
            self.stop_reason = "every planned request finished"
            return True
        return False

    def describe(self) -> str:
        """"12 of 12 runs recorded, 0 failed, by 2 workers (6, 6)"."""
        counts = ", ".join(str(n) for _, n in sorted(self.by_worker.items()))
        workers = f"{len(self.by_worker)} worker{'s' if len(self.by_worker) != 1 else ''}"
        return f"{len(self.records)} of {self.total} runs recorded, {self.errors} failed, by {workers} ({counts})"


# -- starting a master and workers on this machine ---------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def locust_command(*args: str) -> list[str]:
    """`python -m locust -f core/locustfile.py ARGS`, with this interpreter."""
    return [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), *args]


def run_locally(spec: bench.BenchmarkSpec, *, workers: int, users: int | None = None,
                emulator_url: str | None = None, report_folder: Path | None = None,
                stats_prefix: Path | None = None, log: IO[str] | None = None,
                env: dict[str, str] | None = None) -> int:
    """Run the benchmark with a headless Locust master and `workers` worker processes on loopback; returns the
    master's exit code (0: every run ok; 1: some failed, or it was stopped; 2: the benchmark was refused).

    `users` (default: the spec's concurrency) are spread over the workers; the test ends when every request of
    the plan has run, at the spec's `duration_s` (runs in flight are cut), or at its `max_errors`. With the
    emulator backend and no `emulator_url`, this process's emulator serves every worker (one service under load,
    as Bedrock would be). The master writes the report into `report_folder` and Locust's CSV statistics to
    `<stats_prefix>_stats.csv`; every process's output goes to `log` (default: this process's stderr).
    InvalidBenchmark before anything starts if the spec cannot run on Locust.

        run_locally(BenchmarkSpec(("amazon.nova-micro-v1:0",), prompts, 128, runs_per_model=100),
                    workers=2, users=20, report_folder=Path("reports"))
    """
    check_for_locust(spec)
    if workers < 1:
        raise bench.InvalidBenchmark(f"Locust needs at least one worker (got {workers}).")
    users = users or spec.concurrency
    if spec.backend == "emulator" and not emulator_url:
        from core.client import shared_emulator

        emulator_url = shared_emulator().url
    port = _free_port()
    master_args = ["--master", "--headless", "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port),
                   "--expect-workers", str(workers), "--expect-workers-max-wait", str(WORKERS_WAIT_S),
                   "--users", str(users), "--spawn-rate", str(max(users, SPAWN_RATE_PER_S)),
                   "--lab-spec", spec_to_json(spec)]
    if emulator_url:
        master_args += ["--lab-emulator-url", emulator_url]
    if report_folder is not None:
        master_args += ["--lab-report", str(report_folder)]
    if stats_prefix is not None:
        master_args += ["--csv", str(stats_prefix)]
    worker_args = ["--worker", "--master-host", "127.0.0.1", "--master-port", str(port)]
    output = log or sys.stderr
    environment = {**(env if env is not None else os.environ), "PYTHONUNBUFFERED": "1"}
    master = subprocess.Popen(locust_command(*master_args), cwd=ROOT, env=environment, stdout=output,
                              stderr=subprocess.STDOUT)
    started = [subprocess.Popen(locust_command(*worker_args), cwd=ROOT, env=environment, stdout=output,
                                stderr=subprocess.STDOUT) for _ in range(workers)]
    try:
        try:
            code = master.wait()
        except KeyboardInterrupt:  # Ctrl-C reached every process of the group: the master reports what finished
            code = master.wait()
    finally:
        for process in [*started, master]:  # the master tells the workers to quit; one that missed it stops here
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.terminate()
                process.wait()
    return code if code >= 0 else 1  # a master ended by a signal (Ctrl-C before it had started): stopped


# -- inside a Locust process: the user class and the message handlers --------------------------------------


def _define_user_class() -> Any:
    """The user class and its event listeners, defined only once Locust (and gevent's patching) is loaded."""
    import gevent
    from gevent.event import AsyncResult
    from locust import User, constant, events, task
    from locust.env import Environment
    from locust.exception import StopUser
    from locust.runners import MasterRunner, WorkerRunner

    import core.history  # noqa: F401 (loaded as a worker connects, not as the test starts: pandas takes a second)
    from core import streaming
    from core.errors import LabError

    class Lab:
        """This process's part of the benchmark: the plan and the client, and on the master the tally."""

        spec: bench.BenchmarkSpec | None = None
        requests: list[streaming.RunRequest] = []
        tally: Tally | None = None
        client: Any = None
        record: Any = None
        waiting: dict[str, AsyncResult[Any]] = {}
        started_at = 0.0  # time.monotonic() when the test started, on the master

    def _init(environment: Environment, **_: Any) -> None:
        runner = environment.runner
        if runner is None:
            return
        if not isinstance(runner, WorkerRunner):  # the master, or a single local process: refuse a bad benchmark
            try:
                spec = spec_from_options(environment.parsed_options)
            except bench.InvalidBenchmark as problem:
                print(f"error: {problem}", file=sys.stderr, flush=True)
                sys.exit(USAGE_ERROR)
            if spec.backend == "emulator" and not _options(environment).lab_emulator_url:
                # A Locust process cannot serve the embedded emulator: gevent's patching stalls its event loop.
                print("error: the emulator backend needs --lab-emulator-url: start one with `python -m core emulator"
                      " --host 0.0.0.0 --time-scale 1`, or run `python -m core bench --locust`, which does.",
                      file=sys.stderr, flush=True)
                sys.exit(USAGE_ERROR)
            runner.register_message(CLAIM, _hand_out)
            runner.register_message(DONE, _collect)
        if not isinstance(runner, MasterRunner):
            runner.register_message(TICKET, _receive)

    def _test_start(environment: Environment, **_: Any) -> None:
        Lab.started_at = time.monotonic()
        Lab.spec = spec_from_options(environment.parsed_options)  # on a worker: the options the master forwarded
        Lab.requests = bench.plan(Lab.spec)
        if not isinstance(environment.runner, WorkerRunner):
            users = int(getattr(environment.parsed_options, "num_users", 0) or 0)
            Lab.tally = Tally(step_names(Lab.spec, users), max_errors=Lab.spec.max_errors)
            if Lab.spec.duration_s is not None:
                gevent.spawn_later(Lab.spec.duration_s, _time_up, environment, Lab.tally, Lab.spec.duration_s)
            print(f"lab: benchmark {Lab.spec.benchmark_id}: {Lab.tally.total} runs", file=sys.stderr, flush=True)
        if not isinstance(environment.runner, MasterRunner):
            Lab.client = _client(Lab.spec, environment)
            Lab.record = _recorder()

    def _test_stop(environment: Environment, **_: Any) -> None:
        tally, spec = Lab.tally, Lab.spec
        if isinstance(environment.runner, WorkerRunner) or tally is None or spec is None:
            return
        Lab.tally = None  # reported once
        run_time_s = getattr(_options(environment), "run_time", None)  # Locust's own --run-time, in seconds
        if tally.stop_reason is None and run_time_s and time.monotonic() - Lab.started_at >= run_time_s - 2:
            tally.stop_reason = f"the run time ended ({run_time_s} s)"
        if tally.stop_reason is None or tally.errors:
            environment.process_exit_code = 1  # as `python -m core bench` exits when runs failed or it was stopped
        tally.stop_reason = tally.stop_reason or "stopped before every planned request finished (Ctrl-C, or a stop " \
                                                 "from Locust's web UI)"
        print(f"lab: benchmark {spec.benchmark_id}: {tally.describe()}; {tally.stop_reason}", file=sys.stderr,
              flush=True)
        folder = _options(environment).lab_report
        if folder:
            from core.load_report import ReportError

            try:
                print(f"lab: report {_write_report(spec, tally, Path(folder), environment)}", file=sys.stderr,
                      flush=True)
            except ReportError as problem:
                print(f"error: {problem}", file=sys.stderr, flush=True)
                environment.process_exit_code = 1

    def _time_up(environment: Environment, tally: Tally, duration_s: float) -> None:
        if tally is Lab.tally and tally.stop_reason is None:  # this test, still running
            tally.stop_reason = f"the benchmark's duration ended ({duration_s:g} s)"
            _runner(environment).quit()

    def _hand_out(environment: Environment, msg: Any, **_: Any) -> None:
        tally = Lab.tally
        index = tally.next_index() if tally is not None else None
        step = tally.steps[index] if tally is not None and index is not None else None
        _runner(environment).send_message(TICKET, {"claim": msg.data, "index": index, "step": step},
                                          client_id=msg.node_id)

    def _receive(environment: Environment, msg: Any, **_: Any) -> None:
        waiting = Lab.waiting.pop(msg.data["claim"], None)
        if waiting is not None:
            waiting.set((msg.data["index"], msg.data["step"]))

    def _collect(environment: Environment, msg: Any, **_: Any) -> None:
        if Lab.tally is not None and Lab.tally.take(RunRecord(**msg.data), str(msg.node_id)):
            gevent.spawn(_runner(environment).quit)  # not on this greenlet: quitting kills it

    def _claim(environment: Environment) -> tuple[int, str] | None:
        claim = uuid.uuid4().hex
        ticket: AsyncResult[Any] = AsyncResult()
        Lab.waiting[claim] = ticket
        _runner(environment).send_message(CLAIM, claim)
        try:
            index, step = ticket.get(timeout=CLAIM_TIMEOUT_S)
        except gevent.Timeout:
            return None
        finally:
            Lab.waiting.pop(claim, None)
        return None if index is None else (int(index), str(step))

    class LabUser(User):
        """A virtual user: runs the benchmark's requests one after another, as the master hands them out."""

        wait_time = constant(0)

        @task
        def run_one(self) -> None:
            claimed = _claim(self.environment)
            if claimed is None:
                raise StopUser()
            index, step = claimed
            record = _run(Lab.requests[index], step)
            _report(self.environment, record)
            _runner(self.environment).send_message(DONE, dataclasses.asdict(record))

    def _run(request: streaming.RunRequest, step: str) -> RunRecord:
        """One run, recorded with its step's note (as core.bench marks its records: the figures group by it)."""
        run = streaming.start(request, client=Lab.client)
        ended = False
        try:
            for _ in run.events():
                pass
            ended = True
        except LabError:
            ended = True  # the record has the error
        finally:
            run.close()
            # A test that ends mid-stream kills the user's greenlet inside the read (GreenletExit): that run is
            # recorded only when its record says it was cancelled, never as a run that finished ok.
            if run.finished and (ended or run.record.status != "ok"):
                run.record.notes.append(STEP_NOTE + step)
                Lab.record(run.record)
        return run.record

    def _report(environment: Environment, record: RunRecord) -> None:
        failure = None if record.status == "ok" else LabRunFailed(
            f"{record.error_code or record.status}: {record.error_message or 'the run did not finish'}")
        request: Any = environment.events.request  # Locust's event hooks are untyped
        request.fire(
            request_type=entry_type(record), name=record.model_id, response_time=record.e2e_ms or 0.0,
            response_length=record.output_tokens or 0, exception=failure, context={"run_id": record.run_id})
        if record.ttft_ms is not None:
            request.fire(request_type=TTFT_ENTRY, name=record.model_id, response_time=record.ttft_ms,
                         response_length=0, exception=None, context={"run_id": record.run_id})

    hooks: Any = events  # Locust's event hooks are untyped
    hooks.init_command_line_parser.add_listener(add_options)
    hooks.init.add_listener(_init)
    hooks.test_start.add_listener(_test_start)
    hooks.test_stop.add_listener(_test_stop)
    return LabUser


def _options(environment: Any) -> Any:
    """Locust's parsed options, with the lab's (`add_options`)."""
    return environment.parsed_options


def _runner(environment: Any) -> Any:
    """The process's Locust runner (set once Locust has started, before any listener of ours runs)."""
    return environment.runner


def _client(spec: bench.BenchmarkSpec, environment: Any) -> Any:
    """One runtime client per Locust process, with a connection for each of its users."""
    from botocore.config import Config

    from core.client import EMULATOR_REGION, botocore_config, make_client

    users = int(getattr(environment.parsed_options, "num_users", 0) or 0)
    config = botocore_config(max_attempts=spec.max_attempts, read_timeout_s=spec.read_timeout_s).merge(
        Config(max_pool_connections=max(WORKER_POOL_CONNECTIONS, users)))
    url = environment.parsed_options.lab_emulator_url
    if spec.backend == "emulator" and url:
        import boto3

        # The emulator of another process or host, signed with SigV4 and dummy keys as make_client signs its own.
        return boto3.client("bedrock-runtime", endpoint_url=url, region_name=spec.region or EMULATOR_REGION,
                            aws_access_key_id="emulator", aws_secret_access_key="emulator",
                            config=config.merge(Config(auth_scheme_preference="sigv4")))
    return make_client("bedrock-runtime", spec.backend, region=spec.region, profile=spec.profile, config=config)


def _recorder() -> Any:
    """A function that records a run in this process's history, saying (not raising) when it cannot."""
    from core.history import History, HistoryUnavailable

    try:
        history: History | None = History()
    except HistoryUnavailable as problem:
        print(f"lab: runs are not recorded on {identity.host_name()}: {problem.message}", file=sys.stderr)
        history = None

    def record(run: RunRecord) -> None:
        if history is None:
            return
        try:
            history.record_run(run)
        except HistoryUnavailable as problem:
            print(f"lab: run {run.run_id} was not recorded: {problem.message}", file=sys.stderr)

    return record


def _write_report(spec: bench.BenchmarkSpec, tally: Tally, folder: Path, environment: Any) -> Path:
    """The benchmark's report from the records the workers sent, with what was run and why it stopped."""
    from core.load_report import write_report

    options = environment.parsed_options
    workers = len(tally.by_worker)
    summary = bench.spec_summary(spec, planned=tally.total,
                                 load=f"Locust: {getattr(options, 'num_users', '?')} users on {workers} worker process"
                                      f"{'es' if workers != 1 else ''}, master on {identity.host_name()}")
    files = write_report(list(tally.records.values()), spec_summary=summary, folder=folder, slos=spec.slos,
                         stop_reason=tally.stop_reason)
    return files.html


if "locust" in sys.modules:  # loaded by Locust, which has already patched the process with gevent
    LabUser = _define_user_class()
