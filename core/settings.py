"""What the sidebar chooses, as one value the pages can pass to core without knowing the widgets."""

from __future__ import annotations

from dataclasses import dataclass

from . import converse, providers
from .catalog import ModelInfo, invocation_id
from .client import DEFAULT_MAX_ATTEMPTS, DEFAULT_READ_TIMEOUT_S
from .types import Api

# The parameter ranges the sidebar offers and the HTTP API accepts (one source for both).
TEMPERATURE_RANGE = (0.0, 1.0)
TOP_P_RANGE = (0.0, 1.0)
READ_TIMEOUT_RANGE_S = (0.5, 3600.0)
MAX_ATTEMPTS_RANGE = (1, 10)
DEFAULT_MAX_TOKENS = 1024
FALLBACK_OUTPUT_LIMIT = 4096  # max tokens for a model whose output limit the catalog does not know


def output_limit(model: ModelInfo) -> int:
    """The most output tokens a request to this model may ask for."""
    return model.max_output_tokens or FALLBACK_OUTPUT_LIMIT


@dataclass(frozen=True)
class LabSettings:
    backend: str
    region: str | None
    profile: str | None
    model: ModelInfo
    api: Api
    stream: bool
    system: str
    max_tokens: int
    temperature: float
    top_p: float
    stop_sequences: tuple[str, ...]
    read_timeout_s: float = DEFAULT_READ_TIMEOUT_S  # the longest wait for any byte of an answer
    max_attempts: int = DEFAULT_MAX_ATTEMPTS  # total attempts before an answer starts (botocore retries)

    @property
    def model_id(self) -> str:
        """The id requests use (an inference profile for models that need one)."""
        return invocation_id(self.model, self.region)

    @property
    def streaming(self) -> bool:
        """Streaming as chosen, unless the model cannot stream (it then runs in sync mode)."""
        return self.stream and self.model.streaming


def system_prompt_support(model_id: str, api: Api) -> str | None:
    """None when the model takes a system prompt through this API, else why not (shown by the widget)."""
    try:
        family = providers.family_of(model_id)
    except providers.UnknownModelError:
        return None
    base = providers.base_model_id(model_id)
    if api == "converse" and not converse.supports_system(base):
        return "This model takes no system prompt through Converse; it would be put in the first message."
    if api == "invoke" and not providers.provider_for(model_id).supports_system:
        return f"This model ({family}) takes no system prompt; it would be put in the first message."
    return None


def parse_stop_sequences(text: str) -> tuple[str, ...]:
    """One stop sequence per line; blank lines ignored; \\n written literally means a newline."""
    return tuple(line.replace("\\n", "\n") for line in text.splitlines() if line.strip())
