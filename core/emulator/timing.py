"""When each frame of a response is due, drawn from the model's latency profile.

Times are seconds after the request arrived, before the time scale is applied. The first frame
that carries output tokens is due at the drawn time to first token; the rest are spread so that the
whole output takes `output_tokens / rate`, which makes the decode rate a client measures as
`output_tokens / (E2E - TTFT)` (the formula AWS uses) match the drawn rate. A hidden first frame (thinking
the model does not show) is due once all its tokens are made, after a silence of `tokens / rate`.

The time to first token is the profile's (for a short prompt), changed by the tier and latency mode the request
was served with (`serving.Effect`), plus the time to read the prompt tokens not read from the cache (those it
writes to the cache are read like any others):

    TTFT = ttft_ms x effect.ttft x lognormal(ttft_spread x effect.spread) + prefill_tokens / 1000 x prefill_ms_per_1k

so a cache hit shortens TTFT by the prefill of the tokens it read, in proportion to the cached share of the
prompt, and the decode rate is `tokens_per_s x effect.rate x lognormal(rate_spread)`.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from .families import Frame
from .models import LatencyProfile
from .serving import Effect

_SAME = Effect()


@dataclass(frozen=True)
class Draw:
    ttft_s: float
    tokens_per_s: float


def draw(profile: LatencyProfile, rng: random.Random, effect: Effect = _SAME, prefill_tokens: int = 0) -> Draw:
    """Log-normal draws centred (median) on the profile's figures, as served, plus the prompt's prefill."""
    queue_s = profile.ttft_ms / 1000 * effect.ttft * math.exp(rng.gauss(0, profile.ttft_spread * effect.spread))
    prefill_s = prefill_tokens / 1000 * profile.prefill_ms_per_1k_tokens / 1000
    return Draw(queue_s + prefill_s, profile.tokens_per_s * effect.rate * math.exp(rng.gauss(0, profile.rate_spread)))


def chunk(tokens: tuple[str, ...], sizes: tuple[int, int], rng: random.Random) -> list[str]:
    """Group tokens into stream pieces of `sizes[0]..sizes[1]` tokens, like the family's real chunks."""
    low, high = sizes
    pieces, at = [], 0
    while at < len(tokens):
        step = low if low == high else rng.randint(low, high)
        pieces.append("".join(tokens[at: at + step]))
        at += step
    return pieces


def schedule(frames: list[Frame], d: Draw, rng: random.Random) -> list[float]:
    """Due time of each frame, in seconds after the request (unscaled)."""
    carrying = [i for i, f in enumerate(frames) if f.tokens]
    if not carrying:
        return [d.ttft_s] * len(frames)
    total = sum(frames[i].tokens for i in carrying)
    first = 0 if frames[carrying[0]].hidden else frames[carrying[0]].tokens
    duration = total / d.tokens_per_s
    gap = duration / max(1, len(carrying) - 1)
    times, cum, last = [], 0, d.ttft_s
    for i, frame in enumerate(frames):
        if frame.tokens:
            cum += frame.tokens
            share = (cum - first) / (total - first) if total > first else 0.0
            at = d.ttft_s + share * duration
            if i not in (carrying[0], carrying[-1]):
                at += (rng.random() - 0.5) * 0.5 * gap  # real streams are not metronomes
            last = max(last, at)
        times.append(last)
    return times


def sync_duration(output_tokens: int, d: Draw) -> float:
    return d.ttft_s + output_tokens / d.tokens_per_s


__all__ = ["Draw", "chunk", "draw", "schedule", "sync_duration"]
