"""The app works with no internet: no page asks any host but the app's own for anything (fonts, icons, scripts).
And every page says its answers are emulated, in its main area."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
# Every page of the app, and the heading each shows once it has run.
PAGES = {"": "Chat", "compare": "Compare", "monitor": "Monitor", "models": "Models"}


def test_no_page_asks_any_host_but_the_app(app_url: str, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    asked: list[str] = []
    context.on("request", lambda request: asked.append(request.url))
    # An outside host is refused at once (as offline), rather than left to time out.
    context.route(lambda url: urlsplit(url).hostname not in LOCAL_HOSTS and not url.startswith("data:"),
                  lambda route: route.abort("internetdisconnected"))
    page = context.new_page()
    try:
        for path, heading in PAGES.items():
            page.goto(f"{app_url}/{path}")
            expect(page.get_by_role("heading", name=heading)).to_be_visible(timeout=30_000)
            expect(page.locator("[data-testid='stApp'][data-test-script-state='notRunning']")).to_be_attached(
                timeout=30_000)
            # Every page says so in its main area, where it is seen without opening the sidebar.
            notice = page.get_by_test_id("stMainBlockContainer").get_by_text("Answers are emulated")
            expect(notice).to_have_count(1)
            expect(notice).to_be_visible()
            # The tab's icon is a link the browser follows on its own: it must be the app's too.
            icons = page.locator("link[rel~='icon']")
            expect(icons).not_to_have_count(0)
            for href in icons.evaluate_all("links => links.map(link => link.href)"):
                assert href.startswith(("data:", app_url)), f"/{path}: the tab icon comes from {href}"
        page.goto(f"{app_url}/api/demo")
        expect(page.locator("#status")).to_contain_text("models on the emulator backend", timeout=20_000)
        page.wait_for_load_state("networkidle")
    finally:
        context.close()
    outside = sorted({url for url in asked if urlsplit(url).scheme in ("http", "https", "ws", "wss")
                      and urlsplit(url).hostname not in LOCAL_HOSTS})
    assert not outside, f"requests to outside hosts: {outside}"
    assert any(url.startswith(f"{app_url}/api/models") for url in asked)  # the recorder saw the pages' own requests
