"""Hostile and odd input through POST /api/generate over real HTTP: the words a developer gets back (status,
`error`, `field`), every answered prompt sent exactly, hostile model output delivered exactly inside intact
Server-Sent Events framing, and bodies and queries that break the usual readers (deep nesting, huge numbers,
bytes that are not UTF-8, broken escapes) refused by field, never a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ..conftest import RELIABILITY, Control
from ..hostile_inputs import (
    ANSWERED,
    ARNS,
    BAD_ESCAPES,
    BAD_PERCENT,
    BIG_MODEL,
    DEEP_LEVELS,
    EMPTY,
    HUGE_DECIMAL,
    HUGE_FLOAT,
    HUGE_INTEGER,
    MODEL,
    NOT_UTF8,
    NOT_UTF8_QUERY,
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
    # The model table's bounds, as the CLI and the pages apply them (tests/core/test_validation.py).
    ({"max_tokens": -5}, "max_tokens", f"max tokens must be between 1 and {LIMIT:,} for {CHAT.name}, not -5"),
    ({"max_tokens": LIMIT + 1}, "max_tokens",
     f"max tokens must be between 1 and {LIMIT:,} for {CHAT.name}, not {LIMIT + 1:,}"),
    ({"max_tokens": "ten"}, "max_tokens", "max_tokens must be a whole number, not the string 'ten'"),
    ({"temperature": 5}, "temperature", f"temperature must be between 0 and 1 for {CHAT.name}, not 5"),
    ({"top_p": 2}, "top_p", f"top_p must be between 0 and 1 for {CHAT.name}, not 2"),
    ({"top_p": -0.5}, "top_p", f"top_p must be between 0 and 1 for {CHAT.name}, not -0.5"),
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


def _raw(fields: str | bytes) -> bytes:
    """A body whose model_id is MODEL and whose other fields are written as raw JSON text (or bytes)."""
    return b'{"model_id": "' + MODEL.encode() + b'", ' + (fields.encode() if isinstance(fields, str) else fields) + b"}"


NESTED = "[" * DEEP_LEVELS + "]" * DEEP_LEVELS
UNREADABLE_BODIES = [
    ("10,000 levels deep: the body", NESTED.encode(), "body", "body is nested more than 32 levels deep"),
    ("10,000 levels deep: the prompt", _raw(f'"prompt": {NESTED}'), "prompt",
     "prompt is nested more than 32 levels deep"),
    ("10,000 levels deep: a message", _raw('"messages": [{"role": "user", "content": ' + NESTED + "}]"), "messages",
     "messages is nested more than 32 levels deep"),
    ("10,000 objects deep: an unknown field", _raw('"x": ' + '{"a": ' * DEEP_LEVELS + "1" + "}" * DEEP_LEVELS),
     "x", "x is nested more than 32 levels deep"),
    ("5,000-digit max_tokens", _raw(f'"prompt": "Hi", "max_tokens": {HUGE_INTEGER}'), "max_tokens",
     "max_tokens is a 5,000-digit number, a number too large to read"),
    ("negative 5,000-digit max_tokens", _raw(f'"prompt": "Hi", "max_tokens": -{HUGE_INTEGER}'), "max_tokens",
     "a number too large to read"),
    ("1e999 temperature", _raw(f'"prompt": "Hi", "temperature": {HUGE_FLOAT}'), "temperature",
     "temperature is 1e999, a number too large to read"),
    ("-1e999 top_p", _raw(f'"prompt": "Hi", "top_p": -{HUGE_FLOAT}'), "top_p", "top_p is -1e999"),
    ("400-digit decimal max_tokens", _raw(f'"prompt": "Hi", "max_tokens": {HUGE_DECIMAL}'), "max_tokens",
     "max_tokens is a 403-digit number, a number too large to read"),
    ("not UTF-8: the prompt", _raw(b'"prompt": "' + NOT_UTF8 + b'"'), "prompt",
     "prompt is not UTF-8 text: the byte 0xE9 at character 4 is not UTF-8"),
    ("not UTF-8: a message block", _raw(b'"messages": [{"role": "user", "content": [{"text": "' + NOT_UTF8 + b'"}]}]'),
     "messages[0].content[0].text", "messages[0].content[0].text is not UTF-8 text"),
    ("not UTF-8: system", _raw(b'"prompt": "Hi", "system": "' + NOT_UTF8 + b'"'), "system", "system is not UTF-8 text"),
    ("not UTF-8: a field name", _raw(b'"prompt": "Hi", "' + NOT_UTF8 + b'": 1'), "body",
     "a field name in body is not UTF-8 text"),
    ("a Latin-1 body", _raw('"prompt": "café crème"'.encode("latin-1")), "prompt",
     "prompt is not UTF-8 text: the byte 0xE9 at character 4"),
    *[(f"JSON {name}", _raw(f'"prompt": "{escape}"'), "prompt", "prompt is not valid JSON text")
      for name, escape in BAD_ESCAPES.items()],
    ("JSON bad escape in a message", _raw('"messages": [{"role": "user", "content": "'
                                          + BAD_ESCAPES["\\x escape"] + '"}]'),
     "messages[0].content", "messages[0].content is not valid JSON text (Invalid \\escape"),
    ("JSON cut short", _raw('"prompt": "Hi"').removesuffix(b"}"), "body", "the body is not valid JSON"),
]


@pytest.mark.parametrize(("body", "field", "words"), [case[1:] for case in UNREADABLE_BODIES],
                         ids=[case[0] for case in UNREADABLE_BODIES])
def test_a_body_the_usual_readers_break_on_is_refused_by_field(api: Served, upstream: Control, body: bytes,
                                                               field: str, words: str) -> None:
    """Deep nesting was a 500 in plain text (RecursionError); a 5,000-digit number a 400 blaming the body."""
    seen, runs = requests_seen(upstream), len(api.history.runs())
    refused(post(api, None, raw=body), field, words)
    assert requests_seen(upstream) == seen and len(api.history.runs()) == runs


UNREADABLE_QUERIES = [
    ("not UTF-8: the prompt", f"prompt={NOT_UTF8_QUERY}", "prompt",
     "prompt is not UTF-8 text: the byte 0xE9 at byte 4 is not UTF-8"),
    ("not UTF-8: the model id", f"prompt=Hi&model_id={NOT_UTF8_QUERY}", "model_id", "model_id is not UTF-8 text"),
    ("not UTF-8: a parameter name", f"prompt=Hi&{NOT_UTF8_QUERY}=1", "query",
     "a parameter name is not UTF-8 text"),
    *[(name, f"prompt={value}", "prompt", "prompt has a broken percent escape") for name, value in
      BAD_PERCENT.items()],
    ("5,000-digit max_tokens", f"prompt=Hi&max_tokens={HUGE_INTEGER}", "max_tokens",
     "max_tokens is a 5,000-digit number, a number too large to read"),
    ("1e999 temperature", f"prompt=Hi&temperature={HUGE_FLOAT}", "temperature", "temperature is 1e999"),
    ("400-digit decimal top_p", f"prompt=Hi&top_p={HUGE_DECIMAL}", "top_p", "top_p is a 403-digit number"),
    ("the prompt twice", "prompt=Hi&prompt=Ignore+the+first", "prompt", "prompt is given twice"),
]


@pytest.mark.parametrize(("query", "field", "words"), [case[1:] for case in UNREADABLE_QUERIES],
                         ids=[f"GET {case[0]}" for case in UNREADABLE_QUERIES])
def test_a_query_the_usual_readers_change_is_refused_by_field(api: Served, upstream: Control, query: str,
                                                              field: str, words: str) -> None:
    """`prompt=caf%E9%FF` used to be answered 200, the model reading replacement characters."""
    seen, runs = requests_seen(upstream), len(api.history.runs())
    query = query if "model_id=" in query else f"model_id={MODEL}&{query}"
    reply = post(api, None, method="GET", path=f"/generate?{query}")
    refused(reply, field, words)
    assert requests_seen(upstream) == seen and len(api.history.runs()) == runs


def test_text_in_utf8_reads_exactly_in_both_forms(api: Served) -> None:
    """What the strict readers accept: percent-encoded UTF-8, + for a space, a body with a byte order mark."""
    reply = post(api, None, method="GET", path=f"/generate?model_id={MODEL}&prompt=caf%C3%A9+au+lait%21&stream=0")
    assert reply.status == 200, reply.body
    record = api.history.get_run(reply.body["metrics"]["run_id"])
    assert record is not None and holds(json.loads(record.request_json), "café au lait!")
    marked = b"\xef\xbb\xbf" + json.dumps({"model_id": MODEL, "prompt": "café", "stream": False}).encode()
    assert post(api, None, raw=marked).status == 200


def test_hostile_text_in_a_get_query_streams_like_a_post(api: Served, upstream: Control) -> None:
    from urllib.parse import urlencode

    upstream.echo("<script>window.__pwned = 1</script>")
    query = urlencode({"model_id": MODEL, "prompt": "<img src=x onerror=alert(1)> & ?x=1#y"})
    reply = post(api, None, method="GET", path="/generate?" + query)
    assert reply.status == 200 and reply.text() == "<script>window.__pwned = 1</script>"
