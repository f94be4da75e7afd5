"""The control endpoints refuse what a web page the user visits could send them: a "simple" cross-site POST
(text/plain or a form, no preflight) gets a 415, and a request with a foreign Origin or `Sec-Fetch-Site:
cross-site` a 403; in both cases nothing changes. Each request below carries the headers a browser sends."""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import urlsplit

import pytest

FAULT = json.dumps({"kind": "throttling", "count": None}).encode()


def send(url: str, method: str, path: str, body: bytes | None = None, **headers: str) -> tuple[int, Any]:
    """One request with exactly these headers (underscores in names become dashes); the status and JSON body."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        connection.request(method, path, body=body, headers={k.replace("_", "-"): v for k, v in headers.items()})
        response = connection.getresponse()
        assert response.getheader("content-type") == "application/json"
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def faults_now(control: Any) -> list[dict[str, Any]]:
    return list(control.request("GET", "/_emulator/faults")[1]["faults"])


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", None])
def test_a_post_that_is_not_json_is_refused_with_415(emulator: Any, control: Any, content_type: str | None) -> None:
    headers = {"Content_Type": content_type} if content_type else {}
    status, body = send(emulator.url, "POST", "/_emulator/faults", FAULT, **headers)
    assert status == 415 and "Content-Type: application/json" in body["message"]
    assert faults_now(control) == []


def test_a_json_post_without_an_origin_is_served(emulator: Any, control: Any) -> None:
    """What the test fixtures, curl with its -H and scripts send."""
    status, body = send(emulator.url, "POST", "/_emulator/faults", FAULT,
                        Content_Type="application/json; charset=utf-8")
    assert status == 201 and body["fault"]["kind"] == "throttling"


@pytest.mark.parametrize("method", ["POST", "GET", "DELETE"])
@pytest.mark.parametrize("headers", [
    {"Origin": "https://attacker.example"},
    {"Origin": "null"},  # a sandboxed frame or a file:// page
    {"Origin": "http://127.0.0.1:1"},  # another local app (another port is another origin)
    {"Sec_Fetch_Site": "cross-site"},
], ids=["foreign-origin", "null-origin", "other-local-port", "sec-fetch-cross-site"])
def test_a_cross_site_request_is_refused_with_403(emulator: Any, control: Any, method: str,
                                                  headers: dict[str, str]) -> None:
    control.fault("stall", count=None)
    status, body = send(emulator.url, method, "/_emulator/faults", FAULT if method == "POST" else None,
                        Content_Type="application/json", **headers)
    assert status == 403 and body["message"].startswith("Cross-site request refused")
    assert [f["kind"] for f in faults_now(control)] == ["stall"]  # neither added to nor cleared


def test_the_emulators_own_origin_is_served(emulator: Any, control: Any) -> None:
    """A page the emulator itself served (its URL opened in a browser, a fetch from the console)."""
    status, _ = send(emulator.url, "POST", "/_emulator/faults", FAULT, Content_Type="application/json",
                     Origin=emulator.url, Sec_Fetch_Site="same-origin")
    assert status == 201


def test_a_page_that_rebinds_its_domain_to_loopback_is_refused(emulator: Any, control: Any) -> None:
    """DNS rebinding: the page's own name now points at 127.0.0.1, so its Origin equals the Host it sends."""
    port = urlsplit(emulator.url).port
    status, _ = send(emulator.url, "POST", "/_emulator/faults", FAULT, Content_Type="application/json",
                     Host=f"attacker.example:{port}", Origin=f"http://attacker.example:{port}")
    assert status == 403 and faults_now(control) == []

