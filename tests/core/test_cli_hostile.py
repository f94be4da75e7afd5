"""Hostile and odd input through `python -m core ask | chat`: the words a terminal user sees, and nothing lost.

The CLI runs as a subprocess on the aws backend pointed at the test's emulator with
AWS_ENDPOINT_URL_BEDROCK_RUNTIME (as any boto3 tool would be), so the test can make the model's output
hostile through the emulator's echo endpoint. Prompts go on standard input (a NUL cannot be an argument).
"""

from __future__ import annotations

import json
import os
import pty
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ..conftest import RELIABILITY, Control
from ..hostile_inputs import (
    ANSWERED,
    ARNS,
    BIG_MODEL,
    CONTROL,
    EMPTY,
    MODEL,
    ONE_MB,
    OUTPUT,
    OVER_WINDOW,
    PROFILE_ONLY,
    SMALL_MODEL,
    UNKNOWN_MODEL,
    WHITESPACE,
)
from ..models import CHAT

ROOT = Path(__file__).resolve().parents[2]
LIMIT = CHAT.max_output_tokens or 0  # MODEL is CHAT, as requests call it
OVER_LIMIT = LIMIT + 1


@pytest.fixture(autouse=True)
def _counted(record_property: Any) -> None:
    record_property(RELIABILITY, ("hostile input", "CLI"))


@pytest.fixture()
def run_cli(emulator: Any, control: Control, tmp_path: Path) -> Any:
    def run(*args: str, stdin: bytes = b"", stdout: Any = subprocess.PIPE) -> subprocess.CompletedProcess[bytes]:
        env = {**os.environ, "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": emulator.url,
               "BEDROCK_LAB_HISTORY": str(tmp_path / "history.sqlite"), "PYTHONIOENCODING": "utf-8:strict"}
        return subprocess.run([sys.executable, "-m", "core", *args, "--backend", "aws"], cwd=ROOT, input=stdin,
                              stdout=stdout, stderr=subprocess.PIPE, env=env, timeout=60)

    return run


def requests_served(control: Control) -> int:
    return int(control.request("GET", "/_emulator/health")[1]["requests"])


def holds(value: Any, text: str) -> bool:
    """True when `text` is one of the strings inside a decoded JSON value."""
    if isinstance(value, str):
        return value == text
    if isinstance(value, dict):
        return any(holds(v, text) for v in value.values())
    return isinstance(value, list) and any(holds(v, text) for v in value)


def record_of(result: subprocess.CompletedProcess[bytes]) -> dict[str, Any]:
    lines = result.stdout.decode().strip().splitlines()
    assert len(lines) == 1, result.stdout[:300]
    return json.loads(lines[0])  # type: ignore[no-any-return]


@pytest.mark.parametrize("prompt", [*ANSWERED.values(), ONE_MB], ids=[*ANSWERED, "1 MB prompt"])
def test_odd_prompts_are_answered_and_sent_exactly(run_cli: Any, tmp_path: Path, prompt: str) -> None:
    model = BIG_MODEL if prompt is ONE_MB else MODEL
    result = run_cli("ask", "--model", model, "--max-tokens", "60", "--json", "-", stdin=prompt.encode())
    assert result.returncode == 0, result.stderr.decode()
    record = record_of(result)
    assert record["status"] == "ok" and record["text"].startswith("(Emulated answer")
    assert holds(json.loads(record["request_json"]), prompt.strip() if model == BIG_MODEL else prompt)
    with sqlite3.connect(tmp_path / "history.sqlite") as db:
        assert db.execute("SELECT status FROM runs WHERE run_id = ?", (record["run_id"],)).fetchone() == ("ok",)


@pytest.mark.parametrize("prompt", [EMPTY, WHITESPACE], ids=["empty", "whitespace only"])
def test_an_empty_prompt_is_a_usage_error_and_nothing_is_sent(run_cli: Any, control: Control, prompt: str) -> None:
    served = requests_served(control)
    result = run_cli("ask", "--model", MODEL, "-", stdin=prompt.encode())
    assert result.returncode == 2
    assert "the prompt is empty: pass it as an argument, or on standard input with -" in result.stderr.decode()
    assert requests_served(control) == served


def test_a_prompt_over_the_context_window_says_to_shorten_it(run_cli: Any) -> None:
    result = run_cli("ask", "--model", SMALL_MODEL, "--json", "-", stdin=OVER_WINDOW.encode())
    assert result.returncode == 1
    error = result.stderr.decode()
    assert "The conversation is longer than the model's context window" in error
    assert "Shorten the conversation or the prompt" in error and "Traceback" not in error
    record = record_of(result)
    assert record["status"] == "error" and record["error_code"] == "ValidationException"


@pytest.mark.parametrize("output", list(OUTPUT.values()), ids=list(OUTPUT))
def test_hostile_output_reaches_a_pipe_and_the_json_exactly(run_cli: Any, control: Control, output: str) -> None:
    control.echo(output, count=2)
    piped = run_cli("ask", "--model", MODEL, "Show me something", "--no-history")
    assert piped.returncode == 0 and piped.stdout.decode() == output + "\n"  # a pipe gets the bytes as they are
    as_json = run_cli("ask", "--model", MODEL, "Show me something", "--json", "--no-history")
    assert record_of(as_json)["text"] == output


def test_control_characters_in_output_are_shown_not_obeyed_on_a_terminal(run_cli: Any, control: Control) -> None:
    """ESC sequences from a model could recolour the terminal, change its title or write the clipboard."""
    control.echo(CONTROL)
    leader, follower = pty.openpty()
    try:
        result = run_cli("ask", "--model", MODEL, "Show me", "--no-history", stdout=follower)
        os.close(follower)
        follower = -1
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(leader)
        if follower != -1:
            os.close(follower)
    assert result.returncode == 0, result.stderr.decode()
    text = shown.decode()
    assert "\x1b" not in text and "\x07" not in text and "\x00" not in text and "\x9b" not in text
    assert "esc ␛[31mred␛[0m title ␛]0;pwned␇" in text and "tab\there" in text and "del␡ c1\\x9b end" in text


@pytest.mark.parametrize(("args", "words"), [
    (("--max-tokens", "-5"), f"--max-tokens: max tokens must be between 1 and {LIMIT:,} for {CHAT.name}, not -5"),
    (("--top-p", "2"), f"--top-p: top_p must be between 0 and 1 for {CHAT.name}, not 2"),
    (("--temperature", "-1"), f"--temperature: temperature must be between 0 and 1 for {CHAT.name}, not -1"),
    (("--temperature", "5"), f"--temperature: temperature must be between 0 and 1 for {CHAT.name}, not 5"),
    (("--temperature", "nan"), f"--temperature: temperature must be between 0 and 1 for {CHAT.name}, not nan"),
    (("--max-tokens", str(OVER_LIMIT)), f"max tokens must be between 1 and {LIMIT:,} for {CHAT.name}, "
                                        f"not {OVER_LIMIT:,}"),
    (("--idle-timeout", "-1"), "--idle-timeout must be 0 (off) or a positive number of seconds"),
], ids=["negative max tokens", "top_p 2", "negative temperature", "temperature 5", "temperature nan",
        "max tokens over the limit", "negative idle guard"])
def test_parameters_out_of_range_are_named(run_cli: Any, args: tuple[str, ...], words: str) -> None:
    # The model table's bounds, the same verdict as the API's and the pages' (tests/core/test_validation.py):
    # refused before anything is sent, as a usage error.
    result = run_cli("ask", "--model", MODEL, *args, "--no-history", "Hello")
    assert result.returncode == 2
    assert words in result.stderr.decode() and "Traceback" not in result.stderr.decode()


@pytest.mark.parametrize("model", [UNKNOWN_MODEL, *ARNS.values()], ids=["unknown model", *ARNS])
def test_unknown_models_and_malformed_arns_say_what_to_check(run_cli: Any, model: str) -> None:
    result = run_cli("ask", "--model", model, "--api", "converse", "--json", "Hello")  # Bedrock is asked
    assert result.returncode == 1
    error = result.stderr.decode()
    assert "Bedrock does not know this model id" in error and "check the region, and the id's spelling" in error
    assert record_of(result)["status"] == "error"


def test_a_model_that_needs_a_profile_says_which_prefix_to_use(run_cli: Any) -> None:
    result = run_cli("ask", "--model", PROFILE_ONLY, "--no-history", "Hello")
    assert result.returncode == 1
    assert "only available through an inference profile" in result.stderr.decode()
    assert "Use the id with a geography prefix, such as us. or eu." in result.stderr.decode()


def test_bytes_that_are_not_utf8_are_named_on_standard_input_and_as_an_argument(run_cli: Any,
                                                                                control: Control) -> None:
    served = requests_served(control)
    piped = run_cli("ask", "--model", MODEL, "-", stdin=b"caf\xe9 au lait")  # Latin-1, not UTF-8
    assert piped.returncode == 2
    assert "the prompt is not valid UTF-8 (byte 0xe9 at character 4 is not UTF-8 text)" in piped.stderr.decode()
    argument = run_cli("ask", "--model", MODEL, os.fsdecode(b"caf\xe9"))
    assert argument.returncode == 2 and "byte 0xe9 at character 4" in argument.stderr.decode()
    system = run_cli("ask", "--model", MODEL, "--system", os.fsdecode(b"\xff"), "Hi")
    assert system.returncode == 2 and "--system is not valid UTF-8" in system.stderr.decode()
    assert requests_served(control) == served


def test_chat_skips_a_line_that_is_not_utf8_and_answers_the_others(run_cli: Any) -> None:
    result = run_cli("chat", "--model", MODEL, "--max-tokens", "30", "--no-history",
                     stdin=b"First question\n" + b"caf\xe9\n" + b"Second question\n")
    assert result.returncode == 1  # one line was not answered
    assert "(not sent: this line is not valid UTF-8, byte 0xe9 at character 4" in result.stderr.decode()
    assert result.stdout.decode().count("(Emulated answer") == 2
