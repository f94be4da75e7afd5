"""Copy a history into another (SQLite to PostgreSQL, back, or file to file), without duplicates.

Rows keep their ids (run_id, conversation_id, message_id), so a row already in the target is left as it is
there and counted as "already there": copying twice copies nothing the second time, and two people can each
copy their file into the team's database. Rows are read in key order, a batch at a time, and each batch is
written in one transaction, so a copy that stops half-way (Ctrl-C, a lost connection) keeps what it wrote
and the next copy goes on from there. Conversations go before their messages, runs before the comparison
winners that name them. A comparison has one winner, and a later pick replaces an earlier one: a winner in the
target is replaced by the source's when the source's was picked later, and is "already there" otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .schema import CONVERSATION_FIELDS, MESSAGE_FIELDS, PICK_FIELDS, RUN_COLUMNS
from .store import History

DEFAULT_BATCH_ROWS = 1000


@dataclass(frozen=True)
class Table:
    name: str
    key: str
    columns: tuple[str, ...]
    booleans: tuple[str, ...] = ()  # stored as 0/1 by SQLite, as booleans by PostgreSQL
    newer_wins: str = ""  # a time column: a row picked later replaces the target's (else the target's is kept)


TABLES = (Table("runs", "run_id", RUN_COLUMNS), Table("conversations", "conversation_id", CONVERSATION_FIELDS,
                                                      ("shared",)),
          Table("messages", "message_id", MESSAGE_FIELDS),
          Table("compare_picks", "compare_group", PICK_FIELDS, newer_wins="picked_utc"))


@dataclass(frozen=True)
class CopyResult:
    """Rows copied, and rows left alone because their id was already in the target, per table."""

    copied: dict[str, int]
    present: dict[str, int]

    def summary(self) -> str:
        """One line: 'copied 1,204 runs and 12 conversations (36 messages); 0 already there'."""
        new = _counted(self.copied)
        if not any(self.copied.values()):
            there = _counted(self.present)
            return f"copied nothing: {there} already there" if any(self.present.values()) else \
                "copied nothing: the source history is empty"
        kept = sum(self.present.values())
        return f"copied {new}; {_counted(self.present) if kept else '0'} already there"


def _counted(counts: dict[str, int]) -> str:
    conversations = f"{counts.get('conversations', 0):,} conversations ({counts.get('messages', 0):,} messages)"
    winners = counts.get("compare_picks", 0)
    if not winners:
        return f"{counts.get('runs', 0):,} runs and {conversations}"
    return f"{counts.get('runs', 0):,} runs, {conversations} and {winners:,} comparison winners"


def copy_history(source: History, target: History, *, batch_rows: int = DEFAULT_BATCH_ROWS,
                 on_batch: Callable[[str, int, int], None] | None = None) -> CopyResult:
    """Copy every run, conversation, message and comparison winner of `source` that `target` lacks (or, for a
    winner, has from an earlier pick); `on_batch(table, copied, present)` after each batch. Raises
    HistoryUnavailable when either history cannot be used."""
    if batch_rows < 1:
        raise ValueError("batch_rows must be at least 1")
    copied: dict[str, int] = {}
    present: dict[str, int] = {}
    for table in TABLES:
        copied[table.name] = present[table.name] = 0
        after = ""
        key_at = table.columns.index(table.key)
        select = (f"SELECT {', '.join(table.columns)} FROM {table.name} WHERE {table.key} > ? "
                  f"ORDER BY {table.key} LIMIT ?")
        insert = (f"INSERT INTO {table.name} ({', '.join(table.columns)}) "
                  f"VALUES ({', '.join('?' * len(table.columns))}) {_on_conflict(table, target)}")
        while True:
            with source._db.session(f"reading {table.name} to copy") as db:
                rows = db.execute(select, (after, batch_rows)).fetchall()
            if not rows:
                break
            batch = [_adapted(table, row) for row in rows]
            with target._db.transaction(f"copying {table.name}") as db:
                inserted = db.executemany(insert, batch)
            copied[table.name] += inserted
            present[table.name] += len(batch) - inserted
            after = rows[-1][key_at]
            if on_batch is not None:
                on_batch(table.name, copied[table.name], present[table.name])
    return CopyResult(copied, present)


def _on_conflict(table: Table, target: History) -> str:
    """Keep the target's row; for a newer-wins table, replace it with a row of a later time (an equal one, as
    copied before, is left: copying twice copies nothing)."""
    if not table.newer_wins:
        return "ON CONFLICT DO NOTHING"
    assignments = ", ".join(f"{name} = excluded.{name}" for name in table.columns if name != table.key)
    later = (f"{target._db.instant(f'excluded.{table.newer_wins}')} > "
             f"{target._db.instant(f'{table.name}.{table.newer_wins}')}")
    return f"ON CONFLICT ({table.key}) DO UPDATE SET {assignments} WHERE {later}"


def _adapted(table: Table, row: Sequence[object]) -> tuple[object, ...]:
    if not table.booleans:
        return tuple(row)
    return tuple(bool(value) if name in table.booleans and value is not None else value
                 for name, value in zip(table.columns, row, strict=True))
