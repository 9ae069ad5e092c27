"""The state the printer threads of one print-job run share: the job, its lease, the
render pool, and how the run stops (paused, stopped by an operator, lease lost).

Kept apart from `runner` (which starts and finishes a run) and `worker` (one printer's
thread) because both use it.
"""

from __future__ import annotations

import threading

from core.app import App
from core.models import PrintJob
from core.printing import lease as leases
from core.printing.interception import RefundCheck
from core.printing.printers import PrinterConfig
from core.printing.progress import Progress
from core.printing.render_pool import RenderPool

PAGE_SIZE = 50
PDF_CHUNK = 50


class Run:
    """State shared by the printer threads of one run."""

    def __init__(self, app: App, lease: leases.JobLease, job: PrintJob, progress: Progress) -> None:
        self.app = app
        self.lease = lease
        self.job_id = job.id
        self.operator = job.actor_label
        self.package_ids: list[int] = list((job.options or {}).get("package_ids", []))
        self.page_size = PAGE_SIZE
        self.pdf_chunk = int((job.options or {}).get("pdf_chunk", PDF_CHUNK))
        self.progress = progress
        self.pool: RenderPool | None = None
        self.refund_check: RefundCheck | None = None  # set by the runner before printing
        self.stop = threading.Event()
        self.pause_reason = ""
        self.stopped_by = ""  # the job status an operator set (paused / cancelled)
        self.lost = ""
        # Set by a stopping worker: stop after the labels in flight and hand the job back.
        self.hand_back: threading.Event | None = None
        self._lock = threading.Lock()

    @property
    def stopping(self) -> bool:
        return self.stop.is_set() or self.handing_back

    @property
    def handing_back(self) -> bool:
        return self.hand_back is not None and self.hand_back.is_set()

    def chunk_for(self, config: PrinterConfig) -> int:
        return max(1, self.pdf_chunk) if config.language == "pdf" else 1

    def pause(self, reason: str) -> None:
        with self._lock:
            self.pause_reason = self.pause_reason or reason
        self.stop.set()

    def operator_stopped(self, status: str) -> None:
        with self._lock:
            self.stopped_by = self.stopped_by or status
        self.stop.set()

    def lose(self, reason: str) -> None:
        with self._lock:
            self.lost = self.lost or reason
        self.stop.set()
