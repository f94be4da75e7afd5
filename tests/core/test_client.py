"""Backends: the emulator by default, AWS through the standard configuration, identity through STS."""

from __future__ import annotations

import json
from contextlib import closing
from typing import Any

import boto3
import pytest

from core import errors
from core.client import caller_identity, default_backend, make_client, shared_emulator

from ..models import CLAUDE, FAMILY_MODELS

LLAMA = FAMILY_MODELS["llama3"]  # a Llama body: {"prompt", "max_gen_len"}


def test_the_default_backend_is_the_embedded_emulator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BEDROCK_BACKEND", raising=False)
    assert default_backend() == "emulator"
    with closing(make_client("bedrock-runtime")) as runtime:
        assert runtime.meta.endpoint_url == shared_emulator().url
    assert shared_emulator().url.startswith("http://127.0.0.1:")
    monkeypatch.setenv("BEDROCK_BACKEND", "mainframe")
    with pytest.raises(ValueError, match="emulator, aws"):
        default_backend()


def test_the_aws_backend_honours_the_endpoint_environment_variable(emulator: Any,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", emulator.url)
    with closing(make_client("bedrock-runtime", "aws", region="eu-west-1")) as runtime:
        assert runtime.meta.endpoint_url == emulator.url and runtime.meta.region_name == "eu-west-1"
        body = json.loads(runtime.invoke_model(modelId=LLAMA,
                                               body=json.dumps({"prompt": "Hi", "max_gen_len": 5}))["body"].read())
    assert body["generation_token_count"] == 5


def test_the_aws_backend_reads_retries_and_timeouts_from_botocore_config() -> None:
    from core.client import botocore_config

    config = botocore_config(max_attempts=5, read_timeout_s=42)
    with closing(make_client("bedrock-runtime", "aws", region="us-west-2", config=config)) as client:
        pass
    assert client.meta.config.retries == {"mode": "standard", "total_max_attempts": 5}
    assert client.meta.config.read_timeout == 42
    assert "us-west-2" in client.meta.endpoint_url


def test_caller_identity_comes_from_sts() -> None:
    identity = caller_identity(region="us-east-1")
    assert identity.account == "123456789012" and identity.arn.startswith("arn:aws:")
    assert identity.region == "us-east-1"


def test_missing_credentials_explain_how_to_configure_them(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)  # and the config files are empty: the chain finds nothing
    with pytest.raises(errors.CredentialsError) as caught:
        caller_identity(region="us-east-1")
    assert "aws sso login" in caught.value.message and "emulator" in caught.value.message


def test_an_unknown_profile_is_a_credentials_error() -> None:
    with pytest.raises(errors.CredentialsError, match="profile"):
        caller_identity(profile="no-such-profile")


def test_no_test_can_reach_real_aws() -> None:
    with closing(boto3.client("bedrock-runtime", region_name="us-east-1")) as real:
        response = real.invoke_model(modelId=CLAUDE, body=b"{}")
    assert response["ResponseMetadata"]["HTTPHeaders"].get("server") != "AmazonS3"
    assert response["body"].read() == b"{}"  # moto's empty answer, not Bedrock's


@pytest.mark.parametrize("api", ["invoke", "converse"])
def test_a_sync_call_that_timed_out_is_not_repeated_silently(emulator: Any, monkeypatch: pytest.MonkeyPatch,
                                                             api: str) -> None:
    """botocore's standard mode retries read timeouts; the request had reached Bedrock, so a second attempt would
    bill the answer twice and make the user wait a multiple of the read timeout. Throttling is still retried."""
    import time

    from core.client import botocore_config
    from core.emulator.faults import Fault

    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", emulator.url)
    model = LLAMA
    emulator.state.faults.add(Fault("stall", model_id=model, count=None, seconds=20))
    config = botocore_config(max_attempts=3, read_timeout_s=0.5)
    try:
        with closing(make_client("bedrock-runtime", "aws", region="us-east-1", config=config)) as runtime:
            served_before = emulator.state.requests
            started = time.perf_counter()
            with pytest.raises(Exception) as caught:
                if api == "invoke":
                    runtime.invoke_model(modelId=model, body=json.dumps({"prompt": "Hi", "max_gen_len": 5}))
                else:
                    runtime.converse(modelId=model, messages=[{"role": "user", "content": [{"text": "Hi"}]}])
            assert isinstance(errors.classify(caught.value), errors.ModelTimeoutError)
            assert emulator.state.requests - served_before == 1  # one attempt, not three
            assert time.perf_counter() - started < 1.5
            emulator.state.faults.clear()
            emulator.state.faults.add(Fault("throttling", model_id=model, count=2))
            answer = runtime.invoke_model(modelId=model, body=json.dumps({"prompt": "Hi", "max_gen_len": 5}))
            assert answer["ResponseMetadata"]["RetryAttempts"] == 2 and answer["body"].read()
    finally:
        emulator.state.faults.clear()
