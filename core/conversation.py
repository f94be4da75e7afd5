"""Conversations as the chat page and the CLI keep them: trimming to the context window, exports,
and the coalescing that keeps a streamed answer smooth in the browser."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import catalog, metrics
from .answers import Answer, Flight, Question, Turn
from .types import Message

UPDATE_INTERVAL_S = 0.05  # at most 20 updates a second while the answer is short
MARKDOWN_BYTES_PER_S = 60_000  # then fewer, so a long answer's re-sent markdown stays under ~60 KB/s


def trim(messages: list[Message], *, system: str, model_id: str, max_tokens: int,
         max_messages: int) -> tuple[list[Message], int]:
    """Drop the oldest turns until the conversation fits the model's context window (leaving room for
    the answer) and the message limit; the system prompt is always kept. Returns (kept, dropped)."""
    context = catalog.resolve(model_id).context_tokens
    budget = (context - max_tokens) if context else None
    kept = list(messages)

    def too_big() -> bool:
        if len(kept) > max_messages:
            return True
        used = metrics.estimate_tokens(system + "".join(m.text for m in kept))
        return budget is not None and used > budget

    while len(kept) > 1 and too_big():
        kept.pop(0)
        while kept and kept[0].role != "user":  # a conversation starts with the user
            kept.pop(0)
    return kept, len(messages) - len(kept)


def coalesce(deltas: Iterable[str], *, interval_s: float = UPDATE_INTERVAL_S,
             bytes_per_s: float = MARKDOWN_BYTES_PER_S, on_update: Callable[[], None] | None = None,
             clock: Callable[[], float] = time.perf_counter) -> Iterator[str]:
    """Join text deltas so the page updates at most once per `interval_s`.

    Streamlit re-sends the whole accumulated markdown on every chunk, so one update per token makes a
    long answer quadratic in traffic. The first delta passes at once (coalescing must not delay the
    first words); the rest are gathered until the interval has passed, an interval that grows with the
    answer so that the markdown re-sent stays under `bytes_per_s`; the remainder comes at the end.
    `on_update` runs after each yield (the live token counter uses it).
    """
    pending: list[str] = []
    last_yield: float | None = None
    shown = 0  # characters already on the page
    for delta in deltas:
        pending.append(delta)
        shown += len(delta)
        now = clock()
        if last_yield is None or now - last_yield >= max(interval_s, shown / bytes_per_s):
            yield "".join(pending)
            pending.clear()
            last_yield = now
            if on_update is not None:
                on_update()
    if pending:
        yield "".join(pending)
        if on_update is not None:
            on_update()


@dataclass
class Chat:
    """A chat as the Chat page keeps it: its turns, and its id in the history once it has one."""

    turns: list[Turn] = field(default_factory=list)
    conversation_id: str | None = None
    continuing: Answer | None = None  # the answer a Continue in flight carries on

    @property
    def title(self) -> str:
        return self.turns[0].text[:60] if self.turns else "Conversation"

    def land(self, flight: Flight) -> None:
        """The flight's answer, once it has ended, as the conversation's last turn (a Continue joins the answer it
        carries on: one answer, every attempt billed)."""
        for lane in flight.lanes:
            answer = lane.answer()
            earlier, self.continuing = self.continuing, None
            if earlier is not None and self.turns and self.turns[-1] is earlier:
                sent = lane.run.request.chat.messages
                resumed = bool(sent) and sent[-1].role == "assistant"  # a prefill: this text carries on the earlier
                text = earlier.text + answer.text if resumed else answer.text
                answer = dataclasses.replace(answer, text=text, earlier=earlier.records)
                self.turns[-1] = answer
            else:
                self.turns.append(answer)


def _figures(answer: Answer) -> dict[str, Any]:
    """An answer's record for the JSON export (every billed attempt when a Continue built on earlier ones)."""
    return {"author": dataclasses.asdict(answer.author), "status": answer.status,
            "problem": dataclasses.asdict(answer.problem) if answer.problem else None,
            "records": [dataclasses.asdict(record) for record in answer.records]}


def to_markdown(chat: Chat, system: str, price_date: str) -> str:
    """The conversation as a Markdown document, for download: each answer names the model, API and mode that wrote
    it, with its figures."""
    lines = [f"# {chat.title}", ""]
    if system:
        lines += ["**System prompt:**", "", system, ""]
    for turn in chat.turns:
        if isinstance(turn, Question):
            lines += ["## You", "", turn.text, ""]
            continue
        marker = "" if turn.status == "ok" else f" ({'stopped' if turn.status == 'cancelled' else 'failed'})"
        lines += [f"## {turn.author.label}{marker}", "", turn.text, ""]
        if turn.problem is not None:
            lines += [f"> **{turn.problem.title}.** {turn.problem.action} (`{turn.problem.code}`)", ""]
        for record in turn.records:
            lines += [f"*{turn.author.model_id}: {metrics.caption(record, price_date)}*", ""]
    return "\n".join(lines)


def to_json(chat: Chat, system: str) -> str:
    """The conversation as JSON: each answer with its author (model, API, mode), problem and metrics."""
    messages = [{"role": "user", "text": turn.text} if isinstance(turn, Question) else
                {"role": "assistant", "text": turn.text, **_figures(turn)} for turn in chat.turns]
    return json.dumps({"title": chat.title, "conversation_id": chat.conversation_id, "system": system,
                       "messages": messages}, indent=2, ensure_ascii=False, default=str)


def to_messages(turns: Sequence[Turn]) -> list[Message]:
    """The turns to send: turns without text are left out and neighbours with the same role are joined, so roles
    alternate as every model requires (a failed answer leaves none)."""
    messages: list[Message] = []
    for turn in turns:
        if not turn.text.strip():
            continue
        if messages and messages[-1].role == turn.role:
            messages[-1] = Message(turn.role, messages[-1].text + "\n\n" + turn.text)
        else:
            messages.append(Message(turn.role, turn.text))
    return messages


def _blocks_end(text: str, in_fence: bool) -> tuple[int | None, bool]:
    """Where the first markdown block of `text` ends (just after a blank line outside a code fence),
    and whether a code fence is open at the end of what was scanned."""
    at = 0
    while True:
        fence = text.find("```", at)
        blank = text.find("\n\n", at)
        if blank >= 0 and not in_fence and (fence < 0 or blank < fence):
            return blank + 2, in_fence
        if fence < 0:
            return None, in_fence
        in_fence, at = not in_fence, fence + 3


def split_blocks(deltas: Iterable[str]) -> Iterator[Iterator[str]]:
    """The deltas of an answer as one iterator per markdown block (paragraph, list, code block).

    Each block can go to its own `st.write_stream`: a finished block is then sent once and left alone,
    and every update re-sends only the block being written, not the whole answer. Blocks end at a
    blank line outside a code fence. Consume each block before asking for the next.
    """
    source = iter(deltas)
    state = {"pending": "", "fence": False, "done": False}

    def block() -> Iterator[str]:
        while True:
            pending = str(state["pending"])
            cut, _ = _blocks_end(pending, bool(state["fence"]))
            if cut is not None:
                head = pending[:cut]
                state["fence"] = _blocks_end(head, bool(state["fence"]))[1]
                state["pending"] = pending[cut:].lstrip("\n")
                if head.strip():
                    yield head.rstrip("\n")
                return
            hold = 1 if pending.endswith("\n") else 0  # it may be half of a blank line
            out = pending[: len(pending) - hold]
            if out:
                yield out
                state["fence"] = _blocks_end(out, bool(state["fence"]))[1]
                state["pending"] = pending[len(out):]
            nxt = next(source, None)
            if nxt is None:
                rest = str(state["pending"])
                if rest.strip():
                    yield rest
                state["pending"], state["done"] = "", True
                return
            state["pending"] = str(state["pending"]) + nxt

    while not state["done"]:
        yield block()
