"""Mistral AI chat models on InvokeModel: `messages` in, `choices` out, in two shapes.

Large (24.07) and Pixtral Large answer in AWS's "Mistral AI chat completion" shape: stream chunks carry
`choices[0].message.content` and `stop_reason` (bedrock-wire.md). Mistral Large 3 and Magistral (wire
"openai") answer `choices[0].message.content` with `finish_reason`, and stream `choices[0].delta.content`
chunks (the sync shape from aws-samples/mistral-on-aws, re:Invent 2025 invoke_model notebook; the chunk shape
is inferred from it, as the OpenAI-compatible server it is). Magistral reasons only through Converse.
"""

from __future__ import annotations

import time
from typing import Any

from .. import rules
from ..errors import validation
from ..models import EmulatedModel
from ..schema import Field
from ..textgen import Generation
from .base import JSON, Frame, Prompt, Turn, block_text, count, new_id, render_input, require

REASON = {"end": "stop", "max_tokens": "length", "stop_sequence": "stop", "context_window": "length",
          "refusal": "stop", "pause_turn": "stop"}


def parse_openai_messages(messages: list[Any]) -> tuple[str, tuple[Turn, ...]]:
    """(system, turns) from OpenAI-style messages with system/user/assistant roles."""
    system, turns = [], []
    for i, message in enumerate(messages):
        role = message.get("role") if isinstance(message, dict) else None
        if role not in ("system", "user", "assistant", "tool"):
            raise validation(f"messages[{i}].role: must be one of system, user, assistant, tool")
        text = block_text(message.get("content"))
        if role == "system":
            system.append(text)
        else:
            turns.append(Turn("assistant" if role == "assistant" else "user", text))
    if not turns:
        raise validation("messages: at least one user message is required")
    return "\n".join(system), tuple(turns)


def usage(gen: Generation) -> JSON:
    return {"prompt_tokens": gen.input_tokens, "completion_tokens": gen.output_tokens,
            "total_tokens": gen.input_tokens + gen.output_tokens}


class MistralChat:
    def parse(self, body: JSON, model: EmulatedModel) -> Prompt:
        spec = {
            "messages": Field("array", required=True),
            "max_tokens": Field("integer", minimum=1, maximum=model.max_output_tokens),
            "temperature": Field("number", minimum=0, maximum=1),
            "top_p": Field("number", minimum=0, maximum=1),
            "stop": Field("array", items="string", max_items=10),
            "tools": Field("array"),
            "tool_choice": Field("any"),
        }
        if model.wire == "openai":
            spec |= {"response_format": Field("object"), "random_seed": Field("integer"),
                     "safe_prompt": Field("boolean"), "presence_penalty": Field("number"),
                     "frequency_penalty": Field("number")}
        require(body, spec)
        system, turns = parse_openai_messages(body["messages"])
        max_tokens = body.get("max_tokens", model.default_max_tokens)
        reasoning = rules.decide(model, rules.Asked(max_tokens=max_tokens), "invoke")
        return Prompt(turns, system, max_tokens, render_input(system, turns), tuple(body.get("stop", ())),
                      reasoning.budget)

    def _envelope(self, model: EmulatedModel, kind: str) -> JSON:
        name = model.model_id if model.wire == "openai" else model.model_id.removeprefix("mistral.").removesuffix(
            "-v1:0")
        return {"id": new_id(), "object": kind, "created": int(time.time()), "model": name}

    def sync_body(self, prompt: Prompt, gen: Generation, model: EmulatedModel) -> JSON:
        reason = "finish_reason" if model.wire == "openai" else "stop_reason"
        return {**self._envelope(model, "chat.completion"), "choices": [{
            "index": 0, "message": {"role": "assistant", "content": gen.text, "tool_calls": None},
            reason: REASON[gen.stop]}], "usage": usage(gen)}

    def frames(self, prompt: Prompt, gen: Generation, model: EmulatedModel,
               answer: list[str], thinking: list[str]) -> list[Frame]:
        head = self._envelope(model, "chat.completion.chunk")
        if model.wire == "openai":
            frames = [Frame({**head, "choices": [{"index": 0, "delta": {"role": "assistant", "content": p}
                                                  if i == 0 else {"content": p}, "finish_reason": None}]}, count(p))
                      for i, p in enumerate(answer)]
            frames.append(Frame({**head, "choices": [{"index": 0, "delta": {}, "finish_reason": REASON[gen.stop]}],
                                 "usage": usage(gen)}))
            return frames
        frames = [Frame({**head, "choices": [{"index": 0, "message": {
            "role": "assistant" if i == 0 else None, "content": p}, "stop_reason": None}]}, count(p))
            for i, p in enumerate(answer)]
        frames.append(Frame({**head, "choices": [{"index": 0, "message": {"role": None, "content": ""},
                                                  "stop_reason": REASON[gen.stop]}], "usage": usage(gen)}))
        return frames
