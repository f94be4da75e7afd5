"""The run against the emulator over HTTP: every family, both APIs, both modes, faults and recovery."""

from __future__ import annotations

import contextlib
import gc
import json
import time
from typing import Any

import pytest

from core import catalog, errors
from core.emulator.textgen import count_tokens
from core.streaming import RESTART_NOTICE, Recovery, RunRequest, continue_request, start, stopped_at_max_tokens
from core.types import ChatRequest, Message, Reasoning, ReasoningDelta, RunRecord, TextDelta

from .. import models
from ..conftest import client_for
from ..models import FAMILY_MODELS, call_id

QUESTION = "How should a team compare latency between two hosted language models?"
FAMILIES = FAMILY_MODELS  # family -> the id a request uses for one priced, active model of it
CLAUDE = models.CLAUDE
LLAMA = FAMILY_MODELS["llama3"]
MARKUP = ("<think>", "<reasoning>", "</")  # reasoning tags that must never reach the answer text


def ask(model_id: str, client: Any, *, text: str = QUESTION, api: str = "invoke", stream: bool = True,
        max_tokens: int = 200, messages: tuple[Message, ...] | None = None, temperature: float | None = None,
        top_p: float | None = None, reasoning: Reasoning | None = None, **options: Any) -> Any:
    chat = ChatRequest(messages or (Message("user", text),), max_tokens=max_tokens, temperature=temperature,
                       top_p=top_p, reasoning=reasoning)
    return start(RunRequest(model_id, chat, api=api, stream=stream, **options), client=client)  # type: ignore[arg-type]


@pytest.fixture()
def client(emulator: Any) -> Any:
    return client_for(emulator.url)


def assert_answer_only(record: RunRecord) -> None:
    """The answer text has no reasoning in it: no tags, and none of the reasoning text."""
    assert not any(tag in record.text for tag in MARKUP), record.text[:300]
    assert not any(tag in record.reasoning_text for tag in MARKUP), record.reasoning_text[:300]
    if record.reasoning_text.strip():
        assert record.reasoning_text.strip() not in record.text


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "sync"])
@pytest.mark.parametrize("api", ["invoke", "converse"])
@pytest.mark.parametrize("family", list(FAMILIES))
def test_every_family_api_and_mode_gives_text_reported_usage_and_consistent_timings(
        client: Any, family: str, api: str, stream: bool) -> None:
    model = catalog.resolve(FAMILIES[family])
    run = ask(FAMILIES[family], client, api=api, stream=stream)
    pieces = list(run)
    record = run.record
    assert record.status == "ok", record.error_message
    assert "".join(pieces) == record.text and record.text.startswith(f"(Emulated answer from {model.name}")
    assert "latency" in record.text  # it answered this question
    assert_answer_only(record)
    if model.thinking == "none":
        assert record.reasoning_text == ""
    assert record.tokens_source == "reported"
    # Reasoning is billed output too; the white space a tag split leaves at its edges is no token of its own.
    assert record.output_tokens == count_tokens(record.text) + count_tokens(record.reasoning_text.strip())
    assert record.input_tokens and record.input_tokens > 0
    assert record.server_latency_ms is not None
    assert record.cost_usd is not None and record.cost_usd > 0
    assert record.mode == ("stream" if stream else "sync") and record.api == api
    assert 0 <= record.first_event_ms <= record.ttft_ms <= record.e2e_ms  # type: ignore[operator]
    if stream:
        assert len(pieces) > 1 and record.gap_count == len(pieces) - 1
        assert record.tokens_per_s is not None and record.tpot_ms is not None
    else:
        assert len(pieces) == 1 and record.ttft_ms == record.e2e_ms and record.tokens_per_s is None
    if model.thinking == "none":
        return
    # A reasoning model asked to reason: its reasoning arrives, apart from the answer, and TTFT is the answer's.
    reasoned = ask(FAMILIES[family], client, api=api, stream=stream, max_tokens=6000,
                   reasoning=catalog.reasoning_for(model, "medium")).result()
    assert reasoned.status == "ok" and reasoned.reasoning_text.strip(), (family, api, reasoned.notes)
    assert reasoned.text.startswith(f"(Emulated answer from {model.name}") and "latency" in reasoned.text
    assert_answer_only(reasoned)
    assert 0 <= reasoned.first_event_ms <= reasoned.ttft_ms <= reasoned.e2e_ms  # type: ignore[operator]


@pytest.mark.parametrize("family", [f for f in FAMILIES if f not in ("cohere-command", "jurassic2")])
@pytest.mark.parametrize("api", ["invoke", "converse"])
def test_multi_turn_requests_carry_the_whole_conversation(client: Any, family: str, api: str) -> None:
    conversation = (Message("user", "Tell me about caching."), Message("assistant", "Caching keeps results close."),
                    Message("user", "What about invalidation strategies?"))
    record = ask(FAMILIES[family], client, api=api, messages=conversation).result()
    assert "turn 2" in record.text and "invalidation strategies" in record.text


def test_invoke_and_converse_send_the_same_conversation(client: Any) -> None:
    for model_id in FAMILIES.values():
        invoke = ask(model_id, client, stream=False).result().text
        assert ask(model_id, client, api="converse", stream=False).result().text == invoke, model_id


def test_system_prompt_reaches_the_model_or_is_folded_with_a_note(client: Any) -> None:
    chat = ChatRequest((Message("user", QUESTION),), system="Answer as a ship's captain.", max_tokens=100)
    claude = start(RunRequest(CLAUDE, chat), client=client).result()
    assert "ship's captain" in claude.text and not claude.notes
    # The emulator's one family that takes no system prompt (nor streams): folded into the message, with a note.
    folded = start(RunRequest(models.NOT_STREAMING, chat, stream=False), client=client).result()
    assert folded.status == "ok" and any("system prompt" in n for n in folded.notes)


@pytest.mark.parametrize(("fault", "fields", "error"), [
    ("throttling", {}, errors.ThrottledError),
    ("model_not_ready", {}, errors.ModelNotReadyError),
    ("service_unavailable", {}, errors.ServiceError),
    ("model_timeout", {}, errors.ModelTimeoutError),
    ("access_denied", {}, errors.AccessDeniedError),
    ("context_window", {}, errors.ContextWindowError),
    ("internal_error", {}, errors.ServiceError),
])
@pytest.mark.parametrize("stream", [True, False], ids=["stream", "sync"])
def test_faults_before_the_stream_become_typed_errors(client: Any, control: Any, fault: str, fields: dict[str, Any],
                                                      error: type[errors.LabError], stream: bool) -> None:
    control.fault(fault, model_id=CLAUDE, **fields)
    run = ask(CLAUDE, client, stream=stream)
    with pytest.raises(error) as caught:
        run.result()
    assert caught.value.message and caught.value.action in caught.value.message
    assert run.record.status == "error" and run.record.error_code == caught.value.code
    assert run.record.text == ""


@pytest.mark.parametrize(("fault", "fields", "error", "code"), [
    ("stream_error", {"exception": "modelStreamErrorException"}, errors.StreamInterruptedError,
     "modelStreamErrorException"),
    ("stream_error", {"exception": "throttlingException"}, errors.ThrottledError, "throttlingException"),
    ("stream_error", {"exception": "internalServerException"}, errors.StreamInterruptedError,
     "internalServerException"),
    ("cut", {}, errors.ConnectionLostError, "ProtocolError"),
    ("malformed", {}, errors.StreamInterruptedError, "MalformedChunk"),
])
@pytest.mark.parametrize("api", ["invoke", "converse"])
def test_faults_mid_stream_keep_the_partial_text(client: Any, control: Any, fault: str, fields: dict[str, Any],
                                                 error: type[errors.LabError], code: str, api: str) -> None:
    control.fault(fault, model_id=CLAUDE, after_tokens=15, **fields)
    run = ask(CLAUDE, client, api=api)
    seen: list[str] = []
    with pytest.raises(error) as caught:
        for text in run:
            seen.append(text)
    assert caught.value.code == code
    record = run.record
    assert record.status == "error" and record.error_code == code
    assert record.text == "".join(seen) and record.text.startswith("(Emulated")
    assert record.ttft_ms is not None and record.e2e_ms is not None


def test_a_stall_ends_at_the_read_timeout_not_later(emulator: Any, control: Any) -> None:
    control.fault("stall", model_id=CLAUDE, after_tokens=10, seconds=30)
    run = ask(CLAUDE, client_for(emulator.url, read_timeout_s=0.5))
    with pytest.raises(errors.ModelTimeoutError):
        run.result()
    assert run.record.status == "error" and run.record.text
    assert run.record.e2e_ms is not None and run.record.e2e_ms < 10_000


def test_unknown_models_and_profile_only_ids_get_typed_errors(client: Any) -> None:
    with pytest.raises(errors.ValidationError, match="through the Converse API"):  # no InvokeModel family
        ask("acme.nonexistent-model-v1", client).result()
    with pytest.raises(errors.ModelNotFoundError):  # Converse asks Bedrock, which does not know it
        ask("acme.nonexistent-model-v1", client, api="converse").result()
    with pytest.raises(errors.ProfileRequiredError):
        ask(models.PROFILE_ONLY, client).result()
    with pytest.raises(errors.ModelNotFoundError):
        ask("anthropic.claude-9-imaginary-v1:0", client, api="converse").result()


@pytest.mark.parametrize(("chat", "message"), [
    (ChatRequest((Message("user", "   "),)), "empty"),
    (ChatRequest((Message("user", "hi"),), max_tokens=0),
     f"max tokens must be between 1 and {models.CHAT.max_output_tokens:,} for {models.CHAT.name}, not 0"),
    (ChatRequest((Message("user", "hi"),), max_tokens=999_999), "not 999,999"),
    (ChatRequest((Message("user", "hi"),), top_p=2), "top_p must be between 0 and 1"),
    (ChatRequest((Message("user", "hi"),), temperature=-1), "temperature must be between 0 and 1"),
    (ChatRequest((Message("user", "hi"),), temperature=1.5), "temperature must be between 0 and 1"),
    (ChatRequest((Message("user", "hi"),), temperature=float("nan")), "temperature must be between 0 and 1"),
])
def test_bad_input_is_refused_before_any_call(emulator: Any, client: Any, control: Any, chat: ChatRequest,
                                              message: str) -> None:
    before = control.request("GET", "/_emulator/health")[1]["requests"]
    run = start(RunRequest(CLAUDE, chat), client=client)
    with pytest.raises(errors.ValidationError, match=message):
        run.result()
    assert run.record.status == "error"
    assert control.request("GET", "/_emulator/health")[1]["requests"] == before


def test_closing_a_run_cancels_it_and_keeps_what_arrived(client: Any) -> None:
    run = ask(CLAUDE, client, max_tokens=300)
    texts = run.text()
    pieces = [next(texts) for _ in range(5)]
    with pytest.raises(RuntimeError, match="not finished"):
        run.record  # noqa: B018 - reading it early must refuse, not give a wrong number
    run.close()
    assert run.record.status == "cancelled" and run.record.text == "".join(pieces)
    assert run.record.ttft_ms is not None


def test_leaving_the_loop_early_cancels_the_run(client: Any) -> None:
    run = ask(CLAUDE, client, max_tokens=300)
    for count, _ in enumerate(run, 1):
        if count == 3:
            break
    assert run.record.status == "cancelled" and run.record.text


def test_an_abandoned_generator_is_cancelled_like_streamlit_stop(client: Any) -> None:
    run = ask(CLAUDE, client, max_tokens=300)
    texts = iter(run)
    first = next(texts)
    del texts
    gc.collect()
    assert run.record.status == "cancelled" and run.record.text == first


def test_a_finished_run_replays_its_text_without_a_new_request(client: Any, control: Any) -> None:
    run = ask(CLAUDE, client)
    text = "".join(run)
    before = control.request("GET", "/_emulator/health")[1]["requests"]
    assert "".join(run) == text and run.record.text == text
    assert control.request("GET", "/_emulator/health")[1]["requests"] == before


def test_callback_style_gets_every_chunk_then_done(client: Any) -> None:
    calls: list[tuple[str, bool]] = []
    run = start(RunRequest(CLAUDE, ChatRequest((Message("user", QUESTION),), max_tokens=50)), client=client,
                callback=lambda chunk, done: calls.append((chunk, done)))
    record = run.result()
    assert calls[-1] == ("", True) and all(not done for _, done in calls[:-1])
    assert "".join(chunk for chunk, _ in calls) == record.text


def test_botocore_retries_before_the_stream_are_counted(emulator: Any, control: Any) -> None:
    control.fault("throttling", model_id=CLAUDE, count=2)
    record = ask(CLAUDE, client_for(emulator.url, attempts=3)).result()
    assert record.status == "ok" and record.attempts == 3


def test_recovery_continues_claude_from_the_partial_text(client: Any, control: Any) -> None:
    whole = ask(CLAUDE, client, max_tokens=1000).result().text  # room to end naturally, both times
    control.fault("stream_error", model_id=CLAUDE, after_tokens=30, exception="modelStreamErrorException")
    run = ask(CLAUDE, client, max_tokens=1000, recover=True)
    events = list(run.events())
    recoveries = [e for e in events if isinstance(e, Recovery)]
    assert [(r.attempt, r.mode, r.reason) for r in recoveries] == [(2, "continue", "modelStreamErrorException")]
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == whole == run.record.text
    assert run.record.status == "ok" and run.record.attempts == 2 and run.record.notes


def test_recovery_restarts_other_families_and_says_so(client: Any, control: Any) -> None:
    whole = ask(LLAMA, client).result().text
    control.fault("cut", model_id=LLAMA, after_tokens=20)
    run = ask(LLAMA, client, recover=True)
    shown = "".join(run)
    assert RESTART_NOTICE in shown and shown.endswith(whole)
    assert run.record.text == whole and run.record.attempts == 2


def test_without_recovery_nothing_is_retried_silently(client: Any, control: Any) -> None:
    control.fault("stream_error", model_id=CLAUDE, after_tokens=10, exception="throttlingException", count=1)
    with pytest.raises(errors.ThrottledError):
        ask(CLAUDE, client).result()
    status, faults = control.request("GET", "/_emulator/faults")
    assert faults["faults"] == []  # consumed by the one request, and no second request was made


def test_recovery_gives_up_after_its_limit(client: Any, control: Any) -> None:
    control.fault("stream_error", model_id=LLAMA, after_tokens=5, exception="internalServerException", count=None)
    run = ask(LLAMA, client, recover=True, max_recoveries=2)
    with pytest.raises(errors.StreamInterruptedError):
        run.result()
    assert run.record.attempts == 3 and run.record.status == "error"


def test_on_finish_receives_the_record_once(client: Any) -> None:
    seen: list[RunRecord] = []
    run = start(RunRequest(CLAUDE, ChatRequest((Message("user", QUESTION),), max_tokens=30)), client=client,
                on_finish=seen.append)
    run.result()
    list(run)
    assert seen == [run.record]


def test_thinking_never_mixes_into_the_answer(client: Any) -> None:
    record = ask(CLAUDE, client, max_tokens=100).result()  # reasoning not asked for: none comes
    assert record.reasoning_text == "" and record.text.startswith("(Emulated")
    reasoned = ask(CLAUDE, client, max_tokens=2000, reasoning=catalog.reasoning_for(models.CHAT, "low")).result()
    assert reasoned.reasoning_text and reasoned.text.startswith("(Emulated")
    assert_answer_only(reasoned)


def test_timings_follow_the_emulators_profile_at_time_scale_1(client: Any, control: Any) -> None:
    """Not a speed target: a check that the run measures what the emulator was told to do."""
    control.request("POST", "/_emulator/config", {"time_scale": 1})
    control.request("POST", "/_emulator/profiles", {"model_id": CLAUDE, "ttft_ms": 300, "tokens_per_s": 400})
    record = ask(CLAUDE, client, text="Write 200 tokens about queues.", max_tokens=200).result()
    assert 200 <= record.ttft_ms <= 700  # type: ignore[operator]  # drawn around 300 ms
    assert record.server_first_byte_ms is not None and record.server_first_byte_ms <= record.ttft_ms  # type: ignore[operator]
    assert 250 <= record.tokens_per_s <= 550  # type: ignore[operator]  # drawn around 400 tok/s
    assert record.e2e_ms == pytest.approx(record.ttft_ms + 200 / record.tokens_per_s * 1000, rel=0.01)  # type: ignore[operator]


def test_attempts_count_botocore_retries_that_still_failed(emulator: Any, control: Any) -> None:
    control.fault("throttling", model_id=CLAUDE, count=3)
    run = ask(CLAUDE, client_for(emulator.url, attempts=3))
    with pytest.raises(errors.ThrottledError):
        run.result()
    assert run.record.attempts == 3 and run.record.status == "error"


def test_closing_a_run_that_never_started_still_records_it_as_cancelled(client: Any, control: Any) -> None:
    before = control.request("GET", "/_emulator/health")[1]["requests"]
    run = ask(CLAUDE, client)
    assert not run.started
    run.close()
    assert run.record.status == "cancelled" and run.record.text == "" and run.record.e2e_ms is None
    assert control.request("GET", "/_emulator/health")[1]["requests"] == before


def test_live_progress_flags_a_stream_slower_than_the_models_usual_rate(client: Any, control: Any) -> None:
    from core.streaming import slower_than_usual

    control.request("POST", "/_emulator/config", {"time_scale": 1})
    control.request("POST", "/_emulator/profiles", {"model_id": CLAUDE, "ttft_ms": 50, "tokens_per_s": 20})
    run = ask(CLAUDE, client, text="Write 100 tokens about queues.", max_tokens=100)
    texts = run.text()
    start_s = time.monotonic()
    while time.monotonic() - start_s < 1.6:
        next(texts)
    live = run.live()
    run.close()
    assert live.output_tokens > 0 and live.tokens_per_s is not None and live.tokens_per_s < 50
    typical = catalog.resolve(CLAUDE).typical_tokens_per_s
    assert typical is not None and typical > 100  # the table's usual rate for the default Claude
    assert slower_than_usual(live, typical)
    assert not slower_than_usual(live, 30)


@pytest.mark.parametrize("api", ["invoke", "converse"])
def test_cancel_from_another_thread_shuts_a_waiting_stream_at_once(client: Any, control: Any, api: str) -> None:
    """An HTTP client that hangs up: the run is waiting 5 s for its first token when another thread cancels it."""
    import threading

    control.request("POST", "/_emulator/config", {"time_scale": 1})
    control.request("POST", "/_emulator/profiles", {"model_id": CLAUDE, "ttft_ms": 5000})
    run = ask(CLAUDE, client, api=api)
    threading.Timer(0.3, run.cancel).start()
    started = time.monotonic()
    assert list(run) == []  # the text just ends: a cancelled run raises nothing
    assert time.monotonic() - started < 2
    assert run.cancelled and run.record.status == "cancelled" and run.record.error_code is None
    deadline = time.monotonic() + 2  # the emulator sees the hang-up at once (its loop may share a busy machine)
    while control.request("GET", "/_emulator/health")[1]["active_streams"] and time.monotonic() < deadline:
        time.sleep(0.02)
    assert control.request("GET", "/_emulator/health")[1]["active_streams"] == 0


def test_cancel_mid_stream_keeps_the_text_so_far(client: Any, control: Any) -> None:
    control.request("POST", "/_emulator/config", {"time_scale": 1})
    control.request("POST", "/_emulator/profiles", {"model_id": CLAUDE, "ttft_ms": 50, "tokens_per_s": 40})
    run = ask(CLAUDE, client, text="Write 200 tokens about queues.", max_tokens=200, recover=True)
    pieces = []
    for piece in run:
        pieces.append(piece)
        if len(pieces) == 3:
            run.cancel()
    assert len(pieces) == 3 and run.record.status == "cancelled" and run.record.text == "".join(pieces)
    assert run.record.attempts == 1  # a cancelled stream is never "recovered"


@pytest.mark.parametrize("fault", ["cut", "malformed"])
@pytest.mark.parametrize("api", ["invoke", "converse"])
def test_a_sync_answer_cut_short_or_garbled_is_an_error_not_an_empty_success(
        client: Any, control: Any, fault: str, api: str) -> None:
    """botocore parses an unreadable Converse body as `{}` (and does not check its length): that was recorded as
    a successful, empty answer. An InvokeModel body that is not JSON was an untyped "Something went wrong"."""
    control.fault(fault, model_id=LLAMA)
    run = ask(LLAMA, client, api=api, stream=False)
    with pytest.raises(errors.LabError) as caught:
        run.result()
    expected = errors.ConnectionLostError if (fault, api) == ("cut", "invoke") else errors.ServiceError
    assert type(caught.value) is expected
    assert run.record.status == "error" and run.record.text == ""
    if expected is errors.ServiceError:
        assert caught.value.code == "MalformedResponse" and "could not be read" in caught.value.message


def test_text_that_is_not_valid_unicode_is_refused_before_any_call(client: Any, control: Any) -> None:
    """A lone surrogate (undecodable bytes read with surrogateescape, a JSON "\\ud800" escape) cannot be sent,
    stored or shown; it used to crash the emulator's request and reach the user as a lost connection."""
    served = control.request("GET", "/_emulator/health")[1]["requests"]
    for chat in (ChatRequest((Message("user", "bad \udcff byte"),)),
                 ChatRequest((Message("user", "fine"),), system="sys \ud800"),
                 ChatRequest((Message("user", "fine"),), stop_sequences=("\udc80",))):
        run = start(RunRequest(LLAMA, chat), client=client)
        with pytest.raises(errors.ValidationError, match="not valid Unicode text") as caught:
            run.result()
        assert caught.value.code == "InvalidText" and run.record.status == "error"
    assert control.request("GET", "/_emulator/health")[1]["requests"] == served


def _read_in_thread(run: Any) -> tuple[Any, list[str]]:
    """Iterate the run on a thread of its own, as an interrupted Streamlit script run still would."""
    import threading

    pieces: list[str] = []
    reader = threading.Thread(target=lambda: pieces.extend(run), daemon=True)
    reader.start()
    return reader, pieces


def test_stop_from_another_thread_ends_a_run_being_read_and_returns_its_record(client: Any, control: Any) -> None:
    """What the chat page does when Stop's rerun takes over an answer the interrupted run is still reading."""
    control.request("POST", "/_emulator/config", {"time_scale": 1})
    control.request("POST", "/_emulator/profiles", {"model_id": CLAUDE, "ttft_ms": 50, "tokens_per_s": 40})
    recorded: list[RunRecord] = []
    chat = ChatRequest((Message("user", "Write 300 tokens about queues."),), max_tokens=300)
    run = start(RunRequest(CLAUDE, chat), client=client, on_finish=recorded.append)
    reader, pieces = _read_in_thread(run)
    while len(pieces) < 5:
        time.sleep(0.01)
    record = run.stop()
    reader.join(2)
    assert not reader.is_alive()  # the reader's text ended: nothing raised there
    assert record is not None and record.status == "cancelled" and record.run_id == run.run_id
    assert record.text == "".join(pieces) and 0 < (record.output_tokens or 0) < 300
    assert recorded == [record]  # recorded once, by whichever thread ended the run


def test_stop_closes_a_run_nobody_is_reading(client: Any, control: Any) -> None:
    before = control.request("GET", "/_emulator/health")[1]["requests"]
    run = ask(CLAUDE, client)
    record = run.stop()
    assert record is not None and record.status == "cancelled" and record.text == ""
    assert control.request("GET", "/_emulator/health")[1]["requests"] == before  # nothing was sent
    abandoned = ask(CLAUDE, client)
    first = next(abandoned.text())  # a reader that left mid-stream (an interrupted script run) ...
    partial = abandoned.stop()  # ... is closed here
    assert partial is not None and partial.status == "cancelled" and partial.text == first


def test_stop_on_a_finished_run_returns_its_record_unchanged(client: Any) -> None:
    run = ask(CLAUDE, client)
    record = run.result()
    assert run.stop() is record and record.status == "ok"


def test_stop_does_not_wait_for_a_sync_answer_that_is_on_its_way(client: Any, control: Any) -> None:
    """A sync request cannot be called back: stop() gives up waiting, and the run records itself as cancelled
    when the answer comes, with the id the page already keeps."""
    control.request("POST", "/_emulator/config", {"time_scale": 1})
    control.request("POST", "/_emulator/profiles", {"model_id": CLAUDE, "ttft_ms": 1500, "tokens_per_s": 200})
    recorded: list[RunRecord] = []
    run = start(RunRequest(CLAUDE, ChatRequest((Message("user", QUESTION),), max_tokens=100), stream=False),
                client=client, on_finish=recorded.append)
    reader, _ = _read_in_thread(run)
    time.sleep(0.2)
    assert run.stop(wait_s=0.3) is None and not run.finished
    reader.join(10)
    assert [r.status for r in recorded] == ["cancelled"] and recorded[0].run_id == run.run_id


@pytest.mark.parametrize("api", ["invoke", "converse"])
def test_ttft_is_taken_at_the_first_answer_text_not_at_the_reasoning(client: Any, control: Any, api: str) -> None:
    """At time scale 1 the reasoning takes real time before the answer starts: TTFT must come after it."""
    control.request("POST", "/_emulator/config", {"time_scale": 1})
    control.request("POST", "/_emulator/profiles", {"model_id": CLAUDE, "ttft_ms": 50, "tokens_per_s": 4000})
    record = ask(CLAUDE, client, api=api, max_tokens=1500, reasoning=catalog.reasoning_for(models.CHAT, "low")).result()
    assert record.status == "ok" and record.reasoning_text
    reasoning_ms = count_tokens(record.reasoning_text) / 4000 * 1000
    assert reasoning_ms > 100
    assert record.ttft_ms - record.first_event_ms >= 0.5 * reasoning_ms  # type: ignore[operator]
    assert_answer_only(record)


# -- request rules: only what a model takes is sent, and the record says what was left out ------------------------


def sampling_sent(request_json: str) -> dict[str, Any]:
    """temperature and top_p as the request carried them (InvokeModel body or Converse `inferenceConfig`)."""
    body = json.loads(request_json)
    found: dict[str, Any] = {}
    for where in (body, body.get("inferenceConfig") or {}):
        for key, name in (("temperature", "temperature"), ("top_p", "top_p"), ("topP", "top_p")):
            if key in where:
                found[name] = where[key]
    return found


@pytest.mark.parametrize("api", ["invoke", "converse"])
@pytest.mark.parametrize("model", [models.NO_SAMPLING, models.ONE_SAMPLING], ids=lambda m: f"sampling-{m.sampling}")
def test_sampling_a_model_refuses_is_left_out_and_the_record_says_so(client: Any, runtime: Any, model: catalog.Model,
                                                                      api: str) -> None:
    model_id = call_id(model)
    if api == "invoke":  # the emulator refuses both samplers, as Bedrock does: dropping them is what makes it work
        assert model.family is not None
        unfitted = model.family.provider.build_request(
            ChatRequest((Message("user", QUESTION),), max_tokens=50, temperature=0.7, top_p=0.9))
        with pytest.raises(runtime.exceptions.ValidationException):
            runtime.invoke_model(modelId=model_id, body=json.dumps(unfitted.body))
    record = ask(model_id, client, api=api, temperature=0.7, top_p=0.9).result()
    assert record.status == "ok" and "latency" in record.text
    assert record.temperature == 0.7 and record.top_p == 0.9  # what the user asked for stays on the record
    sent = sampling_sent(record.request_json)
    if model.sampling == "none":
        assert sent == {}
        assert [n for n in record.notes if model.name in n and "temperature 0.7" in n and "top_p 0.9" in n
                and "not sent" in n], record.notes
    else:
        assert sent == {"temperature": 0.7}
        assert [n for n in record.notes if model.name in n and "top_p 0.9 was not sent" in n], record.notes


def _first_active(predicate: Any, api: str = "invoke") -> catalog.Model:
    return next(m for m in catalog.listed_models() if m.lifecycle == "active" and m.family is not None
                and api in m.apis and predicate(m))


EFFORT_STYLES = {  # one model per reasoning style, chosen from the table by what it is
    "claude-adaptive": _first_active(lambda m: m.family.name == "anthropic-messages" and m.thinking == "adaptive"),
    "claude-budget": _first_active(lambda m: m.family.name == "anthropic-messages" and m.thinking == "budget"),
    "nova-2": _first_active(lambda m: m.family.name == "nova" and m.thinking == "effort"),
    "gpt-oss": _first_active(lambda m: m.family.name == "openai-chat" and m.thinking == "effort"),
    "openai-nested": _first_active(lambda m: m.family.name == "openai-reasoning" and m.thinking == "effort",
                                   api="converse"),
}


def check_effort_on_the_wire(style: str, api: str, body: dict[str, Any], effort: str, max_tokens: int) -> None:
    extra = body.get("additionalModelRequestFields", {}) if api == "converse" else body
    if style == "claude-adaptive":
        assert extra["thinking"]["type"] == "adaptive"
        config = body["outputConfig"] if api == "converse" else body["output_config"]
        assert config["effort"] == effort
    elif style == "claude-budget":
        assert extra["thinking"] == {"type": "enabled",
                                     "budget_tokens": min(catalog.BUDGET_TOKENS[effort], max_tokens - 1)}
    elif style == "nova-2":
        where = extra if api == "converse" else body["inferenceConfig"]
        assert where["reasoningConfig"] == {"type": "enabled", "maxReasoningEffort": effort}
    elif style == "openai-nested":
        assert extra["reasoning"] == {"effort": effort} and "reasoning_effort" not in extra
    else:
        assert extra["reasoning_effort"] == effort


@pytest.mark.parametrize(("style", "api"), [(style, api) for style, model in EFFORT_STYLES.items()
                                            for api in ("invoke", "converse") if api in model.apis])
def test_effort_is_sent_in_each_styles_own_field(client: Any, style: str, api: str) -> None:
    model, effort, max_tokens = EFFORT_STYLES[style], "medium", 6000
    record = ask(call_id(model), client, api=api, max_tokens=max_tokens,
                 reasoning=catalog.reasoning_for(model, effort)).result()
    assert record.status == "ok" and record.reasoning_text.strip(), record.notes
    check_effort_on_the_wire(style, api, json.loads(record.request_json), effort, max_tokens)
    assert_answer_only(record)


@pytest.mark.parametrize("api", ["invoke", "converse"])
def test_nova_2_at_its_sampling_free_effort_is_sent_without_sampling_or_max_tokens(client: Any, api: str) -> None:
    """Nova 2 refuses temperature, topP and maxTokens at its top effort (the emulator does as Bedrock does): the run
    must leave all three out, and say so, rather than fail."""
    model = EFFORT_STYLES["nova-2"]
    assert model.spec is not None and model.spec.sampling_free_from
    effort = model.spec.sampling_free_from
    run = ask(call_id(model), client, api=api, max_tokens=3000, temperature=0.7, top_p=0.9,
              reasoning=catalog.reasoning_for(model, effort))
    with contextlib.suppress(errors.LabError):
        run.result()
    record = run.record
    config = json.loads(record.request_json).get("inferenceConfig", {})
    assert not {"temperature", "top_p", "topP", "maxTokens", "max_new_tokens"} & set(config), (
        f"sent {config}: {record.error_message}")
    assert record.status == "ok" and record.reasoning_text
    assert [n for n in record.notes if "temperature 0.7" in n and "top_p 0.9" in n], record.notes


# -- lifecycle: retired models fail naming their replacement; Legacy ones work while the account may call them ----


@pytest.mark.parametrize("api", ["invoke", "converse"])
@pytest.mark.parametrize("ref", ["id", "profile"])
def test_a_retired_model_fails_naming_its_replacement(client: Any, ref: str, api: str) -> None:
    retired, replacement = models.RETIRED, models.RETIRED.replacement
    assert replacement is not None and replacement.lifecycle == "active"
    run = ask(retired.base_id if ref == "id" else call_id(retired), client, api=api)
    with pytest.raises(errors.ModelRetiredError) as caught:
        run.result()
    assert not isinstance(caught.value, errors.ModelLegacyError)
    message = caught.value.message
    assert retired.name in message and replacement.name in message and call_id(replacement) in message
    assert run.record.status == "error" and run.record.error_code == caught.value.code and run.record.text == ""


@pytest.mark.parametrize("api", ["invoke", "converse"])
def test_a_legacy_model_works_until_the_account_loses_access(client: Any, control: Any, api: str) -> None:
    legacy, replacement = models.LEGACY, models.LEGACY.replacement
    assert replacement is not None and replacement.lifecycle == "active"
    record = ask(call_id(legacy), client, api=api).result()
    assert record.status == "ok" and record.text.startswith(f"(Emulated answer from {legacy.name}")
    status, _ = control.request("POST", "/_emulator/config", {"legacy_access": False})
    assert status == 200
    try:
        for stream in (True, False):
            run = ask(call_id(legacy), client, api=api, stream=stream)
            with pytest.raises(errors.ModelLegacyError) as caught:
                run.result()
            message = caught.value.message
            assert legacy.name in message and replacement.name in message and call_id(replacement) in message
            assert run.record.status == "error" and run.record.text == ""
    finally:
        control.request("POST", "/_emulator/config", {"legacy_access": True})


# -- models the table does not know, and the model that does not stream --------------------------------------------


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "sync"])
def test_a_model_the_table_does_not_know_works_through_converse(client: Any, stream: bool) -> None:
    model = catalog.resolve(models.UNKNOWN_TO_TABLE)
    assert not model.known and model.family is None
    record = ask(models.UNKNOWN_TO_TABLE, client, api="converse", stream=stream).result()
    assert record.status == "ok" and record.text.startswith("(Emulated answer from") and "latency" in record.text
    assert record.tokens_source == "reported" and record.output_tokens == count_tokens(record.text)
    assert record.cost_usd is None  # no price in the table: no made-up cost
    vendor = catalog.table().vendors[models.UNKNOWN_TO_TABLE.split(".", 1)[0]]
    assert record.provider == vendor == model.vendor


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "sync"])
def test_a_model_the_table_does_not_know_is_refused_on_invoke_before_any_call(client: Any, control: Any,
                                                                               stream: bool) -> None:
    before = control.request("GET", "/_emulator/health")[1]["requests"]
    run = ask(models.UNKNOWN_TO_TABLE, client, api="invoke", stream=stream)
    with pytest.raises(errors.LabError) as caught:
        run.result()
    assert "Converse" in caught.value.message
    assert run.record.status == "error" and run.record.error_code == caught.value.code
    assert control.request("GET", "/_emulator/health")[1]["requests"] == before


@pytest.mark.parametrize("api", ["invoke", "converse"])
def test_a_model_that_does_not_stream_refuses_streaming_and_answers_sync(client: Any, api: str) -> None:
    run = ask(models.NOT_STREAMING, client, api=api)
    with pytest.raises(errors.ValidationError, match="unsupported for streaming"):
        run.result()
    assert run.record.status == "error" and run.record.text == ""
    record = ask(models.NOT_STREAMING, client, api=api, stream=False).result()
    assert record.status == "ok" and record.mode == "sync" and record.text.startswith("(Emulated answer from")
    assert "latency" in record.text and record.output_tokens == count_tokens(record.text)


# -- stream integrity and honest figures for runs that did not end normally ---------------------------------------


@pytest.mark.parametrize("api", ["invoke", "converse"])
def test_a_half_open_connection_is_hung_up_by_the_idle_guard_long_before_the_read_timeout(
        client: Any, control: Any, api: str) -> None:
    control.fault("silent", after_tokens=10, seconds=30)  # no bytes, no FIN, for 30 s
    run = ask(CLAUDE, client, api=api, read_timeout_s=20, idle_timeout_s=0.4)
    pieces: list[str] = []
    started = time.perf_counter()
    with pytest.raises(errors.StreamSilentError) as caught:
        pieces.extend(run)
    waited_s = time.perf_counter() - started
    assert 0.4 <= waited_s < 5, waited_s  # the guard, not the read timeout (20 s) nor the emulator (30 s)
    assert caught.value.code == "ConnectionSilent" and "went silent" in caught.value.message
    record = run.record
    assert record.status == "error" and record.error_code == "ConnectionSilent"
    assert pieces and record.text == "".join(pieces)  # the partial text is kept
    assert record.e2e_ms is not None and record.e2e_ms >= 400  # E2E includes the silence the user sat through
    assert record.tokens_per_s is None and record.tpot_ms is None


def test_a_reader_that_pauses_between_events_is_not_taken_for_a_silent_connection(client: Any) -> None:
    run = ask(CLAUDE, client, max_tokens=60, idle_timeout_s=0.2)
    pieces = []
    for text in run:
        pieces.append(text)
        if len(pieces) == 2:
            time.sleep(0.6)  # the consumer is busy (a slow page): the connection is fine
    assert run.record.status == "ok" and run.record.text == "".join(pieces)


@pytest.mark.parametrize("api", ["invoke", "converse"])
def test_a_stream_without_its_closing_events_is_an_error_not_a_success(client: Any, control: Any, api: str) -> None:
    control.fault("truncated", after_tokens=10)
    run = ask(CLAUDE, client, api=api)
    pieces: list[str] = []
    with pytest.raises(errors.StreamIncompleteError) as caught:
        pieces.extend(run)
    assert caught.value.code == "StreamIncomplete" and isinstance(caught.value, errors.StreamInterruptedError)
    record = run.record
    assert record.status == "error" and record.stop_reason is None
    assert pieces and record.text == "".join(pieces)
    assert record.tokens_source == "estimated"  # Bedrock never said how many: the record does not pretend
    assert record.tokens_per_s is None


def test_after_a_stall_e2e_runs_to_the_moment_the_run_failed_not_to_the_last_event(emulator: Any,
                                                                                   control: Any) -> None:
    control.fault("stall", after_tokens=10, seconds=5)
    run = ask(CLAUDE, client_for(emulator.url, read_timeout_s=0.5))
    with pytest.raises(errors.ModelTimeoutError):
        list(run)
    record = run.record
    assert record.ttft_ms is not None and record.ttft_ms < 400  # the text before the stall came at once
    assert record.e2e_ms is not None and record.e2e_ms >= 500  # the user waited out the read timeout
    assert record.tokens_per_s is None and record.tpot_ms is None  # no "173,076.9 tok/s" for a broken run


def test_a_stopped_stream_reports_e2e_to_the_stop_and_no_decode_rate(client: Any) -> None:
    run = ask(CLAUDE, client, max_tokens=400)
    stream = iter(run)
    next(stream)
    time.sleep(0.3)
    run.close()
    record = run.record
    assert record.status == "cancelled"
    assert record.e2e_ms is not None and record.e2e_ms >= 300
    assert record.tokens_per_s is None and record.tpot_ms is None


def test_the_opt_in_chunk_log_matches_the_emulators_send_log(client: Any, control: Any, tmp_path: Any) -> None:
    """A load benchmark's lateness: each answer chunk read (the run's log) against when the emulator sent it."""
    import core.streaming

    control.request("POST", "/_emulator/config", {"chunk_log": 5})
    core.streaming.log_chunks_to(str(tmp_path))
    try:
        run = ask(FAMILIES["anthropic-messages"], client, api="converse")
        run.result()
        sent = control.request("GET", f"/_emulator/chunks?request_id={run.request_id}")[1]["streams"]
    finally:
        core.streaming.log_chunks_to(None)
        control.request("POST", "/_emulator/config", {"chunk_log": 0})
        control.request("DELETE", "/_emulator/chunks")
    (line,) = [json.loads(text) for path in tmp_path.iterdir() for text in path.read_text().splitlines()]
    assert (line["request_id"], line["run_id"]) == (run.request_id, run.record.run_id)
    log = sent[run.request_id]
    assert len(line["read_ms"]) == len(log) == run.record.gap_count + 1
    # One clock (the machine's), so every chunk is read after it was sent, and soon after at time scale 0.
    lateness = [read - chunk["sent_ms"] for read, chunk in zip(line["read_ms"], log, strict=True)]
    assert all(-1 < late < 1000 for late in lateness)


def test_the_live_rate_waits_for_enough_decoding_and_never_reads_far_above_the_real_rate(
        client: Any, control: Any) -> None:
    """The counter's first reading was every token over the ~0 s since the first ("9,709 tok/s" after 4 tokens):
    no rate until 8 tokens and half a second of decoding, then near the rate the run ends with."""
    control.request("POST", "/_emulator/config", {"time_scale": 1})
    control.request("POST", "/_emulator/profiles", {"model_id": CLAUDE, "ttft_ms": 50, "tokens_per_s": 200,
                                                    "chunk_tokens": [4, 6]})
    run = ask(CLAUDE, client, text="Write 150 tokens about queues.", max_tokens=150)
    readings = []
    for _ in run:  # read as each delta comes: when a counter's reading is at its highest
        live = run.live()
        assert live.ttft_ms is not None
        readings.append((live.elapsed_ms - live.ttft_ms, live.output_tokens, live.tokens_per_s))
    record = run.record
    assert record.status == "ok" and record.ttft_ms is not None and record.e2e_ms is not None
    final = len(record.text) / 4 / ((record.e2e_ms - record.ttft_ms) / 1000)  # in the counter's estimated tokens
    early = [rate for decoded_ms, tokens, rate in readings if decoded_ms < 500 or tokens < 8]
    assert len(early) > 5 and set(early) == {None}, early
    shown = [rate for _, _, rate in readings if rate is not None]
    assert len(shown) > 5 and 0.5 * final <= min(shown) and max(shown) <= 1.25 * final, (final, shown)


def test_a_restart_keeps_what_was_shown_so_the_timeline_never_runs_backwards(client: Any, control: Any) -> None:
    whole = ask(LLAMA, client).result().text
    control.fault("cut", model_id=LLAMA, after_tokens=20)
    run = ask(LLAMA, client, recover=True)
    shown = ""
    for piece in run:
        shown += piece
        assert run.shown_so_far == shown  # a page that polls the run can draw what the stream showed, notice and all
        assert shown.endswith(run.text_so_far)  # ... or the answer being written, and the restarts
    assert run.restarts == 1 and shown.endswith(RESTART_NOTICE + whole) and len(shown) > len(RESTART_NOTICE + whole)
    assert run.record.text == whole and run.record.attempts == 2
    times, chars = zip(*run.timeline(), strict=True)
    assert list(times) == sorted(times) and list(chars) == sorted(chars), chars  # it dipped to the restart's text
    assert chars[-1] == len(shown)


def test_reasoning_so_far_follows_the_reasoning_as_it_is_read(client: Any) -> None:
    run = ask(CLAUDE, client, max_tokens=2000, reasoning=catalog.reasoning_for(models.CHAT, "low"))
    read = ""
    for event in run.events():
        if isinstance(event, ReasoningDelta):
            read += event.text
            assert run.reasoning_so_far == read
    assert read and run.reasoning_so_far == run.record.reasoning_text == read and run.restarts == 0


def test_continue_after_a_broken_stream_goes_on_from_the_text_so_far(client: Any, control: Any) -> None:
    whole = ask(CLAUDE, client, max_tokens=1000).result().text
    control.fault("stream_error", model_id=CLAUDE, after_tokens=30, exception="modelStreamErrorException")
    broken = ask(CLAUDE, client, max_tokens=1000)
    with pytest.raises(errors.StreamInterruptedError):
        broken.result()
    partial = broken.record.text
    assert partial and whole.startswith(partial) and partial != whole
    follow_up, how = continue_request(broken.request, broken.record)
    assert how == "continue" and follow_up.chat.messages[-1] == Message("assistant", partial.rstrip())
    assert follow_up.chat.max_tokens == 1000 - broken.record.output_tokens  # type: ignore[operator]
    rest = start(follow_up, client=client).result()
    assert rest.status == "ok" and partial.rstrip() + rest.text == whole  # nothing of the partial is repeated


def test_continue_after_max_tokens_gets_a_fresh_budget_and_can_follow_itself(client: Any) -> None:
    whole = ask(CLAUDE, client, max_tokens=1000).result().text
    first = ask(CLAUDE, client, max_tokens=40)
    assert stopped_at_max_tokens(first.result())
    answer, request, record = first.record.text, first.request, first.record
    for _ in range(2):  # Continue, then Continue again
        request, how = continue_request(request, record)
        assert how == "continue" and request.chat.max_tokens == 40
        record = start(request, client=client).result()
        answer = answer.rstrip() + record.text
    assert stopped_at_max_tokens(record) and whole.startswith(answer) and len(answer) > 2 * len(first.record.text)


def test_continue_restarts_a_model_that_takes_no_prefill(client: Any, control: Any) -> None:
    control.fault("cut", model_id=LLAMA, after_tokens=20)
    broken = ask(LLAMA, client)
    with pytest.raises(errors.ConnectionLostError):
        broken.result()
    assert broken.record.text and not catalog.resolve(LLAMA).takes_prefill
    again, how = continue_request(broken.request, broken.record)
    assert (again, how) == (broken.request, "restart")
    assert start(again, client=client).result().text == ask(LLAMA, client).result().text


@pytest.mark.parametrize("family", list(FAMILIES))
def test_every_familys_max_tokens_stop_is_recognised(client: Any, family: str) -> None:
    model = catalog.resolve(FAMILIES[family])
    for api in ("invoke", "converse"):
        stream = model.spec is None or model.spec.streaming
        cut = ask(FAMILIES[family], client, api=api, stream=stream, max_tokens=20).result()
        ended = ask(FAMILIES[family], client, api=api, stream=stream, max_tokens=4000).result()
        assert stopped_at_max_tokens(cut), (api, cut.stop_reason)
        assert not stopped_at_max_tokens(ended), (api, ended.stop_reason)
