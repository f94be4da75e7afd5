"""The API's Starlette app: routes, Server-Sent Events framing, error mapping, cancellation and the door.

Every request runs on `core.streaming.Run` (which owns the timing and writes the history record) in a
thread of its own, because boto3 blocks and the event loop is shared with the Streamlit UI. Text
reaches the client through `core.conversation.coalesce`, as it reaches the chat page.

The door (`RequestGuard`): any web page the user visits can make the browser send a request to this
app, and CORS only hides the answer from it; the run would still happen, be recorded and, on AWS, be
billed. So a request that runs a model (every POST, `GET /generate`) must come from the app's own pages,
a page on this machine (`LOCAL_ORIGINS`), an origin listed in `BEDROCK_LAB_API_ORIGINS`, or a client
that is no browser (no `Origin`, no `Sec-Fetch-Site`: curl, scripts), and a POST must say
`Content-Type: application/json`, which no other site can send without a CORS preflight.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import html
import ipaddress
import json
import logging
import os
import re
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from .. import catalog, errors, validation
from .. import format as fmt
from ..catalog import PRICE_TABLE_DATE, ModelInfo
from ..client import (
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_READ_TIMEOUT_S,
    configured_region,
    default_backend,
    make_client,
    shared_emulator,
)
from ..conversation import coalesce
from ..history import History, HistoryUnavailable
from ..streaming import Run, RunRequest, start
from ..types import RunRecord
from .openapi import openapi_schema
from .params import BadRequest, Generate, decode_body, from_query, parse_generate

PREFIX = "/api"
SESSION_ID = "api"  # the history's session_id for runs made through the API
MODELS_TTL_S = 300.0
SHUTDOWN_POLL_S = 0.25
RECORD_WAIT_S = 5.0  # how long a cancelled stream may take to close and be recorded
STATIC = Path(__file__).parent / "static"
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
# A browser page on this machine (a team's dev server on any port) may call the API; the app itself
# listens on loopback unless told otherwise.
LOCAL_ORIGINS = r"https?://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?"
ORIGINS_ENV = "BEDROCK_LAB_API_ORIGINS"  # more origins that may run models: "https://a.example,http://b:3000"
# What the door guards besides every POST: the GET form of generate runs a model too (HEAD is GET's twin).
MODEL_GETS = ("/generate",)
DEMO_CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; "
            "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'")
INDEX_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
# The index's list, relative to the mount: (method, path, what it does); a GET's path is a link.
ENDPOINTS = (
    ("GET", "demo", "A small page that streams an answer: the reference for wiring a frontend (its source: demo.js)."),
    ("POST", "generate", "Run a prompt or a conversation; with \"stream\": true the answer comes as Server-Sent "
                         "Events (text events, then one done or error event with the run's metrics)."),
    ("GET", "generate?prompt=...&model_id=...", "The same with query parameters (a prompt only), for the browser's "
                                                 "EventSource."),
    ("GET", "models", "The backend's text models, with provider, streaming support and dated prices."),
    ("GET", "health", "The backend the API runs on, and where its runs are recorded."),
    ("GET", "openapi.json", "The OpenAPI description of all of this."),
)
# Fields of the RunRecord a client gets as "metrics" (the text it has already; the rest is request echo).
METRIC_FIELDS = ("run_id", "started_utc", "model_id", "provider", "api", "mode", "backend", "region", "status",
                 "ttft_ms", "first_event_ms", "e2e_ms", "tokens_per_s", "tpot_ms", "gap_count", "gap_p50_ms",
                 "gap_p90_ms", "gap_max_ms", "input_tokens", "output_tokens", "tokens_source",
                 "server_first_byte_ms", "server_latency_ms", "stop_reason", "attempts", "error_code", "cost_usd",
                 "notes", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens", "first_reasoning_ms",
                 "reasoning_ms", "reasoning_shown", "effort", "service_tier", "service_tier_served", "latency",
                 "latency_served", "cache_ttl")

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class ApiSettings:
    """Where the API's runs go: the process's backend (not a browser session's sidebar choice)."""

    backend: str = "emulator"
    region: str | None = None
    profile: str | None = None
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    read_timeout_s: float = DEFAULT_READ_TIMEOUT_S
    allowed_origins: tuple[str, ...] = ()  # web origins, beyond the app's own and LOCAL_ORIGINS, that may run models

    @classmethod
    def from_environment(cls) -> ApiSettings:
        """`BEDROCK_BACKEND`, for AWS the region the standard configuration resolves to, and the origins
        `BEDROCK_LAB_API_ORIGINS` lists."""
        backend = default_backend()
        return cls(backend=backend, region=configured_region() if backend == "aws" else None,
                   allowed_origins=parse_origins(os.environ.get(ORIGINS_ENV, "")))


def parse_origins(text: str) -> tuple[str, ...]:
    """Comma-separated web origins (`scheme://host[:port]`), normalized; anything else is left out, with a
    warning, since an allowance that was mistyped must not widen the door."""
    origins: list[str] = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        origin = _normal_origin(item)
        if origin is None:
            log.warning("%s: %r is not a web origin like https://lab.example.com or http://host:3000; left out",
                        ORIGINS_ENV, item)
        else:
            origins.append(origin)
    return tuple(origins)


# -- errors ----------------------------------------------------------------------------------------


def status_for(error: errors.LabError) -> int:
    """The HTTP status for an upstream failure: 429 throttled, 403 no access, 504 too slow, 400 refused
    as asked, 502 anything else Bedrock or the connection to it did wrong."""
    if isinstance(error, (errors.ThrottledError, errors.ModelNotReadyError)):
        return 429
    if isinstance(error, (errors.AccessDeniedError, errors.CredentialsError)):
        return 403
    if isinstance(error, errors.ModelTimeoutError):
        return 504
    if isinstance(error, (errors.ValidationError, errors.ModelNotFoundError)):
        return 400
    return 502


def _field_for(error: errors.LabError, input_field: str | None) -> str | None:
    if isinstance(error, errors.ModelNotFoundError):
        return "model_id"
    if isinstance(error, errors.ContextWindowError):
        return input_field
    return None


def error_body(message: str, field: str | None, code: str) -> dict[str, Any]:
    return {"error": message, "field": field, "code": code}


def _bad_request(problem: BadRequest) -> JSONResponse:
    return JSONResponse(error_body(problem.message, problem.field, "BadRequest"), status_code=400)


def _upstream(error: errors.LabError, input_field: str | None = None) -> JSONResponse:
    return JSONResponse(error_body(error.message, _field_for(error, input_field), error.code),
                        status_code=status_for(error))


# -- the door --------------------------------------------------------------------------------------

_ORIGIN = re.compile(r"(https?)://([^/?#@\s]+)")
_DEFAULT_PORTS = {"http": "80", "https": "443"}


def _normal_origin(text: str) -> str | None:
    """`scheme://host[:port]` in lower case without the scheme's default port, or None if it is no origin."""
    found = _ORIGIN.fullmatch(text.strip().rstrip("/").lower())
    if found is None:
        return None
    scheme, host = found.groups()
    return f"{scheme}://{host.removesuffix(':' + _DEFAULT_PORTS[scheme])}"


def _host_of(origin: str) -> str:
    return origin.split("://", 1)[1]


def _names_an_address(host: str) -> bool:
    """True for a Host header naming an IP address or localhost: no other site's DNS name can hide behind
    it (another site's name pointed at 127.0.0.1 makes its pages "same-origin": DNS rebinding)."""
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    if name == "localhost":
        return True
    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    return True


def refuse_cross_site(headers: Headers, scheme: str, allowed_origins: tuple[str, ...]) -> JSONResponse | None:
    """A 403 for a request another site's page made the browser send, or None when it may run a model."""
    host = (headers.get("host") or "").lower()
    own = _normal_origin(f"{scheme}://{host}")
    known_host = _names_an_address(host) or own in allowed_origins
    origin, site = headers.get("origin"), headers.get("sec-fetch-site")
    if origin is not None and origin != "null":
        normal = _normal_origin(origin)
        if normal is not None and (re.fullmatch(LOCAL_ORIGINS, normal) or normal in allowed_origins):
            return None
        if normal is not None and own is not None and _host_of(normal) == _host_of(own):  # (a proxy may end TLS)
            return None if known_host else _refused(_unknown_name(host, normal), "Origin")
        return _refused(f"it comes from a page on {origin}, another site. {_WHO_MAY} {_how_to_allow(normal)}",
                        "Origin")
    if origin is None and site in (None, "none"):
        return None  # no page made this request: curl, a script, or an address the user typed
    if site == "same-origin":
        return None if known_host else _refused(_unknown_name(host, own), "Sec-Fetch-Site")
    return _refused(f"the browser says a page on another site sent it (a link, an image, a form or a sandboxed "
                    f"frame: Sec-Fetch-Site is {site or 'missing'}, Origin is {origin or 'missing'}). {_WHO_MAY} "
                    f"{_how_to_allow(None)}", "Sec-Fetch-Site" if site else "Origin")


_WHO_MAY = ("Models run only for the app's own pages, pages on this machine (http://localhost or http://127.0.0.1, "
            f"any port), the origins {ORIGINS_ENV} lists, and clients that are no browser (curl, scripts).")


def _how_to_allow(origin: str | None) -> str:
    if origin is None:
        return (f"To allow a page on another origin, start the app with {ORIGINS_ENV} set to it, e.g. "
                f"{ORIGINS_ENV}=https://lab.example.com (several: comma-separated).")
    return f"To allow it, start the app with {ORIGINS_ENV}={origin} (several origins: comma-separated)."


def _unknown_name(host: str, origin: str | None) -> str:
    return (f"the page is served as {host}, a name the app does not know: it could be another site's name "
            f"pointed at this machine (DNS rebinding). {_how_to_allow(origin)}")


def _refused(why: str, field: str) -> JSONResponse:
    return JSONResponse(error_body(f"Refused, and nothing was run: {why}", field, "CrossSiteRequest"),
                        status_code=403)


def refuse_unless_json(headers: Headers) -> JSONResponse | None:
    """A 415 for a POST whose body is not declared JSON (a form or text/plain: what other sites can send)."""
    declared = headers.get("content-type")
    media_type, _, parameters = (declared or "").partition(";")
    charset = re.search(r"charset\s*=\s*\"?([\w-]+)", parameters, re.IGNORECASE)
    if media_type.strip().lower() == "application/json" and (
            charset is None or charset.group(1).lower() in ("utf-8", "utf8")):
        return None
    said = f"Content-Type: {declared}" if declared else "no Content-Type"
    message = (f"Send the body as JSON in UTF-8 with the header Content-Type: application/json (this request "
               f"said {said}). Forms and text/plain bodies are refused, because any web site can make a "
               "browser send those.")
    return JSONResponse(error_body(message, "Content-Type", "UnsupportedMediaType"), status_code=415)


class RequestGuard:
    """ASGI middleware: refuses, before any route runs, a request that can change state or spend money
    (every POST, the GET form of generate) from another site's page, and a POST that is not JSON."""

    def __init__(self, app: ASGIApp, allowed_origins: tuple[str, ...] = ()) -> None:
        self.app = app
        self.allowed_origins = allowed_origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            method = scope["method"]
            path = scope["path"].removeprefix(scope.get("root_path", "")) or "/"
            if method not in ("GET", "HEAD", "OPTIONS") or path in MODEL_GETS:
                headers = Headers(scope=scope)
                refusal = refuse_cross_site(headers, scope.get("scheme", "http"), self.allowed_origins)
                if refusal is None and method == "POST":
                    refusal = refuse_unless_json(headers)
                if refusal is not None:
                    await refusal(scope, receive, send)
                    return
        await self.app(scope, receive, send)


def metrics_of(record: RunRecord) -> dict[str, Any]:
    """What the record measured, for a client: timings, tokens, status, cost (an estimate, dated)."""
    metrics = {name: getattr(record, name) for name in METRIC_FIELDS}
    metrics["cost_estimate_date"] = PRICE_TABLE_DATE
    return metrics


def shown_metrics(record: RunRecord) -> list[dict[str, str]]:
    """The run's main figures as the app's pages say them (core.format): each known one's key, name, short name,
    explanation and value with its unit, for a frontend that shows the lab's words and number format."""
    reasoned = record.first_reasoning_ms is not None or record.reasoning_shown is not None
    tokens = f"{fmt.count(record.output_tokens)} ({record.tokens_source})" if record.tokens_source else None
    rows: list[tuple[str, float | None, str | None]] = [
        ("first_answer_token" if reasoned else "ttft", record.ttft_ms if record.mode == "stream" else None, None),
        ("first_reasoning", record.first_reasoning_ms, None),
        ("e2e", record.e2e_ms, None),
        ("decode_rate", record.tokens_per_s, None),
        ("output_tokens", record.output_tokens, tokens),
        ("cost", record.cost_usd, f"{fmt.usd(record.cost_usd)} (prices of {PRICE_TABLE_DATE})"),
    ]
    shown = []
    for key, amount, said in rows:
        if amount is None:
            continue
        metric = fmt.metric(key)
        shown.append({"key": key, "name": metric.name, "short": metric.short, "help": metric.help,
                      "value": said or fmt.value(key, amount)})
    return shown


def index_page() -> str:
    """The API's front page: what each endpoint does, with links (relative: it is served at the mount's root)."""
    items = "\n".join(
        f"<li><code>{method}</code> "
        + (f'<a href="{html.escape(path)}"><code>{PREFIX}/{html.escape(path)}</code></a>'
           if method == "GET" and "?" not in path else f"<code>{PREFIX}/{html.escape(path)}</code>")
        + f"<br><span>{html.escape(what)}</span></li>" for method, path, what in ENDPOINTS)
    return INDEX_HTML.replace("{items}", items).replace("{prefix}", PREFIX)


INDEX_HTML = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Bedrock Streaming Lab · HTTP API</title>
<style>
  :root { color-scheme: light dark; --muted: #656d76; }
  @media (prefers-color-scheme: dark) { :root { --muted: #9aa4ae; } }
  body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; }
  main { max-width: 760px; margin: 0 auto; padding: 24px 20px 48px; }
  h1 { font-size: 1.4rem; margin: 0 0 4px; }
  p, li span { color: var(--muted); }
  ul { padding-left: 1.2em; } li { margin: 10px 0; }
  code { font-size: 0.9em; }
</style>
</head>
<body>
<main>
<h1>Bedrock Streaming Lab · HTTP API</h1>
<p>The lab's streaming API, served beside the app under <code>{prefix}</code>. Every run is recorded in the
  app's history, so it shows on the Monitor page.</p>
<ul>
{items}
</ul>
<p><a href="..">Back to the app</a></p>
</main>
</body>
</html>
"""


# -- Server-Sent Events ----------------------------------------------------------------------------


def sse_event(event_id: int, name: str, data: dict[str, Any]) -> bytes:
    """One event as the SSE specification frames it (JSON on one data line, so no line can break it)."""
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f"id: {event_id}\nevent: {name}\ndata: {payload}\n\n".encode()


def _produce(run: Run, deliver: Callable[[tuple[str, Any]], None]) -> None:
    """Drive the run in this thread and hand its coalesced text, then how it ended, to the event loop."""
    sent: list[str] = []
    try:
        for text in coalesce(run.text()):
            sent.append(text)
            deliver(("text", text))
    except Exception as problem:  # noqa: BLE001 - reaches the client as an error event, never a hang
        # Coalescing may have held text back when the run broke: the client gets every word that arrived.
        shown = "".join(sent)
        with contextlib.suppress(RuntimeError):  # (a run that failed always has its record)
            arrived = run.record.text
            if arrived.startswith(shown) and len(arrived) > len(shown):
                deliver(("text", arrived[len(shown):]))
        deliver(("error", errors.classify(problem)))
    else:
        deliver(("end", None))


class EventStream:
    """The ASGI response for a streamed run.

    The status line waits for the run's first outcome, so a failure before any text (throttling, no
    access) is an ordinary HTTP error with a JSON body; from the first text on it is a 200
    `text/event-stream` of `text` events, ended by one `done` or one `error` event. A client that hangs
    up cancels the run at once: the Bedrock stream is shut and the record says `cancelled`.
    """

    def __init__(self, run: Run, input_field: str) -> None:
        self.run = run
        self.input_field = input_field

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

        def deliver(item: tuple[str, Any]) -> None:
            with contextlib.suppress(RuntimeError):  # the loop is gone: the server is shutting down
                loop.call_soon_threadsafe(queue.put_nowait, item)

        async def watch() -> None:
            await _hung_up(receive)
            queue.put_nowait(("gone", None))

        async def watch_shutdown(server: Any) -> None:
            await _shutting_down(server)
            queue.put_nowait(("shutdown", None))

        watchers = [asyncio.ensure_future(watch())]
        server = _serving_server()
        if server is not None:
            watchers.append(asyncio.ensure_future(watch_shutdown(server)))
        producer = threading.Thread(target=_produce, args=(self.run, deliver), name="api-run", daemon=True)
        producer.start()
        over = False
        try:
            over = await self._relay(queue, send)
        except OSError:
            pass  # the client went away while we were writing to it
        finally:
            for watcher in watchers:
                watcher.cancel()
            if not over:
                self.run.cancel()
                await _recorded(self.run)

    async def _relay(self, queue: asyncio.Queue[tuple[str, Any]], send: Send) -> bool:
        """Send what the run produces; True once the run's end was sent, False if the client left first."""
        started, event_id = False, 0
        while True:
            kind, value = await queue.get()
            if kind == "gone":
                return False
            if kind == "shutdown":  # the app is stopping: end the stream rather than hold the exit up
                message = "The app is shutting down; the run was cancelled. Retry once it is back."
                if not started:
                    response = JSONResponse(error_body(message, None, "ServerShutdown"), status_code=503)
                    await send({"type": "http.response.start", "status": 503, "headers": response.raw_headers})
                    await send({"type": "http.response.body", "body": response.body})
                else:
                    data = {"error": message, "code": "ServerShutdown", "partial": True, "status": 503}
                    await send({"type": "http.response.body", "body": sse_event(event_id + 1, "error", data),
                                "more_body": False})
                return False
            if kind == "error" and not started:
                response = _upstream(value, self.input_field)
                await send({"type": "http.response.start", "status": response.status_code,
                            "headers": response.raw_headers})
                await send({"type": "http.response.body", "body": response.body})
                return True
            if not started:
                headers = [(b"content-type", b"text/event-stream; charset=utf-8")]
                headers += [(k.lower().encode(), v.encode()) for k, v in SSE_HEADERS.items()]
                await send({"type": "http.response.start", "status": 200, "headers": headers})
                started = True
            event_id += 1
            if kind == "text":
                await send({"type": "http.response.body", "body": sse_event(event_id, "text", {"text": value}),
                            "more_body": True})
                continue
            record = self.run.record
            if kind == "error":
                data = {"error": value.message, "code": value.code, "partial": True, "status": status_for(value),
                        "metrics": metrics_of(record), "shown": shown_metrics(record)}
                frame = sse_event(event_id, "error", data)
            else:
                frame = sse_event(event_id, "done", {"done": True, "metrics": metrics_of(record),
                                                     "shown": shown_metrics(record)})
            await send({"type": "http.response.body", "body": frame, "more_body": False})
            return True


class JsonAnswer:
    """The ASGI response for `stream: false`: one JSON answer (or an HTTP error) once the run has ended.

    A client that hangs up before then cancels the run, as a streamed one does, so the record says
    `cancelled`, not `ok` with text nobody received. A sync call already sent cannot be called back: its
    record is written, as cancelled, when the answer comes. Stopping the app answers 503.
    """

    def __init__(self, run: Run, input_field: str) -> None:
        self.run = run
        self.input_field = input_field

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        answer = asyncio.ensure_future(_in_thread(self.run.result))
        answer.add_done_callback(_retrieved)
        hung_up = asyncio.ensure_future(_hung_up(receive))
        waits = {answer, hung_up}
        server = _serving_server()
        if server is not None:
            waits.add(asyncio.ensure_future(_shutting_down(server)))
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for watcher in waits - {answer}:
                watcher.cancel()
        if answer.done():
            failure = answer.exception()
            if isinstance(failure, errors.LabError):
                response: Response = _upstream(failure, self.input_field)
            elif failure is not None:
                raise failure
            else:
                record = answer.result()
                response = JSONResponse({"text": record.text, "model_id": record.model_id,
                                         "metrics": metrics_of(record)})
        else:
            self.run.cancel()
            if hung_up.done():
                return  # nobody to answer; the run records itself as cancelled
            await _recorded(self.run)
            message = "The app is shutting down; the run was cancelled. Retry once it is back."
            response = JSONResponse(error_body(message, None, "ServerShutdown"), status_code=503)
        await response(scope, receive, send)


def _retrieved(future: asyncio.Future[Any]) -> None:
    """Read a finished future's outcome, so a failure nobody waited for is not logged as never retrieved."""
    if not future.cancelled():
        future.exception()


async def _hung_up(receive: Receive) -> None:
    """Return once the client has gone (the request's body, if any, was read already)."""
    while (await receive())["type"] != "http.disconnect":
        pass


async def _shutting_down(server: Any) -> None:
    """Return once the uvicorn server starts to stop."""
    while not server.should_exit:
        await asyncio.sleep(SHUTDOWN_POLL_S)


async def _recorded(run: Run) -> None:
    """Wait (a while) for a cancelled run's record: it is written when the run's thread ends, and an app that
    is stopping must not exit, taking the daemon thread with it, before the run is in the history."""
    waited_s = 0.0
    while not run.finished and waited_s < RECORD_WAIT_S:
        await asyncio.sleep(SHUTDOWN_POLL_S)
        waited_s += SHUTDOWN_POLL_S


def _serving_server() -> Any:
    """The uvicorn server running this process, found through the signal handler it installs, or None.

    uvicorn tells an app nothing when it starts to shut down: it waits for open responses to end. A
    stream must notice by itself, or one open stream would hold up the app's exit until it ends.
    """
    owner = getattr(signal.getsignal(signal.SIGINT), "__self__", None)
    return owner if isinstance(getattr(owner, "should_exit", None), bool) else None


async def _in_thread(function: Callable[[], T]) -> T:
    """Run blocking work (boto3, SQLite) in a thread of its own, so the shared event loop never waits
    and long runs do not take the small thread pool Streamlit keeps for its static files."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(outcome: Callable[[], None]) -> None:
        if not future.done():
            outcome()

    def work() -> None:
        try:
            result = function()
        except BaseException as problem:  # noqa: BLE001 - handed to the awaiting coroutine
            failure = problem  # `problem` is unbound when the except block ends
            loop.call_soon_threadsafe(settle, lambda: future.set_exception(failure))
        else:
            loop.call_soon_threadsafe(settle, lambda: future.set_result(result))

    threading.Thread(target=work, name="api-call", daemon=True).start()
    return await future


# -- the app ---------------------------------------------------------------------------------------


class ModelBook:
    """The backend's text models this lab can run, listed once every few minutes (thread-safe)."""

    def __init__(self, settings: ApiSettings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._models: dict[str, ModelInfo] | None = None
        self._listed_at = 0.0

    def get(self) -> dict[str, ModelInfo]:
        """Foundation model id -> ModelInfo; raises a LabError when the backend cannot list them."""
        with self._lock:
            if self._models is None or time.monotonic() - self._listed_at > MODELS_TTL_S:
                try:
                    client = make_client("bedrock", self.settings.backend, region=self.settings.region,
                                         profile=self.settings.profile)
                    listed = catalog.list_text_models(client)
                except Exception as problem:  # noqa: BLE001 - typed for the caller
                    raise errors.classify(problem) from problem
                self._models = {m.model_id: m for m in listed}
                self._listed_at = time.monotonic()
            return self._models


def _model_json(model: ModelInfo, region: str | None) -> dict[str, Any]:
    known, prices = model.model, model.model.prices_per_1m_usd
    return {
        "model_id": catalog.invocation_id(model, region), "foundation_model_id": model.model_id,
        "name": model.name, "provider": model.provider, "streaming": model.streaming,
        "needs_inference_profile": model.needs_inference_profile, "context_tokens": model.context_tokens,
        "max_output_tokens": model.max_output_tokens, "apis": list(known.apis), "lifecycle": model.lifecycle,
        "end_of_life": known.spec.eol_date if known.spec else None,
        "sampling": known.sampling, "reasoning": known.thinking, "efforts": list(known.efforts),
        "temperature_max": {api: validation.bounds_for(known, api).temperature[1] for api in known.apis},
        "tiers": ["default", *known.tiers], "latency_optimized": known.latency_optimized, "caching": known.caching,
        "default": model.model_id == catalog.default_model_id("api"),
        "price": {"input_per_1m_usd": prices[0] if prices else None, "output_per_1m_usd": prices[1] if prices else None,
                  "as_of": PRICE_TABLE_DATE, "estimate": True},
    }


def create_api(settings: ApiSettings | None = None, history: History | None = None) -> Starlette:
    """The API as a Starlette app, to mount at `/api` (see `api_routes`) or serve on its own.

    `history` records every run (None: runs are not recorded). The routes, relative to the mount: `GET /` (an
    index of the others), `POST|GET /generate`, `GET /models`, `GET /health`, `GET /openapi.json`, `GET /demo`
    (+ `/demo.js`).
    """
    settings = settings or ApiSettings()
    book = ModelBook(settings)

    async def generate(request: Request) -> Response:
        if request.headers.get("last-event-id") is not None:
            # EventSource reconnects after a stream ends; a run is never resumed, and 204 tells it to stop.
            return Response(status_code=204)
        try:
            if request.method in ("GET", "HEAD"):
                payload: object = from_query(request.scope.get("query_string", b""))
            else:
                payload = decode_body(await request.body())
            try:
                models: dict[str, ModelInfo] | None = await _in_thread(book.get)
            except errors.LabError as problem:
                log.warning("Could not list the models to check model_id (%s); Bedrock will check it", problem.code)
                models = None
            checked = parse_generate(payload, models, settings.region)
        except BadRequest as problem:
            return _bad_request(problem)
        run = start(_run_request(checked, settings), on_finish=history.record_run if history else None)
        answer = EventStream if checked.stream else JsonAnswer
        return answer(run, checked.input_field)  # type: ignore[return-value]  # an ASGI response

    async def models(request: Request) -> Response:
        try:
            listed = await _in_thread(book.get)
        except errors.LabError as failure:
            return _upstream(failure)
        return JSONResponse({"backend": settings.backend, "price_table_date": PRICE_TABLE_DATE,
                             "models": [_model_json(m, settings.region) for m in listed.values()]})

    async def health(request: Request) -> Response:
        body: dict[str, Any] = {"status": "ok", "backend": settings.backend, "region": settings.region,
                                "history": history.location if history else None}
        if settings.backend == "emulator":
            body["emulator_url"] = (await _in_thread(shared_emulator)).url
        return JSONResponse(body)

    async def openapi(request: Request) -> Response:
        return JSONResponse(openapi_schema(str(request.base_url).rstrip("/") + PREFIX))

    async def index(request: Request) -> Response:
        return HTMLResponse(index_page(), headers={"Content-Security-Policy": INDEX_CSP, "Cache-Control": "no-cache"})

    async def demo(request: Request) -> Response:
        return FileResponse(STATIC / "demo.html", media_type="text/html; charset=utf-8",
                            headers={"Content-Security-Policy": DEMO_CSP, "Cache-Control": "no-cache"})

    async def demo_js(request: Request) -> Response:
        return FileResponse(STATIC / "demo.js", media_type="text/javascript; charset=utf-8",
                            headers={"Cache-Control": "no-cache"})

    routes = [
        Route("/", index, methods=["GET"]),
        Route("/generate", generate, methods=["GET", "POST"]),
        Route("/models", models, methods=["GET"]),
        Route("/health", health, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
        Route("/demo", demo, methods=["GET"]),
        Route("/demo.js", demo_js, methods=["GET"]),
    ]
    cors = Middleware(CORSMiddleware, allow_origin_regex=LOCAL_ORIGINS, allow_origins=settings.allowed_origins,
                      allow_methods=["GET", "POST"], allow_headers=["content-type", "last-event-id"])
    guard = Middleware(RequestGuard, allowed_origins=settings.allowed_origins)
    return Starlette(routes=routes, middleware=[cors, guard])  # CORS answers preflights; the guard sees the rest


def _run_request(checked: Generate, settings: ApiSettings) -> RunRequest:
    return RunRequest(checked.model_id, checked.chat, api=checked.api, stream=checked.upstream_stream,
                      backend=settings.backend, region=settings.region, profile=settings.profile,
                      max_attempts=settings.max_attempts, read_timeout_s=settings.read_timeout_s,
                      session_id=SESSION_ID)


def api_routes(settings: ApiSettings | None = None) -> list[BaseRoute]:
    """The API mounted at `/api`, recording into the default history (or nowhere, if it is unusable)."""
    try:
        history: History | None = History()
    except HistoryUnavailable as problem:
        log.warning("The HTTP API runs without history: %s", problem.message)
        history = None
    return [Route(PREFIX, _to_index, methods=["GET"]), Mount(PREFIX, app=create_api(settings, history))]


async def _to_index(request: Request) -> Response:
    """`/api` itself (the address the sidebar names) leads to the index at `/api/`, not to the UI's "Page not found"."""
    return RedirectResponse(request.url.path + "/", status_code=307)


def api_base_url(page_url: str | None, port: object) -> str:
    """Where the API is, for a page at `page_url` (the browser's view), or on loopback at `port`."""
    from urllib.parse import urlsplit

    if page_url:
        parts = urlsplit(page_url)
        if parts.scheme and parts.netloc:
            return f"{parts.scheme}://{parts.netloc}{PREFIX}"
    return f"http://localhost:{port}{PREFIX}"
