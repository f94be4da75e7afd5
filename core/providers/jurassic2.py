"""AI21 Jurassic-2: one `prompt`, no streaming, `completions` back."""

from __future__ import annotations

from collections.abc import Mapping

from ..types import BuiltRequest, ChatRequest, Completion, Event
from . import as_str, conversation, dig, present, single_prompt, stops

LABEL = "Jurassic-2"
supports_system = False
supports_prefill = False
streams = False  # responseStreamingSupported is false: a streaming call is a ValidationException


def build_request(request: ChatRequest) -> BuiltRequest:
    """`prompt`, `maxTokens`, `temperature`, `topP`, `stopSequences`."""
    messages, notes = conversation(request, LABEL, system=False, prefill=False)
    prompt, prompt_notes = single_prompt(messages, LABEL)
    body = present(prompt=prompt, maxTokens=request.max_tokens, temperature=request.temperature,
                   topP=request.top_p, stopSequences=stops(request))
    return BuiltRequest(body, (*notes, *prompt_notes))


def parse_response(body: Mapping[str, object]) -> Completion:
    """`{"prompt": {"tokens"}, "completions": [{"data": {"text", "tokens"}, "finishReason": {"reason"}}]}`."""
    prompt_tokens, output_tokens = dig(body, "prompt", "tokens"), dig(body, "completions", 0, "data", "tokens")
    return Completion(
        text=as_str(dig(body, "completions", 0, "data", "text")),
        # J2 lists the tokens rather than counting them.
        input_tokens=len(prompt_tokens) if isinstance(prompt_tokens, list) else None,
        output_tokens=len(output_tokens) if isinstance(output_tokens, list) else None,
        stop_reason=as_str(dig(body, "completions", 0, "finishReason", "reason")) or None,
    )


def parse_chunk(payload: Mapping[str, object]) -> list[Event]:
    """Jurassic-2 does not stream, so no chunk means anything."""
    return []
