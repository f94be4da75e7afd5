"""The fault matrix through the chat page (AppTest of streamlit_app.py): every cell, one test each.

The full product runs (no subset): a cell costs about a tenth of a second at time scale 0, a stall cell its
read timeout. Each cell chooses the model, API, streaming, read timeout and attempts (one, so that the fault
reaches the user rather than a retry) in session state, as a user would in the sidebar, in a session kept per
model, API and mode; it starts from an empty conversation, injects the fault on the app's emulator, sends a
message, and checks what the user sees: the error in plain
words with what to do where the answer would be, the technical code under "Technical details", a Retry button,
the partial text kept as the answer (none for sync cells), the prompt kept, no exception element and no
traceback anywhere on the page, a history row in error, and no wait beyond the read timeout.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from core.history import History

from ..conftest import RELIABILITY
from ..fault_matrix import CELLS, PROMPT, Cell, check_elapsed, check_history, check_text

APP = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")
SHOWN = ("markdown", "caption", "error", "warning", "info", "success", "code", "text", "toast", "exception")


def shown_text(at: AppTest) -> list[str]:
    """Every piece of text the page shows, sidebar included."""
    return [str(element.value) for kind in SHOWN for element in at.get(kind)]


@pytest.fixture(scope="module")
def sessions() -> dict[tuple[str, str, bool, float], AppTest]:
    """One browser session per model, API, mode and read timeout, reused by that combination's cells (a fresh
    session per cell would double the matrix's time); each cell starts from an empty conversation."""
    return {}


def chat_for(cell: Cell, sessions: dict[tuple[str, str, bool, float], AppTest]) -> AppTest:
    """The session for the cell's combination. AppTest does not keep the sidebar's widgets after the first run,
    so the choices are made in session state before the first run and set again before every later one (a
    changed value would not take: hence a session per read timeout)."""
    key = (cell.family, cell.api, cell.stream, cell.read_timeout_s)
    at = sessions.get(key)
    choices = {"lab_model_id": cell.model_id, "lab_api": cell.api, "lab_stream": cell.stream,
               "lab_read_timeout_s": cell.read_timeout_s, "lab_max_attempts": 1}
    if at is None:
        at = sessions[key] = AppTest.from_file(APP, default_timeout=30)
        for name, value in choices.items():
            at.session_state[name] = value
        at.run()
    else:
        for name, value in choices.items():
            at.session_state[name] = value
        at.session_state["chat_messages"] = []
        at.session_state["chat_conversation_id"] = None
    return at


@pytest.mark.parametrize("cell", CELLS, ids=[c.id for c in CELLS])
def test_fault_cell_on_the_chat_page(cell: Cell, faults: Any, sessions: dict[tuple[str, str, bool, float], AppTest],
                                     record_property: Any) -> None:
    record_property(RELIABILITY, ("fault matrix", "chat page"))
    at = chat_for(cell, sessions)
    faults.add(cell.fault.fault(cell.model_id))
    started = time.perf_counter()
    at.chat_input(key="chat_input").set_value(PROMPT).run()
    elapsed_s = time.perf_counter() - started

    expected = cell.expected()
    assert not at.exception, f"{cell.id}: {at.exception[0].value}"
    assert not any("Traceback" in text for text in shown_text(at)), f"{cell.id}: a traceback is shown"
    question, answer = at.chat_message
    assert question.markdown[0].value == PROMPT  # nothing typed is lost
    error = answer.error[0].value
    assert error == f"**{expected.error.title}.** {expected.error.action}", f"{cell.id}: {error}"
    details = next(e for e in answer.expander if e.label == "Technical details")
    assert details.code[0].value.startswith(expected.code + "\n")
    assert at.button(key="chat_retry_1").label == "Retry"
    entry = at.session_state["chat_messages"][-1]
    assert entry["status"] == "error" and entry["error"]["code"] == expected.code
    assert entry["record"]["model_id"] == cell.model_id and entry["record"]["api"] == cell.api
    check_text(cell, entry["text"])
    assert [m.value for m in answer.markdown] == ([entry["text"]] if entry["text"] else [])
    check_elapsed(cell, elapsed_s)
    check_history(cell, History().get_run(entry["run_id"]), entry["text"])
