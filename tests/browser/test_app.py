"""The app in a real browser: it starts from the README's command and shows the emulator's models."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from .conftest import _serve_app

pytestmark = pytest.mark.browser


def test_the_app_opens_on_the_emulator_and_lists_models(app_url: str, page: Any, tmp_path: Path) -> None:
    page.goto(app_url)
    expect(page.get_by_role("heading", name="Chat")).to_be_visible(timeout=30_000)  # the default page
    page.get_by_test_id("stSidebarNav").get_by_text("Models").click()
    expect(page.get_by_role("heading", name="Models")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Emulator backend.")).to_be_visible()
    counts = page.get_by_text(re.compile(r"^\d+ of \d+ models"))
    expect(counts).to_be_visible()
    shown, total = map(int, re.match(r"(\d+) of (\d+)", counts.inner_text()).groups())  # type: ignore[union-attr]
    assert shown == total >= 25
    expect(page.locator("[data-testid='stDataFrame']")).to_be_visible()
    search = page.get_by_role("textbox", name="Search")
    search.fill("nova")
    search.press("Enter")
    expect(page.get_by_text(re.compile(rf"^\d+ of {total} models"))).not_to_have_text(re.compile(rf"^{total} of"))
    filtered = int(page.get_by_text(re.compile(rf"^\d+ of {total} models")).inner_text().split()[0])
    assert 0 < filtered < total
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
    page.screenshot(path=str(tmp_path / "models.png"), full_page=True)


@pytest.fixture(scope="module")
def fresh_app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server no browser has visited yet."""
    yield from _serve_app(tmp_path_factory, "0")


def test_a_page_url_opened_first_after_a_start_still_has_the_apps_sidebar(fresh_app_url: str, page: Any) -> None:
    # A reload on /monitor after restarting the app must not fall back to Streamlit's folder-based pages.
    page.goto(f"{fresh_app_url}/monitor")
    expect(page.get_by_role("heading", name="Monitor")).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("stSidebar").get_by_text("Bedrock Streaming Lab")).to_be_visible()
    links = page.get_by_test_id("stSidebarNav").get_by_role("link")
    expect(links).to_contain_text(["Chat", "Monitor", "Models"])  # in this order, after their icons


def test_the_fault_list_counts_the_requests_the_answer_just_used(app_url: str, page: Any) -> None:
    page.goto(app_url)
    box = page.get_by_test_id("stChatInputTextArea")
    expect(box).to_be_visible(timeout=30_000)
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text("Fault injection (emulator)").click()
    expect(sidebar.get_by_text("Bedrock turns the request away before any text")).to_be_visible()  # in words
    sidebar.get_by_role("combobox", name="Fault", exact=True).click()
    page.get_by_role("option", name="Model times out").click()  # not retried: one question, one request
    expect(sidebar.get_by_text("The model gives up before any text")).to_be_visible()
    count = sidebar.get_by_label("For the next N requests")
    count.fill("3")
    count.press("Enter")
    expect(count).to_have_value("3")
    sidebar.get_by_role("button", name="Inject").click()
    listed = sidebar.get_by_text(re.compile(r"^Model times out · .+ · \d+ left$"))
    expect(listed).to_have_text(re.compile(r" · 3 left$"))
    box.fill("Are you there?")
    box.press("Enter")
    expect(page.get_by_test_id("stChatMessage").last).to_contain_text("took too long", timeout=30_000)
    expect(listed).to_have_text(re.compile(r" · 2 left$"))  # as soon as the answer is there, not one click later
    sidebar.get_by_role("button", name="Clear all").click()
    expect(listed).to_have_count(0)


def test_on_a_phone_the_first_screen_shows_the_name_the_suggestions_and_the_emulated_notice(
        app_url: str, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        page.goto(app_url)
        main = page.get_by_test_id("stMainBlockContainer")
        expect(main.get_by_role("heading", name="Bedrock Streaming Lab")).to_be_in_viewport(timeout=30_000)
        expect(page.get_by_test_id("stSidebar")).not_to_be_in_viewport()  # closed, as a phone opens it
        suggestions = main.get_by_role("button").filter(has_text=re.compile(r"^(A long answer|Some code|A table):"))
        expect(suggestions).to_have_count(3)
        for i in range(3):
            button = suggestions.nth(i)
            expect(button).to_be_in_viewport()
            width, full = button.evaluate("b => [b.clientWidth, b.scrollWidth]")
            assert full <= width, "a suggestion's label is cut short"
        expect(main.get_by_text("Answers are emulated:")).to_be_in_viewport()
        expect(main.get_by_role("link", name=re.compile("Compare"))).to_be_in_viewport()
    finally:
        context.close()
