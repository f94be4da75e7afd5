"""The sidebar's fault injection belongs to the browser session that uses it: its faults hit that session's
questions alone, it lists only them, and "Clear all" clears only them.

Each AppTest below is one browser session (its own `lab_session_id`). The sidebar is drawn on the first run
only (AppTest runs the page alone afterwards, see conftest.open_page), but its buttons act in callbacks, which
run before the next run whatever it draws: a click is made on the first run's sidebar."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest

from core.client import DEFAULT_MAX_ATTEMPTS, emulator_faults
from core.emulator.faults import Fault
from core.history import History

from .. import models
from .conftest import first_run

APP = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")


def session(session_id: str, **state: Any) -> AppTest:
    """A browser session's first run (the Chat page and the sidebar), with these sidebar choices made."""
    at = first_run(session_id, **state)
    assert not at.exception, at.exception
    return at


def listed(at: AppTest) -> list[str]:
    """The faults the sidebar lists (one caption each), and its note on the global ones."""
    return [c.value for c in at.sidebar.caption if " left" in c.value or "every session" in c.value]


def ask(at: AppTest, text: str) -> Any:
    """The answer's chat message."""
    at.chat_input(key="chat_input").set_value(text).run()
    assert not at.exception, at.exception
    return at.chat_message[-1]


def test_the_faults_are_offered_in_words_with_what_each_looks_like(history: History) -> None:
    at = session("faults-menu", lab_fault_kind="silent")
    menu = at.sidebar.selectbox(key="lab_fault_kind")
    assert {"Throttled", "Stream breaks midway", "Connection drops midway", "Stream pauses midway",
            "Connection goes quiet midway", "Stream ends early"} <= set(menu.options)
    assert not {"throttling", "stream_error", "cut", "silent"} & set(menu.options)  # no technical names
    assert menu.value == "silent"
    assert any("the connection went silent" in c.value for c in at.sidebar.caption)  # what the user will see
    labels = [n.label for n in at.sidebar.number_input]
    assert "After output tokens" in labels and "Silent seconds" in labels and "Stall seconds" not in labels


def test_a_fault_injected_in_one_session_hits_that_sessions_questions_only(history: History) -> None:
    first = session("presenter-1", lab_fault_kind="throttling", lab_fault_count=5)
    first.button(key="lab_fault_inject").click().run()
    (fault,) = emulator_faults().describe()
    assert (fault["kind"], fault["session"], fault["count"]) == ("throttling", "presenter-1", 5)

    second = session("presenter-2")
    assert listed(second) == []  # the other session's fault is not shown here ...
    answer = ask(second, "Are you there?")
    assert not answer.error and answer.markdown[0].value.startswith("(Emulated answer")  # ... nor applied

    broken = ask(first, "Are you there?")
    assert broken.error and "throttling" in broken.error[0].value
    again = session("presenter-1")  # each of the question's attempts used one
    assert listed(again) == [f"Throttled · {models.CHAT.name} · {5 - DEFAULT_MAX_ATTEMPTS} left"]


def test_the_injected_fault_carries_the_sidebars_settings(history: History) -> None:
    at = session("settings", lab_fault_kind="silent", lab_fault_after=7, lab_fault_silent_seconds=2.5,
                 lab_fault_only_model=False)
    at.button(key="lab_fault_inject").click().run()
    (fault,) = emulator_faults().describe()
    assert (fault["kind"], fault["after_tokens"], fault["seconds"], fault["model_id"], fault["session"]) == (
        "silent", 7, 2.5, None, "settings")


def test_clear_all_clears_this_sessions_faults_and_leaves_the_others(history: History) -> None:
    book = emulator_faults()
    book.add(Fault("throttling", count=None, session="mine"))
    book.add(Fault("cut", count=None, session="theirs"))
    book.add(Fault("stall", count=None))  # set on the emulator itself: every session's
    at = session("mine")
    assert listed(at) == ["Throttled · any model · ∞ left",
                          "Also in effect for every session: 1 fault set on the emulator itself (its control "
                          "endpoint)."]
    at.button(key="lab_fault_clear").click().run()
    assert [(f["kind"], f["session"]) for f in book.describe()] == [("cut", "theirs"), ("stall", None)]
