"""DeepSeek-R1 and DeepSeek-V3.1: one `prompt` in DeepSeek's chat template, `choices[0].text` out.

Request `{"prompt", "temperature", "top_p", "max_tokens" (1..32768), "stop" (at most 10)}` and response
`{"choices": [{"text", "stop_reason": "stop" | "length"}]}`, stream chunks of the same shape with a piece
of text each (AWS "DeepSeek models" parameters page; chunk shape as in langchain-aws's DeepSeek test
fixture). The prompt follows the template of AWS's InvokeModel example for R1,
`<｜begin▁of▁sentence｜><｜User｜>...<｜Assistant｜>`, with the system prompt right after the
begin-of-sentence token and earlier answers closed by `<｜end▁of▁sentence｜>`, as DeepSeek's own template
has them. AWS's example also ends the prompt with `<think>\\n` to force R1 to reason; that is left out, so
the model writes the opening tag itself and the stream says where reasoning starts: R1 writes
`<think>...</think>` before its answer (split by `tags.TagSplitter("think")`), V3.1 answers directly.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..types import BuiltRequest, ChatRequest, Completion, Event, Message, Reasoning
from . import as_str, conversation, dig, present, quoted, stop_events, text_events
from .tags import split_tagged

LABEL = "DeepSeek"
TAG = "think"
supports_system = True
supports_prefill = False
streams = True

BEGIN, END = "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>"
USER, ASSISTANT = "<｜User｜>", "<｜Assistant｜>"
MAX_STOPS = 10


def build_request(request: ChatRequest) -> BuiltRequest:
    """The conversation in DeepSeek's chat template, `max_tokens`, sampling and up to ten stop sequences."""
    messages, notes = conversation(request, LABEL, system=True, prefill=False)
    stop = list(request.stop_sequences[:MAX_STOPS])
    if len(request.stop_sequences) > MAX_STOPS:
        notes.append(f"{LABEL} takes at most {MAX_STOPS} stop sequences: not sent: "
                     f"{quoted(request.stop_sequences[MAX_STOPS:])}.")
    if request.reasoning is not None:
        notes.append(f"{LABEL} has no reasoning setting: the {request.reasoning.style} reasoning ask was not sent.")
    body = present(prompt=chat_prompt(request.system, messages), temperature=request.temperature,
                   top_p=request.top_p, max_tokens=request.max_tokens, stop=stop)
    return BuiltRequest(body, tuple(notes))


def chat_prompt(system: str, messages: list[Message]) -> str:
    """DeepSeek's chat template, ending with the assistant's cue."""
    turns = [f"{USER}{m.text}" if m.role == "user" else f"{ASSISTANT}{m.text}{END}" for m in messages]
    return BEGIN + system + "".join(turns) + ASSISTANT


def converse_fields(reasoning: Reasoning | None) -> dict[str, object]:
    """Nothing: R1 always reasons and V3.1 never does, through Converse as through InvokeModel."""
    return {}


def parse_response(body: Mapping[str, object]) -> Completion:
    """`{"choices": [{"text", "stop_reason"}]}`: the answer and the `<think>` before it apart.

    The body carries no token counts: Bedrock reports them in the response headers.
    """
    choice = dig(body, "choices", 0)
    reasoning, answer = split_tagged(as_str(dig(choice, "text")), TAG)
    return Completion(text=answer, reasoning=reasoning, stop_reason=as_str(_reason(choice)) or None)


def parse_chunk(payload: Mapping[str, object]) -> list[Event]:
    """A piece of `choices[0].text` as it comes (tags and all), and the stop reason on the last chunk."""
    choice = dig(payload, "choices", 0)
    return text_events(dig(choice, "text")) + stop_events(_reason(choice))


def _reason(choice: object) -> object:
    # AWS documents `stop_reason`; the OpenAI-style `finish_reason` is accepted as well.
    return dig(choice, "stop_reason") or dig(choice, "finish_reason")
