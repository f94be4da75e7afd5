"""The benchmark runner against the emulator over HTTP: plan, progress, cancel, history, and `python -m core bench`."""

from __future__ import annotations

import csv
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from core import bench, catalog
from core.emulator import models as emulated
from core.history import History
from tests.conftest import client_for

from ..models import BENCH, CLAUDE, FAST, NOT_STREAMING, ONE_SAMPLING, PLAIN_SERVING, TIERED_REASONER, call_id

ROOT = Path(__file__).resolve().parents[2]
NOVA, HAIKU, J2 = FAST, CLAUDE, NOT_STREAMING  # fast on demand, the default Claude (a profile id), no streaming
SHORT = bench.PROMPT_SETS["short"]
# The current model that writes the least: max tokens above its limit is refused before anything is sent.
SHORT_WRITER = min((m for m in catalog.listed_models() if m.lifecycle == "active" and m.max_output_tokens),
                   key=lambda m: m.max_output_tokens or 0)
# The emulator's slowest writer among the table's current models: a medium answer takes it several seconds.
SLOW = call_id(catalog.resolve(min(
    (m for m in emulated.MODELS if m.streaming and m.lifecycle.status == "ACTIVE"
     and catalog.resolve(m.model_id).lifecycle == "active"), key=lambda m: m.latency.tokens_per_s).model_id))


def spec(models: tuple[str, ...] = (NOVA, HAIKU), **fields: Any) -> bench.BenchmarkSpec:
    values: dict[str, Any] = {"runs_per_model": 3, "concurrency": 2}
    return bench.BenchmarkSpec(models, SHORT.prompts, SHORT.max_tokens, **{**values, **fields})


# -- the plan ----------------------------------------------------------------------------------------


def test_the_plan_interleaves_models_and_modes_and_cycles_prompts() -> None:
    requests = bench.plan(spec(runs_per_model=6, modes=("stream", "sync")))
    assert len(requests) == 24
    assert [(r.model_id, r.stream) for r in requests[:4]] == [(NOVA, True), (HAIKU, True), (NOVA, False),
                                                              (HAIKU, False)]
    prompts = [r.chat.messages[0].text for r in requests[::4]]
    assert prompts == [*SHORT.prompts, SHORT.prompts[0]]
    assert len({r.benchmark_id for r in requests}) == 1 and all(r.chat.max_tokens == 128 for r in requests)


def test_a_model_that_cannot_stream_runs_sync_and_says_so() -> None:
    chosen = spec((NOVA, J2), modes=("stream", "sync"))
    requests = bench.plan(chosen)
    assert sorted((r.model_id, r.stream) for r in requests if r.chat.messages[0].text == SHORT.prompts[0]) == [
        (J2, False), (NOVA, False), (NOVA, True)]
    assert bench.notes(chosen) == [f"{J2} does not stream: its runs are sync calls."]


def test_every_problem_is_named_before_anything_is_sent() -> None:
    limit = SHORT_WRITER.max_output_tokens or 0
    wrong = bench.BenchmarkSpec(("arn:aws:bedrock", "acme.nothing-v1", call_id(SHORT_WRITER)), ("  ",), limit + 1,
                                runs_per_model=0, concurrency=bench.MAX_CONCURRENCY + 1)
    with pytest.raises(bench.InvalidBenchmark) as raised:
        bench.plan(wrong)
    message = str(raised.value)
    # A malformed reference is no model at all; an id the table does not know can only go through Converse.
    for expected in ("unknown model 'arn:aws:bedrock'",
                     "acme.nothing-v1 cannot be asked through InvokeModel by the lab: use --api converse",
                     f"max tokens must be between 1 and {limit:,} for {SHORT_WRITER.name}, not {limit + 1:,}",
                     "at least one prompt",
                     "runs per model must be between 1 and", "concurrency must be between 1 and 4096"):
        assert expected in message
    with pytest.raises(bench.InvalidBenchmark, match="choose at least one model"):
        bench.check(spec(()))


def test_progress_describes_the_time_left() -> None:
    assert bench.Progress(0, 40, 0, 0.1, None).describe() == "0 of 40 runs · estimating the time left…"
    assert bench.Progress(10, 40, 1, 5.0, 15.0).describe() == "10 of 40 runs · 1 error · about 15 s left"
    assert bench.Progress(39, 40, 2, 80.0, 2.5).describe() == "39 of 40 runs · 2 errors · about 2.5 s left"
    assert bench.Progress(40, 40, 0, 95.0, 0.0).describe() == "40 of 40 runs · done in 1 min 35 s"


# -- running against the emulator -------------------------------------------------------------------------


def test_every_run_lands_in_the_history_with_the_benchmark_id(emulator: Any, tmp_path: Path) -> None:
    history = History(tmp_path / "history.sqlite")
    chosen = spec(modes=("stream", "sync"), session_id="session-7")
    seen: list[bench.Progress] = []
    result = bench.run_benchmark(chosen, on_record=history.record_run, on_progress=seen.append,
                                 client=client_for(emulator.url))
    assert not result.cancelled and result.total == 12 and len(result.records) == 12 and result.errors == 0
    stored = history.runs(benchmark_id=chosen.benchmark_id)
    assert sorted(stored["run_id"]) == sorted(r.run_id for r in result.records)
    assert set(stored["session_id"]) == {"session-7"} and set(stored["status"]) == {"ok"}
    assert stored.groupby(["model_id", "mode"]).size().to_dict() == {
        (NOVA, "stream"): 3, (NOVA, "sync"): 3, (HAIKU, "stream"): 3, (HAIKU, "sync"): 3}
    assert stored.loc[stored["mode"] == "stream", "ttft_ms"].notna().all()
    assert seen[0].done == 0 and seen[0].remaining_s is None and seen[-1].done == 12
    assert [p.done for p in seen] == sorted(p.done for p in seen)


def test_failed_runs_are_kept_with_their_error(emulator: Any, control: Any, tmp_path: Path) -> None:
    control.fault("throttling", model_id=HAIKU, count=2)
    history = History(tmp_path / "history.sqlite")
    result = bench.run_benchmark(spec(concurrency=1), on_record=history.record_run, client=client_for(emulator.url))
    assert result.errors == 2 and len(result.records) == 6
    failed = history.runs(statuses=["error"])
    assert list(failed["error_code"]) == ["ThrottlingException"] * 2 and set(failed["model_id"]) == {HAIKU}


def test_cancel_keeps_what_finished_and_stops_the_rest(emulator: Any, control: Any, tmp_path: Path) -> None:
    # Time scale 1: Nova answers in about half a second, Haiku is slowed to 10 tokens a second (several seconds).
    control.request("POST", "/_emulator/config", {"time_scale": 1})
    control.request("POST", "/_emulator/profiles", {"model_id": HAIKU, "ttft_ms": 100, "tokens_per_s": 10,
                                                    "chunk_tokens": [1, 1]})
    history = History(tmp_path / "history.sqlite")
    cancel = threading.Event()

    def stop_after_the_first(progress: bench.Progress) -> None:
        if progress.done >= 1:
            cancel.set()

    chosen = spec(runs_per_model=5)
    started = time.monotonic()
    result = bench.run_benchmark(chosen, on_record=history.record_run, on_progress=stop_after_the_first,
                                 cancel=cancel, client=client_for(emulator.url))
    elapsed = time.monotonic() - started
    assert result.cancelled and len(result.records) < result.total == 10
    statuses = [r.status for r in result.records]
    assert statuses.count("ok") >= 1 and "cancelled" in statuses
    stopped = [r for r in result.records if r.status == "cancelled"]
    assert any(r.model_id == HAIKU for r in stopped) and all(r.e2e_ms is not None for r in stopped)
    stored = history.runs(benchmark_id=chosen.benchmark_id)
    assert sorted(stored["run_id"]) == sorted(r.run_id for r in result.records)  # runs never sent left no trace
    assert elapsed < 5  # the slow streams were closed, not waited for (each would take about 6 s)


def test_a_background_job_reports_progress_and_can_be_cancelled(
        emulator: Any, control: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    history = History(tmp_path / "history.sqlite")
    job = bench.BenchmarkJob(spec(backend="aws", region="us-east-1"), on_record=history.record_run)
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", emulator.url)  # the aws backend, pointed at the emulator
    bench._client.cache_clear()
    assert job.progress.done == 0 and job.progress.total == 6 and not job.running
    job.start()
    assert job.wait(30) and job.failure is None and job.result is not None
    assert len(job.result.records) == 6 and job.progress.done == 6 and not job.cancelling
    assert len(history.runs(benchmark_id=job.spec.benchmark_id)) == 6
    bench._client.cache_clear()

    control.request("POST", "/_emulator/config", {"time_scale": 1})
    control.request("POST", "/_emulator/profiles", {"model_id": HAIKU, "ttft_ms": 5000})
    control.request("POST", "/_emulator/profiles", {"model_id": NOVA, "ttft_ms": 5000})
    slow = bench.BenchmarkJob(spec(backend="aws", region="us-east-1"), on_record=history.record_run).start()
    time.sleep(0.3)
    slow.cancel()
    assert slow.cancelling or not slow.running
    assert slow.wait(15) and slow.result is not None and slow.result.cancelled
    bench._client.cache_clear()


def test_quick_spec_on_the_emulator_and_on_aws() -> None:
    # The picker's ids (profile ids for profile-only models), the table's benchmark defaults among them.
    available = [HAIKU, call_id(ONE_SAMPLING), *BENCH[1:]]
    assert HAIKU == BENCH[0] and len({catalog.resolve(m).vendor for m in BENCH}) == len(BENCH)
    quick = bench.quick_spec(HAIKU, available, backend="emulator", session_id="s")
    assert quick.model_ids == (HAIKU, *BENCH[1:3])  # the current model, then one default per other vendor
    assert quick.modes == ("stream", "sync") and quick.runs_per_model == 10 and quick.session_id == "s"
    assert quick.api == "invoke"
    assert bench.quick_spec(HAIKU, available, backend="aws").model_ids == (HAIKU,)  # billed: only the chosen one


# -- python -m core bench ------------------------------------------------------------------------------


def cli(*args: str, history: Path, env: dict[str, str] | None = None,
        timeout_s: float = 90) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "BEDROCK_EMULATOR_TIME_SCALE": "0", "BEDROCK_LAB_HISTORY": str(history), **(env or {})}
    return subprocess.run([sys.executable, "-m", "core", "bench", *args], cwd=ROOT, capture_output=True, text=True,
                          env=environment, timeout=timeout_s)


def stored_runs(path: Path) -> list[tuple[str, str, str]]:
    if not path.exists():
        return []
    with sqlite3.connect(path) as db:
        try:
            return db.execute("SELECT model_id, status, benchmark_id FROM runs").fetchall()
        except sqlite3.OperationalError:  # the benchmark has created the file but not yet its tables
            return []


def test_cli_prints_a_summary_per_model_and_writes_every_run(tmp_path: Path) -> None:
    out = tmp_path / "results.csv"
    result = cli("--model", NOVA, "--model", HAIKU, "--runs", "3", "--concurrency", "2", "--also-sync",
                 "--out", str(out), history=tmp_path / "h.sqlite")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    outcome = [line.split() for line in lines[1:3]]
    assert lines[0].split()[:6] == ["model", "runs", "ok", "errors", "throttled", "cancelled"]
    assert sorted((row[0], row[1], row[2], row[3]) for row in outcome) == [(NOVA, "6", "6", "0"),
                                                                          (HAIKU, "6", "6", "0")]
    ttft = next(line.split() for line in lines if line.startswith(NOVA) and "TTFT" in line)
    assert ttft[3] == "3" and float(ttft[4].replace(",", "")) > 0 and ttft[5:] == ["—", "—"]  # n=3: p50 only
    e2e = next(line.split() for line in lines if line.startswith(HAIKU) and "E2E" in line)
    assert e2e[3] == "6"
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 12 and {r["model_id"] for r in rows} == {NOVA, HAIKU}
    assert len({r["benchmark_id"] for r in rows}) == 1 and {r["mode"] for r in rows} == {"stream", "sync"}
    assert all(r["text"].startswith("(Emulated answer") and r["ttft_ms"] for r in rows)
    benchmark_id = rows[0]["benchmark_id"]
    assert sorted(stored_runs(tmp_path / "h.sqlite")) == sorted((r["model_id"], "ok", benchmark_id) for r in rows)
    assert f"benchmark {benchmark_id}: 12 runs" in result.stderr and "wrote 12 runs" in result.stderr


@pytest.mark.parametrize(("args", "message"), [
    (("--model", "arn:aws:bedrock", "--runs", "2"), "unknown model 'arn:aws:bedrock'"),
    (("--model", "acme.unknown-v1", "--runs", "2"), "acme.unknown-v1 cannot be asked through InvokeModel by the lab"),
    (("--model", NOVA, "--runs", "0"), "runs per model must be between 1 and"),
    (("--model", NOVA, "--runs", "two"), "invalid int value: 'two'"),
    (("--model", NOVA, "--concurrency", "5000"), "concurrency must be between 1 and 4096"),
    (("--model", NOVA, "--out", "no-such-folder/results.csv"), "the folder of no-such-folder/results.csv"),
    (("--model", NOVA, "--prompt", "  "), "the custom prompts are all empty"),
    (("--model", NOVA, "--prompt-file", "missing.txt"), "cannot read --prompt-file missing.txt"),
    (("--runs", "3",), "the following arguments are required: --model"),
    (("--model", NOVA, "--pattern", "rate", "--rate", "0"), "the rate must be above 0"),
    (("--model", NOVA, "--pattern", "poisson"), "--pattern poisson needs --rate"),
    (("--model", NOVA, "--pattern", "sweep", "--levels", "1,8,5000"), "sweep levels must be between 1 and 4096"),
    (("--model", NOVA, "--pattern", "sweep", "--levels", "1,two"), "--levels takes whole numbers"),
    (("--model", NOVA, "--slo", "ttft_p99=2000"), "no SLO named 'ttft_p99': use ttft_ms, tpot_ms, e2e_ms"),
    (("--model", NOVA, "--slo", "tpot_ms=-5"), "the SLO tpot_ms needs a number of milliseconds above 0"),
    (("--model", NOVA, "--replay", "missing.jsonl"), "replay file missing.jsonl does not exist"),
    (("--model", NOVA, "--processes", "many"), "a whole number or auto, not 'many'"),
    (("--model", NOVA, "--warmup", "-1"), "warm-up requests must be between 0 and 1000"),
    (("--model", NOVA, "--duration", "0"), "the duration must be above 0 seconds"),
])
def test_cli_usage_errors_exit_2_and_send_nothing(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    result = cli(*args, history=tmp_path / "h.sqlite")
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr
    assert stored_runs(tmp_path / "h.sqlite") == []


def test_cli_custom_prompts_from_a_file(tmp_path: Path) -> None:
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("Write 30 tokens about lighthouses.\n\nWrite 30 tokens about harbours.\n")
    out = tmp_path / "r.csv"
    result = cli("--model", NOVA, "--runs", "4", "--prompt-file", str(prompts), "--max-tokens", "64", "--no-stream",
                 "--api", "converse", "--no-history", "--out", str(out), history=tmp_path / "h.sqlite")
    assert result.returncode == 0, result.stderr
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["mode"] for r in rows] == ["sync"] * 4 and {r["api"] for r in rows} == {"converse"}
    assert {r["max_tokens"] for r in rows} == {"64"} and all(0 < int(r["output_tokens"]) <= 64 for r in rows)
    asked = sorted("lighthouses" if "lighthouses" in r["request_json"] else "harbours" for r in rows)
    assert asked == ["harbours", "harbours", "lighthouses", "lighthouses"]  # the runs cycle through the prompts
    assert stored_runs(tmp_path / "h.sqlite") == []  # --no-history


def test_cli_exits_1_when_runs_fail_and_counts_throttling(emulator: Any, control: Any, tmp_path: Path) -> None:
    control.fault("throttling", model_id=HAIKU, count=3)
    result = cli("--model", NOVA, "--model", HAIKU, "--runs", "3", "--concurrency", "1", "--max-attempts", "1",
                 "--backend", "aws", "--region", "us-east-1", history=tmp_path / "h.sqlite",
                 env={"AWS_ENDPOINT_URL_BEDROCK_RUNTIME": emulator.url})
    assert result.returncode == 1 and "Traceback" not in result.stderr
    haiku = next(line.split() for line in result.stdout.splitlines() if line.startswith(HAIKU))
    assert haiku[1:6] == ["3", "0", "3", "3", "0"]
    assert "3 x ThrottlingException" in result.stderr and "3 failed" in result.stderr
    assert not any(line.startswith(HAIKU) and "TTFT" in line for line in result.stdout.splitlines())


def test_ctrl_c_stops_the_benchmark_and_keeps_what_finished(tmp_path: Path) -> None:
    history, out = tmp_path / "h.sqlite", tmp_path / "r.csv"
    environment = {**os.environ, "BEDROCK_EMULATOR_TIME_SCALE": "1", "BEDROCK_LAB_HISTORY": str(history)}
    # Nova Micro answers a medium prompt in about a second or two, SLOW takes over ten seconds.
    process = subprocess.Popen(
        [sys.executable, "-m", "core", "bench", "--model", NOVA, "--model", SLOW,
         "--runs", "4", "--concurrency", "2", "--prompt-set", "medium", "--out", str(out)],
        cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not any(status == "ok" for _, status, _ in stored_runs(history)):
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.1)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 1 and "Traceback" not in stderr
    assert "stopping: runs in flight are closed, finished runs are kept" in stderr and "stopped after" in stderr
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    statuses = sorted(r["status"] for r in rows)
    assert "ok" in statuses and "cancelled" in statuses and len(rows) < 8
    assert sorted(stored_runs(history)) == sorted((r["model_id"], r["status"], r["benchmark_id"]) for r in rows)
    assert NOVA in stdout and "TTFT" in stdout


def test_a_cache_buster_gives_every_request_a_prefix_of_its_own_and_the_levers_reach_every_request() -> None:
    """Cached runs must not pass for fast ones: with the cache-buster no two requests share a prefix."""
    gpt_oss = call_id(TIERED_REASONER)  # takes the priority tier and an effort
    chosen = spec((gpt_oss,), runs_per_model=4, effort="low", service_tier="priority", cache_buster=True)
    requests = bench.plan(chosen)
    prompts = [r.chat.messages[0].text for r in requests]
    assert len(set(prompts)) == len(prompts) == 4
    assert all(p.startswith("[request ") and p.endswith(SHORT.prompts[i % len(SHORT.prompts)])
               for i, p in enumerate(prompts))
    assert {r.chat.service_tier for r in requests} == {"priority"}
    assert {r.chat.reasoning.effort for r in requests if r.chat.reasoning} == {"low"}
    plain = bench.plan(spec((HAIKU,), runs_per_model=4))
    assert [r.chat.messages[0].text for r in plain] == [SHORT.prompts[i % len(SHORT.prompts)] for i in range(4)]
    with pytest.raises(bench.InvalidBenchmark, match="is served in the default tier, not priority"):
        bench.check(spec((call_id(PLAIN_SERVING),), service_tier="priority"))


def test_cli_runs_a_sweep_with_warm_up_and_goodput_and_says_why_it_stopped(tmp_path: Path) -> None:
    replay = tmp_path / "prompts.jsonl"
    replay.write_text('{"prompt": "Write 30 tokens about lighthouses.", "max_tokens": 48}\n'
                      '{"prompt": "Write 30 tokens about harbours."}\n', encoding="utf-8")
    out = tmp_path / "r.csv"
    result = cli("--model", NOVA, "--pattern", "sweep", "--concurrency", "4", "--runs", "3", "--warmup", "2",
                 "--replay", str(replay), "--slo", "ttft_ms=60000", "--slo", "tpot_ms=1000", "--max-tokens", "64",
                 "--api", "converse", "--processes", "1", "--out", str(out), history=tmp_path / "h.sqlite")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    steps = [line.split() for line in lines if line.startswith(NOVA) and line.split()[1].startswith("c=")]
    rows = {row[1]: row for row in steps if row[2].isdigit()}
    assert list(rows) == ["c=1", "c=2", "c=4"] and all(row[2:4] == ["3", "3"] for row in rows.values())
    assert all(row[-2] == "100%" for row in rows.values())  # every request met the loose SLOs
    assert "Goodput SLOs: TTFT <= 60,000 ms, TPOT <= 1,000 ms." in result.stdout
    assert any(line.startswith("tpot_ms: TPOT:") for line in lines)  # the definitions under the table
    assert f"Stopped: {bench.FINISHED}." in result.stdout
    with out.open(newline="") as handle:
        written = list(csv.DictReader(handle))
    assert len(written) == 11 and sum("warm-up" in r["notes"] for r in written) == 2
    assert {r["max_tokens"] for r in written} == {"48", "64"}  # the replay's own limit, else --max-tokens


def test_cli_prints_the_definitions_without_running_anything(tmp_path: Path) -> None:
    result = cli("--definitions", history=tmp_path / "h.sqlite")
    assert result.returncode == 0 and result.stdout.startswith("ttft_ms: TTFT:") and "goodput_share" in result.stdout
    assert stored_runs(tmp_path / "h.sqlite") == []
