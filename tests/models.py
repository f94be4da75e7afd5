"""The models tests use, chosen from the model table (core/models.toml) by what they must be, never by id.

A test that needs "a current Claude", "a model that reasons" or "a retired model" takes it from here, so a
change of lineup is one edit in the table, and no test helper names a model.
"""

from __future__ import annotations

from collections.abc import Callable

from core import catalog
from core.catalog import Model
from core.emulator import models as emulated

REGION = "us-east-1"


def _first(predicate: Callable[[Model], bool], what: str) -> Model:
    for model in catalog.listed_models():
        if predicate(model):
            return model
    raise LookupError(f"the model table has no {what}")


def call_id(model: Model) -> str:
    """The id a request uses for the model in the test region (a profile id for profile-only models)."""
    return model.invocation_id(REGION)


def _active(model: Model) -> bool:
    return model.lifecycle == "active"


def _priced(model: Model) -> bool:
    return _active(model) and model.prices_per_1m_usd is not None


CHAT = catalog.resolve(catalog.default_model_id())  # the app's default: a current Claude, profile only
CLAUDE = call_id(CHAT)
ON_DEMAND = call_id(catalog.resolve(catalog.default_model_id("api")))  # callable by its own id
FAST = ON_DEMAND
COMPARE = tuple(call_id(catalog.resolve(m)) for m in catalog.default_model_ids("compare"))
BENCH = tuple(call_id(catalog.resolve(m)) for m in catalog.default_model_ids("bench"))
LEGACY = _first(lambda m: m.lifecycle == "legacy", "Legacy model")
RETIRED = _first(lambda m: m.lifecycle == "end-of-life" and m.family is not None, "retired model")
PROFILE_ONLY = CHAT.base_id  # its bare id is refused on demand
REASONING_TAG = _first(lambda m: _priced(m) and m.family is not None and m.family.reasoning_tag is not None
                       and m.thinking == "effort", "model with reasoning in tags")
NO_SAMPLING = _first(lambda m: _active(m) and m.sampling == "none", "model that takes no sampling parameters")
ONE_SAMPLING = _first(lambda m: _active(m) and m.sampling == "one", "model that takes temperature or top_p")
TIERED = _first(lambda m: _priced(m) and bool(m.tiers) and m.latency_optimized and m.caching,
               "model with service tiers, latency-optimized inference and caching")
PLAIN_SERVING = _first(lambda m: _priced(m) and not m.tiers and not m.latency_optimized and not m.caching
                       and m.family is not None, "model with none of tiers, latency modes and caching")
TIERED_REASONER = _first(lambda m: _priced(m) and bool(m.tiers) and len(m.efforts) > 1
                         and bool(m.spec and m.spec.on_demand), "on-demand model with tiers and efforts")
SILENT_REASONER = _first(lambda m: _priced(m) and m.thinking == "effort" and m.family is not None
                         and m.family.reasoning == "reasoning-content", "model that reasons without showing it")
WIDE_TEMPERATURE = _first(lambda m: _priced(m) and m.sampling == "both" and m.temperature_max > 1
                          and m.spec is not None and m.spec.on_demand, "model that takes a temperature above 1")
# Listed by the emulator but unknown to the table, with no InvokeModel family: the Converse-only path.
UNKNOWN_TO_TABLE = next(m.model_id for m in emulated.MODELS if m.streaming and m.on_demand
                        and not catalog.resolve(m.model_id).known and catalog.resolve(m.model_id).family is None)
NOT_STREAMING = next(m.model_id for m in emulated.MODELS if not m.streaming)  # the emulator's demo of one


def family_models() -> dict[str, str]:
    """One priced, active model per InvokeModel family that has one, as requests call it."""
    chosen: dict[str, str] = {}
    defaults = [catalog.resolve(m) for m in (catalog.default_model_id(), *catalog.default_model_ids("bench"))]
    for model in (*defaults, *catalog.listed_models()):
        if _priced(model) and model.family is not None and "invoke" in model.apis:
            chosen.setdefault(model.family.name, call_id(model))
    return chosen


FAMILY_MODELS = family_models()
