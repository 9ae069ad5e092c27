"""A double of the Pinduoduo print component: a real `websockets` server in a thread that
speaks the component's protocol (pinduoduo.md §7) on 127.0.0.1.

It lists printers, keeps printer configs, accepts or refuses print tasks, and later
notifies each task printed or failed — or never (a jammed printer), or drops the
connection. `getTaskStatus` answers from what it knows. Everything received is recorded.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from types import TracebackType
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve

OUTCOMES = ("printed", "failed", "never", "reject", "drop")


class PddComponentDouble:
    """`outcome` decides what happens to print tasks; `failed_document` is the position of
    the first document that fails (for "failed"); `notify_cmd` is the notification's name;
    `late_status` is what getTaskStatus says about tasks it never notified."""

    def __init__(
        self,
        *,
        printers: Sequence[str] = ("GP-3120TU", "XP-T58H"),
        default: str = "GP-3120TU",
        outcome: str = "printed",
        failed_document: int = 0,
        notify_cmd: str = "PrintResultNotify",
        notify_delay: float = 0.0,
        late_status: str = "printing",
    ) -> None:
        assert outcome in OUTCOMES
        self.printers = list(printers)
        self.default = default
        self.outcome = outcome
        self.failed_document = failed_document
        self.notify_cmd = notify_cmd
        self.notify_delay = notify_delay
        self.late_status = late_status
        self.received: list[dict[str, Any]] = []
        self.tasks: dict[str, dict[str, Any]] = {}
        self.configs: dict[str, dict[str, Any]] = {
            name: {"name": name, "horizontalOffset": 0, "verticalOffset": 0} for name in printers
        }
        self._server = serve(self._handle, "127.0.0.1", 0, compression=None)
        self.port: int = self._server.socket.getsockname()[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def __enter__(self) -> PddComponentDouble:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._thread.join(5)

    def commands(self) -> list[str]:
        return [message.get("cmd", "?") for message in self.received]

    # ------------------------------------------------------------------ protocol

    def _handle(self, ws: ServerConnection) -> None:
        try:
            for frame in ws:
                message = json.loads(frame)
                self.received.append(message)
                handler = getattr(self, f"_on_{message.get('cmd')}", None)
                if handler is None:
                    self._reply(ws, message, status="failed", msg="unknown cmd")
                elif handler(ws, message) == "drop":
                    return
        except ConnectionClosed:
            return

    @staticmethod
    def _reply(ws: ServerConnection, request: dict[str, Any], **fields: Any) -> None:
        reply = {"cmd": request["cmd"], "requestID": request["requestID"], "status": "success"}
        ws.send(json.dumps({**reply, **fields}, ensure_ascii=False))

    def _on_getPrinters(self, ws: ServerConnection, request: dict[str, Any]) -> None:
        printers = [{"name": name} for name in self.printers]
        self._reply(ws, request, printers=printers, defaultPrinter=self.default)

    def _on_getPrinterConfig(self, ws: ServerConnection, request: dict[str, Any]) -> None:
        name = request.get("printer") or self.default
        if name not in self.configs:
            self._reply(ws, request, status="failed", msg=f"打印机 {name} 不存在")
        else:
            self._reply(ws, request, printer=self.configs[name])

    def _on_setPrinterConfig(self, ws: ServerConnection, request: dict[str, Any]) -> None:
        config = request.get("printer") or {}
        if config.get("name") not in self.configs:
            self._reply(ws, request, status="failed", msg="打印机不存在")
            return
        self.configs[config["name"]].update(config)
        self._reply(ws, request)

    def _on_print(self, ws: ServerConnection, request: dict[str, Any]) -> str | None:
        task = request["task"]
        printer = task.get("printer") or self.default
        if self.outcome == "reject" or printer not in self.printers:
            self._reply(ws, request, taskID=task["taskID"], status="failed", msg="打印机不存在")
            return None
        self.tasks[task["taskID"]] = task
        self._reply(ws, request, taskID=task["taskID"])
        if self.outcome == "drop":
            ws.close()
            return "drop"
        if self.outcome == "never":
            return None
        time.sleep(self.notify_delay)
        # another task's notification first: the client must match on taskID
        self._notify(ws, {"taskID": "someone-elses-task", "taskStatus": "failed"})
        documents = task["documents"]
        if self.outcome == "printed":
            statuses = [self._doc(d, "success") for d in documents]
            self._notify(
                ws,
                {
                    "taskID": task["taskID"],
                    "printer": printer,
                    "taskStatus": "printed",
                    "printStatus": statuses,
                },
            )
        else:
            bad = self.failed_document
            statuses = [
                self._doc(d, "success" if i < bad else "failed", "" if i < bad else "缺纸")
                for i, d in enumerate(documents)
            ]
            self._notify(
                ws,
                {
                    "taskID": task["taskID"],
                    "printer": printer,
                    "taskStatus": "failed",
                    "firstFailedDocSN": bad,
                    "printStatus": statuses,
                },
            )
        return None

    def _on_getTaskStatus(self, ws: ServerConnection, request: dict[str, Any]) -> None:
        entries = []
        for task_id in request.get("taskID") or []:
            task = self.tasks.get(task_id)
            if task is None:
                continue
            detail = [
                self._doc(d, self.late_status) | {"printer": task.get("printer") or self.default}
                for d in task["documents"]
            ]
            entries.append({"taskID": task_id, "detailStatus": detail})
        self._reply(ws, request, printStatus=entries)

    def _notify(self, ws: ServerConnection, fields: dict[str, Any]) -> None:
        ws.send(json.dumps({"cmd": self.notify_cmd, **fields}, ensure_ascii=False))

    @staticmethod
    def _doc(document: dict[str, Any], status: str, msg: str = "") -> dict[str, Any]:
        return {"documentID": document["documentID"], "status": status, "msg": msg}
