"""A page on another site can start no run through the app, by any route a browser offers it, while the
app's own pages and pages on this machine still can (Chromium, the app as `streamlit run` serves it).

"Another site" is a tiny page served on loopback under the name `evil.test`, which this test's Chromium
resolves to 127.0.0.1 (`--host-resolver-rules`): a real origin the API does not allow (every localhost and
127.0.0.1 origin is allowed, on any port). Its requests leave a real browser with the headers only a
browser sets (`Origin`, `Sec-Fetch-Site`); whether a model ran is read where it would show: the emulator's
request counter and the app's history.
"""

from __future__ import annotations

import http.server
import json
import shutil
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from core.history import History

from .. import models
from ..conftest import RELIABILITY
from .conftest import CHROMIUM_FLAGS

pytestmark = pytest.mark.browser

FOREIGN = "evil.test"
MODEL = models.FAST

# Every way a page can make a browser send a request to another origin without that origin's consent,
# aimed at both forms of generate. `target` is the app's root URL. Resolves to {route: what the page saw}.
ATTACKS = """async ({target, model}) => {
  const body = JSON.stringify({model_id: model, prompt: "Run me from another site", max_tokens: 20, stream: false});
  const post = target + "/api/generate";
  const get = target + "/api/generate?" + new URLSearchParams({model_id: model, prompt: "Run me", max_tokens: "20"});
  const seen = {};
  const attempt = (name, run) => run().then((what) => { seen[name] = String(what); },
                                            (problem) => { seen[name] = "failed: " + problem; });
  const element = (tag, attributes, ready) => new Promise((resolve) => {
    const node = document.createElement(tag);
    node.addEventListener("load", () => resolve("load"));
    node.addEventListener("error", () => resolve("error"));
    Object.assign(node, attributes);
    (ready || ((n) => document.body.append(n)))(node);
  });
  const form = (enctype, name, value) => {
    const frame = document.createElement("iframe");
    frame.name = "sink-" + enctype.replace(/\\W/g, "");
    document.body.append(frame);
    const sent = new Promise((resolve) => frame.addEventListener("load", () => resolve("load")));
    const node = document.createElement("form");
    Object.assign(node, {method: "POST", action: post, enctype, target: frame.name});
    const field = document.createElement("input");
    Object.assign(field, {type: "hidden", name, value});
    node.append(field);
    document.body.append(node);
    node.submit();
    return sent;
  };
  // A text/plain form writes name=value: this pair makes the body {"model_id": ..., "pad": "="}.
  const [formName, formValue] = [body.slice(0, -1) + ', "pad": "', '"}'];
  await Promise.all([
    attempt("POST fetch text/plain", () => fetch(post, {method: "POST", headers: {"Content-Type": "text/plain"}, body})
      .then((r) => r.status)),
    attempt("POST fetch no-cors", () => fetch(post, {method: "POST", mode: "no-cors", body}).then((r) => r.type)),
    attempt("POST fetch JSON", () => fetch(post, {method: "POST", headers: {"Content-Type": "application/json"}, body})
      .then((r) => r.status)),
    attempt("POST sendBeacon", async () => navigator.sendBeacon(post, body)),
    attempt("POST form text/plain", () => form("text/plain", formName, formValue)),
    attempt("POST form urlencoded", () => form("application/x-www-form-urlencoded", "body", body)),
    attempt("GET img", () => element("img", {src: get})),
    attempt("GET script", () => element("script", {src: get})),
    attempt("GET iframe", () => element("iframe", {src: get})),
    attempt("GET fetch no-cors", () => fetch(get, {mode: "no-cors"}).then((r) => r.type)),
    attempt("GET EventSource", () => new Promise((resolve) => {
      const source = new EventSource(get);
      source.addEventListener("done", () => { source.close(); resolve("done"); });
      source.addEventListener("error", () => { source.close(); resolve("error"); });
    })),
  ]);
  await new Promise((resolve) => setTimeout(resolve, 300));  // a beacon is sent after the page asks
  return seen;
}"""
# The same requests as the app's own pages and a page on localhost make them (fetch and EventSource).
CALLS = """async ({target, model}) => {
  const post = target + "/api/generate";
  const body = JSON.stringify({model_id: model, prompt: "Run me", max_tokens: 20, stream: false});
  const json = await fetch(post, {method: "POST", headers: {"Content-Type": "application/json"}, body});
  const plain = await fetch(post, {method: "POST", headers: {"Content-Type": "text/plain"}, body});
  const streamed = await new Promise((resolve) => {
    const source = new EventSource(post + "?" + new URLSearchParams({model_id: model, prompt: "Stream me",
                                                                     max_tokens: "20"}));
    let text = "";
    source.addEventListener("text", (e) => { text += JSON.parse(e.data).text; });
    source.addEventListener("done", () => { source.close(); resolve(text); });
    source.addEventListener("error", () => { source.close(); resolve("error"); });
  });
  return {json: json.status, text: (await json.json()).text, plain: plain.status, plainBody: await plain.json(),
          streamed};
}"""


@pytest.fixture(autouse=True)
def _counted(record_property: Any) -> None:
    record_property(RELIABILITY, ("cross-site requests", "browser"))


def call(url: str, method: str = "GET", payload: Any = None) -> tuple[int, Any]:
    data = json.dumps(payload).encode() if payload is not None else None
    headers = {"Content-Type": "application/json"} if data is not None else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data, method=method, headers=headers),
                                    timeout=10) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode(errors="replace")


class Counters:
    """Where a run would show: the emulator's request counter and the app's history."""

    def __init__(self, app_url: str) -> None:
        health = call(f"{app_url}/api/health")[1]
        self.emulator, self.history = health["emulator_url"], History(health["history"])

    def read(self) -> tuple[int, int]:
        return int(call(f"{self.emulator}/_emulator/health")[1]["requests"]), len(self.history.runs())


class _Blank(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        page = b"<!doctype html><html><head><title>Somewhere else</title></head><body><h1>Hi</h1></body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def site_port() -> Iterator[int]:
    """A second web server on loopback: a blank page, under whatever name the browser uses for it."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Blank)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def foreign_browser(browser: Any) -> Iterator[Any]:
    """Chromium in which evil.test resolves to 127.0.0.1, as another site's DNS name could."""
    launched = browser.browser_type.launch(executable_path=shutil.which("chromium"), args=[
        *CHROMIUM_FLAGS, f"--host-resolver-rules=MAP {FOREIGN} 127.0.0.1", "--disable-features=HttpsUpgrades"])
    yield launched
    launched.close()


@pytest.fixture()
def foreign_page(foreign_browser: Any) -> Iterator[Any]:
    context = foreign_browser.new_context()
    yield context.new_page()
    context.close()


class Wire:
    """What the browser sent to generate and the status each got, as Chromium's network log has it (a page,
    and Playwright's own events, see no status for a response that CORS or ORB keeps from the page)."""

    def __init__(self, page: Any) -> None:
        self.sent: dict[str, str] = {}  # request id -> "POST Fetch", "GET Image", ...
        self.status: dict[str, int] = {}
        session = page.context.new_cdp_session(page)
        session.on("Network.requestWillBeSent", self._sent)
        session.on("Network.responseReceivedExtraInfo", self._answered)
        session.send("Network.enable")

    def _answered(self, event: dict[str, Any]) -> None:
        self.status[event["requestId"]] = event["statusCode"]

    def _sent(self, event: dict[str, Any]) -> None:
        if "/api/generate" in event["request"]["url"]:
            self.sent[event["requestId"]] = f"{event['request']['method']} {event.get('type')}"

    def answers(self) -> dict[str, list[int | None]]:
        found: dict[str, list[int | None]] = {}
        for request_id, kind in self.sent.items():
            found.setdefault(kind, []).append(self.status.get(request_id))
        return {kind: sorted(statuses, key=lambda status: status or 0) for kind, statuses in found.items()}


def test_a_page_on_another_site_can_start_no_run(app_url: str, site_port: int, foreign_page: Any) -> None:
    counters = Counters(app_url)
    foreign_page.goto(f"http://{FOREIGN}:{site_port}/")
    expect(foreign_page).to_have_title("Somewhere else")
    wire = Wire(foreign_page)
    before = counters.read()
    seen = foreign_page.evaluate(ATTACKS, {"target": app_url, "model": MODEL})
    assert len(seen) == 11, seen
    time.sleep(0.5)  # at time scale 0 a run that had started would be in the history by now
    assert counters.read() == before, seen  # the emulator was asked nothing, and nothing was recorded
    # Every request reached the app (a browser cannot tell such a request from a harmless one), which refused
    # it; only the JSON fetch never left, as the app refused its preflight (OPTIONS).
    assert wire.answers() == {"POST Fetch": [None, 403, 403], "OPTIONS Other": [400], "POST Ping": [403],
                              "POST Document": [403, 403], "GET Image": [403], "GET Script": [403],
                              "GET Document": [403], "GET Fetch": [403], "GET EventSource": [403]}, seen
    assert seen["POST fetch JSON"].startswith("failed") and seen["GET EventSource"] == "error"


def test_the_apps_own_pages_and_local_pages_still_run(app_url: str, site_port: int, page: Any) -> None:
    counters = Counters(app_url)
    before_requests, before_runs = counters.read()
    page.goto(f"{app_url}/api/demo")  # the app's own origin
    own = page.evaluate(CALLS, {"target": app_url, "model": MODEL})
    page.goto(f"http://localhost:{site_port}/")  # a team's dev server on this machine
    local = page.evaluate(CALLS, {"target": app_url, "model": MODEL})
    for seen in (own, local):
        assert seen["json"] == 200 and seen["text"].startswith("(Emulated"), seen
        assert seen["streamed"].startswith("(Emulated"), seen
        assert seen["plain"] == 415 and seen["plainBody"]["field"] == "Content-Type", seen  # read, and said why
        assert "Content-Type: application/json" in seen["plainBody"]["error"]
    requests, runs = counters.read()
    assert (requests - before_requests, runs - before_runs) == (4, 4)  # two runs each: JSON and EventSource


def test_another_sites_name_for_this_machine_runs_nothing(app_url: str, foreign_page: Any) -> None:
    """DNS rebinding: the app's own demo page, reached as evil.test (a name pointed at 127.0.0.1), is refused."""
    counters = Counters(app_url)
    before = counters.read()
    port = urlsplit(app_url).port
    foreign_page.goto(f"http://{FOREIGN}:{port}/api/demo")
    expect(foreign_page.locator(f"#model option[value='{MODEL}']")).to_be_attached(timeout=20_000)
    foreign_page.select_option("#model", MODEL)
    foreign_page.fill("#prompt", "Run me")
    foreign_page.click("#send")
    expect(foreign_page.locator("#error")).to_contain_text("Error 403.", timeout=10_000)
    expect(foreign_page.locator("#error")).to_contain_text(f"served as {FOREIGN}:{port}, a name the app does not know")
    expect(foreign_page.locator("#error")).to_contain_text(f"BEDROCK_LAB_API_ORIGINS=http://{FOREIGN}:{port}")
    assert counters.read() == before


def test_the_emulators_controls_are_not_reachable_through_the_apps_port(app_url: str) -> None:
    """The embedded emulator listens on a loopback port of its own; the app's port serves no part of it."""
    counters = Counters(app_url)
    before = call(f"{counters.emulator}/_emulator/faults")[1]
    fault = {"kind": "throttling", "count": None}
    for path in ("/_emulator/faults", "/api/_emulator/faults", "/api/../_emulator/faults"):
        status, _ = call(f"{app_url}{path}", "POST", fault)
        assert status >= 400, path
        assert call(f"{app_url}{path}", "DELETE")[0] >= 400, path
        status, body = call(f"{app_url}{path}")  # Streamlit answers unknown pages with its own HTML
        assert status >= 400 or (isinstance(body, str) and "<html" in body.lower()), (path, status, body)
    assert call(f"{counters.emulator}/_emulator/faults")[1] == before
    assert urlsplit(counters.emulator).port != urlsplit(app_url).port
