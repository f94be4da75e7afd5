"""Figures per model and load step from raw records: goodput against hand-computed cases, the n rule, the steps."""

from __future__ import annotations

import math
from typing import Any

import pytest

from core.load.figures import (
    DEFINITIONS,
    STEP_NOTE,
    InvalidSlo,
    Slos,
    format_figures,
    parse_slos,
    summarize,
)
from core.load.patterns import WARMUP_STEP
from core.types import RunRecord

A, B = "model.a-v1:0", "model.b-v1:0"


def record(n: int, *, model: str = A, step: str = "c=4", start_ms: float = 0.0, **fields: Any) -> RunRecord:
    """A finished record starting `start_ms` after noon, in `step`."""
    second, ms = divmod(start_ms, 1000)
    values: dict[str, Any] = {"status": "ok", "mode": "stream", "e2e_ms": 1000.0, "output_tokens": 100}
    values.update(fields)
    made = RunRecord(f"run-{n}", f"2026-12-01T12:00:{int(second):02d}.{int(ms):03d}+00:00", model, "x", "converse",
                     backend="emulator", **values)
    made.notes.append(STEP_NOTE + step)
    return made


def hand_case() -> list[RunRecord]:
    """Seven requests over exactly 2 s (the first starts at 0, the last ends at 2,000 ms)."""
    return [
        record(1, ttft_ms=100.0, tpot_ms=10.0, output_tokens=91),  # meets TTFT <= 200 and TPOT <= 20
        record(2, ttft_ms=300.0, tpot_ms=10.0, output_tokens=50),  # TTFT too slow
        record(3, ttft_ms=150.0, tpot_ms=30.0, output_tokens=40),  # TPOT too slow
        record(4, ttft_ms=150.0, tpot_ms=None, output_tokens=1),  # one token: no TPOT to miss
        record(5, status="error", error_code="ThrottlingException", e2e_ms=20.0, output_tokens=None),
        record(6, status="cancelled", ttft_ms=50.0, e2e_ms=400.0, output_tokens=3),  # neither good nor bad
        record(7, mode="sync", e2e_ms=180.0, start_ms=1820.0, output_tokens=18),  # sync: its wait is its E2E
    ]


def test_goodput_share_and_rate_match_the_hand_computed_case() -> None:
    table = summarize(hand_case(), Slos(ttft_ms=200, tpot_ms=20))
    assert len(table) == 1
    row = table.iloc[0]
    assert (row["requests"], row["ok"], row["errors"], row["throttled"], row["cancelled"]) == (7, 5, 1, 1, 1)
    assert row["wall_s"] == pytest.approx(2.0)
    assert row["goodput_n"] == 3  # runs 1, 4 and 7
    assert row["goodput_share"] == pytest.approx(3 / 6)  # of the six that finished (ok or failed)
    assert row["goodput_per_s"] == pytest.approx(3 / 2.0)
    assert row["error_rate"] == pytest.approx(1 / 6) and row["throttle_rate"] == pytest.approx(1 / 6)
    assert row["requests_per_s"] == pytest.approx(5 / 2.0)
    assert row["output_tok_s"] == pytest.approx((91 + 50 + 40 + 1 + 18) / 2.0)  # ok runs only


def test_each_bound_alone_and_all_together() -> None:
    records = hand_case()
    assert summarize(records, Slos(ttft_ms=200)).iloc[0]["goodput_n"] == 4  # 1, 3, 4, 7
    assert summarize(records, Slos(tpot_ms=20)).iloc[0]["goodput_n"] == 4  # 1, 2, 4, 7
    assert summarize(records, Slos(e2e_ms=500)).iloc[0]["goodput_n"] == 1  # 7 (180 ms)
    assert summarize(records, Slos(ttft_ms=200, tpot_ms=20, e2e_ms=500)).iloc[0]["goodput_n"] == 1
    assert summarize(records, Slos(ttft_ms=1)).iloc[0]["goodput_share"] == 0
    none = summarize(records, None).iloc[0]
    assert math.isnan(none["goodput_share"]) and math.isnan(none["goodput_per_s"])


def test_percentiles_follow_the_n_rule_per_model_and_step() -> None:
    records = [record(i, ttft_ms=float(i), tpot_ms=1.0) for i in range(1, 10)]  # nine: p50 only
    records += [record(100 + i, model=B, step="c=8", ttft_ms=float(i), tpot_ms=1.0) for i in range(1, 11)]
    table = summarize(records, None).set_index(["model_id", "step"])
    a, b = table.loc[(A, "c=4")], table.loc[(B, "c=8")]
    assert a["ttft_ms_n"] == 9 and a["ttft_ms_p50"] == 5.0 and math.isnan(a["ttft_ms_p90"])
    assert b["ttft_ms_n"] == 10 and b["ttft_ms_p90"] == pytest.approx(9.1) and math.isnan(b["ttft_ms_p99"])


def test_steps_keep_their_order_and_the_warm_up_is_left_out() -> None:
    records = [record(1, step=WARMUP_STEP, ttft_ms=900.0)]
    records += [record(10 + i, step=step, ttft_ms=10.0) for i, step in enumerate(["c=1", "c=2", "c=16", "c=2"])]
    table = summarize(records, None)
    assert list(table["step"]) == ["c=1", "c=2", "c=16"]  # the order they ran, not alphabetical
    assert list(table["requests"]) == [1, 2, 1]
    assert WARMUP_STEP in list(summarize(records, None, include_warmup=True)["step"])
    by_mode = summarize(records, None, step_of=lambda r: r.mode)
    assert list(by_mode["step"]) == ["stream"] and by_mode.iloc[0]["requests"] == 5  # the warm-up is a step no more


def test_slos_are_parsed_with_clear_refusals() -> None:
    assert parse_slos(["ttft_ms=2000", "tpot_ms=50"]) == Slos(ttft_ms=2000, tpot_ms=50)
    assert parse_slos([]) is None
    with pytest.raises(InvalidSlo, match="no SLO named 'ttft_p99': use ttft_ms, tpot_ms, e2e_ms"):
        parse_slos(["ttft_p99=2000"])
    with pytest.raises(InvalidSlo, match="needs a number of milliseconds above 0"):
        parse_slos(["tpot_ms=fast"])


def test_every_figure_has_a_definition_that_names_the_peers() -> None:
    table = summarize(hand_case(), Slos(ttft_ms=200))
    figures = {c.rsplit("_", 1)[0] for c in table.columns if c.endswith("_p50")}
    assert figures | {"output_tok_s", "requests_per_s", "error_rate", "throttle_rate", "goodput_share",
                      "goodput_per_s"} <= set(DEFINITIONS)
    assert "ITL" in DEFINITIONS["tpot_ms"] and "GuideLLM" in DEFINITIONS["tpot_ms"]
    text = format_figures(table, Slos(ttft_ms=200))
    assert "Goodput SLOs: TTFT <= 200 ms." in text and "goodput_share: Goodput share:" in text
    assert format_figures(summarize([], None)) == "No run finished: no figures."


def test_the_tables_name_models_and_figures_as_every_page_does() -> None:
    from core import catalog
    from core import format as fmt
    from core.load.figures import display_frame

    known = catalog.resolve(catalog.default_model_id())
    records = [record(i, model=known.base_id, ttft_ms=1234.0 + i, tpot_ms=10.0) for i in range(3)]
    records += [record(9, model=A, ttft_ms=3000.0, tpot_ms=10.0, e2e_ms=12_345.0)]  # misses the SLO
    table = summarize(records, Slos(ttft_ms=2000))
    shown = display_frame(table)
    assert list(shown["Model"]) == [known.name, A] and list(shown["Model ID"]) == [known.base_id, A]  # id kept
    assert list(shown["TTFT p50 (ms)"]) == ["1,235", "—"]  # thousands separated; one run is too few for a p50
    assert {"Decode rate p50 (tok/s)", "Output throughput (tok/s)", "Throughput (req/s)"} <= set(shown.columns)
    assert list(shown["Goodput"]) == ["100%", "0%"]
    assert not any(v in ("None", "nan") for v in shown.astype(str).to_numpy().ravel())
    text = format_figures(table, Slos(ttft_ms=2000), definitions=False)
    assert "Goodput SLOs: TTFT <= 2,000 ms." in text
    lines = text.splitlines()
    assert lines[0].split()[:2] == ["Model", "Step"] and fmt.label("output_throughput") in lines[0]
    row = next(line for line in lines if line.startswith(known.base_id) and fmt.label("ttft") in line)
    assert row.split()[-3:] == ["1,235", "—", "—"]  # p50, and too few runs for p90 and p99
