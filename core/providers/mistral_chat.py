"""Mistral chat models (Large 24.07/24.11, Large 3, Pixtral, Magistral): OpenAI-like `messages` in, `choices` out.

Request `{"messages", "max_tokens", "temperature", "top_p"}` (AWS "Mistral AI chat completion"
parameters page, the format for every Mistral chat model on InvokeModel; it documents no stop
parameter). Large 24.07 streams `choices[0].message.content` with `stop_reason`, the OpenAI-like models
`choices[0].delta.content` with `finish_reason`: both are read. Magistral reasons, and Mistral's own API
gives its content as a list of chunks, `{"type": "thinking", "thinking": [{"type": "text", "text"}]}`
then `{"type": "text", "text"}` (Mistral "Reasoning" docs): such lists are read too, the thinking
chunks as reasoning. Bedrock documents no InvokeModel reasoning setting for Magistral.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..types import BuiltRequest, ChatRequest, Completion, Event, Reasoning, ReasoningDelta, TextDelta
from . import (
    as_list,
    as_str,
    chat_messages,
    choice_chunk_events,
    choice_completion,
    conversation,
    dig,
    present,
    quoted,
    stop_events,
    usage_events,
)

LABEL = "Mistral"
supports_system = True
supports_prefill = False
streams = True


def build_request(request: ChatRequest) -> BuiltRequest:
    """`messages` (the system prompt as a "system" message), `max_tokens`, temperature, top_p."""
    messages, notes = conversation(request, LABEL, system=True, prefill=False)
    if request.stop_sequences:
        # Bedrock documents no stop parameter for the Mistral chat API, and unknown keys are refused.
        notes.append(f"Stop sequences are not supported by {LABEL} chat models on InvokeModel; "
                     f"not sent: {quoted(request.stop_sequences)}.")
    if request.reasoning is not None:
        notes.append(f"{LABEL} chat models have no reasoning setting on InvokeModel: "
                     f"the {request.reasoning.style} reasoning ask was not sent.")
    body = present(messages=chat_messages(request, messages), max_tokens=request.max_tokens,
                   temperature=request.temperature, top_p=request.top_p)
    return BuiltRequest(body, tuple(notes))


def converse_fields(reasoning: Reasoning | None) -> dict[str, object]:
    """Nothing: Bedrock documents no reasoning field for Mistral models (Magistral always reasons)."""
    return {}


def parse_response(body: Mapping[str, object]) -> Completion:
    """`{"choices": [{"message": {"content"}, "stop_reason" | "finish_reason"}], "usage"}`."""
    completion = choice_completion(body)
    content = dig(body, "choices", 0, "message", "content")
    if not isinstance(content, list):
        return completion
    pieces = _chunks(content)
    return Completion(
        text="".join(p.text for p in pieces if isinstance(p, TextDelta)),
        reasoning="".join(p.text for p in pieces if isinstance(p, ReasoningDelta)),
        input_tokens=completion.input_tokens, output_tokens=completion.output_tokens,
        stop_reason=completion.stop_reason)


def parse_chunk(payload: Mapping[str, object]) -> list[Event]:
    """Chunks carry `choices[0].message.content` or `choices[0].delta.content`; the last one adds `usage`."""
    choice = dig(payload, "choices", 0)
    content = dig(choice, "delta", "content") or dig(choice, "message", "content")
    if not isinstance(content, list):
        return choice_chunk_events(payload)
    events: list[Event] = [*_chunks(content)]
    return (events
            + usage_events(dig(payload, "usage", "prompt_tokens"), dig(payload, "usage", "completion_tokens"))
            + stop_events(dig(choice, "finish_reason") or dig(choice, "stop_reason")))


def _chunks(content: list[object]) -> list[TextDelta | ReasoningDelta]:
    """Answer and reasoning pieces of a content list; chunk types other than text and thinking are skipped."""
    pieces: list[TextDelta | ReasoningDelta] = []
    for chunk in content:
        kind = dig(chunk, "type")
        if kind == "text" and as_str(dig(chunk, "text")):
            pieces.append(TextDelta(as_str(dig(chunk, "text"))))
        elif kind == "thinking":
            thinking = dig(chunk, "thinking")
            text = thinking if isinstance(thinking, str) else "".join(
                as_str(dig(part, "text")) for part in as_list(thinking))
            if text:
                pieces.append(ReasoningDelta(text))
    return pieces
