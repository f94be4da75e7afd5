"""Two presenters on one app server, each in a browser of their own: a fault one injects from the sidebar
breaks that presenter's questions only. The other's sidebar does not list it and its "Clear all" does not
clear it, the other's question is answered, and so is the HTTP API's."""

from __future__ import annotations

import json
import re
import urllib.request
from typing import Any

import pytest
from playwright.sync_api import expect

from .. import models

pytestmark = pytest.mark.browser


def open_session(browser: Any, url: str) -> Any:
    """A new browser context (its own cookies and websocket: a Streamlit session of its own) on the app."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(url)
    expect(page.get_by_test_id("stChatInputTextArea")).to_be_visible(timeout=30_000)
    page.get_by_test_id("stSidebar").get_by_text("Fault injection (emulator)").click()
    return page


def fault_list(page: Any) -> Any:
    """The faults a session's sidebar lists: one caption each, "KIND · MODEL · N left"."""
    return page.get_by_test_id("stSidebar").get_by_text(re.compile(r" · (\d+|∞) left$"))


def ask(page: Any, text: str, nth: int) -> Any:
    """Send `text`; the chat message its answer goes in (the `nth` message of the page, from 0)."""
    box = page.get_by_test_id("stChatInputTextArea")
    expect(box).to_be_enabled(timeout=30_000)
    box.fill(text)
    box.press("Enter")
    return page.get_by_test_id("stChatMessage").nth(nth)


def test_a_fault_injected_in_one_session_leaves_the_other_session_and_the_api_alone(
        app_url: str, browser: Any) -> None:
    first, second = open_session(browser, app_url), open_session(browser, app_url)
    try:
        sidebar = first.get_by_test_id("stSidebar")
        count = sidebar.get_by_label("For the next N requests")
        count.fill("10")  # more than the attempts a question makes, so retries do not use it up
        count.press("Enter")
        expect(count).to_have_value("10")
        sidebar.get_by_role("button", name="Inject").click()
        expect(fault_list(first)).to_have_count(1)
        expect(fault_list(first)).to_contain_text("Throttled")  # the first fault kind, for the chat's model

        expect(fault_list(second)).to_have_count(0)  # another session's fault is not listed ...
        second.get_by_test_id("stSidebar").get_by_role("button", name="Clear all").click()  # ... nor cleared
        answered = ask(second, "Are you there?", 1)
        expect(answered).to_contain_text("(Emulated answer", timeout=30_000)  # ... nor applied
        expect(answered).to_contain_text("TTFT")

        throttled = ask(first, "Are you there?", 1)
        expect(throttled).to_contain_text("throttling", timeout=30_000)
        expect(fault_list(first)).to_have_count(1)  # still there: the other session's Clear all left it

        request = urllib.request.Request(
            f"{app_url}/api/generate", method="POST", headers={"Content-Type": "application/json"},
            data=json.dumps({"model_id": models.CLAUDE, "prompt": "Are you there?", "max_tokens": 40,
                             "stream": False}).encode())
        with urllib.request.urlopen(request, timeout=30) as response:
            reply = json.loads(response.read())
        assert reply["metrics"]["status"] == "ok" and reply["text"].startswith("(Emulated answer")

        sidebar.get_by_role("button", name="Clear all").click()
        expect(fault_list(first)).to_have_count(0)
        expect(ask(first, "And now?", 3)).to_contain_text("(Emulated answer", timeout=30_000)
    finally:
        first.context.close()
        second.context.close()
