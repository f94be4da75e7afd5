"""Amazon Titan Text (`inputText` + `textGenerationConfig`) and Amazon Nova (`messages-v1`)."""

from __future__ import annotations

from ..errors import validation
from ..models import EmulatedModel
from ..schema import Field
from ..textgen import Generation
from .base import JSON, Frame, Prompt, Turn, block_text, check_alternation, count, render_input, require, split_turns

ALTERNATE = ("A conversation must alternate between user and assistant roles. Make sure the conversation "
             "alternates between user and assistant roles and try again.")


class TitanText:
    _REASON = {"end": "FINISH", "max_tokens": "LENGTH", "stop_sequence": "STOP_CRITERIA_MET"}

    def parse(self, body: JSON, model: EmulatedModel) -> Prompt:
        config = {
            "temperature": Field("number", minimum=0, maximum=1),
            "topP": Field("number", minimum=0, maximum=1),
            "maxTokenCount": Field("integer", minimum=0, maximum=model.max_output_tokens),
            "stopSequences": Field("array", items="string"),
        }
        require(body, {"inputText": Field("string", required=True),
                       "textGenerationConfig": Field("object", fields=config)})
        settings = body.get("textGenerationConfig", {})
        _, turns = split_turns(body["inputText"], "User:", "Bot:")
        return Prompt(turns, "", settings.get("maxTokenCount", model.default_max_tokens), body["inputText"],
                      tuple(settings.get("stopSequences", ())))

    def sync_body(self, prompt: Prompt, gen: Generation, model: EmulatedModel) -> JSON:
        return {"inputTextTokenCount": gen.input_tokens, "results": [
            {"tokenCount": gen.output_tokens, "outputText": gen.text, "completionReason": self._REASON[gen.stop]}]}

    def frames(self, prompt: Prompt, gen: Generation, model: EmulatedModel,
               answer: list[str], thinking: list[str]) -> list[Frame]:
        pieces = answer or [""]
        frames, total = [], 0
        for i, piece in enumerate(pieces):
            total += count(piece)
            last = i == len(pieces) - 1
            frames.append(Frame({
                "outputText": piece, "index": 0, "totalOutputTextTokenCount": total,
                "completionReason": self._REASON[gen.stop] if last else None,
                "inputTextTokenCount": gen.input_tokens if i == 0 else None,
            }, count(piece)))
        return frames


class Nova:
    _REASON = {"end": "end_turn", "max_tokens": "max_tokens", "stop_sequence": "end_turn"}

    def parse(self, body: JSON, model: EmulatedModel) -> Prompt:
        config = {
            "max_new_tokens": Field("integer", minimum=1, maximum=model.max_output_tokens),
            "temperature": Field("number", minimum=0, maximum=1),
            "top_p": Field("number", minimum=0, maximum=1),
            "top_k": Field("integer", minimum=0, maximum=128),
            "stopSequences": Field("array", items="string", max_items=4),
        }
        require(body, {
            "schemaVersion": Field("string", enum=("messages-v1",)),
            "system": Field("array"),
            "messages": Field("array", required=True),
            "inferenceConfig": Field("object", fields=config),
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
        return Prompt(turns, system, settings.get("max_new_tokens", model.default_max_tokens),
                      render_input(system, turns), tuple(settings.get("stopSequences", ())))

    def _usage(self, gen: Generation) -> JSON:
        return {"inputTokens": gen.input_tokens, "outputTokens": gen.output_tokens,
                "totalTokens": gen.input_tokens + gen.output_tokens,
                "cacheReadInputTokenCount": 0, "cacheWriteInputTokenCount": 0}

    def sync_body(self, prompt: Prompt, gen: Generation, model: EmulatedModel) -> JSON:
        return {"output": {"message": {"role": "assistant", "content": [{"text": gen.text}]}},
                "stopReason": self._REASON[gen.stop], "usage": self._usage(gen)}

    def frames(self, prompt: Prompt, gen: Generation, model: EmulatedModel,
               answer: list[str], thinking: list[str]) -> list[Frame]:
        frames = [Frame({"messageStart": {"role": "assistant"}})]
        frames += [Frame({"contentBlockDelta": {"delta": {"text": p}, "contentBlockIndex": 0}}, count(p))
                   for p in answer]
        usage = self._usage(gen)
        del usage["totalTokens"]
        frames += [Frame({"contentBlockStop": {"contentBlockIndex": 0}}),
                   Frame({"messageStop": {"stopReason": self._REASON[gen.stop]}}),
                   Frame({"metadata": {"usage": usage, "metrics": {}, "trace": {}}})]
        return frames
