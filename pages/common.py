"""What the pages share (this module is not a page: the app's navigation lists its pages by name)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, cast

import streamlit as st

from core import catalog
from core.answers import Answer, Problem
from core.catalog import PRICE_TABLE_DATE, Model
from core.history import History, open_history
from core.metrics import caption
from core.settings import sampling_help
from core.snippet import boto3_snippet, operation_name, pretty_body
from core.streaming import API_NAMES, request_headers
from core.types import CACHE_TTLS, REDACTED_REASONING, Api, CachePlan, CacheTtl, Latency, RunRecord, ServiceTier
from core.validation import bounds_for

REDACTED = REDACTED_REASONING  # what Nova 2 sends in place of its reasoning text
TIER_NAMES = {"default": "Default", "priority": "Priority", "flex": "Flex", "reserved": "Reserved"}
TTL_NAMES = {"5m": "5 minutes", "1h": "1 hour"}
SILENT_LABEL = "Thought without showing its reasoning"


@st.cache_resource(show_spinner=False)
def _open(path: str) -> History:
    """One History per file and process. Decorated once, at import: a page script's own code runs on every
    rerun, and caching a class there made Streamlit parse core/history/ with `ast` on every run of every
    session, which Python 3.11 can get wrong when threads do it at once ("AST constructor recursion depth
    mismatch")."""
    return History(path)  # a failure raises, so it is never cached: a file fixed meanwhile is used next time


def api_options(model: Model) -> list[Api]:
    """The APIs offered for a model: Converse and InvokeModel always (the run says why a model refuses one), and
    Bedrock's OpenAI-compatible Chat Completions route where the model takes it."""
    return ["converse", "invoke", *(["openai"] if "openai" in model.apis else [])]  # type: ignore[list-item]


def api_label(api: str) -> str:
    return API_NAMES.get(api, api)  # type: ignore[call-overload,no-any-return]


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


def _tier_name(tier: str) -> str:
    """"Priority · 1.75× price": the tier's price beside it, from the dated price table."""
    price = catalog.table().tier_prices.get(tier, 1.0)
    return TIER_NAMES.get(tier, tier) + ("" if tier == "default" else f" · {price:g}× price")


def serving_controls(model: Model, key: str, api: Api) -> tuple[ServiceTier | None, Latency | None, CachePlan | None]:
    """Service tier, latency mode and prompt cache, each offered only where the model takes it (None: not sent).

    Nothing is drawn for a model that takes none of them, so no widget suggests a choice Bedrock would refuse."""
    caches = model.caching and (api == "converse" or bool(model.family and
                                                          getattr(model.family.provider, "supports_cache", False)))
    if not (model.tiers or model.latency_optimized or caches):
        return None, None, None
    st.caption("**Serving**")
    tier: ServiceTier | None = None
    if model.tiers:
        options = ["default", *model.tiers]
        name = f"{key}_service_tier"
        if st.session_state.get(name, "default") not in options:  # kept from a model with other tiers
            st.session_state[name] = "default"
        chosen = st.selectbox(
            "Service tier", options, key=name, format_func=_tier_name,
            help="Priority: faster output (up to 25% more tokens per second) at a higher price; Flex: discounted, "
                 "for work that can wait. Bedrock may serve another tier than asked: the answer's numbers say "
                 "which one served it.")
        tier = None if chosen in (None, "default") else cast(ServiceTier, chosen)
    latency: Latency | None = None
    if model.latency_optimized and st.toggle(
            "Latency-optimized inference", key=f"{key}_latency_optimized",
            help="A preview in some regions (us-east-2 and us-west-2, through inference profiles). When its quota "
                 "runs out Bedrock quietly serves, and bills, standard latency: the answer's numbers say which."):
        latency = "optimized"
    cache: CachePlan | None = None
    if caches and st.toggle("Prompt cache", key=f"{key}_cache",
                            help="Cache points after the system prompt and after the conversation so far: a next "
                                 "question with the same start reads them (faster first token, cheaper input). "
                                 "Short prompts are below the model's minimum and are not cached."):
        ttls = [t for t in CACHE_TTLS if t in model.cache_ttls] or ["5m"]
        ttl: CacheTtl | None = ttls[0]
        if len(ttls) > 1:
            name = f"{key}_cache_ttl"
            if st.session_state.get(name, ttls[0]) not in ttls:  # kept from a model with other TTLs
                st.session_state[name] = ttls[0]
            ttl = st.segmented_control("Cache time to live", ttls, key=name, default=ttls[0],
                                       format_func=lambda t: TTL_NAMES.get(t, t), width="stretch")
        else:
            st.caption(f"{model.name} keeps its prompt cache for {TTL_NAMES.get(ttls[0], ttls[0])}.")
        cache = CachePlan(ttl=ttl or ttls[0])
    return tier, latency, cache


def thought_for(reasoning_s: float) -> str:
    """The reasoning block's title for reasoning shown as it came: one wording, live and from the record."""
    return f"Thought for {reasoning_s:.1f} s"


def _silent(record: RunRecord) -> bool:
    """It reasoned without showing it: nothing came, or Nova 2's "[REDACTED]"."""
    return record.reasoning_shown == "omitted" or record.reasoning_text.strip() == REDACTED


def reasoning_label(record: RunRecord) -> str | None:
    """The title of a finished run's reasoning block ("Thought for 4.2 s"), or None when it did not reason."""
    if record.reasoning_shown is None and not record.reasoning_text.strip():
        return None
    if _silent(record):
        label = SILENT_LABEL
        if record.mode == "stream" and record.ttft_ms is not None:  # the silent wait is the thinking
            label += f" · first answer token after {record.ttft_ms / 1000:.1f} s"
        return label
    if record.mode == "sync":  # reasoning and answer arrived together: how long it thought is not known
        return "Reasoning (sync: not timed)"
    label = thought_for(record.reasoning_ms / 1000) if record.reasoning_ms is not None else "Thought"
    if record.ttft_ms is None and record.status != "ok":
        label += " · stopped before the answer" if record.status == "cancelled" else " · no answer followed"
    return label


def reasoning_text(record: RunRecord) -> str:
    """The reasoning a finished run can show ("" when the model reasoned without showing it)."""
    return "" if _silent(record) else record.reasoning_text


def reasoning_notes(record: RunRecord) -> list[str]:
    """What the reasoning block says under the reasoning: what the model shows of it, and its numbers."""
    try:
        name = catalog.resolve(record.model_id).name
    except catalog.UnknownModelError:
        name = record.model_id
    notes = []
    if _silent(record):
        sent = f" (it sends “{REDACTED}” in its place)" if record.reasoning_text.strip() == REDACTED else ""
        notes.append(f"{name} reasons before it answers but does not show its reasoning{sent}. The wait before the "
                     "first answer token is its thinking; its reasoning is billed as output tokens.")
    elif record.reasoning_shown == "summarized":
        notes.append(f"{name} returns a summary of its thinking, not all of it; the whole reasoning is billed as "
                     "output tokens.")
    facts = [f"effort {record.effort}" if record.effort else "",
             f"first reasoning {record.first_reasoning_ms:,.0f} ms" if record.first_reasoning_ms is not None
             and record.mode == "stream" and not _silent(record) else "",
             f"{record.reasoning_tokens:,} reasoning tokens (reported)" if record.reasoning_tokens else ""]
    if any(facts):
        notes.append(" · ".join(f for f in facts if f))
    return notes


def reasoning_state(record: RunRecord) -> Literal["complete", "error"]:
    """The reasoning block's state, as the live block ends in it (st.status): its icon is the state's."""
    return "error" if record.status == "error" else "complete"


def show_reasoning(record: RunRecord) -> None:
    """A finished run's reasoning, collapsed under its label above the answer (nothing when it did not reason):
    as the live block ends, with the icon of its state."""
    label = reasoning_label(record)
    if label is None:
        return
    icon = ":material/error:" if reasoning_state(record) == "error" else ":material/check:"
    with st.expander(label, icon=icon, expanded=False):
        text = reasoning_text(record)
        if text.strip():
            st.markdown(text)  # markdown only: HTML in model output is shown as text, never run
        for note in reasoning_notes(record):
            st.caption(note)


def api_request(record: RunRecord) -> None:
    """"View API request": the operation and model id, the headers sent beside the body (InvokeModel's tier and
    latency), the body as sent, indented, and a boto3 snippet that makes the same call (st.code has a copy button)."""
    with st.expander("View API request"):
        st.caption(f"**{operation_name(record)}** · model ID `{record.model_id}`")  # not markdown of the answer's
        headers = request_headers(record)
        if headers:
            st.code("\n".join(f"{name}: {value}" for name, value in headers.items()), language="http")
        st.code(pretty_body(record), language="json")
        st.caption("The same call from Python with boto3 (no credentials in it: boto3 finds yours):")
        st.code(boto3_snippet(record), language="python")



# -- one answer, drawn by one function, live and once ended -----------------------------------------


class AnswerSlots:
    """An answer's places on the page, in one order whether it is streaming or has ended, so the answer drawn when it
    ends (or on the next run) lands exactly on what was drawn live, and no stale copy of an element is left under it
    while the page runs (a faded "View API request" under the previous answer)."""

    def __init__(self) -> None:
        self.head = st.empty()  # Compare: the panel's name, badges and figures
        self.reasoning = st.empty()
        self.body = st.empty()
        self.live = st.empty()  # the live counter and Stop, while it streams
        self.tail = st.empty()  # stopped, the error, actions, figures, the request


def stopped_note(answer: Answer) -> str:
    thought = bool(answer.record and reasoning_text(answer.record).strip())
    return (":material/stop_circle: Stopped: the partial answer is kept." if answer.text else
            ":material/stop_circle: Stopped while the model was thinking: its reasoning so far is kept." if thought
            else ":material/stop_circle: Stopped before any text arrived.")


def show_problem(problem: Problem) -> None:
    """An error where the answer would have been: in words, with what to do; the code on expand."""
    st.error(f"**{problem.title}.** {problem.action}", icon=":material/error:")
    with st.expander("Technical details"):
        st.code(f"{problem.code}\n{problem.message}", language=None)


def answer_figures(answer: Answer) -> None:
    """Who wrote the answer and its figures (every billed attempt where a Continue built on earlier ones), its notes
    and the request."""
    records = answer.records
    for number, record in enumerate(records, start=1):
        attempt = f"attempt {number} of {len(records)} (billed) · " if len(records) > 1 else ""
        st.caption(f"{answer.author.label} · {attempt}{caption(record, PRICE_TABLE_DATE)}",
                   help=f"Model ID: {answer.author.model_id}")
    if answer.record is not None:
        for note in answer.record.notes:  # what the model could not take was left out, and this says so
            st.caption(f":material/info: {note}")
        api_request(answer.record)


def show_answer(answer: Answer, slots: AnswerSlots, actions: Callable[[Answer], None] | None = None,
                reasoning: bool = True) -> None:
    """An answer that has ended, into its slots: reasoning collapsed above the text, then stopped or the error,
    the page's actions for it (Retry, Continue), and its figures."""
    slots.live.empty()
    if not reasoning:
        pass  # the caller has drawn it (the live block, relabelled)
    elif answer.record is not None and reasoning_label(answer.record) is not None:
        with slots.reasoning.container():
            show_reasoning(answer.record)
    else:
        slots.reasoning.empty()
    if answer.text:
        slots.body.markdown(answer.text)  # markdown only: HTML in model output is shown as text, never run
    else:
        slots.body.empty()
    with slots.tail.container():
        if answer.status == "cancelled":
            st.caption(stopped_note(answer))
        if answer.problem is not None:
            show_problem(answer.problem)
        if actions is not None:
            actions(answer)
        answer_figures(answer)


# -- choices that outlive a visit to another page ----------------------------------------------------

# Streamlit forgets a widget's value once a script run does not draw it (the user is on another page), so Compare
# would come back on its defaults. Re-setting these keys on every run keeps them. Buttons, the prompt boxes and
# table selections cannot be set (Streamlit refuses), so they are left out.
KEPT_WIDGETS = ("compare_", "models_", "chat_search")
NOT_KEPT = ("compare_stop", "compare_new", "compare_input", "compare_pick", "compare_chart", "compare_prompt_use")


def keep_widget_state() -> None:
    """Called by the app's frame on every run, before the page draws."""
    for key in list(st.session_state.keys()):
        if isinstance(key, str) and key.startswith(KEPT_WIDGETS) and not key.startswith(NOT_KEPT):
            st.session_state[key] = st.session_state[key]
