"""The fault matrix through the core (`core.streaming.start`): one test per cell, so a failure names its cell.

Each cell injects its fault on the app's own embedded emulator (as the sidebar does), runs the request the
way the pages and the CLI do (the shared client, one attempt, the cell's read timeout, a real SQLite history)
and checks: the typed LabError with an actionable message and the right technical code (or, for an ending,
no error: status ok with the ending's stop reason); the answer text that arrived is what the run yielded and
what the record and the history keep, with the reasoning kept apart; one history row in error (ok for an
ending); and no wait beyond the read timeout. The cells and their oracle are in tests/fault_matrix.py; the
summary at the end of the run prints how many held.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from core import errors
from core.client import DEFAULT_IDLE_TIMEOUT_S
from core.emulator.faults import ENDINGS
from core.history import History
from core.streaming import RunRequest, start
from core.types import ChatRequest, Message

from ..conftest import RELIABILITY
from ..fault_matrix import (
    BEFORE_ERRORS,
    CELLS,
    ENDING_STOP_REASONS,
    FAMILIES,
    FAMILY_MODELS,
    FAULTS,
    IN_STREAM_ERRORS,
    MAX_TOKENS,
    NOT_STREAMING,
    PROMPT,
    SYNC_TWIN_ERRORS,
    Cell,
    all_combinations,
    check_elapsed,
    check_ending,
    check_error,
    check_figures,
    check_history,
    check_reasoning,
    check_text,
    known_kinds,
)
from ..models import FAMILY_MODELS as CURRENT_FAMILY_MODELS
from ..models import NOT_STREAMING as NOT_STREAMING_MODEL


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> History:
    return History(Path(tmp_path_factory.mktemp("matrix")) / "history.sqlite")


def test_the_matrix_covers_every_fault_and_family() -> None:
    kinds = {f.kind for f in FAULTS}
    assert kinds == known_kinds(), "a fault kind the emulator can inject is missing from the matrix"
    assert set(BEFORE_ERRORS) | {"stream_error", "cut", "stall", "malformed", "silent", "truncated"} | set(ENDINGS) \
        == kinds
    assert set(ENDING_STOP_REASONS) == set(ENDINGS)
    assert all(set(reasons) == set(FAMILIES) | {"converse"} for reasons in ENDING_STOP_REASONS.values())
    assert {f.exception for f in FAULTS if f.exception} == set(IN_STREAM_ERRORS) == set(SYNC_TWIN_ERRORS)
    # Every family with a current model, and the non-streaming demo model's family, each through its model.
    assert FAMILY_MODELS == {**CURRENT_FAMILY_MODELS, **dict.fromkeys(NOT_STREAMING, NOT_STREAMING_MODEL)}
    assert {c.family for c in CELLS} == set(FAMILIES) == set(FAMILY_MODELS)
    assert NOT_STREAMING and not NOT_STREAMING & set(CURRENT_FAMILY_MODELS)
    assert {c.family for c in CELLS if c.reasons} == {"deepseek", "openai-chat"}  # reasoning is in the matrix
    assert len(FAULTS) == 20 and len(FAMILIES) == 8
    assert len(all_combinations()) == len(FAULTS) * len(FAMILIES) * 2 * 2 == 640
    assert len(CELLS) == 640 - len(FAULTS) * 2 == 600  # Jurassic-2 cannot stream


@pytest.mark.parametrize("cell", CELLS, ids=[c.id for c in CELLS])
def test_fault_cell(cell: Cell, faults: Any, history: History, record_property: Any) -> None:
    record_property(RELIABILITY, ("fault matrix", "core"))
    faults.add(cell.injected())
    chat = ChatRequest((Message("user", PROMPT),), max_tokens=MAX_TOKENS)
    run = start(RunRequest(cell.model_id, chat, api=cell.api, stream=cell.stream,  # type: ignore[arg-type]
                           max_attempts=1, read_timeout_s=cell.read_timeout_s,
                           idle_timeout_s=cell.idle_timeout_s or DEFAULT_IDLE_TIMEOUT_S), on_finish=history.record_run)
    pieces: list[str] = []
    started = time.perf_counter()
    if cell.fault.ending:
        pieces.extend(run)  # no error: the answer ends early
    else:
        with pytest.raises(errors.LabError) as caught:
            for text in run:
                pieces.append(text)
    elapsed_s = time.perf_counter() - started

    shown = "".join(pieces)
    record = run.record
    if cell.fault.ending:
        assert run.failure is None
        check_ending(cell, record)
    else:
        check_error(cell, caught.value)
        assert run.failure is caught.value
        assert record.status == "error"
        assert record.error_code == caught.value.code and record.error_message == caught.value.message
    check_text(cell, shown)
    assert record.text == shown
    check_reasoning(cell, record.reasoning_text, shown)
    check_elapsed(cell, elapsed_s)
    check_figures(cell, record, elapsed_s)
    check_history(cell, history.get_run(record.run_id), shown, record.reasoning_text)
