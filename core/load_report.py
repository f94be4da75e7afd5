"""A benchmark's report to share: one HTML file that works offline, and the CSV and JSON of every request.

The HTML carries everything it shows: plotly.js inlined from the plotly package (no CDN, no web font, no image
from anywhere), and a Content-Security-Policy that lets the page load nothing at all, so it opens the same from
a mail attachment, a file share or an air-gapped laptop, and cannot call home. It says what was run (models,
load, prompts, SLOs, when, on which backend, by whom and from which hosts), why it stopped, the figures per
model and load step (`core.load.figures.summarize`, the same table the CLI prints) with each figure's
definition, and charts drawn from the records: TTFT and decode-rate distributions per model, TTFT and
throughput per load step, and goodput per step. The CSV and JSON beside it hold one row per RunRecord with
every field (and its load step), so anyone can recompute a figure from the raw requests.

    files = write_report(result.records, spec_summary={"Models": "...", "Load": "sweep 1-16"},
                         folder=Path("reports"), slos=Slos(ttft_ms=2000), stop_reason="every run finished")
    files.html  # reports/benchmark-<id>.html, beside reports/benchmark-<id>.csv and .json
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import hashlib
import html
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import format as fmt
from .metrics import min_runs_for
from .types import RunRecord

if TYPE_CHECKING:
    import pandas as pd
    import plotly.graph_objects as go

    from .load.figures import Slos

STEP_FIELD = "load_step"  # the column the CSV and JSON add to a record's own fields
# The page may load nothing: no script, style, font or image from anywhere, no request of any kind. It runs
# only its own scripts (plotly.js and the charts), named by their hashes, so that even a script that slipped
# into the text would not run; plotly draws in SVG, sets inline styles, and exports a chart as a data: image.
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src {hashes}; style-src 'unsafe-inline'; "
                           "img-src data: blob:; font-src data:; connect-src 'none'; form-action 'none'; "
                           "base-uri 'none'")
_SCRIPT = re.compile(r"<script[^>]*>(.*?)</script>", re.DOTALL)
PLOT_CONFIG = {"displaylogo": False, "responsive": True}


class ReportError(OSError):
    """The report could not be written; the message names the file and the reason, for the user."""


@dataclass(frozen=True)
class ReportFiles:
    """Where a report was written: the page, and the raw requests beside it."""

    html: Path
    csv: Path
    json: Path


def report_name(records: Sequence[RunRecord], spec_summary: Mapping[str, str]) -> str:
    """"benchmark-<id>": the benchmark's id from the records (or the summary's "Benchmark id")."""
    ids = sorted({r.benchmark_id for r in records if r.benchmark_id})
    found = ids[0] if len(ids) == 1 else spec_summary.get("Benchmark id", "")
    safe = "".join(ch for ch in found if ch.isalnum() or ch in "-_")[:40]
    return f"benchmark-{safe}" if safe else "benchmark"


def write_report(records: Sequence[RunRecord], *, spec_summary: Mapping[str, str], folder: Path,
                 slos: Slos | None = None, stop_reason: str | None = None,
                 step_of: Callable[[RunRecord], str] | None = None, name: str | None = None) -> ReportFiles:
    """Write the HTML report and the CSV and JSON of every request into `folder` (made if missing).

    `spec_summary` is what was run, in the user's words (label -> value, shown in order); `stop_reason` why the
    benchmark ended; `step_of` names a record's load step (default: its "load step: " note, as `core.bench`
    writes it). ReportError if a file cannot be written.
    """
    base = name or report_name(records, spec_summary)
    files = ReportFiles(folder / f"{base}.html", folder / f"{base}.csv", folder / f"{base}.json")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        files.csv.write_bytes(records_csv(records, step_of))
        files.json.write_bytes(records_json(records, step_of))
        page = render_html(records, spec_summary=spec_summary, slos=slos, stop_reason=stop_reason, step_of=step_of,
                           csv_name=files.csv.name, json_name=files.json.name)
        files.html.write_bytes(page.encode("utf-8"))  # the page last: its links never point at a missing file
    except OSError as problem:
        raise ReportError(f"could not write the report in {folder}: {problem.strerror or problem}") from problem
    return files


# -- the raw requests -------------------------------------------------------------------------------------


def _steps(records: Sequence[RunRecord], step_of: Callable[[RunRecord], str] | None) -> list[str]:
    from .load.figures import record_step

    return [(step_of or record_step)(r) for r in records]


def records_json(records: Sequence[RunRecord], step_of: Callable[[RunRecord], str] | None = None) -> bytes:
    """Every request as a JSON array: each RunRecord's fields as they are (None as null), and its load step."""
    rows = [{**dataclasses.asdict(r), STEP_FIELD: step} for r, step in zip(records, _steps(records, step_of),
                                                                           strict=True)]
    return json.dumps(rows, ensure_ascii=False, indent=1).encode("utf-8")


def read_records(path: Path) -> list[RunRecord]:
    """The records a report's JSON holds (its load step column left out): a report can be drawn again."""
    names = {f.name for f in dataclasses.fields(RunRecord)}
    rows = json.loads(path.read_text(encoding="utf-8"))
    return [RunRecord(**{k: v for k, v in row.items() if k in names}) for row in rows]


def records_csv(records: Sequence[RunRecord], step_of: Callable[[RunRecord], str] | None = None) -> bytes:
    """Every request as CSV, in the format of the CLI's `--out` and the Monitor's export (lists as JSON text,
    times in ISO 8601 UTC), with its load step as the last column."""
    from .analytics import to_csv
    from .history import records_frame

    return to_csv(records_frame(records).assign(**{STEP_FIELD: _steps(records, step_of)}))


# -- the page ---------------------------------------------------------------------------------------------


def render_html(records: Sequence[RunRecord], *, spec_summary: Mapping[str, str], slos: Slos | None = None,
                stop_reason: str | None = None, step_of: Callable[[RunRecord], str] | None = None,
                csv_name: str = "", json_name: str = "") -> str:
    """The report page as one self-contained HTML document (no file is written)."""
    from .load.figures import DEFINITIONS, summarize
    from .load.patterns import WARMUP_STEP

    table = summarize(records, slos, step_of=step_of)
    shown = [r for r, step in zip(records, _steps(records, step_of), strict=True) if step != WARMUP_STEP]
    title = f"Benchmark report · {report_name(records, spec_summary).removeprefix('benchmark-') or 'runs'}"
    charts = "\n".join(_chart_section(key, heading, caption, figure)
                       for key, heading, caption, figure in _charts(shown, table, slos))
    plotly_js = _plotly_js()
    downloads = " · ".join(f'<a href="{html.escape(n)}" download>{label}</a>'
                           for n, label in ((csv_name, "CSV"), (json_name, "JSON")) if n)
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_policy([plotly_js, *_SCRIPT.findall(charts)])}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{_STYLE}</style>",
        f"<script>{plotly_js}</script>",
        "</head><body>",
        f"<h1>{html.escape(title)}</h1>",
        '<p class="lede">Measured by Bedrock Streaming Lab: every figure below is computed from the raw '
        "requests, which the CSV and JSON beside this file hold one per row"
        + (f" ({downloads})" if downloads else "") + ".</p>",
        '<section id="run"><h2>What was run</h2>',
        _facts(_what_was_run(records, spec_summary, slos, stop_reason)),
        "</section>",
        '<section id="figures"><h2>Figures per model and load step</h2>',
        _figures_table(table, DEFINITIONS),
        '<p class="note">Percentiles with n, the values they are taken from: a percentile p is shown only when '
        f"n &ge; 1/(1-p) (p90 needs {min_runs_for(0.9)}, p99 needs {min_runs_for(0.99)}), otherwise a dash. "
        "Warm-up requests are left out. Hover a column for its definition.</p>",
        "</section>",
        f'<section id="charts"><h2>Charts</h2>{charts}</section>',
        '<section id="definitions"><h2>Definitions</h2>',
        "<dl>" + "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in DEFINITIONS.items())
        + "</dl></section>",
        "</body></html>",
    ])


def _policy(scripts: Sequence[str]) -> str:
    """The page's Content-Security-Policy: these scripts may run (by their SHA-256), nothing may be loaded."""
    hashes = " ".join(sorted({f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'"
                              for s in scripts}))
    return CONTENT_SECURITY_POLICY.format(hashes=hashes)


@functools.cache
def _plotly_js() -> str:
    """The plotly.js bundled with the plotly package (about 4.8 MB, read once a process)."""
    import plotly.offline

    return str(plotly.offline.get_plotlyjs())


def _what_was_run(records: Sequence[RunRecord], spec_summary: Mapping[str, str], slos: Slos | None,
                  stop_reason: str | None) -> list[tuple[str, str]]:
    """The summary the caller gave, then what the records themselves say: when, where, who, how many."""
    facts = list(spec_summary.items())
    given = {label.lower() for label, _ in facts}

    def add(label: str, value: str) -> None:
        if label.lower() not in given and value:
            facts.append((label, value))

    add("Models", ", ".join(f"{name} ({ref})" if name != ref else ref
                            for ref, name in sorted(_display_names(records).items())))
    add("When", _span(records))
    add("Backend", ", ".join(sorted({r.backend for r in records})))
    add("Region", ", ".join(sorted({r.region for r in records if r.region})))
    add("API and mode", ", ".join(sorted({f"{r.api} {r.mode}" for r in records})))
    add("Who", ", ".join(sorted({r.user_name for r in records if r.user_name})))
    add("Hosts", ", ".join(sorted({r.host for r in records if r.host})))
    statuses = {s: sum(r.status == s for r in records) for s in ("ok", "error", "cancelled")}
    add("Requests", f"{fmt.count(len(records))} "
                    f"({', '.join(f'{fmt.count(n)} {s}' for s, n in statuses.items() if n) or 'none'})")
    add("SLOs (goodput)", slos.describe() if slos is not None and slos.any else "none set")
    add("Why it stopped", stop_reason or "")
    return facts


def _span(records: Sequence[RunRecord]) -> str:
    """"2026-12-01 10:00:00 to 10:04:12 UTC (4 min 12 s)": first start to last end."""
    starts = [_instant(r.started_utc) for r in records]
    known = [(s, r) for s, r in zip(starts, records, strict=True) if s is not None]
    if not known:
        return ""
    first = min(s for s, _ in known)
    last = max(s + timedelta(milliseconds=r.e2e_ms or 0.0) for s, r in known)
    end = last.strftime("%H:%M:%S" if last.date() == first.date() else "%Y-%m-%d %H:%M:%S")
    seconds = (last - first).total_seconds()
    length = fmt.seconds(seconds) if seconds < 60 else f"{int(seconds // 60):,} min {round(seconds % 60):02d} s"
    return f"{first:%Y-%m-%d %H:%M:%S} to {end} UTC ({length})"


def _instant(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def _facts(facts: Sequence[tuple[str, str]]) -> str:
    rows = "".join(f"<tr><th>{html.escape(label)}</th><td>{html.escape(value)}</td></tr>" for label, value in facts)
    return f'<table class="facts">{rows}</table>'


def _display_names(records: Sequence[RunRecord]) -> dict[str, str]:
    from .catalog import display_names

    return display_names(r.model_id for r in records)


# The outcome columns: summarize's column and its header (counts, with thousands separators).
_OUTCOME_COLUMNS = (("requests", "Requests"), ("ok", "ok"), ("errors", "Errors"), ("throttled", "Throttled"),
                    ("cancelled", "Cancelled"))


def _count(value: Any) -> str:
    return fmt.NA if value is None or _is_missing(value) else fmt.count(float(value))


def _is_missing(value: Any) -> bool:
    import pandas as pd

    return bool(pd.isna(value))


def _figures_table(table: pd.DataFrame, definitions: Mapping[str, str]) -> str:
    """The figures as an HTML table: outcomes, then n p50 p90 p99 of each per-request figure, then the system's;
    each model by its name, its id on hover; a header's definition on hover."""
    from .catalog import display_names
    from .load.figures import DECIMALS, LABELS, PER_REQUEST, SYSTEM_COLUMNS, system_cells

    if table.empty:
        return '<p class="empty">No request finished: no figures.</p>'

    def head(column: str, label: str, span: int = 1) -> str:
        tip = definitions.get(column, "")
        spans = f' colspan="{span}"' if span > 1 else ""
        return f'<th{spans} title="{html.escape(tip)}">{html.escape(label)}</th>'

    names = display_names(str(m) for m in table["model_id"])
    first = ['<th rowspan="2">Model</th>', '<th rowspan="2">Load step</th>',
             *(head(c, label).replace("<th", '<th rowspan="2"', 1) for c, label in _OUTCOME_COLUMNS),
             *(head(f, LABELS[f], 4) for f in PER_REQUEST),
             *(head(c, fmt.label(key)).replace("<th", '<th rowspan="2"', 1) for c, key, _ in SYSTEM_COLUMNS)]
    second = [f'<th title="{html.escape(definitions.get("n", ""))}">{p}</th>' if p == "n" else f"<th>{p}</th>"
              for _ in PER_REQUEST for p in ("n", "p50", "p90", "p99")]
    rows = []
    for row in table.to_dict(orient="records"):
        model_id = str(row["model_id"])
        cells = [f'<td class="text" title="{html.escape(model_id)}">{html.escape(names[model_id])}</td>',
                 f'<td class="text">{html.escape(str(row["step"]))}</td>',
                 *(f"<td>{_count(row[c])}</td>" for c, _ in _OUTCOME_COLUMNS)]
        for figure in PER_REQUEST:
            cells.append(f'<td class="n">{_count(row[f"{figure}_n"])}</td>')
            cells += [f"<td>{_number(row[f'{figure}_{p}'], DECIMALS[figure])}</td>" for p in ("p50", "p90", "p99")]
        cells += [f"<td>{cell}</td>" for cell in system_cells(row)]
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return (f'<div class="scroll"><table class="figures"><thead><tr>{"".join(first)}</tr><tr>{"".join(second)}'
            f'</tr></thead><tbody>{"".join(rows)}</tbody></table></div>')


def _number(value: Any, decimals: int) -> str:
    return fmt.NA if value is None or _is_missing(value) else fmt.number(float(value), decimals)


# -- the charts -------------------------------------------------------------------------------------------


def _charts(records: Sequence[RunRecord], table: pd.DataFrame,
            slos: Slos | None) -> list[tuple[str, str, str, go.Figure]]:
    """(key, title, caption, figure) of every chart: distributions from the records, steps from the table."""
    from . import charts
    from .history import records_frame

    frame = records_frame(records)
    colors = charts.model_colors(list(frame["model_id"]) + list(table.get("model_id", [])))
    ttft = charts.ttft_by_model(frame, colors)
    decode = charts.decode_rate_by_model(frame, colors)
    goodput_caption = (f"The share of each step's finished requests that met every SLO ({slos.describe()})."
                       if slos is not None and slos.any else "No SLO was set, so there is no goodput to draw.")
    return [
        ("ttft", ttft.title, ttft.caption, ttft.figure),
        ("decode", decode.title, decode.caption, decode.figure),
        ("ttft_steps", "TTFT per load step", "p50 (solid) and p90 (dotted) of each model's streams at each step; "
         "a rise from one step to the next is the service queueing.",
         _per_step(table, colors, [("ttft_ms_p50", "p50", "solid"), ("ttft_ms_p90", "p90", "dot")],
                   fmt.label("ttft"))),
        ("throughput_steps", "Throughput per load step", "System output tokens per second at each step (every "
         "request that finished ok, over the step's wall time); where it stops growing, the service is saturated.",
         _per_step(table, colors, [("output_tok_s", "output tok/s", "solid")], fmt.label("output_throughput"))),
        ("goodput_steps", "Goodput per load step", goodput_caption,
         _per_step(table, colors, [("goodput_share", "goodput", "solid")], f"{fmt.label('goodput')} (%)",
                   scale=100.0)),
    ]


def _per_step(table: pd.DataFrame, colors: Mapping[str, str], series: Sequence[tuple[str, str, str]],
              y_title: str, scale: float = 1.0) -> go.Figure:
    """One line per model (and series) across the load steps, in the order the steps ran."""
    import plotly.graph_objects as go

    from . import charts

    figure = go.Figure()
    drawn = False
    for model_id, rows in table.groupby("model_id", sort=True) if len(table) else []:
        for column, label, dash in series:
            values = rows[column].astype("float64") * scale
            if values.isna().all():
                continue
            drawn = True
            figure.add_trace(go.Scatter(
                x=list(rows["step"]), y=list(values), mode="lines+markers", line={"dash": dash},
                name=f"{charts.model_label(str(model_id))} {label}" if len(series) > 1 else
                charts.model_label(str(model_id)), marker_color=colors.get(str(model_id)),
                hovertemplate=f"{html.escape(str(model_id))}<br>step %{{x}}<br>{label} %{{y:,.1f}}<extra></extra>"))
    if not drawn:
        figure.add_annotation(text="Nothing to draw: too few requests, or no SLO set.", showarrow=False,
                              xref="paper", yref="paper", x=0.5, y=0.5)
    figure.update_layout(height=charts.HEIGHT_PX, margin={"l": 10, "r": 10, "t": 10, "b": 10},
                         legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
                         xaxis={"title": {"text": "load step"}, "type": "category"},
                         yaxis={"title": {"text": y_title}, "rangemode": "tozero"})
    return figure


def _chart_section(key: str, heading: str, caption: str, figure: go.Figure) -> str:
    import plotly.io

    div = plotly.io.to_html(figure, full_html=False, include_plotlyjs=False, include_mathjax=False,
                            div_id=f"chart-{key}", config=PLOT_CONFIG)
    return (f'<figure class="chart" data-chart="{html.escape(key)}"><h3>{html.escape(heading)}</h3>'
            f"<figcaption>{html.escape(caption)}</figcaption>{div}</figure>")


_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2rem auto; max-width: 1400px;
       padding: 0 1rem; color: #1f2328; }
h1 { font-size: 1.6rem; } h2 { margin-top: 2rem; border-bottom: 1px solid #d0d7de; } h3 { margin-bottom: 0.2rem; }
.lede, .note, figcaption { color: #57606a; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 0.25rem 0.5rem; border: 1px solid #d0d7de; }
table.facts th { text-align: left; background: #f6f8fa; white-space: nowrap; }
table.figures td { text-align: right; white-space: nowrap; } table.figures td.text { text-align: left; }
table.figures th { background: #f6f8fa; } table.figures td.n { color: #57606a; }
th[title] { cursor: help; text-decoration: underline dotted; }
.scroll { overflow-x: auto; } figure.chart { margin: 1.5rem 0; } dt { font-weight: 600; margin-top: 0.6rem; }
dd { margin-left: 1.2rem; color: #1f2328; }
"""
