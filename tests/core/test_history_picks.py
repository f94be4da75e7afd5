"""Compare's "pick the winner" in the history (migration m005), on SQLite and PostgreSQL alike: one winner per
comparison, a new pick replacing the old, only a run of that comparison, and picks carried by a copy."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from core.history import PICK_COLUMNS, History, is_url
from core.history.copy import copy_history

from .. import models
from .test_history import MIGRATION_NAMES, make_run, old_history


@pytest.fixture()
def history(history_location: str) -> History:
    return History(history_location)


def compared(history: History) -> History:
    """Two comparisons: g1 with runs a (the default model) and b (Claude), g2 with run c; run d in none."""
    for run_id, group, model in (("a", "g1", models.ON_DEMAND), ("b", "g1", models.CLAUDE), ("c", "g2", models.CLAUDE),
                                 ("d", None, models.ON_DEMAND)):
        history.record_run(make_run(run_id, compare_group=group, model_id=model))
    return history


def rows(frame: pd.DataFrame) -> list[tuple[object, ...]]:
    """The picks without their times, NaN as None."""
    return [tuple(None if pd.isna(value) else value for value in row)
            for row in frame[["compare_group", "run_id", "user_name", "model_id"]].itertuples(index=False)]


def test_a_pick_is_recorded_and_a_second_one_replaces_it(history: History) -> None:
    compared(history)
    empty = history.picks()
    assert empty.empty and list(empty.columns) == list(PICK_COLUMNS)
    assert history.winner("g1") is None

    history.pick_winner("g1", "a", user_name="ana")
    assert history.winner("g1") == "a" and history.winner("g2") is None
    first = history.picks()
    assert list(first.columns) == ["compare_group", "run_id", "user_name", "picked_utc", "model_id"]
    assert rows(first) == [("g1", "a", "ana", models.ON_DEMAND)]
    assert str(first["picked_utc"].dtype) == "datetime64[us, UTC]"
    assert abs(pd.Timestamp.now(tz="UTC") - first["picked_utc"].iloc[0]) < pd.Timedelta(minutes=1)

    history.pick_winner("g1", "b")  # changed their mind, or someone else did: one winner per comparison
    history.pick_winner("g2", "c", user_name="bo")
    assert history.winner("g1") == "b"
    second = history.picks()
    assert rows(second) == [("g1", "b", None, models.CLAUDE), ("g2", "c", "bo", models.CLAUDE)]  # oldest pick first
    assert second["picked_utc"].iloc[0] > first["picked_utc"].iloc[0]
    assert history.counts()["compare_picks"] == 2


def test_only_a_run_of_that_comparison_can_win_it(history: History) -> None:
    compared(history)
    history.pick_winner("g1", "a")
    for group, run_id in (("g1", "c"), ("g1", "d"), ("g1", "no-such-run"), ("g3", "a")):
        with pytest.raises(KeyError, match=run_id):
            history.pick_winner(group, run_id)
    assert history.winner("g1") == "a" and history.winner("g3") is None  # the refused picks changed nothing
    assert len(history.picks()) == 1


def test_picks_survive_a_copy_to_the_other_database(history_location: str, request: pytest.FixtureRequest,
                                                    tmp_path: Path) -> None:
    """SQLite -> PostgreSQL, or PostgreSQL -> SQLite: the winners arrive as picked, and only a later pick
    replaces one the target has."""
    source = compared(History(history_location))
    other = str(tmp_path / "other.sqlite") if is_url(history_location) else request.getfixturevalue("postgres_url")
    target = History(other)
    source.pick_winner("g1", "a", user_name="ana")
    source.pick_winner("g2", "c")
    result = copy_history(source, target, batch_rows=1)
    assert (result.copied["compare_picks"], result.present["compare_picks"]) == (2, 0)
    assert result.summary() == "copied 4 runs, 0 conversations (0 messages) and 2 comparison winners; 0 already there"
    pd.testing.assert_frame_equal(target.picks(), source.picks())

    target.pick_winner("g1", "b", user_name="bo")  # picked later, in the target
    again = copy_history(source, target)
    assert (again.copied["compare_picks"], again.present["compare_picks"]) == (0, 2)
    assert target.winner("g1") == "b"  # the source's older pick does not undo it
    back = copy_history(target, source)
    assert (back.copied["compare_picks"], back.present["compare_picks"]) == (1, 1)
    assert source.winner("g1") == "b"
    pd.testing.assert_frame_equal(target.picks(), source.picks())


def test_a_history_from_before_picks_opens_and_takes_them(history_location: str) -> None:
    old_history(history_location, 4, make_run("old-run", compare_group="old-group"))
    history = History(history_location)
    assert history.applied_migrations() == MIGRATION_NAMES
    assert history.picks().empty
    history.pick_winner("old-group", "old-run")
    assert history.winner("old-group") == "old-run"
