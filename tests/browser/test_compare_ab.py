"""The Compare page's A/B in Chromium: the sidebar's model in one panel per reasoning effort, the panels
drawn side by side with their figures, and a headline in words for each panel against panel A."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from .. import models

pytestmark = pytest.mark.browser


def test_an_effort_ab_shows_one_panel_per_effort_and_a_headline_for_each(app_url: str, page: Any) -> None:
    efforts = list(models.CHAT.efforts)  # the sidebar's default model thinks on a budget at these efforts
    page.goto(f"{app_url}/compare")
    box = page.get_by_test_id("stChatInputTextArea")
    expect(box).to_be_visible(timeout=30_000)
    page.get_by_role("radiogroup", name="What to compare").get_by_role("radio", name="A/B").click()
    levers = page.get_by_role("radiogroup", name="Lever")
    expect(levers.get_by_role("radio", name="Reasoning effort")).to_be_visible()
    expect(levers.get_by_role("radio", name="Latency mode")).to_have_count(0)  # this model has none
    box.fill("Why do queues grow under load?")
    box.press("Enter")
    headlines = page.get_by_role("heading", name=re.compile(r"^Effort \w+: first answer token"))
    expect(headlines).to_have_count(len(efforts) - 1, timeout=30_000)  # B and C against A
    for effort, headline in zip(efforts[1:], headlines.all(), strict=True):
        expect(headline).to_contain_text(re.compile(rf"^Effort {effort}: first answer token .*thought .*the price"))
    columns = page.locator("[data-testid='stColumn']").filter(has_text="(Emulated answer")
    expect(columns).to_have_count(len(efforts))
    for i, effort in enumerate(efforts):
        panel = columns.nth(i)
        expect(panel).to_contain_text(f"{'ABCD'[i]} · Effort {effort}")
        expect(panel.get_by_text(re.compile(r"^Reasoning \(thought for"))).to_be_visible()
    figures = page.get_by_test_id("stTable")  # the figures side by side, B and C against A in brackets
    for i, effort in enumerate(efforts):
        expect(figures.get_by_role("columnheader", name=f"{'ABCD'[i]} · Effort {effort}")).to_be_visible()
    for row in ("First answer token", "First reasoning", "Reasoning", "Decode rate", "E2E", "Cost (estimate)"):
        expect(figures.get_by_role("rowheader", name=row, exact=True)).to_be_visible()
    expect(page.get_by_text("What the user saw")).to_be_visible()
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
