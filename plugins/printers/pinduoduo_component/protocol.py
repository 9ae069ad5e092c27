"""The Pinduoduo print component's message protocol (pinduoduo.md §7), without I/O.

Every request is a JSON text frame with `cmd`, a unique `requestID` and `version` "1.0";
the reply echoes `cmd` and `requestID`. A `print` request carries one task (`taskID`,
`printer`, `documents[{documentID, contents[]}]`); its reply only says whether the task was
accepted. The outcome comes later as a notification, `PrintResultNotify` (Cainiao-style
components and some versions say `notifyPrintResult`), with `taskStatus` printed | failed
(| rendered, an intermediate step), `firstFailedDocSN` and per-document `printStatus`.

The document language `pdd-print` is the UTF-8 JSON this driver sends as the task's
documents: `{"documents": [{"documentID": "<waybill code>", "contents": [<print_data as
returned by pdd.waybill.get, passed through untouched>, <custom area>…]}]}`, optionally
with `taskID` and `printer`. A single document object is accepted too.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from core.errors import ValidationError

VERSION = "1.0"
RESULT_NOTIFICATIONS = frozenset({"PrintResultNotify", "notifyPrintResult"})
DOCUMENT_DONE = "success"


def new_id(kind: str) -> str:
    return f"orderhub-{kind}-{uuid.uuid4().hex}"


def request(cmd: str, **fields: Any) -> dict[str, Any]:
    """A request frame; `requestID` is fresh for every call."""
    return {"cmd": cmd, "requestID": new_id("req"), "version": VERSION, **fields}


def parse_payload(data: bytes) -> dict[str, Any]:
    """Validate a `pdd-print` document and return it as `{"documents": [...], …}`."""
    try:
        payload = json.loads(bytes(data).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ValidationError(f"pdd-print payload is not UTF-8 JSON: {exc}") from exc
    if isinstance(payload, dict) and "documentID" in payload:
        payload = {"documents": [payload]}
    if not isinstance(payload, dict):
        raise ValidationError("pdd-print payload must be a JSON object", field="documents")
    documents = payload.get("documents")
    if not isinstance(documents, list) or not documents:
        raise ValidationError(
            "pdd-print payload needs a non-empty 'documents' list", field="documents"
        )
    for index, document in enumerate(documents):
        where = f"documents[{index}]"
        if not isinstance(document, dict):
            raise ValidationError(f"pdd-print payload: {where} must be an object", field=where)
        document_id = document.get("documentID")
        if not isinstance(document_id, str) or not document_id.strip():
            raise ValidationError(
                f"pdd-print payload: {where}.documentID must be a non-empty string",
                field=f"{where}.documentID",
            )
        contents = document.get("contents")
        if not isinstance(contents, list) or not contents:
            raise ValidationError(
                f"pdd-print payload: {where} ({document_id}) needs a non-empty 'contents' list",
                field=f"{where}.contents",
            )
        if not all(isinstance(content, dict) for content in contents):
            raise ValidationError(
                f"pdd-print payload: {where} ({document_id}) contents must be objects",
                field=f"{where}.contents",
            )
    for key in ("taskID", "printer"):
        if key in payload and not isinstance(payload[key], str):
            raise ValidationError(f"pdd-print payload: {key!r} must be a string", field=key)
    return payload


def print_task(payload: dict[str, Any], printer: str) -> dict[str, Any]:
    """The `task` of a print request: the payload's documents, our defaults for the rest."""
    return {
        "taskID": payload.get("taskID") or new_id("task"),
        "preview": False,
        "printer": payload.get("printer") or printer,
        "notifyType": ["print"],
        "documents": payload["documents"],
    }


def decode(frame: str | bytes) -> dict[str, Any] | None:
    """A frame as a dict, or None for anything that is not a JSON object (ignored)."""
    try:
        message = json.loads(frame)
    except ValueError:
        return None
    return message if isinstance(message, dict) else None


def is_reply(message: dict[str, Any], sent: dict[str, Any]) -> bool:
    """Whether `message` answers `sent` (matched on requestID; a reply without one counts
    if it echoes the command)."""
    if "requestID" in message:
        return message["requestID"] == sent["requestID"]
    return message.get("cmd") == sent["cmd"]


def succeeded(reply: dict[str, Any]) -> bool:
    return str(reply.get("status", "success")).lower() == "success"


@dataclass(frozen=True)
class TaskOutcome:
    """What became of a task: `state` is printed | failed | pending."""

    state: str
    documents: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    first_failed_doc_sn: Any = None
    message: str = ""

    def failed_documents(self) -> list[dict[str, Any]]:
        return [d for d in self.documents if str(d.get("status", "")).lower() != DOCUMENT_DONE]


def notification_outcome(message: dict[str, Any], task_id: str) -> TaskOutcome | None:
    """The outcome a result notification reports for `task_id`, or None when the message
    is something else (another task, an intermediate `rendered` step)."""
    if message.get("cmd") not in RESULT_NOTIFICATIONS or message.get("taskID") != task_id:
        return None
    status = str(message.get("taskStatus", "")).lower()
    documents = tuple(d for d in message.get("printStatus") or () if isinstance(d, dict))
    if status == "printed":
        failed = [d for d in documents if str(d.get("status", DOCUMENT_DONE)) != DOCUMENT_DONE]
        return TaskOutcome("failed" if failed else "printed", documents)
    if status == "failed":
        return TaskOutcome(
            "failed",
            documents,
            message.get("firstFailedDocSN"),
            str(message.get("msg") or ""),
        )
    return None


def task_status_outcome(reply: dict[str, Any], task_id: str) -> TaskOutcome:
    """The outcome `getTaskStatus` reports: printed when every document succeeded, failed
    when any failed or was cancelled, pending otherwise (or when the task is unknown)."""
    for entry in reply.get("printStatus") or ():
        if isinstance(entry, dict) and entry.get("taskID") == task_id:
            documents = tuple(d for d in entry.get("detailStatus") or () if isinstance(d, dict))
            statuses = {str(d.get("status", "")).lower() for d in documents}
            if documents and statuses == {DOCUMENT_DONE}:
                return TaskOutcome("printed", documents)
            if statuses & {"failed", "canceled", "cancelled"}:
                return TaskOutcome("failed", documents)
            return TaskOutcome("pending", documents)
    return TaskOutcome("pending")
