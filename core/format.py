"""One number format and one vocabulary for every metric, on every page, export, CLI line and report.

    >>> ms(1234.4), ms(12_345), rate(85.2), usd(0.000123456), price_per_1m(3)
    ('1,234 ms', '12.3 s', '85 tok/s', '$0.000123', '$3.00')
    >>> label("ttft"), label("ttft", stat="p50"), help_text("ttft")
    ('TTFT (ms)', 'TTFT p50 (ms)', 'How long the user stares at nothing: from sending to the first answer text.')

Every formatter takes None (or NaN) for a value that is not known and shows `NA`. A table column keeps one
unit, named in its header by `label`; its cells come from `number` (or `count`), never from `ms`, whose unit
changes to seconds at 10 s so that a one-line caption stays short. Tables for Streamlit carry these strings, not
numbers: `st.dataframe` draws a missing number as "None" whatever format or Styler it is given.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

NA = "—"


def _known(value: float | None) -> bool:
    return value is not None and not (isinstance(value, float) and (math.isnan(value) or math.isinf(value)))


def number(value: float | None, decimals: int = 0) -> str:
    """A plain number with thousands separators: "1,234", "85.3"; NA when unknown."""
    if value is None or not _known(value):
        return NA
    text = f"{value:,.{decimals}f}"
    return text[1:] if text.startswith("-") and not text.strip("-0.,") else text  # never "-0"


def count(n: float | None) -> str:
    """A count with thousands separators: "1,234"; NA when unknown."""
    return number(n, 0)


def ms(value_ms: float | None) -> str:
    """A duration for a caption: "412 ms", "1,234 ms", and from 10 s on "12.3 s"; NA when unknown."""
    if value_ms is None or not _known(value_ms):
        return NA
    if abs(value_ms) >= 10_000:
        return seconds(value_ms / 1000)
    return f"{number(value_ms)} ms"


def seconds(value_s: float | None, decimals: int = 1) -> str:
    """A duration in seconds: "2.1 s", "1,234.5 s"; NA when unknown."""
    if value_s is None or not _known(value_s):
        return NA
    return f"{number(value_s, decimals)} s"


def rate(tokens_per_s: float | None) -> str:
    """A decode rate: "85 tok/s", "1,234 tok/s", and one decimal below 10 ("3.4 tok/s"); NA when unknown."""
    if tokens_per_s is None or not _known(tokens_per_s):
        return NA
    return f"{number(tokens_per_s, 1 if abs(tokens_per_s) < 10 else 0)} tok/s"


def _dollars(value: float, least_decimals: int, significant: int) -> str:
    """Dollars with at least `least_decimals` decimals and enough more for `significant` digits below $1."""
    size = abs(value)
    decimals = least_decimals
    if 0 < size < 1:
        # digits needed so that `significant` digits show: 0.000123456 -> 6 decimals for 3 digits
        decimals = max(least_decimals, significant - 1 - math.floor(math.log10(size)))
    text = f"{size:,.{decimals}f}"
    if "." in text and decimals > least_decimals:
        whole, fraction = text.split(".")
        text = f"{whole}.{fraction.rstrip('0').ljust(least_decimals, '0')}"
    return ("-$" if value < 0 and text.strip("0.,") else "$") + text


def usd(value: float | None) -> str:
    """A run's cost in US dollars, with enough digits to be non-zero: "$0.000123", "$0.42", "$1,234.50"."""
    if value is None or not _known(value):
        return NA
    return _dollars(value, 2, 3)


def price_per_1m(usd_per_1m: float | None) -> str:
    """A price per 1M tokens as Bedrock's price pages show it: "$3.00", "$15.00", "$0.035"."""
    if usd_per_1m is None or not _known(usd_per_1m):
        return NA
    return _dollars(usd_per_1m, 2, 2)


def percent(fraction: float | None) -> str:
    """A share as a percentage: "12.5%", "0%", "100%", and "<0.1%" for a share too small to round."""
    if fraction is None or not _known(fraction):
        return NA
    value = fraction * 100
    if 0 < abs(value) < 0.05:
        return "<0.1%"
    text = number(value, 1).removesuffix(".0")
    return f"{text}%"


@dataclass(frozen=True)
class Metric:
    """One metric's name everywhere: full name, short name for headers, unit, and the sentence on hover."""

    key: str
    name: str
    short: str
    unit: str  # as headers show it: "ms", "tok/s", "$/1M, est."; "" for a count of runs
    help: str


def _metrics(*rows: Metric) -> dict[str, Metric]:
    return {m.key: m for m in rows}


METRICS: dict[str, Metric] = _metrics(
    Metric("ttft", "Time to first token", "TTFT", "ms",
           "How long the user stares at nothing: from sending to the first answer text."),
    Metric("first_answer_token", "Time to first answer token", "First answer token", "ms",
           "From sending to the first answer text, after the model's reasoning: what the user waits for an answer."),
    Metric("first_event", "Time to first event", "First event", "ms",
           "From sending to the first event of any kind from Bedrock, text or not."),
    Metric("first_reasoning", "Time to first reasoning", "First reasoning", "ms",
           "From sending to the first reasoning (thinking) text the model showed."),
    Metric("reasoning", "Reasoning time", "Reasoning", "ms",
           "How long the model thought before it answered: first answer text minus first reasoning text."),
    Metric("e2e", "End-to-end time", "E2E", "ms",
           "From sending to the last word, or to the moment the run failed or was stopped."),
    Metric("perceived_wait", "Perceived wait", "Wait", "ms",
           "How long before the user sees words: TTFT when streaming, the whole E2E when not."),
    Metric("decode_rate", "Decode rate", "Decode rate", "tok/s",
           "How fast the answer arrives once it starts: output tokens / (E2E − TTFT), as AWS defines it."),
    Metric("tpot", "Time per output token", "TPOT", "ms",
           "The time each token after the first takes: (E2E − TTFT) / (output tokens − 1)."),
    Metric("gap", "Gap between chunks", "Chunk gap", "ms",
           "The wait between two pieces of text as they arrived; a chunk may hold several tokens."),
    Metric("input_tokens", "Input tokens", "Input tokens", "tokens",
           "What was sent to the model, the whole conversation, as Bedrock counted it."),
    Metric("output_tokens", "Output tokens", "Output tokens", "tokens",
           "What the model wrote, as Bedrock counted it (marked when the lab had to estimate)."),
    Metric("cache_read_tokens", "Cache-read tokens", "Cache read", "tokens",
           "Input tokens read from the prompt cache: cheaper and faster than sending them afresh."),
    Metric("cache_write_tokens", "Cache-write tokens", "Cache written", "tokens",
           "Input tokens written to the prompt cache for the next request to reuse."),
    Metric("cost", "Cost (estimate)", "Cost", "$, est.",
           "An estimate from the lab's dated price table (US dollars), not a bill."),
    Metric("price_input", "Input price per 1M tokens", "Input price", "$/1M, est.",
           "On-demand US dollars per 1M input tokens, as Bedrock's price page shows it (dated estimate)."),
    Metric("price_output", "Output price per 1M tokens", "Output price", "$/1M, est.",
           "On-demand US dollars per 1M output tokens, as Bedrock's price page shows it (dated estimate)."),
    Metric("server_first_byte", "Server first byte", "Server first byte", "ms",
           "Bedrock's own time to its first byte (firstByteLatency); the rest of TTFT is network and client."),
    Metric("server_latency", "Server latency", "Server latency", "ms",
           "Bedrock's own time for the whole request (invocationLatency, or Converse latencyMs)."),
    Metric("client_overhead", "Client overhead", "Client overhead", "ms",
           "TTFT minus Bedrock's first byte: signing, connection and network on the way."),
    Metric("context_tokens", "Context window", "Context", "tokens",
           "The most tokens the model reads at once: the whole conversation plus the answer."),
    Metric("max_output_tokens", "Longest answer", "Max output", "tokens",
           "The most tokens the model writes in one answer."),
    Metric("error_rate", "Error rate", "Error rate", "%",
           "The share of runs that ended in an error the user saw."),
    Metric("throttle_rate", "Throttle rate", "Throttle rate", "%",
           "The share of finished requests Bedrock refused as too many (throttling, 429)."),
    Metric("goodput", "Goodput", "Goodput", "%",
           "The share of requests that met every target set (for example TTFT p99 and TPOT)."),
    Metric("goodput_rate", "Goodput rate", "Goodput rate", "req/s",
           "Requests that met every target set, per second of the benchmark's wall time."),
    Metric("throughput", "Request throughput", "Throughput", "req/s",
           "Requests that finished ok per second of the benchmark's wall time."),
    Metric("output_throughput", "Output throughput", "Output throughput", "tok/s",
           "Output tokens per second of the whole system: every finished answer's tokens over the wall time."),
    Metric("attempts", "Attempts", "Attempts", "",
           "How many times the request was sent, retries included: each attempt is billed."),
    Metric("n", "Runs", "n", "",
           "How many runs a figure stands on; p90 needs 10 runs and p99 needs 100, else it shows —."),
)


def metric(key: str) -> Metric:
    """The metric named `key`; KeyError names the known keys."""
    try:
        return METRICS[key]
    except KeyError:
        raise KeyError(f"unknown metric {key!r}; known: {', '.join(METRICS)}") from None


def label(key: str, unit: bool = True, *, stat: str | None = None) -> str:
    """A column or axis title: "TTFT (ms)", "TTFT p50 (ms)", "Decode rate (tok/s)", "Input tokens", "Goodput"."""
    m = metric(key)
    text = f"{m.short} {stat}" if stat else m.short
    said = m.unit == "tokens" and "token" in m.short.lower()  # "Input tokens", not "Input tokens (tokens)"
    # a share's cells carry their "%" (`percent`), so its header does not repeat it
    return f"{text} ({m.unit})" if unit and m.unit and m.unit != "%" and not said else text


def help_text(key: str) -> str:
    """The sentence shown on hover for a metric."""
    return metric(key).help


def value(key: str, amount: float | None) -> str:
    """A metric's value (in the metric's unit) as a caption or a card shows it: value("ttft", 412) == "412 ms"."""
    unit = metric(key).unit
    known = amount is not None and _known(amount)
    if unit == "ms":
        return ms(amount)
    if unit == "s":
        return seconds(amount)
    if unit == "tok/s":
        return rate(amount)
    if unit == "%":
        return percent(amount)
    if unit.startswith("$/1M"):
        return price_per_1m(amount)
    if unit.startswith("$"):
        return usd(amount)
    if unit in ("tokens", "req/s") and known:
        return f"{number(amount, 1 if unit == 'req/s' else 0)} {unit}"
    return count(amount)

