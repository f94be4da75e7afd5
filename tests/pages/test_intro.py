"""The first screen of a new session says what the lab is, offers prompts that send with one click, points to Compare
and says the answers are emulated; once a conversation has started it is gone."""

from __future__ import annotations

from core.history import History
from core.prompts import SUGGESTED

from .conftest import first_run


def suggestions(at: object) -> list[str]:
    return [b.label for b in at.button if (b.key or "").startswith("intro_prompt_")]  # type: ignore[attr-defined]


def test_a_new_session_opens_on_a_first_screen_that_explains_itself(history: History) -> None:
    at = first_run("intro-new")
    assert not at.exception, at.exception
    assert [h.value for h in at.main.subheader] == ["Bedrock Streaming Lab"]
    assert "streaming" in at.main.markdown[0].value  # one line on what it shows
    assert suggestions(at) == [f"**{s.title}:** {s.prompt}" for s in SUGGESTED]
    (link,) = at.get("page_link")
    assert link.proto.page == "compare" and "Compare" in link.proto.label  # the Compare page's URL
    assert any(i.value.startswith("**Answers are emulated:**") for i in at.main.info)  # not only in the sidebar


def test_a_suggestion_is_sent_with_one_click_and_the_first_screen_makes_way(history: History) -> None:
    at = first_run("intro-click")
    table = next(s for s in SUGGESTED if s.title == "A table")
    at.button(key=f"intro_prompt_{SUGGESTED.index(table)}").click().run()
    assert not at.exception, at.exception
    question, reply = at.chat_message
    assert question.name == "user" and question.markdown[0].value == table.prompt
    assert reply.name == "assistant" and reply.markdown[0].value.startswith("(Emulated answer")
    assert not at.main.subheader and not suggestions(at)
    at.run()  # and it stays gone while the conversation goes on
    assert not suggestions(at) and len(at.chat_message) == 2
