"""Does the emulator keep time? Client-side TTFT and decode rate against each profile, and under load.

    .venv/bin/python bench/emulator_fidelity.py [--samples 20] [--streams 200]

Targets (issue 2): at time scale 1, client-side time to first token and decode rate at p50 are within
10% of each profile's configured values; with 200 concurrent streams, TTFT p99 drifts by at most
25 ms from the unloaded figure. Both are ratios or differences within one run of this script.
The emulator runs in its own process, started exactly as `python -m core emulator` starts it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from _emulator import (
    PeakStreams,
    call_id,
    claude_body,
    default_model,
    emulator_process,
    model_name,
    percentile,
    raw_stream_ttft,
    runtime_client,
    text_of_any,
    timed_stream,
)

from core import catalog
from core.emulator.models import BY_ID
from core.types import ChatRequest, Message

LOAD_MODEL = default_model("chat")  # the model table's chat default (a Claude: claude_body), through its profile
PROMPT = "Explain how streaming responses change the way people perceive latency."


def _one_per_family() -> dict[str, Callable[[str, int], dict[str, Any]]]:
    """One active, streaming model of the table per InvokeModel family the emulator serves (the table's defaults
    first), as requests call it, with its family's own body (the provider module the run uses)."""
    chosen: dict[str, Callable[[str, int], dict[str, Any]]] = {}
    families: set[str] = set()
    defaults = [catalog.resolve(m) for m in (catalog.default_model_id(), *catalog.default_model_ids("bench"))]
    for model in (*defaults, *catalog.listed_models()):
        emulated = BY_ID.get(model.base_id)
        if (model.lifecycle != "active" or model.family is None or "invoke" not in model.apis or emulated is None
                or not emulated.streaming or model.family.name in families):
            continue
        families.add(model.family.name)
        provider = model.family.provider
        chosen[call_id(model.base_id)] = lambda p, n, provider=provider: dict(provider.build_request(
            ChatRequest((Message("user", p),), max_tokens=n)).body)
    return chosen


BODIES = _one_per_family()


def sample_profiles(url: str, samples: int) -> bool:
    client = runtime_client(url, pool=16)
    print(f"Profile fidelity at time scale 1 ({samples} streams per model, 10 at a time, 200 output tokens)")
    print(f"{'model':48} {'TTFT p50':>9} {'profile':>8} {'ratio':>6}   {'tok/s p50':>9} {'profile':>8} {'ratio':>6}")
    ok = True
    for model_id, build in BODIES.items():
        profile = BY_ID[catalog.base_model_id(model_id)].latency
        bodies = [json.dumps(build(f"{PROMPT} (sample {i})", 200)) for i in range(samples)]
        with ThreadPoolExecutor(10) as pool:
            runs = list(pool.map(lambda b, m=model_id: timed_stream(client, m, b, text_of_any), bodies))
        ttft_ms = statistics.median(r.ttft_s for r in runs) * 1000
        rate = statistics.median(r.tokens_per_s for r in runs)
        ttft_ratio, rate_ratio = ttft_ms / profile.ttft_ms, rate / profile.tokens_per_s
        good = abs(ttft_ratio - 1) <= 0.10 and abs(rate_ratio - 1) <= 0.10
        ok &= good
        print(f"{model_id:48} {ttft_ms:7.0f}ms {profile.ttft_ms:6.0f}ms {ttft_ratio:6.3f}   "
              f"{rate:9.1f} {profile.tokens_per_s:8.0f} {rate_ratio:6.3f}  {'ok' if good else 'MISS'}")
    return ok


def run_batch(url: str, bodies: list[str], concurrency: int, spread_s: float = 0.0) -> list[tuple[float, int]]:
    """(client TTFT s, server firstByteLatency ms) per request, `concurrency` streams at a time,
    their starts spread evenly over `spread_s` seconds within each batch."""

    async def one(body: str, delay_s: float) -> tuple[float, int]:
        await asyncio.sleep(delay_s)
        return await raw_stream_ttft(url, LOAD_MODEL, body)

    async def batches() -> list[tuple[float, int]]:
        out: list[tuple[float, int]] = []
        for start in range(0, len(bodies), concurrency):
            batch = bodies[start:start + concurrency]
            out += await asyncio.gather(*(one(b, spread_s * i / len(batch)) for i, b in enumerate(batch)))
        return out

    return asyncio.run(batches())


def load_drift(streams: int) -> bool:
    assert catalog.resolve(LOAD_MODEL).family.name == "anthropic-messages", LOAD_MODEL  # type: ignore[union-attr]
    bodies = [claude_body(f"{PROMPT} (user {i})", 120) for i in range(streams)]
    # The same seed and the same requests in a fresh emulator draw the same latencies, so the phases
    # differ only in load.
    phases, peaks = {}, {}
    for name, concurrency, spread_s in (("unloaded, 10 at a time", 10, 0.0),
                                        (f"{streams} open at once, arrivals over 1 s", streams, 1.0),
                                        (f"{streams} in one burst (same millisecond)", streams, 0.0)):
        with emulator_process(time_scale=1, seed=11) as (url, _), PeakStreams(url) as peak:
            phases[name] = run_batch(url, bodies, concurrency, spread_s)
        peaks[name] = peak.value
    profile = BY_ID[catalog.base_model_id(LOAD_MODEL)].latency
    lasts_s = (profile.ttft_ms + 120 / profile.tokens_per_s * 1000) / 1000
    print(f"\nLoad: {model_name(LOAD_MODEL)}, {streams} streams of 120 output tokens (each lasts ~{lasts_s:.1f} s), "
          "identical seeded")
    print("draws in every phase, read at the socket by one asyncio client (boto3 threads: docs/performance.md)")
    quiet = [t * 1000 for t, _ in phases["unloaded, 10 at a time"]]
    quiet_p99 = percentile(quiet, 0.99)
    drifts = []
    for name, results in phases.items():
        ttft_ms = [t * 1000 for t, _ in results]
        late = [b - a for a, b in zip(quiet, ttft_ms, strict=True)]
        drift = percentile(ttft_ms, 0.99) - quiet_p99
        drifts.append(drift)
        print(f"  {name:40} TTFT p50 {percentile(ttft_ms, 0.5):6.1f} ms  p99 {percentile(ttft_ms, 0.99):7.1f} ms  "
              f"p99 drift {drift:+6.1f} ms  lateness p50 {percentile(late, 0.5):+5.1f} "
              f"p99 {percentile(late, 0.99):+5.1f} ms  "
              f"peak open {peaks[name]}")
    print(f"  target: with {streams} concurrent streams, TTFT p99 drift <= 25 ms (the arrivals-over-1-s phase)")
    return drifts[1] <= 25


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--streams", type=int, default=200)
    args = parser.parse_args()
    with emulator_process(time_scale=1, seed=5) as (url, _):
        profiles_ok = sample_profiles(url, args.samples)
    load_ok = load_drift(args.streams)
    print(f"\nprofile fidelity: {'PASS' if profiles_ok else 'FAIL'}; load drift: {'PASS' if load_ok else 'FAIL'}")
    return 0 if profiles_ok and load_ok else 1


if __name__ == "__main__":
    sys.exit(main())
