"""What the pages share (this module is not a page: the app's navigation lists its pages by name)."""

from __future__ import annotations

import streamlit as st

from core.catalog import Model
from core.history import History, open_history
from core.settings import sampling_help
from core.types import Api
from core.validation import bounds_for


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


def sampling_controls(model: Model, key: str, api: Api, temperature: float | None = None,
                      top_p: float | None = None) -> tuple[float | None, float | None]:
    """Temperature and top_p as the model takes them: both, one of the two (the user picks), or none."""
    note = sampling_help(model)
    if model.sampling == "none":
        st.caption(note or "")
        return None, None
    use: tuple[str, ...] = ("temperature", "top_p")
    if model.sampling == "one":
        chosen = st.radio("Sample with", use, key=f"{key}_sampling", horizontal=True, help=note,
                          format_func=lambda p: {"temperature": "Temperature", "top_p": "Top P"}[p])
        use = (chosen or "temperature",)
    bounds = bounds_for(model, api)  # the ranges every door of the lab accepts for this model and API
    for name, (low, high) in ((f"{key}_temperature", bounds.temperature), (f"{key}_top_p", bounds.top_p)):
        if name in st.session_state:  # a value kept from a model with a wider range
            st.session_state[name] = min(max(st.session_state[name], low), high)
    chosen_temperature = st.slider("Temperature", *bounds.temperature,
                                   min(0.7 if temperature is None else temperature, bounds.temperature[1]),
                                   0.05, key=f"{key}_temperature") if "temperature" in use else None
    chosen_top_p = st.slider("Top P", *bounds.top_p, 0.9 if top_p is None else top_p, 0.05,
                             key=f"{key}_top_p") if "top_p" in use else None
    return chosen_temperature, chosen_top_p


def effort_control(model: Model, key: str) -> str | None:
    """The reasoning effort, offered only where the model takes one (None: off, or the model's default)."""
    if model.thinking == "always":
        st.caption(f"{model.name} reasons on every request; it has no effort setting.")
        return None
    if not model.efforts:
        return None
    off = "Model default" if model.thinking == "adaptive" else "Off"
    choice = st.selectbox("Reasoning effort", [off, *model.efforts], key=f"{key}_effort_{model.thinking}",
                          help="How much the model may think before it answers. Reasoning is shown apart from the "
                               "answer; time to first token counts the first answer text.")
    return None if choice == off else str(choice)
