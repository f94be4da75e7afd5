"""Monitor: TTFT, decode rate, latency, errors and cost per model across the history, and a benchmark runner."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal, cast

import streamlit as st

from core import analytics, bench, charts
from core import format as fmt
from core.catalog import ModelInfo, invocation_id, list_text_models
from core.client import make_client
from core.history import History, HistoryUnavailable
from core.load.figures import DEFINITIONS, Slos, display_frame
from core.load.patterns import LoadPattern
from core.load.patterns import describe as describe_pattern
from core.load_report import ReportError
from core.settings import LabSettings
from core.types import Api
from pages.common import api_label, page_history

state = st.session_state
state.setdefault("monitor_job", None)  # the benchmark running or last run from this page
state.setdefault("monitor_job_seen", True)  # whether the page has redrawn its charts since the job ended

TIME_RANGES: dict[str, timedelta | None] = {
    "Last hour": timedelta(hours=1), "Last 24 hours": timedelta(days=1), "Last 7 days": timedelta(days=7),
    "Last 30 days": timedelta(days=30), "All time": None, "Custom range": None,
}
FILTERS = {"providers": "Provider", "model_ids": "Model", "backends": "Backend", "apis": "API", "modes": "Mode",
           "statuses": "Status"}
# Who ran them and where: offered where the runs in scope come from more than one person or machine (a team).
PEOPLE_FILTERS = {"users": "Person", "hosts": "Machine"}
# What the runs were served with (effort, tier, latency mode, prompt cache): filters and a grouping of their own.
LEVER_FILTERS = {"efforts": "Effort", "tiers": "Service tier", "latencies": "Latency", "cache_states": "Prompt cache"}


@st.cache_data(ttl=300, show_spinner=False)
def _models(backend: str, region: str | None, profile: str | None) -> list[ModelInfo]:
    return list_text_models(make_client("bedrock", backend, region=region, profile=profile))


def _model_choices(settings: LabSettings) -> dict[str, str]:
    """Invocation id -> "Provider · Name" for the models the backend lists (empty if it cannot list them)."""
    try:
        models = _models(settings.backend, settings.region, settings.profile)
    except Exception:  # noqa: BLE001 - the sidebar already explains a backend that cannot list models
        return {settings.model_id: settings.model.name}
    return {invocation_id(m, settings.region): m.label for m in models}


def _start(spec: bench.BenchmarkSpec, history: History) -> None:
    settings: LabSettings | None = state.get("lab_settings")
    spec = dataclasses.replace(spec, user_name=settings.user_name if settings else None)  # the sidebar's name
    state.monitor_job = bench.BenchmarkJob(spec, on_record=history.record_run).start()
    state.monitor_job_seen = False


def _quick_benchmark(settings: LabSettings, history: History) -> None:
    spec = bench.quick_spec(settings.model_id, list(_model_choices(settings)), backend=settings.backend,
                            region=settings.region, profile=settings.profile, session_id=state.get("lab_session_id"))
    _start(spec, history)


@st.fragment(run_every=0.5)
def _job_panel() -> None:
    """The running benchmark: progress with the time left, and Cancel. Redraws the page when it ends."""
    job: bench.BenchmarkJob | None = state.monitor_job
    if job is None:
        return
    if not job.running:
        if not state.monitor_job_seen:
            state.monitor_job_seen = True
            st.rerun(scope="app")  # the charts below now include the new runs
        return
    with st.container(border=True):
        models = ", ".join(charts.model_label(m) for m in job.spec.model_ids)
        st.markdown(f"**Benchmark running** · {models} · {'/'.join(job.spec.modes)} · "
                    f"{describe_pattern(job.spec.load)}")
        progress = job.progress
        st.progress(progress.fraction, text=progress.describe())
        running = [f"{fmt.METRICS[key].short} p50 {fmt.ms(value)}" for key, value in
                   (("ttft", progress.ttft_p50_ms), ("e2e", progress.e2e_p50_ms)) if value is not None]
        if running:
            st.caption("This step so far: " + " · ".join(running))
        if job.cancelling:
            st.caption("Cancelling: streams in flight are closing; finished runs are kept.")
        else:
            st.button("Cancel", key="monitor_cancel", icon=":material/cancel:", on_click=job.cancel,
                      help="Stop the benchmark. Finished runs stay in the history and on the charts.")


def _job_outcome() -> None:
    """What the last benchmark did, once it has ended."""
    job: bench.BenchmarkJob | None = state.monitor_job
    if job is None or job.running:
        return
    if job.failure:
        st.error(f"The benchmark could not run: {job.failure}", icon=":material/error:")
        return
    result = job.result
    if result is None:
        return
    summary = (f"{result.outcome().describe()}, in {fmt.seconds(result.elapsed_s)} · benchmark "
               f"`{result.benchmark_id[:8]}`")
    if result.cancelled:
        st.warning(f"**Benchmark cancelled.** {summary}. Every run that started is kept in the history and charted "
                   "below.", icon=":material/cancel:")
    else:
        st.success(f"**Benchmark finished.** {summary}. The charts below include it.", icon=":material/check:")
    for note in result.notes:
        st.caption(f":material/info: {note}")
    if result.stop_reason not in (bench.FINISHED, bench.CANCELLED):
        st.warning(f"**Stopped early:** {result.stop_reason}", icon=":material/front_hand:")
    figures = result.figures()
    if not figures.empty:
        st.markdown("**Per model and load step**" + (f" · goodput: {result.slos.describe()}" if result.slos
                                                     and result.slos.any else ""))
        st.dataframe(display_frame(figures), hide_index=True, width="stretch", key="monitor_bench_figures")
        with st.expander("What each figure means"):
            st.markdown("\n".join(f"- {line}" for line in DEFINITIONS.values()))
    _report(job, result)


def _report(job: bench.BenchmarkJob, result: bench.BenchmarkResult) -> None:
    """The benchmark's shareable report, written once when it ends: an offline HTML page, and the CSV and JSON of
    every request, to download or to find in the reports folder."""
    if not result.records:
        return
    written = state.get("monitor_report")
    if written is None or written[0] != result.benchmark_id:
        try:
            files = bench.write_report(result, job.spec)
        except ReportError as problem:
            st.caption(f":material/info: No report: {problem}")
            return
        state.monitor_report = written = (result.benchmark_id, files)
    files = written[1]
    row = st.container(horizontal=True)
    for label, path, mime, icon in (("Report (HTML)", files.html, "text/html", ":material/summarize:"),
                                    ("Requests (CSV)", files.csv, "text/csv", ":material/download:"),
                                    ("Requests (JSON)", files.json, "application/json", ":material/data_object:")):
        row.download_button(label, path.read_bytes, file_name=path.name, mime=mime, icon=icon,
                            key=f"monitor_report_{path.suffix[1:]}")
    st.caption(f"The report opens offline in any browser; it is also in `{files.html.parent}`.")


def _runner(settings: LabSettings | None, history: History) -> None:
    job: bench.BenchmarkJob | None = state.monitor_job
    busy = job is not None and job.running
    with st.expander("Run a benchmark", icon=":material/speed:"):
        if settings is None:
            st.info("No model is available: check the backend in the sidebar.", icon=":material/info:")
            return
        choices = _model_choices(settings)
        st.caption(f"Runs on the **{settings.backend}** backend chosen in the sidebar. Every run is recorded in the "
                   "history with the benchmark's id"
                   + (": on AWS each request is billed." if settings.backend == "aws" else "."))
        kind = st.segmented_control("Load", list(LOAD_PATTERNS), default="fixed", key="monitor_bench_pattern",
                                    format_func=lambda k: LOAD_PATTERNS[k][0], width="stretch",
                                    help="How requests arrive: " + "; ".join(
                                        f"{label.lower()}: {why}" for label, why in LOAD_PATTERNS.values()) + ".")
        kind = kind or "fixed"
        with st.form("monitor_bench_form", border=False):
            default = [settings.model_id] if settings.model_id in choices else []
            model_ids = st.multiselect("Models", list(choices), default=default, key="monitor_bench_models",
                                       format_func=lambda m: choices.get(m, m), placeholder="Choose models")
            left, middle, right = st.columns(3)
            names = [*bench.PROMPT_SETS, "custom"]
            prompt_set = left.selectbox(
                "Prompts", names, key="monitor_bench_set",
                format_func=lambda n: f"{n}: {bench.PROMPT_SETS[n].description}" if n in bench.PROMPT_SETS
                else "your own prompts (below)")
            runs = middle.number_input("Runs per model", 1, bench.MAX_RUNS_PER_MODEL, 10, key="monitor_bench_runs",
                                       help="In each mode. p90 needs 10 runs, p99 needs 100.")
            concurrency = right.number_input(
                "Concurrency" if kind in ("fixed", "sweep") else "At most in flight", 1, bench.MAX_CONCURRENCY,
                4 if kind in ("fixed", "sweep") else 64, key=f"monitor_bench_concurrency_{kind in ('fixed', 'sweep')}",
                help={"fixed": "Runs in flight at once.", "sweep": "The top level: 1, 2, 4, ... up to this."}.get(
                    kind, "The cap on requests in flight while they arrive on schedule."))
            load = _load_controls(kind)
            left, middle, right = st.columns(3)
            mode = left.segmented_control("Mode", ["stream", "sync", "both"], default="stream",
                                          key="monitor_bench_mode", width="stretch",
                                          help="Both runs every request streamed and sync: the perceived-wait chart "
                                               "compares them.")
            api = middle.segmented_control("API", ["converse", "invoke", "openai"], default=settings.api,
                                           key="monitor_bench_api", format_func=api_label, width="stretch")
            max_tokens = right.number_input("Max tokens (your own prompts)", 1, 64_000, 512,
                                            key="monitor_bench_max_tokens")
            custom = st.text_area("Your own prompts, one per line", key="monitor_bench_prompts", height=90,
                                  placeholder="Used when Prompts is 'your own prompts'.")
            submitted = st.form_submit_button("Start benchmark", icon=":material/play_arrow:", disabled=busy,
                                              type="primary")
        if busy:
            st.caption("A benchmark is running; start another when it ends.")
        if submitted:
            mine = prompt_set == "custom"
            prompts = tuple(line for line in custom.splitlines() if line.strip()) if mine \
                else bench.PROMPT_SETS[prompt_set].prompts
            modes = cast(tuple[bench.Mode, ...], ("stream", "sync") if mode == "both" else ((mode or "stream"),))
            spec = bench.BenchmarkSpec(
                tuple(model_ids), prompts, int(max_tokens) if mine else bench.PROMPT_SETS[prompt_set].max_tokens,
                runs_per_model=int(runs), concurrency=int(concurrency), modes=modes, api=cast(Api, api or "converse"),
                backend=settings.backend, region=settings.region, profile=settings.profile,
                session_id=state.get("lab_session_id"), **load.options(kind, int(concurrency)))
            try:
                _start(spec, history)
            except bench.InvalidBenchmark as problem:
                st.error(f"The benchmark cannot start: {problem}", icon=":material/error:")
                return
            st.rerun()


# The load patterns the runner offers (core.load.patterns), with what each is for.
LOAD_PATTERNS = {
    "fixed": ("Fixed", "keep N requests in flight"),
    "sweep": ("Sweep", "one step per concurrency level 1, 2, 4, ... N, to find the knee"),
    "rate": ("Rate", "a constant number of requests a second"),
    "poisson": ("Poisson", "random arrivals at a mean rate, burstier below burstiness 1"),
    "ramp": ("Ramp", "a rate that grows linearly, then holds"),
}


@dataclasses.dataclass(frozen=True)
class _Load:
    """The form's load settings (0 means "none" in the number inputs)."""

    rate_per_s: float
    end_rate_per_s: float
    ramp_s: float
    burstiness: float
    warmup: int
    duration_s: float
    max_errors: int
    processes: int
    slos: dict[str, float]

    def options(self, kind: str, concurrency: int) -> dict[str, Any]:
        """BenchmarkSpec's load fields for these settings."""
        pattern = None if kind == "fixed" else LoadPattern(
            kind, concurrency, rate_per_s=self.rate_per_s if kind in ("rate", "poisson", "ramp") else None,  # type: ignore[arg-type]
            end_rate_per_s=self.end_rate_per_s if kind == "ramp" else None,
            ramp_s=self.ramp_s if kind == "ramp" else None, burstiness=self.burstiness if kind == "poisson" else 1.0)
        chosen = {name: value for name, value in self.slos.items() if value}
        return {"pattern": pattern, "warmup_requests": self.warmup, "duration_s": self.duration_s or None,
                "max_errors": self.max_errors or None, "processes": self.processes,
                "slos": Slos(**chosen) if chosen else None}


def _load_controls(kind: str) -> _Load:
    """The pattern's own parameters, limits, worker processes and the goodput bounds."""
    rate = end = ramp = 0.0
    burstiness = 1.0
    if kind in ("rate", "poisson", "ramp"):
        left, middle, right = st.columns(3)
        rate = left.number_input("Requests a second" if kind != "ramp" else "From (requests a second)", 0.1,
                                 1000.0, 2.0, 0.5, key="monitor_bench_rate")
        if kind == "poisson":
            burstiness = middle.number_input("Burstiness", 0.1, 10.0, 1.0, 0.1, key="monitor_bench_burstiness",
                                             help="1: Poisson arrivals; below 1 they come in bursts, above 1 more "
                                                  "evenly (the gamma shape, as vLLM's bench serve calls it).")
        if kind == "ramp":
            end = middle.number_input("To (requests a second)", 0.1, 1000.0, 10.0, 0.5, key="monitor_bench_end_rate")
            ramp = right.number_input("Over (s)", 1.0, 3600.0, 30.0, 5.0, key="monitor_bench_ramp_s")
    left, middle, right, last = st.columns(4)
    warmup = left.number_input("Warm-up requests", 0, bench.MAX_WARMUP, 0, key="monitor_bench_warmup",
                               help="Run first, recorded, and left out of the figures.")
    duration = middle.number_input("Step limit (s)", 0.0, 86_400.0, 0.0, 10.0, key="monitor_bench_duration",
                                   help="0: none. A step still running then is stopped.")
    max_errors = right.number_input("Stop after errors", 0, 100_000, 0, key="monitor_bench_max_errors",
                                    help="0: never. The benchmark also stops by itself when the service saturates "
                                         "(time to first token and requests in flight both rising steadily).")
    processes = last.number_input("Processes", 1, bench.MAX_PROCESSES, 1, key="monitor_bench_processes",
                                  help="Worker processes the streams are spread over (one per core reads the most "
                                       "streams; 1: threads in this app's process).")
    st.caption("Goodput bounds (0: none): a request counts as goodput when it finished ok and met every bound.")
    slos = {}
    for column, (name, label) in zip(st.columns(3), (("ttft_ms", "TTFT at most (ms)"),
                                                     ("tpot_ms", "TPOT at most (ms)"),
                                                     ("e2e_ms", "E2E at most (ms)")), strict=True):
        slos[name] = float(column.number_input(label, 0.0, 600_000.0, 0.0, 50.0, key=f"monitor_bench_slo_{name}"))
    return _Load(float(rate), float(end), float(ramp), float(burstiness), int(warmup), float(duration),
                 int(max_errors), int(processes), slos)


def _time_bounds() -> tuple[datetime | None, datetime | None]:
    left, right = st.columns([1, 2])
    chosen = left.selectbox("Time range", list(TIME_RANGES), index=list(TIME_RANGES).index("All time"),
                            key="monitor_range")
    if chosen != "Custom range":
        span = TIME_RANGES[chosen]
        return (datetime.now(UTC) - span if span else None), None
    zone = analytics.local_zone()
    today = datetime.now(zone).date()
    picked = right.date_input(f"From, to ({analytics.zone_name()})", value=(today - timedelta(days=7), today),
                              key="monitor_dates", max_value=today)
    days: list[date] = list(picked) if isinstance(picked, tuple | list) else [picked]
    if not days:
        return None, None
    since = datetime.combine(days[0], time.min, zone)  # local midnights, as the user reads the dates
    until = datetime.combine(days[-1] + timedelta(days=1), time.min, zone)
    return since.astimezone(UTC), until.astimezone(UTC)


def _filters(frame: Any) -> dict[str, tuple[str, ...]]:
    options = analytics.filter_options(frame)
    names = charts.model_labels(options["model_ids"])
    options["model_ids"] = sorted(options["model_ids"], key=lambda m: names[m].lower())  # as the user reads them
    chosen: dict[str, tuple[str, ...]] = {}
    people = {name: label for name, label in PEOPLE_FILTERS.items() if len(options.get(name, [])) > 1}
    groups = (FILTERS, LEVER_FILTERS, *([people] if people else []))
    for group in groups:
        for name in group:
            key = f"monitor_filter_{name}"
            state[key] = [v for v in state.get(key, []) if v in options[name]]  # a value gone from this scope
    # Folded away, the filters leave the charts on screen (a slide, a phone); the caption under them says how many
    # runs they keep. One label, so the expander stays open or shut across reruns.
    with st.expander("Filters", icon=":material/filter_alt:"):
        for group in groups:
            for column, (name, label) in zip(st.columns(len(group)), group.items(), strict=True):
                said: Callable[[Any], str] = (lambda m: names.get(m, m)) if name == "model_ids" else str
                chosen[name] = tuple(column.multiselect(label, options[name], key=f"monitor_filter_{name}",
                                                        placeholder="All", format_func=said))
    return chosen


def _group_by(frame: Any) -> str | None:
    """Split each model's runs by a lever, where the runs in scope differ in it (else there is nothing to split)."""
    levers = [lever for lever in analytics.LEVERS if frame[lever].nunique() > 1]
    if not levers:
        return None
    choice = st.segmented_control("Group by", ["Model", *levers], default="Model", key="monitor_group_by",
                                  format_func=lambda v: v if v == "Model" else f"Model + {analytics.LEVERS[v].lower()}",
                                  help="Each model's runs split by what they were served with (what Bedrock said it "
                                       "served, where it said so).")
    return None if choice in (None, "Model") else str(choice)


def _empty_state(settings: LabSettings | None, history: History, scope_label: str) -> None:
    with st.container(border=True):
        st.markdown(f"#### No runs {scope_label}yet")
        st.markdown(
            (f"The Monitor charts the runs recorded in the history file on this computer (`{history.path.name}`; "
             "set `BEDROCK_LAB_HISTORY` to choose another):\n" if history.path is not None
             else f"The Monitor charts the runs your team recorded in the shared database (`{history.location}`):\n")
            + "- every answer on the **Chat** page,\n"
            "- `python -m core ask`, `chat` and `bench` in a terminal,\n"
            "- benchmarks started here (**Run a benchmark** above).\n\n"
            "A quick benchmark fills it in seconds: short prompts, 10 runs per model, streamed and sync "
            "through InvokeModel"
            + (", the model in the sidebar and two others on the emulator." if settings is None
               or settings.backend == "emulator" else ", the model in the sidebar only (each request is billed)."))
        job: bench.BenchmarkJob | None = state.monitor_job
        if st.button("Run a quick benchmark", key="monitor_quick", icon=":material/bolt:", type="primary",
                     disabled=settings is None or (job is not None and job.running)):
            assert settings is not None
            _quick_benchmark(settings, history)
            st.rerun()


def _totals(frame: Any) -> None:
    totals = analytics.totals(frame)
    cells = st.columns(5)
    cells[0].metric("Runs", fmt.count(totals.runs))
    cells[1].metric("Models", fmt.count(totals.models))
    failed = "No errors" if not totals.errors else f"{fmt.count(totals.errors)} ({fmt.percent(totals.error_rate)})"
    cells[2].metric("Failed", failed,
                    help="Runs that ended in an error, and their share of the finished runs (stopped ones left out).")
    reasoned = bool(analytics.reasoning_models(frame))
    cells[3].metric(fmt.label("first_answer_token" if reasoned else "ttft", unit=False, stat="p50"),
                    fmt.ms(totals.ttft_p50_ms),
                    help=fmt.help_text("ttft") + " The median over streams that finished ok"
                    + ("; for a model that reasoned first, its first answer token (the percentile table has its "
                       "time to first reasoning)." if reasoned else "."))
    cells[4].metric(fmt.METRICS["cost"].name, fmt.usd(totals.cost_usd), help=fmt.help_text("cost"))
    st.caption("Speed figures (TTFT, decode rate, TPOT, E2E) come from runs that finished ok: a run cut short by an "
               "error has an E2E to the moment it failed and no decode rate. Error rates count every run that "
               "finished, ok or failed; runs stopped by the user are counted apart.")


st.title("Monitor")
st.caption("Time to first token, decode rate, latency, errors and cost per model, from every run in the history.")
history, history_problem = page_history()
if history is None:
    st.warning(f"{history_problem} The Monitor needs the history to show anything.", icon=":material/database_off:")
    st.stop()
settings: LabSettings | None = state.get("lab_settings")

job_now: bench.BenchmarkJob | None = state.monitor_job
if job_now is not None and (job_now.running or not state.monitor_job_seen):
    _job_panel()  # its timer runs only while a benchmark needs watching
_job_outcome()
_runner(settings, history)

scope = st.segmented_control("Runs", ["All history", "This session"], default="All history", key="monitor_scope")
since, until = _time_bounds()
session_id = state.get("lab_session_id") if scope == "This session" else None
try:
    in_scope = analytics.load_runs(history, analytics.RunFilter(session_id=session_id, since_utc=since,
                                                                 until_utc=until))
except HistoryUnavailable as problem:
    st.warning(problem.message, icon=":material/database_off:")
    st.stop()
run_filter = analytics.RunFilter(session_id=session_id, since_utc=since, until_utc=until, **_filters(in_scope))
if in_scope.empty:
    _empty_state(settings, history, "in this session " if session_id else "in this time range " if since else "")
    st.stop()
frame = analytics.filter_runs(in_scope, run_filter)
st.caption(f"{fmt.count(len(frame))} of {fmt.count(len(in_scope))} runs in this scope match the filters.")
if frame.empty:
    st.info("No run matches these filters: clear some of them.", icon=":material/filter_alt_off:")
    st.stop()

_totals(frame)
shown_runs = frame["run_id"]
frame = analytics.grouped(frame, _group_by(in_scope))
names = charts.model_labels(frame["model_id"].unique().tolist())

st.subheader("Per model")
summary = analytics.format_summary_table(analytics.summary_table(frame), names)
st.dataframe(summary, hide_index=True, width="stretch", key="monitor_summary",
             height=min(35 * (len(summary) + 1) + 3, 720),
             column_config={column: st.column_config.Column(
                 help=said, pinned=column == "Model" or None,  # the name stays in view when a phone scrolls
                 width=cast(Literal["small", "medium"] | None, {"n": "small", "Errors": "medium"}.get(column)),
                 alignment="right" if column in analytics.SUMMARY_NUMBERS else "left")
                 for column, said in analytics.SUMMARY_LABELS.items()})
st.caption("Fastest time to first token first. A percentile p is shown only with at least 1/(1-p) runs: p50 needs "
           "2, p90 needs 10 (— means too few). TTFT and decode rate come from streams that finished ok, E2E from "
           "every run that finished ok; costs are estimates from list prices.")

figures = charts.monitor_charts(frame)
drawn = [chart for chart in figures if not chart.empty]
for row in range(0, len(drawn), 2):
    pair = drawn[row:row + 2]
    charts.same_height([chart.figure for chart in pair])  # side by side, their captions line up
    for column, chart in zip(st.columns(2), pair, strict=False):
        with column:
            st.markdown(f"**{chart.title}**")
            st.plotly_chart(chart.figure, key=f"monitor_chart_{chart.key}", width="stretch",
                            config=charts.plot_config(f"monitor-{chart.key}"))
            st.caption(chart.caption)
for chart in figures:
    if chart.empty:  # not drawn: an empty chart says less than this line
        st.caption(f"**{chart.title}:** {chart.empty}")
if charts.points_capped(frame):
    st.caption(f"Points show each model's latest runs ({fmt.count(charts.MAX_POINTS)} per chart at most); boxes, "
               "lines, bars and the tables use every run.")

with st.expander("Every percentile: p50, p90 and p99 per model and metric", icon=":material/table:"):
    table = analytics.percentile_table(frame)
    st.dataframe(analytics.format_percentile_table(table, names), hide_index=True, width="stretch",
                 key="monitor_percentiles", height=min(36 * (len(table) + 1) + 3, 720))
    st.caption("p99 needs 100 runs. TPOT and reasoning times are in milliseconds, like every time here.")

st.subheader("Export")
export_filters = run_filter.history_filters()
buttons = st.container(horizontal=True)


def _exported() -> Any:
    """Every recorded field of the runs in view (the lever filters work on derived columns: applied here)."""
    assert history is not None  # the page stops earlier without one
    runs = history.runs(**export_filters)
    return runs[runs["run_id"].isin(shown_runs)]


buttons.download_button("CSV", lambda: analytics.to_csv(_exported()), file_name="runs.csv",
                        mime="text/csv", icon=":material/download:", key="monitor_export_csv")
buttons.download_button("JSON", lambda: analytics.to_json(_exported()), file_name="runs.json",
                        mime="application/json", icon=":material/data_object:", key="monitor_export_json")
st.caption(f"The {fmt.count(len(frame))} filtered runs with every recorded field, answer text included (times in "
           "UTC). Each chart downloads as a PNG from its toolbar (the camera icon, top right of the chart).")
