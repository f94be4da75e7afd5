"""The bytes on the wire, read without boto3: headers, event-stream framing, padding, error headers."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from contextlib import closing
from typing import Any
from urllib.parse import quote

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.eventstream import EventStreamBuffer

from ..conftest import read_all

CLAUDE = "anthropic.claude-3-haiku-20240307-v1:0"
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


def test_list_foundation_models_covers_every_provider(bedrock: Any) -> None:
    summaries = bedrock.list_foundation_models()["modelSummaries"]
    assert len(summaries) >= 25
    assert {s["providerName"] for s in summaries} == {"Anthropic", "Amazon", "Meta", "Mistral AI", "Cohere",
                                                      "AI21 Labs"}
    for summary in summaries:
        assert summary["modelArn"] == f"arn:aws:bedrock:us-east-1::foundation-model/{summary['modelId']}"
        assert summary["outputModalities"] == ["TEXT"] and summary["modelLifecycle"] == {"status": "ACTIVE"}
    required = ["anthropic.claude-3-haiku-20240307-v1:0", "anthropic.claude-3-5-haiku-20241022-v1:0",
                "anthropic.claude-3-5-sonnet-20241022-v2:0", "anthropic.claude-3-7-sonnet-20250219-v1:0",
                "anthropic.claude-sonnet-4-20250514-v1:0", "amazon.titan-text-express-v1",
                "amazon.titan-text-lite-v1", "amazon.titan-text-premier-v1:0", "amazon.nova-micro-v1:0",
                "amazon.nova-lite-v1:0", "amazon.nova-pro-v1:0", "meta.llama3-8b-instruct-v1:0",
                "meta.llama3-70b-instruct-v1:0", "meta.llama3-1-8b-instruct-v1:0", "meta.llama3-1-70b-instruct-v1:0",
                "meta.llama3-2-3b-instruct-v1:0", "meta.llama3-3-70b-instruct-v1:0",
                "mistral.mistral-7b-instruct-v0:2", "mistral.mixtral-8x7b-instruct-v0:1",
                "mistral.mistral-large-2402-v1:0", "mistral.mistral-large-2407-v1:0", "cohere.command-r-v1:0",
                "cohere.command-r-plus-v1:0", "cohere.command-text-v14", "ai21.jamba-1-5-mini-v1:0",
                "ai21.jamba-1-5-large-v1:0", "ai21.j2-mid-v1"]
    assert set(required) <= {s["modelId"] for s in summaries}
    anthropic = bedrock.list_foundation_models(byProvider="Anthropic")["modelSummaries"]
    assert anthropic and {s["providerName"] for s in anthropic} == {"Anthropic"}
    profile_only = bedrock.list_foundation_models(byInferenceType="ON_DEMAND")["modelSummaries"]
    assert "anthropic.claude-sonnet-4-20250514-v1:0" not in {s["modelId"] for s in profile_only}


def test_get_foundation_model_and_inference_profiles(bedrock: Any) -> None:
    details = bedrock.get_foundation_model(modelIdentifier="ai21.j2-mid-v1")["modelDetails"]
    assert details["responseStreamingSupported"] is False
    with pytest.raises(bedrock.exceptions.ResourceNotFoundException):
        bedrock.get_foundation_model(modelIdentifier="nope.nothing-v1")
    profiles = bedrock.list_inference_profiles()["inferenceProfileSummaries"]
    ids = {p["inferenceProfileId"] for p in profiles}
    assert {"us.anthropic.claude-sonnet-4-20250514-v1:0", "eu.amazon.nova-lite-v1:0",
            "apac.meta.llama3-2-3b-instruct-v1:0", "global.anthropic.claude-sonnet-4-20250514-v1:0"} <= ids
    one = bedrock.get_inference_profile(inferenceProfileIdentifier="us.amazon.nova-pro-v1:0")
    assert one["models"][0]["modelArn"].endswith("foundation-model/amazon.nova-pro-v1:0")
