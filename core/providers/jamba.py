"""AI21 Jamba: OpenAI-like `messages` in, `choices` with `delta` out."""

from __future__ import annotations

from collections.abc import Mapping

from ..types import BuiltRequest, ChatRequest, Completion, Event
from . import chat_messages, choice_chunk_events, choice_completion, conversation, present, stops

LABEL = "Jamba"
supports_system = True
supports_prefill = False
streams = True


def build_request(request: ChatRequest) -> BuiltRequest:
    """`messages` (the system prompt as a "system" message), `max_tokens`, temperature, top_p, `stop`."""
    messages, notes = conversation(request, LABEL, system=True, prefill=False)
    body = present(messages=chat_messages(request, messages), max_tokens=request.max_tokens,
                   temperature=request.temperature, top_p=request.top_p, stop=stops(request))
    return BuiltRequest(body, tuple(notes))


def parse_response(body: Mapping[str, object]) -> Completion:
    """`{"choices": [{"message": {"content"}, "finish_reason"}], "usage"}`."""
    return choice_completion(body)


def parse_chunk(payload: Mapping[str, object]) -> list[Event]:
    """Chunks carry `choices[0].delta.content`; the last one adds `usage`."""
    return choice_chunk_events(payload)
