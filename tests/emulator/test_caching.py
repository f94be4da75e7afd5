"""Prompt caching over real HTTP: cache points write a prefix and the same prefix reads it back, with Bedrock's
token counts (the input count leaves the cached tokens out), TTLs, a first token that comes sooner in proportion
to what was read from the cache, and Bedrock's refusals."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from core.emulator import models

from ..conftest import read_all

SENTENCE = "The quick brown fox jumps over the lazy dog while the careful cat watches from the wall. "


def document(sentences: int) -> str:
    """A long text that no other test sends: a unique first line, so its cache entries are its own."""
    return f"Reference {uuid.uuid4().hex}:\n" + SENTENCE * sentences


def call_id(model: models.EmulatedModel) -> str:
    return model.model_id if model.on_demand else f"us.{model.model_id}"


def _pick(what: str, test: Callable[[models.EmulatedModel], bool]) -> models.EmulatedModel:
    for model in models.LISTED:
        if test(model) and model.lifecycle.status == models.ACTIVE and (model.on_demand or "us" in model.profiles):
            return model
    raise LookupError(f"the emulator lists no {what}")


# From the emulator's table by what they must be (at ~18 tokens a sentence, 100 sentences clear 1,024 tokens).
CLAUDE = _pick("Claude with 1-hour caching from 1,024 tokens", lambda m: m.cache is not None and "1h" in m.cache.ttls
               and m.cache.min_tokens <= 1024 and m.family == "anthropic-messages"
               and not m.rules.thinking_default_on)
HIGH_FLOOR = _pick("Claude that caches from 4,096 tokens only",
                   lambda m: m.cache is not None and m.cache.min_tokens >= 4096 and m.family == "anthropic-messages")
NOVA = _pick("Nova with 5-minute caching only", lambda m: m.family == "nova" and m.cache is not None
             and m.cache.ttls == ("5m",))
NO_CACHE = _pick("model without caching", lambda m: m.cache is None and m.family == "llama3")
QUESTION = "What does the reference say about the cat?"


@pytest.fixture()
def cache(control: Any) -> Iterator[Any]:
    """The control endpoint, with an empty prompt cache and real-time TTLs before and after the test."""
    control.request("DELETE", "/_emulator/cache")
    control.request("POST", "/_emulator/config", {"cache_ttl_scale": 1})
    yield control
    control.request("DELETE", "/_emulator/cache")
    control.request("POST", "/_emulator/config", {"cache_ttl_scale": 1})


def point(ttl: str | None = None) -> dict[str, Any]:
    return {"cachePoint": {"type": "default", **({"ttl": ttl} if ttl else {})}}


def converse_usage(runtime: Any, model: models.EmulatedModel, system: list[dict[str, Any]],
                   content: list[dict[str, Any]], stream: bool = False) -> dict[str, Any]:
    request = {"modelId": call_id(model), "messages": [{"role": "user", "content": content}],
               "inferenceConfig": {"maxTokens": 30}, **({"system": system} if system else {})}
    if not stream:
        usage: dict[str, Any] = runtime.converse(**request)["usage"]
        return usage
    events = read_all(runtime.converse_stream(**request)["stream"])
    return next(e["metadata"]["usage"] for e in events if "metadata" in e)


@pytest.mark.parametrize("stream", [False, True], ids=["converse", "converse_stream"])
def test_converse_writes_a_cached_system_prompt_then_reads_it(runtime: Any, cache: Any, stream: bool) -> None:
    doc = document(200)
    question = [{"text": QUESTION}]
    plain = converse_usage(runtime, CLAUDE, [{"text": doc}], question, stream)
    assert "cacheReadInputTokens" not in plain  # no cache point, no cache fields
    first = converse_usage(runtime, CLAUDE, [{"text": doc}, point()], question, stream)
    second = converse_usage(runtime, CLAUDE, [{"text": doc}, point()], question, stream)
    written = first["cacheWriteInputTokens"]
    assert written > 3000 and first["cacheReadInputTokens"] == 0
    assert first["cacheDetails"] == [{"ttl": "5m", "inputTokens": written}]
    assert first["inputTokens"] == plain["inputTokens"] - written  # inputTokens is the uncached rest
    assert first["totalTokens"] == plain["inputTokens"] + first["outputTokens"]
    assert second["cacheReadInputTokens"] == written and second["cacheWriteInputTokens"] == 0
    assert second["inputTokens"] == first["inputTokens"] and "cacheDetails" not in second


def claude_body(system_text: str, ttl: str | None = None, question: str = QUESTION) -> dict[str, Any]:
    control = {"type": "ephemeral", **({"ttl": ttl} if ttl else {})}
    return {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 30,
            "system": [{"type": "text", "text": system_text, "cache_control": control}],
            "messages": [{"role": "user", "content": question}]}


def test_claude_invoke_reports_cache_tokens_in_the_body_and_the_headers(runtime: Any, cache: Any) -> None:
    body = json.dumps(claude_body(document(200), ttl="1h"))
    first = runtime.invoke_model(modelId=call_id(CLAUDE), body=body)
    usage = json.loads(first["body"].read())["usage"]
    written = usage["cache_creation_input_tokens"]
    assert written > 3000 and usage["cache_read_input_tokens"] == 0
    assert usage["cache_creation"] == {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": written}
    headers = first["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amzn-bedrock-input-token-count"] == str(usage["input_tokens"])  # cached tokens left out
    assert headers["x-amzn-bedrock-cache-write-input-token-count"] == str(written)
    second = runtime.invoke_model(modelId=call_id(CLAUDE), body=body)
    again = json.loads(second["body"].read())["usage"]
    assert again["cache_read_input_tokens"] == written and again["cache_creation_input_tokens"] == 0
    assert second["ResponseMetadata"]["HTTPHeaders"]["x-amzn-bedrock-cache-read-input-token-count"] == str(written)


def test_claude_stream_reports_cache_tokens_where_bedrock_does(runtime: Any, cache: Any) -> None:
    """message_start and message_stop carry the cache counts; the invocation metrics' input count leaves them
    out and has its own cache counts beside it (the under-billing of BerriAI/litellm#36878)."""
    body = json.dumps(claude_body(document(200)))
    chunks = []
    for _ in range(2):
        response = runtime.invoke_model_with_response_stream(modelId=call_id(CLAUDE), body=body)
        chunks.append([json.loads(e["chunk"]["bytes"]) for e in read_all(response["body"])])
    start, stop = chunks[0][0]["message"]["usage"], chunks[0][-1]
    written = start["cache_creation_input_tokens"]
    assert written > 3000 and start["cache_read_input_tokens"] == 0
    assert stop["type"] == "message_stop" and stop["usage"]["cache_creation_input_tokens"] == written
    metrics = stop["amazon-bedrock-invocationMetrics"]
    assert metrics["inputTokenCount"] == start["input_tokens"] < 20
    assert (metrics["cacheWriteInputTokenCount"], metrics["cacheReadInputTokenCount"]) == (written, 0)
    hit = chunks[1][-1]
    assert hit["usage"]["cache_read_input_tokens"] == written
    assert hit["amazon-bedrock-invocationMetrics"]["cacheReadInputTokenCount"] == written
    assert hit["amazon-bedrock-invocationMetrics"]["inputTokenCount"] == metrics["inputTokenCount"]


def test_the_same_prefix_is_one_cache_entry_for_converse_and_invoke(runtime: Any, cache: Any) -> None:
    doc = document(150)
    written = converse_usage(runtime, CLAUDE, [{"text": doc}, point()], [{"text": QUESTION}])["cacheWriteInputTokens"]
    response = runtime.invoke_model(modelId=call_id(CLAUDE), body=json.dumps(claude_body(doc)))
    assert json.loads(response["body"].read())["usage"]["cache_read_input_tokens"] == written


def test_mixed_ttls_bill_each_part_and_a_hit_reads_the_longest_cached_prefix(runtime: Any, cache: Any) -> None:
    """Anthropic's positions: A the cached prefix, B the last 1h point, C the last point; 1h writes B - A, 5m C - B."""
    system = [{"text": document(100)}, point("1h")]
    first = converse_usage(runtime, CLAUDE, system, [{"text": document(100)}, point("5m"), {"text": QUESTION}])
    long_part, short_part = (d["inputTokens"] for d in first["cacheDetails"])
    assert [d["ttl"] for d in first["cacheDetails"]] == ["1h", "5m"]  # botocore: "1h before 5m"
    assert long_part > 1500 and short_part > 1500 and first["cacheWriteInputTokens"] == long_part + short_part
    other = converse_usage(runtime, CLAUDE, system, [{"text": document(100)}, point("5m"), {"text": QUESTION}])
    assert other["cacheReadInputTokens"] == long_part  # the shared system prompt
    assert other["cacheDetails"] == [{"ttl": "5m", "inputTokens": other["cacheWriteInputTokens"]}]


def test_a_prefix_below_the_models_minimum_is_not_cached_and_not_refused(runtime: Any, cache: Any) -> None:
    assert HIGH_FLOOR.cache is not None
    doc = document(120)  # ~2,200 tokens: cacheable on most models, not on this one
    usages = [converse_usage(runtime, HIGH_FLOOR, [{"text": doc}, point()], [{"text": QUESTION}]) for _ in range(2)]
    for usage in usages:
        assert (usage["cacheReadInputTokens"], usage["cacheWriteInputTokens"]) == (0, 0)
        assert HIGH_FLOOR.cache.min_tokens > usage["inputTokens"] > 1500


def test_a_cache_buster_misses_and_deleting_the_cache_empties_it(runtime: Any, cache: Any) -> None:
    doc = document(100)

    def written(prefix: str = "") -> int:
        usage = converse_usage(runtime, CLAUDE, [{"text": prefix + doc}, point()], [{"text": QUESTION}])
        return int(usage["cacheWriteInputTokens"])

    assert written() > 0 and written() == 0  # the second reads
    assert written(f"run {uuid.uuid4().hex}\n") > 0  # a unique prefix: a fresh entry, as a benchmark needs
    status, listed = cache.request("GET", "/_emulator/cache")
    assert status == 200 and len(listed["entries"]) == 2 and doc[:40] not in json.dumps(listed)
    assert {e["model_id"] for e in listed["entries"]} == {CLAUDE.model_id}
    cache.request("DELETE", "/_emulator/cache")
    assert written() > 0


def test_entries_expire_after_their_ttl_and_a_one_hour_entry_outlives_a_five_minute_one(
        runtime: Any, cache: Any) -> None:
    cache.request("POST", "/_emulator/config", {"cache_ttl_scale": 0.001})  # 5 m = 0.3 s, 1 h = 3.6 s
    short, long = document(100), document(100)
    for doc, ttl in ((short, "5m"), (long, "1h")):
        assert converse_usage(runtime, CLAUDE, [{"text": doc}, point(ttl)], [{"text": QUESTION}])[
            "cacheWriteInputTokens"] > 0
    time.sleep(0.4)
    again_short = converse_usage(runtime, CLAUDE, [{"text": short}, point("5m")], [{"text": QUESTION}])
    again_long = converse_usage(runtime, CLAUDE, [{"text": long}, point("1h")], [{"text": QUESTION}])
    assert again_short["cacheReadInputTokens"] == 0 and again_short["cacheWriteInputTokens"] > 0
    assert again_long["cacheReadInputTokens"] > 0 and again_long["cacheWriteInputTokens"] == 0


def test_nova_invoke_takes_cache_points_and_counts_them(runtime: Any, cache: Any) -> None:
    body = json.dumps({"system": [{"text": document(100)}, point()],
                       "messages": [{"role": "user", "content": [{"text": QUESTION}]}],
                       "inferenceConfig": {"max_new_tokens": 30}})
    usages = [json.loads(runtime.invoke_model(modelId=call_id(NOVA), body=body)["body"].read())["usage"]
              for _ in range(2)]
    written = usages[0]["cacheWriteInputTokenCount"]
    assert written > 1000 and usages[0]["cacheReadInputTokenCount"] == 0
    assert usages[1]["cacheReadInputTokenCount"] == written and usages[1]["cacheWriteInputTokenCount"] == 0
    assert usages[0]["inputTokens"] == usages[1]["inputTokens"] < 20


def test_a_hit_shortens_the_first_token_in_proportion_to_the_cached_share(runtime: Any, cache: Any) -> None:
    """TTFT = ttft_ms + (prompt tokens not read from the cache) x prefill_ms_per_1k / 1000, times the time scale:
    cold, half-cached and fully cached requests of the same length each fall on that line. The emulator sends at
    absolute deadlines, so a first token is never early; a busy machine can only make it late."""
    scale, base_ms, prefill_ms = 0.5, 200, 200  # a base long enough for the answer to be written meanwhile
    cache.request("POST", "/_emulator/config", {"time_scale": scale})
    cache.request("POST", "/_emulator/profiles", {"model_id": CLAUDE.model_id, "ttft_ms": base_ms,
                                                  "tokens_per_s": 5000, "ttft_spread": 0, "rate_spread": 0,
                                                  "prefill_ms_per_1k_tokens": prefill_ms})
    system = document(110)

    def timed(question: str) -> tuple[float, float, int]:
        """(measured TTFT ms, the model's TTFT ms, tokens read from the cache), from the invocation metrics."""
        body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 10,
                "system": [{"type": "text", "text": system, "cache_control": {"type": "ephemeral"}}],
                "messages": [{"role": "user", "content": [
                    {"type": "text", "text": question, "cache_control": {"type": "ephemeral"}}]}]}
        response = runtime.invoke_model_with_response_stream(modelId=call_id(CLAUDE), body=json.dumps(body))
        metrics = json.loads(read_all(response["body"])[-1]["chunk"]["bytes"])["amazon-bedrock-invocationMetrics"]
        read = metrics["cacheReadInputTokenCount"]  # what is written is still read by the model: only reads skip it
        prompt_tokens = metrics["inputTokenCount"] + metrics["cacheWriteInputTokenCount"]
        return metrics["firstByteLatency"], scale * (base_ms + prompt_tokens * prefill_ms / 1000), read

    question = document(110)
    cold, warm = timed(question), timed(question)
    half = timed(document(110))  # the same system prompt, another document in the question
    for measured, expected, _ in (cold, warm, half):  # late by at most what a loaded 2-core machine adds
        assert expected - 3 <= measured <= expected + 150, (measured, expected)
    assert cold[2] == 0 and warm[2] > half[2] > 0
    assert cold[1] - half[1] > 150 and half[1] - warm[1] > 150  # each ~2,000 cached tokens save 200 ms here


@pytest.mark.parametrize(("model", "system", "content", "code", "message"), [
    (NO_CACHE, [], [{"text": QUESTION}, point()], "AccessDeniedException",
     "You invoked an unsupported model or your request did not allow prompt caching."),
    (CLAUDE, [{"text": "Be brief."}, {"cachePoint": {"type": "custom"}}], [{"text": QUESTION}],
     "ValidationException", "Value 'custom' at 'system.1.member.cachePoint.type' failed to satisfy constraint: "
                            "Member must satisfy enum value set: [default]"),
    (CLAUDE, [], [{"text": QUESTION}, point("2h")], "ValidationException",
     "Value '2h' at 'messages.0.member.content.1.member.cachePoint.ttl' failed to satisfy constraint: "
     "Member must satisfy enum value set: [5m, 1h]"),
    (NOVA, [], [{"text": QUESTION}, point("1h")], "ValidationException",
     "The provided model doesn't support the 1h cache TTL."),
    (CLAUDE, [], [block for n in range(5) for block in ({"text": f"part {n}"}, point())], "ValidationException",
     "A maximum of 4 blocks with cache_control may be provided. Found 5."),
    (CLAUDE, [{"text": "Be brief."}, point("5m")], [{"text": QUESTION}, point("1h")], "ValidationException",
     "a 1h cache point cannot follow a 5m one"),
], ids=["model-without-caching", "unknown-type", "unknown-ttl", "1h-on-nova", "five-points", "ttl-order"])
def test_unsupported_cache_points_are_refused_before_any_answer(
        runtime: Any, model: models.EmulatedModel, system: list[dict[str, Any]], content: list[dict[str, Any]],
        code: str, message: str) -> None:
    with pytest.raises(ClientError) as caught:
        converse_usage(runtime, model, system, content)
    error = caught.value.response["Error"]
    assert error["Code"] == code and message in error["Message"]
    status = caught.value.response["ResponseMetadata"]["HTTPStatusCode"]
    assert status == (403 if code == "AccessDeniedException" else 400)


@pytest.mark.parametrize(("control", "message"), [
    ({"type": "persistent"}, "messages.0.content.0.cache_control.type: Input should be 'ephemeral'"),
    ({"type": "ephemeral", "ttl": "10m"}, "messages.0.content.0.cache_control.ephemeral.ttl: Input should be "
                                          "'5m' or '1h'"),
])
def test_claude_invoke_refuses_a_malformed_cache_control(runtime: Any, control: dict[str, Any], message: str) -> None:
    body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 20, "messages": [
        {"role": "user", "content": [{"type": "text", "text": QUESTION, "cache_control": control}]}]}
    with pytest.raises(runtime.exceptions.ValidationException) as caught:
        runtime.invoke_model(modelId=call_id(CLAUDE), body=json.dumps(body))
    assert caught.value.response["Error"]["Message"] == message
