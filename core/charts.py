"""The Monitor's charts as plotly figures, built from `core.analytics` tables and the runs frame.

Every model has one name (`model_label`: its display name, the id on hover) and one colour (`model_colors`) in
every chart, on every page. Charts stay readable with many models: the distributions and bars are horizontal,
one row per model with its name written level; the scatter plots put their legend under the plot, where the
toolbar (PNG download) never covers it. A chart with nothing to draw says why in `Chart.empty`, and the page
leaves it out. Distributions come from statistics computed in pandas over every run (box plots take their
quartiles precomputed), while the points drawn on top, which carry each run's details on hover, are the latest
`points_per_model` runs of each model, so a history of 100,000 runs stays light in the browser.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative

from . import analytics, catalog
from . import format as fmt
from .catalog import PRICE_TABLE_DATE

MAX_POINTS = 3000  # points drawn per chart, shared between the models
PALETTE = [*qualitative.Plotly, *qualitative.D3, *qualitative.Alphabet]
MODEL_PALETTE = [*qualitative.Plotly, *qualitative.D3]  # 20 colours that read on a light and a dark page
HEIGHT_PX = 380
ROW_PX = 28  # per model, in the charts with one row per model
TOP_PX = 36  # above the plot: room for the toolbar, so it never sits on the legend or the data
GEOGRAPHY_NAMES = {"global": "Global", "us": "US", "eu": "EU", "apac": "APAC", "jp": "Japan", "au": "Australia",
                   "us-gov": "US GovCloud", "ca": "Canada"}
# Two colours closer than this (redmean distance, 0-765) are told apart badly: a model whose own colour is that
# close to one already in the chart takes the next one that is not (Plotly's and D3's blues sit at 155).
CLOSE_COLOURS = 130


@dataclass(frozen=True)
class Chart:
    """A figure with its title, the one line that says how to read it, and, when it has nothing to draw, why."""

    key: str
    title: str
    caption: str
    figure: go.Figure
    empty: str = ""  # set: the page shows this sentence instead of drawing the figure


def plot_config(filename: str) -> dict[str, Any]:
    """Plotly's toolbar for a chart: its own PNG download (drawn in the browser: works offline) at twice the size,
    for slides, without the tools a demo does not need."""
    return {"displaylogo": False, "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"],
            "toImageButtonOptions": {"format": "png", "filename": filename, "scale": 2}}


# -- one name and one colour per model -------------------------------------------------------------------------


def model_label(model_id: str) -> str:
    """A model's display name from the model table ("Claude Haiku 4.5"), with the inference profile's geography
    ("Claude Haiku 4.5 (US)"); the id itself for a model the table does not know. A group of a model's runs
    (`analytics.grouped`: "us.anthropic.claude-... · effort high") keeps its group after the name."""
    model_id, dot, group = model_id.partition(analytics.GROUP_SEPARATOR)
    if dot:
        return f"{model_label(model_id)}{dot}{group}"
    try:
        model = catalog.resolve(model_id)
    except catalog.UnknownModelError:
        return model_id
    if model.geography is None:
        return model.name
    return f"{model.name} ({GEOGRAPHY_NAMES.get(model.geography, model.geography)})"


def model_labels(model_ids: Sequence[str]) -> dict[str, str]:
    """`model_label` of each id, made distinct: two ids of one name (a model and its ARN) add the id."""
    labels = {model_id: model_label(model_id) for model_id in dict.fromkeys(model_ids)}
    shared = {label for label in labels.values() if list(labels.values()).count(label) > 1}
    return {m: f"{label} [{m}]" if label in shared else label for m, label in labels.items()}


def _home(name: str) -> int:
    """A model's own place in the palette: its row in the model table. `name` may be a model id, a group of one
    ("<id> · effort high") or a label naming a model ("1 · Anthropic · Claude Haiku 4.5 · Converse")."""
    rows = list(catalog.table().models)
    try:
        base = catalog.resolve(name.partition(analytics.GROUP_SEPARATOR)[0]).base_id
    except catalog.UnknownModelError:
        base = ""
    if base in rows:
        return rows.index(base)
    named = [m for m in catalog.listed_models() if m.name in name]
    if named:
        return rows.index(max(named, key=lambda m: len(m.name)).base_id)
    return zlib.crc32(name.encode()) % len(MODEL_PALETTE)  # stable across processes, unlike hash()


def _distance(one: str, other: str) -> float:
    """How far apart two "#RRGGBB" colours look (the redmean approximation)."""
    r1, g1, b1 = (int(one[i:i + 2], 16) for i in (1, 3, 5))
    r2, g2, b2 = (int(other[i:i + 2], 16) for i in (1, 3, 5))
    mean = (r1 + r2) / 2
    return math.sqrt((2 + mean / 256) * (r1 - r2) ** 2 + 4 * (g1 - g2) ** 2 + (2 + (255 - mean) / 256) * (b1 - b2) ** 2)


def model_colors(model_ids: Sequence[str]) -> dict[str, str]:
    """A colour per model that follows it from chart to chart and page to page: its own colour (by its row in the
    model table), unless a model shown with it already has that one or one close to it; then the next free one
    that stands apart (the next free one at all when none does)."""
    size = len(MODEL_PALETTE)
    colors: dict[str, str] = {}
    for model_id in sorted(set(model_ids), key=lambda m: (_home(m) % size, m)):
        taken = list(colors.values())
        order = [MODEL_PALETTE[(_home(model_id) + step) % size] for step in range(size)]
        free = [c for c in order if c not in taken] or order
        apart = [c for c in free if all(_distance(c, t) >= CLOSE_COLOURS for t in taken)]
        colors[model_id] = (apart or free)[0]
    return colors


# -- shared pieces -------------------------------------------------------------------------------------------


def _layout(figure: go.Figure, *, x_title: str, y_title: str, legend: bool = False, height: int = HEIGHT_PX,
            **extra: Any) -> go.Figure:
    """Titles, size and margins. A legend goes under the plot, clear of the toolbar above it (its entries flow in
    lines only when each trace has a legend group of its own: plotly stacks them in one column otherwise)."""
    figure.update_layout(
        height=height, margin={"l": 10, "r": 10, "t": TOP_PX, "b": 10}, showlegend=legend,
        legend={"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom", "x": 0, "xanchor": "left"},
        xaxis_title=x_title, yaxis_title=y_title, **extra)
    return figure


def _legend_height(models: int) -> int:
    """The chart's height with room under the plot for a legend of this many models (about three to a line)."""
    return HEIGHT_PX + 22 * math.ceil(models / 3)


def _rows_height(models: int) -> int:
    """The height of a chart with one row per model."""
    return max(HEIGHT_PX - 100, TOP_PX + 70 + ROW_PX * models)


def _per_model(figure: go.Figure, order: Sequence[str], x_title: str, legend: bool = False, **extra: Any) -> go.Figure:
    """A chart with one row per model, the first in `order` on top, names level and whole."""
    _layout(figure, x_title=x_title, y_title="", legend=legend, height=_rows_height(len(order)) + 30 * legend,
            **extra)
    figure.update_yaxes(categoryorder="array", categoryarray=list(order), autorange="reversed", automargin=True,
                        type="category")
    return figure


def same_height(figures: Sequence[go.Figure]) -> None:
    """Give figures drawn side by side the height of the tallest."""
    tallest = max((figure.layout.height or HEIGHT_PX for figure in figures), default=HEIGHT_PX)
    for figure in figures:
        figure.update_layout(height=tallest)


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


def run_details(rows: pd.DataFrame, names: Mapping[str, str] | None = None) -> pd.Series:
    """The hover text of each run's point: which model (name and id), when (local time), how, and its numbers."""
    started = analytics.local_times(rows["started_utc"]).dt.strftime("%Y-%m-%d %H:%M:%S %Z")
    outcome = rows["status"].where(rows["status"] != "error", "error " + rows["error_code"].fillna(""))
    name = rows["model_id"].map(lambda m: (names or {}).get(m) or model_label(m))
    return ("<b>" + name + "</b> · " + rows["model_id"] + "<br>" + started + " · run " + rows["run_id"].str[:8]
            + "<br>" + rows["mode"] + " · " + rows["api"] + " · " + rows["backend"] + " · " + outcome
            + "<br>TTFT " + rows["ttft_ms"].map(fmt.ms) + _reasoning_detail(rows)
            + " · E2E " + rows["e2e_ms"].map(fmt.ms)
            + "<br>" + rows["tokens_per_s"].map(fmt.rate) + " · out " + rows["output_tokens"].map(fmt.count)
            + " tokens · server first byte " + rows["server_first_byte_ms"].map(fmt.ms))


def _reasoning_detail(rows: pd.DataFrame) -> pd.Series:
    """" (first answer token) · first reasoning N ms" for the runs that reasoned, "" for the others."""
    if "first_reasoning_ms" not in rows.columns:
        return pd.Series("", index=rows.index)
    reasoned = rows["first_reasoning_ms"].notna()
    return (" (first answer token) · first reasoning " + rows["first_reasoning_ms"].map(fmt.ms)).where(reasoned, "")


# -- the Monitor's charts ------------------------------------------------------------------------------------


def _distribution(frame: pd.DataFrame, metric: str, x_title: str, unit: str, colors: dict[str, str],
                  higher_first: bool = False) -> go.Figure | None:
    """A row per model: a box from quartiles over every run, with the latest runs as points that show their
    details, the best median on top. None when no run has the metric."""
    rows = analytics.finished_ok(frame, metric).dropna(subset=[metric])
    if rows.empty:
        return None
    grouped = rows.groupby("model_id", sort=True)[metric]
    stats = grouped.quantile([0.25, 0.5, 0.75]).unstack()
    stats["low"], stats["high"], stats["n"] = grouped.min(), grouped.max(), grouped.count()
    spread = 1.5 * (stats[0.75] - stats[0.25])
    stats["lower_fence"] = stats["low"].where(stats["low"] >= stats[0.25] - spread, stats[0.25] - spread)
    stats["upper_fence"] = stats["high"].where(stats["high"] <= stats[0.75] + spread, stats[0.75] + spread)
    stats = stats.sort_values(0.5, ascending=not higher_first)
    names = model_labels(list(stats.index.astype(str)))
    points = _latest(rows, len(stats))
    details = run_details(points, names)
    figure = go.Figure()
    for model_id, row in stats.iterrows():  # one trace per model, not per run
        label, color = names[str(model_id)], colors[str(model_id)]
        figure.add_trace(go.Box(
            name=label, y=[label], q1=[row[0.25]], median=[row[0.5]], q3=[row[0.75]], orientation="h",
            lowerfence=[row["lower_fence"]], upperfence=[row["upper_fence"]], marker_color=color,
            legendgroup=label, boxpoints=False, hoverinfo="x+text",
            hovertext=f"{label} · {model_id}: n = {fmt.count(row['n'])}"))
        mine = points["model_id"] == model_id
        figure.add_trace(go.Box(
            name=label, y=[label] * int(mine.sum()), x=points.loc[mine, metric], orientation="h", boxpoints="all",
            jitter=0.6, pointpos=0, fillcolor="rgba(0,0,0,0)", line={"color": "rgba(0,0,0,0)"}, legendgroup=label,
            showlegend=False, marker={"color": color, "size": 4, "opacity": 0.55}, hoveron="points",
            text=details[mine], hovertemplate=f"%{{x:,.0f}} {unit}<br>%{{text}}<extra></extra>"))
    return _per_model(figure, [names[str(m)] for m in stats.index], x_title, boxmode="overlay")


def _ttft_key(frame: pd.DataFrame) -> str:
    """"ttft", or "first_answer_token" when some of these runs reasoned first (their TTFT is the answer's)."""
    return "first_answer_token" if analytics.reasoning_models(frame) else "ttft"


def _chart(key: str, title: str, caption: str, figure: go.Figure | None, empty: str) -> Chart:
    """A chart, or when there is no figure, an empty one that says why."""
    if figure is None:
        return Chart(key, title, caption, _empty(go.Figure(), empty), empty)
    return Chart(key, title, caption, figure)


def ttft_by_model(frame: pd.DataFrame, colors: dict[str, str]) -> Chart:
    key = _ttft_key(frame)
    reasoned = " Where a model reasoned first, this is its first answer token." if key != "ttft" else ""
    return _chart("ttft", f"{fmt.METRICS[key].name} per model",
                  "Boxes span the middle half of each model's streams (line: median; whiskers: the usual range), the "
                  f"snappiest model on top; lower is snappier. Hover a point for that run's details.{reasoned}",
                  _distribution(frame, "ttft_ms", fmt.label(key), "ms", colors), "No stream finished ok yet.")


def first_reasoning_by_model(frame: pd.DataFrame, colors: dict[str, str]) -> Chart:
    return _chart("first_reasoning", "Time to first reasoning per model",
                  "How long each reasoning stream took to show its first reasoning text (models that reason in "
                  "silence show none: their whole wait is in the time to first answer token).",
                  _distribution(frame, "first_reasoning_ms", fmt.label("first_reasoning"), "ms", colors),
                  "No stream showed reasoning yet.")


def decode_rate_by_model(frame: pd.DataFrame, colors: dict[str, str]) -> Chart:
    return _chart("decode", "Decode rate per model (tokens per second)",
                  "Output tokens / (E2E - TTFT) for each stream: how fast text arrives once it starts, the fastest "
                  "model on top; a wide box means an uneven rate.",
                  _distribution(frame, "tokens_per_s", fmt.label("decode_rate"), "tok/s", colors, higher_first=True),
                  "No stream with two or more tokens yet.")


def e2e_vs_output_tokens(frame: pd.DataFrame, fits: pd.DataFrame, colors: dict[str, str]) -> Chart:
    rows = frame[(frame["status"] == "ok")].dropna(subset=["e2e_ms", "output_tokens"])
    figure: go.Figure | None = None
    if not rows.empty:
        figure = go.Figure()
        points = _latest(rows, rows["model_id"].nunique())
        names = model_labels(list(fits.index.astype(str)))
        details = run_details(points, names)
        for model_id, fit in fits.iterrows():
            label, color = names[str(model_id)], colors[str(model_id)]
            mine = points["model_id"] == model_id
            figure.add_trace(go.Scatter(
                name=label, legendgroup=label, mode="markers", x=points.loc[mine, "output_tokens"],
                y=points.loc[mine, "e2e_ms"], marker={"color": color, "size": 5, "opacity": 0.6}, text=details[mine],
                hovertemplate="%{x:,} tokens · %{y:,.0f} ms<br>%{text}<extra></extra>"))
            if pd.notna(fit["ms_per_token"]):
                xs = [fit["tokens_min"], fit["tokens_max"]]
                figure.add_trace(go.Scatter(
                    name=label, legendgroup=label, showlegend=False, mode="lines", x=xs,
                    y=[fit["intercept_ms"] + fit["ms_per_token"] * x for x in xs], line={"color": color},
                    hovertemplate=(f"<b>{label}</b> · {model_id}<br>fit over {fmt.count(fit['n'])} runs: "
                                   f"{fmt.ms(fit['intercept_ms'])} + {fmt.number(fit['ms_per_token'], 2)} ms per "
                                   "output token<extra></extra>")))
        _layout(figure, x_title=fmt.label("output_tokens"), y_title=fmt.label("e2e"), legend=True,
                height=_legend_height(len(fits)))
    return _chart("e2e", "End-to-end time against output tokens",
                  "Each point is a run, each line a least-squares fit per model: the slope is the time per output "
                  "token, where the line starts is the fixed cost before tokens flow.", figure,
                  "No run finished ok yet.")


def ttft_over_time(frame: pd.DataFrame, colors: dict[str, str]) -> Chart:
    rows = analytics.finished_ok(frame, "ttft_ms").dropna(subset=["ttft_ms"])
    key = _ttft_key(frame)
    figure: go.Figure | None = None
    if not rows.empty:
        figure = go.Figure()
        points = _latest(rows, rows["model_id"].nunique())
        names = model_labels(sorted(points["model_id"].unique()))
        details = run_details(points, names)
        for model_id, label in names.items():
            mine = points["model_id"] == model_id
            figure.add_trace(go.Scatter(
                name=label, legendgroup=label, mode="markers", x=analytics.local_times(points.loc[mine, "started_utc"]),
                y=points.loc[mine, "ttft_ms"], marker={"color": colors[model_id], "size": 5, "opacity": 0.7},
                text=details[mine], hovertemplate="%{y:,.0f} ms<br>%{text}<extra></extra>"))
        _layout(figure, x_title=f"started ({analytics.zone_name()})", y_title=fmt.label(key), legend=True,
                height=_legend_height(len(names)))
    return _chart("ttft_time", f"{fmt.METRICS[key].name} over time",
                  "Each point is a stream, placed at the moment it started (this computer's local time): look for "
                  "drift, spikes or a busy hour.", figure, "No stream finished ok yet.")


WAIT_MODES = {"stream": ("circle", "streamed: first token"), "sync": ("diamond", "sync: whole answer")}


def perceived_wait(table: pd.DataFrame, colors: dict[str, str]) -> Chart:
    """`table` is analytics.perceived_wait(frame): a row per model, its stream wait and its sync wait joined."""
    figure: go.Figure | None = None
    if not table.empty:
        figure = go.Figure()
        waits = table["p50"].unstack("mode").reindex(columns=list(WAIT_MODES))
        waits = waits.assign(_first=waits["stream"].fillna(waits["sync"])).sort_values("_first")
        names = model_labels(list(waits.index.astype(str)))
        stats = table.to_dict("index")  # (model, mode) -> n, p50, p90
        for model_id, row in waits.iterrows():
            label = names[str(model_id)]
            modes = [mode for mode in WAIT_MODES if pd.notna(row[mode])]
            said = [f"{WAIT_MODES[mode][1]}: p50 {fmt.ms(row[mode])} · p90 {fmt.ms(stats[(model_id, mode)]['p90'])} "
                    f"· n = {fmt.count(stats[(model_id, mode)]['n'])}" for mode in modes]
            figure.add_trace(go.Scatter(
                name=label, x=[row[mode] for mode in modes], y=[label] * len(modes), mode="lines+markers",
                line={"color": colors[str(model_id)], "width": 3}, showlegend=False,
                marker={"color": colors[str(model_id)], "size": 11, "symbol": [WAIT_MODES[m][0] for m in modes]},
                text=said, hovertemplate=f"<b>{label}</b> · {model_id}<br>%{{text}}<extra></extra>"))
        for symbol, meaning in WAIT_MODES.values():  # the key to the two marks, in no model's colour
            figure.add_trace(go.Scatter(name=meaning, x=[None], y=[None], mode="markers", hoverinfo="skip",
                                        marker={"color": "grey", "size": 10, "symbol": symbol}))
        _per_model(figure, list(names.values()), "p50 wait (ms)", legend=True)
        figure.update_xaxes(rangemode="tozero")
    return _chart("wait", "Stream vs sync: the wait the user perceives",
                  "Median wait until the answer starts to show: the first token when streamed (circle), the whole "
                  "answer when sync (diamond). The line between a model's two marks is what streaming buys.",
                  figure, "No run finished ok yet.")


def client_vs_server(frame: pd.DataFrame, colors: dict[str, str]) -> Chart:
    rows = analytics.finished_ok(frame, "ttft_ms").dropna(subset=["ttft_ms", "server_first_byte_ms"])
    figure: go.Figure | None = None
    if not rows.empty:
        figure = go.Figure()
        points = _latest(rows, rows["model_id"].nunique())
        names = model_labels(sorted(points["model_id"].unique()))
        details = run_details(points, names)
        top = float(max(points["ttft_ms"].max(), points["server_first_byte_ms"].max()))
        figure.add_shape(type="line", x0=0, y0=0, x1=top, y1=top, line={"dash": "dot", "color": "grey"})
        for model_id, label in names.items():
            mine = points["model_id"] == model_id
            figure.add_trace(go.Scatter(
                name=label, legendgroup=label, mode="markers", x=points.loc[mine, "server_first_byte_ms"],
                y=points.loc[mine, "ttft_ms"], marker={"color": colors[model_id], "size": 5, "opacity": 0.7},
                customdata=points.loc[mine, ["client_overhead_ms"]].to_numpy(dtype=float), text=details[mine],
                hovertemplate=("client %{y:,.0f} ms · server %{x:,.0f} ms · network and SDK "
                               "%{customdata[0]:,.0f} ms<br>%{text}<extra></extra>")))
        _layout(figure, x_title=f"{fmt.label('server_first_byte')}, Bedrock's firstByteLatency",
                y_title=f"client {fmt.label('ttft')}", legend=True, height=_legend_height(len(names)))
    return _chart("overhead", "Client time to first token against the server's first byte",
                  "Points on the dotted line mean all the wait was the model's; the height above it is the network's "
                  "and the SDK's share.", figure,
                  "No stream reported the server's first byte (InvokeModel streams report it; Converse does not).")


def error_rates(table: pd.DataFrame, colors: dict[str, str]) -> Chart:
    """`table` is analytics.error_rates(frame): a bar per model that failed, "no errors" beside the others."""
    finished = table[table["finished"] > 0] if not table.empty else table
    figure: go.Figure | None = None
    empty = "No run finished yet."
    if not finished.empty and int(finished["errors"].sum()) == 0:
        empty = (f"No errors: all {fmt.count(finished['finished'].sum())} finished runs of "
                 f"{fmt.count(len(finished))} model{'s' if len(finished) > 1 else ''} ended ok.")
    elif not finished.empty:
        figure = go.Figure()
        ranked = finished.assign(_id=finished.index).sort_values(["error_rate", "_id"], ascending=[False, True])
        names = model_labels(list(ranked.index.astype(str)))
        said = analytics.errors_said(ranked)
        for model_id, row in ranked.iterrows():
            label = names[str(model_id)]
            figure.add_trace(go.Bar(
                name=label, y=[label], x=[100 * row["error_rate"]], orientation="h",
                marker_color=colors[str(model_id)], text=[said[model_id]], cliponaxis=False,
                textposition="inside" if row["error_rate"] > 0.5 else "outside",
                hovertemplate=(f"<b>{label}</b> · {model_id}<br>{said[model_id]}: {fmt.count(row['throttled'])} "
                               f"throttled, {fmt.count(row['other_errors'])} other errors<br>"
                               f"{fmt.count(row['retried'])} runs needed SDK retries<extra></extra>")))
        _per_model(figure, list(names.values()), "failed (% of finished runs)")
        # the whole scale, so that a small share looks small
        figure.update_xaxes(range=[0, 100.5], tickvals=[0, 25, 50, 75, 100], ticksuffix="%")
    return _chart("errors", "Errors per model",
                  "The share of each model's finished runs (stopped ones left out) that failed, throttled by Bedrock "
                  "or any other error; the worst on top. Hover for the kinds and retries.", figure, empty)


def cost_by_model(table: pd.DataFrame, colors: dict[str, str]) -> Chart:
    """`table` is analytics.cost_by_model(frame)."""
    priced = table.dropna(subset=["total_usd"]) if not table.empty else table
    figure: go.Figure | None = None
    if not priced.empty:
        figure = go.Figure()
        ranked = priced.assign(_id=priced.index).sort_values(["total_usd", "_id"], ascending=[False, True])
        names = model_labels(list(ranked.index.astype(str)))
        for model_id, row in ranked.iterrows():
            label = names[str(model_id)]
            figure.add_trace(go.Bar(
                name=label, y=[label], x=[row["total_usd"]], orientation="h", marker_color=colors[str(model_id)],
                text=[fmt.usd(row["total_usd"])], textposition="outside", cliponaxis=False,
                hovertemplate=(f"<b>{label}</b> · {model_id}<br>{fmt.usd(row['total_usd'])} over "
                               f"{fmt.count(row['priced_runs'])} runs · {fmt.usd(row['mean_usd'])} a run · "
                               f"{fmt.usd(row['per_1m_output_usd'])} per 1M output tokens (input included)"
                               "<extra></extra>")))
        _per_model(figure, list(names.values()), "estimated cost (USD)")
        figure.update_xaxes(range=[0, float(ranked["total_usd"].max()) * 1.35], tickprefix="$", nticks=4)
    return _chart("cost", "Estimated cost per model",
                  f"Total estimated cost of these runs from on-demand list prices of {PRICE_TABLE_DATE} (an estimate: "
                  "your prices may differ), the dearest on top; hover for the cost per run and per 1M output tokens.",
                  figure, "No run with a known price yet.")


def monitor_charts(frame: pd.DataFrame) -> list[Chart]:
    """The Monitor charts for these runs (the frame from analytics.load_runs, filtered): eight, and the time to
    first reasoning after the first when some streams showed reasoning. A chart with nothing to draw has `empty`
    set to the reason."""
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
        figure.add_trace(go.Scatter(x=xs, y=ys, name=name, legendgroup=name, mode="lines",
                                    line={"shape": "hv", "color": colors[name]},
                                    hovertemplate=f"%{{x:.2f}} s<br>%{{y:,.0f}} {hover}<extra>{name}</extra>"))
    for name, (at_s, text) in (marks or {}).items():
        figure.add_vline(x=at_s, line={"dash": "dot", "color": colors[name], "width": 1})
        figure.add_annotation(x=at_s, y=1, yref="paper", text=text, showarrow=False, xanchor="left",
                              yanchor="top", font={"color": colors[name]})
    if not figure.data:
        return _empty(_layout(figure, x_title="seconds", y_title=y_title), "Nothing arrived.")
    return _layout(figure, x_title="seconds since the request was sent", y_title=y_title, legend=True,
                   height=_legend_height(len(figure.data)))


def visible_text(series: Mapping[str, Sequence[tuple[float, float]]],
                 marks: dict[str, tuple[float, str]]) -> Chart:
    """Characters the user could read over time, one line per mode (sync vs stream)."""
    colors = {name: PALETTE[i] for i, name in enumerate(series)}
    return Chart("visible_text", "What the user saw",
                 "Characters on screen against time since the request was sent: the stream's text grows from "
                 "its first token, the sync answer appears whole at its end-to-end time.",
                 _growth(series, colors, y_title="characters visible", hover="characters", marks=marks))


def tokens_over_time(series: Mapping[str, Sequence[tuple[float, float]]]) -> Chart:
    """Cumulative output tokens over time, one line per model (each in the colour the Monitor gives it: the series'
    names are model ids or labels that name a model)."""
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
        return Chart("effort_sweep", "Effort sweep", "No run finished ok.", _empty(figure, "No run finished ok."),
                     "No run finished ok.")
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
    _layout(figure, x_title="reasoning effort", y_title="seconds (first answer token, reasoning)", legend=True,
            yaxis2={"title": {"text": "estimated cost per run (USD)"}, "overlaying": "y", "side": "right",
                    "rangemode": "tozero", "showgrid": False, "tickprefix": "$"})
    figure.update_xaxes(categoryorder="array", categoryarray=efforts, type="category")
    figure.update_layout(yaxis_rangemode="tozero", height=HEIGHT_PX + 30)
    return Chart("effort_sweep", "Effort sweep: what thinking costs in time and money",
                 "Each point is a run, each line the median per effort (shown from two runs): seconds to the first "
                 "answer token and of reasoning on the left axis, estimated cost on the right (on-demand list "
                 f"prices of {PRICE_TABLE_DATE}). Higher effort usually thinks longer and costs more.", figure)
