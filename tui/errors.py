"""Core errors as TUI notifications, in one place: no traceback ever reaches the screen.

`describe` turns an exception into a `Notice` — a title from the catalogue by the error's
stable `code` (`core.errors`), the core's message naming what to fix, a severity. A
database that is down or refuses us gets its own title; anything else is a bug: it is
logged with its traceback to `tui.log` in the data directory and the screen says where.
`OrderhubApp.report` shows a `Notice`; every service call of the UI goes through
`OrderhubApp.attempt` or `OrderhubApp.in_background`, which call `describe`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from core.accounts.permissions import PERMISSIONS
from core.db import database_failure
from core.errors import AccountLocked, ExternalError, OrderhubError, PermissionDenied
from tui.i18n import LANGUAGES, has, language, t

Severity = Literal["information", "warning", "error"]
LOG_NAME = "tui.log"
log = logging.getLogger("orderhub.tui")


class Reported:
    """What `OrderhubApp.attempt` answers when a call failed and the operator was told why."""


REPORTED = Reported()


@dataclass(frozen=True)
class Notice:
    title: str
    message: str
    severity: Severity


def describe(exc: BaseException, log_dir: Path | None = None) -> Notice:
    """What the operator is told about `exc`."""
    if isinstance(exc, OrderhubError):
        return _core_notice(exc)
    reason = database_failure(exc) if isinstance(exc, Exception) else None
    if reason is not None:
        return Notice(t("app.error.database"), reason, "error")
    where = str(log_dir / LOG_NAME) if log_dir is not None else LOG_NAME
    log.error("unexpected error in the terminal UI", exc_info=exc)
    detail = t("app.error.unexpected_detail", kind=type(exc).__name__, log=where)
    return Notice(t("app.error.unexpected"), detail, "error")


def _core_notice(exc: OrderhubError) -> Notice:
    key = f"app.error.{exc.code}"
    title = t(key) if has(key) else t("app.error.error")
    lines = [exc.message]
    if exc.details.get("pointer"):  # the filter language's caret under the bad token
        lines.append(str(exc.details["pointer"]))
    if isinstance(exc, PermissionDenied) and exc.details.get("permission"):
        permission = str(exc.details["permission"])
        named = t("app.error.permission_named", permission=permission, name=_name(permission))
        lines.insert(0, named)
    if isinstance(exc, ExternalError) and exc.retryable:
        lines.append(t("app.error.external_retry"))
    severity: Severity = "warning" if isinstance(exc, PermissionDenied | AccountLocked) else "error"
    return Notice(title, "\n".join(lines), severity)


def _name(permission: str) -> str:
    """The permission's name in the UI's language (`core.accounts.permissions` has both)."""
    both = PERMISSIONS.get(permission, permission)
    zh, _, en = both.partition(" / ")
    return zh if language() == LANGUAGES[0] or not en else en


def install_log(log_dir: Path) -> None:
    """Write the UI's unexpected errors to `tui.log` in `log_dir` (never to the screen)."""
    path = (log_dir / LOG_NAME).resolve()
    logger = logging.getLogger("orderhub")
    if any(getattr(h, "baseFilename", None) == str(path) for h in logger.handlers):
        return
    log_dir.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8", delay=True)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
