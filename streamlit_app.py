"""Bedrock Streaming Lab: the entry point. Runs before every page: config, shared state, sidebar."""

from __future__ import annotations

import streamlit as st

from core.client import default_backend, shared_emulator

st.set_page_config(page_title="Bedrock Streaming Lab", page_icon=":material/stream:", layout="wide")

st.session_state.setdefault("backend", default_backend())

with st.sidebar:
    st.markdown("### Bedrock Streaming Lab")
    if st.session_state.backend == "emulator":
        emulator = shared_emulator()
        st.info("**Emulator backend.** Answers and latencies are emulated locally; no AWS account is used.",
                icon=":material/science:")
        st.caption(f"Emulator: `{emulator.url}`")
    else:
        st.caption("Backend: AWS (standard boto3 configuration)")

page = st.navigation([st.Page("pages/models.py", title="Models", icon=":material/list:", default=True)])
page.run()
