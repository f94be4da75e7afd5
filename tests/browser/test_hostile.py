"""Nothing injected runs in the browser: prompts and model output carrying <script>, <img onerror>, <svg onload>,
javascript: links, a javascript: iframe and <details ontoggle> on the chat page and the API demo page.

Every payload sets `window.__pwned` (and calls alert) if any part of it executes; the tests assert the flag
stays unset, that no dialog opened, that no live element of the payload is in the page, and that the words
are still there for the user to read (as text). Model output comes from the app's own emulator, told to echo
the payload (`/_emulator/echo`), so it reaches the page through the real stream.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from .. import models
from ..conftest import RELIABILITY
from ..hostile_inputs import BROWSER_PAYLOAD, MODEL

pytestmark = pytest.mark.browser

# Elements the payload would create if its markup were taken as HTML.
LIVE = "script:not([src]), img[src='x'], svg[onload], iframe[src^='javascript'], details[ontoggle], [onerror]"


def call(url: str, method: str = "GET", payload: Any = None) -> Any:
    data = json.dumps(payload).encode() if payload is not None else None
    headers = {"Content-Type": "application/json"} if data is not None else {}  # a POST must say it is JSON
    with urllib.request.urlopen(urllib.request.Request(url, data=data, method=method, headers=headers),
                                timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture()
def emulator_url(app_url: str, record_property: Any) -> Iterator[str]:
    """The app's own emulator (from the API's health), with its echoes cleared after the test."""
    record_property(RELIABILITY, ("hostile input", "browser"))
    url = str(call(f"{app_url}/api/health")["emulator_url"])
    yield url
    call(f"{url}/_emulator/echo", "DELETE")


@pytest.fixture()
def watched(page: Any) -> Iterator[tuple[Any, list[str]]]:
    """The page, with every dialog recorded (and dismissed) and the flag cleared before any script of ours."""
    dialogs: list[str] = []

    def record(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    page.add_init_script("delete window.__pwned;")
    yield page, dialogs


def assert_nothing_ran(page: Any, dialogs: list[str], where: str) -> None:
    page.wait_for_timeout(500)  # an onerror or onload handler fires within moments of insertion
    assert page.evaluate("window.__pwned") is None, f"a payload ran on {where}"
    assert dialogs == [], f"a dialog opened on {where}: {dialogs}"
    scope = page.locator(where)
    assert scope.locator(LIVE).count() == 0, scope.locator(LIVE).first.evaluate("e => e.outerHTML")
    hrefs = scope.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href') || '')")
    assert not any(h.strip().lower().startswith("javascript:") for h in hrefs), hrefs


def test_the_chat_page_shows_hostile_prompts_and_output_as_text(app_url: str, emulator_url: str,
                                                                watched: tuple[Any, list[str]]) -> None:
    page, dialogs = watched
    call(f"{emulator_url}/_emulator/echo", "POST", {"text": BROWSER_PAYLOAD, "model_id": MODEL})
    page.goto(app_url)
    box = page.get_by_test_id("stChatInputTextArea")
    expect(box).to_be_visible(timeout=30_000)
    # The model is chosen in the sidebar: the default chat model, as the echo expects.
    page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").first.click()
    page.keyboard.type(models.CHAT.name)
    page.get_by_role("option", name=models.CHAT.label, exact=True).click()
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(BROWSER_PAYLOAD)
    box.press("Enter")
    messages = page.get_by_test_id("stChatMessage")
    expect(messages.nth(1)).to_contain_text("click me", timeout=30_000)
    expect(messages.nth(1)).to_contain_text("TTFT", timeout=30_000)  # the answer has finished
    assert_nothing_ran(page, dialogs, "[data-testid='stMain']")
    links = messages.locator("a").filter(has_text="here").all()
    assert len(links) == 4  # the two javascript: links, in the prompt and in the answer, are drawn as links
    for link in links:  # and a click on one runs nothing
        link.click()
    assert_nothing_ran(page, dialogs, "[data-testid='stMain']")
    for message in (messages.nth(0), messages.nth(1)):  # the markup is there to read, as text
        assert "<script>window.__pwned = 'script'" in message.inner_text() and "or me</a>" in message.inner_text()
    page.reload()  # the URL names the conversation: reopened from the history, through the same rendering
    expect(page.get_by_test_id("stChatInputTextArea")).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("stChatMessage").nth(1)).to_contain_text("click me", timeout=30_000)
    assert_nothing_ran(page, dialogs, "[data-testid='stMain']")


def test_the_api_demo_page_shows_hostile_prompts_and_output_as_text(app_url: str, emulator_url: str,
                                                                    watched: tuple[Any, list[str]]) -> None:
    page, dialogs = watched
    call(f"{emulator_url}/_emulator/echo", "POST", {"text": BROWSER_PAYLOAD, "model_id": MODEL})
    page.goto(f"{app_url}/api/demo")
    expect(page.locator(f"#model option[value='{MODEL}']")).to_be_attached(timeout=20_000)
    page.select_option("#model", MODEL)
    page.fill("#prompt", BROWSER_PAYLOAD)
    page.click("#send")
    expect(page.locator("#status")).to_have_text("Done.", timeout=20_000)
    assert page.locator("#text").text_content() == BROWSER_PAYLOAD  # shown exactly, as text
    assert_nothing_ran(page, dialogs, "main")
