"""Meta Llama 3.x and 4: a templated `prompt`, `generation` chunks with running token counts."""

from __future__ import annotations

from ..models import EmulatedModel
from ..schema import Field
from ..textgen import Generation
from .base import JSON, Frame, Prompt, count, parse_chat_template, require


class Llama:
    def parse(self, body: JSON, model: EmulatedModel) -> Prompt:
        require(body, {
            "prompt": Field("string", required=True),
            "max_gen_len": Field("integer", minimum=1, maximum=model.max_output_tokens),
            "temperature": Field("number", minimum=0, maximum=1),
            "top_p": Field("number", minimum=0, maximum=1),
            "images": Field("array"),
        })
        system, turns = parse_chat_template(body["prompt"])
        return Prompt(turns, system, body.get("max_gen_len", model.default_max_tokens), body["prompt"])

    @staticmethod
    def _reason(gen: Generation) -> str:
        return "length" if gen.stop in ("max_tokens", "context_window") else "stop"

    def sync_body(self, prompt: Prompt, gen: Generation, model: EmulatedModel) -> JSON:
        return {"generation": gen.text, "prompt_token_count": gen.input_tokens,
                "generation_token_count": gen.output_tokens, "stop_reason": self._reason(gen)}

    def frames(self, prompt: Prompt, gen: Generation, model: EmulatedModel,
               answer: list[str], thinking: list[str]) -> list[Frame]:
        frames, total = [], 0
        for i, piece in enumerate(answer):
            total += count(piece)
            frames.append(Frame({"generation": piece, "prompt_token_count": gen.input_tokens if i == 0 else None,
                                 "generation_token_count": total, "stop_reason": None}, count(piece)))
        frames.append(Frame({"generation": "", "prompt_token_count": None if answer else gen.input_tokens,
                             "generation_token_count": gen.output_tokens, "stop_reason": self._reason(gen)}))
        return frames
