"""A run's call as Python to copy: the same operation, model id, body and headers, sent with boto3.

    >>> print(boto3_snippet(record))    # sends the record's request again and prints the answer as it streams

The snippet holds no credentials and no endpoint: boto3 finds them the usual way (the credential chain, and
AWS_ENDPOINT_URL_BEDROCK_RUNTIME, which is how it is pointed at the lab's emulator). The body is the record's as
sent, written as a Python value that `json.dumps` turns back into the very same text.
"""

from __future__ import annotations

import json
from typing import Any

from . import catalog
from .client import CHAT_COMPLETIONS_PATH, EMULATOR_REGION
from .streaming import INVOKE_HEADERS, request_headers
from .types import RunRecord

INDENT = "    "

# The answer text in one InvokeModelWithResponseStream chunk, per family: the body of `text_of(chunk)`. Written
# here from each family's documented chunk shape, as the provider modules read it (reasoning is left out where
# it has fields of its own; where it comes in tags inside the text, the tags are printed as the model sent them).
_CHOICE = 'choice = (chunk.get("choices") or [{}])[0]\n'
_CHUNK_TEXT = {
    "anthropic-messages": 'delta = chunk.get("delta") or {}\n'
                          'return delta.get("text", "") if delta.get("type") == "text_delta" else ""',
    "anthropic-text": 'return chunk.get("completion") or ""',
    "titan-text": 'return chunk.get("outputText") or ""',
    "nova": 'return ((chunk.get("contentBlockDelta") or {}).get("delta") or {}).get("text") or ""',
    "llama2": 'return chunk.get("generation") or ""',
    "llama3": 'return chunk.get("generation") or ""',
    "mistral-chat": _CHOICE + 'content = (choice.get("delta") or choice.get("message") or {}).get("content") or ""\n'
                              'if isinstance(content, list):  # text and thinking pieces\n'
                              '    return "".join(p.get("text", "") for p in content if p.get("type") == "text")\n'
                              'return content',
    "mistral-prompt": 'return (chunk.get("outputs") or [{}])[0].get("text") or ""',
    "cohere-r": 'return chunk.get("text", "") if chunk.get("event_type") == "text-generation" else ""',
    "cohere-command": 'return chunk.get("text") or (chunk.get("generations") or [{}])[0].get("text") or ""',
    "jamba": _CHOICE + 'return (choice.get("delta") or {}).get("content") or ""',
    "openai-chat": _CHOICE + 'return (choice.get("delta") or {}).get("content") or ""',
    "openai-reasoning": _CHOICE + 'return (choice.get("delta") or {}).get("content") or ""',
    "deepseek": _CHOICE + 'return choice.get("text") or ""',
}
_ANY_TEXT = 'return json.dumps(chunk) + "\\n"  # this family\'s chunk shape is not known here: the whole chunk'


def operation_name(record: RunRecord) -> str:
    """The operation the run called, as AWS names it: "ConverseStream", "InvokeModel", ..."""
    stream = record.mode == "stream"
    if record.api == "converse":
        return "ConverseStream" if stream else "Converse"
    if record.api == "openai":
        return f"Chat Completions{', streamed' if stream else ''} (POST {CHAT_COMPLETIONS_PATH})"
    return "InvokeModelWithResponseStream" if stream else "InvokeModel"


def pretty_body(record: RunRecord) -> str:
    """The body as sent, indented (`{}` when nothing was sent: the lab refused the request before any call)."""
    if not record.request_json:
        return "{}"
    text = json.dumps(json.loads(record.request_json), indent=2, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, sent as a JSON escape: the page can show only the escape
        return json.dumps(json.loads(record.request_json), indent=2)
    return text


def boto3_snippet(record: RunRecord) -> str:
    """Python that makes the record's call again, with the same body and headers, and prints the answer."""
    sent = json.loads(record.request_json) if record.request_json else {}
    lines = _heading(record)
    if record.api == "openai":
        lines += _route(record, sent)
    elif record.api == "converse":
        lines += _converse(record, sent)
    else:
        lines += _invoke(record, sent)
    return "\n".join(lines) + "\n"


def _heading(record: RunRecord) -> list[str]:
    where = "to its emulator (the answer is emulated)" if record.backend == "emulator" else "to Amazon Bedrock"
    lines = [f"# {operation_name(record)} on {record.model_id},",
             f"# as the Bedrock Streaming Lab sent it {where}.",
             "# boto3 finds your credentials the usual way (a profile, or AWS_ACCESS_KEY_ID and",
             "# AWS_SECRET_ACCESS_KEY): none are written here. To send it to the lab's emulator, set",
             "# AWS_ENDPOINT_URL_BEDROCK_RUNTIME to its URL (the sidebar shows it), with any dummy keys."]
    if not record.request_json:
        lines.append("# The lab refused this request before sending it (see the answer's error): nothing was sent.")
    return lines


def _client_line(record: RunRecord, name: str = "client") -> str:
    region = record.region or (EMULATOR_REGION if record.backend == "emulator" else None)
    if region is None:
        return f'{name} = boto3.client("bedrock-runtime")  # the region of your AWS configuration'
    return f'{name} = boto3.client("bedrock-runtime", region_name={_literal(region)})'


def _invoke(record: RunRecord, body: Any) -> list[str]:
    stream = record.mode == "stream"
    method = "invoke_model_with_response_stream" if stream else "invoke_model"
    by_header = {header: name for name, header in INVOKE_HEADERS.items()}
    serving = [f"{INDENT}{by_header[header]}={_literal(value)},  # sent as the {header} header"
               for header, value in request_headers(record).items()]
    lines = ["import json", "", "import boto3", "", _client_line(record), f"body = {_literal(body)}",
             f"response = client.{method}(", f"{INDENT}modelId={_literal(record.model_id)},",
             f"{INDENT}body=json.dumps(body),", f'{INDENT}contentType="application/json",',
             f'{INDENT}accept="application/json",', *serving, ")"]
    if not stream:
        return [*lines, 'print(json.dumps(json.loads(response["body"].read()), indent=2))']
    try:
        family = catalog.resolve(record.model_id).family
    except catalog.UnknownModelError:
        family = None
    text_of = _CHUNK_TEXT.get(family.name, _ANY_TEXT) if family is not None else _ANY_TEXT
    return [*lines, "", "", "def text_of(chunk):", f'{INDENT}"""The answer text in one chunk of the stream."""',
            *(INDENT + line for line in text_of.splitlines()), "", "",
            'for event in response["body"]:  # an error event in the stream raises here',
            f'{INDENT}if "chunk" in event:',
            f'{INDENT * 2}print(text_of(json.loads(event["chunk"]["bytes"])), end="", flush=True)', "print()"]


def _converse(record: RunRecord, request: Any) -> list[str]:
    lines = ["import boto3", "", _client_line(record), f"request = {_literal(request)}"]
    if record.mode == "sync":
        return [*lines, f"response = client.converse(modelId={_literal(record.model_id)}, **request)",
                'for block in response["output"]["message"]["content"]:',
                f'{INDENT}print(block.get("text", ""), end="")  # reasoning comes in blocks of its own', "print()"]
    return [*lines, f"response = client.converse_stream(modelId={_literal(record.model_id)}, **request)",
            'for event in response["stream"]:  # an error event in the stream raises here',
            f'{INDENT}delta = event.get("contentBlockDelta", {{}}).get("delta", {{}})',
            f'{INDENT}print(delta.get("text", ""), end="", flush=True)  # reasoning comes as reasoningContent',
            "print()"]


def _route(record: RunRecord, body: Any) -> list[str]:
    """Bedrock's OpenAI-compatible route, signed with SigV4 for `bedrock` as the lab signs it."""
    stream = record.mode == "stream"
    region = record.region or (EMULATOR_REGION if record.backend == "emulator" else None)
    session = f"boto3.Session(region_name={_literal(region)})" if region else "boto3.Session()"
    accept = "text/event-stream" if stream else "application/json"
    lines = ["import json", "import urllib.request", "", "import boto3", "from botocore.auth import SigV4Auth",
             "from botocore.awsrequest import AWSRequest", "", f"session = {session}",
             "# Served beside bedrock-runtime, at its endpoint (AWS_ENDPOINT_URL_BEDROCK_RUNTIME counts).",
             f'url = session.client("bedrock-runtime").meta.endpoint_url.rstrip("/") + "{CHAT_COMPLETIONS_PATH}"',
             f"body = {_literal(body)}", "data = json.dumps(body).encode()",
             f'headers = {{"Content-Type": "application/json", "Accept": "{accept}"}}',
             "# Signed as the lab signs it; with a Bedrock API key, send \"Authorization: Bearer <key>\" instead.",
             'signed = AWSRequest(method="POST", url=url, data=data, headers=headers)',
             'SigV4Auth(session.get_credentials().get_frozen_credentials(), "bedrock", session.region_name)'
             '.add_auth(signed)',
             'request = urllib.request.Request(url, data=data, headers=dict(signed.headers.items()), method="POST")',
             "with urllib.request.urlopen(request) as response:"]
    if not stream:
        return [*lines, f'{INDENT}answer = json.loads(response.read())',
                f'{INDENT}print(answer["choices"][0]["message"]["content"])']
    return [*lines, f"{INDENT}for line in response:  # Server-Sent Events: data: <chunk> lines, then data: [DONE]",
            f"{INDENT * 2}line = line.strip()",
            f'{INDENT * 2}if not line.startswith(b"data:"):', f"{INDENT * 3}continue",
            f'{INDENT * 2}if line[5:].strip() == b"[DONE]":', f"{INDENT * 3}break",
            f"{INDENT * 2}chunk = json.loads(line[5:])",
            f'{INDENT * 2}if "error" in chunk:  # an error in the middle of the stream',
            f'{INDENT * 3}raise RuntimeError(chunk["error"])',
            f'{INDENT * 2}for choice in chunk.get("choices", []):',
            f'{INDENT * 3}print((choice.get("delta") or {{}}).get("content") or "", end="", flush=True)',
            "print()"]


def _literal(value: Any, depth: int = 0) -> str:
    """A JSON value as Python source that reads like the JSON (double quotes, the same layout as indent 4)."""
    pad, inner = INDENT * depth, INDENT * (depth + 1)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{inner}{_literal(k)}: {_literal(v, depth + 1)}," for k, v in value.items()]
        return "{\n" + "\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list):
        if not value:
            return "[]"
        return "[\n" + "\n".join(f"{inner}{_literal(v, depth + 1)}," for v in value) + f"\n{pad}]"
    if isinstance(value, str):
        # A JSON string is a Python string of the same value, except where it holds a lone surrogate.
        return repr(value) if any("\ud800" <= c <= "\udfff" for c in value) else json.dumps(value, ensure_ascii=False)
    if isinstance(value, float) and value != value or value in (float("inf"), float("-inf")):
        return f'float("{value}")'  # json.loads takes NaN and Infinity, which Python spells so
    return repr(value)  # True, False, None, int, float: Python's own spelling
