"""Do four models streaming side by side slow each other down? The Compare page's lanes against each alone.

    .venv/bin/python bench/compare_concurrency.py [--rounds 10]

Targets (issue 5), within one run of this script, against an emulator process at time scale 1 (the
models' real latency profiles):
- four models streaming together finish in at most 1.15 times the wall time of the slowest of them
  run alone;
- each model's TTFT measured in the compare view is within 10% of its TTFT measured alone.

The compare view is `core.answers.start_lanes`, the code the page uses: one worker thread reads each
stream and takes its timestamps, while this script's main thread looks at every lane twenty times a
second the way the page's script thread does (text so far and live numbers). Rounds alternate the
order (together first, then alone, and the reverse), and each figure is a median over the rounds.
The emulator draws every request's TTFT and decode rate around its profile's medians (a 12% spread
for TTFT); this script sets those spreads to zero, so the figures show what running together does,
not how the draws fell.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from typing import Any

from _emulator import control, default_models, emulator_process, runtime_client

from core import answers
from core.streaming import RunRequest
from core.types import ChatRequest, Message

MODELS = default_models("compare")  # the Compare page's four default panels, as requests call them
PROMPT = "Write 150 tokens about why streaming feels faster."
POLL_S = 0.05  # the page's script thread looks at the lanes this often


def requests() -> list[RunRequest]:
    chat = ChatRequest((Message("user", PROMPT),), "", 150, 0.5, 0.9, ())
    return [RunRequest(model_id, chat, api="converse") for model_id in MODELS]


def watch(lanes: list[answers.Lane]) -> float:
    """Seconds until every lane has finished, looking at them as the page does."""
    t0 = time.perf_counter()
    while not all(lane.done for lane in lanes):
        for lane in lanes:
            _ = lane.text, lane.live()
        time.sleep(POLL_S)
    for lane in lanes:
        record = lane.record
        assert record is not None and record.status == "ok", record
    return time.perf_counter() - t0


def together(client: Any) -> tuple[float, dict[str, float]]:
    lanes = answers.start_lanes(requests(), client=client)
    wall_s = watch(lanes)
    return wall_s, {lane.run.request.model_id: lane.record.ttft_ms for lane in lanes}  # type: ignore[union-attr,misc]


def alone(client: Any) -> tuple[dict[str, float], dict[str, float]]:
    walls, ttfts = {}, {}
    for request in requests():
        lanes = answers.start_lanes([request], client=client)
        walls[request.model_id] = watch(lanes)
        ttfts[request.model_id] = lanes[0].record.ttft_ms  # type: ignore[union-attr,assignment]
    return walls, ttfts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    with emulator_process(time_scale=1) as (url, _):
        for model_id in MODELS:
            control(url, "POST", "/_emulator/profiles", {"model_id": model_id, "ttft_spread": 0, "rate_spread": 0})
        client = runtime_client(url)
        together(client)  # warm: imports, connections
        walls_together: list[float] = []
        ttft_together: dict[str, list[float]] = {m: [] for m in MODELS}
        slowest_alone: list[float] = []
        ttft_alone: dict[str, list[float]] = {m: [] for m in MODELS}
        wall_alone: dict[str, list[float]] = {m: [] for m in MODELS}
        for index in range(args.rounds):
            order = (together, alone) if index % 2 == 0 else (alone, together)
            for step in order:
                if step is together:
                    wall_s, ttfts = together(client)
                    walls_together.append(wall_s)
                    for model_id, value in ttfts.items():
                        ttft_together[model_id].append(value)
                else:
                    walls, ttfts = alone(client)
                    slowest_alone.append(max(walls.values()))
                    for model_id in MODELS:
                        ttft_alone[model_id].append(ttfts[model_id])
                        wall_alone[model_id].append(walls[model_id])
    wall_ratio = statistics.median(walls_together) / statistics.median(slowest_alone)
    print(f"Four models over {args.rounds} rounds (emulator at time scale 1, 150 output tokens each):")
    print(f"  wall time together p50 {statistics.median(walls_together):.2f} s; slowest alone p50 "
          f"{statistics.median(slowest_alone):.2f} s; ratio {wall_ratio:.3f} (target <= 1.15)")
    print(f"  {'model':<45} {'TTFT alone':>11} {'together':>9} {'ratio':>6} {'wall alone':>11}")
    ttft_ok = True
    for model_id in MODELS:
        a, t = statistics.median(ttft_alone[model_id]), statistics.median(ttft_together[model_id])
        ratio = t / a
        ttft_ok = ttft_ok and abs(ratio - 1) <= 0.10
        print(f"  {model_id:<45} {a:>8.0f} ms {t:>6.0f} ms {ratio:>6.3f} "
              f"{statistics.median(wall_alone[model_id]):>9.2f} s")
    ok = wall_ratio <= 1.15 and ttft_ok
    print(f"Targets: wall ratio <= 1.15: {'met' if wall_ratio <= 1.15 else 'NOT met'}; every TTFT within 10% "
          f"of alone: {'met' if ttft_ok else 'NOT met'}")
    print(f"\ncompare concurrency: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
