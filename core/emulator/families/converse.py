"""Converse and ConverseStream: one request shape for every model, mapped onto the emulated model."""

from __future__ import annotations

from typing import Any

from ..errors import TOO_LONG, model_error, validation
from ..models import EmulatedModel
from ..textgen import Generation
from .amazon import ALTERNATE
from .anthropic import thinking_signature
from .base import JSON, Frame, Prompt, Turn, block_text, check_alternation, count, render_input

_REASON = {"end": "end_turn", "max_tokens": "max_tokens", "stop_sequence": "stop_sequence"}
_START_WITH_USER = ("A conversation must start with a user message. Try again with a conversation that starts "
                    "with a user message.")


def _constraint(value: Any, where: str, bound: str, limit: float) -> str:
    return (f"1 validation error detected: Value '{value}' at '{where}' failed to satisfy constraint: "
            f"Member must have value {bound} {limit:g}")


def _check_range(config: JSON, name: str, low: float, high: float) -> None:
    value = config.get(name)
    if value is None:
        return
    if value < low:
        raise validation(_constraint(value, f"inferenceConfig.{name}", "greater than or equal to", low))
    if value > high:
        raise validation(_constraint(value, f"inferenceConfig.{name}", "less than or equal to", high))


def parse(body: JSON, model: EmulatedModel) -> Prompt:
    """Validate a Converse request the way Bedrock does and reduce it to a neutral prompt."""
    messages = body.get("messages") or []
    turns = tuple(Turn(m.get("role", ""), block_text(m.get("content"))) for m in messages)
    if not turns or turns[0].role != "user":
        raise validation(_START_WITH_USER)
    check_alternation(turns, ALTERNATE)
    for i, turn in enumerate(turns):
        if not turn.text.strip() and not (i == len(turns) - 1 and turn.role == "assistant"):
            raise validation(f"The text field in the ContentBlock object at messages.{i}.content.0 is blank. "
                             "Add text to the text field, and try again.")
    system = block_text(body.get("system", []))
    if system and not model.system_prompt:
        raise validation("This model doesn't support system messages. Try again without system messages.")
    config = body.get("inferenceConfig", {})
    max_tokens = config.get("maxTokens", model.default_max_tokens)
    if max_tokens > model.max_output_tokens:
        limit = model.max_output_tokens
        raise validation(f"The maximum tokens you requested exceeds the model limit of {limit}. "
                         f"Try again with a maximum tokens value that is lower than {limit}.")
    _check_range(config, "temperature", 0, 1)
    _check_range(config, "topP", 0, 1)
    extra = body.get("additionalModelRequestFields") or {}
    budget = None
    thinking = extra.get("thinking") or extra.get("reasoning_config")
    if thinking:
        if not model.thinking:
            raise model_error("Malformed input request: #: extraneous key [thinking] is not permitted, "
                              "please reformat your input and try again.")
        if thinking.get("type") == "enabled":
            budget = int(thinking.get("budget_tokens", 0))
            if budget < 1024:
                raise validation("thinking.enabled.budget_tokens: Input should be greater than or equal to 1024")
            if max_tokens <= budget:
                raise validation("`max_tokens` must be greater than `thinking.budget_tokens`")
    return Prompt(turns, system, max_tokens, render_input(system, turns),
                  tuple(config.get("stopSequences", ())), budget)


def too_long() -> Exception:
    return model_error(TOO_LONG)


def usage(gen: Generation) -> JSON:
    return {"inputTokens": gen.input_tokens, "outputTokens": gen.output_tokens,
            "totalTokens": gen.input_tokens + gen.output_tokens}


def sync_body(gen: Generation, latency_ms: int) -> JSON:
    content: list[JSON] = []
    if gen.thinking_tokens:
        content.append({"reasoningContent": {"reasoningText": {"text": gen.thinking,
                                                               "signature": thinking_signature(gen.thinking)}}})
    content.append({"text": gen.text})
    return {"output": {"message": {"role": "assistant", "content": content}},
            "stopReason": _REASON[gen.stop], "usage": usage(gen), "metrics": {"latencyMs": latency_ms}}


def frames(gen: Generation, answer: list[str], thinking: list[str]) -> list[Frame]:
    """ConverseStream events; the server fills in `metadata.metrics.latencyMs` when it sends the last."""
    out = [Frame({"role": "assistant"}, event="messageStart")]
    index = 0
    if thinking:
        out += [Frame({"contentBlockIndex": 0, "delta": {"reasoningContent": {"text": p}}}, count(p),
                      "contentBlockDelta") for p in thinking]
        out.append(Frame({"contentBlockIndex": 0,
                          "delta": {"reasoningContent": {"signature": thinking_signature(gen.thinking)}}},
                         event="contentBlockDelta"))
        out.append(Frame({"contentBlockIndex": 0}, event="contentBlockStop"))
        index = 1
    out += [Frame({"contentBlockIndex": index, "delta": {"text": p}}, count(p), "contentBlockDelta")
            for p in answer]
    out.append(Frame({"contentBlockIndex": index}, event="contentBlockStop"))
    out.append(Frame({"stopReason": _REASON[gen.stop]}, event="messageStop"))
    out.append(Frame({"usage": usage(gen), "metrics": {"latencyMs": 0}}, event="metadata"))
    return out
