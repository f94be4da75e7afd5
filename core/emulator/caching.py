"""Prompt caching as Bedrock does it: cache points, one cache of prompt prefixes per model, and the token counts.

A request marks cache points: a Converse `cachePoint {type: default, ttl?: 5m|1h}` block in `system` or in a
message's `content` (botocore `CachePointBlock`), Claude's `cache_control: {type: ephemeral, ttl?}` on a
content or system block (InvokeModel), or Nova's own `cachePoint` block (InvokeModel; the aws-samples prompt
caching notebook for Nova uses both APIs). Each point stands for the prompt up to it: its token count and a
digest of its text. The cache keeps, per model, the digests it has seen, each until its TTL runs out; a hit
resets the TTL (AWS "Prompt caching for faster model inference").

The accounting is Anthropic's ("Prompt caching", "Mixing different TTLs"; Bedrock reports the same counts):
A = the longest cached prefix among the points (read), C = the last point, B = the last 1-hour point after A.
Reads are A tokens; writes are C - A, of which B - A at 1 hour and C - B at 5 minutes; the uncached rest is
what `inputTokens` / `input_tokens` / `inputTokenCount` report (Bedrock's `inputTokens` "represents only the
non-cached input tokens": AWS prompt caching page, quoted in crmne/ruby_llm#828). A point whose prefix is
shorter than the model's minimum is not cached and raises no error (Anthropic: "no error is returned").

Limits per model (`CacheRules`, in the model table): the minimum prefix, the TTLs it takes (1 hour: Claude
Haiku 4.5, Sonnet 4.5, Opus 4.5 from 2026-01-26, aws-samples/bedrock-access-gateway#224; the later Claude
models by inference), and Nova's 32k-token ceiling on cached prompts (the AWS prompt caching table, as
mirrored by portkey's Bedrock page). At most four points per request (the same table; Anthropic's limit).

Errors, and where their text comes from:
- caching on a model without it: AccessDeniedException "You invoked an unsupported model or your request did
  not allow prompt caching. See the documentation for more information." (strands-agents/harness-sdk#1807,
  tested against Bedrock with Llama; the same text in posit-dev/positron#12142 and zeroclaw-labs/zeroclaw#7315);
- a `type` or `ttl` outside the enum: Coral's enum message (the form Bedrock uses for `performanceConfig`,
  NousResearch/hermes-agent#34476);
- five points: Anthropic's "A maximum of 4 blocks with cache_control may be provided. Found 5.";
- a 1-hour point after a 5-minute one ("TTLs must be non-increasing across toolConfig -> system -> messages",
  strands' `BedrockCacheTTL` docs) and 1 hour on a model without it: the emulator's wording (no capture).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .errors import BedrockError

TTLS = ("5m", "1h")
TTL_S = {"5m": 300.0, "1h": 3600.0}
MAX_POINTS = 4
_ENTRY_LIMIT = 10_000  # a long-running emulator forgets its oldest prefixes first

UNSUPPORTED = ("You invoked an unsupported model or your request did not allow prompt caching. See the "
               "documentation for more information.")


def too_many(found: int) -> str:
    return f"A maximum of {MAX_POINTS} blocks with cache_control may be provided. Found {found}."


def enum_error(value: object, where: str, allowed: Sequence[str]) -> str:
    """Coral's words for a value outside an enum, as Bedrock answers them."""
    return (f"1 validation error detected: Value '{value}' at '{where}' failed to satisfy constraint: "
            f"Member must satisfy enum value set: [{', '.join(allowed)}]")


TTL_ORDER = ("Cache points must not get longer TTLs along the prompt: a 1h cache point cannot follow a 5m one. "
             "Put the 1h cache points first.")


def ttl_unsupported(ttl: str) -> str:
    return f"The provided model doesn't support the {ttl} cache TTL. Use 5m, or leave out the ttl."


@dataclass(frozen=True)
class CacheRules:
    """How one model caches: the shortest prefix it caches (tokens), its TTLs, the longest prefix it caches."""

    min_tokens: int
    ttls: tuple[str, ...] = ("5m",)
    max_tokens: int | None = None


@dataclass(frozen=True)
class Mark:
    """A cache point as a family read it off the wire, before its position is known."""

    ttl: str


@dataclass(frozen=True)
class CachePoint:
    """The prompt up to one cache point: its tokens, its TTL and the digest the cache keys it by."""

    tokens: int
    ttl: str
    digest: str


@dataclass(frozen=True)
class CacheUse:
    """What one request read from and wrote to the cache, in tokens (`write_1h_tokens` is part of the writes)."""

    read_tokens: int = 0
    write_tokens: int = 0
    write_1h_tokens: int = 0

    @property
    def write_5m_tokens(self) -> int:
        return self.write_tokens - self.write_1h_tokens

    @property
    def cached_tokens(self) -> int:
        return self.read_tokens + self.write_tokens


def digest(model_id: str, prefix: str) -> str:
    data = (model_id + "\x1f" + prefix).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def check_marks(rules: CacheRules | None, marks: Sequence[Mark], fail: Callable[[str], BedrockError]) -> None:
    """Bedrock's checks on a request's cache points as a whole (each mark's own fields are the family's)."""
    if not marks:
        return
    if rules is None:
        raise BedrockError("AccessDeniedException", UNSUPPORTED)
    if len(marks) > MAX_POINTS:
        raise fail(too_many(len(marks)))
    for mark in marks:
        if mark.ttl not in rules.ttls:
            raise fail(ttl_unsupported(mark.ttl))
    for before, after in zip(marks, marks[1:], strict=False):
        if TTL_S[after.ttl] > TTL_S[before.ttl]:
            raise fail(TTL_ORDER)


@dataclass
class _Entry:
    tokens: int
    ttl: str
    expires_at: float


class PromptCache:
    """The cache of one emulator (one account: Bedrock isolates caches per account, not per caller).

    `now` is wall-clock seconds; TTLs are wall time times `ttl_scale` (1: five minutes are five minutes, even
    at time scale 0, so a test at full speed still sees its cache; a smaller scale lets a test see one expire).
    """

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], _Entry] = {}
        self.ttl_scale = 1.0

    def clear(self) -> None:
        self._entries.clear()

    def describe(self, now: float) -> list[dict[str, object]]:
        """The live entries, for GET /_emulator/cache: model, tokens, TTL and seconds left (no prompt text)."""
        self._expire(now)
        return [{"model_id": model_id, "digest": key, "tokens": e.tokens, "ttl": e.ttl,
                 "expires_in_s": round(e.expires_at - now, 3)} for (model_id, key), e in self._entries.items()]

    def _expire(self, now: float) -> None:
        for key in [k for k, e in self._entries.items() if e.expires_at <= now]:
            del self._entries[key]

    def _keep(self, model_id: str, point: CachePoint, now: float) -> None:
        if len(self._entries) >= _ENTRY_LIMIT:
            del self._entries[next(iter(self._entries))]
        self._entries[(model_id, point.digest)] = _Entry(point.tokens, point.ttl,
                                                          now + TTL_S[point.ttl] * self.ttl_scale)

    def use(self, model_id: str, rules: CacheRules, points: Sequence[CachePoint], now: float) -> CacheUse:
        """Read the longest cached prefix, write the points after it, and say how many tokens each took."""
        self._expire(now)
        eligible = [p for p in points if p.tokens >= rules.min_tokens
                    and (rules.max_tokens is None or p.tokens <= rules.max_tokens)]
        hits = [p for p in eligible if (model_id, p.digest) in self._entries]
        read = max((p.tokens for p in hits), default=0)
        for point in hits:
            self._keep(model_id, point, now)  # a hit resets its TTL
        after = [p for p in eligible if p.tokens > read]
        if not after:
            return CacheUse(read_tokens=read)
        last = max(p.tokens for p in after)
        long_until = max((p.tokens for p in after if p.ttl == "1h"), default=read)
        for point in after:
            self._keep(model_id, point, now)
        return CacheUse(read_tokens=read, write_tokens=last - read, write_1h_tokens=long_until - read)


__all__ = ["CachePoint", "CacheRules", "CacheUse", "Mark", "PromptCache", "TTLS", "check_marks", "digest"]
