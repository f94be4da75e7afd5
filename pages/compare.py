"""Compare: one prompt in sync and streaming mode side by side, several models streaming at once, one model A/B
on a single lever (effort, service tier, latency mode, prompt cache), or one model swept over its efforts."""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

from core import charts, compare
from core.catalog import PRICE_TABLE_DATE, ModelInfo, default_model_ids
from core.errors import LabError
from core.history import History, records_frame
from core.metrics import caption
from core.settings import DEFAULT_MAX_TOKENS, LabSettings, output_limit
from core.streaming import LiveProgress, RunRequest
from core.types import Message, RunRecord
from pages.common import api_label, api_options, api_request, effort_control, page_history, sampling_controls

MODES = {"pair": "Sync vs stream", "models": "Models side by side", "ab": "A/B", "sweep": "Effort sweep"}
POLL_S = 0.05  # how often the script thread looks at the lanes
LIVE_INTERVAL_S = 0.25  # live numbers change four times a second at most
UPDATE_INTERVAL_S = 0.1  # a panel's text is redrawn ten times a second at most ...
MARKDOWN_BYTES_PER_S = 40_000  # ... and less often as it grows, so the re-sent markdown stays bounded
MAX_REPEATS = 50
SWEEP_MAX_REPEATS, SWEEP_DEFAULT_REPEATS = 10, 3  # a small n: each round sends every effort once
PANEL_LETTERS = "ABCD"
state = st.session_state
state.setdefault("compare_result", None)  # the last comparison, drawn again on every rerun
state.setdefault("compare_conversations", {})  # panel -> [Message] when the conversation is continued


# -- drawing a run while it goes ---------------------------------------------------------------------


class _Panel:
    """One column's live view of a lane: its text, paced, and its numbers."""

    def __init__(self, lane: compare.Lane, where: Any, sync_label: str | None = None) -> None:
        self.lane, self.sync_label = lane, sync_label
        with where:
            self.numbers = st.empty()
            self.body = st.empty()
        self.shown_chars, self.text_at, self.numbers_at = 0, 0.0, 0.0

    def update(self, now: float) -> None:
        lane, live = self.lane, self.lane.live()
        if now - self.numbers_at >= LIVE_INTERVAL_S:
            self.numbers_at = now
            if self.sync_label is not None:
                self.numbers.caption(f":material/hourglass_top: {self.sync_label} · {live.elapsed_ms / 1000:.1f} s")
            else:
                ttft = _live_wait(live)
                rate = f" · {live.tokens_per_s:,.0f} tok/s" if live.tokens_per_s else ""
                self.numbers.caption(f"{ttft} · {live.output_tokens:,} tokens (est.){rate} · "
                                     f"{live.elapsed_ms / 1000:.1f} s")
        if self.sync_label is not None:
            return
        text = lane.text
        if len(text) != self.shown_chars and now - self.text_at >= max(UPDATE_INTERVAL_S,
                                                                        len(text) / MARKDOWN_BYTES_PER_S):
            self.body.markdown(text + "▌")
            self.shown_chars, self.text_at = len(text), now


def _live_wait(live: LiveProgress) -> str:
    """The live caption's first part: the wait for the first token, said as the first answer token once the
    model has shown reasoning, and the reasoning's start while it reasons."""
    if live.first_reasoning_ms is None:
        return "waiting for the first token" if live.ttft_ms is None else f"first token {live.ttft_ms:,.0f} ms"
    reasoning = f"first reasoning {live.first_reasoning_ms:,.0f} ms"
    if live.ttft_ms is None:
        return f"{reasoning} · reasoning…"
    return f"{reasoning} · first answer token {live.ttft_ms:,.0f} ms"


def _follow(panels: Sequence[_Panel]) -> None:
    """Draw the lanes until every one has finished (only this, the script thread, draws)."""
    while True:
        finished = all(panel.lane.done for panel in panels)
        now = time.perf_counter()
        for panel in panels:
            panel.update(now)
        if finished:
            return
        time.sleep(POLL_S)


def _stop_button() -> None:
    """Drawn while a comparison runs: a click reruns the app at once, and that run (_settle_pending) stops
    every lane and keeps what each one had."""
    st.button("Stop", key="compare_stop", icon=":material/stop_circle:")


def _pend(lanes: list[compare.Lane], labels: list[str], result: dict[str, Any], repeat: bool = False) -> dict[str, Any]:
    """Lanes this run follows, left where the next run finds them if this one is interrupted. Whoever
    takes the claim (a pop from a plain dict: atomic) keeps their result: this run when the lanes end, or
    the next run when Stop came first (Streamlit starts it while this one may still be drawing)."""
    pending = {"lanes": lanes, "labels": labels, "result": result, "repeat": repeat, "claim": True}
    state.compare_pending = pending
    return pending


def _claim(pending: dict[str, Any]) -> None:
    """The lanes ended while this run followed them: keep them here, unless Stop's run took them over."""
    if pending.pop("claim", None) is None:
        st.stop()
    state.compare_pending = None


def _entry(lane: compare.Lane, label: str) -> dict[str, Any]:
    """A finished (or stopped) lane as the page keeps it: its record, its timeline and its error."""
    record = lane.record
    entry: dict[str, Any] = {"label": label, "text": lane.text, "record": None, "timeline": lane.run.timeline(),
                             "error": None, "status": "cancelled"}
    if record is not None:
        entry.update(record=dataclasses.asdict(record), text=record.text, status=record.status)
        if record.status == "error":
            failure = lane.run.failure or LabError(record.error_message or "")
            entry["error"] = {"title": failure.title, "action": failure.action, "code": record.error_code,
                              "message": record.error_message}
    return entry


def _settle_pending() -> None:
    """Lanes left running by Stop (or any rerun): stop them all and keep what each one had."""
    pending = state.get("compare_pending")
    state.compare_pending = None
    if pending is None or pending.pop("claim", None) is None:
        return
    compare.stop_lanes(pending["lanes"])
    result = pending["result"]
    if pending.get("repeat"):  # the side-by-side pair is already drawn; the repeats finished so far count
        result["repeats"].extend(dataclasses.asdict(lane.record) for lane in pending["lanes"] if lane.record)
    else:
        result["panels"] = [_entry(lane, label) for lane, label in zip(pending["lanes"], pending["labels"],
                                                                        strict=True)]
    result["stopped"] = True
    state.compare_result = result


def _run(requests: list[RunRequest], labels: list[str], columns: Sequence[Any], result: dict[str, Any],
         history: History | None, sync_label: str = "Waiting for the complete answer") -> list[dict[str, Any]]:
    lanes = compare.start_lanes(requests, on_finish=history.record_run if history else None)
    pending = _pend(lanes, labels, result)
    panels = []
    for lane, column, label in zip(lanes, columns, labels, strict=True):
        column.markdown(f"**{label}**")
        panels.append(_Panel(lane, column, None if lane.run.request.stream else sync_label))
    _stop_button()  # under the panels, in view as they grow down towards the prompt box
    _follow(panels)
    _claim(pending)
    return [_entry(lane, label) for lane, label in zip(lanes, labels, strict=True)]


# -- what a finished comparison shows ----------------------------------------------------------------


def _cards(record: RunRecord) -> None:
    wait = compare.perceived_wait_ms(record)
    reasoning = record.first_reasoning_ms if record.mode == "stream" else None
    first = "First answer token" if reasoning is not None or record.reasoning_shown == "omitted" else "First words"
    shown = [(first if record.mode == "stream" else "Whole answer", "—" if wait is None else f"{wait:,.0f} ms",
              None if first == "First words" else "The wait for the first answer text; reasoning before it is timed "
                                                  "apart.")]
    if reasoning is not None:
        shown.append(("First reasoning", f"{reasoning:,.0f} ms", "The wait for the model's first reasoning text."))
    shown += [("End to end", "—" if record.e2e_ms is None else f"{record.e2e_ms / 1000:,.2f} s", None),
              ("Decode", "—" if record.tokens_per_s is None else f"{record.tokens_per_s:,.0f} tok/s", None)]
    for card, (label, value, explained) in zip(st.columns(len(shown)), shown, strict=True):
        card.metric(label, value, help=explained)


def _draw_entry(entry: dict[str, Any], badges: list[str], cards: Callable[[RunRecord], None] = _cards) -> None:
    st.markdown(f"**{entry['label']}**" + "".join(f" :green-badge[{badge}]" for badge in badges))
    record = RunRecord(**entry["record"]) if entry["record"] else None
    if record is not None and record.status == "ok":
        cards(record)
    if entry["text"]:
        st.markdown(entry["text"])  # markdown only: HTML in model output is shown as text, never run
    if entry["status"] == "cancelled":
        st.caption(":material/stop_circle: Stopped: the partial answer is kept."
                   if entry["text"] else ":material/stop_circle: Stopped before any text arrived.")
    if entry["error"]:
        problem = entry["error"]
        st.error(f"**{problem['title']}.** {problem['action']}", icon=":material/error:")
        with st.expander("Technical details"):
            st.code(f"{problem['code']}\n{problem['message']}", language=None)
    if record is not None:
        st.caption(caption(record, PRICE_TABLE_DATE))
        for note in record.notes:  # what the model could not take was left out, and this says so
            st.caption(f":material/info: {note}")
        api_request(record)


def _records(entries: Sequence[dict[str, Any]]) -> list[RunRecord]:
    return [RunRecord(**entry["record"]) for entry in entries if entry["record"]]


def _draw_result(result: dict[str, Any]) -> None:
    if result.get("stopped"):
        st.info("Stopped: the rounds that finished are kept." if result["kind"] == "sweep" else
                "Stopped: every panel keeps what it had received.", icon=":material/stop_circle:")
    if result["kind"] == "ab":
        _draw_ab(result)
        return
    if result["kind"] == "sweep":
        _draw_sweep(result)
        return
    entries = result["panels"]
    records = _records(entries)
    if result["kind"] == "pair":
        by_mode = {record.mode: record for record in records}
        if "stream" in by_mode and "sync" in by_mode:
            sentence = compare.headline(by_mode["stream"], by_mode["sync"])
            if sentence:
                st.subheader(sentence)
        series: dict[str, list[tuple[float, float]]] = {}
        marks: dict[str, tuple[float, str]] = {}
        for entry, record in ((e, RunRecord(**e["record"])) for e in entries if e["record"]):
            series[entry["label"]] = compare.chars_timeline(record, entry["timeline"])
            wait = compare.perceived_wait_ms(record)
            if wait is not None and record.status == "ok":
                marks[entry["label"]] = (wait / 1000, f"{'first words' if record.mode == 'stream' else 'answer'} "
                                                      f"{wait / 1000:.1f} s")
        chart = charts.visible_text(series, marks)
    else:
        series = {f"{i + 1} · {entry['label']}": compare.tokens_timeline(record, entry["timeline"])
                  for i, entry in enumerate(entries) if entry["record"] and (record := RunRecord(**entry["record"]))}
        chart = charts.tokens_over_time(series)
    earned = compare.badges(records) if result["kind"] == "models" else {}
    columns = st.columns(len(entries), border=True)
    for column, entry in zip(columns, entries, strict=True):
        with column:
            _draw_entry(entry, earned.get(entry["record"]["run_id"], []) if entry["record"] else [])
    if records:
        st.markdown(f"**{chart.title}**")
        st.caption(chart.caption)
        st.plotly_chart(chart.figure, key=f"compare_chart_{chart.key}")
    if result.get("repeats"):
        _draw_repeats(result)


def _draw_repeats(result: dict[str, Any]) -> None:
    records = [RunRecord(**record) for record in result["repeats"]]
    st.markdown(f"**Over {result['repeats_done']} of {result['repeats_asked']} repeats** "
                "(one request at a time, the mode that goes first alternating)")
    table = compare.repeat_table(records)
    st.dataframe(table.style.format("{:,.0f}", subset=["p50", "p90"], na_rep="—"),
                 column_config={"n": st.column_config.NumberColumn("n", help="runs that finished ok")})
    st.caption("A percentile is shown once there are enough runs for it: p90 needs 10.")


def _no_cards(record: RunRecord) -> None:
    """A/B panels draw no cards: their figures are in the table above them, side by side."""


def _draw_ab(result: dict[str, Any]) -> None:
    lever: compare.Lever = result["lever"]
    entries, values = result["panels"], result["values"]
    records = [RunRecord(**entry["record"]) if entry["record"] else None for entry in entries]
    baseline = records[0] if records else None
    if baseline is not None:
        for value, record in zip(values[1:], records[1:], strict=False):
            if record is not None:
                st.subheader(compare.ab_headline(lever, values[0], baseline, value, record))
        st.caption(f"Against A, {compare.value_label(lever, values[0]).lower()}: the same model, prompt and settings, "
                   f"only the {compare.LEVER_NAMES[lever].lower()} differs.")
    finished = any(record is not None and record.status == "ok" for record in records)
    if finished:
        st.table(compare.ab_figures(lever, [entry["label"] for entry in entries], values, records))
        st.caption("In brackets: the difference from A (times) or the multiple of A's figure (decode rate, cost). "
                   f"Costs are estimates from on-demand list prices of {PRICE_TABLE_DATE}, as served.")
    columns = st.columns(len(entries), border=True)
    for column, entry, value, record in zip(columns, entries, values, records, strict=False):
        with column:
            _draw_entry(entry, [], _no_cards)
            if record is None:
                continue
            note = compare.served_note(lever, value, record)
            if note and record.status == "ok":
                st.caption(f":material/warning: {note[0].upper()}{note[1:]}.")
            if record.reasoning_text:
                with st.expander("Reasoning" + (f" (thought for {record.reasoning_ms / 1000:.1f} s)"
                                                if record.reasoning_ms is not None else "")):
                    st.markdown(record.reasoning_text)
    # The answer's characters on screen, not output tokens: a reasoning run's tokens are mostly its thinking.
    series: dict[str, list[tuple[float, float]]] = {}
    marks: dict[str, tuple[float, str]] = {}
    for entry, record in zip(entries, records, strict=False):
        if record is None:
            continue
        series[entry["label"]] = compare.chars_timeline(record, entry["timeline"])
        wait = compare.perceived_wait_ms(record)
        if wait is not None and record.status == "ok":
            marks[entry["label"]] = (wait / 1000, f"{entry['label'].split(' · ')[0]} {wait / 1000:.1f} s")
    if finished:
        chart = charts.visible_text(series, marks)
        st.markdown(f"**{chart.title}**")
        st.caption("Characters of each panel's answer on screen against time since the requests were sent (reasoning "
                   "is not counted); a dotted line marks each panel's first answer text.")
        st.plotly_chart(chart.figure, key=f"compare_chart_ab_{chart.key}")


def _draw_sweep(result: dict[str, Any]) -> None:
    records = [RunRecord(**record) for record in result["repeats"]]
    st.markdown(f"**{result['model']} at each effort, {result['repeats_done']} of {result['repeats_asked']} "
                f"round{'s' if result['repeats_asked'] != 1 else ''}** (every effort of a round sent together; "
                f"max tokens {result['max_tokens']:,} in every run)")
    failed = [record for record in records if record.status == "error"]
    if failed:
        st.warning(f"{len(failed)} of {len(records)} runs failed: {failed[0].error_message}", icon=":material/error:")
    if not any(record.status == "ok" for record in records):
        st.info("No run finished ok yet: there is nothing to chart.", icon=":material/info:")
        return
    table = compare.sweep_table(records)
    chart = charts.effort_sweep(records_frame(records), table)
    st.markdown(f"**{chart.title}**")
    st.caption(chart.caption)
    st.plotly_chart(chart.figure, key=f"compare_chart_{chart.key}")
    shown = table.astype(object)  # as text, so a median that n does not allow reads "—", not "None"
    for column, template in (("first answer token p50 (ms)", "{:,.0f}"), ("reasoning p50 (ms)", "{:,.0f}"),
                             ("cost p50 (USD)", "${:,.6f}")):
        shown[column] = [template.format(v) if not math.isnan(v) else "—" for v in table[column]]
    st.dataframe(shown, column_config={"n": st.column_config.NumberColumn("n", help="runs that finished ok")})
    st.caption("A median is shown once an effort has two runs that finished ok.")


# -- starting a comparison ---------------------------------------------------------------------------


def _messages(panel: int, prompt: str, continued: bool) -> list[Message]:
    earlier = state.compare_conversations.get(panel, []) if continued else []
    return [*earlier, Message("user", prompt)]


def _remember(panel: int, prompt: str, entry: dict[str, Any], continued: bool) -> None:
    """Continue each panel's own conversation with its answer (a failed or empty answer is left out)."""
    if not continued:
        state.compare_conversations = {}
        return
    if entry["text"] and entry["status"] != "error":
        state.compare_conversations[panel] = [*_messages(panel, prompt, True), Message("assistant", entry["text"])]


def _pair(settings: LabSettings, prompt: str, repeats: int, history: History | None) -> None:
    group = compare.new_group()
    messages = [Message("user", prompt)]
    stream_request = compare.request_for(settings, messages, stream=True, session_id=state.lab_session_id,
                                         compare_group=group)
    sync_request = dataclasses.replace(stream_request, stream=False)
    labels = [f"Streaming · {settings.model.name}", f"Sync · {settings.model.name}"]
    result: dict[str, Any] = {"kind": "pair", "prompt": prompt, "group": group, "panels": [],
                              "repeats": [], "repeats_done": 0, "repeats_asked": repeats if repeats > 1 else 0}
    st.markdown(f"**Prompt:** {prompt}")
    result["panels"] = _run([stream_request, sync_request], labels, st.columns(2, border=True), result, history)
    if repeats > 1:
        result["repeats"] = [entry["record"] for entry in result["panels"] if entry["record"]]
        result["repeats_done"] = 1
        _repeat(stream_request, sync_request, repeats, result, history)
    state.compare_result = result


def _repeat(stream_request: RunRequest, sync_request: RunRequest, repeats: int, result: dict[str, Any],
            history: History | None) -> None:
    """Repeats after the first, one request at a time, alternating which mode goes first."""
    bar = st.progress(1 / repeats, text=f"Repeat 1 of {repeats} done")
    for index in range(1, repeats):
        stream_first, _ = compare.repeat_order(index)
        for request in (stream_request, sync_request) if stream_first else (sync_request, stream_request):
            lane = compare.start_lanes([request], on_finish=history.record_run if history else None)[0]
            pending = _pend([lane], [], result, repeat=True)
            while not lane.join(LIVE_INTERVAL_S):
                bar.progress(index / repeats, text=f"Repeat {index + 1} of {repeats}: "
                             f"{'streaming' if request.stream else 'sync'} · {lane.live().elapsed_ms / 1000:.1f} s")
            _claim(pending)
            if lane.record is not None:
                result["repeats"].append(dataclasses.asdict(lane.record))
        result["repeats_done"] = index + 1
        state.compare_result = result  # what finished is kept if Stop comes now
        bar.progress((index + 1) / repeats, text=f"Repeat {index + 1} of {repeats} done")


def _models_run(panel_settings: list[LabSettings], prompt: str, continued: bool, history: History | None) -> None:
    group = compare.new_group()
    requests = [compare.request_for(s, _messages(i, prompt, continued), session_id=state.lab_session_id,
                                    compare_group=group) for i, s in enumerate(panel_settings)]
    labels = [f"{s.model.provider} · {s.model.name} · {'Converse' if s.api == 'converse' else 'InvokeModel'}"
              + ("" if s.streaming else " · sync") for s in panel_settings]
    result: dict[str, Any] = {"kind": "models", "prompt": prompt, "group": group, "panels": []}
    st.markdown(f"**Prompt:** {prompt}")
    entries = _run(requests, labels, st.columns(len(requests), border=True), result, history,
                   sync_label="No streaming: waiting for the complete answer")
    for i, entry in enumerate(entries):
        _remember(i, prompt, entry, continued)
    result["panels"] = entries
    state.compare_result = result


def _ab_run(settings: LabSettings, lever: compare.Lever, values: list[str], prompt: str,
            history: History | None) -> None:
    """One model and prompt in a panel per lever value: together, except the warm cache panel, which goes
    once the cold one has written the cache."""
    group = compare.new_group()
    messages = [Message("user", prompt)]
    requests = [compare.request_for(panel, messages, stream=True, session_id=state.lab_session_id,
                                    compare_group=group) for panel in compare.ab_panels(settings, lever, values, group)]
    labels = [f"{PANEL_LETTERS[i]} · {compare.value_label(lever, value)}" for i, value in enumerate(values)]
    result: dict[str, Any] = {"kind": "ab", "prompt": prompt, "group": group, "lever": lever, "values": values,
                              "panels": []}
    st.markdown(f"**Prompt:** {prompt}")
    columns = st.columns(len(requests), border=True)
    if lever == "cache":
        result["panels"] = _run_in_turn(requests, labels, columns, result, history)
    else:
        result["panels"] = _run(requests, labels, columns, result, history)
    state.compare_result = result


def _run_in_turn(requests: list[RunRequest], labels: list[str], columns: Sequence[Any], result: dict[str, Any],
                 history: History | None) -> list[dict[str, Any]]:
    """The lanes one after the other, each panel drawn as it goes; Stop keeps the panels that ran."""
    waiting = []
    for column, label in zip(columns, labels, strict=True):
        column.markdown(f"**{label}**")
        waiting.append(column.empty())
    for place in waiting[1:]:
        place.caption(":material/hourglass_top: Waits for the panel before it to write the cache.")
    _stop_button()
    pending = _pend([], [], result)  # one claim for the whole sequence: Stop settles the lanes started so far
    for request, column, label, place in zip(requests, columns, labels, waiting, strict=True):
        if "claim" not in pending:  # Stop came between two lanes
            st.stop()
        lane = compare.start_lanes([request], on_finish=history.record_run if history else None)[0]
        pending["lanes"].append(lane)
        pending["labels"].append(label)
        place.empty()
        _follow([_Panel(lane, column, None if request.stream else "Waiting for the complete answer")])
    _claim(pending)
    return [_entry(lane, label) for lane, label in zip(pending["lanes"], pending["labels"], strict=True)]


def _sweep(settings: LabSettings, repeats: int, prompt: str, history: History | None) -> None:
    """Every effort of the model, `repeats` rounds: each round sends every effort at the same moment, so the
    efforts share the conditions of their round."""
    group = compare.new_group()
    efforts = list(settings.model.model.efforts)
    panels = compare.ab_panels(settings, "effort", efforts, group)
    messages = [Message("user", prompt)]
    requests = [compare.request_for(panel, messages, stream=True, session_id=state.lab_session_id,
                                    compare_group=group) for panel in panels]
    result: dict[str, Any] = {"kind": "sweep", "prompt": prompt, "group": group, "model": settings.model.name,
                              "max_tokens": panels[0].max_tokens, "repeats": [], "repeats_done": 0,
                              "repeats_asked": repeats}
    st.markdown(f"**Prompt:** {prompt}")
    bar = st.progress(0.0, text=f"Round 1 of {repeats}: {', '.join(efforts)}")
    _stop_button()
    for index in range(repeats):
        lanes = compare.start_lanes(requests, on_finish=history.record_run if history else None)
        pending = _pend(lanes, [], result, repeat=True)
        while not all(lane.done for lane in lanes):
            running = [effort for effort, lane in zip(efforts, lanes, strict=True) if not lane.done]
            elapsed_s = max(lane.live().elapsed_ms for lane in lanes) / 1000
            bar.progress(index / repeats, text=f"Round {index + 1} of {repeats}: waiting for effort "
                         f"{', '.join(running)} · {elapsed_s:.1f} s")
            time.sleep(LIVE_INTERVAL_S)
        _claim(pending)
        result["repeats"].extend(dataclasses.asdict(lane.record) for lane in lanes if lane.record)
        result["repeats_done"] = index + 1
        state.compare_result = result  # what finished is kept if Stop comes now
        bar.progress((index + 1) / repeats, text=f"Round {index + 1} of {repeats} done")


def _lever_choices(settings: LabSettings) -> tuple[compare.Lever, list[str]] | None:
    """The A/B form: the lever (only those the model takes) and its values, in panel order; None if none."""
    model = settings.model
    levers = compare.levers_for(model.model, settings.api)
    st.caption(f"The sidebar's model, **{model.name}**, asked the same thing in 2-4 streaming panels that differ "
               "only by one lever; everything else is the sidebar's. Panel A is the one the others are compared with.")
    if not levers:
        st.warning(f"{model.name} takes none of the levers here (reasoning effort, service tier, latency-optimized "
                   f"inference, prompt caching through {'Converse' if settings.api == 'converse' else 'InvokeModel'})"
                   ": pick another model or API in the sidebar.", icon=":material/block:")
        return None
    names = list(levers)
    lever = st.segmented_control("Lever", names, format_func=lambda n: compare.LEVER_NAMES[n], default=names[0],
                                 key=f"compare_ab_lever_{'-'.join(names)}") or names[0]
    values = levers[lever]
    chosen = list(values)
    if len(values) > 2:
        picked = st.multiselect("Panels", values, default=compare.default_values(values),
                                max_selections=compare.MAX_PANELS, key=f"compare_ab_values_{lever}_{'-'.join(values)}",
                                format_func=lambda v: compare.value_label(lever, v))
        chosen = [value for value in values if value in picked]  # in the lever's order: A is the lowest
    if lever == "effort":
        limit = compare.effort_max_tokens(model.model, settings.max_tokens, chosen)
        if limit != settings.max_tokens:
            st.caption(f"Max tokens is {limit:,} in every panel: the sidebar's {settings.max_tokens:,} plus room for "
                       "the highest effort's thinking, which counts towards it.")
    elif lever == "cache":
        st.caption(f"Both panels send the same long prefix (about {compare.CACHE_PREFIX_TOKENS:,} tokens) with cache "
                   "points: the cold panel goes first and writes the cache, the warm one goes once it has finished "
                   "and reads it. Each comparison has a prefix of its own, so its cold panel is really cold.")
    elif lever == "tier":
        st.caption("Bedrock may serve another tier than asked (a full priority or flex capacity falls back): each "
                   "panel says what was served, and the cost follows it.")
    else:
        st.caption("When the optimized quota is used up, Bedrock quietly serves standard: each panel says what "
                   "was served.")
    if len(chosen) < compare.MIN_PANELS:
        st.info("Pick at least two values to compare.", icon=":material/info:")
        return None
    return lever, chosen


def _default_models(models: Sequence[ModelInfo], count: int) -> list[str]:
    """The model table's Compare defaults that the backend offers, then the rest of its list."""
    ids = [m.model_id for m in models]
    chosen = [i for i in default_model_ids("compare") if i in ids]
    chosen += [i for i in ids if i not in chosen]
    return chosen[:count]


def _panel_choices(settings: LabSettings, models: Sequence[ModelInfo]) -> list[LabSettings]:
    """The models side-by-side form: how many panels, and each one's model, API, streaming and parameters."""
    by_id = {m.model_id: m for m in models}
    count = st.segmented_control("Panels", list(range(compare.MIN_PANELS, compare.MAX_PANELS + 1)),
                                 default=compare.MAX_PANELS, key="compare_panels") or compare.MAX_PANELS
    same = st.toggle("Same settings for all", value=True, key="compare_same",
                     help="On: every panel uses the sidebar's API, streaming and parameters. Off: each panel has "
                          "its own.")
    defaults = _default_models(models, compare.MAX_PANELS)
    chosen = []
    for i, column in enumerate(st.columns(count)):
        with column:
            model_id = st.selectbox(f"Model {i + 1}", list(by_id), key=f"compare_model_{i}",
                                    index=list(by_id).index(defaults[i % len(defaults)]),
                                    format_func=lambda m: by_id[m].label
                                                          + ("" if by_id[m].streaming else " (no streaming)"))
            model = by_id[model_id]
            if same:
                chosen.append(compare.panel_settings(settings, model=model))
                continue
            offered = api_options(model.model)
            api = st.segmented_control("API", offered, default=settings.api if settings.api in offered else "converse",
                                       key=f"compare_api_{i}", format_func=api_label)
            stream = st.toggle("Streaming", value=True, key=f"compare_stream_{i}", disabled=not model.streaming)
            limit = output_limit(model)
            max_tokens = st.number_input("Max tokens", 1, limit, min(DEFAULT_MAX_TOKENS, limit),
                                         key=f"compare_max_tokens_{i}_{limit}")
            temperature, top_p = sampling_controls(model.model, f"compare_{i}", api or settings.api,
                                                   settings.temperature, settings.top_p)
            effort = effort_control(model.model, f"compare_{i}")
            panel = compare.panel_settings(settings, model=model, api=api or settings.api, stream=bool(stream),
                                           max_tokens=int(max_tokens))
            chosen.append(dataclasses.replace(panel, temperature=temperature, top_p=top_p, effort=effort))
    return chosen


st.title("Compare")
settings: LabSettings | None = state.get("lab_settings")
history, history_problem = page_history()
if history_problem:
    st.warning(f"{history_problem} Compare works without history meanwhile.", icon=":material/database_off:")
_settle_pending()
if settings is None:
    st.info("No model is available: check the backend in the sidebar.", icon=":material/info:")
    st.stop()

mode = st.segmented_control("What to compare", list(MODES), format_func=lambda m: MODES[m], default="pair",
                            key="compare_mode") or "pair"
panels: list[LabSettings] = []
continued = False
ab_choice: tuple[compare.Lever, list[str]] | None = None
sweep_repeats = SWEEP_DEFAULT_REPEATS
if mode == "ab":
    ab_choice = _lever_choices(settings)
    if ab_choice is None:
        st.stop()
elif mode == "sweep":
    efforts = settings.model.model.efforts
    if len(efforts) < 2:
        st.warning(f"{settings.model.name} has no reasoning effort to sweep: pick a model that reasons with an "
                   "effort setting in the sidebar.", icon=":material/block:")
        st.stop()
    sweep_repeats = int(st.number_input("Runs per effort", 1, SWEEP_MAX_REPEATS, SWEEP_DEFAULT_REPEATS,
                                        key="compare_sweep_repeats",
                                        help="Each round sends every effort at the same moment; two runs or more "
                                             "per effort give a median."))
    limit = compare.effort_max_tokens(settings.model.model, settings.max_tokens, efforts)
    st.caption(f"The sidebar's model, **{settings.model.name}**, streamed at each of its efforts "
               f"({', '.join(efforts)}), {sweep_repeats} time{'s' if sweep_repeats != 1 else ''} each, with max tokens "
               f"{limit:,} in every run (the sidebar's {settings.max_tokens:,} plus room to think).")
elif mode == "pair":
    st.caption(f"The sidebar's model, **{settings.model.name}**, asked the same thing twice at the same moment: "
               "once streaming, once waiting for the complete answer.")
    repeats = int(st.number_input("Repeat", 1, MAX_REPEATS, 1, key="compare_repeats",
                                  help="More than once: the first pair runs side by side, then one request at a "
                                       "time, alternating which mode goes first, for percentiles."))
    if not settings.model.streaming:
        st.warning(f"{settings.model.name} cannot stream, so there is nothing to compare: pick another model in "
                   "the sidebar.", icon=":material/block:")
        st.stop()
else:
    panels = _panel_choices(settings, state.get("lab_models") or [settings.model])
    top = st.container(horizontal=True)
    continued = top.toggle("Continue the conversation", key="compare_continue",
                           help="Each panel keeps its own earlier turns and answers the next prompt after them.")
    if top.button("New conversation", key="compare_new", icon=":material/restart_alt:",
                  disabled=not state.compare_conversations):
        state.compare_conversations = {}
        state.compare_result = None
    if continued and state.compare_conversations:
        turns = len(next(iter(state.compare_conversations.values()))) // 2
        st.caption(f"Continuing: each panel has {turns} earlier turn{'s' if turns != 1 else ''}.")

prompt = st.chat_input("Prompt for every panel", key="compare_input", submit_mode="disable")
if prompt is not None and not str(prompt).strip():
    st.toast("The prompt is empty: type something to compare.")
elif prompt is not None:
    state.compare_result = None
    if mode == "pair":
        _pair(settings, str(prompt), repeats, history)
    elif mode == "ab" and ab_choice is not None:
        _ab_run(settings, *ab_choice, str(prompt), history)
    elif mode == "sweep":
        _sweep(settings, sweep_repeats, str(prompt), history)
    else:
        _models_run(panels, str(prompt), continued, history)
    st.rerun()

if state.compare_result is not None and state.compare_result["kind"] == mode:
    st.markdown(f"**Prompt:** {state.compare_result['prompt']}")
    _draw_result(state.compare_result)
elif state.compare_result is None:
    st.caption("Type a prompt below. " + {
        "pair": "Both requests start together; the chart afterwards shows what the user saw in each mode.",
        "models": "Every panel streams at the same time; badges and a chart follow.",
        "ab": "The panels stream at the same time (a warm cache after the cold one); a headline says what the "
              "lever changed.",
        "sweep": "A chart of time to first answer token, reasoning time and cost against effort follows."}[mode])
