"""Anthropic legacy text completions (Claude v2, v2.1, Instant): a `Human:` / `Assistant:` prompt."""

from __future__ import annotations

from collections.abc import Mapping

from ..types import BuiltRequest, ChatRequest, Completion, Event
from . import as_str, conversation, present, stop_events, text_events, transcript

LABEL = "Claude v2"
HUMAN_STOP = "\n\nHuman:"
supports_system = True
supports_prefill = False
streams = True


def build_request(request: ChatRequest) -> BuiltRequest:
    """The prompt transcript, with the system prompt before the first Human turn as Claude 2.1 expects."""
    messages, notes = conversation(request, LABEL, system=True, prefill=False)
    prompt = request.system + "\n\n" + transcript(messages, "Human", "Assistant", "\n\n")
    body = present(
        prompt=prompt,
        max_tokens_to_sample=request.max_tokens,
        temperature=request.temperature,
        top_p=request.top_p,
        # Without it the model may go on to write the user's next turn itself.
        stop_sequences=[HUMAN_STOP, *(s for s in request.stop_sequences if s != HUMAN_STOP)],
    )
    return BuiltRequest(body, tuple(notes))


def parse_response(body: Mapping[str, object]) -> Completion:
    """The sync body reports no token counts (they travel in response headers)."""
    return Completion(text=as_str(body.get("completion")), stop_reason=as_str(body.get("stop_reason")) or None)


def parse_chunk(payload: Mapping[str, object]) -> list[Event]:
    """`{"completion": ..., "stop_reason": ...}`."""
    return text_events(payload.get("completion")) + stop_events(payload.get("stop_reason"))
