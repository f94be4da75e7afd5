"""One verdict on a chat request, whichever door it came in by: the run, the CLI, the HTTP API, Compare, the
benchmark and the sidebar's widgets all take their bounds from here, per model, from the model table.

    >>> model = catalog.resolve(catalog.default_model_id())
    >>> bounds_for(model, "converse").temperature
    (0.0, 1.0)
    >>> check(model, ChatRequest((Message("user", "Hi"),), temperature=1.5), "converse")
    Traceback (most recent call last):
    core.errors.InvalidRequestError: ...temperature must be between 0 and 1 for Claude Haiku 4.5, not 1.5...

The checks here are what the lab knows before it sends anything; what only Bedrock knows (the context
window, a quota) it says itself. Rules that drop a parameter rather than refuse it (temperature and top_p
together on a model that takes one, effort on a model that does not reason) are `catalog.fit_request`'s,
and leave a note. Pure: no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from . import catalog
from .errors import InvalidRequestError
from .types import CACHE_TTLS, LATENCIES, SERVICE_TIERS, Api, ChatRequest, invalid_text_at

TOP_P_RANGE = (0.0, 1.0)
CONVERSE_TEMPERATURE_MAX = 1.0
MAX_STOP_SEQUENCES = 8
FALLBACK_OUTPUT_LIMIT = 4096  # max tokens for a model whose output limit the table does not know
APIS: tuple[Api, ...] = ("converse", "invoke", "openai")


@dataclass(frozen=True)
class Bounds:
    """What a request to one model may ask for (inclusive ranges)."""

    temperature: tuple[float, float]
    top_p: tuple[float, float]
    max_tokens: tuple[int, int]
    max_stop_sequences: int
    efforts: tuple[str, ...]  # the levels the model takes; () when it takes none


def bounds_for(model: catalog.Model, api: Api = "converse") -> Bounds:
    """The bounds of a request to `model` through `api`. Converse takes temperature 0 to 1 for every model
    (`InferenceConfigurationTemperatureFloat` in the service model); InvokeModel the family's own range."""
    temperature_max = model.temperature_max if api in ("invoke", "openai") \
        else min(model.temperature_max, CONVERSE_TEMPERATURE_MAX)
    return Bounds((0.0, temperature_max), TOP_P_RANGE, (1, model.max_output_tokens or FALLBACK_OUTPUT_LIMIT),
                  MAX_STOP_SEQUENCES, model.efforts)


def refuse(message: str, field: str, code: str = "InvalidParameter") -> InvalidRequestError:
    """A refusal of the lab's own (not Bedrock's): its words name the field and what it may be."""
    return InvalidRequestError(message, code=code, field=field,
                               action=f"Change {field.replace('_', ' ')} and send again; nothing was sent to Bedrock.")


def check(model: catalog.Model, chat: ChatRequest, api: Api) -> None:
    """Raise ValidationError (with `.field`) for the first thing in `chat` that cannot be sent to `model`."""
    check_text(chat)
    if api not in APIS:
        raise refuse(f"api must be invoke, converse or openai, not {api!r}", "api")
    check_parameters(model, chat, api)


def check_text(chat: ChatRequest) -> None:
    """The checks that need no model: something to send, and text that is text."""
    if not chat.messages or not any(m.text.strip() for m in chat.messages if m.role == "user"):
        raise InvalidRequestError("the message is empty: type something to send", code="EmptyPrompt", field="prompt",
                                  action="Type a message to send.")
    texts = [*((f"message {i + 1}", "messages", m.text) for i, m in enumerate(chat.messages)),
             ("system prompt", "system", chat.system), *(("stop sequence", "stop_sequences", s)
                                                          for s in chat.stop_sequences)]
    for where, field, text in texts:
        at = invalid_text_at(text)
        if at is not None:
            raise InvalidRequestError(f"the {where} is not valid Unicode text at character {at + 1} (a lone surrogate, "
                                      "as undecodable bytes leave)", code="InvalidText", field=field,
                                      action="Fix the text's encoding (UTF-8) and send again.")


def check_parameters(model: catalog.Model, chat: ChatRequest, api: Api = "converse") -> None:
    """The parameters against the model's bounds through `api`."""
    bounds = bounds_for(model, api)
    low, high = bounds.max_tokens
    if not low <= chat.max_tokens <= high:
        raise refuse(f"max tokens must be between {low} and {high:,} for {model.name}, not {chat.max_tokens:,}",
                     "max_tokens")
    for field, value, (low_f, high_f) in (("temperature", chat.temperature, bounds.temperature),
                                          ("top_p", chat.top_p, bounds.top_p)):
        if value is not None and not (math.isfinite(value) and low_f <= value <= high_f):
            capped = field == "temperature" and high_f < model.temperature_max  # Converse's range, not the model's
            through = f" through Converse (InvokeModel takes up to {model.temperature_max:g})" if capped else ""
            raise refuse(f"{field} must be between {low_f:g} and {high_f:g} for {model.name}{through}, not {value:g}",
                         field)
    if len(chat.stop_sequences) > bounds.max_stop_sequences:
        raise refuse(f"at most {bounds.max_stop_sequences} stop sequences can be sent, not {len(chat.stop_sequences)}",
                     "stop_sequences")
    if any(not s for s in chat.stop_sequences):
        raise refuse("a stop sequence cannot be empty", "stop_sequences")
    if chat.reasoning is not None and chat.reasoning.effort is not None:
        check_effort(chat.reasoning.effort)
    check_serving(model, chat)


def check_serving(model: catalog.Model, chat: ChatRequest) -> None:
    """The service tier, latency mode and cache points against what the model table says the model takes (a
    model the table does not know is left to Bedrock, which answers a ValidationException)."""
    tier, latency, cache = chat.service_tier, chat.latency, chat.cache
    if tier is not None and tier not in SERVICE_TIERS:
        raise refuse(f"service tier must be one of {', '.join(SERVICE_TIERS)}, not {tier!r}", "service_tier")
    if latency is not None and latency not in LATENCIES:
        raise refuse(f"latency must be one of {', '.join(LATENCIES)}, not {latency!r}", "latency")
    if cache is not None and cache.ttl not in CACHE_TTLS:
        raise refuse(f"the cache's time to live must be one of {', '.join(CACHE_TTLS)}, not {cache.ttl!r}", "cache")
    if not model.known:
        return
    offered = ("default", *model.tiers)
    if tier is not None and tier not in offered:
        raise refuse(f"{model.name} is served in the {' and '.join(offered)} tier{'s' if len(offered) > 1 else ''}, "
                     f"not {tier}", "service_tier")
    if latency == "optimized" and not model.latency_optimized:
        having = _names(lambda m: m.latency_optimized)
        raise refuse(f"{model.name} has no latency-optimized inference ({having} have it)", "latency")
    if cache is not None and not model.caching:
        raise refuse(f"{model.name} takes no prompt-cache points ({_names(lambda m: m.caching)} take them)", "cache")
    if cache is not None and cache.ttl not in model.cache_ttls:
        raise refuse(f"{model.name} keeps its prompt cache for {' or '.join(model.cache_ttls)}, not {cache.ttl}",
                     "cache")


def _names(has: Callable[[catalog.Model], bool]) -> str:
    """The active models of the table with a feature, by name: what to pick instead."""
    found = [m.name for m in catalog.listed_models() if m.lifecycle == "active" and has(m)]
    return ", ".join(found[:4]) + (f" and {len(found) - 4} more" if len(found) > 4 else "")


def check_effort(effort: str | None) -> str | None:
    """An effort level as asked (None: the model's default); a model that does not reason ignores it, with a note."""
    if effort is not None and effort not in catalog.EFFORT_LEVELS:
        raise refuse(f"effort must be one of {', '.join(catalog.EFFORT_LEVELS)}, not {effort!r}", "effort")
    return effort
