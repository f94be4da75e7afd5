"""Service tiers, latency-optimized inference and prompt caching on the client side: the wire fields each API
takes (botocore's bedrock-runtime model is the authority), what Bedrock says it served, the cache's token
counts, what they cost, and what the lab refuses before anything is sent."""

from __future__ import annotations

from typing import Any

import pytest

from core import catalog, converse, errors, validation
from core.providers import anthropic_messages, events_from_chunk
from core.types import CachePlan, ChatRequest, Message, Served, ServerMetrics, Usage

from .. import models

CLAUDE = models.CHAT  # Haiku 4.5: prompt caching (5 minutes or 1 hour); only the default tier; no latency mode
TIERED = models.TIERED  # priority and flex tiers, latency-optimized, caching (5 minutes)
PLAIN = models.PLAIN_SERVING  # none of them
TALK = (Message("user", "What is a cache point?"), Message("assistant", "A marker."), Message("user", "And a TTL?"))


def chat(**fields: Any) -> ChatRequest:
    return ChatRequest(TALK, system="Be brief.", max_tokens=100, **fields)


def test_converse_sends_the_tier_the_latency_mode_and_cache_points_where_the_service_model_puts_them() -> None:
    kwargs, _ = converse.build_request("m", chat(service_tier="priority", latency="optimized",
                                                 cache=CachePlan(ttl="1h")), takes_system=True)
    assert kwargs["serviceTier"] == {"type": "priority"}
    assert kwargs["performanceConfig"] == {"latency": "optimized"}
    assert kwargs["system"] == [{"text": "Be brief."}, {"cachePoint": {"type": "default", "ttl": "1h"}}]
    assert kwargs["messages"][-1]["content"] == [{"text": "And a TTL?"},
                                                 {"cachePoint": {"type": "default", "ttl": "1h"}}]
    assert all(len(m["content"]) == 1 for m in kwargs["messages"][:-1])  # one cache point, after the prefix
    plain, _ = converse.build_request("m", chat(cache=CachePlan(system=False)), takes_system=True)
    assert plain["system"] == [{"text": "Be brief."}]  # 5 minutes is Bedrock's default: no ttl is sent
    assert plain["messages"][-1]["content"][-1] == {"cachePoint": {"type": "default"}}
    assert "serviceTier" not in plain and "performanceConfig" not in plain  # nothing asked, nothing sent


def test_converse_reports_what_was_served_and_the_cached_input() -> None:
    metadata = {"metadata": {"usage": {"inputTokens": 12, "outputTokens": 30, "cacheReadInputTokens": 2048,
                                       "cacheWriteInputTokens": 0}, "metrics": {"latencyMs": 800},
                             "serviceTier": {"type": "default"}, "performanceConfig": {"latency": "standard"}}}
    events = converse.parse_event(metadata)
    assert Usage(12, 30, 2048, 0) in events and Served("default", "standard") in events
    response = {"output": {"message": {"content": [{"text": "Hi"}]}}, "stopReason": "end_turn",
                "usage": {"inputTokens": 5, "outputTokens": 1, "cacheWriteInputTokens": 1500},
                "serviceTier": {"type": "flex"}}
    completion, _, served = converse.parse_response(response)
    assert completion.cache_write_tokens == 1500 and completion.cache_read_tokens is None
    assert served == Served("flex", None)


def test_claude_invokemodel_marks_the_system_prompt_and_the_conversation_for_the_cache() -> None:
    body = anthropic_messages.build_request(chat(cache=CachePlan(ttl="1h"))).body
    assert body["system"] == [{"type": "text", "text": "Be brief.",
                               "cache_control": {"type": "ephemeral", "ttl": "1h"}}]
    turns: Any = body["messages"]
    assert turns[-1]["content"] == [{"type": "text", "text": "And a TTL?",
                                     "cache_control": {"type": "ephemeral", "ttl": "1h"}}]
    assert turns[0]["content"] == "What is a cache point?"  # only the end of the prefix is marked
    assert "cache_control" not in str(anthropic_messages.build_request(chat()).body)


def test_claude_stream_usage_and_bedrock_metrics_keep_the_cached_input_apart() -> None:
    start = {"type": "message_start", "message": {"usage": {"input_tokens": 20, "cache_read_input_tokens": 4096,
                                                            "cache_creation_input_tokens": 0, "output_tokens": 1}}}
    assert events_from_chunk("anthropic-messages", start) == [Usage(20, None, 4096, 0)]
    stop = {"type": "message_stop", "amazon-bedrock-invocationMetrics": {
        "inputTokenCount": 20, "outputTokenCount": 50, "invocationLatency": 900, "firstByteLatency": 300,
        "cacheReadInputTokenCount": 4096, "cacheWriteInputTokenCount": 0}}
    assert events_from_chunk("anthropic-messages", stop)[-1] == ServerMetrics(300.0, 900.0, 20, 50, 4096, 0)


def test_cost_prices_cached_input_tiers_and_global_profiles_from_the_table() -> None:
    regional = catalog.resolve(models.call_id(CLAUDE))
    input_usd, output_usd = regional.prices_per_1m_usd or (0.0, 0.0)
    family = regional.family
    assert family is not None
    plain = regional.cost_usd(10_000, 500)
    assert plain == pytest.approx((10_000 * input_usd + 500 * output_usd) / 1e6)
    read = regional.cost_usd(10_000, 500, cache_read_tokens=8_000)
    assert read == pytest.approx((2_000 * input_usd + 8_000 * input_usd * family.cache_read_price
                                  + 500 * output_usd) / 1e6)
    assert read is not None and plain is not None and read < plain
    written_1h = regional.cost_usd(10_000, 500, cache_write_tokens=8_000, cache_ttl="1h")
    written_5m = regional.cost_usd(10_000, 500, cache_write_tokens=8_000)
    assert written_1h is not None and written_5m is not None and written_1h > written_5m > plain
    tiers = catalog.table().tier_prices
    assert regional.cost_usd(10_000, 500, service_tier="priority") == pytest.approx(plain * tiers["priority"])
    assert regional.cost_usd(10_000, 500, service_tier="flex") == pytest.approx(plain * tiers["flex"])
    everywhere = catalog.resolve(f"global.{CLAUDE.base_id}")
    assert everywhere.prices_per_1m_usd != regional.prices_per_1m_usd  # global profiles are priced apart


@pytest.mark.parametrize(("model", "fields", "field", "words"), [
    (CLAUDE, {"service_tier": "priority"}, "service_tier", "is served in the default tier, not priority"),
    (TIERED, {"service_tier": "reserved"}, "service_tier", "is served in the default and priority and flex tiers"),
    (TIERED, {"cache": CachePlan(ttl="1h")}, "cache", "keeps its prompt cache for 5m, not 1h"),
    (CLAUDE, {"service_tier": "express"}, "service_tier", "service tier must be one of priority, default"),
    (CLAUDE, {"latency": "optimized"}, "latency", "has no latency-optimized inference"),
    (PLAIN, {"cache": CachePlan()}, "cache", "takes no prompt-cache"),
    (PLAIN, {"service_tier": "priority"}, "service_tier",
     "is served in the default tier, not priority"),
    (CLAUDE, {"cache": CachePlan(ttl="2h")}, "cache", "time to live must be one of 5m, 1h"),  # type: ignore[arg-type]
])
def test_what_the_model_does_not_offer_is_refused_before_anything_is_sent(model: catalog.Model, fields: dict[str, Any],
                                                                           field: str, words: str) -> None:
    with pytest.raises(errors.InvalidRequestError, match=words) as refused:
        validation.check(model, chat(**fields), "converse")
    assert refused.value.field == field


def test_what_the_model_offers_passes_and_a_model_the_table_does_not_know_is_left_to_bedrock() -> None:
    validation.check(TIERED, chat(service_tier="priority", cache=CachePlan(), latency="optimized"), "converse")
    validation.check(CLAUDE, chat(service_tier="default", cache=CachePlan(ttl="1h")), "converse")
    validation.check(catalog.resolve("acme.new-model-v1:0"), chat(service_tier="reserved", latency="optimized",
                                                                 cache=CachePlan()), "converse")


# -- through the run, against the emulator over HTTP ---------------------------------------------------------------

REASONERS = {  # a model per way of showing reasoning, asked with an effort, as requests call it
    "full": models.REASONING_TAG,  # gpt-oss: its reasoning text, in <reasoning> tags on InvokeModel
    "summarized": CLAUDE,  # Claude 4.5: a thinking budget; Claude summarizes its thinking
    "omitted": models.SILENT_REASONER,  # Nova 2: "[REDACTED]", billed
}


@pytest.mark.parametrize("api", ["invoke", "converse"])
@pytest.mark.parametrize("shown", list(REASONERS))
def test_the_record_times_reasoning_apart_from_the_first_answer_token(emulator: Any, shown: str, api: str) -> None:
    from core.streaming import RunRequest, start

    from ..conftest import client_for

    model = REASONERS[shown]
    effort = "low" if model.thinking == "budget" else "medium"
    chat_request = ChatRequest((Message("user", "Why is the sky blue?"),), max_tokens=2000,  # above Claude's budget
                               reasoning=catalog.reasoning_for(model, effort))
    run = start(RunRequest(models.call_id(model), chat_request, api=api), client=client_for(emulator.url))
    record = run.result()
    assert record.status == "ok" and record.text and record.effort is not None
    assert record.reasoning_shown == shown, (record.reasoning_text[:80], record.reasoning_shown)
    assert record.first_reasoning_ms is not None and record.ttft_ms is not None and record.reasoning_ms is not None
    assert record.first_event_ms <= record.first_reasoning_ms <= record.ttft_ms  # type: ignore[operator]
    assert record.reasoning_ms == pytest.approx(record.ttft_ms - record.first_reasoning_ms, abs=0.01)
    assert record.reasoning_text.strip() not in record.text  # reasoning kept out of the answer


def test_a_model_asked_nothing_about_reasoning_has_no_reasoning_figures(emulator: Any) -> None:
    from core.streaming import RunRequest, start

    from ..conftest import client_for

    record = start(RunRequest(models.call_id(CLAUDE), chat()), client=client_for(emulator.url)).result()
    assert record.first_reasoning_ms is None and record.reasoning_ms is None and record.reasoning_shown is None
    assert record.effort is None and record.service_tier is None and record.service_tier_served is None


@pytest.fixture()
def serving(control: Any) -> Any:
    """The emulator's control endpoint, with its capacities and cache back to normal afterwards."""
    control.request("DELETE", "/_emulator/cache")
    yield control
    control.request("POST", "/_emulator/config", {"priority_capacity": None, "optimized_quota": None})
    control.request("DELETE", "/_emulator/cache")


def run_record(emulator: Any, model: catalog.Model, api: str, stream: bool = True, **fields: Any) -> Any:
    from core.streaming import RunRequest, start

    from ..conftest import client_for

    run = start(RunRequest(models.call_id(model), chat(**fields), api=api, stream=stream),  # type: ignore[arg-type]
                client=client_for(emulator.url))
    return run.result()


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "sync"])
@pytest.mark.parametrize("api", ["invoke", "converse"])
def test_the_record_keeps_the_tier_asked_and_the_tier_served(emulator: Any, serving: Any, api: str,
                                                             stream: bool) -> None:
    asked = run_record(emulator, TIERED, api, stream, service_tier="priority", latency="optimized")
    assert (asked.service_tier, asked.service_tier_served) == ("priority", "priority")
    assert (asked.latency, asked.latency_served) == ("optimized", "optimized")
    assert "tier priority" in caption_of(asked) and "latency optimized" in caption_of(asked)
    # Bedrock quietly serves (and bills) the default when the priority capacity or the optimized quota runs out.
    serving.request("POST", "/_emulator/config", {"priority_capacity": 0, "optimized_quota": 0})
    fallen = run_record(emulator, TIERED, api, stream, service_tier="priority", latency="optimized")
    assert (fallen.service_tier, fallen.service_tier_served) == ("priority", "default")
    assert (fallen.latency, fallen.latency_served) == ("optimized", "standard")
    assert "tier default (asked priority)" in caption_of(fallen)
    assert fallen.cost_usd is not None and asked.cost_usd is not None
    tiers = catalog.table().tier_prices
    assert asked.cost_usd / tiers["priority"] == pytest.approx(fallen.cost_usd, rel=0.05)  # priced as served


def caption_of(record: Any) -> str:
    from core.metrics import caption

    return caption(record, catalog.PRICE_TABLE_DATE)


@pytest.mark.parametrize("api", ["invoke", "converse"])
def test_a_warm_cache_reads_the_prefix_the_cold_run_wrote_and_costs_less(emulator: Any, serving: Any,
                                                                         api: str) -> None:
    serving.request("POST", "/_emulator/config", {"time_scale": 1})
    serving.request("POST", "/_emulator/profiles", {"model_id": CLAUDE.base_id, "ttft_ms": 100, "ttft_spread": 0,
                                                    "prefill_ms_per_1k_tokens": 100})
    system = "You are a careful analyst. " + "Context: event streams carry framed messages. " * 900  # ~8k tokens
    fields = {"cache": CachePlan(conversation=False), "max_tokens": 10}
    from core.streaming import RunRequest, start

    from ..conftest import client_for

    def once() -> Any:
        request = ChatRequest((Message("user", "Summarize in one line."),), system=system, **fields)
        return start(RunRequest(models.call_id(CLAUDE), request, api=api),  # type: ignore[arg-type]
                     client=client_for(emulator.url)).result()

    cold, warm = once(), once()
    assert cold.cache_write_tokens and not cold.cache_read_tokens
    assert warm.cache_read_tokens == cold.cache_write_tokens and not warm.cache_write_tokens
    assert warm.input_tokens == cold.input_tokens  # the record counts the whole input, cached or not
    assert warm.ttft_ms < cold.ttft_ms - 400  # the prefill of ~7,000 cached tokens (0.7 s) is skipped
    assert warm.cost_usd is not None and cold.cost_usd is not None and warm.cost_usd < cold.cost_usd / 3
    assert "cache read" in caption_of(warm)


def test_bedrocks_refusal_of_a_cache_point_is_named_as_such_not_as_missing_access(emulator: Any) -> None:
    from core.streaming import RunRequest, start

    from ..conftest import client_for

    unknown = models.UNKNOWN_TO_TABLE  # not in the table: the lab leaves the verdict to Bedrock
    run = start(RunRequest(unknown, chat(cache=CachePlan()), api="converse"), client=client_for(emulator.url))
    with pytest.raises(errors.CacheNotSupportedError) as caught:
        run.result()
    assert caught.value.code == "AccessDeniedException" and "prompt caching" in caught.value.message
