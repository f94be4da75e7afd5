"""The sidebar's model picker and parameters follow the model table: the default model, sampling controls by
the model's rule (both, one of the two, none), reasoning effort where the model takes one, and Legacy models
marked and warned about. What a model cannot take is left out of the request, and the answer says so."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest

from core import catalog
from core.history import History
from core.settings import sampling_help
from tests.pages.conftest import chat_entry

from .. import models
from .conftest import first_run, open_page

APP = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")
SESSION = "sidebar-models-session"


def open_app(model_id: str | None = None, **state: Any) -> AppTest:
    """The app's first run (Chat), with the sidebar's choices made through session state: AppTest keeps the
    sidebar of the first run only under st.navigation."""
    at = first_run(SESSION, **({"lab_model_id": model_id} if model_id is not None else {}), **state)
    assert not at.exception, at.exception
    return at


def sliders(at: AppTest) -> dict[str, float]:
    return {s.key: s.value for s in at.sidebar.slider if s.key}


def effort_box(at: AppTest) -> Any:
    return next((s for s in at.sidebar.selectbox if s.label == "Reasoning effort"), None)


def send(at: AppTest, text: str) -> dict[str, Any]:
    """Ask the Chat page and return the finished answer's record."""
    at.chat_input(key="chat_input").set_value(text).run()
    assert not at.exception, at.exception
    entry = chat_entry(at)
    assert entry["role"] == "assistant" and entry["status"] == "ok" and not at.chat_message[1].error
    record: dict[str, Any] = entry["record"]
    return record


def test_the_default_model_is_the_tables(history: History) -> None:
    at = open_app()
    assert at.sidebar.selectbox(key="lab_model_id").value == catalog.default_model_id() == models.CHAT.base_id
    assert not at.sidebar.warning  # an active model: no Legacy notice
    record = send(at, "Who is answering?")
    assert record["model_id"] == models.CLAUDE  # called through its inference profile
    assert at.chat_message[1].markdown[0].value.startswith(f"(Emulated answer from {models.CHAT.name}")


def test_compares_four_panels_default_to_the_tables_compare_models(history: History) -> None:
    at = open_page("pages/compare.py", SESSION, compare_mode="models")
    assert not at.exception
    chosen = [at.selectbox(key=f"compare_model_{i}").value for i in range(4)]
    assert chosen == list(catalog.default_model_ids("compare"))
    assert [models.call_id(catalog.resolve(m)) for m in chosen] == list(models.COMPARE)


def test_a_model_that_takes_both_shows_both_sliders() -> None:
    at = open_app(models.FAST)  # Nova Micro: temperature and top_p
    assert catalog.resolve(models.FAST).sampling == "both"
    assert sliders(at) == {"lab_temperature": 0.7, "lab_top_p": 0.9}
    assert not at.sidebar.radio and effort_box(at) is None  # it has no reasoning setting either


def test_a_model_that_takes_no_sampling_shows_no_sliders_and_an_effort_selectbox() -> None:
    model = models.NO_SAMPLING
    at = open_app(model.base_id)
    assert sliders(at) == {} and not at.sidebar.radio  # no temperature, no top_p, nothing to choose between
    assert any(c.value == sampling_help(model) for c in at.sidebar.caption)
    assert "takes no temperature or top_p" in (sampling_help(model) or "")
    effort = effort_box(at)
    assert effort is not None and effort.options == ["Model default", *model.efforts]
    assert effort.value == "Model default"


def test_a_no_sampling_answer_sends_the_chosen_effort_and_no_sampling(history: History) -> None:
    model = models.NO_SAMPLING
    assert "high" in model.efforts
    at = open_app(model.base_id, **{f"lab_effort_{model.thinking}": "high"})
    assert effort_box(at).value == "high"
    record = send(at, "Think about tides, then answer.")
    body = json.loads(record["request_json"])
    assert "temperature" not in body["inferenceConfig"] and "topP" not in body["inferenceConfig"]
    assert body["outputConfig"] == {"effort": "high"}
    assert record["notes"] == []  # nothing was asked that it cannot take


def test_a_model_that_takes_one_sampling_parameter_shows_the_choice_and_one_slider() -> None:
    at = open_app(models.ONE_SAMPLING.base_id)
    (radio,) = at.sidebar.radio
    assert radio.label == "Sample with" and radio.options == ["Temperature", "Top P"] and radio.value == "temperature"
    assert radio.help == sampling_help(models.ONE_SAMPLING) and "not both" in (radio.help or "")
    assert sliders(at) == {"lab_temperature": 0.7}  # temperature until top_p is chosen
    assert sliders(open_app(models.ONE_SAMPLING.base_id, lab_sampling="top_p")) == {"lab_top_p": 0.9}


def test_a_one_sampling_answer_sends_only_the_chosen_parameter(history: History) -> None:
    at = open_app(models.ONE_SAMPLING.base_id, lab_sampling="top_p", lab_top_p=0.5)
    record = send(at, "Say something about kelp.")
    assert json.loads(record["request_json"])["inferenceConfig"] == {"maxTokens": 1024, "topP": 0.5}
    assert record["notes"] == []


def test_a_one_sampling_answer_given_both_parameters_succeeds_and_says_what_was_dropped(history: History) -> None:
    """The sidebar never offers a `one` model both sliders, but Compare's "Same settings for all" hands every
    panel the sidebar's parameters: chosen on a model that takes both, they reach a `one` model too."""
    one = models.ONE_SAMPLING
    at = open_page("pages/compare.py", SESSION, lab_model_id=models.FAST, lab_temperature=0.3, lab_top_p=0.8,
                   compare_mode="models", compare_panels=2, compare_model_0=one.base_id, compare_model_1=models.FAST)
    at.chat_input(key="compare_input").set_value("Both of you, please.").run()
    assert not at.exception and not at.error
    dropped = f"{one.name} takes temperature or top_p, not both: top_p 0.8 was not sent (temperature 0.3 was)."
    assert f":material/info: {dropped}" in [c.value for c in at.caption]  # shown under its panel
    runs = history.runs(session_id=SESSION).set_index("model_id")
    assert set(runs["status"]) == {"ok"}
    assert json.loads(runs.loc[models.call_id(one), "request_json"])["inferenceConfig"] == {
        "maxTokens": 1024, "temperature": 0.3}
    assert json.loads(runs.loc[models.FAST, "request_json"])["inferenceConfig"] == {
        "maxTokens": 1024, "temperature": 0.3, "topP": 0.8}  # the model that takes both got both
    stored = History().get_run(runs.loc[models.call_id(one), "run_id"])
    assert stored is not None and dropped in stored.notes


def test_a_compare_panel_of_its_own_offers_what_its_model_takes() -> None:
    at = open_page("pages/compare.py", SESSION, compare_mode="models", compare_panels=2, compare_same=False,
                   compare_model_0=models.NO_SAMPLING.base_id, compare_model_1=models.ONE_SAMPLING.base_id)
    assert not at.exception
    keys = {s.key for s in at.slider}
    assert not {"compare_0_temperature", "compare_0_top_p"} & keys  # no sampling: no sliders
    assert "compare_1_temperature" in keys and "compare_1_top_p" not in keys  # one of the two
    assert [r.key for r in at.radio] == ["compare_1_sampling"]
    efforts = {s.key for s in at.selectbox if s.label == "Reasoning effort"}
    assert efforts == {f"compare_0_effort_{models.NO_SAMPLING.thinking}",
                       f"compare_1_effort_{models.ONE_SAMPLING.thinking}"}


def test_legacy_models_are_marked_in_the_picker_and_warned_about_when_selected() -> None:
    legacy = models.LEGACY
    assert legacy.spec is not None and legacy.spec.eol_date and legacy.replacement is not None
    at = open_app()
    labels = at.sidebar.selectbox(key="lab_model_id").options
    mark = f"(Legacy · end of life {legacy.spec.eol_date})"
    assert f"{legacy.name} · {legacy.vendor} {mark}" in labels
    assert [label for label in labels if "Legacy" in label] == [f"{legacy.name} · {legacy.vendor} {mark}"]
    retired = f"{models.RETIRED.name} · {models.RETIRED.vendor}"
    assert not [label for label in labels if label == retired or label.startswith(f"{retired} (")]  # not offered
    assert not at.sidebar.warning  # the default model is active

    at = open_app(legacy.base_id)
    assert at.sidebar.selectbox(key="lab_model_id").value == legacy.base_id
    assert [w.value for w in at.sidebar.warning] == [
        f"**{legacy.name} is Legacy.** It reaches end of life on {legacy.spec.eol_date}. "
        f"Plan a move to {legacy.replacement.name}."]


def test_the_temperature_slider_spans_the_range_every_door_accepts_for_the_model_and_api(history: History) -> None:
    """The same bounds as the run, the CLI and the API (core.validation): gpt-oss takes up to 2 through
    InvokeModel, Converse takes 0 to 1 from any model, and a value kept from a wider range is brought within."""
    wide = models.WIDE_TEMPERATURE
    slider = {s.key: s for s in open_app(wide.base_id, lab_api="invoke").sidebar.slider}["lab_temperature"]
    assert (slider.min, slider.max) == (0.0, 2.0)
    slider = {s.key: s for s in open_app(wide.base_id, lab_api="converse").sidebar.slider}["lab_temperature"]
    assert (slider.min, slider.max) == (0.0, 1.0)
    at = open_app(models.CHAT.base_id, lab_api="invoke", lab_temperature=1.5)  # chosen for gpt-oss, then Claude
    assert sliders(at)["lab_temperature"] == 1.0
    record = send(at, "Which temperature did you get?")
    assert record["temperature"] == 1.0 and record["status"] == "ok"
