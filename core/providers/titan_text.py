"""Amazon Titan Text: a `User:` / `Bot:` transcript in `inputText`, no system prompt."""

from __future__ import annotations

import re
from collections.abc import Mapping

from ..types import BuiltRequest, ChatRequest, Completion, Event
from . import as_int, as_str, conversation, dig, present, quoted, stop_events, text_events, transcript, usage_events

LABEL = "Titan Text"
# Titan validates stopSequences against ^(\|+|User:)$ and takes at most one (boto3 issue #3993).
_ALLOWED_STOP = re.compile(r"\|+|User:")
supports_system = False
supports_prefill = False
streams = True


def build_request(request: ChatRequest) -> BuiltRequest:
    """`inputText` ending with "\\nBot:" and a `textGenerationConfig`."""
    messages, notes = conversation(request, LABEL, system=False, prefill=False)
    allowed = [s for s in request.stop_sequences if _ALLOWED_STOP.fullmatch(s)][:1]
    refused = [s for s in request.stop_sequences if s not in allowed]
    if refused:
        notes.append(f"Titan Text takes one stop sequence, and only \"User:\" or pipes (\"|\"); "
                     f"not sent: {quoted(refused)}.")
    config = present(maxTokenCount=request.max_tokens, temperature=request.temperature, topP=request.top_p,
                     stopSequences=allowed)
    return BuiltRequest({"inputText": transcript(messages, "User", "Bot", "\n"), "textGenerationConfig": config},
                        tuple(notes))


def parse_response(body: Mapping[str, object]) -> Completion:
    """`{"inputTextTokenCount", "results": [{"outputText", "tokenCount", "completionReason"}]}`."""
    return Completion(
        text=as_str(dig(body, "results", 0, "outputText")),
        input_tokens=as_int(body.get("inputTextTokenCount")),
        output_tokens=as_int(dig(body, "results", 0, "tokenCount")),
        stop_reason=as_str(dig(body, "results", 0, "completionReason")) or None,
    )


def parse_chunk(payload: Mapping[str, object]) -> list[Event]:
    """Often one or a few large chunks; the output count is a running total."""
    return (text_events(payload.get("outputText"))
            + usage_events(payload.get("inputTextTokenCount"), payload.get("totalOutputTextTokenCount"))
            + stop_events(payload.get("completionReason")))
