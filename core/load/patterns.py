"""Load patterns: how many requests are in flight, or when each one is sent.

Two families, as the load tools people trust have them (GuideLLM, vLLM `bench serve`, LLMeter):

- closed loop (`fixed`, `sweep`): a number of streams in flight; each one that ends is replaced at once.
  A sweep is one step per level, 1, 2, 4, ... up to the top level (the top level itself last).
- open loop (`rate`, `poisson`, `ramp`): requests are sent at scheduled times whatever the answers do, up
  to `concurrency` in flight (the cap; a request due while the cap is reached waits for a free slot).
  `rate` sends one every 1/rate seconds; `poisson` draws gamma inter-arrival times with mean 1/rate and
  shape `burstiness` (1 is a Poisson process; lower is burstier: the coefficient of variation of the
  gaps is 1/sqrt(burstiness), as in vLLM's `--burstiness`); `ramp` raises the rate linearly from
  `rate_per_s` to `end_rate_per_s` over `ramp_s` seconds, then holds it.

A schedule is a pure function of (pattern, count, seed): tests check it statistically without sending anything.

    times = arrival_times_s(LoadPattern("poisson", rate_per_s=10, burstiness=0.5), 1000, seed=1)
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Literal

PatternKind = Literal["fixed", "sweep", "rate", "poisson", "ramp"]
PATTERN_KINDS: tuple[PatternKind, ...] = ("fixed", "sweep", "rate", "poisson", "ramp")
OPEN_LOOP: tuple[PatternKind, ...] = ("rate", "poisson", "ramp")
MAX_CONCURRENCY = 4096  # streams in flight, or sweep level: past this, spread the load over machines (Locust)
MAX_RATE_PER_S = 10_000.0
WARMUP_STEP = "warm-up"


class InvalidPattern(ValueError):
    """The pattern cannot run as given; the message says what to change and is shown to the user."""


@dataclass(frozen=True)
class LoadPattern:
    """A load pattern. `concurrency` is the streams in flight (fixed), the top level (sweep, unless `levels`
    are given), or the cap on requests in flight (open loop)."""

    kind: PatternKind = "fixed"
    concurrency: int = 4
    rate_per_s: float | None = None  # rate, poisson: requests a second; ramp: the rate it starts from
    end_rate_per_s: float | None = None  # ramp: the rate reached after ramp_s
    ramp_s: float | None = None
    burstiness: float = 1.0  # poisson: the gamma shape (1: Poisson; below 1: burstier; above: more regular)
    levels: tuple[int, ...] = ()  # sweep: the levels to run (empty: 1, 2, 4, ... concurrency)

    @property
    def open_loop(self) -> bool:
        return self.kind in OPEN_LOOP


@dataclass(frozen=True)
class Step:
    """One load step of a pattern: its name (the figures' grouping), its concurrency, and whether its requests
    follow an arrival schedule (open loop) or replace each other as they end (closed loop)."""

    name: str
    concurrency: int
    open_loop: bool


def problems(pattern: LoadPattern) -> list[str]:
    """What is wrong with the pattern, in words for the user (empty: it can run)."""
    found = []
    if pattern.kind not in PATTERN_KINDS:
        found.append(f"the pattern must be one of {', '.join(PATTERN_KINDS)}, not {pattern.kind!r}")
        return found
    if not 1 <= pattern.concurrency <= MAX_CONCURRENCY:
        what = "the sweep's top level" if pattern.kind == "sweep" else "concurrency"
        found.append(f"{what} must be between 1 and {MAX_CONCURRENCY} (got {pattern.concurrency})")
    if pattern.kind == "sweep":
        wrong = [level for level in pattern.levels if not 1 <= level <= MAX_CONCURRENCY]
        if wrong:
            found.append(f"sweep levels must be between 1 and {MAX_CONCURRENCY} (got {', '.join(map(str, wrong))})")
    if pattern.open_loop:
        name = "the start rate" if pattern.kind == "ramp" else "the rate"
        low = 0.0 if pattern.kind == "ramp" else None  # a ramp may start from nothing
        rate = pattern.rate_per_s
        if rate is None or math.isnan(rate) or rate > MAX_RATE_PER_S or (rate < 0 if low == 0 else rate <= 0):
            bound = "0 or more" if low == 0 else "above 0"
            found.append(f"{name} must be {bound} and at most {MAX_RATE_PER_S:,.0f} requests a second (got {rate})")
    if pattern.kind == "poisson" and not (pattern.burstiness > 0 and math.isfinite(pattern.burstiness)):
        found.append(f"burstiness must be above 0 (1 is Poisson; got {pattern.burstiness})")
    if pattern.kind == "ramp":
        end = pattern.end_rate_per_s
        if end is None or math.isnan(end) or not 0 < end <= MAX_RATE_PER_S:
            found.append(f"the end rate must be above 0 and at most {MAX_RATE_PER_S:,.0f} requests a second "
                         f"(got {end})")
        if pattern.ramp_s is None or not pattern.ramp_s > 0 or not math.isfinite(pattern.ramp_s):
            found.append(f"the ramp's duration must be above 0 seconds (got {pattern.ramp_s})")
    return found


def check(pattern: LoadPattern) -> None:
    """Raise InvalidPattern naming every problem."""
    found = problems(pattern)
    if found:
        raise InvalidPattern("; ".join(found) + ".")


def sweep_levels(top: int) -> tuple[int, ...]:
    """1, 2, 4, ... below `top`, then `top`: 1, 2, 4, 8, 10 for 10."""
    levels, level = [], 1
    while level < top:
        levels.append(level)
        level *= 2
    return (*levels, top)


def steps(pattern: LoadPattern) -> list[Step]:
    """The pattern's load steps, in the order they run."""
    if pattern.kind == "sweep":
        levels = pattern.levels or sweep_levels(pattern.concurrency)
        return [Step(f"c={level}", level, False) for level in levels]
    return [Step(describe(pattern), pattern.concurrency, pattern.open_loop)]


def describe(pattern: LoadPattern) -> str:
    """The pattern in a few words: "c=8", "sweep 1..64", "rate 5/s", "poisson 5/s b=0.5", "ramp 1-20/s in 30 s"."""
    if pattern.kind == "fixed":
        return f"c={pattern.concurrency}"
    if pattern.kind == "sweep":
        levels = pattern.levels or sweep_levels(pattern.concurrency)
        return f"sweep {levels[0]}..{levels[-1]}"
    rate = f"{pattern.rate_per_s:g}"
    if pattern.kind == "rate":
        return f"rate {rate}/s"
    if pattern.kind == "poisson":
        return f"poisson {rate}/s b={pattern.burstiness:g}"
    return f"ramp {rate}-{pattern.end_rate_per_s:g}/s in {pattern.ramp_s:g} s"


def arrival_times_s(pattern: LoadPattern, count: int, seed: int = 0) -> list[float]:
    """When each of `count` requests is sent, in seconds from the step's start (the first at 0). Closed-loop
    patterns have no schedule: an empty list."""
    if not pattern.open_loop or count <= 0:
        return []
    check(pattern)
    rate = float(pattern.rate_per_s or 0.0)
    if pattern.kind == "rate":
        return [k / rate for k in range(count)]
    if pattern.kind == "poisson":
        rng = random.Random(seed)
        shape = pattern.burstiness
        scale = 1.0 / (rate * shape)  # mean gap shape x scale = 1/rate
        times, at = [0.0], 0.0
        for _ in range(count - 1):
            at += rng.gammavariate(shape, scale)
            times.append(at)
        return times
    return [_ramp_time(k, rate, float(pattern.end_rate_per_s or 0.0), float(pattern.ramp_s or 0.0))
            for k in range(count)]


def _ramp_time(k: int, start: float, end: float, ramp_s: float) -> float:
    """When the k-th request of a ramp is due: the inverse of the cumulative rate, start t + slope t^2 / 2,
    up to the ramp's end; then the end rate holds."""
    slope = (end - start) / ramp_s
    ramped = start * ramp_s + slope * ramp_s * ramp_s / 2  # requests due during the ramp
    if k > ramped:
        return ramp_s + (k - ramped) / end
    if abs(slope) < 1e-12:
        return k / start
    return (-start + math.sqrt(start * start + 2 * slope * k)) / slope


def count_within(pattern: LoadPattern, duration_s: float, seed: int = 0, cap: int = 1_000_000) -> int:
    """How many of the pattern's arrivals fall before `duration_s` (open loop), at most `cap`."""
    if not pattern.open_loop:
        return cap
    rate = max(float(pattern.rate_per_s or 0.0), float(pattern.end_rate_per_s or 0.0))
    guess = min(cap, math.ceil(rate * duration_s * 1.5) + 10)
    while True:
        times = arrival_times_s(pattern, guess, seed)
        if guess >= cap or times[-1] >= duration_s:
            return sum(t < duration_s for t in times)
        guess = min(cap, guess * 2)
