"""How fast and how light is the emulator? Chunks per second to a boto3 client, 200 streams, memory.

    .venv/bin/python bench/emulator_throughput.py

Targets (issue 2): at time scale 0, one stream of 20,000 one-token chunks reaches at least 20,000
chunks/s at the client; 200 concurrent streams complete without error; the emulator with 200 open
streams stays under 300 MB of resident memory. The emulator runs in its own process, as
`python -m core emulator` starts it; the client is boto3.
"""

from __future__ import annotations

import asyncio
import io
import json
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psutil
from _emulator import (
    call_id,
    claude_body,
    control,
    default_model,
    emulator_process,
    model_name,
    raw_stream_ttft,
    runtime_client,
)
from botocore.eventstream import EventStream
from botocore.parsers import EventStreamJSONParser

from core import catalog

MODEL = default_model("chat")  # the model table's chat default: a Claude (claude_body), through its profile
CHUNKS = 20_000
assert catalog.resolve(MODEL).family.name == "anthropic-messages", MODEL  # type: ignore[union-attr]
assert (catalog.resolve(MODEL).max_output_tokens or 0) >= CHUNKS, MODEL


def _slowest_claude() -> str:
    """The active Claude of the table with the slowest usual decode rate: its streams stay open longest."""
    claudes = [m for m in catalog.listed_models() if m.lifecycle == "active" and m.family is not None
               and m.family.name == "anthropic-messages" and m.typical_tokens_per_s and "invoke" in m.apis]
    return call_id(min(claudes, key=lambda m: m.typical_tokens_per_s or 0.0).base_id)


SLOW = _slowest_claude()


def one_long_stream(client: Any) -> tuple[int, float, bytes]:
    """(chunks, seconds from the call to the last chunk, raw bytes) for one 20,000-token stream."""
    body = claude_body(f"Write {CHUNKS} tokens about event streams.", CHUNKS)
    t0 = time.perf_counter()
    response = client.invoke_model_with_response_stream(modelId=MODEL, body=body)
    chunks = 0
    for event in response["body"]:
        if json.loads(event["chunk"]["bytes"])["type"] == "content_block_delta":
            chunks += 1
    return chunks, time.perf_counter() - t0, b""


def decode_only_rate(url: str) -> float:
    """Chunks/s botocore alone manages on the same stream's bytes held in memory (the client's ceiling)."""
    import urllib.request

    request = urllib.request.Request(
        f"{url}/model/{MODEL}/invoke-with-response-stream", method="POST",
        data=claude_body(f"Write {CHUNKS} tokens about event streams.", CHUNKS).encode(),
        headers={"Authorization": "AWS4-HMAC-SHA256 Credential=B/20260101/us-east-1/bedrock/aws4_request"})
    raw = urllib.request.urlopen(request, timeout=60).read()

    class Memory:
        def __init__(self, data: bytes) -> None:
            self.data = io.BytesIO(data)

        def stream(self) -> Any:
            while block := self.data.read(65536):
                yield block

        def close(self) -> None:
            pass

    import boto3

    shape = boto3.client("bedrock-runtime", region_name="us-east-1").meta.service_model.operation_model(
        "InvokeModelWithResponseStream").output_shape.members["body"]
    t0 = time.perf_counter()
    count = sum(1 for e in EventStream(Memory(raw), shape, EventStreamJSONParser(), "x")
                if json.loads(e["chunk"]["bytes"]))
    return count / (time.perf_counter() - t0)


def concurrent_streams(client: Any, streams: int) -> tuple[int, int, float]:
    """(completed, errors, seconds) for `streams` boto3 streams read at once by threads."""
    def one(i: int) -> bool:
        response = client.invoke_model_with_response_stream(
            modelId=MODEL,
            body=claude_body(f"Write 500 tokens about queues ({i}).", 500))
        chunks = [json.loads(e["chunk"]["bytes"]) for e in response["body"]]
        return chunks[-1]["amazon-bedrock-invocationMetrics"]["outputTokenCount"] == 500

    t0 = time.perf_counter()
    with ThreadPoolExecutor(streams) as pool:
        futures = [pool.submit(one, i) for i in range(streams)]
    outcomes = []
    for future in futures:
        try:
            outcomes.append(future.result())
        except Exception as problem:  # noqa: BLE001 - counted and shown
            print(f"  stream failed: {problem!r}")
            outcomes.append(False)
    return sum(outcomes), len(outcomes) - sum(outcomes), time.perf_counter() - t0


async def open_streams_rss(url: str, pid: int, streams: int) -> tuple[int, float, float, int]:
    """Open `streams` slow streams, measure the emulator's RSS while all are open, then hang up on them."""
    process = psutil.Process(pid)
    idle_mb = process.memory_info().rss / 2**20
    tasks = [asyncio.ensure_future(raw_stream_ttft(url, SLOW, claude_body(f"Long essay number {i}", 2000)))
             for i in range(streams)]
    peak_open, peak_mb = 0, idle_mb
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        health = await asyncio.to_thread(control, url, "GET", "/_emulator/health")
        peak_open = max(peak_open, health["active_streams"])
        peak_mb = max(peak_mb, process.memory_info().rss / 2**20)
        if peak_open == streams and time.monotonic() > deadline - 25:  # all open and past first tokens
            break
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.sleep(1.0)
    left_open = (await asyncio.to_thread(control, url, "GET", "/_emulator/health"))["active_streams"]
    return peak_open, idle_mb, peak_mb, left_open


def main() -> int:
    ok = True
    with emulator_process(time_scale=0) as (url, _):
        control(url, "POST", "/_emulator/profiles", {"model_id": MODEL, "chunk_tokens": [1, 1]})
        client = runtime_client(url, pool=210)
        runs = [one_long_stream(client) for _ in range(3)]
        rates = [chunks / seconds for chunks, seconds, _ in runs]
        ceiling = decode_only_rate(url)
        print(f"One stream, {runs[0][0]:,} one-token text chunks, {model_name(MODEL)} profile, time scale 0, "
              "boto3 client:")
        print(f"  chunks/s (call to last chunk), 3 runs: {', '.join(f'{r:,.0f}' for r in rates)}; "
              f"median {statistics.median(rates):,.0f} (target >= 20,000)")
        print(f"  botocore decoding the same bytes from memory: {ceiling:,.0f} chunks/s; "
              f"over HTTP the client reaches {statistics.median(rates) / ceiling:.2f} of that")
        ok &= all(chunks == CHUNKS for chunks, _, _ in runs) and statistics.median(rates) >= 20_000
        done, errors, seconds = concurrent_streams(client, 200)
        print(f"200 concurrent streams of 500 tokens (boto3, 200 threads): {done} complete, {errors} errors, "
              f"{seconds:.1f} s")
        ok &= done == 200 and errors == 0
    with emulator_process(time_scale=1) as (url, process):
        peak_open, idle_mb, peak_mb, left = asyncio.run(open_streams_rss(url, process.pid, 200))
        print(f"Memory: emulator RSS idle {idle_mb:.0f} MB, with {peak_open} streams open {peak_mb:.0f} MB "
              f"(target < 300 MB); {left} still open 1 s after the clients hung up")
        ok &= peak_open == 200 and peak_mb < 300 and left == 0
    print(f"\nthroughput: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
