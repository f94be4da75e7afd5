"""Every finished run as OpenTelemetry GenAI telemetry over OTLP/HTTP: one span and four histograms per record.

    >>> enable("http://127.0.0.1:4318")     # or export OTEL_EXPORTER_OTLP_ENDPOINT before starting
    >>> export_run(run.record)              # core.streaming does this once per finished run
    >>> status().spans_exported             # for the sidebar: what went out, what was dropped, what is wrong

Opt-in: nothing is configured, imported or sent until `enable()` is called or one of the standard variables
`OTEL_EXPORTER_OTLP_ENDPOINT` / `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set (`OTEL_SDK_DISABLED=true` wins).
Importing this module costs only the standard library: the CLI and the emulator import core, and the SDK
(about 0.2 s to import and set up) is loaded the first time export is on. The providers are the module's own, never the
global ones, so `disable()` and a later `enable()` work at run time beside any other instrumentation.

The span is made after the fact from the record (start = `started_utc`, end = start + `e2e_ms`) and follows the
GenAI semantic conventions (gen-ai-spans.md, aws-bedrock.md and gen-ai-metrics.md of the
open-telemetry/semantic-conventions-genai repository):

    span "chat {gen_ai.request.model}", kind CLIENT
    gen_ai.operation.name "chat"; gen_ai.provider.name "aws.bedrock"; gen_ai.request.model; gen_ai.request.stream
    gen_ai.request.max_tokens / temperature / top_p / stop_sequences; gen_ai.response.finish_reasons
    gen_ai.response.time_to_first_chunk (s, streams only: the first event of any kind, as the conventions define it)
    gen_ai.usage.input_tokens (all input, cached included) / output_tokens / cache_read.input_tokens /
    cache_creation.input_tokens / reasoning.output_tokens (only counts Bedrock reported: the conventions say an
    estimate MUST NOT be reported as usage, so an estimate goes to bedrock_lab.estimated.*)
    gen_ai.conversation.id; server.address / server.port; error.type and status ERROR for a failed run
    opt-in content: gen_ai.system_instructions, gen_ai.input.messages, gen_ai.output.messages (JSON strings)
    bedrock_lab.*: the lab's own figures (first answer token, first event, reasoning, decode rate, TPOT,
    server-side timing, tier and latency mode asked and served, who ran it and where, cost)

A cancelled run (the user pressed Stop) is exported too, with status UNSET and no error.type: the recording-errors
convention leaves the status unset when nothing failed, and a user's Stop is no failure of Bedrock's, so error
rates stay honest. It is told apart by `bedrock_lab.status = "cancelled"` on the span and on every metric point,
and, with content on, by the output message's finish_reason "cancelled".

Export never slows or breaks a run: `export_run` only hands a copy of the record to the pipeline's own thread
(tens of microseconds at most: bench/telemetry_overhead.py), which builds the span and the metric points; spans go to a
batch processor whose queue is bounded (`OTEL_BSP_MAX_QUEUE_SIZE`, default 2048; a span that finds it full is
dropped and counted), metrics are aggregated in memory and sent by a periodic reader, each on its own thread. A
collector that is down, refuses or hangs shows in `status()` as a sentence, never as an exception to the caller.
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import copy
import itertools
import json
import logging
import math
import os
import socket
import threading
import urllib.parse
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .types import Message, RunRecord

if TYPE_CHECKING:
    from opentelemetry.metrics import Histogram
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.trace import Tracer

ENDPOINT_VARIABLE = "OTEL_EXPORTER_OTLP_ENDPOINT"
TRACES_ENDPOINT_VARIABLE = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
METRICS_ENDPOINT_VARIABLE = "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"
CAPTURE_VARIABLE = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
SDK_DISABLED_VARIABLE = "OTEL_SDK_DISABLED"
QUEUE_VARIABLE = "OTEL_BSP_MAX_QUEUE_SIZE"
BATCH_VARIABLE = "OTEL_BSP_MAX_EXPORT_BATCH_SIZE"
METRIC_INTERVAL_VARIABLE = "OTEL_METRIC_EXPORT_INTERVAL"
TIMEOUT_VARIABLE = "OTEL_EXPORTER_OTLP_TIMEOUT"  # seconds, as the Python exporter reads it
TRACES_TIMEOUT_VARIABLE = "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT"
DEFAULT_TIMEOUT_S = 10.0  # the exporter's own default, for one export with its retries
DEFAULT_QUEUE_SIZE = 2048  # the SDK's own defaults
DEFAULT_BATCH_SIZE = 512
WORKER_BACKLOG = 10_000  # runs waiting for the export thread (it only builds spans and points: it never waits)
DEFAULT_METRIC_INTERVAL_MS = 10_000  # the SDK's 60 s is long for a lab whose runs are looked at right away
EXIT_FLUSH_S = 3.0  # how long a process that ends waits for its last spans (a CLI `ask` exits right after its run)
SERVICE_NAME = "bedrock-streaming-lab"  # unless OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES names the service
SCOPE_NAME = "bedrock_lab"
PROVIDER_NAME = "aws.bedrock"  # gen_ai.provider.name, as aws-bedrock.md requires
OPERATION_NAME = "chat"
# Explicit bucket boundaries the conventions give (gen-ai-metrics.md): seconds, and tokens.
DURATION_BUCKETS_S = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92)
TOKEN_BUCKETS = (1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864)
# Values that turn content capture on; the instrumentations' newer SPAN_ONLY / SPAN_AND_EVENT count too (content
# goes on the span, the one signal exported here).
_CAPTURE_ON = frozenset({"true", "1", "yes", "span_only", "span_and_event"})
# The families' stop reasons in the output-message schema's FinishReason terms (others are kept as they are).
_FINISH_REASONS = {
    "end_turn": "stop", "stop": "stop", "stop_sequence": "stop", "complete": "stop", "finish": "stop",
    "eos_token": "stop", "max_tokens": "length", "length": "length", "max_length": "length",
    "content_filtered": "content_filter", "content_filter": "content_filter", "guardrail_intervened": "content_filter",
    "tool_use": "tool_call", "tool_calls": "tool_call",
}
# The exporter's loggers: what they say during a failed export becomes the status sentence.
_EXPORTER_LOGGER = "opentelemetry.exporter.otlp"

AttributeValue = str | bool | int | float | Sequence[str]


class TelemetryEndpointError(ValueError):
    """The endpoint given to `enable` is not an http(s) URL; the message is displayed to the user."""


@dataclass(frozen=True)
class TelemetryStatus:
    """What the sidebar shows: whether runs are exported, where, how many spans went out or were lost, and why.

    `problem` is what is wrong now, as a sentence (None once an export succeeds again).
    """

    enabled: bool
    endpoint: str | None = None  # where the spans go (the traces URL)
    spans_exported: int = 0
    spans_dropped: int = 0  # the queue was full, or the collector refused them or could not be reached
    problem: str | None = None
    capture_content: bool = False


# -- what a record becomes (pure: no SDK, no I/O) ------------------------------------------------------------------


def span_name(record: RunRecord) -> str:
    """`{gen_ai.operation.name} {gen_ai.request.model}`, as gen-ai-spans.md names inference spans."""
    return f"{OPERATION_NAME} {record.model_id}"


def server_of(record: RunRecord, server_url: str | None = None) -> tuple[str, int] | None:
    """The Bedrock Runtime host and port the run talked to, where known.

    `server_url` (the client's endpoint URL) wins; otherwise the aws backend's endpoint: the standard variables'
    override, else the region's public endpoint. An emulator run without `server_url` has none known.
    """
    url = server_url
    if url is None and record.backend == "aws":
        url = os.environ.get("AWS_ENDPOINT_URL_BEDROCK_RUNTIME") or os.environ.get("AWS_ENDPOINT_URL")
        if url is None and record.region:
            return f"bedrock-runtime.{record.region}.amazonaws.com", 443
    if not url:
        return None
    parts = urllib.parse.urlsplit(url)
    if not parts.hostname:
        return None
    try:
        port = parts.port
    except ValueError:
        port = None
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


def finish_reason(record: RunRecord) -> str:
    """The output message's finish_reason: the schema's terms where they apply, "error" or "cancelled" otherwise."""
    if record.status == "error":
        return "error"
    if record.status == "cancelled":
        return "cancelled"
    reason = record.stop_reason or ""
    return _FINISH_REASONS.get(reason.lower(), reason or "stop")


def span_attributes(record: RunRecord, *, capture_content: bool = False, messages: Sequence[Message] = (),
                    server_url: str | None = None) -> dict[str, AttributeValue]:
    """The span's attributes for a finished record; an attribute is set only when its value is known."""
    found: dict[str, AttributeValue] = {
        "gen_ai.operation.name": OPERATION_NAME,
        "gen_ai.provider.name": PROVIDER_NAME,
        "gen_ai.request.model": record.model_id,
    }
    server = server_of(record, server_url)
    if server is not None:
        found["server.address"], found["server.port"] = server
    if record.mode == "stream":
        found["gen_ai.request.stream"] = True  # conditionally required: "if and only if the request is streaming"
    if record.status == "error":
        found["error.type"] = record.error_code or "_OTHER"

    def put(name: str, value: object) -> None:
        if value is None or value == "" or value == []:
            return
        if isinstance(value, float) and not math.isfinite(value):
            return
        if isinstance(value, list):
            found[name] = [str(item) for item in value]
        elif isinstance(value, bool | int | float | str):
            found[name] = value
        else:
            found[name] = str(value)

    put("gen_ai.request.max_tokens", record.max_tokens)
    put("gen_ai.request.temperature", record.temperature)
    put("gen_ai.request.top_p", record.top_p)
    put("gen_ai.request.stop_sequences", list(record.stop_sequences))
    put("gen_ai.response.finish_reasons", [record.stop_reason] if record.stop_reason else None)
    put("gen_ai.conversation.id", record.conversation_id)
    if record.mode == "stream":
        put("gen_ai.response.time_to_first_chunk", _seconds(record.first_event_ms))
    if record.tokens_source == "reported":
        put("gen_ai.usage.input_tokens", record.input_tokens)
        put("gen_ai.usage.output_tokens", record.output_tokens)
        put("gen_ai.usage.cache_read.input_tokens", record.cache_read_tokens)
        put("gen_ai.usage.cache_creation.input_tokens", record.cache_write_tokens)
        put("gen_ai.usage.reasoning.output_tokens", record.reasoning_tokens)
    elif record.tokens_source == "estimated":
        put("bedrock_lab.estimated.input_tokens", record.input_tokens)
        put("bedrock_lab.estimated.output_tokens", record.output_tokens)
    for name, value in (
        ("run_id", record.run_id), ("status", record.status), ("api", record.api), ("mode", record.mode),
        ("backend", record.backend), ("region", record.region), ("model_provider", record.provider),
        ("ttft_ms", record.ttft_ms), ("first_event_ms", record.first_event_ms),
        ("first_reasoning_ms", record.first_reasoning_ms), ("reasoning_ms", record.reasoning_ms),
        ("e2e_ms", record.e2e_ms), ("tokens_per_s", record.tokens_per_s), ("tpot_ms", record.tpot_ms),
        ("server_first_byte_ms", record.server_first_byte_ms), ("server_latency_ms", record.server_latency_ms),
        ("chunk_gap_count", record.gap_count or None), ("chunk_gap_p50_ms", record.gap_p50_ms),
        ("chunk_gap_p90_ms", record.gap_p90_ms), ("chunk_gap_max_ms", record.gap_max_ms),
        ("tokens_source", record.tokens_source), ("attempts", record.attempts),
        ("request.service_tier", record.service_tier), ("response.service_tier", record.service_tier_served),
        ("request.latency_mode", record.latency), ("response.latency_mode", record.latency_served),
        ("effort", record.effort), ("reasoning_shown", record.reasoning_shown), ("cache_ttl", record.cache_ttl),
        ("session_id", record.session_id), ("compare_group", record.compare_group),
        ("benchmark_id", record.benchmark_id), ("user_name", record.user_name),
        ("host", record.host), ("cost_usd", record.cost_usd),
    ):
        put(f"bedrock_lab.{name}", value)
    if capture_content:
        found.update(content_attributes(record, messages))
    return found


def content_attributes(record: RunRecord, messages: Sequence[Message] = ()) -> dict[str, str]:
    """The prompt, system prompt and answer as the conventions' opt-in attributes: JSON strings on the span,
    in the input/output messages and system instructions schemas (structured values are not yet on spans)."""
    found: dict[str, str] = {}
    if record.system:
        found["gen_ai.system_instructions"] = _json([{"type": "text", "content": record.system}])
    if messages:
        found["gen_ai.input.messages"] = _json([{"role": m.role, "parts": [{"type": "text", "content": m.text}]}
                                                for m in messages])
    parts = []
    if record.reasoning_text:
        parts.append({"type": "reasoning", "content": record.reasoning_text})
    if record.text:
        parts.append({"type": "text", "content": record.text})
    if parts:
        found["gen_ai.output.messages"] = _json([{"role": "assistant", "parts": parts,
                                                  "finish_reason": finish_reason(record)}])
    return found


def metric_attributes(record: RunRecord, server_url: str | None = None) -> dict[str, str | int]:
    """The attributes every metric point of the run carries: the conventions' own, plus the lab's status and
    backend (an emulated run must never be averaged with real Bedrock by accident)."""
    found: dict[str, str | int] = {
        "gen_ai.operation.name": OPERATION_NAME,
        "gen_ai.provider.name": PROVIDER_NAME,
        "gen_ai.request.model": record.model_id,
        "bedrock_lab.status": record.status,
        "bedrock_lab.backend": record.backend,
    }
    server = server_of(record, server_url)
    if server is not None:
        found["server.address"], found["server.port"] = server
    return found


def _seconds(value_ms: float | None) -> float | None:
    return None if value_ms is None or not math.isfinite(value_ms) else value_ms / 1000


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def _start_ns(record: RunRecord) -> int | None:
    try:
        return int(datetime.fromisoformat(record.started_utc).timestamp() * 1_000_000_000)
    except (TypeError, ValueError):
        return None


def _capture_wanted() -> bool:
    return os.environ.get(CAPTURE_VARIABLE, "").strip().lower() in _CAPTURE_ON


def _timeout_s() -> float:
    for name in (TRACES_TIMEOUT_VARIABLE, TIMEOUT_VARIABLE):
        with contextlib.suppress(ValueError):
            value = float(os.environ.get(name, "") or "nan")
            if math.isfinite(value) and value > 0:
                return value
    return DEFAULT_TIMEOUT_S


def _url_from_environment(variable: str, signal: str) -> str:
    """Where the SDK sends a signal when the variables alone say it (the signal's own URL wins over the base one)."""
    own = os.environ.get(variable, "").strip()
    return own or os.environ.get(ENDPOINT_VARIABLE, "").strip().rstrip("/") + f"/v1/{signal}"


def _int_variable(name: str, default: int) -> int:
    try:
        value = int(os.environ.get(name, "") or default)
    except ValueError:
        return default
    return value if value > 0 else default


# -- the export pipeline (the SDK, imported only when export is on) ------------------------------------------------


class _LogCapture(logging.Handler):
    """Keeps what the exporter logs on the thread that is exporting, to say in `status()` why an export failed."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self._local = threading.local()

    def emit(self, record: logging.LogRecord) -> None:
        kept: list[str] | None = getattr(self._local, "kept", None)
        if kept is not None:
            with contextlib.suppress(Exception):
                kept.append(record.getMessage())

    @contextlib.contextmanager
    def capture(self) -> Iterator[list[str]]:
        kept: list[str] = []
        self._local.kept = kept
        try:
            yield kept
        finally:
            self._local.kept = None


_LOGS = _LogCapture()


def _diagnose(url: str, said: Sequence[str], timeout_s: float) -> str:
    """Why an export to `url` failed, in a few words: a connection attempt of our own says whether anything
    listens there; what the exporter logged says how it answered."""
    parts = urllib.parse.urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        socket.create_connection((parts.hostname or "", port), timeout=min(2.0, timeout_s)).close()
    except ConnectionRefusedError:
        return "nothing answers there (connection refused)"
    except socket.gaierror:
        return "its host name is not known"
    except TimeoutError:
        return "it cannot be reached (the connection timed out)"
    except (OSError, ValueError) as problem:
        return f"it cannot be reached ({getattr(problem, 'strerror', None) or problem})"
    for line in said:
        if "batch code:" in line:
            code = line.split("batch code:", 1)[1].split(",", 1)[0].strip()
            if code.isdigit():
                return f"it answered HTTP {code}"
    for line in said:
        if line.startswith("Transient error ") and " encountered" in line:
            return f"it kept answering {line.removeprefix('Transient error ').split(' encountered', 1)[0]!r}"
    if any("timeout" in line.lower() or "timed out" in line.lower() for line in said):
        return f"it took the connection but did not answer within {timeout_s:g} s"
    return said[-1] if said else "the export failed"


@dataclass(frozen=True)
class _Item:
    """One finished run waiting for the export thread (the record is a copy: the caller's may still change)."""

    record: RunRecord
    messages: tuple[Message, ...]
    chunk_arrivals_s: tuple[float, ...] | None
    server_url: str | None
    parent: Any = None  # the caller's OpenTelemetry context: a run exported inside a traced request is its child


class _Pipeline:
    """One configuration of the SDK: a tracer and meter provider with OTLP/HTTP exporters, and the counts."""

    def __init__(self, traces_url: str | None, metrics_url: str | None, *, capture_content: bool,
                 send_metrics: bool) -> None:
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import MetricExportResult, PeriodicExportingMetricReader
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExportResult

        self.capture_content = capture_content
        self.max_queue = _int_variable(QUEUE_VARIABLE, DEFAULT_QUEUE_SIZE)
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._inbox: collections.deque[tuple[_Item, bool]] = collections.deque()
        self._busy = self._closed = False
        self.submitted = self.exported = self.failed = self.refused = 0  # refused: found the queue full
        self.problem: str | None = None
        pipeline = self

        class CountingSpanExporter(OTLPSpanExporter):
            """The OTLP/HTTP exporter, counting what went out and keeping why a batch did not."""

            def export(self, spans: Any) -> SpanExportResult:
                with _LOGS.capture() as said:
                    try:
                        result = super().export(spans)
                    except Exception as problem:  # noqa: BLE001 - a failed export is counted, never raised
                        said.append(str(problem))
                        result = SpanExportResult.FAILURE
                pipeline._spans_done(len(spans), result == SpanExportResult.SUCCESS, said)
                return result

        class CountingMetricExporter(OTLPMetricExporter):
            """The OTLP/HTTP metric exporter, keeping why an export did not go out."""

            def export(self, metrics_data: Any, timeout_millis: float | None = 10_000,
                       **kwargs: Any) -> MetricExportResult:
                with _LOGS.capture() as said:
                    try:
                        result = super().export(metrics_data, timeout_millis, **kwargs)
                    except Exception as problem:  # noqa: BLE001 - a failed export is counted, never raised
                        said.append(str(problem))
                        result = MetricExportResult.FAILURE
                if result != MetricExportResult.SUCCESS:
                    pipeline._problem_with(pipeline.metrics_endpoint, said)
                return result

        resource = Resource.create()
        if str(resource.attributes.get("service.name", "")).startswith("unknown_service"):
            resource = resource.merge(Resource({"service.name": SERVICE_NAME}))
        self.timeout_s = _timeout_s()
        self.endpoint = traces_url or _url_from_environment(TRACES_ENDPOINT_VARIABLE, "traces")
        self.metrics_endpoint = metrics_url or _url_from_environment(METRICS_ENDPOINT_VARIABLE, "metrics")
        spans = CountingSpanExporter(endpoint=traces_url, timeout=self.timeout_s)
        self.tracer_provider: TracerProvider = TracerProvider(resource=resource, shutdown_on_exit=False)
        batch = min(_int_variable(BATCH_VARIABLE, DEFAULT_BATCH_SIZE), self.max_queue)  # the SDK refuses a larger one
        self.tracer_provider.add_span_processor(BatchSpanProcessor(spans, max_queue_size=self.max_queue,
                                                                   max_export_batch_size=batch))
        self.tracer: Tracer = self.tracer_provider.get_tracer(SCOPE_NAME)
        readers = []
        if send_metrics:
            interval_ms = None if os.environ.get(METRIC_INTERVAL_VARIABLE) else DEFAULT_METRIC_INTERVAL_MS
            exporter = CountingMetricExporter(endpoint=metrics_url, timeout=self.timeout_s)
            readers.append(PeriodicExportingMetricReader(exporter, export_interval_millis=interval_ms))
        self.meter_provider: MeterProvider = MeterProvider(resource=resource, metric_readers=readers,
                                                           shutdown_on_exit=False)
        meter = self.meter_provider.get_meter(SCOPE_NAME)
        self.duration: Histogram = meter.create_histogram(
            "gen_ai.client.operation.duration", unit="s", description="GenAI operation duration.",
            explicit_bucket_boundaries_advisory=DURATION_BUCKETS_S)
        self.tokens: Histogram = meter.create_histogram(
            "gen_ai.client.token.usage", unit="{token}", description="Number of input and output tokens used.",
            explicit_bucket_boundaries_advisory=TOKEN_BUCKETS)
        self.first_chunk: Histogram = meter.create_histogram(
            "gen_ai.client.operation.time_to_first_chunk", unit="s",
            description="Time to receive the first chunk of the response stream.",
            explicit_bucket_boundaries_advisory=DURATION_BUCKETS_S)
        self.per_chunk: Histogram = meter.create_histogram(
            "gen_ai.client.operation.time_per_output_chunk", unit="s",
            description="Time per output chunk, for each chunk after the first.",
            explicit_bucket_boundaries_advisory=DURATION_BUCKETS_S)
        self._worker = threading.Thread(target=self._work, name="telemetry-export", daemon=True)
        self._worker.start()

    # -- counts, from the exporter's thread --

    def _spans_done(self, count: int, ok: bool, said: Sequence[str]) -> None:
        with self._lock:
            if ok:
                self.exported += count
                self.problem = None
            else:
                self.failed += count
        if not ok:
            self._problem_with(self.endpoint, said)

    def _problem_with(self, url: str, said: Sequence[str]) -> None:
        """Runs on the exporter's thread, so the connection attempt of `_diagnose` holds up no run."""
        why = _diagnose(url, said, self.timeout_s)
        with self._lock:
            self.problem = (f"Telemetry could not be sent to {url}: {why}. The runs are not affected; "
                            f"{self.failed + self.refused} spans were dropped so far.")

    def status(self) -> TelemetryStatus:
        with self._lock:
            return TelemetryStatus(True, self.endpoint, self.exported, self.failed + self.refused, self.problem,
                                   self.capture_content)

    # -- one run --

    def offer(self, item: _Item) -> None:
        """Take a run for the worker: O(1) on the caller's thread, which the SDK's work never holds up."""
        from opentelemetry import context

        item = replace(item, parent=context.get_current())
        with self._wake:
            if len(self._inbox) >= WORKER_BACKLOG:  # the worker itself is behind (it never waits on the network)
                self.refused += 1
                self.problem = f"Runs end faster than they can be exported: {self.refused + self.failed} dropped."
                return
            # Spans accepted but not yet exported or failed: the inbox and the processor's queue together hold at
            # most these, so a span turned away here is one the SDK would have had to drop (the count is exact).
            # Its metric points are still recorded: they are aggregated in memory, however the collector is.
            with_span = self.submitted - self.exported - self.failed < self.max_queue
            if with_span:
                self.submitted += 1
            else:
                self.refused += 1
                self.problem = (f"The collector at {self.endpoint} is not keeping up: the export queue "
                                f"({self.max_queue} spans) is full and {self.refused + self.failed} spans were "
                                "dropped so far. The runs are not affected.")
            self._inbox.append((item, with_span))
            self._wake.notify()

    def _work(self) -> None:
        """The pipeline's own thread: turns each offered run into its span and metric points."""
        while True:
            with self._wake:
                while not self._inbox and not self._closed:
                    self._wake.wait()
                if not self._inbox:
                    return
                item, with_span = self._inbox.popleft()
                self._busy = True
            span_done = not with_span
            try:
                if with_span:
                    self._emit_span(item)
                    span_done = True
                self._measure(item)
            except Exception as problem:  # noqa: BLE001 - one bad record must not stop the export of the others
                with self._lock:
                    self.problem = f"A run could not be exported ({type(problem).__name__}: {problem})."
            finally:
                with self._wake:
                    if not span_done:
                        self.failed += 1  # it never reached the processor: no longer pending
                    self._busy = False
                    self._wake.notify_all()

    def _emit_span(self, item: _Item) -> None:
        from opentelemetry.trace import SpanKind, Status, StatusCode

        record = item.record
        start_ns = _start_ns(record)
        attributes = span_attributes(record, capture_content=self.capture_content, messages=item.messages,
                                     server_url=item.server_url)
        span = self.tracer.start_span(span_name(record), context=item.parent, kind=SpanKind.CLIENT,
                                      attributes=attributes, start_time=start_ns)
        if record.status == "error":
            span.set_status(Status(StatusCode.ERROR, record.error_message or record.error_code or None))
        span.end(end_time=None if start_ns is None else start_ns + int((record.e2e_ms or 0.0) * 1_000_000))

    def _measure(self, item: _Item) -> None:
        record = item.record
        common = metric_attributes(record, item.server_url)
        duration_s = _seconds(record.e2e_ms)
        if duration_s is not None:
            with_error = {**common, "error.type": record.error_code or "_OTHER"} if record.status == "error" \
                else common
            self.duration.record(duration_s, with_error)
        if record.tokens_source == "reported":  # the conventions: an estimate MUST NOT be reported as usage
            for kind, count in (("input", record.input_tokens), ("output", record.output_tokens)):
                if count is not None:
                    self.tokens.record(count, {**common, "gen_ai.token.type": kind})
        if record.mode != "stream":  # both chunk metrics: "SHOULD NOT be reported" for calls that do not stream
            return
        first_s = _seconds(record.first_event_ms)
        if first_s is not None:
            self.first_chunk.record(first_s, common)
        for earlier, later in itertools.pairwise(item.chunk_arrivals_s or ()):  # the gaps, derived here, off the run
            if later >= earlier:
                self.per_chunk.record(later - earlier, common)

    def flush(self) -> bool:
        """Wait for the worker to have handed every offered run to the SDK, then have the SDK send it all."""
        with self._wake:
            self._wake.wait_for(lambda: not self._inbox and not self._busy)
        spans = self.tracer_provider.force_flush()
        metrics = self.meter_provider.force_flush()
        return bool(spans and metrics)

    def shutdown(self) -> None:
        with self._wake:
            self._closed = True
            self._wake.notify_all()
        self._worker.join()
        with contextlib.suppress(Exception):
            self.tracer_provider.shutdown()
        with contextlib.suppress(Exception):
            self.meter_provider.shutdown()


# -- the process's switch ------------------------------------------------------------------------------------------


@dataclass
class _State:
    pipeline: _Pipeline | None = None
    decided: bool = False  # the environment has been read (or enable / disable said otherwise)
    problem: str | None = None  # why export is off although it was asked for


_lock = threading.Lock()
_state = _State()
_exit_hook = False


def _build(traces_url: str | None, metrics_url: str | None, *, capture_content: bool,
           send_metrics: bool) -> _Pipeline:
    global _exit_hook
    logging.getLogger(_EXPORTER_LOGGER).addHandler(_LOGS)
    pipeline = _Pipeline(traces_url, metrics_url, capture_content=capture_content, send_metrics=send_metrics)
    if not _exit_hook:
        atexit.register(_at_exit)
        _exit_hook = True
    return pipeline


def _in_background(work: Any, wait_s: float) -> bool:
    """Run `work` on a daemon thread and wait at most `wait_s` for it (a hung collector holds the SDK's flush)."""
    outcome: list[bool] = []
    worker = threading.Thread(target=lambda: outcome.append(bool(work())), name="telemetry-flush", daemon=True)
    worker.start()
    worker.join(wait_s)
    return bool(outcome and outcome[0])


def _retire(pipeline: _Pipeline | None, wait_s: float = 0.0) -> None:
    """Shut an old pipeline down on its own thread: its last spans still go out, waited for at most `wait_s`."""
    if pipeline is not None:
        worker = threading.Thread(target=pipeline.shutdown, name="telemetry-shutdown", daemon=True)
        worker.start()
        worker.join(wait_s)


def _at_exit() -> None:
    with _lock:
        pipeline = _state.pipeline
    if pipeline is not None:
        _in_background(pipeline.flush, EXIT_FLUSH_S)


def _current() -> _Pipeline | None:
    """The pipeline in use, reading the standard variables on first use."""
    with _lock:
        if not _state.decided:
            _configure_from_environment_locked()
        return _state.pipeline


def _configure_from_environment_locked() -> None:
    old, _state.pipeline, _state.problem, _state.decided = _state.pipeline, None, None, True
    _retire(old)
    base = os.environ.get(ENDPOINT_VARIABLE, "").strip()
    traces = os.environ.get(TRACES_ENDPOINT_VARIABLE, "").strip()
    metrics = os.environ.get(METRICS_ENDPOINT_VARIABLE, "").strip()
    if os.environ.get(SDK_DISABLED_VARIABLE, "").strip().lower() == "true" or not (base or traces):
        return
    try:
        # Endpoints left to the SDK, which reads the same variables (a signal's own URL wins over the base one);
        # metrics only go where a variable sends them, never to the SDK's default localhost:4318.
        _state.pipeline = _build(None, None, capture_content=_capture_wanted(), send_metrics=bool(base or metrics))
    except Exception as problem:  # noqa: BLE001 - a bad variable must not break the app: export stays off
        _state.problem = f"Telemetry export is off: the OTEL_* settings could not be used ({problem})."


def configure_from_environment() -> TelemetryStatus:
    """(Re)read the standard OTEL_* variables: export is on when an OTLP endpoint is set, off otherwise.

    Done by itself on first use; call it again after changing the environment.
    """
    with _lock:
        _configure_from_environment_locked()
    return status()


def _signal_base(endpoint: str) -> str:
    """An http(s) base URL for the OTLP signals (a pasted /v1/traces or /v1/metrics URL is taken back to its base)."""
    cleaned = endpoint.strip().rstrip("/")
    parts = urllib.parse.urlsplit(cleaned)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TelemetryEndpointError(
            f"{endpoint!r} is not an OTLP/HTTP endpoint: give the collector's URL, like http://127.0.0.1:4318")
    for suffix in ("/v1/traces", "/v1/metrics"):
        cleaned = cleaned.removesuffix(suffix)
    return cleaned


def enable(endpoint: str, capture_content: bool = False) -> TelemetryStatus:
    """Export every run from now on to the OTLP/HTTP collector at `endpoint` (its base URL: the spans go to
    /v1/traces, the metrics to /v1/metrics). Prompt and answer text go along only with `capture_content`.

    Replaces any other configuration (the same one again is kept as it is, counts and all);
    TelemetryEndpointError if `endpoint` is no http(s) URL.
    """
    base = _signal_base(endpoint)
    current = _current()
    if current is not None and current.endpoint == f"{base}/v1/traces" and current.capture_content == capture_content \
            and current.metrics_endpoint == f"{base}/v1/metrics":
        return current.status()  # already so (a Streamlit rerun of the sidebar): nothing is rebuilt
    pipeline = _build(f"{base}/v1/traces", f"{base}/v1/metrics", capture_content=capture_content, send_metrics=True)
    with _lock:
        old, _state.pipeline, _state.problem, _state.decided = _state.pipeline, pipeline, None, True
    _retire(old)
    return pipeline.status()


def disable(wait_s: float = 0.0) -> None:
    """Export nothing from now on. What is already queued still goes out, on its own thread: waited for at most
    `wait_s` (a hung collector must not freeze the sidebar that turned export off)."""
    with _lock:
        old, _state.pipeline, _state.problem, _state.decided = _state.pipeline, None, None, True
    _retire(old, wait_s)


def status() -> TelemetryStatus:
    """Whether runs are exported, where to, and how it is going."""
    pipeline = _current()
    if pipeline is None:
        with _lock:
            return TelemetryStatus(False, problem=_state.problem)
    return pipeline.status()


def flush(timeout_s: float = 5.0) -> bool:
    """Send what is queued now, waiting at most `timeout_s`; True when everything went out in time."""
    pipeline = _current()
    return True if pipeline is None else _in_background(pipeline.flush, timeout_s)


def export_run(record: RunRecord, *, messages: Sequence[Message] = (),
               chunk_arrivals_s: Sequence[float] | None = None, server_url: str | None = None) -> None:
    """Export one finished run (ok, error or cancelled) as a span and metric points; never raises, never waits.

    `messages` is the conversation sent (exported only with content capture on), `chunk_arrivals_s` when each of
    the answer's chunks was read (perf_counter seconds; each gap between two is one point of time_per_output_chunk,
    computed on the export thread; the record keeps only their summary, so without them that metric has no
    points), `server_url` the endpoint the client called (server.address and server.port). With export off,
    nothing is copied or computed.
    """
    try:
        pipeline = _current()
        if pipeline is not None:
            pipeline.offer(_Item(copy.copy(record), tuple(messages),
                                 None if chunk_arrivals_s is None else tuple(chunk_arrivals_s), server_url))
    except Exception as problem:  # noqa: BLE001 - telemetry must never break a run
        with _lock:
            if _state.pipeline is not None:
                _state.pipeline.problem = f"A run could not be exported ({type(problem).__name__}: {problem})."
