"""Reasoning on the Chat page through AppTest: kept apart from the answer (on the page and in the record), in a
block above it labelled with how long the model thought, collapsed once the answer is there and again when the
conversation is reopened; a model that thinks without showing it says so instead of showing "[REDACTED]"."""

from __future__ import annotations

from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from core import catalog
from core.client import emulator_faults
from core.emulator.faults import Fault
from core.history import History
from tests.pages.conftest import chat_entry

from .. import models
from .conftest import first_run

SESSION = "chat-reasoning-session"
PROMPT = "Think about tides, then answer."
# A model that reasons without showing it: Nova 2 sends "[REDACTED]" where its reasoning would be.
SILENT = next(m for m in catalog.listed_models() if m.lifecycle == "active" and m.family is not None
              and m.family.name == "nova" and m.thinking == "effort")
# Reasoning shown in full (gpt-oss, in <reasoning> tags) and summarized (Claude, adaptive thinking).
SHOWN = [pytest.param(models.REASONING_TAG, "full", id="tags"),
         pytest.param(models.NO_SAMPLING, "summarized", id="claude-adaptive")]


def ask(model: catalog.Model, effort: str | None, **state: Any) -> tuple[AppTest, dict[str, Any]]:
    """A session on `model` at `effort` asks PROMPT; the page and the finished answer's entry."""
    choices = {"lab_model_id": model.base_id, **state}
    if effort is not None:
        choices[f"lab_effort_{model.thinking}"] = effort
    at = first_run(SESSION, **choices)
    at.chat_input(key="chat_input").set_value(PROMPT).run()
    assert not at.exception, at.exception
    entry: dict[str, Any] = chat_entry(at)
    assert entry["role"] == "assistant" and entry["status"] == "ok", entry.get("error")
    return at, entry


OTHER_EXPANDERS = ("View API request", "Technical details")


def reasoning_block(at: AppTest, index: int = 1) -> Any:
    """A chat message's reasoning block: the live block (st.status) as the answer left it, or the one a reload
    draws (st.expander); None when there is none."""
    message = at.chat_message[index]
    found = [*message.status, *(e for e in message.expander if e.label not in OTHER_EXPANDERS)]
    assert len(found) <= 1, [b.label for b in found]
    return found[0] if found else None


def reasoning_shown(block: Any) -> str:
    return "\n\n".join(md.value for md in block.markdown)


def answer_markdown(at: AppTest, index: int = 1) -> list[str]:
    """The chat message's markdown after its reasoning block: the answer as the user reads it. The reasoning
    block's markdown comes first (the block is above the answer)."""
    values = [md.value for md in at.chat_message[index].markdown
              if "model ID `" not in md.value]  # not the "View API request" expander's operation line
    block = reasoning_block(at, index)
    inside = [md.value for md in block.markdown] if block is not None else []
    assert values[:len(inside)] == inside
    return values[len(inside):]


@pytest.mark.parametrize(("model", "shown"), SHOWN)
def test_reasoning_streams_into_its_own_block_above_the_answer_labelled_with_how_long_it_thought(
        history: History, model: catalog.Model, shown: str) -> None:
    at, entry = ask(model, "medium")
    record = entry["record"]
    assert record["reasoning_shown"] == shown and record["reasoning_text"].strip()
    assert record["reasoning_ms"] is not None and record["reasoning_ms"] > 0
    reasoning = reasoning_block(at)
    assert reasoning.type == "status" and reasoning.state == "complete"
    assert reasoning.label == f"Thought for {record['reasoning_ms'] / 1000:.1f} s"
    assert not reasoning.proto.expanded  # collapsed once the answer is there
    assert reasoning_shown(reasoning).split() == record["reasoning_text"].split()
    # The answer is the answer alone: no reasoning on the page under it, none in its text or the record's.
    assert answer_markdown(at) == [entry["text"]] and entry["text"] == record["text"]
    assert entry["text"].startswith(f"(Emulated answer from {model.name}")
    first_words = record["reasoning_text"].split()[:6]
    assert " ".join(first_words) not in entry["text"] and "<reasoning>" not in entry["text"]
    note = [c.value for c in reasoning.caption]
    if shown == "summarized":
        assert any("summary of its thinking" in c for c in note)
    assert any("effort medium" in c and "first reasoning" in c for c in note)
    metrics = next(c.value for c in at.chat_message[1].caption if "E2E" in c.value)
    assert "first answer token" in metrics and "first reasoning" in metrics and "TTFT" not in metrics
    stored = history.get_run(record["run_id"])  # the history keeps them apart too
    assert stored is not None and stored.text == entry["text"] and stored.reasoning_text == record["reasoning_text"]


def test_a_model_that_reasons_without_showing_it_says_so_and_shows_no_redacted_text(history: History) -> None:
    at, entry = ask(SILENT, "low")
    record = entry["record"]
    assert record["reasoning_shown"] == "omitted"
    reasoning = reasoning_block(at)
    assert reasoning.label == (f"Thought without showing its reasoning · first answer token after "
                               f"{record['ttft_ms'] / 1000:.1f} s")
    assert not reasoning.markdown  # nothing to show ...
    (note, facts) = (c.value for c in reasoning.caption)
    assert note.startswith(f"{SILENT.name} reasons before it answers but does not show its reasoning")
    assert "[REDACTED]" in note and facts == "effort low"  # ... and it says why
    assert answer_markdown(at) == [entry["text"]] and "[REDACTED]" not in entry["text"]


def test_a_model_that_does_not_reason_gets_no_reasoning_block(history: History) -> None:
    at, entry = ask(models.CHAT, None)
    assert entry["record"]["reasoning_shown"] is None
    assert reasoning_block(at) is None
    assert "TTFT" in at.chat_message[1].caption[0].value  # no reasoning: the first token is the answer's


def test_a_sync_answer_shows_its_reasoning_apart_without_a_duration_it_cannot_know(history: History) -> None:
    at, entry = ask(models.REASONING_TAG, "medium", lab_stream=False)
    record = entry["record"]
    assert record["mode"] == "sync" and record["reasoning_text"].strip()
    reasoning = reasoning_block(at)
    assert reasoning.label == "Reasoning (sync: not timed)"
    assert answer_markdown(at) == [entry["text"]] and "<reasoning>" not in entry["text"]


def test_a_reopened_conversation_shows_the_stored_reasoning_collapsed_with_its_duration(history: History) -> None:
    at, entry = ask(models.REASONING_TAG, "medium")
    live = reasoning_block(at)
    assert live.label.startswith("Thought for ")
    reloaded = first_run("chat-reasoning-other-session")  # another browser session, after a reload
    next(b for b in reloaded.button if b.key.startswith("chat_open_") and b.label.startswith(PROMPT)).click().run()
    assert not reloaded.exception
    reasoning = reasoning_block(reloaded)
    assert reasoning.type == "expander" and not reasoning.proto.expanded
    assert reasoning.label == live.label and reasoning.icon == ":material/check:"  # as the live block ended
    stored = entry["record"]["reasoning_text"].split()
    assert reasoning_shown(reasoning).split() == reasoning_shown(live).split() == stored
    assert [c.value for c in reasoning.caption] == [c.value for c in live.caption]
    assert answer_markdown(reloaded) == [entry["text"]]


def test_a_stream_that_breaks_while_the_model_thinks_keeps_the_reasoning_and_says_no_answer_followed(
        history: History) -> None:
    model = models.REASONING_TAG
    emulator_faults().add(Fault("stream_error", model_id=models.call_id(model), after_tokens=20))
    at = first_run(SESSION, lab_model_id=model.base_id, **{f"lab_effort_{model.thinking}": "medium"})
    at.chat_input(key="chat_input").set_value(PROMPT).run()
    assert not at.exception, at.exception
    entry = chat_entry(at)
    record = entry["record"]
    assert entry["status"] == "error" and record["reasoning_text"].strip() and not entry["text"]
    reasoning = reasoning_block(at)
    assert reasoning.type == "status" and reasoning.state == "error"  # its icon says it broke
    assert reasoning.label == f"Thought for {record['reasoning_ms'] / 1000:.1f} s · no answer followed"
    assert reasoning_shown(reasoning).split() == record["reasoning_text"].split()  # what it thought is kept
    assert "stopped part-way" in at.chat_message[1].error[0].value  # the error where the answer would be
    assert answer_markdown(at) == []
