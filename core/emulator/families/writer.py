"""Writer Palmyra X5 and X4 on InvokeModel (AWS "Writer Palmyra X5" / "Writer Palmyra X4" parameters pages).

Request: `messages` (AWS's example gives `content` as `{"text": ...}`; a string or text parts are taken too),
`temperature` (0..2, default 1), `top_p` (0 < x <= 1), `max_tokens` (1..8192, default 16), `min_tokens`,
`stop` (at most 4), `seed`, `presence_penalty` and `frequency_penalty` (-2..2). Response: a vLLM-style
`chat.completion` with `reasoning_content: null`, `tool_calls: []`, `logprobs`, `finish_reason`,
`stop_reason: null`, `usage` (with `prompt_tokens_details: null`) and `prompt_logprobs: null`, as the page
shows it. The pages show no stream: the chunks here are the `chat.completion.chunk` objects of the same
server (inferred from the sync body's vLLM fields).
"""

from __future__ import annotations

import time

from .. import rules
from ..models import EmulatedModel
from ..schema import Field
from ..textgen import Generation
from .base import JSON, Frame, Prompt, count, new_id, render_input, require
from .openai import FINISH, chat_messages, stops

DEFAULT_MAX_TOKENS = 16  # the pages' default: a request without max_tokens gets a very short answer


def _usage(gen: Generation) -> JSON:
    return {"prompt_tokens": gen.input_tokens, "total_tokens": gen.input_tokens + gen.output_tokens,
            "completion_tokens": gen.output_tokens, "prompt_tokens_details": None}


class Writer:
    def parse(self, body: JSON, model: EmulatedModel) -> Prompt:
        require(body, {
            "messages": Field("array", required=True),
            "temperature": Field("number", minimum=0, maximum=2),
            "top_p": Field("number", minimum=0, maximum=1),
            "max_tokens": Field("integer", minimum=1, maximum=model.max_output_tokens),
            "min_tokens": Field("integer", minimum=0),
            "stop": Field("array", items="string", max_items=4),
            "seed": Field("integer"),
            "presence_penalty": Field("number", minimum=-2, maximum=2),
            "frequency_penalty": Field("number", minimum=-2, maximum=2),
            "tools": Field("array"), "tool_choice": Field("any"), "response_format": Field("object"),
        })
        system, turns = chat_messages(body["messages"], ("system", "user", "assistant", "tool"))
        max_tokens = body.get("max_tokens", DEFAULT_MAX_TOKENS)
        rules.decide(model, rules.Asked(max_tokens=max_tokens), "invoke")
        return Prompt(turns, system, max_tokens, render_input(system, turns), stops(body.get("stop")))

    def sync_body(self, prompt: Prompt, gen: Generation, model: EmulatedModel) -> JSON:
        return {"id": new_id("chatcmpl-"), "object": "chat.completion", "created": int(time.time()),
                "model": model.model_id, "choices": [{
                    "index": 0, "message": {"role": "assistant", "reasoning_content": None, "content": gen.text,
                                            "tool_calls": []},
                    "logprobs": None, "finish_reason": FINISH[gen.stop], "stop_reason": None}],
                "usage": _usage(gen), "prompt_logprobs": None}

    def frames(self, prompt: Prompt, gen: Generation, model: EmulatedModel,
               answer: list[str], thinking: list[str]) -> list[Frame]:
        head = {"id": new_id("chatcmpl-"), "object": "chat.completion.chunk", "created": int(time.time()),
                "model": model.model_id}

        def choice(delta: JSON, finish: str | None = None) -> JSON:
            return {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish, "stop_reason": None}

        frames = [Frame({**head, "choices": [choice({"role": "assistant", "content": ""})]})]
        frames += [Frame({**head, "choices": [choice({"content": p})]}, count(p)) for p in answer]
        frames.append(Frame({**head, "choices": [choice({}, FINISH[gen.stop])], "usage": _usage(gen)}))
        return frames
