"""Fixtures shared by every test: an emulator over real HTTP, and no way to reach real AWS."""

from __future__ import annotations

import json
import os
import tempfile
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from moto import mock_aws

from core.emulator import EmbeddedEmulator, start_embedded

REGION = "us-east-1"

# The app and CLI code under test start their own embedded emulator and history: no delays, and a
# history file of the test run's own, never the user's.
os.environ["BEDROCK_EMULATOR_TIME_SCALE"] = "0"
os.environ["BEDROCK_LAB_HISTORY"] = os.path.join(tempfile.mkdtemp(prefix="lab-tests-"), "history.sqlite")
# A developer's own telemetry settings must not send the test runs to their collector.
for _name in [name for name in os.environ if name.startswith("OTEL_")]:
    del os.environ[_name]


@pytest.fixture(autouse=True)
def _no_real_aws(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Fake credentials and empty AWS config files, so nothing a test does can use a real account."""
    empty = tmp_path_factory.getbasetemp() / "aws-empty"
    empty.write_text("")
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL",
                 "AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "AWS_ENDPOINT_URL_BEDROCK", "AWS_BEARER_TOKEN_BEDROCK"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(scope="session", autouse=True)
def _aws_is_mocked() -> Iterator[None]:
    """moto answers anything addressed to AWS itself, so no test can reach a real account; requests to
    the emulator's loopback URL pass through untouched."""
    with mock_aws():
        yield


@pytest.fixture()
def faults() -> Iterator[Any]:
    """The app's embedded emulator's faults (what the sidebar injects), empty before and after the test."""
    from core.client import emulator_faults

    book = emulator_faults()
    book.clear()
    yield book
    book.clear()


@pytest.fixture(scope="session")
def emulator() -> Iterator[EmbeddedEmulator]:
    """One emulator for the session, at time scale 0 (no delays) with a fixed seed."""
    running = start_embedded(time_scale=0, seed=7)
    yield running
    running.stop()


@pytest.fixture()
def control(emulator: EmbeddedEmulator) -> Iterator[Control]:
    """The emulator's control endpoint; faults and overrides set through it are cleared afterwards."""
    ctl = Control(emulator.url)
    yield ctl
    ctl.request("DELETE", "/_emulator/faults")
    ctl.request("DELETE", "/_emulator/echo")
    ctl.request("DELETE", "/_emulator/profiles")
    ctl.request("DELETE", "/_emulator/cache")
    ctl.request("POST", "/_emulator/config", {"time_scale": 0, "seed": 7, "priority_capacity": None,
                                              "reserved_capacity": None, "optimized_quota": None})


class Control:
    def __init__(self, url: str) -> None:
        self.url = url

    def request(self, method: str, path: str, payload: dict[str, Any] | None = None) -> tuple[int, Any]:
        data = json.dumps(payload).encode() if payload is not None else None
        headers = {"Content-Type": "application/json"} if method == "POST" else {}  # the emulator refuses others
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def fault(self, kind: str, **fields: Any) -> dict[str, Any]:
        status, body = self.request("POST", "/_emulator/faults", {"kind": kind, **fields})
        assert status == 201, body
        return body["fault"]  # type: ignore[no-any-return]

    def echo(self, text: str, **fields: Any) -> dict[str, Any]:
        """The next answer (or `count` answers) will be exactly `text`."""
        status, body = self.request("POST", "/_emulator/echo", {"text": text, **fields})
        assert status == 201, body
        return body["echo"]  # type: ignore[no-any-return]


def read_all(stream: Any, into: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Every event of a boto3 event stream, closing it afterwards (also on error), as client code must."""
    events = [] if into is None else into
    try:
        for event in stream:
            events.append(event)
    finally:
        stream.close()
    return events


_open_clients: list[Any] = []


def client_for(url: str, service: str = "bedrock-runtime", *, attempts: int = 1, read_timeout_s: float = 30) -> Any:
    """A boto3 client on `url`; closed after the test, so its keep-alive sockets do not leak."""
    client = boto3.client(service, endpoint_url=url, region_name=REGION,
                          config=Config(retries={"mode": "standard", "total_max_attempts": attempts},
                                        read_timeout=read_timeout_s, connect_timeout=5))
    _open_clients.append(client)
    return client


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    while _open_clients:
        _open_clients.pop().close()


@pytest.fixture()
def runtime(emulator: EmbeddedEmulator) -> Any:
    """A bedrock-runtime client on the emulator that makes exactly one attempt per call."""
    return client_for(emulator.url)


@pytest.fixture()
def bedrock(emulator: EmbeddedEmulator) -> Any:
    """A bedrock (control plane) client on the emulator."""
    return client_for(emulator.url, "bedrock")


# -- reliability figures: the fault matrix and the hostile-input cases print how many held ------------------------

RELIABILITY = "reliability"  # user property a test records: (figure, layer), e.g. ("fault matrix", "core")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print, per figure and layer, how many checks ran and how many held (each check is its own test)."""
    tallies: dict[tuple[str, str], list[int]] = {}
    for outcome in ("passed", "failed"):
        for report in terminalreporter.stats.get(outcome, []):
            found = dict(getattr(report, "user_properties", ())).get(RELIABILITY)
            if found is None or report.when != "call":
                continue
            held, ran = tallies.setdefault(tuple(found), [0, 0])
            tallies[tuple(found)] = [held + (outcome == "passed"), ran + 1]
    if not tallies:
        return
    terminalreporter.section("reliability figures")
    for (figure, layer), (held, ran) in sorted(tallies.items()):
        terminalreporter.line(f"{figure} ({layer}): {ran} checks, {held} held" + ("" if held == ran else " <-- FAILED"))


# -- PostgreSQL: one throwaway server per test process (xdist worker), a new database per test ------------------


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Any]:
    """A PostgreSQL server of this test process's own (started in about a second), stopped at the end; the tests
    that need it skip, saying how to install it, where Debian's `postgresql` package is missing."""
    from tests import postgres

    reason = postgres.unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    server = postgres.TemporaryServer.start()
    yield server
    from core.history.postgres import close_pools

    close_pools()
    server.cleanup()


@pytest.fixture()
def postgres_url(postgres_server: Any) -> Iterator[str]:
    """A new, empty database on the test process's server (about 40 ms), dropped after the test."""
    from core.history.postgres import close_pools

    if not postgres_server.running():
        postgres_server.start_again()  # a test stopped it and failed before starting it again
    url = postgres_server.create_database()
    yield url
    close_pools(url)
    postgres_server.drop_database(url.rsplit("/", 1)[1])


@pytest.fixture(params=["sqlite", "postgresql"])
def history_location(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    """Where a history test's History lives: a new SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "history.sqlite")
    return str(request.getfixturevalue("postgres_url"))
