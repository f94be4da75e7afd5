"""What the pages share (this module is not a page: the app's navigation lists its pages by name)."""

from __future__ import annotations

import streamlit as st

from core.history import History, open_history


@st.cache_resource(show_spinner=False)
def _open(path: str) -> History:
    """One History per file and process. Decorated once, at import: a page script's own code runs on every
    rerun, and caching a class there made Streamlit parse core/history.py with `ast` on every run of every
    session, which Python 3.11 can get wrong when threads do it at once ("AST constructor recursion depth
    mismatch")."""
    return History(path)  # a failure raises, so it is never cached: a file fixed meanwhile is used next time


def page_history() -> tuple[History | None, str | None]:
    """The history, or None and the message for the page's banner."""
    return open_history(_open)
