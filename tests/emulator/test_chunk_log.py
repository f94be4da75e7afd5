"""The emulator's chunk log (GET /_emulator/chunks): when each answer chunk was due and put on the wire, per
request id, kept only when asked for, and never in the Bedrock payload itself (which stays wire-accurate)."""

from __future__ import annotations

from typing import Any

from .. import models
from ..conftest import Control, read_all

MODEL = models.CLAUDE  # the model table's chat default, as requests call it


def converse_stream(runtime: Any, text: str = "Name three rivers.") -> tuple[str, list[dict[str, Any]]]:
    response = runtime.converse_stream(modelId=MODEL, messages=[{"role": "user", "content": [{"text": text}]}],
                                       inferenceConfig={"maxTokens": 20})
    try:
        return response["ResponseMetadata"]["RequestId"], read_all(response["stream"])
    finally:
        response["stream"].close()  # its connection goes back to the pool now, not when it is collected


def test_the_log_is_off_by_default_and_keeps_the_last_streams_when_on(runtime: Any, control: Control) -> None:
    converse_stream(runtime)
    assert control.request("GET", "/_emulator/chunks")[1] == {"chunk_log": 0, "streams": {}}
    try:
        control.request("POST", "/_emulator/config", {"chunk_log": 2})
        streams = [converse_stream(runtime, f"Name {n} rivers.") for n in (3, 4, 5)]
        ids = [request_id for request_id, _ in streams]
        status, body = control.request("GET", "/_emulator/chunks")
        assert status == 200 and list(body["streams"]) == ids[1:]  # the last two, oldest first
        request_id, events = streams[2]
        one = control.request("GET", f"/_emulator/chunks?request_id={request_id}")[1]["streams"]
        assert list(one) == [request_id]
    finally:
        control.request("POST", "/_emulator/config", {"chunk_log": 0})
        control.request("DELETE", "/_emulator/chunks")
    log = one[request_id]
    assert len(log) == len([e for e in events if "contentBlockDelta" in e]) >= 1  # one entry per answer chunk
    assert all(c["sent_ms"] >= c["due_ms"] - 1 for c in log)  # sent at or after its deadline (epoch ms)
    assert [c["due_ms"] for c in log] == sorted(c["due_ms"] for c in log)


def test_one_entry_per_answer_chunk_and_nothing_in_the_payload(runtime: Any, control: Control) -> None:
    control.request("POST", "/_emulator/config", {"chunk_log": 10})
    try:
        response = runtime.invoke_model_with_response_stream(
            modelId=MODEL, body=b'{"anthropic_version": "bedrock-2023-05-31", "max_tokens": 15, '
                                b'"messages": [{"role": "user", "content": "Name three rivers."}]}')
        request_id = response["ResponseMetadata"]["RequestId"]
        try:
            chunks = read_all(response["body"])
        finally:
            response["body"].close()
        log = control.request("GET", f"/_emulator/chunks?request_id={request_id}")[1]["streams"][request_id]
    finally:
        control.request("POST", "/_emulator/config", {"chunk_log": 0})
        control.request("DELETE", "/_emulator/chunks")
    deltas = [c for c in chunks if b'"content_block_delta"' in c["chunk"]["bytes"]]
    assert len(log) == len(deltas)
    assert all(b"due_ms" not in c["chunk"]["bytes"] and b"sent_ms" not in c["chunk"]["bytes"] for c in chunks)
