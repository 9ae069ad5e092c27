"""The state file: lets `orderhub sandbox` stop and start without losing its world.

Seeded orders are not written out — the seed, count and start time regenerate them
exactly — only what changed since: orders that were updated or created, tokens and
codes, e-waybill balances and waybills, the clock offset and the activity stream. Writes
are atomic (temp file + rename), so a crash leaves the previous state intact.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from plugins.platforms.pinduoduo.sandbox.clock import SandboxClock
from plugins.platforms.pinduoduo.sandbox.config import SandboxConfig
from plugins.platforms.pinduoduo.sandbox.orders import SandboxOrder
from plugins.platforms.pinduoduo.sandbox.state import Sandbox

FORMAT = 1
GENERATION = ("seed", "orders", "shops", "history_days", "start_time")


class StateFileError(ValueError):
    """A state file that cannot be used; the message names the file and the problem."""


def dump_state(sandbox: Sandbox) -> dict[str, Any]:
    with sandbox.lock:
        config = sandbox.config
        generation = {name: getattr(config, name) for name in GENERATION}
        generation["start_time"] = sandbox.start_ts
        store = sandbox.store
        return {
            "format": FORMAT,
            "generation": generation,
            "clock_offset": sandbox.clock.offset,
            "serial": sandbox.factory.serial,
            "orders": [
                {
                    "sn": o.sn,
                    "owner_id": o.owner_id,
                    "data": o.data,
                    "pii": list(o.pii),
                    "updated_ts": o.updated_ts,
                    "confirm_ts": o.confirm_ts,
                }
                for o in (store.orders[sn] for sn in store.sns if sn in store.dirty)
            ],
            "auth": sandbox.auth.dump(),
            "waybills": sandbox.waybills.dump(),
            "activity": sandbox.activity.dump(),
        }


def save_state(sandbox: Sandbox, path: Path) -> None:
    with sandbox.lock:  # serialise under the lock: the dump shares the live order dicts
        data = json.dumps(dump_state(sandbox), ensure_ascii=False, separators=(",", ":"))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_sandbox(config: SandboxConfig) -> tuple[Sandbox, bool]:
    """A sandbox from `config.state_file` when it exists (its seed, order count and start
    time win over `config`'s), else a fresh one. The flag says whether state was resumed."""
    path = config.state_file
    if path is None or not path.exists():
        return Sandbox(config), False
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            raise StateFileError(f"{path}: unknown state format {data.get('format')!r}")
        generation = {k: data["generation"][k] for k in GENERATION}
        sandbox = Sandbox(
            replace(config, **generation), clock=SandboxClock(int(data["clock_offset"]))
        )
        with sandbox.lock:
            for raw in data["orders"]:
                sandbox.store.replace(
                    SandboxOrder(
                        raw["sn"],
                        raw["owner_id"],
                        raw["data"],
                        tuple(raw["pii"]),
                        raw["updated_ts"],
                        raw["confirm_ts"],
                    )
                )
            sandbox.factory.serial = int(data["serial"])
            sandbox.auth.restore(data["auth"])
            sandbox.waybills.restore(data["waybills"])
            sandbox.activity.restore(data["activity"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        if isinstance(exc, StateFileError):
            raise
        raise StateFileError(f"{path}: not a usable sandbox state file ({exc})") from exc
    return sandbox, True


class StateSaver:
    """Saves the state file at most once per `interval` seconds when something changed,
    and once more on `stop()`."""

    def __init__(self, sandbox: Sandbox, path: Path, interval: float = 1.0) -> None:
        self.sandbox, self.path, self.interval = sandbox, path, interval
        self._stop = threading.Event()
        self._saved_at = -1
        self._thread = threading.Thread(target=self._run, name="sandbox-state", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.save_if_changed()

    def save_if_changed(self) -> None:
        changes = self.sandbox.changes
        if changes != self._saved_at:
            save_state(self.sandbox, self.path)
            self._saved_at = changes

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        self.save_if_changed()
