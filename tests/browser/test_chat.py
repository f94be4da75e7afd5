"""The Chat page in Chromium, on the emulator at its real latency profiles (time scale 1)."""

from __future__ import annotations

import json
import re
import time
import urllib.request
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

LONG_PROMPT = "Write 250 tokens about streaming latency."


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


def test_stop_keeps_the_partial_answer(live_app_url: str, page: Any) -> None:
    send(page, live_app_url, LONG_PROMPT + " (stop me)")
    expect(answer(page)).to_contain_text("(Emulated answer", timeout=15_000)
    time.sleep(0.5)
    page.get_by_test_id("stChatInputStopButton").click()
    expect(answer(page)).to_contain_text("Stopped: the partial answer is kept", timeout=15_000)
    text = answer(page).inner_text()
    assert "(Emulated answer" in text and "streaming latency" in text


def test_a_fault_mid_stream_shows_the_error_in_place_and_keeps_the_partial_text(
        live_app_url: str, page: Any) -> None:
    open_chat(page, live_app_url)
    # The sidebar shows the app's own emulator; its control endpoint injects the fault.
    url = re.search(r"http://127\.0\.0\.1:\d+", page.get_by_test_id("stSidebar").inner_text()).group(0)  # type: ignore[union-attr]
    fault = {"kind": "stream_error", "after_tokens": 20, "model_id": "anthropic.claude-3-5-haiku-20241022-v1:0"}
    urllib.request.urlopen(urllib.request.Request(f"{url}/_emulator/faults", json.dumps(fault).encode(),
                                                  method="POST"), timeout=10).close()
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(LONG_PROMPT + " (break me)")
    box.press("Enter")
    expect(answer(page)).to_contain_text("The answer stopped part-way", timeout=20_000)
    assert "(Emulated answer" in answer(page).inner_text()
    expect(answer(page).get_by_role("button", name="Retry")).to_be_visible()
