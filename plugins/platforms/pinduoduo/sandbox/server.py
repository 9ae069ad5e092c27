"""Run the sandbox gateway on a loopback port: in a thread (tests) or a child process
(benchmarks and chaos tests, where the sandbox must not share the client's GIL).

    with SandboxServer(SandboxConfig(orders=500)) as server:
        settings = server.client_settings()   # client_id, client_secret, gateway_url, auth_url
        token = server.sandbox.grant()        # in-process shortcut past the consent page

Port 0 picks a free port; `url` is known once `start()` returns.
"""

from __future__ import annotations

import contextlib
import pickle
import select
import socket
import subprocess
import sys
import threading
import time

import uvicorn

from plugins.platforms.pinduoduo.sandbox.app import create_sandbox_app
from plugins.platforms.pinduoduo.sandbox.config import SandboxConfig
from plugins.platforms.pinduoduo.sandbox.persist import StateSaver, load_sandbox


class _Endpoints:
    host: str
    port: int
    config: SandboxConfig

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def gateway_url(self) -> str:
        return f"{self.url}/api/router"

    @property
    def auth_url(self) -> str:
        return f"{self.url}/service-market/auth"

    @property
    def control_url(self) -> str:
        return f"{self.url}/_sandbox"

    def client_settings(self) -> dict[str, str]:
        """The Pinduoduo plugin settings that point a client at this sandbox."""
        return {
            "client_id": self.config.client_id,
            "client_secret": self.config.client_secret,
            "gateway_url": self.gateway_url,
            "auth_url": self.auth_url,
        }


class SandboxServer(_Endpoints):
    """uvicorn serving the sandbox app in a background thread."""

    def __init__(
        self,
        config: SandboxConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        prerender: bool = False,
    ) -> None:
        self.config = config or SandboxConfig()
        self.host, self.port = host, port
        self.sandbox, self.resumed = load_sandbox(self.config)
        if prerender:
            self.sandbox.prerender()
        self.app = create_sandbox_app(sandbox=self.sandbox)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._saver: StateSaver | None = None

    def start(self) -> SandboxServer:
        if self._thread is not None:
            raise RuntimeError("the sandbox server is already running")
        # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY only on sockets that say they
        # are TCP, and without it every answer waits ~40 ms for a delayed ACK (Nagle).
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
            timeout_keep_alive=30,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="pdd-sandbox", daemon=True
        )
        self.sandbox.stopping.clear()
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                sock.close()
                raise RuntimeError(f"the sandbox server did not start on {self.host}:{self.port}")
            time.sleep(0.01)
        self._socket = sock
        if self.config.state_file is not None:
            self._saver = StateSaver(self.sandbox, self.config.state_file)
            self._saver.start()
        return self

    def stop(self) -> None:
        if self._server is None or self._thread is None:
            return
        self.sandbox.stopping.set()  # answers held back by a timeout fault return now
        self._server.should_exit = True
        self._thread.join(timeout=15)
        self._socket.close()
        self._server = self._thread = None
        if self._saver is not None:
            self._saver.stop()
            self._saver = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _child_main() -> None:
    """`python -m plugins.platforms.pinduoduo.sandbox.server`: read the pickled
    (config, host, port, prerender) from stdin, serve, print the port, stop at stdin EOF."""
    config, host, port, prerender = pickle.load(sys.stdin.buffer)
    server = SandboxServer(config, host=host, port=port, prerender=prerender)
    server.start()
    print(server.port, flush=True)
    try:
        sys.stdin.buffer.read()  # returns when the parent closes our stdin (or dies)
    finally:
        server.stop()


class SandboxProcess(_Endpoints):
    """The sandbox in a child process (its own interpreter, so its own GIL); drive it over
    HTTP, e.g. `/_sandbox/grants`. A plain subprocess, not multiprocessing, so a script
    using it needs no `if __name__ == "__main__"` guard."""

    def __init__(
        self,
        config: SandboxConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        prerender: bool = True,
    ) -> None:
        self.config = config or SandboxConfig()
        self.host, self.port, self.prerender = host, port, prerender
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 120) -> SandboxProcess:
        process = subprocess.Popen(
            [sys.executable, "-m", "plugins.platforms.pinduoduo.sandbox.server"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self._process = process
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(pickle.dumps((self.config, self.host, self.port, self.prerender)))
        process.stdin.flush()
        ready, _, _ = select.select([process.stdout], [], [], timeout)
        line = process.stdout.readline() if ready else b""
        if not line.strip().isdigit():
            self.stop()
            error = process.stderr.read().decode(errors="replace") if process.stderr else ""
            raise RuntimeError(f"the sandbox process did not start: {error.strip()[-2000:]}")
        self.port = int(line)
        return self

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.stdin is not None:
            with contextlib.suppress(OSError):
                process.stdin.close()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def __enter__(self) -> SandboxProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


if __name__ == "__main__":
    _child_main()
