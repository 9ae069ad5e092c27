"""Typed failures of a print task, so a print job can record per-document outcomes."""

from __future__ import annotations

from typing import Any

from core.errors import ExternalError


class PrintTaskRejected(ExternalError):
    """The component refused the task outright (unknown printer, bad data): nothing printed."""

    code = "print_task_rejected"


class PrintTaskFailed(ExternalError):
    """The component reported the task failed. `first_failed_doc_sn` (0-based position in
    the task, as the component reports it) and `documents` (each `{documentID, status,
    msg}`) say which documents did not print; those before it may have."""

    code = "print_task_failed"

    def __init__(
        self, message: str, *, first_failed_doc_sn: Any, documents: list[dict[str, Any]], **kw: Any
    ) -> None:
        super().__init__(
            message,
            retryable=False,
            first_failed_doc_sn=first_failed_doc_sn,
            documents=documents,
            **kw,
        )
        self.first_failed_doc_sn = first_failed_doc_sn
        self.documents = documents


class PrintResultUnknown(ExternalError):
    """The task was sent but no result came in time: it may or may not have printed."""

    code = "print_result_unknown"

    def __init__(self, message: str, **kw: Any) -> None:
        super().__init__(message, retryable=False, uncertain=True, **kw)
