"""The API's other endpoints: the model list, health, the OpenAPI description and the demo page's files."""

from __future__ import annotations

from typing import Any

from core import catalog
from core.catalog import PRICE_TABLE_DATE

from ..models import CHAT, CLAUDE, FAST, LEGACY, NO_SAMPLING, NOT_STREAMING, ONE_SAMPLING, REASONING_TAG, RETIRED
from .conftest import Served, post


def test_models_lists_provider_streaming_support_and_price(api: Served) -> None:
    reply = post(api, None, method="GET", path="/models")
    assert reply.status == 200 and reply.body["backend"] == "emulator"
    assert reply.body["price_table_date"] == PRICE_TABLE_DATE
    models = {m["foundation_model_id"]: m for m in reply.body["models"]}
    assert len(models) >= 30 and {m["provider"] for m in models.values()} >= {
        "Anthropic", "Amazon", "Meta", "Mistral AI", "Cohere", "OpenAI", "DeepSeek"}
    nova = models[catalog.base_model_id(FAST)]
    prices = catalog.resolve(FAST).prices_per_1m_usd
    assert prices is not None
    assert nova["streaming"] is True and nova["model_id"] == FAST and not nova["needs_inference_profile"]
    assert nova["price"] == {"input_per_1m_usd": prices[0], "output_per_1m_usd": prices[1],
                             "as_of": PRICE_TABLE_DATE, "estimate": True}
    assert models[NOT_STREAMING]["streaming"] is False
    claude = models[CHAT.base_id]  # profile only: listed with the id to call it by
    assert claude["needs_inference_profile"] and claude["model_id"] == CLAUDE
    for model in models.values():
        assert {"lifecycle", "sampling", "reasoning", "efforts", "default", "price", "end_of_life"} <= set(model)
        assert set(model["price"]) == {"input_per_1m_usd", "output_per_1m_usd", "as_of", "estimate"}
        known = catalog.resolve(model["foundation_model_id"])
        assert model["sampling"] == known.sampling and model["efforts"] == list(known.efforts)


def test_models_says_lifecycle_rules_and_the_one_default(api: Served) -> None:
    models = {m["foundation_model_id"]: m for m in post(api, None, method="GET", path="/models").body["models"]}
    defaults = [m for m in models.values() if m["default"] is True]
    assert len(defaults) == 1 and all(m["default"] is False for m in models.values() if m not in defaults)
    assert defaults[0]["foundation_model_id"] == catalog.default_model_id("api")
    assert defaults[0]["lifecycle"] == "active"
    assert {m["lifecycle"] for m in models.values()} <= {"active", "legacy"}  # retired models are not listed
    assert RETIRED.base_id not in models and all(catalog.resolve(m).lifecycle != "end-of-life" for m in models)
    legacy = models[LEGACY.base_id]
    assert legacy["lifecycle"] == "legacy" and legacy["end_of_life"] == (LEGACY.spec.eol_date if LEGACY.spec else None)
    assert models[NO_SAMPLING.base_id]["sampling"] == "none"
    assert models[ONE_SAMPLING.base_id]["sampling"] == "one"
    tagged = models[REASONING_TAG.base_id]
    assert tagged["reasoning"] == "effort" and tagged["efforts"] == list(REASONING_TAG.efforts) and tagged["efforts"]
    unpriced = [m for m in models.values() if catalog.resolve(m["foundation_model_id"]).prices_per_1m_usd is None]
    assert all(m["price"]["input_per_1m_usd"] is None and m["price"]["output_per_1m_usd"] is None for m in unpriced)


def test_every_listed_model_id_can_be_sent_as_is(api: Served) -> None:
    for model in post(api, None, method="GET", path="/models").body["models"][::6]:
        reply = post(api, {"model_id": model["model_id"], "prompt": "Hello", "max_tokens": 20, "stream": False})
        assert reply.status == 200, (model["model_id"], reply.body)


def test_health_says_which_backend_the_api_runs_on(api: Served) -> None:
    body = post(api, None, method="GET", path="/health").body
    assert body["status"] == "ok" and body["backend"] == "emulator"
    assert body["emulator_url"].startswith("http://127.0.0.1:") and body["history"].endswith("history.sqlite")


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "$ref"] + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_openapi_describes_every_endpoint_and_its_references_resolve(api: Served) -> None:
    schema = post(api, None, method="GET", path="/openapi.json").body
    assert schema["openapi"].startswith("3.1") and schema["servers"] == [{"url": api.url}]
    assert set(schema["paths"]) == {"/generate", "/models", "/health", "/openapi.json", "/demo"}
    generate = schema["paths"]["/generate"]
    assert set(generate) == {"post", "get"}
    assert set(generate["post"]["responses"]) == {"200", "204", "400", "403", "415", "429", "502", "503", "504"}
    assert set(generate["get"]["responses"]) == set(generate["post"]["responses"]) - {"415"}
    for operation in generate.values():  # who may run a model, and how to allow another origin
        assert "BEDROCK_LAB_API_ORIGINS" in operation["description"] and "403" in operation["description"]
    fields = generate["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"]
    assert set(fields) >= {"prompt", "messages", "model_id", "system", "temperature", "max_tokens", "stream", "api",
                           "effort"}
    for ref in _refs(schema):
        node: Any = schema
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]
        assert isinstance(node, dict)


def test_the_demo_page_and_its_script_are_served_with_a_strict_policy(api: Served) -> None:
    page = post(api, None, method="GET", path="/demo")
    assert page.status == 200 and page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert '<script src="demo.js"' in page.body
    script = post(api, None, method="GET", path="/demo.js")
    assert script.status == 200 and "innerHTML" not in script.body and "textContent" in script.body


def test_the_api_runs_on_the_process_backend_and_region(monkeypatch: Any) -> None:
    from core.api import ApiSettings

    monkeypatch.setenv("BEDROCK_BACKEND", "aws")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    assert ApiSettings.from_environment() == ApiSettings(backend="aws", region="eu-west-1")
    monkeypatch.setenv("BEDROCK_BACKEND", "emulator")
    assert ApiSettings.from_environment() == ApiSettings(backend="emulator", region=None)
