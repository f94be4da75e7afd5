"""The emulator as a command and as an embedded server: it starts, serves, reports and stops."""

from __future__ import annotations

import hashlib
import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from core.emulator import parse_fault, start_embedded

from ..conftest import client_for, read_all

ROOT = Path(__file__).resolve().parents[2]
CLAUDE = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
CLAUDE_BASE = "anthropic.claude-haiku-4-5-20251001-v1:0"


def test_the_cli_prints_its_url_and_a_boto3_example_and_honours_fault_flags() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "core", "emulator", "--port", "0", "--time-scale", "0", "--seed", "3",
         "--fault", f"throttling,count=1,model={CLAUDE}"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        banner = process.stdout.readline().strip()
        assert banner.startswith("Bedrock Runtime emulator listening on http://127.0.0.1:")
        url = banner.rsplit(" ", 1)[1]
        assert f"AWS_ENDPOINT_URL_BEDROCK_RUNTIME={url}" in process.stdout.readline()
        example = process.stdout.readline()
        assert "boto3.client('bedrock-runtime'" in example and url in example
        runtime = client_for(url)
        messages = [{"role": "user", "content": [{"text": "Hello"}]}]
        with pytest.raises(runtime.exceptions.ThrottlingException):
            runtime.converse(modelId=CLAUDE, messages=messages)
        assert runtime.converse(modelId=CLAUDE, messages=messages)["output"]["message"]["content"][0]["text"]
    finally:
        process.terminate()
        process.wait(timeout=10)
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()
        process.stderr.close()


def test_the_cli_explains_bad_flags_with_exit_code_2() -> None:
    result = subprocess.run([sys.executable, "-m", "core", "emulator", "--fault", "stream_error,after=x"],
                            cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "--fault" in result.stderr and "Traceback" not in result.stderr


def test_the_cli_says_when_the_port_is_taken() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "core", "emulator", "--port", str(port)],
                                cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert result.returncode == 1 and f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_embedded_emulator_starts_on_a_free_port_and_stops_cleanly() -> None:
    running = start_embedded(time_scale=0)
    port = int(running.url.rsplit(":", 1)[1])
    assert running.url.startswith("http://127.0.0.1:") and running.running
    runtime = client_for(running.url)
    body = json.loads(runtime.invoke_model(modelId=CLAUDE, body=json.dumps(
        {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 5,
         "messages": [{"role": "user", "content": "Hi"}]}))["body"].read())
    assert body["usage"]["output_tokens"] == 5
    running.stop()
    assert not running.running
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0  # nothing listens any more


def test_time_scale_and_profile_overrides_shape_reported_latency(emulator: Any, control: Any) -> None:
    """At time scale 1 the server-side first-byte latency follows the (overridden) profile."""
    control.request("POST", "/_emulator/config", {"time_scale": 1})
    status, _ = control.request("POST", "/_emulator/profiles", {"model_id": CLAUDE, "ttft_ms": 150,
                                                                "tokens_per_s": 2000, "chunk_tokens": [1, 1]})
    assert status == 200
    runtime = client_for(emulator.url)
    response = runtime.invoke_model_with_response_stream(modelId=CLAUDE, body=json.dumps(
        {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 40,
         "messages": [{"role": "user", "content": "Explain how event streams work."}]}))
    chunks = [json.loads(e["chunk"]["bytes"]) for e in read_all(response["body"])]
    metrics = chunks[-1]["amazon-bedrock-invocationMetrics"]
    assert 100 <= metrics["firstByteLatency"] <= 400  # drawn around 150 ms; loose, this is not a benchmark
    assert all(len(c["delta"]["text"]) > 0 for c in chunks if c["type"] == "content_block_delta")
    assert sum(1 for c in chunks if c["type"] == "content_block_delta") == 40  # one token per chunk
    status, body = control.request("POST", "/_emulator/profiles", {"model_id": CLAUDE, "warp": 9})
    assert status == 400 and "warp" in body["message"]


@pytest.mark.parametrize(("spec", "expected"), [
    ("throttling", {"kind": "throttling", "count": 1}),
    ("stream_error,after=20,exception=throttlingException,count=always",
     {"kind": "stream_error", "after_tokens": 20, "exception": "throttlingException", "count": None}),
    (f"stall,seconds=2.5,model={CLAUDE}", {"kind": "stall", "seconds": 2.5, "model_id": CLAUDE_BASE}),
])
def test_fault_specs_read_from_the_command_line(spec: str, expected: dict[str, Any]) -> None:
    fault = parse_fault(spec)
    assert {k: getattr(fault, k) for k in expected} == expected


@pytest.mark.parametrize("spec", ["gremlins", "cut,after", "cut,colour=red", "stall,seconds=-1", "throttling,count=0"])
def test_bad_fault_specs_are_refused_with_a_reason(spec: str) -> None:
    with pytest.raises(ValueError):
        parse_fault(spec)


def open_streams_settle_at(control: Any, expected: int) -> int:
    """Open streams as the emulator counts them, once they reach `expected` (or after 2 s)."""
    for _ in range(100):
        count = int(control.request("GET", "/_emulator/health")[1]["active_streams"])
        if count == expected:
            break
        time.sleep(0.02)
    return count


def test_a_client_that_hangs_up_ends_its_stream_in_the_emulator(emulator: Any, control: Any) -> None:
    assert open_streams_settle_at(control, 0) == 0  # earlier tests' streams finish their last send
    control.request("POST", "/_emulator/config", {"time_scale": 1})
    control.request("POST", "/_emulator/profiles", {"model_id": CLAUDE, "ttft_ms": 5000})
    runtime = client_for(emulator.url)
    response = runtime.invoke_model_with_response_stream(modelId=CLAUDE, body=json.dumps(
        {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 40, "messages": [{"role": "user", "content": "Hi"}]}))
    assert control.request("GET", "/_emulator/health")[1]["active_streams"] == 1
    response["body"].close()  # what Stop does: close the stream before the first token
    assert open_streams_settle_at(control, 0) == 0


def test_recent_streams_name_their_prompt_by_digest_only(emulator: Any, control: Any) -> None:
    """GET /_emulator/streams tells which prompt each stream answered (so a benchmark with many sessions
    can match them) without echoing prompt text."""
    runtime = client_for(emulator.url)
    prompts = [f"Which stream is mine? marker-{n}" for n in range(3)]
    for prompt in prompts:
        read_all(runtime.converse_stream(modelId=CLAUDE, messages=[
            {"role": "user", "content": [{"text": "an earlier turn"}]},
            {"role": "assistant", "content": [{"text": "an earlier answer"}]},
            {"role": "user", "content": [{"text": prompt}]}])["stream"])
    status, body = control.request("GET", "/_emulator/streams")
    assert status == 200
    recent = body["streams"][-3:]
    assert [s["prompt_sha256"] for s in recent] == [hashlib.sha256(p.encode()).hexdigest()[:16] for p in prompts]
    assert all(s["first_token_sent_ms"] <= s["last_sent_ms"] for s in recent)
    assert "marker" not in json.dumps(body)
