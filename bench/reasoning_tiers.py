"""What reasoning effort, service tiers, latency-optimized inference and prompt caching change, as the lab
measures them, and whether the lab's figures match what the emulator was told to do.

    .venv/bin/python bench/reasoning_tiers.py [--runs 8]

Against `python -m core emulator` at time scale 1 (real time), through `core.streaming` (the run every page
uses), streamed, one request at a time. The emulator's profiles are pinned for the models used (no draw
spread, no prefill time unless the cache part needs it), so each figure is what the lab adds to a known
schedule:

1. **Effort sweep** (gpt-oss 120B, low, medium, high): time to first reasoning, time to first answer token,
   reasoning time and cost per effort, with n, p50 and p90. Check: the first reasoning text arrives within
   5% of the profile's TTFT (the model reasons first), and reasoning time grows with effort.
2. **Tier A/B** (Nova Pro: default, priority, flex; and priority when the emulator's priority capacity has
   run out): TTFT and decode rate p50/p90, the tier served, cost. Checks: TTFT p50 within 5% of the
   profile's TTFT times the tier's factor (`GET /_emulator/config` `serving_effects`), the served tier as
   modelled (priority served as default once the capacity is gone), priority priced as priority.
3. **Cache A/B** (Claude Haiku 4.5, a system prompt of about 8,000 tokens with a cache point; each pair has
   a prefix of its own): cold (written) against warm (read) TTFT and cost. Checks: the warm run reads what
   the cold one wrote, its TTFT is shorter by the modelled prefill time of the cached tokens (within 5% of
   that time, plus or minus 20 ms), and it costs less.

It prints every figure and PASS or FAIL per check, and exits 1 if any check fails.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import uuid
from dataclasses import dataclass
from typing import Any

from _emulator import call_id, control, emulator_process, percentile, runtime_client

from core import catalog
from core.streaming import RunRequest, start
from core.types import CachePlan, ChatRequest, Message, RunRecord

EFFORT_MODEL = call_id("openai.gpt-oss-120b-1:0")
TIER_MODEL = call_id("amazon.nova-pro-v1:0")
CACHE_MODEL = call_id(catalog.default_model_id())  # Claude Haiku 4.5: caches prefixes of 4,096 tokens and more
PROFILE_TTFT_MS = 600.0
PROMPT = "Explain in a short paragraph why streaming answers feel faster."
PREFILL_MS_PER_1K = 40.0
CACHED_SYSTEM = "You are a careful analyst. " + "Context: event streams carry framed messages. " * 900
TOLERANCE = 0.05
SWEEP_TOKENS_PER_S = 600.0  # a fast profile, so high effort's long reasoning takes seconds, not minutes
SWEEP_MAX_TOKENS = 4000
results: list[tuple[str, bool]] = []


def check(name: str, ok: bool, detail: str) -> None:
    results.append((name, ok))
    print(f"  {'PASS' if ok else 'FAIL'} {name}: {detail}")


@dataclass
class Figures:
    records: list[RunRecord]

    def values(self, field: str) -> list[float]:
        return [float(getattr(r, field)) for r in self.records if getattr(r, field) is not None]

    def p(self, field: str, q: float) -> float | None:
        values = self.values(field)
        return percentile(values, q) if values else None

    def line(self, field: str, unit: str) -> str:
        values = self.values(field)
        if not values:
            return f"{field} —"
        p50, p90 = percentile(values, 0.5), percentile(values, 0.9)
        return f"{field} n={len(values)} p50 {p50:,.1f} {unit} p90 {p90:,.1f} {unit}"


def pin(url: str, model_id: str, **profile: Any) -> None:
    control(url, "POST", "/_emulator/profiles", {"model_id": catalog.base_model_id(model_id),
                                                 "ttft_ms": PROFILE_TTFT_MS, "ttft_spread": 0, "rate_spread": 0,
                                                 "prefill_ms_per_1k_tokens": 0, **profile})


def runs(client: Any, model_id: str, n: int, api: str = "converse", **chat: Any) -> Figures:
    records = []
    for _ in range(n):
        request = ChatRequest((Message("user", chat.pop("prompt", PROMPT)),), **{"max_tokens": 300, **chat})
        record = start(RunRequest(model_id, request, api=api), client=client).result()  # type: ignore[arg-type]
        records.append(record)
    return Figures(records)


def effort_sweep(url: str, client: Any, n: int) -> None:
    print(f"\n1. Effort sweep: {catalog.resolve(EFFORT_MODEL).name}, InvokeModel, n={n} per effort "
          f"(profile TTFT {PROFILE_TTFT_MS:.0f} ms and {SWEEP_TOKENS_PER_S:.0f} tok/s, no spread; max tokens "
          f"{SWEEP_MAX_TOKENS:,}, room for the longest reasoning)")
    pin(url, EFFORT_MODEL, tokens_per_s=SWEEP_TOKENS_PER_S)
    model = catalog.resolve(EFFORT_MODEL)
    reasoning_p50 = []
    for effort in model.efforts:
        figures = runs(client, EFFORT_MODEL, n, api="invoke", reasoning=catalog.reasoning_for(model, effort),
                       max_tokens=SWEEP_MAX_TOKENS)
        print(f"  effort {effort:<6} {figures.line('first_reasoning_ms', 'ms')} · {figures.line('ttft_ms', 'ms')} · "
              f"{figures.line('reasoning_ms', 'ms')} · cost p50 ${figures.p('cost_usd', 0.5) or 0:.6f}")
        first = figures.p("first_reasoning_ms", 0.5) or 0.0
        check(f"first reasoning at effort {effort}", abs(first - PROFILE_TTFT_MS) <= TOLERANCE * PROFILE_TTFT_MS,
              f"p50 {first:,.1f} ms against the profile's {PROFILE_TTFT_MS:,.0f} ms")
        reasoning_p50.append(figures.p("reasoning_ms", 0.5) or 0.0)
    check("reasoning time grows with effort", reasoning_p50 == sorted(reasoning_p50),
          " < ".join(f"{v:,.0f} ms" for v in reasoning_p50))


def tier_ab(url: str, client: Any, n: int) -> None:
    effects = control(url, "GET", "/_emulator/config")["serving_effects"]["tiers"]
    print(f"\n2. Tier A/B: {catalog.resolve(TIER_MODEL).name}, Converse, n={n} per tier "
          f"(profile TTFT {PROFILE_TTFT_MS:.0f} ms, no spread)")
    pin(url, TIER_MODEL)
    prices = catalog.table().tier_prices
    default_cost = None
    for tier in ("default", "priority", "flex", "priority, capacity gone"):
        asked = tier.split(",")[0]
        if tier.endswith("gone"):
            control(url, "POST", "/_emulator/config", {"priority_capacity": 0})
        figures = runs(client, TIER_MODEL, n, service_tier=asked)
        served = {r.service_tier_served for r in figures.records}
        control(url, "POST", "/_emulator/config", {"priority_capacity": None})
        cost = statistics.median(figures.values("cost_usd"))
        print(f"  {tier:<24} {figures.line('ttft_ms', 'ms')} · {figures.line('tokens_per_s', 'tok/s')} · "
              f"served {', '.join(sorted(str(s) for s in served))} · cost p50 ${cost:.6f}")
        expected_served = "default" if tier.endswith("gone") else asked
        expected_ttft = PROFILE_TTFT_MS * effects[expected_served]["ttft"]
        ttft = figures.p("ttft_ms", 0.5) or 0.0
        check(f"{tier}: TTFT", abs(ttft - expected_ttft) <= TOLERANCE * expected_ttft,
              f"p50 {ttft:,.1f} ms against {expected_ttft:,.0f} ms modelled")
        check(f"{tier}: served", served == {expected_served}, f"served {served}, modelled {expected_served}")
        if asked == "default":
            default_cost = cost
        elif default_cost is not None:
            tokens = statistics.median(r.output_tokens or 0 for r in figures.records)
            ratio = cost / default_cost
            check(f"{tier}: priced as served", abs(ratio - prices[expected_served]) <= 0.15 * prices[expected_served],
                  f"{ratio:.2f}x the default tier's cost (tier price {prices[expected_served]}x, "
                  f"output tokens p50 {tokens:,.0f})")


def cache_ab(url: str, client: Any, n: int) -> None:
    print(f"\n3. Cache A/B: {catalog.resolve(CACHE_MODEL).name}, Converse, {n} cold/warm pairs, a system prompt of "
          f"about 8,000 tokens with a cache point (prefill {PREFILL_MS_PER_1K:.0f} ms per 1,000 uncached tokens)")
    pin(url, CACHE_MODEL, prefill_ms_per_1k_tokens=PREFILL_MS_PER_1K)
    cold, warm = [], []
    for _ in range(n):
        system = f"[pair {uuid.uuid4().hex[:8]}] {CACHED_SYSTEM}"  # a prefix of this pair's own: the first is cold
        pair = [runs(client, CACHE_MODEL, 1, system=system, cache=CachePlan(conversation=False), max_tokens=20)
                .records[0] for _ in range(2)]
        cold.append(pair[0])
        warm.append(pair[1])
    cold_f, warm_f = Figures(cold), Figures(warm)
    for name, figures in (("cold (written)", cold_f), ("warm (read)", warm_f)):
        read, written = figures.p("cache_read_tokens", 0.5) or 0, figures.p("cache_write_tokens", 0.5) or 0
        print(f"  {name:<15} {figures.line('ttft_ms', 'ms')} · cache read p50 {read:,.0f} · written p50 "
              f"{written:,.0f} · cost p50 ${figures.p('cost_usd', 0.5) or 0:.6f}")
    pairs = zip(cold, warm, strict=True)
    check("the warm run reads what the cold one wrote",
          all(w.cache_read_tokens == c.cache_write_tokens and c.cache_write_tokens for c, w in pairs),
          f"{[c.cache_write_tokens for c in cold]} written, {[w.cache_read_tokens for w in warm]} read")
    saved = (cold_f.p("ttft_ms", 0.5) or 0.0) - (warm_f.p("ttft_ms", 0.5) or 0.0)
    modelled = statistics.median(w.cache_read_tokens or 0 for w in warm) / 1000 * PREFILL_MS_PER_1K
    check("a warm cache answers sooner by the cached prefill", abs(saved - modelled) <= TOLERANCE * modelled + 20,
          f"TTFT p50 {saved:,.1f} ms sooner, {modelled:,.1f} ms modelled")
    check("a warm cache costs less", (warm_f.p("cost_usd", 0.5) or 0) < (cold_f.p("cost_usd", 0.5) or 0),
          f"${warm_f.p('cost_usd', 0.5) or 0:.6f} against ${cold_f.p('cost_usd', 0.5) or 0:.6f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=8, help="runs per effort and tier, and cache pairs (default 8)")
    args = parser.parse_args()
    with emulator_process(time_scale=1) as (url, _):
        client = runtime_client(url)
        effort_sweep(url, client, args.runs)
        tier_ab(url, client, args.runs)
        cache_ab(url, client, args.runs)
    failed = [name for name, ok in results if not ok]
    print(f"\nreasoning and tiers: {'PASS' if not failed else 'FAIL'} ({len(results) - len(failed)} of "
          f"{len(results)} checks held)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
