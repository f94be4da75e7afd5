"""The Chat page's habits from the best chat tools (AppTest over the emulator, time scale 0): Continue after max
tokens, edit and resend, each answer naming who wrote it, in the page and in the exports."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from core import catalog
from core.catalog import PRICE_TABLE_DATE
from core.conversation import to_json, to_markdown
from core.history import History
from core.validation import bounds_for
from tests.pages.conftest import APP, chat_entry, first_run

from .. import models

LONG = "Write 400 tokens about streaming latency."


def ask(at: AppTest, text: str) -> AppTest:
    at.chat_input(key="chat_input").set_value(text).run()
    assert not at.exception, at.exception[0].value
    return at


def test_an_answer_cut_at_max_tokens_says_so_and_continue_carries_it_on(history: History) -> None:
    limit = bounds_for(models.CHAT).max_tokens[1]  # the sidebar keys its max tokens by the model's limit
    at = ask(first_run("habits-continue", **{f"lab_max_tokens_{limit}": 30}), LONG)
    first = chat_entry(at)
    assert first["record"]["stop_reason"] == "max_tokens"
    assert any("stopped at max tokens" in c.value for c in at.chat_message[1].caption)
    at.button(key="chat_continue_1").click().run()
    assert not at.exception, at.exception
    turns = at.session_state["chat"].turns
    assert len(turns) == 2  # still one answer, longer
    answer = turns[-1]
    assert answer.text.startswith(first["text"]) and len(answer.text) > len(first["text"])
    assert len(answer.records) == 2  # each attempt billed, and shown so
    shown = [c.value for c in at.chat_message[1].caption if "billed" in c.value]
    assert len(shown) == 2 and "attempt 1 of 2 (billed)" in shown[0] and "attempt 2 of 2 (billed)" in shown[1]
    sent = json.loads(answer.record.request_json)["messages"]
    assert sent[-1]["role"] == "assistant"  # carried on from the text so far, as a prefill: nothing repeats


def test_a_question_edited_and_resent_replaces_what_followed_it(history: History) -> None:
    at = ask(ask(first_run("habits-edit"), "What is a queue?"), "And a stack?")
    first_conversation = at.session_state["chat"].conversation_id
    at.run()  # the questions offer Edit once no answer is streaming
    at.text_area(key="chat_edit_text_0").set_value("What is a deque?").run()
    at.button(key="chat_edit_send_0").click().run()
    assert not at.exception, at.exception
    assert [(t.role, t.text[:16]) for t in at.session_state["chat"].turns][0] == ("user", "What is a deque?")
    assert len(at.session_state["chat"].turns) == 2 and chat_entry(at)["status"] == "ok"
    copy = at.session_state["chat"].conversation_id
    assert copy != first_conversation  # the edited one goes on as a new conversation; the old one keeps its words
    assert [m["text"] for m in history.messages(first_conversation)][::2] == ["What is a queue?", "And a stack?"]
    assert history.messages(copy)[0]["text"] == "What is a deque?"


def test_each_answer_names_its_model_api_and_mode_in_the_page_and_the_exports(history: History) -> None:
    other = catalog.resolve(models.ON_DEMAND)
    at = ask(first_run("habits-export-1"), "Name a river.")
    conversation_id = at.session_state["chat"].conversation_id
    # Another session goes on with the same conversation on another model and API.
    later = AppTest.from_file(APP, default_timeout=60)
    later.session_state["lab_session_id"] = "habits-export-2"
    later.session_state["lab_model_id"] = other.base_id
    later.session_state["lab_api"] = "invoke"
    later.query_params["conversation"] = conversation_id
    later.run()
    ask(later, "And a lake?")
    captions = [c.value for message in later.chat_message[1::2] for c in message.caption if "E2E" in c.value]
    assert captions[0].startswith(f"{models.CHAT.name} · Converse · streaming")
    assert captions[1].startswith(f"{other.name} · InvokeModel · streaming")
    chat = later.session_state["chat"]
    markdown = to_markdown(chat, "", PRICE_TABLE_DATE)
    assert f"## {models.CHAT.name} · Converse · streaming" in markdown
    assert f"## {other.name} · InvokeModel · streaming" in markdown
    exported = json.loads(to_json(chat, ""))
    authors = [m["author"] for m in exported["messages"] if m["role"] == "assistant"]
    assert [(a["name"], a["api"], a["mode"]) for a in authors] == [(models.CHAT.name, "converse", "stream"),
                                                                    (other.name, "invoke", "stream")]
    assert all(m["records"][0]["ttft_ms"] is not None for m in exported["messages"] if m["role"] == "assistant")
