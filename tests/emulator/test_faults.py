"""Faults on demand raise exactly what botocore raises for the real thing."""

from __future__ import annotations

import json
from typing import Any

import pytest
import urllib3
from botocore.exceptions import ClientError, EventStreamError, ReadTimeoutError, ResponseStreamingError

from ..conftest import client_for, read_all
from .cases import STREAMING, Case

MODEL = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
OTHER = "meta.llama3-1-8b-instruct-v1:0"
BODY = json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 200,
                   "messages": [{"role": "user", "content": "Tell me about event streams."}]})


def stream_claude(runtime: Any) -> Any:
    return runtime.invoke_model_with_response_stream(modelId=MODEL, body=BODY)


def text_of(events: list[dict[str, Any]]) -> str:
    chunks = [json.loads(e["chunk"]["bytes"]) for e in events]
    return "".join(c["delta"].get("text", "") for c in chunks if c["type"] == "content_block_delta")


@pytest.mark.parametrize(("kind", "code", "status"), [
    ("throttling", "ThrottlingException", 429),
    ("model_not_ready", "ModelNotReadyException", 429),
    ("service_unavailable", "ServiceUnavailableException", 503),
    ("model_timeout", "ModelTimeoutException", 408),
    ("access_denied", "AccessDeniedException", 403),
    ("context_window", "ValidationException", 400),
    ("internal_error", "InternalServerException", 500),
])
@pytest.mark.parametrize("operation", ["invoke_model", "invoke_model_with_response_stream", "converse",
                                       "converse_stream"])
def test_faults_before_the_stream_raise_the_modelled_exception(
        runtime: Any, control: Any, kind: str, code: str, status: int, operation: str) -> None:
    control.fault(kind, model_id=MODEL, count=1)
    kwargs: dict[str, Any] = {"modelId": MODEL}
    if operation.startswith("invoke"):
        kwargs["body"] = BODY
    else:
        kwargs["messages"] = [{"role": "user", "content": [{"text": "Hello"}]}]
    with pytest.raises(getattr(runtime.exceptions, code)) as caught:
        getattr(runtime, operation)(**kwargs)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert caught.value.response["Error"]["Message"]
    served = getattr(runtime, operation)(**kwargs)  # count=1: the next request is served
    stream = served.get("body") or served.get("stream")
    if hasattr(stream, "close"):
        stream.close()


@pytest.mark.parametrize("exception", ["modelStreamErrorException", "throttlingException", "internalServerException"])
def test_exception_events_mid_stream_raise_event_stream_error_after_k_tokens(
        runtime: Any, control: Any, exception: str) -> None:
    control.fault("stream_error", model_id=MODEL, after_tokens=20, exception=exception)
    received: list[dict[str, Any]] = []
    with pytest.raises(EventStreamError) as caught:
        read_all(stream_claude(runtime)["body"], received)
    assert caught.value.response["Error"]["Code"] == exception  # lowerCamel, as botocore reports it
    assert not isinstance(caught.value, runtime.exceptions.ModelStreamErrorException)
    partial = text_of(received)
    assert partial.startswith("(Emulated answer")
    from core.emulator.textgen import count_tokens
    assert 20 <= count_tokens(partial) <= 22


def test_converse_stream_exception_event(runtime: Any, control: Any) -> None:
    control.fault("stream_error", after_tokens=5, exception="throttlingException")
    response = runtime.converse_stream(modelId=OTHER, messages=[{"role": "user", "content": [{"text": "Hi there"}]}])
    events: list[dict[str, Any]] = []
    with pytest.raises(EventStreamError) as caught:
        read_all(response["stream"], events)
    names = [next(iter(e)) for e in events]
    assert caught.value.response["Error"]["Code"] == "throttlingException"
    assert "contentBlockDelta" in names and "messageStop" not in names


def test_a_cut_connection_raises_urllib3_protocol_error_with_partial_text(runtime: Any, control: Any) -> None:
    control.fault("cut", model_id=MODEL, after_tokens=10)
    received: list[dict[str, Any]] = []
    with pytest.raises(urllib3.exceptions.ProtocolError):
        read_all(stream_claude(runtime)["body"], received)
    assert text_of(received).startswith("(Emulated")


def test_a_stall_longer_than_the_read_timeout_raises_read_timeout_mid_stream(emulator: Any, control: Any) -> None:
    control.fault("stall", model_id=MODEL, after_tokens=10, seconds=3)
    impatient = client_for(emulator.url, read_timeout_s=0.5)
    received: list[dict[str, Any]] = []
    with pytest.raises(urllib3.exceptions.ReadTimeoutError):
        read_all(stream_claude(impatient)["body"], received)
    assert text_of(received)


def test_a_short_stall_delays_the_rest_of_the_stream_but_completes(runtime: Any, control: Any) -> None:
    control.fault("stall", model_id=MODEL, after_tokens=5, seconds=0.3)
    events = read_all(stream_claude(runtime)["body"])
    assert "amazon-bedrock-invocationMetrics" in json.loads(events[-1]["chunk"]["bytes"])
    metrics = json.loads(events[-1]["chunk"]["bytes"])["amazon-bedrock-invocationMetrics"]
    assert metrics["invocationLatency"] >= 300


def test_a_stalled_sync_call_times_out_in_botocore(emulator: Any, control: Any) -> None:
    control.fault("stall", model_id=MODEL, seconds=3)
    with pytest.raises(ReadTimeoutError):
        client_for(emulator.url, read_timeout_s=0.5).invoke_model(modelId=MODEL, body=BODY)


def test_a_malformed_chunk_carries_bytes_that_are_not_json(runtime: Any, control: Any) -> None:
    control.fault("malformed", model_id=MODEL, after_tokens=8)
    bad = []
    for event in read_all(stream_claude(runtime)["body"]):
        try:
            json.loads(event["chunk"]["bytes"])
        except ValueError:
            bad.append(event)
    assert len(bad) == 1


def test_sync_calls_get_the_nearest_equivalent_of_stream_faults(runtime: Any, control: Any) -> None:
    control.fault("stream_error", model_id=MODEL, exception="modelStreamErrorException")
    with pytest.raises(runtime.exceptions.ModelErrorException):
        runtime.invoke_model(modelId=MODEL, body=BODY)
    control.fault("cut", model_id=MODEL)
    with pytest.raises(ResponseStreamingError):  # botocore wraps the urllib3 error when reading a sync body
        runtime.invoke_model(modelId=MODEL, body=BODY)["body"].read()
    control.fault("malformed", model_id=MODEL)
    with pytest.raises(ValueError):
        json.loads(runtime.invoke_model(modelId=MODEL, body=BODY)["body"].read())


def test_a_fault_for_one_model_leaves_others_alone_and_counts_down(runtime: Any, control: Any) -> None:
    control.fault("throttling", model_id=MODEL, count=2)
    runtime.invoke_model(modelId=OTHER, body=json.dumps({"prompt": "hi"}))
    for _ in range(2):
        with pytest.raises(runtime.exceptions.ThrottlingException):
            runtime.invoke_model(modelId=MODEL, body=BODY)
    runtime.invoke_model(modelId=MODEL, body=BODY)


def test_standard_retries_retry_throttling_but_not_validation(emulator: Any, control: Any) -> None:
    patient = client_for(emulator.url, attempts=3)
    control.fault("throttling", model_id=MODEL, count=2)
    response = patient.invoke_model(modelId=MODEL, body=BODY)
    assert response["ResponseMetadata"]["RetryAttempts"] == 2
    control.fault("context_window", model_id=MODEL, count=2)
    with pytest.raises(ClientError) as caught:
        patient.invoke_model(modelId=MODEL, body=BODY)
    assert caught.value.response["ResponseMetadata"]["RetryAttempts"] == 0
    status, listed = control.request("GET", "/_emulator/faults")
    assert [f["count"] for f in listed["faults"]] == [1]  # only one attempt consumed it


def test_the_control_endpoint_lists_clears_and_refuses_bad_faults(control: Any) -> None:
    control.fault("throttling", count=None)
    status, listed = control.request("GET", "/_emulator/faults")
    assert status == 200 and listed["faults"][0]["kind"] == "throttling" and listed["faults"][0]["count"] is None
    status, body = control.request("POST", "/_emulator/faults", {"kind": "gremlins"})
    assert status == 400 and "unknown fault kind" in body["message"]
    status, body = control.request("POST", "/_emulator/faults", {"kind": "stream_error", "exception": "oops"})
    assert status == 400 and "unknown stream exception" in body["message"]
    assert control.request("DELETE", "/_emulator/faults") == (200, {"faults": []})


def test_a_refusal_is_a_normal_answer_that_stops_with_its_reason(runtime: Any, control: Any) -> None:
    """Claude's `refusal` (with `stop_details`) and `pause_turn`: HTTP 200, the answer cut after N tokens."""
    control.fault("refusal", model_id=MODEL, after_tokens=4)
    body = json.loads(runtime.invoke_model(modelId=MODEL, body=BODY)["body"].read())
    assert body["stop_reason"] == "refusal" and body["stop_details"]["type"] == "refusal"
    assert body["usage"]["output_tokens"] == 4
    control.fault("refusal", model_id=MODEL, after_tokens=0)
    chunks = [json.loads(e["chunk"]["bytes"]) for e in read_all(stream_claude(runtime)["body"])]
    delta = [c for c in chunks if c["type"] == "message_delta"][0]["delta"]
    assert delta["stop_reason"] == "refusal" and delta["stop_details"]["category"]
    assert text_of([{"chunk": {"bytes": json.dumps(c)}} for c in chunks]) == ""
    control.fault("pause_turn", model_id=MODEL, after_tokens=3)
    assert json.loads(runtime.invoke_model(modelId=MODEL, body=BODY)["body"].read())["stop_reason"] == "pause_turn"
    control.fault("refusal", model_id=MODEL, after_tokens=2)
    converse = runtime.converse(modelId=MODEL, messages=[{"role": "user", "content": [{"text": "Hi"}]}])
    assert converse["stopReason"] == "content_filtered" and converse["usage"]["outputTokens"] == 2


def test_a_fault_named_by_profile_or_arn_applies_to_its_base_model(runtime: Any, control: Any) -> None:
    fault = control.fault("throttling", model_id=f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/{MODEL}")
    assert fault["model_id"] == MODEL.removeprefix("us.")
    with pytest.raises(runtime.exceptions.ThrottlingException):
        runtime.invoke_model(modelId="global." + MODEL.removeprefix("us."), body=BODY)


# -- silent (a half-open connection) and truncated (a stream without its closing events) -------------------------

CLOSING_FIELDS = ("stop_reason", "stopReason", "finish_reason", "finishReason", "amazon-bedrock-invocationMetrics")


def closing_fields(chunk: Any) -> set[str]:
    """The fields of a chunk, at any depth, that only a stream's closing events carry (with a value)."""
    if isinstance(chunk, list):
        return set().union(*map(closing_fields, chunk)) if chunk else set()
    if not isinstance(chunk, dict):
        return set()
    found = {k for k in CLOSING_FIELDS if chunk.get(k) is not None}
    if chunk.get("type") in ("message_delta", "message_stop") or chunk.get("event_type") == "stream-end":
        found.add(str(chunk.get("type") or chunk["event_type"]))
    return found.union(*map(closing_fields, chunk.values()))


def signed_request(path: str, body: bytes) -> bytes:
    """The bytes of a signed-looking POST (the emulator takes any SigV4 signature), for a client made of a socket."""
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Authorization: AWS4-HMAC-SHA256 Credential=x/20260101/us-east-1/bedrock/aws4_request, "
            f"SignedHeaders=host, Signature=0\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body


def active_streams(control: Any) -> int:
    return int(control.request("GET", "/_emulator/health")[1]["active_streams"])


def test_a_silent_stream_goes_quiet_without_closing_until_the_client_hangs_up(emulator: Any, control: Any) -> None:
    """No byte after the first tokens, and no FIN (recv would return b"") or RST (recv would raise a reset)."""
    import socket
    import time
    from urllib.parse import quote, urlsplit

    control.fault("silent", model_id=MODEL, after_tokens=6)
    before = active_streams(control)
    parts = urlsplit(emulator.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
        sock.sendall(signed_request(f"/model/{quote(MODEL, safe='')}/invoke-with-response-stream", BODY.encode()))
        received = b""
        sock.settimeout(0.5)
        try:
            while chunk := sock.recv(65536):
                received += chunk
            pytest.fail("the emulator closed the connection (FIN) instead of going silent")
        except TimeoutError:
            pass
        assert received.startswith(b"HTTP/1.1 200") and b":event-type\x07\x00\x05chunk" in received  # some frames
        with pytest.raises(TimeoutError):  # still open, still silent
            sock.recv(65536)
        assert active_streams(control) == before + 1
    deadline = time.monotonic() + 5
    while active_streams(control) != before:  # the hang-up ends the emulator's side of it
        assert time.monotonic() < deadline, "the emulator kept a silent stream after the client hung up"
        time.sleep(0.02)


def test_a_silent_stream_makes_botocore_wait_for_its_read_timeout_with_the_partial_text(
        emulator: Any, control: Any) -> None:
    import time

    control.fault("silent", model_id=MODEL, after_tokens=10)
    impatient = client_for(emulator.url, read_timeout_s=0.5)
    received: list[dict[str, Any]] = []
    started = time.monotonic()
    with pytest.raises(urllib3.exceptions.ReadTimeoutError):
        read_all(stream_claude(impatient)["body"], received)
    assert time.monotonic() - started >= 0.5
    from core.emulator.textgen import count_tokens
    assert text_of(received).startswith("(Emulated") and count_tokens(text_of(received)) >= 10


def test_a_silent_stream_with_seconds_ends_after_them_without_its_final_events(runtime: Any, control: Any) -> None:
    import time

    control.fault("silent", model_id=OTHER, after_tokens=4, seconds=0.3)
    started = time.monotonic()
    response = runtime.converse_stream(modelId=OTHER, messages=[{"role": "user", "content": [{"text": "Hi there"}]}])
    names = [next(iter(e)) for e in read_all(response["stream"])]
    assert time.monotonic() - started >= 0.3
    assert "contentBlockDelta" in names and "messageStop" not in names and "metadata" not in names


@pytest.mark.parametrize("case", STREAMING, ids=lambda c: c.id)
def test_a_truncated_invoke_stream_ends_cleanly_without_its_closing_chunks(
        runtime: Any, control: Any, case: Case) -> None:
    body = json.dumps(case.build([("user", "How do queues recover from a crash?")], "", 200))

    def chunks() -> list[dict[str, Any]]:
        response = runtime.invoke_model_with_response_stream(modelId=case.model_id, body=body)
        return [json.loads(e["chunk"]["bytes"]) for e in read_all(response["body"])]  # no error: a clean end

    whole = chunks()
    assert closing_fields(whole)  # what the fault must take away is there without it
    control.fault("truncated", model_id=case.model_id, after_tokens=12)
    cut = chunks()
    assert closing_fields(cut) == set()
    text, full = "".join(map(case.chunk_text, cut)), "".join(map(case.chunk_text, whole))
    from core.emulator.textgen import count_tokens
    assert full.startswith(text) and 12 <= count_tokens(text) < count_tokens(full)


@pytest.mark.parametrize("after_tokens", [0, 8, 10_000])
def test_a_truncated_converse_stream_has_no_message_stop_and_no_metadata(
        runtime: Any, control: Any, after_tokens: int) -> None:
    """Even when the fault comes after the whole answer: the closing events are what it takes away."""
    control.fault("truncated", model_id=OTHER, after_tokens=after_tokens)
    response = runtime.converse_stream(modelId=OTHER, messages=[{"role": "user", "content": [{"text": "Hi there"}]}])
    names = [next(iter(e)) for e in read_all(response["stream"])]
    assert names[0] == "messageStart" and "messageStop" not in names and "metadata" not in names
    assert ("contentBlockDelta" in names) == (after_tokens > 0)


def test_sync_calls_get_the_nearest_equivalent_of_silent_and_truncated(emulator: Any, control: Any) -> None:
    import time

    from core.emulator.textgen import count_tokens

    runtime = client_for(emulator.url, read_timeout_s=0.5)
    full = json.loads(runtime.invoke_model(modelId=MODEL, body=BODY)["body"].read())["content"][0]["text"]
    control.fault("truncated", model_id=MODEL, after_tokens=6)
    body = runtime.invoke_model(modelId=MODEL, body=BODY)["body"].read().decode()  # a complete HTTP response ...
    with pytest.raises(ValueError):  # ... whose JSON ends just after the first answer tokens
        json.loads(body)
    kept = body.rpartition('"text": "')[2]
    assert full.startswith(kept) and count_tokens(kept) == 6 and '"stop_reason"' not in body
    control.fault("truncated", model_id=MODEL, after_tokens=6)
    answer = runtime.converse(modelId=MODEL, messages=[{"role": "user", "content": [{"text": "Hi"}]}])
    assert "output" not in answer and "stopReason" not in answer  # botocore returns the nothing it could read
    control.fault("silent", model_id=MODEL)
    started = time.monotonic()
    with pytest.raises(ReadTimeoutError):  # no response at all, until the client gives up
        runtime.invoke_model(modelId=MODEL, body=BODY)
    assert time.monotonic() - started >= 0.5
    control.fault("silent", model_id=MODEL, after_tokens=6, seconds=0.2)
    with pytest.raises(ValueError):  # after `seconds`: the truncated body
        json.loads(runtime.invoke_model(modelId=MODEL, body=BODY)["body"].read())
