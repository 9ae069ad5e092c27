"""`orderhub serve --workers N` on Linux: N processes, each accepting on its own socket.

Checked on the real command, through what the kernel reports in /proc: every process
listens, connections opened at once land on every process (uvicorn's shared socket gave
all of them to one), a killed process is replaced, a taken port or a process that cannot
start is a clear error, and SIGTERM leaves no process behind.
"""

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

from cli.serve_processes import balances_connections
from tests.api.test_serve import free_port, serve_env
from tests.processes import descendants

ROOT = Path(__file__).resolve().parents[2]
CODE = "import sys; from cli.main import main; sys.exit(main())"

pytestmark = pytest.mark.skipif(
    not balances_connections(), reason="SO_REUSEPORT balancing is Linux's"
)
#: The processes, not the database, are under test: SQLite only.
SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _serve(env: dict[str, str], port: int, workers: int = 2) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", CODE, "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _sockets(port: int, state: str) -> set[int]:
    """Inodes of the TCP sockets on local port `port` in `state` (0A listen, 01 open)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == state:
                found.add(int(fields[9]))
    return found


def _owners(pids: set[int], inodes: set[int]) -> dict[int, int]:
    """How many of `inodes` each of `pids` holds."""
    held: dict[int, int] = {}
    for pid in pids:
        try:
            links = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
        except OSError:
            continue
        count = sum(
            1 for link in links if link.startswith("socket:[") and int(link[8:-1]) in inodes
        )
        if count:
            held[pid] = count
    return held


def _listeners(proc: subprocess.Popen[str], port: int, count: int) -> dict[int, int]:
    """Wait until `count` processes under `proc` listen on `port`; {pid: sockets}."""
    deadline = time.monotonic() + 60
    while True:
        assert proc.poll() is None, proc.communicate()[1]
        held = _owners(descendants(proc.pid), _sockets(port, "0A"))
        if len(held) == count:
            return held
        assert time.monotonic() < deadline, f"listening: {held}"
        time.sleep(0.2)


def _stop(proc: subprocess.Popen[str]) -> str:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    return proc.communicate(timeout=60)[1]


@SQLITE
def test_connections_opened_at_once_reach_every_process(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    proc = _serve(serve_env(settings, tmp_path), port)
    clients: list[socket.socket] = []
    try:
        listening = _listeners(proc, port, 2)
        assert sorted(listening.values()) == [1, 1]  # one socket each, none shared
        # 32 connections at once, each kept open after a request: with one shared socket
        # the first process to wake took them all.
        for _ in range(32):
            clients.append(socket.create_connection(("127.0.0.1", port)))
        for client in clients:
            client.sendall(b"GET /v1/openapi.json HTTP/1.1\r\nHost: x\r\n\r\n")
        for client in clients:
            assert client.recv(12) == b"HTTP/1.1 200"
        spread = _owners(set(listening), _sockets(port, "01"))
        assert sum(spread.values()) == 32
        assert len(spread) == 2, spread
    finally:
        for client in clients:
            client.close()
        err = _stop(proc)
    assert "Traceback" not in err
    assert "in 2 processes, one socket each" in err


@SQLITE
def test_a_killed_process_is_replaced_and_sigterm_leaves_none(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    proc = _serve(serve_env(settings, tmp_path), port)
    try:
        first = _listeners(proc, port, 2)
        victim = min(first)
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while True:
            now = _owners(descendants(proc.pid), _sockets(port, "0A"))
            if len(now) == 2 and victim not in now:
                break
            assert time.monotonic() < deadline, f"not replaced: {now}"
            time.sleep(0.2)
        assert httpx.get(f"http://127.0.0.1:{port}/v1/openapi.json").status_code == 200
        serving = set(now)
    finally:
        err = _stop(proc)
    assert proc.returncode == 0, err
    assert f"API process [{victim}] ended" in err and "starting another" in err
    assert not [pid for pid in serving if Path(f"/proc/{pid}").exists()]
    assert not _sockets(port, "0A")


@SQLITE
def test_a_taken_port_is_an_error_before_anything_starts(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = _serve(serve_env(settings, tmp_path), port)
        err = proc.communicate(timeout=120)[1]
    assert proc.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in err and "Traceback" not in err


@SQLITE
def test_a_missing_database_is_one_line_before_anything_listens(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = serve_env(settings, tmp_path)
    env["ORDERHUB_DATABASE_URL"] = f"sqlite:///{tmp_path / 'missing.db'}"
    port = free_port()
    proc = _serve(env, port)
    err = proc.communicate(timeout=120)[1]
    assert proc.returncode == 1, err
    assert "orderhub: error: the database" in err and "does not exist" in err
    assert "Traceback" not in err


@SQLITE
def test_a_database_server_that_refuses_us_is_one_line(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = serve_env(settings, tmp_path)
    env["ORDERHUB_DATABASE_URL"] = f"postgresql://postgres@127.0.0.1:{free_port()}/none"
    proc = _serve(env, free_port())
    err = proc.communicate(timeout=120)[1]
    assert proc.returncode == 1, err
    assert "orderhub: error: database:" in err and "Traceback" not in err


def _supervise(app: str, port: int) -> subprocess.Popen[str]:
    code = (
        "import sys; from cli.serve_processes import run; from cli.cmd_serve import "
        f"uvicorn_options; sys.exit(run({app!r}, uvicorn_options('127.0.0.1', {port}, 2, "
        "'info'), 2))"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen(
        [sys.executable, "-c", code], env=env, stderr=subprocess.PIPE, text=True
    )


@pytest.mark.parametrize(
    ("app", "said"),
    [
        ("tests.api.failing_apps:cannot_start", "failed to start; stopping"),
        ("tests.api.failing_apps:ends_soon", "processes ended within a minute; stopping"),
    ],
)
def test_processes_that_cannot_start_or_keep_ending_stop_the_server(app: str, said: str) -> None:
    port = free_port()
    proc = _supervise(app, port)
    err = proc.communicate(timeout=120)[1]
    assert proc.returncode == 1, err
    assert said in err
    assert not _sockets(port, "0A")
