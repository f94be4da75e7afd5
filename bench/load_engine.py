"""How many realistic streams does the lab's runner hold on this machine? 1 process against 2, rising concurrency.

    .venv/bin/python bench/load_engine.py [--levels 250,500,1000,1500] [--processes 1,2] [--chunks 100]

Each level runs that many ConverseStream requests at once through `core.load.engine.run_requests` (the lab's own
run, every figure as it records it) against the emulator in a process of its own (`python -m core emulator`,
time scale 1), with a Claude model pinned to Claude 4.x's ConverseStream pace: about 20 chunks a second of about
7 characters (1-2 emulator tokens each; bedrock-2026.md scale facts, from aaif-goose/goose PR #9579).

Lateness is per chunk: when the run read it (its opt-in chunk log, BEDROCK_LAB_CHUNK_LOG) minus when the
emulator sent it (its chunk log, GET /_emulator/chunks), matched by request id and chunk index on the machine's
one clock. Where a level is late, the split says whose: the emulator's own lag (sent minus due) against the
client's (read minus sent). The knee is the largest level with 0 errors and client lateness p99 <= 50 ms.
Target (issue 17): a knee of at least 1,000 streams. Last, the per-chunk cost ratio of bench/client_overhead.py
(the run against a bare botocore decode loop, alternating, time scale 0; target <= 1.05).
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import statistics
import sys
import tempfile
import time
from typing import Any

# Set before core is imported; spawned workers import this module again and keep the folder they inherit.
CHUNK_LOG = os.environ.get("BEDROCK_LAB_CHUNK_LOG") or tempfile.mkdtemp(prefix="lab-chunk-log-")
os.environ["BEDROCK_LAB_CHUNK_LOG"] = CHUNK_LOG

import boto3  # noqa: E402
import client_overhead  # noqa: E402
from _emulator import control, emulator_process, percentile  # noqa: E402
from botocore.config import Config  # noqa: E402

from core.load.engine import run_requests  # noqa: E402
from core.streaming import RunRequest  # noqa: E402
from core.types import ChatRequest, Message  # noqa: E402

MODEL = client_overhead.MODEL  # the table's chat default, a Claude (through its inference profile)
PACE = {"ttft_ms": 800, "ttft_spread": 0.05, "tokens_per_s": 30, "rate_spread": 0.02, "chunk_tokens": [1, 2]}
LATENESS_P99_MS = 50.0


def requests(n: int, chunks: int, level: int) -> list[RunRequest]:
    chat = ChatRequest((Message("user", "Tell me about the rivers of Europe."),), max_tokens=round(chunks * 1.5))
    return [RunRequest(MODEL, chat, api="converse", max_attempts=1, read_timeout_s=120, idle_timeout_s=None,
                       benchmark_id=f"load-engine-{level}") for _ in range(n)]


def lateness(url: str) -> tuple[list[float], list[float], int, float]:
    """(client lateness ms, emulator lag ms) over every matched chunk, how many streams matched, and the seconds
    from the first chunk read to the last."""
    sent = control(url, "GET", "/_emulator/chunks")["streams"]
    late, lag, matched, first, last = [], [], 0, float("inf"), 0.0
    for path in glob.glob(os.path.join(CHUNK_LOG, "chunks-*.jsonl")):
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                read = json.loads(line)
                log = sent.get(read["request_id"])
                if not log or len(log) != len(read["read_ms"]):
                    continue
                matched += 1
                first, last = min(first, read["read_ms"][0]), max(last, read["read_ms"][-1])
                late += [at - chunk["sent_ms"] for at, chunk in zip(read["read_ms"], log, strict=True)]
                lag += [chunk["sent_ms"] - chunk["due_ms"] for chunk in log]
        os.remove(path)
    return late, lag, matched, max(0.001, (last - first) / 1000)


def level(url: str, n: int, processes: int, chunks: int) -> dict[str, Any]:
    control(url, "POST", "/_emulator/config", {"chunk_log": n})
    control(url, "DELETE", "/_emulator/chunks")
    config = Config(max_pool_connections=n, read_timeout=120, retries={"mode": "standard", "total_max_attempts": 1})
    client = boto3.client("bedrock-runtime", endpoint_url=url, region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x", config=config)
    started, cpu_s = time.perf_counter(), time.process_time()
    records = run_requests(requests(n, chunks, n), processes=processes, concurrency=n, client=client)
    wall_s, cpu_s = time.perf_counter() - started, time.process_time() - cpu_s
    late, lag, matched, streaming_s = lateness(url)
    errors = [r for r in records if r.status != "ok"]
    codes = sorted({r.error_code or "" for r in errors})
    return {"n": n, "processes": processes, "errors": len(errors), "codes": codes,
            "matched": matched, "chunks": len(late), "wall_s": wall_s,
            # This process's CPU per chunk: the whole client with 1 process (the workers' is not counted with 2).
            "cpu_us": cpu_s / len(late) * 1e6 if late and processes == 1 else None,
            "late_p50": percentile(late, 0.5) if late else None, "late_p99": percentile(late, 0.99) if late else None,
            "lag_p50": percentile(lag, 0.5) if lag else None, "lag_p99": percentile(lag, 0.99) if lag else None,
            "chunks_per_s": len(late) / streaming_s, "gap_p50": statistics.median(r.gap_p50_ms for r in records
                                                                           if r.gap_p50_ms is not None)}


def cost_ratio(rounds: int) -> float:
    """bench/client_overhead.py's figure: the run's time per chunk over a bare botocore decode loop's."""
    with emulator_process(time_scale=0) as (url, _):
        control(url, "POST", "/_emulator/profiles", {"model_id": MODEL, "chunk_tokens": [1, 1]})
        client = client_overhead.runtime_client(url)
        client_overhead.bare(client), client_overhead.through_run(client)
        bare_s, run_s = [], []
        for _ in range(rounds):
            bare_s.append(client_overhead.bare(client))
            run_s.append(client_overhead.through_run(client))
    return statistics.median(run_s) / statistics.median(bare_s)


def ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--levels", default="250,500,1000,1500")
    parser.add_argument("--processes", default="1,2")
    parser.add_argument("--chunks", type=int, default=100, help="answer chunks per stream (about 5 s at 20/s)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds of the per-chunk cost ratio")
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    counts = [int(x) for x in args.processes.split(",")]
    results: list[dict[str, Any]] = []
    print(f"{MODEL} pinned to {PACE}, {args.chunks} chunks a stream, emulator at time scale 1 in its own process, "
          f"{os.cpu_count()} cores")
    print(f"{'procs':>5} {'streams':>7} {'errors':>6} {'chunks/s':>9} {'late p50':>9} {'late p99':>9} "
          f"{'emu lag p50':>11} {'emu lag p99':>11} {'gap p50':>8} {'cpu/chunk':>9}  (ms; cpu in us)")
    with emulator_process(time_scale=1) as (url, _):
        control(url, "POST", "/_emulator/profiles", {"model_id": MODEL, **PACE})
        for processes in counts:
            for n in levels:
                found = level(url, n, processes, args.chunks)
                results.append(found)
                print(f"{processes:>5} {n:>7,} {found['errors']:>6} {found['chunks_per_s']:>9,.0f} "
                      f"{ms(found['late_p50']):>9} {ms(found['late_p99']):>9} {ms(found['lag_p50']):>11} "
                      f"{ms(found['lag_p99']):>11} {ms(found['gap_p50']):>8} {ms(found['cpu_us']):>9}"
                      + (f"  errors: {', '.join(found['codes'])}" if found["errors"] else "")
                      + (f"  (matched {found['matched']} of {n} streams)" if found["matched"] != n else ""),
                      flush=True)
    knees = {}
    for processes in counts:
        held = [r["n"] for r in results if r["processes"] == processes and r["errors"] == 0
                and r["late_p99"] is not None and r["late_p99"] <= LATENESS_P99_MS]
        knees[processes] = max(held, default=0)
        print(f"knee, {processes} process{'es' if processes > 1 else ''}: {knees[processes]:,} streams "
              f"(0 errors, client lateness p99 <= {LATENESS_P99_MS:g} ms)")
    ratio = cost_ratio(args.rounds)
    print(f"per-chunk cost: the run / a bare botocore decode loop = {ratio:.3f} (target <= "
          f"{client_overhead.MAX_OVERHEAD})")
    ok = max(knees.values(), default=0) >= 1000 and ratio <= client_overhead.MAX_OVERHEAD
    print(f"\nload engine: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
