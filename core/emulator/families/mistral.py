"""Mistral AI: `[INST]` prompt models (`outputs`), and the chat-shaped Mistral Large 2407 (`choices`)."""

from __future__ import annotations

import time

from ..errors import validation
from ..models import EmulatedModel
from ..schema import Field
from ..textgen import Generation
from .base import JSON, Frame, Prompt, Turn, block_text, count, new_id, parse_chat_template, render_input, require


def _reason(gen: Generation) -> str:
    return "length" if gen.stop == "max_tokens" else "stop"


class MistralPrompt:
    def parse(self, body: JSON, model: EmulatedModel) -> Prompt:
        require(body, {
            "prompt": Field("string", required=True),
            "max_tokens": Field("integer", minimum=1, maximum=model.max_output_tokens),
            "stop": Field("array", items="string", max_items=10),
            "temperature": Field("number", minimum=0, maximum=1),
            "top_p": Field("number", minimum=0, maximum=1),
            "top_k": Field("integer", minimum=0, maximum=200),
        })
        system, turns = parse_chat_template(body["prompt"])
        return Prompt(turns, system, body.get("max_tokens", model.default_max_tokens), body["prompt"],
                      tuple(body.get("stop", ())))

    def sync_body(self, prompt: Prompt, gen: Generation, model: EmulatedModel) -> JSON:
        return {"outputs": [{"text": gen.text, "stop_reason": _reason(gen)}]}

    def frames(self, prompt: Prompt, gen: Generation, model: EmulatedModel,
               answer: list[str], thinking: list[str]) -> list[Frame]:
        frames = [Frame({"outputs": [{"text": p, "stop_reason": None}]}, count(p)) for p in answer]
        frames.append(Frame({"outputs": [{"text": "", "stop_reason": _reason(gen)}]}))
        return frames


def parse_openai_messages(messages: list[JSON]) -> tuple[str, tuple[Turn, ...]]:
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
        require(body, {
            "messages": Field("array", required=True),
            "max_tokens": Field("integer", minimum=1, maximum=model.max_output_tokens),
            "temperature": Field("number", minimum=0, maximum=1),
            "top_p": Field("number", minimum=0, maximum=1),
            "stop": Field("array", items="string", max_items=10),
            "tools": Field("array"),
            "tool_choice": Field("any"),
        })
        system, turns = parse_openai_messages(body["messages"])
        return Prompt(turns, system, body.get("max_tokens", model.default_max_tokens),
                      render_input(system, turns), tuple(body.get("stop", ())))

    def _envelope(self, model: EmulatedModel, kind: str) -> JSON:
        return {"id": new_id(), "object": kind, "created": int(time.time()),
                "model": model.model_id.removeprefix("mistral.").removesuffix("-v1:0")}

    def sync_body(self, prompt: Prompt, gen: Generation, model: EmulatedModel) -> JSON:
        return {**self._envelope(model, "chat.completion"), "choices": [{
            "index": 0, "message": {"role": "assistant", "content": gen.text, "tool_calls": None},
            "stop_reason": _reason(gen)}], "usage": usage(gen)}

    def frames(self, prompt: Prompt, gen: Generation, model: EmulatedModel,
               answer: list[str], thinking: list[str]) -> list[Frame]:
        head = self._envelope(model, "chat.completion.chunk")
        frames = [Frame({**head, "choices": [{"index": 0, "message": {
            "role": "assistant" if i == 0 else None, "content": p}, "stop_reason": None}]}, count(p))
            for i, p in enumerate(answer)]
        frames.append(Frame({**head, "choices": [{"index": 0, "message": {"role": None, "content": ""},
                                                  "stop_reason": _reason(gen)}], "usage": usage(gen)}))
        return frames
