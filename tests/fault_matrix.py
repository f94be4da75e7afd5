"""The fault matrix: every fault the emulator can inject x every provider family x {invoke, converse} x
{stream, sync}, and what each cell must show. Used by tests/core/test_fault_matrix.py (through
`core.streaming.start`) and tests/pages/test_chat_fault_matrix.py (through the chat page in AppTest).

The axes come from the code under test, so a new fault kind, stream exception or family enlarges the matrix
by itself (and `test_the_matrix_covers_every_fault_and_family` fails until the oracle knows the new fault):

- faults: `core.emulator.faults.BEFORE` (error statuses before any stream), `stream_error` once per exception
  in `STREAM_EXCEPTIONS`, and `cut`, `stall`, `malformed`: 7 + 6 + 3 = 16;
- families: `core.providers.FAMILIES`, one model each (12); APIs: invoke, converse; modes: stream, sync.

That is 16 x 12 x 2 x 2 = 768 combinations, of which 736 exist. Which ones, and what they mean:

- A model that cannot stream (Jurassic-2) has no stream cells: Bedrock refuses such a request before any
  fault could apply (tested in tests/core/test_streaming.py), and the chat page and the API run it in sync
  mode. That leaves out 16 faults x 2 APIs = 32 combinations.
- A during-stream fault on a sync call gets the emulator's nearest equivalent (see core/emulator/faults.py):
  `stream_error` becomes the exception's error status before any body (modelStreamErrorException is a 424
  ModelErrorException); `cut` sends half of the body and drops the connection; `stall` is silence before the
  response, longer than the read timeout; `malformed` sends a body cut in half that is not JSON. A sync call
  has no partial text to keep: the answer arrives whole or not at all, so its cells expect no text.
- In stream mode, during-stream faults break the stream after `AFTER_TOKENS` output tokens, so every such
  cell has partial text to keep. ConverseStream has no modelTimeoutException event: the emulator sends
  modelStreamErrorException instead, as Bedrock does.

Every cell runs with one attempt (botocore retries would turn a one-off fault into a success and hide the
cell; retries are tested on their own), a read timeout of `STALL_READ_TIMEOUT_S` for stalls (the emulator
stays silent for `STALL_S`, forty times longer) and `READ_TIMEOUT_S` otherwise, and time scale 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core import errors, providers
from core.emulator.faults import BEFORE, DURING, KINDS, STREAM_EXCEPTIONS, Fault

FAMILY_MODELS = {
    "anthropic-messages": "anthropic.claude-3-haiku-20240307-v1:0",
    "anthropic-text": "anthropic.claude-v2:1",
    "titan-text": "amazon.titan-text-express-v1",
    "nova": "amazon.nova-lite-v1:0",
    "llama3": "meta.llama3-1-8b-instruct-v1:0",
    "llama2": "meta.llama2-13b-chat-v1",
    "mistral-prompt": "mistral.mistral-7b-instruct-v0:2",
    "mistral-chat": "mistral.mistral-large-2407-v1:0",
    "cohere-r": "cohere.command-r-v1:0",
    "cohere-command": "cohere.command-text-v14",
    "jamba": "ai21.jamba-1-5-mini-v1:0",
    "jurassic2": "ai21.j2-mid-v1",
}
NOT_STREAMING = {"jurassic2"}
PROMPT = "How do event streams recover from a broken connection?"
MAX_TOKENS = 120
AFTER_TOKENS = 8
STALL_S = 20.0
STALL_READ_TIMEOUT_S = 0.5
READ_TIMEOUT_S = 10.0
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


@dataclass(frozen=True)
class FaultCase:
    kind: str
    exception: str | None = None  # for stream_error

    @property
    def label(self) -> str:
        return f"stream_error[{self.exception}]" if self.exception else self.kind

    def fault(self, model_id: str) -> Fault:
        """The fault for one model, until cleared (one attempt per cell, so it fires once)."""
        return Fault(self.kind, model_id=providers.base_model_id(model_id), count=None, after_tokens=AFTER_TOKENS,
                     seconds=STALL_S, exception=self.exception or "modelStreamErrorException")


FAULTS = ([FaultCase(kind) for kind in BEFORE] + [FaultCase("stream_error", e) for e in STREAM_EXCEPTIONS]
          + [FaultCase(kind) for kind in DURING if kind != "stream_error"])


@dataclass(frozen=True)
class Expected:
    error: type[errors.LabError]
    code: str
    partial: bool  # some answer text arrived before the fault and must be kept


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
        return STALL_READ_TIMEOUT_S if self.fault.kind == "stall" else READ_TIMEOUT_S

    def expected(self) -> Expected:
        """The oracle: which typed error, with which technical code, and whether text must be kept."""
        kind, exception = self.fault.kind, self.fault.exception
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
        raise AssertionError(f"the oracle does not know the fault {kind!r}")


def all_combinations() -> list[Cell]:
    return [Cell(family, api, stream, fault) for fault in FAULTS for family in providers.FAMILIES
            for api in ("invoke", "converse") for stream in (True, False)]


CELLS = [c for c in all_combinations() if not (c.stream and c.family in NOT_STREAMING)]


def check_error(cell: Cell, error: BaseException) -> Expected:
    """The error is the cell's typed LabError, with a message in plain words that says what to do."""
    expected = cell.expected()
    assert type(error) is expected.error, f"{cell.id}: {type(error).__name__} instead of {expected.error.__name__}"
    assert isinstance(error, errors.LabError)
    assert error.code == expected.code, f"{cell.id}: code {error.code} instead of {expected.code}"
    assert error.message.startswith(error.title) and error.message.endswith(error.action), error.message
    assert error.action and error.action != errors.LabError.action, f"{cell.id}: no specific action"
    assert "Traceback" not in error.message and "Something went wrong" not in error.message
    return expected


def check_text(cell: Cell, text: str) -> None:
    """The partial text is kept when some arrived; a sync cell or a fault before the stream has none."""
    if cell.expected().partial:
        assert text.startswith("(Emulated answer from"), f"{cell.id}: the partial text was lost: {text!r}"
    else:
        assert text == "", f"{cell.id}: unexpected text {text!r}"


def check_elapsed(cell: Cell, elapsed_s: float) -> None:
    """No hang beyond the read timeout: the user waited at most the read timeout and a margin, and a stall
    ends at the timeout, long before the emulator would speak again."""
    assert elapsed_s < cell.read_timeout_s + HANG_MARGIN_S, f"{cell.id}: took {elapsed_s:.2f} s"
    if cell.fault.kind == "stall":
        assert elapsed_s >= cell.read_timeout_s * 0.9, f"{cell.id}: ended before the read timeout"
        assert elapsed_s < STALL_S


def check_history(cell: Cell, row: Any, text: str) -> None:
    """One history row for the run, in error, with the error's code and the text that arrived."""
    assert row is not None, f"{cell.id}: the run is not in the history"
    assert row.status == "error" and row.error_code == cell.expected().code
    assert row.text == text
    assert row.model_id == cell.model_id and row.api == cell.api and row.mode == cell.mode


def known_kinds() -> set[str]:
    return set(KINDS)
