"""The sidebar's serving knobs follow the model table: a service tier where the model has tiers besides the
default, latency-optimized inference where it has it, a prompt cache (with its time to live) where it caches
through the chosen API; a model that takes none shows none. What is chosen reaches the request."""

from __future__ import annotations

import json
from typing import Any

from streamlit.testing.v1 import AppTest

from core import catalog
from core.history import History
from tests.pages.conftest import chat_entry

from .conftest import first_run

SESSION = "sidebar-serving-session"
SERVING = ("Service tier", "Latency-optimized inference", "Prompt cache", "Cache time to live")


def _active(predicate: Any) -> catalog.Model:
    return next(m for m in catalog.listed_models()
                if m.lifecycle == "active" and m.family is not None and m.spec is not None and predicate(m))


def _invoke_caches(model: catalog.Model) -> bool:
    return bool(model.family and getattr(model.family.provider, "supports_cache", False))


EVERY_KNOB = _active(lambda m: m.tiers and m.latency_optimized and m.caching)
NO_KNOB = _active(lambda m: not m.tiers and not m.latency_optimized and not m.caching)
# Caches through Converse only (its InvokeModel body has no cache points), like every Nova model.
CONVERSE_CACHE_ONLY = _active(lambda m: m.caching and not _invoke_caches(m))
HOUR_CACHE = _active(lambda m: "1h" in m.cache_ttls and _invoke_caches(m))  # Claude 4.5 and later


def open_app(model: catalog.Model, **state: Any) -> AppTest:
    at = first_run(SESSION, lab_model_id=model.base_id, **state)
    assert not at.exception, at.exception
    assert at.sidebar.selectbox(key="lab_model_id").value == model.base_id
    return at


def serving_widgets(at: AppTest) -> dict[str, Any]:
    """The serving widgets the sidebar shows, by label."""
    widgets = [*at.sidebar.selectbox, *at.sidebar.toggle, *at.sidebar.button_group]
    return {w.label: w for w in widgets if w.label in SERVING}


def ask(at: AppTest) -> dict[str, Any]:
    """Ask the Chat page; the finished answer's record."""
    at.chat_input(key="chat_input").set_value("How do tides work?").run()
    assert not at.exception, at.exception
    entry = chat_entry(at)
    assert entry["status"] == "ok", entry["error"]
    record: dict[str, Any] = entry["record"]
    return record


def test_a_model_with_every_knob_offers_them_and_each_reaches_the_request(history: History) -> None:
    model = EVERY_KNOB
    at = open_app(model, lab_system="Be brief.", lab_service_tier="priority", lab_latency_optimized=True,
                  lab_cache=True)
    widgets = serving_widgets(at)
    assert set(widgets) == {"Service tier", "Latency-optimized inference", "Prompt cache",
                            *(["Cache time to live"] if len(model.cache_ttls) > 1 else [])}
    tier = widgets["Service tier"]
    assert tier.options == ["Default", *(f"{t.capitalize()} · {catalog.table().tier_prices[t]:g}× price"
                                         for t in model.tiers)]
    assert tier.value == "priority"
    assert any(c.value == "**Serving**" for c in at.sidebar.caption)
    record = ask(at)
    body = json.loads(record["request_json"])
    assert body["serviceTier"] == {"type": "priority"}
    assert body["performanceConfig"] == {"latency": "optimized"}
    assert body["system"][-1] == {"cachePoint": {"type": "default"}}  # after the system prompt ...
    assert body["messages"][-1]["content"][-1] == {"cachePoint": {"type": "default"}}  # ... and the conversation
    assert (record["service_tier"], record["latency"], record["cache_ttl"]) == ("priority", "optimized", "5m")
    metrics = next(c.value for c in at.chat_message[1].caption if "E2E" in c.value)
    assert "tier " in metrics and "priority" in metrics and "latency " in metrics  # asked, and what was served


def test_invoke_model_shows_the_tier_and_latency_headers_it_sent_beside_the_body(history: History) -> None:
    at = open_app(EVERY_KNOB, lab_api="invoke", lab_service_tier="priority", lab_latency_optimized=True)
    record = ask(at)
    assert not {"serviceTier", "performanceConfig"} & set(json.loads(record["request_json"]))  # not in the body
    view = at.chat_message[1].expander[-1]
    assert view.label == "View API request"
    headers, body = [c.value for c in view.code][:2]
    assert headers == "X-Amzn-Bedrock-Service-Tier: priority\nX-Amzn-Bedrock-PerformanceConfig-Latency: optimized"
    assert json.loads(body) == json.loads(record["request_json"])  # the body as sent, pretty-printed


def test_a_model_that_takes_no_serving_knob_shows_none_and_sends_none(history: History) -> None:
    at = open_app(NO_KNOB, lab_service_tier="priority", lab_latency_optimized=True, lab_cache=True)  # kept, unused
    assert serving_widgets(at) == {}
    assert not any(c.value == "**Serving**" for c in at.sidebar.caption)
    record = ask(at)
    assert not {"serviceTier", "performanceConfig"} & set(json.loads(record["request_json"]))
    assert "cachePoint" not in record["request_json"]
    assert (record["service_tier"], record["latency"], record["cache_ttl"]) == (None, None, None)


def test_left_at_their_defaults_the_knobs_send_nothing(history: History) -> None:
    at = open_app(EVERY_KNOB)
    widgets = serving_widgets(at)
    assert set(widgets) == {"Service tier", "Latency-optimized inference", "Prompt cache"}  # no TTL: cache is off
    assert widgets["Service tier"].value == "default"
    assert widgets["Latency-optimized inference"].value is False and widgets["Prompt cache"].value is False
    record = ask(at)
    assert not {"serviceTier", "performanceConfig"} & set(json.loads(record["request_json"]))
    assert "cachePoint" not in record["request_json"]
    assert (record["service_tier"], record["latency"], record["cache_ttl"]) == (None, None, None)


def test_a_one_hour_cache_reaches_converse_and_invoke_model_in_each_apis_own_words(history: History) -> None:
    model = HOUR_CACHE
    assert serving_widgets(open_app(model, lab_cache=True))["Cache time to live"].options == ["5 minutes", "1 hour"]
    record = ask(open_app(model, lab_system="Be brief.", lab_cache=True, lab_cache_ttl="1h"))
    body = json.loads(record["request_json"])
    assert body["system"][-1] == {"cachePoint": {"type": "default", "ttl": "1h"}} and record["cache_ttl"] == "1h"
    at = open_app(model, lab_api="invoke", lab_system="Be brief.", lab_cache=True, lab_cache_ttl="1h")
    assert "Prompt cache" in serving_widgets(at)  # Claude's InvokeModel body takes cache points
    body = json.loads(ask(at)["request_json"])
    assert body["system"][-1]["cache_control"] == {"type": "ephemeral", "ttl": "1h"}


def test_invoke_model_offers_no_cache_for_a_model_whose_body_has_no_cache_points(history: History) -> None:
    at = open_app(CONVERSE_CACHE_ONLY, lab_api="invoke", lab_cache=True)
    widgets = serving_widgets(at)
    assert "Prompt cache" not in widgets and "Service tier" in widgets  # the tier travels as a header there
    record = ask(at)
    assert record["cache_ttl"] is None and not record["notes"]  # nothing was asked that had to be dropped
    assert "Prompt cache" in serving_widgets(open_app(CONVERSE_CACHE_ONLY))  # through Converse it caches


def test_a_model_that_keeps_its_cache_for_one_ttl_says_so_instead_of_offering_a_choice(history: History) -> None:
    model = _active(lambda m: m.cache_ttls == ("5m",))
    at = open_app(model, lab_cache=True, lab_cache_ttl="1h")  # a 1-hour TTL kept from another model
    assert "Cache time to live" not in serving_widgets(at)
    assert f"{model.name} keeps its prompt cache for 5 minutes." in [c.value for c in at.sidebar.caption]
    assert ask(at)["cache_ttl"] == "5m"


def test_a_tier_kept_from_another_model_that_this_one_lacks_falls_back_to_the_default(history: History) -> None:
    model = EVERY_KNOB
    at = open_app(model, lab_service_tier="reserved")
    assert "reserved" not in model.tiers
    assert serving_widgets(at)["Service tier"].value == "default"
    assert "serviceTier" not in json.loads(ask(at)["request_json"])
