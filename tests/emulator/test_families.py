"""Every family, sync and stream, InvokeModel and Converse, decoded by botocore over real HTTP."""

from __future__ import annotations

import json
from typing import Any

import pytest

from core.emulator.textgen import count_tokens

from ..conftest import read_all
from .cases import CASES, STREAMING, Case

QUESTION = "How do I choose between streaming and batch responses for a chatbot?"


def invoke(runtime: Any, case: Case, body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    response = runtime.invoke_model(modelId=case.model_id, body=json.dumps(body))
    return json.loads(response["body"].read()), response["ResponseMetadata"]["HTTPHeaders"]


def stream(runtime: Any, case: Case, body: dict[str, Any]) -> list[dict[str, Any]]:
    response = runtime.invoke_model_with_response_stream(modelId=case.model_id, body=json.dumps(body))
    assert response["contentType"] == "application/json"
    return [json.loads(event["chunk"]["bytes"]) for event in read_all(response["body"])]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.family)
def test_sync_invoke_answers_the_prompt_and_reports_matching_token_counts(runtime: Any, case: Case) -> None:
    body, headers = invoke(runtime, case, case.build([("user", QUESTION)], "", 300))
    text = case.sync_text(body)
    assert text.startswith("(Emulated answer from"), text[:80]
    assert "streaming" in text and "batch" in text  # it answers this prompt, not a canned one
    emitted = count_tokens(text)
    assert int(headers["x-amzn-bedrock-output-token-count"]) == emitted
    assert int(headers["x-amzn-bedrock-input-token-count"]) > 0
    assert int(headers["x-amzn-bedrock-invocation-latency"]) >= 0
    if case.sync_tokens(body) is not None:
        assert case.sync_tokens(body) == emitted


@pytest.mark.parametrize("case", STREAMING, ids=lambda c: c.family)
def test_stream_carries_the_same_text_and_ends_with_invocation_metrics(runtime: Any, case: Case) -> None:
    request = case.build([("user", QUESTION)], "", 300)
    chunks = stream(runtime, case, request)
    text = "".join(case.chunk_text(c) for c in chunks)
    sync_body, _ = invoke(runtime, case, request)
    assert text == case.sync_text(sync_body)  # same seed and prompt: same answer in both modes
    metrics = chunks[-1]["amazon-bedrock-invocationMetrics"]
    assert all("amazon-bedrock-invocationMetrics" not in c for c in chunks[:-1])
    assert metrics["outputTokenCount"] == count_tokens(text)
    assert metrics["inputTokenCount"] > 0
    assert metrics["invocationLatency"] >= metrics["firstByteLatency"] >= 0
    if case.stream_tokens(chunks) != -1:
        assert case.stream_tokens(chunks) == metrics["outputTokenCount"]
    assert len([c for c in chunks if case.chunk_text(c)]) > 1  # it really streams in pieces


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.family)
def test_max_tokens_cuts_the_answer_with_the_familys_stop_reason(runtime: Any, case: Case) -> None:
    body, headers = invoke(runtime, case, case.build([("user", QUESTION)], "", 12))
    assert case.stop_reason(body) == case.length_reason
    assert count_tokens(case.sync_text(body)) == 12 == int(headers["x-amzn-bedrock-output-token-count"])


@pytest.mark.parametrize("case", [c for c in CASES if c.family not in ("cohere-command", "jurassic2")],
                         ids=lambda c: c.family)
def test_multi_turn_prompts_are_read_in_the_familys_own_format(runtime: Any, case: Case) -> None:
    conversation = [("user", "Tell me about caching."), ("assistant", "Caching keeps results close."),
                    ("user", "What about invalidation strategies?")]
    body, _ = invoke(runtime, case, case.build(conversation, "", 200))
    text = case.sync_text(body)
    assert "turn 2" in text  # the emulator counted two user turns
    assert "invalidation strategies" in text  # and answered the last one


@pytest.mark.parametrize("case", [c for c in CASES if c.system], ids=lambda c: c.family)
def test_system_prompt_shapes_the_answer(runtime: Any, case: Case) -> None:
    body, _ = invoke(runtime, case, case.build([("user", QUESTION)], "Answer like a pirate captain.", 200))
    assert "pirate captain" in case.sync_text(body)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.family)
def test_converse_gives_the_same_answer_as_invoke_with_usage_and_latency(runtime: Any, case: Case) -> None:
    invoke_body, _ = invoke(runtime, case, case.build([("user", QUESTION)], "", 150))
    response = runtime.converse(modelId=case.model_id, messages=[{"role": "user", "content": [{"text": QUESTION}]}],
                                inferenceConfig={"maxTokens": 150})
    text = response["output"]["message"]["content"][0]["text"]
    assert text == case.sync_text(invoke_body)
    usage = response["usage"]
    assert usage["outputTokens"] == count_tokens(text)
    assert usage["totalTokens"] == usage["inputTokens"] + usage["outputTokens"]
    assert response["metrics"]["latencyMs"] >= 0
    assert response["stopReason"] in ("end_turn", "max_tokens")


@pytest.mark.parametrize("case", STREAMING, ids=lambda c: c.family)
def test_converse_stream_events_in_order_with_metadata(runtime: Any, case: Case) -> None:
    response = runtime.converse_stream(
        modelId=case.model_id, messages=[{"role": "user", "content": [{"text": QUESTION}]}],
        inferenceConfig={"maxTokens": 80, "stopSequences": ["zzz-never"]})
    events = read_all(response["stream"])
    names = [next(iter(e)) for e in events]
    assert names[0] == "messageStart" and names[-3:] == ["contentBlockStop", "messageStop", "metadata"]
    assert set(names[1:-3]) == {"contentBlockDelta"}
    text = "".join(e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e)
    metadata = events[-1]["metadata"]
    assert metadata["usage"]["outputTokens"] == count_tokens(text) == 80
    assert events[-2]["messageStop"]["stopReason"] == "max_tokens"
    assert metadata["metrics"]["latencyMs"] >= 0


def test_stop_sequences_end_the_answer_before_the_sequence(runtime: Any) -> None:
    case = next(c for c in CASES if c.family == "anthropic-messages")
    request = case.build([("user", QUESTION)], "", 300) | {"stop_sequences": ["\n\n"]}
    body, headers = invoke(runtime, case, request)
    assert body["stop_reason"] == "stop_sequence" and body["stop_sequence"] == "\n\n"
    assert "\n\n" not in body["content"][0]["text"]
    assert body["usage"]["output_tokens"] == count_tokens(body["content"][0]["text"])


def test_thinking_blocks_stream_apart_from_the_answer(runtime: Any) -> None:
    request = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 3000,
               "thinking": {"type": "enabled", "budget_tokens": 2000},
               "messages": [{"role": "user", "content": QUESTION}]}
    response = runtime.invoke_model_with_response_stream(modelId="us.anthropic.claude-sonnet-4-20250514-v1:0",
                                                         body=json.dumps(request))
    chunks = [json.loads(e["chunk"]["bytes"]) for e in read_all(response["body"])]
    deltas = [c["delta"] for c in chunks if c["type"] == "content_block_delta"]
    thinking = "".join(d["thinking"] for d in deltas if d["type"] == "thinking_delta")
    answer = "".join(d["text"] for d in deltas if d["type"] == "text_delta")
    assert thinking and answer.startswith("(Emulated answer")
    assert any(d["type"] == "signature_delta" for d in deltas)
    starts = [c["content_block"]["type"] for c in chunks if c["type"] == "content_block_start"]
    assert starts == ["thinking", "text"]
    reported = [c for c in chunks if c["type"] == "message_delta"][0]["usage"]["output_tokens"]
    assert reported == count_tokens(thinking) + count_tokens(answer)

    converse = runtime.converse(modelId="us.anthropic.claude-3-7-sonnet-20250219-v1:0",
                                messages=[{"role": "user", "content": [{"text": QUESTION}]}],
                                inferenceConfig={"maxTokens": 3000},
                                additionalModelRequestFields={"thinking": {"type": "enabled", "budget_tokens": 1024}})
    blocks = converse["output"]["message"]["content"]
    assert "reasoningContent" in blocks[0] and blocks[1]["text"].startswith("(Emulated answer")


def test_titan_streams_few_large_chunks_and_claude_many_small_ones(runtime: Any) -> None:
    titan = next(c for c in CASES if c.family == "titan-text")
    claude = next(c for c in CASES if c.family == "anthropic-messages")
    titan_chunks = stream(runtime, titan, titan.build([("user", QUESTION)], "", 300))
    claude_chunks = [c for c in stream(runtime, claude, claude.build([("user", QUESTION)], "", 300))
                     if claude.chunk_text(c)]
    titan_sizes = [count_tokens(titan.chunk_text(c)) for c in titan_chunks]
    claude_sizes = [count_tokens(claude.chunk_text(c)) for c in claude_chunks]
    assert max(claude_sizes) <= 3 and len(claude_chunks) > 50
    assert len(titan_chunks) < 15 and max(titan_sizes) >= 20


def test_answers_are_deterministic_for_a_seed(emulator: Any, control: Any, runtime: Any) -> None:
    case = CASES[0]
    request = case.build([("user", QUESTION)], "", 200)
    first = case.sync_text(invoke(runtime, case, request)[0])
    assert case.sync_text(invoke(runtime, case, request)[0]) == first
    control.request("POST", "/_emulator/config", {"seed": 8})
    assert case.sync_text(invoke(runtime, case, request)[0]) != first


def test_claude_continues_from_an_assistant_prefill(runtime: Any) -> None:
    case = next(c for c in CASES if c.family == "anthropic-messages")
    whole = case.sync_text(invoke(runtime, case, case.build([("user", QUESTION)], "", 300))[0])
    start = whole[:40].rstrip()
    rest, headers = invoke(runtime, case, case.build([("user", QUESTION), ("assistant", start)], "", 300))
    assert start + case.sync_text(rest) == whole  # nothing repeated, nothing lost
    assert int(headers["x-amzn-bedrock-output-token-count"]) == count_tokens(case.sync_text(rest))
