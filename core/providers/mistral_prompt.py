"""Mistral prompt models (7B, Mixtral, Large 2402, Small 2402): an `[INST]` prompt, `outputs` back."""

from __future__ import annotations

from collections.abc import Mapping

from ..types import BuiltRequest, ChatRequest, Completion, Event
from . import as_str, conversation, dig, inst_prompt, present, stop_events, stops, text_events

LABEL = "This Mistral model"
supports_system = False
supports_prefill = False
streams = True


def build_request(request: ChatRequest) -> BuiltRequest:
    """`<s>[INST] user [/INST] answer</s>[INST] user [/INST]` with `max_tokens` and `stop`."""
    messages, notes = conversation(request, LABEL, system=False, prefill=False)
    body = present(prompt=inst_prompt(messages, between="</s>"), max_tokens=request.max_tokens,
                   temperature=request.temperature, top_p=request.top_p, stop=stops(request))
    return BuiltRequest(body, tuple(notes))


def parse_response(body: Mapping[str, object]) -> Completion:
    """`{"outputs": [{"text", "stop_reason"}]}`: no token counts in the body."""
    return Completion(text=as_str(dig(body, "outputs", 0, "text")),
                      stop_reason=as_str(dig(body, "outputs", 0, "stop_reason")) or None)


def parse_chunk(payload: Mapping[str, object]) -> list[Event]:
    """Chunks have the sync body's shape."""
    return text_events(dig(payload, "outputs", 0, "text")) + stop_events(dig(payload, "outputs", 0, "stop_reason"))
