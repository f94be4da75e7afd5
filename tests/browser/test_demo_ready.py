"""Issue 15's bugs on Chat and Compare, each as a presenter meets it in Chromium (emulator at time scale 1):
answers go on while another page is open, a Retry belongs to its own answer, nothing stale or cut is shown."""

from __future__ import annotations

import json
import re
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from core import catalog

from .. import models

pytestmark = pytest.mark.browser

LONG_PROMPT = "Write 600 tokens about streaming latency."
# The numbers of every metric card: cut (an ellipsis) when the text is wider than its box.
CUT_METRICS = """
() => Array.from(document.querySelectorAll('[data-testid="stMetricValue"]'))
  .filter(el => el.offsetParent !== null)
  .map(el => {
    const inner = el.querySelector('div') || el;
    return {text: el.innerText, cut: inner.scrollWidth > inner.clientWidth + 1 || el.scrollWidth > el.clientWidth + 1};
  })
"""


def settled(page: Any) -> None:
    expect(page.locator("[data-testid='stApp'][data-test-script-state='notRunning']")).to_be_attached(timeout=60_000)


def chat_box(page: Any, url: str, path: str = "") -> Any:
    page.goto(f"{url}/{path}")
    box = page.get_by_test_id("stChatInputTextArea")
    expect(box).to_be_visible(timeout=30_000)
    return box


def ask(box: Any, text: str) -> None:
    box.fill(text)
    box.press("Enter")


def emulator_url(page: Any) -> str:
    return re.search(r"http://127\.0\.0\.1:\d+", page.get_by_test_id("stSidebar").inner_text()).group(0)  # type: ignore[union-attr]


def inject(page: Any, fault: dict[str, Any]) -> None:
    urllib.request.urlopen(urllib.request.Request(f"{emulator_url(page)}/_emulator/faults", json.dumps(fault).encode(),
                                                  method="POST", headers={"Content-Type": "application/json"}),
                           timeout=10).close()


def nav(page: Any, name: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=name).click()


def messages(page: Any) -> Any:
    return page.get_by_test_id("stChatMessage")


def test_an_answer_goes_on_streaming_while_another_page_is_open(live_app_url: str, page: Any) -> None:
    ask(chat_box(page, live_app_url), LONG_PROMPT)
    expect(messages(page).nth(1)).to_contain_text("(Emulated answer", timeout=20_000)
    nav(page, "Models")  # mid-answer
    expect(page.get_by_role("heading", name="Models")).to_be_visible(timeout=20_000)
    time.sleep(1.0)
    nav(page, "Chat")
    answer = messages(page).nth(1)
    expect(answer).to_contain_text("(Emulated answer", timeout=20_000)
    expect(answer).to_contain_text("E2E", timeout=60_000)  # it ended on its own ...
    assert "Stopped" not in answer.inner_text()  # ... nobody pressed Stop
    assert len(answer.inner_text()) > 600


def test_a_comparison_and_its_choices_survive_a_visit_to_another_page(live_app_url: str, page: Any) -> None:
    box = chat_box(page, live_app_url, "compare")
    page.get_by_role("radiogroup", name="What to compare").get_by_role("radio", name="Models side by side").click()
    page.get_by_role("radiogroup", name="Panels").get_by_role("radio", name="3").click()
    expect(page.get_by_text("Model 4")).to_have_count(0)
    settled(page)
    ask(box, "Write 300 tokens about queues.")
    expect(page.get_by_role("button", name="Stop")).to_be_visible(timeout=20_000)
    nav(page, "Chat")  # while the panels stream
    expect(page.get_by_role("heading", name="Chat")).to_be_visible(timeout=20_000)
    nav(page, "Compare")
    expect(page.get_by_text("Output tokens over time")).to_be_visible(timeout=60_000)  # the result is there
    expect(page.get_by_text("Stopped: every panel keeps")).to_have_count(0)  # not stopped by leaving
    mode = page.get_by_role("radiogroup", name="What to compare").get_by_role("radio", name="Models side by side")
    expect(mode).to_be_checked()
    expect(page.get_by_role("radiogroup", name="Panels").get_by_role("radio", name="3")).to_be_checked()
    columns = page.locator("[data-testid='stColumn']").filter(has_text="(Emulated answer")
    expect(columns).to_have_count(3)


def test_retry_is_offered_only_under_the_last_answer_and_redoes_that_one(live_app_url: str, page: Any) -> None:
    box = chat_box(page, live_app_url)
    inject(page, {"kind": "throttling", "model_id": models.CLAUDE, "count": 3})  # every attempt of the first
    ask(box, "First question, which fails.")
    expect(messages(page).nth(1)).to_contain_text("throttling", timeout=30_000)
    expect(messages(page).nth(1).get_by_role("button", name="Retry")).to_be_visible()
    settled(page)
    ask(box, LONG_PROMPT)
    expect(messages(page).nth(3)).to_contain_text("(Emulated answer", timeout=30_000)
    # While the second answer streams, the first error offers no Retry that would redo the second question.
    expect(messages(page).nth(1).get_by_role("button", name="Retry")).to_have_count(0)
    expect(messages(page).nth(3)).to_contain_text("E2E", timeout=60_000)
    settled(page)
    expect(page.get_by_role("button", name="Retry")).to_have_count(0)
    expect(messages(page)).to_have_count(4)  # nothing thrown away
    expect(messages(page).nth(1)).to_contain_text("throttling")  # the old error keeps its words


def test_no_faded_copy_of_the_last_answers_request_box_while_the_next_streams(live_app_url: str, page: Any) -> None:
    box = chat_box(page, live_app_url)
    ask(box, "Write 40 tokens about caches.")
    expect(messages(page).nth(1)).to_contain_text("E2E", timeout=30_000)
    settled(page)
    ask(box, LONG_PROMPT)
    expect(messages(page).nth(3)).to_contain_text("(Emulated answer", timeout=30_000)
    seen = []
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        seen.append(page.get_by_test_id("stExpander").filter(has_text="View API request").count())
        time.sleep(0.1)
    assert max(seen) == 1, seen  # the first answer's, once: no stale duplicate under it


def test_a_reopened_conversation_keeps_each_errors_title_advice_and_code(live_app_url: str, page: Any) -> None:
    box = chat_box(page, live_app_url)
    inject(page, {"kind": "throttling", "model_id": models.CLAUDE, "count": 3})
    ask(box, "A question Bedrock throttles.")
    expect(messages(page).nth(1)).to_contain_text("throttling", timeout=30_000)
    settled(page)
    title = messages(page).nth(1).get_by_test_id("stAlertContentError").inner_text()
    page.reload()  # the URL names the conversation: it opens from the history
    expect(messages(page).nth(1)).to_contain_text("throttling", timeout=30_000)
    assert messages(page).nth(1).get_by_test_id("stAlertContentError").inner_text() == title
    assert "The answer failed" not in page.inner_text("body")
    messages(page).nth(1).get_by_text("Technical details").click()
    expect(messages(page).nth(1)).to_contain_text("ThrottlingException")


def test_clear_leaves_no_trace_of_the_old_conversation(live_app_url: str, page: Any) -> None:
    box = chat_box(page, live_app_url)
    ask(box, "Name a lighthouse.")
    expect(messages(page).nth(1)).to_contain_text("E2E", timeout=30_000)
    settled(page)
    page.get_by_role("button", name="Clear").click()
    settled(page)
    expect(messages(page)).to_have_count(0)
    assert "conversation=" not in page.url  # a reload would not bring it back
    page.reload()
    expect(page.get_by_test_id("stChatInputTextArea")).to_be_visible(timeout=30_000)
    settled(page)
    expect(messages(page)).to_have_count(0)
    # It is only listed among the conversations to reopen, not named as the one open.
    page.get_by_text(re.compile(r"^Conversations \(")).click()
    expect(page.get_by_role("button", name="Name a lighthouse.")).to_be_enabled()


def test_repeats_show_no_stale_chart_and_no_none(live_app_url: str, page: Any) -> None:
    box = chat_box(page, live_app_url, "compare")
    ask(box, "Write 40 tokens about caches.")
    expect(page.get_by_text("What the user saw")).to_be_visible(timeout=60_000)
    settled(page)
    repeat = page.get_by_test_id("stMainBlockContainer").get_by_test_id("stNumberInputField")
    repeat.fill("3")
    repeat.press("Enter")
    settled(page)
    ask(box, "Write 40 tokens about queues.")
    expect(page.get_by_role("button", name="Stop")).to_be_visible(timeout=20_000)
    seen_stale = False
    while page.get_by_role("button", name="Stop").count():
        seen_stale = seen_stale or page.get_by_text("What the user saw").count() > 0 \
            and "caches" in page.get_by_test_id("stMainBlockContainer").inner_text()
        time.sleep(0.1)
    assert not seen_stale  # the previous prompt's chart went when the new comparison began
    expect(page.get_by_text("Over 3 of 3 repeats")).to_be_visible(timeout=60_000)
    table = page.get_by_test_id("stDataFrame").last
    expect(table).to_be_visible()
    assert "None" not in table.inner_text()


@pytest.mark.parametrize("width", [1440, 390], ids=["laptop", "phone"])
def test_every_compare_number_is_readable_at_four_panels(app_url: str, browser: Any, width: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        box = chat_box(page, app_url, "compare")
        page.get_by_role("radiogroup", name="What to compare").get_by_role("radio", name="Models side by side").click()
        expect(page.get_by_text("Same settings for all")).to_be_visible()
        settled(page)
        ask(box, "Write 40 tokens about caches.")
        expect(page.get_by_text("Output tokens over time")).to_be_visible(timeout=60_000)
        expect(page.get_by_test_id("stMetricValue")).to_have_count(13, timeout=30_000)  # one reasons: 4 cards
        settled(page)
        values = page.evaluate(CUT_METRICS)
        assert len(values) >= 12, values  # four panels, three cards or more each
        assert not [v for v in values if v["cut"] or "…" in v["text"]], values
    finally:
        context.close()


def test_the_markdown_export_names_the_model_of_each_answer(app_url: str, page: Any) -> None:
    other = catalog.resolve(models.ON_DEMAND)
    box = chat_box(page, app_url)
    ask(box, "Name a river.")
    expect(messages(page).nth(1)).to_contain_text("E2E", timeout=30_000)
    settled(page)
    picker = page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").filter(has_text="Model").first
    picker.click()
    page.keyboard.type(other.name)
    page.get_by_role("option", name=re.compile(re.escape(other.name))).first.click()
    expect(picker.get_by_role("combobox")).to_have_value(re.compile(re.escape(other.name)), timeout=20_000)
    settled(page)
    ask(page.get_by_test_id("stChatInputTextArea"), "And a lake?")
    expect(messages(page).nth(3)).to_contain_text("E2E", timeout=30_000)
    settled(page)
    with page.expect_download(timeout=30_000) as download:
        page.get_by_role("button", name="Markdown").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert f"## {models.CHAT.name} · Converse · streaming" in text
    assert f"## {other.name} · Converse · streaming" in text
