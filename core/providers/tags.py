"""Reasoning that arrives inside the answer text, as `<tag>...</tag>`: gpt-oss `<reasoning>`, DeepSeek-R1 `<think>`.

Bedrock's InvokeModel hands these models' output over as one text, reasoning first; the markup may be split
anywhere across stream chunks. `TagSplitter` cuts the text apart incrementally and never lets any part of the
markup through as answer text:

    splitter = TagSplitter("think")
    splitter.feed("<thi") + splitter.feed("nk>17*3=51</think>\\n\\n51") + splitter.flush()
    # [ReasoningDelta("17*3=51"), TextDelta("51")]

Rules, identical however the text is chunked (a test feeds random chunkings):
- every `<tag>...</tag>` span is reasoning, the rest is answer; an unterminated span is reasoning to the end;
- a stray `</tag>` (the prompt opened the span, or the model skipped it) is dropped, not shown;
- white space right after a closing tag, or before the first text, is trimmed once (R1 writes "</think>\\n\\n");
- answer text is held back only while it could still be the start of a tag (a trailing "<", "</thi", ...) or is
  white space at the very start; everything else goes out in the call that brought it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from ..types import Event, ReasoningDelta, TextDelta

Piece = TextDelta | ReasoningDelta
_State = Literal["start", "answer", "reasoning", "after"]


class TagSplitter:
    """Splits one stream's text into answer and reasoning pieces; feed it every text piece, then flush once."""

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self._open, self._close = f"<{tag}>", f"</{tag}>"
        self._state: _State = "start"
        self._pending = ""  # text not decided yet: a possible partial tag, or leading white space

    def feed(self, text: str) -> list[Piece]:
        """The answer and reasoning pieces this text completes (possibly none, while a tag may be starting)."""
        self._pending += text
        return self._drain(final=False)

    def flush(self) -> list[Piece]:
        """Whatever was held back, at the end of the stream: a partial tag that never completed is plain text."""
        return self._drain(final=True)

    def _drain(self, *, final: bool) -> list[Piece]:
        out: list[Piece] = []
        while self._pending:
            text = self._pending
            if self._state == "start":
                rest = text.lstrip()
                if not rest:  # only white space so far: it belongs to whatever follows
                    if final:
                        _emit(out, TextDelta(text))
                        self._pending = ""
                    break
                if rest.startswith(self._open):
                    self._pending, self._state = rest[len(self._open):], "reasoning"
                elif self._open.startswith(rest) and not final:
                    break
                else:
                    self._state = "answer"
            elif self._state == "after":
                rest = text.lstrip()
                self._pending = rest
                if rest:
                    self._state = "answer"
            elif self._state == "answer":
                at, tag = _first(text, (self._open, self._close))
                if tag:
                    _emit(out, TextDelta(text[:at]))
                    self._pending = text[at + len(tag):]
                    self._state = "reasoning" if tag == self._open else "after"
                else:
                    keep = 0 if final else _partial(text, (self._open, self._close))
                    _emit(out, TextDelta(text[:len(text) - keep]))
                    self._pending = text[len(text) - keep:]
                    break
            else:  # reasoning
                at = text.find(self._close)
                if at >= 0:
                    _emit(out, ReasoningDelta(text[:at]))
                    self._pending, self._state = text[at + len(self._close):], "after"
                else:
                    keep = 0 if final else _partial(text, (self._close,))
                    _emit(out, ReasoningDelta(text[:len(text) - keep]))
                    self._pending = text[len(text) - keep:]
                    break
        return out


def split_tagged(text: str, tag: str) -> tuple[str, str]:
    """`(reasoning, answer)` of a whole text (a sync body), by the same rules as the stream."""
    splitter = TagSplitter(tag)
    pieces = splitter.feed(text) + splitter.flush()
    return ("".join(p.text for p in pieces if isinstance(p, ReasoningDelta)),
            "".join(p.text for p in pieces if isinstance(p, TextDelta)))


def split_events(splitter: TagSplitter, events: Iterable[Event]) -> list[Event]:
    """One chunk's events with its answer text split; other events pass through in order.

    Text held back for a possible tag comes out of a later call, or of `splitter.flush()` at the end.
    """
    out: list[Event] = []
    for event in events:
        out.extend(splitter.feed(event.text) if isinstance(event, TextDelta) else [event])
    return out


def _emit(out: list[Piece], piece: Piece) -> None:
    """Append a non-empty piece, merged into the previous one when it is of the same kind."""
    if not piece.text:
        return
    if out and type(out[-1]) is type(piece):
        out[-1] = type(piece)(out[-1].text + piece.text)
    else:
        out.append(piece)


def _first(text: str, tags: tuple[str, ...]) -> tuple[int, str]:
    """Where the earliest of the tags starts in the text, and which one ("" when none does)."""
    found = [(at, tag) for tag in tags if (at := text.find(tag)) >= 0]
    return min(found) if found else (-1, "")


def _partial(text: str, tags: tuple[str, ...]) -> int:
    """The length of the longest end of the text that could be the start of one of the tags."""
    longest = max(len(tag) for tag in tags) - 1
    for size in range(min(longest, len(text)), 0, -1):
        if any(tag.startswith(text[-size:]) for tag in tags):
            return size
    return 0
