"""Cohere Command R / R+: the last user turn in `message`, earlier turns in `chat_history`."""

from __future__ import annotations

from collections.abc import Mapping

from ..types import BuiltRequest, ChatRequest, Completion, Event
from . import as_int, as_str, conversation, dig, present, stop_events, stops, text_events, usage_events

LABEL = "Command R"
_ROLES = {"user": "USER", "assistant": "CHATBOT"}
supports_system = True
supports_prefill = False
streams = True


def build_request(request: ChatRequest) -> BuiltRequest:
    """`message`, `chat_history`, `preamble` (the system prompt), `max_tokens`, `temperature`, `p`."""
    messages, notes = conversation(request, LABEL, system=True, prefill=False)
    *history, last = messages
    body = present(
        message=last.text,
        chat_history=[{"role": _ROLES[m.role], "message": m.text} for m in history],
        preamble=request.system or None,
        max_tokens=request.max_tokens,
        temperature=request.temperature,
        p=request.top_p,
        stop_sequences=stops(request),
    )
    return BuiltRequest(body, tuple(notes))


def parse_response(body: Mapping[str, object]) -> Completion:
    """`{"text", "finish_reason", "meta": {"billed_units": {"input_tokens", "output_tokens"}}}`."""
    return Completion(
        text=as_str(body.get("text")),
        input_tokens=as_int(dig(body, "meta", "billed_units", "input_tokens")),
        output_tokens=as_int(dig(body, "meta", "billed_units", "output_tokens")),
        stop_reason=as_str(body.get("finish_reason")) or None,
    )


def parse_chunk(payload: Mapping[str, object]) -> list[Event]:
    """`text-generation` carries text, `stream-end` the reason and billed tokens; other types nothing."""
    kind = payload.get("event_type")
    if kind == "text-generation":
        return text_events(payload.get("text"))
    if kind == "stream-end":
        billed = dig(payload, "response", "meta", "billed_units")
        return (usage_events(dig(billed, "input_tokens"), dig(billed, "output_tokens"))
                + stop_events(payload.get("finish_reason")))
    return []
