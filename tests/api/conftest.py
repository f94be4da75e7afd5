"""The API served over real HTTP on a free loopback port, on the process's shared emulator, with a history
file of its own; and an SSE reader that records when each event arrived."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount

from core.api import ApiSettings, create_api
from core.client import shared_emulator
from core.history import History

from ..conftest import Control


@dataclass
class Served:
    url: str  # the API's root, ending in /api
    history: History

    @property
    def port(self) -> int:
        return int(urlsplit(self.url).port or 0)


@contextmanager
def serve_app(app: Starlette) -> Iterator[int]:
    """`app` served by uvicorn on a free loopback port; yields the port once it answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_config=None, access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the API server did not start"
        time.sleep(0.01)
    try:
        yield int(sock.getsockname()[1])
    finally:
        server.should_exit = True
        thread.join(5)
        sock.close()


@contextmanager
def serve_api(history: History, settings: ApiSettings | None = None) -> Iterator[Served]:
    """The API mounted at /api as the app mounts it, served by uvicorn on a free loopback port."""
    app = Starlette(routes=[Mount("/api", app=create_api(settings or ApiSettings(backend="emulator"), history))])
    with serve_app(app) as port:
        yield Served(f"http://127.0.0.1:{port}/api", history)


@pytest.fixture(scope="session")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serve_api(History(Path(tmp_path_factory.mktemp("api")) / "history.sqlite")) as served:
        yield served


@pytest.fixture()
def upstream() -> Iterator[Control]:
    """The control endpoint of the emulator the API calls; faults, profiles and time scale are reset after."""
    control = Control(shared_emulator().url)
    control.request("DELETE", "/_emulator/faults")
    yield control
    control.request("DELETE", "/_emulator/faults")
    control.request("DELETE", "/_emulator/echo")
    control.request("DELETE", "/_emulator/profiles")
    control.request("POST", "/_emulator/config", {"time_scale": 0})


@dataclass
class Event:
    id: str | None
    name: str
    data: dict[str, Any]
    at: float  # time.monotonic() when its last line arrived


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    events: list[Event]
    body: Any  # a response that is not an event stream: its JSON, or its text
    sent_at: float

    def text(self) -> str:
        return "".join(e.data["text"] for e in self.events if e.name == "text")


def post(api: Served, payload: Any, *, raw: bytes | None = None, method: str = "POST", path: str = "/generate",
         headers: dict[str, str] | None = None, stop_after: int | None = None,
         content_type: str | None = "application/json") -> Reply:
    """One request; an event stream is read line by line as it arrives (`stop_after` events, then hang up)."""
    connection = http.client.HTTPConnection("127.0.0.1", api.port, timeout=30)
    body = raw if raw is not None else (json.dumps(payload).encode() if payload is not None else None)
    sent_at = time.monotonic()
    connection.request(method, urlsplit(api.url).path + path, body=body,
                       headers={**({"Content-Type": content_type} if content_type else {}), **(headers or {})})
    response = connection.getresponse()
    found = {k.lower(): v for k, v in response.getheaders()}
    events: list[Event] = []
    parsed: Any = None
    try:
        if found.get("content-type", "").startswith("text/event-stream"):
            fields: dict[str, str] = {}
            while stop_after is None or len(events) < stop_after:
                line = response.readline().decode()
                if not line:
                    break
                line = line.rstrip("\n")
                if line:
                    name, _, value = line.partition(":")
                    fields[name] = value.removeprefix(" ")
                    continue
                events.append(Event(fields.get("id"), fields.get("event", "message"), json.loads(fields["data"]),
                                    time.monotonic()))
                fields = {}
        else:
            data = response.read()
            json_body = found.get("content-type", "").startswith("application/json")
            parsed = json.loads(data) if json_body and data else data.decode()  # (HEAD: no body)
    finally:
        connection.close()
    return Reply(response.status, found, events, parsed, sent_at)
