"""The API's other endpoints: the model list, health, the OpenAPI description and the demo page's files."""

from __future__ import annotations

from typing import Any

from core.catalog import PRICE_TABLE_DATE

from .conftest import Served, post


def test_models_lists_provider_streaming_support_and_price(api: Served) -> None:
    reply = post(api, None, method="GET", path="/models")
    assert reply.status == 200 and reply.body["backend"] == "emulator"
    models = {m["foundation_model_id"]: m for m in reply.body["models"]}
    assert len(models) >= 40 and {m["provider"] for m in models.values()} >= {
        "Anthropic", "Amazon", "Meta", "Mistral AI", "Cohere", "AI21 Labs"}
    haiku = models["anthropic.claude-3-haiku-20240307-v1:0"]
    assert haiku["streaming"] is True and haiku["model_id"] == "anthropic.claude-3-haiku-20240307-v1:0"
    assert haiku["price"] == {"input_per_1k_usd": 0.00025, "output_per_1k_usd": 0.00125,
                              "as_of": PRICE_TABLE_DATE, "estimate": True}
    assert models["ai21.j2-mid-v1"]["streaming"] is False
    sonnet = models["anthropic.claude-sonnet-4-20250514-v1:0"]
    assert sonnet["needs_inference_profile"] and sonnet["model_id"] == "us.anthropic.claude-sonnet-4-20250514-v1:0"


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
    assert set(generate["post"]["responses"]) == {"200", "204", "400", "403", "429", "502", "503", "504"}
    fields = generate["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"]
    assert set(fields) >= {"prompt", "messages", "model_id", "system", "temperature", "max_tokens", "stream", "api"}
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
