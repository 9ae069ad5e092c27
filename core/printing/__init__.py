"""Print jobs: printers, templates in the database, batches that never double-print.

- `printers`: the printer registry (add, list, update, calibrate);
  `printer_tools`: discovery and the test page (`testpage` draws it);
  `preview`: PNG previews of a test page at unsaved offsets and of a template being edited;
- `template_store`: built-in and imported templates as immutable versions;
- `selection`: choosing a batch's orders with a small filter language;
- `jobs`: a job from orders (packages, missing waybills via `job_waybills`, items in order);
- `runner`: running a job; `run_state` (what its printer threads share), `worker` (one
  printer's thread), `states` (item state changes), `lease` (which runner may send),
  `progress` (events for front ends and plugins);
- `documents`, `rendering`, `render_pool`: what each item prints, rendered in chunks, on
  the machine's other cores when there are any;
- `reprint`: invariant 4 — reprints need `print.reprint` and a reason, and are audited;
  the operator's choice for uncertain items;
- `history`: print history (底单) and job listings;
- `preview`: a template rendered to PNG for a screen (an order's data, receiver masked).

The whole flow, as `orderhub print` runs it::

    job = jobs.create_job(app, actor, order_ids, ["GP-1"])
    result = runner.run_job(app, actor, job.job_id, on_progress=print)
"""
