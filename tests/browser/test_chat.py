"""The Chat page in Chromium, on the emulator at its real latency profiles (time scale 1)."""

from __future__ import annotations

import json
import re
import time
import urllib.request
from typing import Any

import pytest
from playwright.sync_api import expect

from .. import models

pytestmark = pytest.mark.browser

LONG_PROMPT = "Write 250 tokens about streaming latency."

JSON = {"Content-Type": "application/json"}  # the emulator's control endpoints take JSON only


def open_chat(page: Any, url: str) -> Any:
    page.goto(url)
    box = page.get_by_test_id("stChatInputTextArea")
    expect(box).to_be_visible(timeout=30_000)
    return box


def send(page: Any, url: str, text: str) -> None:
    box = open_chat(page, url)
    box.fill(text)
    box.press("Enter")


def answer(page: Any) -> Any:
    return page.get_by_test_id("stChatMessage").nth(1)


def test_the_answer_appears_incrementally_then_shows_its_metrics(live_app_url: str, page: Any) -> None:
    send(page, live_app_url, LONG_PROMPT)
    expect(answer(page)).to_contain_text("(Emulated answer", timeout=15_000)
    seen: list[str] = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        text = answer(page).inner_text()
        if not seen or text != seen[-1]:
            seen.append(text)
        if "TTFT" in text:
            break
        time.sleep(0.1)
    partial = [t for t in seen if "TTFT" not in t]
    assert len(set(partial)) >= 3, seen  # several distinct partial states before the final text
    expect(answer(page)).to_contain_text("tok/s")
    expect(answer(page).get_by_text("View API request")).to_be_visible()


def stop(page: Any) -> None:
    answer(page).get_by_role("button", name="Stop").click()


def test_stop_keeps_the_partial_answer_and_frees_the_input(live_app_url: str, page: Any) -> None:
    send(page, live_app_url, LONG_PROMPT + " (stop me)")
    expect(answer(page)).to_contain_text("(Emulated answer", timeout=15_000)
    expect(page.get_by_test_id("stChatInputTextArea")).to_be_disabled()  # no second question mid-answer
    time.sleep(0.5)
    stop(page)
    expect(answer(page)).to_contain_text("Stopped: the partial answer is kept", timeout=15_000)
    text = answer(page).inner_text()
    assert "(Emulated answer" in text and "streaming latency" in text
    assert "TTFT" in text  # the stopped answer keeps its metrics
    expect(answer(page).get_by_role("button", name="Stop")).to_have_count(0)
    expect(page.get_by_role("button", name="Regenerate")).to_be_enabled()
    box = page.get_by_test_id("stChatInputTextArea")
    expect(box).to_be_enabled()
    box.fill("And after the stop?")
    box.press("Enter")
    expect(page.get_by_test_id("stChatMessage").nth(3)).to_contain_text("TTFT", timeout=30_000)
    expect(page.get_by_test_id("stChatMessage").nth(1)).to_contain_text("Stopped: the partial answer is kept")


def test_stop_while_waiting_for_a_sync_answer(live_app_url: str, page: Any) -> None:
    open_chat(page, live_app_url)
    page.get_by_test_id("stSidebar").get_by_text("Streaming", exact=True).click()
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill("Write 900 tokens about waiting for a sync answer.")  # about 15 s of generation
    box.press("Enter")
    expect(answer(page).get_by_text("Waiting for the complete answer")).to_be_visible(timeout=15_000)
    started = time.monotonic()
    stop(page)
    expect(answer(page)).to_contain_text("Stopped before any text arrived", timeout=15_000)
    assert time.monotonic() - started < 8  # long before the answer itself could have come
    expect(page.get_by_test_id("stChatInputTextArea")).to_be_enabled()


def test_a_fault_mid_stream_shows_the_error_in_place_and_keeps_the_partial_text(
        live_app_url: str, page: Any) -> None:
    open_chat(page, live_app_url)
    # The sidebar shows the app's own emulator; its control endpoint injects the fault.
    url = re.search(r"http://127\.0\.0\.1:\d+", page.get_by_test_id("stSidebar").inner_text()).group(0)  # type: ignore[union-attr]
    fault = {"kind": "stream_error", "after_tokens": 20, "model_id": models.CLAUDE}  # the default chat model
    urllib.request.urlopen(urllib.request.Request(f"{url}/_emulator/faults", json.dumps(fault).encode(),
                                                  method="POST", headers=JSON), timeout=10).close()
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(LONG_PROMPT + " (break me)")
    box.press("Enter")
    expect(answer(page)).to_contain_text("The answer stopped part-way", timeout=20_000)
    assert "(Emulated answer" in answer(page).inner_text()
    expect(answer(page).get_by_role("button", name="Retry")).to_be_visible()
