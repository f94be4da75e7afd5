"""The OpenTelemetry export of finished runs, against a real OTLP/HTTP receiver on loopback.

Runs go through the product against the embedded emulator and, with export on, export themselves as they end
(core.streaming hands each final record to `export_run`): what the receiver decoded (opentelemetry-proto) is checked
attribute by attribute. A record changed by hand (other ids, counts Bedrock did not report) comes from a run made
while export was off and is exported by the test, so every run id has exactly one span. No timed assertions: the
receiver, the exporter's counters and events say what happened.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from core import catalog, errors, telemetry
from core.streaming import RunRequest, start
from core.types import CachePlan, ChatRequest, Message, RunRecord

from .. import models
from ..conftest import client_for
from ..otlp_receiver import OtlpReceiver, attributes, closed_port_url, hanging_collector, receiving

CLAUDE = models.CLAUDE
QUESTION = "How should a team compare latency between two hosted language models?"
CONTENT = ("gen_ai.system_instructions", "gen_ai.input.messages", "gen_ai.output.messages")
OTEL_VARIABLES = (telemetry.ENDPOINT_VARIABLE, telemetry.TRACES_ENDPOINT_VARIABLE, telemetry.METRICS_ENDPOINT_VARIABLE,
                  telemetry.CAPTURE_VARIABLE, telemetry.SDK_DISABLED_VARIABLE, telemetry.QUEUE_VARIABLE,
                  telemetry.BATCH_VARIABLE, telemetry.TIMEOUT_VARIABLE, telemetry.TRACES_TIMEOUT_VARIABLE,
                  "OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES", "OTEL_EXPORTER_OTLP_HEADERS")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _export_off_around(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No OTEL_* setting of the developer's leaks in, and export is off again after every test."""
    for name in OTEL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    telemetry.disable()
    yield
    telemetry.disable()


@pytest.fixture()
def receiver() -> Iterator[OtlpReceiver]:
    with receiving() as running:
        yield running
        telemetry.disable(wait_s=10)  # the last metrics go out before the receiver stops


@pytest.fixture()
def client(emulator: Any) -> Any:
    return client_for(emulator.url)


@dataclasses.dataclass
class Finished:
    """A run as the test saw it: its record, the conversation sent, and how many pieces of text it yielded."""

    record: RunRecord
    messages: tuple[Message, ...]
    pieces: int


def run(client: Any, *, model_id: str = CLAUDE, api: str = "invoke", stream: bool = True, stop_after: int | None = None,
        **fields: Any) -> Finished:
    """One run through the product (exported by itself as it ends when export is on); `stop_after` pieces of text,
    then Stop (as Streamlit abandons the generator)."""
    chat = ChatRequest((Message("user", fields.pop("text", QUESTION)),), **fields)
    started = start(RunRequest(model_id, chat, api=api, stream=stream), client=client)  # type: ignore[arg-type]
    pieces = 0
    for pieces, _ in enumerate(started, 1):
        if pieces == stop_after:
            break
    return Finished(started.record, chat.messages, pieces)


def flushed() -> None:
    assert telemetry.flush(timeout_s=20), "the export did not finish"


def start_ns(record: RunRecord) -> int:
    return int(datetime.fromisoformat(record.started_utc).timestamp() * 1_000_000_000)


def assert_known_values_only(found: dict[str, Any]) -> None:
    for name, value in found.items():
        assert value is not None and value != "" and value != [], name
        assert not (isinstance(value, float) and value != value), name  # no NaN


def points(receiver: OtlpReceiver, name: str) -> list[Any]:
    return receiver.histograms().get(name, ("", []))[1]


# -- a streamed run, a failed one, a cancelled one -------------------------------------------------------------------


@pytest.mark.parametrize(("api", "stream"), [("invoke", True), ("converse", True), ("invoke", False)],
                         ids=["invoke-stream", "converse-stream", "invoke-sync"])
def test_a_finished_run_is_one_client_span_and_four_histograms_in_the_genai_conventions(
        emulator: Any, client: Any, receiver: OtlpReceiver, api: str, stream: bool) -> None:
    telemetry.enable(receiver.url)
    finished = run(client, api=api, stream=stream, system="Answer in plain words.", max_tokens=120, temperature=0.5,
                   stop_sequences=("NEVER-SEEN",))
    record = finished.record
    assert record.status == "ok" and record.tokens_source == "reported"
    flushed()  # the run exported itself as it ended: nothing is exported by hand

    span = receiver.span_named_by_run(record.run_id)
    assert span.name == f"chat {CLAUDE}" and span.kind == Span.SPAN_KIND_CLIENT
    assert span.status.code == Status.STATUS_CODE_UNSET
    assert span.start_time_unix_nano == start_ns(record)  # made after the fact, from the record
    assert span.end_time_unix_nano - span.start_time_unix_nano == int(record.e2e_ms * 1_000_000)  # type: ignore[operator]
    found = attributes(span)
    assert_known_values_only(found)
    port = int(emulator.url.rsplit(":", 1)[1])
    assert {name: found.get(name) for name in (
        "gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.request.model", "gen_ai.request.max_tokens",
        "gen_ai.request.temperature", "gen_ai.request.stop_sequences", "gen_ai.response.finish_reasons",
        "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "server.address", "server.port")} == {
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "aws.bedrock", "gen_ai.request.model": CLAUDE,
        "gen_ai.request.max_tokens": 120, "gen_ai.request.temperature": 0.5,
        "gen_ai.request.stop_sequences": ["NEVER-SEEN"], "gen_ai.response.finish_reasons": [record.stop_reason],
        "gen_ai.usage.input_tokens": record.input_tokens, "gen_ai.usage.output_tokens": record.output_tokens,
        "server.address": "127.0.0.1", "server.port": port}
    assert "error.type" not in found and "gen_ai.request.top_p" not in found  # not asked: not set
    lab = {name.removeprefix("bedrock_lab."): value for name, value in found.items() if name.startswith("bedrock_lab.")}
    assert lab["run_id"] == record.run_id and lab["status"] == "ok" and lab["api"] == api
    assert lab["mode"] == record.mode and lab["backend"] == "emulator" and lab.get("region") == record.region
    assert lab["ttft_ms"] == record.ttft_ms and lab["first_event_ms"] == record.first_event_ms
    assert lab["e2e_ms"] == record.e2e_ms and lab["server_latency_ms"] == record.server_latency_ms
    assert lab["cost_usd"] == record.cost_usd and lab["tokens_source"] == "reported" and lab["attempts"] == 1
    assert lab["user_name"] == record.user_name and lab["host"] == record.host
    assert not any(name in found for name in CONTENT)  # prompt and answer stay home unless opted in
    assert not any(isinstance(value, str) and record.text[40:80] in value for value in found.values())

    durations = points(receiver, "gen_ai.client.operation.duration")
    assert [(p.count, p.sum) for p in durations] == [(1, pytest.approx(record.e2e_ms / 1000))]  # type: ignore[operator]
    assert durations[0].bounds == telemetry.DURATION_BUCKETS_S
    assert durations[0].attributes == {
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "aws.bedrock", "gen_ai.request.model": CLAUDE,
        "server.address": "127.0.0.1", "server.port": port, "bedrock_lab.status": "ok",
        "bedrock_lab.backend": "emulator"}
    usage = {p.attributes["gen_ai.token.type"]: (p.count, p.sum) for p in points(receiver, "gen_ai.client.token.usage")}
    assert usage == {"input": (1, record.input_tokens), "output": (1, record.output_tokens)}
    assert receiver.histograms()["gen_ai.client.token.usage"][0] == "{token}"
    first_chunk = points(receiver, "gen_ai.client.operation.time_to_first_chunk")
    per_chunk = points(receiver, "gen_ai.client.operation.time_per_output_chunk")
    if stream:
        assert found["gen_ai.request.stream"] is True
        # The first chunk of any kind, as the conventions define it; the first answer token is the lab's own.
        assert found["gen_ai.response.time_to_first_chunk"] == pytest.approx(record.first_event_ms / 1000)  # type: ignore[operator]
        assert lab["tokens_per_s"] == record.tokens_per_s and lab["tpot_ms"] == record.tpot_ms
        assert lab["chunk_gap_count"] == record.gap_count == finished.pieces - 1 > 1  # a gap between two text events
        assert [(p.count, p.sum) for p in first_chunk] == [(1, pytest.approx(record.first_event_ms / 1000))]  # type: ignore[operator]
        # One point per gap between the text events as the run read them, the gaps the record summarizes: their
        # largest is the record's, and together they span the first text event to the last, within TTFT and E2E.
        assert record.gap_max_ms is not None and record.ttft_ms is not None and record.e2e_ms is not None
        assert [(p.count, p.max) for p in per_chunk] == [(record.gap_count, pytest.approx(record.gap_max_ms / 1000))]
        assert record.gap_max_ms / 1000 < per_chunk[0].sum <= (record.e2e_ms - record.ttft_ms) / 1000 + 1e-5
    else:  # the chunk figures "SHOULD NOT be reported" for a call that does not stream
        assert "gen_ai.request.stream" not in found and "gen_ai.response.time_to_first_chunk" not in found
        assert "tokens_per_s" not in lab and first_chunk == [] and per_chunk == []
    assert receiver.resources()[0]["service.name"] == telemetry.SERVICE_NAME
    assert telemetry.status() == telemetry.TelemetryStatus(True, f"{receiver.url}/v1/traces", 1, 0, None, False)


def test_a_run_failed_by_bedrock_before_the_stream_is_an_error_span_with_its_error_type(
        emulator: Any, client: Any, control: Any, receiver: OtlpReceiver) -> None:
    telemetry.enable(receiver.url)
    control.fault("throttling", model_id=CLAUDE)
    started = start(RunRequest(CLAUDE, ChatRequest((Message("user", QUESTION),))), client=client)
    with pytest.raises(errors.ThrottledError):
        started.result()
    record = started.record
    assert record.status == "error" and record.error_code == "ThrottlingException"
    flushed()  # the failed run exported itself too

    span = receiver.span_named_by_run(record.run_id)
    assert span.status.code == Status.STATUS_CODE_ERROR and span.status.message == record.error_message
    found = attributes(span)
    assert_known_values_only(found)
    assert found["error.type"] == "ThrottlingException" and found["bedrock_lab.status"] == "error"
    assert (found["server.address"], found["server.port"]) == ("127.0.0.1", int(emulator.url.rsplit(":", 1)[1]))
    assert not any(name.startswith("gen_ai.usage.") for name in found)  # nothing was generated, nothing reported
    assert "gen_ai.response.time_to_first_chunk" not in found and "bedrock_lab.ttft_ms" not in found
    assert "gen_ai.response.finish_reasons" not in found
    durations = points(receiver, "gen_ai.client.operation.duration")
    assert [(p.count, p.attributes["error.type"], p.attributes["bedrock_lab.status"]) for p in durations] == [
        (1, "ThrottlingException", "error")]
    assert points(receiver, "gen_ai.client.token.usage") == []
    assert points(receiver, "gen_ai.client.operation.time_to_first_chunk") == []


def test_a_cancelled_run_is_exported_without_an_error_and_marked_cancelled(
        emulator: Any, client: Any, receiver: OtlpReceiver) -> None:
    telemetry.enable(receiver.url, capture_content=True)
    finished = run(client, max_tokens=300, stop_after=3)
    record = finished.record
    assert record.status == "cancelled" and record.text and record.gap_count
    flushed()  # the stopped run exported itself

    span = receiver.span_named_by_run(record.run_id)
    found = attributes(span)
    assert_known_values_only(found)
    # A user's Stop is no failure of Bedrock's: status unset, no error.type, so error rates stay honest.
    assert span.status.code == Status.STATUS_CODE_UNSET and "error.type" not in found
    assert found["bedrock_lab.status"] == "cancelled" and found["bedrock_lab.ttft_ms"] == record.ttft_ms
    assert "bedrock_lab.tokens_per_s" not in found  # a run cut short has no decode rate
    assert json.loads(found["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": QUESTION}]}]  # the conversation the run sent
    assert json.loads(found["gen_ai.output.messages"]) == [
        {"role": "assistant", "parts": [{"type": "text", "content": record.text}], "finish_reason": "cancelled"}]
    if record.tokens_source == "estimated":  # the conventions: an estimate MUST NOT be reported as usage
        assert not any(name.startswith("gen_ai.usage.") for name in found)
        assert found["bedrock_lab.estimated.output_tokens"] == record.output_tokens
    statuses = {p.attributes["bedrock_lab.status"] for p in points(receiver, "gen_ai.client.operation.duration")}
    assert statuses == {"cancelled"}
    assert all("error.type" not in p.attributes for p in points(receiver, "gen_ai.client.operation.duration"))
    # The gaps between the text events read before the Stop, each one point.
    assert [p.count for p in points(receiver, "gen_ai.client.operation.time_per_output_chunk")] == [record.gap_count]


# -- content, reasoning, caching and tiers ---------------------------------------------------------------------------


def test_prompt_system_prompt_reasoning_and_answer_go_out_only_when_opted_in(
        emulator: Any, client: Any, receiver: OtlpReceiver) -> None:
    reasoning = catalog.reasoning_for(models.CHAT, "low")
    telemetry.enable(receiver.url)
    hidden = run(client, system="Be brief.", max_tokens=2000, reasoning=reasoning)
    flushed()
    telemetry.enable(receiver.url, capture_content=True)
    shown = run(client, system="Be brief.", max_tokens=2000, reasoning=reasoning)
    assert shown.record.reasoning_text and shown.record.text
    # Bedrock reports reasoning tokens for some families only (OpenAI-style usage); as one of them would report it,
    # under a run id of its own (the run itself went out as it ended):
    reported = dataclasses.replace(shown.record, run_id=f"{shown.record.run_id}-reported", reasoning_tokens=120)
    telemetry.export_run(reported, messages=shown.messages)
    flushed()

    assert not any(name in attributes(receiver.span_named_by_run(hidden.record.run_id)) for name in CONTENT)
    found = attributes(receiver.span_named_by_run(shown.record.run_id))
    assert json.loads(found["gen_ai.system_instructions"]) == [{"type": "text", "content": "Be brief."}]
    assert json.loads(found["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": QUESTION}]}]
    assert json.loads(found["gen_ai.output.messages"]) == [{"role": "assistant", "parts": [
        {"type": "reasoning", "content": shown.record.reasoning_text}, {"type": "text", "content": shown.record.text}],
        "finish_reason": "stop"}]  # Claude's end_turn, in the schema's terms
    assert found.get("gen_ai.usage.reasoning.output_tokens") == shown.record.reasoning_tokens  # as reported, or none
    assert attributes(receiver.span_named_by_run(reported.run_id))["gen_ai.usage.reasoning.output_tokens"] == 120
    assert found["bedrock_lab.first_reasoning_ms"] == shown.record.first_reasoning_ms
    assert found["bedrock_lab.reasoning_ms"] == shown.record.reasoning_ms
    assert found["bedrock_lab.effort"] == shown.record.effort and found["bedrock_lab.reasoning_shown"] == "summarized"
    assert telemetry.status().capture_content


def test_cached_input_and_the_tier_asked_and_served_are_exported(
        emulator: Any, client: Any, control: Any, receiver: OtlpReceiver) -> None:
    telemetry.enable(receiver.url)
    control.request("DELETE", "/_emulator/cache")
    tiered = models.call_id(models.TIERED)
    system = "You are a careful analyst. " + "Context: event streams carry framed messages. " * 900  # ~8k tokens
    fields: dict[str, Any] = {"system": system, "max_tokens": 10, "cache": CachePlan(conversation=False),
                              "service_tier": "priority", "latency": "optimized", "api": "converse"}
    cold, warm = run(client, model_id=tiered, **fields), run(client, model_id=tiered, **fields)
    assert cold.record.cache_write_tokens and warm.record.cache_read_tokens == cold.record.cache_write_tokens
    flushed()  # both runs exported themselves

    cold_found = attributes(receiver.span_named_by_run(cold.record.run_id))
    warm_found = attributes(receiver.span_named_by_run(warm.record.run_id))
    assert cold_found["gen_ai.usage.cache_creation.input_tokens"] == cold.record.cache_write_tokens
    assert warm_found["gen_ai.usage.cache_read.input_tokens"] == warm.record.cache_read_tokens
    # The conventions' input count includes the cached input, as the record's does.
    assert warm_found["gen_ai.usage.input_tokens"] == warm.record.input_tokens == cold.record.input_tokens
    assert {name: warm_found[f"bedrock_lab.{name}"] for name in (
        "request.service_tier", "response.service_tier", "request.latency_mode", "response.latency_mode",
        "cache_ttl")} == {"request.service_tier": "priority", "response.service_tier": "priority",
                          "request.latency_mode": "optimized", "response.latency_mode": "optimized",
                          "cache_ttl": "5m"}


def test_who_ran_it_and_where_and_the_groups_are_exported(emulator: Any, client: Any, receiver: OtlpReceiver) -> None:
    record = run(client, max_tokens=30).record  # export is still off: only the regrouped copy goes out
    assert record.user_name and record.host  # the sidebar's name or the OS user, and this machine
    grouped = dataclasses.replace(record, session_id="s-1", conversation_id="c-1", compare_group="g-1",
                                  benchmark_id="b-1", user_name="ana", host="lab-7")
    telemetry.enable(receiver.url)
    telemetry.export_run(grouped)
    flushed()
    found = attributes(receiver.span_named_by_run(record.run_id))
    assert found["gen_ai.conversation.id"] == "c-1" and found["bedrock_lab.session_id"] == "s-1"
    assert found["bedrock_lab.compare_group"] == "g-1" and found["bedrock_lab.benchmark_id"] == "b-1"
    assert found["bedrock_lab.user_name"] == "ana" and found["bedrock_lab.host"] == "lab-7"
    assert "server.address" not in found  # an emulator run without the client's URL: not known, not guessed
    aws = dataclasses.replace(record, backend="aws", region="eu-west-3", run_id="aws-run")
    assert telemetry.span_attributes(aws)["server.address"] == "bedrock-runtime.eu-west-3.amazonaws.com"


# -- a collector that is down or hangs; off; on and off at run time -------------------------------------------------


@pytest.mark.parametrize("collector", ["down", "refusing"])
def test_a_collector_that_is_down_or_refuses_is_a_warning_in_the_status_not_an_error(
        client: Any, receiver: OtlpReceiver, monkeypatch: pytest.MonkeyPatch, collector: str) -> None:
    monkeypatch.setenv(telemetry.TIMEOUT_VARIABLE, "0.5")  # the exporter gives up after 0.5 s of retries
    receiver.status = 400  # a collector that takes the request and refuses it
    url = closed_port_url() if collector == "down" else receiver.url
    telemetry.enable(url)
    record = run(client, max_tokens=30).record  # its export, as it ended, is the one span that fails
    assert record.status == "ok" and record.text
    telemetry.flush(timeout_s=20)
    now = telemetry.status()
    assert now.enabled and (now.spans_exported, now.spans_dropped) == (0, 1)
    said = "connection refused" if collector == "down" else "answered HTTP 400"
    assert now.problem is not None and url in now.problem and said in now.problem, now.problem
    assert receiver.spans() == []


def test_a_collector_that_hangs_never_holds_a_run_and_the_bounded_queue_counts_what_it_drops(
        client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(telemetry.QUEUE_VARIABLE, "4")
    monkeypatch.setenv(telemetry.TIMEOUT_VARIABLE, "60")  # a blocking export would hold each call a minute
    with hanging_collector() as url:
        record = run(client, max_tokens=30).record  # made while export is off: only its 50 copies are exported
        telemetry.enable(url)
        done = threading.Event()

        def export_many() -> None:
            for index in range(50):
                telemetry.export_run(dataclasses.replace(record, run_id=f"r{index}"))
            done.set()

        threading.Thread(target=export_many, daemon=True).start()
        assert done.wait(30), "export_run waited for the collector"
        # A run ends as usual while the collector hangs, its own export (as it ends) turned away by the full queue.
        later = run(client, max_tokens=30).record
        assert later.status == "ok" and later.text
        now = telemetry.status()
        # 4 copies taken by the hung export; the 46 other copies and the later run's own span turned away.
        assert (now.spans_exported, now.spans_dropped) == (0, 47)
        assert now.problem is not None and "not keeping up" in now.problem and "47 spans" in now.problem


def test_off_means_nothing_is_sent_and_no_sdk_is_loaded(emulator: Any, client: Any, receiver: OtlpReceiver,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    record = run(client, max_tokens=30).record  # its own export, as it ended, sent nothing
    telemetry.export_run(record)  # nor does one by hand
    assert telemetry.flush() and receiver.received.paths == []
    assert telemetry.status() == telemetry.TelemetryStatus(False)
    # OTEL_SDK_DISABLED wins over an endpoint.
    monkeypatch.setenv(telemetry.ENDPOINT_VARIABLE, receiver.url)
    monkeypatch.setenv(telemetry.SDK_DISABLED_VARIABLE, "true")
    assert not telemetry.configure_from_environment().enabled
    # A fresh process that imports core.telemetry and exports with nothing set loads no SDK at all.
    script = ("import sys, core.telemetry as t\n"
              "from core.types import RunRecord\n"
              "t.export_run(RunRecord('r', '2026-12-01T10:00:00+00:00', 'm', 'p', 'invoke', 'stream', 'emulator'))\n"
              "print(t.status().enabled, any(name.startswith('opentelemetry') for name in sys.modules))\n")
    environment = {name: value for name, value in os.environ.items() if not name.startswith("OTEL_")}
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True, text=True,
                         check=True, timeout=60)
    assert out.stdout.split() == ["False", "False"], out.stderr


def test_the_standard_variables_turn_export_and_content_capture_on(
        emulator: Any, client: Any, receiver: OtlpReceiver, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(telemetry.ENDPOINT_VARIABLE, receiver.url)
    monkeypatch.setenv(telemetry.CAPTURE_VARIABLE, "true")
    monkeypatch.setenv("OTEL_SERVICE_NAME", "team-lab")
    now = telemetry.configure_from_environment()
    assert now.enabled and now.capture_content and now.endpoint == f"{receiver.url}/v1/traces"
    finished = run(client, max_tokens=30)
    flushed()  # the run exported itself
    found = attributes(receiver.span_named_by_run(finished.record.run_id))
    assert json.loads(found["gen_ai.input.messages"])[0]["parts"][0]["content"] == QUESTION
    assert json.loads(found["gen_ai.output.messages"])[0]["parts"][-1]["content"] == finished.record.text
    assert {"/v1/traces", "/v1/metrics"} <= set(receiver.received.paths)
    assert receiver.resources()[0]["service.name"] == "team-lab"


def test_export_can_be_turned_on_moved_and_off_while_the_app_runs(client: Any) -> None:
    with pytest.raises(telemetry.TelemetryEndpointError):
        telemetry.enable("localhost:4318")
    first, second, third = (run(client, max_tokens=20).record for _ in range(3))
    with receiving() as one, receiving() as other:
        assert telemetry.enable(f"{one.url}/v1/traces").endpoint == f"{one.url}/v1/traces"  # a pasted signal URL
        telemetry.export_run(first)
        flushed()
        assert telemetry.enable(one.url).spans_exported == 1  # the same again (a sidebar rerun): kept as it is
        telemetry.disable()
        telemetry.export_run(second)
        assert not telemetry.status().enabled
        telemetry.enable(other.url)
        telemetry.export_run(third)
        flushed()
        assert [attributes(s)["bedrock_lab.run_id"] for s in one.spans()] == [first.run_id]
        assert [attributes(s)["bedrock_lab.run_id"] for s in other.spans()] == [third.run_id]
        assert telemetry.status().spans_exported == 1
        telemetry.disable(wait_s=10)


def test_a_run_exported_inside_a_traced_request_is_that_requests_child(client: Any, receiver: OtlpReceiver) -> None:
    from opentelemetry.sdk.trace import TracerProvider

    telemetry.enable(receiver.url)
    caller = TracerProvider(shutdown_on_exit=False).get_tracer("the-api")
    with caller.start_as_current_span("POST /api/runs") as request:
        record = run(client, max_tokens=20).record  # it exports itself as it ends, inside the request
    flushed()
    span = receiver.span_named_by_run(record.run_id)
    assert span.trace_id == request.get_span_context().trace_id.to_bytes(16, "big")
    assert span.parent_span_id == request.get_span_context().span_id.to_bytes(8, "big")
