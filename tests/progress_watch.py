"""A watcher of `core.runtime.progress` for service tests: records every call, in order."""

from __future__ import annotations


class Recorder:
    """Implements the `Progress` protocol by writing down what it is told."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def start(self, total: int | None, unit: str, label: str, *, done: int = 0) -> None:
        self.calls.append(("start", total, unit, label, done))

    def advance(self, n: int = 1, **counts: int) -> None:
        self.calls.append(("advance", n, counts))

    def finish(self) -> None:
        self.calls.append(("finish",))

    def tasks(self) -> list[list[tuple]]:
        """The calls split by task: each list starts with its `start`."""
        found: list[list[tuple]] = []
        for call in self.calls:
            if call[0] == "start":
                found.append([])
            found[-1].append(call)
        return found
