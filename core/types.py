"""Values shared across core: the neutral request, the events a stream turns into, and the run record.

Provider modules translate between these and each family's JSON; `streaming.run` turns events into a
`RunRecord`; `history` stores records. None of these types does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Role = Literal["user", "assistant"]
# InvokeModel, Converse, and Bedrock's OpenAI-compatible Chat Completions route (/openai/v1/chat/completions).
Api = Literal["invoke", "converse", "openai"]
Status = Literal["ok", "error", "cancelled"]
TokensSource = Literal["reported", "estimated"]
ThinkingStyle = Literal["budget", "adaptive", "effort"]
# Converse serviceTier.type and performanceConfig.latency; InvokeModel's X-Amzn-Bedrock-Service-Tier and
# X-Amzn-Bedrock-PerformanceConfig-Latency headers.
ServiceTier = Literal["priority", "default", "flex", "reserved"]
Latency = Literal["standard", "optimized"]
CacheTtl = Literal["5m", "1h"]
ReasoningShown = Literal["full", "summarized", "omitted"]
REDACTED_REASONING = "[REDACTED]"  # what Nova 2 sends in place of its reasoning text (the reasoning is billed)
SERVICE_TIERS: tuple[ServiceTier, ...] = ("priority", "default", "flex", "reserved")
LATENCIES: tuple[Latency, ...] = ("standard", "optimized")
CACHE_TTLS: tuple[CacheTtl, ...] = ("5m", "1h")


def invalid_text_at(text: str) -> int | None:
    """Where `text` stops being valid Unicode (a lone surrogate, as undecodable bytes or a JSON "\\ud800"
    escape leave), or None when it is valid. Such text cannot be sent, stored or shown."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as problem:
        return problem.start
    return None


@dataclass(frozen=True)
class Message:
    role: Role
    text: str


@dataclass(frozen=True)
class Reasoning:
    """How a model is asked to reason, already in the terms its family takes (the model table decides).

    `budget`: `thinking_budget_tokens` (Claude 3.7 to 4.5); `adaptive`: the model decides, at `effort`
    (Claude 4.6 and later, `output_config.effort`); `effort`: the family's own effort field (Nova 2
    `maxReasoningEffort`, gpt-oss `reasoning_effort`).
    """

    style: ThinkingStyle
    effort: str | None = None
    budget_tokens: int | None = None


@dataclass(frozen=True)
class CachePlan:
    """Where prompt-cache points go: after the system prompt, and after the conversation so far (the turn
    before the new one is the cached prefix a next turn reads), with the cache's time to live."""

    system: bool = True
    conversation: bool = True
    ttl: CacheTtl = "5m"


@dataclass(frozen=True)
class ChatRequest:
    """What the user asked for, whatever the model family: a conversation and its parameters.

    `messages` ends with the user's turn, or with an assistant turn to continue from (a prefill).
    Parameters left as None use the model's own default.
    """

    messages: tuple[Message, ...]
    system: str = ""
    max_tokens: int = 512
    temperature: float | None = None
    top_p: float | None = None
    stop_sequences: tuple[str, ...] = ()
    reasoning: Reasoning | None = None  # None: the model's default (no extended reasoning where it is optional)
    send_max_tokens: bool = True  # False where the model refuses an output limit (Nova 2 at high effort)
    service_tier: ServiceTier | None = None  # None: not sent (Bedrock's default tier)
    latency: Latency | None = None  # None: not sent (standard)
    cache: CachePlan | None = None  # None: no cache points


@dataclass(frozen=True)
class BuiltRequest:
    """A family's InvokeModel body for a ChatRequest, and what the translation had to change.

    `notes` are sentences for the user ("Titan takes no system prompt: it was put at the start of
    the first user turn."); a parameter is never dropped without one.
    """

    body: dict[str, object]
    notes: tuple[str, ...] = ()


# -- neutral stream events -------------------------------------------------------------------


@dataclass(frozen=True)
class TextDelta:
    """Answer text. Only this counts for time to first token."""

    text: str


@dataclass(frozen=True)
class ReasoningDelta:
    """Reasoning (thinking) text: shown apart, never mixed into the answer."""

    text: str


@dataclass(frozen=True)
class Usage:
    """Token counts the family reported; None where this event does not say. `input_tokens` is the input
    that was not read from or written to the prompt cache (as Bedrock counts it); the cached part is apart."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_tokens: int | None = None
    cache_write_tokens: int | None = None
    reasoning_tokens: int | None = None  # of output_tokens, where the family says (OpenAI-style usage)


@dataclass(frozen=True)
class Stop:
    """Why generation ended, in the family's own words (end_turn, max_tokens, length, FINISH, ...)."""

    reason: str


@dataclass(frozen=True)
class ServerMetrics:
    """Bedrock's own timing: `amazon-bedrock-invocationMetrics` or Converse `metadata.metrics`."""

    first_byte_ms: float | None = None
    invocation_ms: float | None = None
    input_tokens: int | None = None  # excludes cached tokens (invocationMetrics.inputTokenCount)
    output_tokens: int | None = None
    cache_read_tokens: int | None = None
    cache_write_tokens: int | None = None


@dataclass(frozen=True)
class Served:
    """What Bedrock says it served: the tier and the latency mode (it may differ from what was asked: an
    optimized or priority request is quietly served as standard when that capacity runs out)."""

    service_tier: str | None = None
    latency: str | None = None


Event = TextDelta | ReasoningDelta | Usage | Stop | ServerMetrics | Served


@dataclass(frozen=True)
class Completion:
    """A whole sync response, parsed."""

    text: str
    reasoning: str = ""
    input_tokens: int | None = None  # not counting cached input (as Bedrock reports it)
    output_tokens: int | None = None
    stop_reason: str | None = None
    cache_read_tokens: int | None = None
    cache_write_tokens: int | None = None
    reasoning_tokens: int | None = None


# -- the record of one run -------------------------------------------------------------------


@dataclass
class RunRecord:
    """Everything measured about one request, written once when it ends (ok, error or cancelled).

    Times are milliseconds from `t0`, the moment just before the SDK call; a metric that cannot be
    known is None, never a guess (decode rate needs at least two output tokens).
    """

    run_id: str
    started_utc: str
    model_id: str
    provider: str
    api: Api
    mode: Literal["stream", "sync"]
    backend: str
    region: str | None = None
    status: Status = "ok"
    ttft_ms: float | None = None
    first_event_ms: float | None = None
    e2e_ms: float | None = None
    tokens_per_s: float | None = None
    tpot_ms: float | None = None
    gap_count: int = 0
    gap_p50_ms: float | None = None
    gap_p90_ms: float | None = None
    gap_max_ms: float | None = None
    input_tokens: int | None = None  # all input, cached or not (what the conversation was)
    output_tokens: int | None = None
    tokens_source: TokensSource | None = None
    server_first_byte_ms: float | None = None
    server_latency_ms: float | None = None
    stop_reason: str | None = None
    attempts: int = 1
    error_code: str | None = None
    error_message: str | None = None
    text: str = ""
    reasoning_text: str = ""
    cost_usd: float | None = None
    notes: list[str] = field(default_factory=list)
    # what was asked, for history and "View API request"
    system: str = ""
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop_sequences: list[str] = field(default_factory=list)
    request_json: str = ""
    # grouping, for the pages that show runs together
    session_id: str | None = None
    conversation_id: str | None = None
    compare_group: str | None = None
    benchmark_id: str | None = None
    # reasoning, tiers, latency modes and prompt caching (history migration m003, in this order)
    cache_read_tokens: int | None = None  # of input_tokens, read from the prompt cache
    cache_write_tokens: int | None = None  # of input_tokens, written to the prompt cache
    reasoning_tokens: int | None = None  # of output_tokens, where Bedrock reports them
    # when reasoning began (its first text), how long it lasted (to the first answer text, or to its last text
    # when no answer followed), and what the user got of it
    first_reasoning_ms: float | None = None
    reasoning_ms: float | None = None
    reasoning_shown: ReasoningShown | None = None
    effort: str | None = None
    service_tier: str | None = None  # asked for (None: not sent)
    service_tier_served: str | None = None  # as Bedrock said it served the request
    latency: str | None = None
    latency_served: str | None = None
    cache_ttl: str | None = None  # the cache points' time to live, when the request had cache points
    # who ran it and where (history migration m004), so a shared history can be filtered by person and machine
    user_name: str | None = None  # the name given in the sidebar, or the OS user
    host: str | None = None  # the machine it ran on
