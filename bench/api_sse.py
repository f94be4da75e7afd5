"""What does the HTTP API add to time to first token? The README's run command, read by a raw HTTP client.

    .venv/bin/python bench/api_sse.py [--runs 20]

Target (issue 7), within one run of this script: from the moment the emulator put the first text
chunk on the wire to the moment the first Server-Sent Event reached the client, p50 over 20 runs
<= 20 ms. Both times come from this machine's clock: the emulator (inside the app's process) records
when it sent a stream's first token (`/_emulator/streams`), the client when it has read the first
complete event. What lies between is boto3 reading the chunk, `core.streaming.Run` timing it,
coalescing, the hand-over from the run's thread to the event loop, SSE framing and the socket.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import time
from contextlib import AbstractContextManager
from typing import Any

from _emulator import control, default_model, model_name, percentile, streamlit_app

from core import catalog

MODEL = default_model("chat")  # the model table's chat default, as /api/models names it


def app() -> AbstractContextManager[str]:
    return streamlit_app(ready_path="/api/health")


def one_stream(url: str, api: str, prompt: str) -> tuple[float, float, dict[str, Any]]:
    """(wall-clock ms when the first event was read, client-side TTFT ms, the done event's metrics)."""
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    body = json.dumps({"model_id": MODEL, "prompt": prompt, "max_tokens": 40, "api": api})
    sent = time.perf_counter()
    connection.request("POST", "/api/generate", body=body, headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    assert response.status == 200, response.read()
    first_ms = ttft_ms = None
    name, data = "", ""
    metrics: dict[str, Any] = {}
    while True:
        line = response.readline()
        if not line:
            break
        if line.startswith(b"event: "):
            name = line[7:].strip().decode()
        elif line.startswith(b"data: "):
            data = line[6:].decode()
        elif line == b"\n":  # the event is complete
            if first_ms is None:
                first_ms, ttft_ms = time.time() * 1000, (time.perf_counter() - sent) * 1000
            if name == "done":
                metrics = json.loads(data)["metrics"]
    connection.close()
    assert first_ms is not None and ttft_ms is not None and metrics.get("status") == "ok"
    return first_ms, ttft_ms, metrics


def measure(url: str, emulator: str, runs: int, api: str) -> tuple[list[float], list[float]]:
    added, overhead = [], []
    for i in range(runs):
        first_ms, client_ttft_ms, metrics = one_stream(url, api, f"Write 40 tokens about latency number {i}.")
        sent = control(emulator, "GET", "/_emulator/streams")["streams"][-1]
        assert sent["model_id"] == catalog.base_model_id(MODEL) and sent["first_token_sent_ms"] is not None
        added.append(first_ms - sent["first_token_sent_ms"])
        overhead.append(client_ttft_ms - metrics["ttft_ms"])  # what the API adds to the run's own TTFT
    return added, overhead


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with app() as url:
        emulator = control(url, "GET", "/api/health")["emulator_url"]
        one_stream(url, "converse", "Warm up.")  # lists the models and makes the boto3 clients
        one_stream(url, "invoke", "Warm up.")
        results = {api: measure(url, emulator, args.runs, api) for api in ("converse", "invoke")}
    ok = True
    print(f"First chunk leaving the emulator -> first SSE event read by the client, {args.runs} runs per API "
          f"({model_name(MODEL)} profile, time scale 1, `streamlit run streamlit_app.py`):")
    for api, (added, overhead) in results.items():
        p50 = statistics.median(added)
        ok = ok and p50 <= 20
        print(f"  {api:8s} p50 {p50:5.1f} ms, p90 {percentile(added, 0.9):5.1f} ms, max {max(added):5.1f} ms "
              f"(target p50 <= 20 ms); client TTFT minus the run's own TTFT: p50 "
              f"{statistics.median(overhead):.1f} ms")
    print(f"\napi sse: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
