"""Run the sandbox gateway on a loopback port: in a thread (tests) or a child process
(benchmarks and chaos tests, where the sandbox must not share the client's GIL).

    with SandboxServer(SandboxConfig(orders=500)) as server:
        settings = server.client_settings()   # client_id, client_secret, gateway_url, auth_url
        token = server.sandbox.grant()        # in-process shortcut past the consent page

Port 0 picks a free port; `url` is known once `start()` returns.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import socket
import threading
import time
from multiprocessing.connection import Connection
from typing import Any

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
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app, log_level="warning", access_log=False, lifespan="off",
            timeout_graceful_shutdown=1, timeout_keep_alive=30,
        )  # fmt: skip
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


def _child(config: SandboxConfig, host: str, port: int, prerender: bool, conn: Connection) -> None:
    server = SandboxServer(config, host=host, port=port, prerender=prerender)
    server.start()
    conn.send(server.port)
    try:
        conn.recv()  # any message, or the parent going away, means stop
    except EOFError:
        pass
    finally:
        server.stop()


class SandboxProcess(_Endpoints):
    """The sandbox in a child process; drive it over HTTP (`/_sandbox/…`)."""

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
        self._process: Any = None
        self._conn: Connection | None = None

    def start(self, timeout: float = 120) -> SandboxProcess:
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        self._process = context.Process(
            target=_child, args=(self.config, self.host, self.port, self.prerender, child),
            name="pdd-sandbox", daemon=True,
        )  # fmt: skip
        self._process.start()
        child.close()
        if not parent.poll(timeout):
            self._process.kill()
            raise RuntimeError("the sandbox process did not start in time")
        self.port = parent.recv()
        self._conn = parent
        return self

    def stop(self) -> None:
        if self._process is None:
            return
        with contextlib.suppress(BrokenPipeError, OSError):
            self._conn.send("stop")
        self._process.join(timeout=20)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()
        self._process = None

    def __enter__(self) -> SandboxProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
