"""The boto3 snippet of "View API request": run as it is copied, against the emulator over HTTP, it makes the
run's call again (the same operation, model, body and headers) and prints the same answer."""

from __future__ import annotations

import contextlib
import io
import json
from typing import Any

import pytest

from core import catalog
from core.snippet import boto3_snippet, operation_name, pretty_body
from core.streaming import RunRequest, start
from core.types import ChatRequest, Message, RunRecord

from .. import models
from ..conftest import client_for
from ..models import FAMILY_MODELS

QUESTION = "How should a team compare latency between two hosted language models?"
ROUTE_MODEL = next(m.base_id for m in catalog.listed_models() if "openai" in m.apis and m.lifecycle == "active"
                   and m.thinking == "none" and m.spec is not None and m.spec.on_demand)


@pytest.fixture()
def lab(emulator: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Runs the lab's request, then the snippet of its record the way a user would: boto3 pointed at the emulator
    by the environment (the dummy keys of the test session), nothing else."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", emulator.url)

    def run(model_id: str, *, api: str = "invoke", stream: bool = True,
            **chat: Any) -> tuple[RunRecord, str, dict[str, Any]]:
        request = ChatRequest((Message("user", QUESTION),), max_tokens=120, **chat)
        record = start(RunRequest(model_id, request, api=api, stream=stream),  # type: ignore[arg-type]
                       client=client_for(emulator.url)).result()
        assert record.status == "ok", record.error_message
        snippet = boto3_snippet(record)
        namespace: dict[str, Any] = {"__name__": "snippet"}
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(snippet, "snippet", "exec"), namespace)  # noqa: S102 - the point: run it as copied
        if "client" in namespace:
            namespace["client"].close()
        assert emulator.url not in snippet and "testing" not in snippet  # no endpoint, no (dummy) key written
        return record, printed.getvalue(), namespace

    return run


@pytest.mark.parametrize("family", list(FAMILY_MODELS))
def test_the_invoke_stream_snippet_of_every_family_prints_the_same_answer(lab: Any, family: str) -> None:
    record, printed, namespace = lab(FAMILY_MODELS[family])
    assert json.dumps(namespace["body"]) == record.request_json  # the body exactly as the lab sent it
    tagged = catalog.resolve(record.model_id).family.reasoning_tag  # type: ignore[union-attr]
    if tagged:  # reasoning in tags inside the text is printed as the model sent it, before the answer
        assert printed.rstrip("\n").endswith(record.text.strip()), printed[-200:]
    else:
        assert printed == record.text + "\n"


@pytest.mark.parametrize(("api", "stream"), [("converse", True), ("converse", False), ("openai", True),
                                             ("openai", False)])
def test_converse_and_chat_completions_snippets_print_the_same_answer(lab: Any, api: str, stream: bool) -> None:
    record, printed, namespace = lab(ROUTE_MODEL if api == "openai" else models.CLAUDE, api=api, stream=stream)
    assert printed == record.text + "\n"
    sent = namespace["request"] if api == "converse" else namespace["body"]
    assert json.dumps(sent) == record.request_json


def test_the_sync_invoke_snippet_prints_the_body_bedrock_returned(lab: Any) -> None:
    record, printed, namespace = lab(models.CLAUDE, stream=False)
    body = json.loads(printed)
    assert [block["text"] for block in body["content"]] == [record.text]
    assert namespace["response"]["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_the_tier_is_sent_as_the_run_sent_it_and_the_page_figures_name_the_call(lab: Any) -> None:
    model = models.TIERED
    record, printed, namespace = lab(models.call_id(model), service_tier="priority")
    assert record.service_tier == "priority" and 'serviceTier="priority"' in boto3_snippet(record)
    assert namespace["response"]["serviceTier"] == record.service_tier_served == "priority"
    assert printed == record.text + "\n"
    assert operation_name(record) == "InvokeModelWithResponseStream"
    assert json.loads(pretty_body(record)) == json.loads(record.request_json) and "\n  " in pretty_body(record)
