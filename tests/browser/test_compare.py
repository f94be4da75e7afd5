"""The Compare page in Chromium, on the emulator at its real latency profiles (time scale 1): panels
stream at the same time, Stop keeps every partial answer, a fault stays in its own panel."""

from __future__ import annotations

import json
import re
import time
import urllib.request
from typing import Any

import pytest
from playwright.sync_api import expect

from core import catalog
from core.emulator import models as emulated

from .. import models

pytestmark = pytest.mark.browser

LONG_PROMPT = "Write 1000 tokens about streaming latency."  # several seconds even for the fastest default panel
# Per panel (a bordered column holding an answer): its text, and whether it is still streaming (cursor).
PANELS = r"""
() => Array.from(document.querySelectorAll('[data-testid="stColumn"]'))
  .map(column => column.innerText)
  .filter(text => text.includes('(Emulated answer'))
  .map(text => ({length: text.length, streaming: text.includes('▌'), text: text}))
"""


def open_models(page: Any, url: str) -> Any:
    page.goto(f"{url}/compare")
    box = page.get_by_test_id("stChatInputTextArea")
    expect(box).to_be_visible(timeout=30_000)
    page.get_by_role("radiogroup", name="What to compare").get_by_role("radio", name="Models side by side").click()
    expect(page.get_by_text("Same settings for all")).to_be_visible()
    return box


def emulator_url(page: Any) -> str:
    return re.search(r"http://127\.0\.0\.1:\d+", page.get_by_test_id("stSidebar").inner_text()).group(0)  # type: ignore[union-attr]


def _control(url: str, method: str, path: str, payload: dict[str, Any] | None = None) -> None:
    data = json.dumps(payload).encode() if payload is not None else None
    urllib.request.urlopen(urllib.request.Request(f"{url}{path}", data, method=method,
                                                  headers={"Content-Type": "application/json"}), timeout=10).close()


def test_panels_hold_partial_text_at_the_same_moment_and_stop_keeps_each(live_app_url: str, page: Any) -> None:
    box = open_models(page, live_app_url)
    # Both panels decode slowly, so neither can finish before Stop on a machine busy with other tests.
    emulator = emulator_url(page)
    for model_id in models.COMPARE[:2]:
        _control(emulator, "POST", "/_emulator/profiles", {"model_id": catalog.base_model_id(model_id),
                                                            "tokens_per_s": 25})
    try:
        _panels_hold_partial_text(page, box)
    finally:
        _control(emulator, "DELETE", "/_emulator/profiles")


def _panels_hold_partial_text(page: Any, box: Any) -> None:
    page.get_by_role("radiogroup", name="Panels").get_by_role("radio", name="2").click()
    expect(page.get_by_text("Model 3")).to_have_count(0)
    box.fill(LONG_PROMPT)
    box.press("Enter")
    together = None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and together is None:
        panels = page.evaluate(PANELS)
        streaming = [p for p in panels if p["streaming"]]
        if len(streaming) >= 2:
            together = streaming
        time.sleep(0.05)
    assert together is not None, "no two panels were streaming at the same moment"
    page.get_by_role("button", name="Stop").click()
    expect(page.get_by_text("Stopped: every panel keeps what it had received.")).to_be_visible(timeout=15_000)
    expect(page.get_by_text("Stopped: the partial answer is kept.")).to_have_count(2)  # the panels are drawn
    kept = page.evaluate(PANELS)
    assert len(kept) == 2 and not any(p["streaming"] for p in kept)
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
    expect(page.get_by_role("button", name="Stop")).to_have_count(0)
    expect(page.get_by_test_id("stChatInputTextArea")).to_be_enabled()  # ready for the next prompt


def test_a_fault_in_one_panel_leaves_the_others_complete(live_app_url: str, page: Any) -> None:
    box = open_models(page, live_app_url)
    second = models.COMPARE[1]  # the second default panel, as requests call it
    fault = {"kind": "stream_error", "after_tokens": 15, "model_id": second}
    urllib.request.urlopen(urllib.request.Request(f"{emulator_url(page)}/_emulator/faults", json.dumps(fault).encode(),
                                                  method="POST", headers={"Content-Type": "application/json"}),
                           timeout=10).close()
    page.get_by_role("radiogroup", name="Panels").get_by_role("radio", name="3").click()
    box.fill("Write 60 tokens about queues.")
    box.press("Enter")
    expect(page.get_by_text("Output tokens over time")).to_be_visible(timeout=60_000)
    columns = page.locator("[data-testid='stColumn']").filter(has_text="(Emulated answer")
    expect(columns).to_have_count(3)
    broken = columns.filter(has_text=emulated.BY_ID[catalog.base_model_id(second)].name)  # its title
    expect(broken.get_by_test_id("stAlertContentError")).to_have_count(1)
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(1)  # in that panel only
    for i in range(3):
        # every panel has its metrics, the broken one too ("first answer token" where the model reasoned first)
        assert re.search("TTFT|first answer token", columns.nth(i).inner_text())
    assert columns.filter(has_text="Fastest decode").count() == 1
