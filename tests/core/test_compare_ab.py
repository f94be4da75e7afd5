"""core.compare's A/B on one lever and its effort sweep: the headline's arithmetic and wording against
hand-computed records (served-vs-asked included), the levers a model takes, panels that differ only by the
lever, the sweep's table and chart, and an effort and a cache A/B over real HTTP on the emulator."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from core import answers, catalog, charts, compare, validation
from core.catalog import Model, ModelInfo
from core.history import records_frame
from core.metrics import estimate_tokens
from core.settings import LabSettings
from core.types import CachePlan, Message, RunRecord

from ..conftest import client_for
from ..models import CHAT, CLAUDE, REGION


def record(run_id: str, *, model_id: str = CLAUDE, status: str = "ok", **fields: Any) -> RunRecord:
    return RunRecord(run_id=run_id, started_utc="2026-11-21T10:00:00+00:00", model_id=model_id,
                     provider="Anthropic", api="converse", mode="stream", backend="emulator",
                     status=status, **fields)  # type: ignore[arg-type]


def first(predicate: Any, what: str) -> Model:
    for model in catalog.listed_models():
        if model.lifecycle == "active" and model.spec is not None and predicate(model):
            return model
    raise LookupError(f"the model table has no active model that {what}")


def settings(model: Model, **changes: Any) -> LabSettings:
    info = ModelInfo(model.base_id, model.name, model.vendor, True, ("INFERENCE_PROFILE",))
    base = LabSettings("emulator", REGION, None, info, "converse", True, "Be brief.", 1024, None, None, ())
    return dataclasses.replace(base, **changes)


# -- the headline ----------------------------------------------------------------------------------


def test_a_priority_tier_headline_gives_the_wait_the_rate_and_the_price() -> None:
    default = record("a", ttft_ms=900, e2e_ms=3000, tokens_per_s=50, cost_usd=0.004, service_tier="default",
                     service_tier_served="default")
    priority = record("b", ttft_ms=500, e2e_ms=2100, tokens_per_s=62.5, cost_usd=0.007, service_tier="priority",
                      service_tier_served="priority")
    assert compare.ab_headline("tier", "default", default, "priority", priority) == (
        "Priority tier: first words 0.4 s sooner, decodes 1.25x as fast, 1.75x the price")
    flex = record("c", ttft_ms=2100, e2e_ms=6000, tokens_per_s=40, cost_usd=0.002, service_tier="flex",
                  service_tier_served="flex")
    assert compare.ab_headline("tier", "default", default, "flex", flex) == (
        "Flex tier: first words 1.2 s later, decodes 20% slower, 50% cheaper")


def test_the_headline_says_when_bedrock_served_something_else_than_asked() -> None:
    default = record("a", ttft_ms=900, tokens_per_s=50, cost_usd=0.004, service_tier_served="default")
    fell_back = record("b", ttft_ms=880, tokens_per_s=51, cost_usd=0.004, service_tier="priority",
                       service_tier_served="default")  # priced as served: the same
    assert compare.ab_headline("tier", "default", default, "priority", fell_back) == (
        "Priority tier: first words 20 ms sooner, the same price; asked priority, served default")
    unsaid = [dataclasses.replace(r, service_tier_served=None) for r in (default, fell_back)]
    assert compare.ab_headline("tier", "default", unsaid[0], "priority", unsaid[1]) == (
        "Priority tier: first words 20 ms sooner, the same price; the served tier was not reported")  # said once
    standard = record("c", ttft_ms=700, tokens_per_s=60, cost_usd=0.003, latency_served="standard")
    quota_out = record("d", ttft_ms=700.2, tokens_per_s=60, cost_usd=0.003, latency="optimized",
                       latency_served="standard")
    assert compare.ab_headline("latency", "standard", standard, "optimized", quota_out) == (
        "Optimized latency: first words at the same time, the same price; asked optimized, served standard")
    odd_baseline = dataclasses.replace(standard, latency_served="optimized")
    optimized = dataclasses.replace(quota_out, latency_served="optimized")
    assert compare.ab_headline("latency", "standard", odd_baseline, "optimized", optimized).endswith(
        "; standard latency: asked standard, served optimized")  # the baseline's surprise, named


def test_a_warm_cache_headline_compares_the_input_price() -> None:
    claude = catalog.resolve(CLAUDE).family
    assert claude is not None and (claude.cache_read_price, claude.cache_write_price_5m) == (0.1, 1.25)
    cold = record("a", ttft_ms=1500, input_tokens=5000, cache_write_tokens=4900, cache_read_tokens=0,
                  cache_ttl="5m", cost_usd=0.0)
    warm = record("b", ttft_ms=900, input_tokens=5000, cache_read_tokens=4900, cache_write_tokens=0,
                  cache_ttl="5m", cost_usd=0.0)
    # input in units of one uncached token: cold 100 + 4900 x 1.25 = 6225, warm 100 + 4900 x 0.1 = 590
    assert 1 - 590 / 6225 == pytest.approx(0.9052, abs=1e-4)
    assert compare.ab_headline("cache", "cold", cold, "warm", warm) == (
        "Warm cache: first words 0.6 s sooner, 91% cheaper input")
    missed = dataclasses.replace(warm, ttft_ms=1500, cache_read_tokens=0, cache_write_tokens=4900)
    assert compare.ab_headline("cache", "cold", cold, "warm", missed) == (
        "Warm cache: first words at the same time, the same input price; asked a warm cache, read nothing from it")


def test_an_effort_headline_says_how_much_longer_the_model_thought() -> None:
    low = record("a", ttft_ms=1100, first_reasoning_ms=300, reasoning_ms=800, tokens_per_s=80, cost_usd=0.001)
    high = record("b", ttft_ms=4310, first_reasoning_ms=310, reasoning_ms=4000, tokens_per_s=20, cost_usd=0.0035)
    assert compare.ab_headline("effort", "low", low, "high", high) == (
        "Effort high: first answer token 3.2 s later, thought 3.2 s longer, 3.5x the price")  # no decode clause
    silent = record("c", ttft_ms=400, cost_usd=0.001)
    assert compare.ab_headline("effort", "low", silent, "high", high) == (
        "Effort high: first answer token 3.9 s later, thought for 4.0 s, 3.5x the price")


def test_a_run_that_did_not_finish_ok_is_not_compared() -> None:
    a = record("a", ttft_ms=900, cost_usd=0.004)
    assert compare.ab_headline("tier", "default", a, "priority", record("b", status="error")) == (
        "Priority tier: nothing to compare, this panel failed")
    assert compare.ab_headline("tier", "default", record("c", status="cancelled"), "priority", a) == (
        "Priority tier: nothing to compare, A (default tier) was stopped")


def test_the_figures_table_puts_each_panel_beside_a_with_its_difference() -> None:
    low = record("a", ttft_ms=1916, first_reasoning_ms=515, reasoning_ms=1400, tokens_per_s=376, e2e_ms=3196,
                 cost_usd=0.00029, effort="low")
    high = record("b", ttft_ms=7836, first_reasoning_ms=367, reasoning_ms=7469, tokens_per_s=1082.6, e2e_ms=9204,
                  cost_usd=0.00089, effort="high", reasoning_tokens=1200)
    labels = ["A · Effort low", "B · Effort high", "C · Effort max"]
    table = compare.ab_figures("effort", labels, ["low", "high", "max"], [low, high, record("c", status="error")])
    assert list(table.columns) == ["A · Effort low", "B · Effort high", "C · Effort max"]
    assert table.to_dict("index") == {
        "First answer token": {"A · Effort low": "1.92 s", "B · Effort high": "7.84 s (+5.92 s)",
                               "C · Effort max": "—"},
        "First reasoning": {"A · Effort low": "515 ms", "B · Effort high": "367 ms (-148 ms)", "C · Effort max": "—"},
        "Reasoning": {"A · Effort low": "1.40 s", "B · Effort high": "7.47 s (+6.07 s)", "C · Effort max": "—"},
        "Decode rate": {"A · Effort low": "376 tok/s", "B · Effort high": "1,083 tok/s (2.88x)", "C · Effort max": "—"},
        "E2E": {"A · Effort low": "3.20 s", "B · Effort high": "9.20 s (+6.01 s)", "C · Effort max": "—"},
        "Cost (estimate)": {"A · Effort low": "$0.00029", "B · Effort high": "$0.00089 (3.07x)",
                            "C · Effort max": "—"},
        "Reasoning effort": {"A · Effort low": "low", "B · Effort high": "high, 1,200 reasoning tokens",
                             "C · Effort max": "—"},
    }
    tiers = compare.ab_figures("tier", ["A", "B"], ["default", "priority"], [
        record("a", ttft_ms=900, service_tier_served="default"), record("b", ttft_ms=860, service_tier_served=None)])
    assert list(tiers.index) == ["TTFT", "Decode rate", "E2E", "Cost (estimate)", "Service tier"]
    assert list(tiers.loc["Service tier"]) == ["asked default, served default", "asked priority, served not reported"]
    assert tiers.loc["TTFT", "B"] == "860 ms (-40 ms)"


# -- the levers and the panels ---------------------------------------------------------------------


def test_a_model_is_offered_only_the_levers_the_table_gives_it() -> None:
    levers = compare.levers_for(CHAT, "converse")
    assert levers["effort"] == CHAT.efforts and levers["cache"] == ("cold", "warm")
    assert ("tier" in levers) == bool(CHAT.tiers) and "latency" not in levers
    nova = first(lambda m: m.latency_optimized and m.caching, "has latency-optimized inference and caches")
    assert compare.levers_for(nova, "converse")["latency"] == ("standard", "optimized")
    assert "cache" in compare.levers_for(nova, "converse")
    assert "cache" not in compare.levers_for(nova, "invoke")  # its InvokeModel body has no cache points
    tiered = first(lambda m: m.tiers, "has service tiers")
    assert compare.levers_for(tiered, "converse")["tier"] == ("default", *tiered.tiers)
    plain = first(lambda m: not (m.efforts or m.tiers or m.latency_optimized or m.caching), "takes no lever")
    assert compare.levers_for(plain, "converse") == {}


def test_the_panels_differ_only_by_the_lever() -> None:
    base = settings(CHAT, cache=None)
    for lever, values, field in (("effort", ["low", "high"], "effort"), ("tier", ["default", "priority"],
                                 "service_tier")):
        panels = compare.ab_panels(base, lever, values, "cmp-one")  # type: ignore[arg-type]
        assert [getattr(p, field) for p in panels] == values
        rest = [{k: v for k, v in dataclasses.asdict(p).items() if k != field} for p in panels]
        assert rest[0] == rest[1]
    efforts = compare.ab_panels(base, "effort", ["low", "high"], "cmp-one")
    assert {p.max_tokens for p in efforts} == {1024 + catalog.BUDGET_TOKENS["high"]}  # room for high's thinking
    cold, warm = compare.ab_panels(base, "cache", ["cold", "warm"], "cmp-one")
    assert cold == warm and cold.cache == CachePlan() and cold.system.endswith("\n\nBe brief.")
    assert "cmp-one" in cold.system
    requests = [compare.request_for(p, [Message("user", "hi")], compare_group="cmp-one") for p in (cold, warm)]
    assert requests[0] == requests[1] and requests[0].chat.cache == CachePlan()
    other, _ = compare.ab_panels(base, "cache", ["cold", "warm"], "cmp-two")
    assert other.system != cold.system  # a new comparison's cold panel cannot find the last one's cache
    kept = compare.ab_panels(settings(CHAT, cache=CachePlan(ttl="1h")), "cache", ["cold", "warm"], "cmp-one")
    assert kept[0].cache == CachePlan(ttl="1h")  # the sidebar's cache plan is kept


def test_an_effort_comparison_gets_one_output_limit_with_room_to_think() -> None:
    limit = validation.bounds_for(CHAT).max_tokens[1]
    assert compare.effort_max_tokens(CHAT, 1024, ["low", "high"]) == 1024 + catalog.BUDGET_TOKENS["high"]
    assert compare.effort_max_tokens(CHAT, 1024, ["max"]) == limit  # capped at what the model may write
    assert compare.effort_max_tokens(CHAT, limit, ["low"]) == limit


def test_the_cache_prefix_is_long_enough_to_be_cached_and_its_comparisons_own() -> None:
    prefix = compare.cache_prefix("cmp-abc")
    assert estimate_tokens(prefix) >= compare.CACHE_PREFIX_TOKENS
    assert "cmp-abc" in prefix and prefix == compare.cache_prefix("cmp-abc")


def test_panel_values_start_with_all_of_them_up_to_four() -> None:
    assert compare.default_values(["default", "priority", "flex"]) == ["default", "priority", "flex"]
    assert compare.default_values(list(catalog.EFFORT_LEVELS)) == ["low", "medium", "high", "max"]
    assert [compare.value_label(lever, value) for lever, value in (
        ("effort", "xhigh"), ("tier", "flex"), ("latency", "optimized"), ("cache", "warm"))] == [
        "Effort xhigh", "Flex tier", "Optimized latency", "Warm cache"]


# -- the effort sweep ------------------------------------------------------------------------------


def sweep_runs() -> list[RunRecord]:
    return [record("l1", effort="low", ttft_ms=1000, reasoning_ms=500, cost_usd=0.001),
            record("l2", effort="low", ttft_ms=1200, reasoning_ms=700, cost_usd=0.003),
            record("m1", effort="medium", ttft_ms=2000, reasoning_ms=1500, cost_usd=0.004),
            record("h1", effort="high", ttft_ms=5000, reasoning_ms=4500, cost_usd=0.01),
            record("h2", effort="high", status="error")]


def test_the_sweep_table_has_n_and_p50_per_effort_in_effort_order() -> None:
    table = compare.sweep_table(list(reversed(sweep_runs())))
    assert list(table.index) == ["low", "medium", "high"] and list(table["n"]) == [1 + 1, 1, 1]
    low = table.loc["low"]
    assert (low["first answer token p50 (ms)"], low["reasoning p50 (ms)"]) == (1100, 600)
    assert low["cost p50 (USD)"] == pytest.approx(0.002)
    assert table.loc[["medium", "high"]].drop(columns="n").isna().all().all()  # a p50 needs two runs
    assert compare.sweep_table([]).empty


def test_the_sweep_chart_puts_every_run_against_effort_with_units() -> None:
    runs = sweep_runs()
    chart = charts.effort_sweep(records_frame(runs), compare.sweep_table(runs))
    traces = {(t.name, t.mode): t for t in chart.figure.data}
    assert set(traces) == {("first answer token", "markers"), ("first answer token p50", "lines"),
                           ("reasoning time", "markers"), ("reasoning time p50", "lines"), ("cost", "markers"),
                           ("cost p50", "lines")}
    assert list(traces[("first answer token", "markers")].y) == [1.0, 1.2, 2.0, 5.0]  # seconds, failed run out
    assert traces[("cost", "markers")].yaxis == "y2"
    assert list(traces[("first answer token p50", "lines")].x) == ["low"]  # only where n allows a median
    layout = chart.figure.layout
    assert list(layout.xaxis.categoryarray) == ["low", "medium", "high"]
    assert "seconds" in layout.yaxis.title.text and "(USD)" in layout.yaxis2.title.text
    empty = charts.effort_sweep(records_frame([]), compare.sweep_table([]))
    assert empty.figure.layout.annotations[0].text == "No run finished ok."


# -- over real HTTP ----------------------------------------------------------------------------------


@pytest.fixture()
def client(emulator: Any) -> Any:
    return client_for(emulator.url)


def test_higher_effort_thinks_longer_on_the_emulator(client: Any, control: Any) -> None:
    group = compare.new_group()
    panels = compare.ab_panels(settings(CHAT), "effort", ["low", "high"], group)
    requests = [compare.request_for(p, [Message("user", "Why do queues grow?")], compare_group=group) for p in panels]
    lanes = answers.start_lanes(requests, client=client)
    assert all(lane.join(60) for lane in lanes)
    low, high = (lane.record for lane in lanes)
    assert low is not None and high is not None and low.status == high.status == "ok"
    assert (low.effort, high.effort) == ("low", "high") and low.first_reasoning_ms is not None
    assert len(high.reasoning_text) > len(low.reasoning_text) and high.output_tokens > low.output_tokens  # type: ignore[operator]
    headline = compare.ab_headline("effort", "low", low, "high", high)
    assert headline.startswith("Effort high: first answer token") and "the price" in headline


def test_a_warm_run_reads_what_the_cold_run_wrote_on_the_emulator(client: Any, control: Any) -> None:
    group = compare.new_group()
    cold_settings, warm_settings = compare.ab_panels(settings(CHAT), "cache", ["cold", "warm"], group)
    records = []
    for panel in (cold_settings, warm_settings):  # one after the other, as the page runs them
        (lane,) = answers.start_lanes([compare.request_for(panel, [Message("user", "Sum up the notes.")],
                                                           compare_group=group)], client=client)
        assert lane.join(60) and lane.record is not None and lane.record.status == "ok"
        records.append(lane.record)
    cold, warm = records
    assert cold.cache_write_tokens and not cold.cache_read_tokens
    assert warm.cache_read_tokens == cold.cache_write_tokens and warm.input_tokens == cold.input_tokens
    assert "cheaper input" in compare.ab_headline("cache", "cold", cold, "warm", warm)
