"""Hostile and odd input shared by the CLI, chat page, HTTP API and browser tests.

Each surface runs every case that it can receive (a browser cannot send a lone surrogate; the chat page's
widgets cannot hold a temperature of 5) and checks the words its user sees and that nothing is lost. Model
output that a test wants to control comes from the emulator's echo endpoint (`/_emulator/echo`).
"""

from __future__ import annotations

from core import catalog

from . import models


def _on_demand_streaming() -> list[catalog.Model]:
    """Active models of the table that are called by their own id and stream over InvokeModel."""
    return [m for m in catalog.listed_models() if m.lifecycle == "active" and m.spec and m.spec.on_demand
            and m.spec.streaming and m.family is not None and "invoke" in m.apis and m.context_tokens]


MODEL = models.CLAUDE  # the app's default chat model, as requests call it
BIG_MODEL = max(_on_demand_streaming(), key=lambda m: m.context_tokens or 0).ref  # a 1 MB prompt fits its window
_SMALL = min(_on_demand_streaming(), key=lambda m: m.context_tokens or 0)
SMALL_MODEL = _SMALL.ref  # the smallest window of the lineup; OVER_WINDOW does not fit it

EMPTY = ""
WHITESPACE = " \n\t \u3000 \r\n "
ONE_MB = ("word " * (1024 * 1024 // 5 + 1))[: 1024 * 1024]
OVER_WINDOW = "word " * ((_SMALL.context_tokens or 0) + 2000)  # 2,000 tokens more than SMALL_MODEL's window
CONTROL = "tab\there \x01\x02 bell\x07 esc \x1b[31mred\x1b[0m title \x1b]0;pwned\x07 del\x7f c1\x9b end"
NUL = "before\x00after"
RTL = "مرحبا بالعالم \u202eevil\u202c שלום עולם"
EMOJI_CJK = "👩‍👩‍👧‍👦 🚀 你好，世界 こんにちは 한국어 🇯🇵"
MARKDOWN = ("# Title\n\n**bold** _italic_ `code`\n\n```python\nprint('hi')\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
            "[a link](https://example.com) ![an image](https://example.com/x.png)")
HTML = ('<b>bold</b> <div style="position:fixed;inset:0;background:red">overlay</div> '
        '<iframe src="about:blank"></iframe>')
SCRIPT = "<script>window.__pwned = 'script'; alert('script')</script>"
IMG_ONERROR = "<img src=x onerror=\"window.__pwned = 'img'; alert('img')\">"
JS_LINK = ("[click me](javascript:window.__pwned='link';alert('link')) "
           "<a href=\"javascript:window.__pwned='a'\">or me</a>")
SVG_ONLOAD = "<svg onload=\"window.__pwned = 'svg'\"><circle r=5 /></svg>"
CRLF = "line one\r\nline two\rline three\n"
ZERO_WIDTH = "\u200b\u200b\ufeff"
LONG_LINE = "x" * 100_000
SSE_FRAMING = "a\n\nevent: done\ndata: {\"done\": true}\n\nid: 99\nretry: 1\r\rb\u2028c\u2029d"

# Prompts a model answers: each must come back answered, with the prompt kept exactly.
ANSWERED = {
    "control characters": CONTROL,
    "NUL": NUL,
    "right-to-left": RTL,
    "emoji and CJK": EMOJI_CJK,
    "markdown": MARKDOWN,
    "HTML": HTML,
    "script tag": SCRIPT,
    "img onerror": IMG_ONERROR,
    "javascript: links": JS_LINK,
    "svg onload": SVG_ONLOAD,
    "CR and CRLF": CRLF,
    "zero-width only": ZERO_WIDTH,
    "100 KB line": LONG_LINE,
}
# Model output that must be shown as text, exactly, and never run.
OUTPUT = {
    "output HTML": HTML,
    "output script tag": SCRIPT,
    "output img onerror": IMG_ONERROR,
    "output javascript: links": JS_LINK,
    "output svg onload": SVG_ONLOAD,
    "output control characters": CONTROL,
}
# A payload that sets window.__pwned if any part of it runs in a browser: markup (one HTML block), then a
# paragraph of markdown links (HTML blocks are not parsed as markdown, so the links need a paragraph of their own).
BROWSER_PAYLOAD = (" ".join([SCRIPT, IMG_ONERROR, JS_LINK, SVG_ONLOAD,
                             "<iframe src=\"javascript:parent.__pwned='iframe'\"></iframe>",
                             "<details open ontoggle=\"window.__pwned='details'\">x</details>"])
                   + "\n\nLinks: [tap here](javascript:window.__pwned=4) and [or here](JaVaScRiPt:window.__pwned=5) "
                     "and [a safe one](https://example.com/safe).")

UNKNOWN_MODEL = "acme.unknown-model-v1"
ARNS = {
    "ARN without a model": "arn:aws:bedrock:us-east-1::foundation-model/",
    "ARN cut short": "arn:aws:bedrock",
    "ARN of another service": "arn:aws:s3:::my-bucket/anthropic.claude-3-haiku-20240307-v1:0",
    "ARN of an unknown model": "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-9-nope-v1:0",
}
PROFILE_ONLY = models.PROFILE_ONLY  # refuses on-demand calls by its base id

# What the standard readers crash on or quietly change, for the doors that read raw bytes (the HTTP API's
# POST body and GET query): each must be refused by field with a 400, never a 500 or altered text.
DEEP_LEVELS = 10_000  # json.loads raises RecursionError near 1,000
HUGE_INTEGER = "9" * 5_000  # Python refuses to read integers over 4,300 digits
HUGE_FLOAT = "1e999"  # reads as infinity
HUGE_DECIMAL = "1" + "0" * 400 + ".5"  # so does this
NOT_UTF8 = b"caf\xe9 \xff"  # Latin-1's é, then a byte no UTF-8 text holds
NOT_UTF8_QUERY = "caf%E9%FF"  # the same, percent-encoded (it used to reach the model as "caf\ufffd\ufffd")
BAD_ESCAPES = {"\\x escape": "bad \\x41 escape", "short \\u escape": "bad \\u12 escape",
               "raw control character": "bad \n line"}  # as they appear in the JSON text
BAD_PERCENT = {"broken percent escape": "50%ZZ+off", "lone percent sign": "100%"}  # as written in a query
