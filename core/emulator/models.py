"""The emulator's model table: what Bedrock would list, and how each model behaves on the wire.

This is the server side's own truth. It does not import the client-side catalog, so a mistake in
one cannot make both sides agree. Latency medians come from the public figures collected in
`shared/bedrock-wire.md` (time to first token, output tokens per second); where none is published,
the class defaults given there are used.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import unquote

PROFILE_PREFIXES = ("us", "eu", "apac", "global")


@dataclass(frozen=True)
class LatencyProfile:
    """How long a model takes: medians, spreads and the size of its stream chunks."""

    ttft_ms: float
    tokens_per_s: float
    chunk_tokens: tuple[int, int]
    ttft_spread: float = 0.12  # sigma of the log-normal draw around the median
    rate_spread: float = 0.06


@dataclass(frozen=True)
class EmulatedModel:
    model_id: str
    name: str
    provider: str  # providerName, as ListFoundationModels spells it
    family: str  # request/response format on InvokeModel
    context_tokens: int
    max_output_tokens: int
    default_max_tokens: int
    latency: LatencyProfile
    streaming: bool = True
    on_demand: bool = True
    inference_profile: bool = False
    thinking: bool = False
    system_prompt: bool = True  # through Converse
    count_tokens: bool = False

    @property
    def inference_types(self) -> list[str]:
        """As ListFoundationModels reports them: profile-only models say INFERENCE_PROFILE."""
        return ["ON_DEMAND"] if self.on_demand else ["INFERENCE_PROFILE"]


def _p(ttft_ms: float, tokens_per_s: float, chunk: tuple[int, int]) -> LatencyProfile:
    return LatencyProfile(ttft_ms=ttft_ms, tokens_per_s=tokens_per_s, chunk_tokens=chunk)


_CLAUDE = (1, 3)
_CLAUDE_TEXT = (1, 4)
_TITAN = (20, 60)
_NOVA = (2, 6)
_LLAMA = (1, 1)
_MISTRAL = (1, 2)
_COHERE = (1, 2)
_AI21 = (1, 4)


def _anthropic(model_id: str, name: str, ttft: float, rate: float, out: int, **kw: object) -> EmulatedModel:
    return EmulatedModel(
        model_id, name, "Anthropic", "anthropic-messages", 200_000, out, out,
        _p(ttft, rate, _CLAUDE), count_tokens=True, **kw,  # type: ignore[arg-type]
    )


MODELS: tuple[EmulatedModel, ...] = (
    # Anthropic Messages API
    _anthropic("anthropic.claude-3-haiku-20240307-v1:0", "Claude 3 Haiku", 500, 110, 4096, inference_profile=True),
    _anthropic("anthropic.claude-3-sonnet-20240229-v1:0", "Claude 3 Sonnet", 760, 60, 4096, inference_profile=True),
    _anthropic("anthropic.claude-3-opus-20240229-v1:0", "Claude 3 Opus", 2000, 28, 4096, inference_profile=True),
    _anthropic("anthropic.claude-3-5-haiku-20241022-v1:0", "Claude 3.5 Haiku", 750, 60, 8192, inference_profile=True),
    _anthropic("anthropic.claude-3-5-sonnet-20240620-v1:0", "Claude 3.5 Sonnet", 950, 53, 4096, inference_profile=True),
    _anthropic("anthropic.claude-3-5-sonnet-20241022-v2:0", "Claude 3.5 Sonnet v2", 930, 53, 8192,
               on_demand=False, inference_profile=True),
    _anthropic("anthropic.claude-3-7-sonnet-20250219-v1:0", "Claude 3.7 Sonnet", 900, 60, 64000,
               on_demand=False, inference_profile=True, thinking=True),
    _anthropic("anthropic.claude-sonnet-4-20250514-v1:0", "Claude Sonnet 4", 900, 60, 64000,
               on_demand=False, inference_profile=True, thinking=True),
    _anthropic("anthropic.claude-opus-4-20250514-v1:0", "Claude Opus 4", 2000, 32, 32000,
               on_demand=False, inference_profile=True, thinking=True),
    # Anthropic legacy Text Completions
    EmulatedModel("anthropic.claude-v2", "Claude", "Anthropic", "anthropic-text", 100_000, 4096, 500,
                  _p(1000, 40, _CLAUDE_TEXT)),
    EmulatedModel("anthropic.claude-v2:1", "Claude", "Anthropic", "anthropic-text", 200_000, 4096, 500,
                  _p(1000, 40, _CLAUDE_TEXT)),
    EmulatedModel("anthropic.claude-instant-v1", "Claude Instant", "Anthropic", "anthropic-text", 100_000, 4096,
                  500, _p(500, 100, _CLAUDE_TEXT)),
    # Amazon Titan Text
    EmulatedModel("amazon.titan-text-express-v1", "Titan Text G1 - Express", "Amazon", "titan-text", 8192, 8192,
                  512, _p(450, 150, _TITAN), system_prompt=False),
    EmulatedModel("amazon.titan-text-lite-v1", "Titan Text G1 - Lite", "Amazon", "titan-text", 4096, 4096, 512,
                  _p(350, 180, _TITAN), system_prompt=False),
    EmulatedModel("amazon.titan-text-premier-v1:0", "Titan Text G1 - Premier", "Amazon", "titan-text", 32_000,
                  3072, 512, _p(600, 110, _TITAN), system_prompt=False),
    # Amazon Nova
    EmulatedModel("amazon.nova-micro-v1:0", "Nova Micro", "Amazon", "nova", 128_000, 10_000, 5000,
                  _p(270, 400, _NOVA), inference_profile=True),
    EmulatedModel("amazon.nova-lite-v1:0", "Nova Lite", "Amazon", "nova", 300_000, 10_000, 5000,
                  _p(350, 200, _NOVA), inference_profile=True),
    EmulatedModel("amazon.nova-pro-v1:0", "Nova Pro", "Amazon", "nova", 300_000, 10_000, 5000,
                  _p(500, 110, _NOVA), inference_profile=True),
    EmulatedModel("amazon.nova-premier-v1:0", "Nova Premier", "Amazon", "nova", 1_000_000, 32_000, 5000,
                  _p(900, 60, _NOVA), on_demand=False, inference_profile=True),
    # Meta Llama
    EmulatedModel("meta.llama2-13b-chat-v1", "Llama 2 Chat 13B", "Meta", "llama2", 4096, 2048, 512,
                  _p(400, 120, _LLAMA)),
    EmulatedModel("meta.llama2-70b-chat-v1", "Llama 2 Chat 70B", "Meta", "llama2", 4096, 2048, 512,
                  _p(600, 60, _LLAMA)),
    EmulatedModel("meta.llama3-8b-instruct-v1:0", "Llama 3 8B Instruct", "Meta", "llama3", 8192, 2048, 512,
                  _p(350, 180, _LLAMA)),
    EmulatedModel("meta.llama3-70b-instruct-v1:0", "Llama 3 70B Instruct", "Meta", "llama3", 8192, 2048, 512,
                  _p(500, 80, _LLAMA)),
    EmulatedModel("meta.llama3-1-8b-instruct-v1:0", "Llama 3.1 8B Instruct", "Meta", "llama3", 128_000, 2048,
                  512, _p(350, 180, _LLAMA), inference_profile=True),
    EmulatedModel("meta.llama3-1-70b-instruct-v1:0", "Llama 3.1 70B Instruct", "Meta", "llama3", 128_000, 2048,
                  512, _p(500, 80, _LLAMA), inference_profile=True),
    EmulatedModel("meta.llama3-1-405b-instruct-v1:0", "Llama 3.1 405B Instruct", "Meta", "llama3", 128_000,
                  4096, 512, _p(1200, 30, _LLAMA), inference_profile=True),
    EmulatedModel("meta.llama3-2-1b-instruct-v1:0", "Llama 3.2 1B Instruct", "Meta", "llama3", 128_000, 2048,
                  512, _p(250, 250, _LLAMA), on_demand=False, inference_profile=True),
    EmulatedModel("meta.llama3-2-3b-instruct-v1:0", "Llama 3.2 3B Instruct", "Meta", "llama3", 128_000, 2048,
                  512, _p(300, 200, _LLAMA), on_demand=False, inference_profile=True),
    EmulatedModel("meta.llama3-3-70b-instruct-v1:0", "Llama 3.3 70B Instruct", "Meta", "llama3", 128_000, 2048,
                  512, _p(500, 80, _LLAMA), on_demand=False, inference_profile=True),
    EmulatedModel("meta.llama4-scout-17b-instruct-v1:0", "Llama 4 Scout 17B Instruct", "Meta", "llama3",
                  3_500_000, 8192, 512, _p(320, 220, _LLAMA), on_demand=False, inference_profile=True),
    EmulatedModel("meta.llama4-maverick-17b-instruct-v1:0", "Llama 4 Maverick 17B Instruct", "Meta", "llama3",
                  1_000_000, 8192, 512, _p(350, 190, _LLAMA), on_demand=False, inference_profile=True),
    # Mistral AI
    EmulatedModel("mistral.mistral-7b-instruct-v0:2", "Mistral 7B Instruct", "Mistral AI", "mistral-prompt",
                  32_000, 8192, 512, _p(300, 150, _MISTRAL), system_prompt=False),
    EmulatedModel("mistral.mixtral-8x7b-instruct-v0:1", "Mixtral 8x7B Instruct", "Mistral AI", "mistral-prompt",
                  32_000, 4096, 512, _p(400, 110, _MISTRAL), system_prompt=False),
    EmulatedModel("mistral.mistral-large-2402-v1:0", "Mistral Large (24.02)", "Mistral AI", "mistral-prompt",
                  32_000, 8192, 512, _p(600, 45, _MISTRAL)),
    EmulatedModel("mistral.mistral-small-2402-v1:0", "Mistral Small (24.02)", "Mistral AI", "mistral-prompt",
                  32_000, 8192, 512, _p(350, 110, _MISTRAL)),
    EmulatedModel("mistral.mistral-large-2407-v1:0", "Mistral Large (24.07)", "Mistral AI", "mistral-chat",
                  128_000, 8192, 512, _p(200, 45, _MISTRAL)),
    # Cohere
    EmulatedModel("cohere.command-r-v1:0", "Command R", "Cohere", "cohere-r", 128_000, 4000, 512,
                  _p(400, 90, _COHERE)),
    EmulatedModel("cohere.command-r-plus-v1:0", "Command R+", "Cohere", "cohere-r", 128_000, 4000, 512,
                  _p(600, 55, _COHERE)),
    EmulatedModel("cohere.command-text-v14", "Command", "Cohere", "cohere-command", 4000, 4000, 20,
                  _p(600, 60, _COHERE), system_prompt=False),
    EmulatedModel("cohere.command-light-text-v14", "Command Light", "Cohere", "cohere-command", 4000, 4000, 20,
                  _p(400, 100, _COHERE), system_prompt=False),
    # AI21 Labs
    EmulatedModel("ai21.jamba-1-5-mini-v1:0", "Jamba 1.5 Mini", "AI21 Labs", "jamba", 256_000, 4096, 4096,
                  _p(400, 130, _AI21)),
    EmulatedModel("ai21.jamba-1-5-large-v1:0", "Jamba 1.5 Large", "AI21 Labs", "jamba", 256_000, 4096, 4096,
                  _p(700, 60, _AI21)),
    EmulatedModel("ai21.jamba-instruct-v1:0", "Jamba-Instruct", "AI21 Labs", "jamba", 256_000, 4096, 4096,
                  _p(600, 70, _AI21)),
    EmulatedModel("ai21.j2-mid-v1", "Jurassic-2 Mid", "AI21 Labs", "jurassic2", 8191, 8191, 200,
                  _p(800, 60, _AI21), streaming=False, system_prompt=False),
    EmulatedModel("ai21.j2-ultra-v1", "Jurassic-2 Ultra", "AI21 Labs", "jurassic2", 8191, 8191, 200,
                  _p(1000, 40, _AI21), streaming=False, system_prompt=False),
)

BY_ID: dict[str, EmulatedModel] = {m.model_id: m for m in MODELS}


@dataclass(frozen=True)
class Resolved:
    model: EmulatedModel
    via_profile: bool


def resolve(identifier: str) -> Resolved | None:
    """A model id, a foundation-model ARN, an inference-profile id or ARN -> the base model."""
    ident = unquote(identifier)
    if ident.startswith("arn:"):
        parts = ident.split(":", 5)
        if len(parts) < 6 or parts[2] != "bedrock" or "/" not in parts[5]:
            return None
        kind, _, ident = parts[5].partition("/")
        if kind == "foundation-model":
            model = BY_ID.get(ident)
            return Resolved(model, False) if model else None
        if kind not in ("inference-profile", "application-inference-profile"):
            return None
    model = BY_ID.get(ident)
    if model is not None:
        return Resolved(model, False)
    prefix, _, rest = ident.partition(".")
    if prefix in PROFILE_PREFIXES:
        model = BY_ID.get(rest)
        if model is not None and model.inference_profile:
            return Resolved(model, True)
    return None


def with_latency(model: EmulatedModel, **changes: object) -> EmulatedModel:
    """A copy of `model` with some latency-profile fields replaced (the control endpoint's override)."""
    return replace(model, latency=replace(model.latency, **changes))  # type: ignore[arg-type]
