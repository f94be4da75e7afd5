"""Faults on demand: what the emulator should get wrong, for which model, and how many times.

A fault either answers a request with an error before any stream starts (`BEFORE`), or breaks a
response after `after_tokens` output tokens (`DURING`). An `ENDING` is not an error: the answer stops
after `after_tokens` tokens with that stop reason (Claude's `refusal`, with its `stop_details`, and
`pause_turn`), as a normal HTTP 200 response.

What each `DURING` fault does to a stream, and the nearest equivalent a sync request gets:

- `stream_error`: an exception event; sync: that exception's error status.
- `cut`: half a frame, then the connection drops; sync: half the body, then the connection drops.
- `stall`: `seconds` of silence, then the rest of the stream; sync: `seconds` of silence before the response.
- `malformed`: one chunk whose bytes are not JSON; sync: a body cut in half.
- `silent`: a half-open connection. No more bytes, and no FIN or RST, until the client hangs up; with
  `seconds` > 0, the stream ends after that long as `truncated` does. Sync: no response at all until the
  client hangs up (or `seconds` pass: then the `truncated` body).
- `truncated`: the stream ends cleanly at a frame boundary without its closing events (ConverseStream: no
  messageStop, no metadata; InvokeModel: no chunk with the stop reason or `amazon-bedrock-invocationMetrics`),
  and the HTTP response ends normally. Sync: a well-framed 200 whose JSON body ends right after the first
  `after_tokens` answer tokens (botocore's Converse then returns no output at all, without an error).

Faults are set with `--fault KIND[,key=value...]` on the command line or `POST /_emulator/faults`, and apply
to every request. A fault posted with a `"session"` applies only to requests whose `x-bedrock-lab-session`
header carries that value: how the app's sidebar keeps one browser session's faults out of the others'.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import asdict, dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from .models import resolve

BEFORE: dict[str, tuple[str, str]] = {
    "throttling": ("ThrottlingException", "Too many requests, please wait before trying again."),
    "model_not_ready": ("ModelNotReadyException",
                        "Model is not ready to serve inference requests. Try again in a few moments."),
    "service_unavailable": ("ServiceUnavailableException", "Bedrock is unable to process your request."),
    "model_timeout": ("ModelTimeoutException",
                      "Model has timed out in processing the request. Try your request again."),
    "access_denied": ("AccessDeniedException", "You don't have access to the model with the specified model ID."),
    "context_window": ("ValidationException", "Input is too long for requested model."),
    "internal_error": ("InternalServerException",
                       "The system encountered an unexpected error during processing. Try your request again."),
}
DURING = ("stream_error", "cut", "stall", "malformed", "silent", "truncated")
ENDINGS = ("refusal", "pause_turn")
KINDS = tuple(BEFORE) + DURING + ENDINGS

STREAM_EXCEPTIONS: dict[str, tuple[str, str]] = {
    # event-stream exception type -> (status-code error for sync calls, message)
    "modelStreamErrorException": ("ModelErrorException", "The model encountered an error while streaming."),
    "throttlingException": ("ThrottlingException", "Too many requests, please wait before trying again."),
    "internalServerException": ("InternalServerException",
                                "The system encountered an unexpected error during processing. Try again."),
    "serviceUnavailableException": ("ServiceUnavailableException", "Bedrock is unable to process your request."),
    "validationException": ("ValidationException", "Input is too long for requested model."),
    "modelTimeoutException": ("ModelTimeoutException", "Model has timed out in processing the request."),
}


@dataclass(frozen=True)
class FaultText:
    """A fault in the words of the person demoing it: its name, and what the person asking then sees."""

    name: str
    effect: str


# What each fault looks like from a client that retries as boto3's standard mode does (throttling and 5xx
# statuses before a stream starts, never a stream that broke) and keeps the text that had arrived, as the lab does.
FAULT_TEXTS: dict[str, FaultText] = {
    "throttling": FaultText(
        "Throttled", "Bedrock turns the request away before any text (429, too many requests). The client retries; "
        "if every attempt is turned away, the answer is an error saying Bedrock is throttling."),
    "model_not_ready": FaultText(
        "Model not ready", "The model is still loading (429): retried like throttling, so the answer starts late, "
        "or fails saying the model is not ready."),
    "service_unavailable": FaultText(
        "Bedrock unavailable", "Bedrock fails before any text (503). The client retries; if every attempt fails, "
        "the answer is an error saying Bedrock failed."),
    "model_timeout": FaultText(
        "Model times out", "The model gives up before any text (408): an error says it took too long. It is not "
        "retried."),
    "access_denied": FaultText(
        "No access to the model", "Refused at once (403): an error says the account has no access to this model."),
    "context_window": FaultText(
        "Prompt too long", "Refused at once (400): an error says the conversation is longer than the model's "
        "context window."),
    "internal_error": FaultText(
        "Bedrock internal error", "Bedrock fails before any text (500). The client retries; if every attempt fails, "
        "the answer is an error saying Bedrock failed."),
    "stream_error": FaultText(
        "Stream breaks midway", "The answer stops part-way with an error from Bedrock; the text so far stays."),
    "cut": FaultText(
        "Connection drops midway", "The connection is cut part-way: the text so far stays, with an error saying the "
        "connection was lost."),
    "stall": FaultText(
        "Stream pauses midway", "The answer stops for the seconds set, then carries on. A pause longer than the "
        "client waits ends it with a timeout; the text so far stays."),
    "malformed": FaultText(
        "Garbled data midway", "A piece of the answer arrives unreadable: the answer stops there with an error; the "
        "text so far stays."),
    "silent": FaultText(
        "Connection goes quiet midway", "No more data, yet the connection stays open, until the client gives up: the "
        "text so far stays, with an error saying the connection went silent."),
    "truncated": FaultText(
        "Stream ends early", "The answer just ends part-way, without Bedrock's closing events: the text so far "
        "stays, marked as possibly cut short, and its token counts are unknown."),
    "refusal": FaultText(
        "Model refuses", "The answer ends part-way with the stop reason refusal, as Claude does when it declines."),
    "pause_turn": FaultText(
        "Model pauses its turn", "The answer ends part-way with the stop reason pause_turn, for the client to "
        "continue."),
}
EXCEPTION_NAMES: dict[str, str] = {  # the exception events of a broken stream, in words
    "modelStreamErrorException": "Model error",
    "throttlingException": "Throttled",
    "internalServerException": "Bedrock internal error",
    "serviceUnavailableException": "Bedrock unavailable",
    "validationException": "Input too long",
    "modelTimeoutException": "Model timed out",
}


@dataclass
class Fault:
    kind: str
    model_id: str | None = None  # base model id; None means any model
    count: int | None = 1  # requests still to affect; None means until cleared
    after_tokens: int = 0
    seconds: float = 0.0
    exception: str = "modelStreamErrorException"
    session: str | None = None  # the requests' x-bedrock-lab-session value; None means every request
    id: int = 0

    def __post_init__(self) -> None:
        check_session(self.session)
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; choose from {', '.join(KINDS)}")
        if self.exception not in STREAM_EXCEPTIONS:
            raise ValueError(f"unknown stream exception {self.exception!r}; "
                             f"choose from {', '.join(STREAM_EXCEPTIONS)}")
        if self.count is not None and self.count < 1:
            raise ValueError("count must be at least 1 (leave it out for a fault that stays)")
        if self.after_tokens < 0 or self.seconds < 0:
            raise ValueError("after_tokens and seconds cannot be negative")
        resolved = resolve(self.model_id) if self.model_id else None
        if resolved is not None:  # a profile id or an ARN names its base model, as requests are matched
            self.model_id = resolved.model.model_id

    @property
    def during_stream(self) -> bool:
        return self.kind in DURING

    @property
    def ending(self) -> bool:
        return self.kind in ENDINGS


def check_session(session: object) -> None:
    """A fault's or echo's session is a non-empty string, or None (global)."""
    if session is not None and (not isinstance(session, str) or not session):
        raise ValueError('"session" must be a non-empty string (or null for every request)')


_FIELDS = {"model": "model_id", "model_id": "model_id", "count": "count", "after": "after_tokens",
           "after_tokens": "after_tokens", "seconds": "seconds", "exception": "exception"}


def parse_fault(spec: str) -> Fault:
    """`stream_error,after=20,exception=throttlingException,model=ID,count=3` -> Fault."""
    kind, *pairs = [p.strip() for p in spec.split(",")]
    values: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or key not in _FIELDS:
            raise ValueError(f"cannot read {pair!r} in fault {spec!r}; keys: model, count, after, seconds, exception")
        name = _FIELDS[key]
        if name == "count":
            values[name] = None if value in ("always", "forever") else int(value)
        elif name == "after_tokens":
            values[name] = int(value)
        elif name == "seconds":
            values[name] = float(value)
        else:
            values[name] = value
    return Fault(kind, **values)


class _Countdown(Protocol):
    model_id: str | None
    count: int | None
    session: str | None
    id: int


T = TypeVar("T", bound=_Countdown)


@dataclass
class Book(Generic[T]):
    """Things waiting to happen to requests (faults, echoes), each for one model or any, one session's
    requests or all, for the next `count` requests or until cleared; shared by every request, so it takes
    a lock."""

    _items: list[T] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))  # type: ignore[type-arg]

    def add(self, item: T) -> T:
        with self._lock:
            item.id = next(self._ids)
            self._items.append(item)
        return item

    def take(self, model_id: str, session: str | None = None) -> T | None:
        """The first item that applies to a request for `model_id` from `session`, counting it as used: a
        session's own items and the global ones apply, never another session's."""
        with self._lock:
            for item in self._items:
                if item.model_id in (None, model_id) and item.session in (None, session):
                    if item.count is not None:
                        item.count -= 1
                        if item.count == 0:
                            self._items.remove(item)
                    return item
        return None

    def describe(self, session: str | None = None) -> list[dict[str, Any]]:
        """Every item, or with `session` only the items injected for that session (not the global ones)."""
        with self._lock:
            return [asdict(item) for item in self._items  # type: ignore[call-overload]
                    if session is None or item.session == session]

    def clear(self, session: str | None = None) -> None:
        """Remove every item, or with `session` only that session's own: one presenter's "Clear all"."""
        with self._lock:
            if session is None:
                self._items.clear()
            else:
                self._items[:] = [item for item in self._items if item.session != session]


class FaultBook(Book[Fault]):
    """The faults waiting to happen."""
