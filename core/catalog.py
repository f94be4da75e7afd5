"""The model table: what the lab knows of every model and family, read once from `models.toml`.

    >>> model = resolve("us.anthropic.claude-sonnet-4-6")   # any id, inference profile id or ARN
    >>> model.name, model.sampling, model.thinking, model.lifecycle
    ('Claude Sonnet 4.6', 'one', 'adaptive', 'active')
    >>> chat, notes = fit_request(model, ChatRequest(...))  # only what the model accepts, and why

`resolve` turns a reference into one `Model` value (cached), which the run, the pages, the API, the CLI
and the benchmark all use. A model the table does not list still resolves: it can be asked through
Converse with neutral rules, no price and no invented speed; InvokeModel needs a known family.
Prices are dated estimates in US dollars per 1M tokens (`PRICE_TABLE_DATE`); every cost says so.
"""

from __future__ import annotations

import functools
import importlib
import tomllib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from . import format as fmt
from .types import Api, ChatRequest, Message, Reasoning

if TYPE_CHECKING:
    import pandas as pd

    from .providers import Provider

TABLE_PATH = Path(__file__).with_name("models.toml")
GEOGRAPHIES = ("global", "us", "eu", "apac", "jp", "au", "us-gov", "ca")
Sampling = Literal["both", "one", "none"]
Thinking = Literal["none", "budget", "adaptive", "effort", "always"]
Lifecycle = Literal["active", "legacy", "end-of-life"]
EFFORT_LEVELS = ("low", "medium", "high", "xhigh", "max")
# What a budget-style model (Claude 3.7 to 4.5) gets for an effort level: Claude's minimum is 1,024.
BUDGET_TOKENS = {"low": 1024, "medium": 4096, "high": 16_384, "xhigh": 32_000, "max": 63_999}
MIN_BUDGET_TOKENS = 1024


class UnknownModelError(ValueError):
    """A model reference the lab cannot send; the message is displayed to the user."""

    def __init__(self, model_id: str, reason: str = "") -> None:
        super().__init__(reason or (
            f"{model_id!r} is not a Bedrock model id, inference profile id or ARN"))
        self.model_id = model_id


@dataclass(frozen=True)
class Family:
    """One InvokeModel request/response format, as a row of the table."""

    name: str
    label: str
    provider_ref: str  # module in core/providers, or module:attribute
    id_prefixes: tuple[str, ...] = ()
    converse_system: bool = True
    reasoning: str = "none"  # none | thinking-blocks | tag:NAME | reasoning-content
    temperature_max: float = 1.0  # the family's temperature range is 0 to this
    tiers: tuple[str, ...] = ()  # the service tiers its current models take (() : only the default, none sent)
    caching: bool = False  # its models take prompt-cache points
    cache_ttls: tuple[str, ...] = ("5m",)
    cache_read_price: float = 1.0  # a cached input token's price, as a share of the input price
    cache_write_price_5m: float = 1.0  # a token written to the 5-minute cache, as a share of the input price
    cache_write_price_1h: float = 1.0

    @property
    def provider(self) -> Provider:
        return _provider(self.provider_ref)

    @property
    def reasoning_tag(self) -> str | None:
        """The tag reasoning arrives in inside the answer text (gpt-oss `reasoning`, DeepSeek `think`)."""
        return self.reasoning.removeprefix("tag:") if self.reasoning.startswith("tag:") else None


@dataclass(frozen=True)
class ModelSpec:
    """One row of the table: a model as the lab knows it. Field meanings are documented in models.toml."""

    id: str
    name: str
    vendor: str
    family: str | None = None
    apis: tuple[Api, ...] = ()
    on_demand: bool = True
    profiles: tuple[str, ...] = ()
    context_tokens: int | None = None
    max_output_tokens: int | None = None
    sampling: Sampling = "both"
    thinking: Thinking = "none"
    efforts: tuple[str, ...] = ()
    thinking_required_from: str | None = None
    sampling_free_from: str | None = None
    prefill: bool | None = None
    converse_system: bool | None = None
    streaming: bool = True
    lifecycle: Lifecycle = "active"
    legacy_date: str | None = None
    eol_date: str | None = None
    replacement: str | None = None
    lifecycle_source: str = ""
    price: tuple[float, float] | None = None
    global_price: tuple[float, float] | None = None
    price_source: str = ""
    ttft_ms: float | None = None
    tokens_per_s: float | None = None
    speed_source: str = ""
    tiers: tuple[str, ...] | None = None  # None: the family's
    latency_optimized: bool = False  # takes performanceConfig latency "optimized"
    cache_ttls: tuple[str, ...] | None = None  # None: the family's


@dataclass(frozen=True)
class Table:
    price_table_date: str
    vendors: dict[str, str]
    families: dict[str, Family]
    models: dict[str, ModelSpec]
    defaults: dict[str, Any]
    tier_prices: dict[str, float]  # a service tier's price, as a multiple of the on-demand (default) price


def _row(kind: type[Any], data: dict[str, Any], where: str) -> Any:
    known = {f.name for f in fields(kind)}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"{TABLE_PATH.name}: {where} has unknown fields {sorted(unknown)}")
    return kind(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


@functools.cache
def table() -> Table:
    """The table, read and checked once per process."""
    raw = tomllib.loads(TABLE_PATH.read_text(encoding="utf-8"))
    families = {name: _row(Family, {"name": name, "provider_ref": row.pop("provider"), **row}, f"family {name}")
                for name, row in raw["families"].items()}
    models: dict[str, ModelSpec] = {}
    for row in raw["models"]:
        spec: ModelSpec = _row(ModelSpec, row, f"model {row.get('id')}")
        if spec.family is not None and spec.family not in families:
            raise ValueError(f"{TABLE_PATH.name}: model {spec.id} names an unknown family {spec.family!r}")
        if not spec.apis:
            spec = replace(spec, apis=("invoke", "converse") if spec.family else ("converse",))
        models[spec.id] = spec
    for spec in models.values():
        if spec.replacement is not None and spec.replacement not in models:
            raise ValueError(f"{TABLE_PATH.name}: {spec.id} is replaced by {spec.replacement!r}, not in the table")
    defaults = raw["defaults"]
    for kind, value in defaults.items():
        for model_id in [value] if isinstance(value, str) else value:
            if models[model_id].lifecycle != "active":
                raise ValueError(f"{TABLE_PATH.name}: the {kind} default {model_id} is not an active model")
    return Table(raw["price_table_date"], raw["vendors"], families, models, defaults, raw["pricing"]["tiers"])


@functools.cache
def _provider(ref: str) -> Provider:
    module_name, _, attribute = ref.partition(":")
    module = importlib.import_module(f"core.providers.{module_name}")
    provider: Provider = getattr(module, attribute) if attribute else module
    return provider


PRICE_TABLE_DATE = table().price_table_date


# -- references --------------------------------------------------------------------------------


def base_model_id(model_ref: str) -> str:
    """The foundation model id behind an id, inference profile id or ARN."""
    ref = model_ref.strip()
    if ref.startswith("arn:"):
        # arn:partition:bedrock:region:account:resource-type/id, and the id itself may contain ":"
        ref = ref.split(":", 5)[-1].split("/", 1)[-1]
    prefix, dot, rest = ref.partition(".")
    return rest if dot and prefix in GEOGRAPHIES and "." in rest else ref


def geography_of(model_ref: str) -> str | None:
    """The inference profile geography a reference names (`global`, `us`, ...), or None for a plain id."""
    ref = model_ref.strip()
    if ref.startswith("arn:"):
        ref = ref.split(":", 5)[-1].split("/", 1)[-1]
    prefix, dot, rest = ref.partition(".")
    return prefix if dot and prefix in GEOGRAPHIES and "." in rest else None


@dataclass(frozen=True)
class Model:
    """A model reference resolved against the table: what requests use (`ref`) and every rule about it."""

    ref: str
    base_id: str
    geography: str | None
    spec: ModelSpec | None
    family: Family | None

    @property
    def known(self) -> bool:
        return self.spec is not None

    @property
    def name(self) -> str:
        return self.spec.name if self.spec else self.base_id

    @property
    def vendor(self) -> str:
        if self.spec:
            return self.spec.vendor
        prefix = self.base_id.split(".", 1)[0]
        return table().vendors.get(prefix, prefix or "unknown")

    @property
    def label(self) -> str:
        """"Name · Vendor", as pickers and charts name it: the part that tells models apart comes first, so a
        narrow picker that cuts the end still shows two different models as two different names."""
        return f"{self.name} · {self.vendor}"

    @property
    def apis(self) -> tuple[Api, ...]:
        if self.spec:
            return self.spec.apis
        return ("invoke", "converse") if self.family else ("converse",)

    @property
    def sampling(self) -> Sampling:
        return self.spec.sampling if self.spec else "both"

    @property
    def thinking(self) -> Thinking:
        return self.spec.thinking if self.spec else "none"

    @property
    def efforts(self) -> tuple[str, ...]:
        if self.thinking == "budget":
            return tuple(BUDGET_TOKENS)[:3]
        return self.spec.efforts if self.spec else ()

    @property
    def takes_prefill(self) -> bool:
        if self.spec and self.spec.prefill is not None:
            return self.spec.prefill
        return bool(self.family and self.family.provider.supports_prefill)

    def takes_system(self, api: Api) -> bool:
        if api == "invoke":
            return bool(self.family and self.family.provider.supports_system)
        if self.spec and self.spec.converse_system is not None:
            return self.spec.converse_system
        return self.family.converse_system if self.family else True

    @property
    def temperature_max(self) -> float:
        """The highest temperature the model takes (0 is the lowest); 1 where its family says nothing."""
        return self.family.temperature_max if self.family else 1.0

    @property
    def tiers(self) -> tuple[str, ...]:
        """The service tiers the model takes besides Bedrock's default ("" when only the default is known)."""
        if self.spec is not None and self.spec.tiers is not None:
            return self.spec.tiers
        return self.family.tiers if self.family and self.spec else ()

    @property
    def latency_optimized(self) -> bool:
        return bool(self.spec and self.spec.latency_optimized)

    @property
    def caching(self) -> bool:
        return bool(self.spec and self.family and self.family.caching)

    @property
    def cache_ttls(self) -> tuple[str, ...]:
        """The prompt cache's times to live the model takes (() when it does not cache)."""
        if not self.caching:
            return ()
        assert self.spec is not None and self.family is not None
        return self.spec.cache_ttls if self.spec.cache_ttls is not None else self.family.cache_ttls

    @property
    def context_tokens(self) -> int | None:
        return self.spec.context_tokens if self.spec else None

    @property
    def max_output_tokens(self) -> int | None:
        return self.spec.max_output_tokens if self.spec else None

    @property
    def typical_tokens_per_s(self) -> float | None:
        return self.spec.tokens_per_s if self.spec else None

    @property
    def lifecycle(self) -> Lifecycle:
        return self.spec.lifecycle if self.spec else "active"

    @property
    def replacement(self) -> Model | None:
        """The current model that replaces a Legacy or retired one."""
        return resolve(self.spec.replacement) if self.spec and self.spec.replacement else None

    @property
    def lifecycle_note(self) -> str:
        """"Legacy · end of life 2027-01-08", "end of life 2026-10-14", or "" for an active model."""
        if self.spec is None or self.lifecycle == "active":
            return ""
        date = f" {self.spec.eol_date}" if self.spec.eol_date else ""
        return f"Legacy · end of life{date}" if self.lifecycle == "legacy" else f"end of life{date}"

    @property
    def prices_per_1m_usd(self) -> tuple[float, float] | None:
        """(input, output) US dollars per 1M tokens for this reference (`global.` profiles are priced apart)."""
        if self.spec is None:
            return None
        if self.geography == "global" and self.spec.global_price is not None:
            return self.spec.global_price
        return self.spec.price or self.spec.global_price

    def cost_usd(self, input_tokens: int | None, output_tokens: int | None, *, cache_read_tokens: int | None = None,
                 cache_write_tokens: int | None = None, cache_ttl: str | None = None,
                 service_tier: str | None = None) -> float | None:
        """Estimated cost of one request; None when the price or a token count is unknown.

        `input_tokens` is all the input, cached or not: the part read from the prompt cache and the part
        written to it are priced at the family's cache shares of the input price, the rest at the input
        price; the served tier multiplies it all (priority costs more, flex less).
        """
        prices = self.prices_per_1m_usd
        if prices is None or input_tokens is None or output_tokens is None:
            return None
        read, written = cache_read_tokens or 0, cache_write_tokens or 0
        family = self.family
        read_share = family.cache_read_price if family else 1.0
        write_share = (family.cache_write_price_1h if cache_ttl == "1h" else family.cache_write_price_5m) \
            if family else 1.0
        input_usd = (max(0, input_tokens - read - written) + read * read_share + written * write_share) * prices[0]
        tier = table().tier_prices.get(service_tier or "default", 1.0)
        return (input_usd + output_tokens * prices[1]) * tier / 1_000_000

    def invocation_id(self, region: str | None) -> str:
        """The id to call this model with in `region`: profile-only models need a profile of their geography."""
        if self.geography is not None or (self.spec is None or self.spec.on_demand) or not self.spec.profiles:
            return self.ref
        return f"{profile_geography(self.spec.profiles, region)}.{self.base_id}"


def profile_geography(profiles: tuple[str, ...], region: str | None) -> str:
    """The inference profile geography to use from `region`: the region's own where offered, else global."""
    area = (region or "us-east-1").split("-", 1)[0]
    by_area: dict[str, tuple[str, ...]] = {
        "eu": ("eu",), "ap": ("jp", "apac") if (region or "").startswith("ap-northeast-1") else ("apac",)}
    wanted = by_area.get(area, ("us",))
    for geography in (*wanted, "global", *profiles):
        if geography in profiles:
            return geography
    return profiles[0]


@functools.lru_cache(maxsize=4096)
def resolve(model_ref: str) -> Model:
    """The one value for a model reference; UnknownModelError when it is not a Bedrock model reference."""
    ref = model_ref.strip()
    if not ref or any(c.isspace() for c in ref):
        raise UnknownModelError(model_ref)
    if ref.startswith("arn:"):  # arn:partition:bedrock:region:account:resource-type/id, nothing else
        parts = ref.split(":", 5)
        if len(parts) < 6 or parts[2] != "bedrock" or "/" not in parts[5]:
            raise UnknownModelError(model_ref)
    base = base_model_id(ref)
    spec = table().models.get(base)
    if spec is not None:
        family = table().families[spec.family] if spec.family else None
    else:
        family = next((f for f in table().families.values() if base.startswith(f.id_prefixes)), None)
    return Model(ref, base, geography_of(ref), spec, family)


def display_names(model_refs: Iterable[str]) -> dict[str, str]:
    """Each reference's display name, no two alike among these: the table's name ("Claude Sonnet 4.6"), with the
    inference profile's geography where two references name one model ("Claude Sonnet 4.6 (global)"), and the
    reference itself where even that is not enough. A reference that is not a model's is shown as it is."""
    names: dict[str, str] = {}
    for ref in dict.fromkeys(model_refs):
        try:
            names[ref] = resolve(ref).name
        except UnknownModelError:
            names[ref] = ref
    for tell in (geography_of, lambda ref: ref):
        seen = Counter(names.values())
        for ref, name in names.items():
            if seen[name] > 1 and (told := tell(ref)) is not None and told != name:
                names[ref] = f"{name} ({told})"
    return names


def default_model_id(kind: str = "chat") -> str:
    """The table's default model for Chat, the API and its demo (one id)."""
    return str(table().defaults[kind])


def default_model_ids(kind: str) -> tuple[str, ...]:
    """The table's default models for Compare's panels and the quick benchmark, in order."""
    return tuple(table().defaults[kind])


def listed_models() -> tuple[Model, ...]:
    """Every model row of the table, resolved."""
    return tuple(resolve(model_id) for model_id in table().models)


# -- request rules -----------------------------------------------------------------------------


def reasoning_for(model: Model, effort: str | None) -> Reasoning | None:
    """The reasoning ask for an effort level, in the model's own style (None: the model's default)."""
    if effort is None or model.thinking in ("none", "always"):
        return None
    if model.thinking == "budget":
        return Reasoning("budget", effort=effort, budget_tokens=BUDGET_TOKENS.get(effort, MIN_BUDGET_TOKENS))
    return Reasoning("adaptive" if model.thinking == "adaptive" else "effort", effort=effort)


def _at_least(effort: str | None, level: str | None) -> bool:
    if effort is None or level is None or effort not in EFFORT_LEVELS or level not in EFFORT_LEVELS:
        return False
    return EFFORT_LEVELS.index(effort) >= EFFORT_LEVELS.index(level)


def fit_request(model: Model, chat: ChatRequest) -> tuple[ChatRequest, tuple[str, ...]]:
    """The request with only what the model accepts, and a sentence for everything that was left out.

    Sampling: `one` models take temperature or top_p (top_p is dropped when both are set), `none` models
    take neither (effort is their knob); reasoning is put in the model's own style or dropped; a final
    assistant turn is dropped for a model that takes no prefill. Nothing is dropped without a note.
    """
    notes: list[str] = []
    name = model.name
    reasoning = _fit_reasoning(model, chat, notes)
    temperature, top_p = chat.temperature, chat.top_p
    effort = reasoning.effort if reasoning else None
    no_sampling = model.sampling == "none" or _at_least(effort, model.spec.sampling_free_from if model.spec else None)
    if reasoning is not None and reasoning.style == "budget":
        no_sampling = True  # Claude with thinking budget: temperature must stay 1 and top_p near it
    send_max_tokens = not _at_least(effort, model.spec.sampling_free_from if model.spec else None)
    if not send_max_tokens:
        notes.append(f"{model.name} takes no output limit at effort {effort}: max tokens ({chat.max_tokens:,}) was "
                     "not sent, so the model decides the length.")
    sent = [f"{n} {v:g}" for n, v in (("temperature", temperature), ("top_p", top_p)) if v is not None]
    if no_sampling and sent:
        why = ("while it reasons" if model.sampling != "none" else "(effort is its knob)")
        notes.append(f"{name} takes no temperature or top_p {why}: not sent: {', '.join(sent)}.")
        temperature = top_p = None
    elif model.sampling == "one" and temperature is not None and top_p is not None:
        notes.append(f"{name} takes temperature or top_p, not both: top_p {top_p:g} was not sent "
                     f"(temperature {temperature:g} was).")
        top_p = None
    messages = chat.messages
    if messages and messages[-1].role == "assistant" and model.spec and model.spec.prefill is False:
        notes.append(f"{name} cannot continue a partial answer: the final assistant turn was left out.")
        messages = messages[:-1]
    fitted = replace(chat, messages=messages, temperature=temperature, top_p=top_p, reasoning=reasoning,
                     send_max_tokens=send_max_tokens)
    return fitted, tuple(notes)


def _fit_reasoning(model: Model, chat: ChatRequest, notes: list[str]) -> Reasoning | None:
    asked = chat.reasoning
    if asked is None:
        return None
    level = asked.effort or ("high" if asked.budget_tokens else None)
    if model.thinking in ("none", "always"):
        why = "always reasons, with no effort setting" if model.thinking == "always" else "has no reasoning setting"
        notes.append(f"{model.name} {why}: the reasoning effort{f' {level}' if level else ''} was not sent.")
        return None
    if model.thinking == "budget":
        budget = asked.budget_tokens or BUDGET_TOKENS.get(level or "", MIN_BUDGET_TOKENS)
        budget = min(budget, chat.max_tokens - 1)
        if budget < MIN_BUDGET_TOKENS:
            notes.append(f"{model.name} needs max tokens above its thinking budget (at least "
                         f"{MIN_BUDGET_TOKENS + 1:,}): reasoning was not asked for.")
            return None
        return Reasoning("budget", effort=level, budget_tokens=budget)
    efforts = model.efforts
    if level not in efforts:
        chosen = _nearest(level, efforts)
        notes.append(f"{model.name} takes effort {', '.join(efforts)}: {level} was sent as {chosen}.")
        level = chosen
    return Reasoning("adaptive" if model.thinking == "adaptive" else "effort", effort=level)


def _nearest(level: str | None, efforts: tuple[str, ...]) -> str:
    if level not in EFFORT_LEVELS:
        return efforts[len(efforts) // 2]
    wanted = EFFORT_LEVELS.index(level)
    return min(efforts, key=lambda e: abs(EFFORT_LEVELS.index(e) - wanted) if e in EFFORT_LEVELS else 99)


def continuation(chat: ChatRequest, partial: str, used_tokens: int) -> ChatRequest:
    """The same conversation with a partial answer as an assistant prefill, so the model goes on from it."""
    messages = chat.messages if chat.messages[-1].role == "user" else chat.messages[:-1]
    return replace(chat, messages=(*messages, Message("assistant", partial)),
                   max_tokens=max(1, chat.max_tokens - used_tokens))


# -- what a backend lists ----------------------------------------------------------------------


@dataclass(frozen=True)
class ModelInfo:
    """A model as the backend lists it (ListFoundationModels), with the table's knowledge of it."""

    model_id: str
    name: str
    provider: str
    streaming: bool
    inference_types: tuple[str, ...]
    listed_status: str = "ACTIVE"  # modelLifecycle.status: ACTIVE | LEGACY

    @property
    def model(self) -> Model:
        return resolve(self.model_id)

    @property
    def needs_inference_profile(self) -> bool:
        return "ON_DEMAND" not in self.inference_types

    @property
    def lifecycle(self) -> Lifecycle:
        """The table's word where it knows the model (it may know of a retirement first), else the listing's."""
        table_says = self.model.lifecycle
        if table_says == "active" and self.listed_status == "LEGACY":
            return "legacy"
        return table_says

    @property
    def label(self) -> str:
        """"Name · Provider", and the lifecycle of a model that is not active, as the pickers show it."""
        note = self.model.lifecycle_note if self.lifecycle == self.model.lifecycle else "Legacy"
        return f"{self.name} · {self.provider}" + (f" ({note})" if note else "")

    @property
    def context_tokens(self) -> int | None:
        return self.model.context_tokens

    @property
    def max_output_tokens(self) -> int | None:
        return self.model.max_output_tokens


def invocation_id(model: ModelInfo, region: str | None) -> str:
    """The id to call a listed model with: profile-only models need their geography's inference profile."""
    if not model.needs_inference_profile:
        return model.model_id
    spec = model.model.spec
    profiles = spec.profiles if spec and spec.profiles else ("us", "eu", "apac", "global")
    return f"{profile_geography(profiles, region)}.{model.model_id}"


def list_text_models(control_client: Any, *, include_retired: bool = False) -> list[ModelInfo]:
    """Text-output foundation models from `bedrock:ListFoundationModels`, sorted by vendor and name.

    Each model is named as the table names it (so a picker, a chart and a table agree), else as the listing
    does; names the listing gives to several models (Bedrock calls two Claude versions "Claude") get the id's
    version, so no two models share a name. Models the table knows to have reached end of life are left out
    unless `include_retired`."""
    summaries = control_client.list_foundation_models(byOutputModality="TEXT")["modelSummaries"]
    models = []
    for s in summaries:
        model_id = s["modelId"]
        name = str(s.get("modelName") or model_id)
        if model_id in table().models:
            name = table().models[model_id].name
        info = ModelInfo(model_id, name, s.get("providerName", "?"),
                         bool(s.get("responseStreamingSupported", False)), tuple(s.get("inferenceTypesSupported", ())),
                         str(s.get("modelLifecycle", {}).get("status", "ACTIVE")))
        if include_retired or info.lifecycle != "end-of-life":
            models.append(info)
    return sorted(_distinct_names(models), key=lambda m: (m.provider.lower(), m.name.lower(), m.model_id))


def _distinct_names(models: list[ModelInfo]) -> list[ModelInfo]:
    """The models, each shared name followed by what its id says beyond the vendor ("Claude (claude-v2:1)")."""
    seen: dict[str, int] = {}
    for m in models:
        seen[m.name.lower()] = seen.get(m.name.lower(), 0) + 1
    return [replace(m, name=f"{m.name} ({m.model_id.split('.', 1)[-1]})") if seen[m.name.lower()] > 1 else m
            for m in models]


def preferred_index(models: list[ModelInfo], kind: str = "chat") -> int:
    """Where the table's default model stands in a listing (0 when the backend does not offer it)."""
    wanted = default_model_id(kind)
    return next((i for i, m in enumerate(models) if m.model_id == wanted), 0)


_PARAMETERS = {"both": "temperature, top_p", "one": "temperature or top_p", "none": "none (effort)"}


# what a PM compares first (name, limits, prices) before what an engineer looks up (rules, the id)
MODEL_COLUMNS = ("Model", "Provider", fmt.label("context_tokens"), fmt.label("max_output_tokens"),
                 fmt.label("price_input"), fmt.label("price_output"), "Streaming", "Invocation", "Lifecycle",
                 "Sampling", "Reasoning", "Model ID")


def models_frame(models: list[ModelInfo]) -> pd.DataFrame:
    """One row per model, with the columns the Models page shows, its numbers as text in the one format
    ("200,000", "$3.00", "—"): Streamlit draws a missing number as "None" whatever a Styler says."""
    import pandas as pd  # here, not at import: the emulator and the CLI load this module without pandas

    rows = []
    for m in models:
        model, prices = m.model, m.model.prices_per_1m_usd
        rows.append(dict(zip(MODEL_COLUMNS, (
            m.name, m.provider, fmt.count(m.context_tokens), fmt.count(m.max_output_tokens),
            fmt.price_per_1m(prices[0] if prices else None), fmt.price_per_1m(prices[1] if prices else None),
            m.streaming,
            "inference profile" if m.needs_inference_profile else "on demand",
            {"active": "Active", "legacy": "Legacy", "end-of-life": "End of life"}[m.lifecycle]
            + (f" (ends {model.spec.eol_date})" if model.spec and model.spec.eol_date and m.lifecycle != "active"
               else ""),
            _PARAMETERS[model.sampling], model.thinking, m.model_id), strict=True)))
    return pd.DataFrame(rows, columns=list(MODEL_COLUMNS))


# -- docs/models.md ----------------------------------------------------------------------------


def _cell(value: object) -> str:
    if value is None or value == "" or value == ():
        return "—"
    if isinstance(value, tuple):
        return ", ".join(map(str, value))
    if isinstance(value, int):
        return f"{value:,}"
    return str(value).replace("|", "\\|")


def _price(prices: tuple[float, float] | None) -> str:
    return f"${prices[0]:g} / ${prices[1]:g}" if prices else "—"


def markdown() -> str:
    """docs/models.md: every model of the table with its family, APIs, rules, lifecycle, prices and speeds."""
    t = table()
    lines = [
        "# Models the lab knows",
        "",
        "Generated from `core/models.toml` by `python -m core models --markdown > docs/models.md`; a test fails",
        "when this file is stale. Models Bedrock lists that are not here still work through Converse (neutral",
        "parameter rules, no price, no typical speed).",
        "",
        f"Prices: US dollars per 1M input / output tokens, on demand, as of {t.price_table_date}; \"regional\" is",
        "on-demand or a regional profile (`us.`, `eu.`, ...), \"global\" the `global.` profile. Sampling: `both`",
        "(temperature and top_p), `one` (temperature or top_p), `none` (neither; effort is the knob).",
        "",
        "| Model | ID | Family | APIs | Profiles | Context / output | Sampling | Reasoning | Prefill | "
        "Lifecycle | Replaced by | Price regional | Price global | TTFT / rate |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for spec in t.models.values():
        model = resolve(spec.id)
        reasoning = spec.thinking + (f" ({', '.join(model.efforts)})" if model.efforts else "")
        lifecycle = spec.lifecycle + (f" {spec.eol_date}" if spec.eol_date else "")
        limits = f"{_cell(spec.context_tokens)} / {_cell(spec.max_output_tokens)}"
        profiles = ("on demand" + (", " if spec.profiles else "") if spec.on_demand else "") + ", ".join(spec.profiles)
        speed = f"{spec.ttft_ms:g} ms / {spec.tokens_per_s:g} tok/s" if spec.ttft_ms and spec.tokens_per_s else "—"
        replacement = model.replacement.name if model.replacement else None
        lines.append(f"| {spec.name} | `{spec.id}` | {_cell(spec.family)} | {_cell(spec.apis)} | {profiles} | {limits} "
                     f"| {spec.sampling} | {reasoning} | {'yes' if model.takes_prefill else 'no'} | {lifecycle} "
                     f"| {_cell(replacement)} | {_price(spec.price)} | {_price(spec.global_price)} | {speed} |")
    lines += ["", "## Families", "", "| Family | Format | Provider module | Reasoning arrives as |",
              "|---|---|---|---|"]
    for family in t.families.values():
        lines.append(f"| `{family.name}` | {family.label} | `core/providers/{family.provider_ref.split(':')[0]}.py` "
                     f"| {family.reasoning} |")
    lines += ["", "## Sources", "", "| Model | Lifecycle | Price | Speed |", "|---|---|---|---|"]
    for spec in t.models.values():
        lines.append(f"| {spec.name} | {_cell(spec.lifecycle_source)} | {_cell(spec.price_source)} "
                     f"| {_cell(spec.speed_source)} |")
    lines += ["", "Source names: `2026` and `wire` are the project's shared Bedrock references (bedrock-2026.md, "
              "bedrock-wire.md), which cite their own sources; `pricing` is the AWS Amazon Bedrock pricing page on "
              "the price table's date; `inferred` figures are carried over from the predecessor named.", ""]
    return "\n".join(lines)
