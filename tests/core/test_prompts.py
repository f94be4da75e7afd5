"""Each suggested prompt's answer shows what its suggestion promises, on the emulator and every default model."""

from __future__ import annotations

import re
from typing import Any

import pytest

from core.prompts import SUGGESTED
from core.settings import DEFAULT_MAX_TOKENS

from .. import models

BY_TITLE = {suggestion.title: suggestion for suggestion in SUGGESTED}


def answer(runtime: Any, model_id: str, prompt: str) -> tuple[str, int, str]:
    """The streamed answer's text (reasoning left out), output tokens and stop reason, asked as Chat asks (its
    default max tokens)."""
    stream = runtime.converse_stream(modelId=model_id, messages=[{"role": "user", "content": [{"text": prompt}]}],
                                     inferenceConfig={"maxTokens": DEFAULT_MAX_TOKENS})["stream"]
    text, tokens, stop = [], 0, ""
    try:
        for event in stream:
            text.append(event.get("contentBlockDelta", {}).get("delta", {}).get("text", ""))
            stop = event.get("messageStop", {}).get("stopReason", stop)
            tokens = event.get("metadata", {}).get("usage", {}).get("outputTokens", tokens)
    finally:
        stream.close()
    return "".join(text), tokens, stop


def test_three_or_four_suggestions_each_with_a_title_a_prompt_and_a_reason() -> None:
    assert 3 <= len(SUGGESTED) <= 4 and len(BY_TITLE) == len(SUGGESTED)
    assert all(s.title and s.prompt.strip() and s.why for s in SUGGESTED)
    assert len({s.prompt for s in SUGGESTED}) == len(SUGGESTED)


@pytest.mark.parametrize("model_id", models.COMPARE)  # Chat's default model first, then Compare's others
def test_each_answer_shows_what_its_suggestion_promises(runtime: Any, model_id: str) -> None:
    answers = {title: answer(runtime, model_id, s.prompt) for title, s in BY_TITLE.items()}
    for title, (text, _tokens, stop) in answers.items():
        assert stop == "end_turn", f"{title!r} is cut short at {DEFAULT_MAX_TOKENS} tokens"
        assert text.startswith("(Emulated answer")
    # Words of answer, not output tokens: a model that reasons spends tokens on that too.
    words = {title: len(text.split()) for title, (text, _, _) in answers.items()}
    longest_other = max(n for title, n in words.items() if title != "A long answer")
    assert words["A long answer"] >= 300 and words["A long answer"] > 1.5 * longest_other, words
    code = answers["Some code"][0]
    assert re.search(r"^```python\n((?!```).*\n){5,}```$", code, re.MULTILINE), "no code block of several lines"
    table = answers["A table"][0]
    assert re.search(r"^\|.+\|\n\|(---\|)+\n(\|.+\|\n){3,}", table, re.MULTILINE), "no table of several rows"
    assert words["A quick question"] < 100
