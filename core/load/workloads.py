"""What a benchmark asks: prompts sized as public benchmarks size them, the cache-buster, and JSONL replay.

Sized sets (input / output tokens): `in100-out300` (chat), `in1k-out1k` (the common "1k/1k"), `in10k-out1.5k`
(long context, retrieval). The prompt text is generated, deterministic for a seed, readable English at about
four characters a token (the lab's estimate; Bedrock reports the true count in each record); it asks for a
longer answer than max_tokens allows, so each answer is cut at max_tokens (Bedrock has no "ignore end of
sequence": this is how LLMeter and others fix the output length against it).

Replay: a JSONL file, one object per line, `{"prompt": "...", "max_tokens": 256, "system": "..."}` (only
`prompt` is required; blank lines are skipped). A bad line is an InvalidReplay naming the file and the line.
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass
from pathlib import Path

CHARS_PER_TOKEN = 4  # the lab's estimate (core.metrics.estimate_tokens), close to BPE tokenizers on English
SIZED_SETS: dict[str, tuple[int, int]] = {"in100-out300": (100, 300), "in1k-out1k": (1000, 1000),
                                          "in10k-out1.5k": (10_000, 1500)}
REPLAY_KEYS = ("prompt", "max_tokens", "system")
MAX_REPLAY_PROMPTS = 100_000

_WORDS = (
    "the service reads events from clients and writes them to a log that is split into partitions each "
    "partition keeps three copies in different zones and a write counts once two copies have it readers "
    "follow the order of each partition and save their place every few seconds so a restart repeats little "
    "work the team prefers simple parts that fail in known ways over clever parts that fail in new ones "
    "storage moves old data to cheaper disks after a week and queries over it take longer load tests replay "
    "an hour of real traffic at three times its rate so a slow change shows up before users see it alerts "
    "watch the age of the oldest unread event because that is what people notice first deployments go one "
    "zone at a time behind a flag and a canary compares errors and lag with the previous version"
).split()


class InvalidReplay(ValueError):
    """A replay file cannot be used; the message names the file, the line and what is wrong."""


@dataclass(frozen=True)
class Prompt:
    """One prompt of a workload: its text, and its own output limit and system prompt where it has them."""

    text: str
    max_tokens: int | None = None  # None: the benchmark's
    system: str = ""


def filler(tokens: int, seed: int) -> str:
    """About `tokens` tokens of plain sentences, the same for the same seed."""
    rng = random.Random(seed)
    target = max(1, tokens) * CHARS_PER_TOKEN
    sentences, length = [], 0
    while length < target:
        words = [rng.choice(_WORDS) for _ in range(rng.randint(8, 18))]
        sentence = " ".join(words).capitalize() + "."
        sentences.append(sentence)
        length += len(sentence) + 1
    return " ".join(sentences)[:target].rstrip() + "."


def sized_prompt(in_tokens: int, out_tokens: int, index: int, seed: int = 0) -> str:
    """A prompt of about `in_tokens` tokens that asks for more than `out_tokens` tokens back."""
    ask = (f"Read these notes, then write a detailed review of at least {out_tokens * 2} words: what works, "
           "what could fail, and what you would change.\n\n")
    body_tokens = max(1, in_tokens - len(ask) // CHARS_PER_TOKEN)
    return ask + filler(body_tokens, seed * 1_000_003 + index)


def sized_prompts(name: str, count: int = 5, seed: int = 0) -> tuple[tuple[str, ...], int]:
    """The prompts of a sized set and its max_tokens (its output size)."""
    in_tokens, out_tokens = SIZED_SETS[name]
    return tuple(sized_prompt(in_tokens, out_tokens, i, seed) for i in range(count)), out_tokens


def bust(prompt: str) -> str:
    """The prompt behind a prefix of its own, so no two requests share a cached prefix."""
    return f"[request {uuid.uuid4().hex[:12]}] {prompt}"


def load_replay(path: str | Path) -> tuple[Prompt, ...]:
    """The prompts of a JSONL replay file (InvalidReplay for a missing, unreadable or malformed file)."""
    source = Path(path).expanduser()
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidReplay(f"replay file {path} does not exist") from None
    except UnicodeDecodeError as problem:
        raise InvalidReplay(f"replay file {path} is not UTF-8 text (byte {problem.start})") from None
    except OSError as problem:
        raise InvalidReplay(f"cannot read replay file {path}: {problem.strerror}") from None
    return parse_replay(text, str(path))


def parse_replay(text: str, source: str = "replay") -> tuple[Prompt, ...]:
    """The prompts of JSONL text, one object a line; `source` names it in errors."""
    prompts = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{source} line {number}"
        try:
            item = json.loads(line)
        except json.JSONDecodeError as problem:
            raise InvalidReplay(f"{where} is not JSON ({problem.msg}); each line must be one object such as "
                                '{"prompt": "...", "max_tokens": 256}') from None
        if not isinstance(item, dict):
            raise InvalidReplay(f"{where} must be a JSON object with a \"prompt\", not {type(item).__name__}")
        unknown = sorted(set(item) - set(REPLAY_KEYS))
        if unknown:
            raise InvalidReplay(f"{where} has unknown keys {', '.join(unknown)}; the keys are {', '.join(REPLAY_KEYS)}")
        prompt, max_tokens, system = item.get("prompt"), item.get("max_tokens"), item.get("system", "")
        if not isinstance(prompt, str) or not prompt.strip():
            raise InvalidReplay(f"{where}: \"prompt\" must be text that is not empty")
        if max_tokens is not None and (isinstance(max_tokens, bool) or not isinstance(max_tokens, int)
                                       or max_tokens < 1):
            raise InvalidReplay(f"{where}: \"max_tokens\" must be a whole number above 0 (got {max_tokens!r})")
        if not isinstance(system, str):
            raise InvalidReplay(f"{where}: \"system\" must be text (got {type(system).__name__})")
        prompts.append(Prompt(prompt, max_tokens, system))
        if len(prompts) > MAX_REPLAY_PROMPTS:
            raise InvalidReplay(f"{source} has more than {MAX_REPLAY_PROMPTS:,} prompts")
    if not prompts:
        raise InvalidReplay(f"{source} holds no prompt (one JSON object a line, such as {{\"prompt\": \"...\"}})")
    return tuple(prompts)
