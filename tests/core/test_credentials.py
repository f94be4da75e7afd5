"""Bedrock API keys and the region on the aws backend, and an exported key on the emulator backend.

With AWS_BEARER_TOKEN_BEDROCK exported, botocore 1.44.5 sends `Authorization: Bearer <key>` on every request
whose signing name is `bedrock` and refuses to do so over plain HTTP; STS cannot take such a key. So: the aws
backend runs on the key (over HTTPS, against an emulator that serves TLS and notes what it was sent), the
"who am I" step describes the key without asking STS, the emulator backend keeps signing with SigV4 and dummy
keys, and the key shows up in no output, error or history of the CLI.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sqlite3
import subprocess
import sys
import urllib.parse
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from core import catalog, errors
from core.client import (
    BedrockApiKey,
    Identity,
    api_key_in_use,
    bedrock_api_key,
    configured_region,
    describe_credentials,
    make_client,
    runtime_client,
)
from core.streaming import RunRequest, start
from core.types import ChatRequest, Message

from .tls import HttpsEmulator, long_term_key, short_term_key, start_https_emulator

ROOT = Path(__file__).resolve().parents[2]
REGION = "us-west-2"


@pytest.fixture(scope="module")
def https_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpsEmulator]:
    """An emulator serving HTTPS with a test CA, noting each request's Authorization header."""
    running = start_https_emulator(tmp_path_factory.mktemp("tls"))
    yield running
    running.emulator.stop()


@pytest.fixture()
def key_only(https_emulator: HttpsEmulator, monkeypatch: pytest.MonkeyPatch) -> str:
    """The aws backend with both Bedrock endpoints on the HTTPS emulator, its CA trusted, a short-term key
    exported, AWS_REGION set, and no AWS access keys at all."""
    key = short_term_key(REGION)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("BEDROCK_BACKEND", "aws")
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", https_emulator.url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK", https_emulator.url)
    monkeypatch.setenv("AWS_CA_BUNDLE", str(https_emulator.ca_bundle))
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", key)
    return key


def streaming_model(control: Any, region: str | None) -> str:
    """A model the backend lists that streams and speaks Converse on demand, the table's default first."""
    listed = catalog.list_text_models(control)
    assert listed, "the backend lists no models"
    preferred = listed[catalog.preferred_index(listed)]
    for model in [preferred, *listed]:
        try:
            fits = model.streaming and "converse" in model.model.apis and not model.needs_inference_profile
        except catalog.UnknownModelError:
            continue
        if fits:
            return catalog.invocation_id(model, region)
    raise AssertionError("no listed model streams over Converse on demand")


# -- the key's public format ---------------------------------------------------------------------------------------


def test_a_short_term_key_says_when_it_expires_and_for_which_region(monkeypatch: pytest.MonkeyPatch) -> None:
    signed = dt.datetime(2026, 12, 7, 9, 30, tzinfo=dt.UTC)
    key = short_term_key("us-west-2", signed_at=signed, expires_s=43200)
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", key)
    found = describe_credentials(region="us-west-2")
    assert found == BedrockApiKey("short-term", "us-west-2", None, "2026-12-07T21:30:00+00:00", "us-west-2")
    assert found.describe(now=signed) == "Bedrock API key (short-term, expires 21:30 UTC)"
    assert found.warnings(now=signed) == ()
    later = signed + dt.timedelta(hours=13)
    assert found.describe(now=later) == "Bedrock API key (short-term, expired 21:30 UTC)"
    assert found.expired(now=later) and "expired" in found.warnings(now=later)[0]
    elsewhere = bedrock_api_key(region="eu-west-1")
    assert elsewhere is not None and elsewhere.region == "eu-west-1" and elsewhere.key_region == "us-west-2"
    assert "generated for us-west-2 and works only there" in elsewhere.warnings(now=signed)[0]
    for shown in (repr(found), str(found), found.describe(), *found.warnings(now=later), *elsewhere.warnings()):
        assert key not in shown and key[16:40] not in shown


def test_a_short_term_key_presigned_by_botocore_expires_within_its_lifetime(monkeypatch: pytest.MonkeyPatch) -> None:
    """Made the way aws-bedrock-token-generator makes it (SigV4 query auth of the CallWithBearerToken URL)."""
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", short_term_key("eu-central-1", expires_s=900))
    found = describe_credentials(region="eu-central-1")
    assert isinstance(found, BedrockApiKey) and found.kind == "short-term" and found.key_region == "eu-central-1"
    assert found.expires_utc is not None
    expires = dt.datetime.fromisoformat(found.expires_utc)
    assert before + dt.timedelta(seconds=900) <= expires <= before + dt.timedelta(seconds=902)
    assert re.fullmatch(r"Bedrock API key \(short-term, expires \d\d:\d\d UTC\)", found.describe(now=before))


@pytest.mark.parametrize(("key", "kind", "wording"), [
    (long_term_key(), "long-term", "Bedrock API key (long-term)"),
    ("bedrock-api-key-not*base64", "short-term", "Bedrock API key (short-term)"),
    ("bedrock-api-key-" + "aGVsbG8gd29ybGQ=", "short-term", "Bedrock API key (short-term)"),  # no date inside
    ("some-other-bearer-token-" + uuid.uuid4().hex, "unknown", "Bedrock API key (kind not recognised)"),
], ids=["long-term", "short-term-undecodable", "short-term-without-date", "unknown"])
def test_the_kind_of_key_is_told_by_its_prefix(monkeypatch: pytest.MonkeyPatch, key: str, kind: str,
                                               wording: str) -> None:
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", key)
    found = describe_credentials(region="us-east-1")
    assert isinstance(found, BedrockApiKey) and found.kind == kind and found.expires_utc is None
    assert found.describe() == wording and key not in repr(found)


def test_an_api_key_is_described_without_asking_sts(monkeypatch: pytest.MonkeyPatch) -> None:
    """No AWS credentials at all: STS would fail (and cannot take a bearer token); the key is still described."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    with pytest.raises(errors.CredentialsError):
        describe_credentials(region="us-east-1")  # nothing usable: the existing explanation
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", long_term_key())
    assert api_key_in_use()
    assert describe_credentials(region="us-east-1") == BedrockApiKey("long-term", "us-east-1")


def test_without_a_key_the_caller_is_the_sts_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    assert not api_key_in_use() and bedrock_api_key() is None
    found = describe_credentials()
    assert isinstance(found, Identity) and found.account == "123456789012" and found.region == "eu-west-1"


def test_an_empty_key_is_explained_without_a_network_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "  ")
    with pytest.raises(errors.CredentialsError) as caught:
        describe_credentials(region="us-east-1")
    assert "AWS_BEARER_TOKEN_BEDROCK is set but empty" in caught.value.message and "unset" in caught.value.message


# -- the aws backend on a key, over HTTPS ----------------------------------------------------------------------------


def test_a_streamed_converse_run_on_the_aws_backend_sends_the_key_as_a_bearer_token(
        https_emulator: HttpsEmulator, key_only: str) -> None:
    assert https_emulator.url.startswith("https://127.0.0.1:")  # start_embedded(ssl_certfile=..., ssl_keyfile=...)
    with closing(make_client("bedrock", "aws")) as control:
        assert control.meta.region_name == REGION and control.meta.endpoint_url == https_emulator.url
        model_id = streaming_model(control, REGION)  # ListFoundationModels works with the key too
    assert https_emulator.authorizations[-1] == f"Bearer {key_only}"
    seen_before = len(https_emulator.authorizations)
    chat = ChatRequest((Message("user", "Why does streaming feel faster?"),), max_tokens=60)
    run = start(RunRequest(model_id, chat, api="converse", stream=True, backend="aws"))
    pieces = list(run)
    record = run.record
    assert record.status == "ok", record.error_message
    assert len(pieces) > 1 and "".join(pieces) == record.text and record.text.startswith("(Emulated answer")
    assert record.backend == "aws" and record.ttft_ms is not None and record.output_tokens
    sent = https_emulator.authorizations[seen_before:]
    assert sent == [f"Bearer {key_only}"]  # one request, with the key, and no SigV4 signature
    assert runtime_client("aws").meta.region_name == REGION


def test_the_aws_backend_refuses_to_send_a_key_over_plain_http(emulator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    key = short_term_key()
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", key)
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", emulator.url)
    with pytest.raises(errors.CredentialsError) as caught:
        make_client("bedrock-runtime", "aws", region="us-east-1")
    message = caught.value.message
    assert "sent only over HTTPS" in message and emulator.url in message and "https://" in message
    assert key not in message and key not in repr(caught.value)
    run = start(RunRequest(catalog.default_model_id(), ChatRequest((Message("user", "Hi"),)), backend="aws",
                           region="us-east-1"))
    with pytest.raises(errors.CredentialsError):
        run.result()
    assert run.record.error_code == "BearerNeedsHttps" and key not in (run.record.error_message or "")


# -- the emulator backend ignores an exported key ------------------------------------------------------------------


def test_the_emulator_backend_signs_with_sigv4_when_a_key_is_exported(monkeypatch: pytest.MonkeyPatch) -> None:
    key = short_term_key()
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", key)
    sent: list[dict[str, str]] = []
    with closing(make_client("bedrock")) as control, closing(make_client("bedrock-runtime")) as runtime:
        for client in (control, runtime):
            client.meta.events.register("before-send", lambda request, **_: sent.append(
                {name: value.decode() if isinstance(value, bytes) else value
                 for name, value in request.headers.items()}))
        model_id = streaming_model(control, None)
        answer = runtime.converse(modelId=model_id, messages=[{"role": "user", "content": [{"text": "Hi"}]}])
        assert answer["output"]["message"]["content"][0]["text"].startswith("(Emulated answer")
        assert runtime.meta.endpoint_url.startswith("http://127.0.0.1:")
    assert len(sent) == 2
    for headers in sent:
        assert headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=emulator/")
        assert not any(key in value for value in headers.values())
    run = start(RunRequest(model_id, ChatRequest((Message("user", "Still there?"),)), api="converse"))
    assert "".join(run).startswith("(Emulated answer") and run.record.status == "ok"


# -- the region -------------------------------------------------------------------------------------------------------


def write_config(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = folder / "aws-config"
    config.write_text("[default]\nregion = ca-central-1\n\n[profile lab]\nregion = ap-southeast-2\n\n"
                      "[profile bare]\noutput = json\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))


def test_the_region_comes_from_the_argument_then_aws_region_then_aws_default_region_then_the_profile(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_config(tmp_path, monkeypatch)
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-2")
    assert configured_region("lab", region="sa-east-1") == "sa-east-1"
    assert configured_region("lab") == "eu-west-1"
    monkeypatch.setenv("AWS_REGION", " ")  # blank is unset
    assert configured_region("lab") == "us-east-2"
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    assert configured_region("lab") == "ap-southeast-2"
    assert configured_region() == "ca-central-1"  # the default profile
    monkeypatch.setenv("AWS_PROFILE", "lab")
    assert configured_region() == "ap-southeast-2"
    assert configured_region("bare") is None
    assert configured_region("no-such-profile") is None  # the identity step names the problem


def test_aws_region_alone_gives_every_aws_client_that_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    with closing(make_client("bedrock-runtime", "aws")) as runtime, closing(make_client("bedrock", "aws")) as control:
        assert runtime.meta.region_name == control.meta.region_name == "eu-west-1"
        assert "eu-west-1" in runtime.meta.endpoint_url and "eu-west-1" in control.meta.endpoint_url
    assert runtime_client("aws").meta.region_name == "eu-west-1"
    assert runtime_client("aws", "us-west-2").meta.region_name == "us-west-2"  # an explicit region still wins
    identity = describe_credentials()
    assert isinstance(identity, Identity) and identity.region == "eu-west-1"  # STS, in that region too
    monkeypatch.setenv("AWS_REGION", "ap-northeast-1")
    assert runtime_client("aws").meta.region_name == "ap-northeast-1"  # not the client made for eu-west-1


def test_no_region_anywhere_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    with pytest.raises(errors.LabError) as caught:
        make_client("bedrock-runtime", "aws")
    assert caught.value.code == "NoRegionError" and "AWS_REGION" in caught.value.message


# -- the CLI: AWS_REGION alone; the key in no output or record -------------------------------------------------------


def cli_environment(folder: Path, **settings: str) -> dict[str, str]:
    """The process environment without any AWS_* variable, an empty AWS config, and `settings`."""
    empty = folder / "aws-config-empty"
    empty.write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"AWS_CONFIG_FILE": str(empty), "AWS_SHARED_CREDENTIALS_FILE": str(empty),
                "AWS_EC2_METADATA_DISABLED": "true", "BEDROCK_EMULATOR_TIME_SCALE": "0",
                "BEDROCK_LAB_HISTORY": str(folder / "history.sqlite"), **settings})
    return env


def cli(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "core", *args], cwd=ROOT, env=env, input=stdin,
                          capture_output=True, text=True, timeout=120)


def test_the_cli_works_with_only_aws_region_set(emulator: Any, bedrock: Any, tmp_path: Path) -> None:
    model_id = streaming_model(bedrock, "eu-west-1")
    env = cli_environment(tmp_path, BEDROCK_BACKEND="aws", AWS_REGION="eu-west-1",
                          AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                          AWS_ENDPOINT_URL_BEDROCK_RUNTIME=emulator.url)
    result = cli(env, "ask", "--model", model_id, "--api", "converse", "--max-tokens", "30", "Which region?")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("(Emulated answer") and "Something went wrong" not in result.stderr


def test_the_key_is_in_no_output_error_or_record_of_the_cli(https_emulator: HttpsEmulator, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex.upper()
    key = short_term_key(REGION, tag=tag)
    sentinels = {"key": key, "key, URL-encoded": urllib.parse.quote(key, safe=""), "inside of the key": tag}
    aws = cli_environment(tmp_path, BEDROCK_BACKEND="aws", AWS_REGION=REGION, AWS_BEARER_TOKEN_BEDROCK=key,
                          AWS_ENDPOINT_URL_BEDROCK_RUNTIME=https_emulator.url,
                          AWS_ENDPOINT_URL_BEDROCK=https_emulator.url, AWS_CA_BUNDLE=str(https_emulator.ca_bundle))
    with closing(make_client("bedrock", "emulator")) as control:
        model_id = streaming_model(control, REGION)
    seen_before = len(https_emulator.authorizations)
    runs = {
        "ask": cli(aws, "ask", "--model", model_id, "--api", "converse", "--max-tokens", "30", "Sign this."),
        "ask --json": cli(aws, "ask", "--model", model_id, "--json", "--api", "converse", "And this."),
        "ask, unknown model": cli(aws, "ask", "--model", "acme.nothing-v1", "Hello"),
        "ask, refused by the emulator": cli(aws, "ask", "--model", "amazon.nothing-v9:0", "--json", "Hello"),
        "chat": cli(aws, "chat", "--model", model_id, "--max-tokens", "20", stdin="Hello\nAgain\n"),
        "ask, plain http": cli({**aws, "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": "http://127.0.0.1:9"}, "ask",
                               "--model", model_id, "Hello"),
        "ask, emulator backend": cli({**aws, "BEDROCK_BACKEND": "emulator"}, "ask", "--model", model_id,
                                     "--api", "converse", "--max-tokens", "20", "Emulated, please."),
    }
    assert runs["ask"].returncode == 0 and runs["ask"].stdout.startswith("(Emulated answer"), runs["ask"].stderr
    assert runs["ask --json"].returncode == 0 and runs["chat"].returncode == 0
    assert runs["ask, unknown model"].returncode == 1 and runs["ask, refused by the emulator"].returncode == 1
    assert runs["ask, plain http"].returncode == 1 and "only over HTTPS" in runs["ask, plain http"].stderr
    assert runs["ask, emulator backend"].returncode == 0  # the key exported, and the emulator still answers
    assert runs["ask, emulator backend"].stdout.startswith("(Emulated answer")
    sent = https_emulator.authorizations[seen_before:]
    assert sent and set(sent) == {f"Bearer {key}"}  # every run on the aws backend went with the key

    seen = {f"{name}: {part}": text for name, result in runs.items()
            for part, text in (("stdout", result.stdout), ("stderr", result.stderr))}
    history = tmp_path / "history.sqlite"
    with closing(sqlite3.connect(history)) as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        seen["history rows"] = "\n".join(repr(row) for table in tables
                                         for row in db.execute(f'SELECT * FROM "{table}"'))  # noqa: S608
    for path in (history, history.with_name(history.name + "-wal")):
        if path.exists():
            seen[f"history file {path.name}"] = path.read_bytes().decode("latin-1")
    assert "'aws'" in seen["history rows"] and "Sign this." in seen["history rows"]
    leaks = {where: [name for name, value in sentinels.items() if value.lower() in text.lower()]
             for where, text in seen.items()}
    assert not {where: names for where, names in leaks.items() if names}, "the key was found"
    assert len(seen) >= 15
