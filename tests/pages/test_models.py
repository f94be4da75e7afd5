"""The Models page lists what the emulator's ListFoundationModels returns, with filters that work."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

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
    assert list(table.columns) == ["Provider", "Model", "Model ID", "Streaming", "Invocation", "Lifecycle", "Sampling",
                                   "Reasoning", "Context (tokens)", "Max output (tokens)", "Input $/1M (est.)",
                                   "Output $/1M (est.)"]
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


def test_limits_and_dated_price_estimates_are_shown(app: AppTest) -> None:
    table = app.dataframe[0].value
    chat = row(table, models.CHAT.base_id)
    assert models.CHAT.prices_per_1m_usd is not None and models.CHAT.context_tokens
    assert chat["Context (tokens)"] == models.CHAT.context_tokens
    assert chat["Max output (tokens)"] == models.CHAT.max_output_tokens
    assert (chat["Input $/1M (est.)"], chat["Output $/1M (est.)"]) == models.CHAT.prices_per_1m_usd
    assert chat["Output $/1M (est.)"] > chat["Input $/1M (est.)"] > 0
    assert "Input $/1K (est.)" not in table.columns  # prices are per 1M tokens now
    assert any("Prices are estimates" in c.value and "per 1M tokens" in c.value and f"as of {PRICE_TABLE_DATE}"
               in c.value for c in app.caption)
