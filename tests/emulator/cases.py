"""Test-side knowledge of every family's wire format, written from bedrock-wire.md, bedrock-2026.md and the
providers' Bedrock pages (not shared
with the emulator), so the tests check the emulator against the references rather than against itself."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Messages = list[tuple[str, str]]  # (role, text), roles "user" / "assistant"
JSON = dict[str, Any]


def llama3_prompt(messages: Messages, system: str) -> str:
    out = "<|begin_of_text|>"
    if system:
        out += f"<|start_header_id|>system<|end_header_id|>\n\n{system}<|eot_id|>"
    for role, text in messages:
        out += f"<|start_header_id|>{role}<|end_header_id|>\n\n{text}<|eot_id|>"
    return out + "<|start_header_id|>assistant<|end_header_id|>\n\n"


@dataclass(frozen=True)
class Case:
    family: str
    model_id: str
    build: Callable[[Messages, str, int], JSON]
    sync_text: Callable[[JSON], str]
    sync_tokens: Callable[[JSON], int | None]  # output tokens the body reports (None: only headers)
    chunk_text: Callable[[JSON], str]
    stream_tokens: Callable[[list[JSON]], int]  # output tokens the family's own chunk fields report
    stop_reason: Callable[[JSON], str]  # from a sync body
    length_reason: str  # the family's word for "hit max tokens"
    system: bool = True
    streams: bool = True
    name: str = ""  # the test id, when a family has two cases

    @property
    def id(self) -> str:
        return self.name or self.family


def _claude_msgs(m: Messages, s: str, n: int) -> JSON:
    body: JSON = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": n,
                  "messages": [{"role": r, "content": [{"type": "text", "text": t}]} for r, t in m]}
    if s:
        body["system"] = s
    return body


def _claude_chunk(c: JSON) -> str:
    if c.get("type") == "content_block_delta" and c["delta"].get("type") == "text_delta":
        return str(c["delta"]["text"])
    return ""


def _last(chunks: list[JSON], key: str) -> Any:
    return [c for c in chunks if c.get(key) is not None][-1][key]


def _nova(m: Messages, s: str, n: int) -> JSON:
    body: JSON = {"schemaVersion": "messages-v1", "messages": [{"role": r, "content": [{"text": t}]} for r, t in m],
                  "inferenceConfig": {"max_new_tokens": n}}
    if s:
        body["system"] = [{"text": s}]
    return body


def _nova2(m: Messages, s: str, n: int) -> JSON:
    """Nova 2 as its user guide writes the body: no schemaVersion, camelCase `maxTokens`."""
    body: JSON = {"messages": [{"role": r, "content": [{"text": t}]} for r, t in m],
                  "inferenceConfig": {"maxTokens": n}}
    if s:
        body["system"] = [{"text": s}]
    return body


def _nova_text(b: JSON) -> str:
    return "".join(c["text"] for c in b["output"]["message"]["content"] if "text" in c)


def _openai(m: Messages, s: str, n: int) -> JSON:
    msgs = ([{"role": "system", "content": s}] if s else []) + [{"role": r, "content": t} for r, t in m]
    return {"messages": msgs, "max_tokens": n}


def _chat_completions(m: Messages, s: str, n: int) -> JSON:
    """OpenAI Chat Completions: the system prompt as a `developer` message, `max_completion_tokens`."""
    msgs = ([{"role": "developer", "content": s}] if s else []) + [{"role": r, "content": t} for r, t in m]
    return {"messages": msgs, "max_completion_tokens": n}


def _writer(m: Messages, s: str, n: int) -> JSON:
    """Writer Palmyra as AWS's example writes it: `content` as a `{"text": ...}` object."""
    msgs = ([{"role": "system", "content": {"text": s}}] if s else []) + [
        {"role": r, "content": {"text": t}} for r, t in m]
    return {"messages": msgs, "max_tokens": n}


def deepseek_prompt(m: Messages, s: str) -> str:
    turns = "".join(f"<｜User｜>{t}" if r == "user" else f"<｜Assistant｜>{t}<｜end▁of▁sentence｜>" for r, t in m)
    return f"<｜begin▁of▁sentence｜>{s}{turns}<｜Assistant｜>"


def _cohere_r(m: Messages, s: str, n: int) -> JSON:
    history = [{"role": "USER" if r == "user" else "CHATBOT", "message": t} for r, t in m[:-1]]
    body: JSON = {"message": m[-1][1], "chat_history": history, "max_tokens": n}
    if s:
        body["preamble"] = s
    return body


def _delta(c: JSON) -> str:
    return str(c["choices"][0]["delta"].get("content") or "") if c.get("choices") else ""


CASES = [
    Case("anthropic-messages", "us.anthropic.claude-haiku-4-5-20251001-v1:0", _claude_msgs,
         lambda b: "".join(c["text"] for c in b["content"] if c["type"] == "text"),
         lambda b: b["usage"]["output_tokens"], _claude_chunk,
         lambda cs: [c for c in cs if c["type"] == "message_delta"][-1]["usage"]["output_tokens"],
         lambda b: b["stop_reason"], "max_tokens"),
    Case("nova", "us.amazon.nova-lite-v1:0", _nova,
         _nova_text, lambda b: b["usage"]["outputTokens"],
         lambda c: c.get("contentBlockDelta", {}).get("delta", {}).get("text", ""),
         lambda cs: [c for c in cs if "metadata" in c][-1]["metadata"]["usage"]["outputTokens"],
         lambda b: b["stopReason"], "max_tokens"),
    Case("nova", "global.amazon.nova-2-lite-v1:0", _nova2,
         _nova_text, lambda b: b["usage"]["outputTokens"],
         lambda c: c.get("contentBlockDelta", {}).get("delta", {}).get("text", ""),
         lambda cs: [c for c in cs if "metadata" in c][-1]["metadata"]["usage"]["outputTokens"],
         lambda b: b["stopReason"], "max_tokens", name="nova-2"),
    Case("llama3", "meta.llama3-1-8b-instruct-v1:0",
         lambda m, s, n: {"prompt": llama3_prompt(m, s), "max_gen_len": n},
         lambda b: b["generation"], lambda b: b["generation_token_count"], lambda c: c["generation"],
         lambda cs: _last(cs, "generation_token_count"), lambda b: b["stop_reason"], "length"),
    Case("llama3", "us.meta.llama4-scout-17b-instruct-v1:0",
         lambda m, s, n: {"prompt": llama3_prompt(m, s), "max_gen_len": n},
         lambda b: b["generation"], lambda b: b["generation_token_count"], lambda c: c["generation"],
         lambda cs: _last(cs, "generation_token_count"), lambda b: b["stop_reason"], "length", name="llama4"),
    Case("mistral-chat", "mistral.mistral-large-2407-v1:0", _openai,
         lambda b: b["choices"][0]["message"]["content"], lambda b: b["usage"]["completion_tokens"],
         lambda c: c["choices"][0]["message"]["content"] or "",
         lambda cs: cs[-1]["usage"]["completion_tokens"], lambda b: b["choices"][0]["stop_reason"], "length"),
    Case("mistral-chat", "mistral.mistral-large-3-675b-instruct", _openai,
         lambda b: b["choices"][0]["message"]["content"], lambda b: b["usage"]["completion_tokens"], _delta,
         lambda cs: cs[-1]["usage"]["completion_tokens"], lambda b: b["choices"][0]["finish_reason"], "length",
         name="mistral-large-3"),
    Case("cohere-r", "cohere.command-r-v1:0", _cohere_r,
         lambda b: b["text"], lambda b: b["meta"]["billed_units"]["output_tokens"],
         lambda c: c.get("text", "") if c.get("event_type") == "text-generation" else "",
         lambda cs: cs[-1]["response"]["meta"]["billed_units"]["output_tokens"],
         lambda b: b["finish_reason"], "MAX_TOKENS"),
    Case("openai-chat", "qwen.qwen3-32b-v1:0", _chat_completions,
         lambda b: b["choices"][0]["message"]["content"], lambda b: b["usage"]["completion_tokens"], _delta,
         lambda cs: cs[-1]["usage"]["completion_tokens"], lambda b: b["choices"][0]["finish_reason"], "length"),
    Case("openai-chat", "zai.glm-4.7", _chat_completions,
         lambda b: b["choices"][0]["message"]["content"], lambda b: b["usage"]["completion_tokens"], _delta,
         lambda cs: cs[-1]["usage"]["completion_tokens"], lambda b: b["choices"][0]["finish_reason"], "length",
         name="glm"),
    Case("deepseek", "deepseek.v3-v1:0",
         lambda m, s, n: {"prompt": deepseek_prompt(m, s), "max_tokens": n},
         lambda b: b["choices"][0]["text"], lambda b: None, lambda c: c["choices"][0]["text"],
         lambda cs: -1, lambda b: b["choices"][0]["stop_reason"], "length"),
    Case("writer", "us.writer.palmyra-x5-v1:0", _writer,
         lambda b: b["choices"][0]["message"]["content"], lambda b: b["usage"]["completion_tokens"], _delta,
         lambda cs: cs[-1]["usage"]["completion_tokens"], lambda b: b["choices"][0]["finish_reason"], "length"),
    Case("jurassic2", "ai21.j2-mid-v1",
         lambda m, s, n: {"prompt": m[-1][1], "maxTokens": n},
         lambda b: b["completions"][0]["data"]["text"], lambda b: len(b["completions"][0]["data"]["tokens"]),
         lambda c: "", lambda cs: -1, lambda b: b["completions"][0]["finishReason"]["reason"], "length",
         system=False, streams=False),
]

STREAMING = [c for c in CASES if c.streams]
