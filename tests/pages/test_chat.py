"""The Chat page's logic through AppTest: send, answer, errors in place, retry, regenerate, clear, reopen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from core.client import emulator_faults
from core.emulator import models as emulated
from core.emulator.faults import Fault
from core.history import History

from .. import models

APP = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")


@pytest.fixture()
def app() -> Any:
    emulator_faults().clear()
    at = AppTest.from_file(APP, default_timeout=30).run()
    yield at
    emulator_faults().clear()


def send(at: AppTest, text: str) -> AppTest:
    return at.chat_input(key="chat_input").set_value(text).run()


def transcript(at: AppTest) -> list[tuple[str, str]]:
    return [(m.name, m.markdown[0].value if m.markdown else "") for m in at.chat_message]


def test_a_message_gets_an_answer_with_its_metrics(app: AppTest) -> None:
    send(app, "How do caches work?")
    assert not app.exception
    (user, question), (assistant, answer) = transcript(app)
    assert (user, question) == ("user", "How do caches work?")
    assert assistant == "assistant" and answer.startswith(f"(Emulated answer from {models.CHAT.name}")
    metrics = app.chat_message[1].caption[0].value
    assert "TTFT" in metrics and "tok/s" in metrics and "(reported)" in metrics and "estimate" in metrics
    assert any(e.label == "View API request" for e in app.chat_message[1].expander)


def test_a_second_turn_carries_the_conversation(app: AppTest) -> None:
    send(app, "Tell me about caching.")
    send(app, "And invalidation strategies?")
    answers = [text for role, text in transcript(app) if role == "assistant"]
    assert len(answers) == 2 and "turn 2" in answers[1]


def test_an_error_appears_where_the_answer_would_be_and_retry_recovers(app: AppTest) -> None:
    emulator_faults().add(Fault("throttling", model_id=models.CLAUDE, count=5))
    send(app, "Hello, are you there?")
    error = app.chat_message[1].error[0].value
    assert "throttling" in error and "Wait a few seconds" in error
    assert transcript(app)[0] == ("user", "Hello, are you there?")  # the user's message is kept
    assert "ThrottlingException" in app.chat_message[1].expander[0].code[0].value
    emulator_faults().clear()
    app.button(key="chat_retry_1").click().run()
    assert len(app.chat_message) == 2 and not app.chat_message[1].error
    assert transcript(app)[1][1].startswith("(Emulated answer")


def test_a_mid_stream_fault_keeps_the_partial_text(app: AppTest) -> None:
    emulator_faults().add(Fault("stream_error", model_id=models.CLAUDE, after_tokens=12))
    send(app, "Explain event streams please.")
    answer = app.chat_message[1]
    assert answer.markdown[0].value.startswith("(Emulated answer") and answer.error
    assert "stopped part-way" in answer.error[0].value


def test_regenerate_and_clear(app: AppTest) -> None:
    send(app, "What is a queue?")
    first_caption = app.chat_message[1].caption[0].value
    app.button(key="chat_regenerate").click().run()
    assert len(app.chat_message) == 2 and app.chat_message[1].caption[0].value != "" and first_caption
    app.button(key="chat_clear").click().run()
    assert len(app.chat_message) == 0


def test_a_past_conversation_reopens_after_a_reload(app: AppTest) -> None:
    send(app, "Remember the word lighthouse.")
    reloaded = AppTest.from_file(APP, default_timeout=30).run()  # a new browser session
    assert len(reloaded.chat_message) == 0
    listed = [b for b in reloaded.button if b.key.startswith("chat_open_")]
    assert listed[0].label.startswith("Remember the word lighthouse")  # the newest first
    listed[0].click().run()
    assert transcript(reloaded)[0] == ("user", "Remember the word lighthouse.")
    assert reloaded.chat_message[1].caption  # metrics came back from the history too
    conversation_id = reloaded.query_params["conversation"]  # the page's URL names the conversation ...
    again = AppTest.from_file(APP, default_timeout=30)
    again.query_params["conversation"] = conversation_id
    again.run()  # ... so a reload of that URL opens it
    assert transcript(again)[0] == ("user", "Remember the word lighthouse.")


def test_an_empty_message_is_not_sent(app: AppTest) -> None:
    send(app, "   ")
    assert len(app.chat_message) == 0 and not app.exception


def test_the_system_prompt_is_disabled_for_a_model_that_takes_none() -> None:
    # AppTest keeps the sidebar of the first run only when st.navigation is used, so the choice is
    # made through session state before that run.
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state["lab_model_id"] = models.NOT_STREAMING  # the one model of the lineup that takes none
    at.run()
    system = at.sidebar.text_area(key="lab_system")
    assert system.disabled and "no system prompt" in (system.help or "")
    send(at, "Hello Jurassic")
    assert transcript(at)[1][1].startswith(f"(Emulated answer from {emulated.BY_ID[models.NOT_STREAMING].name}")


def test_the_aws_backend_shows_the_caller_identity() -> None:
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state["lab_backend"] = "AWS"
    at.run()
    assert not at.exception
    assert any("Signed in as" in s.value and "123456789012" in s.value for s in at.sidebar.success)


def test_missing_credentials_are_explained_and_the_emulator_keeps_working(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    st.cache_data.clear()  # the identity of an earlier test must not be reused
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state["lab_backend"] = "AWS"
    at.run()
    warning = at.sidebar.warning[0].value
    commands = " ".join(c.value for c in at.sidebar.code)
    assert "No usable AWS credentials" in warning and "aws sso login" in commands  # the exact commands, unwrapped
    assert "In use: the emulator" in at.sidebar.info[0].value  # the switch says what is really in use
    send(at, "Still there?")
    assert transcript(at)[1][1].startswith("(Emulated answer")


# -- a history file that cannot be used -----------------------------------------------------------------


def banner(at: AppTest) -> str:
    return " ".join(w.value for w in at.warning)


def test_an_unwritable_history_gives_a_banner_and_chat_still_answers(monkeypatch: pytest.MonkeyPatch,
                                                                     tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file stands where the history's folder should be")
    monkeypatch.setenv("BEDROCK_LAB_HISTORY", str(blocker / "history.sqlite"))
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    text = banner(at)
    assert "Run history is unavailable" in text and "cannot be opened or written" in text
    assert str(blocker / "history.sqlite") in text and "Chat works without history" in text
    send(at, "Does chat work without history?")
    assert not at.exception
    assert transcript(at)[1][1].startswith("(Emulated answer")
    assert "TTFT" in at.chat_message[1].caption[0].value
    assert not any(b.key.startswith("chat_open_") for b in at.button)  # nothing to reopen without a history


def test_a_corrupt_history_gives_a_banner_chat_still_answers_and_the_file_is_left_alone(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    broken = tmp_path / "history.sqlite"
    content = b"not a database, but somebody's file" * 300
    broken.write_bytes(content)
    monkeypatch.setenv("BEDROCK_LAB_HISTORY", str(broken))
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert "not a SQLite database" in banner(at) and "move or rename it" in banner(at)
    send(at, "Still answering?")
    assert not at.exception
    assert transcript(at)[1][1].startswith("(Emulated answer")
    assert broken.read_bytes() == content


def test_a_history_that_goes_bad_mid_conversation_keeps_the_chat_and_recovers(monkeypatch: pytest.MonkeyPatch,
                                                                             tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite"
    monkeypatch.setenv("BEDROCK_LAB_HISTORY", str(path))
    at = AppTest.from_file(APP, default_timeout=30).run()
    send(at, "First question, while the history works.")
    assert not banner(at)
    path.write_bytes(b"\x00overwritten by something else" * 2000)  # the file goes bad under the running app
    for name in ("-wal", "-shm"):
        path.with_name(path.name + name).unlink(missing_ok=True)
    send(at, "Second question, with a broken history.")
    assert not at.exception
    assert "not a SQLite database" in banner(at)
    assert [role for role, _ in transcript(at)] == ["user", "assistant"] * 2  # nothing on screen is lost
    assert transcript(at)[3][1].startswith("(Emulated answer")

    path.unlink()  # what the banner advises: move the file away; the next run starts a new history
    send(at, "Third question, on a new history file.")
    assert not at.exception and not banner(at)
    assert len(at.chat_message) == 6
    stored = History(path)
    (conversation,) = stored.conversations().itertuples()
    assert [(m["role"], m["text"][:14]) for m in stored.messages(conversation.conversation_id)] == [
        ("user", "Third question"), ("assistant", "(Emulated answ")]
    assert len(stored.runs()) == 1
