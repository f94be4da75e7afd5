"""The Chat answer's "View API request": the operation and model id, the body pretty-printed, and a copyable boto3
snippet of the same call with no credentials in it."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from core.history import History

from .. import models
from .conftest import first_run

KEY_ID, SECRET = "AKIAEXAMPLEKEYID0001", "example/secret/key/that/must/not/leak"


def view_api_request(at: AppTest) -> Any:
    """The expander under the answer, once the answer has ended (the page may draw it over several runs)."""
    deadline = time.monotonic() + 30
    while True:
        found = [e for m in at.chat_message if m.name == "assistant" for e in m.expander
                 if e.label == "View API request"]
        if found or time.monotonic() > deadline:
            assert found, "no View API request under the answer"
            return found[-1]
        at.run()


def test_view_api_request_names_the_call_and_gives_a_snippet_without_credentials(
        history: History, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY_ID)  # credentials the app could see: none may reach the snippet
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    at = first_run("api-request")
    at.chat_input(key="chat_input").set_value("How do caches work?").run()
    assert not at.exception
    box = view_api_request(at)
    heading = " ".join(c.value for c in box.caption)
    assert "InvokeModelWithResponseStream" in heading or "ConverseStream" in heading, heading
    assert models.CLAUDE in heading
    body, snippet = [c for c in box.code if c.language == "json"], [c for c in box.code if c.language == "python"]
    assert len(body) == 1 and len(snippet) == 1
    sent = json.loads(body[0].value)
    assert body[0].value == json.dumps(sent, indent=2, ensure_ascii=False)  # pretty-printed
    assert "How do caches work?" in body[0].value
    code = snippet[0].value
    assert "import boto3" in code and f'modelId="{models.CLAUDE}"' in code
    assert "How do caches work?" in code  # the same body, in the snippet
    compile(code, "snippet", "exec")  # copyable as it is
    for secret in (KEY_ID, SECRET, "testing", "aws_access_key_id", "aws_secret_access_key", "aws_session_token",
                   "http://127.0.0.1"):
        assert secret not in code
