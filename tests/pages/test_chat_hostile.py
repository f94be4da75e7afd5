"""Hostile and odd input through the chat page (AppTest): the words a user sees, and nothing typed or answered
lost. Whether markup runs is a browser question: tests/browser/test_hostile.py checks that nothing executes."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from core.client import emulator_faults, shared_emulator
from core.emulator.echo import Echo
from core.history import History
from tests.pages.conftest import chat_conversation_id, chat_entry

from .. import models
from ..conftest import RELIABILITY
from ..hostile_inputs import (
    ANSWERED,
    ARNS,
    BIG_MODEL,
    EMPTY,
    ONE_MB,
    OUTPUT,
    OVER_WINDOW,
    SMALL_MODEL,
    UNKNOWN_MODEL,
    WHITESPACE,
)

APP = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")
PICKED = models.CHAT.base_id  # the default chat model as the sidebar's picker lists it (requests call MODEL)
SHOWN = ("markdown", "caption", "error", "warning", "info", "success", "code", "text", "toast", "exception")


@pytest.fixture(autouse=True)
def _counted(record_property: Any) -> Iterator[None]:
    record_property(RELIABILITY, ("hostile input", "chat page"))
    emulator_faults().clear()
    shared_emulator().state.echoes.clear()
    yield
    shared_emulator().state.echoes.clear()


def open_chat(model_id: str = PICKED, **state: Any) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["lab_model_id"] = model_id
    for key, value in state.items():
        at.session_state[key] = value
    return at.run()


def send(at: AppTest, text: str) -> AppTest:
    return at.chat_input(key="chat_input").set_value(text).run()


def no_traceback(at: AppTest) -> None:
    assert not at.exception, at.exception[0].value
    assert not any("Traceback" in str(e.value) for kind in SHOWN for e in at.get(kind))


def shown(text: str) -> str:
    """What st.markdown is given to draw: it dedents and strips the text (white space at the ends is not drawn)."""
    return textwrap.dedent(text).strip()


def conversation(at: AppTest) -> list[dict[str, Any]]:
    """The conversation as the history keeps it (what a reopened conversation shows)."""
    return History().messages(chat_conversation_id(at))


@pytest.mark.parametrize("prompt", [EMPTY, WHITESPACE], ids=["empty", "whitespace only"])
def test_an_empty_message_is_not_sent_and_says_why(prompt: str) -> None:
    at = open_chat()
    served = shared_emulator().state.requests
    send(at, prompt)
    no_traceback(at)
    assert [t.value for t in at.toast] == ["The message is empty: type something to send."]
    assert len(at.chat_message) == 0 and shared_emulator().state.requests == served


@pytest.mark.parametrize("prompt", [*ANSWERED.values(), ONE_MB], ids=[*ANSWERED, "1 MB prompt"])
def test_odd_prompts_are_shown_as_typed_answered_and_kept(prompt: str) -> None:
    at = open_chat(BIG_MODEL if prompt is ONE_MB else PICKED)
    assert not at.sidebar.warning  # the model asked for is the one selected
    send(at, prompt)
    no_traceback(at)
    question, answer = at.chat_message
    assert question.markdown[0].value == shown(prompt)
    assert answer.markdown[0].value.startswith("(Emulated answer") and not answer.error
    kept = conversation(at)
    assert [m["role"] for m in kept] == ["user", "assistant"] and kept[0]["text"] == prompt
    assert kept[1]["status"] == "ok"


def test_a_prompt_over_the_context_window_says_to_shorten_it_and_keeps_it() -> None:
    at = open_chat(SMALL_MODEL)
    send(at, OVER_WINDOW)
    no_traceback(at)
    question, answer = at.chat_message
    assert question.markdown[0].value == shown(OVER_WINDOW)
    assert answer.error[0].value == ("**The conversation is longer than the model's context window.** Shorten the "
                                     "conversation or the prompt, clear older turns, or pick a model with a larger "
                                     "window.")
    assert conversation(at)[0]["text"] == OVER_WINDOW and conversation(at)[1]["status"] == "error"


@pytest.mark.parametrize("output", list(OUTPUT.values()), ids=list(OUTPUT))
def test_hostile_output_is_shown_as_markdown_text_and_kept_exactly(output: str) -> None:
    shared_emulator().state.echoes.add(Echo(text=output))
    at = open_chat()
    send(at, "Show me something")
    no_traceback(at)
    answer = at.chat_message[1]
    assert [m.value for m in answer.markdown] == [shown(output)]  # HTML is not enabled: see the browser test
    entry = chat_entry(at)
    assert entry["text"] == output and History().get_run(entry["run_id"]).text == output  # type: ignore[union-attr]
    assert conversation(at)[1]["text"] == output


def test_the_parameter_widgets_cannot_hold_values_out_of_range() -> None:
    """The browser's widgets keep negative max tokens, temperature 5 and top_p 2 from being sent (if a crafted
    value got past them, the run refuses it before any call: tests/core/test_streaming.py)."""
    at = open_chat()  # the default model takes temperature or top_p: one slider, temperature unless chosen
    max_tokens = next(n for n in at.sidebar.number_input if n.label == "Max tokens")
    temperature = at.sidebar.slider(key="lab_temperature")
    assert max_tokens.min == 1 and max_tokens.max == models.CHAT.max_output_tokens  # the model's output limit
    assert (temperature.min, temperature.max) == (0.0, 1.0)
    top_p = open_chat(lab_sampling="top_p").sidebar.slider(key="lab_top_p")
    assert (top_p.min, top_p.max) == (0.0, 1.0)
    timeout = at.sidebar.number_input(key="lab_read_timeout_s")
    attempts = at.sidebar.number_input(key="lab_max_attempts")
    assert timeout.min == 0.5 and attempts.min == 1


@pytest.mark.parametrize("model", [UNKNOWN_MODEL, *ARNS.values()], ids=["unknown model", *ARNS])
def test_a_model_the_backend_does_not_offer_is_named_not_swapped_silently(model: str) -> None:
    at = open_chat(model)
    no_traceback(at)
    assert [w.value for w in at.sidebar.warning] == [
        f"The model {model!r} is not offered by this backend; {models.CHAT.name} is selected instead."]
    send(at, "Who answers?")
    assert at.chat_message[1].markdown[0].value.startswith(f"(Emulated answer from {models.CHAT.name}")
