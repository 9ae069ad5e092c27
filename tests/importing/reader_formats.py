"""Import formats for the reader-process tests: importable by module path (as the reader
process loads a format), each the Pinduoduo export with one fault. They misbehave only
inside a reader process, never in the test process itself."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections.abc import Iterator
from typing import BinaryIO

from core.contracts import ImportFormat, ImportRow
from core.hookspecs import hookimpl
from plugins.platforms.pinduoduo.export_format import PinduoduoExportFormat


def _in_reader() -> bool:
    return multiprocessing.parent_process() is not None


class _Faulty(PinduoduoExportFormat):
    """The export, with a fault after `AFTER` rows (past the first batch sent)."""

    AFTER = 1500

    def sniff(self, filename: str, head: bytes) -> bool:
        return False  # chosen by name only

    def parse(self, stream: BinaryIO, filename: str) -> Iterator[ImportRow]:
        for count, item in enumerate(super().parse(stream, filename)):
            if count == self.AFTER and _in_reader():
                self.fault()
            yield item

    def fault(self) -> None:
        raise NotImplementedError


class DyingFormat(_Faulty):
    """The reader process is killed (as the OOM killer would) part-way through."""

    name = "dying-export"

    def fault(self) -> None:
        os.kill(os.getpid(), signal.SIGKILL)


class BuggyFormat(_Faulty):
    """A format with a bug: an exception that is no orderhub error."""

    name = "buggy-export"

    def fault(self) -> None:
        raise KeyError("a bug in the format")


class SlowFormat(_Faulty):
    """A format that takes its time (the parent can be killed meanwhile)."""

    name = "slow-export"

    def fault(self) -> None:
        time.sleep(600)


@hookimpl
def register_import_formats() -> list[type[ImportFormat]]:
    return [DyingFormat, BuggyFormat, SlowFormat]
