"""InvokeModel bodies of every model family: which family a model id belongs to, and shared helpers.

Each family module is pure: `build_request` turns a neutral `ChatRequest` into the family's own JSON
body, `parse_response` reads a sync body, `parse_chunk` turns one decoded stream chunk into events.
Nothing here does I/O.

    provider = provider_for("us.anthropic.claude-haiku-4-5-20251001-v1:0")
    body = provider.build_request(ChatRequest((Message("user", "Hi"),))).body
    events = events_from_chunk("anthropic-messages", json.loads(chunk["bytes"]))

Which family a model belongs to is the model table's word (`core/models.toml`, read by `core.catalog`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Protocol

from ..catalog import UnknownModelError, base_model_id, resolve, table
from ..types import (
    BuiltRequest,
    ChatRequest,
    Completion,
    Event,
    Message,
    Reasoning,
    ServerMetrics,
    Stop,
    TextDelta,
    Usage,
)

__all__ = ["FAMILIES", "Provider", "UnknownModelError", "base_model_id", "family_of", "provider_for", "provider_name"]

FAMILIES = tuple(table().families)  # the family rows of the model table (core/models.toml)


class Provider(Protocol):
    """One InvokeModel request/response family (a module, or an object such as `llama.LLAMA3`)."""

    @property
    def supports_system(self) -> bool: ...

    @property
    def supports_prefill(self) -> bool:
        """True only where a final assistant turn makes the model continue that text."""

    @property
    def streams(self) -> bool: ...

    def build_request(self, request: ChatRequest) -> BuiltRequest: ...

    def parse_response(self, body: Mapping[str, object]) -> Completion: ...

    def parse_chunk(self, payload: Mapping[str, object]) -> list[Event]: ...


def family_of(model_id: str) -> str:
    """The InvokeModel family of any model reference; UnknownModelError when the lab knows none for it."""
    model = resolve(model_id)
    if model.family is None:
        raise UnknownModelError(model_id, (
            f"The lab does not know the InvokeModel body of {model.base_id!r}: ask it through the Converse API, "
            "which every Bedrock text model takes"))
    return model.family.name


def provider_name(model_id: str) -> str:
    """The vendor as Bedrock names it ("Anthropic", "Meta", ...); never raises, for records of failed runs."""
    try:
        return resolve(model_id).vendor
    except UnknownModelError:
        return "unknown"


def converse_fields(provider: Provider | None, reasoning: Reasoning | None) -> dict[str, object]:
    """The Converse request members that carry a family's reasoning ask (empty for families without one)."""
    fields = getattr(provider, "converse_fields", None)
    return fields(reasoning) if fields is not None and reasoning is not None else {}


def provider_for(model_id: str) -> Provider:
    """The provider that builds and parses InvokeModel bodies for this model (or family name)."""
    families = table().families
    return (families[model_id] if model_id in families else families[family_of(model_id)]).provider


def events_from_chunk(family: str | Provider, payload: Mapping[str, object]) -> list[Event]:
    """The events in one decoded stream chunk, with Bedrock's own invocation metrics when it carries them."""
    return chunk_parser(provider_for(family) if isinstance(family, str) else family)(payload)


def chunk_parser(provider: Provider) -> Callable[[Mapping[str, object]], list[Event]]:
    """`events_from_chunk` for one provider, bound once (a stream reader calls it for every chunk)."""
    parse = provider.parse_chunk

    def parse_with_metrics(payload: Mapping[str, object]) -> list[Event]:
        events = parse(payload)
        metrics = payload.get("amazon-bedrock-invocationMetrics")  # on the last chunk only
        if metrics is not None and isinstance(metrics, dict):
            events.append(invocation_metrics(metrics))
        return events

    return parse_with_metrics


def invocation_metrics(metrics: Mapping[str, object]) -> ServerMetrics:
    """`amazon-bedrock-invocationMetrics` as a ServerMetrics event."""
    return ServerMetrics(
        first_byte_ms=as_float(metrics.get("firstByteLatency")),
        invocation_ms=as_float(metrics.get("invocationLatency")),
        input_tokens=as_int(metrics.get("inputTokenCount")),  # cached tokens are not in it
        output_tokens=as_int(metrics.get("outputTokenCount")),
        cache_read_tokens=as_int(metrics.get("cacheReadInputTokenCount")),
        cache_write_tokens=as_int(metrics.get("cacheWriteInputTokenCount")),
    )


# -- reading JSON that may not have the shape we hope for ------------------------------------


def dig(data: object, *path: str | int) -> object:
    """The value at a path of keys and list indexes, or None where the path does not exist."""
    for step in path:
        if isinstance(step, int) and isinstance(data, list) and -len(data) <= step < len(data):
            data = data[step]
        elif isinstance(step, str) and isinstance(data, dict):
            data = data.get(step)
        else:
            return None
    return data


def as_str(value: object) -> str:
    """The value if it is a string, else ""."""
    return value if isinstance(value, str) else ""


def as_int(value: object) -> int | None:
    """The value as a token count, or None when it is not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value)


def as_float(value: object) -> float | None:
    """The value as a float, or None when it is not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def as_list(value: object) -> list[object]:
    """The value if it is a list, else []."""
    return value if isinstance(value, list) else []


# -- events ----------------------------------------------------------------------------------


def text_events(text: object) -> list[Event]:
    """A TextDelta for non-empty answer text."""
    return [TextDelta(text)] if isinstance(text, str) and text else []


def usage_events(input_tokens: object = None, output_tokens: object = None, *, cache_read: object = None,
                 cache_write: object = None, reasoning: object = None) -> list[Event]:
    """A Usage event when the chunk reports at least one count."""
    usage = Usage(as_int(input_tokens), as_int(output_tokens), as_int(cache_read), as_int(cache_write),
                  as_int(reasoning))
    return [usage] if usage != Usage() else []


def stop_events(reason: object) -> list[Event]:
    """A Stop event when the chunk says why generation ended."""
    return [Stop(reason)] if isinstance(reason, str) and reason else []


# -- building requests -----------------------------------------------------------------------


def present(**fields: object) -> dict[str, object]:
    """The fields that are set: None and empty lists mean "the model's default" and stay out of the body."""
    return {key: value for key, value in fields.items() if value is not None and value != [] and value != ()}


def quoted(texts: tuple[str, ...] | list[str]) -> str:
    """Stop sequences as a note shows them, escapes and all ("\\n\\nHuman:")."""
    return ", ".join(json.dumps(t) for t in texts)


def stops(request: ChatRequest) -> list[str] | None:
    """The stop sequences as a JSON list, or None when there are none."""
    return list(request.stop_sequences) or None


def conversation(request: ChatRequest, label: str, *, system: bool, prefill: bool) -> tuple[list[Message], list[str]]:
    """The turns a family can take, and notes on what had to change to fit it.

    A family without a system prompt gets it at the start of the first user turn; a family that
    cannot continue a partial answer does not get a final assistant turn.
    """
    messages, notes = list(request.messages), []
    if messages and messages[-1].role == "assistant" and not prefill:
        messages.pop()
        notes.append(f"{label} cannot continue a partial answer: the final assistant turn was left out.")
    if not any(m.role == "user" for m in messages):
        raise ValueError("The conversation needs at least one user turn.")
    if request.system and not system:
        first = next(i for i, m in enumerate(messages) if m.role == "user")
        messages[first] = Message("user", f"{request.system}\n\n{messages[first].text}")
        notes.append(f"{label} takes no system prompt: it was put at the start of the first user turn.")
    return messages, notes


def transcript(messages: list[Message], user: str, assistant: str, sep: str) -> str:
    """A plain `User: ...` / `Assistant: ...` transcript that ends with the assistant's cue."""
    names = {"user": user, "assistant": assistant}
    return sep.join([f"{names[m.role]}: {m.text}" for m in messages] + [f"{assistant}:"])


def single_prompt(messages: list[Message], label: str) -> tuple[str, list[str]]:
    """The text of a lone user turn, or a whole conversation as a transcript, for families with one prompt."""
    if len(messages) == 1:
        return messages[0].text, []
    note = (f"{label} takes a single prompt: the {len(messages)}-turn conversation was written into it "
            "as a plain \"User:\" / \"Assistant:\" transcript.")
    return transcript(messages, "User", "Assistant", "\n"), [note]


def inst_prompt(messages: list[Message], *, between: str) -> str:
    """The `<s>[INST] user [/INST] answer` template shared by Llama 2 and Mistral's prompt models.

    `between` closes an answer and opens the next instruction (" </s><s>" for Llama 2, "</s>" for
    Mistral); consecutive turns of one role are joined, since the template needs them alternating.
    """
    turns: list[list[str]] = []  # [user, assistant?] pairs
    for m in messages:
        if m.role == "user":
            if turns and len(turns[-1]) == 1:
                turns[-1][0] += f"\n\n{m.text}"
            else:
                turns.append([m.text])
        elif not turns:
            turns.append(["", m.text])
        elif len(turns[-1]) == 1:
            turns[-1].append(m.text)
        else:
            turns[-1][1] += f"\n\n{m.text}"
    parts = [f"[INST] {user} [/INST]" + (f" {rest[0]}" if rest else "") for user, *rest in turns]
    return "<s>" + between.join(parts)


def chat_messages(request: ChatRequest, messages: list[Message]) -> list[dict[str, object]]:
    """OpenAI-like `messages` with the system prompt as a first "system" message (Mistral chat, Jamba)."""
    head: list[dict[str, object]] = [{"role": "system", "content": request.system}] if request.system else []
    return head + [{"role": m.role, "content": m.text} for m in messages]


# -- OpenAI-like `choices` bodies (Mistral chat, Jamba) --------------------------------------


def _choice_reason(choice: object) -> object:
    # OpenAI and Jamba say finish_reason; Mistral on Bedrock says stop_reason.
    return dig(choice, "finish_reason") or dig(choice, "stop_reason")


def choice_chunk_events(payload: Mapping[str, object]) -> list[Event]:
    """Events of a `choices` chunk: text in `delta` (Jamba) or `message` (Mistral), usage, finish reason."""
    choice = dig(payload, "choices", 0)
    text = dig(choice, "delta", "content") or dig(choice, "message", "content")
    return (text_events(text)
            + usage_events(dig(payload, "usage", "prompt_tokens"), dig(payload, "usage", "completion_tokens"))
            + stop_events(_choice_reason(choice)))


def choice_completion(body: Mapping[str, object]) -> Completion:
    """A sync `choices` body."""
    choice = dig(body, "choices", 0)
    reason = _choice_reason(choice)
    return Completion(
        text=as_str(dig(choice, "message", "content")),
        input_tokens=as_int(dig(body, "usage", "prompt_tokens")),
        output_tokens=as_int(dig(body, "usage", "completion_tokens")),
        stop_reason=reason if isinstance(reason, str) else None,
    )
