"""The over-saturation stop: the service (or the client) can no longer keep up with the arrivals.

Definition. Over a sliding window (the last `window_s` seconds), two series are fitted with least squares
against time: the TTFT of each stream that finished ok (placed at the moment it finished: when it is known, so
the window is never waiting on answers still in flight) and the requests in flight (sampled at every progress
tick). The load is over-saturated when both rise steadily:

- steadily: the slope's lower bound, slope - 2 x its standard error, is above 0 (a t-statistic over 2: a
  trend, not noise), with at least `min_samples` points spread over at least half the window; and
- enough to matter: the fitted rise over the window is at least `min_rise` of the series' mean there
  (10% by default).

Either alone is normal: in-flight rises with a ramp while TTFT holds (the service keeps up), and TTFT drifts
with a model's mood while in flight holds. Both together mean requests queue faster than they drain, so every
figure from then on measures the queue, not the model (GuideLLM stops on the same two signals). A closed-loop
step never trips it: its in-flight count is constant.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class SaturationRule:
    """When the over-saturation stop trips (see the module docstring)."""

    window_s: float = 10.0
    min_rise: float = 0.10
    min_samples: int = 8


@dataclass(frozen=True)
class Trend:
    """A least-squares line over a window: slope per second, its standard error, and the fitted values at the
    window's start and end."""

    slope: float
    stderr: float
    first: float
    last: float
    mean: float

    def rising(self, rule: SaturationRule) -> bool:
        rise = self.last - self.first
        return self.slope - 2 * self.stderr > 0 and self.mean > 0 and rise >= rule.min_rise * self.mean


def trend(points: Sequence[tuple[float, float]]) -> Trend | None:
    """The least-squares line through (time_s, value) points; None with fewer than three or no spread in time."""
    n = len(points)
    if n < 3:
        return None
    mean_t = sum(t for t, _ in points) / n
    mean_v = sum(v for _, v in points) / n
    sxx = sum((t - mean_t) ** 2 for t, _ in points)
    if sxx <= 0:
        return None
    slope = sum((t - mean_t) * (v - mean_v) for t, v in points) / sxx
    residual = sum((v - mean_v - slope * (t - mean_t)) ** 2 for t, v in points)
    stderr = math.sqrt(residual / (n - 2) / sxx)
    start, end = min(t for t, _ in points), max(t for t, _ in points)
    return Trend(slope, stderr, mean_v + slope * (start - mean_t), mean_v + slope * (end - mean_t), mean_v)


class SaturationDetector:
    """Feed it TTFTs and in-flight counts as they come (times in seconds on one clock); `verdict` says why the
    load is over-saturated, or None. No I/O: the benchmark decides what to do with the verdict."""

    def __init__(self, rule: SaturationRule | None = None) -> None:
        self.rule = rule or SaturationRule()
        self._ttft: list[tuple[float, float]] = []
        self._flight: list[tuple[float, float]] = []

    def add_ttft(self, finished_s: float, ttft_ms: float) -> None:
        self._ttft.append((finished_s, ttft_ms))

    def add_in_flight(self, at_s: float, in_flight: int) -> None:
        self._flight.append((at_s, float(in_flight)))

    def verdict(self, now_s: float) -> str | None:
        """Why the load is over-saturated now, in words for the user; None while it is not."""
        rule = self.rule
        since = now_s - rule.window_s
        self._ttft = [p for p in self._ttft if p[0] >= since]
        self._flight = [p for p in self._flight if p[0] >= since]
        ttft = self._steady(self._ttft)
        flight = self._steady(self._flight)
        if ttft is None or flight is None:
            return None
        return (f"over-saturated: over the last {rule.window_s:g} s, TTFT rose from {ttft.first:,.0f} to "
                f"{ttft.last:,.0f} ms and requests in flight from {flight.first:,.0f} to {flight.last:,.0f}, "
                "both steadily (figures after this would measure a queue, not the model)")

    def _steady(self, points: list[tuple[float, float]]) -> Trend | None:
        rule = self.rule
        if len(points) < rule.min_samples or points[-1][0] - points[0][0] < rule.window_s / 2:
            return None
        fitted = trend(points)
        return fitted if fitted is not None and fitted.rising(rule) else None
