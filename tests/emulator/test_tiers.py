"""Service tiers and latency-optimized inference over real HTTP: what was served is echoed by every API, the
quiet fallbacks when capacity runs out, the timing each mode gives, and Bedrock's refusals."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from core.emulator import models

from ..conftest import read_all

QUESTION = [{"role": "user", "content": [{"text": "How do queues smooth out bursts of traffic?"}]}]
OPENAI_BODY = {"messages": [{"role": "user", "content": "How do queues smooth out bursts of traffic?"}],
               "max_completion_tokens": 60}
NOVA_BODY = {"messages": QUESTION, "inferenceConfig": {"max_new_tokens": 60}}
CLAUDE_BODY = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 60,
               "messages": [{"role": "user", "content": "How do queues smooth out bursts of traffic?"}]}


def call_id(model: models.EmulatedModel) -> str:
    return model.model_id if model.on_demand else f"us.{model.model_id}"


def _pick(what: str, test: Callable[[models.EmulatedModel], bool]) -> models.EmulatedModel:
    for model in models.LISTED:
        if test(model) and (model.on_demand or "us" in model.profiles):
            return model
    raise LookupError(f"the emulator lists no {what}")


# Chosen from the emulator's own table by what they must be: a Chat Completions model with priority and flex
# (its InvokeModel body is the one above), the latency-optimized Nova, and a current Claude that takes neither.
TIERED = _pick("tiered gpt-oss", lambda m: m.family == "openai-chat" and "priority" in m.tiers)
OPTIMIZED = _pick("latency-optimized Nova", lambda m: m.family == "nova" and m.latency_optimized)
PLAIN = _pick("Claude without tiers", lambda m: m.family == "anthropic-messages" and not m.tiers
              and not m.latency_optimized and m.lifecycle.status == models.ACTIVE)


@pytest.fixture()
def serving(control: Any) -> Iterator[Any]:
    """The control endpoint, with the serving limits lifted before and after the test."""
    reset: dict[str, Any] = {"priority_capacity": None, "reserved_capacity": None, "optimized_quota": None,
                             "reserved_models": []}
    control.request("POST", "/_emulator/config", reset)
    yield control
    control.request("POST", "/_emulator/config", reset)


def converse(runtime: Any, model: models.EmulatedModel, **fields: Any) -> dict[str, Any]:
    """What a Converse response says was served."""
    response = runtime.converse(modelId=call_id(model), messages=QUESTION, inferenceConfig={"maxTokens": 60},
                                **fields)
    return {k: response[k] for k in ("serviceTier", "performanceConfig") if k in response}


def converse_stream(runtime: Any, model: models.EmulatedModel, **fields: Any) -> dict[str, Any]:
    """What a ConverseStream's metadata event says was served."""
    events = read_all(runtime.converse_stream(modelId=call_id(model), messages=QUESTION,
                                              inferenceConfig={"maxTokens": 60}, **fields)["stream"])
    metadata = next(e["metadata"] for e in events if "metadata" in e)
    return {k: metadata[k] for k in ("serviceTier", "performanceConfig") if k in metadata}


def _invoke_body(model: models.EmulatedModel) -> str:
    return json.dumps({"nova": NOVA_BODY, "anthropic-messages": CLAUDE_BODY}.get(model.family, OPENAI_BODY))


def _as_converse(response: dict[str, Any]) -> dict[str, Any]:
    """InvokeModel's served headers (botocore's `serviceTier` / `performanceConfigLatency`), in Converse's shape."""
    out: dict[str, Any] = {}
    if "serviceTier" in response:
        out["serviceTier"] = {"type": response["serviceTier"]}
    if "performanceConfigLatency" in response:
        out["performanceConfig"] = {"latency": response["performanceConfigLatency"]}
    return out


def invoke(runtime: Any, model: models.EmulatedModel, **fields: Any) -> dict[str, Any]:
    response = runtime.invoke_model(modelId=call_id(model), body=_invoke_body(model), **_headers(fields))
    response["body"].read()
    return _as_converse(response)


def invoke_stream(runtime: Any, model: models.EmulatedModel, **fields: Any) -> dict[str, Any]:
    response = runtime.invoke_model_with_response_stream(modelId=call_id(model), body=_invoke_body(model),
                                                         **_headers(fields))
    read_all(response["body"])
    return _as_converse(response)


def _headers(fields: dict[str, Any]) -> dict[str, Any]:
    """Converse's request members as InvokeModel's header arguments."""
    out = {}
    if "serviceTier" in fields:
        out["serviceTier"] = fields["serviceTier"]["type"]
    if "performanceConfig" in fields:
        out["performanceConfigLatency"] = fields["performanceConfig"]["latency"]
    return out


CALLS = [converse, converse_stream, invoke, invoke_stream]
CALL_IDS = ["converse", "converse_stream", "invoke", "invoke_stream"]


@pytest.mark.parametrize("call", CALLS, ids=CALL_IDS)
def test_every_api_says_which_tier_served_the_request(runtime: Any, serving: Any, call: Any) -> None:
    for tier in ("priority", "default", "flex"):
        assert call(runtime, TIERED, serviceTier={"type": tier}) == {"serviceTier": {"type": tier}}
    assert call(runtime, TIERED) == {}  # asked nothing, told nothing


@pytest.mark.parametrize("call", CALLS, ids=CALL_IDS)
def test_priority_falls_back_quietly_to_default_when_its_capacity_is_used_up(
        runtime: Any, serving: Any, call: Any) -> None:
    serving.request("POST", "/_emulator/config", {"priority_capacity": 1})
    assert call(runtime, TIERED, serviceTier={"type": "priority"}) == {"serviceTier": {"type": "priority"}}
    assert call(runtime, TIERED, serviceTier={"type": "priority"}) == {"serviceTier": {"type": "default"}}
    assert call(runtime, TIERED, serviceTier={"type": "flex"}) == {"serviceTier": {"type": "flex"}}
    serving.request("POST", "/_emulator/config", {"priority_capacity": None})
    assert call(runtime, TIERED, serviceTier={"type": "priority"}) == {"serviceTier": {"type": "priority"}}


@pytest.mark.parametrize("call", CALLS, ids=CALL_IDS)
def test_latency_optimized_is_echoed_and_served_standard_once_the_quota_is_used_up(
        runtime: Any, serving: Any, call: Any) -> None:
    optimized = {"performanceConfig": {"latency": "optimized"}}
    assert call(runtime, OPTIMIZED, **optimized) == optimized
    serving.request("POST", "/_emulator/config", {"optimized_quota": 0})
    assert call(runtime, OPTIMIZED, **optimized) == {"performanceConfig": {"latency": "standard"}}
    both = call(runtime, OPTIMIZED, serviceTier={"type": "flex"}, **optimized)  # the two knobs combine
    assert both == {"serviceTier": {"type": "flex"}, "performanceConfig": {"latency": "standard"}}


def test_reserved_needs_a_reservation_and_overflows_to_default(runtime: Any, serving: Any) -> None:
    with pytest.raises(runtime.exceptions.ValidationException, match="^.*: Reservation not found.$"):
        converse(runtime, TIERED, serviceTier={"type": "reserved"})
    status, body = serving.request("POST", "/_emulator/config", {"reserved_models": [call_id(TIERED)],
                                                                 "reserved_capacity": 1})
    assert status == 200 and body["reserved_models"] == [TIERED.model_id]
    assert converse(runtime, TIERED, serviceTier={"type": "reserved"}) == {"serviceTier": {"type": "reserved"}}
    assert invoke(runtime, TIERED, serviceTier={"type": "reserved"}) == {"serviceTier": {"type": "default"}}


@pytest.mark.parametrize(("model", "fields", "message"), [
    (TIERED, {"serviceTier": {"type": "standard"}}, "service tier provided is invalid"),
    (PLAIN, {"serviceTier": {"type": "priority"}}, "The provided service tier is not supported for this model"),
    (PLAIN, {"serviceTier": {"type": "flex"}}, "The provided service tier is not supported for this model"),
    (PLAIN, {"performanceConfig": {"latency": "optimized"}},
     "The provided model doesn't support latency optimized inference."),
    (OPTIMIZED, {"performanceConfig": {"latency": "turbo"}}, "failed to satisfy constraint: Member must satisfy "
                                                             "enum value set: [optimized, standard]"),
], ids=["unknown-tier", "priority-on-claude", "flex-on-claude", "optimized-on-claude", "unknown-latency"])
@pytest.mark.parametrize("call", [converse, converse_stream, invoke], ids=["converse", "converse_stream", "invoke"])
def test_unsupported_combinations_are_validation_errors_before_any_answer(
        runtime: Any, serving: Any, call: Any, model: models.EmulatedModel, fields: dict[str, Any],
        message: str) -> None:
    with pytest.raises(ClientError) as caught:
        call(runtime, model, **fields)
    error = caught.value.response["Error"]
    assert error["Code"] == "ValidationException" and message in error["Message"]
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


@pytest.mark.parametrize("call", CALLS, ids=CALL_IDS)
def test_the_default_tier_is_every_models(runtime: Any, call: Any) -> None:
    assert call(runtime, PLAIN, serviceTier={"type": "default"}) == {"serviceTier": {"type": "default"}}
    assert call(runtime, PLAIN, performanceConfig={"latency": "standard"}) == {
        "performanceConfig": {"latency": "standard"}}


def test_the_config_refuses_a_capacity_that_is_not_a_count(serving: Any) -> None:
    for bad in ({"priority_capacity": -1}, {"optimized_quota": "lots"}, {"reserved_models": ["no.such-model"]},
                {"cache_ttl_scale": 0}):
        status, body = serving.request("POST", "/_emulator/config", bad)
        assert status == 400, bad
    status, body = serving.request("GET", "/_emulator/config")
    assert body["priority_capacity"] is None and body["serving_effects"]["tiers"]["priority"]["rate"] > 1


# -- timing: what each mode does to the first token and the decode rate --------------------------------------------

def _timed(runtime: Any, model: models.EmulatedModel, **fields: Any) -> tuple[float, float]:
    """(TTFT ms, decode ms) as the emulator itself measured the stream (invocation metrics of the last chunk), from
    the better of two runs: the emulator sends at absolute deadlines, so a busy machine can only make one late."""
    runs = []
    for _ in range(2):
        response = runtime.invoke_model_with_response_stream(modelId=call_id(model), body=_invoke_body(model),
                                                             **_headers(fields))
        last = json.loads(read_all(response["body"])[-1]["chunk"]["bytes"])
        metrics = last["amazon-bedrock-invocationMetrics"]
        runs.append((metrics["firstByteLatency"], metrics["invocationLatency"] - metrics["firstByteLatency"]))
    return min(runs)  # the run whose first token came soonest: the one the machine disturbed least


@pytest.fixture()
def exact_profile(serving: Any) -> Callable[[models.EmulatedModel], None]:
    """Time scale 0.5 and a profile without spread or prefill, so ratios of timings are the modes' factors."""
    serving.request("POST", "/_emulator/config", {"time_scale": 0.5})

    def fix(model: models.EmulatedModel) -> None:
        status, _ = serving.request("POST", "/_emulator/profiles", {
            "model_id": model.model_id, "ttft_ms": 300, "tokens_per_s": 300, "chunk_tokens": [1, 1],
            "ttft_spread": 0, "rate_spread": 0, "prefill_ms_per_1k_tokens": 0})
        assert status == 200

    return fix


def test_priority_answers_sooner_and_faster_and_flex_later_and_slower(runtime: Any, exact_profile: Any) -> None:
    exact_profile(TIERED)
    ttft, decode = {}, {}
    for tier in ("default", "priority", "flex"):
        ttft[tier], decode[tier] = _timed(runtime, TIERED, serviceTier={"type": tier})
    assert 147 <= ttft["default"] <= 190  # 300 ms at time scale 0.5
    assert 0.75 <= ttft["priority"] / ttft["default"] <= 0.95  # somewhat sooner
    assert 1.35 <= ttft["flex"] / ttft["default"] <= 1.8  # served last
    assert 1.1 <= decode["default"] / decode["priority"] <= 1.4  # "up to 25% better OTPS"
    assert 0.65 <= decode["default"] / decode["flex"] <= 0.92


def test_optimized_latency_shortens_the_first_token_and_speeds_the_stream(runtime: Any, exact_profile: Any) -> None:
    exact_profile(OPTIMIZED)
    standard = _timed(runtime, OPTIMIZED, performanceConfig={"latency": "standard"})
    optimized = _timed(runtime, OPTIMIZED, performanceConfig={"latency": "optimized"})
    assert 0.7 <= optimized[0] / standard[0] <= 0.9
    assert 1.4 <= standard[1] / optimized[1] <= 2.5  # x1.65 modelled; a busy machine only slows a run
