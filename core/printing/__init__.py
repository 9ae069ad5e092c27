"""Print jobs: printers, templates in the database, batches that never double-print.

- `printers`: the printer registry (add, list, update, calibrate);
  `printer_tools`: discovery and the test page;
- `template_store`: built-in and imported templates as immutable versions;
- `jobs`: a job from orders (packages, missing waybills, items in order);
- `runner` (+ `worker`, `states`, `lease`, `progress`): sending items, resumable, leased;
- `reprint`: invariant 4 — reprints need `print.reprint` and a reason, and are audited;
  the operator's choice for uncertain items;
- `history`: print history (底单) and job listings.

The whole flow, as `orderhub print` runs it::

    job = jobs.create_job(app, actor, order_ids, ["GP-1"])
    result = runner.run_job(app, actor, job.job_id, on_progress=print)
"""

from core.printing.history import get_job, job_items, list_jobs, print_history
from core.printing.jobs import CreatedJob, Refusal, create_job
from core.printing.printer_tools import DiscoveryResult, discover, print_test_page
from core.printing.printers import (
    PrinterConfig,
    add_printer,
    calibrate,
    get_printer,
    list_printers,
    update_printer,
)
from core.printing.progress import ProgressEvent
from core.printing.reprint import resolve_uncertain
from core.printing.runner import RunResult, cancel_job, pause_job, run_job, settle_crashed

__all__ = [
    "CreatedJob",
    "DiscoveryResult",
    "PrinterConfig",
    "ProgressEvent",
    "Refusal",
    "RunResult",
    "add_printer",
    "calibrate",
    "cancel_job",
    "create_job",
    "discover",
    "get_job",
    "get_printer",
    "job_items",
    "list_jobs",
    "list_printers",
    "pause_job",
    "print_history",
    "print_test_page",
    "resolve_uncertain",
    "run_job",
    "settle_crashed",
    "update_printer",
]
