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

from core import catalog
from core.history import History

from ..models import CHAT, CLAUDE, FAST, LEGACY, NO_SAMPLING, REASONING_TAG, RETIRED, call_id

ROOT = Path(__file__).resolve().parents[2]


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
    assert result.stdout.startswith(f"(Emulated answer from {CHAT.name}") and "vector database" in result.stdout
    summary = result.stderr.strip().splitlines()[-1]
    assert CLAUDE in summary and "TTFT" in summary and "tok/s" in summary and "(reported)" in summary
    assert "estimate" in summary
    assert summary.startswith(f"{CHAT.name} ({CLAUDE}) · stream · ok · ")  # the model's name, with the id
    assert "None" not in summary


def test_ask_json_prints_exactly_one_record_line(tmp_path: Path) -> None:
    history = tmp_path / "h.sqlite"
    result = cli("ask", "--model", FAST, "--api", "converse", "--no-stream", "--json",
                 "--max-tokens", "40", "Explain retries", history=history)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["model_id"] == FAST and record["api"] == "converse"
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
    assert record["status"] == "error" and record["error_code"] == "UnsupportedApi"  # no InvokeModel family
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
    ("ask", "--model", CLAUDE, "--effort", "extreme", "hi"),
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
             f"/model {FAST}\nHi again\nexit\n")
    result = cli("chat", "--model", CLAUDE, "--max-tokens", "120", "--json", stdin=turns,
                 history=tmp_path / "h.sqlite")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.strip().splitlines()]
    assert len(records) == 4
    assert "turn 2" in records[1]["text"]  # the first answer travelled with the second question
    assert "turn 2" not in records[2]["text"] and "conversation cleared" in result.stderr
    assert records[3]["model_id"] == FAST


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
    assert result.stdout.startswith(f"(Emulated answer from {CHAT.name}")
    notes = [line for line in result.stderr.splitlines() if line.startswith("note:")]
    assert len(notes) == 1 and "will not be recorded in the history" in notes[0]
    assert expected in notes[0] and str(history) in notes[0] and "BEDROCK_LAB_HISTORY" in notes[0]
    assert "Traceback" not in result.stderr
    bench = cli("bench", "--model", CLAUDE, "--runs", "2", history=history)
    assert bench.returncode == 0 and "will not be recorded in the history" in bench.stderr
    assert "Traceback" not in bench.stderr


def test_ask_without_a_model_uses_the_tables_default() -> None:
    """The README's first example: no --model, the model table's default chat model answers."""
    result = cli("ask", "--max-tokens", "30", "--no-history", "Why does streaming feel faster?")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"(Emulated answer from {CHAT.name}") and "Traceback" not in result.stderr


def test_sampling_a_model_refuses_is_left_out_and_the_record_says_so() -> None:
    result = cli("ask", "--model", call_id(NO_SAMPLING), "--temperature", "0.5", "--top-p", "0.9", "--json",
                 "--max-tokens", "40", "--no-history", "Explain backpressure")
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout.strip())
    assert record["status"] == "ok" and record["text"].startswith(f"(Emulated answer from {NO_SAMPLING.name}")
    sent = json.loads(record["request_json"])
    assert "temperature" not in sent and "top_p" not in sent
    [note] = [n for n in record["notes"] if "not sent" in n]
    assert NO_SAMPLING.name in note and "temperature 0.5" in note and "top_p 0.9" in note
    assert f"note: {note}" in result.stderr


def test_effort_goes_in_the_models_field_and_its_reasoning_stays_out_of_the_answer() -> None:
    tag = REASONING_TAG.family.reasoning_tag if REASONING_TAG.family else None
    assert tag is not None
    args = ("ask", "--model", call_id(REASONING_TAG), "--effort", "high", "--max-tokens", "200", "--no-history",
            "Why is the sky blue?")
    printed = cli(*args)
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.startswith(f"(Emulated answer from {REASONING_TAG.name}") and "sky" in printed.stdout
    assert f"<{tag}>" not in printed.stdout and f"</{tag}>" not in printed.stdout
    as_json = cli(*args, "--json")
    assert as_json.returncode == 0, as_json.stderr
    record = json.loads(as_json.stdout.strip())
    assert json.loads(record["request_json"])["reasoning_effort"] == "high" and record["notes"] == []
    assert record["reasoning_text"] and f"<{tag}>" not in record["text"] and f"</{tag}>" not in record["text"]
    assert record["text"] == printed.stdout.removesuffix("\n")  # what was printed is the answer, and only it


def test_a_retired_model_exits_1_and_names_its_replacement(tmp_path: Path) -> None:
    replacement = RETIRED.replacement
    assert replacement is not None
    result = cli("ask", "--model", call_id(RETIRED), "--json", "Hello", history=tmp_path / "h.sqlite")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "reached the end of its life" in result.stderr and f"{RETIRED.name} is no longer served" in result.stderr
    assert f"Pick {replacement.name} (`{call_id(replacement)}`) instead" in result.stderr
    record = json.loads(result.stdout.strip())
    assert record["status"] == "error" and record["error_code"] == "ResourceNotFoundException"


def test_models_lists_the_table_with_lifecycle_and_rules() -> None:
    result = cli("models")
    assert result.returncode == 0 and "Traceback" not in result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()}
    assert list(lines) == [m.base_id for m in catalog.listed_models()]  # every model of the table, in its order
    assert "Legacy · end of life" in lines[LEGACY.base_id] and LEGACY.label in lines[LEGACY.base_id]
    assert "end of life" in lines[RETIRED.base_id] and "Legacy" not in lines[RETIRED.base_id]
    assert "end of life" not in lines[CHAT.base_id] and f"sampling {CHAT.sampling}" in lines[CHAT.base_id]
    assert f"sampling none, reasoning {NO_SAMPLING.thinking}" in lines[NO_SAMPLING.base_id]
    markdown = cli("models", "--markdown")
    assert markdown.returncode == 0 and markdown.stdout == catalog.markdown()


def test_runs_are_recorded_under_the_name_given_or_the_environments(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    named = cli("ask", "--model", CLAUDE, "--max-tokens", "20", "--user", "  Ana   Silva ", "--json", "Hi",
                history=path)
    assert named.returncode == 0, named.stderr
    record = json.loads(named.stdout.strip())
    assert record["user_name"] == "Ana Silva" and record["host"]  # spaces tidied; this machine's name
    bench_run = cli("bench", "--model", CLAUDE, "--runs", "2", history=path, env={"BEDROCK_LAB_USER": "ci-bot"})
    assert bench_run.returncode == 0, bench_run.stderr
    runs = History(path).runs()
    assert sorted(runs["user_name"]) == ["Ana Silva", "ci-bot", "ci-bot"]
    assert set(runs["host"]) == {record["host"]}


def test_ask_through_bedrocks_openai_compatible_route(tmp_path: Path) -> None:
    taker = next(m for m in catalog.listed_models() if "openai" in m.apis and m.lifecycle == "active")
    asked = cli("ask", "--model", call_id(taker), "--api", "openai", "--max-tokens", "40", "--json", "Hi",
                history=tmp_path / "h.sqlite")
    assert asked.returncode == 0, asked.stderr
    record = json.loads(asked.stdout.strip())
    assert record["api"] == "openai" and record["status"] == "ok" and record["text"].startswith("(Emulated answer")
    refused = cli("ask", "--model", CLAUDE, "--api", "openai", "--no-history", "Hi")
    assert refused.returncode != 0 and "Chat Completions" in refused.stderr


def test_a_benchmark_writes_its_shareable_report(tmp_path: Path) -> None:
    result = cli("bench", "--model", CLAUDE, "--runs", "3", "--slo", "ttft_ms=60000", history=tmp_path / "h.sqlite")
    assert result.returncode == 0, result.stderr
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("report: ")]
    html = Path(line.removeprefix("report: ").split(" (")[0])
    assert html.parent == tmp_path / "reports" and html.is_file()  # beside the history by default
    assert "benchmark " in result.stderr and "3 runs in " in result.stderr and "(3 ok, 0 failed)" in result.stderr
    assert "TTFT <= 60,000 ms" in result.stdout  # the same number format as every page
    assert html.with_suffix(".csv").is_file() and html.with_suffix(".json").is_file()
    assert "TTFT" in html.read_text() and "<script src=" not in html.read_text()  # plotly inlined: works offline
    chosen = cli("bench", "--model", CLAUDE, "--runs", "2", "--report", str(tmp_path / "mine"), "--no-history")
    assert chosen.returncode == 0 and list((tmp_path / "mine").glob("benchmark-*.html"))
    none = cli("bench", "--model", CLAUDE, "--runs", "2", "--no-report", "--no-history")
    assert none.returncode == 0 and "report: " not in none.stderr


def test_locust_takes_a_fixed_load_only_and_says_so() -> None:
    refused = cli("bench", "--model", CLAUDE, "--locust", "--pattern", "sweep", "--concurrency", "4", "--no-history")
    assert refused.returncode == 2 and "Locust" in refused.stderr and "Traceback" not in refused.stderr
