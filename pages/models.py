"""Models: what the backend offers, as ListFoundationModels reports it."""

from __future__ import annotations

import streamlit as st

from core import format as fmt
from core.catalog import PRICE_TABLE_DATE, list_text_models, models_frame
from core.client import make_client

st.title("Models")
st.caption("Text models listed by the backend's ListFoundationModels, the same call on the emulator and on AWS.")

settings = st.session_state.get("lab_settings")
try:
    models = list_text_models(make_client("bedrock", settings.backend if settings else "emulator",
                                          region=settings.region if settings else None,
                                          profile=settings.profile if settings else None))
except Exception as problem:  # noqa: BLE001 - shown to the user, with its type for the curious
    st.error(f"Could not list the models: {problem}", icon=":material/error:")
    st.stop()

providers = sorted({m.provider for m in models})
left, right = st.columns([2, 3])
chosen = left.multiselect("Provider", providers, placeholder="All providers", key="models_providers")
search = right.text_input("Search", placeholder="name or model ID", key="models_search").strip().lower()
shown = [m for m in models
         if (not chosen or m.provider in chosen) and (not search or search in f"{m.name} {m.model_id}".lower())]

st.caption(f"{len(shown)} of {len(models)} models · {sum(m.streaming for m in shown)} stream · "
           f"{sum(m.needs_inference_profile for m in shown)} need an inference profile (us., eu., apac., global.)")
# each number column explains itself on hover, in the words every page uses; numbers line up on the right
explained = {fmt.label(key): st.column_config.TextColumn(help=fmt.help_text(key), alignment="right")
             for key in ("context_tokens", "max_output_tokens", "price_input", "price_output")}
st.dataframe(models_frame(shown), hide_index=True, width="stretch",
             column_config={"Model": st.column_config.TextColumn(help="The model's name on every page."),
                            "Model ID": st.column_config.TextColumn(help="What a request sends as modelId."),
                            "Streaming": st.column_config.CheckboxColumn("Streaming", width="small"),
                            **explained})
st.caption(f"Prices are estimates: public on-demand list prices per 1M tokens (us-east-1, regional profiles) as of "
           f"{PRICE_TABLE_DATE}; `global.` profiles are priced apart. Your account's prices may differ. Legacy models "
           "show their end-of-life date; models that reached it are not listed.")
