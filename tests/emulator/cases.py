"""Test-side knowledge of every family's wire format, written from bedrock-wire.md and not shared
with the emulator, so the tests check the emulator against the reference rather than against itself."""

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


def inst_prompt(messages: Messages, system: str) -> str:
    out = ""
    for i in range(0, len(messages), 2):
        user = messages[i][1]
        if i == 0 and system:
            user = f"<<SYS>>\n{system}\n<</SYS>>\n\n{user}"
        out += f"<s>[INST] {user} [/INST]"
        if i + 1 < len(messages):
            out += f" {messages[i + 1][1]}</s>"
    return out


def transcript(messages: Messages, user: str, assistant: str, sep: str) -> str:
    return "".join(f"{sep}{user if r == 'user' else assistant} {t}" for r, t in messages)


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


def _openai(m: Messages, s: str, n: int) -> JSON:
    msgs = ([{"role": "system", "content": s}] if s else []) + [{"role": r, "content": t} for r, t in m]
    return {"messages": msgs, "max_tokens": n}


def _cohere_r(m: Messages, s: str, n: int) -> JSON:
    history = [{"role": "USER" if r == "user" else "CHATBOT", "message": t} for r, t in m[:-1]]
    body: JSON = {"message": m[-1][1], "chat_history": history, "max_tokens": n}
    if s:
        body["preamble"] = s
    return body


CASES = [
    Case("anthropic-messages", "anthropic.claude-3-haiku-20240307-v1:0", _claude_msgs,
         lambda b: "".join(c["text"] for c in b["content"] if c["type"] == "text"),
         lambda b: b["usage"]["output_tokens"], _claude_chunk,
         lambda cs: [c for c in cs if c["type"] == "message_delta"][-1]["usage"]["output_tokens"],
         lambda b: b["stop_reason"], "max_tokens"),
    Case("anthropic-text", "anthropic.claude-v2:1",
         lambda m, s, n: {"prompt": (s + transcript(m, "Human:", "Assistant:", "\n\n") + "\n\nAssistant:"),
                          "max_tokens_to_sample": n},
         lambda b: b["completion"], lambda b: None, lambda c: c["completion"],
         lambda cs: -1, lambda b: b["stop_reason"], "max_tokens"),
    Case("titan-text", "amazon.titan-text-express-v1",
         lambda m, s, n: {"inputText": transcript(m, "User:", "Bot:", "\n").strip() + "\nBot:",
                          "textGenerationConfig": {"maxTokenCount": n}},
         lambda b: b["results"][0]["outputText"], lambda b: b["results"][0]["tokenCount"],
         lambda c: c["outputText"], lambda cs: cs[-1]["totalOutputTextTokenCount"],
         lambda b: b["results"][0]["completionReason"], "LENGTH", system=False),
    Case("nova", "us.amazon.nova-lite-v1:0", _nova,
         lambda b: b["output"]["message"]["content"][0]["text"], lambda b: b["usage"]["outputTokens"],
         lambda c: c.get("contentBlockDelta", {}).get("delta", {}).get("text", ""),
         lambda cs: [c for c in cs if "metadata" in c][-1]["metadata"]["usage"]["outputTokens"],
         lambda b: b["stopReason"], "max_tokens"),
    Case("llama3", "meta.llama3-1-8b-instruct-v1:0",
         lambda m, s, n: {"prompt": llama3_prompt(m, s), "max_gen_len": n},
         lambda b: b["generation"], lambda b: b["generation_token_count"], lambda c: c["generation"],
         lambda cs: _last(cs, "generation_token_count"), lambda b: b["stop_reason"], "length"),
    Case("llama2", "meta.llama2-13b-chat-v1",
         lambda m, s, n: {"prompt": inst_prompt(m, s), "max_gen_len": n},
         lambda b: b["generation"], lambda b: b["generation_token_count"], lambda c: c["generation"],
         lambda cs: _last(cs, "generation_token_count"), lambda b: b["stop_reason"], "length"),
    Case("mistral-prompt", "mistral.mistral-7b-instruct-v0:2",
         lambda m, s, n: {"prompt": inst_prompt(m, s), "max_tokens": n},
         lambda b: b["outputs"][0]["text"], lambda b: None, lambda c: c["outputs"][0]["text"],
         lambda cs: -1, lambda b: b["outputs"][0]["stop_reason"], "length", system=False),
    Case("mistral-chat", "mistral.mistral-large-2407-v1:0", _openai,
         lambda b: b["choices"][0]["message"]["content"], lambda b: b["usage"]["completion_tokens"],
         lambda c: c["choices"][0]["message"]["content"] or "",
         lambda cs: cs[-1]["usage"]["completion_tokens"], lambda b: b["choices"][0]["stop_reason"], "length"),
    Case("cohere-r", "cohere.command-r-v1:0", _cohere_r,
         lambda b: b["text"], lambda b: b["meta"]["billed_units"]["output_tokens"],
         lambda c: c.get("text", "") if c.get("event_type") == "text-generation" else "",
         lambda cs: cs[-1]["response"]["meta"]["billed_units"]["output_tokens"],
         lambda b: b["finish_reason"], "MAX_TOKENS"),
    Case("cohere-command", "cohere.command-text-v14",
         lambda m, s, n: {"prompt": m[-1][1], "max_tokens": n},
         lambda b: b["generations"][0]["text"], lambda b: None, lambda c: c.get("text", ""),
         lambda cs: -1, lambda b: b["generations"][0]["finish_reason"], "MAX_TOKENS", system=False),
    Case("jamba", "ai21.jamba-1-5-mini-v1:0", _openai,
         lambda b: b["choices"][0]["message"]["content"], lambda b: b["usage"]["completion_tokens"],
         lambda c: c["choices"][0]["delta"].get("content", ""), lambda cs: cs[-1]["usage"]["completion_tokens"],
         lambda b: b["choices"][0]["finish_reason"], "length"),
    Case("jurassic2", "ai21.j2-mid-v1",
         lambda m, s, n: {"prompt": m[-1][1], "maxTokens": n},
         lambda b: b["completions"][0]["data"]["text"], lambda b: len(b["completions"][0]["data"]["tokens"]),
         lambda c: "", lambda cs: -1, lambda b: b["completions"][0]["finishReason"]["reason"], "length",
         system=False, streams=False),
]

STREAMING = [c for c in CASES if c.streams]
