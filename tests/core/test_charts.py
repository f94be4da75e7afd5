"""The Monitor's figures: one legend entry per model in a stable colour, run details on hover, light at scale."""

from __future__ import annotations

import pandas as pd
import pytest

from core import analytics, charts
from core.history import records_frame
from core.types import RunRecord

from .. import models

MODELS = (models.ON_DEMAND, models.CLAUDE, models.FAMILY_MODELS["llama3"])


def runs(per_model: int, models: tuple[str, ...] = MODELS) -> pd.DataFrame:
    records = []
    for i in range(per_model):
        for m, model_id in enumerate(models):
            stream = i % 3 != 0
            ttft = 200.0 + 100 * m + i % 7
            records.append(RunRecord(
                run_id=f"{m}-{i:06d}", started_utc=f"2025-03-01T12:{i // 60 % 60:02d}:{i % 60:02d}+00:00",
                model_id=model_id, provider="x", api="invoke", mode="stream" if stream else "sync",
                backend="emulator", status="error" if i % 10 == 9 else "ok",
                error_code="ThrottlingException" if i % 10 == 9 else None, ttft_ms=ttft if stream else 900.0,
                e2e_ms=900.0 + 5 * (i % 50), output_tokens=40 + i % 50, tokens_per_s=60.0 + m if stream else None,
                server_first_byte_ms=ttft - 20 if stream else None, cost_usd=0.0001))
    return analytics.with_derived(records_frame(records))


def names(chart: charts.Chart) -> set[str]:
    return {trace.name for trace in chart.figure.data}


def test_eight_charts_each_with_every_model_and_a_caption() -> None:
    made = charts.monitor_charts(runs(12))
    assert len(made) == 8 and len({c.key for c in made}) == 8
    labels = {charts.model_label(m) for m in MODELS}
    for chart in made:
        assert names(chart) == labels, chart.key
        assert chart.caption and chart.title
    ttft = made[0]
    assert [t.type for t in ttft.figure.data] == ["box", "box"] * 3  # quartiles over all runs, then points


def test_reasoning_runs_bring_a_first_reasoning_chart_and_name_ttft_the_first_answer_token() -> None:
    plain = charts.monitor_charts(runs(12))
    assert "first_reasoning" not in {c.key for c in plain} and plain[0].title == "Time to first token per model"
    frame = runs(12)
    thinker = frame["model_id"] == MODELS[1]
    frame.loc[thinker, "first_reasoning_ms"] = frame.loc[thinker, "ttft_ms"] / 4
    made = charts.monitor_charts(frame)
    assert [c.key for c in made][:2] == ["ttft", "first_reasoning"] and len(made) == 9
    assert made[0].title == "Time to first answer token per model" and "first answer token" in made[0].caption
    assert names(made[1]) == {charts.model_label(MODELS[1])}  # only the model that showed reasoning
    over_time = next(c for c in made if c.key == "ttft_time")
    assert over_time.figure.layout.yaxis.title.text == "time to first answer token (ms)"
    detail = next(t for t in made[0].figure.data if t.name == charts.model_label(MODELS[1]) and t.text is not None)
    assert "(first answer token) · first reasoning" in detail.text[0]


def test_a_model_has_the_same_colour_in_every_chart() -> None:
    made = charts.monitor_charts(runs(12))
    colours: dict[str, set[str]] = {}
    for chart in made:
        for trace in chart.figure.data:
            colour = trace.marker.color if trace.type != "scatter" or trace.mode == "markers" else trace.line.color
            colours.setdefault(trace.name, set()).add(colour)
    assert all(len(c) == 1 for c in colours.values()) and len({c.pop() for c in colours.values()}) == 3


def test_ttft_points_carry_the_run_details_on_hover() -> None:
    chart = charts.ttft_by_model(runs(12), charts.model_colors(MODELS))
    points = chart.figure.data[1]
    assert points.boxpoints == "all" and "%{text}" in points.hovertemplate
    detail = points.text[0]
    assert "run 0-000001" in detail and "stream · invoke · emulator · ok" in detail and "TTFT 201 ms" in detail
    assert "tok/s" in detail and "server first byte 181 ms" in detail


def test_boxes_use_every_run_while_points_are_capped() -> None:
    frame = runs(2500, MODELS[:1])  # 2,500 runs of one model, 1,666 of them streams that finished ok
    assert charts.points_capped(frame) is False  # one model: up to MAX_POINTS points
    frame = runs(4000, MODELS[:2])
    chart = charts.ttft_by_model(frame, charts.model_colors(MODELS))
    box, points = chart.figure.data[0], chart.figure.data[1]
    ok_streams = analytics.finished_ok(frame[frame["model_id"] == MODELS[0]], "ttft_ms")["ttft_ms"]
    assert box.median[0] == pytest.approx(ok_streams.quantile(0.5))
    assert box.q1[0] == pytest.approx(ok_streams.quantile(0.25))
    assert box.q3[0] == pytest.approx(ok_streams.quantile(0.75))
    assert len(points.y) == charts.points_per_model(2) < len(ok_streams)
    assert charts.points_capped(frame) is True


def test_empty_data_says_so_instead_of_drawing_nothing() -> None:
    frame = runs(3).iloc[:0]
    for chart in charts.monitor_charts(frame):
        assert not chart.figure.data
        assert chart.figure.layout.annotations and "yet" in chart.figure.layout.annotations[0].text


def test_client_vs_server_needs_the_server_first_byte() -> None:
    frame = runs(6)
    frame["server_first_byte_ms"] = float("nan")  # Converse streams do not report it
    chart = charts.client_vs_server(frame, charts.model_colors(MODELS))
    assert not chart.figure.data and "InvokeModel" in chart.figure.layout.annotations[0].text


@pytest.mark.parametrize(("model_id", "label"), [
    ("amazon.nova-micro-v1:0", "nova-micro-v1:0"),
    ("us.anthropic.claude-haiku-4-5-20251001-v1:0", "us.claude-haiku-4-5-20251001-v1:0"),
    ("global.anthropic.claude-opus-4-8", "global.claude-opus-4-8"),
    ("arn:aws:bedrock:us-east-1::foundation-model/meta.llama3-1-8b-instruct-v1:0", "llama3-1-8b-instruct-v1:0"),
    ("custom-model", "custom-model"),
])
def test_model_labels_drop_the_vendor(model_id: str, label: str) -> None:
    assert charts.model_label(model_id) == label
