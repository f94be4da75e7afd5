"""The Models page lists what the emulator's ListFoundationModels returns, with filters that work."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from core import catalog
from core import format as fmt
from core.catalog import PRICE_TABLE_DATE
from core.emulator import models as emulated

from .. import models

APP = Path(__file__).resolve().parents[2] / "streamlit_app.py"


@pytest.fixture()
def app(monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("BEDROCK_BACKEND", "emulator")
    return AppTest.from_file(str(APP), default_timeout=30).switch_page("pages/models.py").run()


def test_the_app_starts_on_the_emulator_and_says_answers_are_emulated() -> None:
    app = AppTest.from_file(str(APP), default_timeout=30).run()  # the first run shows the shared sidebar
    assert not app.exception
    assert "Emulator backend" in app.sidebar.info[0].value
    assert any("Emulator: `http://127.0.0.1:" in c.value for c in app.sidebar.caption)


def row(table: Any, model_id: str) -> Any:
    return table[table["Model ID"] == model_id].iloc[0]


def test_every_provider_and_at_least_25_models_are_listed(app: AppTest) -> None:
    table = app.dataframe[0].value
    assert len(table) >= 25
    assert set(table["Model ID"]) == {m.model_id for m in emulated.LISTED}  # everything listed, nothing retired
    assert set(table["Provider"]) == {m.provider for m in emulated.LISTED}
    assert {"Anthropic", "Amazon", "Meta", "Mistral AI", "OpenAI", "DeepSeek"} <= set(table["Provider"])
    assert models.RETIRED.base_id not in set(table["Model ID"])  # end of life: not offered
    assert not row(table, models.NOT_STREAMING)["Streaming"]
    assert row(table, models.PROFILE_ONLY)["Invocation"] == "inference profile"
    assert row(table, models.FAST)["Invocation"] == "on demand"


def test_the_columns_show_lifecycle_sampling_and_reasoning(app: AppTest) -> None:
    table = app.dataframe[0].value
    # what a PM compares first (name, limits, prices) comes first; the id an engineer copies comes last
    assert list(table.columns) == ["Model", "Provider", "Context (tokens)", "Max output (tokens)",
                                   "Input price ($/1M, est.)", "Output price ($/1M, est.)", "Streaming", "Invocation",
                                   "Lifecycle", "Sampling", "Reasoning", "Model ID"]
    assert row(table, models.CHAT.base_id)["Lifecycle"] == "Active"
    assert models.LEGACY.spec is not None and models.LEGACY.spec.eol_date
    assert row(table, models.LEGACY.base_id)["Lifecycle"] == f"Legacy (ends {models.LEGACY.spec.eol_date})"
    assert row(table, models.ONE_SAMPLING.base_id)["Sampling"] == "temperature or top_p"
    assert row(table, models.NO_SAMPLING.base_id)["Sampling"] == "none (effort)"
    assert row(table, models.FAST)["Sampling"] == "temperature, top_p"
    assert row(table, models.NO_SAMPLING.base_id)["Reasoning"] == models.NO_SAMPLING.thinking
    assert row(table, models.FAST)["Reasoning"] == "none"


def test_provider_filter_and_search_narrow_the_list(app: AppTest) -> None:
    total = len(app.dataframe[0].value)
    app.multiselect(key="models_providers").select("Meta").run()
    meta = app.dataframe[0].value
    assert 0 < len(meta) < total and set(meta["Provider"]) == {"Meta"}
    app.text_input(key="models_search").input("llama 4").run()
    found = app.dataframe[0].value
    assert len(found) == 2 and all(name.startswith("Llama 4 ") for name in found["Model"])
    app.text_input(key="models_search").input("no such model").run()
    assert len(app.dataframe[0].value) == 0
    assert any(c.value.startswith(f"0 of {total} models") for c in app.caption)


def test_limits_and_dated_price_estimates_are_shown_as_bedrocks_price_page_does(app: AppTest) -> None:
    table = app.dataframe[0].value
    chat = row(table, models.CHAT.base_id)
    assert models.CHAT.prices_per_1m_usd is not None and models.CHAT.context_tokens
    assert chat["Context (tokens)"] == f"{models.CHAT.context_tokens:,}"  # "200,000", thousands separated
    assert chat["Max output (tokens)"] == f"{models.CHAT.max_output_tokens:,}"
    prices = (chat["Input price ($/1M, est.)"], chat["Output price ($/1M, est.)"])
    assert prices == tuple(f"${p:,.2f}" for p in models.CHAT.prices_per_1m_usd)  # "$1.00", "$5.00" per 1M tokens
    cheap = min((m for m in catalog.listed_models() if m.prices_per_1m_usd and m.base_id in set(table["Model ID"])),
                key=lambda m: m.prices_per_1m_usd[0])  # type: ignore[index]
    assert row(table, cheap.base_id)["Input price ($/1M, est.)"] != "$0.00"  # a sub-cent price keeps its digits
    unpriced = table[table["Model ID"] == models.NOT_STREAMING].iloc[0]  # the table knows no price or window for it
    assert (unpriced["Context (tokens)"], unpriced["Input price ($/1M, est.)"]) == ("—", "—")
    assert not any("None" in str(v) or "nan" in str(v) for v in table.to_numpy().ravel())
    assert any("Prices are estimates" in c.value and "per 1M tokens" in c.value and f"as of {PRICE_TABLE_DATE}"
               in c.value for c in app.caption)


def test_no_two_models_share_a_name_and_the_names_are_the_ones_every_page_uses(app: AppTest) -> None:
    table = app.dataframe[0].value
    assert table["Model"].is_unique
    assert row(table, models.CHAT.base_id)["Model"] == models.CHAT.name  # as the picker and the charts name it
    columns = json.loads(app.dataframe[0].proto.columns)
    for key in ("context_tokens", "max_output_tokens", "price_input", "price_output"):  # explained on hover
        assert columns[fmt.label(key)]["help"] == fmt.help_text(key)
