"""`python -m core ask | chat` as scripts use them: streams, one JSON line, exit codes, no tracebacks."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLAUDE = "anthropic.claude-3-haiku-20240307-v1:0"


def cli(*args: str, stdin: str = "", env: dict[str, str] | None = None, history: Path | None = None,
        timeout_s: float = 60) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "BEDROCK_EMULATOR_TIME_SCALE": "0", **(env or {})}
    if history is not None:
        environment["BEDROCK_LAB_HISTORY"] = str(history)
    return subprocess.run([sys.executable, "-m", "core", *args], cwd=ROOT, input=stdin, capture_output=True,
                          text=True, env=environment, timeout=timeout_s)


def test_ask_streams_the_answer_and_prints_a_summary(tmp_path: Path) -> None:
    result = cli("ask", "--model", CLAUDE, "--max-tokens", "60", "What is a vector database?",
                 history=tmp_path / "h.sqlite")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("(Emulated answer from Claude 3 Haiku") and "vector database" in result.stdout
    summary = result.stderr.strip().splitlines()[-1]
    assert CLAUDE in summary and "TTFT" in summary and "tok/s" in summary and "(reported)" in summary
    assert "estimate" in summary


def test_ask_json_prints_exactly_one_record_line(tmp_path: Path) -> None:
    history = tmp_path / "h.sqlite"
    result = cli("ask", "--model", "meta.llama3-8b-instruct-v1:0", "--api", "converse", "--no-stream", "--json",
                 "--max-tokens", "40", "Explain retries", history=history)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["model_id"] == "meta.llama3-8b-instruct-v1:0" and record["api"] == "converse"
    assert record["mode"] == "sync" and record["status"] == "ok" and record["output_tokens"] == 40
    for field in ("ttft_ms", "e2e_ms", "tokens_per_s", "tpot_ms", "input_tokens", "tokens_source",
                  "server_first_byte_ms", "server_latency_ms", "stop_reason", "attempts", "error_code",
                  "error_message", "text", "cost_usd", "gap_p50_ms"):
        assert field in record
    with sqlite3.connect(history) as db:
        assert db.execute("SELECT run_id, status FROM runs").fetchall() == [(record["run_id"], "ok")]


def test_a_failed_run_exits_1_with_the_json_and_no_traceback(tmp_path: Path) -> None:
    result = cli("ask", "--model", "acme.unknown-model-v1", "--json", "Hello", history=tmp_path / "h.sqlite")
    assert result.returncode == 1
    record = json.loads(result.stdout.strip().splitlines()[-1])
    assert record["status"] == "error" and record["error_code"] == "UnknownModel"
    assert "Traceback" not in result.stderr and "error:" in result.stderr


def test_a_fault_mid_stream_keeps_the_partial_text(emulator: Any, control: Any, tmp_path: Path) -> None:
    control.fault("stream_error", model_id=CLAUDE, after_tokens=12, exception="modelStreamErrorException")
    result = cli("ask", "--model", CLAUDE, "--backend", "aws", "--region", "us-east-1", "--json", "Hello there, how?",
                 env={"AWS_ENDPOINT_URL_BEDROCK_RUNTIME": emulator.url}, history=tmp_path / "h.sqlite")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    record = json.loads(result.stdout)
    assert record["status"] == "error" and record["error_code"] == "modelStreamErrorException"
    assert record["text"].startswith("(Emulated answer") and "answer stopped part-way" in result.stderr
    with sqlite3.connect(tmp_path / "h.sqlite") as db:
        stored = db.execute("SELECT status, error_code, text FROM runs").fetchall()
    assert stored == [("error", "modelStreamErrorException", record["text"])]


@pytest.mark.parametrize("args", [
    ("ask", "--model", CLAUDE, ""),
    ("ask", "--model", CLAUDE, "--max-tokens", "0", "hi"),
    ("ask", "--model", CLAUDE, "--top-p", "2", "hi"),
    ("ask", "--model", CLAUDE, "--max-attempts", "0", "hi"),
    ("ask", "hi"),
    ("ask", "--model", CLAUDE, "--api", "grpc", "hi"),
])
def test_usage_errors_exit_2_with_a_reason(args: tuple[str, ...]) -> None:
    result = cli(*args)
    assert result.returncode == 2 and "error:" in result.stderr and "Traceback" not in result.stderr


def test_ask_reads_the_prompt_from_standard_input(tmp_path: Path) -> None:
    result = cli("ask", "--model", CLAUDE, "--no-history", "-", stdin="Describe event streams briefly.")
    assert result.returncode == 0 and "event streams" in result.stdout


def test_chat_keeps_the_conversation_resets_and_switches_model(tmp_path: Path) -> None:
    turns = ("Tell me about caching.\nWhat about invalidation?\n/reset\nAnd eviction?\n"
             "/model meta.llama3-8b-instruct-v1:0\nHi again\nexit\n")
    result = cli("chat", "--model", CLAUDE, "--max-tokens", "120", "--json", stdin=turns,
                 history=tmp_path / "h.sqlite")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.strip().splitlines()]
    assert len(records) == 4
    assert "turn 2" in records[1]["text"]  # the first answer travelled with the second question
    assert "turn 2" not in records[2]["text"] and "conversation cleared" in result.stderr
    assert records[3]["model_id"] == "meta.llama3-8b-instruct-v1:0"


def test_chat_trims_the_oldest_turns_and_says_so(tmp_path: Path) -> None:
    turns = "".join(f"Question number {i} about queues?\n" for i in range(6))
    result = cli("chat", "--model", CLAUDE, "--max-tokens", "30", "--max-messages", "4", "--no-history",
                 "--system", "Be brief.", stdin=turns)
    assert result.returncode == 0
    assert "dropped the" in result.stderr and "system prompt is kept" in result.stderr


@pytest.mark.parametrize("problem", ["unwritable", "corrupt"])
def test_an_unusable_history_is_a_note_and_the_answer_still_streams(tmp_path: Path, problem: str) -> None:
    if problem == "unwritable":
        (tmp_path / "blocker").write_text("a file stands where the history's folder should be")
        history, expected = tmp_path / "blocker" / "history.sqlite", "cannot be opened or written"
    else:
        history, expected = tmp_path / "history.sqlite", "not a SQLite database"
        history.write_bytes(b"not a database" * 500)
    result = cli("ask", "--model", CLAUDE, "--max-tokens", "30", "Are you there?", history=history)
    assert result.returncode == 0
    assert result.stdout.startswith("(Emulated answer from Claude 3 Haiku")
    notes = [line for line in result.stderr.splitlines() if line.startswith("note:")]
    assert len(notes) == 1 and "will not be recorded in the history" in notes[0]
    assert expected in notes[0] and str(history) in notes[0] and "BEDROCK_LAB_HISTORY" in notes[0]
    assert "Traceback" not in result.stderr
    bench = cli("bench", "--model", CLAUDE, "--runs", "2", history=history)
    assert bench.returncode == 0 and "will not be recorded in the history" in bench.stderr
    assert "Traceback" not in bench.stderr
