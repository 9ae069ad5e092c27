"""Which `orderhub worker` processes run against this database, and what they hold.

- `registry`: a worker registers at start, heartbeats from a thread of its own and
  removes itself on a clean stop (`Registration`);
- `overview`: the running workers and every lease held right now — shops being synced,
  print jobs being printed, ship-back outbox rows being confirmed — with their owners and
  expiry, for `orderhub status`.

The leases themselves belong to their domains (`core.sync.lease`, `core.printing.lease`,
`core.shipback.outbox`); this package only reads their columns.
"""
