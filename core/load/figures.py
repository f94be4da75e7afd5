"""A benchmark's figures, per model and load step, computed from the raw records (never averaged averages).

Per request (each record): TTFT, TPOT, the median gap between text chunks, E2E and the decode rate, over the
runs that finished ok (TTFT, TPOT, chunk gaps and decode rate over streams only). Per step: n and p50/p90/p99
of each (a percentile p only when n >= 1/(1-p), the lab's rule), output tokens per second of the whole system,
requests per second, error and throttle rates, and goodput: the requests that met every SLO the user set.
`DEFINITIONS` says what each column means and what the other load tools call it.

    table = summarize(result.records, Slos(ttft_ms=2000, tpot_ms=50))
    print(format_figures(table))
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

from .. import format as fmt
from ..errors import THROTTLING_CODES
from ..metrics import min_runs_for
from .patterns import WARMUP_STEP

if TYPE_CHECKING:
    import pandas as pd

    from ..types import RunRecord

STEP_NOTE = "load step: "  # the note a benchmark puts on each record, so the history keeps its step
ALL_STEPS = "all"
PERCENTILES = (0.5, 0.9, 0.99)
# The per-request figures, with the record field each is read from.
PER_REQUEST = {"ttft_ms": "ttft_ms", "tpot_ms": "tpot_ms", "chunk_gap_ms": "gap_p50_ms", "e2e_ms": "e2e_ms",
               "tokens_per_s": "tokens_per_s"}
STREAM_ONLY = ("ttft_ms", "tpot_ms", "chunk_gap_ms", "tokens_per_s")
# Each figure's metric in the shared vocabulary (core/format), and so its header: "TTFT (ms)", "Decode rate (tok/s)".
METRIC_OF = {"ttft_ms": "ttft", "tpot_ms": "tpot", "chunk_gap_ms": "gap", "e2e_ms": "e2e",
             "tokens_per_s": "decode_rate"}
LABELS = {figure: fmt.label(key) for figure, key in METRIC_OF.items()}
DECIMALS = {"ttft_ms": 0, "tpot_ms": 1, "chunk_gap_ms": 1, "e2e_ms": 0, "tokens_per_s": 1}  # one per column

DEFINITIONS: dict[str, str] = {
    "ttft_ms": "TTFT: first answer-text delta read minus t0 (just before the SDK call; signing and connection "
               "included); reasoning does not count. AIPerf/LLMeter call this TTFAT or time to first output; "
               "GuideLLM and Langfuse may count a reasoning or role-only first event instead.",
    "tpot_ms": "TPOT: (E2E - TTFT) / (output tokens - 1), tokens as Bedrock reports them. vLLM bench serve's TPOT "
               "and AIPerf's/LLMeter's ITL (inter-token latency) are this; GuideLLM's 'time per output token' "
               "also spreads the first token's wait, so it reads higher.",
    "chunk_gap_ms": "Chunk gap: each stream's median gap between text deltas (chunks, not tokens: a chunk may hold "
                    "several); percentiles across streams. vLLM's ITL is per chunk like this; AIPerf calls it ICL.",
    "e2e_ms": "E2E: the end of the run minus t0 (the last event of a stream, the whole body of a sync call). "
              "vLLM's E2EL, GuideLLM's request latency, LLMeter's time to last token.",
    "tokens_per_s": "Decode rate: output tokens / (E2E - TTFT) per request, the formula AWS uses for output tokens "
                    "per second (OTPS); LLMeter's and AIPerf's per-user output throughput.",
    "output_tok_s": "Output throughput (the whole system's): the step's output tokens (every request that finished "
                    "ok) divided by its wall time (first start to last end). vLLM's and GuideLLM's output token "
                    "throughput.",
    "requests_per_s": "Request throughput: requests that finished ok per second of the step's wall time "
                      "(vLLM's request throughput, GuideLLM's requests/s).",
    "error_rate": "Error rate: requests that failed / requests that finished (ok or failed); a request stopped by "
                  "a cancel or a limit is neither.",
    "throttle_rate": "Throttle rate: requests that failed on throttling (429, ThrottlingException) / requests "
                     "that finished.",
    "goodput_share": "Goodput share: requests that finished ok and met every SLO set (per request: TTFT, with a "
                     "sync call's E2E as its wait; TPOT, passed by an answer of one token; E2E) / requests that "
                     "finished. vLLM bench serve's --goodput and GuideLLM's SLO goodput.",
    "goodput_per_s": "Goodput rate: the requests that met every SLO, per second of the step's wall time.",
    "n": "n: how many values a percentile is taken from; p50 needs 2, p90 10, p99 100, else a dash.",
}


class InvalidSlo(ValueError):
    """An SLO the user typed cannot be used; the message names the ones that exist."""


@dataclass(frozen=True)
class Slos:
    """Per-request bounds a request must meet to count as goodput (None: no bound)."""

    ttft_ms: float | None = None
    tpot_ms: float | None = None
    e2e_ms: float | None = None

    @property
    def any(self) -> bool:
        return any(getattr(self, f.name) is not None for f in fields(self))

    def describe(self) -> str:
        """'TTFT <= 2,000 ms, TPOT <= 50 ms' (empty when none is set)."""
        bounds = ((f.name, getattr(self, f.name)) for f in fields(self))
        return ", ".join(f"{fmt.label(METRIC_OF[name], unit=False)} <= "
                         f"{fmt.number(bound, 0 if float(bound).is_integer() else 1)} ms"
                         for name, bound in bounds if bound is not None)


SLO_NAMES = tuple(f.name for f in fields(Slos))


def parse_slos(texts: Iterable[str]) -> Slos | None:
    """Slos from 'name=value' texts (`ttft_ms=2000`, `tpot_ms=50`, `e2e_ms=20000`); None when there are none."""
    values: dict[str, float] = {}
    for text in texts:
        name, equals, value = text.partition("=")
        name = name.strip()
        if name not in SLO_NAMES:
            raise InvalidSlo(f"no SLO named {name!r}: use {', '.join(SLO_NAMES)} (e.g. ttft_ms=2000)")
        try:
            bound = float(value) if equals else math.nan
        except ValueError:
            bound = math.nan
        if not (bound > 0 and math.isfinite(bound)):
            raise InvalidSlo(f"the SLO {name} needs a number of milliseconds above 0, as in {name}=2000 "
                             f"(got {text!r})")
        values[name] = bound
    return Slos(**values) if values else None


def step_of_notes(notes: Sequence[str]) -> str:
    """The load step a record's notes name, or 'all' for a record of no load step."""
    for note in notes:
        if note.startswith(STEP_NOTE):
            return note[len(STEP_NOTE):]
    return ALL_STEPS


def record_step(record: RunRecord) -> str:
    return step_of_notes(record.notes)


def met_slos(frame: pd.DataFrame, slos: Slos) -> pd.Series:
    """Per row: finished ok and within every bound. A sync call's wait is its E2E (it shows nothing before);
    a TPOT bound is met by an answer too short to have a TPOT (one token), as vLLM counts it."""
    import pandas as pd

    good = frame["status"] == "ok"
    if slos.ttft_ms is not None:
        wait = frame["ttft_ms"].where(frame["mode"] == "stream", frame["e2e_ms"])
        good &= wait.le(slos.ttft_ms).fillna(False).astype(bool)
    if slos.tpot_ms is not None:
        good &= frame["tpot_ms"].isna() | frame["tpot_ms"].le(slos.tpot_ms).fillna(False).astype(bool)
    if slos.e2e_ms is not None:
        good &= frame["e2e_ms"].le(slos.e2e_ms).fillna(False).astype(bool)
    return pd.Series(good, index=frame.index, dtype=bool)


def records_table(records: Sequence[RunRecord], step_of: Callable[[RunRecord], str] | None = None) -> pd.DataFrame:
    """The columns the figures read, one row per record, with its step."""
    import pandas as pd

    step_of = step_of or record_step
    columns = ["model_id", "status", "mode", "error_code", "started_utc", "output_tokens",
               *dict.fromkeys(PER_REQUEST.values())]
    rows = [[getattr(r, c) for c in columns] + [step_of(r)] for r in records]
    frame = pd.DataFrame(rows, columns=[*columns, "step"])
    for column in ("output_tokens", *PER_REQUEST.values()):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    return frame


def summarize(records: Sequence[RunRecord], slos: Slos | None, *,
              step_of: Callable[[RunRecord], str] | None = None, include_warmup: bool = False) -> pd.DataFrame:
    """One row per model and load step (in the order steps first appear): requests, ok, errors, throttled,
    cancelled; `<figure>_n` and `<figure>_p50/_p90/_p99` for ttft_ms, tpot_ms, chunk_gap_ms, e2e_ms and
    tokens_per_s (NaN where n is too small); wall_s, output_tokens, output_tok_s, requests_per_s, error_rate,
    throttle_rate, and goodput_n (a count, as a float), goodput_share, goodput_per_s (NaN without SLOs).
    Warm-up records are left out unless `include_warmup`. `step_of` names a record's step (default: its
    "load step: " note)."""
    return summarize_frame(records_table(records, step_of), slos, include_warmup=include_warmup)


def summarize_frame(frame: pd.DataFrame, slos: Slos | None, *, include_warmup: bool = False) -> pd.DataFrame:
    """`summarize` over a frame with the records' columns and a `step` column (History.runs() rows plus
    `step_of_notes` of their notes will do)."""
    import pandas as pd

    from ..analytics import percentiles_by

    if not include_warmup:
        frame = frame[frame["step"] != WARMUP_STEP]
    order = list(dict.fromkeys(frame["step"].tolist()))
    frame = frame.assign(step=pd.Categorical(frame["step"], categories=order, ordered=True))
    keys = ["model_id", "step"]
    started = pd.to_datetime(frame["started_utc"], utc=True, format="ISO8601")
    ended = started + pd.to_timedelta(frame["e2e_ms"].fillna(0.0), unit="ms")
    ok = frame["status"] == "ok"
    marks = pd.DataFrame({
        "model_id": frame["model_id"], "step": frame["step"],
        "requests": 1, "ok": ok, "errors": frame["status"] == "error",
        "throttled": (frame["status"] == "error") & frame["error_code"].isin(THROTTLING_CODES),
        "cancelled": frame["status"] == "cancelled",
        "output_tokens": frame["output_tokens"].where(ok).fillna(0.0),
        "good": met_slos(frame, slos) if slos is not None and slos.any else False,
        "started": started, "ended": ended,
    })
    grouped = marks.groupby(keys, sort=True, observed=True)
    counts = ["requests", "ok", "errors", "throttled", "cancelled"]
    table = grouped[counts].sum().astype("int64")
    if table.empty:
        return _empty_table()
    table["output_tokens"] = grouped["output_tokens"].sum()
    wall_s = (grouped["ended"].max() - grouped["started"].min()).dt.total_seconds()
    table["wall_s"] = wall_s
    per_s = wall_s.where(wall_s > 0)
    for figure, column in PER_REQUEST.items():
        rows = frame[ok & (frame["mode"] == "stream")] if figure in STREAM_ONLY else frame[ok]
        stats = percentiles_by(rows.rename(columns={column: figure})
                               if column != figure else rows, keys, figure, PERCENTILES)
        stats.columns = [f"{figure}_{c}" for c in stats.columns]
        if stats.empty:  # no value at all: no index to join on
            for name in stats.columns:
                table[name] = math.nan
        else:
            table = table.join(stats, how="left")
        table[f"{figure}_n"] = table[f"{figure}_n"].fillna(0).astype("int64")
        for part in ("p50", "p90", "p99"):
            table[f"{figure}_{part}"] = table[f"{figure}_{part}"].astype("float64")
    finished = (table["ok"] + table["errors"]).astype("float64")
    finished = finished.where(finished > 0)
    table["output_tok_s"] = table["output_tokens"] / per_s
    table["requests_per_s"] = table["ok"] / per_s
    table["error_rate"] = table["errors"] / finished
    table["throttle_rate"] = table["throttled"] / finished
    if slos is not None and slos.any:
        good = grouped["good"].sum().astype("int64")
        table["goodput_n"] = good.astype("float64")  # a count, NaN where no SLO was set
        table["goodput_share"] = good / finished
        table["goodput_per_s"] = good / per_s
    else:
        table["goodput_n"] = math.nan
        table["goodput_share"] = math.nan
        table["goodput_per_s"] = math.nan
    table = table.reset_index()
    table["step"] = table["step"].astype(str)
    return table[list(COLUMNS)]


COLUMNS = ("model_id", "step", "requests", "ok", "errors", "throttled", "cancelled",
           *(f"{figure}_{part}" for figure in PER_REQUEST for part in ("n", "p50", "p90", "p99")),
           "wall_s", "output_tokens", "output_tok_s", "requests_per_s", "error_rate", "throttle_rate",
           "goodput_n", "goodput_share", "goodput_per_s")


def _empty_table() -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame({name: pd.Series(dtype="object" if name in ("model_id", "step") else "float64")
                         for name in COLUMNS})


# -- the table the CLI prints --------------------------------------------------------------------------------


def _missing(value: object) -> bool:
    import pandas as pd

    return value is None or bool(pd.isna(value))


def _number(value: object, decimals: int = 0) -> str:
    return fmt.NA if _missing(value) else fmt.number(float(value), decimals)  # type: ignore[arg-type]


def _percent(value: object) -> str:
    return fmt.NA if _missing(value) else fmt.percent(float(value))  # type: ignore[arg-type]


def _count(value: object) -> str:
    return fmt.NA if _missing(value) else fmt.count(float(value))  # type: ignore[arg-type]


# The system's columns: summarize's column, the metric that names it, and how many decimals its cells have.
SYSTEM_COLUMNS = (("output_tok_s", "output_throughput", 1), ("requests_per_s", "throughput", 2),
                  ("error_rate", "error_rate", None), ("throttle_rate", "throttle_rate", None),
                  ("goodput_share", "goodput", None), ("goodput_per_s", "goodput_rate", 2))


def system_cells(row: dict[str, object]) -> list[str]:
    """A row's system columns, each in its format (shares as "12.5%")."""
    return [_percent(row[column]) if decimals is None else _number(row[column], decimals)
            for column, _, decimals in SYSTEM_COLUMNS]


def format_figures(table: pd.DataFrame, slos: Slos | None = None, *, definitions: bool = True) -> str:
    """The per-step figures as text: one block of rows per model and step (requests, rates, goodput), then
    n and p50/p90/p99 of each per-request figure, then one line per definition. Models by their id, as the
    terminal's user typed them to --model (and as the summary above it names them)."""
    if table.empty:
        return "No run finished: no figures."
    header = ["Model", "Step", "Requests", "ok", "Errors", "Throttled",
              *(fmt.label(key) for _, key, _ in SYSTEM_COLUMNS)]
    rows = []
    for row in table.to_dict(orient="records"):
        rows.append([str(row["model_id"]), str(row["step"]), _count(row["requests"]), _count(row["ok"]),
                     _count(row["errors"]), _count(row["throttled"]), *system_cells(row)])
    first = text_table(header, rows, left=2)
    labels = [f"p{p * 100:g}" for p in PERCENTILES]
    second_rows = []
    for row in table.to_dict(orient="records"):
        for figure in PER_REQUEST:
            if row[f"{figure}_n"]:
                second_rows.append([str(row["model_id"]), str(row["step"]), LABELS[figure],
                                    _count(row[f"{figure}_n"]),
                                    *(_number(row[f"{figure}_{p}"], DECIMALS[figure]) for p in labels)])
    second = text_table(["Model", "Step", "Figure", "n", *labels], second_rows, left=3) if second_rows else \
        "No run finished ok: no percentiles."
    parts = [first, "", second, f"A percentile p needs at least 1/(1-p) values (p90: {min_runs_for(0.9)}, "
             f"p99: {min_runs_for(0.99)}); {fmt.NA} means too few."]
    parts.append(f"Goodput SLOs: {slos.describe()}." if slos is not None and slos.any else
                 "Goodput: no SLO set (--slo ttft_ms=2000 --slo tpot_ms=50).")
    if definitions:
        parts += ["", *definition_lines()]
    return "\n".join(parts)


def _names(table: pd.DataFrame) -> dict[str, str]:
    """Each model's display name, distinct within the table (the id stays in its own column or on hover)."""
    from ..catalog import display_names

    return display_names(str(m) for m in table["model_id"])


def definition_lines() -> list[str]:
    """Every figure's definition, one line each."""
    return [f"{name}: {text}" for name, text in DEFINITIONS.items()]


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]], left: int = 1) -> str:
    """Columns padded to their widest cell; the first `left` columns left-aligned, the rest right-aligned."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=False)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(str(c).ljust(w) if i < left else str(c).rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    return "\n".join([line(header), *(line(r) for r in rows)])


def display_frame(table: pd.DataFrame) -> pd.DataFrame:
    """The per-step figures for a page: one row per model and step, the figures people compare first, numbers as
    text with thousands separators and a dash where there are too few values (the lab's n rule); the model by
    its name, its id in the last column."""
    import pandas as pd

    names = _names(table) if not table.empty else {}
    rows = []
    for row in table.to_dict(orient="records"):
        rows.append({
            "Model": names[str(row["model_id"])], "Step": str(row["step"]), "Requests": int(row["requests"]),
            "Errors": int(row["errors"]), "Throttled": int(row["throttled"]),
            fmt.label("ttft", stat="p50"): _number(row["ttft_ms_p50"], DECIMALS["ttft_ms"]),
            fmt.label("ttft", stat="p99"): _number(row["ttft_ms_p99"], DECIMALS["ttft_ms"]),
            fmt.label("tpot", stat="p50"): _number(row["tpot_ms_p50"], DECIMALS["tpot_ms"]),
            fmt.label("e2e", stat="p50"): _number(row["e2e_ms_p50"], DECIMALS["e2e_ms"]),
            fmt.label("decode_rate", stat="p50"): _number(row["tokens_per_s_p50"], DECIMALS["tokens_per_s"]),
            fmt.label("output_throughput"): _number(row["output_tok_s"], 1),
            fmt.label("throughput"): _number(row["requests_per_s"], 2),
            fmt.label("goodput"): _percent(row["goodput_share"]),
            "Model ID": str(row["model_id"]),
        })
    return pd.DataFrame(rows)
