"""Chat: talk to the selected model; answers stream in, with live numbers and the run's metrics.

An answer is read on a worker thread (a `core.answers.Flight` in the session's flights), so it goes on streaming
while the user looks at another page; this page follows it while it is open, and whichever script run sees it end
first (this page, or the app's frame on any page) puts it into the conversation. Only Stop stops it."""

from __future__ import annotations

import contextlib
import itertools
import os
import time
from collections.abc import Callable
from typing import Any

import streamlit as st

from core import catalog
from core import format as fmt
from core.answers import Answer, Author, Flight, Flights, Lane, Question, follow_reasoning, follow_text
from core.catalog import PRICE_TABLE_DATE
from core.conversation import Chat, coalesce, split_blocks, to_json, to_markdown, to_messages, trim
from core.history import History, HistoryUnavailable
from core.settings import LabSettings
from core.streaming import RunRequest, continue_request, slower_than_usual, stopped_at_max_tokens
from core.types import RunRecord
from pages.common import (
    SILENT_LABEL,
    AnswerSlots,
    page_history,
    reasoning_label,
    reasoning_notes,
    reasoning_state,
    reasoning_text,
    show_answer,
    show_reasoning,
    thought_for,
)
from pages.intro import first_screen

MAX_MESSAGES = 60
LIVE_INTERVAL_S = 0.25  # the live counter changes four times a second at most
PAST_REFRESH_S = 15.0  # conversations another tab starts appear in the list within this
LISTED = 20  # conversations listed at once; search finds the others
# The benchmark's baseline: plain st.write_stream fed one delta per chunk, no coalescing, no live counter.
PLAIN_STREAM = os.environ.get("BEDROCK_LAB_PLAIN_STREAM") == "1"
state = st.session_state
state.setdefault("chat", Chat())
state.setdefault("lab_flights", Flights())
state.setdefault("chat_action", None)


def _chat() -> Chat:
    chat: Chat = state.chat
    return chat


# -- starting an answer ------------------------------------------------------------------------------


def _recorder(history: History | None, conversation_id: str | None) -> Callable[[RunRecord], None] | None:
    """What a finished run does on its worker thread, whatever page is open: its record and the answer's message
    go into the history."""
    if history is None:
        return None

    def record(run: RunRecord) -> None:
        history.record_run(run)
        if conversation_id:
            with contextlib.suppress(KeyError, HistoryUnavailable):  # the file was replaced or went bad meanwhile
                history.add_message(conversation_id, "assistant", run.text, run.run_id, run.status)

    return record


def _request(settings: LabSettings) -> tuple[RunRequest, int]:
    """The request for the conversation so far, trimmed to the model's context window, and how many messages the
    trimming left out."""
    chat = _chat()
    turns, dropped = trim(to_messages(chat.turns), system=settings.system, model_id=settings.model_id,
                          max_tokens=settings.max_tokens, max_messages=MAX_MESSAGES)
    request = RunRequest(settings.model_id, settings.chat_request(turns), api=settings.api, stream=settings.streaming,
                         backend=settings.backend, region=settings.region, profile=settings.profile,
                         max_attempts=settings.max_attempts, read_timeout_s=settings.read_timeout_s,
                         idle_timeout_s=settings.idle_timeout_s, session_id=state.lab_session_id,
                         conversation_id=chat.conversation_id, user_name=settings.user_name)
    return request, dropped


def _launch(request: RunRequest, dropped: int, history: History | None) -> Flight:
    chat = _chat()
    flight = Flight([[request]], on_land=chat.land, on_finish=_recorder(history, chat.conversation_id))
    state.chat_dropped = dropped
    flights: Flights = state.lab_flights
    return flights.launch("chat", flight)


def _save_question(history: History, text: str, settings: LabSettings) -> None:
    """Add the user's message to the conversation in the history, starting the conversation if needed."""
    chat = _chat()
    state.chat_past_cache = None  # the list shows it (or its new message count) on the next run
    try:
        if chat.conversation_id is not None:
            try:
                history.add_message(chat.conversation_id, "user", text)
                return
            except KeyError:  # the history file was replaced since (as its banner advises): start anew in it
                pass
        chat.conversation_id = history.create_conversation(text[:60], settings.model_id, settings.system,
                                                           owner=settings.user_name)
        history.add_message(chat.conversation_id, "user", text)
        _name_in_url(chat.conversation_id)
    except HistoryUnavailable as problem:
        st.toast(problem.message)


def _name_in_url(conversation_id: str | None) -> None:
    """The page's URL names the conversation shown, so a reload (or the link, shared) opens it again."""
    state.chat_url = conversation_id
    if conversation_id is None:
        st.query_params.pop("conversation", None)
    else:
        st.query_params["conversation"] = conversation_id


# -- following an answer as it streams ----------------------------------------------------------------


def _every(interval_s: float, action: Callable[[], None]) -> Callable[[], None]:
    """`action`, run at most once per `interval_s` however often it is called."""
    last = [-interval_s]

    def maybe() -> None:
        now = time.perf_counter()
        if now - last[0] >= interval_s:
            last[0] = now
            action()

    return maybe


def _show_live(slot: Any, lane: Lane, settings: LabSettings) -> None:
    live = lane.live()
    rate = fmt.rate(live.tokens_per_s) if live.tokens_per_s else "…"  # none until it means something
    tokens = f"{fmt.count(live.output_tokens)} token{'' if live.output_tokens == 1 else 's'}"
    text = f"{tokens} (est.) · {rate} · {fmt.seconds(live.elapsed_ms / 1000)}"
    typical = settings.model.model.typical_tokens_per_s
    if slower_than_usual(live, typical):
        text += f" · slower than this model's usual ~{typical:.0f} tok/s"
    slot.progress(min(1.0, live.output_tokens / max(1, lane.run.request.chat.max_tokens)), text=text)


def _wait_for_words(lane: Lane, slots: AnswerSlots, reasons: bool) -> None:
    """The cue before anything arrives: "Thinking…" with the seconds waited, until the first text of either kind."""
    if reasons:
        return  # the reasoning block is the cue
    def cue() -> None:
        slots.body.caption(f":material/hourglass_top: Thinking… {fmt.seconds(lane.live().elapsed_ms / 1000)}")

    tick = _every(LIVE_INTERVAL_S, cue)
    while not lane.done and not lane.text and not lane.run.reasoning_so_far:
        tick()
        time.sleep(0.02)


def _stream_reasoning(lane: Lane, slots: AnswerSlots, reasons: bool) -> tuple[Any, Any]:
    """The reasoning in its own block as it arrives ("Thinking…", with its timer), collapsed when the answer starts.
    A model expected to reason gets the block at once, so a silent one shows it is thinking; any other gets it when
    reasoning text arrives. Returns the block and the slot inside it (None, None when there is none)."""
    status: Any = None
    inside: Any = None

    def open_block() -> tuple[Any, Any]:
        block = slots.reasoning.status("Thinking…")  # collapsed: opened by its first text
        return block, block.empty()

    if reasons:
        status, inside = open_block()
    reasoning = follow_reasoning(lane)
    first = next(reasoning, None)
    if first is not None:
        if status is None:
            status, inside = open_block()

        def tick() -> None:  # an update without `expanded` would collapse the block
            live = lane.live()
            if live.first_reasoning_ms is not None:
                status.update(label=f"Thinking… {(live.elapsed_ms - live.first_reasoning_ms) / 1000:.1f} s",
                              expanded=True)

        on_update = _every(LIVE_INTERVAL_S, tick)
        # Written into without `with status:`, whose exit sleeps 50 ms before the answer's first words.
        blocks = inside.container()
        for block in split_blocks(itertools.chain([first], reasoning)):
            blocks.write_stream(coalesce(block, on_update=on_update), cursor="▌")
    live = lane.live()
    if status is not None and live.ttft_ms is not None:
        if live.first_reasoning_ms is not None:
            label = thought_for((live.ttft_ms - live.first_reasoning_ms) / 1000)
        else:  # it thought in silence: the wait for the first answer token was its thinking
            label = SILENT_LABEL + f" · first answer token after {live.ttft_ms / 1000:.1f} s"
        status.update(label=label, state="complete", expanded=False)
    return status, inside


def _settle_reasoning(slots: AnswerSlots, status: Any, inside: Any, record: RunRecord | None) -> None:
    """The reasoning block once the run has ended, as the record has it (and as a reload draws it): the live block
    relabelled, its streamed text replaced by the record's as one markdown, with its notes; or drawn where none was
    live; or taken away. The live block itself is kept, not replaced: a block put at its place inherits its
    contents."""
    label = reasoning_label(record) if record is not None else None
    if record is None or label is None:
        slots.reasoning.empty()
        return
    if status is None:
        with slots.reasoning.container():
            show_reasoning(record)
        return
    status.update(label=label, state=reasoning_state(record), expanded=False)
    text = reasoning_text(record)
    if text.strip():
        inside.markdown(text)  # markdown only: HTML in model output is shown as text, never run
    else:
        inside.empty()
    for note in reasoning_notes(record):
        status.caption(note)


def _follow(flight: Flight, settings: LabSettings) -> None:
    """Draw the answer in flight as it streams (from what it has so far, when the page comes back to it), with the
    live counter and Stop; then, once it has ended, the answer in the same places."""
    while not flight.lanes and not flight.done:
        time.sleep(0.01)  # the flight's thread starts the lane at once
    if not flight.lanes:
        flight.land()
        return
    lane = flight.lanes[0]
    model = lane.run.request.model
    reasons = model.thinking != "none" and catalog.fit_request(model, lane.run.request.chat)[0].reasoning is not None
    with st.chat_message("assistant"):
        if state.get("chat_dropped"):
            st.caption(f"The {state.chat_dropped} oldest messages were left out to fit the model's context window; "
                       "the system prompt is kept.")
        slots = AnswerSlots()
        # Under the text, so they stay in view as a long answer grows down towards the chat input.
        live = slots.live.container(horizontal=True, vertical_alignment="center")
        counter = live.empty()
        live.button("Stop", key="chat_stop", icon=":material/stop_circle:", on_click=flight.stop)
        status = inside = None
        if lane.run.request.stream and PLAIN_STREAM:
            with slots.body.container():
                st.write_stream(follow_text(lane), cursor="▌")
        elif lane.run.request.stream:
            _wait_for_words(lane, slots, reasons)
            status, inside = _stream_reasoning(lane, slots, reasons)
            show_live = _every(LIVE_INTERVAL_S, lambda: _show_live(counter, lane, settings))
            # One st.write_stream per markdown block: a finished paragraph is sent once, and each update re-sends
            # only the paragraph being written.
            with slots.body.container():
                for block in split_blocks(follow_text(lane)):
                    st.write_stream(coalesce(block, on_update=show_live), cursor="▌")
        else:
            with slots.body.container(), st.spinner("Waiting for the complete answer…"):
                while not lane.done:
                    time.sleep(0.05)
        while not flight.done:
            time.sleep(0.02)
        continuing = _chat().continuing is not None
        flight.land()  # unless the frame of a later run did already
        if continuing:
            st.rerun()  # the continued answer is one answer now: drawn whole, where the first part was
        answer = _chat().turns[-1]
        if isinstance(answer, Answer):
            _settle_reasoning(slots, status, inside, answer.record)
            show_answer(answer, slots, actions=_actions(len(_chat().turns) - 1, last=True), reasoning=False)


# -- what an answer offers -------------------------------------------------------------------------


def _broke_midway(answer: Answer) -> bool:
    return answer.status == "error" and bool(answer.text)


def _actions(index: int, last: bool) -> Callable[[Answer], None]:
    """Under an answer: Retry on the last one when it failed; Continue when it stopped at max tokens or its stream
    broke midway; Copy on every one."""

    def draw(answer: Answer) -> None:
        row = st.container(horizontal=True)
        retry = row.empty()  # always there, so a Retry drawn by the run before is replaced, not left stale
        if last and answer.problem is not None:
            retry.button("Retry", key=f"chat_retry_{index}", icon=":material/refresh:", on_click=_redo,
                       args=(answer.run_id,))
        at_max = answer.record is not None and stopped_at_max_tokens(answer.record)
        if last and answer.request is not None and answer.record is not None and (at_max or _broke_midway(answer)):
            if at_max:
                st.caption(":material/more_horiz: The answer stopped at max tokens.")
            row.button("Continue", key=f"chat_continue_{index}", icon=":material/resume:",
                       on_click=_continue, args=(answer.run_id,),
                       help="Carries on from the text so far where the model takes a prefill, else asks again; "
                            "each attempt is billed and shown.")
        if answer.text:
            with row.popover("Copy", icon=":material/content_copy:"):
                st.code(answer.text, language="markdown", wrap_lines=True)  # its copy button copies the answer

    return draw


def _last_answer(run_id: str) -> Answer | None:
    """The conversation's last answer if it is the one `run_id` names (an older answer's button does nothing)."""
    turns = _chat().turns
    last = turns[-1] if turns else None
    return last if isinstance(last, Answer) and last.run_id == run_id else None


def _redo(run_id: str | None = None) -> None:
    """Regenerate or retry: drop the last answer and answer the same conversation again."""
    chat = _chat()
    if run_id is not None and _last_answer(run_id) is None:
        st.toast("That answer is no longer the last one; ask again below.")
        return
    if chat.turns and isinstance(chat.turns[-1], Answer):
        chat.turns.pop()
    state.chat_action = "answer"


def _continue(run_id: str) -> None:
    answer = _last_answer(run_id)
    if answer is None or answer.request is None or answer.record is None:
        return
    state.chat_continue = answer
    state.chat_action = "continue"


def _edit(index: int) -> None:
    """Edit and resend: the question takes the edited text and everything after it goes; the conversation goes on
    from there as a new conversation in the history (the old one keeps what was said)."""
    chat = _chat()
    text = str(state.get(f"chat_edit_text_{index}", "")).strip()
    if not text or index >= len(chat.turns):
        st.toast("The question is empty: type something to send.")
        return
    chat.turns[index:] = [Question(text)]
    chat.conversation_id = None
    state.chat_action = "resend"


def _clear() -> None:
    state.chat = Chat()
    _name_in_url(None)


def _save_copy(history: History, settings: LabSettings) -> None:
    """An edited conversation as a new one in the history: what was kept, then the edited question."""
    chat = _chat()
    state.chat_past_cache = None
    try:
        chat.conversation_id = history.create_conversation(chat.title, settings.model_id, settings.system,
                                                           owner=settings.user_name)
        for turn in chat.turns:
            if isinstance(turn, Question):
                history.add_message(chat.conversation_id, "user", turn.text)
            else:
                history.add_message(chat.conversation_id, "assistant", turn.text, turn.run_id or None, turn.status)
        _name_in_url(chat.conversation_id)
    except HistoryUnavailable as problem:
        st.toast(problem.message)


# -- drawing the conversation ----------------------------------------------------------------------


def _render(turn: Question | Answer, index: int, last: bool, editable: bool) -> None:
    with st.chat_message(turn.role):
        if isinstance(turn, Question):
            st.markdown(turn.text)
            if editable:
                with st.popover("Edit", icon=":material/edit:", type="tertiary"):
                    st.text_area("Question", turn.text, key=f"chat_edit_text_{index}", label_visibility="collapsed")
                    st.button("Resend", key=f"chat_edit_send_{index}", icon=":material/send:", on_click=_edit,
                              args=(index,))
            return
        show_answer(turn, AnswerSlots(), actions=_actions(index, last))


def _reopen(history: History, conversation_id: str) -> None:
    """A listed conversation's button."""
    _open(history, conversation_id)


def _open(history: History, conversation_id: str) -> bool:
    """Reopen a conversation from the history: each answer with its author, figures and error as they were."""
    try:
        stored = [(message, history.get_run(message["run_id"]) if message.get("run_id") else None)
                  for message in history.messages(conversation_id)]
    except HistoryUnavailable:
        return False  # the page explains it in its banner; the conversation on screen stays
    model_id = None
    turns: list[Question | Answer] = []
    for message, record in stored:
        if message["role"] == "user":
            turns.append(Question(message["text"]))
        elif record is not None:
            turns.append(Answer.from_record(record, message["text"], message.get("status")))
            model_id = record.model_id
        else:
            turns.append(Answer(message["text"], message.get("status") or "ok", message.get("run_id") or "",
                                Author.of(model_id or "", "converse", True)))
    state.chat = Chat(turns, conversation_id)
    _name_in_url(conversation_id)
    return True


def _toolbar(top: Any, settings: LabSettings, busy: bool) -> None:
    chat = _chat()
    has_answer = bool(chat.turns) and isinstance(chat.turns[-1], Answer)
    top.button("Regenerate", key="chat_regenerate", icon=":material/autorenew:", on_click=_redo,
               disabled=busy or not has_answer)
    top.button("Clear", key="chat_clear", icon=":material/delete:", on_click=_clear, disabled=busy or not chat.turns)
    # The exports are made when their button is clicked, not on every run (a long conversation is large).
    snapshot = Chat(list(chat.turns), chat.conversation_id)
    top.download_button("Markdown", lambda: to_markdown(snapshot, settings.system, PRICE_TABLE_DATE),
                        file_name="conversation.md", mime="text/markdown", disabled=not chat.turns,
                        icon=":material/download:")
    top.download_button("JSON", lambda: to_json(snapshot, settings.system), file_name="conversation.json",
                        mime="application/json", disabled=not chat.turns, icon=":material/data_object:")


def _past_conversations(history: History, viewer: str | None) -> list[dict[str, Any]]:
    """Past conversations the viewer may open (their own, the shared ones), newest first. Read again after this
    session wrote to the history (or while its banner shows), otherwise at most every PAST_REFRESH_S."""
    cached = state.get("chat_past_cache")
    where = (history.location, viewer)
    if cached is None or cached[0] != where or time.monotonic() - cached[1] > PAST_REFRESH_S:
        state.chat_past_cache = None  # until read: a failure here leaves nothing cached
        past = []
        for row in history.conversations(viewer=viewer).itertuples():
            owner = row.owner if isinstance(row.owner, str) and row.owner != "None" else None
            try:
                model = catalog.resolve(row.model_id).name
            except catalog.UnknownModelError:
                model = row.model_id
            past.append({"id": row.conversation_id, "title": row.title, "model": model, "model_id": row.model_id,
                         "updated": row.updated_utc, "messages": int(row.message_count), "owner": owner,
                         "shared": bool(row.shared),
                         "whose": f"shared by {owner}" if owner and owner != viewer else
                                  "shared" if row.shared else "private"})
        state.chat_past_cache = (where, time.monotonic(), past)
    return list(state.chat_past_cache[2])


def _conversation_list(history: History, past: list[dict[str, Any]]) -> None:
    """The conversations to reopen, newest first: title, date (local time), model and size, searchable."""
    if not past:
        return
    with st.expander(f"Conversations ({len(past):,})", icon=":material/forum:"):
        search = st.text_input("Search", key="chat_search", placeholder="Search titles and models",
                               label_visibility="collapsed").strip().lower()
        shown = [row for row in past if not search or search in f"{row['title']} {row['model']}".lower()]
        if not shown:
            st.caption("No conversation matches.")
        for row in shown[:LISTED]:
            line = st.container(horizontal=True, vertical_alignment="center")
            current = row["id"] == _chat().conversation_id
            line.button(row["title"] or "(untitled)", key=f"chat_open_{row['id']}", type="tertiary",
                        icon=":material/chat_bubble:" if current else ":material/chat_bubble_outline:",
                        on_click=_reopen, args=(history, row["id"]), disabled=current)
            when = _local(row["updated"])
            line.caption(" · ".join(part for part in (
                when.strftime("%d %b %Y, %H:%M") if when else "", row["model"],
                f"{row['messages']:,} messages", row["whose"]) if part), help=f"Model ID: {row['model_id']}")
        if len(shown) > LISTED:
            st.caption(f"{len(shown) - LISTED:,} older ones: search to find them.")


def _local(instant: Any) -> Any:
    """A stored UTC instant in this machine's local time (the app runs where its user is)."""
    try:
        return instant.to_pydatetime().astimezone().replace(tzinfo=None)
    except (AttributeError, ValueError):
        return None


def _share(history: History) -> None:
    """The Share toggle: the current conversation becomes visible to everyone on this history, or private again."""
    conversation_id = _chat().conversation_id
    if conversation_id is None:
        return
    try:
        history.share_conversation(conversation_id, shared=bool(state.chat_shared))
    except (HistoryUnavailable, KeyError) as problem:
        st.toast(f"The conversation's sharing was not changed: {problem}")
    state.chat_past_cache = None


st.title("Chat")
flights: Flights = state.lab_flights
settings: LabSettings | None = state.get("lab_settings")
history, history_problem = page_history()
past: list[dict[str, Any]] | None = None
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

wanted = st.query_params.get("conversation")  # a reload (or a shared link) opens the conversation it names
if history is not None and wanted and wanted != state.get("chat_url") and flights.get("chat") is None:
    _open(history, wanted)
if history is not None and past is not None:
    _conversation_list(history, past)
top = st.container(horizontal=True)  # filled at the end, once this run's answer is in the conversation
flight = flights.get("chat")

prompt = st.chat_input(f"Message {settings.model.name}", key="chat_input", submit_mode="disable",
                       disabled=flight is not None)
suggested = first_screen(settings) if not _chat().turns and flight is None and prompt is None else None
asked = str(prompt) if prompt is not None and str(prompt).strip() else suggested
if prompt is not None and not str(prompt).strip():
    st.toast("The message is empty: type something to send.")
action, state.chat_action = state.chat_action, None
if asked and flight is None:
    _chat().turns.append(Question(asked))
    if history is not None:
        _save_question(history, asked, settings)
    action = "answer"
elif action == "resend" and history is not None:
    _save_copy(history, settings)

turns = _chat().turns
if action in ("answer", "resend") and flight is None and turns and isinstance(turns[-1], Question):
    flight = _launch(*_request(settings), history)
elif action == "continue" and flight is None and state.get("chat_continue") is not None:
    earlier: Answer = state.chat_continue
    state.chat_continue = None
    if turns and turns[-1] is earlier and earlier.request is not None and earlier.record is not None:
        _chat().continuing = earlier
        flight = _launch(continue_request(earlier.request, earlier.record)[0], 0, history)
for i, turn in enumerate(turns):
    _render(turn, i, last=i == len(turns) - 1 and flight is None, editable=flight is None)
if flight is not None:
    _follow(flight, settings)

busy = flights.get("chat") is not None
_toolbar(top, settings, busy)
current = next((row for row in past or [] if row["id"] == _chat().conversation_id), None)
if history is not None and current is not None and current["owner"] in (None, settings.user_name):
    state.chat_shared = current["shared"]
    top.toggle("Shared", key="chat_shared", on_change=_share, args=(history,),
               help="Shared conversations are listed for everyone who uses this history (a team's shared "
                    "database); the others stay private to your name.")
