"""Converse and ConverseStream: one request shape for every model, mapped onto the emulated model.

Reasoning asks travel where each provider's Bedrock page puts them: Claude's `thinking` in
`additionalModelRequestFields` and its effort in the top-level `outputConfig.effort` (botocore 1.44.5's
`OutputConfig`; `additionalModelRequestFields.output_config.effort` is read too), `top_k` there as well;
Nova 2's `reasoningConfig` in `additionalModelRequestFields` (Nova 2 user guide); gpt-oss's
`reasoning_effort` there too ("Include any other fields in the additionalModelRequestFields object", AWS
"OpenAI models" page). Reasoning comes back as `reasoningContent`: text deltas, then (Claude only) one
signature delta; Claude's omitted thinking is the signature alone, Nova 2's is the text "[REDACTED]".

Cache points are `cachePoint` blocks in `system` and in a message's `content` (caching.py); with them `usage`
reports `cacheReadInputTokens`, `cacheWriteInputTokens` and, when it wrote, `cacheDetails` by TTL (1h first,
as botocore's `TokenUsage` documents), `inputTokens` being the uncached rest and `totalTokens` all of it.
"""

from __future__ import annotations

from typing import Any

from .. import rules
from ..errors import TOO_LONG, model_error, validation
from ..models import EmulatedModel
from ..textgen import Generation
from .amazon import ALTERNATE, REDACTED
from .anthropic import thinking_signature
from .base import (
    JSON,
    Frame,
    Prompt,
    Turn,
    block_text,
    cache_points,
    check_alternation,
    converse_blocks,
    count,
    render_input,
)

REASON = {"end": "end_turn", "max_tokens": "max_tokens", "stop_sequence": "stop_sequence",
          "context_window": "model_context_window_exceeded", "refusal": "content_filtered", "pause_turn": "end_turn"}
_START_WITH_USER = ("A conversation must start with a user message. Try again with a conversation that starts "
                    "with a user message.")
_EXTRANEOUS_THINKING = ("Malformed input request: #: extraneous key [thinking] is not permitted, please reformat your "
                        "input and try again.")


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


def _asked(body: JSON, model: EmulatedModel, turns: tuple[Turn, ...], max_tokens: int) -> rules.Asked:
    """The request's sampling and reasoning asks, wherever Converse carries them for this model."""
    config = body.get("inferenceConfig", {})
    extra = body.get("additionalModelRequestFields") or {}
    thinking = extra.get("thinking") or extra.get("reasoning_config")  # Claude 3.7's Converse doc used the latter
    if thinking and not model.reasons:
        raise model_error(_EXTRANEOUS_THINKING)
    effort: Any = None
    if model.family == "anthropic-messages":
        output = body.get("outputConfig") or extra.get("output_config") or {}
        effort = output.get("effort") if isinstance(output, dict) else None
    elif model.family == "openai-chat":
        effort = rules.openai_effort(extra, model, model_error)
    return rules.Asked(max_tokens=max_tokens, temperature=config.get("temperature"), top_p=config.get("topP"),
                       top_k=extra.get("top_k"), max_tokens_set="maxTokens" in config, thinking=thinking,
                       effort=effort, reasoning_config=extra.get("reasoningConfig"),
                       prefill=turns[-1].role == "assistant")


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
    reasoning = rules.decide(model, _asked(body, model, turns, max_tokens), "converse")
    input_text = render_input(system, turns)
    points = cache_points(model, converse_blocks(body.get("system", []), "system"),
                          [(m.get("role", ""), converse_blocks(m.get("content"), f"messages.{i}.member.content"))
                           for i, m in enumerate(messages)], input_text)
    return Prompt(turns, system, max_tokens, input_text, tuple(config.get("stopSequences", ())), reasoning.budget,
                  display=reasoning.display, cache_points=points)


def too_long() -> Exception:
    return model_error(TOO_LONG)


def usage(gen: Generation, prompt: Prompt) -> JSON:
    """`TokenUsage`; the cache fields only for a request that marked cache points."""
    cache = prompt.cache
    cached = cache.cached_tokens if cache is not None else 0
    out: JSON = {"inputTokens": gen.input_tokens, "outputTokens": gen.output_tokens,
                 "totalTokens": gen.input_tokens + cached + gen.output_tokens}
    if cache is not None:
        out["cacheReadInputTokens"] = cache.read_tokens
        out["cacheWriteInputTokens"] = cache.write_tokens
        details = [{"ttl": ttl, "inputTokens": tokens}
                   for ttl, tokens in (("1h", cache.write_1h_tokens), ("5m", cache.write_5m_tokens)) if tokens]
        if details:
            out["cacheDetails"] = details
    return out


def _reasoning_text(prompt: Prompt, gen: Generation) -> str:
    if prompt.display == "redacted":
        return REDACTED
    return gen.thinking if prompt.display == "summarized" else ""


def sync_body(prompt: Prompt, gen: Generation, model: EmulatedModel, latency_ms: int) -> JSON:
    content: list[JSON] = []
    if gen.thinking_tokens:
        block: JSON = {"text": _reasoning_text(prompt, gen)}
        if model.family == "anthropic-messages":
            block["signature"] = thinking_signature(gen.thinking)
        content.append({"reasoningContent": {"reasoningText": block}})
    content.append({"text": gen.text})
    return {"output": {"message": {"role": "assistant", "content": content}},
            "stopReason": REASON[gen.stop], "usage": usage(gen, prompt), "metrics": {"latencyMs": latency_ms}}


def _delta(index: int, delta: JSON, tokens: int = 0, hidden: bool = False) -> Frame:
    return Frame({"contentBlockIndex": index, "delta": delta}, tokens, "contentBlockDelta", hidden)


def frames(prompt: Prompt, gen: Generation, model: EmulatedModel, answer: list[str],
           thinking: list[str]) -> list[Frame]:
    """ConverseStream events; the server fills in `metadata.metrics.latencyMs` when it sends the last."""
    out = [Frame({"role": "assistant"}, event="messageStart")]
    index = 0
    if gen.thinking_tokens:
        signed = model.family == "anthropic-messages"
        if prompt.display == "summarized":
            out += [_delta(0, {"reasoningContent": {"text": p}}, count(p)) for p in thinking]
            if signed:
                out.append(_delta(0, {"reasoningContent": {"signature": thinking_signature(gen.thinking)}}))
        elif prompt.display == "redacted":
            out.append(_delta(0, {"reasoningContent": {"text": REDACTED}}, len(gen.thinking_tokens), True))
        else:  # omitted: the signature alone, once the unseen thinking is done
            out.append(_delta(0, {"reasoningContent": {"signature": thinking_signature(gen.thinking)}},
                              len(gen.thinking_tokens), True))
        out.append(Frame({"contentBlockIndex": 0}, event="contentBlockStop"))
        index = 1
    out += [_delta(index, {"text": p}, count(p)) for p in answer]
    out.append(Frame({"contentBlockIndex": index}, event="contentBlockStop"))
    out.append(Frame({"stopReason": REASON[gen.stop]}, event="messageStop"))
    out.append(Frame({"usage": usage(gen, prompt), "metrics": {"latencyMs": 0}}, event="metadata"))
    return out
