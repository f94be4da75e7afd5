"""The model table: one value per model reference, the request rules, lifecycle, prices and the docs page."""

from __future__ import annotations

from pathlib import Path

import pytest

from core import catalog
from core.catalog import UnknownModelError, fit_request, reasoning_for, resolve
from core.types import ChatRequest, Message, Reasoning

ROOT = Path(__file__).resolve().parents[2]
ASK = (Message("user", "Why does streaming feel faster?"),)


def _by(predicate: object) -> list[catalog.Model]:
    return [m for m in catalog.listed_models() if predicate(m)]  # type: ignore[operator]


def test_every_reference_form_resolves_to_one_model() -> None:
    spec_id = catalog.default_model_id()
    model = resolve(spec_id)
    for ref in (spec_id, f"global.{spec_id}", f"us.{spec_id}",
                f"arn:aws:bedrock:us-east-1::foundation-model/{spec_id}",
                f"arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.{spec_id}"):
        other = resolve(ref)
        assert other.spec == model.spec and other.family == model.family and other.base_id == spec_id
    assert resolve(f"global.{spec_id}").geography == "global" and resolve(spec_id).geography is None
    assert resolve(spec_id) is resolve(spec_id)  # resolved once, then the same value


def test_ids_without_a_version_suffix_resolve() -> None:
    unsuffixed = _by(lambda m: ":" not in m.base_id)
    assert unsuffixed, "the 2026 lineup has ids without -v1:0"
    for model in unsuffixed:
        assert resolve(f"us.{model.base_id}").spec == model.spec


@pytest.mark.parametrize("ref", ["", "   ", "arn:aws:s3:::bucket/key", "arn:aws:bedrock:us-east-1", "two words"])
def test_what_is_not_a_model_reference_is_refused(ref: str) -> None:
    with pytest.raises(UnknownModelError):
        resolve(ref)


def test_a_model_the_table_does_not_know_still_resolves_neutrally() -> None:
    model = resolve("zai.glm-4.7")
    assert not model.known and model.family is None
    assert model.apis == ("converse",) and model.sampling == "both" and model.thinking == "none"
    assert model.vendor == "Z.AI" and model.name == "zai.glm-4.7"
    assert model.prices_per_1m_usd is None and model.cost_usd(1000, 1000) is None
    assert model.typical_tokens_per_s is None and model.context_tokens is None  # no invented speed or limit


def test_an_unlisted_model_of_a_known_family_can_use_invoke() -> None:
    model = resolve("amazon.titan-text-express-v1")
    assert not model.known and model.family is not None and model.family.name == "titan-text"
    assert "invoke" in model.apis and not model.takes_system("converse")


def test_every_family_row_names_a_provider_module_that_exists() -> None:
    for family in catalog.table().families.values():
        provider = family.provider
        assert callable(provider.build_request) and callable(provider.parse_chunk), family.name


def test_defaults_are_active_models_of_the_table() -> None:
    ids = [catalog.default_model_id("chat"), catalog.default_model_id("api"),
           *catalog.default_model_ids("compare"), *catalog.default_model_ids("bench")]
    for model_id in ids:
        assert resolve(model_id).lifecycle == "active", model_id
    assert len(catalog.default_model_ids("compare")) == 4
    assert len({resolve(m).vendor for m in catalog.default_model_ids("compare")}) == 4  # four vendors side by side


def test_retired_and_legacy_models_name_an_active_replacement() -> None:
    retiring = _by(lambda m: m.lifecycle != "active")
    assert {m.lifecycle for m in retiring} == {"legacy", "end-of-life"}
    for model in retiring:
        assert model.replacement is not None and model.replacement.lifecycle == "active", model.base_id
    legacy = _by(lambda m: m.lifecycle == "legacy")
    assert all(m.lifecycle_note.startswith("Legacy · end of life 20") for m in legacy)


def test_profile_only_models_are_called_through_their_geography() -> None:
    model = resolve("anthropic.claude-sonnet-4-6")
    assert model.invocation_id("us-west-2") == "us.anthropic.claude-sonnet-4-6"
    assert model.invocation_id("eu-central-1") == "eu.anthropic.claude-sonnet-4-6"
    assert model.invocation_id("ap-northeast-1") == "jp.anthropic.claude-sonnet-4-6"
    assert model.invocation_id("ap-southeast-2") == "apac.anthropic.claude-sonnet-4-6"
    us_only = resolve("anthropic.claude-opus-4-1-20250805-v1:0")
    assert us_only.invocation_id("eu-west-1") == "us.anthropic.claude-opus-4-1-20250805-v1:0"
    nova2 = resolve("amazon.nova-2-lite-v1:0")
    assert nova2.invocation_id("eu-west-1") == "global.amazon.nova-2-lite-v1:0"  # no eu. profile: global
    assert resolve("amazon.nova-micro-v1:0").invocation_id("us-east-1") == "amazon.nova-micro-v1:0"  # on demand


def test_global_profiles_are_priced_apart_from_regional_ones() -> None:
    regional, global_ = resolve("us.anthropic.claude-sonnet-4-6"), resolve("global.anthropic.claude-sonnet-4-6")
    assert regional.prices_per_1m_usd is not None and global_.prices_per_1m_usd is not None
    assert regional.prices_per_1m_usd[0] == pytest.approx(global_.prices_per_1m_usd[0] * 1.1)  # 10% more
    cost = global_.cost_usd(1_000_000, 100_000)
    assert cost == pytest.approx(global_.prices_per_1m_usd[0] + global_.prices_per_1m_usd[1] / 10)


# -- request rules: only what the model accepts reaches the wire -----------------------------------


def _chat(**changes: object) -> ChatRequest:
    return ChatRequest(ASK, max_tokens=4096, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize("model", _by(lambda m: m.sampling == "one"), ids=lambda m: m.base_id)
def test_one_sampling_models_never_get_both(model: catalog.Model) -> None:
    fitted, notes = fit_request(model, _chat(temperature=0.7, top_p=0.9))
    assert (fitted.temperature, fitted.top_p) == (0.7, None)
    assert any("not both" in n and "top_p 0.9 was not sent" in n for n in notes)
    alone, quiet = fit_request(model, _chat(top_p=0.9))
    assert (alone.temperature, alone.top_p, quiet) == (None, 0.9, ())


@pytest.mark.parametrize("model", _by(lambda m: m.sampling == "none"), ids=lambda m: m.base_id)
def test_no_sampling_models_get_neither(model: catalog.Model) -> None:
    fitted, notes = fit_request(model, _chat(temperature=0.2, top_p=0.5))
    assert fitted.temperature is None and fitted.top_p is None
    assert any("temperature 0.2, top_p 0.5" in n and "not sent" in n for n in notes)


def test_both_sampling_models_keep_both_and_say_nothing() -> None:
    model = resolve("meta.llama4-scout-17b-instruct-v1:0")
    assert fit_request(model, _chat(temperature=0.7, top_p=0.9)) == (_chat(temperature=0.7, top_p=0.9), ())


def test_effort_is_sent_in_each_models_own_style() -> None:
    adaptive = resolve("anthropic.claude-opus-4-8")
    assert reasoning_for(adaptive, "xhigh") == Reasoning("adaptive", effort="xhigh")
    budget = resolve("anthropic.claude-haiku-4-5-20251001-v1:0")
    assert reasoning_for(budget, "medium") == Reasoning("budget", effort="medium", budget_tokens=4096)
    nova2 = resolve("amazon.nova-2-lite-v1:0")
    assert reasoning_for(nova2, "low") == Reasoning("effort", effort="low")
    assert reasoning_for(resolve("meta.llama4-scout-17b-instruct-v1:0"), "high") is None
    assert reasoning_for(adaptive, None) is None


def test_an_effort_the_model_lacks_is_sent_as_the_nearest_with_a_note() -> None:
    gpt_oss = resolve("openai.gpt-oss-120b-1:0")
    fitted, notes = fit_request(gpt_oss, _chat(reasoning=Reasoning("adaptive", effort="max")))
    assert fitted.reasoning == Reasoning("effort", effort="high")
    assert notes == ("gpt-oss-120b takes effort low, medium, high: max was sent as high.",)


def test_reasoning_for_a_model_without_it_is_dropped_with_a_note() -> None:
    fitted, notes = fit_request(resolve("deepseek.r1-v1:0"), _chat(reasoning=Reasoning("effort", effort="low")))
    assert fitted.reasoning is None and "always reasons" in notes[0]


def test_a_thinking_budget_fits_under_max_tokens_and_sampling_stays_out() -> None:
    model = resolve("anthropic.claude-sonnet-4-5-20250929-v1:0")
    fitted, notes = fit_request(model, ChatRequest(ASK, max_tokens=3000, temperature=0.3,
                                                   reasoning=reasoning_for(model, "high")))
    assert fitted.reasoning == Reasoning("budget", effort="high", budget_tokens=2999)
    assert fitted.temperature is None and any("while it reasons" in n for n in notes)
    small, why = fit_request(model, ChatRequest(ASK, max_tokens=800, reasoning=reasoning_for(model, "low")))
    assert small.reasoning is None and "thinking budget" in why[0]


def test_nova2_at_high_effort_takes_no_sampling_parameters() -> None:
    model = resolve("amazon.nova-2-lite-v1:0")
    low, _ = fit_request(model, _chat(temperature=0.5, reasoning=reasoning_for(model, "low")))
    high, notes = fit_request(model, _chat(temperature=0.5, reasoning=reasoning_for(model, "high")))
    assert low.temperature == 0.5 and high.temperature is None and notes


def test_a_prefill_is_left_out_for_a_model_that_takes_none() -> None:
    model = resolve("anthropic.claude-fable-5")
    chat = ChatRequest((*ASK, Message("assistant", "Because")), max_tokens=100)
    fitted, notes = fit_request(model, chat)
    assert fitted.messages == ASK and "cannot continue a partial answer" in notes[0]
    assert resolve("anthropic.claude-sonnet-4-6").takes_prefill


# -- docs/models.md -----------------------------------------------------------------------------


def test_docs_models_md_is_generated_from_the_table() -> None:
    written = (ROOT / "docs" / "models.md").read_text(encoding="utf-8")
    assert written == catalog.markdown(), "docs/models.md is stale: run `python -m core models --markdown > " \
                                          "docs/models.md`"
    for spec in catalog.table().models.values():
        assert f"`{spec.id}`" in written


def test_the_table_refuses_a_row_with_an_unknown_field(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = tmp_path / "models.toml"
    broken.write_text(catalog.TABLE_PATH.read_text(encoding="utf-8").replace(
        'name = "Nova Micro"', 'name = "Nova Micro"\nspeed = 3'), encoding="utf-8")
    monkeypatch.setattr(catalog, "TABLE_PATH", broken)
    catalog.table.cache_clear()
    try:
        with pytest.raises(ValueError, match="unknown fields \\['speed'\\]"):
            catalog.table()
    finally:
        monkeypatch.undo()
        catalog.table.cache_clear()


def _listing(*summaries: dict[str, object]) -> object:
    """A real bedrock control-plane client answering ListFoundationModels with these summaries (Stubber)."""
    import boto3
    from botocore.stub import Stubber

    client = boto3.client("bedrock", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(client)
    stub.add_response("list_foundation_models", {"modelSummaries": [
        {"modelArn": f"arn:aws:bedrock:us-east-1::foundation-model/{s['modelId']}", "providerName": "Anthropic",
         "inputModalities": ["TEXT"], "outputModalities": ["TEXT"], "responseStreamingSupported": True,
         "inferenceTypesSupported": ["ON_DEMAND"], **s} for s in summaries]}, {"byOutputModality": "TEXT"})
    stub.activate()
    return client


def test_no_two_listed_models_share_a_name_or_a_label() -> None:
    known = resolve(catalog.default_model_id())
    # Bedrock names two Claude versions just "Claude"; a picker showed "Anthropic · Claude" twice
    listed = catalog.list_text_models(_listing(
        {"modelId": "anthropic.claude-v2", "modelName": "Claude"},
        {"modelId": "anthropic.claude-v2:1", "modelName": "Claude"},
        {"modelId": known.base_id, "modelName": "Claude (listed under another name)"}))
    names = {m.model_id: m.name for m in listed}
    assert names == {"anthropic.claude-v2": "Claude (claude-v2)", "anthropic.claude-v2:1": "Claude (claude-v2:1)",
                     known.base_id: known.name}  # the table's name wins, so the picker, the charts and tables agree
    labels = [m.label for m in listed]
    assert len(set(labels)) == len(labels)
    assert next(m for m in listed if m.model_id == known.base_id).label == known.label


def test_labels_lead_with_what_tells_models_apart() -> None:
    # a narrow picker cuts a label's end ("Anthropic · Claude…" twice): the name comes first, the vendor after
    for model in catalog.listed_models():
        assert model.label == f"{model.name} · {model.vendor}"
    assert len({m.name for m in catalog.listed_models()}) == len(catalog.listed_models())


def test_display_names_tell_every_reference_apart() -> None:
    chat = resolve(catalog.default_model_id())
    other = next(m for m in catalog.listed_models() if m.name != chat.name)
    names = catalog.display_names([f"us.{chat.base_id}", f"global.{chat.base_id}", other.base_id, "zai.glm-4.7"])
    assert names == {f"us.{chat.base_id}": f"{chat.name} (us)", f"global.{chat.base_id}": f"{chat.name} (global)",
                     other.base_id: other.name, "zai.glm-4.7": "zai.glm-4.7"}  # unknown: its id, not a guess
    assert catalog.display_names([f"us.{chat.base_id}"]) == {f"us.{chat.base_id}": chat.name}  # alone: just the name
