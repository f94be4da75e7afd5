"""The Monitor's charts as plotly figures, built from `core.analytics` tables and the runs frame.

One trace (or one legend entry) per model in every chart, each model in the same colour everywhere.
Distributions are drawn from statistics computed in pandas over every run (box plots take their
quartiles precomputed), while the points drawn on top, which carry each run's details on hover, are
the latest `points_per_model` runs of each model, so a history of 100,000 runs stays light in the
browser.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative

from . import analytics, providers
from .catalog import PRICE_TABLE_DATE

MAX_POINTS = 3000  # points drawn per chart, shared between the models
PALETTE = [*qualitative.Plotly, *qualitative.D3, *qualitative.Alphabet]
HEIGHT_PX = 380


@dataclass(frozen=True)
class Chart:
    """A figure with its title and the one line that says how to read it."""

    key: str
    title: str
    caption: str
    figure: go.Figure


def model_label(model_id: str) -> str:
    """A model id without its vendor prefix ("us.claude-3-5-haiku-20241022-v1:0"): short for legends. A group of a
    model's runs (`analytics.grouped`: "us.anthropic.claude-... · effort high") keeps its group after the name."""
    model_id, dot, group = model_id.partition(analytics.GROUP_SEPARATOR)
    if dot:
        return f"{model_label(model_id)}{dot}{group}"
    ref = model_id.rsplit("/", 1)[-1] if model_id.startswith("arn:") else model_id
    base = providers.base_model_id(ref)
    geography = ref[: len(ref) - len(base)] if ref.endswith(base) else ""
    short = base.split(".", 1)[1] if "." in base else base
    return f"{geography}{short}"


def model_colors(model_ids: Sequence[str]) -> dict[str, str]:
    """A stable colour per model (by sorted id), so a model looks the same in every chart."""
    return {model_id: PALETTE[i % len(PALETTE)] for i, model_id in enumerate(sorted(set(model_ids)))}


def _layout(figure: go.Figure, *, x_title: str, y_title: str, **extra: Any) -> go.Figure:
    figure.update_layout(height=HEIGHT_PX, margin={"l": 10, "r": 10, "t": 10, "b": 10},
                         legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
                         xaxis_title=x_title, yaxis_title=y_title, **extra)
    return figure


def _empty(figure: go.Figure, message: str) -> go.Figure:
    figure.add_annotation(text=message, showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5)
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    return figure


def points_per_model(models: int) -> int:
    """How many of each model's latest runs a chart draws as points."""
    return max(50, MAX_POINTS // max(1, models))


def points_capped(frame: pd.DataFrame) -> bool:
    """True when some model has more runs than its points show (the statistics still use them all)."""
    counts = frame.groupby("model_id").size()
    return bool(len(counts)) and int(counts.max()) > points_per_model(len(counts))


def _latest(rows: pd.DataFrame, models: int) -> pd.DataFrame:
    """The latest runs of each model (rows come oldest first)."""
    return rows.groupby("model_id", sort=False).tail(points_per_model(models))


def _num(values: pd.Series, unit: str, decimals: int = 0) -> pd.Series:
    return values.map(lambda v: "—" if pd.isna(v) else f"{v:,.{decimals}f}{unit}")


def run_details(rows: pd.DataFrame) -> pd.Series:
    """The hover text of each run's point: when, how, and its numbers (built column-wise)."""
    started = rows["started_utc"].dt.strftime("%Y-%m-%d %H:%M:%S UTC")
    outcome = rows["status"].where(rows["status"] != "error", "error " + rows["error_code"].fillna(""))
    return ("<b>" + rows["model_id"] + "</b><br>" + started + " · run " + rows["run_id"].str[:8]
            + "<br>" + rows["mode"] + " · " + rows["api"] + " · " + rows["backend"] + " · " + outcome
            + "<br>TTFT " + _num(rows["ttft_ms"], " ms") + _reasoning_detail(rows)
            + " · E2E " + _num(rows["e2e_ms"], " ms")
            + "<br>" + _num(rows["tokens_per_s"], " tok/s", 1) + " · out " + _num(rows["output_tokens"], " tokens")
            + " · server first byte " + _num(rows["server_first_byte_ms"], " ms"))


def _reasoning_detail(rows: pd.DataFrame) -> pd.Series:
    """" (first answer token) · first reasoning N ms" for the runs that reasoned, "" for the others."""
    if "first_reasoning_ms" not in rows.columns:
        return pd.Series("", index=rows.index)
    reasoned = rows["first_reasoning_ms"].notna()
    return (" (first answer token) · first reasoning " + _num(rows["first_reasoning_ms"], " ms")).where(reasoned, "")


def _distribution(frame: pd.DataFrame, metric: str, unit: str, colors: dict[str, str], empty: str) -> go.Figure:
    """Box per model from quartiles over every run, with the latest runs as points that show their details."""
    rows = analytics.finished_ok(frame, metric).dropna(subset=[metric])
    figure = go.Figure()
    if rows.empty:
        return _empty(figure, empty)
    grouped = rows.groupby("model_id", sort=True)[metric]
    stats = grouped.quantile([0.25, 0.5, 0.75]).unstack()
    stats["low"], stats["high"], stats["n"] = grouped.min(), grouped.max(), grouped.count()
    spread = 1.5 * (stats[0.75] - stats[0.25])
    stats["lower_fence"] = stats["low"].where(stats["low"] >= stats[0.25] - spread, stats[0.25] - spread)
    stats["upper_fence"] = stats["high"].where(stats["high"] <= stats[0.75] + spread, stats[0.75] + spread)
    points = _latest(rows, len(stats))
    details = run_details(points)
    for model_id, row in stats.iterrows():  # one trace per model, not per run
        label = model_label(str(model_id))
        figure.add_trace(go.Box(
            name=label, x=[label], q1=[row[0.25]], median=[row[0.5]], q3=[row[0.75]],
            lowerfence=[row["lower_fence"]], upperfence=[row["upper_fence"]], marker_color=colors[str(model_id)],
            legendgroup=label, boxpoints=False, hoverinfo="y",
            hovertext=f"{model_id}: n = {int(row['n'])}"))
        mine = points["model_id"] == model_id
        figure.add_trace(go.Box(
            name=label, x=[label] * int(mine.sum()), y=points.loc[mine, metric], boxpoints="all", jitter=0.6,
            pointpos=0, fillcolor="rgba(0,0,0,0)", line={"color": "rgba(0,0,0,0)"}, legendgroup=label,
            showlegend=False, marker={"color": colors[str(model_id)], "size": 4, "opacity": 0.55},
            hoveron="points", text=details[mine], hovertemplate=f"%{{y:,.1f}} {unit}<br>%{{text}}<extra></extra>"))
    return _layout(figure, x_title="", y_title=unit, boxmode="overlay", showlegend=False)


def _ttft_name(frame: pd.DataFrame) -> str:
    """"Time to first token", said as the first *answer* token when some of these runs reasoned first."""
    return "Time to first answer token" if analytics.reasoning_models(frame) else "Time to first token"


def ttft_by_model(frame: pd.DataFrame, colors: dict[str, str]) -> Chart:
    name = _ttft_name(frame)
    reasoned = " Where a model reasoned first, this is its first answer token." if "answer" in name else ""
    return Chart("ttft", f"{name} per model",
                 "Boxes span the middle half of each model's streams (line: median; whiskers: the usual range); "
                 f"lower is snappier. Hover a point for that run's details.{reasoned}",
                 _distribution(frame, "ttft_ms", "ms", colors, "No stream finished ok yet."))


def first_reasoning_by_model(frame: pd.DataFrame, colors: dict[str, str]) -> Chart:
    return Chart("first_reasoning", "Time to first reasoning per model",
                 "How long each reasoning stream took to show its first reasoning text (models that reason in "
                 "silence show none: their whole wait is in the time to first answer token).",
                 _distribution(frame, "first_reasoning_ms", "ms", colors, "No stream showed reasoning yet."))


def decode_rate_by_model(frame: pd.DataFrame, colors: dict[str, str]) -> Chart:
    return Chart("decode", "Decode rate per model (tokens per second)",
                 "Output tokens / (E2E - TTFT) for each stream: how fast text arrives once it starts; higher is "
                 "faster, a tall box means an uneven rate.",
                 _distribution(frame, "tokens_per_s", "tok/s", colors, "No stream with two or more tokens yet."))


def e2e_vs_output_tokens(frame: pd.DataFrame, fits: pd.DataFrame, colors: dict[str, str]) -> Chart:
    rows = frame[(frame["status"] == "ok")].dropna(subset=["e2e_ms", "output_tokens"])
    figure = go.Figure()
    if rows.empty:
        _empty(figure, "No run finished ok yet.")
    else:
        points = _latest(rows, rows["model_id"].nunique())
        details = run_details(points)
        for model_id, fit in fits.iterrows():
            label, color = model_label(str(model_id)), colors[str(model_id)]
            mine = points["model_id"] == model_id
            figure.add_trace(go.Scatter(
                name=label, legendgroup=label, mode="markers", x=points.loc[mine, "output_tokens"],
                y=points.loc[mine, "e2e_ms"], marker={"color": color, "size": 5, "opacity": 0.6}, text=details[mine],
                hovertemplate="%{x} tokens · %{y:,.0f} ms<br>%{text}<extra></extra>"))
            if pd.notna(fit["ms_per_token"]):
                xs = [fit["tokens_min"], fit["tokens_max"]]
                figure.add_trace(go.Scatter(
                    name=label, legendgroup=label, showlegend=False, mode="lines", x=xs,
                    y=[fit["intercept_ms"] + fit["ms_per_token"] * x for x in xs], line={"color": color},
                    hovertemplate=(f"{model_id}<br>fit over {int(fit['n'])} runs: {fit['intercept_ms']:,.0f} ms + "
                                   f"{fit['ms_per_token']:,.2f} ms per output token<extra></extra>")))
        _layout(figure, x_title="output tokens", y_title="E2E (ms)")
    return Chart("e2e", "End-to-end time against output tokens",
                 "Each point is a run, each line a least-squares fit per model: the slope is the time per output "
                 "token, where the line starts is the fixed cost before tokens flow.", figure)


def ttft_over_time(frame: pd.DataFrame, colors: dict[str, str]) -> Chart:
    rows = analytics.finished_ok(frame, "ttft_ms").dropna(subset=["ttft_ms"])
    figure = go.Figure()
    if rows.empty:
        _empty(figure, "No stream finished ok yet.")
    else:
        points = _latest(rows, rows["model_id"].nunique())
        details = run_details(points)
        for model_id in sorted(points["model_id"].unique()):
            label = model_label(str(model_id))
            mine = points["model_id"] == model_id
            figure.add_trace(go.Scatter(
                name=label, mode="markers", x=points.loc[mine, "started_utc"], y=points.loc[mine, "ttft_ms"],
                marker={"color": colors[str(model_id)], "size": 5, "opacity": 0.7}, text=details[mine],
                hovertemplate="%{y:,.0f} ms<br>%{text}<extra></extra>"))
        _layout(figure, x_title="started (UTC)", y_title=f"{_ttft_name(frame).lower()} (ms)")
    return Chart("ttft_time", f"{_ttft_name(frame)} over time",
                 "Each point is a stream, placed at the moment it started: look for drift, spikes or a busy hour.",
                 figure)


def perceived_wait(table: pd.DataFrame, colors: dict[str, str]) -> Chart:
    """`table` is analytics.perceived_wait(frame)."""
    figure = go.Figure()
    if table.empty:
        _empty(figure, "No run finished ok yet.")
    else:
        waits = table.reset_index()
        waits["where"] = waits["mode"].map({"stream": "stream (first token)", "sync": "sync (whole answer)"})
        for model_id, rows in waits.groupby("model_id", sort=True):
            label = model_label(str(model_id))
            figure.add_trace(go.Bar(
                name=label, x=rows["where"], y=rows["p50"], marker_color=colors[str(model_id)],
                customdata=rows[["n", "p90"]].to_numpy(dtype=float),
                hovertemplate=(f"{model_id}<br>%{{x}}: p50 %{{y:,.0f}} ms<br>p90 %{{customdata[1]:,.0f}} ms · "
                               "n = %{customdata[0]}<extra></extra>")))
        _layout(figure, x_title="", y_title="p50 wait before the answer begins (ms)", barmode="group")
        figure.update_xaxes(categoryorder="array", categoryarray=["stream (first token)", "sync (whole answer)"])
    return Chart("wait", "Stream vs sync: the wait the user perceives",
                 "Median wait until the answer starts to show: first token when streamed, the whole answer when "
                 "sync. The gap between a model's two bars is what streaming buys.", figure)


def client_vs_server(frame: pd.DataFrame, colors: dict[str, str]) -> Chart:
    rows = analytics.finished_ok(frame, "ttft_ms").dropna(subset=["ttft_ms", "server_first_byte_ms"])
    figure = go.Figure()
    if rows.empty:
        _empty(figure, "No stream with a server first-byte time yet (InvokeModel streams report it).")
    else:
        points = _latest(rows, rows["model_id"].nunique())
        details = run_details(points)
        top = float(max(points["ttft_ms"].max(), points["server_first_byte_ms"].max()))
        figure.add_shape(type="line", x0=0, y0=0, x1=top, y1=top, line={"dash": "dot", "color": "grey"})
        for model_id in sorted(points["model_id"].unique()):
            label = model_label(str(model_id))
            mine = points["model_id"] == model_id
            figure.add_trace(go.Scatter(
                name=label, mode="markers", x=points.loc[mine, "server_first_byte_ms"],
                y=points.loc[mine, "ttft_ms"], marker={"color": colors[str(model_id)], "size": 5, "opacity": 0.7},
                customdata=points.loc[mine, ["client_overhead_ms"]].to_numpy(dtype=float), text=details[mine],
                hovertemplate=("client %{y:,.0f} ms · server %{x:,.0f} ms · network and SDK "
                               "%{customdata[0]:,.0f} ms<br>%{text}<extra></extra>")))
        _layout(figure, x_title="server first byte (ms, Bedrock's firstByteLatency)", y_title="client TTFT (ms)")
    return Chart("overhead", "Client time to first token against the server's first byte",
                 "Points on the dotted line mean all the wait was the model's; the height above it is the network's "
                 "and the SDK's share.", figure)


def error_rates(table: pd.DataFrame, colors: dict[str, str]) -> Chart:
    """`table` is analytics.error_rates(frame)."""
    figure = go.Figure()
    finished = table[table["finished"] > 0] if not table.empty else table
    if finished.empty:
        _empty(figure, "No run finished yet.")
    else:
        kinds = ["throttled", "other errors"]
        for model_id, row in finished.iterrows():
            label = model_label(str(model_id))
            figure.add_trace(go.Bar(
                name=label, x=kinds, y=[100 * row["throttle_rate"], 100 * row["other_error_rate"]],
                marker_color=colors[str(model_id)],
                customdata=[[row["throttled"], row["finished"], row["retried"]],
                            [row["other_errors"], row["finished"], row["retried"]]],
                texttemplate="%{y:.0f}%", textposition="outside",
                hovertemplate=(f"{model_id}<br>%{{x}}: %{{y:.1f}}% (%{{customdata[0]}} of %{{customdata[1]}} "
                               "runs)<br>%{customdata[2]} runs needed SDK retries<extra></extra>")))
        highest = float(100 * finished[["throttle_rate", "other_error_rate"]].max().max())
        _layout(figure, x_title="", y_title="% of finished runs", barmode="group")
        figure.update_yaxes(range=[0, max(5.0, highest * 1.15)])
    return Chart("errors", "Error and throttling rate per model",
                 "Share of finished runs (stopped ones left out) that failed: throttled by Bedrock, or any other "
                 "error. Lower is better; hover for counts and retries.", figure)


def cost_by_model(table: pd.DataFrame, colors: dict[str, str]) -> Chart:
    """`table` is analytics.cost_by_model(frame)."""
    figure = go.Figure()
    priced = table.dropna(subset=["total_usd"]) if not table.empty else table
    if priced.empty:
        _empty(figure, "No run with a known price yet.")
    else:
        for model_id, row in priced.iterrows():
            label = model_label(str(model_id))
            figure.add_trace(go.Bar(
                name=label, x=[label], y=[row["total_usd"]], marker_color=colors[str(model_id)],
                hovertemplate=(f"{model_id}<br>${row['total_usd']:.6f} over {int(row['priced_runs'])} runs · "
                               f"${row['mean_usd']:.6f} a run · ${row['per_1k_output_usd']:.5f} per 1K output "
                               "tokens<extra></extra>")))
        _layout(figure, x_title="", y_title="estimated cost (USD)", showlegend=False)
    return Chart("cost", "Estimated cost per model",
                 f"Total estimated cost of these runs from on-demand list prices of {PRICE_TABLE_DATE} (an estimate: "
                 "your prices may differ); hover for the cost per run and per 1,000 output tokens.", figure)


def monitor_charts(frame: pd.DataFrame) -> list[Chart]:
    """The Monitor charts for these runs (the frame from analytics.load_runs, filtered): eight, and the time to
    first reasoning after the first when some streams showed reasoning."""
    colors = model_colors(frame["model_id"].unique().tolist())
    reasoning = [first_reasoning_by_model(frame, colors)] \
        if "first_reasoning_ms" in frame.columns and frame["first_reasoning_ms"].notna().any() else []
    return [
        ttft_by_model(frame, colors),
        *reasoning,
        decode_rate_by_model(frame, colors),
        e2e_vs_output_tokens(frame, analytics.e2e_fits(frame), colors),
        ttft_over_time(frame, colors),
        perceived_wait(analytics.perceived_wait(frame), colors),
        client_vs_server(frame, colors),
        error_rates(analytics.error_rates(frame), colors),
        cost_by_model(analytics.cost_by_model(frame), colors),
    ]


# -- the Compare page ----------------------------------------------------------------------------


def _growth(series: Mapping[str, Sequence[tuple[float, float]]], colors: dict[str, str], *, y_title: str,
            hover: str, marks: dict[str, tuple[float, str]] | None = None) -> go.Figure:
    figure = go.Figure()
    for name, points in series.items():
        if not points:
            continue
        xs, ys = zip(*points, strict=True)
        figure.add_trace(go.Scatter(x=xs, y=ys, name=name, mode="lines", line={"shape": "hv", "color": colors[name]},
                                    hovertemplate=f"%{{x:.2f}} s<br>%{{y:,.0f}} {hover}<extra>{name}</extra>"))
    for name, (at_s, text) in (marks or {}).items():
        figure.add_vline(x=at_s, line={"dash": "dot", "color": colors[name], "width": 1})
        figure.add_annotation(x=at_s, y=1, yref="paper", text=text, showarrow=False, xanchor="left",
                              yanchor="top", font={"color": colors[name]})
    if not figure.data:
        return _empty(_layout(figure, x_title="seconds", y_title=y_title), "Nothing arrived.")
    return _layout(figure, x_title="seconds since the request was sent", y_title=y_title)


def visible_text(series: Mapping[str, Sequence[tuple[float, float]]],
                 marks: dict[str, tuple[float, str]]) -> Chart:
    """Characters the user could read over time, one line per mode (sync vs stream)."""
    colors = {name: PALETTE[i] for i, name in enumerate(series)}
    return Chart("visible_text", "What the user saw",
                 "Characters on screen against time since the request was sent: the stream's text grows from "
                 "its first token, the sync answer appears whole at its end-to-end time.",
                 _growth(series, colors, y_title="characters visible", hover="characters", marks=marks))


def tokens_over_time(series: Mapping[str, Sequence[tuple[float, float]]]) -> Chart:
    """Cumulative output tokens over time, one line per model."""
    colors = model_colors(list(series))
    return Chart("tokens_over_time", "Output tokens over time",
                 "Cumulative output tokens against time since the requests were sent, all started together: a "
                 "line that starts left answers first, a steep line decodes fast. Tokens per chunk are "
                 "estimated from its characters, scaled to the tokens the model reported.",
                 _growth(series, colors, y_title="output tokens", hover="tokens"))


def effort_sweep(runs: pd.DataFrame, table: pd.DataFrame) -> Chart:
    """Time to first answer token, reasoning time and cost against effort for one model: `runs` is the sweep's
    records frame (each run a point), `table` is `compare.sweep_table` (the p50 lines, where n allows one)."""
    figure = go.Figure()
    ok = runs[runs["status"] == "ok"] if not runs.empty else runs
    efforts = list(table.index)
    if ok.empty or not efforts:
        return Chart("effort_sweep", "Effort sweep", "No run finished ok.", _empty(figure, "No run finished ok."))
    for i, (name, metric, column, scale, unit, axis) in enumerate((
            ("first answer token", "ttft_ms", "first answer token p50 (ms)", 1000.0, "s", "y"),
            ("reasoning time", "reasoning_ms", "reasoning p50 (ms)", 1000.0, "s", "y"),
            ("cost", "cost_usd", "cost p50 (USD)", 1.0, "USD", "y2"))):
        color = PALETTE[i]
        points = ok.dropna(subset=[metric])
        number = "%{y:$.6f}" if unit == "USD" else "%{y:,.2f} s"
        figure.add_trace(go.Scatter(
            name=name, legendgroup=name, mode="markers", x=points["effort"], y=points[metric] / scale, yaxis=axis,
            marker={"color": color, "size": 8, "opacity": 0.6, "symbol": "diamond" if unit == "USD" else "circle"},
            hovertemplate=f"effort %{{x}}: {number} ({name}, one run)<extra></extra>"))
        medians = table[column].dropna() / scale
        if not medians.empty:
            figure.add_trace(go.Scatter(
                name=f"{name} p50", legendgroup=name, showlegend=False, mode="lines", x=list(medians.index),
                y=medians.to_list(), yaxis=axis, line={"color": color, "dash": "dot" if unit == "USD" else "solid"},
                hovertemplate=f"effort %{{x}}: p50 {number} ({name})<extra></extra>"))
    _layout(figure, x_title="reasoning effort", y_title="seconds (first answer token, reasoning)",
            yaxis2={"title": {"text": "estimated cost per run (USD)"}, "overlaying": "y", "side": "right",
                    "rangemode": "tozero", "showgrid": False, "tickprefix": "$"})
    figure.update_xaxes(categoryorder="array", categoryarray=efforts, type="category")
    figure.update_layout(yaxis_rangemode="tozero")
    return Chart("effort_sweep", "Effort sweep: what thinking costs in time and money",
                 "Each point is a run, each line the median per effort (shown from two runs): seconds to the first "
                 "answer token and of reasoning on the left axis, estimated cost on the right (on-demand list "
                 f"prices of {PRICE_TABLE_DATE}). Higher effort usually thinks longer and costs more.", figure)
