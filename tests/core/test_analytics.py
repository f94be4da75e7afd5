"""Aggregation for the Monitor: percentiles and the n rule against hand-computed values, rates, costs, fits."""

from __future__ import annotations

import io
import json
import math
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from core import analytics, catalog, metrics
from core.history import History, records_frame
from core.types import RunRecord

from .. import models

A, B, C = models.ON_DEMAND, models.CLAUDE, models.FAMILY_MODELS["llama3"]  # three models, in sorted order
SYNC_ONLY = models.NOT_STREAMING
_counter = iter(range(1_000_000))


def run(model_id: str = A, **fields: Any) -> RunRecord:
    number = next(_counter)
    values: dict[str, Any] = {"started_utc": f"2025-03-01T12:00:{number % 60:02d}.{number:06d}+00:00",
                              "provider": catalog.resolve(model_id).vendor, "api": "invoke", "mode": "stream",
                              "backend": "emulator", "status": "ok"}
    return RunRecord(run_id=f"run-{number:07d}", model_id=model_id, **{**values, **fields})


def frame_of(*records: RunRecord) -> pd.DataFrame:
    return analytics.with_derived(records_frame(records))


def row(table: pd.DataFrame, model_id: str, metric: str) -> dict[str, Any]:
    found = table[(table["model_id"] == model_id) & (table["metric"] == metric)]
    assert len(found) == 1, table
    return found.iloc[0].to_dict()  # type: ignore[no-any-return]


# -- percentiles and the n rule --------------------------------------------------------------------


def test_percentiles_are_interpolated_between_ranks_as_computed_by_hand() -> None:
    # TTFT 100, 200, ..., 1000 (given out of order): p50 sits halfway between the 5th and 6th values
    # (rank 4.5 of 0..9) = 550; p90 at rank 8.1 = 900 + 0.1 x 100 = 910; p99 needs 100 runs: a dash.
    values = [700, 100, 1000, 300, 500, 900, 200, 800, 400, 600]
    table = analytics.percentile_table(frame_of(*(run(ttft_ms=v, e2e_ms=v + 1000) for v in values)))
    ttft = row(table, A, "TTFT (ms)")
    assert ttft["n"] == 10 and ttft["p50"] == pytest.approx(550) and ttft["p90"] == pytest.approx(910)
    assert math.isnan(ttft["p99"])
    e2e = row(table, A, "E2E (ms)")
    assert e2e["p50"] == pytest.approx(1550) and e2e["p90"] == pytest.approx(1910)


@pytest.mark.parametrize(("n", "shown"), [(1, set()), (2, {"p50"}), (9, {"p50"}), (10, {"p50", "p90"}),
                                          (99, {"p50", "p90"}), (100, {"p50", "p90", "p99"})])
def test_a_percentile_needs_enough_runs(n: int, shown: set[str]) -> None:
    table = analytics.percentile_table(frame_of(*(run(ttft_ms=float(i)) for i in range(n))))
    ttft = row(table, A, "TTFT (ms)")
    assert ttft["n"] == n
    assert {p for p in ("p50", "p90", "p99") if not math.isnan(ttft[p])} == shown


def test_the_table_agrees_with_core_metrics_percentile() -> None:
    draw = random.Random(3)
    values = [draw.lognormvariate(6, 0.4) for _ in range(137)]
    table = analytics.percentile_table(frame_of(*(run(B, ttft_ms=v) for v in values)))
    ttft = row(table, B, "TTFT (ms)")
    for p in (0.5, 0.9, 0.99):
        assert ttft[f"p{p * 100:g}"] == pytest.approx(metrics.percentile(values, p))


def test_which_runs_each_metric_describes() -> None:
    records = [
        run(A, ttft_ms=100, e2e_ms=1000, tokens_per_s=50.0, tpot_ms=20.0),
        run(A, ttft_ms=300, e2e_ms=3000, tokens_per_s=70.0, tpot_ms=40.0),
        # a sync run's "TTFT" is its whole wait: it counts for E2E only
        run(A, mode="sync", ttft_ms=5000, e2e_ms=5000),
        # failed and stopped runs count for no latency metric
        run(A, status="error", ttft_ms=9000, e2e_ms=9000, error_code="ThrottlingException"),
        run(A, status="cancelled", ttft_ms=9000, e2e_ms=9000),
        # a run without a value (one output token: no decode rate) is not counted in n
        run(A, ttft_ms=200, e2e_ms=2000, tokens_per_s=None, tpot_ms=None),
    ]
    table = analytics.percentile_table(frame_of(*records))
    assert row(table, A, "TTFT (ms)")["n"] == 3 and row(table, A, "TTFT (ms)")["p50"] == 200
    assert row(table, A, "E2E (ms)")["n"] == 4 and row(table, A, "E2E (ms)")["p50"] == 2500
    assert row(table, A, "Decode rate (tok/s)")["n"] == 2 and row(table, A, "Decode rate (tok/s)")["p50"] == 60
    assert row(table, A, "TPOT (ms)")["n"] == 2 and row(table, A, "TPOT (ms)")["p50"] == 30


def test_one_row_per_model_and_metric_in_a_stable_order() -> None:
    records = [run(m, ttft_ms=1.0, e2e_ms=2.0, tokens_per_s=3.0, tpot_ms=4.0) for m in (C, A, B) for _ in range(2)]
    records.append(run(SYNC_ONLY, mode="sync", e2e_ms=10.0, ttft_ms=10.0))  # sync only: E2E alone
    assert sorted((A, B, C, SYNC_ONLY)) == [SYNC_ONLY, A, B, C]  # the order the table must keep
    table = analytics.percentile_table(frame_of(*records))
    metric_names = ["TTFT (ms)", "E2E (ms)", "Decode rate (tok/s)", "TPOT (ms)"]  # none reasoned: no reasoning rows
    assert list(zip(table["model_id"], table["metric"], strict=True)) == [
        (SYNC_ONLY, "E2E (ms)"), *((m, name) for m in (A, B, C) for name in metric_names)]


def test_a_model_that_reasoned_has_its_ttft_labelled_first_answer_token_and_its_reasoning_rows() -> None:
    records = [run(A, ttft_ms=t, e2e_ms=t + 500, first_reasoning_ms=t / 4, reasoning_ms=t / 2)
               for t in (1000.0, 2000.0, 3000.0)]
    records += [run(B, ttft_ms=300.0, e2e_ms=900.0) for _ in range(2)]
    records += [run(C, ttft_ms=4000.0, e2e_ms=5000.0, reasoning_shown="omitted") for _ in range(2)]  # silent
    table = analytics.percentile_table(frame_of(*records))
    assert row(table, A, analytics.TTFT_REASONED)["p50"] == 2000
    assert row(table, A, "First reasoning (ms)")["p50"] == 500 and row(table, A, "Reasoning (ms)")["p50"] == 1000
    assert row(table, B, "TTFT (ms)")["p50"] == 300  # it did not reason: plain TTFT, no reasoning rows
    assert not table[(table["model_id"] == B) & table["metric"].str.startswith("First reasoning")].shape[0]
    assert row(table, C, analytics.TTFT_REASONED)["p50"] == 4000  # thought in silence: its wait was its thinking
    assert list(table[table["model_id"] == A]["metric"])[:3] == [analytics.TTFT_REASONED, "First reasoning (ms)",
                                                                 "Reasoning (ms)"]


def test_no_runs_make_an_empty_table_with_its_columns() -> None:
    table = analytics.percentile_table(frame_of())
    assert table.empty and list(table.columns) == ["model_id", "metric", "n", "p50", "p90", "p99"]
    assert analytics.format_percentile_table(table).empty


def test_the_displayed_table_names_the_model_and_shows_a_dash_where_runs_are_too_few() -> None:
    table = analytics.percentile_table(frame_of(*(run(ttft_ms=1000.0 + i, tpot_ms=12.25 + i) for i in range(3))))
    shown = analytics.format_percentile_table(table, {A: "Model A"})
    first = shown[shown["Metric"] == "TTFT (ms)"].iloc[0]
    assert (first["Model"], first["n"], first["p50"], first["p90"], first["p99"]) == ("Model A", 3, "1,001", "—", "—")
    assert first["Model id"] == A
    assert shown[shown["Metric"] == "TPOT (ms)"].iloc[0]["p50"] == "13.2"  # TPOT is small: a tenth of a ms


# -- rates, costs, fits, waits ------------------------------------------------------------------------


def test_error_and_throttling_rates_count_finished_runs_only() -> None:
    records = [
        *(run(A) for _ in range(5)),
        run(A, status="error", error_code="ThrottlingException"),
        run(A, status="error", error_code="throttlingException"),  # the in-stream exception event
        run(A, status="error", error_code="ModelTimeoutException"),
        run(A, status="cancelled"),  # stopped by the user: not a failure, not in the denominator
        run(A, attempts=3),  # throttled twice, then ok through botocore's retries
        run(B),
    ]
    table = analytics.error_rates(frame_of(*records))
    a = table.loc[A]
    assert (a["finished"], a["errors"], a["throttled"], a["other_errors"], a["cancelled"], a["retried"]) == \
        (9, 3, 2, 1, 1, 1)
    assert a["error_rate"] == pytest.approx(3 / 9) and a["throttle_rate"] == pytest.approx(2 / 9)
    assert a["other_error_rate"] == pytest.approx(1 / 9)
    assert table.loc[B, "error_rate"] == 0


def test_a_model_with_only_cancelled_runs_has_no_rate() -> None:
    table = analytics.error_rates(frame_of(run(A, status="cancelled")))
    assert table.loc[A, "finished"] == 0 and math.isnan(table.loc[A, "error_rate"])


def test_cost_per_model_adds_up_priced_runs() -> None:
    records = [run(A, cost_usd=0.002, output_tokens=100), run(A, cost_usd=0.004, output_tokens=300),
               run(A, cost_usd=None, output_tokens=None, status="error"),  # failed before any token: no cost
               run("acme.unpriced-v1", cost_usd=None, output_tokens=50)]
    table = analytics.cost_by_model(frame_of(*records))
    a = table.loc[A]
    assert a["total_usd"] == pytest.approx(0.006) and a["runs"] == 3 and a["priced_runs"] == 2
    assert a["mean_usd"] == pytest.approx(0.003) and a["per_1m_output_usd"] == pytest.approx(0.006 / 400 * 1e6)
    assert math.isnan(table.loc["acme.unpriced-v1", "total_usd"])


def test_the_fitted_line_recovers_a_known_slope_and_intercept() -> None:
    # E2E = 250 ms + 12 ms per output token, exactly, for A; B has a single output length: no slope.
    records = [run(A, output_tokens=n, e2e_ms=250 + 12 * n) for n in (10, 40, 90, 400)]
    records += [run(B, output_tokens=50, e2e_ms=e) for e in (900.0, 1100.0)]
    records.append(run(A, status="error", output_tokens=5, e2e_ms=99_999))  # failed runs are not fitted
    fits = analytics.e2e_fits(frame_of(*records))
    assert fits.loc[A, "n"] == 4 and fits.loc[A, "ms_per_token"] == pytest.approx(12)
    assert fits.loc[A, "intercept_ms"] == pytest.approx(250)
    assert (fits.loc[A, "tokens_min"], fits.loc[A, "tokens_max"]) == (10, 400)
    assert fits.loc[B, "n"] == 2 and math.isnan(fits.loc[B, "ms_per_token"])


def test_perceived_wait_is_ttft_when_streamed_and_e2e_when_sync() -> None:
    records = [run(A, ttft_ms=t, e2e_ms=t + 2000) for t in (200.0, 400.0)]
    records += [run(A, mode="sync", ttft_ms=e, e2e_ms=e) for e in (2100.0, 2500.0, 2300.0)]
    waits = analytics.perceived_wait(frame_of(*records))
    assert waits.loc[(A, "stream"), "p50"] == 300 and waits.loc[(A, "stream"), "n"] == 2
    assert waits.loc[(A, "sync"), "p50"] == 2300 and waits.loc[(A, "sync"), "n"] == 3
    assert math.isnan(waits.loc[(A, "sync"), "p90"])  # three runs are too few for p90


def test_totals() -> None:
    records = [run(A, ttft_ms=100.0, cost_usd=0.001), run(B, ttft_ms=300.0, cost_usd=0.002),
               run(B, status="error", error_code="ValidationException"), run(B, status="cancelled")]
    totals = analytics.totals(frame_of(*records))
    assert (totals.runs, totals.models, totals.errors) == (4, 2, 1)
    assert totals.error_rate == pytest.approx(1 / 3) and totals.cost_usd == pytest.approx(0.003)
    assert totals.ttft_p50_ms == 200


# -- one row per model -----------------------------------------------------------------------------------


def test_the_summary_has_one_row_per_model_fastest_first() -> None:
    records = [run(A, ttft_ms=t, e2e_ms=t + 1000, tokens_per_s=50.0 + i, cost_usd=0.001 * (i + 1))
               for i, t in enumerate((400.0, 600.0, 500.0, 300.0))]  # p50 450, cost per run 0.0025
    records += [run(A, status="error", error_code="ThrottlingException"), run(A, status="cancelled")]
    records += [run(B, ttft_ms=100.0 + 10 * i, e2e_ms=900.0, tokens_per_s=80.0) for i in range(10)]  # p90 exists
    records += [run(C, status="error", error_code="ValidationException") for _ in range(2)]  # nothing but errors
    table = analytics.summary_table(frame_of(*records))
    assert list(table.index) == [B, A, C]  # fastest TTFT p50 first, a model without one last
    a, b, c = (table.loc[m] for m in (A, B, C))
    assert (a["n"], a["finished"], a["errors"], a["throttled"]) == (6, 5, 1, 1)  # the stopped run: in n only
    assert a["ttft_p50_ms"] == 450 and math.isnan(a["ttft_p90_ms"])  # four streams are too few for p90
    assert a["e2e_p50_ms"] == 1450 and a["decode_p50_tok_s"] == 51.5
    assert a["cost_per_run_usd"] == pytest.approx(0.0025) and a["error_rate"] == pytest.approx(1 / 5)
    assert b["ttft_p90_ms"] == pytest.approx(181) and b["error_rate"] == 0
    assert math.isnan(c["ttft_p50_ms"]) and c["error_rate"] == 1

    shown = analytics.format_summary_table(table, {A: "Model A", B: "Model B"})
    assert list(shown.columns) == list(analytics.SUMMARY_LABELS)
    assert list(shown["Model"]) == ["Model B", "Model A", C] and list(shown["Model id"]) == [B, A, C]
    by_model = shown.set_index("Model id")
    assert list(by_model.loc[A, ["n", "TTFT p50 (ms)", "TTFT p90 (ms)", "E2E p50 (ms)"]]) == ["6", "450", "—", "1,450"]
    assert by_model.loc[A, "Cost per run (estimate)"] == "$0.0025"
    assert list(by_model["Errors"]) == ["no errors", "20% (1 of 5, 1 throttled)", "100% (2 of 2)"]
    assert analytics.format_summary_table(analytics.summary_table(frame_of())).empty


def test_a_model_whose_runs_were_all_stopped_has_no_error_rate_to_say() -> None:
    table = analytics.summary_table(frame_of(run(A, status="cancelled"), run(B, ttft_ms=200.0), run(B, ttft_ms=300.0)))
    assert list(analytics.errors_said(table)) == ["no errors", "—"]  # B first: it has a TTFT p50


@pytest.fixture()
def tokyo(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This machine's clock set to Tokyo (UTC+9, no daylight saving) for the test."""
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_times_are_shown_in_the_machines_local_time(tokyo: None) -> None:
    frame = frame_of(run(A, started_utc="2025-03-01T20:30:00+00:00", ttft_ms=100.0))
    local = analytics.local_times(frame["started_utc"])
    assert (local.iloc[0].day, local.iloc[0].hour, local.iloc[0].minute) == (2, 5, 30)  # the next morning
    assert analytics.zone_name() == "local time, JST"
    shown = analytics.format_summary_table(analytics.summary_table(frame))
    assert shown["Last run (local time)"].iloc[0] == "Mar 02, 05:30"


# -- filters and export, over a real history file -------------------------------------------------------


@pytest.fixture()
def history(tmp_path: Path) -> History:
    history = History(tmp_path / "history.sqlite")
    now = datetime.now(UTC)
    for i in range(24):
        history.record_run(run(
            (A, B, C)[i % 3], started_utc=(now - timedelta(hours=i * 3)).isoformat(), api=("invoke", "converse")[i % 2],
            mode=("stream", "sync")[i % 4 == 0], status=("ok", "ok", "ok", "error", "cancelled")[i % 5],
            backend=("emulator", "aws")[i % 6 == 0], session_id="mine" if i % 2 else None, ttft_ms=100.0 + i,
            text="answer text " * 20, notes=[f"note {i}"]))
    return history


@pytest.mark.parametrize("chosen", [
    {},
    {"session_id": "mine"},
    {"since_utc": "hours:24"},
    {"since_utc": "hours:48", "until_utc": "hours:12"},
    {"model_ids": (A, C)},
    {"providers": (catalog.resolve(B).vendor,), "statuses": ("ok",)},
    {"apis": ("converse",), "modes": ("stream",), "backends": ("emulator",)},
    {"session_id": "mine", "statuses": ("error", "cancelled"), "since_utc": "hours:40"},
])
def test_the_page_filters_select_the_same_runs_as_the_history_query(history: History, chosen: dict[str, Any]) -> None:
    now = datetime.now(UTC)
    values = {k: now - timedelta(hours=int(v.split(":")[1])) if isinstance(v, str) and v.startswith("hours:") else v
              for k, v in chosen.items()}
    run_filter = analytics.RunFilter(**values)
    shown = analytics.filter_runs(analytics.load_runs(history, run_filter), run_filter)
    queried = history.runs(**run_filter.history_filters())
    assert list(shown["run_id"]) == list(queried["run_id"])
    assert 0 < len(shown) < 24 or not chosen


def test_loading_reads_no_text_columns(history: History) -> None:
    frame = analytics.load_runs(history)
    assert len(frame) == 24 and not {"text", "request_json", "notes", "system"} & set(frame.columns)
    assert {"perceived_wait_ms", "client_overhead_ms", "throttled", "retried"} <= set(frame.columns)


def test_filter_options_list_the_values_present(history: History) -> None:
    options = analytics.filter_options(analytics.load_runs(history))
    assert options["model_ids"] == sorted([A, B, C]) and options["statuses"] == ["cancelled", "error", "ok"]
    assert options["backends"] == ["aws", "emulator"] and options["modes"] == ["stream", "sync"]


def test_csv_and_json_exports_hold_every_run_and_field(history: History) -> None:
    runs = history.runs(statuses=["ok"])
    from_csv = pd.read_csv(io.BytesIO(analytics.to_csv(runs)))
    assert list(from_csv.columns) == list(runs.columns) and list(from_csv["run_id"]) == list(runs["run_id"])
    assert json.loads(from_csv["notes"][0]) == runs["notes"].iloc[0]
    assert from_csv["started_utc"][0].endswith("Z")
    assert pd.Timestamp(from_csv["started_utc"][0]) == runs["started_utc"].iloc[0]
    from_json = json.loads(analytics.to_json(runs))
    assert [r["run_id"] for r in from_json] == list(runs["run_id"]) and set(from_json[0]) == set(runs.columns)
    first = from_json[0]
    assert first["text"] == "answer text " * 20 and first["notes"] == runs["notes"].iloc[0]
    assert first["output_tokens"] is None and first["ttft_ms"] == runs["ttft_ms"].iloc[0]
    assert pd.Timestamp(first["started_utc"]) == runs["started_utc"].iloc[0]


def test_each_run_is_known_by_what_it_was_served_with_and_can_be_grouped_by_it() -> None:
    from core.charts import model_label

    cold = run(cache_write_tokens=4096, cache_read_tokens=0, cache_ttl="5m")
    warm = run(cache_read_tokens=4096, cache_write_tokens=0, cache_ttl="5m")
    other = run(effort="high", service_tier="priority", service_tier_served="default", latency="optimized")
    frame = frame_of(cold, warm, other)
    by_id = frame.set_index("run_id")
    ids = [cold.run_id, warm.run_id, other.run_id]
    assert list(by_id.loc[ids, "cache_state"]) == ["cold (written)", "warm (read)", "off"]
    assert by_id.loc[other.run_id, "tier"] == "default"  # what Bedrock said it served, not what was asked
    assert by_id.loc[other.run_id, "latency_mode"] == "optimized"  # nothing said: what was asked
    assert list(by_id.loc[[cold.run_id, other.run_id], "effort"]) == ["default", "high"]
    kept = analytics.filter_runs(frame, analytics.RunFilter(cache_states=("warm (read)",)))
    assert list(kept["run_id"]) == [warm.run_id]
    groups = analytics.grouped(frame, "cache_state")
    assert set(groups["model_id"]) == {f"{A} · prompt cache cold (written)", f"{A} · prompt cache warm (read)",
                                       f"{A} · prompt cache off"}
    assert model_label(f"{A} · prompt cache off") == f"{model_label(A)} · prompt cache off"
    assert analytics.grouped(frame, None) is frame
