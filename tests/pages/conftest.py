"""Shared by the page tests: a history file of each test's own, and a page opened through the app."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from core.client import emulator_faults
from core.history import History

APP = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")


@pytest.fixture()
def history(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[History]:
    """A history file of this test's own (the pages open whatever BEDROCK_LAB_HISTORY names), and no
    emulator faults left over from another test."""
    path = tmp_path / "history.sqlite"
    monkeypatch.setenv("BEDROCK_LAB_HISTORY", str(path))
    emulator_faults().clear()
    yield History(path)
    emulator_faults().clear()


@pytest.fixture()
def team_history(monkeypatch: pytest.MonkeyPatch, history_location: str) -> Iterator[History]:
    """The pages on a history of this test's own, once in a SQLite file and once on a real PostgreSQL server (a
    team's shared database): the pages open whatever BEDROCK_LAB_HISTORY names."""
    monkeypatch.setenv("BEDROCK_LAB_HISTORY", history_location)
    emulator_faults().clear()
    yield History(history_location)
    emulator_faults().clear()


def first_run(session_id: str, **state: Any) -> AppTest:
    """A browser session's first run (the Chat page and the sidebar), with these choices made in session state
    before it: AppTest drops the sidebar from its element tree after the first run under st.navigation, so
    sidebar choices cannot be made through widgets afterwards."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["lab_session_id"] = session_id
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    return at


def open_page(page: str, session_id: str, **state: Any) -> AppTest:
    """The app run once (`first_run`), then switched to `page` (e.g. "pages/compare.py")."""
    return first_run(session_id, **state).switch_page(page).run()


def chat_entry(at: AppTest, index: int = -1) -> dict[str, Any]:
    """A turn of the Chat page's conversation (its typed value in session state) as plain data, for assertions:
    role, text, status, run_id, the record as a dict and the problem as a dict ("error")."""
    turn = at.session_state["chat"].turns[index]
    if turn.role == "user":
        return {"role": "user", "text": turn.text, "status": "ok", "run_id": None, "record": None, "error": None}
    return {"role": "assistant", "text": turn.text, "status": turn.status, "run_id": turn.run_id,
            "record": dataclasses.asdict(turn.record) if turn.record is not None else None,
            "error": dataclasses.asdict(turn.problem) if turn.problem is not None else None}


def chat_conversation_id(at: AppTest) -> str | None:
    conversation_id: str | None = at.session_state["chat"].conversation_id
    return conversation_id
