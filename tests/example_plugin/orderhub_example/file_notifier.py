"""A notifier that appends each notification as one JSON line to a file."""

from __future__ import annotations

import json
from pathlib import Path

from core.contracts import Notification, Notifier
from core.errors import ConfigurationError, ExternalError


class FileNotifier(Notifier):
    """Settings: `path` — the file to append to (its directory must exist)."""

    name = "example-file"

    def send(self, notification: Notification) -> None:
        if not self.settings.get("path"):
            raise ConfigurationError("example-file notifier: set its `path` option")
        record = {
            "kind": notification.kind,
            "org_id": notification.org_id,
            "recipient": notification.recipient,
            "subject": notification.subject,
            "body": notification.body,
        }
        try:
            with Path(self.settings["path"]).open("a", encoding="utf-8") as out:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
        except OSError as exc:
            raise ExternalError(f"example-file notifier: cannot write: {exc}") from exc
