"""Requests the real service would reject get Bedrock's errors: status, type and message."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

CLAUDE = "anthropic.claude-3-haiku-20240307-v1:0"


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
    (CLAUDE, claude(max_tokens=5000),
     "max_tokens: 5000 > 4096, which is the maximum allowed number of output tokens for claude-3-haiku-20240307"),
    (CLAUDE, claude(messages=[{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]),
     'roles must alternate between "user" and "assistant", but found multiple "user" roles in a row'),
    (CLAUDE, claude(messages=[{"role": "assistant", "content": "a"}]), 'first message must use the "user" role'),
    (CLAUDE, claude(stream=True), "#: extraneous key [stream] is not permitted"),
    (CLAUDE, claude(temperature=5), "#/temperature: 5 is not less or equal to 1"),
    (CLAUDE, claude(max_tokens="ten"), "#/max_tokens: expected type: Integer, found: String"),
    (CLAUDE, claude(thinking={"type": "enabled", "budget_tokens": 2000}), "#: extraneous key [thinking]"),
    ("amazon.titan-text-express-v1", {"inputText": "User: hi\nBot:", "system": "Be brief."},
     "#: extraneous key [system] is not permitted"),
    ("amazon.titan-text-express-v1", {"inputText": "hi", "textGenerationConfig": {"maxTokenCount": 9000}},
     "#/textGenerationConfig/maxTokenCount: 9000 is not less or equal to 8192"),
    ("meta.llama3-8b-instruct-v1:0", {"prompt": "word " * 9000}, "Input is too long for requested model."),
    ("meta.llama3-8b-instruct-v1:0", {"prompt": "hi", "max_gen_len": 0},
     "#/max_gen_len: 0 is not greater or equal to 1"),
    ("anthropic.claude-v2", {"prompt": "Hello", "max_tokens_to_sample": 10}, 'prompt must start with "\n\nHuman:"'),
    ("mistral.mistral-7b-instruct-v0:2", {"max_tokens": 10}, "#: required key [prompt] not found"),
    ("cohere.command-r-v1:0", {"message": "hi", "chat_history": [{"role": "BOT", "message": "x"}]}, "role"),
    ("ai21.jamba-1-5-mini-v1:0", {"messages": [{"role": "user", "content": "hi"}], "top_p": 2},
     "#/top_p: 2 is not less or equal to 1"),
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
    ({"modelId": "amazon.titan-text-express-v1", "system": [{"text": "Be brief."}]},
     "This model doesn't support system messages."),
    ({"modelId": CLAUDE, "inferenceConfig": {"maxTokens": 5000}},
     "The maximum tokens you requested exceeds the model limit of 4096."),
    ({"modelId": CLAUDE, "inferenceConfig": {"temperature": 5.0}},
     "Value '5.0' at 'inferenceConfig.temperature' failed to satisfy constraint: "
     "Member must have value less than or equal to 1"),
    ({"modelId": CLAUDE, "messages": [{"role": "assistant", "content": [{"text": "hi"}]}]},
     "A conversation must start with a user message."),
    ({"modelId": CLAUDE, "messages": [{"role": "user", "content": [{"text": "a"}]},
                                      {"role": "user", "content": [{"text": "b"}]}]},
     "A conversation must alternate between user and assistant roles."),
    ({"modelId": "meta.llama3-8b-instruct-v1:0", "messages": [{"role": "user", "content": [{"text": "w " * 9000}]}]},
     "The model returned the following errors: Input is too long for requested model."),
], ids=["titan-system", "max-tokens", "temperature", "first-role", "alternation", "context-window"])
def test_invalid_converse_requests_are_rejected(runtime: Any, kwargs: dict[str, Any], message: str) -> None:
    request = {"messages": [{"role": "user", "content": [{"text": "Hello"}]}], **kwargs}
    for call in (runtime.converse, runtime.converse_stream):
        error = rejected(call, **request)
        assert error.response["Error"]["Code"] == "ValidationException"
        assert message in error.response["Error"]["Message"]


@pytest.mark.parametrize("model_id", ["anthropic.claude-9-nonexistent-v1:0", "us.amazon.titan-text-express-v1",
                                      "arn:aws:bedrock:us-east-1::foundation-model/nope", "arn:aws:s3:::bucket/key",
                                      "arn:broken"])
def test_unknown_models_and_malformed_arns_are_invalid_identifiers(runtime: Any, model_id: str) -> None:
    error = rejected(runtime.invoke_model, modelId=model_id, body=json.dumps(claude()))
    assert error.response["Error"]["Code"] == "ValidationException"
    assert error.response["Error"]["Message"] == "The provided model identifier is invalid."


def test_profile_only_models_need_an_inference_profile(runtime: Any) -> None:
    model_id = "anthropic.claude-sonnet-4-20250514-v1:0"
    error = rejected(runtime.invoke_model, modelId=model_id, body=json.dumps(claude()))
    assert error.response["Error"]["Message"] == (
        f"Invocation of model ID {model_id} with on-demand throughput isn't supported. Retry your request with "
        "the ID or ARN of an inference profile that contains this model.")
    ok = runtime.invoke_model(modelId="global." + model_id, body=json.dumps(claude()))
    assert json.loads(ok["body"].read())["model"] == "claude-sonnet-4-20250514"


@pytest.mark.parametrize("model_id", [
    "us.anthropic.claude-3-haiku-20240307-v1:0", "eu.anthropic.claude-3-haiku-20240307-v1:0",
    "apac.anthropic.claude-3-haiku-20240307-v1:0", "global.anthropic.claude-3-haiku-20240307-v1:0",
    "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
    "arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.anthropic.claude-3-haiku-20240307-v1:0",
])
def test_profiles_and_arns_resolve_to_the_base_model(runtime: Any, model_id: str) -> None:
    body = json.loads(runtime.invoke_model(modelId=model_id, body=json.dumps(claude()))["body"].read())
    assert body["model"] == "claude-3-haiku-20240307"


def test_jurassic_refuses_to_stream_as_bedrock_does(runtime: Any) -> None:
    body = json.dumps({"prompt": "Hello", "maxTokens": 20})
    error = rejected(runtime.invoke_model_with_response_stream, modelId="ai21.j2-mid-v1", body=body)
    assert error.response["Error"]["Code"] == "ValidationException"
    assert error.response["Error"]["Message"] == "The model is unsupported for streaming."
    error = rejected(runtime.converse_stream, modelId="ai21.j2-ultra-v1",
                     messages=[{"role": "user", "content": [{"text": "Hello"}]}])
    assert error.response["Error"]["Message"] == "The model is unsupported for streaming."
    assert json.loads(runtime.invoke_model(modelId="ai21.j2-mid-v1", body=body)["body"].read())["completions"]


def test_thinking_rules_are_enforced(runtime: Any) -> None:
    model_id = "us.anthropic.claude-3-7-sonnet-20250219-v1:0"
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
    body = claude(system="Be brief.", messages=[{"role": "user", "content": "Explain event streams."}])
    counted = runtime.count_tokens(modelId=CLAUDE, input={"invokeModel": {"body": json.dumps(body)}})["inputTokens"]
    used = json.loads(runtime.invoke_model(modelId=CLAUDE, body=json.dumps(body))["body"].read())["usage"]
    assert counted == used["input_tokens"] > 0
    converse = {"messages": [{"role": "user", "content": [{"text": "Explain event streams."}]}],
                "system": [{"text": "Be brief."}]}
    counted = runtime.count_tokens(modelId=CLAUDE, input={"converse": converse})["inputTokens"]
    assert counted == runtime.converse(modelId=CLAUDE, **converse)["usage"]["inputTokens"]
    error = rejected(runtime.count_tokens, modelId="amazon.titan-text-express-v1",
                     input={"invokeModel": {"body": json.dumps({"inputText": "hi"})}})
    assert error.response["Error"]["Code"] == "ValidationException"
