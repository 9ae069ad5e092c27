"""Order sync: update-time windows per shop, committed with the cursor, under a lease.

- `windows`: planning windows (pure).
- `engine`: one window — paging, then orders + cursor + sync-run row in one transaction.
- `lease`: which worker may sync a shop (SKIP LOCKED on PostgreSQL, fenced writes).
- `runs`: the end of a pass — failure count, alerts, next sync time.
- `scheduler`: passes, `run_due`, manual sync and backfill.
- `worker`: the schedule loop of `orderhub worker`.
"""

from core.sync.scheduler import Control, PassReport, request_sync, run_due, sync_shop
from core.sync.worker import Worker

__all__ = ["Control", "PassReport", "Worker", "request_sync", "run_due", "sync_shop"]
