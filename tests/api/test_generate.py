"""POST /api/generate over real HTTP: the event stream as it arrives, the JSON answer, bad input, upstream
failures, hanging up, and the history every run lands in."""

from __future__ import annotations

import json
import socket
import time
from typing import Any

import pandas as pd
import pytest

from ..conftest import Control
from ..models import CHAT, CLAUDE, FAST, NOT_STREAMING, PROFILE_ONLY, REASONING_TAG, RETIRED, call_id
from .conftest import Served, post

NOVA = FAST
HAIKU = CLAUDE  # the default Claude, as requests call it (an inference profile id)
HAIKU_LIMIT = CHAT.max_output_tokens or 0
SONNET_4 = PROFILE_ONLY  # reachable only through an inference profile
JURASSIC = NOT_STREAMING  # does not stream


def ask(**fields: Any) -> dict[str, Any]:
    return {"model_id": NOVA, "prompt": "Why does streaming feel faster?", "max_tokens": 80, **fields}


def requests_seen(upstream: Control) -> int:
    return int(upstream.request("GET", "/_emulator/health")[1]["requests"])


def test_events_arrive_while_the_answer_is_still_being_written(api: Served, upstream: Control) -> None:
    upstream.request("POST", "/_emulator/config", {"time_scale": 1})
    upstream.request("POST", "/_emulator/profiles", {"model_id": NOVA, "ttft_ms": 200, "tokens_per_s": 30})
    reply = post(api, ask(max_tokens=60))
    assert reply.status == 200
    assert reply.headers["content-type"].startswith("text/event-stream")
    assert reply.headers["cache-control"] == "no-cache" and reply.headers["x-accel-buffering"] == "no"
    texts = [e for e in reply.events if e.name == "text"]
    done = reply.events[-1]
    assert done.name == "done" and done.data["done"] is True and len(texts) >= 5
    assert [e.name for e in reply.events[:-1]] == ["text"] * len(texts)  # one ending, and it is last
    assert [e.id for e in reply.events] == [str(i) for i in range(1, len(reply.events) + 1)]
    # 60 tokens at ~30 tok/s take about two seconds: the first words are read long before the end.
    assert done.at - texts[0].at > 1.0
    assert texts[len(texts) // 2].at - texts[0].at > 0.4
    metrics = done.data["metrics"]
    assert metrics["status"] == "ok" and metrics["mode"] == "stream" and metrics["output_tokens"] == 60
    assert texts[0].at - reply.sent_at >= metrics["ttft_ms"] / 1000 * 0.8
    record = api.history.get_run(metrics["run_id"])
    assert record is not None and record.status == "ok" and record.session_id == "api"
    assert record.text == reply.text() and record.text.startswith("(Emulated")


def test_text_is_coalesced_like_the_chat_page(api: Served, upstream: Control) -> None:
    upstream.request("POST", "/_emulator/config", {"time_scale": 1})
    upstream.request("POST", "/_emulator/profiles",
                     {"model_id": HAIKU, "ttft_ms": 50, "tokens_per_s": 1000, "chunk_tokens": [1, 1]})
    reply = post(api, ask(model_id=HAIKU, max_tokens=600, prompt="Write 600 tokens about queues."))
    metrics = reply.events[-1].data["metrics"]
    assert metrics["output_tokens"] == 600 and metrics["gap_count"] >= 500  # one token per chunk upstream
    texts = [e for e in reply.events if e.name == "text"]
    assert 3 <= len(texts) <= metrics["e2e_ms"] / 50 + 3  # at most one event per 50 ms, plus first and last
    assert reply.text() == api.history.get_run(metrics["run_id"]).text  # type: ignore[union-attr]


def test_stream_false_answers_with_one_json_object(api: Served) -> None:
    reply = post(api, ask(stream=False, api="invoke"))
    assert reply.status == 200 and reply.headers["content-type"] == "application/json"
    body = reply.body
    assert set(body) == {"text", "model_id", "metrics"} and body["model_id"] == NOVA
    assert body["text"].startswith("(Emulated") and "streaming" in body["text"]
    metrics = body["metrics"]
    assert metrics["mode"] == "sync" and metrics["api"] == "invoke" and metrics["status"] == "ok"
    assert metrics["output_tokens"] > 0 and metrics["e2e_ms"] > 0 and metrics["cost_usd"] > 0
    assert api.history.get_run(metrics["run_id"]).text == body["text"]  # type: ignore[union-attr]


def test_a_conversation_and_a_system_prompt_reach_the_model(api: Served) -> None:
    messages = [{"role": "user", "content": "My name is Ada."},
                {"role": "assistant", "content": [{"text": "Hello Ada."}]},
                {"role": "user", "content": "Tell me about caching."}]
    reply = post(api, {"model_id": HAIKU, "messages": messages, "system": "Answer like a pirate.",
                       "temperature": 0.2, "top_p": 0.9, "stop_sequences": ["\n\nZZZ"], "stream": False})
    assert reply.status == 200, reply.body
    record = api.history.get_run(reply.body["metrics"]["run_id"])
    assert record is not None and record.system == "Answer like a pirate." and record.temperature == 0.2
    sent = json.loads(record.request_json)
    assert [m["role"] for m in sent["messages"]] == ["user", "assistant", "user"]
    assert "caching" in reply.body["text"]
    if CHAT.sampling == "one":  # temperature or top_p: the run keeps temperature, and the answer says so
        config = sent["inferenceConfig"]  # the API asks through Converse by default
        assert config["temperature"] == 0.2 and "topP" not in config
        assert any("top_p 0.9 was not sent" in note for note in reply.body["metrics"]["notes"])


def test_a_model_that_cannot_stream_answers_in_one_event(api: Served) -> None:
    reply = post(api, ask(model_id=JURASSIC))
    assert reply.status == 200 and [e.name for e in reply.events] == ["text", "done"]
    assert reply.events[-1].data["metrics"]["mode"] == "sync" and reply.text().startswith("(Emulated")


def test_effort_is_sent_in_the_models_own_field_and_its_reasoning_stays_out_of_the_text(api: Served) -> None:
    tag = REASONING_TAG.family.reasoning_tag if REASONING_TAG.family else None
    assert tag is not None
    for stream in (False, True):
        reply = post(api, ask(model_id=call_id(REASONING_TAG), effort="high", max_tokens=200, api="invoke",
                              prompt="Why is the sky blue?", stream=stream))
        assert reply.status == 200, reply.body
        text, metrics = (reply.text(), reply.events[-1].data["metrics"]) if stream else (
            reply.body["text"], reply.body["metrics"])
        assert metrics["status"] == "ok" and metrics["notes"] == [] and text.startswith("(Emulated")
        assert f"<{tag}>" not in text and f"</{tag}>" not in text
        record = api.history.get_run(metrics["run_id"])
        assert record is not None and record.text == text and record.reasoning_text
        assert json.loads(record.request_json)["reasoning_effort"] == "high"
    # A level the model does not take is sent as its nearest, and the answer says so.
    nearest = post(api, ask(model_id=call_id(REASONING_TAG), effort="max", api="invoke", stream=False))
    assert nearest.status == 200, nearest.body
    assert any("max was sent as high" in note for note in nearest.body["metrics"]["notes"])
    record = api.history.get_run(nearest.body["metrics"]["run_id"])
    assert record is not None and json.loads(record.request_json)["reasoning_effort"] == "high"


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "json"])
def test_a_retired_model_is_refused_with_the_model_that_replaces_it(api: Served, stream: bool) -> None:
    replacement = RETIRED.replacement
    assert replacement is not None
    reply = post(api, ask(model_id=call_id(RETIRED), stream=stream))
    assert reply.status == 400 and reply.events == [] and reply.body["field"] == "model_id", reply.body
    assert RETIRED.name in reply.body["error"] and "end of" in reply.body["error"]  # "end of its life" or "end of life"
    assert replacement.name in reply.body["error"] and call_id(replacement) in reply.body["error"]


BAD = [
    ("not json", b'{"model_id": ', "body", "not valid JSON"),
    ("empty body", b"", "body", "JSON object"),
    ("a list", b"[1, 2]", "body", "must be a JSON object, not a list"),
    ("no prompt", {"model_id": NOVA}, "prompt", "prompt or messages is required"),
    ("both", {"model_id": NOVA, "prompt": "hi", "messages": [{"role": "user", "content": "hi"}]}, "messages",
     "either prompt or messages"),
    ("blank prompt", ask(prompt="   "), "prompt", "empty"),
    ("prompt a number", ask(prompt=42), "prompt", "must be a string"),
    ("no model", {"prompt": "hi"}, "model_id", "model_id is required"),
    ("unknown model", ask(model_id="acme.nonexistent-v1"), "model_id", "unknown model 'acme.nonexistent-v1'"),
    ("model the backend lacks", ask(model_id="anthropic.claude-9-imaginary-v1:0"), "model_id", "unknown model"),
    ("needs a profile", ask(model_id=SONNET_4), "model_id", f"use 'us.{SONNET_4}'"),
    ("temperature too high", ask(temperature=1.5), "temperature", "between 0 and 1 for Nova Micro, not 1.5"),
    ("temperature text", ask(temperature="hot"), "temperature", "must be a number"),
    ("top_p negative", ask(top_p=-0.1), "top_p", "between 0 and 1"),
    ("max_tokens zero", ask(max_tokens=0), "max_tokens", "max tokens must be between 1 and 10,000 for Nova Micro"),
    ("max_tokens over the model's limit", ask(model_id=HAIKU, max_tokens=HAIKU_LIMIT + 1), "max_tokens",
     f"between 1 and {HAIKU_LIMIT:,} for {CHAT.name}, not {HAIKU_LIMIT + 1:,}"),
    ("max_tokens fractional", ask(max_tokens=10.5), "max_tokens", "whole number"),
    ("max_tokens boolean", ask(max_tokens=True), "max_tokens", "whole number"),
    ("stream not boolean", ask(stream="yes"), "stream", "true or false"),
    ("unknown api", ask(api="chat"), "api", "\"converse\" or \"invoke\""),
    ("unknown field", ask(max_token=10), "max_token", "unknown field 'max_token'"),
    ("system a list", ask(system=["be brief"]), "system", "string or null"),
    ("messages empty", {"model_id": NOVA, "messages": []}, "messages", "non-empty list"),
    ("message without role", {"model_id": NOVA, "messages": [{"content": "hi"}]}, "messages[0].role", "role"),
    ("assistant first", {"model_id": NOVA, "messages": [{"role": "assistant", "content": "hi"}]},
     "messages[0].role", "starts with the user"),
    ("two user turns", {"model_id": NOVA, "messages": [{"role": "user", "content": "a"},
                                                       {"role": "user", "content": "b"}]},
     "messages[1].role", "alternates"),
    ("ends with the assistant", {"model_id": NOVA, "messages": [{"role": "user", "content": "a"},
                                                                {"role": "assistant", "content": "b"}]},
     "messages[1].role", "last message must be the user's"),
    ("empty content", {"model_id": NOVA, "messages": [{"role": "user", "content": ""}]}, "messages[0].content",
     "empty"),
    ("stop sequences not strings", ask(stop_sequences=[1]), "stop_sequences", "list of non-empty strings"),
    ("unknown effort", ask(effort="extreme"), "effort",
     "effort must be one of low, medium, high, xhigh, max, not 'extreme'"),
    ("effort a number", ask(effort=3), "effort", "effort must be one of low, medium, high, xhigh, max or null"),
]


@pytest.mark.parametrize(("payload", "field", "words"), [case[1:] for case in BAD], ids=[case[0] for case in BAD])
def test_bad_input_gets_400_naming_the_field_and_nothing_is_sent(api: Served, upstream: Control, payload: Any,
                                                                 field: str, words: str) -> None:
    before_requests, before_runs = requests_seen(upstream), len(api.history.runs())
    reply = post(api, None, raw=payload) if isinstance(payload, bytes) else post(api, payload)
    assert reply.status == 400 and reply.headers["content-type"] == "application/json"
    assert reply.body["field"] == field and words in reply.body["error"], reply.body
    assert reply.body["code"] == "BadRequest"
    assert requests_seen(upstream) == before_requests and len(api.history.runs()) == before_runs


UPSTREAM = [("throttling", 429, "ThrottlingException"), ("access_denied", 403, "AccessDeniedException"),
            ("model_timeout", 504, "ModelTimeoutException"),
            ("service_unavailable", 502, "ServiceUnavailableException"),
            ("internal_error", 502, "InternalServerException")]


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "json"])
@pytest.mark.parametrize(("fault", "status", "code"), UPSTREAM, ids=[u[0] for u in UPSTREAM])
def test_an_upstream_failure_before_any_text_maps_to_its_status(api: Served, upstream: Control, fault: str,
                                                                status: int, code: str, stream: bool) -> None:
    upstream.fault(fault, count=None)  # every attempt botocore makes
    reply = post(api, ask(stream=stream))
    assert reply.status == status and reply.headers["content-type"] == "application/json"
    assert reply.body["code"] == code and reply.body["field"] is None and reply.events == []
    assert len(reply.body["error"]) > 40  # what happened and what to do, in words
    runs = api.history.runs()
    assert runs.iloc[-1]["status"] == "error" and runs.iloc[-1]["error_code"] == code


def test_a_failure_mid_stream_ends_it_with_an_error_event(api: Served, upstream: Control) -> None:
    upstream.fault("stream_error", model_id=NOVA, after_tokens=15, exception="modelStreamErrorException")
    reply = post(api, ask(max_tokens=200))
    assert reply.status == 200 and reply.events[-1].name == "error"
    assert [e.name for e in reply.events[:-1]] == ["text"] * (len(reply.events) - 1) and reply.text()
    error = reply.events[-1].data
    assert error["partial"] is True and error["code"] == "modelStreamErrorException" and error["status"] == 502
    assert "stopped part-way" in error["error"] and error["metrics"]["status"] == "error"
    record = api.history.get_run(error["metrics"]["run_id"])
    assert record is not None and record.status == "error" and record.text == reply.text()


def test_throttling_mid_stream_says_429_in_the_error_event(api: Served, upstream: Control) -> None:
    upstream.fault("stream_error", model_id=NOVA, after_tokens=10, exception="throttlingException")
    reply = post(api, ask(max_tokens=200))
    assert reply.events[-1].name == "error" and reply.events[-1].data["status"] == 429


def _open_raw(api: Served, payload: dict[str, Any]) -> socket.socket:
    body = json.dumps(payload).encode()
    sock = socket.create_connection(("127.0.0.1", api.port), timeout=10)
    sock.sendall(b"POST /api/generate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    return sock


def _wait_for_run(api: Served, before: int, timeout_s: float = 5) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        runs = api.history.runs()
        if len(runs) > before:
            return runs.iloc[-1]
        time.sleep(0.05)
    raise AssertionError("no run was recorded")


def _open_streams_after(upstream: Control, wait_s: float = 1.0) -> int:
    """The emulator's open streams once it has had `wait_s` to notice a hang-up."""
    deadline = time.monotonic() + wait_s
    while True:
        open_now = int(upstream.request("GET", "/_emulator/health")[1]["active_streams"])
        if open_now == 0 or time.monotonic() > deadline:
            return open_now
        time.sleep(0.02)


def test_hanging_up_mid_stream_cancels_the_bedrock_stream_and_records_it(api: Served, upstream: Control) -> None:
    upstream.request("POST", "/_emulator/config", {"time_scale": 1})
    upstream.request("POST", "/_emulator/profiles", {"model_id": NOVA, "ttft_ms": 100, "tokens_per_s": 20})
    before = len(api.history.runs())
    sock = _open_raw(api, ask(max_tokens=300))
    received = b""
    while received.count(b"event: text") < 3:  # three events in, the client goes away
        received += sock.recv(4096)
    assert received.startswith(b"HTTP/1.1 200")
    sock.close()
    hung_up = time.monotonic()
    run = _wait_for_run(api, before)
    assert time.monotonic() - hung_up < 1.5  # 300 tokens at 20 tok/s would take 15 s
    assert run["status"] == "cancelled" and run["session_id"] == "api" and run["text"]
    assert 0 < run["output_tokens"] < 300
    assert _open_streams_after(upstream) == 0  # the Bedrock stream was closed, not left to run for 15 s


def test_hanging_up_before_the_first_token_cancels_too(api: Served, upstream: Control) -> None:
    upstream.request("POST", "/_emulator/config", {"time_scale": 1})
    upstream.request("POST", "/_emulator/profiles", {"model_id": NOVA, "ttft_ms": 5000})
    before = len(api.history.runs())
    sock = _open_raw(api, ask())
    time.sleep(0.5)  # the request is with the model, which has not written a word yet
    assert upstream.request("GET", "/_emulator/health")[1]["active_streams"] == 1
    sock.close()
    run = _wait_for_run(api, before, timeout_s=2)
    assert run["status"] == "cancelled" and run["text"] == "" and pd.isna(run["ttft_ms"])
    assert _open_streams_after(upstream) == 0


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "json"])
def test_a_client_that_hangs_up_cancels_the_run_in_either_mode(api: Served, upstream: Control, stream: bool) -> None:
    """One behaviour: a `"stream": false` client that hung up used to be recorded `ok`, with text nobody got."""
    upstream.request("POST", "/_emulator/config", {"time_scale": 1})
    upstream.request("POST", "/_emulator/profiles", {"model_id": NOVA, "ttft_ms": 300, "tokens_per_s": 40})
    before, seen = len(api.history.runs()), requests_seen(upstream)
    sock = _open_raw(api, ask(max_tokens=60, stream=stream))  # about 1.8 s of answer
    if stream:
        received = b""
        while b"event: text" not in received:
            received += sock.recv(4096)
    else:
        time.sleep(0.5)  # the model is writing the answer; the client hears nothing until it is done
    assert requests_seen(upstream) == seen + 1  # the request is with the model
    sock.close()
    run = _wait_for_run(api, before, timeout_s=5)
    assert run["status"] == "cancelled" and run["session_id"] == "api", run.to_dict()
    assert run["mode"] == ("stream" if stream else "sync") and pd.isna(run["tokens_per_s"])
    if not stream:
        assert run["text"] == ""  # the answer came after the client had gone: nobody received it
    assert _open_streams_after(upstream) == 0


def test_every_request_that_runs_is_in_the_history(api: Served, upstream: Control) -> None:
    before = len(api.history.runs())
    post(api, ask())
    post(api, ask(stream=False))
    upstream.fault("access_denied", count=None)
    post(api, ask())
    runs = api.history.runs().iloc[before:]
    assert list(runs["status"]) == ["ok", "ok", "error"] and list(runs["mode"]) == ["stream", "sync", "stream"]
    assert set(runs["session_id"]) == {"api"} and set(runs["backend"]) == {"emulator"}


def test_eventsource_can_get_the_stream_and_is_told_not_to_reconnect(api: Served) -> None:
    query = "?model_id=" + NOVA + "&prompt=Why%20stream%3F&max_tokens=40&temperature=0.5"
    reply = post(api, None, method="GET", path="/generate" + query)
    assert reply.status == 200 and reply.events[-1].name == "done" and reply.text()
    assert reply.events[-1].data["metrics"]["output_tokens"] == 40
    again = post(api, None, method="GET", path="/generate" + query, headers={"Last-Event-ID": "7"})
    assert again.status == 204  # the run is over; 204 is how a server stops EventSource reconnecting
    bad = post(api, None, method="GET", path="/generate?model_id=" + NOVA + "&prompt=hi&max_tokens=lots")
    assert bad.status == 400 and bad.body["field"] == "max_tokens"


def test_a_page_on_another_local_port_may_call_the_api_and_others_may_not(api: Served) -> None:
    preflight = {"Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type"}
    allowed = post(api, None, method="OPTIONS", headers=preflight)
    assert allowed.status == 200 and allowed.headers["access-control-allow-origin"] == "http://localhost:3000"
    refused = post(api, None, method="OPTIONS", headers={**preflight, "Origin": "https://example.com"})
    assert refused.status == 400 and "access-control-allow-origin" not in refused.headers
