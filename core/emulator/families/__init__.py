"""One module per InvokeModel request/response family, plus Converse; each writes its own JSON."""

from __future__ import annotations

from .ai21 import Jamba, Jurassic2
from .amazon import Nova
from .anthropic import Messages
from .base import Family, Frame, Prompt, Turn
from .cohere import CommandR
from .deepseek import DeepSeek
from .meta import Llama
from .mistral import MistralChat
from .openai import OpenAIChat
from .writer import Writer

FAMILIES: dict[str, Family] = {
    "anthropic-messages": Messages(),
    "nova": Nova(),
    "llama3": Llama(),
    "mistral-chat": MistralChat(),
    "cohere-r": CommandR(),
    "jamba": Jamba(),
    "jurassic2": Jurassic2(),
    "openai-chat": OpenAIChat(),
    "deepseek": DeepSeek(),
    "writer": Writer(),
}

__all__ = ["FAMILIES", "Family", "Frame", "Prompt", "Turn"]
