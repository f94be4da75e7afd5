"""Bedrock's OpenAI-compatible Chat Completions route (`/openai/v1/chat/completions`): the emulator serves it over
real HTTP, the lab calls it as its third API ("openai"), and a client that is not ours (the `openai` package)
streams from the same emulator and sees what the lab sees."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import openai
import pytest

from core import catalog, errors
from core.client import chat_completions_route, route_of, runtime_client
from core.emulator import EmbeddedEmulator, models
from core.emulator import openai_route as emulator_route
from core.streaming import RunRequest, start
from core.types import ChatRequest, Message

from ..conftest import Control, client_for
from .tls import HttpsEmulator, long_term_key, start_https_emulator

# Models of the route picked from the model table by what they are: one that reasons unasked (its reasoning must
# stay apart) and one that does not.
_ROUTE = [m for m in catalog.listed_models() if "openai" in m.apis and m.lifecycle == "active"
          and m.spec is not None and m.spec.on_demand]
GPT_OSS = next(m.base_id for m in _ROUTE if m.thinking == "effort" and m.family is not None
               and m.family.name == "openai-chat")
QWEN = next(m.base_id for m in _ROUTE if m.thinking == "none")
ANSWER = "Rivers carry water from the hills down to the sea, and they shape the land on the way."


def lab_run(url: str, model_id: str, *, stream: bool = True, max_tokens: int = 40, attempts: int = 1) -> Any:
    chat = ChatRequest((Message("user", "Tell me about rivers."),), max_tokens=max_tokens)
    return start(RunRequest(model_id, chat, api="openai", stream=stream), client=client_for(url, attempts=attempts))


@pytest.fixture()
def sdk(emulator: EmbeddedEmulator) -> Iterator[openai.OpenAI]:
    """The `openai` package pointed at the emulator, as any OpenAI-compatible tool would be (base URL + a key)."""
    client = openai.OpenAI(base_url=f"{emulator.url}/openai/v1", api_key="emulator", max_retries=0, timeout=30)
    yield client
    client.close()


def test_the_lab_streams_the_route_with_its_own_definitions(emulator: EmbeddedEmulator, control: Control) -> None:
    control.echo(ANSWER, model_id=GPT_OSS)
    run = lab_run(emulator.url, GPT_OSS)
    text = "".join(run)
    record = run.record
    assert (record.status, record.api, record.mode) == ("ok", "openai", "stream")
    assert text == record.text == ANSWER
    # Reasoning arrives in delta.reasoning and is kept apart; the first answer token comes after it.
    assert record.reasoning_text and "reasoning" not in record.text
    assert record.first_reasoning_ms is not None and record.ttft_ms is not None
    assert record.first_reasoning_ms <= record.ttft_ms
    # Usage from the route's last chunk (stream_options.include_usage), as reported, reasoning included.
    assert record.tokens_source == "reported" and record.stop_reason == "stop"
    assert record.output_tokens is not None and record.output_tokens > len(ANSWER.split())
    assert '"stream_options": {"include_usage": true}' in record.request_json and run.request_id


def test_a_sync_call_through_the_route_is_one_chat_completion(emulator: EmbeddedEmulator, control: Control) -> None:
    control.echo(ANSWER, model_id=QWEN)
    run = lab_run(emulator.url, QWEN, stream=False)
    assert "".join(run) == ANSWER
    assert (run.record.status, run.record.mode, run.record.tokens_source) == ("ok", "sync", "reported")
    assert '"stream"' not in run.record.request_json


def test_the_openai_package_streams_from_the_emulator_and_sees_the_labs_figures(
        emulator: EmbeddedEmulator, control: Control, sdk: openai.OpenAI) -> None:
    # Both clients warmed first (the package's first stream pays for its lazy imports and connection), then a pace
    # that can be measured (first token about 150 ms in, 40 tok/s, scaled) and the same answer for both.
    for _ in sdk.chat.completions.create(model=QWEN, messages=[{"role": "user", "content": "Hi"}], max_tokens=2,
                                         stream=True):
        pass
    "".join(lab_run(emulator.url, QWEN, max_tokens=2))
    control.request("POST", "/_emulator/config", {"time_scale": 0.05})
    control.request("POST", "/_emulator/profiles", {"model_id": GPT_OSS, "ttft_ms": 3000, "tokens_per_s": 40,
                                                 "chunk_tokens": [1, 1]})
    control.echo(ANSWER, model_id=GPT_OSS, count=2)

    started = time.perf_counter()
    stream = sdk.chat.completions.create(model=GPT_OSS, messages=[{"role": "user", "content": "Tell me about rivers."}],
                                         max_completion_tokens=40, stream=True, stream_options={"include_usage": True})
    content, reasoning, first_content_s, usage, finish = [], [], None, None, None
    for chunk in stream:
        if chunk.usage is not None:
            usage = chunk.usage
        for choice in chunk.choices:
            finish = choice.finish_reason or finish
            if (choice.delta.model_extra or {}).get("reasoning"):
                reasoning.append(choice.delta.model_extra["reasoning"])
            if choice.delta.content:
                first_content_s = first_content_s or time.perf_counter() - started
                content.append(choice.delta.content)

    run = lab_run(emulator.url, GPT_OSS)
    lab_text = "".join(run)
    record = run.record
    assert "".join(content) == lab_text == ANSWER  # the same answer, one token a chunk
    assert len(content) == record.gap_count + 1
    assert reasoning and finish == "stop" == record.stop_reason
    assert usage is not None and usage.completion_tokens == record.output_tokens
    assert usage.prompt_tokens == record.input_tokens
    # Time to first answer text: the same definition on both sides (reasoning before it does not count), each
    # drawn around the pinned 150 ms (the spread is 12%), so the two agree within a wide margin.
    assert first_content_s is not None and record.ttft_ms is not None
    assert 0.1 < first_content_s < 0.5 and 100 < record.ttft_ms < 500
    assert 0.5 < record.ttft_ms / (first_content_s * 1000) < 2


def test_a_model_the_route_does_not_reach_gets_bedrocks_words(emulator: EmbeddedEmulator,
                                                              sdk: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        sdk.chat.completions.create(model="us.anthropic.claude-sonnet-4-6",
                                    messages=[{"role": "user", "content": "Hi"}])
    assert caught.value.status_code == 400
    assert caught.value.body == {"code": "validation_error",
                                 "message": "model `us.anthropic.claude-sonnet-4-6` isn't supported on this route"}
    # The lab knows it from its model table and sends nothing.
    run = lab_run(emulator.url, "us.anthropic.claude-sonnet-4-6")
    with pytest.raises(errors.ValidationError, match="not served through Chat Completions"):
        list(run)
    assert run.record.error_code == "UnsupportedApi"


@pytest.mark.parametrize(("fault", "kind", "code", "keeps_text"), [
    ({"kind": "throttling"}, errors.ThrottledError, "ThrottlingException", False),
    ({"kind": "stream_error", "exception": "throttlingException", "after_tokens": 3}, errors.ThrottledError,
     "throttlingException", True),
    ({"kind": "stream_error", "after_tokens": 3}, errors.StreamInterruptedError, "modelStreamErrorException", True),
    ({"kind": "truncated", "after_tokens": 3}, errors.StreamIncompleteError, "StreamIncomplete", True),
    ({"kind": "cut", "after_tokens": 3}, errors.ConnectionLostError, "ProtocolError", True),
    ({"kind": "malformed", "after_tokens": 3}, errors.StreamInterruptedError, "MalformedChunk", True),
])
def test_the_routes_errors_reach_the_lab_typed(emulator: EmbeddedEmulator, control: Control, fault: dict[str, Any],
                                               kind: type[errors.LabError], code: str, keeps_text: bool) -> None:
    control.fault(model_id=QWEN, **fault)
    run = lab_run(emulator.url, QWEN, max_tokens=30)
    with pytest.raises(kind):
        list(run)
    assert (run.record.status, run.record.error_code) == ("error", code)
    assert bool(run.record.text) is keeps_text


def test_throttling_before_the_stream_is_retried_as_botocore_would(emulator: EmbeddedEmulator,
                                                                   control: Control) -> None:
    control.fault("throttling", model_id=QWEN)
    run = lab_run(emulator.url, QWEN, max_tokens=10, attempts=2)
    assert "".join(run) and run.record.status == "ok" and run.record.attempts == 2


def test_the_route_is_signed_with_sigv4_for_the_bedrock_service(emulator: EmbeddedEmulator) -> None:
    route = route_of(client_for(emulator.url))
    headers = route.headers(b"{}", stream=True)
    assert route.url == f"{emulator.url}/openai/v1/chat/completions"
    assert headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=testing/")
    assert "/us-east-1/bedrock/aws4_request" in headers["Authorization"]
    assert headers["Accept"] == "text/event-stream"
    assert chat_completions_route("emulator").credentials is not None  # the app's own emulator: dummy keys


@pytest.fixture(scope="module")
def https_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpsEmulator]:
    running = start_https_emulator(tmp_path_factory.mktemp("tls"))
    yield running
    running.emulator.stop()


def test_an_api_key_goes_as_a_bearer_token_and_only_over_https(https_emulator: HttpsEmulator,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    key = long_term_key()
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", https_emulator.url)
    monkeypatch.setenv("AWS_CA_BUNDLE", str(https_emulator.ca_bundle))
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", key)
    chat = ChatRequest((Message("user", "Tell me about rivers."),), max_tokens=10)
    run = start(RunRequest(QWEN, chat, api="openai", backend="aws", max_attempts=1))
    assert "".join(run) and run.record.status == "ok"
    assert https_emulator.authorizations[-1] == f"Bearer {key}"
    route_of(runtime_client("aws", max_attempts=1)).pool.clear()  # a kept-alive connection would delay its stop
    with pytest.raises(errors.CredentialsError, match="only over HTTPS"):
        route_of(client_for("http://127.0.0.1:9"))


def test_the_route_reaches_the_models_the_table_says(sdk: openai.OpenAI) -> None:
    served = {m.id for m in sdk.models.list()}  # GET /openai/v1/models, as OpenAI-compatible tools discover models
    assert served == {m.model_id for m in models.LISTED if emulator_route.reaches(m)}
    table = {m.id for m in catalog.table().models.values() if "openai" in m.apis}
    known = {m.model_id for m in models.LISTED} & set(catalog.table().models)
    assert served & known == table & known and table <= known
    assert not any(i.startswith(("anthropic.", "amazon.", "meta.")) for i in served | table)
