"""Answers on demand (`/_emulator/echo`): the next answer is a given text or the prompt, on the wire as any answer."""

from __future__ import annotations

import json
from typing import Any

import pytest

from core.emulator.textgen import count_tokens

from ..conftest import read_all
from .cases import CASES, STREAMING, Case

HOSTILE = ('<script>window.__pwned = 1</script> <img src=x onerror="window.__pwned = 2"> '
           "[click](javascript:window.__pwned=3) 你好 👩‍👩‍👧 مرحبا \x00 \x1b[31mred\x1b[0m \"quotes\" \\ done")


@pytest.fixture()
def echo(control: Any) -> Any:
    def add(**fields: Any) -> dict[str, Any]:
        status, body = control.request("POST", "/_emulator/echo", fields)
        assert status == 201, body
        return body["echo"]  # type: ignore[no-any-return]

    yield add
    control.request("DELETE", "/_emulator/echo")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_a_sync_answer_is_exactly_the_text_with_matching_token_counts(runtime: Any, echo: Any, case: Case) -> None:
    echo(text=HOSTILE, model_id=case.model_id)
    response = runtime.invoke_model(modelId=case.model_id, body=json.dumps(case.build([("user", "Hi")], "", 500)))
    body, headers = json.loads(response["body"].read()), response["ResponseMetadata"]["HTTPHeaders"]
    assert case.sync_text(body) == HOSTILE
    assert int(headers["x-amzn-bedrock-output-token-count"]) == count_tokens(HOSTILE)
    if case.sync_tokens(body) is not None:
        assert case.sync_tokens(body) == count_tokens(HOSTILE)


@pytest.mark.parametrize("case", STREAMING, ids=lambda c: c.id)
def test_a_streamed_answer_carries_the_text_in_chunks_with_its_metrics(runtime: Any, echo: Any, case: Case) -> None:
    echo(text=HOSTILE * 3, model_id=case.model_id)
    response = runtime.invoke_model_with_response_stream(
        modelId=case.model_id, body=json.dumps(case.build([("user", "Hi")], "", 1000)))
    chunks = [json.loads(event["chunk"]["bytes"]) for event in read_all(response["body"])]
    assert "".join(case.chunk_text(c) for c in chunks) == HOSTILE * 3
    assert chunks[-1]["amazon-bedrock-invocationMetrics"]["outputTokenCount"] == count_tokens(HOSTILE * 3)
    assert len([c for c in chunks if case.chunk_text(c)]) > 1


def test_converse_stream_echoes_the_prompt_and_then_answers_normally(runtime: Any, echo: Any) -> None:
    echo(prompt=True)
    prompt = "Repeat <b>this</b> & \u202eit back"
    response = runtime.converse_stream(modelId="amazon.nova-micro-v1:0",
                                       messages=[{"role": "user", "content": [{"text": prompt}]}])
    events = read_all(response["stream"])
    text = "".join(e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e)
    assert text == prompt
    assert events[-1]["metadata"]["usage"]["outputTokens"] == count_tokens(prompt)
    again = runtime.converse(modelId="amazon.nova-micro-v1:0",
                             messages=[{"role": "user", "content": [{"text": prompt}]}])
    assert again["output"]["message"]["content"][0]["text"].startswith("(Emulated answer")  # count=1 was used


def test_max_tokens_and_stop_sequences_still_cut_an_echo(runtime: Any, echo: Any) -> None:
    echo(text="one two three four five six", count=2)
    short = runtime.converse(modelId="meta.llama3-1-8b-instruct-v1:0", inferenceConfig={"maxTokens": 3},
                             messages=[{"role": "user", "content": [{"text": "Hi"}]}])
    assert short["output"]["message"]["content"][0]["text"] == "one two three" and short["stopReason"] == "max_tokens"
    stopped = runtime.converse(modelId="meta.llama3-1-8b-instruct-v1:0", inferenceConfig={"stopSequences": ["four"]},
                               messages=[{"role": "user", "content": [{"text": "Hi"}]}])
    assert stopped["output"]["message"]["content"][0]["text"] == "one two three "
    assert stopped["stopReason"] == "stop_sequence"


def test_an_echo_for_one_model_leaves_others_alone_until_used(runtime: Any, echo: Any, control: Any) -> None:
    echo(text="only for Llama", model_id="meta.llama3-1-8b-instruct-v1:0", count=None)
    other = runtime.converse(modelId="amazon.nova-micro-v1:0", messages=[{"role": "user", "content": [{"text": "Hi"}]}])
    assert other["output"]["message"]["content"][0]["text"].startswith("(Emulated answer")
    for _ in range(2):
        llama = runtime.converse(modelId="meta.llama3-1-8b-instruct-v1:0",
                                 messages=[{"role": "user", "content": [{"text": "Hi"}]}])
        assert llama["output"]["message"]["content"][0]["text"] == "only for Llama"
    status, listed = control.request("GET", "/_emulator/echo")
    assert status == 200 and listed["echoes"][0]["text"] == "only for Llama" and listed["echoes"][0]["count"] is None
    assert control.request("DELETE", "/_emulator/echo") == (200, {"echoes": []})


def test_a_failed_request_does_not_use_up_an_echo(runtime: Any, echo: Any, control: Any) -> None:
    echo(text="kept for the next good request")
    with pytest.raises(runtime.exceptions.ValidationException):
        runtime.converse(modelId="meta.llama3-1-8b-instruct-v1:0",
                         messages=[{"role": "assistant", "content": [{"text": "x"}]}])
    good = runtime.converse(modelId="meta.llama3-1-8b-instruct-v1:0",
                            messages=[{"role": "user", "content": [{"text": "Hi"}]}])
    assert good["output"]["message"]["content"][0]["text"] == "kept for the next good request"


@pytest.mark.parametrize(("payload", "message"), [
    ({}, 'give either "text"'),
    ({"text": "a", "prompt": True}, 'give either "text"'),
    ({"text": ""}, "non-empty string"),
    ({"text": 5}, "non-empty string"),
    ({"text": "a", "count": 0}, "count must be at least 1"),
    ({"text": "a", "colour": "red"}, "colour"),
    ({"text": "a", "model_id": "acme.unknown-v1"}, "model identifier is invalid"),
])
def test_the_control_endpoint_refuses_what_it_cannot_do(control: Any, payload: dict[str, Any], message: str) -> None:
    status, body = control.request("POST", "/_emulator/echo", payload)
    assert status == 400 and message in body["message"]
    assert control.request("GET", "/_emulator/echo") == (200, {"echoes": []})


def test_a_lone_surrogate_in_a_request_gets_an_answer_not_a_dropped_connection(runtime: Any) -> None:
    """JSON allows "\\ud800"; Bedrock takes it. The emulator used to crash seeding its answer and cut the stream."""
    body = '{"messages": [{"role": "user", "content": [{"text": "bad \\ud800 surrogate"}]}]}'
    response = runtime.invoke_model(modelId="amazon.nova-micro-v1:0", body=body)
    text = json.loads(response["body"].read())["output"]["message"]["content"][0]["text"]
    assert text.startswith("(Emulated answer") and "\ud800" in text
    streamed = runtime.invoke_model_with_response_stream(modelId="amazon.nova-micro-v1:0", body=body)
    assert read_all(streamed["body"])[-1]["chunk"]["bytes"]
