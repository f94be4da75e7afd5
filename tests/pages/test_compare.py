"""The Compare page through AppTest: sync vs stream with its chart and repeats, models side by side with
their badges, per-panel settings, a continued conversation, an error in one panel, and the history."""

from __future__ import annotations

import json
from typing import Any

from streamlit.testing.v1 import AppTest

from core.client import emulator_faults
from core.emulator.faults import Fault
from core.history import History

from .. import models
from .conftest import open_page

NAME = models.CHAT.name  # the sidebar's default model
SESSION = "compare-session"


def open_compare(**state: Any) -> AppTest:
    return open_page("pages/compare.py", SESSION, **state)


def ask(at: AppTest, prompt: str) -> AppTest:
    at.chat_input(key="compare_input").set_value(prompt).run()
    assert not at.exception, at.exception
    return at


def panel_titles(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith("**") and " · " in m.value
            and "model ID" not in m.value]  # not the "View API request" expander's operation line


def chart_traces(at: AppTest) -> list[str]:
    (chart,) = at.get("plotly_chart")
    return [trace["name"] for trace in json.loads(chart.proto.spec)["data"]]


def test_sync_and_stream_side_by_side_with_what_the_user_saw(history: History) -> None:
    at = ask(open_compare(), "Why does streaming feel faster?")
    assert panel_titles(at) == [f"**Streaming · {NAME}**", f"**Sync · {NAME}**"]
    headline = at.subheader[0].value  # at time scale 0 either mode may come first, so both wordings
    assert headline.startswith("First words") or headline.startswith("The complete sync answer came")
    assert [m.label for m in at.metric] == ["TTFT", "E2E", "Decode rate",
                                            "Whole answer", "E2E", "Decode rate"]
    assert chart_traces(at) == [f"Streaming · {NAME}", f"Sync · {NAME}"]
    answers = [m.value for m in at.markdown if m.value.startswith("(Emulated answer")]
    assert len(answers) == 2 and answers[0] == answers[1]  # same model, prompt and seed: the same answer
    runs = history.runs(session_id=SESSION)
    assert sorted(runs["mode"]) == ["stream", "sync"] and runs["compare_group"].nunique() == 1
    assert runs["compare_group"].iloc[0].startswith("cmp-")


def test_repeats_give_percentiles_with_n(history: History) -> None:
    at = open_compare()
    at.number_input(key="compare_repeats").set_value(3).run()
    ask(at, "Repeat me.")
    table = at.dataframe[0].value
    assert list(table.index) == ["Stream time to first token (ms)", "Stream end-to-end (ms)", "Sync end-to-end (ms)"]
    assert list(table["n"]) == [3, 3, 3]
    assert (table["p50"] != "—").all() and (table["p90"] == "—").all()  # p90 needs 10 runs: "—", never "None"
    assert any("Over 3 of 3 repeats" in m.value for m in at.markdown)
    runs = history.runs(session_id=SESSION)
    assert len(runs) == 6 and runs["compare_group"].nunique() == 1
    assert (runs["mode"] == "stream").sum() == 3


def test_four_models_stream_side_by_side_with_badges_and_a_chart(history: History) -> None:
    at = open_compare(compare_mode="models")
    ask(at, "Compare yourselves.")
    titles = panel_titles(at)
    assert len(titles) == 4 and len({t.split(" · ")[0] for t in titles}) == 4  # four vendors by default
    badges = " ".join(titles)
    for badge in ("Fastest first token", "Fastest decode", "Cheapest"):
        assert f":green-badge[{badge}]" in badges
    assert len(chart_traces(at)) == 4
    runs = history.runs(session_id=SESSION)
    assert len(runs) == 4 and runs["model_id"].nunique() == 4 and runs["compare_group"].nunique() == 1
    assert set(runs["model_id"]) == set(models.COMPARE)  # the model table's Compare defaults
    assert set(runs["status"]) == {"ok"}
    # a panel whose model reasoned first names its wait the first answer token and times its first reasoning
    reasoned = runs["first_reasoning_ms"].notna().sum()
    assert reasoned and reasoned < 4, runs[["model_id", "first_reasoning_ms"]]
    labels = [m.label for m in at.metric]
    assert labels.count("First reasoning") == reasoned and labels.count("First answer token") >= reasoned
    assert labels.count("TTFT") + labels.count("First answer token") == 4


def test_an_error_in_one_panel_stays_in_that_panel(history: History) -> None:
    throttled, broken = models.COMPARE[:2]  # the first two of the four default panels, as requests call them
    emulator_faults().add(Fault("throttling", model_id=throttled, count=5))
    emulator_faults().add(Fault("stream_error", model_id=broken, after_tokens=8))
    at = open_compare(compare_mode="models")
    ask(at, "Who answers?")
    assert len(at.error) == 2
    assert "throttl" in at.error[0].value.lower() and "Wait" in at.error[0].value
    runs = history.runs(session_id=SESSION).set_index("model_id")
    assert runs.loc[throttled, "status"] == "error"
    assert runs.loc[broken, "status"] == "error"
    assert runs.loc[broken, "text"].startswith("(Emulated answer")  # partial text kept
    assert (runs["status"] == "ok").sum() == 2  # the other panels finished
    first_words = ("TTFT", "first answer token")  # "first answer token" where the model reasoned first
    # failed panels keep their metrics too
    assert len([c for c in at.caption if any(f" · {w} " in c.value for w in first_words)]) == 4


def test_each_panel_can_have_its_own_api_streaming_and_parameters(history: History) -> None:
    at = open_compare(compare_mode="models")
    at.segmented_control(key="compare_panels").set_value(2).run()
    at.toggle(key="compare_same").set_value(False).run()
    at.segmented_control(key="compare_api_0").set_value("invoke").run()
    at.toggle(key="compare_stream_1").set_value(False).run()
    limit_key = next(w.key for w in at.number_input if w.key and w.key.startswith("compare_max_tokens_0_"))
    at.number_input(key=limit_key).set_value(40).run()
    ask(at, "Two ways.")
    runs = history.runs(session_id=SESSION).sort_values("api")
    assert list(runs["api"]) == ["converse", "invoke"]
    first, second = runs.set_index("api").loc["invoke"], runs.set_index("api").loc["converse"]
    assert first["mode"] == "stream" and first["max_tokens"] == 40 and first["output_tokens"] <= 40
    assert second["mode"] == "sync"
    assert "No streaming" not in " ".join(panel_titles(at)) and "· sync" in panel_titles(at)[1]


def test_a_continued_conversation_carries_each_panels_own_turns(history: History) -> None:
    at = open_compare(compare_mode="models")
    at.segmented_control(key="compare_panels").set_value(2).run()
    at.toggle(key="compare_continue").set_value(True).run()
    ask(at, "First question about caches.")
    ask(at, "And the second one?")
    answers = [m.value for m in at.markdown if m.value.startswith("(Emulated answer")]
    assert len(answers) == 2 and all("turn 2" in answer for answer in answers)
    assert any("each panel has 2 earlier turns" in c.value for c in at.caption)  # ready for a third
    at.button(key="compare_new").click().run()
    ask(at, "A fresh start.")
    assert not any("turn 2" in m.value for m in at.markdown if m.value.startswith("(Emulated answer"))


def test_an_empty_prompt_sends_nothing(history: History) -> None:
    at = ask(open_compare(), "   ")
    assert [t.value for t in at.toast] == ["The prompt is empty: type something to compare."]
    assert history.runs(session_id=SESSION).empty


def test_a_model_that_cannot_stream_says_so_in_sync_vs_stream(history: History) -> None:
    at = open_compare(lab_model_id=models.NOT_STREAMING)
    assert "cannot stream" in at.warning[0].value
    assert not at.chat_input


def test_a_suggested_prompt_runs_and_the_picked_winner_is_recorded_with_the_runs(history: History) -> None:
    from core.prompts import SUGGESTED

    at = open_compare()
    at.button_group(key="compare_prompt_use").set_value(SUGGESTED[0].title).run()
    assert not at.exception, at.exception
    assert any(m.value == f"**Prompt:** {SUGGESTED[0].prompt}" for m in at.markdown)
    picks = [b for b in at.button if b.key.startswith("compare_pick_")]
    assert [b.label for b in picks] == ["Pick as winner", "Pick as winner"]
    picks[1].click().run()
    assert not at.exception, at.exception
    runs = history.runs(session_id=SESSION)
    group = runs["compare_group"].iloc[0]
    sync_run = runs.set_index("mode").loc["sync", "run_id"]
    assert history.winner(group) == sync_run  # recorded with the runs
    assert [b.label for b in at.button if b.key.startswith("compare_pick_")] == ["Pick as winner", "Winner"]
