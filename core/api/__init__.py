"""The HTTP streaming API served beside the app: Server-Sent Events for teams wiring their own frontend.

`streamlit run streamlit_app.py` serves it on the app's own port under `/api` (see `api_routes`):

    GET  /api/              an index of these endpoints, with links
    POST /api/generate      run a prompt or a conversation; `stream: true` answers as Server-Sent Events
    GET  /api/generate      the same with query parameters (a prompt only), for the browser's EventSource
    GET  /api/models        the backend's models with provider, streaming support and dated prices
    GET  /api/health        the backend the API runs on
    GET  /api/openapi.json  the OpenAPI description of all this
    GET  /api/demo          a small page that consumes the stream: the reference for a frontend

    curl -N localhost:8501/api/generate -H 'content-type: application/json' \\
        -d '{"model_id": "amazon.nova-micro-v1:0", "prompt": "Why stream?"}'

A stream is `text` events (`data: {"text": "..."}`, coalesced as on the chat page), then one `done`
event with the run's metrics, or one `error` event (`partial: true`) if it broke mid-way. Both also carry
`shown`: the main figures as the app's pages say them ("Time to first token", "1,234 ms"). Every
request that runs is recorded in the history, with session_id "api"; a client that hangs up, streamed
or waiting for its JSON answer, cancels the run (and the Bedrock stream, if there is one), and the run
is recorded as cancelled.

Only callers another web site cannot impersonate run models (`app.RequestGuard`): the app's own pages,
pages on this machine (localhost, 127.0.0.1 or [::1], any port), the origins `BEDROCK_LAB_API_ORIGINS`
lists (comma-separated, e.g. `https://lab.example.com`) and clients that are no browser (curl, scripts).
A request another site's page made the browser send gets 403 `CrossSiteRequest`; a POST that is not
`Content-Type: application/json` gets 415. A body or query the usual readers would crash on or change
(deep nesting, huge numbers, bytes that are not UTF-8, broken escapes) gets 400 naming the field.
"""

from .app import ApiSettings, api_base_url, api_routes, create_api, metrics_of, sse_event, status_for
from .params import BadRequest, Generate, parse_generate

__all__ = ["ApiSettings", "BadRequest", "Generate", "api_base_url", "api_routes", "create_api", "metrics_of",
           "parse_generate", "sse_event", "status_for"]
