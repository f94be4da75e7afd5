"""Anthropic Messages (Claude 3 and later): `messages` in, `message_start` ... `message_stop` out.

Prompt caching (Anthropic's "Prompt caching" page): `cache_control: {"type": "ephemeral"}` (with `"ttl": "1h"`
for the long cache) on the system block and on the last block of the conversation; `usage` then reports
`cache_read_input_tokens` and `cache_creation_input_tokens` beside `input_tokens`, which leaves them out.

Reasoning (Anthropic's "Extended thinking", "Adaptive thinking" and "Effort" pages; Bedrock takes the
same body on InvokeModel): `thinking: {"type": "enabled", "budget_tokens": N}` up to Claude 4.5, and
`thinking: {"type": "adaptive"}` with `output_config: {"effort": ...}` from Claude 4.6 on. Opus 4.7 and
later default to `display: "omitted"` (thinking blocks with empty text), so the lab asks for
`"summarized"`: it shows reasoning apart and needs text to show.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..types import (
    BuiltRequest,
    CachePlan,
    ChatRequest,
    Completion,
    Event,
    Message,
    Reasoning,
    ReasoningDelta,
    TextDelta,
)
from . import as_int, as_list, as_str, conversation, dig, present, stop_events, stops, text_events, usage_events

LABEL = "Claude"
supports_system = True
supports_prefill = True
supports_cache = True  # cache_control on InvokeModel (other families cache through Converse only)
streams = True


def build_request(request: ChatRequest) -> BuiltRequest:
    """The Messages body; a final assistant turn is a prefill the model continues."""
    messages, notes = conversation(request, LABEL, system=True, prefill=True)
    last = messages[-1]
    if last.role == "assistant" and last.text != last.text.rstrip():
        # Claude rejects a prefill that ends in white space.
        messages[-1] = Message("assistant", last.text.rstrip())
        notes.append("Claude refuses a partial answer that ends in white space: it was trimmed.")
    cache = request.cache
    turns: list[dict[str, object]] = [{"role": m.role, "content": m.text} for m in messages]
    system: object = request.system or None
    if cache is not None:
        if cache.system and request.system:
            system = [{"type": "text", "text": request.system, "cache_control": _cache_control(cache)}]
        if cache.conversation:
            turns[-1]["content"] = [{"type": "text", "text": messages[-1].text, "cache_control": _cache_control(cache)}]
    body = present(
        anthropic_version="bedrock-2023-05-31",
        max_tokens=request.max_tokens,
        system=system,
        messages=turns,
        temperature=request.temperature,
        top_p=request.top_p,
        stop_sequences=stops(request),
    )
    thinking, output_config, note = _reasoning_fields(request.reasoning)
    body.update(present(thinking=thinking, output_config=output_config))
    notes += [note] if note else []
    return BuiltRequest(body, tuple(notes))


def _cache_control(cache: CachePlan) -> dict[str, object]:
    return {"type": "ephemeral", **({"ttl": cache.ttl} if cache.ttl != "5m" else {})}


def converse_fields(reasoning: Reasoning | None) -> dict[str, object]:
    """The same ask through Converse: `thinking` in `additionalModelRequestFields`, the effort in the
    top-level `outputConfig.effort` (botocore's bedrock-runtime `OutputConfig` shape)."""
    thinking, output_config, _ = _reasoning_fields(reasoning)
    return present(additionalModelRequestFields={"thinking": thinking} if thinking else None,
                   outputConfig=output_config)


def _reasoning_fields(reasoning: Reasoning | None) -> tuple[dict[str, object] | None, dict[str, object] | None, str]:
    """`thinking` and `output_config` for a reasoning ask, and a note when it could not be sent."""
    if reasoning is None:
        return None, None, ""
    if reasoning.style == "budget" and reasoning.budget_tokens:
        return {"type": "enabled", "budget_tokens": reasoning.budget_tokens}, None, ""
    if reasoning.style == "adaptive":
        effort: dict[str, object] | None = {"effort": reasoning.effort} if reasoning.effort else None
        return {"type": "adaptive", "display": "summarized"}, effort, ""
    return None, None, (f"{LABEL} takes reasoning as a thinking budget or as adaptive thinking: "
                        f"the {reasoning.style} reasoning ask was not sent.")


def parse_response(body: Mapping[str, object]) -> Completion:
    """Text blocks make the answer, thinking blocks the reasoning; `redacted_thinking` has no text to show.

    The stop reason passes through as Claude says it, `refusal`, `pause_turn` and
    `model_context_window_exceeded` included.
    """
    blocks = as_list(body.get("content"))
    return Completion(
        text="".join(as_str(dig(b, "text")) for b in blocks if dig(b, "type") == "text"),
        reasoning="".join(as_str(dig(b, "thinking")) for b in blocks if dig(b, "type") == "thinking"),
        input_tokens=as_int(dig(body, "usage", "input_tokens")),
        output_tokens=as_int(dig(body, "usage", "output_tokens")),
        stop_reason=as_str(body.get("stop_reason")) or None,
        cache_read_tokens=as_int(dig(body, "usage", "cache_read_input_tokens")),
        cache_write_tokens=as_int(dig(body, "usage", "cache_creation_input_tokens")),
    )


def parse_chunk(payload: Mapping[str, object]) -> list[Event]:
    """Events of one Messages stream chunk; pings, signatures, redacted thinking and tool input yield nothing."""
    kind = payload.get("type")
    if kind == "content_block_delta":  # nearly every chunk: read without the general helpers
        delta = payload.get("delta")
        if type(delta) is dict:
            if delta.get("type") == "text_delta":
                text = delta.get("text")
                return [TextDelta(text)] if type(text) is str and text else []
            return _reasoning(delta.get("thinking")) if delta.get("type") == "thinking_delta" else []
        return []
    if kind == "message_start":
        # message_start also says output_tokens (1 or so): a placeholder, not a count.
        usage = dig(payload, "message", "usage")
        return usage_events(input_tokens=dig(usage, "input_tokens"), cache_read=dig(usage, "cache_read_input_tokens"),
                            cache_write=dig(usage, "cache_creation_input_tokens"))
    if kind == "content_block_start":
        block = payload.get("content_block")
        if dig(block, "type") == "thinking":
            return _reasoning(dig(block, "thinking"))
        return text_events(dig(block, "text")) if dig(block, "type") == "text" else []
    if kind == "message_delta":
        return (usage_events(dig(payload, "usage", "input_tokens"), dig(payload, "usage", "output_tokens"))
                + stop_events(dig(payload, "delta", "stop_reason")))
    return []


def _reasoning(text: object) -> list[Event]:
    return [ReasoningDelta(text)] if isinstance(text, str) and text else []
