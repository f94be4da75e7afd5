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
LABELS = {"ttft_ms": "TTFT (ms)", "tpot_ms": "TPOT (ms)", "chunk_gap_ms": "chunk gap (ms)", "e2e_ms": "E2E (ms)",
          "tokens_per_s": "decode (tok/s)"}

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
    "output_tok_s": "System output throughput: the step's output tokens (every request that finished ok) divided "
                    "by its wall time (first start to last end). vLLM's and GuideLLM's output token throughput.",
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
        """'TTFT <= 2000 ms, TPOT <= 50 ms' (empty when none is set)."""
        return ", ".join(f"{LABELS[f.name].split(' (')[0]} <= {getattr(self, f.name):g} ms"
                         for f in fields(self) if getattr(self, f.name) is not None)


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
    from ..analytics import DASH

    return DASH if _missing(value) else f"{float(value):,.{decimals}f}"  # type: ignore[arg-type]


def _percent(value: object) -> str:
    from ..analytics import DASH

    return DASH if _missing(value) else f"{float(value) * 100:.1f}"  # type: ignore[arg-type]


def format_figures(table: pd.DataFrame, slos: Slos | None = None, *, definitions: bool = True) -> str:
    """The per-step figures as text: one block of rows per model and step (requests, rates, goodput), then
    n and p50/p90/p99 of each per-request figure, then one line per definition."""
    from ..analytics import DASH

    if table.empty:
        return "No run finished: no figures."
    header = ["model", "step", "requests", "ok", "errors", "throttled", "out tok/s", "req/s", "error %",
              "throttle %", "goodput %", "goodput/s"]
    rows = []
    for row in table.to_dict(orient="records"):
        rows.append([str(row["model_id"]), str(row["step"]), str(row["requests"]), str(row["ok"]),
                     str(row["errors"]), str(row["throttled"]), _number(row["output_tok_s"], 1),
                     _number(row["requests_per_s"], 2), _percent(row["error_rate"]),
                     _percent(row["throttle_rate"]), _percent(row["goodput_share"]),
                     _number(row["goodput_per_s"], 2)])
    first = text_table(header, rows, left=2)
    labels = [f"p{p * 100:g}" for p in PERCENTILES]
    second_rows = []
    for row in table.to_dict(orient="records"):
        for figure in PER_REQUEST:
            if row[f"{figure}_n"]:
                decimals = 1 if figure in ("tokens_per_s", "tpot_ms", "chunk_gap_ms") else 0
                second_rows.append([str(row["model_id"]), str(row["step"]), LABELS[figure], str(row[f"{figure}_n"]),
                                    *(_number(row[f"{figure}_{p}"], decimals) for p in labels)])
    second = text_table(["model", "step", "figure", "n", *labels], second_rows, left=3) if second_rows else \
        "No run finished ok: no percentiles."
    parts = [first, "", second, f"A percentile p needs at least 1/(1-p) values (p90: {min_runs_for(0.9)}, "
             f"p99: {min_runs_for(0.99)}); {DASH} means too few."]
    parts.append(f"Goodput SLOs: {slos.describe()}." if slos is not None and slos.any else
                 "Goodput: no SLO set (--slo ttft_ms=2000 --slo tpot_ms=50).")
    if definitions:
        parts += ["", *definition_lines()]
    return "\n".join(parts)


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
    text with thousands separators and a dash where there are too few values (the lab's n rule)."""
    import pandas as pd

    from ..analytics import DASH

    rows = []
    for row in table.to_dict(orient="records"):
        rows.append({
            "Model": str(row["model_id"]), "Step": str(row["step"]), "Requests": int(row["requests"]),
            "Errors": int(row["errors"]), "Throttled": int(row["throttled"]),
            "TTFT p50 (ms)": _number(row["ttft_ms_p50"]), "TTFT p99 (ms)": _number(row["ttft_ms_p99"]),
            "TPOT p50 (ms)": _number(row["tpot_ms_p50"], 1), "E2E p50 (ms)": _number(row["e2e_ms_p50"]),
            "Decode p50 (tok/s)": _number(row["tokens_per_s_p50"], 1),
            "Output (tok/s, all)": _number(row["output_tok_s"], 1), "Requests/s": _number(row["requests_per_s"], 2),
            "Goodput": DASH if _missing(row["goodput_share"]) else f"{float(row['goodput_share']):.0%}",
        })
    return pd.DataFrame(rows)
