"""Reasoning on the Chat page in Chromium, on the emulator at its real latency profiles (time scale 1): the
reasoning block appears and grows before the answer's first words, then collapses to "Thought for N s" with the
answer below it; a model that thinks without showing it shows a "Thinking…" state for the silent wait."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from playwright.sync_api import expect

from core import catalog

from .. import models

pytestmark = pytest.mark.browser

PROMPT = "Explain tides briefly."
SILENT = next(m for m in catalog.listed_models() if m.lifecycle == "active" and m.family is not None
              and m.family.name == "nova" and m.thinking == "effort")  # Nova 2: "[REDACTED]" for its reasoning


def settled(page: Any) -> None:
    """Wait until the app's script run, if one is under way, has ended."""
    expect(page.locator("[data-testid='stApp'][data-test-script-state='notRunning']")).to_have_count(1)


def ask(page: Any, url: str, model: catalog.Model, effort: str) -> Any:
    """Pick `model` and `effort` in the sidebar, send PROMPT; the chat message the answer goes in."""
    page.goto(url)
    box = page.get_by_test_id("stChatInputTextArea")
    expect(box).to_be_visible(timeout=30_000)
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_test_id("stSelectbox").filter(has_text="Model").first.click()
    page.keyboard.type(model.name)  # the picker searches as the user types
    page.get_by_test_id("stSelectboxVirtualDropdown").get_by_text(model.name, exact=False).first.click()
    expect(box).to_have_attribute("placeholder", f"Message {model.name}")
    settled(page)  # a list opened while the sidebar is redrawn closes again
    sidebar.get_by_text("Parameters").click()
    chooser = sidebar.get_by_role("combobox", name="Reasoning effort")
    chooser.click()
    # The list is opened and walked with the keyboard: it can open below the viewport, out of a click's reach,
    # and a key pressed right after the click is lost.
    focused = page.locator("[role=option][data-focused=true]")
    for _ in range(50):
        if focused.count() and focused.inner_text() == effort:
            break
        page.keyboard.press("ArrowDown")
        time.sleep(0.1)
    page.keyboard.press("Enter")
    expect(chooser).to_have_value(effort)
    settled(page)
    box.fill(PROMPT)
    box.press("Enter")
    return page.get_by_test_id("stChatMessage").nth(1)


def watch(message: Any, timeout_s: float = 15) -> list[dict[str, Any]]:
    """What the message shows, about ten times a second, until its metrics (the run has ended) appear."""
    block = message.get_by_test_id("stExpander").first
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        text = message.inner_text()
        if block.count():
            details = block.locator("details")
            seen.append({"label": block.locator("summary").inner_text().strip(),
                         "open": details.get_attribute("open") is not None,
                         "reasoning": block.get_by_test_id("stExpanderDetails").inner_text(),
                         "answer": "(Emulated answer" in text, "ended": "E2E" in text})
            if seen[-1]["ended"]:
                return seen
        time.sleep(0.1)
    raise AssertionError(f"the answer did not end within {timeout_s} s: {seen[-3:]}")


def test_the_reasoning_block_grows_before_the_answer_then_collapses_to_how_long_it_thought(
        live_app_url: str, page: Any) -> None:
    message = ask(page, live_app_url, models.REASONING_TAG, "low")
    seen = watch(message)
    thinking = [s for s in seen if s["label"].startswith("Thinking…")]
    assert thinking and not any(s["answer"] for s in thinking)  # the block comes before the answer's first words
    grown = [len(s["reasoning"]) for s in thinking if s["open"] and s["reasoning"].strip()]
    assert len(set(grown)) >= 3 and grown == sorted(grown), seen  # it grows, open, while the model thinks
    assert any(re.fullmatch(r"Thinking… \d+\.\d s", s["label"]) for s in thinking)  # with its own timer
    final = seen[-1]
    assert re.fullmatch(r"check\s*Thought for \d+\.\d s", final["label"]), final
    assert not final["open"] and final["answer"]  # collapsed, with the answer
    block = message.get_by_test_id("stExpander").first
    answer = message.get_by_text("(Emulated answer", exact=False)
    assert answer.bounding_box()["y"] > block.bounding_box()["y"]  # the answer below the block
    caption = message.get_by_text("first answer token", exact=False)
    expect(caption).to_contain_text("first reasoning")
    block.locator("summary").click()  # opened again, it shows what the model thought
    expect(block.get_by_test_id("stExpanderDetails")).to_contain_text(thinking[-1]["reasoning"][:40])


def test_a_model_that_thinks_in_silence_shows_a_thinking_state_until_its_first_words(
        live_app_url: str, page: Any) -> None:
    message = ask(page, live_app_url, SILENT, "low")
    seen = watch(message)
    labels = [s["label"].split()[-1] for s in seen]  # the label's last word, after the state's icon
    silent = [s for s in seen if s["label"].endswith("Thinking…")]
    assert silent and not any(s["answer"] for s in silent), seen  # shown while nothing arrives ...
    assert not any(s["reasoning"].strip() for s in silent)  # ... with no "[REDACTED]" passed off as reasoning
    assert labels.index("s") > labels.index("Thinking…")  # then it says how long it was silent
    final = seen[-1]
    assert re.fullmatch(r"check\s*Thought without showing its reasoning · first answer token after \d+\.\d s",
                        final["label"]), final
    assert not final["open"]
    assert "[REDACTED]" not in message.get_by_test_id("stMarkdown").last.inner_text()
