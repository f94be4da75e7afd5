"""What does the run cost on top of boto3? Its throughput against a bare decoding loop, same stream.

    .venv/bin/python bench/client_overhead.py [--rounds 5]

Target (issue 17, was 1.15 in issue 3): against the same emulator stream at time scale 0 (20,000 one-token
chunks), the run costs at most 1.05x a bare boto3 loop that only decodes the chunks (throughput ratio at
least 1/1.05 = 0.952). The two alternate within one run of this script and the medians are compared.
Measured 1.11-1.15 before the per-chunk path was slimmed (issue 17), about 1.00 after.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from typing import Any

from _emulator import claude_body, control, default_model, emulator_process, model_name, runtime_client

from core import catalog
from core.streaming import RunRequest, start
from core.types import ChatRequest, Message

MODEL = default_model("chat")  # the model table's chat default: a Claude (claude_body), through its profile
CHUNKS = 20_000
assert catalog.resolve(MODEL).family.name == "anthropic-messages", MODEL  # type: ignore[union-attr]
assert (catalog.resolve(MODEL).max_output_tokens or 0) >= CHUNKS, MODEL  # the stream fits the model's output limit
PROMPT = f"Write {CHUNKS} tokens about event streams."
MAX_OVERHEAD = 1.05


def bare(client: Any) -> float:
    """Seconds for boto3 alone: call, then decode every chunk's JSON."""
    t0 = time.perf_counter()
    response = client.invoke_model_with_response_stream(modelId=MODEL, body=claude_body(PROMPT, CHUNKS))
    count = 0
    for event in response["body"]:
        if json.loads(event["chunk"]["bytes"])["type"] == "content_block_delta":
            count += 1
    assert count == CHUNKS, count
    return time.perf_counter() - t0


def through_run(client: Any) -> float:
    """Seconds for the same stream through `streaming.run`, with every metric it records."""
    chat = ChatRequest((Message("user", PROMPT),), max_tokens=CHUNKS)
    t0 = time.perf_counter()
    run = start(RunRequest(MODEL, chat), client=client)
    pieces = sum(1 for _ in run)
    elapsed = time.perf_counter() - t0
    assert pieces == CHUNKS and run.record.status == "ok" and run.record.output_tokens == CHUNKS, run.record
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with emulator_process(time_scale=0) as (url, _):
        control(url, "POST", "/_emulator/profiles", {"model_id": MODEL, "chunk_tokens": [1, 1]})
        client = runtime_client(url)
        bare(client), through_run(client)  # warm both paths (imports, connections)
        bare_s, run_s = [], []
        for _ in range(args.rounds):
            bare_s.append(bare(client))
            run_s.append(through_run(client))
    bare_rate = CHUNKS / statistics.median(bare_s)
    run_rate = CHUNKS / statistics.median(run_s)
    ratio = run_rate / bare_rate
    print(f"{CHUNKS:,} one-token chunks, {model_name(MODEL)} profile, time scale 0, {args.rounds} alternating rounds")
    print(f"  bare boto3 decode loop: {bare_rate:,.0f} chunks/s (median of {', '.join(f'{s:.3f}' for s in bare_s)} s)")
    print(f"  streaming.run:          {run_rate:,.0f} chunks/s (median of {', '.join(f'{s:.3f}' for s in run_s)} s)")
    print(f"  throughput ratio {ratio:.3f} (target >= {1 / MAX_OVERHEAD:.3f}), "
          f"overhead ratio {1 / ratio:.3f} (target <= {MAX_OVERHEAD})")
    ok = 1 / ratio <= MAX_OVERHEAD
    print(f"\nclient overhead: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
