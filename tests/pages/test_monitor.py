"""The Monitor page through AppTest: empty state, quick benchmark, filters, the runner form, cancel, exports."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core import catalog
from core.charts import WAIT_MODES, model_label
from core.client import emulator_faults
from core.emulator.faults import Fault
from core.history import History
from core.types import RunRecord

from .. import models
from .conftest import open_page

# Three models of three vendors, as requests (and so the history and the runner's picker) call them.
NOVA, HAIKU, LLAMA = models.FAST, models.CLAUDE, models.FAMILY_MODELS["llama3"]
SESSION = "session-under-test"


def open_monitor() -> AppTest:
    return open_page("pages/monitor.py", SESSION)


def finish_job(at: AppTest) -> Any:
    job = at.session_state["monitor_job"]
    assert job.wait(60), "the benchmark did not end"
    at.run()
    return job


def plotly_specs(at: AppTest) -> list[dict[str, Any]]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def trace_names(spec: dict[str, Any]) -> set[str]:
    """The models a chart draws (the perceived-wait chart's key to its two marks left out)."""
    return {trace["name"] for trace in spec["data"]} - {meaning for _, meaning in WAIT_MODES.values()}


def table_with(at: AppTest, column: str) -> pd.DataFrame:
    (table,) = [t.value for t in at.dataframe if column in t.value.columns]
    return table  # type: ignore[no-any-return]


def summary(at: AppTest) -> pd.DataFrame:
    """The table with one row per model."""
    return table_with(at, "Last run (local time)")


def table_models(at: AppTest) -> set[str]:
    return set(summary(at)["Model id"])


def captions(at: AppTest) -> str:
    return " ".join(c.value for c in at.caption)


def adds_up(sentence: str, planned: int) -> bool:
    """Whether "60 runs planned: 52 finished ok, 0 failed, 4 stopped in flight, 4 not started" adds up to plan."""
    found = re.search(r"([\d,]+) runs? planned: ([\d,]+) finished ok, ([\d,]+) failed(?:, ([\d,]+) stopped in "
                      r"flight)?(?:, ([\d,]+) not started)?", sentence)
    assert found, sentence
    counts = [int((n or "0").replace(",", "")) for n in found.groups()]
    return counts[0] == planned == sum(counts[1:])


def seed(history: History) -> None:
    """Twelve runs: three models, this session or another, now or four days ago, ok, error and cancelled."""
    now = datetime.now(UTC)
    rows = [  # model, session, hours ago, status, mode
        (NOVA, SESSION, 1, "ok", "stream"), (NOVA, SESSION, 2, "ok", "stream"), (NOVA, None, 3, "ok", "sync"),
        (NOVA, None, 96, "error", "stream"), (HAIKU, SESSION, 1, "ok", "stream"), (HAIKU, None, 2, "ok", "stream"),
        (HAIKU, None, 3, "cancelled", "stream"), (HAIKU, None, 100, "ok", "sync"), (LLAMA, None, 1, "ok", "stream"),
        (LLAMA, None, 97, "ok", "stream"), (LLAMA, SESSION, 98, "error", "sync"), (LLAMA, None, 99, "ok", "stream"),
    ]
    for i, (model_id, session_id, hours, status, mode) in enumerate(rows):
        history.record_run(RunRecord(
            run_id=f"seed-{i:02d}", started_utc=(now - timedelta(hours=hours)).isoformat(), model_id=model_id,
            provider=model_id.split(".")[0].title(), api="invoke", mode=mode, backend="emulator", status=status,
            ttft_ms=200.0 + i, e2e_ms=1500.0 + i, output_tokens=80, tokens_per_s=60.0, tpot_ms=16.0,
            cost_usd=0.0001, session_id=session_id,
            error_code="ThrottlingException" if status == "error" else None))


def test_an_empty_history_explains_where_data_comes_from(history: History) -> None:
    at = open_monitor()
    assert not at.exception
    assert at.markdown[0].value == "#### No runs yet"
    explanation = at.markdown[1].value
    assert "**Chat** page" in explanation and "python -m core ask" in explanation and "history.sqlite" in explanation
    quick = at.button(key="monitor_quick")
    assert quick.label == "Run a quick benchmark" and not quick.disabled
    assert not at.get("plotly_chart")


def test_the_quick_benchmark_fills_the_charts(history: History) -> None:
    at = open_monitor()
    at.button(key="monitor_quick").click().run()
    job = finish_job(at)
    assert not at.exception and job.failure is None
    assert "Benchmark finished." in at.success[0].value and "60 runs planned: 60 finished ok, 0 failed" in \
        at.success[0].value
    chosen = set(job.spec.model_ids)
    vendors = [models.CHAT.vendor]  # the sidebar's model, then the table's bench defaults of other vendors
    expected = [models.CLAUDE]
    for model_id in models.BENCH:
        vendor = catalog.resolve(model_id).vendor
        if len(expected) < 3 and vendor not in vendors:
            expected.append(model_id)
            vendors.append(vendor)
    assert len(chosen) == 3 and chosen == set(expected)
    runs = history.runs(benchmark_id=job.spec.benchmark_id)
    thinkers = {model_label(m) for m in runs.loc[runs["first_reasoning_ms"].notna(), "model_id"]}
    assert thinkers and thinkers != {model_label(m) for m in chosen}  # gpt-oss shows its reasoning; not all do
    shown = [trace_names(spec) for spec in plotly_specs(at)]
    # seven charts with every model, and the time to first reasoning with the models that showed reasoning; the
    # error chart is not drawn: no run failed, and a line says so
    assert len(shown) == 8 and shown.count({model_label(m) for m in chosen}) == 7 and shown[1] == thinkers
    assert "**Errors per model:** No errors: all 60 finished runs of 3 models ended ok." in captions(at)
    assert table_models(at) == chosen
    assert set(summary(at)["Model"]) == {model_label(m) for m in chosen}  # names, and the id beside
    assert set(summary(at)["Errors"]) == {"no errors"}
    stored = history.runs(benchmark_id=job.spec.benchmark_id)
    assert len(stored) == 60 and set(stored["session_id"]) == {SESSION}
    assert set(stored["mode"]) == {"stream", "sync"} and set(stored["api"]) == {"invoke"}
    assert any(c.value == "60 of 60 runs in this scope match the filters." for c in at.caption)


def test_filters_narrow_every_view(history: History) -> None:
    seed(history)
    at = open_monitor()
    assert not at.exception and table_models(at) == {NOVA, HAIKU, LLAMA}
    assert any(c.value == "12 of 12 runs in this scope match the filters." for c in at.caption)

    at.multiselect(key="monitor_filter_model_ids").select(HAIKU).run()
    assert table_models(at) == {HAIKU}
    assert any(c.value == "4 of 12 runs in this scope match the filters." for c in at.caption)
    assert all(trace_names(spec) <= {model_label(HAIKU)} for spec in plotly_specs(at))

    at.multiselect(key="monitor_filter_model_ids").unselect(HAIKU).run()
    at.multiselect(key="monitor_filter_statuses").select("error").run()
    assert any(c.value == "2 of 12 runs in this scope match the filters." for c in at.caption)
    assert table_with(at, "Metric").empty  # failed runs have no latency percentiles
    failed = summary(at).set_index("Model id")
    assert set(failed["Errors"]) == {"100% (1 of 1, 1 throttled)"} and set(failed["TTFT p50 (ms)"]) == {"—"}
    at.multiselect(key="monitor_filter_statuses").unselect("error").run()

    at.selectbox(key="monitor_range").select("Last 24 hours").run()
    assert any(c.value == "7 of 7 runs in this scope match the filters." for c in at.caption)
    assert at.multiselect(key="monitor_filter_statuses").options == ["cancelled", "ok"]  # from the runs in scope

    at.segmented_control(key="monitor_scope").set_value("This session").run()
    assert any(c.value == "3 of 3 runs in this scope match the filters." for c in at.caption)
    assert table_models(at) == {NOVA, HAIKU}

    at.selectbox(key="monitor_range").select("All time").run()
    at.multiselect(key="monitor_filter_model_ids").select(LLAMA).run()
    at.multiselect(key="monitor_filter_statuses").select("ok").run()
    assert "No run matches these filters" in at.info[0].value


def test_a_shared_history_can_be_filtered_by_person_and_machine(team_history: History) -> None:
    """A team's history: the Person and Machine filters appear once runs come from several, and narrow every view."""
    history = team_history
    seed(history)
    at = open_monitor()
    assert not [w for w in at.multiselect if w.label in ("Person", "Machine")]  # one user on one machine: no filter
    now = datetime.now(UTC)
    for i, (user, host, model_id) in enumerate([("ana", "lab-1", NOVA), ("ana", "lab-1", NOVA),
                                                ("ben", "lab-2", LLAMA), ("ben", "lab-1", HAIKU)]):
        history.record_run(RunRecord(
            run_id=f"team-{i}", started_utc=(now - timedelta(minutes=5 + i)).isoformat(), model_id=model_id,
            provider="x", api="invoke", mode="stream", backend="emulator", status="ok", ttft_ms=300.0 + i,
            e2e_ms=900.0, output_tokens=40, tokens_per_s=80.0, user_name=user, host=host))
    at = open_monitor()
    person, machine = at.multiselect(key="monitor_filter_users"), at.multiselect(key="monitor_filter_hosts")
    assert (person.label, machine.label) == ("Person", "Machine")
    assert {"ana", "ben"} <= set(person.options) and {"lab-1", "lab-2"} <= set(machine.options)
    person.select("ben").run()
    assert any(c.value == "2 of 16 runs in this scope match the filters." for c in at.caption)
    assert table_models(at) == {LLAMA, HAIKU}
    at.multiselect(key="monitor_filter_hosts").select("lab-1").run()
    assert table_models(at) == {HAIKU}  # ben's run on lab-1 only


def test_a_scope_with_no_runs_shows_the_empty_state(history: History) -> None:
    seed(history)
    at = open_monitor()
    at.selectbox(key="monitor_range").select("Last hour").run()
    assert at.markdown[0].value == "#### No runs in this time range yet"
    at.selectbox(key="monitor_range").select("Custom range").run()
    today = datetime.now(UTC).date()
    at.date_input(key="monitor_dates").set_value((today - timedelta(days=5), today - timedelta(days=3))).run()
    assert any(c.value == "5 of 5 runs in this scope match the filters." for c in at.caption)


def test_the_runner_refuses_bad_input_and_keeps_it(history: History) -> None:
    at = open_monitor()
    at.multiselect(key="monitor_bench_models").set_value([])
    at.button(key="FormSubmitter:monitor_bench_form-Start benchmark").click().run()
    assert "choose at least one model" in at.error[0].value and at.session_state["monitor_job"] is None
    at.multiselect(key="monitor_bench_models").set_value([NOVA])
    at.selectbox(key="monitor_bench_set").select("custom")
    at.number_input(key="monitor_bench_runs").set_value(3)
    at.button(key="FormSubmitter:monitor_bench_form-Start benchmark").click().run()
    assert "give at least one prompt" in at.error[0].value and at.session_state["monitor_job"] is None
    assert at.multiselect(key="monitor_bench_models").value == [NOVA]  # what was typed is still there
    assert at.number_input(key="monitor_bench_runs").value == 3


def test_the_runner_runs_what_was_chosen(history: History) -> None:
    at = open_monitor()
    at.multiselect(key="monitor_bench_models").set_value([NOVA, LLAMA])
    at.selectbox(key="monitor_bench_set").select("custom")
    at.text_area(key="monitor_bench_prompts").input("Write 20 tokens about tides.\n\nWrite 25 tokens about kelp.")
    at.number_input(key="monitor_bench_runs").set_value(4)
    at.number_input(key="monitor_bench_max_tokens").set_value(40)
    at.segmented_control(key="monitor_bench_mode").set_value("sync")
    at.segmented_control(key="monitor_bench_api").set_value("converse")
    at.button(key="FormSubmitter:monitor_bench_form-Start benchmark").click().run()
    job = finish_job(at)
    assert not at.exception and "8 runs planned: 8 finished ok, 0 failed" in at.success[0].value
    stored = history.runs(benchmark_id=job.spec.benchmark_id)
    assert sorted(stored["model_id"]) == [NOVA] * 4 + [LLAMA] * 4
    assert set(stored["mode"]) == {"sync"} and set(stored["api"]) == {"converse"} and set(stored["max_tokens"]) == {40}
    assert set(stored["status"]) == {"ok"} and table_models(at) == {NOVA, LLAMA}


def test_a_sweep_with_warm_up_and_goodput_bounds_shows_its_figures_per_step(history: History) -> None:
    at = open_monitor()
    at.segmented_control(key="monitor_bench_pattern").set_value("sweep").run()
    assert at.number_input(key="monitor_bench_concurrency_True").label == "Concurrency"
    at.multiselect(key="monitor_bench_models").set_value([NOVA])
    at.number_input(key="monitor_bench_runs").set_value(4)
    at.number_input(key="monitor_bench_concurrency_True").set_value(4)  # levels 1, 2, 4
    at.number_input(key="monitor_bench_warmup").set_value(2)
    at.number_input(key="monitor_bench_slo_ttft_ms").set_value(60_000.0)  # every emulated answer meets it
    at.button(key="FormSubmitter:monitor_bench_form-Start benchmark").click().run()
    job = finish_job(at)
    assert not at.exception and job.failure is None and job.spec.warmup_requests == 2
    shown = at.dataframe[0].value  # the benchmark's own table, above the Monitor's
    assert list(shown["Step"]) == ["c=1", "c=2", "c=4"] and set(shown["Model"]) == {model_label(NOVA)}  # no warm-up
    assert set(shown["Goodput"]) == {"100%"} and set(shown["Requests"]) == {4}
    stored = history.runs(benchmark_id=job.spec.benchmark_id)
    steps = [next(n for n in notes if n.startswith("load step: ")) for notes in stored["notes"]]
    assert sorted(steps).count("load step: warm-up") == 2 and len(stored) == 14
    (meaning,) = [e for e in at.expander if e.label == "What each figure means"]
    assert "Goodput share" in meaning.markdown[0].value and "TPOT" in meaning.markdown[0].value
    # the shareable report, written beside the history, offered for download
    assert {b.label for b in at.get("download_button")} >= {"Report (HTML)", "Requests (CSV)", "Requests (JSON)"}
    assert history.path is not None
    (html,) = (history.path.parent / "reports").glob(f"benchmark-{job.spec.benchmark_id}*.html")
    assert "c=4" in html.read_text()


def test_a_poisson_load_shows_its_own_parameters(history: History) -> None:
    at = open_monitor()
    at.segmented_control(key="monitor_bench_pattern").set_value("poisson").run()
    labels = {w.label for w in at.number_input}
    assert {"Requests a second", "Burstiness", "At most in flight"} <= labels and "To (requests a second)" not in labels
    at.segmented_control(key="monitor_bench_pattern").set_value("ramp").run()
    labels = {w.label for w in at.number_input}
    assert {"From (requests a second)", "To (requests a second)", "Over (s)"} <= labels and "Burstiness" not in labels


def test_cancel_keeps_the_runs_that_finished(history: History) -> None:
    # Every answer stalls for a second after 20 tokens, so the benchmark is still running when Cancel is clicked.
    emulator_faults().add(Fault("stall", count=None, after_tokens=20, seconds=1.0))
    at = open_monitor()
    at.button(key="monitor_quick").click().run()
    assert any("Benchmark running" in m.value for m in at.markdown)
    at.button(key="monitor_cancel").click().run()
    job = finish_job(at)
    assert job.result.cancelled and len(job.result.records) < 60
    said = at.warning[0].value
    assert "Benchmark cancelled." in said and "Every run that started is kept" in said
    assert adds_up(said, 60), said  # ok, failed, stopped in flight and not started: every planned run
    stored = history.runs(benchmark_id=job.spec.benchmark_id)
    assert sorted(stored["run_id"]) == sorted(r.run_id for r in job.result.records)


def test_export_buttons_and_captions(history: History) -> None:
    seed(history)
    at = open_monitor()
    downloads = at.get("download_button")
    assert [d.proto.label for d in downloads] == ["CSV", "JSON"]
    assert any("answer text included" in c.value for c in at.caption)
    assert any("1/(1-p)" in c.value for c in at.caption)
    captions = " ".join(c.value for c in at.caption)
    for words in ("lower is snappier", "what streaming buys", "prices of",
                  "No stream reported the server's first byte"):  # the seeded runs have none: not drawn
        assert words in captions


def test_a_broken_history_file_is_explained(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    broken = tmp_path / "history.sqlite"
    broken.write_bytes(b"this is not a database" * 100)
    monkeypatch.setenv("BEDROCK_LAB_HISTORY", str(broken))
    at = open_monitor()
    assert not at.exception
    assert "not a SQLite database" in at.warning[0].value and "needs the history" in at.warning[0].value


def test_an_unwritable_history_is_explained(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file stands where the history's folder should be")
    monkeypatch.setenv("BEDROCK_LAB_HISTORY", str(blocker / "history.sqlite"))
    at = open_monitor()
    assert not at.exception
    warning = at.warning[0].value
    assert "cannot be opened or written" in warning and str(blocker / "history.sqlite") in warning
    assert "BEDROCK_LAB_HISTORY" in warning and "needs the history" in warning


def test_the_monitor_recovers_once_a_broken_history_is_moved_away(monkeypatch: pytest.MonkeyPatch,
                                                                  tmp_path: Path) -> None:
    broken = tmp_path / "history.sqlite"
    broken.write_bytes(b"this is not a database" * 100)
    monkeypatch.setenv("BEDROCK_LAB_HISTORY", str(broken))
    at = open_monitor()
    assert "not a SQLite database" in at.warning[0].value
    broken.rename(tmp_path / "kept-aside.sqlite")  # what the banner advises, while the app keeps running
    at.run()
    assert not at.exception and not at.warning
    assert any(m.value.startswith("#### No runs yet") for m in at.markdown)


def test_runs_are_filtered_and_grouped_by_what_they_were_served_with(history: History) -> None:
    """A tier A/B in the history: the Monitor filters by the tier Bedrock served (the asked one where it said
    nothing) and splits each model's figures by it; a lever the runs in view do not differ in is not offered."""
    now = datetime.now(UTC)
    served = [("priority", "priority"), ("priority", "priority"), ("priority", "default"), (None, None), (None, None)]
    for i, (asked, got) in enumerate(served):
        history.record_run(RunRecord(
            run_id=f"tier-{i}", started_utc=(now - timedelta(minutes=i + 1)).isoformat(), model_id=NOVA,
            provider="Amazon", api="converse", mode="stream", backend="emulator", status="ok", ttft_ms=300.0 + 100 * i,
            e2e_ms=900.0, output_tokens=50, tokens_per_s=80.0, service_tier=asked, service_tier_served=got,
            session_id=SESSION))
    at = open_monitor()
    assert not at.exception
    group_by = at.segmented_control(key="monitor_group_by")
    assert group_by.options == ["Model", "Model + service tier"]  # the runs differ in their tier only
    tiers = at.multiselect(key="monitor_filter_tiers")
    assert tiers.options == ["default", "priority"]
    group_by.set_value("tier").run()
    label = model_label(NOVA)
    assert set(summary(at)["Model"]) == {f"{label} · service tier priority", f"{label} · service tier default"}
    assert table_models(at) == {f"{NOVA} · service tier priority", f"{NOVA} · service tier default"}
    ttft = table_with(at, "Metric")
    priority = ttft[(ttft["Model"] == f"{label} · service tier priority") & (ttft["Metric"] == "TTFT (ms)")]
    assert list(priority["n"]) == [2]  # the run served as default counts as default, whatever it asked
    at.multiselect(key="monitor_filter_tiers").set_value(["priority"]).run()
    assert set(summary(at)["Model"]) == {f"{label} · service tier priority"}


@pytest.fixture()
def tokyo(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This machine's clock set to Tokyo (UTC+9) for the test: the history keeps UTC, the page shows local time."""
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_charts_with_nothing_to_draw_are_left_out_and_times_are_local(history: History, tokyo: None) -> None:
    """Converse streams that all ended ok: no server first byte to chart, no error to count. Neither chart is drawn
    empty; each says why in a line. Times are this machine's (Tokyo here), and say so."""
    started = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    for i, model_id in enumerate([NOVA, LLAMA] * 3):
        history.record_run(RunRecord(
            run_id=f"converse-{i}", started_utc=(started + timedelta(seconds=i)).isoformat(), model_id=model_id,
            provider="x", api="converse", mode="stream", backend="emulator", status="ok", ttft_ms=300.0 + i,
            e2e_ms=900.0 + i, output_tokens=40 + i, tokens_per_s=80.0, cost_usd=0.0001))
    at = open_monitor()
    assert not at.exception
    specs = plotly_specs(at)
    assert all(spec["data"] and not spec["layout"].get("annotations") for spec in specs)  # none drawn empty
    assert len(specs) == 6  # of eight: no client vs server, no errors
    said = captions(at)
    assert "**Errors per model:** No errors: all 6 finished runs of 2 models ended ok." in said
    assert "**Client time to first token against the server's first byte:** No stream reported" in said
    assert at.metric[2].value == "No errors"  # the headline, too
    over_time = next(spec for spec in specs if "started" in spec["layout"]["xaxis"]["title"]["text"])
    assert over_time["layout"]["xaxis"]["title"]["text"] == "started (local time, JST)"
    last = (started + timedelta(seconds=5)).astimezone(timezone(timedelta(hours=9)))
    by_model = summary(at).set_index("Model id")
    assert by_model.loc[LLAMA, "Last run (local time)"] == last.strftime("%b %d, %H:%M")
    assert list(summary(at)["Model"]) == [model_label(NOVA), model_label(LLAMA)]  # fastest TTFT first
