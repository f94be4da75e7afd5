"""Faults on demand: what the emulator should get wrong, for which model, and how many times.

A fault either answers a request with an error before any stream starts (`BEFORE`), or breaks a
response after `after_tokens` output tokens (`DURING`: an exception event, a cut connection, a
stall, a malformed chunk). Sync requests get the nearest equivalent of a `DURING` fault. An `ENDING`
is not an error: the answer stops after `after_tokens` tokens with that stop reason (Claude's
`refusal`, with its `stop_details`, and `pause_turn`), as a normal HTTP 200 response.

Faults are set with `--fault KIND[,key=value...]` on the command line or `POST /_emulator/faults`.
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
DURING = ("stream_error", "cut", "stall", "malformed")
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


@dataclass
class Fault:
    kind: str
    model_id: str | None = None  # base model id; None means any model
    count: int | None = 1  # requests still to affect; None means until cleared
    after_tokens: int = 0
    seconds: float = 0.0
    exception: str = "modelStreamErrorException"
    id: int = 0

    def __post_init__(self) -> None:
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
    id: int


T = TypeVar("T", bound=_Countdown)


@dataclass
class Book(Generic[T]):
    """Things waiting to happen to requests (faults, echoes), each for one model or any, for the next
    `count` requests or until cleared; shared by every request, so it takes a lock."""

    _items: list[T] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))  # type: ignore[type-arg]

    def add(self, item: T) -> T:
        with self._lock:
            item.id = next(self._ids)
            self._items.append(item)
        return item

    def take(self, model_id: str) -> T | None:
        """The first item that applies to a request for `model_id`, counting it as used."""
        with self._lock:
            for item in self._items:
                if item.model_id in (None, model_id):
                    if item.count is not None:
                        item.count -= 1
                        if item.count == 0:
                            self._items.remove(item)
                    return item
        return None

    def describe(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(item) for item in self._items]  # type: ignore[call-overload]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


class FaultBook(Book[Fault]):
    """The faults waiting to happen."""
