"""Amazon Nova (messages-v1): Converse-like `messages`, stream chunks wrapped by event name."""

from __future__ import annotations

from collections.abc import Mapping

from ..types import BuiltRequest, ChatRequest, Completion, Event, ReasoningDelta
from . import as_int, as_list, as_str, conversation, dig, present, stop_events, stops, text_events, usage_events

LABEL = "Nova"
supports_system = True
supports_prefill = False
streams = True


def build_request(request: ChatRequest) -> BuiltRequest:
    """`schemaVersion`, `system` as text blocks, `messages` and `inferenceConfig`."""
    messages, notes = conversation(request, LABEL, system=True, prefill=False)
    body = present(
        schemaVersion="messages-v1",
        system=[{"text": request.system}] if request.system else None,
        messages=[{"role": m.role, "content": [{"text": m.text}]} for m in messages],
        inferenceConfig=present(max_new_tokens=request.max_tokens, temperature=request.temperature,
                                top_p=request.top_p, stopSequences=stops(request)),
    )
    return BuiltRequest(body, tuple(notes))


def parse_response(body: Mapping[str, object]) -> Completion:
    """`{"output": {"message": {"content": [...]}}, "stopReason", "usage"}`; reasoning blocks kept apart."""
    blocks = as_list(dig(body, "output", "message", "content"))
    return Completion(
        text="".join(as_str(dig(b, "text")) for b in blocks),
        reasoning="".join(as_str(dig(b, "reasoningContent", "reasoningText", "text")) for b in blocks),
        input_tokens=as_int(dig(body, "usage", "inputTokens")),
        output_tokens=as_int(dig(body, "usage", "outputTokens")),
        stop_reason=as_str(body.get("stopReason")) or None,
    )


def parse_chunk(payload: Mapping[str, object]) -> list[Event]:
    """`contentBlockDelta`, `messageStop` and `metadata` carry something; other events nothing."""
    delta = dig(payload, "contentBlockDelta", "delta")
    reasoning = as_str(dig(delta, "reasoningContent", "text"))
    return (text_events(dig(delta, "text"))
            + ([ReasoningDelta(reasoning)] if reasoning else [])
            + usage_events(dig(payload, "metadata", "usage", "inputTokens"),
                           dig(payload, "metadata", "usage", "outputTokens"))
            + stop_events(dig(payload, "messageStop", "stopReason")))
