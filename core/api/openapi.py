"""The OpenAPI 3.1 description of the API, written by hand next to the code it describes."""

from __future__ import annotations

from typing import Any

from ..catalog import EFFORT_LEVELS, default_model_id, table
from ..settings import DEFAULT_MAX_TOKENS
from ..types import CACHE_TTLS, LATENCIES, SERVICE_TIERS
from ..validation import MAX_STOP_SEQUENCES, TOP_P_RANGE

_WIDEST_TEMPERATURE = max(family.temperature_max for family in table().families.values())

_ERROR = {
    "type": "object", "required": ["error", "field"],
    "properties": {
        "error": {"type": "string", "description": "What went wrong and what to do, in plain words."},
        "field": {"type": ["string", "null"], "description": "The request field at fault (`messages[2].role`), "
                  "`body` for the body itself, `query` for the query string, the header at fault for a refused "
                  "request (`Origin`, `Sec-Fetch-Site`, `Content-Type`), null for upstream failures."},
        "code": {"type": "string", "description": "`BadRequest`, `CrossSiteRequest` (403), `UnsupportedMediaType` "
                 "(415), `ServerShutdown` (503), or Bedrock's error code (`ThrottlingException`, "
                 "`AccessDeniedException`, `modelStreamErrorException`, ...)."},
    },
}
_METRICS = {
    "type": "object",
    "description": "The run's record (see the project's metric definitions): times in ms from just before the "
                   "SDK call, tokens as reported by Bedrock (`tokens_source`), cost an estimate at the list "
                   "prices of `cost_estimate_date`. A value that cannot be known is null.",
    "properties": {
        "run_id": {"type": "string"}, "started_utc": {"type": "string"}, "model_id": {"type": "string"},
        "provider": {"type": "string"}, "api": {"enum": ["converse", "invoke", "openai"]},
        "mode": {"enum": ["stream", "sync"]}, "backend": {"type": "string"},
        "region": {"type": ["string", "null"]}, "status": {"enum": ["ok", "error", "cancelled"]},
        "ttft_ms": {"type": ["number", "null"], "description": "Time to the first answer text."},
        "first_event_ms": {"type": ["number", "null"]},
        "e2e_ms": {"type": ["number", "null"], "description": "Time to the end of the stream."},
        "tokens_per_s": {"type": ["number", "null"], "description": "output_tokens / (E2E - TTFT)."},
        "tpot_ms": {"type": ["number", "null"]}, "gap_count": {"type": "integer"},
        "gap_p50_ms": {"type": ["number", "null"]}, "gap_p90_ms": {"type": ["number", "null"]},
        "gap_max_ms": {"type": ["number", "null"]}, "input_tokens": {"type": ["integer", "null"]},
        "output_tokens": {"type": ["integer", "null"]}, "tokens_source": {"enum": ["reported", "estimated", None]},
        "server_first_byte_ms": {"type": ["number", "null"]}, "server_latency_ms": {"type": ["number", "null"]},
        "stop_reason": {"type": ["string", "null"]}, "attempts": {"type": "integer"},
        "error_code": {"type": ["string", "null"]}, "cost_usd": {"type": ["number", "null"]},
        "cost_estimate_date": {"type": "string"}, "notes": {"type": "array", "items": {"type": "string"}},
    },
}
_SHOWN = {
    "type": "array", "description": "The run's main figures as the app's pages say them, for a frontend that "
    "shows the lab's words and number format: only the known ones, in order (time to first token, or to the first "
    "answer token after reasoning; first reasoning; end-to-end time; decode rate; output tokens; cost).",
    "items": {"type": "object", "required": ["key", "name", "short", "help", "value"], "properties": {
        "key": {"type": "string", "description": "`ttft`, `first_answer_token`, `first_reasoning`, `e2e`, "
                "`decode_rate`, `output_tokens` or `cost`."},
        "name": {"type": "string", "description": "\"Time to first token\""},
        "short": {"type": "string", "description": "\"TTFT\""},
        "help": {"type": "string", "description": "One sentence on what it means, for a tooltip."},
        "value": {"type": "string", "description": "With its unit and thousands separators: \"1,234 ms\"."}}},
}
_TEXT_BLOCK = {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}
_CONTENT = {"oneOf": [{"type": "string"}, {"type": "array", "items": _TEXT_BLOCK}],
            "description": "The text, or Converse-style blocks [{\"text\": ...}] that are joined."}
_GENERATE = {
    "type": "object", "additionalProperties": False, "required": ["model_id"],
    "description": "Give `prompt` or `messages` (not both).",
    "properties": {
        "prompt": {"type": ["string", "null"], "description": "One user turn."},
        "messages": {"type": ["array", "null"], "description": "A conversation starting with the user, "
                     "alternating roles, ending with the user's turn.",
                     "items": {"type": "object", "required": ["role", "content"],
                               "properties": {"role": {"enum": ["user", "assistant"]}, "content": _CONTENT}}},
        "model_id": {"type": "string", "description": "An id from GET /api/models (`model_id`), an inference "
                     "profile id or an ARN.", "examples": [default_model_id("api")]},
        "system": {"type": ["string", "null"], "description": "System prompt; folded into the first message "
                   "(with a note in `metrics.notes`) for models that take none."},
        "temperature": {"type": ["number", "null"], "minimum": 0, "maximum": _WIDEST_TEMPERATURE,
                        "description": "Null: the model's default. The range is the model's: 0 to 1 through "
                        "Converse; through InvokeModel 0 to its family's `temperature_max` (GET /api/models), "
                        "the same bounds the CLI and the app's pages use."},
        "top_p": {"type": ["number", "null"], "minimum": TOP_P_RANGE[0], "maximum": TOP_P_RANGE[1],
                  "description": "Models that take temperature or top_p (not both) get temperature when both are "
                  "set; models that take neither get neither. What was left out is said in `metrics.notes`."},
        "effort": {"enum": [*EFFORT_LEVELS, None], "default": None, "description": "Reasoning effort, sent in "
                   "the model's own field (Claude thinking, Nova 2 reasoningConfig, gpt-oss reasoning_effort, "
                   "GPT-5.6 reasoning.effort); null: the model's default. GET /api/models lists each model's "
                   "`efforts`."},
        "service_tier": {"enum": [*SERVICE_TIERS, None], "default": None, "description": "The service tier to ask "
                         "for (null: Bedrock's default); `metrics.service_tier_served` says which one served it. "
                         "GET /api/models lists each model's `tiers`."},
        "latency": {"enum": [*LATENCIES, None], "default": None, "description": "optimized: latency-optimized "
                    "inference where the model has it; `metrics.latency_served` says what served it."},
        "cache": {"description": "Prompt-cache points after the system prompt and the conversation: true (a 5-minute "
                  "cache), or {\"ttl\": \"5m\"|\"1h\", \"system\": bool, \"conversation\": bool}; "
                  "`metrics.cache_read_tokens` / `cache_write_tokens` say what it did.",
                  "oneOf": [{"type": ["boolean", "null"]}, {"type": "object", "properties": {
                      "ttl": {"enum": list(CACHE_TTLS)}, "system": {"type": "boolean"},
                      "conversation": {"type": "boolean"}}, "additionalProperties": False}]},
        "max_tokens": {"type": "integer", "minimum": 1, "default": DEFAULT_MAX_TOKENS,
                       "description": "At most the model's `max_output_tokens` (the default is capped by it)."},
        "stop_sequences": {"type": "array", "items": {"type": "string", "minLength": 1},
                           "maxItems": MAX_STOP_SEQUENCES},
        "stream": {"type": "boolean", "default": True, "description": "true: Server-Sent Events; false: one "
                   "JSON answer. Models that cannot stream answer in one piece either way (`metrics.mode` sync)."},
        "api": {"enum": ["converse", "invoke", "openai"], "default": "converse",
                "description": "Bedrock's Converse(Stream), InvokeModel(WithResponseStream), or its OpenAI-compatible "
                               "Chat Completions route (/openai/v1/chat/completions; the open-weight models)."},
    },
}
_SSE = (
    "A stream of Server-Sent Events, each with `id:` (1, 2, 3, ...), `event:` and one `data:` line of JSON:\n\n"
    "- `event: text` `data: {\"text\": \"...\"}`: the next piece of the answer (pieces are coalesced, at most "
    "about 20 a second);\n"
    "- `event: done` `data: {\"done\": true, \"metrics\": {...}, \"shown\": [...]}`: the answer is complete "
    "(last event);\n"
    "- `event: error` `data: {\"error\": \"...\", \"code\": \"...\", \"partial\": true, \"status\": 502, "
    "\"metrics\": {...}, \"shown\": [...]}`: the stream broke after some text (last event; the text so far is all "
    "there is).\n\n"
    "`shown` lists the main figures as the app's pages say them (the `Shown` schema).\n\n"
    "A failure before any text is an HTTP error instead (429, 403, 400, 502, 504). Closing the connection "
    "cancels the run (recorded as cancelled); so does stopping the app, which ends open streams with an `error` "
    "event (`ServerShutdown`, 503). Streams are not resumed: a request carrying `Last-Event-ID` "
    "(EventSource reconnecting) gets 204, which tells EventSource to stop."
)
_DOOR = (
    "Runs only for callers another web site cannot impersonate: the app's own pages, pages on this machine "
    "(`http://localhost`, `127.0.0.1` or `[::1]`, any port), the origins listed in the app's "
    "`BEDROCK_LAB_API_ORIGINS` environment variable (comma-separated, e.g. `https://lab.example.com`), and "
    "clients that are no browser (no `Origin` or `Sec-Fetch-Site` header: curl, scripts). A request another "
    "site's page made a browser send (a form, an image, a link, fetch or EventSource) gets 403 "
    "`CrossSiteRequest` and runs nothing."
)


def _errors(*codes: int) -> dict[str, Any]:
    words = {400: "Bad input (with the field), or Bedrock refused the request as sent",
             403: "A request from another web site (`CrossSiteRequest`, nothing was run), no access to the model, "
                  "or no usable AWS credentials",
             415: "The body was not sent as `Content-Type: application/json` (UTF-8)", 429: "Bedrock is throttling",
             502: "Bedrock, the model or the connection to it failed", 503: "The app is shutting down",
             504: "The model took too long"}
    return {str(code): {"description": words[code],
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            for code in codes}


def openapi_schema(server_url: str) -> dict[str, Any]:
    """The description, with the API's own address as its server."""
    answer = {"type": "object", "properties": {"text": {"type": "string"}, "model_id": {"type": "string"},
                                               "metrics": {"$ref": "#/components/schemas/Metrics"}}}
    generated = {
        "200": {"description": "`stream: true`: " + _SSE + "\n\n`stream: false`: the whole answer.",
                "headers": {"Cache-Control": {"schema": {"const": "no-cache"}},
                            "X-Accel-Buffering": {"schema": {"const": "no"}}},
                "content": {"text/event-stream": {"schema": {"type": "string"}},
                            "application/json": {"schema": answer}}},
        "204": {"description": "The request carried Last-Event-ID: streams are not resumed."},
        **_errors(400, 403, 429, 502, 503, 504),
    }
    posted = {**generated, **_errors(415)}
    query = [{"name": name, "in": "query", "required": name in ("model_id", "prompt"),
              "schema": _GENERATE["properties"][name]}  # type: ignore[index]
             for name in ("prompt", "model_id", "system", "temperature", "top_p", "max_tokens", "stream", "api")]
    return {
        "openapi": "3.1.0",
        "info": {"title": "Bedrock Streaming Lab API", "version": "1",
                 "description": "Streaming text generation on Bedrock (or the lab's emulator), served beside the "
                                "Streamlit app. Every run is recorded in the app's history (session `api`)."},
        "servers": [{"url": server_url}],
        "paths": {
            "/generate": {
                "post": {"summary": "Generate an answer, streamed as Server-Sent Events or as one JSON answer",
                         "operationId": "generate", "description": _DOOR + " The body must be sent as "
                         "`Content-Type: application/json` (UTF-8), or it gets 415.",
                         "requestBody": {"required": True,
                                         "content": {"application/json": {"schema": _GENERATE}}},
                         "responses": posted},
                "get": {"summary": "Stream an answer to a prompt (for EventSource, which can only GET)",
                        "operationId": "generateFromQuery", "description": _DOOR + " Query values are "
                        "percent-encoded UTF-8: a broken escape or other bytes get 400 naming the parameter.",
                        "parameters": query, "responses": generated},
            },
            "/models": {"get": {"summary": "The models this backend offers, with streaming support and prices",
                                "operationId": "listModels", "responses": {
                                    "200": {"description": "Models, sorted by provider and name",
                                            "content": {"application/json": {"schema": {"type": "object"}}}},
                                    **_errors(403, 502)}}},
            "/health": {"get": {"summary": "The backend the API runs on", "operationId": "health",
                                "responses": {"200": {"description": "ok",
                                                      "content": {"application/json": {"schema": {
                                                          "type": "object"}}}}}}},
            "/demo": {"get": {"summary": "A reference page that consumes the stream", "operationId": "demo",
                              "responses": {"200": {"description": "HTML",
                                                    "content": {"text/html": {"schema": {"type": "string"}}}}}}},
            "/openapi.json": {"get": {"summary": "This description", "operationId": "openapi",
                                      "responses": {"200": {"description": "OpenAPI 3.1",
                                                            "content": {"application/json": {"schema": {
                                                                "type": "object"}}}}}}},
        },
        "components": {"schemas": {"Error": _ERROR, "Metrics": _METRICS, "Shown": _SHOWN,
                                   "GenerateRequest": _GENERATE}},
    }
