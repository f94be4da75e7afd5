"""The Monitor's figures: one name and one colour per model everywhere, a row per model where models are many,
run details on hover in local time, "no errors" instead of zeros, nothing drawn empty, light at scale."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from core import analytics, catalog, charts
from core import format as fmt
from core.history import records_frame
from core.types import RunRecord

from .. import models

MODELS = (models.ON_DEMAND, models.CLAUDE, models.FAMILY_MODELS["llama3"])
KEY_TRACES = {meaning for _, meaning in charts.WAIT_MODES.values()}  # the wait chart's key to its two marks


def runs(per_model: int, models: tuple[str, ...] = MODELS, errors: bool = True) -> pd.DataFrame:
    records = []
    for i in range(per_model):
        for m, model_id in enumerate(models):
            stream = i % 3 != 0
            ttft = 200.0 + 100 * m + i % 7
            failed = errors and i % 10 == 9
            records.append(RunRecord(
                run_id=f"{m}-{i:06d}", started_utc=f"2025-03-01T12:{i // 60 % 60:02d}:{i % 60:02d}+00:00",
                model_id=model_id, provider="x", api="invoke", mode="stream" if stream else "sync",
                backend="emulator", status="error" if failed else "ok",
                error_code="ThrottlingException" if failed else None, ttft_ms=ttft if stream else 900.0,
                e2e_ms=900.0 + 5 * (i % 50), output_tokens=40 + i % 50, tokens_per_s=60.0 + m if stream else None,
                server_first_byte_ms=ttft - 20 if stream else None, cost_usd=0.0001 * (m + 1)))
    return analytics.with_derived(records_frame(records))


def names(chart: charts.Chart) -> set[str]:
    return {trace.name for trace in chart.figure.data} - KEY_TRACES


def streaming_models(count: int) -> tuple[str, ...]:
    """`count` models of the table that stream, by their own ids."""
    return tuple(m.base_id for m in catalog.listed_models() if m.spec and m.spec.streaming)[:count]


@pytest.fixture()
def new_york(monkeypatch: pytest.MonkeyPatch) -> Iterator[ZoneInfo]:
    """This machine's clock set to New York for the test (the history keeps UTC)."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield ZoneInfo("America/New_York")
    monkeypatch.undo()
    time.tzset()


def test_eight_charts_each_with_every_model_and_a_caption() -> None:
    made = charts.monitor_charts(runs(12))
    assert len(made) == 8 and len({c.key for c in made}) == 8
    labels = {charts.model_label(m) for m in MODELS}
    for chart in made:
        assert names(chart) == labels, chart.key
        assert chart.caption and chart.title and not chart.empty
    ttft = made[0]
    assert [t.type for t in ttft.figure.data] == ["box", "box"] * 3  # quartiles over all runs, then points


def test_reasoning_runs_bring_a_first_reasoning_chart_and_name_ttft_the_first_answer_token() -> None:
    frame = runs(12)
    plain = charts.monitor_charts(frame)
    assert "first_reasoning" not in {c.key for c in plain} and plain[0].title == "Time to first token per model"
    thinker = frame["model_id"] == MODELS[1]
    frame.loc[thinker, "first_reasoning_ms"] = frame.loc[thinker, "ttft_ms"] / 4
    made = charts.monitor_charts(frame)
    assert [c.key for c in made][:2] == ["ttft", "first_reasoning"] and len(made) == 9
    assert made[0].title == "Time to first answer token per model" and "first answer token" in made[0].caption
    assert made[0].figure.layout.xaxis.title.text == fmt.label("first_answer_token")
    assert names(made[1]) == {charts.model_label(MODELS[1])}  # only the model that showed reasoning
    over_time = next(c for c in made if c.key == "ttft_time")
    assert over_time.figure.layout.yaxis.title.text == fmt.label("first_answer_token")
    detail = next(t for t in made[0].figure.data if t.name == charts.model_label(MODELS[1]) and t.text is not None)
    assert "(first answer token) · first reasoning" in detail.text[0]


def test_a_model_has_the_same_colour_in_every_chart() -> None:
    made = charts.monitor_charts(runs(12))
    colours: dict[str, set[str]] = {}
    for chart in made:
        for trace in chart.figure.data:
            if trace.name in KEY_TRACES:
                continue
            colour = trace.marker.color if trace.type != "scatter" or trace.mode == "markers" else trace.line.color
            colours.setdefault(trace.name, set()).add(colour)
    assert all(len(c) == 1 for c in colours.values()) and len({c.pop() for c in colours.values()}) == 3


def test_a_model_keeps_its_colour_whatever_is_shown_beside_it_and_on_the_compare_page() -> None:
    alone = charts.model_colors([models.CLAUDE])[models.CLAUDE]
    assert charts.model_colors([models.CLAUDE, *models.BENCH])[models.CLAUDE] == alone
    assert charts.model_colors([*models.COMPARE, models.CLAUDE])[models.CLAUDE] == alone
    # Compare names its lines by panel ("1 · Anthropic · Claude Haiku 4.5 · Converse"): the same colour
    panel = f"1 · {catalog.resolve(models.CLAUDE).label} · Converse"
    line = charts.tokens_over_time({panel: [(0.1, 1.0), (0.5, 40.0)]}).figure.data[0]
    assert line.line.color == alone


def test_models_shown_together_never_share_a_colour() -> None:
    many = streaming_models(len(charts.MODEL_PALETTE))
    assert len(set(charts.model_colors(many).values())) == len(many)
    for chosen in (models.COMPARE, models.BENCH, (*models.COMPARE, *models.BENCH)):
        assert len(set(charts.model_colors(chosen).values())) == len(set(chosen))
    grouped = [f"{models.CLAUDE} · effort {level}" for level in ("low", "medium", "high")]
    assert len(set(charts.model_colors(grouped).values())) == 3  # a model split by a lever: a colour per group


def test_ttft_points_carry_the_run_details_on_hover_in_local_time(new_york: ZoneInfo) -> None:
    chart = charts.ttft_by_model(runs(12), charts.model_colors(MODELS))
    points = next(t for t in chart.figure.data if t.boxpoints == "all" and t.name == charts.model_label(MODELS[0]))
    assert "%{text}" in points.hovertemplate
    detail = points.text[0]
    started = datetime.fromisoformat("2025-03-01T12:00:01+00:00").astimezone(new_york)
    assert started.strftime("%Y-%m-%d %H:%M:%S %Z") in detail and "07:00:01 EST" in detail
    assert f"<b>{charts.model_label(MODELS[0])}</b> · {MODELS[0]}" in detail  # the name, and the id on hover
    assert "run 0-000001" in detail and "stream · invoke · emulator · ok" in detail and "TTFT 201 ms" in detail
    assert "60 tok/s" in detail and "server first byte 181 ms" in detail


def test_times_are_drawn_in_local_time_and_labelled_so(new_york: ZoneInfo) -> None:
    chart = charts.ttft_over_time(runs(12), charts.model_colors(MODELS))
    assert chart.figure.layout.xaxis.title.text == "started (local time, EST)"
    first = pd.Timestamp(chart.figure.data[0].x[0])
    assert (first.hour, first.utcoffset()) == (7, pd.Timedelta(hours=-5))  # 12:00 UTC is 7:00 in New York


def test_boxes_use_every_run_while_points_are_capped() -> None:
    frame = runs(2500, MODELS[:1])  # 2,500 runs of one model, 1,666 of them streams that finished ok
    assert charts.points_capped(frame) is False  # one model: up to MAX_POINTS points
    frame = runs(4000, MODELS[:2])
    chart = charts.ttft_by_model(frame, charts.model_colors(MODELS))
    box, points = chart.figure.data[0], chart.figure.data[1]
    assert box.name == charts.model_label(MODELS[0])  # the snappier model, on top
    ok_streams = analytics.finished_ok(frame[frame["model_id"] == MODELS[0]], "ttft_ms")["ttft_ms"]
    assert box.median[0] == pytest.approx(ok_streams.quantile(0.5))
    assert box.q1[0] == pytest.approx(ok_streams.quantile(0.25))
    assert box.q3[0] == pytest.approx(ok_streams.quantile(0.75))
    assert len(points.x) == charts.points_per_model(2) < len(ok_streams)
    assert charts.points_capped(frame) is True


def test_with_many_models_each_has_a_level_row_of_its_own_best_first() -> None:
    chosen = streaming_models(14)
    frame = runs(6, chosen, errors=False)
    frame["ttft_ms"] = frame["ttft_ms"].where(frame["model_id"] != chosen[-1], 50.0)  # the last is the snappiest
    for chart in (charts.ttft_by_model(frame, charts.model_colors(chosen)),
                  charts.decode_rate_by_model(frame, charts.model_colors(chosen)),
                  charts.cost_by_model(analytics.cost_by_model(frame), charts.model_colors(chosen))):
        layout = chart.figure.layout
        rows = list(layout.yaxis.categoryarray)
        assert sorted(rows) == sorted(charts.model_label(m) for m in chosen), chart.key  # names, not ids
        assert all(t.orientation == "h" for t in chart.figure.data)  # names on the y axis, written level
        assert layout.yaxis.autorange == "reversed"  # the first row on top
        assert layout.height >= charts.ROW_PX * len(chosen) + layout.margin.t
    ttft = charts.ttft_by_model(frame, charts.model_colors(chosen))
    assert ttft.figure.layout.yaxis.categoryarray[0] == charts.model_label(chosen[-1])
    cost = charts.cost_by_model(analytics.cost_by_model(frame), charts.model_colors(chosen))
    dearest = analytics.cost_by_model(frame)["total_usd"].idxmax()
    assert cost.figure.layout.yaxis.categoryarray[0] == charts.model_label(dearest)
    assert cost.figure.data[0].text[0] == fmt.usd(analytics.cost_by_model(frame)["total_usd"].max())


def test_legends_sit_under_the_plot_clear_of_the_toolbar_and_grow_the_chart() -> None:
    def scatter_charts(frame: pd.DataFrame) -> list[charts.Chart]:
        colors = charts.model_colors(frame["model_id"].unique().tolist())
        return [charts.e2e_vs_output_tokens(frame, analytics.e2e_fits(frame), colors),
                charts.ttft_over_time(frame, colors), charts.client_vs_server(frame, colors)]

    few, many = runs(4, MODELS[:2]), runs(4, streaming_models(12), errors=False)
    for small, large in zip(scatter_charts(few), scatter_charts(many), strict=True):
        layout = large.figure.layout
        assert layout.showlegend and (layout.legend.yref, layout.legend.y, layout.legend.yanchor) == (
            "container", 0, "bottom"), large.key
        # room above the plot for the toolbar, and under it for the legend's lines
        assert layout.margin.t >= 30 and layout.height > small.figure.layout.height, large.key
        assert {t.legendgroup for t in large.figure.data} == names(large)  # entries flow in lines (see _layout)


def test_error_rates_say_no_errors_instead_of_zero() -> None:
    frame = runs(20, MODELS)
    frame.loc[frame["model_id"] != MODELS[0], ["status", "error_code"]] = ["ok", None]  # only the first failed
    chart = charts.error_rates(analytics.error_rates(frame), charts.model_colors(MODELS))
    assert not chart.empty
    said = {trace.name: trace.text[0] for trace in chart.figure.data}
    assert said[charts.model_label(MODELS[0])] == "10% (2 of 20, 2 throttled)"
    assert said[charts.model_label(MODELS[1])] == said[charts.model_label(MODELS[2])] == "no errors"
    assert chart.figure.layout.yaxis.categoryarray[0] == charts.model_label(MODELS[0])  # the worst on top

    clean = charts.error_rates(analytics.error_rates(runs(20, MODELS, errors=False)), charts.model_colors(MODELS))
    assert clean.empty == "No errors: all 60 finished runs of 3 models ended ok."


def test_the_perceived_wait_joins_each_models_stream_and_sync_medians() -> None:
    frame = runs(12)
    chart = charts.perceived_wait(analytics.perceived_wait(frame), charts.model_colors(MODELS))
    table = analytics.perceived_wait(frame)
    for model_id in MODELS:
        (trace,) = [t for t in chart.figure.data if t.name == charts.model_label(model_id)]
        assert list(trace.x) == [table.loc[(model_id, "stream"), "p50"], table.loc[(model_id, "sync"), "p50"]]
        assert list(trace.marker.symbol) == ["circle", "diamond"] and "p90" in trace.text[0]
    assert {t.name for t in chart.figure.data if t.showlegend is not False} == KEY_TRACES


def test_nothing_to_draw_says_why_instead_of_drawing_empty() -> None:
    frame = runs(3).iloc[:0]
    for chart in charts.monitor_charts(frame):
        assert not chart.figure.data and chart.empty, chart.key
        assert "yet" in chart.empty or "No stream reported" in chart.empty


def test_client_vs_server_needs_the_server_first_byte() -> None:
    frame = runs(6)
    frame["server_first_byte_ms"] = float("nan")  # Converse streams do not report it
    chart = charts.client_vs_server(frame, charts.model_colors(MODELS))
    assert not chart.figure.data and "InvokeModel" in chart.empty and "Converse" in chart.empty


def test_side_by_side_charts_take_the_height_of_the_tallest() -> None:
    frame = runs(4, streaming_models(12), errors=False)
    colors = charts.model_colors(frame["model_id"].unique().tolist())
    one = frame[frame["model_id"] == frame["model_id"].iloc[0]]
    pair = [charts.ttft_by_model(frame, colors).figure,
            charts.cost_by_model(analytics.cost_by_model(one), colors).figure]
    tallest = max(f.layout.height for f in pair)
    charts.same_height(pair)
    assert [f.layout.height for f in pair] == [tallest, tallest]


def test_the_toolbar_downloads_a_png_named_for_the_chart() -> None:
    config = charts.plot_config("monitor-ttft")
    assert config["toImageButtonOptions"] == {"format": "png", "filename": "monitor-ttft", "scale": 2}
    assert "toImage" not in config.get("modeBarButtonsToRemove", []) and config.get("displayModeBar") is not False


def test_model_labels_are_display_names_with_the_profiles_geography() -> None:
    model = catalog.resolve(models.CLAUDE)
    base = model.base_id
    assert charts.model_label(base) == model.name
    assert charts.model_label(f"us.{base}") == f"{model.name} (US)"
    assert charts.model_label(f"global.{base}") == f"{model.name} (Global)"
    assert charts.model_label(f"arn:aws:bedrock:us-east-1::foundation-model/{base}") == model.name
    assert charts.model_label("acme.custom-model-v1") == "acme.custom-model-v1"  # unknown to the table: its id
    assert charts.model_label(f"{base} · effort high") == f"{model.name} · effort high"


def test_every_model_and_profile_has_a_name_of_its_own() -> None:
    refs = [m.base_id for m in catalog.listed_models()]
    refs += [f"{g}.{m.base_id}" for m in catalog.listed_models() if m.spec for g in m.spec.profiles]
    labels = [charts.model_label(ref) for ref in refs]
    assert len(set(labels)) == len(refs)
    assert not set(labels) & set(refs)  # a name, never the raw id, for every model the table knows
    arn = f"arn:aws:bedrock:us-east-1::foundation-model/{models.ON_DEMAND}"
    shown = charts.model_labels([models.ON_DEMAND, arn])  # two ids of one model drawn apart: told apart
    assert len(set(shown.values())) == 2 and arn in shown[arn]
