"""The fault matrix: every fault the emulator can inject x every provider family with a current model x
{invoke, converse} x {stream, sync}, and what each cell must show. Used by tests/core/test_fault_matrix.py
(through `core.streaming.start`) and tests/pages/test_chat_fault_matrix.py (through the chat page in AppTest).

The axes come from the code under test, so a new fault kind, stream exception or family enlarges the matrix
by itself (and `test_the_matrix_covers_every_fault_and_family` fails until the oracle knows the new fault):

- faults: `core.emulator.faults.BEFORE` (error statuses before any stream), `stream_error` once per exception
  in `STREAM_EXCEPTIONS`, `cut`, `stall`, `malformed`, `silent` (a half-open connection), `truncated` (a stream
  that ends cleanly without its closing events), and the `ENDINGS` (`refusal`, `pause_turn`): 7 + 6 + 5 + 2 = 20;
- families: one model each, from tests/models.py `FAMILY_MODELS` (the InvokeModel families with an active,
  priced model: 7), plus Jurassic-2 through `NOT_STREAMING`, the emulator's demo of a model that cannot
  stream, so the non-streaming cells stay covered (8); APIs: invoke, converse; modes: stream, sync.
  The other families of `core.providers.FAMILIES` have no model the emulator still serves (removed, or
  end of life: a 404 before any fault could apply), so they have no cells.

That is 20 x 8 x 2 x 2 = 640 combinations, of which 600 exist. Which ones, and what they mean:

- A model that cannot stream (Jurassic-2) has no stream cells: Bedrock refuses such a request before any
  fault could apply (tested in tests/core/test_streaming.py), and the chat page and the API run it in sync
  mode. That leaves out 20 faults x 2 APIs = 40 combinations.
- A during-stream fault on a sync call gets the emulator's nearest equivalent (see core/emulator/faults.py):
  `stream_error` becomes the exception's error status before any body (modelStreamErrorException is a 424
  ModelErrorException); `cut` sends half of the body and drops the connection; `stall` is silence before the
  response, longer than the read timeout; `malformed` sends a body cut in half that is not JSON; `silent` sends
  nothing and keeps the connection open (only the read timeout ends it: the idle guard watches streams);
  `truncated` sends a body that ends early but cleanly, which is not JSON. A sync call
  has no partial text to keep: the answer arrives whole or not at all, so its cells expect no text.
- In stream mode, during-stream faults break the stream after `AFTER_TOKENS` output tokens of answer, so
  every such cell has partial answer text to keep. ConverseStream has no modelTimeoutException event: the
  emulator sends modelStreamErrorException instead, as Bedrock does.
- The models that reason unasked (DeepSeek-R1 in `<think>`, gpt-oss in `<reasoning>`) write their reasoning
  first, and the emulator counts it as output: their during-stream faults come after `REASONING_ROOM` more
  tokens (the emulator caps reasoning at half of max tokens), so the fault still breaks the answer, not the
  reasoning. The partial text is the answer's alone: the reasoning that arrived is kept apart
  (`record.reasoning_text`), never in the answer text. The other models reason nothing here.
- An ending (`refusal`, `pause_turn`) is no error: the answer stops after `AFTER_TOKENS` answer tokens with
  that stop reason, a normal HTTP 200 response, in both modes. The cell shows the run `ok`, the short answer
  kept whole, its token count, and the stop reason as the family (or Converse) says it: `ENDING_STOP_REASONS`.

- A `silent` stream is the half-open connection: the idle guard (`SILENT_IDLE_S`, far below the cell's read
  timeout of `READ_TIMEOUT_S`) hangs it up, and the error is `StreamSilentError` with the text so far, long
  before the read timeout would have ended the wait. A `truncated` stream is `StreamIncompleteError` with the
  text so far: a stream without its closing events is never a success with unknown tokens.

Every cell runs with one attempt (botocore retries would turn a one-off fault into a success and hide the
cell; retries are tested on their own), a read timeout of `STALL_READ_TIMEOUT_S` for stalls and silent sync
calls (the emulator stays silent for `STALL_S`, forty times longer) and `READ_TIMEOUT_S` otherwise, and time
scale 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core import catalog, errors, providers
from core.emulator.faults import BEFORE, DURING, ENDINGS, KINDS, STREAM_EXCEPTIONS, Fault

from . import models

_NOT_STREAMING_FAMILY = catalog.resolve(models.NOT_STREAMING).family
assert _NOT_STREAMING_FAMILY is not None, "the emulator's non-streaming demo model has no InvokeModel family"
FAMILY_MODELS: dict[str, str] = {**models.FAMILY_MODELS, _NOT_STREAMING_FAMILY.name: models.NOT_STREAMING}
NOT_STREAMING = {_NOT_STREAMING_FAMILY.name}
FAMILIES = tuple(f for f in providers.FAMILIES if f in FAMILY_MODELS)  # in the providers' order
PROMPT = "How do event streams recover from a broken connection?"
MAX_TOKENS = 120
AFTER_TOKENS = 8
REASONING_ROOM = MAX_TOKENS // 2  # the most a model reasons here: the emulator caps reasoning at half of max tokens
STALL_S = 20.0
STALL_READ_TIMEOUT_S = 0.5
READ_TIMEOUT_S = 10.0
SILENT_IDLE_S = 0.5  # the idle guard of the silent cells, a twentieth of their read timeout
HANG_MARGIN_S = 5.0  # beyond the read timeout: the text before the stall, drawing the page, a busy shared CPU

BEFORE_ERRORS: dict[str, type[errors.LabError]] = {
    "throttling": errors.ThrottledError,
    "model_not_ready": errors.ModelNotReadyError,
    "service_unavailable": errors.ServiceError,
    "model_timeout": errors.ModelTimeoutError,
    "access_denied": errors.AccessDeniedError,
    "context_window": errors.ContextWindowError,
    "internal_error": errors.ServiceError,
}
# An exception event in a stream, and its status-code twin for a sync call.
IN_STREAM_ERRORS: dict[str, type[errors.LabError]] = {
    "modelStreamErrorException": errors.StreamInterruptedError,
    "throttlingException": errors.ThrottledError,
    "internalServerException": errors.StreamInterruptedError,
    "serviceUnavailableException": errors.StreamInterruptedError,
    "validationException": errors.ContextWindowError,  # the emulator's message: "Input is too long ..."
    "modelTimeoutException": errors.ModelTimeoutError,
}
SYNC_TWIN_ERRORS: dict[str, type[errors.LabError]] = {
    "modelStreamErrorException": errors.ServiceError,  # 424 ModelErrorException
    "throttlingException": errors.ThrottledError,
    "internalServerException": errors.ServiceError,
    "serviceUnavailableException": errors.ServiceError,
    "validationException": errors.ContextWindowError,
    "modelTimeoutException": errors.ModelTimeoutError,
}
# An ending's stop reason, as each family says it through InvokeModel, and as Converse says it for any model.
ENDING_STOP_REASONS: dict[str, dict[str, str]] = {
    "refusal": {"anthropic-messages": "refusal", "nova": "content_filtered", "openai-chat": "content_filter",
                "llama3": "stop", "deepseek": "stop", "mistral-chat": "stop", "cohere-r": "ERROR_TOXIC",
                "jurassic2": "endoftext", "converse": "content_filtered"},
    "pause_turn": {"anthropic-messages": "pause_turn", "nova": "end_turn", "openai-chat": "stop",
                   "llama3": "stop", "deepseek": "stop", "mistral-chat": "stop", "cohere-r": "COMPLETE",
                   "jurassic2": "endoftext", "converse": "end_turn"},
}


@dataclass(frozen=True)
class FaultCase:
    kind: str
    exception: str | None = None  # for stream_error

    @property
    def label(self) -> str:
        return f"stream_error[{self.exception}]" if self.exception else self.kind

    @property
    def ending(self) -> bool:
        return self.kind in ENDINGS

    def fault(self, model_id: str, after_tokens: int = AFTER_TOKENS) -> Fault:
        """The fault for one model, until cleared (one attempt per cell, so it fires once)."""
        return Fault(self.kind, model_id=providers.base_model_id(model_id), count=None, after_tokens=after_tokens,
                     seconds=STALL_S, exception=self.exception or "modelStreamErrorException")


FAULTS = ([FaultCase(kind) for kind in BEFORE] + [FaultCase("stream_error", e) for e in STREAM_EXCEPTIONS]
          + [FaultCase(kind) for kind in DURING if kind != "stream_error"] + [FaultCase(kind) for kind in ENDINGS])


@dataclass(frozen=True)
class Expected:
    error: type[errors.LabError] | None  # None: no error, the answer ends early (an ending)
    code: str | None
    partial: bool  # some answer text arrived before the fault and must be kept
    stop_reason: str | None = None  # an ending's stop reason, as the record keeps it


@dataclass(frozen=True)
class Cell:
    family: str
    api: str
    stream: bool
    fault: FaultCase

    @property
    def model_id(self) -> str:
        return FAMILY_MODELS[self.family]

    @property
    def mode(self) -> str:
        return "stream" if self.stream else "sync"

    @property
    def id(self) -> str:
        return f"{self.fault.label}-{self.family}-{self.api}-{self.mode}"

    @property
    def read_timeout_s(self) -> float:
        if self.fault.kind == "stall" or (self.fault.kind == "silent" and not self.stream):
            return STALL_READ_TIMEOUT_S
        return READ_TIMEOUT_S

    @property
    def idle_timeout_s(self) -> float | None:
        """The run's idle guard: short for a silent stream, the default (far longer than any cell) otherwise."""
        return SILENT_IDLE_S if self.fault.kind == "silent" and self.stream else None

    @property
    def waits_s(self) -> float:
        """How long the user must wait before the run ends: the idle guard or the read timeout, where one ends it."""
        if self.fault.kind == "silent":
            return SILENT_IDLE_S if self.stream else STALL_READ_TIMEOUT_S
        return STALL_READ_TIMEOUT_S if self.fault.kind == "stall" else 0.0

    @property
    def reasons(self) -> bool:
        """The model reasons unasked, before its answer (DeepSeek-R1, gpt-oss: the families that reason in tags)."""
        family = catalog.resolve(self.model_id).family
        return family is not None and family.reasoning_tag is not None

    @property
    def after_tokens(self) -> int:
        """Output tokens before a during-stream fault: past the reasoning, so the answer has begun (an ending
        counts answer tokens only)."""
        return AFTER_TOKENS + (REASONING_ROOM if self.reasons and not self.fault.ending else 0)

    def injected(self) -> Fault:
        """The fault this cell injects."""
        return self.fault.fault(self.model_id, self.after_tokens)

    def expected(self) -> Expected:
        """The oracle: which typed error (or none, for an ending), with which technical code or stop reason,
        and whether text must be kept."""
        kind, exception = self.fault.kind, self.fault.exception
        if kind in ENDINGS:
            reasons = ENDING_STOP_REASONS[kind]
            return Expected(None, None, True, reasons["converse" if self.api == "converse" else self.family])
        if kind in BEFORE:
            return Expected(BEFORE_ERRORS[kind], BEFORE[kind][0], False)
        if kind == "stream_error":
            assert exception is not None
            if not self.stream:
                return Expected(SYNC_TWIN_ERRORS[exception], STREAM_EXCEPTIONS[exception][0], False)
            if self.api == "converse" and exception == "modelTimeoutException":
                exception = "modelStreamErrorException"  # ConverseStream has no such event
            return Expected(IN_STREAM_ERRORS[exception], exception, True)
        if kind == "cut":
            if self.stream:
                return Expected(errors.ConnectionLostError, "ProtocolError", True)
            if self.api == "invoke":  # the body is read by us: botocore wraps urllib3's error
                return Expected(errors.ConnectionLostError, "ResponseStreamingError", False)
            # botocore reads a Converse body itself without checking its length: a cut body is unreadable
            return Expected(errors.ServiceError, "MalformedResponse", False)
        if kind == "stall":
            return Expected(errors.ModelTimeoutError, "ReadTimeoutError", self.stream)
        if kind == "malformed":
            if self.stream:
                return Expected(errors.StreamInterruptedError, "MalformedChunk", True)
            return Expected(errors.ServiceError, "MalformedResponse", False)
        if kind == "silent":
            if self.stream:
                return Expected(errors.StreamSilentError, "ConnectionSilent", True)
            return Expected(errors.ModelTimeoutError, "ReadTimeoutError", False)
        if kind == "truncated":
            if self.stream:
                return Expected(errors.StreamIncompleteError, "StreamIncomplete", True)
            return Expected(errors.ServiceError, "MalformedResponse", False)
        raise AssertionError(f"the oracle does not know the fault {kind!r}")


def all_combinations() -> list[Cell]:
    return [Cell(family, api, stream, fault) for fault in FAULTS for family in FAMILIES
            for api in ("invoke", "converse") for stream in (True, False)]


CELLS = [c for c in all_combinations() if not (c.stream and c.family in NOT_STREAMING)]


def check_error(cell: Cell, error: BaseException) -> Expected:
    """The error is the cell's typed LabError, with a message in plain words that says what to do."""
    expected = cell.expected()
    assert expected.error is not None, f"{cell.id}: an ending is no error"
    assert type(error) is expected.error, f"{cell.id}: {type(error).__name__} instead of {expected.error.__name__}"
    assert isinstance(error, errors.LabError)
    assert error.code == expected.code, f"{cell.id}: code {error.code} instead of {expected.code}"
    assert error.message.startswith(error.title) and error.message.endswith(error.action), error.message
    assert error.action and error.action != errors.LabError.action, f"{cell.id}: no specific action"
    assert "Traceback" not in error.message and "Something went wrong" not in error.message
    return expected


def check_text(cell: Cell, text: str) -> None:
    """The partial answer text is kept when some arrived (and an ending's short answer whole); a sync cell or
    a fault before the stream has none. It is answer text only: no reasoning, no reasoning tag."""
    if cell.expected().partial:
        assert text.startswith("(Emulated answer from"), f"{cell.id}: the partial text was lost: {text!r}"
        assert "<think>" not in text and "<reasoning>" not in text, f"{cell.id}: reasoning in the answer: {text!r}"
    else:
        assert text == "", f"{cell.id}: unexpected text {text!r}"


def check_reasoning(cell: Cell, reasoning: str, text: str) -> None:
    """The reasoning that arrived before the fault is kept apart from the answer; where no answer text
    arrived (a sync fault, a fault before the stream), none did; a model that does not reason has none."""
    if cell.reasons and cell.expected().partial:
        assert reasoning.strip(), f"{cell.id}: the reasoning before the answer was lost"
        assert reasoning.strip() not in text, f"{cell.id}: the reasoning is in the answer text"
    else:
        assert reasoning == "", f"{cell.id}: unexpected reasoning {reasoning!r}"


def check_ending(cell: Cell, record: Any) -> None:
    """An ending is a finished answer, not an error: status ok, the stop reason as the model said it, the
    answer cut at `AFTER_TOKENS` tokens, and those tokens counted (with the reasoning before them)."""
    expected = cell.expected()
    assert expected.error is None
    assert record.status == "ok", f"{cell.id}: status {record.status} ({record.error_code})"
    assert record.error_code is None and record.error_message is None
    assert record.stop_reason == expected.stop_reason, f"{cell.id}: stop reason {record.stop_reason!r}"
    if cell.reasons:
        assert record.output_tokens is not None and record.output_tokens > AFTER_TOKENS, record.output_tokens
    else:
        assert record.output_tokens == AFTER_TOKENS, f"{cell.id}: {record.output_tokens} output tokens"


def check_elapsed(cell: Cell, elapsed_s: float) -> None:
    """No hang beyond the read timeout: the user waited at most the read timeout and a margin; a stall or a
    silent sync call ends at the read timeout, and a silent stream at the idle guard, long before the emulator
    would speak again (or the read timeout would end it)."""
    assert elapsed_s < cell.read_timeout_s + HANG_MARGIN_S, f"{cell.id}: took {elapsed_s:.2f} s"
    if cell.waits_s:
        assert elapsed_s >= cell.waits_s * 0.9, f"{cell.id}: ended after {elapsed_s:.2f} s, before {cell.waits_s} s"
        assert elapsed_s < min(STALL_S, cell.waits_s + HANG_MARGIN_S), f"{cell.id}: took {elapsed_s:.2f} s"


def check_figures(cell: Cell, record: Any, elapsed_s: float) -> None:
    """A failed run's figures describe what the user lived through: E2E runs to the moment it failed (a wait for
    the read timeout or the idle guard included), and a run cut short has no decode rate or TPOT."""
    e2e_s = (record.e2e_ms or 0) / 1000
    assert record.e2e_ms is not None and e2e_s <= elapsed_s + 0.05, f"{cell.id}: E2E {e2e_s:.3f} s of {elapsed_s:.3f} s"
    assert e2e_s >= cell.waits_s * 0.9, f"{cell.id}: E2E {e2e_s:.3f} s stops before the wait of {cell.waits_s} s"
    if cell.expected().error is not None:
        assert record.tokens_per_s is None and record.tpot_ms is None, f"{cell.id}: a decode rate for a failed run"


def check_history(cell: Cell, row: Any, text: str, reasoning: str) -> None:
    """One history row for the run: in error with the error's code (or ok with the ending's stop reason),
    and the text and reasoning that arrived."""
    assert row is not None, f"{cell.id}: the run is not in the history"
    expected = cell.expected()
    if expected.error is None:
        assert row.status == "ok" and row.error_code is None and row.stop_reason == expected.stop_reason
    else:
        assert row.status == "error" and row.error_code == expected.code
    assert row.text == text and row.reasoning_text == reasoning
    assert row.model_id == cell.model_id and row.api == cell.api and row.mode == cell.mode


def known_kinds() -> set[str]:
    return set(KINDS)
