"""One verdict for a chat request, whichever door it comes in by: the run, the CLI, the HTTP API and the
sidebar's widgets give the same answer for the same input, from the model's bounds in the model table.

Before, temperature 1.5 passed the CLI and the run (and reached Bedrock) while the API refused it.
"""

from __future__ import annotations

from typing import Any

import pytest

from core import catalog, errors, validation
from core.__main__ import main
from core.api import BadRequest, parse_generate
from core.client import shared_emulator
from core.streaming import RunRequest, start
from core.types import ChatRequest, Message

from .. import models

CLAUDE = models.CHAT  # temperature 0 to 1, top_p 0 to 1, at most 64,000 output tokens
WIDE = models.WIDE_TEMPERATURE  # temperature 0 to 2 (gpt-oss)
LIMIT = CLAUDE.max_output_tokens or 0

# (model, the request's parameters as each door takes them, refused?)
CASES: list[tuple[catalog.Model, dict[str, Any], bool]] = [
    (CLAUDE, {"temperature": 1.5}, True),
    (WIDE, {"temperature": 1.5}, False),  # through InvokeModel, in the family's own range
    (WIDE, {"temperature": 2.5}, True),
    (CLAUDE, {"temperature": 0.0}, False),
    (CLAUDE, {"temperature": -0.1}, True),
    (CLAUDE, {"top_p": 1.2}, True),
    (CLAUDE, {"top_p": 1.0}, False),
    (CLAUDE, {"max_tokens": LIMIT}, False),
    (CLAUDE, {"max_tokens": LIMIT + 1}, True),
    (CLAUDE, {"max_tokens": 0}, True),
    (CLAUDE, {"stop_sequences": [f"stop{i}" for i in range(validation.MAX_STOP_SEQUENCES)]}, False),
    (CLAUDE, {"stop_sequences": [f"stop{i}" for i in range(validation.MAX_STOP_SEQUENCES + 1)]}, True),
]
IDS = [f"{model.name}-{next(iter(fields))}={next(iter(fields.values()))!s:.12}-{'refused' if refused else 'ok'}"
       for model, fields, refused in CASES]


def api_of(model: catalog.Model) -> str:
    """The API a case goes through: InvokeModel for the wide-range model (Converse takes 0 to 1 from any model)."""
    return "invoke" if model is WIDE else "converse"


def chat_of(fields: dict[str, Any]) -> ChatRequest:
    return ChatRequest((Message("user", "Hello"),), max_tokens=fields.get("max_tokens", 50),
                       temperature=fields.get("temperature"), top_p=fields.get("top_p"),
                       stop_sequences=tuple(fields.get("stop_sequences", ())))


def requests_seen() -> int:
    return shared_emulator().state.requests


@pytest.mark.parametrize(("model", "fields", "refused"), CASES, ids=IDS)
def test_the_validator_and_the_run_agree(model: catalog.Model, fields: dict[str, Any], refused: bool) -> None:
    chat = chat_of(fields)
    if refused:
        with pytest.raises(errors.InvalidRequestError) as caught:
            validation.check(model, chat, api_of(model))  # type: ignore[arg-type]
        assert caught.value.field == next(iter(fields))  # the field at fault is named
    else:
        validation.check(model, chat, api_of(model))  # type: ignore[arg-type]
    before = requests_seen()
    run = start(RunRequest(models.call_id(model), chat, api=api_of(model), max_attempts=1))  # type: ignore[arg-type]
    if refused:
        with pytest.raises(errors.InvalidRequestError) as from_run:
            run.result()
        assert from_run.value.message == caught.value.message
        assert requests_seen() == before  # nothing was sent
    else:
        assert run.result().status == "ok"


@pytest.mark.parametrize(("model", "fields", "refused"), CASES, ids=IDS)
def test_the_cli_gives_the_same_verdict(model: catalog.Model, fields: dict[str, Any], refused: bool,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    args = ["ask", "Hello", "--model", models.call_id(model), "--api", api_of(model), "--no-history", "--max-tokens",
            str(fields.get("max_tokens", 50))]
    for name in ("temperature", "top_p"):
        if name in fields:
            args += [f"--{name.replace('_', '-')}", str(fields[name])]
    if "stop_sequences" in fields:
        args += ["--stop", *fields["stop_sequences"]]
    if refused:
        with pytest.raises(SystemExit) as usage:
            main(args)
        assert usage.value.code == 2
        expected = pytest.raises(errors.InvalidRequestError, validation.check, model, chat_of(fields), api_of(model))
        assert expected.value.detail in capsys.readouterr().err  # in the validator's words
    else:
        assert main(args) == 0


@pytest.mark.parametrize(("model", "fields", "refused"), CASES, ids=IDS)
def test_the_http_api_gives_the_same_verdict(model: catalog.Model, fields: dict[str, Any], refused: bool) -> None:
    body = {"model_id": models.call_id(model), "prompt": "Hello", "api": api_of(model), **fields}
    if refused:
        with pytest.raises(BadRequest) as caught:
            parse_generate(body, None)
        expected = pytest.raises(errors.InvalidRequestError, validation.check, model, chat_of(fields), api_of(model))
        assert caught.value.field == expected.value.field and expected.value.detail in caught.value.message
    else:
        checked = parse_generate(body, None)
        assert checked.chat.temperature == fields.get("temperature") and checked.chat.top_p == fields.get("top_p")


def test_each_familys_temperature_range_comes_from_the_model_table() -> None:
    assert validation.bounds_for(CLAUDE, "invoke").temperature == (0.0, 1.0)
    assert validation.bounds_for(WIDE, "invoke").temperature == (0.0, 2.0)
    assert validation.bounds_for(WIDE, "converse").temperature == (0.0, 1.0)  # Converse's own range, any model
    with pytest.raises(errors.InvalidRequestError, match="through Converse \\(InvokeModel takes up to 2\\)"):
        validation.check(WIDE, chat_of({"temperature": 1.5}), "converse")
    unknown = catalog.resolve("acme.brand-new-model-v1:0")  # not in the table: the common range
    assert validation.bounds_for(unknown).temperature == (0.0, 1.0)
    assert validation.bounds_for(unknown).max_tokens == (1, validation.FALLBACK_OUTPUT_LIMIT)
    assert validation.bounds_for(CLAUDE).max_tokens == (1, LIMIT)
