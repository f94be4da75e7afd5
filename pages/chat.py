"""Chat: talk to the selected model; answers stream in, with live numbers and the run's metrics."""

from __future__ import annotations

import dataclasses
import itertools
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import streamlit as st

from core import catalog, errors
from core.catalog import PRICE_TABLE_DATE
from core.conversation import coalesce, split_blocks, to_json, to_markdown, to_messages, trim
from core.history import History, HistoryUnavailable
from core.metrics import caption
from core.settings import LabSettings
from core.streaming import RESTART_NOTICE, Recovery, Run, RunRequest, slower_than_usual, start
from core.types import ReasoningDelta, RunRecord, TextDelta
from pages.common import (
    REDACTED,
    SILENT_LABEL,
    api_request,
    page_history,
    reasoning_label,
    reasoning_notes,
    reasoning_state,
    reasoning_text,
    show_reasoning,
    thought_for,
)

MAX_MESSAGES = 60
LIVE_INTERVAL_S = 0.25  # the live counter changes four times a second at most
PAST_REFRESH_S = 15.0  # conversations another tab starts appear in the selector within this
# The benchmark's baseline: plain st.write_stream fed one delta per chunk, no coalescing, no live counter.
PLAIN_STREAM = os.environ.get("BEDROCK_LAB_PLAIN_STREAM") == "1"
state = st.session_state
state.setdefault("chat_messages", [])
state.setdefault("chat_conversation_id", None)
state.setdefault("chat_action", None)


def _entry(run: Run, record: RunRecord | None) -> dict[str, Any]:
    """A finished (or stopped) run as a chat entry, with what the page needs to redraw it after a reload.
    `record` is None only for a sync request stopped while it waited: nothing had arrived to show."""
    if record is None:
        return {"role": "assistant", "text": run.text_so_far, "status": "cancelled", "run_id": run.run_id,
                "record": None, "error": None}
    entry: dict[str, Any] = {"role": "assistant", "text": record.text, "status": record.status,
                             "run_id": record.run_id, "record": dataclasses.asdict(record), "error": None}
    if record.status == "error":
        failure = run.failure or errors.LabError(record.error_message or "")
        entry["error"] = {"title": failure.title, "action": failure.action, "code": record.error_code,
                          "message": record.error_message}
    return entry


def _keep(run: Run, record: RunRecord | None, history: History | None) -> dict[str, Any]:
    """Put a finished (or stopped) answer into the conversation and the history."""
    entry = _entry(run, record)
    state.chat_messages.append(entry)
    state.chat_past_cache = None  # its message count changes
    if history is not None and state.chat_conversation_id:
        try:
            history.add_message(state.chat_conversation_id, "assistant", entry["text"], entry["run_id"],
                                entry["status"])
        except KeyError:
            pass  # the conversation is not in this file (it was replaced meanwhile); the next question starts anew
        except HistoryUnavailable as problem:
            st.toast(problem.message)
    return entry


def _claim(pending: dict[str, Any]) -> Run | None:
    """The answer in `pending`, for the one script run that keeps it. The run streaming it keeps it when it
    ends; when Stop (or any other click) interrupted that run, the next run keeps it, while the interrupted
    one may still be inside the stream on its own thread (Streamlit starts the next run at once). A pop
    from a plain dict is atomic: two runs never keep one answer twice."""
    run: Run | None = pending.pop("run", None)
    if state.get("chat_pending") is pending:
        state.chat_pending = None
    return run


def _settle_pending(history: History | None) -> None:
    """An answer an interrupted run left streaming: stop it and keep its partial text, marked as stopped."""
    pending = state.get("chat_pending")
    run = _claim(pending) if pending is not None else None
    if run is not None:
        _keep(run, run.stop(), history)


def _save_question(history: History, text: str, settings: LabSettings) -> None:
    """Add the user's message to the conversation in the history, starting the conversation if needed."""
    state.chat_past_cache = None  # the selector shows it (or its new message count) on the next run
    try:
        if state.chat_conversation_id is not None:
            try:
                history.add_message(state.chat_conversation_id, "user", text)
                return
            except KeyError:  # the history file was replaced since (as its banner advises): start anew in it
                pass
        state.chat_conversation_id = history.create_conversation(text[:60], settings.model_id, settings.system,
                                                                 owner=settings.user_name)
        history.add_message(state.chat_conversation_id, "user", text)
    except HistoryUnavailable as problem:
        st.toast(problem.message)


def _every(interval_s: float, action: Callable[[], None]) -> Callable[[], None]:
    """`action`, run at most once per `interval_s` however often it is called."""
    last = [-interval_s]

    def maybe() -> None:
        now = time.perf_counter()
        if now - last[0] >= interval_s:
            last[0] = now
            action()

    return maybe


def _show_live(slot: Any, run: Run, settings: LabSettings) -> None:
    live = run.live()
    rate = f"{live.tokens_per_s:,.0f} tok/s" if live.tokens_per_s else "…"
    text = f"{live.output_tokens:,} tokens (est.) · {rate} · {live.elapsed_ms / 1000:.1f} s"
    typical = settings.model.model.typical_tokens_per_s
    if slower_than_usual(live, typical):
        text += f" · slower than this model's usual ~{typical:.0f} tok/s"
    slot.progress(min(1.0, live.output_tokens / settings.max_tokens), text=text)


class _Streamed:
    """A run's events as the page draws them: its reasoning until the answer starts, then the answer text.

    Both read the run's one event iterator, in arrival order; reasoning that comes after the answer has begun
    is in the record, and drawn with it when the answer ends. The two times are the live timer's, read as the
    events are: the block's final label comes from the record."""

    def __init__(self, run: Run) -> None:
        self._events = run.events()
        self._held: list[str] = []
        self.status: Any = None  # the live reasoning block (st.status), once there is one
        self.inside: Any = None  # the slot in it that the reasoning streams into
        self.reasoning_since: float | None = None  # perf_counter when the first reasoning text was read
        self.answer_since: float | None = None  # ... and the first answer text

    def reasoning(self) -> Iterator[str]:
        """Reasoning text until the first answer text (Nova 2's "[REDACTED]" is no text to show)."""
        for event in self._events:
            if isinstance(event, TextDelta):
                self._held.append(event.text)
                self.answer_since = time.perf_counter()
                return
            if isinstance(event, ReasoningDelta) and event.text.strip() != REDACTED:
                if self.reasoning_since is None:
                    self.reasoning_since = time.perf_counter()
                yield event.text
            elif isinstance(event, Recovery) and event.mode == "restart":
                yield RESTART_NOTICE

    def answer(self) -> Iterator[str]:
        """The answer text, from its first delta on; a restart after an interruption shows a visible notice."""
        yield from self._held
        self._held.clear()
        for event in self._events:
            if isinstance(event, TextDelta):
                yield event.text
            elif isinstance(event, Recovery) and event.mode == "restart":
                yield RESTART_NOTICE


def _stream(streamed: _Streamed, run: Run, settings: LabSettings, thinking: Any, body: Any, counter: Any,
            reasons: bool) -> None:
    """The reasoning in its own block as it arrives ("Thinking…", with its timer), collapsed when the answer
    starts; then the answer, one st.write_stream per markdown block. A model expected to reason gets the block at
    once, so a silent one shows it is thinking; any other gets it when reasoning text arrives."""

    def open_block() -> Any:
        streamed.status = thinking.status("Thinking…")  # collapsed: opened by its first text
        streamed.inside = streamed.status.empty()
        return streamed.status

    status = open_block() if reasons else None
    reasoning = streamed.reasoning()
    first = next(reasoning, None)  # waits for the first event: reasoning text, or the answer's first text
    if first is not None:
        status = status or open_block()

        def tick() -> None:  # an update without `expanded` would collapse the block
            if streamed.reasoning_since is not None:
                status.update(label=f"Thinking… {time.perf_counter() - streamed.reasoning_since:.1f} s",
                              expanded=True)

        on_update = _every(LIVE_INTERVAL_S, tick)
        # Written into without `with status:`, whose exit sleeps 50 ms before the answer's first words.
        blocks = streamed.inside.container()
        for block in split_blocks(itertools.chain([first], reasoning)):
            blocks.write_stream(coalesce(block, on_update=on_update), cursor="▌")
    if status is not None and streamed.answer_since is not None:
        if streamed.reasoning_since is not None:
            label = thought_for(streamed.answer_since - streamed.reasoning_since)
        else:  # it thought in silence: the wait for the first answer token was its thinking
            ttft_ms = run.live().ttft_ms
            label = SILENT_LABEL + (f" · first answer token after {ttft_ms / 1000:.1f} s" if ttft_ms else "")
        status.update(label=label, state="complete", expanded=False)
    show_live = _every(LIVE_INTERVAL_S, lambda: _show_live(counter, run, settings))
    with body.container():
        for block in split_blocks(streamed.answer()):
            st.write_stream(coalesce(block, on_update=show_live), cursor="▌")


def _settle_reasoning(thinking: Any, streamed: _Streamed, record: RunRecord | None) -> None:
    """The reasoning block once the run has ended, as the record has it (and as a reload draws it): the live block
    relabelled, its streamed text replaced by the record's as one markdown (what an error cut short in the
    coalescing, and what came after the answer began, is there), with its notes; or drawn where none was live; or
    taken away. The live block itself is kept, not replaced: a block put at its place inherits its contents."""
    label = reasoning_label(record) if record is not None else None
    if record is None or label is None:
        thinking.empty()
        return
    status = streamed.status
    if status is None:
        with thinking.container():
            show_reasoning(record)
        return
    status.update(label=label, state=reasoning_state(record), expanded=False)
    text = reasoning_text(record)
    if text.strip():
        streamed.inside.markdown(text)  # markdown only: HTML in model output is shown as text, never run
    else:
        streamed.inside.empty()
    for note in reasoning_notes(record):
        status.caption(note)


def _answer(settings: LabSettings, history: History | None) -> None:
    turns, dropped = trim(to_messages(state.chat_messages), system=settings.system, model_id=settings.model_id,
                          max_tokens=settings.max_tokens, max_messages=MAX_MESSAGES)
    chat = settings.chat_request(turns)
    request = RunRequest(settings.model_id, chat, api=settings.api, stream=settings.streaming,
                         backend=settings.backend, region=settings.region, profile=settings.profile,
                         max_attempts=settings.max_attempts, read_timeout_s=settings.read_timeout_s,
                         idle_timeout_s=settings.idle_timeout_s,
                         session_id=state.lab_session_id, conversation_id=state.chat_conversation_id,
                         user_name=settings.user_name)
    run = start(request, on_finish=history.record_run if history else None)
    model = settings.model.model
    reasons = model.thinking != "none" and catalog.fit_request(model, chat)[0].reasoning is not None  # as sent
    pending = {"run": run}
    state.chat_pending = pending  # where the next run finds it if this one is interrupted
    index = len(state.chat_messages)
    with st.chat_message("assistant"):
        if dropped:
            st.caption(f"The {dropped} oldest messages were left out to fit the model's context window; "
                       "the system prompt is kept.")
        thinking = st.empty()  # the reasoning block, above the answer
        body = st.empty()
        # Under the text, so they stay in view as a long answer grows down towards the chat input.
        live_slot = st.empty()
        live = live_slot.container(horizontal=True, vertical_alignment="center")
        slot = live.empty()  # the live counter
        # A click reruns the app at once; that run stops this answer and keeps what has arrived.
        live.button("Stop", key="chat_stop", icon=":material/stop_circle:")
        streamed = _Streamed(run)  # read only where the answer streams in blocks
        try:
            if settings.streaming and PLAIN_STREAM:
                with body.container():
                    st.write_stream(run.text(), cursor="▌")
            elif settings.streaming:
                # One st.write_stream per markdown block: a finished paragraph is sent once, and each update
                # re-sends only the paragraph being written.
                _stream(streamed, run, settings, thinking, body, slot, reasons)
            else:
                with body.container(), st.spinner("Waiting for the complete answer…"):
                    run.result()
        except errors.LabError:
            pass  # the record has it; the error is drawn below
        if _claim(pending) is None:
            st.stop()  # Stop's run has taken this answer over and draws it
        entry = _keep(run, run.record, history)
        # Finished in place, without another run of the whole page: the counter and Stop go, the reasoning
        # and the text are drawn as a reload draws them, then its metrics, notes and any error.
        live_slot.empty()
        _settle_reasoning(thinking, streamed, run.record if entry["record"] else None)
        if entry["text"]:
            body.markdown(entry["text"])
        else:
            body.empty()
        _details(entry, index, last=True)


def _render(entry: dict[str, Any], index: int, last: bool) -> None:
    with st.chat_message(entry["role"]):
        if entry.get("record"):
            show_reasoning(RunRecord(**entry["record"]))  # collapsed, with how long it thought
        if entry["text"]:
            st.markdown(entry["text"])  # markdown only: HTML in model output is shown as text, never run
        if entry["role"] == "assistant":
            _details(entry, index, last)


def _details(entry: dict[str, Any], index: int, last: bool) -> None:
    """What an answer shows under its text: stopped, its error (with Retry on the last), metrics, request."""
    if entry["status"] == "cancelled":
        thought = bool(entry.get("record") and reasoning_text(RunRecord(**entry["record"])).strip())
        st.caption(":material/stop_circle: Stopped: the partial answer is kept." if entry["text"] else
                   ":material/stop_circle: Stopped while the model was thinking: its reasoning so far is kept."
                   if thought else ":material/stop_circle: Stopped before any text arrived.")
    if entry["error"]:
        problem = entry["error"]
        st.error(f"**{problem['title']}.** {problem['action']}", icon=":material/error:")
        with st.expander("Technical details"):
            st.code(f"{problem['code']}\n{problem['message']}", language=None)
        if last:
            st.button("Retry", key=f"chat_retry_{index}", icon=":material/refresh:", on_click=_redo)
    record = entry.get("record")
    if record:
        st.caption(caption(RunRecord(**record), PRICE_TABLE_DATE))
        for note in record.get("notes", []):
            st.caption(f":material/info: {note}")
        api_request(RunRecord(**record))


def _redo() -> None:
    """Regenerate or retry: drop the last answer and answer the same conversation again."""
    if state.chat_messages and state.chat_messages[-1]["role"] == "assistant":
        state.chat_messages.pop()
    state.chat_action = "answer"


def _clear() -> None:
    state.chat_messages = []
    state.chat_conversation_id = None


def _open(history: History) -> None:
    chosen = state.get("chat_past")
    if not chosen:
        return
    try:
        stored = [(message, history.get_run(message["run_id"]) if message.get("run_id") else None)
                  for message in history.messages(chosen)]
    except HistoryUnavailable:
        return  # the page explains it in its banner; the conversation on screen stays
    entries = []
    for message, record in stored:
        status = message.get("status", "ok")
        error = None
        if status == "error" and record is not None:
            error = {"title": "The answer failed", "action": "Use Regenerate to try again.",
                     "code": record.error_code, "message": record.error_message}
        entries.append({"role": message["role"], "text": message["text"], "status": status,
                        "run_id": message.get("run_id"), "error": error,
                        "record": dataclasses.asdict(record) if record else None})
    state.chat_messages = entries
    state.chat_conversation_id = chosen


def _toolbar(top: Any, settings: LabSettings) -> None:
    messages = state.chat_messages
    has_answer = bool(messages) and messages[-1]["role"] == "assistant"
    top.button("Regenerate", key="chat_regenerate", icon=":material/autorenew:", on_click=_redo,
               disabled=not has_answer)
    top.button("Clear", key="chat_clear", icon=":material/delete:", on_click=_clear, disabled=not messages)
    title = messages[0]["text"][:60] if messages else "Conversation"
    # The exports are made when their button is clicked, not on every run (a long conversation is large).
    snapshot = (title, settings.model_id, settings.system, list(messages))
    top.download_button("Markdown", lambda: to_markdown(*snapshot), file_name="conversation.md",
                        mime="text/markdown", disabled=not messages, icon=":material/download:")
    top.download_button("JSON", lambda: to_json(*snapshot), file_name="conversation.json",
                        mime="application/json", disabled=not messages, icon=":material/data_object:")


def _past_conversations(history: History, viewer: str | None) -> dict[str, dict[str, Any]]:
    """Past conversations the viewer may open (their own, the shared ones): id -> label, owner and shared. Read
    again after this session wrote to the history (or while its banner shows), otherwise at most every
    PAST_REFRESH_S: not on every run of every session."""
    cached = state.get("chat_past_cache")
    where = (history.location, viewer)
    if cached is None or cached[0] != where or time.monotonic() - cached[1] > PAST_REFRESH_S:
        state.chat_past_cache = None  # until read: a failure here leaves nothing cached
        past = {}
        for row in history.conversations(viewer=viewer).itertuples():
            owner = row.owner if isinstance(row.owner, str) else None
            whose = f" · shared by {owner}" if owner and owner != viewer else " · shared" if row.shared else ""
            past[row.conversation_id] = {"label": f"{row.title} · {row.message_count} messages{whose}",
                                         "owner": owner, "shared": bool(row.shared)}
        state.chat_past_cache = (where, time.monotonic(), past)
    return dict(state.chat_past_cache[2])


def _share(history: History) -> None:
    """The Share toggle: the current conversation becomes visible to everyone on this history, or private again."""
    try:
        history.share_conversation(state.chat_conversation_id, shared=bool(state.chat_shared))
    except (HistoryUnavailable, KeyError) as problem:
        st.toast(f"The conversation's sharing was not changed: {problem}")
    state.chat_past_cache = None


st.title("Chat")
settings: LabSettings | None = state.get("lab_settings")
history, history_problem = page_history()
_settle_pending(history)
past = None
if history is not None:
    try:
        past = _past_conversations(history, settings.user_name if settings else None)
    except HistoryUnavailable as problem:  # the file went bad after it was opened: go on without it
        history, history_problem = None, problem.message
if history_problem:
    st.warning(f"{history_problem} Chat works without history meanwhile.", icon=":material/database_off:")
if settings is None:
    st.info("No model is available: check the backend in the sidebar.", icon=":material/info:")
    st.stop()

if history is not None and past is not None:
    st.selectbox("Past conversations", list(past), index=None, key="chat_past",
                 format_func=lambda cid: past[cid]["label"] if cid in past else cid,
                 placeholder="Reopen a past conversation", on_change=_open, args=(history,))
top = st.container(horizontal=True)  # filled at the end, once this run's answer is in the conversation
messages = state.chat_messages

for i, entry in enumerate(messages):
    _render(entry, i, last=i == len(messages) - 1)

prompt = st.chat_input(f"Message {settings.model.name}", key="chat_input", submit_mode="disable")
if prompt is not None and str(prompt).strip():
    text = str(prompt)
    messages.append({"role": "user", "text": text, "status": "ok", "run_id": None, "record": None, "error": None})
    if history is not None:
        _save_question(history, text, settings)
    with st.chat_message("user"):
        st.markdown(text)
    _answer(settings, history)
elif prompt is not None:
    st.toast("The message is empty: type something to send.")
elif state.chat_action == "answer":
    state.chat_action = None
    _answer(settings, history)

_toolbar(top, settings)
current = (past or {}).get(state.chat_conversation_id) if history is not None else None
if history is not None and current is not None and current["owner"] in (None, settings.user_name):
    state.chat_shared = current["shared"]
    top.toggle("Shared", key="chat_shared", on_change=_share, args=(history,),
               help="Shared conversations are listed for everyone who uses this history (a team's shared "
                    "database); the others stay private to your name.")
