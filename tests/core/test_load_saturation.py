"""The over-saturation stop: the rule on synthetic series, then on an emulator made to saturate."""

from __future__ import annotations

import random
import threading
import time
from typing import Any

from core import bench
from core.load.patterns import LoadPattern
from core.load.saturation import SaturationDetector, SaturationRule, trend
from tests.conftest import client_for

from ..models import FAST

RULE = SaturationRule(window_s=10, min_rise=0.1, min_samples=8)


def fed(ttft: Any, flight: Any, seconds: int = 12) -> str | None:
    detector = SaturationDetector(RULE)
    rng = random.Random(5)
    for tenth in range(seconds * 10):
        t = tenth / 10
        detector.add_ttft(t, ttft(t) * (1 + rng.gauss(0, 0.05)))
        detector.add_in_flight(t, round(flight(t)))
    return detector.verdict(seconds)


def test_both_rising_steadily_is_over_saturation() -> None:
    verdict = fed(lambda t: 200 + 40 * t, lambda t: 10 + 3 * t)
    assert verdict is not None and verdict.startswith("over-saturated: over the last 10 s, TTFT rose from")


def test_one_rising_alone_or_noise_is_not() -> None:
    assert fed(lambda t: 200.0, lambda t: 10 + 3 * t) is None  # a ramp the service keeps up with
    assert fed(lambda t: 200 + 40 * t, lambda t: 32.0) is None  # closed loop: in flight is constant
    assert fed(lambda t: 200 + 1 * t, lambda t: 10 + 0.05 * t) is None  # rising, but by under 10% of the mean
    noisy = random.Random(9)
    assert fed(lambda t: 200 + noisy.gauss(0, 80), lambda t: 10 + noisy.gauss(0, 4)) is None
    assert fed(lambda t: 200 + 40 * t, lambda t: 10 + 3 * t, seconds=4) is None  # under half a window of data


def test_the_fit_is_least_squares() -> None:
    line = trend([(0, 1.0), (1, 3.0), (2, 5.0), (3, 7.0)])
    assert line is not None and line.slope == 2.0 and line.stderr == 0.0 and (line.first, line.last) == (1.0, 7.0)
    assert trend([(1, 1.0), (1, 2.0), (1, 3.0)]) is None


def test_a_rate_the_emulator_cannot_keep_up_with_stops_the_benchmark(emulator: Any, control: Any) -> None:
    # The emulator has no queue of its own, so the test makes one: its TTFT for the model grows by 40 ms every
    # 50 ms (the profile endpoint), while requests keep arriving at 40 a second; by Little's law the requests in
    # flight (rate x time in the system) grow with it. Both rising steadily is the over-saturation the stop is for.
    control.request("POST", "/_emulator/config", {"time_scale": 1})
    control.request("POST", "/_emulator/profiles", {"model_id": FAST, "ttft_ms": 50, "ttft_spread": 0,
                                                    "tokens_per_s": 2000, "chunk_tokens": [20, 20]})
    done = threading.Event()

    def slow_down() -> None:
        ttft = 50
        while not done.wait(0.05):
            ttft += 40
            control.request("POST", "/_emulator/profiles", {"model_id": FAST, "ttft_ms": ttft, "ttft_spread": 0,
                                                            "tokens_per_s": 2000, "chunk_tokens": [20, 20]})

    spec = bench.BenchmarkSpec((FAST,), ("Say hello in five words.",), 16, pattern=LoadPattern(
        "rate", 512, rate_per_s=40), max_requests=600, duration_s=12,
        saturation=SaturationRule(window_s=1.5, min_samples=8))
    slower = threading.Thread(target=slow_down, daemon=True)
    slower.start()
    started = time.monotonic()
    try:
        result = bench.run_benchmark(spec, client=client_for(emulator.url, read_timeout_s=30), tick_s=0.05)
    finally:
        done.set()
        slower.join(2)
    assert result.stop_reason.startswith("over-saturated"), result.stop_reason
    assert time.monotonic() - started < 8 and len(result.records) < 600
    assert result.step_ends == {"rate 40/s": result.stop_reason} and not result.cancelled


def test_a_steady_load_at_a_steady_ttft_runs_to_the_end(emulator: Any, control: Any) -> None:
    control.request("POST", "/_emulator/config", {"time_scale": 1})
    # A constant load the service keeps up with, the model's TTFT left alone (at 10 requests a second about two
    # are in flight, so a test machine busy with other work does not build a queue of its own): no stop.
    control.request("POST", "/_emulator/profiles", {"model_id": FAST, "ttft_ms": 200, "ttft_spread": 0,
                                                    "tokens_per_s": 2000, "chunk_tokens": [20, 20]})
    spec = bench.BenchmarkSpec((FAST,), ("Say hello in five words.",), 16, pattern=LoadPattern(
        "rate", 512, rate_per_s=10), max_requests=40, saturation=SaturationRule(window_s=1.5, min_samples=8))
    result = bench.run_benchmark(spec, client=client_for(emulator.url), tick_s=0.05)
    assert result.stop_reason == bench.FINISHED and len(result.records) == 40
    assert {r.status for r in result.records} == {"ok"}
