"""Chat on a history shared by a team, through AppTest: runs and conversations are filed under the sidebar's
name; a conversation is private to its owner until shared, then listed for everyone with its owner's name."""

from __future__ import annotations

from typing import Any

from streamlit.testing.v1 import AppTest

from core.history import History
from tests.pages.conftest import chat_entry

from .conftest import first_run


def chat_as(name: str, session: str) -> AppTest:
    at = first_run(session, lab_user_name=name)
    assert not at.exception, at.exception
    return at


def past(at: AppTest) -> list[str]:
    """The conversations listed to reopen: each one's title and, beside it, its date, model, size and whose."""
    titles = [b.label for b in at.button if b.key.startswith("chat_open_")]
    details = [c.value for c in at.caption if " messages" in c.value]
    return [f"{title} · {detail}" for title, detail in zip(titles, details, strict=True)]


def test_a_conversation_is_private_to_its_owner_until_shared(team_history: History) -> None:
    history = team_history
    ana = chat_as("Ana Silva", "session-ana")
    ana.chat_input(key="chat_input").set_value("How do tides work?").run()
    assert not ana.exception, ana.exception
    record = chat_entry(ana)["record"]
    assert record["user_name"] == "Ana Silva" and record["host"]  # the run is filed under her name and machine
    runs = history.runs()
    assert list(runs["user_name"]) == ["Ana Silva"]

    ben = chat_as("Ben", "session-ben")
    assert not any("How do tides work?" in label for label in past(ben))  # not Ben's, not shared

    ana.run()  # Ana's next run lists her conversation, and offers to share it
    shared = ana.toggle(key="chat_shared")
    assert shared.value is False and any("How do tides work?" in label for label in past(ana))
    shared.set_value(True).run()
    assert not ana.exception, ana.exception
    (row,) = history.conversations(viewer="Ben").itertuples()
    assert (row.owner, bool(row.shared)) == ("Ana Silva", True)

    ben = chat_as("Ben", "session-ben-2")
    labels = past(ben)
    assert any("How do tides work?" in label and "shared by Ana Silva" in label for label in labels), labels
    ben.button(key=f"chat_open_{row.conversation_id}").click().run()  # Ben reopens Ana's shared conversation
    assert chat_entry(ben, 0)["text"] == "How do tides work?"
    assert not any(w.key == "chat_shared" for w in ben.toggle)  # only the owner shares or unshares it

    ana.toggle(key="chat_shared").set_value(False).run()
    assert not past(chat_as("Ben", "session-ben-3"))  # private again


def test_the_team_database_going_away_is_a_banner_and_chat_keeps_answering(
        monkeypatch: Any, postgres_url: str, postgres_server: Any) -> None:
    monkeypatch.setenv("BEDROCK_LAB_HISTORY", postgres_url)
    at = chat_as("Ana", "session-outage")
    at.chat_input(key="chat_input").set_value("First question").run()
    assert History(postgres_url).runs()["user_name"].tolist() == ["Ana"]
    postgres_server.stop()
    try:
        at.chat_input(key="chat_input").set_value("Second question").run()
        assert not at.exception, at.exception
        entry = chat_entry(at)
        assert entry["status"] == "ok" and entry["text"]  # the answer came all the same
        banner = " ".join(w.value for w in at.warning)
        assert "Run history is unavailable" in banner and "Chat works without history meanwhile" in banner
        assert postgres_server.password not in banner
    finally:
        postgres_server.start_again()
    at.chat_input(key="chat_input").set_value("Third question").run()
    assert not at.warning  # back on the database, no banner
    assert len(History(postgres_url).runs()) == 2  # the run made while it was away was not recorded, and said so
