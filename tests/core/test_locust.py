"""Locust: a master and two workers on loopback run the lab's own benchmark against the emulator, each request
exactly once, into one history, with Locust's statistics agreeing; and the parts that need no Locust process.

The distributed test starts real processes (`python -m locust`, as the README's commands do) and is the only
one that does: Locust's start-up is about a second a process.
"""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path

import pytest

from core import bench, load_report, locustfile
from core.emulator import EmbeddedEmulator
from core.history import History
from core.load.figures import STEP_NOTE, Slos
from core.load.patterns import WARMUP_STEP, LoadPattern
from core.load.workloads import Prompt

from ..models import CLAUDE, FAST

SHORT = bench.PROMPT_SETS["short"]


def spec(**fields: object) -> bench.BenchmarkSpec:
    values: dict[str, object] = {"runs_per_model": 8, "concurrency": 4, "max_tokens": 64}
    values.update(fields)
    return bench.BenchmarkSpec((FAST, CLAUDE), SHORT.prompts, **values)  # type: ignore[arg-type]


def test_a_master_and_two_workers_run_every_request_once_into_one_history(
        emulator: EmbeddedEmulator, tmp_path: Path) -> None:
    planned = spec(warmup_requests=2)
    total = len(bench.plan(planned))
    history_file = tmp_path / "history.sqlite"
    env = {**os.environ, "BEDROCK_LAB_HISTORY": str(history_file)}
    log_path = tmp_path / "locust.log"
    with log_path.open("w") as log:
        code = locustfile.run_locally(planned, workers=2, users=4, emulator_url=emulator.url,
                                      report_folder=tmp_path / "report", stats_prefix=tmp_path / "stats",
                                      log=log, env=env)
    output = log_path.read_text()
    assert code == 0, output[-3000:]
    assert "2 workers connected" in output
    assert f"{total} of {total} runs recorded, 0 failed, by 2 workers" in output

    runs = History(history_file).runs(benchmark_id=planned.benchmark_id)
    assert len(runs) == total == 18
    assert runs["run_id"].is_unique
    assert set(runs["status"]) == {"ok"} and set(runs["backend"]) == {"emulator"}
    assert sorted(runs["model_id"].value_counts().tolist()) == [9, 9]  # each model as often as the plan asks
    steps = runs["notes"].map(lambda notes: [n for n in notes if n.startswith(STEP_NOTE)])
    assert steps.map(len).eq(1).all()
    assert sorted(steps.map(lambda n: n[0]).value_counts().items()) == [
        (STEP_NOTE + "locust, 4 users", 16), (STEP_NOTE + WARMUP_STEP, 2)]

    with (tmp_path / "stats_stats.csv").open() as stats_file:
        stats = list(csv.DictReader(stats_file))
    runs_counted = {(row["Type"], row["Name"]): int(row["Request Count"]) for row in stats if row["Type"]}
    assert runs_counted == {("invoke/stream", FAST): 9, ("invoke/stream", CLAUDE): 9,
                            (locustfile.TTFT_ENTRY, FAST): 9, (locustfile.TTFT_ENTRY, CLAUDE): 9}
    assert sum(int(row["Failure Count"]) for row in stats) == 0

    [report_json] = (tmp_path / "report").glob("*.json")
    assert {r.run_id for r in load_report.read_records(report_json)} == set(runs["run_id"])
    assert "every planned request finished" in (tmp_path / "report" / report_json.with_suffix(".html").name).read_text()


def test_the_benchmark_reaches_the_workers_whole() -> None:
    planned = spec(slos=Slos(ttft_ms=2000, tpot_ms=50), warmup_requests=3, max_errors=5, cache_buster=True,
                   replay=(Prompt("Say hello", 32, "Be brief"), Prompt("Say goodbye")), effort=None)
    again = locustfile.spec_from_json(locustfile.spec_to_json(planned))
    assert again == planned
    assert isinstance(again.slos, Slos) and isinstance(again.replay[0], Prompt)
    asked = [r.chat.messages[-1].text for r in bench.plan(again)]
    assert asked[3].endswith("Say hello") and asked[3] != asked[4]  # the replayed prompt, busted per request


def test_what_locust_cannot_run_is_refused_before_any_process_starts(tmp_path: Path) -> None:
    with pytest.raises(bench.InvalidBenchmark, match="sweep"):
        locustfile.run_locally(spec(pattern=LoadPattern("sweep", 4)), workers=2)
    with pytest.raises(bench.InvalidBenchmark, match="worker"):
        locustfile.run_locally(spec(), workers=0)
    with pytest.raises(bench.InvalidBenchmark, match="not a benchmark"):
        locustfile.spec_from_json('{"model_ids": ["x"], "nonsense": 1}')


def test_the_master_hands_each_request_out_once_and_stops_at_the_last_record_or_the_error_limit() -> None:
    def record(run_id: str, status: str = "ok") -> locustfile.RunRecord:
        return locustfile.RunRecord(run_id, "2026-12-01T10:00:00+00:00", FAST, "amazon", "invoke", "stream",
                                    "emulator", status=status)  # type: ignore[arg-type]

    tally = locustfile.Tally(["c=1"] * 3)
    assert [tally.next_index() for _ in range(5)] == [0, 1, 2, None, None]
    assert not tally.take(record("a"), "w1")
    assert not tally.take(record("a"), "w1")  # a message delivered twice counts once
    assert not tally.take(record("b"), "w2")
    assert tally.take(record("c"), "w2") and tally.stop_reason == "every planned request finished"
    assert tally.describe() == "3 of 3 runs recorded, 0 failed, by 2 workers (1, 2)"

    limited = locustfile.Tally(["c=1"] * 10, max_errors=2)
    assert not limited.take(record("a", "error"), "w1")
    assert limited.take(record("b", "error"), "w1") and limited.stop_reason is not None
    assert "limit was 2" in limited.stop_reason
    assert limited.next_index() is None  # nothing more is handed out once the test must end


def test_importing_the_locustfile_leaves_the_process_unpatched() -> None:
    # Locust patches every socket and thread with gevent on import: the CLI that calls run_locally must not be.
    assert "locust" not in sys.modules and "gevent" not in sys.modules
    assert not hasattr(locustfile, "LabUser")
