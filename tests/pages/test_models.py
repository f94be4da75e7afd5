"""The Models page lists what the emulator's ListFoundationModels returns, with filters that work."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

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


def test_every_provider_and_at_least_25_models_are_listed(app: AppTest) -> None:
    table = app.dataframe[0].value
    assert len(table) >= 25
    assert set(table["Provider"]) == {"Anthropic", "Amazon", "Meta", "Mistral AI", "Cohere", "AI21 Labs"}
    jurassic = table[table["Model ID"] == "ai21.j2-mid-v1"].iloc[0]
    assert not jurassic["Streaming"]
    sonnet4 = table[table["Model ID"] == "anthropic.claude-sonnet-4-20250514-v1:0"].iloc[0]
    assert sonnet4["Invocation"] == "inference profile"


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
    haiku = table[table["Model ID"] == "anthropic.claude-3-haiku-20240307-v1:0"].iloc[0]
    assert haiku["Context (tokens)"] == 200_000 and haiku["Output $/1K (est.)"] > 0
    assert any("Prices are estimates" in c.value and "as of 20" in c.value for c in app.caption)
