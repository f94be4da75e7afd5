"""Workloads: prompts of the public benchmarks' sizes, and JSONL replay with clear errors for a bad file."""

from __future__ import annotations

from pathlib import Path

import pytest

from core import bench
from core.load.workloads import SIZED_SETS, InvalidReplay, Prompt, load_replay, parse_replay, sized_prompts
from core.metrics import estimate_tokens

from ..models import FAST


@pytest.mark.parametrize("name", list(SIZED_SETS))
def test_sized_sets_have_the_input_size_and_the_output_limit_of_their_name(name: str) -> None:
    in_tokens, out_tokens = SIZED_SETS[name]
    prompts, max_tokens = sized_prompts(name)
    assert max_tokens == out_tokens and len(set(prompts)) == len(prompts) == 5
    assert all(abs(estimate_tokens(p) - in_tokens) <= max(10, in_tokens * 0.05) for p in prompts)
    assert sized_prompts(name) == (prompts, max_tokens)  # deterministic
    assert bench.PROMPT_SETS[name].max_tokens == out_tokens


def test_a_sized_answer_is_cut_at_its_output_size(emulator: object) -> None:
    from tests.conftest import client_for

    spec = bench.BenchmarkSpec((FAST,), *sized_prompts("in100-out300"), runs_per_model=2, api="converse")
    result = bench.run_benchmark(spec, client=client_for(emulator.url))  # type: ignore[attr-defined]
    assert [r.output_tokens for r in result.records] == [300, 300]  # asked for more than max_tokens allows


def test_replay_reads_prompts_with_their_own_limits(tmp_path: Path) -> None:
    path = tmp_path / "prompts.jsonl"
    path.write_text('{"prompt": "Tell me about tides.", "max_tokens": 40}\n\n'
                    '{"prompt": "And harbours?", "system": "Be brief."}\n', encoding="utf-8")
    assert load_replay(path) == (Prompt("Tell me about tides.", 40), Prompt("And harbours?", None, "Be brief."))
    spec = bench.BenchmarkSpec((FAST,), ("-",), 64, runs_per_model=3, replay=load_replay(path))
    chats = [r.chat for r in bench.plan(spec)]
    assert [(c.messages[0].text, c.max_tokens, c.system) for c in chats] == [
        ("Tell me about tides.", 40, ""), ("And harbours?", 64, "Be brief."), ("Tell me about tides.", 40, "")]


@pytest.mark.parametrize(("text", "message"), [
    ('{"prompt": "a"}\nnot json\n', "line 2 is not JSON"),
    ('["a"]\n', 'line 1 must be a JSON object with a "prompt"'),
    ('{"prompt": "  "}\n', 'line 1: "prompt" must be text that is not empty'),
    ('{"prompt": "a", "max_tokens": 0}\n', '"max_tokens" must be a whole number above 0'),
    ('{"prompt": "a", "max_token": 5}\n', "unknown keys max_token; the keys are prompt, max_tokens, system"),
    ('{"prompt": "a", "system": 3}\n', '"system" must be text'),
    ("\n\n", "holds no prompt"),
])
def test_a_bad_replay_file_says_which_line_and_what(text: str, message: str) -> None:
    with pytest.raises(InvalidReplay, match=message):
        parse_replay(text, "mine.jsonl")


def test_a_missing_replay_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidReplay, match="replay file .*nothing.jsonl does not exist"):
        load_replay(tmp_path / "nothing.jsonl")
