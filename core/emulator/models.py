"""The emulator's model table: what Bedrock lists in December 2026, and how each model behaves on the wire.

This is the server side's own truth. It does not import the client-side catalog, so a mistake in
one cannot make both sides agree. The rows follow the lineup both sides speak (the shared
"lineup" note), with the facts of the shared references `bedrock-wire.md` and `bedrock-2026.md`.

Each model has a lifecycle (ACTIVE, LEGACY, END_OF_LIFE, with the dates that are known), the
geographies of its cross-Region inference profiles, whether it can be called on demand by its own
id, its limits, the request rules Bedrock enforces for it (`Rules`), the service tiers, latency mode and
prompt caching it takes (below), and a latency profile. Every
latency figure says where it comes from: the public figures table of `bedrock-wire.md` ("wire"),
other public measurements (named), or the class defaults given in `bedrock-wire.md` ("class
default"). Start-of-life dates are the public release dates (model docs, or the date in the id).

Service tiers besides `default` (`tiers`): priority and flex came on 2025-11-18 for gpt-oss-20b/120b, DeepSeek
V3.1, Qwen3 Coder 480B, Qwen3 32B, Qwen3 235B 2507, Nova Pro and Nova Premier (AWS "What's new" launch note
and the userguide's service-tiers table); a live probe of 2026-07-20 (a TypeScript LLM wrapper's
`checkBedrockServiceTierSupport`) found Nova 2 taking them and every Claude model and Nova Lite refusing
them, as a bedrock-smart-router change log (2026-05) found for the Opus models; Llama 4, with no report
either way, takes them (the lab's working assumption). `reserved` needs a reservation (the control endpoint).
Latency-optimized (`latency_optimized`): Nova Pro, Claude 3.5 Haiku, Llama 3.1 70B and 405B (AWS "Latency-
optimized inference", bedrock-2026.md section 4), of which Nova Pro and Llama 3.1 70B are still served.
Prompt caching (`cache`, see caching.py): the Claude and Nova models (AWS "Prompt caching"; strandsagents'
Bedrock caching page), with each model's minimum prefix from Anthropic's "Prompt caching" page ("These
minimums apply on every platform", ClaudeDocs mirror, 2026-08-22): 512 tokens for Opus 5 and Fable 5,
1,024 for Opus 4.8, Sonnet 5, Sonnet 4.6 / 4.5, Opus 4.1 / 4 and Sonnet 4, 2,048 for Opus 4.7 and Haiku 3.5,
4,096 for Opus 4.6 / 4.5 and Haiku 4.5; Claude 3.7 Sonnet 1,024 and the Nova models 1,000 with at most 32k
cached tokens (AWS prompt caching table; Nova 2 Lite: Nova's figures, inferred). Claude 3 Haiku never cached
on Bedrock. TTFT grows with the uncached prompt (`LatencyProfile.prefill_ms_per_1k_tokens`), so a hit
answers sooner in proportion to the share of the prompt it read from the cache.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field, replace
from urllib.parse import unquote

from .caching import CacheRules

PROFILE_PREFIXES = ("us", "eu", "apac", "jp", "global")
ACTIVE, LEGACY, END_OF_LIFE = "ACTIVE", "LEGACY", "END_OF_LIFE"
EFFORTS = ("low", "medium", "high", "xhigh", "max")


@dataclass(frozen=True)
class LatencyProfile:
    """How long a model takes: medians, spreads and the size of its stream chunks."""

    ttft_ms: float
    tokens_per_s: float
    chunk_tokens: tuple[int, int]
    ttft_spread: float = 0.12  # sigma of the log-normal draw around the median
    rate_spread: float = 0.06
    # Reading the prompt before the first token: this many ms per 1,000 input tokens not read from the cache, on
    # top of `ttft_ms` (the figure for a short prompt). 100 ms (10,000 tok/s) puts a 100k-token prompt at about
    # 10 s, so a full cache hit saves ~85-90% of its TTFT on a 1-2 s model: Anthropic's "up to 85% for long
    # prompts" (quoted in ngrok's prompt caching post, 2025-12). The wire table's Llama 3.1 405B, 2.5 s at 10k
    # input, is of the same order. A documented guess.
    prefill_ms_per_1k_tokens: float = 100.0


@dataclass(frozen=True)
class Lifecycle:
    """Where a model is in Bedrock's lifecycle; dates are ISO days (UTC), None when no source gives them."""

    status: str = ACTIVE  # ACTIVE | LEGACY | END_OF_LIFE (the last is never listed: the API enum has only two)
    start: str | None = None
    legacy: str | None = None
    end_of_life: str | None = None

    @property
    def listed(self) -> bool:
        return self.status != END_OF_LIFE


@dataclass(frozen=True)
class Rules:
    """The request rules Bedrock (or the model behind it) enforces, per model.

    sampling: both | one (temperature XOR top_p) | none (no non-default temperature, top_p, top_k).
    thinking: none | budget (`thinking.type=enabled` + `budget_tokens`) | adaptive (`thinking.type=adaptive`
    + an effort) | effort (the family's own effort field: Nova 2 `reasoningConfig`, gpt-oss `reasoning_effort`)
    | always (the model reasons on every request and has no knob: DeepSeek-R1, Magistral).
    """

    sampling: str = "both"
    thinking: str = "none"
    budget_too: bool = False  # an adaptive model that still accepts the deprecated budget form (the 4.6 models)
    efforts: tuple[str, ...] = ()  # the effort values the model takes; () means no effort parameter
    default_effort: str = "high"
    thinking_default_on: bool = False  # an adaptive model that thinks when the request says nothing
    display_default: str = "summarized"  # Claude's `thinking.display` when the request omits it
    thinking_required_from: str | None = None  # "xhigh": disabling thinking at xhigh or max is refused
    prefill: bool = True  # a final assistant turn is accepted
    sampling_free_from: str | None = None  # Nova 2: at this effort temperature, topP and maxTokens must be unset
    context_stop: bool = False  # input + max_tokens past the window ends with model_context_window_exceeded
    reasoning_on_invoke: bool = True  # False: reasons only through Converse (Magistral, per the lineup)
    # Where an "effort" model takes its effort on Chat Completions and in Converse's additionalModelRequestFields:
    # gpt-oss the flat `reasoning_effort`, GPT-5.6 and later `reasoning.effort` (they refuse the flat form).
    effort_field: str = "reasoning_effort"


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
    lifecycle: Lifecycle = field(default_factory=Lifecycle)
    rules: Rules = field(default_factory=Rules)
    profiles: tuple[str, ...] = ()  # geographies of its system-defined inference profiles
    on_demand: bool = True
    streaming: bool = True
    system_prompt: bool = True  # through Converse
    count_tokens: bool = False  # CountTokens by its own id
    wire: str = ""  # a family's variant, when one family has two response shapes (mistral-chat)
    note: str = ""  # why the row is here, when that is not obvious
    tiers: tuple[str, ...] = ()  # service tiers it takes besides default (priority, flex)
    latency_optimized: bool = False  # takes performanceConfig latency "optimized"
    cache: CacheRules | None = None  # None: no prompt caching

    @property
    def inference_types(self) -> list[str]:
        """As ListFoundationModels reports them: profile-only models say INFERENCE_PROFILE."""
        return ["ON_DEMAND"] if self.on_demand else ["INFERENCE_PROFILE"]

    @property
    def reasons(self) -> bool:
        return self.rules.thinking != "none"


def _p(ttft_ms: float, tokens_per_s: float, chunk: tuple[int, int]) -> LatencyProfile:
    return LatencyProfile(ttft_ms=ttft_ms, tokens_per_s=tokens_per_s, chunk_tokens=chunk)


def _life(start: str | None = None, *, legacy: str | None = None, eol: str | None = None,
          status: str = ACTIVE) -> Lifecycle:
    return Lifecycle(status, start, legacy, eol)


def _eol(start: str | None, eol: str | None) -> Lifecycle:
    return Lifecycle(END_OF_LIFE, start, None, eol)


# Chunk sizes, in emulator tokens. Claude 4.6 on ConverseStream: about 7 characters (1-2 tokens) a chunk
# (bedrock-2026.md scale facts, from aaif-goose/goose PR #9579); the others keep the sizes of bedrock-wire.md.
_CLAUDE = (1, 3)
_NOVA = (2, 6)
_LLAMA = (1, 1)
_CHAT = (1, 2)  # Chat Completions servers (gpt-oss, Qwen, GLM, DeepSeek, Mistral, Writer): a token or two a chunk
_COHERE = (1, 2)
_AI21 = (1, 4)

_GEO_ALL = ("global", "us", "eu", "jp", "apac")
_GEO_GUE = ("global", "us", "eu")

# Claude's request rules, by generation (bedrock-2026.md section 1; Anthropic's "Adaptive thinking", "Effort",
# "What's new" and migration pages as mirrored in gpambrozio/ClaudeDocs, snapshot 2026-08-22).
_CLAUDE_OLD = Rules(sampling="both", thinking="budget")  # Claude 3.7 / 4: both samplers, a budget
_CLAUDE_45 = Rules(sampling="one", thinking="budget", context_stop=True)  # Sonnet/Haiku 4.5, Opus 4.1
_CLAUDE_46 = Rules(sampling="one", thinking="adaptive", budget_too=True, efforts=("low", "medium", "high", "max"),
                   context_stop=True)
_CLAUDE_47 = Rules(sampling="none", thinking="adaptive", efforts=EFFORTS, display_default="omitted",
                   context_stop=True)  # Opus 4.7: disabling thinking at any effort is still accepted
_CLAUDE_48 = replace(_CLAUDE_47, thinking_required_from="xhigh")
_CLAUDE_5 = replace(_CLAUDE_48, thinking_default_on=True)  # Opus 5, Sonnet 5: adaptive when `thinking` is absent


_TIERS = ("priority", "flex")
_NOVA_CACHE = CacheRules(1000, max_tokens=32_000)


def _cache(min_tokens: int, *, hour: bool = True) -> CacheRules:
    """Claude's caching: its minimum prefix; 1-hour TTLs from the 4.5 generation on."""
    return CacheRules(min_tokens, ("5m", "1h") if hour else ("5m",))


def _claude(model_id: str, name: str, out: int, latency: LatencyProfile, rules: Rules, profiles: tuple[str, ...],
            lifecycle: Lifecycle, cache: CacheRules | None, *, on_demand: bool = False,
            count_tokens: bool = False) -> EmulatedModel:
    return EmulatedModel(model_id, name, "Anthropic", "anthropic-messages", 200_000, out, out, latency,
                         lifecycle, rules, profiles, on_demand=on_demand, count_tokens=count_tokens, cache=cache)


MODELS: tuple[EmulatedModel, ...] = (
    # -- Anthropic ------------------------------------------------------------------------------------------
    # Opus 5 / 4.8 / 4.7 / 4.6 / 4.5 / 4.1: Opus class default 1.5-2.5 s and 25-40 tok/s (class default).
    _claude("anthropic.claude-opus-5", "Claude Opus 5", 128_000, _p(2000, 35, _CLAUDE), _CLAUDE_5, _GEO_GUE,
            _life("2026-07-24"), _cache(512)),  # start: first support PRs (simonw/llm-anthropic #76, 2026-07-24)
    # Sonnet 5: Sonnet class default 0.8-1.0 s, 50-70 tok/s (class default).
    _claude("anthropic.claude-sonnet-5", "Claude Sonnet 5", 64_000, _p(900, 60, _CLAUDE), _CLAUDE_5, _GEO_ALL,
            _life("2026-06-30"), _cache(1024)),  # start: BerriAI/litellm PR #31740 "add Claude Sonnet 5", 2026-06-30
    # Fable 5: no published figure; Sonnet class default (class default).
    _claude("anthropic.claude-fable-5", "Claude Fable 5", 64_000, _p(900, 60, _CLAUDE),
            replace(_CLAUDE_5, prefill=False), ("global", "us"), _life(), _cache(512)),
    _claude("anthropic.claude-opus-4-8", "Claude Opus 4.8", 128_000, _p(2000, 35, _CLAUDE), _CLAUDE_48, _GEO_GUE,
            _life("2026-05-28"), _cache(1024)),  # start: first reports (openclaw/openclaw #87801, 2026-05-28)
    _claude("anthropic.claude-opus-4-7", "Claude Opus 4.7", 128_000, _p(2000, 35, _CLAUDE), _CLAUDE_47, _GEO_GUE,
            _life("2026-04-16"), _cache(2048)),  # start: "Out today", simonw/llm-anthropic #66, 2026-04-16
    _claude("anthropic.claude-opus-4-6-v1", "Claude Opus 4.6", 128_000, _p(2000, 35, _CLAUDE), _CLAUDE_46,
            _GEO_ALL, _life("2026-02-05"), _cache(4096)),  # start: release notes, Feb 5 2026 (quoted in Kilo-Org #8260)
    # Sonnet 4.6: median TTFT 1.21 s and 95 tok/s on BridgeBench (first-party API; Bedrock via OpenRouter measured
    # 1.64 s TTFT on krabarena), so TTFT 1.2 s and 95 tok/s.
    _claude("anthropic.claude-sonnet-4-6", "Claude Sonnet 4.6", 64_000, _p(1200, 95, _CLAUDE), _CLAUDE_46,
            _GEO_ALL, _life(), _cache(1024)),
    _claude("anthropic.claude-sonnet-4-5-20250929-v1:0", "Claude Sonnet 4.5", 64_000, _p(900, 60, _CLAUDE),
            _CLAUDE_45, _GEO_ALL, _life("2025-09-29"), _cache(1024), count_tokens=True),  # Sonnet class default
    # Haiku 4.5: TTFT p50 1.24 s on Bedrock (krabarena, routed through OpenRouter, floor subtracted); decode rate:
    # Haiku class default 80-150 tok/s, so 110.
    _claude("anthropic.claude-haiku-4-5-20251001-v1:0", "Claude Haiku 4.5", 64_000, _p(1200, 110, _CLAUDE),
            _CLAUDE_45, _GEO_ALL, _life("2025-10-15"), _cache(4096), count_tokens=True),
    _claude("anthropic.claude-opus-4-5-20251101-v1:0", "Claude Opus 4.5", 64_000, _p(2000, 35, _CLAUDE),
            replace(_CLAUDE_45, efforts=("low", "medium", "high")), _GEO_GUE, _life("2025-11-24"), _cache(4096),
            count_tokens=True),
    _claude("anthropic.claude-opus-4-1-20250805-v1:0", "Claude Opus 4.1", 32_000, _p(2000, 32, _CLAUDE), _CLAUDE_45,
            ("us",), _life("2025-08-05", eol="2027-01-08", status=LEGACY), _cache(1024, hour=False),
            count_tokens=True),
    # End of life (bedrock-2026.md lifecycle section): invoking them answers the EOL 404. Their latency: the
    # Sonnet / Opus / Haiku class defaults, and the wire table for 3.5 Haiku.
    _claude("anthropic.claude-sonnet-4-20250514-v1:0", "Claude Sonnet 4", 64_000, _p(900, 60, _CLAUDE), _CLAUDE_OLD,
            ("us", "eu", "apac"), _eol("2025-05-22", "2026-10-14"), _cache(1024, hour=False)),
    _claude("anthropic.claude-3-7-sonnet-20250219-v1:0", "Claude 3.7 Sonnet", 64_000, _p(900, 60, _CLAUDE),
            _CLAUDE_OLD, ("us", "eu", "apac"), _eol("2025-02-24", "2026-04-28"), _cache(1024, hour=False)),
    # 3.5 Haiku: wire table 0.70-0.81 s, ~60 tok/s.
    replace(_claude("anthropic.claude-3-5-haiku-20241022-v1:0", "Claude 3.5 Haiku", 8192, _p(750, 60, _CLAUDE),
                    Rules(), ("us",), _eol("2024-11-04", None), _cache(2048, hour=False), on_demand=True),
            latency_optimized=True),
    _claude("anthropic.claude-3-haiku-20240307-v1:0", "Claude 3 Haiku", 4096, _p(500, 110, _CLAUDE), Rules(),
            ("us", "eu", "apac"), _eol("2024-03-13", "2026-09-10"), None, on_demand=True),
    _claude("anthropic.claude-opus-4-20250514-v1:0", "Claude Opus 4", 32_000, _p(2000, 32, _CLAUDE), _CLAUDE_OLD,
            ("us",), _eol("2025-05-22", None), _cache(1024, hour=False)),
    # -- Amazon Nova ----------------------------------------------------------------------------------------
    # Nova 2 Lite: 203-303 tok/s in the AWS-hosted Bedrock benchmark report (aiperf.ghast.people.aws.dev); TTFT:
    # Nova Lite class default 0.3-0.8 s, so 0.4 s.
    EmulatedModel("amazon.nova-2-lite-v1:0", "Nova 2 Lite", "Amazon", "nova", 1_000_000, 65_536, 5000,
                  _p(400, 250, _NOVA), _life("2025-12-02"),
                  Rules(thinking="effort", efforts=("low", "medium", "high"), default_effort="medium",
                        sampling_free_from="high"),
                  ("us", "global"), on_demand=False, wire="nova2", tiers=_TIERS, cache=_NOVA_CACHE),
    EmulatedModel("amazon.nova-pro-v1:0", "Nova Pro", "Amazon", "nova", 300_000, 10_000, 5000,
                  _p(500, 110, _NOVA), _life("2024-12-03"), profiles=("us",), tiers=_TIERS, latency_optimized=True,
                  cache=_NOVA_CACHE),  # class default
    EmulatedModel("amazon.nova-lite-v1:0", "Nova Lite", "Amazon", "nova", 300_000, 10_000, 5000,
                  _p(350, 200, _NOVA), _life("2024-12-03"), profiles=("us",), cache=_NOVA_CACHE),  # class default
    EmulatedModel("amazon.nova-micro-v1:0", "Nova Micro", "Amazon", "nova", 128_000, 10_000, 5000,
                  _p(270, 400, _NOVA), _life("2024-12-03"), profiles=("us",),
                  cache=_NOVA_CACHE),  # wire: 0.21-0.33 s, 300-575 tok/s
    EmulatedModel("amazon.nova-premier-v1:0", "Nova Premier", "Amazon", "nova", 1_000_000, 32_000, 5000,
                  _p(900, 60, _NOVA), _eol("2025-04-30", "2026-09-14"), profiles=("us",),
                  on_demand=False, tiers=_TIERS, cache=_NOVA_CACHE),  # Sonnet-like class default
    # -- OpenAI gpt-oss (InvokeModel: Chat Completions; AWS "OpenAI models" parameters page) --------------------
    # No Bedrock-specific figure found (Artificial Analysis lists Bedrock among 17 gpt-oss hosts, not in its top 5);
    # small open-weight class default 0.3-0.6 s, 100-200 tok/s.
    EmulatedModel("openai.gpt-oss-120b-1:0", "gpt-oss-120b", "OpenAI", "openai-chat", 128_000, 32_768, 4096,
                  _p(400, 180, _CHAT), _life("2025-08-05"),
                  Rules(thinking="effort", efforts=("low", "medium", "high"), default_effort="medium"), tiers=_TIERS),
    EmulatedModel("openai.gpt-oss-20b-1:0", "gpt-oss-20b", "OpenAI", "openai-chat", 128_000, 32_768, 4096,
                  _p(300, 200, _CHAT), _life("2025-08-05"),
                  Rules(thinking="effort", efforts=("low", "medium", "high"), default_effort="medium"), tiers=_TIERS),
    # GPT-5.6 (Converse and Chat Completions; bedrock-2026.md section 1): effort as `reasoning.effort`, no sampling.
    # No Bedrock figure published: a frontier reasoning class default.
    EmulatedModel("openai.gpt-5.6-sol", "GPT-5.6 Sol", "OpenAI", "openai-chat", 400_000, 128_000, 4096,
                  _p(700, 90, _CHAT), _life(),
                  Rules(sampling="none", thinking="effort", efforts=("low", "medium", "high", "xhigh"),
                        default_effort="medium", effort_field="reasoning.effort"), tiers=_TIERS),
    # -- DeepSeek (AWS "DeepSeek models" parameters page) -------------------------------------------------------
    # R1: 0.09-0.13 s to the first (reasoning) token in the AWS-hosted benchmark report; rate: class default 60.
    EmulatedModel("deepseek.r1-v1:0", "DeepSeek-R1", "DeepSeek", "deepseek", 128_000, 32_768, 4096,
                  _p(130, 60, _CHAT), _life("2025-03-10"), Rules(thinking="always", default_effort="medium"),
                  ("us",), on_demand=False),
    EmulatedModel("deepseek.v3-v1:0", "DeepSeek-V3.1", "DeepSeek", "deepseek", 128_000, 32_768, 4096,
                  _p(600, 90, _CHAT), _life(), tiers=_TIERS),  # class default
    # -- Qwen (InvokeModel: Chat Completions) ------------------------------------------------------------------
    EmulatedModel("qwen.qwen3-235b-a22b-2507-v1:0", "Qwen3 235B A22B 2507", "Qwen", "openai-chat", 262_144, 32_768,
                  4096, _p(600, 90, _CHAT), _life(), tiers=_TIERS),  # class default
    EmulatedModel("qwen.qwen3-32b-v1:0", "Qwen3 32B (dense)", "Qwen", "openai-chat", 131_072, 16_384, 4096,
                  _p(400, 150, _CHAT), _life(), tiers=_TIERS),  # small open-weight class default
    EmulatedModel("qwen.qwen3-coder-480b-a35b-v1:0", "Qwen3 Coder 480B A35B Instruct", "Qwen", "openai-chat",
                  262_144, 65_536, 4096, _p(700, 80, _CHAT), _life(), tiers=_TIERS),  # class default
    # -- Z.AI: listed here only (the client's table does not know it), to show unknown models work via Converse --
    EmulatedModel("zai.glm-4.7", "GLM 4.7", "Z.AI", "openai-chat", 128_000, 16_384, 4096, _p(600, 90, _CHAT),
                  _life()),  # class default
    # -- Meta Llama ---------------------------------------------------------------------------------------------
    EmulatedModel("meta.llama4-maverick-17b-instruct-v1:0", "Llama 4 Maverick 17B Instruct", "Meta", "llama3",
                  1_000_000, 8192, 512, _p(350, 190, _LLAMA), _life("2025-04-28"), profiles=("us",),
                  on_demand=False, tiers=_TIERS),  # wire: 0.26-0.38 s, 190-250 tok/s
    EmulatedModel("meta.llama4-scout-17b-instruct-v1:0", "Llama 4 Scout 17B Instruct", "Meta", "llama3",
                  3_500_000, 8192, 512, _p(320, 220, _LLAMA), _life("2025-04-28"), profiles=("us",),
                  on_demand=False, tiers=_TIERS),  # wire: 0.26-0.38 s, 190-250 tok/s
    EmulatedModel("meta.llama3-3-70b-instruct-v1:0", "Llama 3.3 70B Instruct", "Meta", "llama3", 128_000, 8192, 512,
                  _p(500, 80, _LLAMA), _life("2024-12-19"), profiles=("us",), on_demand=False),  # class default
    EmulatedModel("meta.llama3-1-8b-instruct-v1:0", "Llama 3.1 8B Instruct", "Meta", "llama3", 128_000, 2048, 512,
                  _p(350, 180, _LLAMA), _life("2024-07-23"), profiles=("us",)),  # small Llama class default
    EmulatedModel("meta.llama3-1-70b-instruct-v1:0", "Llama 3.1 70B Instruct", "Meta", "llama3", 128_000, 2048, 512,
                  _p(500, 80, _LLAMA), _life("2024-07-23"), profiles=("us",), latency_optimized=True),  # class default
    EmulatedModel("meta.llama3-1-405b-instruct-v1:0", "Llama 3.1 405B Instruct", "Meta", "llama3", 128_000, 4096,
                  512, _p(1200, 30, _LLAMA), _eol("2024-07-23", "2026-07-07"),
                  profiles=("us",), latency_optimized=True),  # class default (wire's 2.5 s at 10k input is optimized)
    *(EmulatedModel(f"meta.llama3-2-{size}-instruct-v1:0", f"Llama 3.2 {size.upper()} Instruct", "Meta", "llama3",
                    128_000, 2048, 512, _p(300, 200, _LLAMA), _eol("2024-09-25", "2026-07-07"), profiles=("us",),
                    on_demand=False) for size in ("1b", "3b", "11b", "90b")),  # small Llama class default
    # -- Mistral AI ---------------------------------------------------------------------------------------------
    # Large 3 and Magistral take `messages` and answer `choices[0].message.content` on InvokeModel (aws-samples/
    # mistral-on-aws, re:Invent 2025 invoke_model notebook): the OpenAI-style variant ("openai").
    EmulatedModel("mistral.mistral-large-3-675b-instruct", "Mistral Large 3", "Mistral AI", "mistral-chat",
                  262_144, 16_384, 4096, _p(600, 60, _CHAT), _life("2025-12-02"), wire="openai"),  # class default
    EmulatedModel("mistral.magistral-small-2509", "Magistral Small 2509", "Mistral AI", "mistral-chat", 131_072,
                  16_384, 4096, _p(500, 110, _CHAT), _life(),
                  Rules(thinking="always", default_effort="medium", reasoning_on_invoke=False),
                  wire="openai"),  # class default
    EmulatedModel("mistral.pixtral-large-2502-v1:0", "Pixtral Large (25.02)", "Mistral AI", "mistral-chat", 128_000,
                  8192, 512, _p(600, 50, _CHAT), _life(), profiles=("us", "eu"), on_demand=False),  # class default
    EmulatedModel("mistral.mistral-large-2407-v1:0", "Mistral Large (24.07)", "Mistral AI", "mistral-chat", 128_000,
                  8192, 512, _p(200, 45, _CHAT), _life("2024-07-24")),  # wire: one capture, firstByte 148 ms
    # -- Cohere -------------------------------------------------------------------------------------------------
    EmulatedModel("cohere.command-r-plus-v1:0", "Command R+", "Cohere", "cohere-r", 128_000, 4000, 512,
                  _p(600, 55, _COHERE), _life("2024-04-30")),  # class default
    EmulatedModel("cohere.command-r-v1:0", "Command R", "Cohere", "cohere-r", 128_000, 4000, 512,
                  _p(400, 90, _COHERE), _life("2024-04-30")),  # class default
    # -- AI21 Labs ----------------------------------------------------------------------------------------------
    # Jamba 1.5 and Jurassic-2: class defaults.
    EmulatedModel("ai21.jamba-1-5-large-v1:0", "Jamba 1.5 Large", "AI21 Labs", "jamba", 256_000, 4096, 4096,
                  _p(700, 60, _AI21), _eol("2024-08-22", "2026-11-26")),
    EmulatedModel("ai21.jamba-1-5-mini-v1:0", "Jamba 1.5 Mini", "AI21 Labs", "jamba", 256_000, 4096, 4096,
                  _p(400, 130, _AI21), _eol("2024-08-22", "2026-11-26")),
    # No text model on Bedrock's 2026 model table lacks streaming (AWS "Supported foundation models" page, fetched
    # 2026-02-15: every text-to-text model says "Streaming: Yes"). Jurassic-2 Mid, which reported
    # responseStreamingSupported: false (bedrock-wire.md), stays listed so the path of a model that does not stream
    # can still be shown; real Bedrock retired it long ago.
    EmulatedModel("ai21.j2-mid-v1", "Jurassic-2 Mid (emulator demo of a non-streaming model)", "AI21 Labs",
                  "jurassic2", 8191, 8191, 200, _p(800, 60, _AI21), _life(), streaming=False, system_prompt=False,
                  note="not on real Bedrock in 2026; kept as the one model that does not stream"),
    # -- Writer (AWS "Writer Palmyra X5" / "X4" parameters pages: limits, request and response body) -------------
    EmulatedModel("writer.palmyra-x5-v1:0", "Palmyra X5", "Writer", "writer", 1_040_000, 8192, 2048,
                  _p(600, 90, _CHAT), _life("2025-04-28"), profiles=("us",), on_demand=False),  # class default
    EmulatedModel("writer.palmyra-x4-v1:0", "Palmyra X4", "Writer", "writer", 122_880, 8192, 2048,
                  _p(600, 60, _CHAT), _life("2025-04-28"), profiles=("us",), on_demand=False),  # class default
)

BY_ID: dict[str, EmulatedModel] = {m.model_id: m for m in MODELS}
LISTED: tuple[EmulatedModel, ...] = tuple(m for m in MODELS if m.lifecycle.listed)


def epoch_s(day: str | None) -> int | None:
    """An ISO day as the epoch seconds rest-json carries timestamps in (botocore turns them into datetimes)."""
    if day is None:
        return None
    year, month, date = (int(part) for part in day.split("-"))
    return calendar.timegm((year, month, date, 0, 0, 0))


@dataclass(frozen=True)
class Resolved:
    model: EmulatedModel
    via_profile: bool


def resolve(identifier: str) -> Resolved | None:
    """A model id, a foundation-model ARN, an inference-profile id or ARN -> the base model.

    A profile resolves only in the geographies the model really has (`eu.` of a US-only model is unknown).
    """
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
    model = BY_ID.get(rest)
    if prefix in PROFILE_PREFIXES and model is not None and prefix in model.profiles:
        return Resolved(model, True)
    return None


def with_latency(model: EmulatedModel, **changes: object) -> EmulatedModel:
    """A copy of `model` with some latency-profile fields replaced (the control endpoint's override)."""
    return replace(model, latency=replace(model.latency, **changes))  # type: ignore[arg-type]
