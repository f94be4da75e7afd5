"""Bedrock Streaming Lab: the entry point. Runs before every page: config, shared state, sidebar.

`streamlit run streamlit_app.py` first imports this file to find `app` (an `st.App`), which serves the
UI and, beside it on the same port, the HTTP streaming API under /api (core.api). Each browser session
then runs this file as a script (`__main__`), as AppTest does too.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from core import errors, identity, telemetry
from core.answers import Flights
from core.api import ApiSettings, api_base_url, api_routes
from core.catalog import ModelInfo, list_text_models, preferred_index
from core.client import (
    DEFAULT_IDLE_TIMEOUT_S,
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_READ_TIMEOUT_S,
    caller_identity,
    default_backend,
    emulator_faults,
    make_client,
    shared_emulator,
)
from core.emulator.faults import BEFORE, DURING, EXCEPTION_NAMES, FAULT_TEXTS, STREAM_EXCEPTIONS, Fault
from core.settings import (
    DEFAULT_MAX_TOKENS,
    IDLE_TIMEOUT_RANGE_S,
    MAX_ATTEMPTS_RANGE,
    READ_TIMEOUT_RANGE_S,
    LabSettings,
    output_limit,
    parse_stop_sequences,
    system_prompt_support,
)
from pages.common import api_label, api_options, effort_control, keep_widget_state, sampling_controls, serving_controls
from pages.intro import EMULATED_LINE

state = st.session_state
SWITCH_INTERVAL_S = 0.001  # the GIL's switch interval in the app's process: see the end of this file
# The tab's icon, from the app's own files: a Material icon name would be fetched from a font host on the internet.
ICON = Path(__file__).resolve().parent / "static" / "icon.svg"
# What the sidebar draws once the page has run (the fault list, whose counts the page's answer may change). Each
# script run executes this file in a fresh module, so the list is the run's own.
_after_page: list[Callable[[], None]] = []


@st.cache_data(ttl=300, show_spinner=False)
def _models(backend: str, region: str | None, profile: str | None) -> list[ModelInfo]:
    return list_text_models(make_client("bedrock", backend, region=region, profile=profile))


@st.cache_data(ttl=60, show_spinner=False)
def _identity(region: str | None, profile: str | None, api_key: bool) -> tuple[str, tuple[str, ...]]:
    """What the sidebar says the AWS backend signs with, and any warnings. An exported Bedrock API key (`api_key`
    keys the cache) is described from its public format, without STS; otherwise STS names the caller."""
    from core.client import bedrock_api_key

    key = bedrock_api_key(region, profile) if api_key else None
    if key is None:
        found = caller_identity(region=region, profile=profile)
        return f"Signed in as `{found.arn}` (account {found.account}) in {found.region or region}.", ()
    return f"{key.describe()} in {key.region or 'no region'}.", key.warnings()


def _aws_sidebar(in_use: DeltaGenerator) -> tuple[str, str | None, str | None]:
    """Identity (or Bedrock API key), region and profile of the AWS backend; falls back to the emulator when no
    credentials are usable, and says so in `in_use`, right under the Backend switch. The Region field starts from
    the configured region (AWS_REGION, AWS_DEFAULT_REGION, the profile's)."""
    from core.client import api_key_in_use, configured_region

    if "lab_region" not in state:
        state["lab_region"] = configured_region((state.get("lab_profile") or "").strip() or None) or "us-east-1"
    region = st.text_input("Region", key="lab_region").strip() or None
    profile = st.text_input("Profile (optional)", key="lab_profile").strip() or None
    try:
        headline, warnings = _identity(region, profile, api_key_in_use())
    except errors.LabError as problem:
        in_use.info("**In use: the emulator.** AWS cannot be used yet (see below), so answers are emulated.",
                    icon=":material/science:")
        _aws_problem(problem, profile)
        return "emulator", None, None
    st.success(headline, icon=":material/key:")
    for warning in warnings:
        st.warning(warning, icon=":material/schedule:")
    return "aws", region, profile


def _aws_problem(problem: errors.LabError, profile: str | None) -> None:
    """Why AWS cannot be used, as one message. Missing credentials come with the commands that fix them in a code
    block, where no variable name wraps, and a button to look again once they have been run."""
    detail = f" ({problem.detail})" if problem.detail else ""
    if isinstance(problem, errors.CredentialsError) and problem.action == errors.CredentialsError.action:
        st.warning(f"**{problem.title}**{detail}. {errors.CredentialsError.steps}", icon=":material/key_off:")
        st.code(errors.CredentialsError.commands(profile), language="bash")
    else:
        st.warning(f"**{problem.title}**{detail}. {problem.action}", icon=":material/key_off:")
    st.button("Check again", key="lab_aws_check", icon=":material/refresh:", width="stretch",
              help="Looks for credentials again (a failed look is never cached).")


def _inject_fault(session: str) -> None:
    """The Inject button's callback: the fault the controls describe, for this session's requests alone."""
    kind = state["lab_fault_kind"]
    seconds = {"stall": state.get("lab_fault_seconds"), "silent": state.get("lab_fault_silent_seconds")}.get(kind)
    emulator_faults().add(Fault(
        kind,
        model_id=state.get("lab_model_id") if state.get("lab_fault_only_model", True) else None,
        count=int(state.get("lab_fault_count", 1)),
        after_tokens=int(state.get("lab_fault_after", 0)) if kind in DURING else 0,
        seconds=float(seconds or 0.0),
        exception=state.get("lab_fault_exception") or "modelStreamErrorException",
        session=session))


def _fault_controls() -> None:
    """Fault injection for this browser session's questions alone (its requests carry `lab_session_id`): another
    session, another presenter's audience or the HTTP API never gets them, and "Clear all" clears only these.
    The buttons act in callbacks, before the rerun they cause, so the list below already shows what they did."""
    session = state["lab_session_id"]
    book = emulator_faults()
    with st.expander("Fault injection (emulator)", icon=":material/bug_report:"):
        kind = st.selectbox("Fault", list(BEFORE) + list(DURING), key="lab_fault_kind",
                            format_func=lambda k: FAULT_TEXTS[k].name,
                            help="What goes wrong for the next questions of this browser session alone: the first "
                                 "faults strike before the answer starts, the ones named midway after some of it.")
        st.caption(FAULT_TEXTS[kind].effect)
        if kind in DURING:
            st.number_input("After output tokens", 0, 100_000, 20, key="lab_fault_after")
        if kind == "stall":
            st.number_input("Stall seconds", 0.0, 3600.0, 10.0, key="lab_fault_seconds")
        if kind == "silent":
            st.number_input("Silent seconds", 0.0, 3600.0, 0.0, key="lab_fault_silent_seconds",
                            help="0: silent until the app gives up waiting. Otherwise the stream ends after this "
                                 "long, without its final events.")
        if kind == "stream_error":
            st.selectbox("Exception event", list(STREAM_EXCEPTIONS), key="lab_fault_exception",
                         format_func=lambda e: f"{EXCEPTION_NAMES[e]} ({e})")
        st.number_input("For the next N requests", 1, 1000, 1, key="lab_fault_count")
        st.checkbox("Only for the selected model", value=True, key="lab_fault_only_model")
        left, right = st.columns(2)
        left.button("Inject", key="lab_fault_inject", width="stretch", on_click=_inject_fault, args=(session,))
        right.button("Clear all", key="lab_fault_clear", width="stretch", on_click=book.clear, args=(session,),
                     help="Clears this session's faults; faults set on the emulator itself stay.")
        listed = st.container()
    # The page may ask a question that uses a fault up: the list is drawn after it has run.
    _after_page.append(lambda: _fault_list(listed, session))


def _fault_list(slot: DeltaGenerator, session: str) -> None:
    """This session's faults in words, with how many requests each has left, and a note on the global ones."""
    book = emulator_faults()
    names = {m.model_id: m.name for m in state.get("lab_models") or []}
    with slot:
        for fault in book.describe(session):
            model = names.get(fault["model_id"], fault["model_id"]) if fault["model_id"] else "any model"
            st.caption(f"{FAULT_TEXTS[fault['kind']].name} · {model} · {fault['count'] or '∞'} left")
        shared = sum(1 for fault in book.describe() if fault["session"] is None)
        if shared:
            st.caption(f"Also in effect for every session: {shared} fault{'s' if shared > 1 else ''} set on the "
                       "emulator itself (its control endpoint).")


def _lifecycle_notice(model: ModelInfo) -> None:
    """Say so when the chosen model is Legacy, with its end-of-life date and what replaces it."""
    if model.lifecycle != "legacy":
        return
    spec, replacement = model.model.spec, model.model.replacement
    ends = f" It reaches end of life on {spec.eol_date}." if spec and spec.eol_date else ""
    instead = f" Plan a move to {replacement.name}." if replacement else ""
    st.warning(f"**{model.name} is Legacy.**{ends}{instead}", icon=":material/schedule:")


def _api_caption() -> None:
    api = api_base_url(st.context.url, st.get_option("server.port"))
    st.caption(f"HTTP streaming API ({default_backend()} backend): [`{api}`]({api}/) · [demo]({api}/demo) · "
               f"[OpenAPI]({api}/openapi.json)")


def _team_controls() -> str:
    """Who this session's runs are recorded as, for a history shared by a team, and the OpenTelemetry export."""
    with st.expander("Team", icon=":material/group:", expanded=False):
        name = st.text_input("Your name", value=identity.default_user_name(), key="lab_user_name",
                             max_chars=identity.MAX_NAME_CHARS,
                             help="Runs and conversations are recorded under this name, so a shared history's "
                                  "Monitor can filter by person. Your conversations are private to this name "
                                  "unless you share them.")
        _telemetry_controls()
    return identity.clean_name(name) or identity.default_user_name()


def _telemetry_controls() -> None:
    """The OpenTelemetry export switch. It is the app's, not the session's: the widgets show how it stands now and
    change it only when the user changes them."""
    now = telemetry.status()
    state["lab_otel"] = now.enabled
    state.setdefault("lab_otel_endpoint", now.endpoint.removesuffix("/v1/traces") if now.endpoint else
                     "http://127.0.0.1:4318")
    state["lab_otel_content"] = now.capture_content if now.enabled else state.get("lab_otel_content", False)
    st.toggle("Export runs to OpenTelemetry", key="lab_otel", on_change=_apply_telemetry,
              help="Every run becomes a span and GenAI metrics, sent over OTLP/HTTP to your collector (for every "
                   "session of this app). A collector that is down never slows a run.")
    st.text_input("OTLP/HTTP endpoint", key="lab_otel_endpoint", on_change=_apply_telemetry)
    st.checkbox("Include prompts and answers", key="lab_otel_content", on_change=_apply_telemetry,
                help="Off: only figures, model ids and token counts leave the app.")
    if state.get("lab_otel_problem"):  # this session's last attempt, until one works or export is turned off
        st.error(state["lab_otel_problem"], icon=":material/error:")
    if now.enabled:
        st.caption(f"{now.spans_exported:,} runs sent · {now.spans_dropped:,} dropped")
        if now.problem:
            st.warning(now.problem, icon=":material/cloud_off:")
    elif now.problem:
        st.caption(now.problem)


def _apply_telemetry() -> None:
    state["lab_otel_problem"] = None
    if not state.get("lab_otel"):
        telemetry.disable()
        return
    try:
        telemetry.enable(str(state.get("lab_otel_endpoint", "")), capture_content=bool(state.get("lab_otel_content")))
    except telemetry.TelemetryEndpointError as problem:
        state["lab_otel_problem"] = str(problem)


def _sidebar() -> LabSettings | None:
    """The shared sidebar; returns the settings the pages use (None when no model is available)."""
    with st.sidebar:
        st.markdown("### Bedrock Streaming Lab")
        choice = st.segmented_control("Backend", ["Emulator", "AWS"], key="lab_backend", width="stretch")
        in_use = st.container()  # what answers, when it is not what the switch shows
        backend, region, profile = "emulator", None, None
        if choice == "AWS":
            backend, region, profile = _aws_sidebar(in_use)
        else:
            st.info("**Emulator backend.** Answers and latencies are emulated locally; no AWS account is used.",
                    icon=":material/science:")
        if backend == "emulator":
            st.caption(f"Emulator: `{shared_emulator().url}`")

        try:
            models = _models(backend, region, profile)
        except Exception as problem:  # noqa: BLE001 - shown to the user; the app keeps running
            failure = errors.classify(problem)
            st.error(f"Could not list the models. {failure.message}", icon=":material/error:")
            models = []
        state["lab_models"] = models  # the pages that let several models be picked (Compare) offer these
        settings: LabSettings | None = None
        if models:
            by_id = {m.model_id: m for m in models}
            preferred = preferred_index(models)
            wanted = state.get("lab_model_id")  # the choice so far; Streamlit resets it if the list lacks it
            model_id = st.selectbox(
                "Model", list(by_id), index=preferred, key="lab_model_id",
                format_func=lambda m: by_id[m].label + ("" if by_id[m].streaming else " (no streaming)"),
                help="Type to search. Models that cannot stream run in sync mode; Legacy models show their "
                     "end-of-life date, and models past it are not offered.")
            model = by_id[model_id]
            _lifecycle_notice(model)
            if wanted and wanted not in by_id:
                st.warning(f"The model {str(wanted)!r} is not offered by this backend"
                           f"{f' in {region}' if region else ''}; {model.name} is selected instead.",
                           icon=":material/swap_horiz:")
            api = st.segmented_control("API", api_options(model.model), key="lab_api", default="converse",
                                       format_func=api_label, width="stretch") or "converse"
            stream = st.toggle("Streaming", value=True, key="lab_stream", disabled=not model.streaming,
                               help=None if model.streaming else "This model does not stream; it answers in one piece.")
            with st.expander("Parameters", icon=":material/tune:", expanded=False):
                limit = output_limit(model)
                max_tokens = st.number_input("Max tokens", 1, limit, min(DEFAULT_MAX_TOKENS, limit),
                                             key=f"lab_max_tokens_{limit}")
                temperature, top_p = sampling_controls(model.model, "lab", api)
                effort = effort_control(model.model, "lab")
                stops = st.text_area("Stop sequences (one per line)", key="lab_stop", height=68)
                # how Bedrock serves the request: only what this model takes is offered
                tier, latency, cache = serving_controls(model.model, "lab", api)
            with st.expander("Connection", icon=":material/timer:", expanded=False):
                read_timeout_s = st.number_input(
                    "Read timeout (s)", *READ_TIMEOUT_RANGE_S, DEFAULT_READ_TIMEOUT_S, 5.0, key="lab_read_timeout_s",
                    help="The longest wait for the first or the next piece of an answer before it fails.")
                idle_timeout_s = st.number_input(
                    "Idle guard (s)", *IDLE_TIMEOUT_RANGE_S, DEFAULT_IDLE_TIMEOUT_S, 5.0, key="lab_idle_timeout_s",
                    help="Once an answer has started, this long without a byte ends it as a connection gone silent "
                         "(a half-open connection), with the text so far kept. 0 turns the guard off.")
                max_attempts = st.number_input(
                    "Attempts", *MAX_ATTEMPTS_RANGE, DEFAULT_MAX_ATTEMPTS, key="lab_max_attempts",
                    help="Total attempts, counting the first. Throttling and service errors are retried before an "
                         "answer starts; a request that timed out or broke is never repeated silently (it is billed).")
            user_name = _team_controls()
            reason = system_prompt_support(model_id, api)
            system = st.text_area("System prompt", key="lab_system", height=100, disabled=reason is not None,
                                  help=reason, placeholder="You are a concise assistant.")
            if reason:
                st.caption(reason)
            settings = LabSettings(backend, region, profile, model, api, bool(stream),
                                   "" if reason else system, int(max_tokens), temperature, top_p,
                                   parse_stop_sequences(stops), float(read_timeout_s), int(max_attempts), effort,
                                   float(idle_timeout_s) or None, service_tier=tier,
                                   latency=latency, cache=cache, user_name=user_name)
        if backend == "emulator":
            _fault_controls()
        _api_caption()
    return settings


if __name__ == "__main__":  # a script run for one browser session (or AppTest)
    st.set_page_config(page_title="Bedrock Streaming Lab", page_icon=str(ICON), layout="wide")
    state.setdefault("lab_session_id", uuid.uuid4().hex)
    state.setdefault("lab_backend", "AWS" if default_backend() == "aws" else "Emulator")
    state["lab_settings"] = _sidebar()
    # Answers streamed for this session end whatever page is open: the ones that have are put where their page
    # shows them before any page draws (core.answers).
    state.setdefault("lab_flights", Flights())
    state["lab_flights"].settle()
    keep_widget_state()  # a page's choices survive a visit to another page

    page = st.navigation([
        st.Page("pages/chat.py", title="Chat", icon=":material/chat:", default=True),
        st.Page("pages/compare.py", title="Compare", icon=":material/compare_arrows:"),
        st.Page("pages/monitor.py", title="Monitor", icon=":material/monitoring:"),
        st.Page("pages/models.py", title="Models", icon=":material/list:"),
    ])
    settings = state["lab_settings"]
    if settings is not None and settings.backend == "emulator" and page.title != "Chat":
        st.caption(EMULATED_LINE)  # seen without the sidebar (a phone hides it); Chat's first screen says more
    try:
        page.run()
    finally:  # also when the page stops early (st.stop, st.rerun)
        for draw in _after_page:
            draw()
else:  # imported by `streamlit run`, once per process: the UI and the API on one server
    from streamlit.runtime.pages_manager import PagesManager

    # Seeing a `pages/` folder, Streamlit starts in its old folder-based multipage mode until a script calls
    # st.navigation, so the first visit after a start to a page's URL (a reload on /monitor) would run that
    # page alone, without this file's sidebar. This app always navigates with st.navigation.
    PagesManager.uses_pages_directory = False
    # Every session's streamed text leaves through one event-loop thread, which must take the GIL back
    # after each socket write while script threads and the emulator compute. At Python's default 5 ms
    # switch interval that wait put up to ~480 ms (p99) between a first token and its websocket write
    # under 20 sessions; at 1 ms, ~150 ms (bench/load_sessions.py, docs/reliability.md).
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    app = st.App("streamlit_app.py", routes=api_routes(ApiSettings.from_environment()))
