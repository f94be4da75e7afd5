"""Anthropic's own SDK (anthropic 2.15.0, `AnthropicBedrock`) talks to the emulator as it talks to Bedrock.

The SDK signs with SigV4, moves `model` into the path (`/model/{id}/invoke[-with-response-stream]`), puts its
dated `anthropic_version` in the body and decodes the event stream with botocore: what it gets back is checked
by its own types, so a field the emulator gets wrong fails here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

anthropic = pytest.importorskip("anthropic")

SONNET = "global.anthropic.claude-sonnet-4-6"
QUESTION = [{"role": "user", "content": "How do I choose between streaming and batch responses for a chatbot?"}]


@pytest.fixture()
def claude(emulator: Any) -> Iterator[Any]:
    client = anthropic.AnthropicBedrock(aws_access_key="testing", aws_secret_key="testing", aws_region="us-east-1",
                                        base_url=emulator.url, max_retries=0)
    yield client
    client.close()


def test_the_sdk_streams_a_message_with_its_text_and_usage(claude: Any) -> None:
    with claude.messages.stream(model=SONNET, max_tokens=400, messages=QUESTION) as stream:
        pieces = list(stream.text_stream)
        final = stream.get_final_message()
    text = "".join(pieces)
    assert len(pieces) > 10 and text.startswith("(Emulated answer from Claude Sonnet 4.6")
    assert final.content[-1].text == text and final.model == "claude-sonnet-4-6"
    assert final.stop_reason in ("end_turn", "max_tokens")
    assert final.usage.input_tokens > 0 and final.usage.output_tokens >= len(pieces)


def test_the_sdk_reads_adaptive_thinking_and_its_signature(claude: Any) -> None:
    with claude.messages.stream(model="global.anthropic.claude-opus-4-8", max_tokens=6000, messages=QUESTION,
                                thinking={"type": "adaptive", "display": "summarized"},
                                output_config={"effort": "low"}) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_message()
    assert "thinking" in kinds and "signature" in kinds and "text" in kinds
    thinking, answer = final.content
    assert thinking.type == "thinking" and thinking.thinking and thinking.signature
    assert answer.type == "text" and answer.text.startswith("(Emulated answer")


def test_the_sdk_gets_omitted_thinking_and_the_newer_stop_reasons(claude: Any, control: Any) -> None:
    message = claude.messages.create(model="global.anthropic.claude-opus-5", max_tokens=4000, messages=QUESTION)
    assert message.content[0].type == "thinking" and message.content[0].thinking == ""
    assert message.content[0].signature and message.usage.output_tokens > 0
    control.fault("refusal", model_id="global.anthropic.claude-fable-5", after_tokens=3)
    with claude.messages.stream(model="global.anthropic.claude-fable-5", max_tokens=4000, messages=QUESTION) as stream:
        refused = stream.get_final_message()
    assert refused.stop_reason == "refusal"
    long_input = [{"role": "user", "content": "word " * 199_950}, {"role": "assistant", "content": "Noted."},
                  *QUESTION]
    with claude.messages.stream(model=SONNET, max_tokens=64000, messages=long_input) as stream:
        cut = stream.get_final_message()  # the SDK insists on a stream for a max_tokens this large
    assert cut.stop_reason == "model_context_window_exceeded"


def test_the_sdk_raises_bedrocks_refusals_as_its_own_errors(claude: Any) -> None:
    with pytest.raises(anthropic.BadRequestError) as bad:
        claude.messages.create(model="global.anthropic.claude-opus-4-7", max_tokens=100, messages=QUESTION,
                               extra_body={"temperature": 0.5})  # this SDK version has no temperature
    assert "`temperature` is deprecated for this model." in str(bad.value)
    with pytest.raises(anthropic.NotFoundError) as gone:
        claude.messages.create(model="us.anthropic.claude-3-7-sonnet-20250219-v1:0", max_tokens=100,
                               messages=QUESTION)
    assert "reached the end of its life" in str(gone.value)
