"""The API's own address leads somewhere real, and its runs end with their figures in the app's words and format.

The routes are served as `streamlit run` serves them (`api_routes`), by uvicorn on a free loopback port.
"""

from __future__ import annotations

import http.client
import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
from starlette.applications import Starlette

from core import format as fmt
from core.api import ApiSettings, api_routes

from .. import models
from ..api.conftest import serve_app


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    with serve_app(Starlette(routes=api_routes(ApiSettings(backend="emulator")))) as served:
        yield served


def fetch(port: int, path: str, body: dict[str, object] | None = None) -> tuple[int, dict[str, str], str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("POST" if body else "GET", path, body=json.dumps(body) if body else None,
                           headers={"Content-Type": "application/json"} if body else {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read().decode()
    finally:
        connection.close()


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.hrefs += [value for name, value in attrs if tag == "a" and name == "href" and value]


def test_the_api_address_leads_to_an_index_whose_links_all_work(port: int) -> None:
    status, headers, _ = fetch(port, "/api")
    assert status == 307 and headers["location"] == "/api/"
    status, headers, page = fetch(port, "/api/")
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert "script-src" not in headers["content-security-policy"]  # a page of links runs nothing
    for endpoint in ("/api/demo", "/api/generate", "/api/models", "/api/health", "/api/openapi.json"):
        assert f"<code>{endpoint}" in page
    parser = Links()
    parser.feed(page)
    assert set(parser.hrefs) >= {"demo", "models", "health", "openapi.json"}
    for href in parser.hrefs:
        if href != "..":  # the app itself, not served here
            assert fetch(port, f"/api/{href}")[0] == 200, href


def test_a_streamed_run_ends_with_its_figures_named_and_formatted_as_the_app_shows_them(port: int) -> None:
    status, _, stream = fetch(port, "/api/generate", {"model_id": models.FAST, "prompt": "Write 1500 tokens on queues.",
                                                      "max_tokens": 1500, "stream": True})
    assert status == 200
    done = next(json.loads(line.removeprefix("data: ")) for block in stream.split("\n\n") if "event: done" in block
                for line in block.splitlines() if line.startswith("data: "))
    shown = {figure["key"]: figure for figure in done["shown"]}
    assert list(shown) == ["ttft", "e2e", "decode_rate", "output_tokens", "cost"]  # in this order; none unknown
    for key, figure in shown.items():
        assert (figure["name"], figure["short"], figure["help"]) == (
            fmt.METRICS[key].name, fmt.METRICS[key].short, fmt.METRICS[key].help)
    assert shown["output_tokens"]["value"] == "1,500 (reported)"  # thousands separated, and where it came from
    assert re.fullmatch(r"[\d,]+ ms", shown["ttft"]["value"])
    assert re.fullmatch(r"[\d,.]+ tok/s", shown["decode_rate"]["value"])
    assert re.fullmatch(r"\$0\.\d+ \(prices of \d{4}-\d{2}-\d{2}\)", shown["cost"]["value"])
