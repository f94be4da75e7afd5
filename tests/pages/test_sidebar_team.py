"""The sidebar's Team section through AppTest: the name runs are filed under, and the OpenTelemetry switch, which
sends the runs of the pages to a real OTLP/HTTP receiver, with prompts only when asked, and says what went wrong."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from core import telemetry
from core.history import History
from tests.otlp_receiver import OtlpReceiver, attributes_of, closed_port_url, receiving
from tests.pages.conftest import chat_entry

from .conftest import first_run

SESSION = "sidebar-team-session"


@pytest.fixture()
def receiver() -> Iterator[OtlpReceiver]:
    telemetry.disable()
    with receiving() as running:
        yield running
        telemetry.disable(wait_s=10)


def test_the_switch_sends_the_pages_runs_with_the_sidebars_name_and_content_only_when_asked(
        history: History, receiver: OtlpReceiver) -> None:
    at = first_run(SESSION, lab_user_name="Ana")
    assert at.sidebar.toggle(key="lab_otel").value is False  # off by default
    at.sidebar.text_input(key="lab_otel_endpoint").set_value(receiver.url)
    at.sidebar.toggle(key="lab_otel").set_value(True).run()
    assert not at.exception, at.exception
    assert telemetry.status().enabled and telemetry.status().endpoint == f"{receiver.url}/v1/traces"
    at.chat_input(key="chat_input").set_value("How do tides work?").run()
    record = chat_entry(at)["record"]
    assert telemetry.flush(timeout_s=20)
    found = attributes_of(receiver.span_named_by_run(record["run_id"]).attributes)
    assert found["gen_ai.provider.name"] == "aws.bedrock" and found["bedrock_lab.user_name"] == "Ana"
    assert found["bedrock_lab.ttft_ms"] == pytest.approx(record["ttft_ms"])
    assert "gen_ai.input.messages" not in found  # no prompt leaves the app unless asked

    at = first_run(SESSION + "-2", lab_user_name="Ana")
    assert at.sidebar.toggle(key="lab_otel").value is True  # the switch is the app's: another session sees it on
    at.sidebar.checkbox(key="lab_otel_content").check().run()
    at.chat_input(key="chat_input").set_value("And the moon?").run()
    record = chat_entry(at)["record"]
    assert telemetry.flush(timeout_s=20)
    found = attributes_of(receiver.span_named_by_run(record["run_id"]).attributes)
    assert json.loads(found["gen_ai.input.messages"])[0]["parts"][0]["content"] == "And the moon?"


def test_a_bad_endpoint_is_explained_and_a_dead_collector_is_a_warning_not_a_failure(
        history: History, receiver: OtlpReceiver, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(telemetry.TIMEOUT_VARIABLE, "0.5")  # the exporter gives up after 0.5 s of retries
    at = first_run(SESSION + "-bad")
    at.sidebar.text_input(key="lab_otel_endpoint").set_value("localhost:4318")
    at.sidebar.toggle(key="lab_otel").set_value(True).run()
    assert not at.exception and not telemetry.status().enabled
    # The sidebar shows it as an error (AppTest keeps no sidebar after a session's first run: its state says it).
    assert "is not an OTLP/HTTP endpoint" in at.session_state["lab_otel_problem"]

    at = first_run(SESSION + "-bad-2")
    dead = closed_port_url()
    at.sidebar.text_input(key="lab_otel_endpoint").set_value(dead)
    at.sidebar.toggle(key="lab_otel").set_value(True).run()
    at.chat_input(key="chat_input").set_value("Still answered?").run()
    assert chat_entry(at)["status"] == "ok"  # the run is unaffected
    telemetry.flush(timeout_s=20)
    at = first_run(SESSION + "-bad-3")
    warning = " ".join(w.value for w in at.sidebar.warning)
    assert dead in warning and "connection refused" in warning
    assert any("1 dropped" in c.value for c in at.sidebar.caption)
