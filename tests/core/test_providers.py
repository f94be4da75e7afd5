"""Provider modules: model ids to families, request bodies per family, and recorded payloads to events."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import botocore.session
import botocore.validate
import pytest

from core import converse
from core.providers import (
    FAMILIES,
    UnknownModelError,
    anthropic_messages,
    base_model_id,
    deepseek,
    events_from_chunk,
    family_of,
    mistral_chat,
    nova,
    openai_chat,
    provider_for,
    provider_name,
)
from core.providers.tags import TagSplitter, split_events, split_tagged
from core.types import (
    ChatRequest,
    Completion,
    Event,
    Message,
    Reasoning,
    ReasoningDelta,
    ServerMetrics,
    Stop,
    TextDelta,
    Usage,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def load(kind: str, name: str) -> Any:
    return json.loads((FIXTURES / kind / f"{name}.json").read_text())


def stream_events(family: str, name: str) -> list[Event]:
    return [event for chunk in load("streams", name) for event in events_from_chunk(family, chunk)]


# -- family_of -------------------------------------------------------------------------------

CLAUDE_HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"


@pytest.mark.parametrize(("model_id", "family"), [
    (CLAUDE_HAIKU, "anthropic-messages"),
    ("anthropic.claude-3-5-sonnet-20241022-v2:0", "anthropic-messages"),
    ("anthropic.claude-3-7-sonnet-20250219-v1:0", "anthropic-messages"),
    ("anthropic.claude-sonnet-4-20250514-v1:0", "anthropic-messages"),
    ("anthropic.claude-opus-4-1-20250805-v1:0", "anthropic-messages"),
    ("anthropic.claude-haiku-4-5-20251001-v1:0", "anthropic-messages"),
    ("anthropic.claude-v2", "anthropic-text"),
    ("anthropic.claude-v2:1", "anthropic-text"),
    ("anthropic.claude-instant-v1", "anthropic-text"),
    ("amazon.titan-text-express-v1", "titan-text"),
    ("amazon.titan-text-premier-v1:0", "titan-text"),
    ("amazon.nova-micro-v1:0", "nova"),
    ("amazon.nova-premier-v1:0", "nova"),
    ("meta.llama2-13b-chat-v1", "llama2"),
    ("meta.llama3-8b-instruct-v1:0", "llama3"),
    ("meta.llama3-1-405b-instruct-v1:0", "llama3"),
    ("meta.llama4-scout-17b-instruct-v1:0", "llama3"),
    ("mistral.mistral-7b-instruct-v0:2", "mistral-prompt"),
    ("mistral.mixtral-8x7b-instruct-v0:1", "mistral-prompt"),
    ("mistral.mistral-large-2402-v1:0", "mistral-prompt"),
    ("mistral.mistral-small-2402-v1:0", "mistral-prompt"),
    ("mistral.mistral-large-2407-v1:0", "mistral-chat"),
    ("mistral.mistral-large-2411-v1:0", "mistral-chat"),
    ("mistral.pixtral-large-2502-v1:0", "mistral-chat"),
    ("cohere.command-r-v1:0", "cohere-r"),
    ("cohere.command-r-plus-v1:0", "cohere-r"),
    ("cohere.command-text-v14", "cohere-command"),
    ("cohere.command-light-text-v14", "cohere-command"),
    ("ai21.jamba-1-5-mini-v1:0", "jamba"),
    ("ai21.jamba-instruct-v1:0", "jamba"),
    ("ai21.j2-ultra-v1", "jurassic2"),
])
def test_family_of_plain_ids(model_id: str, family: str) -> None:
    assert family_of(model_id) == family


@pytest.mark.parametrize("model_id", [
    "us.anthropic.claude-3-haiku-20240307-v1:0",
    "eu.anthropic.claude-3-haiku-20240307-v1:0",
    "apac.anthropic.claude-3-haiku-20240307-v1:0",
    "global.anthropic.claude-3-haiku-20240307-v1:0",
    "us-gov.anthropic.claude-3-haiku-20240307-v1:0",
    "jp.anthropic.claude-3-haiku-20240307-v1:0",
    "au.anthropic.claude-3-haiku-20240307-v1:0",
    "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
    "arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.anthropic.claude-3-haiku-20240307-v1:0",
    "arn:aws-us-gov:bedrock:us-gov-west-1:123456789012:inference-profile/us-gov.anthropic.claude-3-haiku-20240307-v1:0",
])
def test_profiles_and_arns_resolve_to_the_base_model(model_id: str) -> None:
    assert base_model_id(model_id) == CLAUDE_HAIKU
    assert family_of(model_id) == "anthropic-messages"


def test_profile_prefix_is_stripped_only_once_and_plain_ids_are_left_alone() -> None:
    assert base_model_id("us.meta.llama3-2-1b-instruct-v1:0") == "meta.llama3-2-1b-instruct-v1:0"
    assert base_model_id("amazon.nova-lite-v1:0") == "amazon.nova-lite-v1:0"
    assert family_of("us.amazon.nova-lite-v1:0") == "nova"
    assert family_of("arn:aws:bedrock:us-west-2::foundation-model/meta.llama2-70b-chat-v1") == "llama2"


@pytest.mark.parametrize("model_id", [
    "amazon.titan-embed-text-v2:0",
    "cohere.embed-english-v3",
    "stability.sd3-large-v1:0",
    "zai.glm-4.7",
    "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6",
    "claude-3-haiku",
])
def test_invoke_for_a_model_of_no_known_family_says_why_and_offers_converse(model_id: str) -> None:
    with pytest.raises(UnknownModelError) as caught:
        family_of(model_id)
    assert isinstance(caught.value, ValueError)
    assert caught.value.model_id == model_id
    assert "InvokeModel body" in str(caught.value) and "Converse API" in str(caught.value)
    with pytest.raises(UnknownModelError):
        provider_for(model_id)


@pytest.mark.parametrize("model_id", ["", "arn:aws:s3:::bucket/key", "two words"])
def test_what_is_not_a_model_reference_is_refused_as_such(model_id: str) -> None:
    with pytest.raises(UnknownModelError, match="is not a Bedrock model id"):
        family_of(model_id)


def test_provider_name_never_raises() -> None:
    assert provider_name("us.anthropic.claude-3-haiku-20240307-v1:0") == "Anthropic"
    assert provider_name("mistral.mistral-large-2407-v1:0") == "Mistral AI"
    assert provider_name("us.deepseek.r1-v1:0") == "DeepSeek"
    assert provider_name("moonshotai.kimi-k2.5") == "Moonshot AI"  # not in the table: its vendor row
    assert provider_name("acme.new-model") == "acme"


def test_every_family_has_a_provider_with_the_expected_flags() -> None:
    for family in FAMILIES:
        provider = provider_for(family)
        assert provider.supports_prefill == (family == "anthropic-messages")
        assert provider.streams == (family != "jurassic2")
    assert provider_for("meta.llama2-13b-chat-v1") is not provider_for("meta.llama3-8b-instruct-v1:0")
    unsupported_system = {f for f in FAMILIES if not provider_for(f).supports_system}
    assert unsupported_system == {"titan-text", "mistral-prompt", "cohere-command", "jurassic2"}


# -- build_request ---------------------------------------------------------------------------

CHAT = ChatRequest(
    messages=(Message("user", "Hi"), Message("assistant", "Hello! How can I help?"), Message("user", "Name a color.")),
    system="Answer in one word.",
    max_tokens=200,
    temperature=0.5,
    top_p=0.9,
    stop_sequences=("END",),
)


def build(family: str, request: ChatRequest = CHAT) -> tuple[dict[str, object], tuple[str, ...]]:
    built = provider_for(family).build_request(request)
    json.dumps(built.body)  # every body must be JSON as it is
    return built.body, built.notes


def test_claude_messages_body() -> None:
    body, notes = build("anthropic-messages")
    assert body == {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 200,
        "system": "Answer in one word.",
        "messages": [
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello! How can I help?"},
            {"role": "user", "content": "Name a color."},
        ],
        "temperature": 0.5,
        "top_p": 0.9,
        "stop_sequences": ["END"],
    }
    assert notes == ()


def test_claude_messages_leaves_out_unset_parameters_and_an_empty_system() -> None:
    body, _ = build("anthropic-messages", ChatRequest((Message("user", "Hi"),)))
    assert body == {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 512,
                    "messages": [{"role": "user", "content": "Hi"}]}


def test_claude_messages_keeps_a_prefill_and_trims_its_trailing_white_space() -> None:
    request = ChatRequest((Message("user", "Count to five."), Message("assistant", "1, 2, ")))
    body, notes = build("anthropic-messages", request)
    assert body["messages"] == [{"role": "user", "content": "Count to five."},
                                {"role": "assistant", "content": "1, 2,"}]
    assert len(notes) == 1 and "white space" in notes[0]


def test_claude_v2_transcript() -> None:
    body, notes = build("anthropic-text")
    assert body == {
        "prompt": "Answer in one word.\n\nHuman: Hi\n\nAssistant: Hello! How can I help?"
                  "\n\nHuman: Name a color.\n\nAssistant:",
        "max_tokens_to_sample": 200,
        "temperature": 0.5,
        "top_p": 0.9,
        "stop_sequences": ["\n\nHuman:", "END"],
    }
    assert notes == ()
    body, _ = build("anthropic-text", ChatRequest((Message("user", "Hi"),)))
    assert body == {"prompt": "\n\nHuman: Hi\n\nAssistant:", "max_tokens_to_sample": 512,
                    "stop_sequences": ["\n\nHuman:"]}


def test_titan_transcript_puts_the_system_prompt_in_the_first_user_turn() -> None:
    body, notes = build("titan-text")
    assert body == {
        "inputText": "User: Answer in one word.\n\nHi\nBot: Hello! How can I help?\nUser: Name a color.\nBot:",
        "textGenerationConfig": {"maxTokenCount": 200, "temperature": 0.5, "topP": 0.9},
    }
    assert any("system prompt" in n and "first user turn" in n for n in notes)
    assert any('"END"' in n for n in notes)  # Titan only takes "User:" or pipes as a stop sequence


def test_titan_sends_the_one_stop_sequence_it_accepts() -> None:
    request = ChatRequest((Message("user", "Hi"),), stop_sequences=("User:", "|"))
    body, notes = build("titan-text", request)
    assert body == {"inputText": "User: Hi\nBot:",
                    "textGenerationConfig": {"maxTokenCount": 512, "stopSequences": ["User:"]}}
    assert len(notes) == 1 and '"|"' in notes[0]


def test_nova_body() -> None:
    body, notes = build("nova")
    assert body == {
        "schemaVersion": "messages-v1",
        "system": [{"text": "Answer in one word."}],
        "messages": [
            {"role": "user", "content": [{"text": "Hi"}]},
            {"role": "assistant", "content": [{"text": "Hello! How can I help?"}]},
            {"role": "user", "content": [{"text": "Name a color."}]},
        ],
        "inferenceConfig": {"max_new_tokens": 200, "temperature": 0.5, "top_p": 0.9, "stopSequences": ["END"]},
    }
    assert notes == ()


def test_llama3_chat_template() -> None:
    body, notes = build("llama3")
    assert body == {
        "prompt": "<|begin_of_text|>"
                  "<|start_header_id|>system<|end_header_id|>\n\nAnswer in one word.<|eot_id|>"
                  "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                  "<|start_header_id|>assistant<|end_header_id|>\n\nHello! How can I help?<|eot_id|>"
                  "<|start_header_id|>user<|end_header_id|>\n\nName a color.<|eot_id|>"
                  "<|start_header_id|>assistant<|end_header_id|>\n\n",
        "max_gen_len": 200,
        "temperature": 0.5,
        "top_p": 0.9,
    }
    assert len(notes) == 1 and "not supported" in notes[0] and '"END"' in notes[0]


def test_llama3_without_system_or_stops() -> None:
    body, notes = build("llama3", ChatRequest((Message("user", "Hi"),), max_tokens=64))
    assert body == {"prompt": "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                              "<|start_header_id|>assistant<|end_header_id|>\n\n", "max_gen_len": 64}
    assert notes == ()


def test_llama2_inst_template() -> None:
    body, notes = build("llama2")
    assert body == {
        "prompt": "<s>[INST] <<SYS>>\nAnswer in one word.\n<</SYS>>\n\nHi [/INST] Hello! How can I help? </s>"
                  "<s>[INST] Name a color. [/INST]",
        "max_gen_len": 200,
        "temperature": 0.5,
        "top_p": 0.9,
    }
    assert len(notes) == 1 and "not supported" in notes[0]


def test_mistral_prompt_template_with_the_system_prompt_in_the_first_instruction() -> None:
    body, notes = build("mistral-prompt")
    assert body == {
        "prompt": "<s>[INST] Answer in one word.\n\nHi [/INST] Hello! How can I help?</s>[INST] Name a color. [/INST]",
        "max_tokens": 200,
        "temperature": 0.5,
        "top_p": 0.9,
        "stop": ["END"],
    }
    assert len(notes) == 1 and "first user turn" in notes[0]


def test_inst_template_joins_consecutive_turns_of_one_role() -> None:
    request = ChatRequest((Message("user", "a"), Message("user", "b"), Message("assistant", "c"),
                           Message("assistant", "d"), Message("user", "e")))
    body, _ = build("mistral-prompt", request)
    assert body["prompt"] == "<s>[INST] a\n\nb [/INST] c\n\nd</s>[INST] e [/INST]"


def test_mistral_chat_body() -> None:
    body, notes = build("mistral-chat")
    assert body == {
        "messages": [
            {"role": "system", "content": "Answer in one word."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello! How can I help?"},
            {"role": "user", "content": "Name a color."},
        ],
        "max_tokens": 200,
        "temperature": 0.5,
        "top_p": 0.9,
    }
    assert len(notes) == 1 and "Stop sequences" in notes[0]


def test_cohere_r_body() -> None:
    body, notes = build("cohere-r")
    assert body == {
        "message": "Name a color.",
        "chat_history": [{"role": "USER", "message": "Hi"}, {"role": "CHATBOT", "message": "Hello! How can I help?"}],
        "preamble": "Answer in one word.",
        "max_tokens": 200,
        "temperature": 0.5,
        "p": 0.9,
        "stop_sequences": ["END"],
    }
    assert notes == ()


def test_cohere_command_writes_the_conversation_into_one_prompt() -> None:
    body, notes = build("cohere-command")
    assert body == {
        "prompt": "User: Answer in one word.\n\nHi\nAssistant: Hello! How can I help?\nUser: Name a color.\nAssistant:",
        "max_tokens": 200,
        "temperature": 0.5,
        "p": 0.9,
        "stop_sequences": ["END"],
    }
    assert "stream" not in body
    assert any("first user turn" in n for n in notes) and any("transcript" in n for n in notes)


def test_single_prompt_families_send_a_lone_turn_as_it_is() -> None:
    request = ChatRequest((Message("user", "Say hi."),), max_tokens=20)
    assert build("cohere-command", request) == ({"prompt": "Say hi.", "max_tokens": 20}, ())
    assert build("jurassic2", request) == ({"prompt": "Say hi.", "maxTokens": 20}, ())


def test_jamba_body() -> None:
    body, notes = build("jamba")
    assert body == {
        "messages": [
            {"role": "system", "content": "Answer in one word."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello! How can I help?"},
            {"role": "user", "content": "Name a color."},
        ],
        "max_tokens": 200,
        "temperature": 0.5,
        "top_p": 0.9,
        "stop": ["END"],
    }
    assert notes == ()


def test_jurassic2_body() -> None:
    body, notes = build("jurassic2")
    assert body == {
        "prompt": "User: Answer in one word.\n\nHi\nAssistant: Hello! How can I help?\nUser: Name a color.\nAssistant:",
        "maxTokens": 200,
        "temperature": 0.5,
        "topP": 0.9,
        "stopSequences": ["END"],
    }
    assert any("first user turn" in n for n in notes) and any("transcript" in n for n in notes)


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_carries_every_turn_and_notes_what_it_moved(family: str) -> None:
    body, notes = build(family)
    text = json.dumps(body)
    for turn in ("Hi", "Hello! How can I help?", "Name a color.", "Answer in one word."):
        assert turn in text
    if not provider_for(family).supports_system:
        assert any("system prompt" in n for n in notes)
    if '"END"' not in text:  # a stop sequence that was not sent is always mentioned
        assert any('"END"' in n for n in notes)


@pytest.mark.parametrize("family", FAMILIES)
def test_temperature_and_top_p_stay_out_when_unset(family: str) -> None:
    body, _ = build(family, ChatRequest((Message("user", "Hi"),)))
    text = json.dumps(body)
    for key in ("temperature", "top_p", "topP", '"p"'):
        assert key not in text


@pytest.mark.parametrize("family", [f for f in FAMILIES if f != "anthropic-messages"])
def test_families_without_prefill_leave_out_a_final_assistant_turn_with_a_note(family: str) -> None:
    request = ChatRequest((Message("user", "Count to five."), Message("assistant", "1, 2, 3")))
    body, notes = build(family, request)
    assert "1, 2, 3" not in json.dumps(body)
    assert any("partial answer" in n for n in notes)


def test_a_conversation_without_a_user_turn_is_refused() -> None:
    with pytest.raises(ValueError, match="user turn"):
        build("nova", ChatRequest(()))


# -- stream chunks ---------------------------------------------------------------------------


def test_claude_plain_stream_ignores_ping() -> None:
    assert stream_events("anthropic-messages", "anthropic_messages_plain") == [
        Usage(input_tokens=14),
        TextDelta("Hello"), TextDelta("! How can I help"), TextDelta(" you today?"),
        Usage(output_tokens=12), Stop("end_turn"),
        ServerMetrics(first_byte_ms=301.0, invocation_ms=612.0, input_tokens=14, output_tokens=12),
    ]


def test_claude_thinking_stream_keeps_reasoning_apart_and_signatures_out() -> None:
    events = stream_events("anthropic-messages", "anthropic_messages_thinking")
    assert events == [
        Usage(input_tokens=45, cache_read_tokens=0, cache_write_tokens=0),  # message_start says both caches: none
        ReasoningDelta("The user asks for 17 * 23."), ReasoningDelta(" 17 * 20 = 340, 17 * 3 = 51, so 391."),
        TextDelta("17 × 23 = "), TextDelta("391."),
        Usage(output_tokens=58), Stop("end_turn"),
        ServerMetrics(first_byte_ms=948.0, invocation_ms=2113.0, input_tokens=45, output_tokens=58),
    ]
    answer = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert "340" not in answer and "EqQB" not in answer


def test_claude_stream_with_unknown_event_and_delta_types() -> None:
    assert stream_events("anthropic-messages", "anthropic_messages_unknown") == [
        Usage(input_tokens=9), TextDelta("Sure"), TextDelta("."), Usage(output_tokens=3), Stop("max_tokens"),
        ServerMetrics(first_byte_ms=377.0, invocation_ms=402.0, input_tokens=9, output_tokens=3),
    ]


def test_claude_v2_stream() -> None:
    assert stream_events("anthropic.claude-v2:1", "anthropic_text") == [
        TextDelta(" Paris"), TextDelta(" is the capital of France."), Stop("stop_sequence"),
        ServerMetrics(first_byte_ms=512.0, invocation_ms=840.0, input_tokens=21, output_tokens=9),
    ]


def test_titan_single_large_chunk() -> None:
    assert stream_events("titan-text", "titan_text") == [
        TextDelta(" Bedrock is a fully managed service that offers a choice of foundation models "
                  "through a single API."),
        Usage(input_tokens=11, output_tokens=20), Stop("FINISH"),
        ServerMetrics(first_byte_ms=1431.0, invocation_ms=1432.0, input_tokens=11, output_tokens=20),
    ]


def test_nova_wrapped_events() -> None:
    assert stream_events("us.amazon.nova-micro-v1:0", "nova") == [
        TextDelta("Hi"), TextDelta(" there, how can I help?"), Stop("end_turn"), Usage(input_tokens=5, output_tokens=9),
        ServerMetrics(first_byte_ms=204.0, invocation_ms=236.0, input_tokens=5, output_tokens=9),
    ]


def test_nova_reasoning_deltas_stay_apart() -> None:
    chunk = {"contentBlockDelta": {"delta": {"reasoningContent": {"text": "Let me think."}}, "contentBlockIndex": 0}}
    assert events_from_chunk("nova", chunk) == [ReasoningDelta("Let me think.")]


def test_llama_chunks_with_a_cumulative_generation_count() -> None:
    assert stream_events("llama3", "llama3") == [
        TextDelta("The"), Usage(input_tokens=27, output_tokens=1),
        TextDelta(" sky"), Usage(output_tokens=2),
        TextDelta(" is blue."), Usage(output_tokens=5),
        Usage(output_tokens=6), Stop("stop"),
        ServerMetrics(first_byte_ms=268.0, invocation_ms=311.0, input_tokens=27, output_tokens=6),
    ]


def test_mistral_prompt_outputs() -> None:
    assert stream_events("mistral.mixtral-8x7b-instruct-v0:1", "mistral_prompt") == [
        TextDelta(" Bonjour"), TextDelta(" !"), Stop("stop"),
        ServerMetrics(first_byte_ms=241.0, invocation_ms=287.0, input_tokens=12, output_tokens=3),
    ]


def test_mistral_chat_choices_with_message_and_stop_reason() -> None:
    assert stream_events("mistral.mistral-large-2407-v1:0", "mistral_chat") == [
        TextDelta("Three"), TextDelta(" primes: 2, 3, 5."),
        Usage(input_tokens=15, output_tokens=11), Stop("stop"),
        ServerMetrics(first_byte_ms=148.0, invocation_ms=719.0, input_tokens=15, output_tokens=11),
    ]


def test_cohere_r_stream_start_text_generation_stream_end() -> None:
    assert stream_events("cohere-r", "cohere_r") == [
        TextDelta("Ahoy"), TextDelta(", matey!"), Usage(input_tokens=6, output_tokens=4), Stop("COMPLETE"),
        ServerMetrics(first_byte_ms=215.0, invocation_ms=402.0, input_tokens=72, output_tokens=4),
    ]


@pytest.mark.parametrize("name", ["cohere_command", "cohere_command_generations"])
def test_cohere_command_accepts_both_chunk_shapes(name: str) -> None:
    assert stream_events("cohere.command-text-v14", name) == [
        TextDelta(" Sure"), TextDelta(", here you go."), Stop("COMPLETE"),
        ServerMetrics(first_byte_ms=320.0, invocation_ms=530.0, input_tokens=8, output_tokens=5),
    ]


def test_jamba_choices_with_delta() -> None:
    assert stream_events("ai21.jamba-1-5-mini-v1:0", "jamba") == [
        TextDelta("Jamba"), TextDelta(" mixes Transformer and Mamba layers."),
        Usage(input_tokens=18, output_tokens=9), Stop("stop"),
        ServerMetrics(first_byte_ms=410.0, invocation_ms=655.0, input_tokens=18, output_tokens=9),
    ]


def test_server_metrics_come_only_from_the_invocation_metrics_key() -> None:
    metrics = {"amazon-bedrock-invocationMetrics": {"firstByteLatency": 5, "invocationLatency": 9}}
    assert events_from_chunk("anthropic-messages", {"type": "message_stop", **metrics}) == [
        ServerMetrics(first_byte_ms=5.0, invocation_ms=9.0)]
    for family in FAMILIES:
        assert not [e for e in provider_for(family).parse_chunk(metrics) if isinstance(e, ServerMetrics)]


ODD_CHUNKS: list[dict[str, object]] = [
    {},
    {"type": "made_up_event", "payload": {"text": "not answer text"}},
    {"type": "content_block_delta", "delta": None},
    {"type": "content_block_delta", "delta": {"type": "signature_delta", "signature": "abc"}},
    {"type": "content_block_delta", "delta": {"type": "input_json_delta", "partial_json": "{\"a\":"}},
    {"type": "message_start", "message": "oops"},
    {"type": "message_delta", "delta": [], "usage": {"output_tokens": "many"}},
    {"event_type": "citation-generation", "citations": []},
    {"event_type": "stream-end", "response": None},
    {"choices": []},
    {"choices": None},
    {"choices": [{"index": 0, "delta": {"role": "assistant"}, "finish_reason": None}]},
    {"outputs": "nope"},
    {"generations": [None]},
    {"messageStart": {"role": "assistant"}},
    {"contentBlockStart": {"start": {"toolUse": {"name": "x"}}}},
    {"contentBlockDelta": {"delta": None}},
    {"metadata": None},
    {"generation": None, "prompt_token_count": True, "stop_reason": None},
    {"outputText": "", "completionReason": None},
    {"completion": None, "stop_reason": None},
    {"future_key": [1, 2, 3]},
]


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("chunk", ODD_CHUNKS)
def test_unknown_and_odd_chunks_are_ignored(family: str, chunk: dict[str, object]) -> None:
    assert events_from_chunk(family, chunk) == []


# -- sync bodies -----------------------------------------------------------------------------


@pytest.mark.parametrize(("family", "name", "expected"), [
    ("anthropic-messages", "anthropic_messages_thinking",
     Completion("17 × 23 = 391.", reasoning="17 * 20 = 340, 17 * 3 = 51, so 391.", input_tokens=45,
                output_tokens=58, stop_reason="end_turn", cache_read_tokens=0, cache_write_tokens=0)),
    ("anthropic-text", "anthropic_text", Completion(" Paris is the capital of France.", stop_reason="stop_sequence")),
    ("titan-text", "titan_text",
     Completion(" Bedrock is a fully managed service.", input_tokens=11, output_tokens=20, stop_reason="FINISH")),
    ("nova", "nova", Completion("Hi there, how can I help?", input_tokens=5, output_tokens=9, stop_reason="end_turn")),
    ("llama3", "llama3", Completion("The sky is blue.", input_tokens=27, output_tokens=6, stop_reason="stop")),
    ("llama2", "llama3", Completion("The sky is blue.", input_tokens=27, output_tokens=6, stop_reason="stop")),
    ("mistral-prompt", "mistral_prompt", Completion(" Bonjour !", stop_reason="stop")),
    ("mistral-chat", "mistral_chat",
     Completion("Three primes: 2, 3, 5.", input_tokens=15, output_tokens=11, stop_reason="stop")),
    ("cohere-r", "cohere_r", Completion("Ahoy, matey!", input_tokens=6, output_tokens=4, stop_reason="COMPLETE")),
    ("cohere-command", "cohere_command", Completion(" Sure, here you go.", stop_reason="COMPLETE")),
    ("jamba", "jamba",
     Completion("Jamba mixes Transformer and Mamba layers.", input_tokens=18, output_tokens=9, stop_reason="stop")),
    ("jurassic2", "jurassic2", Completion("\nHi!", input_tokens=2, output_tokens=2, stop_reason="endoftext")),
])
def test_parse_response(family: str, name: str, expected: Completion) -> None:
    assert provider_for(family).parse_response(load("responses", name)) == expected


def test_nova_sync_reasoning_is_kept_apart() -> None:
    body = {"output": {"message": {"role": "assistant", "content": [
        {"reasoningContent": {"reasoningText": {"text": "Think first."}}}, {"text": "Blue."}]}},
        "stopReason": "end_turn", "usage": {"inputTokens": 3, "outputTokens": 4}}
    assert nova.parse_response(body) == Completion("Blue.", reasoning="Think first.", input_tokens=3,
                                                             output_tokens=4, stop_reason="end_turn")


@pytest.mark.parametrize("family", FAMILIES)
def test_an_empty_sync_body_parses_to_an_empty_completion(family: str) -> None:
    assert provider_for(family).parse_response({}) == Completion("")


# -- the 2025-2026 families: Chat Completions (gpt-oss, Qwen3), DeepSeek, reasoning asks -----------
#
# Stream fixtures are JSON lines of decoded chunk payloads (`json.loads(chunk["bytes"])`), as Bedrock
# sends them; where each shape comes from is said at the test that replays it.

def load_lines(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (FIXTURES / "streams" / f"{name}.jsonl").read_text().splitlines() if line]


def replay(module: Any, name: str, tag: str | None = None) -> list[Event]:
    """A recorded stream through a family's parse_chunk (and through the tag splitter, when given)."""
    splitter = TagSplitter(tag) if tag else None
    events: list[Event] = []
    for chunk in load_lines(name):
        chunk_events = events_from_chunk(module, chunk)
        events += split_events(splitter, chunk_events) if splitter else chunk_events
    return events + (splitter.flush() if splitter else [])


def texts(events: list[Event]) -> tuple[str, str]:
    """(reasoning, answer) of a list of events."""
    return ("".join(e.text for e in events if isinstance(e, ReasoningDelta)),
            "".join(e.text for e in events if isinstance(e, TextDelta)))


BUDGET = Reasoning("budget", effort="high", budget_tokens=4096)
ADAPTIVE = Reasoning("adaptive", effort="xhigh")
EFFORT = Reasoning("effort", effort="medium")
REASONING_MODULES = {"anthropic-messages": anthropic_messages, "nova": nova, "openai-chat": openai_chat,
                     "openai-reasoning": openai_chat.NESTED_EFFORT, "deepseek": deepseek, "mistral-chat": mistral_chat}
REASONING_KEYS = ("thinking", "output_config", "outputConfig", "reasoningConfig", "reasoning_effort",
                  "additionalModelRequestFields")


def with_reasoning(reasoning: Reasoning | None, request: ChatRequest = CHAT) -> ChatRequest:
    return ChatRequest(request.messages, request.system, request.max_tokens, request.temperature, request.top_p,
                       request.stop_sequences, reasoning)


# build_request ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("module", "reasoning", "expected"), [
    (openai_chat, None, {
        "messages": [
            {"role": "system", "content": "Answer in one word."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello! How can I help?"},
            {"role": "user", "content": "Name a color."},
        ],
        "max_completion_tokens": 200, "temperature": 0.5, "top_p": 0.9, "stop": ["END"],
    }),
    (openai_chat, EFFORT, {
        "messages": [
            {"role": "system", "content": "Answer in one word."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello! How can I help?"},
            {"role": "user", "content": "Name a color."},
        ],
        "max_completion_tokens": 200, "temperature": 0.5, "top_p": 0.9, "stop": ["END"],
        "reasoning_effort": "medium",
    }),
    (deepseek, None, {
        "prompt": "<｜begin▁of▁sentence｜>Answer in one word.<｜User｜>Hi"
                  "<｜Assistant｜>Hello! How can I help?<｜end▁of▁sentence｜>"
                  "<｜User｜>Name a color.<｜Assistant｜>",
        "temperature": 0.5, "top_p": 0.9, "max_tokens": 200, "stop": ["END"],
    }),
])
def test_new_family_bodies(module: Any, reasoning: Reasoning | None, expected: dict[str, object]) -> None:
    built = module.build_request(with_reasoning(reasoning))
    json.dumps(built.body)
    assert built.body == expected
    assert built.notes == ()
    assert "model" not in built.body and "stream" not in built.body  # Bedrock fills both from the call


def test_new_family_bodies_leave_out_what_is_unset() -> None:
    request = ChatRequest((Message("user", "Hi"),))
    assert openai_chat.build_request(request).body == {"messages": [{"role": "user", "content": "Hi"}],
                                                       "max_completion_tokens": 512}
    assert deepseek.build_request(request).body == {
        "prompt": "<｜begin▁of▁sentence｜><｜User｜>Hi<｜Assistant｜>", "max_tokens": 512}


def test_deepseek_sends_at_most_ten_stop_sequences_and_says_which_were_left_out() -> None:
    stops = tuple(f"S{i}" for i in range(12))
    built = deepseek.build_request(ChatRequest((Message("user", "Hi"),), stop_sequences=stops))
    assert built.body["stop"] == list(stops[:10])
    assert len(built.notes) == 1 and '"S10", "S11"' in built.notes[0]


@pytest.mark.parametrize(("module", "reasoning", "fields"), [
    (anthropic_messages, BUDGET, {"thinking": {"type": "enabled", "budget_tokens": 4096}}),
    (anthropic_messages, ADAPTIVE, {"thinking": {"type": "adaptive", "display": "summarized"},
                                    "output_config": {"effort": "xhigh"}}),
    (anthropic_messages, Reasoning("adaptive"), {"thinking": {"type": "adaptive", "display": "summarized"}}),
    (openai_chat, EFFORT, {"reasoning_effort": "medium"}),
    (openai_chat.NESTED_EFFORT, EFFORT, {"reasoning": {"effort": "medium"}}),
])
def test_reasoning_asks_on_invoke_model(module: Any, reasoning: Reasoning, fields: dict[str, object]) -> None:
    plain = module.build_request(CHAT).body
    built = module.build_request(with_reasoning(reasoning))
    assert built.body == {**plain, **fields}
    assert built.notes == ()


def test_nova_2_reasoning_goes_in_the_inference_config() -> None:
    body = nova.build_request(with_reasoning(EFFORT)).body
    assert body["inferenceConfig"] == {"max_new_tokens": 200, "temperature": 0.5, "top_p": 0.9,
                                       "stopSequences": ["END"],
                                       "reasoningConfig": {"type": "enabled", "maxReasoningEffort": "medium"}}


@pytest.mark.parametrize(("family", "reasoning"), [
    ("anthropic-messages", EFFORT), ("nova", BUDGET), ("nova", ADAPTIVE), ("openai-chat", BUDGET),
    ("openai-chat", ADAPTIVE), ("openai-reasoning", BUDGET), ("deepseek", EFFORT), ("mistral-chat", EFFORT),
])
def test_a_reasoning_ask_a_family_cannot_take_is_left_out_with_a_note(family: str, reasoning: Reasoning) -> None:
    module = REASONING_MODULES[family]
    built = module.build_request(with_reasoning(reasoning, ChatRequest((Message("user", "Hi"),))))
    assert built.body == module.build_request(ChatRequest((Message("user", "Hi"),))).body
    assert len(built.notes) == 1 and reasoning.style in built.notes[0] and "not sent" in built.notes[0]
    assert module.converse_fields(reasoning) == {}


@pytest.mark.parametrize("family", FAMILIES)
def test_no_reasoning_field_is_sent_when_none_is_asked_for(family: str) -> None:
    text = json.dumps(build(family)[0])
    for key in REASONING_KEYS:
        assert f'"{key}"' not in text


@pytest.mark.parametrize("module", REASONING_MODULES.values())
def test_converse_fields_are_empty_without_a_reasoning_ask(module: Any) -> None:
    assert module.converse_fields(None) == {}


@pytest.mark.parametrize(("module", "reasoning", "fields"), [
    (anthropic_messages, BUDGET,
     {"additionalModelRequestFields": {"thinking": {"type": "enabled", "budget_tokens": 4096}}}),
    (anthropic_messages, ADAPTIVE,
     {"additionalModelRequestFields": {"thinking": {"type": "adaptive", "display": "summarized"}},
      "outputConfig": {"effort": "xhigh"}}),
    (nova, EFFORT,
     {"additionalModelRequestFields": {"reasoningConfig": {"type": "enabled", "maxReasoningEffort": "medium"}}}),
    (openai_chat, EFFORT, {"additionalModelRequestFields": {"reasoning_effort": "medium"}}),
    (openai_chat.NESTED_EFFORT, EFFORT, {"additionalModelRequestFields": {"reasoning": {"effort": "medium"}}}),
    (deepseek, EFFORT, {}),
    (mistral_chat, EFFORT, {}),
])
def test_converse_fields_per_family(module: Any, reasoning: Reasoning, fields: dict[str, object]) -> None:
    assert module.converse_fields(reasoning) == fields


# stream chunks ----------------------------------------------------------------------------------


def test_gpt_oss_stream_with_the_reasoning_tag_split_over_chunks() -> None:
    # Chunk shape (ids, `service_tier`, an empty first delta, a last chunk with `delta: {}`, "stop" and
    # the invocation metrics, no `usage`) from langchain-ai/langchain-aws's recorded gpt-oss InvokeModel
    # stream (tests/unit_tests/llms/test_bedrock.py); reasoning inside `content` as <reasoning>...</reasoning>
    # from promptfoo/promptfoo#9587 and ren8k/aws-gpt-oss-samples. The tag is cut at "<reas|oning>" and
    # "</reas|oni|ng>" here.
    raw = replay(openai_chat, "openai_chat_gpt_oss")
    assert texts(raw)[1] == "<reasoning>The user wants one color. Blue is safe.</reasoning>Blue."
    assert raw[-2:] == [Stop("stop"), ServerMetrics(first_byte_ms=615.0, invocation_ms=981.0, input_tokens=84,
                                                     output_tokens=17)]
    assert replay(openai_chat, "openai_chat_gpt_oss", tag="reasoning") == [
        ReasoningDelta("The user wants one color."), ReasoningDelta(" Blue is safe."),
        TextDelta("Blue"), TextDelta("."), Stop("stop"),
        ServerMetrics(first_byte_ms=615.0, invocation_ms=981.0, input_tokens=84, output_tokens=17),
    ]


def test_qwen3_stream_text_and_stop_in_one_chunk() -> None:
    # Recorded Qwen3 32B InvokeModel stream in langchain-ai/langchain-aws (MOCK_STREAMING_RESPONSE_QWEN).
    assert replay(openai_chat, "openai_chat_qwen", tag="reasoning") == [
        TextDelta("Hello.  \nGoodbye."), Stop("stop"),
        ServerMetrics(first_byte_ms=191.0, invocation_ms=225.0, input_tokens=35, output_tokens=7),
    ]


def test_chat_completions_usage_and_separate_reasoning_fields() -> None:
    # OpenAI's last chunk with `stream_options.include_usage`: no choices, only usage.
    usage_chunk = {"object": "chat.completion.chunk", "choices": [],
                   "usage": {"prompt_tokens": 84, "completion_tokens": 17, "total_tokens": 101}}
    assert openai_chat.parse_chunk(usage_chunk) == [Usage(input_tokens=84, output_tokens=17)]
    # vLLM-style servers send reasoning in a field of its own.
    assert openai_chat.parse_chunk({"choices": [{"delta": {"reasoning_content": "Hmm."}, "index": 0}]}) == [
        ReasoningDelta("Hmm.")]


def test_deepseek_r1_stream_with_think_split_over_chunks() -> None:
    # Chunk shape `{"choices": [{"text", "stop_reason"}]}` from the AWS "DeepSeek models" page and
    # langchain-aws's DeepSeek fixture; R1's `<think>...</think>` before the answer from the lineup, cut at
    # "<th|ink>" and "</|think>" here, with R1's "\n\n" after the closing tag.
    assert replay(deepseek, "deepseek_r1", tag="think") == [
        ReasoningDelta("\nThe user wants a color"), ReasoningDelta(" in one word.\n"),
        TextDelta("Blue"), TextDelta("."), Stop("stop"),
        ServerMetrics(first_byte_ms=1104.0, invocation_ms=1822.0, input_tokens=19, output_tokens=21),
    ]


def test_deepseek_v3_stream_without_tags_passes_text_through_at_once() -> None:
    # V3.1 does not reason: every piece comes out in the chunk that brought it, "<" and all.
    assert replay(deepseek, "deepseek_v3", tag="think") == [
        TextDelta("Blue"), TextDelta(" < green"), TextDelta("."), Stop("length"),
        ServerMetrics(first_byte_ms=310.0, invocation_ms=402.0, input_tokens=19, output_tokens=3),
    ]


def test_nova_2_stream_with_redacted_reasoning() -> None:
    # Nova 2 Lite redacts its reasoning ("[REDACTED]", AWS Nova 2 user guide, "Reasoning capabilities");
    # the reasoning delta as ConverseStream's ReasoningContentBlockDelta, in Nova's event-name wrapping.
    assert replay(nova, "nova_2_reasoning") == [
        ReasoningDelta("[REDACTED]"), TextDelta("Blue"), TextDelta("."), Stop("end_turn"),
        Usage(input_tokens=12, output_tokens=140),
        ServerMetrics(first_byte_ms=1980.0, invocation_ms=2410.0, input_tokens=12, output_tokens=140),
    ]


def test_nova_reasoning_deltas_without_text_yield_nothing() -> None:
    for delta in ({"reasoningContent": {"signature": "abc"}}, {"reasoningContent": {"redactedContent": "AAEC"}}):
        assert nova.parse_chunk({"contentBlockDelta": {"delta": delta, "contentBlockIndex": 0}}) == []


def test_claude_adaptive_stream_with_signature_and_redacted_thinking() -> None:
    # Event sequence of Anthropic's "Adaptive thinking" and "Extended thinking" pages (thinking_delta,
    # signature_delta, a redacted_thinking block with only `data`), as Bedrock sends it on InvokeModel.
    assert replay(anthropic_messages, "anthropic_messages_adaptive") == [
        Usage(input_tokens=31, cache_read_tokens=0, cache_write_tokens=0), ReasoningDelta("One word, a color."),
        TextDelta("Blue."),
        Usage(output_tokens=42), Stop("end_turn"),
        ServerMetrics(first_byte_ms=1640.0, invocation_ms=2890.0, input_tokens=31, output_tokens=42),
    ]


@pytest.mark.parametrize("reason", ["refusal", "pause_turn", "model_context_window_exceeded", "end_turn"])
def test_claude_stop_reasons_pass_through(reason: str) -> None:
    chunk = {"type": "message_delta", "delta": {"stop_reason": reason, "stop_sequence": None},
             "usage": {"output_tokens": 3}}
    assert anthropic_messages.parse_chunk(chunk) == [Usage(output_tokens=3), Stop(reason)]
    body = {"content": [{"type": "text", "text": "No."}], "stop_reason": reason}
    assert anthropic_messages.parse_response(body).stop_reason == reason


@pytest.mark.parametrize("chunk", [
    # Mistral Large 24.07 on Bedrock: `message` and `stop_reason` (the existing fixture's shape).
    {"choices": [{"index": 0, "message": {"role": None, "content": "Blue."}, "stop_reason": "stop"}]},
    # OpenAI-like `delta` and `finish_reason`.
    {"choices": [{"index": 0, "delta": {"content": "Blue."}, "finish_reason": "stop"}]},
    # Magistral content as chunks, as Mistral's own API sends them (Mistral "Reasoning" docs).
    {"choices": [{"index": 0, "delta": {"content": [
        {"type": "thinking", "thinking": [{"type": "text", "text": "A color."}]}, {"type": "text", "text": "Blue."}]},
        "finish_reason": "stop"}]},
])
def test_mistral_chat_chunks_of_every_shape(chunk: dict[str, object]) -> None:
    events = mistral_chat.parse_chunk(chunk)
    assert events[-2:] == [TextDelta("Blue."), Stop("stop")]
    assert events[:-2] in ([], [ReasoningDelta("A color.")])


def test_mistral_chat_sync_content_as_chunks() -> None:
    body = {"choices": [{"index": 0, "message": {"role": "assistant", "content": [
        {"type": "thinking", "thinking": [{"type": "text", "text": "A color."}]}, {"type": "text", "text": "Blue."}]},
        "finish_reason": "stop"}], "usage": {"prompt_tokens": 9, "completion_tokens": 12}}
    assert mistral_chat.parse_response(body) == Completion("Blue.", reasoning="A color.", input_tokens=9,
                                                           output_tokens=12, stop_reason="stop")


# sync bodies ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("module", "name", "expected"), [
    (openai_chat, "openai_chat_gpt_oss",
     Completion("Blue.", reasoning="The user wants one color. Blue is safe.", input_tokens=84, output_tokens=17,
                stop_reason="stop")),
    (deepseek, "deepseek_r1", Completion("Blue.", reasoning="\nThe user wants a color in one word.\n",
                                         stop_reason="stop")),
    (nova, "nova_2_reasoning",
     Completion("Blue.", reasoning="[REDACTED]", input_tokens=12, output_tokens=140, stop_reason="end_turn")),
    (anthropic_messages, "anthropic_messages_adaptive",
     Completion("Blue.", reasoning="One word, a color.", input_tokens=31, output_tokens=42, stop_reason="end_turn",
                cache_read_tokens=0, cache_write_tokens=0)),
])
def test_new_sync_bodies(module: Any, name: str, expected: Completion) -> None:
    assert module.parse_response(load("responses", name)) == expected


def test_sync_and_stream_agree_on_what_is_reasoning() -> None:
    for module, name, tag in ((openai_chat, "openai_chat_gpt_oss", "reasoning"), (deepseek, "deepseek_r1", "think")):
        completion = module.parse_response(load("responses", name))
        assert texts(replay(module, name, tag=tag)) == (completion.reasoning, completion.text)


# the tag splitter -------------------------------------------------------------------------------

TAGGED = [
    ("think", "<think>\nStep 1.\nStep 2.\n</think>\n\nThe answer is 42.", "\nStep 1.\nStep 2.\n", "The answer is 42."),
    ("reasoning", "<reasoning>Short.</reasoning>Blue.", "Short.", "Blue."),
    ("think", "  \n<think>x < y, so</think>  \n yes", "x < y, so", "yes"),
    ("think", "No tag at all, but a < b and </thin and <thinker>.", "",
     "No tag at all, but a < b and </thin and <thinker>."),
    ("think", "  leading space is kept without a tag", "", "  leading space is kept without a tag"),
    ("think", "The model skipped the opening.</think>\n\nAnswer", "", "The model skipped the opening.Answer"),
    ("think", "<think>cut off by max tokens", "cut off by max tokens", ""),
    ("think", "<think>a</think>b<think>c</think>\n d", "ac", "bd"),
    ("think", "ends with a partial tag <thi", "", "ends with a partial tag <thi"),
    ("think", "<think></think>\n\nNothing to think about.", "", "Nothing to think about."),
    ("think", "<think>nested <think> is reasoning text</think>ok", "nested <think> is reasoning text", "ok"),
    ("reasoning", "<reasoning>a</reasoning><reasoning>b</reasoning>", "ab", ""),
    ("think", "", "", ""),
    ("think", " \n ", "", " \n "),
    ("think", "Ünïcödé <think>思考</think> 答え", "思考", "Ünïcödé 答え"),
]


def split_by_chunks(tag: str, chunks: list[str]) -> tuple[str, str, list[list[Event]]]:
    splitter = TagSplitter(tag)
    outputs: list[list[Event]] = [list(splitter.feed(chunk)) for chunk in chunks] + [list(splitter.flush())]
    return (*texts([e for out in outputs for e in out]), outputs)


def random_chunks(text: str, rng: random.Random) -> list[str]:
    cuts = sorted(rng.sample(range(1, len(text)), rng.randint(0, len(text) - 1))) if len(text) > 1 else []
    return [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]


@pytest.mark.parametrize(("tag", "text", "reasoning", "answer"), TAGGED)
def test_split_tagged(tag: str, text: str, reasoning: str, answer: str) -> None:
    assert split_tagged(text, tag) == (reasoning, answer)


@pytest.mark.parametrize(("tag", "text", "reasoning", "answer"), TAGGED)
def test_any_chunking_of_a_text_splits_it_the_same_way(tag: str, text: str, reasoning: str, answer: str) -> None:
    rng = random.Random(f"{tag}:{text}")  # reproducible: the same chunkings on every run
    chunkings = [[text], list(text)] + [random_chunks(text, rng) for _ in range(300)]
    # ... and every chunking into two or three pieces of the texts short enough to try them all
    if len(text) <= 60:
        chunkings += [[text[:i], text[i:]] for i in range(len(text) + 1)]
        chunkings += [[text[:i], text[i:j], text[j:]] for i in range(len(text) + 1) for j in range(i, len(text) + 1)]
    for chunks in chunkings:
        got_reasoning, got_answer, _ = split_by_chunks(tag, chunks)
        assert (got_reasoning, got_answer) == (reasoning, answer), chunks


def reference_split(text: str, tag: str) -> tuple[str, str]:
    """The splitter's rules applied to a whole text by index, as a second opinion (no held-back state)."""
    opening, closing = f"<{tag}>", f"</{tag}>"
    start = len(text) - len(text.lstrip())
    i = start if text[start:].startswith(opening) else 0
    reasoning, answer, inside = "", "", False
    while i < len(text):
        if inside:
            j = text.find(closing, i)
            reasoning += text[i:] if j < 0 else text[i:j]
            if j < 0:
                break
            i, inside = j + len(closing), False
        else:
            found = [(j, t) for t in (opening, closing) if (j := text.find(t, i)) >= 0]
            if not found:
                answer += text[i:]
                break
            j, t = min(found)
            answer += text[i:j]
            i, inside = j + len(t), t == opening
        if not inside:  # right after a closing tag: its white space is trimmed
            while i < len(text) and text[i].isspace():
                i += 1
    return reasoning, answer


def test_random_texts_and_chunkings_split_as_the_rules_say() -> None:
    rng = random.Random(20261201)
    pieces = ["<think>", "</think>", "<th", "ink>", "</", "<", ">", "/", "think", "a", "b c", " ", "\n", "\t"]
    tags = ("<think>", "</think>")
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 14)))
        expected = reference_split(text, "think")
        splitter, seen, got_reasoning, got_answer = TagSplitter("think"), "", "", ""
        for chunk in random_chunks(text, rng):
            seen += chunk
            reasoning, answer = texts(list(splitter.feed(chunk)))
            got_reasoning, got_answer = got_reasoning + reasoning, got_answer + answer
            # Nothing is held back but what could still start a tag (or white space at the very start):
            # what the text seen so far splits into, had it ended here, is what came out, plus at most that.
            whole_reasoning, whole_answer = split_tagged(seen, "think")
            assert whole_reasoning.startswith(got_reasoning) and whole_answer.startswith(got_answer), repr(text)
            held = whole_reasoning[len(got_reasoning):] + whole_answer[len(got_answer):]
            assert held == "" or (seen.endswith(held) and any(t.startswith(held.lstrip()) for t in tags)
                                  and (held == held.lstrip() or seen.lstrip() == held.lstrip())), repr(text)
        reasoning, answer = texts(list(splitter.flush()))
        assert (got_reasoning + reasoning, got_answer + answer) == expected == split_tagged(text, "think"), repr(text)


def test_text_without_a_tag_is_not_held_back() -> None:
    splitter = TagSplitter("reasoning")
    for chunk in ["Blue", " is", " a color", " (a < b),", " too", "."]:
        assert splitter.feed(chunk) == [TextDelta(chunk)]
    assert splitter.flush() == []


def test_only_a_possible_tag_start_is_held_back() -> None:
    splitter = TagSplitter("think")
    assert splitter.feed("a <") == [TextDelta("a ")]
    assert splitter.feed("/th") == []
    assert splitter.feed("e end") == [TextDelta("</the end")]
    assert splitter.feed("\n\n") == [TextDelta("\n\n")]  # white space is held only at the very start
    assert splitter.feed("x <") == [TextDelta("x ")]
    assert splitter.flush() == [TextDelta("<")]


def test_reasoning_streams_as_it_comes_and_white_space_after_the_tag_is_trimmed_once() -> None:
    splitter = TagSplitter("think")
    assert splitter.feed("<think>") == []
    assert splitter.feed("Let me see") == [ReasoningDelta("Let me see")]
    assert splitter.feed(".</thi") == [ReasoningDelta(".")]
    assert splitter.feed("nk>") == []
    assert splitter.feed("\n") == []
    assert splitter.feed(" \n") == []
    assert splitter.feed("Yes.\n\n") == [TextDelta("Yes.\n\n")]
    assert splitter.feed("  Really.") == [TextDelta("  Really.")]


def test_split_events_passes_other_events_through_in_order() -> None:
    splitter = TagSplitter("think")
    events: list[Event] = [TextDelta("<think>a</think>b"), Usage(output_tokens=3), TextDelta("c<"), Stop("stop")]
    assert split_events(splitter, events) == [ReasoningDelta("a"), TextDelta("b"), Usage(output_tokens=3),
                                              TextDelta("c"), Stop("stop")]
    assert splitter.flush() == [TextDelta("<")]


# Converse ---------------------------------------------------------------------------------------

CONVERSE_INPUT = botocore.session.get_session().get_service_model("bedrock-runtime").operation_model(
    "Converse").input_shape


def converse_request(fields: dict[str, object], request: ChatRequest = CHAT,
                     takes_system: bool = True) -> tuple[dict[str, Any], tuple[str, ...]]:
    kwargs, notes = converse.build_request("us.example.model-v1:0", request, takes_system=takes_system,
                                           fields=fields)
    report = botocore.validate.ParamValidator().validate(kwargs, CONVERSE_INPUT)
    assert not report.has_errors(), report.generate_report()  # every member as botocore's model names it
    return kwargs, notes


def test_converse_request_without_reasoning() -> None:
    kwargs, notes = converse_request({})
    assert kwargs == {
        "modelId": "us.example.model-v1:0",
        "system": [{"text": "Answer in one word."}],
        "messages": [{"role": "user", "content": [{"text": "Hi"}]},
                     {"role": "assistant", "content": [{"text": "Hello! How can I help?"}]},
                     {"role": "user", "content": [{"text": "Name a color."}]}],
        "inferenceConfig": {"maxTokens": 200, "temperature": 0.5, "topP": 0.9, "stopSequences": ["END"]},
    }
    assert notes == ()
    assert converse.build_request("m", CHAT, takes_system=True)[0] == {**kwargs, "modelId": "m"}


def test_converse_folds_the_system_prompt_for_a_model_that_takes_none() -> None:
    kwargs, notes = converse_request({}, takes_system=False)
    assert "system" not in kwargs
    assert kwargs["messages"][0] == {"role": "user", "content": [{"text": "Answer in one word.\n\nHi"}]}
    assert len(notes) == 1 and "system prompt" in notes[0]


@pytest.mark.parametrize(("module", "reasoning"), [
    (anthropic_messages, BUDGET), (anthropic_messages, ADAPTIVE), (nova, EFFORT), (openai_chat, EFFORT),
])
def test_converse_request_with_each_familys_reasoning_fields(module: Any, reasoning: Reasoning) -> None:
    fields = module.converse_fields(reasoning)
    kwargs, _ = converse_request(fields, with_reasoning(reasoning))
    plain, _ = converse_request({})
    assert kwargs == {**plain, **fields}


def test_converse_fields_merge_into_members_the_request_already_has() -> None:
    kwargs, _ = converse_request({"inferenceConfig": {"maxTokens": 64}, "outputConfig": {"effort": "low"}})
    assert kwargs["inferenceConfig"] == {"maxTokens": 64, "temperature": 0.5, "topP": 0.9, "stopSequences": ["END"]}
    assert kwargs["outputConfig"] == {"effort": "low"}


def test_converse_reasoning_blocks_redacted_content_has_no_text() -> None:
    response = {"output": {"message": {"role": "assistant", "content": [
        {"reasoningContent": {"reasoningText": {"text": "Think.", "signature": "sig"}}},
        {"reasoningContent": {"redactedContent": b"\x00\x01"}}, {"text": "Blue."}]}},
        "stopReason": "end_turn", "usage": {"inputTokens": 3, "outputTokens": 4}, "metrics": {"latencyMs": 120}}
    completion, server, served = converse.parse_response(response)
    assert completion == Completion("Blue.", reasoning="Think.", input_tokens=3, output_tokens=4,
                                    stop_reason="end_turn")
    assert server == ServerMetrics(invocation_ms=120) and served is None
    for delta in ({"reasoningContent": {"redactedContent": b"\x00"}}, {"reasoningContent": {"signature": "sig"}}):
        assert converse.parse_event({"contentBlockDelta": {"contentBlockIndex": 0, "delta": delta}}) == []
    assert converse.parse_event({"contentBlockDelta": {"contentBlockIndex": 0, "delta": {
        "reasoningContent": {"text": "Hmm."}}}}) == [ReasoningDelta("Hmm.")]
