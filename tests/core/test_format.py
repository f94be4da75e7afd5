"""The one number format and vocabulary every screen uses."""

from __future__ import annotations

import math

import pytest

from core import format as fmt


@pytest.mark.parametrize("unknown", [None, math.nan, math.inf])
def test_every_formatter_shows_a_dash_for_an_unknown_value(unknown: float | None) -> None:
    for formatter in (fmt.ms, fmt.seconds, fmt.rate, fmt.count, fmt.number, fmt.usd, fmt.price_per_1m, fmt.percent):
        assert formatter(unknown) == fmt.NA == "—"
    assert fmt.value("ttft", unknown) == fmt.value("input_tokens", unknown) == fmt.value("throughput", unknown) == "—"


def test_durations_have_thousands_separators_and_turn_to_seconds_from_ten_seconds() -> None:
    assert fmt.ms(412.4) == "412 ms"
    assert fmt.ms(1234.4) == "1,234 ms"
    assert fmt.ms(9_999) == "9,999 ms"
    assert fmt.ms(12_345) == "12.3 s"
    assert fmt.ms(-0.2) == "0 ms"  # a clock's rounding never shows "-0"
    assert fmt.seconds(2.14) == "2.1 s"
    assert fmt.seconds(1234.56, decimals=2) == "1,234.56 s"


def test_rates_and_counts() -> None:
    assert fmt.rate(85.2) == "85 tok/s"
    assert fmt.rate(1234.4) == "1,234 tok/s"
    assert fmt.rate(3.44) == "3.4 tok/s"  # a slow rate keeps a decimal, or 3.4 and 3.0 would look alike
    assert fmt.count(1234) == "1,234"
    assert fmt.count(1_234_567.6) == "1,234,568"
    assert fmt.number(85.27, 1) == "85.3"


def test_a_cost_always_shows_enough_digits_to_be_non_zero() -> None:
    assert fmt.usd(0.000123456) == "$0.000123"
    assert fmt.usd(0.0000042) == "$0.0000042"
    assert fmt.usd(0.5) == "$0.50"
    assert fmt.usd(1234.5) == "$1,234.50"
    assert fmt.usd(0) == "$0.00"


def test_prices_per_1m_tokens_read_as_on_bedrocks_price_pages() -> None:
    assert fmt.price_per_1m(3) == "$3.00"
    assert fmt.price_per_1m(15) == "$15.00"
    assert fmt.price_per_1m(0.035) == "$0.035"
    assert fmt.price_per_1m(0.8) == "$0.80"


def test_percentages() -> None:
    assert fmt.percent(0.125) == "12.5%"
    assert fmt.percent(0) == "0%"
    assert fmt.percent(1) == "100%"
    assert fmt.percent(0.0001) == "<0.1%"  # a rare error is not rounded away to 0%


def test_one_name_and_one_explanation_per_metric() -> None:
    ttft = fmt.METRICS["ttft"]
    assert (ttft.name, ttft.short, ttft.unit) == ("Time to first token", "TTFT", "ms")
    assert fmt.help_text("ttft") == "How long the user stares at nothing: from sending to the first answer text."
    for key in ("first_answer_token", "first_reasoning", "reasoning", "e2e", "decode_rate", "tpot", "input_tokens",
                "output_tokens", "cost", "server_first_byte", "error_rate", "n"):
        assert fmt.METRICS[key].key == key and fmt.help_text(key).endswith(".")
    assert len({m.short for m in fmt.METRICS.values()}) == len(fmt.METRICS)  # no two metrics share a header


def test_headers_name_the_unit_once() -> None:
    assert fmt.label("ttft") == "TTFT (ms)"
    assert fmt.label("ttft", unit=False) == "TTFT"
    assert fmt.label("ttft", stat="p90") == "TTFT p90 (ms)"
    assert fmt.label("decode_rate") == "Decode rate (tok/s)"
    assert fmt.label("output_tokens") == "Output tokens"
    assert fmt.label("context_tokens") == "Context (tokens)"
    assert "est." in fmt.label("cost") and "est." in fmt.label("price_input")  # costs say they are estimates
    assert fmt.label("n") == "n"
    assert fmt.label("error_rate") == "Error rate"  # its cells say "12.5%"
    with pytest.raises(KeyError, match="ttft"):
        fmt.label("latency")


def test_a_value_is_shown_in_its_metrics_unit() -> None:
    assert fmt.value("ttft", 412) == "412 ms"
    assert fmt.value("decode_rate", 85) == "85 tok/s"
    assert fmt.value("output_tokens", 1234) == "1,234 tokens"
    assert fmt.value("cost", 0.000123456) == "$0.000123"
    assert fmt.value("price_output", 15) == "$15.00"
    assert fmt.value("error_rate", 0.125) == "12.5%"
    assert fmt.value("n", 1234) == "1,234"


def test_the_caption_under_every_answer_uses_the_one_format() -> None:
    from core.metrics import caption
    from core.types import RunRecord

    record = RunRecord("r1", "2026-12-01T10:00:00Z", "anthropic.claude-sonnet-4-6", "anthropic", "converse",
                       "stream", "emulator", ttft_ms=1234.4, e2e_ms=12_345.0, tokens_per_s=85.2, input_tokens=12_345,
                       output_tokens=1_234, tokens_source="reported", cost_usd=0.000123456, attempts=2)
    line = caption(record, "2026-11-01")
    assert line.startswith("TTFT 1,234 ms · E2E 12.3 s · 85 tok/s · in 12,345 / out 1,234 tokens (reported)")
    assert "$0.000123 (estimate, prices of 2026-11-01)" in line and "2 attempts" in line
    unknown = caption(RunRecord("r2", "2026-12-01T10:00:00Z", "m", "p", "converse", "stream", "emulator",
                                output_tokens=3, tokens_source="estimated"), "2026-11-01")
    assert unknown == "TTFT — · E2E — · in — / out 3 tokens (estimated)"  # never "None"
