"""The model catalog as the backend lists it (ListFoundationModels), in a shape pages can show."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class ModelInfo:
    model_id: str
    name: str
    provider: str
    streaming: bool
    inference_types: tuple[str, ...]

    @property
    def needs_inference_profile(self) -> bool:
        return "ON_DEMAND" not in self.inference_types


def list_text_models(control_client: Any) -> list[ModelInfo]:
    """Text-output foundation models from `bedrock:ListFoundationModels`, sorted by provider and name."""
    summaries = control_client.list_foundation_models(byOutputModality="TEXT")["modelSummaries"]
    models = [
        ModelInfo(s["modelId"], s.get("modelName", s["modelId"]), s.get("providerName", "?"),
                  bool(s.get("responseStreamingSupported", False)), tuple(s.get("inferenceTypesSupported", ())))
        for s in summaries
    ]
    return sorted(models, key=lambda m: (m.provider.lower(), m.name.lower(), m.model_id))


def models_frame(models: list[ModelInfo]) -> pd.DataFrame:
    """One row per model, with the columns the Models page shows."""
    return pd.DataFrame(
        [{"Provider": m.provider, "Model": m.name, "Model ID": m.model_id, "Streaming": m.streaming,
          "Invocation": "inference profile" if m.needs_inference_profile else "on demand"} for m in models],
        columns=["Provider", "Model", "Model ID", "Streaming", "Invocation"],
    )
