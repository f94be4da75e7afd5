"""Bedrock Runtime's OpenAI-compatible surface: `POST /openai/v1/chat/completions` and `GET /openai/v1/models`.

`bedrock-runtime` serves the Chat Completions API beside InvokeModel and Converse (AWS "Endpoints" page,
bedrock-2026.md section 2), signed with SigV4 (signing name `bedrock`) or an `Authorization: Bearer` API key.
It reaches the open-weight models only (gpt-oss and GPT-5.6, DeepSeek, Qwen, GLM, Mistral's open models), not
Claude, Nova or Llama; any other model gets a 400 whose words are Bedrock's (NousResearch/hermes-agent#52316,
an authenticated capture): `{"error": {"code": "validation_error", "message": "model `ID` isn't supported on
this route"}}`. The other error codes of the route are not documented: the emulator names them after the
Bedrock exception they stand for (`ROUTE_CODES`, inferred), with Bedrock's own status and message.

The body is a Create chat completion request with `model` required. Without `stream` the answer is one
`chat.completion`; with `"stream": true` it is Server-Sent Events: `data: {chat.completion.chunk}` lines, a
first chunk with the role only, one chunk per piece of text, a chunk with `finish_reason`, then (with
`stream_options.include_usage`) a chunk with empty `choices` and the `usage`, every earlier chunk carrying
`"usage": null`, as OpenAI documents it; and last `data: [DONE]`. Reasoning goes in `delta.reasoning`
(`message.reasoning` when sync), as the Mantle engine behind this route sends it (brainlid/langchain#521:
"Mantle returns model reasoning at `message.reasoning` (or `delta.reasoning` when streaming)"), never inside
`content`. An error in the middle of a stream is one `data: {"error": {...}}` line, then the body ends.

The same text generator, latency profiles, faults and echoes as the other APIs serve it (server.py).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from . import rules
from .errors import BedrockError, validation
from .families.base import JSON, Frame, Prompt, count, new_id, render_input, require
from .families.openai import FINISH, chat_messages, stops, usage
from .models import LISTED, EmulatedModel
from .schema import Field
from .textgen import Generation

CHAT_PATH = ("openai", "v1", "chat", "completions")
MODELS_PATH = ("openai", "v1", "models")
DONE = "done"  # the event name of the closing `data: [DONE]` frame
# The Bedrock exception each error stands for -> the route's `error.code` (only validation_error is captured).
ROUTE_CODES = {
    "ValidationException": "validation_error",
    "ServiceQuotaExceededException": "quota_exceeded",
    "AccessDeniedException": "permission_denied",
    "MissingAuthenticationTokenException": "authentication_error",
    "ResourceNotFoundException": "not_found",
    "ModelTimeoutException": "timeout",
    "ModelErrorException": "model_error",
    "ModelStreamErrorException": "model_error",
    "ThrottlingException": "rate_limit_exceeded",
    "ModelNotReadyException": "model_not_ready",
    "InternalServerException": "internal_error",
    "ServiceUnavailableException": "service_unavailable",
}
# Mid-stream exceptions (faults.STREAM_EXCEPTIONS) by the Bedrock exception of the same meaning.
_IN_STREAM = {"modelStreamErrorException": "ModelStreamErrorException", "throttlingException": "ThrottlingException",
              "internalServerException": "InternalServerException",
              "serviceUnavailableException": "ServiceUnavailableException",
              "validationException": "ValidationException", "modelTimeoutException": "ModelTimeoutException"}
_FAMILIES = ("openai-chat", "deepseek")


def reaches(model: EmulatedModel) -> bool:
    """Whether the route serves this model: the Chat Completions families, and Mistral's open models (the
    ones whose InvokeModel body is already OpenAI-style: Mistral Large 3, Magistral)."""
    return model.family in _FAMILIES or (model.family == "mistral-chat" and model.wire == "openai")


def not_on_route(model_ref: str) -> BedrockError:
    return validation(f"model `{model_ref}` isn't supported on this route")


def error_body(error: BedrockError) -> bytes:
    """The route's error body: OpenAI's `{"error": {...}}` shape rather than Bedrock's `{"message"}`."""
    return json.dumps({"error": {"code": ROUTE_CODES.get(error.code, "internal_error"),
                                 "message": error.message}}).encode()


@dataclass(frozen=True)
class ChatAsk:
    """A checked Chat Completions request: the prompt, and how the answer goes back."""

    prompt: Prompt
    stream: bool
    include_usage: bool


def parse(body: JSON, model: EmulatedModel) -> ChatAsk:
    """The request's prompt and streaming options, after the same checks as gpt-oss's InvokeModel body."""
    out = model.max_output_tokens
    require(body, {
        "messages": Field("array", required=True), "model": Field("string", required=True),
        "stream": Field("boolean"), "stream_options": Field("object"),
        "max_completion_tokens": Field("integer", minimum=1, maximum=out),
        "max_tokens": Field("integer", minimum=1, maximum=out),
        "temperature": Field("number", minimum=0, maximum=2), "top_p": Field("number", minimum=0, maximum=1),
        "stop": Field("any"), "reasoning_effort": Field("string"), "reasoning": Field("object"),
        "n": Field("integer", minimum=1, maximum=1), "seed": Field("integer"),
        "frequency_penalty": Field("number", minimum=-2, maximum=2),
        "presence_penalty": Field("number", minimum=-2, maximum=2),
        "tools": Field("array"), "tool_choice": Field("any"), "response_format": Field("object"),
        "user": Field("string"), "logprobs": Field("boolean"), "top_logprobs": Field("integer"),
        "parallel_tool_calls": Field("boolean"), "service_tier": Field("string"), "metadata": Field("object"),
    })
    system, turns = chat_messages(body["messages"])
    chosen = body.get("max_completion_tokens", body.get("max_tokens"))
    max_tokens = chosen if chosen is not None else model.default_max_tokens
    asked = rules.Asked(max_tokens=max_tokens, temperature=body.get("temperature"), top_p=body.get("top_p"),
                        max_tokens_set=chosen is not None, effort=rules.openai_effort(body, model, validation))
    reasoning = rules.decide(model, asked, "openai")
    prompt = Prompt(turns, system, max_tokens, render_input(system, turns), stops(body.get("stop")), reasoning.budget)
    options = body.get("stream_options") or {}
    return ChatAsk(prompt, bool(body.get("stream")), bool(options.get("include_usage")))


def _envelope(model: EmulatedModel, kind: str, chat_id: str) -> JSON:
    return {"id": chat_id, "object": kind, "created": int(time.time()), "model": model.model_id}


def sync_body(gen: Generation, model: EmulatedModel) -> JSON:
    message: JSON = {"role": "assistant", "content": gen.text}
    if gen.thinking:
        message["reasoning"] = gen.thinking
    return {**_envelope(model, "chat.completion", new_id("chatcmpl-")),
            "choices": [{"index": 0, "message": message, "finish_reason": FINISH[gen.stop]}], "usage": usage(gen)}


def frames(gen: Generation, model: EmulatedModel, answer: list[str], thinking: list[str],
           include_usage: bool) -> list[Frame]:
    """The stream's chunks, in order, ending with the `[DONE]` frame."""
    head = _envelope(model, "chat.completion.chunk", new_id("chatcmpl-"))
    if include_usage:
        head["usage"] = None

    def chunk(delta: JSON, tokens: int = 0, **extra: Any) -> Frame:
        return Frame({**head, "choices": [{"index": 0, "delta": delta, **extra}]}, tokens)

    out = [chunk({"role": "assistant", "content": ""})]
    out += [chunk({"reasoning": piece}, count(piece)) for piece in thinking]
    out += [chunk({"content": piece}, count(piece)) for piece in answer]
    out.append(chunk({}, finish_reason=FINISH[gen.stop]))
    if include_usage:
        out.append(Frame({**head, "choices": [], "usage": usage(gen)}))
    out.append(Frame({}, event=DONE))
    return out


def encode(frame: Frame, malformed: bool = False) -> bytes:
    """One Server-Sent Event: `data: <json>` and a blank line (a malformed one carries half of its JSON)."""
    if frame.event == DONE:
        return b"data: [DONE]\n\n"
    data = json.dumps(frame.payload, separators=(",", ":")).encode()
    return b"data: " + (data[: len(data) // 2] if malformed else data) + b"\n\n"


def stream_error(exception: str, message: str) -> bytes:
    """A mid-stream error as the route sends it: one `data: {"error": ...}` event."""
    code = ROUTE_CODES[_IN_STREAM.get(exception, "ModelStreamErrorException")]
    return b"data: " + json.dumps({"error": {"code": code, "message": message}}).encode() + b"\n\n"


def model_list() -> JSON:
    """`GET /openai/v1/models`: the models the route reaches, as OpenAI's model list."""
    return {"object": "list", "data": [{"id": m.model_id, "object": "model", "created": 0, "owned_by": m.provider}
                                       for m in LISTED if reaches(m)]}
