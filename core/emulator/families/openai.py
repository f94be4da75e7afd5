"""OpenAI Chat Completions on InvokeModel: gpt-oss, Qwen3 and GLM (AWS "OpenAI models" parameters page).

The body is a Create chat completion request; `model` and `stream` may be left out, and when present must
match the URL's model and the operation (`stream` false on InvokeModel). The answer is a `chat.completion`
(stream: `chat.completion.chunk` objects). gpt-oss puts its reasoning inside `content`, wrapped in
`<reasoning>...</reasoning>`, before the answer ("If you use InvokeModel, the model reasoning (surrounded by
<reasoning> tags) will precede the text content"). In a stream each reasoning chunk carries its own pair of
tags, as a raw Bedrock capture shows (CherryHQ/cherry-studio#10225); its envelope (`id`, `created`, `model`,
`service_tier`, `system_fingerprint`, a first chunk with only the role) follows that capture too.
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

ROLES = ("system", "developer", "user", "assistant", "tool")
FINISH = {"end": "stop", "max_tokens": "length", "stop_sequence": "stop", "context_window": "length",
          "refusal": "content_filter", "pause_turn": "stop"}
TAG = "reasoning"


def chat_messages(messages: list[Any], roles: tuple[str, ...] = ROLES) -> tuple[str, tuple[Turn, ...]]:
    """(system, turns) from Chat Completions messages; `developer` counts as system, as Converse maps it."""
    system, turns = [], []
    for message in messages:
        role = message.get("role") if isinstance(message, dict) else None
        if role not in roles:
            listed = ", ".join(f"'{r}'" for r in roles[:-1]) + f", and '{roles[-1]}'"
            raise validation(f"Invalid value: '{role}'. Supported values are: {listed}.")
        content = message.get("content")
        text = content.get("text", "") if isinstance(content, dict) else block_text(content)
        if role in ("system", "developer"):
            system.append(text)
        else:
            turns.append(Turn("assistant" if role == "assistant" else "user", text))
    if not turns:
        raise validation("messages: at least one user message is required")
    return "\n".join(system), tuple(turns)


def stops(value: Any) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value or ())


def usage(gen: Generation) -> JSON:
    return {"prompt_tokens": gen.input_tokens, "completion_tokens": gen.output_tokens,
            "total_tokens": gen.input_tokens + gen.output_tokens}


def tagged(thinking: str, tag: str = TAG) -> str:
    return f"<{tag}>{thinking}</{tag}>" if thinking else ""


class OpenAIChat:
    def parse(self, body: JSON, model: EmulatedModel) -> Prompt:
        out = model.max_output_tokens
        require(body, {
            "messages": Field("array", required=True),
            "model": Field("string"), "stream": Field("boolean"),
            "max_completion_tokens": Field("integer", minimum=1, maximum=out),
            "max_tokens": Field("integer", minimum=1, maximum=out),
            "temperature": Field("number", minimum=0, maximum=2),
            "top_p": Field("number", minimum=0, maximum=1),
            "stop": Field("any"), "reasoning_effort": Field("string"), "reasoning": Field("object"),
            "n": Field("integer", minimum=1, maximum=1), "seed": Field("integer"),
            "frequency_penalty": Field("number", minimum=-2, maximum=2),
            "presence_penalty": Field("number", minimum=-2, maximum=2),
            "tools": Field("array"), "tool_choice": Field("any"), "response_format": Field("object"),
            "stream_options": Field("object"), "user": Field("string"), "logprobs": Field("boolean"),
            "top_logprobs": Field("integer"), "parallel_tool_calls": Field("boolean"),
        })
        if body.get("model", model.model_id) != model.model_id:
            raise validation(f"The model '{body['model']}' in the request body does not match the model ID in the "
                             f"URL ({model.model_id}). Leave `model` out, or make it match.")
        if body.get("stream"):
            raise validation("`stream` must be false (or left out) for InvokeModel; use "
                             "InvokeModelWithResponseStream to stream.")
        system, turns = chat_messages(body["messages"])
        chosen = body.get("max_completion_tokens", body.get("max_tokens"))
        max_tokens = chosen if chosen is not None else model.default_max_tokens
        asked = rules.Asked(max_tokens=max_tokens, temperature=body.get("temperature"), top_p=body.get("top_p"),
                            max_tokens_set=chosen is not None,
                            effort=rules.openai_effort(body, model, validation))
        reasoning = rules.decide(model, asked, "invoke")
        return Prompt(turns, system, max_tokens, render_input(system, turns), stops(body.get("stop")),
                      reasoning.budget)

    def _envelope(self, model: EmulatedModel, kind: str) -> JSON:
        return {"id": new_id("chatcmpl-"), "object": kind, "created": int(time.time()), "model": model.model_id,
                "service_tier": "standard", "system_fingerprint": "fp_" + new_id()[:10]}

    def sync_body(self, prompt: Prompt, gen: Generation, model: EmulatedModel) -> JSON:
        return {**self._envelope(model, "chat.completion"), "choices": [{
            "index": 0, "message": {"role": "assistant", "content": tagged(gen.thinking) + gen.text},
            "finish_reason": FINISH[gen.stop]}], "usage": usage(gen)}

    def frames(self, prompt: Prompt, gen: Generation, model: EmulatedModel,
               answer: list[str], thinking: list[str]) -> list[Frame]:
        head = self._envelope(model, "chat.completion.chunk")

        def chunk(delta: JSON, tokens: int = 0, **extra: Any) -> Frame:
            return Frame({**head, "choices": [{"delta": delta, "index": 0, **extra}]}, tokens)

        frames = [chunk({"role": "assistant"})]
        frames += [chunk({"content": tagged(p)}, count(p)) for p in thinking]
        frames += [chunk({"content": p}, count(p)) for p in answer]
        frames.append(Frame({**head, "choices": [{"delta": {}, "finish_reason": FINISH[gen.stop], "index": 0}],
                             "usage": usage(gen)}))
        return frames
