"""OpenAI Chat Completions on InvokeModel (gpt-oss, Qwen3): `messages` in, `chat.completion(.chunk)` out.

Bedrock takes the Create chat completion body as it is, without `model` and `stream`, which it fills
from the model id and the operation (AWS "OpenAI models" parameters page). gpt-oss writes its
reasoning into `content` as `<reasoning>...</reasoning>` before the answer (promptfoo/promptfoo#9587:
"Bedrock's InvokeModel prepends the model reasoning wrapped in <reasoning>...</reasoning>"), so stream
chunks carry it as answer text for `tags.TagSplitter("reasoning")` to cut apart, and sync bodies are
split here with `tags.split_tagged`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..types import BuiltRequest, ChatRequest, Completion, Event, Reasoning, ReasoningDelta
from . import as_int, as_str, chat_messages, conversation, dig, present, stop_events, stops, text_events, usage_events
from .tags import split_tagged

LABEL = "Chat Completions models"
TAG = "reasoning"
supports_system = True
supports_prefill = False
streams = True


def build_request(request: ChatRequest) -> BuiltRequest:
    """`messages` (the system prompt as a "system" message), `max_completion_tokens`, sampling, `stop`,
    and `reasoning_effort` when reasoning is asked for by effort."""
    return _build(request, _flat)


def converse_fields(reasoning: Reasoning | None) -> dict[str, object]:
    """gpt-oss takes its effort through Converse as `additionalModelRequestFields.reasoning_effort`."""
    effort, _ = _effort(reasoning)
    return {"additionalModelRequestFields": _flat(effort)} if effort else {}


def _flat(effort: str) -> dict[str, object]:
    return {"reasoning_effort": effort}


def _nested(effort: str) -> dict[str, object]:
    return {"reasoning": {"effort": effort}}


def _build(request: ChatRequest, effort_field: Callable[[str], dict[str, object]]) -> BuiltRequest:
    messages, notes = conversation(request, LABEL, system=True, prefill=False)
    effort, note = _effort(request.reasoning)
    notes += [note] if note else []
    body = present(
        messages=chat_messages(request, messages),
        max_completion_tokens=request.max_tokens,
        temperature=request.temperature,
        top_p=request.top_p,
        stop=stops(request),
    )
    return BuiltRequest({**body, **(effort_field(effort) if effort else {})}, tuple(notes))


@dataclass(frozen=True)
class NestedEffort:
    """GPT-5.6 and later: the same body and stream, with the effort as `reasoning.effort` on Chat Completions and
    in Converse's `additionalModelRequestFields`; they refuse the flat `reasoning_effort` ("Unknown parameter")."""

    supports_system: bool = True
    supports_prefill: bool = False
    streams: bool = True

    def build_request(self, request: ChatRequest) -> BuiltRequest:
        return _build(request, _nested)

    def converse_fields(self, reasoning: Reasoning | None) -> dict[str, object]:
        effort, _ = _effort(reasoning)
        return {"additionalModelRequestFields": _nested(effort)} if effort else {}

    def parse_response(self, body: Mapping[str, object]) -> Completion:
        return parse_response(body)

    def parse_chunk(self, payload: Mapping[str, object]) -> list[Event]:
        return parse_chunk(payload)


NESTED_EFFORT = NestedEffort()


def parse_response(body: Mapping[str, object]) -> Completion:
    """A `chat.completion`: the answer and the `<reasoning>` before it apart, usage, `finish_reason`."""
    choice = dig(body, "choices", 0)
    reasoning, answer = split_tagged(as_str(dig(choice, "message", "content")), TAG)
    return Completion(
        text=answer,
        reasoning=_reasoning_field(dig(choice, "message")) + reasoning,
        input_tokens=as_int(dig(body, "usage", "prompt_tokens")),
        output_tokens=as_int(dig(body, "usage", "completion_tokens")),
        reasoning_tokens=as_int(dig(body, "usage", "completion_tokens_details", "reasoning_tokens")),
        stop_reason=as_str(dig(choice, "finish_reason")) or None,
    )


def parse_chunk(payload: Mapping[str, object]) -> list[Event]:
    """A `chat.completion.chunk`: `delta.content` as it comes (tags and all), `usage`, `finish_reason`."""
    choice = dig(payload, "choices", 0)
    reasoning = _reasoning_field(dig(choice, "delta"))
    return (([ReasoningDelta(reasoning)] if reasoning else [])
            + text_events(dig(choice, "delta", "content"))
            + usage_events(dig(payload, "usage", "prompt_tokens"), dig(payload, "usage", "completion_tokens"),
                           reasoning=dig(payload, "usage", "completion_tokens_details", "reasoning_tokens"))
            + stop_events(dig(choice, "finish_reason")))


def _effort(reasoning: Reasoning | None) -> tuple[str | None, str]:
    """The `reasoning_effort` to send, and a note when a reasoning ask could not be sent."""
    if reasoning is None:
        return None, ""
    if reasoning.style == "effort" and reasoning.effort:
        return reasoning.effort, ""
    return None, f"{LABEL} take reasoning as an effort level only: the {reasoning.style} reasoning ask was not sent."


def _reasoning_field(message: object) -> str:
    # OpenAI-compatible servers other than Bedrock's InvokeModel (vLLM, the Chat Completions endpoint) put
    # reasoning in a field of its own; accept it so a body of that shape does not lose it.
    return as_str(dig(message, "reasoning_content")) or as_str(dig(message, "reasoning"))


def route_request(model_id: str, request: ChatRequest, *, stream: bool, nested: bool = False) -> BuiltRequest:
    """The body of Bedrock's OpenAI-compatible route (`/openai/v1/chat/completions`): the Chat Completions body
    with `model` (required there) and, when streaming, `stream` with `stream_options.include_usage`, so the last
    chunk reports the usage. `nested`: the effort as `reasoning.effort` (GPT-5.6 and later)."""
    built = _build(request, _nested if nested else _flat)
    body: dict[str, object] = {"model": model_id, **built.body}
    if stream:
        body |= {"stream": True, "stream_options": {"include_usage": True}}
    return BuiltRequest(body, built.notes)
