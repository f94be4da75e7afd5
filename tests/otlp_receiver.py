"""A real OTLP/HTTP receiver on loopback for the telemetry tests: it decodes what the exporter POSTs with
opentelemetry-proto and keeps it; plus two broken collectors (a closed port, and one that never answers)."""

from __future__ import annotations

import gzip
import socket
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue


def value_of(value: AnyValue) -> Any:
    """An OTLP AnyValue as the Python value it carries."""
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [value_of(item) for item in value.array_value.values]
    if kind == "kvlist_value":
        return attributes_of(value.kvlist_value.values)
    return None if kind is None else getattr(value, kind)


def attributes_of(pairs: Any) -> dict[str, Any]:
    return {pair.key: value_of(pair.value) for pair in pairs}


@dataclass(frozen=True)
class Point:
    """One histogram data point: its attributes, count, sum, bucket boundaries, and the smallest and largest value
    recorded (None when the exporter sent none)."""

    attributes: dict[str, Any]
    count: int
    sum: float
    bounds: tuple[float, ...]
    min: float | None = None
    max: float | None = None


@dataclass
class Received:
    traces: list[ExportTraceServiceRequest] = field(default_factory=list)
    metrics: list[ExportMetricsServiceRequest] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)


class OtlpReceiver:
    """POST /v1/traces and /v1/metrics, protobuf-encoded (gzip or deflate too); answers 200 with the
    service's (empty) response, or `status` when a test sets it."""

    def __init__(self) -> None:
        self.received = Received()
        self.status = 200
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server name
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                encoding = self.headers.get("Content-Encoding", "")
                if encoding == "gzip":
                    body = gzip.decompress(body)
                elif encoding == "deflate":
                    body = zlib.decompress(body)
                answer = receiver.take(self.path, body)
                self.send_response(receiver.status if answer is not None else 404)
                self.send_header("Content-Type", "application/x-protobuf")
                payload = answer or b""
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet, as a test server
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), name="otlp-receiver",
                                        daemon=True)
        self._thread.start()

    def take(self, path: str, body: bytes) -> bytes | None:
        with self._lock:
            self.received.paths.append(path)
            if self.status != 200:
                return b""
            if path == "/v1/traces":
                self.received.traces.append(ExportTraceServiceRequest.FromString(body))
                return ExportTraceServiceResponse().SerializeToString()
            if path == "/v1/metrics":
                self.received.metrics.append(ExportMetricsServiceRequest.FromString(body))
                return ExportMetricsServiceResponse().SerializeToString()
        return None

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- what arrived --

    def spans(self) -> list[Any]:
        with self._lock:
            return [span for request in self.received.traces for resource in request.resource_spans
                    for scope in resource.scope_spans for span in scope.spans]

    def resources(self) -> list[dict[str, Any]]:
        with self._lock:
            return [attributes_of(resource.resource.attributes) for request in self.received.traces
                    for resource in request.resource_spans]

    def span_named_by_run(self, run_id: str) -> Any:
        found = [s for s in self.spans() if attributes_of(s.attributes).get("bedrock_lab.run_id") == run_id]
        assert len(found) == 1, f"{len(found)} spans for run {run_id}"
        return found[0]

    def histograms(self) -> dict[str, tuple[str, list[Point]]]:
        """Each histogram's unit and its points, from the latest metrics export (they are cumulative)."""
        found: dict[str, tuple[str, list[Point]]] = {}
        with self._lock:
            requests = list(self.received.metrics)
        for request in requests:
            for resource in request.resource_metrics:
                for scope in resource.scope_metrics:
                    for metric in scope.metrics:
                        if metric.WhichOneof("data") != "histogram":
                            continue
                        points = [Point(attributes_of(p.attributes), p.count, p.sum, tuple(p.explicit_bounds),
                                        p.min if p.HasField("min") else None, p.max if p.HasField("max") else None)
                                  for p in metric.histogram.data_points]
                        found[metric.name] = (metric.unit, points)
        return found


def attributes(span: Any) -> dict[str, Any]:
    return attributes_of(span.attributes)


@contextmanager
def receiving() -> Iterator[OtlpReceiver]:
    receiver = OtlpReceiver()
    try:
        yield receiver
    finally:
        receiver.stop()


def closed_port_url() -> str:
    """A loopback URL where nothing listens (connection refused)."""
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return f"http://127.0.0.1:{port}"


@contextmanager
def hanging_collector() -> Iterator[str]:
    """A loopback URL whose collector takes the connection and never answers (its listen queue holds it)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()  # the pending connections are reset: the exporter's hung request fails at once


