"""Meta Llama: one `prompt` in the model's chat template; Llama 2 and Llama 3/4 differ only there."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..types import BuiltRequest, ChatRequest, Completion, Event, Message
from . import as_int, as_str, conversation, inst_prompt, present, quoted, stop_events, text_events, usage_events


def llama3_prompt(system: str, messages: list[Message]) -> str:
    """The Llama 3 chat template, ending with the assistant header so the model answers."""
    turns = ([("system", system)] if system else []) + [(m.role, m.text) for m in messages]
    body = "".join(f"<|start_header_id|>{role}<|end_header_id|>\n\n{text}<|eot_id|>" for role, text in turns)
    return f"<|begin_of_text|>{body}<|start_header_id|>assistant<|end_header_id|>\n\n"


def llama2_prompt(system: str, messages: list[Message]) -> str:
    """The Llama 2 `[INST]` template with the system prompt in `<<SYS>>` inside the first instruction."""
    if system:
        first = next(i for i, m in enumerate(messages) if m.role == "user")
        messages = list(messages)
        messages[first] = Message("user", f"<<SYS>>\n{system}\n<</SYS>>\n\n{messages[first].text}")
    return inst_prompt(messages, between=" </s><s>")


@dataclass(frozen=True)
class LlamaProvider:
    """The Llama body and chunks, with the prompt template of one generation."""

    label: str
    template: Callable[[str, list[Message]], str]
    supports_system: bool = True
    supports_prefill: bool = False
    streams: bool = True

    def build_request(self, request: ChatRequest) -> BuiltRequest:
        """`prompt`, `max_gen_len`, temperature and top_p; Llama has no stop sequences parameter."""
        messages, notes = conversation(request, self.label, system=True, prefill=False)
        if request.stop_sequences:
            notes.append(f"Stop sequences are not supported by {self.label} (no such parameter); "
                         f"not sent: {quoted(request.stop_sequences)}.")
        body = present(prompt=self.template(request.system, messages), max_gen_len=request.max_tokens,
                       temperature=request.temperature, top_p=request.top_p)
        return BuiltRequest(body, tuple(notes))

    def parse_response(self, body: Mapping[str, object]) -> Completion:
        """`{"generation", "prompt_token_count", "generation_token_count", "stop_reason"}`."""
        return Completion(
            text=as_str(body.get("generation")),
            input_tokens=as_int(body.get("prompt_token_count")),
            output_tokens=as_int(body.get("generation_token_count")),
            stop_reason=as_str(body.get("stop_reason")) or None,
        )

    def parse_chunk(self, payload: Mapping[str, object]) -> list[Event]:
        """The prompt count comes on the first chunk only; the generation count is a running total."""
        return (text_events(payload.get("generation"))
                + usage_events(payload.get("prompt_token_count"), payload.get("generation_token_count"))
                + stop_events(payload.get("stop_reason")))


LLAMA2 = LlamaProvider("Llama 2", llama2_prompt)
LLAMA3 = LlamaProvider("Llama", llama3_prompt)
