"""Several runs at once, for the Compare page: sync against stream, models side by side, one model A/B on a
single lever (effort, service tier, latency mode, prompt cache), and the effort sweep.

Each run is read to its end on a worker thread of its own (a `Lane`), so every stream is read as
its bytes arrive and `core.streaming.Run` takes its timestamps there, whatever the page is doing;
the page's script thread only looks at the lanes and draws. The lanes of one comparison start
their requests at the same moment (a barrier), and share a compare group in the history.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from . import analytics, catalog, validation
from . import format as fmt
from .answers import Answer, Flight, Lane
from .history import records_frame
from .settings import LabSettings
from .streaming import RunRequest
from .types import LATENCIES, SERVICE_TIERS, Api, CachePlan, Latency, Message, RunRecord, ServiceTier

MIN_PANELS, MAX_PANELS = 2, 4
# The A/B table's rows, in the vocabulary every page uses.
DECODE, E2E, COST = fmt.metric("decode_rate").short, fmt.metric("e2e").short, "Cost (estimate)"
REPEAT_PERCENTILES = (0.5, 0.9)


def new_group() -> str:
    """A compare-group id: the runs of one comparison share it in the history."""
    return "cmp-" + uuid.uuid4().hex[:12]


def request_for(settings: LabSettings, messages: Sequence[Message], *, stream: bool | None = None,
                session_id: str | None = None, compare_group: str | None = None) -> RunRequest:
    """The request a panel sends: its settings, the conversation so far, and the comparison's group."""
    chat = settings.chat_request(messages)
    streaming = settings.streaming if stream is None else stream and settings.model.streaming
    return RunRequest(settings.model_id, chat, api=settings.api, stream=streaming, backend=settings.backend,
                      region=settings.region, profile=settings.profile, max_attempts=settings.max_attempts,
                      read_timeout_s=settings.read_timeout_s, idle_timeout_s=settings.idle_timeout_s,
                      session_id=session_id, compare_group=compare_group, user_name=settings.user_name)


Kind = Literal["pair", "models", "ab", "sweep"]


@dataclass
class Comparison:
    """A comparison as the Compare page keeps it, from its start until the next one: what was asked, the panels'
    answers and the repeated runs, landed from its `Flight` (whichever page is open when it ends).

    The flight's first `panel_batches` batches are the panels (one batch side by side; A/B on the prompt cache, one
    panel after the other); every later batch is a repeat, `round_of_batch` saying which round it belongs to."""

    kind: Kind
    prompt: str
    group: str
    labels: list[str]
    panel_batches: int = 1
    round_of_batch: list[int] = field(default_factory=list)
    repeats_asked: int = 0
    lever: Lever | None = None
    values: list[str] = field(default_factory=list)
    model: str = ""
    max_tokens: int = 0
    panels: list[Answer] = field(default_factory=list)
    repeats: list[RunRecord] = field(default_factory=list)
    repeats_done: int = 0
    stopped: bool = False
    landed: bool = False
    winner: str | None = None  # the run id of the panel the user picked
    continued: bool = False  # each panel continues its own conversation
    remembered: bool = False  # the page has taken the answers into the panels' conversations

    def panel_lanes(self, flight: Flight) -> list[Lane]:
        return flight.lanes[:sum(len(batch) for batch in flight.batches[:self.panel_batches])]

    def land(self, flight: Flight) -> None:
        """The flight's answers, once it has ended (or was stopped)."""
        panels = self.panel_lanes(flight)
        self.panels = [lane.answer() for lane in panels]
        later = flight.lanes[len(panels):]
        counted = panels if self.kind == "pair" and self.repeats_asked else []  # the first pair is round 1
        self.repeats = [lane.record for lane in [*counted, *later] if lane.record is not None]
        self.repeats_done = self.rounds_done(flight)
        self.stopped, self.landed = flight.stopped, True

    def rounds_done(self, flight: Flight) -> int:
        """Rounds of repeats whose every batch has started and ended."""
        ended = [all(lane.done for lane in lanes) for lanes in _by_batch(flight)][:len(self.round_of_batch)]
        ended += [False] * (len(self.round_of_batch) - len(ended))  # batches not started yet
        unfinished = {round_ for round_, done in zip(self.round_of_batch, ended, strict=True) if not done}
        return len(set(self.round_of_batch) - unfinished)


def _by_batch(flight: Flight) -> list[list[Lane]]:
    """The flight's lanes started so far, batch by batch."""
    out, at = [], 0
    for batch in flight.batches:
        if at + len(batch) > len(flight.lanes):
            break
        out.append(flight.lanes[at:at + len(batch)])
        at += len(batch)
    return out


# -- what the page shows when a comparison is over -----------------------------------------------


def perceived_wait_ms(record: RunRecord) -> float | None:
    """How long the user waited for the first words: TTFT for a stream, the whole E2E for a sync call."""
    return record.ttft_ms if record.mode == "stream" else record.e2e_ms


def streaming_gain_ms(stream: RunRecord, sync: RunRecord) -> float | None:
    """How much sooner the first words appeared with streaming than the sync answer did."""
    if stream.status != "ok" or sync.status != "ok" or stream.ttft_ms is None or sync.e2e_ms is None:
        return None
    return sync.e2e_ms - stream.ttft_ms


def headline(stream: RunRecord, sync: RunRecord) -> str | None:
    """One sentence on what streaming bought, e.g. "First words 4.8 s sooner with streaming"."""
    gain_ms = streaming_gain_ms(stream, sync)
    if gain_ms is None:
        return None
    if gain_ms >= 0:
        return f"First words {gain_ms / 1000:.1f} s sooner with streaming"
    return f"The complete sync answer came {-gain_ms / 1000:.1f} s before the stream's first words"


def badges(records: Sequence[RunRecord]) -> dict[str, list[str]]:
    """Per run id, the badges it earned among the runs that finished ok: fastest first token (perceived
    wait, so a sync run competes with its whole wait), fastest decode, cheapest. Ties share a badge; a
    badge needs at least two runs that have the figure."""
    earned: dict[str, list[str]] = {record.run_id: [] for record in records}
    ok = [r for r in records if r.status == "ok"]
    for badge, value, best in (("Fastest first token", perceived_wait_ms, min),
                               ("Fastest decode", lambda r: r.tokens_per_s, max),
                               ("Cheapest", lambda r: r.cost_usd, min)):
        scored: list[tuple[RunRecord, float]] = [(r, v) for r in ok if (v := value(r)) is not None]
        if len(scored) < 2:
            continue
        top = best(v for _, v in scored)
        for record, v in scored:
            if v == top:
                earned[record.run_id].append(badge)
    return earned


def tokens_timeline(record: RunRecord, timeline: Sequence[tuple[float, int]]) -> list[tuple[float, float]]:
    """Cumulative output tokens over time (seconds), from when the characters arrived, scaled so the last
    point is the run's output tokens (chunks carry no token counts of their own)."""
    if not timeline or not record.output_tokens:
        return []
    total_chars = timeline[-1][1] or 1
    return [(0.0, 0.0), *((at_ms / 1000, chars / total_chars * record.output_tokens) for at_ms, chars in timeline)]


def chars_timeline(record: RunRecord, timeline: Sequence[tuple[float, int]]) -> list[tuple[float, float]]:
    """Characters visible to the user over time (seconds): a stream grows from its TTFT, a sync answer
    appears whole at its end-to-end time."""
    if record.mode == "sync":
        if record.e2e_ms is None:
            return []
        shown = len(record.text) if record.status == "ok" else 0
        return [(0.0, 0), (record.e2e_ms / 1000, 0), (record.e2e_ms / 1000, shown)]
    end = [(record.e2e_ms / 1000, timeline[-1][1])] if timeline and record.e2e_ms is not None else []
    return [(0.0, 0), *((at_ms / 1000, chars) for at_ms, chars in timeline), *end]


def repeat_order(index: int) -> tuple[bool, bool]:
    """Which mode goes first in repeat `index`: stream first on even repeats, sync first on odd ones."""
    return (True, False) if index % 2 == 0 else (False, True)


def repeat_table(records: Sequence[RunRecord]) -> pd.DataFrame:
    """p50 and p90 with n of stream TTFT, stream E2E and sync E2E over repeated runs that finished ok; a
    percentile needs enough runs (DESIGN.md's rule), else it is missing."""
    frame = records_frame(records) if records else records_frame([])
    rows = []
    for label, mode, metric in (("Stream time to first token (ms)", "stream", "ttft_ms"),
                                ("Stream end-to-end (ms)", "stream", "e2e_ms"),
                                ("Sync end-to-end (ms)", "sync", "e2e_ms")):
        chosen = frame[(frame["status"] == "ok") & (frame["mode"] == mode)].assign(what=label)
        table = analytics.percentiles_by(chosen, "what", metric, REPEAT_PERCENTILES)
        rows.append(table.reindex([label]).fillna({"n": 0}))
    table = pd.concat(rows)
    table["n"] = table["n"].astype("int64")
    table.index.name = "metric"
    return table


def panel_settings(base: LabSettings, *, model: Any = None, api: str | None = None, stream: bool | None = None,
                   max_tokens: int | None = None, temperature: float | None = None,
                   top_p: float | None = None, effort: str | None = None) -> LabSettings:
    """The sidebar's settings with a panel's own choices on top (None keeps the sidebar's)."""
    changes: dict[str, Any] = {name: value for name, value in (
        ("model", model), ("api", api), ("stream", stream), ("max_tokens", max_tokens),
        ("temperature", temperature), ("top_p", top_p), ("effort", effort)) if value is not None}
    if model is not None and max_tokens is None and model.max_output_tokens:
        changes["max_tokens"] = min(base.max_tokens, model.max_output_tokens)
    return dataclasses.replace(base, **changes)


# -- A/B on one lever, and the effort sweep ------------------------------------------------------

Lever = Literal["effort", "tier", "latency", "cache"]
LEVER_NAMES: dict[Lever, str] = {"effort": "Reasoning effort", "tier": "Service tier", "latency": "Latency mode",
                                 "cache": "Prompt cache"}
TIME_SAME_MS = 0.5  # a difference below this is "at the same time"
PRICE_SAME = 0.005  # a price ratio within half a percent of 1 is "the same price"
DECODE_SAME = 0.05  # a decode-rate ratio within 5% of 1 is not worth a clause
# The cold/warm prefix's length. Bedrock caches a prefix only from a model's minimum length per cache point:
# 512 to 2,048 tokens for most Claude models, 4,096 for Claude Haiku 4.5 and Opus 4.5 / 4.6 (Anthropic's
# prompt-caching docs), about 1,000 for Nova (Bedrock's prompt-caching page). The length is estimated at four
# characters a token, which overcounts this prose (the emulator counted 4,357 tokens where the estimate said
# 5,000), so the prefix aims well above the largest minimum.
CACHE_PREFIX_TOKENS = 6_000
_NOTES = (
    "Time to first token is measured from just before the request is sent to the first text of the answer.",
    "Reasoning text that arrives before the answer does not count as the answer's first token.",
    "The decode rate is the output tokens divided by the time from the first answer token to the last event.",
    "A priority tier costs more per token and promises a better output rate than the default tier.",
    "A flex tier is discounted and may queue requests when capacity is short.",
    "Latency-optimized inference falls back to standard quietly when its quota is used up.",
    "A prompt-cache read is billed at a fraction of the input price; a cache write costs more than plain input.",
    "Bedrock counts cached input apart: the invocation metrics' input token count leaves it out.",
)


def levers_for(model: catalog.Model, api: Api) -> dict[Lever, tuple[str, ...]]:
    """The levers this model takes through this API (from the model table), each with the values it offers
    in the order panels take them: the first is the baseline the others are compared with."""
    levers: dict[Lever, tuple[str, ...]] = {}
    if len(model.efforts) >= 2:
        levers["effort"] = model.efforts
    if model.tiers:
        levers["tier"] = ("default", *(t for t in model.tiers if t != "default"))
    if model.latency_optimized:
        levers["latency"] = LATENCIES
    provider = model.family.provider if model.family else None
    if model.caching and (api == "converse" or getattr(provider, "supports_cache", False)):
        levers["cache"] = ("cold", "warm")  # InvokeModel carries cache points for Claude only
    return levers


def default_values(values: Sequence[str]) -> list[str]:
    """The values an A/B starts with: all of them up to four panels, else the lowest three and the highest."""
    return list(values) if len(values) <= MAX_PANELS else [*values[:MAX_PANELS - 1], values[-1]]


def value_label(lever: Lever, value: str) -> str:
    """How a panel is named after its lever's value: "Effort high", "Priority tier", "Warm cache"."""
    if lever == "effort":
        return f"Effort {value}"
    return f"{value.capitalize()} {lever}"


def effort_max_tokens(model: catalog.Model, max_tokens: int, efforts: Sequence[str]) -> int:
    """One output limit for every panel of an effort comparison: the sidebar's answer room plus the highest
    effort's thinking budget, so a high effort is not starved by a limit that fits a low one (thinking counts
    towards max_tokens), capped at what the model may write."""
    room = max((catalog.BUDGET_TOKENS.get(e, 0) for e in efforts), default=0)
    limit = validation.bounds_for(model).max_tokens[1]
    return max(max_tokens, min(max_tokens + room, limit))


def cache_prefix(group: str, tokens: int = CACHE_PREFIX_TOKENS) -> str:
    """A long system-prompt prefix of its comparison's own: the cold panel writes it to the cache and the warm
    panel reads it; a new comparison has a new one, so its cold panel cannot find it cached already."""
    lines = [f"Reference notes for comparison {group}. Answer the user's question; use these notes where they "
             "help."]
    chars, target_chars = len(lines[0]), tokens * 4
    while chars < target_chars:
        line = f"Note {len(lines)}: {_NOTES[(len(lines) - 1) % len(_NOTES)]}"
        lines.append(line)
        chars += len(line) + 1
    return "\n".join(lines)


def ab_panels(base: LabSettings, lever: Lever, values: Sequence[str], group: str) -> list[LabSettings]:
    """Each panel's settings: the sidebar's with only the lever's value changed. What the lever needs is the
    same in every panel: an effort comparison's output limit (`effort_max_tokens`), a cache comparison's long
    prefix and cache points (cold and warm differ only by going first or second)."""
    shared = base
    if lever == "effort":
        shared = dataclasses.replace(base, max_tokens=effort_max_tokens(base.model.model, base.max_tokens, values))
    elif lever == "cache":
        system = cache_prefix(group) + (f"\n\n{base.system}" if base.system else "")
        shared = dataclasses.replace(base, system=system, cache=base.cache or CachePlan())
    panels = []
    for value in values:
        if lever == "effort":
            panels.append(dataclasses.replace(shared, effort=value))
        elif lever == "tier":
            panels.append(dataclasses.replace(shared, service_tier=_tier(value)))
        elif lever == "latency":
            panels.append(dataclasses.replace(shared, latency=_latency(value)))
        else:
            panels.append(shared)
    return panels


def _tier(value: str) -> ServiceTier:
    for tier in SERVICE_TIERS:
        if tier == value:
            return tier
    raise ValueError(f"not a service tier: {value!r}")


def _latency(value: str) -> Latency:
    for latency in LATENCIES:
        if latency == value:
            return latency
    raise ValueError(f"not a latency mode: {value!r}")


def input_cost_usd(record: RunRecord) -> float | None:
    """What the run's input cost as served (cached reads and writes at their prices), without its output."""
    try:
        model = catalog.resolve(record.model_id)
    except catalog.UnknownModelError:
        return None
    return model.cost_usd(record.input_tokens, 0, cache_read_tokens=record.cache_read_tokens,
                          cache_write_tokens=record.cache_write_tokens, cache_ttl=record.cache_ttl,
                          service_tier=record.service_tier_served or record.service_tier)


def _duration(ms: float) -> str:
    return f"{ms:,.0f} ms" if ms < 100 else f"{ms / 1000:,.1f} s"


def _sooner(what: str, a_ms: float | None, b_ms: float | None) -> str | None:
    if a_ms is None or b_ms is None:
        return None
    gain_ms = a_ms - b_ms
    if abs(gain_ms) < TIME_SAME_MS:
        return f"{what} at the same time"
    return f"{what} {_duration(abs(gain_ms))} {'sooner' if gain_ms > 0 else 'later'}"


def _thought(a: RunRecord, b: RunRecord) -> str | None:
    if b.reasoning_ms is None:
        return "no reasoning" if a.reasoning_ms is not None else None
    if a.reasoning_ms is None:
        return f"thought for {_duration(b.reasoning_ms)}"
    longer_ms = b.reasoning_ms - a.reasoning_ms
    if abs(longer_ms) < TIME_SAME_MS:
        return "thought as long"
    return f"thought {_duration(abs(longer_ms))} {'longer' if longer_ms > 0 else 'less'}"


def _decode(a: RunRecord, b: RunRecord) -> str | None:
    if not a.tokens_per_s or not b.tokens_per_s:
        return None
    ratio = b.tokens_per_s / a.tokens_per_s
    if abs(ratio - 1) < DECODE_SAME:
        return None
    return f"decodes {_times(ratio)} as fast" if ratio > 1 else f"decodes {(1 - ratio) * 100:.0f}% slower"


def _times(ratio: float) -> str:
    return f"{ratio:.2f}".rstrip("0").rstrip(".") + "x"


def _price(a_usd: float | None, b_usd: float | None, what: str) -> str | None:
    if a_usd is None or b_usd is None:
        return None
    if a_usd == 0:  # nothing to scale against (a free run is not worth a clause)
        return None
    ratio = b_usd / a_usd
    if abs(ratio - 1) < PRICE_SAME:
        return f"the same {what}"
    if ratio < 1:
        return f"{(1 - ratio) * 100:.0f}% cheaper" + ("" if what == "price" else " input")
    return f"{_times(ratio)} the {what}"


def served_note(lever: Lever, value: str, record: RunRecord) -> str | None:
    """What Bedrock served instead of what the panel asked ("asked priority, served default"), or that it did
    not say; None when it served what was asked."""
    if lever == "tier":
        served = record.service_tier_served
        if served is None:
            return "the served tier was not reported"
        return None if served == value else f"asked {value}, served {served}"
    if lever == "latency":
        served = record.latency_served
        if served is None:
            return "the served latency was not reported"
        return None if served == value else f"asked {value}, served {served}"
    if lever == "cache":
        read = record.cache_read_tokens or 0
        if value == "warm" and not read:
            return "asked a warm cache, read nothing from it"
        if value == "cold" and read:
            return f"the cold run read {read:,} tokens from the cache already"
    return None


def ab_headline(lever: Lever, a_value: str, a: RunRecord, b_value: str, b: RunRecord) -> str:
    """One sentence on what panel B's lever value changed against panel A's, for instance "Priority tier:
    first words 0.4 s sooner, 1.75x the price" or "Warm cache: first words 0.6 s sooner, 70% cheaper input";
    where Bedrock served something else than asked, it says so ("asked priority, served default")."""
    label = value_label(lever, b_value)
    for name, record in ((f"A ({value_label(lever, a_value).lower()})", a), ("this panel", b)):
        if record.status != "ok":
            ended = "failed" if record.status == "error" else "was stopped"
            return f"{label}: nothing to compare, {name} {ended}"
    reasoned = a.first_reasoning_ms is not None or b.first_reasoning_ms is not None
    clauses = [_sooner("first answer token" if reasoned else "first words", perceived_wait_ms(a),
                       perceived_wait_ms(b))]
    if reasoned:
        clauses.append(_thought(a, b))
    if lever in ("tier", "latency"):
        clauses.append(_decode(a, b))
    if lever == "cache":
        clauses.append(_price(input_cost_usd(a), input_cost_usd(b), "input price"))
    else:
        clauses.append(_price(a.cost_usd, b.cost_usd, "price"))
    sentence = f"{label}: " + ", ".join(c for c in clauses if c)
    own, baseline = served_note(lever, b_value, b), served_note(lever, a_value, a)
    notes = [own] if own else []
    if baseline and baseline != own:  # the baseline's own surprise, named, since it moves every comparison
        notes.append(f"{value_label(lever, a_value).lower()}: {baseline}")
    return sentence + "".join(f"; {note}" for note in notes)


def _cell_time(ms: float) -> str:
    return f"{ms:,.0f} ms" if ms < 1000 else f"{ms / 1000:,.2f} s"


def _time_cell(ms: float | None, baseline_ms: float | None) -> str:
    if ms is None:
        return "—"
    if baseline_ms is None:
        return _cell_time(ms)
    diff_ms = ms - baseline_ms
    if abs(diff_ms) < TIME_SAME_MS:
        return f"{_cell_time(ms)} (same)"
    return f"{_cell_time(ms)} ({'+' if diff_ms > 0 else '-'}{_cell_time(abs(diff_ms))})"


def _ratio_cell(value: float | None, baseline: float | None, shown: str) -> str:
    if value is None:
        return "—"
    if baseline is None:
        return shown
    return f"{shown} ({_times(value / baseline)})" if baseline else shown


def _served_cell(lever: Lever, value: str, record: RunRecord) -> str:
    if lever == "tier":
        return f"asked {value}, served {record.service_tier_served or 'not reported'}"
    if lever == "latency":
        return f"asked {value}, served {record.latency_served or 'not reported'}"
    if lever == "cache":
        return f"read {record.cache_read_tokens or 0:,} / written {record.cache_write_tokens or 0:,} tokens"
    tokens = f", {record.reasoning_tokens:,} reasoning tokens" if record.reasoning_tokens else ""
    return f"{record.effort or value}{tokens}"


def ab_figures(lever: Lever, labels: Sequence[str], values: Sequence[str],
               records: Sequence[RunRecord | None]) -> pd.DataFrame:
    """The figures an A/B changes, a column per panel and a row per figure, B, C and D with their difference
    from A in brackets: the wait for the first answer text (labelled "first answer token" where a panel
    reasoned), time to first reasoning and reasoning time (where one did), decode rate, E2E, cost, and what
    was served for the lever. A panel that did not finish ok shows dashes (its panel says why)."""
    ok = [r if r is not None and r.status == "ok" else None for r in records]
    baseline = ok[0] if ok else None
    reasoned = any(r is not None and r.first_reasoning_ms is not None for r in ok)
    columns = {label: _panel_cells(lever, value, record, None if i == 0 else baseline, reasoned)
               for i, (label, value, record) in enumerate(zip(labels, values, ok, strict=False))}
    return pd.DataFrame(columns, index=list(next(iter(columns.values()), {})))


def _panel_cells(lever: Lever, value: str, record: RunRecord | None, baseline: RunRecord | None,
                 reasoned: bool) -> dict[str, str]:
    """One panel's column of `ab_figures`."""
    times: list[tuple[str, Callable[[RunRecord], float | None]]] = [
        (fmt.metric("first_answer_token" if reasoned else "ttft").short, perceived_wait_ms)]
    if reasoned:
        times += [(fmt.metric("first_reasoning").short, lambda r: r.first_reasoning_ms),
                  (fmt.metric("reasoning").short, lambda r: r.reasoning_ms)]
    names = [name for name, _ in times] + [DECODE, E2E, COST, LEVER_NAMES[lever]]
    if record is None:
        return dict.fromkeys(names, "—")

    def theirs(figure: Callable[[RunRecord], float | None]) -> float | None:
        return None if baseline is None else figure(baseline)

    cells = {name: _time_cell(figure(record), theirs(figure)) for name, figure in times}
    rate, cost = record.tokens_per_s, record.cost_usd
    cells[DECODE] = _ratio_cell(rate, theirs(lambda r: r.tokens_per_s), fmt.rate(rate))
    cells[E2E] = _time_cell(record.e2e_ms, theirs(lambda r: r.e2e_ms))
    cells[COST] = _ratio_cell(cost, theirs(lambda r: r.cost_usd), fmt.usd(cost))
    cells[LEVER_NAMES[lever]] = _served_cell(lever, value, record)
    return cells


def sweep_table(records: Sequence[RunRecord]) -> pd.DataFrame:
    """Per effort (low to max), n runs that finished ok and the p50 of their time to first answer token,
    reasoning time and cost; a p50 needs two runs (DESIGN.md's percentile rule), else it is missing."""
    frame = records_frame(records) if records else records_frame([])
    ok = frame[frame["status"] == "ok"]
    efforts = [e for e in catalog.EFFORT_LEVELS if e in set(frame["effort"].dropna())]
    table = pd.DataFrame(index=pd.Index(efforts, name="effort"))
    table["n"] = ok.groupby("effort")["run_id"].count().reindex(efforts).fillna(0).astype("int64")
    for label, metric in (("first answer token p50 (ms)", "ttft_ms"), ("reasoning p50 (ms)", "reasoning_ms"),
                          ("cost p50 (USD)", "cost_usd")):
        values = analytics.percentiles_by(ok, "effort", metric, (0.5,))
        table[label] = values["p50"].reindex(efforts).astype("float64") if not values.empty else float("nan")
    return table
