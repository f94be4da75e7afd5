"""One module per InvokeModel request/response family, plus Converse; each writes its own JSON."""

from __future__ import annotations

from .ai21 import Jamba, Jurassic2
from .amazon import Nova, TitanText
from .anthropic import Messages, TextCompletions
from .base import Family, Frame, Prompt, Turn
from .cohere import Command, CommandR
from .meta import Llama
from .mistral import MistralChat, MistralPrompt

FAMILIES: dict[str, Family] = {
    "anthropic-messages": Messages(),
    "anthropic-text": TextCompletions(),
    "titan-text": TitanText(),
    "nova": Nova(),
    "llama2": Llama(),
    "llama3": Llama(),
    "mistral-prompt": MistralPrompt(),
    "mistral-chat": MistralChat(),
    "cohere-r": CommandR(),
    "cohere-command": Command(),
    "jamba": Jamba(),
    "jurassic2": Jurassic2(),
}

__all__ = ["FAMILIES", "Family", "Frame", "Prompt", "Turn"]
