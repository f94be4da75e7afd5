"""`streamlit run ...` with a probe for bench/load_sessions.py: when each answer's first text left the app.

    python bench/_probed_app.py run streamlit_app.py --server.port PORT ...   (LOAD_SESSIONS_PROBE=FILE)

Streamlit's own command line runs unchanged. The probe wraps the websocket's send: for each session it
follows the frames the app sends, and the first frame with answer text ("(Emulated") after the frame
that draws a new benchmark question is the answer's first text leaving the app. One JSON line per
answer: the question's digest (as GET /_emulator/streams names it) and the wall-clock time, in
milliseconds, when the socket write of that frame returned. Only the benchmark's own questions are
matched, so nothing a person types is written anywhere.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import threading
import time
from typing import Any

import starlette.websockets
from load_sessions import QUESTION  # this file runs as a script from bench/, beside it
from streamlit.web.cli import main

ANSWER = b"(Emulated"


class _Probe:
    def __init__(self, path: str) -> None:
        self.path = path
        self.lock = threading.Lock()
        self.last_question: dict[int, bytes] = {}  # websocket -> the last question drawn in it
        self.answered: set[bytes] = set()

    def sent(self, websocket: Any, payload: bytes, at_ms: float) -> None:
        questions = QUESTION.findall(payload)
        if questions:
            self.last_question[id(websocket)] = questions[-1]
            return
        question = self.last_question.get(id(websocket))
        if question is None or question in self.answered or ANSWER not in payload:
            return
        self.answered.add(question)
        digest = hashlib.sha256(question).hexdigest()[:16]
        with self.lock, open(self.path, "a", encoding="utf-8") as out:
            out.write(json.dumps({"prompt_sha256": digest, "first_text_sent_ms": at_ms}) + "\n")


def install(path: str) -> None:
    probe = _Probe(path)
    send_bytes = starlette.websockets.WebSocket.send_bytes

    async def probed(self: starlette.websockets.WebSocket, data: bytes) -> None:
        await send_bytes(self, data)
        probe.sent(self, data, time.time() * 1000)

    starlette.websockets.WebSocket.send_bytes = probed  # type: ignore[method-assign]


if __name__ == "__main__":
    install(os.environ["LOAD_SESSIONS_PROBE"])
    sys.exit(main(prog_name="streamlit"))
