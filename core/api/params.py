"""What a `POST /api/generate` body may say, checked field by field before anything is sent.

Pure: no I/O. The caller passes the models the backend lists (or None when the listing could not be
had, in which case any model id this lab can speak to is accepted and Bedrock has the last word).
Every refusal is a `BadRequest` naming the field, in words a developer can act on.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from .. import catalog
from ..catalog import ModelInfo
from ..settings import DEFAULT_MAX_TOKENS, FALLBACK_OUTPUT_LIMIT, TEMPERATURE_RANGE, TOP_P_RANGE, output_limit
from ..types import Api, ChatRequest, Message, invalid_text_at

FIELDS = ("prompt", "messages", "model_id", "system", "temperature", "top_p", "max_tokens", "stop_sequences",
          "stream", "api", "effort")
APIS: tuple[Api, ...] = ("converse", "invoke")
DEFAULT_API: Api = "converse"
MAX_STOP_SEQUENCES = 8


class BadRequest(ValueError):
    """The request cannot be run as sent: `message` says why, `field` which field (None for the body itself)."""

    def __init__(self, message: str, field: str | None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Generate:
    """A checked request: what to run, and which field carried the conversation (for errors about it)."""

    model_id: str
    chat: ChatRequest
    api: Api
    stream: bool  # what the client reads: events, or one JSON answer
    input_field: str  # "prompt" or "messages"
    upstream_stream: bool = True  # how Bedrock is called: a model that cannot stream answers in one piece


def parse_generate(payload: object, models: Mapping[str, ModelInfo] | None, region: str | None = None) -> Generate:
    """Check a decoded JSON body; `models` maps foundation model ids to what the backend lists."""
    if not isinstance(payload, dict):
        raise BadRequest(f"the body must be a JSON object, not {_kind(payload)}", "body")
    body = cast(dict[str, Any], payload)
    unknown = [name for name in body if name not in FIELDS]
    if unknown:
        raise BadRequest(f"unknown field {unknown[0]!r}; the fields are {', '.join(FIELDS)}", unknown[0])

    model_id, info = _model(body.get("model_id"), models, region)
    messages, input_field = _conversation(body.get("prompt"), body.get("messages"))
    system = body.get("system")
    if system is not None and not isinstance(system, str):
        raise BadRequest(f"system must be a string or null, not {_kind(system)}", "system")
    _check_text(system or "", "system")
    limit = output_limit(info) if info else _catalog_limit(model_id)
    max_tokens = _integer(body.get("max_tokens"), "max_tokens", 1, limit, min(DEFAULT_MAX_TOKENS, limit))
    temperature = _number(body.get("temperature"), "temperature", TEMPERATURE_RANGE)
    top_p = _number(body.get("top_p"), "top_p", TOP_P_RANGE)
    stops = _stop_sequences(body.get("stop_sequences"))
    stream = body.get("stream", True)
    if not isinstance(stream, bool):
        raise BadRequest(f"stream must be true or false, not {_kind(stream)}", "stream")
    api = body.get("api", DEFAULT_API)
    if api not in APIS:
        raise BadRequest(f"api must be \"converse\" or \"invoke\", not {api!r}", "api")
    model = catalog.resolve(model_id)
    if api not in model.apis or (api == "invoke" and model.family is None):
        raise BadRequest(f"{model.name} cannot be asked through InvokeModel by the lab: use \"api\": \"converse\"",
                         "api")
    effort = body.get("effort")
    if effort is not None and effort not in catalog.EFFORT_LEVELS:
        raise BadRequest(f"effort must be one of {', '.join(catalog.EFFORT_LEVELS)} or null, not {_kind(effort)}",
                         "effort")
    chat = ChatRequest(messages, system or "", max_tokens, temperature, top_p, stops,
                       catalog.reasoning_for(model, effort))
    upstream_stream = stream and (info is None or info.streaming)
    return Generate(model_id, chat, cast(Api, api), stream, input_field, upstream_stream)


def from_query(query: Mapping[str, str]) -> dict[str, Any]:
    """A GET request's query string (what `EventSource` can send) as a body for `parse_generate`."""
    body: dict[str, Any] = {}
    for name, value in query.items():
        if name in ("temperature", "top_p", "max_tokens"):
            body[name] = _parse_number(value)
        elif name == "stream":
            if value.lower() not in ("true", "false", "1", "0"):
                raise BadRequest(f"stream must be true or false, not {value!r}", "stream")
            body[name] = value.lower() in ("true", "1")
        elif name == "messages":
            raise BadRequest("a GET request takes a prompt only; send messages with POST", "messages")
        elif name == "stop_sequences":
            body[name] = [value]
        else:
            body[name] = value
    return body


def _model(value: object, models: Mapping[str, ModelInfo] | None, region: str | None) -> tuple[str, ModelInfo | None]:
    if value is None:
        raise BadRequest("model_id is required: GET /api/models lists the models", "model_id")
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"model_id must be a model id string, not {_kind(value)}", "model_id")
    model_id = value.strip()
    unknown = BadRequest(f"unknown model {model_id!r}: GET /api/models lists the models this backend offers",
                         "model_id")
    try:
        model = catalog.resolve(model_id)
    except catalog.UnknownModelError:
        raise unknown from None
    if model.lifecycle == "end-of-life":
        replacement = model.replacement
        instead = (f": use {replacement.name} ({replacement.invocation_id(region)!r}), which replaces it"
                   if replacement else ": GET /api/models lists the current models")
        raise BadRequest(f"{model.name} ({model_id!r}) has reached the end of its life on Bedrock{instead}",
                         "model_id")
    if models is None:
        return model_id, None
    info = models.get(catalog.base_model_id(model_id))
    if info is None:
        raise unknown
    if info.needs_inference_profile and catalog.base_model_id(model_id) == model_id:
        profile = catalog.invocation_id(info, region)
        raise BadRequest(f"{model_id} is only available through an inference profile: use {profile!r}", "model_id")
    return model_id, info


def _conversation(prompt: object, messages: object) -> tuple[tuple[Message, ...], str]:
    if prompt is not None and messages is not None:
        raise BadRequest("give either prompt or messages, not both (put the new turn last in messages)", "messages")
    if messages is not None:
        return _messages(messages), "messages"
    if prompt is None:
        raise BadRequest("prompt or messages is required", "prompt")
    if not isinstance(prompt, str):
        raise BadRequest(f"prompt must be a string, not {_kind(prompt)}", "prompt")
    if not prompt.strip():
        raise BadRequest("prompt is empty: write something to send", "prompt")
    _check_text(prompt, "prompt")
    return (Message("user", prompt),), "prompt"


def _messages(value: object) -> tuple[Message, ...]:
    if not isinstance(value, list) or not value:
        raise BadRequest("messages must be a non-empty list of {\"role\", \"content\"} objects", "messages")
    turns: list[Message] = []
    for i, item in enumerate(value):
        where = f"messages[{i}]"
        if not isinstance(item, dict):
            raise BadRequest(f"{where} must be an object with role and content, not {_kind(item)}", where)
        role, content = item.get("role"), _content(item.get("content"), f"{where}.content")
        if role not in ("user", "assistant"):
            raise BadRequest(f"{where}.role must be \"user\" or \"assistant\", not {role!r}", f"{where}.role")
        expected = "user" if i % 2 == 0 else "assistant"
        if role != expected:
            raise BadRequest(f"{where}.role should be {expected!r}: a conversation starts with the user and "
                             "alternates user, assistant, user, ...", f"{where}.role")
        turns.append(Message(role, content))
    if turns[-1].role != "user":
        raise BadRequest("the last message must be the user's turn, the one to answer",
                         f"messages[{len(turns) - 1}].role")
    return tuple(turns)


def _content(value: object, where: str) -> str:
    """A message's text: a string, or a list of {"text": ...} blocks as Converse and Claude write them."""
    if isinstance(value, list) and all(isinstance(b, dict) and isinstance(b.get("text"), str) for b in value):
        value = "".join(cast(dict[str, str], b)["text"] for b in value)
    if not isinstance(value, str):
        raise BadRequest(f"{where} must be a string (or a list of {{\"text\": ...}} blocks), not {_kind(value)}",
                         where)
    if not value.strip():
        raise BadRequest(f"{where} is empty", where)
    _check_text(value, where)
    return value


def _check_text(text: str, field: str) -> None:
    """Refuse a lone surrogate (JSON allows a "\\ud800" escape): it is not text Bedrock, the history or a
    browser can take."""
    at = invalid_text_at(text)
    if at is not None:
        raise BadRequest(f"{field} is not valid Unicode text: a lone surrogate at character {at + 1} "
                         "(escape the character as a surrogate pair, or send UTF-8)", field)


def _integer(value: object, name: str, low: int, high: int, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(f"{name} must be a whole number, not {_kind(value)}", name)
    if not low <= value <= high:
        raise BadRequest(f"{name} must be between {low} and {high} for this model, not {value}", name)
    return value


def _number(value: object, name: str, bounds: tuple[float, float]) -> float | None:
    if value is None:
        return None  # the model's own default
    if isinstance(value, float) and not math.isfinite(value):
        raise BadRequest(f"{name} must be a finite number, not {value}", name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadRequest(f"{name} must be a number, not {_kind(value)}", name)
    low, high = bounds
    if not low <= value <= high:
        raise BadRequest(f"{name} must be between {low:g} and {high:g}, not {value:g}", name)
    return float(value)


def _stop_sequences(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(s, str) and s for s in value):
        raise BadRequest("stop_sequences must be a list of non-empty strings", "stop_sequences")
    for i, sequence in enumerate(cast(list[str], value)):
        _check_text(sequence, f"stop_sequences[{i}]")
    if len(value) > MAX_STOP_SEQUENCES:
        raise BadRequest(f"stop_sequences takes at most {MAX_STOP_SEQUENCES}, not {len(value)}", "stop_sequences")
    return tuple(cast(list[str], value))


def _parse_number(text: str) -> float | int | str:
    """A query value as a number when it reads as one; otherwise left as text for the check to refuse."""
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() and "." not in text else number


def _catalog_limit(model_id: str) -> int:
    return catalog.resolve(model_id).max_output_tokens or FALLBACK_OUTPUT_LIMIT


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the string {value!r}" if len(value) <= 40 else "a string"
    if isinstance(value, list):
        return "a list"
    return "an object" if isinstance(value, dict) else type(value).__name__
