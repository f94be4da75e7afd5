"""The Compare page's A/B and effort sweep through AppTest: only the model's levers are offered, the panels
differ only by the lever, the records carry what each panel asked, and the sweep charts every effort."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
from streamlit.testing.v1 import AppTest

from core import catalog, compare
from core.emulator import models as emulated
from core.history import History

from .. import models
from .conftest import open_page

SESSION = "compare-ab-session"
# Every request field the panels of an A/B share, whatever the lever.
SHARED = ["model_id", "api", "mode", "backend", "system", "max_tokens", "temperature", "top_p", "stop_sequences",
          "effort", "service_tier", "latency", "cache_ttl"]
LEVER_FIELDS = {"effort": "effort", "tier": "service_tier", "latency": "latency", "cache": "cache_ttl"}


def _listed(predicate: Any, what: str) -> str:
    """A model the emulator lists and the table knows, by what it must take (never by id)."""
    for model in catalog.listed_models():
        if model.lifecycle == "active" and model.base_id in emulated.BY_ID and predicate(model):
            return model.base_id
    raise LookupError(f"no listed model that {what}")


LATENCY_MODEL = _listed(lambda m: m.latency_optimized and m.tiers and not m.efforts, "has latency-optimized inference")
# Service tiers where the model table and the emulator both say the model takes them.
TIER_MODEL = catalog.resolve(_listed(lambda m: m.tiers and set(m.tiers) <= set(emulated.BY_ID[m.base_id].tiers),
                                     "has service tiers"))
NO_LEVER_MODEL = _listed(lambda m: not (m.efforts or m.tiers or m.latency_optimized or m.caching), "takes no lever")


def open_ab(**state: Any) -> AppTest:
    return open_page("pages/compare.py", SESSION, compare_mode="ab", **state)


def lever_control(at: AppTest) -> Any:
    (control,) = [w for w in at.get("button_group") if w.label == "Lever"]
    return control


def choose_lever(at: AppTest, lever: str) -> AppTest:
    lever_control(at).set_value(lever).run()
    assert not at.exception, at.exception
    return at


def ask(at: AppTest, prompt: str) -> AppTest:
    at.chat_input(key="compare_input").set_value(prompt).run()
    assert not at.exception, at.exception
    return at


def panel_titles(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith("**") and m.value[2:3] in "ABCD" and " · " in m.value
            and "model ID" not in m.value]  # not the "View API request" expander's operation line


def headlines(at: AppTest) -> list[str]:
    return [h.value for h in at.subheader]


def runs_in_panel_order(history: History) -> pd.DataFrame:
    runs = history.runs(session_id=SESSION)
    assert runs["compare_group"].nunique() == 1 and runs["compare_group"].iloc[0].startswith("cmp-")
    return runs


def assert_only_the_lever_differs(runs: pd.DataFrame, lever: str) -> None:
    shared = [name for name in SHARED if name != LEVER_FIELDS[lever]]
    same = runs[shared].apply(lambda column: column.map(repr)).nunique()  # missing everywhere counts as one value
    assert (same == 1).all(), same[same > 1]


def expected_levers(model: catalog.Model) -> list[str]:
    """The levers the model table says the model takes, in the page's order."""
    takes = {"Reasoning effort": len(model.efforts) > 1, "Service tier": bool(model.tiers),
             "Latency mode": model.latency_optimized, "Prompt cache": model.caching}
    return [name for name, taken in takes.items() if taken]


def test_the_ab_mode_offers_only_the_levers_the_model_takes(history: History) -> None:
    at = open_ab()  # the sidebar's default: a Claude that thinks on a budget and caches
    assert lever_control(at).options == expected_levers(models.CHAT)
    assert {"Reasoning effort", "Prompt cache"} <= set(expected_levers(models.CHAT))
    at = open_ab(lab_model_id=LATENCY_MODEL)
    assert lever_control(at).options == ["Service tier", "Latency mode", "Prompt cache"]
    at = open_ab(lab_model_id=NO_LEVER_MODEL)
    assert "takes none of the levers" in at.warning[0].value
    assert not at.chat_input and not [w for w in at.get("button_group") if w.label == "Lever"]


def test_an_effort_ab_differs_only_by_effort_and_says_what_thinking_changed(history: History) -> None:
    at = open_ab()
    efforts = list(models.CHAT.efforts)
    (panels,) = [w for w in at.multiselect if w.label == "Panels"]
    assert panels.value == efforts  # up to four values: all of them
    ask(at, "Why do queues grow?")
    assert panel_titles(at) == [f"**{'ABCD'[i]} · Effort {effort}**" for i, effort in enumerate(efforts)]
    assert [h.split(":")[0] for h in headlines(at)] == [f"Effort {effort}" for effort in efforts[1:]]
    assert all("first answer token" in h and "thought" in h for h in headlines(at))  # these runs reasoned
    figures = at.table[0].value  # a column per panel, a row per figure that the lever changes
    assert list(figures.columns) == [f"{'ABCD'[i]} · Effort {effort}" for i, effort in enumerate(efforts)]
    assert list(figures.index) == ["First answer token", "First reasoning", "Reasoning", "Decode rate", "E2E",
                                   "Cost (estimate)", "Reasoning effort"]
    assert figures.iloc[-1, 0].startswith(efforts[0]) and "x)" in figures.loc["Cost (estimate)"].iloc[1]
    runs = runs_in_panel_order(history)
    assert sorted(runs["effort"]) == sorted(efforts) and set(runs["status"]) == {"ok"}
    assert_only_the_lever_differs(runs, "effort")
    # one output limit for every panel, with room for the highest effort's thinking budget
    assert set(runs["max_tokens"]) == {1024 + catalog.BUDGET_TOKENS[efforts[-1]]}
    by_effort = runs.set_index("effort")
    assert len(by_effort.loc[efforts[-1], "reasoning_text"]) > len(by_effort.loc[efforts[0], "reasoning_text"])


def test_a_tier_ab_asks_each_tier_and_prices_what_was_served(history: History) -> None:
    at = choose_lever(open_ab(lab_model_id=TIER_MODEL.base_id), "tier")
    tiers = ["default", *TIER_MODEL.tiers]
    ask(at, "Say something about tiers.")
    assert panel_titles(at) == [f"**{'ABCD'[i]} · {tier.capitalize()} tier**" for i, tier in enumerate(tiers)]
    runs = runs_in_panel_order(history)
    assert sorted(runs["service_tier"]) == sorted(tiers) and set(runs["status"]) == {"ok"}
    assert_only_the_lever_differs(runs, "tier")
    by_tier = runs.set_index("service_tier")
    prices = catalog.table().tier_prices
    for tier, headline in zip(tiers[1:], headlines(at), strict=True):
        served = by_tier.loc[tier, "service_tier_served"]
        billed = served if isinstance(served, str) else tier  # the cost follows what Bedrock says it served
        ratio = by_tier.loc[tier, "cost_usd"] / by_tier.loc["default", "cost_usd"]
        assert ratio == prices[billed] / prices[by_tier.loc["default", "service_tier_served"] or "default"]
        assert headline.startswith(f"{tier.capitalize()} tier: first words")
        if not isinstance(served, str):
            assert headline.endswith("; the served tier was not reported")
        elif served != tier:
            assert f"asked {tier}, served {served}" in headline
    served = at.table[0].value.loc["Service tier"]  # what was served, for every panel
    assert [cell.split(",")[0] for cell in served] == [f"asked {tier}" for tier in tiers]
    assert "First reasoning" not in at.table[0].value.index  # nothing reasoned: no reasoning rows


def test_a_cache_ab_sends_one_prefix_twice_warm_after_cold(history: History) -> None:
    at = choose_lever(open_ab(), "cache")
    ask(at, "Summarize the notes.")
    assert panel_titles(at) == ["**A · Cold cache**", "**B · Warm cache**"]
    (headline,) = headlines(at)
    assert headline.startswith("Warm cache: first words")
    cache_row = list(at.table[0].value.loc["Prompt cache"])
    assert all(cell.startswith("read ") and cell.endswith(" tokens") for cell in cache_row)
    runs = runs_in_panel_order(history).sort_values("started_utc")
    assert len(runs) == 2 and set(runs["status"]) == {"ok"} and set(runs["cache_ttl"]) == {"5m"}
    assert_only_the_lever_differs(runs, "cache")
    cold, warm = runs.iloc[0], runs.iloc[1]
    assert cold["compare_group"] in cold["system"]  # the comparison's own prefix: its cold run is really cold
    assert len(cold["system"]) >= compare.CACHE_PREFIX_TOKENS * 4
    started = pd.to_datetime(runs["started_utc"])
    assert started.iloc[1] >= started.iloc[0] + pd.Timedelta(milliseconds=cold["e2e_ms"])  # warm went after cold
    if warm["cache_read_tokens"]:
        assert "cheaper input" in headline
    else:  # an emulator that does not cache yet: the headline says the warm run found nothing
        assert headline.endswith("; asked a warm cache, read nothing from it")


def test_the_effort_sweep_charts_every_effort_with_n_and_p50(history: History) -> None:
    at = open_page("pages/compare.py", SESSION, compare_mode="sweep")
    at.number_input(key="compare_sweep_repeats").set_value(2).run()
    ask(at, "Think about caches.")
    efforts = list(models.CHAT.efforts)
    table = at.dataframe[0].value
    assert list(table.index) == efforts and list(table["n"]) == [2] * len(efforts)
    assert "—" not in set(table["first answer token p50 (ms)"]) | set(table["cost p50 (USD)"])  # two runs: a p50
    assert all(cost.startswith("$") for cost in table["cost p50 (USD)"])
    (chart,) = at.get("plotly_chart")
    spec = json.loads(chart.proto.spec)
    names = [trace["name"] for trace in spec["data"]]
    assert [n for n in names if not n.endswith("p50")] == ["first answer token", "reasoning time", "cost"]
    assert spec["layout"]["yaxis2"]["title"]["text"] == "estimated cost per run (USD)"
    runs = runs_in_panel_order(history)
    assert sorted(runs["effort"]) == sorted(efforts * 2) and set(runs["status"]) == {"ok"}
    assert runs["max_tokens"].nunique() == 1  # the effort is the only difference
    assert any("2 of 2 rounds" in m.value for m in at.markdown)


def test_one_run_per_effort_shows_n_and_leaves_the_median_out(history: History) -> None:
    at = open_page("pages/compare.py", SESSION, compare_mode="sweep")
    at.number_input(key="compare_sweep_repeats").set_value(1).run()
    ask(at, "Once each.")
    table = at.dataframe[0].value
    assert list(table["n"]) == [1] * len(models.CHAT.efforts)
    assert set(table["first answer token p50 (ms)"]) == {"—"}  # a median needs two runs


def test_a_model_without_efforts_has_nothing_to_sweep(history: History) -> None:
    at = open_page("pages/compare.py", SESSION, compare_mode="sweep", lab_model_id=LATENCY_MODEL)
    assert "no reasoning effort to sweep" in at.warning[0].value
    assert not at.chat_input
