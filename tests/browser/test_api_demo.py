"""The HTTP API as the README's run command serves it, and its demo page in Chromium (emulator at time scale 1)."""

from __future__ import annotations

import json
import re
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from core.format import METRICS
from core.history import History

from .. import models

pytestmark = pytest.mark.browser

HAIKU = models.CLAUDE  # the default chat model, as /api/models lists it (its inference profile)


def get_json(url: str, method: str = "GET", payload: dict[str, Any] | None = None) -> Any:
    data = json.dumps(payload).encode() if payload is not None else None
    headers = {"Content-Type": "application/json"} if data is not None else {}  # a POST must say it is JSON
    with urllib.request.urlopen(urllib.request.Request(url, data=data, method=method, headers=headers),
                                timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture()
def served(live_app_url: str) -> Iterator[dict[str, Any]]:
    """The API's health (backend, emulator, history file); the emulator's overrides are cleared after."""
    health = get_json(f"{live_app_url}/api/health")
    emulator = health["emulator_url"]
    get_json(f"{emulator}/_emulator/faults", "DELETE")
    yield health
    get_json(f"{emulator}/_emulator/faults", "DELETE")
    get_json(f"{emulator}/_emulator/profiles", "DELETE")


def slow(health: dict[str, Any], tokens_per_s: float) -> None:
    get_json(f"{health['emulator_url']}/_emulator/profiles", "POST",
             {"model_id": HAIKU, "ttft_ms": 300, "tokens_per_s": tokens_per_s})


def open_demo(page: Any, url: str, prompt: str, max_tokens: int, model_id: str = HAIKU) -> None:
    page.goto(f"{url}/api/demo")
    expect(page.locator(f"#model option[value='{model_id}']")).to_be_attached(timeout=20_000)
    expect(page.locator("#status")).to_contain_text("models on the emulator backend")
    page.select_option("#model", model_id)
    page.fill("#prompt", prompt)
    page.fill("#max-tokens", str(max_tokens))


def text_length(page: Any) -> int:
    return int(page.evaluate("document.getElementById('text').textContent.length"))


def test_the_run_command_serves_the_api_beside_the_app(live_app_url: str, served: dict[str, Any], page: Any) -> None:
    assert served["backend"] == "emulator" and served["emulator_url"].startswith("http://127.0.0.1:")
    models = get_json(f"{live_app_url}/api/models")["models"]
    assert any(m["model_id"] == HAIKU and m["streaming"] for m in models)
    page.goto(live_app_url)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("HTTP streaming API")).to_be_visible(timeout=30_000)
    expect(sidebar.get_by_role("link", name="demo")).to_have_attribute("href", f"{live_app_url}/api/demo")
    # The API's own address leads to an index of its endpoints, not to the UI's "Page not found".
    base = sidebar.get_by_role("link", name=f"{live_app_url}/api")
    expect(base).to_have_attribute("href", re.compile(rf"^{re.escape(live_app_url)}/api/?$"))
    for address in (base.get_attribute("href"), f"{live_app_url}/api"):
        page.goto(address)
        expect(page.get_by_role("heading", name="Bedrock Streaming Lab · HTTP API")).to_be_visible()
        for endpoint in ("demo", "models", "health", "openapi.json"):
            expect(page.get_by_role("link", name=f"/api/{endpoint}", exact=True)).to_be_visible()
        expect(page.get_by_text("Page not found")).to_have_count(0)
    page.get_by_role("link", name="/api/models", exact=True).click()
    assert any(m["model_id"] == HAIKU for m in json.loads(page.locator("body").inner_text())["models"])


def test_the_demo_page_shows_the_text_growing_then_the_metrics(live_app_url: str, served: dict[str, Any],
                                                               page: Any) -> None:
    slow(served, 40)
    open_demo(page, live_app_url, "Write 150 tokens about streaming latency.", 150)
    page.click("#send")
    expect(page.locator("#cursor")).to_be_visible()
    expect(page.locator("#text")).to_contain_text("(Emulated", timeout=10_000)
    lengths = []
    for _ in range(4):
        lengths.append(text_length(page))
        time.sleep(0.4)
    assert lengths == sorted(lengths) and lengths[-1] > lengths[0] > 0  # it grows while the cursor blinks
    expect(page.locator("#status")).to_have_text("Done.", timeout=20_000)
    assert text_length(page) > lengths[-1]
    expect(page.locator("#cursor")).to_be_hidden()
    # The app's names and number format: "Time to first token 312 ms", "End-to-end time 4,096 ms" (150 tokens at
    # 40 tok/s take about 4 s), with each name's explanation on hover.
    metrics = page.locator("#metrics")
    expect(metrics).to_contain_text(re.compile(rf"{METRICS['ttft'].name} [\d,]+ ms"))
    expect(metrics).to_contain_text(re.compile(rf"{METRICS['e2e'].name} \d,\d{{3}} ms"))
    expect(metrics).to_contain_text(re.compile(rf"{METRICS['decode_rate'].name} \d+ tok/s"))
    expect(metrics).to_contain_text(f"{METRICS['output_tokens'].name} 150 (reported)")
    expect(metrics.get_by_text(METRICS["ttft"].name)).to_have_attribute("title", METRICS["ttft"].help)
    expect(page.locator("#error")).to_be_hidden()


def test_a_model_that_reasoned_has_its_first_answer_token_and_first_reasoning_in_the_demos_metrics(
        live_app_url: str, served: dict[str, Any], page: Any) -> None:
    listed = {m["model_id"] for m in get_json(f"{live_app_url}/api/models")["models"]}
    thinker = next(m for m in listed if m.endswith(models.REASONING_TAG.base_id))  # shows reasoning before answering
    open_demo(page, live_app_url, "Explain tides briefly.", 400, thinker)
    page.click("#send")
    expect(page.locator("#status")).to_have_text("Done.", timeout=30_000)
    expect(page.locator("#metrics")).to_contain_text(METRICS["first_answer_token"].name)
    expect(page.locator("#metrics")).to_contain_text(METRICS["first_reasoning"].name)


def test_cancel_stops_the_stream_keeps_the_text_and_is_recorded(live_app_url: str, served: dict[str, Any],
                                                                page: Any) -> None:
    slow(served, 20)
    open_demo(page, live_app_url, "Write 300 tokens about caching.", 300)
    page.click("#send")
    page.wait_for_function("() => document.getElementById('text').textContent.length > 80", timeout=15_000)
    page.click("#cancel")
    expect(page.locator("#status")).to_contain_text("Cancelled")
    kept = text_length(page)
    time.sleep(1.0)
    assert text_length(page) == kept > 80  # nothing more arrives, and nothing is lost
    expect(page.locator("#cursor")).to_be_hidden()
    expect(page.locator("#answer")).to_have_class("stopped")
    deadline = time.monotonic() + 5
    while True:
        last = History(served["history"]).runs(session_id="api").iloc[-1]
        if last["status"] == "cancelled" or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert last["status"] == "cancelled" and last["model_id"] == HAIKU and 0 < last["output_tokens"] < 300


def test_an_injected_fault_shows_in_place(live_app_url: str, served: dict[str, Any], page: Any) -> None:
    emulator = served["emulator_url"]
    slow(served, 200)
    get_json(f"{emulator}/_emulator/faults", "POST", {"kind": "stream_error", "model_id": HAIKU, "after_tokens": 25})
    open_demo(page, live_app_url, "Write 200 tokens about queues.", 200)
    page.click("#send")
    expect(page.locator("#error")).to_contain_text("The answer stopped part-way", timeout=15_000)
    expect(page.locator("#error")).to_contain_text("modelStreamErrorException")
    expect(page.locator("#status")).to_have_class("problem")
    assert text_length(page) > 0  # the partial text stays where it was
    expect(page.locator("#cursor")).to_be_hidden()

    get_json(f"{emulator}/_emulator/faults", "POST", {"kind": "throttling", "model_id": HAIKU, "count": None})
    page.click("#send")
    expect(page.locator("#error")).to_contain_text("Error 429", timeout=15_000)
    expect(page.locator("#error")).to_contain_text("throttling")
    assert text_length(page) == 0


def test_model_text_is_shown_never_run(live_app_url: str, served: dict[str, Any], page: Any) -> None:
    """Markup in the prompt and in the answer (the emulator told to answer with it) comes back as visible text."""
    markup = "<img src=x onerror=\"window.__ran=1\"><b>bold</b>"
    echo = f"{served['emulator_url']}/_emulator/echo"
    get_json(echo, "POST", {"text": f"Here it is: {markup}", "model_id": HAIKU})
    try:
        open_demo(page, live_app_url, markup, 60)
        page.click("#send")
        expect(page.locator("#status")).to_have_text("Done.", timeout=20_000)
    finally:
        get_json(echo, "DELETE")
    expect(page.locator("#text")).to_have_text(f"Here it is: {markup}")
    assert page.locator("#answer img, #answer b").count() == 0 and page.evaluate("window.__ran") is None


def test_eventsource_reads_the_stream_and_does_not_run_it_twice(live_app_url: str, served: dict[str, Any],
                                                                page: Any) -> None:
    page.goto(f"{live_app_url}/api/demo")
    before = len(History(served["history"]).runs(session_id="api"))
    result = page.evaluate("""(model) => new Promise((resolve) => {
        const source = new EventSource("generate?" + new URLSearchParams({model_id: model, prompt: "Why stream?",
                                                                          max_tokens: "40"}));
        const seen = {text: "", ids: [], done: null, closedAfterDone: false};
        source.addEventListener("text", (e) => { seen.text += JSON.parse(e.data).text; seen.ids.push(e.lastEventId); });
        source.addEventListener("done", (e) => { seen.done = JSON.parse(e.data); });
        // Not closed on purpose: EventSource reconnects when a stream ends, and the server answers 204.
        source.addEventListener("error", () => {
            if (seen.done && source.readyState === EventSource.CLOSED) { seen.closedAfterDone = true; resolve(seen); }
        });
        setTimeout(() => resolve(seen), 15000);
    })""", HAIKU)
    assert result["text"].startswith("(Emulated") and result["ids"][:2] == ["1", "2"]
    assert result["done"]["metrics"]["output_tokens"] == 40 and result["closedAfterDone"]
    assert len(History(served["history"]).runs(session_id="api")) == before + 1  # the reconnect ran nothing


def test_connection_problems_show_on_the_status_line(live_app_url: str, served: dict[str, Any], page: Any) -> None:
    page.route("**/api/models", lambda route: route.abort("connectionrefused"))
    page.goto(f"{live_app_url}/api/demo")
    expect(page.locator("#status")).to_contain_text("Could not load the models")
    expect(page.locator("#status")).to_have_class("problem")
    page.unroute("**/api/models")
    open_demo(page, live_app_url, "Hello", 50)
    page.route("**/api/generate", lambda route: route.abort("connectionreset"))
    page.click("#send")
    expect(page.locator("#status")).to_contain_text("Connection problem")
    expect(page.locator("#status")).to_contain_text("Is the app still running?")
    expect(page.locator("#send")).to_be_enabled()
    expect(page.locator("#cursor")).to_be_hidden()
