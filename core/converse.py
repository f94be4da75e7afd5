"""The Converse / ConverseStream path: one request shape for every model that supports it."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from .types import (
    CachePlan,
    ChatRequest,
    Completion,
    Event,
    Message,
    ReasoningDelta,
    Served,
    ServerMetrics,
    Stop,
    TextDelta,
    Usage,
)

_NO_FIELDS: Mapping[str, object] = MappingProxyType({})


def fold_system(messages: tuple[Message, ...], system: str) -> tuple[Message, ...]:
    """Put a system prompt at the start of the first user turn, for models that take none."""
    first, *rest = messages
    return (Message(first.role, f"{system}\n\n{first.text}"), *rest)


def build_request(model_id: str, chat: ChatRequest, *, takes_system: bool,
                  fields: Mapping[str, object] = _NO_FIELDS) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Keyword arguments for `converse` / `converse_stream`, and notes on what had to change.

    `takes_system` is the model table's word on whether the model takes a system prompt through Converse;
    `fields` are the family's extra request members for the reasoning ask (its provider's
    `converse_fields(chat.reasoning)`: `additionalModelRequestFields`, `outputConfig`), merged in last.
    """
    notes: list[str] = []
    messages = chat.messages
    kwargs: dict[str, Any] = {"modelId": model_id}
    cache = chat.cache
    if chat.system:
        if takes_system:
            kwargs["system"] = [{"text": chat.system}, *([cache_point(cache)] if cache and cache.system else [])]
        else:
            messages = fold_system(messages, chat.system)
            notes.append("This model takes no system prompt: it was put at the start of the first user turn.")
    kwargs["messages"] = [{"role": m.role, "content": [{"text": m.text}]} for m in messages]
    if cache and cache.conversation:  # the whole conversation as sent is the prefix the next turn can read
        kwargs["messages"][-1]["content"].append(cache_point(cache))
    if chat.service_tier is not None:
        kwargs["serviceTier"] = {"type": chat.service_tier}
    if chat.latency is not None:
        kwargs["performanceConfig"] = {"latency": chat.latency}
    config: dict[str, Any] = {"maxTokens": chat.max_tokens} if chat.send_max_tokens else {}
    if chat.temperature is not None:
        config["temperature"] = chat.temperature
    if chat.top_p is not None:
        config["topP"] = chat.top_p
    if chat.stop_sequences:
        config["stopSequences"] = list(chat.stop_sequences)
    kwargs["inferenceConfig"] = config
    for name, value in fields.items():
        # An object member the request already has (`inferenceConfig`) is merged into, never replaced.
        value = dict(value) if isinstance(value, Mapping) else value
        earlier = kwargs.get(name)
        kwargs[name] = {**earlier, **value} if isinstance(earlier, dict) and isinstance(value, dict) else value
    return kwargs, tuple(notes)


def cache_point(cache: CachePlan) -> dict[str, Any]:
    """A Converse `cachePoint` block (`CachePointBlock`: type default, ttl 5m or 1h; 5m is Bedrock's default)."""
    return {"cachePoint": {"type": "default", **({"ttl": cache.ttl} if cache.ttl != "5m" else {})}}


def _usage(usage: Mapping[str, Any]) -> Usage:
    return Usage(usage.get("inputTokens"), usage.get("outputTokens"), usage.get("cacheReadInputTokens"),
                 usage.get("cacheWriteInputTokens"))


def served(payload: Mapping[str, Any]) -> Served | None:
    """What a response or a stream's metadata says was served (`serviceTier`, `performanceConfig`), if it says."""
    tier = payload.get("serviceTier", {}).get("type")
    latency = payload.get("performanceConfig", {}).get("latency")
    return Served(tier, latency) if tier is not None or latency is not None else None


class MalformedEvent(ValueError):
    """An event or response whose payload could not be read: botocore hands it over empty rather than failing."""


def parse_response(response: dict[str, Any]) -> tuple[Completion, ServerMetrics, Served | None]:
    """A Converse response as a Completion, with Bedrock's reported latency; MalformedEvent if it is not one.

    botocore does not enforce Content-Length and parses a body that is not JSON as `{}`, so a response cut
    short or garbled arrives as a dict without its `output`: that is a failure, not an empty answer.
    """
    if "output" not in response or "stopReason" not in response:
        raise MalformedEvent("the response could not be read: it was cut short or is not valid JSON")
    blocks = response.get("output", {}).get("message", {}).get("content", [])
    text = "".join(b.get("text", "") for b in blocks)
    # A reasoning block holds `reasoningText` or, encrypted by the provider, `redactedContent`: no text to show.
    reasoning = "".join(b.get("reasoningContent", {}).get("reasoningText", {}).get("text", "") for b in blocks)
    usage = response.get("usage", {})
    completion = Completion(text, reasoning, usage.get("inputTokens"), usage.get("outputTokens"),
                            response.get("stopReason"), usage.get("cacheReadInputTokens"),
                            usage.get("cacheWriteInputTokens"))
    return completion, ServerMetrics(invocation_ms=response.get("metrics", {}).get("latencyMs")), served(response)


# Members every event of these types carries; botocore yields {} for a payload that is not JSON.
_REQUIRED = {"messageStart": "role", "contentBlockDelta": "delta", "messageStop": "stopReason", "metadata": "usage"}


def parse_event(event: dict[str, Any]) -> list[Event]:
    """One ConverseStream event as neutral events; unknown events are ignored, unreadable ones raise."""
    block = event.get("contentBlockDelta")
    if block is not None:  # nearly every event: its text is read first, the checks below are for the rest
        delta = block.get("delta")
        if delta is None:
            raise MalformedEvent("a contentBlockDelta event arrived without its delta")
        text = delta.get("text")
        if text:
            return [TextDelta(text)]
        # A reasoning delta carries `text`, or only a `signature` or `redactedContent` (bytes): those show nothing.
        reasoning = delta.get("reasoningContent", {}).get("text")
        return [ReasoningDelta(reasoning)] if isinstance(reasoning, str) and reasoning else []
    for name, member in _REQUIRED.items():
        if name in event and member not in event[name]:
            raise MalformedEvent(f"a {name} event arrived without its {member}")
    if "messageStop" in event:
        return [Stop(event["messageStop"].get("stopReason", ""))]
    if "metadata" in event:
        metadata = event["metadata"]
        usage = metadata.get("usage", {})
        latency = metadata.get("metrics", {}).get("latencyMs")
        found: list[Event] = [_usage(usage), ServerMetrics(invocation_ms=latency, input_tokens=usage.get("inputTokens"),
                                                           output_tokens=usage.get("outputTokens"))]
        what = served(metadata)
        return [*found, what] if what is not None else found
    return []
