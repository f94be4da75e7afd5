"""DeepSeek-R1 and V3.1 on InvokeModel (AWS "DeepSeek models" parameters page).

Request `{"prompt", "temperature" (<= 1), "top_p" (<= 1), "max_tokens" (1..32768), "stop" (<= 10 items)}`;
response `{"choices": [{"text", "stop_reason": "stop" | "length"}]}`, and stream chunks of the same shape with
a piece of text each. The prompt uses DeepSeek's template, as AWS's example writes it:
`<｜begin▁of▁sentence｜><｜User｜>...<｜Assistant｜><think>\\n`. R1 writes its reasoning first, as
`<think>...</think>`; when the prompt itself opened the tag (AWS's example ends with `<think>\\n`), the answer
starts inside the reasoning and only the closing tag appears.
"""

from __future__ import annotations

import re

from .. import rules
from ..models import EmulatedModel
from ..schema import Field
from ..textgen import Generation
from .base import JSON, Frame, Prompt, Turn, count, parse_chat_template, require

BEGIN, END = "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>"
USER, ASSISTANT = "<｜User｜>", "<｜Assistant｜>"
_TURN = re.compile(f"({re.escape(USER)}|{re.escape(ASSISTANT)})")
REASON = {"end": "stop", "max_tokens": "length", "stop_sequence": "stop", "context_window": "length",
          "refusal": "stop", "pause_turn": "stop"}


def parse_prompt(prompt: str) -> tuple[str, tuple[Turn, ...]]:
    """(system, turns) from DeepSeek's template; any other prompt is read as a Llama/`[INST]`/plain prompt."""
    if USER not in prompt:
        return parse_chat_template(prompt)
    parts = _TURN.split(prompt.replace(BEGIN, ""))
    system, turns = parts[0].strip(), []
    for marker, text in zip(parts[1::2], parts[2::2], strict=True):
        text = text.replace(END, "").replace("<think>", "").strip()
        if text:
            turns.append(Turn("user" if marker == USER else "assistant", text))
    return system, tuple(turns)


class DeepSeek:
    def parse(self, body: JSON, model: EmulatedModel) -> Prompt:
        require(body, {
            "prompt": Field("string", required=True),
            "temperature": Field("number", minimum=0, maximum=1),
            "top_p": Field("number", minimum=0, maximum=1),
            "max_tokens": Field("integer", minimum=1, maximum=model.max_output_tokens),
            "stop": Field("array", items="string", max_items=10),
        })
        system, turns = parse_prompt(body["prompt"])
        max_tokens = body.get("max_tokens", model.default_max_tokens)
        reasoning = rules.decide(model, rules.Asked(max_tokens=max_tokens), "invoke")
        opened = body["prompt"].rstrip().endswith("<think>")
        return Prompt(turns, system, max_tokens, body["prompt"], tuple(body.get("stop", ())), reasoning.budget,
                      extra={"opened": opened})

    @staticmethod
    def _marks(prompt: Prompt, gen: Generation) -> tuple[str, str]:
        """The markup around the reasoning: (before it, between it and the answer)."""
        if not gen.thinking_tokens:
            return "", ""
        return ("" if prompt.extra.get("opened") else "<think>\n"), "\n</think>\n\n"

    def sync_body(self, prompt: Prompt, gen: Generation, model: EmulatedModel) -> JSON:
        before, after = self._marks(prompt, gen)
        text = before + gen.thinking + after + gen.text if gen.thinking_tokens else gen.text
        return {"choices": [{"text": text, "stop_reason": REASON[gen.stop]}]}

    def frames(self, prompt: Prompt, gen: Generation, model: EmulatedModel,
               answer: list[str], thinking: list[str]) -> list[Frame]:
        before, after = self._marks(prompt, gen)
        pieces = [(p, count(p)) for p in thinking]
        if pieces:
            pieces[0] = (before + pieces[0][0], pieces[0][1])
            pieces.append((after, 0))  # the closing tag travels with the first answer piece when there is one
        pieces += [(p, count(p)) for p in answer]
        merged: list[tuple[str, int]] = []
        for text, tokens in pieces:
            if merged and merged[-1][1] == 0:
                text = merged.pop()[0] + text
            merged.append((text, tokens))
        frames = [Frame({"choices": [{"text": text, "stop_reason": None}]}, tokens) for text, tokens in merged]
        frames.append(Frame({"choices": [{"text": "", "stop_reason": REASON[gen.stop]}]}))
        return frames
