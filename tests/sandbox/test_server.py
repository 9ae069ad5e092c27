"""Running the sandbox: the in-thread server, the child process, and `orderhub sandbox`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from cli.main import main
from plugins.platforms.pinduoduo.sandbox import SandboxConfig, SandboxProcess, SandboxServer
from plugins.platforms.pinduoduo.sign import sign_params


def _time_get(url: str, config: SandboxConfig) -> dict:
    params = {
        "type": "pdd.time.get",
        "client_id": config.client_id,
        "timestamp": str(int(time.time())),
    }
    params["sign"] = sign_params(params, config.client_secret)
    return httpx.post(f"{url}/api/router", data=params, timeout=10).json()


def test_the_server_picks_a_free_port_and_stops_cleanly() -> None:
    config = SandboxConfig(orders=10)
    with SandboxServer(config) as first, SandboxServer(config) as second:
        assert first.port != second.port and first.port > 0
        assert "time_get_response" in _time_get(first.url, config)
        assert second.client_settings() == {
            "client_id": config.client_id,
            "client_secret": config.client_secret,
            "gateway_url": f"{second.url}/api/router",
            "auth_url": f"{second.url}/service-market/auth",
        }
    with pytest.raises(httpx.ConnectError):
        _time_get(first.url, config)


def test_a_held_answer_does_not_delay_shutdown() -> None:
    config = SandboxConfig(orders=10, faults="timeout=1,delay=60")
    server = SandboxServer(config).start()
    client = httpx.Client(timeout=0.3)
    params = {
        "type": "pdd.time.get",
        "client_id": config.client_id,
        "timestamp": str(int(time.time())),
    }
    params["sign"] = sign_params(params, config.client_secret)
    with pytest.raises(httpx.ReadTimeout):
        client.post(server.gateway_url, data=params)
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 10


def test_the_sandbox_runs_in_a_child_process() -> None:
    config = SandboxConfig(orders=50, seed=4)
    with SandboxProcess(config) as process:
        assert "time_get_response" in _time_get(process.url, config)
        summary = httpx.get(process.control_url, timeout=10).json()
        assert summary["orders"] == 50 and summary["seed"] == 4
    with pytest.raises(httpx.ConnectError):
        _time_get(process.url, config)


def test_orderhub_sandbox_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["sandbox", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for option in ("--host", "--port", "--seed", "--orders", "--faults", "--state-file"):
        assert option in out


def test_orderhub_sandbox_rejects_a_bad_fault_spec(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sandbox", "--port", "0", "--faults", "teapot=1"]) == 1
    assert "unknown fault item 'teapot'" in capsys.readouterr().err


def test_orderhub_sandbox_serves_until_terminated(tmp_path: Path) -> None:
    state = tmp_path / "sandbox.json"
    env = {**os.environ, "ORDERHUB_CONFIG": str(tmp_path / "none.toml")}
    command = [
        sys.executable,
        "-m",
        "cli.main",
        "sandbox",
        "--port",
        "0",
        "--orders",
        "40",
        "--state-file",
        str(state),
        "--json",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        info = json.loads(process.stdout.readline())
        assert info["gateway_url"].endswith("/api/router") and info["orders"] == 40
        assert info["client_id"] and info["client_secret"] and info["auth_url"]
        config = SandboxConfig(client_id=info["client_id"], client_secret=info["client_secret"])
        assert "time_get_response" in _time_get(info["url"], config)
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    assert json.loads(state.read_text(encoding="utf-8"))["generation"]["orders"] == 40
