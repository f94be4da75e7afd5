"""Answers on demand: the next answers are a given text, or the user's own words, instead of composed prose.

For testing how a client shows output it does not control (HTML, `<script>`, links, control characters,
any script or language). Only the answer's text changes: framing, chunking, usage counts, stop reasons,
max tokens and stop sequences work as for any answer, so the response stays wire-accurate. An echoed
answer carries no "(Emulated answer ...)" marker: it is exactly the text that was asked for.

    POST   /_emulator/echo  {"text": "<b>hi</b>", "model_id": ID, "count": 1}   the next answer is this text
    POST   /_emulator/echo  {"prompt": true}                                     the next answer repeats the prompt
    GET    /_emulator/echo  (list)        DELETE /_emulator/echo  (clear)

`count` is how many answers (default 1; null until cleared); `model_id` (an id, profile id or ARN) limits it to
one model; `session` to the requests whose `x-bedrock-lab-session` header carries that value (GET and DELETE take
`?session=` to list or clear that session's alone). Without a session an echo answers every request.
"""

from __future__ import annotations

from dataclasses import dataclass

from .faults import Book, check_session


@dataclass
class Echo:
    text: str | None = None  # the answer; None with prompt=True: the last user turn, verbatim
    prompt: bool = False
    model_id: str | None = None  # base model id (the endpoint resolves profiles and ARNs); None means any model
    count: int | None = 1
    session: str | None = None  # the requests' x-bedrock-lab-session value; None means every request
    id: int = 0

    def __post_init__(self) -> None:
        check_session(self.session)
        if self.prompt == (self.text is not None):
            raise ValueError('give either "text" (the answer to send) or "prompt": true (repeat the prompt)')
        if self.text is not None and (not isinstance(self.text, str) or not self.text):
            raise ValueError('"text" must be a non-empty string')
        if not isinstance(self.prompt, bool):
            raise ValueError('"prompt" must be true or false')
        if self.count is not None and (not isinstance(self.count, int) or self.count < 1):
            raise ValueError("count must be at least 1 (null for an echo that stays)")

    def answer(self, user_text: str) -> str:
        """The text to send for a request whose last user turn is `user_text`."""
        return user_text if self.text is None else self.text


class EchoBook(Book[Echo]):
    """The echoes waiting to be sent."""
