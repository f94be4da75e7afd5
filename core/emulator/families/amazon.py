"""Amazon Nova (`messages-v1`): Converse-like `messages`, stream chunks wrapped by event name.

Nova 2 (AWS Nova 2 user guide, "Using the Invoke API" and "Request and response schema"): `inferenceConfig`
takes `maxTokens`, `temperature`, `topP`, `topK`, `stopSequences` and `reasoningConfig: {"type": "enabled",
"maxReasoningEffort": "low" | "medium" | "high"}`; the first generation's `max_new_tokens`, `top_p` and
`top_k` are taken too (inferred: the guide calls the two schemas nearly identical). Nova 2 Lite redacts its
reasoning: the block reads "[REDACTED]" and is billed ("Reasoning capabilities").

Prompt caching: `cachePoint` blocks in `system` and `messages`, as through Converse (the aws-samples Nova prompt
caching notebook uses both APIs); `usage` then counts `cacheReadInputTokenCount` / `cacheWriteInputTokenCount`,
`inputTokens` being the uncached rest.
"""

from __future__ import annotations

from typing import Any

from .. import rules
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
    cache_points,
    check_alternation,
    converse_blocks,
    count,
    render_input,
    require,
)

ALTERNATE = ("A conversation must alternate between user and assistant roles. Make sure the conversation "
             "alternates between user and assistant roles and try again.")
REDACTED = "[REDACTED]"
REASON = {"end": "end_turn", "max_tokens": "max_tokens", "stop_sequence": "end_turn",
          "context_window": "max_tokens", "refusal": "content_filtered", "pause_turn": "end_turn"}


def _first(settings: JSON, *names: str) -> Any:
    return next((settings[n] for n in names if n in settings), None)


class Nova:
    def _config(self, model: EmulatedModel) -> dict[str, Field]:
        out = model.max_output_tokens
        config = {
            "max_new_tokens": Field("integer", minimum=1, maximum=out),
            "temperature": Field("number", minimum=0, maximum=1),
            "top_p": Field("number", minimum=0, maximum=1),
            "top_k": Field("integer", minimum=0, maximum=128),
            "stopSequences": Field("array", items="string", max_items=4),
        }
        if model.wire == "nova2":
            config |= {"maxTokens": Field("integer", minimum=1, maximum=out),
                       "topP": Field("number", minimum=0, maximum=1),
                       "topK": Field("integer", minimum=0, maximum=128),
                       "reasoningConfig": Field("object")}
        return config

    def parse(self, body: JSON, model: EmulatedModel) -> Prompt:
        require(body, {
            "schemaVersion": Field("string", enum=("messages-v1",)),
            "system": Field("array"),
            "messages": Field("array", required=True),
            "inferenceConfig": Field("object", fields=self._config(model)),
            "toolConfig": Field("object"),
        })
        turns = tuple(Turn(m.get("role", ""), block_text(m.get("content"))) for m in body["messages"])
        if not turns or turns[0].role != "user":
            raise validation("A conversation must start with a user message. Try again with a conversation "
                             "that starts with a user message.")
        if any(t.role not in ("user", "assistant") for t in turns):
            raise validation("Invalid role in messages: roles must be 'user' or 'assistant'.")
        check_alternation(turns, ALTERNATE)
        system = block_text(body.get("system", []))
        settings = body.get("inferenceConfig", {})
        max_set = _first(settings, "maxTokens", "max_new_tokens")
        max_tokens = max_set if max_set is not None else model.default_max_tokens
        asked = rules.Asked(max_tokens=max_tokens, temperature=settings.get("temperature"),
                            top_p=_first(settings, "topP", "top_p"), top_k=_first(settings, "topK", "top_k"),
                            max_tokens_set=max_set is not None, reasoning_config=settings.get("reasoningConfig"))
        reasoning = rules.decide(model, asked, "invoke")
        input_text = render_input(system, turns)
        points = cache_points(model, converse_blocks(body.get("system", []), "system"),
                              [(m.get("role", ""), converse_blocks(m.get("content"), f"messages.{i}.member.content"))
                               for i, m in enumerate(body["messages"])], input_text)
        return Prompt(turns, system, max_tokens, input_text, tuple(settings.get("stopSequences", ())),
                      reasoning.budget, display=reasoning.display, cache_points=points)

    def _usage(self, gen: Generation, prompt: Prompt) -> JSON:
        cache = prompt.cache
        read, written = (cache.read_tokens, cache.write_tokens) if cache is not None else (0, 0)
        return {"inputTokens": gen.input_tokens, "outputTokens": gen.output_tokens,
                "totalTokens": gen.input_tokens + read + written + gen.output_tokens,
                "cacheReadInputTokenCount": read, "cacheWriteInputTokenCount": written}

    def sync_body(self, prompt: Prompt, gen: Generation, model: EmulatedModel) -> JSON:
        content: list[JSON] = []
        if gen.thinking_tokens:
            content.append({"reasoningContent": {"reasoningText": {"text": REDACTED}}})
        content.append({"text": gen.text})
        return {"output": {"message": {"role": "assistant", "content": content}},
                "stopReason": REASON[gen.stop], "usage": self._usage(gen, prompt)}

    def frames(self, prompt: Prompt, gen: Generation, model: EmulatedModel,
               answer: list[str], thinking: list[str]) -> list[Frame]:
        frames = [Frame({"messageStart": {"role": "assistant"}})]
        index = 0
        if gen.thinking_tokens:
            frames.append(Frame({"contentBlockDelta": {"delta": {"reasoningContent": {"text": REDACTED}},
                                                       "contentBlockIndex": 0}},
                                len(gen.thinking_tokens), hidden=True))
            frames.append(Frame({"contentBlockStop": {"contentBlockIndex": 0}}))
            index = 1
        frames += [Frame({"contentBlockDelta": {"delta": {"text": p}, "contentBlockIndex": index}}, count(p))
                   for p in answer]
        usage = self._usage(gen, prompt)
        del usage["totalTokens"]
        frames += [Frame({"contentBlockStop": {"contentBlockIndex": index}}),
                   Frame({"messageStop": {"stopReason": REASON[gen.stop]}}),
                   Frame({"metadata": {"usage": usage, "metrics": {}, "trace": {}}})]
        return frames
