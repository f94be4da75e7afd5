"""The app is light or dark as the system is (the browser's prefers-color-scheme), and readable in both."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def luminance(css: str) -> float:
    """WCAG relative luminance of a CSS `rgb(...)` / `rgba(...)` colour."""
    red, green, blue = (int(part) / 255 for part in re.findall(r"\d+(?:\.\d+)?", css)[:3])

    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.03928 else ((channel + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)


def contrast(first: str, second: str) -> float:
    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


@pytest.mark.parametrize("scheme", ["dark", "light"])
def test_the_app_follows_the_systems_light_or_dark_mode(app_url: str, browser: Any, scheme: str) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 900}, color_scheme=scheme)
    try:
        page = context.new_page()
        page.goto(app_url)
        expect(page.get_by_role("heading", name="Chat")).to_be_visible(timeout=30_000)
        chosen = page.get_by_test_id("stSidebar").get_by_role("radio", name="Emulator")  # the Backend switch
        expect(chosen).to_have_attribute("aria-checked", "true")
        app = page.get_by_test_id("stApp")
        background, text = app.evaluate("e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).color]")
        accent = chosen.evaluate("e => getComputedStyle(e).color")  # the selected option is in the accent colour
    finally:
        context.close()
    if scheme == "dark":
        assert luminance(background) < 0.05, f"the dark system setting got a light app ({background})"
    else:
        assert luminance(background) > 0.9, f"the light system setting got a dark app ({background})"
    assert contrast(text, background) >= 7
    red, green, blue = (int(part) for part in re.findall(r"\d+", accent)[:3])
    assert red > green > blue, f"the accent is no longer orange ({accent})"
    assert contrast(accent, background) >= 4.5, f"orange text is hard to read on {scheme} ({accent} on {background})"
