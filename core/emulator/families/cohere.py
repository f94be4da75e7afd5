"""Cohere Command R / R+: `message`, `chat_history`, `preamble` in; `text-generation` events out."""

from __future__ import annotations

import uuid

from ..errors import validation
from ..models import EmulatedModel
from ..schema import Field
from ..textgen import Generation
from .base import JSON, Frame, Prompt, Turn, count, render_input, require


class CommandR:
    _REASON = {"end": "COMPLETE", "max_tokens": "MAX_TOKENS", "stop_sequence": "COMPLETE",
               "context_window": "MAX_TOKENS", "refusal": "ERROR_TOXIC", "pause_turn": "COMPLETE"}

    def parse(self, body: JSON, model: EmulatedModel) -> Prompt:
        require(body, {
            "message": Field("string", required=True),
            "chat_history": Field("array"),
            "preamble": Field("string"),
            "max_tokens": Field("integer", minimum=1, maximum=model.max_output_tokens),
            "temperature": Field("number", minimum=0, maximum=1),
            "p": Field("number", minimum=0.01, maximum=0.99),
            "k": Field("integer", minimum=0, maximum=500),
            "stop_sequences": Field("array", items="string", max_items=4),
            "seed": Field("integer"), "return_prompt": Field("boolean"), "documents": Field("array"),
            "search_queries_only": Field("boolean"), "tools": Field("array"), "tool_results": Field("array"),
            "prompt_truncation": Field("string"), "frequency_penalty": Field("number"),
            "presence_penalty": Field("number"), "raw_prompting": Field("boolean"),
        })
        turns = []
        for i, entry in enumerate(body.get("chat_history", [])):
            role = entry.get("role") if isinstance(entry, dict) else None
            if role not in ("USER", "CHATBOT", "SYSTEM"):
                raise validation(f"invalid request: chat_history[{i}].role must be USER, CHATBOT or SYSTEM")
            if role != "SYSTEM":
                turns.append(Turn("user" if role == "USER" else "assistant", str(entry.get("message", ""))))
        if not body["message"].strip():
            raise validation("invalid request: message must be at least 1 token long or tool results "
                             "must be specified.")
        turns.append(Turn("user", body["message"]))
        system = body.get("preamble", "")
        return Prompt(tuple(turns), system, body.get("max_tokens", model.default_max_tokens),
                      render_input(system, tuple(turns)), tuple(body.get("stop_sequences", ())),
                      extra={"chat_history": body.get("chat_history", []), "message": body["message"]})

    def sync_body(self, prompt: Prompt, gen: Generation, model: EmulatedModel) -> JSON:
        history = [*prompt.extra["chat_history"], {"role": "USER", "message": prompt.extra["message"]},
                   {"role": "CHATBOT", "message": gen.text}]
        billed = {"input_tokens": gen.input_tokens, "output_tokens": gen.output_tokens}
        return {"response_id": str(uuid.uuid4()), "text": gen.text, "generation_id": str(uuid.uuid4()),
                "chat_history": history, "finish_reason": self._REASON[gen.stop],
                "meta": {"api_version": {"version": "1"}, "billed_units": billed, "tokens": billed}}

    def frames(self, prompt: Prompt, gen: Generation, model: EmulatedModel,
               answer: list[str], thinking: list[str]) -> list[Frame]:
        final = self.sync_body(prompt, gen, model)
        frames = [Frame({"is_finished": False, "event_type": "stream-start", "generation_id": final["generation_id"]})]
        frames += [Frame({"is_finished": False, "event_type": "text-generation", "text": p}, count(p))
                   for p in answer]
        frames.append(Frame({"is_finished": True, "event_type": "stream-end",
                             "finish_reason": final["finish_reason"], "response": final}))
        return frames
