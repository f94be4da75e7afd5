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
from core import format as fmt
from core.answers import Answer, Flight, Flights, Lane
from core.catalog import PRICE_TABLE_DATE, ModelInfo, default_model_ids
from core.compare import Comparison
from core.history import History, HistoryUnavailable, records_frame
from core.prompts import SUGGESTED
from core.settings import DEFAULT_MAX_TOKENS, LabSettings, output_limit
from core.streaming import LiveProgress, RunRequest
from core.types import Message, RunRecord
from pages.common import (
    AnswerSlots,
    api_label,
    api_options,
    effort_control,
    page_history,
    sampling_controls,
    show_answer,
)

MODES = {"pair": "Sync vs stream", "models": "Models side by side", "ab": "A/B", "sweep": "Effort sweep"}
POLL_S = 0.05  # how often the script thread looks at the lanes
LIVE_INTERVAL_S = 0.25  # live numbers change four times a second at most
UPDATE_INTERVAL_S = 0.1  # a panel's text is redrawn ten times a second at most ...
MARKDOWN_BYTES_PER_S = 40_000  # ... and less often as it grows, so the re-sent markdown stays bounded
MAX_REPEATS = 50
SWEEP_MAX_REPEATS, SWEEP_DEFAULT_REPEATS = 10, 3  # a small n: each round sends every effort once
PANEL_LETTERS = "ABCD"
SYNC_WAIT = "Waiting for the complete answer"
state = st.session_state
state.setdefault("compare", None)  # the last comparison (core.compare.Comparison), drawn again on every rerun
state.setdefault("compare_conversations", {})  # panel -> [Message] when the conversation is continued
state.setdefault("lab_flights", Flights())


# -- drawing a run while it goes ---------------------------------------------------------------------


class _Panel:
    """One column's view of a lane while it runs (its text, paced, and its numbers), in the places its answer is
    drawn once it has ended."""

    def __init__(self, label: str, where: Any) -> None:
        self.label = label
        with where:
            self.slots = AnswerSlots()
        self.slots.head.markdown(f"**{label}**")
        self.lane: Lane | None = None
        self.shown_chars, self.text_at, self.numbers_at = 0, 0.0, 0.0

    def waiting(self, note: str) -> None:
        self.slots.live.caption(f":material/hourglass_top: {note}")

    def update(self, lane: Lane, now: float) -> None:
        self.lane, live = lane, lane.live()
        if now - self.numbers_at >= LIVE_INTERVAL_S:
            self.numbers_at = now
            if not lane.run.request.stream:
                self.slots.live.caption(f":material/hourglass_top: {SYNC_WAIT} · {live.elapsed_ms / 1000:.1f} s")
            else:
                rate = f" · {fmt.rate(live.tokens_per_s)}" if live.tokens_per_s else ""
                tokens = f"{fmt.count(live.output_tokens)} token{'' if live.output_tokens == 1 else 's'}"
                self.slots.live.caption(f"{_live_wait(live)} · {tokens} (est.){rate} · "
                                        f"{fmt.seconds(live.elapsed_ms / 1000)}")
        if not lane.run.request.stream:
            return
        text = lane.text
        if len(text) != self.shown_chars and now - self.text_at >= max(UPDATE_INTERVAL_S,
                                                                        len(text) / MARKDOWN_BYTES_PER_S):
            self.slots.body.markdown(text + "▌")
            self.shown_chars, self.text_at = len(text), now


def _live_wait(live: LiveProgress) -> str:
    """The live caption's first part: the wait for the first token, said as the first answer token once the
    model has shown reasoning, and the reasoning's start while it reasons."""
    if live.first_reasoning_ms is None:
        return "waiting for the first token" if live.ttft_ms is None else f"TTFT {fmt.ms(live.ttft_ms)}"
    reasoning = f"first reasoning {fmt.ms(live.first_reasoning_ms)}"
    if live.ttft_ms is None:
        return f"{reasoning} · reasoning…"
    return f"{reasoning} · first answer token {fmt.ms(live.ttft_ms)}"


def _columns(count: int) -> list[Any]:
    """The panels' bordered columns, in a row that swipes on a phone: Streamlit stacks columns there, and one panel
    with the edge of the next in view keeps them comparable as they stream."""
    st.html("""<style>
    @media (max-width: 640px) {
      .st-key-compare_panel_row [data-testid="stHorizontalBlock"] {
        flex-wrap: nowrap !important; overflow-x: auto; scroll-snap-type: x mandatory;
      }
      .st-key-compare_panel_row [data-testid="stColumn"] { min-width: 82% !important; scroll-snap-align: start; }
    }
    </style>""")  # a literal: no user or model text reaches HTML
    with st.container(key="compare_panel_row"):
        return list(st.columns(count, border=True))


def _stop_button(flight: Flight) -> None:
    """Drawn while a comparison runs: only this stops it (leaving the page does not); every lane keeps what it had."""
    st.button("Stop", key="compare_stop", icon=":material/stop_circle:", on_click=flight.stop)


def _follow(flight: Flight, comparison: Comparison) -> None:
    """Draw the comparison while it runs (from where it stands, when the page comes back to it): the panels live,
    then the repeats' progress; when it ends, land it and draw it whole."""
    st.markdown(f"**Prompt:** {comparison.prompt}")
    panels: list[_Panel] = []
    if comparison.kind != "sweep":
        columns = _columns(len(comparison.labels))
        panels = [_Panel(label, column) for label, column in zip(comparison.labels, columns, strict=True)]
        for panel in panels[1:] if comparison.panel_batches > 1 else []:
            panel.waiting("Waits for the panel before it to write the cache.")
    bar = st.empty()
    _stop_button(flight)  # under the panels, in view as they grow down towards the prompt box
    while True:
        ended = flight.done
        now = time.perf_counter()
        panel_lanes = comparison.panel_lanes(flight)
        for panel, lane in zip(panels, panel_lanes, strict=False):
            panel.update(lane, now)
        later = flight.lanes[len(panel_lanes):]
        if comparison.round_of_batch and (later or not panels):
            _progress(bar, flight, comparison)
        if ended:
            break
        time.sleep(POLL_S)
    flight.land()
    st.rerun()  # drawn whole from the comparison, in place of the live view


def _progress(bar: Any, flight: Flight, comparison: Comparison) -> None:
    """The repeats' (or the sweep's rounds') progress bar: the round running and what it waits for."""
    asked = comparison.repeats_asked or 1
    done = comparison.rounds_done(flight)
    running = [lane for lane in flight.current() if not lane.done]
    if not running:
        bar.progress(min(1.0, done / asked), text=f"Round {done} of {asked} done")
        return
    elapsed_s = max(lane.live().elapsed_ms for lane in running) / 1000
    what = ", ".join(compare_label(lane.run.request, comparison) for lane in running)
    bar.progress(min(1.0, done / asked), text=f"Round {min(done + 1, asked)} of {asked}: {what} · {elapsed_s:.1f} s")


def compare_label(request: RunRequest, comparison: Comparison) -> str:
    """What a running request is, for the progress bar."""
    if comparison.kind == "sweep":
        return f"effort {request.chat.reasoning.effort if request.chat.reasoning else 'default'}"
    return "streaming" if request.stream else "sync"


def _prompt_picker(disabled: bool) -> str | None:
    """The suggested prompts, one click each to compare (the one of the long answer shows streaming best)."""
    st.pills("Or try", [p.title for p in SUGGESTED], key="compare_prompt_use", disabled=disabled,
             on_change=_take_prompt, help="\n\n".join(f"**{p.title}**: {p.prompt} {p.why}" for p in SUGGESTED))
    chosen, state.compare_prompt_taken = state.get("compare_prompt_taken"), None
    return chosen


def _take_prompt() -> None:
    """A pick is sent once: the pills are cleared for the next one."""
    title = state.get("compare_prompt_use")
    state.compare_prompt_taken = next((p.prompt for p in SUGGESTED if p.title == title), None)
    state.compare_prompt_use = None


def _pick(comparison: Comparison, run_id: str) -> None:
    """The winner button's callback: the comparison remembers it, and so does the history, with the runs."""
    comparison.winner = run_id
    history, _problem = page_history()
    settings: LabSettings | None = state.get("lab_settings")
    if history is None:
        return
    try:
        history.pick_winner(comparison.group, run_id, settings.user_name if settings else None)
    except (HistoryUnavailable, KeyError) as problem:
        st.toast(f"The pick was not recorded in the history: {problem}")


def _winner_button(comparison: Comparison, answer: Answer, slots: AnswerSlots) -> None:
    if answer.record is None or answer.status != "ok":
        return
    won = comparison.winner == answer.run_id
    with slots.live.container():
        st.button("Winner" if won else "Pick as winner", key=f"compare_pick_{answer.run_id}",
                  icon=":material/trophy:", type="primary" if won else "secondary", disabled=won,
                  on_click=_pick, args=(comparison, answer.run_id),
                  help="Which answer would you ship? Recorded with the runs in the history.")


def _launch(comparison: Comparison, batches: list[list[RunRequest]], history: History | None) -> None:
    """Start the comparison's requests on a worker thread and follow them on this page."""
    state.compare = comparison
    flight = Flight(batches, on_land=comparison.land, on_finish=history.record_run if history else None)
    flights: Flights = state.lab_flights
    flights.launch("compare", flight)


# -- what a finished comparison shows ----------------------------------------------------------------


def _cards(record: RunRecord) -> None:
    """The panel's headline figures; they wrap onto a second line rather than being cut when the panel is narrow
    (3 or 4 panels, a phone)."""
    wait = compare.perceived_wait_ms(record)
    reasoning = record.first_reasoning_ms if record.mode == "stream" else None
    answered = reasoning is not None or record.reasoning_shown == "omitted"
    first = "first_answer_token" if answered else "ttft"
    shown = [(fmt.metric(first).short if record.mode == "stream" else "Whole answer", fmt.ms(wait),
              fmt.help_text(first) if record.mode == "stream" else "The wait for the complete answer, in sync mode.")]
    if reasoning is not None:
        shown.append((fmt.metric("first_reasoning").short, fmt.ms(reasoning), fmt.help_text("first_reasoning")))
    shown += [(fmt.metric("e2e").short, fmt.ms(record.e2e_ms), fmt.help_text("e2e")),
              (fmt.metric("decode_rate").short, fmt.rate(record.tokens_per_s), fmt.help_text("decode_rate"))]
    row = st.container(horizontal=True, wrap=True, gap="medium")
    for label, value, explained in shown:
        row.metric(label, value, help=explained, width="content")


def _draw_panel(answer: Answer, label: str, slots: AnswerSlots, badges: list[str],
                cards: Callable[[RunRecord], None] | None = _cards) -> None:
    with slots.head.container():
        st.markdown(f"**{label}**" + "".join(f" :green-badge[{badge}]" for badge in badges))
        if cards is not None and answer.record is not None and answer.status == "ok":
            cards(answer.record)
    show_answer(answer, slots, reasoning=False)


def _panels(comparison: Comparison, badges: dict[str, list[str]],
            cards: Callable[[RunRecord], None] | None = _cards) -> list[AnswerSlots]:
    columns = _columns(len(comparison.labels))
    drawn = []
    for index, (column, label) in enumerate(zip(columns, comparison.labels, strict=True)):
        with column:
            slots = AnswerSlots()
        drawn.append(slots)
        if index < len(comparison.panels):
            answer = comparison.panels[index]
            _draw_panel(answer, label, slots, badges.get(answer.run_id, []), cards)
            if len(comparison.panels) > 1:
                _winner_button(comparison, answer, slots)
        else:  # Stop came before this panel's turn (A/B on the prompt cache)
            slots.head.markdown(f"**{label}**")
            slots.tail.caption(":material/stop_circle: Stopped before this panel started.")
    return drawn


def _records(comparison: Comparison) -> list[RunRecord]:
    return [answer.record for answer in comparison.panels if answer.record is not None]


def _draw_result(comparison: Comparison) -> None:
    if comparison.stopped:
        st.info("Stopped: the rounds that finished are kept." if comparison.kind == "sweep" else
                "Stopped: every panel keeps what it had received.", icon=":material/stop_circle:")
    if comparison.kind == "ab":
        _draw_ab(comparison)
        return
    if comparison.kind == "sweep":
        _draw_sweep(comparison)
        return
    records = _records(comparison)
    answers = comparison.panels
    if comparison.kind == "pair":
        by_mode = {record.mode: record for record in records}
        if "stream" in by_mode and "sync" in by_mode:
            sentence = compare.headline(by_mode["stream"], by_mode["sync"])
            if sentence:
                st.subheader(sentence)
        series: dict[str, list[tuple[float, float]]] = {}
        marks: dict[str, tuple[float, str]] = {}
        for label, answer in zip(comparison.labels, answers, strict=False):
            if answer.record is None:
                continue
            series[label] = compare.chars_timeline(answer.record, answer.timeline)
            wait = compare.perceived_wait_ms(answer.record)
            if wait is not None and answer.status == "ok":
                marks[label] = (wait / 1000, f"{'first words' if answer.author.mode == 'stream' else 'answer'} "
                                             f"{wait / 1000:.1f} s")
        chart = charts.visible_text(series, marks)
    else:
        series = {f"{i + 1} · {label}": compare.tokens_timeline(answer.record, answer.timeline)
                  for i, (label, answer) in enumerate(zip(comparison.labels, answers, strict=False))
                  if answer.record is not None}
        chart = charts.tokens_over_time(series)
    earned = compare.badges(records) if comparison.kind == "models" else {}
    _panels(comparison, earned)
    if records:
        st.markdown(f"**{chart.title}**")
        st.caption(chart.caption)
        st.plotly_chart(chart.figure, key=f"compare_chart_{chart.key}")
    if comparison.repeats_asked:
        _draw_repeats(comparison)


def _draw_repeats(comparison: Comparison) -> None:
    st.markdown(f"**Over {comparison.repeats_done} of {comparison.repeats_asked} repeats** "
                "(one request at a time, the mode that goes first alternating)")
    table = compare.repeat_table(comparison.repeats)
    shown = table.astype(object)  # as text, so a percentile that n does not allow reads "—", not "None"
    for column in ("p50", "p90"):
        shown[column] = [f"{v:,.0f}" if isinstance(v, int | float) and not math.isnan(v) else "—"
                         for v in table[column]]
    st.dataframe(shown, column_config={"n": st.column_config.NumberColumn("n", help="runs that finished ok")})
    st.caption("A percentile is shown once there are enough runs for it: p90 needs 10.")


def _draw_ab(comparison: Comparison) -> None:
    lever = comparison.lever
    assert lever is not None
    values = comparison.values
    records = [answer.record for answer in comparison.panels]
    baseline = records[0] if records else None
    if baseline is not None:
        for value, record in zip(values[1:], records[1:], strict=False):
            if record is not None:
                st.subheader(compare.ab_headline(lever, values[0], baseline, value, record))
        st.caption(f"Against A, {compare.value_label(lever, values[0]).lower()}: the same model, prompt and settings, "
                   f"only the {compare.LEVER_NAMES[lever].lower()} differs.")
    finished = any(record is not None and record.status == "ok" for record in records)
    if finished:
        st.table(compare.ab_figures(lever, comparison.labels[:len(records)], values[:len(records)], records))
        st.caption("In brackets: the difference from A (times) or the multiple of A's figure (decode rate, cost). "
                   f"Costs are estimates from on-demand list prices of {PRICE_TABLE_DATE}, as served.")
    drawn = _panels(comparison, {}, cards=None)  # their figures are in the table above them, side by side
    for slots, value, answer in zip(drawn, values, comparison.panels, strict=False):
        record = answer.record
        if record is None:
            continue
        with slots.reasoning.container():
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
    for label, answer in zip(comparison.labels, comparison.panels, strict=False):
        if answer.record is None:
            continue
        series[label] = compare.chars_timeline(answer.record, answer.timeline)
        wait = compare.perceived_wait_ms(answer.record)
        if wait is not None and answer.status == "ok":
            marks[label] = (wait / 1000, f"{label.split(' · ')[0]} {wait / 1000:.1f} s")
    if finished:
        chart = charts.visible_text(series, marks)
        st.markdown(f"**{chart.title}**")
        st.caption("Characters of each panel's answer on screen against time since the requests were sent (reasoning "
                   "is not counted); a dotted line marks each panel's first answer text.")
        st.plotly_chart(chart.figure, key=f"compare_chart_ab_{chart.key}")


def _draw_sweep(comparison: Comparison) -> None:
    records = comparison.repeats
    st.markdown(f"**{comparison.model} at each effort, {comparison.repeats_done} of {comparison.repeats_asked} "
                f"round{'s' if comparison.repeats_asked != 1 else ''}** (every effort of a round sent together; "
                f"max tokens {comparison.max_tokens:,} in every run)")
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


def _remember(comparison: Comparison) -> None:
    """Continue each panel's own conversation with its answer (a failed or empty answer is left out)."""
    if not comparison.continued:
        state.compare_conversations = {}
        return
    for panel, answer in enumerate(comparison.panels):
        if answer.text and answer.status != "error":
            state.compare_conversations[panel] = [*_messages(panel, comparison.prompt, True),
                                                  Message("assistant", answer.text)]


def _pair(settings: LabSettings, prompt: str, repeats: int, history: History | None) -> None:
    """Stream and sync side by side; then, repeated, one request at a time, alternating which mode goes first."""
    group = compare.new_group()
    messages = [Message("user", prompt)]
    stream_request = compare.request_for(settings, messages, stream=True, session_id=state.lab_session_id,
                                         compare_group=group)
    sync_request = dataclasses.replace(stream_request, stream=False)
    batches = [[stream_request, sync_request]]
    rounds = [1] if repeats > 1 else []
    for index in range(1, repeats):
        stream_first, _ = compare.repeat_order(index)
        batches += [[stream_request], [sync_request]] if stream_first else [[sync_request], [stream_request]]
        rounds += [index + 1, index + 1]
    labels = [f"Streaming · {settings.model.name}", f"Sync · {settings.model.name}"]
    _launch(Comparison("pair", prompt, group, labels, round_of_batch=rounds,
                       repeats_asked=repeats if repeats > 1 else 0), batches, history)


def _models_run(panel_settings: list[LabSettings], prompt: str, continued: bool, history: History | None) -> None:
    group = compare.new_group()
    requests = [compare.request_for(s, _messages(i, prompt, continued), session_id=state.lab_session_id,
                                    compare_group=group) for i, s in enumerate(panel_settings)]
    labels = [f"{s.model.name} · {api_label(s.api)}" + ("" if s.streaming else " · sync") for s in panel_settings]
    _launch(Comparison("models", prompt, group, labels, continued=continued), [requests], history)


def _ab_run(settings: LabSettings, lever: compare.Lever, values: list[str], prompt: str,
            history: History | None) -> None:
    """One model and prompt in a panel per lever value: together, except the warm cache panel, which goes
    once the cold one has written the cache."""
    group = compare.new_group()
    messages = [Message("user", prompt)]
    requests = [compare.request_for(panel, messages, stream=True, session_id=state.lab_session_id,
                                    compare_group=group) for panel in compare.ab_panels(settings, lever, values, group)]
    labels = [f"{PANEL_LETTERS[i]} · {compare.value_label(lever, value)}" for i, value in enumerate(values)]
    batches = [[request] for request in requests] if lever == "cache" else [requests]
    _launch(Comparison("ab", prompt, group, labels, panel_batches=len(batches), lever=lever, values=list(values)),
            batches, history)


def _sweep(settings: LabSettings, repeats: int, prompt: str, history: History | None) -> None:
    """Every effort of the model, `repeats` rounds: each round sends every effort at the same moment, so the
    efforts share the conditions of their round."""
    group = compare.new_group()
    efforts = list(settings.model.model.efforts)
    panels = compare.ab_panels(settings, "effort", efforts, group)
    messages = [Message("user", prompt)]
    requests = [compare.request_for(panel, messages, stream=True, session_id=state.lab_session_id,
                                    compare_group=group) for panel in panels]
    _launch(Comparison("sweep", prompt, group, [], panel_batches=0, round_of_batch=list(range(1, repeats + 1)),
                       repeats_asked=repeats, model=settings.model.name, max_tokens=panels[0].max_tokens),
            [list(requests) for _ in range(repeats)], history)


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
if settings is None:
    st.info("No model is available: check the backend in the sidebar.", icon=":material/info:")
    st.stop()

landed: Comparison | None = state.compare
if landed is not None and landed.landed and not landed.remembered:  # the panels' conversations go on from it
    landed.remembered = True
    _remember(landed)
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
        state.compare = None
    if continued and state.compare_conversations:
        turns = len(next(iter(state.compare_conversations.values()))) // 2
        st.caption(f"Continuing: each panel has {turns} earlier turn{'s' if turns != 1 else ''}.")

flights: Flights = state.lab_flights
flight = flights.get("compare")
prompt = st.chat_input("Prompt for every panel", key="compare_input", submit_mode="disable",
                       disabled=flight is not None)
picked = _prompt_picker(disabled=flight is not None)
if prompt is None and picked is not None:
    prompt = picked
if prompt is not None and not str(prompt).strip():
    st.toast("The prompt is empty: type something to compare.")
elif prompt is not None and flight is None:
    state.compare = None
    if mode == "pair":
        _pair(settings, str(prompt), repeats, history)
    elif mode == "ab" and ab_choice is not None:
        _ab_run(settings, *ab_choice, str(prompt), history)
    elif mode == "sweep":
        _sweep(settings, sweep_repeats, str(prompt), history)
    else:
        _models_run(panels, str(prompt), continued, history)
    flight = flights.get("compare")

comparison: Comparison | None = state.compare
result = st.empty()  # the live view and the finished comparison take the same place: nothing stale stays below
with result.container():
    if flight is not None and comparison is not None:
        _follow(flight, comparison)
    elif comparison is not None and comparison.landed:
        if comparison.kind != mode:
            st.caption(f"The last comparison was **{MODES[comparison.kind]}**: switch back to see it.")
        else:
            st.markdown(f"**Prompt:** {comparison.prompt}")
            _draw_result(comparison)
    else:
        st.caption("Type a prompt below. " + {
            "pair": "Both requests start together; the chart afterwards shows what the user saw in each mode.",
            "models": "Every panel streams at the same time; badges and a chart follow.",
            "ab": "The panels stream at the same time (a warm cache after the cold one); a headline says what the "
                  "lever changed.",
            "sweep": "A chart of time to first answer token, reasoning time and cost against effort follows."}[mode])
