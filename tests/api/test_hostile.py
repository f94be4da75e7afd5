"""Hostile and odd input through POST /api/generate over real HTTP: the words a developer gets back (status,
`error`, `field`), every answered prompt sent exactly, hostile model output delivered exactly inside intact
Server-Sent Events framing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ..conftest import RELIABILITY, Control
from ..hostile_inputs import (
    ANSWERED,
    ARNS,
    BIG_MODEL,
    EMPTY,
    MODEL,
    ONE_MB,
    OUTPUT,
    OVER_WINDOW,
    PROFILE_ONLY,
    SMALL_MODEL,
    SSE_FRAMING,
    UNKNOWN_MODEL,
    WHITESPACE,
)
from ..models import CHAT
from .conftest import Served, post

LIMIT = CHAT.max_output_tokens or 0  # MODEL is CHAT, as requests call it


@pytest.fixture(autouse=True)
def _counted(record_property: Any) -> None:
    record_property(RELIABILITY, ("hostile input", "HTTP API"))


def holds(value: Any, text: str) -> bool:
    """True when `text` is one of the strings inside a decoded JSON value."""
    if isinstance(value, str):
        return value == text
    if isinstance(value, dict):
        return any(holds(v, text) for v in value.values())
    return isinstance(value, list) and any(holds(v, text) for v in value)


def refused(reply: Any, field: str | None, words: str) -> None:
    assert reply.status == 400, reply.body
    assert reply.body["field"] == field and words in reply.body["error"], reply.body


def requests_seen(upstream: Control) -> int:
    return int(upstream.request("GET", "/_emulator/health")[1]["requests"])


@pytest.mark.parametrize("prompt", [EMPTY, WHITESPACE], ids=["empty", "whitespace only"])
def test_an_empty_prompt_is_refused_by_field(api: Served, upstream: Control, prompt: str) -> None:
    seen = requests_seen(upstream)
    refused(post(api, {"model_id": MODEL, "prompt": prompt}), "prompt", "prompt is empty: write something to send")
    refused(post(api, {"model_id": MODEL, "messages": [{"role": "user", "content": prompt}]}),
            "messages[0].content", "messages[0].content is empty")
    assert requests_seen(upstream) == seen


@pytest.mark.parametrize("prompt", [*ANSWERED.values(), ONE_MB], ids=[*ANSWERED, "1 MB prompt"])
def test_odd_prompts_stream_an_answer_and_are_sent_exactly(api: Served, upstream: Control, prompt: str) -> None:
    model = BIG_MODEL if prompt is ONE_MB else MODEL
    reply = post(api, {"model_id": model, "prompt": prompt, "max_tokens": 60})
    assert reply.status == 200, reply.body
    assert [e.name for e in reply.events][-1] == "done" and reply.text().startswith("(Emulated answer")
    record = api.history.get_run(reply.events[-1].data["metrics"]["run_id"])
    assert record is not None and record.status == "ok" and record.text == reply.text()
    assert holds(json.loads(record.request_json), prompt)


def test_a_prompt_over_the_context_window_is_refused_by_field(api: Served) -> None:
    for stream in (True, False):
        reply = post(api, {"model_id": SMALL_MODEL, "prompt": OVER_WINDOW, "stream": stream})
        refused(reply, "prompt", "The conversation is longer than the model's context window")
        assert "Shorten the conversation or the prompt" in reply.body["error"]


@pytest.mark.parametrize("output", [*OUTPUT.values(), SSE_FRAMING], ids=[*OUTPUT, "output SSE framing"])
def test_hostile_output_arrives_exactly_inside_intact_events(api: Served, upstream: Control, output: str) -> None:
    upstream.echo(output, count=2)
    streamed = post(api, {"model_id": MODEL, "prompt": "Show me something"})
    assert streamed.status == 200 and streamed.text() == output
    names = [e.name for e in streamed.events]
    assert names == ["text"] * (len(names) - 1) + ["done"]  # no event forged by the text
    assert [e.id for e in streamed.events] == [str(i) for i in range(1, len(names) + 1)]
    whole = post(api, {"model_id": MODEL, "prompt": "Show me something", "stream": False})
    assert whole.status == 200 and whole.body["text"] == output


@pytest.mark.parametrize(("fields", "field", "words"), [
    ({"max_tokens": -5}, "max_tokens", f"max_tokens must be between 1 and {LIMIT} for this model, not -5"),
    ({"max_tokens": LIMIT + 1}, "max_tokens",
     f"max_tokens must be between 1 and {LIMIT} for this model, not {LIMIT + 1}"),
    ({"max_tokens": "ten"}, "max_tokens", "max_tokens must be a whole number, not the string 'ten'"),
    ({"temperature": 5}, "temperature", "temperature must be between 0 and 1, not 5"),
    ({"top_p": 2}, "top_p", "top_p must be between 0 and 1, not 2"),
    ({"top_p": -0.5}, "top_p", "top_p must be between 0 and 1, not -0.5"),
], ids=["negative max tokens", "max tokens over the limit", "max tokens as text", "temperature 5", "top_p 2",
        "negative top_p"])
def test_parameters_out_of_range_are_refused_by_field(api: Served, fields: dict[str, Any], field: str,
                                                      words: str) -> None:
    refused(post(api, {"model_id": MODEL, "prompt": "Hello", **fields}), field, words)


def test_a_temperature_that_is_not_a_number_is_named(api: Served) -> None:
    """Python's JSON reader takes NaN and Infinity, which JSON itself does not have."""
    raw = json.dumps({"model_id": MODEL, "prompt": "Hello"})[:-1] + ', "temperature": NaN}'
    refused(post(api, None, raw=raw.encode()), "temperature", "temperature must be a finite number, not nan")


@pytest.mark.parametrize("model", [UNKNOWN_MODEL, *ARNS.values()], ids=["unknown model", *ARNS])
def test_unknown_models_and_malformed_arns_are_refused_by_field(api: Served, model: str) -> None:
    refused(post(api, {"model_id": model, "prompt": "Hello"}), "model_id",
            f"unknown model {model!r}: GET /api/models lists the models this backend offers")


def test_a_model_that_needs_a_profile_names_the_profile(api: Served) -> None:
    refused(post(api, {"model_id": PROFILE_ONLY, "prompt": "Hello"}), "model_id",
            f"{PROFILE_ONLY} is only available through an inference profile: use 'us.{PROFILE_ONLY}'")


@pytest.mark.parametrize(("body", "field"), [
    ('{"model_id": "%s", "prompt": "bad \\ud800 surrogate"}', "prompt"),
    ('{"model_id": "%s", "messages": [{"role": "user", "content": "bad \\udfff"}]}', "messages[0].content"),
    ('{"model_id": "%s", "prompt": "fine", "system": "\\ud800"}', "system"),
    ('{"model_id": "%s", "prompt": "fine", "stop_sequences": ["ok", "\\udc80"]}', "stop_sequences[1]"),
], ids=["prompt", "message", "system", "stop sequence"])
def test_a_lone_surrogate_is_refused_by_field_before_any_call(api: Served, upstream: Control, body: str,
                                                             field: str) -> None:
    """JSON allows a "\\ud800" escape; such text cannot be stored, shown or sent as UTF-8. It used to reach the
    emulator and come back as a 502 "Something went wrong (Internal Server Error)"."""
    seen = requests_seen(upstream)
    reply = post(api, None, raw=(body % MODEL).encode())
    refused(reply, field, f"{field} is not valid Unicode text: a lone surrogate at character")
    assert requests_seen(upstream) == seen


def test_a_body_that_is_not_utf8_is_refused(api: Served) -> None:
    reply = post(api, None, raw=b'{"model_id": "' + MODEL.encode() + b'", "prompt": "caf\xe9"}')
    refused(reply, "body", "the body is not valid JSON")


def test_hostile_text_in_a_get_query_streams_like_a_post(api: Served, upstream: Control) -> None:
    from urllib.parse import urlencode

    upstream.echo("<script>window.__pwned = 1</script>")
    query = urlencode({"model_id": MODEL, "prompt": "<img src=x onerror=alert(1)> & ?x=1#y"})
    reply = post(api, None, method="GET", path="/generate?" + query)
    assert reply.status == 200 and reply.text() == "<script>window.__pwned = 1</script>"
