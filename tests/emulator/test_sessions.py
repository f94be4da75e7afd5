"""Faults and echoes that belong to one browser session: they hit only the requests that carry its session
header, while a global one (the CLI's, or one posted without a session) hits every request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from core.emulator.server import SESSION_HEADER

from ..conftest import client_for, read_all
from ..models import ON_DEMAND

MESSAGES = [{"role": "user", "content": [{"text": "Tell me about queues."}]}]


def tagged(url: str, session: str | None) -> Any:
    """A boto3 client whose requests carry `session` in the session header, as the app's requests do."""
    client = client_for(url)
    if session is not None:
        def tag(request: Any, **_: Any) -> None:
            request.headers[SESSION_HEADER.decode()] = session

        client.meta.events.register("before-sign.bedrock-runtime", tag)
    return client


def converse(client: Any) -> str:
    return str(client.converse(modelId=ON_DEMAND, messages=MESSAGES)["output"]["message"]["content"][0]["text"])


def converse_stream(client: Any) -> str:
    events = read_all(client.converse_stream(modelId=ON_DEMAND, messages=MESSAGES)["stream"])
    return "".join(e["contentBlockDelta"]["delta"].get("text", "") for e in events if "contentBlockDelta" in e)


@pytest.mark.parametrize("call", [converse, converse_stream], ids=["converse", "converse_stream"])
def test_a_session_fault_hits_only_the_requests_of_its_session(
        emulator: Any, control: Any, call: Callable[[Any], str]) -> None:
    control.fault("throttling", count=None, session="alice")
    alice = tagged(emulator.url, "alice")
    with pytest.raises(alice.exceptions.ThrottlingException):
        call(alice)
    assert call(tagged(emulator.url, "bob")).startswith("(Emulated answer")
    assert call(tagged(emulator.url, None)).startswith("(Emulated answer")  # an untagged client: the API, the CLI
    with pytest.raises(alice.exceptions.ThrottlingException):  # count=None: still there for alice
        call(alice)


def test_a_session_fault_counts_down_on_its_own_requests_only(emulator: Any, control: Any) -> None:
    control.fault("throttling", count=1, session="alice")
    converse(tagged(emulator.url, "bob"))
    converse(tagged(emulator.url, None))
    alice = tagged(emulator.url, "alice")
    with pytest.raises(alice.exceptions.ThrottlingException):
        converse(alice)
    assert converse(alice).startswith("(Emulated answer")  # used up by alice's request, not by bob's


def test_a_global_fault_hits_every_session(emulator: Any, control: Any) -> None:
    control.fault("throttling", count=3)
    for session in ("alice", "bob", None):
        client = tagged(emulator.url, session)
        with pytest.raises(client.exceptions.ThrottlingException):
            converse(client)
    assert control.request("GET", "/_emulator/faults") == (200, {"faults": []})


def test_a_session_echo_answers_only_its_session(emulator: Any, control: Any) -> None:
    control.echo("<b>only for alice</b>", count=None, session="alice")
    assert converse(tagged(emulator.url, "alice")) == "<b>only for alice</b>"
    assert converse_stream(tagged(emulator.url, "alice")) == "<b>only for alice</b>"
    assert converse(tagged(emulator.url, "bob")).startswith("(Emulated answer")
    assert converse(tagged(emulator.url, None)).startswith("(Emulated answer")


def test_the_control_endpoint_lists_and_clears_one_sessions_faults(control: Any) -> None:
    control.fault("throttling", count=None, session="alice")
    control.fault("cut", count=None, session="bob")
    control.fault("stall", count=None)
    status, listed = control.request("GET", "/_emulator/faults?session=alice")
    assert status == 200 and [(f["kind"], f["session"]) for f in listed["faults"]] == [("throttling", "alice")]
    status, everything = control.request("GET", "/_emulator/faults")
    assert [f["session"] for f in everything["faults"]] == ["alice", "bob", None]
    assert control.request("DELETE", "/_emulator/faults?session=alice") == (200, {"faults": []})
    status, left = control.request("GET", "/_emulator/faults")
    assert [(f["kind"], f["session"]) for f in left["faults"]] == [("cut", "bob"), ("stall", None)]
    for bad in ("", 7):
        status, body = control.request("POST", "/_emulator/faults", {"kind": "throttling", "session": bad})
        assert status == 400 and '"session"' in body["message"]


def test_the_control_endpoint_lists_and_clears_one_sessions_echoes(control: Any) -> None:
    control.echo("for alice", session="alice")
    control.echo("for everyone")
    status, listed = control.request("GET", "/_emulator/echo?session=alice")
    assert status == 200 and [e["text"] for e in listed["echoes"]] == ["for alice"]
    control.request("DELETE", "/_emulator/echo?session=alice")
    status, left = control.request("GET", "/_emulator/echo")
    assert [(e["text"], e["session"]) for e in left["echoes"]] == [("for everyone", None)]


def test_the_apps_client_tags_its_requests_with_the_session_the_emulator_reads(faults: Any) -> None:
    """The contract end to end: core.client's `session_tag` sends the header the emulator matches faults on."""
    from core.client import SESSION_HEADER as CLIENT_HEADER
    from core.client import botocore_config, make_client, session_tag
    from core.emulator.faults import Fault

    assert CLIENT_HEADER.encode() == SESSION_HEADER
    client = make_client("bedrock-runtime", "emulator", config=botocore_config(max_attempts=1))
    faults.add(Fault("throttling", count=None, session="tab-1"))
    with session_tag("tab-1"), pytest.raises(client.exceptions.ThrottlingException):
        converse(client)
    with session_tag("tab-2"):
        assert converse(client).startswith("(Emulated answer")
    assert converse(client).startswith("(Emulated answer")
    client.close()
