"""AI21 Labs: Jamba (OpenAI-like `messages` and `choices`) and Jurassic-2 (`completions`, no streaming)."""

from __future__ import annotations

import random

from ..models import EmulatedModel
from ..schema import Field
from ..textgen import Generation, tokenize
from .base import JSON, Frame, Prompt, Turn, count, new_id, render_input, require
from .mistral import parse_openai_messages, usage


class Jamba:
    def parse(self, body: JSON, model: EmulatedModel) -> Prompt:
        require(body, {
            "messages": Field("array", required=True),
            "max_tokens": Field("integer", minimum=1, maximum=model.max_output_tokens),
            "temperature": Field("number", minimum=0, maximum=2),
            "top_p": Field("number", minimum=0, maximum=1),
            "stop": Field("array", items="string"),
            "n": Field("integer", minimum=1, maximum=16),
            "frequency_penalty": Field("number"), "presence_penalty": Field("number"),
            "response_format": Field("object"), "tools": Field("array"), "documents": Field("array"),
        })
        system, turns = parse_openai_messages(body["messages"])
        return Prompt(turns, system, body.get("max_tokens", model.default_max_tokens),
                      render_input(system, turns), tuple(body.get("stop", ())))

    @staticmethod
    def _reason(gen: Generation) -> str:
        return "length" if gen.stop in ("max_tokens", "context_window") else "stop"

    def sync_body(self, prompt: Prompt, gen: Generation, model: EmulatedModel) -> JSON:
        return {"id": new_id("chatcmpl-"), "model": model.model_id.removeprefix("ai21.").removesuffix("-v1:0"),
                "choices": [{"index": 0, "message": {"role": "assistant", "content": gen.text, "tool_calls": None},
                             "finish_reason": self._reason(gen)}], "usage": usage(gen)}

    def frames(self, prompt: Prompt, gen: Generation, model: EmulatedModel,
               answer: list[str], thinking: list[str]) -> list[Frame]:
        ident = new_id("chatcmpl-")
        frames = [Frame({"id": ident, "choices": [{"index": 0, "delta": {"role": "assistant"},
                                                   "finish_reason": None}]})]
        frames += [Frame({"id": ident, "choices": [{"index": 0, "delta": {"content": p}, "finish_reason": None}]},
                         count(p)) for p in answer]
        frames.append(Frame({"id": ident, "choices": [{"index": 0, "delta": {}, "finish_reason": self._reason(gen)}],
                             "usage": usage(gen)}))
        return frames


def _token_details(text: str, rng: random.Random) -> list[JSON]:
    details, at = [], 0
    for token in tokenize(text):
        logprob = round(-rng.random() * 2, 4)
        details.append({"generatedToken": {"token": token.replace(" ", "▁"), "logprob": logprob,
                                           "raw_logprob": logprob},
                        "topTokens": None, "textRange": {"start": at, "end": at + len(token)}})
        at += len(token)
    return details


class Jurassic2:
    def parse(self, body: JSON, model: EmulatedModel) -> Prompt:
        require(body, {
            "prompt": Field("string", required=True),
            "maxTokens": Field("integer", minimum=0, maximum=model.max_output_tokens),
            "minTokens": Field("integer", minimum=0),
            "temperature": Field("number", minimum=0, maximum=1),
            "topP": Field("number", minimum=0, maximum=1),
            "stopSequences": Field("array", items="string"),
            "numResults": Field("integer", minimum=1, maximum=16),
            "countPenalty": Field("object"), "presencePenalty": Field("object"),
            "frequencyPenalty": Field("object"),
        })
        prompt = body["prompt"]
        return Prompt((Turn("user", prompt),), "", body.get("maxTokens", model.default_max_tokens), prompt,
                      tuple(body.get("stopSequences", ())))

    def sync_body(self, prompt: Prompt, gen: Generation, model: EmulatedModel) -> JSON:
        rng = random.Random(len(prompt.input_text))
        reason: JSON = {"reason": "endoftext"}
        if gen.stop in ("max_tokens", "context_window"):
            reason = {"reason": "length", "length": gen.output_tokens}
        elif gen.stop == "stop_sequence":
            reason = {"reason": "stop", "sequence": gen.stop_sequence}
        return {"id": rng.randint(1000, 9999),
                "prompt": {"text": prompt.input_text, "tokens": _token_details(prompt.input_text, rng)},
                "completions": [{"data": {"text": gen.text, "tokens": _token_details(gen.text, rng)},
                                 "finishReason": reason}]}

    def frames(self, prompt: Prompt, gen: Generation, model: EmulatedModel,
               answer: list[str], thinking: list[str]) -> list[Frame]:
        raise AssertionError("Jurassic-2 does not stream; the server refuses before asking for frames")
