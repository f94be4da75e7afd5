"""What every family module shares: the neutral prompt, stream frames, and the family protocol."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..errors import malformed, validation
from ..models import EmulatedModel
from ..schema import Field, check
from ..textgen import Generation, count_tokens

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
