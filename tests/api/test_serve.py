"""`orderhub serve` as a real process: it answers over HTTP, warns off loopback, stops on
SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from cli.cmd_serve import is_loopback
from tests.conftest import ADMIN_PASSWORD, TEST_KEY

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_env(settings, tmp_path: Path) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The environment `orderhub serve` runs in: the test's database, key and no config."""
    return dict(
        os.environ,
        PYTHONPATH=str(ROOT),
        ORDERHUB_CONFIG=str(tmp_path / "absent.toml"),
        ORDERHUB_DATABASE_URL=settings.database_url,
        ORDERHUB_SECRET_KEY=TEST_KEY,
        ORDERHUB_PLUGINS_ONLY="orderhub",
    )


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("10.0.0.5", False),
    ],
)
def test_loopback_detection(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_serve_answers_and_warns_off_loopback(settings, acme, tmp_path) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    env = serve_env(settings, tmp_path)
    code = "import sys; from cli.main import main; sys.exit(main())"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "serve", "--host", "0.0.0.0", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.get(f"{base}/v1/openapi.json", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.communicate()[1]
                assert time.monotonic() < deadline, "serve did not start"
                time.sleep(0.2)
        assert r.json()["openapi"] == "3.1.0"
        login = httpx.post(
            f"{base}/v1/auth/login", json={"username": "boss", "password": ADMIN_PASSWORD}
        )
        assert login.status_code == 200, login.text
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert "warning: serving plain HTTP on 0.0.0.0" in err
    # uvicorn shuts down gracefully (the lifespan closes the core App), then re-raises the
    # signal it caught, as its own docs say: the exit status is "killed by SIGTERM".
    assert "Application shutdown complete" in err
    assert proc.returncode in (0, -signal.SIGTERM)


@pytest.mark.parametrize(
    "argv",
    [
        ["--port", "bad\x00value"],
        ["--port", "9" * 400],
        ["--workers", "名字\u202e../../etc/passwd"],
        ["--workers", "0"],
    ],
)
def test_bad_arguments_get_an_answer_not_a_server(argv: list[str], capsys) -> None:  # type: ignore[no-untyped-def]
    """What the hostile CLI walk would try (it leaves `serve` out: a good call serves until
    stopped): bad values are refused by the parser, before anything listens."""
    from cli.main import main

    with pytest.raises(SystemExit) as stopped:
        main(["serve", *argv])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "orderhub serve: error:" in err
