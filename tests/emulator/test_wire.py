"""The bytes on the wire, read without boto3: headers, event-stream framing, padding, error headers."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from contextlib import closing
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.eventstream import EventStreamBuffer

from ..conftest import read_all

CLAUDE = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
SIGNED = {"Authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/eu-west-1/bedrock/aws4_request, "
                           "SignedHeaders=host;x-amz-date, Signature=0000"}
BODY = json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 40,
                   "messages": [{"role": "user", "content": "Hello"}]}).encode()


def post(url: str, headers: dict[str, str] | None = None, body: bytes = BODY) -> tuple[int, Any, bytes]:
    """Status, headers (case-insensitive, as HTTP says) and body of one raw POST."""
    request = urllib.request.Request(url, data=body, method="POST", headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def test_stream_framing_headers_and_padding(emulator: Any) -> None:
    status, headers, raw = post(f"{emulator.url}/model/{quote(CLAUDE, safe='')}/invoke-with-response-stream",
                                {**SIGNED, "X-Amzn-Bedrock-Accept": "application/json"})
    assert status == 200
    assert headers["Content-Type"] == "application/vnd.amazon.eventstream"
    assert headers["X-Amzn-Bedrock-Content-Type"] == "application/json"
    assert headers["Transfer-Encoding"] == "chunked" and headers["x-amzn-RequestId"]
    buffer = EventStreamBuffer()
    buffer.add_data(raw)  # checks both CRCs and every length
    messages = list(buffer)
    assert len(messages) > 5
    paddings = set()
    for message in messages:
        assert message.headers == {":event-type": "chunk", ":content-type": "application/json",
                                   ":message-type": "event"}
        payload = json.loads(message.payload)
        assert set(payload) == {"bytes", "p"}
        paddings.add(payload["p"])
        json.loads(base64.b64decode(payload["bytes"]))
    assert len(paddings) > 1  # the padding varies, so chunk sizes do not give away token lengths
    last = json.loads(base64.b64decode(json.loads(messages[-1].payload)["bytes"]))
    assert set(last["amazon-bedrock-invocationMetrics"]) == {"inputTokenCount", "outputTokenCount",
                                                             "invocationLatency", "firstByteLatency"}


def test_exception_messages_are_framed_as_bedrock_frames_them(emulator: Any, control: Any) -> None:
    control.fault("stream_error", after_tokens=3, exception="modelStreamErrorException")
    _, _, raw = post(f"{emulator.url}/model/{CLAUDE}/invoke-with-response-stream", SIGNED)
    buffer = EventStreamBuffer()
    buffer.add_data(raw)
    last = list(buffer)[-1]
    assert last.headers == {":exception-type": "modelStreamErrorException", ":content-type": "application/json",
                            ":message-type": "exception"}
    assert json.loads(last.payload)["message"]


def test_errors_carry_the_coral_error_type_header(emulator: Any) -> None:
    status, headers, raw = post(f"{emulator.url}/model/nope/invoke", SIGNED)
    assert status == 400
    assert headers["x-amzn-ErrorType"] == "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/"
    assert json.loads(raw) == {"message": "The provided model identifier is invalid."}


def test_unsigned_requests_get_the_403_aws_gives(emulator: Any) -> None:
    status, headers, raw = post(f"{emulator.url}/model/{CLAUDE}/invoke")
    assert status == 403 and json.loads(raw) == {"message": "Missing Authentication Token"}
    unsigned = boto3.client("bedrock-runtime", endpoint_url=emulator.url, region_name="us-east-1",
                            config=Config(signature_version=UNSIGNED, retries={"total_max_attempts": 1}))
    with closing(unsigned), pytest.raises(Exception) as caught:
        unsigned.invoke_model(modelId=CLAUDE, body=BODY)
    assert caught.value.response["Error"]["Code"] == "MissingAuthenticationTokenException"  # type: ignore[attr-defined]


def test_any_key_and_bearer_tokens_are_accepted(emulator: Any) -> None:
    assert post(f"{emulator.url}/model/{CLAUDE}/invoke", {"Authorization": "Bearer bedrock-api-key-abc"})[0] == 200
    other = boto3.client("bedrock-runtime", endpoint_url=emulator.url, region_name="ap-southeast-2",
                         aws_access_key_id="AKIAANYTHING", aws_secret_access_key="whatever")
    with closing(other):
        assert other.converse(modelId=CLAUDE, messages=[{"role": "user", "content": [{"text": "Hi"}]}])["output"]


def test_the_environment_variable_points_boto3_at_the_emulator(emulator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", emulator.url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK", emulator.url)
    with closing(boto3.client("bedrock-runtime", region_name="us-east-1")) as runtime:
        events = read_all(runtime.converse_stream(modelId="us.amazon.nova-micro-v1:0",
                                                  messages=[{"role": "user", "content": [{"text": "Hi"}]}])["stream"])
    assert "metadata" in events[-1]
    with closing(boto3.client("bedrock", region_name="us-east-1")) as control_plane:
        assert control_plane.list_foundation_models()["modelSummaries"]


# The lineup of December 2026 (the shared lineup note): what ListFoundationModels shows, and what is end of life.
ACTIVE = ["anthropic.claude-opus-5", "anthropic.claude-sonnet-5", "anthropic.claude-fable-5",
          "anthropic.claude-opus-4-8", "anthropic.claude-opus-4-7", "anthropic.claude-opus-4-6-v1",
          "anthropic.claude-sonnet-4-6",
          "anthropic.claude-sonnet-4-5-20250929-v1:0", "anthropic.claude-haiku-4-5-20251001-v1:0",
          "anthropic.claude-opus-4-5-20251101-v1:0", "amazon.nova-2-lite-v1:0", "amazon.nova-pro-v1:0",
          "amazon.nova-lite-v1:0", "amazon.nova-micro-v1:0", "openai.gpt-oss-120b-1:0", "openai.gpt-oss-20b-1:0",
          "deepseek.r1-v1:0", "deepseek.v3-v1:0", "qwen.qwen3-235b-a22b-2507-v1:0", "qwen.qwen3-32b-v1:0",
          "qwen.qwen3-coder-480b-a35b-v1:0", "meta.llama4-maverick-17b-instruct-v1:0",
          "meta.llama4-scout-17b-instruct-v1:0", "meta.llama3-3-70b-instruct-v1:0", "meta.llama3-1-8b-instruct-v1:0",
          "meta.llama3-1-70b-instruct-v1:0", "mistral.mistral-large-3-675b-instruct",
          "mistral.pixtral-large-2502-v1:0", "mistral.magistral-small-2509", "mistral.mistral-large-2407-v1:0",
          "cohere.command-r-plus-v1:0", "cohere.command-r-v1:0", "writer.palmyra-x5-v1:0", "writer.palmyra-x4-v1:0",
          "zai.glm-4.7"]
LEGACY = "anthropic.claude-opus-4-1-20250805-v1:0"
END_OF_LIFE = ["anthropic.claude-sonnet-4-20250514-v1:0", "anthropic.claude-3-7-sonnet-20250219-v1:0",
               "anthropic.claude-3-5-haiku-20241022-v1:0", "anthropic.claude-3-haiku-20240307-v1:0",
               "anthropic.claude-opus-4-20250514-v1:0", "amazon.nova-premier-v1:0", "meta.llama3-1-405b-instruct-v1:0",
               "meta.llama3-2-1b-instruct-v1:0", "meta.llama3-2-3b-instruct-v1:0", "meta.llama3-2-11b-instruct-v1:0",
               "meta.llama3-2-90b-instruct-v1:0", "ai21.jamba-1-5-large-v1:0", "ai21.jamba-1-5-mini-v1:0"]
EOL_TEXT = "This model version has reached the end of its life. Please refer to the AWS documentation for more details."
LEGACY_TEXT = ("Access denied. This Model is marked by provider as Legacy and you have not been actively using the "
               "model in the last 30 days. Please upgrade to an active model on Amazon Bedrock")


def test_list_foundation_models_shows_the_lineup_with_its_lifecycle(bedrock: Any) -> None:
    summaries = {s["modelId"]: s for s in bedrock.list_foundation_models()["modelSummaries"]}
    assert set(ACTIVE) | {LEGACY} <= set(summaries)
    assert not set(END_OF_LIFE) & set(summaries)  # the status enum is ACTIVE | LEGACY: end of life is not listed
    assert {s["providerName"] for s in summaries.values()} == {
        "Anthropic", "Amazon", "Meta", "Mistral AI", "Cohere", "AI21 Labs", "OpenAI", "DeepSeek", "Qwen", "Writer",
        "Z.AI"}
    for summary in summaries.values():
        assert summary["modelArn"] == f"arn:aws:bedrock:us-east-1::foundation-model/{summary['modelId']}"
        assert summary["outputModalities"] == ["TEXT"]
        assert summary["modelLifecycle"]["status"] in ("ACTIVE", "LEGACY")
    assert all(summaries[m]["modelLifecycle"]["status"] == "ACTIVE" for m in ACTIVE)
    legacy = summaries[LEGACY]["modelLifecycle"]
    assert legacy["status"] == "LEGACY"
    assert legacy["endOfLifeTime"] == datetime(2027, 1, 8, tzinfo=UTC)
    assert legacy["startOfLifeTime"] == datetime(2025, 8, 5, tzinfo=UTC)
    assert summaries["anthropic.claude-opus-4-7"]["modelLifecycle"]["startOfLifeTime"].year == 2026
    anthropic = bedrock.list_foundation_models(byProvider="Anthropic")["modelSummaries"]
    assert anthropic and {s["providerName"] for s in anthropic} == {"Anthropic"}
    on_demand = {s["modelId"] for s in bedrock.list_foundation_models(byInferenceType="ON_DEMAND")["modelSummaries"]}
    assert "anthropic.claude-sonnet-4-6" not in on_demand and "openai.gpt-oss-120b-1:0" in on_demand
    assert summaries["amazon.nova-2-lite-v1:0"]["inferenceTypesSupported"] == ["INFERENCE_PROFILE"]


def test_get_foundation_model_and_inference_profiles(bedrock: Any) -> None:
    details = bedrock.get_foundation_model(modelIdentifier="ai21.j2-mid-v1")["modelDetails"]
    assert details["responseStreamingSupported"] is False  # the one model kept to show a model that does not stream
    assert bedrock.get_foundation_model(modelIdentifier=LEGACY)["modelDetails"]["modelLifecycle"]["status"] == "LEGACY"
    for missing in ("nope.nothing-v1", "anthropic.claude-3-haiku-20240307-v1:0"):
        with pytest.raises(bedrock.exceptions.ResourceNotFoundException):
            bedrock.get_foundation_model(modelIdentifier=missing)
    profiles = bedrock.list_inference_profiles()["inferenceProfileSummaries"]
    ids = {p["inferenceProfileId"] for p in profiles}
    assert {"us.anthropic.claude-sonnet-4-6", "jp.anthropic.claude-sonnet-4-6", "apac.anthropic.claude-sonnet-5",
            "global.anthropic.claude-opus-5", "eu.anthropic.claude-opus-5", "us.anthropic.claude-fable-5",
            "global.amazon.nova-2-lite-v1:0", "us.deepseek.r1-v1:0", "eu.mistral.pixtral-large-2502-v1:0",
            "us.writer.palmyra-x5-v1:0", "us.anthropic.claude-opus-4-1-20250805-v1:0"} <= ids
    # Only each model's own geographies, and none for end-of-life models or on-demand-only ones.
    assert not {"eu.anthropic.claude-fable-5", "jp.anthropic.claude-opus-5", "apac.anthropic.claude-opus-4-8",
                "eu.amazon.nova-2-lite-v1:0", "us.openai.gpt-oss-120b-1:0",
                "us.anthropic.claude-sonnet-4-20250514-v1:0", "us.meta.llama3-2-3b-instruct-v1:0"} & ids
    one = bedrock.get_inference_profile(inferenceProfileIdentifier="us.amazon.nova-pro-v1:0")
    assert one["models"][0]["modelArn"].endswith("foundation-model/amazon.nova-pro-v1:0")
    with pytest.raises(bedrock.exceptions.ResourceNotFoundException):
        bedrock.get_inference_profile(inferenceProfileIdentifier="eu.anthropic.claude-fable-5")


def _references(model_id: str) -> list[str]:
    """The id, its foundation-model ARN and, when it has profiles (all but Jamba: US ones), a profile and its ARN."""
    geo = None if model_id.startswith("ai21.") else "us"
    refs = [model_id, f"arn:aws:bedrock:us-west-2::foundation-model/{model_id}"]
    if geo:
        refs += [f"{geo}.{model_id}", f"arn:aws:bedrock:us-west-2:{ACCOUNT}:inference-profile/{geo}.{model_id}"]
    return refs


ACCOUNT = "123456789012"


@pytest.mark.parametrize("model_id", END_OF_LIFE)
def test_end_of_life_models_answer_the_end_of_life_404_by_id_profile_or_arn(runtime: Any, model_id: str) -> None:
    for ref in _references(model_id):
        with pytest.raises(runtime.exceptions.ResourceNotFoundException) as caught:
            runtime.invoke_model(modelId=ref, body=BODY)
        assert caught.value.response["Error"]["Message"] == EOL_TEXT
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
        for call in (runtime.converse, runtime.converse_stream):
            with pytest.raises(runtime.exceptions.ResourceNotFoundException) as caught:
                call(modelId=ref, messages=[{"role": "user", "content": [{"text": "Hi"}]}])
            assert caught.value.response["Error"]["Message"] == EOL_TEXT


def test_a_legacy_model_answers_until_the_account_counts_as_not_using_it(runtime: Any, control: Any) -> None:
    refs = [f"us.{LEGACY}", f"arn:aws:bedrock:us-east-1:{ACCOUNT}:inference-profile/us.{LEGACY}"]
    for ref in refs:
        assert json.loads(runtime.invoke_model(modelId=ref, body=BODY)["body"].read())["content"]
    assert control.request("GET", "/_emulator/config")[1]["legacy_access"] is True
    try:
        assert control.request("POST", "/_emulator/config", {"legacy_access": False})[1]["legacy_access"] is False
        for ref in refs:
            with pytest.raises(runtime.exceptions.ResourceNotFoundException) as caught:
                runtime.invoke_model_with_response_stream(modelId=ref, body=BODY)
            assert caught.value.response["Error"]["Message"] == LEGACY_TEXT
            with pytest.raises(runtime.exceptions.ResourceNotFoundException) as caught:
                runtime.converse(modelId=ref, messages=[{"role": "user", "content": [{"text": "Hi"}]}])
            assert caught.value.response["Error"]["Message"] == LEGACY_TEXT
        assert runtime.converse(modelId=CLAUDE, messages=[{"role": "user", "content": [{"text": "Hi"}]}])
        status, body = control.request("POST", "/_emulator/config", {"legacy_access": "no"})
        assert status == 400 and "legacy_access" in body["message"]
    finally:
        control.request("POST", "/_emulator/config", {"legacy_access": True})
    assert json.loads(runtime.invoke_model(modelId=refs[0], body=BODY)["body"].read())["content"]
