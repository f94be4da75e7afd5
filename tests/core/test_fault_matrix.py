"""The fault matrix through the core (`core.streaming.start`): one test per cell, so a failure names its cell.

Each cell injects its fault on the app's own embedded emulator (as the sidebar does), runs the request the
way the pages and the CLI do (the shared client, one attempt, the cell's read timeout, a real SQLite history)
and checks: the typed LabError with an actionable message and the right technical code; the text that
arrived is what the run yielded and what the record and the history keep; one history row in error; and no
wait beyond the read timeout. The cells and their oracle are in tests/fault_matrix.py; the summary at the
end of the run prints how many held.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from core import errors, providers
from core.history import History
from core.streaming import RunRequest, start
from core.types import ChatRequest, Message

from ..conftest import RELIABILITY
from ..fault_matrix import (
    BEFORE_ERRORS,
    CELLS,
    FAULTS,
    IN_STREAM_ERRORS,
    MAX_TOKENS,
    PROMPT,
    SYNC_TWIN_ERRORS,
    Cell,
    all_combinations,
    check_elapsed,
    check_error,
    check_history,
    check_text,
    known_kinds,
)


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> History:
    return History(Path(tmp_path_factory.mktemp("matrix")) / "history.sqlite")


def test_the_matrix_covers_every_fault_and_family() -> None:
    kinds = {f.kind for f in FAULTS}
    assert kinds == known_kinds(), "a fault kind the emulator can inject is missing from the matrix"
    assert set(BEFORE_ERRORS) | {"stream_error", "cut", "stall", "malformed"} == kinds
    assert {f.exception for f in FAULTS if f.exception} == set(IN_STREAM_ERRORS) == set(SYNC_TWIN_ERRORS)
    assert {c.family for c in CELLS} == set(providers.FAMILIES)
    assert len(all_combinations()) == len(FAULTS) * len(providers.FAMILIES) * 2 * 2 == 768
    assert len(CELLS) == 768 - len(FAULTS) * 2 == 736  # Jurassic-2 cannot stream


@pytest.mark.parametrize("cell", CELLS, ids=[c.id for c in CELLS])
def test_fault_cell(cell: Cell, faults: Any, history: History, record_property: Any) -> None:
    record_property(RELIABILITY, ("fault matrix", "core"))
    faults.add(cell.fault.fault(cell.model_id))
    chat = ChatRequest((Message("user", PROMPT),), max_tokens=MAX_TOKENS)
    run = start(RunRequest(cell.model_id, chat, api=cell.api, stream=cell.stream,  # type: ignore[arg-type]
                           max_attempts=1, read_timeout_s=cell.read_timeout_s), on_finish=history.record_run)
    pieces: list[str] = []
    started = time.perf_counter()
    with pytest.raises(errors.LabError) as caught:
        for text in run:
            pieces.append(text)
    elapsed_s = time.perf_counter() - started

    check_error(cell, caught.value)
    assert run.failure is caught.value
    shown = "".join(pieces)
    check_text(cell, shown)
    record = run.record
    assert record.status == "error" and record.text == shown
    assert record.error_code == caught.value.code and record.error_message == caught.value.message
    check_elapsed(cell, elapsed_s)
    check_history(cell, history.get_run(record.run_id), shown)
