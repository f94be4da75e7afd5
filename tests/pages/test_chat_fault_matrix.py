"""The fault matrix through the chat page (AppTest of streamlit_app.py): every cell, one test each.

The full product runs (no subset): a cell costs about a tenth of a second at time scale 0, a stall cell its
read timeout. Each cell chooses the model, API, streaming, read timeout and attempts (one, so that the fault
reaches the user rather than a retry) in session state, as a user would in the sidebar, in a session kept per
model, API and mode; it starts from an empty conversation, injects the fault on the app's emulator, sends a
message, and checks what the user sees: the error in plain
words with what to do where the answer would be, the technical code under "Technical details", a Retry button,
the partial answer text kept as the answer (none for sync cells; reasoning kept apart, never shown as the
answer), the prompt kept, no exception element and no traceback anywhere on the page, a history row in error,
and no wait beyond the read timeout. An ending (`refusal`, `pause_turn`) is no error: the short answer is
shown as any answer, with no error and no Retry, and the run is ok with the ending's stop reason.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from core import catalog
from core.client import DEFAULT_IDLE_TIMEOUT_S
from core.conversation import Chat
from core.history import History
from core.types import RunRecord
from core.validation import FALLBACK_OUTPUT_LIMIT
from tests.pages.conftest import chat_entry

from ..conftest import RELIABILITY
from ..fault_matrix import (
    CELLS,
    MAX_TOKENS,
    PROMPT,
    Cell,
    check_elapsed,
    check_ending,
    check_figures,
    check_history,
    check_reasoning,
    check_text,
)

Sessions = dict[tuple[str, str, bool, float, float], AppTest]  # (family, API, stream, read timeout, idle guard)
APP = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")
SHOWN = ("markdown", "caption", "error", "warning", "info", "success", "code", "text", "toast", "exception")


def shown_text(at: AppTest) -> list[str]:
    """Every piece of text the page shows, sidebar included."""
    return [str(element.value) for kind in SHOWN for element in at.get(kind)]


@pytest.fixture(scope="module")
def sessions() -> Sessions:
    """One browser session per model, API, mode and read timeout, reused by that combination's cells (a fresh
    session per cell would double the matrix's time); each cell starts from an empty conversation."""
    return {}


def chat_for(cell: Cell, sessions: Sessions) -> AppTest:
    """The session for the cell's combination. AppTest does not keep the sidebar's widgets after the first run,
    so the choices are made in session state before the first run and set again before every later one (a
    changed value would not take: hence a session per read timeout)."""
    key = (cell.family, cell.api, cell.stream, cell.read_timeout_s, cell.idle_timeout_s or DEFAULT_IDLE_TIMEOUT_S)
    at = sessions.get(key)
    # The sidebar offers a model by its listed id; the page calls it by its inference profile where it needs one
    # (the cell's model id, as the record shows). Max tokens as in the core cells (its widget is keyed by the
    # model's output limit): the reasoning models' faults come after their reasoning, which the emulator caps at
    # half of max tokens.
    model = catalog.resolve(cell.model_id)
    limit = model.max_output_tokens or FALLBACK_OUTPUT_LIMIT
    choices = {"lab_model_id": model.base_id, "lab_api": cell.api, "lab_stream": cell.stream,
               "lab_read_timeout_s": cell.read_timeout_s,
               "lab_idle_timeout_s": cell.idle_timeout_s or DEFAULT_IDLE_TIMEOUT_S, "lab_max_attempts": 1,
               f"lab_max_tokens_{limit}": MAX_TOKENS}
    if at is None:
        at = sessions[key] = AppTest.from_file(APP, default_timeout=30)
        for name, value in choices.items():
            at.session_state[name] = value
        at.run()
    else:
        for name, value in choices.items():
            at.session_state[name] = value
        at.session_state["chat"] = Chat()
    return at


@pytest.mark.parametrize("cell", CELLS, ids=[c.id for c in CELLS])
def test_fault_cell_on_the_chat_page(cell: Cell, faults: Any, sessions: Sessions,
                                     record_property: Any) -> None:
    record_property(RELIABILITY, ("fault matrix", "chat page"))
    at = chat_for(cell, sessions)
    faults.add(cell.injected())
    started = time.perf_counter()
    at.chat_input(key="chat_input").set_value(PROMPT).run()
    elapsed_s = time.perf_counter() - started

    expected = cell.expected()
    assert not at.exception, f"{cell.id}: {at.exception[0].value}"
    assert not any("Traceback" in text for text in shown_text(at)), f"{cell.id}: a traceback is shown"
    question, answer = at.chat_message
    assert question.markdown[0].value == PROMPT  # nothing typed is lost
    entry = chat_entry(at)
    record = entry["record"]
    assert record["model_id"] == cell.model_id and record["api"] == cell.api and record["max_tokens"] == MAX_TOKENS
    if expected.error is None:  # an ending: a finished answer, cut short
        assert not answer.error, f"{cell.id}: an ending shown as an error: {answer.error[0].value}"
        assert not any(e.label == "Technical details" for e in answer.expander)
        assert not any(b.key == "chat_retry_1" for b in at.button), f"{cell.id}: Retry offered for an answer"
        assert entry["status"] == "ok" and entry["error"] is None
        check_ending(cell, RunRecord(**record))
    else:
        error = answer.error[0].value
        assert error == f"**{expected.error.title}.** {expected.error.action}", f"{cell.id}: {error}"
        details = next(e for e in answer.expander if e.label == "Technical details")
        assert details.code[0].value.startswith(f"{expected.code}\n")
        assert at.button(key="chat_retry_1").label == "Retry"
        assert entry["status"] == "error" and entry["error"]["code"] == expected.code
    check_text(cell, entry["text"])
    check_reasoning(cell, record["reasoning_text"], entry["text"])
    # The answer's own markdown is its text alone; the reasoning's is in its block above it.
    blocks = [*answer.status, *(e for e in answer.expander if e.label not in ("View API request", "Technical details"))]
    inside = [m.value for b in blocks for m in b.markdown]
    request = [m.value for e in answer.expander if e.label == "View API request" for m in e.markdown]
    shown = [m.value for m in answer.markdown if m.value not in request]  # the expander's operation line
    assert shown[:len(inside)] == inside
    assert shown[len(inside):] == ([entry["text"]] if entry["text"] else [])
    check_elapsed(cell, elapsed_s)
    check_figures(cell, RunRecord(**record), elapsed_s)
    check_history(cell, History().get_run(entry["run_id"]), entry["text"], record["reasoning_text"])
