"""Stopping the app (Ctrl+C, SIGTERM) while an API stream is open ends the stream instead of waiting for it."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from core.history import History

ROOT = Path(__file__).resolve().parents[2]
NOVA = "amazon.nova-micro-v1:0"


def test_an_open_stream_does_not_hold_up_the_apps_exit(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    history = tmp_path / "history.sqlite"
    env = {**os.environ, "BEDROCK_BACKEND": "emulator", "BEDROCK_EMULATOR_TIME_SCALE": "1",
           "BEDROCK_LAB_HISTORY": str(history)}
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/api"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                    emulator = json.loads(response.read())["emulator_url"]
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, "the app did not start"
                time.sleep(0.2)
        stall = json.dumps({"kind": "stall", "after_tokens": 5, "seconds": 120}).encode()
        with urllib.request.urlopen(urllib.request.Request(f"{emulator}/_emulator/faults", data=stall, method="POST",
                                                           headers={"Content-Type": "application/json"}), timeout=10):
            pass
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("POST", "/api/generate", body=json.dumps({"model_id": NOVA, "prompt": "Hello"}),
                           headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        assert response.status == 200 and response.readline().startswith(b"id: 1")  # streaming, then stalled
        time.sleep(0.5)
        process.send_signal(signal.SIGTERM)
        stopping = time.monotonic()
        rest = response.read().decode()
        connection.close()
        assert "event: error" in rest and '"code":"ServerShutdown"' in rest
        process.wait(timeout=15)
        assert time.monotonic() - stopping < 10  # not the 120 s the stream would have stalled
        run = History(history).runs().iloc[-1]
        assert run["status"] == "cancelled" and run["session_id"] == "api"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
