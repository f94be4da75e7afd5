"""Aggregation over the run history: what the Monitor page, `python -m core bench` and bench/ show.

Every function takes the DataFrame `History.runs()` returns (or the part of it in `MONITOR_COLUMNS`)
and works column-wise in pandas (groupby, quantile, vectorised arithmetic), never in a Python loop
over rows. Percentiles follow `core.metrics`: linear interpolation between the closest ranks, and a
percentile p only when there are n >= 1/(1-p) values (p50 needs 2, p90 10, p99 100), else a dash.

    frame = load_runs(History(), RunFilter(since_utc=yesterday))
    table = percentile_table(filter_runs(frame, RunFilter(model_ids=("amazon.nova-micro-v1:0",))))
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

import pandas as pd
from dateutil import tz

from . import format as fmt
from .errors import THROTTLING_CODES
from .metrics import min_runs_for

if TYPE_CHECKING:
    from .history import History

# What the charts and tables read: every metric and grouping field, none of the long text columns.
MONITOR_COLUMNS = (
    "run_id", "started_utc", "model_id", "provider", "api", "mode", "backend", "status", "ttft_ms", "e2e_ms",
    "tokens_per_s", "tpot_ms", "output_tokens", "server_first_byte_ms", "attempts", "error_code", "cost_usd",
    "first_reasoning_ms", "reasoning_ms", "effort", "service_tier", "service_tier_served", "latency",
    "latency_served", "cache_read_tokens", "cache_write_tokens", "reasoning_shown", "user_name", "host",
)
# The levers a run was served with, as derived columns (`with_derived`), for filters and grouping: what Bedrock
# said it served where it said so, else what was asked, else Bedrock's default.
LEVERS = {"effort": "Effort", "tier": "Service tier", "latency_mode": "Latency", "cache_state": "Prompt cache"}
GROUP_SEPARATOR = " · "
PERCENTILES = (0.5, 0.9, 0.99)
# The table's metrics with their labels. TTFT, decode rate and TPOT describe streams; E2E any finished run.
# Where a model reasoned before answering, its TTFT is the first *answer* token and says so; the time to its
# first reasoning text and how long it reasoned are rows of their own.
# Reasoning time is in ms here (the vocabulary's unit for it is seconds): one unit per row of the table.
PERCENTILE_METRICS = {"ttft_ms": fmt.label("ttft"), "first_reasoning_ms": fmt.label("first_reasoning"),
                      "reasoning_ms": f"{fmt.METRICS['reasoning'].short} (ms)", "e2e_ms": fmt.label("e2e"),
                      "tokens_per_s": fmt.label("decode_rate"), "tpot_ms": fmt.label("tpot")}
TTFT_REASONED = fmt.label("first_answer_token")
STREAM_ONLY = ("ttft_ms", "first_reasoning_ms", "reasoning_ms", "tokens_per_s", "tpot_ms")
DASH = fmt.NA


def _label(p: float) -> str:
    return f"p{p * 100:g}"


# -- choosing runs ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunFilter:
    """The Monitor's filters. An empty tuple means any value; the time bounds are half-open."""

    session_id: str | None = None
    since_utc: datetime | None = None
    until_utc: datetime | None = None
    providers: tuple[str, ...] = ()
    model_ids: tuple[str, ...] = ()
    backends: tuple[str, ...] = ()
    apis: tuple[str, ...] = ()
    modes: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    users: tuple[str, ...] = ()  # who ran them and on which machine (a team's shared history)
    hosts: tuple[str, ...] = ()
    efforts: tuple[str, ...] = ()  # the lever filters work on derived columns: see `filter_runs`
    tiers: tuple[str, ...] = ()
    latencies: tuple[str, ...] = ()
    cache_states: tuple[str, ...] = ()

    def scope(self) -> dict[str, Any]:
        """The session and time bounds, as `History.runs` keyword arguments."""
        return {"session_id": self.session_id, "since_utc": self.since_utc, "until_utc": self.until_utc}

    def history_filters(self) -> dict[str, Any]:
        """The filters `History.runs` takes, as its keyword arguments (the lever filters are `filter_runs`'s alone)."""
        chosen = {name: list(getattr(self, name)) for name in _LIST_FILTERS if getattr(self, name)}
        return {**self.scope(), **chosen}


_LIST_FILTERS = {"providers": "provider", "model_ids": "model_id", "backends": "backend", "apis": "api",
                 "modes": "mode", "statuses": "status", "users": "user_name", "hosts": "host"}
# Filters on what a run was served with (derived columns, which the history does not filter by itself).
_LEVER_FILTERS = {"efforts": "effort", "tiers": "tier", "latencies": "latency_mode", "cache_states": "cache_state"}
assert set(_LIST_FILTERS) | set(_LEVER_FILTERS) | {"session_id", "since_utc", "until_utc"} == {
    f.name for f in fields(RunFilter)}


def load_runs(history: History, run_filter: RunFilter | None = None) -> pd.DataFrame:
    """The runs in the filter's session and time range, with `MONITOR_COLUMNS` and the derived columns."""
    scope = (run_filter or RunFilter()).scope()
    return with_derived(history.runs(columns=MONITOR_COLUMNS, **scope))


def with_derived(frame: pd.DataFrame) -> pd.DataFrame:
    """Add perceived_wait_ms (stream: TTFT, sync: E2E), client_overhead_ms (TTFT - server first byte),
    throttled (the run failed on throttling) and retried (botocore made more than one attempt)."""
    stream = frame["mode"] == "stream"
    derived = frame.assign(
        perceived_wait_ms=frame["ttft_ms"].where(stream, frame["e2e_ms"]),
        client_overhead_ms=frame["ttft_ms"] - frame["server_first_byte_ms"],
        throttled=frame["error_code"].isin(THROTTLING_CODES),
        retried=frame["attempts"].fillna(1).astype("int64") > 1,
    )
    if "effort" not in frame.columns:  # a frame read with chosen columns only
        return derived
    read = frame["cache_read_tokens"].fillna(0) > 0
    written = frame["cache_write_tokens"].fillna(0) > 0
    return derived.assign(
        effort=frame["effort"].fillna("default"),
        tier=frame["service_tier_served"].fillna(frame["service_tier"]).fillna("default"),
        latency_mode=frame["latency_served"].fillna(frame["latency"]).fillna("standard"),
        cache_state=pd.Series("off", index=frame.index).mask(written, "cold (written)").mask(read, "warm (read)"),
    )


def filter_runs(frame: pd.DataFrame, run_filter: RunFilter) -> pd.DataFrame:
    """The rows that match every list filter (the session and time range were applied when loading)."""
    keep = pd.Series(True, index=frame.index)
    for name, column in {**_LIST_FILTERS, **_LEVER_FILTERS}.items():
        chosen = getattr(run_filter, name)
        if chosen and column in frame.columns:
            keep &= frame[column].isin(chosen)
    return frame[keep]


def filter_options(frame: pd.DataFrame) -> dict[str, list[str]]:
    """The values each list filter can take in these runs, sorted."""
    filters = {n: c for n, c in {**_LIST_FILTERS, **_LEVER_FILTERS}.items() if c in frame.columns}
    return {name: sorted(frame[column].dropna().unique().tolist()) for name, column in filters.items()}


def grouped(frame: pd.DataFrame, lever: str | None) -> pd.DataFrame:
    """The runs with each model's runs split by a lever (`LEVERS`): `model_id` becomes "<model id> · <lever
    value>", so every chart and table that groups by model groups by model and lever. None: by model alone."""
    if lever is None:
        return frame
    label = LEVERS[lever].lower()
    return frame.assign(model_id=frame["model_id"] + GROUP_SEPARATOR + label + " " + frame[lever].astype(str))


# -- aggregation -------------------------------------------------------------------------------------


def finished_ok(frame: pd.DataFrame, metric: str) -> pd.DataFrame:
    """The runs a latency metric describes: finished ok, and streams for the stream-only metrics."""
    rows = frame[frame["status"] == "ok"]
    return rows[rows["mode"] == "stream"] if metric in STREAM_ONLY else rows


def percentiles_by(rows: pd.DataFrame, keys: str | list[str], metric: str,
                   percentiles: tuple[float, ...] = PERCENTILES) -> pd.DataFrame:
    """n and the percentiles of `metric` per group, each percentile NaN where n is too small for it."""
    columns = ["n", *(_label(p) for p in percentiles)]
    values = rows[[*([keys] if isinstance(keys, str) else keys), metric]].dropna(subset=[metric])
    if values.empty:
        return pd.DataFrame(columns=columns, index=pd.Index([], name=keys) if isinstance(keys, str) else None)
    grouped = values.groupby(keys, sort=True, observed=True)[metric]
    n = grouped.count()
    table = grouped.quantile(list(percentiles), interpolation="linear").unstack()
    table.columns = [_label(p) for p in table.columns]
    for p in percentiles:
        table[_label(p)] = table[_label(p)].where(n >= min_runs_for(p))
    table.insert(0, "n", n.astype("int64"))
    return table


def reasoning_models(frame: pd.DataFrame) -> set[str]:
    """The models (or model groups) with runs that reasoned, shown or not: their TTFT is a first answer token."""
    marks = pd.Series(False, index=frame.index)
    for column in ("first_reasoning_ms", "reasoning_shown"):
        if column in frame.columns:
            marks |= frame[column].notna() & (frame[column].astype(str) != "nan")
    return set(frame.loc[marks, "model_id"].unique().tolist())


def percentile_table(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per model and metric with n, p50, p90 and p99: TTFT, first reasoning, reasoning time, decode rate
    and TPOT over streams that finished ok, E2E over every run that finished ok. A model without any value for a
    metric has no row for it; a model that reasoned has its TTFT row labelled as the first answer token."""
    parts = []
    thinkers = reasoning_models(frame)
    for metric, label in PERCENTILE_METRICS.items():  # each aggregation is one groupby
        if metric not in frame.columns:
            continue
        table = percentiles_by(finished_ok(frame, metric), "model_id", metric).reset_index()
        if not table.empty:
            labels = pd.Series(label, index=table.index)
            if metric == "ttft_ms":
                labels = labels.mask(table["model_id"].isin(thinkers), TTFT_REASONED)
            parts.append(table.assign(metric=labels))
    columns = ["model_id", "metric", "n", *(_label(p) for p in PERCENTILES)]
    if not parts:
        return pd.DataFrame({name: pd.Series(dtype="float64" if name.startswith("p") else "object")
                             for name in columns})
    table = pd.concat(parts, ignore_index=True)[columns]
    order = [PERCENTILE_METRICS["ttft_ms"], TTFT_REASONED, *list(PERCENTILE_METRICS.values())[1:]]
    table["metric"] = pd.Categorical(table["metric"], categories=order, ordered=True)
    return table.sort_values(["model_id", "metric"], ignore_index=True).astype({"metric": "object"})


def format_number(values: pd.Series, decimals: int = 1) -> pd.Series:
    """Numbers as text with thousands separators; a dash where a value is missing."""
    return values.map(lambda v: fmt.number(v, decimals))


def format_percentile_table(table: pd.DataFrame, names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The percentile table for display: each model by its name (`names`, model id -> name; the id in a column of
    its own), numbers rounded (TPOT to a tenth of a millisecond), a dash where a percentile needs more runs."""
    shown = pd.DataFrame({
        "Model": table["model_id"].map(lambda m: (names or {}).get(m, m)), "Metric": table["metric"],
        "n": table["n"]})
    fine = table["metric"] == PERCENTILE_METRICS["tpot_ms"]
    for p in PERCENTILES:
        shown[_label(p)] = format_number(table[_label(p)], 0).where(~fine, format_number(table[_label(p)], 1))
    shown["Model id"] = table["model_id"]
    return shown


def error_rates(frame: pd.DataFrame) -> pd.DataFrame:
    """Per model: finished runs (ok or error; a cancelled run was stopped by the user, not failed), errors,
    throttled (failed on throttling), other errors, cancelled, retried (ok or not, botocore retried), and
    error_rate, throttle_rate, other_error_rate as fractions of the finished runs."""
    marks = pd.DataFrame({
        "model_id": frame["model_id"],
        "finished": frame["status"].isin(["ok", "error"]),
        "errors": frame["status"] == "error",
        "throttled": (frame["status"] == "error") & frame["error_code"].isin(THROTTLING_CODES),
        "cancelled": frame["status"] == "cancelled",
        "retried": frame["attempts"].fillna(1).astype("int64") > 1,
    })
    table = marks.groupby("model_id", sort=True).sum().astype("int64")
    table["other_errors"] = table["errors"] - table["throttled"]
    finished = table["finished"].where(table["finished"] > 0)
    table["error_rate"] = table["errors"] / finished
    table["throttle_rate"] = table["throttled"] / finished
    table["other_error_rate"] = table["other_errors"] / finished
    return table


def cost_by_model(frame: pd.DataFrame) -> pd.DataFrame:
    """Per model: estimated total_usd, runs, priced_runs (a price and token counts were known), mean_usd per
    priced run and per_1m_output_usd (the total, input included, over the priced runs' output tokens, per 1M)."""
    priced = frame["cost_usd"].notna()
    parts = pd.DataFrame({
        "model_id": frame["model_id"],
        "cost_usd": frame["cost_usd"],
        "priced": priced,
        "priced_output_tokens": frame["output_tokens"].astype("float64").where(priced),
    })
    grouped = parts.groupby("model_id", sort=True)
    table = pd.DataFrame({
        "total_usd": grouped["cost_usd"].sum(min_count=1),
        "runs": grouped.size(),
        "priced_runs": grouped["priced"].sum().astype("int64"),
        "output_tokens": grouped["priced_output_tokens"].sum(min_count=1),
    })
    table["mean_usd"] = table["total_usd"] / table["priced_runs"].where(table["priced_runs"] > 0)
    per_token = table["total_usd"] / table["output_tokens"].where(table["output_tokens"] > 0)
    table["per_1m_output_usd"] = per_token * 1_000_000
    return table


def e2e_fits(frame: pd.DataFrame) -> pd.DataFrame:
    """Per model, the least-squares line E2E = intercept_ms + ms_per_token x output tokens over runs that
    finished ok, with n and the token range it was fitted on. The slope is NaN with fewer than two runs
    or a single output length."""
    rows = frame.loc[(frame["status"] == "ok") & frame["e2e_ms"].notna() & frame["output_tokens"].notna(),
                     ["model_id", "output_tokens", "e2e_ms"]]
    columns = ["n", "intercept_ms", "ms_per_token", "tokens_min", "tokens_max"]
    if rows.empty:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="model_id"))
    x = rows["output_tokens"].astype("float64")
    y = rows["e2e_ms"]
    by_model = rows["model_id"]
    dx = x - x.groupby(by_model).transform("mean")  # centred sums: exact whatever the token counts
    dy = y - y.groupby(by_model).transform("mean")
    parts = pd.DataFrame({"model_id": by_model, "x": x, "y": y, "sxy": dx * dy, "sxx": dx * dx})
    table = parts.groupby("model_id", sort=True).agg(
        n=("x", "size"), x_mean=("x", "mean"), y_mean=("y", "mean"), tokens_min=("x", "min"),
        tokens_max=("x", "max"), sxy=("sxy", "sum"), sxx=("sxx", "sum"))
    table["n"] = table["n"].astype("int64")
    table["ms_per_token"] = (table["sxy"] / table["sxx"].where(table["sxx"] > 0)).where(table["n"] >= 2)
    table["intercept_ms"] = table["y_mean"] - table["ms_per_token"] * table["x_mean"]
    return table[columns]


def perceived_wait(frame: pd.DataFrame) -> pd.DataFrame:
    """Per model and mode, over runs that finished ok: n, p50 and p90 of the wait before the user sees
    the answer begin (stream: TTFT; sync: E2E). The gap between the two is what streaming buys."""
    rows = frame[frame["status"] == "ok"]
    if "perceived_wait_ms" not in rows.columns:
        rows = with_derived(rows)
    return percentiles_by(rows, ["model_id", "mode"], "perceived_wait_ms", (0.5, 0.9))


@dataclass(frozen=True)
class Totals:
    """The headline numbers above the charts."""

    runs: int
    models: int
    errors: int
    error_rate: float | None
    cost_usd: float | None
    ttft_p50_ms: float | None


def totals(frame: pd.DataFrame) -> Totals:
    finished = int(frame["status"].isin(["ok", "error"]).sum())
    errors = int((frame["status"] == "error").sum())
    cost = frame["cost_usd"].sum(min_count=1)
    ttft = finished_ok(frame, "ttft_ms")["ttft_ms"].dropna()
    ttft_p50 = float(ttft.quantile(0.5)) if len(ttft) >= min_runs_for(0.5) else None
    return Totals(len(frame), int(frame["model_id"].nunique()), errors, errors / finished if finished else None,
                  None if pd.isna(cost) else float(cost), ttft_p50)


# -- one row per model ---------------------------------------------------------------------------------


def summary_table(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per model (or model group): n (its runs), TTFT p50 and p90, decode rate p50 (streams that finished
    ok), E2E p50 (runs that finished ok), cost_per_run_usd (estimated, over the priced runs), finished, errors,
    throttled and error_rate (of the finished runs) and its latest start, last_utc. Fastest TTFT p50 first; the
    models without one after, by id."""
    columns = ["n", "ttft_p50_ms", "ttft_p90_ms", "decode_p50_tok_s", "e2e_p50_ms", "cost_per_run_usd", "finished",
               "errors", "throttled", "error_rate", "last_utc"]
    if frame.empty:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="model_id"))
    by_model = frame.groupby("model_id", sort=True)
    ttft = percentiles_by(finished_ok(frame, "ttft_ms"), "model_id", "ttft_ms", (0.5, 0.9))
    decode = percentiles_by(finished_ok(frame, "tokens_per_s"), "model_id", "tokens_per_s", (0.5,))
    e2e = percentiles_by(finished_ok(frame, "e2e_ms"), "model_id", "e2e_ms", (0.5,))
    errors = error_rates(frame)
    table = pd.DataFrame({"n": by_model.size()})
    table = table.assign(
        ttft_p50_ms=ttft["p50"], ttft_p90_ms=ttft["p90"], decode_p50_tok_s=decode["p50"], e2e_p50_ms=e2e["p50"],
        cost_per_run_usd=cost_by_model(frame)["mean_usd"], finished=errors["finished"], errors=errors["errors"],
        throttled=errors["throttled"], error_rate=errors["error_rate"], last_utc=by_model["started_utc"].max())
    table.index.name = "model_id"
    ranked = table.assign(_id=table.index).sort_values(["ttft_p50_ms", "_id"], na_position="last")
    return ranked[columns]


def errors_said(table: pd.DataFrame) -> pd.Series:
    """Each row's errors in words, from `error_rates` or `summary_table` columns: "no errors", "12.5% (3 of 24, 2
    throttled)", or a dash for a model whose runs were all stopped (no finished run to count)."""
    rate = table["error_rate"].map(fmt.percent)
    counts = table["errors"].map(fmt.count) + " of " + table["finished"].map(fmt.count)
    throttled = (", " + table["throttled"].map(fmt.count) + " throttled").where(table["throttled"] > 0, "")
    said = rate + " (" + counts + throttled + ")"
    return said.mask(table["errors"] == 0, "no errors").where(table["finished"] > 0, fmt.NA)


SUMMARY_LABELS = {  # the displayed summary's columns, and the sentence each shows on hover
    "Model": "The model's name; its id is in the last column.",
    "n": "Runs of this model in view, whatever their outcome. Percentiles use the runs that finished ok (streams "
         "for TTFT and decode rate); p90 needs 10 of them.",
    fmt.label("ttft", stat="p50"): fmt.help_text("ttft") + " Median over streams that finished ok.",
    fmt.label("ttft", stat="p90"): "9 runs in 10 showed their first token sooner (needs 10 streams).",
    fmt.label("decode_rate", stat="p50"): fmt.help_text("decode_rate"),
    fmt.label("e2e", stat="p50"): fmt.help_text("e2e") + " Median over runs that finished ok.",
    "Cost per run (estimate)": fmt.help_text("cost") + " The mean of the runs with a known price.",
    "Errors": "Runs that failed, of those that finished (ok or failed; runs stopped by the user left out).",
    "Last run (local time)": "When the model's latest run in view started, in this computer's time zone.",
    "Model id": "The id (or inference profile id) the runs called.",
}
SUMMARY_NUMBERS = tuple(list(SUMMARY_LABELS)[1:7])  # the columns of numbers (right-aligned, as tables do)


def format_summary_table(table: pd.DataFrame, names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """`summary_table` for display, one row per model: its name (`names`: model id -> name), numbers with
    thousands separators and one unit per column (named in its header), errors in words, local times."""
    labels = list(SUMMARY_LABELS)
    if table.empty:
        return pd.DataFrame(columns=labels)
    ids = pd.Series(table.index, index=table.index, dtype="object")
    shown = pd.DataFrame({
        labels[0]: ids.map(lambda m: (names or {}).get(m, m)),
        labels[1]: table["n"].map(fmt.count),
        labels[2]: format_number(table["ttft_p50_ms"], 0),
        labels[3]: format_number(table["ttft_p90_ms"], 0),
        labels[4]: format_number(table["decode_p50_tok_s"], 0),
        labels[5]: format_number(table["e2e_p50_ms"], 0),
        labels[6]: table["cost_per_run_usd"].map(fmt.usd),
        labels[7]: errors_said(table),
        labels[8]: local_times(table["last_utc"]).dt.strftime("%b %d, %H:%M"),
        labels[9]: ids,
    })
    return shown.reset_index(drop=True)


# -- local time --------------------------------------------------------------------------------------


def local_zone() -> tzinfo:
    """The machine's time zone with its daylight saving rules: the app runs locally, the history stores UTC."""
    zone: tzinfo = tz.tzlocal()  # dateutil (pandas' own dependency) reads $TZ and the system's zone as `time` does
    return zone


def local_times(instants: pd.Series) -> pd.Series:
    """UTC instants (a tz-aware column) in the machine's local time."""
    return instants.dt.tz_convert(local_zone())


def zone_name() -> str:
    """The local zone's name now, as labels say it: "local time, CET", "local time, UTC"."""
    now = datetime.now(local_zone())
    return f"local time, {now.strftime('%Z') or 'UTC' + now.strftime('%z')}"


# -- export ------------------------------------------------------------------------------------------


LIST_COLUMNS = ("notes", "stop_sequences")


def to_csv(frame: pd.DataFrame) -> bytes:
    """The runs as UTF-8 CSV, one row each (lists as JSON text, times in ISO 8601)."""
    out = frame.copy()
    for column in LIST_COLUMNS:
        if column in out.columns:
            out[column] = out[column].map(json.dumps)  # export only: one call per cell is fine here
    for column in out.columns:
        if isinstance(out[column].dtype, pd.DatetimeTZDtype):
            out[column] = out[column].dt.tz_convert("UTC").dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return str(out.to_csv(index=False)).encode("utf-8")


def to_json(frame: pd.DataFrame) -> bytes:
    """The runs as a JSON array of objects (null where a value is unknown, times in ISO 8601 UTC)."""
    return str(frame.to_json(orient="records", date_format="iso", date_unit="us", force_ascii=False)).encode("utf-8")
