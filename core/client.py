"""boto3 clients for the chosen backend: the embedded emulator (default) or real AWS.

The `aws` backend uses the standard boto3 configuration: the credential chain, `AWS_PROFILE`,
`~/.aws/config`, and `AWS_ENDPOINT_URL_BEDROCK_RUNTIME` / `AWS_ENDPOINT_URL_BEDROCK`, which boto3
honours by itself and this module never overrides. Two things boto3 does not do alone are done here:

- the region: `AWS_REGION` is read as well as `AWS_DEFAULT_REGION` (boto3 reads only the second), by
  `configured_region`, and passed to every client this module makes (bedrock-runtime, bedrock, sts);
- Bedrock API keys: with `AWS_BEARER_TOKEN_BEDROCK` exported, botocore signs every request whose
  signing name is `bedrock` (both Bedrock services) with `Authorization: Bearer <key>` instead of
  SigV4, and only over HTTPS. STS knows nothing of such keys, so `describe_credentials` describes the
  key from its public format instead of asking STS. The key itself is never kept, shown or logged.

The emulator backend signs with SigV4 and dummy keys even when a key is exported, so a user's key
never reaches the emulator (and botocore does not refuse the emulator's plain-HTTP URL).

Bedrock's OpenAI-compatible Chat Completions route (`/openai/v1/chat/completions`, the run's api "openai") is no
boto3 operation: `ChatCompletionsRoute` posts to it over urllib3 (botocore's own HTTP library) beside a
bedrock-runtime client, with that client's endpoint, region, timeouts and attempts, signed by botocore's SigV4Auth
for the `bedrock` service, or with the exported API key as `Authorization: Bearer` (HTTPS only), and reads its
Server-Sent Events (`SseStream`). Its errors become the ClientError botocore would raise for the same status, so
`errors.classify` stays the one reader of error codes.
"""

from __future__ import annotations

import base64
import contextvars
import hashlib
import json
import os
import random
import threading
import time
import urllib.parse
import weakref
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, Literal

import boto3
import urllib3
from botocore import exceptions as botocore_errors
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ReadTimeoutError
from botocore.httpsession import get_cert_path
from botocore.utils import get_token_from_environment

from . import errors
from .emulator import EmbeddedEmulator, start_embedded

BACKENDS = ("emulator", "aws")
DEFAULT_READ_TIMEOUT_S = 300.0
# The run's idle guard: once a stream has started, this long without a byte means the connection went silent (a
# half-open socket sends no FIN or RST, so only the read timeout, minutes long for slow models, would end it).
DEFAULT_IDLE_TIMEOUT_S = 30.0
DEFAULT_CONNECT_TIMEOUT_S = 10.0
DEFAULT_MAX_ATTEMPTS = 3
DEFAULT_POOL_SIZE = 64  # connections kept per Chat Completions route (more are opened, and closed after use)
EMULATOR_REGION = "us-east-1"
API_KEY_VARIABLE = "AWS_BEARER_TOKEN_BEDROCK"
# botocore 1.44.5 looks the bearer token up as AWS_BEARER_TOKEN_<SIGNING NAME> (utils.get_token_from_environment)
# and offers bearer auth for this signing name only (handlers.get_bearer_auth_supported_services);
# bedrock-runtime and bedrock both sign as "bedrock".
_BEARER_SIGNING_NAME = "bedrock"
# The public formats of Bedrock API keys. Short-term: this prefix + base64 of a SigV4-presigned URL without its
# scheme, "bedrock.amazonaws.com/?Action=CallWithBearerToken&X-Amz-...&Version=1" (aws-bedrock-token-generator).
# Long-term (IAM service-specific credentials): "ABSK" + base64 (the prefix secret scanners match on).
SHORT_TERM_KEY_PREFIX = "bedrock-api-key-"
LONG_TERM_KEY_PREFIX = "ABSK"
# Set in code, an auth scheme preference counts as "auth configured in code", and botocore's
# _set_auth_scheme_preference_signer then leaves SigV4 alone instead of switching to the exported bearer token.
_SIGV4_ONLY = Config(auth_scheme_preference="sigv4")

_lock = threading.Lock()
_shared: EmbeddedEmulator | None = None
# The browser session (or "api") a run belongs to, sent to the emulator only, so that faults injected from one
# session's sidebar apply to that session's requests alone (the emulator reads the header; Bedrock never sees it).
SESSION_HEADER = "x-bedrock-lab-session"
_session: contextvars.ContextVar[str | None] = contextvars.ContextVar("bedrock_lab_session", default=None)

ApiKeyKind = Literal["short-term", "long-term", "unknown"]


def default_backend() -> str:
    backend = os.environ.get("BEDROCK_BACKEND", "emulator").strip().lower()
    if backend not in BACKENDS:
        raise ValueError(f"BEDROCK_BACKEND must be one of {', '.join(BACKENDS)}, not {backend!r}")
    return backend


def configured_region(profile: str | None = None, *, region: str | None = None) -> str | None:
    """The region of the aws backend: `region` when given, else `AWS_REGION`, else `AWS_DEFAULT_REGION`, else the
    profile's `region` in ~/.aws/config (the default profile, or `AWS_PROFILE`, when `profile` is None), else None.

        >>> configured_region(region="eu-west-1")
        'eu-west-1'
    """
    for candidate in (region, os.environ.get("AWS_REGION"), os.environ.get("AWS_DEFAULT_REGION")):
        if candidate and candidate.strip():
            return candidate.strip()
    try:
        found = boto3.Session(profile_name=profile).region_name
    except BotoCoreError:  # an unknown profile or an unreadable config: the identity step says what is wrong
        return None
    return found or None


def api_key_in_use() -> bool:
    """Whether a Bedrock API key is exported: botocore then sends it, not SigV4, on the aws backend's Bedrock calls.

    The same test botocore makes (`get_token_from_environment`): the variable being set, even to an empty value.
    """
    return get_token_from_environment(_BEARER_SIGNING_NAME) is not None


def shared_emulator() -> EmbeddedEmulator:
    """The one embedded emulator of this process, started on first use on a free loopback port.

    `BEDROCK_EMULATOR_TIME_SCALE` (default 1, the real profiles) and `BEDROCK_EMULATOR_SEED` set it up.
    """
    global _shared
    with _lock:
        if _shared is None or not _shared.running:
            _shared = start_embedded(time_scale=float(os.environ.get("BEDROCK_EMULATOR_TIME_SCALE", "1")),
                                     seed=int(os.environ.get("BEDROCK_EMULATOR_SEED", "0")))
        return _shared


def botocore_config(*, max_attempts: int = DEFAULT_MAX_ATTEMPTS, read_timeout_s: float = DEFAULT_READ_TIMEOUT_S,
                    connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S) -> Config:
    """Standard retries counted as total attempts, and a read timeout long enough for slow models."""
    return Config(retries={"mode": "standard", "total_max_attempts": max_attempts},
                  read_timeout=read_timeout_s, connect_timeout=connect_timeout_s)


def _no_retry_after_read_timeout(caught_exception: BaseException | None = None, **_: Any) -> bool | None:
    """Veto botocore's retry of a request that timed out waiting for its answer.

    The request reached Bedrock, so the model may be generating (and billing) it: a silent second attempt
    would bill it twice and multiply the wait past the read timeout. Errors before the request was taken
    (throttling, 5xx, no connection) are still retried. Registered first, so its False decides.
    """
    return False if isinstance(caught_exception, ReadTimeoutError) else None


def _aws_session(region: str | None, profile: str | None) -> boto3.Session:
    return boto3.Session(profile_name=profile, region_name=configured_region(profile, region=region))


def make_client(service: str, backend: str = "emulator", *, region: str | None = None, profile: str | None = None,
                config: Config | None = None) -> Any:
    """A boto3 client for `bedrock-runtime` or `bedrock` on the given backend.

    On `aws` the region is `configured_region(profile, region=region)`; with an API key exported the client sends
    it, and refuses (CredentialsError) an endpoint that is not HTTPS, as botocore would on the first call.
    """
    config = config or botocore_config()
    if backend == "emulator":
        client = boto3.client(service, endpoint_url=shared_emulator().url, region_name=region or EMULATOR_REGION,
                              aws_access_key_id="emulator", aws_secret_access_key="emulator",
                              config=config.merge(_SIGV4_ONLY))
    elif backend == "aws":
        session = _aws_session(region, profile)
        if session.region_name is None:
            raise errors.LabError("no AWS region is configured", code="NoRegionError",
                                  action="Set AWS_REGION (or AWS_DEFAULT_REGION), a region in the profile in "
                                         "~/.aws/config, or type one in the Region field (--region).")
        client = session.client(service, config=config)
        _check_bearer_transport(client)
    else:
        raise ValueError(f"unknown backend {backend!r}; choose from {', '.join(BACKENDS)}")
    if service == "bedrock-runtime":
        client.meta.events.register_first("needs-retry.bedrock-runtime", _no_retry_after_read_timeout)
        if backend == "emulator":
            client.meta.events.register("before-sign.bedrock-runtime", _tag_session)
    return client


@contextmanager
def session_tag(session_id: str | None) -> Iterator[None]:
    """Requests made in this block (in this thread) carry `session_id` to the emulator, for its per-session faults."""
    token = _session.set(session_id)
    try:
        yield
    finally:
        _session.reset(token)


def _tag_session(request: Any, **_: Any) -> None:
    session_id = _session.get()
    if session_id:
        request.headers[SESSION_HEADER] = session_id


def _check_bearer_transport(client: Any) -> None:
    """Refuse, in words, a Bedrock client that would send an exported API key over plain HTTP."""
    endpoint = str(client.meta.endpoint_url)
    if (client.meta.service_model.signing_name == _BEARER_SIGNING_NAME and api_key_in_use()
            and not endpoint.lower().startswith("https://")):
        client.close()
        raise errors.CredentialsError(
            f"a Bedrock API key is sent only over HTTPS, and this endpoint is {endpoint}", code="BearerNeedsHttps",
            action=f"Point AWS_ENDPOINT_URL_BEDROCK_RUNTIME and AWS_ENDPOINT_URL_BEDROCK at https:// URLs, or unset "
                   f"{API_KEY_VARIABLE} to sign with AWS credentials; the emulator backend needs neither.")


def runtime_client(backend: str = "emulator", region: str | None = None, profile: str | None = None, *,
                   max_attempts: int = DEFAULT_MAX_ATTEMPTS, read_timeout_s: float = DEFAULT_READ_TIMEOUT_S) -> Any:
    """A shared `bedrock-runtime` client per configuration (boto3 clients are thread-safe and slow to make).

    The aws backend's region is resolved first and the AWS_* environment is part of the configuration, so a
    changed AWS_REGION, endpoint or API key gets a client of its own instead of an earlier one.
    """
    environment = ""
    if backend == "aws":
        region = configured_region(profile, region=region)
        environment = _aws_environment()
    return _runtime_client(backend, region, profile, max_attempts, read_timeout_s, environment)


@lru_cache(maxsize=32)
def _runtime_client(backend: str, region: str | None, profile: str | None, max_attempts: int,
                    read_timeout_s: float, environment: str) -> Any:
    config = botocore_config(max_attempts=max_attempts, read_timeout_s=read_timeout_s)
    return make_client("bedrock-runtime", backend, region=region, profile=profile, config=config)


def _aws_environment() -> str:
    """A digest of the AWS_* variables (a cache key that holds no credential)."""
    items = sorted((name, value) for name, value in os.environ.items() if name.startswith("AWS_"))
    return hashlib.sha256(repr(items).encode("utf-8", "surrogateescape")).hexdigest()


# -- who the aws backend acts as ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    """Who the `aws` backend acts as (STS GetCallerIdentity) and where."""

    account: str
    arn: str
    region: str | None
    profile: str | None


@dataclass(frozen=True)
class BedrockApiKey:
    """The Bedrock API key the `aws` backend sends, as its public format tells: never the key itself.

    `expires_utc` (short-term keys) is when the presigned URL inside stops being valid (X-Amz-Date + X-Amz-Expires);
    the key can end sooner, with the session that made it. `key_region` is the region it was generated for, the only
    one where a short-term key works. `region` is where the clients go (`configured_region`).
    """

    kind: ApiKeyKind
    region: str | None
    profile: str | None = None
    expires_utc: str | None = None
    key_region: str | None = None

    def expired(self, now: datetime | None = None) -> bool:
        return self.expires_utc is not None and datetime.fromisoformat(self.expires_utc) <= (now or datetime.now(UTC))

    def describe(self, now: datetime | None = None) -> str:
        """'Bedrock API key (short-term, expires 14:05 UTC)', '... (long-term)', '... (kind not recognised)'."""
        if self.kind == "unknown":
            return "Bedrock API key (kind not recognised)"
        if self.expires_utc is None:
            return f"Bedrock API key ({self.kind})"
        now = now or datetime.now(UTC)
        ends = datetime.fromisoformat(self.expires_utc)
        # A short-term key lasts 12 h at most, so the time of day says it; further off, the date is needed too.
        when = ends.strftime("%H:%M UTC" if abs(ends - now) < timedelta(hours=20) else "%Y-%m-%d %H:%M UTC")
        return f"Bedrock API key ({self.kind}, {'expired' if ends <= now else 'expires'} {when})"

    def warnings(self, now: datetime | None = None) -> tuple[str, ...]:
        """What stops the key from working here, in words: expired, made for another region, no region."""
        found = []
        if self.expired(now):
            found.append(f"The key has expired: generate a new short-term key (Bedrock console or "
                         f"aws-bedrock-token-generator) and export it as {API_KEY_VARIABLE}.")
        if self.key_region and self.region and self.key_region != self.region:
            found.append(f"This short-term key was generated for {self.key_region} and works only there: "
                         f"set the region to {self.key_region}, or generate a key in {self.region}.")
        if self.region is None:
            found.append("No AWS region is configured: set AWS_REGION or a region in the profile.")
        return tuple(found)


Caller = Identity | BedrockApiKey


def caller_identity(region: str | None = None, profile: str | None = None) -> Identity:
    """The AWS identity the standard credential chain resolves to; raises CredentialsError with what to do."""
    try:
        session = _aws_session(region, profile)
        sts = session.client("sts", config=Config(retries={"mode": "standard", "total_max_attempts": 2},
                                                  connect_timeout=5, read_timeout=10))
        found = sts.get_caller_identity()
    except Exception as problem:  # noqa: BLE001 - every failure becomes a typed, explained error
        raise errors.classify(problem) from problem
    return Identity(found["Account"], found["Arn"], session.region_name, profile or session.profile_name)


def bedrock_api_key(region: str | None = None, profile: str | None = None) -> BedrockApiKey | None:
    """The exported Bedrock API key, described (no network call), or None when none is exported.

    An empty `AWS_BEARER_TOKEN_BEDROCK` is a CredentialsError: botocore would send it and every call would fail.
    """
    key = get_token_from_environment(_BEARER_SIGNING_NAME)
    if key is None:
        return None
    if not key.strip():
        raise errors.CredentialsError(f"{API_KEY_VARIABLE} is set but empty", code="EmptyBedrockApiKey",
                                      action=f"Export a Bedrock API key in {API_KEY_VARIABLE}, or unset it to sign "
                                             f"with AWS credentials; or use the emulator backend, which needs none.")
    kind, expires_utc, key_region = _read_key(key.strip())
    return BedrockApiKey(kind, configured_region(profile, region=region), profile, expires_utc, key_region)


def describe_credentials(region: str | None = None, profile: str | None = None) -> Caller:
    """What the aws backend signs with: the exported Bedrock API key (botocore prefers it; STS is not asked, it
    cannot take a bearer token), else the STS identity of the credential chain. Raises CredentialsError.

    A page shows `found.describe()` ("Bedrock API key (short-term, expires 21:30 UTC)") and `found.warnings()` for
    a key, or `found.arn` and `found.account` for an identity.
    """
    return bedrock_api_key(region, profile) or caller_identity(region, profile)


def _read_key(key: str) -> tuple[ApiKeyKind, str | None, str | None]:
    """Kind, expiry and region of a key, from its public format. Only a short-term key's presigned URL is read, and
    only for its date, lifetime and credential scope's region; nothing of it is kept or put in an error."""
    if key.startswith(LONG_TERM_KEY_PREFIX):
        return "long-term", None, None
    if not key.startswith(SHORT_TERM_KEY_PREFIX):
        return "unknown", None, None
    try:
        url = base64.b64decode(key[len(SHORT_TERM_KEY_PREFIX):], validate=True).decode("ascii")
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(f"https://{url}").query)
        signed = datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        expires = signed + timedelta(seconds=int(query["X-Amz-Expires"][0]))
        scope = query.get("X-Amz-Credential", [""])[0].split("/")  # KEY-ID/DATE/REGION/bedrock/aws4_request
    except (ValueError, KeyError, IndexError):  # not base64, not ASCII, no date or lifetime: still short-term
        return "short-term", None, None
    region = scope[2] if len(scope) == 5 and scope[3] == _BEARER_SIGNING_NAME and scope[2] else None
    return "short-term", expires.isoformat(), region


def emulator_faults() -> Any:
    """The shared emulator's fault book. The sidebar adds each browser session's faults with `session=` its
    `lab_session_id`, so they hit only the requests made inside `session_tag` of that id; a fault without a session
    (a test's, or one posted to the control endpoint) hits every request."""
    return shared_emulator().state.faults


# -- Bedrock's OpenAI-compatible Chat Completions route --------------------------------------------------------

CHAT_COMPLETIONS_PATH = "/openai/v1/chat/completions"
# What botocore's standard retry mode retries before a response is read; the same here (nothing in a stream is).
_RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
_MAX_BACKOFF_S = 20.0
# The route answers errors with OpenAI's body and Bedrock's status; the status names the Bedrock exception, so
# `errors.classify` reads them as it reads botocore's (the route's own `error.code` is kept in the message only).
_ROUTE_ERRORS = {400: "ValidationException", 401: "UnrecognizedClientException", 403: "AccessDeniedException",
                 404: "ResourceNotFoundException", 408: "ModelTimeoutException", 424: "ModelErrorException",
                 429: "ThrottlingException", 500: "InternalServerException", 503: "ServiceUnavailableException"}
# An error event inside the stream, by its `error.code`, as the lowerCamel exception botocore would raise for it.
_ROUTE_STREAM_ERRORS = {"rate_limit_exceeded": "throttlingException", "internal_error": "internalServerException",
                        "service_unavailable": "serviceUnavailableException", "validation_error": "validationException",
                        "timeout": "modelTimeoutException", "model_error": "modelStreamErrorException"}


class SseStream:
    """The `data:` payloads of a Server-Sent Events response as they arrive, then `[DONE]`; `close()` releases it.

    Iterating yields each event's data as bytes (`b"[DONE]"` included). `_raw_stream` is the urllib3 response, as
    botocore's event streams name theirs, so the run's hang-up reaches the socket the same way.
    """

    def __init__(self, response: Any, request_id: str | None) -> None:
        self._raw_stream = response
        self.request_id = request_id
        self.done = False

    def __iter__(self) -> Iterator[bytes]:
        response, pending = self._raw_stream, b""
        reads = response.read_chunked(decode_content=True) if response.chunked else iter(
            lambda: response.read1(65536), b"")
        for block in reads:
            pending += block
            # Events end with a blank line; a `\r\n` server's lines are read alike.
            if b"\r" in pending:
                pending = pending.replace(b"\r\n", b"\n")
            *events, pending = pending.split(b"\n\n")
            for event in events:
                data = b"\n".join(line[5:].lstrip(b" ") for line in event.split(b"\n") if line.startswith(b"data:"))
                if data == b"[DONE]":
                    self.done = True
                if data:
                    yield data

    def close(self) -> None:
        response = self._raw_stream
        if not self.done:  # a connection with unread body cannot serve the next request
            response.close()
        response.release_conn()


def route_error(status: int, body: bytes, retries: int = 0) -> botocore_errors.ClientError:
    """A non-200 answer of the route as the ClientError botocore raises for the same status (`errors.classify`)."""
    try:
        found = json.loads(body)
        error = found.get("error", found) if isinstance(found, dict) else {}
        message = str(error.get("message", "")) if isinstance(error, dict) else ""
    except ValueError:
        message = body[:200].decode("utf-8", "replace")
    code = _ROUTE_ERRORS.get(status, "InternalServerException" if status >= 500 else "ValidationException")
    return botocore_errors.ClientError({"Error": {"Code": code, "Message": message},
                                        "ResponseMetadata": {"HTTPStatusCode": status, "RetryAttempts": retries}},
                                       "ChatCompletions")


def stream_error(payload: Mapping[str, Any]) -> botocore_errors.EventStreamError:
    """An `{"error": ...}` event inside the stream, as botocore raises an exception event of an event stream."""
    error = payload.get("error")
    error = error if isinstance(error, dict) else {}
    code = _ROUTE_STREAM_ERRORS.get(str(error.get("code", "")), "modelStreamErrorException")
    return botocore_errors.EventStreamError({"Error": {"Code": code, "Message": str(error.get("message", ""))}},
                                            "ChatCompletions")


@dataclass(frozen=True)
class ChatCompletionsRoute:
    """Where and how the run calls `/openai/v1/chat/completions`: plain HTTPS (HTTP to the emulator), signed with
    SigV4 for the `bedrock` service or sent with a Bedrock API key, with botocore's timeouts and attempts.

    `open` sends one request and returns the response once its status is 200 (an SseStream when streaming), or
    raises the ClientError of the status, after the same retries botocore's standard mode makes.
    """

    url: str
    region: str
    credentials: Any  # botocore Credentials (SigV4); None when `bearer_token` is sent instead
    bearer_token: str | None
    pool: urllib3.PoolManager
    timeout: urllib3.Timeout
    max_attempts: int
    session_header: bool = False  # the emulator takes the browser session's header (its per-session faults)

    def headers(self, body: bytes, *, stream: bool) -> dict[str, str]:
        """The request's headers, signed (SigV4 signs the body's digest, so a header added after would break it)."""
        headers = {"Content-Type": "application/json", "Accept": "text/event-stream" if stream else "application/json"}
        session_id = _session.get()
        if self.session_header and session_id:
            headers[SESSION_HEADER] = session_id
        if self.bearer_token is not None:
            return {**headers, "Authorization": f"Bearer {self.bearer_token}"}
        request = AWSRequest(method="POST", url=self.url, data=body, headers=headers)
        SigV4Auth(self.credentials.get_frozen_credentials(), _BEARER_SIGNING_NAME, self.region).add_auth(request)
        return dict(request.headers.items())

    def open(self, body: bytes, *, stream: bool) -> tuple[Any, int]:
        """The 200 response (`SseStream` when `stream`, else the urllib3 response, read) and the retries it took."""
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self.pool.urlopen("POST", self.url, body=body, headers=self.headers(body, stream=stream),
                                             preload_content=False, retries=False, timeout=self.timeout)
            except urllib3.exceptions.ReadTimeoutError:
                raise  # the request reached Bedrock: a second attempt could bill it twice (as for boto3 clients)
            except urllib3.exceptions.HTTPError:
                if attempt >= self.max_attempts:
                    raise
                time.sleep(_backoff_s(attempt))
                continue
            if response.status == 200:
                request_id = response.headers.get("x-amzn-requestid")
                if stream:
                    return SseStream(response, request_id), attempt - 1
                return response, attempt - 1
            payload = response.read()
            response.release_conn()
            if response.status not in _RETRIED_STATUSES or attempt >= self.max_attempts:
                raise route_error(response.status, payload, attempt - 1)
            time.sleep(_backoff_s(attempt))


def _backoff_s(attempt: int) -> float:
    """botocore's standard-mode backoff after `attempt` attempts: full jitter on 2^(attempt-1) s, at most 20 s."""
    return min(random.random() * 2.0 ** (attempt - 1), _MAX_BACKOFF_S)  # noqa: S311 - jitter, not a secret


def chat_completions_route(backend: str = "emulator", region: str | None = None, profile: str | None = None, *,
                           max_attempts: int = DEFAULT_MAX_ATTEMPTS, read_timeout_s: float = DEFAULT_READ_TIMEOUT_S,
                           pool_size: int = DEFAULT_POOL_SIZE) -> ChatCompletionsRoute:
    """The route of a backend, shared per configuration like `runtime_client`: the emulator's URL with dummy SigV4
    keys; on aws the bedrock-runtime endpoint boto3 resolves (AWS_ENDPOINT_URL_BEDROCK_RUNTIME honoured), signed
    with the credential chain, or with the exported API key (then only over HTTPS)."""
    runtime = runtime_client(backend, region, profile, max_attempts=max_attempts, read_timeout_s=read_timeout_s)
    return route_of(runtime, pool_size=pool_size)


_ROUTES: weakref.WeakKeyDictionary[Any, ChatCompletionsRoute] = weakref.WeakKeyDictionary()  # by boto3 client
_ROUTES_LOCK = threading.Lock()


def route_of(client: Any, *, pool_size: int = DEFAULT_POOL_SIZE) -> ChatCompletionsRoute:
    """The Chat Completions route beside a bedrock-runtime client: its endpoint, region, credentials (or API key),
    timeouts and attempts, with a connection pool of its own; made once per client."""
    with _ROUTES_LOCK:
        found = _ROUTES.get(client)
        if found is not None:
            return found
        meta = client.meta
        config = meta.config
        endpoint = str(meta.endpoint_url).rstrip("/")
        # SigV4 set in code (the emulator backend's clients) is never switched to an exported key, as in botocore.
        sigv4_only = getattr(config, "auth_scheme_preference", None) == "sigv4"
        token = None if sigv4_only else get_token_from_environment(_BEARER_SIGNING_NAME)
        if token is not None and not endpoint.lower().startswith("https://"):
            raise errors.CredentialsError(f"a Bedrock API key is sent only over HTTPS, and this endpoint is {endpoint}",
                                          code="BearerNeedsHttps")
        # botocore's own credentials of this client (a private accessor, but the one that resolves the chain).
        credentials = None if token is not None else client._get_credentials()
        if token is None and credentials is None:
            raise botocore_errors.NoCredentialsError()
        attempts = (config.retries or {}).get("total_max_attempts", DEFAULT_MAX_ATTEMPTS)
        # The client's certificate check (AWS_CA_BUNDLE, `verify`, else botocore's bundle), where botocore keeps it.
        verify = getattr(getattr(getattr(client, "_endpoint", None), "http_session", None), "_verify", True)
        tls: dict[str, Any] = {"cert_reqs": "CERT_NONE"} if verify is False else {"ca_certs": get_cert_path(verify)}
        route = ChatCompletionsRoute(
            url=endpoint + CHAT_COMPLETIONS_PATH, region=meta.region_name, credentials=credentials,
            bearer_token=token, pool=urllib3.PoolManager(maxsize=pool_size, block=False, **tls),
            timeout=urllib3.Timeout(connect=config.connect_timeout, read=config.read_timeout),
            max_attempts=attempts, session_header=sigv4_only or endpoint.startswith("http://"))
        _ROUTES[client] = route
        # The route lives as long as its boto3 client; its pooled connections are closed with it, not left to the
        # garbage collector (which would drop open sockets).
        weakref.finalize(client, route.pool.clear)
        return route
