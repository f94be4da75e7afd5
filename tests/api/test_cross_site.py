"""The API's door over real HTTP: what another web site could make a visitor's browser send runs nothing.

A browser says where a request comes from (`Origin`, `Sec-Fetch-Site`) and a page cannot forge either, so
the headers a browser would send are written by hand here; `tests/browser/test_cross_site.py` has Chromium
send them. Every refusal is checked to have reached neither the emulator nor the history.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.api import ApiSettings
from core.api.app import ORIGINS_ENV
from core.history import History

from ..conftest import RELIABILITY, Control
from ..models import FAST
from .conftest import Served, post, serve_api

ASK = {"model_id": FAST, "prompt": "Run me", "max_tokens": 20, "stream": False}
QUERY = f"/generate?model_id={FAST}&prompt=Run+me&max_tokens=20"
EVIL = "https://evil.example"


@pytest.fixture(autouse=True)
def _counted(record_property: Any) -> None:
    record_property(RELIABILITY, ("cross-site requests", "HTTP API"))


def requests_seen(upstream: Control) -> int:
    return int(upstream.request("GET", "/_emulator/health")[1]["requests"])


def nothing_ran(api: Served, upstream: Control, payload: Any, **request: Any) -> Any:
    """Send (as `post` does), and check that the request reached neither the emulator nor the history."""
    seen, runs = requests_seen(upstream), len(api.history.runs())
    reply = post(api, payload, **request)
    assert requests_seen(upstream) == seen and len(api.history.runs()) == runs, reply.body
    return reply


CROSS_SITE = [
    ("fetch from another site", "POST", {"Origin": EVIL, "Sec-Fetch-Site": "cross-site"}, "Origin", EVIL),
    ("a form on another site", "POST", {"Origin": "http://evil.test:8501", "Sec-Fetch-Site": "cross-site",
                                        "Sec-Fetch-Mode": "navigate"}, "Origin", "another site"),
    ("an old browser (Origin only)", "POST", {"Origin": EVIL}, "Origin", EVIL),
    ("a sandboxed frame (Origin null)", "POST", {"Origin": "null", "Sec-Fetch-Site": "cross-site"},
     "Sec-Fetch-Site", "Sec-Fetch-Site is cross-site"),
    ("Origin null, no Sec-Fetch-Site", "POST", {"Origin": "null"}, "Origin", "Origin is null"),
    ("a look-alike of localhost", "POST", {"Origin": "http://localhost.evil.example"}, "Origin", "another site"),
    ("EventSource on another site", "GET", {"Origin": EVIL, "Sec-Fetch-Site": "cross-site"}, "Origin", EVIL),
    ("an <img> on another site", "GET", {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Dest": "image"},
     "Sec-Fetch-Site", "a link, an image, a form"),
    ("a link from a sibling site", "GET", {"Sec-Fetch-Site": "same-site", "Sec-Fetch-Dest": "document"},
     "Sec-Fetch-Site", "Sec-Fetch-Site is same-site"),
    ("HEAD from another site", "HEAD", {"Sec-Fetch-Site": "cross-site"}, None, None),
]


@pytest.mark.parametrize(("method", "headers", "field", "words"), [case[1:] for case in CROSS_SITE],
                         ids=[case[0] for case in CROSS_SITE])
def test_a_request_from_another_site_is_refused_and_runs_nothing(api: Served, upstream: Control, method: str,
                                                                 headers: dict[str, str], field: str | None,
                                                                 words: str | None) -> None:
    path = "/generate" if method == "POST" else QUERY
    reply = nothing_ran(api, upstream, ASK if method == "POST" else None, method=method, path=path, headers=headers)
    assert reply.status == 403 and "access-control-allow-origin" not in reply.headers
    if method == "HEAD":
        return  # no body to read
    assert reply.body["code"] == "CrossSiteRequest" and reply.body["field"] == field, reply.body
    assert reply.body["error"].startswith("Refused, and nothing was run:") and words in reply.body["error"]
    origin = headers.get("Origin", "null")  # how to allow it, naming the origin refused when there is one
    allow = f"{ORIGINS_ENV}={origin}" if origin != "null" else f"{ORIGINS_ENV}=https://lab.example.com"
    assert allow in reply.body["error"], reply.body["error"]


def test_a_text_plain_body_from_another_site_is_refused_as_cross_site(api: Served, upstream: Control) -> None:
    """The classic: a "simple" request, sent by any page with no preflight, which the old API ran as JSON."""
    reply = nothing_ran(api, upstream, ASK, content_type="text/plain",
                        headers={"Origin": EVIL, "Sec-Fetch-Site": "cross-site"})
    assert reply.status == 403 and reply.body["code"] == "CrossSiteRequest"


NOT_JSON = ["text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x", None, "application/json; charset=latin-1", "application/jsonp"]


@pytest.mark.parametrize("content_type", NOT_JSON, ids=[str(t) for t in NOT_JSON])
def test_a_post_that_is_not_json_is_refused_415_and_runs_nothing(api: Served, upstream: Control,
                                                                 content_type: str | None) -> None:
    reply = nothing_ran(api, upstream, ASK, content_type=content_type)
    assert reply.status == 415 and reply.body["code"] == "UnsupportedMediaType", reply.body
    assert reply.body["field"] == "Content-Type"
    assert "with the header Content-Type: application/json" in reply.body["error"]
    assert (f"said Content-Type: {content_type}" if content_type else "said no Content-Type") in reply.body["error"]


ALLOWED = [
    ("curl (no browser headers)", "POST", {}),
    ("JSON with a charset", "POST", {"Content-Type": "application/json; charset=UTF-8"}),
    ("a dev server on localhost", "POST", {"Origin": "http://localhost:3000", "Sec-Fetch-Site": "same-site"}),
    ("a dev server on [::1]", "POST", {"Origin": "http://[::1]:5173", "Sec-Fetch-Site": "cross-site"}),
    ("the app's own page", "POST", {"Origin": "http://127.0.0.1:{port}", "Sec-Fetch-Site": "same-origin"}),
    ("EventSource on the app's own page", "GET", {"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors"}),
    ("EventSource on localhost", "GET", {"Origin": "http://localhost:8080", "Sec-Fetch-Site": "cross-site"}),
    ("an address typed by the user", "GET", {"Sec-Fetch-Site": "none", "Sec-Fetch-Dest": "document"}),
    ("the app on a LAN address", "POST", {"Host": "192.168.1.20:8501", "Origin": "http://192.168.1.20:8501",
                                          "Sec-Fetch-Site": "same-origin"}),
]


@pytest.mark.parametrize(("method", "headers"), [case[1:] for case in ALLOWED], ids=[case[0] for case in ALLOWED])
def test_the_apps_pages_local_pages_and_non_browsers_still_run(api: Served, upstream: Control, method: str,
                                                               headers: dict[str, str]) -> None:
    sent = {name: value.format(port=api.port) for name, value in headers.items()}
    seen = requests_seen(upstream)
    reply = post(api, ASK if method == "POST" else None, method=method, path="/generate" if method == "POST" else QUERY,
                 headers=sent)
    assert reply.status == 200 and requests_seen(upstream) == seen + 1, reply.body
    assert reply.body["text"] if method == "POST" else reply.events[-1].name == "done"
    if "Origin" in sent and "localhost" in sent["Origin"]:  # and its page may read the answer
        assert reply.headers["access-control-allow-origin"] == sent["Origin"]


def test_another_sites_name_for_this_machine_is_refused(api: Served, upstream: Control) -> None:
    """DNS rebinding: a site points its own name at 127.0.0.1, so its page and the app look "same-origin"."""
    rebound = {"Host": f"evil.test:{api.port}", "Origin": f"http://evil.test:{api.port}",
               "Sec-Fetch-Site": "same-origin"}
    for method, headers in (("POST", rebound), ("GET", {**rebound, "Origin": ""})):
        sent = {k: v for k, v in headers.items() if v}
        reply = nothing_ran(api, upstream, ASK if method == "POST" else None, method=method,
                            path="/generate" if method == "POST" else QUERY, headers=sent)
        assert reply.status == 403 and reply.body["code"] == "CrossSiteRequest", reply.body
        assert f"served as evil.test:{api.port}, a name the app does not know" in reply.body["error"]
        assert f"{ORIGINS_ENV}=http://evil.test:{api.port}" in reply.body["error"]


def test_reading_routes_are_open_but_their_answers_stay_hidden_from_other_sites(api: Served) -> None:
    """The model list and health change nothing and cost nothing; CORS keeps them from a foreign page."""
    for path in ("/models", "/health", "/openapi.json"):
        reply = post(api, None, method="GET", path=path, headers={"Origin": EVIL, "Sec-Fetch-Site": "cross-site"})
        assert reply.status == 200 and "access-control-allow-origin" not in reply.headers


@pytest.fixture()
def listed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Served]:
    """An API started with two extra origins in the environment (and two entries that are no origin)."""
    monkeypatch.setenv(ORIGINS_ENV, " https://Lab.Example.com/ , http://box:3000,lab.example.com,ftp://x, ")
    settings = ApiSettings.from_environment()
    assert settings.allowed_origins == ("https://lab.example.com", "http://box:3000")
    with serve_api(History(tmp_path / "history.sqlite"), settings) as served:
        yield served


def test_an_origin_listed_in_the_environment_may_run_models(listed: Served, upstream: Control) -> None:
    preflight = {"Origin": "https://lab.example.com", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type"}
    allowed = post(listed, None, method="OPTIONS", headers=preflight)
    assert allowed.status == 200 and allowed.headers["access-control-allow-origin"] == "https://lab.example.com"
    for origin in ("https://lab.example.com", "https://lab.example.com:443", "http://box:3000"):
        reply = post(listed, ASK, headers={"Origin": origin, "Sec-Fetch-Site": "cross-site"})
        assert reply.status == 200 and reply.body["text"], (origin, reply.body)
    # The app itself served under a listed name: its own pages run.
    own = post(listed, ASK, headers={"Host": "box:3000", "Origin": "http://box:3000", "Sec-Fetch-Site": "same-origin"})
    assert own.status == 200, own.body
    for origin in ("https://other.example.com", "http://lab.example.com", "http://box:3001"):
        refused = nothing_ran(listed, upstream, ASK, headers={"Origin": origin})
        assert refused.status == 403 and refused.body["code"] == "CrossSiteRequest", origin
