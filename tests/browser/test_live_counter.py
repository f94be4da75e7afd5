"""The Chat page's live counter in Chromium, on the emulator at its real latency profiles (time scale 1): its
first reading was absurd ("9,709 tok/s" after 4 tokens)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from core import catalog

from .. import models

pytestmark = pytest.mark.browser

# Every text the counter shows, as the page changes it (an observer in the page: no reading is missed).
RECORD_COUNTER = """() => {
  window.counterTexts = [];
  const read = () => {
    for (const bar of document.querySelectorAll("[data-testid='stProgress']")) {
      const text = bar.innerText.trim();
      if (text && window.counterTexts[window.counterTexts.length - 1] !== text) window.counterTexts.push(text);
    }
  };
  new MutationObserver(read).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""
# "42 tokens (est.) · 85 tok/s · 1.2 s", with "…" in the rate's place until a rate is known.
READING = re.compile(r"^([\d,]+) tokens \(est\.\) · (…|[\d,.]+ tok/s) · ([\d,.]+) s")
TTFT = re.compile(r"TTFT ([\d,.]+) (ms|s)\b")  # in the answer's figures once it has ended
DECODED_S = 0.5  # how long a stream decodes before its rate means something (streaming.LIVE_RATE_MIN_S)


def test_the_live_counter_shows_no_rate_until_it_means_something_and_none_far_above_the_models(
        live_app_url: str, page: Any) -> None:
    typical = catalog.resolve(models.CLAUDE).typical_tokens_per_s
    assert typical is not None
    page.goto(live_app_url)
    box = page.get_by_test_id("stChatInputTextArea")
    expect(box).to_be_visible(timeout=30_000)
    page.evaluate(RECORD_COUNTER)
    box.fill("Write 150 tokens about streaming latency, in the live counter's test.")
    box.press("Enter")
    answer = page.get_by_test_id("stChatMessage").nth(1)
    expect(answer).to_contain_text("TTFT", timeout=30_000)  # it has ended: its figures are there
    figure = TTFT.search(answer.inner_text())
    assert figure is not None
    ttft_s = float(figure[1].replace(",", "")) / (1000 if figure[2] == "ms" else 1)
    texts: list[str] = page.evaluate("window.counterTexts")
    readings = [(rate, float(elapsed.replace(",", ""))) for _, rate, elapsed in
                (match.groups() for match in map(READING.match, texts) if match)]
    assert len(readings) >= 4 and len(readings) == len(texts), texts  # one format, read several times
    # The counter's seconds are rounded to 0.1 s (TTFT to 1 ms): readings surely taken before half a second of decoding.
    early = [rate for rate, elapsed_s in readings if elapsed_s + 0.06 < ttft_s + DECODED_S]
    assert early and set(early) == {"…"}, (ttft_s, texts)  # no rate from the first tokens alone
    rates = [float(rate.removesuffix(" tok/s").replace(",", "")) for rate, _ in readings if rate != "…"]
    assert rates, texts  # a rate came once it meant something
    assert max(rates) <= 2 * typical, (typical, texts)  # never far above the model's usual rate
