"""The per-model request rules of December 2026, checked the same way by InvokeModel and Converse.

A family (or Converse) reads what a request asks for into an `Asked` value; `decide` checks it against
the model's `Rules` and says how the model will reason (`Reasoning`), or raises Bedrock's error.
Through InvokeModel a model's own refusal is the bare message; through Converse Bedrock wraps it in
"The model returned the following errors: ...".

Where the texts come from (the shared reference `bedrock-2026.md` and the threads it cites):
- temperature with top_p: the Converse text quoted there (open-webui#17922 and four others);
- "`temperature` is deprecated for this model.": cline/cline#10572 (Bedrock, Opus 4.7),
  DayuanJiang/next-ai-draw-io#861 (Bedrock, Opus 4.8/4.7); the same words for top_p and top_k are inferred;
- "thinking.type.enabled" ... not supported: Kilo-Org/kilocode#10732 (Bedrock, Opus 4.8);
- "adaptive thinking is not supported on this model": anthropics/claude-code#51212;
- the xhigh/max-without-thinking text: anthropics/claude-code#79798, logancyang/obsidian-copilot#2843;
- the prefill text: vybestack/llxprt-code#1977 (claude-fable-5);
- Nova's "reasoning config value is invalid": UKGovernmentBEIS/inspect_ai#5301 (Converse, Nova Pro);
- "Unknown parameter: 'reasoning_effort'": bedrock-2026.md (GPT-5.6+ on Chat Completions).
Inferred, in the style of their neighbours: the effort-value message, the effort-not-supported
message and Nova 2's "must be unset at high" message (the rule is AWS's; no capture of its text).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import BedrockError, model_error, validation
from .models import EmulatedModel

# Reasoning grows with effort: the thinking budget handed to the text generator, capped at half of max_tokens so
# the answer always has room.
EFFORT_BUDGET = {"low": 256, "medium": 768, "high": 1536, "xhigh": 3072, "max": 6144}

BOTH_SAMPLERS = "`temperature` and `top_p` cannot both be specified for this model. Please use only one."
ENABLED_REFUSED = ('"thinking.type.enabled" is not supported for this model. Use "thinking.type.adaptive" and '
                   '"output_config.effort" to control thinking behavior.')
ADAPTIVE_REFUSED = "adaptive thinking is not supported on this model"
PREFILL_REFUSED = ("This model does not support assistant message prefill. The conversation must end with a user "
                   "message.")
NOVA_REASONING_INVALID = ("Malformed input request: the provided reasoning config value is invalid, please reformat "
                          "your input and try again.")
NOVA_HIGH_SAMPLING = ("Malformed input request: temperature, topP and maxTokens must not be set when "
                      "maxReasoningEffort is high, please reformat your input and try again.")


def deprecated(name: str) -> str:
    return f"`{name}` is deprecated for this model."


def no_thinking_at(effort: str) -> str:
    return (f"output_config.effort '{effort}' is not supported when thinking is disabled on this model. "
            "Use effort 'high' or below, or enable thinking.")


def _choices(values: tuple[str, ...]) -> str:
    quoted = [f"'{v}'" for v in values]
    return ", ".join(quoted[:-1]) + f" or {quoted[-1]}" if len(quoted) > 1 else quoted[0]


@dataclass(frozen=True)
class Asked:
    """What one request asked for, read from whichever wire format it came in."""

    max_tokens: int
    temperature: Any = None
    top_p: Any = None
    top_k: Any = None
    max_tokens_set: bool = False
    thinking: Any = None  # Claude's `thinking` object
    effort: Any = None  # Claude's output_config.effort, Nova's maxReasoningEffort, gpt-oss's reasoning_effort
    reasoning_config: Any = None  # Nova's reasoningConfig
    prefill: bool = False


@dataclass(frozen=True)
class Reasoning:
    """How the model reasons on this request: a token budget for the text generator and how it is shown."""

    budget: int | None = None
    display: str = "summarized"  # summarized (text) | omitted (signature only) | redacted (Nova 2: "[REDACTED]")
    effort: str | None = None


OFF = Reasoning()


def openai_effort(fields: Any, model: EmulatedModel, fail: Callable[[str], BedrockError]) -> Any:
    """The effort an OpenAI-style request asks for, in the field this model takes (`Rules.effort_field`)."""
    if not isinstance(fields, dict):
        return None
    if model.rules.effort_field == "reasoning.effort":
        if "reasoning_effort" in fields:
            raise fail("Unknown parameter: 'reasoning_effort'")
        nested = fields.get("reasoning")
        return nested.get("effort") if isinstance(nested, dict) else None
    return fields.get("reasoning_effort")


def budget_for(effort: str, max_tokens: int) -> int | None:
    budget = min(EFFORT_BUDGET[effort], max_tokens // 2)
    return budget if budget > 0 else None


def decide(model: EmulatedModel, asked: Asked, api: str) -> Reasoning:
    """Check `asked` against the model's rules; how the model reasons, or Bedrock's error."""
    fail: Callable[[str], BedrockError] = model_error if api == "converse" else validation
    if model.family == "anthropic-messages":
        return _claude(model, asked, fail)
    if model.family == "nova":
        return _nova(model, asked, fail)
    rules = model.rules
    if asked.effort is not None and rules.thinking != "effort":
        raise fail("Unknown parameter: 'reasoning_effort'")
    if rules.thinking == "effort":
        effort = asked.effort if asked.effort is not None else rules.default_effort
        if effort not in rules.efforts:
            raise fail(f"Invalid value: '{effort}'. Supported values are: {_choices(rules.efforts)}.")
        return Reasoning(budget_for(effort, asked.max_tokens), "summarized", effort)
    if rules.thinking == "always" and (api == "converse" or rules.reasoning_on_invoke):
        return Reasoning(budget_for(rules.default_effort, asked.max_tokens), "summarized", rules.default_effort)
    return OFF


def _is_default(name: str, value: Any) -> bool:
    return name in ("temperature", "top_p") and isinstance(value, (int, float)) and value == 1


def _claude(model: EmulatedModel, asked: Asked, fail: Callable[[str], BedrockError]) -> Reasoning:
    rules = model.rules
    if rules.sampling == "none":
        for name, value in (("temperature", asked.temperature), ("top_p", asked.top_p), ("top_k", asked.top_k)):
            if value is not None and not _is_default(name, value):
                raise fail(deprecated(name))
    elif rules.sampling == "one" and asked.temperature is not None and asked.top_p is not None:
        raise fail(BOTH_SAMPLERS)
    thinking = asked.thinking if isinstance(asked.thinking, dict) else None
    kind = thinking.get("type") if thinking else None
    if thinking is not None and kind not in ("enabled", "adaptive", "disabled"):
        raise fail(f"thinking: Input tag '{kind}' found using 'type' does not match any of the expected tags: "
                   "'enabled', 'disabled', 'adaptive'")
    if kind == "enabled" and rules.thinking == "adaptive" and not rules.budget_too:
        raise fail(ENABLED_REFUSED)
    if kind == "adaptive" and rules.thinking != "adaptive":
        raise fail(ADAPTIVE_REFUSED)
    display = (thinking or {}).get("display", rules.display_default)
    if display not in ("summarized", "omitted"):
        raise fail(f"thinking.{kind}.display: Input should be 'summarized' or 'omitted'")
    effort = asked.effort
    if effort is not None:
        if not rules.efforts:
            raise fail("output_config.effort: effort is not supported on this model")
        if effort not in rules.efforts:
            raise fail(f"output_config.effort: Input should be {_choices(rules.efforts)}")
    if asked.prefill and not rules.prefill:
        raise fail(PREFILL_REFUSED)
    thinks = kind in ("enabled", "adaptive") or (kind is None and rules.thinking_default_on)
    if not thinks and effort in ("xhigh", "max") and rules.thinking_required_from == "xhigh":
        raise fail(no_thinking_at(effort))
    if kind == "enabled":
        return Reasoning(_budget_tokens(thinking or {}, asked, fail), display)
    if thinks:
        chosen = effort or rules.default_effort
        return Reasoning(budget_for(chosen, asked.max_tokens), display, chosen)
    return OFF


def _budget_tokens(thinking: dict[str, Any], asked: Asked, fail: Callable[[str], BedrockError]) -> int:
    budget = thinking.get("budget_tokens")
    if not isinstance(budget, int) or isinstance(budget, bool) or budget < 1024:
        raise fail("thinking.enabled.budget_tokens: Input should be greater than or equal to 1024")
    if asked.max_tokens <= budget:
        raise fail("`max_tokens` must be greater than `thinking.budget_tokens`")
    if asked.temperature is not None and asked.temperature != 1:
        raise fail("`temperature` may only be set to 1 when thinking is enabled.")
    return budget


def _nova(model: EmulatedModel, asked: Asked, fail: Callable[[str], BedrockError]) -> Reasoning:
    config = asked.reasoning_config
    if config is None:
        return OFF
    rules = model.rules
    if rules.thinking != "effort" or not isinstance(config, dict):
        raise fail(NOVA_REASONING_INVALID)
    kind = config.get("type")
    if kind == "disabled":
        return OFF
    effort = config.get("maxReasoningEffort")
    if kind != "enabled" or effort not in rules.efforts:
        raise fail(NOVA_REASONING_INVALID)
    if effort == rules.sampling_free_from and (
            asked.temperature is not None or asked.top_p is not None or asked.max_tokens_set):
        raise fail(NOVA_HIGH_SAMPLING)
    return Reasoning(budget_for(effort, asked.max_tokens), "redacted", effort)


__all__ = ["Asked", "EFFORT_BUDGET", "OFF", "Reasoning", "budget_for", "decide"]
