"""The HTTP streaming API served beside the app: Server-Sent Events for teams wiring their own frontend.

`streamlit run streamlit_app.py` serves it on the app's own port under `/api` (see `api_routes`):

    POST /api/generate      run a prompt or a conversation; `stream: true` answers as Server-Sent Events
    GET  /api/generate      the same with query parameters (a prompt only), for the browser's EventSource
    GET  /api/models        the backend's models with provider, streaming support and dated prices
    GET  /api/health        the backend the API runs on
    GET  /api/openapi.json  the OpenAPI description of all this
    GET  /api/demo          a small page that consumes the stream: the reference for a frontend

    curl -N localhost:8501/api/generate -H 'content-type: application/json' \\
        -d '{"model_id": "amazon.nova-micro-v1:0", "prompt": "Why stream?"}'

A stream is `text` events (`data: {"text": "..."}`, coalesced as on the chat page), then one `done`
event with the run's metrics, or one `error` event (`partial: true`) if it broke mid-way. Every
request that runs is recorded in the history, with session_id "api"; a client that hangs up cancels
the Bedrock stream and the run is recorded as cancelled.
"""

from .app import ApiSettings, api_base_url, api_routes, create_api, metrics_of, sse_event, status_for
from .params import BadRequest, Generate, parse_generate

__all__ = ["ApiSettings", "BadRequest", "Generate", "api_base_url", "api_routes", "create_api", "metrics_of",
           "parse_generate", "sse_event", "status_for"]
