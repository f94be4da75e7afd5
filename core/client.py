"""boto3 clients for the chosen backend: the embedded emulator (default) or real AWS.

The `aws` backend uses the standard boto3 configuration only: the credential chain, `AWS_PROFILE`,
`AWS_REGION` / `AWS_DEFAULT_REGION`, `~/.aws/config`, and `AWS_ENDPOINT_URL_BEDROCK_RUNTIME`, which
boto3 honours by itself and this module never overrides.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ReadTimeoutError

from .emulator import EmbeddedEmulator, start_embedded

BACKENDS = ("emulator", "aws")
DEFAULT_READ_TIMEOUT_S = 300.0
DEFAULT_CONNECT_TIMEOUT_S = 10.0
DEFAULT_MAX_ATTEMPTS = 3
EMULATOR_REGION = "us-east-1"

_lock = threading.Lock()
_shared: EmbeddedEmulator | None = None


def default_backend() -> str:
    backend = os.environ.get("BEDROCK_BACKEND", "emulator").strip().lower()
    if backend not in BACKENDS:
        raise ValueError(f"BEDROCK_BACKEND must be one of {', '.join(BACKENDS)}, not {backend!r}")
    return backend


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


def make_client(service: str, backend: str = "emulator", *, region: str | None = None, profile: str | None = None,
                config: Config | None = None) -> Any:
    """A boto3 client for `bedrock-runtime` or `bedrock` on the given backend."""
    config = config or botocore_config()
    if backend == "emulator":
        client = boto3.client(service, endpoint_url=shared_emulator().url, region_name=region or EMULATOR_REGION,
                              aws_access_key_id="emulator", aws_secret_access_key="emulator", config=config)
    elif backend == "aws":
        session = boto3.Session(profile_name=profile, region_name=region)
        client = session.client(service, config=config)
    else:
        raise ValueError(f"unknown backend {backend!r}; choose from {', '.join(BACKENDS)}")
    if service == "bedrock-runtime":
        client.meta.events.register_first("needs-retry.bedrock-runtime", _no_retry_after_read_timeout)
    return client


@lru_cache(maxsize=32)
def runtime_client(backend: str = "emulator", region: str | None = None, profile: str | None = None, *,
                   max_attempts: int = DEFAULT_MAX_ATTEMPTS, read_timeout_s: float = DEFAULT_READ_TIMEOUT_S) -> Any:
    """A shared `bedrock-runtime` client per configuration (boto3 clients are thread-safe and slow to make)."""
    config = botocore_config(max_attempts=max_attempts, read_timeout_s=read_timeout_s)
    return make_client("bedrock-runtime", backend, region=region, profile=profile, config=config)


@dataclass(frozen=True)
class Identity:
    """Who the `aws` backend acts as (STS GetCallerIdentity) and where."""

    account: str
    arn: str
    region: str | None
    profile: str | None


def caller_identity(region: str | None = None, profile: str | None = None) -> Identity:
    """The AWS identity the standard credential chain resolves to; raises CredentialsError with what to do."""
    from .errors import classify

    try:
        session = boto3.Session(profile_name=profile, region_name=region)
        sts = session.client("sts", config=Config(retries={"mode": "standard", "total_max_attempts": 2},
                                                  connect_timeout=5, read_timeout=10))
        found = sts.get_caller_identity()
    except Exception as problem:  # noqa: BLE001 - every failure becomes a typed, explained error
        raise classify(problem) from problem
    return Identity(found["Account"], found["Arn"], session.region_name, profile or session.profile_name)


def emulator_faults() -> Any:
    """The shared emulator's fault book (the sidebar's fault injection adds to it)."""
    return shared_emulator().state.faults
