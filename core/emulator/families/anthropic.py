"""Anthropic on Bedrock: the Messages API (Claude 3 and later) and legacy Text Completions (Claude 2)."""

from __future__ import annotations

import base64
import re

from ..errors import validation
from ..models import EmulatedModel
from ..schema import Field
from ..textgen import Generation
from .base import (
    JSON,
    Frame,
    Prompt,
    Turn,
    block_text,
    check_alternation,
    count,
    new_id,
    render_input,
    require,
    split_turns,
)

_STOP = {"end": "end_turn", "max_tokens": "max_tokens", "stop_sequence": "stop_sequence"}


def short_name(model: EmulatedModel) -> str:
    """`anthropic.claude-3-haiku-20240307-v1:0` -> `claude-3-haiku-20240307`, as Claude names itself."""
    return re.sub(r"-v\d+(:\d+)?$", "", model.model_id.removeprefix("anthropic."))


def thinking_signature(text: str) -> str:
    """An opaque stand-in for the signature Claude attaches to its thinking."""
    return base64.b64encode(("emulated-signature:" + str(len(text))).encode()).decode()


class Messages:
    def spec(self, model: EmulatedModel) -> dict[str, Field]:
        spec = {
            "anthropic_version": Field("string", required=True, enum=("bedrock-2023-05-31",)),
            "anthropic_beta": Field("array", items="string"),
            "max_tokens": Field("integer", required=True, minimum=1),
            "messages": Field("array", required=True),
            "system": Field("any"),
            "temperature": Field("number", minimum=0, maximum=1),
            "top_p": Field("number", minimum=0, maximum=1),
            "top_k": Field("integer", minimum=0, maximum=500),
            "stop_sequences": Field("array", items="string", max_items=8191),
            "tools": Field("array"),
            "tool_choice": Field("object"),
            "metadata": Field("object"),
        }
        if model.thinking:
            spec["thinking"] = Field("object")
        return spec

    def parse(self, body: JSON, model: EmulatedModel) -> Prompt:
        require(body, self.spec(model))
        max_tokens = body["max_tokens"]
        if max_tokens > model.max_output_tokens:
            raise validation(f"max_tokens: {max_tokens} > {model.max_output_tokens}, which is the maximum "
                             f"allowed number of output tokens for {short_name(model)}")
        turns = []
        for i, message in enumerate(body["messages"]):
            role = message.get("role") if isinstance(message, dict) else None
            if role not in ("user", "assistant"):
                raise validation(f"messages.{i}.role: Input should be 'user' or 'assistant'")
            text = block_text(message.get("content"))
            last = i == len(body["messages"]) - 1
            if not text.strip() and not (last and role == "assistant"):
                raise validation(f"messages.{i}: all messages must have non-empty content except for "
                                 "the optional final assistant message")
            turns.append(Turn(role, text))
        if not turns:
            raise validation("messages: at least one message is required")
        if turns[0].role != "user":
            raise validation('messages: first message must use the "user" role')
        check_alternation(tuple(turns))
        budget = self._thinking_budget(body, max_tokens)
        system = block_text(body.get("system", ""))
        return Prompt(tuple(turns), system, max_tokens, render_input(system, tuple(turns)),
                      tuple(body.get("stop_sequences", ())), budget)

    @staticmethod
    def _thinking_budget(body: JSON, max_tokens: int) -> int | None:
        thinking = body.get("thinking")
        if not thinking or thinking.get("type") != "enabled":
            return None
        budget = thinking.get("budget_tokens")
        if not isinstance(budget, int) or budget < 1024:
            raise validation("thinking.enabled.budget_tokens: Input should be greater than or equal to 1024")
        if max_tokens <= budget:
            raise validation("`max_tokens` must be greater than `thinking.budget_tokens`")
        if body.get("temperature", 1) != 1:
            raise validation("`temperature` may only be set to 1 when thinking is enabled.")
        return budget

    def _message(self, model: EmulatedModel) -> JSON:
        return {"id": new_id("msg_bdrk_"), "type": "message", "role": "assistant", "model": short_name(model)}

    def sync_body(self, prompt: Prompt, gen: Generation, model: EmulatedModel) -> JSON:
        content: list[JSON] = []
        if gen.thinking_tokens:
            content.append({"type": "thinking", "thinking": gen.thinking,
                            "signature": thinking_signature(gen.thinking)})
        content.append({"type": "text", "text": gen.text})
        return {
            **self._message(model), "content": content, "stop_reason": _STOP[gen.stop],
            "stop_sequence": gen.stop_sequence,
            "usage": {"input_tokens": gen.input_tokens, "output_tokens": gen.output_tokens},
        }

    def frames(self, prompt: Prompt, gen: Generation, model: EmulatedModel,
               answer: list[str], thinking: list[str]) -> list[Frame]:
        start = {**self._message(model), "content": [], "stop_reason": None, "stop_sequence": None,
                 "usage": {"input_tokens": gen.input_tokens, "output_tokens": 1}}
        frames = [Frame({"type": "message_start", "message": start})]
        index = 0
        if thinking:
            frames.append(Frame({"type": "content_block_start", "index": 0,
                                 "content_block": {"type": "thinking", "thinking": ""}}))
            frames += [Frame({"type": "content_block_delta", "index": 0,
                              "delta": {"type": "thinking_delta", "thinking": piece}}, count(piece))
                       for piece in thinking]
            frames.append(Frame({"type": "content_block_delta", "index": 0,
                                 "delta": {"type": "signature_delta", "signature": thinking_signature(gen.thinking)}}))
            frames.append(Frame({"type": "content_block_stop", "index": 0}))
            index = 1
        frames.append(Frame({"type": "content_block_start", "index": index,
                             "content_block": {"type": "text", "text": ""}}))
        frames += [Frame({"type": "content_block_delta", "index": index,
                          "delta": {"type": "text_delta", "text": piece}}, count(piece)) for piece in answer]
        frames.append(Frame({"type": "content_block_stop", "index": index}))
        frames.append(Frame({"type": "message_delta",
                             "delta": {"stop_reason": _STOP[gen.stop], "stop_sequence": gen.stop_sequence},
                             "usage": {"output_tokens": gen.output_tokens}}))
        frames.append(Frame({"type": "message_stop"}))
        return frames


class TextCompletions:
    HUMAN, ASSISTANT = "\n\nHuman:", "\n\nAssistant:"

    def parse(self, body: JSON, model: EmulatedModel) -> Prompt:
        require(body, {
            "prompt": Field("string", required=True),
            "max_tokens_to_sample": Field("integer", required=True, minimum=1, maximum=model.max_output_tokens),
            "temperature": Field("number", minimum=0, maximum=1),
            "top_p": Field("number", minimum=0, maximum=1),
            "top_k": Field("integer", minimum=0, maximum=500),
            "stop_sequences": Field("array", items="string"),
            "anthropic_version": Field("string"),
        })
        prompt = body["prompt"]
        if self.HUMAN not in prompt:
            raise validation('prompt must start with "\n\nHuman:" turn after an optional system prompt')
        if not prompt.rstrip().endswith(self.ASSISTANT.strip()):
            raise validation('prompt must end with "\n\nAssistant:" turn')
        system, turns = split_turns(prompt, "Human:", "Assistant:")
        return Prompt(turns, system, body["max_tokens_to_sample"], prompt,
                      tuple(body.get("stop_sequences", ())))

    def _stop(self, gen: Generation) -> tuple[str, str | None]:
        if gen.stop == "max_tokens":
            return "max_tokens", None
        return "stop_sequence", gen.stop_sequence or self.HUMAN

    def sync_body(self, prompt: Prompt, gen: Generation, model: EmulatedModel) -> JSON:
        reason, stop = self._stop(gen)
        return {"type": "completion", "completion": gen.text, "stop_reason": reason, "stop": stop}

    def frames(self, prompt: Prompt, gen: Generation, model: EmulatedModel,
               answer: list[str], thinking: list[str]) -> list[Frame]:
        reason, stop = self._stop(gen)
        frames = [Frame({"type": "completion", "completion": p, "stop_reason": None, "stop": None}, count(p))
                  for p in answer]
        frames.append(Frame({"type": "completion", "completion": "", "stop_reason": reason, "stop": stop}))
        return frames

