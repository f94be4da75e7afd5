"""Provider modules: model ids to families, request bodies per family, and recorded payloads to events."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from core.providers import (
    FAMILIES,
    UnknownModelError,
    base_model_id,
    events_from_chunk,
    family_of,
    nova,
    provider_for,
    provider_name,
)
from core.types import (
    ChatRequest,
    Completion,
    Event,
    Message,
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
    "us.deepseek.r1-v1:0",
    "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6",
    "",
    "claude-3-haiku",
])
def test_unknown_models_raise_a_helpful_value_error(model_id: str) -> None:
    with pytest.raises(UnknownModelError) as caught:
        family_of(model_id)
    assert isinstance(caught.value, ValueError)
    assert caught.value.model_id == model_id
    for vendor in ("Anthropic", "Amazon", "Meta", "Mistral", "Cohere", "AI21"):
        assert vendor in str(caught.value)
    with pytest.raises(UnknownModelError):
        provider_for(model_id)


def test_provider_name_never_raises() -> None:
    assert provider_name("us.anthropic.claude-3-haiku-20240307-v1:0") == "Anthropic"
    assert provider_name("mistral.mistral-large-2407-v1:0") == "Mistral AI"
    assert provider_name("us.deepseek.r1-v1:0") == "deepseek"


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
        Usage(input_tokens=45),
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
                output_tokens=58, stop_reason="end_turn")),
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
