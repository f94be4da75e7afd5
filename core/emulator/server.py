"""The emulator's HTTP side: a plain ASGI app speaking the Bedrock Runtime REST protocol.

Routes (paths are split raw, then each segment is unquoted, because model ARNs carry `/` as %2F):

    POST /model/{modelId}/invoke | invoke-with-response-stream | converse | converse-stream | count-tokens
    POST /openai/v1/chat/completions      GET /openai/v1/models (the OpenAI-compatible route: openai_route.py)
    GET  /foundation-models[/{id}]        GET /inference-profiles[/{id}]       (control plane)
    GET|POST|DELETE /_emulator/faults     GET|POST /_emulator/config (time_scale, seed, legacy_access, and the
                                          serving limits and cache TTL scale below)
    POST|DELETE /_emulator/profiles       GET|DELETE /_emulator/cache (the prompt cache: list, or empty it)
    GET|POST|DELETE /_emulator/echo       (the next answers are a given text or the prompt: see echo.py)
    GET  /_emulator/health                GET /_emulator/streams (when recent streams sent their tokens, and for
                                          which prompt: prompt_sha256 of the last user message)
    GET|DELETE /_emulator/chunks          (when each answer chunk of the last `chunk_log` streams was due and
                                          sent, by request id; `chunk_log` is set through the config, 0 by default)

Faults and echoes are global unless posted with a `"session"`: then they apply only to requests whose
`x-bedrock-lab-session` header carries that value (the app tags each browser session's requests so). GET and
DELETE on /_emulator/faults and /_emulator/echo take `?session=ID` to list or clear that session's alone;
without it they list or clear every one.

The control endpoints change what every client of this emulator gets, so a web page the user happens to visit
must not reach them: a POST must say `Content-Type: application/json` (415 otherwise; a browser cannot send
that cross-site without a preflight, which gets no CORS approval here), and a request with another `Origin`
than the emulator's own loopback one, or with `Sec-Fetch-Site: cross-site`, is refused with a 403.

Service tiers, latency-optimized inference and prompt caching (serving.py, caching.py): the config takes
`priority_capacity`, `reserved_capacity` and `optimized_quota` (how many more requests get priority, reserved or
optimized before they are quietly served as `default` / `standard`; null: no limit), `reserved_models` (the ids
the account holds a Reserved tier for) and `cache_ttl_scale` (cache TTLs are wall time times this; 1 by default,
whatever the time scale). GET /_emulator/config also shows the factors each tier and latency mode put on a
profile (`serving_effects`). The prompt cache belongs to the emulator, like an account's: every caller shares it.

Model lifecycle: an end-of-life model answers Bedrock's end-of-life 404 by id, profile or ARN and is not
listed; a legacy model answers normally unless the config says the account has not used it lately
(`legacy_access: false`), when it answers the legacy 404.

Every stream is a coroutine on one event loop (no thread per stream); frames are sent at absolute
deadlines, so a slow loop delays a frame but never shifts the ones after it.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import ipaddress
import json
import logging
import random
import time
import uuid
from collections import Counter, OrderedDict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from . import families, models, openai_route, serving, textgen, timing
from .caching import PromptCache
from .echo import Echo, EchoBook
from .errors import (
    END_OF_LIFE,
    INVALID_MODEL,
    LEGACY_UNUSED,
    NO_STREAMING,
    TOO_LONG,
    BedrockError,
    model_error,
    not_found,
    validation,
)
from .eventstream import encode_event, encode_exception
from .families import converse
from .families.base import Frame, Prompt
from .faults import BEFORE, STREAM_EXCEPTIONS, Fault, FaultBook

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

ACCOUNT = "123456789012"
_PADDING = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_FLUSH_BYTES = 32 * 1024
_PREPARE_AHEAD_S = 0.02
_SEEN_LIMIT = 100_000  # a stream builds its output this long before its first token is due
# The header the app's client puts on the requests of one browser session (core.client.SESSION_HEADER; the
# emulator imports nothing of the client side, and a test checks that the two names agree).
SESSION_HEADER = b"x-bedrock-lab-session"
_OPERATIONS = {
    "invoke": ("invoke", False),
    "invoke-with-response-stream": ("invoke", True),
    "converse": ("converse", False),
    "converse-stream": ("converse", True),
}


class ConnectionCut(Exception):
    """Raised inside a response on purpose: uvicorn then drops the connection mid-body."""


class _QuietCuts(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], ConnectionCut))


logging.getLogger("uvicorn.error").addFilter(_QuietCuts())


@dataclass
class EmulatorState:
    """Settings shared by every request of one emulator, and the faults and echoes waiting for its requests
    (each for every request, or for one session's)."""

    time_scale: float = 1.0
    seed: int = 0
    legacy_access: bool = True  # False: the account has not used its legacy models lately (the legacy 404)
    faults: FaultBook = field(default_factory=FaultBook)
    echoes: EchoBook = field(default_factory=EchoBook)
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    capacity: serving.Capacity = field(default_factory=serving.Capacity)
    cache: PromptCache = field(default_factory=PromptCache)
    seen: Counter[str] = field(default_factory=Counter)
    active_streams: int = 0
    requests: int = 0
    # When recent streams put their first and last token on the wire (epoch ms), for UI benchmarks.
    sent: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=200))
    # Per-chunk send times of the last `chunk_log` finished streams (0: none kept, the default), by request id:
    # [(due, sent)] in epoch ms for each answer frame, for client-side lateness (GET /_emulator/chunks).
    chunk_log: int = 0
    chunk_times: OrderedDict[str, list[tuple[float, float]]] = field(default_factory=OrderedDict)

    def keep_chunk_log(self, request_id: str, log: list[tuple[float, float]]) -> None:
        self.chunk_times[request_id] = log
        while len(self.chunk_times) > self.chunk_log:
            self.chunk_times.popitem(last=False)

    def model(self, base: models.EmulatedModel) -> models.EmulatedModel:
        override = self.overrides.get(base.model_id)
        return models.with_latency(base, **override) if override else base


@dataclass
class Reply:
    status: int
    body: bytes
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)


def _json_reply(status: int, payload: Any, request_id: str, extra: list[tuple[bytes, bytes]] | None = None) -> Reply:
    headers = [(b"content-type", b"application/json"), (b"x-amzn-requestid", request_id.encode())]
    return Reply(status, json.dumps(payload).encode(), headers + (extra or []))


def _error_reply(error: BedrockError, request_id: str) -> Reply:
    kind = f"{error.code}:http://internal.amazon.com/coral/com.amazon.bedrock/".encode()
    return _json_reply(error.status, {"message": error.message}, request_id, [(b"x-amzn-errortype", kind)])


def _route_error_reply(error: BedrockError, request_id: str) -> Reply:
    """An error of the OpenAI-compatible route: Bedrock's status, OpenAI's body shape."""
    return Reply(error.status, openai_route.error_body(error),
                 [(b"content-type", b"application/json"), (b"x-amzn-requestid", request_id.encode())])


def _header(scope: Scope, name: bytes) -> bytes:
    value: bytes = next((v for n, v in scope["headers"] if n == name), b"")
    return value


def _region(scope: Scope) -> str:
    """The region the request was signed for (`Credential=KEY/DATE/REGION/...`), as ARNs should show it."""
    parts = _header(scope, b"authorization").partition(b"Credential=")[2].split(b",", 1)[0].split(b"/")
    return parts[2].decode() if len(parts) >= 3 else "us-east-1"


def _session(scope: Scope) -> str | None:
    """The browser session a request belongs to (its session header), or None for an untagged request."""
    return _header(scope, SESSION_HEADER).decode("latin-1") or None


def _query(scope: Scope) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(scope.get("query_string", b"").decode("latin-1")).items()}


def _loopback(host: str) -> bool:
    """Whether a Host header names this machine by address or as localhost: a page that reached the emulator
    through DNS rebinding names its own domain, so its Origin can equal its Host without being the emulator's."""
    name = urlsplit("//" + host).hostname or ""
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _refusal(scope: Scope) -> tuple[int, str] | None:
    """Why a control request is refused (status, message), or None: the guard against cross-site requests."""
    site = _header(scope, b"sec-fetch-site").decode("latin-1").lower()
    origin = _header(scope, b"origin").decode("latin-1")
    host = _header(scope, b"host").decode("latin-1")
    own = f"{scope.get('scheme', 'http')}://{host}"
    if site == "cross-site" or (origin and (origin.lower() != own.lower() or not _loopback(host))):
        return 403, (f"Cross-site request refused: the emulator's control endpoints take requests from its own "
                     f"loopback origin only, not from {origin or 'another site'}.")
    if scope["method"] == "POST":
        media_type = _header(scope, b"content-type").split(b";", 1)[0].strip().lower()
        if media_type != b"application/json":
            return 415, ("The emulator's control endpoints take a JSON body: send Content-Type: application/json "
                         f"(got {media_type.decode('latin-1') or 'none'}).")
    return None


def _signed(scope: Scope) -> bool:
    """Any SigV4 signature (any key) or bearer token is accepted; a request with neither is not."""
    return _header(scope, b"authorization").startswith((b"AWS4-HMAC-SHA256 ", b"Bearer "))


def _segments(scope: Scope) -> list[str]:
    raw = scope.get("raw_path") or scope["path"].encode()
    return [unquote(s) for s in raw.decode("latin-1").split("?", 1)[0].strip("/").split("/")]


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


class Emulator:
    """The ASGI application. `state` may be changed while it serves (control endpoints do)."""

    def __init__(self, state: EmulatorState | None = None) -> None:
        self.state = state or EmulatorState()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":  # nothing to set up; answer the server's startup and shutdown
            if (await receive())["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
                await receive()
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["type"] != "http":
            return
        started = time.perf_counter()
        request_id = str(uuid.uuid4())
        body = await _read_body(receive)
        segments = _segments(scope)
        try:
            if segments[0] == "_emulator":
                refused = _refusal(scope)
                reply = (self._control(scope["method"], segments[1:], body, _query(scope), request_id)
                         if refused is None else _json_reply(refused[0], {"message": refused[1]}, request_id))
            elif not _signed(scope):
                reply = _error_reply(BedrockError("MissingAuthenticationTokenException",
                                                  "Missing Authentication Token"), request_id)
            elif scope["method"] == "GET" and segments[0] in ("foundation-models", "inference-profiles"):
                reply = self._catalog(segments, scope, request_id)
            elif tuple(segments) == openai_route.CHAT_PATH and scope["method"] == "POST":
                await self._chat_completions(body, _session(scope), started, request_id, receive, send)
                return
            elif tuple(segments) == openai_route.MODELS_PATH and scope["method"] == "GET":
                reply = _json_reply(200, openai_route.model_list(), request_id)
            elif scope["method"] == "POST" and len(segments) == 3 and segments[0] == "model":
                ask = serving.ask_of_headers(_header(scope, serving.TIER_HEADER),
                                             _header(scope, serving.LATENCY_HEADER))
                await self._invoke(segments[1], segments[2], body, _session(scope), ask, started, request_id,
                                   receive, send)
                return
            else:
                reply = _json_reply(404, {"message": "Not Found"}, request_id,
                                    [(b"x-amzn-errortype", b"UnknownOperationException")])
        except BedrockError as error:
            reply = _error_reply(error, request_id)
        await _send_reply(send, reply)

    # -- inference ---------------------------------------------------------------------------

    async def _invoke(self, model_ref: str, operation: str, body: bytes, session: str | None, ask: serving.Ask,
                      started: float, request_id: str, receive: Receive, send: Send) -> None:
        state = self.state
        state.requests += 1
        try:
            if operation == "count-tokens":
                await _send_reply(send, self._count_tokens(model_ref, body, request_id))
                return
            if operation not in _OPERATIONS:
                raise BedrockError("ResourceNotFoundException", f"Unknown operation {operation}")
            api, streaming = _OPERATIONS[operation]
            model = self._resolve(model_ref)
            fault = state.faults.take(model.model_id, session)
            if fault is not None and fault.kind in BEFORE:
                code, message = BEFORE[fault.kind]
                raise BedrockError(code, message)
            if streaming and not model.streaming:
                raise validation(NO_STREAMING)
            prompt = self._parse(model, api, body)
            if api == "converse":  # the body says it; InvokeModel's headers are ignored there
                ask = serving.ask_of_converse(json.loads(body)) if b"serviceTier" in body or (
                    b"performanceConfig" in body) else serving.Ask()
            served = serving.check(model, ask, state.capacity)
            input_tokens = textgen.count_tokens(prompt.input_text)
            if input_tokens > model.context_tokens:
                raise (model_error(TOO_LONG) if api == "converse" else validation(TOO_LONG))
        except BedrockError as error:
            await _send_reply(send, _error_reply(error, request_id))
            return
        window_cut = False
        room = model.context_tokens - input_tokens
        if model.rules.context_stop and prompt.max_tokens > room:
            # Claude 4.5+: the answer may run to the end of the window and stops there with
            # model_context_window_exceeded, instead of a 400 (ClaudeDocs "Handling stop reasons").
            prompt, window_cut = replace(prompt, max_tokens=max(1, room)), True
        if prompt.cache_points and model.cache is not None:
            prompt = replace(prompt, cache=state.cache.use(model.model_id, model.cache, prompt.cache_points,
                                                           time.time()))
        echo = state.echoes.take(model.model_id, session)
        answer = echo.answer(prompt.user_text) if echo is not None else None
        run = _Run(state, model, api, prompt, input_tokens, body, started, request_id, fault, answer, window_cut,
                   served)
        await self._answer(run, streaming, receive, send)

    async def _chat_completions(self, body: bytes, session: str | None, started: float, request_id: str,
                                receive: Receive, send: Send) -> None:
        """The OpenAI-compatible route: the same checks, faults, text and timing as InvokeModel (openai_route.py)."""
        state = self.state
        state.requests += 1
        try:
            try:
                payload = json.loads(body or b"{}")
            except (ValueError, UnicodeDecodeError):
                raise validation("Malformed input request, please reformat your input and try again.") from None
            if not isinstance(payload, dict) or not isinstance(payload.get("model"), str):
                raise validation("model: a model id is required")
            named = models.resolve(payload["model"])
            if named is not None and not openai_route.reaches(named.model):  # Claude, Nova, Llama, ...
                raise openai_route.not_on_route(payload["model"])
            model = self._resolve(payload["model"])
            fault = state.faults.take(model.model_id, session)
            if fault is not None and fault.kind in BEFORE:
                raise BedrockError(*BEFORE[fault.kind])
            ask = openai_route.parse(payload, model)
            input_tokens = textgen.count_tokens(ask.prompt.input_text)
            if input_tokens > model.context_tokens:
                raise validation(TOO_LONG)
        except BedrockError as error:
            await _send_reply(send, _route_error_reply(error, request_id))
            return
        echo = state.echoes.take(model.model_id, session)
        answer = echo.answer(ask.prompt.user_text) if echo is not None else None
        run = _Run(state, model, "openai", ask.prompt, input_tokens, body, started, request_id, fault, answer)
        run.include_usage = ask.include_usage
        await self._answer(run, ask.stream, receive, send)

    async def _answer(self, run: _Run, streaming: bool, receive: Receive, send: Send) -> None:
        """Stream the run (counted among the streams in flight) or answer it in one body."""
        if not streaming:
            await run.respond(receive, send)
            return
        self.state.active_streams += 1
        try:
            await run.stream(receive, send)
        finally:
            self.state.active_streams -= 1

    def _lookup(self, model_ref: str) -> models.Resolved:
        """The model a reference names, if Bedrock still serves it to this account."""
        resolved = models.resolve(model_ref)
        if resolved is None:
            raise validation(INVALID_MODEL)
        status = resolved.model.lifecycle.status
        if status == models.END_OF_LIFE:
            raise not_found(END_OF_LIFE)
        if status == models.LEGACY and not self.state.legacy_access:
            raise not_found(LEGACY_UNUSED)
        return resolved

    def _resolve(self, model_ref: str) -> models.EmulatedModel:
        resolved = self._lookup(model_ref)
        if not resolved.via_profile and not resolved.model.on_demand:
            raise validation(
                f"Invocation of model ID {resolved.model.model_id} with on-demand throughput isn't supported. "
                "Retry your request with the ID or ARN of an inference profile that contains this model.")
        return self.state.model(resolved.model)

    @staticmethod
    def _parse(model: models.EmulatedModel, api: str, body: bytes) -> Prompt:
        try:
            payload = json.loads(body or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise validation("Malformed input request, please reformat your input and try again.") from None
        if api == "converse":
            return converse.parse(payload, model)
        return families.FAMILIES[model.family].parse(payload, model)

    def _count_tokens(self, model_ref: str, body: bytes, request_id: str) -> Reply:
        # By the bare id only, and only the ARN-versioned Claude models: profiles and Nova get this refusal
        # (bedrock-2026.md section 7); which Claude ids count is inferred from that section.
        resolved = self._lookup(model_ref)
        model = resolved.model
        if resolved.via_profile or not model.count_tokens:
            raise validation("The provided model doesn't support counting tokens.")
        try:
            request = json.loads(body or b"{}").get("input", {})
            if "invokeModel" in request:
                inner = base64.b64decode(request["invokeModel"]["body"])
                prompt = self._parse(model, "invoke", inner)
            else:
                prompt = self._parse(model, "converse", json.dumps(request.get("converse", {})).encode())
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise validation("Malformed input request, please reformat your input and try again.") from None
        return _json_reply(200, {"inputTokens": textgen.count_tokens(prompt.input_text)}, request_id)

    # -- control plane -----------------------------------------------------------------------

    def _catalog(self, segments: list[str], scope: Scope, request_id: str) -> Reply:
        region = _region(scope)
        if segments[0] == "foundation-models":
            if len(segments) == 2:
                resolved = models.resolve(segments[1])
                if resolved is None or not resolved.model.lifecycle.listed:
                    raise not_found("Could not resolve the foundation model from the provided model identifier.")
                return _json_reply(200, {"modelDetails": _summary(resolved.model, region)}, request_id)
            query = {k: v[0] for k, v in parse_qs(scope.get("query_string", b"").decode()).items()}
            listed = [_summary(m, region) for m in models.LISTED if _matches(m, query)]
            return _json_reply(200, {"modelSummaries": listed}, request_id)
        profiles = [_profile(m, geo, region) for m in models.LISTED for geo in m.profiles]
        if len(segments) == 2:
            found = [p for p in profiles if segments[1] in (p["inferenceProfileId"], p["inferenceProfileArn"])]
            if not found:
                raise BedrockError("ResourceNotFoundException", "The specified inference profile was not found.")
            return _json_reply(200, found[0], request_id)
        return _json_reply(200, {"inferenceProfileSummaries": profiles}, request_id)

    def _control(self, method: str, segments: list[str], body: bytes, query: dict[str, str],
                 request_id: str) -> Reply:
        state = self.state
        what = segments[0] if segments else "health"
        session = query.get("session")  # GET and DELETE: that session's faults or echoes alone
        try:
            payload = json.loads(body) if body else {}
            if what == "health":
                return _json_reply(200, {"status": "ok", "models": len(models.LISTED),
                                         "time_scale": state.time_scale, "seed": state.seed,
                                         "active_streams": state.active_streams, "requests": state.requests},
                                   request_id)
            if what == "streams":
                return _json_reply(200, {"streams": list(state.sent)}, request_id)
            if what == "chunks":
                if method == "DELETE":
                    state.chunk_times.clear()
                wanted = query.get("request_id")
                kept = {rid: [{"due_ms": d, "sent_ms": t} for d, t in log] for rid, log in state.chunk_times.items()
                        if wanted is None or rid == wanted}
                return _json_reply(200, {"chunk_log": state.chunk_log, "streams": kept}, request_id)
            if what == "faults":
                if method == "POST":
                    fault = state.faults.add(Fault(**payload))
                    return _json_reply(201, {"fault": fault.__dict__}, request_id)
                if method == "DELETE":
                    state.faults.clear(session)
                return _json_reply(200, {"faults": state.faults.describe(session)}, request_id)
            if what == "echo":
                if method == "POST":
                    if not isinstance(payload, dict):
                        raise ValueError('the body must be a JSON object: {"text": ...} or {"prompt": true}')
                    if payload.get("model_id") is not None:  # any id, profile or ARN: echoes match the base model
                        resolved = models.resolve(str(payload["model_id"]))
                        if resolved is None:
                            raise ValueError(INVALID_MODEL)
                        payload["model_id"] = resolved.model.model_id
                    echo = state.echoes.add(Echo(**payload))
                    return _json_reply(201, {"echo": echo.__dict__}, request_id)
                if method == "DELETE":
                    state.echoes.clear(session)
                return _json_reply(200, {"echoes": state.echoes.describe(session)}, request_id)
            if what == "config":
                if method == "POST":
                    if "time_scale" in payload:
                        state.time_scale = max(0.0, float(payload["time_scale"]))
                    if "seed" in payload:
                        state.seed = int(payload["seed"])
                    if "chunk_log" in payload:
                        state.chunk_log = _count_or_none(payload, "chunk_log") or 0
                        while len(state.chunk_times) > state.chunk_log:
                            state.chunk_times.popitem(last=False)
                    if "legacy_access" in payload:
                        if not isinstance(payload["legacy_access"], bool):
                            raise ValueError("legacy_access must be true or false")
                        state.legacy_access = payload["legacy_access"]
                    _configure_serving(state, payload)
                return _json_reply(200, {"time_scale": state.time_scale, "seed": state.seed,
                                         "legacy_access": state.legacy_access, "chunk_log": state.chunk_log,
                                         **state.capacity.describe(),
                                         "cache_ttl_scale": state.cache.ttl_scale,
                                         "serving_effects": serving.describe_effects()}, request_id)
            if what == "cache":
                if method == "DELETE":
                    state.cache.clear()
                return _json_reply(200, {"entries": state.cache.describe(time.time())}, request_id)
            if what == "profiles":
                if method == "DELETE":
                    state.overrides.clear()
                elif method == "POST":
                    resolved = models.resolve(payload.pop("model_id", ""))
                    if resolved is None:
                        raise ValueError(INVALID_MODEL)
                    if "chunk_tokens" in payload:
                        payload["chunk_tokens"] = tuple(int(x) for x in payload["chunk_tokens"])
                    models.with_latency(resolved.model, **payload)  # rejects unknown fields now
                    state.overrides[resolved.model.model_id] = payload
                return _json_reply(200, {"overrides": state.overrides}, request_id)
        except (ValueError, TypeError) as problem:
            return _json_reply(400, {"message": str(problem)}, request_id)
        return _json_reply(404, {"message": f"no control endpoint {what!r}"}, request_id)


def _count_or_none(payload: dict[str, Any], name: str) -> int | None:
    value = payload[name]
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a whole number of requests (0 or more), or null for no limit")
    return value


def _configure_serving(state: EmulatorState, payload: dict[str, Any]) -> None:
    """The config endpoint's serving limits and cache TTL scale (checked before any is applied)."""
    capacity = state.capacity
    counts = {name: _count_or_none(payload, key) for name, key in (
        ("priority", "priority_capacity"), ("reserved", "reserved_capacity"), ("optimized", "optimized_quota"))
        if key in payload}
    reservations = capacity.reservations
    if "reserved_models" in payload:
        ids = payload["reserved_models"]
        if not isinstance(ids, list):
            raise ValueError("reserved_models must be a list of model ids")
        resolved = [models.resolve(str(i)) for i in ids]
        if any(r is None for r in resolved):
            raise ValueError(INVALID_MODEL)
        reservations = frozenset(r.model.model_id for r in resolved if r is not None)
    scale = state.cache.ttl_scale
    if "cache_ttl_scale" in payload:
        scale = float(payload["cache_ttl_scale"])
        if not scale > 0:
            raise ValueError("cache_ttl_scale must be above 0")
    for name, value in counts.items():
        setattr(capacity, name, value)
    capacity.reservations, state.cache.ttl_scale = reservations, scale


def _matches(model: models.EmulatedModel, query: dict[str, str]) -> bool:
    provider = query.get("byProvider")
    if provider and provider.lower() not in (model.provider.lower(), model.model_id.split(".")[0]):
        return False
    if query.get("byOutputModality", "TEXT") != "TEXT":
        return False
    inference = query.get("byInferenceType")
    return not inference or inference in model.inference_types


def _lifecycle(life: models.Lifecycle) -> dict[str, Any]:
    """`modelLifecycle` as the bedrock service model has it: status ACTIVE | LEGACY, and the known dates."""
    out: dict[str, Any] = {"status": life.status}
    for key, day in (("startOfLifeTime", life.start), ("legacyTime", life.legacy), ("endOfLifeTime", life.end_of_life)):
        if day is not None:
            out[key] = models.epoch_s(day)
    return out


def _summary(model: models.EmulatedModel, region: str) -> dict[str, Any]:
    return {
        "modelArn": f"arn:aws:bedrock:{region}::foundation-model/{model.model_id}",
        "modelId": model.model_id, "modelName": model.name, "providerName": model.provider,
        "inputModalities": ["TEXT"], "outputModalities": ["TEXT"],
        "responseStreamingSupported": model.streaming, "customizationsSupported": [],
        "inferenceTypesSupported": model.inference_types, "modelLifecycle": _lifecycle(model.lifecycle),
    }


def _profile(model: models.EmulatedModel, geo: str, region: str) -> dict[str, Any]:
    profile_id = f"{geo}.{model.model_id}"
    label = {"us": "US", "eu": "EU", "apac": "APAC", "jp": "JP", "global": "Global"}[geo]
    return {
        "inferenceProfileName": f"{label} {model.name}",
        "description": f"Routes requests to {model.name} in {label} regions.",
        "inferenceProfileArn": f"arn:aws:bedrock:{region}:{ACCOUNT}:inference-profile/{profile_id}",
        "models": [{"modelArn": f"arn:aws:bedrock:{region}::foundation-model/{model.model_id}"}],
        "inferenceProfileId": profile_id, "status": "ACTIVE", "type": "SYSTEM_DEFINED",
    }


async def _send_reply(send: Send, reply: Reply) -> None:
    headers = reply.headers + [(b"content-length", str(len(reply.body)).encode())]
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": reply.body})


def prompt_digest(text: str) -> str:
    """How GET /_emulator/streams names a stream's prompt: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]  # lone surrogates are answered too


class _Run:
    """One inference request after validation: its output, its timing, and how it goes on the wire."""

    def __init__(self, state: EmulatorState, model: models.EmulatedModel, api: str, prompt: Prompt,
                 input_tokens: int, body: bytes, started: float, request_id: str, fault: Fault | None,
                 answer: str | None = None, window_cut: bool = False, served: serving.Served = serving.DEFAULT) -> None:
        # What the usage reports as input is the uncached rest; the cached part is reported beside it. The model
        # still reads what it writes to the cache: only what it read from the cache skips the prefill.
        cache = prompt.cache
        self.model, self.api, self.prompt = model, api, prompt
        self.input_tokens = max(0, input_tokens - (cache.cached_tokens if cache is not None else 0))
        self.prefill_tokens = max(0, input_tokens - (cache.read_tokens if cache is not None else 0))
        self.served = served
        self.started, self.request_id, self.fault, self.answer = started, request_id, fault, answer
        self.window_cut = window_cut
        self.time_scale = state.time_scale
        self.state = state
        self.state_sent = state.sent
        digest = hashlib.blake2b(body, digest_size=8).hexdigest()
        key = f"{model.model_id}:{api}:{digest}"
        if len(state.seen) >= _SEEN_LIMIT:
            state.seen.clear()  # bounded memory for a long-running emulator; repeats then start over
        state.seen[key] += 1
        self.rng = random.Random(textgen.stable_seed(state.seed, key, state.seen[key]))
        self.seed = state.seed
        self.draw = timing.draw(model.latency, self.rng, served.effect, self.prefill_tokens)
        self.first_byte_ms: int | None = None
        self.include_usage = False  # the OpenAI route's stream_options.include_usage
        # When each answer frame was due and put on the wire (epoch ms), kept only while the config asks for it.
        self.chunk_log: list[tuple[float, float]] | None = [] if state.chunk_log else None

    @cached_property
    def gen(self) -> textgen.Generation:
        """The output, made on first use: a stream makes it while it waits for its first token, so a
        burst of requests does not queue behind each other's text generation."""
        prompt = self.prompt
        gen = textgen.generate(
            model_name=self.model.name, user_text=prompt.user_text, system=prompt.system, turn=prompt.turn,
            max_tokens=prompt.max_tokens, stop_sequences=prompt.stop_sequences,
            thinking_budget=prompt.thinking_budget, input_tokens=self.input_tokens, seed=self.seed,
            prefill=prompt.prefill if self.model.family == "anthropic-messages" else "", answer=self.answer)
        if self.window_cut and gen.stop == "max_tokens":
            gen = replace(gen, stop="context_window")
        fault = self.fault
        if fault is not None and fault.ending:  # the model stops early with this reason, as a normal answer
            gen = replace(gen, answer_tokens=gen.answer_tokens[: fault.after_tokens], stop=fault.kind,
                          stop_sequence=None)
        return gen

    def _elapsed_ms(self) -> int:
        return round((time.perf_counter() - self.started) * 1000)

    async def _wait_until(self, seconds: float) -> None:
        """Sleep until `seconds` (profile time, scaled) after the request arrived."""
        delay = self.started + seconds * self.time_scale - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)

    # -- sync --------------------------------------------------------------------------------

    def _sync_payload(self) -> dict[str, Any]:
        if self.api == "openai":
            return openai_route.sync_body(self.gen, self.model)
        if self.api == "converse":
            return {**converse.sync_body(self.prompt, self.gen, self.model, self._elapsed_ms()),
                    **serving.converse_fields(self.served)}
        return families.FAMILIES[self.model.family].sync_body(self.prompt, self.gen, self.model)

    def _truncated(self, body: bytes) -> bytes:
        """A sync body that ends just after the first `after_tokens` answer tokens, as the stream would have
        (half the body when the answer cannot be found in it)."""
        assert self.fault is not None
        answer = json.dumps(self.gen.text)[1:-1].encode()  # as it is escaped inside the body
        at = body.find(answer + b'"') if answer else -1
        if at < 0:
            return body[: len(body) // 2]
        kept = json.dumps("".join(self.gen.answer_tokens[: self.fault.after_tokens]))[1:-1].encode()
        return body[: at + len(kept)]

    async def respond(self, receive: Receive, send: Send) -> None:
        await self._wait_until(timing.sync_duration(self.gen.output_tokens, self.draw))
        fault = self.fault
        if fault is not None and fault.kind == "stall":
            await asyncio.sleep(fault.seconds)
        if fault is not None and fault.kind == "silent" and await _hang_up(receive, fault.seconds):
            return  # nothing was ever sent, and the client has gone
        if fault is not None and fault.kind == "stream_error":
            code, message = STREAM_EXCEPTIONS[fault.exception]
            error = BedrockError(code, message)
            await _send_reply(send, _route_error_reply(error, self.request_id) if self.api == "openai"
                              else _error_reply(error, self.request_id))
            return
        body = json.dumps(self._sync_payload()).encode()
        headers = [(b"content-type", b"application/json"), (b"x-amzn-requestid", self.request_id.encode())]
        if self.api == "invoke":
            headers += [
                (b"x-amzn-bedrock-invocation-latency", str(self._elapsed_ms()).encode()),
                (b"x-amzn-bedrock-input-token-count", str(self.gen.input_tokens).encode()),
                (b"x-amzn-bedrock-output-token-count", str(self.gen.output_tokens).encode()),
                *self._cache_headers(), *serving.invoke_headers(self.served),
            ]
        if fault is not None and fault.kind == "malformed":
            body = body[: len(body) // 2]
        if fault is not None and fault.kind in ("silent", "truncated"):
            body = self._truncated(body)
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        if fault is not None and fault.kind == "cut":
            await send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True})
            raise ConnectionCut()
        await send({"type": "http.response.body", "body": body})

    def _cache_headers(self) -> list[tuple[bytes, bytes]]:
        """A sync InvokeModel's cache counts, beside the input count that leaves them out."""
        cache = self.prompt.cache
        if cache is None:
            return []
        return [(b"x-amzn-bedrock-cache-read-input-token-count", str(cache.read_tokens).encode()),
                (b"x-amzn-bedrock-cache-write-input-token-count", str(cache.write_tokens).encode())]

    # -- stream ------------------------------------------------------------------------------

    def _frames(self) -> list[Frame]:
        sizes = self.model.latency.chunk_tokens
        answer = timing.chunk(self.gen.answer_tokens, sizes, self.rng)
        thinking = timing.chunk(self.gen.thinking_tokens, sizes, self.rng)
        if self.api == "openai":
            return openai_route.frames(self.gen, self.model, answer, thinking, self.include_usage)
        if self.api == "converse":
            return converse.frames(self.prompt, self.gen, self.model, answer, thinking)
        return families.FAMILIES[self.model.family].frames(self.prompt, self.gen, self.model, answer, thinking)

    def _encode(self, frame: Frame, last: bool, malformed: bool) -> bytes:
        if self.api == "openai":
            return openai_route.encode(frame, malformed)
        payload = frame.payload
        if self.api == "converse":
            if frame.event == "metadata":
                payload = {**payload, "metrics": {"latencyMs": self._elapsed_ms()},
                           **serving.converse_fields(self.served)}
            data = json.dumps(payload).encode()
            return encode_event(frame.event, data[: len(data) // 2] if malformed else data)
        if last:
            metrics = {"inputTokenCount": self.gen.input_tokens, "outputTokenCount": self.gen.output_tokens,
                       "invocationLatency": self._elapsed_ms(), "firstByteLatency": self.first_byte_ms or 0}
            if self.prompt.cache is not None:  # inputTokenCount leaves the cached tokens out
                metrics |= {"cacheReadInputTokenCount": self.prompt.cache.read_tokens,
                            "cacheWriteInputTokenCount": self.prompt.cache.write_tokens}
            payload = {**payload, "amazon-bedrock-invocationMetrics": metrics}
        data = json.dumps(payload).encode()
        if malformed:
            data = data[: len(data) // 2]
        padding = _PADDING[: self.rng.randint(1, len(_PADDING))]
        wrapper = '{"bytes":"' + base64.b64encode(data).decode() + '","p":"' + padding + '"}'
        return encode_event("chunk", wrapper.encode())

    def _exception(self) -> bytes:
        assert self.fault is not None
        name = self.fault.exception
        if self.api == "openai":
            return openai_route.stream_error(name, STREAM_EXCEPTIONS[name][1])
        if self.api == "converse" and name == "modelTimeoutException":
            name = "modelStreamErrorException"  # ConverseStream has no such event
        message: dict[str, Any] = {"message": STREAM_EXCEPTIONS[name][1]}
        if name == "modelStreamErrorException":
            message.update(originalStatusCode=500, originalMessage="Model error")
        return encode_exception(name, json.dumps(message).encode())

    async def stream(self, receive: Receive, send: Send) -> None:
        disconnected = asyncio.Event()

        async def watch() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            disconnected.set()

        watcher = asyncio.ensure_future(watch())
        try:
            await send({"type": "http.response.start", "status": 200, "headers": [
                *([(b"content-type", b"text/event-stream; charset=utf-8"), (b"cache-control", b"no-cache")]
                  if self.api == "openai" else [(b"content-type", b"application/vnd.amazon.eventstream"),
                                                (b"x-amzn-bedrock-content-type", b"application/json")]),
                (b"x-amzn-requestid", self.request_id.encode()),
                *(serving.invoke_headers(self.served) if self.api == "invoke" else []),
            ]})
            ready_in_s = self.started + self.draw.ttft_s * self.time_scale - _PREPARE_AHEAD_S - time.perf_counter()
            await _sleep_unless(disconnected, ready_in_s)
            if disconnected.is_set():
                return
            frames = self._frames()
            await self._send_frames(frames, timing.schedule(frames, self.draw, self.rng), send, disconnected)
        finally:
            watcher.cancel()

    async def _break(self, fault: Fault, frame: Frame, send: Send, disconnected: asyncio.Event) -> bool:
        """Do what `fault` does to the stream just before `frame`; True when the stream is over."""
        if fault.kind == "silent":  # a half-open connection: no byte, no FIN, no RST while the client waits
            if fault.seconds > 0:
                await _sleep_unless(disconnected, fault.seconds)
            else:
                await disconnected.wait()
            if disconnected.is_set():
                return True
        if fault.kind in ("silent", "truncated"):  # a clean end of the body, without the closing events
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return True
        if fault.kind == "stream_error":
            await send({"type": "http.response.body", "body": self._exception(), "more_body": False})
            return True
        if fault.kind == "cut":
            half = self._encode(frame, False, False)
            await send({"type": "http.response.body", "body": half[: len(half) // 2], "more_body": True})
            raise ConnectionCut()
        if fault.kind == "stall":
            await _sleep_unless(disconnected, fault.seconds)
        return False

    async def _send_frames(self, frames: list[Frame], due: list[float], send: Send,
                           disconnected: asyncio.Event) -> None:
        fault = self.fault if self.fault is not None and self.fault.during_stream else None
        # Where the closing events start (stop reason, usage, metrics: every frame after the last token): a
        # stream cut before its end must lose them all, however many tokens it was to keep.
        closing = max((i for i, frame in enumerate(frames) if frame.tokens), default=-1) + 1
        pending: list[bytes] = []
        size = sent_tokens = 0
        shift_s = 0.0  # a stall pushes every later frame back, as a real stall would
        malformed_next = False

        # The prompt as a digest (the last user message's SHA-256, 16 hex digits): a benchmark with many
        # sessions matches each stream to the prompt it typed, and the endpoint shows no prompt text.
        timeline: dict[str, Any] = {"request_id": self.request_id, "model_id": self.model.model_id,
                                    "prompt_sha256": prompt_digest(self.prompt.user_text),
                                    "first_token_sent_ms": None, "last_sent_ms": None}

        log = self.chunk_log
        waiting: list[float] = []  # when the answer frames in `pending` were due (perf_counter)
        epoch_offset_s = time.time() - time.perf_counter()

        async def flush(more: bool = True) -> None:
            nonlocal size
            if pending or not more:
                await send({"type": "http.response.body", "body": b"".join(pending), "more_body": more})
                pending.clear()
                size = 0
                if sent_tokens and timeline["first_token_sent_ms"] is None:
                    timeline["first_token_sent_ms"] = time.time() * 1000
                timeline["last_sent_ms"] = time.time() * 1000
                if log is not None and waiting:
                    sent_ms = time.time() * 1000
                    log.extend((round((at + epoch_offset_s) * 1000, 3), round(sent_ms, 3)) for at in waiting)
                    waiting.clear()

        for i, frame in enumerate(frames):
            if fault is not None and (sent_tokens >= fault.after_tokens and (frame.tokens or i == len(frames) - 1)
                                      or fault.kind in ("silent", "truncated") and i == closing):
                await flush()
                if await self._break(fault, frame, send, disconnected) or disconnected.is_set():
                    return
                shift_s += fault.seconds if fault.kind == "stall" else 0.0
                malformed_next = fault.kind == "malformed"
                fault = None
            delay = self.started + shift_s + due[i] * self.time_scale - time.perf_counter()
            if delay > 0.0005:
                await flush()
                await asyncio.sleep(delay)
            if disconnected.is_set():
                return
            if self.first_byte_ms is None:
                self.first_byte_ms = self._elapsed_ms()
            data = self._encode(frame, i == len(frames) - 1, malformed_next)
            malformed_next = False
            pending.append(data)
            size += len(data)
            sent_tokens += frame.tokens
            if log is not None and frame.tokens and not frame.hidden:
                waiting.append(self.started + shift_s + due[i] * self.time_scale)
            if size >= _FLUSH_BYTES:
                await flush()
        await flush(more=False)
        self.state_sent.append(timeline)
        if log is not None:
            self.state.keep_chunk_log(self.request_id, log)


async def _hang_up(receive: Receive, seconds: float) -> bool:
    """Wait for the client to hang up (True) or for `seconds` to pass (False); 0 waits for the hang-up alone."""
    async def disconnect() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    try:
        await asyncio.wait_for(disconnect(), timeout=seconds if seconds > 0 else None)
    except TimeoutError:
        return False
    return True


async def _sleep_unless(event: asyncio.Event, seconds: float) -> None:
    """Sleep, but wake at once when the client goes away."""
    if event.is_set() or seconds <= 0:
        return
    try:
        await asyncio.wait_for(event.wait(), timeout=seconds)
    except TimeoutError:
        pass
