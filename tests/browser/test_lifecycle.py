"""Model lifecycle in Chromium: the picker marks Legacy models and leaves retired ones out, and a model that
Bedrock refuses for its lifecycle says, in place of the answer, which current model to pick instead."""

from __future__ import annotations

import json
import re
import urllib.request
from typing import Any

import pytest
from playwright.sync_api import expect

from core import catalog

pytestmark = pytest.mark.browser


def _emulator_url(page: Any) -> str:
    found = re.search(r"http://127\.0\.0\.1:\d+", page.get_by_test_id("stSidebar").inner_text())
    assert found, "the sidebar names the app's emulator"
    return found.group(0)


def _config(url: str, **settings: object) -> None:
    request = urllib.request.Request(f"{url}/_emulator/config", json.dumps(settings).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=10).close()


def _open_picker(page: Any, url: str) -> Any:
    page.goto(url)
    expect(page.get_by_test_id("stChatInputTextArea")).to_be_visible(timeout=30_000)
    picker = page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").filter(has_text="Model").first
    picker.click()
    return page.get_by_test_id("stSelectboxVirtualDropdown")


def _legacy() -> catalog.Model:
    return next(m for m in catalog.listed_models() if m.lifecycle == "legacy")


def test_the_picker_marks_legacy_models_with_their_end_of_life_and_leaves_retired_ones_out(
        app_url: str, page: Any) -> None:
    dropdown = _open_picker(page, app_url)
    legacy = _legacy()
    entry = dropdown.get_by_text(legacy.name, exact=False)
    dropdown.hover()
    page.keyboard.type(legacy.name)  # the picker searches as the user types
    expect(entry.first).to_contain_text(f"Legacy · end of life {legacy.spec.eol_date}")  # type: ignore[union-attr]
    page.keyboard.press("Escape")
    dropdown = _open_picker(page, app_url)
    for retired in (m for m in catalog.listed_models() if m.lifecycle == "end-of-life"):
        page.keyboard.type(retired.name)
        expect(dropdown.get_by_role("option").first).to_be_visible()  # the search has been applied
        expect(dropdown.get_by_role("option", name=retired.label, exact=True)).to_have_count(0)
        for _ in retired.name:
            page.keyboard.press("Backspace")
    expect(dropdown).to_contain_text(catalog.resolve(catalog.default_model_id()).name)


def test_a_legacy_models_refusal_names_the_model_to_pick_instead(app_url: str, page: Any) -> None:
    legacy = _legacy()
    dropdown = _open_picker(page, app_url)
    page.keyboard.type(legacy.name)
    dropdown.get_by_text(legacy.name, exact=False).first.click()
    expect(page.get_by_test_id("stSidebar")).to_contain_text(f"{legacy.name} is Legacy")
    url = _emulator_url(page)
    _config(url, legacy_access=False)  # an account that has not used the model lately
    try:
        box = page.get_by_test_id("stChatInputTextArea")
        box.fill("Is this model still served?")
        box.press("Enter")
        answer = page.get_by_test_id("stChatMessage").nth(1)
        replacement = legacy.replacement
        assert replacement is not None
        expect(answer).to_contain_text("This model is Legacy and this account can no longer call it", timeout=20_000)
        expect(answer).to_contain_text(f"Pick {replacement.name}")
        expect(answer.get_by_role("button", name="Retry")).to_be_visible()
        expect(page.get_by_test_id("stChatMessage").nth(0)).to_contain_text("Is this model still served?")  # kept
    finally:
        _config(url, legacy_access=True)
