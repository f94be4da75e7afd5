"""Service tiers and latency-optimized inference: what a request asks for, what it is served, and how fast.

Wire (botocore 1.44.5): Converse `serviceTier {type: priority|default|flex|reserved}` and `performanceConfig
{latency: standard|optimized}` in the request and the response, `metadata.serviceTier` / `.performanceConfig`
in ConverseStream; InvokeModel the headers `X-Amzn-Bedrock-Service-Tier` and
`X-Amzn-Bedrock-PerformanceConfig-Latency`, on the request and the response. The response says what was
served, and only when the request asked (a request that asks nothing gets no echo: the emulator's reading).

What the tiers do (AWS "Service tiers" page and the 2025-11-18 launch note): priority gives "up to 25% better
output tokens per second" and goes ahead of the queue, so a somewhat shorter first token too; flex is served
after the others, so a slower rate and a longer, more variable wait (no figure is published: the factors
below are the emulator's choice); reserved is reserved priority capacity that overflows to the standard tier.
Latency-optimized: the shared wire table's Claude 3.5 Haiku figures, TTFT 0.70-0.81 s standard against about
0.6 s optimized and about 60 against 100 tok/s, so 0.8x the TTFT and 1.65x the rate.

Quiet fallbacks, set by POST /_emulator/config: `priority_capacity` (how many more priority requests get
priority; then they are served `default`), `reserved_capacity` (the same for reserved), `optimized_quota`
(how many more optimized requests are optimized; then `standard`, as Bedrock does when the latency-optimized
quota is used up: AWS "Latency-optimized inference"). null means no limit.

Errors (the texts as reported from real Bedrock):
- a tier outside the enum: "service tier provided is invalid" (NousResearch/hermes-agent#34476, and a
  bedrock-smart-router change log, 2026-05, for `serviceTier: "standard"`);
- a tier the model lacks: "The provided service tier is not supported for this model" (the same log, for
  priority on the Opus models);
- reserved without a reservation: "Reservation not found." (envoyproxy/ai-gateway#1749, hermes-agent#34476);
- a latency outside the enum: Coral's enum message (hermes-agent#34476: "... must satisfy enum value set:
  [optimized, standard]");
- optimized latency on a model without it: the emulator's wording, after "The provided model doesn't support
  counting tokens." (no capture of the real text).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .caching import enum_error
from .errors import validation
from .models import EmulatedModel

TIERS = ("priority", "default", "flex", "reserved")
LATENCIES = ("standard", "optimized")
TIER_HEADER = b"x-amzn-bedrock-service-tier"
LATENCY_HEADER = b"x-amzn-bedrock-performanceconfig-latency"

TIER_INVALID = "service tier provided is invalid"
TIER_UNSUPPORTED = "The provided service tier is not supported for this model"
NO_RESERVATION = "Reservation not found."
LATENCY_UNSUPPORTED = "The provided model doesn't support latency optimized inference."


@dataclass(frozen=True)
class Effect:
    """How serving changes a model's latency profile: factors on its TTFT, its decode rate and the TTFT's spread."""

    ttft: float = 1.0
    rate: float = 1.0
    spread: float = 1.0

    def then(self, other: Effect) -> Effect:
        return Effect(self.ttft * other.ttft, self.rate * other.rate, self.spread * other.spread)


TIER_EFFECTS = {
    "priority": Effect(ttft=0.85, rate=1.25),  # "up to 25% better OTPS"; TTFT: ahead of the queue (emulator's pick)
    "default": Effect(),
    "flex": Effect(ttft=1.6, rate=0.8, spread=2.0),  # served last: slower and less predictable (emulator's pick)
    "reserved": Effect(ttft=0.85, rate=1.25),  # reserved priority capacity
}
LATENCY_EFFECTS = {"standard": Effect(), "optimized": Effect(ttft=0.8, rate=1.65)}  # wire table, Claude 3.5 Haiku


@dataclass(frozen=True)
class Ask:
    """What a request asked for; None where it said nothing."""

    tier: Any = None
    latency: Any = None
    api: str = "converse"  # where the latency error points: performanceConfig.latency or the InvokeModel header


@dataclass(frozen=True)
class Served:
    """What a request was served with; None where it asked nothing (and gets no echo)."""

    tier: str | None = None
    latency: str | None = None

    @property
    def effect(self) -> Effect:
        return TIER_EFFECTS[self.tier or "default"].then(LATENCY_EFFECTS[self.latency or "standard"])


DEFAULT = Served()


@dataclass
class Capacity:
    """The account's serving limits (the control endpoint's); a count is how many more requests get the tier."""

    priority: int | None = None
    reserved: int | None = None
    optimized: int | None = None
    reservations: frozenset[str] = frozenset()  # base model ids the account holds a Reserved tier for

    def take(self, name: str) -> bool:
        """Whether one more request fits in `name`'s capacity (and use it up if so)."""
        left: int | None = getattr(self, name)
        if left is None:
            return True
        if left <= 0:
            return False
        setattr(self, name, left - 1)
        return True

    def describe(self) -> dict[str, Any]:
        return {"priority_capacity": self.priority, "reserved_capacity": self.reserved,
                "optimized_quota": self.optimized, "reserved_models": sorted(self.reservations)}


def ask_of_converse(body: Mapping[str, Any]) -> Ask:
    tier = body.get("serviceTier")
    latency = body.get("performanceConfig")
    return Ask(tier.get("type") if isinstance(tier, dict) else tier,
               latency.get("latency") if isinstance(latency, dict) else latency, "converse")


def ask_of_headers(tier: bytes, latency: bytes) -> Ask:
    return Ask(tier.decode("latin-1") or None, latency.decode("latin-1") or None, "invoke")


def check(model: EmulatedModel, ask: Ask, capacity: Capacity) -> Served:
    """Bedrock's checks on a request's tier and latency mode, then what it is served with (or the error)."""
    tier = ask.tier
    if tier is not None:
        if tier not in TIERS:
            raise validation(TIER_INVALID)
        if tier == "reserved" and model.model_id not in capacity.reservations:
            raise validation(NO_RESERVATION)
        if tier in ("priority", "flex") and tier not in model.tiers:
            raise validation(TIER_UNSUPPORTED)
    latency = ask.latency
    if latency is not None:
        if latency not in LATENCIES:
            where = "performanceConfig.latency" if ask.api == "converse" else "performanceConfigLatency"
            raise validation(enum_error(latency, where, ("optimized", "standard")))
        if latency == "optimized" and not model.latency_optimized:
            raise validation(LATENCY_UNSUPPORTED)
    if tier in ("priority", "reserved") and not capacity.take(str(tier)):
        tier = "default"  # quietly, as the overflow of a reservation or a priority queue that is full
    if latency == "optimized" and not capacity.take("optimized"):
        latency = "standard"  # the latency-optimized quota is used up: served, and billed, as standard
    return Served(tier, latency)


def converse_fields(served: Served) -> dict[str, Any]:
    """What a Converse response (or a ConverseStream `metadata` event) says was served."""
    fields: dict[str, Any] = {}
    if served.tier is not None:
        fields["serviceTier"] = {"type": served.tier}
    if served.latency is not None:
        fields["performanceConfig"] = {"latency": served.latency}
    return fields


def invoke_headers(served: Served) -> list[tuple[bytes, bytes]]:
    """What an InvokeModel response's headers say was served."""
    headers = []
    if served.tier is not None:
        headers.append((TIER_HEADER, served.tier.encode()))
    if served.latency is not None:
        headers.append((LATENCY_HEADER, served.latency.encode()))
    return headers


def describe_effects() -> dict[str, Any]:
    """The factors each tier and latency mode puts on a profile, for GET /_emulator/config (benchmarks check them)."""
    return {"tiers": {name: e.__dict__ for name, e in TIER_EFFECTS.items()},
            "latency": {name: e.__dict__ for name, e in LATENCY_EFFECTS.items()}}

