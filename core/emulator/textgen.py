"""Emulated answers: deterministic, readable, responsive to the prompt, and honest about being emulated.

Tokens are the emulator's own unit: a run of up to eight letters, up to three digits, or any other
single character, each with the white space before it. `tokenize` partitions a text exactly, so the
text a stream emits is the concatenation of its tokens and every token count the emulator reports
is the length of what it emitted.
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass

_TOKEN = re.compile(r"\s*[A-Za-z]{1,8}|\s*\d{1,3}|\s*[^\sA-Za-z\d]|\s+")
_LENGTH_HINT = re.compile(r"\b(\d{1,6})\s*(words|tokens)\b", re.IGNORECASE)
_GREETINGS = {"hi", "hello", "hey", "howdy", "greetings", "yo", "hiya", "morning", "evening"}
_STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had
    has have having he her here hers herself him himself his how i if in into is it its itself just
    me more most my myself no nor not now of off on once only or other our ours ourselves out over
    own same she should so some such than that the their theirs them themselves then there these
    they this those through to too under until up very was we were what when where which while who
    whom why will with would you your yours yourself yourselves please tell explain describe write
    give show make let lets us want need know like get use using used one two also really much many
    way thing things something anything everything say said could would should might must shall
    can't don't i'm it's what's there's words tokens hello hi hey thanks thank choose pick select
    best good better work works help find try keep start think go going""".split()
)


def tokenize(text: str) -> list[str]:
    """Split `text` into emulator tokens; `"".join(tokenize(t)) == t` always holds."""
    return _TOKEN.findall(text)


def count_tokens(text: str) -> int:
    return len(_TOKEN.findall(text))


def stable_seed(*parts: object) -> int:
    """A seed that is the same in every process for the same parts (unlike `hash`)."""
    # surrogatepass: a request may carry a lone surrogate (a JSON "\\ud800" escape); it must not crash a seed.
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big")


@dataclass(frozen=True)
class Generation:
    """What the emulated model produced for one request, before it is put on the wire."""

    thinking_tokens: tuple[str, ...]
    answer_tokens: tuple[str, ...]
    stop: str  # "end" | "max_tokens" | "stop_sequence"
    stop_sequence: str | None
    input_tokens: int

    @property
    def text(self) -> str:
        return "".join(self.answer_tokens)

    @property
    def thinking(self) -> str:
        return "".join(self.thinking_tokens)

    @property
    def output_tokens(self) -> int:
        return len(self.thinking_tokens) + len(self.answer_tokens)


_OPENERS = (
    "Here is how I would think about {topic}.",
    "Good question about {topic}.",
    "Let me walk through {topic} step by step.",
    "There are a few useful angles on {topic}.",
    "Here is a short, practical take on {topic}.",
)
_SENTENCES = (
    "The first thing to settle is what you need {k1} to do for you, because that decides most of the rest.",
    "A practical way to approach {k1} is to start small, measure what happens, and adjust from there.",
    "{K2} matters here because it shapes how {k1} behaves once real people depend on it.",
    "Most teams find that {k1} gets easier once they write down what a good result looks like.",
    "It helps to compare two or three options for {k1} side by side before committing to one.",
    "If {k2} is a concern, look at it early; it is much cheaper to change course at the start.",
    "A common mistake with {k1} is to optimise for the average case and forget the slow tail.",
    "In practice, {k1} and {k2} interact, so a change to one usually shows up in the other.",
    "The numbers are worth collecting: time to first result, total time, and cost per request.",
    "Keep an eye on {k3} as well, since it tends to surface problems before users notice them.",
    "When in doubt, prefer the simpler design for {k1}; it is easier to explain and to debug.",
    "A short experiment with realistic inputs will tell you more about {k1} than any spec sheet.",
    "Documenting the trade-offs around {k2} saves the next person a lot of guesswork.",
    "For {k1}, the right answer depends on scale: what works for ten users may not work for ten thousand.",
    "It is reasonable to revisit the decision on {k1} after a few weeks of real use.",
    "Streaming the answer lets people start reading while the rest is still being written.",
    "Good defaults for {k1} matter more than many options, because most people never change them.",
    "Think about what should happen when {k2} fails, and make that path visible and recoverable.",
)
_GREETING_SENTENCES = (
    "Ask me anything and the answer will stream in at {model}'s usual pace, so you can see how it feels.",
    "A longer question makes a longer answer, which shows the difference streaming makes.",
    "You can also ask for a length, such as 300 words, to try a long generation.",
    "Everything here runs locally: no AWS account is needed and nothing is billed.",
)
_LIST_INTRO = ("Key points about {topic}:", "A quick checklist:", "Things worth checking:")
_LIST_ITEMS = (
    "define what success means for {k1}",
    "measure {k2} before and after each change",
    "keep the first version of {k1} small",
    "plan for failures in {k3}",
    "write down the assumptions behind {k1}",
    "ask the people who will use {k1} what they need",
    "compare the cost of {k2} against its benefit",
)


def _phrases(text: str) -> list[str]:
    """Runs of content words in `text`, longest first: "vector database", "retrieval", ..."""
    runs: list[list[str]] = [[]]
    for token in re.findall(r"[A-Za-z][A-Za-z'-]*|[^\sA-Za-z]", text):
        lower = token.lower().strip("'-")
        if len(lower) > 2 and lower not in _STOPWORDS and token[0].isalpha():
            runs[-1].append(lower)
        elif runs[-1]:
            runs.append([])
    seen: dict[str, None] = {}
    for run in sorted((r[:3] for r in runs if r), key=len, reverse=True):
        seen.setdefault(" ".join(run), None)
    return list(seen)


def _excerpt(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _is_greeting(text: str) -> bool:
    words = text.lower().split()
    return len(words) <= 4 and any(w.strip("!?.,") in _GREETINGS for w in words)


def natural_length(user_text: str, rng: random.Random) -> int:
    """How many tokens the emulated model would like to write, before max_tokens."""
    hint = _LENGTH_HINT.search(user_text)
    if hint:
        amount = int(hint.group(1))
        return max(1, amount if hint.group(2).lower() == "tokens" else int(amount * 1.3))
    if _is_greeting(user_text):
        return rng.randint(30, 60)
    return rng.randint(120, 320)


def _fill(template: str, slots: dict[str, str]) -> str:
    return template.format(**slots)


def compose_answer(model_name: str, user_text: str, system: str, turn: int, target_tokens: int,
                   rng: random.Random) -> str:
    """Readable English of about `target_tokens` tokens that answers `user_text`, marked as emulated."""
    words = _phrases(user_text)
    k = (words + ["the approach", "the result", "the details"])[:3]
    topic = words[0] if words else "your message"
    slots = {"topic": topic, "k1": k[0], "k2": k[1], "k3": k[2], "K2": k[1][:1].upper() + k[1][1:],
             "model": model_name}
    # Parentheses, not brackets: "[" opens a markdown link, which a streaming renderer may hold back.
    parts = [f"(Emulated answer from {model_name}; no model was called.)"]
    lead = []
    if system.strip():
        lead.append(f'Following the system prompt ("{_excerpt(system, 60)}"),')
    if turn > 1:
        lead.append(f"continuing our conversation (turn {turn}),")
    greeting = not words or _is_greeting(user_text)
    if greeting:
        opener = "Hello! I am an emulated stand-in for a real model, here so you can try the app offline."
    else:
        opener = _fill(rng.choice(_OPENERS), slots)
        opener = f'You asked: "{_excerpt(user_text)}". ' + opener
    if lead:
        opener = " ".join(lead) + " " + opener[0].lower() + opener[1:]
    parts.append(opener)
    pieces = ["\n\n".join(parts)]
    used = count_tokens(pieces[0])
    paragraph: list[str] = []
    bank = _GREETING_SENTENCES if greeting else _SENTENCES
    deck: list[str] = []
    while used < target_tokens:
        if paragraph and not greeting and rng.random() < 0.12:
            block = "\n\n" + _fill(rng.choice(_LIST_INTRO), slots) + "\n"
            block += "\n".join("- " + _fill(item, slots) for item in rng.sample(_LIST_ITEMS, 3))
            pieces.append("\n\n" + " ".join(paragraph) + block)
            paragraph = []
            used += count_tokens(block)
            continue
        if len(paragraph) >= rng.randint(3, 5):
            pieces.append("\n\n" + " ".join(paragraph))
            paragraph = []
        if not deck:  # deal every sentence once before any repeats
            deck = rng.sample(bank, k=len(bank))
        sentence = _fill(deck.pop(), slots)
        paragraph.append(sentence[0].upper() + sentence[1:])
        used += count_tokens(sentence)
    if paragraph:
        pieces.append("\n\n" + " ".join(paragraph))
    return "".join(pieces)


def compose_thinking(user_text: str, rng: random.Random) -> str:
    words = _phrases(user_text)
    topic = words[0] if words else "this message"
    steps = [
        f"The user is asking about {topic}.",
        "I should give a clear, practical answer rather than a long survey.",
        "It is worth mentioning how to measure the result, since numbers make the trade-offs concrete.",
        "I will keep the structure simple: a short opening, the main points, and a brief checklist.",
        "I should also be honest that this is an emulated answer.",
    ]
    return " ".join(steps[: rng.randint(3, len(steps))])


def _cut_at_stop(text: str, stop_sequences: tuple[str, ...]) -> tuple[str, str | None]:
    best: tuple[int, str] | None = None
    for seq in stop_sequences:
        if seq:
            at = text.find(seq)
            if at >= 0 and (best is None or at < best[0]):
                best = (at, seq)
    return (text, None) if best is None else (text[: best[0]], best[1])


def generate(*, model_name: str, user_text: str, system: str, turn: int, max_tokens: int,
             stop_sequences: tuple[str, ...], thinking_budget: int | None, input_tokens: int,
             seed: int, prefill: str = "", answer: str | None = None) -> Generation:
    """The emulated model's whole output for one request, cut by max tokens and stop sequences.

    With a `prefill` (Claude's assistant prefill), the answer continues after those words when they are
    the start of what it would have written, as a real model carries on from them. `answer` replaces the
    composed text (the echo control endpoint); it is cut the same way."""
    rng = random.Random(stable_seed(seed, model_name, user_text, system, turn))
    thinking: list[str] = []
    if thinking_budget:
        thinking = tokenize(compose_thinking(user_text, rng))[: min(thinking_budget, max_tokens)]
    room = max_tokens - len(thinking)
    target = natural_length(user_text, rng)
    prefilled = count_tokens(prefill)
    text = answer if answer is not None else compose_answer(model_name, user_text, system, turn,
                                                            min(target, prefilled + room + 1), rng)
    if prefill and text.startswith(prefill):
        text = text[len(prefill):]  # the model carries on from the words put in its mouth
    tokens = tokenize(text)
    stop, stop_sequence = "end", None
    if len(tokens) > room:
        tokens, stop = tokens[:room], "max_tokens"
    cut, matched = _cut_at_stop("".join(tokens), stop_sequences)
    if matched is not None:
        tokens, stop, stop_sequence = tokenize(cut), "stop_sequence", matched
    return Generation(tuple(thinking), tuple(tokens), stop, stop_sequence, input_tokens)
