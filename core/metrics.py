"""Metric definitions shared by the run, the pages, the CLI and the benchmarks (see DESIGN.md).

All inputs are milliseconds measured from t0, the moment just before the SDK call. A metric that is
undefined is None: decode rate and time per output token need at least two output tokens.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from . import format as fmt
from .types import RunRecord


def tokens_per_s(output_tokens: int | None, e2e_ms: float | None, ttft_ms: float | None) -> float | None:
    """Decode rate, as AWS defines output tokens per second: output_tokens / (E2E - TTFT)."""
    if output_tokens is None or e2e_ms is None or ttft_ms is None or output_tokens < 2 or e2e_ms <= ttft_ms:
        return None
    return output_tokens / ((e2e_ms - ttft_ms) / 1000)


def tpot_ms(output_tokens: int | None, e2e_ms: float | None, ttft_ms: float | None) -> float | None:
    """Time per output token after the first: (E2E - TTFT) / (output_tokens - 1)."""
    if output_tokens is None or e2e_ms is None or ttft_ms is None or output_tokens < 2:
        return None
    return (e2e_ms - ttft_ms) / (output_tokens - 1)


def min_runs_for(p: float) -> int:
    """A percentile p is shown only with at least 1/(1-p) runs: p90 needs 10, p99 needs 100."""
    return math.ceil(1 / (1 - p) - 1e-9)


def percentile(values: Sequence[float], p: float) -> float | None:
    """The p-th percentile (linear interpolation), or None when there are too few values for it."""
    clean = sorted(v for v in values if v is not None and not math.isnan(v))
    if not clean or len(clean) < min_runs_for(p):
        return None
    at = (len(clean) - 1) * p
    low, high = math.floor(at), math.ceil(at)
    return clean[low] + (clean[high] - clean[low]) * (at - low)


@dataclass(frozen=True)
class GapSummary:
    """Gaps between text deltas. They are chunks, not tokens: a chunk may hold several tokens."""

    count: int
    p50_ms: float | None
    p90_ms: float | None
    max_ms: float | None


def summarize_gaps(arrivals_ms: Sequence[float]) -> GapSummary:
    """Summary of the gaps between consecutive text-delta arrival times."""
    gaps = [b - a for a, b in zip(arrivals_ms, arrivals_ms[1:], strict=False)]
    if not gaps:
        return GapSummary(0, None, None, None)
    return GapSummary(len(gaps), percentile(gaps, 0.5), percentile(gaps, 0.9), max(gaps))


def estimate_tokens(text: str) -> int:
    """A rough token count for text whose count no one reported (about four characters a token)."""
    return max(1, round(len(text) / 4)) if text else 0


def caption(record: RunRecord, price_date: str) -> str:
    """One line of a run's numbers with units, as the CLI summary and the chat page show them."""
    reasoned = record.first_reasoning_ms is not None or record.reasoning_shown is not None
    # where reasoning came first, TTFT is the answer's: said as the first answer token
    first = fmt.METRICS["first_answer_token"].short.lower() if reasoned else fmt.METRICS["ttft"].short
    parts = [f"{first} {fmt.ms(record.ttft_ms)}" if record.mode == "stream" else "sync (whole answer at once)"]
    if record.reasoning_shown == "omitted" and record.mode == "stream":
        parts.append("reasoned without showing it")
    elif reasoned and record.mode == "stream" and record.first_reasoning_ms is not None:
        thought = (f" · thought for {fmt.seconds(record.reasoning_ms / 1000)}"
                   if record.reasoning_ms is not None else "")
        parts.append(f"{fmt.METRICS['first_reasoning'].short.lower()} {fmt.ms(record.first_reasoning_ms)}{thought}")
    parts.append(f"{fmt.METRICS['e2e'].short} {fmt.ms(record.e2e_ms)}")
    if record.tokens_per_s is not None:
        parts.append(fmt.rate(record.tokens_per_s))
    if record.output_tokens is not None:
        parts.append(f"in {fmt.count(record.input_tokens)} / out {fmt.count(record.output_tokens)} tokens "
                     f"({record.tokens_source})")
    if record.cache_read_tokens or record.cache_write_tokens:
        parts.append(f"cache read {fmt.count(record.cache_read_tokens or 0)} / "
                     f"written {fmt.count(record.cache_write_tokens or 0)}")
    if record.service_tier or record.service_tier_served:
        served = record.service_tier_served or "not said"
        parts.append(f"tier {served}" + (f" (asked {record.service_tier})" if record.service_tier
                                         and record.service_tier != served else ""))
    if record.latency or record.latency_served:
        served = record.latency_served or "not said"
        parts.append(f"latency {served}" + (f" (asked {record.latency})" if record.latency
                                            and record.latency != served else ""))
    if record.cost_usd is not None:
        parts.append(f"{fmt.usd(record.cost_usd)} (estimate, prices of {price_date})")
    if record.server_first_byte_ms is not None:
        parts.append(f"{fmt.METRICS['server_first_byte'].short.lower()} {fmt.ms(record.server_first_byte_ms)}")
    if record.attempts > 1:
        parts.append(f"{fmt.count(record.attempts)} attempts")
    return " · ".join(parts)
