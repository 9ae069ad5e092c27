"""A raw TCP 9100 printer on the loopback interface: a real server in a thread.

It records the bytes of every connection, answers status queries with configured replies,
and can misbehave the ways real printers do: reset the connection at a chosen byte, stop
reading (a jammed printer), refuse connections, or never finish the TCP handshake.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Callable, Mapping
from types import TracebackType


class LoopbackPrinter:
    """Listens on 127.0.0.1:<free port>.

    - `status_replies`: query bytes → reply bytes, sent when the query shows up in the
      stream (an empty reply = stay silent, like a Zebra with its head open).
    - `drop_at`: after this many bytes in total, reset the connection (once); bytes past it
      are not recorded, so `received` ends exactly at the drop.
    - `stall`: accept, then never read (the sender's buffers fill up).
    - `stall_connect`: never accept, with the backlog full, so connects time out.
    """

    def __init__(
        self,
        *,
        status_replies: Mapping[bytes, bytes] | None = None,
        drop_at: int | None = None,
        stall: bool = False,
        stall_connect: bool = False,
        receive_buffer: int | None = None,
    ) -> None:
        self.status_replies = dict(status_replies or {})
        self.drop_at = drop_at
        self.stall = stall
        self.stall_connect = stall_connect
        self.connections: list[bytearray] = []
        self.queries: list[bytes] = []
        self.dropped = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if receive_buffer:
            self._server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        self._server.bind(("127.0.0.1", 0))
        self.port: int = self._server.getsockname()[1]
        self._backlog_filler: socket.socket | None = None

    # ------------------------------------------------------------------ life cycle

    def start(self) -> LoopbackPrinter:
        if self.stall_connect:
            self._server.listen(0)
            self._backlog_filler = socket.create_connection(("127.0.0.1", self.port))
            return self
        self._server.listen(8)
        self._server.settimeout(0.05)
        self._spawn(self._accept_loop)
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(5)
        if self._backlog_filler is not None:
            self._backlog_filler.close()
        self._server.close()

    def __enter__(self) -> LoopbackPrinter:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    @property
    def received(self) -> bytes:
        with self._lock:
            return b"".join(bytes(c) for c in self.connections)

    def total(self) -> int:
        with self._lock:
            return sum(len(c) for c in self.connections)

    def wait_until(self, condition: Callable[[], bool], timeout: float = 5.0) -> bool:
        """Poll `condition` until true or `timeout` (the server thread works meanwhile)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if condition():
                return True
            time.sleep(0.002)
        return condition()

    # ------------------------------------------------------------------ server side

    def _spawn(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                record = bytearray()
                self.connections.append(record)
            self._spawn(self._serve, conn, record)

    def _serve(self, conn: socket.socket, record: bytearray) -> None:
        conn.settimeout(0.05)
        tail = b""
        longest = max((len(q) for q in self.status_replies), default=1)
        try:
            while not self._stop.is_set():
                if self.stall:
                    time.sleep(0.01)
                    continue
                try:
                    chunk = conn.recv(self._read_size())
                except TimeoutError:
                    continue
                if not chunk:
                    return
                with self._lock:
                    record += chunk
                if self._should_drop():
                    return self._reset(conn)
                window = self._answer(conn, tail + chunk)
                tail = window[-(longest - 1) :] if longest > 1 else b""
        except OSError:
            return
        finally:
            conn.close()

    def _read_size(self) -> int:
        if self.drop_at is None or self.dropped:
            return 65536
        return max(1, min(65536, self.drop_at - self.total()))

    def _should_drop(self) -> bool:
        if self.drop_at is None or self.dropped or self.total() < self.drop_at:
            return False
        self.dropped = True
        return True

    @staticmethod
    def _reset(conn: socket.socket) -> None:
        """Close with SO_LINGER 0: the peer gets a reset, not an orderly FIN."""
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()

    def _answer(self, conn: socket.socket, window: bytes) -> bytes:
        for query, reply in self.status_replies.items():
            if query in window:
                self.queries.append(query)
                if reply:
                    conn.sendall(reply)
                window = window.replace(query, b"")
        return window


def refused_port() -> int:
    """A loopback port nobody listens on (connections to it are refused)."""
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port
