"""The emulator's text: on the prompt's topic, in the markdown the request calls for, exact at its limits,
deterministic per seed, and always framed as emulated."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from core.emulator.textgen import Generation, count_tokens, generate, tokenize

MODEL = "Claude 3 Haiku"


def gen(prompt: str, **options: Any) -> Generation:
    args: dict[str, Any] = {"model_name": MODEL, "user_text": prompt, "system": "", "turn": 1, "max_tokens": 2000,
                            "stop_sequences": (), "thinking_budget": None, "input_tokens": 7, "seed": 1}
    return generate(**(args | options))


def prose(text: str) -> str:
    """The text without its fenced code blocks."""
    return re.sub(r"```.*?```", "", text, flags=re.DOTALL)


def tables(text: str) -> list[list[str]]:
    return [block.strip().split("\n") for block in re.findall(r"(?:^\|.*(?:\n|$))+", prose(text), flags=re.MULTILINE)]


def numbered(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"^(\d+)\. ", text, flags=re.MULTILINE)]


# A spread of requests: every kind the reader knows, with the phrase each answer must carry.
ON_TOPIC = [
    ("What is a vector database?", "vector database"),
    ("Tell me about caching.", "caching"),
    ("Why does streaming feel faster?", "streaming feels faster"),
    ("How does a hash map handle collisions?", "a hash map handles collisions"),
    ("In about 40 words, what does a load balancer do?", "what a load balancer does"),
    ("In about 250 words, explain how TLS protects a connection.", "how TLS protects a connection"),
    ("In about 250 words, explain the trade-offs between SQL and NoSQL databases.", "NoSQL databases"),
    ("How do I choose between streaming and batch responses for a chatbot?", "batch responses"),
    ("How should a team compare latency between two hosted language models?", "hosted language models"),
    ("What about invalidation strategies?", "invalidation strategies"),
    ("Steps to set up a Python virtual environment", "Python virtual environment"),
    ("List 5 ways to reduce cloud costs", "reduce cloud costs"),
    ("What are the benefits of TypeScript?", "TypeScript"),
    ("Give me some tips for writing clean code", "writing clean code"),
    ("Compare Redis and Memcached in a table", "Memcached"),
    ("Rust vs Go for command-line tools", "Rust and Go"),
    ("Should I use Postgres or MySQL for a small web app?", "MySQL"),
    ("Explain photosynthesis to a ten-year-old.", "photosynthesis"),
    ("Write an essay about the causes of the French Revolution", "French Revolution"),
    ("My Lambda function times out after 3 seconds when it calls DynamoDB.", "your Lambda function"),
    ("Write a Python function that reverses a string.", "reverses a string"),
    ("Write a SQL query that finds the top 5 customers by revenue", "customers"),
    ("Write a poem about the sea", "the sea"),
    ("Make a table of the pros and cons of remote work", "remote work"),
    ("Write 250 tokens about streaming latency.", "streaming latency"),
    ("Who was Ada Lovelace?", "Ada Lovelace"),
    ("What should I consider when choosing a laptop?", "when choosing a laptop"),
    ("Can you help me plan a trip to Japan?", "plan a trip to Japan"),
    ("Explain recursion with an example in Python", "factorial(n - 1)"),
    ("Why did the Roman Empire fall?", "the Roman Empire"),
]


@pytest.mark.parametrize(("prompt", "phrase"), ON_TOPIC, ids=[p for p, _ in ON_TOPIC])
def test_the_answer_is_about_the_prompt_and_framed_as_emulated(prompt: str, phrase: str) -> None:
    text = gen(prompt).text
    assert text.startswith(f"(Emulated answer from {MODEL}; no model was called")
    assert phrase in text, text[:400]


def test_the_same_seed_gives_the_same_answer_and_another_seed_another() -> None:
    prompt = "Explain how HTTP caching works."
    first = gen(prompt, seed=3)
    assert gen(prompt, seed=3) == first
    assert len({gen(prompt, seed=s).text for s in range(3, 9)}) == 6
    assert gen(prompt, seed=3, model_name="Nova Micro").text != first.text  # each model has its own answer


def test_a_table_request_gets_a_markdown_table_with_a_separator_and_equal_columns() -> None:
    for seed in range(10):
        text = gen("Compare Redis and Memcached in a table", seed=seed).text
        [table] = tables(text)
        assert table[0] == "| Aspect | Redis | Memcached |"
        assert re.fullmatch(r"\|(?:---\|)+", table[1])
        assert {row.count("|") for row in table} == {4} and len(table) >= 5
    for prompt in ("Give me a table of HTTP status codes", "Make a table of the pros and cons of remote work",
                   "Make a table with columns name, role and team"):
        for table in tables(gen(prompt).text) or pytest.fail(prompt):
            assert len({row.count("|") for row in table}) == 1 and re.fullmatch(r"\|(?:---\|)+", table[1])


@pytest.mark.parametrize(("prompt", "fence"), [
    ("Write a Python function that reverses a string.", "python"),
    ("Write a function to parse a CSV file in Go", "go"),
    ("How do I read a file in Rust?", "rust"),
    ("Write a SQL query that finds the top 5 customers by revenue", "sql"),
    ("Implement binary search in JavaScript", "javascript"),
    ("Create a React component that shows a list of users", "jsx"),
    ("Write a bash script to back up my home directory", "bash"),
    ("Write a function that validates email addresses", "python"),  # no language named: Python
])
def test_a_code_request_gets_one_balanced_fenced_block_in_the_language_asked_for(prompt: str, fence: str) -> None:
    text = gen(prompt).text
    assert text.count("```") == 2
    assert re.search(rf"\n```{fence}\n.+\n```\n", text, flags=re.DOTALL), text


def test_the_python_example_is_valid_python() -> None:
    text = gen("Write a Python function that reverses a string.").text
    source = re.search(r"```python\n(.*?)\n```", text, flags=re.DOTALL)
    assert source is not None
    compile(source.group(1), "example.py", "exec")
    namespace: dict[str, Any] = {}
    exec(source.group(1), namespace)  # the example is runnable, not just well formed
    assert namespace["reverse_string"]("abc") == "cba"


@pytest.mark.parametrize("prompt", ["Steps to set up a Python virtual environment",
                                    "How do I migrate a database to a new server?",
                                    "What is the best way to learn Rust?"])
def test_a_steps_request_gets_a_numbered_list(prompt: str) -> None:
    steps = numbered(gen(prompt).text)
    assert len(steps) >= 4 and steps == list(range(1, len(steps) + 1))


def test_a_list_request_gets_as_many_items_as_asked() -> None:
    text = gen("List 5 ways to reduce cloud costs", seed=2).text
    items = re.findall(r"^(?:- |\d+\. )\*\*", text, flags=re.MULTILINE)
    assert len(items) == 5 and "Here are five ways to reduce cloud costs" in text


def test_a_comparison_names_both_sides_and_ends_with_a_bottom_line() -> None:
    text = gen("What is the difference between a process and a thread?").text
    assert "a process" in text and "a thread" in text and "**Bottom line:**" in text


@pytest.mark.parametrize("limit", [1, 5, 12, 80, 333])
def test_max_tokens_cuts_exactly_at_the_limit_and_a_cut_answer_is_a_prefix(limit: int) -> None:
    prompt = "In about 250 words, explain how a message queue decouples services."
    whole = gen(prompt)
    cut = gen(prompt, max_tokens=limit)
    assert whole.stop == "end" and cut.stop == "max_tokens"
    assert len(cut.answer_tokens) == limit == count_tokens(cut.text) == cut.output_tokens
    assert whole.text.startswith(cut.text)


def test_a_long_limit_with_a_long_request_gives_a_long_answer_quickly() -> None:
    started = time.perf_counter()
    long = gen("Write 4000 tokens about streaming.", max_tokens=4000)
    elapsed_s = time.perf_counter() - started
    assert long.stop == "max_tokens" and len(long.answer_tokens) == 4000
    assert long.text.count("\n## ") >= 8  # sections, as a model writes a long piece
    assert elapsed_s < 0.05, f"{elapsed_s * 1000:.1f} ms for 4,000 tokens"
    medium = gen("In about 800 words, explain how a message queue decouples services.", max_tokens=1200)
    assert 900 <= len(medium.answer_tokens) <= 1200


def test_length_hints_set_the_length() -> None:
    assert 50 <= len(gen("In about 50 words, what is a CDN?").answer_tokens) <= 110
    assert len(gen("Write 600 tokens about queues.").answer_tokens) in range(600, 700)
    assert len(gen("hi").answer_tokens) < 120


def test_stop_sequences_end_the_answer_before_the_sequence() -> None:
    whole = gen("Tell me about caching.").text
    cut = gen("Tell me about caching.", stop_sequences=("zzz", "\n\n"))
    assert cut.stop == "stop_sequence" and cut.stop_sequence == "\n\n"
    assert cut.text == whole[: whole.index("\n\n")] and "\n\n" not in cut.text
    assert len(cut.answer_tokens) == count_tokens(cut.text)
    unmatched = gen("Tell me about caching.", stop_sequences=("zzz-never",))
    assert unmatched.stop == "end" and unmatched.stop_sequence is None and unmatched.text == whole


def test_tokens_partition_every_output_exactly() -> None:
    for prompt, _ in ON_TOPIC:
        g = gen(prompt, thinking_budget=1024, max_tokens=3000)
        assert "".join(tokenize(g.text)) == g.text and tuple(tokenize(g.text)) == g.answer_tokens
        assert "".join(tokenize(g.thinking)) == g.thinking
        assert g.output_tokens == count_tokens(g.text) + count_tokens(g.thinking)


def test_thinking_reads_as_reasoning_about_the_question_and_fills_about_its_budget() -> None:
    prompt = "How do I choose between streaming and batch responses for a chatbot?"
    plain = gen(prompt, max_tokens=3000)
    g = gen(prompt, max_tokens=3000, thinking_budget=2000)
    assert 1500 <= len(g.thinking_tokens) <= 2000
    assert g.thinking.startswith("The user wants help choosing between streaming and batch responses.")
    assert "Outline:" in g.thinking and g.thinking.endswith("Time to write the answer.")
    assert g.text == plain.text  # thinking does not change the answer
    capped = gen(prompt, max_tokens=1500, thinking_budget=2000)
    assert len(capped.thinking_tokens) <= 1500 and capped.answer_tokens  # capped by max tokens, as before


def test_the_system_prompt_the_turn_and_a_prefill_shape_the_answer() -> None:
    prompt = "Tell me about caching."
    pirate = gen(prompt, system="Answer like a pirate captain.").text
    assert '"Answer like a pirate captain."' in pirate.split("\n")[0] and "Ahoy!" in pirate
    assert "turn 2 of the conversation" in gen(prompt, turn=2).text.split("\n")[0]
    brief = gen(prompt, system="Be brief.")
    assert len(brief.answer_tokens) < len(gen(prompt).answer_tokens)
    plain = gen("Compare Redis and Memcached", system="Plain text only, no markdown.").text
    assert "**" not in plain and "|" not in plain
    whole = gen(prompt).text
    rest = gen(prompt, prefill=whole[:60])
    assert whole[:60] + rest.text == whole


def test_greetings_get_a_short_friendly_reply_and_echo_answers_pass_through() -> None:
    hello = gen("Hello!").text
    assert hello.startswith("(Emulated answer") and "Hello! I am an emulated stand-in" in hello
    echoed = gen("anything", answer="Exactly this.", max_tokens=2)
    assert echoed.text == "Exactly" + " this" and echoed.stop == "max_tokens" and echoed.input_tokens == 7


PROMPTS_FOR_FLUENCY = [p for p, _ in ON_TOPIC] + [
    "Hi", "thanks!", "Can I run Docker on a Raspberry Pi?", "Is Rust faster than Go?", "Why is the sky blue?",
    "Write 1000 tokens about streaming latency.", "Describe event streams briefly.", "bad \ud800 surrogate",
    "What's the capital of France?", "Give me 3 ideas for a birthday party", "Write a haiku about autumn",
    "Write a short story about a robot", "Write a unit test for a function that adds two numbers",
    "Create a table of the planets with columns name, diameter and moons", "Summarize the plot of Hamlet",
    "Here is a design document.\n\n" + "The service writes events to a partitioned log. " * 40
    + "\n\nIn about 800 words, review it: strengths, risks, and what you would change.",
]


def test_answers_are_well_formed_for_many_prompts_and_seeds() -> None:
    """No doubled words, no template slot left unfilled, balanced fences, valid tables, sentences capitalised."""
    for seed in range(6):
        for system in ("", "Answer like a pirate captain.", "Be concise."):
            for prompt in PROMPTS_FOR_FLUENCY:
                g = gen(prompt, seed=seed, system=system, max_tokens=5000, thinking_budget=1024 if seed == 0 else None)
                for text in (g.text, g.thinking):
                    outside = prose(text)
                    assert text.count("```") % 2 == 0
                    assert not re.search(r"\b(\w+) +\1\b", outside, flags=re.IGNORECASE), (prompt, outside)
                    assert "{" not in outside and "}" not in outside, (prompt, outside)
                    assert not re.search(r"[.!?] [a-z]", outside), (prompt, outside)
                    assert not re.search(r"\S {2,}\S| [.,;:]", outside), (prompt, outside)
                    for table in tables(text):
                        assert len({row.count("|") for row in table}) == 1, (prompt, table)
                        assert re.fullmatch(r"\|(?:---\|)+", table[1]), (prompt, table)


def test_a_huge_or_odd_prompt_is_read_in_linear_time() -> None:
    """A pasted log or a run of one character must not send a pattern into quadratic backtracking."""
    for prompt in ("x" * 200_000, "word " * 40_000, "a vs " * 20_000, "compare " * 20_000, "(" * 50_000):
        started = time.perf_counter()
        g = gen(prompt, max_tokens=300)
        assert time.perf_counter() - started < 1.0, prompt[:20]
        assert g.text.startswith("(Emulated answer")
