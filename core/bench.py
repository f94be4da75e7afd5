"""The benchmark runner: the same prompts, many times, against several models, recorded in the history.

Each run goes through `core.streaming` like any chat answer, so it is timed the same way and lands
in the history with the benchmark's id. Runs are interleaved across models (and modes) so that a
slow minute on the network does not fall on one model only. A benchmark is one or more load steps
(`core.load.patterns`: fixed concurrency, a concurrency sweep, constant rate, Poisson arrivals with a
burstiness, a linear ramp), after optional warm-up requests (recorded, marked with the note
"load step: warm-up", and left out of the figures). Each step's requests go to `core.load.engine`, on
threads or over worker processes; every record carries its step in a note ("load step: c=8").
Progress reaches the caller on its own thread, about four times a second, with the current step, the
requests in flight, running p50s and an estimate of the time left. A step ends when its requests are
done or at its duration limit; the benchmark stops early at the error limit, on over-saturation
(`core.load.saturation`) or on a cancel, keeps every run that finished, and says why it stopped.

    spec = BenchmarkSpec(catalog.default_model_ids("bench")[:2],
                         PROMPT_SETS["short"].prompts, PROMPT_SETS["short"].max_tokens, runs_per_model=10)
    result = run_benchmark(spec, on_record=History().record_run, on_progress=print)
"""

from __future__ import annotations

import functools
import math
import threading
import time
import typing
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from botocore.config import Config

from . import catalog, metrics, providers, validation
from . import format as fmt
from .client import DEFAULT_IDLE_TIMEOUT_S, DEFAULT_MAX_ATTEMPTS, DEFAULT_READ_TIMEOUT_S, botocore_config, make_client
from .errors import ValidationError
from .load import engine, patterns, workloads
from .load.figures import STEP_NOTE, Slos, summarize, text_table
from .load.patterns import WARMUP_STEP, LoadPattern
from .load.saturation import SaturationDetector, SaturationRule
from .streaming import API_NAMES, RunRequest
from .types import Api, CachePlan, ChatRequest, Latency, Message, RunRecord, ServiceTier

if TYPE_CHECKING:
    import pandas as pd

Mode = Literal["stream", "sync"]
MAX_CONCURRENCY = patterns.MAX_CONCURRENCY
MAX_RUNS_PER_MODEL = 1000
MAX_REQUESTS_PER_STEP = 100_000
MAX_WARMUP = 1000
MAX_PROCESSES = 64
TICK_S = 0.25


@dataclass(frozen=True)
class PromptSet:
    name: str
    description: str
    prompts: tuple[str, ...]
    max_tokens: int


_DESIGN_DOC = " ".join([
    "The ingestion service accepts events from mobile and web clients over HTTPS and writes them to a",
    "partitioned log. Each partition is replicated three times across availability zones, and a write is",
    "acknowledged once two replicas have it. Consumers read in order within a partition and commit their",
    "offsets every few seconds, so a consumer that restarts reprocesses at most a few seconds of events.",
    "The team chose at-least-once delivery over exactly-once because the downstream aggregations are",
    "idempotent, and because exactly-once would have doubled the write latency at the 99th percentile.",
    "Schema changes are additive only: new optional fields may appear, old fields are never removed, and",
    "every event carries the version of the schema it was written with. A registry validates events at",
    "the edge and rejects those that do not match, returning an error the client can log and retry.",
    "Storage is tiered: seven days on local disks for fast replay, then a year in object storage in a",
    "columnar format, compacted nightly. Queries over the cold tier take minutes instead of seconds, which",
    "the analytics team accepted in exchange for a tenth of the cost. Backpressure is explicit: when a",
    "partition's consumers fall more than a minute behind, producers receive a slow-down signal and batch",
    "more events per request, which keeps the service up during spikes at the price of freshness.",
    "Operations run on dashboards of end-to-end lag, error rates by client version, and the age of the",
    "oldest unprocessed event, with alerts on the last one because it is what users notice first.",
    "Deployments roll out one availability zone at a time behind a feature flag, and a canary compares the",
    "error rate and the lag of the new version with the old one for thirty minutes before going further.",
    "Rollback is a flag flip and takes seconds, which is why the team ships small changes daily rather than",
    "large ones monthly. Capacity is planned from the peak of the previous quarter plus forty percent, and",
    "load tests replay a recorded hour of production traffic at three times its rate every week, so the",
    "first sign of a regression is a test result rather than a page at night. Security reviews cover the",
    "edge, where clients authenticate with short-lived tokens, and the storage tiers, where data is",
    "encrypted at rest with keys rotated every ninety days. Personal data is tagged in the schema, and a",
    "deletion request removes it from the hot tier within a day and from the cold tier at the next nightly",
    "compaction, which the privacy team reviewed and signed off. Open questions remain: whether to add a",
    "second region for disaster recovery, whether the nightly compaction should become continuous, and how",
    "to give product teams self-service access to the cold tier without letting one query starve the rest.",
])

PROMPT_SETS: dict[str, PromptSet] = {s.name: s for s in (
    PromptSet("short", "five short questions, about 40 words each (max 128 tokens)", (
        "In about 40 words, what is a content delivery network?",
        "In about 40 words, why do databases use indexes?",
        "In about 40 words, what does a load balancer do?",
        "In about 40 words, explain what an API rate limit is.",
        "In about 40 words, what is the difference between a process and a thread?",
    ), 128),
    PromptSet("medium", "five explanations, about 250 words each (max 512 tokens)", (
        "In about 250 words, explain how HTTP caching works, with the headers involved.",
        "In about 250 words, explain the trade-offs between SQL and NoSQL databases.",
        "In about 250 words, explain how a message queue decouples services.",
        "In about 250 words, explain what eventual consistency means for an application developer.",
        "In about 250 words, explain how TLS protects a connection.",
    ), 512),
    PromptSet("long", "a 470-word design document, three tasks, about 800 words back (max 1,200 tokens)", (
        f"Here is a design document.\n\n{_DESIGN_DOC}\n\nIn about 800 words, review it: strengths, risks, "
        "and what you would change.",
        f"Here is a design document.\n\n{_DESIGN_DOC}\n\nIn about 800 words, write the runbook an on-call "
        "engineer would need for this service.",
        f"Here is a design document.\n\n{_DESIGN_DOC}\n\nIn about 800 words, explain it to a new team member "
        "who knows little about distributed systems.",
    ), 1200),
)}
for _name, (_in, _out) in workloads.SIZED_SETS.items():  # sized as the public benchmarks size them
    PROMPT_SETS[_name] = PromptSet(_name, f"five generated prompts of about {_in:,} tokens, answers cut at "
                                          f"{_out:,} tokens", *workloads.sized_prompts(_name))


class InvalidBenchmark(ValueError):
    """The benchmark cannot run as asked; the message says what to change and is shown to the user."""


@dataclass(frozen=True)
class BenchmarkSpec:
    """What to run: every model, `runs_per_model` times in each mode, cycling through the prompts."""

    model_ids: tuple[str, ...]
    prompts: tuple[str, ...]
    max_tokens: int
    runs_per_model: int = 10
    concurrency: int = 4
    modes: tuple[Mode, ...] = ("stream",)
    api: Api = "invoke"
    backend: str = "emulator"
    region: str | None = None
    profile: str | None = None
    session_id: str | None = None
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    read_timeout_s: float = DEFAULT_READ_TIMEOUT_S
    idle_timeout_s: float | None = DEFAULT_IDLE_TIMEOUT_S
    effort: str | None = None  # reasoning effort, for the models that take one
    service_tier: ServiceTier | None = None
    latency: Latency | None = None
    cache: bool = False  # cache points after each prompt (5-minute cache)
    cache_buster: bool = False  # a unique prefix per request: nothing is read from the prompt cache
    user_name: str | None = None  # who the runs are recorded as (None: the default)
    benchmark_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    # the load (core.load): None is a fixed concurrency of `concurrency`
    pattern: LoadPattern | None = None
    warmup_requests: int = 0  # run first at the first step's concurrency, recorded, left out of the figures
    max_requests: int | None = None  # per step (None: runs_per_model x models x modes, or the duration's arrivals)
    duration_s: float | None = None  # per step: a step still running then is stopped (streams in flight cancelled)
    max_errors: int | None = None  # the benchmark stops at this many failed requests
    saturation: SaturationRule | None = field(default_factory=SaturationRule)  # None: no over-saturation stop
    processes: int = 1  # worker processes (1: threads in this process)
    seed: int = 0  # of the arrival schedule
    slos: Slos | None = None  # goodput bounds
    replay: tuple[workloads.Prompt, ...] = ()  # prompts with their own max_tokens and system (JSONL replay)

    @property
    def load(self) -> LoadPattern:
        """The load pattern the benchmark runs."""
        return self.pattern or LoadPattern("fixed", self.concurrency)


def check(spec: BenchmarkSpec) -> None:
    """Raise InvalidBenchmark naming every problem, before anything is sent."""
    problems = []
    if not spec.model_ids:
        problems.append("choose at least one model")
    for model_id in spec.model_ids:
        try:
            model = catalog.resolve(model_id)
        except catalog.UnknownModelError:
            problems.append(f"unknown model {model_id!r} (use a Bedrock text model id, inference profile id or ARN)")
            continue
        if spec.api not in model.apis or (spec.api == "invoke" and model.family is None):
            name = API_NAMES.get(spec.api, spec.api)
            problems.append(f"{model_id} cannot be asked through {name} by the lab: use "
                            f"{' or '.join(f'--api {a}' for a in model.apis if a != spec.api) or '--api converse'}")
        largest = max((p.max_tokens for p in spec.replay if p.max_tokens is not None), default=None)
        try:  # the bounds every door uses (one verdict for the run, the CLI, the API and the pages)
            validation.check_parameters(model, _chat(spec, model, workloads.Prompt("-", largest)), spec.api)
        except ValidationError as problem:
            problems.append(problem.detail)
    if not any(p.strip() for p in spec.prompts):
        problems.append("give at least one prompt that is not empty")
    if not 1 <= spec.runs_per_model <= MAX_RUNS_PER_MODEL:
        problems.append(f"runs per model must be between 1 and {MAX_RUNS_PER_MODEL} (got {spec.runs_per_model})")
    if spec.pattern is None and not 1 <= spec.concurrency <= MAX_CONCURRENCY:
        problems.append(f"concurrency must be between 1 and {MAX_CONCURRENCY} (got {spec.concurrency})")
    problems += patterns.problems(spec.pattern) if spec.pattern is not None else []
    if not spec.modes or any(m not in ("stream", "sync") for m in spec.modes):
        problems.append("modes must be stream, sync or both")
    apis = typing.get_args(Api)
    if spec.api not in apis:
        problems.append(f"api must be one of {', '.join(apis)}, not {spec.api!r}")
    if not 0 <= spec.warmup_requests <= MAX_WARMUP:
        problems.append(f"warm-up requests must be between 0 and {MAX_WARMUP} (got {spec.warmup_requests})")
    if spec.max_requests is not None and not 1 <= spec.max_requests <= MAX_REQUESTS_PER_STEP:
        problems.append(f"max requests must be between 1 and {MAX_REQUESTS_PER_STEP:,} (got {spec.max_requests})")
    if spec.duration_s is not None and not (spec.duration_s > 0 and math.isfinite(spec.duration_s)):
        problems.append(f"the duration must be above 0 seconds (got {spec.duration_s})")
    if spec.max_errors is not None and spec.max_errors < 1:
        problems.append(f"max errors must be 1 or more (got {spec.max_errors})")
    if not 1 <= spec.processes <= MAX_PROCESSES:
        problems.append(f"processes must be between 1 and {MAX_PROCESSES} (got {spec.processes})")
    if problems:
        raise InvalidBenchmark("; ".join(problems) + ".")


def _chat(spec: BenchmarkSpec, model: catalog.Model, prompt: workloads.Prompt) -> ChatRequest:
    """One request of the benchmark: the prompt with the spec's levers, effort in the model's own terms."""
    return ChatRequest((Message("user", prompt.text),), system=prompt.system,
                       max_tokens=prompt.max_tokens or spec.max_tokens,
                       reasoning=catalog.reasoning_for(model, spec.effort), service_tier=spec.service_tier,
                       latency=spec.latency, cache=CachePlan(system=False) if spec.cache else None)


def _modes_of(spec: BenchmarkSpec, model_id: str) -> tuple[Mode, ...]:
    """The modes a model runs in: a model that cannot stream runs its stream runs as sync ones."""
    model = catalog.resolve(model_id)
    if spec.api == "converse" or model.family is None or model.family.provider.streams:
        return spec.modes
    return ("sync",)


def notes(spec: BenchmarkSpec) -> list[str]:
    """What the plan changes from what was asked, in words for the user."""
    return [f"{model_id} does not stream: its runs are sync calls." for model_id in spec.model_ids
            if "stream" in spec.modes and _modes_of(spec, model_id) == ("sync",)]


@dataclass(frozen=True)
class PlannedStep:
    """One load step as planned: its requests, how many may be in flight, and their arrival times (open loop)."""

    name: str
    concurrency: int
    requests: tuple[RunRequest, ...]
    schedule: tuple[float, ...] | None = None


def _prompts(spec: BenchmarkSpec) -> list[workloads.Prompt]:
    if spec.replay:
        return list(spec.replay)
    return [workloads.Prompt(p) for p in spec.prompts if p.strip()]


def _requests(spec: BenchmarkSpec, count: int, first: int = 0) -> list[RunRequest]:
    """`count` requests, interleaved: round i asks each model, in each mode, prompt i (from round `first`)."""
    prompts = _prompts(spec)
    lanes = [(mode, model_id) for mode in ("stream", "sync") for model_id in spec.model_ids
             if mode in _modes_of(spec, model_id)]
    requests = []
    for k in range(first * len(lanes), first * len(lanes) + count):
        mode, model_id = lanes[k % len(lanes)]
        prompt = prompts[(k // len(lanes)) % len(prompts)]
        if spec.cache_buster:
            prompt = workloads.Prompt(workloads.bust(prompt.text), prompt.max_tokens, prompt.system)
        chat = _chat(spec, catalog.resolve(model_id), prompt)
        requests.append(RunRequest(
            model_id, chat, api=spec.api, stream=mode == "stream", backend=spec.backend,
            region=spec.region, profile=spec.profile, max_attempts=spec.max_attempts,
            read_timeout_s=spec.read_timeout_s, idle_timeout_s=spec.idle_timeout_s,
            session_id=spec.session_id, benchmark_id=spec.benchmark_id, user_name=spec.user_name))
    return requests


def _step_count(spec: BenchmarkSpec, pattern: LoadPattern, lanes: int) -> int:
    """Requests in a step: max_requests; else, open loop with a duration, the arrivals within it; else
    runs_per_model in each model and mode."""
    if spec.max_requests is not None:
        return spec.max_requests
    if pattern.open_loop and spec.duration_s is not None:
        return max(1, patterns.count_within(pattern, spec.duration_s, spec.seed, MAX_REQUESTS_PER_STEP))
    return spec.runs_per_model * lanes


def plan_steps(spec: BenchmarkSpec) -> list[PlannedStep]:
    """The benchmark's steps in the order they run: the warm-up (when asked), then the pattern's load steps."""
    check(spec)
    pattern = spec.load
    lanes = sum(len(_modes_of(spec, m)) for m in spec.model_ids)
    load_steps = patterns.steps(pattern)
    planned = []
    if spec.warmup_requests:
        planned.append(PlannedStep(WARMUP_STEP, load_steps[0].concurrency,
                                   tuple(_requests(spec, spec.warmup_requests))))
    for step in load_steps:
        count = _step_count(spec, pattern, lanes)
        schedule = tuple(patterns.arrival_times_s(pattern, count, spec.seed)) if step.open_loop else None
        planned.append(PlannedStep(step.name, step.concurrency, tuple(_requests(spec, count)), schedule))
    return planned


def plan(spec: BenchmarkSpec) -> list[RunRequest]:
    """Every request of the benchmark, step after step: round i asks each model, in each mode, prompt i."""
    return [request for step in plan_steps(spec) for request in step.requests]


@dataclass(frozen=True)
class Progress:
    """Where a benchmark stands: `remaining_s` is None until a run has finished to base it on."""

    done: int
    total: int
    errors: int
    elapsed_s: float
    remaining_s: float | None
    step: str | None = None  # the load step running ("warm-up", "c=8", "rate 5/s"); None: a benchmark of one step
    in_flight: int = 0  # requests handed out and not finished
    ttft_p50_ms: float | None = None  # running p50s of the current step (streams and runs that finished ok)
    e2e_p50_ms: float | None = None

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0

    def describe(self) -> str:
        """One line for a progress bar: "12 of 60 runs · 1 error · about 8 s left" (the step first, if any)."""
        parts = [f"step {self.step} · {self.in_flight} in flight"] if self.step else []
        parts.append(f"{self.done} of {self.total} runs")
        if self.errors:
            parts.append(f"{self.errors} error{'s' if self.errors != 1 else ''}")
        if self.done == self.total:
            parts.append(f"done in {_duration(self.elapsed_s)}")
        elif self.remaining_s is None:
            parts.append("estimating the time left…")
        else:
            parts.append(f"about {_duration(self.remaining_s)} left")
        return " · ".join(parts)


def _duration(seconds: float) -> str:
    if seconds < 1:
        return "under 1 s"
    if seconds < 60:
        return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


FINISHED = "finished: every planned request ran"
CANCELLED = "cancelled: requests not started were dropped, streams in flight were closed"


@dataclass(frozen=True)
class Outcome:
    """What became of every planned run: ok + failed + stopped + not_started == planned."""

    planned: int
    ok: int
    failed: int
    stopped: int  # in flight when the benchmark (or a step's limit) stopped them: recorded as cancelled
    not_started: int

    def describe(self) -> str:
        """"20 runs planned: 4 finished ok, 0 failed, 4 stopped in flight, 12 not started" (the parts that are 0
        after "failed" left out: "60 runs planned: 60 finished ok, 0 failed")."""
        parts = [f"{fmt.count(self.ok)} finished ok", f"{fmt.count(self.failed)} failed"]
        parts += [f"{fmt.count(n)} {said}" for n, said in ((self.stopped, "stopped in flight"),
                                                          (self.not_started, "not started")) if n]
        return f"{fmt.count(self.planned)} run{'s' if self.planned != 1 else ''} planned: {', '.join(parts)}"


@dataclass
class BenchmarkResult:
    """The runs that finished (ok, error, or stopped part-way by a cancel), in the order they ended."""

    benchmark_id: str
    records: list[RunRecord]
    total: int
    cancelled: bool
    elapsed_s: float
    notes: list[str] = field(default_factory=list)
    stop_reason: str = FINISHED  # why the benchmark ended (FINISHED, CANCELLED, the error limit, over-saturation)
    step_ends: dict[str, str] = field(default_factory=dict)  # each step that ran: why it ended
    slos: Slos | None = None

    @property
    def errors(self) -> int:
        return sum(r.status == "error" for r in self.records)

    def outcome(self) -> Outcome:
        """The planned runs counted by what became of them (the counts add up to `total`)."""
        ok = sum(r.status == "ok" for r in self.records)
        stopped = len(self.records) - ok - self.errors
        return Outcome(self.total, ok, self.errors, stopped, self.total - len(self.records))

    def figures(self) -> pd.DataFrame:
        """Per model and load step (warm-up left out): `core.load.figures.summarize` of the records."""
        return summarize(self.records, self.slos)


@functools.lru_cache(maxsize=8)
def _client(backend: str, region: str | None, profile: str | None, pool: int, max_attempts: int,
            read_timeout_s: float) -> Any:
    """A runtime client with a connection for every concurrent run (reused connections: no extra handshakes)."""
    config = botocore_config(max_attempts=max_attempts, read_timeout_s=read_timeout_s).merge(
        Config(max_pool_connections=pool))
    return make_client("bedrock-runtime", backend, region=region, profile=profile, config=config)


class _Limits:
    """The benchmark's stops, fed from the engine's callbacks on the parent thread: the error limit, a step's
    duration, over-saturation and a cancel. Setting `halt` stops the benchmark; `step_stop` ends a step."""

    def __init__(self, spec: BenchmarkSpec, cancel: threading.Event) -> None:
        self.spec, self.cancel = spec, cancel
        self.halt = threading.Event()
        self.reason: str | None = None
        self.errors = 0

    def stop(self, reason: str) -> None:
        if self.reason is None:
            self.reason = reason
        self.halt.set()

    def count(self, record: RunRecord) -> None:
        if record.status == "error":
            self.errors += 1
            if self.spec.max_errors is not None and self.errors >= self.spec.max_errors:
                self.stop(f"error limit: {self.errors} requests failed (max errors {self.spec.max_errors})")


def _run_step(step: PlannedStep, spec: BenchmarkSpec, limits: _Limits, client: Any, tick_s: float,
              records: list[RunRecord], report: Callable[[PlannedStep, engine.EngineState | None, list[RunRecord]],
                                                         None],
              on_record: Callable[[RunRecord], None] | None) -> str:
    """Run one step through the engine; returns why it ended."""
    step_stop = threading.Event()
    detector = SaturationDetector(spec.saturation) if spec.saturation and step.name != WARMUP_STEP else None
    started = time.perf_counter()
    mine: list[RunRecord] = []
    ended: list[str] = []

    def take(record: RunRecord) -> None:
        record.notes.append(STEP_NOTE + step.name)
        records.append(record)
        mine.append(record)
        limits.count(record)
        if detector is not None and record.status == "ok" and record.ttft_ms is not None:
            detector.add_ttft(time.perf_counter() - started, record.ttft_ms)
        if on_record is not None:
            on_record(record)

    def tick(state: engine.EngineState) -> None:
        now = time.perf_counter() - started
        if limits.cancel.is_set():
            limits.stop(CANCELLED)
        if detector is not None:
            detector.add_in_flight(now, state.in_flight)
            verdict = detector.verdict(now)
            if verdict is not None:
                limits.stop(verdict)
        if spec.duration_s is not None and now >= spec.duration_s and step.name != WARMUP_STEP and not ended:
            ended.append(f"duration limit of {spec.duration_s:g} s (streams in flight were cancelled)")
            step_stop.set()
        if limits.halt.is_set():
            step_stop.set()
        report(step, state, mine)

    engine.run_requests(step.requests, processes=spec.processes, concurrency=step.concurrency,
                        schedule=step.schedule, on_record=take, cancel=step_stop, client=client, on_tick=tick,
                        tick_s=tick_s)
    if limits.halt.is_set():
        return limits.reason or CANCELLED
    return ended[0] if ended else f"all {len(step.requests)} requests ran"


def run_benchmark(spec: BenchmarkSpec, *, on_progress: Callable[[Progress], None] | None = None,
                  cancel: threading.Event | None = None, on_record: Callable[[RunRecord], None] | None = None,
                  client: Any = None, tick_s: float = TICK_S) -> BenchmarkResult:
    """Run the benchmark's steps; `on_progress` is called on this thread, at the start, every `tick_s` and at the end.

    Setting `cancel` stops it: runs not started are dropped, streams in flight close at once and are
    recorded as cancelled, finished runs are kept. An exception raised by `on_progress` (a Streamlit
    rerun, Ctrl-C) cancels the same way and propagates. `on_record` receives each record on this thread
    as it ends, with its step's note (History.record_run is safe to pass). With `processes` above 1 the
    caller's main module must be import-safe (an `if __name__ == "__main__":` guard): workers are spawned.
    """
    steps = plan_steps(spec)
    total = sum(len(step.requests) for step in steps)
    cancel = cancel or threading.Event()
    if client is None and spec.processes == 1:
        client = _client(spec.backend, spec.region, spec.profile, max(10, max(s.concurrency for s in steps)),
                         spec.max_attempts, spec.read_timeout_s)
    records: list[RunRecord] = []
    limits = _Limits(spec, cancel)
    started = time.perf_counter()
    multi_step = len(steps) > 1 or spec.pattern is not None

    def report(step: PlannedStep | None, state: engine.EngineState | None, mine: Sequence[RunRecord]) -> None:
        if on_progress is None:
            return
        elapsed = time.perf_counter() - started
        done = len(records)
        remaining = elapsed / done * (total - done) if done else None
        ok = [r for r in mine if r.status == "ok"]
        on_progress(Progress(
            done, total, limits.errors, elapsed, remaining, step.name if step and multi_step else None,
            state.in_flight if state else 0,
            metrics.percentile([r.ttft_ms for r in ok if r.ttft_ms is not None], 0.5),
            metrics.percentile([r.e2e_ms for r in ok if r.e2e_ms is not None], 0.5)))

    step_ends: dict[str, str] = {}
    try:
        report(steps[0], None, [])
        for step in steps:
            if limits.halt.is_set() or cancel.is_set():
                limits.stop(limits.reason or CANCELLED)
                break
            step_ends[step.name] = _run_step(step, spec, limits, client, tick_s, records, report, on_record)
    except BaseException:
        cancel.set()
        raise
    reason = limits.reason or (FINISHED if all(why.startswith("all ") for why in step_ends.values()) else
                               "finished: a step ended at its duration limit")
    result = BenchmarkResult(spec.benchmark_id, records, total, cancel.is_set(), time.perf_counter() - started,
                             notes(spec), reason, step_ends, spec.slos)
    report(None, None, [])
    return result


class BenchmarkJob:
    """A benchmark on a background thread, for a page that polls it: `progress` is always the latest
    figure, `result` is set once it ends (also after a cancel), `failure` if it could not run at all."""

    def __init__(self, spec: BenchmarkSpec, *, on_record: Callable[[RunRecord], None] | None = None) -> None:
        self.spec = spec
        self.total = len(plan(spec))
        self.notes = notes(spec)
        self.progress = Progress(0, self.total, 0, 0.0, None)
        self.result: BenchmarkResult | None = None
        self.failure: str | None = None
        self._on_record = on_record
        self._cancel = threading.Event()
        self._thread = threading.Thread(target=self._work, name=f"benchmark-{spec.benchmark_id[:8]}", daemon=True)

    def start(self) -> BenchmarkJob:
        self._thread.start()
        return self

    def _work(self) -> None:
        try:
            self.result = run_benchmark(self.spec, on_progress=self._update, cancel=self._cancel,
                                        on_record=self._on_record)
        except Exception as problem:  # noqa: BLE001 - reported to the page, which keeps working
            self.failure = str(problem)

    def _update(self, progress: Progress) -> None:
        self.progress = progress

    def cancel(self) -> None:
        """Stop: runs not started are dropped, streams in flight close, finished runs are kept."""
        self._cancel.set()

    @property
    def cancelling(self) -> bool:
        return self._cancel.is_set() and self.running

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def wait(self, timeout_s: float | None = None) -> bool:
        """Block until the benchmark ends (or the timeout passes); True if it has ended."""
        self._thread.join(timeout_s)
        return not self._thread.is_alive()




def quick_spec(current_model_id: str | None, available: Sequence[str], *, backend: str, region: str | None = None,
               profile: str | None = None, api: Api = "invoke", session_id: str | None = None) -> BenchmarkSpec:
    """A benchmark that fills the Monitor in seconds: short prompts, 10 runs per model, streamed and sync,
    through InvokeModel (its streams report the server's first byte, which one chart compares with TTFT).

    On the emulator it takes the current model and two of the model table's benchmark defaults from other
    providers; on AWS
    only the current model (every request is billed, and access is granted model by model).
    """
    models = [current_model_id] if current_model_id else []
    if backend == "emulator" or not models:
        vendors = {providers.provider_name(m) for m in models}
        offered = {catalog.base_model_id(m): m for m in available}  # the ids the picker calls them by
        for model_id in catalog.default_model_ids("bench"):
            if len(models) >= 3:
                break
            if model_id in offered and providers.provider_name(model_id) not in vendors:
                models.append(offered[model_id])
                vendors.add(providers.provider_name(model_id))
    short = PROMPT_SETS["short"]
    return BenchmarkSpec(tuple(models), short.prompts, short.max_tokens, runs_per_model=10, concurrency=4,
                         modes=("stream", "sync"), api=api, backend=backend, region=region, profile=profile,
                         session_id=session_id)


def model_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Per model: runs, ok, errors, throttled, cancelled and the estimated cost, for the summary table."""
    from .analytics import cost_by_model, error_rates

    rates = error_rates(frame)
    costs = cost_by_model(frame)
    table = rates[["errors", "throttled", "cancelled"]].assign(
        runs=frame.groupby("model_id").size(), ok=frame[frame["status"] == "ok"].groupby("model_id").size())
    table["ok"] = table["ok"].fillna(0).astype("int64")
    table["cost_usd"] = costs["total_usd"]
    return table[["runs", "ok", "errors", "throttled", "cancelled", "cost_usd"]]


def format_summary(frame: pd.DataFrame) -> str:
    """The per-model summary `python -m core bench` prints: runs and outcomes, then n and percentiles."""
    import pandas as pd

    from .analytics import DASH, PERCENTILES, format_percentile_table, percentile_table

    if frame.empty:
        return "No run finished."
    outcome = model_summary(frame)
    outcome_rows = [[str(model_id), str(row.runs), str(row.ok), str(row.errors), str(row.throttled),
                     str(row.cancelled), DASH if pd.isna(row.cost_usd) else f"${row.cost_usd:.6f}"]
                    for model_id, row in zip(outcome.index, outcome.itertuples(index=False), strict=True)]
    first = text_table(["model", "runs", "ok", "errors", "throttled", "cancelled", "cost (estimate)"], outcome_rows)
    table = format_percentile_table(percentile_table(frame))
    labels = [f"p{p * 100:g}" for p in PERCENTILES]
    percentile_rows = [[str(row["Model"]), str(row["Metric"]), str(row["n"]), *(str(row[p]) for p in labels)]
                       for row in table.to_dict(orient="records")]
    second = text_table(["model", "metric", "n", *labels], percentile_rows, left=2) if percentile_rows else \
        "No run finished ok: no percentiles."
    return (f"{first}\n\nCosts are estimates from on-demand list prices of {catalog.PRICE_TABLE_DATE}.\n\n{second}\n"
            f"A percentile p needs at least 1/(1-p) runs (p90: 10, p99: 100); {DASH} means too few. "
            "TTFT, decode rate and TPOT: streams that finished ok; E2E: every run that finished ok.")


# -- the report ------------------------------------------------------------------------------------------------------


def report_folder() -> Path:
    """Where benchmark reports go by default: `reports` beside the history file (the user's data folder, unless
    BEDROCK_LAB_HISTORY names another file; with a database server, the user's data folder)."""
    from .history import default_path

    return default_path().parent / "reports"


def spec_summary(spec: BenchmarkSpec, *, load: str | None = None, planned: int | None = None) -> dict[str, str]:
    """What was run, in the user's words, for the report's header (label -> value, in order)."""
    prompts = f"{len(spec.replay)} replayed prompts" if spec.replay else f"{len(spec.prompts)} prompts"
    planned = planned if planned is not None else len(plan(spec))
    return {
        "Benchmark id": spec.benchmark_id,
        "Models": ", ".join(spec.model_ids),
        "Load": load or (patterns.describe(spec.load) + (f" over {spec.processes} processes"
                                                        if spec.processes > 1 else "")),
        "Requests planned": f"{planned:,}" + (f" (the first {spec.warmup_requests} a warm-up)"
                                             if spec.warmup_requests else ""),
        "Prompts": f"{prompts}, max {spec.max_tokens} tokens" + (", cache-buster on" if spec.cache_buster else ""),
        "API and mode": f"{API_NAMES.get(spec.api, spec.api)}, {'/'.join(spec.modes)}",
    }


def write_report(result: BenchmarkResult, spec: BenchmarkSpec, folder: Path | None = None) -> Any:
    """The benchmark's shareable report (HTML, CSV and JSON of every request) in `folder` (default
    `report_folder()`); `core.load_report.ReportFiles`, or ReportError when it cannot be written."""
    from .load_report import write_report as write

    return write(result.records, spec_summary=spec_summary(spec, planned=result.total),
                 folder=folder or report_folder(), slos=result.slos, stop_reason=result.stop_reason)

