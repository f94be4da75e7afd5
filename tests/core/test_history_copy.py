"""Moving a history in and out: `copy_history` and `python -m core history copy | info`, SQLite <-> PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from core.history import History
from core.history.copy import copy_history
from tests.postgres import free_port

from .test_history import full_run, make_run

ROOT = Path(__file__).resolve().parents[2]


def fill(history: History, runs: int = 25) -> None:
    """Runs of every shape, and conversations (owned, shared, from before owners) with their messages."""
    history.record_run(full_run())
    for i in range(runs - 1):
        history.record_run(make_run(f"r{i:03d}", started_utc=f"2025-03-0{1 + i % 3}T12:{i % 60:02d}:00+0{i % 3}:00",
                                    ttft_ms=None if i % 4 else 100.0 + i, notes=[f"n{i}"] if i % 2 else [],
                                    user_name=None if i % 5 == 0 else f"user-{i % 3}", host=f"host-{i % 2}"))
    for n, (owner, shared) in enumerate([("ana", False), ("bo", True), (None, False)]):
        conversation = history.create_conversation(f"conversation {n}", "m", "Be brief." if n else "", owner=owner)
        if shared:
            history.share_conversation(conversation)
        for k in range(n + 2):
            history.add_message(conversation, "user" if k % 2 == 0 else "assistant", f"message {k} ✓",
                                run_id=f"r{k:03d}" if k % 2 else None, status="cancelled" if k == 3 else "ok")


def contents(history: History) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, list[dict[str, object]]]]:
    conversations = history.conversations()
    return (history.runs(), conversations,
            {cid: history.messages(cid) for cid in conversations["conversation_id"]})


def assert_same(first: History, second: History) -> None:
    runs_a, conversations_a, messages_a = contents(first)
    runs_b, conversations_b, messages_b = contents(second)
    pd.testing.assert_frame_equal(runs_a, runs_b)  # recorded_utc included: copied, not re-stamped
    pd.testing.assert_frame_equal(conversations_a, conversations_b)
    assert messages_a == messages_b
    assert first.get_run("run-full") == second.get_run("run-full") == full_run()


def test_sqlite_to_postgresql_and_back_is_lossless_and_idempotent(tmp_path: Path, postgres_url: str) -> None:
    original = History(tmp_path / "laptop.sqlite")
    fill(original)
    team = History(postgres_url)
    first = copy_history(original, team, batch_rows=7)  # several batches per table
    assert first.copied == {"runs": 25, "conversations": 3, "messages": 9, "compare_picks": 0}
    assert first.present == {"runs": 0, "conversations": 0, "messages": 0, "compare_picks": 0}
    assert first.summary() == "copied 25 runs and 3 conversations (9 messages); 0 already there"
    assert_same(original, team)

    again = copy_history(original, team)
    assert again.copied == {"runs": 0, "conversations": 0, "messages": 0, "compare_picks": 0}
    assert again.summary() == "copied nothing: 25 runs and 3 conversations (9 messages) already there"
    assert team.counts() == {"runs": 25, "conversations": 3, "messages": 9, "compare_picks": 0}

    back = History(tmp_path / "back.sqlite")
    assert copy_history(team, back).copied == first.copied
    assert_same(original, back)
    assert copy_history(team, back).copied == again.copied


def test_a_copy_into_a_history_that_has_some_of_it_adds_the_rest(tmp_path: Path, postgres_url: str) -> None:
    team = History(postgres_url)
    team.record_run(make_run("r000", text="the team's copy is kept"))
    team.record_run(make_run("theirs"))
    laptop = History(tmp_path / "laptop.sqlite")
    fill(laptop, runs=5)
    result = copy_history(laptop, team)
    assert (result.copied["runs"], result.present["runs"]) == (4, 1)
    assert result.summary() == ("copied 4 runs and 3 conversations (9 messages); 1 runs and 0 conversations "
                                "(0 messages) already there")
    kept = team.get_run("r000")
    assert kept is not None and kept.text == "the team's copy is kept"  # first writer wins, nothing overwritten
    assert len(team.runs()) == 6


def test_copy_refuses_a_batch_of_nothing(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="batch_rows"):
        copy_history(History(tmp_path / "a.sqlite"), History(tmp_path / "b.sqlite"), batch_rows=0)


# -- the command -------------------------------------------------------------------------------------------


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "core", "history", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})


def test_the_copy_command_end_to_end(tmp_path: Path, postgres_url: str, postgres_server: Any) -> None:
    laptop = tmp_path / "laptop.sqlite"
    fill(History(laptop))
    done = cli("copy", "--from", str(laptop), "--to", postgres_url)
    assert (done.returncode, done.stdout, done.stderr) == (
        0, "copied 25 runs and 3 conversations (9 messages); 0 already there\n", "")
    again = cli("copy", "--from", str(laptop), "--to", postgres_url)
    assert (again.returncode, again.stdout) == (
        0, "copied nothing: 25 runs and 3 conversations (9 messages) already there\n")
    back = tmp_path / "new-folder" / "back.sqlite"
    assert cli("copy", "--from", postgres_url, "--to", str(back), "--batch", "4").returncode == 0
    assert_same(History(laptop), History(back))

    info = cli("info", postgres_url)
    assert info.returncode == 0, info.stderr
    password = postgres_server.password
    assert password not in info.stdout and "***" in info.stdout and "PostgreSQL" in info.stdout
    assert "5 migrations, the last m005_compare_picks (up to date)" in info.stdout
    assert "runs           25, by 4 people on 3 hosts" in info.stdout  # full_run() is Ana Lima's
    assert "conversations  3 (9 messages)" in info.stdout
    default = cli("info", env={"BEDROCK_LAB_HISTORY": str(laptop)})
    assert default.returncode == 0 and f"history        {laptop} (SQLite" in default.stdout


def test_the_copy_command_says_what_is_wrong_without_a_traceback(tmp_path: Path) -> None:
    missing = cli("copy", "--from", str(tmp_path / "nothing-here.sqlite"), "--to", str(tmp_path / "b.sqlite"))
    assert missing.returncode == 2
    assert missing.stderr == f"error: --from: there is no history file at {tmp_path / 'nothing-here.sqlite'}\n"
    assert not (tmp_path / "b.sqlite").exists()

    source = tmp_path / "a.sqlite"
    History(source).record_run(make_run("r1"))
    unreachable = f"postgresql://lab:Hidden-Pass-9@127.0.0.1:{free_port()}/lab"
    down = cli("copy", "--from", str(source), "--to", unreachable)
    assert down.returncode == 2 and "Traceback" not in down.stderr
    assert down.stderr.startswith("error: Run history is unavailable: the database server cannot be reached")
    assert "Hidden-Pass-9" not in down.stderr + down.stdout and "lab:***@" in down.stderr

    same = cli("copy", "--from", str(source), "--to", str(source))
    assert (same.returncode, same.stderr) == (2, "error: --from and --to name the same history\n")
    usage = cli("copy", "--from", str(source))
    assert usage.returncode == 2 and "--to" in usage.stderr


def test_info_on_a_history_not_created_yet(tmp_path: Path) -> None:
    done = cli("info", str(tmp_path / "later.sqlite"))
    assert (done.returncode, done.stdout) == (
        0, f"history        {tmp_path / 'later.sqlite'} (no file yet: the first recorded run creates it)\n")
    assert not (tmp_path / "later.sqlite").exists()
