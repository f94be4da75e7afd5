"""The suggested prompts a first-time user is offered (Chat's first screen, Compare's prompt picker).

Each is chosen for what its answer shows, and the emulator's answer to it shows it too (tests/core/test_prompts.py
asks the emulator): a long answer, where streaming's head start is plain to see; a code block and a table, which
render as they stream in; and a short answer, where a slow first token is all there is to notice.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SuggestedPrompt:
    """A prompt to try: a short title for its button, the prompt itself, and why it is worth sending."""

    title: str
    prompt: str
    why: str


SUGGESTED: tuple[SuggestedPrompt, ...] = (
    SuggestedPrompt(
        "A long answer", "Write 300 words on why streaming makes a chatbot feel fast.",
        "The first words appear in well under a second, while the whole answer takes several: turn Streaming off "
        "in the sidebar to feel the difference."),
    SuggestedPrompt(
        "Some code", "Write a Python function for binary search.",
        "A code block with its explanation, highlighted as it streams in."),
    SuggestedPrompt(
        "A table", "Compare streaming and one-shot responses in a table.",
        "A markdown table that builds up row by row."),
    SuggestedPrompt(
        "A quick question", "Briefly explain time to first token.",
        "A short answer: here the wait for the first token is most of what the user feels."),
)
