"""Several browser sessions chatting at once: no errors, nothing of one session in another.

The short version of bench/load_sessions.py (20 sessions x 60 s, which also measures UI-added time to
first token): 4 sessions for 15 s, each with its own marker word, system prompt and max tokens, on an
app of its own at time scale 1, asking back to back from the same moment (the bench's stress workload,
where races show soonest). Timing is not asserted here.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from bench.load_sessions import Workload, check_history, marker, measure

pytestmark = pytest.mark.browser


def test_four_sessions_at_once_have_no_errors_and_keep_to_themselves(tmp_path: Path) -> None:
    if shutil.which("chromium") is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed; CI must run the browser tests.")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    result = measure(4, 15, workload=Workload(think_s=(0.0, 0.0), idle_browsers=False))  # back to back: a stress
    assert result.errors == []
    assert result.leaks == []
    assert all(len(outcome.turns) >= 2 for outcome in result.outcomes), [len(o.turns) for o in result.outcomes]
    assert len(result.ui_added_ms) == result.turns  # every answer was matched to its emulator stream


def test_the_history_check_sees_a_leak(tmp_path: Path) -> None:
    """check_history can fail: a run of session 1 carrying session 0's marker is reported."""
    from core.history import History
    from core.types import RunRecord

    history = History(tmp_path / "history.sqlite")
    common = {"started_utc": "2025-03-01T12:00:00+00:00", "model_id": "m", "provider": "anthropic",
              "api": "converse", "mode": "stream", "backend": "emulator", "session_id": "s1", "conversation_id": "c1"}
    history.record_run(RunRecord(run_id="a", request_json=f'{{"text": "{marker(1)}"}}',
                                 system="You are the concise assistant of session lm01q.", max_tokens=43, **common))
    assert check_history(tmp_path / "history.sqlite", 2) == []
    history.record_run(RunRecord(run_id="b", request_json=f'{{"text": "{marker(1)} {marker(0)}"}}',
                                 system="You are the concise assistant of session lm01q.", max_tokens=43, **common))
    assert any("markers of sessions [0, 1]" in problem for problem in check_history(tmp_path / "history.sqlite", 2))
