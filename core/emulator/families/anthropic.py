"""Anthropic Messages on Bedrock (Claude 4.x; the Claude 3 ids are end of life but share the format).

Reasoning (Anthropic's "Adaptive thinking", "Effort" and "Streaming" pages, mirrored in gpambrozio/ClaudeDocs):
`thinking: {type: enabled, budget_tokens}` up to Claude 4.5 (still accepted on 4.6), `thinking: {type: adaptive}`
with `output_config.effort` from 4.6 on. A thinking block streams `thinking_delta` events, then one
`signature_delta` just before `content_block_stop`; with `display: "omitted"` (the default from Opus 4.7 on)
there are no thinking deltas, only the signature, after the silence the thinking takes.

`anthropic_version`: Bedrock's `bedrock-2023-05-31`, or a dated `YYYY-MM-DD` version, which is what Anthropic's
SDK puts in the body (anthropic 2.15.0: `ANTHROPIC_API_VERSION = "2026-10-21"`, set in `lib/bedrock/_client.py`).
Anything else gets the text boto/boto3#4218 shows: "Invalid API version: <value>".

Prompt caching (Anthropic's "Prompt caching"): `cache_control: {"type": "ephemeral", "ttl"?: "5m" | "1h"}` on a
system or message content block marks a cache point after that block (caching.py). `usage` then carries
`cache_creation_input_tokens`, `cache_read_input_tokens` and `cache_creation` by TTL beside `input_tokens`, the
uncached rest, in the sync body, in `message_start` and, as Bedrock adds them, in `message_stop` (BerriAI/
litellm#36878: "Bedrock reports cache_read_input_tokens/cache_creation_input_tokens on message_stop.usage").
"""

from __future__ import annotations

import base64
import re
from typing import Any

from .. import rules
from ..caching import TTLS, Mark
from ..errors import validation
from ..models import EmulatedModel
from ..schema import Field
from ..textgen import Generation
from .base import (
    JSON,
    Block,
    Frame,
    Prompt,
    Turn,
    block_text,
    cache_points,
    check_alternation,
    count,
    new_id,
    render_input,
    require,
)

STOP = {"end": "end_turn", "max_tokens": "max_tokens", "stop_sequence": "stop_sequence",
        "context_window": "model_context_window_exceeded", "refusal": "refusal", "pause_turn": "pause_turn"}
VERSIONS = ("bedrock-2023-05-31",)
_DATED = re.compile(r"\d{4}-\d{2}-\d{2}")
# Anthropic's example of a refusal (ClaudeDocs "Refusals and fallback"); the category is the emulator's pick.
REFUSAL = {"type": "refusal", "category": "cyber",
           "explanation": "This request was declined because it could enable cyber harm."}


def short_name(model: EmulatedModel) -> str:
    """`anthropic.claude-haiku-4-5-20251001-v1:0` -> `claude-haiku-4-5-20251001`, as Claude names itself."""
    return re.sub(r"-v\d+(:\d+)?$", "", model.model_id.removeprefix("anthropic."))


def thinking_signature(text: str) -> str:
    """An opaque stand-in for the signature Claude attaches to its thinking."""
    return base64.b64encode(("emulated-signature:" + str(len(text))).encode()).decode()


def check_version(version: str) -> None:
    if version not in VERSIONS and not _DATED.fullmatch(version):
        raise validation(f"Invalid API version: {version}")


def _blocks(content: Any, where: str) -> list[Block]:
    """Text blocks and the cache points their `cache_control` marks (after the block it sits on)."""
    if not isinstance(content, list):
        return [content] if isinstance(content, str) else []
    out: list[Block] = []
    for i, block in enumerate(content):
        if not isinstance(block, dict):
            continue
        if isinstance(block.get("text"), str):
            out.append(block["text"])
        control = block.get("cache_control")
        if control is None:
            continue
        if not isinstance(control, dict) or control.get("type") != "ephemeral":
            raise validation(f"{where}.{i}.cache_control.type: Input should be 'ephemeral'")
        ttl = control.get("ttl", "5m")
        if ttl not in TTLS:
            raise validation(f"{where}.{i}.cache_control.ephemeral.ttl: Input should be '5m' or '1h'")
        out.append(Mark(ttl))
    return out


def _cache_usage(prompt: Prompt) -> JSON:
    cache = prompt.cache
    if cache is None:
        return {}
    return {"cache_creation_input_tokens": cache.write_tokens, "cache_read_input_tokens": cache.read_tokens,
            "cache_creation": {"ephemeral_5m_input_tokens": cache.write_5m_tokens,
                               "ephemeral_1h_input_tokens": cache.write_1h_tokens}}


def _effort(body: JSON) -> object:
    config = body.get("output_config")
    return config.get("effort") if isinstance(config, dict) else None


class Messages:
    def spec(self, model: EmulatedModel) -> dict[str, Field]:
        spec = {
            "anthropic_version": Field("string", required=True),
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
        if model.reasons:
            spec["thinking"] = Field("object")
        if model.rules.efforts:
            spec["output_config"] = Field("object")
        return spec

    def parse(self, body: JSON, model: EmulatedModel) -> Prompt:
        require(body, self.spec(model))
        check_version(body["anthropic_version"])
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
        asked = rules.Asked(max_tokens=max_tokens, temperature=body.get("temperature"), top_p=body.get("top_p"),
                            top_k=body.get("top_k"), max_tokens_set=True, thinking=body.get("thinking"),
                            effort=_effort(body), prefill=turns[-1].role == "assistant")
        reasoning = rules.decide(model, asked, "invoke")
        system = block_text(body.get("system", ""))
        input_text = render_input(system, tuple(turns))
        points = cache_points(model, _blocks(body.get("system", ""), "system"),
                              [(m["role"], _blocks(m.get("content"), f"messages.{i}.content"))
                               for i, m in enumerate(body["messages"])], input_text)
        return Prompt(tuple(turns), system, max_tokens, input_text, tuple(body.get("stop_sequences", ())),
                      reasoning.budget, display=reasoning.display, cache_points=points)

    def _message(self, model: EmulatedModel) -> JSON:
        return {"id": new_id("msg_bdrk_"), "type": "message", "role": "assistant", "model": short_name(model)}

    @staticmethod
    def _usage(gen: Generation, prompt: Prompt) -> JSON:
        usage: JSON = {"input_tokens": gen.input_tokens, **_cache_usage(prompt), "output_tokens": gen.output_tokens}
        if gen.thinking_tokens:  # what the billed output spent on reasoning, shown or not (ClaudeDocs "Pricing")
            usage["output_tokens_details"] = {"thinking_tokens": len(gen.thinking_tokens)}
        return usage

    def sync_body(self, prompt: Prompt, gen: Generation, model: EmulatedModel) -> JSON:
        content: list[JSON] = []
        if gen.thinking_tokens:
            shown = gen.thinking if prompt.display == "summarized" else ""
            content.append({"type": "thinking", "thinking": shown, "signature": thinking_signature(gen.thinking)})
        content.append({"type": "text", "text": gen.text})
        return {
            **self._message(model), "content": content, "stop_reason": STOP[gen.stop],
            "stop_sequence": gen.stop_sequence, "stop_details": REFUSAL if gen.stop == "refusal" else None,
            "usage": self._usage(gen, prompt),
        }

    def frames(self, prompt: Prompt, gen: Generation, model: EmulatedModel,
               answer: list[str], thinking: list[str]) -> list[Frame]:
        start = {**self._message(model), "content": [], "stop_reason": None, "stop_sequence": None,
                 "usage": {"input_tokens": gen.input_tokens, **_cache_usage(prompt), "output_tokens": 1}}
        frames = [Frame({"type": "message_start", "message": start})]
        index = 0
        if thinking:
            frames.append(Frame({"type": "content_block_start", "index": 0,
                                 "content_block": {"type": "thinking", "thinking": "", "signature": ""}}))
            signature = {"type": "content_block_delta", "index": 0,
                         "delta": {"type": "signature_delta", "signature": thinking_signature(gen.thinking)}}
            if prompt.display == "summarized":
                frames += [Frame({"type": "content_block_delta", "index": 0,
                                  "delta": {"type": "thinking_delta", "thinking": piece}}, count(piece))
                           for piece in thinking]
                frames.append(Frame(signature))
            else:  # omitted: the signature alone, once the unseen thinking is done
                frames.append(Frame(signature, len(gen.thinking_tokens), hidden=True))
            frames.append(Frame({"type": "content_block_stop", "index": 0}))
            index = 1
        frames.append(Frame({"type": "content_block_start", "index": index,
                             "content_block": {"type": "text", "text": ""}}))
        frames += [Frame({"type": "content_block_delta", "index": index,
                          "delta": {"type": "text_delta", "text": piece}}, count(piece)) for piece in answer]
        frames.append(Frame({"type": "content_block_stop", "index": index}))
        delta: JSON = {"stop_reason": STOP[gen.stop], "stop_sequence": gen.stop_sequence}
        if gen.stop == "refusal":
            delta["stop_details"] = REFUSAL
        frames.append(Frame({"type": "message_delta", "delta": delta,
                             "usage": {"output_tokens": gen.output_tokens}}))
        cache = _cache_usage(prompt)
        frames.append(Frame({"type": "message_stop", **({"usage": cache} if cache else {})}))
        return frames
