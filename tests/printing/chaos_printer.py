"""A raw-9100 printer on 127.0.0.1 that drops the connection in the middle of random labels.

It records every connection's bytes. When a label starts (`SIZE …`), with probability
`drop_chance` it picks a point inside that label — at least `margin` bytes before its end —
and resets the connection there (SO_LINGER 0: the sender gets a reset, not a FIN). Its
receive buffer is small, so TCP acknowledges only what the printer has read: a sender can
never have had the whole cut label acknowledged, which is what a real printer losing the
connection mid-label looks like. Everything read before the cut stays recorded, so the
tests count whole labels (`streams.printed`) exactly as a printer would print them.
"""

from __future__ import annotations

import random
import socket
import struct
import threading
import time

RECEIVE_BUFFER = 4096


class ChaosPrinter:
    def __init__(self, *, drop_chance: float, seed: int, margin: int = 30_000) -> None:
        self.drop_chance = drop_chance
        self.margin = margin
        self.rng = random.Random(seed)
        self.connections: list[bytearray] = []
        self.drops = 0
        self.last_byte_at = time.monotonic()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(8)
        self._server.settimeout(0.05)
        self.port = self._server.getsockname()[1]
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> ChaosPrinter:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self._server.close()

    def quiet(self, seconds: float = 0.3, timeout: float = 10.0) -> None:
        """Wait until nothing has arrived for `seconds` (the sender is gone or paused)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end and time.monotonic() - self.last_byte_at < seconds:
            time.sleep(0.05)

    def total(self) -> int:
        with self._lock:
            return sum(len(c) for c in self.connections)

    def snapshot(self) -> list[bytes]:
        with self._lock:
            return [bytes(c) for c in self.connections]

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            record = bytearray()
            with self._lock:
                self.connections.append(record)
            threading.Thread(target=self._serve, args=(conn, record), daemon=True).start()

    def _serve(self, conn: socket.socket, record: bytearray) -> None:
        conn.settimeout(0.05)
        drop_at: int | None = None
        scanned = 0
        try:
            while not self._stop.is_set():
                limit = 65536 if drop_at is None else max(1, min(65536, drop_at - len(record)))
                try:
                    chunk = conn.recv(limit)
                except TimeoutError:
                    continue
                if not chunk:
                    return
                with self._lock:
                    record += chunk
                self.last_byte_at = time.monotonic()
                if drop_at is None:
                    drop_at, scanned = self._plan(record, scanned)
                if drop_at is not None and len(record) >= drop_at:
                    self.drops += 1
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    return
        except OSError:
            return
        finally:
            conn.close()

    def _plan(self, record: bytearray, scanned: int) -> tuple[int | None, int]:
        """Look at labels that started since `scanned`; maybe pick a point to cut one."""
        while True:
            start = record.find(b"SIZE ", scanned)
            if start < 0:
                return None, max(scanned, len(record) - 5)
            scanned = start + 5
            if self.rng.random() < self.drop_chance:
                return start + self.rng.randint(16, 79_000 - self.margin), scanned
