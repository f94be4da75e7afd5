"""The client-side model catalog: limits and on-demand prices, joined with what the backend lists.

Prices are public on-demand list prices in US dollars per 1,000 tokens (us-east-1) as of
`PRICE_TABLE_DATE`; every cost computed from them is an estimate and says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

PRICE_TABLE_DATE = "2025-06-01"


@dataclass(frozen=True)
class CatalogEntry:
    model_id: str  # base model id
    context_tokens: int
    max_output_tokens: int
    input_per_1k_usd: float
    output_per_1k_usd: float


def _e(model_id: str, context: int, max_out: int, price_in: float, price_out: float) -> CatalogEntry:
    return CatalogEntry(model_id, context, max_out, price_in, price_out)


CATALOG: dict[str, CatalogEntry] = {e.model_id: e for e in (
    _e("anthropic.claude-3-haiku-20240307-v1:0", 200_000, 4096, 0.00025, 0.00125),
    _e("anthropic.claude-3-sonnet-20240229-v1:0", 200_000, 4096, 0.003, 0.015),
    _e("anthropic.claude-3-opus-20240229-v1:0", 200_000, 4096, 0.015, 0.075),
    _e("anthropic.claude-3-5-haiku-20241022-v1:0", 200_000, 8192, 0.0008, 0.004),
    _e("anthropic.claude-3-5-sonnet-20240620-v1:0", 200_000, 4096, 0.003, 0.015),
    _e("anthropic.claude-3-5-sonnet-20241022-v2:0", 200_000, 8192, 0.003, 0.015),
    _e("anthropic.claude-3-7-sonnet-20250219-v1:0", 200_000, 64_000, 0.003, 0.015),
    _e("anthropic.claude-sonnet-4-20250514-v1:0", 200_000, 64_000, 0.003, 0.015),
    _e("anthropic.claude-opus-4-20250514-v1:0", 200_000, 32_000, 0.015, 0.075),
    _e("anthropic.claude-v2", 100_000, 4096, 0.008, 0.024),
    _e("anthropic.claude-v2:1", 200_000, 4096, 0.008, 0.024),
    _e("anthropic.claude-instant-v1", 100_000, 4096, 0.0008, 0.0024),
    _e("amazon.titan-text-express-v1", 8192, 8192, 0.0002, 0.0006),
    _e("amazon.titan-text-lite-v1", 4096, 4096, 0.00015, 0.0002),
    _e("amazon.titan-text-premier-v1:0", 32_000, 3072, 0.0005, 0.0015),
    _e("amazon.nova-micro-v1:0", 128_000, 10_000, 0.000035, 0.00014),
    _e("amazon.nova-lite-v1:0", 300_000, 10_000, 0.00006, 0.00024),
    _e("amazon.nova-pro-v1:0", 300_000, 10_000, 0.0008, 0.0032),
    _e("amazon.nova-premier-v1:0", 1_000_000, 32_000, 0.0025, 0.0125),
    _e("meta.llama2-13b-chat-v1", 4096, 2048, 0.00075, 0.001),
    _e("meta.llama2-70b-chat-v1", 4096, 2048, 0.00195, 0.00256),
    _e("meta.llama3-8b-instruct-v1:0", 8192, 2048, 0.0003, 0.0006),
    _e("meta.llama3-70b-instruct-v1:0", 8192, 2048, 0.00265, 0.0035),
    _e("meta.llama3-1-8b-instruct-v1:0", 128_000, 2048, 0.00022, 0.00022),
    _e("meta.llama3-1-70b-instruct-v1:0", 128_000, 2048, 0.00072, 0.00072),
    _e("meta.llama3-1-405b-instruct-v1:0", 128_000, 4096, 0.0024, 0.0024),
    _e("meta.llama3-2-1b-instruct-v1:0", 128_000, 2048, 0.0001, 0.0001),
    _e("meta.llama3-2-3b-instruct-v1:0", 128_000, 2048, 0.00015, 0.00015),
    _e("meta.llama3-3-70b-instruct-v1:0", 128_000, 2048, 0.00072, 0.00072),
    _e("meta.llama4-scout-17b-instruct-v1:0", 3_500_000, 8192, 0.00017, 0.00066),
    _e("meta.llama4-maverick-17b-instruct-v1:0", 1_000_000, 8192, 0.00024, 0.00097),
    _e("mistral.mistral-7b-instruct-v0:2", 32_000, 8192, 0.00015, 0.0002),
    _e("mistral.mixtral-8x7b-instruct-v0:1", 32_000, 4096, 0.00045, 0.0007),
    _e("mistral.mistral-large-2402-v1:0", 32_000, 8192, 0.004, 0.012),
    _e("mistral.mistral-small-2402-v1:0", 32_000, 8192, 0.001, 0.003),
    _e("mistral.mistral-large-2407-v1:0", 128_000, 8192, 0.002, 0.006),
    _e("cohere.command-r-v1:0", 128_000, 4000, 0.0005, 0.0015),
    _e("cohere.command-r-plus-v1:0", 128_000, 4000, 0.003, 0.015),
    _e("cohere.command-text-v14", 4000, 4000, 0.0015, 0.002),
    _e("cohere.command-light-text-v14", 4000, 4000, 0.0003, 0.0006),
    _e("ai21.jamba-1-5-mini-v1:0", 256_000, 4096, 0.0002, 0.0004),
    _e("ai21.jamba-1-5-large-v1:0", 256_000, 4096, 0.002, 0.008),
    _e("ai21.jamba-instruct-v1:0", 256_000, 4096, 0.0005, 0.0007),
    _e("ai21.j2-mid-v1", 8191, 8191, 0.0125, 0.0125),
    _e("ai21.j2-ultra-v1", 8191, 8191, 0.0188, 0.0188),
)}


# Typical output tokens per second on Bedrock (public figures, see shared/bedrock-wire.md; class
# defaults where none is published). Used to tell the user when a stream is slower than usual.
TYPICAL_TOKENS_PER_S = {
    "anthropic.claude-3-haiku": 110, "anthropic.claude-3-5-haiku": 60, "anthropic.claude-3-sonnet": 60,
    "anthropic.claude-3-5-sonnet": 53, "anthropic.claude-3-7-sonnet": 60, "anthropic.claude-sonnet-4": 60,
    "anthropic.claude-3-opus": 28, "anthropic.claude-opus-4": 32, "anthropic.claude-v2": 40,
    "anthropic.claude-instant": 100, "amazon.titan-text": 150, "amazon.nova-micro": 400, "amazon.nova-lite": 200,
    "amazon.nova-pro": 110, "amazon.nova-premier": 60, "meta.llama3-1-405b": 30, "meta.llama4": 200,
    "meta.llama": 120, "mistral.mistral-large": 45, "mistral.": 120, "cohere.command-r-plus": 55,
    "cohere.": 80, "ai21.jamba-1-5-large": 60, "ai21.": 100,
}


def typical_tokens_per_s(model_id: str) -> float | None:
    """The usual decode rate of a model (longest matching prefix), or None when unknown."""
    from .providers import base_model_id

    base = base_model_id(model_id)
    matches = [prefix for prefix in TYPICAL_TOKENS_PER_S if base.startswith(prefix)]
    return float(TYPICAL_TOKENS_PER_S[max(matches, key=len)]) if matches else None


def invocation_id(model: ModelInfo, region: str | None) -> str:
    """The id to call a listed model with: profile-only models need their geography's inference profile."""
    if not model.needs_inference_profile:
        return model.model_id
    geography = (region or "us-east-1").split("-", 1)[0]
    prefix = {"eu": "eu", "ap": "apac", "us": "us"}.get(geography, "us")
    return f"{prefix}.{model.model_id}"


def entry_for(model_id: str) -> CatalogEntry | None:
    """The catalog entry for any reference to a model (id, inference profile, ARN)."""
    from .providers import base_model_id

    return CATALOG.get(base_model_id(model_id))


def cost_usd(model_id: str, input_tokens: int | None, output_tokens: int | None) -> float | None:
    """Estimated on-demand cost of one request; None when the price or a token count is unknown."""
    entry = entry_for(model_id)
    if entry is None or input_tokens is None or output_tokens is None:
        return None
    return (input_tokens * entry.input_per_1k_usd + output_tokens * entry.output_per_1k_usd) / 1000


@dataclass(frozen=True)
class ModelInfo:
    """A model as the backend lists it, with the catalog's limits and prices where known."""

    model_id: str
    name: str
    provider: str
    streaming: bool
    inference_types: tuple[str, ...]
    context_tokens: int | None = None
    max_output_tokens: int | None = None
    input_per_1k_usd: float | None = None
    output_per_1k_usd: float | None = None

    @property
    def needs_inference_profile(self) -> bool:
        return "ON_DEMAND" not in self.inference_types


def list_text_models(control_client: Any) -> list[ModelInfo]:
    """Text-output foundation models from `bedrock:ListFoundationModels`, sorted by provider and name."""
    summaries = control_client.list_foundation_models(byOutputModality="TEXT")["modelSummaries"]
    models = []
    for s in summaries:
        entry = CATALOG.get(s["modelId"])
        models.append(ModelInfo(
            s["modelId"], s.get("modelName", s["modelId"]), s.get("providerName", "?"),
            bool(s.get("responseStreamingSupported", False)), tuple(s.get("inferenceTypesSupported", ())),
            entry.context_tokens if entry else None, entry.max_output_tokens if entry else None,
            entry.input_per_1k_usd if entry else None, entry.output_per_1k_usd if entry else None))
    return sorted(models, key=lambda m: (m.provider.lower(), m.name.lower(), m.model_id))


def models_frame(models: list[ModelInfo]) -> pd.DataFrame:
    """One row per model, with the columns the Models page shows."""
    import pandas as pd  # here, not at import: the emulator and the CLI load this module without pandas

    return pd.DataFrame(
        [{"Provider": m.provider, "Model": m.name, "Model ID": m.model_id, "Streaming": m.streaming,
          "Invocation": "inference profile" if m.needs_inference_profile else "on demand",
          "Context (tokens)": m.context_tokens, "Max output (tokens)": m.max_output_tokens,
          "Input $/1K (est.)": m.input_per_1k_usd, "Output $/1K (est.)": m.output_per_1k_usd} for m in models],
        columns=["Provider", "Model", "Model ID", "Streaming", "Invocation", "Context (tokens)",
                 "Max output (tokens)", "Input $/1K (est.)", "Output $/1K (est.)"],
    )
