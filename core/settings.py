"""What the sidebar chooses, as one value the pages can pass to core without knowing the widgets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from . import catalog, validation
from .catalog import ModelInfo, invocation_id
from .client import DEFAULT_IDLE_TIMEOUT_S, DEFAULT_MAX_ATTEMPTS, DEFAULT_READ_TIMEOUT_S
from .types import Api, CachePlan, ChatRequest, Latency, Message, ServiceTier

# The ranges of the connection settings the sidebar offers (a model's parameter ranges are core.validation's).
READ_TIMEOUT_RANGE_S = (0.5, 3600.0)
IDLE_TIMEOUT_RANGE_S = (0.0, 3600.0)  # 0: no idle guard
MAX_ATTEMPTS_RANGE = (1, 10)
DEFAULT_MAX_TOKENS = 1024


def output_limit(model: ModelInfo) -> int:
    """The most output tokens a request to this model may ask for."""
    return validation.bounds_for(model.model).max_tokens[1]


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
    temperature: float | None  # None: not sent (the model's default, or a model that takes none)
    top_p: float | None
    stop_sequences: tuple[str, ...]
    read_timeout_s: float = DEFAULT_READ_TIMEOUT_S  # the longest wait for any byte of an answer
    max_attempts: int = DEFAULT_MAX_ATTEMPTS  # total attempts before an answer starts (botocore retries)
    effort: str | None = None  # reasoning effort (low ... max); None: the model's default
    idle_timeout_s: float | None = DEFAULT_IDLE_TIMEOUT_S  # a started stream silent this long has gone (None: off)
    service_tier: ServiceTier | None = None  # None: not sent (Bedrock's default tier)
    latency: Latency | None = None  # None: not sent (standard)
    cache: CachePlan | None = None  # prompt-cache points (None: none)
    user_name: str | None = None  # who runs are recorded as (None: the default, `identity.default_user_name()`)

    @property
    def model_id(self) -> str:
        """The id requests use (an inference profile for models that need one)."""
        return invocation_id(self.model, self.region)

    @property
    def streaming(self) -> bool:
        """Streaming as chosen, unless the model cannot stream (it then runs in sync mode)."""
        return self.stream and self.model.streaming

    def chat_request(self, messages: Sequence[Message]) -> ChatRequest:
        """The neutral request these settings make of a conversation (the run fits it to the model)."""
        model = self.model.model
        system = "" if system_prompt_support(self.model_id, self.api) else self.system
        return ChatRequest(tuple(messages), system, self.max_tokens, self.temperature, self.top_p,
                           self.stop_sequences, catalog.reasoning_for(model, self.effort),
                           service_tier=self.service_tier, latency=self.latency, cache=self.cache)


def system_prompt_support(model_id: str, api: Api) -> str | None:
    """None when the model takes a system prompt through this API, else why not (shown by the widget)."""
    try:
        model = catalog.resolve(model_id)
    except catalog.UnknownModelError:
        return None
    if api == "invoke" and model.family is None:
        return None  # the run refuses InvokeModel for it, and says why
    if not model.takes_system(api):
        where = " through Converse" if api == "converse" else ""
        return f"{model.name} takes no system prompt{where}; it would be put in the first message."
    return None


def sampling_help(model: catalog.Model) -> str | None:
    """What the parameters panel says about a model's sampling rule (None when it takes both)."""
    if model.sampling == "one":
        return f"{model.name} takes temperature or top_p, not both: choose which one is sent."
    if model.sampling == "none":
        return f"{model.name} takes no temperature or top_p; reasoning effort is its knob."
    return None


def parse_stop_sequences(text: str) -> tuple[str, ...]:
    """One stop sequence per line; blank lines ignored; \\n written literally means a newline."""
    return tuple(line.replace("\\n", "\n") for line in text.splitlines() if line.strip())
