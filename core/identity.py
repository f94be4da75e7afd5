"""Who ran a run and where: the names a shared history files runs under.

A run records the user's name (the sidebar's "Your name", `--user`, `BEDROCK_LAB_USER`, else the account the
process runs as) and the machine it ran on, so a team's Monitor can tell people and machines apart. Neither is
an identity check: on a shared database anyone can type any name.
"""

from __future__ import annotations

import functools
import getpass
import os
import socket

USER_ENV = "BEDROCK_LAB_USER"
MAX_NAME_CHARS = 64


def default_user_name() -> str:
    """`BEDROCK_LAB_USER`, else the operating-system user, else "unknown"."""
    named = clean_name(os.environ.get(USER_ENV, ""))
    if named:
        return named
    try:
        return clean_name(getpass.getuser()) or "unknown"
    except (KeyError, OSError):  # no user name in the environment nor in the password database (some containers)
        return "unknown"


def clean_name(name: str) -> str:
    """A name as recorded: spaces trimmed, control characters dropped, at most MAX_NAME_CHARS."""
    kept = "".join(ch for ch in name if ch.isprintable())
    return " ".join(kept.split())[:MAX_NAME_CHARS]


@functools.cache
def host_name() -> str:
    """The machine's name as the network knows it (asked once per process: every run records it)."""
    return socket.gethostname() or "unknown"
