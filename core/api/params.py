"""What a `POST /api/generate` body may say, checked field by field before anything is sent.

Pure: no I/O. The caller passes the models the backend lists (or None when the listing could not be
had, in which case any model id this lab can speak to is accepted and Bedrock has the last word).
Every refusal is a `BadRequest` naming the field, in words a developer can act on.

Two readers turn what arrived into a body for `parse_generate`: `decode_body` (a POST's bytes) and
`from_query` (a GET's raw query string). They refuse, by field, what the standard readers would crash
on or quietly change: nesting deeper than any field takes, numbers too large to hold, bytes that are
not UTF-8, broken escapes.
"""

from __future__ import annotations

import json
import math
import re
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast, get_args

from .. import catalog, validation
from ..catalog import ModelInfo
from ..errors import InvalidRequestError
from ..settings import DEFAULT_MAX_TOKENS
from ..types import Api, CachePlan, ChatRequest, Message, invalid_text_at

FIELDS = ("prompt", "messages", "model_id", "system", "temperature", "top_p", "max_tokens", "stop_sequences",
          "stream", "api", "effort", "service_tier", "latency", "cache")
APIS: tuple[Api, ...] = (*validation.APIS, *(api for api in get_args(Api) if api not in validation.APIS))
DEFAULT_API: Api = "converse"
# The deepest a body goes is 5 levels (the body, messages, a message, its content, a block); Python's
# reader raises RecursionError near 1,000 levels, which reached the client as a 500 in plain text.
MAX_JSON_DEPTH = 32
# Longer digit strings are no count or setting; Python refuses to read integers over 4,300 digits at all.
MAX_NUMBER_DIGITS = 100


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
    temperature = _number(body.get("temperature"), "temperature")
    top_p = _number(body.get("top_p"), "top_p")
    stops = _stop_sequences(body.get("stop_sequences"))
    stream = body.get("stream", True)
    if not isinstance(stream, bool):
        raise BadRequest(f"stream must be true or false, not {_kind(stream)}", "stream")
    api = body.get("api", DEFAULT_API)
    if api not in APIS:
        raise BadRequest(f"api must be \"converse\" or \"invoke\" (or \"openai\", Bedrock's Chat Completions route, "
                         f"for the models it reaches), not {api!r}", "api")
    model = catalog.resolve(model_id)
    if api not in model.apis or (api == "invoke" and model.family is None):
        name = {"invoke": "InvokeModel", "openai": "the Chat Completions route"}.get(api, api)
        raise BadRequest(f"{model.name} cannot be asked through {name} by the lab: use \"api\": \"converse\"",
                         "api")
    limit = validation.bounds_for(model, api).max_tokens[1]
    max_tokens = _integer(body.get("max_tokens"), "max_tokens", min(DEFAULT_MAX_TOKENS, limit))
    effort = body.get("effort")
    if effort is not None and not isinstance(effort, str):
        raise BadRequest(f"effort must be one of {', '.join(catalog.EFFORT_LEVELS)} or null, not {_kind(effort)}",
                         "effort")
    service_tier, latency = _choice(body.get("service_tier"), "service_tier"), _choice(body.get("latency"), "latency")
    cache = _cache(body.get("cache"))
    try:  # the bounds every door of the lab uses, per model (core.validation): one verdict for the same input
        validation.check_effort(effort)
        chat = ChatRequest(messages, system or "", max_tokens, temperature, top_p, stops,
                           catalog.reasoning_for(model, effort), service_tier=service_tier,  # type: ignore[arg-type]
                           latency=latency, cache=cache)  # type: ignore[arg-type]
        validation.check_parameters(model, chat, api)
    except InvalidRequestError as problem:
        raise BadRequest(problem.detail, problem.field) from None
    upstream_stream = stream and (info is None or info.streaming)
    return Generate(model_id, chat, cast(Api, api), stream, input_field, upstream_stream)


def decode_body(raw: bytes) -> object:
    """A POST body as JSON: refuses, naming the field, what would crash the reader or reach the model altered.

    UTF-8 only, as JSON requires (a leading byte order mark is skipped); at most `MAX_JSON_DEPTH` levels
    deep; integers of at most `MAX_NUMBER_DIGITS` digits; numbers that fit a float.
    """
    try:
        text = raw.decode("utf-8")
        not_utf8 = False
    except UnicodeDecodeError:
        text, not_utf8 = raw.decode("utf-8", "surrogateescape"), True  # each bad byte becomes U+DC80-U+DCFF
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise BadRequest("the body must be a JSON object with model_id and prompt or messages", "body")
    deep_at = _too_deep_at(text)
    if deep_at is not None:
        field = _field_at(text, deep_at)[0].split(".")[0].split("[")[0]
        raise BadRequest(f"{field} is nested more than {MAX_JSON_DEPTH} levels deep: no field takes more than a "
                         "few (a list of messages, each an object whose content is a string or a list of "
                         "{\"text\": ...} blocks)", field)
    unreadable: list[_Unreadable] = []
    try:
        payload = json.loads(text, parse_int=lambda digits: _read_int(digits, unreadable),
                             parse_float=lambda number: _read_float(number, unreadable))
    except json.JSONDecodeError as problem:
        field, in_string = _field_at(text, problem.pos)
        where = f"line {problem.lineno}, column {problem.colno}"
        if not in_string:  # broken structure (cut short, a stray comma): the body as a whole is at fault
            raise BadRequest(f"the body is not valid JSON ({problem.msg}: {where})", "body") from None
        raise BadRequest(f"{field} is not valid JSON text ({problem.msg}: {where}); in a JSON string write a "
                         "backslash as \\\\, a quote as \\\", a line break as \\n and any character as \\uXXXX",
                         field) from None
    except RecursionError:  # (the depth check above keeps the reader far from its limit)
        raise BadRequest(f"the body is nested more than {MAX_JSON_DEPTH} levels deep", "body") from None
    if unreadable or not_utf8:
        _refuse_unreadable(payload)
    return payload


def from_query(raw: bytes | str) -> dict[str, Any]:
    """A GET request's raw query string (what `EventSource` can send) as a body for `parse_generate`.

    Read strictly: a broken percent escape or text that is not UTF-8 is refused by field, where the usual
    readers put replacement characters into the prompt.
    """
    data = raw.encode("latin-1") if isinstance(raw, str) else raw
    body: dict[str, Any] = {}
    for part in data.split(b"&"):
        if not part:
            continue
        raw_name, _, raw_value = part.partition(b"=")
        name = _query_text(raw_name, "query", "a parameter name")
        value = _query_text(raw_value, name, name)
        if name in body:
            raise BadRequest(f"{name} is given twice in the query: give it once", name)
        if name in ("temperature", "top_p", "max_tokens"):
            body[name] = _query_number(value, name)
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


class _Unreadable:
    """A number in a body too large to hold, kept as written so the refusal can name its field."""

    def __init__(self, written: str) -> None:
        self.written = written

    def describe(self) -> str:
        digits = len(self.written.lstrip("+-"))
        return self.written if digits <= 24 else f"a {digits:,}-digit number"


def _read_int(digits: str, unreadable: list[_Unreadable]) -> int | _Unreadable:
    if len(digits.lstrip("-")) <= MAX_NUMBER_DIGITS:
        return int(digits)
    unreadable.append(_Unreadable(digits))
    return unreadable[-1]


def _read_float(number: str, unreadable: list[_Unreadable]) -> float | _Unreadable:
    value = float(number)
    if math.isfinite(value):
        return value
    unreadable.append(_Unreadable(number))  # 1e999 reads as infinity
    return unreadable[-1]


def _refuse_unreadable(payload: object) -> None:
    """Name the first field holding a number too large to read, or text that was not UTF-8 bytes."""
    pending: deque[tuple[str, object]] = deque([("body", payload)])
    while pending:
        field, value = pending.popleft()
        if isinstance(value, _Unreadable):
            raise BadRequest(f"{field} is {value.describe()}, a number too large to read: send a number within "
                             "the field's range", field)
        if isinstance(value, str):
            _refuse_bad_bytes(value, field, field)
        elif isinstance(value, dict):
            for key, item in value.items():
                _refuse_bad_bytes(key, field, f"a field name in {field}")
                pending.append((key if field == "body" else f"{field}.{key}", item))
        elif isinstance(value, list):
            pending.extend((f"{field}[{i}]", item) for i, item in enumerate(value))
    raise BadRequest("the body is not UTF-8 text: send JSON encoded as UTF-8", "body")  # (defensive)


def _refuse_bad_bytes(text: str, field: str, what: str) -> None:
    """Refuse text holding a byte that was not UTF-8 (decoded with surrogateescape into U+DC80-U+DCFF)."""
    found = next((i for i, c in enumerate(text) if "\udc80" <= c <= "\udcff"), None)
    if found is not None:
        byte = ord(text[found]) - 0xDC00
        raise BadRequest(f"{what} is not UTF-8 text: the byte 0x{byte:02X} at character {found + 1} is not UTF-8 "
                         "(send the body encoded as UTF-8: 'é' is the two bytes 0xC3 0xA9)", field)


_PERCENT_BROKEN = re.compile(rb"%(?![0-9A-Fa-f]{2})")
_PERCENT = re.compile(rb"%([0-9A-Fa-f]{2})")


def _query_text(raw: bytes, field: str, what: str) -> str:
    """One name or value of a query string, percent-decoded, as UTF-8 text (or a refusal naming `field`)."""
    broken = _PERCENT_BROKEN.search(raw)
    if broken is not None:
        shown = raw[broken.start():broken.start() + 3].decode("latin-1")
        raise BadRequest(f"{what} has a broken percent escape {shown!r} at character {broken.start() + 1}: write % "
                         "as %25, and any other character as % and two hex digits per UTF-8 byte", field)
    data = _PERCENT.sub(lambda m: bytes([int(m.group(1), 16)]), raw.replace(b"+", b" "))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as problem:
        raise BadRequest(f"{what} is not UTF-8 text: the byte 0x{data[problem.start]:02X} at byte "
                         f"{problem.start + 1} is not UTF-8 (percent-encode the UTF-8 bytes of the text: "
                         "'é' is %C3%A9)", field) from None


def _query_number(text: str, name: str) -> float | int | str:
    """A query value as a number when it reads as one; otherwise left as text for the check to refuse."""
    if re.fullmatch(r"[+-]?\d+", text.strip()):
        if len(text.strip().lstrip("+-")) > MAX_NUMBER_DIGITS:
            raise BadRequest(f"{name} is {_Unreadable(text.strip()).describe()}, a number too large to read: send a "
                             "number within the field's range", name)
        return int(text)
    try:
        number = float(text)
    except ValueError:
        return text
    if not math.isfinite(number) and any(c.isdigit() for c in text):  # 1e999, not "inf" or "nan"
        raise BadRequest(f"{name} is {_Unreadable(text.strip()).describe()}, a number too large to read: send a "
                         "number within the field's range", name)
    return number


_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{},:]')


def _too_deep_at(text: str) -> int | None:
    """Where a JSON text first nests deeper than `MAX_JSON_DEPTH` (brackets in strings do not count)."""
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return None  # the usual case, found without a scan
    depth = 0
    for token in _JSON_TOKEN.finditer(text):
        mark = token.group()
        if mark in ("[", "{"):
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return token.start()
        elif mark in ("]", "}"):
            depth -= 1
    return None


def _field_at(text: str, at: int) -> tuple[str, bool]:
    """The field whose value holds character `at` of a JSON text (`messages[0].content`, or "body"), and
    whether `at` is inside a string."""
    frames: list[list[Any]] = []  # per open container: ["{", key, after_colon] or ["[", index]
    in_string = False
    for token in _JSON_TOKEN.finditer(text):
        if token.start() >= at:
            break
        mark = token.group()
        if mark.startswith('"'):
            if frames and frames[-1][0] == "{" and not frames[-1][2]:
                try:
                    frames[-1][1] = json.loads(mark)
                except ValueError:
                    frames[-1][1] = mark.strip('"')
            if token.end() > at:
                in_string = True
                break
        elif mark in ("{", "["):
            frames.append(["{", None, False] if mark == "{" else ["[", 0])
        elif mark in ("}", "]"):
            if frames:
                frames.pop()
        elif mark == ":" and frames and frames[-1][0] == "{":
            frames[-1][2] = True
        elif mark == "," and frames:
            frames[-1][1:] = [None, False] if frames[-1][0] == "{" else [frames[-1][1] + 1]
    path = ""
    for frame in frames:
        if frame[0] == "[":
            path += f"[{frame[1]}]" if path else f"body[{frame[1]}]"
        elif frame[2] and frame[1] is not None:
            path += f".{frame[1]}" if path else str(frame[1])
        else:
            break  # between fields: the object itself is at fault
    return path or "body", in_string


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


def _choice(value: object, name: str) -> str | None:
    """A named setting as JSON gives it: a string or null (which values the model takes is the validator's)."""
    if value is not None and not isinstance(value, str):
        raise BadRequest(f"{name} must be a string or null, not {_kind(value)}", name)
    return value


def _cache(value: object) -> CachePlan | None:
    """`cache`: true (cache points after the system prompt and the conversation, 5-minute cache), false or null
    (none), or {"ttl": "5m" | "1h", "system": bool, "conversation": bool}."""
    if value is None or value is False:
        return None
    if value is True:
        return CachePlan()
    if not isinstance(value, dict) or set(value) - {"ttl", "system", "conversation"}:
        raise BadRequest("cache must be true, false, null or an object with ttl (\"5m\" or \"1h\"), system and "
                         "conversation", "cache")
    ttl, system, conversation = value.get("ttl", "5m"), value.get("system", True), value.get("conversation", True)
    if not isinstance(ttl, str) or not isinstance(system, bool) or not isinstance(conversation, bool):
        raise BadRequest("cache.ttl must be a string, cache.system and cache.conversation true or false", "cache")
    return CachePlan(system, conversation, ttl)  # type: ignore[arg-type]  # the validator checks the ttl


def _integer(value: object, name: str, default: int) -> int:
    """A whole number as JSON gives it (its range is the validator's)."""
    if value is None:
        return default
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(f"{name} must be a whole number, not {_kind(value)}", name)
    return value


def _number(value: object, name: str) -> float | None:
    """A finite number as JSON gives it (its range is the validator's)."""
    if value is None:
        return None  # the model's own default
    if isinstance(value, float) and not math.isfinite(value):
        raise BadRequest(f"{name} must be a finite number, not {value}", name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadRequest(f"{name} must be a number, not {_kind(value)}", name)
    return float(value)


def _stop_sequences(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(s, str) and s for s in value):
        raise BadRequest("stop_sequences must be a list of non-empty strings", "stop_sequences")
    for i, sequence in enumerate(cast(list[str], value)):
        _check_text(sequence, f"stop_sequences[{i}]")
    return tuple(cast(list[str], value))


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
