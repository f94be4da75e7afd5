"""The first screen: what the lab is, prompts to try, where to go next. Not a page: Chat draws it while the
conversation is empty."""

from __future__ import annotations

import streamlit as st

from core.prompts import SUGGESTED
from core.settings import LabSettings

PRODUCT = "Bedrock Streaming Lab"
PITCH = ("See why streaming matters: the first words of an answer in a few hundred milliseconds instead of a "
         "spinner for many seconds, with honest latency numbers for every Bedrock text model.")
EMULATED = ("**Answers are emulated:** no model is called, no AWS account is used. For real Bedrock, pick AWS in "
            "the sidebar.")
# The same in one line, for the top of the other pages.
EMULATED_LINE = ":material/science: Answers are emulated: no model is called, no AWS account is used."
COLUMNS = 2  # suggestions per row on a wide screen (a phone stacks them)


def first_screen(settings: LabSettings) -> str | None:
    """Draw the welcome; return the suggested prompt whose button was clicked in this run (None otherwise), the
    welcome then cleared so that the answer takes its place."""
    slot = st.empty()
    clicked: str | None = None
    with slot.container():
        st.subheader(PRODUCT, anchor=False)
        st.markdown(PITCH)
        st.markdown("**Try one**, or type your own below:")
        for first in range(0, len(SUGGESTED), COLUMNS):
            for n, column in enumerate(st.columns(COLUMNS), start=first):
                if n < len(SUGGESTED):
                    suggestion = SUGGESTED[n]
                    # In a container of its own, a long label wraps instead of being cut short.
                    label = f"**{suggestion.title}:** {suggestion.prompt}"
                    if column.container().button(label, key=f"intro_prompt_{n}", width="stretch", help=suggestion.why):
                        clicked = suggestion.prompt
        st.page_link("pages/compare.py", icon=":material/compare_arrows:",
                     label="**Compare** models and modes side by side")
        # Last, just above the message box: a chat page opens scrolled to its end, so on a phone this line is
        # the one sure to be in view.
        if settings.backend == "emulator":
            st.info(EMULATED, icon=":material/science:")
    if clicked is not None:
        slot.empty()
    return clicked
