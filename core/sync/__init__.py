"""Order sync: update-time windows per shop, committed with the cursor, under a lease.

- `selection`: which shops a sync covers (all active, sync-enabled ones, or one named);
- `windows`: planning windows (pure);
- `engine`: one window — paging, then orders + cursor + sync-run row in one transaction;
- `prefetch`: reading the next window in a thread while this one is stored;
- `parallel` and `reader_process`: a long pass's windows read in other processes;
- `lease`: which worker may sync a shop (SKIP LOCKED on PostgreSQL, fenced writes);
- `retry`: quarantined (unreadable) orders asked for again by detail after each pass;
- `runs`: the end of a pass — failure count, alerts, next sync time;
- `log`: the sync log people read — recent runs, and the passes running now;
- `scheduler`: passes, `run_due`, manual sync and backfill;
- `worker`: the schedule loop of `orderhub worker`.
"""
