"""Run history: every run, the chat conversations and Compare's winners, in a SQLite file or on a shared
PostgreSQL server.

    BEDROCK_LAB_HISTORY unset               history.sqlite in the user's data directory
    BEDROCK_LAB_HISTORY=/some/file.sqlite   that file
    BEDROCK_LAB_HISTORY=postgresql://USER:PASSWORD@HOST:PORT/DATABASE   that database, for a team

One `History` class for every caller, with the same methods, frames and types on both databases; the tables
are in `schema` (one migration list for both), the differences between the databases in `sqlite` and
`postgres` (behind `database.Database`). The same promises on both: a run reported finished is stored (its
transaction committed before `record_run` returns); concurrent writers, threads or processes, lose nothing;
migrations are applied once even when several processes open a new history at once. Any storage problem
surfaces as `HistoryUnavailable`, whose message is meant for the user (a database password never appears
in it); the app keeps working without history, and uses it again once the problem is gone.

    history = History()
    history.record_run(record)
    frame = history.runs(model_ids=[catalog.default_model_id()], statuses=["ok"])
    history.pick_winner(compare_group, run_id, user_name="ana")   # Compare's winner; winner(), picks()

`python -m core history copy --from A --to B` copies a history to another, in either direction (`copy`).
"""

from __future__ import annotations

from .database import ENV_VAR, HistoryUnavailable, Refused, is_url, mask_password
from .schema import M003_COLUMNS, M004_COLUMNS, MIGRATIONS, RUN_FIELDS
from .sqlite import BUSY_TIMEOUT_S
from .store import (
    APP_NAME,
    CONVERSATION_COLUMNS,
    FILE_NAME,
    PEOPLE_COLUMNS,
    PICK_COLUMNS,
    History,
    RunAlreadyRecorded,
    default_location,
    default_path,
    open_database,
    open_history,
    records_frame,
)

__all__ = [
    "APP_NAME", "BUSY_TIMEOUT_S", "CONVERSATION_COLUMNS", "ENV_VAR", "FILE_NAME", "M003_COLUMNS", "M004_COLUMNS",
    "MIGRATIONS", "PEOPLE_COLUMNS", "PICK_COLUMNS", "RUN_FIELDS", "History", "HistoryUnavailable", "Refused",
    "RunAlreadyRecorded", "default_location", "default_path", "is_url", "mask_password", "open_database",
    "open_history", "records_frame",
]
