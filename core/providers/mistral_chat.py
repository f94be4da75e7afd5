"""Mistral chat models (Large 2407/2411, Pixtral): OpenAI-like `messages` in, `choices` out."""

from __future__ import annotations

from collections.abc import Mapping

from ..types import BuiltRequest, ChatRequest, Completion, Event
from . import chat_messages, choice_chunk_events, choice_completion, conversation, present, quoted

LABEL = "Mistral Large"
supports_system = True
supports_prefill = False
streams = True


def build_request(request: ChatRequest) -> BuiltRequest:
    """`messages` (the system prompt as a "system" message), `max_tokens`, temperature, top_p."""
    messages, notes = conversation(request, LABEL, system=True, prefill=False)
    if request.stop_sequences:
        # Bedrock documents no stop parameter for the Mistral chat API, and unknown keys are refused.
        notes.append(f"Stop sequences are not supported by {LABEL} on InvokeModel; "
                     f"not sent: {quoted(request.stop_sequences)}.")
    body = present(messages=chat_messages(request, messages), max_tokens=request.max_tokens,
                   temperature=request.temperature, top_p=request.top_p)
    return BuiltRequest(body, tuple(notes))


def parse_response(body: Mapping[str, object]) -> Completion:
    """`{"choices": [{"message": {"content"}, "stop_reason"}], "usage"}`."""
    return choice_completion(body)


def parse_chunk(payload: Mapping[str, object]) -> list[Event]:
    """Chunks carry `choices[0].message.content`; the last one adds `usage`."""
    return choice_chunk_events(payload)
