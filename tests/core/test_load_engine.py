"""The multi-process runner against the emulator: an exact merge of the workers' raw records, the schedule kept
across workers, and a cancel that reaches every worker."""

from __future__ import annotations

import dataclasses
import multiprocessing
import threading
import time
from collections import Counter
from typing import Any

from core import bench
from core.load import engine
from core.load.patterns import LoadPattern
from core.streaming import RunRequest
from core.types import RunRecord
from tests.conftest import client_for

from ..models import CLAUDE, FAST

# Fields every ok stream record has; a record rebuilt wrong on the way back from a worker would lack some.
ALWAYS_SET = ("run_id", "started_utc", "ttft_ms", "first_event_ms", "e2e_ms", "tokens_per_s", "tpot_ms",
              "input_tokens", "output_tokens", "tokens_source", "stop_reason", "text", "request_json", "cost_usd",
              "benchmark_id", "user_name", "host", "gap_p50_ms")


def requests(count: int) -> list[RunRequest]:
    spec = bench.BenchmarkSpec((FAST, CLAUDE), bench.PROMPT_SETS["short"].prompts, 64, runs_per_model=count // 2)
    return bench.plan(spec)


def test_two_workers_return_every_record_once_the_same_as_one_process(emulator: Any) -> None:
    planned = requests(40)
    seen: list[RunRecord] = []
    workers: set[str] = set()

    def look(state: engine.EngineState) -> None:
        workers.update(p.name for p in multiprocessing.active_children() if p.name.startswith("load-worker"))

    spread = engine.run_requests(planned, processes=2, concurrency=6, on_record=seen.append, on_tick=look,
                                 tick_s=0.02, client=client_for(emulator.url))
    alone = engine.run_requests(planned, processes=1, concurrency=6, client=client_for(emulator.url))
    assert workers == {"load-worker-0", "load-worker-1"}  # it did spread over two processes
    assert len(spread) == len({r.run_id for r in spread}) == 40 and seen == spread  # once each, and to on_record
    assert Counter(r.model_id for r in spread) == Counter(r.model_id for r in alone) == {FAST: 20, CLAUDE: 20}
    assert {r.status for r in spread} == {"ok"}
    for record in spread:
        assert all(getattr(record, name) not in (None, "") for name in ALWAYS_SET), record
    # The emulator answers a prompt the same way whoever sends it: the same texts and counts, per prompt.
    def answers(records: list[RunRecord]) -> Counter[tuple[Any, ...]]:
        return Counter((r.model_id, r.request_json, r.text, r.output_tokens, r.input_tokens) for r in records)
    assert answers(spread) == answers(alone)
    assert set(dataclasses.asdict(spread[0])) == set(dataclasses.asdict(alone[0]))


def test_the_parent_hands_out_requests_on_schedule_across_workers(emulator: Any) -> None:
    from datetime import datetime

    schedule = [k * 0.05 for k in range(12)]
    records = engine.run_requests(requests(12), processes=2, concurrency=4, schedule=schedule,
                                  client=client_for(emulator.url))
    assert len(records) == 12
    # Each run starts (its record's started_utc, to the millisecond) when it is handed out: on schedule, whichever
    # worker took it. The schedule's own origin is not in the records, so what is checked is that every run is as
    # late as the others give or take a queue hop: the spread of (start - due) stays within 0.15 s.
    starts = sorted(datetime.fromisoformat(r.started_utc).timestamp() for r in records)
    late = [at - due for at, due in zip(starts, schedule, strict=True)]
    assert max(late) - min(late) <= 0.15, [round(x - min(late), 3) for x in late]


def test_a_cancel_stops_every_worker_and_keeps_what_finished(emulator: Any, control: Any) -> None:
    control.request("POST", "/_emulator/config", {"time_scale": 1})
    control.request("POST", "/_emulator/profiles", {"model_id": CLAUDE, "ttft_ms": 50, "tokens_per_s": 5,
                                                    "chunk_tokens": [1, 1]})  # a 64-token answer: about 13 s
    control.request("POST", "/_emulator/profiles", {"model_id": FAST, "ttft_ms": 20, "tokens_per_s": 5000})
    cancel = threading.Event()
    kept: list[RunRecord] = []

    def stop_after_the_first(record: RunRecord) -> None:
        kept.append(record)
        cancel.set()

    started = time.monotonic()
    records = engine.run_requests(requests(40), processes=2, concurrency=8, on_record=stop_after_the_first,
                                  cancel=cancel, client=client_for(emulator.url))
    assert time.monotonic() - started < 8  # the slow streams were hung up, not waited for
    statuses = Counter(r.status for r in records)
    assert statuses["ok"] >= 1 and statuses["cancelled"] >= 1 and len(records) < 40
    assert records == kept and all(r.e2e_ms is not None for r in records)


def test_a_benchmark_records_its_steps_in_the_history(emulator: Any, tmp_path: Any) -> None:
    from core.history import History

    history = History(tmp_path / "history.sqlite")
    spec = bench.BenchmarkSpec((FAST,), ("Say hi.",), 32, runs_per_model=6, warmup_requests=2,
                               pattern=LoadPattern("sweep", 4, levels=(2, 4)))
    result = bench.run_benchmark(spec, on_record=history.record_run, client=client_for(emulator.url))
    stored = history.runs(benchmark_id=spec.benchmark_id)
    steps = Counter(next(n for n in notes if n.startswith("load step: ")) for notes in stored["notes"])
    assert steps == {"load step: warm-up": 2, "load step: c=2": 6, "load step: c=4": 6}
    assert result.stop_reason == bench.FINISHED and list(result.step_ends) == ["warm-up", "c=2", "c=4"]
    assert list(result.figures()["step"]) == ["c=2", "c=4"]  # the warm-up is recorded, not a figure
