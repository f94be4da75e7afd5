"""Requests the real service would reject get Bedrock's errors: status, type and message."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError

CLAUDE = "us.anthropic.claude-haiku-4-5-20251001-v1:0"


def claude(**overrides: Any) -> dict[str, Any]:
    body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 100,
            "messages": [{"role": "user", "content": "Hello there"}]}
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def rejected(call: Any, **kwargs: Any) -> ClientError:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value


@pytest.mark.parametrize(("model_id", "body", "message"), [
    (CLAUDE, claude(anthropic_version=None), "#: required key [anthropic_version] not found"),
    (CLAUDE, claude(max_tokens=70000),
     "max_tokens: 70000 > 64000, which is the maximum allowed number of output tokens for claude-haiku-4-5-20251001"),
    (CLAUDE, claude(messages=[{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]),
     'roles must alternate between "user" and "assistant", but found multiple "user" roles in a row'),
    (CLAUDE, claude(messages=[{"role": "assistant", "content": "a"}]), 'first message must use the "user" role'),
    (CLAUDE, claude(stream=True), "#: extraneous key [stream] is not permitted"),
    (CLAUDE, claude(temperature=5), "#/temperature: 5 is not less or equal to 1"),
    (CLAUDE, claude(max_tokens="ten"), "#/max_tokens: expected type: Integer, found: String"),
    ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", claude(output_config={"effort": "low"}),
     "#: extraneous key [output_config]"),  # Sonnet 4.5 has no effort parameter
    (CLAUDE, claude(anthropic_version="v2"), "Invalid API version: v2"),
    ("amazon.nova-micro-v1:0", {"messages": [{"role": "user", "content": [{"text": "hi"}]}],
                                "inferenceConfig": {"reasoningConfig": {"type": "enabled"}}},
     "#/inferenceConfig: extraneous key [reasoningConfig] is not permitted"),  # only Nova 2 reasons
    ("meta.llama3-1-8b-instruct-v1:0", {"prompt": "word " * 130_000}, "Input is too long for requested model."),
    ("meta.llama3-1-8b-instruct-v1:0", {"prompt": "hi", "max_gen_len": 0},
     "#/max_gen_len: 0 is not greater or equal to 1"),
    ("deepseek.v3-v1:0", {"max_tokens": 10}, "#: required key [prompt] not found"),
    ("deepseek.v3-v1:0", {"prompt": "hi", "stop": [str(n) for n in range(11)]},
     "#/stop: expected maximum item count: 10, found: 11"),
    ("cohere.command-r-v1:0", {"message": "hi", "chat_history": [{"role": "BOT", "message": "x"}]}, "role"),
    ("qwen.qwen3-32b-v1:0", {"messages": [{"role": "user", "content": "hi"}], "top_p": 2},
     "#/top_p: 2 is not less or equal to 1"),
    ("qwen.qwen3-32b-v1:0", {"messages": [{"role": "bot", "content": "hi"}]},
     "Invalid value: 'bot'. Supported values are: 'system', 'developer', 'user', 'assistant', and 'tool'."),
    ("openai.gpt-oss-20b-1:0", {"messages": [{"role": "user", "content": "hi"}], "stream": True},
     "`stream` must be false"),
    ("openai.gpt-oss-20b-1:0", {"messages": [{"role": "user", "content": "hi"}], "model": "gpt-4o"},
     "The model 'gpt-4o' in the request body does not match the model ID in the URL"),
    # Writer's own body (AWS "Writer Palmyra X5" page) is `messages`; a prompt-style body is refused by the schema.
    ("us.writer.palmyra-x5-v1:0", {"prompt": "Hello", "max_tokens": 10},
     "#: required key [messages] not found#: extraneous key [prompt] is not permitted"),
    ("us.writer.palmyra-x4-v1:0", {"messages": [{"role": "user", "content": {"text": "hi"}}], "max_tokens": 9000},
     "#/max_tokens: 9000 is not less or equal to 8192"),
], ids=lambda v: v[:40] if isinstance(v, str) else None)
def test_invalid_invoke_bodies_get_a_validation_exception_in_bedrocks_words(
        runtime: Any, model_id: str, body: dict[str, Any], message: str) -> None:
    error = rejected(runtime.invoke_model, modelId=model_id, body=json.dumps(body))
    assert error.response["Error"]["Code"] == "ValidationException"
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert message in error.response["Error"]["Message"]
    schema_problem = message.startswith("#")
    assert error.response["Error"]["Message"].startswith("Malformed input request: ") == schema_problem


def test_several_schema_problems_are_reported_together(runtime: Any) -> None:
    error = rejected(runtime.invoke_model, modelId=CLAUDE, body=json.dumps({"model": "x", "stream": True}))
    assert error.response["Error"]["Message"] == (
        "Malformed input request: #: required key [anthropic_version] not found#: required key [max_tokens] not "
        "found#: required key [messages] not found#: extraneous key [model] is not permitted#: extraneous key "
        "[stream] is not permitted, please reformat your input and try again.")


def test_a_body_that_is_not_json_is_rejected(runtime: Any) -> None:
    error = rejected(runtime.invoke_model, modelId=CLAUDE, body=b"{not json")
    assert error.response["Error"]["Code"] == "ValidationException"
    assert "Malformed input request" in error.response["Error"]["Message"]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"modelId": "ai21.j2-mid-v1", "system": [{"text": "Be brief."}]},
     "This model doesn't support system messages."),
    ({"modelId": CLAUDE, "inferenceConfig": {"maxTokens": 70000}},
     "The maximum tokens you requested exceeds the model limit of 64000."),
    ({"modelId": CLAUDE, "inferenceConfig": {"temperature": 5.0}},
     "Value '5.0' at 'inferenceConfig.temperature' failed to satisfy constraint: "
     "Member must have value less than or equal to 1"),
    ({"modelId": CLAUDE, "messages": [{"role": "assistant", "content": [{"text": "hi"}]}]},
     "A conversation must start with a user message."),
    ({"modelId": CLAUDE, "messages": [{"role": "user", "content": [{"text": "a"}]},
                                      {"role": "user", "content": [{"text": "b"}]}]},
     "A conversation must alternate between user and assistant roles."),
    ({"modelId": "meta.llama3-1-8b-instruct-v1:0",
      "messages": [{"role": "user", "content": [{"text": "w " * 130_000}]}]},
     "The model returned the following errors: Input is too long for requested model."),
], ids=["system", "max-tokens", "temperature", "first-role", "alternation", "context-window"])
def test_invalid_converse_requests_are_rejected(runtime: Any, kwargs: dict[str, Any], message: str) -> None:
    request = {"messages": [{"role": "user", "content": [{"text": "Hello"}]}], **kwargs}
    streams = kwargs["modelId"] != "ai21.j2-mid-v1"  # the one model without a system prompt does not stream either
    for call in (runtime.converse, runtime.converse_stream) if streams else (runtime.converse,):
        error = rejected(call, **request)
        assert error.response["Error"]["Code"] == "ValidationException"
        assert message in error.response["Error"]["Message"]


@pytest.mark.parametrize("model_id", ["anthropic.claude-9-nonexistent-v1:0", "us.amazon.titan-text-express-v1",
                                      "eu.anthropic.claude-fable-5", "jp.anthropic.claude-opus-4-8",
                                      "apac.openai.gpt-oss-120b-1:0",
                                      "arn:aws:bedrock:us-east-1::foundation-model/nope", "arn:aws:s3:::bucket/key",
                                      "arn:broken"])
def test_unknown_models_and_malformed_arns_are_invalid_identifiers(runtime: Any, model_id: str) -> None:
    error = rejected(runtime.invoke_model, modelId=model_id, body=json.dumps(claude()))
    assert error.response["Error"]["Code"] == "ValidationException"
    assert error.response["Error"]["Message"] == "The provided model identifier is invalid."


def test_profile_only_models_need_an_inference_profile(runtime: Any) -> None:
    model_id = "anthropic.claude-sonnet-4-6"
    error = rejected(runtime.invoke_model, modelId=model_id, body=json.dumps(claude()))
    assert error.response["Error"]["Message"] == (
        f"Invocation of model ID {model_id} with on-demand throughput isn't supported. Retry your request with "
        "the ID or ARN of an inference profile that contains this model.")
    ok = runtime.invoke_model(modelId="global." + model_id, body=json.dumps(claude()))
    assert json.loads(ok["body"].read())["model"] == "claude-sonnet-4-6"


@pytest.mark.parametrize("model_id", [
    "us.anthropic.claude-haiku-4-5-20251001-v1:0", "eu.anthropic.claude-haiku-4-5-20251001-v1:0",
    "apac.anthropic.claude-haiku-4-5-20251001-v1:0", "jp.anthropic.claude-haiku-4-5-20251001-v1:0",
    "global.anthropic.claude-haiku-4-5-20251001-v1:0",
    "arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.anthropic.claude-haiku-4-5-20251001-v1:0",
    "arn:aws:bedrock:us-east-1:123456789012:inference-profile/global.anthropic.claude-haiku-4-5-20251001-v1:0",
])
def test_profiles_and_arns_resolve_to_the_base_model(runtime: Any, model_id: str) -> None:
    body = json.loads(runtime.invoke_model(modelId=model_id, body=json.dumps(claude()))["body"].read())
    assert body["model"] == "claude-haiku-4-5-20251001"


def test_jurassic_refuses_to_stream_as_bedrock_does(runtime: Any) -> None:
    body = json.dumps({"prompt": "Hello", "maxTokens": 20})
    error = rejected(runtime.invoke_model_with_response_stream, modelId="ai21.j2-mid-v1", body=body)
    assert error.response["Error"]["Code"] == "ValidationException"
    assert error.response["Error"]["Message"] == "The model is unsupported for streaming."
    error = rejected(runtime.converse_stream, modelId="ai21.j2-mid-v1",
                     messages=[{"role": "user", "content": [{"text": "Hello"}]}])
    assert error.response["Error"]["Message"] == "The model is unsupported for streaming."
    assert json.loads(runtime.invoke_model(modelId="ai21.j2-mid-v1", body=body)["body"].read())["completions"]


def test_thinking_rules_are_enforced(runtime: Any) -> None:
    model_id = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
    cases = [
        (claude(max_tokens=3000, thinking={"type": "enabled", "budget_tokens": 500}), "greater than or equal to 1024"),
        (claude(max_tokens=1500, thinking={"type": "enabled", "budget_tokens": 2000}), "`max_tokens` must be greater"),
        (claude(max_tokens=3000, temperature=0.2, thinking={"type": "enabled", "budget_tokens": 1024}),
         "`temperature` may only be set to 1"),
    ]
    for body, message in cases:
        assert message in rejected(runtime.invoke_model, modelId=model_id,
                                   body=json.dumps(body)).response["Error"]["Message"]


def test_count_tokens_agrees_with_the_input_tokens_of_a_real_call(runtime: Any) -> None:
    bare = CLAUDE.removeprefix("us.")  # CountTokens takes the bare id, the call itself needs the profile
    body = claude(system="Be brief.", messages=[{"role": "user", "content": "Explain event streams."}])
    counted = runtime.count_tokens(modelId=bare, input={"invokeModel": {"body": json.dumps(body)}})["inputTokens"]
    used = json.loads(runtime.invoke_model(modelId=CLAUDE, body=json.dumps(body))["body"].read())["usage"]
    assert counted == used["input_tokens"] > 0
    converse = {"messages": [{"role": "user", "content": [{"text": "Explain event streams."}]}],
                "system": [{"text": "Be brief."}]}
    counted = runtime.count_tokens(modelId=bare, input={"converse": converse})["inputTokens"]
    assert counted == runtime.converse(modelId=CLAUDE, **converse)["usage"]["inputTokens"]
    for model_id in ("amazon.nova-micro-v1:0", CLAUDE, "anthropic.claude-opus-4-8"):
        error = rejected(runtime.count_tokens, modelId=model_id, input={"converse": converse})
        assert error.response["Error"]["Message"] == "The provided model doesn't support counting tokens."


# -- the request rules of December 2026, on both APIs, sync and stream ---------------------------------------------

QUESTION = [{"role": "user", "content": "Hello there"}]
CONVERSE_QUESTION = [{"role": "user", "content": [{"text": "Hello there"}]}]


@dataclass(frozen=True)
class Rule:
    """One refused request, written for InvokeModel and for Converse, and the words Bedrock answers it with."""

    model_id: str
    invoke: dict[str, Any]  # the InvokeModel body
    converse: dict[str, Any]  # Converse keyword arguments besides modelId and messages
    message: str  # the model's own words; Converse prefixes "The model returned the following errors: "
    name: str


def _claude_rule(model_id: str, name: str, message: str, converse: dict[str, Any], **body: Any) -> Rule:
    return Rule(model_id, claude(max_tokens=4000, **body), {"inferenceConfig": {"maxTokens": 4000}, **converse},
                message, name)


BOTH = "`temperature` and `top_p` cannot both be specified for this model. Please use only one."
ENABLED = ('"thinking.type.enabled" is not supported for this model. Use "thinking.type.adaptive" and '
           '"output_config.effort" to control thinking behavior.')
PREFILL = "This model does not support assistant message prefill. The conversation must end with a user message."
NOVA_HIGH = ("Malformed input request: temperature, topP and maxTokens must not be set when maxReasoningEffort is "
             "high, please reformat your input and try again.")
NOVA_INVALID = ("Malformed input request: the provided reasoning config value is invalid, please reformat your input "
                "and try again.")
ENABLED_THINKING = {"type": "enabled", "budget_tokens": 2000}
DISABLED = {"type": "disabled"}
HIGH = {"type": "enabled", "maxReasoningEffort": "high"}

RULES = [
    _claude_rule(CLAUDE, "haiku-4.5-both-samplers", BOTH, {"inferenceConfig": {"maxTokens": 4000, "temperature": 0.5,
                                                                               "topP": 0.9}},
                 temperature=0.5, top_p=0.9),
    _claude_rule("global.anthropic.claude-sonnet-4-6", "sonnet-4.6-both-samplers", BOTH,
                 {"inferenceConfig": {"maxTokens": 4000, "temperature": 0.2, "topP": 0.5}}, temperature=0.2, top_p=0.5),
    _claude_rule("global.anthropic.claude-opus-4-7", "opus-4.7-temperature",
                 "`temperature` is deprecated for this model.",
                 {"inferenceConfig": {"maxTokens": 4000, "temperature": 0.5}}, temperature=0.5),
    _claude_rule("us.anthropic.claude-sonnet-5", "sonnet-5-top-p", "`top_p` is deprecated for this model.",
                 {"inferenceConfig": {"maxTokens": 4000, "topP": 0.9}}, top_p=0.9),
    _claude_rule("global.anthropic.claude-fable-5", "fable-5-top-k", "`top_k` is deprecated for this model.",
                 {"additionalModelRequestFields": {"top_k": 5}}, top_k=5),
    _claude_rule("global.anthropic.claude-opus-4-8", "opus-4.8-budget", ENABLED,
                 {"additionalModelRequestFields": {"thinking": ENABLED_THINKING}}, thinking=ENABLED_THINKING),
    _claude_rule("eu.anthropic.claude-opus-5", "opus-5-budget", ENABLED,
                 {"additionalModelRequestFields": {"thinking": ENABLED_THINKING}}, thinking=ENABLED_THINKING),
    _claude_rule(CLAUDE, "haiku-4.5-adaptive", "adaptive thinking is not supported on this model",
                 {"additionalModelRequestFields": {"thinking": {"type": "adaptive"}}}, thinking={"type": "adaptive"}),
    _claude_rule("global.anthropic.claude-opus-4-8", "opus-4.8-xhigh-without-thinking",
                 "output_config.effort 'xhigh' is not supported when thinking is disabled on this model. "
                 "Use effort 'high' or below, or enable thinking.",
                 {"outputConfig": {"effort": "xhigh"}}, output_config={"effort": "xhigh"}),
    _claude_rule("global.anthropic.claude-opus-5", "opus-5-max-thinking-disabled",
                 "output_config.effort 'max' is not supported when thinking is disabled on this model. "
                 "Use effort 'high' or below, or enable thinking.",
                 {"outputConfig": {"effort": "max"}, "additionalModelRequestFields": {"thinking": DISABLED}},
                 output_config={"effort": "max"}, thinking=DISABLED),
    _claude_rule("global.anthropic.claude-opus-4-6-v1", "opus-4.6-xhigh",
                 "output_config.effort: Input should be 'low', 'medium', 'high' or 'max'",
                 {"outputConfig": {"effort": "xhigh"}}, output_config={"effort": "xhigh"}),
    Rule("us.anthropic.claude-fable-5", claude(messages=[*QUESTION, {"role": "assistant", "content": "Sure,"}]),
         {"messages": [*CONVERSE_QUESTION, {"role": "assistant", "content": [{"text": "Sure,"}]}]}, PREFILL,
         "fable-5-prefill"),
    Rule("us.amazon.nova-2-lite-v1:0",
         {"messages": CONVERSE_QUESTION, "inferenceConfig": {"temperature": 0.3, "reasoningConfig": HIGH}},
         {"inferenceConfig": {"temperature": 0.3}, "additionalModelRequestFields": {"reasoningConfig": HIGH}},
         NOVA_HIGH, "nova-2-high-temperature"),
    Rule("global.amazon.nova-2-lite-v1:0",
         {"messages": CONVERSE_QUESTION, "inferenceConfig": {"maxTokens": 500, "reasoningConfig": HIGH}},
         {"inferenceConfig": {"maxTokens": 500}, "additionalModelRequestFields": {"reasoningConfig": HIGH}},
         NOVA_HIGH, "nova-2-high-max-tokens"),
    Rule("us.amazon.nova-2-lite-v1:0",
         {"messages": CONVERSE_QUESTION, "inferenceConfig": {"reasoningConfig": {"type": "enabled",
                                                                                "maxReasoningEffort": "huge"}}},
         {"additionalModelRequestFields": {"reasoningConfig": {"type": "enabled", "maxReasoningEffort": "huge"}}},
         NOVA_INVALID, "nova-2-unknown-effort"),
    Rule("openai.gpt-oss-120b-1:0", {"messages": QUESTION, "reasoning_effort": "extreme"},
         {"additionalModelRequestFields": {"reasoning_effort": "extreme"}},
         "Invalid value: 'extreme'. Supported values are: 'low', 'medium' or 'high'.", "gpt-oss-effort"),
    Rule("qwen.qwen3-235b-a22b-2507-v1:0", {"messages": QUESTION, "reasoning_effort": "low"},
         {"additionalModelRequestFields": {"reasoning_effort": "low"}}, "Unknown parameter: 'reasoning_effort'",
         "qwen-effort"),
    # GPT-5.6 and later take `reasoning.effort` and refuse gpt-oss's flat field (bedrock-2026.md).
    Rule("openai.gpt-5.6-sol", {"messages": QUESTION, "reasoning_effort": "high"},
         {"additionalModelRequestFields": {"reasoning_effort": "high"}}, "Unknown parameter: 'reasoning_effort'",
         "gpt-5.6-flat-effort"),
    Rule("openai.gpt-5.6-sol", {"messages": QUESTION, "reasoning": {"effort": "max"}},
         {"additionalModelRequestFields": {"reasoning": {"effort": "max"}}},
         "Invalid value: 'max'. Supported values are: 'low', 'medium', 'high' or 'xhigh'.", "gpt-5.6-effort"),
]


def _converse_request(rule: Rule) -> dict[str, Any]:
    return {"modelId": rule.model_id, "messages": CONVERSE_QUESTION, **rule.converse}


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
@pytest.mark.parametrize("operation", ["invoke_model", "invoke_model_with_response_stream"])
def test_invoke_refuses_what_the_model_refuses_in_its_words(runtime: Any, rule: Rule, operation: str) -> None:
    error = rejected(getattr(runtime, operation), modelId=rule.model_id, body=json.dumps(rule.invoke))
    assert error.response["Error"]["Code"] == "ValidationException"
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error.response["Error"]["Message"] == rule.message


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
@pytest.mark.parametrize("operation", ["converse", "converse_stream"])
def test_converse_refuses_the_same_with_bedrocks_wrapper(runtime: Any, rule: Rule, operation: str) -> None:
    error = rejected(getattr(runtime, operation), **_converse_request(rule))
    assert error.response["Error"]["Code"] == "ValidationException"
    assert error.response["Error"]["Message"] == "The model returned the following errors: " + rule.message


ACCEPTED = [
    ("haiku-4.5-one-sampler", CLAUDE, claude(temperature=0.3), {"inferenceConfig": {"temperature": 0.3}}),
    ("opus-4.7-default-temperature", "global.anthropic.claude-opus-4-7", claude(temperature=1),
     {"inferenceConfig": {"temperature": 1.0}}),
    ("opus-4.7-xhigh-without-thinking", "global.anthropic.claude-opus-4-7", claude(output_config={"effort": "xhigh"}),
     {"outputConfig": {"effort": "xhigh"}}),
    ("opus-4.6-budget", "global.anthropic.claude-opus-4-6-v1",
     claude(max_tokens=4000, thinking=ENABLED_THINKING),
     {"inferenceConfig": {"maxTokens": 4000}, "additionalModelRequestFields": {"thinking": ENABLED_THINKING}}),
    ("opus-5-max-adaptive", "global.anthropic.claude-opus-5",
     claude(max_tokens=4000, thinking={"type": "adaptive"}, output_config={"effort": "max"}),
     {"inferenceConfig": {"maxTokens": 4000}, "outputConfig": {"effort": "max"},
      "additionalModelRequestFields": {"thinking": {"type": "adaptive"}}}),
    ("opus-5-high-thinking-disabled", "global.anthropic.claude-opus-5",
     claude(thinking=DISABLED, output_config={"effort": "high"}),
     {"outputConfig": {"effort": "high"}, "additionalModelRequestFields": {"thinking": DISABLED}}),
    ("haiku-4.5-prefill", CLAUDE, claude(messages=[*QUESTION, {"role": "assistant", "content": "Sure,"}]),
     {"messages": [*CONVERSE_QUESTION, {"role": "assistant", "content": [{"text": "Sure,"}]}]}),
    ("nova-2-high-unset", "us.amazon.nova-2-lite-v1:0",
     {"messages": CONVERSE_QUESTION, "inferenceConfig": {"reasoningConfig": HIGH}},
     {"additionalModelRequestFields": {"reasoningConfig": HIGH}}),
    ("nova-2-low-with-sampling", "us.amazon.nova-2-lite-v1:0",
     {"messages": CONVERSE_QUESTION, "inferenceConfig": {"maxTokens": 300, "temperature": 0.2,
                                                         "reasoningConfig": {"type": "enabled",
                                                                             "maxReasoningEffort": "low"}}},
     {"inferenceConfig": {"maxTokens": 300, "temperature": 0.2},
      "additionalModelRequestFields": {"reasoningConfig": {"type": "enabled", "maxReasoningEffort": "low"}}}),
    ("anthropic-sdk-version", CLAUDE, claude(anthropic_version="2026-10-21"), {}),
    ("dated-version", CLAUDE, claude(anthropic_version="2023-06-01"), {}),
]


@pytest.mark.parametrize(("model_id", "body", "converse"), [a[1:] for a in ACCEPTED], ids=[a[0] for a in ACCEPTED])
def test_what_the_rules_allow_is_answered_on_both_apis(runtime: Any, model_id: str, body: dict[str, Any],
                                                       converse: dict[str, Any]) -> None:
    answer = json.loads(runtime.invoke_model(modelId=model_id, body=json.dumps(body))["body"].read())
    assert answer.get("content") or answer.get("output")
    request = {"modelId": model_id, "messages": CONVERSE_QUESTION, **converse}
    assert runtime.converse(**request)["output"]["message"]["content"]


def test_nova_1_refuses_a_reasoning_config_through_converse(runtime: Any) -> None:
    error = rejected(runtime.converse, modelId="amazon.nova-pro-v1:0", messages=CONVERSE_QUESTION,
                     additionalModelRequestFields={"reasoningConfig": {"type": "enabled", "maxReasoningEffort": "low"}})
    assert error.response["Error"]["Message"] == "The model returned the following errors: " + NOVA_INVALID
