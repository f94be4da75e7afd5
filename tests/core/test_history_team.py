"""Team mode in the history (migration m004), on SQLite and PostgreSQL alike: who ran each run and where,
filters on them, and conversations private to whoever started them unless shared."""

from __future__ import annotations

import pandas as pd
import pytest

from core.history import History

from .test_history import MIGRATION_NAMES, make_run, old_history


@pytest.fixture()
def history(history_location: str) -> History:
    return History(history_location)


@pytest.fixture()
def team(history: History) -> History:
    runs = [("a", "ana", "ana-laptop"), ("b", "ana", "lab-server"), ("c", "bo", "bo-laptop"), ("d", "bo", "bo-laptop"),
            ("e", "bo", "bo-laptop"), ("f", None, None)]
    for i, (run_id, user, host) in enumerate(runs):
        history.record_run(make_run(run_id, started_utc=f"2025-03-01T12:00:0{i}+00:00", user_name=user, host=host))
    return history


@pytest.mark.parametrize(("filters", "expected"), [
    ({"users": ["ana"]}, "ab"),
    ({"users": ["bo", "ana"]}, "abcde"),
    ({"hosts": ["bo-laptop"]}, "cde"),
    ({"users": ["ana"], "hosts": ["lab-server"]}, "b"),
    ({"users": [None]}, "f"),  # the runs from before people were recorded
    ({"users": ["ana", None]}, "abf"),
    ({"users": []}, ""),
    ({"hosts": ["nobody's"]}, ""),
])
def test_runs_filter_by_person_and_machine(team: History, filters: dict[str, list[str | None]], expected: str) -> None:
    assert "".join(team.runs(**filters)["run_id"]) == expected  # type: ignore[arg-type]


def test_a_string_where_a_list_of_people_belongs_is_refused(team: History) -> None:
    with pytest.raises(TypeError, match="list"):
        team.runs(users="ana")  # type: ignore[arg-type]


def test_people_and_hosts_lists_each_pair_with_its_runs(team: History) -> None:
    people = team.people_and_hosts()
    assert list(people.columns) == ["user_name", "host", "runs"]
    assert str(people["runs"].dtype) == "int64"
    rows = [(None if pd.isna(user) else user, None if pd.isna(host) else host, runs)
            for user, host, runs in people.itertuples(index=False)]
    assert rows == [("bo", "bo-laptop", 3), ("ana", "ana-laptop", 1), ("ana", "lab-server", 1), (None, None, 1)]
    assert sorted(people["user_name"].dropna().unique()) == ["ana", "bo"]


def test_people_and_hosts_of_an_empty_history(history: History) -> None:
    people = history.people_and_hosts()
    assert people.empty and list(people.columns) == ["user_name", "host", "runs"]


def test_conversations_are_private_to_their_owner_until_shared(history: History) -> None:
    anas = history.create_conversation("Ana's", "m", owner="ana")
    bos = history.create_conversation("Bo's", "m", owner="bo")
    everyone = history.create_conversation("Before owners", "m")  # no owner: visible to all
    history.add_message(anas, "user", "hi")

    def visible(viewer: str | None) -> list[str]:
        return list(history.conversations(viewer=viewer)["conversation_id"])

    assert visible("ana") == [anas, everyone]
    assert visible("bo") == [everyone, bos]
    assert visible("cy") == [everyone]
    assert visible(None) == [anas, everyone, bos]  # everything, as before (the exports, a single user)

    history.share_conversation(bos)
    assert visible("ana") == [anas, everyone, bos]
    listed = history.conversations().set_index("conversation_id")
    assert listed.loc[bos, "shared"] and listed.loc[bos, "owner"] == "bo"
    assert not listed.loc[anas, "shared"] and pd.isna(listed.loc[everyone, "owner"])
    assert listed["shared"].dtype == bool

    history.share_conversation(bos, shared=False)
    assert visible("ana") == [anas, everyone]
    with pytest.raises(KeyError):
        history.share_conversation("missing")


def test_sharing_does_not_move_a_conversation_in_the_list(history: History) -> None:
    older = history.create_conversation("older", "m", owner="ana")
    newer = history.create_conversation("newer", "m", owner="ana")
    history.share_conversation(older)
    assert list(history.conversations(viewer="ana")["conversation_id"]) == [newer, older]


def test_a_history_from_before_team_mode_keeps_its_runs_and_conversations(history_location: str) -> None:
    """Opened by this version, a history with migrations m001-m003 gains the columns; what it held reads as
    unknown person and host, and its conversations (no owner) stay visible to everyone."""
    old_history(history_location, 3, make_run("old-run", cache_ttl="5m"))
    history = History(history_location)
    assert history.applied_migrations() == MIGRATION_NAMES
    run = history.get_run("old-run")
    assert run is not None and (run.user_name, run.host, run.cache_ttl) == (None, None, "5m")
    assert list(history.runs(users=[None])["run_id"]) == ["old-run"]
    old = history.conversations().set_index("conversation_id").loc["old-conversation"]
    assert pd.isna(old["owner"]) and not old["shared"]
    conversation = history.create_conversation("new", "m", owner="ana")
    assert list(history.conversations(viewer="bo")["conversation_id"]) == ["old-conversation"]
    assert list(history.conversations(viewer="ana")["conversation_id"]) == [conversation, "old-conversation"]
