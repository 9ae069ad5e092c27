"""Ship-back (确认发货 / 回传): telling the platform each order shipped, exactly once.

- `confirm`: packages confirmed shipped (one, a selection, or every verified/printed one)
  and, in the same transaction, an outbox row per order;
- `outbox`: claiming due rows under a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL) and
  recording outcomes fenced by the claim;
- `classify`: a platform answer → done / held / needs_person / retry, and the back-off;
- `drain`: one worker's pass — claim, look at live order status, send, record;
  `rounds`: that pass inside `orderhub worker`'s schedule;
- `alerts`: critical holds, needs-a-person warnings, the backlog alert, each raised once;
- `review`: the outbox as people see it (`ship status`), `retry`, `mark_shipped_outside`;
- `overview`: a shipping desk's counts — packages ready to confirm, failures by class;
- `policy`: what ship-back asks of other domains (is verification required?).

The flow, as `orderhub ship confirm` and `orderhub worker` run it::

    confirm.confirm_packages(app, actor, package_ids=[12, 13])
    drain.drain(app, worker_id)   # from the worker loop, or `orderhub ship drain`
"""
