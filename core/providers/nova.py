"""Amazon Nova (messages-v1): Converse-like `messages`, stream chunks wrapped by event name.

Nova 2 reasons when asked (AWS Nova 2 user guide, "Request and response schema" and "Using the Invoke
API"): on InvokeModel `inferenceConfig.reasoningConfig: {"type": "enabled", "maxReasoningEffort":
"low" | "medium" | "high"}`, through Converse the same object in `additionalModelRequestFields`. The
reasoning comes back as `reasoningContent` blocks, and Nova 2 Lite redacts it: its text reads
"[REDACTED]" (kept as reasoning, so a run shows that the model did reason).
"""

from __future__ import annotations

from collections.abc import Mapping

from ..types import BuiltRequest, ChatRequest, Completion, Event, Reasoning, ReasoningDelta
from . import as_int, as_list, as_str, conversation, dig, present, stop_events, stops, text_events, usage_events

LABEL = "Nova"
supports_system = True
supports_prefill = False
streams = True


def build_request(request: ChatRequest) -> BuiltRequest:
    """`schemaVersion`, `system` as text blocks, `messages` and `inferenceConfig` (with Nova 2's
    `reasoningConfig` when reasoning is asked for)."""
    messages, notes = conversation(request, LABEL, system=True, prefill=False)
    reasoning_config, note = _reasoning_config(request.reasoning)
    notes += [note] if note else []
    body = present(
        schemaVersion="messages-v1",
        system=[{"text": request.system}] if request.system else None,
        messages=[{"role": m.role, "content": [{"text": m.text}]} for m in messages],
        inferenceConfig=present(max_new_tokens=request.max_tokens if request.send_max_tokens else None,
                                temperature=request.temperature, top_p=request.top_p, stopSequences=stops(request),
                                reasoningConfig=reasoning_config),
    )
    return BuiltRequest(body, tuple(notes))


def converse_fields(reasoning: Reasoning | None) -> dict[str, object]:
    """Through Converse the reasoning ask goes in `additionalModelRequestFields.reasoningConfig`."""
    reasoning_config, _ = _reasoning_config(reasoning)
    return {"additionalModelRequestFields": {"reasoningConfig": reasoning_config}} if reasoning_config else {}


def _reasoning_config(reasoning: Reasoning | None) -> tuple[dict[str, object] | None, str]:
    if reasoning is None:
        return None, ""
    if reasoning.style == "effort" and reasoning.effort:
        return {"type": "enabled", "maxReasoningEffort": reasoning.effort}, ""
    return None, f"{LABEL} takes reasoning as an effort level only: the {reasoning.style} reasoning ask was not sent."


def parse_response(body: Mapping[str, object]) -> Completion:
    """`{"output": {"message": {"content": [...]}}, "stopReason", "usage"}`; reasoning blocks kept apart
    (`reasoningContent.reasoningText.text`; a `redactedContent` block has no text)."""
    blocks = as_list(dig(body, "output", "message", "content"))
    return Completion(
        text="".join(as_str(dig(b, "text")) for b in blocks),
        reasoning="".join(as_str(dig(b, "reasoningContent", "reasoningText", "text")) for b in blocks),
        input_tokens=as_int(dig(body, "usage", "inputTokens")),
        output_tokens=as_int(dig(body, "usage", "outputTokens")),
        stop_reason=as_str(body.get("stopReason")) or None,
    )


def parse_chunk(payload: Mapping[str, object]) -> list[Event]:
    """`contentBlockDelta` (answer `text`, or `reasoningContent.text`), `messageStop` and `metadata` carry
    something; other events, and reasoning deltas with only a signature or redacted bytes, nothing."""
    delta = dig(payload, "contentBlockDelta", "delta")
    reasoning = as_str(dig(delta, "reasoningContent", "text"))
    return (text_events(dig(delta, "text"))
            + ([ReasoningDelta(reasoning)] if reasoning else [])
            + usage_events(dig(payload, "metadata", "usage", "inputTokens"),
                           dig(payload, "metadata", "usage", "outputTokens"))
            + stop_events(dig(payload, "messageStop", "stopReason")))
