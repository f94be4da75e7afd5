"""The embedded Bedrock Runtime emulator: a real HTTP server on loopback that boto3 talks to unchanged.

    >>> emulator = start_embedded(time_scale=0)
    >>> client = boto3.client("bedrock-runtime", endpoint_url=emulator.url, region_name="us-east-1",
    ...                       aws_access_key_id="x", aws_secret_access_key="x")
    >>> emulator.stop()

It imports nothing from the client side of this project (`core.providers` and friends), so the two
sides cannot share a misunderstanding of the wire format.
"""

from __future__ import annotations

import atexit
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import uvicorn

from .faults import Fault, parse_fault
from .server import Emulator, EmulatorState

__all__ = ["EmbeddedEmulator", "Emulator", "EmulatorState", "Fault", "parse_fault", "serve", "start_embedded"]


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def _server(app: Emulator, sock: socket.socket, ssl_certfile: str | None = None,
            ssl_keyfile: str | None = None) -> uvicorn.Server:
    # log_config=None: uvicorn leaves logging alone (an embedding app owns it); only warnings get through.
    config = uvicorn.Config(app, lifespan="off", log_config=None, access_log=False, server_header=False,
                            backlog=2048, timeout_keep_alive=30, ssl_certfile=ssl_certfile, ssl_keyfile=ssl_keyfile)
    _quiet_uvicorn()
    return uvicorn.Server(config)


def _quiet_uvicorn() -> None:
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).setLevel(logging.WARNING)


def _url(sock: socket.socket, tls: bool = False) -> str:
    host, port = sock.getsockname()[:2]
    scheme = "https" if tls else "http"
    return f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"


@dataclass
class EmbeddedEmulator:
    """A running emulator in a background thread of this process."""

    url: str
    state: EmulatorState
    _server: uvicorn.Server
    _thread: threading.Thread

    def stop(self, timeout_s: float = 5.0) -> None:
        # Other code (Streamlit among it) may have turned uvicorn's info logging back on; stopping at
        # interpreter exit must not write to streams that are already closed.
        _quiet_uvicorn()
        self._server.should_exit = True
        self._thread.join(timeout_s)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()


def _make_state(time_scale: float, seed: int, faults: Iterable[Fault]) -> EmulatorState:
    state = EmulatorState(time_scale=time_scale, seed=seed)
    for fault in faults:
        state.faults.add(fault)
    return state


def start_embedded(*, host: str = "127.0.0.1", port: int = 0, time_scale: float = 1.0, seed: int = 0,
                   faults: Iterable[Fault] = (), startup_timeout_s: float = 10.0, ssl_certfile: str | None = None,
                   ssl_keyfile: str | None = None) -> EmbeddedEmulator:
    """Start the emulator on `host:port` (0 = a free port) in a daemon thread; stopped at exit.

    With `ssl_certfile` (and `ssl_keyfile`, PEM files) it serves HTTPS and its URL starts with https://: what a
    client that sends a bearer token (a Bedrock API key) needs, since botocore sends one only over TLS.
    """
    state = _make_state(time_scale, seed, faults)
    sock = _bind(host, port)
    server = _server(Emulator(state), sock, ssl_certfile, ssl_keyfile)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="bedrock-emulator", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the Bedrock emulator did not start")
        time.sleep(0.01)
    emulator = EmbeddedEmulator(_url(sock, ssl_certfile is not None), state, server, thread)
    atexit.register(emulator.stop)
    return emulator


def serve(*, host: str = "127.0.0.1", port: int = 0, time_scale: float = 1.0, seed: int = 0,
          faults: Iterable[Fault] = (), on_ready: Callable[[str], None] | None = None,
          ssl_certfile: str | None = None, ssl_keyfile: str | None = None) -> None:
    """Run the emulator in the foreground until interrupted (the `python -m core emulator` command); HTTPS with
    `ssl_certfile` / `ssl_keyfile`, as in `start_embedded`."""
    sock = _bind(host, port)
    server = _server(Emulator(_make_state(time_scale, seed, faults)), sock, ssl_certfile, ssl_keyfile)
    if on_ready is not None:
        on_ready(_url(sock, ssl_certfile is not None))
    server.run(sockets=[sock])


