"""Every family, sync and stream, InvokeModel and Converse, decoded by botocore over real HTTP."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest

from core.emulator.textgen import count_tokens

from ..conftest import client_for, read_all
from .cases import CASES, STREAMING, Case, deepseek_prompt

QUESTION = "How do I choose between streaming and batch responses for a chatbot?"


def invoke(runtime: Any, case: Case, body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    response = runtime.invoke_model(modelId=case.model_id, body=json.dumps(body))
    return json.loads(response["body"].read()), response["ResponseMetadata"]["HTTPHeaders"]


def stream(runtime: Any, case: Case, body: dict[str, Any]) -> list[dict[str, Any]]:
    response = runtime.invoke_model_with_response_stream(modelId=case.model_id, body=json.dumps(body))
    assert response["contentType"] == "application/json"
    return [json.loads(event["chunk"]["bytes"]) for event in read_all(response["body"])]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
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


@pytest.mark.parametrize("case", STREAMING, ids=lambda c: c.id)
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


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_max_tokens_cuts_the_answer_with_the_familys_stop_reason(runtime: Any, case: Case) -> None:
    body, headers = invoke(runtime, case, case.build([("user", QUESTION)], "", 12))
    assert case.stop_reason(body) == case.length_reason
    assert count_tokens(case.sync_text(body)) == 12 == int(headers["x-amzn-bedrock-output-token-count"])


@pytest.mark.parametrize("case", [c for c in CASES if c.family not in ("cohere-command", "jurassic2")],
                         ids=lambda c: c.id)
def test_multi_turn_prompts_are_read_in_the_familys_own_format(runtime: Any, case: Case) -> None:
    conversation = [("user", "Tell me about caching."), ("assistant", "Caching keeps results close."),
                    ("user", "What about invalidation strategies?")]
    body, _ = invoke(runtime, case, case.build(conversation, "", 200))
    text = case.sync_text(body)
    assert "turn 2" in text  # the emulator counted two user turns
    assert "invalidation strategies" in text  # and answered the last one


@pytest.mark.parametrize("case", [c for c in CASES if c.system], ids=lambda c: c.id)
def test_system_prompt_shapes_the_answer(runtime: Any, case: Case) -> None:
    body, _ = invoke(runtime, case, case.build([("user", QUESTION)], "Answer like a pirate captain.", 200))
    assert "pirate captain" in case.sync_text(body)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
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


@pytest.mark.parametrize("case", STREAMING, ids=lambda c: c.id)
def test_converse_stream_events_in_order_with_metadata(runtime: Any, case: Case) -> None:
    response = runtime.converse_stream(
        modelId=case.model_id, messages=[{"role": "user", "content": [{"text": QUESTION}]}],
        inferenceConfig={"maxTokens": 64, "stopSequences": ["zzz-never"]})
    events = read_all(response["stream"])
    names = [next(iter(e)) for e in events]
    assert names[0] == "messageStart" and names[-3:] == ["contentBlockStop", "messageStop", "metadata"]
    assert set(names[1:-3]) == {"contentBlockDelta"}
    text = "".join(e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e)
    metadata = events[-1]["metadata"]
    assert metadata["usage"]["outputTokens"] == count_tokens(text) == 64
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
    response = runtime.invoke_model_with_response_stream(
        modelId="us.anthropic.claude-sonnet-4-5-20250929-v1:0", body=json.dumps(request))
    chunks = [json.loads(e["chunk"]["bytes"]) for e in read_all(response["body"])]
    deltas = [c["delta"] for c in chunks if c["type"] == "content_block_delta"]
    thinking = "".join(d["thinking"] for d in deltas if d["type"] == "thinking_delta")
    answer = "".join(d["text"] for d in deltas if d["type"] == "text_delta")
    assert thinking and answer.startswith("(Emulated answer")
    kinds = [d["type"] for d in deltas if d["type"] != "text_delta"]
    assert kinds[-1] == "signature_delta" and set(kinds[:-1]) == {"thinking_delta"}  # one signature, last
    starts = [c["content_block"]["type"] for c in chunks if c["type"] == "content_block_start"]
    assert starts == ["thinking", "text"]
    reported = [c for c in chunks if c["type"] == "message_delta"][0]["usage"]["output_tokens"]
    assert reported == count_tokens(thinking) + count_tokens(answer)

    converse = runtime.converse(modelId="us.anthropic.claude-haiku-4-5-20251001-v1:0",
                                messages=[{"role": "user", "content": [{"text": QUESTION}]}],
                                inferenceConfig={"maxTokens": 3000},
                                additionalModelRequestFields={"thinking": {"type": "enabled", "budget_tokens": 1024}})
    blocks = converse["output"]["message"]["content"]
    assert blocks[0]["reasoningContent"]["reasoningText"]["signature"]
    assert blocks[1]["text"].startswith("(Emulated answer")


def test_nova_streams_larger_chunks_than_claude(runtime: Any) -> None:
    nova = next(c for c in CASES if c.family == "nova")
    claude = next(c for c in CASES if c.family == "anthropic-messages")
    nova_chunks = [c for c in stream(runtime, nova, nova.build([("user", QUESTION)], "", 300)) if nova.chunk_text(c)]
    claude_chunks = [c for c in stream(runtime, claude, claude.build([("user", QUESTION)], "", 300))
                     if claude.chunk_text(c)]
    nova_sizes = [count_tokens(nova.chunk_text(c)) for c in nova_chunks]
    claude_sizes = [count_tokens(claude.chunk_text(c)) for c in claude_chunks]
    assert max(claude_sizes) <= 3 and len(claude_chunks) > 50
    assert max(nova_sizes) >= 5 and len(nova_chunks) < len(claude_chunks)


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


# -- reasoning, as each 2025-2026 family puts it on the wire ------------------------------------------------------

def chunks_of(runtime: Any, model_id: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    response = runtime.invoke_model_with_response_stream(modelId=model_id, body=json.dumps(body))
    return [json.loads(e["chunk"]["bytes"]) for e in read_all(response["body"])]


def sync_of(runtime: Any, model_id: str, body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    response = runtime.invoke_model(modelId=model_id, body=json.dumps(body))
    return json.loads(response["body"].read()), int(response["ResponseMetadata"]["HTTPHeaders"][
        "x-amzn-bedrock-output-token-count"])


def split_tag(text: str, tag: str) -> tuple[str, str]:
    """(reasoning, answer) of a text whose `<tag>...</tag>` spans are reasoning (any number of them)."""
    spans = re.findall(f"<{tag}>(.*?)</{tag}>", text, re.S)
    return "".join(spans), re.sub(f"<{tag}>.*?</{tag}>", "", text, flags=re.S)


def converse_reasoning(blocks: list[dict[str, Any]]) -> tuple[dict[str, Any], str]:
    reasoning = next(b["reasoningContent"]["reasoningText"] for b in blocks if "reasoningContent" in b)
    return reasoning, "".join(b["text"] for b in blocks if "text" in b)


def converse_stream_parts(runtime: Any, **request: Any) -> tuple[list[dict[str, Any]], str, list[str]]:
    """(reasoning deltas, answer text, event names) of one ConverseStream."""
    events = read_all(runtime.converse_stream(**request)["stream"])
    deltas = [e["contentBlockDelta"] for e in events if "contentBlockDelta" in e]
    reasoning = [d["delta"]["reasoningContent"] for d in deltas if "reasoningContent" in d["delta"]]
    answer = "".join(d["delta"].get("text", "") for d in deltas)
    return reasoning, answer, [next(iter(e)) for e in events]


CHAT = [{"role": "user", "content": QUESTION}]
CONVERSE_CHAT = [{"role": "user", "content": [{"text": QUESTION}]}]
GPT_OSS = "openai.gpt-oss-120b-1:0"
R1 = "us.deepseek.r1-v1:0"


def test_gpt_oss_writes_its_reasoning_in_tags_before_the_answer(runtime: Any) -> None:
    body, billed = sync_of(runtime, GPT_OSS, {"messages": CHAT, "max_completion_tokens": 600})
    assert body["object"] == "chat.completion" and body["model"] == GPT_OSS
    content = body["choices"][0]["message"]["content"]
    assert content.startswith("<reasoning>") and content.count("</reasoning>") == 1
    reasoning, answer = split_tag(content, "reasoning")
    assert reasoning and answer.startswith("(Emulated answer")
    assert body["usage"]["completion_tokens"] == billed == count_tokens(reasoning) + count_tokens(answer)
    assert body["choices"][0]["finish_reason"] in ("stop", "length")

    chunks = chunks_of(runtime, GPT_OSS, {"messages": CHAT, "max_completion_tokens": 600})
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant"}
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    pieces = [c["choices"][0]["delta"].get("content", "") for c in chunks]
    tagged = [p for p in pieces if p.startswith("<reasoning>")]
    assert len(tagged) > 1 and all(p.endswith("</reasoning>") for p in tagged)  # the reasoning, over many chunks
    assert split_tag("".join(pieces), "reasoning") == (reasoning, answer)  # same seed, same output as sync
    last = chunks[-1]
    assert last["choices"][0]["finish_reason"] == body["choices"][0]["finish_reason"]
    assert last["usage"]["completion_tokens"] == last["amazon-bedrock-invocationMetrics"]["outputTokenCount"]


def test_reasoning_grows_with_effort(runtime: Any) -> None:
    def gpt_oss(effort: str) -> int:
        body, _ = sync_of(runtime, GPT_OSS, {"messages": CHAT, "max_completion_tokens": 6000,
                                             "reasoning_effort": effort})
        return count_tokens(split_tag(body["choices"][0]["message"]["content"], "reasoning")[0])

    def claude(effort: str) -> int:
        body, _ = sync_of(runtime, "global.anthropic.claude-opus-4-8", {
            "anthropic_version": "bedrock-2023-05-31", "max_tokens": 20000, "messages": CHAT,
            "thinking": {"type": "adaptive", "display": "summarized"}, "output_config": {"effort": effort}})
        return int(body["usage"]["output_tokens_details"]["thinking_tokens"])

    def nova(effort: str) -> int:
        response = runtime.converse(
            modelId="us.amazon.nova-2-lite-v1:0", messages=CONVERSE_CHAT,
            additionalModelRequestFields={"reasoningConfig": {"type": "enabled", "maxReasoningEffort": effort}})
        answer = converse_reasoning(response["output"]["message"]["content"])[1]
        return int(response["usage"]["outputTokens"]) - count_tokens(answer)

    assert 0 < gpt_oss("low") < gpt_oss("medium") < gpt_oss("high")
    assert 0 < claude("low") < claude("medium") < claude("high") < claude("xhigh") < claude("max")
    assert 0 < nova("low") < nova("medium") < nova("high")


def test_gpt_oss_reasons_through_converse_as_reasoning_content(runtime: Any) -> None:
    request = {"modelId": GPT_OSS, "messages": CONVERSE_CHAT, "inferenceConfig": {"maxTokens": 600},
               "additionalModelRequestFields": {"reasoning_effort": "low"}}
    response = runtime.converse(**request)
    reasoning, answer = converse_reasoning(response["output"]["message"]["content"])
    assert reasoning["text"] and "signature" not in reasoning and answer.startswith("(Emulated answer")
    assert response["usage"]["outputTokens"] == count_tokens(reasoning["text"]) + count_tokens(answer)
    deltas, streamed, names = converse_stream_parts(runtime, **request)
    assert "".join(d["text"] for d in deltas) == reasoning["text"] and streamed == answer
    assert all(set(d) == {"text"} for d in deltas) and len(deltas) > 1
    assert names.count("contentBlockStop") == 2  # the reasoning block, then the text block


@pytest.mark.parametrize("opened", [False, True], ids=["model-opens-think", "prompt-opens-think"])
def test_deepseek_r1_thinks_in_think_tags_before_the_answer(runtime: Any, opened: bool) -> None:
    prompt = deepseek_prompt([("user", QUESTION)], "") + ("<think>\n" if opened else "")
    request = {"prompt": prompt, "max_tokens": 500}
    body, billed = sync_of(runtime, R1, request)
    text = body["choices"][0]["text"]
    assert text.startswith("<think>\n") != opened and text.count("\n</think>\n\n") == 1
    reasoning, answer = text.removeprefix("<think>\n").split("\n</think>\n\n")
    assert reasoning and answer.startswith("(Emulated answer")
    assert billed == count_tokens(reasoning) + count_tokens(answer)
    chunks = chunks_of(runtime, R1, request)
    assert "".join(c["choices"][0]["text"] for c in chunks) == text
    assert chunks[-1]["choices"][0]["stop_reason"] == body["choices"][0]["stop_reason"]
    assert chunks[-1]["amazon-bedrock-invocationMetrics"]["outputTokenCount"] == billed
    v3, _ = sync_of(runtime, "deepseek.v3-v1:0", request)
    assert "</think>" not in v3["choices"][0]["text"]  # V3.1 answers directly


def test_deepseek_r1_and_magistral_reason_through_converse(runtime: Any) -> None:
    for model_id in (R1, "mistral.magistral-small-2509"):
        request = {"modelId": model_id, "messages": CONVERSE_CHAT, "inferenceConfig": {"maxTokens": 500}}
        reasoning, answer = converse_reasoning(runtime.converse(**request)["output"]["message"]["content"])
        assert reasoning["text"] and answer.startswith("(Emulated answer")
        deltas, streamed, _ = converse_stream_parts(runtime, **request)
        assert "".join(d["text"] for d in deltas) == reasoning["text"] and streamed == answer
    magistral, _ = sync_of(runtime, "mistral.magistral-small-2509", {"messages": CHAT, "max_tokens": 500})
    assert magistral["choices"][0]["message"]["content"].startswith("(Emulated answer")  # none on InvokeModel


def test_nova_2_reasoning_is_redacted_but_billed(runtime: Any) -> None:
    model_id = "us.amazon.nova-2-lite-v1:0"
    request = {"messages": CONVERSE_CHAT, "inferenceConfig": {"maxTokens": 800, "reasoningConfig": {
        "type": "enabled", "maxReasoningEffort": "medium"}}}
    body, billed = sync_of(runtime, model_id, request)
    blocks = body["output"]["message"]["content"]
    assert blocks[0] == {"reasoningContent": {"reasoningText": {"text": "[REDACTED]"}}}
    assert body["usage"]["outputTokens"] == billed > count_tokens(blocks[1]["text"])
    chunks = chunks_of(runtime, model_id, request)
    reasoning = [c["contentBlockDelta"] for c in chunks if "reasoningContent" in c.get("contentBlockDelta", {}).get(
        "delta", {})]
    assert reasoning == [{"delta": {"reasoningContent": {"text": "[REDACTED]"}}, "contentBlockIndex": 0}]
    text = "".join(c["contentBlockDelta"]["delta"].get("text", "") for c in chunks if "contentBlockDelta" in c)
    assert text == blocks[1]["text"]
    converse = {"modelId": model_id, "messages": CONVERSE_CHAT, "inferenceConfig": {"maxTokens": 800},
                "additionalModelRequestFields": {"reasoningConfig": request["inferenceConfig"]["reasoningConfig"]}}
    assert converse_reasoning(runtime.converse(**converse)["output"]["message"]["content"])[0] == {
        "text": "[REDACTED]"}
    deltas, _, _ = converse_stream_parts(runtime, **converse)
    assert deltas == [{"text": "[REDACTED]"}]
    plain, _ = sync_of(runtime, model_id, {"messages": CONVERSE_CHAT, "inferenceConfig": {"maxTokens": 300}})
    assert "reasoningContent" not in plain["output"]["message"]["content"][0]  # thinking is off by default


def claude_body(**fields: Any) -> dict[str, Any]:
    return {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 8000, "messages": CHAT, **fields}


def test_adaptive_thinking_streams_thinking_deltas_then_one_signature(runtime: Any) -> None:
    chunks = chunks_of(runtime, "global.anthropic.claude-opus-4-8", claude_body(
        thinking={"type": "adaptive", "display": "summarized"}, output_config={"effort": "medium"}))
    starts = [c["content_block"] for c in chunks if c["type"] == "content_block_start"]
    assert starts[0] == {"type": "thinking", "thinking": "", "signature": ""} and starts[1]["type"] == "text"
    kinds = [c["delta"]["type"] for c in chunks if c["type"] == "content_block_delta" and c["index"] == 0]
    assert kinds[-1] == "signature_delta" and set(kinds[:-1]) == {"thinking_delta"} and len(kinds) > 2
    # Opus 4.8 thinks only when asked; Sonnet 4.6 shows its thinking by default, Opus 4.7 and later omit it.
    plain = chunks_of(runtime, "global.anthropic.claude-opus-4-8", claude_body())
    assert [c["content_block"]["type"] for c in plain if c["type"] == "content_block_start"] == ["text"]
    shown, _ = sync_of(runtime, "us.anthropic.claude-sonnet-4-6", claude_body(thinking={"type": "adaptive"}))
    assert shown["content"][0]["type"] == "thinking" and shown["content"][0]["thinking"]


@pytest.mark.parametrize("model_id", ["global.anthropic.claude-opus-5", "us.anthropic.claude-sonnet-5",
                                      "us.anthropic.claude-fable-5"])
def test_claude_5_thinks_by_default_and_omits_the_thinking_text(runtime: Any, model_id: str) -> None:
    body, billed = sync_of(runtime, model_id, claude_body())
    thinking, text = body["content"]
    assert thinking["type"] == "thinking" and thinking["thinking"] == "" and thinking["signature"]
    assert billed == body["usage"]["output_tokens"] > count_tokens(text["text"])  # billed, though not shown
    assert body["usage"]["output_tokens_details"]["thinking_tokens"] == billed - count_tokens(text["text"])
    chunks = chunks_of(runtime, model_id, claude_body())
    deltas = [c["delta"] for c in chunks if c["type"] == "content_block_delta" and c["index"] == 0]
    assert [d["type"] for d in deltas] == ["signature_delta"]  # no thinking deltas at all
    response = runtime.converse(modelId=model_id, messages=CONVERSE_CHAT, inferenceConfig={"maxTokens": 8000})
    reasoning, _ = converse_reasoning(response["output"]["message"]["content"])
    assert reasoning["text"] == "" and reasoning["signature"]
    deltas_c, _, _ = converse_stream_parts(runtime, modelId=model_id, messages=CONVERSE_CHAT,
                                           inferenceConfig={"maxTokens": 8000})
    assert len(deltas_c) == 1 and set(deltas_c[0]) == {"signature"}


def test_omitted_thinking_is_a_long_silence_before_the_signature(emulator: Any, control: Any) -> None:
    """The thinking still takes its time: the stream opens the block, says nothing, then signs and answers."""
    model_id = "anthropic.claude-opus-5"
    control.request("POST", "/_emulator/config", {"time_scale": 1})
    control.request("POST", "/_emulator/profiles", {"model_id": model_id, "ttft_ms": 5, "tokens_per_s": 20000,
                                                    "ttft_spread": 0, "rate_spread": 0})
    runtime = client_for(emulator.url)
    response = runtime.invoke_model_with_response_stream(
        modelId="global." + model_id, body=json.dumps(claude_body(output_config={"effort": "max"})))
    arrivals = []
    try:
        for event in response["body"]:  # timed as each event arrives, not after the whole stream
            arrivals.append((json.loads(event["chunk"]["bytes"]), time.perf_counter()))
    finally:
        response["body"].close()
    opened = next(at for c, at in arrivals if c["type"] == "content_block_start")
    signed_at = next(at for c, at in arrivals if c.get("delta", {}).get("type") == "signature_delta")
    billed = [c for c, _ in arrivals if c["type"] == "message_delta"][0]["usage"]["output_tokens"]
    first_text = next(at for c, at in arrivals if c.get("delta", {}).get("type") == "text_delta")
    assert billed > 3000  # max effort, max_tokens 8000: a thinking budget of 4,000 tokens
    assert signed_at - opened >= 0.5 * 3000 / 20000  # 3,000+ unseen tokens at 20,000 tok/s: >= 75 ms of silence
    assert first_text >= signed_at


def test_claude_stops_at_the_context_window_instead_of_refusing(runtime: Any) -> None:
    """Claude 4.5+: input + max_tokens past the window ends with model_context_window_exceeded, not a 400."""
    filler = "word " * 199_900  # an earlier turn fills the window, so the question is answered in the last 100
    messages = [{"role": "user", "content": filler}, {"role": "assistant", "content": "Noted."}, *CHAT]
    body, billed = sync_of(runtime, CASES[0].model_id, {"anthropic_version": "bedrock-2023-05-31",
                                                        "max_tokens": 64000, "messages": messages})
    assert body["stop_reason"] == "model_context_window_exceeded"
    assert body["usage"]["input_tokens"] + billed == 200_000
    converse = runtime.converse(modelId=CASES[0].model_id, inferenceConfig={"maxTokens": 64000}, messages=[
        {"role": m["role"], "content": [{"text": m["content"]}]} for m in messages])
    assert converse["stopReason"] == "model_context_window_exceeded"
    chunks = chunks_of(runtime, CASES[0].model_id, {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 64000,
                                                    "messages": messages})
    assert [c for c in chunks if c["type"] == "message_delta"][0]["delta"]["stop_reason"] == (
        "model_context_window_exceeded")


def test_writer_defaults_to_sixteen_tokens_as_its_page_says(runtime: Any) -> None:
    body, billed = sync_of(runtime, "us.writer.palmyra-x4-v1:0", {"messages": [
        {"role": "user", "content": {"text": QUESTION}}]})
    assert billed == 16 and body["choices"][0]["finish_reason"] == "length"
    assert body["choices"][0]["message"]["reasoning_content"] is None and body["prompt_logprobs"] is None
