"""Coalescing, trimming, turn building and exports for the chat page and the CLI."""

from __future__ import annotations

import json

from core import catalog, metrics
from core.answers import Answer, Author, Question
from core.conversation import Chat, coalesce, to_json, to_markdown, to_messages, trim
from core.types import Message

from ..models import CLAUDE, ON_DEMAND


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_first_delta_passes_at_once_and_the_rest_are_joined_per_interval() -> None:
    clock = FakeClock()
    updates: list[int] = []

    def deltas():  # type: ignore[no-untyped-def]
        for i in range(10):
            clock.now = i * 0.01  # a delta every 10 ms
            yield f"t{i} "

    out = list(coalesce(deltas(), interval_s=0.05, clock=clock, on_update=lambda: updates.append(1)))
    assert out[0] == "t0 "  # no added delay before the first words
    assert "".join(out) == "".join(f"t{i} " for i in range(10))  # nothing lost, order kept
    assert len(out) == 3 and len(updates) == 3  # 10 deltas, 3 page updates


def test_coalescing_passes_a_slow_stream_through_unchanged() -> None:
    clock = FakeClock()

    def slow():  # type: ignore[no-untyped-def]
        for i in range(4):
            clock.now = i * 1.0
            yield str(i)

    assert list(coalesce(slow(), interval_s=0.05, clock=clock)) == ["0", "1", "2", "3"]


def _answer(text: str, status: str = "ok") -> Answer:
    return Answer(text, status, "run-1", Author.of(ON_DEMAND, "converse", True))  # type: ignore[arg-type]


def test_turns_skip_empty_answers_and_merge_neighbours_so_roles_alternate() -> None:
    turns = [Question("first"), _answer(""), Question("second"), _answer("answer"), Question("third")]
    assert to_messages(turns) == [Message("user", "first\n\nsecond"), Message("assistant", "answer"),
                                  Message("user", "third")]


def test_trim_drops_the_oldest_turns_to_fit_and_starts_with_the_user() -> None:
    model = catalog.resolve(ON_DEMAND)  # the sizes below follow its context window
    assert model.context_tokens is not None
    long = "word " * int(model.context_tokens * 0.6 * 4 / 5)  # each about 60% of the context window (4 chars a token)
    assert 0.55 * model.context_tokens < metrics.estimate_tokens(long) < 0.65 * model.context_tokens
    messages = [Message("user", long), Message("assistant", long), Message("user", long),
                Message("assistant", long), Message("user", "short question")]
    kept, dropped = trim(messages, system="Be brief.", model_id=ON_DEMAND, max_tokens=512,
                         max_messages=50)  # no two long turns fit together
    assert dropped == 4 and kept == [Message("user", "short question")]
    fits = [Message("user", long), Message("assistant", "Noted."), Message("user", "short question")]
    assert trim(fits, system="Be brief.", model_id=ON_DEMAND, max_tokens=512, max_messages=50) == (fits, 0)
    kept, dropped = trim(messages, system="", model_id=CLAUDE, max_tokens=512, max_messages=3)
    assert dropped == 2 and kept[0].role == "user" and len(kept) == 3


def test_exports_carry_the_whole_conversation_and_name_who_wrote_each_answer() -> None:
    chat = Chat([Question("Hi"), _answer("Partial", "cancelled")], "conv-1")
    markdown = to_markdown(chat, "Be brief.", "2025-11-15")
    name = catalog.resolve(ON_DEMAND).name
    assert "## You\n\nHi" in markdown and f"## {name} · Converse · streaming (stopped)\n\nPartial" in markdown
    assert "Be brief." in markdown
    data = json.loads(to_json(chat, "Be brief."))
    assert data["messages"][1]["author"]["model_id"] == ON_DEMAND and data["system"] == "Be brief."
    assert data["messages"][1]["status"] == "cancelled" and data["conversation_id"] == "conv-1"
