"""The run: one request to a model, streamed or not, with every timing taken where the stream is read.

    >>> run = start(RunRequest(catalog.default_model_id(), ChatRequest((Message("user", "Hi"),))))
    >>> for text in run:            # answer text as it arrives (what st.write_stream takes)
    ...     print(text, end="")
    >>> run.record.ttft_ms          # the finished RunRecord: timings, usage, status, cost

`Run` owns the clock: t0 is taken just before the SDK call, time to first token when the first
non-empty answer-text delta is read, end-to-end when the last event has been processed. The
botocore stream is closed in a `finally`, so a consumer that stops early (Streamlit's Stop button
abandons the generator) releases the connection and gets a record with status `cancelled` and the
text that had arrived. Another thread can stop a run with `cancel()` (an HTTP client hung up): the
connection is shut at once, even while the run waits for a byte, and the run's text simply ends;
`stop()` does the same and also waits for the record (a page's next script run takes over an answer
that an earlier run was still reading).
Re-iterating a finished run replays its text without a new request.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import socket
import threading
import time
import typing
import uuid
from collections import Counter
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from . import catalog, converse, identity, metrics, providers, telemetry, validation
from .client import (
    DEFAULT_IDLE_TIMEOUT_S,
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_READ_TIMEOUT_S,
    ChatCompletionsRoute,
    SseStream,
    configured_region,
    route_of,
    runtime_client,
    session_tag,
    stream_error,
)
from .errors import (
    ConnectionLostError,
    LabError,
    ModelNotFoundError,
    ModelRetiredError,
    ModelTimeoutError,
    ServiceError,
    StreamIncompleteError,
    StreamInterruptedError,
    StreamSilentError,
    ThrottledError,
    ValidationError,
    classify,
)
from .providers import openai_chat
from .providers.tags import TagSplitter, split_events
from .types import (
    REDACTED_REASONING,
    Api,
    ChatRequest,
    Completion,
    Event,
    ReasoningDelta,
    ReasoningShown,
    RunRecord,
    Served,
    ServerMetrics,
    Stop,
    TextDelta,
    Usage,
)

STOP_WAIT_S = 2.0  # how long stop() waits for a run being read elsewhere to record itself
WATCH_INTERVAL_S = 0.1  # how often the idle guard looks (its verdict is late by at most this)
# A sync InvokeModel's cached input, in response headers beside x-amzn-bedrock-input-token-count (which leaves it out).
CACHE_READ_HEADER = "x-amzn-bedrock-cache-read-input-token-count"
CACHE_WRITE_HEADER = "x-amzn-bedrock-cache-write-input-token-count"
RESTART_NOTICE = "\n\n*[The stream was interrupted; the answer is being generated again.]*\n\n"
# The live rate waits until it means something: LIVE_RATE_MIN_TOKENS decoded after the attempt's first answer text,
# over at least LIVE_RATE_MIN_S. Measured on the emulator at time scale 1 (the default Claude and one model per
# family, 300 tokens, seeds 1-3): the old reading, every token over the time since the first, reached 12x the run's
# final rate in the first tens of ms ("9,709 tok/s" after 4 tokens), 1.4x after 0.1 s and 1.07x after 0.2 s; with
# the first delta left out and these bounds, the first rate shows at ~0.5 s (after 28-238 tokens), and every rate
# shown lies within 0.64x-1.05x of the final rate and under 1.4x the model's typical one (the four-characters
# estimate counts ~20% more than the emulator's tokens). Half a second keeps the early swing (0.6x-1.3x before
# 0.2 s) off the screen and goes unnoticed beside the words arriving; eight tokens come within 0.2 s at 50 tok/s,
# so that bound holds back only a slow stream of large chunks, judged on one or two of them otherwise.
LIVE_RATE_MIN_TOKENS = 8
LIVE_RATE_MIN_S = 0.5
# Each family's stop reason for an answer cut off at max tokens, lower-cased (Claude, Nova, Converse: max_tokens;
# Llama, Mistral, DeepSeek, Jamba, Chat Completions: length; Titan: LENGTH; Cohere: MAX_TOKENS).
MAX_TOKENS_REASONS = frozenset({"max_tokens", "length", "max_length"})
APIS: tuple[Api, ...] = typing.get_args(Api)
API_NAMES: dict[Api, str] = {"invoke": "InvokeModel", "converse": "Converse", "openai": "Chat Completions"}


@dataclass(frozen=True)
class RunRequest:
    """One request: which model, what to ask, how to send it, and where to record it."""

    model_id: str
    chat: ChatRequest
    api: Api = "invoke"
    stream: bool = True
    backend: str = "emulator"
    region: str | None = None
    profile: str | None = None
    max_attempts: int = DEFAULT_MAX_ATTEMPTS  # total attempts botocore makes before a stream starts
    read_timeout_s: float = DEFAULT_READ_TIMEOUT_S
    idle_timeout_s: float | None = DEFAULT_IDLE_TIMEOUT_S  # None: no idle guard (the read timeout alone)
    recover: bool = False  # resume a stream that broke mid-way for a transient cause (opt-in: it is billed)
    max_recoveries: int = 2
    session_id: str | None = None
    conversation_id: str | None = None
    compare_group: str | None = None
    benchmark_id: str | None = None
    user_name: str | None = None  # who the run is recorded as (None: `identity.default_user_name()`)

    @property
    def model(self) -> catalog.Model:
        """The model table's value for `model_id` (resolved once, cached); UnknownModelError if it is no model id."""
        return catalog.resolve(self.model_id)


@dataclass(frozen=True)
class LiveProgress:
    """A run while it streams, for a live counter: tokens are estimated until the model reports them."""

    elapsed_ms: float
    ttft_ms: float | None
    output_tokens: int
    tokens_per_s: float | None
    first_reasoning_ms: float | None = None  # when the first reasoning text came (None: none so far)


def slower_than_usual(live: LiveProgress, typical_tokens_per_s: float | None) -> bool:
    """True once a stream has decoded for a second at under half the model's usual rate."""
    return bool(typical_tokens_per_s and live.tokens_per_s and live.ttft_ms is not None
                and live.elapsed_ms - live.ttft_ms > 1000 and live.tokens_per_s < 0.5 * typical_tokens_per_s)


@dataclass(frozen=True)
class Recovery:
    """A new attempt after a stream broke: `continue` from the text so far, or `restart` from scratch."""

    attempt: int
    mode: str
    reason: str


RunEvent = TextDelta | ReasoningDelta | Recovery


class _Cancelled(Exception):
    """The run was cancelled from another thread (`Run.cancel`)."""


@dataclass
class _Progress:
    """What one run has read so far; every time here is a perf_counter() reading."""

    t0: float | None = None
    first_event_at: float | None = None
    ttft_at: float | None = None
    last_event_at: float | None = None
    arrivals: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)  # characters of each answer-text delta (beside `arrivals`)
    restarts: list[int] = field(default_factory=list)  # where in `arrivals` a restarted attempt's text began
    text: list[str] = field(default_factory=list)  # this attempt's answer (with what it continued from), as recorded
    shown: str = ""  # what earlier attempts left on screen: their text and the restart notice after each
    reasoning: list[str] = field(default_factory=list)
    input_tokens: int | None = None  # this attempt, as reported
    output_tokens: int | None = None
    billed_input: int = 0  # earlier attempts, as reported
    billed_output: int = 0
    reported: bool = False
    stop_reason: str | None = None
    server_first_byte_ms: float | None = None
    server_latency_ms: float | None = None
    ended: bool = False  # saw the stream's final event
    text_chars: int = 0
    sdk_retries: int = 0
    first_reasoning_at: float | None = None
    last_reasoning_at: float | None = None
    cache_read: int | None = None  # this attempt, as reported
    cache_write: int | None = None
    billed_cache_read: int = 0  # earlier attempts
    billed_cache_write: int = 0
    reasoning_tokens: int | None = None
    served_tier: str | None = None
    served_latency: str | None = None
    reasoning_asked: bool = False  # the request as sent asked the model to reason (or it always does)
    decode_at: float | None = None  # this attempt's first answer text: the live rate counts decoding from here
    decode_chars: int = 0  # answer characters read by then (that first delta's took no decoding time to speak of)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)  # a restart against shown_so_far

    def take(self, event: Event, now: float) -> None:
        if type(event) is TextDelta:
            self.take_text(event.text, now)
        elif isinstance(event, ReasoningDelta):
            if self.first_reasoning_at is None:
                self.first_reasoning_at = now
            self.last_reasoning_at = now
            self.reasoning.append(event.text)
        elif isinstance(event, Usage):
            self.input_tokens = event.input_tokens if event.input_tokens is not None else self.input_tokens
            self.output_tokens = event.output_tokens if event.output_tokens is not None else self.output_tokens
            self.cache_read = event.cache_read_tokens if event.cache_read_tokens is not None else self.cache_read
            self.cache_write = event.cache_write_tokens if event.cache_write_tokens is not None else self.cache_write
            if event.reasoning_tokens is not None:
                self.reasoning_tokens = event.reasoning_tokens
            self.reported = True
        elif isinstance(event, Served):
            self.served_tier = event.service_tier or self.served_tier
            self.served_latency = event.latency or self.served_latency
        elif isinstance(event, Stop):
            self.stop_reason = event.reason
            self.ended = True
        elif isinstance(event, ServerMetrics):
            self.server_first_byte_ms = event.first_byte_ms if event.first_byte_ms is not None \
                else self.server_first_byte_ms
            self.server_latency_ms = event.invocation_ms if event.invocation_ms is not None \
                else self.server_latency_ms
            if self.input_tokens is None and event.input_tokens is not None:
                self.input_tokens, self.reported = event.input_tokens, True
            if self.output_tokens is None and event.output_tokens is not None:
                self.output_tokens, self.reported = event.output_tokens, True
            if self.cache_read is None:
                self.cache_read = event.cache_read_tokens
            if self.cache_write is None:
                self.cache_write = event.cache_write_tokens
            self.ended = True

    def take_text(self, text: str, now: float) -> None:
        """An answer-text delta (the one event of every chunk, so the stream loop calls this directly)."""
        self.arrivals.append(now)
        self.text.append(text)
        size = len(text)
        self.sizes.append(size)
        self.text_chars += size
        if self.decode_at is None:  # the attempt's first answer text; chars first: live() reads decode_at first
            self.decode_chars = self.text_chars
            self.decode_at = now
            if self.ttft_at is None:
                self.ttft_at = now

    def visible(self) -> list[tuple[float, int]]:
        """(arrival, characters on screen so far) per text delta, made when asked rather than on every chunk.

        A restart leaves what was shown on screen and adds its notice, so the count never goes down."""
        out, chars, notices = [], 0, Counter(self.restarts)
        for i, (at, size) in enumerate(zip(list(self.arrivals), list(self.sizes), strict=False)):
            chars += size + notices[i] * len(RESTART_NOTICE)
            out.append((at, chars))
        return out

    def next_attempt(self, restart: bool) -> None:
        self.billed_input += self.input_tokens or 0
        self.billed_output += self.output_tokens or 0
        self.billed_cache_read += self.cache_read or 0
        self.billed_cache_write += self.cache_write or 0
        self.input_tokens = self.output_tokens = self.cache_read = self.cache_write = None
        self.ended = False
        self.decode_at = None  # the next attempt's rate is its own: the wait for its first token is no decoding
        if restart:
            with self.lock:  # shown_so_far sees the text before or after the move, never neither nor both
                self.shown += "".join(self.text) + RESTART_NOTICE
                self.text.clear()
            self.text_chars = 0
            self.restarts.append(len(self.arrivals))
            self.reasoning.clear()


def _ms(start: float | None, end: float | None) -> float | None:
    return None if start is None or end is None else round((end - start) * 1000, 3)


def _header_int(response: dict[str, Any], name: str) -> int | None:
    value = response.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get(name)
    return int(value) if value is not None else None


class _IdleGuard:
    """One thread that watches every open stream of the process and hangs up those gone silent.

    A stream reader blocked on a half-open socket wakes only at the read timeout; here the reader's own
    clock (`_Progress.last_event_at`, set for every event anyway) is compared with the run's idle limit a
    few times a second, so watching costs the reader nothing per chunk.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs: set[Run] = set()
        self._thread: threading.Thread | None = None

    def watch(self, run: Run) -> None:
        with self._lock:
            self._runs.add(run)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="idle-guard", daemon=True)
                self._thread.start()

    def forget(self, run: Run) -> None:
        with self._lock:
            self._runs.discard(run)

    def _loop(self) -> None:
        """Look a few times a second while any stream is open; end when none is (`watch` starts it again)."""
        while True:
            time.sleep(WATCH_INTERVAL_S)
            now = time.perf_counter()
            with self._lock:
                runs = list(self._runs)
                if not runs:
                    self._thread = None
                    return
            for run in runs:
                run._check_idle(now)


_IDLE_GUARD = _IdleGuard()


class Run:
    """One request in flight: iterate it for answer text, then read `record`."""

    def __init__(self, request: RunRequest, *, client: Any = None,
                 on_finish: Callable[[RunRecord], None] | None = None,
                 callback: Callable[[str, bool], None] | None = None) -> None:
        self.request = request
        self._client = client
        self._on_finish = on_finish
        self._callback = callback
        self._record: RunRecord | None = None
        self._progress = _Progress()
        self._recoveries = 0
        self.failure: LabError | None = None  # why the run failed, once it has
        self._cancelled = threading.Event()
        self._cancel_asked = False  # the same as `_cancelled.is_set()`, read once per chunk without a call
        self.request_id: str | None = None  # Bedrock's x-amzn-RequestId of the last attempt
        self._open_stream: Any = None  # the botocore event stream being read, for cancel()
        self._went_silent_s: float | None = None  # set by the idle guard when it hung up a silent stream
        self._waiting_since: float | None = None  # when the stream reader began to wait for the next event
        self._done = threading.Event()  # set once the record is final (and handed to on_finish)
        self._endpoint_url: str | None = None  # where the requests went, for the telemetry's server.address
        self.run_id = uuid.uuid4().hex  # known from the start, so a stopped run can be referred to at once
        self._driver = self._drive()

    # -- views ---------------------------------------------------------------------------

    def events(self) -> Iterator[RunEvent]:
        """Answer text, reasoning and recovery events, in arrival order."""
        if self._record is not None:
            if self._record.text:
                yield TextDelta(self._record.text)
            return
        yield from self._driver

    def text(self) -> Iterator[str]:
        """Answer text only; a restart after an interruption shows a visible notice."""
        for event in self.events():
            if type(event) is TextDelta:
                yield event.text
            elif isinstance(event, Recovery) and event.mode == "restart":
                yield RESTART_NOTICE

    def __iter__(self) -> Iterator[str]:
        return self.text()

    def close(self) -> None:
        """Stop the run: the stream is closed and the record says `cancelled` (if it had not ended)."""
        self._driver.close()
        if self._record is None:  # never iterated: nothing was sent, but it still has a record
            record = self._new_record()
            record.status = "cancelled"
            self._finish(record)

    def cancel(self) -> None:
        """Stop the run from any thread: the Bedrock connection is shut now (a blocked read wakes), and the
        thread iterating the run sees its text end, with the record's status `cancelled`."""
        self._cancel_asked = True
        self._cancelled.set()
        _hang_up(self._open_stream)

    def _check_idle(self, now: float) -> None:
        """Hang up the open stream if its reader has waited longer than the idle limit since the answer started
        (the guard's thread). Only a wait for data counts: a consumer that pauses between events is not silence."""
        limit, stream, since = self.request.idle_timeout_s, self._open_stream, self._waiting_since
        if (limit and stream is not None and since is not None and self._progress.first_event_at is not None
                and now - since > limit and self._went_silent_s is None):
            self._went_silent_s = now - since
            _hang_up(stream)

    def stop(self, wait_s: float = STOP_WAIT_S) -> RunRecord | None:
        """End the run from any thread and return its record, status `cancelled` unless it had ended.

        Safe while another thread is reading the run (a Streamlit script run that was interrupted but is
        still inside it): `cancel()` makes that thread's read end, and the run records itself there; when
        no thread is inside the run, it is closed here. A sync request already sent cannot be called
        back: if its record is not final within `wait_s`, this returns None and the run records itself
        (as cancelled) when the answer comes."""
        self.cancel()
        deadline = time.monotonic() + wait_s
        while not self._done.wait(0.005):
            with contextlib.suppress(ValueError):  # "generator already executing": the reader ends it
                self.close()
            if time.monotonic() >= deadline:
                return None
        return self._record

    @property
    def finished(self) -> bool:
        """True once the record is final."""
        return self._done.is_set()

    @property
    def cancelled(self) -> bool:
        """True once `cancel()` was called."""
        return self._cancelled.is_set()

    @property
    def started(self) -> bool:
        """True once iteration has begun (the request may be in flight)."""
        return self._progress.t0 is not None or self._record is not None

    def result(self) -> RunRecord:
        """Run to the end and return the record (a failed run raises its LabError)."""
        for _ in self.events():
            pass
        return self.record

    @property
    def record(self) -> RunRecord:
        """The finished record. Read before the run ends it would be wrong, so it refuses."""
        if self._record is None:
            raise RuntimeError("the run has not finished: iterate it to the end, or close() it, first")
        return self._record

    @property
    def text_so_far(self) -> str:
        """The answer text read so far (a restart starts it again: what the record's text will be); safe to call
        from another thread while the run streams."""
        return "".join(list(self._progress.text))

    @property
    def shown_so_far(self) -> str:
        """What `text()` has shown so far: after a restart, the text before it and the restart notice stay in front
        of the new answer, as they stay on screen (the timeline counts these characters). Safe from another thread."""
        progress = self._progress
        with progress.lock:
            return progress.shown + "".join(list(progress.text))

    @property
    def reasoning_so_far(self) -> str:
        """The reasoning text read so far (this attempt's, as the record will have it); safe from another thread."""
        return "".join(list(self._progress.reasoning))

    @property
    def restarts(self) -> int:
        """How many times the answer was started again from scratch after its stream broke (each one billed)."""
        return len(self._progress.restarts)

    def timeline(self) -> list[tuple[float, int]]:
        """When the answer grew: (milliseconds since t0, characters on screen so far), one point per text
        delta as it was read (a sync answer is one point, at its end-to-end time). It never goes down: a
        restart keeps what was shown, and its notice, in front of the new text (see `shown_so_far`)."""
        t0 = self._progress.t0
        return [] if t0 is None else [(round((at - t0) * 1000, 3), chars) for at, chars in self._progress.visible()]

    def live(self) -> LiveProgress:
        """Where the run stands now (cheap enough to call on every UI update).

        The rate is this attempt's decoding: the tokens after its first answer text over the time since that
        text came, and None until there are enough of both to mean something (LIVE_RATE_MIN_*)."""
        progress, now = self._progress, time.perf_counter()
        decode_at, chars = progress.decode_at, progress.text_chars
        tokens = max(1, round(chars / 4)) if chars else 0  # metrics.estimate_tokens's four characters a token
        ttft_ms = _ms(progress.t0, progress.ttft_at)
        elapsed_ms = _ms(progress.t0, now) or 0.0
        rate = None
        if decode_at is not None:
            decoded_tokens, decoded_s = (chars - progress.decode_chars) / 4, now - decode_at
            if decoded_tokens >= LIVE_RATE_MIN_TOKENS and decoded_s >= LIVE_RATE_MIN_S:
                rate = decoded_tokens / decoded_s
        return LiveProgress(elapsed_ms, ttft_ms, tokens, rate, _ms(progress.t0, progress.first_reasoning_at))

    # -- the work ------------------------------------------------------------------------

    def _new_record(self) -> RunRecord:
        req, chat = self.request, self.request.chat
        return RunRecord(
            run_id=self.run_id, started_utc=datetime.now(UTC).isoformat(timespec="milliseconds"),
            model_id=req.model_id, provider=providers.provider_name(req.model_id), api=req.api,
            mode="stream" if req.stream else "sync", backend=req.backend, region=_region(req),
            system=chat.system, max_tokens=chat.max_tokens, temperature=chat.temperature, top_p=chat.top_p,
            stop_sequences=list(chat.stop_sequences), session_id=req.session_id,
            effort=chat.reasoning.effort if chat.reasoning else None, service_tier=chat.service_tier,
            latency=chat.latency, cache_ttl=chat.cache.ttl if chat.cache else None,
            conversation_id=req.conversation_id, compare_group=req.compare_group, benchmark_id=req.benchmark_id,
            user_name=identity.clean_name(req.user_name or "") or identity.default_user_name(),
            host=identity.host_name())

    def _drive(self) -> Generator[RunEvent, None, None]:
        record = self._new_record()
        progress = self._progress
        try:
            model = _check(self.request)
            provider = model.family.provider if model.family else None
            client = self._client or runtime_client(
                self.request.backend, self.request.region, self.request.profile,
                max_attempts=self.request.max_attempts, read_timeout_s=self.request.read_timeout_s)
            if self.request.api == "openai" and not isinstance(client, ChatCompletionsRoute):
                client = route_of(client)  # the route beside the bedrock-runtime client: same endpoint and signer
            self._endpoint_url = client.url if isinstance(client, ChatCompletionsRoute) else getattr(
                getattr(client, "meta", None), "endpoint_url", None)
            chat = self.request.chat
            while True:
                try:
                    if self._callback is None:  # `yield from`: no per-chunk work of this frame's own
                        yield from self._attempt(client, provider, chat, record)
                    else:
                        for event in self._attempt(client, provider, chat, record):
                            if type(event) is TextDelta:
                                self._callback(event.text, False)
                            yield event
                    break
                except _Cancelled:
                    raise
                except Exception as problem:  # noqa: BLE001 - classified, then recovered from or raised
                    if self._cancelled.is_set():  # the read failed because cancel() shut the connection
                        raise _Cancelled from problem
                    progress.sdk_retries += _retries_of(problem)
                    error = self._silence() or _named(classify(problem), model)
                    mode = self._recovery_mode(error, model)
                    if mode is None:
                        raise error from (None if error is problem else problem)
                    record.attempts += 1
                    record.notes.append(f"Attempt {record.attempts}: the stream broke ({error.code}); "
                                        f"{'continued from the text so far' if mode == 'continue' else 'restarted'}.")
                    chat = self._continuation(chat) if mode == "continue" else self.request.chat
                    progress.next_attempt(restart=mode == "restart")
                    self._went_silent_s = None
                    yield Recovery(record.attempts, mode, error.code)
            record.status = "ok"
        except GeneratorExit:
            record.status = "cancelled"
            raise
        except _Cancelled:
            record.status = "cancelled"  # the text ends here; the consumer's loop finishes normally
        except Exception as problem:  # noqa: BLE001 - everything reaches the user as a LabError
            failure = self._silence() or classify(problem)
            with contextlib.suppress(catalog.UnknownModelError):
                failure = _named(failure, self.request.model)
            self.failure = failure
            record.status, record.error_code, record.error_message = "error", failure.code, failure.message
            if failure is problem:
                raise
            raise failure from problem
        except BaseException:  # KeyboardInterrupt, a killed greenlet (Locust stopping a user): it did not end normally
            record.status = "cancelled"
            raise
        finally:
            self._finish(record)

    def _silence(self) -> StreamSilentError | None:
        """The error for a stream the idle guard hung up (whatever the read raised or did when it woke)."""
        if self._went_silent_s is None:
            return None
        return StreamSilentError(f"no data for {self._went_silent_s:.1f} s; the idle guard is "
                                 f"{self.request.idle_timeout_s:g} s", code="ConnectionSilent")

    def _recovery_mode(self, error: LabError, model: catalog.Model) -> str | None:
        req, progress = self.request, self._progress
        if not (req.recover and req.stream and progress.t0 is not None and progress.first_event_at is not None):
            return None  # nothing had started: botocore's own retries already had their turn
        if not isinstance(error, (StreamInterruptedError, ConnectionLostError, ThrottledError, ModelTimeoutError)):
            return None
        if self._recoveries >= req.max_recoveries:
            return None
        self._recoveries += 1
        return "continue" if model.takes_prefill and progress.text else "restart"

    def _continuation(self, chat: ChatRequest) -> ChatRequest:
        """The same conversation with the partial answer as an assistant prefill, so nothing repeats."""
        partial = "".join(self._progress.text).rstrip()  # Claude refuses a prefill ending in white space
        used = self._progress.output_tokens or metrics.estimate_tokens(partial)
        return catalog.continuation(chat, partial, used)

    def _attempt(self, client: Any, provider: Any, chat: ChatRequest, record: RunRecord) -> Iterator[RunEvent]:
        req, progress, model = self.request, self._progress, self.request.model
        chat, rules = catalog.fit_request(model, chat)
        progress.reasoning_asked = chat.reasoning is not None or model.thinking == "always"  # as sent, after the rules
        if chat.cache is not None and req.api == "invoke" and not getattr(provider, "supports_cache", False):
            chat = dataclasses.replace(chat, cache=None)
            rules = (*rules, f"{model.name}'s InvokeModel body has no cache points (Converse has them for every "
                             "model that caches): none were sent.")
        if req.api == "openai":
            chat, dropped = _fit_route(chat)
            rules = (*rules, *dropped)
            built = openai_chat.route_request(req.model_id, chat, stream=req.stream,
                                              nested=provider is openai_chat.NESTED_EFFORT)
            notes, request_json = built.notes, json.dumps(built.body)
        elif req.api == "converse":
            fields = providers.converse_fields(provider, chat.reasoning)
            kwargs, notes = converse.build_request(req.model_id, chat, takes_system=model.takes_system("converse"),
                                                   fields=fields)
            request_json = json.dumps({k: v for k, v in kwargs.items() if k != "modelId"})
        else:
            built = provider.build_request(chat)
            notes, request_json = built.notes, json.dumps(built.body)
        record.notes.extend(n for n in (*rules, *notes) if n not in record.notes)
        record.request_json = record.request_json or request_json
        if self._cancelled.is_set():
            raise _Cancelled
        if progress.t0 is None:
            progress.t0 = time.perf_counter()
        headers = _serving_headers(chat) if req.api == "invoke" else {}
        if not req.stream:
            yield from self._sync(client, provider, kwargs if req.api == "converse" else request_json, headers)
            return
        with session_tag(req.session_id):
            if req.api == "openai":
                stream, retries = client.open(request_json.encode(), stream=True)
                response: dict[str, Any] = {"ResponseMetadata": {"RetryAttempts": retries,
                                                                 "RequestId": stream.request_id}}
            elif req.api == "converse":
                response = client.converse_stream(**kwargs)
                stream = response["stream"]
            else:
                response = client.invoke_model_with_response_stream(
                    modelId=req.model_id, body=request_json, contentType="application/json", accept="application/json",
                    **headers)
                stream = response["body"]
                served = _served_by(response)
                if served is not None:
                    progress.take(served, time.perf_counter())
        metadata = response.get("ResponseMetadata", {})
        progress.sdk_retries += metadata.get("RetryAttempts", 0)
        self.request_id = metadata.get("RequestId")
        # Chosen once per stream: how one raw event becomes neutral events (None: an event that carries nothing).
        decode = _decoder(req.api, provider)
        tag = model.family.reasoning_tag if model.family and req.api == "invoke" else None
        splitter = TagSplitter(tag) if tag else None
        self._open_stream = stream
        if req.idle_timeout_s:
            _IDLE_GUARD.watch(self)
        # The loop below runs once per chunk: everything that can be decided once is decided above, answer text
        # (nearly every chunk) is taken inline, and the rest goes through `_Progress.take`.
        perf_counter, take, take_text = time.perf_counter, progress.take, progress.take_text
        try:
            if self._cancelled.is_set():  # cancel() came while the request was in flight
                raise _Cancelled
            raws = iter(stream)
            while True:
                self._waiting_since = perf_counter()  # the idle guard's clock: how long this read has waited
                raw = next(raws, None)
                self._waiting_since = None
                if raw is None:
                    break
                if self._cancel_asked:
                    raise _Cancelled
                now = perf_counter()
                if progress.first_event_at is None:
                    progress.first_event_at = now
                progress.last_event_at = now
                events = decode(raw)
                if not events:
                    continue
                if splitter is not None:
                    events = split_events(splitter, events)
                for event in events:
                    if type(event) is TextDelta:
                        take_text(event.text, now)
                        yield event
                    else:
                        take(event, now)
                        if type(event) is ReasoningDelta:
                            yield event
            for event in splitter.flush() if splitter is not None else ():
                take(event, progress.last_event_at or perf_counter())
                yield event
            if not progress.ended or (isinstance(stream, SseStream) and not stream.done):
                raise StreamIncompleteError("the stream ended before its closing events (the stop reason and the "
                                            "token counts)", code="StreamIncomplete")
        finally:
            self._open_stream = None
            _IDLE_GUARD.forget(self)
            stream.close()

    def _sync(self, client: Any, provider: Any, request: Any, headers: dict[str, str]) -> Iterator[RunEvent]:
        req, progress = self.request, self._progress
        if req.api == "openai":
            with session_tag(req.session_id):
                answer, retries = client.open(request.encode(), stream=False)
                try:
                    body = answer.read()
                finally:
                    answer.release_conn()
            progress.last_event_at = time.perf_counter()
            self.request_id = answer.headers.get("x-amzn-requestid")
            if self._cancelled.is_set():
                raise _Cancelled
            payload = _json_body(body)
            if not isinstance(payload, dict) or "choices" not in payload:
                raise ServiceError("the response could not be read: it is not a chat completion",
                                   code="MalformedResponse")
            completion, server, served = openai_chat.parse_response(payload), ServerMetrics(), None
            response: dict[str, Any] = {"ResponseMetadata": {"RetryAttempts": retries}}
        elif req.api == "converse":
            with session_tag(req.session_id):
                response = client.converse(**request)
            progress.last_event_at = time.perf_counter()
            if self._cancelled.is_set():  # stopped while waiting: the answer came too late to be shown
                raise _Cancelled
            try:
                completion, server, served = converse.parse_response(response)
            except converse.MalformedEvent as problem:
                raise ServiceError(str(problem), code="MalformedResponse") from None
        else:
            with session_tag(req.session_id):
                response = client.invoke_model(modelId=req.model_id, body=request, contentType="application/json",
                                               accept="application/json", **headers)
                body = response["body"].read()
            progress.last_event_at = time.perf_counter()
            if self._cancelled.is_set():
                raise _Cancelled
            completion = provider.parse_response(_json_body(body))
            server = ServerMetrics(invocation_ms=_header_int(response, "x-amzn-bedrock-invocation-latency"),
                                   input_tokens=_header_int(response, "x-amzn-bedrock-input-token-count"),
                                   output_tokens=_header_int(response, "x-amzn-bedrock-output-token-count"),
                                   cache_read_tokens=_header_int(response, CACHE_READ_HEADER),
                                   cache_write_tokens=_header_int(response, CACHE_WRITE_HEADER))
            served = _served_by(response)
        progress.sdk_retries += response.get("ResponseMetadata", {}).get("RetryAttempts", 0)
        progress.first_event_at = progress.last_event_at
        if served is not None:
            progress.take(served, progress.last_event_at or time.perf_counter())
        yield from self._take_completion(completion, server)

    def _take_completion(self, completion: Completion, server: ServerMetrics) -> Iterator[RunEvent]:
        progress, now = self._progress, self._progress.last_event_at or time.perf_counter()
        if completion.reasoning:
            progress.take(ReasoningDelta(completion.reasoning), now)
            yield ReasoningDelta(completion.reasoning)
        usage = Usage(completion.input_tokens, completion.output_tokens, completion.cache_read_tokens,
                      completion.cache_write_tokens, completion.reasoning_tokens)
        if usage != Usage():
            progress.take(usage, now)
        progress.take(server, now)
        if completion.stop_reason:
            progress.take(Stop(completion.stop_reason), now)
        if completion.text:
            progress.take(TextDelta(completion.text), now)
            yield TextDelta(completion.text)

    def _finish(self, record: RunRecord) -> None:
        progress = self._progress
        record.attempts = record.attempts + progress.sdk_retries
        record.text = "".join(progress.text)
        record.reasoning_text = "".join(progress.reasoning)
        record.first_event_ms = _ms(progress.t0, progress.first_event_at)
        record.ttft_ms = _ms(progress.t0, progress.ttft_at)
        # E2E is what the user lived through: to the last event of a run that ended normally, to the moment it
        # failed or was stopped otherwise (a stall's minutes included); a run never sent has none.
        ended_at = progress.last_event_at if record.status == "ok" else None
        record.e2e_ms = _ms(progress.t0, ended_at or time.perf_counter())
        record.stop_reason = progress.stop_reason
        record.server_first_byte_ms = progress.server_first_byte_ms
        record.server_latency_ms = progress.server_latency_ms
        if progress.reported:
            cache_read = progress.billed_cache_read + (progress.cache_read or 0)
            cache_write = progress.billed_cache_write + (progress.cache_write or 0)
            if progress.cache_read is not None or progress.cache_write is not None or cache_read or cache_write:
                record.cache_read_tokens, record.cache_write_tokens = cache_read, cache_write
            # Bedrock's input count leaves the cached input out; the record's is the whole conversation.
            uncached = progress.billed_input + (progress.input_tokens or 0)
            record.input_tokens = uncached + cache_read + cache_write or None
            record.output_tokens = progress.billed_output + (progress.output_tokens or 0) or None
            record.reasoning_tokens = progress.reasoning_tokens
            record.tokens_source = "reported"
        if record.output_tokens is None and (record.text or record.reasoning_text):
            record.output_tokens = metrics.estimate_tokens(record.text + record.reasoning_text)
            record.input_tokens = record.input_tokens or metrics.estimate_tokens(
                self.request.chat.system + "".join(m.text for m in self.request.chat.messages))
            record.tokens_source = "estimated"
        if record.mode == "stream" and record.status == "ok":  # a run cut short has no decode rate to speak of
            # Output tokens count the reasoning too: the decode window starts at the first output of either kind
            # (the first answer text where nothing was reasoned first), or reasoning would inflate the rate.
            first_output = [t for t in (_ms(progress.t0, progress.first_reasoning_at), record.ttft_ms) if t is not None]
            decode_from = min(first_output) if first_output else None
            record.tokens_per_s = metrics.tokens_per_s(record.output_tokens, record.e2e_ms, decode_from)
            record.tpot_ms = metrics.tpot_ms(record.output_tokens, record.e2e_ms, decode_from)
        gaps = metrics.summarize_gaps([t * 1000 for t in progress.arrivals])
        record.gap_count, record.gap_p50_ms, record.gap_p90_ms, record.gap_max_ms = (
            gaps.count, gaps.p50_ms, gaps.p90_ms, gaps.max_ms)
        record.first_reasoning_ms = _ms(progress.t0, progress.first_reasoning_at)
        reasoning_end = progress.ttft_at if progress.ttft_at is not None and progress.first_reasoning_at is not None \
            and progress.ttft_at >= progress.first_reasoning_at else progress.last_reasoning_at
        # A sync answer's reasoning arrives with it, all at once: it has no duration to speak of.
        record.reasoning_ms = _ms(progress.first_reasoning_at, reasoning_end) if record.mode == "stream" else None
        record.reasoning_shown = _reasoning_shown(self.request, record, progress.reasoning_asked)
        record.service_tier_served, record.latency_served = progress.served_tier, progress.served_latency
        record.cost_usd = _cost(record)
        self._record = record
        if _chunk_log_dir is not None and record.mode == "stream":
            _log_chunks(_chunk_log_dir, self, progress.arrivals)
        if self._on_finish is not None:
            try:
                self._on_finish(record)
            except Exception as problem:  # noqa: BLE001 - recording must never break the run itself
                record.notes.append(f"Not recorded in the history: {problem}")
        # Opt-in OpenTelemetry export: queued for the telemetry's own thread, never raising nor waiting.
        telemetry.export_run(record, messages=self.request.chat.messages, chunk_arrivals_s=progress.arrivals,
                             server_url=self._endpoint_url)
        self._done.set()
        if self._callback is not None:
            self._callback("", True)


def _json_body(body: bytes) -> Any:
    """A sync answer's JSON body, or the ServiceError a body that is not JSON is."""
    try:
        return json.loads(body)
    except ValueError:
        raise ServiceError("the response could not be read: it is not valid JSON", code="MalformedResponse") from None


def _serving_headers(chat: ChatRequest) -> dict[str, str]:
    """InvokeModel's arguments for the tier and the latency mode (botocore sends them as X-Amzn-Bedrock-* headers)."""
    headers: dict[str, str] = {}
    if chat.service_tier is not None:
        headers["serviceTier"] = chat.service_tier
    if chat.latency is not None:
        headers["performanceConfigLatency"] = chat.latency
    return headers


# The HTTP headers botocore sends InvokeModel's tier and latency arguments in (the service model's locationName).
INVOKE_HEADERS = {"serviceTier": "X-Amzn-Bedrock-Service-Tier",
                  "performanceConfigLatency": "X-Amzn-Bedrock-PerformanceConfig-Latency"}


def request_headers(record: RunRecord) -> dict[str, str]:
    """The X-Amzn-Bedrock-* headers an InvokeModel run sent beside its body (Converse sends these in the body)."""
    if record.api != "invoke":
        return {}
    asked = {"serviceTier": record.service_tier, "performanceConfigLatency": record.latency}
    return {INVOKE_HEADERS[name]: value for name, value in asked.items() if value is not None}


def _served_by(response: dict[str, Any]) -> Served | None:
    """What an InvokeModel response's headers say was served (botocore maps them to these members)."""
    tier, latency = response.get("serviceTier"), response.get("performanceConfigLatency")
    return Served(tier, latency) if tier is not None or latency is not None else None


def _retries_of(problem: Exception) -> int:
    """Attempts botocore made before giving up with this error (0 when it says nothing)."""
    response = getattr(problem, "response", None)
    return int(response.get("ResponseMetadata", {}).get("RetryAttempts", 0)) if isinstance(response, dict) else 0


def _hang_up(stream: Any) -> None:
    """Shut the socket under a botocore event stream, so a thread blocked reading it wakes at once."""
    connection = getattr(getattr(stream, "_raw_stream", None), "connection", None)
    sock = getattr(connection, "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


_JSON = json.JSONDecoder()


def _decode_chunk(data: bytes) -> dict[str, Any]:
    # json.loads(bytes) less what a chunk never needs (its content type says UTF-8 JSON, and Bedrock writes it with
    # no white space around): no encoding sniffing, no white-space scans. Anything else gets json.loads itself.
    try:
        text = data.decode("utf-8", "surrogatepass")
        payload, end = _JSON.raw_decode(text)
        if end != len(text):
            raise ValueError("more after the JSON value")
    except ValueError:
        payload = _loads_or_refuse(data)
    if not isinstance(payload, dict):
        raise StreamInterruptedError("a chunk of the stream was not a JSON object", code="MalformedChunk")
    return payload


def _loads_or_refuse(data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        raise StreamInterruptedError("a chunk of the stream could not be read", code="MalformedChunk") from None


def _converse_events(raw: dict[str, Any]) -> list[Event]:
    try:
        return converse.parse_event(raw)
    except converse.MalformedEvent as problem:
        raise StreamInterruptedError(str(problem), code="MalformedChunk") from None


def _route_events(raw: bytes) -> list[Event]:
    """One Server-Sent Event of the Chat Completions route: a chunk, an error, or the closing `[DONE]`."""
    if raw == b"[DONE]":
        return []
    payload = _decode_chunk(raw)
    if "error" in payload:
        raise stream_error(payload)
    return openai_chat.parse_chunk(payload)


def _decoder(api: Api, provider: Any) -> Callable[[Any], list[Event]]:
    """How one raw event of this API's stream becomes neutral events, chosen once per stream."""
    if api == "converse":
        return _converse_events
    if api == "openai":
        return _route_events
    parse = providers.chunk_parser(provider)

    def invoke_events(raw: dict[str, Any]) -> list[Event]:
        chunk = raw.get("chunk")
        return parse(_decode_chunk(chunk["bytes"])) if chunk is not None else []

    return invoke_events


def _fit_route(chat: ChatRequest) -> tuple[ChatRequest, tuple[str, ...]]:
    """The request as the Chat Completions route takes it: it has no Bedrock tier, latency mode or cache points."""
    dropped = [name for name, value in (("the service tier", chat.service_tier), ("the latency mode", chat.latency),
                                        ("the prompt-cache points", chat.cache)) if value is not None]
    if not dropped:
        return chat, ()
    note = (f"The Chat Completions route takes no {', '.join(dropped)} of Bedrock's own APIs: not sent "
            "(InvokeModel or Converse take them).")
    return dataclasses.replace(chat, service_tier=None, latency=None, cache=None), (note,)


# Opt-in, for load benchmarks: with BEDROCK_LAB_CHUNK_LOG naming a folder (or `log_chunks_to`), every streamed
# run appends one JSON line to chunks-<pid>.jsonl there, with the emulator's request id and when each answer-text
# delta was read (epoch ms), so lateness can be measured against the emulator's own send log (GET
# /_emulator/chunks). Off, it costs nothing per chunk: the run keeps those read times anyway (for its gaps).
CHUNK_LOG_VARIABLE = "BEDROCK_LAB_CHUNK_LOG"
_chunk_log_dir: str | None = os.environ.get(CHUNK_LOG_VARIABLE) or None
_chunk_log_lock = threading.Lock()


def log_chunks_to(folder: str | None) -> None:
    """Start (or, with None, stop) the chunk log of this process (see CHUNK_LOG_VARIABLE)."""
    global _chunk_log_dir
    _chunk_log_dir = folder


def _log_chunks(folder: str, run: Run, arrivals: list[float]) -> None:
    offset_s = time.time() - time.perf_counter()
    line = json.dumps({"request_id": run.request_id, "run_id": run.run_id,
                       "read_ms": [round((at + offset_s) * 1000, 3) for at in arrivals]})
    with _chunk_log_lock, open(os.path.join(folder, f"chunks-{os.getpid()}.jsonl"), "a", encoding="utf-8") as out:
        out.write(line + "\n")


def _check(request: RunRequest) -> catalog.Model:
    """Refuse, before any call, what cannot work, with a message that says why; the model it will call."""
    validation.check_text(request.chat)
    if request.api not in APIS:
        raise validation.refuse(f"api must be invoke, converse or openai, not {request.api!r}", "api")
    try:
        model = request.model
    except catalog.UnknownModelError as problem:
        raise ModelNotFoundError(str(problem), code="UnknownModel", field="model_id") from None
    if request.api == "invoke" and model.family is None:
        raise ValidationError(f"the lab does not know the InvokeModel body of {model.name}: ask it through the "
                              "Converse API, which every Bedrock text model takes", code="UnsupportedApi",
                              field="api",
                              action="Switch the API to Converse (in the sidebar, --api converse, or \"api\": "
                                     "\"converse\").")
    if request.api not in model.apis:
        others = " or ".join(API_NAMES[api] for api in model.apis) or "another API"
        raise ValidationError(f"{model.name} is not served through {API_NAMES[request.api]}: use {others}",
                              code="UnsupportedApi", field="api")
    validation.check_parameters(model, request.chat, request.api)
    return model


def _region(request: RunRequest) -> str | None:
    """The region the run goes to, as the record keeps it (the configured one when none was given)."""
    if request.backend != "aws":
        return request.region
    return configured_region(request.profile, region=request.region)


def _named(error: LabError, model: catalog.Model) -> LabError:
    """A lifecycle 404 that says which model it was and which current one replaces it."""
    if not isinstance(error, ModelRetiredError):
        return error
    replacement = model.replacement
    return error.naming(model.name, replacement.name if replacement else None,
                        replacement.invocation_id(None) if replacement else None)


def _cost(record: RunRecord) -> float | None:
    """What the run cost as served: cached input at the cache's prices, the tier Bedrock served it in."""
    try:
        model = catalog.resolve(record.model_id)
    except catalog.UnknownModelError:
        return None
    return model.cost_usd(record.input_tokens, record.output_tokens, cache_read_tokens=record.cache_read_tokens,
                          cache_write_tokens=record.cache_write_tokens, cache_ttl=record.cache_ttl,
                          service_tier=record.service_tier_served or record.service_tier)


def _reasoning_shown(request: RunRequest, record: RunRecord, asked: bool) -> ReasoningShown | None:
    """What the user got of the model's reasoning: all of it (reasoning in tags, DeepSeek and gpt-oss), a
    summary (Claude 4 and later summarize their thinking), or nothing though it reasoned (Nova 2 sends
    "[REDACTED]"; thinking with display omitted sends none; reported reasoning tokens without text)."""
    text = record.reasoning_text.strip()
    try:
        model = request.model
    except catalog.UnknownModelError:
        return None
    if text and text != REDACTED_REASONING:
        return "summarized" if model.family is not None and model.family.name == "anthropic-messages" else "full"
    reasoned = text == REDACTED_REASONING or bool(record.reasoning_tokens) or (asked and record.status == "ok")
    return "omitted" if reasoned else None


def stopped_at_max_tokens(record: RunRecord) -> bool:
    """True when the answer ended because it reached its max tokens (in its family's own words for it)."""
    return record.status == "ok" and (record.stop_reason or "").lower() in MAX_TOKENS_REASONS


def continue_request(request: RunRequest, record: RunRecord) -> tuple[RunRequest, Literal["continue", "restart"]]:
    """The request that takes `record`'s answer further, and how: `continue` from the text so far, or `restart`.

    A model that takes a prefill gets the same conversation with the answer so far as an assistant turn it goes
    on from (as `recover` does mid-stream), with the max tokens left after it, or a fresh budget of the same size
    when it stopped at max tokens; any other model gets the same request again. The answer so far is the
    request's own prefill (when it continued one) followed by the record's text, so Continue can follow Continue.

        >>> follow_up, how = continue_request(run.request, run.record)
        >>> start(follow_up)    # its text goes on from where the record's stopped
    """
    messages = request.chat.messages
    before = messages[-1].text if messages and messages[-1].role == "assistant" else ""
    partial = (before + record.text).rstrip()  # Claude refuses a prefill ending in white space
    try:
        takes_prefill = request.model.takes_prefill
    except catalog.UnknownModelError:
        takes_prefill = False
    if not (partial and takes_prefill):
        return request, "restart"
    if stopped_at_max_tokens(record):
        used = 0  # its budget is spent: a fresh one of the same size
    elif record.attempts == 1 and record.output_tokens:
        used = record.output_tokens
    else:  # an earlier attempt's output is billed in the record's count, but is not part of this answer
        used = metrics.estimate_tokens(record.text + record.reasoning_text)
    return dataclasses.replace(request, chat=catalog.continuation(request.chat, partial, used)), "continue"


def start(request: RunRequest, **kwargs: Any) -> Run:
    """Begin a run (nothing is sent until it is iterated). See `Run` for the keyword arguments."""
    return Run(request, **kwargs)
