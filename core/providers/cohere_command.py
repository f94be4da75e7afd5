"""Cohere Command (legacy): one `prompt`, so a conversation becomes a plain transcript."""

from __future__ import annotations

from collections.abc import Mapping

from ..types import BuiltRequest, ChatRequest, Completion, Event
from . import as_str, conversation, dig, present, single_prompt, stop_events, stops, text_events

LABEL = "Cohere Command"
supports_system = False
supports_prefill = False
streams = True


def build_request(request: ChatRequest) -> BuiltRequest:
    """`prompt`, `max_tokens`, `temperature`, `p`, `stop_sequences` (no "stream": the operation says it)."""
    messages, notes = conversation(request, LABEL, system=False, prefill=False)
    prompt, prompt_notes = single_prompt(messages, LABEL)
    body = present(prompt=prompt, max_tokens=request.max_tokens, temperature=request.temperature,
                   p=request.top_p, stop_sequences=stops(request))
    return BuiltRequest(body, (*notes, *prompt_notes))


def parse_response(body: Mapping[str, object]) -> Completion:
    """`{"generations": [{"text", "finish_reason"}]}`: no token counts in the body."""
    return Completion(text=as_str(dig(body, "generations", 0, "text")),
                      stop_reason=as_str(dig(body, "generations", 0, "finish_reason")) or None)


def parse_chunk(payload: Mapping[str, object]) -> list[Event]:
    """`{"text", "is_finished"}` chunks, or `{"generations": [{"text"}]}` as some AWS samples read them."""
    text = payload.get("text") if "text" in payload else dig(payload, "generations", 0, "text")
    reason = payload.get("finish_reason") or dig(payload, "generations", 0, "finish_reason")
    return text_events(text) + stop_events(reason)
