"""The sidebar on the AWS backend: the region it starts from, and a Bedrock API key instead of an STS identity.

A key is named by its kind ("Bedrock API key (short-term, expires 14:05 UTC)"), never shown, and the app
stays on AWS with it: the models are listed with the key, over HTTPS, from an emulator that serves TLS.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.core.tls import HttpsEmulator, long_term_key, short_term_key, start_https_emulator

from .conftest import APP


@pytest.fixture(scope="module")
def https_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpsEmulator]:
    """An emulator serving HTTPS with a test CA, noting each request's Authorization header."""
    running = start_https_emulator(tmp_path_factory.mktemp("tls"))
    yield running
    running.emulator.stop()


@pytest.fixture(autouse=True)
def _fresh(history: Any) -> Iterator[None]:
    """A history of the test's own, and no identity or model list cached by an earlier test."""
    st.cache_data.clear()
    yield
    st.cache_data.clear()


@pytest.fixture()
def key_setup(https_emulator: HttpsEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both Bedrock endpoints on the HTTPS emulator, its CA trusted, AWS_REGION alone, no AWS access keys."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", https_emulator.url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK", https_emulator.url)
    monkeypatch.setenv("AWS_CA_BUNDLE", str(https_emulator.ca_bundle))


def on_aws() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["lab_backend"] = "AWS"
    at.run()  # the first run: AppTest keeps the sidebar of this one only
    assert not at.exception
    return at


def shown(at: AppTest) -> str:
    """Everything the run put on screen as text, sidebar included."""
    parts = []
    for kind in ("success", "warning", "error", "info", "caption", "markdown", "text_input", "selectbox"):
        parts += [str(element.value) for element in getattr(at, kind)]
    return "\n".join(parts)


def test_a_short_term_key_is_named_with_its_expiry_and_the_app_stays_on_aws(
        key_setup: None, monkeypatch: pytest.MonkeyPatch) -> None:
    signed = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    key = short_term_key("eu-west-1", signed_at=signed, expires_s=3600)
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", key)
    at = on_aws()
    assert at.sidebar.text_input(key="lab_region").value == "eu-west-1"  # from AWS_REGION
    expires = signed + dt.timedelta(hours=1)
    assert [s.value for s in at.sidebar.success] == [
        f"Bedrock API key (short-term, expires {expires:%H:%M} UTC) in eu-west-1."]
    assert not at.sidebar.warning and not at.sidebar.info  # no STS complaint, no emulator fallback
    settings = at.session_state["lab_settings"]
    assert settings is not None and settings.backend == "aws" and settings.region == "eu-west-1"
    assert len(at.session_state["lab_models"]) > 5  # listed with the key
    assert "Signed in as" not in shown(at) and key not in shown(at) and key[20:60] not in shown(at)


def test_a_long_term_key_is_named_as_such(key_setup: None, monkeypatch: pytest.MonkeyPatch) -> None:
    key = long_term_key()
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", key)
    at = on_aws()
    assert [s.value for s in at.sidebar.success] == ["Bedrock API key (long-term) in eu-west-1."]
    assert at.session_state["lab_settings"].backend == "aws" and key not in shown(at)


def test_a_short_term_key_of_another_region_is_flagged(key_setup: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", short_term_key("us-west-2"))
    at = on_aws()
    assert at.sidebar.success[0].value.startswith("Bedrock API key (short-term, expires ")
    assert any("generated for us-west-2 and works only there" in w.value for w in at.sidebar.warning)
    assert at.session_state["lab_settings"].backend == "aws"


def test_the_sts_identity_and_the_region_from_aws_region(emulator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK", emulator.url)  # models from the emulator; STS from moto
    at = on_aws()
    assert at.sidebar.text_input(key="lab_region").value == "eu-west-1"
    success = at.sidebar.success[0].value
    assert success.startswith("Signed in as `arn:aws:") and "123456789012" in success
    assert success.endswith(" in eu-west-1.")
    assert at.session_state["lab_settings"].region == "eu-west-1"


def test_the_region_field_starts_from_the_profile_without_region_variables(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "aws-config"
    config.write_text("[default]\nregion = ap-southeast-2\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    at = on_aws()
    assert at.sidebar.text_input(key="lab_region").value == "ap-southeast-2"


def test_without_credentials_the_sidebar_says_the_emulator_answers_and_how_to_sign_in(
        monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    at = on_aws()
    assert at.sidebar.text_input(key="lab_region").value == "eu-west-1"
    # Right under the switch, which still shows AWS: what answers instead.
    assert at.sidebar.segmented_control(key="lab_backend").value == "AWS"
    (in_use,) = at.sidebar.info
    assert in_use.value.startswith("**In use: the emulator.**")
    assert at.session_state["lab_settings"].backend == "emulator"
    # One message, and the commands in a code block, where a variable name cannot wrap.
    (warning,) = at.sidebar.warning
    assert warning.value.startswith("**No usable AWS credentials**") and "AWS_" not in warning.value
    (commands,) = at.sidebar.code
    lines = [line for line in commands.value.splitlines() if not line.startswith("#")]
    assert lines == ["aws configure", "aws sso login --profile NAME", "export AWS_BEARER_TOKEN_BEDROCK=KEY"]
    assert commands.language == "bash" and not commands.proto.wrap_lines
    assert at.sidebar.button(key="lab_aws_check").label == "Check again"


def test_without_credentials_for_a_named_profile_the_commands_name_it(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    config = tmp_path / "aws-config"
    config.write_text("[profile dev]\nregion = eu-west-1\n")  # known, but nothing to sign with
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["lab_backend"] = "AWS"
    at.session_state["lab_profile"] = "dev"
    at.run()
    assert not at.exception and at.session_state["lab_settings"].backend == "emulator"
    assert at.sidebar.warning[0].value.startswith("**No usable AWS credentials**")
    assert "aws sso login --profile dev" in at.sidebar.code[0].value.splitlines()
