"""Several runs at once, for the Compare page: sync against stream, and models side by side.

Each run is read to its end on a worker thread of its own (a `Lane`), so every stream is read as
its bytes arrive and `core.streaming.Run` takes its timestamps there, whatever the page is doing;
the page's script thread only looks at the lanes and draws. The lanes of one comparison start
their requests at the same moment (a barrier), and share a compare group in the history.
"""

from __future__ import annotations

import dataclasses
import threading
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from . import analytics
from .errors import LabError
from .history import records_frame
from .settings import LabSettings
from .streaming import LiveProgress, Run, RunRequest, start
from .types import Message, RunRecord

MIN_PANELS, MAX_PANELS = 2, 4
REPEAT_PERCENTILES = (0.5, 0.9)


def new_group() -> str:
    """A compare-group id: the runs of one comparison share it in the history."""
    return "cmp-" + uuid.uuid4().hex[:12]


def request_for(settings: LabSettings, messages: Sequence[Message], *, stream: bool | None = None,
                session_id: str | None = None, compare_group: str | None = None) -> RunRequest:
    """The request a panel sends: its settings, the conversation so far, and the comparison's group."""
    chat = settings.chat_request(messages)
    streaming = settings.streaming if stream is None else stream and settings.model.streaming
    return RunRequest(settings.model_id, chat, api=settings.api, stream=streaming, backend=settings.backend,
                      region=settings.region, profile=settings.profile, max_attempts=settings.max_attempts,
                      read_timeout_s=settings.read_timeout_s, idle_timeout_s=settings.idle_timeout_s,
                      session_id=session_id, compare_group=compare_group)


class Lane:
    """One run, read to its end on its own thread; the script thread only looks at it."""

    def __init__(self, run: Run, ready: threading.Barrier) -> None:
        self.run = run
        self._ready = ready
        self._thread = threading.Thread(target=self._read, name=f"lane-{run.request.model_id}", daemon=True)

    def _read(self) -> None:
        try:
            self._ready.wait()  # every lane of the comparison sends its request at the same moment
        except threading.BrokenBarrierError:
            pass
        try:
            self.run.result()
        except LabError:
            pass  # the run's record and `failure` say what went wrong; the panel shows it

    @property
    def done(self) -> bool:
        return not self._thread.is_alive()

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


def start_lanes(requests: Sequence[RunRequest], *, on_finish: Callable[[RunRecord], None] | None = None,
                client: Any = None) -> list[Lane]:
    """Start every request at once, each on its own thread."""
    ready = threading.Barrier(len(requests))
    lanes = [Lane(start(request, on_finish=on_finish, client=client), ready) for request in requests]
    for lane in lanes:
        lane._thread.start()
    return lanes


def stop_lanes(lanes: Sequence[Lane], *, wait_s: float = 2.0) -> None:
    """Stop every lane: streams close at once and keep their partial text (recorded as cancelled); a sync
    request already sent ends when its answer comes, also recorded as cancelled."""
    for lane in lanes:
        lane.run.cancel()
    for lane in lanes:
        if lane.run.request.stream:
            lane.join(wait_s)


# -- what the page shows when a comparison is over -----------------------------------------------


def perceived_wait_ms(record: RunRecord) -> float | None:
    """How long the user waited for the first words: TTFT for a stream, the whole E2E for a sync call."""
    return record.ttft_ms if record.mode == "stream" else record.e2e_ms


def streaming_gain_ms(stream: RunRecord, sync: RunRecord) -> float | None:
    """How much sooner the first words appeared with streaming than the sync answer did."""
    if stream.status != "ok" or sync.status != "ok" or stream.ttft_ms is None or sync.e2e_ms is None:
        return None
    return sync.e2e_ms - stream.ttft_ms


def headline(stream: RunRecord, sync: RunRecord) -> str | None:
    """One sentence on what streaming bought, e.g. "First words 4.8 s sooner with streaming"."""
    gain_ms = streaming_gain_ms(stream, sync)
    if gain_ms is None:
        return None
    if gain_ms >= 0:
        return f"First words {gain_ms / 1000:.1f} s sooner with streaming"
    return f"The complete sync answer came {-gain_ms / 1000:.1f} s before the stream's first words"


def badges(records: Sequence[RunRecord]) -> dict[str, list[str]]:
    """Per run id, the badges it earned among the runs that finished ok: fastest first token (perceived
    wait, so a sync run competes with its whole wait), fastest decode, cheapest. Ties share a badge; a
    badge needs at least two runs that have the figure."""
    earned: dict[str, list[str]] = {record.run_id: [] for record in records}
    ok = [r for r in records if r.status == "ok"]
    for badge, value, best in (("Fastest first token", perceived_wait_ms, min),
                               ("Fastest decode", lambda r: r.tokens_per_s, max),
                               ("Cheapest", lambda r: r.cost_usd, min)):
        scored: list[tuple[RunRecord, float]] = [(r, v) for r in ok if (v := value(r)) is not None]
        if len(scored) < 2:
            continue
        top = best(v for _, v in scored)
        for record, v in scored:
            if v == top:
                earned[record.run_id].append(badge)
    return earned


def tokens_timeline(record: RunRecord, timeline: Sequence[tuple[float, int]]) -> list[tuple[float, float]]:
    """Cumulative output tokens over time (seconds), from when the characters arrived, scaled so the last
    point is the run's output tokens (chunks carry no token counts of their own)."""
    if not timeline or not record.output_tokens:
        return []
    total_chars = timeline[-1][1] or 1
    return [(0.0, 0.0), *((at_ms / 1000, chars / total_chars * record.output_tokens) for at_ms, chars in timeline)]


def chars_timeline(record: RunRecord, timeline: Sequence[tuple[float, int]]) -> list[tuple[float, float]]:
    """Characters visible to the user over time (seconds): a stream grows from its TTFT, a sync answer
    appears whole at its end-to-end time."""
    if record.mode == "sync":
        if record.e2e_ms is None:
            return []
        shown = len(record.text) if record.status == "ok" else 0
        return [(0.0, 0), (record.e2e_ms / 1000, 0), (record.e2e_ms / 1000, shown)]
    end = [(record.e2e_ms / 1000, timeline[-1][1])] if timeline and record.e2e_ms is not None else []
    return [(0.0, 0), *((at_ms / 1000, chars) for at_ms, chars in timeline), *end]


def repeat_order(index: int) -> tuple[bool, bool]:
    """Which mode goes first in repeat `index`: stream first on even repeats, sync first on odd ones."""
    return (True, False) if index % 2 == 0 else (False, True)


def repeat_table(records: Sequence[RunRecord]) -> pd.DataFrame:
    """p50 and p90 with n of stream TTFT, stream E2E and sync E2E over repeated runs that finished ok; a
    percentile needs enough runs (DESIGN.md's rule), else it is missing."""
    frame = records_frame(records) if records else records_frame([])
    rows = []
    for label, mode, metric in (("Stream time to first token (ms)", "stream", "ttft_ms"),
                                ("Stream end-to-end (ms)", "stream", "e2e_ms"),
                                ("Sync end-to-end (ms)", "sync", "e2e_ms")):
        chosen = frame[(frame["status"] == "ok") & (frame["mode"] == mode)].assign(what=label)
        table = analytics.percentiles_by(chosen, "what", metric, REPEAT_PERCENTILES)
        rows.append(table.reindex([label]).fillna({"n": 0}))
    table = pd.concat(rows)
    table["n"] = table["n"].astype("int64")
    table.index.name = "metric"
    return table


def panel_settings(base: LabSettings, *, model: Any = None, api: str | None = None, stream: bool | None = None,
                   max_tokens: int | None = None, temperature: float | None = None,
                   top_p: float | None = None, effort: str | None = None) -> LabSettings:
    """The sidebar's settings with a panel's own choices on top (None keeps the sidebar's)."""
    changes: dict[str, Any] = {name: value for name, value in (
        ("model", model), ("api", api), ("stream", stream), ("max_tokens", max_tokens),
        ("temperature", temperature), ("top_p", top_p), ("effort", effort)) if value is not None}
    if model is not None and max_tokens is None and model.max_output_tokens:
        changes["max_tokens"] = min(base.max_tokens, model.max_output_tokens)
    return dataclasses.replace(base, **changes)
