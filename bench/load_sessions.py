"""Many people on one app at once: 20 browser sessions chatting on the emulator for 60 s.

    .venv/bin/python bench/load_sessions.py [--sessions 20] [--seconds 60] [--url http://127.0.0.1:PORT]

One Chromium (Debian's), one browser context per session, all driven at once through Playwright's
async API, against `streamlit run streamlit_app.py` on a free port with the emulator at time scale 1
(the models' real latency profiles) and a history file of its own. Each session has its own marker
word in every prompt, its own system prompt and its own max tokens, set in the sidebar.

Targets (issue 8, point 4), checked within one run of this script:
- no errors: no Python exception on a page, no error box, no toast, every answer complete (an
  emulated answer with its metrics and "View API request"), no traceback in the app's log;
- no leaks: each answer's API request (its "View API request" body) holds only its own session's
  marker, system prompt and max tokens, each page shows only its own messages, and in the history
  file every run and every conversation belongs to one session with that session's settings;
- UI-added time to first token p99 <= 250 ms: the moment the answer's first text is in the page's
  DOM (a MutationObserver, Date.now()) minus the moment the emulator sent the first text chunk
  (first_token_sent_ms from GET /_emulator/streams, matched to the prompt by its SHA-256), both on
  this machine's clock, as bench/ui_stream.py measures it for one session. It is split where the
  app's websocket write of that text returned (bench/_probed_app.py): the app's share before, the
  browser's after (which, with 20 browsers on this machine, includes waiting for a CPU).

How the people behave is the Workload: by default each reads an answer and types the next question
(3-8 s), after one warm-up question before the clock starts, with Chromium in the idle CPU class;
`--think-s 0 0 --normal-priority-browsers` asks back to back from the same moment (a stress test).

tests/browser/test_load_sessions.py runs the same code with 4 sessions for 15 s (errors and leaks only).
With LOAD_SESSIONS_DEBUG=FOLDER, a session that breaks off leaves its screenshot, HTML and console there.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
         # Twenty pages share the machine; a page in the background must not have its timers slowed.
         "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
         "--disable-backgrounding-occluded-windows"]
TARGET_P99_MS = 250.0
THINK_S = (3.0, 8.0)  # a person reads a short answer and types the next question
ANSWER_TIMEOUT_S = 90.0
# Marks, in the page, when the answer's first text appears in the DOM (Date.now(): this machine's clock).
FIRST_TEXT = r"""
(target) => {
  window.__firstText = null;
  if (window.__observer) window.__observer.disconnect();
  const check = () => {
    if (window.__firstText !== null) return;
    const messages = document.querySelectorAll('[data-testid="stChatMessage"]');
    if (messages.length <= target) return;
    // The answer's markdown, not the live counter (stProgress), captions, the request expander or Stop.
    const bodies = Array.from(messages[target].querySelectorAll('[data-testid="stMarkdownContainer"]'))
      .filter(b => !b.closest('[data-testid="stProgress"]') && !b.closest('[data-testid="stCaptionContainer"]')
                   && !b.closest('[data-testid="stExpander"]') && !b.closest('[data-testid="stButton"]'));
    if (bodies.some(b => b.textContent.replace('▌', '').trim().length > 0)) {
      window.__firstText = Date.now();
      window.__observer.disconnect();
    }
  };
  window.__observer = new MutationObserver(check);
  window.__observer.observe(document.body, {subtree: true, childList: true, characterData: true});
}
"""
# What one finished answer shows: its text, its API request body, and any error box in it.
ANSWER_PARTS = r"""
(target) => {
  const message = document.querySelectorAll('[data-testid="stChatMessage"]')[target];
  if (!message) return null;
  const texts = (selector) => Array.from(message.querySelectorAll(selector)).map(e => e.textContent);
  const bodies = Array.from(message.querySelectorAll('[data-testid="stMarkdownContainer"]'))
    .filter(b => !b.closest('[data-testid="stProgress"]') && !b.closest('[data-testid="stCaptionContainer"]')
                 && !b.closest('[data-testid="stExpander"]') && !b.closest('[data-testid="stButton"]'));
  const code = message.querySelector('[data-testid="stExpander"] code.language-json');  // the body, not the snippet
  return {text: bodies.map(b => b.textContent).join('\n'), request: code ? code.textContent : null,
          errors: texts('[data-testid="stAlertContentError"]'),
          caption: texts('[data-testid="stCaptionContainer"]').join(' ')};
}
"""
# Problems anywhere on the page: exceptions, error boxes (the sidebar's too), toasts.
PAGE_PROBLEMS = r"""
() => {
  const texts = (selector, label) => Array.from(document.querySelectorAll(selector))
    .map(e => label + ': ' + e.textContent.slice(0, 300));
  return [...texts('[data-testid="stException"]', 'exception'),
          ...texts('[data-testid="stAlertContentError"]', 'error box'),
          ...texts('[data-testid="stToast"]', 'toast')];
}
"""


def marker(index: int) -> str:
    """A word no other session's text contains (fixed width: 'lm01q' is not inside 'lm11q')."""
    return f"lm{index:02d}q"


def question(index: int, number: int) -> str:
    """Session `index`'s question of turn `number` (bench/_probed_app.py finds them by QUESTION)."""
    return f"Tell {marker(index)} about streaming, turn {number}."


QUESTION = re.compile(rb"Tell lm\d{2}q about streaming, turn \d+\.")


def system_prompt(index: int) -> str:
    return f"You are the concise assistant of session {marker(index)}."


def max_tokens(index: int) -> int:
    return 40 + 3 * index


def prompt_digest(text: str) -> str:
    """As the emulator names a stream's prompt in GET /_emulator/streams."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Workload:
    """How the people behave: seconds between an answer and the next question (reading it, typing the next;
    drawn per turn, and before the first question so that 20 people do not press Enter in the same
    millisecond), and whether the browsers yield the CPU to the app (see _in_idle_class)."""

    think_s: tuple[float, float] = THINK_S
    idle_browsers: bool = True

    def describe(self) -> str:
        pace = ("questions back to back" if self.think_s == (0.0, 0.0)
                else f"{self.think_s[0]:g}-{self.think_s[1]:g} s between an answer and the next question")
        return f"{pace}; browsers {'in the idle CPU class' if self.idle_browsers else 'at normal CPU priority'}"


@dataclass
class Turn:
    prompt: str
    warm_up: bool = False  # asked before the clock started: checked, not timed
    first_text_ms: float | None = None  # epoch ms, in the page
    first_sent_ms: float | None = None  # epoch ms, in the emulator
    app_sent_ms: float | None = None  # epoch ms, when the app's socket write of the first text returned

    @property
    def ui_added_ms(self) -> float | None:
        if self.first_text_ms is None or self.first_sent_ms is None:
            return None
        return self.first_text_ms - self.first_sent_ms

    @property
    def server_ms(self) -> float | None:
        """The app's share: emulator sent the first text -> the websocket frame carrying it reached Chromium."""
        if self.app_sent_ms is None or self.first_sent_ms is None:
            return None
        return self.app_sent_ms - self.first_sent_ms

    @property
    def browser_ms(self) -> float | None:
        """The browser's share: that frame received -> the text in the DOM."""
        if self.first_text_ms is None or self.app_sent_ms is None:
            return None
        return self.first_text_ms - self.app_sent_ms


@dataclass
class SessionOutcome:
    index: int
    turns: list[Turn] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)

    @property
    def timed(self) -> list[Turn]:
        return [turn for turn in self.turns if not turn.warm_up]


@dataclass
class LoadResult:
    sessions: int
    seconds: float
    outcomes: list[SessionOutcome]
    history_leaks: list[str]
    log_errors: list[str]
    elapsed_s: float
    workload: Workload = field(default_factory=lambda: Workload())

    @property
    def turns(self) -> int:
        """Answers while the clock ran (warm-up answers are checked, not counted)."""
        return sum(len(o.timed) for o in self.outcomes)

    @property
    def errors(self) -> list[str]:
        return [f"session {o.index}: {e}" for o in self.outcomes for e in o.errors] + self.log_errors

    @property
    def leaks(self) -> list[str]:
        return [f"session {o.index}: {e}" for o in self.outcomes for e in o.leaks] + self.history_leaks

    @property
    def ui_added_ms(self) -> list[float]:
        return [t.ui_added_ms for o in self.outcomes for t in o.timed if t.ui_added_ms is not None]

    @property
    def server_ms(self) -> list[float]:
        return [t.server_ms for o in self.outcomes for t in o.timed if t.server_ms is not None]

    @property
    def browser_ms(self) -> list[float]:
        return [t.browser_ms for o in self.outcomes for t in o.timed if t.browser_ms is not None]


def _others(text: str, index: int, sessions: int) -> list[str]:
    """Other sessions' markers found in `text`."""
    return [marker(n) for n in range(sessions) if n != index and marker(n) in text]


def _get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def _find_number(payload: Any, names: tuple[str, ...]) -> Any:
    """The first value under any of `names`, anywhere in a JSON document."""
    if isinstance(payload, dict):
        for key, value in payload.items():
            if key in names:
                return value
            found = _find_number(value, names)
            if found is not None:
                return found
    if isinstance(payload, list):
        for value in payload:
            found = _find_number(value, names)
            if found is not None:
                return found
    return None


def _check_request(request: str | None, index: int, sessions: int) -> list[str]:
    """Leaks in one answer's API request body: other markers, another system prompt or max tokens."""
    if request is None:
        return []  # counted as an error by the caller
    problems = [f"its API request carries {other}'s text" for other in _others(request, index, sessions)]
    try:
        body = json.loads(request)
    except ValueError:
        return [*problems, "its API request is not JSON"]
    if system_prompt(index) not in request:
        problems.append("its API request does not carry the session's own system prompt")
    limit = _find_number(body, ("maxTokens", "max_tokens", "max_gen_len", "max_new_tokens"))
    if limit != max_tokens(index):
        problems.append(f"its API request asks for {limit} max tokens, not the session's {max_tokens(index)}")
    return problems


async def _set_sidebar(page: Any, index: int) -> None:
    """The session's own system prompt and max tokens, typed into the sidebar like a person would."""
    sidebar = page.get_by_test_id("stSidebar")
    system = sidebar.get_by_label("System prompt")
    await sidebar.get_by_text("Parameters").click()
    limit = sidebar.get_by_label("Max tokens")
    for _ in range(10):  # a value typed while the app reruns or the expander mounts can be lost: again
        await system.fill(system_prompt(index))
        await system.press("Tab")  # committed on blur
        await limit.fill(str(max_tokens(index)))
        await limit.press("Tab")
        await asyncio.sleep(1.0)
        if (await system.input_value() == system_prompt(index)
                and await limit.input_value() == str(max_tokens(index))):
            return
    raise RuntimeError(f"session {index}: the sidebar did not take its settings")


async def drive_session(browser: Any, url: str, index: int, sessions: int, start_at: float,
                        deadline: float, think_s: tuple[float, float] = THINK_S) -> SessionOutcome:
    """One person: open the app, set the sidebar, then chat until the deadline, checking every answer."""
    outcome = SessionOutcome(index)
    context = await browser.new_context(viewport={"width": 1300, "height": 900})
    try:
        page = await context.new_page()
        console: list[str] = []
        if os.environ.get("LOAD_SESSIONS_DEBUG"):
            page.on("console", lambda m: console.append(f"{time.time():.3f} {m.type}: {m.text[:300]}"))
            page.on("websocket", lambda ws: (console.append(f"{time.time():.3f} websocket open {ws.url}"),
                                             ws.on("close", lambda _: console.append(f"{time.time():.3f} ws closed"))))
        await page.goto(url, timeout=180_000)
        box = page.get_by_test_id("stChatInputTextArea")
        await box.wait_for(timeout=120_000)
        sidebar_text = await page.get_by_test_id("stSidebar").inner_text()
        found = re.search(r"http://127\.0\.0\.1:\d+", sidebar_text)
        if found is None:
            raise RuntimeError("the sidebar shows no emulator URL")
        emulator = found.group(0)
        await _set_sidebar(page, index)
        # Every session is in the chat when the clock starts; each sends its first question a moment later,
        # as people do, then reads each answer and types the next question (think_s, drawn per turn).
        # Before the clock starts, one warm-up question (checked like every other, not timed): the browser
        # loads the chat's components on its first answer, which on this machine means 20 browsers at once.
        rng = random.Random(index)
        while not outcome.turns or time.time() < deadline:
            number = len(outcome.turns)
            if number == 1:
                await asyncio.sleep(max(0.0, start_at - time.time()) + rng.uniform(0.0, think_s[1]))
            elif number > 1:
                await asyncio.sleep(rng.uniform(*think_s))
            if number and time.time() >= deadline:
                break
            turn = Turn(question(index, number + 1), warm_up=number == 0)
            outcome.turns.append(turn)
            target = 2 * number + 1  # the answer's place among the chat messages
            await page.evaluate(FIRST_TEXT, target)
            await box.fill(turn.prompt, timeout=ANSWER_TIMEOUT_S * 1000)
            await box.press("Enter")
            answer = page.get_by_test_id("stChatMessage").nth(target)
            try:
                await answer.get_by_text("View API request").wait_for(timeout=ANSWER_TIMEOUT_S * 1000)
            except Exception:  # noqa: BLE001 - a failed answer is counted, and the session goes on
                outcome.errors.append(f"turn {number + 1}: no finished answer within {ANSWER_TIMEOUT_S:g} s")
                outcome.errors += await page.evaluate(PAGE_PROBLEMS)
                break
            turn.first_text_ms = await page.evaluate("window.__firstText")
            streams = await asyncio.to_thread(_get_json, f"{emulator}/_emulator/streams")
            digest = prompt_digest(turn.prompt)
            sent = [s for s in streams["streams"] if s.get("prompt_sha256") == digest]
            if len(sent) == 1:
                turn.first_sent_ms = sent[0]["first_token_sent_ms"]
            else:
                outcome.errors.append(f"turn {number + 1}: {len(sent)} emulator streams for its prompt")
            parts = await page.evaluate(ANSWER_PARTS, target)
            for _ in range(50):  # the expander's code can mount a moment after its label
                if parts["request"] is not None:
                    break
                await asyncio.sleep(0.1)
                parts = await page.evaluate(ANSWER_PARTS, target)
            if not parts["text"].lstrip().startswith("(Emulated answer"):
                outcome.errors.append(f"turn {number + 1}: the answer is not an emulated answer: "
                                      f"{parts['text'][:120]!r}")
            if parts["errors"]:
                outcome.errors.append(f"turn {number + 1}: error in the answer: {parts['errors']}")
            if parts["request"] is None:
                outcome.errors.append(f"turn {number + 1}: the answer shows no API request")
            if "TTFT" not in parts["caption"]:
                outcome.errors.append(f"turn {number + 1}: the answer has no metrics caption")
            outcome.leaks += [f"turn {number + 1}: {p}" for p in _check_request(parts["request"], index, sessions)]
            outcome.leaks += [f"turn {number + 1}: its answer carries {o}'s text"
                              for o in _others(parts["text"], index, sessions)]
            outcome.errors += [f"turn {number + 1}: {p}" for p in await page.evaluate(PAGE_PROBLEMS)]
        messages = [await m.inner_text() for m in await page.get_by_test_id("stChatMessage").all()]
        if len(messages) != 2 * len(outcome.turns) and not outcome.errors:
            outcome.errors.append(f"the page shows {len(messages)} messages after {len(outcome.turns)} turns")
        for position, text in enumerate(messages):
            for other in _others(text, index, sessions):
                outcome.leaks.append(f"message {position} on the page carries {other}'s text")
        questions = messages[0::2]
        if any(marker(index) not in text for text in questions):
            outcome.leaks.append("a question on the page is not one this session asked")
    except Exception as problem:  # noqa: BLE001 - reported as the session's error
        outcome.errors.append(f"the session broke off: {type(problem).__name__}: {str(problem)[:300]}")
        if os.environ.get("LOAD_SESSIONS_DEBUG"):
            folder = Path(os.environ["LOAD_SESSIONS_DEBUG"])
            await page.screenshot(path=str(folder / f"session-{index}.png"), full_page=True)
            (folder / f"session-{index}.html").write_text(await page.content())
            (folder / f"session-{index}.console.txt").write_text("\n".join(console))
    finally:
        await context.close()
    return outcome


def check_history(path: Path, sessions: int) -> list[str]:
    """Every run and conversation in the history file belongs to one session, with its settings."""
    problems: list[str] = []
    with sqlite3.connect(path) as db:
        runs = db.execute("SELECT run_id, request_json, system, max_tokens, session_id, conversation_id, status "
                          "FROM runs").fetchall()
        conversations = db.execute("SELECT conversation_id, system FROM conversations").fetchall()
        messages = db.execute("SELECT conversation_id, text FROM messages").fetchall()
    db.close()
    session_of: dict[str, int] = {}  # the app's session id -> our session number
    conversation_of: dict[str, int] = {}
    for run_id, request, system, limit, session_id, conversation_id, status in runs:
        owners = [n for n in range(sessions) if marker(n) in request]
        if len(owners) != 1:
            problems.append(f"run {run_id[:8]}: its request carries the markers of sessions {owners}")
            continue
        owner = owners[0]
        if system != system_prompt(owner) or limit != max_tokens(owner):
            problems.append(f"run {run_id[:8]} of session {owner}: system {system!r}, max tokens {limit}")
        if session_of.setdefault(session_id, owner) != owner:
            problems.append(f"the app's session {session_id[:8]} ran requests of sessions "
                            f"{session_of[session_id]} and {owner}")
        if conversation_of.setdefault(conversation_id, owner) != owner:
            problems.append(f"conversation {conversation_id[:8]} holds runs of sessions "
                            f"{conversation_of[conversation_id]} and {owner}")
        if status != "ok":
            problems.append(f"run {run_id[:8]} of session {owner} ended {status}")
    for conversation_id, system in conversations:
        texts = [text for cid, text in messages if cid == conversation_id]
        owners = {n for n in range(sessions) for text in texts[0::2] if marker(n) in text}
        if len(owners) != 1 or system != system_prompt(next(iter(owners))):
            problems.append(f"conversation {conversation_id[:8]}: questions of sessions {sorted(owners)}")
    return problems


def _in_idle_class(executable: str) -> str:
    """A launcher that starts Chromium in the kernel's idle scheduling class (chrt --idle), every process and
    thread of it: the browsers stand in for people's own computers, so on this shared machine they take only
    the CPU time the app does not want, instead of a fair share each (20 renderers against one app)."""
    wrapper = Path(tempfile.mkdtemp(prefix="load-sessions-chromium-")) / "chromium"
    wrapper.write_text(f'#!/bin/sh\nexec chrt --idle 0 {executable} "$@"\n')
    wrapper.chmod(0o755)
    return str(wrapper)


async def run_load(url: str, *, sessions: int, seconds: float, executable: str,
                   workload: Workload) -> list[SessionOutcome]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        if workload.idle_browsers:
            executable = _in_idle_class(executable)
        browser = await playwright.chromium.launch(executable_path=executable, args=FLAGS)
        try:
            # Opening 20 pages, typing their settings and a warm-up question take a while on two cores.
            start_at = time.time() + 15 + 3.0 * sessions
            deadline = start_at + seconds
            return list(await asyncio.gather(*(drive_session(browser, url, n, sessions, start_at, deadline,
                                                             workload.think_s) for n in range(sessions))))
        finally:
            await browser.close()


@contextmanager
def serve_app(folder: Path, options: tuple[str, ...] = ()) -> Iterator[tuple[str, Path]]:
    """`streamlit run` on a free port, emulator at time scale 1, with the probe of bench/_probed_app.py
    writing to probe.jsonl in `folder`; yields (url, log file)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log_path = folder / "streamlit.log"
    env = {**os.environ, "BEDROCK_BACKEND": "emulator", "BEDROCK_EMULATOR_TIME_SCALE": "1",
           "BEDROCK_LAB_HISTORY": str(folder / "history.sqlite"), "LOAD_SESSIONS_PROBE": str(folder / "probe.jsonl")}
    with log_path.open("w") as log:
        process = subprocess.Popen([sys.executable, "bench/_probed_app.py", "run", "streamlit_app.py", "--server.port",
                                    str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
                                    *(f"--{option}" for option in options)],
                                   cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                        break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"streamlit did not start; see {log_path}") from None
                    time.sleep(0.2)
            yield url, log_path
        finally:
            process.terminate()
            process.wait(timeout=30)


def log_errors(log_path: Path) -> list[str]:
    """Tracebacks and errors the app wrote to its log."""
    lines = log_path.read_text(errors="replace").splitlines()
    return [f"app log: {line.strip()[:300]}" for line in lines
            if "Traceback" in line or re.search(r"\b(ERROR|CRITICAL)\b", line)]


def _in_own_thread(work: Coroutine[Any, Any, list[SessionOutcome]]) -> list[SessionOutcome]:
    """asyncio.run in a thread of its own: the caller's thread may already run an event loop (a test
    process where Playwright's sync API is in use)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, work).result()


def measure(sessions: int, seconds: float, *, url: str | None = None, history: Path | None = None,
            log: Path | None = None, options: tuple[str, ...] = (), workload: Workload | None = None) -> LoadResult:
    """Run the sessions (on a new app unless `url` is given) and check the history file afterwards."""
    executable = shutil.which("chromium")
    if executable is None:
        raise RuntimeError("Chromium is needed (apt-get install chromium)")
    workload = workload or Workload()
    started = time.monotonic()
    if url is None:
        folder = Path(tempfile.mkdtemp(prefix="load-sessions-"))
        with serve_app(folder, options) as (served, log_path):
            outcomes = _in_own_thread(run_load(served, sessions=sessions, seconds=seconds, executable=executable,
                                                   workload=workload))
        history, log = folder / "history.sqlite", log_path
        _join_probe(outcomes, folder / "probe.jsonl")
    else:
        outcomes = _in_own_thread(run_load(url, sessions=sessions, seconds=seconds, executable=executable,
                                               workload=workload))
    return LoadResult(sessions, seconds, outcomes, check_history(history, sessions) if history else [],
                      log_errors(log) if log else [], time.monotonic() - started, workload)


def _join_probe(outcomes: list[SessionOutcome], path: Path) -> None:
    """Each turn's moment its first text left the app, from the probe's lines, matched by the question."""
    sent: dict[str, float] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            row = json.loads(line)
            sent[row["prompt_sha256"]] = row["first_text_sent_ms"]
    for outcome in outcomes:
        for turn in outcome.turns:
            turn.app_sent_ms = sent.get(prompt_digest(turn.prompt))


def _percentile(values: list[float], p: float) -> float | None:
    """The p-th percentile, or None when there are fewer than 1/(1-p) values (DESIGN.md's n rule)."""
    if not values or len(values) < round(1 / (1 - p)):
        return None
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=1000, method="inclusive")[round(p * 1000) - 1]


def describe(result: LoadResult) -> str:
    added = result.ui_added_ms
    shown = {p: _percentile(added, p) for p in (0.5, 0.9, 0.99)}
    text = {p: "—" if v is None else f"{v:.0f} ms" for p, v in shown.items()}
    per_session = [len(o.timed) for o in result.outcomes]
    lines = [
        f"{result.sessions} sessions x {result.seconds:g} s (one Chromium, a context each, emulator time scale 1): "
        f"{result.turns} answers ({min(per_session, default=0)}-{max(per_session, default=0)} per session)",
        f"workload: {result.workload.describe()}",
        f"errors: {len(result.errors)}; leaks between sessions: {len(result.leaks)}",
    ]
    lines += [f"  {problem}" for problem in (result.errors + result.leaks)[:20]]
    lines.append(f"UI-added time to first token (n={len(added)}): p50 {text[0.5]}, p90 {text[0.9]}, p99 {text[0.99]}"
                 + (f", max {max(added):.0f} ms" if added else "") + f" (target p99 <= {TARGET_P99_MS:.0f} ms)")
    worst = sorted(((t.ui_added_ms, o.index, n + 1) for o in result.outcomes for n, t in enumerate(o.turns)
                    if t.ui_added_ms is not None and not t.warm_up), reverse=True)[:5]
    if worst:
        lines.append("  slowest: " + ", ".join(f"{ms:.0f} ms (session {s}, turn {n})" for ms, s, n in worst))
    for label, values in (("  the app's: emulator sent -> the app's websocket write returned", result.server_ms),
                          ("  the browser's: that write -> text in the DOM", result.browser_ms)):
        parts = {p: _percentile(values, p) for p in (0.5, 0.9, 0.99)}
        lines.append(f"{label} (n={len(values)}): " + ", ".join(
            f"p{round(p * 100)} " + ("—" if v is None else f"{v:.0f} ms") for p, v in parts.items()))
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--url", help="an app already running (its history and log are not checked)")
    parser.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                        help="a Streamlit option for the app started here, e.g. server.fileWatcherType=auto")
    parser.add_argument("--think-s", type=float, nargs=2, default=THINK_S, metavar=("MIN", "MAX"),
                        help=f"seconds between an answer and the next question (default {THINK_S[0]:g} {THINK_S[1]:g}; "
                             "0 0 asks back to back, from the same moment: a stress test)")
    parser.add_argument("--normal-priority-browsers", action="store_true",
                        help="run Chromium at normal CPU priority, competing with the app for the two cores")
    args = parser.parse_args()
    if args.option:
        print(f"Streamlit options: {', '.join(args.option)}")
    workload = Workload(tuple(args.think_s), idle_browsers=not args.normal_priority_browsers)
    result = measure(args.sessions, args.seconds, url=args.url, options=tuple(args.option), workload=workload)
    print(describe(result))
    p99 = _percentile(result.ui_added_ms, 0.99)
    ok = not result.errors and not result.leaks and p99 is not None and p99 <= TARGET_P99_MS
    print(f"\nload sessions: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
