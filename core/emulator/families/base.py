"""What every family module shares: the neutral prompt, stream frames, and the family protocol."""

from __future__ import annotations

import bisect
import itertools
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..caching import TTLS, CachePoint, CacheUse, Mark, check_marks, digest, enum_error
from ..errors import malformed, validation
from ..models import EmulatedModel
from ..schema import Field, check
from ..textgen import Generation, count_tokens, tokenize

JSON = dict[str, Any]


@dataclass(frozen=True)
class Turn:
    role: str  # "user" | "assistant"
    text: str


@dataclass(frozen=True)
class Prompt:
    """A request as the emulated model understands it, whatever its wire format."""

    turns: tuple[Turn, ...]
    system: str
    max_tokens: int
    input_text: str
    stop_sequences: tuple[str, ...] = ()
    thinking_budget: int | None = None
    extra: JSON = field(default_factory=dict)  # family-specific values the response echoes
    display: str = "summarized"  # how reasoning goes on the wire: summarized | omitted | redacted
    cache_points: tuple[CachePoint, ...] = ()  # the prompt up to each cache point the request marked
    cache: CacheUse | None = None  # what the server's cache made of them; None when the request marked none

    @property
    def user_text(self) -> str:
        return next((t.text for t in reversed(self.turns) if t.role == "user"), "")

    @property
    def prefill(self) -> str:
        """Text the request put in the assistant's mouth (a final assistant turn): the answer continues it."""
        return self.turns[-1].text if self.turns and self.turns[-1].role == "assistant" else ""

    @property
    def turn(self) -> int:
        return sum(1 for t in self.turns if t.role == "user")


@dataclass(frozen=True)
class Frame:
    """One stream event: its payload, the output tokens it carries, and its event name.

    A `hidden` frame stands for tokens the model made but did not show (Claude's omitted thinking, Nova 2's
    redacted reasoning): it is due only once all of them are made, so the stream is silent meanwhile.
    """

    payload: JSON
    tokens: int = 0
    event: str = "chunk"
    hidden: bool = False


class Family(Protocol):
    def parse(self, body: JSON, model: EmulatedModel) -> Prompt: ...

    def sync_body(self, prompt: Prompt, gen: Generation, model: EmulatedModel) -> JSON: ...

    def frames(self, prompt: Prompt, gen: Generation, model: EmulatedModel,
               answer: list[str], thinking: list[str]) -> list[Frame]: ...


def require(body: JSON, spec: dict[str, Field]) -> None:
    problems = check(body, spec)
    if problems:
        raise malformed(problems)


def block_text(content: Any) -> str:
    """Text of a message's content: a string, or a list of blocks of which the text ones count."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(b["text"] for b in content if isinstance(b, dict) and isinstance(b.get("text"), str))
    return ""


def render_input(system: str, turns: tuple[Turn, ...]) -> str:
    """The text the emulator counts input tokens on, for families that take structured messages."""
    lines = [system] if system else []
    lines += [f"{t.role}: {t.text}" for t in turns]
    return "\n\n".join(lines)


def check_alternation(turns: tuple[Turn, ...], message: str | None = None) -> None:
    for before, after in zip(turns, turns[1:], strict=False):
        if before.role == after.role:
            raise validation(message or (
                'messages: roles must alternate between "user" and "assistant", '
                f'but found multiple "{after.role}" roles in a row'))


Block = str | Mark  # a text block, or a cache point that stands for every block before it


def cache_points(model: EmulatedModel, system: Sequence[Block], messages: Sequence[tuple[str, Sequence[Block]]],
                 input_text: str) -> tuple[CachePoint, ...]:
    """The prompt up to each cache point, as its tokens and digest, after Bedrock's checks on the points.

    The prefixes are rendered the way `render_input` renders `input_text`, the whole prompt the input tokens are
    counted on, so each is a prefix of it: its tokens are the whole tokens of `input_text` it holds (cached and
    uncached tokens add up to the input exactly), and the same prefix sent through InvokeModel or Converse meets
    the same cache entry."""
    marks = [b for b in system if isinstance(b, Mark)]
    marks += [b for _, blocks in messages for b in blocks if isinstance(b, Mark)]
    check_marks(model.cache, marks, validation)
    if not marks:
        return ()
    points: list[CachePoint] = []
    ends = list(itertools.accumulate(len(t) for t in tokenize(input_text)))

    def add(ttl: str, prefix: str) -> None:
        tokens = bisect.bisect_right(ends, len(prefix)) if input_text.startswith(prefix) else count(prefix)
        points.append(CachePoint(tokens, ttl, digest(model.model_id, prefix)))

    texts: list[str] = []
    for block in system:
        if isinstance(block, Mark):
            add(block.ttl, "\n".join(texts))
        else:
            texts.append(block)
    whole_system = "\n".join(texts)
    before: list[Turn] = []
    for role, blocks in messages:
        texts = []
        for block in blocks:
            if isinstance(block, Mark):
                add(block.ttl, render_input(whole_system, (*before, Turn(role, "\n".join(texts)))))
            else:
                texts.append(block)
        before.append(Turn(role, "\n".join(texts)))
    return tuple(points)


def cache_point_mark(point: Any, where: str) -> Mark:
    """A Converse (or Nova) `cachePoint {type: default, ttl?}` block's mark, or Bedrock's enum error."""
    kind = point.get("type") if isinstance(point, dict) else None
    if kind != "default":
        raise validation(enum_error(kind, f"{where}.cachePoint.type", ("default",)))
    ttl = point.get("ttl", "5m")
    if ttl not in TTLS:
        raise validation(enum_error(ttl, f"{where}.cachePoint.ttl", TTLS))
    return Mark(ttl)


def converse_blocks(content: Any, where: str) -> list[Block]:
    """A Converse-style content list as text blocks and cache points (other blocks carry no text)."""
    if not isinstance(content, list):
        return [content] if isinstance(content, str) else []
    out: list[Block] = []
    for i, block in enumerate(content):
        if isinstance(block, dict) and "cachePoint" in block:
            out.append(cache_point_mark(block["cachePoint"], f"{where}.{i}.member"))
        elif isinstance(block, dict) and isinstance(block.get("text"), str):
            out.append(block["text"])
    return out


def new_id(prefix: str = "") -> str:
    return prefix + uuid.uuid4().hex[:24]


_LLAMA3_TURN = re.compile(
    r"<\|start_header_id\|>(system|user|assistant)<\|end_header_id\|>\s*(.*?)(?:<\|eot_id\|>|$)", re.S)
_INST = re.compile(r"\[INST\](.*?)\[/INST\]([^\[]*)", re.S)
_SYS = re.compile(r"<<SYS>>(.*?)<</SYS>>", re.S)


def parse_chat_template(prompt: str) -> tuple[str, tuple[Turn, ...]]:
    """(system, turns) from a Llama 3, Llama 2 / Mistral `[INST]`, or plain prompt."""
    if "<|start_header_id|>" in prompt:
        system, turns = "", []
        for role, text in _LLAMA3_TURN.findall(prompt):
            if role == "system":
                system = text.strip()
            elif text.strip():
                turns.append(Turn(role, text.strip()))
        return system, tuple(turns)
    if "[INST]" in prompt:
        system, turns = "", []
        for inst, answer in _INST.findall(prompt):
            sys_match = _SYS.search(inst)
            if sys_match:
                system = sys_match.group(1).strip()
                inst = _SYS.sub("", inst)
            turns.append(Turn("user", inst.strip()))
            answer = answer.replace("</s>", "").replace("<s>", "").strip()
            if answer:
                turns.append(Turn("assistant", answer))
        return system, tuple(turns)
    return "", (Turn("user", prompt.strip()),)


def count(piece: str) -> int:
    """Output tokens in one stream piece (pieces are cut on token boundaries)."""
    return count_tokens(piece)
