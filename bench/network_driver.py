"""How fast the `network` printer driver streams labels into a loopback raw-9100 printer.

Run: .venv/bin/python bench/network_driver.py [--labels 10000] [--repeat 3]

A counting listener on 127.0.0.1 plays the printer (it reads and discards, so the figure
is the driver and the kernel, not the double's bookkeeping). One connection per job, as in
production. Two label sizes: a TSPL text label (~0.3 KB) and a 76×130 mm raster label
(TSPL BITMAP, 79 KB at 203 dpi). Each is sent with `confirm` on (default: every write
waits for the printer's TCP acknowledgement) and off. Printed per figure: labels/s, MB/s,
time to the first byte, and the ratio to one printer's paper speed (57.3 labels/min at
127 mm/s, printing.md §7), i.e. how many printers one process can keep busy.
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from plugins.printers.network import NetworkDriver

PAPER_LABELS_PER_SECOND = 57.3 / 60


class CountingPrinter:
    """Accepts connections on 127.0.0.1 and counts bytes; notes when the first arrived."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.total = 0
        self.first_byte_at: float | None = None
        self.done = threading.Event()
        self.expected = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def reset(self, expected: int) -> None:
        self.total, self.first_byte_at, self.expected = 0, None, expected
        self.done.clear()

    def _serve(self) -> None:
        while True:
            conn, _ = self.server.accept()
            with conn:
                while chunk := conn.recv(1 << 20):
                    if self.first_byte_at is None:
                        self.first_byte_at = time.perf_counter()
                    self.total += len(chunk)
                    if self.total >= self.expected:
                        self.done.set()


def tspl_text_label(n: int) -> bytes:
    return (
        "SIZE 76 mm,130 mm\r\nGAP 2 mm,0 mm\r\nDIRECTION 1\r\nCLS\r\n"
        f'TEXT 16,16,"4",0,1,1,"YT{n:013d}"\r\n'
        f'BARCODE 16,80,"128",120,1,0,2,4,"YT{n:013d}"\r\n'
        'TEXT 16,240,"3",0,1,1,"Shanghai Pudong 200120"\r\n'
        "BOX 8,8,600,1030,3\r\nPRINT 1,1\r\n"
    ).encode()


def tspl_raster_label(n: int) -> bytes:
    rows, row_bytes = 1040, 76  # 76×130 mm at 8 dots/mm
    bitmap = bytes([(n + i) & 0xFF for i in range(row_bytes)]) * rows
    head = b"SIZE 76 mm,130 mm\r\nGAP 2 mm,0 mm\r\nCLS\r\nBITMAP 0,0,76,1040,1,"
    return head + bitmap + b"\r\nPRINT 1,1\r\n"


def run_job(printer: CountingPrinter, labels: list[bytes], confirm: bool) -> tuple[float, float]:
    """Seconds for the whole job (until the printer has every byte) and to the first byte."""
    printer.reset(sum(map(len, labels)))
    start = time.perf_counter()
    with NetworkDriver({"host": "127.0.0.1", "port": printer.port, "confirm": confirm}) as d:
        for label in labels:
            d.write(label)
    if not printer.done.wait(120):
        raise RuntimeError(f"printer got {printer.total} of {printer.expected} bytes")
    end = time.perf_counter()
    assert printer.first_byte_at is not None
    return end - start, printer.first_byte_at - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(
        f"# network driver → loopback printer; {args.labels} labels/job, median of "
        f"{args.repeat}; {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )
    printer = CountingPrinter()
    for kind, make in (("tspl-text", tspl_text_label), ("tspl-raster-76x130", tspl_raster_label)):
        labels = [make(n) for n in range(args.labels)]
        size = sum(map(len, labels))
        for confirm in (True, False):
            runs = [run_job(printer, labels, confirm) for _ in range(args.repeat)]
            seconds = statistics.median(r[0] for r in runs)
            first = statistics.median(r[1] for r in runs)
            rate = args.labels / seconds
            print(
                f"{kind:20} confirm={'on ' if confirm else 'off'} "
                f"{rate:10.0f} labels/s  {size / seconds / 1e6:8.1f} MB/s  "
                f"first byte {first * 1000:6.2f} ms  "
                f"= {rate / PAPER_LABELS_PER_SECOND:8.0f}× one printer's paper speed "
                f"(spread {min(r[0] for r in runs):.3f}–{max(r[0] for r in runs):.3f} s)"
            )


if __name__ == "__main__":
    main()
