"""审单: the org's audit rule set, and approving, rejecting and re-checking orders by it.

Rules run as orders arrive (sync, import), after every edit, and on demand; an order that
passes every enabled rule is approved automatically when the rule set says so, the others
go to the exception queue with each failed rule named. Modules are imported by name; this
package re-exports nothing.

- `settings`: the rule set of an org (switches and parameters), validated and audited;
- `regions`: China's administrative divisions (`regions.tsv`, built by `regions_build`);
- `rules`: each rule, a small function over one order's facts;
- `arrival`: `orders_arrived`, what sync, import and every desk change run — the
  assignment rules, auto-merge when on, then `engine.check_orders`;
- `engine`: `check_orders` and the periodic pass `run_due`;
- `batch`: what the rules need beyond one order, loaded set-based for a chunk;
- `writes`: the engine's guarded writes and approval events, at the driver;
- `decisions`: a person's approve, reject (驳回) and re-check.
"""
