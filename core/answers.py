"""Answers as the pages show them: the typed value of an answer that has ended, and the answers being streamed.

    Flight            requests in batches, read on worker threads whatever page is open (or none)
      └─ Lane         one run read to its end on a thread of its own; the script thread only looks at it
    Answer            what an answer is once it has ended: text, status, author, record, problem
      ├─ Author       the model, API and mode that wrote it
      └─ Problem      an error as the user reads it: title, what to do, and the code

A page starts a `Flight` and keeps it in the session's `Flights`; the app's frame lands every flight that has ended,
on every script run, whichever page is open; so an answer goes on streaming while the user looks at another page
and is there, finished or still going, when they come back. Only `Flight.stop` (the Stop button) stops one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from . import catalog, errors
from .errors import LabError
from .streaming import API_NAMES, RESTART_NOTICE, LiveProgress, Run, RunRequest, start
from .types import RunRecord

Status = Literal["ok", "error", "cancelled"]
POLL_S = 0.05  # how often a follower looks at a run for new text
STOP_WAIT_S = 2.0  # how long Stop waits for the streams it closes to record themselves


@dataclass(frozen=True)
class Problem:
    """An error as the user reads it where the answer would have been: what happened, what to do, and the code."""

    title: str
    action: str
    code: str
    message: str

    @classmethod
    def of(cls, record: RunRecord, failure: LabError | None = None) -> Problem:
        """The run's own error when it is at hand, else as the record describes it (a conversation reopened)."""
        code, message = record.error_code or "", record.error_message or ""
        if failure is not None:
            return cls(failure.title, failure.action, code or failure.code, message or failure.message)
        title, action = errors.explain(code, message)
        return cls(title, action, code, message)


@dataclass(frozen=True)
class Author:
    """Who wrote an answer: the model (its display name and id), the API and the mode."""

    model_id: str
    name: str
    vendor: str
    api: str
    mode: Literal["stream", "sync"]

    @classmethod
    def of(cls, model_id: str, api: str, stream: bool) -> Author:
        try:
            model = catalog.resolve(model_id)
            name, vendor = model.name, model.vendor
        except catalog.UnknownModelError:
            name, vendor = model_id, ""
        return cls(model_id, name, vendor, api, "stream" if stream else "sync")

    @property
    def api_name(self) -> str:
        return API_NAMES.get(self.api, self.api)  # type: ignore[call-overload,no-any-return]

    @property
    def label(self) -> str:
        """"Claude Sonnet 4.5 · Converse · streaming": what every answer says of itself."""
        return f"{self.name} · {self.api_name} · {'streaming' if self.mode == 'stream' else 'sync'}"


@dataclass(frozen=True)
class Question:
    """A user's turn."""

    text: str
    role: Literal["user"] = "user"


@dataclass(frozen=True)
class Answer:
    """An answer that has ended (ok, failed or stopped), with everything a page draws of it and what sent it.

    `record` is None only for a sync request stopped while it waited: nothing had arrived to show. `earlier` are the
    billed attempts a Continue built on (their text is the start of this one's)."""

    text: str
    status: Status
    run_id: str
    author: Author
    record: RunRecord | None = None
    problem: Problem | None = None
    timeline: tuple[tuple[float, int], ...] = ()
    request: RunRequest | None = None
    earlier: tuple[RunRecord, ...] = ()
    role: Literal["assistant"] = "assistant"

    @classmethod
    def of(cls, run: Run, record: RunRecord | None) -> Answer:
        """A run that has ended (or was stopped) as an answer."""
        request = run.request
        author = Author.of(request.model_id, request.api, request.stream)
        if record is None:
            return cls(run.text_so_far, "cancelled", run.run_id, author, request=request)
        problem = Problem.of(record, run.failure) if record.status == "error" else None
        return cls(record.text, record.status, record.run_id, author, record, problem,
                   tuple(run.timeline()), request)

    @classmethod
    def from_record(cls, record: RunRecord, text: str | None = None, status: str | None = None) -> Answer:
        """An answer as the history keeps it (a reopened conversation): its error keeps its title and advice."""
        problem = Problem.of(record) if record.status == "error" else None
        return cls(record.text if text is None else text, (status or record.status),  # type: ignore[arg-type]
                   record.run_id, Author.of(record.model_id, record.api, record.mode == "stream"), record, problem)

    @property
    def records(self) -> tuple[RunRecord, ...]:
        """Every billed attempt behind this answer, the earlier ones first."""
        return (*self.earlier, *((self.record,) if self.record is not None else ()))


Turn = Question | Answer


# -- answers being streamed ------------------------------------------------------------------------


class Lane:
    """One run, read to its end on its own thread; the script thread only looks at it."""

    def __init__(self, run: Run, ready: threading.Barrier | None = None) -> None:
        self.run = run
        self._ready = ready
        self._thread = threading.Thread(target=self._read, name=f"lane-{run.request.model_id}", daemon=True)

    def _read(self) -> None:
        if self._ready is not None:
            try:
                self._ready.wait()  # every lane of a batch sends its request at the same moment
            except threading.BrokenBarrierError:
                pass
        try:
            self.run.result()
        except LabError:
            pass  # the run's record and `failure` say what went wrong; the page shows it

    @property
    def done(self) -> bool:
        return self._thread.ident is not None and not self._thread.is_alive()

    @property
    def text(self) -> str:
        return self.run.text_so_far

    def live(self) -> LiveProgress:
        return self.run.live()

    @property
    def record(self) -> RunRecord | None:
        """The run's record once its thread has finished, else None."""
        return self.run.record if self.done else None

    def join(self, timeout_s: float | None = None) -> bool:
        self._thread.join(timeout_s)
        return self.done

    def answer(self) -> Answer:
        """The lane as an answer: its record once it has ended; a sync request stopped before its answer came has
        none (it records itself, as cancelled, when the answer comes)."""
        return Answer.of(self.run, self.record)


def start_lanes(requests: Sequence[RunRequest], *, on_finish: Callable[[RunRecord], None] | None = None,
                client: Any = None) -> list[Lane]:
    """Start every request at once, each on its own thread."""
    ready = threading.Barrier(len(requests)) if len(requests) > 1 else None
    lanes = [Lane(start(request, on_finish=on_finish, client=client), ready) for request in requests]
    for lane in lanes:
        lane._thread.start()
    return lanes


def stop_lanes(lanes: Sequence[Lane], *, wait_s: float = STOP_WAIT_S) -> None:
    """Stop every lane: streams close at once and keep their partial text (recorded as cancelled); a sync
    request already sent ends when its answer comes, also recorded as cancelled."""
    for lane in lanes:
        lane.run.cancel()
    for lane in lanes:
        if lane.run.request.stream:
            lane.join(wait_s)


class Flight:
    """Answers being streamed: `batches` of requests, each batch's requests sent at the same moment and the batches
    one after another, on a worker thread, so they go on whatever the page's script does. It ends when every batch
    has, or when `stop()` was called and its streams have closed.

    `on_land` puts the answers where the page shows them; `land()` calls it exactly once, from whichever script run
    sees the flight end first (the page following it, or the app's frame on a later run)."""

    def __init__(self, batches: Sequence[Sequence[RunRequest]], *, on_land: Callable[[Flight], None],
                 on_finish: Callable[[RunRecord], None] | None = None, client: Any = None) -> None:
        self.batches = [list(batch) for batch in batches]
        self.lanes: list[Lane] = []  # every lane started so far, in request order
        self.batch = 0  # the batch running now (or the last one)
        self.on_land = on_land
        self._on_finish, self._client = on_finish, client
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._landed = False
        self._thread = threading.Thread(target=self._drive, name="flight", daemon=True)

    def start(self) -> Flight:
        self._thread.start()
        return self

    def _drive(self) -> None:
        for index, batch in enumerate(self.batches):
            if self._stop.is_set():
                return
            with self._lock:
                if self._stop.is_set():  # stop() came while this batch was being started
                    return
                lanes = start_lanes(batch, on_finish=self._on_finish, client=self._client)
                self.batch = index
                self.lanes.extend(lanes)
            for lane in lanes:
                lane.join()

    def stop(self, wait_s: float = STOP_WAIT_S) -> None:
        """Stop every answer: streams close now and keep their text; no further batch starts."""
        with self._lock:
            self._stop.set()
            lanes = list(self.lanes)
        stop_lanes(lanes, wait_s=wait_s)

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    @property
    def done(self) -> bool:
        """Ended: every batch has, or Stop came and the streams it closed have recorded themselves (a sync request
        already sent may still be waiting for its answer: it lands as stopped, without one)."""
        if self._thread.ident is None:
            return False
        if not self._thread.is_alive():
            return all(lane.done for lane in self.lanes)
        return self.stopped and all(lane.done for lane in self.lanes if lane.run.request.stream)

    def current(self) -> list[Lane]:
        """The lanes of the batch running now (or of the last one)."""
        with self._lock:
            size = len(self.batches[self.batch]) if self.batches else 0
            return self.lanes[-size:] if size and len(self.lanes) >= size else []

    def wait(self, timeout_s: float) -> bool:
        """Wait up to `timeout_s` for the flight to end."""
        deadline = time.monotonic() + timeout_s
        while not self.done:
            if time.monotonic() >= deadline:
                return False
            time.sleep(min(POLL_S, max(0.0, deadline - time.monotonic())))
        return True

    def land(self) -> bool:
        """Hand the answers to `on_land` if the flight has ended and nobody has yet; True if this call did."""
        with self._lock:
            if self._landed or not self.done:
                return False
            self._landed = True
        self.on_land(self)
        return True

    @property
    def landed(self) -> bool:
        return self._landed


@dataclass
class Flights:
    """A session's answers being streamed, by the page slot that shows them ("chat", "compare")."""

    by_slot: dict[str, Flight] = field(default_factory=dict)

    def launch(self, slot: str, flight: Flight) -> Flight:
        """Start a flight in `slot`; one already there is stopped and landed first."""
        earlier = self.by_slot.get(slot)
        if earlier is not None and not earlier.landed:
            earlier.stop()
            earlier.wait(STOP_WAIT_S)
            earlier.land()
        self.by_slot[slot] = flight.start()
        return flight

    def get(self, slot: str) -> Flight | None:
        """The flight in `slot`, while it has not landed."""
        flight = self.by_slot.get(slot)
        return None if flight is None or flight.landed else flight

    def settle(self) -> None:
        """Land every flight that has ended (the app's frame calls this on every script run, whatever page)."""
        for slot, flight in list(self.by_slot.items()):
            if flight.landed or flight.land():
                self.by_slot.pop(slot, None)


# -- following an answer as it streams (the page's script thread) ----------------------------------


def follow_reasoning(lane: Lane, poll_s: float = POLL_S) -> Iterator[str]:
    """The reasoning text as it arrives, until the answer's first text (or the end): what is there already comes at
    once (a page that came back to a running answer)."""
    shown = 0
    while True:
        answered = lane.run.live().ttft_ms is not None
        ended = lane.done
        reasoning = lane.run.reasoning_so_far
        if len(reasoning) > shown:
            yield reasoning[shown:]
            shown = len(reasoning)
        if answered or ended:
            return
        time.sleep(poll_s)


def follow_text(lane: Lane, poll_s: float = POLL_S) -> Iterator[str]:
    """The answer text as it arrives, until the run ends: what is there already comes at once. A restart after the
    stream broke shows a visible notice, and the new attempt's text follows it (what was on screen stays)."""
    shown, restarts = 0, lane.run.restarts
    while True:
        ended = lane.done
        now_restarts = lane.run.restarts
        if now_restarts != restarts:
            restarts, shown = now_restarts, 0
            yield RESTART_NOTICE
        text = lane.text
        if len(text) > shown:
            yield text[shown:]
            shown = len(text)
        if ended:
            return
        time.sleep(poll_s)
