"""Shared by the benchmarks: run the emulator in its own process and time streams against it."""

from __future__ import annotations

import base64
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the benchmarks run as scripts from any folder and use the project's core
REGION = "us-east-1"


def call_id(model_ref: str) -> str:
    """The id a request uses for a model of the table in REGION (an inference profile for profile-only models)."""
    from core import catalog

    return catalog.resolve(model_ref).invocation_id(REGION)


def default_model(kind: str = "chat") -> str:
    """The model table's default model for `kind` (chat, api), as requests call it."""
    from core import catalog

    return call_id(catalog.default_model_id(kind))


def default_models(kind: str) -> tuple[str, ...]:
    """The model table's default models for `kind` (compare, bench), as requests call them."""
    from core import catalog

    return tuple(call_id(model_id) for model_id in catalog.default_model_ids(kind))


def model_name(model_ref: str) -> str:
    from core import catalog

    return catalog.resolve(model_ref).name


@contextmanager
def emulator_process(time_scale: float, seed: int = 0) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`python -m core emulator` on a free port, as a user would run it; yields (url, process)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "core", "emulator", "--port", "0", "--time-scale", str(time_scale),
         "--seed", str(seed)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip().rsplit(" ", 1)[1]
        yield url, process
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def control(url: str, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
    data = json.dumps(payload).encode() if payload is not None else None
    headers = {"Content-Type": "application/json"} if data is not None else {}
    with urllib.request.urlopen(urllib.request.Request(url + path, data=data, method=method, headers=headers),
                                timeout=10) as r:
        return json.loads(r.read())


@contextmanager
def streamlit_app(env: dict[str, str] | None = None, ready_path: str = "/_stcore/health") -> Iterator[str]:
    """The app as the README's run command starts it (`streamlit run`), on the embedded emulator at time
    scale 1, a free port and a history file of its own; yields its URL once `ready_path` answers."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    folder = tempfile.mkdtemp(prefix="lab-bench-")
    full_env = {**os.environ, "BEDROCK_BACKEND": "emulator", "BEDROCK_EMULATOR_TIME_SCALE": "1",
                "BEDROCK_LAB_HISTORY": os.path.join(folder, "history.sqlite"), **(env or {})}
    process = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port",
                                str(port), "--server.headless", "true"], cwd=ROOT, env=full_env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if urllib.request.urlopen(url + ready_path, timeout=1).status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


class PeakStreams:
    """Polls the emulator's health endpoint in a thread and keeps the most streams seen open at once."""

    def __init__(self, url: str, every_s: float = 0.02) -> None:
        import threading

        self.url, self.every_s, self.value = url, every_s, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        while not self._stop.wait(self.every_s):
            self.value = max(self.value, control(self.url, "GET", "/_emulator/health")["active_streams"])

    def __enter__(self) -> PeakStreams:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def runtime_client(url: str, pool: int = 10) -> Any:
    return boto3.client("bedrock-runtime", endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id="bench", aws_secret_access_key="bench",
                        config=Config(retries={"mode": "standard", "total_max_attempts": 1},
                                      max_pool_connections=pool, read_timeout=120))


def claude_body(prompt: str, max_tokens: int) -> str:
    return json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": max_tokens,
                       "messages": [{"role": "user", "content": prompt}]})


@dataclass(frozen=True)
class Timed:
    ttft_s: float
    e2e_s: float
    output_tokens: int
    chunks: int
    server_first_byte_ms: int

    @property
    def tokens_per_s(self) -> float:
        return self.output_tokens / (self.e2e_s - self.ttft_s)


def timed_stream(client: Any, model_id: str, body: str, text_of: Any) -> Timed:
    """One InvokeModelWithResponseStream, timed where it is read (as DESIGN.md defines TTFT and E2E)."""
    t0 = time.perf_counter()
    response = client.invoke_model_with_response_stream(modelId=model_id, body=body)
    first = None
    chunks = 0
    metrics: dict[str, Any] = {}
    try:
        for event in response["body"]:
            payload = json.loads(event["chunk"]["bytes"])
            chunks += 1
            if first is None and text_of(payload):
                first = time.perf_counter()
            metrics = payload.get("amazon-bedrock-invocationMetrics", metrics)
    finally:
        response["body"].close()
    end = time.perf_counter()
    assert first is not None and metrics, "the stream carried no text or no invocation metrics"
    return Timed(first - t0, end - t0, metrics["outputTokenCount"], chunks, metrics["firstByteLatency"])


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=1000, method="inclusive")[round(p * 1000) - 1]


def text_of_any(payload: dict[str, Any]) -> str:
    """Answer text in a chunk of any family the benchmarks use."""
    for path in (("delta", "text"), ("outputText",), ("generation",), ("contentBlockDelta", "delta", "text"),
                 ("outputs", 0, "text"), ("text",), ("choices", 0, "delta", "content"), ("choices", 0, "text"),
                 ("choices", 0, "message", "content"), ("completion",)):
        value: Any = payload
        for key in path:
            try:
                value = value[key]
            except (KeyError, IndexError, TypeError):
                value = None
                break
        if isinstance(value, str) and value:
            return value
    return ""


_SIGNED = ("AWS4-HMAC-SHA256 Credential=BENCH/20260101/us-east-1/bedrock/aws4_request, "
           "SignedHeaders=host;x-amz-date, Signature=0")


async def raw_stream_ttft(url: str, model_id: str, body: str) -> tuple[float, int]:
    """Client-side TTFT (s) of one stream read at the socket by asyncio, and the server's firstByteLatency.

    A single-threaded asyncio reader adds microseconds per event, where 200 boto3 threads in one
    process add tens of milliseconds of GIL and signing contention; it isolates the emulator's timing.
    """
    import asyncio
    from urllib.parse import quote, urlsplit

    from botocore.eventstream import EventStreamBuffer

    parts = urlsplit(url)
    payload = body.encode()
    request = (f"POST /model/{quote(model_id, safe='')}/invoke-with-response-stream HTTP/1.1\r\n"
               f"Host: {parts.netloc}\r\nAuthorization: {_SIGNED}\r\nContent-Type: application/json\r\n"
               f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n").encode() + payload
    t0 = time.perf_counter()
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        writer.write(request)
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200"), head
        buffer, first, first_byte_ms = EventStreamBuffer(), None, -1
        while True:
            size = int((await reader.readline()).strip(), 16)
            if size == 0:
                break
            buffer.add_data(await reader.readexactly(size))
            await reader.readexactly(2)
            for message in buffer:
                chunk = json.loads(base64.b64decode(json.loads(message.payload)["bytes"]))
                if first is None and text_of_any(chunk):
                    first = time.perf_counter()
                metrics = chunk.get("amazon-bedrock-invocationMetrics", {})
                first_byte_ms = metrics.get("firstByteLatency", first_byte_ms)
    finally:
        writer.close()  # also when cancelled: hanging up is what a client that stops early does
    assert first is not None
    return first - t0, first_byte_ms
